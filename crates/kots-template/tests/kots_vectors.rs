//! KOTS's own test vectors (`../shared/compat/kots-templates/`, transcribed from KOTS's Go unit
//! tests) rendered with `kots_template::kots`. Each case passes, or is counted apart and
//! printed: "pending" (a function or context not built yet: the config, license, version and
//! identity contexts, the TLS and KubeSeal functions, sequences and properties) or "cluster"
//! (the case needs a live cluster, which `kots` never reaches). No case that is built may fail.
//!
//! The vectors live beside the repository (`$KOTS_COMPAT_DIR`, else `../shared/compat`, else
//! `/work/shared/compat`); where they are absent the test says so and passes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use kots_template::kots::{self, ConfigItemValue, KotsContext, LocalRegistry, VersionInfo};

fn compat_dir() -> Option<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("KOTS_COMPAT_DIR").map(PathBuf::from),
        Some(manifest.join("../../../shared/compat")),
        Some(PathBuf::from("/work/shared/compat")),
    ];
    candidates.into_iter().flatten().find(|dir| dir.join("kots-templates/cases.yaml").is_file())
}

/// The areas whose functions are built; the other areas' cases are pending.
const BUILT_AREAS: &[&str] = &["static", "license", "version", "config"];

enum Outcome {
    Pass,
    Fail(String),
    Pending(String),
    Cluster,
}

/// The function a "function X not defined" error names, when X is one of KOTS's (in
/// `functions.md`): a function still to build, not a mistake the case tests.
fn pending_function(error: &str, functions_md: &str) -> Option<String> {
    let rest = error.split("function \"").nth(1)?;
    let name = rest.split('"').next()?;
    functions_md.contains(&format!("`{name}`")).then(|| name.to_string())
}

fn check(case: &serde_json::Value, functions_md: &str) -> Outcome {
    let area = case["area"].as_str().unwrap_or("");
    let kind = case["kind"].as_str().unwrap_or("render");
    if !BUILT_AREAS.contains(&area) {
        return Outcome::Pending(format!("the {area} context"));
    }
    if kind != "render" && kind != "configResolve" {
        return Outcome::Pending(format!("{kind} cases"));
    }
    let context = &case["context"];
    if kind == "configResolve" && context["decryptValues"].as_bool() == Some(true) {
        return Outcome::Pending("decrypting password items".to_string());
    }
    if !context["cluster"].is_null() {
        return Outcome::Cluster;
    }
    let env: BTreeMap<String, String> = context["env"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect())
        .unwrap_or_default();
    let object = |key: &str| Some(context[key].clone()).filter(|v| v.is_object());
    let version = object("versionInfo").map(|v| {
        let text = |k: &str| v[k].as_str().unwrap_or("").to_string();
        VersionInfo {
            sequence: v["sequence"].as_i64().unwrap_or(0),
            cursor: text("cursor"),
            channel_name: text("channelName"),
            version_label: text("versionLabel"),
            is_required: v["isRequired"].as_bool().unwrap_or(false),
            release_notes: text("releaseNotes"),
            is_airgap: v["isAirgap"].as_bool().unwrap_or(false),
            replicated_registry_domain: text("replicatedRegistryDomain"),
            replicated_proxy_domain: text("replicatedProxyDomain"),
        }
    });
    let text_of = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or("").to_string();
    let config_values = context["configValues"]
        .as_object()
        .map(|items| {
            items
                .iter()
                .map(|(name, v)| {
                    let item = ConfigItemValue {
                        value: text_of(v, "value"),
                        default: text_of(v, "default"),
                        filename: text_of(v, "filename"),
                    };
                    (name.clone(), item)
                })
                .collect()
        })
        .unwrap_or_default();
    let local_registry = object("localRegistry").map(|r| LocalRegistry {
        hostname: text_of(&r, "hostname"),
        namespace: text_of(&r, "namespace"),
        username: text_of(&r, "username"),
        password: text_of(&r, "password"),
    });
    // The Go tests' stand-in for the network probe: these prefixes are private.
    let private_prefixes: Option<Vec<String>> = context["imagePrivacy"]["privatePrefixes"]
        .as_array()
        .map(|p| p.iter().filter_map(|x| x.as_str().map(str::to_string)).collect());
    let private_image: Option<kots::PrivacyProbe> = private_prefixes.map(|prefixes| -> kots::PrivacyProbe {
        Arc::new(move |image: &str| Some(prefixes.iter().any(|p| image.starts_with(p.as_str()))))
    });
    let ctx = KotsContext {
        env: Some(env),
        license: object("license"),
        app: object("app"),
        version,
        config_values,
        local_registry,
        app_slug: context["appSlug"].as_str().map(str::to_string),
        private_image,
        ..KotsContext::default()
    };
    if kind == "configResolve" {
        return check_config_resolve(case, &ctx);
    }
    let funcs = Arc::new(kots::funcs(&ctx));
    let template = case["template"].as_str().unwrap_or("");
    let repeat = case["repeat"].as_u64().unwrap_or(1);
    let mut outputs = Vec::new();
    for _ in 0..repeat {
        let rendered = kots::render(template, template, &funcs);
        if let Err(e) = &rendered
            && let Some(name) = pending_function(&e.to_string(), functions_md)
        {
            return Outcome::Pending(format!("function {name}"));
        }
        outputs.push(rendered);
    }
    let first = &outputs[0];
    if case["expectError"].as_bool() == Some(true) {
        return match first {
            Err(_) => Outcome::Pass,
            Ok(out) => Outcome::Fail(format!("rendered {out:?}, KOTS errs")),
        };
    }
    let out = match first {
        Ok(out) => out,
        Err(e) => return Outcome::Fail(format!("error: {e}")),
    };
    if let Some(want) = case["expected"].as_str()
        && case["expectedPattern"].is_null()
        && out != want
    {
        return Outcome::Fail(format!("rendered {out:?}, KOTS {want:?}"));
    }
    if let Some(pattern) = case["expectedPattern"].as_str() {
        let re = regex::Regex::new(pattern).expect("the case's pattern");
        if !re.is_match(out) {
            return Outcome::Fail(format!("rendered {out:?}, which does not match {pattern}"));
        }
    }
    if let Some(len) = case["expectedLength"].as_u64()
        && out.len() as u64 != len
    {
        return Outcome::Fail(format!("{} bytes, KOTS {len}", out.len()));
    }
    if let Some(len) = case["expectedRuneLength"].as_u64()
        && out.chars().count() as u64 != len
    {
        return Outcome::Fail(format!("{} characters, KOTS {len}", out.chars().count()));
    }
    if let Some(len) = case["expectedDecodedBase64Length"].as_u64() {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD.decode(out).unwrap_or_default();
        if decoded.len() as u64 != len {
            return Outcome::Fail(format!("{} bytes once decoded, KOTS {len}", decoded.len()));
        }
    }
    if case["expectDistinct"].as_bool() == Some(true) {
        let mut seen: Vec<&String> = outputs.iter().filter_map(|o| o.as_ref().ok()).collect();
        seen.sort();
        seen.dedup();
        if seen.len() != outputs.len() {
            return Outcome::Fail(format!("{} distinct outputs of {}", seen.len(), outputs.len()));
        }
    }
    for alternate in case["alternates"].as_array().into_iter().flatten() {
        let text = alternate["template"].as_str().unwrap_or("");
        let want = alternate["expected"].as_str().unwrap_or("");
        match kots::render(text, text, &funcs) {
            Ok(got) if got == want => {}
            other => return Outcome::Fail(format!("alternate {text:?}: {other:?}, KOTS {want:?}")),
        }
    }
    Outcome::Pass
}

/// A `configResolve` case: the Config's items resolved against the given values, compared with
/// KOTS's item values (the same names; value and default equal, absent meaning "").
fn check_config_resolve(case: &serde_json::Value, ctx: &KotsContext) -> Outcome {
    let groups = &case["context"]["configGroups"];
    let existing = ctx.config_values.clone();
    let base = KotsContext { config_values: Default::default(), ..ctx.clone() };
    let resolved = kots::resolve_config(groups, &existing, &base);
    if case["expectError"].as_bool() == Some(true) {
        let want = case["errorContains"].as_str().unwrap_or("");
        return match resolved {
            Err(e) if e.to_string().contains(want) => Outcome::Pass,
            other => Outcome::Fail(format!("{other:?}, KOTS errs with {want:?}")),
        };
    }
    let resolved = match resolved {
        Ok(values) => values,
        Err(e) => return Outcome::Fail(format!("error: {e}")),
    };
    let want = case["expectedItemValues"].as_object().cloned().unwrap_or_default();
    let got_names: Vec<&String> = resolved.keys().collect();
    let want_names: Vec<&String> = want.keys().collect();
    if got_names != want_names {
        return Outcome::Fail(format!("items {got_names:?}, KOTS {want_names:?}"));
    }
    for (name, item) in &want {
        let got = &resolved[name];
        let (value, default) = (item["value"].as_str().unwrap_or(""), item["default"].as_str().unwrap_or(""));
        if got.value != value || got.default != default {
            return Outcome::Fail(format!("{name}: {got:?}, KOTS value {value:?} default {default:?}"));
        }
    }
    Outcome::Pass
}

#[test]
fn kots_template_vectors_pass() {
    let Some(dir) = compat_dir() else {
        println!("kots-templates vectors not found (set KOTS_COMPAT_DIR): skipped");
        return;
    };
    let functions_md = std::fs::read_to_string(dir.join("kots-templates/functions.md")).unwrap_or_default();
    let (mut passed, mut failed, mut pending, mut cluster) = (0, Vec::new(), Vec::new(), 0);
    for file in ["cases.yaml", "derived-cases.yaml"] {
        let text = std::fs::read_to_string(dir.join("kots-templates").join(file)).expect("read the vectors");
        let doc: serde_json::Value = serde_saphyr::from_str(&text).expect("the vectors are YAML");
        for case in doc["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().unwrap_or("?").to_string();
            match check(case, &functions_md) {
                Outcome::Pass => passed += 1,
                Outcome::Fail(why) => failed.push(format!("{file}: {name}: {why}")),
                Outcome::Pending(why) => pending.push(format!("{name} ({why})")),
                Outcome::Cluster => cluster += 1,
            }
        }
    }
    let built: Vec<&String> = pending.iter().filter(|p| !p.contains(" context)")).collect();
    println!(
        "kots-templates vectors: {passed} pass, {} fail, {cluster} need a cluster, {} pending ({} of them in built areas)",
        failed.len(),
        pending.len(),
        built.len()
    );
    for p in &built {
        println!("  pending: {p}");
    }
    assert!(failed.is_empty(), "vectors that fail:\n{}", failed.join("\n"));
}

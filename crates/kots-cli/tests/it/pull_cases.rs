//! KOTS's own `pull` test cases (`../shared/compat/kots-pull-cases/`, README there), run through
//! our `pull --local-path` and compared with the folder KOTS wrote (`wantResults/`).
//!
//! A wanted file must be present, and its YAML documents equal once parsed. The comparison is
//! KOTS's own: `upstream/userdata/installation.yaml` skipped (KOTS's holds a random key),
//! `${POD_NAMESPACE}` read as empty, pull-secret patch files and `kotsKinds/` compared as sets
//! of documents, `knownImages` in any order. On top of that, the differences listed in
//! `docs/kots-compat.md` are set aside here, each by name (`documented`). Cases that wait for
//! later work (`PENDING`, with why) are run and counted, not required.
//!
//! The cases live beside the repository (`$KOTS_COMPAT_DIR`, else `../shared/compat`, else
//! `/work/shared/compat`); where they are absent the test says so and passes.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::BINARY;

/// The cases the test requires, and whether the pull ends in "config needed".
const REQUIRED: &[(&str, bool)] = &[
    ("simple", false),
    ("kotskinds", false),
    ("multidoc", false),
    ("taganddigest-norewrite", false),
    ("needsconfig", true),
    ("v1beta2-charts", false),
    ("configcontext", false),
    ("subcharts", false),
    ("subchart-crds", false),
    ("replicatedhelm", false),
];
/// Cases run and counted, not required yet, with what they wait for.
const PENDING: &[(&str, &str)] = &[];
/// Flags a case needs beyond its `testcase.yaml`: KOTS finds `quay.io`'s images private by
/// asking quay.io anonymously; tests never reach the internet, so the case names the registry
/// private, as the vendor's release API names its linked registries.
const EXTRA_ARGS: &[(&str, &[&str])] = &[("replicatedhelm", &["--private-registry", "quay.io"])];

fn files_under(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
}

/// The YAML documents of a file, parsed, KOTS's way: empty documents dropped, `${POD_NAMESPACE}`
/// as empty. `None` when a document does not parse.
fn documents(text: &str) -> Option<Vec<Value>> {
    let text = text.replace("\r\n", "\n").replace("${POD_NAMESPACE}", "");
    let mut out = Vec::new();
    for document in kots_release::documents::split_documents(&text) {
        let value: Value = serde_saphyr::from_str(&document).ok()?;
        if !value.is_null() {
            out.push(value);
        }
    }
    Some(out)
}

/// A field that is null is a field that is absent (as Kubernetes reads them).
fn without_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(without_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(without_nulls),
        _ => {}
    }
}

fn sorted(mut values: Vec<Value>) -> Vec<Value> {
    values.sort_by_key(|v| v.to_string());
    values
}

/// Our documented differences (docs/kots-compat.md), set aside before comparing. Returns the
/// names of those applied.
fn set_aside(path: &str, ours: &mut [Value], wanted: &mut [Value], namespace: &str) -> Vec<&'static str> {
    let mut applied = Vec::new();
    // KOTS's `Namespace` is the admin console's namespace (POD_NAMESPACE, unset in KOTS's own
    // test, so fields it fills are empty and dropped); ours is the pull's `--namespace`.
    for (ours, wanted) in ours.iter_mut().zip(wanted.iter()) {
        if drop_namespace_fields(ours, wanted, namespace) {
            applied.push("Namespace is --namespace");
        }
    }
    if path == "overlays/midstream/kustomization.yaml" {
        for document in ours.iter_mut() {
            // The folder's own copy for `kubectl kots download`.
            if let Some(resources) = document["resources"].as_array_mut() {
                let before = resources.len();
                resources.retain(|r| r != "kots/archive.yaml" && r != "kots/charts.yaml");
                if resources.len() != before {
                    applied.push("archive resource");
                }
            }
        }
    }
    // Helm's release record (`data.release`: base64 of base64 of gzip of JSON) is compressed
    // by Go's deflate in KOTS, by flate2 here: the same JSON in other bytes. Compared decoded.
    for document in ours.iter_mut().chain(wanted.iter_mut()) {
        if document["type"] == "helm.sh/release.v1"
            && let Some(record) = document["data"]["release"].as_str().and_then(decode_release)
        {
            document["data"]["release"] = record;
            applied.push("release record decoded");
        }
    }
    if path.ends_with("userdata/installation.yaml") {
        // Whether an image is private is asked of its registry by KOTS; offline we cannot.
        for document in ours.iter_mut().chain(wanted.iter_mut()) {
            if let Some(images) = document["spec"]["knownImages"].as_array_mut() {
                for image in images.iter_mut() {
                    if let Some(image) = image.as_object_mut()
                        && image.remove("isPrivate").is_some()
                    {
                        applied.push("isPrivate");
                    }
                }
                images.sort_by_key(|v| v.to_string());
            }
        }
    }
    applied.dedup();
    applied
}

/// A Helm release record as a Secret holds it, decoded to its JSON.
fn decode_release(text: &str) -> Option<Value> {
    use base64::Engine as _;
    use std::io::Read as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let gzip = engine.decode(engine.decode(text).ok()?).ok()?;
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(&gzip[..]).read_to_end(&mut json).ok()?;
    serde_json::from_slice(&json).ok()
}

/// Removes from `ours` each `namespace: NAMESPACE` field that `wanted` lacks; whether any.
fn drop_namespace_fields(ours: &mut Value, wanted: &Value, namespace: &str) -> bool {
    match (ours, wanted) {
        (Value::Object(ours), Value::Object(wanted)) => {
            let mut dropped = false;
            if ours.get("namespace").is_some_and(|v| v == namespace) && !wanted.contains_key("namespace") {
                ours.remove("namespace");
                dropped = true;
            }
            for (key, value) in ours.iter_mut() {
                if let Some(other) = wanted.get(key) {
                    dropped |= drop_namespace_fields(value, other, namespace);
                }
            }
            dropped
        }
        (Value::Array(ours), Value::Array(wanted)) => {
            ours.iter_mut().zip(wanted).fold(false, |dropped, (a, b)| drop_namespace_fields(a, b, namespace) | dropped)
        }
        _ => false,
    }
}

#[derive(Default)]
struct Tally {
    wanted: usize,
    present: usize,
    parsed: usize,
    bytes: usize,
    documented: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

fn compare(case: &str, want: &Path, got: &Path, namespace: &str) -> Tally {
    let mut tally = Tally::default();
    for path in files_under(want) {
        if path == "upstream/userdata/installation.yaml" {
            continue;
        }
        tally.wanted += 1;
        let Ok(ours) = std::fs::read(got.join(&path)) else {
            tally.failures.push(format!("{case}: {path} missing"));
            continue;
        };
        tally.present += 1;
        let wanted = std::fs::read(want.join(&path)).unwrap();
        if ours == wanted {
            tally.bytes += 1;
            tally.parsed += 1;
            continue;
        }
        let is_yaml = path.ends_with(".yaml") || path.ends_with(".yml");
        let parsed = (String::from_utf8(ours.clone()), String::from_utf8(wanted.clone()));
        let (Ok(ours_text), Ok(wanted_text), true) = (parsed.0, parsed.1, is_yaml) else {
            tally.failures.push(format!("{case}: {path} differs (not YAML: compared byte for byte)"));
            continue;
        };
        let (Some(mut ours_docs), Some(mut wanted_docs)) = (documents(&ours_text), documents(&wanted_text)) else {
            tally.failures.push(format!("{case}: {path} does not parse as YAML\n--- ours:\n{ours_text}"));
            continue;
        };
        ours_docs.iter_mut().chain(wanted_docs.iter_mut()).for_each(without_nulls);
        for name in set_aside(&path, &mut ours_docs, &mut wanted_docs, namespace) {
            *tally.documented.entry(name).or_default() += 1;
        }
        let as_sets = path.starts_with("kotsKinds/")
            || path.ends_with("pullsecrets.yaml")
            || path == "overlays/midstream/secret.yaml";
        let equal =
            if as_sets { sorted(ours_docs.clone()) == sorted(wanted_docs.clone()) } else { ours_docs == wanted_docs };
        if equal {
            tally.parsed += 1;
        } else {
            tally.failures.push(format!("{case}: {path} differs\n{}", line_diff(&ours_docs, &wanted_docs)));
        }
    }
    tally
}

/// The lines of the pretty JSON that only one side has: `+` ours, `-` wanted.
fn line_diff(ours: &[Value], wanted: &[Value]) -> String {
    let ours = serde_json::to_string_pretty(ours).unwrap();
    let wanted = serde_json::to_string_pretty(wanted).unwrap();
    let (ours, wanted): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), wanted.lines().collect());
    let mut out: Vec<String> = ours.iter().filter(|l| !wanted.contains(l)).map(|l| format!("+{l}")).collect();
    out.extend(wanted.iter().filter(|l| !ours.contains(l)).map(|l| format!("-{l}")));
    if out.is_empty() { "(the same lines in another order)".to_owned() } else { out.join("\n") }
}

/// Runs one case: `(tally, pull's stderr, pull succeeded)`.
fn run_case(compat: &Path, case: &str, work: &Path) -> (Tally, String, bool) {
    let dir = compat.join("kots-pull-cases").join(case);
    let options: Value = serde_saphyr::from_str(&std::fs::read_to_string(dir.join("testcase.yaml")).unwrap()).unwrap();
    let options = &options["PullOptions"];
    let rootdir = work.join(case);
    let upstream = dir.join("upstream");
    let mut command = Command::new(BINARY);
    command
        .args(["pull", "replicated://my-app", "--local-path"])
        .arg(&upstream)
        .arg("--license-file")
        .arg(upstream.join("userdata/license.yaml"))
        .arg("--trusted-key")
        .arg(compat.join("licenses/keys"))
        .arg("--rootdir")
        .arg(&rootdir)
        .args(["--namespace", options["Namespace"].as_str().unwrap()]);
    if upstream.join("userdata/config.yaml").exists() {
        command.arg("--config-values").arg(upstream.join("userdata/config.yaml"));
    }
    if options["RewriteImages"] == true {
        let rewrite = &options["RewriteImageOptions"];
        command.args(["--rewrite-images", "--registry-endpoint", rewrite["Hostname"].as_str().unwrap()]);
        for (flag, key) in [
            ("--image-namespace", "Namespace"),
            ("--registry-username", "Username"),
            ("--registry-password", "Password"),
        ] {
            if let Some(value) = rewrite[key].as_str() {
                command.args([flag, value]);
            }
        }
        if rewrite["IsReadOnly"] == true {
            command.arg("--no-push");
        }
    }
    for (_, args) in EXTRA_ARGS.iter().filter(|(name, _)| *name == case) {
        command.args(*args);
    }
    for downstream in options["Downstreams"].as_array().into_iter().flatten() {
        command.args(["--downstream", downstream.as_str().unwrap()]);
    }
    command.env("HOME", work).env_remove("KOTS_TRUSTED_KEYS");
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let got = rootdir.join("my-app");
    let tally = if got.is_dir() {
        compare(case, &dir.join("wantResults"), &got, options["Namespace"].as_str().unwrap())
    } else {
        Tally::default()
    };
    (tally, stderr, output.status.success())
}

#[test]
fn kots_pull_cases_give_the_folder_kots_writes() {
    let Some(compat) = crate::compat_dir("kots-pull-cases") else {
        eprintln!("kots-pull-cases not found (set KOTS_COMPAT_DIR): skipped");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    println!("case: files wanted / present / equal parsed / equal bytes; documented differences");
    let cases = REQUIRED.iter().copied().chain(PENDING.iter().map(|(case, _)| (*case, false)));
    for (case, needs_config) in cases {
        let pending = PENDING.iter().find(|(name, _)| *name == case).map(|(_, why)| *why);
        let (tally, stderr, succeeded) = run_case(&compat, case, work.path());
        println!(
            "{case}{}: {} / {} / {} / {}; documented {:?}",
            pending.map(|why| format!(" (not required yet: {why})")).unwrap_or_default(),
            tally.wanted,
            tally.present,
            tally.parsed,
            tally.bytes,
            tally.documented
        );
        if pending.is_some() {
            for failure in &tally.failures {
                println!("  {}", failure.lines().next().unwrap_or_default());
            }
            continue;
        }
        if needs_config {
            if succeeded || !stderr.contains("config needed") || !stderr.contains("unset_required_config_item") {
                failures.push(format!(
                    "{case}: wanted \"config needed\" naming unset_required_config_item; got:\n{stderr}"
                ));
            }
        } else if !succeeded {
            failures.push(format!("{case}: pull failed:\n{stderr}"));
        }
        if tally.wanted == 0 && !stderr.is_empty() {
            failures.push(format!("{case}: no folder written:\n{stderr}"));
        }
        failures.extend(tally.failures);
    }
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n\n"));
}

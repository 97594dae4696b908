//! KOTS's own test vectors (`../shared/compat/kots-templates/`, transcribed from KOTS's Go unit
//! tests) checked against `kots_template::kots`, each kind as the vectors' README says:
//! `render` (both passes, compared exactly or by pattern), `configResolve` (the resolved item
//! values), `sequence` (one context, fresh TLS caches, certificates checked by parsing them),
//! `property` (each property sentence checked), `depgraph` (the ready sets of
//! [`kots::DepGraph`], the graph `resolve_config` walks), `configRender` (the whole Config
//! through [`kots::render_config_document`], compared as Config objects). Cases whose `cluster`
//! describes one run against that description. Every case must pass; a function KOTS has that
//! is not built counts as pending, and pending fails the test too.
//!
//! The vectors live beside the repository (`$KOTS_COMPAT_DIR`, else `../shared/compat`, else
//! `/work/shared/compat`); where they are absent the test says so and passes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use kots_template::kots::{
    self, Cluster, ConfigItemValue, KotsContext, LocalRegistry, Node, ServerVersion, VersionInfo,
};

fn compat_dir() -> Option<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("KOTS_COMPAT_DIR").map(PathBuf::from),
        Some(manifest.join("../../../shared/compat")),
        Some(PathBuf::from("/work/shared/compat")),
    ];
    candidates.into_iter().flatten().find(|dir| dir.join("kots-templates/cases.yaml").is_file())
}

enum Outcome {
    Pass,
    Fail(String),
    Pending(String),
}

/// The function a "function X not defined" error names, when X is one of KOTS's (in
/// `functions.md`): a function still to build, not a mistake the case tests.
fn pending_function(error: &str, functions_md: &str) -> Option<String> {
    let rest = error.split("function \"").nth(1)?;
    let name = rest.split('"').next()?;
    functions_md.contains(&format!("`{name}`")).then(|| name.to_string())
}

/// The case's `context` as a [`KotsContext`] (README, "`context` keys").
fn context_of(context: &serde_json::Value) -> KotsContext {
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
    let given = context["configValues"].as_object().cloned().unwrap_or_default();
    let config_values = given
        .iter()
        .map(|(name, v)| {
            let item = ConfigItemValue {
                value: text_of(v, "value"),
                default: text_of(v, "default"),
                filename: text_of(v, "filename"),
            };
            (name.clone(), item)
        })
        .collect();
    let repeatable_items =
        given.iter().filter_map(|(name, v)| Some((name.clone(), v["repeatableItem"].as_str()?.to_string()))).collect();
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
    let cluster = object("cluster").map(|c| {
        let strings = |v: &serde_json::Value| -> BTreeMap<String, String> {
            v.as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect())
                .unwrap_or_default()
        };
        Cluster {
            server_version: c["serverVersion"].as_object().map(|_| ServerVersion {
                git_version: text_of(&c["serverVersion"], "gitVersion"),
                major: text_of(&c["serverVersion"], "major"),
                minor: text_of(&c["serverVersion"], "minor"),
            }),
            api_group_versions: c["apiGroupVersions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|g| g.as_str().map(str::to_string))
                .collect(),
            nodes: c["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| Node {
                    labels: strings(&n["labels"]),
                    annotations: strings(&n["annotations"]),
                    provider_id: text_of(n, "providerID"),
                    os_image: String::new(),
                })
                .collect(),
            kurl_config: false,
        }
    });
    let kurl_values = match (context["kurlValues"].as_object(), object("kurlInstaller")) {
        (Some(values), _) => Some(values.clone()),
        (None, Some(installer)) => Some(kots::kurl_values_from_installer(&installer)),
        (None, None) => None,
    };
    KotsContext {
        env: Some(env),
        license: object("license"),
        app: object("app"),
        version,
        config_values,
        local_registry,
        app_slug: context["appSlug"].as_str().map(str::to_string),
        private_image,
        identity_config: object("identityConfig"),
        cluster,
        kurl_values,
        encryption_key: context["encryptionKey"].as_str().map(str::to_string),
        decrypt_values: context["decryptValues"].as_bool().unwrap_or(false),
        repeatable_items,
        ..KotsContext::default()
    }
}

fn check(case: &serde_json::Value, functions_md: &str) -> Outcome {
    let kind = case["kind"].as_str().unwrap_or("render");
    let ctx = context_of(&case["context"]);
    match kind {
        "render" => {}
        "configResolve" => return check_config_resolve(case, &ctx),
        "sequence" => return check_sequence(case, &ctx),
        "property" => return check_property(case, &ctx),
        "depgraph" => return check_depgraph(case),
        "configRender" => return check_config_render(case, &ctx),
        other => return Outcome::Pending(format!("{other} cases")),
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
    let (mut passed, mut failed, mut pending) = (0, Vec::new(), Vec::new());
    for file in ["cases.yaml", "derived-cases.yaml"] {
        let text = std::fs::read_to_string(dir.join("kots-templates").join(file)).expect("read the vectors");
        let doc: serde_json::Value = serde_saphyr::from_str(&text).expect("the vectors are YAML");
        for case in doc["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().unwrap_or("?").to_string();
            match check(case, &functions_md) {
                Outcome::Pass => passed += 1,
                Outcome::Fail(why) => failed.push(format!("{file}: {name}: {why}")),
                Outcome::Pending(why) => pending.push(format!("{name} ({why})")),
            }
        }
    }
    println!("kots-templates vectors: {passed} pass, {} fail, {} pending", failed.len(), pending.len());
    for p in &pending {
        println!("  pending: {p}");
    }
    assert!(failed.is_empty(), "vectors that fail:\n{}", failed.join("\n"));
    assert!(pending.is_empty(), "vectors pending:\n{}", pending.join("\n"));
}

/// A `sequence` case: one context (so one set of TLS caches, empty at the start), the steps
/// rendered in order, each output matched and its certificate checks run.
fn check_sequence(case: &serde_json::Value, ctx: &KotsContext) -> Outcome {
    let ctx = KotsContext { tls: Default::default(), ..ctx.clone() };
    let funcs = Arc::new(kots::funcs(&ctx));
    let mut outputs: Vec<String> = Vec::new();
    for (i, step) in case["steps"].as_array().into_iter().flatten().enumerate() {
        let template = step["template"].as_str().unwrap_or("");
        let out = match kots::render(template, template, &funcs) {
            Ok(out) => out,
            Err(e) => return Outcome::Fail(format!("step {i}: {e}")),
        };
        if let Some(pattern) = step["expectedPattern"].as_str()
            && !regex::Regex::new(pattern).expect("the step's pattern").is_match(&out)
        {
            return Outcome::Fail(format!("step {i}: {out:?} does not match {pattern}"));
        }
        outputs.push(out);
        let checks = &step["checks"];
        if checks.is_null() {
            continue;
        }
        let cert = match cert::parse(&outputs[i]) {
            Ok(c) => c,
            Err(e) => return Outcome::Fail(format!("step {i}: not a certificate: {e}")),
        };
        for (name, want) in checks.as_object().into_iter().flatten() {
            let failure = match name.as_str() {
                "certSubject" => {
                    (Some(cert.subject.as_str()) != want.as_str()).then(|| format!("subject {}", cert.subject))
                }
                "certIssuer" => {
                    (Some(cert.issuer.as_str()) != want.as_str()).then(|| format!("issuer {}", cert.issuer))
                }
                "keyUsageCertSign" => (Some(cert.key_cert_sign) != want.as_bool()).then(|| "key usage".to_string()),
                "issuerOfStep" => {
                    let k = want.as_u64().unwrap_or(u64::MAX) as usize;
                    match outputs.get(k).map(|o| cert::parse(o)) {
                        Some(Ok(signed)) => cert.verify_issued(&signed).err(),
                        _ => Some(format!("step {k} has no certificate")),
                    }
                }
                "certMatchesKeyOfStep" => {
                    let k = want.as_u64().unwrap_or(u64::MAX) as usize;
                    match outputs.get(k) {
                        Some(key) => cert.verify_key(key).err(),
                        None => Some(format!("no step {k}")),
                    }
                }
                other => Some(format!("unknown check {other}")),
            };
            if let Some(why) = failure {
                return Outcome::Fail(format!("step {i}: {name}: {why}"));
            }
        }
    }
    Outcome::Pass
}

/// Certificates read back for the `sequence` checks: a small DER walk (subject, issuer, key
/// usage, public key, signature), independent of the crate's own encoder.
mod cert {
    use base64::Engine;
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePublicKey;
    use sha2_rsa::Digest;

    pub struct Cert {
        pub subject: String,
        pub issuer: String,
        pub key_cert_sign: bool,
        spki: Vec<u8>,
        tbs: Vec<u8>,
        signature: Vec<u8>,
    }

    /// One DER element: tag, content, the whole element.
    type Element<'a> = (u8, &'a [u8], &'a [u8]);

    /// One DER element: (tag, content, the whole element), and what follows it.
    fn tlv(data: &[u8]) -> Result<(Element<'_>, &[u8]), String> {
        let short = || "truncated DER".to_string();
        let tag = *data.first().ok_or_else(short)?;
        let first = *data.get(1).ok_or_else(short)? as usize;
        let (len, header) = if first < 0x80 {
            (first, 2)
        } else {
            let n = first & 0x7f;
            let bytes = data.get(2..2 + n).ok_or_else(short)?;
            (bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize), 2 + n)
        };
        let end = header + len;
        let content = data.get(header..end).ok_or_else(short)?;
        Ok(((tag, content, &data[..end]), &data[end..]))
    }

    fn children(mut data: &[u8]) -> Result<Vec<Element<'_>>, String> {
        let mut out = Vec::new();
        while !data.is_empty() {
            let ((tag, content, full), rest) = tlv(data)?;
            out.push((tag, content, full));
            data = rest;
        }
        Ok(out)
    }

    fn oid(content: &[u8]) -> String {
        let mut parts = vec![(content[0] / 40) as u64, (content[0] % 40) as u64];
        let mut acc = 0u64;
        for b in &content[1..] {
            acc = (acc << 7) | (*b & 0x7f) as u64;
            if b & 0x80 == 0 {
                parts.push(acc);
                acc = 0;
            }
        }
        parts.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
    }

    /// A distinguished name as Go's `pkix.Name.String` prints it (last RDN first).
    fn name(content: &[u8]) -> Result<String, String> {
        let mut parts = Vec::new();
        for (_, set, _) in children(content)? {
            for (_, attr, _) in children(set)? {
                let fields = children(attr)?;
                let label = match oid(fields[0].1).as_str() {
                    "2.5.4.3" => "CN".to_string(),
                    "2.5.4.10" => "O".to_string(),
                    "2.5.4.11" => "OU".to_string(),
                    "2.5.4.6" => "C".to_string(),
                    other => other.to_string(),
                };
                parts.push(format!("{label}={}", String::from_utf8_lossy(fields[1].1)));
            }
        }
        parts.reverse();
        Ok(parts.join(","))
    }

    fn pem(text: &str, kind: &str) -> Result<Vec<u8>, String> {
        let begin = format!("-----BEGIN {kind}-----");
        let end = format!("-----END {kind}-----");
        let body = text.split(&begin).nth(1).and_then(|r| r.split(&end).next()).ok_or(format!("no {kind} PEM"))?;
        let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| e.to_string())
    }

    pub fn parse(text: &str) -> Result<Cert, String> {
        let der = pem(text, "CERTIFICATE")?;
        let ((_, cert, _), _) = tlv(&der)?;
        let parts = children(cert)?;
        let (_, tbs_content, tbs) = parts.first().ok_or("no TBS")?;
        let signature = parts.get(2).ok_or("no signature")?.1[1..].to_vec();
        let fields = children(tbs_content)?;
        // [0] version, serial, algorithm, issuer, validity, subject, spki, [3] extensions.
        let at = if fields[0].0 == 0xa0 { 1 } else { 0 };
        let issuer = name(fields[at + 2].1)?;
        let subject = name(fields[at + 4].1)?;
        let spki = fields[at + 5].2.to_vec();
        let mut key_cert_sign = false;
        if let Some((_, exts, _)) = fields.iter().find(|f| f.0 == 0xa3) {
            for (_, ext, _) in children(children(exts)?[0].1)? {
                let ext = children(ext)?;
                if oid(ext[0].1) == "2.5.29.15" {
                    let value = ext.last().ok_or("empty extension")?.1;
                    let ((_, bits, _), _) = tlv(value)?;
                    // Bit 5 (keyCertSign) of the first byte after the unused-bits count.
                    key_cert_sign = bits.get(1).is_some_and(|b| b & 0x04 != 0);
                }
            }
        }
        Ok(Cert { subject, issuer, key_cert_sign, spki, tbs: tbs.to_vec(), signature })
    }

    impl Cert {
        fn public_key(&self) -> Result<rsa::RsaPublicKey, String> {
            rsa::RsaPublicKey::from_public_key_der(&self.spki).map_err(|e| e.to_string())
        }

        /// `signed` names this certificate's subject as issuer and its signature verifies
        /// with this certificate's key.
        pub fn verify_issued(&self, signed: &Cert) -> Result<(), String> {
            if signed.issuer != self.subject {
                return Err(format!("issued by {}, not {}", signed.issuer, self.subject));
            }
            // PKCS #1 v1.5 over SHA-256: the DigestInfo prefix, then the digest.
            let mut digest_info = vec![
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
                0x04, 0x20,
            ];
            digest_info.extend_from_slice(&sha2_rsa::Sha256::digest(&signed.tbs));
            self.public_key()?
                .verify(rsa::Pkcs1v15Sign::new_unprefixed(), &digest_info, &signed.signature)
                .map_err(|e| format!("signature does not verify: {e}"))
        }

        /// This certificate's public key is that of the `RSA PRIVATE KEY` PEM `key`.
        pub fn verify_key(&self, key: &str) -> Result<(), String> {
            let private =
                rsa::RsaPrivateKey::from_pkcs1_der(&pem(key, "RSA PRIVATE KEY")?).map_err(|e| e.to_string())?;
            if private.to_public_key() == self.public_key()? { Ok(()) } else { Err("another key".to_string()) }
        }
    }
}

/// A `property` case. `YamlEscape`'s input is invalid UTF-8 (caveat 5): its bytes are read as
/// Latin-1 code points instead, a valid-UTF-8 string with every C0 and C1 control, DEL and
/// the non-ASCII range, and each property is checked on that.
fn check_property(case: &serde_json::Value, ctx: &KotsContext) -> Outcome {
    let call = &case["call"];
    let function = call["function"].as_str().unwrap_or("");
    let args: Vec<String> = match call["argsHex"].as_array() {
        Some(hex_args) => hex_args
            .iter()
            .map(|h| hex::decode(h.as_str().unwrap_or("")).unwrap_or_default().into_iter().map(char::from).collect())
            .collect(),
        None => call["args"].as_array().into_iter().flatten().map(|a| a.as_str().unwrap_or("").to_string()).collect(),
    };
    let funcs = kots::funcs(ctx);
    let values: Vec<kots_template::Value> = args.iter().map(|a| kots_template::Value::string(a.as_str())).collect();
    let output = match funcs.call(function, &values) {
        Ok(kots_template::Value::String(s)) => s.to_string(),
        other => return Outcome::Fail(format!("{function}: {other:?}")),
    };
    let input = args.first().cloned().unwrap_or_default();
    let as_yaml = |text: &str| serde_saphyr::from_str::<serde_json::Value>(text).map_err(|e| e.to_string());
    for property in case["properties"].as_array().into_iter().flatten() {
        let property = property.as_str().unwrap_or("");
        let holds = match property {
            "output is longer than the input" => Ok(output.chars().count() > input.chars().count()),
            "parsing the output as a YAML document gives a string equal to the input" => {
                as_yaml(&output).map(|v| v.as_str() == Some(input.as_str()))
            }
            "parsing 'abc:\\n  xyz: <output>' as YAML gives abc.xyz equal to the input" => {
                as_yaml(&format!("abc:\n  xyz: {output}")).map(|v| v["abc"]["xyz"].as_str() == Some(input.as_str()))
            }
            other => return Outcome::Fail(format!("no check for the property {other:?}")),
        };
        match holds {
            Ok(true) => {}
            Ok(false) => return Outcome::Fail(format!("{property:?} does not hold for {output:?}")),
            Err(e) => return Outcome::Fail(format!("{property:?}: {e} in {output:?}")),
        }
    }
    Outcome::Pass
}

/// A `depgraph` case, by the README's procedure, through [`kots::DepGraph`] built from the
/// items (the Go "+parse" variant).
fn check_depgraph(case: &serde_json::Value) -> Outcome {
    let names = |key: &str| -> Vec<String> {
        case[key].as_array().into_iter().flatten().filter_map(|n| n.as_str().map(str::to_string)).collect()
    };
    let expect_error = case["expectError"].as_bool() == Some(true);
    let mut graph = kots::DepGraph::from_groups(&case["context"]["configGroups"]);
    if !case["expectInitialHeadNodes"].is_null() {
        let mut want = names("expectInitialHeadNodes");
        want.sort();
        match graph.head_nodes() {
            Ok(heads) if heads == want => {}
            other => return Outcome::Fail(format!("initial head nodes {other:?}, KOTS {want:?}")),
        }
    }
    graph.drop_missing();
    let not_found = names("expectNotFound");
    for name in names("resolveOrder") {
        let ready = match graph.head_nodes() {
            Ok(ready) => ready,
            Err(_) if expect_error => return Outcome::Pass,
            Err(e) => return Outcome::Fail(format!("before {name}: {e}")),
        };
        if not_found.contains(&name) {
            return if ready.contains(&name) {
                Outcome::Fail(format!("{name} is ready ({ready:?}); KOTS has it wait"))
            } else {
                Outcome::Pass
            };
        }
        if !ready.contains(&name) {
            return Outcome::Fail(format!("{name} is not ready ({ready:?})"));
        }
        graph.resolve(&name);
    }
    match graph.head_nodes() {
        Ok(rest) if rest.is_empty() && !expect_error => Outcome::Pass,
        other => Outcome::Fail(format!("at the end: {other:?}, expectError {expect_error}")),
    }
}

/// A Config compared as KOTS's Go test compares decoded objects: field order free, and an
/// empty value (`""`, `false`, `0`, `{}`, `[]`, null) the same as none.
fn config_normal(value: &serde_json::Value) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    match value {
        J::Null => None,
        J::Bool(false) => None,
        J::String(s) if s.is_empty() => None,
        J::Number(n) if n.as_f64() == Some(0.0) => None,
        J::Object(map) => {
            let kept: serde_json::Map<String, J> =
                map.iter().filter_map(|(k, v)| Some((k.clone(), config_normal(v)?))).collect();
            (!kept.is_empty()).then_some(J::Object(kept))
        }
        J::Array(items) => {
            let kept: Vec<J> = items.iter().map(|v| config_normal(v).unwrap_or(J::Null)).collect();
            (!kept.is_empty()).then_some(J::Array(kept))
        }
        other => Some(other.clone()),
    }
}

/// A `configRender` case through [`kots::render_config_document`].
fn check_config_render(case: &serde_json::Value, ctx: &KotsContext) -> Outcome {
    let parse = |key: &str| serde_saphyr::from_str::<serde_json::Value>(case[key].as_str().unwrap_or(""));
    let (config, want) = match (parse("configYaml"), parse("expectedConfigYaml")) {
        (Ok(c), Ok(w)) => (c, w),
        other => return Outcome::Fail(format!("the case's YAML: {other:?}")),
    };
    match kots::render_config_document(&config, ctx) {
        Ok(got) if config_normal(&got) == config_normal(&want) => Outcome::Pass,
        Ok(got) => Outcome::Fail(format!(
            "rendered\n{}\nKOTS\n{}",
            serde_json::to_string_pretty(&config_normal(&got)).unwrap_or_default(),
            serde_json::to_string_pretty(&config_normal(&want)).unwrap_or_default()
        )),
        Err(e) => Outcome::Fail(format!("error: {e}")),
    }
}

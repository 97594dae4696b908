//! KOTS's license and version contexts (`license_context.go`, `version_context.go`), and the
//! registry and proxy domains both depend on.

use base64::Engine;

use super::KotsContext;
use crate::func::{ArgsExt, FuncMap};
use crate::value::{GoType, Value};

/// The version being rendered, as KOTS's version context sees it (the Installation's fields,
/// the sequence and the airgap flag). Absent, `Sequence` is -1 and the rest empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionInfo {
    pub sequence: i64,
    pub cursor: String,
    pub channel_name: String,
    pub version_label: String,
    pub is_required: bool,
    pub release_notes: String,
    pub is_airgap: bool,
    pub replicated_registry_domain: String,
    pub replicated_proxy_domain: String,
}

/// `LicenseFieldValue`'s built-in boolean fields, read before the entitlements.
const BOOLEAN_FIELDS: &[&str] = &[
    "isAirgapSupported",
    "isEmbeddedClusterDownloadEnabled",
    "isEmbeddedClusterMultiNodeEnabled",
    "isDisasterRecoverySupported",
    "isGeoaxisSupported",
    "isGitOpsSupported",
    "isIdentityServiceSupported",
    "isSemverRequired",
    "isSnapshotSupported",
    "isSupportBundleUploadSupported",
];

/// `LicenseFieldValue`'s built-in string fields.
const STRING_FIELDS: &[&str] = &[
    "appSlug",
    "channelID",
    "channelName",
    "customerEmail",
    "customerName",
    "licenseID",
    "licenseType",
    "replicatedProxyDomain",
];

pub(super) fn register(map: &mut FuncMap, context: &KotsContext) {
    let ctx = context.clone();
    map.add("LicenseFieldValue", vec![GoType::String], move |_, a| {
        Ok(Value::string(license_field_value(ctx.license.as_ref(), a.str_arg(0)?)))
    });
    let ctx = context.clone();
    map.add("LicenseDockerCfg", vec![], move |_, _| Ok(Value::string(license_docker_cfg(&ctx))));

    let version = context.version.clone();
    let v = move |f: fn(&VersionInfo) -> Value, absent: Value| {
        let version = version.clone();
        move |_: &mut crate::Call<'_>, _: &[Value]| Ok(version.as_ref().map(f).unwrap_or_else(|| absent.clone()))
    };
    map.add("Sequence", vec![], v(|i| Value::int64(i.sequence), Value::int64(-1)));
    map.add("Cursor", vec![], v(|i| Value::string(i.cursor.as_str()), Value::string("")));
    map.add("ChannelName", vec![], v(|i| Value::string(i.channel_name.as_str()), Value::string("")));
    map.add("VersionLabel", vec![], v(|i| Value::string(i.version_label.as_str()), Value::string("")));
    map.add("IsRequired", vec![], v(|i| Value::Bool(i.is_required), Value::Bool(false)));
    map.add("ReleaseNotes", vec![], v(|i| Value::string(i.release_notes.as_str()), Value::string("")));
    map.add("IsAirgap", vec![], v(|i| Value::Bool(i.is_airgap), Value::Bool(false)));
    map.add(
        "ReplicatedRegistryDomain",
        vec![],
        v(|i| Value::string(i.replicated_registry_domain.as_str()), Value::string("")),
    );
    map.add(
        "ReplicatedProxyDomain",
        vec![],
        v(|i| Value::string(i.replicated_proxy_domain.as_str()), Value::string("")),
    );
}

/// A license field by name: the built-ins, then `spec.entitlements[name].value` printed as Go
/// prints it; "" for an unknown name or no license.
pub(crate) fn license_field_value(license: Option<&serde_json::Value>, name: &str) -> String {
    let Some(license) = license else { return String::new() };
    let text = |key: &str| license.get(key).and_then(|v| v.as_str()).unwrap_or("").to_string();
    if STRING_FIELDS.contains(&name) {
        return text(name);
    }
    match name {
        "licenseId" => return text("licenseID"),
        "signature" => {
            let raw = base64::engine::general_purpose::STANDARD.decode(text("signature")).unwrap_or_default();
            return String::from_utf8_lossy(&raw).into_owned();
        }
        "endpoint" => {
            let endpoint = text("endpoint");
            return if endpoint.is_empty() { "https://replicated.app".to_string() } else { endpoint };
        }
        "licenseSequence" => return license.get("licenseSequence").and_then(|v| v.as_i64()).unwrap_or(0).to_string(),
        "IsDisasterRecoverySupported" => return bool_field(license, "isDisasterRecoverySupported"),
        _ => {}
    }
    if BOOLEAN_FIELDS.contains(&name) {
        return bool_field(license, name);
    }
    match license.get("entitlements").and_then(|e| e.get(name)) {
        None => String::new(),
        Some(entitlement) => match entitlement.get("value") {
            None | Some(serde_json::Value::Null) => "<nil>".to_string(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => crate::fmt::format_value(&json_scalar(other)),
        },
    }
}

fn bool_field(license: &serde_json::Value, name: &str) -> String {
    license.get(name).and_then(|v| v.as_bool()).unwrap_or(false).to_string()
}

/// An entitlement's value as KOTS holds it: integers as int64, not JSON's float64.
fn json_scalar(value: &serde_json::Value) -> Value {
    match value.as_i64() {
        Some(i) => Value::int64(i),
        None => Value::from_json(value),
    }
}

/// The registry and proxy domains (`registry.replicated.com`, `proxy.replicated.com` unless the
/// license's endpoint, the Application or the version info say otherwise, in that order of
/// precedence; an embedded cluster's environment wins over all).
pub fn registry_domains(context: &KotsContext) -> (String, String) {
    if !context.env_var("EMBEDDED_CLUSTER_ID").is_empty() {
        return (context.env_var("REPLICATED_REGISTRY_DOMAIN"), context.env_var("PROXY_REGISTRY_DOMAIN"));
    }
    let mut registry = "registry.replicated.com".to_string();
    let mut proxy = "proxy.replicated.com".to_string();
    let endpoint = context.license.as_ref().and_then(|l| l.get("endpoint")).and_then(|e| e.as_str()).unwrap_or("");
    let host = endpoint.split("://").nth(1).unwrap_or(endpoint).split(['/', ':']).next().unwrap_or("");
    if host == "staging.replicated.app" {
        registry = "registry.staging.replicated.com".to_string();
        proxy = "proxy.staging.replicated.com".to_string();
    }
    let app_field =
        |key: &str| context.app.as_ref().and_then(|a| a.get(key)).and_then(|v| v.as_str()).filter(|v| !v.is_empty());
    if let Some(domain) = app_field("replicatedRegistryDomain") {
        registry = domain.to_string();
    }
    if let Some(domain) = app_field("proxyRegistryDomain") {
        proxy = domain.to_string();
    }
    if let Some(version) = &context.version {
        if !version.replicated_registry_domain.is_empty() {
            registry = version.replicated_registry_domain.clone();
        }
        if !version.replicated_proxy_domain.is_empty() {
            proxy = version.replicated_proxy_domain.clone();
        }
    }
    (registry, proxy)
}

/// Std base64 of `{"auths":{PROXY:{"auth":A},REGISTRY:{"auth":A}}}` (keys sorted, one entry
/// when the domains are the same), `A` = base64 of `LICENSE_ID:<license id>`; "" without a
/// license.
/// `LicenseDockerCfg`: a docker config (base64, as a pull Secret holds it) logging in to the
/// vendor's registry and proxy with the license.
pub fn license_docker_cfg(context: &KotsContext) -> String {
    let Some(license) = &context.license else { return String::new() };
    let id = license.get("licenseID").and_then(|v| v.as_str()).unwrap_or("");
    let b64 = base64::engine::general_purpose::STANDARD;
    let auth = b64.encode(format!("LICENSE_ID:{id}"));
    let (registry, proxy) = registry_domains(context);
    let mut auths = std::collections::BTreeMap::new();
    for domain in [proxy, registry] {
        auths.insert(domain, serde_json::json!({ "auth": auth }));
    }
    b64.encode(serde_json::json!({ "auths": auths }).to_string())
}

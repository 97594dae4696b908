//! KOTS's kurl context (`kurl_context.go`): the kurl `Installer` of a kurl cluster, flattened
//! into `<Go type>.<Go field>` keys (`Kubernetes.Version`, `Kotsadm.UiBindPort`). KOTS reads it
//! from the cluster; here the caller gives it ([`KotsContext::kurl_values`], or an Installer
//! through [`kurl_values_from_installer`]). Without one the map is empty, as without a cluster.

use serde_json::{Map, Value as Json};

use super::KotsContext;
use crate::func::{ArgsExt, FuncMap};
use crate::value::{GoType, Value};

/// The Go type name of an Installer spec section, from its YAML key: the key with its first
/// letter upper-cased, but for the sections whose Go names are not (kurlkinds v1beta1).
fn section_type(key: &str) -> String {
    match key {
        "openebs" => "OpenEBS".to_string(),
        "aws" => "AWS".to_string(),
        "rke2" => "RKE2".to_string(),
        "k3s" => "K3S".to_string(),
        "ufwConfig" => "UFWConfig".to_string(),
        _ => capitalize(key),
    }
}

fn capitalize(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Flattens a kurl `cluster.kurl.sh/v1beta1` Installer (parsed YAML) as KOTS does: every field
/// of every section of `spec` under `<Section type>.<Field>`, Go names from the YAML names (the
/// first letter upper-cased, which is how kurlkinds names them, but `Kurl.IPv6`). Kept difference: KOTS lists
/// every field of the Go struct, zero values included; this lists the fields the YAML has.
pub fn kurl_values_from_installer(installer: &Json) -> Map<String, Json> {
    let mut out = Map::new();
    for (section, fields) in installer["spec"].as_object().into_iter().flatten() {
        let Some(fields) = fields.as_object() else { continue };
        let prefix = section_type(section);
        for (field, value) in fields {
            let field = if field == "ipv6" { "IPv6".to_string() } else { capitalize(field) };
            let key = format!("{prefix}.{field}");
            // A `*bool` in Go (Weave's noMasqLocal): not a bool to KOTS's type switches, so
            // kept as a non-scalar here.
            let value =
                if key == "Weave.NoMasqLocal" { serde_json::json!({ "pointer": value }) } else { value.clone() };
            out.insert(key, value);
        }
    }
    out
}

pub(super) fn register(map: &mut FuncMap, context: &KotsContext) {
    let values = std::sync::Arc::new(context.kurl_values.clone().unwrap_or_default());
    let v = values.clone();
    map.add("KurlString", vec![GoType::String], move |_, a| {
        Ok(Value::string(v.get(a.str_arg(0)?).and_then(Json::as_str).unwrap_or("")))
    });
    let v = values.clone();
    map.add("KurlInt", vec![GoType::String], move |_, a| {
        Ok(Value::int(v.get(a.str_arg(0)?).and_then(Json::as_i64).unwrap_or(0)))
    });
    let v = values.clone();
    map.add("KurlBool", vec![GoType::String], move |_, a| {
        Ok(Value::Bool(v.get(a.str_arg(0)?).and_then(Json::as_bool).unwrap_or(false)))
    });
    let v = values.clone();
    map.add("KurlOption", vec![GoType::String], move |_, a| {
        Ok(Value::string(v.get(a.str_arg(0)?).map(option_text).unwrap_or_default()))
    });
    let v = values;
    map.add("KurlAll", vec![], move |_, _| {
        // Every key:value of an int, string or bool; any other value an empty entry.
        let mut entries: Vec<String> = v
            .iter()
            .map(|(k, value)| match value {
                Json::String(_) | Json::Bool(_) => format!("{k}:{}", option_text(value)),
                Json::Number(n) if n.is_i64() => format!("{k}:{}", option_text(value)),
                _ => String::new(),
            })
            .collect();
        entries.sort();
        Ok(Value::string(entries.join(" ")))
    });
}

/// An int, string or bool as `KurlOption` prints it; anything else "".
fn option_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) if n.is_i64() => n.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::kots::{self, KotsContext};

    #[test]
    fn an_installer_flattens_to_go_names_and_kurl_all_lists_the_scalars() {
        let installer = serde_json::json!({ "spec": {
            "kubernetes": { "version": "1.25", "serviceCIDR": "/24" },
            "openebs": { "isLocalPVEnabled": true },
            "k3s": { "version": "v1" },
            "weave": { "noMasqLocal": true },
            "kotsadm": { "uiBindPort": 8800, "extra": ["x"] },
        }});
        let values = kots::kurl_values_from_installer(&installer);
        assert_eq!(values["Kubernetes.ServiceCIDR"], "/24");
        assert_eq!(values["OpenEBS.IsLocalPVEnabled"], true);
        assert_eq!(values["K3S.Version"], "v1");
        let ctx = KotsContext { kurl_values: Some(values), ..KotsContext::default() };
        let render = |t: &str| kots::render("t", t, &Arc::new(kots::funcs(&ctx))).unwrap();
        assert_eq!(render("{{repl KurlInt \"Kotsadm.UiBindPort\" }}"), "8800");
        assert_eq!(render("{{repl KurlOption \"Kotsadm.Extra\" }}|"), "|");
        assert_eq!(render("{{repl KurlBool \"Weave.NoMasqLocal\" }}"), "false", "a *bool is not a bool");
        // The list and the pointer each contribute an empty entry, which sorts first.
        assert_eq!(
            render("{{repl KurlAll }}"),
            "  K3S.Version:v1 Kotsadm.UiBindPort:8800 Kubernetes.ServiceCIDR:/24 Kubernetes.Version:1.25 OpenEBS.IsLocalPVEnabled:true"
        );
    }
}

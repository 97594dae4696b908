//! KOTS's config context (`config_context.go`): the config items' values, the local registry,
//! and image names as the customer's cluster pulls them. The items arrive resolved (in
//! dependency order, by the caller); this module only reads them.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;

use super::KotsContext;
use super::license_context::registry_domains;
use crate::func::{ArgsExt, FuncMap};
use crate::value::{GoType, Value};

/// One config item's value as KOTS keeps it: `value` wins over `default` when non-empty;
/// `filename` for file items (whose value is base64).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigItemValue {
    pub value: String,
    pub default: String,
    pub filename: String,
}

/// The registry the customer's images live in (`--registry-endpoint`/`--image-namespace` of a
/// pull that rewrites images).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalRegistry {
    pub hostname: String,
    pub namespace: String,
    pub username: String,
    pub password: String,
}

/// Whether an image is private (KOTS probes the registry anonymously); `None`: the probe failed.
pub type PrivacyProbe = Arc<dyn Fn(&str) -> Option<bool> + Send + Sync>;

const S: GoType = GoType::String;

pub(super) fn register(map: &mut FuncMap, context: &KotsContext) {
    let values = Arc::new(context.config_values.clone());
    let option = |values: &BTreeMap<String, ConfigItemValue>, name: &str| -> Option<String> {
        values.get(name).map(|item| if item.value.is_empty() { item.default.clone() } else { item.value.clone() })
    };
    let v = values.clone();
    map.add("ConfigOption", vec![S], move |_, a| Ok(Value::string(option(&v, a.str_arg(0)?).unwrap_or_default())));
    map.add("ConfigOptionName", vec![S], |_, a| Ok(Value::string(a.str_arg(0)?)));
    map.add("ConfigOptionIndex", vec![S], |_, _| Ok(Value::string("")));
    let v = values.clone();
    map.add("ConfigOptionData", vec![S], move |_, a| {
        let decoded = option(&v, a.str_arg(0)?)
            .and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .unwrap_or_default();
        Ok(Value::string(String::from_utf8_lossy(&decoded).into_owned()))
    });
    let v = values.clone();
    map.add("ConfigOptionFilename", vec![S], move |_, a| {
        Ok(Value::string(v.get(a.str_arg(0)?).map(|item| item.filename.clone()).unwrap_or_default()))
    });
    let v = values.clone();
    map.add("ConfigOptionEquals", vec![S, S], move |_, a| {
        Ok(Value::Bool(option(&v, a.str_arg(0)?).is_some_and(|text| text == a.str_arg(1).unwrap_or_default())))
    });
    let v = values;
    // An unknown item is false here too, not "not equal".
    map.add("ConfigOptionNotEquals", vec![S, S], move |_, a| {
        Ok(Value::Bool(option(&v, a.str_arg(0)?).is_some_and(|text| text != a.str_arg(1).unwrap_or_default())))
    });

    let registry = context.local_registry.clone();
    let r = registry.clone();
    map.add("LocalRegistryAddress", vec![], move |_, _| {
        Ok(Value::string(match &r {
            Some(reg) if reg.namespace.is_empty() => reg.hostname.clone(),
            Some(reg) => format!("{}/{}", reg.hostname, reg.namespace),
            None => String::new(),
        }))
    });
    let r = registry.clone();
    map.add("LocalRegistryHost", vec![], move |_, _| {
        Ok(Value::string(r.as_ref().map(|reg| reg.hostname.clone()).unwrap_or_default()))
    });
    let r = registry.clone();
    map.add("LocalRegistryNamespace", vec![], move |_, _| {
        Ok(Value::string(r.as_ref().map(|reg| reg.namespace.clone()).unwrap_or_default()))
    });
    let r = registry;
    map.add("HasLocalRegistry", vec![], move |_, _| {
        Ok(Value::Bool(r.as_ref().is_some_and(|reg| !reg.hostname.is_empty())))
    });
    let ctx = context.clone();
    map.add("LocalImageName", vec![S], move |_, a| Ok(Value::string(local_image_name(&ctx, a.str_arg(0)?))));
    let ctx = context.clone();
    map.add("LocalRegistryImagePullSecret", vec![], move |_, _| Ok(Value::string(local_registry_pull_secret(&ctx))));
    let slug = context.app_slug.clone();
    map.add("ImagePullSecretName", vec![], move |_, _| {
        Ok(Value::string(slug.as_ref().map(|s| format!("{s}-registry")).unwrap_or_default()))
    });
}

/// An image reference split as Docker reads it: registry host (`docker.io` when the first
/// component is not a host), the name as written without tag or digest, tag, digest.
struct ImageParts<'a> {
    host: &'a str,
    name: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

fn split_image(image: &str) -> ImageParts<'_> {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    let first = name.split('/').next().unwrap_or("");
    let host =
        if name.contains('/') && (first.contains(['.', ':']) || first == "localhost") { first } else { "docker.io" };
    ImageParts { host, name, tag, digest }
}

/// KOTS's `LocalImageName` (functions.md §3.2).
fn local_image_name(context: &KotsContext, image: &str) -> String {
    let parts = split_image(image);
    if let Some(registry) = context.local_registry.as_ref().filter(|r| !r.hostname.is_empty()) {
        // The last path segment, `:latest` when there is neither tag nor digest, a tag dropped
        // when a digest is there.
        let segment = parts.name.rsplit('/').next().unwrap_or(parts.name);
        let segment = match (parts.digest, parts.tag) {
            (Some(digest), _) => format!("{segment}@{digest}"),
            (None, Some(tag)) => format!("{segment}:{tag}"),
            (None, None) => format!("{segment}:latest"),
        };
        return if registry.namespace.is_empty() {
            format!("{}/{segment}", registry.hostname)
        } else {
            format!("{}/{}/{segment}", registry.hostname, registry.namespace)
        };
    }
    let proxy_public =
        context.app.as_ref().and_then(|a| a.get("proxyPublicImages")).and_then(|v| v.as_bool()).unwrap_or(false);
    if !proxy_public {
        let private = match &context.private_image {
            Some(probe) => probe(image),
            None => Some(false),
        };
        match private {
            None => return String::new(),
            Some(false) => return image.to_string(),
            Some(true) => {}
        }
    }
    let (registry_domain, proxy_domain) = registry_domains(context);
    if parts.host == registry_domain {
        return image.to_string();
    }
    if parts.host == "registry.replicated.com" && registry_domain != "registry.replicated.com" {
        return format!("{registry_domain}{}", &image[parts.host.len()..]);
    }
    let slug = context.license.as_ref().and_then(|l| l.get("appSlug")).and_then(|v| v.as_str()).unwrap_or("");
    let suffix = match (parts.digest, parts.tag) {
        (Some(digest), _) => format!("@{digest}"),
        (None, Some(tag)) => format!(":{tag}"),
        (None, None) => ":latest".to_string(),
    };
    format!("{proxy_domain}/proxy/{slug}/{}{suffix}", parts.name)
}

/// KOTS's `LocalRegistryImagePullSecret`: the local registry's credentials, else the license's
/// for the registry and proxy domains; std base64 of the `.dockerconfigjson`.
fn local_registry_pull_secret(context: &KotsContext) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut auths = BTreeMap::new();
    match context.local_registry.as_ref().filter(|r| !r.hostname.is_empty()) {
        Some(registry) => {
            let host = registry.hostname.split('/').next().unwrap_or("").to_string();
            let auth = b64.encode(format!("{}:{}", registry.username, registry.password));
            auths.insert(host, serde_json::json!({ "auth": auth }));
        }
        None => {
            let id = context.license.as_ref().and_then(|l| l.get("licenseID")).and_then(|v| v.as_str()).unwrap_or("");
            let auth = b64.encode(format!("LICENSE_ID:{id}"));
            let (registry, proxy) = registry_domains(context);
            for domain in [proxy, registry] {
                auths.insert(domain, serde_json::json!({ "auth": auth }));
            }
        }
    }
    b64.encode(serde_json::json!({ "auths": auths }).to_string())
}

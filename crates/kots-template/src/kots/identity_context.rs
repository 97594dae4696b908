//! KOTS's identity context (`identity_context.go`): the identity service (Dex) KOTS can run
//! for the application, from the `kots.io/v1beta1` IdentityConfig and the application's slug.
//! Registered only for the full builder: config items cannot call these (KOTS's config
//! builder has no identity context, so such a call is a parse error there and the item "").

use std::collections::BTreeMap;

use super::KotsContext;
use crate::func::{FuncError, FuncMap};
use crate::value::{GoType, Map, Value};

pub(super) fn register(map: &mut FuncMap, context: &KotsContext) {
    let spec = context.identity_config.as_ref().map(|c| c["spec"].clone());
    let s = spec.clone();
    map.add("IdentityServiceEnabled", vec![], move |_, _| {
        Ok(Value::Bool(s.as_ref().and_then(|s| s["enabled"].as_bool()).unwrap_or(false)))
    });
    let s = spec.clone();
    map.add("IdentityServiceClientID", vec![], move |_, _| {
        Ok(Value::string(s.as_ref().and_then(|s| s["clientID"].as_str()).unwrap_or("")))
    });
    let s = spec.clone();
    let key = context.encryption_key.clone();
    map.add("IdentityServiceClientSecret", vec![], move |_, _| {
        let Some(secret) = s.as_ref().map(|s| &s["clientSecret"]) else { return Ok(Value::string("")) };
        // `valueEncrypted` wins when present; decrypting it needs the API encryption key.
        match secret["valueEncrypted"].as_str().filter(|v| !v.is_empty()) {
            Some(encrypted) => {
                let key = key.as_deref().ok_or_else(|| FuncError::new("no decryption ciphers loaded"))?;
                super::crypto::decrypt(key, encrypted)
                    .map(Value::string)
                    .map_err(|e| FuncError::new(format!("failed to decrypt client secret: {e}")))
            }
            None => Ok(Value::string(secret["value"].as_str().unwrap_or(""))),
        }
    });
    let s = spec;
    map.add("IdentityServiceRoles", vec![], move |_, _| {
        // map[string][]string: group id → role ids.
        let mut roles = BTreeMap::new();
        for group in s.as_ref().and_then(|s| s["groups"].as_array()).into_iter().flatten() {
            let ids = group["roleIds"].as_array().into_iter().flatten().filter_map(|r| r.as_str());
            roles.insert(group["id"].as_str().unwrap_or("").to_string(), Value::string_list(ids));
        }
        Ok(Value::Map(Map::new(roles, GoType::Slice(Box::new(GoType::String)))))
    });
    let slug = context.app_slug.clone();
    map.add("IdentityServiceName", vec![], move |_, _| {
        Ok(Value::string(slug.as_ref().map(|s| format!("{s}-dex")).unwrap_or_default()))
    });
    let slug = context.app_slug.clone();
    map.add("IdentityServicePort", vec![], move |_, _| Ok(Value::string(if slug.is_some() { "5556" } else { "" })));
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::kots::{self, KotsContext};

    fn render(ctx: &KotsContext, text: &str) -> Result<String, crate::Error> {
        kots::render("t", text, &Arc::new(kots::funcs(ctx)))
    }

    #[test]
    fn roles_print_as_a_go_map_and_an_encrypted_secret_is_decrypted() {
        let key = kots::crypto::generate_key();
        let ctx = KotsContext {
            identity_config: Some(serde_json::json!({ "spec": {
                "enabled": true,
                "groups": [{ "id": "admins", "roleIds": ["a", "b"] }, { "id": "ops", "roleIds": ["c"] }],
                "clientSecret": { "value": "plain", "valueEncrypted": kots::crypto::encrypt(&key, "sealed").unwrap() },
            }})),
            encryption_key: Some(key),
            ..KotsContext::default()
        };
        assert_eq!(render(&ctx, "{{repl IdentityServiceRoles }}").unwrap(), "map[admins:[a b] ops:[c]]");
        assert_eq!(render(&ctx, "{{repl IdentityServiceClientSecret }}").unwrap(), "sealed");
        let no_key = KotsContext { encryption_key: None, ..ctx };
        assert!(render(&no_key, "{{repl IdentityServiceClientSecret }}").is_err(), "cannot decrypt: an error");
        assert_eq!(render(&KotsContext::default(), "{{repl IdentityServiceName }}|").unwrap(), "|");
    }
}

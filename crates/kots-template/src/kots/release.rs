//! A release's own part of the context: its Application, and its Config's items resolved with
//! the customer's values. Shared by everything that renders a release as a pull does (`pull`,
//! `kubectl kots template`, the vendor's checks at upload and its airgap bundles), so that they
//! all see the same values.

use std::collections::BTreeMap;

use super::{ConfigItemValue, KotsContext};
use crate::Error;

/// `context` with the release's Application and its Config's items resolved (in dependency
/// order, `given` kept for editable items), from the release's parsed YAML documents (those
/// that parse before rendering: a Config or Application must).
pub fn with_release(
    mut context: KotsContext,
    documents: &[serde_json::Value],
    given: &BTreeMap<String, ConfigItemValue>,
) -> Result<KotsContext, Error> {
    let mut groups = serde_json::Value::Null;
    for document in documents {
        let kots = document["apiVersion"].as_str().unwrap_or("").starts_with("kots.io/");
        match document["kind"].as_str() {
            Some("Config") if kots => groups = document["spec"]["groups"].clone(),
            Some("Application") if kots => context.app = Some(document["spec"].clone()),
            _ => {}
        }
    }
    context.config_values = super::resolve_config(&groups, given, &context)?;
    Ok(context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_config_resolves_with_the_given_values_and_the_application_is_read() {
        let documents = [
            json!({"apiVersion": "kots.io/v1beta1", "kind": "Application", "spec": {"title": "Shop"}}),
            json!({"apiVersion": "kots.io/v1beta1", "kind": "Config", "spec": {"groups": [{"name": "g", "items": [
                {"name": "host", "type": "text", "default": "a.example"},
                {"name": "url", "type": "text", "default": "https://repl{{ ConfigOption \"host\" }}/"},
            ]}]}}),
        ];
        let given =
            BTreeMap::from([("host".to_owned(), ConfigItemValue { value: "b.example".into(), ..Default::default() })]);
        let context = with_release(KotsContext::default(), &documents, &given).unwrap();
        assert_eq!(context.app.unwrap()["title"], "Shop");
        assert_eq!(context.config_values["url"].default, "https://b.example/");
        assert_eq!(context.config_values["host"].value, "b.example");
    }
}

//! The whole Config document as KOTS renders it (`pkg/config` `TemplateConfigObjects`), the copy
//! KOTS keeps in `kotsKinds/`: the items resolved, their values written back into the Config,
//! the Config written out as YAML, and that **text** rendered with the full builder, which is
//! when `title`, `help_text`, `when` and the rest get their values. Rendering the text (not
//! each field) is what KOTS does, and it shows: blank lines a false `if` leaves at the end of a
//! `|-` block vanish under YAML's chomping (functions.md, "The whole Config document").

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::{ConfigItemValue, KotsContext};
use crate::Error;

/// Renders a `kots.io/v1beta1` Config as KOTS does for its `kotsKinds/` copy: items resolved
/// with `base.config_values` as the given values ([`super::resolve_config`]), each item's value,
/// default and filename written back, repeatable items' instances collected (`valuesByGroup`,
/// `countByGroup`), then the document rendered as YAML text and read back as a Config (fields
/// KOTS's Config type does not have are dropped, as KOTS's decoding drops them).
pub fn render_config_document(config: &Json, base: &KotsContext) -> Result<Json, Error> {
    let kind = (config["apiVersion"].as_str(), config["kind"].as_str());
    if kind != (Some("kots.io/v1beta1"), Some("Config")) {
        return Err(Error::Kots(format!("expected a kots.io/v1beta1 Config, but found {kind:?}")));
    }
    let config = config_object(config);
    let values = super::resolve_config(&config["spec"]["groups"], &base.config_values, base)?;
    let applied = apply_values(&config, &values, base);
    let text = super::yaml::emit_document(&applied);
    let context = KotsContext { config_values: values, ..base.clone() };
    let rendered = super::render("config", &text, &Arc::new(super::funcs(&context)))?;
    let parsed: Json = serde_saphyr::from_str(&rendered)
        .map_err(|e| Error::Kots(format!("failed to decode config data: {e}\n{rendered}")))?;
    Ok(config_object(&parsed))
}

/// KOTS's `ApplyValuesToConfig`.
fn apply_values(config: &Json, values: &BTreeMap<String, ConfigItemValue>, base: &KotsContext) -> Json {
    let mut config = config.clone();
    // Values stored again as items lost their `repeatableItem` when resolved.
    let item_names: std::collections::BTreeSet<String> = config["spec"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["items"].as_array().into_iter().flatten())
        .filter_map(|i| i["name"].as_str().map(str::to_string))
        .collect();
    let Some(groups) = config["spec"]["groups"].as_array_mut() else { return config };
    for group in groups {
        let group_name = group["name"].as_str().unwrap_or("").to_string();
        let Some(items) = group.get_mut("items").and_then(Json::as_array_mut) else { continue };
        for item in items {
            let name = item["name"].as_str().unwrap_or("").to_string();
            if item["repeatable"].as_bool() == Some(true) {
                collect_repeatable(item, &name, &group_name, values, base, &item_names);
            }
            if let Some(value) = values.get(&name) {
                item["value"] = Json::String(value.value.clone());
                item["default"] = Json::String(value.default.clone());
                if !value.filename.is_empty() {
                    item["filename"] = Json::String(value.filename.clone());
                }
            }
            let mut child_filename = None;
            for child in item.get_mut("items").and_then(Json::as_array_mut).into_iter().flatten() {
                let Some(value) = child["name"].as_str().and_then(|n| values.get(n)) else { continue };
                child["value"] = Json::String(value.value.clone());
                child["default"] = Json::String(value.default.clone());
                if !value.filename.is_empty() {
                    child_filename = Some(value.filename.clone());
                }
            }
            // KOTS writes a child's filename on the parent item.
            if let Some(filename) = child_filename {
                item["filename"] = Json::String(filename);
            }
        }
    }
    config
}

/// A repeatable item's instances: the given values whose `repeatableItem` names it, under
/// `valuesByGroup[group]`, counted in `countByGroup`, padded with generated names
/// (`<item>-<8 hex>`, value "") up to `minimumCount` (at least one), as `CreateVariadicValues`.
fn collect_repeatable(
    item: &mut Json,
    name: &str,
    group: &str,
    values: &BTreeMap<String, ConfigItemValue>,
    base: &KotsContext,
    item_names: &std::collections::BTreeSet<String>,
) {
    let mut by_group: Map<String, Json> = item["valuesByGroup"].as_object().cloned().unwrap_or_default();
    let mut in_group: Map<String, Json> = by_group.get(group).and_then(Json::as_object).cloned().unwrap_or_default();
    for (value_name, item_name) in &base.repeatable_items {
        if item_name == name && values.contains_key(value_name) && !item_names.contains(value_name) {
            in_group.insert(value_name.clone(), Json::String(values[value_name].value.clone()));
        }
    }
    let minimum = item["minimumCount"].as_u64().unwrap_or(0) as usize;
    let wanted = if minimum != 0 && in_group.len() < minimum { minimum } else { in_group.len().max(1) };
    while in_group.len() < wanted {
        let short = uuid::Uuid::new_v4().to_string()[..8].to_string();
        in_group.insert(format!("{name}-{short}"), Json::String(String::new()));
    }
    let mut counts: Map<String, Json> = item["countByGroup"].as_object().cloned().unwrap_or_default();
    by_group.insert(group.to_string(), Json::Object(in_group));
    for (g, v) in &by_group {
        counts.insert(g.clone(), Json::from(v.as_object().map_or(0, Map::len)));
    }
    item["valuesByGroup"] = Json::Object(by_group);
    item["countByGroup"] = Json::Object(counts);
}

/// A YAML/JSON value for a Go `string` field: scalars as text.
fn text(v: &Json) -> Option<Json> {
    match v {
        Json::String(s) => Some(Json::String(s.clone())),
        Json::Bool(b) => Some(Json::String(b.to_string())),
        Json::Number(n) => Some(Json::String(n.to_string())),
        _ => None,
    }
}

/// KOTS's `BoolOrString`: a bool stays a bool, anything else is text.
fn bool_or_string(v: &Json) -> Option<Json> {
    match v {
        Json::Bool(b) => Some(Json::Bool(*b)),
        other => text(other),
    }
}

type Field = (&'static str, fn(&Json) -> Option<Json>);

fn boolean(v: &Json) -> Option<Json> {
    v.as_bool().map(Json::Bool)
}

fn integer(v: &Json) -> Option<Json> {
    v.as_i64().map(Json::from)
}

fn strings(v: &Json) -> Option<Json> {
    v.as_array().map(|a| Json::Array(a.iter().filter_map(text).collect()))
}

fn string_map(v: &Json) -> Option<Json> {
    v.as_object().map(|m| Json::Object(m.iter().filter_map(|(k, v)| Some((k.clone(), text(v)?))).collect()))
}

fn int_map(v: &Json) -> Option<Json> {
    v.as_object().map(|m| Json::Object(m.iter().filter_map(|(k, v)| Some((k.clone(), integer(v)?))).collect()))
}

fn values_by_group(v: &Json) -> Option<Json> {
    v.as_object().map(|m| Json::Object(m.iter().filter_map(|(k, v)| Some((k.clone(), string_map(v)?))).collect()))
}

fn list_of(fields: &'static [Field]) -> impl Fn(&Json) -> Option<Json> {
    move |v| v.as_array().map(|a| Json::Array(a.iter().map(|x| object(x, fields)).collect()))
}

fn child_items(v: &Json) -> Option<Json> {
    list_of(CHILD_FIELDS)(v)
}

fn templates(v: &Json) -> Option<Json> {
    list_of(TEMPLATE_FIELDS)(v)
}

fn items(v: &Json) -> Option<Json> {
    list_of(ITEM_FIELDS)(v)
}

fn groups(v: &Json) -> Option<Json> {
    list_of(GROUP_FIELDS)(v)
}

fn validation(v: &Json) -> Option<Json> {
    let regex = v.get("regex")?;
    Some(serde_json::json!({ "regex": object(regex, &[("message", text), ("pattern", text)]) }))
}

fn verbatim(v: &Json) -> Option<Json> {
    Some(v.clone())
}

const CHILD_FIELDS: &[Field] = &[
    ("name", text),
    ("title", text),
    ("recommended", boolean),
    ("default", bool_or_string),
    ("value", bool_or_string),
];

const TEMPLATE_FIELDS: &[Field] =
    &[("apiVersion", text), ("kind", text), ("name", text), ("namespace", text), ("yamlPath", text)];

/// kotskinds' `ConfigItem` fields (JSON names and types).
const ITEM_FIELDS: &[Field] = &[
    ("name", text),
    ("type", text),
    ("title", text),
    ("help_text", text),
    ("recommended", boolean),
    ("default", bool_or_string),
    ("value", bool_or_string),
    ("data", text),
    ("error", text),
    ("multi_value", strings),
    ("readonly", boolean),
    ("write_once", boolean),
    ("when", text),
    ("multiple", boolean),
    ("hidden", boolean),
    ("affix", text),
    ("required", boolean),
    ("items", child_items),
    ("filename", text),
    ("repeatable", boolean),
    ("minimumCount", integer),
    ("countByGroup", int_map),
    ("templates", templates),
    ("valuesByGroup", values_by_group),
    ("validation", validation),
];

const GROUP_FIELDS: &[Field] =
    &[("name", text), ("title", text), ("description", text), ("when", text), ("items", items)];

fn object(v: &Json, fields: &[Field]) -> Json {
    let mut out = Map::new();
    for (name, convert) in fields {
        if let Some(value) = v.get(*name).and_then(convert) {
            out.insert((*name).to_string(), value);
        }
    }
    Json::Object(out)
}

/// A Config as KOTS's typed decoding leaves it: only kotskinds' Config fields, each converted
/// to its Go type (`when` and the other strings as text, `default`/`value` bool or text).
pub(crate) fn config_object(config: &Json) -> Json {
    let spec: &[Field] = &[("groups", groups)];
    let mut out = object(config, &[("apiVersion", text), ("kind", text), ("metadata", verbatim)]);
    out["spec"] = object(&config["spec"], spec);
    out["status"] = Json::Object(Map::new());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeatable_items_are_padded_and_foreign_fields_dropped() {
        let config = serde_json::json!({
            "apiVersion": "kots.io/v1beta1",
            "kind": "Config",
            "metadata": { "name": "c" },
            "spec": { "groups": [{
                "name": "g",
                "title": "repl{{ ConfigOption \"t\" }}",
                "when": false,
                "notAField": 1,
                "items": [
                    { "name": "r", "type": "text", "repeatable": true, "minimumCount": 2, "count": 9 },
                    { "name": "t", "type": "text", "default": "T" },
                    { "name": "s", "type": "select_one", "items": [{ "name": "o1", "title": "O", "bogus": 1 }] },
                ],
            }]},
        });
        let base = KotsContext {
            config_values: [("o1".to_string(), ConfigItemValue { value: "1".to_string(), ..Default::default() })]
                .into(),
            ..KotsContext::default()
        };
        let doc = render_config_document(&config, &base).unwrap();
        let group = &doc["spec"]["groups"][0];
        assert_eq!(group["title"], "T", "rendered after the items resolved");
        assert_eq!(group["when"], "false", "a YAML false is the text false");
        assert!(group.get("notAField").is_none());
        let r = &group["items"][0];
        assert!(r.get("count").is_none());
        assert_eq!(r["countByGroup"]["g"], 2);
        let names: Vec<&String> = r["valuesByGroup"]["g"].as_object().unwrap().keys().collect();
        assert_eq!(names.len(), 2);
        assert!(names.iter().all(|n| n.len() == "r-".len() + 8 && n.starts_with("r-")), "{names:?}");
        let option = &group["items"][2]["items"][0];
        assert_eq!(option["value"], "1", "a child option's given value is written back");
        assert!(option.get("bogus").is_none());
        assert_eq!(doc["status"], serde_json::json!({}));
    }

    #[test]
    fn a_render_error_in_the_document_is_an_error() {
        let config = serde_json::json!({
            "apiVersion": "kots.io/v1beta1", "kind": "Config",
            "spec": { "groups": [{ "name": "g", "title": "repl{{ fail \"no\" }}" }] },
        });
        assert!(render_config_document(&config, &KotsContext::default()).is_err());
        let values = serde_json::json!({ "apiVersion": "kots.io/v1beta1", "kind": "ConfigValues" });
        assert!(render_config_document(&values, &KotsContext::default()).is_err(), "only a Config");
    }
}

//! Resolving a Config's items as KOTS does (`pkg/template/config_context.go`, `depgraph.go`;
//! functions.md §4-5): find which items each item's `default` and `value` refer to, then render
//! them round by round, an item only once everything it refers to is final.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use super::{ConfigItemValue, KotsContext};
use crate::Error;
use crate::func::{ArgsExt, FuncMap};
use crate::value::{GoType, Value};

/// A top-level config item, as resolution reads it.
struct Item {
    name: String,
    kind: String,
    default: String,
    value: String,
    filename: String,
    readonly: bool,
}

/// The types whose value the customer sets (so a value given for them is kept, not rendered).
const EDITABLE: &[&str] =
    &["", "text", "textarea", "password", "file", "bool", "select", "select_one", "select_many", "radio", "dropdown"];

/// A `default:`/`value:` as text: KOTS's BoolOrString reads a YAML boolean as `1`/`0`.
fn text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn items(groups: &serde_json::Value) -> Vec<Item> {
    let mut out = Vec::new();
    for group in groups.as_array().into_iter().flatten() {
        for item in group["items"].as_array().into_iter().flatten() {
            out.push(Item {
                name: item["name"].as_str().unwrap_or("").to_string(),
                kind: item["type"].as_str().unwrap_or("").to_string(),
                default: text(&item["default"]),
                value: text(&item["value"]),
                filename: text(&item["filename"]),
                readonly: item["readonly"].as_bool().unwrap_or(false),
            });
        }
    }
    out
}

/// The items `text` refers to through the `ConfigOption*` functions: rendered with a builder
/// that knows only those (and records their first argument); if that fails, KOTS's fallback
/// regex over the text, each match rendered alone.
fn references(text: &str) -> BTreeSet<String> {
    let found = Arc::new(Mutex::new(BTreeSet::new()));
    let mut funcs = FuncMap::new();
    for (name, arity) in [
        ("ConfigOption", 1),
        ("ConfigOptionIndex", 1),
        ("ConfigOptionData", 1),
        ("ConfigOptionFilename", 1),
        ("ConfigOptionEquals", 2),
        ("ConfigOptionNotEquals", 2),
    ] {
        let found = found.clone();
        funcs.add(name, vec![GoType::String; arity], move |_, a| {
            let item = a.str_arg(0)?.to_string();
            found.lock().unwrap_or_else(|p| p.into_inner()).insert(item.clone());
            Ok(Value::string(item))
        });
    }
    let funcs = Arc::new(funcs);
    if super::render("depgraph", text, &funcs).is_err() {
        found.lock().unwrap_or_else(|p| p.into_inner()).clear();
        let fallback = regex::Regex::new(
            r#"(?:ConfigOption|ConfigOptionIndex|ConfigData|ConfigOptionFilename|ConfigOptionEquals|ConfigOptionNotEquals) +"[^"]+""#,
        )
        .expect("the fallback pattern");
        for m in fallback.find_iter(text) {
            let _ = super::render("depgraph", &format!("repl{{{{ {} }}}}", m.as_str()), &funcs);
        }
    }
    found.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Resolves the items of a Config's `spec.groups` against the values already given
/// (ConfigValues, or the previous pull's), rendering with `base`'s other contexts. Returns
/// every item's value, default and filename, and the given values that are not items,
/// untouched.
pub fn resolve_config(
    groups: &serde_json::Value,
    existing: &BTreeMap<String, ConfigItemValue>,
    base: &KotsContext,
) -> Result<BTreeMap<String, ConfigItemValue>, Error> {
    let items = items(groups);
    let names: BTreeSet<String> = items.iter().map(|i| i.name.clone()).collect();
    let mut depends: BTreeMap<String, BTreeSet<String>> = items
        .iter()
        .map(|i| {
            let mut refs = references(&i.default);
            refs.extend(references(&i.value));
            refs.remove(&i.name);
            (i.name.clone(), refs)
        })
        .collect();
    let mut values = existing.clone();
    let mut remaining: BTreeSet<String> = names.clone();
    let mut first_round = true;
    while !remaining.is_empty() {
        let heads: Vec<String> = remaining
            .iter()
            .filter(|name| {
                depends.get(*name).is_none_or(|refs| refs.iter().all(|r| !remaining.contains(r) && names.contains(r)))
            })
            .cloned()
            .collect();
        if first_round {
            // KOTS drops references to items that do not exist only after its first lookup.
            for refs in depends.values_mut() {
                refs.retain(|r| names.contains(r));
            }
            first_round = false;
        }
        if heads.is_empty() {
            let blocked: Vec<String> = remaining
                .iter()
                .flat_map(|name| {
                    depends.get(name).into_iter().flatten().map(move |dep| format!("{name:?} depends on {dep:?}"))
                })
                .collect();
            return Err(Error::ConfigDependencies { blocked: blocked.join("; ") });
        }
        // The heads of a round refer to none of each other: one set of functions, built over
        // the values as they stand, serves them all.
        let context = KotsContext { config_values: values.clone(), ..base.clone() };
        let funcs = Arc::new(super::funcs(&context));
        for name in heads {
            if let Some(item) = items.iter().find(|i| i.name == name) {
                let resolved = render_item(item, &values, &funcs);
                values.insert(name.clone(), resolved);
            }
            remaining.remove(&name);
        }
    }
    Ok(values)
}

/// One item: its default always rendered; its value and filename kept when the customer set
/// them on an editable item, else rendered from the Config. A render error leaves "".
fn render_item(item: &Item, values: &BTreeMap<String, ConfigItemValue>, funcs: &Arc<FuncMap>) -> ConfigItemValue {
    let render = |text: &str| super::render(&item.name, text, funcs).unwrap_or_default();
    let default = render(&item.default);
    let editable = EDITABLE.contains(&item.kind.as_str()) && !item.readonly;
    match values.get(&item.name) {
        Some(given) if editable => {
            ConfigItemValue { value: given.value.clone(), default, filename: given.filename.clone() }
        }
        _ => ConfigItemValue { value: render(&item.value), default, filename: render(&item.filename) },
    }
}

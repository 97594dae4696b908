//! Resolving a Config's items as KOTS does (`pkg/template/config_context.go`, `depgraph.go`;
//! functions.md §4-5): find which items each item's `default` and `value` refer to
//! ([`DepGraph`]), then render them round by round, an item only once everything it refers to
//! is final.

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

/// The dependency graph of a Config's items, as KOTS's `depGraph` builds and walks it: for each
/// item, the items it still waits for. [`resolve_config`] renders through it, round by round;
/// it is public so that the order can be checked on its own (KOTS's `depgraph_test.go`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepGraph {
    dependencies: BTreeMap<String, BTreeSet<String>>,
    items: BTreeSet<String>,
}

/// What the scanner records while an item's templates run (KOTS's `depGraph` fields).
#[derive(Default)]
struct Scan {
    deps: BTreeMap<String, BTreeSet<String>>,
    /// Cert name → items that provide it (`TLSCert`).
    certs: BTreeMap<String, BTreeSet<String>>,
    /// Item → cert names whose key it uses (`TLSKey`).
    keys: BTreeMap<String, BTreeSet<String>>,
    /// CA name → items that provide it (`TLSCACert`).
    cas: BTreeMap<String, BTreeSet<String>>,
    /// CA name + cert name → items that provide the pair (`TLSCertFromCA`).
    certs_from_ca: BTreeMap<String, BTreeSet<String>>,
    /// Item → CA names (`TLSKeyFromCA`).
    ca_of_key: BTreeMap<String, BTreeSet<String>>,
    /// Item → CA name + cert name (`TLSKeyFromCA`).
    pair_of_key: BTreeMap<String, BTreeSet<String>>,
}

fn add(map: &mut BTreeMap<String, BTreeSet<String>>, key: &str, value: &str) {
    map.entry(key.to_string()).or_default().insert(value.to_string());
}

/// The scanning builder's functions for `item` (KOTS's `depGraph.funcMap`): each records what
/// it sees and returns its first relevant argument; extra arguments are ignored.
fn scan_funcs(item: &str, scan: &Arc<Mutex<Scan>>) -> FuncMap {
    type Record = fn(&mut Scan, &str, &[String]);
    let records: [(&str, usize, Record); 11] = [
        ("ConfigOption", 1, |s, item, a| add(&mut s.deps, item, &a[0])),
        ("ConfigOptionIndex", 1, |s, item, a| add(&mut s.deps, item, &a[0])),
        ("ConfigOptionData", 1, |s, item, a| add(&mut s.deps, item, &a[0])),
        ("ConfigOptionFilename", 1, |s, item, a| add(&mut s.deps, item, &a[0])),
        ("ConfigOptionEquals", 1, |s, item, a| add(&mut s.deps, item, &a[0])),
        ("ConfigOptionNotEquals", 1, |s, item, a| add(&mut s.deps, item, &a[0])),
        ("TLSCACert", 1, |s, item, a| add(&mut s.cas, &a[0], item)),
        ("TLSCert", 1, |s, item, a| add(&mut s.certs, &a[0], item)),
        ("TLSCertFromCA", 2, |s, item, a| add(&mut s.certs_from_ca, &format!("{}{}", a[0], a[1]), item)),
        ("TLSKey", 1, |s, item, a| add(&mut s.keys, item, &a[0])),
        ("TLSKeyFromCA", 2, |s, item, a| {
            add(&mut s.ca_of_key, item, &a[0]);
            add(&mut s.pair_of_key, item, &format!("{}{}", a[0], a[1]));
        }),
    ];
    let mut funcs = FuncMap::new();
    for (name, fixed, record) in records {
        let (scan, item) = (scan.clone(), item.to_string());
        funcs.add_variadic(name, vec![GoType::String; fixed], GoType::String, move |_, a| {
            let args: Vec<String> = (0..fixed).map(|i| a.str_arg(i).map(str::to_string)).collect::<Result<_, _>>()?;
            record(&mut scan.lock().unwrap_or_else(|p| p.into_inner()), &item, &args);
            // TLSCertFromCA/TLSKeyFromCA return the cert name, the others their first argument.
            Ok(Value::string(args[fixed - 1].as_str()))
        });
    }
    funcs
}

/// Runs `text` through the scanning builder; if that fails (any other function is unknown
/// there), KOTS's fallback: its regex's matches, each wrapped in `repl{{ }}`, rendered
/// together. What was recorded before a failure stays, as in KOTS.
fn scan_text(text: &str, funcs: &Arc<FuncMap>) {
    if super::render("depgraph", text, funcs).is_err() {
        let fallback = regex::Regex::new(
            r#"(?:ConfigOption|ConfigOptionIndex|ConfigData|ConfigOptionFilename|ConfigOptionEquals|ConfigOptionNotEquals) +"[^"]+""#,
        )
        .expect("the fallback pattern");
        let calls: Vec<String> = fallback.find_iter(text).map(|m| format!("repl{{{{ {} }}}}", m.as_str())).collect();
        if !calls.is_empty() {
            let _ = super::render("depgraph", &calls.join(" "), funcs);
        }
    }
}

impl DepGraph {
    /// Scans every top-level item's `default` and `value` (KOTS's `ParseConfigGroup`), then adds
    /// the certificate edges: a `TLSKey` user waits for the `TLSCert` providers of that cert, a
    /// `TLSKeyFromCA` user for the CA's and the pair's providers.
    pub fn from_groups(groups: &serde_json::Value) -> DepGraph {
        DepGraph::scan(&items(groups))
    }

    fn scan(items: &[Item]) -> DepGraph {
        let scan = Arc::new(Mutex::new(Scan::default()));
        for item in items {
            scan.lock().unwrap_or_else(|p| p.into_inner()).deps.entry(item.name.clone()).or_default();
            let funcs = Arc::new(scan_funcs(&item.name, &scan));
            scan_text(&item.default, &funcs);
            scan_text(&item.value, &funcs);
        }
        let mut s = std::mem::take(&mut *scan.lock().unwrap_or_else(|p| p.into_inner()));
        let mut extra: Vec<(String, String)> = Vec::new();
        let providers = |map: &BTreeMap<String, BTreeSet<String>>, users: &BTreeMap<String, BTreeSet<String>>| {
            let mut edges = Vec::new();
            for (user, names) in users {
                for name in names {
                    for provider in map.get(name).into_iter().flatten() {
                        if provider != user {
                            edges.push((user.clone(), provider.clone()));
                        }
                    }
                }
            }
            edges
        };
        extra.extend(providers(&s.certs, &s.keys));
        extra.extend(providers(&s.cas, &s.ca_of_key));
        extra.extend(providers(&s.certs_from_ca, &s.pair_of_key));
        for (user, provider) in extra {
            add(&mut s.deps, &user, &provider);
        }
        DepGraph { dependencies: s.deps, items: items.iter().map(|i| i.name.clone()).collect() }
    }

    /// The items waiting for nothing (KOTS's `GetHeadNodes`), sorted; none while items remain
    /// is KOTS's error naming what each waits for.
    pub fn head_nodes(&self) -> Result<Vec<String>, Error> {
        let heads: Vec<String> =
            self.dependencies.iter().filter(|(_, deps)| deps.is_empty()).map(|(name, _)| name.clone()).collect();
        if heads.is_empty() && !self.dependencies.is_empty() {
            let blocked: Vec<String> = self
                .dependencies
                .iter()
                .map(|(name, deps)| {
                    let deps: Vec<String> = deps.iter().map(|d| format!("{d:?}")).collect();
                    format!("{name:?} depends on {}", deps.join(", "))
                })
                .collect();
            return Err(Error::ConfigDependencies { blocked: blocked.join("; ") });
        }
        Ok(heads)
    }

    /// Marks `name` resolved (KOTS's `ResolveDep`): it leaves the graph and nothing waits for it.
    pub fn resolve(&mut self, name: &str) {
        for deps in self.dependencies.values_mut() {
            deps.remove(name);
        }
        self.dependencies.remove(name);
    }

    /// Drops references to names that are not items (KOTS's `ResolveMissing`, which KOTS calls
    /// only after its first lookup of head nodes).
    pub fn drop_missing(&mut self) {
        let items = &self.items;
        for deps in self.dependencies.values_mut() {
            deps.retain(|d| items.contains(d));
        }
        self.dependencies.retain(|name, _| items.contains(name));
    }
}

/// Resolves the items of a Config's `spec.groups` against the values already given
/// (ConfigValues, or the previous pull's), rendering with `base`'s other contexts. Returns
/// every item's value, default and filename, and the given values that are not items,
/// untouched. With `base.decrypt_values`, a `password` item's given value is decrypted with
/// `base.encryption_key` first (left as it is when that fails, as KOTS does).
pub fn resolve_config(
    groups: &serde_json::Value,
    existing: &BTreeMap<String, ConfigItemValue>,
    base: &KotsContext,
) -> Result<BTreeMap<String, ConfigItemValue>, Error> {
    let items = items(groups);
    let mut values = existing.clone();
    if base.decrypt_values {
        for item in items.iter().filter(|i| i.kind == "password") {
            if let Some(given) = values.get_mut(&item.name).filter(|v| !v.value.is_empty())
                && let Some(plain) =
                    base.encryption_key.as_deref().and_then(|key| super::crypto::decrypt(key, &given.value).ok())
            {
                given.value = plain;
            }
        }
    }
    let mut graph = DepGraph::scan(&items);
    let mut heads = graph.head_nodes()?;
    while !heads.is_empty() {
        graph.drop_missing();
        // The heads of a round refer to none of each other: one set of functions, built over
        // the values as they stand, serves them all.
        let context = KotsContext { config_values: values.clone(), ..base.clone() };
        let funcs = Arc::new(super::config_funcs(&context));
        for name in heads {
            graph.resolve(&name);
            if let Some(item) = items.iter().find(|i| i.name == name) {
                let resolved = render_item(item, &values, &funcs);
                values.insert(name.clone(), resolved);
            }
        }
        heads = graph.head_nodes()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(items: serde_json::Value) -> serde_json::Value {
        serde_json::json!([{ "name": "g", "items": items }])
    }

    fn resolve(items: serde_json::Value, base: &KotsContext) -> Result<BTreeMap<String, ConfigItemValue>, Error> {
        resolve_config(&groups(items), &BTreeMap::new(), base)
    }

    #[test]
    fn certificate_users_wait_for_their_providers_wherever_they_are() {
        // KOTS adds the TLS edges after scanning every item, so a provider listed later counts.
        // Its scanner's functions take `(string, ...string)`: only all-string calls record.
        let graph = DepGraph::from_groups(&groups(serde_json::json!([
            { "name": "key", "value": "{{repl TLSKey \"c\" }}" },
            { "name": "ca_key", "value": "{{repl TLSKeyFromCA \"ca\" \"c\" }}" },
            { "name": "cert", "value": "{{repl TLSCert \"c\" \"cn\" }}" },
            { "name": "pair", "value": "{{repl TLSCertFromCA \"ca\" \"c\" }}" },
            { "name": "ca", "value": "{{repl TLSCACert \"ca\" }}" },
        ])));
        assert_eq!(graph.head_nodes().unwrap(), ["ca", "cert", "pair"]);
        let mut graph = graph;
        graph.resolve("cert");
        assert_eq!(graph.head_nodes().unwrap(), ["ca", "key", "pair"]);
        graph.resolve("ca");
        assert!(!graph.head_nodes().unwrap().contains(&"ca_key".to_string()), "still waits for the pair");
        graph.resolve("pair");
        assert!(graph.head_nodes().unwrap().contains(&"ca_key".to_string()));
        // With KOTS's usual arguments (nil lists, an int) the scan fails and the regex
        // fallback knows no TLS function: no edge, as in KOTS.
        let graph = DepGraph::from_groups(&groups(serde_json::json!([
            { "name": "key", "value": "{{repl TLSKey \"c\" \"cn\" nil nil 1 }}" },
            { "name": "cert", "value": "{{repl TLSCert \"c\" \"cn\" nil nil 1 }}" },
        ])));
        assert_eq!(graph.head_nodes().unwrap(), ["cert", "key"]);
    }

    #[test]
    fn unknown_functions_fall_back_to_the_regex_and_missing_names_block_the_first_round_only() {
        let mut graph = DepGraph::from_groups(&groups(serde_json::json!([
            { "name": "a", "value": "{{repl ConfigOption \"b\" | upper }}" },
            { "name": "b", "default": "{{repl ConfigOption \"nope\" }}" },
        ])));
        // `upper` is unknown to the scanner: the regex still finds `ConfigOption "b"`.
        assert!(graph.head_nodes().is_err(), "every item waits: b for a missing name");
        graph.drop_missing();
        assert_eq!(graph.head_nodes().unwrap(), ["b"]);
        // resolve_config fails the same way: nothing is ready at its first lookup.
        let err = resolve(
            serde_json::json!([
                { "name": "a", "value": "{{repl ConfigOption \"b\" | upper }}" },
                { "name": "b", "default": "{{repl ConfigOption \"nope\" }}" },
            ]),
            &KotsContext::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"b\" depends on \"nope\""), "{err}");
    }

    #[test]
    fn an_item_that_refers_to_itself_never_resolves() {
        // KOTS records the self-edge like any other: the item is never a head node.
        let err = resolve(
            serde_json::json!([{ "name": "a", "value": "x{{repl ConfigOption \"a\" }}" }]),
            &KotsContext::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"a\" depends on \"a\""), "{err}");
    }

    #[test]
    fn items_render_in_order_without_the_identity_context() {
        let base = KotsContext { app_slug: Some("app".to_string()), ..KotsContext::default() };
        let values = resolve(
            serde_json::json!([
                { "name": "b", "value": "{{repl ConfigOption \"a\" }}-b" },
                { "name": "a", "default": "A" },
                { "name": "id", "value": "{{repl IdentityServiceName }}" },
            ]),
            &base,
        )
        .unwrap();
        assert_eq!(values["b"].value, "A-b");
        assert_eq!(values["id"].value, "", "Identity* is not defined for config items");
    }

    #[test]
    fn password_values_are_decrypted_only_when_asked_and_only_when_they_open() {
        let key = super::super::crypto::generate_key();
        let sealed = super::super::crypto::encrypt(&key, "secret").unwrap();
        let items = serde_json::json!([
            { "name": "p", "type": "password" },
            { "name": "q", "type": "password" },
            { "name": "t", "type": "text" },
        ]);
        let given: BTreeMap<String, ConfigItemValue> = ["p", "q", "t"]
            .iter()
            .map(|n| {
                let value = if *n == "q" { "not-encrypted".to_string() } else { sealed.clone() };
                (n.to_string(), ConfigItemValue { value, ..Default::default() })
            })
            .collect();
        let base = KotsContext { encryption_key: Some(key.clone()), decrypt_values: true, ..KotsContext::default() };
        let values = resolve_config(&groups(items.clone()), &given, &base).unwrap();
        assert_eq!(values["p"].value, "secret");
        assert_eq!(values["q"].value, "not-encrypted", "left as it is");
        assert_eq!(values["t"].value, sealed, "only password items");
        let off = KotsContext { decrypt_values: false, ..base };
        assert_eq!(resolve_config(&groups(items), &given, &off).unwrap()["p"].value, sealed);
    }
}

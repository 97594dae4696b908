//! Values as Helm makes them (`pkg/chart/common/util` `CoalesceValues`, `ToRenderValues`,
//! `pkg/chart/v2/util/dependencies.go` `ProcessDependencies`): the user's values over the
//! chart's defaults, each subchart's under its name (or alias), `global` shared down, `null`
//! deleting a default, dependencies turned off by `condition` and `tags`, `import-values`
//! copied up; then `values.schema.json` checked.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value;

use crate::Error;
use crate::chart::is_compatible_range;
use crate::chart::{Chart, Dependency};

/// `values.yaml` (or a user's values file) as Helm's `LoadValues` reads it: every YAML document
/// of the file (split as Kubernetes' YAML reader does, at `---` lines) read with Helm's reader
/// and merged in order (maps recursively, anything else replaced); each document must be a map.
pub fn load_values(data: &[u8]) -> Result<Value, String> {
    let text = String::from_utf8_lossy(data);
    let mut out = serde_json::Map::new();
    for doc in split_documents(&text)? {
        // Any value (a non-map is refused below, in Helm's words).
        let value = crate::yaml::unmarshal_json(&doc).map_err(|e| format!("cannot unmarshal yaml document: {e}"))?;
        match value {
            Value::Null => {}
            Value::Object(map) => merge_maps(&mut out, map),
            other => {
                let kind = match other {
                    Value::Array(_) => "array",
                    Value::String(_) => "string",
                    Value::Number(_) => "number",
                    _ => "bool",
                };
                return Err(format!(
                    "cannot unmarshal yaml document: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
                ));
            }
        }
    }
    Ok(Value::Object(out))
}

/// k8s.io/apimachinery's `YAMLReader`: a line starting with `---` and holding only blanks or a
/// comment after it ends a document.
fn split_documents(text: &str) -> Result<Vec<String>, String> {
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("---") {
            let trimmed = rest.trim();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                return Err(format!("error reading yaml document: invalid Yaml document separator: {trimmed}"));
            }
            if !current.is_empty() {
                docs.push(std::mem::take(&mut current));
            }
            continue;
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        docs.push(current);
    }
    Ok(docs)
}

/// Helm's `MergeMaps`: maps merged recursively, anything else replaced.
fn merge_maps(dst: &mut serde_json::Map<String, Value>, src: serde_json::Map<String, Value>) {
    for (k, v) in src {
        match (dst.get_mut(&k), v) {
            (Some(Value::Object(d)), Value::Object(s)) => merge_maps(d, s),
            (_, v) => {
                dst.insert(k, v);
            }
        }
    }
}

/// A Go `map[string]interface{}`: shared by reference, as Helm's coalescing relies on (a
/// shallow `copyMap` of globals shares the nested maps, and changes show through).
type GoMap = Rc<RefCell<std::collections::BTreeMap<String, Go>>>;

/// A value as Helm's coalescing code holds it: nil, a map (by reference), or anything else
/// (lists and scalars, never changed in place).
#[derive(Clone, Debug)]
enum Go {
    Nil,
    Map(GoMap),
    Other(Value),
}

impl Go {
    fn from_json(v: &Value) -> Go {
        match v {
            Value::Null => Go::Nil,
            Value::Object(m) => {
                Go::Map(Rc::new(RefCell::new(m.iter().map(|(k, v)| (k.clone(), Go::from_json(v))).collect())))
            }
            other => Go::Other(other.clone()),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Go::Nil => Value::Null,
            Go::Map(m) => map_to_json(m),
            Go::Other(v) => v.clone(),
        }
    }

    fn as_map(&self) -> Option<&GoMap> {
        match self {
            Go::Map(m) => Some(m),
            _ => None,
        }
    }

    fn is_nil(&self) -> bool {
        matches!(self, Go::Nil)
    }
}

fn map_to_json(m: &GoMap) -> Value {
    Value::Object(m.borrow().iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

fn new_map() -> GoMap {
    Rc::new(RefCell::new(std::collections::BTreeMap::new()))
}

/// `copystructure.Copy` of a values map: a deep copy.
fn deep_copy(m: &GoMap) -> GoMap {
    match Go::from_json(&map_to_json(m)) {
        Go::Map(m) => m,
        _ => new_map(),
    }
}

fn map_from_json(v: &Value) -> GoMap {
    match Go::from_json(v) {
        Go::Map(m) => m,
        _ => new_map(),
    }
}

fn get(m: &GoMap, key: &str) -> Option<Go> {
    m.borrow().get(key).cloned()
}

fn set(m: &GoMap, key: &str, v: Go) {
    m.borrow_mut().insert(key.to_owned(), v);
}

fn entries(m: &GoMap) -> Vec<(String, Go)> {
    m.borrow().iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn concat_prefix(a: &str, b: &str) -> String {
    if a.is_empty() { b.to_owned() } else { format!("{a}.{b}") }
}

const GLOBAL: &str = "global";

/// Helm's `CoalesceValues` (merge false) or `MergeValues` (merge true): a copy of `vals` with
/// the chart's defaults and its dependencies' under them.
fn coalesce_values_of(chart: &Chart, vals: &GoMap, merge: bool) -> Result<GoMap, Error> {
    let copy = deep_copy(vals);
    coalesce(chart, &copy, "", merge)?;
    Ok(copy)
}

fn coalesce(chart: &Chart, dest: &GoMap, prefix: &str, merge: bool) -> Result<(), Error> {
    coalesce_chart_values(chart, dest, prefix, merge);
    coalesce_deps(chart, dest, prefix, merge)
}

fn coalesce_deps(chart: &Chart, dest: &GoMap, prefix: &str, merge: bool) -> Result<(), Error> {
    for sub in &chart.dependencies {
        let name = sub.name();
        let dv = match get(dest, name) {
            None => {
                let m = new_map();
                set(dest, name, Go::Map(m.clone()));
                m
            }
            Some(Go::Map(m)) => m,
            Some(other) => {
                // Go prints a non-bool with %t as `%!t(TYPE=VALUE)`.
                return Err(Error::Values(format!("type mismatch on {name}: {}", go_percent_t(&other.to_json()))));
            }
        };
        let sub_prefix = concat_prefix(prefix, &chart.metadata.name);
        coalesce_globals(&dv, dest, &sub_prefix);
        coalesce(sub, &dv, &sub_prefix, merge)?;
        set(dest, name, Go::Map(dv));
    }
    Ok(())
}

/// Go's `%t` of a value that is not a bool (`%!t(float64=1)`), as Helm's message prints it.
fn go_percent_t(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::String(s) => format!("%!t(string={s})"),
        Value::Number(n) => format!("%!t(float64={})", go_v_float(n.as_f64().unwrap_or(0.0))),
        Value::Array(items) => format!("[{}]", items.iter().map(go_percent_t).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => {
            format!("map[{}]", m.iter().map(|(k, v)| format!("{k}:{}", go_percent_t(v))).collect::<Vec<_>>().join(" "))
        }
        Value::Null => "%!t(<nil>)".to_owned(),
    }
}

/// Go's `%v` of a float64 (`1`, `0.5`, `1e+06`).
fn go_v_float(f: f64) -> String {
    if f == 0.0 || !f.is_finite() {
        return format!("{f}");
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    format!("{f}")
}

fn coalesce_globals(dest: &GoMap, src: &GoMap, prefix: &str) {
    let dg = match get(dest, GLOBAL) {
        None => new_map(),
        Some(Go::Map(m)) => m,
        Some(_) => return,
    };
    let sg = match get(src, GLOBAL) {
        None => new_map(),
        Some(Go::Map(m)) => m,
        Some(_) => return,
    };
    for (key, val) in entries(&sg) {
        match &val {
            Go::Map(vm) => {
                // copyMap: a new top level, nested maps shared.
                let vv: GoMap = Rc::new(RefCell::new(vm.borrow().clone()));
                match get(&dg, &key) {
                    None => set(&dg, &key, Go::Map(vv)),
                    Some(Go::Map(destv)) => {
                        coalesce_tables(&vv, &destv, &concat_prefix(prefix, &key), true);
                        set(&dg, &key, Go::Map(vv));
                    }
                    Some(_) => {}
                }
            }
            _ => match get(&dg, &key) {
                Some(Go::Map(_)) => {}
                _ => set(&dg, &key, val.clone()),
            },
        }
    }
    set(dest, GLOBAL, Go::Map(dg));
}

fn coalesce_chart_values(chart: &Chart, v: &GoMap, prefix: &str, merge: bool) {
    let sub_prefix = concat_prefix(prefix, &chart.metadata.name);
    let vc = map_from_json(&chart.values);
    for (key, val) in entries(&vc) {
        match get(v, &key) {
            Some(value) => {
                if value.is_nil() && !merge {
                    v.borrow_mut().remove(&key);
                } else if let Go::Map(dest) = &value
                    && let Go::Map(src) = &val
                {
                    let merge = merge || chart.dependencies.iter().any(|d| d.name() == key);
                    // Helm v4.2.3 cleans a chart default's nils before coalescing it
                    // (checked against Helm: a chart's own `a: {b: null}` disappears).
                    if !merge {
                        clean_nil(src);
                    }
                    coalesce_tables(dest, src, &concat_prefix(&sub_prefix, &key), merge);
                }
            }
            None => {
                if !merge {
                    match &val {
                        Go::Nil => continue,
                        Go::Map(m) => clean_nil(m),
                        Go::Other(_) => {}
                    }
                }
                set(v, &key, val)
            }
        }
    }
}

/// Helm's `coalesceTablesFullKey`: `src` under `dst` (dst wins); a nil in dst deletes the key
/// when coalescing (not merging), and is copied into src first so that it does.
fn coalesce_tables(dst: &GoMap, src: &GoMap, prefix: &str, merge: bool) {
    // A nil in dst deletes only a key src really holds (not one it got from dst's nils).
    let src_non_nil: std::collections::BTreeSet<String> =
        entries(src).into_iter().filter(|(_, v)| !v.is_nil()).map(|(k, _)| k).collect();
    for (key, val) in entries(dst) {
        if val.is_nil() {
            set(src, &key, Go::Nil);
        }
    }
    for (key, val) in entries(src) {
        let full = concat_prefix(prefix, &key);
        let dv = get(dst, &key);
        match dv {
            Some(Go::Nil) if !merge && src_non_nil.contains(&key) => {
                dst.borrow_mut().remove(&key);
            }
            None => set(dst, &key, val),
            Some(dv) => {
                if let Go::Map(sv) = &val
                    && let Go::Map(dm) = &dv
                    && !Rc::ptr_eq(dm, sv)
                {
                    coalesce_tables(dm, sv, &full, merge);
                }
            }
        }
    }
}

/// Helm's `cleanNilValues`: nils removed in place, nested maps included.
fn clean_nil(m: &GoMap) {
    let nested: Vec<GoMap> = {
        let mut map = m.borrow_mut();
        map.retain(|_, v| !v.is_nil());
        map.values().filter_map(|v| v.as_map().cloned()).collect()
    };
    for n in nested {
        if !Rc::ptr_eq(&n, m) {
            clean_nil(&n);
        }
    }
}

fn coalesce_tables_plain(dst: &GoMap, src: &GoMap, merge: bool) {
    coalesce_tables(dst, src, "", merge);
}

/// Helm's `Values.Table`: the map at a dotted path.
fn table(m: &GoMap, path: &str) -> Option<GoMap> {
    let mut cur = m.clone();
    for part in path.split('.') {
        let next = get(&cur, part)?.as_map()?.clone();
        cur = next;
    }
    Some(cur)
}

/// Helm's `Values.PathValue`: a non-map value at a dotted path.
fn path_value(m: &GoMap, path: &str) -> Option<Go> {
    if path.is_empty() {
        return None;
    }
    let parts: Vec<&str> = path.split('.').collect();
    let (key, head) = parts.split_last()?;
    let t = if head.is_empty() { m.clone() } else { table(m, &head.join("."))? };
    match get(&t, key) {
        Some(Go::Map(_)) | None => None,
        Some(v) => Some(v),
    }
}

/// Helm's `processDependencyTags`: a dependency is off when one of its tags is false and none
/// is true; otherwise on.
fn process_tags(deps: &mut [Dependency], cvals: &GoMap) {
    let Some(Go::Map(tags)) = get(cvals, "tags") else { return };
    for d in deps {
        let (mut has_true, mut has_false) = (false, false);
        for tag in &d.tags {
            if let Some(Go::Other(Value::Bool(b))) = get(&tags, tag) {
                if b { has_true = true } else { has_false = true }
            }
        }
        d.enabled = has_true || !has_false;
    }
}

/// Helm's `processDependencyConditions`: the first path of the comma list that holds a bool
/// decides (paths are not trimmed one by one, as in Helm).
fn process_conditions(deps: &mut [Dependency], cvals: &GoMap, path: &str) {
    for d in deps {
        for c in d.condition.trim().split(',') {
            if c.is_empty() {
                continue;
            }
            if let Some(Go::Other(Value::Bool(b))) = path_value(cvals, &format!("{path}{c}")) {
                d.enabled = b;
                break;
            }
        }
    }
}

/// Helm's `getAliasDependency`: the loaded chart a dependency names (version in range), copied,
/// renamed to its alias.
fn alias_dependency(charts: &[Chart], dep: &Dependency) -> Option<Chart> {
    let c = charts.iter().find(|c| c.name() == dep.name && is_compatible_range(&dep.version, &c.metadata.version))?;
    let mut out = c.clone();
    if !dep.alias.is_empty() {
        out.metadata.name = dep.alias.clone();
    }
    Some(out)
}

fn process_enabled(c: &mut Chart, v: &GoMap, path: &str) -> Result<(), Error> {
    if !c.metadata.dependencies_set {
        return Ok(());
    }
    let mut chart_deps: Vec<Chart> = Vec::new();
    for existing in &c.dependencies {
        let listed = c
            .metadata
            .dependencies
            .iter()
            .any(|r| existing.name() == r.name && is_compatible_range(&r.version, &existing.metadata.version));
        if !listed {
            chart_deps.push(existing.clone());
        }
    }
    for i in 0..c.metadata.dependencies.len() {
        if let Some(dep) = alias_dependency(&c.dependencies, &c.metadata.dependencies[i]) {
            chart_deps.push(dep);
        }
        let req = &mut c.metadata.dependencies[i];
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
    }
    c.dependencies = chart_deps;
    for r in &mut c.metadata.dependencies {
        r.enabled = true;
    }
    let cvals = coalesce_values_of(c, v, false)?;
    process_tags(&mut c.metadata.dependencies, &cvals);
    process_conditions(&mut c.metadata.dependencies, &cvals, path);
    let removed: std::collections::BTreeSet<String> =
        c.metadata.dependencies.iter().filter(|r| !r.enabled).map(|r| r.name.clone()).collect();
    c.dependencies.retain(|d| !removed.contains(d.name()));
    c.metadata.dependencies.retain(|d| !removed.contains(&d.name));
    for t in &mut c.dependencies {
        let sub_path = format!("{path}{}.", t.name());
        process_enabled(t, &cvals, &sub_path)?;
    }
    // `append(nil, …)` of nothing leaves the list nil.
    c.metadata.dependencies_set = !c.metadata.dependencies.is_empty();
    Ok(())
}

/// `parent` as nested maps (`a.b` → `{a: {b: data}}`); `.` is the top.
fn path_to_map(path: &str, data: GoMap) -> GoMap {
    if path == "." {
        return data;
    }
    let mut cur = data;
    for part in path.split('.').rev() {
        let m = new_map();
        set(&m, part, Go::Map(cur));
        cur = m;
    }
    cur
}

/// Go's `fmt.Sprintf("%v", …)` of an import-values `child`/`parent`.
fn go_sprint(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "<nil>".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => go_v_float(n.as_f64().unwrap_or(0.0)),
        Some(Value::Bool(b)) => b.to_string(),
        Some(other) => go_percent_t(other).replace("%!t(float64=", "").replace("%!t(string=", "").replace(')', ""),
    }
}

fn trim_nil(m: &GoMap) -> GoMap {
    let out = new_map();
    for (k, v) in entries(m) {
        match v {
            Go::Nil => {}
            Go::Map(inner) => set(&out, &k, Go::Map(trim_nil(&inner))),
            other => set(&out, &k, Go::Other(other.to_json())),
        }
    }
    out
}

fn process_import_values(c: &mut Chart, merge: bool) -> Result<(), Error> {
    for d in &mut c.dependencies {
        process_import_values(d, merge)?;
    }
    if !c.metadata.dependencies_set || c.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let cvals = coalesce_values_of(c, &new_map(), merge)?;
    let b = new_map();
    for r in &mut c.metadata.dependencies {
        let mut out = Vec::new();
        for riv in &r.import_values {
            match riv {
                Value::Object(iv) => {
                    let child = go_sprint(iv.get("child"));
                    let parent = go_sprint(iv.get("parent"));
                    out.push(serde_json::json!({ "child": child, "parent": parent }));
                    let Some(vv) = table(&cvals, &format!("{}.{child}", r.name)) else { continue };
                    coalesce_tables_plain(&b, &path_to_map(&parent, vv), merge);
                }
                Value::String(iv) => {
                    let child = format!("exports.{iv}");
                    out.push(serde_json::json!({ "child": child, "parent": "." }));
                    let Some(vm) = table(&cvals, &format!("{}.{child}", r.name)) else { continue };
                    coalesce_tables_plain(&b, &vm, merge);
                }
                _ => {}
            }
        }
        r.import_values = out;
    }
    let values = if merge {
        let cv = deep_copy(&cvals);
        coalesce_tables_plain(&cv, &b, true);
        cv
    } else {
        let cv = trim_nil(&cvals);
        coalesce_tables_plain(&cv, &b, false);
        cv
    };
    c.values = map_to_json(&values);
    Ok(())
}

/// Whether import-values merge (Helm's `ProcessDependenciesWithMerge`, what `install` and
/// `template` use) rather than coalesce.
const IMPORT_MERGE: bool = true;

/// What Helm's install action does to values before rendering: `ProcessDependencies`
/// (conditions, tags, aliases, disabled dependencies removed from `chart`, import-values) and
/// then `CoalesceValues` of the user's values over the processed chart. Returns the top chart's
/// `.Values`; a subchart's `.Values` is the subtree under its (alias) name. `chart` is changed
/// as Helm changes it: disabled subcharts gone, aliased ones renamed, values with imports.
pub fn render_values(chart: &mut Chart, user: &Value) -> Result<Value, Error> {
    let user_map = match user {
        Value::Null => new_map(),
        Value::Object(_) => map_from_json(user),
        _ => return Err(Error::Values("values must be a map".to_owned())),
    };
    process_enabled(chart, &deep_copy(&user_map), "")?;
    process_import_values(chart, IMPORT_MERGE)?;
    crate::chart::refresh_documents(chart);
    let values = coalesce_values_of(chart, &user_map, false)?;
    Ok(map_to_json(&values))
}

mod format;
mod schema;

/// Helm's `ValidateAgainstSchema` on the processed chart (after [`render_values`]): the
/// `values.schema.json` of the chart, then of each (enabled) subchart against its subtree, the
/// reports joined under each chart's name; the error is Helm's whole text (`values don't meet
/// the specifications of the schema(s) in the following chart(s):` …).
pub fn validate_schema(chart: &Chart, values: &Value) -> Result<(), Error> {
    let report = schema_report(chart, values);
    if report.is_empty() {
        Ok(())
    } else {
        Err(Error::Values(format!(
            "values don't meet the specifications of the schema(s) in the following chart(s):\n{report}"
        )))
    }
}

fn schema_report(chart: &Chart, values: &Value) -> String {
    let mut out = String::new();
    if let Some(e) = &chart.schema_error {
        // Helm reads values.schema.json only now: a file that is not JSON fails here.
        out.push_str(&format!("{}:\n{e}", chart.name()));
    } else if let Some(s) = &chart.schema
        && let Err(e) = schema::validate_single(s, values)
    {
        out.push_str(&format!("{}:\n{e}", chart.name()));
    }
    for sub in &chart.dependencies {
        match values.get(sub.name()) {
            None | Some(Value::Null) => {}
            Some(v @ Value::Object(_)) => out.push_str(&schema_report(sub, v)),
            Some(other) => {
                let go_type = match other {
                    Value::Bool(_) => "bool",
                    Value::Number(_) => "float64",
                    Value::String(_) => "string",
                    _ => "[]interface {}",
                };
                out.push_str(&format!(
                    "{}:\ninvalid type for values: expected object (map), got {go_type}\n",
                    sub.name()
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_formatting_in_messages() {
        // Helm's texts (render.py with `sub: 1`, `sub: "str"`, `sub: [1, "a"]`, `sub: true`).
        assert_eq!(go_percent_t(&json!(1.0)), "%!t(float64=1)");
        assert_eq!(go_percent_t(&json!("str")), "%!t(string=str)");
        assert_eq!(go_percent_t(&json!([1.0, "a"])), "[%!t(float64=1) %!t(string=a)]");
        assert_eq!(go_percent_t(&json!(true)), "true");
        assert_eq!(go_v_float(1e6), "1e+06");
        assert_eq!(go_v_float(0.25), "0.25");
    }

    #[test]
    fn documents_split_as_kubernetes_yaml_reader() {
        assert_eq!(split_documents("a: 1\n---\nb: 2\n--- # c\nc: 3\n").unwrap().len(), 3);
        assert!(split_documents("a: 1\n--- x\n").is_err());
    }

    #[test]
    fn subchart_value_not_a_map() {
        let sub = Chart {
            metadata: crate::Metadata { name: "sub".into(), version: "0.1.0".into(), ..Default::default() },
            values: json!({}),
            ..Default::default()
        };
        let mut top = Chart {
            metadata: crate::Metadata { name: "top".into(), version: "0.1.0".into(), ..Default::default() },
            values: json!({}),
            dependencies: vec![sub],
            ..Default::default()
        };
        // Helm: "type mismatch on sub: %!t(float64=1)".
        let err = render_values(&mut top, &json!({"sub": 1.0})).unwrap_err();
        assert_eq!(err.to_string(), "type mismatch on sub: %!t(float64=1)");
    }
}

//! `Chart.yaml` (and `requirements.yaml`) read into Helm's `chart.Metadata` as
//! `sigs.k8s.io/yaml.Unmarshal` does: YAML to JSON with the struct as the target, so a scalar
//! meant for a string field becomes its text (`version: 1.10` is `"1.1"`, float32 formatting),
//! then Go's `encoding/json` (field names matched case-insensitively, unknown ones ignored,
//! type mismatches refused with Go's words); then `Metadata.Validate`. And `.Chart` as Helm v4's
//! engine shows it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Dependency, Maintainer, Metadata};

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn mismatch(v: &Value, field: &str, go_type: &str) -> String {
    format!("json: cannot unmarshal {} into Go struct field {field} of type {go_type}", json_kind(v))
}

/// Go's float32 `'g'` shortest formatting, as sigs.k8s.io/yaml stringifies a YAML float for a
/// string field; integral values print as integers (go-yaml read them as ints).
fn number_text(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        return format!("{}", f as i64);
    }
    let f32v = f as f32;
    if f32v.is_infinite() {
        return if f32v > 0.0 { ".inf".into() } else { "-.inf".into() };
    }
    if f32v.is_nan() {
        return ".nan".into();
    }
    let sci = format!("{f32v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f32v}")
    }
}

fn as_string(v: &Value, field: &str) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(number_text(n))),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err(mismatch(v, field, "string")),
    }
}

fn as_bool(v: &Value, field: &str) -> Result<Option<bool>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        _ => Err(mismatch(v, field, "bool")),
    }
}

fn as_strings(v: &Value, field: &str) -> Result<Option<Vec<String>>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Array(items) => items
            .iter()
            .map(|item| as_string(item, field).map(Option::unwrap_or_default))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        _ => Err(mismatch(v, field, "[]string")),
    }
}

/// The entries of a JSON object matched to Go struct fields: exact name first, else a
/// case-insensitive one, the last duplicate winning, as `encoding/json` does.
fn fields<'a>(obj: &'a Map<String, Value>, names: &[&'static str]) -> Vec<(&'static str, &'a Value)> {
    let mut out = Vec::new();
    for (key, value) in obj {
        let found = names.iter().find(|n| **n == key).or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(key)));
        if let Some(name) = found {
            out.push((*name, value));
        }
    }
    out
}

const METADATA_FIELDS: &[&str] = &[
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
];

/// Decodes a YAML document into `md`, changing only the fields it sets (as `json.Unmarshal`
/// into an existing struct: `requirements.yaml` adds to what `Chart.yaml` gave).
pub(super) fn decode_into(md: &mut Metadata, value: &Value) -> Result<(), String> {
    let obj = match value {
        Value::Null => return Ok(()),
        Value::Object(obj) => obj,
        other => {
            return Err(format!("json: cannot unmarshal {} into Go value of type chart.Metadata", json_kind(other)));
        }
    };
    for (name, v) in fields(obj, METADATA_FIELDS) {
        let field = format!("Metadata.{name}");
        let string = |target: &mut String| -> Result<(), String> {
            if let Some(s) = as_string(v, &field)? {
                *target = s;
            }
            Ok(())
        };
        match name {
            "name" => string(&mut md.name)?,
            "home" => string(&mut md.home)?,
            "version" => string(&mut md.version)?,
            "description" => string(&mut md.description)?,
            "icon" => string(&mut md.icon)?,
            "apiVersion" => string(&mut md.api_version)?,
            "condition" => string(&mut md.condition)?,
            "tags" => string(&mut md.tags)?,
            "appVersion" => string(&mut md.app_version)?,
            "kubeVersion" => string(&mut md.kube_version)?,
            "type" => string(&mut md.kind)?,
            "sources" => md.sources = as_strings(v, &field)?.unwrap_or_default(),
            "keywords" => md.keywords = as_strings(v, &field)?.unwrap_or_default(),
            "deprecated" => {
                if let Some(b) = as_bool(v, &field)? {
                    md.deprecated = b;
                }
            }
            "annotations" => match v {
                Value::Null => md.annotations = None,
                Value::Object(entries) => {
                    let mut map = BTreeMap::new();
                    for (k, item) in entries {
                        map.insert(k.clone(), as_string(item, &field)?.unwrap_or_default());
                    }
                    md.annotations = Some(map);
                }
                other => return Err(mismatch(other, &field, "map[string]string")),
            },
            "maintainers" => match v {
                Value::Null => md.maintainers.clear(),
                Value::Array(items) => {
                    md.maintainers.clear();
                    for item in items {
                        md.maintainers.push(decode_maintainer(item)?);
                    }
                }
                other => return Err(mismatch(other, &field, "[]*chart.Maintainer")),
            },
            "dependencies" => match v {
                Value::Null => {
                    md.dependencies.clear();
                    md.dependencies_set = false;
                }
                Value::Array(items) => {
                    md.dependencies.clear();
                    md.dependencies_set = true;
                    for item in items {
                        md.dependencies.push(decode_dependency(item)?);
                    }
                }
                other => return Err(mismatch(other, &field, "[]*chart.Dependency")),
            },
            _ => {}
        }
    }
    Ok(())
}

/// A `null` entry is kept as a marker (name `\0`) so that validation refuses it as Helm does.
const NULL_NODE: &str = "\0";

fn decode_maintainer(v: &Value) -> Result<Maintainer, String> {
    let obj = match v {
        Value::Null => return Ok(Maintainer { name: NULL_NODE.to_owned(), ..Default::default() }),
        Value::Object(obj) => obj,
        other => return Err(mismatch(other, "Metadata.maintainers", "chart.Maintainer")),
    };
    let mut m = Maintainer::default();
    for (name, item) in fields(obj, &["name", "email", "url"]) {
        let field = format!("Metadata.maintainers.{name}");
        let s = as_string(item, &field)?.unwrap_or_default();
        match name {
            "name" => m.name = s,
            "email" => m.email = s,
            _ => m.url = s,
        }
    }
    Ok(m)
}

fn decode_dependency(v: &Value) -> Result<Dependency, String> {
    let obj = match v {
        Value::Null => return Ok(Dependency { name: NULL_NODE.to_owned(), ..Default::default() }),
        Value::Object(obj) => obj,
        other => return Err(mismatch(other, "Metadata.dependencies", "chart.Dependency")),
    };
    let mut d = Dependency::default();
    let names = ["name", "version", "repository", "condition", "tags", "enabled", "import-values", "alias"];
    for (name, item) in fields(obj, &names) {
        let field = format!("Metadata.dependencies.{name}");
        match name {
            "tags" => d.tags = as_strings(item, &field)?.unwrap_or_default(),
            "enabled" => d.enabled = as_bool(item, &field)?.unwrap_or(d.enabled),
            "import-values" => match item {
                Value::Null => d.import_values.clear(),
                Value::Array(items) => d.import_values = items.clone(),
                other => return Err(mismatch(other, &field, "[]interface {}")),
            },
            _ => {
                let s = as_string(item, &field)?.unwrap_or_default();
                match name {
                    "name" => d.name = s,
                    "version" => d.version = s,
                    "repository" => d.repository = s,
                    "condition" => d.condition = s,
                    _ => d.alias = s,
                }
            }
        }
    }
    Ok(d)
}

/// Helm's `sanitizeString`: white space becomes a space, unprintable characters go.
fn sanitize(s: &mut String) {
    if s.chars().any(|c| c.is_whitespace() && c != ' ' || c.is_control()) {
        *s = s
            .chars()
            .filter_map(|c| {
                if c.is_whitespace() {
                    Some(' ')
                } else if c.is_control() {
                    None
                } else {
                    Some(c)
                }
            })
            .collect();
    }
}

/// A `semver` that Masterminds' `NewVersion` (what sprig's `semver` uses) accepts.
pub(crate) fn is_valid_semver(version: &str) -> bool {
    let data = kots_template::Value::from_json(&serde_json::json!({ "v": version }));
    kots_template::render("semver", "{{ semver .v }}", &data).is_ok()
}

/// Helm's `IsCompatibleRange`: the version satisfies the constraint; a constraint or version
/// that does not parse (an empty constraint among them) never does.
pub(crate) fn is_compatible_range(constraint: &str, version: &str) -> bool {
    let data = kots_template::Value::from_json(&serde_json::json!({ "c": constraint, "v": version }));
    matches!(kots_template::render("semver", "{{ semverCompare .c .v }}", &data).as_deref(), Ok("true"))
}

/// Helm's `Metadata.Validate` (errors as `validation: …`), sanitizing strings as it does.
pub(super) fn validate(md: &mut Metadata) -> Result<(), String> {
    for s in [
        &mut md.name,
        &mut md.description,
        &mut md.home,
        &mut md.icon,
        &mut md.condition,
        &mut md.tags,
        &mut md.app_version,
        &mut md.kube_version,
    ] {
        sanitize(s);
    }
    md.sources.iter_mut().for_each(sanitize);
    md.keywords.iter_mut().for_each(sanitize);
    let fail = |m: String| Err(format!("validation: {m}"));
    if md.api_version.is_empty() {
        return fail("chart.metadata.apiVersion is required".into());
    }
    if md.name.is_empty() {
        return fail("chart.metadata.name is required".into());
    }
    if md.name == "." || md.name == ".." {
        return fail(format!("chart.metadata.name {:?} is not allowed", md.name));
    }
    // Go's `filepath.Base` on Linux: trailing slashes dropped, then the last element.
    let trimmed = md.name.trim_end_matches('/');
    let base = if trimmed.is_empty() { "/" } else { trimmed.rsplit('/').next().unwrap_or(trimmed) };
    if md.name != base {
        return fail(format!("chart.metadata.name {:?} is invalid", md.name));
    }
    if md.version.is_empty() {
        return fail("chart.metadata.version is required".into());
    }
    if !is_valid_semver(&md.version) {
        return fail(format!("chart.metadata.version {:?} is invalid", md.version));
    }
    if !matches!(md.kind.as_str(), "" | "application" | "library") {
        return fail("chart.metadata.type must be application or library".into());
    }
    for m in &mut md.maintainers {
        if m.name == NULL_NODE {
            return fail("maintainers must not contain empty or null nodes".into());
        }
        sanitize(&mut m.name);
        sanitize(&mut m.email);
        sanitize(&mut m.url);
    }
    let mut seen = std::collections::BTreeSet::new();
    for d in &mut md.dependencies {
        if d.name == NULL_NODE {
            return fail("dependencies must not contain empty or null nodes".into());
        }
        for s in [&mut d.name, &mut d.version, &mut d.repository, &mut d.condition] {
            sanitize(s);
        }
        d.tags.iter_mut().for_each(sanitize);
        if !d.alias.is_empty() && !d.alias.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return fail(format!("dependency {:?} has disallowed characters in the alias", d.name));
        }
        let key = if d.alias.is_empty() { d.name.clone() } else { d.alias.clone() };
        if !seen.insert(key.clone()) {
            return fail(format!("more than one dependency with name or alias {key:?}"));
        }
    }
    Ok(())
}

fn sorted(entries: Vec<(&str, Value)>) -> Value {
    let tree: BTreeMap<&str, Value> = entries.into_iter().collect();
    Value::Object(tree.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn strings(list: &[String]) -> Value {
    Value::Array(list.iter().cloned().map(Value::String).collect())
}

/// `.Chart` as Helm v4's engine gives it to templates: Go field names, nil lists as `[]`, unset
/// annotations `null`, keys sorted as `toJson` prints them; `IsRoot` false (see
/// [`chart_object_rooted`]).
pub fn chart_object(md: &Metadata) -> Value {
    chart_object_rooted(md, false)
}

/// [`chart_object`] with `IsRoot` set: true for the chart being installed, false for subcharts.
pub fn chart_object_rooted(md: &Metadata, is_root: bool) -> Value {
    let dependencies = md
        .dependencies
        .iter()
        .map(|d| {
            sorted(vec![
                ("Name", Value::String(d.name.clone())),
                ("Version", Value::String(d.version.clone())),
                ("Repository", Value::String(d.repository.clone())),
                ("Condition", Value::String(d.condition.clone())),
                ("Tags", strings(&d.tags)),
                ("Enabled", Value::Bool(d.enabled)),
                ("ImportValues", Value::Array(d.import_values.clone())),
                ("Alias", Value::String(d.alias.clone())),
            ])
        })
        .collect();
    let maintainers = md
        .maintainers
        .iter()
        .map(|m| {
            sorted(vec![
                ("Name", Value::String(m.name.clone())),
                ("Email", Value::String(m.email.clone())),
                ("URL", Value::String(m.url.clone())),
            ])
        })
        .collect();
    let annotations = match &md.annotations {
        None => Value::Null,
        Some(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()),
    };
    sorted(vec![
        ("Name", Value::String(md.name.clone())),
        ("Home", Value::String(md.home.clone())),
        ("Sources", strings(&md.sources)),
        ("Version", Value::String(md.version.clone())),
        ("Description", Value::String(md.description.clone())),
        ("Keywords", strings(&md.keywords)),
        ("Maintainers", Value::Array(maintainers)),
        ("Icon", Value::String(md.icon.clone())),
        ("APIVersion", Value::String(md.api_version.clone())),
        ("Condition", Value::String(md.condition.clone())),
        ("Tags", Value::String(md.tags.clone())),
        ("AppVersion", Value::String(md.app_version.clone())),
        ("Deprecated", Value::Bool(md.deprecated)),
        ("Annotations", annotations),
        ("KubeVersion", Value::String(md.kube_version.clone())),
        ("Dependencies", Value::Array(dependencies)),
        ("Type", Value::String(md.kind.clone())),
        ("IsRoot", Value::Bool(is_root)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_for_string_fields_as_sigs_yaml() {
        // Expected texts from Helm (render.py, `toJson .Chart`): version 1.10 -> "1.1",
        // appVersion 12345678 -> "12345678", keyword 1.5 -> "1.5".
        let n = |v: Value| match v {
            Value::Number(n) => number_text(&n),
            _ => unreachable!(),
        };
        assert_eq!(n(serde_json::json!(1.1)), "1.1");
        assert_eq!(n(serde_json::json!(12345678.0)), "12345678");
        assert_eq!(n(serde_json::json!(1.5)), "1.5");
        assert_eq!(n(serde_json::json!(1234567.5)), "1.2345675e+06");
    }

    #[test]
    fn semver_helpers() {
        assert!(is_valid_semver("1.2"));
        assert!(!is_valid_semver("foo"));
        assert!(is_compatible_range("^0.1.0", "0.1.5"));
        assert!(!is_compatible_range("", "0.1.0"));
        assert!(!is_compatible_range("~1.0", "2.0.0"));
    }
}

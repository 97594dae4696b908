//! YAML as Helm reads and writes it: `sigs.k8s.io/yaml` over go-yaml v2, byte for byte.
//!
//! Reading ([`from_yaml`], [`from_yaml_array`]) is `sigs.k8s.io/yaml.Unmarshal`: go-yaml v2
//! decodes the first document into `interface{}` with YAML 1.1's resolution (`yes` is true,
//! `0755` is 493), the result is converted to JSON (non-string keys named as sigs names them)
//! and `encoding/json` reads it back, so every number is a float64. The numbers here are those
//! float64s, held as JSON floats (`kots_template::Value::from_json` makes float64s of any number;
//! `to_yaml` and `to_toml` tell ints from floats by the JSON number's kind, as Go by the type).
//!
//! Writing ([`to_yaml`]) is `sigs.k8s.io/yaml.Marshal`: `json.Marshal`, go-yaml v2 reads that
//! JSON back (integers become ints, `1e+21` a float) and its encoder writes it: keys sorted with
//! numbers inside them compared as numbers, block style, go-yaml v2's quoting and its folding of
//! long lines at column 80. [`to_toml`] is Helm's `toToml` (BurntSushi/toml's encoder).
//!
//! Checked against Go by `tests/yaml_differential.rs` (go-yaml v2 from Debian's sources under a
//! copy of sigs.k8s.io/yaml's conversions, `tests/yaml_oracle/main.go`). Known differences, all
//! in inputs that values files and templates hardly have:
//! - the scanner and parser are libyaml 0.2.5's (libyaml-safer), go-yaml v2's are an older
//!   libyaml with changes of its own. Emulated here (see `read.rs`): `,`, `[` and `]` inside
//!   tags, go-yaml's lost simple key of an empty flow collection (`{}: a`) in the shapes it
//!   takes in block mappings, its 512-byte reading windows, its depth limits. Not emulated: in
//!   flow collections a plain scalar followed by `:` and `,[]{}` is an error here ("found
//!   unexpected ':'") and `?` does not end a plain scalar; go-yaml checks whether a simple key
//!   went stale only when its token is next (libyaml at every token), so when "could not find
//!   expected ':'" and another error are near, which one is reported can differ; U+0085, U+2028
//!   and U+2029 in the text (line breaks to both) are counted differently;
//! - Go iterates maps in random order: when two keys name the same JSON key (`1` and `"1"`),
//!   which value wins, and which of several bad keys an error names, is random in Go; and
//!   go-yaml's key order is not transitive where numbers with leading zeros meet letters
//!   (`"01" < "10" < "1b" < "01"`), so that Go's order of such keys is its chance too;
//! - `%#v` in the rare error messages that print a value is close to Go's, not exact.

mod emit;
mod gonum;
mod read;
mod resolve;
mod toml;

use serde_json::{Map, Number, Value};

use resolve::GoValue;

/// `sigs.k8s.io/yaml.Unmarshal(text, &map[string]interface{})`, which is what Helm's
/// `chartutil.ReadValues` and the `fromYaml` template function do. An empty document (or
/// `null`) is an empty map; the error is sigs' message (`error converting YAML to JSON: yaml:
/// line 3: mapping values are not allowed in this context`).
pub fn from_yaml(text: &str) -> Result<Value, String> {
    match unmarshal_json(text)? {
        Value::Null => Ok(Value::Object(Map::new())),
        value @ Value::Object(_) => Ok(value),
        other => Err(type_error(&other, "map[string]interface {}")),
    }
}

/// `sigs.k8s.io/yaml.Unmarshal(text, &[]interface{})`: Helm's `fromYamlArray`.
pub fn from_yaml_array(text: &str) -> Result<Vec<Value>, String> {
    match unmarshal_json(text)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => Ok(items),
        other => Err(type_error(&other, "[]interface {}")),
    }
}

/// `sigs.k8s.io/yaml.Marshal(value)`: the text ends in a line break (Helm's `toYaml` trims
/// it: `strings.TrimSuffix(s, "\n")`, and gives "" on an error). JSON integers are Go ints
/// (a template's `add 1 2`), JSON floats float64s (values): `3` and `3.0` both print `3`,
/// `1e6` prints `1000000`, `1234567.5` prints `1.2345675e+06`, as in Helm.
pub fn to_yaml(value: &Value) -> Result<String, String> {
    let go = if reads_back_as_is(value, 0) {
        json_to_go(value)
    } else {
        // What go-yaml makes of the JSON text differs from the value: read it as Go does.
        let text = go_json_text(value);
        read::unmarshal(&text).map_err(|e| format!("error converting JSON to YAML: {e}"))?.unwrap_or(GoValue::Null)
    };
    Ok(emit::marshal(&go))
}

/// Whether go-yaml reads `json.Marshal(value)` back as the same value, which is so unless a
/// string holds a character that JSON leaves raw and YAML does not take as it is (U+0085 is a
/// line break, folded to a space in a quoted scalar; U+007F..U+009F, U+FFFE and U+FFFF are
/// refused), a key is too long to be a simple key (libyaml gives up after 1024 characters), or
/// the nesting reaches go-yaml's depth limit.
fn reads_back_as_is(value: &Value, depth: usize) -> bool {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || reads_back_as_is_here(value, depth))
}

fn reads_back_as_is_here(value: &Value, depth: usize) -> bool {
    let plain = |s: &str| !s.chars().any(|c| ('\u{7f}'..='\u{9f}').contains(&c) || c == '\u{fffe}' || c == '\u{ffff}');
    match value {
        Value::String(s) => plain(s),
        Value::Array(items) => depth < 5_000 && items.iter().all(|v| reads_back_as_is(v, depth + 1)),
        Value::Object(entries) => {
            depth < 5_000 && entries.iter().all(|(k, v)| k.len() < 500 && plain(k) && reads_back_as_is(v, depth + 1))
        }
        _ => true,
    }
}

/// `json.Marshal`'s text of a value, as far as go-yaml's reading of it can tell (keys sorted,
/// the escapes that matter, numbers as encoding/json writes them).
fn go_json_text(value: &Value) -> String {
    fn string(s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    fn write(value: &Value, out: &mut String) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || write_here(value, out))
    }
    fn write_here(value: &Value, out: &mut String) {
        match value {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) if n.is_f64() => out.push_str(&gonum::json_float(n.as_f64().unwrap_or(0.0))),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::String(s) => string(s, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            Value::Object(entries) => {
                let mut sorted: Vec<(&String, &Value)> = entries.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(b.0));
                out.push('{');
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    string(k, out);
                    out.push(':');
                    write(v, out);
                }
                out.push('}');
            }
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// Helm's `toToml`: BurntSushi/toml's encoder of the value (a map: TOML has no other document).
pub fn to_toml(value: &Value) -> Result<String, String> {
    toml::encode(value)
}

fn type_error(value: &Value, target: &str) -> String {
    let kind = match value {
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    };
    format!(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {kind} into Go value of type {target}"
    )
}

/// sigs' `yamlToJSON` and `json.Unmarshal` into `interface{}`.
pub(crate) fn unmarshal_json(text: &str) -> Result<Value, String> {
    let wrap = |e: String| format!("error converting YAML to JSON: {e}");
    let Some(go) = read::unmarshal(text).map_err(wrap)? else {
        return Ok(Value::Null);
    };
    let jsonable = jsonable(go).map_err(wrap)?;
    // encoding/json writes no value inside more than 10,000 levels, and reads no more than
    // 10,000 levels of nesting.
    let (containers, elements) = nesting(&jsonable);
    if elements > 10_000 {
        return Err(wrap("exceeded max depth".to_string()));
    }
    check_marshal(&jsonable).map_err(wrap)?;
    if containers > 10_000 {
        return Err("error unmarshaling JSON: while decoding JSON: exceeded max depth".to_string());
    }
    Ok(to_json(jsonable))
}

/// The levels of collections, and the levels of collections around the deepest value in one
/// (an empty collection has none inside: `[[]]` is 2 and 1).
fn nesting(value: &GoValue) -> (usize, usize) {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
        let children: Vec<(usize, usize)> = match value {
            GoValue::Seq(items) => items.iter().map(nesting).collect(),
            GoValue::Map(entries) => entries.iter().map(|(_, v)| nesting(v)).collect(),
            _ => return (0, 0),
        };
        let containers = 1 + children.iter().map(|c| c.0).max().unwrap_or(0);
        let elements = if children.is_empty() { 0 } else { 1 + children.iter().map(|c| c.1).max().unwrap_or(0) };
        (containers, elements)
    })
}

/// sigs' `convertToJSONableObject` (towards `interface{}` elements: no string coercion).
fn jsonable(value: GoValue) -> Result<GoValue, String> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || jsonable_here(value))
}

fn jsonable_here(value: GoValue) -> Result<GoValue, String> {
    Ok(match value {
        GoValue::Map(entries) => {
            let mut out: Vec<(GoValue, GoValue)> = Vec::with_capacity(entries.len());
            for (key, item) in entries {
                let name = match &key {
                    GoValue::Str(s) => s.clone(),
                    GoValue::Int(i) => i.to_string(),
                    GoValue::Float(f) => match gonum::format_g32(*f).as_str() {
                        "+Inf" => ".inf".to_string(),
                        "-Inf" => "-.inf".to_string(),
                        "NaN" => ".nan".to_string(),
                        other => other.to_string(),
                    },
                    GoValue::Bool(b) => b.to_string(),
                    other => {
                        let type_name = match other {
                            GoValue::Uint(_) => "uint64",
                            _ => "%!s(<nil>)",
                        };
                        return Err(format!(
                            "unsupported map key of type: {type_name}, key: {}, value: {}",
                            read::go_sharp_v(other, false),
                            read::go_sharp_v(&item, false)
                        ));
                    }
                };
                let item = jsonable(item)?;
                let key = GoValue::Str(name);
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some(entry) => entry.1 = item,
                    None => out.push((key, item)),
                }
            }
            GoValue::Map(out)
        }
        GoValue::Seq(items) => GoValue::Seq(items.into_iter().map(jsonable).collect::<Result<_, _>>()?),
        other => other,
    })
}

/// `json.Marshal`'s refusal of NaN and infinities, the first in its order (sorted keys).
fn check_marshal(value: &GoValue) -> Result<(), String> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || check_marshal_here(value))
}

fn check_marshal_here(value: &GoValue) -> Result<(), String> {
    match value {
        GoValue::Float(f) if !f.is_finite() => Err(format!("json: unsupported value: {}", gonum::format_g(*f))),
        GoValue::Seq(items) => items.iter().try_for_each(check_marshal),
        GoValue::Map(entries) => {
            let mut sorted: Vec<&(GoValue, GoValue)> = entries.iter().collect();
            sorted.sort_by(|a, b| match (&a.0, &b.0) {
                (GoValue::Str(x), GoValue::Str(y)) => x.cmp(y),
                _ => std::cmp::Ordering::Equal,
            });
            sorted.into_iter().try_for_each(|(_, v)| check_marshal(v))
        }
        _ => Ok(()),
    }
}

/// A float64 as a JSON number: always a JSON float (so that `to_yaml` and `to_toml` of what
/// was read see the float64 Helm has: `toToml` writes `100.0` for a value `100`).
fn number(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// The JSON that `json.Marshal` writes and `json.Unmarshal` reads back into `interface{}`.
fn to_json(value: GoValue) -> Value {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || to_json_here(value))
}

fn to_json_here(value: GoValue) -> Value {
    match value {
        GoValue::Null => Value::Null,
        GoValue::Bool(b) => Value::Bool(b),
        GoValue::Int(i) => number(i as f64),
        GoValue::Uint(u) => number(u as f64),
        GoValue::Float(f) => number(f),
        GoValue::Str(s) => Value::String(s),
        GoValue::Seq(items) => Value::Array(items.into_iter().map(to_json).collect()),
        GoValue::Map(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| match k {
                    GoValue::Str(s) => (s, to_json(v)),
                    _ => unreachable!("jsonable maps have string keys"),
                })
                .collect(),
        ),
    }
}

/// What go-yaml v2 makes of `json.Marshal(value)`'s text in `JSONToYAML`: integers are ints
/// (uint64 past int64), other numbers go through encoding/json's float text and YAML's
/// resolution (`1e+21` a float, `100000000000000000000` a float, `3` an int, `-0` the int 0).
fn json_to_go(value: &Value) -> GoValue {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || json_to_go_here(value))
}

fn json_to_go_here(value: &Value) -> GoValue {
    match value {
        Value::Null => GoValue::Null,
        Value::Bool(b) => GoValue::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                GoValue::Int(i)
            } else if let Some(u) = n.as_u64() {
                GoValue::Uint(u)
            } else {
                let text = gonum::json_float(n.as_f64().unwrap_or(0.0));
                match resolve::resolve_plain(&text) {
                    resolve::Resolved::Int(i) => GoValue::Int(i),
                    resolve::Resolved::Uint(u) => GoValue::Uint(u),
                    resolve::Resolved::Float(f) => GoValue::Float(f),
                    _ => GoValue::Str(text),
                }
            }
        }
        Value::String(s) => GoValue::Str(s.clone()),
        Value::Array(items) => GoValue::Seq(items.iter().map(json_to_go).collect()),
        Value::Object(entries) => {
            GoValue::Map(entries.iter().map(|(k, v)| (GoValue::Str(k.clone()), json_to_go(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected values from Helm v4.2.3 (render.py with `{{ toJson .Values }}`, `{{ toYaml
    // .Values }}` and `{{ fromYaml … | toJson }}`).
    #[test]
    fn values_read_as_helm_reads_them() {
        let v = from_yaml("a: [1, 2.5, 1e21]\noct: 0755\ny: y\nn: NO\nbig: 12345678901234567890\n").unwrap();
        assert_eq!(v["a"], json!([1.0, 2.5, 1e21]));
        assert_eq!(v["oct"], json!(493.0));
        assert_eq!(v["true"], json!(true));
        assert_eq!(v["false"], json!(false));
        assert_eq!(v["big"].as_f64(), Some(12345678901234567890.0));
        assert_eq!(from_yaml("").unwrap(), json!({}));
    }

    #[test]
    fn errors_are_helms() {
        assert_eq!(
            from_yaml("x: 1\ny: [").unwrap_err(),
            "error converting YAML to JSON: yaml: line 2: did not find expected node content"
        );
        assert_eq!(
            from_yaml("- a").unwrap_err(),
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"
        );
        assert_eq!(
            from_yaml_array("a: 1").unwrap_err(),
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}"
        );
        assert_eq!(from_yaml("a: .inf").unwrap_err(), "error converting YAML to JSON: json: unsupported value: +Inf");
        assert_eq!(
            from_yaml("~: a").unwrap_err(),
            "error converting YAML to JSON: unsupported map key of type: %!s(<nil>), key: <nil>, value: \"a\""
        );
    }

    #[test]
    fn to_yaml_writes_what_helm_writes() {
        let v = json!({
            "a": [1, 2.5, 1e21, 1000000.0, "yes", "", "x\ny\n"], "b": {}, "c": [], "k": "foo",
            "long": "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr ssss tttt",
            "big": 12345678901234567000.0
        });
        assert_eq!(
            to_yaml(&v).unwrap(),
            "a:\n- 1\n- 2.5\n- 1e+21\n- 1000000\n- \"yes\"\n- \"\"\n- |\n  x\n  y\nb: {}\nbig: 12345678901234567000\nc: []\nk: foo\n\
             long: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp\n  qqqq rrrr ssss tttt\n"
        );
        assert_eq!(to_yaml(&json!("foo")).unwrap(), "foo\n");
    }
}

//! Helm's `toToml`: the encoder of BurntSushi/toml (the version Helm v4 builds with), whose
//! output was checked through Helm (render.py with `{{ toToml .Values }}`): keys of plain values
//! first, then tables, each group sorted by bytes; nested tables and their keys indented two
//! spaces a level; a blank line before each top-level table and each `[[array of tables]]`;
//! floats with `'g'` digits and `.0` when neither a point nor an exponent is there; lists whose
//! elements are all maps as arrays of tables, other lists inline with maps as inline tables; nil
//! map values left out and nil list elements refused.

use serde_json::Value;

use super::gonum::format_g;

const NIL_ELEMENT: &str = "toml: cannot encode array with nil element";
const NO_KEY: &str = "toml: top-level values must be Go maps or structs";

struct Encoder {
    out: String,
    has_written: bool,
}

fn bare_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn maybe_quoted(part: &str) -> String {
    if part.is_empty() {
        "\"\"".to_string()
    } else if part.chars().all(bare_key_char) {
        part.to_string()
    } else {
        quote(part)
    }
}

fn key_string(key: &[String]) -> String {
    key.iter().map(|p| maybe_quoted(p)).collect::<Vec<_>>().join(".")
}

fn indent(key: &[String]) -> String {
    "  ".repeat(key.len().saturating_sub(1))
}

/// Whether a list is an array of tables (every element a map; a nil element is refused).
fn is_table_array(items: &[Value]) -> Result<bool, String> {
    if items.is_empty() {
        return Ok(false);
    }
    let mut all_maps = true;
    for item in items {
        if toml_type_is_nil(item)? {
            return Err(NIL_ELEMENT.to_string());
        }
        if !item.is_object() {
            all_maps = false;
        }
    }
    Ok(all_maps)
}

/// `tomlTypeOfGo(v) == nil`, computing it as Go does (a list's elements are checked for nil).
fn toml_type_is_nil(v: &Value) -> Result<bool, String> {
    match v {
        Value::Null => Ok(true),
        Value::Array(items) => is_table_array(items).map(|_| false),
        _ => Ok(false),
    }
}

/// `typeIsTable(tomlTypeOfGo(v))`: a map, or an array of tables.
fn is_table(v: &Value) -> Result<bool, String> {
    Ok(match v {
        Value::Object(_) => true,
        Value::Array(items) => is_table_array(items)?,
        _ => false,
    })
}

fn float(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+inf" } else { "-inf" }.to_string();
    }
    let text = format_g(f);
    if text.contains('.') || text.contains('e') { text } else { text + ".0" }
}

impl Encoder {
    fn wf(&mut self, text: &str) {
        self.out.push_str(text);
        self.has_written = true;
    }

    fn newline(&mut self) {
        if self.has_written {
            self.wf("\n");
        }
    }

    fn encode(&mut self, key: &mut Vec<String>, v: &Value) -> Result<(), String> {
        match v {
            Value::Null => Ok(()),
            Value::Object(_) => self.table(key, v),
            Value::Array(items) if is_table_array(items)? => self.array_of_tables(key, items),
            _ => self.key_value(key, v, false),
        }
    }

    fn key_value(&mut self, key: &[String], v: &Value, inline: bool) -> Result<(), String> {
        if key.is_empty() {
            return self.element(v);
        }
        let head = format!("{}{} = ", indent(key), maybe_quoted(&key[key.len() - 1]));
        self.wf(&head);
        self.element(v)?;
        if !inline {
            self.newline();
        }
        Ok(())
    }

    fn element(&mut self, v: &Value) -> Result<(), String> {
        match v {
            Value::String(s) => self.wf(&quote(s)),
            Value::Bool(b) => self.wf(&b.to_string()),
            Value::Number(n) => {
                let text = if n.is_f64() { float(n.as_f64().unwrap_or(0.0)) } else { n.to_string() };
                self.wf(&text);
            }
            Value::Array(items) => {
                self.wf("[");
                for (i, item) in items.iter().enumerate() {
                    self.element(item)?;
                    if i != items.len() - 1 {
                        self.wf(", ");
                    }
                }
                self.wf("]");
            }
            Value::Object(_) => self.map(&mut Vec::new(), v, true)?,
            Value::Null => return Err(NIL_ELEMENT.to_string()),
        }
        Ok(())
    }

    fn array_of_tables(&mut self, key: &mut Vec<String>, items: &[Value]) -> Result<(), String> {
        if key.is_empty() {
            return Err(NO_KEY.to_string());
        }
        for item in items {
            self.newline();
            let head = format!("{}[[{}]]", indent(key), key_string(key));
            self.wf(&head);
            self.newline();
            self.map(key, item, false)?;
        }
        Ok(())
    }

    fn table(&mut self, key: &mut Vec<String>, v: &Value) -> Result<(), String> {
        if key.len() == 1 {
            self.newline();
        }
        if !key.is_empty() {
            let head = format!("{}[{}]", indent(key), key_string(key));
            self.wf(&head);
            self.newline();
        }
        self.map(key, v, false)
    }

    fn map(&mut self, key: &mut Vec<String>, v: &Value, inline: bool) -> Result<(), String> {
        let Value::Object(entries) = v else { return Err("eTable: unhandled reflect.Value Kind".to_string()) };
        let mut direct: Vec<&String> = Vec::new();
        let mut sub: Vec<&String> = Vec::new();
        for (k, item) in entries {
            if is_table(item)? {
                sub.push(k);
            } else {
                direct.push(k);
            }
        }
        direct.sort();
        sub.sort();
        if inline {
            self.wf("{");
        }
        let trailing = !sub.is_empty();
        for (group, trail) in [(direct, trailing), (sub, false)] {
            for (i, k) in group.iter().enumerate() {
                let item = &entries[k.as_str()];
                if item.is_null() {
                    continue;
                }
                if inline {
                    self.key_value(&[(*k).clone()], item, true)?;
                    if trail || i != group.len() - 1 {
                        self.wf(", ");
                    }
                } else {
                    key.push((*k).clone());
                    let result = stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.encode(key, item));
                    key.pop();
                    result?;
                }
            }
        }
        if inline {
            self.wf("}");
        }
        Ok(())
    }
}

/// `toml.NewEncoder(b).Encode(v)`: the text, or the encoder's error.
pub fn encode(value: &Value) -> Result<String, String> {
    let mut e = Encoder { out: String::new(), has_written: false };
    match value {
        Value::Null => return Err("toml: cannot encode a nil value".to_string()),
        Value::Object(_) => e.table(&mut Vec::new(), value)?,
        Value::Array(items) if is_table_array(items)? => return Err(NO_KEY.to_string()),
        other => e.element(other)?,
    }
    Ok(e.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected text from Helm v4.2.3: render.py of `{{ toToml .Values }}` (numbers from values
    // are float64s, so f64 here).
    #[test]
    fn tables_and_values_as_helm_writes_them() {
        let v = json!({
            "f1": 1234567.5, "f5": 100.0, "f4": -0.0, "key with space": 1.0, "": 2.0,
            "s": "tab\there \"q\" ctl\u{1} del\u{7f}",
            "nested": {"x": 1.0, "deeper": {"true": 2.0, "deepest": {"z": [1.0, "a", {"p": 1.0}]}}, "after": 3.0},
            "tables": [{"a": 1.0, "sub": {"q": 1.0}}, {"b": 2.0}],
            "nul": null, "empty": [], "emptymap": {}
        });
        let expected = "\"\" = 2.0\nempty = []\nf1 = 1.2345675e+06\nf4 = -0.0\nf5 = 100.0\n\"key with space\" = 1.0\n\
                        s = \"tab\\there \\\"q\\\" ctl\\u0001 del\\u007f\"\n\n[emptymap]\n\n[nested]\n  after = 3.0\n  x = 1.0\n\
                        \x20 [nested.deeper]\n    true = 2.0\n    [nested.deeper.deepest]\n      z = [1.0, \"a\", {p = 1.0}]\n\n\
                        [[tables]]\n  a = 1.0\n  [tables.sub]\n    q = 1.0\n\n[[tables]]\n  b = 2.0\n";
        assert_eq!(encode(&v).unwrap(), expected);
        assert_eq!(encode(&json!([1, 2])).unwrap(), "[1, 2]");
        // Arrays of tables inside a table, an inline table with a nil value (its comma stays),
        // a quoted table name; from render.py as well.
        let v = json!({
            "a": {
                "list": [{"x": 1.0, "deep": {"q": [1.0, 2.0]}}, {"true": "two"}],
                "inl": [{"m": 1.0, "z": null, "false": 2.0}, 3.0],
                "with.dot": {"k": "v"},
                "key-ok_1": true
            },
            "top": [[1.0, 2.0], ["a"]], "big": 1e21, "small": 1e-7, "int": 3.0
        });
        let expected = "big = 1e+21\nint = 3.0\nsmall = 1e-07\ntop = [[1.0, 2.0], [\"a\"]]\n\n[a]\n  \
                        inl = [{false = 2.0, m = 1.0, }, 3.0]\n  key-ok_1 = true\n\n  [[a.list]]\n    x = 1.0\n    \
                        [a.list.deep]\n      q = [1.0, 2.0]\n\n  [[a.list]]\n    true = \"two\"\n  [a.\"with.dot\"]\n    \
                        k = \"v\"\n";
        assert_eq!(encode(&v).unwrap(), expected);
        assert_eq!(encode(&json!({"a": [1, null]})).unwrap_err(), NIL_ELEMENT);
        assert_eq!(encode(&json!({"a": [{"x": 1}, 2]})).unwrap(), "a = [{x = 1}, 2]\n");
    }
}

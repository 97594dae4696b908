//! `--set` and `--set-string` as Helm reads them (`pkg/strvals`): `a.b=c,d=e`, list items
//! `a[0]=x` and `a[1].b=y`, lists in braces `a={x,y}`, `\` escaping `,` `.` `=` and `[`, and
//! (for `--set`) the value's type guessed as Helm guesses it: `true`/`false`, `null`
//! (which deletes the key in the merge), integers as int64; everything else a string.

use serde_json::{Map, Value};

/// Parses one `--set` (`typed`) or `--set-string` argument into `into`, as `strvals.ParseInto`.
pub fn parse_into(text: &str, into: &mut Value, typed: bool) -> Result<(), String> {
    if !into.is_object() {
        *into = Value::Object(Map::new());
    }
    let chars: Vec<char> = text.chars().collect();
    let mut parser = Parser { chars: &chars, at: 0, typed, text };
    while parser.at < chars.len() {
        parser.assignment(into)?;
        match parser.peek() {
            Some(',') => parser.at += 1,
            None => {}
            Some(c) => return Err(format!("key {text:?} has no value (unexpected {c:?})")),
        }
    }
    Ok(())
}

struct Parser<'a> {
    chars: &'a [char],
    at: usize,
    typed: bool,
    text: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    /// Reads up to one of `stops` (unescaped), returning the text and the stop found.
    fn until(&mut self, stops: &[char]) -> (String, Option<char>) {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c == '\\'
                && let Some(next) = self.chars.get(self.at + 1)
            {
                out.push(*next);
                self.at += 2;
                continue;
            }
            if stops.contains(&c) {
                return (out, Some(c));
            }
            out.push(c);
            self.at += 1;
        }
        (out, None)
    }

    /// `key(.key|[n])*=value` into `object`.
    fn assignment(&mut self, object: &mut Value) -> Result<(), String> {
        let (key, stop) = self.until(&['=', '.', '[', ',']);
        if key.is_empty() {
            return Err(format!("key {:?} has no value", self.text));
        }
        match stop {
            Some('=') => {
                self.at += 1;
                let value = self.value()?;
                set(object, &key, value);
                Ok(())
            }
            Some('.') => {
                self.at += 1;
                let map = object.as_object_mut().expect("an object");
                let child = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
                if !child.is_object() {
                    *child = Value::Object(Map::new());
                }
                self.assignment(child)
            }
            Some('[') => {
                self.at += 1;
                let index = self.index()?;
                let map = object.as_object_mut().expect("an object");
                let list = map.entry(key).or_insert_with(|| Value::Array(Vec::new()));
                if !list.is_array() {
                    *list = Value::Array(Vec::new());
                }
                self.list_item(list, index)
            }
            _ => Err(format!("key {key:?} has no value")),
        }
    }

    fn index(&mut self) -> Result<usize, String> {
        let (digits, stop) = self.until(&[']']);
        if stop != Some(']') {
            return Err(format!("key {:?}: an unclosed `[`", self.text));
        }
        self.at += 1;
        let index: usize = digits.parse().map_err(|_| format!("failed to parse index: {digits:?}"))?;
        if index > MAX_INDEX {
            return Err(format!("index of {index} is greater than maximum supported index of {MAX_INDEX}"));
        }
        Ok(index)
    }

    /// After `key[n]`: `=value`, `.rest`, or `[m]…`.
    fn list_item(&mut self, list: &mut Value, index: usize) -> Result<(), String> {
        let items = list.as_array_mut().expect("a list");
        if items.len() <= index {
            items.resize(index + 1, Value::Null);
        }
        match self.peek() {
            Some('=') => {
                self.at += 1;
                items[index] = self.value()?;
                Ok(())
            }
            Some('.') => {
                self.at += 1;
                if !items[index].is_object() {
                    items[index] = Value::Object(Map::new());
                }
                self.assignment(&mut items[index])
            }
            Some('[') => {
                self.at += 1;
                let inner = self.index()?;
                if !items[index].is_array() {
                    items[index] = Value::Array(Vec::new());
                }
                self.list_item(&mut items[index], inner)
            }
            _ => Err(format!("key {:?} has no value", self.text)),
        }
    }

    /// A value up to `,` (or a `{a,b}` list).
    fn value(&mut self) -> Result<Value, String> {
        if self.peek() == Some('{') {
            self.at += 1;
            let mut items = Vec::new();
            loop {
                let (item, stop) = self.until(&[',', '}']);
                items.push(self.typed_value(&item));
                match stop {
                    Some(',') => self.at += 1,
                    Some('}') => {
                        self.at += 1;
                        return Ok(Value::Array(items));
                    }
                    _ => return Err(format!("key {:?}: an unclosed `{{`", self.text)),
                }
            }
        }
        let (text, _) = self.until(&[',']);
        Ok(self.typed_value(&text))
    }

    fn typed_value(&self, text: &str) -> Value {
        if !self.typed {
            return Value::String(text.to_owned());
        }
        match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            // Helm keeps `0`-led numbers other than 0 itself as strings.
            _ if text.len() > 1 && text.starts_with('0') => Value::String(text.to_owned()),
            _ => match text.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => Value::String(text.to_owned()),
            },
        }
    }
}

/// Helm refuses list indexes past this (a `--set a[999999999]=x` would allocate).
const MAX_INDEX: usize = 65536;

fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(text: &str, typed: bool) -> Value {
        let mut value = json!({});
        parse_into(text, &mut value, typed).unwrap();
        value
    }

    #[test]
    fn keys_lists_escapes_and_types_as_helm_reads_them() {
        assert_eq!(parsed("a.b=c,d=e", true), json!({"a": {"b": "c"}, "d": "e"}));
        assert_eq!(
            parsed("n=12,t=true,z=null,o=0755,f=1.5", true),
            json!({"n": 12, "t": true, "z": null, "o": "0755", "f": "1.5"})
        );
        assert_eq!(parsed("n=12,t=true", false), json!({"n": "12", "t": "true"}));
        assert_eq!(parsed("l[1]=x,l[0].name=y", true), json!({"l": [{"name": "y"}, "x"]}));
        assert_eq!(parsed("l={a,b,3}", true), json!({"l": ["a", "b", 3]}));
        assert_eq!(parsed(r"a\.b=c\,d", true), json!({"a.b": "c,d"}));
        let mut value = json!({"keep": 1, "a": {"x": 1}});
        parse_into("a.y=2", &mut value, true).unwrap();
        assert_eq!(value, json!({"keep": 1, "a": {"x": 1, "y": 2}}));
        assert!(parse_into("novalue", &mut json!({}), true).is_err());
        assert!(parse_into("l[99999999]=x", &mut json!({}), true).unwrap_err().contains("maximum supported index"));
    }
}

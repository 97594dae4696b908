//! sprig's JSON functions, as Go's `encoding/json` writes and reads: `toJson` (`Marshal`:
//! sorted map keys, `<`, `>`, `&` escaped as `\u003c`…), `toPrettyJson` (`MarshalIndent` with
//! two spaces), `toRawJson` (an `Encoder` without HTML escaping), their `must` forms, and
//! `fromJson`/`mustFromJson` (into `interface{}`: every number a `float64`). The plain forms
//! swallow errors as sprig does (`toJson` gives `""`, `fromJson` nil), but `toRawJson`, which
//! panics in sprig, fails the render.

use std::collections::BTreeMap;

use base64::Engine as _;

use super::dates::TimeValue;
use super::semver::SemverVersion;
use super::strings::go_quote;
use crate::fmt::format_float_v;
use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::{FloatKind, GoType, Value};

pub(super) fn register(map: &mut FuncMap) {
    map.add("toJson", vec![GoType::Any], |_, a| Ok(Value::string(marshal(a.arg(0)?, true, false).unwrap_or_default())));
    map.add("mustToJson", vec![GoType::Any], |_, a| Ok(Value::string(marshal(a.arg(0)?, true, false)?)));
    map.add("toPrettyJson", vec![GoType::Any], |_, a| {
        Ok(Value::string(marshal(a.arg(0)?, true, true).unwrap_or_default()))
    });
    map.add("mustToPrettyJson", vec![GoType::Any], |_, a| Ok(Value::string(marshal(a.arg(0)?, true, true)?)));
    for name in ["toRawJson", "mustToRawJson"] {
        map.add(name, vec![GoType::Any], |_, a| Ok(Value::string(marshal(a.arg(0)?, false, false)?)));
    }
    map.add("fromJson", vec![GoType::String], |_, a| Ok(decode(a.str_arg(0)?).0.unwrap_or(Value::Nil)));
    map.add("mustFromJson", vec![GoType::String], |_, a| unmarshal(a.str_arg(0)?));
}

/// `json.Marshal` (`pretty`: `MarshalIndent(v, "", "  ")`); `escape_html` off for the
/// `Encoder` with `SetEscapeHTML(false)`.
pub(crate) fn marshal(v: &Value, escape_html: bool, pretty: bool) -> Result<String, FuncError> {
    let mut out = String::new();
    let mut enc = Encoder { out: &mut out, escape_html, pretty, depth: 0, maps: Vec::new() };
    enc.value(v)?;
    Ok(out)
}

struct Encoder<'a> {
    out: &'a mut String,
    escape_html: bool,
    pretty: bool,
    depth: usize,
    /// The maps being written, outermost first (for Go's cycle check).
    maps: Vec<crate::value::Map>,
}

impl Encoder<'_> {
    fn newline(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("  ");
            }
        }
    }

    fn value(&mut self, v: &Value) -> Result<(), FuncError> {
        match v {
            Value::Missing | Value::Nil => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i, _) => self.out.push_str(&i.to_string()),
            Value::Uint(u, _) => self.out.push_str(&u.to_string()),
            Value::Float(f, kind) => self.out.push_str(&json_float(*f, *kind)?),
            Value::String(s) => self.string(s),
            Value::Bytes(b) => {
                let text = base64::engine::general_purpose::STANDARD.encode(b);
                self.string(&text);
            }
            Value::List(l) if l.nil => self.out.push_str("null"),
            Value::List(l) => {
                self.out.push('[');
                if !l.items.is_empty() {
                    self.depth += 1;
                    for (i, item) in l.items.iter().enumerate() {
                        if i > 0 {
                            self.out.push(',');
                        }
                        self.newline();
                        self.value(item)?;
                    }
                    self.depth -= 1;
                    self.newline();
                }
                self.out.push(']');
            }
            Value::Map(m) => {
                // Go starts looking for cycles after 1,000 levels of maps (and a map that
                // contains itself is one).
                if self.maps.len() >= 1000 && self.maps.iter().any(|a| a.same(m)) {
                    return Err(FuncError::new(format!(
                        "json: unsupported value: encountered a cycle via {}",
                        v.type_name()
                    )));
                }
                self.maps.push(m.clone());
                let entries = m.entries();
                self.out.push('{');
                if !entries.is_empty() {
                    self.depth += 1;
                    for (i, (k, item)) in entries.iter().enumerate() {
                        if i > 0 {
                            self.out.push(',');
                        }
                        self.newline();
                        self.string(k);
                        self.out.push(':');
                        if self.pretty {
                            self.out.push(' ');
                        }
                        self.value(item)?;
                    }
                    self.depth -= 1;
                    self.newline();
                }
                self.out.push('}');
                self.maps.pop();
            }
            Value::Object(o) => {
                // `*semver.Version` marshals as its String(), `time.Time` by its MarshalJSON;
                // other objects (whose Go marshalling this module cannot know) as the text
                // they print.
                if let Some(t) = o.as_any().downcast_ref::<TimeValue>() {
                    let json = t.go_json().map_err(|e| {
                        FuncError::new(format!("json: error calling MarshalJSON for type time.Time: {e}"))
                    })?;
                    self.out.push_str(&json);
                    return Ok(());
                }
                let text = match o.as_any().downcast_ref::<SemverVersion>() {
                    Some(v) => v.to_string(),
                    None => o.format(),
                };
                self.string(&text);
            }
        }
        Ok(())
    }

    /// `encodeState.string`: `"`, `\`, control characters, (with HTML escaping) `<`, `>`,
    /// `&`, and always U+2028 and U+2029 escaped.
    fn string(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                '\u{8}' => self.out.push_str("\\b"),
                '\u{c}' => self.out.push_str("\\f"),
                '<' | '>' | '&' if self.escape_html => self.out.push_str(&format!("\\u{:04x}", c as u32)),
                c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                    self.out.push_str(&format!("\\u{:04x}", c as u32))
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}

/// `encoding/json`'s float format: shortest digits, fixed notation unless the magnitude is
/// below 1e-6 or at least 1e21, exponents without a leading zero (`1e-7`, `1e+21`).
fn json_float(f: f64, kind: FloatKind) -> Result<String, FuncError> {
    if f.is_nan() || f.is_infinite() {
        return Err(FuncError::new(format!("json: unsupported value: {}", format_float_v(f, kind))));
    }
    let (digits, exp, neg) = shortest_digits(f, kind);
    let abs = f.abs();
    let (small, big) = match kind {
        FloatKind::Float64 => (abs < 1e-6, abs >= 1e21),
        FloatKind::Float32 => ((abs as f32) < 1e-6, (abs as f32) >= 1e21),
    };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if abs != 0.0 && (small || big) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        // strconv writes at least two exponent digits; json strips the leading zero of a
        // negative one.
        if e < 10 && exp >= 0 {
            out.push('0');
        }
        out.push_str(&e.to_string());
        return Ok(out);
    }
    // Fixed notation: digits × 10^(exp - len + 1).
    let point = exp + 1; // digits before the decimal point
    if point <= 0 {
        out.push_str("0.");
        for _ in 0..(-point) {
            out.push('0');
        }
        out.push_str(&digits);
    } else if point as usize >= digits.len() {
        out.push_str(&digits);
        for _ in digits.len()..point as usize {
            out.push('0');
        }
    } else {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    }
    if digits == "0" {
        return Ok(if neg { "-0".to_string() } else { "0".to_string() });
    }
    Ok(out)
}

/// The shortest round-trip digits of `f` (no leading or trailing zeros, `"0"` for zero), the
/// decimal exponent of the first digit, and the sign.
fn shortest_digits(f: f64, kind: FloatKind) -> (String, i32, bool) {
    let sci = match kind {
        FloatKind::Float64 => format!("{f:e}"),
        FloatKind::Float32 => format!("{:e}", f as f32),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exp.parse().unwrap_or(0), neg)
}

/// `json.Unmarshal` into `interface{}`, with the error messages of Go 1.27 (whose v1 API
/// runs on the v2 decoder).
pub(crate) fn unmarshal(text: &str) -> Result<Value, FuncError> {
    match decode(text) {
        (Some(v), None) => Ok(v),
        (_, Some(e)) => Err(e),
        (None, None) => Ok(Value::Nil),
    }
}

/// The decoded value and the error: a syntax error leaves no value; a number out of range is
/// decoded as 0 and reported after the whole input is read (so `fromJson`, which ignores the
/// error, sees the rest of the value, as in Go).
fn decode(text: &str) -> (Option<Value>, Option<FuncError>) {
    let mut p = Parser { b: text.as_bytes(), i: 0, path: Vec::new(), range_error: None };
    p.skip_ws();
    let v = match p.value() {
        Ok(v) => v,
        Err(e) => return (None, Some(e)),
    };
    p.skip_ws();
    if p.i < p.b.len() {
        return (None, Some(p.invalid("after top-level value")));
    }
    let err = p.range_error.take();
    (Some(v), err)
}

/// Where the decoder is, for the "cannot unmarshal" message: object keys and array indices.
enum PathElem {
    Key(String),
    Index(usize),
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    path: Vec<PathElem>,
    range_error: Option<FuncError>,
}

/// The character at the start of `rest` in single quotes, escaped as Go's `strconv.Quote`.
fn quote_char(rest: &[u8]) -> String {
    let c = match std::str::from_utf8(&rest[..rest.len().min(4)]) {
        Ok(s) => s.chars().next(),
        Err(e) => std::str::from_utf8(&rest[..e.valid_up_to()]).ok().and_then(|s| s.chars().next()),
    }
    .unwrap_or('\u{FFFD}');
    match c {
        '\'' => "'\\''".to_string(),
        '"' => "'\"'".to_string(),
        c => {
            let q = go_quote(&c.to_string());
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

impl Parser<'_> {
    fn eof() -> FuncError {
        FuncError::new("unexpected end of JSON input")
    }

    fn invalid(&self, context: &str) -> FuncError {
        if self.i < self.b.len() {
            FuncError::new(format!("invalid character {} {context}", quote_char(&self.b[self.i..])))
        } else {
            Parser::eof()
        }
    }

    fn skip_ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Result<u8, FuncError> {
        self.b.get(self.i).copied().ok_or_else(Parser::eof)
    }

    fn value(&mut self) -> Result<Value, FuncError> {
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => Ok(Value::string(self.string()?)),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Nil),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(self.invalid("looking for beginning of value")),
        }
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, FuncError> {
        self.i += 1;
        for expect in word.bytes().skip(1) {
            let c = self.peek()?;
            if c != expect {
                return Err(self.invalid(&format!("in literal {word} (expecting {})", quote_char(&[expect]))));
            }
            self.i += 1;
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Value, FuncError> {
        let start = self.i;
        if self.b[self.i] == b'-' {
            self.i += 1;
            match self.peek()? {
                b'0'..=b'9' => {}
                _ => return Err(self.invalid("in numeric literal")),
            }
        }
        if self.b[self.i] == b'0' {
            self.i += 1;
        } else {
            self.digits();
        }
        if self.i < self.b.len() && self.b[self.i] == b'.' {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.invalid("in numeric literal"));
            }
        }
        if self.i < self.b.len() && (self.b[self.i] == b'e' || self.b[self.i] == b'E') {
            self.i += 1;
            if self.i < self.b.len() && (self.b[self.i] == b'+' || self.b[self.i] == b'-') {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.invalid("in numeric literal"));
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("0");
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::float(f)),
            _ => {
                if self.range_error.is_none() {
                    let msg = format!("json: cannot unmarshal number {text} into {} of type float64", self.path_text());
                    self.range_error = Some(FuncError::new(msg));
                }
                Ok(Value::float(0.0))
            }
        }
    }

    /// Go's (v2) words for where a value sits: `Go value` at the top, `Go struct field .a.b`
    /// under an object key, `.a.0` under an array index.
    fn path_text(&self) -> String {
        let parts: Vec<String> = self
            .path
            .iter()
            .map(|p| match p {
                PathElem::Key(k) => k.replace('~', "~0").replace('/', "~1"),
                PathElem::Index(i) => i.to_string(),
            })
            .collect();
        let joined = parts.join(".");
        match self.path.last() {
            None => "Go value".to_string(),
            Some(PathElem::Key(_)) if joined.is_empty() => "Go value".to_string(),
            Some(PathElem::Key(_)) => format!("Go struct field .{joined}"),
            Some(PathElem::Index(_)) => format!(".{joined}"),
        }
    }

    /// The four hex digits after `\u` (the parser stands on the first): a bad one fails
    /// with the escape's text.
    fn hex4(&mut self) -> Result<u32, FuncError> {
        let rest = &self.b[self.i..];
        let digits = &rest[..rest.len().min(4)];
        if digits.is_empty() {
            return Err(Parser::eof());
        }
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(FuncError::new(format!(
                "invalid escape sequence `\\u{}` in string",
                String::from_utf8_lossy(digits)
            )));
        }
        if digits.len() < 4 {
            return Err(Parser::eof());
        }
        let v = digits.iter().fold(0u32, |v, c| v * 16 + (*c as char).to_digit(16).unwrap_or(0));
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, FuncError> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek()?;
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                b'\\' => {
                    self.i += 1;
                    let e = self.peek()?;
                    let simple = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(8),
                        b'f' => Some(12),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => {
                            let len = std::str::from_utf8(&self.b[self.i..(self.i + 4).min(self.b.len())])
                                .ok()
                                .and_then(|s| s.chars().next())
                                .map_or(1, char::len_utf8);
                            let esc = String::from_utf8_lossy(&self.b[self.i..self.i + len]).into_owned();
                            return Err(FuncError::new(format!("invalid escape sequence `\\{esc}` in string")));
                        }
                    };
                    self.i += 1;
                    if let Some(s) = simple {
                        out.push(s);
                        continue;
                    }
                    let mut r = self.hex4()?;
                    if (0xD800..0xDC00).contains(&r) {
                        // A high surrogate pairs with a following \uDC00-\uDFFF; alone it is
                        // U+FFFD (and what follows is read on its own).
                        let save = self.i;
                        let mut paired = false;
                        if self.b.get(self.i) == Some(&b'\\') && self.b.get(self.i + 1) == Some(&b'u') {
                            self.i += 2;
                            if let Ok(lo) = self.hex4()
                                && (0xDC00..0xE000).contains(&lo)
                            {
                                r = 0x10000 + ((r - 0xD800) << 10) + (lo - 0xDC00);
                                paired = true;
                            }
                            if !paired {
                                self.i = save;
                            }
                        }
                        if !paired {
                            r = 0xFFFD;
                        }
                    } else if (0xDC00..0xE000).contains(&r) {
                        r = 0xFFFD;
                    }
                    let ch = char::from_u32(r).unwrap_or('\u{FFFD}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err(self.invalid("in string")),
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn array(&mut self) -> Result<Value, FuncError> {
        self.i += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Ok(Value::list(items));
        }
        loop {
            self.skip_ws();
            self.path.push(PathElem::Index(items.len()));
            let item = self.value();
            self.path.pop();
            items.push(item?);
            self.skip_ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Ok(Value::list(items));
                }
                _ => return Err(self.invalid("after array element")),
            }
        }
    }

    fn object(&mut self) -> Result<Value, FuncError> {
        self.i += 1;
        let mut entries = BTreeMap::new();
        self.skip_ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Ok(Value::map(entries));
        }
        loop {
            self.skip_ws();
            if self.peek()? != b'"' {
                return Err(self.invalid("looking for beginning of object key string"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek()? != b':' {
                return Err(self.invalid("after object key"));
            }
            self.i += 1;
            self.skip_ws();
            self.path.push(PathElem::Key(key.clone()));
            let v = self.value();
            self.path.pop();
            entries.insert(key, v?);
            self.skip_ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Ok(Value::map(entries));
                }
                _ => return Err(self.invalid("after object key:value pair")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmt::format_value;
    use crate::sprig::conv::test_support::*;

    #[test]
    fn floats_like_encoding_json() {
        // From Go: json.Marshal of each float64.
        let cases = [
            (1.0, "1"),
            (1.5, "1.5"),
            (1e6, "1000000"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (-0.0, "-0"),
            (0.0, "0"),
            (123456789.125, "123456789.125"),
            (1e-10, "1e-10"),
        ];
        for (f, want) in cases {
            assert_eq!(json_float(f, FloatKind::Float64).unwrap(), want, "{f}");
        }
        assert_eq!(json_float(f64::NAN, FloatKind::Float64).unwrap_err().0, "json: unsupported value: NaN");
    }

    #[test]
    fn parse_round_trip() {
        let v = unmarshal(r#" {"b": [1, 2.5, "x\u00e9\ud83d\ude00", null, true], "a": {}} "#).unwrap();
        assert_eq!(format_value(&v), "map[a:map[] b:[1 2.5 xé😀 <nil> true]]");
        assert_eq!(marshal(&v, true, false).unwrap(), r#"{"a":{},"b":[1,2.5,"xé😀",null,true]}"#);
    }

    // BEGIN GO TABLE (generated: each row's result and %T printed by Go 1.27 + sprig 3.2.3)
    fn go_table() -> Vec<Case> {
        vec![
            (
                "toJson",
                vec![d(vec![
                    ("b", l(vec![i(1), f(2.5), s("x")])),
                    ("a", d(vec![])),
                    ("c", Value::Nil),
                    ("d", Value::Bool(true)),
                    ("e", l(vec![])),
                    ("f", d(vec![("z", i(1))])),
                ])],
                Ok("{\"a\":{},\"b\":[1,2.5,\"x\"],\"c\":null,\"d\":true,\"e\":[],\"f\":{\"z\":1}}"),
                "string",
            ),
            (
                "toJson",
                vec![s("<a&b>\u{2028}\u{2029}\u{1}\t\n\"\\\u{7f}é")],
                Ok("\"\\u003ca\\u0026b\\u003e\\u2028\\u2029\\u0001\\t\\n\\\"\\\\\u{7f}é\""),
                "string",
            ),
            ("toJson", vec![f(1e+21)], Ok("1e+21"), "string"),
            ("toJson", vec![f(1e+20)], Ok("100000000000000000000"), "string"),
            ("toJson", vec![f(1.5e-07)], Ok("1.5e-7"), "string"),
            ("toJson", vec![f(1e-06)], Ok("0.000001"), "string"),
            ("toJson", vec![f(-0.0)], Ok("-0"), "string"),
            ("toJson", vec![f(f64::NAN)], Ok(""), "string"),
            ("toJson", vec![f(f64::INFINITY)], Ok(""), "string"),
            ("toJson", vec![Value::Nil], Ok("null"), "string"),
            ("toJson", vec![l(vec![])], Ok("[]"), "string"),
            ("toJson", vec![d(vec![])], Ok("{}"), "string"),
            ("toJson", vec![f(123456789.125)], Ok("123456789.125"), "string"),
            ("toJson", vec![f(1e-10)], Ok("1e-10"), "string"),
            ("toJson", vec![Value::int64(5)], Ok("5"), "string"),
            ("toJson", vec![strs(&["a", "b"])], Ok("[\"a\",\"b\"]"), "string"),
            ("toJson", vec![l(vec![l(vec![l(vec![])])])], Ok("[[[]]]"), "string"),
            (
                "toPrettyJson",
                vec![d(vec![
                    ("b", l(vec![i(1), f(2.5), s("x")])),
                    ("a", d(vec![])),
                    ("c", Value::Nil),
                    ("d", Value::Bool(true)),
                    ("e", l(vec![])),
                    ("f", d(vec![("z", i(1))])),
                ])],
                Ok(
                    "{\n  \"a\": {},\n  \"b\": [\n    1,\n    2.5,\n    \"x\"\n  ],\n  \"c\": null,\n  \"d\": true,\n  \"e\": [],\n  \"f\": {\n    \"z\": 1\n  }\n}",
                ),
                "string",
            ),
            (
                "toPrettyJson",
                vec![s("<a&b>\u{2028}\u{2029}\u{1}\t\n\"\\\u{7f}é")],
                Ok("\"\\u003ca\\u0026b\\u003e\\u2028\\u2029\\u0001\\t\\n\\\"\\\\\u{7f}é\""),
                "string",
            ),
            ("toPrettyJson", vec![f(1e+21)], Ok("1e+21"), "string"),
            ("toPrettyJson", vec![f(1e+20)], Ok("100000000000000000000"), "string"),
            ("toPrettyJson", vec![f(1.5e-07)], Ok("1.5e-7"), "string"),
            ("toPrettyJson", vec![f(1e-06)], Ok("0.000001"), "string"),
            ("toPrettyJson", vec![f(-0.0)], Ok("-0"), "string"),
            ("toPrettyJson", vec![f(f64::NAN)], Ok(""), "string"),
            ("toPrettyJson", vec![f(f64::INFINITY)], Ok(""), "string"),
            ("toPrettyJson", vec![Value::Nil], Ok("null"), "string"),
            ("toPrettyJson", vec![l(vec![])], Ok("[]"), "string"),
            ("toPrettyJson", vec![d(vec![])], Ok("{}"), "string"),
            ("toPrettyJson", vec![f(123456789.125)], Ok("123456789.125"), "string"),
            ("toPrettyJson", vec![f(1e-10)], Ok("1e-10"), "string"),
            ("toPrettyJson", vec![Value::int64(5)], Ok("5"), "string"),
            ("toPrettyJson", vec![strs(&["a", "b"])], Ok("[\n  \"a\",\n  \"b\"\n]"), "string"),
            ("toPrettyJson", vec![l(vec![l(vec![l(vec![])])])], Ok("[\n  [\n    []\n  ]\n]"), "string"),
            (
                "toRawJson",
                vec![d(vec![
                    ("b", l(vec![i(1), f(2.5), s("x")])),
                    ("a", d(vec![])),
                    ("c", Value::Nil),
                    ("d", Value::Bool(true)),
                    ("e", l(vec![])),
                    ("f", d(vec![("z", i(1))])),
                ])],
                Ok("{\"a\":{},\"b\":[1,2.5,\"x\"],\"c\":null,\"d\":true,\"e\":[],\"f\":{\"z\":1}}"),
                "string",
            ),
            (
                "toRawJson",
                vec![s("<a&b>\u{2028}\u{2029}\u{1}\t\n\"\\\u{7f}é")],
                Ok("\"<a&b>\\u2028\\u2029\\u0001\\t\\n\\\"\\\\\u{7f}é\""),
                "string",
            ),
            ("toRawJson", vec![f(1e+21)], Ok("1e+21"), "string"),
            ("toRawJson", vec![f(1e+20)], Ok("100000000000000000000"), "string"),
            ("toRawJson", vec![f(1.5e-07)], Ok("1.5e-7"), "string"),
            ("toRawJson", vec![f(1e-06)], Ok("0.000001"), "string"),
            ("toRawJson", vec![f(-0.0)], Ok("-0"), "string"),
            ("toRawJson", vec![f(f64::NAN)], Err("json: unsupported value: NaN"), ""),
            ("toRawJson", vec![f(f64::INFINITY)], Err("json: unsupported value: +Inf"), ""),
            ("toRawJson", vec![Value::Nil], Ok("null"), "string"),
            ("toRawJson", vec![l(vec![])], Ok("[]"), "string"),
            ("toRawJson", vec![d(vec![])], Ok("{}"), "string"),
            ("toRawJson", vec![f(123456789.125)], Ok("123456789.125"), "string"),
            ("toRawJson", vec![f(1e-10)], Ok("1e-10"), "string"),
            ("toRawJson", vec![Value::int64(5)], Ok("5"), "string"),
            ("toRawJson", vec![strs(&["a", "b"])], Ok("[\"a\",\"b\"]"), "string"),
            ("toRawJson", vec![l(vec![l(vec![l(vec![])])])], Ok("[[[]]]"), "string"),
            (
                "mustToJson",
                vec![d(vec![
                    ("b", l(vec![i(1), f(2.5), s("x")])),
                    ("a", d(vec![])),
                    ("c", Value::Nil),
                    ("d", Value::Bool(true)),
                    ("e", l(vec![])),
                    ("f", d(vec![("z", i(1))])),
                ])],
                Ok("{\"a\":{},\"b\":[1,2.5,\"x\"],\"c\":null,\"d\":true,\"e\":[],\"f\":{\"z\":1}}"),
                "string",
            ),
            (
                "mustToJson",
                vec![s("<a&b>\u{2028}\u{2029}\u{1}\t\n\"\\\u{7f}é")],
                Ok("\"\\u003ca\\u0026b\\u003e\\u2028\\u2029\\u0001\\t\\n\\\"\\\\\u{7f}é\""),
                "string",
            ),
            ("mustToJson", vec![f(1e+21)], Ok("1e+21"), "string"),
            ("mustToJson", vec![f(1e+20)], Ok("100000000000000000000"), "string"),
            ("mustToJson", vec![f(1.5e-07)], Ok("1.5e-7"), "string"),
            ("mustToJson", vec![f(1e-06)], Ok("0.000001"), "string"),
            ("mustToJson", vec![f(-0.0)], Ok("-0"), "string"),
            ("mustToJson", vec![f(f64::NAN)], Err("json: unsupported value: NaN"), ""),
            ("mustToJson", vec![f(f64::INFINITY)], Err("json: unsupported value: +Inf"), ""),
            ("mustToJson", vec![Value::Nil], Ok("null"), "string"),
            ("mustToJson", vec![l(vec![])], Ok("[]"), "string"),
            ("mustToJson", vec![d(vec![])], Ok("{}"), "string"),
            ("mustToJson", vec![f(123456789.125)], Ok("123456789.125"), "string"),
            ("mustToJson", vec![f(1e-10)], Ok("1e-10"), "string"),
            ("mustToJson", vec![Value::int64(5)], Ok("5"), "string"),
            ("mustToJson", vec![strs(&["a", "b"])], Ok("[\"a\",\"b\"]"), "string"),
            ("mustToJson", vec![l(vec![l(vec![l(vec![])])])], Ok("[[[]]]"), "string"),
            (
                "fromJson",
                vec![s("{\"b\": [1, 2.5, \"x\\u00e9\\ud83d\\ude00\", null, true], \"a\": {}}")],
                Ok("map[a:map[] b:[1 2.5 xé😀 <nil> true]]"),
                "map[string]interface {}",
            ),
            ("fromJson", vec![s("")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s(" ")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("x")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("{\"a\" 1}")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("{\"a\":1 \"b\":2}")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("[1 2]")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("[1,]")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("{,}")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("\"abc")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("\"a\u{1}\"")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("\"\\q\"")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("\"\\u12g4\"")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("tru")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("trux")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("nul")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("fals3")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("-")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("-a")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("01")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("1.")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("1.e5")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("1e")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("1e+")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("1x")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("{\"a\":1}x")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("1e400")], Ok("0"), "float64"),
            ("fromJson", vec![s("12345678901234567890")], Ok("1.2345678901234567e+19"), "float64"),
            ("fromJson", vec![s("\"\\ud800\"")], Ok("�"), "string"),
            ("fromJson", vec![s("\"\\ud800\\u0041\"")], Ok("�A"), "string"),
            ("fromJson", vec![s("\"\\udc00\"")], Ok("�"), "string"),
            ("fromJson", vec![s("{\"a\":1,\"a\":2}")], Ok("map[a:2]"), "map[string]interface {}"),
            ("fromJson", vec![s("[]")], Ok("[]"), "[]interface {}"),
            ("fromJson", vec![s("{}")], Ok("map[]"), "map[string]interface {}"),
            ("fromJson", vec![s("null")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("  [1, {\"x\": [true]}]  ")], Ok("[1 map[x:[true]]]"), "[]interface {}"),
            ("fromJson", vec![s("'a'")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("{\"a\":1,}")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("\u{feff}1")], Ok("<nil>"), "<nil>"),
            ("fromJson", vec![s("[1e-400]")], Ok("[0]"), "[]interface {}"),
            ("fromJson", vec![s("\"é\"")], Ok("é"), "string"),
            ("fromJson", vec![s("\"\\/\"")], Ok("/"), "string"),
            ("fromJson", vec![s("-0")], Ok("-0"), "float64"),
            ("fromJson", vec![s("0.5")], Ok("0.5"), "float64"),
            ("fromJson", vec![s("1E2")], Ok("100"), "float64"),
            (
                "mustFromJson",
                vec![s("{\"b\": [1, 2.5, \"x\\u00e9\\ud83d\\ude00\", null, true], \"a\": {}}")],
                Ok("map[a:map[] b:[1 2.5 xé😀 <nil> true]]"),
                "map[string]interface {}",
            ),
            ("mustFromJson", vec![s("")], Err("unexpected end of JSON input"), ""),
            ("mustFromJson", vec![s(" ")], Err("unexpected end of JSON input"), ""),
            ("mustFromJson", vec![s("x")], Err("invalid character 'x' looking for beginning of value"), ""),
            ("mustFromJson", vec![s("{\"a\" 1}")], Err("invalid character '1' after object key"), ""),
            (
                "mustFromJson",
                vec![s("{\"a\":1 \"b\":2}")],
                Err("invalid character '\"' after object key:value pair"),
                "",
            ),
            ("mustFromJson", vec![s("[1 2]")], Err("invalid character '2' after array element"), ""),
            ("mustFromJson", vec![s("[1,]")], Err("invalid character ']' looking for beginning of value"), ""),
            (
                "mustFromJson",
                vec![s("{,}")],
                Err("invalid character ',' looking for beginning of object key string"),
                "",
            ),
            ("mustFromJson", vec![s("\"abc")], Err("unexpected end of JSON input"), ""),
            ("mustFromJson", vec![s("\"a\u{1}\"")], Err("invalid character '\\x01' in string"), ""),
            ("mustFromJson", vec![s("\"\\q\"")], Err("invalid escape sequence `\\q` in string"), ""),
            ("mustFromJson", vec![s("\"\\u12g4\"")], Err("invalid escape sequence `\\u12g4` in string"), ""),
            ("mustFromJson", vec![s("tru")], Err("unexpected end of JSON input"), ""),
            ("mustFromJson", vec![s("trux")], Err("invalid character 'x' in literal true (expecting 'e')"), ""),
            ("mustFromJson", vec![s("nul")], Err("unexpected end of JSON input"), ""),
            ("mustFromJson", vec![s("fals3")], Err("invalid character '3' in literal false (expecting 'e')"), ""),
            ("mustFromJson", vec![s("-")], Err("unexpected end of JSON input"), ""),
            ("mustFromJson", vec![s("-a")], Err("invalid character 'a' in numeric literal"), ""),
            ("mustFromJson", vec![s("01")], Err("invalid character '1' after top-level value"), ""),
            ("mustFromJson", vec![s("1.")], Err("unexpected end of JSON input"), ""),
            ("mustFromJson", vec![s("1.e5")], Err("invalid character 'e' in numeric literal"), ""),
            ("mustFromJson", vec![s("1e")], Err("unexpected end of JSON input"), ""),
            ("mustFromJson", vec![s("1e+")], Err("unexpected end of JSON input"), ""),
            ("mustFromJson", vec![s("1x")], Err("invalid character 'x' after top-level value"), ""),
            ("mustFromJson", vec![s("{\"a\":1}x")], Err("invalid character 'x' after top-level value"), ""),
            (
                "mustFromJson",
                vec![s("1e400")],
                Err("json: cannot unmarshal number 1e400 into Go value of type float64"),
                "",
            ),
            ("mustFromJson", vec![s("12345678901234567890")], Ok("1.2345678901234567e+19"), "float64"),
            ("mustFromJson", vec![s("\"\\ud800\"")], Ok("�"), "string"),
            ("mustFromJson", vec![s("\"\\ud800\\u0041\"")], Ok("�A"), "string"),
            ("mustFromJson", vec![s("\"\\udc00\"")], Ok("�"), "string"),
            ("mustFromJson", vec![s("{\"a\":1,\"a\":2}")], Ok("map[a:2]"), "map[string]interface {}"),
            ("mustFromJson", vec![s("[]")], Ok("[]"), "[]interface {}"),
            ("mustFromJson", vec![s("{}")], Ok("map[]"), "map[string]interface {}"),
            ("mustFromJson", vec![s("null")], Ok("<nil>"), "<nil>"),
            ("mustFromJson", vec![s("  [1, {\"x\": [true]}]  ")], Ok("[1 map[x:[true]]]"), "[]interface {}"),
            ("mustFromJson", vec![s("'a'")], Err("invalid character '\\'' looking for beginning of value"), ""),
            (
                "mustFromJson",
                vec![s("{\"a\":1,}")],
                Err("invalid character '}' looking for beginning of object key string"),
                "",
            ),
            (
                "mustFromJson",
                vec![s("\u{feff}1")],
                Err("invalid character '\\ufeff' looking for beginning of value"),
                "",
            ),
            ("mustFromJson", vec![s("[1e-400]")], Ok("[0]"), "[]interface {}"),
            ("mustFromJson", vec![s("\"é\"")], Ok("é"), "string"),
            ("mustFromJson", vec![s("\"\\/\"")], Ok("/"), "string"),
            ("mustFromJson", vec![s("-0")], Ok("-0"), "float64"),
            ("mustFromJson", vec![s("0.5")], Ok("0.5"), "float64"),
            ("mustFromJson", vec![s("1E2")], Ok("100"), "float64"),
            ("toJson", vec![sv("v1.2.3-rc.1")], Ok("\"1.2.3-rc.1\""), "string"),
            ("toJson", vec![ints(&[0, 1, 2])], Ok("[0,1,2]"), "string"),
            ("toJson", vec![d(vec![("v", sv("1.0"))])], Ok("{\"v\":\"1.0.0\"}"), "string"),
            (
                "toJson",
                vec![l(vec![d(vec![("a", l(vec![])), ("b", d(vec![]))])])],
                Ok("[{\"a\":[],\"b\":{}}]"),
                "string",
            ),
            ("toPrettyJson", vec![sv("v1.2.3-rc.1")], Ok("\"1.2.3-rc.1\""), "string"),
            ("toPrettyJson", vec![ints(&[0, 1, 2])], Ok("[\n  0,\n  1,\n  2\n]"), "string"),
            ("toPrettyJson", vec![d(vec![("v", sv("1.0"))])], Ok("{\n  \"v\": \"1.0.0\"\n}"), "string"),
            (
                "toPrettyJson",
                vec![l(vec![d(vec![("a", l(vec![])), ("b", d(vec![]))])])],
                Ok("[\n  {\n    \"a\": [],\n    \"b\": {}\n  }\n]"),
                "string",
            ),
            ("toRawJson", vec![sv("v1.2.3-rc.1")], Ok("\"1.2.3-rc.1\""), "string"),
            ("toRawJson", vec![ints(&[0, 1, 2])], Ok("[0,1,2]"), "string"),
            ("toRawJson", vec![d(vec![("v", sv("1.0"))])], Ok("{\"v\":\"1.0.0\"}"), "string"),
            (
                "toRawJson",
                vec![l(vec![d(vec![("a", l(vec![])), ("b", d(vec![]))])])],
                Ok("[{\"a\":[],\"b\":{}}]"),
                "string",
            ),
            ("toJson", vec![Value::Uint(1, crate::value::UintKind::Uint64)], Ok("1"), "string"),
        ]
    }

    #[test]
    fn matches_go() {
        check_table(&go_table());
    }
    // END GO TABLE

    // BEGIN GO RENDER (generated: each template's output or error from Go 1.27 + sprig 3.2.3)
    const RENDER_CASES: &[(&str, &str)] = &[
        ("{{ dict \"b\" (list 1 2.5 \"x\") \"a\" nil | toJson }}", "OK {\"a\":null,\"b\":[1,2.5,\"x\"]}"),
        ("{{ dict \"a\" (dict \"b\" 1) | toPrettyJson }}", "OK {\n  \"a\": {\n    \"b\": 1\n  }\n}"),
        ("{{ \"<a&b>\" | toJson }} {{ \"<a&b>\" | toRawJson }}", "OK \"\\u003ca\\u0026b\\u003e\" \"<a&b>\""),
        ("{{ fromJson \"{\\\"a\\\": [1, 2]}\" }}", "OK map[a:[1 2]]"),
        ("{{ (fromJson \"{\\\"a\\\": 1000000}\").a }}", "OK 1e+06"),
        ("{{ fromJson \"x\" }}", "OK <no value>"),
        (
            "{{ mustFromJson \"x\" }}",
            "ERR template: t:1:3: executing \"t\" at <mustFromJson \"x\">: error calling mustFromJson: invalid character 'x' looking for beginning of value",
        ),
        (
            "{{ mustToJson (float64 \"NaN\") }}",
            "ERR template: t:1:3: executing \"t\" at <mustToJson (float64 \"NaN\")>: error calling mustToJson: json: unsupported value: NaN",
        ),
        ("{{ toJson (float64 \"NaN\") | quote }}", "OK \"\""),
        (
            "{{ toRawJson (float64 \"NaN\") }}",
            "ERR template: t:1:3: executing \"t\" at <toRawJson (float64 \"NaN\")>: error calling toRawJson: json: unsupported value: NaN",
        ),
        ("{{ (fromJson \"[1,2]\") | typeOf }}", "OK []interface {}"),
        ("{{ toJson (semver \"1.2.3\") }}", "OK \"1.2.3\""),
        ("{{ list | toJson }}", "OK []"),
        ("{{ toJson nil }}", "OK null"),
        ("{{ toJson 1e21 }} {{ toJson 1.5e-7 }}", "OK 1e+21 1.5e-7"),
        (
            "{{ $d := dict }}{{ $_ := set $d \"x\" $d }}{{ mustToJson $d }}",
            "ERR template: t:1:44: executing \"t\" at <mustToJson $d>: error calling mustToJson: json: unsupported value: encountered a cycle via map[string]interface {}",
        ),
        ("{{ toPrettyJson (list) }} {{ toPrettyJson (dict) }}", "OK [] {}"),
        ("{{ range $k, $v := fromJson \"{\\\"b\\\":1,\\\"a\\\":2}\" }}{{ $k }}{{ $v }}{{ end }}", "OK a2b1"),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(RENDER_CASES);
    }
    // END GO RENDER
}

//! go-yaml v2's `resolve.go`: what a scalar's text is (YAML 1.1 as go-yaml reads it: `yes`,
//! `on` and `y` are true, `0755` is 493, `0b101` is 5, `1_000` is 1000, `.inf`, `~`), and the Go
//! values that decoding gives (`int`, `uint64`, `float64`, `string`, `bool`, nil, slices and
//! `map[interface{}]interface{}`).

use super::gonum::{is_yaml_style_float, parse_decimal_float, parse_int0, parse_int2, parse_uint0, parse_uint2};

pub const STR_TAG: &str = "tag:yaml.org,2002:str";
pub const BOOL_TAG: &str = "tag:yaml.org,2002:bool";
pub const INT_TAG: &str = "tag:yaml.org,2002:int";
pub const FLOAT_TAG: &str = "tag:yaml.org,2002:float";
pub const NULL_TAG: &str = "tag:yaml.org,2002:null";
pub const TIMESTAMP_TAG: &str = "tag:yaml.org,2002:timestamp";
pub const BINARY_TAG: &str = "tag:yaml.org,2002:binary";
pub const MERGE_TAG: &str = "tag:yaml.org,2002:merge";

/// A Go value as go-yaml v2 decodes into (and encodes from) `interface{}`. `Map` keeps its
/// entries in insertion order with unique keys (Go's map equality).
#[derive(Debug, Clone, PartialEq)]
pub enum GoValue {
    Null,
    Bool(bool),
    /// `int` (64-bit) or `int64`: the same here.
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<GoValue>),
    Map(Vec<(GoValue, GoValue)>),
}

impl GoValue {
    /// Go's `==` on interface values of map keys: the same type and value (NaN is never equal).
    pub fn same_key(&self, other: &GoValue) -> bool {
        match (self, other) {
            (GoValue::Float(a), GoValue::Float(b)) => a == b,
            _ => self == other,
        }
    }
}

/// What a plain scalar's text resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Timestamp,
    Merge,
    Str,
}

impl Resolved {
    pub fn tag(&self) -> &'static str {
        match self {
            Resolved::Null => NULL_TAG,
            Resolved::Bool(_) => BOOL_TAG,
            Resolved::Int(_) | Resolved::Uint(_) => INT_TAG,
            Resolved::Float(_) => FLOAT_TAG,
            Resolved::Timestamp => TIMESTAMP_TAG,
            Resolved::Merge => MERGE_TAG,
            Resolved::Str => STR_TAG,
        }
    }
}

fn in_map(s: &str) -> Option<Resolved> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Resolved::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Resolved::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        "<<" => Resolved::Merge,
        _ => return None,
    })
}

/// `resolve("", in)`: an untagged plain scalar (`timestamp` only when `timestamps` is set,
/// which is go-yaml's `tag == "" || tag == !!timestamp`).
fn resolve_text(s: &str, timestamps: bool) -> Resolved {
    let hint = match s.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    };
    if hint == 0 {
        return Resolved::Str;
    }
    if let Some(item) = in_map(s) {
        return item;
    }
    match hint {
        b'.' => {
            // ParseFloat of a text starting with '.': a decimal fraction, nothing else.
            if is_yaml_style_float(s)
                && !s.starts_with(['+', '-'])
                && let Some(f) = parse_decimal_float(s)
            {
                return Resolved::Float(f);
            }
        }
        b'D' | b'S' => {
            if timestamps && parse_timestamp(s) {
                return Resolved::Timestamp;
            }
            let plain = s.replace('_', "");
            if let Some(i) = parse_int0(&plain) {
                return Resolved::Int(i);
            }
            if let Some(u) = parse_uint0(&plain) {
                return Resolved::Uint(u);
            }
            if is_yaml_style_float(&plain)
                && let Some(f) = parse_decimal_float(&plain)
            {
                return Resolved::Float(f);
            }
            if let Some(rest) = plain.strip_prefix("0b") {
                if let Some(i) = parse_int2(rest) {
                    return Resolved::Int(i);
                }
                if let Some(u) = parse_uint2(rest) {
                    return Resolved::Uint(u);
                }
            } else if let Some(rest) = plain.strip_prefix("-0b")
                && let Some(i) = parse_int2(&format!("-{rest}"))
            {
                return Resolved::Int(i);
            }
        }
        _ => {}
    }
    Resolved::Str
}

/// What an untagged plain scalar is.
pub fn resolve_plain(s: &str) -> Resolved {
    resolve_text(s, true)
}

fn short_tag(tag: &str) -> String {
    match tag.strip_prefix("tag:yaml.org,2002:") {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_string(),
    }
}

/// `resolve(tag, in)` for a tagged scalar (or an untagged plain one, `tag` empty): the
/// resolution and the tag it has, or go-yaml's error when the tag does not fit the text.
pub fn resolve(tag: &str, s: &str) -> Result<(String, Resolved), String> {
    let resolvable = matches!(tag, "" | STR_TAG | BOOL_TAG | INT_TAG | FLOAT_TAG | NULL_TAG | TIMESTAMP_TAG);
    if !resolvable {
        return Ok((tag.to_string(), Resolved::Str));
    }
    let resolved = if tag == STR_TAG { Resolved::Str } else { resolve_text(s, tag.is_empty() || tag == TIMESTAMP_TAG) };
    let rtag = resolved.tag();
    if tag.is_empty() || tag == rtag || tag == STR_TAG {
        return Ok((rtag.to_string(), resolved));
    }
    if tag == FLOAT_TAG
        && let Resolved::Int(i) = resolved
    {
        return Ok((FLOAT_TAG.to_string(), Resolved::Float(i as f64)));
    }
    Err(format!("yaml: cannot decode {} `{}` as a {}", short_tag(rtag), s, short_tag(tag)))
}

/// go-yaml's `isBase60Float`: `1:20` is quoted on the way out (YAML 1.1 readers take it as 80).
pub fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&c) = b.first() else { return false };
    if !(c == b'+' || c == b'-' || c.is_ascii_digit()) || !s.contains(':') {
        return false;
    }
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let mut i = 0;
    if b[i] == b'+' || b[i] == b'-' {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        // [0-5]?[0-9]: one digit, or two with the first 0-5.
        if i + 1 < b.len() && (b'0'..=b'5').contains(&b[i]) && b[i + 1].is_ascii_digit() {
            i += 2;
        } else if i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        } else {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// Go's `getnum(s, false)`: one or two digits.
fn getnum(s: &[u8]) -> Option<(u32, &[u8])> {
    let d0 = *s.first()?;
    if !d0.is_ascii_digit() {
        return None;
    }
    match s.get(1) {
        Some(d1) if d1.is_ascii_digit() => Some((u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'), &s[2..])),
        _ => Some((u32::from(d0 - b'0'), &s[1..])),
    }
}

fn days_in(month: u32, year: i64) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// go-yaml v2's `parseTimestamp`: whether `time.Parse` takes `s` with one of
/// `2006-1-2T15:4:5.999999999Z07:00`, the same with `t`, `2006-1-2 15:4:5.999999999`, `2006-1-2`.
pub fn parse_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits != 4 || b.len() == 4 || b[4] != b'-' {
        return false;
    }
    let year: i64 = s[..4].parse().unwrap_or(0);
    let Some((month, rest)) = getnum(&b[5..]) else { return false };
    if !(1..=12).contains(&month) {
        return false;
    }
    let Some(rest) = rest.strip_prefix(b"-") else { return false };
    let Some((day, rest)) = getnum(rest) else { return false };
    if day < 1 || day > days_in(month, year) {
        return false;
    }
    if rest.is_empty() {
        return true;
    }
    let (zone, rest) = match rest[0] {
        b'T' | b't' => (true, &rest[1..]),
        b' ' => (false, &rest[1..]),
        _ => return false,
    };
    let Some((hour, rest)) = getnum(rest) else { return false };
    let Some(rest) = rest.strip_prefix(b":") else { return false };
    let Some((minute, rest)) = getnum(rest) else { return false };
    let Some(rest) = rest.strip_prefix(b":") else { return false };
    let Some((second, mut rest)) = getnum(rest) else { return false };
    if hour >= 24 || minute >= 60 || second >= 60 {
        return false;
    }
    // .999999999: a period or comma and any number of digits (at least one), or nothing.
    if rest.len() >= 2 && (rest[0] == b'.' || rest[0] == b',') && rest[1].is_ascii_digit() {
        let n = 1 + rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[n..];
    }
    if !zone {
        return rest.is_empty();
    }
    // Z07:00: Z, or ±hh:mm.
    if rest == b"Z" {
        return true;
    }
    if rest.len() != 6 || rest[3] != b':' || !(rest[0] == b'+' || rest[0] == b'-') {
        return false;
    }
    let two = |p: &[u8]| p.iter().all(u8::is_ascii_digit).then(|| u32::from(p[0] - b'0') * 10 + u32::from(p[1] - b'0'));
    match (two(&rest[1..3]), two(&rest[4..6])) {
        (Some(h), Some(m)) => h <= 24 && m <= 60,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected resolutions from gopkg.in/yaml.v2 2.4.0 (yaml.Unmarshal into interface{}).
    #[test]
    fn plain_scalars_resolve_as_yaml_1_1() {
        assert_eq!(resolve_plain("yes"), Resolved::Bool(true));
        assert_eq!(resolve_plain("Off"), Resolved::Bool(false));
        assert_eq!(resolve_plain("0755"), Resolved::Int(493));
        assert_eq!(resolve_plain("0x1F"), Resolved::Int(31));
        assert_eq!(resolve_plain("1_000"), Resolved::Int(1000));
        assert_eq!(resolve_plain("08"), Resolved::Float(8.0));
        assert_eq!(resolve_plain("1e400"), Resolved::Str);
        assert_eq!(resolve_plain("~"), Resolved::Null);
        assert_eq!(resolve_plain("2001-12-14"), Resolved::Timestamp);
        assert_eq!(resolve_plain("2001-02-30"), Resolved::Str);
        assert_eq!(resolve_plain("yEs"), Resolved::Str);
        assert!(is_base60_float("1:20") && !is_base60_float("1:60") && !is_base60_float("a:1"));
        assert_eq!(resolve(INT_TAG, "x"), Err("yaml: cannot decode !!str `x` as a !!int".to_string()));
    }
}

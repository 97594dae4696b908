//! Constants as Go reads them: `strconv.ParseInt`/`ParseUint` with base 0 (`0x1F`, `0o17`,
//! `0b101`, `017`, `1_000`), `ParseFloat`, character constants and quoted strings with Go's
//! escapes (`strconv.Unquote`, `UnquoteChar`).

use super::node::Number;

/// Go's `parse.newNumber`: every interpretation of the constant that fits.
pub(crate) fn parse(text: &str, is_char: bool) -> Result<Number, String> {
    let mut n =
        Number { text: text.to_string(), is_int: false, is_uint: false, is_float: false, int: 0, uint: 0, float: 0.0 };
    if is_char {
        let inner = &text[1..];
        let (c, tail) = unquote_char(inner, '\'').ok_or_else(|| "invalid syntax".to_string())?;
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        n.int = c as i64;
        n.is_int = true;
        n.uint = c as u64;
        n.is_uint = true;
        n.float = c as u32 as f64;
        n.is_float = true;
        return Ok(n);
    }
    if text.ends_with('i') {
        return Err(format!("complex constants are not supported: {text:?}"));
    }
    if let Some(u) = parse_uint(text) {
        n.is_uint = true;
        n.uint = u;
    }
    if let Some(i) = parse_int(text) {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            n.is_uint = true;
            n.uint = 0;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float = n.uint as f64;
    } else if let Some(f) = parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {text:?}"));
        }
        n.is_float = true;
        n.float = f;
        if !n.is_int && (f as i64) as f64 == f && f.is_finite() {
            n.is_int = true;
            n.int = f as i64;
        }
        if !n.is_uint && (f as u64) as f64 == f && f.is_finite() && f >= 0.0 {
            n.is_uint = true;
            n.uint = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {text:?}"));
    }
    Ok(n)
}

/// Go's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    if !b.is_empty() && (b[0] == b'-' || b[0] == b'+') {
        i = 1;
    }
    let mut hex = false;
    if b.len() >= i + 2 && b[i] == b'0' && matches!(b[i + 1] | 0x20, b'b' | b'o' | b'x') {
        hex = b[i + 1] | 0x20 == b'x';
        i += 2;
        saw = b'0';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && (c | 0x20).is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// The digits and base of an integer literal with base prefix 0 semantics, sign removed.
fn split_base(s: &str) -> Option<(&str, u32)> {
    if s.is_empty() {
        return None;
    }
    let lower = |i: usize| s.as_bytes().get(i).map(|c| c | 0x20);
    if s.as_bytes()[0] == b'0' && s.len() > 1 {
        match lower(1) {
            Some(b'x') => Some((&s[2..], 16)),
            Some(b'o') => Some((&s[2..], 8)),
            Some(b'b') => Some((&s[2..], 2)),
            _ => Some((&s[1..], 8)),
        }
    } else {
        Some((s, 10))
    }
}

fn parse_magnitude(s: &str) -> Option<u64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let (digits, base) = split_base(s)?;
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() {
        // "0x" alone is invalid; "0" is handled by split_base returning ("", 8) for "0"? No:
        // a lone "0" never reaches here with an empty string (len > 1 check).
        return None;
    }
    u64::from_str_radix(&digits, base).ok()
}

/// `strconv.ParseUint(s, 0, 64)`.
pub(crate) fn parse_uint(s: &str) -> Option<u64> {
    if s.starts_with(['+', '-']) {
        return None;
    }
    if s == "0" {
        return Some(0);
    }
    parse_magnitude(s)
}

/// `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = if body == "0" { 0 } else { parse_magnitude(body)? };
    if negative {
        if magnitude > i64::MAX as u64 + 1 {
            return None;
        }
        Some((magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// `strconv.ParseFloat(s, 64)` for the literals the lexer produces (decimal, with
/// underscores between digits; hexadecimal mantissa with `p` exponent).
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    let (negative, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, &cleaned[1..]),
        Some(b'+') => (false, &cleaned[1..]),
        _ => (false, &cleaned[..]),
    };
    let value = if body.len() > 2 && (body.starts_with("0x") || body.starts_with("0X")) {
        parse_hex_float(&body[2..])?
    } else {
        if body.is_empty() || !body.bytes().any(|c| c.is_ascii_digit()) {
            return None;
        }
        if !body.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-')) {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    // Go reports out-of-range values as errors (with ±Inf): no constant.
    if value.is_infinite() {
        return None;
    }
    Some(if negative { -value } else { value })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exp) = match s.find(['p', 'P']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
        None => return None,
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut value = 0f64;
    for c in int_part.chars() {
        value = value * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        value += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    Some(value * 2f64.powi(exp))
}

/// Go's `strconv.UnquoteChar`: the first character of `s` (an escape or a literal), and the
/// rest. `quote` is the enclosing quote, which must be escaped inside.
pub(crate) fn unquote_char(s: &str, quote: char) -> Option<(char, &str)> {
    let mut chars = s.chars();
    let c = chars.next()?;
    if c == quote && (quote == '\'' || quote == '"') {
        return None;
    }
    if c != '\\' {
        return Some((c, chars.as_str()));
    }
    let rest = chars.as_str();
    let e = rest.chars().next()?;
    let after = &rest[e.len_utf8()..];
    let simple = match e {
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        '\\' => Some('\\'),
        '\'' | '"' => {
            if e != quote {
                return None;
            }
            Some(e)
        }
        _ => None,
    };
    if let Some(c) = simple {
        return Some((c, after));
    }
    match e {
        'x' | 'u' | 'U' => {
            let n = match e {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            if after.len() < n || !after.is_char_boundary(n) {
                return None;
            }
            let v = u32::from_str_radix(&after[..n], 16).ok()?;
            if e == 'x' {
                // A byte: only ASCII keeps its meaning in a Rust string (see the README).
                return Some((char::from_u32(v).filter(|_| v < 0x80).unwrap_or('\u{FFFD}'), &after[n..]));
            }
            Some((char::from_u32(v)?, &after[n..]))
        }
        '0'..='7' => {
            if after.len() < 2 || !after.is_char_boundary(2) {
                return None;
            }
            let digits = &rest[..3];
            let v = u32::from_str_radix(digits, 8).ok()?;
            if v > 255 {
                return None;
            }
            Some((char::from_u32(v).filter(|_| v < 0x80).unwrap_or('\u{FFFD}'), &rest[3..]))
        }
        _ => None,
    }
}

/// Go's `strconv.Unquote` of a double-quoted string.
pub(crate) fn unquote_string(s: &str) -> Result<String, ()> {
    if s.len() < 2 || !s.starts_with('"') || !s.ends_with('"') {
        return Err(());
    }
    let mut inner = &s[1..s.len() - 1];
    let mut out = String::with_capacity(inner.len());
    if !inner.contains('\\') {
        if inner.contains(['"', '\n']) {
            return Err(());
        }
        return Ok(inner.to_string());
    }
    while !inner.is_empty() {
        let (c, rest) = unquote_char(inner, '"').ok_or(())?;
        if c == '\n' && !inner.starts_with('\\') {
            return Err(());
        }
        out.push(c);
        inner = rest;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_as_strconv_with_base_zero() {
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("017"), Some(15));
        assert_eq!(parse_int("0o17"), Some(15));
        assert_eq!(parse_int("0b101"), Some(5));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), None);
        assert_eq!(parse_uint("9223372036854775808"), Some(1 << 63));
        assert_eq!(parse_int("08"), None);
        assert_eq!(parse_int("1__0"), None);
    }

    #[test]
    fn constants_carry_every_interpretation() {
        let n = parse("3.0", false).unwrap();
        assert!(n.is_int && n.is_float && n.is_uint);
        let n = parse("-2.5", false).unwrap();
        assert!(!n.is_int && n.is_float);
        assert_eq!(parse("08", false).unwrap_err(), "integer overflow: \"08\"");
        let n = parse("'a'", true).unwrap();
        assert_eq!(n.int, 97);
        let n = parse("'\\n'", true).unwrap();
        assert_eq!(n.int, 10);
    }

    #[test]
    fn strings_unquote_with_go_escapes() {
        assert_eq!(unquote_string(r#""a\tb\u00e9\x41""#).unwrap(), "a\tbéA");
        assert!(unquote_string(r#""\'""#).is_err());
        assert!(unquote_string(r#""\q""#).is_err());
    }
}

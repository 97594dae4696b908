//! Go's number texts, as go-yaml v2 and encoding/json read and write them: `strconv.ParseInt`
//! and `ParseUint` with base 0, `ParseFloat`'s refusals, and `FormatFloat` with the shortest
//! digits in the `'g'`, `'e'` and `'f'` formats (what `toYaml` and JSON print).

use kots_template::FloatKind;
use kots_template::fmt::format_float;

/// `strconv.FormatFloat(f, 'g', -1, 64)`: `1e+06`, `1.5`, `1e-05`, `+Inf`, `NaN` (kots-template's
/// port of strconv, whose shortest digits break ties to even as Go's do).
pub fn format_g(f: f64) -> String {
    format_float(f, b'g', -1, FloatKind::Float64)
}

/// `strconv.FormatFloat(f, 'g', -1, 32)`: sigs.k8s.io/yaml names float map keys this way
/// (`3.1415927` for `3.14159265358979`).
pub fn format_g32(f: f64) -> String {
    format_float(f64::from(f as f32), b'g', -1, FloatKind::Float32)
}

/// encoding/json's text of a float64: `'f'` digits, or `'e'` below 1e-6 and from 1e21 on,
/// with a one-digit negative exponent (`1e-7`, not `1e-07`).
pub fn json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let mut text = format_float(f, b'e', -1, FloatKind::Float64);
        let n = text.len();
        let bytes = text.as_bytes();
        if n >= 4 && bytes[n - 4] == b'e' && bytes[n - 3] == b'-' && bytes[n - 2] == b'0' {
            text.remove(n - 2);
        }
        text
    } else {
        format_float(f, b'f', -1, FloatKind::Float64)
    }
}

/// The digits of `s` in `base`, as `strconv.ParseUint` reads them after the prefix: `None`
/// when one is not a digit of the base, or none is there, or the value passes `u64`.
fn digits_value(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for c in s.chars() {
        let digit = c.to_digit(base)?;
        value = value.checked_mul(u64::from(base))?.checked_add(u64::from(digit))?;
    }
    Some(value)
}

/// `strconv.ParseUint(s, 0, 64)` (no sign; `0x`, `0o`, `0b` and a leading `0` pick the base;
/// underscores are gone before go-yaml calls it).
pub fn parse_uint0(s: &str) -> Option<u64> {
    let lower = s.get(..2).map(str::to_ascii_lowercase);
    match lower.as_deref() {
        Some("0x") => digits_value(&s[2..], 16),
        Some("0o") => digits_value(&s[2..], 8),
        Some("0b") => digits_value(&s[2..], 2),
        _ if s.len() > 1 && s.starts_with('0') => digits_value(&s[1..], 8),
        _ => digits_value(s, 10),
    }
}

/// `strconv.ParseInt(s, 0, 64)`.
pub fn parse_int0(s: &str) -> Option<i64> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_uint0(rest)?;
    if negative {
        if magnitude <= 1 << 63 { Some((magnitude as i64).wrapping_neg()) } else { None }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// `strconv.ParseInt(s, 2, 64)` (a sign allowed, nothing else but binary digits).
pub fn parse_int2(s: &str) -> Option<i64> {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = digits_value(rest, 2)?;
    if negative {
        if magnitude <= 1 << 63 { Some((magnitude as i64).wrapping_neg()) } else { None }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// `strconv.ParseUint(s, 2, 64)`.
pub fn parse_uint2(s: &str) -> Option<u64> {
    digits_value(s, 2)
}

/// `strconv.ParseFloat(s, 64)` of a text already known to be a plain decimal (go-yaml's
/// `yamlStyleFloat`, or `.` and digits): `None` where Go reports an error, which is only when
/// the value overflows to infinity.
pub fn parse_decimal_float(s: &str) -> Option<f64> {
    let f: f64 = s.parse().ok()?;
    if f.is_infinite() { None } else { Some(f) }
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
pub fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected texts from Go 1.27: fmt.Println(strconv.FormatFloat(f, 'g', -1, 64)) and
    // json.Marshal(f).
    #[test]
    fn floats_print_as_go_prints_them() {
        assert_eq!(format_g(1e6), "1e+06");
        assert_eq!(format_g(123456.0), "123456");
        assert_eq!(format_g(1234567.5), "1.2345675e+06");
        assert_eq!(format_g(0.0001), "0.0001");
        assert_eq!(format_g(0.00001), "1e-05");
        assert_eq!(format_g(-0.0), "-0");
        assert_eq!(format_g(2.5), "2.5");
        assert_eq!(format_g(1e21), "1e+21");
        assert_eq!(format_g32(1.23456789012345), "1.2345679");
        assert_eq!(json_float(1e21), "1e+21");
        assert_eq!(json_float(1e20), "100000000000000000000");
        assert_eq!(json_float(1e-7), "1e-7");
        assert_eq!(json_float(0.000001), "0.000001");
        assert_eq!(json_float(-0.0), "-0");
        assert_eq!(json_float(1.5e-10), "1.5e-10");
        // A tie between two shortest texts goes to the even digit, as in Go.
        assert_eq!(format_g(623656087152026.3), "6.236560871520262e+14");
    }

    #[test]
    fn integers_read_as_strconv_reads_them() {
        assert_eq!(parse_int0("0755"), Some(493));
        assert_eq!(parse_int0("0x1F"), Some(31));
        assert_eq!(parse_int0("-0b101"), Some(-5));
        assert_eq!(parse_int0("08"), None);
        assert_eq!(parse_int0("9223372036854775808"), None);
        assert_eq!(parse_uint0("9223372036854775808"), Some(1 << 63));
        assert_eq!(parse_int0("-9223372036854775808"), Some(i64::MIN));
        assert!(is_yaml_style_float("1.") && is_yaml_style_float(".5e-3") && !is_yaml_style_float("1e"));
    }
}

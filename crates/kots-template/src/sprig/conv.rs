//! Conversions: `toString`, `toStrings`, `atoi`, `int`, `int64`, `float64`, `toDecimal`, and
//! the spf13/cast and strconv helpers every numeric sprig function is built on.
//!
//! sprig's arithmetic (`add`, `max`, `round`, …) converts each operand with spf13/cast's
//! `ToInt64`/`ToFloat64`, which swallow errors: `int "abc"` is 0, `int "08"` is 0 (base-0
//! parsing reads a leading 0 as octal and 8 is no octal digit), `int "0x1F"` is 31, `int 3.9`
//! is 3 and `int nil` is 0. These helpers port cast and strconv line by line so that every
//! family shares the same conversions.

use crate::fmt::format_value;
use crate::func::{ArgsExt, FuncMap};
use crate::value::{GoType, Value};

pub(super) fn register(map: &mut FuncMap) {
    map.add("toString", vec![GoType::Any], |_, a| Ok(Value::string(strval(a.arg(0)?))));
    map.add("toStrings", vec![GoType::Any], |_, a| Ok(Value::string_list(strslice(a.arg(0)?))));
    map.add("atoi", vec![GoType::String], |_, a| Ok(Value::int(atoi(a.str_arg(0)?))));
    map.add("int", vec![GoType::Any], |_, a| Ok(Value::int(to_int64(a.arg(0)?))));
    map.add("int64", vec![GoType::Any], |_, a| Ok(Value::int64(to_int64(a.arg(0)?))));
    map.add("float64", vec![GoType::Any], |_, a| Ok(Value::float(to_float64(a.arg(0)?))));
    map.add("toDecimal", vec![GoType::Any], |_, a| Ok(Value::int64(to_decimal(a.arg(0)?))));
}

/// sprig's `strval`: strings as they are, `[]byte` as text, anything else as `%v` prints it
/// (objects print through their `String()`, as Go's `fmt.Stringer` case does).
pub(crate) fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Missing | Value::Nil => "<nil>".to_string(),
        other => format_value(other),
    }
}

/// The items of a list value as Go's `reflect` sees a slice's elements (`[]byte` holds
/// `uint8`s); `None` when the value is no slice.
pub(crate) fn slice_items(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::List(l) => Some(l.items.to_vec()),
        Value::Bytes(b) => Some(b.iter().map(|x| Value::Uint(u64::from(*x), crate::value::UintKind::Uint8)).collect()),
        _ => None,
    }
}

/// sprig's `strslice` (`toStrings`, `join`, `sortAlpha`): a `[]string` stays as it is, other
/// slices become the `strval` of their non-nil items, nil becomes `[]`, anything else a list
/// of one.
pub(crate) fn strslice(v: &Value) -> Vec<String> {
    if let Value::List(l) = v
        && l.elem == GoType::String
    {
        return l.items.iter().map(strval).collect();
    }
    match slice_items(v) {
        Some(items) => items.iter().filter(|i| !i.is_nil()).map(strval).collect(),
        None if v.is_nil() => Vec::new(),
        None => vec![strval(v)],
    }
}

/// `strconv.Atoi`, errors swallowed: out-of-range values clamp (as `ParseInt` returns them),
/// malformed ones are 0.
fn atoi(s: &str) -> i64 {
    match parse_int(s, 10) {
        Ok(v) => v,
        Err(IntError::Range(v)) => v,
        Err(IntError::Syntax) => 0,
    }
}

/// sprig's `toDecimal`: `%v` of the value read as an octal number, 0 when it is none.
fn to_decimal(v: &Value) -> i64 {
    let text = match v {
        Value::Missing | Value::Nil => "<nil>".to_string(),
        other => format_value(other),
    };
    parse_int(&text, 8).unwrap_or_default()
}

/// Go's conversion of a float to an integer on amd64: truncation, and the "integer
/// indefinite" value (the smallest int64) for NaN and out-of-range values.
pub(crate) fn go_f64_to_i64(f: f64) -> i64 {
    // ±2^63: the first values outside int64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) { i64::MIN } else { f as i64 }
}

/// spf13/cast's `ToInt64` (and `ToInt`: int is 64-bit): errors are 0.
pub(crate) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i, _) => *i,
        Value::Uint(u, _) => *u as i64,
        Value::Float(f, _) => go_f64_to_i64(*f),
        Value::String(s) => parse_int(trim_zero_decimal(s), 0).unwrap_or_default(),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

/// spf13/cast's `ToFloat64`: errors are 0.
pub(crate) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i, _) => *i as f64,
        Value::Uint(u, _) => *u as f64,
        Value::Float(f, _) => *f,
        Value::String(s) => parse_float(s).unwrap_or_default(),
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

/// cast's `trimZeroDecimal`: `"3.00"` reads as `"3"` (but `"3.50"` stays, and fails).
fn trim_zero_decimal(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut found_zero = false;
    for i in (1..=bytes.len()).rev() {
        match bytes[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// Why `strconv.ParseInt` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntError {
    Syntax,
    /// Out of range: carries the clamped value `ParseInt` returns beside the error.
    Range(i64),
}

/// `strconv.ParseInt(s, base, 64)`, base 0 meaning "from the prefix" (`0x`, `0o`, `0b`, a
/// leading `0` for octal) with `_` digit separators allowed.
pub(crate) fn parse_int(s: &str, base: u32) -> Result<i64, IntError> {
    if s.is_empty() {
        return Err(IntError::Syntax);
    }
    let (neg, body) = match s.as_bytes()[0] {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let un = parse_uint(body, base, s)?;
    let cutoff = 1u64 << 63;
    if !neg && un >= cutoff {
        return Err(IntError::Range(i64::MAX));
    }
    if neg && un > cutoff {
        return Err(IntError::Range(i64::MIN));
    }
    Ok(if neg { (un as i64).wrapping_neg() } else { un as i64 })
}

/// `strconv.ParseUint(s, base, 64)`; `whole` is the text with its sign, for the underscore
/// check (as `ParseInt` passes it).
fn parse_uint(s: &str, base: u32, whole: &str) -> Result<u64, IntError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(IntError::Syntax);
    }
    let base0 = base == 0;
    let (base, mut i) = if base0 {
        if b[0] == b'0' {
            if b.len() >= 3 && b[1].eq_ignore_ascii_case(&b'b') {
                (2, 2)
            } else if b.len() >= 3 && b[1].eq_ignore_ascii_case(&b'o') {
                (8, 2)
            } else if b.len() >= 3 && b[1].eq_ignore_ascii_case(&b'x') {
                (16, 2)
            } else {
                (8, 1)
            }
        } else {
            (10, 0)
        }
    } else {
        (base, 0)
    };
    let mut n: u64 = 0;
    let mut underscores = false;
    let mut overflow = false;
    while i < b.len() {
        let c = b[i];
        i += 1;
        let d = match c {
            b'_' if base0 => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => u32::from(c - b'0'),
            b'a'..=b'z' => u32::from(c - b'a') + 10,
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return Err(IntError::Syntax),
        };
        if d >= base {
            return Err(IntError::Syntax);
        }
        match n.checked_mul(u64::from(base)).and_then(|m| m.checked_add(u64::from(d))) {
            Some(v) => n = v,
            None => overflow = true,
        }
    }
    if underscores && !underscore_ok(whole) {
        return Err(IntError::Syntax);
    }
    if overflow {
        return Err(IntError::Range(i64::MAX));
    }
    Ok(n)
}

/// strconv's `underscoreOK`: underscores only between digits, or between a base prefix and a
/// digit.
fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if !b.is_empty() && (b[0] == b'-' || b[0] == b'+') {
        b = &b[1..];
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        i += 1;
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
            continue;
        }
        if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
            continue;
        }
        if saw == b'_' {
            return false;
        }
        saw = b'!';
    }
    saw != b'_'
}

/// `strconv.ParseFloat(s, 64)`; `None` on any error (cast's `ToFloat64` then gives 0), out of
/// range included.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let special = match lower.as_str() {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" if body.len() == s.len() => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = special {
        return Some(if neg { -v } else { v });
    }
    let b = body.as_bytes();
    let hex = b.len() >= 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X');
    let v = if hex { parse_hex_float(&body[2..])? } else { parse_dec_float(body)? };
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    if v.is_infinite() {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// A decimal float's digits, `.`, exponent, with Go's syntax (at least one digit, exponent
/// digits required), then Rust's correctly rounded parse.
fn parse_dec_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut digits = false;
    let mut dot = false;
    let mut clean = String::with_capacity(s.len());
    while i < b.len() {
        match b[i] {
            b'_' => {}
            b'.' if !dot => {
                dot = true;
                clean.push('.');
            }
            c @ b'0'..=b'9' => {
                digits = true;
                clean.push(c as char);
            }
            _ => break,
        }
        i += 1;
    }
    if !digits {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        clean.push('e');
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            clean.push(b[i] as char);
            i += 1;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            if b[i] != b'_' {
                clean.push(b[i] as char);
            }
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    clean.parse::<f64>().ok()
}

/// A hexadecimal float (after `0x`): hex digits, optional `.`, mandatory `p` exponent.
fn parse_hex_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut digits = false;
    let mut dot = false;
    let mut lost = false;
    while i < b.len() {
        match b[i] {
            b'_' => {}
            b'.' if !dot => dot = true,
            c if c.is_ascii_hexdigit() => {
                digits = true;
                let d = u64::from((c as char).to_digit(16).unwrap_or(0));
                if mant >> 60 == 0 {
                    mant = mant * 16 + d;
                    if dot {
                        exp -= 4;
                    }
                } else {
                    lost |= d != 0;
                    if !dot {
                        exp += 4;
                    }
                }
            }
            _ => break,
        }
        i += 1;
    }
    if !digits || i >= b.len() || (b[i] != b'p' && b[i] != b'P') {
        return None;
    }
    i += 1;
    let mut eneg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        eneg = b[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut e: i64 = 0;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        if b[i] != b'_' {
            e = (e * 10 + i64::from(b[i] - b'0')).min(100_000);
        }
        i += 1;
    }
    if i == start || i != b.len() {
        return None;
    }
    let e = if eneg { -e } else { e };
    let m = if lost { mant | 1 } else { mant };
    Some(m as f64 * 2f64.powi((exp + e).clamp(-2000, 2000) as i32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sprig::conv::test_support::*;
    use crate::sprig::funcs;

    fn call(name: &str, args: &[Value]) -> String {
        format_value(&funcs().call(name, args).unwrap())
    }

    // Expected values from Go 1.27 + sprig 3.2.3 (the probe in /tmp/gopath-sprigA).
    #[test]
    fn int_conversions_match_cast() {
        let cases: &[(Value, &str)] = &[
            (Value::string("08"), "0"),
            (Value::string("0x1F"), "31"),
            (Value::string("010"), "8"),
            (Value::string("0b101"), "5"),
            (Value::string("0o17"), "15"),
            (Value::string("1_000"), "1000"),
            (Value::string("_1000"), "0"),
            (Value::string("3.00"), "3"),
            (Value::string("3.50"), "0"),
            (Value::string("-42"), "-42"),
            (Value::string("+7"), "7"),
            (Value::string("abc"), "0"),
            (Value::string(""), "0"),
            (Value::string("99999999999999999999"), "0"),
            (Value::float(3.9), "3"),
            (Value::float(-3.9), "-3"),
            (Value::float(1e20), "-9223372036854775808"),
            (Value::float(f64::NAN), "-9223372036854775808"),
            (Value::Nil, "0"),
            (Value::Bool(true), "1"),
            (Value::Uint(u64::MAX, crate::value::UintKind::Uint64), "-1"),
        ];
        for (arg, want) in cases {
            assert_eq!(call("int", std::slice::from_ref(arg)), *want, "int {arg:?}");
            assert_eq!(call("int64", std::slice::from_ref(arg)), *want, "int64 {arg:?}");
        }
        assert_eq!(funcs().call("int", &[Value::string("7")]).unwrap().type_name(), "int");
        assert_eq!(funcs().call("int64", &[Value::string("7")]).unwrap().type_name(), "int64");
    }

    #[test]
    fn float_and_atoi_and_decimal() {
        let floats: &[(Value, &str)] = &[
            (Value::string("1.5"), "1.5"),
            (Value::string("1e3"), "1000"),
            (Value::string(".5"), "0.5"),
            (Value::string("1."), "1"),
            (Value::string("1e"), "0"),
            (Value::string("inf"), "+Inf"),
            (Value::string("-Infinity"), "-Inf"),
            (Value::string("1e400"), "0"),
            (Value::string("0x1p-2"), "0.25"),
            (Value::string("1_0.5"), "10.5"),
            (Value::string("abc"), "0"),
            (Value::int(3), "3"),
            (Value::Nil, "0"),
            (Value::Bool(true), "1"),
        ];
        for (arg, want) in floats {
            assert_eq!(call("float64", std::slice::from_ref(arg)), *want, "float64 {arg:?}");
        }
        for (arg, want) in [
            ("12", "12"),
            ("-3", "-3"),
            ("1_0", "0"),
            ("0x10", "0"),
            ("99999999999999999999", "9223372036854775807"),
            ("x", "0"),
        ] {
            assert_eq!(call("atoi", &[Value::string(arg)]), want, "atoi {arg}");
        }
        for (arg, want) in [
            (Value::string("0777"), "511"),
            (Value::string("777"), "511"),
            (Value::int(644), "420"),
            (Value::string("8"), "0"),
            (Value::Nil, "0"),
        ] {
            assert_eq!(call("toDecimal", std::slice::from_ref(&arg)), want, "toDecimal {arg:?}");
        }
    }

    #[test]
    fn to_string_and_strings() {
        assert_eq!(call("toString", &[Value::float(1e6)]), "1e+06");
        assert_eq!(call("toString", &[Value::Nil]), "<nil>");
        assert_eq!(call("toString", &[Value::Bytes(b"hi".to_vec().into())]), "hi");
        let l = Value::list(vec![Value::int(1), Value::Nil, Value::string("a"), Value::Bool(true)]);
        let got = funcs().call("toStrings", &[l]).unwrap();
        assert_eq!(got.type_name(), "[]string");
        assert_eq!(format_value(&got), "[1 a true]");
        assert_eq!(call("toStrings", &[Value::Nil]), "[]");
        assert_eq!(call("toStrings", &[Value::int(5)]), "[5]");
    }
    /// sprig's `TxtFuncMap` names but the random, clock, crypto, network ones and `fail`
    /// (read from sprig 3.2.3's `functions.go`): all registered here.
    #[test]
    fn every_deterministic_sprig_function_is_registered() {
        let names = [
            "hello",
            "abbrev",
            "abbrevboth",
            "trunc",
            "trim",
            "upper",
            "lower",
            "title",
            "untitle",
            "substr",
            "repeat",
            "trimall",
            "trimAll",
            "trimSuffix",
            "trimPrefix",
            "nospace",
            "initials",
            "swapcase",
            "snakecase",
            "camelcase",
            "kebabcase",
            "wrap",
            "wrapWith",
            "contains",
            "hasPrefix",
            "hasSuffix",
            "quote",
            "squote",
            "cat",
            "indent",
            "nindent",
            "replace",
            "plural",
            "toString",
            "atoi",
            "int64",
            "int",
            "float64",
            "seq",
            "toDecimal",
            "split",
            "splitList",
            "splitn",
            "toStrings",
            "until",
            "untilStep",
            "add1",
            "add",
            "sub",
            "div",
            "mod",
            "mul",
            "add1f",
            "addf",
            "subf",
            "divf",
            "mulf",
            "biggest",
            "max",
            "min",
            "maxf",
            "minf",
            "ceil",
            "floor",
            "round",
            "join",
            "sortAlpha",
            "default",
            "empty",
            "coalesce",
            "all",
            "any",
            "compact",
            "mustCompact",
            "fromJson",
            "toJson",
            "toPrettyJson",
            "toRawJson",
            "mustFromJson",
            "mustToJson",
            "mustToPrettyJson",
            "mustToRawJson",
            "ternary",
            "deepCopy",
            "mustDeepCopy",
            "typeOf",
            "typeIs",
            "typeIsLike",
            "kindOf",
            "kindIs",
            "deepEqual",
            "env",
            "expandenv",
            "base",
            "dir",
            "clean",
            "ext",
            "isAbs",
            "osBase",
            "osClean",
            "osDir",
            "osExt",
            "osIsAbs",
            "b64enc",
            "b64dec",
            "b32enc",
            "b32dec",
            "tuple",
            "list",
            "dict",
            "get",
            "set",
            "unset",
            "hasKey",
            "pluck",
            "keys",
            "pick",
            "omit",
            "merge",
            "mergeOverwrite",
            "mustMerge",
            "mustMergeOverwrite",
            "values",
            "append",
            "push",
            "mustAppend",
            "mustPush",
            "prepend",
            "mustPrepend",
            "first",
            "mustFirst",
            "rest",
            "mustRest",
            "last",
            "mustLast",
            "initial",
            "mustInitial",
            "reverse",
            "mustReverse",
            "uniq",
            "mustUniq",
            "without",
            "mustWithout",
            "has",
            "mustHas",
            "slice",
            "mustSlice",
            "concat",
            "dig",
            "chunk",
            "mustChunk",
            "semver",
            "semverCompare",
            "regexMatch",
            "mustRegexMatch",
            "regexFindAll",
            "mustRegexFindAll",
            "regexFind",
            "mustRegexFind",
            "regexReplaceAll",
            "mustRegexReplaceAll",
            "regexReplaceAllLiteral",
            "mustRegexReplaceAllLiteral",
            "regexSplit",
            "mustRegexSplit",
            "regexQuoteMeta",
            "urlParse",
            "urlJoin",
        ];
        assert_eq!(names.len(), 168);
        let f = funcs();
        let missing: Vec<&str> = names.iter().copied().filter(|n| !f.contains(n)).collect();
        assert!(missing.is_empty(), "not registered: {missing:?}");
    }

    // BEGIN GO TABLE (generated: each row's result and %T printed by Go 1.27 + sprig 3.2.3)
    fn go_table() -> Vec<Case> {
        vec![
            ("int", vec![s("08")], Ok("0"), "int"),
            ("int", vec![s("0x1F")], Ok("31"), "int"),
            ("int", vec![s("010")], Ok("8"), "int"),
            ("int", vec![s("0b101")], Ok("5"), "int"),
            ("int", vec![s("0o17")], Ok("15"), "int"),
            ("int", vec![s("1_000")], Ok("1000"), "int"),
            ("int", vec![s("_1000")], Ok("0"), "int"),
            ("int", vec![s("3.00")], Ok("3"), "int"),
            ("int", vec![s("3.50")], Ok("0"), "int"),
            ("int", vec![s("-42")], Ok("-42"), "int"),
            ("int", vec![s("+7")], Ok("7"), "int"),
            ("int", vec![s("abc")], Ok("0"), "int"),
            ("int", vec![s("")], Ok("0"), "int"),
            ("int", vec![s("99999999999999999999")], Ok("0"), "int"),
            ("int", vec![f(3.9)], Ok("3"), "int"),
            ("int", vec![f(-3.9)], Ok("-3"), "int"),
            ("int", vec![f(1e+20)], Ok("-9223372036854775808"), "int"),
            ("int", vec![f(f64::NAN)], Ok("-9223372036854775808"), "int"),
            ("int", vec![Value::Nil], Ok("0"), "int"),
            ("int", vec![Value::Bool(true)], Ok("1"), "int"),
            ("int", vec![Value::Bool(false)], Ok("0"), "int"),
            ("int", vec![f(1.5e-07)], Ok("0"), "int"),
            ("int", vec![f(1000000.0)], Ok("1000000"), "int"),
            ("int", vec![Value::int64(5)], Ok("5"), "int"),
            ("int", vec![s("1e3")], Ok("0"), "int"),
            ("int", vec![s(".5")], Ok("0"), "int"),
            ("int", vec![s("1.")], Ok("0"), "int"),
            ("int", vec![s("1e")], Ok("0"), "int"),
            ("int", vec![s("inf")], Ok("0"), "int"),
            ("int", vec![s("-Infinity")], Ok("0"), "int"),
            ("int", vec![s("1e400")], Ok("0"), "int"),
            ("int", vec![s("0x1p-2")], Ok("0"), "int"),
            ("int", vec![s("1_0.5")], Ok("0"), "int"),
            ("int", vec![s("0777")], Ok("511"), "int"),
            ("int", vec![i(644)], Ok("644"), "int"),
            ("int", vec![s("8")], Ok("8"), "int"),
            ("int", vec![l(vec![i(1), i(2)])], Ok("0"), "int"),
            ("int", vec![d(vec![("a", i(1))])], Ok("0"), "int"),
            ("int64", vec![s("08")], Ok("0"), "int64"),
            ("int64", vec![s("0x1F")], Ok("31"), "int64"),
            ("int64", vec![s("010")], Ok("8"), "int64"),
            ("int64", vec![s("0b101")], Ok("5"), "int64"),
            ("int64", vec![s("0o17")], Ok("15"), "int64"),
            ("int64", vec![s("1_000")], Ok("1000"), "int64"),
            ("int64", vec![s("_1000")], Ok("0"), "int64"),
            ("int64", vec![s("3.00")], Ok("3"), "int64"),
            ("int64", vec![s("3.50")], Ok("0"), "int64"),
            ("int64", vec![s("-42")], Ok("-42"), "int64"),
            ("int64", vec![s("+7")], Ok("7"), "int64"),
            ("int64", vec![s("abc")], Ok("0"), "int64"),
            ("int64", vec![s("")], Ok("0"), "int64"),
            ("int64", vec![s("99999999999999999999")], Ok("0"), "int64"),
            ("int64", vec![f(3.9)], Ok("3"), "int64"),
            ("int64", vec![f(-3.9)], Ok("-3"), "int64"),
            ("int64", vec![f(1e+20)], Ok("-9223372036854775808"), "int64"),
            ("int64", vec![f(f64::NAN)], Ok("-9223372036854775808"), "int64"),
            ("int64", vec![Value::Nil], Ok("0"), "int64"),
            ("int64", vec![Value::Bool(true)], Ok("1"), "int64"),
            ("int64", vec![Value::Bool(false)], Ok("0"), "int64"),
            ("int64", vec![f(1.5e-07)], Ok("0"), "int64"),
            ("int64", vec![f(1000000.0)], Ok("1000000"), "int64"),
            ("int64", vec![Value::int64(5)], Ok("5"), "int64"),
            ("int64", vec![s("1e3")], Ok("0"), "int64"),
            ("int64", vec![s(".5")], Ok("0"), "int64"),
            ("int64", vec![s("1.")], Ok("0"), "int64"),
            ("int64", vec![s("1e")], Ok("0"), "int64"),
            ("int64", vec![s("inf")], Ok("0"), "int64"),
            ("int64", vec![s("-Infinity")], Ok("0"), "int64"),
            ("int64", vec![s("1e400")], Ok("0"), "int64"),
            ("int64", vec![s("0x1p-2")], Ok("0"), "int64"),
            ("int64", vec![s("1_0.5")], Ok("0"), "int64"),
            ("int64", vec![s("0777")], Ok("511"), "int64"),
            ("int64", vec![i(644)], Ok("644"), "int64"),
            ("int64", vec![s("8")], Ok("8"), "int64"),
            ("int64", vec![l(vec![i(1), i(2)])], Ok("0"), "int64"),
            ("int64", vec![d(vec![("a", i(1))])], Ok("0"), "int64"),
            ("float64", vec![s("08")], Ok("8"), "float64"),
            ("float64", vec![s("0x1F")], Ok("0"), "float64"),
            ("float64", vec![s("010")], Ok("10"), "float64"),
            ("float64", vec![s("0b101")], Ok("0"), "float64"),
            ("float64", vec![s("0o17")], Ok("0"), "float64"),
            ("float64", vec![s("1_000")], Ok("1000"), "float64"),
            ("float64", vec![s("_1000")], Ok("0"), "float64"),
            ("float64", vec![s("3.00")], Ok("3"), "float64"),
            ("float64", vec![s("3.50")], Ok("3.5"), "float64"),
            ("float64", vec![s("-42")], Ok("-42"), "float64"),
            ("float64", vec![s("+7")], Ok("7"), "float64"),
            ("float64", vec![s("abc")], Ok("0"), "float64"),
            ("float64", vec![s("")], Ok("0"), "float64"),
            ("float64", vec![s("99999999999999999999")], Ok("1e+20"), "float64"),
            ("float64", vec![f(3.9)], Ok("3.9"), "float64"),
            ("float64", vec![f(-3.9)], Ok("-3.9"), "float64"),
            ("float64", vec![f(1e+20)], Ok("1e+20"), "float64"),
            ("float64", vec![f(f64::NAN)], Ok("NaN"), "float64"),
            ("float64", vec![Value::Nil], Ok("0"), "float64"),
            ("float64", vec![Value::Bool(true)], Ok("1"), "float64"),
            ("float64", vec![Value::Bool(false)], Ok("0"), "float64"),
            ("float64", vec![f(1.5e-07)], Ok("1.5e-07"), "float64"),
            ("float64", vec![f(1000000.0)], Ok("1e+06"), "float64"),
            ("float64", vec![Value::int64(5)], Ok("5"), "float64"),
            ("float64", vec![s("1e3")], Ok("1000"), "float64"),
            ("float64", vec![s(".5")], Ok("0.5"), "float64"),
            ("float64", vec![s("1.")], Ok("1"), "float64"),
            ("float64", vec![s("1e")], Ok("0"), "float64"),
            ("float64", vec![s("inf")], Ok("+Inf"), "float64"),
            ("float64", vec![s("-Infinity")], Ok("-Inf"), "float64"),
            ("float64", vec![s("1e400")], Ok("0"), "float64"),
            ("float64", vec![s("0x1p-2")], Ok("0.25"), "float64"),
            ("float64", vec![s("1_0.5")], Ok("10.5"), "float64"),
            ("float64", vec![s("0777")], Ok("777"), "float64"),
            ("float64", vec![i(644)], Ok("644"), "float64"),
            ("float64", vec![s("8")], Ok("8"), "float64"),
            ("float64", vec![l(vec![i(1), i(2)])], Ok("0"), "float64"),
            ("float64", vec![d(vec![("a", i(1))])], Ok("0"), "float64"),
            ("toString", vec![s("08")], Ok("08"), "string"),
            ("toString", vec![s("0x1F")], Ok("0x1F"), "string"),
            ("toString", vec![s("010")], Ok("010"), "string"),
            ("toString", vec![s("0b101")], Ok("0b101"), "string"),
            ("toString", vec![s("0o17")], Ok("0o17"), "string"),
            ("toString", vec![s("1_000")], Ok("1_000"), "string"),
            ("toString", vec![s("_1000")], Ok("_1000"), "string"),
            ("toString", vec![s("3.00")], Ok("3.00"), "string"),
            ("toString", vec![s("3.50")], Ok("3.50"), "string"),
            ("toString", vec![s("-42")], Ok("-42"), "string"),
            ("toString", vec![s("+7")], Ok("+7"), "string"),
            ("toString", vec![s("abc")], Ok("abc"), "string"),
            ("toString", vec![s("")], Ok(""), "string"),
            ("toString", vec![s("99999999999999999999")], Ok("99999999999999999999"), "string"),
            ("toString", vec![f(3.9)], Ok("3.9"), "string"),
            ("toString", vec![f(-3.9)], Ok("-3.9"), "string"),
            ("toString", vec![f(1e+20)], Ok("1e+20"), "string"),
            ("toString", vec![f(f64::NAN)], Ok("NaN"), "string"),
            ("toString", vec![Value::Nil], Ok("<nil>"), "string"),
            ("toString", vec![Value::Bool(true)], Ok("true"), "string"),
            ("toString", vec![Value::Bool(false)], Ok("false"), "string"),
            ("toString", vec![f(1.5e-07)], Ok("1.5e-07"), "string"),
            ("toString", vec![f(1000000.0)], Ok("1e+06"), "string"),
            ("toString", vec![Value::int64(5)], Ok("5"), "string"),
            ("toString", vec![s("1e3")], Ok("1e3"), "string"),
            ("toString", vec![s(".5")], Ok(".5"), "string"),
            ("toString", vec![s("1.")], Ok("1."), "string"),
            ("toString", vec![s("1e")], Ok("1e"), "string"),
            ("toString", vec![s("inf")], Ok("inf"), "string"),
            ("toString", vec![s("-Infinity")], Ok("-Infinity"), "string"),
            ("toString", vec![s("1e400")], Ok("1e400"), "string"),
            ("toString", vec![s("0x1p-2")], Ok("0x1p-2"), "string"),
            ("toString", vec![s("1_0.5")], Ok("1_0.5"), "string"),
            ("toString", vec![s("0777")], Ok("0777"), "string"),
            ("toString", vec![i(644)], Ok("644"), "string"),
            ("toString", vec![s("8")], Ok("8"), "string"),
            ("toString", vec![l(vec![i(1), i(2)])], Ok("[1 2]"), "string"),
            ("toString", vec![d(vec![("a", i(1))])], Ok("map[a:1]"), "string"),
            ("toDecimal", vec![s("08")], Ok("0"), "int64"),
            ("toDecimal", vec![s("0x1F")], Ok("0"), "int64"),
            ("toDecimal", vec![s("010")], Ok("8"), "int64"),
            ("toDecimal", vec![s("0b101")], Ok("0"), "int64"),
            ("toDecimal", vec![s("0o17")], Ok("0"), "int64"),
            ("toDecimal", vec![s("1_000")], Ok("0"), "int64"),
            ("toDecimal", vec![s("_1000")], Ok("0"), "int64"),
            ("toDecimal", vec![s("3.00")], Ok("0"), "int64"),
            ("toDecimal", vec![s("3.50")], Ok("0"), "int64"),
            ("toDecimal", vec![s("-42")], Ok("-34"), "int64"),
            ("toDecimal", vec![s("+7")], Ok("7"), "int64"),
            ("toDecimal", vec![s("abc")], Ok("0"), "int64"),
            ("toDecimal", vec![s("")], Ok("0"), "int64"),
            ("toDecimal", vec![s("99999999999999999999")], Ok("0"), "int64"),
            ("toDecimal", vec![f(3.9)], Ok("0"), "int64"),
            ("toDecimal", vec![f(-3.9)], Ok("0"), "int64"),
            ("toDecimal", vec![f(1e+20)], Ok("0"), "int64"),
            ("toDecimal", vec![f(f64::NAN)], Ok("0"), "int64"),
            ("toDecimal", vec![Value::Nil], Ok("0"), "int64"),
            ("toDecimal", vec![Value::Bool(true)], Ok("0"), "int64"),
            ("toDecimal", vec![Value::Bool(false)], Ok("0"), "int64"),
            ("toDecimal", vec![f(1.5e-07)], Ok("0"), "int64"),
            ("toDecimal", vec![f(1000000.0)], Ok("0"), "int64"),
            ("toDecimal", vec![Value::int64(5)], Ok("5"), "int64"),
            ("toDecimal", vec![s("1e3")], Ok("0"), "int64"),
            ("toDecimal", vec![s(".5")], Ok("0"), "int64"),
            ("toDecimal", vec![s("1.")], Ok("0"), "int64"),
            ("toDecimal", vec![s("1e")], Ok("0"), "int64"),
            ("toDecimal", vec![s("inf")], Ok("0"), "int64"),
            ("toDecimal", vec![s("-Infinity")], Ok("0"), "int64"),
            ("toDecimal", vec![s("1e400")], Ok("0"), "int64"),
            ("toDecimal", vec![s("0x1p-2")], Ok("0"), "int64"),
            ("toDecimal", vec![s("1_0.5")], Ok("0"), "int64"),
            ("toDecimal", vec![s("0777")], Ok("511"), "int64"),
            ("toDecimal", vec![i(644)], Ok("420"), "int64"),
            ("toDecimal", vec![s("8")], Ok("0"), "int64"),
            ("toDecimal", vec![l(vec![i(1), i(2)])], Ok("0"), "int64"),
            ("toDecimal", vec![d(vec![("a", i(1))])], Ok("0"), "int64"),
            ("atoi", vec![s("12")], Ok("12"), "int"),
            ("atoi", vec![s("-3")], Ok("-3"), "int"),
            ("atoi", vec![s("1_0")], Ok("0"), "int"),
            ("atoi", vec![s("0x10")], Ok("0"), "int"),
            ("atoi", vec![s("99999999999999999999")], Ok("9223372036854775807"), "int"),
            ("atoi", vec![s("x")], Ok("0"), "int"),
            ("atoi", vec![s(" 1")], Ok("0"), "int"),
            ("atoi", vec![s("+5")], Ok("5"), "int"),
            ("toStrings", vec![l(vec![i(1), Value::Nil, s("a"), Value::Bool(true)])], Ok("[1 a true]"), "[]string"),
            ("toStrings", vec![Value::Nil], Ok("[]"), "[]string"),
            ("toStrings", vec![i(5)], Ok("[5]"), "[]string"),
            ("toStrings", vec![strs(&["a"])], Ok("[a]"), "[]string"),
            ("toStrings", vec![s("abc")], Ok("[abc]"), "[]string"),
            ("toStrings", vec![l(vec![l(vec![i(1)])])], Ok("[[1]]"), "[]string"),
            ("toStrings", vec![ints(&[0, 1, 2])], Ok("[0 1 2]"), "[]string"),
            ("toString", vec![sv("v1.2.3")], Ok("1.2.3"), "string"),
            ("int", vec![sv("1.2.3")], Ok("0"), "int"),
            ("float64", vec![Value::int64(-5)], Ok("-5"), "float64"),
            ("toDecimal", vec![f(1.5)], Ok("0"), "int64"),
        ]
    }

    #[test]
    fn matches_go() {
        check_table(&go_table());
    }
    // END GO TABLE

    // BEGIN GO RENDER (generated: each template's output or error from Go 1.27 + sprig 3.2.3)
    const RENDER_CASES: &[(&str, &str)] = &[
        ("{{ int \"08\" }} {{ int \"0x1F\" }} {{ int 3.9 }} {{ int nil }} {{ int \"abc\" }}", "OK 0 31 3 0 0"),
        ("{{ int64 \"12\" | typeOf }}", "OK int64"),
        ("{{ float64 \"1.5\" | add 1 }}", "OK 2"),
        ("{{ atoi \"42\" | add 1 }}", "OK 43"),
        ("{{ toDecimal \"0777\" }}", "OK 511"),
        ("{{ toStrings (list 1 2) | typeOf }}", "OK []string"),
        ("{{ toString (list 1 \"a\") }}", "OK [1 a]"),
        ("{{ atoi 5 }}", "ERR template: t:1:8: executing \"t\" at <5>: expected string; found 5"),
        ("{{ 1000000.0 | toString }}", "OK 1e+06"),
        ("{{ int (float64 \"1e3\") }}", "OK 1000"),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(RENDER_CASES);
    }
    // END GO RENDER
}

/// Helpers for the function tables the other modules' tests check against Go's results.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::fmt::format_value;
    use crate::value::Value;

    /// One call: function, arguments, what Go printed (`%v`) or the error it reported, and the
    /// result's `%T`.
    pub(crate) type Case = (&'static str, Vec<Value>, Result<&'static str, &'static str>, &'static str);

    pub(crate) fn i(v: i64) -> Value {
        Value::int(v)
    }

    pub(crate) fn f(v: f64) -> Value {
        Value::float(v)
    }

    pub(crate) fn s(v: &str) -> Value {
        Value::string(v)
    }

    pub(crate) fn l(items: Vec<Value>) -> Value {
        Value::list(items)
    }

    pub(crate) fn strs(items: &[&str]) -> Value {
        Value::string_list(items.iter().copied())
    }

    pub(crate) fn ints(items: &[i64]) -> Value {
        Value::typed_list(items.iter().map(|v| Value::int(*v)).collect(), crate::value::GoType::INT)
    }

    /// What sprig's `semver` returns.
    pub(crate) fn sv(v: &str) -> Value {
        crate::sprig::funcs().call("semver", &[Value::string(v)]).unwrap_or(Value::Nil)
    }

    /// A `map[string]string`, as `split` makes.
    pub(crate) fn smap(entries: &[(&str, &str)]) -> Value {
        let entries = entries.iter().map(|(k, v)| (k.to_string(), Value::string(*v))).collect();
        Value::Map(crate::value::Map::new(entries, crate::value::GoType::String))
    }

    pub(crate) fn d(entries: Vec<(&str, Value)>) -> Value {
        Value::map(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// Runs every case through sprig's map and collects the mismatches, so that one failure
    /// report lists them all.
    pub(crate) fn check_table(cases: &[Case]) {
        let funcs = crate::sprig::funcs();
        let mut failures = Vec::new();
        for (name, args, want, want_type) in cases {
            let got = funcs.call(name, args);
            let ok = match (&got, want) {
                (Ok(v), Ok(w)) => format_value(v) == *w && v.type_name() == *want_type,
                (Err(e), Err(w)) => e.0 == *w,
                _ => false,
            };
            if !ok {
                let got = got.map(|v| (format_value(&v), v.type_name()));
                failures.push(format!("{name} {args:?}\n   got {got:?}\n  want {want:?} {want_type}"));
            }
        }
        crate::testing::assert_all_agree(&failures, cases.len());
    }
}

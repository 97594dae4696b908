//! Go's `fmt` for template values: how `{{ . }}` prints a value (`%v`), and `print`,
//! `println`, `printf` with Go's verbs, flags, width and precision.
//!
//! Output must be byte-identical to Go's: `map[a:1 b:2]`, `[1 2 3]`, `<nil>`, floats as `%v`
//! prints them (`2.5`, `1e+06`, `1.23456789e+08`).

use crate::value::{FloatKind, Value};

/// Go's `fmt.Sprint(v)` of one value (`%v`).
pub fn format_value(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// Appends `%v` of `value` to `out`.
pub fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Missing => out.push_str("<no value>"),
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(v, _) => out.push_str(&v.to_string()),
        Value::Uint(v, _) => out.push_str(&v.to_string()),
        Value::Float(v, kind) => out.push_str(&format_float_v(*v, *kind)),
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => {
            out.push('[');
            for (i, byte) in b.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&byte.to_string());
            }
            out.push(']');
        }
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_nested(out, item);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, v)) in m.entries().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_nested(out, v);
            }
            out.push(']');
        }
        Value::Object(o) => out.push_str(&o.format()),
    }
}

/// A value inside a list or map: a missing value cannot occur there; nil prints `<nil>`.
fn write_nested(out: &mut String, value: &Value) {
    match value {
        Value::Missing => out.push_str("<nil>"),
        other => write_value(out, other),
    }
}

/// Go's `fmt.Sprint(args...)`: operands printed with `%v`, a space between two operands when
/// neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 && !matches!(arg, Value::String(_)) && !matches!(args[i - 1], Value::String(_)) {
            out.push(' ');
        }
        write_nested(&mut out, arg);
    }
    out
}

/// Go's `fmt.Sprintln(args...)`: spaces between all operands, and a newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_nested(&mut out, arg);
    }
    out.push('\n');
    out
}

/// `%v` of a float (Go formats it as `%g` with the shortest round-trip precision).
pub fn format_float_v(v: f64, kind: FloatKind) -> String {
    format_float_g_shortest(v, kind)
}

/// `strconv.FormatFloat(v, 'g', -1, bits)`: the shortest digits that round trip, in exponent
/// form when the decimal exponent is below -4 or at least 6 (strconv's rule for the shortest
/// precision), the exponent with at least two digits (`1e+06`).
pub fn format_float_g_shortest(v: f64, kind: FloatKind) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let sci = match kind {
        FloatKind::Float64 => format!("{v:e}"),
        FloatKind::Float32 => format!("{:e}", v as f32),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = if digits.chars().all(|c| c == '0') { "0".to_string() } else { digits };
    let nd = digits.len() as i32;
    let eprec = 6;
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if exp < -4 || exp >= eprec {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = (exp + 1) as usize;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

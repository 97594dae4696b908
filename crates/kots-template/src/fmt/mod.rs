//! Go's `fmt` for template values: how `{{ . }}` prints a value (`%v`), and `print`,
//! `println`, `printf` with Go's verbs, flags, width and precision.
//!
//! Output must be byte-identical to Go's: `map[a:1 b:2]`, `[1 2 3]`, `<nil>`, floats as `%v`
//! prints them (`2.5`, `1e+06`, `1.23456789e+08`), `%!d(string=x)` for a verb that does not
//! fit its operand. The printer (`printer.rs`) is a port of Go's `fmt/print.go` and
//! `fmt/format.go`; floats (`float.rs`) and quoting (`quote.rs`) port `strconv`. Everything
//! appends to a caller's `String`: `%v` of scalars, and of lists and maps of them, allocates
//! nothing beyond the output.
//!
//! Where a [`Value`] cannot say what Go's value would:
//! - An [`crate::Object`] prints through its `format()` as Go prints a `Stringer`, for the
//!   verbs that take a string (`%v %s %q %x %X`); `%#v` prints `format()` too, where Go prints
//!   the struct's Go syntax, and other verbs give `%!d(TYPE=…)` where Go prints the fields.
//! - Output is a Rust `String`: `%s` of a byte slice that is not UTF-8 prints U+FFFD for the
//!   bad bytes where Go copies them (`%q` and `%x` print them exactly, as Go does).
//! - `%p` prints the address of a list's, map's or byte slice's shared items, as Go prints
//!   the backing array's: an address all the same, never the same number as Go's.

mod float;
mod isprint;
mod printer;
mod quote;

#[cfg(test)]
mod go_cases;

use crate::value::{FloatKind, Value};
use printer::Printer;

pub(crate) use quote::is_print;

/// Go's `fmt.Sprint(v)` of one value (`%v`); a missing value prints `<no value>` as the
/// executor prints it.
pub fn format_value(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

/// Appends what `{{ value }}` prints: Go's `fmt.Fprint(w, v)`, and `<no value>` for a missing
/// value. The hot path of template output: scalars print without the general printer.
pub fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Missing => out.push_str("<no value>"),
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(v, _) => write_i64(out, *v),
        Value::Uint(v, _) => write_u64(out, *v),
        Value::Float(v, kind) => float::write_shortest_g(out, *v, float_bits(*kind)),
        Value::String(s) => out.push_str(s),
        _ => Printer::new(out).print_arg(value, 'v'),
    }
}

/// Appends `%v` of one operand of `print`/`printf`: as [`write_value`], but a missing value
/// is the nil interface Go passes for it and prints `<nil>`.
pub fn write_operand(out: &mut String, value: &Value) {
    match value {
        Value::Missing => out.push_str("<nil>"),
        other => write_value(out, other),
    }
}

/// Go's `fmt.Sprint(args...)`: operands printed with `%v`, a space between two operands when
/// neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    write_sprint(&mut out, args);
    out
}

/// Appends `fmt.Sprint(args...)` to `out`.
pub fn write_sprint(out: &mut String, args: &[Value]) {
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        write_operand(out, arg);
        prev_string = is_string;
    }
}

/// Go's `fmt.Sprintln(args...)`: spaces between all operands, and a newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    write_sprintln(&mut out, args);
    out
}

/// Appends `fmt.Sprintln(args...)` to `out`.
pub fn write_sprintln(out: &mut String, args: &[Value]) {
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_operand(out, arg);
    }
    out.push('\n');
}

/// Go's `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::with_capacity(format.len() + 8 * args.len());
    write_sprintf(&mut out, format, args);
    out
}

/// Appends `fmt.Sprintf(format, args...)` to `out`.
pub fn write_sprintf(out: &mut String, format: &str, args: &[Value]) {
    Printer::new(out).do_printf(format, args);
}

/// `%v` of a float (Go formats it as `%g` with the shortest round-trip precision).
pub fn format_float_v(v: f64, kind: FloatKind) -> String {
    format_float_g_shortest(v, kind)
}

/// `strconv.FormatFloat(v, 'g', -1, bits)`: the shortest digits that round trip, in exponent
/// form when the decimal exponent is below -4 or at least 6 (strconv's rule for the shortest
/// precision: `1e+06`), the exponent with at least two digits.
pub fn format_float_g_shortest(v: f64, kind: FloatKind) -> String {
    let mut out = String::new();
    float::write_shortest_g(&mut out, v, float_bits(kind));
    out
}

/// `strconv.FormatFloat(v, fmt, prec, bits)` for sprig's and KOTS's functions that call it
/// (`fmt` one of `b e E f g G x X`; `prec` -1 for the shortest).
pub fn format_float(v: f64, fmt: u8, prec: i32, kind: FloatKind) -> String {
    let mut buf = Vec::new();
    float::append_float(&mut buf, v, fmt, prec, float_bits(kind));
    buf.into_iter().map(char::from).collect()
}

/// `strconv.Quote(s)`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote::append_quoted(&mut out, s.as_bytes(), false);
    out
}

fn float_bits(kind: FloatKind) -> u32 {
    match kind {
        FloatKind::Float32 => 32,
        FloatKind::Float64 => 64,
    }
}

fn write_u64(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &c in &buf[i..] {
        out.push(c as char);
    }
}

fn write_i64(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    write_u64(out, v.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every case of the Go-generated table (`go_cases.rs`): `sprintf` must print what Go's
    /// `fmt.Sprintf` printed. All failures are reported together.
    #[test]
    fn sprintf_matches_go() {
        let cases = go_cases::cases();
        assert!(cases.len() > 2000);
        let mut failures = Vec::new();
        for (format, args, want) in &cases {
            let got = sprintf(format, args);
            if got != *want {
                failures.push(format!("sprintf({format:?}, {args:?})\n   got {got:?}\n  want {want:?}"));
            }
        }
        crate::testing::assert_all_agree(&failures, cases.len());
    }

    /// `print` and `println` (`fmt.Sprint`, `fmt.Sprintln`), from the same Go program.
    #[test]
    fn sprint_matches_go() {
        for (args, want_print, want_println) in go_cases::print_cases() {
            assert_eq!(sprint(&args), want_print, "sprint {args:?}");
            assert_eq!(sprintln(&args), want_println, "sprintln {args:?}");
        }
    }

    #[derive(Debug)]
    struct Version(&'static str);

    impl crate::value::Object for Version {
        fn type_name(&self) -> &str {
            "*main.Version"
        }
        fn field(&self, _name: &str) -> Option<Value> {
            None
        }
        fn format(&self) -> String {
            self.0.to_string()
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    /// An object prints through its `format()` as Go prints a `Stringer`. Expected values from
    /// Go 1.27 with `type Version struct{ s string }` and `func (v *Version) String() string`.
    #[test]
    fn objects_print_as_stringers() {
        let v = Value::Object(std::sync::Arc::new(Version("1.2.3")));
        for (format, want) in [
            ("%v", "1.2.3"),
            ("%s", "1.2.3"),
            ("%q", "\"1.2.3\""),
            ("%x", "312e322e33"),
            ("%X", "312E322E33"),
            ("%T", "*main.Version"),
            ("%8v|", "   1.2.3|"),
            ("%-8s|", "1.2.3   |"),
            ("%.3s", "1.2"),
            ("%+v", "1.2.3"),
        ] {
            assert_eq!(sprintf(format, std::slice::from_ref(&v)), want, "{format}");
        }
        let list = Value::list(vec![v.clone(), Value::int(1)]);
        assert_eq!(sprintf("%v", std::slice::from_ref(&list)), "[1.2.3 1]");
        assert_eq!(sprintf("%s", std::slice::from_ref(&list)), "[1.2.3 %!s(int=1)]");
        let map = Value::map([("k".to_string(), v.clone())].into_iter().collect());
        assert_eq!(format_value(&map), "map[k:1.2.3]");
        assert_eq!(sprint(&[v.clone(), v.clone(), Value::string("a"), v.clone()]), "1.2.3 1.2.3a1.2.3");
        assert_eq!(sprintf("x", std::slice::from_ref(&v)), "x%!(EXTRA *main.Version=1.2.3)");
        assert!(sprintf("%p", &[v]).starts_with("0x"));
    }

    /// `%p` of lists, maps and byte slices is an address (Go's is the backing array's); of
    /// anything else it is a bad verb.
    #[test]
    fn percent_p() {
        let list = Value::list(vec![Value::int(1)]);
        let p = sprintf("%p", std::slice::from_ref(&list));
        assert!(p.starts_with("0x") && p.len() > 3 && u64::from_str_radix(&p[2..], 16).is_ok(), "{p}");
        assert_eq!(sprintf("%#p", std::slice::from_ref(&list)), p[2..]);
        assert_eq!(sprintf("%p", &[Value::int(1)]), "%!p(int=1)");
        assert_eq!(sprintf("%p", &[Value::Nil]), "%!p(<nil>)");
    }

    /// Precisions past a float's exact expansion (and past Rust's formatter limit of 65,535):
    /// the exact digits, then zeros. Expected values from Go 1.27.
    #[test]
    fn long_precisions() {
        let one = |format: &str, v: f64| sprintf(format, &[Value::float(v)]);
        assert_eq!(
            one("%.1080f", 5e-324),
            "0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004940656458412465441765687928682213723650598026143247644255856825006755072702087518652998363616359923797965646954457177309266567103559397963987747960107818781263007131903114045278458171678489821036887186360569987307230500063874091535649843873124733972731696151400317153853980741262385655911710266585566867681870395603106249319452715914924553293054565444011274801297099995419319894090804165633245247571478690147267801593552386115501348035264934720193790268107107491703332226844753335720832431936092382893458368060106011506169809753078342277318329247904982524730776375927247874656084778203734469699533647017972677717585125660551199131504891101451037862738167250955837389733598993664809941164205702637090279242767544565229087538682506419718265533447265625000000"
        );
        assert_eq!(
            one("%.800e", 0.1),
            "1.00000000000000005551115123125782702118158340454101562500000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000e-01"
        );
        assert_eq!(
            one("%.800g", 1e300),
            "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160"
        );
        let s = one("%.70000f", 1.5);
        assert_eq!((s.len(), &s[..5], &s[s.len() - 3..]), (70002, "1.500", "000"));
        let s = one("%.70000e", 0.1);
        assert_eq!(
            (s.len(), &s[..60], &s[s.len() - 8..]),
            (70006, "1.0000000000000000555111512312578270211815834045410156250000", "0000e-01")
        );
        let s = one("%#.70000g", 0.1);
        assert_eq!(
            (s.len(), &s[..60], &s[s.len() - 8..]),
            (70002, "0.1000000000000000055511151231257827021181583404541015625000", "00000000")
        );
    }

    /// `{{ . }}` prints `%v`, except that a missing value is `<no value>` (Go's executor).
    #[test]
    fn write_value_is_percent_v() {
        for (format, args, want) in go_cases::cases() {
            if format == "%v" && args.len() == 1 {
                assert_eq!(format_value(&args[0]), want, "{args:?}");
            }
        }
        assert_eq!(format_value(&Value::Missing), "<no value>");
        assert_eq!(sprint(&[Value::Missing]), "<nil>");
        assert_eq!(sprintf("%v %d", &[Value::Missing, Value::Missing]), "<nil> %!d(<nil>)");
    }
}

//! text/template's builtin functions (`print`, `printf`, `len`, `index`, `eq`, …), as Go 1.27's
//! `text/template/funcs.go` defines them: the same results, the same errors, word for word.
//!
//! `and` and `or` are registered here so that the parser knows them, with bodies that return
//! what Go returns (the first falsy or truthy argument, else the last); the executor evaluates
//! them itself, short-circuiting as Go does.
//!
//! Go's builtins take `reflect.Value`s, so they see a missing map key (an invalid value) as it
//! is; the executor passes [`Value::Missing`] through to them unconverted. For most builtins a
//! missing value behaves as a nil interface (Go's `indirectInterface` turns both into the
//! invalid value); the functions where it does not say so.
//!
//! Arguments arrive as the executor evaluated them: a constant `1` is an `int`, a number from
//! data keeps its type. One Go quirk is not reproduced: Go's `slice` does not look through an
//! interface, so `slice .list .n` with `.n` read from a `map[string]interface {}` fails in Go
//! ("cannot index slice/array with type interface {}") while a constant works; here both work.

use crate::fmt::{is_print, sprintf, write_operand, write_sprint, write_sprintln};
use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::{GoType, List, Map, UintKind, Value};

/// The builtins, as Go's `builtins()` map.
pub(crate) fn funcs() -> FuncMap {
    let mut map = FuncMap::new();
    let any = || GoType::Any;
    map.add_variadic("and", vec![any()], any(), |_, args| Ok(and(args)));
    map.add_variadic("or", vec![any()], any(), |_, args| Ok(or(args)));
    map.add("not", vec![any()], |_, args| Ok(Value::Bool(!args.arg(0)?.truthy())));
    map.add("len", vec![any()], |_, args| length(args.arg(0)?));
    map.add_variadic("index", vec![any()], any(), |_, args| index(args.arg(0)?, &args[1..]));
    map.add_variadic("slice", vec![any()], any(), |_, args| slice(args.arg(0)?, &args[1..]));
    map.add_variadic("eq", vec![any()], any(), |_, args| eq(args.arg(0)?, &args[1..]).map(Value::Bool));
    map.add("ne", vec![any(), any()], |_, args| {
        eq(args.arg(0)?, std::slice::from_ref(args.arg(1)?)).map(|equal| Value::Bool(!equal))
    });
    map.add("lt", vec![any(), any()], |_, args| lt(args.arg(0)?, args.arg(1)?).map(Value::Bool));
    map.add("le", vec![any(), any()], |_, args| le(args.arg(0)?, args.arg(1)?).map(Value::Bool));
    map.add("gt", vec![any(), any()], |_, args| le(args.arg(0)?, args.arg(1)?).map(|v| Value::Bool(!v)));
    map.add("ge", vec![any(), any()], |_, args| lt(args.arg(0)?, args.arg(1)?).map(|v| Value::Bool(!v)));
    map.add_variadic("print", vec![], any(), |_, args| {
        let mut out = String::new();
        write_sprint(&mut out, args);
        Ok(Value::string(out))
    });
    map.add_variadic("printf", vec![GoType::String], any(), |_, args| {
        Ok(Value::string(sprintf(args.str_arg(0)?, &args[1..])))
    });
    map.add_variadic("println", vec![], any(), |_, args| {
        let mut out = String::new();
        write_sprintln(&mut out, args);
        Ok(Value::string(out))
    });
    map.add_variadic("html", vec![], any(), |_, args| Ok(Value::string(html_escape_string(&eval_args(args)))));
    map.add_variadic("js", vec![], any(), |_, args| Ok(Value::string(js_escape_string(&eval_args(args)))));
    map.add_variadic("urlquery", vec![], any(), |_, args| Ok(Value::string(query_escape(&eval_args(args)))));
    map.add_variadic("call", vec![any()], any(), |_, args| Err(call_error("", args.arg(0)?)));
    map
}

/// Go's `call`: templates have no function values here, so every call is an error. Go names
/// the callee by its source text (`non-function .Values.f of type string`); the executor knows
/// that text and should report `call_error(text, value)`, as Go's `evalCall` inserts it. The
/// registered body, which does not know it, leaves the name out.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn call_error(callee: &str, fn_value: &Value) -> FuncError {
    if fn_value.is_nil() {
        return FuncError::new("call of nil");
    }
    if callee.is_empty() {
        FuncError::new(format!("non-function of type {}", fn_value.type_name()))
    } else {
        FuncError::new(format!("non-function {callee} of type {}", fn_value.type_name()))
    }
}

/// `and`: the first falsy argument, or the last.
fn and(args: &[Value]) -> Value {
    args.iter().find(|v| !v.truthy()).or(args.last()).cloned().unwrap_or(Value::Missing)
}

/// `or`: the first truthy argument, or the last.
fn or(args: &[Value]) -> Value {
    args.iter().find(|v| v.truthy()).or(args.last()).cloned().unwrap_or(Value::Missing)
}

/// `len`. Differs between missing and nil: Go's `length` calls `Type()` on the invalid value a
/// missing key gives and panics (reported as the error below), while a nil from data is a nil
/// interface: "len of nil pointer".
fn length(item: &Value) -> Result<Value, FuncError> {
    let n = match item {
        Value::Missing => return Err(FuncError::new("reflect: call of reflect.Value.Type on zero Value")),
        Value::Nil => return Err(FuncError::new("len of nil pointer")),
        Value::String(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.items.len(),
        Value::Map(m) => m.len(),
        Value::Object(o) if let Some(m) = o.as_map() => m.len(),
        other => return Err(FuncError::new(format!("len of type {}", other.type_name()))),
    };
    Ok(Value::int(n as i64))
}

/// Go's `indexArg`: an integer index in `0..=cap`.
fn index_arg(index: &Value, cap: usize) -> Result<usize, FuncError> {
    let x = match index {
        Value::Int(v, _) => *v,
        Value::Uint(v, _) => *v as i64,
        Value::Missing | Value::Nil => return Err(FuncError::new("cannot index slice/array with nil")),
        other => return Err(FuncError::new(format!("cannot index slice/array with type {}", other.type_name()))),
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(FuncError::new(format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

/// The zero value of a Go type: what `index` gives for a key a map does not hold. Go's nil
/// slices and maps are empty ones here (`%#v` prints `[]string{}` where Go prints
/// `[]string(nil)`).
fn zero_value(t: &GoType) -> Value {
    match t {
        GoType::Any | GoType::Named(_) => Value::Nil,
        GoType::Bool => Value::Bool(false),
        GoType::Int(k) => Value::Int(0, *k),
        GoType::Uint(k) => Value::Uint(0, *k),
        GoType::Float(k) => Value::Float(0.0, *k),
        GoType::String => Value::string(""),
        GoType::Bytes => Value::Bytes(Vec::new().into()),
        GoType::Slice(elem) => Value::typed_list(Vec::new(), (**elem).clone()),
        GoType::Map(elem) => Value::Map(Map::new(Default::default(), (**elem).clone())),
    }
}

/// `index item i j …`: `item[i][j]…` over lists, byte slices, strings (a byte, as `uint8`)
/// and maps (a missing key gives the element type's zero value).
fn index(item: &Value, indexes: &[Value]) -> Result<Value, FuncError> {
    if item.is_nil() {
        return Err(FuncError::new("index of untyped nil"));
    }
    let mut item = item.clone();
    for idx in indexes {
        if let Value::Object(o) = &item
            && let Some(map) = o.as_map()
        {
            item = Value::Map(map);
        }
        item = match &item {
            Value::Missing | Value::Nil => return Err(FuncError::new("index of nil pointer")),
            Value::List(l) => {
                let x = index_arg(idx, l.items.len())?;
                l.items.get(x).cloned().ok_or_else(|| FuncError::new("reflect: slice index out of range"))?
            }
            Value::Bytes(b) => {
                let x = index_arg(idx, b.len())?;
                let byte = b.get(x).ok_or_else(|| FuncError::new("reflect: slice index out of range"))?;
                Value::Uint(u64::from(*byte), UintKind::Uint8)
            }
            Value::String(s) => {
                let x = index_arg(idx, s.len())?;
                let byte = s.as_bytes().get(x).ok_or_else(|| FuncError::new("reflect: string index out of range"))?;
                Value::Uint(u64::from(*byte), UintKind::Uint8)
            }
            Value::Map(m) => {
                let key = match idx {
                    Value::String(k) => k,
                    Value::Missing | Value::Nil => {
                        return Err(FuncError::new("value is nil; should be of type string"));
                    }
                    other => {
                        return Err(FuncError::new(format!("value has type {}; should be string", other.type_name())));
                    }
                };
                match m.get(key) {
                    Some(v) => v,
                    None => zero_value(&m.elem),
                }
            }
            other => return Err(FuncError::new(format!("can't index item of type {}", other.type_name()))),
        };
    }
    Ok(item)
}

/// `slice item [i [j [k]]]`: `item[i:j:k]` of a string (by bytes), list or byte slice. A cut
/// through a UTF-8 sequence leaves invalid UTF-8 in Go; here the broken bytes become U+FFFD.
fn slice(item: &Value, indexes: &[Value]) -> Result<Value, FuncError> {
    if item.is_nil() {
        return Err(FuncError::new("slice of untyped nil"));
    }
    if indexes.len() > 3 {
        return Err(FuncError::new(format!("too many slice indexes: {}", indexes.len())));
    }
    let len = match item {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err(FuncError::new("cannot 3-index slice a string"));
            }
            s.len()
        }
        Value::List(l) => l.items.len(),
        Value::Bytes(b) => b.len(),
        other => return Err(FuncError::new(format!("can't slice item of type {}", other.type_name()))),
    };
    let mut idx = [0, len, 0];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(index, len)?;
    }
    if idx[0] > idx[1] {
        return Err(FuncError::new(format!("invalid slice index: {} > {}", idx[0], idx[1])));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(FuncError::new(format!("invalid slice index: {} > {}", idx[1], idx[2])));
    }
    let (from, to) = (idx[0], idx[1]);
    Ok(match item {
        Value::String(s) => match s.get(from..to) {
            Some(sub) => Value::string(sub),
            None => Value::string(String::from_utf8_lossy(&s.as_bytes()[from..to]).into_owned()),
        },
        Value::List(l) => {
            Value::List(List { items: l.items[from..to].to_vec().into(), elem: l.elem.clone(), nil: false })
        }
        Value::Bytes(b) => Value::Bytes(b[from..to].into()),
        // Not reached: every other kind returned an error above.
        other => other.clone(),
    })
}

/// Go's `basicKind` classes (`invalidKind` for everything else: nil, lists, maps, objects).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
    Uint,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(..) => Kind::Int,
        Value::Uint(..) => Kind::Uint,
        Value::Float(..) => Kind::Float,
        Value::String(_) => Kind::String,
        _ => Kind::Invalid,
    }
}

/// The `reflect.Kind` name, for `canCompare`.
fn reflect_kind(v: &Value) -> &'static str {
    v.kind_name()
}

fn as_i64(v: &Value) -> i64 {
    match v {
        Value::Int(x, _) => *x,
        Value::Uint(x, _) => *x as i64,
        _ => 0,
    }
}

fn as_u64(v: &Value) -> u64 {
    match v {
        Value::Uint(x, _) => *x,
        Value::Int(x, _) => *x as u64,
        _ => 0,
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Float(x, _) => *x,
        _ => 0.0,
    }
}

fn as_bool(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

fn as_str(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// Go's `isNil` in funcs.go: no value, a nil interface, or a nil slice.
fn go_is_nil(value: &Value) -> bool {
    match value {
        Value::List(list) => list.nil,
        other => other.is_nil(),
    }
}

/// `eq arg1 arg2 …`: `arg1 == arg2 || arg1 == arg3 || …`. A missing value is a nil interface
/// here, as in Go.
fn eq(arg1: &Value, rest: &[Value]) -> Result<bool, FuncError> {
    if rest.is_empty() {
        return Err(FuncError::new("missing argument for comparison"));
    }
    let k1 = basic_kind(arg1);
    for arg in rest {
        let k2 = basic_kind(arg);
        let truth = if k1 != k2 {
            match (k1, k2) {
                (Kind::Int, Kind::Uint) => as_i64(arg1) >= 0 && as_i64(arg1) as u64 == as_u64(arg),
                (Kind::Uint, Kind::Int) => as_i64(arg) >= 0 && as_u64(arg1) == as_i64(arg) as u64,
                _ => {
                    if !arg1.is_nil() && !arg.is_nil() {
                        return Err(FuncError::new(format!(
                            "incompatible types for comparison: {} and {}",
                            arg1.type_name(),
                            arg.type_name()
                        )));
                    }
                    false
                }
            }
        } else {
            match k1 {
                Kind::Bool => as_bool(arg1) == as_bool(arg),
                Kind::Float => as_f64(arg1) == as_f64(arg),
                Kind::Int => as_i64(arg1) == as_i64(arg),
                Kind::String => as_str(arg1) == as_str(arg),
                Kind::Uint => as_u64(arg1) == as_u64(arg),
                Kind::Invalid => {
                    let can_compare = arg1.is_nil() || arg.is_nil() || reflect_kind(arg1) == reflect_kind(arg);
                    if !can_compare {
                        return Err(FuncError::new(format!(
                            "non-comparable types {}: {}, {}: {}",
                            sprintf("%s", std::slice::from_ref(arg1)),
                            arg1.type_name(),
                            arg.type_name(),
                            sprintf("%v", std::slice::from_ref(arg)),
                        )));
                    }
                    if go_is_nil(arg1) || go_is_nil(arg) {
                        go_is_nil(arg1) == go_is_nil(arg)
                    } else {
                        let equal = match (arg1, arg) {
                            (Value::Object(a), Value::Object(b)) if a.type_name() == b.type_name() => a.equals(&**b),
                            // Values of different types are unequal interfaces, if the second
                            // one's type is comparable (what Go checks).
                            (Value::Object(_), Value::Object(b)) => b.equals(&**b).map(|_| false),
                            _ => None,
                        };
                        match equal {
                            Some(equal) => equal,
                            None => {
                                return Err(FuncError::new(format!(
                                    "non-comparable type {}: {}",
                                    sprintf("%s", std::slice::from_ref(arg)),
                                    arg.type_name()
                                )));
                            }
                        }
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `lt a b`, on basic kinds only (a missing value is "invalid type for comparison", as a nil).
fn lt(arg1: &Value, arg2: &Value) -> Result<bool, FuncError> {
    let bad = || FuncError::new("invalid type for comparison");
    let k1 = basic_kind(arg1);
    if k1 == Kind::Invalid {
        return Err(bad());
    }
    let k2 = basic_kind(arg2);
    if k2 == Kind::Invalid {
        return Err(bad());
    }
    if k1 != k2 {
        return match (k1, k2) {
            (Kind::Int, Kind::Uint) => Ok(as_i64(arg1) < 0 || (as_i64(arg1) as u64) < as_u64(arg2)),
            (Kind::Uint, Kind::Int) => Ok(as_i64(arg2) >= 0 && as_u64(arg1) < as_i64(arg2) as u64),
            _ => Err(FuncError::new(format!(
                "incompatible types for comparison: {} and {}",
                arg1.type_name(),
                arg2.type_name()
            ))),
        };
    }
    Ok(match k1 {
        Kind::Float => as_f64(arg1) < as_f64(arg2),
        Kind::Int => as_i64(arg1) < as_i64(arg2),
        Kind::String => as_str(arg1) < as_str(arg2),
        Kind::Uint => as_u64(arg1) < as_u64(arg2),
        Kind::Bool | Kind::Invalid => return Err(bad()),
    })
}

/// `le a b`: `lt` or `eq`.
fn le(arg1: &Value, arg2: &Value) -> Result<bool, FuncError> {
    if lt(arg1, arg2)? {
        return Ok(true);
    }
    eq(arg1, std::slice::from_ref(arg2))
}

/// Go's `evalArgs` for `html`, `js` and `urlquery`: one string argument as it is, otherwise
/// `fmt.Sprint` of the arguments with every nil or missing one replaced by the string
/// `<no value>` (so `html .missing` is `&lt;no value&gt;`, unlike `print`'s `<nil>`).
fn eval_args(args: &[Value]) -> std::borrow::Cow<'_, str> {
    if let [Value::String(s)] = args {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = arg.is_nil() || matches!(arg, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        if arg.is_nil() {
            out.push_str("<no value>");
        } else {
            write_operand(&mut out, arg);
        }
        prev_string = is_string;
    }
    std::borrow::Cow::Owned(out)
}

/// `template.HTMLEscapeString`.
pub(crate) fn html_escape_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// `template.JSEscapeString`.
pub(crate) fn js_escape_string(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xF] as char);
            }
            c if (c as u32) < 0x80 || is_print(c as u32) => out.push(c),
            c => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
        }
    }
    out
}

/// `url.QueryEscape`: letters, digits and `-_.~` stay, a space is `+`, every other byte `%XX`.
pub(crate) fn query_escape(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() + 8);
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xF) as usize] as char);
            }
        }
    }
    out
}

#[cfg(test)]
mod go_cases;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every case of the Go-generated table (`builtins/go_cases.rs`): the result's `%T|%#v`,
    /// or the error, must be Go's. All failures are reported together.
    #[test]
    fn builtins_match_go() {
        let map = funcs();
        let cases = go_cases::cases();
        assert!(cases.len() > 4000);
        let mut failures = Vec::new();
        for (name, args, want) in &cases {
            let got = match map.call(name, args) {
                Ok(v) => {
                    let one = std::slice::from_ref(&v);
                    Ok(format!("{}|{}", sprintf("%T", one), sprintf("%#v", one)))
                }
                Err(e) => Err(e.0),
            };
            let mut want = want.map(str::to_string).map_err(str::to_string);
            if let Ok(w) = &want
                && let Some((_, ours)) = KNOWN_DIFFERENCES.iter().find(|(go, _)| go == w)
            {
                want = Ok(ours.to_string());
            }
            if got != want {
                failures.push(format!("{name} {args:?}\n   got {got:?}\n  want {want:?}"));
            }
        }
        crate::testing::assert_all_agree(&failures, cases.len());
    }

    /// Results Go has and a [`Value`] cannot: nil slices and maps (empty ones here) and strings
    /// cut through a UTF-8 sequence (U+FFFD here). Go's result, then ours.
    const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
        ("[]interface {}|[]interface {}(nil)", "[]interface {}|[]interface {}{}"),
        ("map[string]interface {}|map[string]interface {}(nil)", "map[string]interface {}|map[string]interface {}{}"),
        ("[]string|[]string(nil)", "[]string|[]string{}"),
        ("string|\"\\xa9llo\"", "string|\"\u{FFFD}llo\""),
        ("string|\"\\xc3\"", "string|\"\u{FFFD}\""),
    ];

    /// A struct type with a `String()` method, comparable (`T`, `U`) or not (`N`, which holds a
    /// slice).
    #[derive(Debug)]
    struct Obj {
        type_name: &'static str,
        s: &'static str,
        comparable: bool,
    }

    impl crate::value::Object for Obj {
        fn type_name(&self) -> &str {
            self.type_name
        }
        fn field(&self, _name: &str) -> Option<Value> {
            None
        }
        fn format(&self) -> String {
            self.s.to_string()
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
        fn equals(&self, other: &dyn crate::value::Object) -> Option<bool> {
            let other = other.as_any().downcast_ref::<Obj>()?;
            self.comparable.then(|| self.type_name == other.type_name && self.s == other.s)
        }
    }

    /// Builtins on objects. Expected values from Go 1.27 with `type T struct{ s string }`,
    /// `type U struct{ s string }`, `type N struct{ l []int }`, each with a `String()` method.
    #[test]
    fn builtins_on_objects() {
        let obj = |type_name, s, comparable| Value::Object(std::sync::Arc::new(Obj { type_name, s, comparable }));
        let (t, t2, t3) = (obj("main.T", "a", true), obj("main.T", "a", true), obj("main.T", "b", true));
        let (u, n, n2) = (obj("main.U", "a", true), obj("main.N", "n", false), obj("main.N", "n", false));
        let map = funcs();
        let call = |name: &str, args: &[&Value]| {
            let args: Vec<Value> = args.iter().map(|v| (*v).clone()).collect();
            match map.call(name, &args) {
                Ok(v) => Ok(crate::fmt::format_value(&v)),
                Err(e) => Err(e.0),
            }
        };
        let ok = |s: &str| Ok(s.to_string());
        let err = |s: &str| Err(s.to_string());
        assert_eq!(call("eq", &[&t, &t2]), ok("true"));
        assert_eq!(call("eq", &[&t, &t3]), ok("false"));
        assert_eq!(call("eq", &[&t, &u]), ok("false"));
        assert_eq!(call("eq", &[&t, &Value::string("a")]), err("incompatible types for comparison: main.T and string"));
        assert_eq!(call("eq", &[&t, &Value::Missing]), ok("false"));
        assert_eq!(call("eq", &[&n, &n2]), err("non-comparable type n: main.N"));
        assert_eq!(call("eq", &[&t, &n]), err("non-comparable type n: main.N"));
        assert_eq!(call("lt", &[&t, &t2]), err("invalid type for comparison"));
        assert_eq!(call("len", &[&t]), err("len of type main.T"));
        assert_eq!(call("index", &[&t, &Value::int(1)]), err("can't index item of type main.T"));
        assert_eq!(call("slice", &[&t, &Value::int(1)]), err("can't slice item of type main.T"));
        assert_eq!(call("not", &[&t]), ok("false"));
        assert_eq!(call("print", &[&t, &Value::int(1)]), ok("a 1"));
        assert_eq!(call("html", &[&t]), ok("a"));
    }

    /// `call`: Go's messages (`{{ call .a0 }}` with `.a0` an int, or nil).
    #[test]
    fn call_is_always_an_error() {
        assert_eq!(call_error(".a0", &Value::int(1)).0, "non-function .a0 of type int");
        assert_eq!(call_error(".s", &Value::string("x")).0, "non-function .s of type string");
        assert_eq!(call_error(".a0", &Value::Missing).0, "call of nil");
        assert_eq!(call_error("nil", &Value::Nil).0, "call of nil");
        let map = funcs();
        assert_eq!(map.call("call", &[Value::int(1)]).unwrap_err().0, "non-function of type int");
        assert_eq!(map.call("call", &[Value::Nil, Value::int(1)]).unwrap_err().0, "call of nil");
    }

    /// Every builtin of Go's `builtins()` is registered, with Go's arity.
    #[test]
    fn registers_go_builtins() {
        let map = funcs();
        for name in [
            "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println",
            "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
        ] {
            assert!(map.contains(name), "{name}");
        }
        assert_eq!(map.names().count(), 19);
        let ne = map.get("ne").map(|f| f.signature.clone());
        assert_eq!(ne, Some(crate::Signature::new(vec![GoType::Any, GoType::Any])));
        let printf = map.get("printf").map(|f| f.signature.clone());
        assert_eq!(printf, Some(crate::Signature::variadic(vec![GoType::String], GoType::Any)));
    }
}

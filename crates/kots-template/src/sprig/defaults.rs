//! sprig's `defaults.go` (but the JSON functions, in `json.rs`): `default`, `empty`,
//! `coalesce`, `all`, `any`, `ternary`. "Empty" is Go's zero-ish test: nil, false, 0, and
//! empty strings, lists and maps; structs and pointers (objects) never are.

use crate::func::{ArgsExt, FuncMap};
use crate::value::{GoType, Value};

pub(super) fn register(map: &mut FuncMap) {
    map.add_variadic("default", vec![GoType::Any], GoType::Any, |_, a| {
        let d = a.arg(0)?;
        Ok(match a.get(1) {
            Some(given) if !empty(given) => given.clone(),
            _ => d.clone(),
        })
    });
    map.add("empty", vec![GoType::Any], |_, a| Ok(Value::Bool(empty(a.arg(0)?))));
    map.add_variadic("coalesce", vec![], GoType::Any, |_, a| {
        Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Nil))
    });
    map.add_variadic("all", vec![], GoType::Any, |_, a| Ok(Value::Bool(a.iter().all(|v| !empty(v)))));
    map.add_variadic("any", vec![], GoType::Any, |_, a| Ok(Value::Bool(a.iter().any(|v| !empty(v)))));
    map.add("ternary", vec![GoType::Any, GoType::Any, GoType::Bool], |_, a| {
        Ok(if a.bool_arg(2)? { a.arg(0)?.clone() } else { a.arg(1)?.clone() })
    });
}

/// sprig's `empty`.
pub(crate) fn empty(v: &Value) -> bool {
    match v {
        Value::Missing | Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i, _) => *i == 0,
        Value::Uint(u, _) => *u == 0,
        Value::Float(f, _) => *f == 0.0,
        Value::String(s) => s.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        Value::List(l) => l.items.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Object(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmt::format_value;
    use crate::sprig::conv::test_support::*;
    use crate::sprig::funcs;

    fn run(name: &str, args: &[Value]) -> String {
        format_value(&funcs().call(name, args).unwrap())
    }

    #[test]
    fn defaults_from_go() {
        let (s, i) = (Value::string, Value::int);
        // From Go + sprig: {{ default "d" "" }} d, {{ default "d" 0 }} d, {{ default "d" "x" }} x …
        assert_eq!(run("default", &[s("d")]), "d");
        assert_eq!(run("default", &[s("d"), s("")]), "d");
        assert_eq!(run("default", &[s("d"), i(0)]), "d");
        assert_eq!(run("default", &[s("d"), Value::float(0.0)]), "d");
        assert_eq!(run("default", &[s("d"), Value::Bool(false)]), "d");
        assert_eq!(run("default", &[s("d"), Value::list(vec![])]), "d");
        assert_eq!(run("default", &[s("d"), Value::Nil]), "d");
        assert_eq!(run("default", &[s("d"), s("x")]), "x");
        assert_eq!(run("default", &[s("d"), i(0), s("x")]), "d");
        assert_eq!(run("empty", &[s("")]), "true");
        assert_eq!(run("empty", &[Value::float(f64::NAN)]), "false");
        assert_eq!(run("empty", &[Value::map(Default::default())]), "true");
        assert_eq!(run("coalesce", &[i(0), s(""), s("x"), s("y")]), "x");
        assert_eq!(run("coalesce", &[i(0), s("")]), "<nil>");
        assert_eq!(run("all", &[i(1), s("")]), "false");
        assert_eq!(run("all", &[]), "true");
        assert_eq!(run("any", &[i(0), s("a")]), "true");
        assert_eq!(run("any", &[]), "false");
        assert_eq!(run("ternary", &[s("a"), s("b"), Value::Bool(true)]), "a");
        assert_eq!(run("ternary", &[s("a"), s("b"), Value::Bool(false)]), "b");
    }

    // BEGIN GO TABLE (generated: each row's result and %T printed by Go 1.27 + sprig 3.2.3)
    fn go_table() -> Vec<Case> {
        vec![
            ("default", vec![s("d")], Ok("d"), "string"),
            ("default", vec![s("d"), s("")], Ok("d"), "string"),
            ("default", vec![s("d"), i(0)], Ok("d"), "string"),
            ("default", vec![s("d"), f(0.0)], Ok("d"), "string"),
            ("default", vec![s("d"), Value::Bool(false)], Ok("d"), "string"),
            ("default", vec![s("d"), l(vec![])], Ok("d"), "string"),
            ("default", vec![s("d"), d(vec![])], Ok("d"), "string"),
            ("default", vec![s("d"), Value::Nil], Ok("d"), "string"),
            ("default", vec![s("d"), s("x")], Ok("x"), "string"),
            ("default", vec![s("d"), i(0), s("x")], Ok("d"), "string"),
            ("default", vec![i(1), Value::int64(0)], Ok("1"), "int"),
            ("empty", vec![s("")], Ok("true"), "bool"),
            ("empty", vec![f(f64::NAN)], Ok("false"), "bool"),
            ("empty", vec![d(vec![])], Ok("true"), "bool"),
            ("empty", vec![Value::Nil], Ok("true"), "bool"),
            ("empty", vec![l(vec![Value::Nil])], Ok("false"), "bool"),
            ("empty", vec![s(" ")], Ok("false"), "bool"),
            ("empty", vec![strs(&[])], Ok("true"), "bool"),
            ("coalesce", vec![i(0), s(""), s("x"), s("y")], Ok("x"), "string"),
            ("coalesce", vec![i(0), s("")], Ok("<nil>"), "<nil>"),
            ("coalesce", vec![], Ok("<nil>"), "<nil>"),
            ("all", vec![i(1), s("")], Ok("false"), "bool"),
            ("all", vec![], Ok("true"), "bool"),
            ("all", vec![i(1), s("a"), l(vec![i(0)])], Ok("true"), "bool"),
            ("any", vec![i(0), s("a")], Ok("true"), "bool"),
            ("any", vec![], Ok("false"), "bool"),
            ("any", vec![i(0), Value::Nil, s("")], Ok("false"), "bool"),
            ("ternary", vec![s("a"), s("b"), Value::Bool(true)], Ok("a"), "string"),
            ("ternary", vec![s("a"), s("b"), Value::Bool(false)], Ok("b"), "string"),
            ("ternary", vec![i(1), Value::Nil, Value::Bool(false)], Ok("<nil>"), "<nil>"),
            ("empty", vec![sv("0.0.0")], Ok("false"), "bool"),
            ("empty", vec![ints(&[])], Ok("true"), "bool"),
            ("default", vec![s("d"), sv("1.0")], Ok("1.0.0"), "*semver.Version"),
            ("coalesce", vec![Value::Nil, ints(&[]), ints(&[0])], Ok("[0]"), "[]int"),
        ]
    }

    #[test]
    fn matches_go() {
        check_table(&go_table());
    }
    // END GO TABLE

    // BEGIN GO RENDER (generated: each template's output or error from Go 1.27 + sprig 3.2.3)
    const RENDER_CASES: &[(&str, &str)] = &[
        ("{{ default \"d\" \"\" }} {{ default \"d\" \"x\" }} {{ \"\" | default \"d\" }}", "OK d x d"),
        ("{{ .missing | default \"none\" }}", "OK none"),
        ("{{ empty \"\" }} {{ empty 0 }} {{ empty (list) }} {{ empty (dict \"a\" 1) }}", "OK true true true false"),
        ("{{ coalesce 0 \"\" \"x\" }}", "OK x"),
        ("{{ coalesce 0 \"\" }}", "OK <no value>"),
        ("{{ all 1 \"a\" }} {{ any 0 \"\" }}", "OK true false"),
        ("{{ ternary \"y\" \"n\" true }} {{ true | ternary \"y\" \"n\" }}", "OK y y"),
        ("{{ default 5 nil | typeOf }}", "OK int"),
        ("{{ ternary 1 2 \"x\" }}", "ERR template: t:1:15: executing \"t\" at <\"x\">: expected bool; found \"x\""),
        ("{{ empty .nope }}", "OK true"),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(RENDER_CASES);
    }
    // END GO RENDER
}

//! sprig's reflection functions: `typeOf` (Go's `%T`), `typeIs`, `typeIsLike`, `kindOf`
//! (`reflect.Kind`'s name), `kindIs`, and `deepEqual` (Go's `reflect.DeepEqual`), which the list
//! functions `has`, `uniq` and `without` use too.

use std::sync::Arc;

use super::semver::SemverVersion;
use crate::func::{ArgsExt, FuncMap};
use crate::value::{GoType, Value};

pub(super) fn register(map: &mut FuncMap) {
    map.add("typeOf", vec![GoType::Any], |_, a| Ok(Value::string(a.arg(0)?.type_name())));
    map.add("typeIs", vec![GoType::String, GoType::Any], |_, a| {
        Ok(Value::Bool(a.str_arg(0)? == a.arg(1)?.type_name()))
    });
    map.add("typeIsLike", vec![GoType::String, GoType::Any], |_, a| {
        let (target, t) = (a.str_arg(0)?, a.arg(1)?.type_name());
        Ok(Value::Bool(target == t || format!("*{target}") == t))
    });
    map.add("kindOf", vec![GoType::Any], |_, a| Ok(Value::string(a.arg(0)?.kind_name())));
    map.add("kindIs", vec![GoType::String, GoType::Any], |_, a| {
        Ok(Value::Bool(a.str_arg(0)? == a.arg(1)?.kind_name()))
    });
    map.add("deepEqual", vec![GoType::Any, GoType::Any], |_, a| Ok(Value::Bool(deep_equal(a.arg(0)?, a.arg(1)?))));
}

/// Go's `reflect.DeepEqual` on two `interface{}` values: the dynamic types must be identical
/// (`int` is not `int64`, `[]string` is not `[]interface {}`), then the contents equal, floats
/// by `==` (NaN differs from itself, except inside a list or map compared with itself, which
/// Go short-cuts by pointer).
pub(crate) fn deep_equal(a: &Value, b: &Value) -> bool {
    deep_equal_at(a, b, 0)
}

/// How deep `deep_equal` compares: deeper only through a map that contains itself (Go tracks
/// visited pairs instead; such a pair compares unequal here).
const MAX_DEPTH: usize = 10_000;

fn deep_equal_at(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let deep_equal = |p: &Value, q: &Value| deep_equal_at(p, q, depth + 1);
    if a.is_nil() || b.is_nil() {
        return a.is_nil() && b.is_nil();
    }
    if a.go_type() != b.go_type() {
        return false;
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x, _), Value::Int(y, _)) => x == y,
        (Value::Uint(x, _), Value::Uint(y, _)) => x == y,
        (Value::Float(x, _), Value::Float(y, _)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            // Go: a nil slice is deeply equal only to another nil slice.
            x.nil == y.nil
                && (Arc::ptr_eq(&x.items, &y.items)
                    || x.items.len() == y.items.len()
                        && x.items.iter().zip(y.items.iter()).all(|(p, q)| deep_equal(p, q)))
        }
        (Value::Map(x), Value::Map(y)) => {
            let (xe, ye) = (x.entries(), y.entries());
            x.same(y) || xe.len() == ye.len() && xe.iter().all(|(k, v)| ye.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        // DeepEqual follows pointers: two `*semver.Version`s of the same version are equal.
        (Value::Object(x), Value::Object(y)) => {
            Arc::ptr_eq(x, y)
                || match (x.as_any().downcast_ref::<SemverVersion>(), y.as_any().downcast_ref::<SemverVersion>()) {
                    (Some(a), Some(b)) => a == b,
                    _ => x.equals(y.as_ref()).unwrap_or(false),
                }
        }
        _ => false,
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
    fn types_and_kinds_from_go() {
        // From Go + sprig: {{ typeOf 1 }} int, {{ typeOf (list) }} []interface {}, …
        let s = Value::string;
        let cases: Vec<(Value, &str, &str)> = vec![
            (Value::int(1), "int", "int"),
            (Value::int64(1), "int64", "int64"),
            (Value::float(1.5), "float64", "float64"),
            (s("x"), "string", "string"),
            (Value::Bool(true), "bool", "bool"),
            (Value::Nil, "<nil>", "invalid"),
            (Value::list(vec![]), "[]interface {}", "slice"),
            (Value::string_list(["a"]), "[]string", "slice"),
            (Value::map(Default::default()), "map[string]interface {}", "map"),
            (Value::Bytes(Arc::from(&b"x"[..])), "[]uint8", "slice"),
        ];
        for (v, t, k) in cases {
            assert_eq!(run("typeOf", std::slice::from_ref(&v)), t);
            assert_eq!(run("kindOf", std::slice::from_ref(&v)), k);
            assert_eq!(run("typeIs", &[s(t), v.clone()]), "true");
            assert_eq!(run("kindIs", &[s(k), v.clone()]), "true");
            assert_eq!(run("typeIs", &[s("nope"), v.clone()]), "false");
        }
        assert_eq!(run("typeIsLike", &[s("int"), Value::int(1)]), "true");
    }

    #[test]
    fn deep_equal_from_go() {
        let i = Value::int;
        // {{ deepEqual 1 1 }} true; {{ deepEqual 1 (int64 1) }} false; lists by content.
        assert!(deep_equal(&i(1), &i(1)));
        assert!(!deep_equal(&i(1), &Value::int64(1)));
        assert!(deep_equal(&Value::list(vec![i(1), Value::Nil]), &Value::list(vec![i(1), Value::Nil])));
        assert!(!deep_equal(&Value::list(vec![Value::string("a")]), &Value::string_list(["a"])));
        assert!(deep_equal(&Value::Nil, &Value::Nil));
        assert!(!deep_equal(&Value::Nil, &i(0)));
        assert!(!deep_equal(&Value::float(f64::NAN), &Value::float(f64::NAN)));
        let nan = Value::list(vec![Value::float(f64::NAN)]);
        assert!(deep_equal(&nan, &nan.clone()));
    }

    // BEGIN GO TABLE (generated: each row's result and %T printed by Go 1.27 + sprig 3.2.3)
    fn go_table() -> Vec<Case> {
        vec![
            ("typeOf", vec![i(1)], Ok("int"), "string"),
            ("typeOf", vec![Value::int64(1)], Ok("int64"), "string"),
            ("typeOf", vec![f(1.5)], Ok("float64"), "string"),
            ("typeOf", vec![s("x")], Ok("string"), "string"),
            ("typeOf", vec![Value::Bool(true)], Ok("bool"), "string"),
            ("typeOf", vec![Value::Nil], Ok("<nil>"), "string"),
            ("typeOf", vec![l(vec![])], Ok("[]interface {}"), "string"),
            ("typeOf", vec![strs(&["a"])], Ok("[]string"), "string"),
            ("typeOf", vec![d(vec![])], Ok("map[string]interface {}"), "string"),
            ("typeOf", vec![Value::typed_list(vec![i(0), i(1)], GoType::INT)], Ok("[]int"), "string"),
            ("kindOf", vec![i(1)], Ok("int"), "string"),
            ("kindOf", vec![Value::int64(1)], Ok("int64"), "string"),
            ("kindOf", vec![f(1.5)], Ok("float64"), "string"),
            ("kindOf", vec![s("x")], Ok("string"), "string"),
            ("kindOf", vec![Value::Bool(true)], Ok("bool"), "string"),
            ("kindOf", vec![Value::Nil], Ok("invalid"), "string"),
            ("kindOf", vec![l(vec![])], Ok("slice"), "string"),
            ("kindOf", vec![strs(&["a"])], Ok("slice"), "string"),
            ("kindOf", vec![d(vec![])], Ok("map"), "string"),
            ("kindOf", vec![Value::typed_list(vec![i(0), i(1)], GoType::INT)], Ok("slice"), "string"),
            ("typeIs", vec![s("int"), i(1)], Ok("true"), "bool"),
            ("typeIs", vec![s("int64"), i(1)], Ok("false"), "bool"),
            ("typeIsLike", vec![s("int"), i(1)], Ok("true"), "bool"),
            ("kindIs", vec![s("slice"), l(vec![])], Ok("true"), "bool"),
            ("kindIs", vec![s("invalid"), Value::Nil], Ok("true"), "bool"),
            ("typeIs", vec![s("<nil>"), Value::Nil], Ok("true"), "bool"),
            ("deepEqual", vec![i(1), i(1)], Ok("true"), "bool"),
            ("deepEqual", vec![i(1), Value::int64(1)], Ok("false"), "bool"),
            ("deepEqual", vec![l(vec![i(1), Value::Nil]), l(vec![i(1), Value::Nil])], Ok("true"), "bool"),
            ("deepEqual", vec![l(vec![s("a")]), strs(&["a"])], Ok("false"), "bool"),
            ("deepEqual", vec![Value::Nil, Value::Nil], Ok("true"), "bool"),
            ("deepEqual", vec![Value::Nil, i(0)], Ok("false"), "bool"),
            ("deepEqual", vec![f(f64::NAN), f(f64::NAN)], Ok("false"), "bool"),
            ("deepEqual", vec![d(vec![("a", l(vec![i(1)]))]), d(vec![("a", l(vec![i(1)]))])], Ok("true"), "bool"),
            ("deepEqual", vec![d(vec![("a", i(1))]), d(vec![("a", i(2))])], Ok("false"), "bool"),
            ("deepEqual", vec![s("a"), s("a")], Ok("true"), "bool"),
            ("deepEqual", vec![f(1.0), i(1)], Ok("false"), "bool"),
            ("typeOf", vec![sv("1.2.3")], Ok("*semver.Version"), "string"),
            ("kindOf", vec![sv("1.2.3")], Ok("ptr"), "string"),
            ("typeIsLike", vec![s("semver.Version"), sv("1.2.3")], Ok("true"), "bool"),
            ("deepEqual", vec![sv("1.2.3"), sv("1.2.3")], Ok("true"), "bool"),
            ("deepEqual", vec![sv("1.2.3"), sv("v1.2.3")], Ok("false"), "bool"),
            ("deepEqual", vec![ints(&[0, 1]), ints(&[0, 1])], Ok("true"), "bool"),
            ("deepEqual", vec![ints(&[0, 1]), l(vec![i(0), i(1)])], Ok("false"), "bool"),
        ]
    }

    #[test]
    fn matches_go() {
        check_table(&go_table());
    }
    // END GO TABLE

    // BEGIN GO RENDER (generated: each template's output or error from Go 1.27 + sprig 3.2.3)
    const RENDER_CASES: &[(&str, &str)] = &[
        (
            "{{ typeOf 1 }} {{ typeOf 1.5 }} {{ typeOf \"x\" }} {{ typeOf nil }} {{ typeOf (list) }} {{ typeOf (dict) }}",
            "OK int float64 string <nil> []interface {} map[string]interface {}",
        ),
        ("{{ kindOf 1 }} {{ kindOf (list) }} {{ kindOf (dict) }} {{ kindOf nil }}", "OK int slice map invalid"),
        ("{{ typeIs \"int\" 1 }} {{ typeIsLike \"int\" 1 }} {{ kindIs \"map\" (dict) }}", "OK true true true"),
        ("{{ deepEqual (list 1 2) (list 1 2) }} {{ deepEqual 1 (int64 1) }}", "OK true false"),
        ("{{ typeOf (semver \"1.2.3\") }} {{ kindOf (semver \"1.2.3\") }}", "OK *semver.Version ptr"),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(RENDER_CASES);
    }
    // END GO RENDER
}

//! sprig's list functions (`list.go`): each takes any slice (through Go's `reflect`, so
//! `[]string` and `[]byte` work too) and builds a new `[]interface {}`; the `must` forms return
//! the error that the plain forms panic with (in a template both end the execution with the
//! same message, `Cannot push on type string`). A nil list panics in Go's `reflect` (a nil
//! `Type`), which reads "invalid memory address or nil pointer dereference".

use super::conv::{go_f64_to_i64, slice_items, to_int64};
use super::defaults::empty;
use super::reflect::deep_equal;
use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::{GoType, List, Value};

const A: GoType = GoType::Any;

pub(super) fn register(map: &mut FuncMap) {
    for name in ["list", "tuple"] {
        // A variadic parameter given no arguments is an empty slice, not nil: reflect's Call
        // makes one.
        map.add_variadic(name, vec![], A, |_, a| Ok(Value::list(a.to_vec())));
    }
    for name in ["append", "push", "mustAppend", "mustPush"] {
        map.add(name, vec![A, A], |_, a| {
            let mut items = items_of(a.arg(0)?, "Cannot push on type")?;
            items.push(a.arg(1)?.clone());
            Ok(Value::list(items))
        });
    }
    for name in ["prepend", "mustPrepend"] {
        map.add(name, vec![A, A], |_, a| {
            let mut items = items_of(a.arg(0)?, "Cannot prepend on type")?;
            items.insert(0, a.arg(1)?.clone());
            Ok(Value::list(items))
        });
    }
    for name in ["first", "mustFirst"] {
        map.add(name, vec![A], |_, a| {
            Ok(items_of(a.arg(0)?, "Cannot find first on type")?.first().cloned().unwrap_or(Value::Nil))
        });
    }
    for name in ["last", "mustLast"] {
        map.add(name, vec![A], |_, a| {
            Ok(items_of(a.arg(0)?, "Cannot find last on type")?.last().cloned().unwrap_or(Value::Nil))
        });
    }
    for name in ["rest", "mustRest"] {
        map.add(name, vec![A], |_, a| {
            let items = items_of(a.arg(0)?, "Cannot find rest on type")?;
            // sprig returns nil for an empty list.
            if items.is_empty() {
                return Ok(Value::nil_list(GoType::Any));
            }
            Ok(Value::list(items.into_iter().skip(1).collect()))
        });
    }
    for name in ["initial", "mustInitial"] {
        map.add(name, vec![A], |_, a| {
            let mut items = items_of(a.arg(0)?, "Cannot find initial on type")?;
            if items.is_empty() {
                return Ok(Value::nil_list(GoType::Any));
            }
            items.pop();
            Ok(Value::list(items))
        });
    }
    for name in ["reverse", "mustReverse"] {
        map.add(name, vec![A], |_, a| {
            let mut items = items_of(a.arg(0)?, "Cannot find reverse on type")?;
            items.reverse();
            Ok(Value::list(items))
        });
    }
    for name in ["compact", "mustCompact"] {
        map.add(name, vec![A], |_, a| {
            let items = items_of(a.arg(0)?, "Cannot compact on type")?;
            Ok(Value::list(items.into_iter().filter(|v| !empty(v)).collect()))
        });
    }
    for name in ["uniq", "mustUniq"] {
        map.add(name, vec![A], |_, a| {
            let mut dest: Vec<Value> = Vec::new();
            for item in items_of(a.arg(0)?, "Cannot find uniq on type")? {
                if !dest.iter().any(|d| deep_equal(&item, d)) {
                    dest.push(item);
                }
            }
            Ok(Value::list(dest))
        });
    }
    for name in ["without", "mustWithout"] {
        map.add_variadic(name, vec![A], A, |_, a| {
            let omit = &a[1..];
            let items = items_of(a.arg(0)?, "Cannot find without on type")?;
            Ok(Value::list(items.into_iter().filter(|i| !omit.iter().any(|o| deep_equal(i, o))).collect()))
        });
    }
    for name in ["has", "mustHas"] {
        map.add(name, vec![A, A], |_, a| {
            let (needle, haystack) = (a.arg(0)?, a.arg(1)?);
            if haystack.is_nil() {
                return Ok(Value::Bool(false));
            }
            let items = items_of(haystack, "Cannot find has on type")?;
            Ok(Value::Bool(items.iter().any(|i| deep_equal(needle, i))))
        });
    }
    for name in ["slice", "mustSlice"] {
        map.add_variadic(name, vec![A], A, |_, a| slice(a.arg(0)?, &a[1..]));
    }
    map.add_variadic("concat", vec![], A, |_, a| {
        let mut res = Vec::new();
        for list in a {
            match slice_items(list) {
                Some(items) => res.extend(items),
                None => return Err(FuncError::new(format!("Cannot concat type {} as list", kind_of(list)?))),
            }
        }
        // Appending nothing to Go's nil `res` leaves it nil.
        Ok(Value::list_or_nil(res))
    });
    for name in ["chunk", "mustChunk"] {
        map.add(name, vec![GoType::INT, A], |_, a| chunk(a.int_arg(0)?, a.arg(1)?));
    }
}

/// The panic of `reflect.TypeOf(nil).Kind()`.
fn nil_deref() -> FuncError {
    FuncError::new("runtime error: invalid memory address or nil pointer dereference")
}

/// The value's `reflect.Kind` name, or Go's panic for nil.
fn kind_of(v: &Value) -> Result<&'static str, FuncError> {
    if v.is_nil() {
        return Err(nil_deref());
    }
    Ok(v.kind_name())
}

/// The items of a slice argument, or sprig's error `"<what> <kind>"`.
fn items_of(v: &Value, what: &str) -> Result<Vec<Value>, FuncError> {
    match slice_items(v) {
        Some(items) => Ok(items),
        None => Err(FuncError::new(format!("{what} {}", kind_of(v)?))),
    }
}

/// sprig's `slice`: `list[start:end]` keeping the slice's type; an empty list gives nil.
fn slice(list: &Value, indices: &[Value]) -> Result<Value, FuncError> {
    let items = match slice_items(list) {
        Some(items) => items,
        None => return Err(FuncError::new(format!("list should be type of slice or array but {}", kind_of(list)?))),
    };
    let len = items.len() as i64;
    if len == 0 {
        return Ok(Value::Nil);
    }
    let start = indices.first().map(to_int64).unwrap_or(0);
    let end = if indices.len() < 2 { len } else { to_int64(&indices[1]) };
    if start < 0 || end < start || end > len {
        return Err(FuncError::new("reflect.Value.Slice: slice index out of bounds"));
    }
    let (start, end) = (start as usize, end as usize);
    Ok(match list {
        Value::Bytes(b) => Value::Bytes(b[start..end].into()),
        Value::List(l) => {
            Value::List(List { items: items[start..end].to_vec().into(), elem: l.elem.clone(), nil: false })
        }
        _ => Value::list(items[start..end].to_vec()),
    })
}

/// sprig's `chunk`, its float arithmetic included (a size of 0 or below ends in Go's
/// `makeslice` panic, or in an empty result, as Go computes it).
fn chunk(size: i64, list: &Value) -> Result<Value, FuncError> {
    let items = items_of(list, "Cannot chunk type")?;
    let l = items.len() as i64;
    let makeslice = || FuncError::new("runtime error: makeslice: len out of range");
    let cs = go_f64_to_i64(((l - 1) as f64 / size as f64).floor() + 1.0);
    if cs < 0 {
        return Err(makeslice());
    }
    let mut out = Vec::new();
    for i in 0..cs {
        let mut clen = size;
        if i == cs - 1 {
            clen = go_f64_to_i64((l as f64 % size as f64).floor());
            if clen == 0 {
                clen = size;
            }
        }
        if clen < 0 {
            return Err(makeslice());
        }
        let mut inner = Vec::with_capacity(clen as usize);
        for j in 0..clen {
            let ix = i * size + j;
            match items.get(ix as usize) {
                Some(v) if ix >= 0 => inner.push(v.clone()),
                _ => return Err(FuncError::new("reflect: slice index out of range")),
            }
        }
        out.push(Value::list(inner));
    }
    Ok(Value::typed_list(out, GoType::slice_any()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sprig::conv::test_support::*;
    use crate::sprig::funcs;

    #[test]
    fn result_types() {
        let f = funcs();
        let l = Value::string_list(["a", "b", "c"]);
        assert_eq!(f.call("slice", &[l.clone(), Value::int(1)]).unwrap().type_name(), "[]string");
        assert_eq!(f.call("rest", std::slice::from_ref(&l)).unwrap().type_name(), "[]interface {}");
        assert_eq!(f.call("chunk", &[Value::int(2), l]).unwrap().type_name(), "[][]interface {}");
    }

    // BEGIN GO TABLE (generated: each row's result and %T printed by Go 1.27 + sprig 3.2.3)
    fn go_table() -> Vec<Case> {
        vec![
            ("list", vec![], Ok("[]"), "[]interface {}"),
            ("list", vec![i(1), s("a"), Value::Nil], Ok("[1 a <nil>]"), "[]interface {}"),
            ("tuple", vec![i(1)], Ok("[1]"), "[]interface {}"),
            ("append", vec![l(vec![i(1)]), i(2)], Ok("[1 2]"), "[]interface {}"),
            ("push", vec![strs(&["a"]), s("b")], Ok("[a b]"), "[]interface {}"),
            ("append", vec![s("x"), i(1)], Err("Cannot push on type string"), ""),
            (
                "append",
                vec![Value::Nil, i(1)],
                Err("runtime error: invalid memory address or nil pointer dereference"),
                "",
            ),
            ("mustPush", vec![i(5), i(1)], Err("Cannot push on type int"), ""),
            ("append", vec![d(vec![]), i(1)], Err("Cannot push on type map"), ""),
            ("prepend", vec![l(vec![i(1)]), i(0)], Ok("[0 1]"), "[]interface {}"),
            ("mustPrepend", vec![s("x"), i(1)], Err("Cannot prepend on type string"), ""),
            ("first", vec![l(vec![i(1), i(2)])], Ok("1"), "int"),
            ("first", vec![l(vec![])], Ok("<nil>"), "<nil>"),
            ("first", vec![s("abc")], Err("Cannot find first on type string"), ""),
            ("first", vec![Value::Nil], Err("runtime error: invalid memory address or nil pointer dereference"), ""),
            ("mustFirst", vec![f(1.5)], Err("Cannot find first on type float64"), ""),
            ("last", vec![l(vec![i(1), i(2)])], Ok("2"), "int"),
            ("last", vec![l(vec![])], Ok("<nil>"), "<nil>"),
            ("mustLast", vec![Value::Bool(true)], Err("Cannot find last on type bool"), ""),
            ("rest", vec![l(vec![i(1), i(2), i(3)])], Ok("[2 3]"), "[]interface {}"),
            ("rest", vec![l(vec![])], Ok("[]"), "[]interface {}"),
            ("mustRest", vec![s("x")], Err("Cannot find rest on type string"), ""),
            ("initial", vec![l(vec![i(1), i(2), i(3)])], Ok("[1 2]"), "[]interface {}"),
            ("initial", vec![l(vec![])], Ok("[]"), "[]interface {}"),
            ("mustInitial", vec![d(vec![])], Err("Cannot find initial on type map"), ""),
            ("reverse", vec![l(vec![i(1), i(2), i(3)])], Ok("[3 2 1]"), "[]interface {}"),
            ("reverse", vec![l(vec![])], Ok("[]"), "[]interface {}"),
            ("mustReverse", vec![s("x")], Err("Cannot find reverse on type string"), ""),
            ("reverse", vec![strs(&["a", "b"])], Ok("[b a]"), "[]interface {}"),
            (
                "compact",
                vec![l(vec![i(1), i(0), s(""), Value::Nil, s("a"), l(vec![]), Value::Bool(false), Value::Bool(true)])],
                Ok("[1 a true]"),
                "[]interface {}",
            ),
            ("mustCompact", vec![i(1)], Err("Cannot compact on type int"), ""),
            (
                "uniq",
                vec![l(vec![i(1), i(1), s("1"), i(2), i(1), Value::Nil, Value::Nil, l(vec![i(1)]), l(vec![i(1)])])],
                Ok("[1 1 2 <nil> [1]]"),
                "[]interface {}",
            ),
            ("mustUniq", vec![s("x")], Err("Cannot find uniq on type string"), ""),
            ("without", vec![l(vec![i(1), i(2), i(3), i(2)]), i(2)], Ok("[1 3]"), "[]interface {}"),
            ("without", vec![l(vec![i(1), i(2), i(3)]), i(1), i(3), i(7)], Ok("[2]"), "[]interface {}"),
            ("mustWithout", vec![s("x"), i(1)], Err("Cannot find without on type string"), ""),
            ("has", vec![i(1), l(vec![i(1), i(2)])], Ok("true"), "bool"),
            ("has", vec![Value::int64(1), l(vec![i(1), i(2)])], Ok("false"), "bool"),
            ("has", vec![i(1), Value::Nil], Ok("false"), "bool"),
            ("has", vec![i(1), s("abc")], Err("Cannot find has on type string"), ""),
            ("mustHas", vec![s("a"), strs(&["a"])], Ok("true"), "bool"),
            ("slice", vec![l(vec![i(1), i(2), i(3), i(4)])], Ok("[1 2 3 4]"), "[]interface {}"),
            ("slice", vec![l(vec![i(1), i(2), i(3), i(4)]), i(1)], Ok("[2 3 4]"), "[]interface {}"),
            ("slice", vec![l(vec![i(1), i(2), i(3), i(4)]), i(1), i(3)], Ok("[2 3]"), "[]interface {}"),
            ("slice", vec![l(vec![]), i(0), i(0)], Ok("<nil>"), "<nil>"),
            ("slice", vec![l(vec![i(1), i(2)]), i(1), i(5)], Err("reflect.Value.Slice: slice index out of bounds"), ""),
            ("slice", vec![l(vec![i(1), i(2)]), i(2), i(1)], Err("reflect.Value.Slice: slice index out of bounds"), ""),
            ("slice", vec![strs(&["a", "b", "c"]), s("1")], Ok("[b c]"), "[]string"),
            ("slice", vec![s("abc"), i(1)], Err("list should be type of slice or array but string"), ""),
            (
                "mustSlice",
                vec![Value::Nil],
                Err("runtime error: invalid memory address or nil pointer dereference"),
                "",
            ),
            ("concat", vec![l(vec![i(1), i(2)]), strs(&["a"]), l(vec![])], Ok("[1 2 a]"), "[]interface {}"),
            ("concat", vec![], Ok("[]"), "[]interface {}"),
            ("concat", vec![l(vec![i(1)]), s("x")], Err("Cannot concat type string as list"), ""),
            ("chunk", vec![i(2), l(vec![i(1), i(2), i(3), i(4), i(5)])], Ok("[[1 2] [3 4] [5]]"), "[][]interface {}"),
            ("chunk", vec![i(2), l(vec![i(1), i(2), i(3), i(4)])], Ok("[[1 2] [3 4]]"), "[][]interface {}"),
            ("chunk", vec![i(2), l(vec![])], Ok("[]"), "[][]interface {}"),
            ("chunk", vec![i(0), l(vec![i(1), i(2)])], Err("runtime error: makeslice: len out of range"), ""),
            ("chunk", vec![i(0), l(vec![])], Err("runtime error: makeslice: len out of range"), ""),
            ("chunk", vec![i(-1), l(vec![i(1), i(2), i(3)])], Err("runtime error: makeslice: len out of range"), ""),
            ("chunk", vec![i(-3), l(vec![i(1)])], Ok("[[1]]"), "[][]interface {}"),
            ("chunk", vec![i(-3), l(vec![i(1), i(2), i(3), i(4)])], Ok("[]"), "[][]interface {}"),
            ("chunk", vec![i(-3), l(vec![])], Err("runtime error: makeslice: len out of range"), ""),
            ("chunk", vec![i(5), l(vec![i(1), i(2)])], Ok("[[1 2]]"), "[][]interface {}"),
            ("mustChunk", vec![i(2), s("x")], Err("Cannot chunk type string"), ""),
            ("slice", vec![ints(&[0, 1, 2, 3, 4]), i(1), i(3)], Ok("[1 2]"), "[]int"),
            ("reverse", vec![ints(&[0, 1, 2])], Ok("[2 1 0]"), "[]interface {}"),
            ("compact", vec![strs(&["a", "", "b"])], Ok("[a b]"), "[]interface {}"),
            ("uniq", vec![ints(&[0, 1])], Ok("[0 1]"), "[]interface {}"),
            ("has", vec![i(1), ints(&[0, 1])], Ok("true"), "bool"),
            ("first", vec![ints(&[])], Ok("<nil>"), "<nil>"),
            ("concat", vec![ints(&[0, 1]), l(vec![i(2)])], Ok("[0 1 2]"), "[]interface {}"),
            ("chunk", vec![i(2), strs(&["a", "b", "c"])], Ok("[[a b] [c]]"), "[][]interface {}"),
            ("without", vec![ints(&[0, 1, 2]), i(1)], Ok("[0 2]"), "[]interface {}"),
            ("append", vec![ints(&[0]), s("x")], Ok("[0 x]"), "[]interface {}"),
            ("has", vec![sv("1.2.3"), l(vec![sv("1.2.3")])], Ok("true"), "bool"),
        ]
    }

    #[test]
    fn matches_go() {
        check_table(&go_table());
    }
    // END GO TABLE

    // BEGIN GO RENDER (generated: each template's output or error from Go 1.27 + sprig 3.2.3)
    const RENDER_CASES: &[(&str, &str)] = &[
        ("{{ list 1 \"a\" nil }}", "OK [1 a <nil>]"),
        (
            "{{ list 1 2 | append 3 }}",
            "ERR template: t:1:14: executing \"t\" at <append 3>: error calling append: Cannot push on type int",
        ),
        ("{{ $l := list 1 }}{{ $m := append $l 2 }}{{ $l }} {{ $m }}", "OK [1] [1 2]"),
        ("{{ prepend (list 1) 0 }}", "OK [0 1]"),
        ("{{ first (list 1 2) }} {{ last (list 1 2) }}", "OK 1 2"),
        ("{{ first (list) }}", "OK <no value>"),
        ("{{ rest (list 1 2 3) }} {{ initial (list 1 2 3) }}", "OK [2 3] [1 2]"),
        ("{{ reverse (list 1 2 3) }}", "OK [3 2 1]"),
        ("{{ uniq (list 1 1 2) }}", "OK [1 2]"),
        ("{{ without (list 1 2 3) 2 }}", "OK [1 3]"),
        ("{{ has 2 (list 1 2) }} {{ list 1 2 | has 3 }}", "OK true false"),
        ("{{ slice (list 1 2 3 4) 1 3 }}", "OK [2 3]"),
        ("{{ concat (list 1) (list 2 3) }}", "OK [1 2 3]"),
        ("{{ chunk 2 (list 1 2 3) }}", "OK [[1 2] [3]]"),
        ("{{ compact (list 1 0 \"\" \"a\") }}", "OK [1 a]"),
        (
            "{{ append \"x\" 1 }}",
            "ERR template: t:1:3: executing \"t\" at <append \"x\" 1>: error calling append: Cannot push on type string",
        ),
        (
            "{{ first nil }}",
            "ERR template: t:1:3: executing \"t\" at <first nil>: error calling first: runtime error: invalid memory address or nil pointer dereference",
        ),
        (
            "{{ slice (list 1 2) 1 5 }}",
            "ERR template: t:1:3: executing \"t\" at <slice (list 1 2) 1 5>: error calling slice: reflect.Value.Slice: slice index out of bounds",
        ),
        ("{{ range $i, $v := list \"a\" \"b\" }}{{ $i }}{{ $v }}{{ end }}", "OK 0a1b"),
        (
            "{{ mustFirst \"x\" }}",
            "ERR template: t:1:3: executing \"t\" at <mustFirst \"x\">: error calling mustFirst: Cannot find first on type string",
        ),
        (
            "{{ chunk 0 (list 1) }}",
            "ERR template: t:1:3: executing \"t\" at <chunk 0 (list 1)>: error calling chunk: runtime error: makeslice: len out of range",
        ),
        ("{{ has 1 nil }}", "OK false"),
        ("{{ slice (list) }}", "OK <no value>"),
        (
            "{{ concat (list 1) 2 }}",
            "ERR template: t:1:3: executing \"t\" at <concat (list 1) 2>: error calling concat: Cannot concat type int as list",
        ),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(RENDER_CASES);
    }
    // END GO RENDER
}

//! sprig's dictionary functions (`dict.go`), with imdario/mergo's merge rules for `merge`
//! and `mergeOverwrite`, and mitchellh/copystructure's `deepCopy`.
//!
//! Go's maps are references, and so are ours ([`Map`] is shared): `set`, `unset`, `merge` and
//! `mergeOverwrite` change the map they are given (and `merge` the nested maps of its
//! destination) in place, every holder sees the change
//! (`{{ $_ := set $d "a" 1 }}{{ $d }}` prints `map[a:1]`), and they return that same map.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::conv::strval;
use super::defaults::empty;
use super::semver::SemverVersion;
use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::{GoType, List, Map, Value};

const A: GoType = GoType::Any;

fn dict_type() -> GoType {
    GoType::map_any()
}

pub(super) fn register(map: &mut FuncMap) {
    map.add_variadic("dict", vec![], A, |_, a| {
        let mut entries = BTreeMap::new();
        for pair in a.chunks(2) {
            let value = pair.get(1).cloned().unwrap_or_else(|| Value::string(""));
            entries.insert(strval(&pair[0]), value);
        }
        Ok(Value::map(entries))
    });
    map.add("get", vec![dict_type(), GoType::String], |_, a| {
        let key = a.str_arg(1)?;
        Ok(map_arg(a.arg(0)?).and_then(|m| m.get(key)).unwrap_or_else(|| Value::string("")))
    });
    map.add("set", vec![dict_type(), GoType::String, A], |_, a| {
        let m = map_arg(a.arg(0)?).ok_or_else(|| FuncError::new("assignment to entry in nil map"))?;
        m.insert(a.str_arg(1)?.to_string(), a.arg(2)?.clone());
        Ok(Value::Map(m.clone()))
    });
    map.add("unset", vec![dict_type(), GoType::String], |_, a| {
        // `delete` on a nil map is a no-op; the nil map prints `map[]`.
        let Some(m) = map_arg(a.arg(0)?) else { return Ok(Value::map(BTreeMap::new())) };
        m.remove(a.str_arg(1)?);
        Ok(Value::Map(m.clone()))
    });
    map.add("hasKey", vec![dict_type(), GoType::String], |_, a| {
        let key = a.str_arg(1)?;
        Ok(Value::Bool(map_arg(a.arg(0)?).is_some_and(|m| m.contains_key(key))))
    });
    map.add_variadic("pluck", vec![GoType::String], dict_type(), |_, a| {
        let key = a.str_arg(0)?;
        Ok(Value::list(a[1..].iter().filter_map(|d| map_arg(d).and_then(|m| m.get(key))).collect()))
    });
    map.add_variadic("keys", vec![], dict_type(), |_, a| {
        // Go lists each map's keys in random order; sorted is one of those orders.
        Ok(Value::string_list(a.iter().filter_map(entries).flat_map(|e| e.keys().cloned().collect::<Vec<_>>())))
    });
    map.add_variadic("pick", vec![dict_type()], GoType::String, |_, a| {
        let src = entries(a.arg(0)?);
        let mut out = BTreeMap::new();
        for k in &a[1..] {
            let k = k.as_str().unwrap_or_default();
            if let Some(v) = src.as_ref().and_then(|e| e.get(k)) {
                out.insert(k.to_string(), v.clone());
            }
        }
        Ok(Value::map(out))
    });
    map.add_variadic("omit", vec![dict_type()], GoType::String, |_, a| {
        let omit: Vec<&str> = a[1..].iter().filter_map(Value::as_str).collect();
        let out = entries(a.arg(0)?)
            .map(|e| {
                e.iter().filter(|(k, _)| !omit.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()
            })
            .unwrap_or_default();
        Ok(Value::map(out))
    });
    map.add("values", vec![dict_type()], |_, a| {
        // Go's order is random; ours is by key.
        Ok(Value::list(entries(a.arg(0)?).map(|e| e.values().cloned().collect()).unwrap_or_default()))
    });
    map.add_variadic("merge", vec![dict_type()], dict_type(), |_, a| merge(a, false));
    map.add_variadic("mustMerge", vec![dict_type()], dict_type(), |_, a| merge(a, false));
    map.add_variadic("mergeOverwrite", vec![dict_type()], dict_type(), |_, a| merge(a, true));
    map.add_variadic("mustMergeOverwrite", vec![dict_type()], dict_type(), |_, a| merge(a, true));
    for name in ["deepCopy", "mustDeepCopy"] {
        map.add(name, vec![A], |_, a| match a.arg(0)? {
            v if v.is_nil() => Err(FuncError::new("reflect: call of reflect.Value.Type on zero Value")),
            v => deep_copy(v, 0),
        });
    }
    map.add_variadic("dig", vec![], A, |_, a| dig(a));
}

fn map_arg(v: &Value) -> Option<&Map> {
    match v {
        Value::Map(m) => Some(m),
        _ => None,
    }
}

/// A snapshot of a map argument's entries (`None` for nil).
fn entries(v: &Value) -> Option<Arc<BTreeMap<String, Value>>> {
    map_arg(v).map(Map::entries)
}

/// How deep `merge` and `deepCopy` follow maps inside maps: only a map that contains itself
/// goes deeper (Go would recurse until its stack overflows).
const MAX_DEPTH: usize = 10_000;

fn too_deep() -> FuncError {
    FuncError::new(format!("maps nested more than {MAX_DEPTH} deep (a map that contains itself?)"))
}

/// sprig's `merge`/`mergeOverwrite`: each source merged into the first map in turn. The only
/// failure is the panic of a value that cannot go into a typed map (`map[string]string` from
/// `split`), which ends the render in the plain forms too: mergo's returned errors, which
/// the plain forms swallow, cannot arise from template values.
fn merge(args: &[Value], overwrite: bool) -> Result<Value, FuncError> {
    // A nil destination becomes a new map (mergo makes one).
    let dst = match args.arg(0)? {
        Value::Map(m) => m.clone(),
        _ => Map::new(BTreeMap::new(), GoType::Any),
    };
    for src in &args[1..] {
        if let Value::Map(src) = src {
            merge_map(&dst, src, overwrite, 0)?;
        }
    }
    Ok(Value::Map(dst))
}

/// mergo's `deepMerge` for maps, key by key:
/// - a nil source value only lands with `overwrite`;
/// - a map merges into a map already there (recursively), and lands where the destination
///   value is missing or empty; a non-empty non-map stays, even with `overwrite`;
/// - a slice replaces the destination with `overwrite`, else only a missing or empty one;
/// - anything else replaces with `overwrite` (even an empty value), else only a missing or
///   empty destination value.
///
/// `dst` changes in place, and so do the maps nested in it that a source map merges into.
fn merge_map(dst: &Map, src: &Map, overwrite: bool, depth: usize) -> Result<(), FuncError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    if dst.same(src) {
        // Every key is already there with the same value.
        return Ok(());
    }
    let src_entries = src.entries();
    if dst.elem != GoType::Any && src.elem != dst.elem && !src_entries.is_empty() {
        return Err(FuncError::new(format!(
            "reflect.Value.SetMapIndex: value of type {} is not assignable to type {}",
            src.elem.name(),
            dst.elem.name()
        )));
    }
    for (k, sv) in src_entries.iter() {
        let dv = dst.get(k);
        match sv {
            Value::Nil | Value::Missing => {
                if overwrite {
                    dst.insert(k.clone(), Value::Nil);
                }
            }
            Value::Map(sm) => {
                if let Some(Value::Map(dm)) = &dv {
                    merge_map(dm, sm, overwrite, depth + 1)?;
                }
                // The destination's value, merged into (a map) or not, stays unless empty.
                if dv.as_ref().is_none_or(empty) {
                    dst.insert(k.clone(), sv.clone());
                }
            }
            Value::List(_) | Value::Bytes(_) => match dv {
                Some(d) if !overwrite && !empty(&d) => {}
                _ => {
                    dst.insert(k.clone(), sv.clone());
                }
            },
            _ => {
                if overwrite || dv.as_ref().is_none_or(empty) {
                    dst.insert(k.clone(), sv.clone());
                }
            }
        }
    }
    Ok(())
}

/// copystructure's `Copy`: maps and slices rebuilt all the way down (so that no copy shares
/// storage with the original once values can change); a `*semver.Version` comes out zero, as
/// in Go (copystructure copies exported fields only).
fn deep_copy(v: &Value, depth: usize) -> Result<Value, FuncError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match v {
        Value::List(l) => Value::List(List {
            items: Arc::new(l.items.iter().map(|i| deep_copy(i, depth + 1)).collect::<Result<_, _>>()?),
            elem: l.elem.clone(),
            nil: l.nil,
        }),
        Value::Map(m) => Value::Map(Map::new(
            m.entries()
                .iter()
                .map(|(k, v)| Ok((k.clone(), deep_copy(v, depth + 1)?)))
                .collect::<Result<_, FuncError>>()?,
            m.elem.clone(),
        )),
        Value::Bytes(b) => Value::Bytes(b.to_vec().into()),
        Value::Missing => Value::Nil,
        Value::Object(o) if o.as_any().is::<SemverVersion>() => Value::Object(Arc::new(SemverVersion::zeroed())),
        other => other.clone(),
    })
}

/// Go's panic for a failed `x.(T)` on an `interface{}`.
fn conversion_panic(v: &Value, want: &str) -> FuncError {
    let got = if v.is_nil() { "nil".to_string() } else { v.type_name() };
    FuncError::new(format!("interface conversion: interface {{}} is {got}, not {want}"))
}

fn as_dict(v: &Value) -> Result<Arc<BTreeMap<String, Value>>, FuncError> {
    match v {
        Value::Map(m) if m.elem == GoType::Any => Ok(m.entries()),
        other => Err(conversion_panic(other, "map[string]interface {}")),
    }
}

/// sprig's `dig KEY… DEFAULT DICT`.
fn dig(ps: &[Value]) -> Result<Value, FuncError> {
    if ps.len() < 3 {
        return Err(FuncError::new("dig needs at least three arguments"));
    }
    let mut dict = as_dict(&ps[ps.len() - 1])?;
    let default = &ps[ps.len() - 2];
    let keys = ps[..ps.len() - 2]
        .iter()
        .map(|k| k.as_str().ok_or_else(|| conversion_panic(k, "string")))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, k) in keys.iter().enumerate() {
        let Some(step) = dict.get(*k).cloned() else { return Ok(default.clone()) };
        if i == keys.len() - 1 {
            return Ok(step);
        }
        dict = as_dict(&step)?;
    }
    Ok(default.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmt::format_value;
    use crate::sprig::conv::test_support::*;
    use crate::sprig::funcs;

    #[test]
    fn set_returns_the_new_map() {
        let f = funcs();
        let d = f.call("dict", &[Value::string("b"), Value::int(2)]).unwrap();
        let d2 = f.call("set", &[d.clone(), Value::string("a"), Value::int(1)]).unwrap();
        assert_eq!(format_value(&d2), "map[a:1 b:2]");
        assert_eq!(
            f.call("set", &[Value::Nil, Value::string("a"), Value::int(1)]).unwrap_err().0,
            "assignment to entry in nil map"
        );
    }

    // BEGIN GO TABLE (generated: each row's result and %T printed by Go 1.27 + sprig 3.2.3)
    fn go_table() -> Vec<Case> {
        vec![
            ("dict", vec![], Ok("map[]"), "map[string]interface {}"),
            ("dict", vec![s("a"), i(1), s("b")], Ok("map[a:1 b:]"), "map[string]interface {}"),
            (
                "dict",
                vec![i(1), i(2), Value::Nil, i(3), Value::Bool(true), s("x")],
                Ok("map[1:2 <nil>:3 true:x]"),
                "map[string]interface {}",
            ),
            ("get", vec![d(vec![("a", i(1))]), s("a")], Ok("1"), "int"),
            ("get", vec![d(vec![("a", i(1))]), s("b")], Ok(""), "string"),
            ("get", vec![Value::Nil, s("b")], Ok(""), "string"),
            ("set", vec![d(vec![("a", i(1))]), s("b"), i(2)], Ok("map[a:1 b:2]"), "map[string]interface {}"),
            ("set", vec![Value::Nil, s("b"), i(2)], Err("assignment to entry in nil map"), ""),
            ("unset", vec![d(vec![("a", i(1)), ("b", i(2))]), s("a")], Ok("map[b:2]"), "map[string]interface {}"),
            ("unset", vec![Value::Nil, s("a")], Ok("map[]"), "map[string]interface {}"),
            ("hasKey", vec![d(vec![("a", Value::Nil)]), s("a")], Ok("true"), "bool"),
            ("hasKey", vec![d(vec![]), s("a")], Ok("false"), "bool"),
            ("hasKey", vec![Value::Nil, s("a")], Ok("false"), "bool"),
            (
                "pluck",
                vec![s("a"), d(vec![("a", i(1))]), d(vec![("b", i(2))]), d(vec![("a", i(3))])],
                Ok("[1 3]"),
                "[]interface {}",
            ),
            ("pluck", vec![s("a")], Ok("[]"), "[]interface {}"),
            ("keys", vec![d(vec![("a", i(1))])], Ok("[a]"), "[]string"),
            ("keys", vec![], Ok("[]"), "[]string"),
            ("keys", vec![d(vec![("a", i(1))]), d(vec![("a", i(2))])], Ok("[a a]"), "[]string"),
            (
                "pick",
                vec![d(vec![("a", i(1)), ("b", i(2)), ("c", i(3))]), s("a"), s("c"), s("z")],
                Ok("map[a:1 c:3]"),
                "map[string]interface {}",
            ),
            (
                "omit",
                vec![d(vec![("a", i(1)), ("b", i(2)), ("c", i(3))]), s("a"), s("z")],
                Ok("map[b:2 c:3]"),
                "map[string]interface {}",
            ),
            ("values", vec![d(vec![("b", i(1))])], Ok("[1]"), "[]interface {}"),
            (
                "merge",
                vec![d(vec![("a", i(1)), ("b", s(""))]), d(vec![("a", i(2)), ("b", s("x")), ("c", i(3))])],
                Ok("map[a:1 b:x c:3]"),
                "map[string]interface {}",
            ),
            (
                "mergeOverwrite",
                vec![d(vec![("a", i(1)), ("b", s("x"))]), d(vec![("a", i(2)), ("b", s("")), ("c", i(3))])],
                Ok("map[a:2 b: c:3]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![
                    d(vec![("a", d(vec![("x", i(1)), ("y", d(vec![("z", i(1))]))]))]),
                    d(vec![("a", d(vec![("x", i(2)), ("w", i(3)), ("y", d(vec![("q", i(2))]))]))]),
                ],
                Ok("map[a:map[w:3 x:1 y:map[q:2 z:1]]]"),
                "map[string]interface {}",
            ),
            (
                "mergeOverwrite",
                vec![
                    d(vec![("a", d(vec![("x", i(1)), ("y", d(vec![("z", i(1))]))]))]),
                    d(vec![("a", d(vec![("x", i(2)), ("w", i(3)), ("y", d(vec![("q", i(2))]))]))]),
                ],
                Ok("map[a:map[w:3 x:2 y:map[q:2 z:1]]]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![d(vec![("a", s("str"))]), d(vec![("a", d(vec![("x", i(1))]))])],
                Ok("map[a:str]"),
                "map[string]interface {}",
            ),
            (
                "mergeOverwrite",
                vec![d(vec![("a", s("str"))]), d(vec![("a", d(vec![("x", i(1))]))])],
                Ok("map[a:str]"),
                "map[string]interface {}",
            ),
            (
                "mergeOverwrite",
                vec![d(vec![("a", s(""))]), d(vec![("a", d(vec![("x", i(1))]))])],
                Ok("map[a:map[x:1]]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![d(vec![("a", d(vec![("x", i(1))]))]), d(vec![("a", s("str"))])],
                Ok("map[a:map[x:1]]"),
                "map[string]interface {}",
            ),
            (
                "mergeOverwrite",
                vec![d(vec![("a", d(vec![("x", i(1))]))]), d(vec![("a", s("str"))])],
                Ok("map[a:str]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![d(vec![("a", l(vec![i(1)]))]), d(vec![("a", l(vec![i(2), i(3)]))])],
                Ok("map[a:[1]]"),
                "map[string]interface {}",
            ),
            (
                "mergeOverwrite",
                vec![d(vec![("a", l(vec![i(1)]))]), d(vec![("a", l(vec![i(2), i(3)]))])],
                Ok("map[a:[2 3]]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![d(vec![("a", l(vec![]))]), d(vec![("a", l(vec![i(2)]))])],
                Ok("map[a:[2]]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![d(vec![("a", s("s"))]), d(vec![("a", l(vec![i(2)]))])],
                Ok("map[a:s]"),
                "map[string]interface {}",
            ),
            (
                "mergeOverwrite",
                vec![d(vec![("a", s("s"))]), d(vec![("a", l(vec![i(2)]))])],
                Ok("map[a:[2]]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![d(vec![("a", Value::Nil)]), d(vec![("a", l(vec![i(2)]))])],
                Ok("map[a:[2]]"),
                "map[string]interface {}",
            ),
            ("merge", vec![d(vec![]), d(vec![("a", l(vec![i(2)]))])], Ok("map[a:[2]]"), "map[string]interface {}"),
            (
                "merge",
                vec![d(vec![("a", i(1))]), d(vec![("a", Value::Nil)])],
                Ok("map[a:1]"),
                "map[string]interface {}",
            ),
            (
                "mergeOverwrite",
                vec![d(vec![("a", i(1))]), d(vec![("a", Value::Nil)])],
                Ok("map[a:<nil>]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![d(vec![("a", Value::Nil)]), d(vec![("a", i(1))])],
                Ok("map[a:1]"),
                "map[string]interface {}",
            ),
            (
                "mergeOverwrite",
                vec![d(vec![("a", i(1))]), d(vec![("a", i(0))])],
                Ok("map[a:0]"),
                "map[string]interface {}",
            ),
            ("merge", vec![d(vec![("a", i(0))]), d(vec![("a", i(5))])], Ok("map[a:5]"), "map[string]interface {}"),
            (
                "merge",
                vec![d(vec![("a", Value::Bool(false))]), d(vec![("a", Value::Bool(true))])],
                Ok("map[a:true]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![d(vec![("a", d(vec![]))]), d(vec![("a", d(vec![("b", i(1))]))])],
                Ok("map[a:map[b:1]]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![d(vec![]), d(vec![("a", i(1))]), d(vec![("a", i(2)), ("b", i(3))])],
                Ok("map[a:1 b:3]"),
                "map[string]interface {}",
            ),
            (
                "mustMerge",
                vec![d(vec![("a", i(1))]), d(vec![("b", i(2))])],
                Ok("map[a:1 b:2]"),
                "map[string]interface {}",
            ),
            (
                "mustMergeOverwrite",
                vec![d(vec![("a", i(1))]), d(vec![("a", i(2))])],
                Ok("map[a:2]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![d(vec![("a", d(vec![("b", d(vec![]))]))]), d(vec![("a", d(vec![("b", d(vec![("c", i(1))]))]))])],
                Ok("map[a:map[b:map[c:1]]]"),
                "map[string]interface {}",
            ),
            ("merge", vec![d(vec![("a", i(1))])], Ok("map[a:1]"), "map[string]interface {}"),
            (
                "deepCopy",
                vec![d(vec![("a", l(vec![i(1), d(vec![("b", i(2))])]))])],
                Ok("map[a:[1 map[b:2]]]"),
                "map[string]interface {}",
            ),
            ("deepCopy", vec![Value::Nil], Err("reflect: call of reflect.Value.Type on zero Value"), ""),
            ("mustDeepCopy", vec![l(vec![i(1), i(2)])], Ok("[1 2]"), "[]interface {}"),
            ("deepCopy", vec![s("s")], Ok("s"), "string"),
            ("dig", vec![s("a"), s("b"), s("def"), d(vec![("a", d(vec![("b", i(1))]))])], Ok("1"), "int"),
            ("dig", vec![s("a"), s("x"), s("def"), d(vec![("a", d(vec![("b", i(1))]))])], Ok("def"), "string"),
            (
                "dig",
                vec![s("a"), s("b"), s("def"), d(vec![("a", i(1))])],
                Err("interface conversion: interface {} is int, not map[string]interface {}"),
                "",
            ),
            ("dig", vec![s("a"), s("def"), d(vec![("a", Value::Nil)])], Ok("<nil>"), "<nil>"),
            (
                "dig",
                vec![s("a"), s("b"), s("def"), d(vec![("a", Value::Nil)])],
                Err("interface conversion: interface {} is nil, not map[string]interface {}"),
                "",
            ),
            (
                "dig",
                vec![i(1), s("def"), d(vec![("a", i(1))])],
                Err("interface conversion: interface {} is int, not string"),
                "",
            ),
            (
                "dig",
                vec![s("a"), s("def"), s("x")],
                Err("interface conversion: interface {} is string, not map[string]interface {}"),
                "",
            ),
            ("dig", vec![s("a"), d(vec![])], Err("dig needs at least three arguments"), ""),
            (
                "dig",
                vec![s("a"), s("def"), Value::Nil],
                Err("interface conversion: interface {} is nil, not map[string]interface {}"),
                "",
            ),
            (
                "merge",
                vec![d(vec![("a", smap(&[("_0", "x")]))]), d(vec![("a", d(vec![("b", s("y"))]))])],
                Err("reflect.Value.SetMapIndex: value of type interface {} is not assignable to type string"),
                "",
            ),
            (
                "mustMerge",
                vec![d(vec![("a", smap(&[("_0", "x")]))]), d(vec![("a", d(vec![("b", s("y"))]))])],
                Err("reflect.Value.SetMapIndex: value of type interface {} is not assignable to type string"),
                "",
            ),
            (
                "merge",
                vec![d(vec![("a", smap(&[("_0", "x")]))]), d(vec![("a", smap(&[("_0", "y"), ("_1", "z")]))])],
                Ok("map[a:map[_0:x _1:z]]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![d(vec![("a", smap(&[("_0", "x")]))]), d(vec![("a", d(vec![]))])],
                Ok("map[a:map[_0:x]]"),
                "map[string]interface {}",
            ),
            ("merge", vec![Value::Nil, d(vec![("a", i(1))])], Ok("map[a:1]"), "map[string]interface {}"),
            ("merge", vec![d(vec![("a", i(1))]), Value::Nil], Ok("map[a:1]"), "map[string]interface {}"),
            (
                "mergeOverwrite",
                vec![d(vec![("a", d(vec![("b", i(1))]))]), d(vec![("a", smap(&[("_0", "x")]))])],
                Ok("map[a:map[_0:x b:1]]"),
                "map[string]interface {}",
            ),
            ("get", vec![d(vec![("a", smap(&[("_0", "x")]))]), s("a")], Ok("map[_0:x]"), "map[string]string"),
            ("pick", vec![d(vec![("a", i(1))])], Ok("map[]"), "map[string]interface {}"),
            ("omit", vec![Value::Nil, s("a")], Ok("map[]"), "map[string]interface {}"),
            ("values", vec![Value::Nil], Ok("[]"), "[]interface {}"),
            ("keys", vec![Value::Nil], Ok("[]"), "[]string"),
            ("pluck", vec![s("a"), Value::Nil, d(vec![("a", i(2))])], Ok("[2]"), "[]interface {}"),
            (
                "dict",
                vec![l(vec![i(1), i(2)]), i(3), sv("1.0"), i(4)],
                Ok("map[1.0.0:4 [1 2]:3]"),
                "map[string]interface {}",
            ),
            (
                "merge",
                vec![d(vec![("a", sv("1.0"))]), d(vec![("a", sv("2.0")), ("b", sv("3.0"))])],
                Ok("map[a:1.0.0 b:3.0.0]"),
                "map[string]interface {}",
            ),
            (
                "mergeOverwrite",
                vec![d(vec![("a", sv("1.0"))]), d(vec![("a", sv("2.0"))])],
                Ok("map[a:2.0.0]"),
                "map[string]interface {}",
            ),
            ("deepCopy", vec![sv("1.2.3")], Ok("0.0.0"), "*semver.Version"),
            (
                "merge",
                vec![d(vec![("a", ints(&[0]))]), d(vec![("a", l(vec![i(5)]))])],
                Ok("map[a:[0]]"),
                "map[string]interface {}",
            ),
            (
                "mergeOverwrite",
                vec![d(vec![("a", ints(&[0]))]), d(vec![("a", l(vec![i(5)]))])],
                Ok("map[a:[5]]"),
                "map[string]interface {}",
            ),
        ]
    }

    #[test]
    fn matches_go() {
        check_table(&go_table());
    }
    // END GO TABLE

    // BEGIN GO RENDER (generated: each template's output or error from Go 1.27 + sprig 3.2.3)
    const RENDER_CASES: &[(&str, &str)] = &[
        ("{{ $d := dict }}{{ $_ := set $d \"a\" 1 }}{{ $d }}", "OK map[a:1]"),
        ("{{ $d := dict \"a\" 1 \"b\" 2 }}{{ $_ := unset $d \"a\" }}{{ $d }}", "OK map[b:2]"),
        ("{{ dict \"a\" 1 \"b\" }}", "OK map[a:1 b:]"),
        ("{{ get (dict \"a\" 1) \"a\" }} {{ get (dict) \"x\" | quote }}", "OK 1 \"\""),
        ("{{ hasKey (dict \"a\" 1) \"a\" }}", "OK true"),
        ("{{ pluck \"a\" (dict \"a\" 1) (dict \"a\" 2) }}", "OK [1 2]"),
        ("{{ keys (dict \"a\" 1) }}", "OK [a]"),
        ("{{ keys (dict \"b\" 1 \"a\" 2) | sortAlpha }}", "OK [a b]"),
        ("{{ pick (dict \"a\" 1 \"b\" 2) \"a\" }}", "OK map[a:1]"),
        ("{{ omit (dict \"a\" 1 \"b\" 2) \"a\" }}", "OK map[b:2]"),
        ("{{ values (dict \"a\" 1) }}", "OK [1]"),
        ("{{ merge (dict \"a\" 1) (dict \"a\" 2 \"b\" 3) }}", "OK map[a:1 b:3]"),
        ("{{ mergeOverwrite (dict \"a\" 1) (dict \"a\" 2 \"b\" 3) }}", "OK map[a:2 b:3]"),
        (
            "{{ $a := dict \"x\" (dict \"y\" 1) }}{{ $_ := merge $a (dict \"x\" (dict \"z\" 2)) }}{{ $a }}",
            "OK map[x:map[y:1 z:2]]",
        ),
        (
            "{{ $d := dict \"a\" (dict \"b\" 1) }}{{ $e := merge (dict) $d }}{{ $_ := set $e.a \"c\" 2 }}{{ $d }}",
            "OK map[a:map[b:1 c:2]]",
        ),
        (
            "{{ $d := dict \"a\" (dict \"b\" 1) }}{{ $e := deepCopy $d }}{{ $_ := set $e.a \"c\" 2 }}{{ $d }} {{ $e }}",
            "OK map[a:map[b:1]] map[a:map[b:1 c:2]]",
        ),
        ("{{ dig \"a\" \"b\" \"def\" (dict \"a\" (dict \"b\" 1)) }}", "OK 1"),
        ("{{ dig \"a\" \"x\" \"def\" (dict \"a\" (dict \"b\" 1)) }}", "OK def"),
        ("{{ $d := dict \"k\" \"v\" }}{{ range $k, $v := $d }}{{ $k }}={{ $v }}{{ end }}", "OK k=v"),
        ("{{ $d := dict }}{{ $_ := set $d \"x\" 1 }}{{ $d.x }}", "OK 1"),
        ("{{ $d := dict \"a\" 1 }}{{ $_ := merge $d $d }}{{ $d }}", "OK map[a:1]"),
        ("{{ $d := dict }}{{ $_ := set $d \"self\" $d }}{{ keys $d }}", "OK [self]"),
        ("{{ $x := dict \"l\" (list 1) }}{{ $_ := set $x \"l\" (append $x.l 2) }}{{ $x }}", "OK map[l:[1 2]]"),
        (
            "{{ mustMerge (dict \"a\" (split \",\" \"x\")) (dict \"a\" (dict \"b\" \"y\")) }}",
            "ERR template: t:1:3: executing \"t\" at <mustMerge (dict \"a\" (split \",\" \"x\")) (dict \"a\" (dict \"b\" \"y\"))>: error calling mustMerge: reflect.Value.SetMapIndex: value of type interface {} is not assignable to type string",
        ),
        (
            "{{ typeOf (dict) }} {{ typeOf (merge (dict) (dict)) }}",
            "OK map[string]interface {} map[string]interface {}",
        ),
        ("{{ dict \"a\" 1 | toJson }}", "OK {\"a\":1}"),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(RENDER_CASES);
    }
    // END GO RENDER
}

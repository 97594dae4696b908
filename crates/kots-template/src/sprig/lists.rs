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
            Ok(Value::list(items.into_iter().skip(1).collect()))
        });
    }
    for name in ["initial", "mustInitial"] {
        map.add(name, vec![A], |_, a| {
            let mut items = items_of(a.arg(0)?, "Cannot find initial on type")?;
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
        Ok(Value::list(res))
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
        Value::List(l) => Value::List(List { items: items[start..end].to_vec().into(), elem: l.elem.clone() }),
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
    use crate::fmt::format_value;
    use crate::sprig::funcs;

    pub(super) fn run(name: &str, args: &[Value]) -> Result<String, String> {
        funcs().call(name, args).map(|v| format_value(&v)).map_err(|e| e.0)
    }

    #[test]
    fn result_types() {
        let f = funcs();
        let l = Value::string_list(["a", "b", "c"]);
        assert_eq!(f.call("slice", &[l.clone(), Value::int(1)]).unwrap().type_name(), "[]string");
        assert_eq!(f.call("rest", &[l.clone()]).unwrap().type_name(), "[]interface {}");
        assert_eq!(f.call("chunk", &[Value::int(2), l]).unwrap().type_name(), "[][]interface {}");
    }
}

//! text/template's builtin functions (`print`, `printf`, `len`, `index`, `eq`, …). `and` and
//! `or` are here too but the executor evaluates them itself, short-circuiting as Go does.

use crate::func::FuncMap;

/// The builtins, as Go's `builtins()` map.
pub(crate) fn funcs() -> FuncMap {
    FuncMap::new()
}

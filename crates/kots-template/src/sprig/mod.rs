//! sprig v3's `TxtFuncMap()`, function for function, with sprig's Go signatures.
//!
//! Each module is one family of sprig's functions (sprig's own files are the model); each
//! registers its functions with `register`. Functions that are random or read the clock are
//! checked by shape in the tests; the rest must print exactly what sprig prints.

use crate::func::FuncMap;

mod conv;
pub(crate) mod crypto;
pub(crate) mod dates;
mod defaults;
mod dicts;
mod encoding;
mod fail;
mod json;
mod lists;
mod math;
mod network;
mod paths;
mod random;
mod reflect;
mod regex;
mod semver;
pub(crate) mod strings;
mod url;

/// `json.Marshal` of a template value, as `toJson` writes it: what Helm's `toYaml` converts
/// (sigs.k8s.io/yaml goes through JSON).
pub fn json_marshal(value: &crate::Value) -> Result<String, crate::FuncError> {
    json::marshal(value, true, false)
}

/// sprig's `TxtFuncMap()`: every function, under every name sprig gives it.
pub fn funcs() -> FuncMap {
    let mut map = FuncMap::new();
    strings::register(&mut map);
    lists::register(&mut map);
    dicts::register(&mut map);
    math::register(&mut map);
    conv::register(&mut map);
    defaults::register(&mut map);
    json::register(&mut map);
    encoding::register(&mut map);
    reflect::register(&mut map);
    regex::register(&mut map);
    paths::register(&mut map);
    url::register(&mut map);
    semver::register(&mut map);
    dates::register(&mut map);
    crypto::register(&mut map);
    random::register(&mut map);
    network::register(&mut map);
    map
}

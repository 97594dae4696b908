//! YAML as Helm reads and writes it: `sigs.k8s.io/yaml` over `go-yaml` v2. Reading is YAML 1.1
//! (`yes` is true, `0755` is 493) through JSON, so every number is a float64; writing
//! (`toYaml`) goes through JSON too, with mappings sorted and go-yaml v2's scalar styles.

use serde_json::Value;

/// A YAML document as `sigs.k8s.io/yaml.Unmarshal` into `map[string]interface{}` reads it.
/// (Until the port of go-yaml v2's resolver lands, YAML 1.2 through serde-saphyr.)
pub fn from_yaml(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str(text).map_err(|e| e.to_string())
}

/// `sigs.k8s.io/yaml.Marshal` of a value that JSON represents. (Until the port of go-yaml v2's
/// emitter lands, serde-saphyr's output.)
pub fn to_yaml(value: &Value) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| e.to_string())
}

/// Helm's `toToml` (BurntSushi/toml's encoder). (Until the port lands: not available.)
pub fn to_toml(value: &Value) -> Result<String, String> {
    let _ = value;
    Err("toToml is not implemented yet".to_owned())
}

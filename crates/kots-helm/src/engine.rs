//! Rendering a chart as Helm's engine does (`pkg/engine`): every template of the chart and its
//! subcharts in one set, each rendered with its own chart's `.Values`, `.Chart`, `.Files` and
//! `.Template`, the release's `.Release` and `.Capabilities`, and Helm's functions on sprig.
//!
//! The set is parsed in Helm's order (deeper paths first, then names in reverse), so that a
//! parent's `define` wins over a subchart's of the same name, as in Helm. Every template that is
//! not a partial (`_*`) is rendered, `NOTES.txt` and templates that render to nothing included;
//! `<no value>` is removed from the output, as Helm removes it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use kots_template::func::{ArgsExt, FuncError, FuncMap};
use kots_template::value::{GoType, Object};
use kots_template::{MissingKey, Templates, Value};

use crate::chart::{Chart, ChartFile};
use crate::error::Error;

/// Helm's default `.Capabilities.APIVersions` (v4.2.3): every `group/version` the client
/// library knows, no `group/version/Kind` entries.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1alpha1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// What a render knows about the release and the cluster it is for (no cluster is asked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub release_name: String,
    pub namespace: String,
    pub revision: i64,
    /// `.Release.IsUpgrade` (and not `IsInstall`).
    pub is_upgrade: bool,
    /// `.Capabilities.KubeVersion`, `vMAJOR.MINOR.PATCH`.
    pub kube_version: String,
    /// Added to [`DEFAULT_API_VERSIONS`] (`group/version` or `group/version/Kind`).
    pub api_versions: Vec<String>,
    /// `missingkey=error` (Helm's `--strict` lint mode): a missing map key is an error.
    pub strict: bool,
}

impl Default for Options {
    /// `helm template`'s defaults: release `release-name` in `default`, the Kubernetes version
    /// of Helm's client library.
    fn default() -> Options {
        Options {
            release_name: "release-name".to_owned(),
            namespace: "default".to_owned(),
            revision: 1,
            is_upgrade: false,
            kube_version: DEFAULT_KUBE_VERSION.to_owned(),
            api_versions: Vec::new(),
            strict: false,
        }
    }
}

/// The Kubernetes version Helm v4.2.3 assumes without a cluster (its client library's).
pub const DEFAULT_KUBE_VERSION: &str = "v1.36.0";

/// `.Capabilities.HelmVersion` of the Helm release this engine follows.
const HELM_VERSION: &str = "v4.2";
const HELM_GO_VERSION: &str = "go1.26.6";
const HELM_KUBE_CLIENT_VERSION: &str = "v1.36";

/// One template to parse and, unless it is a partial, render.
struct Entry {
    /// The engine's name for it: `CHART/templates/x.yaml`, `CHART/charts/SUB/templates/y.yaml`.
    name: String,
    text: String,
    /// Its chart's part of the data: `.Values`, `.Chart`, `.Files`, `.Release`,
    /// `.Capabilities`; `.Template` is added per template.
    data: BTreeMap<String, Value>,
    base_path: String,
}

/// Renders every template of `chart` (its dependencies as they are: disabled ones already
/// removed, see [`crate::values::render_values`]) with `values` as the top chart's `.Values`.
/// Returns Helm's map: template name → rendered text.
pub fn render(chart: &Chart, values: &serde_json::Value, options: &Options) -> Result<BTreeMap<String, String>, Error> {
    let release = release_object(options);
    let capabilities = capabilities_object(options)?;
    let mut entries = Vec::new();
    let _ = collect(chart, None, values, &release, &capabilities, &mut entries)?;
    entries.sort_by(|a, b| helm_order(&a.name, &b.name));

    let included: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let funcs = Arc::new(funcs(options, included));
    let missing_key = if options.strict { MissingKey::Error } else { MissingKey::Zero };
    let mut set = Templates::new(funcs, kots_template::Options { missing_key, ..Default::default() });
    for entry in &entries {
        set.parse(&entry.name, &entry.text).map_err(|e| Error::Render(parse_error(&e)))?;
    }
    let mut out = BTreeMap::new();
    for entry in &entries {
        let base = entry.name.rsplit('/').next().unwrap_or_default();
        if base.starts_with('_') {
            continue;
        }
        let mut data = entry.data.clone();
        let template = BTreeMap::from([
            ("Name".to_owned(), Value::string(entry.name.as_str())),
            ("BasePath".to_owned(), Value::string(entry.base_path.as_str())),
        ]);
        data.insert("Template".to_owned(), Value::map(template));
        let text =
            set.render(&entry.name, &Value::map(data)).map_err(|e| Error::Render(exec_error(&entry.name, &e)))?;
        out.insert(entry.name.clone(), text.replace("<no value>", ""));
    }
    Ok(out)
}

/// Helm's `sortTemplates`: more `/` first, then names in reverse order.
fn helm_order(a: &str, b: &str) -> std::cmp::Ordering {
    let depth = |s: &str| s.matches('/').count();
    depth(b).cmp(&depth(a)).then_with(|| b.cmp(a))
}

/// The templates of `chart` and its dependencies, each with its chart's data. Returns the
/// chart's data, which its parent's `.Subcharts` holds under the chart's name (as in Helm).
fn collect(
    chart: &Chart,
    parent: Option<&str>,
    values: &serde_json::Value,
    release: &Value,
    capabilities: &Value,
    out: &mut Vec<Entry>,
) -> Result<Value, Error> {
    let name = &chart.metadata.name;
    let path = match parent {
        None => name.clone(),
        Some(parent) => format!("{parent}/charts/{name}"),
    };
    let values = if values.is_object() { values.clone() } else { serde_json::json!({}) };
    let subcharts = kots_template::Map::new(BTreeMap::new(), GoType::Any);
    let data = BTreeMap::from([
        ("Values".to_owned(), Value::from_json(&values)),
        ("Chart".to_owned(), Value::from_json(&crate::chart::chart_object_rooted(&chart.metadata, parent.is_none()))),
        ("Files".to_owned(), Value::Object(Arc::new(Files::new(&chart.files)))),
        ("Release".to_owned(), release.clone()),
        ("Capabilities".to_owned(), capabilities.clone()),
        ("Subcharts".to_owned(), Value::Map(subcharts.clone())),
    ]);
    for template in &chart.templates {
        let text = String::from_utf8(template.data.clone())
            .map_err(|_| Error::Render(format!("{path}/{}: the template is not UTF-8 text", template.name)))?;
        out.push(Entry {
            name: format!("{path}/{}", template.name),
            text,
            data: data.clone(),
            base_path: format!("{path}/templates"),
        });
    }
    for dependency in &chart.dependencies {
        let sub = values.get(&dependency.metadata.name).cloned().unwrap_or(serde_json::Value::Null);
        let child = collect(dependency, Some(&path), &sub, release, capabilities, out)?;
        subcharts.insert(dependency.metadata.name.clone(), child);
    }
    Ok(Value::map(data))
}

fn release_object(options: &Options) -> Value {
    Value::map(BTreeMap::from([
        ("Name".to_owned(), Value::string(options.release_name.as_str())),
        ("Namespace".to_owned(), Value::string(options.namespace.as_str())),
        ("IsUpgrade".to_owned(), Value::Bool(options.is_upgrade)),
        ("IsInstall".to_owned(), Value::Bool(!options.is_upgrade)),
        ("Revision".to_owned(), Value::Int(options.revision, kots_template::value::IntKind::Int)),
        ("Service".to_owned(), Value::string("Helm")),
    ]))
}

/// A Kubernetes version as `--kube-version` takes it (`v1.30.2`, `1.30`): its `vX.Y.Z` form,
/// or an error naming it.
pub fn check_kube_version(text: &str) -> Result<String, Error> {
    kube_version(text).map(|k| k.version)
}

fn kube_version(text: &str) -> Result<KubeVersion, Error> {
    let version = text.trim_start_matches('v');
    let parts: Vec<&str> = version.split('.').collect();
    let numeric = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(2..=3).contains(&parts.len()) || !parts[..2].iter().all(numeric) {
        return Err(Error::Values(format!("kube version `{text}` is not a Kubernetes version (vMAJOR.MINOR.PATCH)")));
    }
    let (major, minor) = (parts[0].trim_start_matches('0'), parts[1].trim_start_matches('0'));
    let (major, minor) = (if major.is_empty() { "0" } else { major }, if minor.is_empty() { "0" } else { minor });
    let patch = parts.get(2).copied().unwrap_or("0");
    Ok(KubeVersion { version: format!("v{major}.{minor}.{patch}"), major: major.to_owned(), minor: minor.to_owned() })
}

fn capabilities_object(options: &Options) -> Result<Value, Error> {
    let kube = kube_version(&options.kube_version)?;
    let mut api_versions: Vec<String> = DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect();
    api_versions.extend(options.api_versions.iter().cloned());
    let helm = BTreeMap::from([
        ("Version".to_owned(), Value::string(HELM_VERSION)),
        ("GitCommit".to_owned(), Value::string("")),
        ("GitTreeState".to_owned(), Value::string("")),
        ("GoVersion".to_owned(), Value::string(HELM_GO_VERSION)),
        ("KubeClientVersion".to_owned(), Value::string(HELM_KUBE_CLIENT_VERSION)),
    ]);
    Ok(Value::map(BTreeMap::from([
        ("KubeVersion".to_owned(), Value::Object(Arc::new(kube))),
        ("APIVersions".to_owned(), Value::Object(Arc::new(ApiVersions(api_versions)))),
        ("HelmVersion".to_owned(), Value::map(helm)),
    ])))
}

/// `.Capabilities.KubeVersion`: prints as its version.
#[derive(Debug)]
struct KubeVersion {
    version: String,
    major: String,
    minor: String,
}

impl Object for KubeVersion {
    fn type_name(&self) -> &str {
        "*common.KubeVersion"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" | "GitVersion" | "String" => Some(Value::string(self.version.as_str())),
            "Major" => Some(Value::string(self.major.as_str())),
            "Minor" => Some(Value::string(self.minor.as_str())),
            _ => None,
        }
    }
    fn format(&self) -> String {
        self.version.clone()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `.Capabilities.APIVersions`: a list with `Has`.
#[derive(Debug)]
struct ApiVersions(Vec<String>);

impl Object for ApiVersions {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        match name {
            "Has" => Some(match args {
                [Value::String(wanted)] => Ok(Value::Bool(self.0.iter().any(|v| v.as_str() == &**wanted))),
                _ => Err(FuncError::new("wrong number of args for Has: want 1")),
            }),
            _ => None,
        }
    }
    fn format(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `.Files`: the chart's files that are not templates or values, with Helm's methods.
#[derive(Debug)]
struct Files(BTreeMap<String, Arc<[u8]>>);

impl Files {
    fn new(files: &[ChartFile]) -> Files {
        Files(files.iter().map(|f| (f.name.clone(), Arc::from(f.data.as_slice()))).collect())
    }

    /// The files as Go's `map[string][]byte`, for `range`, `len` and `index`.
    fn entries(&self) -> kots_template::Map {
        let entries = self.0.iter().map(|(k, v)| (k.clone(), Value::Bytes(v.clone()))).collect();
        kots_template::Map::new(entries, GoType::Bytes)
    }
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "files.Files"
    }
    fn field(&self, name: &str) -> Option<Value> {
        self.method(name, &[]).and_then(Result::ok)
    }
    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let arg = || match args {
            [Value::String(s)] => Ok(s.to_string()),
            _ => Err(FuncError::new(format!("wrong number of args for {name}: want 1 got {}", args.len()))),
        };
        let result = match name {
            "Get" => arg().map(|path| match self.0.get(&path) {
                Some(data) => Value::string(String::from_utf8_lossy(data).into_owned()),
                None => Value::string(""),
            }),
            "GetBytes" => {
                arg().map(|path| Value::Bytes(self.0.get(&path).cloned().unwrap_or_else(|| Arc::from(&[][..]))))
            }
            // Helm reads the last byte of a file it has without looking at its length: an
            // empty file is Go's runtime error, which Helm reports (render.py says so).
            "Lines" => arg().and_then(|path| match self.0.get(&path) {
                Some(data) if data.is_empty() => Err(FuncError::new("runtime error: index out of range [-1]")),
                Some(data) => {
                    let text = String::from_utf8_lossy(data);
                    let text = text.strip_suffix('\n').unwrap_or(&text);
                    Ok(Value::string_list(text.split('\n').map(str::to_owned).collect::<Vec<_>>()))
                }
                None => Ok(Value::string_list(Vec::<String>::new())),
            }),
            "Glob" => arg().and_then(|pattern| {
                let matcher = crate::glob::Glob::new(&pattern).map_err(FuncError::new)?;
                let matched = self.0.iter().filter(|(name, _)| matcher.matches(name));
                Ok(Value::Object(Arc::new(Files(matched.map(|(k, v)| (k.clone(), v.clone())).collect()))))
            }),
            "AsConfig" => Ok(Value::string(self.as_config(false))),
            "AsSecrets" => Ok(Value::string(self.as_config(true))),
            _ => return None,
        };
        Some(result)
    }
    fn format(&self) -> String {
        kots_template::fmt::format_value(&Value::Map(self.entries()))
    }
    fn as_map(&self) -> Option<kots_template::Map> {
        Some(self.entries())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl Files {
    /// `AsConfig` / `AsSecrets`: the files by base name, as YAML (secrets base64-encoded).
    fn as_config(&self, secrets: bool) -> String {
        use base64::Engine as _;
        let mut map = serde_json::Map::new();
        for (name, data) in &self.0 {
            let base = name.rsplit('/').next().unwrap_or(name).to_owned();
            let value = match secrets {
                true => base64::engine::general_purpose::STANDARD.encode(data),
                false => String::from_utf8_lossy(data).into_owned(),
            };
            map.insert(base, serde_json::Value::String(value));
        }
        crate::yaml::to_yaml(&serde_json::Value::Object(map))
            .map(|text| text.strip_suffix('\n').unwrap_or(&text).to_owned())
            .unwrap_or_default()
    }
}

/// sprig's functions (but `env` and `expandenv`) with Helm's on top.
fn funcs(options: &Options, included: Arc<Mutex<BTreeMap<String, usize>>>) -> FuncMap {
    let mut map = kots_template::sprig::funcs();
    map.remove("env");
    map.remove("expandenv");
    let json_of = |v: &Value| kots_template::sprig::json_marshal(v);
    map.add("toYaml", vec![GoType::Any], move |_, a| {
        let yaml = json_of(a.arg(0)?)
            .ok()
            .and_then(|json| serde_json::from_str(&json).ok())
            .and_then(|v| crate::yaml::to_yaml(&v).ok());
        Ok(Value::string(yaml.map(|y| y.strip_suffix('\n').map(str::to_owned).unwrap_or(y)).unwrap_or_default()))
    });
    map.add("mustToYaml", vec![GoType::Any], move |_, a| {
        let json = json_of(a.arg(0)?)?;
        let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| FuncError::new(e.to_string()))?;
        let yaml = crate::yaml::to_yaml(&value).map_err(FuncError::new)?;
        Ok(Value::string(yaml.strip_suffix('\n').map(str::to_owned).unwrap_or(yaml)))
    });
    // Helm's `fromYaml`/`fromYamlArray`: an error becomes the value (`{"Error": …}`, `[…]`).
    map.add("fromYaml", vec![GoType::String], |_, a| {
        Ok(match crate::yaml::from_yaml(a.str_arg(0)?) {
            Ok(value) => Value::from_json(&value),
            Err(e) => Value::from_json(&serde_json::json!({ "Error": e })),
        })
    });
    map.add("fromYamlArray", vec![GoType::String], |_, a| {
        Ok(match crate::yaml::from_yaml_array(a.str_arg(0)?) {
            Ok(items) => Value::from_json(&serde_json::Value::Array(items)),
            Err(e) => Value::from_json(&serde_json::json!([e])),
        })
    });
    map.add("fromJsonArray", vec![GoType::String], |_, a| {
        Ok(match serde_json::from_str::<serde_json::Value>(a.str_arg(0)?) {
            Ok(serde_json::Value::Array(items)) => Value::from_json(&serde_json::Value::Array(items)),
            Ok(_) => {
                Value::from_json(&serde_json::json!(["json: cannot unmarshal into Go value of type []interface {}"]))
            }
            Err(e) => Value::from_json(&serde_json::json!([e.to_string()])),
        })
    });
    // Helm's `toToml` encodes the Go value itself (no JSON round trip), so a float64 `1` stays
    // a float (`1.0`) and an int an int.
    map.add("toToml", vec![GoType::Any], move |_, a| {
        let toml = toml_json(a.arg(0)?).map(|v| crate::yaml::to_toml(&v));
        Ok(Value::string(match toml {
            Some(Ok(text)) => text,
            Some(Err(e)) => e,
            None => String::new(),
        }))
    });
    map.add("lookup", vec![GoType::String, GoType::String, GoType::String, GoType::String], |_, _| {
        Ok(Value::map(BTreeMap::new()))
    });
    map.add("getHostByName", vec![GoType::String], |_, _| Ok(Value::string("")));
    map.add("required", vec![GoType::String, GoType::Any], |_, a| {
        let (message, value) = (a.str_arg(0)?, a.arg(1)?);
        match value {
            Value::Nil | Value::Missing => Err(FuncError::new(message)),
            Value::String(s) if s.is_empty() => Err(FuncError::new(message)),
            other => Ok(other.clone()),
        }
    });
    let depth = included.clone();
    map.add("include", vec![GoType::String, GoType::Any], move |call, a| {
        let name = a.str_arg(0)?.to_owned();
        {
            let mut counts = depth.lock().unwrap_or_else(|p| p.into_inner());
            let count = counts.entry(name.clone()).or_insert(0);
            if *count > RECURSION_MAX {
                return Err(FuncError::new(format!(
                    "rendering template has a nested reference name: {name}: unable to execute template"
                )));
            }
            *count += 1;
        }
        let result = call.execute_template(&name, a.arg(1)?);
        if let Some(count) = depth.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&name) {
            *count -= 1;
        }
        Ok(Value::string(result?))
    });
    map.add("tpl", vec![GoType::String, GoType::Any], |call, a| {
        let text = call.render_text(a.str_arg(0)?, a.arg(1)?)?;
        Ok(Value::string(text.replace("<no value>", "")))
    });
    let _ = options;
    map
}

/// A template value as the JSON `toToml` encodes: floats kept floats (serde_json's `f64`
/// numbers), ints ints; anything else (bytes, objects) as its JSON marshalling. `None` when
/// that marshalling fails (Helm's `toToml` then prints nothing).
fn toml_json(value: &Value) -> Option<serde_json::Value> {
    Some(match value {
        Value::Nil | Value::Missing => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i, _) => serde_json::Value::from(*i),
        Value::Uint(u, _) => serde_json::Value::from(*u),
        Value::Float(f, _) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number)
        }
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::List(list) => serde_json::Value::Array(list.items.iter().map(toml_json).collect::<Option<_>>()?),
        Value::Map(map) => serde_json::Value::Object(
            map.entries().iter().map(|(k, v)| Some((k.clone(), toml_json(v)?))).collect::<Option<_>>()?,
        ),
        other => serde_json::from_str(&kots_template::sprig::json_marshal(other).ok()?).ok()?,
    })
}

/// Helm's limit on one template including itself.
const RECURSION_MAX: usize = 1000;

/// Helm's words for a parse error: `parse error at (NAME:LINE): MESSAGE`.
fn parse_error(error: &kots_template::Error) -> String {
    match error {
        kots_template::Error::Parse { name, line, message } => format!("parse error at ({name}:{line}): {message}"),
        other => other.to_string(),
    }
}

/// Helm's `reformatExecErrorMsg`: `template: LOC: executing … error calling F: …` becomes
/// `execution error at (LOC): MESSAGE`, LOC the outermost place (in the file being rendered)
/// and MESSAGE the innermost error; anything else `render error in (NAME): …`.
fn exec_error(name: &str, error: &kots_template::Error) -> String {
    let text = error.to_string();
    let mut location = None;
    let mut message = text.as_str();
    while let Some(rest) = message.strip_prefix("template: ") {
        let Some((loc, after)) = rest.split_once(": executing \"") else { break };
        let Some((_, after)) = after.split_once(">: ") else { break };
        // Helm names where the file being rendered called in (the outermost place), and the
        // innermost message.
        location.get_or_insert_with(|| loc.to_owned());
        message = after;
        if let Some(calling) = message.strip_prefix("error calling ") {
            match calling.split_once(": ") {
                Some((_, inner)) => message = inner,
                None => break,
            }
        }
    }
    match location {
        Some(location) => format!("execution error at ({location}): {message}"),
        None => format!("render error in ({name}): {text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Metadata;
    use serde_json::json;

    fn files(entries: &[(&str, &str)]) -> Vec<ChartFile> {
        entries
            .iter()
            .map(|(name, text)| ChartFile { name: name.to_string(), data: text.as_bytes().to_vec() })
            .collect()
    }

    fn metadata(name: &str, version: &str, document: serde_json::Value) -> Metadata {
        Metadata {
            name: name.into(),
            version: version.into(),
            api_version: "v2".into(),
            document,
            ..Metadata::default()
        }
    }

    /// A chart with a subchart exercising `.Values`, `.Chart`, `.Files`, `.Template`,
    /// `.Capabilities`, `.Release`, `include`, `tpl`, `toYaml` and a parent's `define` winning
    /// over a subchart's. The expected texts are what Helm v4.2.3 rendered for the same chart
    /// (render.py, release `rel` in `ns`, Kubernetes v1.30.0).
    #[test]
    fn renders_as_helm_renders() {
        let sub = Chart {
            metadata: metadata("sub", "0.2.0", json!({"apiVersion": "v2", "name": "sub", "version": "0.2.0"})),
            templates: files(&[
                ("templates/_h.tpl", "{{- define \"shared\" -}}sub{{- end -}}\n"),
                (
                    "templates/svc.yaml",
                    "port: {{ .Values.port }} {{ .Chart.Name }} {{ include \"shared\" . }} {{ include \"demo.name\" . }}\n",
                ),
            ]),
            ..Chart::default()
        };
        let deploy = "metadata:\n  name: {{ include \"demo.name\" . }}\n  labels:\n    chart: {{ .Chart.Name }}-{{ .Chart.Version }}\n    app: {{ .Chart.AppVersion | quote }}\nspec:\n  replicas: {{ .Values.replicas }}\n  env: {{ toYaml .Values.image | nindent 4 }}\n  greeting: {{ tpl .Values.greeting . }}\n  missing: \"{{ .Values.nothere }}\"\n  tmpl: {{ .Template.Name }} {{ .Template.BasePath }}\n  kube: {{ .Capabilities.KubeVersion }} {{ .Capabilities.KubeVersion.Major }} {{ .Capabilities.APIVersions.Has \"apps/v1\" }} {{ .Capabilities.APIVersions.Has \"x/v9\" }}\n  release: {{ .Release.Namespace }} {{ .Release.IsInstall }} {{ .Release.Revision }} {{ .Release.Service }}\n  shared: {{ include \"shared\" . }}\n";
        let files_template = "a: {{ .Files.Get \"files/a.txt\" | quote }}\nlines: {{ .Files.Lines \"files/a.txt\" | len }}\nglob: {{ range $p, $_ := .Files.Glob \"files/*.txt\" }}{{ $p }} {{ end }}\n";
        let chart = Chart {
            metadata: Metadata {
                app_version: "1.2".into(),
                ..metadata(
                    "demo",
                    "0.1.0",
                    json!({"apiVersion": "v2", "name": "demo", "version": "0.1.0", "appVersion": "1.2"}),
                )
            },
            templates: files(&[
                (
                    "templates/_helpers.tpl",
                    "{{- define \"demo.name\" -}}{{ .Chart.Name }}-{{ .Release.Name }}{{- end -}}\n{{- define \"shared\" -}}parent{{- end -}}\n",
                ),
                ("templates/deploy.yaml", deploy),
                ("templates/files.yaml", files_template),
                ("templates/empty.yaml", "{{- if .Values.nope }}x{{ end }}\n"),
                ("templates/NOTES.txt", "Thanks {{ .Release.Name }}\n"),
            ]),
            files: files(&[("files/a.txt", "line one\nline two\n"), ("files/b.txt", "bee")]),
            dependencies: vec![sub],
            ..Chart::default()
        };
        let values = json!({"replicas": 2.0, "image": {"repository": "nginx", "tag": "1.25"}, "greeting": "hello {{ .Release.Name }}", "sub": {"port": 80.0}});
        let options = Options {
            release_name: "rel".into(),
            namespace: "ns".into(),
            kube_version: "v1.30.0".into(),
            ..Options::default()
        };
        let out = render(&chart, &values, &options).unwrap();
        let names: Vec<&str> = out.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "demo/charts/sub/templates/svc.yaml",
                "demo/templates/NOTES.txt",
                "demo/templates/deploy.yaml",
                "demo/templates/empty.yaml",
                "demo/templates/files.yaml"
            ]
        );
        assert_eq!(out["demo/charts/sub/templates/svc.yaml"], "port: 80 sub parent sub-rel\n");
        assert_eq!(out["demo/templates/NOTES.txt"], "Thanks rel\n");
        assert_eq!(out["demo/templates/empty.yaml"], "\n");
        assert_eq!(
            out["demo/templates/files.yaml"],
            "a: \"line one\\nline two\\n\"\nlines: 2\nglob: files/a.txt files/b.txt \n"
        );
        assert_eq!(
            out["demo/templates/deploy.yaml"],
            "metadata:\n  name: demo-rel\n  labels:\n    chart: demo-0.1.0\n    app: \"1.2\"\nspec:\n  replicas: 2\n  env: \n    repository: nginx\n    tag: \"1.25\"\n  greeting: hello rel\n  missing: \"\"\n  tmpl: demo/templates/deploy.yaml demo/templates\n  kube: v1.30.0 1 true false\n  release: ns true 1 Helm\n  shared: parent\n"
        );
    }

    #[test]
    fn fail_and_required_are_worded_as_helm_words_them() {
        let chart = Chart {
            metadata: metadata("c", "1.0.0", json!({"name": "c", "version": "1.0.0"})),
            templates: files(&[("templates/a.yaml", "x: 1\n{{ required \"a value is required\" .Values.x }}\n")]),
            ..Chart::default()
        };
        let error = render(&chart, &json!({}), &Options::default()).unwrap_err().to_string();
        assert_eq!(error, "execution error at (c/templates/a.yaml:2:3): a value is required");
        let chart = Chart {
            templates: files(&[(
                "templates/b.yaml",
                "{{ include \"x\" . }}\n{{ define \"x\" }}\n  {{ fail \"no\" }}{{ end }}\n",
            )]),
            ..chart
        };
        let error = render(&chart, &json!({}), &Options::default()).unwrap_err().to_string();
        assert_eq!(error, "execution error at (c/templates/b.yaml:1:3): no", "where the file calls in, as Helm says");
    }

    /// `toToml` of values (float64s: `1.0`) and of a `dict` of ints (`1`); the expected text is
    /// what Helm v4.2.3 rendered for the same template and values (render.py).
    #[test]
    fn to_toml_keeps_floats_floats() {
        let chart = Chart {
            metadata: metadata("c", "1.0.0", json!({"name": "c", "version": "1.0.0"})),
            templates: files(&[("templates/t.yaml", "{{ toToml .Values }}|{{ toToml (dict \"n\" 1 \"f\" 2.5) }}")]),
            ..Chart::default()
        };
        let values = json!({"a": 1.0, "b": {"c": [1.0, 2.0]}});
        let out = render(&chart, &values, &Options::default()).unwrap();
        assert_eq!(out["c/templates/t.yaml"], "a = 1.0\n\n[b]\n  c = [1.0, 2.0]\n|f = 2.5\nn = 1\n");
    }

    /// Helm v4.2.3 refuses `.Files.Lines` of an empty file (Go's index out of range, seen
    /// through render.py); a missing file is an empty list.
    #[test]
    fn lines_of_an_empty_file_is_an_error_as_in_helm() {
        let chart = Chart {
            metadata: metadata("c", "1.0.0", json!({"name": "c", "version": "1.0.0"})),
            templates: files(&[(
                "templates/t.yaml",
                "{{ .Files.Lines \"none\" | len }}{{ .Files.Lines \"e\" | len }}",
            )]),
            files: files(&[("e", "")]),
            ..Chart::default()
        };
        let error = render(&chart, &json!({}), &Options::default()).unwrap_err().to_string();
        assert!(error.contains("runtime error: index out of range [-1]"), "{error}");
    }
}

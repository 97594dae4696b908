//! KOTS's `kots.io/v1beta2` HelmChart resources, as KOTS reads them: the chart named by
//! `spec.chart.name` and `chartVersion` found among the release's archives, its values (the
//! HelmChart's `values`, then each `optionalValues` entry whose `when` is true, merged key by
//! key or recursively with `recursiveMerge`), `exclude`, `releaseName`, `namespace`, and
//! `builder` (the values KOTS renders with to find every image an airgap bundle needs). Shared
//! by `pull` (which writes `helm/RELEASE/`) and the vendor's airgap bundles.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::manifests::Manifest;
use crate::{Chart, Error, chart, engine, manifests, values};

/// A chart archive of the release.
#[derive(Debug, Clone)]
pub struct Archive {
    pub path: String,
    pub bytes: Vec<u8>,
    pub chart: Chart,
}

/// The release's `.tgz` files: those that are charts, loaded, and why the others are not
/// (named when a HelmChart finds no chart, since a broken archive is the likely cause).
#[derive(Debug, Clone, Default)]
pub struct Archives {
    pub charts: Vec<Archive>,
    /// `(path, why it is not a chart)`.
    pub broken: Vec<(String, String)>,
}

/// Every `.tgz` of the release, loaded as a chart where it is one.
pub fn archives(files: &[(String, Vec<u8>)]) -> Archives {
    let mut archives = Archives::default();
    for (path, bytes) in files.iter().filter(|(path, _)| path.ends_with(".tgz")) {
        match chart::load_archive(bytes, path) {
            Ok(chart) => archives.charts.push(Archive { path: path.clone(), bytes: bytes.clone(), chart }),
            Err(e) => archives.broken.push((path.clone(), e.to_string())),
        }
    }
    archives
}

/// Whether a (rendered) document is a v1beta2 HelmChart.
pub fn is_v1beta2(document: &Value) -> bool {
    document["apiVersion"] == "kots.io/v1beta2" && document["kind"] == "HelmChart"
}

/// Whether a (rendered) document is a v1beta1 HelmChart.
pub fn is_v1beta1(document: &Value) -> bool {
    document["apiVersion"] == "kots.io/v1beta1" && document["kind"] == "HelmChart"
}

/// What KOTS gives a v1beta1 chart's Helm render as `.Release.Namespace` when the HelmChart
/// names none: a KOTS template, rendered with the rest of the chart's output afterwards.
pub const V1BETA1_NAMESPACE: &str = "repl{{ Namespace}}";

/// `spec.exclude`, true or a text strconv reads as true once rendered.
pub fn is_excluded(helm_chart: &Value) -> bool {
    flag(&helm_chart["spec"]["exclude"])
}

/// v1beta1's `spec.useHelmInstall`: the chart is installed with Helm, as a base of its own.
/// True or a text strconv reads as true once rendered, as `exclude`.
pub fn uses_helm_install(helm_chart: &Value) -> bool {
    flag(&helm_chart["spec"]["useHelmInstall"])
}

fn flag(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => kots_template::kots::parse_bool(s.trim()).unwrap_or(false),
        _ => false,
    }
}

fn chart_error(file: &str, message: String) -> Error {
    Error::Render(format!("{file}: {message}"))
}

/// `values`, then the `optionalValues` whose `when` holds; `file` names the HelmChart in errors.
pub fn chart_values(helm_chart: &Value, file: &str) -> Result<Value, Error> {
    let spec = &helm_chart["spec"];
    let mut merged = match &spec["values"] {
        Value::Null => serde_json::json!({}),
        Value::Object(_) => spec["values"].clone(),
        other => return Err(chart_error(file, format!("HelmChart spec.values must be a mapping, not {other}"))),
    };
    for (index, optional) in spec["optionalValues"].as_array().into_iter().flatten().enumerate() {
        let when = match &optional["when"] {
            Value::Bool(b) => *b,
            Value::String(s) => kots_template::kots::parse_bool(s.trim()).ok_or_else(|| {
                chart_error(
                    file,
                    format!(
                        "HelmChart spec.optionalValues[{index}].when: {s:?} is neither true nor false once rendered"
                    ),
                )
            })?,
            Value::Null => false,
            other => {
                return Err(chart_error(
                    file,
                    format!("HelmChart spec.optionalValues[{index}].when: {other} is neither true nor false"),
                ));
            }
        };
        if !when {
            continue;
        }
        let recursive = flag(&optional["recursiveMerge"]);
        let Some(extra) = optional["values"].as_object() else { continue };
        let target = merged.as_object_mut().expect("an object");
        for (key, value) in extra {
            match (recursive, target.get_mut(key)) {
                (true, Some(existing)) => deep_merge(existing, value.clone()),
                _ => {
                    target.insert(key.clone(), value.clone());
                }
            }
        }
    }
    Ok(merged)
}

/// Maps merged key by key (the later value wins), anything else replaced.
fn deep_merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in b {
                match a.get_mut(&key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        a.insert(key, value);
                    }
                }
            }
        }
        (into, from) => *into = from,
    }
}

/// One HelmChart rendered.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub release_name: String,
    pub archive: Archive,
    /// The HelmChart's values (what KOTS writes to `helm/RELEASE/values.yaml`).
    pub values: Value,
    pub manifests: Vec<Manifest>,
    pub hooks: Vec<Manifest>,
    /// The chart after dependency processing (aliases, disabled subcharts gone).
    pub chart: Chart,
    /// The values the templates saw (`.Values` of the top chart).
    pub top_values: Value,
    /// The top chart's `NOTES.txt`, rendered (empty without one): Helm's release record keeps it.
    pub notes: String,
}

impl Rendered {
    /// Every document, parsed, by template path (manifests, then hooks).
    pub fn documents(&self) -> Vec<(String, Value)> {
        manifests::print_each(&self.manifests, &self.hooks, false)
            .into_iter()
            .filter_map(|(path, content)| serde_saphyr::from_str::<Value>(&content).ok().map(|v| (path, v)))
            .collect()
    }
}

/// Renders the HelmChart `helm_chart` (from release file `file`) with `values` (its
/// [`chart_values`], or its `builder`) from its archive among `archives`, with `settings`
/// (`.Capabilities`, and the namespace unless the HelmChart names its own; the release name
/// is the HelmChart's).
pub fn render(
    helm_chart: &Value,
    file: &str,
    archives: &Archives,
    values: Value,
    settings: &engine::Options,
) -> Result<Rendered, Error> {
    let spec = &helm_chart["spec"];
    let name = spec["chart"]["name"].as_str().unwrap_or_default();
    let version = spec["chart"]["chartVersion"].as_str().unwrap_or_default();
    let archive = archives
        .charts
        .iter()
        .find(|a| a.chart.metadata.name == name && (version.is_empty() || a.chart.metadata.version == version))
        .ok_or_else(|| {
            let broken: Vec<String> =
                archives.broken.iter().map(|(path, why)| format!("{path} is not a chart: {why}")).collect();
            let broken = match broken.is_empty() {
                true => String::new(),
                false => format!(" ({})", broken.join("; ")),
            };
            chart_error(
                file,
                format!(
                    "HelmChart {:?} names chart {name} {version}, which no .tgz of the release holds{broken}",
                    helm_chart["metadata"]["name"].as_str().unwrap_or_default()
                ),
            )
        })?;
    // v1beta2 names the release in `spec.releaseName`, v1beta1 in `spec.chart.releaseName`.
    let release_name = match is_v1beta1(helm_chart) {
        true => spec["chart"]["releaseName"].as_str(),
        false => spec["releaseName"].as_str(),
    };
    let release_name = release_name.filter(|s| !s.is_empty()).unwrap_or(name).to_owned();
    let namespace = match spec["namespace"].as_str().filter(|s| !s.is_empty()) {
        Some(namespace) => namespace,
        None if is_v1beta1(helm_chart) => V1BETA1_NAMESPACE,
        None => &settings.namespace,
    };
    let context = |e: Error| Error::Render(format!("{file}: chart {name} {version} ({}): {e}", archive.path));
    let mut chart = archive.chart.clone();
    let top = values::render_values(&mut chart, &values).map_err(context)?;
    values::validate_schema(&chart, &top).map_err(context)?;
    let options =
        engine::Options { release_name: release_name.clone(), namespace: namespace.to_owned(), ..settings.clone() };
    let rendered: BTreeMap<String, String> = engine::render(&chart, &top, &options).map_err(context)?;
    let (manifests, hooks) = manifests::sort(&rendered).map_err(|e| context(Error::Render(e)))?;
    let notes = crate::release::notes(&rendered, &chart);
    Ok(Rendered { release_name, archive: archive.clone(), values, manifests, hooks, chart, top_values: top, notes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn optional_values_merge_as_kots_merges_them() {
        let helm_chart = json!({"spec": {
            "values": {"a": {"x": 1, "y": 2}, "b": 1},
            "optionalValues": [
                {"when": "true", "recursiveMerge": true, "values": {"a": {"y": 3, "z": 4}}},
                {"when": "1", "recursiveMerge": false, "values": {"b": {"c": 5}}},
                {"when": "false", "values": {"never": true}},
            ],
        }});
        assert_eq!(chart_values(&helm_chart, "f.yaml").unwrap(), json!({"a": {"x": 1, "y": 3, "z": 4}, "b": {"c": 5}}));
        let bad = json!({"spec": {"optionalValues": [{"when": "maybe", "values": {}}]}});
        let error = chart_values(&bad, "f.yaml").unwrap_err().to_string();
        assert!(error.contains("f.yaml: HelmChart spec.optionalValues[0].when: \"maybe\""), "{error}");
        assert!(is_excluded(&json!({"spec": {"exclude": "true"}})) && !is_excluded(&json!({"spec": {}})));
    }
}

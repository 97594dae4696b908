//! A chart as Helm loads it (`pkg/chart/v2/loader`): `Chart.yaml`, `values.yaml`,
//! `values.schema.json`, `templates/` (partials `_*.tpl` included), `crds/`, every other file
//! (what `.Files` serves), and its dependencies from `charts/` (folders or archives), from a
//! folder or a `.tgz`, `.helmignore` honoured.

use serde_json::Value;

/// One file of a chart, by its path inside the chart (`templates/deployment.yaml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFile {
    pub name: String,
    pub data: Vec<u8>,
}

/// `Chart.yaml`: the fields rendering reads, and the whole document as `.Chart` shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub name: String,
    pub version: String,
    /// `v1` or `v2`.
    pub api_version: String,
    /// `application` (the default) or `library`.
    pub kind: String,
    /// The `dependencies:` entries (from `requirements.yaml` for apiVersion v1).
    pub dependencies: Vec<Dependency>,
    /// `Chart.yaml` as Helm's `.Chart` object shows it (field names as Helm's JSON names them).
    pub document: Value,
}

/// One entry of `dependencies:`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    pub name: String,
    pub version: String,
    pub repository: String,
    pub condition: String,
    pub tags: Vec<String>,
    pub enabled: bool,
    /// `import-values`: plain names (`exports.NAME`) or `{child, parent}` pairs.
    pub import_values: Vec<Value>,
    pub alias: String,
}

/// A loaded chart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chart {
    pub metadata: Metadata,
    /// `values.yaml` as Helm reads it (YAML 1.1, numbers as float64: see [`crate::yaml`]).
    pub values: Value,
    /// `values.schema.json`, parsed.
    pub schema: Option<Value>,
    /// `templates/**`, partials included, sorted by name.
    pub templates: Vec<ChartFile>,
    /// `crds/**`.
    pub crds: Vec<ChartFile>,
    /// Every other file (not `Chart.yaml`, `values.yaml`, `templates/`, `charts/`): what
    /// `.Files` serves.
    pub files: Vec<ChartFile>,
    /// The charts under `charts/`, loaded.
    pub dependencies: Vec<Chart>,
}

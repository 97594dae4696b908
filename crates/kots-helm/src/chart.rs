//! A chart as Helm loads it (`pkg/chart/v2/loader`): `Chart.yaml`, `values.yaml`,
//! `values.schema.json`, `templates/` (partials `_*.tpl` included), `crds/`, every other file
//! (what `.Files` serves), and its dependencies from `charts/` (folders or archives), from a
//! folder or a `.tgz`, `.helmignore` honoured.

pub mod ignore;
mod metadata;

use std::path::Path;

use serde_json::Value;

use crate::Error;
pub(crate) use metadata::is_compatible_range;
pub use metadata::{chart_object, chart_object_rooted};

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
    /// `type:` as written: empty (an application), `application` or `library`.
    pub kind: String,
    pub description: String,
    pub home: String,
    pub icon: String,
    pub app_version: String,
    pub kube_version: String,
    /// `condition:` and `tags:` of Chart.yaml itself (strings in Helm's struct).
    pub condition: String,
    pub tags: String,
    pub deprecated: bool,
    pub keywords: Vec<String>,
    pub sources: Vec<String>,
    pub maintainers: Vec<Maintainer>,
    /// `None` when Chart.yaml has none (`.Chart.Annotations` is then nil).
    pub annotations: Option<std::collections::BTreeMap<String, String>>,
    /// Whether `dependencies:` is set at all: Helm skips dependency processing for a chart
    /// whose list is nil, but not for an empty one.
    pub dependencies_set: bool,
    /// The `dependencies:` entries (from `requirements.yaml` for apiVersion v1).
    pub dependencies: Vec<Dependency>,
    /// `.Chart` as Helm v4's engine gives it to templates and `toJson .Chart` prints it:
    /// Go field names (`Name`, `AppVersion`, …, `IsRoot`), see [`chart_object`]. Recomputed by
    /// [`crate::values::render_values`] after dependency processing (aliases, enabled list).
    pub document: Value,
}

/// One entry of `maintainers:`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
    pub url: String,
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
    /// Why `values.schema.json` is not JSON: Helm loads such a chart and fails only when it
    /// validates values (see [`crate::values::validate_schema`]).
    pub schema_error: Option<String>,
    /// `templates/**`, partials included, sorted by name.
    pub templates: Vec<ChartFile>,
    /// `crds/**` files with a manifest extension (`.yaml`, `.yml`, `.json`), as Helm's
    /// `CRDObjects` picks them (they are in [`Chart::files`] too, as in Helm).
    pub crds: Vec<ChartFile>,
    /// Every other file (not `Chart.yaml`, `Chart.lock`, `values.yaml`, `values.schema.json`,
    /// `templates/`, `charts/`): what `.Files` serves. `crds/` and `.helmignore` are included,
    /// as Helm includes them; `requirements.yaml` too for apiVersion v1.
    pub files: Vec<ChartFile>,
    /// The charts under `charts/`, loaded.
    pub dependencies: Vec<Chart>,
    /// `Chart.yaml`, `Chart.lock`, `values.yaml` and `values.schema.json` as they were read,
    /// byte for byte: KOTS copies them into the folder, and Helm's release record holds them.
    pub raw: Vec<ChartFile>,
}

/// The name of the chart: its (possibly aliased) metadata name.
impl Chart {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// One of [`Chart::raw`]'s files (`Chart.yaml`, `Chart.lock`, …) as read, if the chart has it.
    pub fn raw_file(&self, name: &str) -> Option<&[u8]> {
        self.raw.iter().find(|f| f.name == name).map(|f| f.data.as_slice())
    }

    /// Helm's `CRDObjects`: the `crds/` files of this chart and (after dependency processing,
    /// the enabled) subcharts, each named by its chart path (`top/charts/sub/crds/a.yaml`), in
    /// Helm's order (the chart's own first, then each dependency's).
    pub fn crd_objects(&self) -> Vec<(String, &ChartFile)> {
        let mut out = Vec::new();
        self.collect_crds(self.name(), &mut out);
        out
    }

    fn collect_crds<'a>(&'a self, path: &str, out: &mut Vec<(String, &'a ChartFile)>) {
        for f in &self.crds {
            out.push((format!("{path}/{}", f.name), f));
        }
        for dep in &self.dependencies {
            dep.collect_crds(&format!("{path}/charts/{}", dep.name()), out);
        }
    }
}

fn load_error(chart: &str, message: impl Into<String>) -> Error {
    Error::Load { chart: chart.to_owned(), message: message.into() }
}

/// A chart folder, as Helm's `loader.LoadDir`: the top chart's `.helmignore` (plus Helm's
/// default rule `templates/.?*`) applies to the whole tree, subcharts' folders under `charts/`
/// included; files are read in Helm's walk order (each folder's entries sorted), symlinks
/// followed, a leading UTF-8 BOM dropped.
pub fn load_dir(path: &Path) -> Result<Chart, Error> {
    let label = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let ignore_path = path.join(".helmignore");
    let mut rules = if ignore_path.is_file() {
        let text = std::fs::read_to_string(&ignore_path)
            .map_err(|e| load_error(&label, format!("error reading .helmignore: {e}")))?;
        ignore::Rules::parse(&text).map_err(|e| load_error(&label, e))?
    } else {
        ignore::Rules::default()
    };
    rules.add_defaults();
    let mut files = Vec::new();
    walk(path, "", &rules, &mut files).map_err(|e| load_error(&label, e))?;
    let mut chart = load_files(files).map_err(|e| load_error(&label, e))?;
    finish(&mut chart, true);
    Ok(chart)
}

/// Helm's `MaxDecompressedFileSize`: no chart file may be larger.
const MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;

fn walk(dir: &Path, rel: &str, rules: &ignore::Rules, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("error reading {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    for name in names {
        let full = dir.join(&name);
        let n = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        // Symlinks are followed, as Helm's sympath.Walk does.
        let meta = std::fs::metadata(&full).map_err(|e| format!("error reading {n}: {e}"))?;
        if meta.is_dir() {
            if rules.ignore(&n, true) {
                continue;
            }
            walk(&full, &n, rules, out)?;
            continue;
        }
        if rules.ignore(&n, false) {
            continue;
        }
        if !meta.is_file() {
            return Err(format!("cannot load irregular file {} as it has file mode type bits set", full.display()));
        }
        if meta.len() > MAX_FILE_SIZE {
            return Err(format!("chart file {name:?} is larger than the maximum file size {MAX_FILE_SIZE}"));
        }
        let data = std::fs::read(&full).map_err(|e| format!("error reading {n}: {e}"))?;
        out.push((n, strip_bom(data)));
    }
    Ok(())
}

fn strip_bom(data: Vec<u8>) -> Vec<u8> {
    match data.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => data,
    }
}

/// A chart archive (`helm package`'s `.tgz`), as Helm's `loader.LoadArchive`: every entry's
/// first path component (the chart's folder) is dropped; no `.helmignore` applies. `name` says
/// what the archive is in messages.
pub fn load_archive(bytes: &[u8], name: &str) -> Result<Chart, Error> {
    let files = archive_files(bytes, name).map_err(|e| load_error(name, e))?;
    let mut chart = load_files(files).map_err(|e| load_error(name, e))?;
    finish(&mut chart, true);
    Ok(chart)
}

/// Helm's `MaxDecompressedChartSize`: an archive may expand to this much at most.
const MAX_CHART_SIZE: u64 = 100 * 1024 * 1024;

/// The files of a chart archive as Helm's `archive.LoadArchiveFiles` reads them: gzip, then
/// tar; folders and PAX headers skipped; every path relative to the archive's top folder,
/// cleaned, refusing absolute paths, `..` and files outside the top folder, with Helm's
/// messages (`gzip: invalid header`, `unexpected EOF`, `archive/tar: invalid tar header`, …).
/// Memory stays bounded: at most [`MAX_CHART_SIZE`] is expanded, files are limited to
/// [`MAX_FILE_SIZE`] as declared, before they are read.
fn archive_files(bytes: &[u8], _name: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    use std::io::Read;
    // Go's gzip.NewReader reads a 10-byte header first.
    if bytes.len() < 10 {
        return Err("unexpected EOF".to_owned());
    }
    if bytes[0] != 0x1f || bytes[1] != 0x8b || bytes[2] != 8 {
        return Err("gzip: invalid header".to_owned());
    }
    let mut tar_bytes = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).take(MAX_CHART_SIZE + 1).read_to_end(&mut tar_bytes).map_err(
        |e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "unexpected EOF".to_owned(),
            _ => format!("gzip: {e}"),
        },
    )?;
    if tar_bytes.len() as u64 > MAX_CHART_SIZE {
        return Err(format!("decompressed chart exceeds the maximum size of {MAX_CHART_SIZE} bytes"));
    }
    let tar_error = |e: std::io::Error| {
        if e.to_string().contains("entire block") || e.kind() == std::io::ErrorKind::UnexpectedEof {
            "unexpected EOF".to_owned()
        } else {
            "archive/tar: invalid tar header".to_owned()
        }
    };
    if tar_bytes.len() % 512 != 0 && tar_bytes.len() < 512 {
        return Err("unexpected EOF".to_owned());
    }
    let mut archive = tar::Archive::new(&tar_bytes[..]);
    let mut files = Vec::new();
    for entry in archive.entries().map_err(tar_error)? {
        let mut entry = entry.map_err(tar_error)?;
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let parts: Vec<&str> = raw.split('/').collect();
        let n = parts[1..].join("/").replace('\\', "/");
        if n.starts_with('/') {
            return Err("chart illegally contains absolute paths".to_owned());
        }
        let n = clean_path(&n);
        if n == "." {
            return Err(format!("chart illegally contains content outside the base directory: {raw:?}"));
        }
        if n.starts_with("..") {
            return Err("chart illegally references parent directory".to_owned());
        }
        let b = n.as_bytes();
        if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            return Err("chart contains illegally named files".to_owned());
        }
        if entry.size() > MAX_FILE_SIZE {
            return Err(format!("decompressed chart file {n:?} exceeds the maximum file size {MAX_FILE_SIZE}"));
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(tar_error)?;
        files.push((n, strip_bom(data)));
    }
    if files.is_empty() {
        return Err("no files in chart archive".to_owned());
    }
    Ok(files)
}

/// Go's `path.Clean` on a relative path.
fn clean_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    if out.is_empty() { ".".to_owned() } else { out.join("/") }
}

fn file(name: &str, data: &[u8]) -> ChartFile {
    ChartFile { name: name.to_owned(), data: data.to_vec() }
}

/// Helm's `loader.LoadFiles`: the chart's parts by name, then its subcharts from `charts/`
/// (folders and `.tgz` archives; names starting with `_` or `.` skipped), in name order.
fn load_files(files: Vec<(String, Vec<u8>)>) -> Result<Chart, String> {
    let mut chart = Chart::default();
    let mut have_metadata = false;
    for (name, data) in &files {
        if name == "Chart.yaml" {
            let value =
                read_yaml(data).map_err(|e| format!("cannot load Chart.yaml: error converting YAML to JSON: {e}"))?;
            metadata::decode_into(&mut chart.metadata, &value)
                .map_err(|e| format!("cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: {e}"))?;
            if chart.metadata.api_version.is_empty() {
                chart.metadata.api_version = "v1".to_owned();
            }
            have_metadata = true;
        }
    }
    let mut subcharts: std::collections::BTreeMap<String, Vec<(String, Vec<u8>)>> = Default::default();
    for (name, data) in &files {
        if matches!(name.as_str(), "Chart.yaml" | "Chart.lock" | "values.yaml" | "values.schema.json") {
            chart.raw.push(file(name, data));
        }
        match name.as_str() {
            "Chart.yaml" | "Chart.lock" => {}
            "values.yaml" => {
                chart.values = crate::values::load_values(data).map_err(|e| format!("cannot load values.yaml: {e}"))?;
            }
            "values.schema.json" => match serde_json::from_slice(data) {
                Ok(schema) => chart.schema = Some(schema),
                Err(e) => chart.schema_error = Some(e.to_string()),
            },
            "requirements.yaml" => {
                let value = read_yaml(data)
                    .map_err(|e| format!("cannot load requirements.yaml: error converting YAML to JSON: {e}"))?;
                metadata::decode_into(&mut chart.metadata, &value).map_err(|e| {
                    format!("cannot load requirements.yaml: error unmarshaling JSON: while decoding JSON: {e}")
                })?;
                have_metadata = true;
                if chart.metadata.api_version == "v1" {
                    chart.files.push(file(name, data));
                }
            }
            "requirements.lock" => {
                have_metadata = true;
                if chart.metadata.api_version == "v1" {
                    chart.files.push(file(name, data));
                }
            }
            _ if name.starts_with("templates/") => chart.templates.push(file(name, data)),
            _ if name.starts_with("charts/") => {
                if name.ends_with(".prov") {
                    chart.files.push(file(name, data));
                    continue;
                }
                let rest = &name["charts/".len()..];
                let cname = rest.split('/').next().unwrap_or_default().to_owned();
                subcharts.entry(cname).or_default().push((rest.to_owned(), data.clone()));
            }
            _ => chart.files.push(file(name, data)),
        }
    }
    if !have_metadata {
        return Err("Chart.yaml file is missing".to_owned());
    }
    if chart.values.is_null() {
        chart.values = Value::Object(Default::default());
    }
    metadata::validate(&mut chart.metadata)?;
    chart.crds = chart
        .files
        .iter()
        .filter(|f| f.name.starts_with("crds/") && [".yaml", ".yml", ".json"].iter().any(|ext| f.name.ends_with(ext)))
        .cloned()
        .collect();
    let parent = chart.metadata.name.clone();
    for (n, files) in subcharts {
        if n.starts_with('_') || n.starts_with('.') {
            continue;
        }
        let sub = if n.ends_with(".tgz") {
            let first = &files[0];
            if first.0 != n {
                return Err(format!("error unpacking subchart tar in {parent}: expected {n}, got {}", first.0));
            }
            archive_files(&first.1, &n).and_then(load_files)
        } else {
            let inner: Vec<(String, Vec<u8>)> = files
                .into_iter()
                .filter_map(|(name, data)| name.split_once('/').map(|(_, rest)| (rest.to_owned(), data)))
                .collect();
            load_files(inner)
        };
        let sub = sub.map_err(|e| format!("error unpacking subchart {n} in {parent}: {e}"))?;
        chart.dependencies.push(sub);
    }
    Ok(chart)
}

fn read_yaml(data: &[u8]) -> Result<Value, String> {
    let text = String::from_utf8_lossy(data);
    crate::yaml::from_yaml(&text)
}

/// Fills in `.Chart` documents: the top chart is the root.
fn finish(chart: &mut Chart, is_root: bool) {
    chart.metadata.document = metadata::chart_object_rooted(&chart.metadata, is_root);
    for dep in &mut chart.dependencies {
        finish(dep, false);
    }
}

/// Recomputes every `.Chart` document after dependency processing changed names or lists.
pub(crate) fn refresh_documents(chart: &mut Chart) {
    finish(chart, true);
}

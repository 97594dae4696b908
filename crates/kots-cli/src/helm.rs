//! `kubectl kots helm template`: a chart rendered as `helm template` renders it, by kots-helm
//! (no Helm binary, no cluster). The chart is a folder or a `.tgz`; values come from `-f` files
//! (merged in order, as Helm merges them), then `--set` and `--set-string`. The output is what
//! `helm template` prints, or with `-o json` the engine's whole view: every template that is not
//! a partial, `NOTES.txt` and empty renders included, by Helm's template path.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use kots_helm::{Chart, chart, engine, manifests, strvals, values};

/// Everything `helm template` is told.
#[derive(Debug, Clone, Default)]
pub struct HelmTemplate {
    /// The release name (`release-name` when left out, as Helm).
    pub name: Option<String>,
    pub chart: PathBuf,
    pub values_files: Vec<PathBuf>,
    pub set: Vec<String>,
    pub set_string: Vec<String>,
    pub namespace: Option<String>,
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
    pub is_upgrade: bool,
    /// `.Release.Revision` (1 unless told; for rendering an upgrade as the cluster would).
    pub revision: Option<i64>,
    pub include_crds: bool,
    pub skip_tests: bool,
    pub output_dir: Option<PathBuf>,
    pub json: bool,
}

/// Loads a chart from a folder or an archive, naming it in errors.
pub fn load_chart(path: &Path) -> anyhow::Result<Chart> {
    if path.is_dir() {
        return Ok(chart::load_dir(path)?);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read chart `{}`", path.display()))?;
    Ok(chart::load_archive(&bytes, &path.display().to_string())?)
}

/// The user's values: the `-f` files merged left to right (maps deeply, the rest replaced),
/// then each `--set`, then each `--set-string`.
pub fn user_values(files: &[PathBuf], set: &[String], set_string: &[String]) -> anyhow::Result<serde_json::Value> {
    let mut merged = serde_json::json!({});
    for path in files {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read values `{}`", path.display()))?;
        let value = kots_helm::yaml::from_yaml(&text).map_err(|e| anyhow!("values `{}`: {e}", path.display()))?;
        let value = if value.is_null() { serde_json::json!({}) } else { value };
        if !value.is_object() {
            anyhow::bail!("values `{}` is not a mapping of values", path.display());
        }
        merge(&mut merged, value);
    }
    for text in set {
        strvals::parse_into(text, &mut merged, true).map_err(|e| anyhow!("--set {text}: {e}"))?;
    }
    for text in set_string {
        strvals::parse_into(text, &mut merged, false).map_err(|e| anyhow!("--set-string {text}: {e}"))?;
    }
    Ok(merged)
}

/// Helm's `mergeMaps`: maps merged key by key, anything else replaced.
fn merge(into: &mut serde_json::Value, from: serde_json::Value) {
    match (into, from) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            for (key, value) in b {
                match a.get_mut(&key) {
                    Some(existing) if existing.is_object() && value.is_object() => merge(existing, value),
                    _ => {
                        a.insert(key, value);
                    }
                }
            }
        }
        (into, from) => *into = from,
    }
}

/// Renders as `helm template` and writes the result to `out` (or under `--output-dir`).
pub fn run(options: &HelmTemplate, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut chart = load_chart(&options.chart)?;
    let user = user_values(&options.values_files, &options.set, &options.set_string)?;
    let render_options = engine::Options {
        release_name: options.name.clone().unwrap_or_else(|| "release-name".to_owned()),
        namespace: options.namespace.clone().unwrap_or_else(|| "default".to_owned()),
        is_upgrade: options.is_upgrade,
        revision: options.revision.unwrap_or(1),
        kube_version: options.kube_version.clone().unwrap_or_else(|| engine::DEFAULT_KUBE_VERSION.to_owned()),
        api_versions: options.api_versions.clone(),
        ..engine::Options::default()
    };
    let top = values::render_values(&mut chart, &user)?;
    values::validate_schema(&chart, &top)?;
    let rendered = engine::render(&chart, &top, &render_options)?;
    if options.json {
        let map: serde_json::Map<String, serde_json::Value> =
            rendered.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&serde_json::Value::Object(map))?)?;
        return Ok(());
    }
    let (manifests, hooks) = manifests::sort(&rendered).map_err(anyhow::Error::msg)?;
    let mut crds = Vec::new();
    if options.include_crds {
        collect_crds(&chart, None, &mut crds);
    }
    match &options.output_dir {
        None => {
            for (path, content) in &crds {
                write!(out, "---\n# Source: {path}\n{content}\n")?;
            }
            out.write_all(manifests::print(&manifests, &hooks, options.skip_tests).as_bytes())?;
        }
        Some(dir) => {
            let mut written = std::collections::BTreeSet::new();
            let docs = crds.iter().map(|(p, c)| (p.clone(), c.clone())).chain(manifests::print_each(
                &manifests,
                &hooks,
                options.skip_tests,
            ));
            for (path, content) in docs {
                let file = dir.join(&path);
                if let Some(parent) = file.parent() {
                    std::fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
                }
                let text = format!("---\n# Source: {path}\n{content}\n");
                let mut handle = std::fs::OpenOptions::new()
                    .create(true)
                    .append(written.contains(&path))
                    .write(true)
                    .truncate(!written.contains(&path))
                    .open(&file)
                    .with_context(|| format!("cannot write `{}`", file.display()))?;
                handle.write_all(text.as_bytes())?;
                writeln!(out, "wrote {}", file.display())?;
                written.insert(path);
            }
        }
    }
    Ok(())
}

/// Every chart's `crds/` files, by the path Helm shows (`CHART/crds/x.yaml`).
fn collect_crds(chart: &Chart, parent: Option<&str>, out: &mut Vec<(String, String)>) {
    let path = match parent {
        None => chart.metadata.name.clone(),
        Some(parent) => format!("{parent}/charts/{}", chart.metadata.name),
    };
    for crd in &chart.crds {
        out.push((format!("{path}/{}", crd.name), String::from_utf8_lossy(&crd.data).trim_end().to_owned()));
    }
    for dependency in &chart.dependencies {
        collect_crds(dependency, Some(&path), out);
    }
}

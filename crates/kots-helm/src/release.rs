//! Helm's release record as KOTS writes it into the app folder (`chartHelmSecret.yaml`): for a
//! `kots.io/v1beta1` HelmChart with `useHelmInstall: false`, KOTS renders the chart itself and
//! adds the Secret `sh.helm.release.v1.RELEASE.v1` that Helm's storage driver would have
//! written, so that a later `helm upgrade` (or KOTS's own switch to `useHelmInstall`) sees the
//! chart as installed. The record is Helm v4's `release.Release` of a client-side dry-run
//! install (`pkg/action/install.go`: description `Dry run complete`, version 1, apply method
//! `ssa`), with what KOTS changes (`pkg/base/helm_v4.go`: status `deployed`, deploy times zero,
//! `createdAt: "1"`), encoded as `pkg/storage/driver/util.go` `encodeRelease` does: Go's
//! `json.Marshal` (struct field order, `omitempty`, sorted map keys, HTML escaping), gzip at
//! best compression, base64; the Secret's `data` base64s it once more.
//!
//! The JSON text is what must match Helm byte for byte (Helm decodes it); the gzip stream is
//! flate2's, not Go's, which is a different but equally valid encoding of the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

use base64::Engine as _;
use kots_template::FloatKind;
use kots_template::fmt::format_float;
use serde_json::Value;

use crate::manifests::Manifest;
use crate::{Chart, ChartFile, Error};

/// What Helm's release record holds, as the install action built it.
#[derive(Debug, Clone, Copy)]
pub struct Release<'a> {
    /// The chart as rendered: after [`crate::values::render_values`] (Helm's
    /// `ProcessDependencies` runs in place before the release is made, so the record has its
    /// dependencies marked `enabled`, aliases applied, disabled ones gone, and the values with
    /// imports). Only the top chart is recorded: subcharts are not part of Helm's JSON.
    pub chart: &'a Chart,
    /// The release name (`sh.helm.release.v1.NAME.v1`).
    pub name: &'a str,
    /// `rel.Namespace` (omitted from the JSON when empty). KOTS uses the HelmChart's
    /// `spec.namespace`, or the app's namespace when that is empty.
    pub namespace: &'a str,
    /// The values the user gave (`rel.Config`, recorded when not empty): for KOTS, the
    /// HelmChart's `values`, not the chart's defaults.
    pub config: &'a Value,
    /// The non-hook documents, sorted as [`crate::manifests::sort`] returns them.
    pub manifests: &'a [Manifest],
    /// The hook documents, sorted as [`crate::manifests::sort`] returns them.
    pub hooks: &'a [Manifest],
    /// The rendered `NOTES.txt` of the top chart (see [`notes`]); empty when there is none.
    pub notes: &'a str,
}

/// Helm's `info.notes`: the top chart's rendered `CHART/templates/NOTES.txt` (subcharts' notes
/// are left out, as `helm install` leaves them out without `--render-subchart-notes`).
pub fn notes(rendered: &BTreeMap<String, String>, chart: &Chart) -> String {
    rendered.get(&format!("{}/templates/NOTES.txt", chart.name())).cloned().unwrap_or_default()
}

/// The `chartHelmSecret.yaml` document KOTS writes for `release`: a `helm.sh/release.v1`
/// Secret with Helm's labels (KOTS's constant `createdAt: "1"`, so that a re-render gives no
/// diff), keys in the order `sigs.k8s.io/yaml` prints them, `metadata.namespace` only when
/// `secret_namespace` is set (KOTS adds it from the HelmChart's `spec.namespace`).
pub fn release_secret(release: &Release, secret_namespace: &str) -> Result<Value, Error> {
    let encoded = encode_release(&release_json(release)?);
    let data = base64::engine::general_purpose::STANDARD.encode(encoded.as_bytes());
    let mut labels = serde_json::Map::new();
    for (k, v) in
        [("createdAt", "1"), ("name", release.name), ("owner", "helm"), ("status", "deployed"), ("version", "1")]
    {
        labels.insert(k.to_owned(), Value::String(v.to_owned()));
    }
    let mut metadata = serde_json::Map::new();
    metadata.insert("labels".to_owned(), Value::Object(labels));
    metadata.insert("name".to_owned(), Value::String(format!("sh.helm.release.v1.{}.v1", release.name)));
    if !secret_namespace.is_empty() {
        metadata.insert("namespace".to_owned(), Value::String(secret_namespace.to_owned()));
    }
    let mut secret = serde_json::Map::new();
    secret.insert("apiVersion".to_owned(), Value::String("v1".to_owned()));
    secret.insert("data".to_owned(), serde_json::json!({ "release": data }));
    secret.insert("kind".to_owned(), Value::String("Secret".to_owned()));
    secret.insert("metadata".to_owned(), Value::Object(metadata));
    secret.insert("type".to_owned(), Value::String("helm.sh/release.v1".to_owned()));
    Ok(Value::Object(secret))
}

/// Helm's `encodeRelease` after `json.Marshal`: gzip (best compression, no name, mtime 0, the
/// header Go writes: `XFL` 2, OS 255), then standard base64.
pub fn encode_release(json: &str) -> String {
    let mut gz = flate2::GzBuilder::new().operating_system(255).write(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(json.as_bytes());
    let bytes = gz.finish().unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The release as Go's `json.Marshal` prints Helm v4's `release.Release` (`pkg/release/v1`):
/// `name`, `info`, `chart`, `config`, `manifest`, `hooks`, `version`, `namespace`,
/// `apply_method`, each left out when empty. Fails only where Helm would have failed to load
/// the chart (a `Chart.lock` Helm cannot read).
pub fn release_json(release: &Release) -> Result<String, Error> {
    let mut out = String::new();
    let mut o = Obj::new(&mut out);
    o.str_omitempty("name", release.name);
    {
        let info = o.key("info");
        let mut i = Obj::new(info);
        // KOTS zeroes first_deployed and last_deployed; v4's Info leaves zero times out.
        i.str_omitempty("description", "Dry run complete");
        i.str_omitempty("status", "deployed");
        i.str_omitempty("notes", release.notes);
        i.end();
    }
    chart_json(o.key("chart"), release.chart)?;
    if release.config.as_object().is_some_and(|m| !m.is_empty()) {
        write_value(o.key("config"), release.config);
    }
    o.str_omitempty("manifest", &manifest_text(release.manifests));
    let hooks: Vec<Hook> = release.hooks.iter().filter_map(Hook::from_manifest).collect();
    if !hooks.is_empty() {
        let out = o.key("hooks");
        out.push('[');
        for (n, hook) in hooks.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            hook.write(out);
        }
        out.push(']');
    }
    o.raw("version", "1");
    o.str_omitempty("namespace", release.namespace);
    o.str_omitempty("apply_method", "ssa");
    o.end();
    Ok(out)
}

/// Helm's `rel.Manifest`: each non-hook document as `---\n# Source: PATH\nDOCUMENT\n`, in
/// install order (no CRDs: `helm install` does not put `crds/` in the manifest).
fn manifest_text(manifests: &[Manifest]) -> String {
    let mut text = String::new();
    for m in manifests {
        let _ = write!(text, "---\n# Source: {}\n{}\n", m.path, m.content);
    }
    text
}

/// Helm's `release.Hook` for one hook document (`pkg/release/v1/util/manifest_sorter.go`).
struct Hook {
    name: String,
    kind: String,
    path: String,
    manifest: String,
    events: Vec<String>,
    weight: i64,
    delete_policies: Vec<String>,
    output_log_policies: Vec<String>,
}

/// Helm's hook events by annotation word (`test-success` is Helm 2's `test`).
const HOOK_EVENTS: &[(&str, &str)] = &[
    ("pre-install", "pre-install"),
    ("post-install", "post-install"),
    ("pre-delete", "pre-delete"),
    ("post-delete", "post-delete"),
    ("pre-upgrade", "pre-upgrade"),
    ("post-upgrade", "post-upgrade"),
    ("pre-rollback", "pre-rollback"),
    ("post-rollback", "post-rollback"),
    ("test", "test"),
    ("test-success", "test"),
];

impl Hook {
    /// The hook as Helm records it, or `None` for a hook Helm skips: one naming an event Helm
    /// does not know (`skipping unknown hooks`), which Helm then neither records nor installs.
    fn from_manifest(m: &Manifest) -> Option<Hook> {
        let head = crate::yaml::from_yaml(&m.content).unwrap_or(Value::Null);
        let annotations = &head["metadata"]["annotations"];
        let annotation = |key: &str| annotations.get(key).map(scalar_text);
        let hook_types = annotation("helm.sh/hook").or_else(|| m.hook.clone())?;
        let mut events = Vec::new();
        for word in hook_types.split(',') {
            let word = word.trim().to_lowercase();
            let (_, event) = HOOK_EVENTS.iter().find(|(w, _)| *w == word)?;
            events.push((*event).to_owned());
        }
        let words = |key: &str| -> Vec<String> {
            annotation(key).map(|v| v.split(',').map(|w| w.trim().to_lowercase()).collect()).unwrap_or_default()
        };
        Some(Hook {
            name: head["metadata"].get("name").map(scalar_text).unwrap_or_default(),
            kind: head.get("kind").map(scalar_text).unwrap_or_default(),
            path: m.path.clone(),
            manifest: m.content.clone(),
            events,
            // strconv.Atoi, 0 when it is not a decimal int.
            weight: annotation("helm.sh/hook-weight").and_then(|w| w.parse().ok()).unwrap_or(0),
            delete_policies: words("helm.sh/hook-delete-policy"),
            output_log_policies: words("helm.sh/hook-output-log-policy"),
        })
    }

    /// `name`, `kind`, `path`, `manifest`, `events`, `last_run` (never run: `{"phase":""}`),
    /// `weight`, `delete_policies`, `output_log_policies`, empty ones left out.
    fn write(&self, out: &mut String) {
        let mut o = Obj::new(out);
        o.str_omitempty("name", &self.name);
        o.str_omitempty("kind", &self.kind);
        o.str_omitempty("path", &self.path);
        o.str_omitempty("manifest", &self.manifest);
        o.strings_omitempty("events", &self.events);
        o.raw("last_run", "{\"phase\":\"\"}");
        if self.weight != 0 {
            o.raw("weight", &self.weight.to_string());
        }
        o.strings_omitempty("delete_policies", &self.delete_policies);
        o.strings_omitempty("output_log_policies", &self.output_log_policies);
        o.end();
    }
}

/// A YAML scalar as the string field of Helm's `SimpleHead` receives it.
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Helm v2 `chart.Chart` as JSON: `metadata`, `lock`, `templates`, `values`, `schema`,
/// `schemamodtime`, `files`. Helm keeps no mod times for what KOTS records (the loader of
/// KOTS's Helm sets none), so `schemamodtime` is Go's zero time and `modtime`s are left out.
fn chart_json(out: &mut String, chart: &Chart) -> Result<(), Error> {
    let mut o = Obj::new(out);
    metadata_json(o.key("metadata"), chart);
    lock_json(o.key("lock"), chart)?;
    files_json(o.key("templates"), &chart.templates);
    // Helm's Values is nil for a chart without values.yaml (and no dependencies whose
    // import-values set it).
    if chart.raw_file("values.yaml").is_none() && !chart.metadata.dependencies_set {
        o.raw("values", "null");
    } else {
        write_value(o.key("values"), &chart.values);
    }
    match chart.raw_file("values.schema.json") {
        Some(bytes) => write_str(o.key("schema"), &base64::engine::general_purpose::STANDARD.encode(bytes)),
        None => o.raw("schema", "null"),
    }
    o.raw("schemamodtime", "\"0001-01-01T00:00:00Z\"");
    files_json(o.key("files"), &chart.files);
    o.end();
    Ok(())
}

/// `[]*common.File`: `{"name","data"}` each, data base64; an empty list is Go's nil slice.
/// KOTS writes the chart's files to a folder and Helm loads that folder (`loader.LoadDir`), so
/// the files come in Helm's walk order (each folder's entries sorted: `templates/a/b.yaml`
/// before `templates/a.yaml`) whatever the order of the archive they came from.
fn files_json(out: &mut String, files: &[ChartFile]) {
    if files.is_empty() {
        out.push_str("null");
        return;
    }
    let mut files: Vec<&ChartFile> = files.iter().collect();
    files.sort_by(|a, b| a.name.split('/').cmp(b.name.split('/')));
    out.push('[');
    for (n, f) in files.into_iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let mut o = Obj::new(out);
        o.str("name", &f.name);
        o.str("data", &base64::engine::general_purpose::STANDARD.encode(&f.data));
        o.end();
    }
    out.push(']');
}

/// `chart.Metadata`, fields in Helm's struct order, all `omitempty`.
fn metadata_json(out: &mut String, chart: &Chart) {
    let md = &chart.metadata;
    let mut o = Obj::new(out);
    o.str_omitempty("name", &md.name);
    o.str_omitempty("home", &md.home);
    o.strings_omitempty("sources", &md.sources);
    o.str_omitempty("version", &md.version);
    o.str_omitempty("description", &md.description);
    o.strings_omitempty("keywords", &md.keywords);
    if !md.maintainers.is_empty() {
        let out = o.key("maintainers");
        out.push('[');
        for (n, m) in md.maintainers.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            let mut mo = Obj::new(out);
            mo.str_omitempty("name", &m.name);
            mo.str_omitempty("email", &m.email);
            mo.str_omitempty("url", &m.url);
            mo.end();
        }
        out.push(']');
    }
    o.str_omitempty("icon", &md.icon);
    o.str_omitempty("apiVersion", &md.api_version);
    o.str_omitempty("condition", &md.condition);
    o.str_omitempty("tags", &md.tags);
    o.str_omitempty("appVersion", &md.app_version);
    if md.deprecated {
        o.raw("deprecated", "true");
    }
    if let Some(annotations) = md.annotations.as_ref().filter(|a| !a.is_empty()) {
        let out = o.key("annotations");
        let mut ao = Obj::new(out);
        for (k, v) in annotations {
            ao.str(k, v);
        }
        ao.end();
    }
    o.str_omitempty("kubeVersion", &md.kube_version);
    if !md.dependencies.is_empty() {
        let deps: Vec<Option<Dep>> = md
            .dependencies
            .iter()
            .map(|d| Dep {
                name: d.name.clone(),
                version: d.version.clone(),
                repository: d.repository.clone(),
                condition: d.condition.clone(),
                tags: d.tags.clone(),
                enabled: d.enabled,
                import_values: d.import_values.clone(),
                alias: d.alias.clone(),
            })
            .map(Some)
            .collect();
        write_deps(o.key("dependencies"), &deps);
    }
    o.str_omitempty("type", &md.kind);
    o.end();
}

/// One `chart.Dependency` (of Chart.yaml or Chart.lock).
#[derive(Debug, Default)]
struct Dep {
    name: String,
    version: String,
    repository: String,
    condition: String,
    tags: Vec<String>,
    enabled: bool,
    import_values: Vec<Value>,
    alias: String,
}

/// `[]*chart.Dependency`: `name` and `repository` always, the rest `omitempty`; a nil entry
/// (`- null` in Chart.lock) is `null`.
fn write_deps(out: &mut String, deps: &[Option<Dep>]) {
    out.push('[');
    for (n, d) in deps.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let Some(d) = d else {
            out.push_str("null");
            continue;
        };
        let mut o = Obj::new(out);
        o.str("name", &d.name);
        o.str_omitempty("version", &d.version);
        o.str("repository", &d.repository);
        o.str_omitempty("condition", &d.condition);
        o.strings_omitempty("tags", &d.tags);
        if d.enabled {
            o.raw("enabled", "true");
        }
        if !d.import_values.is_empty() {
            write_value(o.key("import-values"), &Value::Array(d.import_values.clone()));
        }
        o.str_omitempty("alias", &d.alias);
        o.end();
    }
    out.push(']');
}

/// `chart.Lock` from `Chart.lock` (or a v1 chart's `requirements.lock`), read as Helm's loader
/// reads it (`sigs.k8s.io/yaml` into the struct): `{"generated","digest","dependencies"}`, or
/// `null` when the chart has none (or the file is empty).
fn lock_json(out: &mut String, chart: &Chart) -> Result<(), Error> {
    let (file, data) = match chart.raw_file("Chart.lock") {
        Some(data) => ("Chart.lock", data),
        None => match chart.files.iter().find(|f| f.name == "requirements.lock") {
            Some(f) => ("requirements.lock", f.data.as_slice()),
            None => {
                out.push_str("null");
                return Ok(());
            }
        },
    };
    let fail = |message: String| Error::Load {
        chart: chart.name().to_owned(),
        message: format!("cannot load {file}: error unmarshaling JSON: while decoding JSON: {message}"),
    };
    let value = crate::yaml::from_yaml(&String::from_utf8_lossy(data))
        .map_err(|e| Error::Load { chart: chart.name().to_owned(), message: format!("cannot load {file}: {e}") })?;
    let obj = match &value {
        Value::Null => {
            out.push_str("null");
            return Ok(());
        }
        Value::Object(obj) => obj,
        other => return Err(fail(format!("json: cannot unmarshal {} into Go value of type chart.Lock", kind(other)))),
    };
    let mut generated = "0001-01-01T00:00:00Z".to_owned();
    let mut digest = String::new();
    let mut deps: Option<Vec<Option<Dep>>> = None;
    for (key, v) in go_fields(obj, &["generated", "digest", "dependencies"]) {
        match key {
            "generated" => match v {
                Value::Null => {}
                Value::String(s) => {
                    generated = rfc3339_nano(s).map_err(|e| fail(format!("parsing time {s:?}: {e}")))?;
                }
                _ => return Err(fail("Time.UnmarshalJSON: input is not a JSON string".to_owned())),
            },
            "digest" => digest = string_field(v, "Lock.digest").map_err(&fail)?.unwrap_or(digest),
            _ => match v {
                Value::Null => deps = None,
                Value::Array(items) => {
                    deps = Some(items.iter().map(decode_dep).collect::<Result<_, _>>().map_err(&fail)?);
                }
                other => {
                    return Err(fail(format!(
                        "json: cannot unmarshal {} into Go struct field Lock.dependencies of type []*chart.Dependency",
                        kind(other)
                    )));
                }
            },
        }
    }
    let mut o = Obj::new(out);
    o.str("generated", &generated);
    o.str("digest", &digest);
    match &deps {
        Some(deps) => write_deps(o.key("dependencies"), deps),
        None => o.raw("dependencies", "null"),
    }
    o.end();
    Ok(())
}

fn decode_dep(v: &Value) -> Result<Option<Dep>, String> {
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(obj) => obj,
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go struct field Lock.dependencies of type chart.Dependency",
                kind(other)
            ));
        }
    };
    let mut d = Dep::default();
    let names = ["name", "version", "repository", "condition", "tags", "enabled", "import-values", "alias"];
    for (key, item) in go_fields(obj, &names) {
        let field = format!("Lock.dependencies.{key}");
        match key {
            "tags" => match item {
                Value::Null => d.tags.clear(),
                Value::Array(items) => {
                    d.tags = items
                        .iter()
                        .map(|i| string_field(i, &field).map(Option::unwrap_or_default))
                        .collect::<Result<_, _>>()?;
                }
                other => return Err(mismatch(other, &field, "[]string")),
            },
            "enabled" => match item {
                Value::Null => {}
                Value::Bool(b) => d.enabled = *b,
                other => return Err(mismatch(other, &field, "bool")),
            },
            "import-values" => match item {
                Value::Null => d.import_values.clear(),
                Value::Array(items) => d.import_values = items.clone(),
                other => return Err(mismatch(other, &field, "[]interface {}")),
            },
            _ => {
                let target = match key {
                    "name" => &mut d.name,
                    "version" => &mut d.version,
                    "repository" => &mut d.repository,
                    "condition" => &mut d.condition,
                    _ => &mut d.alias,
                };
                if let Some(s) = string_field(item, &field)? {
                    *target = s;
                }
            }
        }
    }
    Ok(Some(d))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn mismatch(v: &Value, field: &str, go_type: &str) -> String {
    format!("json: cannot unmarshal {} into Go struct field {field} of type {go_type}", kind(v))
}

/// A string field as `sigs.k8s.io/yaml` fills it: a YAML scalar becomes its text (it turns
/// scalars into strings when the target field is a string).
fn string_field(v: &Value, field: &str) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Number(n) => Ok(Some(match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => format!("{}", f as i64),
            Some(f) => format_float(f64::from(f as f32), b'g', -1, FloatKind::Float32),
            None => n.to_string(),
        })),
        other => Err(mismatch(other, field, "string")),
    }
}

/// `encoding/json`'s matching of object keys to struct fields: exact first, else
/// case-insensitive; unknown keys ignored.
fn go_fields<'a>(obj: &'a serde_json::Map<String, Value>, names: &[&'static str]) -> Vec<(&'static str, &'a Value)> {
    obj.iter()
        .filter_map(|(key, value)| {
            let found =
                names.iter().find(|n| **n == key).or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(key)))?;
            Some((*found, value))
        })
        .collect()
}

/// A time as `time.Time` reads it from JSON (strict RFC 3339) and writes it back
/// (`RFC3339Nano`: the same wall clock and offset, the fraction without trailing zeros, `Z`
/// for a zero offset).
fn rfc3339_nano(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let layout = "as \"2006-01-02T15:04:05Z07:00\"";
    let bad = || format!("{layout}: cannot parse {s:?}");
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return Err(bad());
    }
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2))
    else {
        return Err(bad());
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) {
        return Err(format!("{layout}: month out of range"));
    }
    if day < 1 || day > days[month as usize - 1] || hour > 23 || minute > 59 || second > 59 {
        return Err(format!("{layout}: day out of range"));
    }
    let mut i = 19;
    let mut fraction = String::new();
    if sep(i, b'.') || sep(i, b',') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err(bad());
        }
        fraction = s[start..i.min(start + 9)].trim_end_matches('0').to_owned();
    }
    let zone = match &b[i..] {
        b"Z" => "Z".to_owned(),
        [sign @ (b'+' | b'-'), ..] if b.len() == i + 6 && sep(i + 3, b':') => {
            let (Some(h), Some(m)) = (num(i + 1, 2), num(i + 4, 2)) else { return Err(bad()) };
            if h > 23 || m > 59 {
                return Err(format!("{layout}: timezone hour out of range"));
            }
            if h == 0 && m == 0 { "Z".to_owned() } else { format!("{}{h:02}:{m:02}", *sign as char) }
        }
        _ => return Err(bad()),
    };
    let dot = if fraction.is_empty() { "" } else { "." };
    Ok(format!("{}{dot}{fraction}{zone}", &s[..19]))
}

/// A JSON object being written field by field, as `encoding/json` writes a struct.
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String) -> Obj<'a> {
        out.push('{');
        Obj { out, first: true }
    }

    /// Starts field `name`; its value is to be written to the returned text.
    fn key(&mut self, name: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(self.out, name);
        self.out.push(':');
        self.out
    }

    fn raw(&mut self, name: &str, json: &str) {
        self.key(name).push_str(json);
    }

    fn str(&mut self, name: &str, value: &str) {
        write_str(self.key(name), value);
    }

    fn str_omitempty(&mut self, name: &str, value: &str) {
        if !value.is_empty() {
            self.str(name, value);
        }
    }

    fn strings_omitempty(&mut self, name: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let out = self.key(name);
        out.push('[');
        for (n, v) in values.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            write_str(out, v);
        }
        out.push(']');
    }

    fn end(self) {
        self.out.push('}');
    }
}

/// A value of Go's `map[string]interface{}` world: map keys sorted; a float number (what Helm's
/// YAML and JSON readers give: float64) in encoding/json's float text, an integer one (an
/// int64 of `--set`'s parser) in its digits.
fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_f64() => out.push_str(&json_float(n.as_f64().unwrap_or(0.0))),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (n, (k, item)) in entries.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

/// encoding/json's text of a float64: the shortest `'f'` digits, or `'e'` below 1e-6 and from
/// 1e21 on, with a two-digit exponent at least (`1e-7`, `1e+21`).
fn json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let text = format_float(f, b'e', -1, FloatKind::Float64);
        // Go trims `e-07` to `e-7`.
        match text.split_once("e-0") {
            Some((mantissa, exp)) => format!("{mantissa}e-{exp}"),
            None => text,
        }
    } else {
        format_float(f, b'f', -1, FloatKind::Float64)
    }
}

/// A string as `encoding/json` writes it (Go 1.22+): `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`,
/// other control characters as `\u00XX`, and, HTML-safe, `<`, `>`, `&`, U+2028, U+2029 as
/// `\uXXXX`.
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    const CASES: &str = "/work/shared/compat/kots-pull-cases";

    fn decode_secret(secret: &Value) -> String {
        let outer = secret["data"]["release"].as_str().unwrap();
        let inner = base64::engine::general_purpose::STANDARD.decode(outer).unwrap();
        let gz = base64::engine::general_purpose::STANDARD.decode(inner).unwrap();
        let mut json = String::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut json).unwrap();
        json
    }

    /// Renders `chart` as KOTS does for a v1beta1 HelmChart (values `{}`) and builds the record.
    fn secret_for(chart: &Chart, name: &str, namespace: &str) -> Value {
        let mut chart = chart.clone();
        let values = crate::values::render_values(&mut chart, &serde_json::json!({})).unwrap();
        let options = crate::engine::Options {
            release_name: name.to_owned(),
            namespace: namespace.to_owned(),
            ..Default::default()
        };
        let rendered = crate::engine::render(&chart, &values, &options).unwrap();
        let (manifests, hooks) = crate::manifests::sort(&rendered).unwrap();
        let notes = notes(&rendered, &chart);
        let config = serde_json::json!({});
        let release = Release {
            chart: &chart,
            name,
            namespace,
            config: &config,
            manifests: &manifests,
            hooks: &hooks,
            notes: &notes,
        };
        release_secret(&release, namespace).unwrap()
    }

    /// KOTS's own pull cases: the secret KOTS wrote, its release JSON byte for byte.
    #[test]
    fn kots_pull_cases_byte_equal() {
        let cases = [
            ("configcontext", "test-chart-2-0.1.1.tgz", "test-chart-2", "helmns-2"),
            ("replicatedhelm", "test-chart-0.1.1.tgz", "test-chart", "helmns"),
        ];
        if !std::path::Path::new(CASES).is_dir() {
            eprintln!("skipped: {CASES} is not here");
            return;
        }
        for (case, archive, name, namespace) in cases {
            let dir = format!("{CASES}/{case}");
            let bytes = std::fs::read(format!("{dir}/upstream/{archive}")).unwrap();
            let chart = crate::chart::load_archive(&bytes, archive).unwrap();
            let wanted_text =
                std::fs::read_to_string(format!("{dir}/wantResults/base/charts/{name}/chartHelmSecret.yaml")).unwrap();
            let wanted: Value = serde_saphyr::from_str(&wanted_text).unwrap();
            let got = secret_for(&chart, name, namespace);
            assert_eq!(decode_secret(&got), decode_secret(&wanted), "{case}: release JSON");
            let strip = |v: &Value| {
                let mut v = v.clone();
                v["data"]["release"] = Value::Null;
                v
            };
            assert_eq!(strip(&got), strip(&wanted), "{case}: the Secret around it");
            // Printed as KOTS prints it (sigs.k8s.io/yaml), with KOTS's gzip bytes, the file is
            // KOTS's byte for byte.
            let mut printed = got.clone();
            printed["data"]["release"] = wanted["data"]["release"].clone();
            assert_eq!(crate::yaml::to_yaml(&printed).unwrap(), wanted_text, "{case}: the file");
            let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["apiVersion", "data", "kind", "metadata", "type"]);
        }
    }

    #[test]
    fn gzip_header_is_gos() {
        // Go's gzip.NewWriterLevel(BestCompression) header: no name, mtime 0, XFL 2, OS 255
        // ("H4sIAAAAAAAC/" in base64, as in KOTS's secrets).
        assert!(encode_release("{}").starts_with("H4sIAAAAAAAC/"));
    }

    #[test]
    fn strings_escape_as_go() {
        // Expected text from Go 1.27's json.Marshal of the same string.
        let mut out = String::new();
        write_str(&mut out, "a\u{0}\u{1}\u{8}\u{c}\n\r\t\u{1f}\u{7f}\"\\<>&\u{2028}\u{2029}é😀");
        assert_eq!(
            out,
            "\"a\\u0000\\u0001\\b\\f\\n\\r\\t\\u001f\u{7f}\\\"\\\\\\u003c\\u003e\\u0026\\u2028\\u2029é😀\""
        );
        let mut out = String::new();
        write_value(&mut out, &serde_json::json!({"b": [1.0, 1e21, 1e20, 0.000001, 1e-7], "a": null}));
        assert_eq!(out, "{\"a\":null,\"b\":[1,1e+21,100000000000000000000,0.000001,1e-7]}");
        // float64 9007199254740993 is ...992; an int64 keeps its digits (Go prints both so).
        let mut out = String::new();
        write_value(&mut out, &serde_json::json!([9007199254740993.0, 9007199254740993i64, -3i64]));
        assert_eq!(out, "[9007199254740992,9007199254740993,-3]");
    }

    #[test]
    fn lock_times_as_go() {
        // Expected texts from Go 1.27: json.Unmarshal into time.Time, then json.Marshal.
        assert_eq!(rfc3339_nano("2021-09-14T11:23:17.395537+03:00").unwrap(), "2021-09-14T11:23:17.395537+03:00");
        assert_eq!(rfc3339_nano("2021-09-14T11:23:17.3955370Z").unwrap(), "2021-09-14T11:23:17.395537Z");
        assert_eq!(rfc3339_nano("2021-09-14T11:23:17+00:00").unwrap(), "2021-09-14T11:23:17Z");
        assert_eq!(rfc3339_nano("2021-09-14T11:23:17-00:00").unwrap(), "2021-09-14T11:23:17Z");
        assert_eq!(rfc3339_nano("2021-09-14T11:23:17.000Z").unwrap(), "2021-09-14T11:23:17Z");
        assert!(rfc3339_nano("2021-09-14t11:23:17Z").is_err());
        assert!(rfc3339_nano("2021-02-29T00:00:00Z").is_err());
    }

    /// A chart with hooks, NOTES.txt, a partial, a lock file, a schema, maintainers and a
    /// config. The expected JSON follows Helm v4's structs and install action as read in its
    /// source (pkg/release/v1 release.go, info.go, hook.go; pkg/chart/v2 chart.go, metadata.go,
    /// dependency.go; pkg/release/v1/util/manifest_sorter.go; pkg/action install.go): no Helm
    /// here can produce a full record to compare with.
    #[test]
    fn hooks_notes_lock_and_config_follow_helms_structs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("c");
        let files: &[(&str, &str)] = &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: c\nversion: 1.0.0\nkubeVersion: '>=1.20'\ndeprecated: true\nmaintainers:\n- {name: me, email: m@x}\nannotations: {b: '2', a: '1'}\nkeywords: [k]\n",
            ),
            ("Chart.lock", "generated: \"2021-09-14T11:23:17.3955370Z\"\ndigest: sha256:abc\ndependencies: []\n"),
            ("values.yaml", "b: 2\na: {z: 1.5, w: '<&>'}\n"),
            ("values.schema.json", "{}"),
            ("README.md", "hi\n"),
            ("templates/_h.tpl", "{{ define \"x\" }}{{ end }}"),
            ("templates/NOTES.txt", "Release {{ .Release.Name }} <ok>"),
            ("templates/cm.yaml", "kind: ConfigMap\napiVersion: v1\nmetadata: {name: cm}\n"),
            (
                "templates/hooks.yaml",
                "kind: Job\napiVersion: batch/v1\nmetadata:\n  name: pre\n  annotations:\n    helm.sh/hook: Pre-Install, post-upgrade\n    helm.sh/hook-weight: \"-5\"\n    helm.sh/hook-delete-policy: before-hook-creation,Hook-Succeeded\n---\nkind: Pod\napiVersion: v1\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test-success\n---\nkind: Pod\napiVersion: v1\nmetadata:\n  name: u\n  annotations:\n    helm.sh/hook: crash\n",
            ),
        ];
        let files: Vec<(&str, &str)> = files.to_vec();
        for (path, text) in &files {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let mut chart = crate::chart::load_dir(&root).unwrap();
        let values = crate::values::render_values(&mut chart, &serde_json::json!({})).unwrap();
        let options = crate::engine::Options { release_name: "r".into(), namespace: "ns".into(), ..Default::default() };
        let rendered = crate::engine::render(&chart, &values, &options).unwrap();
        let (manifests, hooks) = crate::manifests::sort(&rendered).unwrap();
        let notes = notes(&rendered, &chart);
        assert_eq!(notes, "Release r <ok>");
        let config = serde_json::json!({"z": 1, "a": true});
        let release = Release {
            chart: &chart,
            name: "r",
            namespace: "ns",
            config: &config,
            manifests: &manifests,
            hooks: &hooks,
            notes: &notes,
        };
        let json = release_json(&release).unwrap();
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let file = |name: &str| files.iter().find(|(n, _)| *n == name).unwrap().1;
        let hook_yaml = file("templates/hooks.yaml");
        let docs: Vec<&str> = hook_yaml.split("---\n").map(str::trim).collect();
        let expected = [
            r#"{"name":"r","info":{"description":"Dry run complete","status":"deployed","notes":"Release r \u003cok\u003e"},"#,
            r#""chart":{"metadata":{"name":"c","version":"1.0.0","keywords":["k"],"maintainers":[{"name":"me","email":"m@x"}],"#,
            r#""apiVersion":"v2","deprecated":true,"annotations":{"a":"1","b":"2"},"kubeVersion":"\u003e=1.20"},"#,
            r#""lock":{"generated":"2021-09-14T11:23:17.395537Z","digest":"sha256:abc","dependencies":[]},"#,
            &format!(
                r#""templates":[{{"name":"templates/NOTES.txt","data":"{}"}},{{"name":"templates/_h.tpl","data":"{}"}},{{"name":"templates/cm.yaml","data":"{}"}},{{"name":"templates/hooks.yaml","data":"{}"}}],"#,
                b64(file("templates/NOTES.txt")),
                b64(file("templates/_h.tpl")),
                b64(file("templates/cm.yaml")),
                b64(hook_yaml)
            ),
            r#""values":{"a":{"w":"\u003c\u0026\u003e","z":1.5},"b":2},"#,
            &format!(r#""schema":"{}","schemamodtime":"0001-01-01T00:00:00Z","#, b64("{}")),
            &format!(r#""files":[{{"name":"README.md","data":"{}"}}]}},"#, b64("hi\n")),
            r#""config":{"a":true,"z":1},"#,
            r#""manifest":"---\n# Source: c/templates/cm.yaml\nkind: ConfigMap\napiVersion: v1\nmetadata: {name: cm}\n","#,
            r#""hooks":["#,
            &format!(
                r#"{{"name":"t","kind":"Pod","path":"c/templates/hooks.yaml","manifest":{},"events":["test"],"last_run":{{"phase":""}}}},"#,
                serde_json::to_string(docs[1]).unwrap()
            ),
            &format!(
                r#"{{"name":"pre","kind":"Job","path":"c/templates/hooks.yaml","manifest":{},"events":["pre-install","post-upgrade"],"last_run":{{"phase":""}},"weight":-5,"delete_policies":["before-hook-creation","hook-succeeded"]}}"#,
                serde_json::to_string(docs[0]).unwrap()
            ),
            r#"],"version":1,"namespace":"ns","apply_method":"ssa"}"#,
        ]
        .concat();
        assert_eq!(json, expected);
        // No namespace: left out of the JSON and of the Secret.
        let bare = Release { namespace: "", notes: "", config: &Value::Null, hooks: &[], ..release };
        let json = release_json(&bare).unwrap();
        assert!(json.ends_with(r#""version":1,"apply_method":"ssa"}"#), "{json}");
        assert!(json.starts_with(r#"{"name":"r","info":{"description":"Dry run complete","status":"deployed"},"#));
        let secret = release_secret(&bare, "").unwrap();
        assert!(secret["metadata"].get("namespace").is_none());
        assert_eq!(decode_secret(&secret), json);
    }

    /// Dependencies as Helm records them after `ProcessDependencies` (pkg/chart/v2/util
    /// dependencies.go, read in Helm's source): enabled ones marked `"enabled":true`, disabled
    /// ones (here the alias `other`, off by its condition) gone from the metadata, string
    /// import-values rewritten as `{child, parent}`, the values those imports built recorded;
    /// subcharts themselves are not in the record.
    #[test]
    fn dependencies_are_recorded_as_processed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("top");
        let files: &[(&str, &str)] = &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n- name: sub\n  version: 0.1.0\n  repository: file://sub\n  condition: sub.enabled\n  import-values: [data]\n- name: sub\n  alias: other\n  version: 0.1.0\n  repository: ''\n  condition: other.enabled\n  tags: [t]\n",
            ),
            ("values.yaml", "other: {enabled: false}\n"),
            ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
            ("charts/sub/values.yaml", "enabled: true\nexports: {data: {d: 1}}\n"),
            ("charts/sub/templates/cm.yaml", "kind: ConfigMap\napiVersion: v1\nmetadata: {name: sub}\n"),
        ];
        for (path, text) in files {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let mut chart = crate::chart::load_dir(&root).unwrap();
        let values = crate::values::render_values(&mut chart, &serde_json::json!({})).unwrap();
        let options = crate::engine::Options { release_name: "r".into(), namespace: "ns".into(), ..Default::default() };
        let rendered = crate::engine::render(&chart, &values, &options).unwrap();
        let (manifests, hooks) = crate::manifests::sort(&rendered).unwrap();
        let release = Release {
            chart: &chart,
            name: "r",
            namespace: "ns",
            config: &Value::Null,
            manifests: &manifests,
            hooks: &hooks,
            notes: "",
        };
        let json = release_json(&release).unwrap();
        let metadata = r#""metadata":{"name":"top","version":"1.0.0","apiVersion":"v2","dependencies":[{"name":"sub","version":"0.1.0","repository":"file://sub","condition":"sub.enabled","enabled":true,"import-values":[{"child":"exports.data","parent":"."}]}]},"lock":null,"templates":null,"#;
        assert!(json.contains(metadata), "{json}");
        let mut recorded = String::new();
        write_value(&mut recorded, &chart.values);
        assert!(json.contains(&format!(r#""values":{recorded},"schema":null,"#)), "{json}");
        // The import of exports.data to the top, and the subchart's defaults under its name.
        assert_eq!(chart.values["d"], 1.0);
        assert_eq!(chart.values["sub"]["enabled"], true);
        assert!(json.contains(r#""manifest":"---\n# Source: top/charts/sub/templates/cm.yaml\n"#), "{json}");
    }

    #[test]
    fn a_chart_without_values_or_lock_records_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("c");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("Chart.yaml"), "apiVersion: v2\nname: c\nversion: 1.0.0\n").unwrap();
        let chart = crate::chart::load_dir(&root).unwrap();
        let release = Release {
            chart: &chart,
            name: "r",
            namespace: "ns",
            config: &Value::Null,
            manifests: &[],
            hooks: &[],
            notes: "",
        };
        let json = release_json(&release).unwrap();
        assert!(
            json.contains(r#""lock":null,"templates":null,"values":null,"schema":null,"schemamodtime":"0001-01-01T00:00:00Z","files":null}"#),
            "{json}"
        );
        assert!(!json.contains("manifest"));
    }

    #[test]
    fn files_are_in_helms_walk_order() {
        let file = |name: &str| ChartFile { name: name.to_owned(), data: b"x".to_vec() };
        let mut chart = Chart::default();
        chart.metadata.name = "c".to_owned();
        // An archive's (lexical) order; a folder walk visits `a/` before `a.yaml`.
        chart.templates = vec![file("templates/a.yaml"), file("templates/a/b.yaml")];
        chart.files = vec![file("README.md"), file("crds/x.yaml"), file("crds-notes.txt")];
        let release = Release {
            chart: &chart,
            name: "r",
            namespace: "",
            config: &Value::Null,
            manifests: &[],
            hooks: &[],
            notes: "",
        };
        let json = release_json(&release).unwrap();
        let names: Vec<&str> = json.split(r#"{"name":""#).skip(3).map(|s| s.split('"').next().unwrap()).collect();
        assert_eq!(names, ["templates/a/b.yaml", "templates/a.yaml", "README.md", "crds/x.yaml", "crds-notes.txt"]);
    }

    #[test]
    fn a_lock_helm_cannot_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("c");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("Chart.yaml"), "apiVersion: v2\nname: c\nversion: 1.0.0\n").unwrap();
        std::fs::write(root.join("Chart.lock"), "generated: yesterday\n").unwrap();
        let chart = crate::chart::load_dir(&root).unwrap();
        let release = Release {
            chart: &chart,
            name: "r",
            namespace: "",
            config: &Value::Null,
            manifests: &[],
            hooks: &[],
            notes: "",
        };
        let err = release_json(&release).unwrap_err().to_string();
        assert!(err.contains("cannot load Chart.lock") && err.contains("yesterday"), "{err}");
    }
}

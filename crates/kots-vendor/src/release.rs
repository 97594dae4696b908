//! Releases as the vendor uploads them: a folder of files (Kubernetes YAML, usually with KOTS
//! templates, plus chart archives and any other file), validated, and stored as the gzip tar
//! that the release API serves, every file byte for byte. A YAML file is checked as a
//! customer's pull will read it: rendered with KOTS's functions and the Config's defaults, then
//! parsed (so `replicas: repl{{ ConfigOption "n" }}`, YAML only once rendered, is fine). The
//! `kots.io/v1beta1` `Application` document, if present, is read for the app's title and its
//! additional images.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use base64::Engine;
use kots_template::kots::{self, KotsContext};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// Releases larger than this are refused: they are manifests and charts, not images.
pub const MAX_RELEASE_BYTES: usize = 32 * 1024 * 1024;

/// One file of a release, as uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireFile", into = "WireFile")]
pub struct ReleaseFile {
    /// Relative path inside the release, `/`-separated.
    pub path: String,
    pub content: Vec<u8>,
}

impl ReleaseFile {
    pub fn text(path: impl Into<String>, content: impl Into<String>) -> ReleaseFile {
        ReleaseFile { path: path.into(), content: content.into().into_bytes() }
    }
}

/// A file on the wire: `content` when it is UTF-8 text (what a person reads in the request),
/// `contentBase64` for any other bytes (chart archives, images, binaries).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireFile {
    path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_base64: Option<String>,
}

impl TryFrom<WireFile> for ReleaseFile {
    type Error = String;

    fn try_from(wire: WireFile) -> std::result::Result<ReleaseFile, String> {
        let content = match (wire.content, wire.content_base64) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(encoded)) => base64::engine::general_purpose::STANDARD
                .decode(encoded.as_bytes())
                .map_err(|e| format!("release file `{}`: contentBase64 is not base64: {e}", wire.path))?,
            (None, None) => return Err(format!("release file `{}` has neither content nor contentBase64", wire.path)),
            (Some(_), Some(_)) => {
                return Err(format!("release file `{}` has both content and contentBase64; send one", wire.path));
            }
        };
        Ok(ReleaseFile { path: wire.path, content })
    }
}

impl From<ReleaseFile> for WireFile {
    fn from(file: ReleaseFile) -> WireFile {
        match String::from_utf8(file.content) {
            Ok(text) => WireFile { path: file.path, content: Some(text), content_base64: None },
            Err(bytes) => WireFile {
                path: file.path,
                content: None,
                content_base64: Some(base64::engine::general_purpose::STANDARD.encode(bytes.into_bytes())),
            },
        }
    }
}

/// What the `kots.io/v1beta1` `Application` document says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub name: String,
    pub title: Option<String>,
    pub additional_images: Vec<String>,
}

#[derive(Debug)]
pub struct BuiltRelease {
    pub archive: Vec<u8>,
    pub application: Option<Application>,
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

fn check_path(path: &str) -> Result<()> {
    let bad = |reason: &str| Error::Invalid(format!("release file `{path}`: {reason}"));
    if path.is_empty() || path.starts_with('/') || path.contains('\\') {
        return Err(bad("paths must be relative, `/`-separated"));
    }
    if path.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return Err(bad("paths may not contain empty, `.` or `..` components"));
    }
    Ok(())
}

/// Parses every document of one YAML file; the error names the file (with `how`, e.g. "once
/// rendered") and the line.
fn parse_documents(path: &str, how: &str, content: &str) -> Result<Vec<Value>> {
    let documents: Vec<Value> = serde_saphyr::from_multiple(content)
        .map_err(|e| Error::Invalid(format!("release file `{path}` is not valid YAML{how}: {e}")))?;
    for (index, document) in documents.iter().enumerate() {
        if !(document.is_object() || document.is_null()) {
            return Err(Error::Invalid(format!(
                "release file `{path}`, document {}{how}: expected a Kubernetes object (a mapping with apiVersion and kind)",
                index + 1
            )));
        }
    }
    Ok(documents)
}

fn application_of(document: &Value) -> Option<Application> {
    kots_release::documents::is_application(document).then(|| Application {
        name: document["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
        title: document["spec"]["title"].as_str().map(str::to_owned),
        additional_images: kots_release::documents::additional_images(document),
    })
}

/// Every YAML document of the release as a customer's pull renders it: KOTS's two template
/// passes with the release's Application, its Config's defaults and `license` (a License
/// `spec`, when there is one), `(file, document)` in file order. What the checks at upload and
/// the airgap bundle's image list read. An error names the file, and the line or the function.
pub fn rendered_documents(files: &[ReleaseFile], license: Option<Value>) -> Result<Vec<(String, Value)>> {
    let mut texts = Vec::new();
    for file in files.iter().filter(|file| is_yaml(&file.path)) {
        let text = std::str::from_utf8(&file.content)
            .map_err(|_| Error::Invalid(format!("release file `{}` is YAML but not UTF-8 text", file.path)))?;
        texts.push((file.path.as_str(), text));
    }
    // The Config and the Application are read as shipped (they must parse before rendering).
    let plain: Vec<Value> = texts
        .iter()
        .flat_map(|(_, text)| kots_release::documents::split_documents(text))
        .filter_map(|document| serde_saphyr::from_str::<Value>(&document).ok())
        .collect();
    let context = KotsContext { license, ..KotsContext::default() };
    let context = kots::with_release(context, &plain, &BTreeMap::new())
        .map_err(|e| Error::Invalid(format!("the release's Config does not resolve with its defaults: {e}")))?;
    let funcs = Arc::new(kots::funcs(&context));
    let mut documents = Vec::new();
    for (path, text) in texts {
        let rendered = kots::render(path, text, &funcs).map_err(|e| {
            Error::Invalid(format!("release file `{path}` does not render with the Config's defaults: {e}"))
        })?;
        let how = if rendered == text { "" } else { " once rendered with the Config's defaults" };
        for document in parse_documents(path, how, &rendered)? {
            documents.push((path.to_owned(), document));
        }
    }
    Ok(documents)
}

/// The documents of the release's HelmCharts, v1beta1 and v1beta2 (among `documents`, the
/// rendered release), rendered as a pull renders them and again with their `builder` values, as
/// KOTS does to find every image an airgap bundle needs (those the values turn off too).
pub fn chart_documents(files: &[ReleaseFile], documents: &[(String, Value)]) -> Result<Vec<(String, Value)>> {
    use kots_helm::helmchart;
    let helm_charts: Vec<&(String, Value)> =
        documents.iter().filter(|(_, d)| is_helm_chart(d) && !helmchart::is_excluded(d)).collect();
    if helm_charts.is_empty() {
        return Ok(Vec::new());
    }
    let pairs: Vec<(String, Vec<u8>)> = files.iter().map(|f| (f.path.clone(), f.content.clone())).collect();
    let archives = helmchart::archives(&pairs);
    let (mut out, settings) = (Vec::new(), kots_helm::engine::Options::default());
    for (file, helm_chart) in helm_charts {
        let refused = |e: kots_helm::Error| Error::Invalid(e.to_string());
        let values = helmchart::chart_values(helm_chart, file).map_err(refused)?;
        out.extend(helmchart::render(helm_chart, file, &archives, values, &settings).map_err(refused)?.documents());
        if let Some(builder) = helm_chart["spec"]["builder"].as_object() {
            let builder = Value::Object(builder.clone());
            out.extend(
                helmchart::render(helm_chart, file, &archives, builder, &settings).map_err(refused)?.documents(),
            );
        }
    }
    Ok(out)
}

fn is_helm_chart(document: &Value) -> bool {
    kots_helm::helmchart::is_v1beta1(document) || kots_helm::helmchart::is_v1beta2(document)
}

/// Validates `files` and packs them, sorted by path, into a reproducible gzip tar.
pub fn build(mut files: Vec<ReleaseFile>) -> Result<BuiltRelease> {
    if files.is_empty() {
        return Err(Error::Invalid("the release has no files; pass a folder of Kubernetes YAML".to_owned()));
    }
    let total: usize = files.iter().map(|file| file.content.len()).sum();
    if total > MAX_RELEASE_BYTES {
        return Err(Error::Invalid(format!("the release is {total} bytes; the limit is {MAX_RELEASE_BYTES}")));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(pair) = files.windows(2).find(|pair| pair[0].path == pair[1].path) {
        return Err(Error::Invalid(format!("release file `{}` appears twice", pair[0].path)));
    }
    for file in &files {
        check_path(&file.path)?;
    }
    let application = rendered_documents(&files, None)?.iter().rev().find_map(|(_, document)| application_of(document));
    let mut archive = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
    for file in &files {
        let mut header = tar::Header::new_gnu();
        header.set_size(file.content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        archive.append_data(&mut header, &file.path, file.content.as_slice()).map_err(Error::internal)?;
    }
    let mut gzip = archive.into_inner().map_err(Error::internal)?;
    gzip.flush().map_err(Error::internal)?;
    Ok(BuiltRelease { archive: gzip.finish().map_err(Error::internal)?, application })
}

/// The files of a release archive, byte for byte.
pub fn unpack(archive: &[u8]) -> Result<Vec<ReleaseFile>> {
    use std::io::Read;
    let mut files = Vec::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    for entry in tar.entries().map_err(Error::internal)? {
        let mut entry = entry.map_err(Error::internal)?;
        let path = entry.path().map_err(Error::internal)?.to_string_lossy().into_owned();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).map_err(Error::internal)?;
        files.push(ReleaseFile { path, content });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &str) -> ReleaseFile {
        ReleaseFile::text(path, content)
    }

    #[test]
    fn packs_sorted_and_reads_the_application() {
        let built = build(vec![
            file("b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"),
            file(
                "a.yaml",
                "apiVersion: kots.io/v1beta1\nkind: Application\nmetadata:\n  name: myapp\nspec:\n  title: My App\n  additionalImages:\n    - busybox:1.36\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n",
            ),
        ])
        .unwrap();
        let application = built.application.unwrap();
        assert_eq!(application.name, "myapp");
        assert_eq!(application.title.as_deref(), Some("My App"));
        assert_eq!(application.additional_images, vec!["busybox:1.36"]);
        let files = unpack(&built.archive).unwrap();
        assert_eq!(files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["a.yaml", "b.yaml"]);
        // The same files give the same bytes.
        let again = build(files).unwrap();
        assert_eq!(again.archive, built.archive);
    }

    #[test]
    fn refuses_bad_yaml_naming_file_and_line() {
        let error = build(vec![file("deploy.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("deploy.yaml"), "{error}");
        assert!(error.contains("line") || error.contains(":4"), "the line should be named: {error}");
        let scalar = build(vec![file("x.yaml", "just a string\n")]).unwrap_err().to_string();
        assert!(scalar.contains("x.yaml") && scalar.contains("document 1"), "{scalar}");
    }

    #[test]
    fn refuses_bad_paths_and_empty_releases() {
        for path in ["../x.yaml", "/etc/x.yaml", "a//b.yaml", "a/./b.yaml"] {
            assert!(build(vec![file(path, "{}")]).is_err(), "{path}");
        }
        assert!(build(Vec::new()).is_err());
        assert!(build(vec![file("a.yaml", "{}"), file("a.yaml", "{}")]).is_err());
    }

    #[test]
    fn templated_yaml_is_checked_once_rendered_and_other_files_travel_as_they_are() {
        let config = "apiVersion: kots.io/v1beta1\nkind: Config\nmetadata:\n  name: c\nspec:\n  groups:\n    - name: g\n      items:\n        - name: replicas\n          type: text\n          default: \"2\"\n";
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {{repl ConfigOption \"replicas\" }}\n";
        let chart: Vec<u8> = (0..=255).collect();
        let files = vec![
            file("config.yaml", config),
            file("web.yaml", deployment),
            ReleaseFile { path: "charts/web-1.0.0.tgz".into(), content: chart.clone() },
        ];
        assert!(parse_documents("web.yaml", "", deployment).is_err(), "not YAML before rendering");
        let built = build(files).unwrap();
        let unpacked = unpack(&built.archive).unwrap();
        assert_eq!(unpacked.iter().find(|f| f.path.ends_with(".tgz")).unwrap().content, chart, "byte for byte");
        assert_eq!(unpacked.iter().find(|f| f.path == "web.yaml").unwrap().content, deployment.as_bytes());

        // Wrong once rendered: the file and the line are named, and that it was rendered.
        let broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{repl ConfigOption \"replicas\" }}\n  b: [unclosed\n";
        let error = build(vec![file("config.yaml", config), file("cm.yaml", broken)]).unwrap_err().to_string();
        assert!(error.contains("`cm.yaml` is not valid YAML once rendered with the Config's defaults"), "{error}");
        assert!(error.contains("line 7") || error.contains(":7"), "the line should be named: {error}");
        // A template error names the file and the function.
        let error = build(vec![file("cm.yaml", "a: {{repl NoSuchFunction }}\n")]).unwrap_err().to_string();
        assert!(error.contains("`cm.yaml` does not render") && error.contains("NoSuchFunction"), "{error}");
        let error = build(vec![ReleaseFile { path: "x.yaml".into(), content: vec![0xff, 0xfe] }]).unwrap_err();
        assert!(error.to_string().contains("`x.yaml` is YAML but not UTF-8"), "{error}");
    }

    #[test]
    fn files_go_on_the_wire_as_text_or_base64() {
        let text = serde_json::to_value(file("a.yaml", "x: 1\n")).unwrap();
        assert_eq!(text, serde_json::json!({"path": "a.yaml", "content": "x: 1\n"}));
        let binary = ReleaseFile { path: "c.tgz".into(), content: vec![0x1f, 0x8b, 0xff] };
        let wire = serde_json::to_value(&binary).unwrap();
        assert_eq!(wire, serde_json::json!({"path": "c.tgz", "contentBase64": "H4v/"}));
        assert_eq!(serde_json::from_value::<ReleaseFile>(wire).unwrap(), binary);
        let both = serde_json::json!({"path": "c", "content": "a", "contentBase64": "YQ=="});
        assert!(serde_json::from_value::<ReleaseFile>(both).unwrap_err().to_string().contains("both"));
    }
}

//! Releases as the vendor uploads them: a folder of Kubernetes YAML, validated, and stored as
//! the gzip tar that the release API serves. The `kots.io/v1beta1` `Application` document, if
//! present, is read for the app's title and its additional images.

use std::io::Write;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// Releases larger than this are refused: they are YAML, not images.
pub const MAX_RELEASE_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseFile {
    /// Relative path inside the release, `/`-separated.
    pub path: String,
    pub content: String,
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

/// Parses every document of one YAML file; the error names the file and the line.
pub fn parse_documents(path: &str, content: &str) -> Result<Vec<Value>> {
    let documents: Vec<Value> = serde_saphyr::from_multiple(content)
        .map_err(|e| Error::Invalid(format!("release file `{path}` is not valid YAML: {e}")))?;
    for (index, document) in documents.iter().enumerate() {
        if !(document.is_object() || document.is_null()) {
            return Err(Error::Invalid(format!(
                "release file `{path}`, document {}: expected a Kubernetes object (a mapping with apiVersion and kind)",
                index + 1
            )));
        }
    }
    Ok(documents)
}

fn application_of(document: &Value) -> Option<Application> {
    let is_application = document["apiVersion"] == "kots.io/v1beta1" && document["kind"] == "Application";
    is_application.then(|| Application {
        name: document["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
        title: document["spec"]["title"].as_str().map(str::to_owned),
        additional_images: document["spec"]["additionalImages"]
            .as_array()
            .map(|images| images.iter().filter_map(|image| image.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
    })
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
    let mut application = None;
    for file in &files {
        check_path(&file.path)?;
        if is_yaml(&file.path) {
            for document in parse_documents(&file.path, &file.content)? {
                if let Some(found) = application_of(&document) {
                    application = Some(found);
                }
            }
        }
    }
    let mut archive = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
    for file in &files {
        let mut header = tar::Header::new_gnu();
        header.set_size(file.content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        archive.append_data(&mut header, &file.path, file.content.as_bytes()).map_err(Error::internal)?;
    }
    let mut gzip = archive.into_inner().map_err(Error::internal)?;
    gzip.flush().map_err(Error::internal)?;
    Ok(BuiltRelease { archive: gzip.finish().map_err(Error::internal)?, application })
}

/// The files of a release archive, for tests and tools.
pub fn unpack(archive: &[u8]) -> Result<Vec<ReleaseFile>> {
    use std::io::Read;
    let mut files = Vec::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    for entry in tar.entries().map_err(Error::internal)? {
        let mut entry = entry.map_err(Error::internal)?;
        let path = entry.path().map_err(Error::internal)?.to_string_lossy().into_owned();
        let mut content = String::new();
        entry.read_to_string(&mut content).map_err(Error::internal)?;
        files.push(ReleaseFile { path, content });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &str) -> ReleaseFile {
        ReleaseFile { path: path.to_owned(), content: content.to_owned() }
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
}

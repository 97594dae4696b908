//! A release's YAML as documents: split without re-serialising (comments and formatting stay as
//! the vendor wrote them), KOTS's own kinds told apart, the Application read.

use serde_json::Value;

/// Splits multi-document YAML on `---` lines, keeping each document's text; empty documents go.
pub fn split_documents(text: &str) -> Vec<String> {
    let mut documents = vec![String::new()];
    for line in text.lines() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") || trimmed.starts_with("---#") {
            documents.push(String::new());
        } else {
            let current = documents.last_mut().expect("never empty");
            current.push_str(line);
            current.push('\n');
        }
    }
    documents
        .into_iter()
        .filter(|document| document.lines().any(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#')))
        .collect()
}

/// Kinds that configure KOTS itself rather than run on the cluster, as KOTS tells them apart
/// (`kotsutil.IsKotsKind`): everything of kots.io, troubleshoot.sh (and its old group),
/// app.k8s.io, kurl.sh and cluster.kurl.sh, embeddedcluster.replicated.com, and velero's Backup
/// (what a snapshot takes; never deployed).
pub fn is_kots_kind(document: &Value) -> bool {
    let api_version = document["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.split_once('/').map_or("", |(group, _)| group);
    matches!(
        group,
        "kots.io"
            | "troubleshoot.sh"
            | "troubleshoot.replicated.com"
            | "app.k8s.io"
            | "kurl.sh"
            | "cluster.kurl.sh"
            | "embeddedcluster.replicated.com"
    ) || (group == "velero.io" && document["kind"] == "Backup")
}

/// The documents of a release's YAML files, parsed.
#[derive(Debug, Clone, Default)]
pub struct ReleaseDocuments {
    /// `(file, text, value)` for every document that is a mapping, in file order.
    pub documents: Vec<(String, String, Value)>,
    /// The Application's `spec.additionalImages`.
    pub additional_images: Vec<String>,
    /// The file holding the Application, if any.
    pub application_file: Option<String>,
}

/// Parses every `.yaml`/`.yml` file of a release (`(path, text)` pairs); an error names the file.
pub fn parse_release(files: &[(String, String)]) -> Result<ReleaseDocuments, String> {
    let mut parsed = ReleaseDocuments::default();
    for (path, text) in files {
        if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
            continue;
        }
        for document in split_documents(text) {
            let value: Value = serde_saphyr::from_str(&document)
                .map_err(|e| format!("release file `{path}` has a document that is not valid YAML: {e}"))?;
            if !value.is_object() {
                continue;
            }
            if value["kind"] == "Application" && is_kots_kind(&value) {
                parsed.additional_images = value["spec"]["additionalImages"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|image| image.as_str().map(str::to_owned))
                    .collect();
                parsed.application_file = Some(path.clone());
            }
            parsed.documents.push((path.clone(), document, value));
        }
    }
    Ok(parsed)
}

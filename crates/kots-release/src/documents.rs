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

/// Whether a document is KOTS's Application (`kots.io/…`, kind `Application`).
pub fn is_application(document: &Value) -> bool {
    document["kind"] == "Application" && document["apiVersion"].as_str().is_some_and(|v| v.starts_with("kots.io/"))
}

/// The images an Application lists in `spec.additionalImages` (those KOTS copies though no
/// manifest names them).
pub fn additional_images(application: &Value) -> Vec<String> {
    application["spec"]["additionalImages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|image| image.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kots_kinds_and_the_application_as_kots_tells_them() {
        let app = json!({"apiVersion": "kots.io/v1beta1", "kind": "Application", "spec": {"additionalImages": ["a:1", 2, "b"]}});
        assert!(is_application(&app) && is_kots_kind(&app));
        assert_eq!(additional_images(&app), ["a:1", "b"]);
        assert!(!is_application(&json!({"apiVersion": "app.k8s.io/v1beta1", "kind": "Application"})));
        for (api_version, kind, expected) in [
            ("velero.io/v1", "Backup", true),
            ("velero.io/v1", "Restore", false),
            ("kurl.sh/v1beta1", "Installer", true),
            ("cluster.kurl.sh/v1beta1", "Installer", true),
            ("embeddedcluster.replicated.com/v1beta1", "Config", true),
            ("troubleshoot.sh/v1beta2", "Preflight", true),
            ("apps/v1", "Deployment", false),
            ("v1", "ConfigMap", false),
        ] {
            assert_eq!(
                is_kots_kind(&json!({"apiVersion": api_version, "kind": kind})),
                expected,
                "{api_version} {kind}"
            );
        }
    }
}

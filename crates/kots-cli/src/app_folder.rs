//! The app folder's generated parts (DESIGN.md, "The app folder"): `base/` with one file per
//! Kubernetes document and its kustomization, the midstream kustomization (merged with what the
//! customer added to it), and a downstream kustomization written once.
//!
//! Documents keep their own text: the release's YAML is split, not re-serialised, so comments
//! and formatting reach `base/` as the vendor wrote them.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::naming::ImageRewrite;

/// A file to write, relative to the app folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub content: String,
}

pub const APP_SLUG_ANNOTATION: &str = "kots.io/app-slug";

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

/// Kinds that configure KOTS itself rather than run on the cluster.
pub fn is_kots_kind(document: &Value) -> bool {
    let api_version = document["apiVersion"].as_str().unwrap_or_default();
    ["kots.io/", "troubleshoot.sh/", "troubleshoot.replicated.com/", "app.k8s.io/"]
        .iter()
        .any(|prefix| api_version.starts_with(prefix))
}

fn file_name(document: &Value, used: &mut BTreeMap<String, usize>) -> String {
    let part = |value: &Value| {
        value
            .as_str()
            .unwrap_or("unnamed")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c.to_ascii_lowercase() } else { '-' })
            .collect::<String>()
    };
    let stem = format!("{}-{}", part(&document["kind"]), part(&document["metadata"]["name"]));
    let count = used.entry(stem.clone()).or_insert(0);
    *count += 1;
    if *count == 1 { format!("{stem}.yaml") } else { format!("{stem}-{count}.yaml") }
}

/// `base/`: each Kubernetes document of the release (`(path, text)` pairs) in a file of its own,
/// KOTS kinds left out when `exclude_kots_kinds`, and a `kustomization.yaml` listing them.
pub fn base_files(release: &[(String, String)], exclude_kots_kinds: bool) -> Result<Vec<GeneratedFile>, String> {
    let mut used = BTreeMap::new();
    let mut files = Vec::new();
    for (path, text) in release {
        if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
            continue;
        }
        for document in split_documents(text) {
            let value: Value = serde_saphyr::from_str(&document)
                .map_err(|e| format!("release file `{path}` has a document that is not valid YAML: {e}"))?;
            if !value.is_object() || (exclude_kots_kinds && is_kots_kind(&value)) {
                continue;
            }
            files.push(GeneratedFile { path: format!("base/{}", file_name(&value, &mut used)), content: document });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let resources: Vec<&str> = files.iter().map(|file| file.path.trim_start_matches("base/")).collect();
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    });
    files.push(GeneratedFile { path: "base/kustomization.yaml".to_owned(), content: to_yaml(&kustomization)? });
    Ok(files)
}

fn to_yaml(value: &Value) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| format!("cannot write YAML: {e}"))
}

/// The midstream kustomization: `existing` (the customer's copy, if any) with its own additions
/// kept, and what kots owns set anew: the base, the app-slug annotation, the `images:` rewrites.
pub fn midstream_kustomization(
    existing: Option<&str>,
    app_slug: &str,
    images: &[ImageRewrite],
) -> Result<String, String> {
    let mut kustomization: Map<String, Value> = match existing {
        Some(text) => serde_saphyr::from_str(text)
            .map_err(|e| format!("overlays/midstream/kustomization.yaml is not valid YAML: {e}; fix or remove it"))?,
        None => Map::new(),
    };
    kustomization.insert("apiVersion".to_owned(), json!("kustomize.config.k8s.io/v1beta1"));
    kustomization.insert("kind".to_owned(), json!("Kustomization"));
    let bases = kustomization.entry("bases").or_insert_with(|| json!([]));
    if let Some(list) = bases.as_array_mut()
        && !list.iter().any(|base| base == "../../base")
    {
        list.insert(0, json!("../../base"));
    }
    let annotations = kustomization.entry("commonAnnotations").or_insert_with(|| json!({}));
    if let Some(map) = annotations.as_object_mut() {
        map.insert(APP_SLUG_ANNOTATION.to_owned(), json!(app_slug));
    }
    if images.is_empty() {
        kustomization.remove("images");
    } else {
        kustomization.insert("images".to_owned(), serde_json::to_value(images).expect("entries serialise"));
    }
    to_yaml(&Value::Object(kustomization))
}

/// A downstream's kustomization: written once, then the customer's.
pub fn downstream_kustomization() -> String {
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nbases:\n  - ../../midstream\n".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASE: &str = "# the web tier\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\n# nothing here\n---\napiVersion: kots.io/v1beta1\nkind: Application\nmetadata:\n  name: app\n";

    #[test]
    fn splits_keeping_text_and_leaves_kots_kinds_out() {
        let documents = split_documents(RELEASE);
        assert_eq!(documents.len(), 3);
        assert!(documents[0].starts_with("# the web tier\n"), "comments are kept");
        let files =
            base_files(&[("all.yaml".to_owned(), RELEASE.to_owned()), ("notes.txt".to_owned(), "x".to_owned())], true)
                .unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["base/deployment-web.yaml", "base/service-web.yaml", "base/kustomization.yaml"]);
        assert!(
            files[2].content.contains("- deployment-web.yaml") && files[2].content.contains("- service-web.yaml"),
            "{}",
            files[2].content
        );
        let with_kots = base_files(&[("all.yaml".to_owned(), RELEASE.to_owned())], false).unwrap();
        assert!(with_kots.iter().any(|f| f.path == "base/application-app.yaml"));
    }

    #[test]
    fn same_kind_and_name_get_distinct_files() {
        let text = "kind: ConfigMap\nmetadata:\n  name: a\n---\nkind: ConfigMap\nmetadata:\n  name: a\n";
        let files = base_files(&[("x.yaml".to_owned(), text.to_owned())], true).unwrap();
        assert_eq!(files[0].path, "base/configmap-a-2.yaml");
        assert_eq!(files[1].path, "base/configmap-a.yaml");
    }

    #[test]
    fn midstream_merge_keeps_the_customers_additions() {
        let images = vec![ImageRewrite { name: "nginx".into(), new_name: "reg/app/nginx".into() }];
        let first = midstream_kustomization(None, "myapp", &images).unwrap();
        let mut edited: Map<String, Value> = serde_saphyr::from_str(&first).unwrap();
        edited.insert("patches".into(), json!([{"path": "replicas.yaml"}]));
        edited["bases"].as_array_mut().unwrap().push(json!("../../extra"));
        edited.insert("images".into(), json!([{"name": "stale", "newName": "old"}]));
        let edited = serde_saphyr::to_string(&Value::Object(edited)).unwrap();
        let images = vec![ImageRewrite { name: "redis".into(), new_name: "reg/app/redis".into() }];
        let merged: Value =
            serde_saphyr::from_str(&midstream_kustomization(Some(&edited), "myapp", &images).unwrap()).unwrap();
        assert_eq!(merged["patches"], json!([{"path": "replicas.yaml"}]));
        assert_eq!(merged["bases"], json!(["../../base", "../../extra"]));
        assert_eq!(merged["images"], json!([{"name": "redis", "newName": "reg/app/redis"}]));
        assert_eq!(merged["commonAnnotations"][APP_SLUG_ANNOTATION], "myapp");
        assert!(midstream_kustomization(Some("bases: [unclosed"), "x", &[]).is_err());
    }
}

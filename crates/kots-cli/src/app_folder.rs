//! The app folder's generated parts (docs/ARCHITECTURE.md, "The app folder"): `base/` with one
//! file per Kubernetes document and its kustomization, the midstream kustomization (merged with
//! what the customer added to it), and a downstream kustomization written once.
//!
//! Documents keep their own text: the release's YAML is split, not re-serialised, so comments
//! and formatting reach `base/` as the vendor wrote them.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use kots_release::documents::{is_kots_kind, parse_release};

pub use crate::folder::GeneratedFile;
use crate::naming::ImageRewrite;

pub const APP_SLUG_ANNOTATION: &str = "kots.io/app-slug";

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

/// `base/` of a release, and what `pull` needs to know of its documents.
#[derive(Debug, Clone, Default)]
pub struct Base {
    /// The files of `base/`, its `kustomization.yaml` last.
    pub files: Vec<GeneratedFile>,
    /// Each document written, by its file name inside `base/`.
    pub documents: Vec<(String, Value)>,
    /// The Application's `spec.additionalImages`, if the release has one.
    pub additional_images: Vec<String>,
    /// The release file holding the Application.
    pub application_file: String,
}

/// `base/`: each Kubernetes document of the release (`(path, text)` pairs) in a file of its own,
/// KOTS kinds left out when `exclude_kots_kinds`, and a `kustomization.yaml` listing them.
pub fn base_files(release: &[(String, String)], exclude_kots_kinds: bool) -> Result<Base, String> {
    let parsed = parse_release(release)?;
    let mut used = BTreeMap::new();
    let mut base = Base {
        additional_images: parsed.additional_images,
        application_file: parsed.application_file.unwrap_or_default(),
        ..Base::default()
    };
    let mut written = Vec::new();
    for (_, document, value) in parsed.documents {
        if exclude_kots_kinds && is_kots_kind(&value) {
            continue;
        }
        let name = file_name(&value, &mut used);
        written.push((GeneratedFile { path: format!("base/{name}"), content: document }, (name, value)));
    }
    written.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    let (files, documents): (Vec<_>, Vec<_>) = written.into_iter().unzip();
    base.files = files;
    base.documents = documents;
    let resources: Vec<&str> = base.documents.iter().map(|(name, _)| name.as_str()).collect();
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    });
    base.files.push(GeneratedFile { path: "base/kustomization.yaml".to_owned(), content: to_yaml(&kustomization)? });
    Ok(base)
}

fn to_yaml(value: &Value) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| format!("cannot write YAML: {e}"))
}

/// What kots sets in the midstream kustomization on every pull; the rest is the customer's.
#[derive(Debug, Clone, Default)]
pub struct MidstreamOwned {
    pub images: Vec<ImageRewrite>,
    /// Resources under `kots/` (the pull secret).
    pub resources: Vec<String>,
    /// JSON 6902 patches under `kots/`: `(path, target)`.
    pub patches: Vec<(String, Value)>,
    /// `--namespace`, when given.
    pub namespace: Option<String>,
}

fn is_owned_entry(entry: &Value) -> bool {
    let path = entry.as_str().or_else(|| entry["path"].as_str()).unwrap_or_default();
    path.starts_with(&format!("{}/", crate::pull_secret::OWNED_FOLDER))
}

/// The midstream kustomization: `existing` (the customer's copy, if any) with its own additions
/// kept, and what kots owns set anew: the base, the app-slug annotation, the `images:` rewrites,
/// the entries that point into `kots/`.
pub fn midstream_kustomization(
    existing: Option<&str>,
    app_slug: &str,
    owned: &MidstreamOwned,
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
    for key in ["resources", "patches", "patchesJson6902", "patchesStrategicMerge"] {
        if let Some(list) = kustomization.get_mut(key).and_then(Value::as_array_mut) {
            list.retain(|entry| !is_owned_entry(entry));
        }
    }
    let mut add = |key: &str, entries: Vec<Value>| {
        if entries.is_empty() {
            return;
        }
        let list = kustomization.entry(key).or_insert_with(|| json!([]));
        if let Some(list) = list.as_array_mut() {
            list.extend(entries);
        }
    };
    add("resources", owned.resources.iter().map(|path| json!(path)).collect());
    add("patches", owned.patches.iter().map(|(path, target)| json!({"path": path, "target": target})).collect());
    for key in ["resources", "patches", "patchesJson6902", "patchesStrategicMerge"] {
        if kustomization.get(key).and_then(Value::as_array).is_some_and(Vec::is_empty) {
            kustomization.remove(key);
        }
    }
    if let Some(namespace) = &owned.namespace {
        kustomization.insert("namespace".to_owned(), json!(namespace));
    }
    if owned.images.is_empty() {
        kustomization.remove("images");
    } else {
        kustomization.insert("images".to_owned(), serde_json::to_value(&owned.images).expect("entries serialise"));
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
        let documents = kots_release::documents::split_documents(RELEASE);
        assert_eq!(documents.len(), 3);
        assert!(documents[0].starts_with("# the web tier\n"), "comments are kept");
        let base =
            base_files(&[("all.yaml".to_owned(), RELEASE.to_owned()), ("notes.txt".to_owned(), "x".to_owned())], true)
                .unwrap();
        assert_eq!(base.application_file, "all.yaml");
        assert_eq!(base.documents.len(), 2);
        let files = base.files;
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["base/deployment-web.yaml", "base/service-web.yaml", "base/kustomization.yaml"]);
        assert!(
            files[2].content.contains("- deployment-web.yaml") && files[2].content.contains("- service-web.yaml"),
            "{}",
            files[2].content
        );
        let with_kots = base_files(&[("all.yaml".to_owned(), RELEASE.to_owned())], false).unwrap().files;
        assert!(with_kots.iter().any(|f| f.path == "base/application-app.yaml"));
    }

    #[test]
    fn same_kind_and_name_get_distinct_files() {
        let text = "kind: ConfigMap\nmetadata:\n  name: a\n---\nkind: ConfigMap\nmetadata:\n  name: a\n";
        let files = base_files(&[("x.yaml".to_owned(), text.to_owned())], true).unwrap().files;
        assert_eq!(files[0].path, "base/configmap-a-2.yaml");
        assert_eq!(files[1].path, "base/configmap-a.yaml");
    }

    #[test]
    fn midstream_merge_keeps_the_customers_additions() {
        let images = vec![ImageRewrite { name: "nginx".into(), new_name: "reg/app/nginx".into() }];
        let owned = |images: Vec<ImageRewrite>, patch: &str| MidstreamOwned {
            images,
            resources: vec!["kots/pull-secret.yaml".into()],
            patches: vec![(patch.into(), json!({"kind": "Deployment", "name": "web"}))],
            namespace: None,
        };
        let first = midstream_kustomization(None, "myapp", &owned(images, "kots/pull-secret-a.yaml")).unwrap();
        let mut edited: Map<String, Value> = serde_saphyr::from_str(&first).unwrap();
        edited["patches"].as_array_mut().unwrap().push(json!({"path": "replicas.yaml"}));
        edited["bases"].as_array_mut().unwrap().push(json!("../../extra"));
        edited.insert("images".into(), json!([{"name": "stale", "newName": "old"}]));
        let edited = serde_saphyr::to_string(&Value::Object(edited)).unwrap();
        let images = vec![ImageRewrite { name: "redis".into(), new_name: "reg/app/redis".into() }];
        let merged: Value = serde_saphyr::from_str(
            &midstream_kustomization(Some(&edited), "myapp", &owned(images, "kots/pull-secret-b.yaml")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            merged["patches"],
            json!([{"path": "replicas.yaml"}, {"path": "kots/pull-secret-b.yaml", "target": {"kind": "Deployment", "name": "web"}}])
        );
        assert_eq!(merged["resources"], json!(["kots/pull-secret.yaml"]));
        assert_eq!(merged["bases"], json!(["../../base", "../../extra"]));
        assert_eq!(merged["images"], json!([{"name": "redis", "newName": "reg/app/redis"}]));
        assert_eq!(merged["commonAnnotations"][APP_SLUG_ANNOTATION], "myapp");
        assert!(midstream_kustomization(Some("bases: [unclosed"), "x", &MidstreamOwned::default()).is_err());
    }
}

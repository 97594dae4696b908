//! Finding every image an app's Kubernetes documents use: the containers, init containers and
//! ephemeral containers of any pod spec at any depth (Deployments, StatefulSets, CronJob job
//! templates, bare Pods, CRDs that embed a pod template), and the Application's
//! `additionalImages`. Strings that are still templates (`{{ … }}`, `repl{{ … }}`, `${…}`) are
//! not images yet and are skipped.

use std::collections::{BTreeMap, BTreeSet};

use kots_oci::ImageReference;
use serde_json::Value;

/// One image as the manifests spell it, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundImage {
    pub reference: ImageReference,
    /// The files (relative paths) that use this spelling.
    pub files: BTreeSet<String>,
}

/// An image string the manifests use that is not a valid reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadImage {
    pub text: String,
    pub file: String,
    pub reason: String,
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("${")
}

fn walk(value: &Value, visit: &mut impl FnMut(&str)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if CONTAINER_LISTS.contains(&key.as_str())
                    && let Value::Array(containers) = child
                {
                    for container in containers {
                        if let Some(image) = container.get("image").and_then(Value::as_str) {
                            visit(image);
                        }
                    }
                }
                walk(child, visit);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| walk(item, visit)),
        _ => {}
    }
}

/// JSON pointers (RFC 6901) of the pod specs in `document`: every object holding a container
/// list, where `imagePullSecrets` belongs.
pub fn pod_spec_pointers(document: &Value) -> Vec<String> {
    fn visit(value: &Value, pointer: &mut String, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if CONTAINER_LISTS.iter().any(|key| map.get(*key).is_some_and(Value::is_array)) {
                    found.push(pointer.clone());
                }
                for (key, child) in map {
                    let length = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    visit(child, pointer, found);
                    pointer.truncate(length);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let length = pointer.len();
                    pointer.push_str(&format!("/{index}"));
                    visit(item, pointer, found);
                    pointer.truncate(length);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    visit(document, &mut String::new(), &mut found);
    found
}

/// Every image used by `documents` (`(file, document)` pairs) and listed in `additional`
/// (attributed to `additional_file`), keyed by spelling.
pub fn find_images(
    documents: &[(String, Value)],
    additional: &[String],
    additional_file: &str,
) -> (BTreeMap<String, FoundImage>, Vec<BadImage>) {
    let mut found: BTreeMap<String, FoundImage> = BTreeMap::new();
    let mut bad = Vec::new();
    let mut record = |text: &str, file: &str| {
        let text = text.trim();
        if text.is_empty() || is_template(text) {
            return;
        }
        if let Some(existing) = found.get_mut(text) {
            existing.files.insert(file.to_owned());
            return;
        }
        match ImageReference::parse(text) {
            Ok(reference) => {
                found.insert(text.to_owned(), FoundImage { reference, files: BTreeSet::from([file.to_owned()]) });
            }
            Err(error) => {
                bad.push(BadImage { text: text.to_owned(), file: file.to_owned(), reason: error.to_string() })
            }
        }
    };
    for (file, document) in documents {
        walk(document, &mut |image| record(image, file));
    }
    for image in additional {
        record(image, additional_file);
    }
    (found, bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_images_wherever_pod_specs_live() {
        let documents = vec![
            (
                "deployment.yaml".to_owned(),
                json!({"kind": "Deployment", "spec": {"template": {"spec": {
                    "initContainers": [{"name": "init", "image": "busybox:1.36"}],
                    "containers": [{"name": "web", "image": "nginx:1.25"}, {"name": "side", "image": "{{repl ConfigOption \"img\"}}"}]}}}}),
            ),
            (
                "cronjob.yaml".to_owned(),
                json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                    "containers": [{"name": "job", "image": "registry.vendor.example/app/worker@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]}}}}}}),
            ),
            (
                "pod.yaml".to_owned(),
                json!({"kind": "Pod", "spec": {"containers": [{"name": "p", "image": "nginx:1.25"}]}}),
            ),
            (
                "crd.yaml".to_owned(),
                json!({"kind": "Widget", "spec": {"deep": {"template": {"spec": {"containers": [{"image": "library/redis:7"}]}}}}}),
            ),
            (
                "bad.yaml".to_owned(),
                json!({"kind": "Pod", "spec": {"containers": [{"image": "Not/A/Valid:Image:Ref"}]}}),
            ),
            ("configmap.yaml".to_owned(), json!({"kind": "ConfigMap", "data": {"image": "not-a-container:1"}})),
        ];
        let (found, bad) = find_images(&documents, &["postgres:16".to_owned(), "${IMAGE}".to_owned()], "kots-app.yaml");
        let spellings: Vec<&str> = found.keys().map(String::as_str).collect();
        assert_eq!(
            spellings,
            [
                "busybox:1.36",
                "library/redis:7",
                "nginx:1.25",
                "postgres:16",
                "registry.vendor.example/app/worker@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
            ]
        );
        assert_eq!(found["nginx:1.25"].files, BTreeSet::from(["deployment.yaml".to_owned(), "pod.yaml".to_owned()]));
        assert_eq!(found["postgres:16"].files, BTreeSet::from(["kots-app.yaml".to_owned()]));
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].file, "bad.yaml");
        assert_eq!(pod_spec_pointers(&documents[0].1), ["/spec/template/spec"]);
        assert_eq!(pod_spec_pointers(&documents[1].1), ["/spec/jobTemplate/spec/template/spec"]);
        assert_eq!(pod_spec_pointers(&documents[2].1), ["/spec"]);
        assert_eq!(pod_spec_pointers(&json!({"a/b": [{"containers": []}]})), ["/a~1b/0"]);
    }
}

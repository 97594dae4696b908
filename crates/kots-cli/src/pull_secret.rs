//! The image pull secret the midstream adds when the cluster must log in to pull: a
//! `kubernetes.io/dockerconfigjson` Secret, and a JSON 6902 patch per workload adding it to
//! `imagePullSecrets` of each of its pod specs (found where the images were, so CRDs too).
//!
//! All of it lives in `overlays/midstream/kots/`, which kots owns and rewrites on every pull.

use base64::Engine;
use serde_json::{Value, json};

use crate::folder::GeneratedFile;
use kots_release::images::pod_spec_pointers;

/// The folder of the midstream that kots owns.
pub const OWNED_FOLDER: &str = "kots";

/// A registry the cluster logs in to, and with what.
#[derive(Debug, Clone)]
pub struct RegistryLogin {
    pub host: String,
    pub username: String,
    pub password: String,
}

/// A patch file and the target it applies to, as a kustomize `patches:` entry wants them.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedPatch {
    pub file: GeneratedFile,
    pub target: Value,
}

pub fn secret_name(app_slug: &str) -> String {
    format!("{app_slug}-registry")
}

/// The Secret, as a file of the midstream.
pub fn secret_file(app_slug: &str, logins: &[RegistryLogin]) -> GeneratedFile {
    let auths: serde_json::Map<String, Value> = logins
        .iter()
        .map(|login| {
            let auth =
                base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", login.username, login.password));
            (login.host.clone(), json!({"username": login.username, "password": login.password, "auth": auth}))
        })
        .collect();
    let config = serde_json::to_vec(&json!({ "auths": auths })).expect("JSON serialises");
    let secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": secret_name(app_slug)},
        "data": {".dockerconfigjson": base64::engine::general_purpose::STANDARD.encode(config)},
    });
    GeneratedFile {
        path: format!("{OWNED_FOLDER}/pull-secret.yaml"),
        content: serde_saphyr::to_string(&secret).expect("plain data serialises"),
    }
}

/// One patch per document with pod specs (`(base file name, document)` pairs).
pub fn patches(app_slug: &str, documents: &[(String, Value)]) -> Vec<OwnedPatch> {
    let name = secret_name(app_slug);
    let mut patches = Vec::new();
    for (file, document) in documents {
        let pointers = pod_spec_pointers(document);
        if pointers.is_empty() {
            continue;
        }
        let operations: Vec<Value> = pointers
            .iter()
            .map(|pointer| {
                let existing = document.pointer(pointer).and_then(|spec| spec.get("imagePullSecrets"));
                if existing.is_some_and(Value::is_array) {
                    json!({"op": "add", "path": format!("{pointer}/imagePullSecrets/-"), "value": {"name": name}})
                } else {
                    json!({"op": "add", "path": format!("{pointer}/imagePullSecrets"), "value": [{"name": name}]})
                }
            })
            .collect();
        let api_version = document["apiVersion"].as_str().unwrap_or("v1");
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let mut target = json!({"version": version, "kind": document["kind"], "name": document["metadata"]["name"]});
        if !group.is_empty() {
            target["group"] = json!(group);
        }
        if let Some(namespace) = document["metadata"]["namespace"].as_str() {
            target["namespace"] = json!(namespace);
        }
        let stem = file.trim_end_matches(".yaml");
        patches.push(OwnedPatch {
            file: GeneratedFile {
                path: format!("{OWNED_FOLDER}/pull-secret-{stem}.yaml"),
                content: serde_saphyr::to_string(&Value::Array(operations)).expect("plain data serialises"),
            },
            target,
        });
    }
    patches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_per_workload_at_each_pod_spec() {
        let documents = vec![
            (
                "deployment-web.yaml".to_owned(),
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                       "spec": {"template": {"spec": {"containers": [{"image": "a"}]}}}}),
            ),
            (
                "pod-p.yaml".to_owned(),
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
                       "spec": {"imagePullSecrets": [{"name": "own"}], "containers": [{"image": "a"}]}}),
            ),
            (
                "configmap-c.yaml".to_owned(),
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
            ),
        ];
        let patches = patches("myapp", &documents);
        assert_eq!(patches.len(), 2);
        assert_eq!(patches[0].file.path, "kots/pull-secret-deployment-web.yaml");
        assert_eq!(patches[0].target, json!({"group": "apps", "version": "v1", "kind": "Deployment", "name": "web"}));
        let operations: Value = serde_saphyr::from_str(&patches[0].file.content).unwrap();
        assert_eq!(
            operations,
            json!([{"op": "add", "path": "/spec/template/spec/imagePullSecrets", "value": [{"name": "myapp-registry"}]}])
        );
        let operations: Value = serde_saphyr::from_str(&patches[1].file.content).unwrap();
        assert_eq!(operations[0]["path"], "/spec/imagePullSecrets/-", "the pod's own secrets are kept");
        assert_eq!(patches[1].target["namespace"], "ns");
    }

    #[test]
    fn the_secret_holds_a_docker_config() {
        let file = secret_file(
            "myapp",
            &[RegistryLogin { host: "reg:5000".into(), username: "u".into(), password: "p".into() }],
        );
        let secret: Value = serde_saphyr::from_str(&file.content).unwrap();
        assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
        let config = base64::engine::general_purpose::STANDARD
            .decode(secret["data"][".dockerconfigjson"].as_str().unwrap())
            .unwrap();
        let config: Value = serde_json::from_slice(&config).unwrap();
        assert_eq!(config["auths"]["reg:5000"]["auth"], "dTpw");
    }
}

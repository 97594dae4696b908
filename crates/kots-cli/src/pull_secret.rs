//! The image pull secrets of the midstream, as KOTS writes them: `secret.yaml` holds two
//! `kubernetes.io/dockerconfigjson` Secrets, `APP-registry` (what the workloads use) and
//! `kotsadm-replicated-registry`, with the license's login for the vendor's registry and proxy,
//! or the customer's registry login when the images were rewritten to a registry that wants
//! one. Every workload gets `APP-registry`: built-in kinds through `pullsecrets.yaml`, one
//! strategic-merge patch each (KOTS's file; the workload's own secrets stay, as the list merges
//! by name); other kinds with pod specs (CRDs) through a JSON 6902 patch under `kots/`, since a
//! strategic merge without a schema would replace their list.
//!
//! `kots/` in the midstream is kots's own and rewritten on every pull.

use base64::Engine;
use serde_json::{Value, json};

use crate::folder::GeneratedFile;
use kots_release::images::pod_spec_pointers;

/// The folder of the midstream that kots owns.
pub const OWNED_FOLDER: &str = "kots";
/// The Secrets' file, `pullsecrets.yaml` the patches' (both KOTS's names).
pub const SECRET_FILE: &str = "secret.yaml";
pub const PATCH_FILE: &str = "pullsecrets.yaml";

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

/// A docker config (`{"auths": …}`, base64 as a Secret holds it) with these logins.
pub fn docker_config(logins: &[RegistryLogin]) -> String {
    let auths: serde_json::Map<String, Value> = logins
        .iter()
        .map(|login| {
            let auth =
                base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", login.username, login.password));
            // As KOTS writes it: the login in `auth` only (what Docker and the kubelet read).
            (login.host.clone(), json!({ "auth": auth }))
        })
        .collect();
    let config = serde_json::to_vec(&json!({ "auths": auths })).expect("JSON serialises");
    base64::engine::general_purpose::STANDARD.encode(config)
}

/// `secret.yaml`: the two Secrets, in `namespace` when one is given, holding `docker_config`.
pub fn secret_file(app_slug: &str, namespace: Option<&str>, docker_config: &str) -> GeneratedFile {
    let secret = |name: String| {
        let mut metadata = json!({
            "annotations": {
                "helm.sh/hook": "pre-install,pre-upgrade",
                "helm.sh/hook-weight": "-9999",
                "kots.io/creation-phase": "-9999",
            },
            "name": name,
        });
        if let Some(namespace) = namespace {
            metadata["namespace"] = json!(namespace);
        }
        let secret = json!({
            "apiVersion": "v1",
            "data": {".dockerconfigjson": docker_config},
            "kind": "Secret",
            "metadata": metadata,
            "type": "kubernetes.io/dockerconfigjson",
        });
        crate::folder::to_yaml(&secret)
    };
    let content = [secret(secret_name(app_slug)), secret("kotsadm-replicated-registry".to_owned())].join("\n---\n");
    GeneratedFile { path: SECRET_FILE.to_owned(), content }
}

/// Where a built-in workload keeps its pod spec, as a strategic-merge patch reaches it.
fn builtin_pod_spec(document: &Value) -> Option<&'static [&'static str]> {
    let api_version = document["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.split_once('/').map_or("", |(group, _)| group);
    match (group, document["kind"].as_str().unwrap_or_default()) {
        ("", "Pod") => Some(&["spec"]),
        ("", "ReplicationController")
        | ("apps" | "extensions", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch", "Job") => Some(&["spec", "template", "spec"]),
        ("batch", "CronJob") => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// The pull secret on every workload of `documents` (`(base file name, document)` pairs):
/// `pullsecrets.yaml` for the built-in kinds (none if there are none), and JSON 6902 patches
/// for the other kinds with pod specs.
pub fn patches(app_slug: &str, documents: &[(String, Value)]) -> (Option<GeneratedFile>, Vec<OwnedPatch>) {
    let name = secret_name(app_slug);
    let mut strategic = Vec::new();
    let mut patches = Vec::new();
    for (file, document) in documents {
        let pointers = pod_spec_pointers(document);
        if pointers.is_empty() {
            continue;
        }
        if let Some(path) = builtin_pod_spec(document) {
            let mut metadata = json!({"name": document["metadata"]["name"]});
            for key in ["namespace", "labels"] {
                if let Some(value) = document["metadata"].get(key).filter(|v| !v.is_null()) {
                    metadata[key] = value.clone();
                }
            }
            let mut spec = json!({"imagePullSecrets": [{"name": name}]});
            for key in path.iter().rev() {
                spec = json!({ *key: spec });
            }
            let mut patch =
                json!({"apiVersion": document["apiVersion"], "kind": document["kind"], "metadata": metadata});
            patch["spec"] = spec["spec"].clone();
            strategic.push(crate::folder::to_yaml(&patch));
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
        let stem = file.trim_end_matches(".yaml").trim_end_matches(".yml").replace('/', "-");
        patches.push(OwnedPatch {
            file: GeneratedFile {
                path: format!("{OWNED_FOLDER}/pull-secret-{stem}.yaml"),
                content: crate::folder::to_yaml(&Value::Array(operations)),
            },
            target,
        });
    }
    let strategic = (!strategic.is_empty())
        .then(|| GeneratedFile { path: PATCH_FILE.to_owned(), content: format!("---\n{}", strategic.join("---\n")) });
    (strategic, patches)
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
                "sub/worker-w.yaml".to_owned(),
                json!({"apiVersion": "example.com/v1", "kind": "Worker", "metadata": {"name": "w"},
                       "spec": {"pod": {"imagePullSecrets": [{"name": "own"}], "containers": [{"image": "a"}]}}}),
            ),
            (
                "configmap-c.yaml".to_owned(),
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
            ),
        ];
        let (strategic, patches) = patches("myapp", &documents);
        let strategic = strategic.unwrap();
        assert_eq!(strategic.path, "pullsecrets.yaml");
        let parsed: Vec<Value> = kots_release::documents::split_documents(&strategic.content)
            .iter()
            .map(|d| serde_saphyr::from_str(d).unwrap())
            .collect();
        assert_eq!(
            parsed,
            [
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                       "spec": {"template": {"spec": {"imagePullSecrets": [{"name": "myapp-registry"}]}}}}),
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
                       "spec": {"imagePullSecrets": [{"name": "myapp-registry"}]}}),
            ]
        );
        assert_eq!(patches.len(), 1, "the custom kind gets a JSON 6902 patch");
        assert_eq!(patches[0].file.path, "kots/pull-secret-sub-worker-w.yaml");
        assert_eq!(patches[0].target, json!({"group": "example.com", "version": "v1", "kind": "Worker", "name": "w"}));
        let operations: Value = serde_saphyr::from_str(&patches[0].file.content).unwrap();
        assert_eq!(
            operations,
            json!([{"op": "add", "path": "/spec/pod/imagePullSecrets/-", "value": {"name": "myapp-registry"}}]),
            "the worker's own secrets are kept"
        );
    }

    #[test]
    fn the_secret_holds_a_docker_config() {
        let config =
            docker_config(&[RegistryLogin { host: "reg:5000".into(), username: "u".into(), password: "p".into() }]);
        let file = secret_file("myapp", Some("ns"), &config);
        assert_eq!(file.path, "secret.yaml");
        let secrets = kots_release::documents::split_documents(&file.content);
        assert_eq!(secrets.len(), 2);
        let secret: Value = serde_saphyr::from_str(&secrets[0]).unwrap();
        assert_eq!(secret["metadata"]["name"], "myapp-registry");
        assert_eq!(secret["metadata"]["namespace"], "ns");
        let other: Value = serde_saphyr::from_str(&secrets[1]).unwrap();
        assert_eq!(other["metadata"]["name"], "kotsadm-replicated-registry");
        assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");
        let config = base64::engine::general_purpose::STANDARD
            .decode(secret["data"][".dockerconfigjson"].as_str().unwrap())
            .unwrap();
        let config: Value = serde_json::from_slice(&config).unwrap();
        assert_eq!(config["auths"]["reg:5000"]["auth"], "dTpw");
    }
}

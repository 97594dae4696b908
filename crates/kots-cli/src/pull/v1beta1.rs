//! KOTS's `kots.io/v1beta1` HelmCharts in a pull, written where KOTS writes them
//! (docs/kots-compat.md, "Helm charts"): each chart rendered as Helm's install dry run renders
//! it, its documents cut into files named by their templates, KOTS's templates rendered in them,
//! under `base/charts/DIR/` (DIR the HelmChart's `chart.releaseName`, else its name).
//!
//! - `useHelmInstall: false`: the chart is part of the app's base. Its files lose the folder
//!   all of them share (`templates/`), a Helm release record (`chartHelmSecret.yaml`) joins
//!   them, and `base/kustomization.yaml` lists them all, so the overlays deploy them with the
//!   rest.
//! - `useHelmInstall: true`: the chart, each subchart and each `crds/` folder is a base of its
//!   own (`base/charts/DIR/charts/SUB/`, `…/crds/`) with its own midstream, downstream and
//!   render (`rendered/D/charts/DIR/`, a chart `helm install` takes as it is).
//!
//! With a `spec.namespace`, the documents that name no namespace get it, re-written with sorted
//! keys as kustomize prints them (KOTS runs kustomize for it); the others keep Helm's text.

use std::collections::BTreeMap;

use anyhow::anyhow;
use kots_helm::helmchart;
use serde_json::{Value, json};

use crate::folder::{GeneratedFile, sorted_keys, to_yaml};

/// One folder of `base/` a v1beta1 chart makes.
#[derive(Debug, Clone, Default)]
pub struct ChartBase {
    /// Inside `base/`: `charts/DIR`, `charts/DIR/charts/SUB`, `charts/DIR/crds`.
    pub path: String,
    /// The HelmChart's `spec.namespace` (never for a `crds/` folder), where its pull secrets go.
    pub namespace: Option<String>,
    /// The Helm release the chart is installed as.
    pub release_name: String,
    /// Its documents: `(path inside the folder, text, parsed)`.
    pub documents: Vec<(String, String, Value)>,
    /// `Chart.yaml`, `Chart.lock` and (the top chart's) `values.yaml`: written, listed nowhere.
    pub extra: Vec<(String, String)>,
}

impl ChartBase {
    /// The folder's documents as `(path inside base/, parsed)`.
    pub fn base_documents(&self) -> Vec<(String, Value)> {
        self.documents.iter().map(|(name, _, value)| (format!("{}/{name}", self.path), value.clone())).collect()
    }

    /// Its files under `base/`: the documents, the extra files and its `kustomization.yaml`.
    pub fn files(&self) -> Vec<GeneratedFile> {
        let documents: Vec<(String, Value)> =
            self.documents.iter().map(|(name, _, value)| (name.clone(), value.clone())).collect();
        let mut files: Vec<GeneratedFile> = self
            .documents
            .iter()
            .map(|(name, text, _)| (name, text))
            .chain(self.extra.iter().map(|(name, text)| (name, text)))
            .map(|(name, text)| GeneratedFile { path: format!("base/{}/{name}", self.path), content: text.clone() })
            .collect();
        files.push(GeneratedFile {
            path: format!("base/{}/kustomization.yaml", self.path),
            content: crate::app_folder::base_kustomization(&documents),
        });
        files
    }

    /// Whether it is a chart's own folder (`charts/DIR`), not a subchart's or a `crds/`.
    pub fn is_chart(&self) -> bool {
        self.path.split('/').count() == 2
    }

    /// The last part of its path: what KOTS names its pull secret after (`APP-NAME-registry`).
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// The release's v1beta1 charts.
#[derive(Debug, Clone, Default)]
pub struct V1Beta1 {
    /// `useHelmInstall: false` charts: folders of the app's own base.
    pub in_base: Vec<ChartBase>,
    /// `useHelmInstall: true` charts: bases of their own.
    pub helm_bases: Vec<ChartBase>,
}

/// Renders every v1beta1 HelmChart among `kots_kinds` (rendered `(file, document)` pairs) that
/// is not excluded: Helm's render with `settings`, then `template` (KOTS's templates, as the
/// release's own files get them) over each document, then `included` (`kots.io/exclude`,
/// `kots.io/when`).
pub fn render(
    release_files: &[(String, Vec<u8>)],
    kots_kinds: &[(String, Value)],
    settings: &kots_helm::engine::Options,
    template: &dyn Fn(&str, &str) -> anyhow::Result<String>,
    included: &dyn Fn(&str, &Value) -> Result<bool, String>,
) -> anyhow::Result<V1Beta1> {
    let helm_charts: Vec<&(String, Value)> =
        kots_kinds.iter().filter(|(_, d)| helmchart::is_v1beta1(d) && !helmchart::is_excluded(d)).collect();
    let mut out = V1Beta1::default();
    if helm_charts.is_empty() {
        return Ok(out);
    }
    let archives = helmchart::archives(release_files);
    for (file, helm_chart) in helm_charts {
        let spec = &helm_chart["spec"];
        let values = helmchart::chart_values(helm_chart, file)?;
        let rendered = helmchart::render(helm_chart, file, &archives, values, settings)?;
        let dir = spec["chart"]["releaseName"]
            .as_str()
            .filter(|s| !s.is_empty())
            .or(helm_chart["metadata"]["name"].as_str())
            .ok_or_else(|| anyhow!("{file}: the HelmChart has no metadata.name"))?
            .to_owned();
        let use_helm_install = helmchart::uses_helm_install(helm_chart);
        let namespace = spec["namespace"].as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        let mut pieces = stream(&rendered);
        if !use_helm_install {
            strip_common_folders(&mut pieces);
            // Helm's record of the release, so that Helm sees the chart as installed.
            let release = kots_helm::release::Release {
                chart: &rendered.chart,
                name: &rendered.release_name,
                namespace: namespace.as_deref().unwrap_or(&settings.namespace),
                config: &rendered.values,
                manifests: &rendered.manifests,
                hooks: &rendered.hooks,
                notes: &rendered.notes,
            };
            let secret = kots_helm::release::release_secret(&release, namespace.as_deref().unwrap_or_default())
                .map_err(|e| anyhow!("{file}: chart {}: {e}", rendered.chart.name()))?;
            let text = kots_helm::yaml::to_yaml(&secret).map_err(anyhow::Error::msg)?;
            pieces.push(("chartHelmSecret.yaml".to_owned(), text));
        }
        if let Some(namespace) = &namespace {
            pieces = with_namespace(pieces, namespace);
        }
        let node = tree(pieces, &rendered.chart);
        let mut bases = Vec::new();
        flatten(&node, &format!("charts/{dir}"), namespace.as_deref(), &mut bases);
        for base in &mut bases {
            base.documents = documents(base, template, included)?;
            base.release_name = rendered.release_name.clone();
        }
        if let Some(top) = bases.first_mut() {
            // As sigs.k8s.io/yaml writes Helm's values (numbers as Go prints float64s).
            let values = kots_helm::yaml::to_yaml(&sorted_keys(&rendered.top_values)).map_err(anyhow::Error::msg)?;
            top.extra.push(("values.yaml".to_owned(), values));
            top.extra.sort();
        }
        match use_helm_install {
            true => out.helm_bases.extend(bases),
            false => out.in_base.extend(bases),
        }
    }
    Ok(out)
}

/// Helm's output as KOTS reads it: the manifests, the hooks, then the CRDs, each as `(path
/// without the chart's name, "# Source: PATH\n" + text)`.
fn stream(rendered: &helmchart::Rendered) -> Vec<(String, String)> {
    let chart_name = rendered.chart.name().to_owned();
    let relative = |path: &str| path.strip_prefix(&format!("{chart_name}/")).unwrap_or(path).to_owned();
    let mut pieces: Vec<(String, String)> = rendered
        .manifests
        .iter()
        .chain(&rendered.hooks)
        .map(|m| (relative(&m.path), format!("# Source: {}\n{}\n", m.path, m.content.trim())))
        .collect();
    for (path, crd) in rendered.chart.crd_objects() {
        let text = String::from_utf8_lossy(&crd.data);
        pieces.push((relative(&path), format!("# Source: {path}\n{}\n", text.trim())));
    }
    pieces
}

/// `useHelmInstall: false`: the folders every file shares are dropped (`templates/x.yaml` is
/// `x.yaml`), as KOTS does.
fn strip_common_folders(pieces: &mut [(String, String)]) {
    let folders = |path: &str| -> Vec<String> {
        let mut parts: Vec<String> = path.split('/').map(str::to_owned).collect();
        parts.pop();
        parts
    };
    let Some(first) = pieces.first() else { return };
    let mut common = folders(&first.0);
    for (path, _) in pieces.iter() {
        let parts = folders(path);
        let shared = common.iter().zip(&parts).take_while(|(a, b)| a == b).count();
        common.truncate(shared);
    }
    if common.is_empty() {
        return;
    }
    let prefix = format!("{}/", common.join("/"));
    for (path, _) in pieces.iter_mut() {
        *path = path.strip_prefix(&prefix).unwrap_or(path).to_owned();
    }
}

/// Kinds kustomize's namespace transformer leaves without a namespace (cluster-scoped).
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// KOTS's namespace pass: documents that name no namespace (and are not CRDs or Namespaces)
/// go through kustomize with `namespace:`, and come back after the others with sorted keys, no
/// comments, the namespace set where the kind has one.
fn with_namespace(pieces: Vec<(String, String)>, namespace: &str) -> Vec<(String, String)> {
    let (mut kept, mut moved) = (Vec::new(), Vec::new());
    for (path, text) in pieces {
        let Ok(mut value) = serde_saphyr::from_str::<Value>(&text) else {
            kept.push((path, text));
            continue;
        };
        let named =
            value["apiVersion"].is_string() && value["kind"].is_string() && value["metadata"]["name"].is_string();
        let has_namespace = value["metadata"]["namespace"].as_str().is_some_and(|ns| !ns.is_empty());
        let kind = value["kind"].as_str().unwrap_or_default();
        let skip = !named
            || has_namespace
            || kind == "CustomResourceDefinition"
            || kind == "Namespace" && value["apiVersion"] == "v1";
        if skip {
            kept.push((path, text));
            continue;
        }
        if !CLUSTER_SCOPED.contains(&kind) {
            value["metadata"]["namespace"] = json!(namespace);
        }
        moved.push((path, to_yaml(&sorted_keys(&value))));
    }
    kept.extend(moved);
    kept
}

/// A chart's files, as KOTS cuts them: its own, its `crds/`, its subcharts'.
#[derive(Debug, Default)]
struct Node {
    /// `(path, documents)`: each file with its documents in order.
    files: Vec<(String, Vec<String>)>,
    crds: Vec<(String, Vec<String>)>,
    subcharts: Vec<(String, Node)>,
    chart_yaml: Option<String>,
    chart_lock: Option<String>,
}

/// The pieces grouped by path (files in path order) and placed in the chart's tree: `crds/…`
/// in its crds folder, `charts/SUB/…` in subchart SUB (every enabled subchart gets a folder,
/// with its `Chart.yaml`, even one that renders nothing, as KOTS does).
fn tree(pieces: Vec<(String, String)>, chart: &kots_helm::Chart) -> Node {
    let mut by_path: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, text) in pieces {
        by_path.entry(path).or_default().push(text);
    }
    let mut node = node_for(chart);
    for (path, documents) in by_path {
        place(&mut node, &path, documents);
    }
    node
}

fn node_for(chart: &kots_helm::Chart) -> Node {
    let raw = |name: &str| chart.raw_file(name).map(|bytes| String::from_utf8_lossy(bytes).into_owned());
    let mut subcharts: Vec<(String, Node)> =
        chart.dependencies.iter().map(|dependency| (dependency.name().to_owned(), node_for(dependency))).collect();
    subcharts.sort_by(|a, b| a.0.cmp(&b.0));
    Node { chart_yaml: raw("Chart.yaml"), chart_lock: raw("Chart.lock"), subcharts, ..Node::default() }
}

fn place(node: &mut Node, path: &str, documents: Vec<String>) {
    let mut parts = path.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("charts"), Some(sub), Some(rest)) => {
            let index = match node.subcharts.iter().position(|(name, _)| name == sub) {
                Some(index) => index,
                None => {
                    node.subcharts.push((sub.to_owned(), Node::default()));
                    node.subcharts.len() - 1
                }
            };
            place(&mut node.subcharts[index].1, rest, documents);
        }
        (Some("crds"), Some(first), rest) => {
            let rest = rest.map(|r| format!("{first}/{r}")).unwrap_or_else(|| first.to_owned());
            node.crds.push((rest, documents));
        }
        _ => node.files.push((path.to_owned(), documents)),
    }
}

/// The tree as folders of `base/`, each chart before its `crds/` and its subcharts.
fn flatten(node: &Node, path: &str, namespace: Option<&str>, out: &mut Vec<ChartBase>) {
    let mut base = ChartBase { path: path.to_owned(), namespace: namespace.map(str::to_owned), ..ChartBase::default() };
    base.documents = cut(&node.files);
    for (name, text) in [("Chart.lock", &node.chart_lock), ("Chart.yaml", &node.chart_yaml)] {
        if let Some(text) = text {
            base.extra.push((name.to_owned(), text.clone()));
        }
    }
    out.push(base);
    if !node.crds.is_empty() {
        out.push(ChartBase { path: format!("{path}/crds"), documents: cut(&node.crds), ..ChartBase::default() });
    }
    for (name, sub) in &node.subcharts {
        flatten(sub, &format!("{path}/charts/{name}"), namespace, out);
    }
}

/// Files of several documents cut as KOTS cuts them: `NAME-1.EXT`, `NAME-2.EXT`, …
fn cut(files: &[(String, Vec<String>)]) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, documents) in files {
        for (index, text) in documents.iter().enumerate() {
            let name = match (documents.len(), path.rsplit_once('.')) {
                (1, _) => path.clone(),
                (_, Some((stem, extension))) => format!("{stem}-{}.{extension}", index + 1),
                (_, None) => format!("{path}-{}", index + 1),
            };
            out.push((name, text.clone(), Value::Null));
        }
    }
    out
}

/// The folder's documents with KOTS's templates rendered, those KOTS does not deploy left out,
/// and those holding a null re-written without it (sorted keys), as KOTS writes them.
fn documents(
    base: &ChartBase,
    template: &dyn Fn(&str, &str) -> anyhow::Result<String>,
    included: &dyn Fn(&str, &Value) -> Result<bool, String>,
) -> anyhow::Result<Vec<(String, String, Value)>> {
    let mut out = Vec::new();
    for (name, text, _) in &base.documents {
        let path = format!("base/{}/{name}", base.path);
        let text = template(&path, text)?;
        let value: Value = serde_saphyr::from_str(&text)
            .map_err(|e| anyhow!("{path}: the chart's document is not YAML once rendered: {e}"))?;
        if !value["apiVersion"].is_string() || !value["kind"].is_string() {
            continue;
        }
        if !included(&path, &value).map_err(anyhow::Error::msg)? {
            continue;
        }
        let mut clean = value.clone();
        let hook = kots_hook(&mut clean);
        let text = match drop_nulls(&mut clean) || hook {
            true => to_yaml(&sorted_keys(&clean)),
            false => text,
        };
        out.push((name.clone(), text, clean));
    }
    Ok(out)
}

/// A Helm hook Job with a delete policy, as KOTS hands it to its own hook runner: the policy
/// also as `kots.io/hook-delete-policy`, and the fields Kubernetes' serializer adds when KOTS
/// re-encodes the Job (`status: {}`, `resources: {}` on each container). Whether it changed.
fn kots_hook(document: &mut Value) -> bool {
    if document["apiVersion"] != "batch/v1" || document["kind"] != "Job" {
        return false;
    }
    let Some(policy) = document["metadata"]["annotations"]["helm.sh/hook-delete-policy"].as_str().map(str::to_owned)
    else {
        return false;
    };
    document["metadata"]["annotations"]["kots.io/hook-delete-policy"] = json!(policy);
    if document.get("status").is_none() {
        document["status"] = json!({});
    }
    let spec = &mut document["spec"]["template"]["spec"];
    for list in ["initContainers", "containers"] {
        for container in spec[list].as_array_mut().into_iter().flatten() {
            if container.get("resources").is_none() {
                container["resources"] = json!({});
            }
        }
    }
    true
}

/// Removes every null field of maps (in lists too); whether there was one.
fn drop_nulls(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => {
            let before = map.len();
            map.retain(|_, v| !v.is_null());
            let mut dropped = map.len() != before;
            for v in map.values_mut() {
                dropped |= drop_nulls(v);
            }
            dropped
        }
        Value::Array(items) => items.iter_mut().fold(false, |dropped, v| drop_nulls(v) | dropped),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_folders_are_dropped_only_when_every_file_has_them() {
        let mut pieces = vec![("templates/a.yaml".to_owned(), String::new())];
        strip_common_folders(&mut pieces);
        assert_eq!(pieces[0].0, "a.yaml");
        let mut pieces =
            vec![("templates/a.yaml".to_owned(), String::new()), ("templates/tests/b.yaml".to_owned(), String::new())];
        strip_common_folders(&mut pieces);
        assert_eq!([&pieces[0].0, &pieces[1].0], ["a.yaml", "tests/b.yaml"]);
        let mut pieces =
            vec![("templates/a.yaml".to_owned(), String::new()), ("crds/c.yaml".to_owned(), String::new())];
        strip_common_folders(&mut pieces);
        assert_eq!(pieces[1].0, "crds/c.yaml");
    }

    #[test]
    fn the_namespace_pass_moves_what_it_changes_after_the_rest() {
        let pieces = vec![
            (
                "a.yaml".to_owned(),
                "# Source: c/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n".to_owned(),
            ),
            (
                "b.yaml".to_owned(),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: own\n".to_owned(),
            ),
            (
                "r.yaml".to_owned(),
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n".to_owned(),
            ),
        ];
        let out = with_namespace(pieces, "ns");
        assert_eq!(out[0].0, "b.yaml", "a document with its own namespace keeps its text and comes first");
        assert!(out[0].1.contains("namespace: own"));
        assert_eq!(out[1].1, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: ns\n");
        assert!(!out[2].1.contains("namespace"), "a cluster-scoped kind gets none");
    }

    #[test]
    fn a_hook_job_with_a_delete_policy_gets_kots_own_annotation() {
        let mut job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate",
            "annotations": {"helm.sh/hook": "pre-install", "helm.sh/hook-delete-policy": "hook-succeeded"}},
            "spec": {"template": {"spec": {"containers": [{"name": "m", "image": "alpine"}]}}}});
        assert!(kots_hook(&mut job));
        assert_eq!(job["metadata"]["annotations"]["kots.io/hook-delete-policy"], "hook-succeeded");
        assert_eq!(job["status"], json!({}));
        assert_eq!(job["spec"]["template"]["spec"]["containers"][0]["resources"], json!({}));
        let mut plain = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j",
            "annotations": {"helm.sh/hook": "post-install"}}});
        assert!(!kots_hook(&mut plain), "a hook without a delete policy stays as Helm wrote it");
    }

    #[test]
    fn files_of_several_documents_are_numbered_from_one() {
        let files = vec![
            ("templates/all.yaml".to_owned(), vec!["a".to_owned(), "b".to_owned()]),
            ("templates/one.yaml".to_owned(), vec!["c".to_owned()]),
        ];
        let names: Vec<String> = cut(&files).into_iter().map(|(name, _, _)| name).collect();
        assert_eq!(names, ["templates/all-1.yaml", "templates/all-2.yaml", "templates/one.yaml"]);
    }
}

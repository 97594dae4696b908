//! KOTS's `kots.io/v1beta2` HelmChart resources in a pull, as KOTS handles them: each chart the
//! release carries is matched to its archive by name and version; its values are the
//! HelmChart's `values`, then each `optionalValues` entry whose `when` is true (merged key by
//! key, or recursively with `recursiveMerge`); `helm/RELEASE/` gets the archive and those
//! values (`values.yaml`), and `rendered/DOWNSTREAM/helm/RELEASE/all.yaml` what `helm template`
//! makes of them (rendered by kots-helm). Charts whose `exclude` is true are left out.

use kots_helm::{helmchart, manifests};
use serde_json::Value;

use crate::folder::GeneratedFile;

/// One v1beta2 chart of the release, ready to write.
#[derive(Debug)]
pub struct ChartRelease {
    pub release_name: String,
    /// `helm/RELEASE/…` and `rendered/DOWNSTREAM/helm/RELEASE/all.yaml`.
    pub files: Vec<GeneratedFile>,
    /// The archive, written as it is.
    pub archive: (String, Vec<u8>),
    /// The rendered documents, by template path, for finding images.
    pub documents: Vec<(String, Value)>,
    /// The HelmChart's `namespace` and `helmUpgradeFlags`, for installing it with Helm instead.
    pub namespace: Option<String>,
    pub upgrade_flags: Vec<String>,
}

/// Every v1beta2 HelmChart of `kots_kinds` (rendered `(file, document)` pairs) that is not
/// excluded, rendered for `downstream` in `namespace` (kots-helm's `helmchart`).
pub fn v1beta2(
    release_files: &[(String, Vec<u8>)],
    kots_kinds: &[(String, Value)],
    downstream: &str,
    settings: &kots_helm::engine::Options,
) -> anyhow::Result<Vec<ChartRelease>> {
    let helm_charts: Vec<&(String, Value)> =
        kots_kinds.iter().filter(|(_, d)| helmchart::is_v1beta2(d) && !helmchart::is_excluded(d)).collect();
    if helm_charts.is_empty() {
        return Ok(Vec::new());
    }
    let archives = helmchart::archives(release_files);
    let mut out = Vec::new();
    for (file, helm_chart) in helm_charts {
        let values = helmchart::chart_values(helm_chart, file)?;
        let rendered = helmchart::render(helm_chart, file, &archives, values, settings)?;
        let release_name = rendered.release_name.clone();
        let values_yaml =
            kots_helm::yaml::to_yaml(&crate::folder::sorted_keys(&rendered.values)).map_err(anyhow::Error::msg)?;
        let archive_name = rendered.archive.path.rsplit('/').next().unwrap_or(&rendered.archive.path).to_owned();
        out.push(ChartRelease {
            files: vec![
                GeneratedFile { path: format!("helm/{release_name}/values.yaml"), content: values_yaml },
                GeneratedFile {
                    path: format!("rendered/{downstream}/helm/{release_name}/all.yaml"),
                    content: manifests::print(&rendered.manifests, &rendered.hooks, false),
                },
            ],
            archive: (format!("helm/{release_name}/{archive_name}"), rendered.archive.bytes.clone()),
            documents: rendered.documents(),
            release_name,
            namespace: helm_chart["spec"]["namespace"].as_str().filter(|ns| !ns.is_empty()).map(str::to_owned),
            upgrade_flags: helm_chart["spec"]["helmUpgradeFlags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|flag| flag.as_str().map(str::to_owned))
                .collect(),
        });
    }
    Ok(out)
}

/// Writes `helm/RELEASE/` (the archive and `values.yaml`) and the charts' preflights into
/// `kotsKinds/helm-preflight.yaml`, into the staging folder `root`.
pub fn write(charts: &[ChartRelease], root: &std::path::Path) -> anyhow::Result<()> {
    let mut preflights = Vec::new();
    for chart in charts {
        crate::folder::write(&root.join(&chart.archive.0), &chart.archive.1)?;
        for file in chart.files.iter().filter(|f| f.path.starts_with("helm/")) {
            crate::folder::write(&root.join(&file.path), file.content.as_bytes())?;
        }
        preflights.extend(chart.documents.iter().filter_map(|(_, d)| preflight_of(d)));
    }
    if !preflights.is_empty() {
        let texts: Vec<String> =
            preflights.iter().map(|p| crate::folder::to_yaml(&crate::folder::sorted_keys(p))).collect();
        crate::folder::write(&root.join("kotsKinds/helm-preflight.yaml"), texts.join("---\n").as_bytes())?;
    }
    Ok(())
}

/// Writes `rendered/DOWNSTREAM/helm/RELEASE/all.yaml` (after `rendered/` is made).
pub fn write_rendered(charts: &[ChartRelease], root: &std::path::Path) -> anyhow::Result<()> {
    for chart in charts {
        for file in chart.files.iter().filter(|f| f.path.starts_with("rendered/")) {
            crate::folder::write(&root.join(&file.path), file.content.as_bytes())?;
        }
    }
    Ok(())
}

/// A preflight a chart ships as KOTS finds them: a Secret labelled `troubleshoot.sh/kind:
/// preflight` whose `preflight.yaml` (in `stringData`, or base64 in `data`) is the Preflight.
fn preflight_of(document: &Value) -> Option<Value> {
    if document["kind"] != "Secret" || document["metadata"]["labels"]["troubleshoot.sh/kind"] != "preflight" {
        return None;
    }
    let text = match document["stringData"]["preflight.yaml"].as_str() {
        Some(text) => text.to_owned(),
        None => {
            use base64::Engine as _;
            let encoded = document["data"]["preflight.yaml"].as_str()?;
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).ok()?).ok()?
        }
    };
    let mut preflight: Value = serde_saphyr::from_str(&text).ok()?;
    // As KOTS re-writes it: empty lists gone, `status: {}`.
    if let Some(spec) = preflight["spec"].as_object_mut() {
        spec.retain(|_, v| !v.as_array().is_some_and(Vec::is_empty));
    }
    if preflight.get("status").is_none() {
        preflight["status"] = serde_json::json!({});
    }
    Some(preflight)
}

/// Where the charts' documents go in the midstream, so that `kubectl apply -k` deploys them
/// with the rest (KOTS installs v1beta2 charts with Helm; `helm/` still allows that).
pub const OVERLAY_FILE: &str = "kots/charts.yaml";

/// An object's identity as kustomize sees it: two with the same one cannot be applied together.
fn object_id(document: &Value) -> String {
    let metadata = &document["metadata"];
    [&document["apiVersion"], &document["kind"], &metadata["name"], &metadata["namespace"]]
        .map(Value::to_string)
        .join("/")
}

/// `kots/charts.yaml`: every chart's documents but its tests, their images rewritten as the
/// rest of the app's (`placed`) and each pod spec given the app's pull secret; `None` without
/// charts. Other hooks are applied with the rest (`kubectl apply` has no hook phases). A document
/// whose object `base` (or an earlier chart) has already is left out, and named in the second
/// value: kustomize cannot apply both (`helm install` from `helm/` can install them apart).
pub fn overlay_file(
    charts: &[ChartRelease],
    base: &[(String, Value)],
    placed: &super::images::Placed,
    app_slug: &str,
) -> (Option<GeneratedFile>, Vec<String>) {
    let secret = crate::pull_secret::secret_name(app_slug);
    let mut seen: std::collections::BTreeSet<String> = base.iter().map(|(_, d)| object_id(d)).collect();
    let (mut texts, mut left_out) = (Vec::new(), Vec::new());
    for chart in charts {
        // Helm's test hooks run on `helm test`, not on install: they are not deployed.
        for (path, document) in chart.documents.iter().filter(|(_, d)| !is_test_hook(d)) {
            if !seen.insert(object_id(document)) {
                let what = format!(
                    "{} {}",
                    document["kind"].as_str().unwrap_or("?"),
                    document["metadata"]["name"].as_str().unwrap_or("?")
                );
                left_out.push(format!("{what} ({path}, release {})", chart.release_name));
                continue;
            }
            texts.push(overlay_document(document, placed, &secret));
        }
    }
    let file =
        (!texts.is_empty()).then(|| GeneratedFile { path: OVERLAY_FILE.to_owned(), content: texts.join("---\n") });
    (file, left_out)
}

/// Whether a document is a Helm test (`helm.sh/hook: test`, or Helm 2's `test-success`).
fn is_test_hook(document: &Value) -> bool {
    let hooks = document["metadata"]["annotations"]["helm.sh/hook"].as_str().unwrap_or_default();
    hooks.split(',').any(|hook| hook.trim().to_lowercase().starts_with("test"))
}

/// A chart document for the overlay: images rewritten, the pull secret on each pod spec.
fn overlay_document(document: &Value, placed: &super::images::Placed, secret: &str) -> String {
    {
        let mut document = document.clone();
        for pointer in kots_release::images::pod_spec_pointers(&document) {
            let Some(spec) = document.pointer_mut(&pointer) else { continue };
            for list in ["containers", "initContainers", "ephemeralContainers"] {
                for container in spec[list].as_array_mut().into_iter().flatten() {
                    if let Some(image) = container["image"].as_str() {
                        container["image"] = Value::String(placed.rewritten(image));
                    }
                }
            }
            let secrets =
                spec.as_object_mut().expect("a pod spec").entry("imagePullSecrets").or_insert(serde_json::json!([]));
            if let Some(list) = secrets.as_array_mut()
                && !list.iter().any(|s| s["name"] == secret)
            {
                list.push(serde_json::json!({ "name": secret }));
            }
        }
        crate::folder::to_yaml(&document)
    }
}

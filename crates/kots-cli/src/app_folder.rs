//! The app folder's generated parts as KOTS writes them (docs/ARCHITECTURE.md, "The app
//! folder"; docs/kots-compat.md): `base/` with the release's files at their own paths (a file of
//! several documents split into `NAME.yaml`, `NAME-2.yaml`, …) and its kustomization,
//! `kotsKinds/` with the rendered KOTS kinds, `skippedFiles/` for files that are not YAML once
//! rendered, the midstream kustomization (merged with what the customer added to it), and a
//! downstream kustomization written once.
//!
//! Documents keep their own text: the release's YAML is split, not re-serialised, so comments
//! and formatting reach `base/` as the vendor wrote them.

use serde_json::{Map, Value, json};

use kots_release::documents::{additional_images, is_application, is_kots_kind, split_documents};

pub use crate::folder::GeneratedFile;
use crate::naming::ImageRewrite;

pub const APP_SLUG_ANNOTATION: &str = "kots.io/app-slug";

/// The name KOTS gives the `index`-th document (from 0) of the file at `path`: the path itself,
/// then `NAME-2.EXT`, `NAME-3.EXT`, ….
fn document_path(path: &str, index: usize) -> String {
    if index == 0 {
        return path.to_owned();
    }
    match path.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() && !stem.ends_with('/') => {
            format!("{stem}-{}.{extension}", index + 1)
        }
        _ => format!("{path}-{}", index + 1),
    }
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// `base/` and `kotsKinds/` of a release, and what `pull` needs to know of its documents.
#[derive(Debug, Clone, Default)]
pub struct Base {
    /// The files of `base/`, its `kustomization.yaml` last.
    pub files: Vec<GeneratedFile>,
    /// Each document written, by its file name inside `base/`.
    pub documents: Vec<(String, Value)>,
    /// The KOTS kinds of each file (`kotsKinds/PATH`), and their documents.
    pub kots_kinds: Vec<GeneratedFile>,
    pub kots_kind_documents: Vec<(String, Value)>,
    /// Files that are not YAML once rendered (`skippedFiles/PATH`), and why.
    pub skipped: Vec<(GeneratedFile, String)>,
    /// The Application's `spec.additionalImages`, if the release has one.
    pub additional_images: Vec<String>,
    /// The release file holding the Application.
    pub application_file: String,
    /// The Application document, rendered.
    pub application: Option<Value>,
}

/// `base/`, `kotsKinds/` and `skippedFiles/` from the release's rendered files (`(path, text)`
/// pairs): each Kubernetes document that `included` keeps (KOTS's `kots.io/exclude` and
/// `kots.io/when`) in `base/` at its file's path, KOTS kinds left out of it when
/// `exclude_kots_kinds`, and a `kustomization.yaml` listing them; every KOTS kind in
/// `kotsKinds/`, whatever its annotations say (as KOTS keeps them). A file with a document that
/// does not parse goes to `skippedFiles/` whole, as KOTS does.
pub fn base_files(
    rendered: &[(String, String)],
    exclude_kots_kinds: bool,
    resolved_config: Option<&Value>,
    included: &dyn Fn(&str, &Value) -> Result<bool, String>,
) -> Result<Base, String> {
    let mut base = Base::default();
    for (path, text) in rendered.iter().filter(|(path, _)| is_yaml(path)) {
        let documents = split_documents(text);
        // As KOTS: a document that does not parse, or is not a Kubernetes object, sets the
        // whole file aside.
        let parsed: Result<Vec<Value>, String> = documents
            .iter()
            .map(|document| {
                let value = serde_saphyr::from_str::<Value>(document)
                    .map_err(|e| format!("release file `{path}` is not YAML once rendered: {e}"))?;
                let kubernetes = value.is_null() || value["apiVersion"].is_string() && value["kind"].is_string();
                match kubernetes {
                    true => Ok(value),
                    false => Err(format!(
                        "release file `{path}`: a document is not a Kubernetes object (it needs apiVersion and kind)"
                    )),
                }
            })
            .collect();
        let values = match parsed {
            Ok(values) => values,
            Err(reason) => {
                let file = GeneratedFile { path: format!("skippedFiles/{path}"), content: text.clone() };
                base.skipped.push((file, reason));
                continue;
            }
        };
        let mut kots_kinds = Vec::new();
        let count = documents.len();
        for (index, (document, value)) in documents.into_iter().zip(values).enumerate() {
            if !value.is_object() {
                continue;
            }
            let kots_kind = is_kots_kind(&value);
            if kots_kind {
                if is_application(&value) {
                    base.additional_images = additional_images(&value);
                    base.application_file = path.clone();
                    base.application = Some(value.clone());
                }
                let is_config = value["kind"] == "Config" && value["apiVersion"] == "kots.io/v1beta1";
                match resolved_config.filter(|_| is_config) {
                    // The Config as KOTS keeps it: every item with its value and default.
                    Some(config) => {
                        kots_kinds.push(to_yaml(config)?);
                        base.kots_kind_documents.push((format!("kotsKinds/{path}"), config.clone()));
                    }
                    None => {
                        kots_kinds.push(document.clone());
                        base.kots_kind_documents.push((format!("kotsKinds/{path}"), value.clone()));
                    }
                }
            }
            if exclude_kots_kinds && kots_kind || !included(path, &value)? {
                continue;
            }
            let name = document_path(path, index);
            // As KOTS splits a file (on "\n---\n"): every document but the last ends without
            // its newline.
            let content = match index + 1 < count {
                true => document.strip_suffix('\n').unwrap_or(&document).to_owned(),
                false => document,
            };
            base.files.push(GeneratedFile { path: format!("base/{name}"), content });
            base.documents.push((name, value));
        }
        if !kots_kinds.is_empty() {
            base.kots_kinds
                .push(GeneratedFile { path: format!("kotsKinds/{path}"), content: kots_kinds.join("---\n") });
        }
    }
    base.files.push(GeneratedFile {
        path: "base/kustomization.yaml".to_owned(),
        content: base_kustomization(&base.documents),
    });
    if !base.skipped.is_empty() {
        // KOTS's index of them: each path (inside skippedFiles/) and why.
        let entries: Vec<Value> = base
            .skipped
            .iter()
            .map(|(file, reason)| json!({"path": file.path.trim_start_matches("skippedFiles/"), "reason": reason}))
            .collect();
        let index = to_yaml(&json!({ "skippedFiles": entries }))?;
        base.skipped
            .push((GeneratedFile { path: "skippedFiles/_index.yaml".to_owned(), content: index }, String::new()));
    }
    Ok(base)
}

impl Base {
    /// Adds the folders of v1beta1 charts that are part of the app's base (`useHelmInstall:
    /// false`): their files and kustomizations, their documents listed in `base/kustomization.yaml`.
    pub fn add_charts(&mut self, charts: &[crate::pull::ChartBase]) {
        let kustomization = self.files.pop().filter(|file| file.path == "base/kustomization.yaml");
        debug_assert!(kustomization.is_some(), "base/kustomization.yaml is the last file");
        for chart in charts {
            self.files.extend(chart.files());
            self.documents.extend(chart.base_documents());
        }
        self.files.push(GeneratedFile {
            path: "base/kustomization.yaml".to_owned(),
            content: base_kustomization(&self.documents),
        });
    }
}

/// A base's `kustomization.yaml` for its documents (`(path inside the base, document)`), as
/// KOTS writes it: the paths sorted, and a second object of the same kind, name and namespace
/// as a strategic-merge patch of the first (kustomize refuses two).
pub fn base_kustomization(documents: &[(String, Value)]) -> String {
    let mut names: Vec<&(String, Value)> = documents.iter().collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    let mut seen = std::collections::BTreeSet::new();
    let (mut resources, mut patches) = (Vec::new(), Vec::new());
    for (name, value) in names {
        let metadata = &value["metadata"];
        let key =
            [&value["apiVersion"], &value["kind"], &metadata["name"], &metadata["namespace"]].map(Value::to_string);
        if seen.insert(key) { resources.push(name.as_str()) } else { patches.push(name.as_str()) }
    }
    let mut kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "metadata": {"annotations": {"kots.io/kustomization": "base"}},
        "resources": resources,
    });
    if !patches.is_empty() {
        kustomization["patchesStrategicMerge"] = json!(patches);
    }
    if resources.is_empty() {
        // KOTS leaves an empty list out.
        kustomization.as_object_mut().expect("an object").remove("resources");
    }
    crate::folder::to_yaml(&kustomization)
}

fn to_yaml(value: &Value) -> Result<String, String> {
    Ok(crate::folder::to_yaml(value))
}

/// What kots sets in the midstream kustomization on every pull; the rest is the customer's.
#[derive(Debug, Clone, Default)]
pub struct MidstreamOwned {
    pub images: Vec<ImageRewrite>,
    /// `secret.yaml` (the pull secrets), `kots/archive.yaml`.
    pub resources: Vec<String>,
    /// `pullsecrets.yaml`: the pull secret on each workload.
    pub patches_strategic_merge: Vec<String>,
    /// `backup-label-transformer.yaml`.
    pub transformers: Vec<String>,
    /// JSON 6902 patches under `kots/` (the pull secret on pod specs of other kinds): `(path, target)`.
    pub patches: Vec<(String, Value)>,
}

/// The midstream files kots writes beside its own `kots/` folder, with KOTS's names.
pub const MIDSTREAM_FILES: [&str; 3] = ["secret.yaml", "pullsecrets.yaml", "backup-label-transformer.yaml"];

const LISTS: [&str; 5] = ["resources", "patches", "patchesJson6902", "patchesStrategicMerge", "transformers"];

fn is_owned_entry(entry: &Value) -> bool {
    let path = entry.as_str().or_else(|| entry["path"].as_str()).unwrap_or_default();
    path.starts_with(&format!("{}/", crate::pull_secret::OWNED_FOLDER)) || MIDSTREAM_FILES.contains(&path)
}

/// The midstream kustomization: `existing` (the customer's copy, if any) with its own additions
/// kept, and what kots owns set anew: the base, the app-slug annotation, the `images:` rewrites,
/// the entries naming kots's files.
pub fn midstream_kustomization(
    existing: Option<&str>,
    app_slug: &str,
    owned: &MidstreamOwned,
) -> Result<String, String> {
    chart_midstream_kustomization(existing, app_slug, owned, "")
}

/// [`midstream_kustomization`] for the base at `path` in `base/` (`""` for the app's own;
/// `charts/DIR/…` for a v1beta1 chart installed with Helm, whose midstream is
/// `overlays/midstream/PATH/`).
pub fn chart_midstream_kustomization(
    existing: Option<&str>,
    app_slug: &str,
    owned: &MidstreamOwned,
    path: &str,
) -> Result<String, String> {
    let (file, base) = match path {
        "" => ("overlays/midstream/kustomization.yaml".to_owned(), "../../base".to_owned()),
        path => (
            format!("overlays/midstream/{path}/kustomization.yaml"),
            format!("{}base/{path}", "../".repeat(path.split('/').count() + 2)),
        ),
    };
    let mut kustomization: Map<String, Value> = match existing {
        Some(text) => {
            serde_saphyr::from_str(text).map_err(|e| format!("{file} is not valid YAML: {e}; fix or remove it"))?
        }
        None => Map::new(),
    };
    kustomization.insert("apiVersion".to_owned(), json!("kustomize.config.k8s.io/v1beta1"));
    kustomization.insert("kind".to_owned(), json!("Kustomization"));
    let bases = kustomization.entry("bases").or_insert_with(|| json!([]));
    if let Some(list) = bases.as_array_mut()
        && !list.iter().any(|entry| entry == base.as_str())
    {
        list.insert(0, json!(base));
    }
    let annotations = kustomization.entry("commonAnnotations").or_insert_with(|| json!({}));
    if let Some(map) = annotations.as_object_mut() {
        map.insert(APP_SLUG_ANNOTATION.to_owned(), json!(app_slug));
    }
    for key in LISTS {
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
    let paths = |paths: &[String]| paths.iter().map(|path| json!(path)).collect::<Vec<_>>();
    add("resources", paths(&owned.resources));
    add("patchesStrategicMerge", paths(&owned.patches_strategic_merge));
    add("transformers", paths(&owned.transformers));
    add("patches", owned.patches.iter().map(|(path, target)| json!({"path": path, "target": target})).collect());
    for key in LISTS {
        if kustomization.get(key).and_then(Value::as_array).is_some_and(Vec::is_empty) {
            kustomization.remove(key);
        }
    }
    if owned.images.is_empty() {
        kustomization.remove("images");
    } else {
        kustomization.insert("images".to_owned(), serde_json::to_value(&owned.images).expect("entries serialise"));
    }
    // Keys in order, as KOTS writes it (the customer's entries keep their own order inside).
    let mut kustomization: Vec<(String, Value)> = kustomization.into_iter().collect();
    kustomization.sort_by(|a, b| a.0.cmp(&b.0));
    to_yaml(&Value::Object(kustomization.into_iter().collect()))
}

/// `overlays/midstream/backup-label-transformer.yaml`: KOTS's labels for snapshots, on every
/// object and pod template.
pub fn backup_label_transformer(app_slug: &str) -> String {
    format!(
        "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: backup-label-transformer\nlabels:\n  kots.io/app-slug: {app_slug}\n  kots.io/backup: velero\nfieldSpecs:\n- path: metadata/labels\n  create: true\n- version: v1\n  kind: ReplicationController\n  path: spec/template/metadata/labels\n  create: true\n- kind: Deployment\n  path: spec/template/metadata/labels\n  create: true\n- kind: ReplicaSet\n  path: spec/template/metadata/labels\n  create: true\n- kind: DaemonSet\n  path: spec/template/metadata/labels\n  create: true\n- group: apps\n  kind: StatefulSet\n  path: spec/template/metadata/labels\n  create: true\n- group: batch\n  kind: Job\n  path: spec/template/metadata/labels\n  create: true\n- group: batch\n  kind: CronJob\n  path: spec/jobTemplate/metadata/labels\n  create: true\n- group: batch\n  kind: CronJob\n  path: spec/jobTemplate/spec/template/metadata/labels\n  create: true\n"
    )
}

/// A downstream's kustomization: written once, then the customer's.
pub fn downstream_kustomization() -> String {
    "apiVersion: kustomize.config.k8s.io/v1beta1\nbases:\n- ../../midstream\nkind: Kustomization\n".to_owned()
}

/// The downstream kustomization of the chart base at `path` (`charts/DIR/…`): its midstream.
pub fn chart_downstream_kustomization(path: &str) -> String {
    let up = "../".repeat(path.split('/').count() + 2);
    format!("apiVersion: kustomize.config.k8s.io/v1beta1\nbases:\n- {up}midstream/{path}\nkind: Kustomization\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASE: &str = "# the web tier\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\n# nothing here\n---\napiVersion: kots.io/v1beta1\nkind: Application\nmetadata:\n  name: app\n";

    #[test]
    fn splits_as_kots_does_keeping_paths_and_text_with_kots_kinds_apart() {
        let documents = kots_release::documents::split_documents(RELEASE);
        assert_eq!(documents.len(), 3);
        assert!(documents[0].starts_with("# the web tier\n"), "comments are kept");
        let release = [
            ("app/all.yaml".to_owned(), RELEASE.to_owned()),
            ("notes.txt".to_owned(), "x".to_owned()),
            ("broken.yaml".to_owned(), "a: [unclosed\n".to_owned()),
            ("values.yaml".to_owned(), "replicas: 2\n".to_owned()),
        ];
        let base = base_files(&release, true, None, &|_, _| Ok(true)).unwrap();
        assert_eq!(base.application_file, "app/all.yaml");
        assert_eq!(base.documents.len(), 2);
        let paths: Vec<&str> = base.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["base/app/all.yaml", "base/app/all-2.yaml", "base/kustomization.yaml"]);
        let kustomization: Value = serde_saphyr::from_str(&base.files[2].content).unwrap();
        assert_eq!(kustomization["resources"], json!(["app/all-2.yaml", "app/all.yaml"]));
        assert_eq!(kustomization["metadata"]["annotations"]["kots.io/kustomization"], "base");
        assert_eq!(base.kots_kinds.len(), 1);
        assert_eq!(base.kots_kinds[0].path, "kotsKinds/app/all.yaml");
        assert!(base.kots_kinds[0].content.contains("kind: Application"));
        assert_eq!(base.skipped.len(), 3, "files that are not Kubernetes YAML go to skippedFiles/, with KOTS's index");
        assert_eq!(base.skipped[2].0.path, "skippedFiles/_index.yaml");
        let index: Value = serde_saphyr::from_str(&base.skipped[2].0.content).unwrap();
        assert_eq!(index["skippedFiles"][0]["path"], "broken.yaml");
        assert_eq!(index["skippedFiles"][1]["path"], "values.yaml");
        assert!(index["skippedFiles"][0]["reason"].as_str().unwrap().contains("not YAML"), "{index}");
        assert_eq!(base.skipped[0].0.path, "skippedFiles/broken.yaml");
        assert!(base.skipped[0].1.contains("`broken.yaml` is not YAML once rendered"), "{}", base.skipped[0].1);
        let values = base_files(&release[3..], true, None, &|_, _| Ok(true)).unwrap();
        assert!(values.skipped[0].1.contains("`values.yaml`: a document is not a Kubernetes object"));
        let with_kots = base_files(&release[..1], false, None, &|_, _| Ok(true)).unwrap().files;
        assert!(with_kots.iter().any(|f| f.path == "base/app/all-3.yaml"), "the fourth document is the third kept");
    }

    #[test]
    fn a_second_object_of_the_same_name_is_a_patch_as_kots_makes_it() {
        let service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: nginx\nspec:\n  ports: [{port: 80}]\n";
        let other = "apiVersion: v1\nkind: Service\nmetadata:\n  name: nginx\n  namespace: other\n";
        let release = [
            ("a.yaml".to_owned(), service.to_owned()),
            ("b.yaml".to_owned(), service.replace("80", "8080")),
            ("c.yaml".to_owned(), other.to_owned()),
        ];
        let base = base_files(&release, true, None, &|_, _| Ok(true)).unwrap();
        let kustomization: Value = serde_saphyr::from_str(&base.files.last().unwrap().content).unwrap();
        assert_eq!(kustomization["resources"], json!(["a.yaml", "c.yaml"]), "another namespace is another object");
        assert_eq!(kustomization["patchesStrategicMerge"], json!(["b.yaml"]));
    }

    #[test]
    fn the_config_in_kots_kinds_is_the_resolved_one() {
        let text = "apiVersion: kots.io/v1beta1\nkind: Config\nmetadata:\n  name: c\n";
        let resolved = json!({"apiVersion": "kots.io/v1beta1", "kind": "Config", "spec": {"groups": []}, "status": {}});
        let base = base_files(&[("config.yaml".to_owned(), text.to_owned())], true, Some(&resolved), &|_, _| Ok(true))
            .unwrap();
        let written: Value = serde_saphyr::from_str(&base.kots_kinds[0].content).unwrap();
        assert_eq!(written, resolved);
    }

    #[test]
    fn midstream_merge_keeps_the_customers_additions() {
        let images = vec![ImageRewrite { name: "nginx".into(), new_name: "reg/app/nginx".into() }];
        let owned = |images: Vec<ImageRewrite>, patch: &str| MidstreamOwned {
            images,
            resources: vec!["kots/pull-secret.yaml".into()],
            patches: vec![(patch.into(), json!({"kind": "Deployment", "name": "web"}))],
            ..MidstreamOwned::default()
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

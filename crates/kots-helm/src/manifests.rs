//! From the engine's map to what `helm template` prints (`pkg/release/util` `SortManifests`,
//! `cmd/helm template`): each rendered file split into documents, empty ones and partials and
//! `NOTES.txt` left out, hooks (`helm.sh/hook`) apart from the rest, both sorted by Helm's
//! install order of kinds (then by file), each printed as `---\n# Source: PATH\nDOCUMENT\n`.

use std::collections::BTreeMap;

use serde_json::Value;

/// Helm's `InstallOrder`: kinds installed first come first; others after, by kind name.
const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// One document of a rendered file.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The template it came from (`CHART/templates/x.yaml`).
    pub path: String,
    pub content: String,
    pub kind: String,
    /// `helm.sh/hook`, when the document is a hook (`test` hooks included).
    pub hook: Option<String>,
}

/// Helm's `SplitManifests`: documents separated by `---` lines, each trimmed, empty ones gone.
pub fn split(text: &str) -> Vec<String> {
    let mut documents = Vec::new();
    let mut current = String::new();
    for line in text.split('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            documents.push(std::mem::take(&mut current));
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    documents.push(current);
    documents.into_iter().map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()).collect()
}

/// The manifests and the hooks of a render, each sorted as Helm sorts them. Partials and
/// `NOTES.txt` are not manifests.
pub fn sort(rendered: &BTreeMap<String, String>) -> Result<(Vec<Manifest>, Vec<Manifest>), String> {
    let (mut manifests, mut hooks) = (Vec::new(), Vec::new());
    for (path, text) in rendered {
        let base = path.rsplit('/').next().unwrap_or(path);
        // As Helm: partials, and every file whose name ends in NOTES.txt, are not manifests.
        if base.starts_with('_') || path.ends_with("NOTES.txt") {
            continue;
        }
        for content in split(text) {
            let head: Value =
                serde_saphyr::from_str(&content).map_err(|e| format!("YAML parse error on {path}: {e}"))?;
            let kind = head["kind"].as_str().unwrap_or_default().to_owned();
            let hook = head["metadata"]["annotations"]["helm.sh/hook"].as_str().map(str::to_owned);
            // Helm skips a document whose hook list names an event it does not know.
            if hook.as_deref().is_some_and(|hooks| !hooks.split(',').all(is_hook_event)) {
                continue;
            }
            let manifest = Manifest { path: path.clone(), content, kind, hook };
            if manifest.hook.is_some() { hooks.push(manifest) } else { manifests.push(manifest) }
        }
    }
    let rank = |kind: &str| INSTALL_ORDER.iter().position(|k| *k == kind);
    let order = |a: &Manifest, b: &Manifest| match (rank(&a.kind), rank(&b.kind)) {
        (Some(x), Some(y)) if x != y => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) if a.kind != b.kind => a.kind.cmp(&b.kind),
        _ => a.path.cmp(&b.path),
    };
    manifests.sort_by(order);
    hooks.sort_by(order);
    Ok((manifests, hooks))
}

/// Helm's hook events (`test-success` is Helm 2's name for `test`).
fn is_hook_event(event: &str) -> bool {
    const EVENTS: [&str; 10] = [
        "pre-install",
        "post-install",
        "pre-delete",
        "post-delete",
        "pre-upgrade",
        "post-upgrade",
        "pre-rollback",
        "post-rollback",
        "test",
        "test-success",
    ];
    EVENTS.contains(&event.trim().to_lowercase().as_str())
}

/// The documents `helm template` prints, in order: the manifests, then the hooks (test hooks
/// unless `skip_tests`), each as `(template path, document)`.
pub fn print_each(manifests: &[Manifest], hooks: &[Manifest], skip_tests: bool) -> Vec<(String, String)> {
    let is_test = |m: &Manifest| m.hook.as_deref().is_some_and(|h| h.split(',').any(|h| h.trim().starts_with("test")));
    manifests
        .iter()
        .chain(hooks.iter().filter(|m| !(skip_tests && is_test(m))))
        .map(|m| (m.path.clone(), m.content.clone()))
        .collect()
}

/// What `helm template` prints: [`print_each`]'s documents, each under `---` and `# Source:`.
pub fn print(manifests: &[Manifest], hooks: &[Manifest], skip_tests: bool) -> String {
    print_each(manifests, hooks, skip_tests)
        .into_iter()
        .map(|(path, content)| format!("---\n# Source: {path}\n{content}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_split_sorted_by_kind_and_hooks_come_last() {
        let rendered = BTreeMap::from([
            ("c/templates/_h.tpl".to_owned(), "".to_owned()),
            ("c/templates/NOTES.txt".to_owned(), "hi".to_owned()),
            (
                "c/templates/a.yaml".to_owned(),
                "kind: Deployment\nmetadata: {name: d}\n---\n# nothing\n---\nkind: Service\nmetadata: {name: s}\n"
                    .to_owned(),
            ),
            ("c/templates/b.yaml".to_owned(), "kind: ConfigMap\nmetadata: {name: m}\n".to_owned()),
            (
                "c/templates/t.yaml".to_owned(),
                "kind: Pod\nmetadata:\n  name: t\n  annotations: {\"helm.sh/hook\": test}\n".to_owned(),
            ),
            ("c/templates/x.yaml".to_owned(), "kind: Widget\nmetadata: {name: w}\n".to_owned()),
        ]);
        let (manifests, hooks) = sort(&rendered).unwrap();
        let kinds: Vec<&str> = manifests.iter().map(|m| m.kind.as_str()).collect();
        // A comment-only document is kept, as Helm keeps it (an unknown kind, "").
        assert_eq!(kinds, ["ConfigMap", "Service", "Deployment", "", "Widget"]);
        assert_eq!(hooks.len(), 1);
        let printed = print(&manifests, &hooks, false);
        assert!(
            printed.starts_with("---\n# Source: c/templates/b.yaml\nkind: ConfigMap\nmetadata: {name: m}\n---\n"),
            "{printed}"
        );
        assert!(printed.ends_with(
            "# Source: c/templates/t.yaml\nkind: Pod\nmetadata:\n  name: t\n  annotations: {\"helm.sh/hook\": test}\n"
        ));
        assert!(!print(&manifests, &hooks, true).contains("t.yaml"));
    }

    /// As Helm's `releaseutil.SortManifests` and `renderResources` (read from their source): a
    /// document whose hook list names an unknown event is skipped, and so is every file whose
    /// name ends in NOTES.txt.
    #[test]
    fn unknown_hooks_and_notes_files_are_no_manifests() {
        let rendered = BTreeMap::from([
            ("c/templates/MYNOTES.txt".to_owned(), "kind: ConfigMap\nmetadata: {name: n}\n".to_owned()),
            (
                "c/templates/h.yaml".to_owned(),
                "kind: Job\nmetadata:\n  name: a\n  annotations: {\"helm.sh/hook\": \"pre-install, post-deploy\"}\n---\nkind: Job\nmetadata:\n  name: b\n  annotations: {\"helm.sh/hook\": \"Pre-Install,test-success\"}\n".to_owned(),
            ),
        ]);
        let (manifests, hooks) = sort(&rendered).unwrap();
        assert!(manifests.is_empty(), "{manifests:?}");
        assert_eq!(hooks.len(), 1);
        assert!(hooks[0].content.contains("name: b"), "events are read trimmed and lowercased");
    }
}

//! The render step: the release's YAML files as KOTS renders them, split into `base/`
//! documents. Each file goes through KOTS's two template passes (`{{repl …}}`, then
//! `repl{{ … }}`) with KOTS's functions in this pull's context (the license, the version, the
//! Application, the Config's items resolved with their defaults, the customer's registry when
//! images are rewritten); documents that `kots.io/exclude: "true"` or `kots.io/when: "false"`
//! leave out are dropped. Helm charts and `--config-values` join this step later.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use kots_license::License;
use kots_template::kots::{self, KotsContext, LocalRegistry, VersionInfo};

use super::plan::Plan;
use super::source::Release;
use crate::app_folder::{self, Base};
use crate::template;

/// The customer's config values for this pull: `--config-values`, else the ones the app
/// folder kept from an earlier pull; `changed` when they differ from those.
#[derive(Debug, Default)]
pub struct ConfigChoice {
    /// The ConfigValues text to keep in `upstream/userdata/config.yaml`.
    pub text: Option<String>,
    pub values: super::plan::ConfigValues,
    pub changed: bool,
}

/// Reads: `--config-values` (checked by the plan) and `APP/upstream/userdata/config.yaml`.
pub fn config_values(plan: &Plan, app_dir: &std::path::Path) -> anyhow::Result<ConfigChoice> {
    let kept_path = app_dir.join("upstream/userdata/config.yaml");
    let kept = std::fs::read_to_string(&kept_path).ok();
    match (&plan.config_values, kept) {
        (Some((text, values)), kept) => Ok(ConfigChoice {
            changed: kept.as_deref() != Some(text.as_str()),
            text: Some(text.clone()),
            values: values.clone(),
        }),
        (None, Some(text)) => {
            let values = template::read_config_values(&text)
                .map_err(|message| anyhow!("`{}` {message}", kept_path.display()))?;
            Ok(ConfigChoice { text: Some(text), values, changed: false })
        }
        (None, None) => Ok(ConfigChoice::default()),
    }
}

/// Reads: the release files, the license, the config values. Writes nothing; returns the
/// `base/` files and their documents.
pub fn render(plan: &Plan, release: &Release, license: &License, config: &ConfigChoice) -> anyhow::Result<Base> {
    let texts: Vec<(String, String)> = release
        .files
        .iter()
        .filter(|(path, _)| path.ends_with(".yaml") || path.ends_with(".yml"))
        .map(|(path, bytes)| {
            String::from_utf8(bytes.clone())
                .map(|text| (path.clone(), text))
                .map_err(|_| anyhow!("release file `{path}` is not UTF-8 text"))
        })
        .collect::<anyhow::Result<_>>()?;
    let context = context(plan, release, license, &texts, &config.values)?;
    let funcs = Arc::new(kots::funcs(&context));
    let mut rendered = Vec::with_capacity(texts.len());
    for (path, text) in &texts {
        let out =
            kots::render(path, text, &funcs).map_err(|e| anyhow!("release file `{path}` does not render: {e}"))?;
        rendered.push((path.clone(), included_documents(path, &out)?));
    }
    app_folder::base_files(&rendered, plan.exclude_kots_kinds).map_err(anyhow::Error::msg)
}

/// KOTS's template context for this pull.
fn context(
    plan: &Plan,
    release: &Release,
    license: &License,
    texts: &[(String, String)],
    given: &super::plan::ConfigValues,
) -> anyhow::Result<KotsContext> {
    let spec = serde_json::to_value(license).context("reading the license's fields")?["spec"].clone();
    let cursor = &release.cursor;
    let context = KotsContext {
        namespace: plan.namespace.clone(),
        license: Some(spec),
        app_slug: Some(license.app_slug().to_string()),
        version: Some(VersionInfo {
            cursor: cursor.update_cursor.clone(),
            channel_name: cursor.channel_name.clone(),
            version_label: cursor.version_label.clone(),
            release_notes: cursor.release_notes.clone(),
            is_airgap: matches!(plan.source, super::plan::SourceKind::Bundle(_)),
            ..VersionInfo::default()
        }),
        local_registry: plan.target.as_ref().map(|target| LocalRegistry {
            hostname: target.host.clone(),
            namespace: target.namespace.clone(),
            username: plan.registry_credentials.as_ref().map(|c| c.username.clone()).unwrap_or_default(),
            password: plan.registry_credentials.as_ref().map(|c| c.password().to_string()).unwrap_or_default(),
        }),
        ..KotsContext::default()
    };
    let documents = template::parse_documents(texts.iter().map(|(_, text)| text.as_str()));
    Ok(template::with_release(context, &documents, given)?)
}

/// The documents of a rendered file that KOTS keeps: `kots.io/exclude: "true"` and
/// `kots.io/when: "false"` (a bool, or text strconv reads as one) drop a document; a `when`
/// that is neither is an error naming the file.
fn included_documents(path: &str, text: &str) -> anyhow::Result<String> {
    let documents = kots_release::documents::split_documents(text);
    let mut kept = Vec::with_capacity(documents.len());
    for document in documents {
        let Ok(value) = serde_saphyr::from_str::<serde_json::Value>(&document) else {
            kept.push(document);
            continue;
        };
        let annotations = &value["metadata"]["annotations"];
        let flag = |name: &str| -> anyhow::Result<Option<bool>> {
            match &annotations[name] {
                serde_json::Value::Null => Ok(None),
                serde_json::Value::Bool(b) => Ok(Some(*b)),
                serde_json::Value::String(s) => kots::parse_bool(s).map(Some).ok_or_else(|| {
                    anyhow!("release file `{path}`: annotation {name}: {s:?} is neither true nor false once rendered")
                }),
                other => Err(anyhow!("release file `{path}`: annotation {name}: {other} is neither true nor false")),
            }
        };
        if flag("kots.io/exclude")? == Some(true) || flag("kots.io/when")? == Some(false) {
            continue;
        }
        kept.push(document);
    }
    Ok(kept.join("---\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_and_exclude_drop_documents_as_kots_does() {
        let text = "a: 1\nmetadata:\n  annotations:\n    kots.io/when: 'false'\n---\nb: 2\nmetadata:\n  annotations:\n    kots.io/when: \"true\"\n---\nc: 3\nmetadata:\n  annotations:\n    kots.io/exclude: true\n---\nd: 4\n";
        let kept = included_documents("f.yaml", text).unwrap();
        assert!(
            !kept.contains("a: 1") && kept.contains("b: 2") && !kept.contains("c: 3") && kept.contains("d: 4"),
            "{kept}"
        );
        let err = included_documents("f.yaml", "metadata:\n  annotations:\n    kots.io/when: maybe\n").unwrap_err();
        assert!(err.to_string().contains("release file `f.yaml`: annotation kots.io/when: \"maybe\""), "{err}");
    }
}

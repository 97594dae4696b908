//! The render step: the release's YAML files as KOTS renders them, split into `base/`,
//! `kotsKinds/` and `skippedFiles/`. Each file goes through KOTS's two template passes
//! (`{{repl …}}`, then `repl{{ … }}`) with KOTS's functions in this pull's context (the
//! license, the version, the Application, the Config's items resolved with the customer's
//! values and the defaults, the customer's registry when images are rewritten); documents that
//! `kots.io/exclude: "true"` or `kots.io/when: "false"` leave out are dropped. Helm charts join
//! this step in issue 17.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use kots_license::License;
use kots_template::kots::{self, ConfigItemValue, KotsContext, LocalRegistry, VersionInfo};
use serde_json::{Value, json};

use super::plan::{ConfigValues, Plan};
use super::source::Release;
use crate::app_folder::{self, Base};
use crate::template;

/// The name KOTS gives an app's records (Installation, ConfigValues) without an Application.
const DEFAULT_APP_NAME: &str = "replicated-kots-app";

/// The customer's config values for this pull: `--config-values`, else the ones the app
/// folder kept from an earlier pull; `changed` when they differ from those. `encryption_key`
/// is the app folder's (KOTS's `installation.yaml` `encryptionKey`, made on the first pull):
/// password items are kept encrypted with it.
#[derive(Debug, Default)]
pub struct ConfigChoice {
    pub values: ConfigValues,
    pub changed: bool,
    pub encryption_key: String,
}

/// What the customer chose in a set of values: the non-empty values (passwords opened with
/// `key` where they are encrypted) and file names.
fn chosen(values: &ConfigValues, key: &str) -> BTreeMap<String, (String, String)> {
    values
        .iter()
        .filter(|(_, v)| !v.value.is_empty() || !v.filename.is_empty())
        .map(|(name, v)| {
            let value = kots::crypto::decrypt(key, &v.value).unwrap_or_else(|_| v.value.clone());
            (name.clone(), (value, v.filename.clone()))
        })
        .collect()
}

/// Reads: `--config-values` (checked by the plan), `APP/upstream/userdata/config.yaml` and the
/// folder's encryption key.
pub fn config_values(plan: &Plan, app_dir: &std::path::Path) -> anyhow::Result<ConfigChoice> {
    let encryption_key =
        crate::upstream::read_encryption_key(app_dir)?.unwrap_or_else(kots_template::kots::crypto::generate_key);
    let kept_path = app_dir.join("upstream/userdata/config.yaml");
    let kept = match std::fs::read_to_string(&kept_path) {
        Ok(text) => Some(
            template::read_config_values(&text).map_err(|message| anyhow!("`{}` {message}", kept_path.display()))?,
        ),
        Err(_) => None,
    };
    match (&plan.config_values, kept) {
        (Some((_, given)), kept) => Ok(ConfigChoice {
            changed: kept.as_ref().is_none_or(|kept| chosen(kept, &encryption_key) != chosen(given, &encryption_key)),
            values: given.clone(),
            encryption_key,
        }),
        (None, Some(values)) => Ok(ConfigChoice { values, changed: false, encryption_key }),
        (None, None) => Ok(ConfigChoice { encryption_key, ..ConfigChoice::default() }),
    }
}

/// The release rendered: the folder's `base/`, `kotsKinds/` and `skippedFiles/`, and what the
/// records under `userdata/` hold.
#[derive(Debug)]
pub struct Rendered {
    pub base: Base,
    /// The Application's name, or KOTS's default: what the Installation and ConfigValues are called.
    pub app_name: String,
    /// `userdata/config.yaml`: every item's value and default, as KOTS keeps them.
    pub config_values: Option<String>,
    /// Required items that have neither a value nor a default: `name (title)`.
    pub config_needed: Vec<String>,
    /// The v1beta1 charts with `useHelmInstall: true`: bases of their own (those without are
    /// in `base`).
    pub helm_bases: Vec<super::ChartBase>,
}

/// Reads: the release files, the license, the config values. Writes nothing; returns the
/// rendered folder parts.
pub fn render(plan: &Plan, release: &Release, license: &License, config: &ConfigChoice) -> anyhow::Result<Rendered> {
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
    let documents = template::parse_documents(texts.iter().map(|(_, text)| text.as_str()));
    let context = context(plan, release, license, &documents, config)?;
    let funcs = Arc::new(kots::funcs(&context));
    let mut rendered = Vec::with_capacity(texts.len());
    for (path, text) in &texts {
        let out =
            kots::render(path, text, &funcs).map_err(|e| anyhow!("release file `{path}` does not render: {e}"))?;
        rendered.push((path.clone(), out));
    }
    let config_document = documents.iter().find(|d| d["kind"] == "Config" && d["apiVersion"] == "kots.io/v1beta1");
    let passwords = password_items(config_document);
    let key = &config.encryption_key;
    let whole_config = config_document
        .map(|document| kots::render_config_document(document, &context))
        .transpose()
        .map_err(|e| anyhow!("the release's Config does not render: {e}"))?;
    let (config_needed, invalid) = whole_config.as_ref().map(check_config).unwrap_or_default();
    if !invalid.is_empty() {
        bail!("config values refused: {}; fix them in the --config-values file", invalid.join("; "));
    }
    let resolved = whole_config.map(|config| kept_config(config, &passwords, key));
    let mut base = app_folder::base_files(&rendered, plan.exclude_kots_kinds, resolved.as_ref(), &included)
        .map_err(anyhow::Error::msg)?;
    // KOTS's v1beta1 HelmCharts, rendered by Helm and then as the release's files are (not
    // while config is needed).
    let mut helm_bases = Vec::new();
    if config_needed.is_empty() {
        let template = |path: &str, text: &str| {
            kots::render(path, text, &funcs).map_err(|e| anyhow!("{path} does not render: {e}"))
        };
        let charts =
            super::v1beta1::render(&release.files, &base.kots_kind_documents, &plan.helm, &template, &included)?;
        base.add_charts(&charts.in_base);
        helm_bases = charts.helm_bases;
    }
    let app_name = base
        .application
        .as_ref()
        .and_then(|app| app["metadata"]["name"].as_str())
        .unwrap_or(DEFAULT_APP_NAME)
        .to_owned();
    let config_values = (config_document.is_some() || !config.values.is_empty())
        .then(|| config_values_yaml(&app_name, &context.config_values, &passwords, key));
    Ok(Rendered { base, app_name, config_values, config_needed, helm_bases })
}

/// The names of the Config's password items.
fn password_items(config: Option<&Value>) -> BTreeSet<String> {
    let groups = config.map(|config| &config["spec"]["groups"]);
    groups
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|group| group["items"].as_array().into_iter().flatten())
        .filter(|item| item["type"] == "password")
        .filter_map(|item| item["name"].as_str().map(str::to_owned))
        .collect()
}

/// A value as KOTS stores it: a password encrypted with the folder's key, the rest as it is.
fn stored(name: &str, value: &str, passwords: &BTreeSet<String>, key: &str) -> String {
    match passwords.contains(name) && !value.is_empty() {
        true => kots::crypto::encrypt(key, value).unwrap_or_else(|_| value.to_owned()),
        false => value.to_owned(),
    }
}

/// The Config as KOTS keeps it in `kotsKinds/`: rendered whole, as KOTS renders it
/// (`kots::render_config_document`), keys in order, passwords encrypted.
fn kept_config(mut config: Value, passwords: &BTreeSet<String>, key: &str) -> Value {
    for group in config["spec"]["groups"].as_array_mut().into_iter().flatten() {
        for item in group["items"].as_array_mut().into_iter().flatten() {
            let name = item["name"].as_str().unwrap_or_default().to_owned();
            if let Some(value) = item["value"].as_str() {
                item["value"] = json!(stored(&name, value, passwords, key));
            }
        }
    }
    if config.get("status").is_none() {
        config["status"] = json!({});
    }
    crate::folder::sorted_keys(&config)
}

/// `userdata/config.yaml`: a ConfigValues with every item's value, default and file name, the
/// empty ones left out (as KOTS writes it).
fn config_values_yaml(
    app_name: &str,
    values: &BTreeMap<String, ConfigItemValue>,
    passwords: &BTreeSet<String>,
    key: &str,
) -> String {
    let values: serde_json::Map<String, Value> = values
        .iter()
        .map(|(name, item)| {
            let mut entry = serde_json::Map::new();
            let value = stored(name, &item.value, passwords, key);
            for (field, text) in [("default", &item.default), ("value", &value), ("filename", &item.filename)] {
                if !text.is_empty() {
                    entry.insert(field.to_owned(), json!(text));
                }
            }
            (name.clone(), Value::Object(entry))
        })
        .collect();
    let document = json!({
        "apiVersion": "kots.io/v1beta1",
        "kind": "ConfigValues",
        "metadata": {"name": app_name},
        "spec": {"values": values},
        "status": {},
    });
    crate::folder::to_yaml(&crate::folder::sorted_keys(&document))
}

/// The Config rendered whole, checked as KOTS checks it: the required items a customer must
/// still give (`name (title)`: shown, without a value or a default), and the values that do not
/// match their item's `validation.regex` (with the item's message). Hidden items, and those
/// whose group's or own `when` rendered to `"false"` (exactly that, as KOTS reads it), are
/// left alone.
fn check_config(config: &Value) -> (Vec<String>, Vec<String>) {
    let hidden = |node: &Value| node["when"] == "false" || node["when"] == false || node["hidden"] == true;
    let text = |value: &Value| match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let (mut needed, mut invalid) = (Vec::new(), Vec::new());
    for group in config["spec"]["groups"].as_array().into_iter().flatten().filter(|g| !hidden(g)) {
        for item in group["items"].as_array().into_iter().flatten().filter(|i| !hidden(i)) {
            let name = item["name"].as_str().unwrap_or_default();
            let title = item["title"].as_str().unwrap_or_default();
            let named = if title.is_empty() { name.to_owned() } else { format!("{name} ({title})") };
            let value = [text(&item["value"]), text(&item["default"])].into_iter().find(|v| !v.is_empty());
            let has_file = !text(&item["filename"]).is_empty();
            match value {
                None if item["required"] == true && !has_file => needed.push(named),
                None => {}
                Some(value) => {
                    let Some(pattern) = item["validation"]["regex"]["pattern"].as_str() else { continue };
                    let message = item["validation"]["regex"]["message"].as_str().unwrap_or("does not match");
                    match regex::Regex::new(pattern) {
                        Ok(regex) if regex.is_match(&value) => {}
                        Ok(_) => invalid.push(format!("{named}: {message} (the value does not match `{pattern}`)")),
                        Err(e) => {
                            invalid.push(format!("{named}: its validation pattern `{pattern}` is not a regex: {e}"))
                        }
                    }
                }
            }
        }
    }
    (needed, invalid)
}

/// KOTS's template context for this pull.
fn context(
    plan: &Plan,
    release: &Release,
    license: &License,
    documents: &[Value],
    config: &ConfigChoice,
) -> anyhow::Result<KotsContext> {
    let spec = serde_json::to_value(license).context("reading the license's fields")?["spec"].clone();
    let cursor = &release.cursor;
    let application = documents.iter().find(|d| kots_release::documents::is_application(d)).map(|app| &app["spec"]);
    let domains = crate::private_images::vendor_domains(
        application,
        release.registry_domain.as_deref(),
        release.proxy_domain.as_deref(),
    );
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
            // The vendor's names for its registry and proxy (its release API's headers), where
            // the Application sets none of its own.
            replicated_registry_domain: domains.0,
            replicated_proxy_domain: domains.1,
            ..VersionInfo::default()
        }),
        local_registry: plan.target.as_ref().map(|target| LocalRegistry {
            hostname: target.host.clone(),
            namespace: target.namespace.clone(),
            username: plan.registry_credentials.as_ref().map(|c| c.username.clone()).unwrap_or_default(),
            password: plan.registry_credentials.as_ref().map(|c| c.password().to_string()).unwrap_or_default(),
        }),
        // Passwords kept by an earlier pull are encrypted; KOTS opens them for rendering.
        encryption_key: Some(config.encryption_key.clone()),
        decrypt_values: true,
        ..KotsContext::default()
    };
    Ok(kots::with_release(context, documents, &config.values)?)
}

/// Whether KOTS deploys a rendered document: `kots.io/exclude: "true"` and `kots.io/when:
/// "false"` (a bool, or text strconv reads as one) leave it out; a `when` that is neither is an
/// error naming the file.
fn included(path: &str, value: &Value) -> Result<bool, String> {
    let annotations = &value["metadata"]["annotations"];
    let flag = |name: &str| -> Result<Option<bool>, String> {
        match &annotations[name] {
            Value::Null => Ok(None),
            Value::Bool(b) => Ok(Some(*b)),
            Value::String(s) => kots::parse_bool(s).map(Some).ok_or_else(|| {
                format!("release file `{path}`: annotation {name}: {s:?} is neither true nor false once rendered")
            }),
            other => Err(format!("release file `{path}`: annotation {name}: {other} is neither true nor false")),
        }
    };
    Ok(flag("kots.io/exclude")? != Some(true) && flag("kots.io/when")? != Some(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_is_checked_as_kots_checks_it() {
        let config = json!({"spec": {"groups": [
            {"name": "shown", "items": [
                {"name": "host", "title": "Host", "required": true, "value": "", "default": ""},
                {"name": "zero", "required": true, "when": "0", "value": "", "default": ""},
                {"name": "off", "required": true, "when": "false", "value": "", "default": ""},
                {"name": "secret", "required": true, "hidden": true, "value": "", "default": ""},
                {"name": "port", "required": true, "value": "", "default": "80"},
                {"name": "email", "value": "nobody", "default": "",
                 "validation": {"regex": {"pattern": "^[^@]+@[^@]+$", "message": "an email address"}}},
                {"name": "name", "value": "web", "validation": {"regex": {"pattern": "^[a-z]+$"}}},
            ]},
            {"name": "hidden", "when": "false", "items": [{"name": "inner", "required": true}]},
        ]}});
        let (needed, invalid) = check_config(&config);
        assert_eq!(needed, ["host (Host)", "zero"], "only exactly \"false\" hides, as KOTS reads `when`");
        assert_eq!(invalid, ["email: an email address (the value does not match `^[^@]+@[^@]+$`)"]);
    }

    #[test]
    fn when_and_exclude_drop_documents_as_kots_does() {
        let with = |annotations: Value| json!({"a": 1, "metadata": {"annotations": annotations}});
        assert!(!included("f.yaml", &with(json!({"kots.io/when": "false"}))).unwrap());
        assert!(included("f.yaml", &with(json!({"kots.io/when": "true"}))).unwrap());
        assert!(!included("f.yaml", &with(json!({"kots.io/exclude": true}))).unwrap());
        assert!(!included("f.yaml", &with(json!({"kots.io/exclude": "1"}))).unwrap());
        assert!(included("f.yaml", &json!({"d": 4})).unwrap());
        let err = included("f.yaml", &with(json!({"kots.io/when": "maybe"}))).unwrap_err();
        assert!(err.contains("release file `f.yaml`: annotation kots.io/when: \"maybe\""), "{err}");
    }
}

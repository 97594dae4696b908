//! `kubectl kots download NAMESPACE`: the app folder back from the cluster, from the archive
//! ConfigMaps the midstream applied (see [`crate::app_archive`]), read through the Kubernetes
//! API with the user's kubeconfig, or offline from `kubectl get configmap … -o yaml` output.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

use kots_release::slug::check_app_slug;

use crate::app_archive::{self, LABEL_PARTS, LABEL_SLUG};
use crate::folder::{self, Staging};

#[derive(Debug, Clone)]
pub struct DownloadOptions {
    pub namespace: String,
    pub slug: Option<String>,
    pub dest: PathBuf,
    pub overwrite: bool,
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub from_file: Option<PathBuf>,
}

/// The label selector that finds archive ConfigMaps (of one app, if given).
pub fn label_selector(slug: Option<&str>) -> String {
    match slug {
        Some(slug) => format!("{LABEL_PARTS},{LABEL_SLUG}={slug}"),
        None => LABEL_PARTS.to_owned(),
    }
}

/// ConfigMaps from `kubectl get … -o yaml|json` output: a `List` (or `ConfigMapList`), or a
/// stream of documents.
pub fn configmaps_from_text(text: &str, origin: &str) -> anyhow::Result<Vec<Value>> {
    let mut configmaps = Vec::new();
    for document in kots_release::documents::split_documents(text) {
        let value: Value = serde_saphyr::from_str(&document)
            .or_else(|_| serde_json::from_str(&document))
            .map_err(|e| anyhow::anyhow!("{origin} is not YAML or JSON: {e}"))?;
        match value["kind"].as_str() {
            Some("List") | Some("ConfigMapList") => {
                configmaps.extend(value["items"].as_array().into_iter().flatten().cloned());
            }
            Some("ConfigMap") => configmaps.push(value),
            _ => {}
        }
    }
    Ok(configmaps)
}

async fn configmaps_from_cluster(options: &DownloadOptions) -> anyhow::Result<(Vec<Value>, String)> {
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::{Api, ListParams};
    use kube::config::{KubeConfigOptions, Kubeconfig};

    let kubeconfig_options = KubeConfigOptions { context: options.context.clone(), ..KubeConfigOptions::default() };
    let config: anyhow::Result<kube::Config> = match &options.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .with_context(|| format!("cannot read the kubeconfig `{}`", path.display()))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &kubeconfig_options).await.map_err(anyhow::Error::from)
        }
        None if options.context.is_some() => {
            kube::Config::from_kubeconfig(&kubeconfig_options).await.map_err(anyhow::Error::from)
        }
        None => kube::Config::infer().await.map_err(anyhow::Error::from),
    };
    let config = config.context("cannot load a kubeconfig (KUBECONFIG, ~/.kube/config, --kubeconfig, --context)")?;
    let server = config.cluster_url.to_string();
    let client = kube::Client::try_from(config).context("cannot set up the Kubernetes client")?;
    let api: Api<ConfigMap> = Api::namespaced(client, &options.namespace);
    let params = ListParams::default().labels(&label_selector(options.slug.as_deref()));
    let list = api.list(&params).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot list ConfigMaps in namespace `{}` of the cluster at {server}: {e}; check the kubeconfig and context, or run `kubectl get configmap -n {} -l {} -o yaml > archive.yaml` where the cluster is reachable and pass --from-file archive.yaml",
            options.namespace,
            options.namespace,
            label_selector(options.slug.as_deref())
        )
    })?;
    let values = list.items.iter().map(serde_json::to_value).collect::<Result<Vec<_>, _>>()?;
    Ok((values, format!("namespace `{}` of the cluster at {server}", options.namespace)))
}

/// Writes the app folder; returns its path.
pub async fn download(options: &DownloadOptions) -> anyhow::Result<PathBuf> {
    let (configmaps, origin) = match &options.from_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))?;
            let origin = format!("`{}`", path.display());
            (configmaps_from_text(&text, &origin)?, origin)
        }
        None => configmaps_from_cluster(options).await?,
    };
    if let Some(slug) = &options.slug {
        check_app_slug(slug).map_err(|reason| anyhow::anyhow!("--slug: {reason}"))?;
    }
    let found = app_archive::reassemble(&configmaps, options.slug.as_deref(), &origin)?;
    // The folder is named by the archive's label: only a slug, so that it stays in --dest.
    check_app_slug(&found.app_slug).map_err(|reason| {
        anyhow::anyhow!("{origin} names its app `{}`: {reason}; nothing was written", found.app_slug.escape_debug())
    })?;
    let app_dir = options.dest.join(&found.app_slug);
    if app_dir.exists() && !options.overwrite {
        anyhow::bail!(
            "`{}` exists; pass --overwrite to replace its upstream/, base/, overlays/, kotsKinds/ and skippedFiles/ (images/ and other files are kept), or --dest elsewhere",
            app_dir.display()
        );
    }
    let files = kots_release::archive::unpack_tgz(&found.archive, &format!("the archive of `{}`", found.app_slug))?;
    let staging = Staging::prepare(&app_dir)?;
    write_folder(staging.path(), &found, &files)?;
    staging.commit()?;
    Ok(app_dir)
}

fn write_folder(root: &Path, found: &app_archive::FoundArchive, files: &[(String, Vec<u8>)]) -> anyhow::Result<()> {
    for folder_name in app_archive::FOLDERS {
        folder::remove(&root.join(folder_name))?;
    }
    for (path, content) in files {
        let top = path.split('/').next().unwrap_or_default();
        if !path.contains('/') || !app_archive::FOLDERS.contains(&top) {
            anyhow::bail!(
                "the archive of `{}` holds `{path}`, outside {}",
                found.app_slug,
                app_archive::FOLDERS.map(|f| format!("{f}/")).join(", ")
            );
        }
        folder::write(&root.join(path), content)?;
    }
    let configmaps = app_archive::configmaps_file(&found.app_slug, &found.archive);
    folder::write(&root.join("overlays/midstream").join(&configmaps.path), configmaps.content.as_bytes())
}

/// `kubectl kots archive refresh APP_DIR`: the archive ConfigMaps made anew from the folder, after
/// the customer edited it by hand. Returns the number of parts.
pub fn refresh(app_dir: &Path) -> anyhow::Result<usize> {
    let license_path = app_dir.join("upstream/userdata/license.yaml");
    let license = kots_license::License::load(&license_path).map_err(|e| {
        anyhow::anyhow!(
            "`{}` is not an app folder of kubectl kots (cannot read {}: {e})",
            app_dir.display(),
            license_path.display()
        )
    })?;
    let midstream = app_dir.join("overlays/midstream");
    let kustomization_path = midstream.join("kustomization.yaml");
    let text = std::fs::read_to_string(&kustomization_path)
        .with_context(|| format!("cannot read `{}`", kustomization_path.display()))?;
    let mut kustomization: serde_json::Map<String, Value> = serde_saphyr::from_str(&text)
        .map_err(|e| anyhow::anyhow!("`{}` is not valid YAML: {e}", kustomization_path.display()))?;
    let resources = kustomization.entry("resources").or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = resources.as_array_mut()
        && !list.iter().any(|entry| entry == app_archive::ARCHIVE_FILE)
    {
        list.push(Value::from(app_archive::ARCHIVE_FILE));
        let text = serde_saphyr::to_string(&Value::Object(kustomization)).expect("plain data serialises");
        folder::write(&kustomization_path, text.as_bytes())?;
    }
    let archive = app_archive::build(app_dir)?;
    let file = app_archive::configmaps_file(license.app_slug(), &archive);
    folder::write(&midstream.join(&file.path), file.content.as_bytes())?;
    Ok(archive.len().div_ceil(app_archive::PART_SIZE).max(1))
}

//! `pull`'s options checked once, before any work (as ripgrep turns `LowArgs` into `HiArgs`):
//! every flag that can be wrong is refused here, with the flag named, so that the steps after
//! it never meet an invalid combination.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::bail;
use kots_transfer::{ClientOptions, Credentials};

use super::PullOptions;
use super::printer::Printer;
use crate::naming::{ImageNaming, RegistryTarget};
use crate::upstream::Upstream;

/// Where the release comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// The vendor's `replicated://` API at the license's endpoint.
    Vendor,
    /// A folder of release files (`--local-path`).
    LocalPath(PathBuf),
    /// An airgap bundle (`--airgap-bundle`): release and images, no network but the registry.
    Bundle(PathBuf),
}

/// A pull that can be carried out: the options, validated and resolved.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `replicated://APP[/CHANNEL]` as given; `None` when the airgap bundle names the app.
    pub upstream: Option<Upstream>,
    pub source: SourceKind,
    pub license_file: PathBuf,
    pub trusted_keys: Vec<PathBuf>,
    /// With `--rewrite-images`: the registry (and namespace) the images go to.
    pub target: Option<RegistryTarget>,
    pub registry_credentials: Option<Credentials>,
    /// `--no-push`: rewrite names to the target without reading or pushing an image.
    pub no_push: bool,
    pub image_naming: ImageNaming,
    /// Registry host → (mirror host, plain HTTP), from `--registry-mirror`.
    pub mirrors: HashMap<String, (String, bool)>,
    /// TLS settings for every connection (vendor and registries).
    pub client_options: ClientOptions,
    pub concurrency: usize,
    pub rootdir: PathBuf,
    pub namespace: Option<String>,
    pub downstream: String,
    /// What the release's Helm charts render with: the namespace (`--namespace`, or `default`)
    /// and `.Capabilities` (`--kube-version`).
    pub helm: kots_helm::engine::Options,
    /// `--private-registry`, checked: `host[:port]`, lower case.
    pub private_registries: Vec<String>,
    pub exclude_kots_kinds: bool,
    /// `--config-values`: the file's text and its values, read and checked up front.
    pub config_values: Option<(String, ConfigValues)>,
    pub printer: Printer,
}

/// Config item values by name.
pub type ConfigValues = std::collections::BTreeMap<String, kots_template::kots::ConfigItemValue>;

impl Plan {
    pub fn new(options: &PullOptions) -> anyhow::Result<Plan> {
        let source = match (&options.airgap_bundle, &options.local_path) {
            (Some(bundle), _) => SourceKind::Bundle(bundle.clone()),
            (None, Some(folder)) => SourceKind::LocalPath(folder.clone()),
            (None, None) => SourceKind::Vendor,
        };
        if matches!(source, SourceKind::Bundle(_)) && !options.rewrite_images {
            bail!(
                "--airgap-bundle needs --rewrite-images and --registry-endpoint: the bundle's images must go to a registry the cluster reaches"
            );
        }
        let upstream = options.upstream.as_deref().map(Upstream::parse).transpose().map_err(anyhow::Error::msg)?;
        if upstream.is_none() && !matches!(source, SourceKind::Bundle(_)) {
            bail!("which app? pass replicated://APP_SLUG[/CHANNEL] (or --airgap-bundle FILE)");
        }
        if options.concurrency == 0 {
            bail!("--concurrency must be at least 1");
        }
        let target = match (&options.registry_endpoint, options.rewrite_images) {
            (Some(endpoint), true) => Some(
                RegistryTarget::parse(endpoint, options.image_namespace.as_deref())
                    .map_err(|reason| anyhow::anyhow!("--registry-endpoint: {reason}"))?,
            ),
            (None, true) => bail!("--rewrite-images needs --registry-endpoint (the registry to push the images to)"),
            (_, false) => None,
        };
        if options.no_push && target.is_none() {
            bail!(
                "--no-push goes with --rewrite-images and --registry-endpoint: it says the images are in that registry already"
            );
        }
        Ok(Plan {
            upstream,
            source,
            license_file: options.license_file.clone(),
            trusted_keys: options.trusted_keys.clone(),
            target,
            registry_credentials: options.registry_credentials.clone(),
            no_push: options.no_push,
            image_naming: options.image_naming,
            mirrors: parse_mirrors(&options.registry_mirrors)?,
            client_options: ClientOptions {
                insecure: options.insecure_skip_tls_verify,
                ca_file: options.ca_cert.clone(),
                ..ClientOptions::default()
            },
            concurrency: options.concurrency,
            rootdir: options.rootdir.clone(),
            namespace: options.namespace.clone(),
            downstream: options.downstream.clone(),
            helm: helm_settings(options)?,
            private_registries: options
                .private_registries
                .iter()
                .map(|host| private_registry(host))
                .collect::<anyhow::Result<_>>()?,
            exclude_kots_kinds: options.exclude_kots_kinds,
            config_values: options.config_values.as_deref().map(read_config_values).transpose()?,
            printer: Printer { quiet: options.quiet, json: options.json },
        })
    }
}

/// A `--private-registry` host: `host[:port]`, as image names write registries.
fn private_registry(text: &str) -> anyhow::Result<String> {
    let host = text.trim().trim_end_matches('/').to_lowercase();
    let probe = format!("{host}/probe:1");
    let valid = !host.is_empty()
        && !host.contains('/')
        && kots_oci::ImageReference::parse(&probe).is_ok_and(|reference| reference.registry() == host);
    if !valid {
        bail!("--private-registry `{text}` is not a registry host (host[:port], no scheme or path)");
    }
    Ok(host)
}

/// `--namespace` and `--kube-version` as the charts' renders take them.
fn helm_settings(options: &PullOptions) -> anyhow::Result<kots_helm::engine::Options> {
    let mut settings = kots_helm::engine::Options::default();
    if let Some(namespace) = &options.namespace {
        settings.namespace = namespace.clone();
    }
    if let Some(version) = &options.kube_version {
        settings.kube_version =
            kots_helm::engine::check_kube_version(version).map_err(|e| anyhow::anyhow!("--kube-version: {e}"))?;
    }
    Ok(settings)
}

/// A ConfigValues file, refused with its name when it cannot be read or is not one.
fn read_config_values(path: &std::path::Path) -> anyhow::Result<(String, ConfigValues)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read --config-values `{}`: {e}", path.display()))?;
    let values = crate::template::read_config_values(&text)
        .map_err(|message| anyhow::anyhow!("--config-values `{}` {message}", path.display()))?;
    Ok((text, values))
}

/// `REGISTRY=ENDPOINT` pairs: registry host → (mirror host, plain HTTP).
fn parse_mirrors(mirrors: &[String]) -> anyhow::Result<HashMap<String, (String, bool)>> {
    mirrors
        .iter()
        .map(|text| {
            let (registry, host, plain_http) = kots_transfer::parse_mirror(text).map_err(anyhow::Error::msg)?;
            Ok((registry, (host, plain_http)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> PullOptions {
        PullOptions {
            upstream: Some("replicated://myapp".to_owned()),
            airgap_bundle: None,
            license_file: "license.yaml".into(),
            rewrite_images: false,
            no_push: false,
            image_namespace: None,
            registry_endpoint: None,
            registry_credentials: None,
            rootdir: ".".into(),
            namespace: None,
            downstream: "this-cluster".to_owned(),
            kube_version: None,
            private_registries: Vec::new(),
            exclude_kots_kinds: true,
            image_naming: ImageNaming::Flatten,
            config_values: None,
            trusted_keys: Vec::new(),
            ca_cert: None,
            insecure_skip_tls_verify: false,
            local_path: None,
            registry_mirrors: Vec::new(),
            concurrency: 8,
            quiet: false,
            json: false,
        }
    }

    fn refused(options: PullOptions) -> String {
        Plan::new(&options).expect_err("refused").to_string()
    }

    #[test]
    fn invalid_combinations_are_refused_before_any_work() {
        let bundle = PullOptions { airgap_bundle: Some("app.airgap".into()), ..options() };
        assert!(refused(bundle).contains("--airgap-bundle needs --rewrite-images"));
        assert!(refused(PullOptions { upstream: None, ..options() }).starts_with("which app?"));
        assert!(refused(PullOptions { concurrency: 0, ..options() }).contains("--concurrency"));
        assert!(refused(PullOptions { no_push: true, ..options() }).contains("--no-push goes with --rewrite-images"));
        let rewrite = PullOptions { rewrite_images: true, ..options() };
        assert!(refused(rewrite).contains("--rewrite-images needs --registry-endpoint"));
        let mirror = PullOptions { registry_mirrors: vec!["no-equals-sign".to_owned()], ..options() };
        Plan::new(&mirror).expect_err("a mirror without `=` is refused");
        let kube = PullOptions { kube_version: Some("one.thirty".to_owned()), ..options() };
        assert!(refused(kube).contains("--kube-version: kube version `one.thirty` is not a Kubernetes version"));
        let bad = PullOptions { private_registries: vec!["https://quay.io/acme".to_owned()], ..options() };
        assert!(refused(bad).contains("--private-registry `https://quay.io/acme` is not a registry host"));
        let good =
            PullOptions { private_registries: vec!["Quay.IO".to_owned(), "127.0.0.1:5001".to_owned()], ..options() };
        assert_eq!(Plan::new(&good).unwrap().private_registries, ["quay.io", "127.0.0.1:5001"]);
        let kube = PullOptions { kube_version: Some("1.30".to_owned()), ..options() };
        assert_eq!(Plan::new(&kube).unwrap().helm.kube_version, "v1.30.0");
    }

    #[test]
    fn a_bundle_wins_over_a_local_path_and_names_the_app() {
        let options = PullOptions {
            upstream: None,
            airgap_bundle: Some("app.airgap".into()),
            local_path: Some("release".into()),
            rewrite_images: true,
            registry_endpoint: Some("registry.example/apps".to_owned()),
            ..options()
        };
        let plan = Plan::new(&options).unwrap();
        assert_eq!(plan.source, SourceKind::Bundle("app.airgap".into()));
        assert!(plan.upstream.is_none());
        assert_eq!(plan.target.unwrap().host, "registry.example");
    }
}

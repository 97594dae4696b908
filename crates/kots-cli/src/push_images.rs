//! `kubectl kots push-images BUNDLE REGISTRY/NAMESPACE`: an airgap bundle's images into a
//! registry, streamed from the bundle, without an app folder.

use std::collections::BTreeMap;
use std::path::PathBuf;

use kots_oci::ImageReference;
use kots_release::bundle::BundleReader;
use kots_release::images::FoundImage;
use kots_transfer::{BlobCache, ClientOptions, Credentials, PushedImage, RegistryClient, push_bundle_images};

use crate::naming::{ImageNaming, RegistryTarget, destination_names};
use crate::progress::Progress;

#[derive(Debug, Clone)]
pub struct PushImagesOptions {
    pub bundle: PathBuf,
    pub registry: String,
    pub credentials: Option<Credentials>,
    pub image_naming: ImageNaming,
    pub ca_cert: Option<PathBuf>,
    pub insecure_skip_tls_verify: bool,
    pub quiet: bool,
}

pub async fn push_images(options: &PushImagesOptions) -> anyhow::Result<Vec<PushedImage>> {
    let target =
        RegistryTarget::parse(&options.registry, None).map_err(|reason| anyhow::anyhow!("REGISTRY: {reason}"))?;
    let mut bundle =
        BundleReader::open_file(&options.bundle, &format!("bundle `{}`", options.bundle.display())).await?;
    let mut carried = BTreeMap::new();
    for (name, _) in &bundle.images {
        let reference =
            ImageReference::parse(name).map_err(|e| anyhow::anyhow!("{}: image `{name}`: {e}", bundle.name()))?;
        carried.insert(name.clone(), FoundImage { reference, files: Default::default() });
    }
    let destinations = destination_names(&carried, &target, options.image_naming).map_err(anyhow::Error::msg)?;
    let targets = carried
        .iter()
        .map(|(name, image)| {
            let (host, repository) =
                destinations[&image.reference.name()].split_once('/').expect("destinations have a host");
            (name.clone(), image.reference.with_name(host, repository))
        })
        .collect();
    let client_options = ClientOptions {
        credentials: options.credentials.clone(),
        plain_http: target.plain_http,
        insecure: options.insecure_skip_tls_verify,
        ca_file: options.ca_cert.clone(),
        ..ClientOptions::default()
    };
    let client = RegistryClient::new(&target.host, &client_options)?;
    if let Some(first) = destinations.values().next() {
        let repository = first.strip_prefix(&format!("{}/", target.host)).unwrap_or(first);
        client
            .check_push(repository)
            .await
            .map_err(|e| target.refused(e, "check --registry-username/--registry-password"))?;
    }
    let progress = Progress::start(format!("pushing to {}", target.host), options.quiet);
    // Where this user's earlier pushes and copies left each blob: mount candidates.
    let cache = BlobCache::from_env();
    let pushed = push_bundle_images(&mut bundle, &targets, &client, cache.as_ref(), progress.sender()).await;
    progress.finish().await;
    Ok(pushed?)
}

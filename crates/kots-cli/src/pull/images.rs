//! The images steps: find every image the rendered documents use, then (with
//! `--rewrite-images`) save them into `images/` and push them to the customer's registry, or
//! push them from the airgap bundle as it is read. Also which registries the cluster must log
//! in to, and the kustomize `images:` rewrites.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use anyhow::bail;
use kots_license::License;
use kots_oci::ImageReference;
use kots_release::bundle::BundleReader;
use kots_release::images::{FoundImage, find_images};
use kots_transfer::{ClientOptions, CopyOptions, Credentials, Endpoint, RegistryClient, Summary};

use super::ImageSummary;
use super::plan::Plan;
use super::source::Release;
use crate::app_folder::Base;
use crate::naming::{ImageRewrite, RegistryTarget, destination_names, kustomize_images};
use crate::private_images::PrivateImages;
use crate::pull_secret::RegistryLogin;

/// Every image the documents use, by each spelling found.
pub struct Found {
    pub images: BTreeMap<String, FoundImage>,
    /// The folders of `base/` that are bases of their own (v1beta1 charts installed with Helm,
    /// `base/charts/DIR/…/`), each with its own midstream.
    pub helm_bases: Vec<String>,
}

impl Found {
    /// The spellings `base/` uses: the only ones the midstream's `images:` can rewrite (KOTS
    /// kinds and charts are not deployed through it).
    fn in_base(&self) -> BTreeMap<String, FoundImage> {
        self.in_folder("base/")
    }

    /// The spellings the files of folder `prefix` (`base/…/`) use, those of the bases of their
    /// own inside it left out.
    fn in_folder(&self, prefix: &str) -> BTreeMap<String, FoundImage> {
        let deeper: Vec<String> =
            self.helm_bases.iter().map(|path| format!("base/{path}/")).filter(|p| p != prefix).collect();
        let own = |file: &String| {
            file.starts_with(prefix) && !deeper.iter().any(|d| d.starts_with(prefix) && file.starts_with(d.as_str()))
        };
        let used = |image: &&FoundImage| image.files.iter().any(own);
        self.images.iter().filter(|(_, image)| used(image)).map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// The kustomize `images:` of the base and of each base of its own, by its path (`""` for
    /// the app's base).
    fn rewrites(&self, destinations: &BTreeMap<String, String>) -> BTreeMap<String, Vec<ImageRewrite>> {
        let mut rewrites = BTreeMap::from([(String::new(), kustomize_images(&self.in_base(), destinations))]);
        for path in &self.helm_bases {
            rewrites.insert(path.clone(), kustomize_images(&self.in_folder(&format!("base/{path}/")), destinations));
        }
        rewrites
    }

    /// The spellings of each image, by its full reference.
    fn by_image(&self) -> BTreeMap<String, Vec<&FoundImage>> {
        let mut by_image: BTreeMap<String, Vec<&FoundImage>> = BTreeMap::new();
        for image in self.images.values() {
            by_image.entry(image.reference.to_string()).or_default().push(image);
        }
        by_image
    }
}

/// Where the images went: one summary each, the kustomize rewrites, the logins the cluster
/// needs.
#[derive(Default)]
pub struct Placed {
    pub summaries: Vec<ImageSummary>,
    /// The kustomize `images:` of each base, by its path in `base/` (`""` for the app's).
    pub rewrites: BTreeMap<String, Vec<ImageRewrite>>,
    pub logins: Vec<RegistryLogin>,
    /// Source name (`registry/repository`) → destination name, for every image moved: what
    /// rewrites the images outside `base/` (the charts' documents).
    pub destinations: BTreeMap<String, String>,
}

impl Placed {
    /// `image` as it is to be pulled now: its destination (same tag and digest), or itself.
    pub fn rewritten(&self, image: &str) -> String {
        let Ok(reference) = ImageReference::parse(image) else { return image.to_owned() };
        match self.destinations.get(&reference.name()).and_then(|name| name.split_once('/')) {
            Some((host, repository)) => reference.with_name(host, repository).to_string(),
            None => image.to_owned(),
        }
    }
}

/// Reads: the `base/` documents, the KOTS kinds (preflight and support-bundle collectors run
/// images too), the rendered charts and the Application's `additionalImages`. Writes nothing.
pub fn find(
    plan: &Plan,
    base: &Base,
    helm_bases: &[super::ChartBase],
    charts: &[(String, serde_json::Value)],
) -> anyhow::Result<Found> {
    plan.printer.step("Finding images");
    let documents: Vec<(String, serde_json::Value)> = base
        .documents
        .iter()
        .cloned()
        .chain(helm_bases.iter().flat_map(super::ChartBase::base_documents))
        .map(|(name, value)| (format!("base/{name}"), value))
        .chain(base.kots_kind_documents.iter().filter(|(_, value)| value["kind"] != "Application").cloned())
        .chain(charts.iter().cloned())
        .collect();
    let application_file = format!("upstream/{}", base.application_file);
    let (images, bad) = find_images(&documents, &base.additional_images, &application_file);
    if let Some(first) = bad.first() {
        bail!("{} uses image `{}`, which is not a valid image reference: {}", first.file, first.text, first.reason);
    }
    let found = Found { images, helm_bases: helm_bases.iter().map(|base| base.path.clone()).collect() };
    for (image, spellings) in &found.by_image() {
        plan.printer.detail(format!("{image}  ({})", files_of(spellings).join(", ")));
    }
    if found.images.is_empty() {
        plan.printer.detail("no images");
    }
    Ok(found)
}

/// The images for `installation.yaml`'s `knownImages`, as the release spells them; private are
/// those on the vendor's registry or Replicated's (KOTS also asks other registries whether they
/// let anyone pull; offline we cannot: docs/kots-compat.md).
pub fn known_images(found: &Found, private: &PrivateImages) -> Vec<crate::upstream::KnownImage> {
    let mut known: Vec<crate::upstream::KnownImage> = found
        .images
        .iter()
        .map(|(spelling, image)| crate::upstream::KnownImage {
            image: spelling.clone(),
            is_private: private.is_private(&image.reference),
        })
        .collect();
    known.sort_by(|a, b| a.image.cmp(&b.image));
    known.dedup();
    known
}

/// Without `--rewrite-images` the images stay where they are; the vendor registry's are pulled
/// with the license. With it, every image goes to the target registry (from the bundle, or
/// through `root/images/`). Reads: the source registries or the bundle. Writes: `root/images/`,
/// the customer's registry.
pub async fn place(
    plan: &Plan,
    found: &Found,
    release: &Release,
    license: &License,
    bundle: Option<&mut BundleReader>,
    (root, private): (&Path, &PrivateImages),
) -> anyhow::Result<Placed> {
    let Some(target) = &plan.target else { return Ok(left_in_place(found, private)) };
    let mut copy_options = copy_options(plan, release, license, private);
    let carried = carried_images(found, bundle.as_deref())?;
    let destinations = private_destinations(&carried, private, target, plan.image_naming)?;
    let destination_options = ClientOptions {
        credentials: plan.registry_credentials.clone(),
        plain_http: target.plain_http,
        ..plan.client_options.clone()
    };
    copy_options.registries.insert(target.host.clone(), destination_options.clone());
    if plan.no_push {
        return Ok(named_only(plan, found, &destinations, target));
    }
    // One client for the push check and the bundle's pushes: its TLS set-up and tokens once.
    let client = RegistryClient::new(&target.host, &destination_options)?;
    if let Some(first) = destinations.values().next() {
        plan.printer.step(format!("Checking that {} accepts pushes", target.host));
        let repository = first.strip_prefix(&format!("{}/", target.host)).unwrap_or(first);
        client.check_push(repository).await.map_err(|e| {
            let hint = format!("check --registry-username/--registry-password (or `docker login {}`)", target.host);
            target.refused(e, &hint)
        })?;
    }
    let summaries = match bundle {
        Some(bundle) => push_from_bundle(plan, found, (&carried, &destinations), bundle, target, &client).await?,
        None => {
            let online = OnlineImages { copy_options: &copy_options, mirrors: &plan.mirrors, root, private };
            save_and_push(plan, &found.by_image(), &destinations, target, &online).await?
        }
    };
    let mut placed = Placed {
        summaries,
        rewrites: found.rewrites(&destinations),
        logins: Vec::new(),
        destinations: destinations.clone(),
    };
    match &plan.registry_credentials {
        Some(credentials) => placed.logins.push(RegistryLogin {
            host: target.host.clone(),
            username: credentials.username.clone(),
            password: credentials.password().to_owned(),
        }),
        None => plan.printer.detail(
            "no pull secret written: pass --registry-username/--registry-password if the cluster must log in to pull",
        ),
    }
    Ok(placed)
}

/// The destination of every image carried, as [`destination_names`] gives them; names of one
/// private image (`registry.replicated.com/APP/X` and the vendor host's `APP/X`, a linked
/// registry's `HOST/P` and its proxy name) are one image, read from one place: they share the
/// destination of the first (a non-proxy name first), rather than collide.
fn private_destinations(
    carried: &BTreeMap<String, FoundImage>,
    private: &PrivateImages,
    target: &RegistryTarget,
    naming: crate::naming::ImageNaming,
) -> anyhow::Result<BTreeMap<String, String>> {
    let is_proxy_name =
        |image: &FoundImage| matches!(private.kind(&image.reference), crate::private_images::Kind::Proxy { .. });
    let mut ordered: Vec<(&String, &FoundImage)> = carried.iter().collect();
    ordered.sort_by_key(|(_, image)| is_proxy_name(image));
    let mut canonical: BTreeMap<(String, String), String> = BTreeMap::new();
    let (mut distinct, mut aliases) = (BTreeMap::new(), Vec::new());
    for (spelling, image) in ordered {
        let name = image.reference.name();
        match private.source(&image.reference) {
            Some((host, repository, _)) => match canonical.get(&(host.clone(), repository.clone())) {
                Some(first) if *first != name => aliases.push((name, first.clone())),
                Some(_) => {}
                None => {
                    canonical.insert((host, repository), name);
                    distinct.insert(spelling.clone(), image.clone());
                }
            },
            None => {
                distinct.insert(spelling.clone(), image.clone());
            }
        }
    }
    let mut destinations = destination_names(&distinct, target, naming).map_err(anyhow::Error::msg)?;
    for (alias, first) in aliases {
        if let Some(destination) = destinations.get(&first).cloned() {
            destinations.insert(alias, destination);
        }
    }
    Ok(destinations)
}

/// `--no-push`: the images are in the target registry already (KOTS's read-only registry): each
/// is listed with its new name; nothing is read or pushed, not even to check.
fn named_only(plan: &Plan, found: &Found, destinations: &BTreeMap<String, String>, target: &RegistryTarget) -> Placed {
    plan.printer.step(format!("Rewriting image names to {} (--no-push: nothing is pushed)", target.prefix()));
    let mut placed =
        Placed { rewrites: found.rewrites(destinations), destinations: destinations.clone(), ..Placed::default() };
    for (image, spellings) in &found.by_image() {
        let reference = &spellings[0].reference;
        let destination = destinations
            .get(&reference.name())
            .and_then(|name| name.split_once('/'))
            .map(|(host, repository)| reference.with_name(host, repository).to_string());
        placed.summaries.push(ImageSummary {
            source: image.clone(),
            destination,
            digest: None,
            files: files_of(spellings),
            blobs_sent: 0,
            bytes_sent: 0,
        });
    }
    if let Some(credentials) = &plan.registry_credentials {
        placed.logins.push(RegistryLogin {
            host: target.host.clone(),
            username: credentials.username.clone(),
            password: credentials.password().to_owned(),
        });
    }
    placed
}

/// Not rewritten: each image listed as found, the private ones named as the cluster pulls them
/// (the vendor's registry domain, or its proxy), which it logs in to with the license (the
/// midstream's pull secret).
fn left_in_place(found: &Found, private: &PrivateImages) -> Placed {
    let destinations: BTreeMap<String, String> = found
        .images
        .values()
        .filter_map(|image| {
            let name = private.cluster_name(&image.reference)?;
            (name != image.reference.name()).then(|| (image.reference.name(), name))
        })
        .collect();
    let mut placed =
        Placed { rewrites: found.rewrites(&destinations), destinations: destinations.clone(), ..Placed::default() };
    for (image, spellings) in &found.by_image() {
        placed.summaries.push(ImageSummary {
            source: image.clone(),
            destination: None,
            digest: None,
            files: files_of(spellings),
            blobs_sent: 0,
            bytes_sent: 0,
        });
    }
    placed
}

/// The transfer engine's settings: the plan's TLS everywhere, the license for the vendor's
/// registry, plain HTTP for mirrors that asked for it.
fn copy_options(plan: &Plan, release: &Release, license: &License, private: &PrivateImages) -> CopyOptions {
    let base = &plan.client_options;
    let mut copy_options = CopyOptions {
        source: base.clone(),
        destination: base.clone(),
        concurrency: plan.concurrency,
        // Where this user's earlier copies left each blob: mount candidates.
        blob_cache: kots_transfer::BlobCache::from_env(),
        ..CopyOptions::default()
    };
    if let Some(domain) = &release.registry_domain {
        let credentials = Credentials::new(license.id().as_str(), license.id().as_str());
        copy_options.registries.insert(
            domain.clone(),
            ClientOptions { credentials: Some(credentials), plain_http: release.vendor_plain_http, ..base.clone() },
        );
    }
    // The vendor's server, where private images are read (its registry and its proxy).
    if let Some((host, plain_http)) = &private.endpoint {
        let credentials = Credentials::new(license.id().as_str(), license.id().as_str());
        copy_options.registries.insert(
            host.clone(),
            ClientOptions { credentials: Some(credentials), plain_http: *plain_http, ..base.clone() },
        );
    }
    for (mirror, plain_http) in plan.mirrors.values() {
        copy_options.registries.insert(mirror.clone(), ClientOptions { plain_http: *plain_http, ..base.clone() });
    }
    copy_options
}

/// The images that travel: those found, plus (from a bundle) every image it carries, which must
/// include each one found.
fn carried_images(found: &Found, bundle: Option<&BundleReader>) -> anyhow::Result<BTreeMap<String, FoundImage>> {
    let mut carried = found.images.clone();
    let Some(bundle) = bundle else { return Ok(carried) };
    for (image, spellings) in &found.by_image() {
        if !bundle.images.iter().any(|(name, _)| name == image) {
            bail!(
                "{} does not carry image {image}, which {} uses; ask the vendor for a bundle built for this release",
                bundle.name(),
                files_of(spellings).join(", ")
            );
        }
    }
    for (name, _) in &bundle.images {
        let reference =
            ImageReference::parse(name).map_err(|e| anyhow::anyhow!("{}: image `{name}`: {e}", bundle.name()))?;
        carried.entry(name.clone()).or_insert(FoundImage { reference, files: Default::default() });
    }
    Ok(carried)
}

/// Airgap: every image the bundle carries, pushed as the bundle is read.
async fn push_from_bundle(
    plan: &Plan,
    found: &Found,
    (carried, destinations): (&BTreeMap<String, FoundImage>, &BTreeMap<String, String>),
    bundle: &mut BundleReader,
    target: &RegistryTarget,
    client: &RegistryClient,
) -> anyhow::Result<Vec<ImageSummary>> {
    let targets = bundle
        .images
        .iter()
        .map(|(name, _)| {
            let reference = carried[name].reference.clone();
            let (host, repository) = destinations[&reference.name()].split_once('/').expect("destinations have a host");
            (name.clone(), reference.with_name(host, repository))
        })
        .collect();
    plan.printer.step(format!("Pushing {} images from the bundle to {}", bundle.images.len(), target.host));
    let progress = plan.printer.progress(format!("pushing to {}", target.host));
    let pushed = {
        let cache = kots_transfer::BlobCache::from_env();
        kots_transfer::push_bundle_images(bundle, &targets, client, cache.as_ref(), progress.sender()).await
    };
    progress.finish().await;
    let pushed = pushed.map_err(|e| anyhow::anyhow!("{e:#}; the app folder was left unchanged"))?;
    let by_image = found.by_image();
    let mut summaries = Vec::new();
    for image in pushed {
        let summary = &image.summary;
        plan.printer.detail(format!("{}: {}", image.destination, summary.pushed_line()));
        summaries.push(ImageSummary {
            files: by_image.get(&image.image).map(|spellings| files_of(spellings)).unwrap_or_default(),
            digest: summary.digest.as_ref().map(ToString::to_string),
            blobs_sent: summary.blobs_sent,
            bytes_sent: summary.bytes_sent,
            source: image.image,
            destination: Some(image.destination),
        });
    }
    Ok(summaries)
}

/// What the online image steps need besides the images.
struct OnlineImages<'a> {
    copy_options: &'a CopyOptions,
    mirrors: &'a HashMap<String, (String, bool)>,
    /// The staging folder.
    root: &'a Path,
    /// Private images are read at the vendor's server.
    private: &'a PrivateImages,
}

/// Online: every image from where it lives into `APP/images/`, then from there to the customer's
/// registry.
async fn save_and_push(
    plan: &Plan,
    by_image: &BTreeMap<String, Vec<&FoundImage>>,
    destinations: &BTreeMap<String, String>,
    target: &RegistryTarget,
    context: &OnlineImages<'_>,
) -> anyhow::Result<Vec<ImageSummary>> {
    let OnlineImages { copy_options, mirrors, root, private } = *context;
    let printer = &plan.printer;
    let layout_dir = root.join("images");
    let layout = |image: &str| Endpoint::Layout { directory: layout_dir.clone(), reference: Some(image.to_owned()) };
    let pairs: Vec<(Endpoint, Endpoint)> = by_image
        .keys()
        .map(|image| {
            let reference = ImageReference::parse(image)?;
            let source = match (private.source(&reference), mirrors.get(reference.registry())) {
                // The vendor's registry, or its proxy for a linked registry, with the license.
                (Some((host, repository, plain_http)), _) => {
                    Endpoint::Registry { reference: reference.with_name(&host, &repository), plain_http }
                }
                (None, Some((host, plain_http))) => Endpoint::Registry {
                    reference: reference.with_name(host, reference.repository()),
                    plain_http: *plain_http,
                },
                (None, None) => Endpoint::Registry { reference, plain_http: false },
            };
            Ok((source, layout(image)))
        })
        .collect::<anyhow::Result<_>>()?;
    printer.step(format!("Saving {} images into images/", pairs.len()));
    let progress = printer.progress("saving images".to_owned());
    let saved = kots_transfer::copy_many(&pairs, copy_options, progress.sender()).await;
    progress.finish().await;
    for ((image, (source, _)), result) in by_image.keys().zip(&pairs).zip(&saved) {
        if let Err(error) = result {
            // The image as the release names it, and where it was read when that is elsewhere.
            let source = source.to_string();
            let named = match source.ends_with(image.as_str()) || source == *image {
                true => image.clone(),
                false => format!("{image} (read as {source})"),
            };
            bail!("{}", image_error(&named, error, root));
        }
    }

    let pushes: Vec<(Endpoint, Endpoint, String)> = by_image
        .keys()
        .map(|image| {
            let reference = ImageReference::parse(image)?;
            let name = &destinations[&reference.name()];
            let (host, repository) = name.split_once('/').expect("destinations have a host");
            let destination = reference.with_name(host, repository);
            Ok((
                layout(image),
                Endpoint::Registry { reference: destination.clone(), plain_http: target.plain_http },
                destination.to_string(),
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    printer.step(format!("Pushing {} images to {}", pushes.len(), target.host));
    let progress = printer.progress(format!("pushing to {}", target.host));
    let pairs: Vec<(Endpoint, Endpoint)> = pushes.iter().map(|(s, d, _)| (s.clone(), d.clone())).collect();
    let pushed = kots_transfer::copy_many(&pairs, copy_options, progress.sender()).await;
    progress.finish().await;
    let mut summaries = Vec::new();
    for (((image, spellings), (_, _, destination)), result) in by_image.iter().zip(&pushes).zip(pushed) {
        let summary: Summary = result.map_err(|e| {
            anyhow::anyhow!("cannot push {image} to {destination}: {e}; the app folder was left unchanged")
        })?;
        printer.detail(format!("{destination}: {}", summary.line()));
        summaries.push(ImageSummary {
            source: image.clone(),
            destination: Some(destination.clone()),
            digest: summary.digest.as_ref().map(ToString::to_string),
            files: files_of(spellings),
            blobs_sent: summary.blobs_sent,
            bytes_sent: summary.bytes_sent,
        });
    }
    Ok(summaries)
}

/// The files using any spelling of one image, sorted, each once.
fn files_of(spellings: &[&FoundImage]) -> Vec<String> {
    let files: BTreeSet<&String> = spellings.iter().flat_map(|s| s.files.iter()).collect();
    files.into_iter().cloned().collect()
}

/// An image that could not be saved, said so that the user knows which and why.
fn image_error(source: &str, error: &kots_transfer::Error, root: &Path) -> String {
    match error {
        kots_transfer::Error::NotFound { .. } => {
            format!(
                "image {source} is missing upstream ({error}); ask the vendor to publish it. The app folder was left unchanged"
            )
        }
        kots_transfer::Error::Io { source: io, .. } if io.kind() == std::io::ErrorKind::StorageFull => format!(
            "not enough disk space to save {source} under {} ({error}); free some space or use --rootdir on a larger disk. The app folder was left unchanged",
            root.parent().unwrap_or(root).display()
        ),
        _ => format!("cannot save image {source}: {error}; the app folder was left unchanged"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_errors_say_what_to_do() {
        let full = kots_transfer::Error::Io {
            path: "/x/.app.kots-staging/images/blobs/sha256/ab".into(),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        let message = image_error("docker.io/library/nginx:1.25", &full, Path::new("/x/.app.kots-staging"));
        assert!(
            message.starts_with("not enough disk space to save docker.io/library/nginx:1.25 under /x"),
            "{message}"
        );
        assert!(message.contains("--rootdir") && message.contains("left unchanged"), "{message}");
        let missing = kots_transfer::Error::NotFound { what: "manifest `9.9`".into(), location: "reg/busybox".into() };
        let message = image_error("reg/busybox:9.9", &missing, Path::new("/x"));
        assert!(message.contains("missing upstream") && message.contains("ask the vendor"), "{message}");
    }
}

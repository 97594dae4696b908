//! `kubectl kots pull`: license → release → app folder → images → overlays, every step told to
//! the user, the folder changed only when all of it succeeded (see [`crate::folder`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use kots_license::License;
use kots_oci::ImageReference;
use kots_transfer::{ClientOptions, CopyOptions, Credentials, Endpoint, RegistryClient, Summary};
use serde::Serialize;
use serde_json::Value;

use crate::app_folder::{self, GeneratedFile, MidstreamOwned};
use crate::folder::{self, Staging};
use crate::naming::{ImageNaming, ImageRewrite, RegistryTarget, TARGET_RECORD, destination_names, kustomize_images};
use crate::progress::Progress;
use crate::pull_secret::{self, RegistryLogin};
use crate::upstream::{self, Cursor, Upstream, VendorApi};
use kots_release::bundle::BundleReader;
use kots_release::images::{FoundImage, find_images};

/// Everything `pull` is told.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// `replicated://APP[/CHANNEL]`; may be left out with an airgap bundle.
    pub upstream: Option<String>,
    /// Release and images from this airgap bundle instead of the network.
    pub airgap_bundle: Option<PathBuf>,
    pub license_file: PathBuf,
    pub rewrite_images: bool,
    pub image_namespace: Option<String>,
    pub registry_endpoint: Option<String>,
    pub registry_credentials: Option<Credentials>,
    pub rootdir: PathBuf,
    pub namespace: Option<String>,
    pub downstream: String,
    pub exclude_kots_kinds: bool,
    pub image_naming: ImageNaming,
    pub trusted_keys: Vec<PathBuf>,
    pub ca_cert: Option<PathBuf>,
    pub insecure_skip_tls_verify: bool,
    pub local_path: Option<PathBuf>,
    /// `REGISTRY=ENDPOINT`: pull images of REGISTRY from ENDPOINT instead (`http://` for plain).
    pub registry_mirrors: Vec<String>,
    pub concurrency: usize,
    pub quiet: bool,
}

/// What `pull` did, for `-o json` and the closing lines.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PullSummary {
    pub app_slug: String,
    pub app_dir: PathBuf,
    pub updated: bool,
    pub previous_version: Option<String>,
    pub version_label: String,
    pub channel_sequence: String,
    pub images: Vec<ImageSummary>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageSummary {
    pub source: String,
    pub destination: Option<String>,
    pub digest: Option<String>,
    pub files: Vec<String>,
    pub blobs_sent: u64,
    pub bytes_sent: u64,
}

/// One step's heading on stderr.
fn step(quiet: bool, text: impl std::fmt::Display) {
    if !quiet {
        eprintln!("• {text}");
    }
}

fn detail(quiet: bool, text: impl std::fmt::Display) {
    if !quiet {
        eprintln!("    {text}");
    }
}

fn client_options(options: &PullOptions) -> ClientOptions {
    ClientOptions {
        insecure: options.insecure_skip_tls_verify,
        ca_file: options.ca_cert.clone(),
        ..ClientOptions::default()
    }
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

/// With `--rewrite-images` to another registry (or naming) than the folder's images are in:
/// where they were, for the message.
fn moved_target(app_dir: &Path, target: Option<&RegistryTarget>, naming: ImageNaming) -> Option<String> {
    let target = target?;
    let recorded = std::fs::read_to_string(app_dir.join("overlays/midstream").join(TARGET_RECORD)).ok();
    if recorded.as_deref() == Some(target.record(naming).as_str()) {
        return None;
    }
    Some(match recorded {
        Some(text) => text
            .lines()
            .find_map(|line| line.strip_prefix("registry: ").map(str::to_owned))
            .unwrap_or_else(|| "another registry".to_owned()),
        None => "not rewritten".to_owned(),
    })
}

fn images_move(quiet: bool, was: String, target: Option<&RegistryTarget>) -> String {
    let to = target.map(RegistryTarget::prefix).unwrap_or_default();
    detail(quiet, format!("no newer release, but the images move to {to} (were: {was})"));
    was
}

fn up_to_date(app_slug: &str, app_dir: PathBuf, previous: &Cursor) -> PullSummary {
    eprintln!(
        "{app_slug} is up to date: version {} (channel {}, sequence {}); nothing changed",
        previous.version_label, previous.channel_name, previous.update_cursor
    );
    PullSummary {
        app_slug: app_slug.to_owned(),
        app_dir,
        updated: false,
        previous_version: Some(previous.version_label.clone()),
        version_label: previous.version_label.clone(),
        channel_sequence: previous.update_cursor.clone(),
        images: Vec::new(),
    }
}

pub async fn pull(options: &PullOptions) -> anyhow::Result<PullSummary> {
    let quiet = options.quiet;
    let mut bundle = match &options.airgap_bundle {
        Some(path) => {
            step(quiet, format!("Reading airgap bundle {}", path.display()));
            if !options.rewrite_images {
                bail!(
                    "--airgap-bundle needs --rewrite-images and --registry-endpoint: the bundle's images must go to a registry the cluster reaches"
                );
            }
            let file = tokio::fs::File::open(path)
                .await
                .with_context(|| format!("cannot open the airgap bundle `{}`", path.display()))?;
            Some(BundleReader::open(file, &format!("bundle `{}`", path.display())).await?)
        }
        None => None,
    };
    let upstream = match (&options.upstream, &bundle) {
        (Some(text), _) => Upstream::parse(text).map_err(anyhow::Error::msg)?,
        (None, Some(bundle)) => Upstream { app_slug: bundle.airgap.app_slug.clone(), channel: None },
        (None, None) => bail!("which app? pass replicated://APP_SLUG[/CHANNEL] (or --airgap-bundle FILE)"),
    };
    if let Some(bundle) = &bundle
        && bundle.airgap.app_slug != upstream.app_slug
    {
        bail!("{} holds app `{}`, not `{}`", bundle.name(), bundle.airgap.app_slug, upstream.app_slug);
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
    let mirrors = parse_mirrors(&options.registry_mirrors)?;

    // 1. The license.
    step(quiet, format!("Verifying license {}", options.license_file.display()));
    let origin = format!("`{}`", options.license_file.display());
    let license = License::load(&options.license_file)
        .map_err(|e| anyhow::anyhow!("cannot read the license file {origin}: {e}"))?;
    let (trusted, looked) = crate::license::trusted_keys(&options.trusted_keys)?;
    let (verified, channel_id) =
        crate::license::check(&license, &origin, &trusted, &looked, &upstream.app_slug, upstream.channel.as_deref())?;
    if let Some(bundle) = &bundle {
        crate::license::check_bundle_channel(&verified.license, &origin, &bundle.airgap)?;
    }
    let mut license = verified.license;
    let mut license_yaml = std::fs::read_to_string(&options.license_file)?;
    detail(
        quiet,
        format!(
            "license {} for {} ({}), signed by key {}",
            license.id(),
            license.customer_name(),
            license.license_type(),
            verified.global_key_id
        ),
    );

    let app_dir = options.rootdir.join(&upstream.app_slug);
    let previous = upstream::read_installation(&app_dir)?;
    let registry_client_options = client_options(options);
    // Set when the release is the installed one but the images must go to another registry.
    let mut moved: Option<String> = None;

    // 2. The release.
    let (files, cursor, registry_domain, vendor_plain_http) = match (&options.local_path, &bundle) {
        (_, Some(bundle)) => {
            let airgap = &bundle.airgap;
            let cursor = Cursor {
                update_cursor: airgap.update_cursor.clone(),
                channel_id: airgap.channel_id.clone(),
                channel_name: airgap.channel_name.clone(),
                version_label: airgap.version_label.clone(),
                release_notes: airgap.release_notes.clone(),
                released_at: String::new(),
            };
            detail(
                quiet,
                format!(
                    "version {} (channel {}, sequence {}), {} images",
                    cursor.version_label,
                    cursor.channel_name,
                    cursor.update_cursor,
                    bundle.images.len()
                ),
            );
            if let Some(previous) = previous.as_ref().filter(|previous| previous.channel_id == cursor.channel_id) {
                let sequence = |text: &str| text.parse::<i64>().ok();
                match (sequence(&previous.update_cursor), sequence(&cursor.update_cursor)) {
                    (Some(had), Some(now)) if now == had => {
                        match moved_target(&app_dir, target.as_ref(), options.image_naming) {
                            None => return Ok(up_to_date(&upstream.app_slug, app_dir, previous)),
                            Some(was) => moved = Some(images_move(quiet, was, target.as_ref())),
                        }
                    }
                    (Some(had), Some(now)) if now < had => bail!(
                        "{} holds version {} (sequence {now}), older than the installed {} (sequence {had}); nothing changed",
                        bundle.name(),
                        cursor.version_label,
                        previous.version_label
                    ),
                    _ => {}
                }
            }
            let files =
                kots_release::archive::unpack_tgz(&bundle.app_archive, &format!("{} app.tar.gz", bundle.name()))?;
            (files, cursor, None, false)
        }
        (Some(folder), None) => {
            step(quiet, format!("Reading release files from {}", folder.display()));
            let files = upstream::local_release(folder)?;
            let cursor =
                Cursor { update_cursor: "local".to_owned(), channel_id: channel_id.clone(), ..Cursor::default() };
            (files, cursor, None, false)
        }
        (None, None) => {
            let endpoint = license.endpoint().to_owned();
            if endpoint.is_empty() {
                bail!("license {origin} names no endpoint; use --local-path with the release files");
            }
            let api = VendorApi::new(&endpoint, license.id().as_str(), &registry_client_options)?;
            step(quiet, format!("Refreshing the license from {endpoint}"));
            let fresh_yaml = api.license(&upstream.app_slug).await?;
            let fresh = License::parse(&fresh_yaml)
                .map_err(|e| anyhow::anyhow!("the vendor sent a license that cannot be read: {e}"))?;
            let (fresh, _) = crate::license::check(
                &fresh,
                "from the vendor",
                &trusted,
                &looked,
                &upstream.app_slug,
                Some(&channel_id),
            )?;
            if fresh.license.sequence() != license.sequence() {
                detail(
                    quiet,
                    format!("license updated: sequence {} → {}", license.sequence(), fresh.license.sequence()),
                );
            }
            license = fresh.license;
            license_yaml = fresh_yaml;
            let mut newer = None;
            if let Some(previous) = previous.as_ref().filter(|previous| previous.channel_id == channel_id) {
                step(quiet, "Checking for updates");
                let pending = api.pending(&upstream.app_slug, &channel_id, &previous.update_cursor).await?;
                if !pending.is_empty() {
                    newer = Some(pending);
                } else {
                    match moved_target(&app_dir, target.as_ref(), options.image_naming) {
                        None => return Ok(up_to_date(&upstream.app_slug, app_dir, previous)),
                        Some(was) => moved = Some(images_move(quiet, was, target.as_ref())),
                    }
                }
            }
            step(quiet, format!("Downloading the release of replicated://{}", upstream.app_slug));
            let release = api.release(&upstream.app_slug, &channel_id).await?;
            let mut cursor = release.cursor;
            // The release notes come with the pending list: the one the update check fetched,
            // or just the entry of this release.
            let listed = match newer {
                Some(pending) => Ok(pending),
                None => {
                    let before = cursor.update_cursor.parse::<i64>().map_or(0, |sequence| sequence - 1);
                    api.pending(&upstream.app_slug, &channel_id, &before.to_string()).await
                }
            };
            if let Ok(pending) = listed
                && let Some(found) = pending.iter().find(|p| p.channel_sequence.to_string() == cursor.update_cursor)
            {
                cursor.release_notes = found.release_notes.clone();
            }
            detail(
                quiet,
                format!(
                    "version {} (channel {}, sequence {}), {} files",
                    cursor.version_label,
                    cursor.channel_name,
                    cursor.update_cursor,
                    release.files.len()
                ),
            );
            (release.files, cursor, release.registry_domain, endpoint.starts_with("http://"))
        }
    };

    // 3. The folder's generated parts.
    step(quiet, format!("Writing {}", app_dir.display()));
    let texts: Vec<(String, String)> = files
        .iter()
        .filter(|(path, _)| path.ends_with(".yaml") || path.ends_with(".yml"))
        .map(|(path, bytes)| {
            String::from_utf8(bytes.clone())
                .map(|text| (path.clone(), text))
                .map_err(|_| anyhow::anyhow!("release file `{path}` is not UTF-8 text"))
        })
        .collect::<anyhow::Result<_>>()?;
    let base = app_folder::base_files(&texts, options.exclude_kots_kinds).map_err(anyhow::Error::msg)?;

    // 4. The images.
    step(quiet, "Finding images");
    let documents: Vec<(String, Value)> =
        base.documents.iter().map(|(name, value)| (format!("base/{name}"), value.clone())).collect();
    let application_file = format!("upstream/{}", base.application_file);
    let (found, bad) = find_images(&documents, &base.additional_images, &application_file);
    if let Some(first) = bad.first() {
        bail!("{} uses image `{}`, which is not a valid image reference: {}", first.file, first.text, first.reason);
    }
    let mut by_image: BTreeMap<String, Vec<&FoundImage>> = BTreeMap::new();
    for image in found.values() {
        by_image.entry(image.reference.to_string()).or_default().push(image);
    }
    for (image, spellings) in &by_image {
        detail(quiet, format!("{image}  ({})", files_of(spellings).join(", ")));
    }
    if found.is_empty() {
        detail(quiet, "no images");
    }

    let staging = Staging::prepare(&app_dir)?;
    let root = staging.path().to_owned();
    folder::remove(&root.join("upstream"))?;
    folder::remove(&root.join("base"))?;
    for (path, content) in &files {
        folder::write(&root.join("upstream").join(path), content)?;
    }
    folder::write(&root.join("upstream/userdata/license.yaml"), license_yaml.as_bytes())?;
    folder::write(
        &root.join("upstream/userdata/installation.yaml"),
        upstream::installation_yaml(&upstream.app_slug, &cursor).as_bytes(),
    )?;
    folder::write_files(&root, &base.files)?;

    let mut rewrites: Vec<ImageRewrite> = Vec::new();
    let mut image_summaries = Vec::new();
    let mut logins: Vec<RegistryLogin> = Vec::new();
    let license_credentials = Credentials::new(license.id().as_str(), license.id().as_str());
    let mut copy_options = CopyOptions {
        source: registry_client_options.clone(),
        destination: registry_client_options.clone(),
        concurrency: options.concurrency,
        ..CopyOptions::default()
    };
    if let Some(domain) = &registry_domain {
        copy_options.registries.insert(
            domain.clone(),
            ClientOptions {
                credentials: Some(license_credentials.clone()),
                plain_http: vendor_plain_http,
                ..registry_client_options.clone()
            },
        );
    }
    for (mirror, plain_http) in mirrors.values() {
        copy_options
            .registries
            .insert(mirror.clone(), ClientOptions { plain_http: *plain_http, ..registry_client_options.clone() });
    }

    if let Some(target) = &target {
        // 5. Copy every image into images/, then push each to the customer's registry (or push
        // them from the bundle as it is read).
        let mut carried = found.clone();
        if let Some(bundle) = &bundle {
            for (image, spellings) in &by_image {
                if !bundle.images.iter().any(|(name, _)| name == image) {
                    bail!(
                        "{} does not carry image {image}, which {} uses; ask the vendor for a bundle built for this release",
                        bundle.name(),
                        files_of(spellings).join(", ")
                    );
                }
            }
            for (name, _) in &bundle.images {
                let reference = ImageReference::parse(name)
                    .map_err(|e| anyhow::anyhow!("{}: image `{name}`: {e}", bundle.name()))?;
                carried.entry(name.clone()).or_insert(FoundImage { reference, files: Default::default() });
            }
        }
        let destinations = destination_names(&carried, target, options.image_naming).map_err(anyhow::Error::msg)?;
        let destination_options = ClientOptions {
            credentials: options.registry_credentials.clone(),
            plain_http: target.plain_http,
            ..registry_client_options.clone()
        };
        copy_options.registries.insert(target.host.clone(), destination_options.clone());
        if let Some(first) = destinations.values().next() {
            step(quiet, format!("Checking that {} accepts pushes", target.host));
            let repository = first.strip_prefix(&format!("{}/", target.host)).unwrap_or(first);
            RegistryClient::new(&target.host, &destination_options)?.check_push(repository).await.map_err(|e| {
                let hint = format!("check --registry-username/--registry-password (or `docker login {}`)", target.host);
                target.refused(e, &hint)
            })?;
        }
        if let Some(bundle) = bundle.as_mut() {
            let targets = bundle
                .images
                .iter()
                .map(|(name, _)| {
                    let reference = carried[name].reference.clone();
                    let (host, repository) =
                        destinations[&reference.name()].split_once('/').expect("destinations have a host");
                    (name.clone(), reference.with_name(host, repository))
                })
                .collect();
            step(quiet, format!("Pushing {} images from the bundle to {}", bundle.images.len(), target.host));
            let client = RegistryClient::new(&target.host, &destination_options)?;
            let progress = Progress::start(format!("pushing to {}", target.host), quiet);
            let pushed = crate::airgap::push_bundle_images(bundle, &targets, &client, progress.sender()).await;
            progress.finish().await;
            let pushed = pushed.map_err(|e| anyhow::anyhow!("{e:#}; the app folder was left unchanged"))?;
            for image in pushed {
                detail(
                    quiet,
                    format!(
                        "{}: sent {} blobs ({}), skipped {}, mounted {}",
                        image.destination,
                        image.blobs_sent,
                        kots_transfer::human_bytes(image.bytes_sent),
                        image.blobs_skipped,
                        image.blobs_mounted
                    ),
                );
                image_summaries.push(ImageSummary {
                    files: by_image.get(&image.image).map(|spellings| files_of(spellings)).unwrap_or_default(),
                    source: image.image,
                    destination: Some(image.destination),
                    digest: Some(image.digest),
                    blobs_sent: image.blobs_sent,
                    bytes_sent: image.bytes_sent,
                });
            }
        } else {
            let context = OnlineImages { copy_options: &copy_options, mirrors: &mirrors, root: &root, quiet };
            image_summaries = save_and_push(&by_image, &destinations, target, &context).await?;
        }
        rewrites = kustomize_images(&found, &destinations);
        match &options.registry_credentials {
            Some(credentials) => logins.push(RegistryLogin {
                host: target.host.clone(),
                username: credentials.username.clone(),
                password: credentials.password().to_owned(),
            }),
            None => detail(
                quiet,
                "no pull secret written: pass --registry-username/--registry-password if the cluster must log in to pull",
            ),
        }
    } else {
        for (image, spellings) in &by_image {
            image_summaries.push(ImageSummary {
                source: image.clone(),
                destination: None,
                digest: None,
                files: files_of(spellings),
                blobs_sent: 0,
                bytes_sent: 0,
            });
        }
        if let Some(domain) = &registry_domain
            && found.values().any(|image| image.reference.registry() == domain)
        {
            logins.push(RegistryLogin {
                host: domain.clone(),
                username: license.id().to_string(),
                password: license.id().to_string(),
            });
        }
    }

    // 6. The overlays.
    let midstream_dir = root.join("overlays/midstream");
    folder::remove(&midstream_dir.join(pull_secret::OWNED_FOLDER))?;
    if let Some(target) = &target {
        folder::write(&midstream_dir.join(TARGET_RECORD), target.record(options.image_naming).as_bytes())?;
    }
    let mut owned =
        MidstreamOwned { images: rewrites, namespace: options.namespace.clone(), ..MidstreamOwned::default() };
    if !logins.is_empty() {
        let secret = pull_secret::secret_file(&upstream.app_slug, &logins);
        let patches = pull_secret::patches(&upstream.app_slug, &base.documents);
        let mut generated: Vec<GeneratedFile> = vec![secret.clone()];
        owned.resources.push(secret.path.clone());
        for patch in patches {
            owned.patches.push((patch.file.path.clone(), patch.target.clone()));
            generated.push(patch.file);
        }
        folder::write_files(&midstream_dir, &generated)?;
        detail(
            quiet,
            format!(
                "pull secret {} for {}",
                pull_secret::secret_name(&upstream.app_slug),
                logins.iter().map(|l| l.host.as_str()).collect::<Vec<_>>().join(", ")
            ),
        );
    }
    owned.resources.push(crate::app_archive::ARCHIVE_FILE.to_owned());
    let kustomization_path = midstream_dir.join("kustomization.yaml");
    let existing = std::fs::read_to_string(&kustomization_path).ok();
    let midstream = app_folder::midstream_kustomization(existing.as_deref(), &upstream.app_slug, &owned)
        .map_err(anyhow::Error::msg)?;
    folder::write(&kustomization_path, midstream.as_bytes())?;
    let downstream = root.join("overlays/downstreams").join(&options.downstream).join("kustomization.yaml");
    if !downstream.exists() {
        folder::write(&downstream, app_folder::downstream_kustomization().as_bytes())?;
    }

    // 7. The folder's own copy, applied with the app, for `kubectl kots download`.
    let archive = crate::app_archive::build(&root)?;
    let configmaps = crate::app_archive::configmaps_file(&upstream.app_slug, &archive);
    folder::write(&midstream_dir.join(&configmaps.path), configmaps.content.as_bytes())?;

    staging.commit()?;
    let summary = PullSummary {
        app_slug: upstream.app_slug.clone(),
        app_dir: app_dir.clone(),
        updated: true,
        previous_version: previous.map(|p| p.version_label),
        version_label: cursor.version_label.clone(),
        channel_sequence: cursor.update_cursor.clone(),
        images: image_summaries,
    };
    match (&summary.previous_version, &moved, &target) {
        (Some(_), Some(was), Some(target)) => eprintln!(
            "{} version {}: the images are in {} now (were: {was})",
            upstream.app_slug,
            summary.version_label,
            target.prefix()
        ),
        (Some(before), _, _) => {
            eprintln!("{} updated: version {before} → {}", upstream.app_slug, summary.version_label)
        }
        (None, _, _) => {
            eprintln!("{} version {} pulled into {}", upstream.app_slug, summary.version_label, app_dir.display())
        }
    }
    eprintln!(
        "deploy with: kubectl apply -k {}",
        app_dir.join("overlays/downstreams").join(&options.downstream).display()
    );
    eprintln!(
        "the folder travels with the app (kubectl kots download NAMESPACE gets it back); after editing it by hand, run kubectl kots archive refresh {} before applying",
        app_dir.display()
    );
    Ok(summary)
}

/// What the online image steps need besides the images.
struct OnlineImages<'a> {
    copy_options: &'a CopyOptions,
    mirrors: &'a HashMap<String, (String, bool)>,
    /// The staging folder.
    root: &'a Path,
    quiet: bool,
}

/// Online: every image from where it lives into `APP/images/`, then from there to the customer's
/// registry.
async fn save_and_push(
    by_image: &BTreeMap<String, Vec<&FoundImage>>,
    destinations: &BTreeMap<String, String>,
    target: &RegistryTarget,
    context: &OnlineImages<'_>,
) -> anyhow::Result<Vec<ImageSummary>> {
    let OnlineImages { copy_options, mirrors, root, quiet } = *context;
    let mut summaries = Vec::new();
    let layout_dir = root.join("images");
    let pairs: Vec<(Endpoint, Endpoint)> = by_image
        .keys()
        .map(|image| {
            let reference = ImageReference::parse(image)?;
            let source = match mirrors.get(reference.registry()) {
                Some((host, plain_http)) => Endpoint::Registry {
                    reference: reference.with_name(host, reference.repository()),
                    plain_http: *plain_http,
                },
                None => Endpoint::Registry { reference, plain_http: false },
            };
            Ok((source, Endpoint::Layout { directory: layout_dir.clone(), reference: Some(image.clone()) }))
        })
        .collect::<anyhow::Result<_>>()?;
    step(quiet, format!("Saving {} images into images/", pairs.len()));
    let progress = Progress::start("saving images".to_owned(), quiet);
    let saved = kots_transfer::copy_many(&pairs, copy_options, progress.sender()).await;
    progress.finish().await;
    for ((source, _), result) in pairs.iter().zip(&saved) {
        if let Err(error) = result {
            bail!("{}", image_error(&source.to_string(), error, root));
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
                Endpoint::Layout { directory: layout_dir.clone(), reference: Some(image.clone()) },
                Endpoint::Registry { reference: destination.clone(), plain_http: target.plain_http },
                destination.to_string(),
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    step(quiet, format!("Pushing {} images to {}", pushes.len(), target.host));
    let progress = Progress::start(format!("pushing to {}", target.host), quiet);
    let pairs: Vec<(Endpoint, Endpoint)> = pushes.iter().map(|(s, d, _)| (s.clone(), d.clone())).collect();
    let pushed = kots_transfer::copy_many(&pairs, copy_options, progress.sender()).await;
    progress.finish().await;
    for (((image, spellings), (_, _, destination)), result) in by_image.iter().zip(&pushes).zip(pushed) {
        let summary: Summary = result.map_err(|e| {
            anyhow::anyhow!("cannot push {image} to {destination}: {e}; the app folder was left unchanged")
        })?;
        detail(quiet, format!("{destination}: {}", summary.line()));
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
    let files: std::collections::BTreeSet<&String> = spellings.iter().flat_map(|s| s.files.iter()).collect();
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

//! The release source step: the license verified, then the release from the vendor's
//! `replicated://` API, a `--local-path` folder, or an airgap bundle, with the update check
//! that may end the pull early ("up to date").

use std::path::Path;

use anyhow::bail;
use kots_license::License;
use kots_release::bundle::BundleReader;

use super::plan::{Plan, SourceKind};
use super::printer::Printer;
use crate::naming::{RegistryTarget, TARGET_RECORD};
use crate::upstream::{self, Cursor, Upstream, VendorApi};

/// The verified license and what it was read from.
pub struct VerifiedLicense {
    pub license: License,
    /// The license file's text, or the vendor's fresher copy: kept as `userdata/license.yaml`.
    pub yaml: String,
    /// `` `FILE` ``, for messages.
    pub origin: String,
    /// The channel the pull follows.
    pub channel_id: String,
    trusted: (kots_license::TrustedKeys, Vec<String>),
}

/// The release to write, from whichever source.
pub struct Release {
    /// Release files by path, as shipped.
    pub files: Vec<(String, Vec<u8>)>,
    pub cursor: Cursor,
    /// The vendor registry's host, whose images are pulled with the license.
    pub registry_domain: Option<String>,
    /// The vendor proxy's host, and the registries it proxies for the app.
    pub proxy_domain: Option<String>,
    pub linked_registries: Vec<String>,
    /// Whether the vendor (and so its registry) speaks plain HTTP.
    pub vendor_plain_http: bool,
    /// The release is the installed one, but the images move to another registry: where they
    /// were, for the messages.
    pub moved: Option<String>,
}

/// What the source step found.
pub enum Fetched {
    Release(Release),
    /// The folder holds this release already and its images stay where they are.
    UpToDate(Cursor),
}

/// Reads the airgap bundle's table of contents (its images stay unread for the images step).
/// Reads: `--airgap-bundle`. Writes nothing.
pub async fn open_bundle(plan: &Plan) -> anyhow::Result<Option<BundleReader>> {
    let SourceKind::Bundle(path) = &plan.source else { return Ok(None) };
    plan.printer.step(format!("Reading airgap bundle {}", path.display()));
    Ok(Some(BundleReader::open_file(path, &format!("bundle `{}`", path.display())).await?))
}

/// The app being pulled: as the upstream names it, or as the bundle does (they must agree).
pub fn app(plan: &Plan, bundle: Option<&BundleReader>) -> anyhow::Result<Upstream> {
    let upstream = match (&plan.upstream, bundle) {
        (Some(upstream), _) => upstream.clone(),
        (None, Some(bundle)) => Upstream { app_slug: bundle.airgap.app_slug.clone(), channel: None },
        (None, None) => unreachable!("the plan has an upstream or a bundle"),
    };
    if let Some(bundle) = bundle {
        if bundle.airgap.app_slug != upstream.app_slug {
            bail!("{} holds app `{}`, not `{}`", bundle.name(), bundle.airgap.app_slug, upstream.app_slug);
        }
        // The app's folder is named after it: a bundle's word for it must be a slug.
        kots_release::slug::check_app_slug(&upstream.app_slug)
            .map_err(|reason| anyhow::anyhow!("{} names its app: {reason}", bundle.name()))?;
    }
    Ok(upstream)
}

/// Verifies `--license-file` against the trusted keys for this app and channel (and the
/// bundle's channel). Reads: the license file, the trusted keys. Writes nothing.
pub fn verify_license(plan: &Plan, app: &Upstream, bundle: Option<&BundleReader>) -> anyhow::Result<VerifiedLicense> {
    plan.printer.step(format!("Verifying license {}", plan.license_file.display()));
    let origin = format!("`{}`", plan.license_file.display());
    let license =
        License::load(&plan.license_file).map_err(|e| anyhow::anyhow!("cannot read the license file {origin}: {e}"))?;
    let (trusted, looked) = crate::license::trusted_keys(&plan.trusted_keys)?;
    let (verified, channel_id) =
        crate::license::check(&license, &origin, &trusted, &looked, &app.app_slug, app.channel.as_deref())?;
    if let Some(bundle) = bundle {
        crate::license::check_bundle_channel(&verified.license, &origin, &bundle.airgap)?;
    }
    let license = verified.license;
    let yaml = std::fs::read_to_string(&plan.license_file)?;
    plan.printer.detail(format!(
        "license {} for {} ({}), signed by key {}",
        license.id(),
        license.customer_name(),
        license.license_type(),
        verified.global_key_id
    ));
    Ok(VerifiedLicense { license, yaml, origin, channel_id, trusted: (trusted, looked) })
}

/// The release from the plan's source, or "up to date" when the folder (`previous` is its
/// `installation.yaml`) holds it already. From the vendor the license is refreshed too.
/// Reads: the vendor API, `--local-path` or the bundle's app archive, the folder's image-target
/// record. Writes nothing.
pub async fn fetch(
    plan: &Plan,
    app: &Upstream,
    license: &mut VerifiedLicense,
    bundle: Option<&BundleReader>,
    previous: Option<&Cursor>,
) -> anyhow::Result<Fetched> {
    let app_dir = plan.rootdir.join(&app.app_slug);
    match (&plan.source, bundle) {
        (SourceKind::Bundle(_), Some(bundle)) => from_bundle(plan, bundle, previous, &app_dir),
        (SourceKind::LocalPath(folder), _) => Ok(Fetched::Release(from_folder(plan, folder, license)?)),
        _ => from_vendor(plan, app, license, previous, &app_dir).await,
    }
}

fn from_bundle(
    plan: &Plan,
    bundle: &BundleReader,
    previous: Option<&Cursor>,
    app_dir: &Path,
) -> anyhow::Result<Fetched> {
    let airgap = &bundle.airgap;
    let cursor = Cursor {
        update_cursor: airgap.update_cursor.clone(),
        channel_id: airgap.channel_id.clone(),
        channel_name: airgap.channel_name.clone(),
        version_label: airgap.version_label.clone(),
        release_notes: airgap.release_notes.clone(),
        released_at: String::new(),
    };
    plan.printer.detail(format!(
        "version {} (channel {}, sequence {}), {} images",
        cursor.version_label,
        cursor.channel_name,
        cursor.update_cursor,
        bundle.images.len()
    ));
    let mut moved = None;
    if let Some(previous) = previous.filter(|previous| previous.channel_id == cursor.channel_id) {
        let sequence = |text: &str| text.parse::<i64>().ok();
        match (sequence(&previous.update_cursor), sequence(&cursor.update_cursor)) {
            (Some(had), Some(now)) if now == had => match moved_target(plan, app_dir) {
                None => return Ok(Fetched::UpToDate(previous.clone())),
                Some(was) => moved = Some(images_move(&plan.printer, was, plan.target.as_ref())),
            },
            (Some(had), Some(now)) if now < had => bail!(
                "{} holds version {} (sequence {now}), older than the installed {} (sequence {had}); nothing changed",
                bundle.name(),
                cursor.version_label,
                previous.version_label
            ),
            _ => {}
        }
    }
    let files = kots_release::archive::unpack_tgz(&bundle.app_archive, &format!("{} app.tar.gz", bundle.name()))?;
    Ok(Fetched::Release(Release {
        files,
        cursor,
        registry_domain: None,
        proxy_domain: None,
        linked_registries: Vec::new(),
        vendor_plain_http: false,
        moved,
    }))
}

fn from_folder(plan: &Plan, folder: &Path, license: &VerifiedLicense) -> anyhow::Result<Release> {
    plan.printer.step(format!("Reading release files from {}", folder.display()));
    let files = upstream::local_release(folder)?;
    // A folder has no cursor or version: only the license's channel, as KOTS records it.
    let cursor = Cursor {
        channel_id: license.channel_id.clone(),
        channel_name: license.license.spec().channel_name.clone(),
        ..Cursor::default()
    };
    Ok(Release {
        files,
        cursor,
        registry_domain: None,
        proxy_domain: None,
        linked_registries: Vec::new(),
        vendor_plain_http: false,
        moved: None,
    })
}

async fn from_vendor(
    plan: &Plan,
    app: &Upstream,
    license: &mut VerifiedLicense,
    previous: Option<&Cursor>,
    app_dir: &Path,
) -> anyhow::Result<Fetched> {
    let printer = &plan.printer;
    let endpoint = license.license.endpoint().to_owned();
    if endpoint.is_empty() {
        bail!("license {} names no endpoint; use --local-path with the release files", license.origin);
    }
    let channel_id = license.channel_id.clone();
    let api = VendorApi::new(&endpoint, license.license.id().as_str(), &plan.client_options)?;
    refresh_license(plan, app, license, &api, &endpoint).await?;
    let mut newer = None;
    let mut moved = None;
    if let Some(previous) = previous.filter(|previous| previous.channel_id == channel_id) {
        printer.step("Checking for updates");
        let pending = api.pending(&app.app_slug, &channel_id, &previous.update_cursor).await?;
        if !pending.is_empty() {
            newer = Some(pending);
        } else {
            match moved_target(plan, app_dir) {
                None => return Ok(Fetched::UpToDate(previous.clone())),
                Some(was) => moved = Some(images_move(printer, was, plan.target.as_ref())),
            }
        }
    }
    printer.step(format!("Downloading the release of replicated://{}", app.app_slug));
    let release = api.release(&app.app_slug, &channel_id).await?;
    let mut cursor = release.cursor;
    // The release notes come with the pending list: the one the update check fetched, or just
    // the entry of this release.
    let listed = match newer {
        Some(pending) => Ok(pending),
        None => {
            let before = cursor.update_cursor.parse::<i64>().map_or(0, |sequence| sequence - 1);
            api.pending(&app.app_slug, &channel_id, &before.to_string()).await
        }
    };
    if let Ok(pending) = listed
        && let Some(found) = pending.iter().find(|p| p.channel_sequence.to_string() == cursor.update_cursor)
    {
        cursor.release_notes = found.release_notes.clone();
    }
    printer.detail(format!(
        "version {} (channel {}, sequence {}), {} files",
        cursor.version_label,
        cursor.channel_name,
        cursor.update_cursor,
        release.files.len()
    ));
    Ok(Fetched::Release(Release {
        files: release.files,
        cursor,
        registry_domain: release.registry_domain,
        proxy_domain: release.proxy_domain,
        linked_registries: release.linked_registries,
        vendor_plain_http: endpoint.starts_with("http://"),
        moved,
    }))
}

/// The vendor's current copy of the license replaces the file's, once verified like it.
async fn refresh_license(
    plan: &Plan,
    app: &Upstream,
    license: &mut VerifiedLicense,
    api: &VendorApi,
    endpoint: &str,
) -> anyhow::Result<()> {
    plan.printer.step(format!("Refreshing the license from {endpoint}"));
    let fresh_yaml = api.license(&app.app_slug).await?;
    let fresh = License::parse(&fresh_yaml)
        .map_err(|e| anyhow::anyhow!("the vendor sent a license that cannot be read: {e}"))?;
    let (trusted, looked) = &license.trusted;
    let (fresh, _) =
        crate::license::check(&fresh, "from the vendor", trusted, looked, &app.app_slug, Some(&license.channel_id))?;
    if fresh.license.sequence() != license.license.sequence() {
        plan.printer.detail(format!(
            "license updated: sequence {} → {}",
            license.license.sequence(),
            fresh.license.sequence()
        ));
    }
    license.license = fresh.license;
    license.yaml = fresh_yaml;
    Ok(())
}

/// With `--rewrite-images` to another registry (or naming) than the folder's images are in:
/// where they were, for the message.
fn moved_target(plan: &Plan, app_dir: &Path) -> Option<String> {
    let target = plan.target.as_ref()?;
    let recorded = std::fs::read_to_string(app_dir.join("overlays/midstream").join(TARGET_RECORD)).ok();
    if recorded.as_deref() == Some(target.record(plan.image_naming).as_str()) {
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

fn images_move(printer: &Printer, was: String, target: Option<&RegistryTarget>) -> String {
    let to = target.map(RegistryTarget::prefix).unwrap_or_default();
    printer.detail(format!("no newer release, but the images move to {to} (were: {was})"));
    was
}

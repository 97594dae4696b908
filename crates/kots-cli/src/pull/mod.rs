//! `kubectl kots pull`: license → release → app folder → images → overlays, every step told to
//! the user, the folder changed only when all of it succeeded (see [`crate::folder`]).
//!
//! The options are checked once into a [`Plan`]; then each step is a function of its own:
//! `source` (license, then the release from the vendor, `--local-path` or an airgap bundle),
//! `render`, `images` (find, then save and push), `overlays`, and the swap-in of the staging
//! folder. The [`Printer`] decides what the user sees.

mod images;
mod overlays;
mod plan;
mod printer;
mod render;
mod source;

use std::path::PathBuf;

use kots_transfer::Credentials;
use serde::Serialize;

use crate::app_folder::Base;
use crate::folder::{self, Staging};
use crate::naming::ImageNaming;
use crate::upstream::{self, Cursor, Upstream};
pub use plan::{Plan, SourceKind};
pub use printer::Printer;
use source::{Fetched, Release};

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
    /// A `kots.io/v1beta1` ConfigValues file: the customer's values for the Config's items
    /// (kept as `upstream/userdata/config.yaml`; the next pull without one uses those).
    pub config_values: Option<PathBuf>,
    /// `REGISTRY=ENDPOINT`: pull images of REGISTRY from ENDPOINT instead (`http://` for plain).
    pub registry_mirrors: Vec<String>,
    pub concurrency: usize,
    /// `-q`: only errors and the closing lines.
    pub quiet: bool,
    /// `-o json`: the summary on stdout too.
    pub json: bool,
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

/// Runs a pull and tells the user how it went (`-o json`: the summary on stdout too).
pub async fn pull(options: &PullOptions) -> anyhow::Result<PullSummary> {
    let plan = Plan::new(options)?;
    let summary = run(&plan).await?;
    plan.printer.summary(&summary)?;
    Ok(summary)
}

/// The steps, in order; each says what it reads and writes.
async fn run(plan: &Plan) -> anyhow::Result<PullSummary> {
    let mut bundle = source::open_bundle(plan).await?;
    let app = source::app(plan, bundle.as_ref())?;
    let mut license = source::verify_license(plan, &app, bundle.as_ref())?;
    let app_dir = plan.rootdir.join(&app.app_slug);
    let previous = upstream::read_installation(&app_dir)?;
    let config = render::config_values(plan, &app_dir)?;
    // New values for the same release still render again: only an unchanged folder is up to date.
    let check = if config.changed { None } else { previous.as_ref() };
    let release = match source::fetch(plan, &app, &mut license, bundle.as_ref(), check).await? {
        Fetched::Release(release) => release,
        Fetched::UpToDate(previous) => return Ok(up_to_date(plan, &app.app_slug, app_dir, &previous)),
    };
    plan.printer.step(format!("Writing {}", app_dir.display()));
    let base = render::render(plan, &release, &license.license, &config)?;
    let found = images::find(plan, &base)?;
    let staging = Staging::prepare(&app_dir)?;
    write_release(&app, &release, &license.yaml, config.text.as_deref(), &base, staging.path())?;
    let placed = images::place(plan, &found, &release, &license.license, bundle.as_mut(), staging.path()).await?;
    overlays::write(plan, &app.app_slug, &base, &placed, staging.path())?;
    staging.commit()?;
    let summary = PullSummary {
        app_slug: app.app_slug.clone(),
        app_dir,
        updated: true,
        previous_version: previous.map(|p| p.version_label),
        version_label: release.cursor.version_label.clone(),
        channel_sequence: release.cursor.update_cursor.clone(),
        images: placed.summaries,
    };
    closing_lines(plan, &summary, release.moved.as_deref());
    Ok(summary)
}

/// Writes `upstream/` (the release as shipped, the license, `installation.yaml`) and `base/`
/// into the staging folder `root`, replacing what the previous version had there.
fn write_release(
    app: &Upstream,
    release: &Release,
    license_yaml: &str,
    config_yaml: Option<&str>,
    base: &Base,
    root: &std::path::Path,
) -> anyhow::Result<()> {
    folder::remove(&root.join("upstream"))?;
    folder::remove(&root.join("base"))?;
    for (path, content) in &release.files {
        folder::write(&root.join("upstream").join(path), content)?;
    }
    folder::write(&root.join("upstream/userdata/license.yaml"), license_yaml.as_bytes())?;
    if let Some(config) = config_yaml {
        folder::write(&root.join("upstream/userdata/config.yaml"), config.as_bytes())?;
    }
    folder::write(
        &root.join("upstream/userdata/installation.yaml"),
        upstream::installation_yaml(&app.app_slug, &release.cursor).as_bytes(),
    )?;
    folder::write_files(root, &base.files)
}

fn up_to_date(plan: &Plan, app_slug: &str, app_dir: PathBuf, previous: &Cursor) -> PullSummary {
    plan.printer.outcome(format!(
        "{app_slug} is up to date: version {} (channel {}, sequence {}); nothing changed",
        previous.version_label, previous.channel_name, previous.update_cursor
    ));
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

/// What changed, how to deploy it, and how the folder travels.
fn closing_lines(plan: &Plan, summary: &PullSummary, moved: Option<&str>) {
    let (printer, app_slug, app_dir) = (&plan.printer, &summary.app_slug, &summary.app_dir);
    match (&summary.previous_version, moved, &plan.target) {
        (Some(_), Some(was), Some(target)) => printer.outcome(format!(
            "{app_slug} version {}: the images are in {} now (were: {was})",
            summary.version_label,
            target.prefix()
        )),
        (Some(before), _, _) => {
            printer.outcome(format!("{app_slug} updated: version {before} → {}", summary.version_label))
        }
        (None, _, _) => {
            printer.outcome(format!("{app_slug} version {} pulled into {}", summary.version_label, app_dir.display()))
        }
    }
    printer.outcome(format!(
        "deploy with: kubectl apply -k {}",
        app_dir.join("overlays/downstreams").join(&plan.downstream).display()
    ));
    printer.outcome(format!(
        "the folder travels with the app (kubectl kots download NAMESPACE gets it back); after editing it by hand, run kubectl kots archive refresh {} before applying",
        app_dir.display()
    ));
}

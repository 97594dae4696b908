//! `kubectl kots pull`: license → release → app folder → images → overlays, every step told to
//! the user, the folder changed only when all of it succeeded (see [`crate::folder`]).
//!
//! The options are checked once into a [`Plan`]; then each step is a function of its own:
//! `source` (license, then the release from the vendor, `--local-path` or an airgap bundle),
//! `render`, `images` (find, then save and push), `overlays`, and the swap-in of the staging
//! folder. The [`Printer`] decides what the user sees.

mod charts;
mod images;
mod overlays;
mod plan;
mod printer;
mod render;
mod source;
mod v1beta1;

use std::path::PathBuf;

use kots_transfer::Credentials;
use serde::Serialize;

use crate::app_folder::Base;
use crate::folder::{self, Staging};
use crate::naming::ImageNaming;
use crate::upstream::{self, Cursor};
pub use plan::{Plan, SourceKind};
pub use printer::Printer;
use source::{Fetched, Release};
pub use v1beta1::ChartBase;

/// Everything `pull` is told.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// `replicated://APP[/CHANNEL]`; may be left out with an airgap bundle.
    pub upstream: Option<String>,
    /// Release and images from this airgap bundle instead of the network.
    pub airgap_bundle: Option<PathBuf>,
    pub license_file: PathBuf,
    pub rewrite_images: bool,
    /// `--no-push`: the images are in the target registry already; only names change.
    pub no_push: bool,
    pub image_namespace: Option<String>,
    pub registry_endpoint: Option<String>,
    pub registry_credentials: Option<Credentials>,
    pub rootdir: PathBuf,
    pub namespace: Option<String>,
    pub downstream: String,
    /// `.Capabilities.KubeVersion` for Helm charts (default [`kots_helm::engine::DEFAULT_KUBE_VERSION`]).
    pub kube_version: Option<String>,
    /// `--private-registry`: registries whose images are the vendor's, through its proxy.
    pub private_registries: Vec<String>,
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
    // A folder a "config needed" left (upstream/ and kotsKinds/ only) is not up to date either.
    let complete = app_dir.join("base").is_dir();
    let check = if config.changed || !complete { None } else { previous.as_ref() };
    let release = match source::fetch(plan, &app, &mut license, bundle.as_ref(), check).await? {
        Fetched::Release(release) => release,
        Fetched::UpToDate(previous) => return Ok(up_to_date(plan, &app.app_slug, app_dir, &previous)),
    };
    plan.printer.step(format!("Writing {}", app_dir.display()));
    let rendered = render::render(plan, &release, &license.license, &config)?;
    for (file, reason) in rendered.base.skipped.iter().filter(|(_, reason)| !reason.is_empty()) {
        plan.printer.detail(format!("{reason}: kept in {}, left out of base/", file.path));
    }
    // KOTS's v1beta2 HelmCharts, rendered as `helm template` does (not while config is needed).
    let charts = match rendered.config_needed.is_empty() {
        true => charts::v1beta2(&release.files, &rendered.base.kots_kind_documents, &plan.downstream, &plan.helm)?,
        false => Vec::new(),
    };
    for chart in &charts {
        plan.printer.detail(format!("Helm chart {} rendered into helm/{0}/", chart.release_name));
    }
    let chart_documents: Vec<(String, serde_json::Value)> =
        charts.iter().flat_map(|chart| chart.documents.iter().cloned()).collect();
    let license_spec = {
        use anyhow::Context as _;
        serde_json::to_value(&license.license).context("reading the license's fields")?["spec"].clone()
    };
    let private = private_images(plan, &app.app_slug, &release, (&license.license, &license_spec), &rendered.base)?;
    let found = images::find(plan, &rendered.base, &rendered.helm_bases, &chart_documents)?;
    let staging = Staging::prepare(&app_dir)?;
    // Until the Config is complete the images are not known yet (KOTS lists none either).
    let known = match rendered.config_needed.is_empty() {
        true => images::known_images(&found, &private),
        false => Vec::new(),
    };
    write_records(&rendered, &release, &license.yaml, &known, &config.encryption_key, staging.path())?;
    if !rendered.config_needed.is_empty() {
        return Err(config_needed(plan, &rendered, staging, complete));
    }
    write_base(&rendered.base, staging.path())?;
    for chart in &rendered.helm_bases {
        folder::write_files(staging.path(), &chart.files())?;
    }
    charts::write(&charts, staging.path())?;
    let placed =
        images::place(plan, &found, &release, &license.license, bundle.as_mut(), (staging.path(), &private)).await?;
    let all_charts = (charts.as_slice(), rendered.helm_bases.as_slice());
    let docker_config = license_docker_config(&license_spec, &private);
    overlays::write(plan, &app.app_slug, &rendered.base, &placed, (all_charts, &docker_config), staging.path())?;
    overlays::write_rendered(plan, &rendered.helm_bases, staging.path())?;
    charts::write_rendered(&charts, staging.path())?;
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
    closing_lines(plan, &summary, release.moved.as_deref(), (&charts, &rendered.helm_bases));
    Ok(summary)
}

/// How this pull names and reads the app's private images: the vendor's registry and proxy
/// domains (the release API's, the Application's custom ones, Replicated's), its linked
/// registries (the release API's and `--private-registry`), the license's endpoint.
fn private_images(
    plan: &Plan,
    app_slug: &str,
    release: &Release,
    (license, license_spec): (&kots_license::License, &serde_json::Value),
    base: &Base,
) -> anyhow::Result<crate::private_images::PrivateImages> {
    let app = base.application.as_ref().map(|app| app["spec"].clone());
    let (registry, proxy) = crate::private_images::vendor_domains(
        app.as_ref(),
        release.registry_domain.as_deref(),
        release.proxy_domain.as_deref(),
    );
    let context = kots_template::kots::KotsContext {
        license: Some(license_spec.clone()),
        app,
        version: Some(kots_template::kots::VersionInfo {
            replicated_registry_domain: registry,
            replicated_proxy_domain: proxy,
            ..Default::default()
        }),
        ..Default::default()
    };
    let vendor: Vec<&str> = release.registry_domain.iter().chain(&release.proxy_domain).map(String::as_str).collect();
    let linked: Vec<String> = release.linked_registries.iter().chain(&plan.private_registries).cloned().collect();
    Ok(crate::private_images::PrivateImages::new(
        app_slug,
        kots_template::kots::registry_domains(&context),
        &vendor,
        &linked,
        Some(license.endpoint()),
    ))
}

/// KOTS's pull secret for the license (`LicenseDockerCfg`): its login for the vendor's registry
/// and proxy domains, as the cluster names them; `license_spec` is the license's `spec`.
fn license_docker_config(license_spec: &serde_json::Value, private: &crate::private_images::PrivateImages) -> String {
    let context = kots_template::kots::KotsContext {
        license: Some(license_spec.clone()),
        version: Some(kots_template::kots::VersionInfo {
            replicated_registry_domain: private.registry_domain.clone(),
            replicated_proxy_domain: private.proxy_domain.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    kots_template::kots::license_docker_cfg(&context)
}

/// Required Config items have no value: as KOTS does, a new folder (or one an earlier "config
/// needed" left) gets `upstream/` and `kotsKinds/` (so the customer sees the Config and its
/// defaults) and nothing else; a complete folder stays as it was.
fn config_needed(plan: &Plan, rendered: &render::Rendered, staging: Staging, existed: bool) -> anyhow::Error {
    let items = rendered.config_needed.join(", ");
    let flag = match &plan.config_values {
        Some(_) => "add them to the --config-values file",
        None => "give them with --config-values FILE (a kots.io/v1beta1 ConfigValues)",
    };
    if existed {
        drop(staging);
        return anyhow::anyhow!(
            "config needed: required items without a value: {items}; {flag}; the folder is unchanged"
        );
    }
    match staging.commit() {
        Ok(()) => anyhow::anyhow!(
            "config needed: required items without a value: {items}; {flag}; upstream/ and kotsKinds/ are written, base/ and the overlays are not"
        ),
        Err(error) => error.context(format!("config needed: required items without a value: {items}")),
    }
}

/// Writes `upstream/` (the release as shipped and `userdata/`: the license, the config values,
/// `installation.yaml`) and `kotsKinds/` (the rendered KOTS kinds and the same records) into the
/// staging folder `root`, replacing what the previous version had there.
fn write_records(
    rendered: &render::Rendered,
    release: &Release,
    license_yaml: &str,
    known_images: &[upstream::KnownImage],
    encryption_key: &str,
    root: &std::path::Path,
) -> anyhow::Result<()> {
    for old in ["upstream", "base", "kotsKinds", "skippedFiles", "helm"] {
        folder::remove(&root.join(old))?;
    }
    for (path, content) in &release.files {
        folder::write(&root.join("upstream").join(path), content)?;
    }
    let mut cursor = release.cursor.clone();
    if cursor.release_notes.is_empty()
        && let Some(notes) = rendered.base.application.as_ref().and_then(|app| app["spec"]["releaseNotes"].as_str())
    {
        cursor.release_notes = notes.to_owned();
    }
    let license = license_as_kots_writes_it(license_yaml);
    for (records, key) in [("upstream/userdata", Some(encryption_key)), ("kotsKinds/userdata", None)] {
        let records = root.join(records);
        folder::write(&records.join("license.yaml"), license.as_bytes())?;
        if let Some(config) = &rendered.config_values {
            folder::write(&records.join("config.yaml"), config.as_bytes())?;
        }
        let installation = upstream::installation_yaml(&rendered.app_name, &cursor, known_images, key);
        folder::write(&records.join("installation.yaml"), installation.as_bytes())?;
    }
    folder::write_files(root, &rendered.base.kots_kinds)
}

/// The license's own text (its signature covers it), with the `status: {}` KOTS's type adds.
fn license_as_kots_writes_it(yaml: &str) -> String {
    let has_status = yaml.lines().any(|line| line.starts_with("status:"));
    if has_status {
        return yaml.to_owned();
    }
    let mut text = yaml.to_owned();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("status: {}\n");
    text
}

/// Writes `base/` and `skippedFiles/` into the staging folder `root`.
fn write_base(base: &Base, root: &std::path::Path) -> anyhow::Result<()> {
    folder::write_files(root, &base.files)?;
    folder::write_files(root, base.skipped.iter().map(|(file, _)| file))
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
fn closing_lines(
    plan: &Plan,
    summary: &PullSummary,
    moved: Option<&str>,
    (charts, helm_bases): (&[charts::ChartRelease], &[ChartBase]),
) {
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
        (None, _, _) if summary.version_label.is_empty() => {
            printer.outcome(format!("{app_slug} pulled into {}", app_dir.display()))
        }
        (None, _, _) => {
            printer.outcome(format!("{app_slug} version {} pulled into {}", summary.version_label, app_dir.display()))
        }
    }
    let namespace = plan.namespace.as_ref().map(|ns| format!(" -n {ns}")).unwrap_or_default();
    printer.outcome(format!(
        "deploy with: kubectl apply -k {}{namespace}",
        app_dir.join("overlays/downstreams").join(&plan.downstream).display()
    ));
    // v1beta2 charts are in the overlay; Helm can install them instead, as KOTS does.
    for chart in charts {
        let namespace = chart.namespace.as_ref().or(plan.namespace.as_ref());
        let namespace = namespace.map(|ns| format!(" -n {ns}")).unwrap_or_default();
        let flags: String = chart.upgrade_flags.iter().map(|flag| format!(" {flag}")).collect();
        printer.outcome(format!(
            "chart {0} is in that overlay; to install it with Helm instead: helm upgrade --install {0} {1} -f {2}{flags}{namespace}",
            chart.release_name,
            app_dir.join(&chart.archive.0).display(),
            app_dir.join(format!("helm/{}/values.yaml", chart.release_name)).display(),
        ));
    }
    // v1beta1 charts with `useHelmInstall: true` are bases of their own, installed with Helm as
    // KOTS does: rendered/DOWNSTREAM/charts/DIR/ is the chart to install.
    let rendered = app_dir.join("rendered").join(&plan.downstream);
    for chart in helm_bases.iter().filter(|chart| chart.is_chart()) {
        let namespace = chart.namespace.as_ref().or(plan.namespace.as_ref());
        let namespace = namespace.map(|ns| format!(" -n {ns}")).unwrap_or_default();
        let folder = rendered.join(&chart.path);
        printer.outcome(match folder.is_dir() {
            true => format!(
                "and chart {}: helm upgrade --install {} {}{namespace}",
                chart.name(),
                chart.release_name,
                folder.display()
            ),
            false => format!(
                "and chart {}: kubectl apply -k {}{namespace} (and each folder with a kustomization.yaml under it)",
                chart.name(),
                app_dir.join("overlays/downstreams").join(&plan.downstream).join(&chart.path).display()
            ),
        });
    }
    printer.outcome(format!(
        "the folder travels with the app (kubectl kots download NAMESPACE gets it back); after editing it by hand, run kubectl kots archive refresh {} before applying",
        app_dir.display()
    ));
}

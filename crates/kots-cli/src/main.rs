//! `kubectl-kots`: the customer's side of kots, as a kubectl plugin (`kubectl kots …`).
//! Today: `image copy`; `pull` and the rest join it.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use kots_cli::naming::ImageNaming;
use kots_cli::progress::Progress;
use kots_cli::pull::PullOptions;
use kots_transfer::{BlobCache, ClientOptions, CopyOptions, Credentials, Endpoint, Platform};

#[derive(Parser)]
#[command(
    name = "kubectl-kots",
    bin_name = "kubectl kots",
    version,
    about = "Deliver Kubernetes applications into private and air-gapped networks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Download an app's release and images, and write the folder `kubectl apply -k` deploys.
    ///
    /// Run it again in the same --rootdir to update: the customer's own edits of the overlays
    /// are kept, and only what the registry lacks is sent.
    Pull(Box<PullArgs>),
    /// Get the app folder back from the cluster (the archive ConfigMaps `pull` adds to the
    /// midstream), to carry on updating from it.
    Download(DownloadArgs),
    /// The app folder's copy that travels with the app.
    #[command(subcommand)]
    Archive(ArchiveCommand),
    /// Push an airgap bundle's images (alone, without an app folder) to REGISTRY/NAMESPACE.
    PushImages(PushImagesArgs),
    /// Container images.
    #[command(subcommand)]
    Image(ImageCommand),
    /// Print what a release's files render to, as KOTS renders them (`{{repl …}}` and
    /// `repl{{ … }}` with Go's text/template and sprig; plain `{{ … }}` is left for Helm).
    ///
    /// FILE prints one file; a folder prints every file under a `# Source:` header; `-` reads
    /// standard input. Exits non-zero when a file does not render, naming file, line and column.
    Template(TemplateArgs),
    /// Helm charts, rendered as Helm renders them (no Helm binary, no cluster).
    #[command(subcommand)]
    Helm(HelmCommand),
}

#[derive(Subcommand)]
enum HelmCommand {
    /// Print what a chart renders to, as `helm template` prints it.
    ///
    /// CHART is a chart folder or a `.tgz`. With `-o json`, the engine's whole view instead:
    /// every template that is not a partial (NOTES.txt and empty renders included), by Helm's
    /// template path (`CHART/charts/SUB/templates/x.yaml`).
    Template(HelmTemplateArgs),
}

#[derive(Args)]
struct HelmTemplateArgs {
    /// The release name (default `release-name`), then the chart; or just the chart.
    #[arg(value_name = "[NAME] CHART", num_args = 1..=2, required = true)]
    args: Vec<PathBuf>,
    /// A values file; repeatable, later files win.
    #[arg(long = "values", short = 'f')]
    values: Vec<PathBuf>,
    /// KEY=VALUE (`a.b=c,d[0]=e`); repeatable.
    #[arg(long)]
    set: Vec<String>,
    /// KEY=VALUE, the value always a string; repeatable.
    #[arg(long)]
    set_string: Vec<String>,
    /// `.Release.Namespace` (default `default`).
    #[arg(long, short = 'n')]
    namespace: Option<String>,
    /// `.Capabilities.KubeVersion` (default v1.36.0, Helm 4.2's).
    #[arg(long)]
    kube_version: Option<String>,
    /// Also in `.Capabilities.APIVersions`: GROUP/VERSION or GROUP/VERSION/KIND; repeatable.
    #[arg(long = "api-versions", short = 'a')]
    api_versions: Vec<String>,
    /// Render as an upgrade (`.Release.IsUpgrade`).
    #[arg(long)]
    is_upgrade: bool,
    /// `.Release.Revision` (default 1).
    #[arg(long)]
    revision: Option<i64>,
    /// Print the charts' crds/ files first.
    #[arg(long)]
    include_crds: bool,
    /// Leave test hooks out.
    #[arg(long)]
    skip_tests: bool,
    /// Write each template's documents under DIR instead of printing them.
    #[arg(long)]
    output_dir: Option<PathBuf>,
    /// `json`: the engine's map of template path → rendered text.
    #[arg(long, short = 'o')]
    output: Option<OutputFormat>,
}

#[derive(Args)]
struct TemplateArgs {
    /// A file, a folder of files, or `-` for standard input.
    #[arg(value_name = "FILE|DIR|-")]
    input: PathBuf,
    /// What `Namespace` returns (default: $DEV_NAMESPACE, else $POD_NAMESPACE, as in KOTS).
    #[arg(long, short = 'n')]
    namespace: Option<String>,
    /// A release folder: its Config's items (`ConfigOption`) and its Application.
    #[arg(long)]
    local_path: Option<PathBuf>,
    /// A `kots.io/v1beta1` ConfigValues file: the customer's values for the Config's items.
    #[arg(long)]
    config_values: Option<PathBuf>,
    /// A license: `LicenseFieldValue`, `LicenseDockerCfg`, … (one that does not verify is a
    /// warning here; `pull` refuses it).
    #[arg(long)]
    license_file: Option<PathBuf>,
}

#[derive(Args)]
struct DownloadArgs {
    /// The namespace the app is deployed in.
    namespace: String,
    /// The app, when the namespace holds several.
    #[arg(long)]
    slug: Option<String>,
    /// Where APP_SLUG/ is written.
    #[arg(long, default_value = ".")]
    dest: PathBuf,
    /// Replace upstream/, base/, overlays/, kotsKinds/ and skippedFiles/ of an existing folder.
    #[arg(long)]
    overwrite: bool,
    /// The kubeconfig to use (default: KUBECONFIG, then ~/.kube/config).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: the current one).
    #[arg(long)]
    context: Option<String>,
    /// Read the ConfigMaps from `kubectl get configmap -l kots.io/archive-parts -o yaml`
    /// output instead of the cluster.
    #[arg(long)]
    from_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ArchiveCommand {
    /// Make the archive ConfigMaps anew from the folder, after editing it by hand.
    Refresh {
        /// The app folder (ROOTDIR/APP_SLUG).
        app_dir: PathBuf,
    },
}

#[derive(Args)]
struct PushImagesArgs {
    /// The airgap bundle.
    bundle: PathBuf,
    /// host[:port][/NAMESPACE], with or without https:// (http:// for plain HTTP).
    registry: String,
    /// User for REGISTRY (default: docker/podman stored credentials).
    #[arg(long, env = "KOTS_REGISTRY_USERNAME")]
    registry_username: Option<String>,
    /// Password for REGISTRY.
    #[arg(long, env = "KOTS_REGISTRY_PASSWORD", hide_env_values = true)]
    registry_password: Option<String>,
    /// Destination image names: `flatten` or `path`.
    #[arg(long, value_enum, default_value = "flatten")]
    image_naming: ImageNaming,
    /// Also trust the CA certificates in this PEM file.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// Do not verify TLS certificates.
    #[arg(long)]
    insecure_skip_tls_verify: bool,
    /// No progress bar, only the summary.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct PullArgs {
    /// The app: replicated://APP_SLUG[/CHANNEL] (replicated:// may be left out; with
    /// --airgap-bundle, the bundle's app).
    upstream: Option<String>,
    /// Take the release and its images from this airgap bundle (no network but the registry).
    #[arg(long)]
    airgap_bundle: Option<PathBuf>,
    /// The license the vendor issued.
    #[arg(long)]
    license_file: PathBuf,
    /// Push every image to --registry-endpoint and make the manifests use it.
    #[arg(long)]
    rewrite_images: bool,
    /// With --rewrite-images: the images are in that registry already (filled by `kubectl kots
    /// admin-console push-images` or `push-images`, or read-only): names are rewritten and the
    /// pull secret written, nothing is read or pushed.
    #[arg(long)]
    no_push: bool,
    /// The path inside the registry the images go under (default: the endpoint's path, if any).
    #[arg(long)]
    image_namespace: Option<String>,
    /// The customer's registry: host[:port][/NAMESPACE], with or without https:// (http:// for
    /// plain HTTP).
    #[arg(long)]
    registry_endpoint: Option<String>,
    /// User for --registry-endpoint (default: docker/podman stored credentials).
    #[arg(long, env = "KOTS_REGISTRY_USERNAME")]
    registry_username: Option<String>,
    /// Password for --registry-endpoint.
    #[arg(long, env = "KOTS_REGISTRY_PASSWORD", hide_env_values = true)]
    registry_password: Option<String>,
    /// Where the app folder (APP_SLUG/) is written.
    #[arg(long, default_value = ".")]
    rootdir: PathBuf,
    /// The namespace the app is deployed to.
    #[arg(long)]
    namespace: Option<String>,
    /// The downstream overlay, created once and then the customer's.
    #[arg(long, default_value = "this-cluster")]
    downstream: String,
    /// Images on this registry (`host[:port]`) are private, in a registry the vendor linked to
    /// the app: the cluster pulls them through the vendor's proxy (PROXY/proxy/APP/HOST/…), and
    /// with --rewrite-images they are read through it. The vendor's release API names its
    /// linked registries itself; this adds to them (a --local-path release). Repeatable.
    #[arg(long = "private-registry")]
    private_registries: Vec<String>,
    /// `.Capabilities.KubeVersion` for the release's Helm charts (no cluster is asked; default
    /// v1.36.0, Helm 4.2's).
    #[arg(long)]
    kube_version: Option<String>,
    /// Leave KOTS's own kinds (Application, Config, preflights …) out of base/.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    exclude_kots_kinds: bool,
    /// Destination image names: `flatten` (REGISTRY/NAMESPACE/LAST_COMPONENT) or `path` (keeps
    /// the whole source path).
    #[arg(long, value_enum, default_value = "flatten")]
    image_naming: ImageNaming,
    /// Trust the license signing key in this file (KEY_ID.pem) or folder; repeatable. Also
    /// KOTS_TRUSTED_KEYS and ~/.config/kots/trusted-keys/.
    #[arg(long = "trusted-key")]
    trusted_keys: Vec<PathBuf>,
    /// Also trust the CA certificates in this PEM file (vendor and registries).
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// Do not verify TLS certificates.
    #[arg(long)]
    insecure_skip_tls_verify: bool,
    /// Read the release files from this folder instead of the vendor.
    #[arg(long)]
    local_path: Option<PathBuf>,
    /// A `kots.io/v1beta1` ConfigValues file: the values of the release's Config items (kept in
    /// the app folder; the next pull without one uses them).
    #[arg(long)]
    config_values: Option<PathBuf>,
    /// Pull images of REGISTRY from ENDPOINT instead (REGISTRY=ENDPOINT, e.g.
    /// docker.io=https://mirror.corp.example); repeatable.
    #[arg(long = "registry-mirror")]
    registry_mirrors: Vec<String>,
    /// Blobs moving at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// `json`: print a machine-readable summary on stdout.
    #[arg(long, short = 'o')]
    output: Option<OutputFormat>,
    /// Only errors and the summary.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OutputFormat {
    Json,
}

#[derive(Subcommand)]
enum ImageCommand {
    /// Copy an image (all its platforms, byte for byte) between registries and OCI layouts.
    ///
    /// SRC and DST are registry references (`registry.example/app/api:1.0`, `http://…` for plain
    /// HTTP) or OCI layouts (`oci:DIR[:REF]`).
    ///
    /// Where each blob went is remembered in `~/.cache/kots` (`$XDG_CACHE_HOME/kots`; elsewhere
    /// with `KOTS_BLOB_CACHE=DIR`, not at all with `KOTS_BLOB_CACHE=off`): a later copy into the
    /// same registry mounts those blobs instead of sending them again, and uploads them if the
    /// registry will not mount.
    Copy(CopyArgs),
    /// Make a small example image (no Docker needed) and push it to DESTINATION.
    Make(MakeArgs),
}

#[derive(Args)]
struct MakeArgs {
    /// Registry reference (`http://` for plain HTTP) or `oci:DIR:REF`.
    destination: String,
    /// Bytes of the image's own layer.
    #[arg(long, default_value_t = 1024 * 1024)]
    size: usize,
    /// Changes the image's own layer (and so its digest).
    #[arg(long, default_value = "1")]
    seed: String,
    /// Destination credentials `USER:PASSWORD`.
    #[arg(long, env = "KOTS_DEST_CREDS", hide_env_values = true)]
    dest_creds: Option<String>,
}

#[derive(Args)]
struct CopyArgs {
    #[arg(required_unless_present = "from_file")]
    source: Option<String>,
    #[arg(required_unless_present = "from_file")]
    destination: Option<String>,
    /// Copy every `SRC DST` pair of this file (one a line; blank lines and `#` comments
    /// ignored) in one process, each blob shared by several images moving once.
    #[arg(long, value_name = "LIST", conflicts_with_all = ["source", "destination"])]
    from_file: Option<PathBuf>,
    /// Copy only this platform of an index (`linux/amd64`, `linux/arm64/v8`); repeatable.
    #[arg(long = "platform")]
    platforms: Vec<String>,
    /// Blobs moving at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Source credentials `USER:PASSWORD` (default: docker/podman stored credentials).
    #[arg(long, env = "KOTS_SRC_CREDS", hide_env_values = true)]
    src_creds: Option<String>,
    /// Destination credentials `USER:PASSWORD`.
    #[arg(long, env = "KOTS_DEST_CREDS", hide_env_values = true)]
    dest_creds: Option<String>,
    /// Do not verify TLS certificates.
    #[arg(long)]
    insecure_skip_tls_verify: bool,
    /// Also trust the CA certificates in this PEM file.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// No progress bar, only the summary.
    #[arg(long, short)]
    quiet: bool,
}

fn credentials(text: Option<&str>, flag: &str) -> anyhow::Result<Option<Credentials>> {
    text.map(|text| Credentials::parse(text).with_context(|| format!("{flag} takes USER:PASSWORD"))).transpose()
}

async fn image_copy(args: CopyArgs) -> anyhow::Result<()> {
    let platforms = args
        .platforms
        .iter()
        .map(|text| Platform::parse(text).with_context(|| format!("--platform `{text}`: expected OS/ARCH[/VARIANT]")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let side = |creds: Option<Credentials>| ClientOptions {
        credentials: creds,
        insecure: args.insecure_skip_tls_verify,
        ca_file: args.ca_file.clone(),
        ..ClientOptions::default()
    };
    let options = CopyOptions {
        source: side(credentials(args.src_creds.as_deref(), "--src-creds")?),
        destination: side(credentials(args.dest_creds.as_deref(), "--dest-creds")?),
        platforms,
        concurrency: args.concurrency,
        // Where this user's earlier copies left each blob: mount candidates.
        blob_cache: BlobCache::from_env(),
        ..CopyOptions::default()
    };
    if let Some(list) = &args.from_file {
        return image_copy_list(list, &options, args.quiet).await;
    }
    let (Some(source), Some(destination)) = (&args.source, &args.destination) else {
        bail!("image copy needs SRC and DST, or --from-file LIST");
    };
    let source = Endpoint::parse(source)?;
    let destination = Endpoint::parse(destination)?;
    let progress = Progress::start(format!("{source} → {destination}"), args.quiet);
    let result = kots_transfer::copy(&source, &destination, &options, progress.sender()).await;
    progress.finish().await;
    let summary = result.with_context(|| format!("cannot copy {source} to {destination}"))?;
    let digest = summary.digest.as_ref().map(ToString::to_string).unwrap_or_default();
    println!("{destination}@{digest}: {}", summary.line());
    if !summary.index_complete {
        eprintln!("note: only some platforms were copied; the destination holds a new index listing them");
    }
    Ok(())
}

/// `image copy --from-file LIST`: every pair at once through `copy_many`, one line per image,
/// an error naming the images that failed.
async fn image_copy_list(list: &std::path::Path, options: &CopyOptions, quiet: bool) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(list).with_context(|| format!("cannot read --from-file `{}`", list.display()))?;
    let pairs = kots_cli::copy_list::parse(&text).map_err(|reason| anyhow::anyhow!("{}: {reason}", list.display()))?;
    if pairs.is_empty() {
        bail!("{}: no `SRC DST` pairs", list.display());
    }
    let mut endpoints = Vec::new();
    for pair in &pairs {
        let parse = |text: &str| {
            Endpoint::parse(text).with_context(|| format!("{}: line {}: `{text}`", list.display(), pair.line))
        };
        endpoints.push((parse(&pair.source)?, parse(&pair.destination)?));
    }
    let progress = Progress::start(format!("{} images from {}", pairs.len(), list.display()), quiet);
    let results = kots_transfer::copy_many(&endpoints, options, progress.sender()).await;
    progress.finish().await;
    let mut failed = Vec::new();
    for ((source, destination), result) in endpoints.iter().zip(results) {
        match result {
            Ok(summary) => {
                let digest = summary.digest.as_ref().map(ToString::to_string).unwrap_or_default();
                println!("{destination}@{digest}: {}", summary.line());
            }
            Err(error) => {
                println!("{destination}: failed: {error}");
                failed.push(format!("{source} → {destination}"));
            }
        }
    }
    if !failed.is_empty() {
        bail!("{} of {} images failed: {}", failed.len(), pairs.len(), failed.join(", "));
    }
    Ok(())
}

async fn image_make(args: MakeArgs) -> anyhow::Result<()> {
    let destination = Endpoint::parse(&args.destination)?;
    let name = match &destination {
        Endpoint::Registry { reference, .. } => reference.last_component().to_owned(),
        Endpoint::Layout { reference, .. } => reference.clone().unwrap_or_else(|| "example".to_owned()),
    };
    let scratch = tempfile::tempdir()?;
    let layout = kots_oci::OciLayout::create(scratch.path())?;
    kots_cli::example_image::make(&layout, "example", &name, &args.seed, args.size)?;
    let source = Endpoint::Layout { directory: scratch.path().to_owned(), reference: Some("example".to_owned()) };
    let options = CopyOptions {
        destination: ClientOptions {
            credentials: credentials(args.dest_creds.as_deref(), "--dest-creds")?,
            ..ClientOptions::default()
        },
        ..CopyOptions::default()
    };
    let summary = kots_transfer::copy(&source, &destination, &options, None)
        .await
        .with_context(|| format!("cannot push the example image to {destination}"))?;
    println!("{destination}@{}", summary.digest.map(|d| d.to_string()).unwrap_or_default());
    Ok(())
}

fn registry_credentials(username: Option<String>, password: Option<String>) -> anyhow::Result<Option<Credentials>> {
    match (username, password) {
        (Some(username), Some(password)) => Ok(Some(Credentials::new(username, password))),
        (None, None) => Ok(None),
        _ => bail!("--registry-username and --registry-password go together"),
    }
}

async fn push_images(args: PushImagesArgs) -> anyhow::Result<()> {
    let options = kots_cli::push_images::PushImagesOptions {
        bundle: args.bundle,
        registry: args.registry,
        credentials: registry_credentials(args.registry_username, args.registry_password)?,
        image_naming: args.image_naming,
        ca_cert: args.ca_cert,
        insecure_skip_tls_verify: args.insecure_skip_tls_verify,
        quiet: args.quiet,
    };
    for image in kots_cli::push_images::push_images(&options).await? {
        let summary = &image.summary;
        let digest = summary.digest.as_ref().map(ToString::to_string).unwrap_or_default();
        println!("{}@{digest}: {}", image.destination, summary.pushed_line());
    }
    Ok(())
}

async fn pull(args: PullArgs) -> anyhow::Result<()> {
    let registry_credentials = registry_credentials(args.registry_username, args.registry_password)?;
    let options = PullOptions {
        upstream: args.upstream,
        airgap_bundle: args.airgap_bundle,
        license_file: args.license_file,
        rewrite_images: args.rewrite_images,
        no_push: args.no_push,
        image_namespace: args.image_namespace,
        registry_endpoint: args.registry_endpoint,
        registry_credentials,
        rootdir: args.rootdir,
        namespace: args.namespace,
        downstream: args.downstream,
        kube_version: args.kube_version,
        private_registries: args.private_registries,
        exclude_kots_kinds: args.exclude_kots_kinds,
        image_naming: args.image_naming,
        trusted_keys: args.trusted_keys,
        ca_cert: args.ca_cert,
        insecure_skip_tls_verify: args.insecure_skip_tls_verify,
        local_path: args.local_path,
        config_values: args.config_values,
        registry_mirrors: args.registry_mirrors,
        concurrency: args.concurrency,
        quiet: args.quiet,
        json: matches!(args.output, Some(OutputFormat::Json)),
    };
    kots_cli::pull::pull(&options).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KOTS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Image(ImageCommand::Copy(args)) => image_copy(args).await,
        Command::Image(ImageCommand::Make(args)) => image_make(args).await,
        Command::Pull(args) => pull(*args).await,
        Command::PushImages(args) => push_images(args).await,
        Command::Helm(HelmCommand::Template(args)) => {
            let (name, chart) = match args.args.as_slice() {
                [chart] => (None, chart.clone()),
                [name, chart] => (Some(name.display().to_string()), chart.clone()),
                _ => bail!("helm template takes [NAME] CHART"),
            };
            let options = kots_cli::helm::HelmTemplate {
                name,
                chart,
                values_files: args.values,
                set: args.set,
                set_string: args.set_string,
                namespace: args.namespace,
                kube_version: args.kube_version,
                api_versions: args.api_versions,
                is_upgrade: args.is_upgrade,
                revision: args.revision,
                include_crds: args.include_crds,
                skip_tests: args.skip_tests,
                output_dir: args.output_dir,
                json: matches!(args.output, Some(OutputFormat::Json)),
            };
            kots_cli::helm::run(&options, &mut std::io::stdout().lock())
        }
        Command::Template(args) => {
            let input = kots_cli::template::TemplateInput::from_arg(&args.input)?;
            let stdout = std::io::stdout();
            let stderr = std::io::stderr();
            let release = kots_cli::template::ReleaseContext {
                release_dir: args.local_path,
                config_values: args.config_values,
                license_file: args.license_file,
                namespace: args.namespace,
            };
            kots_cli::template::run(&input, &release, &mut stdout.lock(), &mut stderr.lock())?;
            Ok(())
        }
        Command::Download(args) => {
            let options = kots_cli::download::DownloadOptions {
                namespace: args.namespace,
                slug: args.slug,
                dest: args.dest,
                overwrite: args.overwrite,
                kubeconfig: args.kubeconfig,
                context: args.context,
                from_file: args.from_file,
            };
            let app_dir = kots_cli::download::download(&options).await?;
            eprintln!(
                "the app folder is in {}; update it with kubectl kots pull --rootdir {}",
                app_dir.display(),
                options.dest.display()
            );
            Ok(())
        }
        Command::Archive(ArchiveCommand::Refresh { app_dir }) => {
            let parts = kots_cli::download::refresh(&app_dir)?;
            eprintln!(
                "archive refreshed ({parts} ConfigMap{}); apply the overlay again so the cluster's copy follows",
                if parts == 1 { "" } else { "s" }
            );
            Ok(())
        }
    }
}

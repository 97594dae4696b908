//! `kubectl-kots`: the customer's side of kots, as a kubectl plugin (`kubectl kots …`).
//! Today: `image copy`; `pull` and the rest join it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use kots_transfer::{ClientOptions, CopyOptions, Credentials, Endpoint, Event, Platform};

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
    /// Container images.
    #[command(subcommand)]
    Image(ImageCommand),
}

#[derive(Subcommand)]
enum ImageCommand {
    /// Copy an image (all its platforms, byte for byte) between registries and OCI layouts.
    ///
    /// SRC and DST are registry references (`registry.example/app/api:1.0`, `http://…` for plain
    /// HTTP) or OCI layouts (`oci:DIR[:REF]`).
    Copy(CopyArgs),
}

#[derive(Args)]
struct CopyArgs {
    source: String,
    destination: String,
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
    let source = Endpoint::parse(&args.source)?;
    let destination = Endpoint::parse(&args.destination)?;
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
        ..CopyOptions::default()
    };
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let bar = if args.quiet { ProgressBar::hidden() } else { ProgressBar::new(0) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(format!("{source} → {destination}"));
    bar.enable_steady_tick(Duration::from_millis(200));
    let progress = {
        let bar = bar.clone();
        tokio::spawn(async move {
            // Bytes of a blob that restarts are counted again; keep per-blob totals to undo that.
            let mut moved: HashMap<String, u64> = HashMap::new();
            while let Some(event) = receiver.recv().await {
                match event {
                    Event::BlobStarted { digest, size } => {
                        let before = moved.insert(digest.to_string(), 0).unwrap_or(0);
                        if before == 0 {
                            bar.inc_length(size);
                        } else {
                            bar.set_position(bar.position().saturating_sub(before));
                        }
                    }
                    Event::BlobBytes { digest, bytes } => {
                        *moved.entry(digest.to_string()).or_default() += bytes;
                        bar.inc(bytes);
                    }
                    Event::BlobSkipped { size, .. } | Event::BlobMounted { size, .. } => {
                        bar.inc_length(size);
                        bar.inc(size);
                    }
                    Event::BlobDone { .. } | Event::ManifestDone { .. } => {}
                }
            }
        })
    };
    let result = kots_transfer::copy(&source, &destination, &options, Some(sender)).await;
    let _ = progress.await;
    bar.finish_and_clear();
    let summary = result.with_context(|| format!("cannot copy {source} to {destination}"))?;
    let digest = summary.digest.as_ref().map(ToString::to_string).unwrap_or_default();
    println!("{destination}@{digest}: {}", summary.line());
    if !summary.index_complete {
        eprintln!("note: only some platforms were copied; the destination holds a new index listing them");
    }
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
    }
}

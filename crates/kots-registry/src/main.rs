//! `kots-registry`: the OCI registry server on embedded storage.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use kots_registry::{DEFAULT_UPLOAD_TTL, Options, Registry, parse_duration, server};

#[derive(Parser)]
#[command(name = "kots-registry", version, about = "An OCI Distribution v1.1 registry on embedded storage")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the registry until interrupted (Ctrl-C or SIGTERM).
    Serve {
        /// Folder for blobs (`blobs/`, `uploads/`) and metadata (`registry.db`); created if missing.
        #[arg(long, env = "KOTS_REGISTRY_DATA_DIR")]
        data_dir: PathBuf,
        /// Address to listen on; port 0 picks a free port, printed on the first line of output.
        #[arg(long, env = "KOTS_REGISTRY_LISTEN", default_value = "127.0.0.1:5000")]
        listen: SocketAddr,
        /// Idle upload sessions older than this are removed (e.g. 30m, 24h, 7d).
        #[arg(long, env = "KOTS_REGISTRY_UPLOAD_TTL", value_parser = parse_duration, default_value = "24h")]
        upload_ttl: Duration,
        /// Log format on stderr.
        #[arg(long, env = "KOTS_REGISTRY_LOG_FORMAT", value_enum, default_value = "text")]
        log_format: LogFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("can listen for SIGTERM");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { data_dir, listen, upload_ttl, log_format } => {
            init_logging(log_format);
            debug_assert!(upload_ttl > Duration::ZERO || DEFAULT_UPLOAD_TTL > Duration::ZERO);
            let registry = Registry::open_embedded(&data_dir, Options { upload_ttl })
                .await
                .with_context(|| format!("cannot open the registry data folder `{}`", data_dir.display()))?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}; is another server using it?"))?;
            let address = listener.local_addr()?;
            println!("kots-registry listening on http://{address}");
            tracing::warn!(
                %address,
                data_dir = %data_dir.display(),
                "serving without authentication: anyone who can reach this address can push and pull; keep it on loopback"
            );
            server::serve(Arc::new(registry), listener, shutdown_signal()).await?;
            Ok(())
        }
    }
}

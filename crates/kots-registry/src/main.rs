//! `kots-registry`: the OCI registry server on embedded storage.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
// clap and anyhow through kots-serve: the library's dependencies stay the library's (see there).
use kots_registry::auth::{AuthOptions, ThrottleOptions, load_or_create_signing_key, url_host};
use kots_registry::gc::GcOptions;
use kots_registry::htpasswd::HtpasswdPolicy;
use kots_registry::{Options, Registry, server};
use kots_serve::{LogFormat, anyhow, clap, parse_duration};

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
        /// A TOML file of these settings: keys are the flags without `--` (`data-dir = "/var/lib/kots"`,
        /// `[s3] endpoint = "…"` for --s3-endpoint); flags and environment variables override it.
        #[arg(long, env = "KOTS_REGISTRY_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        stores: Stores,
        /// Address to listen on; port 0 picks a free port, printed on the first line of output.
        #[arg(long, env = "KOTS_REGISTRY_LISTEN", default_value = "127.0.0.1:5000")]
        listen: SocketAddr,
        /// Idle upload sessions older than this are removed (e.g. 30m, 24h, 7d).
        #[arg(long, env = "KOTS_REGISTRY_UPLOAD_TTL", value_parser = parse_duration, default_value = "24h")]
        upload_ttl: Duration,
        /// `none` (anyone who reaches the port can push and pull: loopback labs only) or
        /// `htpasswd` (users from `--htpasswd` / `--htpasswd-read-only`, Docker token auth).
        #[arg(long, env = "KOTS_REGISTRY_AUTH", value_enum, default_value = "none")]
        auth: AuthMode,
        /// htpasswd file (bcrypt or argon2 hashes) of users who may push and pull.
        #[arg(long, env = "KOTS_REGISTRY_HTPASSWD")]
        htpasswd: Option<PathBuf>,
        /// htpasswd file of users who may only pull.
        #[arg(long, env = "KOTS_REGISTRY_HTPASSWD_READ_ONLY")]
        htpasswd_read_only: Option<PathBuf>,
        /// The URL clients reach this registry at; the token realm is `URL/token`.
        /// Default: http://LISTEN-ADDRESS.
        #[arg(long, env = "KOTS_REGISTRY_PUBLIC_URL")]
        public_url: Option<String>,
        /// How long an issued token is valid.
        #[arg(long, value_parser = parse_duration, default_value = "5m")]
        token_ttl: Duration,
        /// How long a client is refused after too many failed logins.
        #[arg(long, value_parser = parse_duration, default_value = "60s")]
        login_backoff: Duration,
        /// Refuse every push and delete (405 UNSUPPORTED), serve pulls: for maintenance such as
        /// `gc`, which may run beside a read-only registry.
        #[arg(long, env = "KOTS_REGISTRY_READ_ONLY")]
        read_only: bool,
        /// Log format on stderr.
        #[arg(long, env = "KOTS_REGISTRY_LOG_FORMAT", value_enum, default_value = "text")]
        log_format: LogFormat,
    },
    /// Remove the blobs no manifest needs (layers of deleted images, pushes never finished by a
    /// manifest). Nothing may push meanwhile: on a data folder it refuses while a registry serves
    /// it (except `serve --read-only`); replicas sharing a database must all be `--read-only`.
    Gc {
        /// The `serve` config file (see `serve --help`): gc takes the stores from it.
        #[arg(long, env = "KOTS_REGISTRY_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        stores: Stores,
        /// Report what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also print each manifest and blob removed (or, with --dry-run, that would be), one
        /// per line, before the summary.
        #[arg(long)]
        list: bool,
        /// Also delete manifests no tag reaches (directly, through an index, or as a signature or
        /// other referrer of one): the old versions a moved tag leaves. Images pulled only by
        /// digest (`kubectl kots pull` pushes digest-pinned images so) go with them.
        #[arg(long)]
        delete_untagged: bool,
        /// With --database: confirms that every replica serves --read-only (or is stopped), which
        /// this command cannot see for itself.
        #[arg(long)]
        replicas_read_only: bool,
    },
}

/// Where the registry keeps its data: the embedded default, or the stores replicas share.
#[derive(Args)]
struct Stores {
    /// Folder for blobs (`blobs/`, `uploads/`) and metadata (`registry.db`); created if missing.
    #[arg(long, env = "KOTS_REGISTRY_DATA_DIR")]
    data_dir: PathBuf,
    /// Metadata in this PostgreSQL database (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`)
    /// instead of SQLite, for several replicas sharing --data-dir; the token signing key
    /// is then kept in the database, so a token from one replica works on all.
    #[arg(long, env = "KOTS_REGISTRY_DATABASE")]
    database: Option<String>,
    /// Blobs in S3-compatible object storage (`s3://BUCKET[/PREFIX]`) instead of --data-dir;
    /// credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the other usual AWS
    /// variables). Needs --database: replicas share both.
    #[arg(long, env = "KOTS_REGISTRY_STORAGE")]
    storage: Option<String>,
    /// The S3 endpoint for non-AWS stores (`http://minio.internal:9000`).
    #[arg(long, env = "KOTS_REGISTRY_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// The bucket's region (else AWS_REGION).
    #[arg(long, env = "KOTS_REGISTRY_S3_REGION")]
    s3_region: Option<String>,
    /// Bucket in the path instead of the host name (MinIO, Ceph and most local servers); taken
    /// by itself for an IP-address or `localhost` endpoint.
    #[arg(long, env = "KOTS_REGISTRY_S3_PATH_STYLE")]
    s3_path_style: bool,
    /// Answer blob downloads with a redirect to a pre-signed URL valid this long (`5m`): the
    /// bytes go from the bucket to the client.
    #[arg(long, env = "KOTS_REGISTRY_S3_REDIRECT_DOWNLOADS", value_parser = parse_duration)]
    s3_redirect_downloads: Option<Duration>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AuthMode {
    None,
    Htpasswd,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    kots_serve::exit_code(run().await)
}

async fn run() -> anyhow::Result<()> {
    let cli: Cli = kots_serve::config_file::parse(&["serve", "gc"], "KOTS_REGISTRY_CONFIG")?;
    match cli.command {
        Command::Serve {
            config: _,
            stores,
            listen,
            upload_ttl,
            auth,
            htpasswd,
            htpasswd_read_only,
            public_url,
            token_ttl,
            login_backoff,
            read_only,
            log_format,
        } => {
            kots_serve::init_logging(log_format);
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}; is another server using it?"))?;
            let address = listener.local_addr()?;
            let public_url = public_url.unwrap_or_else(|| format!("http://{address}"));
            let data_dir = stores.data_dir.clone();
            std::fs::create_dir_all(&data_dir)
                .with_context(|| format!("cannot create the data folder `{}`", data_dir.display()))?;
            let shared_store = stores.shared_metadata().await?;
            let signing_key = match &shared_store {
                Some(store) => store.shared_secret("token-signing-key", || rand::random::<[u8; 32]>().to_vec()).await?,
                None => load_or_create_signing_key(&data_dir.join("token-signing.key"))?,
            };
            let auth = match auth {
                AuthMode::None => {
                    if htpasswd.is_some() || htpasswd_read_only.is_some() {
                        bail!("--htpasswd files are given but --auth is `none`; pass --auth htpasswd");
                    }
                    None
                }
                AuthMode::Htpasswd => {
                    let policy = HtpasswdPolicy::load(htpasswd.as_deref(), htpasswd_read_only.as_deref())?;
                    tracing::info!(users = policy.users(), "htpasswd users loaded");
                    Some(AuthOptions {
                        policy: Arc::new(policy),
                        realm: format!("{}/token", public_url.trim_end_matches('/')),
                        service: url_host(&public_url).to_owned(),
                        token_ttl,
                        signing_key: signing_key.clone(),
                        throttle: ThrottleOptions { backoff: login_backoff, ..ThrottleOptions::default() },
                    })
                }
            };
            let open = auth.is_none();
            let registry = stores.open(shared_store, Options { upload_ttl, auth, read_only, remote: None }).await?;
            println!("kots-registry listening on http://{address}");
            if open {
                tracing::warn!(
                    %address,
                    data_dir = %data_dir.display(),
                    "serving without authentication: anyone who can reach this address can push and pull; keep it on loopback"
                );
            } else {
                tracing::info!(%address, %public_url, data_dir = %data_dir.display(), "serving with token authentication");
            }
            if read_only {
                tracing::warn!("read-only: pushes and deletes are refused until a restart without --read-only");
            }
            server::serve(Arc::new(registry), listener, kots_serve::shutdown_signal()).await?;
            Ok(())
        }
        Command::Gc { config: _, stores, dry_run, list, delete_untagged, replicas_read_only } => {
            kots_serve::init_logging(LogFormat::Text);
            if stores.database.is_some() && !replicas_read_only {
                bail!(
                    "replicas share this database and a push during collection could lose a blob: restart every replica with --read-only (or stop them), then run gc again with --replicas-read-only"
                );
            }
            if stores.database.is_none() && !stores.data_dir.join("registry.db").is_file() {
                bail!("`{}` holds no registry (no registry.db); is --data-dir right?", stores.data_dir.display());
            }
            let shared_store = stores.shared_metadata().await?;
            let options = Options { read_only: true, ..Options::default() };
            let registry = stores.open(shared_store, options).await?;
            let report = registry.collect_garbage(GcOptions { dry_run, delete_untagged }).await?;
            if list {
                for (repository, digest) in &report.removed_manifests {
                    println!("manifest {repository}@{digest}");
                }
                for (digest, size) in &report.removed_blobs {
                    println!("blob {digest} {size}");
                }
                for digest in &report.removed_strays {
                    println!("stray {digest}");
                }
            }
            let mib = |bytes: u64| format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0));
            let (verb, links) = match dry_run {
                true => ("would remove", String::new()),
                false => ("removed", format!(" with {} repository links", report.links_removed)),
            };
            if delete_untagged {
                println!("{verb} {} untagged manifests", report.manifests_removed());
            }
            println!(
                "{} manifests; kept {} blobs ({}); {verb} {} blobs ({}){links}, {} stray blob files, {} unused manifest bodies",
                report.manifests,
                report.blobs_kept,
                mib(report.bytes_kept),
                report.blobs_removed(),
                mib(report.bytes_removed()),
                report.strays_removed(),
                report.manifest_contents_removed,
            );
            Ok(())
        }
    }
}

impl Stores {
    /// PostgreSQL, when replicas share their metadata.
    async fn shared_metadata(&self) -> anyhow::Result<Option<Arc<kots_registry::storage::SqlMetadataStore>>> {
        let Some(url) = &self.database else { return Ok(None) };
        let store = kots_registry::storage::SqlMetadataStore::postgres(url, 16)
            .await
            .with_context(|| format!("cannot open the database {}", kots_registry::storage::redact(url)))?;
        Ok(Some(Arc::new(store)))
    }

    async fn open(
        &self,
        shared_store: Option<Arc<kots_registry::storage::SqlMetadataStore>>,
        options: Options,
    ) -> anyhow::Result<Registry> {
        let data_dir = &self.data_dir;
        let registry = match shared_store {
            Some(store) => {
                let blobs: Arc<dyn kots_registry::storage::BlobStore> = match &self.storage {
                    Some(url) => {
                        let mut s3 = kots_registry::storage::S3Options::parse_url(url).map_err(anyhow::Error::msg)?;
                        s3.endpoint = self.s3_endpoint.clone();
                        s3.region = self.s3_region.clone();
                        s3.path_style = self.s3_path_style;
                        s3.redirect_downloads = self.s3_redirect_downloads;
                        Arc::new(kots_registry::storage::S3BlobStore::open(&s3)?)
                    }
                    None => Arc::new(kots_registry::storage::FilesystemBlobStore::open(data_dir)?),
                };
                tracing::info!(storage = self.storage.as_deref().unwrap_or("shared folder"), "metadata in PostgreSQL");
                Registry::open_shared(blobs, store, options).await
            }
            None if self.storage.is_some() => {
                bail!(
                    "--storage needs --database: object storage is for replicas, which share their metadata in PostgreSQL"
                )
            }
            None => Registry::open_embedded(data_dir, options).await,
        };
        registry.with_context(|| match &self.storage {
            Some(url) => format!("cannot open the registry's blobs at {url}"),
            None => format!("cannot open the registry data folder `{}`", data_dir.display()),
        })
    }
}

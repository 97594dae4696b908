//! `kots-vendor`: the vendor server (`serve`, `bootstrap`) and the admin CLI that drives it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
// clap and anyhow through kots-serve, the server binaries' plumbing (see there).
use kots_serve::{anyhow, clap, parse_duration};
use kots_vendor::VendorOptions;
use kots_vendor::client::Client;
use kots_vendor::customers::{CustomerChange, IssuedLicense};
use kots_vendor::release::ReleaseFile;
use kots_vendor::releases::{CreatedRelease, NewRelease, Promotion};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "kots-vendor",
    version,
    about = "The vendor platform: apps, releases, customers, licenses and a registry"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Several replicas: shared records and registry metadata, and shared registry blobs.
#[derive(Args)]
struct ScaleOut {
    /// Records and registry metadata in PostgreSQL (`postgres://USER[:PASSWORD]@HOST/DB`)
    /// instead of SQLite files in --data-dir.
    #[arg(long, env = "KOTS_VENDOR_DATABASE")]
    database: Option<String>,
    /// Registry blobs in S3-compatible object storage (`s3://BUCKET[/PREFIX]`); credentials from
    /// the usual AWS variables. Needs --database.
    #[arg(long, env = "KOTS_VENDOR_STORAGE")]
    storage: Option<String>,
    /// The S3 endpoint for non-AWS stores (`http://minio.internal:9000`).
    #[arg(long, env = "KOTS_VENDOR_S3_ENDPOINT")]
    s3_endpoint: Option<String>,
    /// The bucket's region (else AWS_REGION).
    #[arg(long, env = "KOTS_VENDOR_S3_REGION")]
    s3_region: Option<String>,
    /// Bucket in the path instead of the host name (MinIO, Ceph and most local servers).
    #[arg(long, env = "KOTS_VENDOR_S3_PATH_STYLE")]
    s3_path_style: bool,
    /// Answer blob downloads with a redirect to a pre-signed URL valid this long (`5m`).
    #[arg(long, env = "KOTS_VENDOR_S3_REDIRECT_DOWNLOADS", value_parser = parse_duration)]
    s3_redirect_downloads: Option<Duration>,
}

impl ScaleOut {
    fn storage(&self) -> anyhow::Result<Option<kots_registry::storage::S3Options>> {
        self.storage
            .as_deref()
            .map(|url| {
                let mut options = kots_registry::storage::S3Options::parse_url(url).map_err(anyhow::Error::msg)?;
                options.endpoint = self.s3_endpoint.clone();
                options.region = self.s3_region.clone();
                options.path_style = self.s3_path_style;
                options.redirect_downloads = self.s3_redirect_downloads;
                Ok(options)
            })
            .transpose()
    }
}

/// Where the admin commands find the server.
#[derive(Args)]
struct Remote {
    /// The vendor server's URL.
    #[arg(long, env = "KOTS_VENDOR_URL", default_value = "http://127.0.0.1:8800", global = true)]
    url: String,
    /// A user API token (from `bootstrap` or `token create`).
    #[arg(long, env = "KOTS_VENDOR_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
}

impl Remote {
    fn client(&self) -> anyhow::Result<Client> {
        let Some(token) = self.token.clone() else {
            bail!("no API token: pass --token or set KOTS_VENDOR_TOKEN (`kots-vendor bootstrap` prints the first one)");
        };
        Ok(Client::new(&self.url, Some(token)))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the admin API, the release API and the registry on one listener.
    Serve {
        /// A TOML file of these settings: keys are the flags without `--` (`data-dir = "/var/lib/kots"`,
        /// `[s3] endpoint = "…"` for --s3-endpoint); flags and environment variables override it.
        #[arg(long, env = "KOTS_VENDOR_CONFIG")]
        config: Option<PathBuf>,
        /// Folder for `vendor.db` and the registry's `registry/`; created if missing.
        #[arg(long, env = "KOTS_VENDOR_DATA_DIR")]
        data_dir: PathBuf,
        /// Address to listen on; port 0 picks a free port, printed on the first line of output.
        #[arg(long, env = "KOTS_VENDOR_LISTEN", default_value = "127.0.0.1:8800")]
        listen: SocketAddr,
        /// The URL customers use to reach this server: licenses carry it as their endpoint and
        /// its host is the registry's. Default: http://LISTEN-ADDRESS.
        #[arg(long, env = "KOTS_VENDOR_PUBLIC_URL")]
        public_url: Option<String>,
        /// Idle registry upload sessions older than this are removed.
        #[arg(long, value_parser = parse_duration, default_value = "24h")]
        upload_ttl: Duration,
        /// How long a registry token is valid.
        #[arg(long, value_parser = parse_duration, default_value = "5m")]
        token_ttl: Duration,
        /// How long a client is refused after too many failed logins.
        #[arg(long, value_parser = parse_duration, default_value = "60s")]
        login_backoff: Duration,
        /// Fetch images of REGISTRY from ENDPOINT when building airgap bundles
        /// (REGISTRY=ENDPOINT, e.g. docker.io=https://mirror.corp.example); repeatable.
        #[arg(long = "registry-mirror", value_parser = kots_transfer::parse_mirror)]
        registry_mirrors: Vec<(String, String, bool)>,
        /// Let airgap bundles fetch images that releases name on loopback or private addresses
        /// (`127.0.0.1:5000/…`, `10.0.0.8/…`, names that resolve there), and linked registries
        /// (links and the proxy) be there. Off: only public registries and the
        /// --registry-mirror endpoints are reached.
        #[arg(long, env = "KOTS_VENDOR_ALLOW_PRIVATE_REGISTRIES")]
        allow_private_registries: bool,
        /// The registry refuses pushes and deletes (405), for `kots-registry gc --data-dir
        /// DATA_DIR/registry` (or `--database …`) beside this server; everything else works.
        #[arg(long, env = "KOTS_VENDOR_REGISTRY_READ_ONLY")]
        registry_read_only: bool,
        /// The host customers write in image names for this registry when it has a name of its
        /// own (a CNAME: registry.vendor.example); releases' answers name it. Default: the host
        /// of --public-url.
        #[arg(long, env = "KOTS_VENDOR_REGISTRY_DOMAIN")]
        registry_domain: Option<String>,
        /// The host of the proxy that serves linked registries' images (proxy.vendor.example).
        /// Default: the registry domain.
        #[arg(long, env = "KOTS_VENDOR_PROXY_DOMAIN")]
        proxy_domain: Option<String>,
        /// Keep blobs the proxy of linked registries served whole, up to this many MiB, in
        /// DATA_DIR/proxy-cache/ (the blobs used longest ago go first); later pulls of them
        /// through the same repository do not reach the linked registry. 0: no cache.
        #[arg(long, env = "KOTS_VENDOR_PROXY_CACHE_MIB", default_value_t = 0)]
        proxy_cache_mib: u64,
        #[command(flatten)]
        scale: ScaleOut,
    },
    /// Create the first user of the first team on an empty data folder; prints a user API token.
    Bootstrap {
        #[arg(long, env = "KOTS_VENDOR_DATA_DIR")]
        data_dir: PathBuf,
        #[arg(long)]
        email: String,
        /// Also set a password (for `docker login` with email + password).
        #[arg(long, env = "KOTS_VENDOR_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// The PostgreSQL database the replicas will share (see `serve --database`).
        #[arg(long, env = "KOTS_VENDOR_DATABASE")]
        database: Option<String>,
    },
    /// Apps.
    #[command(subcommand)]
    App(AppCommand),
    /// Channels.
    #[command(subcommand)]
    Channel(ChannelCommand),
    /// Releases.
    #[command(subcommand)]
    Release(ReleaseCommand),
    /// Customers and their licenses.
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Teams: each vendor on this server is one.
    #[command(subcommand)]
    Team(TeamCommand),
    /// User API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Service accounts (tokens for CI to push images).
    #[command(name = "service-account", subcommand)]
    ServiceAccount(ServiceAccountCommand),
    /// The global signing key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Airgap bundles.
    #[command(subcommand)]
    Airgap(AirgapCommand),
    /// Linked registries: the vendor's own registries whose images customers pull through the
    /// proxy with their license.
    #[command(subcommand)]
    Registry(RegistryCommand),
}

#[derive(Subcommand)]
enum RegistryCommand {
    /// Link a registry to an app; its credentials are checked against it (GET /v2/, as `docker
    /// login` does) and stored encrypted.
    Add {
        #[arg(long)]
        app: String,
        /// The registry's host (quay.io, registry.example:5000); http:// in front for plain HTTP.
        #[arg(long)]
        endpoint: String,
        #[arg(long, requires = "password_source")]
        username: Option<String>,
        #[arg(long, env = "KOTS_VENDOR_REGISTRY_PASSWORD", hide_env_values = true, group = "password_source")]
        password: Option<String>,
        /// Read the password from standard input (one line).
        #[arg(long, group = "password_source")]
        password_stdin: bool,
        /// Store the link without checking the credentials against the registry.
        #[arg(long)]
        no_check: bool,
        /// Replace the app's link to this host (new credentials) instead of refusing it.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// List an app's linked registries: HOST  USERNAME  ADDED (never the password).
    #[command(visible_alias = "ls")]
    List {
        #[arg(long)]
        app: String,
        #[command(flatten)]
        remote: Remote,
    },
    /// Unlink a registry from an app; its images stop being served through the proxy.
    #[command(visible_alias = "rm")]
    Remove {
        #[arg(long)]
        app: String,
        #[arg(long)]
        endpoint: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum AirgapCommand {
    /// Build a customer's airgap bundle (release + every image) into a file, as the customer
    /// would download it.
    Build {
        #[arg(long)]
        app: String,
        /// The customer's license (its ID authenticates; it must have the airgap entitlement).
        #[arg(long)]
        license_file: PathBuf,
        /// Channel slug, name or ID (default: the license's default channel).
        #[arg(long)]
        channel: Option<String>,
        /// A given channel sequence instead of the newest.
        #[arg(long)]
        channel_sequence: Option<i64>,
        /// zstd, gzip or none.
        #[arg(long, default_value = "zstd")]
        compression: String,
        #[arg(long)]
        output: PathBuf,
        /// The vendor server's URL.
        #[arg(long, env = "KOTS_VENDOR_URL", default_value = "http://127.0.0.1:8800")]
        url: String,
    },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Create an app with the channels Stable, Beta and Unstable.
    Create {
        slug: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// List your team's apps.
    Ls {
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum ChannelCommand {
    /// Add a channel to an app.
    Create {
        #[arg(long)]
        app: String,
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum ReleaseCommand {
    /// Create a release from a folder of Kubernetes YAML.
    Create {
        #[arg(long)]
        app: String,
        #[arg(long)]
        yaml_dir: PathBuf,
        #[arg(long = "version")]
        version_label: Option<String>,
        #[arg(long, default_value = "")]
        notes: String,
        /// Promote it to this channel at once.
        #[arg(long)]
        promote: Option<String>,
        /// Customers must install this release before later ones.
        #[arg(long)]
        required: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// Promote a release to a channel.
    Promote {
        #[arg(long)]
        app: String,
        sequence: i64,
        channel: String,
        #[arg(long = "version")]
        version_label: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long)]
        required: bool,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Args)]
struct CustomerFields {
    #[arg(long)]
    email: Option<String>,
    /// A channel the license holds (repeat for several; the first is the default).
    #[arg(long = "channel")]
    channels: Vec<String>,
    /// dev, trial, paid or community.
    #[arg(long = "type")]
    license_type: Option<String>,
    /// Expiry, RFC 3339 (e.g. 2027-01-31T00:00:00Z); empty for never.
    #[arg(long)]
    expires: Option<String>,
    /// Entitle the customer to airgap bundles.
    #[arg(long)]
    airgap: bool,
    /// A custom entitlement NAME=VALUE (repeatable; integers and true/false are typed).
    #[arg(long = "entitlement", value_parser = parse_entitlement)]
    entitlements: Vec<(String, Value)>,
    /// Write the license YAML here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
}

fn parse_entitlement(text: &str) -> Result<(String, Value), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| format!("`{text}`: expected NAME=VALUE"))?;
    let value = if let Ok(number) = value.parse::<i64>() {
        json!(number)
    } else if let Ok(flag) = value.parse::<bool>() {
        json!(flag)
    } else {
        json!(value)
    };
    Ok((name.to_owned(), value))
}

#[derive(Subcommand)]
enum CustomerCommand {
    /// Create a customer and issue its license.
    Create {
        #[arg(long)]
        app: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        fields: CustomerFields,
        #[command(flatten)]
        remote: Remote,
    },
    /// Change a customer; its license is re-issued with the next sequence.
    Update {
        #[arg(long)]
        app: String,
        license_id: String,
        #[arg(long)]
        name: Option<String>,
        /// Remove the airgap entitlement.
        #[arg(long, conflicts_with = "airgap")]
        no_airgap: bool,
        #[command(flatten)]
        fields: CustomerFields,
        #[command(flatten)]
        remote: Remote,
    },
    /// Revoke a license: release downloads and image pulls stop at once.
    Revoke {
        #[arg(long)]
        app: String,
        license_id: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum TeamCommand {
    /// Create a team and its first user; prints that user's API token. Only the server's
    /// administrator (the user `bootstrap` made) may.
    Create {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: String,
        #[arg(long, env = "KOTS_VENDOR_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// Your team's members.
    #[command(subcommand)]
    Member(MemberCommand),
}

#[derive(Subcommand)]
enum MemberCommand {
    /// Add a member to your team; prints its first API token.
    Add {
        #[arg(long)]
        email: String,
        /// Also set a password (for `docker login` with email + password).
        #[arg(long, env = "KOTS_VENDOR_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// List your team's members (email, and `admin` for the server's administrator).
    #[command(visible_alias = "list")]
    Ls {
        #[command(flatten)]
        remote: Remote,
    },
    /// Remove a member and its API tokens; its logins stop on the next request.
    Remove {
        email: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a user API token (printed once).
    Create {
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        remote: Remote,
    },
    /// List your API tokens: ID, name, created (never the secrets).
    #[command(visible_alias = "list")]
    Ls {
        #[command(flatten)]
        remote: Remote,
    },
    /// Revoke one of your API tokens by ID; it stops working on the next request, and so do
    /// registry tokens issued for it.
    Revoke {
        id: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum ServiceAccountCommand {
    /// Create a service account; its token is printed once.
    Create {
        #[arg(long)]
        name: String,
        /// Pull only, never push.
        #[arg(long)]
        read_only: bool,
        #[command(flatten)]
        remote: Remote,
    },
    /// List your team's service accounts: ID, name, read-only or read-write.
    #[command(visible_alias = "list")]
    Ls {
        #[command(flatten)]
        remote: Remote,
    },
    /// Revoke a service account by ID; it stops working on the next request, and so do
    /// registry tokens issued for it.
    Revoke {
        id: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Print the global public key (PEM) customers trust; its key id goes to standard error.
    Export {
        /// Write `KEY_ID.pem` into this folder instead.
        #[arg(long)]
        output_dir: Option<PathBuf>,
        #[command(flatten)]
        remote: Remote,
    },
}

fn read_release_dir(root: &Path) -> anyhow::Result<Vec<ReleaseFile>> {
    let files = kots_release::archive::read_folder(root).map_err(anyhow::Error::msg)?;
    if files.is_empty() {
        bail!("`{}` holds no files; a release is a folder of Kubernetes YAML", root.display());
    }
    Ok(files.into_iter().map(|(path, content)| ReleaseFile { path, content }).collect())
}

/// `text` as one URL path segment (an email's `@` and `+` are fine; `/`, `?`, `#`, `%` are not).
fn path_segment(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@+".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn customer_change(name: Option<String>, fields: &CustomerFields, airgap: Option<bool>) -> CustomerChange {
    CustomerChange {
        name,
        email: fields.email.clone(),
        channels: (!fields.channels.is_empty()).then(|| fields.channels.clone()),
        license_type: fields.license_type.clone(),
        expires_at: fields.expires.clone(),
        airgap,
        entitlements: (!fields.entitlements.is_empty())
            .then(|| fields.entitlements.iter().cloned().collect::<BTreeMap<_, _>>()),
    }
}

fn write_license(issued: &IssuedLicense, output: Option<&Path>) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, &issued.license).with_context(|| format!("cannot write `{}`", path.display()))?;
            eprintln!(
                "license {} (sequence {}) written to {}",
                issued.license_id,
                issued.license_sequence,
                path.display()
            );
        }
        None => print!("{}", issued.license),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    kots_serve::exit_code(run().await)
}

async fn run() -> anyhow::Result<()> {
    let cli: Cli = kots_serve::config_file::parse(&["serve"], "KOTS_VENDOR_CONFIG")?;
    match cli.command {
        Command::Serve {
            config: _,
            data_dir,
            listen,
            public_url,
            upload_ttl,
            token_ttl,
            login_backoff,
            registry_mirrors,
            allow_private_registries,
            registry_read_only,
            registry_domain,
            proxy_domain,
            proxy_cache_mib,
            scale,
        } => {
            kots_serve::init_logging(kots_serve::LogFormat::Text);
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}; is another server using it?"))?;
            let address = listener.local_addr()?;
            let public_url = public_url.unwrap_or_else(|| format!("http://{address}"));
            let vendor = kots_vendor::Vendor::open(
                &data_dir,
                &public_url,
                VendorOptions {
                    upload_ttl,
                    token_ttl,
                    login_backoff,
                    registry_mirrors: registry_mirrors
                        .into_iter()
                        .map(|(registry, host, plain_http)| (registry, (host, plain_http)))
                        .collect(),
                    allow_private_registries,
                    storage: scale.storage()?,
                    database: scale.database,
                    registry_read_only,
                    registry_domain,
                    proxy_domain,
                    proxy_cache_bytes: proxy_cache_mib.saturating_mul(1024 * 1024),
                },
            )
            .await
            .with_context(|| format!("cannot open the data folder `{}`", data_dir.display()))?;
            println!("kots-vendor listening on http://{address}");
            tracing::info!(
                %address,
                %public_url,
                registry_domain = vendor.registry_domain(),
                proxy_domain = vendor.proxy_domain(),
                global_key = vendor.global_key().id(), "serving");
            kots_vendor::server::serve(Arc::new(vendor), listener, kots_serve::shutdown_signal()).await?;
        }
        Command::Bootstrap { data_dir, email, password, database } => {
            let token = kots_vendor::bootstrap(&data_dir, database.as_deref(), &email, password.as_deref()).await?;
            println!("{token}");
        }
        Command::App(AppCommand::Create { slug, name, remote }) => {
            let created: Value = remote.client()?.post("/api/v1/apps", &json!({ "slug": slug, "name": name })).await?;
            let channels: Vec<&str> =
                created["channels"].as_array().into_iter().flatten().filter_map(|c| c["slug"].as_str()).collect();
            println!(
                "app {} created with channels {}",
                created["slug"].as_str().unwrap_or_default(),
                channels.join(", ")
            );
        }
        Command::App(AppCommand::Ls { remote }) => {
            let listed: Value = remote.client()?.get("/api/v1/apps").await?;
            for app in listed["apps"].as_array().into_iter().flatten() {
                println!("{}\t{}", app["slug"].as_str().unwrap_or_default(), app["name"].as_str().unwrap_or_default());
            }
        }
        Command::Channel(ChannelCommand::Create { app, name, remote }) => {
            let created: Value =
                remote.client()?.post(&format!("/api/v1/apps/{app}/channels"), &json!({ "name": name })).await?;
            println!("channel {} created", created["slug"].as_str().unwrap_or_default());
        }
        Command::Release(ReleaseCommand::Create { app, yaml_dir, version_label, notes, promote, required, remote }) => {
            let files = read_release_dir(&yaml_dir)?;
            let request = NewRelease { files, version_label, notes, promote, required };
            let created: CreatedRelease =
                remote.client()?.post(&format!("/api/v1/apps/{app}/releases"), &request).await?;
            println!("release {} ({}) created", created.sequence, created.version_label);
            if let Some(promoted) = created.promoted {
                println!("promoted to {} as channel sequence {}", promoted.channel, promoted.channel_sequence);
            }
        }
        Command::Release(ReleaseCommand::Promote {
            app,
            sequence,
            channel,
            version_label,
            notes,
            required,
            remote,
        }) => {
            let request =
                json!({ "channel": channel, "versionLabel": version_label, "notes": notes, "required": required });
            let promoted: Promotion =
                remote.client()?.post(&format!("/api/v1/apps/{app}/releases/{sequence}/promote"), &request).await?;
            println!(
                "release {sequence} promoted to {} as channel sequence {} ({})",
                promoted.channel, promoted.channel_sequence, promoted.version_label
            );
        }
        Command::Customer(CustomerCommand::Create { app, name, fields, remote }) => {
            let change = customer_change(Some(name), &fields, Some(fields.airgap));
            let issued: IssuedLicense =
                remote.client()?.post(&format!("/api/v1/apps/{app}/customers"), &change).await?;
            write_license(&issued, fields.output.as_deref())?;
        }
        Command::Customer(CustomerCommand::Update { app, license_id, name, no_airgap, fields, remote }) => {
            let airgap = if no_airgap { Some(false) } else { fields.airgap.then_some(true) };
            let change = customer_change(name, &fields, airgap);
            let issued: IssuedLicense =
                remote.client()?.patch(&format!("/api/v1/apps/{app}/customers/{license_id}"), &change).await?;
            write_license(&issued, fields.output.as_deref())?;
        }
        Command::Customer(CustomerCommand::Revoke { app, license_id, remote }) => {
            let _: Value =
                remote.client()?.post(&format!("/api/v1/apps/{app}/customers/{license_id}/revoke"), &json!({})).await?;
            println!("license {license_id} revoked");
        }
        Command::Team(TeamCommand::Create { name, email, password, remote }) => {
            let created: Value = remote
                .client()?
                .post("/api/v1/teams", &json!({ "name": name, "email": email, "password": password }))
                .await?;
            println!("{}", created["token"].as_str().unwrap_or_default());
        }
        Command::Team(TeamCommand::Member(MemberCommand::Add { email, password, remote })) => {
            let created: Value =
                remote.client()?.post("/api/v1/team/members", &json!({ "email": email, "password": password })).await?;
            println!("{}", created["token"].as_str().unwrap_or_default());
        }
        Command::Team(TeamCommand::Member(MemberCommand::Ls { remote })) => {
            let listed: Value = remote.client()?.get("/api/v1/team/members").await?;
            for member in listed["members"].as_array().into_iter().flatten() {
                let role = if member["admin"].as_bool() == Some(true) { "admin" } else { "member" };
                println!("{}\t{role}", member["email"].as_str().unwrap_or_default());
            }
        }
        Command::Team(TeamCommand::Member(MemberCommand::Remove { email, remote })) => {
            let _: Value = remote.client()?.delete(&format!("/api/v1/team/members/{}", path_segment(&email))).await?;
            println!("member {email} removed");
        }
        Command::Token(TokenCommand::Ls { remote }) => {
            let listed: Value = remote.client()?.get("/api/v1/tokens").await?;
            for token in listed["tokens"].as_array().into_iter().flatten() {
                println!(
                    "{}\t{}\t{}",
                    token["id"].as_str().unwrap_or_default(),
                    token["name"].as_str().unwrap_or_default(),
                    token["createdAt"].as_str().unwrap_or_default()
                );
            }
        }
        Command::Token(TokenCommand::Revoke { id, remote }) => {
            let _: Value = remote.client()?.delete(&format!("/api/v1/tokens/{}", path_segment(&id))).await?;
            println!("token {id} revoked");
        }
        Command::ServiceAccount(ServiceAccountCommand::Ls { remote }) => {
            let listed: Value = remote.client()?.get("/api/v1/service-accounts").await?;
            for account in listed["serviceAccounts"].as_array().into_iter().flatten() {
                let access = if account["readOnly"].as_bool() == Some(true) { "read-only" } else { "read-write" };
                println!(
                    "{}\t{}\t{access}",
                    account["id"].as_str().unwrap_or_default(),
                    account["name"].as_str().unwrap_or_default()
                );
            }
        }
        Command::ServiceAccount(ServiceAccountCommand::Revoke { id, remote }) => {
            let _: Value = remote.client()?.delete(&format!("/api/v1/service-accounts/{}", path_segment(&id))).await?;
            println!("service account {id} revoked");
        }
        Command::Token(TokenCommand::Create { name, remote }) => {
            let created: Value = remote.client()?.post("/api/v1/tokens", &json!({ "name": name })).await?;
            println!("{}", created["token"].as_str().unwrap_or_default());
        }
        Command::ServiceAccount(ServiceAccountCommand::Create { name, read_only, remote }) => {
            let created: Value = remote
                .client()?
                .post("/api/v1/service-accounts", &json!({ "name": name, "readOnly": read_only }))
                .await?;
            println!("{}", created["token"].as_str().unwrap_or_default());
        }
        Command::Airgap(AirgapCommand::Build {
            app,
            license_file,
            channel,
            channel_sequence,
            compression,
            output,
            url,
        }) => {
            let license = kots_license::License::load(&license_file)
                .with_context(|| format!("cannot read the license `{}`", license_file.display()))?;
            let mut path = format!("{}/airgap/{app}", url.trim_end_matches('/'));
            if let Some(channel) = channel {
                path.push_str(&format!("/{channel}"));
            }
            path.push_str(&format!("?compression={compression}"));
            if let Some(sequence) = channel_sequence {
                path.push_str(&format!("&channelSequence={sequence}"));
            }
            let bytes = Client::new(&url, None)
                .download(&path, license.id().as_str(), &output)
                .await
                .with_context(|| format!("cannot build the airgap bundle of {app}"))?;
            eprintln!("airgap bundle of {app} written to {} ({bytes} bytes)", output.display());
        }
        Command::Registry(RegistryCommand::Add {
            app,
            endpoint,
            username,
            password,
            password_stdin,
            no_check,
            replace,
            remote,
        }) => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).context("cannot read the password from standard input")?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                password
            };
            if password.is_some() && username.is_none() {
                bail!("a registry password needs --username");
            }
            let request = kots_vendor::NewLinkedRegistry { endpoint, username, password, no_check, replace };
            let linked: kots_vendor::LinkedRegistryInfo =
                remote.client()?.post(&format!("/api/v1/apps/{}/registries", path_segment(&app)), &request).await?;
            let checked = if no_check { "not checked" } else { "credentials checked" };
            println!("registry {} linked to {app} ({checked})", linked.host);
        }
        Command::Registry(RegistryCommand::List { app, remote }) => {
            let listed: Value =
                remote.client()?.get(&format!("/api/v1/apps/{}/registries", path_segment(&app))).await?;
            let links: Vec<kots_vendor::LinkedRegistryInfo> =
                serde_json::from_value(listed["registries"].clone()).context("unexpected answer from the server")?;
            for link in links {
                let host = if link.plain_http { format!("http://{}", link.host) } else { link.host };
                println!("{host}\t{}\t{}", link.username.as_deref().unwrap_or("(anonymous)"), link.created_at);
            }
        }
        Command::Registry(RegistryCommand::Remove { app, endpoint, remote }) => {
            let host = kots_vendor::RegistryHost::parse(&endpoint)?.host;
            let _: Value = remote
                .client()?
                .delete(&format!("/api/v1/apps/{}/registries/{}", path_segment(&app), path_segment(&host)))
                .await?;
            println!("registry {host} unlinked from {app}");
        }
        Command::Key(KeyCommand::Export { output_dir, remote }) => {
            let key: Value = Client::new(&remote.url, None).get("/api/v1/keys/global").await?;
            let key_id = key["keyId"].as_str().unwrap_or_default();
            let pem = key["publicKeyPem"].as_str().unwrap_or_default();
            match output_dir {
                Some(directory) => {
                    std::fs::create_dir_all(&directory)?;
                    let path = directory.join(format!("{key_id}.pem"));
                    std::fs::write(&path, pem).with_context(|| format!("cannot write `{}`", path.display()))?;
                    eprintln!("global key {key_id} written to {}", path.display());
                }
                None => {
                    eprintln!(
                        "global key id: {key_id} (customers pass the PEM, under any file name, to --trusted-key)"
                    );
                    print!("{pem}");
                }
            }
        }
    }
    Ok(())
}

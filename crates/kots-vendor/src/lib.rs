//! The vendor platform: teams and their users, apps with channels and releases, customers with
//! signed licenses, the `replicated://` release API that `kubectl kots pull` speaks, and the
//! registry (built in, under `/v2/`) where vendors push their private images.
//!
//! [`Vendor`] is the service; [`server`] puts it on HTTP beside the registry; [`client`] is the
//! admin API client behind the `kots-vendor` subcommands.

pub mod admin;
pub mod airgap;
pub mod apps;
pub mod client;
pub mod customers;
mod error;
pub mod identity;
pub mod linked;
pub mod proxy;
pub mod proxy_cache;
pub mod registry_access;
pub mod release;
pub mod release_api;
pub mod releases;
pub mod server;
mod store;

use std::path::Path;
use std::sync::Arc;

use std::time::Duration;

use kots_license::GlobalKey;
use kots_registry::Registry;
use kots_registry::auth::{AuthOptions, ThrottleOptions};

pub use error::{Error, Result};
pub use linked::{LinkedRegistry, LinkedRegistryInfo, NewLinkedRegistry, RegistryHost};
pub use store::{App, Channel, Customer, ServiceAccount, Store, TokenInfo, User};

/// RSA key size for the global key and app keys.
pub const KEY_BITS: usize = 2048;

/// The vendor service: its records, its keys and its registry.
pub struct Vendor {
    pub(crate) store: Store,
    pub(crate) registry: Arc<Registry>,
    pub(crate) global_key: GlobalKey,
    /// Where customers reach this server (license `endpoint`), without a trailing `/`.
    pub(crate) public_url: String,
    /// The host customers write in image names for this registry (`--registry-domain`).
    pub(crate) registry_domain: String,
    /// The proxy's host (`--proxy-domain`).
    pub(crate) proxy_domain: String,
    pub(crate) registry_mirrors: airgap::Mirrors,
    pub(crate) allow_private_registries: bool,
}

impl std::fmt::Debug for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vendor").field("public_url", &self.public_url).finish_non_exhaustive()
    }
}

/// Settings of the server beyond its data folder and address.
#[derive(Debug, Clone)]
pub struct VendorOptions {
    pub upload_ttl: Duration,
    /// Lifetime of registry tokens.
    pub token_ttl: Duration,
    /// How long a client is refused after too many failed logins.
    pub login_backoff: Duration,
    /// Where airgap bundles fetch images of other registries from: registry host → (mirror
    /// host, plain HTTP). The operator chose them, so they may be private addresses.
    pub registry_mirrors: airgap::Mirrors,
    /// Airgap bundles may fetch images that a release names on loopback or private addresses
    /// (without it, only public registries and the mirrors are reached).
    pub allow_private_registries: bool,
    /// Records and registry metadata in this PostgreSQL database instead of SQLite files, for
    /// several replicas; the registry's token key is then kept there too.
    pub database: Option<String>,
    /// The registry's blobs in S3-compatible object storage (needs `database`).
    pub storage: Option<kots_registry::storage::S3Options>,
    /// The registry refuses pushes and deletes (for `kots-registry gc` beside it); the rest of
    /// the platform works as usual.
    pub registry_read_only: bool,
    /// The host name customers write in image names for this registry when it has one of its
    /// own (a CNAME: `registry.vendor.example`). Default: the host of the public URL. Release
    /// API answers name it (`X-Replicated-ReplicatedRegistryDomain`); the registry's token
    /// realm and service stay on the public URL.
    pub registry_domain: Option<String>,
    /// The host name of the proxy for linked registries (`proxy.vendor.example`, as
    /// `proxy.replicated.com` is Replicated's). Default: the registry domain.
    pub proxy_domain: Option<String>,
    /// The proxy keeps blobs it served whole, up to this many bytes, in `DATA_DIR/proxy-cache/`
    /// (see [`proxy_cache`]); 0: no cache.
    pub proxy_cache_bytes: u64,
}

impl Default for VendorOptions {
    fn default() -> Self {
        VendorOptions {
            upload_ttl: kots_registry::DEFAULT_UPLOAD_TTL,
            token_ttl: Duration::from_secs(300),
            login_backoff: Duration::from_secs(60),
            registry_mirrors: airgap::Mirrors::new(),
            allow_private_registries: false,
            database: None,
            storage: None,
            registry_read_only: false,
            registry_domain: None,
            proxy_domain: None,
            proxy_cache_bytes: 0,
        }
    }
}

pub(crate) fn vendor_database(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("vendor.db")
}

impl Vendor {
    /// Opens (or creates) the data folder: `vendor.db`, and the registry under `registry/`,
    /// which authenticates with the vendor's users, service accounts and licenses.
    pub async fn open(data_dir: &Path, public_url: &str, options: VendorOptions) -> Result<Vendor> {
        let registry_dir = data_dir.join("registry");
        std::fs::create_dir_all(&registry_dir)
            .map_err(|e| Error::internal(format_args!("cannot create `{}`: {e}", registry_dir.display())))?;
        let public_url = public_url.trim_end_matches('/').to_owned();
        let registry_domain = match &options.registry_domain {
            Some(domain) => linked::parse_domain("--registry-domain", domain)?,
            None => kots_registry::auth::url_host(&public_url).to_ascii_lowercase(),
        };
        let proxy_domain = match &options.proxy_domain {
            Some(domain) => linked::parse_domain("--proxy-domain", domain)?,
            None => registry_domain.clone(),
        };
        let store = open_store(data_dir, options.database.as_deref()).await?;
        let global_key = load_or_create_global_key(&store).await?;
        let shared_metadata = match &options.database {
            Some(url) => Some(Arc::new(kots_registry::storage::SqlMetadataStore::postgres(url, 16).await?)),
            None => None,
        };
        let credentials_key = match &shared_metadata {
            // Every replica opens the credentials the others stored.
            Some(metadata) => {
                let text = metadata
                    .shared_secret("vendor-registry-credentials-key", || {
                        linked::CredentialsKey::generate().into_bytes()
                    })
                    .await?;
                linked::CredentialsKey::new(String::from_utf8(text).map_err(Error::internal)?)?
            }
            None => linked::load_or_create_key_file(&data_dir.join("registry-credentials.key"))?,
        };
        let store = store.with_credentials_key(credentials_key);
        let signing_key = match &shared_metadata {
            // Every replica signs and checks registry tokens with the same key.
            Some(metadata) => {
                metadata.shared_secret("vendor-token-signing-key", || rand::random::<[u8; 32]>().to_vec()).await?
            }
            None => kots_registry::auth::load_or_create_signing_key(&registry_dir.join("token-signing.key"))?,
        };
        let auth = AuthOptions {
            policy: Arc::new(registry_access::VendorAccess { store: store.clone() }),
            realm: format!("{public_url}/token"),
            service: kots_registry::auth::url_host(&public_url).to_owned(),
            token_ttl: options.token_ttl,
            signing_key,
            throttle: ThrottleOptions { backoff: options.login_backoff, ..ThrottleOptions::default() },
        };
        let proxy_cache = (options.proxy_cache_bytes > 0)
            .then(|| Arc::new(proxy_cache::BlobCache::new(data_dir.join("proxy-cache"), options.proxy_cache_bytes)));
        let registry_options = kots_registry::Options {
            upload_ttl: options.upload_ttl,
            auth: Some(auth),
            read_only: options.registry_read_only,
            // `proxy/APP/HOSTENC/PATH`: the apps' linked registries, on this same listener.
            remote: Some(Arc::new(proxy::LinkedProxy::new(
                store.clone(),
                options.allow_private_registries,
                proxy_cache.clone(),
            ))),
        };
        let registry = match (shared_metadata, &options.storage) {
            (Some(metadata), storage) => {
                let blobs: Arc<dyn kots_registry::storage::BlobStore> = match storage {
                    Some(s3) => Arc::new(kots_registry::storage::S3BlobStore::open(s3)?),
                    None => Arc::new(kots_registry::storage::FilesystemBlobStore::open(&registry_dir)?),
                };
                Registry::open_shared(blobs, metadata, registry_options).await?
            }
            (None, Some(_)) => {
                return Err(Error::Invalid(
                    "object storage needs a database: replicas share their metadata in PostgreSQL".to_owned(),
                ));
            }
            (None, None) => Registry::open_embedded(&registry_dir, registry_options).await?,
        };
        Ok(Vendor {
            store,
            registry: Arc::new(registry),
            global_key,
            public_url,
            registry_domain,
            proxy_domain,
            registry_mirrors: options.registry_mirrors,
            allow_private_registries: options.allow_private_registries,
        })
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The registry's host as customers and vendors write it in image names (`host[:port]`):
    /// `--registry-domain`, else the public URL's host.
    pub fn registry_domain(&self) -> &str {
        &self.registry_domain
    }

    /// The host customers pull linked registries' images through (`PROXY/proxy/APP/HOST/…`):
    /// `--proxy-domain`, else the registry domain.
    pub fn proxy_domain(&self) -> &str {
        &self.proxy_domain
    }

    /// Whether image names on `host` mean this server's registry: the registry domain, or the
    /// public URL's host when the registry has a domain of its own.
    pub fn is_own_registry(&self, host: &str) -> bool {
        host.eq_ignore_ascii_case(&self.registry_domain)
            || host.eq_ignore_ascii_case(kots_registry::auth::url_host(&self.public_url))
    }

    /// Whether the server may reach loopback and private addresses for releases' images and
    /// linked registries (`--allow-private-registries`).
    pub fn allows_private_registries(&self) -> bool {
        self.allow_private_registries
    }

    pub fn global_key(&self) -> &GlobalKey {
        &self.global_key
    }
}

/// The vendor's records: in PostgreSQL if a database is given, else SQLite in `data_dir`.
async fn open_store(data_dir: &Path, database: Option<&str>) -> Result<Store> {
    match database {
        Some(url) => Store::connect(url).await,
        None => Store::open(&vendor_database(data_dir)).await,
    }
}

/// The global key signs every app key; it is made once, on first start, and kept.
async fn load_or_create_global_key(store: &Store) -> Result<GlobalKey> {
    if let Some((key_id, pem)) = store.global_key().await? {
        return Ok(GlobalKey::from_pem(key_id, &pem)?);
    }
    let key_id = uuid::Uuid::new_v4().simple().to_string();
    let generated =
        tokio::task::spawn_blocking(move || GlobalKey::generate(key_id, KEY_BITS)).await.map_err(Error::internal)??;
    let (key_id, pem) = store.insert_global_key(generated.id(), &generated.to_pem()?).await?;
    Ok(GlobalKey::from_pem(key_id, &pem)?)
}

/// `kots-vendor bootstrap`: the first user of the first team, on an empty data folder. Returns
/// a user API token for that user.
pub async fn bootstrap(data_dir: &Path, database: Option<&str>, email: &str, password: Option<&str>) -> Result<String> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| Error::internal(format_args!("cannot create `{}`: {e}", data_dir.display())))?;
    let store = open_store(data_dir, database).await?;
    if store.has_users().await? {
        return Err(Error::Conflict(format!(
            "`{}` already has users; bootstrap only sets up an empty data folder (create tokens with `kots-vendor token create`)",
            data_dir.display()
        )));
    }
    load_or_create_global_key(&store).await?;
    create_team(&store, None, email, password, true).await
}

/// A new team and its first user; returns that user's API token. `is_admin` only for the
/// bootstrap user: the server's administrator, who alone creates further teams.
pub(crate) async fn create_team(
    store: &Store,
    name: Option<&str>,
    email: &str,
    password: Option<&str>,
    is_admin: bool,
) -> Result<String> {
    if !email.contains('@') {
        return Err(Error::Invalid(format!("`{email}` is not an email address")));
    }
    if store.user_by_email(email).await?.is_some() {
        // Whose it is, and in which team, is not the caller's business.
        return Err(Error::Conflict(format!("email `{email}` is not available")));
    }
    let password_hash = password.map(identity::hash_password).transpose()?;
    let team_id = identity::random_text(20);
    let user_id = identity::random_text(20);
    let team_name = name.map(str::to_owned).unwrap_or_else(|| email.split('@').nth(1).unwrap_or("team").to_owned());
    store.create_team_and_user(&team_id, &team_name, &user_id, email, password_hash.as_deref(), is_admin).await?;
    let token = identity::new_token(identity::USER_TOKEN_PREFIX);
    store.add_user_token(&token.id, &user_id, "first", &token.secret_sha256).await?;
    Ok(token.text)
}

/// A new member of `team_id`; returns its first API token.
pub(crate) async fn add_member(store: &Store, team_id: &str, email: &str, password: Option<&str>) -> Result<String> {
    if !email.contains('@') {
        return Err(Error::Invalid(format!("`{email}` is not an email address")));
    }
    if store.user_by_email(email).await?.is_some() {
        return Err(Error::Conflict(format!("email `{email}` is not available")));
    }
    let password_hash = password.map(identity::hash_password).transpose()?;
    let user_id = identity::random_text(20);
    store.add_user(team_id, &user_id, email, password_hash.as_deref()).await?;
    let token = identity::new_token(identity::USER_TOKEN_PREFIX);
    store.add_user_token(&token.id, &user_id, "first", &token.secret_sha256).await?;
    Ok(token.text)
}

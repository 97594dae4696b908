//! The proxy of linked registries: the registry's repositories `proxy/APP/HOSTENC/PATH` are the
//! image `HOST/PATH` of the registry app `APP` linked ([`crate::linked`]), read with the
//! credentials the vendor stored and streamed to the customer with bytes and digests unchanged.
//! Customers pull `PROXY_DOMAIN/proxy/APP/HOSTENC/PATH:TAG` with their license, on this
//! server's own listener (`--proxy-domain` is only the name they write).
//!
//! - Names: `HOSTENC` is the host lower-cased with `:` written `_` (a port cannot appear in a
//!   repository name; host names have no `_`), as `kots_cli::private_images::proxy_repository`
//!   writes it: [`proxy_repository`] and [`ProxyName::parse`] are the two directions.
//! - Who may read is decided before any of this runs, by the registry's policy
//!   ([`crate::registry_access`]): a valid license of APP, or APP's team, and only hosts APP
//!   links. An unlinked host never gets a request from here.
//! - Clients: one [`RegistryClient`] per (app, host), kept so that its tokens serve many
//!   requests. The link is read from the store on every request (one indexed row), and the
//!   client is replaced as soon as its credentials or scheme differ from the row's, so that
//!   `registry add --replace` and `registry remove` take effect on the next request; clients
//!   unused for [`IDLE`] are dropped.
//! - Addresses: public ones only, unless the server runs with `--allow-private-registries`;
//!   then the linked host itself may be private, but its token realm and redirects still go
//!   only to that host or to public addresses (no open proxy towards this server's network).
//! - Errors name the image and the host: unreachable upstream and refused stored credentials
//!   are 502 (the customer cannot fix the vendor's credentials, so never 401); what the
//!   upstream lacks is 404 `MANIFEST_UNKNOWN` / `BLOB_UNKNOWN` / `NAME_UNKNOWN`.
//!
//! Blobs may be kept in a pull-through cache ([`crate::proxy_cache`], `--proxy-cache-mib`);
//! manifests and tags always come from the linked registry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use kots_oci::{Digest, ErrorCode};
use kots_registry::Error as RegistryError;
use kots_registry::remote::{Remote, RemoteBlob, RemoteManifest};
use kots_registry::request::ByteRange;
use kots_registry::route::ManifestReference;
use kots_transfer::{Credentials, RegistryClient, RetryPolicy};

use crate::linked::RegistryHost;
use crate::proxy_cache::{BlobCache, Origin};
use crate::store::Store;

/// The first component of every proxy repository.
pub const PROXY_PREFIX: &str = "proxy/";

/// How long a client (and its tokens) is kept without use.
pub const IDLE: Duration = Duration::from_secs(600);

/// The proxy's repository for `path` in linked registry `host` of app `app_slug`:
/// `proxy/APP/HOSTENC/PATH`, `HOSTENC` being `host` lower-cased with `:` written `_`. The same
/// rule as `kots_cli::private_images::proxy_repository`.
pub fn proxy_repository(app_slug: &str, host: &str, path: &str) -> String {
    format!("{PROXY_PREFIX}{app_slug}/{}/{path}", host.to_lowercase().replace(':', "_"))
}

/// A proxy repository read back: the app, the linked host (`127.0.0.1:5001`) and the path in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyName {
    pub app_slug: String,
    pub host: String,
    pub path: String,
}

impl ProxyName {
    /// `proxy/APP/HOSTENC/PATH`; `None` when a part is missing.
    pub fn parse(repository: &str) -> Option<ProxyName> {
        let rest = repository.strip_prefix(PROXY_PREFIX)?;
        let (app_slug, rest) = rest.split_once('/')?;
        let (host, path) = rest.split_once('/')?;
        if app_slug.is_empty() || host.is_empty() || path.is_empty() {
            return None;
        }
        Some(ProxyName { app_slug: app_slug.to_owned(), host: host.replace('_', ":"), path: path.to_owned() })
    }

    /// The image as the vendor knows it: `HOST/PATH`.
    pub fn upstream(&self) -> String {
        format!("{}/{}", self.host, self.path)
    }
}

/// A client and the link it was made for.
struct Cached {
    client: Arc<RegistryClient>,
    plain_http: bool,
    credentials: Option<Credentials>,
    used: Instant,
}

/// The [`Remote`] serving `proxy/…` from the apps' linked registries.
pub struct LinkedProxy {
    store: Store,
    allow_private_registries: bool,
    clients: Mutex<HashMap<(String, String), Cached>>,
    retry: RetryPolicy,
    cache: Option<Arc<BlobCache>>,
}

/// What a proxy repository resolves to now.
struct Upstream {
    name: ProxyName,
    app_id: String,
    /// Normalised.
    host: String,
    client: Arc<RegistryClient>,
}

impl LinkedProxy {
    pub(crate) fn new(store: Store, allow_private_registries: bool, cache: Option<Arc<BlobCache>>) -> LinkedProxy {
        LinkedProxy {
            store,
            allow_private_registries,
            clients: Mutex::default(),
            // A customer waits on the other end: a short retry, then a clear 502.
            retry: RetryPolicy {
                attempts: 3,
                base_delay: Duration::from_millis(200),
                max_delay: Duration::from_secs(2),
            },
            cache,
        }
    }

    /// The name, and a client for its linked registry as the store holds it now.
    async fn upstream(&self, repository: &str) -> kots_registry::Result<Upstream> {
        let unknown = || RegistryError::NameUnknown(repository.to_owned());
        let name = ProxyName::parse(repository).ok_or_else(unknown)?;
        let internal = |error: crate::Error| RegistryError::Internal(error.to_string());
        let app = self.store.app_by_slug(&name.app_slug).await.map_err(internal)?.ok_or_else(unknown)?;
        let host = RegistryHost::parse(&name.host).map_err(|_| unknown())?.host;
        // Credentials that do not open (the server's key was replaced) are the vendor's to fix.
        let linked = self
            .store
            .linked_registry(&app.id, &host)
            .await
            .map_err(|error| RegistryError::Upstream { image: repository.to_owned(), reason: error.to_string() })?
            .ok_or_else(unknown)?;
        let key = (app.id.clone(), host.clone());
        let now = Instant::now();
        let mut clients = self.clients.lock().expect("never poisoned");
        if let Some(cached) = clients.get_mut(&key)
            && cached.plain_http == linked.plain_http
            && cached.credentials == linked.credentials
        {
            cached.used = now;
            return Ok(Upstream { name, app_id: app.id, host, client: cached.client.clone() });
        }
        clients.retain(|_, cached| now.duration_since(cached.used) < IDLE);
        let options = kots_transfer::ClientOptions {
            // Public addresses only; the linked host itself may be private if the operator
            // allowed private registries, never where it points the client.
            public_addresses_only: true,
            private_host_allowed: self.allow_private_registries,
            retry: self.retry.clone(),
            ..linked.client_options(self.allow_private_registries)
        };
        let client = Arc::new(RegistryClient::new(&host, &options).map_err(|error| RegistryError::Upstream {
            image: repository.to_owned(),
            reason: format!("linked registry {host}: {error}"),
        })?);
        let upstream = Upstream { name, app_id: app.id, host: host.clone(), client: client.clone() };
        clients.insert(
            key,
            Cached {
                client: client.clone(),
                plain_http: linked.plain_http,
                credentials: linked.credentials,
                used: now,
            },
        );
        Ok(upstream)
    }

    /// The clients kept (for tests of the cache).
    pub fn cached_clients(&self) -> usize {
        self.clients.lock().expect("never poisoned").len()
    }
}

/// The error and its causes, as one line.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// How a failure of the linked registry `host` reaches the customer who asked for `image`.
fn upstream_error(image: &str, host: &str, error: kots_transfer::Error) -> RegistryError {
    use kots_transfer::Error as E;
    let credentials_refused = |detail: String| RegistryError::Upstream {
        image: image.to_owned(),
        reason: format!(
            "the vendor's stored credentials for linked registry {host} were refused ({detail}); the vendor must \
             update them (`kots-vendor registry add --replace`)"
        ),
    };
    let reason = match error {
        E::Connect { source, .. } => format!("cannot reach linked registry {host}: {}", error_chain(&source)),
        E::Unauthorized { reason, .. } => return credentials_refused(reason),
        E::Registry { status, code, message, .. } => {
            if matches!(code, Some(ErrorCode::Unauthorized | ErrorCode::Denied)) || status == 401 || status == 403 {
                return credentials_refused(format!("HTTP {status}: {message}"));
            }
            if status == 429 || code == Some(ErrorCode::TooManyRequests) {
                return RegistryError::TooManyRequests {
                    message: format!("linked registry {host} is throttling requests for {image}; try again shortly"),
                    retry_after_seconds: 5,
                };
            }
            format!("linked registry {host} answered HTTP {status}: {message}")
        }
        E::PrivateAddress { address, .. } => format!(
            "linked registry {host} sent this server to `{address}`, a loopback or private address it may not reach"
        ),
        other => format!("linked registry {host}: {other}"),
    };
    RegistryError::Upstream { image: image.to_owned(), reason }
}

/// The `Range` header for `range`.
fn range_header(range: ByteRange) -> String {
    match range {
        ByteRange::Between(first, last) => format!("bytes={first}-{last}"),
        ByteRange::From(first) => format!("bytes={first}-"),
        ByteRange::Last(count) => format!("bytes=-{count}"),
    }
}

#[async_trait]
impl Remote for LinkedProxy {
    fn serves(&self, repository: &str) -> bool {
        repository.starts_with(PROXY_PREFIX)
    }

    async fn manifest(
        &self,
        repository: &str,
        reference: &ManifestReference,
        accepted: &[String],
        head: bool,
    ) -> kots_registry::Result<RemoteManifest> {
        let image = match reference {
            ManifestReference::Tag(tag) => format!("{repository}:{tag}"),
            ManifestReference::Digest(digest) => format!("{repository}@{digest}"),
        };
        let Upstream { name, client, .. } = self.upstream(repository).await?;
        let fetched = client
            .fetch_manifest(&name.path, &reference.to_string(), accepted, head)
            .await
            .map_err(|error| upstream_error(&image, &name.host, error))?;
        let fetched = fetched.ok_or_else(|| {
            RegistryError::ManifestUnknown(format!(
                "{image}: linked registry {} has no manifest {reference} in {}",
                name.host, name.path
            ))
        })?;
        Ok(RemoteManifest {
            digest: fetched.digest,
            media_type: fetched.media_type,
            size: fetched.size,
            content: fetched.content,
        })
    }

    async fn blob(
        &self,
        repository: &str,
        digest: &Digest,
        range: Option<ByteRange>,
        head: bool,
    ) -> kots_registry::Result<RemoteBlob> {
        let image = format!("{repository}@{digest}");
        let Upstream { name, app_id, host, client } = self.upstream(repository).await?;
        let origin = Origin { app_id: &app_id, host: &host, path: &name.path };
        if let Some(cache) = &self.cache
            && let Some(cached) = cache.get(&origin, digest, range, head).await
        {
            return cached;
        }
        let header = range.map(range_header);
        let fetched = match client.fetch_blob(&name.path, digest, header.as_deref(), head).await {
            Ok(fetched) => fetched,
            Err(kots_transfer::Error::Registry { status: 416, .. }) => {
                // The registry needs the size to say so.
                let size = client
                    .fetch_blob(&name.path, digest, None, true)
                    .await
                    .map_err(|error| upstream_error(&image, &name.host, error))?
                    .map_or(0, |blob| blob.size);
                return Err(RegistryError::RangeNotSatisfiable(
                    format!("Range `{}` is not satisfiable for a blob of {size} bytes", header.unwrap_or_default()),
                    size,
                ));
            }
            Err(error) => return Err(upstream_error(&image, &name.host, error)),
        };
        let fetched = fetched.ok_or_else(|| RegistryError::BlobUnknown(digest.clone()))?;
        let body = match (&self.cache, fetched.body, fetched.range) {
            // The whole blob: kept on its way, if it arrives whole and verified.
            (Some(cache), Some(body), None) => Some(cache.tee(&origin, digest, fetched.size, body)),
            (_, body, _) => body,
        };
        Ok(RemoteBlob { size: fetched.size, range: fetched.range, body })
    }

    async fn tags(&self, repository: &str) -> kots_registry::Result<Vec<String>> {
        let Upstream { name, client, .. } = self.upstream(repository).await?;
        client
            .tags(&name.path)
            .await
            .map_err(|error| upstream_error(&format!("{repository} (tags)"), &name.host, error))?
            .ok_or_else(|| RegistryError::NameUnknown(repository.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples `kots_cli::private_images` pins, read back the other way.
    #[test]
    fn names_follow_the_customer_sides_rule() {
        assert_eq!(proxy_repository("myapp", "quay.io", "acme/worker"), "proxy/myapp/quay.io/acme/worker");
        assert_eq!(
            proxy_repository("myapp", "127.0.0.1:5001", "acme/worker"),
            "proxy/myapp/127.0.0.1_5001/acme/worker"
        );
        assert_eq!(proxy_repository("a", "Registry.Example:5000", "x"), "proxy/a/registry.example_5000/x");
        for (app, host, path) in [
            ("myapp", "quay.io", "acme/worker"),
            ("myapp", "127.0.0.1:5001", "acme/worker"),
            ("a", "r.example:5000", "x/y/z"),
        ] {
            let name = ProxyName::parse(&proxy_repository(app, host, path)).unwrap();
            assert_eq!(name, ProxyName { app_slug: app.into(), host: host.into(), path: path.into() });
        }
        assert_eq!(
            ProxyName::parse("proxy/myapp/127.0.0.1_5001/acme/api").unwrap().upstream(),
            "127.0.0.1:5001/acme/api"
        );
        for bad in ["myapp/api", "proxy/myapp", "proxy/myapp/quay.io", "proxy//quay.io/a", "proxy/a//b"] {
            assert_eq!(ProxyName::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ranges_are_forwarded_as_written() {
        assert_eq!(range_header(ByteRange::Between(2, 4)), "bytes=2-4");
        assert_eq!(range_header(ByteRange::From(7)), "bytes=7-");
        assert_eq!(range_header(ByteRange::Last(2)), "bytes=-2");
    }

    #[test]
    fn upstream_failures_reach_the_customer_as_502_naming_the_host() {
        let image = "proxy/a/quay.io/acme/api:1";
        let refused = upstream_error(
            image,
            "quay.io",
            kots_transfer::Error::Unauthorized {
                registry: "quay.io".into(),
                reason: "the token service refused robot (401)".into(),
            },
        );
        assert_eq!(refused.status().as_u16(), 502);
        let text = refused.to_string();
        assert!(
            text.contains(image) && text.contains("stored credentials for linked registry quay.io were refused"),
            "{text}"
        );
        let denied = kots_transfer::Error::Registry {
            registry: "quay.io".into(),
            what: "GET".into(),
            status: 403,
            code: Some(ErrorCode::Denied),
            message: "no".into(),
        };
        assert!(upstream_error(image, "quay.io", denied).to_string().contains("stored credentials"));
        let busy = kots_transfer::Error::Registry {
            registry: "quay.io".into(),
            what: "GET".into(),
            status: 429,
            code: None,
            message: String::new(),
        };
        assert_eq!(upstream_error(image, "quay.io", busy).status().as_u16(), 429);
        let broken = kots_transfer::Error::Registry {
            registry: "quay.io".into(),
            what: "GET".into(),
            status: 500,
            code: None,
            message: "oops".into(),
        };
        let text = upstream_error(image, "quay.io", broken).to_string();
        assert!(text.contains("linked registry quay.io answered HTTP 500: oops"), "{text}");
    }
}

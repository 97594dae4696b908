//! A registry client for copying: the OCI distribution calls a copy needs, the Docker token
//! flow (Bearer tokens per scope, refreshed when they expire, Basic where a registry wants it),
//! and retries with exponential back-off and jitter on what is worth retrying.
//!
//! A refusal is decided on the OCI error code the registry sends (`MANIFEST_UNKNOWN`,
//! `BLOB_UNKNOWN`, `UNAUTHORIZED`, …), and on the HTTP status only when it names no code of
//! the spec (a `HEAD` has no body; a proxy may answer with HTML). The token flow is the
//! exception: it answers the `WWW-Authenticate` challenge, as the token spec says.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use kots_oci::{Digest, ErrorBody, ErrorCode, media_type};
use reqwest::{RequestBuilder, Response, StatusCode, header};

use crate::address::{OwnHost, PublicOnly, public_redirects, refused_literal, refused_url};
use crate::auth::{Challenge, parse_challenge, stored_credentials};
use crate::error::Error;
use crate::secret::Credentials;
use crate::tls::Trust;

pub use kots_oci::ByteStream;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 5, base_delay: Duration::from_millis(200), max_delay: Duration::from_secs(10) }
    }
}

const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl RetryPolicy {
    /// Exponential back-off with full jitter, or what the server asked for in `Retry-After`.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wanted) = retry_after {
            // The server knows best, within reason: a minute at most per wait.
            return wanted.min(MAX_RETRY_AFTER);
        }
        let ceiling = self.base_delay.saturating_mul(1 << attempt.min(16)).min(self.max_delay);
        ceiling.mul_f64(0.5 + rand::random::<f64>() / 2.0)
    }
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Explicit credentials; otherwise, if `ambient_credentials`, Docker's and podman's stored
    /// ones are looked up.
    pub credentials: Option<Credentials>,
    /// Without explicit credentials, use the ones Docker and podman stored for this user (a
    /// user's own command: yes, the default; a server fetching on a tenant's behalf: never, or
    /// one tenant gets images with the credentials of the server's operator).
    pub ambient_credentials: bool,
    /// Do not verify TLS certificates.
    pub insecure: bool,
    /// Also trust the certificates in this PEM file.
    pub ca_file: Option<PathBuf>,
    /// Speak plain HTTP. Loopback registries (`localhost`, `127.0.0.0/8`, `[::1]`) fall back
    /// to it by themselves when they do not speak TLS, as Docker treats them, if
    /// `loopback_plain_http`.
    pub plain_http: bool,
    /// Let loopback registries fall back to plain HTTP (the default).
    pub loopback_plain_http: bool,
    /// Reach only public addresses: the registry's host, its token realm and redirects are
    /// refused when they name or resolve to loopback, private or link-local addresses (see
    /// [`is_public`](crate::is_public)). Off by default; a server fetching what a tenant named
    /// turns it on.
    pub public_addresses_only: bool,
    /// With `public_addresses_only`: the registry's own host may still be a loopback or private
    /// address (a registry the operator allowed, such as a vendor's linked registry on its
    /// network), but its token realm and redirects go only to that same host and port or to
    /// public addresses, so that the registry cannot point this client at other private
    /// services. Off by default.
    pub private_host_allowed: bool,
    pub retry: RetryPolicy,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            credentials: None,
            ambient_credentials: true,
            insecure: false,
            ca_file: None,
            plain_http: false,
            loopback_plain_http: true,
            public_addresses_only: false,
            private_host_allowed: false,
            retry: RetryPolicy::default(),
        }
    }
}

#[derive(Debug, Default)]
struct AuthState {
    challenge: Option<Challenge>,
    /// Bearer tokens by scope, with when to stop using them.
    tokens: HashMap<String, (String, Instant)>,
}

/// One registry host.
pub struct RegistryClient {
    http: reqwest::Client,
    host: String,
    /// The API host (Docker Hub's differs from its name).
    api_host: String,
    /// Plain HTTP: asked for, or fallen back to on a loopback registry without TLS.
    plain: AtomicBool,
    may_fall_back: bool,
    credentials: Option<Credentials>,
    public_addresses_only: bool,
    /// The host that may be private although the rest may not (`private_host_allowed`).
    own_host: Option<OwnHost>,
    state: Mutex<AuthState>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient").field("host", &self.host).field("credentials", &self.credentials).finish()
    }
}

/// The token scope to read `repository`.
pub fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

/// The token scope to write `repository` (and read it, as pushes check what is there).
pub fn push_scope(repository: &str) -> String {
    format!("repository:{repository}:pull,push")
}

fn retry_after(response: &Response) -> Option<Duration> {
    response.headers().get(header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok().map(Duration::from_secs)
}

/// Whether `host` (`name[:port]`) is this machine, where Docker allows plain HTTP by default.
fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback())
}

fn retryable(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS
}

/// A registry's answer that is not the success asked for: its status and, if it sent one, its
/// OCI error body.
struct Refusal {
    status: StatusCode,
    body: Option<ErrorBody>,
}

impl Refusal {
    async fn read(response: Response) -> Refusal {
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_default();
        Refusal { status, body: ErrorBody::parse(&bytes) }
    }

    /// Whether the registry said one of `codes`; when it named no code of the spec, whether it
    /// answered `status` instead.
    fn says(&self, codes: &[ErrorCode], status: StatusCode) -> bool {
        match &self.body {
            Some(body) if body.has_known_code() => body.has_any(codes),
            _ => self.status == status,
        }
    }

    fn code(&self) -> Option<ErrorCode> {
        self.body.as_ref().and_then(|body| body.errors.first()).map(|error| error.code.clone())
    }

    fn message(&self) -> String {
        self.body.as_ref().and_then(ErrorBody::message).unwrap_or("no details").to_owned()
    }
}

/// What says a manifest is not there: it, or its whole repository.
const MANIFEST_ABSENT: [ErrorCode; 2] = [ErrorCode::ManifestUnknown, ErrorCode::NameUnknown];
/// What says a blob is not there: it, or its whole repository.
const BLOB_ABSENT: [ErrorCode; 2] = [ErrorCode::BlobUnknown, ErrorCode::NameUnknown];

impl RegistryClient {
    pub fn new(host: &str, options: &ClientOptions) -> Result<RegistryClient, Error> {
        let own_host = match options.public_addresses_only && options.private_host_allowed {
            true => Some(OwnHost::parse(host).ok_or_else(|| Error::InvalidEndpoint {
                input: host.to_owned(),
                reason: "not a registry host".to_owned(),
            })?),
            false => None,
        };
        if options.public_addresses_only
            && own_host.is_none()
            && let Some(address) = refused_literal(host)
        {
            return Err(Error::PrivateAddress { registry: host.to_owned(), address });
        }
        let trust = Trust::from_options(options.insecure, options.ca_file.as_deref())
            .map_err(|reason| Error::Credentials { registry: host.to_owned(), reason })?;
        let mut builder = crate::tls::client_builder(trust)
            .user_agent(concat!("kots-transfer/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30))
            .read_timeout(Duration::from_secs(300));
        if options.public_addresses_only {
            let own = own_host.as_ref().map(|_| host.rsplit_once(':').map_or(host, |(name, _)| name).to_owned());
            builder = builder.dns_resolver(PublicOnly { own }).redirect(public_redirects(own_host.clone()));
        }
        let http = builder.build().map_err(|source| Error::Connect { registry: host.to_owned(), source })?;
        // Docker Hub's API lives on another host than its name.
        let api_host = if host == "docker.io" { "registry-1.docker.io" } else { host };
        let credentials = match &options.credentials {
            Some(credentials) => Some(credentials.clone()),
            None if options.ambient_credentials => stored_credentials(host),
            None => None,
        };
        Ok(RegistryClient {
            http,
            host: host.to_owned(),
            api_host: api_host.to_owned(),
            plain: AtomicBool::new(options.plain_http),
            may_fall_back: options.loopback_plain_http && !options.plain_http && is_loopback(host),
            credentials,
            public_addresses_only: options.public_addresses_only,
            own_host,
            state: Mutex::default(),
            retry: options.retry.clone(),
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// How this client retries; transfers that re-send a whole blob follow it too.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            let scheme = if self.plain.load(Ordering::Relaxed) { "http" } else { "https" };
            format!("{scheme}://{}{path}", self.api_host)
        }
    }

    /// Sends `builder`, on plain HTTP if this client has fallen back to it since the URL was made.
    async fn execute(&self, builder: RequestBuilder) -> Result<Response, reqwest::Error> {
        let (client, request) = builder.build_split();
        let mut request = request?;
        if self.plain.load(Ordering::Relaxed)
            && request.url().scheme() == "https"
            && request.url().host_str().is_some_and(|host| self.api_host.starts_with(host))
        {
            let _ = request.url_mut().set_scheme("http");
        }
        client.execute(request).await
    }

    /// After a connection failure over TLS to a loopback registry: use plain HTTP from now on.
    fn fall_back_to_http(&self, error: &reqwest::Error) -> bool {
        if self.may_fall_back && error.is_connect() && !self.plain.swap(true, Ordering::Relaxed) {
            tracing::info!(registry = %self.host, "no TLS on this loopback registry; using plain HTTP");
            return true;
        }
        false
    }

    /// Checks that the registry lets these credentials push to `repository`, without storing
    /// anything: starts an upload and cancels it.
    pub async fn check_push(&self, repository: &str) -> Result<(), Error> {
        let scope = push_scope(repository);
        let url = self.url(&format!("/v2/{repository}/blobs/uploads/"));
        let what = format!("start an upload to {repository}");
        let response = self.send(&scope, &what, || self.http.post(&url).header(header::CONTENT_LENGTH, 0)).await?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(self.failure(&what, response).await);
        }
        let location = self.location(&response)?;
        let _ = self.send(&scope, "cancel upload", || self.http.delete(&location)).await;
        Ok(())
    }

    fn with_auth(&self, builder: RequestBuilder, scope: &str) -> RequestBuilder {
        let state = self.state.lock().expect("never poisoned");
        match &state.challenge {
            Some(Challenge::Basic) => match &self.credentials {
                Some(credentials) => builder.basic_auth(&credentials.username, Some(credentials.password())),
                None => builder,
            },
            Some(Challenge::Bearer { .. }) => match state.tokens.get(scope) {
                Some((token, until)) if *until > Instant::now() => builder.bearer_auth(token),
                _ => builder,
            },
            None => builder,
        }
    }

    /// Answers a challenge: remembers Basic, or fetches a Bearer token for `scope`.
    async fn answer(&self, response: &Response, scope: &str) -> Result<(), Error> {
        let header = response.headers().get(header::WWW_AUTHENTICATE).and_then(|value| value.to_str().ok());
        let challenge = header.and_then(parse_challenge).ok_or_else(|| Error::Unauthorized {
            registry: self.host.clone(),
            reason: format!("HTTP {} without a challenge this client understands", response.status()),
        })?;
        if let Challenge::Bearer { realm, service } = &challenge {
            if self.public_addresses_only {
                let refused = match reqwest::Url::parse(realm) {
                    Ok(url) => refused_url(&url, self.own_host.as_ref()),
                    Err(_) => Some(realm.clone()),
                };
                if let Some(address) = refused {
                    return Err(Error::PrivateAddress { registry: self.host.clone(), address });
                }
            }
            let mut request = self.http.get(realm);
            let mut query: Vec<(&str, &str)> = scope.split(' ').map(|scope| ("scope", scope)).collect();
            if let Some(service) = service {
                query.push(("service", service));
            }
            request = request.query(&query);
            if let Some(credentials) = &self.credentials {
                request = request.basic_auth(&credentials.username, Some(credentials.password()));
            }
            let token_response =
                request.send().await.map_err(|source| Error::Connect { registry: self.host.clone(), source })?;
            if !token_response.status().is_success() {
                let status = token_response.status();
                return Err(Error::Unauthorized {
                    registry: self.host.clone(),
                    reason: match &self.credentials {
                        None => format!("the token service answered {status}; this registry needs credentials"),
                        Some(credentials) => {
                            format!("the token service refused {} ({status})", credentials.username)
                        }
                    },
                });
            }
            let body: serde_json::Value = token_response.json().await.map_err(|e| Error::Unauthorized {
                registry: self.host.clone(),
                reason: format!("bad token answer: {e}"),
            })?;
            let token = body["token"].as_str().or(body["access_token"].as_str()).unwrap_or_default().to_owned();
            let lifetime = Duration::from_secs(body["expires_in"].as_u64().unwrap_or(60).max(10));
            // Stop using it a little early, so a long copy does not send a token as it expires.
            let until = Instant::now() + lifetime.mul_f64(0.9);
            self.state.lock().expect("never poisoned").tokens.insert(scope.to_owned(), (token, until));
        } else if self.credentials.is_none() {
            return Err(Error::Unauthorized {
                registry: self.host.clone(),
                reason: "this registry asks for a user name and password; pass credentials or log in".to_owned(),
            });
        }
        self.state.lock().expect("never poisoned").challenge = Some(challenge);
        Ok(())
    }

    /// Sends a request that can be rebuilt, authenticating and retrying as needed.
    async fn send(&self, scope: &str, what: &str, make: impl Fn() -> RequestBuilder) -> Result<Response, Error> {
        let mut attempt = 0;
        let mut answered = false;
        loop {
            let result = self.execute(self.with_auth(make(), scope)).await;
            match result {
                Err(source) if self.fall_back_to_http(&source) => {}
                // A redirect this client refuses is refused again on a retry.
                Err(source) if source.is_redirect() => {
                    return Err(Error::Connect { registry: self.host.clone(), source });
                }
                Err(source) => {
                    attempt += 1;
                    if attempt >= self.retry.attempts {
                        return Err(Error::Connect { registry: self.host.clone(), source });
                    }
                    tracing::debug!(%source, attempt, what, "retrying after a connection error");
                    tokio::time::sleep(self.retry.delay(attempt, None)).await;
                }
                Ok(response)
                    if !answered
                        && (response.status() == StatusCode::UNAUTHORIZED
                            || (response.status() == StatusCode::FORBIDDEN
                                && response.headers().contains_key(header::WWW_AUTHENTICATE))) =>
                {
                    self.answer(&response, scope).await?;
                    answered = true;
                }
                Ok(response) if retryable(response.status()) && attempt + 1 < self.retry.attempts => {
                    attempt += 1;
                    let delay = self.retry.delay(attempt, retry_after(&response));
                    tracing::debug!(status = %response.status(), attempt, what, "retrying");
                    tokio::time::sleep(delay).await;
                }
                Ok(response) => return Ok(response),
            }
        }
    }

    async fn failure(&self, what: &str, response: Response) -> Error {
        self.refused(what, Refusal::read(response).await)
    }

    fn refused(&self, what: &str, refusal: Refusal) -> Error {
        let message = refusal.message();
        if refusal.says(&[ErrorCode::Unauthorized], StatusCode::UNAUTHORIZED) {
            return Error::Unauthorized { registry: self.host.clone(), reason: format!("{what}: {message}") };
        }
        Error::Registry {
            registry: self.host.clone(),
            what: what.to_owned(),
            status: refusal.status.as_u16(),
            code: refusal.code(),
            message,
        }
    }

    /// A manifest by tag or digest: its bytes, media type and digest, checked against the digest
    /// asked for or, by tag, the one the registry declared. `None` if absent.
    pub async fn manifest(&self, repository: &str, reference: &str) -> Result<Option<(Bytes, String, Digest)>, Error> {
        let fetched = self.fetch_manifest(repository, reference, &[], false).await?;
        Ok(fetched.map(|manifest| {
            let bytes = manifest.content.expect("a GET carries the manifest's bytes");
            (bytes, manifest.media_type, manifest.digest)
        }))
    }

    /// A manifest as the registry serves it, for a proxy in front of it: `accepted` is the
    /// `Accept` list to forward (empty: every manifest type this client knows), so that the
    /// registry picks the type its own client would have got. `head`: headers only, by a
    /// `HEAD` (which registries meter less than a `GET`), falling back to a `GET` when the
    /// answer lacks the digest, a manifest media type or the length. Bytes are checked against
    /// the digest asked for, or the one the registry declared. `None` if absent.
    pub async fn fetch_manifest(
        &self,
        repository: &str,
        reference: &str,
        accepted: &[String],
        head: bool,
    ) -> Result<Option<FetchedManifest>, Error> {
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
        let accept = if accepted.is_empty() { media_type::MANIFEST_TYPES.join(", ") } else { accepted.join(", ") };
        let asked = Digest::parse(reference).ok();
        for head in [head, false] {
            let what = format!("{} manifest {repository}:{reference}", if head { "HEAD" } else { "GET" });
            let response = self
                .send(&pull_scope(repository), &what, || {
                    let request = if head { self.http.head(&url) } else { self.http.get(&url) };
                    request.header(header::ACCEPT, &accept)
                })
                .await?;
            if !response.status().is_success() {
                let refusal = Refusal::read(response).await;
                if refusal.says(&MANIFEST_ABSENT, StatusCode::NOT_FOUND) {
                    return Ok(None);
                }
                return Err(self.refused(&what, refusal));
            }
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(|value| value.split(';').next().unwrap_or_default().trim().to_owned())
                .filter(|value| !value.is_empty());
            let declared = response
                .headers()
                .get("docker-content-digest")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| Digest::parse(value.trim()).ok());
            if head {
                let known_type =
                    content_type.clone().filter(|value| media_type::MANIFEST_TYPES.contains(&value.as_str()));
                match (asked.clone().or(declared), known_type, header_length(&response)) {
                    (Some(digest), Some(media_type), Some(size)) => {
                        return Ok(Some(FetchedManifest { digest, media_type, size, content: None }));
                    }
                    // Not enough in the headers: ask for the manifest itself.
                    _ => continue,
                }
            }
            let bytes =
                response.bytes().await.map_err(|source| Error::Connect { registry: self.host.clone(), source })?;
            let digest = match asked.clone().or(declared) {
                Some(expected) => {
                    expected.verify(&bytes).map_err(|_| Error::Corrupt {
                        digest: expected.clone(),
                        actual: Digest::of(expected.algorithm(), &bytes),
                        source_name: format!("{}/{repository}", self.host),
                    })?;
                    expected
                }
                None => Digest::sha256_of(&bytes),
            };
            let media_type = match content_type {
                Some(value) if media_type::MANIFEST_TYPES.contains(&value.as_str()) => value,
                other => match kots_oci::Manifest::parse(&bytes, None) {
                    Ok(manifest) => manifest.media_type,
                    Err(error) => other.ok_or(error)?,
                },
            };
            return Ok(Some(FetchedManifest { digest, media_type, size: bytes.len() as u64, content: Some(bytes) }));
        }
        unreachable!("the GET above always returns")
    }

    /// A blob, or the bytes `range` (a `Range` header's value: `bytes=A-B`, `bytes=A-`,
    /// `bytes=-N`) names of it, streamed; `head`: headers only (a `HEAD`). The answer says the
    /// blob's whole size and the range served: `None` when the registry sent the whole blob
    /// (it may ignore `Range`). `None` if absent; a range the registry cannot satisfy is
    /// [`Error::Registry`] with status 416.
    pub async fn fetch_blob(
        &self,
        repository: &str,
        digest: &Digest,
        range: Option<&str>,
        head: bool,
    ) -> Result<Option<FetchedBlob>, Error> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let what = format!("{} blob {digest} from {repository}", if head { "HEAD" } else { "GET" });
        let response = self
            .send(&pull_scope(repository), &what, || {
                let request = if head { self.http.head(&url) } else { self.http.get(&url) };
                match range {
                    Some(range) => request.header(header::RANGE, range),
                    None => request,
                }
            })
            .await?;
        let malformed = |message: String| Error::Registry {
            registry: self.host.clone(),
            what: what.clone(),
            status: 502,
            code: None,
            message,
        };
        let (size, served) = match response.status() {
            StatusCode::PARTIAL_CONTENT => {
                let text = response.headers().get(header::CONTENT_RANGE).and_then(|value| value.to_str().ok());
                let parsed = text.and_then(parse_content_range);
                let (first, last, size) = parsed.ok_or_else(|| {
                    malformed(format!("a partial answer with the Content-Range `{}`", text.unwrap_or_default()))
                })?;
                (size, Some((first, last)))
            }
            status if status.is_success() => {
                let size =
                    header_length(&response).ok_or_else(|| malformed("an answer without Content-Length".to_owned()))?;
                (size, None)
            }
            _ => {
                let refusal = Refusal::read(response).await;
                if refusal.says(&BLOB_ABSENT, StatusCode::NOT_FOUND) {
                    return Ok(None);
                }
                return Err(self.refused(&what, refusal));
            }
        };
        let body: Option<ByteStream> =
            (!head).then(|| Box::pin(response.bytes_stream().map_err(std::io::Error::other)) as ByteStream);
        Ok(Some(FetchedBlob { size, range: served, body }))
    }

    /// Every tag of `repository`, following the registry's `Link` pagination (on this
    /// registry's host only, so that a token is never sent elsewhere). `None` if the
    /// repository is absent.
    pub async fn tags(&self, repository: &str) -> Result<Option<Vec<String>>, Error> {
        /// Pages at most, against a registry whose `Link` never ends.
        const MAX_PAGES: usize = 1000;
        let what = format!("GET tags of {repository}");
        let mut url = self.url(&format!("/v2/{repository}/tags/list?n=1000"));
        let mut tags = Vec::new();
        for _ in 0..MAX_PAGES {
            let response = self.send(&pull_scope(repository), &what, || self.http.get(&url)).await?;
            if !response.status().is_success() {
                let refusal = Refusal::read(response).await;
                if refusal.says(&[ErrorCode::NameUnknown], StatusCode::NOT_FOUND) {
                    return Ok(None);
                }
                return Err(self.refused(&what, refusal));
            }
            let next = response
                .headers()
                .get(header::LINK)
                .and_then(|value| value.to_str().ok())
                .and_then(next_link)
                .map(|link| self.url(&link));
            #[derive(serde::Deserialize)]
            struct Page {
                tags: Option<Vec<String>>,
            }
            let page: Page = response.json().await.map_err(|e| Error::Registry {
                registry: self.host.clone(),
                what: what.clone(),
                status: 200,
                code: None,
                message: format!("not a tag list: {e}"),
            })?;
            tags.extend(page.tags.unwrap_or_default());
            match next {
                Some(next) if self.is_own_url(&next) => url = next,
                Some(next) => {
                    return Err(Error::Registry {
                        registry: self.host.clone(),
                        what,
                        status: 200,
                        code: None,
                        message: format!(
                            "the next page is on another host (`{next}`), which this client does not follow"
                        ),
                    });
                }
                None => return Ok(Some(tags)),
            }
        }
        Ok(Some(tags))
    }

    /// Whether `url` is on this registry's API host.
    fn is_own_url(&self, url: &str) -> bool {
        reqwest::Url::parse(url).ok().is_some_and(|url| {
            let authority = match url.port() {
                Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
                None => url.host_str().unwrap_or_default().to_owned(),
            };
            authority.eq_ignore_ascii_case(&self.api_host)
        })
    }

    pub async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        media_type: &str,
        bytes: &Bytes,
    ) -> Result<(), Error> {
        let url = self.url(&format!("/v2/{repository}/manifests/{reference}"));
        let what = format!("PUT manifest {repository}:{reference}");
        let response = self
            .send(&push_scope(repository), &what, || {
                self.http.put(&url).header(header::CONTENT_TYPE, media_type).body(bytes.clone())
            })
            .await?;
        if !response.status().is_success() {
            return Err(self.failure(&what, response).await);
        }
        Ok(())
    }

    pub async fn manifest_exists(&self, repository: &str, digest: &Digest) -> Result<bool, Error> {
        let url = self.url(&format!("/v2/{repository}/manifests/{digest}"));
        let accept = media_type::MANIFEST_TYPES.join(", ");
        let response = self
            .send(&push_scope(repository), "HEAD manifest", || self.http.head(&url).header(header::ACCEPT, &accept))
            .await?;
        Ok(response.status().is_success())
    }

    /// The blob's size if `repository` has it.
    pub async fn blob_size(&self, repository: &str, digest: &Digest, scope: &str) -> Result<Option<u64>, Error> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let response = self.send(scope, "HEAD blob", || self.http.head(&url)).await?;
        if response.status().is_success() {
            return Ok(Some(response.content_length().unwrap_or(0)));
        }
        let refusal = Refusal::read(response).await;
        if refusal.says(&BLOB_ABSENT, StatusCode::NOT_FOUND) {
            return Ok(None);
        }
        Err(self.refused(&format!("HEAD blob {digest} in {repository}"), refusal))
    }

    pub async fn get_blob(&self, repository: &str, digest: &Digest) -> Result<ByteStream, Error> {
        let url = self.url(&format!("/v2/{repository}/blobs/{digest}"));
        let what = format!("GET blob {digest} from {repository}");
        let response = self.send(&pull_scope(repository), &what, || self.http.get(&url)).await?;
        if !response.status().is_success() {
            let refusal = Refusal::read(response).await;
            if refusal.says(&BLOB_ABSENT, StatusCode::NOT_FOUND) {
                return Err(Error::NotFound {
                    what: format!("blob {digest}"),
                    location: format!("{}/{repository}", self.host),
                });
            }
            return Err(self.refused(&what, refusal));
        }
        Ok(Box::pin(response.bytes_stream().map_err(std::io::Error::other)))
    }

    /// Tries a cross-repository mount; false if the registry started an upload instead (which
    /// is then cancelled).
    pub async fn mount(&self, repository: &str, digest: &Digest, from: &str) -> Result<bool, Error> {
        let url = self.url(&format!("/v2/{repository}/blobs/uploads/?mount={digest}&from={from}"));
        let scope = format!("{} {}", push_scope(repository), pull_scope(from));
        let response = self.send(&scope, "mount", || self.http.post(&url).header(header::CONTENT_LENGTH, 0)).await?;
        match response.status() {
            StatusCode::CREATED => Ok(true),
            StatusCode::ACCEPTED => {
                if let Some(location) = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()) {
                    let location = self.url(location);
                    let _ = self.send(&scope, "cancel upload", || self.http.delete(&location)).await;
                }
                Ok(false)
            }
            _ => Err(self.failure(&format!("mount {digest} into {repository}"), response).await),
        }
    }

    /// Uploads a blob from `body`: one streamed PUT, or PATCH chunks of `chunk_size` for larger
    /// blobs (for registries and proxies that cap request sizes).
    pub async fn upload_blob(
        &self,
        repository: &str,
        digest: &Digest,
        size: u64,
        mut body: ByteStream,
        chunk_size: u64,
    ) -> Result<(), Error> {
        let scope = push_scope(repository);
        let start_url = self.url(&format!("/v2/{repository}/blobs/uploads/"));
        let response =
            self.send(&scope, "start upload", || self.http.post(&start_url).header(header::CONTENT_LENGTH, 0)).await?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(self.failure(&format!("start upload to {repository}"), response).await);
        }
        let mut location = self.location(&response)?;
        if size > chunk_size {
            let mut offset = 0u64;
            let mut carry: Option<Bytes> = None;
            while offset < size {
                let length = chunk_size.min(size - offset);
                let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
                let chunk_body =
                    reqwest::Body::wrap_stream(futures_util::stream::unfold(receiver, |mut receiver| async {
                        receiver.recv().await.map(|item| (item, receiver))
                    }));
                let request = self
                    .with_auth(self.http.patch(&location), &scope)
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .header(header::CONTENT_RANGE, format!("{offset}-{}", offset + length - 1))
                    .header(header::CONTENT_LENGTH, length)
                    .body(chunk_body);
                let sending = tokio::spawn(request.send());
                let mut remaining = length;
                while remaining > 0 {
                    let mut chunk = match carry.take() {
                        Some(chunk) => chunk,
                        None => match body.next().await {
                            Some(Ok(chunk)) => chunk,
                            Some(Err(error)) => return Err(Error::io(format!("blob {digest}"), error)),
                            None => break,
                        },
                    };
                    if chunk.len() as u64 > remaining {
                        carry = Some(chunk.split_off(remaining as usize));
                    }
                    remaining -= chunk.len() as u64;
                    if sender.send(Ok(chunk)).await.is_err() {
                        break;
                    }
                }
                drop(sender);
                let response = sending
                    .await
                    .map_err(|e| Error::io("upload task", std::io::Error::other(e)))?
                    .map_err(|source| Error::Connect { registry: self.host.clone(), source })?;
                if response.status() != StatusCode::ACCEPTED {
                    return Err(self.failure(&format!("upload chunk of {digest}"), response).await);
                }
                location = self.location(&response)?;
                offset += length;
            }
            body = Box::pin(futures_util::stream::iter(carry.map(Ok)));
        }
        let separator = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{separator}digest={digest}");
        let mut request =
            self.with_auth(self.http.put(&url), &scope).header(header::CONTENT_TYPE, "application/octet-stream");
        if size <= chunk_size {
            request = request.header(header::CONTENT_LENGTH, size);
        }
        let response = request
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await
            .map_err(|source| Error::Connect { registry: self.host.clone(), source })?;
        if response.status() != StatusCode::CREATED {
            return Err(self.failure(&format!("upload {digest} to {repository}"), response).await);
        }
        Ok(())
    }

    fn location(&self, response: &Response) -> Result<String, Error> {
        response
            .headers()
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(|location| self.url(location))
            .ok_or_else(|| Error::Registry {
                registry: self.host.clone(),
                what: "upload".to_owned(),
                status: response.status().as_u16(),
                code: None,
                message: "no Location header".to_owned(),
            })
    }
}

/// A manifest as a registry served it: bytes unchanged (`None` after a `HEAD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedManifest {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    pub content: Option<Bytes>,
}

/// A blob, or the range of it a registry served.
pub struct FetchedBlob {
    /// The whole blob's size.
    pub size: u64,
    /// The inclusive bytes `body` holds; `None`: the whole blob.
    pub range: Option<(u64, u64)>,
    /// `None` after a `HEAD`.
    pub body: Option<ByteStream>,
}

impl std::fmt::Debug for FetchedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchedBlob").field("size", &self.size).field("range", &self.range).finish_non_exhaustive()
    }
}

/// The `Content-Length` header itself (reqwest's length of a `HEAD` answer is its empty body).
fn header_length(response: &Response) -> Option<u64> {
    response.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// `bytes FIRST-LAST/SIZE` → `(first, last, size)`, consistent.
fn parse_content_range(text: &str) -> Option<(u64, u64, u64)> {
    let (range, size) = text.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let (first, last, size): (u64, u64, u64) =
        (first.trim().parse().ok()?, last.trim().parse().ok()?, size.trim().parse().ok()?);
    (first <= last && last < size).then_some((first, last, size))
}

/// The target of `rel="next"` in a `Link` header (`</v2/x/tags/list?last=a&n=2>; rel="next"`).
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|link| {
        let (target, parameters) = link.split_once(';')?;
        let next = parameters.split(';').any(|parameter| {
            let parameter = parameter.trim().replace(' ', "");
            parameter.eq_ignore_ascii_case("rel=\"next\"") || parameter.eq_ignore_ascii_case("rel=next")
        });
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        next.then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What broke: a server fetching for a tenant (the vendor's airgap builder) could not turn
    /// off the stored Docker/podman credentials, the loopback plain-HTTP fallback, or private
    /// addresses.
    #[test]
    fn a_client_for_someone_else_uses_no_ambient_credentials_and_no_private_addresses() {
        let limited = ClientOptions {
            ambient_credentials: false,
            loopback_plain_http: false,
            public_addresses_only: true,
            ..ClientOptions::default()
        };
        for host in ["localhost:5000", "127.0.0.1:5000", "10.0.0.8", "[::1]:5000", "169.254.169.254"] {
            let error = RegistryClient::new(host, &limited).unwrap_err();
            assert!(matches!(error, Error::PrivateAddress { .. }), "{host}: {error}");
        }
        let client = RegistryClient::new("registry.example", &limited).unwrap();
        assert!(client.credentials.is_none() && !client.may_fall_back);
        let loopback = ClientOptions { public_addresses_only: false, ..limited };
        assert!(!RegistryClient::new("localhost:5000", &loopback).unwrap().may_fall_back);
        assert!(RegistryClient::new("localhost:5000", &ClientOptions::default()).unwrap().may_fall_back);
    }

    #[test]
    fn content_ranges_and_links() {
        assert_eq!(parse_content_range("bytes 2-4/10"), Some((2, 4, 10)));
        assert_eq!(parse_content_range("bytes 0-9/10"), Some((0, 9, 10)));
        for bad in ["bytes 4-2/10", "bytes 2-10/10", "bytes */10", "2-4/10", "bytes 2-4/*"] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
        assert_eq!(
            next_link(r#"</v2/a/tags/list?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/a/tags/list?last=b&n=2")
        );
        assert_eq!(
            next_link(r#"<https://x/prev>; rel="prev", <https://x/next>;rel=next"#).as_deref(),
            Some("https://x/next")
        );
        assert_eq!(next_link(r#"</v2/a>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
    }

    #[test]
    fn a_private_host_allowed_is_reached_and_only_it() {
        let allowed = ClientOptions {
            ambient_credentials: false,
            public_addresses_only: true,
            private_host_allowed: true,
            ..ClientOptions::default()
        };
        let client = RegistryClient::new("127.0.0.1:5001", &allowed).unwrap();
        assert_eq!(client.own_host, OwnHost::parse("127.0.0.1:5001"));
        assert!(client.is_own_url("http://127.0.0.1:5001/v2/x/tags/list?last=a"));
        assert!(!client.is_own_url("http://127.0.0.1:5002/v2/x/tags/list"));
        // Without `public_addresses_only` it changes nothing; without it, the host is refused.
        let unlimited = ClientOptions { public_addresses_only: false, ..allowed.clone() };
        assert!(RegistryClient::new("127.0.0.1:5001", &unlimited).unwrap().own_host.is_none());
        let limited = ClientOptions { private_host_allowed: false, ..allowed };
        assert!(matches!(RegistryClient::new("127.0.0.1:5001", &limited), Err(Error::PrivateAddress { .. })));
    }

    #[test]
    fn loopback_hosts() {
        for host in ["localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000", "localhost"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["registry.example", "10.0.0.1:5000", "localhost.example:5000", "[fe80::1]:5000"] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn refusals_are_decided_on_codes_and_on_the_status_without_one() {
        let refusal = |status: u16, body: &str| Refusal {
            status: StatusCode::from_u16(status).unwrap(),
            body: ErrorBody::parse(body.as_bytes()),
        };
        let absent = |refusal: Refusal| refusal.says(&MANIFEST_ABSENT, StatusCode::NOT_FOUND);
        assert!(absent(refusal(404, r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"gone"}]}"#)));
        assert!(absent(refusal(404, r#"{"errors":[{"code":"NAME_UNKNOWN"}]}"#)));
        // A HEAD, or a proxy's page: no code, so the status decides.
        assert!(absent(refusal(404, "")));
        assert!(absent(refusal(404, "<html>not found</html>")));
        // A registry's own code says nothing the spec defines: the status decides too.
        assert!(absent(refusal(404, r#"{"errors":[{"code":"NOT_FOUND"}]}"#)));
        assert!(!absent(refusal(404, r#"{"errors":[{"code":"UNSUPPORTED"}]}"#)));
        assert!(!absent(refusal(400, "")));
        let denied = refusal(403, r#"{"errors":[{"code":"DENIED","message":"no pushes"}]}"#);
        assert_eq!(denied.code(), Some(ErrorCode::Denied));
        assert_eq!(denied.message(), "no pushes");
        assert_eq!(refusal(500, "").message(), "no details");
    }

    #[test]
    fn back_off_grows_with_jitter_and_honours_retry_after() {
        let policy =
            RetryPolicy { attempts: 5, base_delay: Duration::from_millis(100), max_delay: Duration::from_secs(1) };
        for attempt in 1..6 {
            let delay = policy.delay(attempt, None);
            let ceiling = Duration::from_millis(100 * (1 << attempt)).min(Duration::from_secs(1));
            assert!(delay <= ceiling && delay >= ceiling / 2, "{attempt}: {delay:?}");
        }
        assert_eq!(policy.delay(1, Some(Duration::from_secs(3))), Duration::from_secs(3));
    }
}

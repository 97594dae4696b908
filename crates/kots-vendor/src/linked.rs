//! Linked registries: a vendor's own registries (`quay.io`, an ECR or a registry on its network)
//! linked once to an app, so that license holders can pull the images there through the proxy
//! (`/v2/proxy/APP/HOST/…`) without credentials of their own.
//!
//! A link is a normalised host (`quay.io`, `127.0.0.1:5001`: lowercase, no scheme, no path) and,
//! when the registry needs them, credentials. Those are kept encrypted with the server's
//! credentials key ([`CredentialsKey`]) and decrypted only for the proxy ([`LinkedRegistry`]);
//! listings show the user name and never the password. Linking checks the credentials as
//! `docker login` does (`GET /v2/`, answering a Basic or Bearer challenge), so a mistyped
//! password is refused at once, not on a customer's first pull.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use kots_transfer::{ClientOptions, Credentials};
use reqwest::StatusCode;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::{User, Vendor};

/// Where a linked registry is: its host as image names write it, and whether the vendor asked
/// for plain HTTP (`http://` written in front). Without `http://` the registry speaks HTTPS;
/// a loopback one may fall back to plain HTTP as Docker lets it (see
/// [`ClientOptions::loopback_plain_http`]), which is not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryHost {
    /// `name[:port]` or `[v6]:port`, lowercase.
    pub host: String,
    pub plain_http: bool,
}

impl RegistryHost {
    /// Reads `quay.io`, `https://Quay.IO/`, `http://127.0.0.1:5001`, `[::1]:5000`. Refuses paths
    /// (`quay.io/acme`: a link is a whole registry), schemes other than `http://` and `https://`,
    /// user names, queries, bad ports and names that are not host names.
    pub fn parse(input: &str) -> Result<RegistryHost> {
        let invalid = |reason: &str| Error::Invalid(format!("registry endpoint `{input}`: {reason}"));
        let text = input.trim();
        let lower = text.to_ascii_lowercase();
        let (rest, plain_http) = if lower.starts_with("http://") {
            (&text[7..], true)
        } else if lower.starts_with("https://") {
            (&text[8..], false)
        } else if let Some((scheme, _)) = text.split_once("://") {
            return Err(invalid(&format!(
                "`{scheme}://` is not a registry scheme; write the host, or http:// for plain HTTP"
            )));
        } else {
            (text, false)
        };
        let host = rest.trim_end_matches('/').to_ascii_lowercase();
        if host.is_empty() {
            return Err(invalid("no host; write the registry's host, e.g. quay.io or 127.0.0.1:5001"));
        }
        if host.contains('/') {
            return Err(invalid(
                "a link is a registry host, not a path: link the host (e.g. quay.io) and every repository under it is reachable",
            ));
        }
        if host.contains(['@', '?', '#', ' ', '\t', '%', '\\']) {
            return Err(invalid("write only the host and port (credentials go in --username and --password)"));
        }
        check_host_port(&host).map_err(|reason| invalid(&reason))?;
        Ok(RegistryHost { host, plain_http })
    }

    /// The host's name or address without port or brackets.
    fn name(&self) -> &str {
        host_name(&self.host)
    }

    /// As `list` prints it: `http://` in front when plain HTTP was asked for.
    pub fn display(&self) -> String {
        if self.plain_http { format!("http://{}", self.host) } else { self.host.clone() }
    }
}

/// A public host name given to `serve` (`--registry-domain`, `--proxy-domain`): a host with an
/// optional port, lowercase; no scheme, no path.
pub fn parse_domain(flag: &str, input: &str) -> Result<String> {
    let host = input.trim().trim_end_matches('/').to_ascii_lowercase();
    if host.contains("://") || host.contains('/') {
        return Err(Error::Invalid(format!(
            "{flag} `{input}`: write a host name (registry.vendor.example), no scheme or path"
        )));
    }
    check_host_port(&host).map_err(|reason| Error::Invalid(format!("{flag} `{input}`: {reason}")))?;
    Ok(host)
}

fn host_name(host: &str) -> &str {
    match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    }
}

/// `name[:port]` as OCI image names allow a registry host: DNS labels (letters, digits, `-`
/// inside), an IPv4 address, or a bracketed IPv6 address; a port from 1 to 65535.
fn check_host_port(host: &str) -> std::result::Result<(), String> {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let (address, after) = rest.split_once(']').ok_or("an IPv6 address needs its closing `]`")?;
        if address.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("`{address}` is not an IPv6 address"));
        }
        match after {
            "" => (None, None),
            _ => (None, Some(after.strip_prefix(':').ok_or("expected `:PORT` after `]`")?)),
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) => (Some(name), Some(port)),
            None => (Some(host), None),
        }
    };
    if let Some(port) = port
        && !matches!(port.parse::<u16>(), Ok(1..))
    {
        return Err(format!("`{port}` is not a port (1 to 65535)"));
    }
    if let Some(name) = name {
        if name.is_empty() || name.len() > 253 {
            return Err("the host name is empty or too long".to_owned());
        }
        for label in name.split('.') {
            let valid = !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !valid {
                return Err(format!("`{name}` is not a host name"));
            }
        }
    }
    Ok(())
}

/// The server's key for the credentials of linked registries: kots-template's AES-GCM key text
/// (`crypto::generate_key`). Made on first start and kept beside the data (`DATA_DIR/
/// registry-credentials.key`), or, with PostgreSQL, as a secret every replica shares. Never
/// printed.
#[derive(Clone)]
pub struct CredentialsKey(Arc<String>);

impl std::fmt::Debug for CredentialsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialsKey(****)")
    }
}

/// What is sealed in a row: the row's app and host too, so that a sealed value copied onto
/// another row (another team's app) does not open there.
#[derive(Serialize, Deserialize)]
struct Sealed {
    app: String,
    host: String,
    username: String,
    password: String,
}

impl CredentialsKey {
    pub(crate) fn new(text: String) -> Result<CredentialsKey> {
        // A key that cannot encrypt is refused at start, not on the first link.
        kots_template::kots::crypto::encrypt(&text, "")
            .map_err(|e| Error::internal(format_args!("the registry credentials key is invalid: {e}")))?;
        Ok(CredentialsKey(Arc::new(text)))
    }

    pub(crate) fn generate() -> String {
        kots_template::kots::crypto::generate_key()
    }

    pub(crate) fn seal(&self, app_id: &str, host: &str, credentials: &Credentials) -> Result<String> {
        let sealed = Sealed {
            app: app_id.to_owned(),
            host: host.to_owned(),
            username: credentials.username.clone(),
            password: credentials.password().to_owned(),
        };
        let text = serde_json::to_string(&sealed).map_err(Error::internal)?;
        kots_template::kots::crypto::encrypt(&self.0, &text)
            .map_err(|e| Error::internal(format_args!("cannot encrypt: {e}")))
    }

    pub(crate) fn open(&self, app_id: &str, host: &str, value: &str) -> Result<Credentials> {
        let refused = || {
            Error::internal(format_args!(
                "the stored credentials of linked registry {host} do not open with this server's key (was the key \
                 replaced?); link it again with `kots-vendor registry add --replace`"
            ))
        };
        let text = kots_template::kots::crypto::decrypt(&self.0, value).map_err(|_| refused())?;
        let sealed: Sealed = serde_json::from_str(&text).map_err(|_| refused())?;
        if sealed.app != app_id || sealed.host != host {
            return Err(refused());
        }
        Ok(Credentials::new(sealed.username, sealed.password))
    }
}

/// Loads the key file, or makes it (mode 0600) on first start.
pub(crate) fn load_or_create_key_file(path: &std::path::Path) -> Result<CredentialsKey> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return CredentialsKey::new(text.trim().to_owned());
    }
    let key = CredentialsKey::generate();
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, &key)
        .and_then(|()| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o600))
        })
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| Error::internal(format_args!("cannot write the credentials key `{}`: {e}", path.display())))?;
    CredentialsKey::new(key)
}

/// A linked registry with its credentials decrypted: what the proxy reads images with. Its
/// `Debug` shows the user name only.
#[derive(Debug, Clone)]
pub struct LinkedRegistry {
    pub app_id: String,
    /// Normalised: `quay.io`, `127.0.0.1:5001`.
    pub host: String,
    /// The vendor wrote `http://`.
    pub plain_http: bool,
    /// `None`: the registry is read anonymously.
    pub credentials: Option<Credentials>,
    /// Seconds since the epoch.
    pub created_at: i64,
}

impl LinkedRegistry {
    /// Options for a [`kots_transfer::RegistryClient`] reading this registry on the app's
    /// behalf: its credentials only (never the server's Docker logins), plain HTTP if asked for,
    /// and only public addresses unless the server allows private registries.
    pub fn client_options(&self, allow_private_registries: bool) -> ClientOptions {
        ClientOptions {
            credentials: self.credentials.clone(),
            ambient_credentials: false,
            plain_http: self.plain_http,
            loopback_plain_http: true,
            public_addresses_only: !allow_private_registries,
            ..ClientOptions::default()
        }
    }
}

/// A linked registry as listed: never its password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkedRegistryInfo {
    pub host: String,
    pub plain_http: bool,
    pub username: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// `POST /api/v1/apps/{app}/registries`. Its `Debug` redacts the password.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewLinkedRegistry {
    /// `quay.io`, `registry.example:5000`, `http://10.0.0.8:5000` (plain HTTP).
    pub endpoint: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Store without checking the credentials against the registry.
    #[serde(default)]
    pub no_check: bool,
    /// Replace the link if the app has one to this host (new credentials); otherwise that is a
    /// conflict.
    #[serde(default)]
    pub replace: bool,
}

impl std::fmt::Debug for NewLinkedRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewLinkedRegistry")
            .field("endpoint", &self.endpoint)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "****"))
            .field("no_check", &self.no_check)
            .field("replace", &self.replace)
            .finish()
    }
}

impl Vendor {
    /// Links a registry to the caller's app, after checking the credentials against it (unless
    /// `no_check`). Nothing is stored when the check fails.
    pub async fn link_registry(
        &self,
        caller: &User,
        app_slug: &str,
        request: NewLinkedRegistry,
    ) -> Result<LinkedRegistryInfo> {
        let app = self.team_app(caller, app_slug).await?;
        let endpoint = RegistryHost::parse(&request.endpoint)?;
        let credentials = match (request.username.filter(|u| !u.is_empty()), request.password) {
            (Some(username), Some(password)) if !password.is_empty() => Some(Credentials::new(username, password)),
            (None, None) => None,
            (Some(username), _) => {
                return Err(Error::Invalid(format!(
                    "registry {}: a password for `{username}` is needed (--password, --password-stdin or \
                     KOTS_VENDOR_REGISTRY_PASSWORD)",
                    endpoint.host
                )));
            }
            (None, Some(_)) => {
                return Err(Error::Invalid(format!("registry {}: a password without --username", endpoint.host)));
            }
        };
        if self.vendor_names_host(&endpoint.host) {
            return Err(Error::Invalid(format!(
                "{} is this server's own registry or proxy: its images need no link",
                endpoint.host
            )));
        }
        if !self.allow_private_registries
            && let Some(address) = private_literal(endpoint.name())
        {
            return Err(Error::Invalid(format!(
                "registry {}: `{address}` is a loopback or private address; this server links only public \
                 registries unless it runs with --allow-private-registries",
                endpoint.host
            )));
        }
        if !request.replace && self.store.linked_registry_info(&app.id, &endpoint.host).await?.is_some() {
            return Err(Error::Conflict(format!(
                "app `{app_slug}` already links {}; pass --replace to change its credentials, or `kots-vendor \
                 registry remove` it first",
                endpoint.host
            )));
        }
        if !request.no_check {
            check_login(&endpoint, credentials.as_ref(), self.allow_private_registries).await?;
        }
        self.store.save_linked_registry(&app.id, &endpoint, credentials.as_ref(), request.replace).await?;
        self.store
            .linked_registry_info(&app.id, &endpoint.host)
            .await?
            .ok_or_else(|| Error::internal("the linked registry was not stored"))
    }

    /// The links of the caller's app, by host.
    pub async fn linked_registries_of(&self, caller: &User, app_slug: &str) -> Result<Vec<LinkedRegistryInfo>> {
        let app = self.team_app(caller, app_slug).await?;
        self.store.linked_registry_infos(&app.id).await
    }

    pub async fn unlink_registry(&self, caller: &User, app_slug: &str, endpoint: &str) -> Result<String> {
        let app = self.team_app(caller, app_slug).await?;
        let endpoint = RegistryHost::parse(endpoint)?;
        if !self.store.remove_linked_registry(&app.id, &endpoint.host).await? {
            return Err(Error::NotFound(format!(
                "app `{app_slug}` links no registry {}; `kots-vendor registry list --app {app_slug}` lists its links",
                endpoint.host
            )));
        }
        Ok(endpoint.host)
    }

    /// The link of app `app_slug` (any team's: the caller is the proxy, which checked the
    /// license) to `host`, its credentials opened; `host` is normalised first. `None` when
    /// the app does not exist or does not link that host.
    pub async fn linked_registry(&self, app_slug: &str, host: &str) -> Result<Option<LinkedRegistry>> {
        let Some(app) = self.store.app_by_slug(app_slug).await? else { return Ok(None) };
        let host = RegistryHost::parse(host)?.host;
        self.store.linked_registry(&app.id, &host).await
    }

    /// Whether `host` is one of the names this server answers as (its public URL's host, the
    /// registry domain, the proxy domain).
    fn vendor_names_host(&self, host: &str) -> bool {
        self.is_own_registry(host) || host.eq_ignore_ascii_case(self.proxy_domain())
    }
}

/// `name` when it is `localhost` or a loopback, private or link-local address literal.
fn private_literal(name: &str) -> Option<String> {
    if name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost") {
        return Some(name.to_owned());
    }
    let address: IpAddr = name.parse().ok()?;
    (!kots_transfer::is_public(address)).then(|| address.to_string())
}

/// Resolves as the system does and keeps public addresses only: a tenant's link must not make
/// this server reach its own network.
#[derive(Debug, Clone, Copy)]
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                found.iter().copied().filter(|found| kots_transfer::is_public(found.ip())).collect();
            if public.is_empty() && !found.is_empty() {
                return Err(format!("`{host}` resolves only to private or loopback addresses").into());
            }
            let addresses: Addrs = Box::new(public.into_iter());
            Ok(addresses)
        })
    }
}

/// `docker login`'s check: `GET /v2/`, then answer its challenge with the credentials (Basic,
/// or a Bearer token from the realm with no scope) and ask again. Ok when the registry lets
/// them in.
pub(crate) async fn check_login(
    endpoint: &RegistryHost,
    credentials: Option<&Credentials>,
    allow_private: bool,
) -> Result<()> {
    let host = &endpoint.host;
    let mut builder = kots_transfer::tls::client_builder(kots_transfer::tls::Trust::System)
        .user_agent(concat!("kots-vendor/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        // Redirects of `/v2/` are followed only on the same host.
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let same = attempt.previous().first().and_then(|first| first.host_str()) == attempt.url().host_str();
            if attempt.previous().len() > 5 || !same { attempt.stop() } else { attempt.follow() }
        }));
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    let http = builder.build().map_err(Error::internal)?;
    // Docker Hub's API is on another host than its name.
    let api_host = if host == "docker.io" { "registry-1.docker.io" } else { host.as_str() };
    let unreachable = |e: reqwest::Error| {
        Error::Invalid(format!(
            "cannot reach registry {host}: {}; check --endpoint (http:// in front for plain HTTP), or pass --no-check \
             to link it without checking",
            error_chain(&e)
        ))
    };
    let mut base = format!("{}://{api_host}", if endpoint.plain_http { "http" } else { "https" });
    let first = match http.get(format!("{base}/v2/")).send().await {
        Ok(response) => response,
        // A loopback registry without TLS, as Docker allows it.
        Err(e) if !endpoint.plain_http && e.is_connect() && is_loopback(endpoint.name()) => {
            base = format!("http://{api_host}");
            http.get(format!("{base}/v2/")).send().await.map_err(unreachable)?
        }
        Err(e) => return Err(unreachable(e)),
    };
    let refused = |status: StatusCode, detail: &str| match credentials {
        Some(credentials) => Error::Invalid(format!(
            "registry {host} refused the credentials of `{}` ({detail}HTTP {}); check --username and --password; \
             nothing was stored",
            credentials.username,
            status.as_u16()
        )),
        None => Error::Invalid(format!(
            "registry {host} needs credentials (HTTP {}); pass --username and --password",
            status.as_u16()
        )),
    };
    let status = first.status();
    if status.is_success() {
        return Ok(());
    }
    if status != StatusCode::UNAUTHORIZED {
        return Err(Error::Invalid(format!(
            "registry {host} answered HTTP {} to GET /v2/; is it an OCI registry? (--no-check links it anyway)",
            status.as_u16()
        )));
    }
    let challenge = first.headers().get(header::WWW_AUTHENTICATE).and_then(|value| value.to_str().ok()).unwrap_or("");
    let second = match parse_challenge(challenge) {
        Some(Challenge::Basic) => {
            let Some(credentials) = credentials else { return Err(refused(status, "")) };
            http.get(format!("{base}/v2/"))
                .basic_auth(&credentials.username, Some(credentials.password()))
                .send()
                .await
                .map_err(unreachable)?
        }
        Some(Challenge::Bearer { realm, service }) => {
            let realm_url = reqwest::Url::parse(&realm).map_err(|_| {
                Error::Invalid(format!("registry {host} names a token service that is not a URL: `{realm}`"))
            })?;
            if !allow_private
                && let Some(address) =
                    realm_url.host_str().and_then(|name| private_literal(name.trim_matches(['[', ']'])))
            {
                return Err(Error::Invalid(format!(
                    "registry {host} sends logins to `{address}`, a loopback or private address this server may not reach"
                )));
            }
            let mut request = http.get(realm_url);
            if let Some(service) = &service {
                request = request.query(&[("service", service.as_str())]);
            }
            if let Some(credentials) = credentials {
                request = request.basic_auth(&credentials.username, Some(credentials.password()));
            }
            let answer = request.send().await.map_err(|e| {
                Error::Invalid(format!("cannot reach the token service of registry {host}: {}", error_chain(&e)))
            })?;
            if !answer.status().is_success() {
                return Err(refused(answer.status(), "token service: "));
            }
            let body: serde_json::Value = answer.json().await.map_err(|_| {
                Error::Invalid(format!("the token service of registry {host} answered something that is not a token"))
            })?;
            let token = body["token"].as_str().or(body["access_token"].as_str()).unwrap_or_default().to_owned();
            if token.is_empty() {
                return Err(Error::Invalid(format!("the token service of registry {host} answered no token")));
            }
            http.get(format!("{base}/v2/")).bearer_auth(token).send().await.map_err(unreachable)?
        }
        None => {
            return Err(Error::Invalid(format!(
                "registry {host} answered 401 without a challenge kots-vendor understands (`{challenge}`)"
            )));
        }
    };
    if second.status().is_success() { Ok(()) } else { Err(refused(second.status(), "")) }
}

fn is_loopback(name: &str) -> bool {
    name == "localhost" || name.parse::<IpAddr>().is_ok_and(|address| address.is_loopback())
}

/// The error and its causes, as one line (reqwest's own message is only the outermost).
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

#[derive(Debug, PartialEq, Eq)]
enum Challenge {
    Basic,
    Bearer { realm: String, service: Option<String> },
}

/// `Basic realm="…"` or `Bearer realm="…",service="…"[,scope="…"]`.
fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, remaining) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"')?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None => after.split_once(',').unwrap_or((after, "")),
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "realm" => realm = Some(value.to_owned()),
            "service" => service = Some(value.to_owned()),
            _ => {}
        }
        rest = remaining.trim_start_matches([',', ' ']);
    }
    Some(Challenge::Bearer { realm: realm?, service })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_normalised() {
        let cases = [
            ("quay.io", "quay.io", false),
            ("  Quay.IO/ ", "quay.io", false),
            ("https://quay.io/", "quay.io", false),
            ("HTTPS://Registry.Example:5000", "registry.example:5000", false),
            ("http://127.0.0.1:5001", "127.0.0.1:5001", true),
            ("127.0.0.1:5001//", "127.0.0.1:5001", false),
            ("docker.io", "docker.io", false),
            ("[::1]:5000", "[::1]:5000", false),
            ("http://[FE80::1]", "[fe80::1]", true),
            ("localhost:5000", "localhost:5000", false),
            ("123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr.us-east-1.amazonaws.com", false),
        ];
        for (input, host, plain_http) in cases {
            assert_eq!(
                RegistryHost::parse(input).unwrap(),
                RegistryHost { host: host.to_owned(), plain_http },
                "{input}"
            );
        }
        assert_eq!(RegistryHost::parse("http://127.0.0.1:5001").unwrap().display(), "http://127.0.0.1:5001");
        assert_eq!(RegistryHost::parse("quay.io").unwrap().display(), "quay.io");
    }

    #[test]
    fn endpoints_that_are_not_registry_hosts_are_refused() {
        let cases = [
            ("", "no host"),
            ("https://", "no host"),
            ("quay.io/acme", "not a path"),
            ("https://quay.io/v2/", "not a path"),
            ("ftp://quay.io", "not a registry scheme"),
            ("docker://quay.io", "not a registry scheme"),
            ("alice:secret@quay.io", "only the host"),
            ("quay.io?x=1", "only the host"),
            ("quay.io:0", "not a port"),
            ("quay.io:65536", "not a port"),
            ("quay.io:http", "not a port"),
            ("quay_io", "not a host name"),
            ("-quay.io", "not a host name"),
            ("quay..io", "not a host name"),
            ("[::1", "closing"),
            ("[nothost]:5000", "not an IPv6 address"),
            ("[::1]5000", "expected `:PORT`"),
        ];
        for (input, wanted) in cases {
            let error = RegistryHost::parse(input).unwrap_err().to_string();
            assert!(error.contains(wanted), "{input}: {error}");
            assert!(error.contains(&format!("`{input}`")), "{input}: {error}");
        }
    }

    #[test]
    fn domains() {
        assert_eq!(parse_domain("--registry-domain", "Registry.Vendor.Example").unwrap(), "registry.vendor.example");
        assert_eq!(parse_domain("--proxy-domain", "proxy.example:8443/").unwrap(), "proxy.example:8443");
        assert!(
            parse_domain("--proxy-domain", "https://proxy.example").unwrap_err().to_string().contains("--proxy-domain")
        );
        assert!(parse_domain("--registry-domain", "a/b").is_err());
        assert!(parse_domain("--registry-domain", "").is_err());
    }

    #[test]
    fn private_literals() {
        for private in ["127.0.0.1", "10.0.0.8", "localhost", "LOCALHOST", "a.localhost", "::1", "169.254.169.254"] {
            assert!(private_literal(private).is_some(), "{private}");
        }
        for public in ["quay.io", "1.1.1.1", "2606:4700::1111"] {
            assert!(private_literal(public).is_none(), "{public}");
        }
        assert_eq!(RegistryHost::parse("[::1]:5000").unwrap().name(), "::1");
        assert_eq!(RegistryHost::parse("127.0.0.1:5001").unwrap().name(), "127.0.0.1");
    }

    #[test]
    fn sealed_credentials_open_only_on_their_row_and_key() {
        let key = CredentialsKey::new(CredentialsKey::generate()).unwrap();
        let credentials = Credentials::new("robot", "s3cret-pass");
        let sealed = key.seal("app1", "quay.io", &credentials).unwrap();
        assert!(!sealed.contains("s3cret"));
        assert_eq!(key.open("app1", "quay.io", &sealed).unwrap(), credentials);
        assert!(key.open("app2", "quay.io", &sealed).is_err());
        assert!(key.open("app1", "ghcr.io", &sealed).is_err());
        let other = CredentialsKey::new(CredentialsKey::generate()).unwrap();
        assert!(other.open("app1", "quay.io", &sealed).is_err());
        assert!(!format!("{key:?}").contains(&*key.0));
        assert!(CredentialsKey::new("not a key".to_owned()).is_err());
    }

    #[test]
    fn requests_never_print_the_password() {
        let request = NewLinkedRegistry {
            endpoint: "quay.io".to_owned(),
            username: Some("robot".to_owned()),
            password: Some("s3cret-pass".to_owned()),
            ..NewLinkedRegistry::default()
        };
        let printed = format!("{request:?}");
        assert!(printed.contains("robot") && !printed.contains("s3cret"), "{printed}");
    }

    #[test]
    fn challenges() {
        assert_eq!(parse_challenge("Basic realm=\"x\""), Some(Challenge::Basic));
        assert_eq!(
            parse_challenge("Bearer realm=\"https://auth.example/token\",service=\"reg.example\",scope=\"a\""),
            Some(Challenge::Bearer { realm: "https://auth.example/token".into(), service: Some("reg.example".into()) })
        );
        assert_eq!(parse_challenge("Bearer service=\"x\""), None);
        assert_eq!(parse_challenge("Negotiate"), None);
    }
}

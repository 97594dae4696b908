//! Who may do what: Docker token authentication in front of every registry request.
//!
//! A client without credentials gets `401` and a `Bearer realm=…,service=…,scope=…` challenge;
//! `GET /token` takes HTTP Basic credentials and the scopes asked for and returns a short-lived
//! signed token granting what the principal may do of that; every request then presents the
//! token (or HTTP Basic directly). Who a principal is and what it may do is the
//! [`AccessPolicy`]'s business (the vendor's users, service accounts and licenses; an htpasswd
//! file); checking it happens here and only here, in [`Registry::authorize`], before any handler
//! runs. The policy is asked again on every request, so a revoked license stops at once, not
//! when its token expires.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::Registry;
use crate::error::{Error, Result};
use crate::route::Route;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Pull,
    Push,
    Delete,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "push",
            Action::Delete => "delete",
        }
    }

    fn parse_list(text: &str) -> Vec<Action> {
        let mut actions = Vec::new();
        for word in text.split(',') {
            let parsed: &[Action] = match word.trim() {
                "pull" => &[Action::Pull],
                "push" => &[Action::Push],
                "delete" => &[Action::Delete],
                "*" => &[Action::Pull, Action::Push, Action::Delete],
                _ => &[],
            };
            for action in parsed {
                if !actions.contains(action) {
                    actions.push(*action);
                }
            }
        }
        actions
    }
}

/// Someone the policy recognised. `subject` is what the policy needs to recognise them again
/// (it travels in tokens); `display` is for messages and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub display: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Refused, with a message for the user that says why and what to do.
    Deny(String),
}

/// Identities and permissions, supplied by whoever embeds the registry.
#[async_trait]
pub trait AccessPolicy: Send + Sync + 'static {
    /// The principal these HTTP Basic credentials belong to, or `None` if they do not
    /// authenticate. Implementations compare secrets in constant time.
    async fn authenticate(&self, username: &str, password: &str) -> Result<Option<Principal>>;

    /// Whether `principal` may do `action` on `repository` now.
    async fn authorize(&self, principal: &Principal, repository: &str, action: Action) -> Result<Decision>;
}

/// How the registry authenticates, when it does.
#[derive(Clone)]
pub struct AuthOptions {
    pub policy: Arc<dyn AccessPolicy>,
    /// The token endpoint's URL, as clients reach it (`https://host/token`).
    pub realm: String,
    /// The `service` of challenges and tokens (the registry's host).
    pub service: String,
    pub token_ttl: Duration,
    /// HMAC key that signs tokens; keep it secret and stable across restarts.
    pub signing_key: Vec<u8>,
    pub throttle: ThrottleOptions,
}

impl std::fmt::Debug for AuthOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthOptions")
            .field("realm", &self.realm)
            .field("service", &self.service)
            .field("token_ttl", &self.token_ttl)
            .finish_non_exhaustive()
    }
}

/// The `host[:port]` of a public URL: the `service` of tokens, and how image names write the
/// registry.
pub fn url_host(url: &str) -> &str {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    without_scheme.split('/').next().unwrap_or(without_scheme)
}

/// Reads the token signing key from `path`, creating a random one on first use.
pub fn load_or_create_signing_key(path: &std::path::Path) -> Result<Vec<u8>> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return hex::decode(text.trim())
            .map_err(|e| Error::internal(format_args!("token key `{}` is not hex: {e}", path.display())));
    }
    let key: [u8; 32] = rand::random();
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, hex::encode(key))
        .and_then(|()| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o600))
        })
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| Error::internal(format_args!("cannot write token key `{}`: {e}", path.display())))?;
    Ok(key.to_vec())
}

/// One scope a token grants or a request needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    exp: u64,
    nbf: u64,
    iat: u64,
    jti: String,
    access: Vec<Access>,
    /// The principal's display name, to rebuild it from the token.
    name: String,
}

fn now_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// What a request needs: nothing more than a principal (`/v2/`, the catalog), or an action on a
/// repository.
fn required(route: &Route, method: &Method) -> Option<(String, Action)> {
    let write = |name: &String| {
        let action = if *method == Method::DELETE { Action::Delete } else { Action::Push };
        Some((name.clone(), action))
    };
    let read = |name: &String| Some((name.clone(), Action::Pull));
    match route {
        Route::Base | Route::Catalog => None,
        Route::Tags { name } | Route::Referrers { name, .. } => read(name),
        Route::Manifest { name, .. } | Route::Blob { name, .. } => {
            if *method == Method::GET || *method == Method::HEAD { read(name) } else { write(name) }
        }
        // Cancelling an upload is part of pushing, not deleting content.
        Route::StartUpload { name } | Route::Upload { name, .. } => Some((name.clone(), Action::Push)),
    }
}

/// The principal making a request, and how it proved it.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: Principal,
    /// `Some` for a bearer token: the scopes it carries limit the request too.
    token_access: Option<Vec<Access>>,
}

impl Authenticated {
    fn token_grants(&self, repository: &str, action: Action) -> bool {
        match &self.token_access {
            None => true,
            Some(access) => access.iter().any(|access| {
                access.kind == "repository"
                    && access.name == repository
                    && access.actions.iter().any(|granted| granted == action.name() || granted == "*")
            }),
        }
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<std::result::Result<(String, String), ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let text = value.to_str().ok()?;
    let encoded = text.strip_prefix("Basic ").or_else(|| text.strip_prefix("basic "))?;
    Some(
        base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.split_once(':').map(|(user, password)| (user.to_owned(), password.to_owned())))
            .ok_or(()),
    )
}

impl Registry {
    fn challenge(auth: &AuthOptions, scope: Option<&(String, Action)>, error: Option<&str>) -> String {
        let mut challenge = format!("Bearer realm=\"{}\",service=\"{}\"", auth.realm, auth.service);
        if let Some((repository, action)) = scope {
            let actions = if *action == Action::Pull { "pull".to_owned() } else { format!("pull,{}", action.name()) };
            challenge.push_str(&format!(",scope=\"repository:{repository}:{actions}\""));
        }
        if let Some(error) = error {
            challenge.push_str(&format!(",error=\"{error}\""));
        }
        challenge
    }

    /// Authenticates HTTP Basic credentials, counting failures per client.
    async fn authenticate_basic(
        &self,
        auth: &AuthOptions,
        client: Option<IpAddr>,
        username: &str,
        password: &str,
    ) -> Result<Option<Principal>> {
        self.throttle.check(client)?;
        let principal = auth.policy.authenticate(username, password).await?;
        match &principal {
            Some(_) => self.throttle.succeeded(client),
            None => {
                let delay = self.throttle.failed(client, &auth.throttle);
                tokio::time::sleep(delay).await;
            }
        }
        Ok(principal)
    }

    async fn authenticate_request(
        &self,
        auth: &AuthOptions,
        headers: &HeaderMap,
        client: Option<IpAddr>,
        scope: Option<&(String, Action)>,
    ) -> Result<Authenticated> {
        let unauthorized = |message: &str, error: Option<&str>| Error::Unauthorized {
            message: message.to_owned(),
            challenge: Self::challenge(auth, scope, error),
        };
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized(
                "authentication required: log in (`docker login`, `skopeo login`) and retry",
                None,
            ));
        };
        if let Some(token) = value.to_str().ok().and_then(|text| text.strip_prefix("Bearer ")) {
            let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
            validation.set_audience(&[&auth.service]);
            validation.set_issuer(&[&auth.service]);
            validation.leeway = 0;
            let key = jsonwebtoken::DecodingKey::from_secret(&auth.signing_key);
            let claims = jsonwebtoken::decode::<Claims>(token.trim(), &key, &validation).map_err(|error| {
                use jsonwebtoken::errors::ErrorKind;
                match error.kind() {
                    ErrorKind::ExpiredSignature => {
                        unauthorized("the token has expired: get a new one from the realm", Some("invalid_token"))
                    }
                    _ => unauthorized("the token is not valid for this registry", Some("invalid_token")),
                }
            })?;
            let claims = claims.claims;
            return Ok(Authenticated {
                principal: Principal { subject: claims.sub, display: claims.name },
                token_access: Some(claims.access),
            });
        }
        match basic_credentials(headers) {
            Some(Ok((username, password))) => {
                match self.authenticate_basic(auth, client, &username, &password).await? {
                    Some(principal) => Ok(Authenticated { principal, token_access: None }),
                    None => Err(unauthorized("the username or password is wrong", None)),
                }
            }
            _ => Err(unauthorized("the Authorization header is malformed: use Basic or Bearer credentials", None)),
        }
    }

    /// The one authorization point: the principal, if it may make this request. When it may not
    /// read the repository a mount would come from, the mount is dropped and the request becomes
    /// a plain upload, so that nothing reveals whether the blob exists there.
    pub(crate) async fn authorize(
        &self,
        route: &Route,
        method: &Method,
        headers: &HeaderMap,
        query: &mut HashMap<String, String>,
        client: Option<IpAddr>,
    ) -> Result<Option<Authenticated>> {
        let Some(auth) = &self.options.auth else { return Ok(None) };
        let needed = required(route, method);
        let authenticated = self.authenticate_request(auth, headers, client, needed.as_ref()).await?;
        if let Some((repository, action)) = &needed {
            self.check(auth, &authenticated, repository, *action).await?;
            if matches!(route, Route::StartUpload { .. })
                && let Some(from) = query.get("from").cloned()
                && self.check(auth, &authenticated, &from, Action::Pull).await.is_err()
            {
                query.remove("mount");
                query.remove("from");
            }
        }
        Ok(Some(authenticated))
    }

    async fn check(&self, auth: &AuthOptions, who: &Authenticated, repository: &str, action: Action) -> Result<()> {
        let scope = (repository.to_owned(), action);
        let denied = |message: String| Error::Denied {
            message,
            challenge: Some(Self::challenge(auth, Some(&scope), Some("insufficient_scope"))),
        };
        if !who.token_grants(repository, action) {
            return Err(denied(format!(
                "the token does not grant {} on `{repository}`; request a token with scope repository:{repository}:{}",
                action.name(),
                action.name()
            )));
        }
        match auth.policy.authorize(&who.principal, repository, action).await? {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => Err(denied(reason)),
        }
    }

    /// Whether the catalog may list `repository` to `who`.
    pub(crate) async fn may_list(&self, who: Option<&Authenticated>, repository: &str) -> Result<bool> {
        match (&self.options.auth, who) {
            (Some(auth), Some(who)) => {
                Ok(matches!(auth.policy.authorize(&who.principal, repository, Action::Pull).await?, Decision::Allow))
            }
            _ => Ok(true),
        }
    }

    /// `GET /token?service=…&scope=…`: a token for what the Basic credentials may do of the
    /// scopes asked for (possibly nothing: then every request with it is denied).
    pub(crate) async fn issue_token(
        &self,
        headers: &HeaderMap,
        scopes: &[String],
        client: Option<IpAddr>,
    ) -> Result<serde_json::Value> {
        let Some(auth) = &self.options.auth else {
            return Err(Error::NotFound("this registry runs without authentication; it issues no tokens".to_owned()));
        };
        let unauthorized = |message: &str| Error::Unauthorized {
            message: message.to_owned(),
            challenge: format!("Basic realm=\"{}\"", auth.service),
        };
        let principal = match basic_credentials(headers) {
            Some(Ok((username, password))) => self
                .authenticate_basic(auth, client, &username, &password)
                .await?
                .ok_or_else(|| unauthorized("the username or password is wrong"))?,
            Some(Err(())) => return Err(unauthorized("the Authorization header is malformed")),
            None => {
                return Err(unauthorized("the token service needs HTTP Basic credentials; anonymous access is off"));
            }
        };
        let mut access: Vec<Access> = Vec::new();
        for scope in scopes {
            // `repository:NAME:ACTIONS`; NAME may itself hold `:` only as a port, never here.
            let mut parts = scope.splitn(3, ':');
            let (Some(kind), Some(name), Some(actions)) = (parts.next(), parts.next(), parts.next()) else { continue };
            if kind != "repository" || crate::route::valid_name(name).is_err() {
                continue;
            }
            let mut granted = Vec::new();
            for action in Action::parse_list(actions) {
                if matches!(auth.policy.authorize(&principal, name, action).await?, Decision::Allow) {
                    granted.push(action.name().to_owned());
                }
            }
            if !granted.is_empty() {
                access.push(Access { kind: kind.to_owned(), name: name.to_owned(), actions: granted });
            }
        }
        let issued_at = now_seconds();
        let claims = Claims {
            iss: auth.service.clone(),
            sub: principal.subject.clone(),
            aud: auth.service.clone(),
            exp: issued_at + auth.token_ttl.as_secs(),
            nbf: issued_at.saturating_sub(1),
            iat: issued_at,
            jti: uuid::Uuid::new_v4().to_string(),
            access,
            name: principal.display.clone(),
        };
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&auth.signing_key),
        )
        .map_err(Error::internal)?;
        let issued_at = jiff::Timestamp::from_second(issued_at as i64).map_err(Error::internal)?;
        Ok(serde_json::json!({
            "token": token,
            "access_token": token,
            "expires_in": auth.token_ttl.as_secs(),
            "issued_at": issued_at.to_string(),
        }))
    }
}

/// How failed logins are slowed and then refused.
#[derive(Debug, Clone)]
pub struct ThrottleOptions {
    /// Failures after which each further one is answered more slowly.
    pub slow_after: u32,
    /// Failures after which the client is refused with 429 for `backoff`.
    pub block_after: u32,
    pub backoff: Duration,
    /// Failures older than this are forgotten.
    pub window: Duration,
}

impl Default for ThrottleOptions {
    fn default() -> Self {
        ThrottleOptions {
            slow_after: 3,
            block_after: 10,
            backoff: Duration::from_secs(60),
            window: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Default)]
struct ClientRecord {
    failures: u32,
    first_failure: Option<Instant>,
    blocked_until: Option<Instant>,
}

/// Failed logins per client address.
#[derive(Debug, Default)]
pub struct Throttle {
    clients: Mutex<HashMap<IpAddr, ClientRecord>>,
}

impl Throttle {
    fn check(&self, client: Option<IpAddr>) -> Result<()> {
        let Some(client) = client else { return Ok(()) };
        let mut clients = self.clients.lock().expect("never poisoned");
        if let Some(record) = clients.get_mut(&client)
            && let Some(until) = record.blocked_until
        {
            let now = Instant::now();
            if until > now {
                let seconds = (until - now).as_secs().max(1);
                return Err(Error::TooManyRequests {
                    message: format!("too many failed logins from {client}; try again in {seconds} s"),
                    retry_after_seconds: seconds,
                });
            }
            *record = ClientRecord::default();
        }
        Ok(())
    }

    /// Records a failure; returns how long to wait before answering it.
    fn failed(&self, client: Option<IpAddr>, options: &ThrottleOptions) -> Duration {
        let Some(client) = client else { return Duration::ZERO };
        let now = Instant::now();
        let mut clients = self.clients.lock().expect("never poisoned");
        let record = clients.entry(client).or_default();
        if record.first_failure.is_none_or(|first| now - first > options.window) {
            *record = ClientRecord { failures: 0, first_failure: Some(now), blocked_until: None };
        }
        record.failures += 1;
        tracing::warn!(%client, failures = record.failures, "failed login");
        if record.failures >= options.block_after {
            record.blocked_until = Some(now + options.backoff);
        }
        let excess = record.failures.saturating_sub(options.slow_after);
        Duration::from_millis(u64::from(excess.min(8)) * 100)
    }

    fn succeeded(&self, client: Option<IpAddr>) {
        if let Some(client) = client {
            self.clients.lock().expect("never poisoned").remove(&client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        assert_eq!(url_host("https://reg.example:8443/token"), "reg.example:8443");
        assert_eq!(url_host("reg.example"), "reg.example");
    }

    #[test]
    fn actions_parse() {
        assert_eq!(Action::parse_list("pull,push"), vec![Action::Pull, Action::Push]);
        assert_eq!(Action::parse_list("*"), vec![Action::Pull, Action::Push, Action::Delete]);
        assert_eq!(Action::parse_list("pull,bogus,pull"), vec![Action::Pull]);
    }

    #[test]
    fn throttle_slows_then_blocks_then_forgives() {
        let throttle = Throttle::default();
        let options =
            ThrottleOptions { slow_after: 2, block_after: 4, backoff: Duration::from_millis(50), ..Default::default() };
        let client = Some(IpAddr::from([10, 0, 0, 1]));
        assert_eq!(throttle.failed(client, &options), Duration::ZERO);
        assert_eq!(throttle.failed(client, &options), Duration::ZERO);
        assert!(throttle.failed(client, &options) > Duration::ZERO);
        assert!(throttle.check(client).is_ok());
        throttle.failed(client, &options);
        assert_eq!(throttle.check(client).unwrap_err().code(), "TOOMANYREQUESTS");
        // Another client is not affected.
        assert!(throttle.check(Some(IpAddr::from([10, 0, 0, 2]))).is_ok());
        std::thread::sleep(Duration::from_millis(60));
        assert!(throttle.check(client).is_ok());
    }
}

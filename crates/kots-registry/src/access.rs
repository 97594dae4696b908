//! Applies the [`auth`](crate::auth) vocabulary to requests: the one authorization point
//! (`Registry::authorize`, called by the server before any handler runs), the catalog's
//! filter, and the token endpoint that turns HTTP Basic credentials into a signed, short-lived
//! Bearer token for the scopes asked for.

use std::collections::HashMap;
use std::net::IpAddr;

use axum::http::{HeaderMap, Method, header};
use serde::{Deserialize, Serialize};

use crate::Registry;
use crate::auth::{Access, Action, AuthOptions, Decision, Principal};
use crate::error::{Error, Result};
use crate::request::basic_credentials;
use crate::route::{Route, valid_name};

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
/// repository. As in Distribution, the method decides for an upload session: its status
/// (`GET`) needs only pull, so a client that keeps a pull token for `GET`s (the conformance
/// suites) is not refused; cancelling (`DELETE`) is part of pushing (see [`or_else`]).
fn required(route: &Route, method: &Method) -> Option<(String, Action)> {
    let reading = *method == Method::GET || *method == Method::HEAD;
    match route {
        Route::Base | Route::Catalog => None,
        Route::Tags { name } | Route::Referrers { name, .. } => Some((name.clone(), Action::Pull)),
        Route::Manifest { name, .. } | Route::Blob { name, .. } => {
            let action = if reading {
                Action::Pull
            } else if *method == Method::DELETE {
                Action::Delete
            } else {
                Action::Push
            };
            Some((name.clone(), action))
        }
        Route::Upload { name, .. } if reading => Some((name.clone(), Action::Pull)),
        Route::StartUpload { name } | Route::Upload { name, .. } => Some((name.clone(), Action::Push)),
    }
}

/// Another action that also allows the request: cancelling an upload with a token for
/// `delete`, as Distribution asks for it (clients that cache a token per method send that one).
fn or_else(route: &Route, method: &Method) -> Option<Action> {
    (matches!(route, Route::Upload { .. }) && *method == Method::DELETE).then_some(Action::Delete)
}

/// The scopes a challenge names: the request's, and for a mount `repository:FROM:pull` too, so
/// that the token the client fetches next lets the mount happen.
fn challenge_scopes(
    needed: Option<&(String, Action)>,
    route: &Route,
    query: &HashMap<String, String>,
) -> Vec<(String, Action)> {
    let mut scopes: Vec<(String, Action)> = needed.into_iter().cloned().collect();
    if let Some(from) = mount_source(route, query)
        && !scopes.iter().any(|(name, _)| *name == from)
    {
        scopes.push((from, Action::Pull));
    }
    scopes
}

/// The repository a `POST …/blobs/uploads/?mount=D&from=FROM` mounts from, if it names one.
fn mount_source(route: &Route, query: &HashMap<String, String>) -> Option<String> {
    if !matches!(route, Route::StartUpload { .. }) || !query.contains_key("mount") {
        return None;
    }
    query.get("from").filter(|from| valid_name(from).is_ok()).cloned()
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

/// What a principal, with the credentials it presented, may do of one action.
enum Permission {
    Granted,
    /// The policy allows it but the bearer token does not carry the scope: the client should
    /// fetch a token for it.
    TokenLacksScope,
    /// The policy refuses it, with the reason for the user.
    Denied(String),
}

impl Registry {
    /// `Bearer realm=…,service=…[,scope="S1 S2"][,error=…]`: scopes space-separated, as
    /// Distribution writes them and clients read them.
    fn challenge(auth: &AuthOptions, scopes: &[(String, Action)], error: Option<&str>) -> String {
        let mut challenge = format!("Bearer realm=\"{}\",service=\"{}\"", auth.realm, auth.service);
        if !scopes.is_empty() {
            let scopes: Vec<String> = scopes
                .iter()
                .map(|(repository, action)| {
                    let actions =
                        if *action == Action::Pull { "pull".to_owned() } else { format!("pull,{}", action.name()) };
                    format!("repository:{repository}:{actions}")
                })
                .collect();
            challenge.push_str(&format!(",scope=\"{}\"", scopes.join(" ")));
        }
        if let Some(error) = error {
            challenge.push_str(&format!(",error=\"{error}\""));
        }
        challenge
    }

    /// Authenticates HTTP Basic credentials, counting failures per account and client (see
    /// [`ThrottleOptions`](crate::auth::ThrottleOptions)).
    async fn authenticate_basic(
        &self,
        auth: &AuthOptions,
        client: Option<IpAddr>,
        username: &str,
        password: &str,
    ) -> Result<Option<Principal>> {
        self.throttle.check(client, username)?;
        let principal = auth.policy.authenticate(username, password).await?;
        match &principal {
            Some(_) => self.throttle.succeeded(client, username),
            None => {
                let delay = self.throttle.failed(client, username, &auth.throttle);
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
        scopes: &[(String, Action)],
    ) -> Result<Authenticated> {
        let unauthorized = |message: &str, error: Option<&str>| Error::Unauthorized {
            message: message.to_owned(),
            challenge: Self::challenge(auth, scopes, error),
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
            // A token is not valid before its `nbf` either (jsonwebtoken checks only `exp`
            // unless told).
            validation.validate_nbf = true;
            let key = jsonwebtoken::DecodingKey::from_secret(&auth.signing_key);
            let claims = jsonwebtoken::decode::<Claims>(token.trim(), &key, &validation).map_err(|error| {
                use jsonwebtoken::errors::ErrorKind;
                match error.kind() {
                    ErrorKind::ExpiredSignature => {
                        unauthorized("the token has expired: get a new one from the realm", Some("invalid_token"))
                    }
                    ErrorKind::ImmatureSignature => unauthorized(
                        "the token is not valid yet (`nbf` is in the future): check this machine's clock, or get a \
                         new one from the realm",
                        Some("invalid_token"),
                    ),
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

    /// The one authorization point: the principal, if it may make this request.
    ///
    /// A principal the policy refuses gets `403 DENIED`, and so does a bearer token that lacks
    /// the scope, with an `insufficient_scope` challenge naming it: oras-py answers a `403` by
    /// fetching a token for the challenge's scope, while on a `401` it sends the same token
    /// again and gives up. A mount is the exception: no client can know from an earlier
    /// challenge that it needs `repository:FROM:pull`, so a token without it gets `401` and a
    /// challenge naming both scopes (what docker-style clients and the suites follow; skopeo,
    /// podman and docker ask for the source's scope themselves). When the principal may not
    /// read `FROM` at all, the mount is dropped and the request becomes a plain upload, so that
    /// nothing reveals whether the blob exists there.
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
        let scopes = challenge_scopes(needed.as_ref(), route, query);
        let authenticated = self.authenticate_request(auth, headers, client, &scopes).await?;
        if needed.is_none()
            && authenticated.token_access.is_some()
            && !auth.policy.still_valid(&authenticated.principal).await?
        {
            // A token issued before its credential was revoked: refused from the next request.
            return Err(Error::Unauthorized {
                message: format!("{} was revoked or removed; log in again", authenticated.principal.display),
                challenge: Self::challenge(auth, &[], Some("invalid_token")),
            });
        }
        if let Some((repository, action)) = &needed {
            let mut permission = self.permission(auth, &authenticated, repository, *action).await?;
            if !matches!(permission, Permission::Granted)
                && let Some(other) = or_else(route, method)
                && matches!(self.permission(auth, &authenticated, repository, other).await?, Permission::Granted)
            {
                permission = Permission::Granted;
            }
            let denied = |message: String| Error::Denied {
                message,
                challenge: Some(Self::challenge(auth, &scopes, Some("insufficient_scope"))),
            };
            match permission {
                Permission::Granted => {}
                Permission::TokenLacksScope => {
                    return Err(denied(format!(
                        "the token does not grant {} on `{repository}`; request a token with scope repository:{repository}:{}",
                        action.name(),
                        action.name()
                    )));
                }
                Permission::Denied(reason) => return Err(denied(reason)),
            }
        }
        if let Some(from) = mount_source(route, query) {
            match self.permission(auth, &authenticated, &from, Action::Pull).await? {
                Permission::Granted => {}
                Permission::TokenLacksScope => {
                    return Err(Error::Unauthorized {
                        message: format!(
                            "mounting from `{from}` needs a token that also grants pull on it; get one for the scopes the WWW-Authenticate challenge names"
                        ),
                        challenge: Self::challenge(auth, &scopes, Some("insufficient_scope")),
                    });
                }
                Permission::Denied(_) => {
                    query.remove("mount");
                    query.remove("from");
                }
            }
        }
        Ok(Some(authenticated))
    }

    /// The policy's decision first, so that a principal who may not do the action at all is
    /// denied whatever token it holds; then whether the token carries the scope.
    async fn permission(
        &self,
        auth: &AuthOptions,
        who: &Authenticated,
        repository: &str,
        action: Action,
    ) -> Result<Permission> {
        if let Decision::Deny(reason) = auth.policy.authorize(&who.principal, repository, action).await? {
            return Ok(Permission::Denied(reason));
        }
        Ok(if who.token_grants(repository, action) { Permission::Granted } else { Permission::TokenLacksScope })
    }

    /// What the catalog may list to `who`: repositories under these prefixes, or (`None`) all.
    pub(crate) async fn listable_prefixes(&self, who: Option<&Authenticated>) -> Result<Option<Vec<String>>> {
        match (&self.options.auth, who) {
            (Some(auth), Some(who)) => auth.policy.listable_prefixes(&who.principal).await,
            _ => Ok(None),
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
            if kind != "repository" || valid_name(name).is_err() {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::auth::{AccessPolicy, ThrottleOptions};
    use crate::request::Page;

    /// Tenants by first path component: `tenant:NAME` may see `NAME/…`; `revoked:…` lapsed.
    #[derive(Default)]
    struct TenantPolicy {
        calls: AtomicUsize,
    }

    #[async_trait]
    impl AccessPolicy for TenantPolicy {
        async fn authenticate(&self, _username: &str, _password: &str) -> Result<Option<Principal>> {
            Ok(None)
        }

        async fn authorize(&self, principal: &Principal, repository: &str, _action: Action) -> Result<Decision> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            let tenant = principal.subject.strip_prefix("tenant:").unwrap_or_default();
            Ok(if repository.starts_with(&format!("{tenant}/")) {
                Decision::Allow
            } else {
                Decision::Deny("not yours".to_owned())
            })
        }

        async fn still_valid(&self, principal: &Principal) -> Result<bool> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            Ok(!principal.subject.starts_with("revoked:"))
        }

        async fn listable_prefixes(&self, principal: &Principal) -> Result<Option<Vec<String>>> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            Ok(Some(principal.subject.strip_prefix("tenant:").map(|tenant| format!("{tenant}/")).into_iter().collect()))
        }
    }

    const KEY: &[u8] = b"test signing key";

    async fn registry(directory: &std::path::Path, policy: Arc<TenantPolicy>) -> Registry {
        let auth = AuthOptions {
            policy,
            realm: "http://registry.test/token".to_owned(),
            service: "registry.test".to_owned(),
            token_ttl: Duration::from_secs(60),
            signing_key: KEY.to_vec(),
            throttle: ThrottleOptions::default(),
        };
        let options = crate::Options { auth: Some(auth), ..crate::Options::default() };
        Registry::open_embedded(directory, options).await.unwrap()
    }

    fn bearer(subject: &str, not_before: u64) -> HeaderMap {
        let now = now_seconds();
        let claims = Claims {
            iss: "registry.test".to_owned(),
            sub: subject.to_owned(),
            aud: "registry.test".to_owned(),
            exp: now + 300,
            nbf: not_before,
            iat: now,
            jti: "test".to_owned(),
            access: Vec::new(),
            name: subject.to_owned(),
        };
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(KEY),
        )
        .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        headers
    }

    /// What broke: a token whose `nbf` lay in the future was accepted (only `exp` was checked).
    #[tokio::test]
    async fn tokens_not_yet_valid_are_refused() {
        let directory = tempfile::tempdir().unwrap();
        let registry = registry(directory.path(), Arc::default()).await;
        let mut query = HashMap::new();
        let later = bearer("tenant:a", now_seconds() + 120);
        let error = registry.authorize(&Route::Base, &Method::GET, &later, &mut query, None).await.unwrap_err();
        assert_eq!(error.code(), "UNAUTHORIZED");
        assert!(error.to_string().contains("not valid yet"), "{error}");
        let now = bearer("tenant:a", now_seconds().saturating_sub(1));
        assert!(registry.authorize(&Route::Base, &Method::GET, &now, &mut query, None).await.is_ok());
    }

    /// What broke: a token kept working on `/v2/` and the catalog after its credential was
    /// revoked, until it expired.
    #[tokio::test]
    async fn tokens_of_revoked_credentials_are_refused_on_the_next_request() {
        let directory = tempfile::tempdir().unwrap();
        let registry = registry(directory.path(), Arc::default()).await;
        let mut query = HashMap::new();
        let headers = bearer("revoked:a", now_seconds().saturating_sub(1));
        for route in [Route::Base, Route::Catalog] {
            let error = registry.authorize(&route, &Method::GET, &headers, &mut query, None).await.unwrap_err();
            assert_eq!(error.code(), "UNAUTHORIZED");
        }
    }

    /// What broke: the catalog asked the policy about every repository of every tenant (1.36 s
    /// for one call with 5,000 repositories in another team); now it reads only the caller's
    /// prefixes, so neither policy calls nor store queries grow with other tenants' repositories.
    #[tokio::test]
    async fn the_catalog_reads_only_what_the_caller_may_see() {
        let directory = tempfile::tempdir().unwrap();
        let policy = Arc::new(TenantPolicy::default());
        let registry = registry(directory.path(), policy.clone()).await;
        let digest = kots_oci::Digest::sha256_of(b"layer");
        for index in 0..2000 {
            registry.metadata.link_blob(&format!("other/image-{index:04}"), &digest, 5).await.unwrap();
        }
        // Names that a `LIKE 'a_%'` would also match, and a prefix of the caller's.
        for name in ["a/one", "a/two/deep", "ab/not-mine", "a_/not-mine", "a%/not-mine", "zzz/last"] {
            registry.metadata.link_blob(name, &digest, 5).await.unwrap();
        }
        let caller = Authenticated {
            principal: Principal { subject: "tenant:a".to_owned(), display: "a".to_owned() },
            token_access: Some(Vec::new()),
        };
        let calls_before = policy.calls.load(Ordering::Relaxed);
        let queries_before = list_queries(&registry);
        let catalog = registry.catalog(Page { limit: None, last: None }, Some(&caller)).await.unwrap();
        assert_eq!(catalog.repositories, ["a/one", "a/two/deep"]);
        assert_eq!(catalog.next, None);
        assert_eq!(policy.calls.load(Ordering::Relaxed) - calls_before, 1, "one question to the policy");
        assert_eq!(list_queries(&registry) - queries_before, 1, "one query per prefix");

        // Pages still work, from `last`, inside the caller's prefixes.
        let first = registry.catalog(Page { limit: Some(1), last: None }, Some(&caller)).await.unwrap();
        assert_eq!(first.repositories, ["a/one"]);
        let next = first.next.unwrap();
        let second = registry.catalog(Page { limit: Some(1), last: Some(next.last) }, Some(&caller)).await.unwrap();
        assert_eq!((second.repositories, second.next), (vec!["a/two/deep".to_owned()], None));
        // Past the caller's last name, nothing is read.
        let queries_before = list_queries(&registry);
        let after = Page { limit: None, last: Some("a/zzz".to_owned()) };
        assert!(registry.catalog(after, Some(&caller)).await.unwrap().repositories.is_empty());
        let after = Page { limit: None, last: Some("b".to_owned()) };
        assert!(registry.catalog(after, Some(&caller)).await.unwrap().repositories.is_empty());
        assert_eq!(list_queries(&registry) - queries_before, 1, "`a/zzz` may still have names after it");

        // A caller with no prefixes sees nothing, at the cost of no query.
        let nobody = Authenticated {
            principal: Principal { subject: "revoked:x".to_owned(), display: "x".to_owned() },
            token_access: Some(Vec::new()),
        };
        let queries_before = list_queries(&registry);
        assert!(
            registry.catalog(Page { limit: None, last: None }, Some(&nobody)).await.unwrap().repositories.is_empty()
        );
        assert_eq!(list_queries(&registry), queries_before);
    }

    /// Metadata listing queries so far, from the registry's own metrics.
    fn list_queries(registry: &Registry) -> u64 {
        let rendered = registry.metrics.render();
        rendered
            .lines()
            .filter(|line| {
                line.starts_with("kots_registry_storage_seconds_count") && line.contains("list_repositories")
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }
}

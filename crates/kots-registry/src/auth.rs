//! Who may do what: Docker token authentication in front of every registry request.
//!
//! A client without credentials gets `401` and a `Bearer realm=…,service=…,scope=…` challenge;
//! `GET /token` takes HTTP Basic credentials and the scopes asked for and returns a short-lived
//! signed token granting what the principal may do of that; every request then presents the
//! token (or HTTP Basic directly). Who a principal is and what it may do is the
//! [`AccessPolicy`]'s business (the vendor's users, service accounts and licenses; an htpasswd
//! file); checking it happens in one place, `Registry::authorize` (in `access`), before any
//! handler runs. The policy is asked again on every request, so a revoked license stops at
//! once, not when its token expires. This module holds the vocabulary (actions, principals,
//! the policy trait, options) and the login throttle; `access` applies them to requests.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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

    pub(crate) fn parse_list(text: &str) -> Vec<Action> {
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
    pub(crate) fn check(&self, client: Option<IpAddr>) -> Result<()> {
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
    pub(crate) fn failed(&self, client: Option<IpAddr>, options: &ThrottleOptions) -> Duration {
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

    pub(crate) fn succeeded(&self, client: Option<IpAddr>) {
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

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

    /// Whether the credential behind `principal` is still valid (not revoked, not removed).
    /// Asked on each request that names no repository (`/v2/`, the catalog), where
    /// [`authorize`](AccessPolicy::authorize) is not, so that a token issued before a
    /// revocation stops working on the next request. The default: principals never lapse.
    async fn still_valid(&self, _principal: &Principal) -> Result<bool> {
        Ok(true)
    }

    /// The repository-name prefixes (`app/`) under which `principal` may list every repository
    /// in the catalog, so that the catalog reads only those and never asks about other tenants'
    /// repositories; `None`: every repository (the default, for policies where everyone who
    /// authenticates may pull everything). An empty list: nothing.
    async fn listable_prefixes(&self, _principal: &Principal) -> Result<Option<Vec<String>>> {
        Ok(None)
    }
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

/// How failed logins are slowed and then refused. Failures count per account and address (one
/// client guessing one account's password), per account (guesses spread over addresses), and,
/// much more loosely, per address (one client guessing many accounts' passwords); a success
/// clears only its own account's counts. So a shared address (a NAT, a CI farm) behind which
/// one client guesses does not lock out the others, and a valid login of another account does
/// not forgive the guesses.
#[derive(Debug, Clone)]
pub struct ThrottleOptions {
    /// Failures after which each further one is answered more slowly.
    pub slow_after: u32,
    /// Failures after which the account (from that address, and from everywhere) is refused
    /// with 429 for `backoff`.
    pub block_after: u32,
    /// Failures from one address, over all accounts, after which the address is refused too.
    pub block_address_after: u32,
    pub backoff: Duration,
    /// Failures older than this are forgotten.
    pub window: Duration,
}

impl Default for ThrottleOptions {
    fn default() -> Self {
        ThrottleOptions {
            slow_after: 3,
            block_after: 10,
            block_address_after: 100,
            backoff: Duration::from_secs(60),
            window: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Default)]
struct FailureRecord {
    failures: u32,
    first_failure: Option<Instant>,
    blocked_until: Option<Instant>,
}

/// What failures are counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ThrottleKey {
    AccountFromAddress(String, IpAddr),
    Account(String),
    Address(IpAddr),
}

/// Records beyond this many are pruned of forgotten ones, so that guessing random account
/// names cannot grow the map without bound.
const PRUNE_ABOVE: usize = 10_000;

/// Failed logins per account and address, per account and per address.
#[derive(Debug, Default)]
pub struct Throttle {
    records: Mutex<HashMap<ThrottleKey, FailureRecord>>,
}

/// Accounts are counted case-insensitively: emails are looked up that way.
fn account_key(account: &str) -> String {
    account.to_lowercase()
}

fn keys(client: Option<IpAddr>, account: &str) -> Vec<ThrottleKey> {
    let account = account_key(account);
    let mut keys = vec![ThrottleKey::Account(account.clone())];
    if let Some(client) = client {
        keys.push(ThrottleKey::AccountFromAddress(account, client));
        keys.push(ThrottleKey::Address(client));
    }
    keys
}

impl Throttle {
    /// Refuses with 429 while the account (or the address) is blocked.
    pub(crate) fn check(&self, client: Option<IpAddr>, account: &str) -> Result<()> {
        let mut records = self.records.lock().expect("never poisoned");
        let now = Instant::now();
        for key in keys(client, account) {
            let Some(record) = records.get_mut(&key) else { continue };
            let Some(until) = record.blocked_until else { continue };
            if until > now {
                let seconds = (until - now).as_secs().max(1);
                let whom = match &key {
                    ThrottleKey::Address(address) => format!("from {address}"),
                    _ => format!("for `{account}`"),
                };
                return Err(Error::TooManyRequests {
                    message: format!("too many failed logins {whom}; try again in {seconds} s"),
                    retry_after_seconds: seconds,
                });
            }
            *record = FailureRecord::default();
        }
        Ok(())
    }

    /// Records a failure; returns how long to wait before answering it.
    pub(crate) fn failed(&self, client: Option<IpAddr>, account: &str, options: &ThrottleOptions) -> Duration {
        let now = Instant::now();
        let mut records = self.records.lock().expect("never poisoned");
        if records.len() > PRUNE_ABOVE {
            records.retain(|_, record| {
                record.blocked_until.is_some_and(|until| until > now)
                    || record.first_failure.is_some_and(|first| now - first <= options.window)
            });
        }
        let mut slowest = 0;
        for key in keys(client, account) {
            let record = records.entry(key.clone()).or_default();
            if record.first_failure.is_none_or(|first| now - first > options.window) {
                *record = FailureRecord { failures: 0, first_failure: Some(now), blocked_until: None };
            }
            record.failures += 1;
            let block_after =
                if matches!(key, ThrottleKey::Address(_)) { options.block_address_after } else { options.block_after };
            if record.failures >= block_after {
                record.blocked_until = Some(now + options.backoff);
            }
            if !matches!(key, ThrottleKey::Address(_)) {
                slowest = slowest.max(record.failures);
            }
        }
        tracing::warn!(client = ?client, failures = slowest, "failed login");
        let excess = slowest.saturating_sub(options.slow_after);
        Duration::from_millis(u64::from(excess.min(8)) * 100)
    }

    /// A login of `account` succeeded: its own counts are cleared, nobody else's (the address's
    /// count over all accounts stays).
    pub(crate) fn succeeded(&self, client: Option<IpAddr>, account: &str) {
        let mut records = self.records.lock().expect("never poisoned");
        for key in keys(client, account) {
            if !matches!(key, ThrottleKey::Address(_)) {
                records.remove(&key);
            }
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
        assert_eq!(throttle.failed(client, "alice", &options), Duration::ZERO);
        assert_eq!(throttle.failed(client, "alice", &options), Duration::ZERO);
        assert!(throttle.failed(client, "alice", &options) > Duration::ZERO);
        assert!(throttle.check(client, "alice").is_ok());
        throttle.failed(client, "alice", &options);
        assert_eq!(throttle.check(client, "alice").unwrap_err().code(), "TOOMANYREQUESTS");
        // The account is blocked from everywhere, in any case.
        assert!(throttle.check(Some(IpAddr::from([10, 0, 0, 2])), "ALICE").is_err());
        // Another account is not affected, from the same address or another.
        assert!(throttle.check(client, "bob").is_ok());
        assert!(throttle.check(Some(IpAddr::from([10, 0, 0, 2])), "bob").is_ok());
        std::thread::sleep(Duration::from_millis(60));
        assert!(throttle.check(client, "alice").is_ok());
    }

    /// What broke: a valid login of any account from the same address cleared the address's
    /// failures, so guesses interleaved with a valid login every few tries were never refused.
    #[test]
    fn another_accounts_success_does_not_forgive_guesses() {
        let throttle = Throttle::default();
        let options = ThrottleOptions { slow_after: 3, block_after: 10, ..Default::default() };
        let client = Some(IpAddr::from([10, 0, 0, 1]));
        let mut refused = false;
        for guess in 0..70 {
            if throttle.check(client, "victim@example.com").is_err() {
                refused = true;
                break;
            }
            throttle.failed(client, "victim@example.com", &options);
            if guess % 7 == 6 {
                assert!(throttle.check(client, "licenseid").is_ok(), "the other account is not locked out");
                throttle.succeeded(client, "licenseid");
            }
        }
        assert!(refused, "the attacked account must reach 429");
        assert!(throttle.check(client, "licenseid").is_ok());
        assert!(throttle.check(client, "someone-else@example.com").is_ok());
    }

    #[test]
    fn one_address_guessing_many_accounts_is_refused_eventually() {
        let throttle = Throttle::default();
        let options = ThrottleOptions { block_after: 10, block_address_after: 20, ..Default::default() };
        let client = Some(IpAddr::from([10, 0, 0, 1]));
        for account in 0..20 {
            assert!(throttle.check(client, &format!("user{account}")).is_ok());
            throttle.failed(client, &format!("user{account}"), &options);
        }
        assert!(throttle.check(client, "user99").is_err());
        assert!(throttle.check(Some(IpAddr::from([10, 0, 0, 2])), "user99").is_ok());
    }
}

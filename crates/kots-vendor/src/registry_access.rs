//! Who may use the vendor's registry, and for what. Repositories are `APP_SLUG/IMAGE`: the app
//! slug decides everything.
//! - a user (email + password, or email + user API token) pushes and pulls its team's apps;
//! - a service account (any username + its token) likewise, or only pulls when read-only;
//! - a license (password the license ID, username the ID too or `LICENSE_ID` as KOTS's pull
//!   secrets write it) pulls its own app, while valid.
//!
//! The proxy's repositories `proxy/APP/HOSTENC/PATH` ([`crate::proxy`]) are APP's too: its
//! team and its valid licenses pull them, only from a host APP links (an unlinked host is
//! refused here, before the proxy sends it anything), and nobody pushes.
//!
//! Nothing is anonymous. The registry asks [`VendorAccess::authorize`] on every request, and
//! [`still_valid`](AccessPolicy::still_valid) where no repository is named, so every principal
//! names the credential it logged in with (`user-token:ID`, `service-account:ID`, `user:ID` for
//! a password, `license:ID`) and that credential is looked up each time: revoking a token,
//! removing a user or revoking a license stops registry tokens already issued for it on their
//! next request. Unknown accounts take as long to refuse as wrong passwords, and the catalog
//! lists only the caller's apps ([`listable_prefixes`](AccessPolicy::listable_prefixes)).

use std::sync::OnceLock;

use async_trait::async_trait;
use kots_registry::auth::{AccessPolicy, Action, Decision, Principal};

use crate::customers::license_problem;
use crate::identity::{
    SERVICE_ACCOUNT_TOKEN_PREFIX, USER_TOKEN_PREFIX, hash_password, parse_token, password_matches, random_text,
    secret_matches,
};
use crate::linked::RegistryHost;
use crate::proxy::{PROXY_PREFIX, ProxyName};
use crate::store::{Store, User};

/// The user name KOTS's pull secrets give a license (`LICENSE_ID:<license ID>`).
pub const LICENSE_USER: &str = "LICENSE_ID";

pub struct VendorAccess {
    pub(crate) store: Store,
}

fn registry_error(error: crate::Error) -> kots_registry::Error {
    kots_registry::Error::Internal(error.to_string())
}

/// A hash of a random password with the parameters of real ones: an unknown account (or one
/// without a password) is checked against it, so that refusing it takes as long as refusing a
/// wrong password and the time of the answer does not tell which emails exist.
fn dummy_password_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_text(32)).unwrap_or_default())
}

/// What a principal's subject names: the kind of credential and its ID.
fn credential(principal: &Principal) -> (&str, &str) {
    principal.subject.split_once(':').unwrap_or(("", ""))
}

impl VendorAccess {
    /// The user behind a user principal (by password or by API token), if it is still there.
    async fn user_of(&self, kind: &str, id: &str) -> crate::Result<Option<User>> {
        Ok(match kind {
            "user" => self.store.user_by_id(id).await?,
            "user-token" => self.store.user_by_token(id).await?.map(|(user, _)| user),
            _ => None,
        })
    }

    /// The team a user or service account principal acts for, and whether it may push; `None`
    /// if the credential was revoked or removed.
    async fn team_of(&self, kind: &str, id: &str) -> crate::Result<Option<(String, bool)>> {
        Ok(match kind {
            "user" | "user-token" => self.user_of(kind, id).await?.map(|user| (user.team_id, true)),
            "service-account" => {
                self.store.service_account(id).await?.map(|(account, _)| (account.team_id, !account.read_only))
            }
            _ => None,
        })
    }

    async fn authenticate_inner(&self, username: &str, password: &str) -> crate::Result<Option<Principal>> {
        if let Some((id, secret)) = parse_token(USER_TOKEN_PREFIX, password) {
            let Some((user, stored)) = self.store.user_by_token(id).await? else { return Ok(None) };
            let matches = secret_matches(secret, &stored) && user.email.eq_ignore_ascii_case(username);
            // The token, not the user, so that revoking the token stops what was issued for it.
            return Ok(matches.then(|| Principal { subject: format!("user-token:{id}"), display: user.email }));
        }
        if let Some((id, secret)) = parse_token(SERVICE_ACCOUNT_TOKEN_PREFIX, password) {
            let Some((account, stored)) = self.store.service_account(id).await? else { return Ok(None) };
            return Ok(secret_matches(secret, &stored).then(|| Principal {
                subject: format!("service-account:{}", account.id),
                display: format!("service account {}", account.name),
            }));
        }
        // A license: the license ID as password, and as user either the ID again or
        // `LICENSE_ID`, as KOTS's pull secrets (`LicenseDockerCfg`) log in. Whether it is still
        // valid is decided per request, with a clear message.
        if username == password || username == LICENSE_USER {
            let Some(customer) = self.store.customer_by_license(password).await? else { return Ok(None) };
            return Ok(Some(Principal {
                subject: format!("license:{}", customer.license_id),
                display: format!("license {}", customer.license_id),
            }));
        }
        let (user, hash) = match self.store.user_by_email(username).await? {
            Some((user, Some(hash))) => (Some(user), hash),
            _ => (None, dummy_password_hash().to_owned()),
        };
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || password_matches(&password, &hash))
            .await
            .map_err(crate::Error::internal)?;
        Ok(user.filter(|_| matches).map(|user| Principal { subject: format!("user:{}", user.id), display: user.email }))
    }

    async fn authorize_inner(
        &self,
        principal: &Principal,
        repository: &str,
        action: Action,
    ) -> crate::Result<Decision> {
        if repository.starts_with(PROXY_PREFIX) {
            return self.authorize_proxy(principal, repository, action).await;
        }
        let slug = repository.split('/').next().unwrap_or(repository);
        let app = self.store.app_by_slug(slug).await?;
        let (kind, id) = credential(principal);
        let team_decision = |team_id: &str, may_push: bool| match &app {
            Some(app) if app.team_id == team_id => {
                if action == Action::Pull || may_push {
                    Decision::Allow
                } else {
                    Decision::Deny(format!(
                        "{} is read-only: it may pull `{repository}` but not {} it",
                        principal.display,
                        action.name()
                    ))
                }
            }
            // The same answer whether the app is another team's or does not exist.
            _ => Decision::Deny(format!(
                "your team has no app `{slug}`: images go to REGISTRY/APP_SLUG/IMAGE:TAG under one of your apps \
                 (create it with `kots-vendor app create {slug}`)"
            )),
        };
        Ok(match kind {
            "user" | "user-token" | "service-account" => match self.team_of(kind, id).await? {
                Some((team_id, may_push)) => team_decision(&team_id, may_push),
                None => Decision::Deny(format!(
                    "the credential of {} was revoked or removed; log in again",
                    principal.display
                )),
            },
            "license" => {
                let Some(customer) = self.store.customer_by_license(id).await? else {
                    return Ok(Decision::Deny(format!("{} no longer exists", principal.display)));
                };
                if let Some(problem) = license_problem(&customer) {
                    Decision::Deny(problem)
                } else if app.as_ref().is_none_or(|app| app.id != customer.app_id) {
                    Decision::Deny(format!("license `{id}` may pull only its own app's images, not `{repository}`"))
                } else if action != Action::Pull {
                    Decision::Deny(format!("a license may only pull; it cannot {} `{repository}`", action.name()))
                } else {
                    Decision::Allow
                }
            }
            _ => Decision::Deny("unknown principal".to_owned()),
        })
    }
}

impl VendorAccess {
    /// `proxy/APP/HOSTENC/PATH`: pulled by a valid license of APP or by APP's team, only from a
    /// host APP links; pushed by nobody. Decided here, before the proxy sends anything to the
    /// host, so that an unlinked host is never reached.
    async fn authorize_proxy(
        &self,
        principal: &Principal,
        repository: &str,
        action: Action,
    ) -> crate::Result<Decision> {
        let Some(name) = ProxyName::parse(repository) else {
            return Ok(Decision::Deny(format!(
                "`{repository}` is not a proxy image: write PROXY/proxy/APP/HOST/PATH (a port as HOST_PORT)"
            )));
        };
        let slug = &name.app_slug;
        let app = self.store.app_by_slug(slug).await?;
        let (kind, id) = credential(principal);
        let refusal = match kind {
            "user" | "user-token" | "service-account" => match self.team_of(kind, id).await? {
                None => Some(format!("the credential of {} was revoked or removed; log in again", principal.display)),
                Some((team_id, _)) if app.as_ref().is_some_and(|app| app.team_id == team_id) => None,
                Some(_) => Some(format!("your team has no app `{slug}`, so it cannot pull `{repository}`")),
            },
            "license" => match self.store.customer_by_license(id).await? {
                None => Some(format!("{} no longer exists", principal.display)),
                Some(customer) => match license_problem(&customer) {
                    Some(problem) => Some(problem),
                    None if app.as_ref().is_none_or(|app| app.id != customer.app_id) => {
                        Some(format!("license `{id}` may pull only its own app's images, not `{repository}`"))
                    }
                    None => None,
                },
            },
            _ => Some("unknown principal".to_owned()),
        };
        if let Some(refusal) = refusal {
            return Ok(Decision::Deny(refusal));
        }
        let Some(app) = app else { return Ok(Decision::Deny(format!("there is no app `{slug}`"))) };
        if action != Action::Pull {
            return Ok(Decision::Deny(format!(
                "`{repository}` is a read-only proxy of {}: nobody may {} it; push to {} itself",
                name.upstream(),
                action.name(),
                name.host
            )));
        }
        let linked = match RegistryHost::parse(&name.host) {
            Ok(host) => self.store.linked_registry_info(&app.id, &host.host).await?.is_some(),
            Err(_) => false,
        };
        Ok(if linked {
            Decision::Allow
        } else {
            Decision::Deny(format!(
                "registry {} is not linked to app `{slug}`: its images cannot be pulled through this proxy (the \
                 vendor links it with `kots-vendor registry add --app {slug} --endpoint {}`)",
                name.host, name.host
            ))
        })
    }

    async fn still_valid_inner(&self, principal: &Principal) -> crate::Result<bool> {
        let (kind, id) = credential(principal);
        Ok(match kind {
            "license" => {
                self.store.customer_by_license(id).await?.is_some_and(|customer| license_problem(&customer).is_none())
            }
            _ => self.team_of(kind, id).await?.is_some(),
        })
    }

    /// `APP_SLUG/` of each app the principal may pull: its team's, or a valid license's one.
    async fn listable_prefixes_inner(&self, principal: &Principal) -> crate::Result<Vec<String>> {
        let (kind, id) = credential(principal);
        let slugs = match kind {
            "license" => match self.store.customer_by_license(id).await? {
                Some(customer) if license_problem(&customer).is_none() => {
                    self.store.app_by_id(&customer.app_id).await?.map(|app| app.slug).into_iter().collect()
                }
                _ => Vec::new(),
            },
            _ => match self.team_of(kind, id).await? {
                Some((team_id, _)) => self.store.app_slugs_of_team(&team_id).await?,
                None => Vec::new(),
            },
        };
        Ok(slugs.into_iter().map(|slug| format!("{slug}/")).collect())
    }
}

#[async_trait]
impl AccessPolicy for VendorAccess {
    async fn still_valid(&self, principal: &Principal) -> kots_registry::Result<bool> {
        self.still_valid_inner(principal).await.map_err(registry_error)
    }

    async fn listable_prefixes(&self, principal: &Principal) -> kots_registry::Result<Option<Vec<String>>> {
        self.listable_prefixes_inner(principal).await.map(Some).map_err(registry_error)
    }

    async fn authenticate(&self, username: &str, password: &str) -> kots_registry::Result<Option<Principal>> {
        self.authenticate_inner(username, password).await.map_err(registry_error)
    }

    async fn authorize(
        &self,
        principal: &Principal,
        repository: &str,
        action: Action,
    ) -> kots_registry::Result<Decision> {
        self.authorize_inner(principal, repository, action).await.map_err(registry_error)
    }
}

//! Who may use the vendor's registry, and for what. Repositories are `APP_SLUG/IMAGE`: the app
//! slug decides everything.
//! - a user (email + password, or email + user API token) pushes and pulls its team's apps;
//! - a service account (any username + its token) likewise, or only pulls when read-only;
//! - a license (username and password both the license ID) pulls its own app, while valid.
//!
//! Nothing is anonymous. The registry asks [`VendorAccess::authorize`] on every request.

use async_trait::async_trait;
use kots_registry::auth::{AccessPolicy, Action, Decision, Principal};

use crate::customers::license_problem;
use crate::identity::{SERVICE_ACCOUNT_TOKEN_PREFIX, USER_TOKEN_PREFIX, parse_token, password_matches, secret_matches};
use crate::store::Store;

pub struct VendorAccess {
    pub(crate) store: Store,
}

fn registry_error(error: crate::Error) -> kots_registry::Error {
    kots_registry::Error::Internal(error.to_string())
}

impl VendorAccess {
    async fn authenticate_inner(&self, username: &str, password: &str) -> crate::Result<Option<Principal>> {
        if let Some((id, secret)) = parse_token(USER_TOKEN_PREFIX, password) {
            let Some((user, stored)) = self.store.user_by_token(id).await? else { return Ok(None) };
            let matches = secret_matches(secret, &stored) && user.email.eq_ignore_ascii_case(username);
            return Ok(matches.then(|| Principal { subject: format!("user:{}", user.id), display: user.email }));
        }
        if let Some((id, secret)) = parse_token(SERVICE_ACCOUNT_TOKEN_PREFIX, password) {
            let Some((account, stored)) = self.store.service_account(id).await? else { return Ok(None) };
            return Ok(secret_matches(secret, &stored).then(|| Principal {
                subject: format!("service-account:{}", account.id),
                display: format!("service account {}", account.name),
            }));
        }
        if username == password {
            // A license; whether it is still valid is decided per request, with a clear message.
            let Some(customer) = self.store.customer_by_license(username).await? else { return Ok(None) };
            return Ok(Some(Principal {
                subject: format!("license:{}", customer.license_id),
                display: format!("license {}", customer.license_id),
            }));
        }
        let Some((user, Some(hash))) = self.store.user_by_email(username).await? else { return Ok(None) };
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || password_matches(&password, &hash))
            .await
            .map_err(crate::Error::internal)?;
        Ok(matches.then(|| Principal { subject: format!("user:{}", user.id), display: user.email }))
    }

    async fn authorize_inner(
        &self,
        principal: &Principal,
        repository: &str,
        action: Action,
    ) -> crate::Result<Decision> {
        let slug = repository.split('/').next().unwrap_or(repository);
        let app = self.store.app_by_slug(slug).await?;
        let (kind, id) = principal.subject.split_once(':').unwrap_or(("", ""));
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
            "user" => match self.store.user_by_id(id).await? {
                Some(user) => team_decision(&user.team_id, true),
                None => Decision::Deny(format!("{} no longer exists", principal.display)),
            },
            "service-account" => match self.store.service_account(id).await? {
                Some((account, _)) => team_decision(&account.team_id, !account.read_only),
                None => Decision::Deny(format!("{} no longer exists", principal.display)),
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

#[async_trait]
impl AccessPolicy for VendorAccess {
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

//! The standalone registry's users: htpasswd files (`user:hash` per line, bcrypt or argon2
//! hashes, as `htpasswd -B` writes them), one file for users who may push and one for users who
//! may only pull.

use std::collections::HashMap;
use std::path::Path;

use argon2::PasswordVerifier;
use async_trait::async_trait;

use crate::auth::{AccessPolicy, Action, Decision, Principal};
use crate::error::{Error, Result};

#[derive(Debug)]
struct Account {
    hash: String,
    may_push: bool,
}

#[derive(Debug, Default)]
pub struct HtpasswdPolicy {
    accounts: HashMap<String, Account>,
}

impl HtpasswdPolicy {
    /// Reads the read-write and read-only files; a user in both may push.
    pub fn load(read_write: Option<&Path>, read_only: Option<&Path>) -> Result<HtpasswdPolicy> {
        let mut policy = HtpasswdPolicy::default();
        for (path, may_push) in [(read_only, false), (read_write, true)] {
            let Some(path) = path else { continue };
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::Internal(format!("cannot read htpasswd file `{}`: {e}", path.display())))?;
            for (index, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let bad = |reason: &str| {
                    Error::Internal(format!("htpasswd file `{}`, line {}: {reason}", path.display(), index + 1))
                };
                let (user, hash) = line.split_once(':').ok_or_else(|| bad("expected `user:hash`"))?;
                if !(hash.starts_with("$2") || hash.starts_with("$argon2")) {
                    return Err(bad("only bcrypt (`htpasswd -B`) and argon2 hashes are accepted"));
                }
                policy.accounts.insert(user.to_owned(), Account { hash: hash.to_owned(), may_push });
            }
        }
        if policy.accounts.is_empty() {
            return Err(Error::Internal("the htpasswd files name no users: nobody could log in".to_owned()));
        }
        Ok(policy)
    }

    pub fn users(&self) -> usize {
        self.accounts.len()
    }
}

fn password_matches(password: &str, hash: &str) -> bool {
    if hash.starts_with("$argon2") {
        argon2::Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
    } else {
        bcrypt::verify(password, hash).unwrap_or(false)
    }
}

#[async_trait]
impl AccessPolicy for HtpasswdPolicy {
    async fn authenticate(&self, username: &str, password: &str) -> Result<Option<Principal>> {
        // An unknown user is checked against some user's hash all the same (and refused
        // whatever the result), so that the time of the answer does not tell which users exist.
        let known = self.accounts.get(username);
        let Some(account) = known.or_else(|| self.accounts.values().next()) else { return Ok(None) };
        let (password, hash) = (password.to_owned(), account.hash.clone());
        let matches =
            tokio::task::spawn_blocking(move || password_matches(&password, &hash)).await.map_err(Error::internal)?;
        Ok((matches && known.is_some())
            .then(|| Principal { subject: format!("htpasswd:{username}"), display: username.to_owned() }))
    }

    async fn authorize(&self, principal: &Principal, repository: &str, action: Action) -> Result<Decision> {
        let username = principal.subject.strip_prefix("htpasswd:").unwrap_or_default();
        Ok(match self.accounts.get(username) {
            None => Decision::Deny(format!("user `{}` no longer exists", principal.display)),
            Some(account) if action == Action::Pull || account.may_push => Decision::Allow,
            Some(_) => Decision::Deny(format!(
                "user `{}` may only pull; it cannot {} `{repository}`",
                principal.display,
                action.name()
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What broke: an unknown user was refused at once and a wrong password only after the
    /// hash, which told which users exist. An unknown user is now checked against a real hash,
    /// and refused even when the password matches it.
    #[tokio::test]
    async fn unknown_users_are_hashed_and_refused() {
        let directory = tempfile::tempdir().unwrap();
        let file = directory.path().join("htpasswd");
        std::fs::write(&file, format!("alice:{}\n", bcrypt::hash("wonderland", 4).unwrap())).unwrap();
        let policy = HtpasswdPolicy::load(Some(&file), None).unwrap();
        assert!(policy.authenticate("alice", "wonderland").await.unwrap().is_some());
        assert!(policy.authenticate("alice", "wrong").await.unwrap().is_none());
        assert!(policy.authenticate("mallory", "wonderland").await.unwrap().is_none());
    }
}

//! Secrets: user passwords (argon2) and the API tokens of users and service accounts.
//!
//! A token is `PREFIX_ID_SECRET`: the ID finds its row, only SHA-256 of the high-entropy SECRET
//! is stored, and the comparison is constant-time. The prefix says what kind of token it is, so
//! one pasted in the wrong place is recognised at once.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rand::Rng;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::error::{Error, Result};
use crate::{User, Vendor};

pub const USER_TOKEN_PREFIX: &str = "kotsu";
pub const SERVICE_ACCOUNT_TOKEN_PREFIX: &str = "kotssa";

/// Random text from `[A-Za-z0-9]`, for IDs and secrets.
pub fn random_text(length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..length).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// A new token: the text to give the user once, its ID and the hash to store.
pub struct NewToken {
    pub text: String,
    pub id: String,
    pub secret_sha256: Vec<u8>,
}

pub fn new_token(prefix: &str) -> NewToken {
    let id = random_text(16);
    let secret = random_text(40);
    NewToken { text: format!("{prefix}_{id}_{secret}"), id, secret_sha256: Sha256::digest(secret.as_bytes()).to_vec() }
}

/// Splits `PREFIX_ID_SECRET`; `None` if the text is not a token with this prefix.
pub fn parse_token<'a>(prefix: &str, text: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = text.strip_prefix(prefix)?.strip_prefix('_')?;
    let (id, secret) = rest.split_once('_')?;
    (!id.is_empty() && !secret.is_empty()).then_some((id, secret))
}

pub fn secret_matches(secret: &str, stored_sha256: &[u8]) -> bool {
    Sha256::digest(secret.as_bytes()).as_slice().ct_eq(stored_sha256).into()
}

pub fn hash_password(password: &str) -> Result<String> {
    if password.len() < 8 {
        return Err(Error::Invalid("the password is too short: use at least 8 characters".to_owned()));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| Error::internal(format_args!("cannot hash password: {e}")))
}

pub fn password_matches(password: &str, stored: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), stored).is_ok()
}

/// A team member calling the admin API with a user API token (`Authorization: Bearer TOKEN`).
/// Decided here, once: handlers receive a `Caller` or never run.
#[derive(Debug, Clone)]
pub struct Caller(pub User);

impl FromRequestParts<Arc<Vendor>> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, vendor: &Arc<Vendor>) -> Result<Caller> {
        let missing = || {
            Error::Unauthorized(
                "this API needs a user API token: pass `--token` or set KOTS_VENDOR_TOKEN (create one with \
                 `kots-vendor bootstrap` or `kots-vendor token create`)"
                    .to_owned(),
            )
        };
        let value = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(missing)?;
        let text = value.strip_prefix("Bearer ").ok_or_else(missing)?.trim();
        let invalid =
            || Error::Unauthorized("the API token is not valid (revoked, mistyped or from another server)".to_owned());
        let (id, secret) = parse_token(USER_TOKEN_PREFIX, text).ok_or_else(invalid)?;
        let (user, stored) = vendor.store.user_by_token(id).await?.ok_or_else(invalid)?;
        if !secret_matches(secret, &stored) {
            return Err(invalid());
        }
        Ok(Caller(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_tampering() {
        let token = new_token(USER_TOKEN_PREFIX);
        let (id, secret) = parse_token(USER_TOKEN_PREFIX, &token.text).unwrap();
        assert_eq!(id, token.id);
        assert!(secret_matches(secret, &token.secret_sha256));
        assert!(!secret_matches(&format!("{secret}x"), &token.secret_sha256));
        assert!(parse_token(SERVICE_ACCOUNT_TOKEN_PREFIX, &token.text).is_none());
        assert!(parse_token(USER_TOKEN_PREFIX, "kotsu__x").is_none());
        assert_ne!(new_token(USER_TOKEN_PREFIX).text, token.text);
    }

    #[test]
    fn passwords() {
        let stored = hash_password("correct horse").unwrap();
        assert!(password_matches("correct horse", &stored));
        assert!(!password_matches("wrong horse", &stored));
        assert!(hash_password("short").is_err());
    }
}

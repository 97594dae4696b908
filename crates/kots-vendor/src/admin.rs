//! The vendor's admin API (JSON under `/api/v1/`, user API token as `Bearer`). Handlers only
//! translate: what they do is in [`crate::apps`], [`crate::releases`], [`crate::customers`].

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::customers::{CustomerChange, IssuedLicense};
use crate::error::Result;
use crate::identity::{Caller, SERVICE_ACCOUNT_TOKEN_PREFIX, USER_TOKEN_PREFIX, new_token};
use crate::linked::{LinkedRegistryInfo, NewLinkedRegistry};
use crate::releases::{CreatedRelease, NewRelease, PromoteRequest, Promotion};
use crate::{Error, Vendor};

#[derive(Debug, Deserialize, Serialize)]
pub struct NewApp {
    pub slug: String,
    pub name: Option<String>,
}

pub(crate) async fn create_app(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Json(new): Json<NewApp>,
) -> Result<Json<Value>> {
    let (app, channels) = vendor.create_app(&user, &new.slug, new.name.as_deref()).await?;
    Ok(Json(json!({ "slug": app.slug, "name": app.name, "channels": channels })))
}

pub(crate) async fn list_apps(State(vendor): State<Arc<Vendor>>, Caller(user): Caller) -> Result<Json<Value>> {
    let apps = vendor.store.apps_of_team(&user.team_id).await?;
    Ok(Json(json!({ "apps": apps.iter().map(|app| json!({"slug": app.slug, "name": app.name})).collect::<Vec<_>>() })))
}

#[derive(Debug, Deserialize, Serialize)]
pub struct NewChannel {
    pub name: String,
}

pub(crate) async fn create_channel(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Path(app): Path<String>,
    Json(new): Json<NewChannel>,
) -> Result<Json<Value>> {
    let channel = vendor.add_channel(&user, &app, &new.name).await?;
    Ok(Json(json!(channel)))
}

pub(crate) async fn create_release(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Path(app): Path<String>,
    Json(new): Json<NewRelease>,
) -> Result<Json<CreatedRelease>> {
    Ok(Json(vendor.create_release(&user, &app, new).await?))
}

pub(crate) async fn promote(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Path((app, sequence)): Path<(String, i64)>,
    Json(request): Json<PromoteRequest>,
) -> Result<Json<Promotion>> {
    Ok(Json(vendor.promote_release(&user, &app, sequence, request).await?))
}

pub(crate) async fn create_customer(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Path(app): Path<String>,
    Json(change): Json<CustomerChange>,
) -> Result<Json<IssuedLicense>> {
    Ok(Json(vendor.create_customer(&user, &app, change).await?))
}

pub(crate) async fn update_customer(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Path((app, license_id)): Path<(String, String)>,
    Json(change): Json<CustomerChange>,
) -> Result<Json<IssuedLicense>> {
    Ok(Json(vendor.update_customer(&user, &app, &license_id, change).await?))
}

pub(crate) async fn revoke_customer(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Path((app, license_id)): Path<(String, String)>,
) -> Result<Json<Value>> {
    vendor.revoke_customer(&user, &app, &license_id).await?;
    Ok(Json(json!({ "licenseId": license_id, "revoked": true })))
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewToken {
    pub name: Option<String>,
    #[serde(default)]
    pub read_only: bool,
}

pub(crate) async fn create_token(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Json(request): Json<NewToken>,
) -> Result<Json<Value>> {
    let token = new_token(USER_TOKEN_PREFIX);
    let name = request.name.unwrap_or_else(|| "api".to_owned());
    vendor.store.add_user_token(&token.id, &user.id, &name, &token.secret_sha256).await?;
    Ok(Json(json!({ "id": token.id, "name": name, "token": token.text })))
}

pub(crate) async fn create_service_account(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Json(request): Json<NewToken>,
) -> Result<Json<Value>> {
    let name = request
        .name
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| crate::Error::Invalid("a service account needs a name (`--name`)".to_owned()))?;
    let token = new_token(SERVICE_ACCOUNT_TOKEN_PREFIX);
    vendor.store.add_service_account(&token.id, &user.team_id, &name, request.read_only, &token.secret_sha256).await?;
    Ok(Json(json!({ "id": token.id, "name": name, "readOnly": request.read_only, "token": token.text })))
}

/// The caller's own API tokens (IDs and names, never secrets).
pub(crate) async fn list_tokens(State(vendor): State<Arc<Vendor>>, Caller(user): Caller) -> Result<Json<Value>> {
    Ok(Json(json!({ "tokens": vendor.store.user_tokens(&user.id).await? })))
}

/// Revokes one of the caller's tokens: the admin API and the registry refuse it, and registry
/// tokens issued for it, from the next request.
pub(crate) async fn revoke_token(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    if !vendor.store.revoke_user_token(&user.id, &id).await? {
        return Err(Error::NotFound(format!("you have no token `{id}`; `kots-vendor token ls` lists yours")));
    }
    Ok(Json(json!({ "id": id, "revoked": true })))
}

pub(crate) async fn list_service_accounts(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
) -> Result<Json<Value>> {
    Ok(Json(json!({ "serviceAccounts": vendor.store.service_accounts_of_team(&user.team_id).await? })))
}

/// Revokes a service account of the caller's team, from the next request on.
pub(crate) async fn revoke_service_account(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    if !vendor.store.revoke_service_account(&user.team_id, &id).await? {
        return Err(Error::NotFound(format!(
            "your team has no service account `{id}`; `kots-vendor service-account ls` lists them"
        )));
    }
    Ok(Json(json!({ "id": id, "revoked": true })))
}

pub(crate) async fn list_members(State(vendor): State<Arc<Vendor>>, Caller(user): Caller) -> Result<Json<Value>> {
    let members = vendor.store.users_of_team(&user.team_id).await?;
    let members: Vec<Value> =
        members.iter().map(|member| json!({ "email": member.email, "admin": member.is_admin })).collect();
    Ok(Json(json!({ "members": members })))
}

#[derive(Debug, Deserialize, Serialize)]
pub struct NewMember {
    pub email: String,
    pub password: Option<String>,
}

/// A new member of the caller's team; its first API token is returned once.
pub(crate) async fn add_member(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Json(new): Json<NewMember>,
) -> Result<Json<Value>> {
    let token = crate::add_member(&vendor.store, &user.team_id, &new.email, new.password.as_deref()).await?;
    Ok(Json(json!({ "email": new.email, "token": token })))
}

/// Removes a member of the caller's team, with its tokens; its logins stop on the next request.
pub(crate) async fn remove_member(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Path(email): Path<String>,
) -> Result<Json<Value>> {
    let not_found =
        || Error::NotFound(format!("your team has no member `{email}`; `kots-vendor team member ls` lists them"));
    let (member, _) = vendor.store.user_by_email(&email).await?.ok_or_else(not_found)?;
    if member.team_id != user.team_id {
        return Err(not_found());
    }
    if member.id == user.id {
        return Err(Error::Invalid("you cannot remove yourself; another member of your team can".to_owned()));
    }
    if member.is_admin {
        return Err(Error::Forbidden(format!(
            "`{email}` is the server's administrator (the bootstrap user), who alone creates teams; it stays"
        )));
    }
    if !vendor.store.remove_user(&user.team_id, &member.id).await? {
        return Err(not_found());
    }
    Ok(Json(json!({ "email": member.email, "removed": true })))
}

/// Links a registry of the vendor's to the app (credentials checked against it first, unless
/// `noCheck`); answers the link as listed, never the password.
pub(crate) async fn link_registry(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Path(app): Path<String>,
    Json(request): Json<NewLinkedRegistry>,
) -> Result<Json<LinkedRegistryInfo>> {
    Ok(Json(vendor.link_registry(&user, &app, request).await?))
}

pub(crate) async fn list_linked_registries(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Path(app): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(json!({ "registries": vendor.linked_registries_of(&user, &app).await? })))
}

pub(crate) async fn unlink_registry(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Path((app, host)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let host = vendor.unlink_registry(&user, &app, &host).await?;
    Ok(Json(json!({ "host": host, "removed": true })))
}

/// Public: the key customers must trust to verify this vendor's licenses.
pub(crate) async fn global_key(State(vendor): State<Arc<Vendor>>) -> Result<Json<Value>> {
    Ok(Json(json!({ "keyId": vendor.global_key.id(), "publicKeyPem": vendor.global_key.public_key_pem()? })))
}

#[derive(Debug, Deserialize, Serialize)]
pub struct NewTeam {
    pub name: Option<String>,
    pub email: String,
    pub password: Option<String>,
}

/// Another vendor on this server: a team and its first user, whose token is returned once. Only
/// the server's administrator (the bootstrap user) creates teams.
pub(crate) async fn create_team(
    State(vendor): State<Arc<Vendor>>,
    Caller(user): Caller,
    Json(new): Json<NewTeam>,
) -> Result<Json<Value>> {
    if !user.is_admin {
        return Err(Error::Forbidden(
            "only the server's administrator (the user made by `kots-vendor bootstrap`) creates teams".to_owned(),
        ));
    }
    let token =
        crate::create_team(&vendor.store, new.name.as_deref(), &new.email, new.password.as_deref(), false).await?;
    Ok(Json(json!({ "email": new.email, "token": token })))
}

//! The vendor's admin API (JSON under `/api/v1/`, user API token as `Bearer`). Handlers only
//! translate: what they do is in [`crate::apps`], [`crate::releases`], [`crate::customers`].

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Vendor;
use crate::customers::{CustomerChange, IssuedLicense};
use crate::error::Result;
use crate::identity::{Caller, SERVICE_ACCOUNT_TOKEN_PREFIX, USER_TOKEN_PREFIX, new_token};
use crate::releases::{CreatedRelease, NewRelease, PromoteRequest, Promotion};

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
    Ok(Json(json!({ "name": name, "token": token.text })))
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
    Ok(Json(json!({ "name": name, "readOnly": request.read_only, "token": token.text })))
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

/// Another vendor on this server: a team and its first user, whose token is returned once.
pub(crate) async fn create_team(
    State(vendor): State<Arc<Vendor>>,
    Caller(_): Caller,
    Json(new): Json<NewTeam>,
) -> Result<Json<Value>> {
    let token = crate::create_team(&vendor.store, new.name.as_deref(), &new.email, new.password.as_deref()).await?;
    Ok(Json(json!({ "email": new.email, "token": token })))
}

//! The API `replicated://APP` speaks (KOTS's wire format): every call authenticates with HTTP
//! Basic, username and password both the license ID.
//! - `GET /release/APP[/CHANNEL]?channelSequence=N` — the release files as a gzip tar, its
//!   metadata in `X-Replicated-*` headers
//!   (`ReplicatedRegistryDomain`, `ProxyRegistryDomain`) and the app's linked registries in
//!   [`LINKED_REGISTRIES_HEADER`];
//! - `GET /release/APP/pending?channelSequence=N` — promotions after N;
//! - `GET /license/APP` — the customer's current signed license.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use crate::Vendor;
use crate::error::{Error, Result};
use crate::store::{App, Channel, ChannelRelease, Customer, rfc3339};

/// The release answer's list of the app's linked registry hosts, comma-separated, normalised
/// (`quay.io,127.0.0.1:5001`): `pull` sends images on them through the proxy.
pub const LINKED_REGISTRIES_HEADER: &str = "x-kots-linked-registries";

/// A customer, identified by the license ID in HTTP Basic, whose license is valid now.
#[derive(Debug, Clone)]
pub struct Licensee(pub Customer);

impl FromRequestParts<Arc<Vendor>> for Licensee {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, vendor: &Arc<Vendor>) -> Result<Licensee> {
        let missing = || {
            Error::Unauthorized("authenticate with HTTP Basic, username and password both the license ID".to_owned())
        };
        let value = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(missing)?;
        let encoded = value.strip_prefix("Basic ").ok_or_else(missing)?;
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| missing())?;
        let decoded = String::from_utf8(decoded).map_err(|_| missing())?;
        let (username, password) = decoded.split_once(':').ok_or_else(missing)?;
        if username != password {
            return Err(missing());
        }
        let customer = vendor
            .store
            .customer_by_license(username)
            .await?
            .ok_or_else(|| Error::Unauthorized(format!("license `{username}` is not known to this server")))?;
        if let Some(problem) = crate::customers::license_problem(&customer) {
            return Err(Error::Forbidden(problem));
        }
        Ok(Licensee(customer))
    }
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

impl Vendor {
    /// The licensed app, checked against the app in the URL.
    pub(crate) async fn licensed_app(&self, customer: &Customer, app_slug: &str) -> Result<App> {
        let app = self.store.app_by_slug(app_slug).await?.filter(|app| app.id == customer.app_id).ok_or_else(|| {
            Error::Forbidden(format!("license `{}` is not for app `{app_slug}`", customer.license_id))
        })?;
        Ok(app)
    }

    /// The channel the customer asks for (slug, ID or name; default: the license's default
    /// channel), which its license must hold.
    async fn licensed_channel(&self, app: &App, customer: &Customer, wanted: Option<&str>) -> Result<Channel> {
        let channels = self.store.channels(&app.id).await?;
        let held: Vec<&Channel> =
            customer.channel_ids.iter().filter_map(|id| channels.iter().find(|channel| &channel.id == id)).collect();
        let Some(wanted) = wanted else {
            return held
                .first()
                .map(|channel| (*channel).clone())
                .ok_or_else(|| Error::internal("license without channels"));
        };
        held.iter()
            .find(|channel| channel.slug == wanted || channel.id == wanted || channel.name.eq_ignore_ascii_case(wanted))
            .map(|channel| (*channel).clone())
            .ok_or_else(|| {
                let names: Vec<&str> = held.iter().map(|channel| channel.slug.as_str()).collect();
                Error::Forbidden(format!(
                    "license `{}` does not include channel `{wanted}`; it holds: {}",
                    customer.license_id,
                    names.join(", ")
                ))
            })
    }
}

impl Vendor {
    /// The release the customer asks for: on `channel` (or `selectedChannelId`, or the
    /// license's default), at `channelSequence` (or the newest).
    pub(crate) async fn promoted_release(
        &self,
        app: &App,
        customer: &Customer,
        channel: Option<&str>,
        query: &HashMap<String, String>,
    ) -> Result<(Channel, ChannelRelease, crate::store::Release)> {
        let wanted = channel.or(query.get("selectedChannelId").map(String::as_str).filter(|id| !id.is_empty()));
        let channel = self.licensed_channel(app, customer, wanted).await?;
        let sequence = channel_sequence(query)?;
        let app_slug = &app.slug;
        let promotion = self.store.channel_release(&channel.id, sequence).await?.ok_or_else(|| {
            Error::NotFound(match sequence {
                Some(sequence) => {
                    format!("channel `{}` of app `{app_slug}` has no channel sequence {sequence}", channel.slug)
                }
                None => format!("no release has been promoted to channel `{}` of app `{app_slug}` yet", channel.slug),
            })
        })?;
        let release = self.store.release(&app.id, promotion.release_sequence).await?.ok_or_else(|| {
            Error::internal(format_args!("promotion points at missing release {}", promotion.release_sequence))
        })?;
        Ok((channel, promotion, release))
    }
}

fn channel_sequence(query: &HashMap<String, String>) -> Result<Option<i64>> {
    query
        .get("channelSequence")
        .filter(|text| !text.is_empty())
        .map(|text| {
            text.parse::<i64>().map_err(|_| Error::Invalid(format!("channelSequence `{text}` is not a number")))
        })
        .transpose()
}

pub(crate) async fn release_default(
    State(vendor): State<Arc<Vendor>>,
    Licensee(customer): Licensee,
    Path(app_slug): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    release(vendor, customer, app_slug, None, query).await
}

pub(crate) async fn release_on_channel(
    State(vendor): State<Arc<Vendor>>,
    Licensee(customer): Licensee,
    Path((app_slug, channel)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    release(vendor, customer, app_slug, Some(channel), query).await
}

async fn release(
    vendor: Arc<Vendor>,
    customer: Customer,
    app_slug: String,
    channel: Option<String>,
    query: HashMap<String, String>,
) -> Result<Response> {
    let app = vendor.licensed_app(&customer, &app_slug).await?;
    let (channel, promotion, release) = vendor.promoted_release(&app, &customer, channel.as_deref(), &query).await?;

    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/gzip"));
    headers.insert("x-replicated-channelsequence", header_value(&promotion.channel_sequence.to_string()));
    headers.insert("x-replicated-releasesequence", header_value(&promotion.release_sequence.to_string()));
    headers.insert("x-replicated-channelid", header_value(&channel.id));
    headers.insert("x-replicated-channelname", header_value(&channel.name));
    headers.insert("x-replicated-versionlabel", header_value(&promotion.version_label));
    headers.insert("x-replicated-isrequired", header_value(&promotion.is_required.to_string()));
    headers.insert("x-replicated-releasedat", header_value(&rfc3339(promotion.created_at)));
    headers.insert("x-replicated-replicatedregistrydomain", header_value(vendor.registry_domain()));
    headers.insert("x-replicated-proxyregistrydomain", header_value(vendor.proxy_domain()));
    // Which images are private: those on these hosts are pulled through the proxy. Always sent
    // (empty when none), so that a client tells "no links" from a server that predates them.
    let linked: Vec<String> =
        vendor.store.linked_registry_infos(&app.id).await?.into_iter().map(|link| link.host).collect();
    headers.insert(LINKED_REGISTRIES_HEADER, header_value(&linked.join(",")));
    Ok((headers, release.archive).into_response())
}

pub(crate) async fn pending(
    State(vendor): State<Arc<Vendor>>,
    Licensee(customer): Licensee,
    Path(app_slug): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let app = vendor.licensed_app(&customer, &app_slug).await?;
    let wanted = query.get("selectedChannelId").map(String::as_str).filter(|id| !id.is_empty());
    let channel = vendor.licensed_channel(&app, &customer, wanted).await?;
    let after = channel_sequence(&query)?.unwrap_or(0);
    let releases: Vec<serde_json::Value> = vendor
        .store
        .channel_releases_after(&channel.id, after)
        .await?
        .iter()
        .map(|release: &ChannelRelease| {
            json!({
                "channelSequence": release.channel_sequence,
                "releaseSequence": release.release_sequence,
                "versionLabel": release.version_label,
                "isRequired": release.is_required,
                "createdAt": rfc3339(release.created_at),
                "releaseNotes": release.notes,
            })
        })
        .collect();
    let mut headers = HeaderMap::new();
    headers.insert("x-replicated-updatecheckat", header_value(&jiff::Timestamp::now().to_string()));
    Ok((headers, axum::Json(json!({ "channelReleases": releases }))).into_response())
}

pub(crate) async fn license(
    State(vendor): State<Arc<Vendor>>,
    Licensee(customer): Licensee,
    Path(app_slug): Path<String>,
) -> Result<Response> {
    vendor.licensed_app(&customer, &app_slug).await?;
    Ok(([(header::CONTENT_TYPE, "application/yaml")], customer.license_yaml).into_response())
}

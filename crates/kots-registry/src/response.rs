//! The registry's edge, outbound: every answer's status, headers and body, in one place. The
//! concept modules return domain values ([`UploadOutcome`], [`BlobOutcome`],
//! [`ManifestOutcome`], listings, [`Referrers`]) and errors; this module is all that turns them
//! into HTTP, including the spec's `{"errors":[…]}` body for every [`Error`].

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kots_oci::{Digest, ErrorBody, media_type};
use serde_json::json;

use crate::blobs::{BlobContent, BlobOutcome};
use crate::error::Error;
use crate::manifests::{ManifestOutcome, PushedManifest, ServedManifest};
use crate::referrers::Referrers;
use crate::tags::{Catalog, NextPage, TagList};
use crate::upload::{StoredBlob, UploadOutcome, UploadState};

/// `Range: 0-END` as Docker and OCI clients expect it (`0-0` for an empty upload).
fn range_header(size: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("0-{}", size.saturating_sub(1))).expect("digits are a valid header")
}

fn digest_header(digest: &Digest) -> HeaderValue {
    HeaderValue::from_str(&digest.to_string()).expect("digests are valid headers")
}

fn etag(digest: &Digest) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{digest}\"")).expect("digests are valid headers")
}

/// Inserts `Location` if the value can be a header (names and digests always can).
fn insert_location(headers: &mut HeaderMap, location: &str) {
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
}

/// `202 Accepted` and the like for a bodiless answer, with `Content-Length: 0`.
fn empty(status: StatusCode) -> Response {
    (status, [(header::CONTENT_LENGTH, "0")]).into_response()
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = ErrorBody::one(self.code(), self.to_string(), self.detail());
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        match &self {
            Error::UploadRangeInvalid { location, size, .. } => {
                insert_location(&mut headers, location);
                headers.insert(header::RANGE, range_header(*size));
            }
            Error::Unauthorized { challenge, .. } | Error::Denied { challenge: Some(challenge), .. } => {
                if let Ok(value) = HeaderValue::from_str(challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Error::TooManyRequests { retry_after_seconds, .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_seconds));
            }
            Error::RangeNotSatisfiable(_, size) => {
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    headers.insert(header::CONTENT_RANGE, value);
                }
            }
            _ => {}
        }
        let body = serde_json::to_string(&body).expect("error bodies serialise");
        (status, headers, body).into_response()
    }
}

fn session(status: StatusCode, state: &UploadState) -> Response {
    let mut headers = HeaderMap::new();
    insert_location(&mut headers, &state.location());
    headers.insert(header::RANGE, range_header(state.size));
    headers.insert("docker-upload-uuid", HeaderValue::from_str(&state.session).expect("uuids are valid headers"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    (status, headers).into_response()
}

fn blob_created(blob: &StoredBlob) -> Response {
    let mut headers = HeaderMap::new();
    insert_location(&mut headers, &blob.location());
    headers.insert("docker-content-digest", digest_header(&blob.digest));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    (StatusCode::CREATED, headers).into_response()
}

impl IntoResponse for UploadOutcome {
    fn into_response(self) -> Response {
        match self {
            UploadOutcome::InProgress(state) => session(StatusCode::ACCEPTED, &state),
            UploadOutcome::Status(state) => session(StatusCode::NO_CONTENT, &state),
            UploadOutcome::Cancelled => StatusCode::NO_CONTENT.into_response(),
            UploadOutcome::Stored(blob) => blob_created(&blob),
        }
    }
}

fn blob_content(content: BlobContent) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert("docker-content-digest", digest_header(&content.digest));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::ETAG, etag(&content.digest));
    let status = match content.range {
        None => StatusCode::OK,
        Some((first, last)) => {
            let content_range = format!("bytes {first}-{last}/{}", content.size);
            headers.insert(header::CONTENT_RANGE, HeaderValue::from_str(&content_range).expect("digits are valid"));
            StatusCode::PARTIAL_CONTENT
        }
    };
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(content.length()));
    let mut response = match content.body {
        None => (status, headers).into_response(),
        Some(body) => (status, headers, Body::from_stream(body)).into_response(),
    };
    if let Some(file) = content.file {
        response.extensions_mut().insert(file);
    }
    response
}

fn blob_redirect(digest: &Digest, url: &str) -> Response {
    let Ok(location) = HeaderValue::from_str(url) else {
        return Error::internal("the object store signed an URL that is not a header value").into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert("docker-content-digest", digest_header(digest));
    headers.insert(header::LOCATION, location);
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::ETAG, etag(digest));
    (StatusCode::TEMPORARY_REDIRECT, headers).into_response()
}

impl IntoResponse for BlobOutcome {
    fn into_response(self) -> Response {
        match self {
            BlobOutcome::Content(content) => blob_content(content),
            BlobOutcome::Redirect { digest, url } => blob_redirect(&digest, &url),
            BlobOutcome::Deleted => empty(StatusCode::ACCEPTED),
        }
    }
}

fn manifest_found(manifest: ServedManifest) -> Response {
    let Ok(content_type) = HeaderValue::from_str(&manifest.media_type) else {
        return Error::internal("stored media type is not a header").into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert("docker-content-digest", digest_header(&manifest.digest));
    headers.insert(header::ETAG, etag(&manifest.digest));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(manifest.size));
    match manifest.content {
        None => (StatusCode::OK, headers).into_response(),
        Some(content) => (StatusCode::OK, headers, content).into_response(),
    }
}

fn manifest_pushed(pushed: &PushedManifest) -> Response {
    let mut headers = HeaderMap::new();
    insert_location(&mut headers, &pushed.location());
    headers.insert("docker-content-digest", digest_header(&pushed.digest));
    if let Some(subject) = &pushed.subject {
        headers.insert("oci-subject", digest_header(subject));
    }
    for tag in &pushed.tags {
        // Tags are checked against the grammar (`[A-Za-z0-9_][A-Za-z0-9._-]*`): valid headers.
        if let Ok(value) = HeaderValue::from_str(tag) {
            headers.append("oci-tag", value);
        }
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    (StatusCode::CREATED, headers).into_response()
}

impl IntoResponse for ManifestOutcome {
    fn into_response(self) -> Response {
        match self {
            ManifestOutcome::Found(manifest) => manifest_found(manifest),
            ManifestOutcome::Pushed(pushed) => manifest_pushed(&pushed),
            ManifestOutcome::Deleted => empty(StatusCode::ACCEPTED),
        }
    }
}

/// A JSON list, with a `Link` to the next page when there is one.
fn listing(body: serde_json::Value, link_base: &str, next: Option<NextPage>) -> Response {
    let mut response = Json(body).into_response();
    if let Some(NextPage { limit, last }) = next {
        let link = format!("<{link_base}?n={limit}&last={last}>; rel=\"next\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

impl IntoResponse for TagList {
    fn into_response(self) -> Response {
        let link_base = format!("/v2/{}/tags/list", self.repository);
        listing(json!({ "name": self.repository, "tags": self.tags }), &link_base, self.next)
    }
}

impl IntoResponse for Catalog {
    fn into_response(self) -> Response {
        listing(json!({ "repositories": self.repositories }), "/v2/_catalog", self.next)
    }
}

impl IntoResponse for Referrers {
    fn into_response(self) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type::OCI_INDEX));
        if self.filtered {
            headers.insert("oci-filters-applied", HeaderValue::from_static("artifactType"));
        }
        let body = json!({
            "schemaVersion": 2,
            "mediaType": media_type::OCI_INDEX,
            "manifests": self.descriptors,
        });
        (StatusCode::OK, headers, body.to_string()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_header_is_inclusive() {
        assert_eq!(range_header(0), "0-0");
        assert_eq!(range_header(1), "0-0");
        assert_eq!(range_header(1024), "0-1023");
    }
}

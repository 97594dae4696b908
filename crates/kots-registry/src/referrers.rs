//! `GET /v2/NAME/referrers/DIGEST`: the manifests whose `subject` is DIGEST, as an OCI index,
//! optionally filtered by `artifactType` (and then saying so in `OCI-Filters-Applied`).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kots_oci::{Digest, media_type};
use serde_json::json;

use crate::Registry;
use crate::error::Result;
use crate::server::Incoming;

impl Registry {
    pub(crate) async fn referrers(&self, name: &str, digest: &Digest, incoming: Incoming) -> Result<Response> {
        let mut descriptors = self.metadata.referrers(name, digest).await?;
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type::OCI_INDEX));
        if let Some(wanted) = incoming.query.get("artifactType") {
            descriptors.retain(|descriptor| descriptor.artifact_type.as_deref() == Some(wanted.as_str()));
            headers.insert("oci-filters-applied", HeaderValue::from_static("artifactType"));
        }
        let body = json!({
            "schemaVersion": 2,
            "mediaType": media_type::OCI_INDEX,
            "manifests": descriptors,
        });
        Ok((StatusCode::OK, headers, body.to_string()).into_response())
    }
}

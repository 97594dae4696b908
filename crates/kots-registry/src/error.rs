//! The registry's one error type. Each variant is one OCI error code with its HTTP status, and
//! [`Error::into_response`] renders the spec's `{"errors":[{code,message,detail}]}` body, so no
//! handler builds an error response of its own.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kots_oci::Digest;
use serde_json::json;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("blob {0} is not in this repository")]
    BlobUnknown(Digest),
    #[error("{0}")]
    BlobUploadInvalid(String),
    /// A chunk that does not start where the upload ends; the client should resume from `size`.
    #[error("{message}")]
    UploadRangeInvalid { message: String, location: String, size: u64 },
    #[error("upload session `{0}` is unknown: it finished, was cancelled or expired; start a new upload")]
    BlobUploadUnknown(String),
    #[error("{message}")]
    DigestInvalid { message: String, expected: Option<String>, actual: Option<String> },
    #[error("the manifest references {kind} {digest}, which is not in repository `{repository}`; push it first")]
    ManifestBlobUnknown { kind: &'static str, digest: Digest, repository: String },
    #[error("{0}")]
    ManifestInvalid(String),
    #[error("{0}")]
    ManifestTooLarge(String),
    #[error("{0}")]
    UnsupportedManifestType(String),
    #[error("{0}")]
    ManifestUnknown(String),
    #[error("invalid repository name `{name}`: {reason}")]
    NameInvalid { name: String, reason: String },
    #[error("repository `{0}` is not known to this registry")]
    NameUnknown(String),
    #[error("{0}")]
    SizeInvalid(String),
    #[error("{0}")]
    RangeNotSatisfiable(String, u64),
    #[error("{0}")]
    PaginationInvalid(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    NotFound(String),
    /// No credentials, or credentials that do not authenticate: the client should get a token
    /// at the realm the challenge names and retry.
    #[error("{message}")]
    Unauthorized { message: String, challenge: String },
    /// Authenticated, but this principal (or its token) may not do this. The challenge, when
    /// present, lets a client whose token was too narrow ask for a new one.
    #[error("{message}")]
    Denied { message: String, challenge: Option<String> },
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_seconds: u64 },
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BlobUnknown(_)
            | Error::BlobUploadUnknown(_)
            | Error::ManifestUnknown(_)
            | Error::NameUnknown(_)
            | Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::BlobUploadInvalid(_)
            | Error::DigestInvalid { .. }
            | Error::ManifestBlobUnknown { .. }
            | Error::ManifestInvalid(_)
            | Error::NameInvalid { .. }
            | Error::SizeInvalid(_)
            | Error::PaginationInvalid(_) => StatusCode::BAD_REQUEST,
            Error::UploadRangeInvalid { .. } | Error::RangeNotSatisfiable(..) => StatusCode::RANGE_NOT_SATISFIABLE,
            Error::ManifestTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedManifestType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Error::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Error::Denied { .. } => StatusCode::FORBIDDEN,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The OCI error code (`BLOB_UNKNOWN`, …); Distribution's own where OCI names none.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BlobUnknown(_) => "BLOB_UNKNOWN",
            Error::BlobUploadInvalid(_) | Error::UploadRangeInvalid { .. } => "BLOB_UPLOAD_INVALID",
            Error::BlobUploadUnknown(_) => "BLOB_UPLOAD_UNKNOWN",
            Error::DigestInvalid { .. } => "DIGEST_INVALID",
            Error::ManifestBlobUnknown { .. } => "MANIFEST_BLOB_UNKNOWN",
            Error::ManifestInvalid(_) | Error::ManifestTooLarge(_) | Error::UnsupportedManifestType(_) => {
                "MANIFEST_INVALID"
            }
            Error::ManifestUnknown(_) => "MANIFEST_UNKNOWN",
            Error::NameInvalid { .. } => "NAME_INVALID",
            Error::NameUnknown(_) => "NAME_UNKNOWN",
            Error::SizeInvalid(_) | Error::RangeNotSatisfiable(..) => "SIZE_INVALID",
            Error::PaginationInvalid(_) => "PAGINATION_NUMBER_INVALID",
            Error::MethodNotAllowed(_) | Error::NotFound(_) => "UNSUPPORTED",
            Error::Unauthorized { .. } => "UNAUTHORIZED",
            Error::Denied { .. } => "DENIED",
            Error::TooManyRequests { .. } => "TOOMANYREQUESTS",
            Error::Internal(_) => "UNKNOWN",
        }
    }

    fn detail(&self) -> serde_json::Value {
        match self {
            Error::BlobUnknown(digest) => json!({ "digest": digest }),
            Error::DigestInvalid { expected, actual, .. } => json!({ "expected": expected, "actual": actual }),
            Error::ManifestBlobUnknown { digest, .. } => json!({ "digest": digest }),
            Error::UploadRangeInvalid { size, .. } => json!({ "size": size }),
            Error::NameInvalid { name, .. } => json!({ "name": name }),
            Error::NameUnknown(name) => json!({ "name": name }),
            _ => serde_json::Value::Null,
        }
    }

    pub(crate) fn internal(context: impl std::fmt::Display) -> Error {
        Error::Internal(format!("internal error: {context}"))
    }
}

impl From<kots_oci::Error> for Error {
    fn from(error: kots_oci::Error) -> Self {
        use kots_oci::Error as Oci;
        match error {
            Oci::InvalidDigest { .. } => {
                Error::DigestInvalid { message: error.to_string(), expected: None, actual: None }
            }
            Oci::DigestMismatch { ref expected, ref actual } => Error::DigestInvalid {
                message: error.to_string(),
                expected: Some(expected.clone()),
                actual: Some(actual.clone()),
            },
            Oci::UnsupportedMediaType(_) => Error::UnsupportedManifestType(error.to_string()),
            Oci::SchemaOneManifest(_) | Oci::InvalidManifest(_) => Error::ManifestInvalid(error.to_string()),
            other => Error::internal(other),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Error::internal(format_args!("metadata store: {error}"))
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = json!({
            "errors": [{ "code": self.code(), "message": self.to_string(), "detail": self.detail() }]
        });
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        match &self {
            Error::UploadRangeInvalid { location, size, .. } => {
                if let Ok(value) = HeaderValue::from_str(location) {
                    headers.insert(header::LOCATION, value);
                }
                headers.insert(header::RANGE, crate::upload::range_header(*size));
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
        (status, headers, body.to_string()).into_response()
    }
}

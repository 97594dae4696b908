//! The registry's one error type. Each variant is one OCI error code ([`ErrorCode`]) with its
//! HTTP status and detail; the server renders it (the spec's `{"errors":[{code,message,detail}]}`
//! body, in `response`), so no handler builds an error response of its own. Store failures
//! arrive as [`StorageError`] and become OCI errors here, in one place.
//!
//! This module sits at the bottom of the crate: it depends on `kots-oci` and the storage error
//! only.

use axum::http::StatusCode;
use kots_oci::{Digest, ErrorCode};
use serde_json::json;

use crate::storage::StorageError;

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
    /// The upstream registry of a remote repository failed, could not be reached, or answered
    /// with something that cannot be served (see [`crate::remote`]): 502, not the registry's
    /// own fault (500) nor the client's.
    #[error("cannot get {image} from its upstream registry: {reason}")]
    Upstream { image: String, reason: String },
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
            Error::Upstream { .. } => StatusCode::BAD_GATEWAY,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The OCI error code (`BLOB_UNKNOWN`, …); Distribution's own where OCI names none.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::BlobUnknown(_) => ErrorCode::BlobUnknown,
            Error::BlobUploadInvalid(_) | Error::UploadRangeInvalid { .. } => ErrorCode::BlobUploadInvalid,
            Error::BlobUploadUnknown(_) => ErrorCode::BlobUploadUnknown,
            Error::DigestInvalid { .. } => ErrorCode::DigestInvalid,
            Error::ManifestBlobUnknown { .. } => ErrorCode::ManifestBlobUnknown,
            Error::ManifestInvalid(_) | Error::ManifestTooLarge(_) | Error::UnsupportedManifestType(_) => {
                ErrorCode::ManifestInvalid
            }
            Error::ManifestUnknown(_) => ErrorCode::ManifestUnknown,
            Error::NameInvalid { .. } => ErrorCode::NameInvalid,
            Error::NameUnknown(_) => ErrorCode::NameUnknown,
            Error::SizeInvalid(_) | Error::RangeNotSatisfiable(..) => ErrorCode::SizeInvalid,
            Error::PaginationInvalid(_) => ErrorCode::PaginationNumberInvalid,
            Error::MethodNotAllowed(_) | Error::NotFound(_) => ErrorCode::Unsupported,
            Error::Unauthorized { .. } => ErrorCode::Unauthorized,
            Error::Denied { .. } => ErrorCode::Denied,
            Error::TooManyRequests { .. } => ErrorCode::TooManyRequests,
            // Distribution's proxy mode has no code of its own for an upstream failure.
            Error::Upstream { .. } | Error::Internal(_) => ErrorCode::Unknown,
        }
    }

    /// The code-specific facts of the body's `detail` (`null` when there are none).
    pub fn detail(&self) -> serde_json::Value {
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

/// The one place store failures become OCI errors: a blob the store lacks is unknown, a body the
/// store could not take is the client's to fix, anything else is the registry's fault.
impl From<StorageError> for Error {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::NotFound(digest) => Error::BlobUnknown(digest),
            StorageError::Invalid(message) => Error::BlobUploadInvalid(message),
            StorageError::SizeMismatch(message) => Error::SizeInvalid(message),
            error @ StorageError::Backend { .. } => Error::internal(error),
        }
    }
}

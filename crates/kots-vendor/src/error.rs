//! The vendor server's one error type: each variant is an HTTP status, and every message says
//! what failed and what to do about it.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Invalid(_) => StatusCode::BAD_REQUEST,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub(crate) fn internal(context: impl std::fmt::Display) -> Error {
        Error::Internal(format!("internal error: {context}"))
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Error::internal(format_args!("vendor database: {error}"))
    }
}

impl From<kots_license::Error> for Error {
    fn from(error: kots_license::Error) -> Self {
        Error::internal(format_args!("license: {error}"))
    }
}

impl From<kots_registry::Error> for Error {
    fn from(error: kots_registry::Error) -> Self {
        Error::internal(format_args!("registry: {error}"))
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = (status, Json(serde_json::json!({ "error": self.to_string() }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Basic realm=\"kots-vendor\""));
        }
        response
    }
}

/// The registry's stores opened by the vendor (its database, the registry's blobs): reported as
/// the registry reports them.
impl From<kots_registry::storage::StorageError> for Error {
    fn from(error: kots_registry::storage::StorageError) -> Self {
        kots_registry::Error::from(error).into()
    }
}

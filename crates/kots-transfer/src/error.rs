//! The transfer engine's one error type. A registry's refusal keeps its HTTP status and the OCI
//! error code it sent ([`ErrorCode`]), so callers decide on the code and fall back to the status
//! only when a registry names none.

use kots_oci::{Digest, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid endpoint `{input}`: {reason}")]
    InvalidEndpoint { input: String, reason: String },
    #[error("{registry}: cannot connect: {source}")]
    Connect {
        registry: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{registry}: authentication failed: {reason}")]
    Unauthorized { registry: String, reason: String },
    #[error("{registry}: {what} answered HTTP {status}: {message}")]
    Registry {
        registry: String,
        what: String,
        status: u16,
        /// The first error code of the registry's answer, if it sent an OCI error body.
        code: Option<ErrorCode>,
        message: String,
    },
    #[error("{what} not found at {location}")]
    NotFound { what: String, location: String },
    #[error(
        "blob {digest} from {source_name} does not match its digest (the bytes hash to {actual}); the source is corrupt"
    )]
    Corrupt { digest: Digest, actual: Digest, source_name: String },
    #[error("manifest {reference} at {location} is invalid: {reason}")]
    InvalidManifest { reference: String, location: String, reason: String },
    #[error("no platform of {reference} matches {wanted}; it has: {available}")]
    NoPlatform { reference: String, wanted: String, available: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Oci(#[from] kots_oci::Error),
    #[error("{registry}: `{address}` is a loopback or private address, and this client may reach only public ones")]
    PrivateAddress { registry: String, address: String },
    #[error("credentials for {registry}: {reason}")]
    Credentials { registry: String, reason: String },
    /// An airgap bundle whose content cannot be pushed as it is (damaged or incomplete), or a
    /// registry that will not take it the only way it can go.
    #[error("{0}")]
    Bundle(String),
    /// The bundle could not be read.
    #[error(transparent)]
    BundleRead(#[from] kots_release::bundle::BundleError),
}

impl Error {
    /// Whether trying again could help (network trouble, a server briefly unwell).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Connect { .. } => true,
            Error::Registry { status, code, .. } => {
                *status >= 500
                    || *status == 408
                    || *status == 429
                    || matches!(code, Some(ErrorCode::TooManyRequests | ErrorCode::Unavailable))
            }
            _ => false,
        }
    }

    /// The OCI error code a registry refused with (`DENIED`, `UNSUPPORTED`, …), if it sent one.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Registry { code, .. } => code.as_ref(),
            _ => None,
        }
    }

    pub(crate) fn io(path: impl std::fmt::Display, source: std::io::Error) -> Error {
        Error::Io { path: path.to_string(), source }
    }
}

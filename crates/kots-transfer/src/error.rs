use kots_oci::Digest;

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
    Registry { registry: String, what: String, status: u16, message: String },
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
            Error::Registry { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }

    pub(crate) fn io(path: impl std::fmt::Display, source: std::io::Error) -> Error {
        Error::Io { path: path.to_string(), source }
    }
}

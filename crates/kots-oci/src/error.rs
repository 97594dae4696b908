use std::path::PathBuf;

/// Everything that can go wrong in OCI core, with the input that caused it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid digest `{input}`: {reason}")]
    InvalidDigest { input: String, reason: &'static str },

    #[error("invalid image reference `{input}`: {reason}")]
    InvalidReference { input: String, reason: String },

    #[error("invalid manifest: {0}")]
    InvalidManifest(String),

    #[error(
        "Docker schema 1 manifests (`{0}`) are not supported: they are deprecated and unsigned; \
         convert the image to schema 2 or OCI, e.g. `skopeo copy --format v2s2`"
    )]
    SchemaOneManifest(String),

    #[error("unsupported manifest media type `{0}`: expected an OCI or Docker v2 manifest or index")]
    UnsupportedMediaType(String),

    #[error("content does not match its digest: expected {expected}, got {actual}")]
    DigestMismatch { expected: String, actual: String },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: invalid JSON: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    #[error("OCI layout `{path}`: {reason}")]
    Layout { path: PathBuf, reason: String },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}

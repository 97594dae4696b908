//! What can go wrong in a store, in the store's own terms: the backends (files, S3, SQL) say
//! what failed and keep its source; they know nothing of HTTP or OCI error codes. The registry
//! turns this into its OCI error in one place (`impl From<StorageError>` in its `error` module).

use kots_oci::Digest;

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// A backend's error (`std::io`, `sqlx`, `object_store`, a join error), kept as the source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A blob's bytes are not in the store.
    #[error("blob {0} is not stored")]
    NotFound(Digest),
    /// The bytes a client sent cannot become (part of) a blob as they are: the body ended
    /// early, or the upload cannot be finished this way. The message says what to do.
    #[error("{0}")]
    Invalid(String),
    /// A body that carried more or fewer bytes than it declared.
    #[error("{0}")]
    SizeMismatch(String),
    /// The store itself failed (disk, database, object storage), or holds what it should not;
    /// `source` is the backend's error, when there is one.
    #[error("{context}{}", source.as_ref().map(|source| format!(": {source}")).unwrap_or_default())]
    Backend {
        context: String,
        #[source]
        source: Option<BoxError>,
    },
}

impl StorageError {
    /// The backend failed doing `context` (`cannot write upload `…``), because of `source`.
    pub fn backend(context: impl std::fmt::Display, source: impl Into<BoxError>) -> StorageError {
        StorageError::Backend { context: context.to_string(), source: Some(source.into()) }
    }

    /// The store is not as it should be (a corrupt record, a read-only folder), with no
    /// backend error to point at.
    pub fn broken(message: impl std::fmt::Display) -> StorageError {
        StorageError::Backend { context: message.to_string(), source: None }
    }
}

impl From<sqlx::Error> for StorageError {
    fn from(error: sqlx::Error) -> Self {
        StorageError::backend("metadata store", error)
    }
}

//! Where bytes and facts live. Two traits, so that the embedded default (files + SQLite) and the
//! scale-out stores (S3 + PostgreSQL) sit behind the same services:
//! - [`BlobStore`] holds content-addressed blobs and the bytes of upload sessions;
//! - [`MetadataStore`] holds which repository links which blob, manifests, tags and sessions.
//!
//! Ordering is what keeps a crash harmless: bytes are made durable first, metadata is committed
//! after, and only metadata makes anything visible.
//!
//! Stores fail with [`StorageError`]: what failed, in the store's terms and with its source;
//! nothing here knows HTTP or OCI error codes.

mod error;
mod filesystem;
mod s3;
mod sql;
mod timed;

use std::collections::HashMap;

use async_trait::async_trait;
use bytes::Bytes;
use kots_oci::{Descriptor, Digest, Hasher};

pub use error::{BoxError, Result, StorageError};
pub use filesystem::FilesystemBlobStore;
pub(crate) use filesystem::file_stream;
pub use s3::{S3BlobStore, S3Options};
pub use sql::{SqlMetadataStore, migrate, open_postgres, open_sqlite, redact};
pub(crate) use timed::{BLOB_OPERATIONS, METADATA_OPERATIONS, Timed};

/// A body of bytes arriving or leaving; errors are I/O errors of the client or the disk.
pub use kots_oci::ByteStream;

/// What an append wrote, and the hash state after it.
#[derive(Debug)]
pub struct Appended {
    pub size: u64,
    pub hasher: Hasher,
}

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Fails if the store cannot take or give bytes right now.
    async fn health(&self) -> Result<()>;

    /// Opens `digest` for reading, from `offset`, for `length` bytes.
    async fn read(&self, digest: &Digest, offset: u64, length: u64) -> Result<ByteStream>;

    /// The blob's bytes as a file of this machine, for stores that keep them so: the server
    /// then sends them to the socket with `sendfile(2)` ([`crate::connection`]) instead of
    /// reading them through [`BlobStore::read`]. `None` (the default): no such file.
    async fn local_file(&self, digest: &Digest) -> Result<Option<std::fs::File>> {
        let _ = digest;
        Ok(None)
    }

    /// True if the blob's bytes are present.
    async fn exists(&self, digest: &Digest) -> Result<bool>;

    /// A URL the client may fetch the whole blob from directly (a pre-signed object-store URL),
    /// if the store is configured to hand out downloads.
    async fn download_url(&self, digest: &Digest) -> Result<Option<String>> {
        let _ = digest;
        Ok(None)
    }

    /// Appends `body` to upload `session` at `offset`, hashing it as it is written. When the body
    /// fails, or its length differs from `expected_length`, the upload is cut back to `offset`
    /// and the error returned: a failed chunk leaves no trace.
    async fn append(
        &self,
        session: &str,
        offset: u64,
        hasher: Hasher,
        expected_length: Option<u64>,
        body: ByteStream,
    ) -> Result<Appended>;

    /// Stores a blob that arrives whole in one request (`POST ?digest=`), as `digest` only if
    /// the bytes hash to it; returns their size and digest either way. `session` names the
    /// bytes while they arrive ([`BlobStore::discard`] removes what a failure leaves).
    async fn put_whole(
        &self,
        session: &str,
        digest: &Digest,
        expected_length: Option<u64>,
        body: ByteStream,
    ) -> Result<(u64, Digest)> {
        let appended = self.append(session, 0, digest.algorithm().hasher(), expected_length, body).await?;
        let actual = appended.hasher.finish();
        if actual == *digest {
            self.commit(session, digest, appended.size).await?;
        } else {
            self.discard(session).await?;
        }
        Ok((appended.size, actual))
    }

    /// Re-reads the first `size` bytes of an upload with another algorithm.
    async fn rehash(&self, session: &str, size: u64, hasher: Hasher) -> Result<Digest>;

    /// Makes the first `size` bytes of the upload durable and stores them as `digest` (already
    /// verified by the caller).
    async fn commit(&self, session: &str, digest: &Digest, size: u64) -> Result<()>;

    /// Removes an upload's bytes; removing one that is not there is not an error.
    async fn discard(&self, session: &str) -> Result<()>;

    /// Removes leftovers of uploads that no session record owns (see [`MetadataStore`]), last
    /// written at least `grace` ago (other replicas sharing the store may be writing the rest).
    async fn sweep_orphans(&self, live_sessions: &[String], grace: std::time::Duration) -> Result<usize>;

    /// Every blob whose bytes are stored, for garbage collection (the `gc` module).
    async fn list(&self) -> Result<Vec<Digest>>;

    /// Removes a blob's bytes; removing one that is not there is not an error. Only garbage
    /// collection calls this, after the metadata that made the blob visible is gone.
    async fn remove(&self, digest: &Digest) -> Result<()>;
}

/// A stored manifest as the registry lists it.
#[derive(Debug, Clone)]
pub struct ManifestRecord {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    pub artifact_type: Option<String>,
    pub subject: Option<Digest>,
    pub annotations: Option<String>,
}

/// A manifest as garbage collection sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ManifestEntry {
    pub repository: String,
    pub digest: Digest,
    pub subject: Option<Digest>,
    pub tagged: bool,
}

#[derive(Debug, Clone)]
pub struct UploadRecord {
    pub repository: String,
    pub size: u64,
    pub hasher: Hasher,
}

#[async_trait]
pub trait MetadataStore: Send + Sync + 'static {
    /// Fails if the store cannot answer a query right now.
    async fn health(&self) -> Result<()>;

    /// The size of `digest` if `repository` links it.
    async fn linked_blob(&self, repository: &str, digest: &Digest) -> Result<Option<u64>>;
    /// The sizes of those of `digests` that `repository` links.
    async fn linked_blobs(&self, repository: &str, digests: &[&Digest]) -> Result<HashMap<Digest, u64>>;
    /// Records that the blob exists and that `repository` links it.
    async fn link_blob(&self, repository: &str, digest: &Digest, size: u64) -> Result<()>;
    /// Returns false if it was not linked.
    async fn unlink_blob(&self, repository: &str, digest: &Digest) -> Result<bool>;

    /// Which of `digests` are manifests in `repository`.
    async fn existing_manifests(&self, repository: &str, digests: &[&Digest]) -> Result<Vec<Digest>>;
    /// Stores a manifest and its bytes, and points `tag` at it, in one transaction.
    async fn put_manifest(
        &self,
        repository: &str,
        record: &ManifestRecord,
        content: &[u8],
        tag: Option<&str>,
    ) -> Result<()>;
    async fn get_manifest(&self, repository: &str, digest: &Digest) -> Result<Option<(ManifestRecord, Bytes)>>;
    async fn resolve_tag(&self, repository: &str, tag: &str) -> Result<Option<Digest>>;
    /// Deletes the manifest and every tag that points at it; false if it was not there.
    async fn delete_manifest(&self, repository: &str, digest: &Digest) -> Result<bool>;
    async fn delete_tag(&self, repository: &str, tag: &str) -> Result<bool>;
    async fn repository_exists(&self, repository: &str) -> Result<bool>;
    /// Tags after `last`, sorted, at most `limit`.
    async fn list_tags(&self, repository: &str, last: Option<&str>, limit: usize) -> Result<Vec<String>>;
    async fn list_repositories(&self, last: Option<&str>, limit: usize) -> Result<Vec<String>>;
    /// Repositories whose names start with `prefix` (`app/`), after `last`, sorted, at most
    /// `limit`: read by range over the name index, whatever else the store holds.
    async fn list_repositories_under(&self, prefix: &str, last: Option<&str>, limit: usize) -> Result<Vec<String>>;
    /// Manifests in `repository` whose `subject` is `digest`.
    async fn referrers(&self, repository: &str, digest: &Digest) -> Result<Vec<Descriptor>>;

    async fn create_upload(&self, session: &str, repository: &str, hasher: &Hasher) -> Result<()>;
    async fn get_upload(&self, session: &str) -> Result<Option<UploadRecord>>;
    async fn update_upload(&self, session: &str, size: u64, hasher: &Hasher) -> Result<()>;
    async fn delete_upload(&self, session: &str) -> Result<()>;
    /// Takes the right to write `session` for `seconds` (or until released) for `holder`; false
    /// if another holder has it. Re-taking one's own lease renews it.
    async fn lease_upload(&self, session: &str, holder: &str, seconds: u64) -> Result<bool>;
    async fn release_upload(&self, session: &str, holder: &str) -> Result<()>;
    /// Sessions not touched for `max_idle_seconds`.
    async fn idle_uploads(&self, max_idle_seconds: u64) -> Result<Vec<String>>;
    async fn all_uploads(&self) -> Result<Vec<String>>;

    // Garbage collection (the `gc` module).
    /// Every manifest of every repository, with its subject and whether a tag points at it.
    async fn manifest_entries(&self) -> Result<Vec<ManifestEntry>>;
    /// A manifest's bytes, whichever repository holds it.
    async fn manifest_content(&self, digest: &Digest) -> Result<Option<Bytes>>;
    /// Every blob recorded as stored, with its size.
    async fn stored_blobs(&self) -> Result<Vec<(Digest, u64)>>;
    /// Forgets blobs and every repository's link to them, in one transaction; returns how many
    /// links there were.
    async fn forget_blobs(&self, digests: &[Digest]) -> Result<u64>;
    /// Manifest bytes that no repository's manifest names any more.
    async fn unreferenced_manifest_contents(&self) -> Result<Vec<Digest>>;
    /// Removes manifest bytes if still unreferenced; false if a manifest names them again.
    async fn forget_manifest_content(&self, digest: &Digest) -> Result<bool>;
}

pub(crate) fn now_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}

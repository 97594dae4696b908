//! An OCI Distribution v1.1 registry, as a library (so the vendor server can embed it) and as
//! the `kots-registry` binary.
//!
//! Requests flow through three layers. The edge: [`server`] turns HTTP into a typed
//! [`route::Route`], [`request`] reads headers and query parameters into typed values,
//! [`access`] authorises, and [`response`] renders what comes back. The concept modules
//! ([`upload`], [`blobs`], [`manifests`], [`tags`], [`referrers`]) say what the registry does
//! and return domain values. [`storage`] keeps bytes and metadata behind traits, failing with
//! its own [`storage::StorageError`], which [`error`] maps to OCI errors. Repositories the
//! embedding program serves from elsewhere (a proxy of other registries) go to its
//! [`remote::Remote`] instead of the stores, after the same authorization.

pub mod access;
pub mod auth;
pub mod blobs;
pub mod connection;
pub mod error;
pub mod gc;
pub mod htpasswd;
pub mod manifests;
pub mod metrics;
pub mod referrers;
pub mod remote;
pub mod request;
pub mod response;
pub mod route;
pub mod server;
pub mod storage;
pub mod tags;
pub mod upload;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use error::{Error, Result};
pub use request::MAX_MANIFEST_SIZE;
use storage::{BlobStore, FilesystemBlobStore, MetadataStore, SqlMetadataStore};

/// How long an upload session may sit idle before it is removed, unless configured.
pub const DEFAULT_UPLOAD_TTL: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Clone)]
pub struct Options {
    pub upload_ttl: Duration,
    /// `None`: no authentication at all (loopback labs only).
    pub auth: Option<auth::AuthOptions>,
    /// Pulls only (maintenance, garbage collection): every write is refused with 405
    /// `UNSUPPORTED`, as Distribution's read-only mode does.
    pub read_only: bool,
    /// Repositories served from elsewhere (read-only, never stored); `None`: every repository
    /// is local.
    pub remote: Option<Arc<dyn remote::Remote>>,
}

impl Default for Options {
    fn default() -> Self {
        Options { upload_ttl: DEFAULT_UPLOAD_TTL, auth: None, read_only: false, remote: None }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("upload_ttl", &self.upload_ttl)
            .field("auth", &self.auth)
            .field("read_only", &self.read_only)
            .field("remote", &self.remote.as_ref().map(|_| "…"))
            .finish()
    }
}

/// The registry service: its stores, and the state that is not stored (which upload sessions a
/// request is writing right now, metrics).
pub struct Registry {
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) metadata: Arc<dyn MetadataStore>,
    pub(crate) busy_uploads: Mutex<HashSet<String>>,
    pub(crate) metrics: metrics::Metrics,
    pub(crate) options: Options,
    pub(crate) throttle: auth::Throttle,
    /// This process among the replicas, for upload leases; `None` when it is the only one (the
    /// embedded default), where the in-process busy set is enough and a chunk costs no more
    /// queries than that.
    pub(crate) replica: Option<String>,
    /// Held while this registry uses an embedded data folder (see [`gc::DataDirLock`]).
    _lock: Option<gc::DataDirLock>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("options", &self.options).finish_non_exhaustive()
    }
}

impl Registry {
    pub fn new(blobs: Arc<dyn BlobStore>, metadata: Arc<dyn MetadataStore>, options: Options) -> Registry {
        let metrics = metrics::Metrics::new();
        let blobs = Arc::new(storage::Timed::new(blobs, &storage::BLOB_OPERATIONS, |operation| {
            metrics.storage_histogram("blob", operation)
        }));
        let metadata = Arc::new(storage::Timed::new(metadata, &storage::METADATA_OPERATIONS, |operation| {
            metrics.storage_histogram("metadata", operation)
        }));
        Registry {
            blobs,
            metadata,
            busy_uploads: Mutex::default(),
            metrics,
            options,
            throttle: auth::Throttle::default(),
            replica: None,
            _lock: None,
        }
    }

    /// Removes the blobs no manifest needs (see [`gc`]); only while nothing pushes.
    pub async fn collect_garbage(&self, options: gc::GcOptions) -> Result<gc::Report> {
        gc::collect(self.blobs.as_ref(), self.metadata.as_ref(), options).await
    }

    /// A manifest of `repository` by tag or digest, straight from storage, or from the remote
    /// for a remote repository (for services that build on the registry, such as airgap
    /// bundles): bytes, media type, digest.
    pub async fn read_manifest(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<Option<(bytes::Bytes, String, kots_oci::Digest)>> {
        if let Some(remote) = self.remote_for(repository) {
            let reference = match kots_oci::Digest::parse(reference) {
                Ok(digest) => route::ManifestReference::Digest(digest),
                Err(_) => route::ManifestReference::Tag(reference.to_owned()),
            };
            let manifest = match remote.manifest(repository, &reference, &[], false).await {
                Ok(manifest) => remote::check_manifest(repository, &reference, manifest, false)?,
                Err(Error::ManifestUnknown(_) | Error::NameUnknown(_)) => return Ok(None),
                Err(error) => return Err(error),
            };
            let content = manifest.content.expect("checked: a GET's manifest has its bytes");
            return Ok(Some((content, manifest.media_type, manifest.digest)));
        }
        let digest = match kots_oci::Digest::parse(reference) {
            Ok(digest) => digest,
            Err(_) => match self.metadata.resolve_tag(repository, reference).await? {
                Some(digest) => digest,
                None => return Ok(None),
            },
        };
        Ok(self
            .metadata
            .get_manifest(repository, &digest)
            .await?
            .map(|(record, bytes)| (bytes, record.media_type, digest)))
    }

    /// A blob linked to `repository`, streamed from storage (or from the remote): its size and
    /// bytes.
    pub async fn read_blob(
        &self,
        repository: &str,
        digest: &kots_oci::Digest,
    ) -> Result<Option<(u64, storage::ByteStream)>> {
        if let Some(remote) = self.remote_for(repository) {
            return match self.remote_blob(remote.as_ref(), repository, digest, false, None).await {
                Ok(content) => Ok(Some((content.size, content.body.expect("a GET has a body")))),
                Err(Error::BlobUnknown(_) | Error::NameUnknown(_)) => Ok(None),
                Err(error) => Err(error),
            };
        }
        let Some(size) = self.metadata.linked_blob(repository, digest).await? else { return Ok(None) };
        Ok(Some((size, self.blobs.read(digest, 0, size).await?)))
    }

    /// The embedded default: blobs under `data_dir`, metadata in `data_dir/registry.db`.
    /// Only one such registry may write to a folder at a time; read-only ones (and garbage
    /// collection) may share it.
    pub async fn open_embedded(data_dir: &Path, options: Options) -> Result<Registry> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| Error::Internal(format!("cannot create the data folder `{}`: {e}", data_dir.display())))?;
        let lock =
            if options.read_only { gc::DataDirLock::reader(data_dir)? } else { gc::DataDirLock::writer(data_dir)? };
        let blobs = FilesystemBlobStore::open(data_dir)?;
        let metadata = SqlMetadataStore::sqlite(&data_dir.join("registry.db")).await?;
        let read_only = options.read_only;
        let mut registry = Registry::new(Arc::new(blobs), Arc::new(metadata), options);
        registry._lock = Some(lock);
        if !read_only {
            registry.recover(Duration::ZERO).await?;
        }
        Ok(registry)
    }

    /// One of several replicas: blobs in a store they all share (object storage, or a shared
    /// folder), metadata in PostgreSQL (whose store also keeps the secrets every replica must
    /// share, see [`SqlMetadataStore::shared_secret`]).
    pub async fn open_shared(
        blobs: Arc<dyn BlobStore>,
        metadata: Arc<SqlMetadataStore>,
        options: Options,
    ) -> Result<Registry> {
        // A blob store that cannot take a write is refused here, with its own message, rather
        // than found out by the first upload's 500 behind a registry that said ready.
        blobs.health().await?;
        let mut registry = Registry::new(blobs, metadata, options);
        registry.replica = Some(uuid::Uuid::new_v4().simple().to_string());
        // Another replica may be writing an upload this one cannot see a session for.
        registry.recover(Duration::from_secs(3600)).await?;
        Ok(registry)
    }

    /// Run once at start, before serving: removes upload bytes that no session owns (a
    /// monolithic upload cut off by a crash, a session whose record was removed).
    pub async fn recover(&self, grace: Duration) -> Result<()> {
        let live = self.metadata.all_uploads().await?;
        let removed = self.blobs.sweep_orphans(&live, grace).await?;
        if removed > 0 {
            tracing::info!(removed, "removed leftovers of interrupted uploads");
        }
        self.metrics.upload_sessions.set(live.len() as f64);
        Ok(())
    }

    /// Removes upload sessions idle for longer than the configured time to live.
    pub async fn expire_uploads(&self) -> Result<usize> {
        let idle = self.metadata.idle_uploads(self.options.upload_ttl.as_secs()).await?;
        for session in &idle {
            self.blobs.discard(session).await?;
            self.metadata.delete_upload(session).await?;
            self.metrics.upload_sessions.decrement(1.0);
        }
        if !idle.is_empty() {
            tracing::info!(expired = idle.len(), "removed idle upload sessions");
        }
        Ok(idle.len())
    }
}

//! Blob uploads: monolithic (`POST ?digest=`), chunked (`POST`, `PATCH`…, `PUT ?digest=`),
//! cross-repository mounts, status and cancel.
//!
//! A session is a record (repository, size, hash state) in the metadata store and a file of
//! bytes in the blob store, so any server can take the next chunk and a restart loses nothing
//! that was acknowledged. A blob becomes visible only when `PUT` has verified its digest, made
//! the bytes durable and linked it to the repository.

use std::sync::Arc;

use kots_oci::{Algorithm, Digest};

use crate::error::{Error, Result};
use crate::request::{Chunk, ContentRange, Malformed, Mount, RequestBody, SessionRequest, StartUpload};
use crate::storage::{BlobStore, ByteStream, UploadRecord};
use crate::{Registry, metrics};

/// Where an open upload session stands: what a client needs to send the next chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadState {
    pub repository: String,
    pub session: String,
    /// Bytes received so far.
    pub size: u64,
}

impl UploadState {
    /// The session's URL, where the next chunk goes.
    pub fn location(&self) -> String {
        session_location(&self.repository, &self.session)
    }
}

fn session_location(repository: &str, session: &str) -> String {
    format!("/v2/{repository}/blobs/uploads/{session}")
}

/// A blob now linked to a repository (an upload finished, a monolithic push, a mount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub repository: String,
    pub digest: Digest,
}

impl StoredBlob {
    /// The blob's URL.
    pub fn location(&self) -> String {
        format!("/v2/{}/blobs/{}", self.repository, self.digest)
    }
}

/// What an upload request did.
#[derive(Debug)]
pub enum UploadOutcome {
    /// The session is open: just started, or a chunk was taken.
    InProgress(UploadState),
    /// Where the session stands (a status request).
    Status(UploadState),
    Cancelled,
    /// The blob is stored under its digest.
    Stored(StoredBlob),
}

/// Removes a monolithic upload's bytes if the request is dropped before it finishes (a client
/// that disconnects cancels the handler), so nothing is left behind until the next restart.
struct DiscardOnDrop {
    blobs: Arc<dyn BlobStore>,
    session: Option<String>,
}

impl DiscardOnDrop {
    fn disarm(mut self) {
        self.session = None;
    }
}

impl Drop for DiscardOnDrop {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            let blobs = self.blobs.clone();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = blobs.discard(&session).await;
                });
            }
        }
    }
}

/// Marks a session as being written; a second concurrent request on it is refused rather than
/// interleaving bytes: in this process (a set of busy sessions) and across replicas (a lease on
/// the session's row, released at the end, expiring by itself if this process dies).
struct SessionLock<'a> {
    registry: &'a Registry,
    session: String,
}

/// How long a lease holds if its replica dies mid-request.
const LEASE_SECONDS: u64 = 15 * 60;

impl<'a> SessionLock<'a> {
    async fn acquire(registry: &'a Registry, session: &str) -> Result<SessionLock<'a>> {
        let busy = || {
            Error::BlobUploadInvalid(format!(
                "another request is writing to upload `{session}`; send chunks one at a time"
            ))
        };
        if !registry.busy_uploads.lock().expect("lock is never poisoned").insert(session.to_owned()) {
            return Err(busy());
        }
        let lock = SessionLock { registry, session: session.to_owned() };
        if let Some(replica) = &registry.replica
            && !registry.metadata.lease_upload(session, replica, LEASE_SECONDS).await?
        {
            return Err(busy());
        }
        Ok(lock)
    }
}

impl SessionLock<'_> {
    async fn release(mut self) {
        if let Some(replica) = &self.registry.replica {
            let _ = self.registry.metadata.release_upload(&self.session, replica).await;
        }
        self.registry.busy_uploads.lock().expect("lock is never poisoned").remove(&self.session);
        // Nothing left for `drop` to do.
        self.session.clear();
    }
}

impl Drop for SessionLock<'_> {
    fn drop(&mut self) {
        if self.session.is_empty() {
            return;
        }
        self.registry.busy_uploads.lock().expect("lock is never poisoned").remove(&self.session);
        let (metadata, session) = (self.registry.metadata.clone(), self.session.clone());
        if let Some(replica) = self.registry.replica.clone()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                let _ = metadata.release_upload(&session, &replica).await;
            });
        }
    }
}

fn counted(body: ByteStream, metrics: &metrics::Metrics) -> ByteStream {
    use futures_util::StreamExt;
    let counter = metrics.bytes_received.clone();
    Box::pin(body.inspect(move |chunk| {
        if let Ok(chunk) = chunk {
            counter.increment(chunk.len() as u64);
        }
    }))
}

impl Registry {
    /// `POST /v2/NAME/blobs/uploads/`
    pub(crate) async fn start_upload(&self, name: &str, request: StartUpload) -> Result<UploadOutcome> {
        match request {
            StartUpload::Mount(Mount { digest, from }) => {
                if let Some(from) = from
                    && let Some(stored) = self.try_mount(name, &digest, &from).await?
                {
                    return Ok(UploadOutcome::Stored(stored));
                }
                // The spec's fallback: an ordinary upload session the client can use instead.
                self.open_session(name, None).await
            }
            StartUpload::Monolithic { digest, body } => self.monolithic_upload(name, &digest, body).await,
            StartUpload::Session { body } => self.open_session(name, body).await,
        }
    }

    /// Mounting grants what reading `from` would (the edge already dropped a `from` the
    /// principal may not read, or that is no repository name).
    async fn try_mount(&self, name: &str, digest: &Digest, from: &str) -> Result<Option<StoredBlob>> {
        let Some(size) = self.metadata.linked_blob(from, digest).await? else {
            return Ok(None);
        };
        if !self.blobs.exists(digest).await? {
            return Ok(None);
        }
        self.metadata.link_blob(name, digest, size).await?;
        Ok(Some(stored(name, digest)))
    }

    async fn monolithic_upload(&self, name: &str, digest: &Digest, body: RequestBody) -> Result<UploadOutcome> {
        let session = format!("monolithic-{}", uuid::Uuid::new_v4());
        let guard = DiscardOnDrop { blobs: self.blobs.clone(), session: Some(session.clone()) };
        let result = async {
            let (size, actual) =
                self.blobs.put_whole(&session, digest, body.length, counted(body.stream, &self.metrics)).await?;
            if actual != *digest {
                return Err(mismatch(digest, &actual));
            }
            self.metadata.link_blob(name, digest, size).await?;
            Ok(UploadOutcome::Stored(stored(name, digest)))
        }
        .await;
        if result.is_err() {
            self.blobs.discard(&session).await?;
        }
        guard.disarm();
        result
    }

    async fn open_session(&self, name: &str, body: Option<RequestBody>) -> Result<UploadOutcome> {
        let session = uuid::Uuid::new_v4().hyphenated().to_string();
        let hasher = Algorithm::Sha256.hasher();
        self.metadata.create_upload(&session, name, &hasher).await?;
        self.metrics.upload_sessions.increment(1.0);
        let mut size = 0;
        if let Some(body) = body {
            let appended =
                self.blobs.append(&session, 0, hasher, body.length, counted(body.stream, &self.metrics)).await?;
            self.metadata.update_upload(&session, appended.size, &appended.hasher).await?;
            size = appended.size;
        }
        Ok(UploadOutcome::InProgress(UploadState { repository: name.to_owned(), session, size }))
    }

    /// A `PATCH` or `PUT` on a session this request holds the lock of.
    async fn write_chunk(&self, name: &str, session: &str, chunk: Chunk) -> Result<UploadOutcome> {
        // Re-read under the lock: another request may have just finished a chunk.
        let record =
            self.metadata.get_upload(session).await?.ok_or_else(|| Error::BlobUploadUnknown(session.to_owned()))?;
        let state = |size| UploadState { repository: name.to_owned(), session: session.to_owned(), size };
        let expected_length = chunk_length(&chunk, &state(record.size))?;
        let (size, hasher) = if chunk.is_empty() {
            (record.size, record.hasher)
        } else {
            let body = counted(chunk.body.stream, &self.metrics);
            let appended = self.blobs.append(session, record.size, record.hasher, expected_length, body).await?;
            self.metadata.update_upload(session, appended.size, &appended.hasher).await?;
            (appended.size, appended.hasher)
        };
        let Some(digest) = chunk.finish else { return Ok(UploadOutcome::InProgress(state(size))) };
        let actual = if digest.algorithm() == hasher.algorithm() {
            hasher.finish()
        } else {
            self.blobs.rehash(session, size, digest.algorithm().hasher()).await?
        };
        if actual != digest {
            self.end_session(session).await?;
            return Err(mismatch(&digest, &actual));
        }
        self.blobs.commit(session, &digest, size).await?;
        self.metadata.link_blob(name, &digest, size).await?;
        self.metadata.delete_upload(session).await?;
        self.metrics.upload_sessions.decrement(1.0);
        Ok(UploadOutcome::Stored(stored(name, &digest)))
    }

    /// `GET`, `PATCH`, `PUT`, `DELETE` on `/v2/NAME/blobs/uploads/SESSION`. `request` is what
    /// the edge read, or why it could not: an unknown session is reported first, so that a
    /// client that lost its session learns to start a new one before anything else.
    pub(crate) async fn upload(
        &self,
        name: &str,
        session: &str,
        request: Result<SessionRequest>,
    ) -> Result<UploadOutcome> {
        let record = self.session_record(name, session).await?;
        match request? {
            SessionRequest::Status => Ok(UploadOutcome::Status(UploadState {
                repository: name.to_owned(),
                session: session.to_owned(),
                size: record.size,
            })),
            SessionRequest::Cancel => {
                let _lock = SessionLock::acquire(self, session).await?;
                self.end_session(session).await?;
                Ok(UploadOutcome::Cancelled)
            }
            SessionRequest::Write(chunk) => {
                let lock = SessionLock::acquire(self, session).await?;
                let result = self.write_chunk(name, session, chunk).await;
                // Released before answering, so the next chunk may go to any replica at once.
                lock.release().await;
                result
            }
        }
    }

    /// The session's record, if it is a session of this repository.
    async fn session_record(&self, name: &str, session: &str) -> Result<UploadRecord> {
        self.metadata
            .get_upload(session)
            .await?
            .filter(|record| record.repository == name)
            .ok_or_else(|| Error::BlobUploadUnknown(session.to_owned()))
    }

    async fn end_session(&self, session: &str) -> Result<()> {
        self.blobs.discard(session).await?;
        self.metadata.delete_upload(session).await?;
        self.metrics.upload_sessions.decrement(1.0);
        Ok(())
    }
}

fn stored(name: &str, digest: &Digest) -> StoredBlob {
    StoredBlob { repository: name.to_owned(), digest: digest.clone() }
}

/// How many bytes the chunk must carry, if it says: its `Content-Range`, which must start where
/// the upload ends (else the client is told where to resume) and agree with `Content-Length`.
fn chunk_length(chunk: &Chunk, upload: &UploadState) -> Result<Option<u64>> {
    let range_invalid =
        |message: String| Error::UploadRangeInvalid { message, location: upload.location(), size: upload.size };
    let declared = chunk.body.length;
    match &chunk.range {
        None => Ok(declared),
        Some(Err(Malformed(text))) => {
            Err(range_invalid(format!("invalid Content-Range `{text}`: expected `START-END`, e.g. `0-1023`")))
        }
        Some(Ok(range)) if range.start != upload.size => Err(range_invalid(format!(
            "chunk starts at byte {} but the upload holds {} bytes; send the chunk that starts at {}",
            range.start, upload.size, upload.size
        ))),
        Some(Ok(range @ ContentRange { start, end })) => match declared {
            Some(declared) if declared != range.length() => Err(Error::SizeInvalid(format!(
                "Content-Range `{start}-{end}` is {} bytes but Content-Length is {declared}",
                range.length()
            ))),
            _ => Ok(Some(range.length())),
        },
    }
}

fn mismatch(expected: &Digest, actual: &Digest) -> Error {
    Error::DigestInvalid {
        message: format!(
            "the uploaded content has digest {actual}, not the {expected} the client gave; the upload was discarded"
        ),
        expected: Some(expected.to_string()),
        actual: Some(actual.to_string()),
    }
}

//! Blob uploads: monolithic (`POST ?digest=`), chunked (`POST`, `PATCH`…, `PUT ?digest=`),
//! cross-repository mounts, status and cancel.
//!
//! A session is a record (repository, size, hash state) in the metadata store and a file of
//! bytes in the blob store, so any server can take the next chunk and a restart loses nothing
//! that was acknowledged. A blob becomes visible only when `PUT` has verified its digest, made
//! the bytes durable and linked it to the repository.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kots_oci::{Algorithm, Digest};

use crate::error::{Error, Result};
use crate::route::valid_name;
use crate::server::{Incoming, content_length};
use crate::storage::{BlobStore, ByteStream};
use crate::{Registry, metrics};

/// `Range: 0-END` as Docker and OCI clients expect it (`0-0` for an empty upload).
pub(crate) fn range_header(size: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("0-{}", size.saturating_sub(1))).expect("digits are a valid header")
}

fn session_location(name: &str, session: &str) -> String {
    format!("/v2/{name}/blobs/uploads/{session}")
}

fn session_response(status: StatusCode, name: &str, session: &str, size: u64) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&session_location(name, session)) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(header::RANGE, range_header(size));
    headers.insert("docker-upload-uuid", HeaderValue::from_str(session).expect("uuids are valid headers"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    (status, headers).into_response()
}

pub(crate) fn blob_created(name: &str, digest: &Digest) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/v2/{name}/blobs/{digest}")) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert("docker-content-digest", HeaderValue::from_str(&digest.to_string()).expect("valid header"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    (StatusCode::CREATED, headers).into_response()
}

/// `Content-Range: START-END` (inclusive), as OCI chunked uploads send it; `bytes START-END/*`
/// is accepted too.
pub fn parse_content_range(value: &str) -> Option<(u64, u64)> {
    let value = value.trim();
    let value = value.strip_prefix("bytes").map_or(value, |rest| rest.trim_start_matches([' ', '=']));
    let value = value.split_once('/').map_or(value, |(range, _total)| range);
    let (start, end) = value.split_once('-')?;
    let (start, end): (u64, u64) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
    (start <= end).then_some((start, end))
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

fn digest_parameter(incoming: &Incoming) -> Result<Option<Digest>> {
    incoming.query.get("digest").map(|text| Digest::parse(text).map_err(Error::from)).transpose()
}

impl Registry {
    /// `POST /v2/NAME/blobs/uploads/`
    pub(crate) async fn start_upload(&self, name: &str, incoming: Incoming) -> Result<Response> {
        if let Some(mount) = incoming.query.get("mount") {
            let digest = Digest::parse(mount)?;
            if let Some(from) = incoming.query.get("from")
                && let Some(response) = self.try_mount(name, &digest, from).await?
            {
                return Ok(response);
            }
            // The spec's fallback: an ordinary upload session the client can use instead.
            return self.open_session(name, None).await;
        }
        let body_length = content_length(&incoming.headers)?;
        match digest_parameter(&incoming)? {
            Some(digest) => self.monolithic_upload(name, &digest, body_length, incoming.body).await,
            None => {
                let body = (body_length != Some(0)).then_some((body_length, incoming.body));
                self.open_session(name, body).await
            }
        }
    }

    async fn try_mount(&self, name: &str, digest: &Digest, from: &str) -> Result<Option<Response>> {
        // Mounting grants what reading `from` would; an invalid name simply has nothing to give.
        if valid_name(from).is_err() {
            return Ok(None);
        }
        let Some(size) = self.metadata.linked_blob(from, digest).await? else {
            return Ok(None);
        };
        if !self.blobs.exists(digest).await? {
            return Ok(None);
        }
        self.metadata.link_blob(name, digest, size).await?;
        Ok(Some(blob_created(name, digest)))
    }

    async fn monolithic_upload(
        &self,
        name: &str,
        digest: &Digest,
        body_length: Option<u64>,
        body: ByteStream,
    ) -> Result<Response> {
        let session = format!("monolithic-{}", uuid::Uuid::new_v4());
        let guard = DiscardOnDrop { blobs: self.blobs.clone(), session: Some(session.clone()) };
        let result = async {
            let (size, actual) =
                self.blobs.put_whole(&session, digest, body_length, counted(body, &self.metrics)).await?;
            if actual != *digest {
                return Err(mismatch(digest, &actual));
            }
            self.metadata.link_blob(name, digest, size).await?;
            Ok(blob_created(name, digest))
        }
        .await;
        if result.is_err() {
            self.blobs.discard(&session).await?;
        }
        guard.disarm();
        result
    }

    async fn open_session(&self, name: &str, body: Option<(Option<u64>, ByteStream)>) -> Result<Response> {
        let session = uuid::Uuid::new_v4().hyphenated().to_string();
        let hasher = Algorithm::Sha256.hasher();
        self.metadata.create_upload(&session, name, &hasher).await?;
        self.metrics.upload_sessions.increment(1.0);
        let mut size = 0;
        if let Some((length, body)) = body {
            let appended = self.blobs.append(&session, 0, hasher, length, counted(body, &self.metrics)).await?;
            self.metadata.update_upload(&session, appended.size, &appended.hasher).await?;
            size = appended.size;
        }
        Ok(session_response(StatusCode::ACCEPTED, name, &session, size))
    }

    /// A `PATCH` or `PUT` on a session this request holds the lock of.
    async fn write_chunk(&self, name: &str, session: &str, incoming: Incoming) -> Result<Response> {
        // Re-read under the lock: another request may have just finished a chunk.
        let record =
            self.metadata.get_upload(session).await?.ok_or_else(|| Error::BlobUploadUnknown(session.to_owned()))?;
        let finishing = incoming.method == Method::PUT;
        let digest = if finishing {
            Some(digest_parameter(&incoming)?.ok_or_else(|| Error::DigestInvalid {
                message: "finishing an upload needs `?digest=sha256:…`".to_owned(),
                expected: None,
                actual: None,
            })?)
        } else {
            None
        };
        let body_length = content_length(&incoming.headers)?;
        let range = match incoming.headers.get(header::CONTENT_RANGE) {
            None => None,
            Some(value) => {
                Some(value.to_str().ok().and_then(parse_content_range).ok_or_else(|| Error::UploadRangeInvalid {
                    message: format!(
                        "invalid Content-Range `{}`: expected `START-END`, e.g. `0-1023`",
                        String::from_utf8_lossy(value.as_bytes())
                    ),
                    location: session_location(name, session),
                    size: record.size,
                })?)
            }
        };
        let expected_length = match range {
            Some((start, end)) => {
                if start != record.size {
                    return Err(Error::UploadRangeInvalid {
                        message: format!(
                            "chunk starts at byte {start} but the upload holds {} bytes; send the chunk that starts at {}",
                            record.size, record.size
                        ),
                        location: session_location(name, session),
                        size: record.size,
                    });
                }
                let length = end - start + 1;
                if let Some(declared) = body_length
                    && declared != length
                {
                    return Err(Error::SizeInvalid(format!(
                        "Content-Range `{start}-{end}` is {length} bytes but Content-Length is {declared}"
                    )));
                }
                Some(length)
            }
            None => body_length,
        };
        let appended = if finishing && body_length == Some(0) && range.is_none() {
            None
        } else {
            let appended = self
                .blobs
                .append(
                    session,
                    record.size,
                    record.hasher.clone(),
                    expected_length,
                    counted(incoming.body, &self.metrics),
                )
                .await?;
            self.metadata.update_upload(session, appended.size, &appended.hasher).await?;
            Some(appended)
        };
        let (size, hasher) = match appended {
            Some(appended) => (appended.size, appended.hasher),
            None => (record.size, record.hasher),
        };
        match digest {
            None => Ok(session_response(StatusCode::ACCEPTED, name, session, size)),
            Some(digest) => {
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
                Ok(blob_created(name, &digest))
            }
        }
    }

    /// `GET`, `PATCH`, `PUT`, `DELETE` on `/v2/NAME/blobs/uploads/SESSION`.
    pub(crate) async fn upload(&self, name: &str, session: &str, incoming: Incoming) -> Result<Response> {
        let record = self
            .metadata
            .get_upload(session)
            .await?
            .filter(|record| record.repository == name)
            .ok_or_else(|| Error::BlobUploadUnknown(session.to_owned()))?;
        match incoming.method {
            Method::GET => Ok(session_response(StatusCode::NO_CONTENT, name, session, record.size)),
            Method::DELETE => {
                let _lock = SessionLock::acquire(self, session).await?;
                self.end_session(session).await?;
                Ok(StatusCode::NO_CONTENT.into_response())
            }
            Method::PATCH | Method::PUT => {
                let lock = SessionLock::acquire(self, session).await?;
                let result = self.write_chunk(name, session, incoming).await;
                // Released before answering, so the next chunk may go to any replica at once.
                lock.release().await;
                result
            }
            _ => Err(Error::MethodNotAllowed(format!(
                "{} is not allowed on an upload session; use GET, PATCH, PUT or DELETE",
                incoming.method
            ))),
        }
    }

    async fn end_session(&self, session: &str) -> Result<()> {
        self.blobs.discard(session).await?;
        self.metadata.delete_upload(session).await?;
        self.metrics.upload_sessions.decrement(1.0);
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn content_range_forms() {
        assert_eq!(parse_content_range("0-1023"), Some((0, 1023)));
        assert_eq!(parse_content_range("bytes 10-19/*"), Some((10, 19)));
        assert_eq!(parse_content_range("bytes=10-19"), Some((10, 19)));
        for bad in ["", "10", "20-10", "a-b", "-5", "5-"] {
            assert_eq!(parse_content_range(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn range_header_is_inclusive() {
        assert_eq!(range_header(0), "0-0");
        assert_eq!(range_header(1), "0-0");
        assert_eq!(range_header(1024), "0-1023");
    }

    proptest! {
        #[test]
        fn content_range_round_trips(start in 0u64..u64::MAX / 2, length in 1u64..1 << 40) {
            let end = start + length - 1;
            prop_assert_eq!(parse_content_range(&format!("{start}-{end}")), Some((start, end)));
        }
    }
}

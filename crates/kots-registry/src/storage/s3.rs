//! Blobs in S3-compatible object storage (AWS S3, MinIO, Ceph RGW, Garage…), shared by every
//! replica. Keys under the configured prefix:
//! - `blobs/ALG/HEX` — a blob whose bytes fit one part, written once under its digest;
//! - `blobs/ALG/HEX.ref` — for a blob assembled from parts: the key of its data, so it lands
//!   under its digest without a server-side copy (and without CopyObject's 5 GiB ceiling);
//! - `data/SESSION` — the multipart object of a chunked upload;
//! - `uploads/SESSION/state.json`, `uploads/SESSION/tail-SIZE` — what any replica needs to take
//!   the next chunk: the multipart upload ID, the parts so far, and the bytes (< one part)
//!   not yet sent as a part. A new tail is written before the state that names it, so a crash
//!   between the two leaves the previous state whole.
//!
//! Memory per upload is at most one part plus one chunk, whatever the blob size.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, TryStreamExt};
use kots_oci::{Digest, Hasher};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use super::{Appended, BlobStore, ByteStream, Result, StorageError};

/// Where and how to reach the bucket.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    pub bucket: String,
    /// Key prefix inside the bucket (may be empty).
    pub prefix: String,
    pub region: Option<String>,
    /// An S3-compatible endpoint (`http://127.0.0.1:9000`); AWS when absent.
    pub endpoint: Option<String>,
    /// `bucket` in the path rather than the host name (MinIO, Ceph, most local servers).
    pub path_style: bool,
    /// Explicit credentials; otherwise the usual AWS environment variables.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Bytes per multipart part (S3 wants at least 5 MiB but for the last).
    pub part_size: usize,
    /// Answer blob downloads with a redirect to a pre-signed URL, valid this long, so the bytes
    /// go from the bucket to the client without passing through the registry.
    pub redirect_downloads: Option<Duration>,
}

impl S3Options {
    /// `s3://BUCKET[/PREFIX]`.
    pub fn parse_url(url: &str) -> std::result::Result<S3Options, String> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| format!("`{url}` is not s3://BUCKET[/PREFIX]"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("`{url}` names no bucket; expected s3://BUCKET[/PREFIX]"));
        }
        Ok(S3Options {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            part_size: DEFAULT_PART_SIZE,
            ..S3Options::default()
        })
    }
}

/// The default profile (or `AWS_PROFILE`) of the shared credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`), as the AWS tools read it.
fn shared_credentials() -> Option<(String, String, Option<String>)> {
    let path = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".aws/credentials")))?;
    let text = std::fs::read_to_string(path).ok()?;
    parse_credentials(&text, &std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".to_owned()))
}

fn parse_credentials(text: &str, profile: &str) -> Option<(String, String, Option<String>)> {
    let mut section = String::new();
    let mut values = std::collections::HashMap::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
            section = name.trim().to_owned();
        } else if section == profile
            && let Some((key, value)) = line.split_once('=')
        {
            values.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    Some((
        values.remove("aws_access_key_id")?,
        values.remove("aws_secret_access_key")?,
        values.remove("aws_session_token"),
    ))
}

pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;
const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// What a chunked upload has so far, as any replica reads it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct UploadState {
    size: u64,
    multipart: Option<String>,
    parts: Vec<String>,
}

pub struct S3BlobStore {
    store: Arc<object_store::aws::AmazonS3>,
    prefix: String,
    part_size: usize,
    redirect_downloads: Option<Duration>,
    /// Bucket, endpoint and addressing, for messages.
    described: String,
    /// When the bucket last passed [`S3BlobStore::probe`]: `/readyz` probes at most every
    /// [`PROBE_CACHE`].
    probed: std::sync::Mutex<Option<std::time::Instant>>,
}

/// How long a passed probe stands for `/readyz` (which an orchestrator asks every few seconds).
const PROBE_CACHE: Duration = Duration::from_secs(5);

/// Whether an endpoint must be addressed path-style: virtual-hosted style puts the bucket in
/// the host name, which an IP address or `localhost` cannot carry (requests then went to no
/// bucket at all: every upload failed with NoSuchBucket behind a registry that said ready).
pub fn needs_path_style(endpoint: &str) -> bool {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        authority
            .rsplit_once(':')
            .map_or(authority, |(host, port)| if port.bytes().all(|b| b.is_ascii_digit()) { host } else { authority })
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost") || host.parse::<std::net::IpAddr>().is_ok()
}

fn storage_error(what: &str, error: object_store::Error) -> StorageError {
    StorageError::backend(format_args!("object storage: {what}"), error)
}

fn is_not_found(error: &object_store::Error) -> bool {
    matches!(error, object_store::Error::NotFound { .. })
}

impl S3BlobStore {
    pub fn open(options: &S3Options) -> Result<S3BlobStore> {
        let path_style = options.path_style || options.endpoint.as_deref().is_some_and(needs_path_style);
        let mut builder = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(&options.bucket)
            .with_virtual_hosted_style_request(!path_style);
        if let Some(region) = &options.region {
            builder = builder.with_region(region);
        }
        if let Some(endpoint) = &options.endpoint {
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        let file_credentials = if options.access_key_id.is_none() && std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            shared_credentials()
        } else {
            None
        };
        if let Some((key, secret, token)) = file_credentials {
            builder = builder.with_access_key_id(key).with_secret_access_key(secret);
            if let Some(token) = token {
                builder = builder.with_token(token);
            }
        }
        if let (Some(key), Some(secret)) = (&options.access_key_id, &options.secret_access_key) {
            builder = builder.with_access_key_id(key).with_secret_access_key(secret);
        }
        let store = builder.build().map_err(|e| storage_error(&format!("bucket `{}`", options.bucket), e))?;
        let described = format!(
            "bucket `{}` at {} ({} style)",
            options.bucket,
            options.endpoint.as_deref().unwrap_or("AWS S3"),
            if path_style { "path" } else { "virtual-hosted" }
        );
        Ok(S3BlobStore {
            store: Arc::new(store),
            prefix: options.prefix.clone(),
            part_size: options.part_size.max(MIN_PART_SIZE),
            redirect_downloads: options.redirect_downloads,
            described,
            probed: std::sync::Mutex::new(None),
        })
    }

    /// Writes, reads back and deletes `PREFIX/.kots-probe-UUID`: the bucket is reachable and
    /// writable with these credentials, as uploads will need. Listing alone passed where every
    /// upload then failed. The error names the bucket, the endpoint and what to check.
    pub async fn probe(&self) -> Result<()> {
        let key = self.key(&format!(".kots-probe-{}", uuid::Uuid::new_v4().simple()));
        let written = Bytes::from_static(b"kots-registry probe");
        let failed = |step: &str, error: object_store::Error| {
            StorageError::backend(
                format_args!(
                    "object storage: cannot {step} `{key}` in {}; check the bucket name, the credentials \
                     (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials) and, for a server that \
                     takes the bucket in the path (MinIO, Ceph, most local ones), --s3-path-style",
                    self.described
                ),
                error,
            )
        };
        self.store.put(&key, PutPayload::from(written.clone())).await.map_err(|e| failed("write", e))?;
        let read = match self.store.get(&key).await {
            Ok(result) => result.bytes().await.map_err(|e| failed("read back", e))?,
            Err(error) => return Err(failed("read back", error)),
        };
        self.store.delete(&key).await.map_err(|e| failed("delete", e))?;
        if read != written {
            return Err(StorageError::broken(format!(
                "object storage: `{key}` in {} reads back other bytes than were written; is the endpoint an S3 server?",
                self.described
            )));
        }
        Ok(())
    }

    fn key(&self, relative: &str) -> Path {
        if self.prefix.is_empty() { Path::from(relative) } else { Path::from(format!("{}/{relative}", self.prefix)) }
    }

    fn blob_key(&self, digest: &Digest) -> Path {
        self.key(&format!("blobs/{}/{}", digest.algorithm().name(), digest.hex()))
    }

    fn pointer_key(&self, digest: &Digest) -> Path {
        self.key(&format!("blobs/{}/{}.ref", digest.algorithm().name(), digest.hex()))
    }

    fn state_key(&self, session: &str) -> Path {
        self.key(&format!("uploads/{session}/state.json"))
    }

    fn tail_key(&self, session: &str, size: u64) -> Path {
        self.key(&format!("uploads/{session}/tail-{size}"))
    }

    fn data_key(&self, session: &str) -> Path {
        self.key(&format!("data/{session}"))
    }

    async fn get_bytes(&self, key: &Path) -> Result<Option<Bytes>> {
        match self.store.get(key).await {
            Ok(result) => Ok(Some(result.bytes().await.map_err(|e| storage_error(&format!("read {key}"), e))?)),
            Err(error) if is_not_found(&error) => Ok(None),
            Err(error) => Err(storage_error(&format!("read {key}"), error)),
        }
    }

    async fn state(&self, session: &str) -> Result<UploadState> {
        match self.get_bytes(&self.state_key(session)).await? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StorageError::backend(format_args!("corrupt upload state for `{session}`"), e)),
            None => Ok(UploadState::default()),
        }
    }

    async fn put(&self, key: &Path, bytes: Bytes) -> Result<()> {
        self.store.put(key, PutPayload::from(bytes)).await.map_err(|e| storage_error(&format!("write {key}"), e))?;
        Ok(())
    }

    async fn delete(&self, key: &Path) -> Result<()> {
        match self.store.delete(key).await {
            Ok(()) => Ok(()),
            Err(error) if is_not_found(&error) => Ok(()),
            Err(error) => Err(storage_error(&format!("delete {key}"), error)),
        }
    }

    /// Sends every whole part at the front of `buffer` to the multipart upload at `key`, starting
    /// it on first need; records the parts' IDs.
    async fn send_full_parts(
        &self,
        key: &Path,
        buffer: &mut BytesMut,
        multipart: &mut Option<String>,
        parts: &mut Vec<String>,
    ) -> Result<()> {
        while buffer.len() >= self.part_size {
            let part = buffer.split_to(self.part_size).freeze();
            let id = match multipart {
                Some(id) => id.clone(),
                None => {
                    let id = self
                        .store
                        .create_multipart(key)
                        .await
                        .map_err(|e| storage_error(&format!("start {key}"), e))?;
                    multipart.insert(id).clone()
                }
            };
            let part = self
                .store
                .put_part(key, &id, parts.len(), PutPayload::from(part))
                .await
                .map_err(|e| storage_error(&format!("write a part of {key}"), e))?;
            parts.push(part.content_id);
        }
        Ok(())
    }

    /// Stores a finished blob as `digest`: `rest` under its digest if no part was sent, else
    /// `rest` as the last part, the upload at `key` completed in place and a pointer to it.
    async fn land(
        &self,
        digest: &Digest,
        key: &Path,
        multipart: Option<String>,
        mut parts: Vec<String>,
        rest: Bytes,
    ) -> Result<()> {
        let Some(id) = multipart else { return self.put(&self.blob_key(digest), rest).await };
        if !rest.is_empty() {
            let part = self
                .store
                .put_part(key, &id, parts.len(), PutPayload::from(rest))
                .await
                .map_err(|e| storage_error(&format!("write the last part of {key}"), e))?;
            parts.push(part.content_id);
        }
        let parts = parts.into_iter().map(|content_id| PartId { content_id }).collect();
        self.store
            .complete_multipart(key, &id, parts)
            .await
            .map_err(|e| storage_error(&format!("complete {key}"), e))?;
        self.put(&self.pointer_key(digest), Bytes::from(key.to_string())).await
    }

    /// The key holding `digest`'s bytes, if any.
    async fn data_of(&self, digest: &Digest) -> Result<Option<Path>> {
        let direct = self.blob_key(digest);
        match self.store.head(&direct).await {
            Ok(_) => return Ok(Some(direct)),
            Err(error) if is_not_found(&error) => {}
            Err(error) => return Err(storage_error(&format!("look up {direct}"), error)),
        }
        Ok(self
            .get_bytes(&self.pointer_key(digest))
            .await?
            .map(|pointer| Path::from(String::from_utf8_lossy(&pointer).into_owned())))
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn health(&self) -> Result<()> {
        let fresh = |probed: &Option<std::time::Instant>| probed.is_some_and(|at| at.elapsed() < PROBE_CACHE);
        if fresh(&self.probed.lock().expect("not poisoned")) {
            return Ok(());
        }
        let result = self.probe().await;
        *self.probed.lock().expect("not poisoned") = result.is_ok().then(std::time::Instant::now);
        result
    }

    async fn read(&self, digest: &Digest, offset: u64, length: u64) -> Result<ByteStream> {
        if length == 0 {
            return Ok(Box::pin(futures_util::stream::empty()));
        }
        let range = || GetOptions { range: Some(GetRange::Bounded(offset..offset + length)), ..GetOptions::default() };
        // Most blobs are under their digest: ask for the bytes straight away, and look for a
        // pointer only when they are not there (one request instead of a HEAD and a GET).
        let direct = self.blob_key(digest);
        let result = match self.store.get_opts(&direct, range()).await {
            Ok(result) => result,
            Err(error) if is_not_found(&error) => {
                let key = self.data_of(digest).await?.ok_or_else(|| StorageError::NotFound(digest.clone()))?;
                self.store.get_opts(&key, range()).await.map_err(|e| storage_error(&format!("read {key}"), e))?
            }
            Err(error) => return Err(storage_error(&format!("read {direct}"), error)),
        };
        Ok(Box::pin(result.into_stream().map_err(std::io::Error::other)))
    }

    async fn exists(&self, digest: &Digest) -> Result<bool> {
        Ok(self.data_of(digest).await?.is_some())
    }

    async fn download_url(&self, digest: &Digest) -> Result<Option<String>> {
        use object_store::signer::{Method, Signer};
        let Some(lifetime) = self.redirect_downloads else { return Ok(None) };
        let Some(key) = self.data_of(digest).await? else { return Ok(None) };
        let url = self
            .store
            .signed_url(Method::GET, &key, lifetime)
            .await
            .map_err(|e| storage_error(&format!("sign a download of {key}"), e))?;
        Ok(Some(url.to_string()))
    }

    async fn append(
        &self,
        session: &str,
        offset: u64,
        mut hasher: Hasher,
        expected_length: Option<u64>,
        mut body: ByteStream,
    ) -> Result<Appended> {
        let mut state = self.state(session).await?;
        if state.size != offset {
            return Err(StorageError::broken(format_args!(
                "upload `{session}` holds {} bytes in storage, not {offset}",
                state.size
            )));
        }
        let old_tail = self.tail_key(session, state.size);
        let mut buffer = BytesMut::new();
        if state.size > 0
            && let Some(tail) = self.get_bytes(&old_tail).await?
        {
            buffer.extend_from_slice(&tail);
        }
        let data_key = self.data_key(session);
        let mut received = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|error| {
                StorageError::Invalid(format!(
                    "the request body ended before it was complete ({error}); the chunk was discarded, resume at byte {offset}"
                ))
            })?;
            received += chunk.len() as u64;
            if expected_length.is_some_and(|expected| received > expected) {
                return Err(StorageError::SizeMismatch(format!(
                    "the chunk is longer than its declared {} bytes",
                    expected_length.unwrap_or_default()
                )));
            }
            hasher.update(&chunk);
            buffer.extend_from_slice(&chunk);
            self.send_full_parts(&data_key, &mut buffer, &mut state.multipart, &mut state.parts).await?;
        }
        if let Some(expected) = expected_length
            && received != expected
        {
            return Err(StorageError::SizeMismatch(format!(
                "the request declared {expected} bytes but carried {received}; the chunk was discarded"
            )));
        }
        state.size += received;
        // The new tail, then the state naming it; the old tail goes last.
        self.put(&self.tail_key(session, state.size), buffer.freeze()).await?;
        let encoded = serde_json::to_vec(&state).expect("state serialises");
        self.put(&self.state_key(session), Bytes::from(encoded)).await?;
        if old_tail != self.tail_key(session, state.size) {
            self.delete(&old_tail).await?;
        }
        Ok(Appended { size: state.size, hasher })
    }

    /// One PUT under the digest when the blob fits one part (the common small push: one
    /// request to the bucket instead of the eight of a session); otherwise parts as they come,
    /// completed only if the digest matches.
    async fn put_whole(
        &self,
        session: &str,
        digest: &Digest,
        expected_length: Option<u64>,
        mut body: ByteStream,
    ) -> Result<(u64, Digest)> {
        let data_key = self.data_key(session);
        let mut hasher = digest.algorithm().hasher();
        let mut buffer = BytesMut::new();
        let mut received = 0u64;
        let mut multipart: Option<String> = None;
        let mut parts: Vec<String> = Vec::new();
        let outcome: Result<()> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|error| {
                    StorageError::Invalid(format!("the request body ended before it was complete ({error})"))
                })?;
                received += chunk.len() as u64;
                if expected_length.is_some_and(|expected| received > expected) {
                    return Err(StorageError::SizeMismatch(format!(
                        "the request carried more than its declared {} bytes",
                        expected_length.unwrap_or_default()
                    )));
                }
                hasher.update(&chunk);
                buffer.extend_from_slice(&chunk);
                self.send_full_parts(&data_key, &mut buffer, &mut multipart, &mut parts).await?;
            }
            if let Some(expected) = expected_length
                && received != expected
            {
                return Err(StorageError::SizeMismatch(format!(
                    "the request declared {expected} bytes but carried {received}"
                )));
            }
            Ok(())
        }
        .await;
        let abort = |id: Option<String>| {
            let data_key = data_key.clone();
            async move {
                if let Some(id) = id {
                    let _ = self.store.abort_multipart(&data_key, &id).await;
                }
            }
        };
        if let Err(error) = outcome {
            abort(multipart).await;
            return Err(error);
        }
        let actual = hasher.finish();
        if actual != *digest {
            abort(multipart).await;
            return Ok((received, actual));
        }
        self.land(digest, &data_key, multipart, parts, buffer.freeze()).await?;
        Ok((received, actual))
    }

    async fn rehash(&self, session: &str, size: u64, mut hasher: Hasher) -> Result<Digest> {
        let state = self.state(session).await?;
        if state.multipart.is_some() {
            return Err(StorageError::Invalid(
                "digests other than sha256 are supported on object storage only for blobs under one part".to_owned(),
            ));
        }
        let tail = self.get_bytes(&self.tail_key(session, state.size)).await?.unwrap_or_default();
        hasher.update(&tail[..(size as usize).min(tail.len())]);
        Ok(hasher.finish())
    }

    async fn commit(&self, session: &str, digest: &Digest, size: u64) -> Result<()> {
        let state = self.state(session).await?;
        if state.size != size {
            return Err(StorageError::broken(format_args!(
                "upload `{session}` holds {} bytes, not {size}",
                state.size
            )));
        }
        let tail = self.get_bytes(&self.tail_key(session, size)).await?.unwrap_or_default();
        self.land(digest, &self.data_key(session), state.multipart, state.parts, tail).await?;
        self.delete(&self.tail_key(session, size)).await?;
        self.delete(&self.state_key(session)).await
    }

    async fn discard(&self, session: &str) -> Result<()> {
        let state = self.state(session).await?;
        if let Some(id) = &state.multipart {
            let _ = self.store.abort_multipart(&self.data_key(session), id).await;
        }
        self.delete(&self.tail_key(session, state.size)).await?;
        self.delete(&self.state_key(session)).await
    }

    async fn sweep_orphans(&self, live_sessions: &[String], grace: Duration) -> Result<usize> {
        let live: HashSet<&str> = live_sessions.iter().map(String::as_str).collect();
        let uploads = self.key("uploads");
        let listed =
            self.store.list_with_delimiter(Some(&uploads)).await.map_err(|e| storage_error("list uploads", e))?;
        let mut removed = 0;
        for folder in listed.common_prefixes {
            let Some(session) = folder.filename().map(str::to_owned) else { continue };
            if live.contains(session.as_str()) {
                continue;
            }
            let state = self.store.head(&self.state_key(&session)).await;
            let old_enough = match &state {
                Ok(meta) => {
                    grace.is_zero() || (super::now_seconds() - meta.last_modified.timestamp()) >= grace.as_secs() as i64
                }
                Err(_) => true,
            };
            if old_enough {
                self.discard(&session).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    async fn list(&self) -> Result<Vec<Digest>> {
        let root = self.key("blobs");
        let mut objects = self.store.list(Some(&root));
        let mut found = HashSet::new();
        while let Some(object) = objects.next().await {
            let object = object.map_err(|e| storage_error("list blobs", e))?;
            let mut parts: Vec<String> = object.location.parts().map(|part| part.as_ref().to_owned()).collect();
            let (Some(name), Some(algorithm)) = (parts.pop(), parts.pop()) else { continue };
            let hex = name.strip_suffix(".ref").unwrap_or(&name);
            if let Ok(digest) = Digest::parse(&format!("{algorithm}:{hex}")) {
                found.insert(digest);
            }
        }
        Ok(found.into_iter().collect())
    }

    async fn remove(&self, digest: &Digest) -> Result<()> {
        // The pointer goes last: while it exists, a retry can still find the data it names.
        if let Some(pointer) = self.get_bytes(&self.pointer_key(digest)).await? {
            self.delete(&Path::from(String::from_utf8_lossy(&pointer).into_owned())).await?;
        }
        self.delete(&self.blob_key(digest)).await?;
        self.delete(&self.pointer_key(digest)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IP or localhost endpoint without --s3-path-style sent every upload to no bucket.
    #[test]
    fn ip_and_localhost_endpoints_are_addressed_path_style() {
        for endpoint in [
            "http://127.0.0.1:9000",
            "http://127.0.0.1",
            "https://10.0.0.5:443/",
            "http://[::1]:9000",
            "http://localhost:9000",
            "http://LOCALHOST.",
            "http://minio.localhost:9000",
            "127.0.0.1:9000",
        ] {
            assert!(needs_path_style(endpoint), "{endpoint}");
        }
        for endpoint in ["https://s3.eu-west-1.amazonaws.com", "http://minio.internal:9000", "https://127.0.0.1.nip.io"]
        {
            assert!(!needs_path_style(endpoint), "{endpoint}");
        }
    }

    #[test]
    fn urls_and_credential_files() {
        let options = S3Options::parse_url("s3://bucket/some/prefix/").unwrap();
        assert_eq!((options.bucket.as_str(), options.prefix.as_str()), ("bucket", "some/prefix"));
        assert!(S3Options::parse_url("s3://").is_err());
        assert!(S3Options::parse_url("https://bucket").is_err());
        let file = "[default]\naws_access_key_id = AKID\naws_secret_access_key = SECRET\n\n[ci]\naws_access_key_id=CI\naws_secret_access_key=CISECRET\naws_session_token=TOKEN\n";
        assert_eq!(parse_credentials(file, "default"), Some(("AKID".into(), "SECRET".into(), None)));
        assert_eq!(parse_credentials(file, "ci"), Some(("CI".into(), "CISECRET".into(), Some("TOKEN".into()))));
        assert_eq!(parse_credentials(file, "missing"), None);
    }
}

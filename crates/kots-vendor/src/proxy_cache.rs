//! The proxy's pull-through cache of blobs (`serve --proxy-cache-mib N`; off by default): a
//! blob a customer downloaded whole through `proxy/APP/HOSTENC/PATH` is kept in
//! `DATA_DIR/proxy-cache/`, and later requests for it through the same repository (whole, by
//! range, or `HEAD`) are answered from there without reaching the linked registry.
//!
//! - Only what was read: a blob is kept for the (app, host, path) it was fetched through, so
//!   that the cache never answers a repository the upstream did not serve the blob from (a
//!   license of one app cannot read another app's cached blobs by digest). Who may ask is
//!   still decided on every request, before the cache is looked at.
//! - Only what is whole and verified: bytes are written while they stream to the customer and
//!   the file is kept only if its length and digest match; an interrupted download leaves
//!   nothing.
//! - Bounded: past the size given, the blobs used longest ago are removed.
//! - Manifests and tags are never cached: tags move, and the upstream decides what they are.
//!
//! Content is addressed by digest, so a cached blob never goes stale; it outlives a change of
//! the stored credentials or the upstream deleting the image, as in any pull-through cache.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures_util::StreamExt;
use kots_oci::{ByteStream, Digest, Hasher};
use kots_registry::Error as RegistryError;
use kots_registry::remote::RemoteBlob;
use kots_registry::request::ByteRange;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Chunks read from a cached file.
const CHUNK: usize = 64 * 1024;

pub struct BlobCache {
    root: PathBuf,
    max_bytes: u64,
    hits: AtomicU64,
    stored: AtomicU64,
}

/// Which repository a blob was read through.
#[derive(Debug, Clone)]
pub(crate) struct Origin<'a> {
    pub app_id: &'a str,
    pub host: &'a str,
    pub path: &'a str,
}

impl BlobCache {
    pub fn new(root: PathBuf, max_bytes: u64) -> BlobCache {
        BlobCache { root, max_bytes, hits: AtomicU64::new(0), stored: AtomicU64::new(0) }
    }

    /// Requests answered from the cache, and blobs stored, since start.
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.stored.load(Ordering::Relaxed))
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs").join(digest.algorithm().name()).join(digest.hex())
    }

    fn origin_path(&self, origin: &Origin<'_>, digest: &Digest) -> PathBuf {
        let key = Digest::sha256_of(format!("{}\n{}\n{}", origin.app_id, origin.host, origin.path).as_bytes());
        self.root.join("origins").join(key.hex()).join(format!("{}-{}", digest.algorithm().name(), digest.hex()))
    }

    /// The blob from the cache, if it was read whole through `origin` before: the range asked
    /// (416 if unsatisfiable) or all of it.
    pub(crate) async fn get(
        &self,
        origin: &Origin<'_>,
        digest: &Digest,
        range: Option<ByteRange>,
        head: bool,
    ) -> Option<Result<RemoteBlob, RegistryError>> {
        if !tokio::fs::try_exists(self.origin_path(origin, digest)).await.unwrap_or(false) {
            return None;
        }
        let path = self.blob_path(digest);
        let mut file = tokio::fs::File::open(&path).await.ok()?;
        let size = file.metadata().await.ok()?.len();
        // Used now: the last to be evicted.
        touch(&path);
        self.hits.fetch_add(1, Ordering::Relaxed);
        let served = match range {
            None => None,
            Some(asked) => match asked.resolve(size) {
                Some(served) => Some(served),
                None => {
                    return Some(Err(RegistryError::RangeNotSatisfiable(
                        format!("the range asked is not satisfiable for a blob of {size} bytes"),
                        size,
                    )));
                }
            },
        };
        let (first, length) = served.map_or((0, size), |(first, last)| (first, last - first + 1));
        let body: Option<ByteStream> = if head {
            None
        } else {
            if file.seek(std::io::SeekFrom::Start(first)).await.is_err() {
                return None;
            }
            Some(read_stream(file, length))
        };
        Some(Ok(RemoteBlob { size, range: served, body }))
    }

    /// `body` (the whole blob `digest`, `size` bytes, read through `origin`) as it streams to
    /// the customer, written to the cache on the way; kept only if complete and verified.
    pub(crate) fn tee(
        self: &Arc<Self>,
        origin: &Origin<'_>,
        digest: &Digest,
        size: u64,
        body: ByteStream,
    ) -> ByteStream {
        if size > self.max_bytes {
            return body;
        }
        let temp = self.root.join("tmp").join(uuid::Uuid::new_v4().simple().to_string());
        let state = Tee {
            cache: self.clone(),
            body,
            file: None,
            temp: Some(temp),
            hasher: Some(digest.algorithm().hasher()),
            written: 0,
            size,
            digest: digest.clone(),
            origin: self.origin_path(origin, digest),
            failed: false,
        };
        Box::pin(futures_util::stream::unfold(state, |mut state| async move {
            match state.body.next().await {
                Some(Ok(chunk)) => {
                    state.write(&chunk).await;
                    // The registry stops reading once it has the length it serves, so the end
                    // of the stream may never be seen: the last byte is the end.
                    if state.written >= state.size {
                        state.finish().await;
                    }
                    Some((Ok(chunk), state))
                }
                Some(Err(error)) => {
                    state.failed = true;
                    Some((Err(error), state))
                }
                None => {
                    state.finish().await;
                    None
                }
            }
        }))
    }

    /// Removes the blobs used longest ago until the cache holds at most `max_bytes`.
    fn evict(&self) {
        let Ok(algorithms) = std::fs::read_dir(self.root.join("blobs")) else { return };
        let mut files = Vec::new();
        for algorithm in algorithms.flatten() {
            for entry in std::fs::read_dir(algorithm.path()).into_iter().flatten().flatten() {
                if let Ok(metadata) = entry.metadata() {
                    let used = metadata.modified().unwrap_or(std::time::UNIX_EPOCH);
                    files.push((used, metadata.len(), entry.path()));
                }
            }
        }
        let mut total: u64 = files.iter().map(|(_, size, _)| size).sum();
        files.sort();
        for (_, size, path) in files {
            if total <= self.max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= size;
            }
        }
    }
}

fn touch(path: &Path) {
    if let Ok(file) = std::fs::File::options().append(true).open(path) {
        let _ = file.set_modified(std::time::SystemTime::now());
    }
}

/// `length` bytes of `file` from where it stands, in chunks.
fn read_stream(file: tokio::fs::File, length: u64) -> ByteStream {
    Box::pin(futures_util::stream::unfold((file, length), |(mut file, left)| async move {
        if left == 0 {
            return None;
        }
        let mut buffer = vec![0; CHUNK.min(left as usize)];
        match file.read(&mut buffer).await {
            Ok(0) => Some((Err(std::io::Error::other("the cached blob ended early")), (file, 0))),
            Ok(read) => {
                buffer.truncate(read);
                Some((Ok(Bytes::from(buffer)), (file, left - read as u64)))
            }
            Err(error) => Some((Err(error), (file, 0))),
        }
    }))
}

/// A blob on its way to the customer and into the cache.
struct Tee {
    cache: Arc<BlobCache>,
    body: ByteStream,
    file: Option<tokio::fs::File>,
    /// The file being written; removed on drop unless kept.
    temp: Option<PathBuf>,
    hasher: Option<Hasher>,
    written: u64,
    size: u64,
    digest: Digest,
    origin: PathBuf,
    failed: bool,
}

impl Tee {
    async fn write(&mut self, chunk: &[u8]) {
        if self.failed {
            return;
        }
        if self.file.is_none() {
            let Some(temp) = &self.temp else { return };
            let created = match temp.parent() {
                Some(parent) => tokio::fs::create_dir_all(parent).await.is_ok(),
                None => false,
            };
            match tokio::fs::File::create(temp).await {
                Ok(file) if created => self.file = Some(file),
                _ => {
                    self.failed = true;
                    return;
                }
            }
        }
        if let Some(hasher) = &mut self.hasher {
            hasher.update(chunk);
        }
        self.written += chunk.len() as u64;
        let Some(file) = &mut self.file else { return };
        if file.write_all(chunk).await.is_err() {
            self.failed = true;
        }
    }

    /// The stream ended: keeps the file if it is the blob.
    async fn finish(&mut self) {
        let (Some(mut file), Some(hasher), Some(temp)) = (self.file.take(), self.hasher.take(), self.temp.clone())
        else {
            return;
        };
        if self.failed || self.written != self.size || file.flush().await.is_err() || hasher.finish() != self.digest {
            return;
        }
        drop(file);
        let destination = self.cache.blob_path(&self.digest);
        let origin = self.origin.clone();
        let kept = async {
            tokio::fs::create_dir_all(destination.parent()?).await.ok()?;
            tokio::fs::rename(&temp, &destination).await.ok()?;
            tokio::fs::create_dir_all(origin.parent()?).await.ok()?;
            tokio::fs::write(&origin, b"").await.ok()
        }
        .await;
        if kept.is_some() {
            self.temp = None;
            self.cache.stored.fetch_add(1, Ordering::Relaxed);
            let cache = self.cache.clone();
            let _ = tokio::task::spawn_blocking(move || cache.evict()).await;
        }
    }
}

impl Drop for Tee {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(stream: ByteStream) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut stream = stream;
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.unwrap());
        }
        bytes
    }

    fn stream(bytes: &'static [u8]) -> ByteStream {
        Box::pin(futures_util::stream::iter(bytes.chunks(3).map(|chunk| Ok(Bytes::from_static(chunk)))))
    }

    const ORIGIN: Origin<'static> = Origin { app_id: "app1", host: "quay.io", path: "acme/api" };

    #[tokio::test]
    async fn whole_verified_blobs_are_kept_for_their_origin_only() {
        let temp = tempfile::tempdir().unwrap();
        let cache = Arc::new(BlobCache::new(temp.path().to_owned(), 1000));
        let blob: &'static [u8] = b"0123456789";
        let digest = Digest::sha256_of(blob);
        assert!(cache.get(&ORIGIN, &digest, None, false).await.is_none());
        assert_eq!(collect(cache.tee(&ORIGIN, &digest, 10, stream(blob))).await, blob);
        assert_eq!(cache.counts(), (0, 1));

        let whole = cache.get(&ORIGIN, &digest, None, false).await.unwrap().unwrap();
        assert_eq!((whole.size, whole.range), (10, None));
        assert_eq!(collect(whole.body.unwrap()).await, blob);
        let part = cache.get(&ORIGIN, &digest, Some(ByteRange::Between(2, 4)), false).await.unwrap().unwrap();
        assert_eq!(part.range, Some((2, 4)));
        assert_eq!(collect(part.body.unwrap()).await, b"234");
        let head = cache.get(&ORIGIN, &digest, None, true).await.unwrap().unwrap();
        assert!(head.body.is_none() && head.size == 10);
        let Some(Err(error)) = cache.get(&ORIGIN, &digest, Some(ByteRange::From(10)), false).await else { panic!() };
        assert!(matches!(error, RegistryError::RangeNotSatisfiable(_, 10)));
        // Another app, another repository: not from this cache.
        for other in [Origin { app_id: "app2", ..ORIGIN }, Origin { path: "acme/other", ..ORIGIN }] {
            assert!(cache.get(&other, &digest, None, false).await.is_none(), "{other:?}");
        }
        assert_eq!(cache.counts(), (4, 1));

        // Bytes that do not match the digest, or a short stream: nothing kept, nothing left.
        let lying = Digest::sha256_of(b"something else");
        assert_eq!(collect(cache.tee(&ORIGIN, &lying, 10, stream(blob))).await, blob);
        assert!(cache.get(&ORIGIN, &lying, None, false).await.is_none());
        let short = Digest::sha256_of(b"0123456789ab");
        collect(cache.tee(&ORIGIN, &short, 12, stream(blob))).await;
        assert!(cache.get(&ORIGIN, &short, None, false).await.is_none());
        // A download dropped half way.
        let mut dropped = cache.tee(&ORIGIN, &Digest::sha256_of(b"abcdef"), 6, stream(b"abcdef"));
        dropped.next().await.unwrap().unwrap();
        drop(dropped);
        let leftovers = std::fs::read_dir(temp.path().join("tmp")).map(|dir| dir.count()).unwrap_or(0);
        assert_eq!(leftovers, 0);
        assert_eq!(cache.counts().1, 1);
    }

    #[tokio::test]
    async fn the_blobs_used_longest_ago_go_first() {
        let temp = tempfile::tempdir().unwrap();
        let cache = Arc::new(BlobCache::new(temp.path().to_owned(), 25));
        let blobs: [&'static [u8]; 3] = [b"aaaaaaaaaa", b"bbbbbbbbbb", b"cccccccccc"];
        for (index, blob) in blobs.into_iter().enumerate() {
            collect(cache.tee(&ORIGIN, &Digest::sha256_of(blob), 10, stream(blob))).await;
            if index == 0 {
                // Older, then used again: `b` is now the one used longest ago.
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            if index == 1 {
                std::thread::sleep(std::time::Duration::from_millis(20));
                assert!(cache.get(&ORIGIN, &Digest::sha256_of(blobs[0]), None, true).await.is_some());
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        let kept: Vec<bool> = {
            let mut kept = Vec::new();
            for blob in blobs {
                kept.push(cache.get(&ORIGIN, &Digest::sha256_of(blob), None, true).await.is_some());
            }
            kept
        };
        assert_eq!(kept, [true, false, true]);
        // A blob larger than the whole cache is streamed, never kept.
        let big: &'static [u8] = &[7; 30];
        collect(cache.tee(&ORIGIN, &Digest::sha256_of(big), 30, stream(big))).await;
        assert!(cache.get(&ORIGIN, &Digest::sha256_of(big), None, true).await.is_none());
    }
}

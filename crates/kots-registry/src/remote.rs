//! Remote repositories: names the registry serves from another registry, through a [`Remote`]
//! the embedding program supplies (the vendor server's proxy of its linked registries). The
//! registry stays free of HTTP clients and of licenses: it authorises a request exactly as for a
//! local repository, then asks the remote instead of its stores, and renders what comes back as
//! it renders local content (same headers, same `Accept` negotiation, same `Range` rules, same
//! pagination).
//!
//! What it guarantees for a repository the remote serves:
//! - its own stores are never read or written for it (a stale local copy is never served);
//! - every write (uploads, manifest `PUT`/`DELETE`, blob `DELETE`) is refused with 405
//!   `UNSUPPORTED`; a mount *from* it into a local repository falls back to a plain upload, as
//!   the spec's mount fallback does, so that a client copying from the proxy into this registry
//!   still succeeds;
//! - what the remote returns is checked before it is served: a manifest's bytes hash to its
//!   digest (and to the digest asked for), a blob's bytes are cut to the range and length the
//!   answer declares, so a misbehaving upstream becomes 502, not a corrupt answer;
//! - blobs are streamed, never held whole in memory.
//!
//! There is no cache here: every request goes to the remote.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use kots_oci::{Descriptor, Digest};

use crate::Registry;
use crate::blobs::BlobContent;
use crate::error::{Error, Result};
use crate::manifests::ServedManifest;
use crate::request::{ByteRange, MAX_MANIFEST_SIZE, Mount, RangeRequest, StartUpload};
use crate::route::{ManifestReference, Route};
use crate::storage::ByteStream;

/// Repositories served from elsewhere, implemented by whoever embeds the registry.
///
/// Errors are the registry's: [`Error::ManifestUnknown`], [`Error::BlobUnknown`] and
/// [`Error::NameUnknown`] for what the upstream does not hold (404), [`Error::Denied`] when it
/// refuses this principal (403), [`Error::TooManyRequests`] when it throttles, and
/// [`Error::Upstream`] (502) when it fails, cannot be reached, or refuses the credentials the
/// embedding program holds for it (the client's own credentials were fine, so it must not be
/// told to log in again). Messages name the image as the user knows it, and never carry a
/// credential: 5xx errors are logged.
#[async_trait]
pub trait Remote: Send + Sync + 'static {
    /// Whether `repository` is served from elsewhere. Cheap and without I/O: asked on every
    /// request. The registry then never reads or writes its own stores for it.
    fn serves(&self, repository: &str) -> bool;

    /// The manifest `reference` names. `accepted`: the manifest media types the client lists
    /// in `Accept` (empty: any), to forward so that the upstream picks the type the client
    /// would have got from it. `head`: the client wants headers only; the answer may then omit
    /// the bytes (so an upstream `HEAD` is enough, which upstreams meter less than a `GET`).
    async fn manifest(
        &self,
        repository: &str,
        reference: &ManifestReference,
        accepted: &[String],
        head: bool,
    ) -> Result<RemoteManifest>;

    /// The blob `digest`, or the bytes `range` names of it. `head`: headers only (the body
    /// may be `None`). An upstream that ignores the range may return the whole blob (`range:
    /// None`): the registry then cuts the stream itself. An unsatisfiable range may be
    /// answered with [`Error::RangeNotSatisfiable`], naming the blob's size.
    async fn blob(&self, repository: &str, digest: &Digest, range: Option<ByteRange>, head: bool)
    -> Result<RemoteBlob>;

    /// Every tag of `repository`, all pages of the upstream's list; the registry sorts and
    /// paginates them for the client's `?n=&last=`.
    async fn tags(&self, repository: &str) -> Result<Vec<String>>;

    /// The manifests whose `subject` is `digest`. The default: none (an empty index, which
    /// tells a client there are no referrers rather than that the API is missing).
    async fn referrers(&self, _repository: &str, _digest: &Digest) -> Result<Vec<Descriptor>> {
        Ok(Vec::new())
    }
}

/// A manifest as the upstream holds it, bytes unchanged.
#[derive(Debug, Clone)]
pub struct RemoteManifest {
    pub digest: Digest,
    pub media_type: String,
    /// The manifest's length in bytes.
    pub size: u64,
    /// The bytes; `None` only when headers were asked for.
    pub content: Option<Bytes>,
}

impl RemoteManifest {
    /// A manifest with its bytes (size and digest from them: sha256).
    pub fn new(media_type: impl Into<String>, content: Bytes) -> RemoteManifest {
        RemoteManifest {
            digest: Digest::sha256_of(&content),
            media_type: media_type.into(),
            size: content.len() as u64,
            content: Some(content),
        }
    }
}

/// A blob, or one range of it, as the upstream serves it.
pub struct RemoteBlob {
    /// The blob's whole size.
    pub size: u64,
    /// The inclusive bytes `body` holds when the upstream served a range; `None`: the whole
    /// blob.
    pub range: Option<(u64, u64)>,
    /// `None` for `HEAD`.
    pub body: Option<ByteStream>,
}

impl std::fmt::Debug for RemoteBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteBlob")
            .field("size", &self.size)
            .field("range", &self.range)
            .field("body", &self.body.as_ref().map(|_| "…"))
            .finish()
    }
}

/// The repository a route names, if any.
fn repository(route: &Route) -> Option<&str> {
    match route {
        Route::Base | Route::Catalog => None,
        Route::Tags { name }
        | Route::Manifest { name, .. }
        | Route::Blob { name, .. }
        | Route::StartUpload { name }
        | Route::Upload { name, .. }
        | Route::Referrers { name, .. } => Some(name),
    }
}

/// Whether the request would change the repository (uploads of any kind, including a session's
/// status, which only a local upload can have).
fn writes(route: &Route, method: &axum::http::Method) -> bool {
    use axum::http::Method;
    match route {
        Route::StartUpload { .. } | Route::Upload { .. } => true,
        Route::Manifest { .. } | Route::Blob { .. } => !matches!(*method, Method::GET | Method::HEAD),
        Route::Base | Route::Catalog | Route::Tags { .. } | Route::Referrers { .. } => false,
    }
}

/// The refusal of a write to a remote repository.
pub(crate) fn read_only(repository: &str, what: &str) -> Error {
    Error::MethodNotAllowed(format!(
        "repository `{repository}` is a read-only proxy of an upstream registry: {what} is refused; push to the upstream registry instead"
    ))
}

/// How a failure of the upstream's answer reads: the image, then what was wrong.
fn upstream(image: String, reason: String) -> Error {
    Error::Upstream { image, reason }
}

/// Cuts `stream` to `length` bytes after skipping `skip`; fails if it ends before that, so the
/// client sees a broken download rather than a short one that claims to be whole.
fn cut(stream: ByteStream, skip: u64, length: u64, image: String) -> ByteStream {
    let state = (stream, skip, length, image);
    Box::pin(futures_util::stream::unfold(Some(state), |state| async move {
        let (mut stream, mut skip, mut left, image) = state?;
        if left == 0 {
            return None;
        }
        loop {
            match stream.next().await {
                None => {
                    let error = std::io::Error::other(format!(
                        "the upstream registry's answer for {image} ended {left} bytes short"
                    ));
                    return Some((Err(error), None));
                }
                Some(Err(error)) => return Some((Err(error), None)),
                Some(Ok(mut chunk)) => {
                    let length = chunk.len() as u64;
                    if skip >= length {
                        skip -= length;
                        continue;
                    }
                    let _ = chunk.split_to(skip as usize);
                    skip = 0;
                    if chunk.len() as u64 > left {
                        chunk.truncate(left as usize);
                    }
                    left -= chunk.len() as u64;
                    return Some((Ok(chunk), Some((stream, skip, left, image))));
                }
            }
        }
    }))
}

impl Registry {
    /// The remote serving `repository`, if one does.
    pub(crate) fn remote_for(&self, repository: &str) -> Option<&Arc<dyn Remote>> {
        self.options.remote.as_ref().filter(|remote| remote.serves(repository))
    }

    /// Refuses a write to a remote repository (after authorization, before any work).
    pub(crate) fn refuse_remote_writes(&self, route: &Route, method: &axum::http::Method) -> Result<()> {
        match repository(route) {
            Some(name) if writes(route, method) && self.remote_for(name).is_some() => {
                Err(read_only(name, &format!("{method} on {}", route.family())))
            }
            _ => Ok(()),
        }
    }

    /// A mount from a remote repository becomes the spec's fallback, a plain upload session:
    /// there is nothing local to link, and the client then uploads the blob as it would to any
    /// registry that declines a mount.
    pub(crate) fn without_remote_mount(&self, request: StartUpload) -> StartUpload {
        match request {
            StartUpload::Mount(Mount { digest, from: Some(from) }) if self.remote_for(&from).is_some() => {
                StartUpload::Mount(Mount { digest, from: None })
            }
            other => other,
        }
    }

    /// Refuses [`Registry::put_manifest`] and the like on a remote repository.
    pub(crate) fn refuse_remote_write(&self, repository: &str, what: &str) -> Result<()> {
        match self.remote_for(repository) {
            Some(_) => Err(read_only(repository, what)),
            None => Ok(()),
        }
    }
}

/// Checks a remote's manifest against the request: the digest asked for, the bytes' digest, a
/// media type that can be a header, a size the registry would accept.
pub(crate) fn check_manifest(
    repository: &str,
    reference: &ManifestReference,
    manifest: RemoteManifest,
    head: bool,
) -> Result<ServedManifest> {
    let image = match reference {
        ManifestReference::Tag(tag) => format!("{repository}:{tag}"),
        ManifestReference::Digest(digest) => format!("{repository}@{digest}"),
    };
    if let ManifestReference::Digest(asked) = reference
        && *asked != manifest.digest
    {
        return Err(upstream(image, format!("the upstream answered with manifest {}", manifest.digest)));
    }
    if manifest.media_type.is_empty() || axum::http::HeaderValue::from_str(&manifest.media_type).is_err() {
        return Err(upstream(image, format!("the upstream gave the media type `{}`", manifest.media_type)));
    }
    if manifest.size > MAX_MANIFEST_SIZE as u64 {
        return Err(upstream(
            image,
            format!("the manifest is {} bytes; this registry serves manifests up to 4 MiB", manifest.size),
        ));
    }
    match &manifest.content {
        Some(content) => {
            if content.len() as u64 != manifest.size {
                return Err(upstream(
                    image,
                    format!("the upstream said {} bytes and sent {}", manifest.size, content.len()),
                ));
            }
            if manifest.digest.verify(content).is_err() {
                let actual = Digest::of(manifest.digest.algorithm(), content);
                return Err(upstream(
                    image,
                    format!("the upstream said {} but the bytes it sent hash to {actual}", manifest.digest),
                ));
            }
        }
        None if !head => return Err(upstream(image, "the upstream sent no manifest bytes".to_owned())),
        None => {}
    }
    Ok(ServedManifest {
        digest: manifest.digest,
        media_type: manifest.media_type,
        size: manifest.size,
        content: if head { None } else { manifest.content },
    })
}

impl Registry {
    /// `GET`/`HEAD` of a blob of a remote repository, with `Range` as for a local blob: a
    /// malformed or unsatisfiable one is 416 naming the blob's size.
    pub(crate) async fn remote_blob(
        &self,
        remote: &dyn Remote,
        name: &str,
        digest: &Digest,
        head: bool,
        range: Option<RangeRequest>,
    ) -> Result<BlobContent> {
        let image = format!("{name}@{digest}");
        let unsatisfiable = |text: &str, size: u64| {
            Error::RangeNotSatisfiable(format!("Range `{text}` is not satisfiable for a blob of {size} bytes"), size)
        };
        let asked = match &range {
            None => None,
            Some(RangeRequest { range: Some(byte_range), .. }) => Some(*byte_range),
            // Malformed: refused as for a local blob, which needs the size.
            Some(RangeRequest { text, range: None }) => {
                let size = remote.blob(name, digest, None, true).await?.size;
                return Err(unsatisfiable(text, size));
            }
        };
        let served = remote.blob(name, digest, asked, head).await?;
        let size = served.size;
        let wanted = match (&range, asked) {
            (Some(request), Some(byte_range)) => {
                Some(byte_range.resolve(size).ok_or_else(|| unsatisfiable(&request.text, size))?)
            }
            _ => None,
        };
        // Where the bytes the client wants start in what the upstream sent.
        let skip = match (served.range, wanted) {
            (None, Some((first, _))) => first,
            (None, None) => 0,
            (Some(got), Some(want)) if got == want => 0,
            (Some(got), _) if wanted.is_none() && got == (0, size.saturating_sub(1)) => 0,
            (Some((first, last)), _) => {
                let asked = wanted.map_or_else(|| "the whole blob".to_owned(), |(a, b)| format!("bytes {a}-{b}"));
                return Err(upstream(image, format!("the upstream served bytes {first}-{last} for {asked}")));
            }
        };
        let mut content = BlobContent { digest: digest.clone(), size, range: wanted, body: None, file: None };
        if !head {
            let body = served.body.ok_or_else(|| upstream(image.clone(), "the upstream sent no bytes".to_owned()))?;
            let counter = self.metrics.bytes_sent.clone();
            let stream = cut(body, skip, content.length(), image).inspect(move |chunk| {
                if let Ok(chunk) = chunk {
                    counter.increment(chunk.len() as u64);
                }
            });
            content.body = Some(Box::pin(stream));
        }
        Ok(content)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Method;
    use futures_util::TryStreamExt;

    use super::*;
    use crate::blobs::BlobOutcome;
    use crate::manifests::ManifestOutcome;
    use crate::request::{BlobRequest, ManifestRequest, Page};

    fn stream_of(chunks: &[&'static [u8]]) -> ByteStream {
        let chunks: Vec<std::io::Result<Bytes>> = chunks.iter().map(|chunk| Ok(Bytes::from_static(chunk))).collect();
        Box::pin(futures_util::stream::iter(chunks))
    }

    async fn collect(stream: ByteStream) -> std::io::Result<Vec<u8>> {
        let chunks: Vec<Bytes> = stream.try_collect().await?;
        Ok(chunks.concat())
    }

    #[tokio::test]
    async fn cut_skips_and_limits_across_chunks() {
        let body = || stream_of(&[b"abc", b"defg", b"hij"]);
        assert_eq!(collect(cut(body(), 0, 10, "i".into())).await.unwrap(), b"abcdefghij");
        assert_eq!(collect(cut(body(), 4, 3, "i".into())).await.unwrap(), b"efg");
        assert_eq!(collect(cut(body(), 3, 7, "i".into())).await.unwrap(), b"defghij");
        assert_eq!(collect(cut(body(), 0, 2, "i".into())).await.unwrap(), b"ab");
        let short = collect(cut(body(), 2, 9, "proxy/a/b@x".into())).await.unwrap_err();
        assert!(short.to_string().contains("proxy/a/b@x") && short.to_string().contains("1 bytes short"), "{short}");
    }

    #[test]
    fn manifests_are_checked_against_their_digest_and_the_reference() {
        let bytes = Bytes::from_static(br#"{"schemaVersion":2}"#);
        let good = RemoteManifest::new(kots_oci::media_type::OCI_MANIFEST, bytes.clone());
        let tag = ManifestReference::Tag("v1".into());
        let checked = check_manifest("proxy/a/b", &tag, good.clone(), false).unwrap();
        assert_eq!((checked.digest, checked.content), (Digest::sha256_of(&bytes), Some(bytes.clone())));

        let other = ManifestReference::Digest(Digest::sha256_of(b"other"));
        let error = check_manifest("proxy/a/b", &other, good.clone(), false).unwrap_err();
        assert_eq!((error.status().as_u16(), error.code().as_str()), (502, "UNKNOWN"));
        assert!(error.to_string().contains(&format!("proxy/a/b@{}", Digest::sha256_of(b"other"))), "{error}");

        let lying = RemoteManifest { digest: Digest::sha256_of(b"x"), ..good.clone() };
        let error = check_manifest("proxy/a/b", &tag, lying, false).unwrap_err();
        assert!(error.to_string().contains("proxy/a/b:v1") && error.to_string().contains("hash to"), "{error}");

        let headers_only = RemoteManifest { content: None, ..good.clone() };
        assert_eq!(check_manifest("proxy/a/b", &tag, headers_only.clone(), true).unwrap().size, bytes.len() as u64);
        assert_eq!(check_manifest("proxy/a/b", &tag, headers_only, false).unwrap_err().status().as_u16(), 502);
        let bad_type = RemoteManifest { media_type: "a\nb".into(), ..good };
        assert_eq!(check_manifest("proxy/a/b", &tag, bad_type, false).unwrap_err().status().as_u16(), 502);
    }

    /// A remote holding one blob and one manifest, counting calls, and optionally ignoring
    /// ranges (as some upstreams do).
    struct Fake {
        blob: Bytes,
        manifest: Bytes,
        ignores_ranges: bool,
        calls: std::sync::atomic::AtomicUsize,
    }

    #[async_trait]
    impl Remote for Fake {
        fn serves(&self, repository: &str) -> bool {
            repository.starts_with("proxy/")
        }
        async fn manifest(
            &self,
            repository: &str,
            reference: &ManifestReference,
            _accepted: &[String],
            _head: bool,
        ) -> Result<RemoteManifest> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            match reference {
                ManifestReference::Tag(tag) if tag == "v1" => {
                    Ok(RemoteManifest::new(kots_oci::media_type::OCI_MANIFEST, self.manifest.clone()))
                }
                _ => Err(Error::ManifestUnknown(format!("{repository}:{reference} is not upstream"))),
            }
        }
        async fn blob(
            &self,
            _repository: &str,
            digest: &Digest,
            range: Option<ByteRange>,
            head: bool,
        ) -> Result<RemoteBlob> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if *digest != Digest::sha256_of(&self.blob) {
                return Err(Error::BlobUnknown(digest.clone()));
            }
            let size = self.blob.len() as u64;
            let range = if self.ignores_ranges { None } else { range.and_then(|range| range.resolve(size)) };
            let bytes = match range {
                Some((first, last)) => self.blob.slice(first as usize..=last as usize),
                None => self.blob.clone(),
            };
            let body: Option<ByteStream> =
                (!head).then(|| Box::pin(futures_util::stream::iter([Ok(bytes)])) as ByteStream);
            Ok(RemoteBlob { size, range, body })
        }
        async fn tags(&self, _repository: &str) -> Result<Vec<String>> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(vec!["v2".into(), "v1".into(), "a".into(), "v1".into()])
        }
    }

    async fn registry(directory: &std::path::Path, ignores_ranges: bool) -> (Registry, Arc<Fake>) {
        let fake = Arc::new(Fake {
            blob: Bytes::from_static(b"0123456789"),
            manifest: Bytes::from_static(br#"{"schemaVersion":2,"layers":[]}"#),
            ignores_ranges,
            calls: Default::default(),
        });
        let options = crate::Options { remote: Some(fake.clone()), ..Default::default() };
        (Registry::open_embedded(directory, options).await.unwrap(), fake)
    }

    fn range(text: &str) -> Option<RangeRequest> {
        Some(RangeRequest { text: text.to_owned(), range: ByteRange::parse(text) })
    }

    async fn get_blob(
        registry: &Registry,
        name: &str,
        digest: &Digest,
        range_text: Option<&str>,
    ) -> Result<BlobContent> {
        let request = BlobRequest::Get { head: false, range: range_text.and_then(range) };
        match registry.blob(name, digest, request).await? {
            BlobOutcome::Content(content) => Ok(content),
            _ => panic!("not content"),
        }
    }

    #[tokio::test]
    async fn ranges_are_served_as_asked_whether_or_not_the_upstream_honours_them() {
        for ignores_ranges in [false, true] {
            let temp = tempfile::tempdir().unwrap();
            let (registry, _) = registry(temp.path(), ignores_ranges).await;
            let digest = Digest::sha256_of(b"0123456789");
            for (text, expected, served) in
                [("bytes=2-4", &b"234"[..], (2, 4)), ("bytes=7-", b"789", (7, 9)), ("bytes=-2", b"89", (8, 9))]
            {
                let content = get_blob(&registry, "proxy/a/b", &digest, Some(text)).await.unwrap();
                assert_eq!((content.size, content.range), (10, Some(served)), "{text}");
                assert_eq!(collect(content.body.unwrap()).await.unwrap(), expected, "{text} {ignores_ranges}");
            }
            for text in ["bytes=10-", "bytes=x"] {
                let Err(error) = get_blob(&registry, "proxy/a/b", &digest, Some(text)).await else { panic!() };
                assert!(matches!(error, Error::RangeNotSatisfiable(_, 10)), "{text}: {error}");
            }
            let whole = get_blob(&registry, "proxy/a/b", &digest, None).await.unwrap();
            assert_eq!(collect(whole.body.unwrap()).await.unwrap(), b"0123456789");
        }
    }

    /// A local repository of the same name is never read: the remote answers, or nothing does.
    #[tokio::test]
    async fn remote_repositories_never_touch_the_stores() {
        let temp = tempfile::tempdir().unwrap();
        let (registry, fake) = registry(temp.path(), false).await;
        let get = ManifestRequest::Get { head: false, accepted: Vec::new() };
        let reference = ManifestReference::Tag("v1".into());
        let ManifestOutcome::Found(found) = registry.manifest("proxy/a/b", &reference, get).await.unwrap() else {
            panic!()
        };
        assert_eq!(found.content.as_deref(), Some(&br#"{"schemaVersion":2,"layers":[]}"#[..]));
        assert_eq!(fake.calls.load(std::sync::atomic::Ordering::Relaxed), 1);

        // Accept negotiation as for local manifests.
        let docker_only =
            ManifestRequest::Get { head: true, accepted: vec![kots_oci::media_type::DOCKER_MANIFEST.into()] };
        let error = registry.manifest("proxy/a/b", &reference, docker_only).await.unwrap_err();
        assert_eq!(error.code(), "MANIFEST_UNKNOWN");

        let error = registry
            .put_manifest("proxy/a/b", &reference, Some(kots_oci::media_type::OCI_MANIFEST), b"{}", Vec::new())
            .await
            .unwrap_err();
        assert_eq!((error.status().as_u16(), error.code().as_str()), (405, "UNSUPPORTED"));
        assert!(error.to_string().contains("read-only proxy"), "{error}");

        let page = |limit, last: Option<&str>| Page { limit, last: last.map(str::to_owned) };
        let tags = registry.tags("proxy/a/b", page(Some(1), None)).await.unwrap();
        assert_eq!(tags.tags, ["a"]);
        assert_eq!(tags.next.as_ref().map(|next| next.last.as_str()), Some("a"));
        let tags = registry.tags("proxy/a/b", page(None, Some("a"))).await.unwrap();
        assert_eq!((tags.tags, tags.next), (vec!["v1".to_owned(), "v2".to_owned()], None));

        let (stored, _) = registry.read_manifest("proxy/a/b", "v1").await.unwrap().map(|m| (m.2, m.1)).unwrap();
        assert_eq!(stored, Digest::sha256_of(br#"{"schemaVersion":2,"layers":[]}"#));
        assert!(registry.read_manifest("proxy/a/b", "missing").await.unwrap().is_none());
        let (size, body) = registry.read_blob("proxy/a/b", &Digest::sha256_of(b"0123456789")).await.unwrap().unwrap();
        assert_eq!((size, collect(body).await.unwrap()), (10, b"0123456789".to_vec()));
        assert!(registry.read_blob("proxy/a/b", &Digest::sha256_of(b"none")).await.unwrap().is_none());

        let referrers = registry.referrers("proxy/a/b", &Digest::sha256_of(b"x"), None).await.unwrap();
        assert!(referrers.descriptors.is_empty());
        // Nothing was ever written for it.
        assert!(!registry.metadata.repository_exists("proxy/a/b").await.unwrap());
    }

    #[tokio::test]
    async fn writes_are_refused_and_mounts_from_remote_repositories_fall_back() {
        let digest = Digest::sha256_of(b"x");
        let route = |path: &str, method: &Method| Route::parse(method, path).unwrap();
        let temp = tempfile::tempdir().unwrap();
        let (registry, _) = registry(temp.path(), false).await;
        for (method, path) in [
            (Method::POST, "/v2/proxy/a/b/blobs/uploads/".to_owned()),
            (Method::GET, format!("/v2/proxy/a/b/blobs/uploads/{}", uuid::Uuid::new_v4())),
            (Method::PUT, "/v2/proxy/a/b/manifests/v1".to_owned()),
            (Method::DELETE, "/v2/proxy/a/b/manifests/v1".to_owned()),
            (Method::DELETE, format!("/v2/proxy/a/b/blobs/{digest}")),
        ] {
            let error = registry.refuse_remote_writes(&route(&path, &method), &method).unwrap_err();
            assert_eq!(error.code(), "UNSUPPORTED", "{method} {path}");
            assert!(error.to_string().contains("`proxy/a/b` is a read-only proxy"), "{error}");
        }
        for (method, path) in [
            (Method::GET, "/v2/proxy/a/b/manifests/v1".to_owned()),
            (Method::HEAD, format!("/v2/proxy/a/b/blobs/{digest}")),
            (Method::GET, "/v2/proxy/a/b/tags/list".to_owned()),
            (Method::PUT, "/v2/local/manifests/v1".to_owned()),
            (Method::POST, "/v2/local/blobs/uploads/".to_owned()),
        ] {
            assert!(registry.refuse_remote_writes(&route(&path, &method), &method).is_ok(), "{method} {path}");
        }
        let mount = |from: &str| StartUpload::Mount(Mount { digest: digest.clone(), from: Some(from.to_owned()) });
        let StartUpload::Mount(kept) = registry.without_remote_mount(mount("local/a")) else { panic!() };
        assert_eq!(kept.from.as_deref(), Some("local/a"));
        let StartUpload::Mount(dropped) = registry.without_remote_mount(mount("proxy/a/b")) else { panic!() };
        assert_eq!(dropped.from, None);
    }
}

//! Storage latency for `/metrics`: each store wrapped so that every call is timed, by store and
//! operation (`kots_registry_storage_seconds{store,operation}`), whatever the backend.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use kots_oci::{Descriptor, Digest, Hasher};
use metrics::Histogram;

use super::{Appended, BlobStore, ByteStream, ManifestEntry, ManifestRecord, MetadataStore, Result, UploadRecord};

pub struct Timed<T: ?Sized> {
    inner: Arc<T>,
    histograms: HashMap<&'static str, Histogram>,
}

pub const BLOB_OPERATIONS: [&str; 13] = [
    "health",
    "read",
    "exists",
    "download_url",
    "local_file",
    "append",
    "put_whole",
    "rehash",
    "commit",
    "discard",
    "sweep_orphans",
    "list",
    "remove",
];
pub const METADATA_OPERATIONS: [&str; 30] = [
    "health",
    "linked_blob",
    "linked_blobs",
    "link_blob",
    "unlink_blob",
    "existing_manifests",
    "put_manifest",
    "get_manifest",
    "resolve_tag",
    "delete_manifest",
    "delete_tag",
    "repository_exists",
    "list_tags",
    "list_repositories",
    "list_repositories_under",
    "referrers",
    "create_upload",
    "get_upload",
    "update_upload",
    "delete_upload",
    "lease_upload",
    "release_upload",
    "idle_uploads",
    "all_uploads",
    "manifest_entries",
    "manifest_content",
    "stored_blobs",
    "forget_blobs",
    "unreferenced_manifest_contents",
    "forget_manifest_content",
];

impl<T: ?Sized> Timed<T> {
    /// `histogram` makes the handle for one operation (in the registry's own recorder).
    pub fn new(inner: Arc<T>, operations: &[&'static str], histogram: impl Fn(&'static str) -> Histogram) -> Timed<T> {
        Timed { inner, histograms: operations.iter().map(|operation| (*operation, histogram(operation))).collect() }
    }

    async fn time<R>(&self, operation: &'static str, call: impl Future<Output = R>) -> R {
        let started = std::time::Instant::now();
        let result = call.await;
        if let Some(histogram) = self.histograms.get(operation) {
            histogram.record(started.elapsed().as_secs_f64());
        }
        result
    }
}

#[async_trait]
impl BlobStore for Timed<dyn BlobStore> {
    async fn health(&self) -> Result<()> {
        self.time("health", self.inner.health()).await
    }

    async fn read(&self, digest: &Digest, offset: u64, length: u64) -> Result<ByteStream> {
        self.time("read", self.inner.read(digest, offset, length)).await
    }

    async fn exists(&self, digest: &Digest) -> Result<bool> {
        self.time("exists", self.inner.exists(digest)).await
    }

    async fn download_url(&self, digest: &Digest) -> Result<Option<String>> {
        self.time("download_url", self.inner.download_url(digest)).await
    }

    async fn local_file(&self, digest: &Digest) -> Result<Option<std::fs::File>> {
        self.time("local_file", self.inner.local_file(digest)).await
    }

    async fn append(
        &self,
        session: &str,
        offset: u64,
        hasher: Hasher,
        expected_length: Option<u64>,
        body: ByteStream,
    ) -> Result<Appended> {
        self.time("append", self.inner.append(session, offset, hasher, expected_length, body)).await
    }

    async fn put_whole(
        &self,
        session: &str,
        digest: &Digest,
        expected_length: Option<u64>,
        body: ByteStream,
    ) -> Result<(u64, Digest)> {
        self.time("put_whole", self.inner.put_whole(session, digest, expected_length, body)).await
    }

    async fn rehash(&self, session: &str, size: u64, hasher: Hasher) -> Result<Digest> {
        self.time("rehash", self.inner.rehash(session, size, hasher)).await
    }

    async fn commit(&self, session: &str, digest: &Digest, size: u64) -> Result<()> {
        self.time("commit", self.inner.commit(session, digest, size)).await
    }

    async fn discard(&self, session: &str) -> Result<()> {
        self.time("discard", self.inner.discard(session)).await
    }

    async fn sweep_orphans(&self, live_sessions: &[String], grace: std::time::Duration) -> Result<usize> {
        self.time("sweep_orphans", self.inner.sweep_orphans(live_sessions, grace)).await
    }

    async fn list(&self) -> Result<Vec<Digest>> {
        self.time("list", self.inner.list()).await
    }

    async fn remove(&self, digest: &Digest) -> Result<()> {
        self.time("remove", self.inner.remove(digest)).await
    }
}

#[async_trait]
impl MetadataStore for Timed<dyn MetadataStore> {
    async fn health(&self) -> Result<()> {
        self.time("health", self.inner.health()).await
    }

    async fn linked_blob(&self, repository: &str, digest: &Digest) -> Result<Option<u64>> {
        self.time("linked_blob", self.inner.linked_blob(repository, digest)).await
    }

    async fn linked_blobs(&self, repository: &str, digests: &[&Digest]) -> Result<HashMap<Digest, u64>> {
        self.time("linked_blobs", self.inner.linked_blobs(repository, digests)).await
    }

    async fn link_blob(&self, repository: &str, digest: &Digest, size: u64) -> Result<()> {
        self.time("link_blob", self.inner.link_blob(repository, digest, size)).await
    }

    async fn unlink_blob(&self, repository: &str, digest: &Digest) -> Result<bool> {
        self.time("unlink_blob", self.inner.unlink_blob(repository, digest)).await
    }

    async fn existing_manifests(&self, repository: &str, digests: &[&Digest]) -> Result<Vec<Digest>> {
        self.time("existing_manifests", self.inner.existing_manifests(repository, digests)).await
    }

    async fn put_manifest(
        &self,
        repository: &str,
        record: &ManifestRecord,
        content: &[u8],
        tag: Option<&str>,
    ) -> Result<()> {
        self.time("put_manifest", self.inner.put_manifest(repository, record, content, tag)).await
    }

    async fn get_manifest(&self, repository: &str, digest: &Digest) -> Result<Option<(ManifestRecord, Bytes)>> {
        self.time("get_manifest", self.inner.get_manifest(repository, digest)).await
    }

    async fn resolve_tag(&self, repository: &str, tag: &str) -> Result<Option<Digest>> {
        self.time("resolve_tag", self.inner.resolve_tag(repository, tag)).await
    }

    async fn delete_manifest(&self, repository: &str, digest: &Digest) -> Result<bool> {
        self.time("delete_manifest", self.inner.delete_manifest(repository, digest)).await
    }

    async fn delete_tag(&self, repository: &str, tag: &str) -> Result<bool> {
        self.time("delete_tag", self.inner.delete_tag(repository, tag)).await
    }

    async fn repository_exists(&self, repository: &str) -> Result<bool> {
        self.time("repository_exists", self.inner.repository_exists(repository)).await
    }

    async fn list_tags(&self, repository: &str, last: Option<&str>, limit: usize) -> Result<Vec<String>> {
        self.time("list_tags", self.inner.list_tags(repository, last, limit)).await
    }

    async fn list_repositories(&self, last: Option<&str>, limit: usize) -> Result<Vec<String>> {
        self.time("list_repositories", self.inner.list_repositories(last, limit)).await
    }

    async fn list_repositories_under(&self, prefix: &str, last: Option<&str>, limit: usize) -> Result<Vec<String>> {
        self.time("list_repositories_under", self.inner.list_repositories_under(prefix, last, limit)).await
    }

    async fn referrers(&self, repository: &str, digest: &Digest) -> Result<Vec<Descriptor>> {
        self.time("referrers", self.inner.referrers(repository, digest)).await
    }

    async fn create_upload(&self, session: &str, repository: &str, hasher: &Hasher) -> Result<()> {
        self.time("create_upload", self.inner.create_upload(session, repository, hasher)).await
    }

    async fn get_upload(&self, session: &str) -> Result<Option<UploadRecord>> {
        self.time("get_upload", self.inner.get_upload(session)).await
    }

    async fn update_upload(&self, session: &str, size: u64, hasher: &Hasher) -> Result<()> {
        self.time("update_upload", self.inner.update_upload(session, size, hasher)).await
    }

    async fn delete_upload(&self, session: &str) -> Result<()> {
        self.time("delete_upload", self.inner.delete_upload(session)).await
    }

    async fn lease_upload(&self, session: &str, holder: &str, seconds: u64) -> Result<bool> {
        self.time("lease_upload", self.inner.lease_upload(session, holder, seconds)).await
    }

    async fn release_upload(&self, session: &str, holder: &str) -> Result<()> {
        self.time("release_upload", self.inner.release_upload(session, holder)).await
    }

    async fn idle_uploads(&self, max_idle_seconds: u64) -> Result<Vec<String>> {
        self.time("idle_uploads", self.inner.idle_uploads(max_idle_seconds)).await
    }

    async fn all_uploads(&self) -> Result<Vec<String>> {
        self.time("all_uploads", self.inner.all_uploads()).await
    }

    async fn manifest_entries(&self) -> Result<Vec<ManifestEntry>> {
        self.time("manifest_entries", self.inner.manifest_entries()).await
    }

    async fn manifest_content(&self, digest: &Digest) -> Result<Option<Bytes>> {
        self.time("manifest_content", self.inner.manifest_content(digest)).await
    }

    async fn stored_blobs(&self) -> Result<Vec<(Digest, u64)>> {
        self.time("stored_blobs", self.inner.stored_blobs()).await
    }

    async fn forget_blobs(&self, digests: &[Digest]) -> Result<u64> {
        self.time("forget_blobs", self.inner.forget_blobs(digests)).await
    }

    async fn unreferenced_manifest_contents(&self) -> Result<Vec<Digest>> {
        self.time("unreferenced_manifest_contents", self.inner.unreferenced_manifest_contents()).await
    }

    async fn forget_manifest_content(&self, digest: &Digest) -> Result<bool> {
        self.time("forget_manifest_content", self.inner.forget_manifest_content(digest)).await
    }
}

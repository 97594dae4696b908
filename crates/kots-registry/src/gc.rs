//! Garbage collection: removes the blobs no manifest needs any more (layers and configs of
//! deleted images, uploads never followed by a manifest, bytes a crash left without a record).
//!
//! Mark and sweep, as Distribution's `garbage-collect` does, and with its rule: no push may
//! run meanwhile, since a push links its blobs before the manifest that needs them arrives.
//! The embedded registry enforces that with a lock on the data folder (see [`DataDirLock`]):
//! a serving registry holds it exclusively, `serve --read-only` and collection share it.
//! Replicas sharing a database are restarted `--read-only` by their operator first.
//!
//! Order keeps a crash harmless: a blob's metadata goes before its bytes, so at any moment a
//! visible blob has its bytes; bytes left without metadata are found by the next run.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use futures_util::{StreamExt, TryStreamExt};
use kots_oci::Digest;

use crate::error::{Error, Result};
use crate::storage::{BlobStore, MetadataStore};

/// What a collection found and did (or, dry, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub manifests: usize,
    pub blobs_kept: usize,
    pub bytes_kept: u64,
    /// Blobs no manifest references: their records, their links and their bytes.
    pub blobs_removed: usize,
    pub bytes_removed: u64,
    /// Repository links that went with them (not counted in a dry run).
    pub links_removed: u64,
    /// Stored bytes with no record (an upload cut off between bytes and record).
    pub strays_removed: usize,
    /// Bytes of manifests no repository holds any more.
    pub manifest_contents_removed: usize,
}

/// Collects garbage in one registry's stores. With `dry_run`, only reports.
pub async fn collect(blobs: &dyn BlobStore, metadata: &dyn MetadataStore, dry_run: bool) -> Result<Report> {
    let mut report = Report::default();

    // Mark: every blob any manifest of any repository names.
    let mut referenced = HashSet::new();
    let manifests = metadata.manifest_digests().await?;
    report.manifests = manifests.len();
    for digest in &manifests {
        let Some(content) = metadata.manifest_content(digest).await? else {
            return Err(Error::Internal(format!(
                "manifest {digest} has no stored content; nothing was removed (the metadata needs repair first)"
            )));
        };
        referenced.extend(referenced_blobs(digest, &content)?);
    }

    // Sweep the records, then the bytes they described, a batch at a time.
    let (mut kept, mut swept) = (HashSet::new(), Vec::new());
    for (digest, size) in metadata.stored_blobs().await? {
        if referenced.contains(&digest) {
            report.blobs_kept += 1;
            report.bytes_kept += size;
            kept.insert(digest);
        } else {
            report.blobs_removed += 1;
            report.bytes_removed += size;
            swept.push(digest);
        }
    }
    if !dry_run {
        for batch in swept.chunks(BATCH) {
            report.links_removed += metadata.forget_blobs(batch).await?;
            remove_all(blobs, batch).await?;
        }
    }
    let swept: HashSet<Digest> = swept.into_iter().collect();
    let strays: Vec<Digest> =
        blobs.list().await?.into_iter().filter(|digest| !kept.contains(digest) && !swept.contains(digest)).collect();
    report.strays_removed = strays.len();
    if !dry_run {
        remove_all(blobs, &strays).await?;
    }
    for digest in metadata.unreferenced_manifest_contents().await? {
        if dry_run || metadata.forget_manifest_content(&digest).await? {
            report.manifest_contents_removed += 1;
        }
    }
    Ok(report)
}

/// Records forgotten per transaction.
const BATCH: usize = 500;
/// Blob removals in flight at once (object stores answer each in milliseconds).
const PARALLEL_REMOVALS: usize = 16;

async fn remove_all(blobs: &dyn BlobStore, digests: &[Digest]) -> Result<()> {
    futures_util::stream::iter(digests.iter().map(|digest| blobs.remove(digest)))
        .buffer_unordered(PARALLEL_REMOVALS)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// The blobs a manifest needs: its config and all its layers (foreign ones too: if their bytes
/// are here, something pushed them on purpose). Read as plain JSON, so that no manifest this
/// registry accepted can be misread; one that is not JSON stops the collection.
fn referenced_blobs(digest: &Digest, content: &[u8]) -> Result<Vec<Digest>> {
    let unreadable =
        |reason: String| Error::Internal(format!("manifest {digest} cannot be read ({reason}); nothing was removed"));
    let json: serde_json::Value = serde_json::from_slice(content).map_err(|e| unreadable(e.to_string()))?;
    let mut found = Vec::new();
    let descriptors = json
        .get("config")
        .into_iter()
        .chain(["layers", "blobs"].iter().filter_map(|key| json.get(key)).filter_map(|v| v.as_array()).flatten());
    for descriptor in descriptors {
        if let Some(text) = descriptor.get("digest").and_then(|v| v.as_str()) {
            found.push(Digest::parse(text).map_err(|e| unreadable(e.to_string()))?);
        }
    }
    Ok(found)
}

/// Who may use an embedded data folder at once: one registry that writes, or any number of
/// readers (`serve --read-only`, garbage collection). An advisory lock on `DIR/registry.lock`,
/// released by the kernel when the process ends, however it ends.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    /// The exclusive lock a writing registry holds.
    pub fn writer(data_dir: &Path) -> Result<DataDirLock> {
        DataDirLock::take(data_dir, true)
    }

    /// The shared lock of `serve --read-only` and garbage collection.
    pub fn reader(data_dir: &Path) -> Result<DataDirLock> {
        DataDirLock::take(data_dir, false)
    }

    fn take(data_dir: &Path, exclusive: bool) -> Result<DataDirLock> {
        let path: PathBuf = data_dir.join("registry.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::Internal(format!("cannot open `{}`: {e}", path.display())))?;
        let taken = if exclusive { file.try_lock() } else { file.try_lock_shared() };
        match taken {
            Ok(()) => Ok(DataDirLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::Internal(if exclusive {
                format!(
                    "the data folder `{}` is in use by another kots-registry (serving, or collecting garbage); stop it first, or serve --read-only beside it",
                    data_dir.display()
                )
            } else {
                format!(
                    "the data folder `{}` is in use by a kots-registry that accepts pushes; stop it (or restart it with --read-only) first",
                    data_dir.display()
                )
            })),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(Error::Internal(format!("cannot lock `{}`: {e}", path.display())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::storage::{ByteStream, ManifestRecord, S3BlobStore, S3Options, SqlMetadataStore};

    fn body(bytes: Vec<u8>) -> ByteStream {
        Box::pin(futures_util::stream::iter([Ok(bytes::Bytes::from(bytes))]))
    }

    /// The scale-out stores: blobs in S3 (one of them in several parts, behind a pointer),
    /// metadata in PostgreSQL.
    #[tokio::test(flavor = "multi_thread")]
    async fn collects_on_object_storage_and_postgres() {
        let s3 = tokio::task::spawn_blocking(crate::storage::local_s3::LocalS3::start).await.unwrap();
        let postgres = tokio::task::spawn_blocking(crate::local_postgres::LocalPostgres::start).await.unwrap().unwrap();
        let part = 5 * 1024 * 1024;
        let blobs = S3BlobStore::open(&S3Options {
            bucket: s3.bucket.clone(),
            prefix: "gc".into(),
            endpoint: Some(s3.endpoint.clone()),
            region: Some("us-east-1".into()),
            path_style: true,
            access_key_id: Some(s3.access_key.clone()),
            secret_access_key: Some(s3.secret_key.clone()),
            part_size: part,
            redirect_downloads: None,
        })
        .unwrap();
        let metadata = Arc::new(SqlMetadataStore::postgres(&postgres.url, 4).await.unwrap());

        // A config and a large layer a manifest needs; a large layer and a small blob it does not.
        let mut stored = Vec::new();
        for (index, size) in [(1u8, 100), (2, 2 * part + 7), (3, 2 * part + 9), (4, 50)] {
            let bytes = vec![index; size];
            let digest = Digest::sha256_of(&bytes);
            blobs.put_whole(&format!("whole-{index}"), &digest, None, body(bytes)).await.unwrap();
            metadata.link_blob("app/api", &digest, size as u64).await.unwrap();
            stored.push((digest, size as u64));
        }
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": kots_oci::media_type::OCI_MANIFEST,
            "config": {"mediaType": kots_oci::media_type::OCI_CONFIG, "digest": stored[0].0, "size": stored[0].1},
            "layers": [{"mediaType": kots_oci::media_type::OCI_LAYER_GZIP, "digest": stored[1].0, "size": stored[1].1}],
        })
        .to_string();
        let record = ManifestRecord {
            digest: Digest::sha256_of(manifest.as_bytes()),
            media_type: kots_oci::media_type::OCI_MANIFEST.into(),
            size: manifest.len() as u64,
            artifact_type: None,
            subject: None,
            annotations: None,
        };
        metadata.put_manifest("app/api", &record, manifest.as_bytes(), Some("1.0")).await.unwrap();

        let dry = collect(&blobs, metadata.as_ref(), true).await.unwrap();
        assert_eq!((dry.blobs_removed, dry.bytes_removed, dry.strays_removed), (2, stored[2].1 + stored[3].1, 0));
        assert_eq!(blobs.list().await.unwrap().len(), 4, "a dry run removes nothing");

        let report = collect(&blobs, metadata.as_ref(), false).await.unwrap();
        assert_eq!((report.manifests, report.blobs_kept, report.blobs_removed, report.links_removed), (1, 2, 2, 2));
        let mut left = blobs.list().await.unwrap();
        left.sort();
        let mut needed = vec![stored[0].0.clone(), stored[1].0.clone()];
        needed.sort();
        assert_eq!(left, needed);
        assert!(!blobs.exists(&stored[2].0).await.unwrap(), "the multipart data went with its pointer");
        assert_eq!(metadata.linked_blob("app/api", &stored[3].0).await.unwrap(), None);
        assert_eq!(metadata.linked_blob("app/api", &stored[1].0).await.unwrap(), Some(stored[1].1));
        let again = collect(&blobs, metadata.as_ref(), false).await.unwrap();
        assert_eq!((again.blobs_removed, again.strays_removed), (0, 0));
    }

    #[test]
    fn a_manifest_that_is_not_json_stops_the_collection() {
        let digest = Digest::sha256_of(b"{");
        let error = referenced_blobs(&digest, b"{").unwrap_err();
        assert!(error.to_string().contains("nothing was removed"), "{error}");
        let found = referenced_blobs(
            &digest,
            br#"{"config":{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"layers":[],"blobs":[{"digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111"}]}"#,
        )
        .unwrap();
        assert_eq!(found.len(), 2, "configs, layers and old-style artifact blobs");
    }
}

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

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use futures_util::{StreamExt, TryStreamExt};
use kots_oci::Digest;

use crate::error::{Error, Result};
use crate::storage::{BlobStore, ManifestEntry, MetadataStore};

/// What to collect.
#[derive(Debug, Default, Clone, Copy)]
pub struct GcOptions {
    /// Only report.
    pub dry_run: bool,
    /// Also delete manifests that no tag reaches (directly, as a child of a reached index, or
    /// as a referrer of a reached manifest): the old versions left when a tag moves. Images
    /// pulled only by digest go with them, hence opt-in, as in Distribution.
    pub delete_untagged: bool,
}

/// What a collection found and did (or, dry, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Manifests kept, in all repositories.
    pub manifests: usize,
    pub blobs_kept: usize,
    pub bytes_kept: u64,
    /// Repository links that went with the removed blobs (not counted in a dry run).
    pub links_removed: u64,
    /// Bytes of manifests no repository holds any more.
    pub manifest_contents_removed: usize,
    /// Untagged manifests deleted (with `delete_untagged`), by repository.
    pub removed_manifests: Vec<(String, Digest)>,
    /// Blobs no manifest references (their records, links and bytes), with their sizes.
    pub removed_blobs: Vec<(Digest, u64)>,
    /// Stored bytes with no record (an upload cut off between bytes and record).
    pub removed_strays: Vec<Digest>,
}

impl Report {
    pub fn manifests_removed(&self) -> usize {
        self.removed_manifests.len()
    }

    pub fn blobs_removed(&self) -> usize {
        self.removed_blobs.len()
    }

    pub fn bytes_removed(&self) -> u64 {
        self.removed_blobs.iter().map(|(_, size)| size).sum()
    }

    pub fn strays_removed(&self) -> usize {
        self.removed_strays.len()
    }
}

/// What one manifest names.
#[derive(Default)]
struct Names {
    blobs: Vec<Digest>,
    children: Vec<Digest>,
}

/// Collects garbage in one registry's stores.
pub async fn collect(blobs: &dyn BlobStore, metadata: &dyn MetadataStore, options: GcOptions) -> Result<Report> {
    let GcOptions { dry_run, delete_untagged } = options;
    let mut report = Report::default();

    // What every manifest names, read once per distinct manifest.
    let entries = metadata.manifest_entries().await?;
    let mut names: HashMap<Digest, Names> = HashMap::new();
    for entry in &entries {
        if names.contains_key(&entry.digest) {
            continue;
        }
        let Some(content) = metadata.manifest_content(&entry.digest).await? else {
            return Err(Error::Internal(format!(
                "manifest {} has no stored content; nothing was removed (the metadata needs repair first)",
                entry.digest
            )));
        };
        names.insert(entry.digest.clone(), read_names(&entry.digest, &content)?);
    }

    // Which manifests stay: all, or those a tag reaches.
    let kept = match delete_untagged {
        false => entries.iter().collect(),
        true => reached_from_tags(&entries, &names),
    };
    for entry in entries.iter().filter(|entry| !kept.contains(entry)) {
        report.removed_manifests.push((entry.repository.clone(), entry.digest.clone()));
        if !dry_run {
            metadata.delete_manifest(&entry.repository, &entry.digest).await?;
        }
    }
    report.manifests = kept.len();

    // Mark: every blob a kept manifest names.
    let referenced: HashSet<&Digest> = kept.iter().flat_map(|entry| &names[&entry.digest].blobs).collect();

    // Sweep the records, then the bytes they described, a batch at a time.
    let (mut staying, mut swept) = (HashSet::new(), Vec::new());
    for (digest, size) in metadata.stored_blobs().await? {
        if referenced.contains(&digest) {
            report.blobs_kept += 1;
            report.bytes_kept += size;
            staying.insert(digest);
        } else {
            report.removed_blobs.push((digest.clone(), size));
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
        blobs.list().await?.into_iter().filter(|digest| !staying.contains(digest) && !swept.contains(digest)).collect();
    if !dry_run {
        remove_all(blobs, &strays).await?;
    }
    report.removed_strays = strays;
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

/// Within each repository, the manifests a tag reaches: tagged ones, the children of reached
/// indexes, and the referrers (signatures, SBOMs) of reached manifests, to a fixed point.
fn reached_from_tags<'a>(entries: &'a [ManifestEntry], names: &HashMap<Digest, Names>) -> HashSet<&'a ManifestEntry> {
    let mut reached: HashSet<&ManifestEntry> = entries.iter().filter(|entry| entry.tagged).collect();
    loop {
        let reached_digests: HashSet<(&str, &Digest)> =
            reached.iter().map(|entry| (entry.repository.as_str(), &entry.digest)).collect();
        let children: HashSet<(&str, &Digest)> = reached
            .iter()
            .flat_map(|entry| names[&entry.digest].children.iter().map(|child| (entry.repository.as_str(), child)))
            .collect();
        let more: Vec<&ManifestEntry> = entries
            .iter()
            .filter(|entry| !reached.contains(entry))
            .filter(|entry| {
                let repository = entry.repository.as_str();
                children.contains(&(repository, &entry.digest))
                    || entry.subject.as_ref().is_some_and(|subject| reached_digests.contains(&(repository, subject)))
            })
            .collect();
        if more.is_empty() {
            return reached;
        }
        reached.extend(more);
    }
}

/// The blobs a manifest needs (its config and all its layers, foreign ones too: if their bytes
/// are here, something pushed them on purpose) and the manifests an index lists. Read as plain
/// JSON, so that no manifest this registry accepted can be misread; one that is not JSON stops
/// the collection.
fn read_names(digest: &Digest, content: &[u8]) -> Result<Names> {
    let unreadable =
        |reason: String| Error::Internal(format!("manifest {digest} cannot be read ({reason}); nothing was removed"));
    let json: serde_json::Value = serde_json::from_slice(content).map_err(|e| unreadable(e.to_string()))?;
    let digests = |descriptors: Vec<&serde_json::Value>| -> Result<Vec<Digest>> {
        descriptors
            .into_iter()
            .filter_map(|descriptor| descriptor.get("digest").and_then(|v| v.as_str()))
            .map(|text| Digest::parse(text).map_err(|e| unreadable(e.to_string())))
            .collect()
    };
    let list = |key: &str| json.get(key).and_then(|v| v.as_array()).into_iter().flatten();
    Ok(Names {
        blobs: digests(json.get("config").into_iter().chain(list("layers")).chain(list("blobs")).collect())?,
        children: digests(list("manifests").collect())?,
    })
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
        let s3 = tokio::task::spawn_blocking(kots_testkit::LocalS3::start).await.unwrap();
        let postgres = tokio::task::spawn_blocking(kots_testkit::LocalPostgres::start).await.unwrap().unwrap();
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

        let dry =
            collect(&blobs, metadata.as_ref(), GcOptions { dry_run: true, ..GcOptions::default() }).await.unwrap();
        assert_eq!((dry.blobs_removed(), dry.bytes_removed(), dry.strays_removed()), (2, stored[2].1 + stored[3].1, 0));
        assert_eq!(blobs.list().await.unwrap().len(), 4, "a dry run removes nothing");

        let report = collect(&blobs, metadata.as_ref(), GcOptions::default()).await.unwrap();
        assert_eq!((report.manifests, report.blobs_kept, report.blobs_removed(), report.links_removed), (1, 2, 2, 2));
        let mut left = blobs.list().await.unwrap();
        left.sort();
        let mut needed = vec![stored[0].0.clone(), stored[1].0.clone()];
        needed.sort();
        assert_eq!(left, needed);
        assert!(!blobs.exists(&stored[2].0).await.unwrap(), "the multipart data went with its pointer");
        assert_eq!(metadata.linked_blob("app/api", &stored[3].0).await.unwrap(), None);
        assert_eq!(metadata.linked_blob("app/api", &stored[1].0).await.unwrap(), Some(stored[1].1));
        let again = collect(&blobs, metadata.as_ref(), GcOptions::default()).await.unwrap();
        assert_eq!((again.blobs_removed(), again.strays_removed()), (0, 0));
    }

    /// Stores `bytes` as a blob linked to `repository`.
    async fn blob(blobs: &dyn BlobStore, metadata: &dyn MetadataStore, repository: &str, bytes: &[u8]) -> Digest {
        let digest = Digest::sha256_of(bytes);
        blobs.put_whole(&format!("s-{}", digest.hex()), &digest, None, body(bytes.to_vec())).await.unwrap();
        metadata.link_blob(repository, &digest, bytes.len() as u64).await.unwrap();
        digest
    }

    /// Puts a manifest of `layers` (an index of `children` if any) with an optional subject.
    async fn manifest(
        metadata: &dyn MetadataStore,
        repository: &str,
        layers: &[&Digest],
        children: &[&Digest],
        subject: Option<&Digest>,
        tag: Option<&str>,
    ) -> Digest {
        let descriptor =
            |digest: &Digest| serde_json::json!({"mediaType": "application/octet-stream", "digest": digest, "size": 1});
        let mut json = match children.is_empty() {
            true => {
                serde_json::json!({"schemaVersion": 2, "layers": layers.iter().map(|d| descriptor(d)).collect::<Vec<_>>()})
            }
            false => {
                serde_json::json!({"schemaVersion": 2, "manifests": children.iter().map(|d| descriptor(d)).collect::<Vec<_>>()})
            }
        };
        if let Some(subject) = subject {
            json["subject"] = descriptor(subject);
        }
        let content = json.to_string();
        let record = ManifestRecord {
            digest: Digest::sha256_of(content.as_bytes()),
            media_type: kots_oci::media_type::OCI_MANIFEST.into(),
            size: content.len() as u64,
            artifact_type: None,
            subject: subject.cloned(),
            annotations: None,
        };
        metadata.put_manifest(repository, &record, content.as_bytes(), tag).await.unwrap();
        record.digest
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn untagged_manifests_go_only_when_asked_and_only_those_no_tag_reaches() {
        let temp = tempfile::tempdir().unwrap();
        let blobs = crate::storage::FilesystemBlobStore::open(temp.path()).unwrap();
        let metadata = SqlMetadataStore::sqlite(&temp.path().join("registry.db")).await.unwrap();
        let (b, m) = (&blobs as &dyn BlobStore, &metadata as &dyn MetadataStore);
        let repo = "app/api";
        let [shared, old, new, child, signature, stale_signature, pinned] =
            ["shared", "old", "new", "child", "sig", "stale sig", "pinned"].map(|name| name.as_bytes());
        let shared = blob(b, m, repo, shared).await;
        let old = blob(b, m, repo, old).await;
        let new = blob(b, m, repo, new).await;
        let child = blob(b, m, repo, child).await;
        let signature = blob(b, m, repo, signature).await;
        let stale_signature = blob(b, m, repo, stale_signature).await;
        let pinned = blob(b, m, repo, pinned).await;
        // The tag 1.0 moves from v1 to v2; v1 keeps a signature of its own.
        let v1 = manifest(m, repo, &[&shared, &old], &[], None, Some("1.0")).await;
        let v2 = manifest(m, repo, &[&shared, &new], &[], None, Some("1.0")).await;
        manifest(m, repo, &[&stale_signature], &[], Some(&v1), None).await;
        manifest(m, repo, &[&signature], &[], Some(&v2), None).await;
        // A tagged index reaches its untagged child; an image pushed by digest only.
        let platform = manifest(m, repo, &[&child], &[], None, None).await;
        manifest(m, repo, &[], &[&platform], None, Some("multi")).await;
        manifest(m, repo, &[&pinned], &[], None, None).await;

        let all = collect(b, m, GcOptions::default()).await.unwrap();
        assert_eq!(
            (all.manifests, all.manifests_removed(), all.blobs_removed()),
            (7, 0, 0),
            "untagged stay by default"
        );

        let options = GcOptions { delete_untagged: true, dry_run: true };
        let dry = collect(b, m, options).await.unwrap();
        assert_eq!((dry.manifests, dry.manifests_removed(), dry.blobs_removed()), (4, 3, 3));
        assert_eq!(m.manifest_entries().await.unwrap().len(), 7, "a dry run deletes nothing");

        let report = collect(b, m, GcOptions { delete_untagged: true, dry_run: false }).await.unwrap();
        assert_eq!((report.manifests, report.manifests_removed(), report.blobs_removed()), (4, 3, 3));
        assert_eq!(report.manifest_contents_removed, 3);
        let left: HashSet<Digest> = b.list().await.unwrap().into_iter().collect();
        let expected: HashSet<Digest> = [shared, new, child, signature].into_iter().collect();
        assert_eq!(left, expected, "v1's own layer, its signature's and the pinned image's went");
        assert!(m.get_manifest(repo, &v1).await.unwrap().is_none());
        assert!(m.get_manifest(repo, &v2).await.unwrap().is_some());
        assert!(m.get_manifest(repo, &platform).await.unwrap().is_some(), "the index's child stays");
    }

    #[test]
    fn a_manifest_that_is_not_json_stops_the_collection() {
        let digest = Digest::sha256_of(b"{");
        let error = read_names(&digest, b"{").err().unwrap();
        assert!(error.to_string().contains("nothing was removed"), "{error}");
        let found = read_names(
            &digest,
            br#"{"config":{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"layers":[],"blobs":[{"digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111"}]}"#,
        )
        .unwrap();
        assert_eq!(found.blobs.len(), 2, "configs, layers and old-style artifact blobs");
    }
}

//! What every storage backend must do, as functions each backend's tests call with a fresh
//! store: [`metadata_store`] for a [`MetadataStore`] (SQLite, PostgreSQL on a
//! [`LocalPostgres`](crate::LocalPostgres)), [`blob_store`] for a [`BlobStore`] (files, S3 on a
//! [`LocalS3`](crate::LocalS3) or [`MotoS3`](crate::MotoS3)). A new backend passes both before
//! the registry may use it. Races two replicas can have are played out on one store from many
//! tasks. They panic at the first thing a store gets wrong.

use std::sync::Arc;

use kots_oci::Digest;
use kots_registry::storage::{BlobStore, ByteStream, ManifestRecord, MetadataStore};

fn record(bytes: &[u8], subject: Option<&Digest>) -> ManifestRecord {
    ManifestRecord {
        digest: Digest::sha256_of(bytes),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        size: bytes.len() as u64,
        artifact_type: subject.map(|_| "application/example".into()),
        subject: subject.cloned(),
        annotations: Some(r#"{"k":"v"}"#.into()),
    }
}

/// Runs every check on `store`, which must be empty.
pub async fn metadata_store(store: Arc<dyn MetadataStore>) {
    store.health().await.unwrap();
    let layer = Digest::sha256_of(b"layer");
    assert_eq!(store.linked_blob("a/b", &layer).await.unwrap(), None);
    assert!(!store.repository_exists("a/b").await.unwrap());
    store.link_blob("a/b", &layer, 5).await.unwrap();
    store.link_blob("a/b", &layer, 5).await.unwrap();
    assert_eq!(store.linked_blob("a/b", &layer).await.unwrap(), Some(5));
    assert_eq!(store.linked_blob("other", &layer).await.unwrap(), None, "links are per repository");
    let absent = Digest::sha256_of(b"absent");
    let linked = store.linked_blobs("a/b", &[&layer, &absent]).await.unwrap();
    assert_eq!(linked.len(), 1);
    assert!(store.repository_exists("a/b").await.unwrap());

    // Manifests, tags that move, referrers, deletes.
    let first = record(b"first", None);
    let second = record(b"second", None);
    store.put_manifest("a/b", &first, b"first", Some("v1")).await.unwrap();
    store.put_manifest("a/b", &second, b"second", Some("v1")).await.unwrap();
    assert_eq!(store.resolve_tag("a/b", "v1").await.unwrap(), Some(second.digest.clone()), "the tag moved");
    let (got, bytes) = store.get_manifest("a/b", &first.digest).await.unwrap().unwrap();
    assert_eq!((got.size, got.annotations.as_deref(), &bytes[..]), (5, Some(r#"{"k":"v"}"#), &b"first"[..]));
    let existing = store.existing_manifests("a/b", &[&first.digest, &absent]).await.unwrap();
    assert_eq!(existing, std::slice::from_ref(&first.digest));
    let referrer = record(b"signature", Some(&first.digest));
    store.put_manifest("a/b", &referrer, b"signature", None).await.unwrap();
    let referrers = store.referrers("a/b", &first.digest).await.unwrap();
    assert_eq!(referrers.len(), 1);
    assert_eq!(referrers[0].artifact_type.as_deref(), Some("application/example"));
    for tag in ["b", "A", "a", "_x", "v2"] {
        store.put_manifest("a/b", &first, b"first", Some(tag)).await.unwrap();
    }
    assert_eq!(store.list_tags("a/b", None, 100).await.unwrap(), ["A", "_x", "a", "b", "v1", "v2"], "byte order");
    assert_eq!(store.list_tags("a/b", Some("_x"), 2).await.unwrap(), ["a", "b"]);
    store.link_blob("Z/upper", &layer, 5).await.unwrap();
    store.link_blob("a/a", &layer, 5).await.unwrap();
    assert_eq!(store.list_repositories(None, 10).await.unwrap(), ["Z/upper", "a/a", "a/b"]);
    assert_eq!(store.list_repositories(Some("Z/upper"), 1).await.unwrap(), ["a/a"]);
    // By prefix: exactly the names that start with it (no `LIKE` wildcards), in byte order.
    for name in ["a_/x", "a%/x", "ab/x", "a0"] {
        store.link_blob(name, &layer, 5).await.unwrap();
    }
    assert_eq!(store.list_repositories_under("a/", None, 10).await.unwrap(), ["a/a", "a/b"]);
    assert_eq!(store.list_repositories_under("a/", Some("a/a"), 10).await.unwrap(), ["a/b"]);
    assert_eq!(store.list_repositories_under("a/", Some("Z/upper"), 1).await.unwrap(), ["a/a"]);
    assert_eq!(store.list_repositories_under("a_/", None, 10).await.unwrap(), ["a_/x"]);
    assert!(store.list_repositories_under("a/", Some("a/b"), 10).await.unwrap().is_empty());
    assert!(store.list_repositories_under("z/", None, 10).await.unwrap().is_empty());
    assert!(store.delete_manifest("a/b", &first.digest).await.unwrap());
    assert!(!store.delete_manifest("a/b", &first.digest).await.unwrap());
    assert_eq!(store.resolve_tag("a/b", "A").await.unwrap(), None, "its tags went with it");
    assert_eq!(store.resolve_tag("a/b", "v1").await.unwrap(), Some(second.digest.clone()));
    assert!(store.delete_tag("a/b", "v1").await.unwrap());
    assert!(!store.delete_tag("a/b", "v1").await.unwrap());
    assert!(store.unlink_blob("a/b", &layer).await.unwrap());
    assert!(!store.unlink_blob("a/b", &layer).await.unwrap());

    // Upload sessions carry the hash state to whichever server takes the next chunk.
    let mut hasher = kots_oci::Algorithm::Sha256.hasher();
    store.create_upload("s1", "a/b", &hasher).await.unwrap();
    hasher.update(b"chunk one");
    store.update_upload("s1", 9, &hasher).await.unwrap();
    let upload = store.get_upload("s1").await.unwrap().unwrap();
    assert_eq!((upload.repository.as_str(), upload.size), ("a/b", 9));
    let mut resumed = upload.hasher;
    resumed.update(b"!");
    assert_eq!(resumed.finish(), Digest::sha256_of(b"chunk one!"));
    assert!(store.lease_upload("s1", "replica-a", 60).await.unwrap());
    assert!(!store.lease_upload("s1", "replica-b", 60).await.unwrap(), "one writer at a time");
    assert!(store.lease_upload("s1", "replica-a", 60).await.unwrap(), "renewed by its holder");
    store.release_upload("s1", "replica-b").await.unwrap();
    assert!(!store.lease_upload("s1", "replica-b", 60).await.unwrap(), "only the holder releases");
    store.release_upload("s1", "replica-a").await.unwrap();
    assert!(store.lease_upload("s1", "replica-b", 0).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(store.lease_upload("s1", "replica-a", 60).await.unwrap(), "an expired lease is taken over");
    store.release_upload("s1", "replica-a").await.unwrap();
    assert_eq!(store.all_uploads().await.unwrap(), ["s1"]);
    assert_eq!(store.idle_uploads(3600).await.unwrap(), Vec::<String>::new());
    assert_eq!(store.idle_uploads(0).await.unwrap(), ["s1"]);
    store.delete_upload("s1").await.unwrap();
    assert!(store.get_upload("s1").await.unwrap().is_none());

    // Races: many pushes of one tag and of one blob at once end in one consistent state.
    let mut tasks = Vec::new();
    for index in 0..16u8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let content = vec![index; 3];
            store.put_manifest("race/app", &record(&content, None), &content, Some("latest")).await.unwrap();
            store.link_blob("race/app", &Digest::sha256_of(b"shared"), 6).await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let winner = store.resolve_tag("race/app", "latest").await.unwrap().unwrap();
    assert!((0..16u8).any(|index| Digest::sha256_of(&[index; 3]) == winner));
    assert_eq!(store.linked_blob("race/app", &Digest::sha256_of(b"shared")).await.unwrap(), Some(6));

    // What garbage collection reads and removes.
    let shared = Digest::sha256_of(b"shared");
    let entries = store.manifest_entries().await.unwrap();
    let mut manifests: Vec<Digest> = entries.iter().map(|entry| entry.digest.clone()).collect();
    manifests.sort();
    let mut expected: Vec<Digest> = (0..16u8).map(|index| Digest::sha256_of(&[index; 3])).collect();
    expected.extend([second.digest.clone(), referrer.digest.clone()]);
    expected.sort();
    assert_eq!(manifests, expected, "each manifest of each repository");
    let tagged: Vec<&Digest> = entries.iter().filter(|entry| entry.tagged).map(|entry| &entry.digest).collect();
    assert_eq!(tagged, [&winner], "only race/app:latest is tagged now");
    let signature = entries.iter().find(|entry| entry.digest == referrer.digest).unwrap();
    assert_eq!((signature.repository.as_str(), signature.subject.as_ref()), ("a/b", Some(&first.digest)));
    assert_eq!(store.manifest_content(&second.digest).await.unwrap().as_deref(), Some(&b"second"[..]));
    assert_eq!(store.manifest_content(&absent).await.unwrap(), None);
    let stored = store.stored_blobs().await.unwrap();
    assert!(stored.contains(&(layer.clone(), 5)) && stored.contains(&(shared.clone(), 6)), "{stored:?}");
    assert_eq!(store.unreferenced_manifest_contents().await.unwrap(), std::slice::from_ref(&first.digest));
    assert!(!store.forget_manifest_content(&second.digest).await.unwrap(), "still named by a manifest");
    assert!(store.forget_manifest_content(&first.digest).await.unwrap());
    assert!(store.unreferenced_manifest_contents().await.unwrap().is_empty());
    store.link_blob("race/other", &shared, 6).await.unwrap();
    assert_eq!(store.forget_blobs(std::slice::from_ref(&shared)).await.unwrap(), 2, "both links go with the blob");
    assert_eq!(store.linked_blob("race/app", &shared).await.unwrap(), None);
    assert!(!store.stored_blobs().await.unwrap().iter().any(|(digest, _)| *digest == shared));
    assert_eq!(store.forget_blobs(&[shared, absent]).await.unwrap(), 0, "forgetting twice is harmless");
    assert_eq!(store.forget_blobs(&[]).await.unwrap(), 0);
}

fn body(chunks: Vec<Vec<u8>>) -> ByteStream {
    Box::pin(futures_util::stream::iter(chunks.into_iter().map(|chunk| Ok(bytes::Bytes::from(chunk)))))
}

fn failing(bytes: Vec<u8>) -> ByteStream {
    Box::pin(futures_util::stream::iter([
        Ok(bytes::Bytes::from(bytes)),
        Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "client went away")),
    ]))
}

async fn read_all(store: &dyn BlobStore, digest: &Digest, offset: u64, length: u64) -> Vec<u8> {
    use futures_util::TryStreamExt;
    let chunks: Vec<bytes::Bytes> = store.read(digest, offset, length).await.unwrap().try_collect().await.unwrap();
    chunks.concat()
}

/// Runs every check on `store`, which must be empty; `part` is the size from which a store
/// writes in several parts (S3's multipart), so that the large blobs cross part boundaries.
pub async fn blob_store(store: Arc<dyn BlobStore>, part: usize) {
    store.health().await.unwrap();
    let sha256 = || kots_oci::Algorithm::Sha256.hasher();
    // A small blob in two chunks.
    let small = b"hello, object storage".to_vec();
    let digest = Digest::sha256_of(&small);
    let first = store.append("small", 0, sha256(), Some(7), body(vec![small[..7].to_vec()])).await.unwrap();
    let second = store.append("small", 7, first.hasher, None, body(vec![small[7..].to_vec()])).await.unwrap();
    assert_eq!(second.size, small.len() as u64);
    assert_eq!(second.hasher.finish(), digest);
    assert!(!store.exists(&digest).await.unwrap());
    store.commit("small", &digest, small.len() as u64).await.unwrap();
    assert!(store.exists(&digest).await.unwrap());
    assert_eq!(read_all(store.as_ref(), &digest, 0, small.len() as u64).await, small);
    assert_eq!(read_all(store.as_ref(), &digest, 7, 6).await, b"object");

    // A large blob in odd chunks, across several parts, with a failed chunk in the middle.
    let large: Vec<u8> = (0..(2 * part + part / 3)).map(|i| (i * 13 % 251) as u8).collect();
    let large_digest = Digest::sha256_of(&large);
    let cut = part + 12_345;
    let appended = store.append("large", 0, sha256(), None, body(vec![large[..cut].to_vec()])).await.unwrap();
    let error = store
        .append("large", cut as u64, appended.hasher.clone(), None, failing(large[cut..cut + 1000].to_vec()))
        .await;
    assert!(error.is_err(), "a broken body fails its chunk");
    let error = store.append("large", cut as u64, appended.hasher.clone(), Some(10), body(vec![vec![0; 20]])).await;
    assert!(error.is_err(), "a chunk longer than declared fails");
    let rest =
        store.append("large", cut as u64, appended.hasher, None, body(vec![large[cut..].to_vec()])).await.unwrap();
    assert_eq!(rest.size, large.len() as u64, "the failed chunks left no trace");
    assert_eq!(rest.hasher.finish(), large_digest);
    store.commit("large", &large_digest, large.len() as u64).await.unwrap();
    assert_eq!(read_all(store.as_ref(), &large_digest, 0, large.len() as u64).await, large);
    let middle = part as u64 - 10;
    assert_eq!(
        read_all(store.as_ref(), &large_digest, middle, 20).await,
        &large[middle as usize..middle as usize + 20]
    );

    // Whole blobs in one request: stored only when the digest matches.
    for size in [3000, part + part / 2] {
        let bytes: Vec<u8> = (0..size).map(|i| (i * 7 % 253) as u8).collect();
        let digest = Digest::sha256_of(&bytes);
        let wrong = Digest::sha256_of(b"something else");
        let (stored, actual) =
            store.put_whole(&format!("whole-x-{size}"), &wrong, None, body(vec![bytes.clone()])).await.unwrap();
        assert_eq!((stored, &actual), (size as u64, &digest));
        assert!(!store.exists(&wrong).await.unwrap(), "a mismatch stores nothing");
        let chunks: Vec<Vec<u8>> = bytes.chunks(100_000).map(<[u8]>::to_vec).collect();
        let (stored, actual) =
            store.put_whole(&format!("whole-{size}"), &digest, Some(size as u64), body(chunks)).await.unwrap();
        assert_eq!((stored, actual), (size as u64, digest.clone()));
        assert_eq!(read_all(store.as_ref(), &digest, 0, size as u64).await, bytes);
        let short = store.put_whole("whole-short", &digest, Some(size as u64 + 1), body(vec![bytes.clone()])).await;
        assert!(short.is_err(), "fewer bytes than declared");
        store.discard("whole-short").await.unwrap();
    }

    // Discarded and orphaned uploads go.
    store.append("dropped", 0, sha256(), None, body(vec![vec![1; 100]])).await.unwrap();
    store.discard("dropped").await.unwrap();
    store.discard("never-existed").await.unwrap();
    store.append("orphan", 0, sha256(), None, body(vec![vec![2; 100]])).await.unwrap();
    store.append("live", 0, sha256(), None, body(vec![vec![3; 100]])).await.unwrap();
    assert_eq!(
        store.sweep_orphans(&["live".to_owned()], std::time::Duration::from_secs(3600)).await.unwrap(),
        0,
        "too recent"
    );
    assert_eq!(store.sweep_orphans(&["live".to_owned()], std::time::Duration::ZERO).await.unwrap(), 1);
    let resumed = store.append("live", 100, sha256(), None, body(vec![vec![3; 1]])).await.unwrap();
    assert_eq!(resumed.size, 101, "the live upload is untouched");

    // Listing and removing stored blobs (garbage collection), a multipart one included.
    let mut listed = store.list().await.unwrap();
    listed.sort();
    let mut expected = vec![digest.clone(), large_digest.clone()];
    for size in [3000, part + part / 2] {
        expected.push(Digest::sha256_of(&(0..size).map(|i| (i * 7 % 253) as u8).collect::<Vec<_>>()));
    }
    expected.sort();
    assert_eq!(listed, expected, "every committed blob once, no upload");
    store.remove(&large_digest).await.unwrap();
    store.remove(&large_digest).await.unwrap();
    assert!(!store.exists(&large_digest).await.unwrap());
    assert!(!store.list().await.unwrap().contains(&large_digest));
    assert_eq!(read_all(store.as_ref(), &digest, 0, small.len() as u64).await, small, "the others stay");
}

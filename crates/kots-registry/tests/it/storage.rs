//! Each storage backend through the conformance suite (`kots_testkit::conformance`): metadata in
//! SQLite and in PostgreSQL, blobs in files and in S3 (s3s-fs and moto), and what only the S3
//! store does (pre-signed download URLs).

use std::sync::Arc;

use kots_oci::Digest;
use kots_registry::storage::{
    BlobStore, ByteStream, FilesystemBlobStore, MetadataStore, S3BlobStore, S3Options, SqlMetadataStore,
};
use kots_testkit::{LocalPostgres, LocalS3, MotoS3, conformance};

fn body(bytes: Vec<u8>) -> ByteStream {
    Box::pin(futures_util::stream::iter([Ok(bytes::Bytes::from(bytes))]))
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_store() {
    let directory = tempfile::tempdir().unwrap();
    let store = SqlMetadataStore::sqlite(&directory.path().join("registry.db")).await.unwrap();
    conformance::metadata_store(Arc::new(store.clone())).await;
    lists_longer_than_a_statement_holds(&store).await;
}

/// A manifest naming more than 32,766 blobs got a 500 ("too many SQL variables"): the lookups
/// and the garbage collector's forgetting go in batches.
async fn lists_longer_than_a_statement_holds(store: &SqlMetadataStore) {
    let digests: Vec<Digest> = (0..70_000u32).map(|n| Digest::sha256_of(&n.to_be_bytes())).collect();
    let references: Vec<&Digest> = digests.iter().collect();
    for (index, digest) in digests.iter().enumerate().step_by(9_999) {
        store.link_blob("many/blobs", digest, index as u64).await.unwrap();
    }
    let linked = store.linked_blobs("many/blobs", &references).await.unwrap();
    assert_eq!(linked.len(), 8, "one in every 9,999 of 70,000");
    assert_eq!(linked[&digests[69_993]], 69_993);
    assert!(store.existing_manifests("many/blobs", &references).await.unwrap().is_empty());
    let forgotten = store.forget_blobs(&digests).await.unwrap();
    assert_eq!(forgotten, 8);
    assert!(store.linked_blobs("many/blobs", &references).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_store() {
    let server = tokio::task::spawn_blocking(LocalPostgres::start).await.unwrap().unwrap();
    let store = SqlMetadataStore::postgres(&server.url, 8).await.unwrap();
    // A second replica opening the same database finds the schema in place.
    let again = SqlMetadataStore::postgres(&server.url, 2).await.unwrap();
    let key = store.shared_secret("token-signing-key", || vec![1; 32]).await.unwrap();
    assert_eq!(again.shared_secret("token-signing-key", || vec![2; 32]).await.unwrap(), key, "one key for all");
    conformance::metadata_store(Arc::new(store.clone())).await;
    lists_longer_than_a_statement_holds(&store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn filesystem_blob_store() {
    let directory = tempfile::tempdir().unwrap();
    conformance::blob_store(Arc::new(FilesystemBlobStore::open(directory.path()).unwrap()), 5 * 1024 * 1024).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_blob_store() {
    let server = tokio::task::spawn_blocking(LocalS3::start).await.unwrap();
    let options = S3Options {
        bucket: server.bucket.clone(),
        prefix: "registry".into(),
        endpoint: Some(server.endpoint.clone()),
        region: Some("us-east-1".into()),
        path_style: true,
        access_key_id: Some(server.access_key.clone()),
        secret_access_key: Some(server.secret_key.clone()),
        part_size: 5 * 1024 * 1024,
        redirect_downloads: None,
    };
    conformance::blob_store(Arc::new(S3BlobStore::open(&options).unwrap()), 5 * 1024 * 1024).await;

    // Downloads handed out as pre-signed URLs, for a one-part blob and one in several parts.
    let options = S3Options { redirect_downloads: Some(std::time::Duration::from_secs(300)), ..options };
    let store = S3BlobStore::open(&options).unwrap();
    let absent = Digest::sha256_of(b"never stored");
    assert_eq!(store.download_url(&absent).await.unwrap(), None);
    for size in [1000, 6 * 1024 * 1024] {
        let bytes: Vec<u8> = (0..size).map(|i| (i % 241) as u8).collect();
        let digest = Digest::sha256_of(&bytes);
        let session = format!("signed-{size}");
        let hasher = kots_oci::Algorithm::Sha256.hasher();
        store.append(&session, 0, hasher, None, body(bytes.clone())).await.unwrap();
        store.commit(&session, &digest, size as u64).await.unwrap();
        let url = store.download_url(&digest).await.unwrap().expect("a signed URL");
        assert!(url.contains("X-Amz-Signature"), "{url}");
        let fetched = reqwest::get(&url).await.unwrap();
        assert_eq!(fetched.status(), 200, "{url}");
        assert_eq!(fetched.bytes().await.unwrap().as_ref(), bytes.as_slice());
    }
    drop(tokio::task::spawn_blocking(move || drop(server)));
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_blob_store_on_moto() {
    let server = tokio::task::spawn_blocking(MotoS3::start).await.unwrap().unwrap();
    let options = S3Options {
        bucket: server.bucket.clone(),
        prefix: String::new(),
        endpoint: Some(server.endpoint.clone()),
        region: Some("us-east-1".into()),
        path_style: true,
        access_key_id: Some("testing".into()),
        secret_access_key: Some("testing".into()),
        part_size: 5 * 1024 * 1024,
        redirect_downloads: None,
    };
    conformance::blob_store(Arc::new(S3BlobStore::open(&options).unwrap()), 5 * 1024 * 1024).await;
}

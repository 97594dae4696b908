//! The blob cache across copies: a later copy (a new process: a new `BlobCache` over the same
//! folder) mounts what an earlier one pushed, and a stale or corrupt cache still ends in a
//! correct copy.

use kots_oci::OciLayout;
use kots_transfer::{BlobCache, CopyOptions, Summary, copy};

use super::{OurRegistry, endpoint, image, options, skopeo_raw};

/// The base layer every `image` shares: 300 000 bytes.
const BASE: u64 = 300_000;

fn cached(directory: &std::path::Path) -> CopyOptions {
    CopyOptions { blob_cache: Some(BlobCache::at(directory)), ..options() }
}

async fn copy_to(layout: &OciLayout, tag: &str, registry: &str, repository: &str, options: &CopyOptions) -> Summary {
    let source = endpoint(&format!("oci:{}:{tag}", layout.root().display()));
    let summary = copy(&source, &endpoint(&format!("http://{registry}/{repository}:v1")), options, None).await.unwrap();
    // Whatever way the blobs went, the copy is exact.
    let expected = layout.read_blob(&layout.find(tag).unwrap().unwrap().digest).unwrap();
    assert_eq!(skopeo_raw(&format!("{registry}/{repository}:v1")), expected);
    summary
}

async fn delete_blob(registry: &str, repository: &str, digest: &kots_oci::Digest) {
    let url = format!("http://{registry}/v2/{repository}/blobs/{digest}");
    let response = reqwest::Client::new().delete(&url).send().await.unwrap();
    assert!(response.status().is_success(), "DELETE {url}: {}", response.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_later_copy_mounts_what_an_earlier_one_pushed_and_a_stale_entry_falls_back() {
    let temp = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(temp.path().join("source")).unwrap();
    let mut base = None;
    for (tag, seed) in [("a", 30), ("b", 31), ("c", 32), ("d", 33)] {
        let descriptor = image(&layout, "amd64", seed, 1);
        let manifest: serde_json::Value =
            serde_json::from_slice(&layout.read_blob(&descriptor.digest).unwrap()).unwrap();
        base = Some(kots_oci::Digest::parse(manifest["layers"][0]["digest"].as_str().unwrap()).unwrap());
        layout.add_manifest(descriptor, Some(tag)).unwrap();
    }
    let base = base.unwrap();
    let ours = OurRegistry::start(&temp.path().join("ours")).await;
    let cache = temp.path().join("cache");

    let first = copy_to(&layout, "a", &ours.address, "app/a", &cached(&cache)).await;
    assert_eq!((first.blobs_sent, first.blobs_mounted), (3, 0), "{first:?}");
    assert!(cache.join(kots_transfer::blob_cache::FILE_NAME).exists());

    // A second process: the shared base is mounted from app/a, not sent.
    let second = copy_to(&layout, "b", &ours.address, "app/b", &cached(&cache)).await;
    assert_eq!((second.blobs_sent, second.blobs_mounted, second.bytes_mounted), (2, 1, BASE), "{second:?}");
    assert!(second.bytes_sent < first.bytes_sent - BASE / 2, "{second:?}");

    // Without the cache, the same copy sends it.
    let uncached = copy_to(&layout, "b", &ours.address, "app/b-uncached", &options()).await;
    assert_eq!((uncached.blobs_sent, uncached.blobs_mounted), (3, 0), "{uncached:?}");

    // Stale: the base is gone from every repository the cache remembers it in. The mounts
    // fail and the copy uploads it.
    for repository in ["app/a", "app/b", "app/b-uncached"] {
        delete_blob(&ours.address, repository, &base).await;
    }
    let stale = copy_to(&layout, "c", &ours.address, "app/c", &cached(&cache)).await;
    assert_eq!((stale.blobs_sent, stale.blobs_mounted), (3, 0), "{stale:?}");

    // Corrupt: ignored, and replaced by a good file when the copy saves.
    std::fs::write(cache.join(kots_transfer::blob_cache::FILE_NAME), b"{\"version\":1,\"blobs\":{\"sha").unwrap();
    let corrupt = copy_to(&layout, "d", &ours.address, "app/d", &cached(&cache)).await;
    assert_eq!(corrupt.blobs_mounted, 0, "{corrupt:?}");
    assert_eq!(BlobCache::at(&cache).candidates(&ours.address, &base, &[]), ["app/d"]);
}

//! The transfer engine against real registries: this project's (in-process, on 127.0.0.1:0) and
//! the reference registry (`docker-registry`, a process), with skopeo as the witness.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kots_oci::media_type::*;
use kots_oci::{Descriptor, Digest, OciLayout};
use kots_testkit::{ReferenceRegistry, skopeo_raw};
use kots_transfer::{ClientOptions, CopyOptions, Endpoint, Error, Event, Platform, RetryPolicy, copy};
use serde_json::json;

mod blob_cache;
mod fetch;

/// `kots-registry` in this process, on a runtime of its own so that stopping it drops every
/// connection at once, as a crash would.
struct OurRegistry {
    address: String,
    runtime: std::sync::Mutex<Option<tokio::runtime::Runtime>>,
}

impl OurRegistry {
    async fn start(data_dir: &Path) -> OurRegistry {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let data_dir = data_dir.to_owned();
        runtime.spawn(async move {
            let options = kots_registry::Options::default();
            let registry = kots_registry::Registry::open_embedded(&data_dir, options).await.unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let _ = sender.send(listener.local_addr().unwrap().to_string());
            let _ = kots_registry::server::serve(Arc::new(registry), listener, std::future::pending()).await;
        });
        let address = receiver.await.unwrap();
        OurRegistry { address, runtime: std::sync::Mutex::new(Some(runtime)) }
    }

    fn stop(&self) {
        if let Some(runtime) = self.runtime.lock().unwrap().take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for OurRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

fn endpoint(text: &str) -> Endpoint {
    Endpoint::parse(text).unwrap()
}

fn options() -> CopyOptions {
    let retry =
        RetryPolicy { attempts: 2, base_delay: Duration::from_millis(20), max_delay: Duration::from_millis(100) };
    let side = ClientOptions { plain_http: true, retry, ..ClientOptions::default() };
    CopyOptions { source: side.clone(), destination: side, concurrency: 4, ..CopyOptions::default() }
}

fn pseudo_random(size: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(6364136223846793005) | 1;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// An image manifest over a base layer shared by every image and `own` layers of its own.
fn image(layout: &OciLayout, architecture: &str, seed: u64, own: usize) -> Descriptor {
    let mut layers = vec![layout.write_blob_bytes(OCI_LAYER_GZIP, &pseudo_random(300_000, 1)).unwrap()];
    for index in 0..own {
        layers.push(
            layout
                .write_blob_bytes(OCI_LAYER_GZIP, &pseudo_random(200_000 + index * 1000, seed * 100 + index as u64))
                .unwrap(),
        );
    }
    let config = json!({"architecture": architecture, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}, "seed": seed});
    let config = layout.write_blob_bytes(OCI_CONFIG, config.to_string().as_bytes()).unwrap();
    let manifest = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers});
    let mut descriptor = layout.write_blob_bytes(OCI_MANIFEST, manifest.to_string().as_bytes()).unwrap();
    descriptor.platform = Some(serde_json::from_value(json!({"architecture": architecture, "os": "linux"})).unwrap());
    descriptor
}

/// A two-platform index, tagged `v1` in a new layout under `directory`.
fn multi_arch(directory: &Path) -> (OciLayout, Descriptor) {
    let layout = OciLayout::create(directory).unwrap();
    let amd64 = image(&layout, "amd64", 2, 2);
    let arm64 = image(&layout, "arm64", 3, 2);
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [amd64, arm64]});
    let index = layout.write_blob_bytes(OCI_INDEX, index.to_string().as_bytes()).unwrap();
    layout.add_manifest(index.clone(), Some("v1")).unwrap();
    (layout, index)
}

/// 7 distinct blobs in the index above: a shared base, 2 + 2 own layers, 2 configs.
const BLOBS: u64 = 7;

async fn round_trip(first: &str, second: &str) {
    let temp = tempfile::tempdir().unwrap();
    let (source, index) = multi_arch(&temp.path().join("source"));
    let index_bytes = source.read_blob(&index.digest).unwrap();
    let options = options();
    let source_ref = format!("oci:{}:v1", source.root().display());

    // Into the first registry, out to a layout, into the second registry.
    let pushed =
        copy(&endpoint(&source_ref), &endpoint(&format!("http://{first}/app/multi:v1")), &options, None).await.unwrap();
    assert_eq!(pushed.blobs_sent, BLOBS);
    assert_eq!(pushed.manifests, 3);
    let middle = format!("oci:{}:v1", temp.path().join("middle").display());
    copy(&endpoint(&format!("http://{first}/app/multi:v1")), &endpoint(&middle), &options, None).await.unwrap();
    let last =
        copy(&endpoint(&middle), &endpoint(&format!("http://{second}/app/multi:v1")), &options, None).await.unwrap();
    assert_eq!(last.digest.as_ref(), Some(&index.digest));
    assert!(last.index_complete);
    assert_eq!(skopeo_raw(&format!("{first}/app/multi:v1")), index_bytes);
    assert_eq!(skopeo_raw(&format!("{second}/app/multi:v1")), index_bytes);
    let children: serde_json::Value = serde_json::from_slice(&index_bytes).unwrap();
    for child in children["manifests"].as_array().unwrap() {
        let digest = child["digest"].as_str().unwrap();
        let expected = source.read_blob(&Digest::parse(digest).unwrap()).unwrap();
        assert_eq!(skopeo_raw(&format!("{second}/app/multi@{digest}")), expected);
    }

    // Again: nothing moves.
    let again =
        copy(&endpoint(&middle), &endpoint(&format!("http://{second}/app/multi:v1")), &options, None).await.unwrap();
    assert_eq!((again.blobs_sent, again.bytes_sent), (0, 0));
    assert_eq!(again.blobs_skipped, BLOBS);

    // Into a new repository of the same registry: mounted, not uploaded.
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let mounted = copy(
        &endpoint(&format!("http://{second}/app/multi:v1")),
        &endpoint(&format!("http://{second}/other/multi:v1")),
        &options,
        Some(sender),
    )
    .await
    .unwrap();
    assert_eq!(mounted.blobs_mounted, BLOBS);
    assert_eq!(mounted.bytes_sent, 0);
    let mut mount_events = 0;
    while let Ok(event) = receiver.try_recv() {
        assert!(!matches!(event, Event::BlobBytes { .. }), "no bytes should move: {event:?}");
        mount_events += u64::from(matches!(event, Event::BlobMounted { .. }));
    }
    assert_eq!(mount_events, BLOBS);
    assert_eq!(skopeo_raw(&format!("{second}/other/multi:v1")), index_bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ours_then_reference_registry_keeps_every_digest() {
    let temp = tempfile::tempdir().unwrap();
    let ours = OurRegistry::start(&temp.path().join("ours")).await;
    let reference = ReferenceRegistry::start();
    round_trip(&ours.address, &reference.address).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reference_then_ours_registry_keeps_every_digest() {
    let temp = tempfile::tempdir().unwrap();
    let ours = OurRegistry::start(&temp.path().join("ours")).await;
    let reference = ReferenceRegistry::start();
    round_trip(&reference.address, &ours.address).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interrupted_copy_completes_on_rerun_moving_only_the_rest() {
    let temp = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(temp.path().join("source")).unwrap();
    let root = image(&layout, "amd64", 9, 11);
    layout.add_manifest(root.clone(), Some("v1")).unwrap();
    let source = endpoint(&format!("oci:{}:v1", layout.root().display()));
    let data = temp.path().join("destination");
    let destination = OurRegistry::start(&data).await;
    let total_blobs = 13; // base + 11 own + config

    let mut options = options();
    options.concurrency = 1;
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let target = endpoint(&format!("http://{}/app/big:v1", destination.address));
    let copying = copy(&source, &target, &options, Some(sender));
    let watcher = async {
        let mut done = 0;
        while let Some(event) = receiver.recv().await {
            if matches!(event, Event::BlobDone { .. }) {
                done += 1;
                if done == 4 {
                    destination.stop();
                }
            }
        }
        done
    };
    let (result, done_before_stop) = tokio::join!(copying, watcher);
    assert!(result.is_err(), "the copy should fail when the destination goes away");
    assert!(done_before_stop >= 4);

    // The registry comes back (same data, new port); the copy finishes, moving only the rest.
    let restarted = OurRegistry::start(&data).await;
    let target = endpoint(&format!("http://{}/app/big:v1", restarted.address));
    let summary = copy(&source, &target, &options, None).await.unwrap();
    assert!(summary.blobs_skipped >= 4, "{summary:?}");
    assert_eq!(summary.blobs_skipped + summary.blobs_sent, total_blobs);
    assert_eq!(skopeo_raw(&format!("{}/app/big:v1", restarted.address)), layout.read_blob(&root.digest).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_corrupt_source_blob_is_named_and_never_stored() {
    let temp = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(temp.path().join("source")).unwrap();
    let root = image(&layout, "amd64", 4, 1);
    layout.add_manifest(root.clone(), Some("v1")).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&layout.read_blob(&root.digest).unwrap()).unwrap();
    let victim = Digest::parse(manifest["layers"][1]["digest"].as_str().unwrap()).unwrap();
    let mut bytes = std::fs::read(layout.blob_path(&victim)).unwrap();
    bytes[1000] ^= 0xff;
    std::fs::write(layout.blob_path(&victim), bytes).unwrap();

    let ours = OurRegistry::start(&temp.path().join("ours")).await;
    let source = endpoint(&format!("oci:{}:v1", layout.root().display()));
    for target in
        [format!("http://{}/app/x:v1", ours.address), format!("oci:{}:v1", temp.path().join("copy").display())]
    {
        let error = copy(&source, &endpoint(&target), &options(), None).await.unwrap_err();
        assert!(matches!(&error, Error::Corrupt { digest, .. } if *digest == victim), "{error}");
        assert!(error.to_string().contains(&victim.to_string()));
    }
    let head =
        reqwest::Client::new().head(format!("http://{}/v2/app/x/blobs/{victim}", ours.address)).send().await.unwrap();
    assert_eq!(head.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_platform_of_an_index() {
    let temp = tempfile::tempdir().unwrap();
    let (source, index) = multi_arch(&temp.path().join("source"));
    let children: serde_json::Value = serde_json::from_slice(&source.read_blob(&index.digest).unwrap()).unwrap();
    let arm64 = children["manifests"][1]["digest"].as_str().unwrap().to_owned();
    let mut options = options();
    options.platforms = vec![Platform::parse("linux/arm64").unwrap()];
    let destination = format!("oci:{}:v1", temp.path().join("arm").display());
    let summary =
        copy(&endpoint(&format!("oci:{}:v1", source.root().display())), &endpoint(&destination), &options, None)
            .await
            .unwrap();
    assert!(!summary.index_complete);
    assert_eq!(summary.blobs_sent, 4, "base, two own layers and the config of arm64 only");
    let copied = OciLayout::open(temp.path().join("arm")).unwrap();
    assert!(copied.has_blob(&Digest::parse(&arm64).unwrap()), "the chosen manifest keeps its digest");
    let new_index: serde_json::Value =
        serde_json::from_slice(&copied.read_blob(&copied.find("v1").unwrap().unwrap().digest).unwrap()).unwrap();
    assert_eq!(new_index["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(new_index["manifests"][0]["digest"], arm64.as_str());

    options.platforms = vec![Platform::parse("windows/amd64").unwrap()];
    let error =
        copy(&endpoint(&format!("oci:{}:v1", source.root().display())), &endpoint(&destination), &options, None)
            .await
            .unwrap_err();
    assert!(error.to_string().contains("linux/amd64, linux/arm64"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn images_sharing_layers_move_each_layer_once() {
    let temp = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(temp.path().join("source")).unwrap();
    for seed in 0..4u64 {
        let descriptor = image(&layout, "amd64", 20 + seed, 2);
        layout.add_manifest(descriptor, Some(&format!("img{seed}"))).unwrap();
    }
    let ours = OurRegistry::start(&temp.path().join("ours")).await;
    let pairs: Vec<(Endpoint, Endpoint)> = (0..4)
        .map(|seed| {
            (
                endpoint(&format!("oci:{}:img{seed}", layout.root().display())),
                endpoint(&format!("http://{}/app/img{seed}:v1", ours.address)),
            )
        })
        .collect();
    let summaries: Vec<_> =
        kots_transfer::copy_many(&pairs, &options(), None).await.into_iter().map(Result::unwrap).collect();
    let sent: u64 = summaries.iter().map(|summary| summary.blobs_sent).sum();
    let mounted: u64 = summaries.iter().map(|summary| summary.blobs_mounted).sum();
    // 4 images × (shared base + 2 own + config) = 16 blobs, 13 distinct: the base is sent once
    // and mounted into the three other repositories.
    assert_eq!(sent, 13, "{summaries:?}");
    assert_eq!(mounted, 3, "{summaries:?}");
    for seed in 0..4 {
        let raw = skopeo_raw(&format!("{}/app/img{seed}:v1", ours.address));
        assert_eq!(raw, layout.read_blob(&layout.find(&format!("img{seed}")).unwrap().unwrap().digest).unwrap());
    }

    // Into one layout, where a blob is stored once for all images: the base moves once.
    let pairs: Vec<(Endpoint, Endpoint)> = (0..4)
        .map(|seed| {
            (
                endpoint(&format!("oci:{}:img{seed}", layout.root().display())),
                endpoint(&format!("oci:{}:img{seed}", temp.path().join("copy").display())),
            )
        })
        .collect();
    let summaries: Vec<_> =
        kots_transfer::copy_many(&pairs, &options(), None).await.into_iter().map(Result::unwrap).collect();
    let sent: u64 = summaries.iter().map(|summary| summary.blobs_sent).sum();
    assert_eq!(sent, 13, "{summaries:?}");
}

/// A registry that answers each request with the next canned response, counting requests.
async fn scripted(responses: Vec<String>) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        for response in responses {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                let read = stream.read(&mut buffer).await.unwrap();
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..read]);
            }
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            stream.write_all(response.as_bytes()).await.unwrap();
            stream.shutdown().await.unwrap();
        }
    });
    (address, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_retried_honouring_retry_after() {
    let manifest = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": Digest::sha256_of(b"{}"), "size": 2}, "layers": []})
    .to_string();
    let ok = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {OCI_MANIFEST}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{manifest}",
        manifest.len()
    );
    let busy = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let limited = "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let (address, count) = scripted(vec![busy.to_owned(), limited.to_owned(), ok]).await;
    let retry =
        RetryPolicy { attempts: 5, base_delay: Duration::from_millis(10), max_delay: Duration::from_millis(50) };
    let client =
        kots_transfer::RegistryClient::new(&address, &ClientOptions { plain_http: true, retry, ..Default::default() })
            .unwrap();
    let started = Instant::now();
    let (bytes, media_type, digest) = client.manifest("app/x", "v1").await.unwrap().unwrap();
    assert_eq!(bytes, manifest.as_bytes());
    assert_eq!(media_type, OCI_MANIFEST);
    assert_eq!(digest, Digest::sha256_of(manifest.as_bytes()));
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert!(started.elapsed() >= Duration::from_millis(900), "Retry-After: 1 was not honoured");

    // A 404 is an answer, not a failure to retry.
    let missing = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let (address, count) = scripted(vec![missing.to_owned(), missing.to_owned()]).await;
    let client =
        kots_transfer::RegistryClient::new(&address, &ClientOptions { plain_http: true, ..Default::default() })
            .unwrap();
    assert!(client.manifest("app/x", "v1").await.unwrap().is_none());
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
}

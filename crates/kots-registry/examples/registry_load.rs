//! Load generator for `bench/registry.sh`: the same requests against any registry, so figures
//! for kots-registry and the reference registry can be put side by side.
//!
//! ```text
//! registry_load push-small ADDRESSES COUNT CONCURRENCY      # unique 10 KiB monolithic pushes
//! registry_load get-manifest ADDRESSES SECONDS CONCURRENCY  # GET one manifest by tag, over and over
//! registry_load make-image DIR LAYERS LAYER_MIB             # an OCI layout, tag `v1`, for skopeo
//! registry_load ceiling FILE SCRATCH_DIR                     # this machine's hash and write speeds
//! ```
//! ADDRESSES is `host:port`, or several separated by commas (replicas: requests take turns).
//! Each load mode prints one line: `requests=N seconds=S rate=R/s p50=MSms p99=MSms errors=E`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kots_oci::{Digest, OciLayout, media_type};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |index: usize| args.get(index).unwrap_or_else(|| panic!("missing argument {index}; see the header"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    match arg(0).as_str() {
        "push-small" => runtime.block_on(push_small(arg(1), arg(2).parse().unwrap(), arg(3).parse().unwrap())),
        "get-manifest" => runtime.block_on(get_manifest(arg(1), arg(2).parse().unwrap(), arg(3).parse().unwrap())),
        "make-image" => make_image(arg(1), arg(2).parse().unwrap(), arg(3).parse().unwrap()),
        "ceiling" => ceiling(arg(1), arg(2)),
        other => panic!("unknown mode `{other}`"),
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().pool_max_idle_per_host(256).build().unwrap()
}

fn small_blob(index: u64) -> Vec<u8> {
    let mut blob = vec![0u8; 10 * 1024];
    blob[..8].copy_from_slice(&index.to_le_bytes());
    blob[8..16].copy_from_slice(&std::process::id().to_le_bytes().repeat(2));
    blob
}

fn report(requests: u64, errors: u64, elapsed: Duration, latencies: &Mutex<Vec<Duration>>) {
    let seconds = elapsed.as_secs_f64();
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "requests={requests} seconds={seconds:.3} rate={:.0}/s p50={:.2}ms p99={:.2}ms errors={errors}",
        requests as f64 / seconds,
        percentile(0.5),
        percentile(0.99)
    );
}

fn addresses(text: &str) -> Vec<String> {
    text.split(',').map(str::to_owned).collect()
}

async fn push_small(address: &str, count: u64, concurrency: u64) {
    let client = client();
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let all = addresses(address);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, next, errors, all, latencies) =
                (client.clone(), next.clone(), errors.clone(), all.clone(), latencies.clone());
            tokio::spawn(async move {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        break;
                    }
                    let address = &all[index as usize % all.len()];
                    let began = Instant::now();
                    let blob = small_blob(index);
                    let digest = Digest::sha256_of(&blob);
                    let url = format!("http://{address}/v2/bench/small/blobs/uploads/?digest={digest}");
                    // Distribution does not take a monolithic POST: POST, then PUT the bytes.
                    let response = client.post(&url).body(blob.clone()).send().await;
                    let ok = match response {
                        Ok(response) if response.status() == 201 => true,
                        Ok(response) if response.status() == 202 => {
                            let location = response.headers()["location"].to_str().unwrap().to_owned();
                            let location = if location.starts_with("http") {
                                location
                            } else {
                                format!("http://{address}{location}")
                            };
                            let separator = if location.contains('?') { '&' } else { '?' };
                            let put =
                                client.put(format!("{location}{separator}digest={digest}")).body(blob).send().await;
                            matches!(put, Ok(response) if response.status() == 201)
                        }
                        _ => false,
                    };
                    latencies.lock().unwrap().push(began.elapsed());
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    report(count, errors.load(Ordering::Relaxed), started.elapsed(), &latencies);
}

async fn get_manifest(address: &str, seconds: u64, concurrency: u64) {
    let client = client();
    let urls: Vec<String> =
        addresses(address).iter().map(|address| format!("http://{address}/v2/bench/image/manifests/v1")).collect();
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (client, urls, done, errors, latencies) =
                (client.clone(), urls.clone(), done.clone(), errors.clone(), latencies.clone());
            tokio::spawn(async move {
                let mut turn = worker as usize;
                while Instant::now() < deadline {
                    turn += 1;
                    let url = &urls[turn % urls.len()];
                    let began = Instant::now();
                    let response =
                        client.get(url.as_str()).header("accept", media_type::MANIFEST_TYPES.join(",")).send().await;
                    let ok = match response {
                        Ok(response) if response.status() == 200 => response.bytes().await.is_ok(),
                        _ => false,
                    };
                    latencies.lock().unwrap().push(began.elapsed());
                    done.fetch_add(1, Ordering::Relaxed);
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    report(done.load(Ordering::Relaxed), errors.load(Ordering::Relaxed), started.elapsed(), &latencies);
}

fn make_image(directory: &str, layers: usize, layer_mib: usize) {
    let layout = OciLayout::create(directory).unwrap();
    let mut descriptors = Vec::new();
    let mut state = 0x9e3779b97f4a7c15u64;
    for _ in 0..layers {
        let mut bytes = vec![0u8; layer_mib * 1024 * 1024];
        for chunk in bytes.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        descriptors.push(layout.write_blob_bytes(media_type::OCI_LAYER_GZIP, &bytes).unwrap());
    }
    let config =
        serde_json::json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}});
    let config = layout.write_blob_bytes(media_type::OCI_CONFIG, config.to_string().as_bytes()).unwrap();
    let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST, "config": config, "layers": descriptors});
    let manifest = layout.write_blob_bytes(media_type::OCI_MANIFEST, manifest.to_string().as_bytes()).unwrap();
    layout.add_manifest(manifest, Some("v1")).unwrap();
}

/// What one core can do with a blob already in memory-speed storage: sha256 it, write it and
/// fsync it, and both. A registry that receives over the network cannot beat the last figure.
fn ceiling(file: &str, scratch: &str) {
    use std::io::{Read, Write};
    let size = std::fs::metadata(file).unwrap().len() as f64;
    let pass = |hash: bool, write: bool| {
        let mut input = std::fs::File::open(file).unwrap();
        let target = std::path::Path::new(scratch).join("ceiling.tmp");
        let mut output = write.then(|| std::fs::File::create(&target).unwrap());
        let mut hasher = kots_oci::Algorithm::Sha256.hasher();
        let mut buffer = vec![0u8; 1 << 20];
        let started = Instant::now();
        loop {
            let read = input.read(&mut buffer).unwrap();
            if read == 0 {
                break;
            }
            if hash {
                hasher.update(&buffer[..read]);
            }
            if let Some(output) = output.as_mut() {
                output.write_all(&buffer[..read]).unwrap();
            }
        }
        if let Some(output) = output {
            output.sync_all().unwrap();
        }
        let rate = size / started.elapsed().as_secs_f64() / 1e6;
        let _ = std::fs::remove_file(&target);
        rate
    };
    let hash = pass(true, false);
    let write = pass(false, true);
    let both = pass(true, true);
    println!("hash={hash:.0} write_fsync={write:.0} hash_write_fsync={both:.0}");
}

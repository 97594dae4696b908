//! Bad input and bad luck never harm stored data: truncated bodies, clients that vanish half-way,
//! a server killed with SIGKILL mid-upload. After each, what was committed is served intact and
//! nothing half-written is visible.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use kots_oci::Digest;
use reqwest::StatusCode;

use crate::util::{Registry, client, push_blob, raw_request};

fn pseudo_random(size: usize, seed: u8) -> Vec<u8> {
    (0..size).map(|i| ((i * 31 + seed as usize * 7) % 253) as u8 ^ seed).collect()
}

async fn assert_served(registry: &Registry, repository: &str, bytes: &[u8]) {
    let digest = Digest::sha256_of(bytes);
    let response = client().get(registry.url(&format!("/v2/{repository}/blobs/{digest}"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{digest}");
    let body = response.bytes().await.unwrap();
    assert_eq!(Digest::sha256_of(&body), digest, "blob {digest} changed");
}

fn uploads_on_disk(registry: &Registry) -> Vec<String> {
    std::fs::read_dir(registry.data_dir.join("uploads"))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Opens a request and sends its headers and `partial` bytes of the body, leaving it unfinished.
fn start_request(address: &str, head: &str, partial: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(partial).unwrap();
    stream.flush().unwrap();
    stream
}

async fn wait_until(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn truncated_monolithic_upload_is_refused_and_cleaned() {
    let registry = Registry::start();
    let content = pseudo_random(100_000, 1);
    let digest = Digest::sha256_of(&content);
    let head = format!(
        "POST /v2/t/blobs/uploads/?digest={digest} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        content.len()
    );
    let stream = start_request(&registry.address, &head, &content[..40_000]);
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    drop(stream);

    wait_until("the partial upload is removed", async || uploads_on_disk(&registry).is_empty()).await;
    let head = client().head(registry.url(&format!("/v2/t/blobs/{digest}"))).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    // The same blob, sent whole, is then accepted.
    push_blob(&registry, "t", &content).await;
    assert_served(&registry, "t", &content).await;
}

#[tokio::test]
async fn client_vanishing_mid_chunk_loses_only_that_chunk() {
    let registry = Registry::start();
    let content = pseudo_random(300_000, 2);
    let digest = Digest::sha256_of(&content);
    let started = client().post(registry.url("/v2/v/blobs/uploads/")).send().await.unwrap();
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let first = client()
        .patch(registry.url(&location))
        .header("content-range", "0-99999")
        .body(content[..100_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);

    // The second chunk is cut off half-way and the connection dropped.
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nHost: x\r\nContent-Range: 100000-199999\r\nContent-Length: 100000\r\n\r\n"
    );
    drop(start_request(&registry.address, &head, &content[100_000..150_000]));

    let status_url = registry.url(&location);
    wait_until("the session reports only the first chunk", async || {
        let status = client().get(&status_url).send().await.unwrap();
        status.headers()["range"] == "0-99999" && registry.busy_free(&location).await
    })
    .await;

    // Resume from where the server says, then finish.
    let second = client()
        .patch(registry.url(&location))
        .header("content-range", "100000-199999")
        .body(content[100_000..200_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::ACCEPTED, "{:?}", second.text().await);
    let finished = client()
        .put(registry.url(&format!("{location}?digest={digest}")))
        .body(content[200_000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), StatusCode::CREATED);
    assert_served(&registry, "v", &content).await;
}

impl Registry {
    /// True once no request holds the session (a PATCH can be retried).
    async fn busy_free(&self, location: &str) -> bool {
        let probe =
            client().patch(self.url(location)).header("content-range", "0-0").body(vec![0]).send().await.unwrap();
        // 416 means the session was free and refused the misplaced byte; 400 means it is busy.
        probe.status() == StatusCode::RANGE_NOT_SATISFIABLE
    }
}

#[tokio::test]
async fn kill_mid_upload_then_restart_serves_everything_committed() {
    let registry = Registry::start();
    let committed: Vec<Vec<u8>> = (0..5).map(|i| pseudo_random(50_000 + i * 1000, i as u8 + 10)).collect();
    for blob in &committed {
        push_blob(&registry, "k/app", blob).await;
    }

    // A chunked session with one acknowledged chunk.
    let resumable = pseudo_random(120_000, 42);
    let started = client().post(registry.url("/v2/k/app/blobs/uploads/")).send().await.unwrap();
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let chunk = client().patch(registry.url(&location)).body(resumable[..60_000].to_vec()).send().await.unwrap();
    assert_eq!(chunk.status(), StatusCode::ACCEPTED);

    // A monolithic upload in flight when the server dies.
    let doomed = pseudo_random(2_000_000, 99);
    let doomed_digest = Digest::sha256_of(&doomed);
    let head = format!(
        "POST /v2/k/app/blobs/uploads/?digest={doomed_digest} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        doomed.len()
    );
    let in_flight = start_request(&registry.address, &head, &doomed[..1_000_000]);
    wait_until("the in-flight upload reaches the disk", async || uploads_on_disk(&registry).len() == 2).await;

    let registry = registry.restart(&[]);
    drop(in_flight);

    for blob in &committed {
        assert_served(&registry, "k/app", blob).await;
    }
    let head = client().head(registry.url(&format!("/v2/k/app/blobs/{doomed_digest}"))).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    let session = location.rsplit('/').next().unwrap().to_owned();
    assert_eq!(uploads_on_disk(&registry), vec![session], "only the live session's bytes remain");

    // The chunked session carries on where it was, on the new process.
    let status = client().get(registry.url(&location)).send().await.unwrap();
    assert_eq!(status.headers()["range"], "0-59999");
    let digest = Digest::sha256_of(&resumable);
    let finished = client()
        .put(registry.url(&format!("{location}?digest={digest}")))
        .body(resumable[60_000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), StatusCode::CREATED);
    assert_served(&registry, "k/app", &resumable).await;
}

#[tokio::test]
async fn idle_upload_sessions_expire() {
    let temp = tempfile::tempdir().unwrap();
    let registry = Registry::start_in(&temp.path().join("data"), &["--upload-ttl", "1s"]);
    let started = client().post(registry.url("/v2/e/blobs/uploads/")).send().await.unwrap();
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    client().patch(registry.url(&location)).body(vec![7u8; 1000]).send().await.unwrap();
    assert_eq!(uploads_on_disk(&registry).len(), 1);

    wait_until("the idle session expires", async || {
        client().get(registry.url(&location)).send().await.unwrap().status() == StatusCode::NOT_FOUND
    })
    .await;
    assert!(uploads_on_disk(&registry).is_empty());
    let (status, text) =
        raw_request(&registry.address, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    assert_eq!(status, 200);
    assert!(text.contains("kots_registry_upload_sessions 0"), "{text}");
}

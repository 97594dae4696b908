//! The proxy of linked registries end to end: an htpasswd `kots-registry` with token auth
//! stands in for `quay.io`, the vendor (with `--allow-private-registries`) links it to app `a`,
//! and a license of `a` pulls `VENDOR/proxy/a/127.0.0.1_PORT/acme/api:1` with skopeo, every
//! digest and byte as upstream. Then who may not (another app's license, an unlinked host, a
//! revoked license, a push), and what an upstream failure looks like to the customer.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kots_oci::media_type::*;
use kots_oci::{Descriptor, Digest, OciLayout};
use kots_testkit::{skopeo, try_skopeo};
use reqwest::StatusCode;
use serde_json::json;

use crate::registry::{code_and_message, token};
use crate::{Server, license_id};

const UPSTREAM_PASSWORD: &str = "quay-robot-s3cret";

/// `kots-registry` with token auth and one htpasswd user `robot`, on a runtime of its own so
/// that stopping it drops every connection, as an outage would.
struct Upstream {
    host: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Upstream {
    fn start(directory: &Path) -> Upstream {
        let directory = directory.join("upstream");
        let (runtime, host) = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
            let host = runtime.block_on(kots_testkit::spawn_login_registry(&directory, ("robot", UPSTREAM_PASSWORD)));
            (runtime, host)
        })
        .join()
        .unwrap();
        Upstream { host, runtime: Some(runtime) }
    }

    fn stop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A listener that counts connections: a host nobody linked, which must never be reached.
async fn counting_listener() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (address, count)
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

/// An image (config and two layers) tagged `1` in a new layout; its manifest's descriptor.
fn make_image(directory: &Path) -> (OciLayout, Descriptor) {
    let layout = OciLayout::create(directory).unwrap();
    let layers: Vec<Descriptor> = [(300_000, 1), (120_000, 2)]
        .into_iter()
        .map(|(size, seed)| layout.write_blob_bytes(OCI_LAYER_GZIP, &pseudo_random(size, seed)).unwrap())
        .collect();
    let config = json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}});
    let config = layout.write_blob_bytes(OCI_CONFIG, config.to_string().as_bytes()).unwrap();
    let manifest = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers});
    let manifest = layout.write_blob_bytes(OCI_MANIFEST, manifest.to_string().as_bytes()).unwrap();
    layout.add_manifest(manifest.clone(), Some("1")).unwrap();
    (layout, manifest)
}

/// A registry token for `scope` (or `None` when refused), as the registry's token service
/// gives it.
async fn bearer(server: &Server, user: &str, password: &str, scope: &str) -> Option<String> {
    let response = token(server, user, password, scope).await;
    if response.status() != StatusCode::OK {
        return None;
    }
    let body: serde_json::Value = response.json().await.unwrap();
    body["token"].as_str().map(str::to_owned)
}

async fn get(server: &Server, path: &str, token: Option<&str>, range: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(range) = range {
        request = request.header("range", range);
    }
    request.send().await.unwrap()
}

fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn licenses_pull_linked_images_through_the_proxy_and_nobody_else_does() {
    let server = Server::start_with(&["--allow-private-registries"]);
    let mut upstream = Upstream::start(server.temp.path());
    let (layout, manifest) = make_image(&server.path("image"));
    let manifest_bytes = layout.read_blob(&manifest.digest).unwrap();

    // The vendor's image in its own registry (token auth, a password).
    let retry = kots_transfer::RetryPolicy {
        attempts: 2,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(50),
    };
    let side =
        kots_transfer::ClientOptions { plain_http: true, ambient_credentials: false, retry, ..Default::default() };
    let copying = kots_transfer::CopyOptions {
        source: side.clone(),
        destination: kots_transfer::ClientOptions {
            credentials: Some(kots_transfer::Credentials::new("robot", UPSTREAM_PASSWORD)),
            ..side
        },
        ..Default::default()
    };
    let source = kots_transfer::Endpoint::parse(&format!("oci:{}:1", layout.root().display())).unwrap();
    let destination = kots_transfer::Endpoint::parse(&format!("http://{}/acme/api:1", upstream.host)).unwrap();
    kots_transfer::copy(&source, &destination, &copying, None).await.unwrap();

    for app in ["a", "b"] {
        server.cli(&["app", "create", app]);
    }
    let link = |extra: &[&str], password: &str| {
        let mut args = vec![
            "registry",
            "add",
            "--app",
            "a",
            "--endpoint",
            &upstream.host,
            "--username",
            "robot",
            "--password",
            password,
        ];
        args.extend_from_slice(extra);
        server.cli(&args)
    };
    link(&[], UPSTREAM_PASSWORD);
    let license = |app: &str, name: &str| {
        let path = server.path(&format!("{name}.yaml"));
        server.cli(&["customer", "create", "--app", app, "--name", name, "--output", path.to_str().unwrap()]);
        license_id(&path)
    };
    let license_a = license("a", "acme");
    let license_b = license("b", "bravo");
    let encoded = upstream.host.replace(':', "_");
    let repository = format!("proxy/a/{encoded}/acme/api");
    let image = format!("{}/{repository}", server.host());

    // skopeo, with the license as KOTS's pull secret writes it: every digest as upstream.
    let creds = format!("LICENSE_ID:{license_a}");
    let pulled = server.path("pulled");
    skopeo(&[
        "copy",
        // The layers are random bytes, not gzip: skopeo would compress them otherwise.
        "--preserve-digests",
        "--src-tls-verify=false",
        "--src-creds",
        &creds,
        &format!("docker://{image}:1"),
        &format!("oci:{}:1", pulled.display()),
    ]);
    let pulled = OciLayout::open(&pulled).unwrap();
    let descriptor = pulled.find("1").unwrap().unwrap();
    assert_eq!(
        descriptor.digest,
        manifest.digest,
        "{}\n{}",
        String::from_utf8_lossy(&pulled.read_blob(&descriptor.digest).unwrap()),
        String::from_utf8_lossy(&layout.read_blob(&manifest.digest).unwrap())
    );
    assert_eq!(pulled.read_blob(&manifest.digest).unwrap(), manifest_bytes);
    let parsed: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();
    let mut blobs = vec![parsed["config"]["digest"].as_str().unwrap().to_owned()];
    blobs.extend(parsed["layers"].as_array().unwrap().iter().map(|l| l["digest"].as_str().unwrap().to_owned()));
    for digest in &blobs {
        let digest = Digest::parse(digest).unwrap();
        assert_eq!(pulled.read_blob(&digest).unwrap(), layout.read_blob(&digest).unwrap(), "{digest}");
    }
    // The manifest's bytes, as skopeo reads them (ID:ID logs in too).
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        &format!("{license_a}:{license_a}"),
        &format!("docker://{image}:1"),
    ]);
    assert_eq!(raw.as_bytes(), &manifest_bytes[..]);

    // A range of a layer, HEAD of a manifest, the tag list, with a registry token.
    let bearer_a = bearer(&server, &license_a, &license_a, &pull_scope(&repository)).await.unwrap();
    let layer = Digest::parse(&blobs[1]).unwrap();
    let layer_bytes = layout.read_blob(&layer).unwrap();
    let part = get(&server, &format!("/v2/{repository}/blobs/{layer}"), Some(&bearer_a), Some("bytes=1000-1999")).await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()["content-range"], format!("bytes 1000-1999/{}", layer_bytes.len()));
    assert_eq!(part.bytes().await.unwrap(), &layer_bytes[1000..2000]);
    let head = reqwest::Client::new()
        .head(format!("{}/v2/{repository}/manifests/1", server.url))
        .bearer_auth(&bearer_a)
        .header("accept", OCI_MANIFEST)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["docker-content-digest"], manifest.digest.to_string());
    let tags: serde_json::Value =
        get(&server, &format!("/v2/{repository}/tags/list"), Some(&bearer_a), None).await.json().await.unwrap();
    assert_eq!(tags["tags"], json!(["1"]));

    // A missing tag: 404 MANIFEST_UNKNOWN.
    let missing = get(&server, &format!("/v2/{repository}/manifests/nope"), Some(&bearer_a), None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(code_and_message(missing).await.0, "MANIFEST_UNKNOWN");

    // Another app's license: no answer from a's proxy, with skopeo or with a token.
    let (ok, stderr) = try_skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        &format!("LICENSE_ID:{license_b}"),
        &format!("docker://{image}:1"),
    ]);
    assert!(!ok, "a license of b read a's proxy");
    assert!(
        stderr.contains("denied")
            || stderr.contains("unauthorized")
            || stderr.contains("401")
            || stderr.contains("403"),
        "{stderr}"
    );
    let bearer_b = bearer(&server, &license_b, &license_b, &pull_scope(&repository)).await;
    let response = get(&server, &format!("/v2/{repository}/manifests/1"), bearer_b.as_deref(), None).await;
    assert!(matches!(response.status().as_u16(), 401 | 403), "{}", response.status());

    // A host nobody linked: 403 DENIED naming it and the app, and not one connection to it.
    let (unlinked, reached) = counting_listener().await;
    let unlinked_repository = format!("proxy/a/{}/acme/api", unlinked.replace(':', "_"));
    let bearer_unlinked = bearer(&server, &license_a, &license_a, &pull_scope(&unlinked_repository)).await;
    let response =
        get(&server, &format!("/v2/{unlinked_repository}/manifests/1"), bearer_unlinked.as_deref(), None).await;
    let basic = reqwest::Client::new()
        .get(format!("{}/v2/{unlinked_repository}/manifests/1", server.url))
        .basic_auth(&license_a, Some(&license_a))
        .send()
        .await
        .unwrap();
    for response in [response, basic] {
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let (code, message) = code_and_message(response).await;
        assert_eq!(code, "DENIED");
        assert!(message.contains(&format!("registry {unlinked} is not linked to app `a`")), "{message}");
    }
    assert_eq!(reached.load(Ordering::SeqCst), 0, "the unlinked host was reached");

    // A host only app b links, and b's proxy of a's registry: not for a license of a.
    let (linked_to_b, reached_b) = counting_listener().await;
    server.cli(&["registry", "add", "--app", "b", "--endpoint", &linked_to_b, "--no-check"]);
    server.cli(&["registry", "add", "--app", "b", "--endpoint", &upstream.host, "--no-check"]);
    for (other, wanted) in [
        (
            format!("proxy/a/{}/acme/api", linked_to_b.replace(':', "_")),
            format!("registry {linked_to_b} is not linked to app `a`"),
        ),
        (format!("proxy/b/{encoded}/acme/api"), format!("license `{license_a}` may pull only its own app's images")),
    ] {
        let response = reqwest::Client::new()
            .get(format!("{}/v2/{other}/manifests/1", server.url))
            .basic_auth(&license_a, Some(&license_a))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{other}");
        let (code, message) = code_and_message(response).await;
        assert!(code == "DENIED" && message.contains(&wanted), "{other}: {message}");
    }
    assert_eq!(reached_b.load(Ordering::SeqCst), 0, "b's host was reached for a license of a");
    // Another team's user: refused too.
    server.cli(&["team", "create", "--email", "rival@other.example", "--password", "rival password"]);
    let (ok, _) = try_skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        "rival@other.example:rival password",
        &format!("docker://{image}:1"),
    ]);
    assert!(!ok, "another team's user read a's proxy");

    // Pushing to the proxy: refused, for the license and for the vendor's own user.
    for creds in [creds.clone(), format!("{}:{}", crate::EMAIL, crate::PASSWORD)] {
        let (ok, stderr) = try_skopeo(&[
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            &creds,
            &format!("oci:{}:1", layout.root().display()),
            &format!("docker://{image}:pushed"),
        ]);
        assert!(!ok, "a push to the proxy was accepted");
        assert!(!stderr.is_empty());
    }
    let response = reqwest::Client::new()
        .post(format!("{}/v2/{repository}/blobs/uploads/", server.url))
        .basic_auth(crate::EMAIL, Some(crate::PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(code_and_message(response).await.1.contains("read-only proxy"));

    // The vendor's team reads it too: its user, and a read-only service account.
    let robot = server.cli(&["service-account", "create", "--name", "robot", "--read-only"]).trim().to_owned();
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        &format!("robot:{robot}"),
        &format!("docker://{image}:1"),
    ]);
    assert_eq!(raw.as_bytes(), &manifest_bytes[..]);
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        &format!("{}:{}", crate::EMAIL, crate::PASSWORD),
        &format!("docker://{image}:1"),
    ]);
    assert_eq!(raw.as_bytes(), &manifest_bytes[..]);

    // A revoked license: its token, issued before, is refused on the next request.
    let license_c = license("a", "charlie");
    let bearer_c = bearer(&server, &license_c, &license_c, &pull_scope(&repository)).await.unwrap();
    assert_eq!(get(&server, &format!("/v2/{repository}/manifests/1"), Some(&bearer_c), None).await.status(), 200);
    server.cli(&["customer", "revoke", "--app", "a", &license_c]);
    let revoked = get(&server, &format!("/v2/{repository}/manifests/1"), Some(&bearer_c), None).await;
    assert!(matches!(revoked.status().as_u16(), 401 | 403), "{}", revoked.status());

    // Wrong stored credentials (replaced without a check): 502 saying so, at once.
    link(&["--replace", "--no-check"], "not-the-password");
    let refused = get(&server, &format!("/v2/{repository}/manifests/1"), Some(&bearer_a), None).await;
    assert_eq!(refused.status(), StatusCode::BAD_GATEWAY);
    let (_, message) = code_and_message(refused).await;
    assert!(message.contains(&format!("{repository}:1")), "{message}");
    assert!(
        message.contains(&format!("stored credentials for linked registry {} were refused", upstream.host)),
        "{message}"
    );
    assert!(!message.contains("not-the-password"), "{message}");
    // Put right again: served again.
    link(&["--replace"], UPSTREAM_PASSWORD);
    assert_eq!(get(&server, &format!("/v2/{repository}/manifests/1"), Some(&bearer_a), None).await.status(), 200);

    // The upstream stopped: 502 naming the image and the host.
    upstream.stop();
    let down = get(&server, &format!("/v2/{repository}/blobs/{layer}"), Some(&bearer_a), None).await;
    assert_eq!(down.status(), StatusCode::BAD_GATEWAY);
    let (_, message) = code_and_message(down).await;
    assert!(message.contains(&format!("{repository}@{layer}")), "{message}");
    assert!(message.contains(&format!("cannot reach linked registry {}", upstream.host)), "{message}");

    // Unlinked: refused before anything is asked upstream.
    server.cli(&["registry", "remove", "--app", "a", "--endpoint", &upstream.host]);
    let response = get(&server, &format!("/v2/{repository}/manifests/1"), Some(&bearer_a), None).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!server.log().contains(UPSTREAM_PASSWORD));
}

/// `--proxy-cache-mib`: blobs a customer pulled whole are served again with the linked registry
/// down, through the same repository only; manifests still need the registry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pull_through_cache_serves_blobs_pulled_before() {
    let server = Server::start_with(&["--allow-private-registries", "--proxy-cache-mib", "64"]);
    let mut upstream = Upstream::start(server.temp.path());
    let (layout, manifest) = make_image(&server.path("image"));
    let retry = kots_transfer::RetryPolicy {
        attempts: 2,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(50),
    };
    let side =
        kots_transfer::ClientOptions { plain_http: true, ambient_credentials: false, retry, ..Default::default() };
    let copying = kots_transfer::CopyOptions {
        source: side.clone(),
        destination: kots_transfer::ClientOptions {
            credentials: Some(kots_transfer::Credentials::new("robot", UPSTREAM_PASSWORD)),
            ..side
        },
        ..Default::default()
    };
    let source = kots_transfer::Endpoint::parse(&format!("oci:{}:1", layout.root().display())).unwrap();
    for path in ["acme/api", "acme/twin"] {
        let destination = kots_transfer::Endpoint::parse(&format!("http://{}/{path}:1", upstream.host)).unwrap();
        kots_transfer::copy(&source, &destination, &copying, None).await.unwrap();
    }
    server.cli(&["app", "create", "a"]);
    server.cli(&[
        "registry",
        "add",
        "--app",
        "a",
        "--endpoint",
        &upstream.host,
        "--username",
        "robot",
        "--password",
        UPSTREAM_PASSWORD,
    ]);
    let path = server.path("license.yaml");
    server.cli(&["customer", "create", "--app", "a", "--name", "acme", "--output", path.to_str().unwrap()]);
    let license = license_id(&path);
    let encoded = upstream.host.replace(':', "_");
    let repository = format!("proxy/a/{encoded}/acme/api");
    let twin = format!("proxy/a/{encoded}/acme/twin");

    let pulled = server.path("pulled");
    skopeo(&[
        "copy",
        "--preserve-digests",
        "--src-tls-verify=false",
        "--src-creds",
        &format!("LICENSE_ID:{license}"),
        &format!("docker://{}/{repository}:1", server.host()),
        &format!("oci:{}:1", pulled.display()),
    ]);
    // The config and both layers are in the cache, and nothing else.
    let cached: Vec<_> =
        std::fs::read_dir(server.path("data").join("proxy-cache/blobs/sha256")).unwrap().flatten().collect();
    let bytes: u64 = cached.iter().map(|entry| entry.metadata().unwrap().len()).sum();
    let manifest_bytes = layout.read_blob(&manifest.digest).unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();
    let sizes: u64 = parsed["layers"].as_array().unwrap().iter().map(|l| l["size"].as_u64().unwrap()).sum::<u64>()
        + parsed["config"]["size"].as_u64().unwrap();
    assert_eq!((cached.len(), bytes), (3, sizes));

    upstream.stop();
    let scopes = format!("{}&scope={}", pull_scope(&repository), pull_scope(&twin));
    let bearer = bearer(&server, &license, &license, &scopes).await.unwrap();
    let layer = Digest::parse(parsed["layers"][0]["digest"].as_str().unwrap()).unwrap();
    let layer_bytes = layout.read_blob(&layer).unwrap();
    let whole = get(&server, &format!("/v2/{repository}/blobs/{layer}"), Some(&bearer), None).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.bytes().await.unwrap(), &layer_bytes[..]);
    let part = get(&server, &format!("/v2/{repository}/blobs/{layer}"), Some(&bearer), Some("bytes=-100")).await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.bytes().await.unwrap(), &layer_bytes[layer_bytes.len() - 100..]);
    // The same blob through a repository it was never read from: the registry is asked, and down.
    let other = get(&server, &format!("/v2/{twin}/blobs/{layer}"), Some(&bearer), None).await;
    assert_eq!(other.status(), StatusCode::BAD_GATEWAY);
    // Manifests always come from the linked registry.
    let manifest = get(&server, &format!("/v2/{repository}/manifests/1"), Some(&bearer), None).await;
    assert_eq!(manifest.status(), StatusCode::BAD_GATEWAY);
}

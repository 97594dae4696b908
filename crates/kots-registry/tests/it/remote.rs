//! Remote (pull-through) repositories: a registry served in-process with an in-memory
//! [`Remote`] holding one image (config and two layers, built here), pulled by skopeo and by
//! raw HTTP: digests unchanged, ranges, HEAD sizes, writes refused with 405, unknown tags 404,
//! a failing upstream 502, and authorization before the remote is ever asked.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use kots_oci::media_type::OCI_MANIFEST;
use kots_oci::{Digest, OciLayout};
use kots_registry::auth::{AccessPolicy, Action, AuthOptions, Decision, Principal, ThrottleOptions};
use kots_registry::remote::{Remote, RemoteBlob, RemoteManifest};
use kots_registry::request::ByteRange;
use kots_registry::route::ManifestReference;
use kots_registry::storage::ByteStream;
use kots_registry::{Error, Options, Registry, Result};
use kots_testkit::{skopeo, skopeo_raw, try_skopeo};
use reqwest::StatusCode;

use crate::images::{self, Format};
use crate::util::{client, error_code};

/// An upstream registry in memory: `proxy/x/y` holds the image under tag `v1`.
struct FakeUpstream {
    manifest: Bytes,
    blobs: HashMap<Digest, Bytes>,
    failing: AtomicBool,
    calls: AtomicUsize,
}

impl FakeUpstream {
    /// The image, made in an OCI layout and read back.
    fn new() -> FakeUpstream {
        let temp = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(temp.path().join("image")).unwrap();
        let root = images::image(&layout, Format::Oci, 7, 2, "amd64");
        let all = images::reachable(&layout, &root);
        assert_eq!(all.len(), 4, "manifest, config and two layers");
        let blobs = all[1..]
            .iter()
            .map(|descriptor| (descriptor.digest.clone(), Bytes::from(layout.read_blob(&descriptor.digest).unwrap())))
            .collect();
        let manifest = Bytes::from(layout.read_blob(&root.digest).unwrap());
        FakeUpstream { manifest, blobs, failing: AtomicBool::new(false), calls: AtomicUsize::new(0) }
    }

    fn manifest_digest(&self) -> Digest {
        Digest::sha256_of(&self.manifest)
    }

    /// The largest blob (a layer).
    fn layer(&self) -> (&Digest, &Bytes) {
        self.blobs.iter().max_by_key(|(_, bytes)| bytes.len()).unwrap()
    }

    fn check(&self, image: String) -> Result<()> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if self.failing.load(Ordering::Relaxed) {
            return Err(Error::Upstream { image, reason: "connection refused by upstream.test:443".to_owned() });
        }
        Ok(())
    }
}

#[async_trait]
impl Remote for FakeUpstream {
    fn serves(&self, repository: &str) -> bool {
        repository.starts_with("proxy/")
    }

    async fn manifest(
        &self,
        repository: &str,
        reference: &ManifestReference,
        _accepted: &[String],
        head: bool,
    ) -> Result<RemoteManifest> {
        self.check(format!("upstream.test/{repository}:{reference}"))?;
        let found = repository == "proxy/x/y"
            && match reference {
                ManifestReference::Tag(tag) => tag == "v1",
                ManifestReference::Digest(digest) => *digest == self.manifest_digest(),
            };
        if !found {
            return Err(Error::ManifestUnknown(format!("upstream.test/{repository}:{reference} is not upstream")));
        }
        let mut manifest = RemoteManifest::new(OCI_MANIFEST, self.manifest.clone());
        if head {
            manifest.content = None;
        }
        Ok(manifest)
    }

    async fn blob(
        &self,
        repository: &str,
        digest: &Digest,
        range: Option<ByteRange>,
        head: bool,
    ) -> Result<RemoteBlob> {
        self.check(format!("upstream.test/{repository}@{digest}"))?;
        let bytes = self.blobs.get(digest).ok_or_else(|| Error::BlobUnknown(digest.clone()))?;
        let size = bytes.len() as u64;
        let range =
            match range {
                None => None,
                Some(range) => Some(range.resolve(size).ok_or_else(|| {
                    Error::RangeNotSatisfiable(format!("{range:?} is past the end of {digest}"), size)
                })?),
            };
        let served = match range {
            Some((first, last)) => bytes.slice(first as usize..=last as usize),
            None => bytes.clone(),
        };
        // In small chunks, as a network would deliver them.
        let chunks: Vec<std::io::Result<Bytes>> =
            (0..served.len()).step_by(1000).map(|at| Ok(served.slice(at..(at + 1000).min(served.len())))).collect();
        let body = (!head).then(|| Box::pin(futures_util::stream::iter(chunks)) as ByteStream);
        Ok(RemoteBlob { size, range, body })
    }

    async fn tags(&self, repository: &str) -> Result<Vec<String>> {
        self.check(format!("upstream.test/{repository}"))?;
        if repository != "proxy/x/y" {
            return Err(Error::NameUnknown(repository.to_owned()));
        }
        Ok(vec!["v1".to_owned(), "latest".to_owned(), "v0".to_owned()])
    }
}

/// Alice may pull everything; Bob nothing under `proxy/`.
struct Policy;

#[async_trait]
impl AccessPolicy for Policy {
    async fn authenticate(&self, username: &str, password: &str) -> Result<Option<Principal>> {
        Ok((password == "secret" && ["alice", "bob"].contains(&username))
            .then(|| Principal { subject: username.to_owned(), display: username.to_owned() }))
    }

    async fn authorize(&self, principal: &Principal, repository: &str, action: Action) -> Result<Decision> {
        Ok(match (principal.subject.as_str(), action) {
            ("alice", _) => Decision::Allow,
            _ if !repository.starts_with("proxy/") => Decision::Allow,
            _ => Decision::Deny(format!("{} may not pull `{repository}`", principal.display)),
        })
    }
}

/// A registry serving `upstream` on a free port of 127.0.0.1, for as long as the test's runtime
/// lives; with token authentication when `authenticated`.
async fn serve(upstream: Arc<FakeUpstream>, authenticated: bool) -> (String, tempfile::TempDir) {
    let temp = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let auth = authenticated.then(|| AuthOptions {
        policy: Arc::new(Policy),
        realm: format!("http://{address}/token"),
        service: address.clone(),
        token_ttl: Duration::from_secs(300),
        signing_key: b"remote test key".to_vec(),
        throttle: ThrottleOptions::default(),
    });
    let options = Options { auth, remote: Some(upstream), ..Options::default() };
    let registry = Arc::new(Registry::open_embedded(temp.path(), options).await.unwrap());
    tokio::spawn(kots_registry::server::serve(registry, listener, std::future::pending()));
    (address, temp)
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

/// skopeo pulls the proxied image into an OCI layout: the manifest and every blob arrive with
/// the upstream's digests and bytes; a copy from the proxy into a local repository of the same
/// registry works too (its mounts from the proxy fall back to uploads), and only that local
/// repository is in the catalog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skopeo_pulls_through_the_proxy_with_digests_unchanged() {
    let upstream = Arc::new(FakeUpstream::new());
    let (address, _temp) = serve(upstream.clone(), false).await;
    let out = tempfile::tempdir().unwrap();
    let layout_path = out.path().join("pulled");
    let source = format!("docker://{address}/proxy/x/y:v1");
    let destination = format!("oci:{}:v1", layout_path.display());
    blocking(move || skopeo(&["copy", "--src-tls-verify=false", &source, &destination])).await;

    let pulled = OciLayout::open(&layout_path).unwrap();
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout_path.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["digest"], upstream.manifest_digest().to_string());
    assert_eq!(pulled.read_blob(&upstream.manifest_digest()).unwrap(), upstream.manifest);
    for (digest, bytes) in &upstream.blobs {
        assert_eq!(&pulled.read_blob(digest).unwrap()[..], &bytes[..], "{digest}");
    }
    let reference = format!("{address}/proxy/x/y@{}", upstream.manifest_digest());
    assert_eq!(blocking(move || skopeo_raw(&reference)).await, upstream.manifest);

    let source = format!("docker://{address}/proxy/x/y:v1");
    let local = format!("docker://{address}/local/copy:v1");
    blocking(move || skopeo(&["copy", "--src-tls-verify=false", "--dest-tls-verify=false", &source, &local])).await;
    let reference = format!("{address}/local/copy:v1");
    assert_eq!(blocking(move || skopeo_raw(&reference)).await, upstream.manifest);
    let catalog: serde_json::Value =
        client().get(format!("http://{address}/v2/_catalog")).send().await.unwrap().json().await.unwrap();
    assert_eq!(catalog["repositories"], serde_json::json!(["local/copy"]));
}

#[tokio::test]
async fn ranges_heads_and_tag_lists_as_for_local_repositories() {
    let upstream = Arc::new(FakeUpstream::new());
    let (address, _temp) = serve(upstream.clone(), false).await;
    let (digest, bytes) = upstream.layer();
    let size = bytes.len();
    let blob_url = format!("http://{address}/v2/proxy/x/y/blobs/{digest}");

    let ranged = client().get(&blob_url).header("range", "bytes=1500-2600").send().await.unwrap();
    assert_eq!(ranged.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(ranged.headers()["content-range"], format!("bytes 1500-2600/{size}").as_str());
    assert_eq!(ranged.headers()["content-length"], "1101");
    assert_eq!(ranged.bytes().await.unwrap(), bytes.slice(1500..=2600));

    let suffix = client().get(&blob_url).header("range", "bytes=-10").send().await.unwrap();
    assert_eq!(suffix.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(suffix.bytes().await.unwrap(), bytes.slice(size - 10..));

    for range in [format!("bytes={size}-"), "bytes=oops".to_owned()] {
        let refused = client().get(&blob_url).header("range", &range).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(refused.headers()["content-range"], format!("bytes */{size}").as_str(), "{range}");
    }

    let head = client().head(&blob_url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-length"], size.to_string().as_str());
    assert_eq!(head.headers()["docker-content-digest"], digest.to_string().as_str());
    let whole = client().get(&blob_url).send().await.unwrap();
    assert_eq!(whole.bytes().await.unwrap(), bytes);

    let manifest_url = format!("http://{address}/v2/proxy/x/y/manifests/v1");
    let head = client().head(&manifest_url).header("accept", OCI_MANIFEST).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-length"], upstream.manifest.len().to_string().as_str());
    assert_eq!(head.headers()["content-type"], OCI_MANIFEST);
    assert_eq!(head.headers()["docker-content-digest"], upstream.manifest_digest().to_string().as_str());
    assert!(head.bytes().await.unwrap().is_empty());
    let docker_only =
        client().get(&manifest_url).header("accept", kots_oci::media_type::DOCKER_MANIFEST).send().await.unwrap();
    assert_eq!(docker_only.status(), StatusCode::NOT_FOUND, "Accept negotiation as for local manifests");

    let first = client().get(format!("http://{address}/v2/proxy/x/y/tags/list?n=2")).send().await.unwrap();
    assert_eq!(first.headers()["link"], "</v2/proxy/x/y/tags/list?n=2&last=v0>; rel=\"next\"", "sorted, then paged");
    let first: serde_json::Value = first.json().await.unwrap();
    assert_eq!(first["tags"], serde_json::json!(["latest", "v0"]));
    let rest: serde_json::Value = client()
        .get(format!("http://{address}/v2/proxy/x/y/tags/list?n=2&last=v0"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["tags"], serde_json::json!(["v1"]));

    let referrers = client()
        .get(format!("http://{address}/v2/proxy/x/y/referrers/{}", upstream.manifest_digest()))
        .send()
        .await
        .unwrap();
    assert_eq!(referrers.status(), StatusCode::OK);
    let referrers: serde_json::Value = referrers.json().await.unwrap();
    assert_eq!(referrers["manifests"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_refused_and_failures_map_to_oci_errors() {
    let upstream = Arc::new(FakeUpstream::new());
    let (address, _temp) = serve(upstream.clone(), false).await;
    let url = |path: &str| format!("http://{address}/v2/proxy/x/y{path}");
    let (digest, _) = upstream.layer();

    let refused = [
        client().post(url("/blobs/uploads/")).send().await.unwrap(),
        client().post(url(&format!("/blobs/uploads/?digest={digest}"))).body("x").send().await.unwrap(),
        client().put(url("/manifests/v2")).header("content-type", OCI_MANIFEST).body("{}").send().await.unwrap(),
        client().delete(url("/manifests/v1")).send().await.unwrap(),
        client().delete(url(&format!("/blobs/{digest}"))).send().await.unwrap(),
    ];
    for response in refused {
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "UNSUPPORTED");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("read-only proxy"), "{body}");
    }
    // A real client's push fails with the message.
    let temp = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(temp.path().join("source")).unwrap();
    let root = images::image(&layout, Format::Oci, 8, 1, "amd64");
    layout.add_manifest(root, Some("v1")).unwrap();
    let source = format!("oci:{}:v1", layout.root().display());
    let destination = format!("docker://{address}/proxy/x/pushed:v1");
    let (pushed, log) = blocking(move || try_skopeo(&["copy", "--dest-tls-verify=false", &source, &destination])).await;
    assert!(!pushed && log.contains("read-only proxy"), "{log}");

    // A mount from the proxy into a local repository is a plain upload session.
    let mount = client()
        .post(format!("http://{address}/v2/local/app/blobs/uploads/?mount={digest}&from=proxy/x/y"))
        .send()
        .await
        .unwrap();
    assert_eq!(mount.status(), StatusCode::ACCEPTED);

    let missing = client().get(url("/manifests/v9")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(missing).await, "MANIFEST_UNKNOWN");
    let missing = client().get(url(&format!("/blobs/{}", Digest::sha256_of(b"none")))).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(missing).await, "BLOB_UNKNOWN");
    let missing = client().get(format!("http://{address}/v2/proxy/x/other/tags/list")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(missing).await, "NAME_UNKNOWN");

    upstream.failing.store(true, Ordering::Relaxed);
    for path in ["/manifests/v1".to_owned(), format!("/blobs/{digest}"), "/tags/list".to_owned()] {
        let failed = client().get(url(&path)).send().await.unwrap();
        assert_eq!(failed.status(), StatusCode::BAD_GATEWAY, "{path}");
        let body: serde_json::Value = failed.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "UNKNOWN", "{path}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("upstream.test/proxy/x/y") && message.contains("connection refused"), "{message}");
    }
}

/// The policy decides on `proxy/…` before the remote is asked: no credentials is 401 with a
/// challenge, a principal the policy refuses is 403, and the remote sees neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_comes_before_the_remote() {
    let upstream = Arc::new(FakeUpstream::new());
    let (address, _temp) = serve(upstream.clone(), true).await;
    let url = format!("http://{address}/v2/proxy/x/y/manifests/v1");

    let anonymous = client().get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers()["www-authenticate"].to_str().unwrap().contains("repository:proxy/x/y:pull"));
    let bob = client().get(&url).basic_auth("bob", Some("secret")).send().await.unwrap();
    assert_eq!(bob.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(bob).await, "DENIED");
    assert_eq!(upstream.calls.load(Ordering::Relaxed), 0, "the remote was never asked");

    let alice = client().get(&url).basic_auth("alice", Some("secret")).send().await.unwrap();
    assert_eq!(alice.status(), StatusCode::OK);
    assert_eq!(alice.bytes().await.unwrap(), upstream.manifest);

    let out = tempfile::tempdir().unwrap();
    let source = format!("docker://{address}/proxy/x/y:v1");
    let destination = format!("oci:{}:v1", out.path().join("pulled").display());
    blocking(move || skopeo(&["copy", "--src-tls-verify=false", "--src-creds", "alice:secret", &source, &destination]))
        .await;
    assert!(upstream.calls.load(Ordering::Relaxed) >= 4, "manifest and three blobs through the token flow");
}

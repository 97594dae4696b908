//! The calls a proxy in front of a registry makes (`fetch_manifest`, `fetch_blob`, `tags`),
//! against `kots-registry` with token auth, and what a client for a private registry the
//! operator allowed may reach: that registry, never another private address it points at.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::TryStreamExt;
use kots_oci::Digest;
use kots_oci::media_type::*;
use kots_transfer::{ClientOptions, Credentials, Endpoint, Error, RegistryClient, RetryPolicy};

use crate::{image, options, scripted};

fn private_allowed(credentials: Option<Credentials>) -> ClientOptions {
    let retry =
        RetryPolicy { attempts: 2, base_delay: Duration::from_millis(10), max_delay: Duration::from_millis(20) };
    ClientOptions {
        credentials,
        ambient_credentials: false,
        public_addresses_only: true,
        private_host_allowed: true,
        retry,
        ..ClientOptions::default()
    }
}

async fn collect(stream: kots_transfer::ByteStream) -> Vec<u8> {
    stream.map_ok(|chunk| chunk.to_vec()).try_concat().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifests_blobs_and_tags_as_a_proxy_reads_them() {
    let temp = tempfile::tempdir().unwrap();
    let host = kots_testkit::spawn_login_registry(temp.path(), ("alice", "pw")).await;
    let layout = kots_oci::OciLayout::create(temp.path().join("layout")).unwrap();
    let manifest = image(&layout, "amd64", 5, 1);
    layout.add_manifest(manifest.clone(), Some("v1")).unwrap();
    let mut copying = options();
    copying.destination.credentials = Some(Credentials::new("alice", "pw"));
    for tag in ["v1", "v2", "latest"] {
        let source = Endpoint::parse(&format!("oci:{}:v1", layout.root().display())).unwrap();
        let destination = Endpoint::parse(&format!("http://{host}/acme/api:{tag}")).unwrap();
        kots_transfer::copy(&source, &destination, &copying, None).await.unwrap();
    }
    // A private (loopback) registry, allowed, with its token realm on itself.
    let client = RegistryClient::new(&host, &private_allowed(Some(Credentials::new("alice", "pw")))).unwrap();
    let bytes = layout.read_blob(&manifest.digest).unwrap();

    let got = client.fetch_manifest("acme/api", "v1", &[OCI_MANIFEST.to_owned()], false).await.unwrap().unwrap();
    assert_eq!(got.content.as_deref(), Some(&bytes[..]));
    assert_eq!(
        (got.digest.clone(), got.media_type.as_str(), got.size),
        (manifest.digest.clone(), OCI_MANIFEST, bytes.len() as u64)
    );
    let head = client.fetch_manifest("acme/api", "v1", &[], true).await.unwrap().unwrap();
    assert_eq!((head.digest, head.size, head.content), (manifest.digest.clone(), bytes.len() as u64, None));
    let by_digest = client.fetch_manifest("acme/api", &manifest.digest.to_string(), &[], false).await.unwrap().unwrap();
    assert_eq!(by_digest.content.as_deref(), Some(&bytes[..]));
    assert!(client.fetch_manifest("acme/api", "missing", &[], false).await.unwrap().is_none());
    assert!(client.fetch_manifest("acme/api", "missing", &[], true).await.unwrap().is_none());

    // A layer, whole, by range, by HEAD.
    let parsed: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let layer: Digest = Digest::parse(parsed["layers"][0]["digest"].as_str().unwrap()).unwrap();
    let layer_bytes = layout.read_blob(&layer).unwrap();
    let size = layer_bytes.len() as u64;
    let whole = client.fetch_blob("acme/api", &layer, None, false).await.unwrap().unwrap();
    assert_eq!((whole.size, whole.range), (size, None));
    assert_eq!(collect(whole.body.unwrap()).await, layer_bytes);
    let part = client.fetch_blob("acme/api", &layer, Some("bytes=100-199"), false).await.unwrap().unwrap();
    assert_eq!((part.size, part.range), (size, Some((100, 199))));
    assert_eq!(collect(part.body.unwrap()).await, &layer_bytes[100..200]);
    let tail = client.fetch_blob("acme/api", &layer, Some("bytes=-10"), false).await.unwrap().unwrap();
    assert_eq!(tail.range, Some((size - 10, size - 1)));
    assert_eq!(collect(tail.body.unwrap()).await, &layer_bytes[layer_bytes.len() - 10..]);
    let head = client.fetch_blob("acme/api", &layer, None, true).await.unwrap().unwrap();
    assert_eq!((head.size, head.range, head.body.is_none()), (size, None, true));
    let unsatisfiable = client.fetch_blob("acme/api", &layer, Some(&format!("bytes={size}-")), false).await;
    assert!(matches!(unsatisfiable, Err(Error::Registry { status: 416, .. })), "{unsatisfiable:?}");
    assert!(client.fetch_blob("acme/api", &Digest::sha256_of(b"none"), None, false).await.unwrap().is_none());

    let mut tags = client.tags("acme/api").await.unwrap().unwrap();
    tags.sort();
    assert_eq!(tags, ["latest", "v1", "v2"]);
    assert!(client.tags("acme/none").await.unwrap().is_none());

    // Wrong credentials: refused as such.
    let wrong = RegistryClient::new(&host, &private_allowed(Some(Credentials::new("alice", "bad")))).unwrap();
    let error = wrong.fetch_manifest("acme/api", "v1", &[], false).await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized { .. }), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_lists_follow_link_pagination_on_the_same_host_only() {
    let page = |tags: &str, link: Option<String>| {
        let body = format!(r#"{{"name":"app/x","tags":[{tags}]}}"#);
        let link = link.map(|link| format!("Link: {link}\r\n")).unwrap_or_default();
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{link}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let (address, count) = scripted(vec![
        page(r#""a","b""#, Some(r#"</v2/app/x/tags/list?last=b&n=2>; rel="next""#.to_owned())),
        page(r#""c""#, None),
    ])
    .await;
    let plain = ClientOptions { plain_http: true, ambient_credentials: false, ..ClientOptions::default() };
    let client = RegistryClient::new(&address, &plain).unwrap();
    assert_eq!(client.tags("app/x").await.unwrap().unwrap(), ["a", "b", "c"]);
    assert_eq!(count.load(Ordering::SeqCst), 2);

    // A next page on another host is not followed (the token would go with it).
    let (elsewhere, elsewhere_count) = scripted(vec![page(r#""z""#, None)]).await;
    let (address, _) =
        scripted(vec![page(r#""a""#, Some(format!(r#"<http://{elsewhere}/v2/app/x/tags/list?last=a>; rel="next""#)))])
            .await;
    let client = RegistryClient::new(&address, &plain).unwrap();
    let error = client.tags("app/x").await.unwrap_err();
    assert!(error.to_string().contains("another host"), "{error}");
    assert_eq!(elsewhere_count.load(Ordering::SeqCst), 0);
}

/// A listener that counts connections and answers none usefully: what must never be reached.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_registry_cannot_send_the_client_to_other_private_addresses() {
    let (target, reached) = counting_listener().await;
    let challenge = format!(
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://{target}/token\",service=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let redirect = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{target}/blob\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let (realm_host, _) = scripted(vec![challenge]).await;
    let options = ClientOptions { plain_http: true, ..private_allowed(Some(Credentials::new("u", "p"))) };
    let client = RegistryClient::new(&realm_host, &options).unwrap();
    let error = client.fetch_manifest("app/x", "v1", &[], false).await.unwrap_err();
    assert!(matches!(&error, Error::PrivateAddress { address, .. } if address == &target), "{error}");

    let (redirect_host, _) = scripted(vec![redirect]).await;
    let client = RegistryClient::new(&redirect_host, &options).unwrap();
    let error = client.fetch_blob("app/x", &Digest::sha256_of(b"x"), None, false).await.unwrap_err();
    assert!(format!("{error:?}").contains("private address"), "{error:?}");
    assert_eq!(reached.load(Ordering::SeqCst), 0, "the other private address was reached");
}

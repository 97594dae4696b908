//! skopeo pushes test images into the registry and pulls them back out; the same round trip runs
//! against the reference registry so both are held to one behaviour: manifests and blobs come
//! back byte for byte, tags agree, and a second push moves no layer.

use kots_oci::media_type::{MANIFEST_TYPES, is_image_manifest, is_index};
use kots_oci::{Descriptor, OciLayout};
use kots_testkit::{ReferenceRegistry, skopeo, skopeo_with_log};

use crate::images::{self, Format};
use crate::util::{Registry, client};

#[derive(Clone, Copy, Debug)]
enum Flavour {
    SeveralLayers,
    MultiArch,
    DockerV2,
    Attested,
}

const FLAVOURS: [Flavour; 4] = [Flavour::SeveralLayers, Flavour::MultiArch, Flavour::DockerV2, Flavour::Attested];

fn build(layout: &OciLayout, flavour: Flavour) -> Descriptor {
    match flavour {
        Flavour::SeveralLayers => images::image(layout, Format::Oci, 1, 4, "amd64"),
        Flavour::MultiArch => images::multi_arch(layout, 10),
        Flavour::DockerV2 => images::image(layout, Format::Docker, 20, 3, "amd64"),
        Flavour::Attested => images::attested(layout, 30),
    }
}

/// Pushes, checks and pulls back every flavour through the registry at `address`; returns the
/// total number of blob bytes the second push of each image uploaded, as skopeo reports it.
async fn round_trip_all(address: &str) {
    for flavour in FLAVOURS {
        round_trip(address, flavour).await;
    }
}

async fn round_trip(address: &str, flavour: Flavour) {
    let temp = tempfile::tempdir().unwrap();
    let source = OciLayout::create(temp.path().join("source")).unwrap();
    let root = build(&source, flavour);
    source.add_manifest(root.clone(), Some("v1")).unwrap();
    let repository = format!("{address}/e2e/{}", format!("{flavour:?}").to_lowercase());
    let source_ref = match flavour {
        Flavour::DockerV2 => {
            // skopeo reads only OCI media types from an OCI layout; `dir:` carries Docker's.
            let directory = temp.path().join("source-dir");
            images::to_dir_transport(&source, &root, &directory);
            format!("dir:{}", directory.display())
        }
        _ => format!("oci:{}:v1", source.root().display()),
    };

    let first = skopeo(&[
        "copy",
        "--all",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &source_ref,
        &format!("docker://{repository}:v1"),
    ]);
    assert!(first.contains("Copying blob"), "{flavour:?}: {first}");

    // The manifest comes back exactly as pushed.
    let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", &format!("docker://{repository}:v1")]);
    assert_eq!(raw.as_bytes(), source.read_blob(&root.digest).unwrap(), "{flavour:?}: manifest bytes differ");

    // Every manifest and blob the image reaches is served byte for byte.
    let http = client();
    let path = repository.split_once('/').unwrap().1;
    for descriptor in images::reachable(&source, &root) {
        let kind = if is_index(&descriptor.media_type) || is_image_manifest(&descriptor.media_type) {
            "manifests"
        } else {
            "blobs"
        };
        let response = http
            .get(format!("http://{address}/v2/{path}/{kind}/{}", descriptor.digest))
            .header("accept", MANIFEST_TYPES.join(", "))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{flavour:?}: {kind} {}", descriptor.digest);
        if kind == "manifests" {
            assert_eq!(response.headers()["content-type"], descriptor.media_type.as_str());
        }
        assert_eq!(response.headers()["docker-content-digest"], descriptor.digest.to_string().as_str());
        let body = response.bytes().await.unwrap();
        assert_eq!(&body[..], source.read_blob(&descriptor.digest).unwrap(), "{flavour:?}: {}", descriptor.digest);
    }

    // A second tag, and the tag list agrees with skopeo's.
    let (_, log) = skopeo_with_log(&[
        "--debug",
        "copy",
        "--all",
        "--preserve-digests",
        "--dest-tls-verify=false",
        &source_ref,
        &format!("docker://{repository}:v2"),
    ]);
    assert!(log.contains("already exists"), "{flavour:?}: skopeo did not check for existing blobs:\n{log}");
    let uploads: Vec<&str> = log.lines().filter(|line| line.contains("/blobs/uploads/")).collect();
    assert!(uploads.is_empty(), "{flavour:?}: the second push uploaded blobs: {uploads:#?}");
    let tags: serde_json::Value =
        serde_json::from_str(&skopeo(&["list-tags", "--tls-verify=false", &format!("docker://{repository}")])).unwrap();
    assert_eq!(tags["Tags"], serde_json::json!(["v1", "v2"]), "{flavour:?}");
    let listed: serde_json::Value =
        http.get(format!("http://{address}/v2/{path}/tags/list")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["tags"], tags["Tags"]);

    // And back out: the copy holds the same manifest and blobs.
    let pulled = temp.path().join("pulled");
    match flavour {
        Flavour::DockerV2 => {
            // An OCI layout cannot hold Docker media types without converting them; `dir:` can.
            skopeo(&[
                "copy",
                "--preserve-digests",
                "--src-tls-verify=false",
                &format!("docker://{repository}:v1"),
                &format!("dir:{}", pulled.display()),
            ]);
            assert_eq!(std::fs::read(pulled.join("manifest.json")).unwrap(), source.read_blob(&root.digest).unwrap());
            for descriptor in images::reachable(&source, &root).iter().skip(1) {
                let copy = std::fs::read(pulled.join(descriptor.digest.hex())).unwrap();
                assert_eq!(copy, source.read_blob(&descriptor.digest).unwrap());
            }
        }
        _ => {
            skopeo(&[
                "copy",
                "--all",
                "--preserve-digests",
                "--src-tls-verify=false",
                &format!("docker://{repository}:v1"),
                &format!("oci:{}:v1", pulled.display()),
            ]);
            let pulled = OciLayout::open(&pulled).unwrap();
            assert_eq!(pulled.find("v1").unwrap().unwrap().digest, root.digest, "{flavour:?}");
            for descriptor in images::reachable(&source, &root) {
                assert_eq!(
                    pulled.read_blob(&descriptor.digest).unwrap(),
                    source.read_blob(&descriptor.digest).unwrap()
                );
            }
        }
    }
}

#[tokio::test]
async fn skopeo_round_trip_through_kots_registry() {
    let registry = Registry::start();
    round_trip_all(&registry.address).await;

    // A second push of an image already there moves no blob bytes at all.
    let metrics = || async { client().get(registry.url("/metrics")).send().await.unwrap().text().await.unwrap() };
    let received = |text: &str| -> u64 {
        text.lines()
            .find(|line| line.starts_with("kots_registry_received_bytes_total"))
            .and_then(|line| line.split_whitespace().last())
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    let before = received(&metrics().await);
    assert!(before > 0);
    round_trip(&registry.address, Flavour::MultiArch).await;
    assert_eq!(received(&metrics().await), before, "pushing existing images again uploaded bytes");
}

#[tokio::test]
async fn skopeo_round_trip_through_reference_registry() {
    let distribution = ReferenceRegistry::start();
    round_trip_all(&distribution.address).await;
}

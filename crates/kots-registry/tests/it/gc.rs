//! `kots-registry gc`: removes what no manifest needs, keeps every image pullable, and never
//! runs beside a registry that accepts pushes.

use std::path::Path;
use std::process::Command;

use kots_oci::{Digest, OciLayout};
use kots_testkit::skopeo;
use reqwest::StatusCode;

use crate::images::{self, Format};
use crate::util::{Registry, client, error_code, push_blob};

/// Runs `kots-registry gc` on `data_dir`; returns success, stdout and stderr.
fn gc(data_dir: &Path, extra: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kots-registry"))
        .args(["gc", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .output()
        .unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

fn blob_files(data_dir: &Path) -> Vec<Digest> {
    let mut found = Vec::new();
    for fan in std::fs::read_dir(data_dir.join("blobs/sha256")).unwrap().flatten() {
        for blob in std::fs::read_dir(fan.path()).unwrap().flatten() {
            found.push(Digest::parse(&format!("sha256:{}", blob.file_name().to_string_lossy())).unwrap());
        }
    }
    found
}

#[tokio::test]
async fn gc_removes_what_no_manifest_needs_and_keeps_every_image_pullable() {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path().join("data");
    let mut registry = Registry::start_in(&data_dir, &[]);
    let layout = OciLayout::create(temp.path().join("source")).unwrap();
    let keep = images::multi_arch(&layout, 40);
    layout.add_manifest(keep.clone(), Some("keep")).unwrap();
    let dropped = images::image(&layout, Format::Oci, 50, 3, "amd64");
    layout.add_manifest(dropped.clone(), Some("drop")).unwrap();
    let source = layout.root().display().to_string();
    // Pushes the layout's image `tag` to `destination` (`host/repository:tag`).
    let copy_in = |tag: &str, destination: &str| {
        let from = format!("oci:{source}:{tag}");
        let to = format!("docker://{destination}");
        skopeo(&["copy", "--all", "--preserve-digests", "--dest-tls-verify=false", &from, &to]);
    };
    let address = registry.address.clone();
    for (tag, repository) in [("keep", "lab/keep"), ("drop", "lab/drop")] {
        copy_in(tag, &format!("{address}/{repository}:1"));
    }
    let dropped_manifest: serde_json::Value =
        serde_json::from_slice(&layout.read_blob(&dropped.digest).unwrap()).unwrap();
    let mut garbage: Vec<Digest> = std::iter::once(&dropped_manifest["config"])
        .chain(dropped_manifest["layers"].as_array().unwrap())
        .map(|descriptor| Digest::parse(descriptor["digest"].as_str().unwrap()).unwrap())
        .collect();
    // A push abandoned before its manifest.
    garbage.push(push_blob(&registry, "lab/abandoned", b"a layer whose manifest never came").await);
    let deleted =
        client().delete(registry.url(&format!("/v2/lab/drop/manifests/{}", dropped.digest))).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::ACCEPTED);
    let before = blob_files(&data_dir);
    assert!(garbage.iter().all(|digest| before.contains(digest)));

    // Not while the registry accepts pushes.
    let (ok, _, stderr) = gc(&data_dir, &[]);
    assert!(!ok && stderr.contains("in use by a kots-registry that accepts pushes"), "{stderr}");

    // Beside a read-only registry: pulls work, pushes are refused as Distribution refuses them.
    registry = registry.restart(&["--read-only"]);
    let address = registry.address.clone();
    let push = client().post(registry.url("/v2/lab/keep/blobs/uploads/")).send().await.unwrap();
    assert_eq!(push.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(push).await, "UNSUPPORTED");

    let (ok, stdout, stderr) = gc(&data_dir, &["--dry-run", "--list"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("would remove 5 blobs") && stdout.contains("1 unused manifest bodies"), "{stdout}");
    for digest in &garbage {
        assert!(stdout.contains(&format!("blob {digest} ")), "--list names {digest}: {stdout}");
    }
    assert_eq!(blob_files(&data_dir).len(), before.len(), "a dry run removes nothing");

    // Bytes with no record, as a crash between the two would leave.
    let stray = Digest::sha256_of(b"stray");
    let stray_path = data_dir.join(format!("blobs/sha256/{}/{}", &stray.hex()[..2], stray.hex()));
    std::fs::create_dir_all(stray_path.parent().unwrap()).unwrap();
    std::fs::write(&stray_path, b"stray").unwrap();

    let (ok, stdout, stderr) = gc(&data_dir, &[]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("removed 5 blobs") && stdout.contains("1 stray blob files"), "{stdout}");
    let after = blob_files(&data_dir);
    assert_eq!(after.len(), before.len() - 5);
    assert!(garbage.iter().all(|digest| !after.contains(digest)) && !after.contains(&stray));

    // A second run, with the stores from serve's config file, finds nothing.
    let config = temp.path().join("registry.toml");
    let settings = format!("data-dir = {:?}\nlisten = \"127.0.0.1:0\"\nread-only = true\n", data_dir.to_str().unwrap());
    std::fs::write(&config, settings).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kots-registry"))
        .args(["gc", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("removed 0 blobs") && stdout.contains("0 stray"), "{stdout}");

    // What is left pulls whole, and the removed blobs are gone from the API too.
    let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", &format!("docker://{address}/lab/keep:1")]);
    assert_eq!(raw.as_bytes(), layout.read_blob(&keep.digest).unwrap());
    skopeo(&[
        "copy",
        "--all",
        "--src-tls-verify=false",
        &format!("docker://{address}/lab/keep:1"),
        &format!("oci:{}:keep", temp.path().join("pulled").display()),
    ]);
    let gone = client().get(registry.url(&format!("/v2/lab/abandoned/blobs/{}", garbage[4]))).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(gone).await, "BLOB_UNKNOWN");

    // Nor may two registries write to one folder.
    drop(registry);
    let mut writer = Registry::start_in(&data_dir, &[]);
    let second = Command::new(env!("CARGO_BIN_EXE_kots-registry"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success() && stderr.contains("in use by another kots-registry"), "{stderr}");

    // A tag that moves leaves the old manifest untagged: only --delete-untagged takes it.
    for tag in ["drop", "keep"] {
        copy_in(tag, &format!("{}/lab/moving:latest", writer.address));
    }
    writer.kill();
    let (ok, stdout, stderr) = gc(&data_dir, &[]);
    assert!(ok && stdout.contains("removed 0 blobs"), "{stdout}{stderr}");
    let (ok, stdout, stderr) = gc(&data_dir, &["--delete-untagged", "--list"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&format!("manifest lab/moving@{}", dropped.digest)), "{stdout}");
    assert!(stdout.contains("removed 1 untagged manifests") && stdout.contains("removed 4 blobs"), "{stdout}");
}

#[test]
fn gc_on_shared_metadata_wants_the_replicas_read_only() {
    let temp = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = gc(&temp.path().join("typo"), &[]);
    assert!(!ok && stderr.contains("holds no registry"), "{stderr}");
    assert!(!temp.path().join("typo").exists(), "a wrong --data-dir is not created");
    let (ok, _, stderr) = gc(temp.path(), &["--database", "postgres://nobody@127.0.0.1:1/none"]);
    assert!(!ok && stderr.contains("--read-only") && stderr.contains("--replicas-read-only"), "{stderr}");
}

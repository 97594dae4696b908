//! `kubectl kots image copy` remembering where blobs went, across processes, and
//! `--from-file` copying many images in one process.

use std::path::Path;
use std::process::Command;

use kots_oci::media_type::*;
use kots_oci::{Descriptor, Digest, OciLayout};
use serde_json::json;

use super::{BINARY, Registry};

const CREDS: &str = "alice:wonderland";

/// A layer of `size` bytes that depends on `seed`.
fn layer(layout: &OciLayout, seed: u8, size: usize) -> Descriptor {
    let bytes: Vec<u8> = (0..size).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
    layout.write_blob_bytes(OCI_LAYER_GZIP, &bytes).unwrap()
}

/// Images `img0..imgN` in one layout, each over the same `bases` base layers (100 kB each) with
/// one 50 kB layer of its own; returns the root manifests' digests.
fn app(directory: &Path, images: u8, bases: u8) -> Vec<Digest> {
    let layout = OciLayout::create(directory).unwrap();
    let base: Vec<Descriptor> = (0..bases).map(|n| layer(&layout, n, 100_000)).collect();
    (0..images)
        .map(|n| {
            let mut layers = base.clone();
            layers.push(layer(&layout, 100 + n, 50_000));
            let config = json!({"architecture": "amd64", "os": "linux", "image": n});
            let config = layout.write_blob_bytes(OCI_CONFIG, config.to_string().as_bytes()).unwrap();
            let manifest = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers});
            let manifest = layout.write_blob_bytes(OCI_MANIFEST, manifest.to_string().as_bytes()).unwrap();
            layout.add_manifest(manifest.clone(), Some(&format!("img{n}"))).unwrap();
            manifest.digest
        })
        .collect()
}

/// `kubectl-kots image copy --quiet --dest-creds … ARGS` with the blob cache in `cache`.
fn run(args: &[&str], cache: &Path) -> (bool, String, String) {
    let output = Command::new(BINARY)
        .args(["image", "copy", "--quiet", "--dest-creds", CREDS])
        .args(args)
        .env("KOTS_BLOB_CACHE", cache)
        .env("DOCKER_CONFIG", cache.join("docker"))
        .env_remove("REGISTRY_AUTH_FILE")
        .output()
        .unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

/// `(blobs sent, bytes sent, blobs mounted)` of a summary line.
fn counts(line: &str) -> (u64, String, u64) {
    let after = |word: &str| line.split(word).nth(1).unwrap_or_else(|| panic!("no `{word}` in {line}"));
    let sent = after("sent ");
    let (bytes, rest) = sent.split_once(" in ").unwrap();
    let blobs = rest.split(' ').next().unwrap().parse().unwrap();
    let mounted = after("mounted ").split(' ').next().unwrap().parse().unwrap();
    (blobs, bytes.to_owned(), mounted)
}

fn delete_blob(registry: &str, repository: &str, digest: &Digest) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (user, password) = CREDS.split_once(':').unwrap();
    let url = format!("http://{registry}/v2/{repository}/blobs/{digest}");
    let status =
        runtime.block_on(reqwest::Client::new().delete(&url).basic_auth(user, Some(password)).send()).unwrap().status();
    assert!(status.is_success(), "DELETE {url}: {status}");
}

#[test]
fn a_second_process_mounts_the_layers_a_first_one_pushed_and_a_stale_cache_still_copies() {
    let temp = tempfile::tempdir().unwrap();
    let registry = Registry::start(&temp.path().join("registry"));
    let digests = app(&temp.path().join("app"), 4, 1);
    let cache = temp.path().join("cache");
    let source = |n: usize| format!("oci:{}:img{n}", temp.path().join("app").display());
    let target = |repository: &str| format!("http://{}/app/{repository}:v1", registry.address);

    let (ok, stdout, stderr) = run(&[&source(0), &target("a")], &cache);
    assert!(ok, "{stderr}");
    assert_eq!(counts(&stdout).0, 3, "{stdout}");

    // Another process, the same cache folder: L1 is mounted from app/a; only B's own layer
    // and config (50 kB and a few bytes) are sent.
    let (ok, stdout, stderr) = run(&[&source(1), &target("b")], &cache);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&digests[1].to_string()), "{stdout}");
    let (sent, bytes, mounted) = counts(&stdout);
    assert_eq!((sent, mounted), (2, 1), "{stdout}");
    assert!(bytes.ends_with("kB") && bytes.starts_with("50."), "50 kB and a config, not 150 kB: {stdout}");
    assert!(stdout.contains("mounted 1 (100.0 kB)"), "{stdout}");

    // The base deleted from every repository the cache names: mounts fail, the upload follows.
    let manifest: serde_json::Value =
        serde_json::from_slice(&OciLayout::open(temp.path().join("app")).unwrap().read_blob(&digests[2]).unwrap())
            .unwrap();
    let base = Digest::parse(manifest["layers"][0]["digest"].as_str().unwrap()).unwrap();
    delete_blob(&registry.address, "app/a", &base);
    delete_blob(&registry.address, "app/b", &base);
    let (ok, stdout, stderr) = run(&[&source(2), &target("c")], &cache);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&format!("@{}", digests[2])), "{stdout}");
    assert_eq!((counts(&stdout).0, counts(&stdout).2), (3, 0), "{stdout}");

    // A corrupt cache file: ignored.
    std::fs::write(cache.join("blob-locations.json"), "\u{0}garbage").unwrap();
    let (ok, stdout, stderr) = run(&[&source(3), &target("d")], &cache);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&format!("@{}", digests[3])), "{stdout}");

    // Turned off: nothing remembered, nothing written.
    let off = temp.path().join("off");
    let output = Command::new(BINARY)
        .args(["image", "copy", "--quiet", "--dest-creds", CREDS, &source(3), &target("e")])
        .env("KOTS_BLOB_CACHE", "off")
        .env("HOME", &off)
        .env("XDG_CACHE_HOME", &off)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!off.join("kots").exists() && !off.join(".cache").exists());
}

#[test]
fn from_file_copies_many_images_moving_each_shared_layer_once() {
    let temp = tempfile::tempdir().unwrap();
    let registry = Registry::start(&temp.path().join("registry"));
    let digests = app(&temp.path().join("app"), 3, 2);
    let cache = temp.path().join("cache");
    let layout = temp.path().join("app");
    let mut list = String::from("# three images over two base layers\n\n");
    for n in 0..3 {
        list.push_str(&format!("oci:{}:img{n}   http://{}/app/img{n}:v1\n", layout.display(), registry.address));
    }
    let list_file = temp.path().join("images.txt");
    std::fs::write(&list_file, &list).unwrap();
    let (ok, stdout, stderr) = run(&["--from-file", list_file.to_str().unwrap()], &cache);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for (n, line) in lines.iter().enumerate() {
        assert!(line.contains(&format!("/app/img{n}:v1@{}", digests[n])), "{line}");
    }
    // 2 bases + 3 own layers + 3 configs = 8 distinct blobs, each sent once; each base is
    // mounted into the two other repositories.
    let sent: u64 = lines.iter().map(|line| counts(line).0).sum();
    let mounted: u64 = lines.iter().map(|line| counts(line).2).sum();
    assert_eq!((sent, mounted), (8, 4), "{stdout}");

    // A line that is not `SRC DST`: an error naming it, nothing copied.
    std::fs::write(&list_file, format!("{list}oci:{}:img0\n", layout.display())).unwrap();
    let (ok, stdout, stderr) = run(&["--from-file", list_file.to_str().unwrap()], &cache);
    assert!(!ok && stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("line 6:"), "{stderr}");

    // One image that cannot be copied: the others are, and the failure names it.
    let missing = format!("oci:{}:nope http://{}/app/nope:v1\n", layout.display(), registry.address);
    std::fs::write(&list_file, format!("{list}{missing}")).unwrap();
    let (ok, stdout, stderr) = run(&["--from-file", list_file.to_str().unwrap()], &cache);
    assert!(!ok, "{stdout}");
    assert_eq!(stdout.lines().filter(|line| line.contains("skipped 4")).count(), 3, "{stdout}");
    assert!(stderr.contains("1 of 4 images failed") && stderr.contains("app/nope"), "{stderr}");
}

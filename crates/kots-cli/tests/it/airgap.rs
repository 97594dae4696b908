//! Airgap bundles end to end: `kots-vendor` builds them (its own images from its registry's
//! storage, public ones through its docker.io mirror), the vendor goes away, and
//! `kubectl kots pull --airgap-bundle` produces the same folder as the online pull, its images
//! pushed from the stream into `kots-registry` and into the reference `docker-registry`.

use kots_testkit::ReferenceRegistry;

use crate::BINARY;
use crate::pull::{
    World, as_strs, assert_served, bundle_pull_args, image_summary, json_summary, kustomize, rendered_images,
    served_digest, snapshot,
};

#[test]
fn bundles_carry_the_app_into_a_network_without_the_vendor() {
    let mut world = World::start();
    world.release("1.0.0", "stable", |_, content| content);
    let license = world.customer_with("myapp", "airgapped", &["stable"], None, true);
    let keys = world.keys.display().to_string();

    // Refusals on the vendor side: no airgap entitlement.
    let online_only = world.customer("myapp", "online-only", &["stable"], None);
    let error = world.airgap_bundle(&online_only, "stable", &world.path("nope.tar.zst")).unwrap_err();
    assert!(error.contains("does not include airgap installs") && error.contains("403"), "{error}");
    assert!(!world.path("nope.tar.zst").exists() && !world.path("nope.partial").exists());

    let first = world.path("myapp-1.0.0.airgap.tar.zst");
    world.airgap_bundle(&license, "stable", &first).unwrap();
    // The update: one image changed, one added.
    world.release_update();
    let second = world.path("myapp-1.1.0.airgap.tar.zst");
    world.airgap_bundle(&license, "stable", &second).unwrap();
    let expired = world.customer_with("myapp", "expired", &["stable"], Some("2020-01-01T00:00:00Z"), true);
    let beta_only = world.customer_with("myapp", "beta-only", &["beta"], None, true);
    world.stop_vendor();

    // Into kots-registry, logged in.
    let customer = world.customer.clone();
    let rootdir = world.path("site");
    let (ok, stdout, stderr) =
        world.pull(&license, &rootdir, &as_strs(&bundle_pull_args(&first, &keys, &format!("http://{customer}"), true)));
    assert!(ok, "{stderr}");
    let summary = json_summary(&stdout);
    assert_eq!(summary["versionLabel"], "1.0.0");
    let app = rootdir.join("myapp");
    assert!(app.join("upstream/userdata/installation.yaml").is_file());
    assert!(!app.join("images").exists(), "no second copy of the images on disk");
    let rendered = kustomize(&app.join("overlays/downstreams/this-cluster"));
    let images = rendered_images(&rendered);
    assert_eq!(images.len(), 5, "{images:?}");
    assert_served(&world, &images, &customer, "myapp", Some(("alice", "wonderland")));
    assert!(served_digest(&customer, "myapp/postgres", "16", Some(("alice", "wonderland"))).is_some());

    // The customer's edits, then the update bundle.
    let downstream = app.join("overlays/downstreams/this-cluster/kustomization.yaml");
    let mut text = std::fs::read_to_string(&downstream).unwrap();
    text.push_str("commonLabels:\n  site: bunker\n");
    std::fs::write(&downstream, &text).unwrap();
    let (ok, stdout, stderr) = world.pull(
        &license,
        &rootdir,
        &as_strs(&bundle_pull_args(&second, &keys, &format!("http://{customer}"), true)),
    );
    assert!(ok, "{stderr}");
    assert!(stderr.contains("updated: version 1.0.0 → 1.1.0"), "{stderr}");
    let summary = json_summary(&stdout);
    for unchanged in ["/nginx:1.25", "/busybox:1.36", "/redis:7", "/postgres:16", "/report:1.0"] {
        assert_eq!(image_summary(&summary, unchanged)["blobsSent"], 0, "{unchanged} sent again: {summary}");
    }
    assert_eq!(image_summary(&summary, "/api:1.1")["blobsSent"], 2, "{summary}");
    assert_eq!(image_summary(&summary, "/memcached:1.6")["blobsSent"], 2, "{summary}");
    let rendered = kustomize(&app.join("overlays/downstreams/this-cluster"));
    assert!(rendered.contains(&format!("image: {customer}/myapp/api:1.1")), "{rendered}");
    assert!(rendered.contains(&format!("image: {customer}/myapp/memcached:1.6")));
    assert!(rendered.contains("site: bunker"), "the downstream edit is kept");
    assert_eq!(std::fs::read_to_string(&downstream).unwrap(), text);

    // The same bundle again: nothing to do; an older one: refused.
    let before = snapshot(&app);
    let (ok, _, stderr) = world.pull(
        &license,
        &rootdir,
        &as_strs(&bundle_pull_args(&second, &keys, &format!("http://{customer}"), true)),
    );
    assert!(ok && stderr.contains("up to date"), "{stderr}");
    let (ok, _, stderr) =
        world.pull(&license, &rootdir, &as_strs(&bundle_pull_args(&first, &keys, &format!("http://{customer}"), true)));
    assert!(!ok && stderr.contains("older than the installed 1.1.0"), "{stderr}");
    assert_eq!(snapshot(&app), before);

    // A newer bundle whose app.tar.gz holds a header claiming 2^40 bytes aborted `pull`
    // (SIGABRT) and left `.myapp.kots-staging`: refused by name, the folder as it was.
    let mut spec = spec_of(&second);
    spec.update_cursor = "1000".into();
    let hostile = world.path("hostile-app.tar");
    let lying = crate::download::lying_archive("upstream/huge.yaml", 1 << 40);
    std::fs::write(&hostile, crafted_bundle_of(&spec, &lying, b"{}", &[])).unwrap();
    let (ok, _, stderr) = world.pull(
        &license,
        &rootdir,
        &as_strs(&bundle_pull_args(&hostile, &keys, &format!("http://{customer}"), true)),
    );
    assert!(
        !ok && stderr.contains("entry `upstream/huge.yaml` declares 1099511627776 bytes; files of a release or app archive are limited to 64 MiB"),
        "{stderr}"
    );
    assert_eq!(snapshot(&app), before);
    let left: Vec<String> = std::fs::read_dir(&rootdir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // Offline refusals: an expired license, a bundle of a channel the license lacks.
    let (ok, _, stderr) = world.pull(
        &expired,
        &world.path("x"),
        &as_strs(&bundle_pull_args(&second, &keys, &format!("http://{customer}"), true)),
    );
    assert!(!ok && stderr.contains("expired"), "{stderr}");
    let (ok, _, stderr) = world.pull(
        &beta_only,
        &world.path("y"),
        &as_strs(&bundle_pull_args(&second, &keys, &format!("http://{customer}"), true)),
    );
    assert!(!ok && stderr.contains("the bundle is for channel `Stable`"), "{stderr}");
    // A damaged bundle: cut short.
    let bytes = std::fs::read(&second).unwrap();
    let cut = world.path("cut.tar.zst");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let (ok, _, stderr) = world.pull(
        &license,
        &world.path("z"),
        &as_strs(&bundle_pull_args(&cut, &keys, &format!("http://{customer}"), true)),
    );
    assert!(!ok && stderr.contains("truncated"), "{stderr}");
    assert!(!world.path("z/myapp").exists(), "a failed first pull leaves no folder");

    // The same bundle into another registry (the reference one): the images move there, the
    // edits stay. Then push-images alone.
    let distribution = ReferenceRegistry::start();
    let (ok, _, stderr) = world.pull(
        &license,
        &rootdir,
        &as_strs(&bundle_pull_args(&second, &keys, &format!("http://{}", distribution.address), false)),
    );
    assert!(ok, "{stderr}");
    let moved = format!("the images are in {}/myapp now (were: {customer}/myapp)", distribution.address);
    assert!(stderr.contains(&moved), "{stderr}");
    assert!(kustomize(&app.join("overlays/downstreams/this-cluster")).contains("site: bunker"));
    let images = rendered_images(&kustomize(&app.join("overlays/midstream")));
    assert_served(&world, &images, &distribution.address, "myapp", None);
    let blob_cache = world.path("blob-cache");
    let push_to = |namespace: &str| {
        let output = std::process::Command::new(BINARY)
            .args(["push-images", second.to_str().unwrap(), &format!("http://{}/{namespace}", distribution.address)])
            .arg("-q")
            .env("KOTS_BLOB_CACHE", &blob_cache)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let printed = push_to("mirror");
    assert_eq!(printed.lines().count(), 7, "{printed}");
    let digest = served_digest(&distribution.address, "mirror/memcached", "1.6", None);
    assert_eq!(digest.as_ref(), world.digests.get(&format!("{}/library/memcached:1.6", world.public)));
    // Again into another namespace of that registry: the blob cache remembers where the first
    // push put every blob, so each is mounted from there and none is sent.
    let printed = push_to("mirror2");
    assert!(printed.lines().all(|line| line.contains("sent 0 blobs")), "{printed}");
    assert!(printed.lines().any(|line| !line.ends_with("mounted 0")), "{printed}");
    let digest = served_digest(&distribution.address, "mirror2/memcached", "1.6", None);
    assert_eq!(digest.as_ref(), world.digests.get(&format!("{}/library/memcached:1.6", world.public)));

    // A registry in read-only mode (garbage collection beside it) is named as such.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let read_only = world.path("read-only");
    let address = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let options = kots_registry::Options { read_only: true, ..Default::default() };
        let registry = kots_registry::Registry::open_embedded(&read_only, options).await.unwrap();
        tokio::spawn(kots_registry::server::serve(std::sync::Arc::new(registry), listener, std::future::pending()));
        address
    });
    let output = std::process::Command::new(BINARY)
        .args(["push-images", second.to_str().unwrap(), &format!("http://{address}/mirror"), "-q"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("likely read-only for maintenance"), "{stderr}");
    runtime.shutdown_background();
}

/// A plain-tar bundle of one image `docker.io/library/app:1`, whose head is right and whose
/// blob entries are `blobs` exactly as given (raw names, any entry type).
fn crafted_bundle(manifest: &[u8], blobs: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
    let spec = kots_release::bundle::AirgapSpec {
        app_slug: "myapp".into(),
        saved_images: vec!["docker.io/library/app:1".into()],
        format: "oci".into(),
        ..Default::default()
    };
    crafted_bundle_of(&spec, b"app", manifest, blobs)
}

/// [`crafted_bundle`] with `spec` in `airgap.yaml` and `app` as `app.tar.gz`.
fn crafted_bundle_of(
    spec: &kots_release::bundle::AirgapSpec,
    app: &[u8],
    manifest: &[u8],
    blobs: &[(&str, tar::EntryType, &[u8])],
) -> Vec<u8> {
    use kots_oci::Digest;
    let airgap = spec.to_yaml();
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": Digest::sha256_of(manifest).to_string(),
        "size": manifest.len(),
        "annotations": {"org.opencontainers.image.ref.name": "docker.io/library/app:1"},
    }]})
    .to_string();
    let layout = br#"{"imageLayoutVersion":"1.0.0"}"#;
    let head: Vec<(&str, &[u8])> = vec![
        ("airgap.yaml", airgap.as_bytes()),
        ("app.tar.gz", app),
        ("images/oci-layout", layout),
        ("images/index.json", index.as_bytes()),
    ];
    let sums: String =
        head.iter().map(|(path, content)| format!("{}  {path}\n", Digest::sha256_of(content).hex())).collect();
    let mut entries: Vec<(String, tar::EntryType, Vec<u8>)> = Vec::new();
    for (path, content) in [head[0], head[1], ("checksums.sha256", sums.as_bytes()), head[2], head[3]] {
        entries.push((path.to_owned(), tar::EntryType::Regular, content.to_vec()));
    }
    for (path, kind, content) in blobs {
        entries.push((path.to_string(), *kind, content.to_vec()));
    }
    let mut out = Vec::new();
    for (path, kind, content) in entries {
        let mut header = tar::Header::new_ustar();
        header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_entry_type(kind);
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&content);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

/// Rewrites the header of `path` in a plain-tar `bundle` to claim `size` bytes.
fn lie_about_size(bundle: &mut [u8], path: &str, size: u64) {
    let mut offset = 0;
    loop {
        let mut header = tar::Header::from_byte_slice(&bundle[offset..offset + 512]).clone();
        if header.path_bytes().as_ref() == path.as_bytes() {
            header.set_size(size);
            header.set_cksum();
            bundle[offset..offset + 512].copy_from_slice(header.as_bytes());
            return;
        }
        offset += 512 + header.size().unwrap().div_ceil(512) as usize * 512;
    }
}

/// `airgap.yaml`'s spec of a bundle file.
fn spec_of(bundle: &std::path::Path) -> kots_release::bundle::AirgapSpec {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let file = tokio::fs::File::open(bundle).await.unwrap();
        kots_release::bundle::BundleReader::open(file, "bundle").await.unwrap().airgap.clone()
    })
}

#[test]
fn hostile_bundles_push_nothing_and_name_the_entry() {
    use kots_oci::Digest;
    let temp = tempfile::tempdir().unwrap();
    let distribution = ReferenceRegistry::start();
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let layer = b"twelve bytes";
    let path_of = |bytes: &[u8]| format!("images/blobs/sha256/{}", Digest::sha256_of(bytes).hex());
    let manifest_with = |layer_size: usize, layer_digest: Digest| {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": Digest::sha256_of(config).to_string(), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest.to_string(), "size": layer_size}],
        })
        .to_string()
        .into_bytes()
    };
    let push = |name: &str, bundle: Vec<u8>| {
        let file = temp.path().join(name);
        std::fs::write(&file, bundle).unwrap();
        let output = std::process::Command::new(BINARY)
            .current_dir(temp.path())
            .args(["push-images", file.to_str().unwrap(), &format!("http://{}/hostile", distribution.address), "-q"])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{name} was accepted");
        assert!(served_digest(&distribution.address, "hostile/app", "1", None).is_none(), "{name}: the image was put");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };

    // A layer whose size disagrees with the manifest.
    let manifest = manifest_with(10, Digest::sha256_of(layer));
    let bundle = crafted_bundle(
        &manifest,
        &[
            (&path_of(config), tar::EntryType::Regular, config),
            (&path_of(layer), tar::EntryType::Regular, layer),
            (&path_of(&manifest), tar::EntryType::Regular, &manifest),
        ],
    );
    let error = push("sizes.tar", bundle);
    assert!(error.contains(&path_of(layer)) && error.contains("is 12 bytes") && error.contains("says 10"), "{error}");

    // A blob the bundle does not carry (nor the registry).
    let absent = b"never carried";
    let manifest = manifest_with(absent.len(), Digest::sha256_of(absent));
    let bundle = crafted_bundle(
        &manifest,
        &[
            (&path_of(config), tar::EntryType::Regular, config),
            (&path_of(&manifest), tar::EntryType::Regular, &manifest),
        ],
    );
    let error = push("missing.tar", bundle);
    assert!(error.contains("lacks blob") && error.contains(&Digest::sha256_of(absent).to_string()), "{error}");

    // Headers claiming 2^40 bytes aborted the process (SIGABRT): refused before allocating.
    let manifest = manifest_with(layer.len(), Digest::sha256_of(layer));
    let honest = crafted_bundle(
        &manifest,
        &[
            (&path_of(config), tar::EntryType::Regular, config),
            (&path_of(layer), tar::EntryType::Regular, layer),
            (&path_of(&manifest), tar::EntryType::Regular, &manifest),
        ],
    );
    let mut bundle = honest.clone();
    lie_about_size(&mut bundle, &path_of(&manifest), 1 << 40);
    let error = push("huge-manifest.tar", bundle);
    assert!(error.contains(&path_of(&manifest)) && error.contains("is truncated"), "{error}");
    let mut bundle = honest.clone();
    lie_about_size(&mut bundle, "app.tar.gz", 1 << 40);
    let error = push("huge-app.tar", bundle);
    assert!(
        error.contains(
            "entry `app.tar.gz` declares 1099511627776 bytes; the files of a bundle's head are limited to 256 MiB"
        ),
        "{error}"
    );

    // A blob no manifest names (an 849 KiB bundle left 2 GiB in a registry): refused before
    // anything is pushed, and the registry never receives it.
    let stowaway = vec![0u8; 5 * 1024 * 1024];
    let bundle = crafted_bundle(
        &manifest,
        &[
            (&path_of(config), tar::EntryType::Regular, config),
            (&path_of(&stowaway), tar::EntryType::Regular, &stowaway),
            (&path_of(layer), tar::EntryType::Regular, layer),
            (&path_of(&manifest), tar::EntryType::Regular, &manifest),
        ],
    );
    let error = push("stowaway.tar", bundle);
    assert!(
        error.contains(&format!(
            "entry `{}` (5242880 bytes) is used by no image of images/index.json",
            path_of(&stowaway)
        )) && error.contains("nothing was pushed"),
        "{error}"
    );
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let received = runtime.block_on(async {
        let options = kots_transfer::ClientOptions { plain_http: true, ..Default::default() };
        let client = kots_transfer::RegistryClient::new(&distribution.address, &options).unwrap();
        let mut received = Vec::new();
        // (The config came in with the bundle that lacked a blob, above.)
        for bytes in [&stowaway[..], layer] {
            let digest = Digest::sha256_of(bytes);
            received.push(client.blob_size("hostile/app", &digest, "repository:hostile/app:pull").await.unwrap());
        }
        received
    });
    assert_eq!(received, [None, None], "no blob of a refused bundle was pushed");

    // An entry that climbs out, and a link: refused by name, nothing written outside.
    let bundle = crafted_bundle(&manifest, &[("images/../../escaped", tar::EntryType::Regular, b"x")]);
    let error = push("escape.tar", bundle);
    assert!(error.contains("`images/../../escaped` climbs out"), "{error}");
    assert!(!temp.path().parent().unwrap().join("escaped").exists());
    let bundle = crafted_bundle(&manifest, &[("images/blobs/sha256/link", tar::EntryType::Link, b"")]);
    let error = push("link.tar", bundle);
    assert!(error.contains("`images/blobs/sha256/link` is a Link entry"), "{error}");
}

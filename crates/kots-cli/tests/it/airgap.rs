//! Airgap bundles end to end: `kots-vendor` builds them (its own images from its registry's
//! storage, public ones through its docker.io mirror), the vendor goes away, and
//! `kubectl kots pull --airgap-bundle` produces the same folder as the online pull, its images
//! pushed from the stream into `kots-registry` and into the reference `docker-registry`.

use crate::BINARY;
use crate::pull::{
    Distribution, World, as_strs, image_summary, json_summary, kustomize, rendered_images, served_digest, snapshot,
};

fn bundle_pull_args(bundle: &std::path::Path, keys: &str, endpoint: &str, alice: bool) -> Vec<String> {
    let mut args = vec![
        "--airgap-bundle".to_owned(),
        bundle.display().to_string(),
        "--trusted-key".to_owned(),
        keys.to_owned(),
        "--rewrite-images".to_owned(),
        "--registry-endpoint".to_owned(),
        endpoint.to_owned(),
        "--image-namespace".to_owned(),
        "myapp".to_owned(),
        "-o".to_owned(),
        "json".to_owned(),
    ];
    if alice {
        args.extend(["--registry-username", "alice", "--registry-password", "wonderland"].map(str::to_owned));
    }
    args
}

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
    world.make_image(
        &format!("{}/myapp/api:1.1", world.vendor),
        "myapp/api:1.1",
        Some(&format!("vendor@example.com:{}", world.token)),
    );
    world.make_image(&format!("{}/library/memcached:1.6", world.public), "library/memcached:1.6", None);
    world.release("1.1.0", "stable", |name, content| match name {
        "worker.yaml" => content.replace("myapp/api:1.0", "myapp/api:1.1"),
        "cache.yaml" => format!(
            "{content}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: memcached\nspec:\n  selector:\n    matchLabels: {{app: memcached}}\n  template:\n    metadata:\n      labels: {{app: memcached}}\n    spec:\n      containers:\n        - name: memcached\n          image: memcached:1.6\n"
        ),
        _ => content,
    });
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
    for image in &images {
        let rest = image.strip_prefix(&format!("{customer}/myapp/")).unwrap_or_else(|| panic!("{image}"));
        let (name, tag) = rest.split_once(':').unwrap();
        let source = world.digests.iter().find(|(source, _)| source.ends_with(&format!("/{name}:{tag}"))).unwrap();
        let served = served_digest(&customer, &format!("myapp/{name}"), tag, Some(("alice", "wonderland")));
        assert_eq!(served.as_deref(), Some(source.1.as_str()), "{image}");
    }
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

    // Into the reference registry, and with push-images alone.
    let distribution = Distribution::start();
    let other = world.path("reference");
    let (ok, _, stderr) = world.pull(
        &license,
        &other,
        &as_strs(&bundle_pull_args(&second, &keys, &format!("http://{}", distribution.address), false)),
    );
    assert!(ok, "{stderr}");
    for image in rendered_images(&kustomize(&other.join("myapp/overlays/midstream"))) {
        let rest = image.strip_prefix(&format!("{}/myapp/", distribution.address)).unwrap();
        let (name, tag) = rest.split_once(':').unwrap();
        let source = world.digests.iter().find(|(source, _)| source.ends_with(&format!("/{name}:{tag}"))).unwrap();
        let served = served_digest(&distribution.address, &format!("myapp/{name}"), tag, None);
        assert_eq!(served.as_deref(), Some(source.1.as_str()), "{image}");
    }
    let output = std::process::Command::new(BINARY)
        .args(["push-images", second.to_str().unwrap(), &format!("http://{}/mirror", distribution.address), "-q"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert_eq!(printed.lines().count(), 7, "{printed}");
    let digest = served_digest(&distribution.address, "mirror/memcached", "1.6", None);
    assert_eq!(digest.as_ref(), world.digests.get(&format!("{}/library/memcached:1.6", world.public)));
}

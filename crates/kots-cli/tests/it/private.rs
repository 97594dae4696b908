//! Private images as Replicated serves them, end to end (issue 18): a release names the
//! vendor's registry as `registry.replicated.com/APP/…` and an image of a registry the vendor
//! linked to the app (a local registry with a login, standing in for quay.io); a customer pulls
//! with the license, with and without `--rewrite-images`, and from an airgap bundle.

use base64::Engine;
use kots_vendor::release::ReleaseFile;
use serde_json::{Value, json};

use crate::pull::{
    World, as_strs, assert_served, bundle_pull_args_into, kustomize, rendered_images, rewrite_as_alice, served_digest,
    snapshot,
};

/// The linked registry's login, which only the vendor holds.
const QUAY: (&str, &str) = ("quay", "s3cret");

/// A release whose `private.yaml` runs the vendor registry's report image (as Replicated names
/// it), `worker` from the linked registry, and a public image.
fn private_release(world: &World, worker: &str) {
    private_release_with_domains(world, worker, None);
}

/// [`private_release`], its Application setting custom registry and proxy domains.
fn private_release_with_domains(world: &World, worker: &str, domains: Option<(&str, &str)>) {
    let application = |name: &str, content: String| match (name, domains) {
        ("kots-app.yaml", Some((registry, proxy))) => {
            format!("{content}  replicatedRegistryDomain: {registry}\n  proxyRegistryDomain: {proxy}\n")
        }
        _ => content,
    };
    let workload = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: private\nspec:\n  selector:\n    matchLabels: {{app: private}}\n  template:\n    metadata:\n      labels: {{app: private}}\n    spec:\n      containers:\n        - name: report\n          image: registry.replicated.com/myapp/report:1.0\n        - name: worker\n          image: {worker}\n        - name: web\n          image: nginx:1.25\n"
    );
    world.release_with("1.0.0", "stable", application, vec![ReleaseFile::text("private.yaml", workload)]);
}

/// The license's login for `host` in the midstream's pull secret.
fn secret_login(app: &std::path::Path, host: &str) -> (String, String) {
    let secret = std::fs::read_to_string(app.join("overlays/midstream/secret.yaml")).unwrap();
    let secret: Value = serde_saphyr::from_str(&kots_release::documents::split_documents(&secret)[0]).unwrap();
    let engine = base64::engine::general_purpose::STANDARD;
    let config = engine.decode(secret["data"][".dockerconfigjson"].as_str().unwrap()).unwrap();
    let config: Value = serde_json::from_slice(&config).unwrap();
    let auth = config["auths"][host]["auth"].as_str().unwrap_or_else(|| panic!("no login for {host}: {config}"));
    let login = String::from_utf8(engine.decode(auth).unwrap()).unwrap();
    let (user, password) = login.split_once(':').unwrap();
    (user.to_owned(), password.to_owned())
}

#[test]
fn private_images_reach_the_cluster_through_the_vendors_registry_and_proxy() {
    let mut world = World::start();
    let quay = world.start_vendor_registry("quay", QUAY);
    let worker = format!("{quay}/acme/worker:2");
    world.make_image(&worker, "acme/worker:2", Some(&format!("{}:{}", QUAY.0, QUAY.1)));
    let _: Value = world.admin_post(
        "/api/v1/apps/myapp/registries",
        &json!({"endpoint": quay, "username": QUAY.0, "password": QUAY.1}),
    );
    private_release(&world, &worker);
    let license = world.customer("myapp", "acme", &["stable"], None);
    let keys = world.keys.display().to_string();
    let vendor = world.vendor.clone();
    let proxied = format!("proxy/myapp/{}/acme/worker", quay.replace(':', "_"));

    // Without --rewrite-images: the vendor's images under its registry domain, the linked
    // registry's through its proxy, public ones as they are; the license's pull secret works.
    let plain = world.path("plain");
    let (ok, _, stderr) = world.pull(&license, &plain, &["replicated://myapp", "--trusted-key", &keys]);
    assert!(ok, "{stderr}");
    let app = plain.join("myapp");
    let rendered = kustomize(&app.join("overlays/downstreams/this-cluster"));
    assert!(rendered.contains(&format!("image: {vendor}/myapp/report:1.0")), "{rendered}");
    assert!(rendered.contains(&format!("image: {vendor}/{proxied}:2")), "{rendered}");
    assert!(rendered.contains("image: nginx:1.25"), "a public image is left alone: {rendered}");
    assert!(!rendered.contains(&quay), "the cluster never reaches the linked registry: {rendered}");
    let (user, password) = secret_login(&app, &vendor);
    assert_eq!(user, "LICENSE_ID", "as KOTS's pull secrets log in");
    let login = Some((user.as_str(), password.as_str()));
    assert_eq!(served_digest(&vendor, &proxied, "2", login), Some(world.digests[&worker].clone()));
    let report = format!("{vendor}/myapp/report:1.0");
    assert_eq!(served_digest(&vendor, "myapp/report", "1.0", login), Some(world.digests[&report].clone()));
    let installation = std::fs::read_to_string(app.join("upstream/userdata/installation.yaml")).unwrap();
    let installation: Value = serde_saphyr::from_str(&installation).unwrap();
    let private: Vec<&str> = installation["spec"]["knownImages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|image| image["isPrivate"] == true)
        .map(|image| image["image"].as_str().unwrap())
        .collect();
    assert!(private.contains(&worker.as_str()) && private.contains(&"registry.replicated.com/myapp/report:1.0"));
    assert!(!private.contains(&"nginx:1.25"), "{private:?}");

    // The pull secret works with skopeo too, through the proxy.
    let creds = format!("{user}:{password}");
    let raw = kots_testkit::skopeo::skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        &creds,
        &format!("docker://{vendor}/{proxied}:2"),
    ]);
    assert_eq!(kots_oci::Digest::sha256_of(raw.as_bytes()).to_string(), world.digests[&worker]);

    // An app with custom domains: the cluster pulls by them, this machine still reads at the
    // license's endpoint.
    private_release_with_domains(&world, &worker, Some(("registry.acme.example", "proxy.acme.example")));
    let custom = world.path("custom");
    let (ok, _, stderr) = world.pull(&license, &custom, &["replicated://myapp", "--trusted-key", &keys]);
    assert!(ok, "{stderr}");
    let rendered = kustomize(&custom.join("myapp/overlays/downstreams/this-cluster"));
    assert!(rendered.contains("image: registry.acme.example/myapp/report:1.0"), "{rendered}");
    assert!(rendered.contains(&format!("image: proxy.acme.example/{proxied}:2")), "{rendered}");
    assert_eq!(secret_login(&custom.join("myapp"), "proxy.acme.example").0, "LICENSE_ID");
    assert_eq!(secret_login(&custom.join("myapp"), "registry.acme.example").0, "LICENSE_ID");

    // With --rewrite-images: read through the vendor with the license, pushed with the source
    // digests.
    let rewritten = world.path("rewritten");
    let customer = world.customer.clone();
    let (ok, _, stderr) =
        world.pull(&license, &rewritten, &as_strs(&rewrite_as_alice(&keys, format!("http://{customer}"))));
    assert!(ok, "{stderr}");
    let images = rendered_images(&kustomize(&rewritten.join("myapp/overlays/downstreams/this-cluster")));
    assert!(images.contains(&format!("{customer}/myapp/worker:2")), "{images:?}");
    assert!(images.contains(&format!("{customer}/myapp/report:1.0")), "{images:?}");
    assert_served(&world, &images, &customer, "myapp", Some(("alice", "wonderland")));

    // An airgap bundle carries them, read by the vendor with its stored login.
    let airgapped = world.customer_with("myapp", "initech", &["stable"], None, true);
    let bundle = world.path("private.airgap.tar.zst");
    world.airgap_bundle(&airgapped, "stable", &bundle).unwrap();
    let site = world.path("site");
    let bundle_args = bundle_pull_args_into(&bundle, &keys, &format!("http://{customer}"), "site", true);
    let (ok, _, stderr) = world.pull(&airgapped, &site, &as_strs(&bundle_args));
    assert!(ok, "{stderr}");
    let alice = Some(("alice", "wonderland"));
    assert_eq!(served_digest(&customer, "site/worker", "2", alice), Some(world.digests[&worker].clone()));
    assert_eq!(served_digest(&customer, "site/report", "1.0", alice), Some(world.digests[&report].clone()));
}

#[test]
fn what_fails_behind_the_proxy_reaches_the_customer_named() {
    let mut world = World::start();
    let quay = world.start_vendor_registry("quay", QUAY);
    let worker = format!("{quay}/acme/worker:2");
    world.make_image(&worker, "acme/worker:2", Some(&format!("{}:{}", QUAY.0, QUAY.1)));
    let link = |password: &str, replace: bool| {
        let body =
            json!({"endpoint": quay, "username": QUAY.0, "password": password, "noCheck": true, "replace": replace});
        let _: Value = world.admin_post("/api/v1/apps/myapp/registries", &body);
    };
    link(QUAY.1, false);
    let license = world.customer("myapp", "acme", &["stable"], None);
    let keys = world.keys.display().to_string();
    let args = rewrite_as_alice(&keys, format!("http://{}", world.customer));
    let rewrite = |rootdir: &std::path::Path| world.pull(&license, rootdir, &as_strs(&args));

    // An image the linked registry does not have.
    private_release(&world, &format!("{quay}/acme/absent:9"));
    let rootdir = world.path("missing");
    let (ok, _, stderr) = rewrite(&rootdir);
    assert!(!ok && stderr.contains(&format!("{quay}/acme/absent:9")), "{stderr}");
    assert!(stderr.contains("missing upstream"), "{stderr}");
    assert!(!rootdir.join("myapp").exists(), "nothing is written");

    // The vendor's stored login is wrong: the customer is told it is the vendor's.
    private_release(&world, &worker);
    link("not-the-password", true);
    let (ok, _, stderr) = rewrite(&rootdir);
    assert!(!ok && stderr.contains(&worker), "{stderr}");
    assert!(stderr.contains("credentials"), "{stderr}");

    // The linked registry is down (nothing listens at its address any more).
    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let body = json!({"endpoint": gone, "username": "x", "password": "y", "noCheck": true});
    let _: Value = world.admin_post("/api/v1/apps/myapp/registries", &body);
    private_release(&world, &format!("{gone}/acme/worker:2"));
    let (ok, _, stderr) = rewrite(&rootdir);
    assert!(!ok && stderr.contains(&format!("{gone}/acme/worker:2")), "{stderr}");
    assert!(stderr.contains("cannot reach"), "{stderr}");

    // A good pull after all that still works, and leaves a folder a failed one does not touch.
    link(QUAY.1, true);
    private_release(&world, &worker);
    let (ok, _, stderr) = rewrite(&rootdir);
    assert!(ok, "{stderr}");
    let before = snapshot(&rootdir.join("myapp"));
    private_release(&world, &format!("{quay}/acme/absent:9"));
    let (ok, _, _) = rewrite(&rootdir);
    assert!(!ok);
    assert_eq!(snapshot(&rootdir.join("myapp")), before);
}

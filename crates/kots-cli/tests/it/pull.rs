//! `kubectl kots pull` end to end with real parts only: a `kots-vendor` serving the example app
//! (examples/myapp) with private images on its registry, a second `kots-registry` standing in
//! for Docker Hub (reached through `--registry-mirror`), and as the customer's registry, in
//! turn, a `kots-registry` that wants a login and the reference `docker-registry`. The result is
//! rendered by the real `kubectl kustomize`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use kots_testkit::ReferenceRegistry;
use kots_vendor::client::Client;
use kots_vendor::customers::{CustomerChange, IssuedLicense};
use kots_vendor::release::ReleaseFile;
use kots_vendor::releases::{CreatedRelease, NewRelease};
use serde_json::{Value, json};

use crate::BINARY;

const EMAIL: &str = "vendor@example.com";

/// The vendor server and a public registry (its mirror of docker.io) on one runtime, a
/// customer registry (login alice/wonderland) on another, each on loopback, all stopped with
/// the value.
pub(crate) struct World {
    runtime: std::sync::Mutex<Option<tokio::runtime::Runtime>>,
    customer_runtime: Option<tokio::runtime::Runtime>,
    temp: tempfile::TempDir,
    pub(crate) vendor: String,
    pub(crate) public: String,
    pub(crate) customer: String,
    pub(crate) token: String,
    pub(crate) keys: PathBuf,
    /// Image (`registry/repository:tag` as pushed) → manifest digest.
    pub(crate) digests: BTreeMap<String, String>,
}

/// A registry on loopback in `runtime` whose only login is `login`, its data under
/// `root/name`; its address.
fn start_registry(runtime: &tokio::runtime::Runtime, root: &Path, name: &str, login: (&str, &str)) -> String {
    runtime.block_on(kots_testkit::spawn_login_registry(&root.join(name), login))
}

fn bind(runtime: &tokio::runtime::Runtime) -> (tokio::net::TcpListener, String) {
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        (listener, address)
    })
}

impl World {
    pub(crate) fn start() -> World {
        let temp = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();

        let (public_listener, public) = bind(&runtime);
        let registry = runtime
            .block_on(kots_registry::Registry::open_embedded(&temp.path().join("public"), Default::default()))
            .unwrap();
        runtime.spawn(kots_registry::server::serve(Arc::new(registry), public_listener, std::future::pending()));

        let vendor_dir = temp.path().join("vendor");
        let token = runtime.block_on(kots_vendor::bootstrap(&vendor_dir, None, EMAIL, None)).unwrap();
        let (listener, vendor) = bind(&runtime);
        let options = kots_vendor::VendorOptions {
            registry_mirrors: [("docker.io".to_owned(), (public.clone(), true))].into(),
            // Every registry of these tests is on loopback, linked ones too.
            allow_private_registries: true,
            ..Default::default()
        };
        let service =
            runtime.block_on(kots_vendor::Vendor::open(&vendor_dir, &format!("http://{vendor}"), options)).unwrap();
        let keys = temp.path().join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        let key = service.global_key();
        std::fs::write(keys.join(format!("{}.pem", key.id())), key.public_key_pem().unwrap()).unwrap();
        runtime.spawn(kots_vendor::server::serve(Arc::new(service), listener, std::future::pending()));

        let customer_runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let customer = start_registry(&customer_runtime, temp.path(), "customer", ("alice", "wonderland"));

        let mut world = World {
            runtime: Some(runtime).into(),
            customer_runtime: Some(customer_runtime),
            temp,
            vendor,
            public,
            customer,
            token,
            keys,
            digests: BTreeMap::new(),
        };
        let _: Value = world.admin_post("/api/v1/apps", &json!({"slug": "myapp", "name": "My App"}));
        for image in ["library/nginx:1.25", "library/busybox:1.36", "library/redis:7", "library/postgres:16"] {
            world.make_image(&format!("{}/{image}", world.public.clone()), image, None);
        }
        for image in ["myapp/api:1.0", "myapp/report:1.0"] {
            world.make_image(
                &format!("{}/{image}", world.vendor.clone()),
                image,
                Some(&format!("{EMAIL}:{}", world.token)),
            );
        }
        world
    }

    /// Another registry of the vendor's own, as quay.io would be (its only login `user`), on the
    /// customer's runtime; its address.
    pub(crate) fn start_vendor_registry(&self, name: &str, login: (&str, &str)) -> String {
        start_registry(self.customer_runtime.as_ref().expect("running"), self.temp.path(), name, login)
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    pub(crate) fn admin_post<T: serde::de::DeserializeOwned>(&self, path: &str, body: &impl serde::Serialize) -> T {
        let client = Client::new(&format!("http://{}", self.vendor), Some(self.token.clone()));
        self.runtime.lock().unwrap().as_ref().expect("servers running").block_on(client.post(path, body)).unwrap()
    }

    /// A POST the vendor refuses: its status and message.
    pub(crate) fn admin_post_status(&self, path: &str, body: &impl serde::Serialize) -> (u16, String) {
        let client = Client::new(&format!("http://{}", self.vendor), Some(self.token.clone()));
        let runtime = self.runtime.lock().unwrap();
        let result: Result<Value, _> = runtime.as_ref().expect("servers running").block_on(client.post(path, body));
        match result {
            Err(kots_vendor::client::ClientError::Refused { status, message }) => (status, message),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    pub(crate) fn make_image(&mut self, reference: &str, seed: &str, credentials: Option<&str>) {
        let mut command = Command::new(BINARY);
        command.args(["image", "make", reference, "--size", "300000", "--seed", seed]);
        if let Some(credentials) = credentials {
            command.args(["--dest-creds", credentials]);
        }
        let output = command.env("HOME", self.temp.path()).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let printed = String::from_utf8(output.stdout).unwrap();
        let (_, digest) = printed.trim().split_once('@').unwrap();
        self.digests.insert(reference.to_owned(), digest.to_owned());
    }

    /// The example app with the vendor's registry filled in, `edit` applied to each file.
    pub(crate) fn release(
        &self,
        version: &str,
        channel: &str,
        edit: impl Fn(&str, String) -> String,
    ) -> CreatedRelease {
        self.release_with(version, channel, edit, Vec::new())
    }

    /// [`World::release`] with `extra` files too.
    pub(crate) fn release_with(
        &self,
        version: &str,
        channel: &str,
        edit: impl Fn(&str, String) -> String,
        extra: Vec<ReleaseFile>,
    ) -> CreatedRelease {
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/myapp");
        let mut files = Vec::new();
        for entry in std::fs::read_dir(examples).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let content = std::fs::read_to_string(&path).unwrap().replace("VENDOR_REGISTRY", &self.vendor);
            files.push(ReleaseFile { content: edit(&name, content).into_bytes(), path: name });
        }
        files.extend(extra);
        let request = NewRelease {
            files,
            version_label: Some(version.to_owned()),
            notes: format!("notes of {version}"),
            promote: Some(channel.to_owned()),
            required: false,
        };
        self.admin_post("/api/v1/apps/myapp/releases", &request)
    }

    pub(crate) fn customer(&self, app: &str, name: &str, channels: &[&str], expires_at: Option<&str>) -> PathBuf {
        self.customer_with(app, name, channels, expires_at, false)
    }

    /// A customer and its license file; `airgap` grants the airgap entitlement.
    pub(crate) fn customer_with(
        &self,
        app: &str,
        name: &str,
        channels: &[&str],
        expires_at: Option<&str>,
        airgap: bool,
    ) -> PathBuf {
        let change = CustomerChange {
            name: Some(name.to_owned()),
            channels: Some(channels.iter().map(|c| c.to_string()).collect()),
            expires_at: expires_at.map(str::to_owned),
            airgap: Some(airgap),
            ..CustomerChange::default()
        };
        let issued: IssuedLicense = self.admin_post(&format!("/api/v1/apps/{app}/customers"), &change);
        let path = self.path(&format!("{name}.yaml"));
        std::fs::write(&path, issued.license).unwrap();
        path
    }

    /// Version 1.1.0: the vendor changes one image (api 1.0 → 1.1) and adds one (memcached).
    pub(crate) fn release_update(&mut self) {
        let vendor = self.vendor.clone();
        let public = self.public.clone();
        self.make_image(&format!("{vendor}/myapp/api:1.1"), "myapp/api:1.1", Some(&format!("{EMAIL}:{}", self.token)));
        self.make_image(&format!("{public}/library/memcached:1.6"), "library/memcached:1.6", None);
        self.release("1.1.0", "stable", |name, content| match name {
            "worker.yaml" => content.replace("myapp/api:1.0", "myapp/api:1.1"),
            "cache.yaml" => format!(
                "{content}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: memcached\nspec:\n  selector:\n    matchLabels: {{app: memcached}}\n  template:\n    metadata:\n      labels: {{app: memcached}}\n    spec:\n      containers:\n        - name: memcached\n          image: memcached:1.6\n"
            ),
            _ => content,
        });
    }

    /// Stops the vendor and the public registry: the customer's network from now on.
    pub(crate) fn stop_vendor(&self) {
        if let Some(runtime) = self.runtime.lock().unwrap().take() {
            runtime.shutdown_background();
        }
    }

    /// Downloads the customer's airgap bundle of `app` (as `kots-vendor airgap build` does).
    pub(crate) fn airgap_bundle(&self, license: &Path, channel: &str, output: &Path) -> Result<u64, String> {
        let id = kots_license::License::load(license).unwrap().id().to_string();
        let url = format!("http://{}/airgap/myapp/{channel}", self.vendor);
        let client = Client::new(&format!("http://{}", self.vendor), None);
        let runtime = self.runtime.lock().unwrap();
        runtime
            .as_ref()
            .expect("vendor running")
            .block_on(client.download(&url, &id, output))
            .map_err(|e| e.to_string())
    }

    /// Runs `kubectl-kots pull` with a clean environment; returns success, stdout, stderr.
    pub(crate) fn pull(&self, license: &Path, rootdir: &Path, extra: &[&str]) -> (bool, String, String) {
        let mirror = format!("docker.io=http://{}", self.public);
        let output = Command::new(BINARY)
            .arg("pull")
            .args(extra.iter().take_while(|arg| !arg.starts_with("--")).copied())
            .args(["--license-file", license.to_str().unwrap(), "--rootdir", rootdir.to_str().unwrap()])
            .args(["--registry-mirror", &mirror, "--quiet"])
            .args(extra.iter().skip_while(|arg| !arg.starts_with("--")).copied())
            .env("HOME", self.temp.path())
            .env("DOCKER_CONFIG", self.temp.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("KOTS_TRUSTED_KEYS")
            .env_remove("KOTS_REGISTRY_USERNAME")
            .env_remove("KOTS_REGISTRY_PASSWORD")
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.stop_vendor();
        if let Some(runtime) = self.customer_runtime.take() {
            runtime.shutdown_background();
        }
    }
}

pub(crate) fn kustomize(directory: &Path) -> String {
    let output = Command::new("kubectl").arg("kustomize").arg(directory).output().expect("kubectl is installed");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

pub(crate) fn rendered_images(rendered: &str) -> Vec<String> {
    let mut images: Vec<String> = rendered
        .lines()
        .filter_map(|line| line.trim().trim_start_matches("- ").strip_prefix("image: ").map(str::to_owned))
        .collect();
    images.sort();
    images.dedup();
    images
}

/// The manifest digest `registry` serves for `repository:tag`, logging in if credentials are given.
pub(crate) fn served_digest(
    registry: &str,
    repository: &str,
    tag: &str,
    credentials: Option<(&str, &str)>,
) -> Option<String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let options = kots_transfer::ClientOptions {
            credentials: credentials.map(|(user, password)| kots_transfer::Credentials::new(user, password)),
            plain_http: true,
            ..Default::default()
        };
        let client = kots_transfer::RegistryClient::new(registry, &options).unwrap();
        client.manifest(repository, tag).await.unwrap().map(|(_, _, digest)| digest.to_string())
    })
}

/// Asserts that every one of `images` (as rendered) is `registry/namespace/NAME:TAG` and that
/// `registry` serves it with the digest of the source image it came from.
pub(crate) fn assert_served(
    world: &World,
    images: &[String],
    registry: &str,
    namespace: &str,
    credentials: Option<(&str, &str)>,
) {
    for image in images {
        let rest = image.strip_prefix(&format!("{registry}/{namespace}/")).unwrap_or_else(|| panic!("{image}"));
        let (name, tag) = rest.split_once(':').unwrap();
        let source = world.digests.iter().find(|(source, _)| source.ends_with(&format!("/{name}:{tag}")));
        let source = source.unwrap_or_else(|| panic!("{image} keeps the source's name"));
        let served = served_digest(registry, &format!("{namespace}/{name}"), tag, credentials);
        assert_eq!(served.as_deref(), Some(source.1.as_str()), "{image}");
    }
}

/// Every file of a folder but `images/`, with its content: to prove a folder unchanged.
pub(crate) fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, directory: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, files);
            } else {
                files.insert(path.strip_prefix(root).unwrap().display().to_string(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    if root.exists() {
        walk(root, root, &mut files);
    }
    files
}

pub(crate) fn json_summary(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

pub(crate) fn image_summary<'a>(summary: &'a Value, destination_suffix: &str) -> &'a Value {
    summary["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|image| image["destination"].as_str().unwrap_or_default().ends_with(destination_suffix))
        .unwrap_or_else(|| panic!("no image {destination_suffix} in {summary}"))
}

#[test]
fn pull_deploys_from_the_customer_registry_and_an_update_keeps_the_customers_edits() {
    let mut world = World::start();
    world.release("1.0.0", "stable", |_, content| content);
    let license = world.customer("myapp", "acme", &["stable"], None);
    let keys = world.keys.display().to_string();
    let rootdir = world.path("acme");
    let customer = world.customer.clone();
    let (ok, stdout, stderr) =
        world.pull(&license, &rootdir, &as_strs(&rewrite_as_alice(&keys, format!("http://{customer}/"))));
    assert!(ok, "{stderr}");
    let summary = json_summary(&stdout);
    assert_eq!(summary["versionLabel"], "1.0.0");
    assert_eq!(summary["images"].as_array().unwrap().len(), 6);

    // The folder's layout.
    let app = rootdir.join("myapp");
    for file in [
        "upstream/web.yaml",
        "upstream/kots-app.yaml",
        "upstream/userdata/license.yaml",
        "upstream/userdata/installation.yaml",
        "base/kustomization.yaml",
        "base/web.yaml",
        "base/web-2.yaml",
        "base/cache.yaml",
        "base/report.yaml",
        "base/debug.yaml",
        "base/worker.yaml",
        "base/worker-2.yaml",
        "kotsKinds/kots-app.yaml",
        "kotsKinds/userdata/license.yaml",
        "kotsKinds/userdata/installation.yaml",
        "overlays/midstream/kustomization.yaml",
        "overlays/midstream/secret.yaml",
        "overlays/midstream/pullsecrets.yaml",
        "overlays/midstream/backup-label-transformer.yaml",
        "overlays/midstream/kots/pull-secret-worker-2.yaml",
        "overlays/downstreams/this-cluster/kustomization.yaml",
        "rendered/this-cluster/web-deployment.yaml",
        "rendered/this-cluster/myapp-registry-secret.yaml",
        "images/index.json",
        "images/oci-layout",
    ] {
        assert!(app.join(file).is_file(), "{file} is missing");
    }
    assert!(!app.join("base/kots-app.yaml").exists(), "KOTS kinds stay out of base/");
    let installation = std::fs::read_to_string(app.join("upstream/userdata/installation.yaml")).unwrap();
    let installation: Value = serde_saphyr::from_str(&installation).unwrap();
    assert_eq!(installation["kind"], "Installation");
    assert_eq!(installation["spec"]["updateCursor"], "1");
    assert_eq!(installation["spec"]["versionLabel"], "1.0.0");
    assert_eq!(installation["spec"]["channelName"], "Stable");
    assert_eq!(installation["spec"]["releaseNotes"], "notes of 1.0.0");
    let saved = kots_license::License::load(app.join("upstream/userdata/license.yaml")).unwrap();
    let given = kots_license::License::load(&license).unwrap();
    assert_eq!(saved.id(), given.id());
    let layout = kots_oci::OciLayout::open(app.join("images")).unwrap();
    assert_eq!(layout.index().unwrap().manifests.len(), 6, "one entry per image in images/");

    // Rendered: every image from the customer registry, there with the source's digest.
    let rendered = kustomize(&app.join("overlays/downstreams/this-cluster"));
    let images = rendered_images(&rendered);
    assert_eq!(images.len(), 5, "{images:?}");
    assert_served(&world, &images, &customer, "myapp", Some(("alice", "wonderland")));
    let postgres = served_digest(&customer, "myapp/postgres", "16", Some(("alice", "wonderland")));
    assert!(postgres.is_some(), "additionalImages travel too");
    assert_eq!(rendered.matches("- name: myapp-registry").count(), 5, "each workload pulls with the secret");
    assert!(rendered.contains("type: kubernetes.io/dockerconfigjson"));

    // The customer's edits: a patch in the midstream, a label in the downstream.
    let midstream = app.join("overlays/midstream");
    std::fs::write(
        midstream.join("replicas.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
    )
    .unwrap();
    let kustomization = std::fs::read_to_string(midstream.join("kustomization.yaml")).unwrap();
    let mut kustomization: Value = serde_saphyr::from_str(&kustomization).unwrap();
    kustomization["patches"].as_array_mut().unwrap().push(json!({"path": "replicas.yaml"}));
    std::fs::write(midstream.join("kustomization.yaml"), serde_saphyr::to_string(&kustomization).unwrap()).unwrap();
    let downstream = app.join("overlays/downstreams/this-cluster/kustomization.yaml");
    let mut text = std::fs::read_to_string(&downstream).unwrap();
    text.push_str("commonLabels:\n  team: ops\n");
    std::fs::write(&downstream, &text).unwrap();

    // Nothing new: nothing changes.
    let before = snapshot(&app);
    let (ok, stdout, stderr) =
        world.pull(&license, &rootdir, &["replicated://myapp", "--trusted-key", &keys, "-o", "json"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("up to date"), "{stderr}");
    assert_eq!(json_summary(&stdout)["updated"], false);
    assert_eq!(snapshot(&app), before);

    // The vendor changes one image and adds one.
    world.release_update();
    let (ok, stdout, stderr) = world.pull(&license, &rootdir, &as_strs(&rewrite_as_alice(&keys, customer.clone())));
    assert!(ok, "{stderr}");
    assert!(stderr.contains("updated: version 1.0.0 → 1.1.0"), "{stderr}");
    let summary = json_summary(&stdout);
    for unchanged in ["/nginx:1.25", "/busybox:1.36", "/redis:7", "/postgres:16", "/report:1.0"] {
        assert_eq!(image_summary(&summary, unchanged)["blobsSent"], 0, "{unchanged} was sent again: {summary}");
    }
    // A new image sends its own layer and config; the layer all examples share stays put.
    assert_eq!(image_summary(&summary, "/api:1.1")["blobsSent"], 2, "{summary}");
    assert_eq!(image_summary(&summary, "/memcached:1.6")["blobsSent"], 2, "{summary}");

    let rendered = kustomize(&app.join("overlays/downstreams/this-cluster"));
    assert!(rendered.contains(&format!("image: {customer}/myapp/api:1.1")), "{rendered}");
    assert!(rendered.contains(&format!("image: {customer}/myapp/memcached:1.6")), "{rendered}");
    assert!(!rendered.contains("api:1.0"));
    assert!(rendered.contains("replicas: 3"), "the midstream patch is kept:\n{rendered}");
    assert!(rendered.contains("team: ops"), "the downstream edit is kept");
    assert!(midstream.join("replicas.yaml").exists());
    assert_eq!(std::fs::read_to_string(&downstream).unwrap(), text);
    assert!(
        served_digest(&customer, "myapp/api", "1.1", Some(("alice", "wonderland")))
            == world.digests.get(&format!("{}/myapp/api:1.1", world.vendor)).cloned()
    );
}

#[test]
fn pull_into_the_reference_registry_without_rewriting_names_too() {
    let world = World::start();
    world.release("1.0.0", "stable", |_, content| content);
    let license = world.customer("myapp", "globex", &["stable"], None);
    let keys = world.keys.display().to_string();
    let distribution = ReferenceRegistry::start();
    let rootdir = world.path("globex");
    let endpoint = format!("http://{}/globex/apps", distribution.address);
    let to_distribution = [
        "myapp",
        "--trusted-key",
        &keys,
        "--rewrite-images",
        "--registry-endpoint",
        &endpoint,
        "--image-naming",
        "path",
    ];
    let (ok, _, stderr) = world.pull(&license, &rootdir, &to_distribution);
    assert!(ok, "{stderr}");
    let rendered = kustomize(&rootdir.join("myapp/overlays/midstream"));
    let images = rendered_images(&rendered);
    assert_eq!(images.len(), 5, "{images:?}");
    assert_served(&world, &images, &distribution.address, "globex/apps", None);
    // No credentials for the registry: the pull secret KOTS always writes holds the license's
    // login for the vendor's registry and proxy only, under the names its release API gives.
    assert!(rendered.contains("- name: myapp-registry"), "{rendered}");
    let secret = std::fs::read_to_string(rootdir.join("myapp/overlays/midstream/secret.yaml")).unwrap();
    let secret: Value = serde_saphyr::from_str(&kots_release::documents::split_documents(&secret)[0]).unwrap();
    use base64::Engine;
    let config = base64::engine::general_purpose::STANDARD
        .decode(secret["data"][".dockerconfigjson"].as_str().unwrap())
        .unwrap();
    let config: Value = serde_json::from_slice(&config).unwrap();
    let hosts: Vec<&String> = config["auths"].as_object().unwrap().keys().collect();
    assert!(hosts.contains(&&world.vendor) && !hosts.contains(&&"registry.replicated.com".to_owned()), "{hosts:?}");

    // The same release to the same registry: nothing to do. To another registry: the images move,
    // though the release has not changed.
    let app = rootdir.join("myapp");
    let before = snapshot(&app);
    let (ok, _, stderr) = world.pull(&license, &rootdir, &to_distribution);
    assert!(ok && stderr.contains("up to date"), "{stderr}");
    assert_eq!(snapshot(&app), before);
    let customer = world.customer.clone();
    let (ok, stdout, stderr) =
        world.pull(&license, &rootdir, &as_strs(&rewrite_as_alice(&keys, format!("http://{customer}"))));
    assert!(ok, "{stderr}");
    assert!(
        stderr
            .contains(&format!("the images are in {customer}/myapp now (were: {}/globex/apps)", distribution.address)),
        "{stderr}"
    );
    assert_eq!(json_summary(&stdout)["versionLabel"], "1.0.0");
    let images = rendered_images(&kustomize(&app.join("overlays/midstream")));
    assert_eq!(images.len(), 5, "{images:?}");
    assert_served(&world, &images, &customer, "myapp", Some(("alice", "wonderland")));

    // Without --rewrite-images the names stay, and the vendor's private images get a secret
    // holding the license. The key is trusted from a file of any name (`key export >
    // vendor.pem`), not only `KEY_ID.pem`: that failed as "a key this machine does not trust".
    let plain = world.path("plain");
    let vendor_pem = world.path("vendor.pem");
    let exported = std::fs::read_dir(&world.keys).unwrap().next().unwrap().unwrap().path();
    std::fs::copy(exported, &vendor_pem).unwrap();
    let (ok, _, stderr) = world.pull(&license, &plain, &["myapp", "--trusted-key", vendor_pem.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let rendered = kustomize(&plain.join("myapp/overlays/midstream"));
    assert!(rendered.contains("image: nginx:1.25"), "{rendered}");
    assert!(rendered.contains(&format!("image: {}/myapp/api:1.0", world.vendor)));
    assert!(rendered.contains("- name: myapp-registry"));
    assert!(!plain.join("myapp/images").exists(), "nothing is saved without --rewrite-images");

    // --no-push: the images are in that registry already (here nothing even listens there), so
    // the names change, the pull secret is written, and nothing is read or pushed.
    let read_only = world.path("read-only");
    let silent = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let args = [
        "myapp",
        "--trusted-key",
        &keys,
        "--rewrite-images",
        "--no-push",
        "--registry-endpoint",
        &silent,
        "--image-namespace",
        "mirror",
        "--registry-username",
        "bob",
        "--registry-password",
        "builder",
        "-o",
        "json",
    ];
    let (ok, stdout, stderr) = world.pull(&license, &read_only, &args);
    assert!(ok, "{stderr}");
    let images = rendered_images(&kustomize(&read_only.join("myapp/overlays/midstream")));
    assert_eq!(images.len(), 5, "{images:?}");
    assert!(images.iter().all(|image| image.starts_with(&format!("{silent}/mirror/"))), "{images:?}");
    let summary = json_summary(&stdout);
    for image in summary["images"].as_array().unwrap() {
        assert_eq!(image["blobsSent"], 0, "{image}");
        assert!(image["destination"].as_str().unwrap().starts_with(&format!("{silent}/mirror/")), "{image}");
    }
    assert!(!read_only.join("myapp/images").exists(), "nothing is saved with --no-push");
    let secret = std::fs::read_to_string(read_only.join("myapp/overlays/midstream/secret.yaml")).unwrap();
    assert!(secret.contains(".dockerconfigjson"), "{secret}");
    let (ok, _, stderr) = world.pull(&license, &world.path("x"), &["myapp", "--trusted-key", &keys, "--no-push"]);
    assert!(!ok && stderr.contains("--no-push goes with --rewrite-images"), "{stderr}");
}

#[test]
fn every_refusal_names_its_cause_and_leaves_the_folder_unchanged() {
    let world = World::start();
    world.release("1.0.0", "stable", |_, content| content);
    let license = world.customer("myapp", "initech", &["stable"], None);
    let keys = world.keys.display().to_string();
    let rootdir = world.path("initech");
    let customer = world.customer.clone();
    let endpoint = format!("http://{customer}");
    let rewrite = |user: &'static str, password: &'static str| {
        vec![
            "--rewrite-images".to_owned(),
            "--registry-endpoint".to_owned(),
            endpoint.clone(),
            "--image-namespace".to_owned(),
            "myapp".to_owned(),
            "--registry-username".to_owned(),
            user.to_owned(),
            "--registry-password".to_owned(),
            password.to_owned(),
        ]
    };
    let args = |extra: &[String]| -> Vec<String> {
        let mut args = vec!["replicated://myapp".to_owned(), "--trusted-key".to_owned(), keys.clone()];
        args.extend_from_slice(extra);
        args
    };
    let (ok, _, stderr) = world.pull(&license, &rootdir, &as_strs(&args(&rewrite("alice", "wonderland"))));
    assert!(ok, "{stderr}");
    let app = rootdir.join("myapp");
    let before = snapshot(&app);
    let check = |license: &Path, extra: Vec<String>, expected: &[&str]| {
        let (ok, _, stderr) = world.pull(license, &rootdir, &as_strs(&extra));
        assert!(!ok, "should fail: {extra:?}");
        for part in expected {
            assert!(stderr.contains(part), "`{part}` not in: {stderr}");
        }
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        // An expired license said "ask the vendor to renew it; ask the vendor to renew it".
        assert!(stderr.ends_with('\n'), "the message ends its line: {stderr:?}");
        for sentence in stderr.trim().split("; ") {
            assert_eq!(stderr.matches(sentence).count(), 1, "`{sentence}` said twice: {stderr}");
        }
        assert_eq!(snapshot(&app), before, "the folder changed after: {stderr}");
        let leftovers: Vec<_> = std::fs::read_dir(&rootdir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    };

    // Untrusted: no key given, none configured.
    check(&license, vec!["replicated://myapp".to_owned()], &["does not trust", "--trusted-key"]);
    // Tampered: the signature no longer matches.
    let text = std::fs::read_to_string(&license).unwrap();
    let tampered = world.path("tampered.yaml");
    let value = text
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("signature:").map(str::trim))
        .max_by_key(|value| value.len())
        .unwrap();
    let mut bytes = value.as_bytes().to_vec();
    bytes[40] = if bytes[40] == b'A' { b'B' } else { b'A' };
    std::fs::write(&tampered, text.replace(value, std::str::from_utf8(&bytes).unwrap())).unwrap();
    check(&tampered, args(&[]), &["failed verification", "ask the vendor"]);
    // Expired.
    let expired = world.customer("myapp", "expired", &["stable"], Some("2020-01-01T00:00:00Z"));
    check(&expired, args(&[]), &["expired", "renew"]);
    // Revoked: the license verifies here; the vendor refuses it.
    let revoked = world.customer("myapp", "revoked", &["stable"], None);
    let revoked_id = kots_license::License::load(&revoked).unwrap().id().to_string();
    let _: Value = world.admin_post(&format!("/api/v1/apps/myapp/customers/{revoked_id}/revoke"), &json!({}));
    check(&revoked, args(&[]), &["revoked", "HTTP 403"]);
    // Another app's license.
    let _: Value = world.admin_post("/api/v1/apps", &json!({"slug": "otherapp"}));
    let other = world.customer("otherapp", "other", &["stable"], None);
    check(&other, args(&[]), &["is for app `otherapp`, not `myapp`"]);
    // A channel the license does not hold.
    let mut beta = args(&[]);
    beta[0] = "replicated://myapp/beta".to_owned();
    check(&license, beta, &["does not include channel `beta`", "stable"]);
    // The customer registry refuses the credentials (checked once there is something to pull).
    world.release("1.0.1", "stable", |_, content| content);
    check(&license, args(&rewrite("alice", "not-it")), &["refuses to take images", "--registry-username"]);
    // Two images that would land on one name.
    world.release("1.1.0", "stable", |name, content| match name {
        "debug.yaml" => content.replace("docker.io/library/busybox:1.36", "quay.io/tools/nginx:1"),
        _ => content,
    });
    check(&license, args(&rewrite("alice", "wonderland")), &["would both be pushed to", "--image-naming path"]);
    // An image the release names that does not exist upstream.
    world.release("1.2.0", "stable", |name, content| match name {
        "debug.yaml" => content.replace("busybox:1.36", "busybox:9.99"),
        _ => content,
    });
    check(&license, args(&rewrite("alice", "wonderland")), &["busybox:9.99", "missing upstream"]);
    // The vendor is gone.
    world.stop_vendor();
    check(&license, args(&[]), &["cannot reach the vendor"]);
}

/// `pull replicated://myapp` pushing to the customer registry as alice, with a JSON summary.
pub(crate) fn rewrite_as_alice(keys: &str, endpoint: String) -> Vec<String> {
    let args = ["replicated://myapp", "--trusted-key", keys, "--rewrite-images", "--image-namespace", "myapp"];
    let mut args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
    args.extend(["--registry-endpoint".to_owned(), endpoint]);
    args.extend(["--registry-username", "alice", "--registry-password", "wonderland", "-o", "json"].map(str::to_owned));
    args
}

/// `pull --airgap-bundle` into `endpoint` under `myapp/`, as alice if `alice`.
pub(crate) fn bundle_pull_args(bundle: &Path, keys: &str, endpoint: &str, alice: bool) -> Vec<String> {
    bundle_pull_args_into(bundle, keys, endpoint, "myapp", alice)
}

/// [`bundle_pull_args`] under the image namespace `namespace`.
pub(crate) fn bundle_pull_args_into(
    bundle: &Path,
    keys: &str,
    endpoint: &str,
    namespace: &str,
    alice: bool,
) -> Vec<String> {
    let mut args: Vec<String> = ["--airgap-bundle", &bundle.display().to_string(), "--trusted-key", keys]
        .into_iter()
        .chain(["--rewrite-images", "--registry-endpoint", endpoint, "--image-namespace", namespace, "-o", "json"])
        .map(str::to_owned)
        .collect();
    if alice {
        args.extend(["--registry-username", "alice", "--registry-password", "wonderland"].map(str::to_owned));
    }
    args
}

pub(crate) fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn pull_renders_kots_templates_with_the_license_version_and_config_defaults() {
    // A release whose files use KOTS's functions in both delimiter styles, a Config whose item
    // default is itself templated, and a document `kots.io/when` leaves out (the official
    // starter app's shape: without rendering, kustomize saw template text and both documents).
    let world = World::start();
    world.release("1.0.0", "stable", |name, content| match name {
        "kots-app.yaml" => content
            + "---\napiVersion: kots.io/v1beta1\nkind: Config\nmetadata:\n  name: config\nspec:\n  groups:\n    - name: main\n      title: Main\n      items:\n        - name: hostname\n          type: text\n          default: 'app.repl{{ LicenseFieldValue \"appSlug\" }}.example'\n",
        "cache.yaml" => content
            + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  customer: '{{repl LicenseFieldValue \"customerName\" }}'\n  host: 'repl{{ ConfigOption \"hostname\" }}'\n  version: 'repl{{ VersionLabel }}'\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kurl-only\n  annotations:\n    kots.io/when: '{{repl IsKurl }}'\ndata: {}\n",
        _ => content,
    });
    let license = world.customer("myapp", "globex", &["stable"], None);
    let keys = world.keys.display().to_string();
    let rootdir = world.path("globex");
    let (ok, _, stderr) = world.pull(&license, &rootdir, &["myapp", "--trusted-key", &keys]);
    assert!(ok, "{stderr}");
    let rendered = kustomize(&rootdir.join("myapp/overlays/midstream"));
    assert!(rendered.contains("customer: globex"), "{rendered}");
    assert!(rendered.contains("host: app.myapp.example"), "{rendered}");
    assert!(rendered.contains("version: 1.0.0"), "{rendered}");
    assert!(!rendered.contains("kurl-only"), "kots.io/when false leaves the document out: {rendered}");
    assert!(
        !rendered.contains("repl{{") && !rendered.contains("{{repl"),
        "no template text reaches the cluster: {rendered}"
    );
    // upstream/ keeps the release as shipped, templates and all.
    let upstream = std::fs::read_to_string(rootdir.join("myapp/upstream/cache.yaml")).unwrap();
    assert!(upstream.contains("{{repl LicenseFieldValue"), "{upstream}");

    // The customer's values: the same release renders again with them, and they are kept.
    let values = world.path("values.yaml");
    std::fs::write(
        &values,
        "apiVersion: kots.io/v1beta1\nkind: ConfigValues\nspec:\n  values:\n    hostname:\n      value: shop.globex.example\n",
    )
    .unwrap();
    let with_values = ["myapp", "--trusted-key", keys.as_str(), "--config-values", values.to_str().unwrap()];
    let (ok, _, stderr) = world.pull(&license, &rootdir, &with_values);
    assert!(ok, "{stderr}");
    let rendered = kustomize(&rootdir.join("myapp/overlays/midstream"));
    assert!(rendered.contains("host: shop.globex.example"), "{rendered}");
    // Kept as KOTS keeps them: every item, its value and its default, under the app's name.
    let kept = std::fs::read_to_string(rootdir.join("myapp/upstream/userdata/config.yaml")).unwrap();
    let kept: Value = serde_saphyr::from_str(&kept).unwrap();
    assert_eq!(kept["metadata"]["name"], "myapp");
    assert_eq!(
        kept["spec"]["values"]["hostname"],
        json!({"value": "shop.globex.example", "default": "app.myapp.example"})
    );
    // Without --config-values the kept ones stay in force (and nothing changed: up to date).
    let (ok, _, stderr) = world.pull(&license, &rootdir, &["myapp", "--trusted-key", &keys]);
    assert!(ok && stderr.contains("up to date"), "{stderr}");
    assert!(kustomize(&rootdir.join("myapp/overlays/midstream")).contains("host: shop.globex.example"));

    // A file that is not ConfigValues is refused by name before anything changes.
    let app = rootdir.join("myapp");
    let before = snapshot(&app);
    let (ok, _, stderr) = world.pull(
        &license,
        &rootdir,
        &["myapp", "--trusted-key", &keys, "--config-values", license.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(stderr.contains("is not a kots.io/v1beta1 ConfigValues document"), "{stderr}");
    assert_eq!(snapshot(&app), before);
}

/// The Config of the release in [`a_configured_release_end_to_end_and_an_update_that_adds_an_item`].
const SHOP_CONFIG: &str = "apiVersion: kots.io/v1beta1\nkind: Config\nmetadata:\n  name: config\nspec:\n  groups:\n    - name: main\n      title: Main\n      items:\n        - name: replicas\n          type: text\n          default: \"2\"\n        - name: admin_email\n          title: Admin email\n          type: text\n          required: true\n          validation:\n            regex:\n              pattern: ^[^@]+@[^@]+$\n              message: an email address\n        - name: feature\n          type: bool\n          default: \"0\"\n        - name: db_password\n          type: password\n";

#[test]
fn a_configured_release_end_to_end_and_an_update_that_adds_an_item() {
    // A release as vendors write them: a Config with a required item, a value YAML reads only
    // once rendered (`replicas: {{repl … }}` unquoted), a document behind `kots.io/when`, and a
    // file that is not YAML at all, uploaded through the vendor.
    let world = World::start();
    let blob: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let edit = |name: &str, content: String| match name {
        "web.yaml" => {
            content.replace("spec:\n  selector:", "spec:\n  replicas: {{repl ConfigOption \"replicas\" }}\n  selector:")
        }
        "cache.yaml" => {
            content
                + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: feature\n  annotations:\n    kots.io/when: '{{repl ConfigOptionEquals \"feature\" \"1\" }}'\ndata:\n  admin: repl{{ ConfigOption \"admin_email\" }}\n  password: repl{{ ConfigOption \"db_password\" }}\n"
        }
        _ => content,
    };
    let extra = || {
        vec![
            ReleaseFile::text("config.yaml", SHOP_CONFIG),
            ReleaseFile { path: "charts/blob-1.0.0.tgz".into(), content: blob.clone() },
        ]
    };
    world.release_with("1.0.0", "stable", edit, extra());
    let license = world.customer("myapp", "globex", &["stable"], None);
    let keys = world.keys.display().to_string();
    let customer = world.customer.clone();
    let rootdir = world.path("globex");
    let app = rootdir.join("myapp");
    let rewrite = rewrite_as_alice(&keys, format!("http://{customer}"));

    // No value for the required item: config needed, naming it; KOTS's partial folder.
    let (ok, _, stderr) = world.pull(&license, &rootdir, &as_strs(&rewrite));
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("config needed") && stderr.contains("admin_email (Admin email)"), "{stderr}");
    assert!(app.join("upstream/config.yaml").is_file() && app.join("kotsKinds/config.yaml").is_file());
    assert!(!app.join("base").exists() && !app.join("overlays").exists(), "base/ and overlays/ wait for the values");
    let kept: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(app.join("upstream/userdata/config.yaml")).unwrap()).unwrap();
    assert_eq!(
        kept["spec"]["values"]["replicas"],
        json!({"default": "2"}),
        "the defaults are written for the customer"
    );

    // A value its item's validation refuses is named, and nothing changes.
    let bad = world.path("bad-values.yaml");
    std::fs::write(
        &bad,
        "apiVersion: kots.io/v1beta1\nkind: ConfigValues\nspec:\n  values:\n    admin_email:\n      value: nobody\n",
    )
    .unwrap();
    let before = snapshot(&app);
    let mut with_bad = rewrite.clone();
    with_bad.extend(["--config-values".to_owned(), bad.display().to_string()]);
    let (ok, _, stderr) = world.pull(&license, &rootdir, &as_strs(&with_bad));
    assert!(!ok && stderr.contains("admin_email (Admin email): an email address"), "{stderr}");
    assert_eq!(snapshot(&app), before);

    // With the values: everything renders, every image is in the customer's registry.
    let values = world.path("values.yaml");
    std::fs::write(
        &values,
        "apiVersion: kots.io/v1beta1\nkind: ConfigValues\nspec:\n  values:\n    admin_email:\n      value: ops@globex.example\n    replicas:\n      value: \"3\"\n    feature:\n      value: \"1\"\n    db_password:\n      valuePlaintext: s3cret-pw\n",
    )
    .unwrap();
    let mut with_values = rewrite.clone();
    with_values.extend(["--config-values".to_owned(), values.display().to_string()]);
    let (ok, _, stderr) = world.pull(&license, &rootdir, &as_strs(&with_values));
    assert!(ok, "{stderr}");
    let rendered = kustomize(&app.join("overlays/downstreams/this-cluster"));
    assert!(rendered.contains("replicas: 3"), "{rendered}");
    assert!(rendered.contains("admin: ops@globex.example"), "kots.io/when true keeps the document: {rendered}");
    let images = rendered_images(&rendered);
    assert_eq!(images.len(), 5, "{images:?}");
    assert_served(&world, &images, &customer, "myapp", Some(("alice", "wonderland")));
    assert_eq!(std::fs::read(app.join("upstream/charts/blob-1.0.0.tgz")).unwrap(), blob, "byte for byte");
    assert!(app.join("rendered/this-cluster/feature-configmap.yaml").is_file());
    // The password renders in clear and is kept as KOTS keeps it: encrypted with the folder's key.
    assert!(rendered.contains("password: s3cret-pw"), "{rendered}");
    let installation: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(app.join("upstream/userdata/installation.yaml")).unwrap())
            .unwrap();
    let key = installation["spec"]["encryptionKey"].as_str().expect("a key in upstream/userdata").to_owned();
    for records in ["upstream/userdata/config.yaml", "kotsKinds/userdata/config.yaml"] {
        let text = std::fs::read_to_string(app.join(records)).unwrap();
        assert!(!text.contains("s3cret-pw"), "{records} holds the password in clear:\n{text}");
        let kept: Value = serde_saphyr::from_str(&text).unwrap();
        let stored = kept["spec"]["values"]["db_password"]["value"].as_str().unwrap();
        assert_eq!(kots_template::kots::crypto::decrypt(&key, stored).unwrap(), "s3cret-pw");
    }
    assert!(!std::fs::read_to_string(app.join("kotsKinds/config.yaml")).unwrap().contains("s3cret-pw"));
    assert!(!std::fs::read_to_string(app.join("kotsKinds/userdata/installation.yaml")).unwrap().contains(&key));

    // The vendor adds an item; the customer's values stay and the new item brings its default.
    let with_region = |name: &str, content: String| match name {
        "report.yaml" => {
            content
                + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: region\ndata:\n  region: repl{{ ConfigOption \"region\" }}\n"
        }
        other => edit(other, content),
    };
    let mut files = extra();
    files[0] = ReleaseFile::text(
        "config.yaml",
        format!("{SHOP_CONFIG}        - name: region\n          type: text\n          default: eu-west\n"),
    );
    world.release_with("1.1.0", "stable", with_region, files);
    let (ok, _, stderr) = world.pull(&license, &rootdir, &as_strs(&rewrite));
    assert!(ok, "{stderr}");
    let rendered = kustomize(&app.join("overlays/downstreams/this-cluster"));
    assert!(rendered.contains("region: eu-west") && rendered.contains("replicas: 3"), "{rendered}");
    assert!(rendered.contains("admin: ops@globex.example"), "{rendered}");
    assert!(rendered.contains("password: s3cret-pw"), "the kept password opens on the next pull: {rendered}");
    let kept: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(app.join("upstream/userdata/config.yaml")).unwrap()).unwrap();
    assert_eq!(kept["spec"]["values"]["replicas"]["value"], "3");
    assert_eq!(kept["spec"]["values"]["region"], json!({"default": "eu-west"}));

    // Bad input never touches the folder: a Config whose items refer to each other in a circle.
    let before = snapshot(&app);
    let circular = world.path("circular");
    std::fs::create_dir_all(&circular).unwrap();
    std::fs::write(
        circular.join("config.yaml"),
        "apiVersion: kots.io/v1beta1\nkind: Config\nmetadata:\n  name: c\nspec:\n  groups:\n    - name: g\n      items:\n        - name: a\n          type: text\n          default: repl{{ ConfigOption \"b\" }}\n        - name: b\n          type: text\n          default: repl{{ ConfigOption \"a\" }}\n",
    )
    .unwrap();
    let local = ["myapp", "--trusted-key", keys.as_str(), "--local-path", circular.to_str().unwrap()];
    let (ok, _, stderr) = world.pull(&license, &rootdir, &local);
    assert!(!ok && stderr.contains("\"a\" depends on \"b\""), "{stderr}");
    // A template error names the file, the line and the function.
    std::fs::write(
        circular.join("config.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: '{{repl NoSuchFunction }}'\n",
    )
    .unwrap();
    let (ok, _, stderr) = world.pull(&license, &rootdir, &local);
    assert!(!ok && stderr.contains("config.yaml") && stderr.contains("NoSuchFunction"), "{stderr}");
    assert!(stderr.contains(":6:"), "the line: {stderr}");
    assert_eq!(snapshot(&app), before);
    // The vendor refuses the same at upload, naming the file and the function.
    let refused = world.admin_post_status(
        "/api/v1/apps/myapp/releases",
        &NewRelease {
            files: vec![ReleaseFile::text("cm.yaml", "a: '{{repl NoSuchFunction }}'\n")],
            ..NewRelease::default()
        },
    );
    assert!(refused.0 == 400 && refused.1.contains("cm.yaml") && refused.1.contains("NoSuchFunction"), "{refused:?}");
}

/// A chart archive as `helm package` writes one: a gzip'd tar under the chart's folder.
fn chart_archive(name: &str, version: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
    let chart_yaml = format!("apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: \"{version}\"\n");
    for (path, text) in [("Chart.yaml", chart_yaml.as_str())].into_iter().chain(files.iter().copied()) {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, format!("{name}/{path}"), text.as_bytes()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

#[test]
fn a_v1beta2_helm_chart_is_rendered_pulled_and_deployed_with_the_rest() {
    // A release as most KOTS vendors ship today: a chart archive and its kots.io/v1beta2
    // HelmChart, with a private image of the vendor's registry and a public one, one of them
    // behind optionalValues.
    let world = World::start();
    let vendor = world.vendor.clone();
    let archive = chart_archive(
        "shop",
        "1.2.0",
        &[
            ("values.yaml", "replicas: 1\napi: {repository: example.com/api, tag: latest}\ncache: {enabled: false}\n"),
            (
                "templates/_helpers.tpl",
                "{{- define \"shop.name\" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}\n",
            ),
            (
                "templates/api.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"shop.name\" . }}-api\n  annotations:\n    kube: {{ .Capabilities.KubeVersion.Version }}\nspec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n        - name: api\n          image: {{ .Values.api.repository }}:{{ .Values.api.tag }}\n",
            ),
            (
                "templates/cache.yaml",
                "{{- if .Values.cache.enabled }}\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {{ include \"shop.name\" . }}-cache\nspec:\n  serviceName: cache\n  selector:\n    matchLabels: {app: cache}\n  template:\n    metadata:\n      labels: {app: cache}\n    spec:\n      containers:\n        - name: cache\n          image: redis:7\n{{- end }}\n",
            ),
            ("templates/NOTES.txt", "Installed {{ .Release.Name }}.\n"),
            (
                "templates/tests/ping.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ include \"shop.name\" . }}-ping\n  annotations:\n    helm.sh/hook: test\nspec:\n  restartPolicy: Never\n  containers:\n    - name: ping\n      image: {{ .Values.api.repository }}:{{ .Values.api.tag }}\n",
            ),
        ],
    );
    let helm_chart = format!(
        "apiVersion: kots.io/v1beta2\nkind: HelmChart\nmetadata:\n  name: shop\nspec:\n  chart:\n    name: shop\n    chartVersion: 1.2.0\n  releaseName: storefront\n  helmUpgradeFlags: [--wait]\n  values:\n    replicas: 2\n    api:\n      repository: {vendor}/myapp/api\n      tag: \"1.0\"\n  optionalValues:\n    - when: 'repl{{{{ eq (LicenseFieldValue \"isAirgapSupported\") \"false\" }}}}'\n      recursiveMerge: true\n      values:\n        cache:\n          enabled: true\n  builder:\n    api:\n      repository: {vendor}/myapp/api\n      tag: \"1.0\"\n    cache:\n      enabled: true\n"
    );
    world.release_with(
        "1.0.0",
        "stable",
        |_, content| content,
        vec![
            ReleaseFile { path: "shop-1.2.0.tgz".into(), content: archive.clone() },
            ReleaseFile::text("shop-chart.yaml", helm_chart),
        ],
    );
    let license = world.customer("myapp", "globex", &["stable"], None);
    let keys = world.keys.display().to_string();
    let customer = world.customer.clone();
    let rootdir = world.path("globex");
    let mut args = rewrite_as_alice(&keys, format!("http://{customer}"));
    args.extend(["--kube-version".to_owned(), "1.31".to_owned()]);
    let (ok, _, stderr) = world.pull(&license, &rootdir, &as_strs(&args));
    assert!(ok, "{stderr}");
    let app = rootdir.join("myapp");

    // KOTS's folder for it: the archive and the values in helm/RELEASE/, what helm template
    // makes of them in rendered/, the HelmChart rendered in kotsKinds/.
    assert_eq!(std::fs::read(app.join("helm/storefront/shop-1.2.0.tgz")).unwrap(), archive);
    let values: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(app.join("helm/storefront/values.yaml")).unwrap()).unwrap();
    assert_eq!(values["replicas"], 2);
    assert_eq!(values["cache"]["enabled"], true, "the optional values whose when is true");
    let all = std::fs::read_to_string(app.join("rendered/this-cluster/helm/storefront/all.yaml")).unwrap();
    assert!(all.starts_with("---\n# Source: shop/templates/api.yaml\n"), "{all}");
    assert!(all.contains("name: storefront-shop-api") && all.contains("replicas: 2"), "{all}");
    assert!(all.contains("kube: v1.31.0"), "--kube-version is .Capabilities.KubeVersion: {all}");
    assert!(stderr.contains("helm upgrade --install storefront ") && stderr.contains("values.yaml --wait"), "{stderr}");
    assert!(!all.contains("Installed"), "NOTES.txt is not a manifest");
    assert!(all.contains("name: storefront-shop-ping"), "helm template prints the tests");
    assert!(app.join("kotsKinds/shop-chart.yaml").is_file());

    // Deployed with the rest by kubectl apply -k: every image from the customer's registry, with
    // the pull secret.
    let rendered = kustomize(&app.join("overlays/downstreams/this-cluster"));
    assert!(
        rendered.contains("name: storefront-shop-api") && rendered.contains("name: storefront-shop-cache"),
        "{rendered}"
    );
    assert!(rendered.contains(&format!("image: {customer}/myapp/api:1.0")), "{rendered}");
    assert!(rendered.contains(&format!("image: {customer}/myapp/redis:7")), "{rendered}");
    assert!(!rendered.contains("storefront-shop-ping"), "a Helm test is not deployed: {rendered}");
    let images = rendered_images(&rendered);
    assert_served(&world, &images, &customer, "myapp", Some(("alice", "wonderland")));
    assert_eq!(
        rendered.matches("- name: myapp-registry").count(),
        7,
        "5 workloads of the app, 2 of the chart:\n{rendered}"
    );

    // An airgap bundle carries the chart's images, those only its builder values turn on too
    // (this license supports airgap, so the cache is off in its render).
    let airgapped = world.customer_with("myapp", "initech", &["stable"], None, true);
    let bundle = world.path("shop.airgap.tar.zst");
    world.airgap_bundle(&airgapped, "stable", &bundle).unwrap();
    let site = world.path("site");
    let args = bundle_pull_args_into(&bundle, &keys, &format!("http://{customer}"), "site", true);
    let (ok, _, stderr) = world.pull(&airgapped, &site, &as_strs(&args));
    assert!(ok, "{stderr}");
    for (repository, tag) in [("site/redis", "7"), ("site/api", "1.0")] {
        assert!(
            served_digest(&customer, repository, tag, Some(("alice", "wonderland"))).is_some(),
            "{repository}:{tag}"
        );
    }
    let rendered = kustomize(&site.join("myapp/overlays/downstreams/this-cluster"));
    assert!(
        rendered.contains("name: storefront-shop-api") && !rendered.contains("storefront-shop-cache"),
        "{rendered}"
    );

    // Bad charts are refused with the HelmChart, the chart, the file and the line named, and
    // the folder stays as it was.
    let before = snapshot(&app);
    let refused = |case: &str, files: Vec<(&str, Vec<u8>)>| -> String {
        let folder = world.path(case);
        std::fs::create_dir_all(&folder).unwrap();
        for (path, bytes) in files {
            std::fs::write(folder.join(path), bytes).unwrap();
        }
        let local = ["myapp", "--trusted-key", keys.as_str(), "--local-path", folder.to_str().unwrap()];
        let (ok, _, stderr) = world.pull(&license, &rootdir, &local);
        assert!(!ok, "{case} is refused");
        assert_eq!(snapshot(&app), before, "{case} leaves the folder as it was");
        stderr
    };
    let shop_chart = |values: &str| {
        format!("apiVersion: kots.io/v1beta2\nkind: HelmChart\nmetadata:\n  name: shop\nspec:\n  chart:\n    name: shop\n    chartVersion: 1.2.0\n  values: {values}\n").into_bytes()
    };
    let gone = "apiVersion: kots.io/v1beta2\nkind: HelmChart\nmetadata:\n  name: gone\nspec:\n  chart:\n    name: gone\n    chartVersion: 9.9.9\n";
    let stderr = refused("gone", vec![("chart.yaml", gone.as_bytes().to_vec())]);
    assert!(
        stderr.contains("chart.yaml: HelmChart \"gone\" names chart gone 9.9.9, which no .tgz of the release holds"),
        "{stderr}"
    );
    let stderr = refused(
        "truncated",
        vec![("shop-chart.yaml", shop_chart("{}")), ("shop-1.2.0.tgz", archive[..archive.len() / 2].to_vec())],
    );
    assert!(stderr.contains("which no .tgz of the release holds (shop-1.2.0.tgz is not a chart: "), "{stderr}");
    let strict = chart_archive(
        "shop",
        "1.2.0",
        &[
            ("values.yaml", "replicas: 1\n"),
            ("values.schema.json", r#"{"type": "object", "properties": {"replicas": {"type": "integer"}}}"#),
            (
                "templates/api.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\ndata:\n  tag: {{ required \"api.tag is needed\" .Values.tag }}\n",
            ),
        ],
    );
    let stderr = refused("required", vec![("shop-chart.yaml", shop_chart("{}")), ("shop-1.2.0.tgz", strict.clone())]);
    assert!(
        stderr.contains("shop-chart.yaml: chart shop 1.2.0 (shop-1.2.0.tgz): execution error at (shop/templates/api.yaml:6:10): api.tag is needed"),
        "{stderr}"
    );
    let stderr =
        refused("schema", vec![("shop-chart.yaml", shop_chart("{replicas: two, tag: x}")), ("shop-1.2.0.tgz", strict)]);
    assert!(
        stderr.contains(
            "shop-chart.yaml: chart shop 1.2.0 (shop-1.2.0.tgz): values don't meet the specifications of the schema(s)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("replicas") && stderr.contains("integer"), "{stderr}");

    // `--kube-version` is the charts' .Capabilities.KubeVersion.
    let (ok, _, stderr) =
        world.pull(&license, &rootdir, &["myapp", "--trusted-key", keys.as_str(), "--kube-version", "nope"]);
    assert!(!ok && stderr.contains("--kube-version: kube version `nope` is not a Kubernetes version"), "{stderr}");
    assert_eq!(snapshot(&app), before);
}

//! `kubectl kots download`: the folder travels with the app as ConfigMaps and comes back.
//! No Kubernetes API server runs here, so a small one inside the test serves, in one namespace,
//! exactly the ConfigMaps `kubectl kustomize` renders from the pulled folder (so the format is
//! kubectl's own), with the discovery documents kubectl itself needs: the real `kubectl get`
//! then renders them as a `List` for the offline path.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, Query, State};
use axum::routing::get;
use serde_json::{Value, json};

use crate::BINARY;
use crate::pull::{World, as_strs, kustomize, snapshot};

type Objects = Arc<Mutex<Vec<Value>>>;

/// A Kubernetes API server that knows ConfigMaps of one namespace and nothing else.
struct FakeApiServer {
    address: String,
    objects: Objects,
    runtime: Option<tokio::runtime::Runtime>,
}

fn matches(labels: &Value, selector: &str) -> bool {
    selector.split(',').filter(|term| !term.is_empty()).all(|term| {
        if let Some((key, value)) = term.split_once("!=") {
            labels[key.trim()].as_str() != Some(value.trim())
        } else if let Some((key, value)) = term.split_once('=') {
            labels[key.trim()].as_str() == Some(value.trim_start_matches('=').trim())
        } else {
            labels.get(term.trim()).is_some()
        }
    })
}

async fn list_configmaps(
    State(objects): State<Objects>,
    UrlPath(namespace): UrlPath<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> axum::Json<Value> {
    let selector = query.get("labelSelector").cloned().unwrap_or_default();
    let items: Vec<Value> = objects
        .lock()
        .unwrap()
        .iter()
        .filter(|object| object["metadata"]["namespace"] == namespace.as_str())
        .filter(|object| matches(&object["metadata"]["labels"], &selector))
        .cloned()
        .collect();
    axum::Json(
        json!({"kind": "ConfigMapList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items}),
    )
}

impl FakeApiServer {
    fn start() -> FakeApiServer {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let objects: Objects = Arc::default();
        let router = axum::Router::new()
            .route(
                "/api",
                get(|| async {
                    axum::Json(json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}))
                }),
            )
            .route(
                "/apis",
                get(|| async { axum::Json(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": []})) }),
            )
            .route(
                "/api/v1",
                get(|| async {
                    axum::Json(
                        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1", "resources": [
                            {"name": "configmaps", "singularName": "configmap", "namespaced": true, "kind": "ConfigMap",
                             "verbs": ["get", "list"], "shortNames": ["cm"]}
                        ]}),
                    )
                }),
            )
            .route("/api/v1/namespaces/{namespace}/configmaps", get(list_configmaps))
            .with_state(objects.clone());
        let address = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap().to_string();
            tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
            address
        });
        FakeApiServer { address, objects, runtime: Some(runtime) }
    }

    /// What `kubectl apply -k DIR -n NAMESPACE` would store: the rendered ConfigMaps.
    fn apply(&self, overlay: &Path, namespace: &str) {
        let rendered = kustomize(overlay);
        let mut objects = self.objects.lock().unwrap();
        for document in kots_release::documents::split_documents(&rendered) {
            let mut object: Value = serde_saphyr::from_str(&document).unwrap();
            if object["kind"] != "ConfigMap" {
                continue;
            }
            object["metadata"]["namespace"] = json!(namespace);
            let name = object["metadata"]["name"].clone();
            objects.retain(|existing| {
                existing["metadata"]["name"] != name || existing["metadata"]["namespace"] != namespace
            });
            objects.push(object);
        }
    }

    fn kubeconfig(&self, path: &Path) {
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{}\nusers:\n- name: me\n  user: {{}}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: me\ncurrent-context: fake\n",
            self.address
        );
        std::fs::write(path, text).unwrap();
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn kots(args: &[&str]) -> (bool, String) {
    let output = Command::new(BINARY).args(args).env_remove("KUBECONFIG").output().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// A folder's files but `images/`.
fn without_images(root: &Path) -> BTreeMap<String, Vec<u8>> {
    // rendered/ does not travel either: the next pull makes it again.
    snapshot(root)
        .into_iter()
        .filter(|(path, _)| !path.starts_with("images/") && !path.starts_with("rendered/"))
        .collect()
}

#[test]
fn the_folder_comes_back_from_the_cluster_and_updates_from_there() {
    let mut world = World::start();
    // A large file makes an archive of several parts.
    let noise: String = (0..40_000)
        .map(|i| format!("{:032x}\n", (i as u128).wrapping_mul(0x9e3779b97f4a7c15f39cc0605cedc835)))
        .collect();
    world.release("1.0.0", "stable", |name, content| match name {
        "kots-app.yaml" => format!(
            "{content}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: noise\ndata:\n  noise: |\n{}",
            noise.lines().map(|l| format!("    {l}\n")).collect::<String>()
        ),
        _ => content,
    });
    let license = world.customer("myapp", "hooli", &["stable"], None);
    let keys = world.keys.display().to_string();
    let endpoint = format!("http://{}", world.customer);
    let pull_args = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> =
            ["replicated://myapp", "--trusted-key", &keys, "--rewrite-images", "--registry-endpoint", &endpoint]
                .iter()
                .map(|s| s.to_string())
                .collect();
        args.extend(
            ["--image-namespace", "myapp", "--registry-username", "alice", "--registry-password", "wonderland"]
                .map(str::to_owned),
        );
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let original_root = world.path("laptop");
    let (ok, _, stderr) = world.pull(&license, &original_root, &as_strs(&pull_args(&[])));
    assert!(ok, "{stderr}");
    assert!(stderr.contains("kubectl kots archive refresh"), "pull says how to refresh: {stderr}");
    let original = original_root.join("myapp");
    let archive_file = std::fs::read_to_string(original.join("overlays/midstream/kots/archive.yaml")).unwrap();
    assert!(archive_file.matches("kind: ConfigMap").count() >= 2, "several parts");

    // A downstream edit, the archive refreshed, applied.
    let downstream = original.join("overlays/downstreams/this-cluster/kustomization.yaml");
    let mut text = std::fs::read_to_string(&downstream).unwrap();
    text.push_str("commonLabels:\n  owner: hooli-ops\n");
    std::fs::write(&downstream, &text).unwrap();
    let (ok, stderr) = kots(&["archive", "refresh", original.to_str().unwrap()]);
    assert!(ok && stderr.contains("archive refreshed"), "{stderr}");
    let api = FakeApiServer::start();
    api.apply(&original.join("overlays/downstreams/this-cluster"), "shop");
    let kubeconfig = world.path("kubeconfig");
    api.kubeconfig(&kubeconfig);

    // Through the API, into a new folder: identical but images/.
    let new_root = world.path("new-laptop");
    let (ok, stderr) =
        kots(&["download", "shop", "--dest", new_root.to_str().unwrap(), "--kubeconfig", kubeconfig.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let downloaded = new_root.join("myapp");
    assert_eq!(without_images(&downloaded), without_images(&original));
    assert!(!downloaded.join("images").exists());

    // Offline, from what `kubectl get` prints (a List).
    let output = Command::new("kubectl")
        .args(["get", "configmap", "-n", "shop", "-l", "kots.io/archive-parts", "-o", "yaml", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let listed = world.path("configmaps.yaml");
    std::fs::write(&listed, &output.stdout).unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("kind: List"));
    let offline_root = world.path("offline");
    let (ok, stderr) =
        kots(&["download", "shop", "--dest", offline_root.to_str().unwrap(), "--from-file", listed.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert_eq!(without_images(&offline_root.join("myapp")), without_images(&original));

    // Refusals, nothing written.
    let (ok, stderr) =
        kots(&["download", "shop", "--dest", new_root.to_str().unwrap(), "--kubeconfig", kubeconfig.to_str().unwrap()]);
    assert!(!ok && stderr.contains("exists; pass --overwrite"), "{stderr}");
    let before = api.objects.lock().unwrap().clone();
    {
        let mut objects = api.objects.lock().unwrap();
        let mut other: Vec<Value> = objects.clone();
        for object in &mut other {
            object["metadata"]["name"] = json!(format!("{}-other", object["metadata"]["name"].as_str().unwrap()));
            object["metadata"]["labels"]["kots.io/app-slug"] = json!("otherapp");
        }
        objects.extend(other);
    }
    let empty = world.path("empty");
    let download_to_empty = |extra: &[&str]| {
        let mut args =
            vec!["download", "shop", "--dest", empty.to_str().unwrap(), "--kubeconfig", kubeconfig.to_str().unwrap()];
        args.extend_from_slice(extra);
        kots(&args)
    };
    let (ok, stderr) = download_to_empty(&[]);
    assert!(!ok && stderr.contains("several apps: myapp, otherapp") && stderr.contains("--slug"), "{stderr}");
    let (ok, stderr) = download_to_empty(&["--slug", "otherapp"]);
    assert!(ok, "{stderr}");
    std::fs::remove_dir_all(&empty).unwrap();
    *api.objects.lock().unwrap() = before.clone();
    api.objects.lock().unwrap().retain(|object| object["metadata"]["labels"]["kots.io/archive-part"] != "2");
    let (ok, stderr) = download_to_empty(&[]);
    assert!(!ok && stderr.contains("part 2 of") && stderr.contains("missing"), "{stderr}");
    *api.objects.lock().unwrap() = before.clone();
    api.objects.lock().unwrap()[0]["binaryData"]["archive.tgz.part"] = json!("dGFtcGVyZWQ=");
    let (ok, stderr) = download_to_empty(&[]);
    assert!(!ok && stderr.contains("hash to"), "{stderr}");
    assert!(!empty.exists(), "nothing written");

    // The folder's name comes from a label of a file anyone can edit: `../../x` wrote outside
    // --dest, an absolute slug wrote there. Refused, nothing written anywhere.
    let listed_text = std::fs::read_to_string(&listed).unwrap();
    assert!(listed_text.contains("kots.io/app-slug: myapp"), "{listed_text}");
    let jail = world.path("jail/dest");
    std::fs::create_dir_all(&jail).unwrap();
    let outside = world.path("escaped");
    for slug in ["../../escaped".to_owned(), outside.display().to_string(), "..".to_owned()] {
        let hostile = world.path("hostile.yaml");
        std::fs::write(&hostile, listed_text.replace("kots.io/app-slug: myapp", &format!("kots.io/app-slug: {slug}")))
            .unwrap();
        let (ok, stderr) = kots(&[
            "download",
            "shop",
            "--dest",
            jail.to_str().unwrap(),
            "--overwrite",
            "--from-file",
            hostile.to_str().unwrap(),
        ]);
        assert!(!ok && stderr.contains("is not an app slug"), "{slug}: {stderr}");
        assert!(!outside.exists(), "{slug}: wrote outside --dest");
        assert_eq!(std::fs::read_dir(&jail).unwrap().count(), 0, "{slug}: wrote into --dest");
        assert_eq!(std::fs::read_dir(jail.parent().unwrap()).unwrap().count(), 1, "{slug}: wrote beside --dest");
    }

    // An update pulled in the downloaded folder keeps the downstream edit.
    world.release_update();
    let (ok, _, stderr) = world.pull(&license, &new_root, &as_strs(&pull_args(&[])));
    assert!(ok, "{stderr}");
    assert!(stderr.contains("updated: version 1.0.0 → 1.1.0"), "{stderr}");
    let rendered = kustomize(&downloaded.join("overlays/downstreams/this-cluster"));
    assert!(rendered.contains("owner: hooli-ops"), "the downstream edit is kept");
    assert!(rendered.contains("/myapp/api:1.1"));
}

/// A gzip'd tar of one file whose header claims `size` bytes (and holds 512).
pub(crate) fn lying_archive(path: &str, size: u64) -> Vec<u8> {
    use std::io::Write;
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_path(path).unwrap();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_cksum();
    let mut tar = header.as_bytes().to_vec();
    tar.extend_from_slice(&[b'x'; 512]);
    tar.extend_from_slice(&[0; 1024]);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&tar).unwrap();
    encoder.finish().unwrap()
}

/// A header claiming 2^40 bytes aborted `download` (SIGABRT), and a part count of 10^9 took
/// 7.5 GB: both are refused by name, and nothing is written.
#[test]
fn hostile_archives_are_refused_and_nothing_is_written() {
    use base64::Engine;
    let temp = tempfile::tempdir().unwrap();
    let download = |name: &str, configmaps: Vec<Value>| {
        let file = temp.path().join(format!("{name}.json"));
        std::fs::write(&file, serde_json::to_vec(&json!({"kind": "List", "items": configmaps})).unwrap()).unwrap();
        let dest = temp.path().join(name);
        let (ok, stderr) =
            kots(&["download", "shop", "--dest", dest.to_str().unwrap(), "--from-file", file.to_str().unwrap()]);
        assert!(!ok, "{name}: {stderr}");
        assert!(!dest.exists(), "{name}: nothing written");
        stderr
    };
    let configmap = |archive: &[u8], parts: &str| {
        let digest = kots_oci::Digest::sha256_of(archive);
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "kots-myapp-archive-1",
                "labels": {
                    "kots.io/app-slug": "myapp",
                    "kots.io/archive-part": "1",
                    "kots.io/archive-parts": parts,
                    "kots.io/archive-digest": &digest.hex()[..60],
                },
                "annotations": {"kots.io/archive-digest": digest.to_string()},
            },
            "binaryData": {"archive.tgz.part": base64::engine::general_purpose::STANDARD.encode(archive)},
        })
    };

    let lying = lying_archive("upstream/huge.yaml", 1 << 40);
    let stderr = download("huge", vec![configmap(&lying, "1")]);
    assert!(
        stderr.contains("the archive of `myapp`: entry `upstream/huge.yaml` declares 1099511627776 bytes; files of a release or app archive are limited to 64 MiB"),
        "{stderr}"
    );
    let stderr = download("parts", vec![configmap(b"small", "1000000000")]);
    assert!(
        stderr.contains("ConfigMap `kots-myapp-archive-1` has a part count of 1000000000 in `kots.io/archive-parts`; an app archive has 1 to 342 parts"),
        "{stderr}"
    );
}

//! Two `kots-vendor` replicas over one PostgreSQL (records and registry metadata) and one S3
//! bucket (registry blobs): what one replica publishes, the other serves; an image pushed
//! through one pulls through the other with a license; one global key, one token key.

use std::path::Path;
use std::process::Command;

use kots_testkit::{KillOnDrop, LocalPostgres, LocalS3, free_port, spawn_server, try_skopeo};

use crate::{BINARY, EMAIL, PASSWORD, get, license_id, write_release};

struct Replica {
    _child: KillOnDrop,
    url: String,
}

fn serve(
    data_dir: &Path,
    listen: &str,
    public_url: Option<&str>,
    shared: &[String],
    env: &[(String, String)],
) -> Replica {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(data_dir.with_extension("log")).unwrap();
    let mut command = Command::new(BINARY);
    command.args(["serve", "--listen", listen, "--data-dir"]).arg(data_dir).args(shared);
    if let Some(public_url) = public_url {
        command.args(["--public-url", public_url]);
    }
    command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str()))).stderr(log);
    let (child, url) = spawn_server(&mut command, "kots-vendor listening on ");
    Replica { _child: child, url }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_on_postgres_and_s3_serve_one_platform() {
    let temp = tempfile::tempdir().unwrap();
    let postgres = tokio::task::spawn_blocking(LocalPostgres::start).await.unwrap().expect("PostgreSQL starts");
    let s3 = tokio::task::spawn_blocking(LocalS3::start).await.unwrap();
    let shared: Vec<String> = [
        "--database",
        &postgres.url,
        "--storage",
        &format!("s3://{}/vendor", s3.bucket),
        "--s3-endpoint",
        &s3.endpoint,
        "--s3-region",
        "us-east-1",
        "--s3-path-style",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let env = vec![
        ("AWS_ACCESS_KEY_ID".to_owned(), s3.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY".to_owned(), s3.secret_key.clone()),
    ];
    let output = Command::new(BINARY)
        .args(["bootstrap", "--email", EMAIL, "--password", PASSWORD, "--database", &postgres.url, "--data-dir"])
        .arg(temp.path().join("a"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();

    // One public URL for both (a load balancer's, here A's own address).
    let port = free_port().unwrap();
    let public = format!("http://127.0.0.1:{port}");
    let a = serve(&temp.path().join("a"), &format!("127.0.0.1:{port}"), None, &shared, &env);
    let b = serve(&temp.path().join("b"), "127.0.0.1:0", Some(&public), &shared, &env);
    assert_eq!(a.url, public);

    let cli = |replica: &Replica, args: &[&str]| {
        let output = Command::new(BINARY)
            .args(args)
            .env("KOTS_VENDOR_URL", &replica.url)
            .env("KOTS_VENDOR_TOKEN", &token)
            .current_dir(temp.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    // Published through A…
    cli(&a, &["app", "create", "myapp"]);
    write_release(&temp.path().join("release"), "one");
    cli(
        &a,
        &[
            "release",
            "create",
            "--app",
            "myapp",
            "--yaml-dir",
            temp.path().join("release").to_str().unwrap(),
            "--promote",
            "stable",
        ],
    );
    let license = temp.path().join("license.yaml");
    cli(
        &a,
        &[
            "customer",
            "create",
            "--app",
            "myapp",
            "--name",
            "Acme",
            "--channel",
            "stable",
            "--output",
            license.to_str().unwrap(),
        ],
    );
    let id = license_id(&license);
    // …served by B: the same license, the release, the same global key.
    let fresh = get(&format!("{}/license/myapp", b.url), &id).await;
    assert_eq!(fresh.status(), 200);
    assert!(fresh.text().await.unwrap().contains(&id));
    let release = get(&format!("{}/release/myapp", b.url), &id).await;
    assert_eq!(release.status(), 200);
    assert_eq!(release.headers()["x-replicated-channelsequence"], "1");
    let key = |url: String| async move { reqwest::get(url).await.unwrap().json::<serde_json::Value>().await.unwrap() };
    assert_eq!(key(format!("{}/api/v1/keys/global", a.url)).await, key(format!("{}/api/v1/keys/global", b.url)).await);

    // A registry linked through A is linked on B: one table, one credentials key, kept in the
    // database (no key file beside either replica).
    cli(
        &a,
        &[
            "registry",
            "add",
            "--app",
            "myapp",
            "--endpoint",
            "quay.io",
            "--username",
            "robot",
            "--password",
            "linked-s3cret",
            "--no-check",
        ],
    );
    assert!(cli(&b, &["registry", "list", "--app", "myapp"]).starts_with("quay.io\trobot\t"));
    let release = get(&format!("{}/release/myapp", b.url), &id).await;
    assert_eq!(release.headers()["x-kots-linked-registries"], "quay.io");
    for replica in ["a", "b"] {
        assert!(!temp.path().join(replica).join("registry-credentials.key").exists());
    }
    let third = kots_vendor::Vendor::open(
        &temp.path().join("c"),
        &public,
        kots_vendor::VendorOptions { database: Some(postgres.url.clone()), ..Default::default() },
    )
    .await
    .unwrap();
    let linked = third.linked_registry("myapp", "quay.io").await.unwrap().unwrap();
    assert_eq!(linked.credentials.unwrap().password(), "linked-s3cret");
    drop(third);

    // An image pushed through A's registry (vendor login) pulls through B (license login).
    let layout = temp.path().join("layout");
    let layout_handle = kots_oci::OciLayout::create(&layout).unwrap();
    let layer =
        layout_handle.write_blob_bytes(kots_oci::media_type::OCI_LAYER_GZIP, &vec![7u8; 6 * 1024 * 1024]).unwrap();
    let config = layout_handle
        .write_blob_bytes(kots_oci::media_type::OCI_CONFIG, br#"{"architecture":"amd64","os":"linux"}"#)
        .unwrap();
    let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": kots_oci::media_type::OCI_MANIFEST, "config": config, "layers": [layer]});
    let manifest =
        layout_handle.write_blob_bytes(kots_oci::media_type::OCI_MANIFEST, manifest.to_string().as_bytes()).unwrap();
    layout_handle.add_manifest(manifest.clone(), Some("v1")).unwrap();
    let host = |replica: &Replica| replica.url.trim_start_matches("http://").to_owned();
    let (ok, log) = try_skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &format!("{EMAIL}:{token}"),
        &format!("oci:{}:v1", layout.display()),
        &format!("docker://{}/myapp/api:1.0", host(&a)),
    ]);
    assert!(ok, "{log}");
    let inspect = |replica: &Replica, creds: &str| {
        let (ok, raw) = try_skopeo(&[
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            creds,
            &format!("docker://{}/myapp/api:1.0", host(replica)),
        ]);
        assert!(ok, "{raw}");
        raw
    };
    let through_a = inspect(&a, &format!("{EMAIL}:{token}"));
    assert_eq!(inspect(&b, &format!("{id}:{id}")), through_a, "byte for byte through B");
    let served = kots_oci::Manifest::parse(through_a.as_bytes(), None).unwrap();
    let pulled = temp.path().join("pulled");
    let (ok, log) = try_skopeo(&[
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        &format!("{id}:{id}"),
        &format!("docker://{}/myapp/api:1.0", host(&b)),
        &format!("oci:{}:v1", pulled.display()),
    ]);
    assert!(ok, "{log}");
    let pulled = kots_oci::OciLayout::open(&pulled).unwrap();
    for blob in served.referenced_blobs() {
        assert!(pulled.has_blob(&blob.digest), "{} came back whole", blob.digest);
    }
    drop((a, b));
    tokio::task::spawn_blocking(move || drop(s3)).await.unwrap();
}

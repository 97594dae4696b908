//! The standalone registry with users from htpasswd files, through the Docker token flow, with
//! skopeo as the client.

use std::process::Command;

use argon2::PasswordHasher;
use kots_oci::OciLayout;
use kots_testkit::{skopeo, skopeo_with_log};
use reqwest::StatusCode;

use crate::images::{self, Format};
use crate::util::{Registry, client};

#[tokio::test]
async fn htpasswd_users_through_the_token_flow() {
    let temp = tempfile::tempdir().unwrap();
    let read_write = temp.path().join("htpasswd");
    let read_only = temp.path().join("htpasswd-read-only");
    std::fs::write(&read_write, format!("# pushers\nalice:{}\n", bcrypt::hash("alice secret", 4).unwrap())).unwrap();
    let bob = argon2::Argon2::default().hash_password(b"bob secret").unwrap().to_string();
    std::fs::write(&read_only, format!("bob:{bob}\n")).unwrap();
    let registry = Registry::start_in(
        &temp.path().join("data"),
        &[
            "--auth",
            "htpasswd",
            "--htpasswd",
            read_write.to_str().unwrap(),
            "--htpasswd-read-only",
            read_only.to_str().unwrap(),
        ],
    );

    let anonymous = client().get(registry.url("/v2/")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let challenge = anonymous.headers()["www-authenticate"].to_str().unwrap();
    assert_eq!(challenge, format!("Bearer realm=\"http://{0}/token\",service=\"{0}\"", registry.address));

    let layout = OciLayout::create(temp.path().join("layout")).unwrap();
    let root = images::image(&layout, Format::Oci, 5, 2, "amd64");
    layout.add_manifest(root.clone(), Some("v1")).unwrap();
    let source = format!("oci:{}:v1", layout.root().display());
    let target = format!("docker://{}/lab/app:v1", registry.address);

    skopeo(&["copy", "--dest-tls-verify=false", "--dest-creds", "alice:alice secret", &source, &target]);
    let (raw, log) =
        skopeo_with_log(&["--debug", "inspect", "--raw", "--tls-verify=false", "--creds", "bob:bob secret", &target]);
    assert_eq!(raw.as_bytes(), layout.read_blob(&root.digest).unwrap());
    assert!(log.contains("/token"), "skopeo should have used the token flow:\n{log}");
    assert!(
        !kots_testkit::try_skopeo(&[
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            "bob:bob secret",
            &source,
            &format!("docker://{}/lab/app:bob", registry.address)
        ])
        .0,
        "a read-only user must not push"
    );
    assert!(
        !kots_testkit::try_skopeo(&["inspect", "--raw", "--tls-verify=false", "--creds", "alice:wrong", &target]).0
    );
    assert!(!kots_testkit::try_skopeo(&["inspect", "--raw", "--tls-verify=false", "--no-creds", &target]).0);

    // Tokens from the realm, and HTTP Basic straight on /v2/.
    let token: serde_json::Value = client()
        .get(registry.url("/token?service=x&scope=repository:lab/app:pull,push"))
        .basic_auth("bob", Some("bob secret"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let manifest = client()
        .get(registry.url("/v2/lab/app/manifests/v1"))
        .bearer_auth(token["token"].as_str().unwrap())
        .header("accept", kots_oci::media_type::OCI_MANIFEST)
        .send()
        .await
        .unwrap();
    assert_eq!(manifest.status(), StatusCode::OK);
    let push = client()
        .post(registry.url("/v2/lab/app/blobs/uploads/"))
        .bearer_auth(token["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(push.status(), StatusCode::FORBIDDEN, "bob's token was granted pull only");
    let basic = client()
        .get(registry.url("/v2/lab/app/tags/list"))
        .basic_auth("alice", Some("alice secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);
}

#[test]
fn bad_auth_configuration_is_refused_at_start() {
    let temp = tempfile::tempdir().unwrap();
    let htpasswd = temp.path().join("htpasswd");
    std::fs::write(&htpasswd, "carol:$apr1$abcdefgh$0123456789abcdefghijkl\n").unwrap();
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_kots-registry"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(temp.path().join("data"))
            .args(args)
            .output()
            .unwrap();
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let message = run(&["--auth", "htpasswd", "--htpasswd", htpasswd.to_str().unwrap()]);
    assert!(message.contains("line 1") && message.contains("bcrypt"), "{message}");
    let message = run(&["--htpasswd", htpasswd.to_str().unwrap()]);
    assert!(message.contains("--auth htpasswd"), "{message}");
}

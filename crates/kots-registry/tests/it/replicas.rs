//! Two `kots-registry` replicas over one PostgreSQL and one shared blob folder: any replica
//! takes any request of an upload, an image pushed through one pulls through the other, tokens
//! work on both, and a replica killed mid-push leaves nothing half-visible.

use kots_oci::{Digest, OciLayout};
use kots_testkit::{LocalPostgres, LocalS3, MotoS3, skopeo};
use reqwest::StatusCode;

use crate::images::{self, Format};
use crate::util::{Registry, client};

const ALICE: (&str, &str) = ("alice", "alice secret");

struct Replicas {
    _postgres: LocalPostgres,
    a: Registry,
    b: Registry,
    temp: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Replicas {
    /// Two replicas over one PostgreSQL, their blobs in `s3` or else in one shared folder.
    fn start(s3: Option<&LocalS3>) -> Replicas {
        let temp = tempfile::tempdir().unwrap();
        let postgres = LocalPostgres::start().expect("PostgreSQL starts (apt-get install postgresql)");
        let htpasswd = temp.path().join("htpasswd");
        std::fs::write(&htpasswd, format!("alice:{}\n", bcrypt::hash(ALICE.1, 4).unwrap())).unwrap();
        let mut args: Vec<String> =
            ["--auth", "htpasswd", "--htpasswd", htpasswd.to_str().unwrap(), "--database", &postgres.url]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let mut env = Vec::new();
        if let Some(s3) = s3 {
            args.extend(["--storage".to_owned(), format!("s3://{}/registry", s3.bucket)]);
            args.extend(["--s3-endpoint".to_owned(), s3.endpoint.clone(), "--s3-path-style".to_owned()]);
            args.extend(["--s3-region".to_owned(), "us-east-1".to_owned()]);
            // Blob downloads as redirects to the bucket: skopeo and reqwest follow them below.
            args.extend(["--s3-redirect-downloads".to_owned(), "5m".to_owned()]);
            env.push(("AWS_ACCESS_KEY_ID".to_owned(), s3.access_key.clone()));
            env.push(("AWS_SECRET_ACCESS_KEY".to_owned(), s3.secret_key.clone()));
        }
        let shared = temp.path().join("shared");
        let a = replica(&shared, &args, &env);
        // Behind a load balancer every replica has the same public URL (the token service is
        // its host): here, A's address.
        args.extend(["--public-url".to_owned(), format!("http://{}", a.address)]);
        let b = replica(&shared, &args, &env);
        Replicas { _postgres: postgres, a, b, temp, args, env }
    }

    fn replica(&self) -> Registry {
        replica(&self.temp.path().join("shared"), &self.args, &self.env)
    }

    async fn token(registry: &Registry, scope: &str) -> String {
        let response = client()
            .get(registry.url(&format!("/token?scope={scope}")))
            .basic_auth(ALICE.0, Some(ALICE.1))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    }
}

fn replica(shared: &std::path::Path, args: &[String], env: &[(String, String)]) -> Registry {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Registry::start_with_env(shared, &args, &env)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_on_a_shared_folder() {
    exercise(Replicas::start(None)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_on_object_storage() {
    let s3 = tokio::task::spawn_blocking(LocalS3::start).await.unwrap();
    exercise(Replicas::start(Some(&s3))).await;
    tokio::task::spawn_blocking(move || drop(s3)).await.unwrap();
}

/// `--s3-endpoint http://127.0.0.1:PORT` without `--s3-path-style` started, said ready, and
/// failed every upload with 500 (NoSuchBucket): IP endpoints go path-style by themselves, and a
/// bucket that cannot take a write stops the start with a message that names it.
#[tokio::test(flavor = "multi_thread")]
async fn object_storage_is_probed_at_start_and_ip_endpoints_go_path_style() {
    // moto, which answers as AWS does (s3s-fs makes a bucket for any write).
    let s3 = tokio::task::spawn_blocking(MotoS3::start).await.unwrap().unwrap();
    let postgres = tokio::task::spawn_blocking(LocalPostgres::start).await.unwrap().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let env = [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")];
    let args_for = |bucket: &str| {
        let storage = format!("s3://{bucket}/registry");
        ["--database", &postgres.url, "--storage", &storage, "--s3-endpoint", &s3.endpoint, "--s3-region", "us-east-1"]
            .map(str::to_owned)
    };

    // A bucket that is not there: the registry does not start, and says why.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kots-registry"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(temp.path().join("wrong"))
        .args(args_for("no-such-bucket"))
        .envs(env)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!("the registry started on a bucket that does not exist: {}", String::from_utf8_lossy(&output.stderr));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("cannot open the registry's blobs at s3://no-such-bucket/registry")
            && stderr.contains("bucket `no-such-bucket`")
            && stderr.contains(&s3.endpoint)
            && stderr.contains("registry/.kots-probe-")
            && stderr.contains("check the bucket name, the credentials"),
        "{stderr}"
    );

    // The right bucket at an IP endpoint, without --s3-path-style: ready, and uploads work.
    let args: Vec<String> = args_for(&s3.bucket).to_vec();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let registry = Registry::start_with_env(&temp.path().join("right"), &args, &env);
    let ready = client().get(registry.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    crate::util::push_blob(&registry, "ip/endpoint", b"stored by path").await;
    let fetched = client()
        .get(registry.url(&format!("/v2/ip/endpoint/blobs/{}", Digest::sha256_of(b"stored by path"))))
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"stored by path");
    drop(registry);

    // A bucket that goes away after the start: /readyz says so (its probe stands for 5 s).
    let doomed = format!("{}/doomed", s3.endpoint);
    assert!(reqwest::Client::new().put(&doomed).send().await.unwrap().status().is_success());
    let args: Vec<String> = args_for("doomed").to_vec();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let registry = Registry::start_with_env(&temp.path().join("doomed"), &args, &env);
    assert_eq!(client().get(registry.url("/readyz")).send().await.unwrap().status(), StatusCode::OK);
    assert!(reqwest::Client::new().delete(&doomed).send().await.unwrap().status().is_success());
    tokio::time::sleep(std::time::Duration::from_millis(5500)).await;
    let ready = client().get(registry.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = ready.text().await.unwrap();
    assert!(body.contains("blob store unavailable") && body.contains("bucket `doomed`"), "{body}");
    drop(registry);
    drop(postgres);
    drop(s3);
}

/// Uploads across replicas, an image through A pulled through B, a token of A used on B, A
/// killed mid-push.
async fn exercise(mut replicas: Replicas) {
    for path in ["/readyz", "/livez", "/healthz"] {
        let response = client().get(replicas.b.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let scope = "repository:lab/app:pull,push";
    // A token from A works on B.
    let token = Replicas::token(&replicas.a, scope).await;
    let on_b = client().get(replicas.b.url("/v2/lab/app/tags/list")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(on_b.status(), StatusCode::NOT_FOUND, "authorised on B (the repository is just empty)");

    // A chunked upload whose PATCHes alternate between the replicas.
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let digest = Digest::sha256_of(&bytes);
    let started = client().post(replicas.a.url("/v2/lab/app/blobs/uploads/")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let mut location = started.headers()["location"].to_str().unwrap().to_owned();
    for (index, chunk) in bytes.chunks(700_000).enumerate() {
        let replica = if index % 2 == 0 { &replicas.b } else { &replicas.a };
        let offset = index * 700_000;
        let response = client()
            .patch(replica.url(&location))
            .bearer_auth(&token)
            .header("content-range", format!("{offset}-{}", offset + chunk.len() - 1))
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED, "chunk {index}");
        location = response.headers()["location"].to_str().unwrap().to_owned();
    }
    let separator = if location.contains('?') { '&' } else { '?' };
    let done = client()
        .put(replicas.b.url(&format!("{location}{separator}digest={digest}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::CREATED);
    let fetched =
        client().get(replicas.a.url(&format!("/v2/lab/app/blobs/{digest}"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), bytes.as_slice(), "whole and right, through A");
    if !replicas.env.is_empty() {
        // On object storage the registry hands the download to the bucket.
        let direct = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let answer = direct
            .get(replicas.a.url(&format!("/v2/lab/app/blobs/{digest}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::TEMPORARY_REDIRECT);
        assert!(answer.headers()["location"].to_str().unwrap().contains("X-Amz-Signature"));
    }

    // An image pushed through A pulls through B, byte for byte.
    let layout = OciLayout::create(replicas.temp.path().join("layout")).unwrap();
    let root = images::image(&layout, Format::Oci, 9, 3, "amd64");
    layout.add_manifest(root.clone(), Some("v1")).unwrap();
    let creds = format!("{}:{}", ALICE.0, ALICE.1);
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds,
        &format!("oci:{}:v1", layout.root().display()),
        &format!("docker://{}/lab/image:v1", replicas.a.address),
    ]);
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        &creds,
        &format!("docker://{}/lab/image:v1", replicas.b.address),
    ]);
    assert_eq!(raw.as_bytes(), layout.read_blob(&root.digest).unwrap());
    let pulled = replicas.temp.path().join("pulled");
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        &creds,
        &format!("docker://{}/lab/image:v1", replicas.b.address),
        &format!("oci:{}:v1", pulled.display()),
    ]);
    assert_eq!(OciLayout::open(&pulled).unwrap().find("v1").unwrap().unwrap().digest, root.digest);

    // A killed mid-push: the half-sent blob is nowhere visible; the retry on B completes.
    let big: Vec<u8> = (0..2_000_000u32).map(|i| (i * 17 % 253) as u8).collect();
    let big_digest = Digest::sha256_of(&big);
    let started = client().post(replicas.a.url("/v2/lab/app/blobs/uploads/")).bearer_auth(&token).send().await.unwrap();
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let first = client()
        .patch(replicas.a.url(&location))
        .bearer_auth(&token)
        .header("content-range", format!("0-{}", 999_999))
        .body(big[..1_000_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    replicas.a.kill();
    for path in [format!("/v2/lab/app/blobs/{big_digest}")] {
        let response = client().head(replicas.b.url(&path)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "nothing half-visible");
    }
    let status = client().get(replicas.b.url(&location)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(status.status(), StatusCode::NO_CONTENT, "B knows the session A started");
    assert_eq!(status.headers()["range"], "0-999999");
    let rest = client()
        .put(
            replicas.b.url(&format!("{location}{}digest={big_digest}", if location.contains('?') { '&' } else { '?' })),
        )
        .bearer_auth(&token)
        .header("content-range", "1000000-1999999")
        .body(big[1_000_000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), StatusCode::CREATED);
    let fetched = client()
        .get(replicas.b.url(&format!("/v2/lab/app/blobs/{big_digest}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(Digest::sha256_of(&fetched.bytes().await.unwrap()), big_digest);

    // Storage latency is exposed, by store and operation.
    let metrics = client().get(replicas.b.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for expected in [r#"store="blob",operation="append""#, r#"store="metadata",operation="get_upload""#] {
        assert!(
            metrics.contains("kots_registry_storage_seconds") && metrics.contains(expected),
            "{expected}:\n{metrics}"
        );
    }

    // A restarted replica finds the same state and keeps serving the same tokens.
    replicas.a = replicas.replica();
    let again = client()
        .head(replicas.a.url(&format!("/v2/lab/app/blobs/{big_digest}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}

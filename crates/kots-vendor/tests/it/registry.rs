//! The vendor's registry with its logins: the three vendor logins and license pulls with real
//! clients (skopeo, oras), an isolation matrix over HTTP, attestation indexes, and throttling of
//! failed logins.

use std::process::Command;
use std::time::Duration;

use kots_oci::media_type::*;
use kots_oci::{Descriptor, Digest, OciLayout};
use kots_testkit::{skopeo, try_skopeo};
use reqwest::StatusCode;
use serde_json::json;

use crate::{EMAIL, PASSWORD, Server, license_id};

fn platform(descriptor: &mut Descriptor, architecture: &str, os: &str) {
    descriptor.platform = Some(serde_json::from_value(json!({"architecture": architecture, "os": os})).unwrap());
}

/// An image manifest of two layers, written to `layout`.
fn image(layout: &OciLayout, seed: u8) -> Descriptor {
    let layers: Vec<Descriptor> = (0..2u8)
        .map(|index| {
            layout.write_blob_bytes(OCI_LAYER_GZIP, &vec![seed ^ index; 4096 + usize::from(index) * 512]).unwrap()
        })
        .collect();
    let config =
        json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}, "seed": seed});
    let config = layout.write_blob_bytes(OCI_CONFIG, config.to_string().as_bytes()).unwrap();
    let manifest = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers});
    layout.write_blob_bytes(OCI_MANIFEST, manifest.to_string().as_bytes()).unwrap()
}

/// A BuildKit-style index: the image and its provenance attestation (platform unknown/unknown).
fn attested_index(layout: &OciLayout) -> Descriptor {
    let mut image = image(layout, 7);
    platform(&mut image, "amd64", "linux");
    let statement = json!({"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": "x", "digest": {"sha256": image.digest.hex()}}], "predicate": {}});
    let statement = layout.write_blob_bytes(IN_TOTO, statement.to_string().as_bytes()).unwrap();
    let config = layout
        .write_blob_bytes(
            OCI_CONFIG,
            br#"{"architecture":"unknown","os":"unknown","rootfs":{"type":"layers","diff_ids":[]}}"#,
        )
        .unwrap();
    let attestation = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [statement]});
    let mut attestation = layout.write_blob_bytes(OCI_MANIFEST, attestation.to_string().as_bytes()).unwrap();
    platform(&mut attestation, "unknown", "unknown");
    attestation.annotations = Some(
        [
            ("vnd.docker.reference.type".to_owned(), "attestation-manifest".to_owned()),
            ("vnd.docker.reference.digest".to_owned(), image.digest.to_string()),
        ]
        .into(),
    );
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [image, attestation]});
    layout.write_blob_bytes(OCI_INDEX, index.to_string().as_bytes()).unwrap()
}

#[tokio::test]
async fn three_vendor_logins_push_and_a_license_pulls_with_skopeo() {
    let server = Server::start();
    server.cli(&["app", "create", "myapp"]);
    let user_token = server.cli(&["token", "create", "--name", "laptop"]).trim().to_owned();
    let account_token = server.cli(&["service-account", "create", "--name", "ci"]).trim().to_owned();
    let license_path = server.path("license.yaml");
    server.cli(&["customer", "create", "--app", "myapp", "--name", "Acme", "--output", license_path.to_str().unwrap()]);
    let license = license_id(&license_path);

    let layout = OciLayout::create(server.path("layout")).unwrap();
    let root = attested_index(&layout);
    layout.add_manifest(root.clone(), Some("v1")).unwrap();
    let source = format!("oci:{}:v1", layout.root().display());

    let logins = [
        ("email + password", format!("{EMAIL}:{PASSWORD}")),
        ("email + user token", format!("{EMAIL}:{user_token}")),
        ("any name + service-account token", format!("robot:{account_token}")),
    ];
    for (index, (login, creds)) in logins.iter().enumerate() {
        let target = format!("docker://{}/myapp/api:{index}", server.host());
        skopeo(&[
            "copy",
            "--all",
            "--preserve-digests",
            "--dest-tls-verify=false",
            "--dest-creds",
            creds,
            &source,
            &target,
        ]);
        let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", "--creds", creds, &target]);
        assert_eq!(raw.as_bytes(), layout.read_blob(&root.digest).unwrap(), "{login}");
    }

    // The license pulls the app's image, attestation included, byte for byte.
    let pulled = server.path("pulled");
    let creds = format!("{license}:{license}");
    skopeo(&[
        "copy",
        "--all",
        "--preserve-digests",
        "--src-tls-verify=false",
        "--src-creds",
        &creds,
        &format!("docker://{}/myapp/api:0", server.host()),
        &format!("oci:{}:v1", pulled.display()),
    ]);
    let pulled = OciLayout::open(&pulled).unwrap();
    assert_eq!(pulled.find("v1").unwrap().unwrap().digest, root.digest);
    // As KOTS's pull secrets log in (`LicenseDockerCfg`): user LICENSE_ID, the ID as password.
    let kots_secret = format!("LICENSE_ID:{license}");
    let target = format!("docker://{}/myapp/api:0", server.host());
    let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", "--creds", &kots_secret, &target]);
    assert_eq!(raw.as_bytes(), layout.read_blob(&root.digest).unwrap());
    let (ok, output) =
        try_skopeo(&["inspect", "--raw", "--tls-verify=false", "--creds", "LICENSE_ID:not-a-license", &target]);
    assert!(!ok, "LICENSE_ID with an unknown license is refused: {output}");
    let index: serde_json::Value = serde_json::from_slice(&layout.read_blob(&root.digest).unwrap()).unwrap();
    for child in index["manifests"].as_array().unwrap() {
        let digest = Digest::parse(child["digest"].as_str().unwrap()).unwrap();
        assert_eq!(pulled.read_blob(&digest).unwrap(), layout.read_blob(&digest).unwrap());
    }

    // But it cannot push, and nobody gets in anonymously.
    let (ok, output) = try_skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds,
        &source,
        &format!("docker://{}/myapp/api:mine", server.host()),
    ]);
    assert!(!ok, "a license must not push: {output}");
    let (ok, output) = try_skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--no-creds",
        &format!("docker://{}/myapp/api:0", server.host()),
    ]);
    assert!(!ok, "anonymous pulls must fail: {output}");

    // `skopeo login` stores the credentials and later commands use them.
    let auth = server.path("auth.json");
    let status = Command::new("skopeo")
        .args(["login", "--tls-verify=false", "--authfile"])
        .arg(&auth)
        .args(["-u", EMAIL, "-p", &user_token, server.host()])
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let output = Command::new("skopeo")
        .args(["list-tags", "--tls-verify=false", "--authfile"])
        .arg(&auth)
        .arg(format!("docker://{}/myapp/api", server.host()))
        .output()
        .unwrap();
    let tags: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(tags["Tags"], json!(["0", "1", "2"]));

    // No secret reached the log.
    let log = server.log();
    for secret in [PASSWORD, user_token.as_str(), account_token.as_str()] {
        assert!(!log.contains(secret), "a credential leaked into the log");
    }
}

#[tokio::test]
async fn oras_pushes_and_pulls_an_artifact_with_a_token() {
    let server = Server::start();
    server.cli(&["app", "create", "myapp"]);
    let account_token = server.cli(&["service-account", "create", "--name", "ci"]).trim().to_owned();
    let pulled =
        kots_testkit::oras_round_trip(server.host(), "robot", &account_token, "myapp/notes", &server.path("oras"));
    assert_eq!(pulled, "artifact payload\n");
}

#[derive(Clone)]
pub(crate) enum Auth {
    Anonymous,
    Basic(String, String),
    Bearer(String),
    Raw(&'static str),
}

pub(crate) async fn call(server: &Server, method: reqwest::Method, path: &str, auth: &Auth) -> reqwest::Response {
    let request = reqwest::Client::new().request(method, format!("{}{path}", server.url));
    let request = match auth {
        Auth::Anonymous => request,
        Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
        Auth::Bearer(token) => request.bearer_auth(token),
        Auth::Raw(value) => request.header("authorization", *value),
    };
    request.send().await.unwrap()
}

pub(crate) async fn token(server: &Server, user: &str, password: &str, scope: &str) -> reqwest::Response {
    let url = format!("{}/token?service={}&scope={scope}", server.url, server.host());
    reqwest::Client::new().get(url).basic_auth(user, Some(password)).send().await.unwrap()
}

pub(crate) async fn bearer(server: &Server, user: &str, password: &str, scope: &str) -> String {
    let response = token(server, user, password, scope).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["token"], body["access_token"]);
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    body["issued_at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn push_blob(server: &Server, repository: &str, auth: &Auth, bytes: &[u8]) -> Digest {
    let digest = Digest::sha256_of(bytes);
    let request = reqwest::Client::new()
        .post(format!("{}/v2/{repository}/blobs/uploads/?digest={digest}", server.url))
        .body(bytes.to_vec());
    let request = match auth {
        Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
        _ => unreachable!(),
    };
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "{:?}", response.text().await);
    digest
}

pub(crate) async fn push_image(server: &Server, repository: &str, auth: &Auth) {
    let config = push_blob(server, repository, auth, br#"{"architecture":"amd64","os":"linux"}"#).await;
    let layer = push_blob(server, repository, auth, repository.as_bytes()).await;
    let manifest = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config, "size": 37},
        "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": layer, "size": repository.len()}]});
    let Auth::Basic(user, password) = auth else { unreachable!() };
    let response = reqwest::Client::new()
        .put(format!("{}/v2/{repository}/manifests/v1", server.url))
        .basic_auth(user, Some(password))
        .header("content-type", OCI_MANIFEST)
        .body(manifest.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "{:?}", response.text().await);
}

pub(crate) async fn code_and_message(response: reqwest::Response) -> (String, String) {
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (
        body["errors"][0]["code"].as_str().unwrap_or_default().to_owned(),
        body["errors"][0]["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn isolation_matrix() {
    let server = Server::start();
    server.cli(&["app", "create", "appa"]);
    let team_b = server
        .cli(&["team", "create", "--email", "b@other.example", "--password", "team b password"])
        .trim()
        .to_owned();
    server.cli_as(&team_b, &["app", "create", "appb"]);
    let read_only = server.cli(&["service-account", "create", "--name", "reader", "--read-only"]).trim().to_owned();
    let mut licenses = Vec::new();
    for name in ["valid", "expired", "revoked"] {
        let path = server.path(&format!("{name}.yaml"));
        server.cli(&["customer", "create", "--app", "appa", "--name", name, "--output", path.to_str().unwrap()]);
        licenses.push(license_id(&path));
    }
    let (valid, expired, revoked) = (&licenses[0], &licenses[1], &licenses[2]);
    server.cli(&["customer", "update", "--app", "appa", expired, "--expires", "2021-06-01T00:00:00Z"]);
    server.cli(&["customer", "revoke", "--app", "appa", revoked]);

    let user_a = Auth::Basic(EMAIL.to_owned(), PASSWORD.to_owned());
    let user_b = Auth::Basic("b@other.example".to_owned(), "team b password".to_owned());
    push_image(&server, "appa/img", &user_a).await;
    push_image(&server, "appb/x", &user_b).await;
    let secret_blob = push_blob(&server, "appb/x", &user_b, b"team b's secret layer").await;

    let token_a = bearer(&server, EMAIL, PASSWORD, "repository:appa/img:pull").await;
    // Asking for what one may not have gives a token that grants none of it.
    let token_a_on_b = bearer(&server, EMAIL, PASSWORD, "repository:appb/x:pull,push").await;
    let license = |id: &String| Auth::Basic(id.clone(), id.clone());
    let sa = Auth::Basic("reader-bot".to_owned(), read_only.clone());
    use reqwest::Method as M;
    let upload = "/v2/appa/img/blobs/uploads/";
    let rows: Vec<(&str, M, String, Auth, u16, &str)> = vec![
        ("user A pushes app A", M::POST, upload.to_owned(), user_a.clone(), 202, ""),
        ("user A pushes app B", M::POST, "/v2/appb/x/blobs/uploads/".to_owned(), user_a.clone(), 403, "DENIED"),
        ("user A pulls app B", M::GET, "/v2/appb/x/manifests/v1".to_owned(), user_a.clone(), 403, "DENIED"),
        (
            "user A pushes to an app that does not exist",
            M::POST,
            "/v2/nosuchapp/img/blobs/uploads/".to_owned(),
            user_a.clone(),
            403,
            "DENIED",
        ),
        ("user B pulls app B", M::GET, "/v2/appb/x/manifests/v1".to_owned(), user_b.clone(), 200, ""),
        ("read-only service account pushes", M::POST, upload.to_owned(), sa.clone(), 403, "DENIED"),
        ("read-only service account pulls", M::GET, "/v2/appa/img/manifests/v1".to_owned(), sa.clone(), 200, ""),
        ("license of app A pulls app A", M::GET, "/v2/appa/img/manifests/v1".to_owned(), license(valid), 200, ""),
        ("license of app A pulls app B", M::GET, "/v2/appb/x/manifests/v1".to_owned(), license(valid), 403, "DENIED"),
        ("license of app A pushes", M::POST, upload.to_owned(), license(valid), 403, "DENIED"),
        ("license of app A deletes", M::DELETE, "/v2/appa/img/manifests/v1".to_owned(), license(valid), 403, "DENIED"),
        ("expired license pulls", M::GET, "/v2/appa/img/manifests/v1".to_owned(), license(expired), 403, "DENIED"),
        ("revoked license pulls", M::GET, "/v2/appa/img/manifests/v1".to_owned(), license(revoked), 403, "DENIED"),
        (
            "wrong password",
            M::GET,
            "/v2/appa/img/manifests/v1".to_owned(),
            Auth::Basic(EMAIL.to_owned(), "wrong".to_owned()),
            401,
            "UNAUTHORIZED",
        ),
        (
            "unknown user",
            M::GET,
            "/v2/appa/img/manifests/v1".to_owned(),
            Auth::Basic("who@nowhere.example".to_owned(), "x".to_owned()),
            401,
            "UNAUTHORIZED",
        ),
        (
            "malformed Basic header",
            M::GET,
            "/v2/appa/img/manifests/v1".to_owned(),
            Auth::Raw("Basic %%%not-base64"),
            401,
            "UNAUTHORIZED",
        ),
        ("unknown scheme", M::GET, "/v2/appa/img/manifests/v1".to_owned(), Auth::Raw("Token abc"), 401, "UNAUTHORIZED"),
        ("no credentials", M::GET, "/v2/appa/img/manifests/v1".to_owned(), Auth::Anonymous, 401, "UNAUTHORIZED"),
        ("no credentials on /v2/", M::GET, "/v2/".to_owned(), Auth::Anonymous, 401, "UNAUTHORIZED"),
        (
            "token within its scope",
            M::GET,
            "/v2/appa/img/manifests/v1".to_owned(),
            Auth::Bearer(token_a.clone()),
            200,
            "",
        ),
        (
            "token for repo X used on repo Y",
            M::GET,
            "/v2/appa/other/tags/list".to_owned(),
            Auth::Bearer(token_a.clone()),
            403,
            "DENIED",
        ),
        ("token for pull used to push", M::POST, upload.to_owned(), Auth::Bearer(token_a.clone()), 403, "DENIED"),
        (
            "token asked for a foreign repo",
            M::GET,
            "/v2/appb/x/manifests/v1".to_owned(),
            Auth::Bearer(token_a_on_b.clone()),
            403,
            "DENIED",
        ),
        (
            "forged token",
            M::GET,
            "/v2/appa/img/manifests/v1".to_owned(),
            Auth::Raw("Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"),
            401,
            "UNAUTHORIZED",
        ),
    ];
    let mut failures = Vec::new();
    for (case, method, path, auth, status, code) in rows {
        let response = call(&server, method, &path, &auth).await;
        let actual_status = response.status().as_u16();
        let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
        let (actual_code, message) = code_and_message(response).await;
        if actual_status != status || (!code.is_empty() && actual_code != code) {
            failures.push(format!("{case}: expected {status} {code}, got {actual_status} {actual_code} ({message})"));
        }
        if status == 401 {
            let challenge = challenge.unwrap_or_default();
            if !challenge.starts_with(&format!("Bearer realm=\"{}/token\",service=\"{}\"", server.url, server.host())) {
                failures.push(format!("{case}: bad challenge {challenge:?}"));
            }
        }
        if case.contains("does not exist") && !message.contains("nosuchapp") {
            failures.push(format!("{case}: the message should name the slug: {message}"));
        }
        if case.starts_with("expired") && !message.contains("expired") {
            failures.push(format!("{case}: {message}"));
        }
        if case.starts_with("revoked") && !message.contains("revoked") {
            failures.push(format!("{case}: {message}"));
        }
    }
    assert!(failures.is_empty(), "isolation matrix:\n{}", failures.join("\n"));

    // The challenge names the scope a request needs.
    let response = call(&server, M::POST, upload, &Auth::Anonymous).await;
    let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.contains("scope=\"repository:appa/img:pull,push\""), "{challenge}");

    // The token service: bad credentials are refused; nothing is anonymous.
    assert_eq!(token(&server, EMAIL, "wrong", "repository:appa/img:pull").await.status(), StatusCode::UNAUTHORIZED);
    let anonymous = reqwest::Client::new()
        .get(format!("{}/token?scope=repository:appa/img:pull", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // A mount from a repository the caller may not read quietly becomes an upload.
    let mount = format!("/v2/appa/copy/blobs/uploads/?mount={secret_blob}&from=appb/x");
    let response = call(&server, M::POST, &mount, &user_a).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED, "no mount across teams");
    let head = call(&server, M::HEAD, &format!("/v2/appa/copy/blobs/{secret_blob}"), &user_a).await;
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    let own = push_blob(&server, "appa/img", &user_a, b"own layer").await;
    let response =
        call(&server, M::POST, &format!("/v2/appa/copy/blobs/uploads/?mount={own}&from=appa/img"), &user_a).await;
    assert_eq!(response.status(), StatusCode::CREATED, "a mount within the team works");

    // The catalog lists only what the caller may pull.
    let catalog = |auth: Auth| {
        let server = &server;
        async move {
            let body: serde_json::Value = call(server, M::GET, "/v2/_catalog", &auth).await.json().await.unwrap();
            body["repositories"].clone()
        }
    };
    assert_eq!(catalog(user_a.clone()).await, json!(["appa/copy", "appa/img"]));
    assert_eq!(catalog(user_b.clone()).await, json!(["appb/x"]));
    assert_eq!(catalog(license(valid)).await, json!(["appa/copy", "appa/img"]));
    assert_eq!(catalog(license(revoked)).await, json!([]));
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let server = Server::start_with(&["--token-ttl", "1s"]);
    server.cli(&["app", "create", "appa"]);
    let token = bearer(&server, EMAIL, PASSWORD, "repository:appa/img:pull,push").await;
    let fresh = call(&server, reqwest::Method::POST, "/v2/appa/img/blobs/uploads/", &Auth::Bearer(token.clone())).await;
    assert_eq!(fresh.status(), StatusCode::ACCEPTED);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let stale = call(&server, reqwest::Method::POST, "/v2/appa/img/blobs/uploads/", &Auth::Bearer(token)).await;
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
    assert!(stale.headers()["www-authenticate"].to_str().unwrap().contains("error=\"invalid_token\""));
    let (code, message) = code_and_message(stale).await;
    assert_eq!(code, "UNAUTHORIZED");
    assert!(message.contains("expired"), "{message}");
}

#[tokio::test]
async fn failed_logins_are_throttled_then_forgiven() {
    let server = Server::start_with(&["--login-backoff", "2s"]);
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(token(&server, EMAIL, "not the password", "repository:x/y:pull").await.status().as_u16());
    }
    assert_eq!(statuses[0], 401);
    assert_eq!(*statuses.last().unwrap(), 429, "{statuses:?}");
    // Refused even with the right password, until the back-off ends.
    let blocked = token(&server, EMAIL, PASSWORD, "repository:x/y:pull").await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.headers().contains_key("retry-after"));
    let (code, _) = code_and_message(blocked).await;
    assert_eq!(code, "TOOMANYREQUESTS");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(token(&server, EMAIL, PASSWORD, "repository:x/y:pull").await.status(), StatusCode::OK);
}

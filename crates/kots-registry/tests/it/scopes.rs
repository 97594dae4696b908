//! Token scopes under `--auth htpasswd`: what a token lacking a scope gets (`403` with an
//! `insufficient_scope` challenge naming it; `401` for a mount's source), upload status with
//! a pull token, cancel with a delete token, cross-repository mounts through the token flow,
//! and the real clients (skopeo's mounts, oras-py) that must keep working with these answers.

use kots_oci::OciLayout;
use kots_testkit::skopeo;
use reqwest::StatusCode;

use crate::images::{self, Format};
use crate::util::{Registry, client, error_code};

const ALICE: (&str, &str) = ("alice", "alice secret");
const BOB: (&str, &str) = ("bob", "bob secret");

/// Alice may push and pull; Bob may only pull.
fn registry(temp: &tempfile::TempDir) -> Registry {
    let read_write = temp.path().join("htpasswd");
    let read_only = temp.path().join("htpasswd-read-only");
    std::fs::write(&read_write, format!("{}:{}\n", ALICE.0, bcrypt::hash(ALICE.1, 4).unwrap())).unwrap();
    std::fs::write(&read_only, format!("{}:{}\n", BOB.0, bcrypt::hash(BOB.1, 4).unwrap())).unwrap();
    Registry::start_in(
        &temp.path().join("data"),
        &[
            "--auth",
            "htpasswd",
            "--htpasswd",
            read_write.to_str().unwrap(),
            "--htpasswd-read-only",
            read_only.to_str().unwrap(),
        ],
    )
}

/// A token for these scopes, as `GET /token` gives it to `user`.
async fn token(registry: &Registry, (user, password): (&str, &str), scopes: &[&str]) -> String {
    let query: Vec<String> = scopes.iter().map(|scope| format!("scope={scope}")).collect();
    let response = client()
        .get(registry.url(&format!("/token?service=x&{}", query.join("&"))))
        .basic_auth(user, Some(password))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

fn challenge(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"].to_str().unwrap().to_owned()
}

/// The scopes a challenge asks for (`scope="A B"`).
fn challenge_scopes(challenge: &str) -> Vec<String> {
    let Some((_, rest)) = challenge.split_once("scope=\"") else { return Vec::new() };
    rest.split('"').next().unwrap_or_default().split(' ').map(str::to_owned).collect()
}

/// The conformance suite keeps a pull token for `GET`s and a delete token for `DELETE`s, and
/// logs in again only on 401: the upload-session `GET` demanded push and a cancel demanded
/// push, so it got 403 and failed. Now the status needs pull and a cancel takes push or
/// delete (as in Distribution). A token lacking a scope still gets 403 with an
/// `insufficient_scope` challenge naming it, which oras-py follows (it re-sends the same token
/// on a 401); a user who may not push at all is denied whatever token it holds.
#[tokio::test]
async fn upload_status_needs_pull_cancel_takes_delete_and_a_token_lacking_push_is_challenged() {
    let temp = tempfile::tempdir().unwrap();
    let registry = registry(&temp);
    let push = token(&registry, ALICE, &["repository:lab/app:pull,push"]).await;
    let pull = token(&registry, ALICE, &["repository:lab/app:pull"]).await;
    let delete = token(&registry, ALICE, &["repository:lab/app:delete"]).await;
    let start = || async {
        let started =
            client().post(registry.url("/v2/lab/app/blobs/uploads/")).bearer_auth(&push).send().await.unwrap();
        assert_eq!(started.status(), StatusCode::ACCEPTED);
        registry.url(started.headers()["location"].to_str().unwrap())
    };
    let session = start().await;

    let status = client().get(&session).bearer_auth(&pull).send().await.unwrap();
    assert_eq!(status.status(), StatusCode::NO_CONTENT, "a pull token reads the upload's status");
    assert_eq!(status.headers()["range"], "0-0");

    let refused = client().patch(&session).bearer_auth(&pull).body("bytes").send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let challenge = challenge(&refused);
    assert!(challenge.starts_with(&format!("Bearer realm=\"http://{}/token\"", registry.address)), "{challenge}");
    assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge}");
    assert_eq!(challenge_scopes(&challenge), ["repository:lab/app:pull,push"]);
    assert_eq!(error_code(refused).await, "DENIED");
    // What oras-py does next: a token for the challenge's scopes, and the chunk goes in.
    let scopes = challenge_scopes(&challenge);
    let renewed = token(&registry, ALICE, &scopes.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let chunk = client().patch(&session).bearer_auth(&renewed).body("bytes").send().await.unwrap();
    assert_eq!(chunk.status(), StatusCode::ACCEPTED);

    // Cancelling: with the pusher's token (skopeo cancels a session a mount made needless), or
    // with a delete token (the suite); not with a pull token.
    let refused = client().delete(&session).bearer_auth(&pull).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let cancelled = client().delete(&session).bearer_auth(&delete).send().await.unwrap();
    assert_eq!(cancelled.status(), StatusCode::NO_CONTENT);
    let other = start().await;
    let cancelled = client().delete(&other).bearer_auth(&push).send().await.unwrap();
    assert_eq!(cancelled.status(), StatusCode::NO_CONTENT);

    // Bob may not push at all: a token asked for push grants pull only, and he is denied.
    let bobs = token(&registry, BOB, &["repository:lab/app:pull,push"]).await;
    let denied = client().post(registry.url("/v2/lab/app/blobs/uploads/")).bearer_auth(&bobs).send().await.unwrap();
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(denied).await, "DENIED");
}

/// A mount with `from=` under token auth fell back to a plain upload (202): the challenge did
/// not ask for `repository:FROM:pull`, so no token could carry it. Now it does, and it mounts.
#[tokio::test]
async fn mount_under_token_auth_asks_for_the_source_and_mounts() {
    let temp = tempfile::tempdir().unwrap();
    let registry = registry(&temp);
    let blob = b"a layer to share";
    let digest = kots_oci::Digest::sha256_of(blob);
    let pushed = client()
        .post(registry.url(&format!("/v2/lab/source/blobs/uploads/?digest={digest}")))
        .basic_auth(ALICE.0, Some(ALICE.1))
        .body(blob.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), StatusCode::CREATED);
    let mount = registry.url(&format!("/v2/lab/copy/blobs/uploads/?mount={digest}&from=lab/source"));
    let both = ["repository:lab/copy:pull,push", "repository:lab/source:pull"];

    let anonymous = client().post(&mount).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge_scopes(&challenge(&anonymous)), both);

    let target_only = token(&registry, ALICE, &[both[0]]).await;
    let lacking = client().post(&mount).bearer_auth(&target_only).send().await.unwrap();
    assert_eq!(lacking.status(), StatusCode::UNAUTHORIZED, "a token without the source's pull is challenged");
    let challenge = challenge(&lacking);
    assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge}");
    assert_eq!(challenge_scopes(&challenge), both);

    let scopes = challenge_scopes(&challenge);
    let full = token(&registry, ALICE, &scopes.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let mounted = client().post(&mount).bearer_auth(&full).send().await.unwrap();
    assert_eq!(mounted.status(), StatusCode::CREATED);
    assert_eq!(mounted.headers()["location"], format!("/v2/lab/copy/blobs/{digest}").as_str());
    let head =
        client().head(registry.url(&format!("/v2/lab/copy/blobs/{digest}"))).bearer_auth(&full).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);

    // HTTP Basic carries no scopes: the policy alone decides, and the mount happens at once.
    let basic = client()
        .post(registry.url(&format!("/v2/lab/basic/blobs/uploads/?mount={digest}&from=lab/source")))
        .basic_auth(ALICE.0, Some(ALICE.1))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::CREATED);
}

/// skopeo (containers/image, as podman) asks for the source's pull scope itself when it
/// mounts: a copy between two repositories of the registry mounts every blob (201) with the
/// new challenges, and pulls with a pull-only login still work.
#[tokio::test]
async fn skopeo_copies_between_repositories_by_mounting() {
    let temp = tempfile::tempdir().unwrap();
    let registry = registry(&temp);
    let layout = OciLayout::create(temp.path().join("layout")).unwrap();
    let root = images::image(&layout, Format::Oci, 11, 2, "amd64");
    layout.add_manifest(root.clone(), Some("v1")).unwrap();
    let source = format!("oci:{}:v1", layout.root().display());
    let first = format!("docker://{}/lab/first:v1", registry.address);
    let second = format!("docker://{}/lab/second:v1", registry.address);
    let creds = format!("{}:{}", ALICE.0, ALICE.1);
    skopeo(&["copy", "--dest-tls-verify=false", "--dest-creds", &creds, &source, &first]);
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--src-creds",
        &creds,
        "--dest-creds",
        &creds,
        &first,
        &second,
    ]);
    let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", "--creds", &format!("{}:{}", BOB.0, BOB.1), &second]);
    assert_eq!(raw.as_bytes(), layout.read_blob(&root.digest).unwrap());
    let log = std::fs::read_to_string(temp.path().join("server.log")).unwrap();
    let mounted =
        log.lines().filter(|line| line.contains("POST path=/v2/lab/second/blobs/uploads/ status=201")).count();
    assert!(mounted >= 2, "both layers mounted from lab/first, not uploaded again:\n{log}");
}

/// oras-py logs in, then follows each 401 challenge to a token for its scopes: an artifact
/// pushes and pulls through the token flow.
#[tokio::test]
async fn oras_pushes_and_pulls_through_the_challenges() {
    let temp = tempfile::tempdir().unwrap();
    let registry = registry(&temp);
    let pulled =
        kots_testkit::oras_round_trip(&registry.address, ALICE.0, ALICE.1, "lab/notes", &temp.path().join("oras"));
    assert_eq!(pulled, "artifact payload\n");
}

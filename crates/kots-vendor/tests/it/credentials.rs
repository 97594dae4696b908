//! Credentials over their lifetime and under attack: listing and revoking tokens, service
//! accounts and members (with registry tokens already issued), teams made only by the
//! administrator, login throttling per account, answers that do not tell which accounts exist,
//! and airgap bundles that fetch neither with the server's own credentials nor from its own
//! network.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::registry::{Auth, bearer, call, code_and_message, push_image, token};
use crate::{EMAIL, PASSWORD, Server, license_id};

const UPLOAD: &str = "/v2/appa/img/blobs/uploads/";

/// The ID (first column) of the line of `listing` whose second column is `name`.
fn id_named(listing: &str, name: &str) -> String {
    listing
        .lines()
        .find(|line| line.split('\t').nth(1) == Some(name))
        .and_then(|line| line.split('\t').next())
        .unwrap_or_else(|| panic!("no `{name}` in:\n{listing}"))
        .to_owned()
}

/// What broke: user API tokens, service accounts and users could not be revoked or removed,
/// and registry tokens issued for them lived until they expired.
#[tokio::test]
async fn revoked_tokens_service_accounts_and_members_stop_on_the_next_request() {
    let server = Server::start();
    server.cli(&["app", "create", "appa"]);

    // A user API token: listed without its secret, then revoked.
    let ci = server.cli(&["token", "create", "--name", "ci"]).trim().to_owned();
    let listed = server.cli(&["token", "ls"]);
    assert!(listed.contains("\tfirst\t") && !listed.contains(&ci), "{listed}");
    let ci_id = id_named(&listed, "ci");
    assert!(ci.contains(&ci_id));
    let issued = bearer(&server, EMAIL, &ci, "repository:appa/img:pull,push").await;
    let with_issued = Auth::Bearer(issued.clone());
    assert_eq!(call(&server, reqwest::Method::POST, UPLOAD, &with_issued).await.status(), StatusCode::ACCEPTED);
    assert_eq!(call(&server, reqwest::Method::GET, "/v2/", &Auth::Bearer(issued.clone())).await.status(), 200);
    server.cli(&["token", "revoke", &ci_id]);
    assert!(!server.cli(&["token", "list"]).contains("\tci\t"));
    let (code, message) = code_and_message(call(&server, reqwest::Method::POST, UPLOAD, &with_issued).await).await;
    assert_eq!(code, "DENIED", "{message}");
    assert!(message.contains("revoked"), "{message}");
    assert_eq!(call(&server, reqwest::Method::GET, "/v2/", &Auth::Bearer(issued.clone())).await.status(), 401);
    assert_eq!(call(&server, reqwest::Method::GET, "/v2/_catalog", &Auth::Bearer(issued)).await.status(), 401);
    let (ok, _, stderr) = server.try_cli_as(&ci, &["app", "ls"]);
    assert!(!ok && stderr.contains("not valid"), "{stderr}");
    assert_eq!(token(&server, EMAIL, &ci, "repository:appa/img:pull").await.status(), 401);
    let (ok, _, stderr) = server.try_cli(&["token", "revoke", &ci_id]);
    assert!(!ok && stderr.contains("no token"), "{stderr}");

    // A service account likewise.
    let robot = server.cli(&["service-account", "create", "--name", "robot"]).trim().to_owned();
    let listed = server.cli(&["service-account", "ls"]);
    assert!(listed.contains("\trobot\tread-write"), "{listed}");
    let robot_id = id_named(&listed, "robot");
    let issued = bearer(&server, "robot", &robot, "repository:appa/img:pull,push").await;
    assert_eq!(call(&server, reqwest::Method::POST, UPLOAD, &Auth::Bearer(issued.clone())).await.status(), 202);
    server.cli(&["service-account", "revoke", &robot_id]);
    assert_eq!(call(&server, reqwest::Method::POST, UPLOAD, &Auth::Bearer(issued)).await.status(), 403);
    assert_eq!(token(&server, "robot", &robot, "repository:appa/img:pull").await.status(), 401);

    // A member: added, logged in with its password, removed with its tokens.
    let member = server
        .cli(&["team", "member", "add", "--email", "m@example.com", "--password", "member password"])
        .trim()
        .to_owned();
    let members = server.cli(&["team", "member", "ls"]);
    assert!(members.contains(&format!("{EMAIL}\tadmin")) && members.contains("m@example.com\tmember"), "{members}");
    let issued = bearer(&server, "m@example.com", "member password", "repository:appa/img:pull,push").await;
    assert_eq!(call(&server, reqwest::Method::POST, UPLOAD, &Auth::Bearer(issued.clone())).await.status(), 202);
    let (ok, _, stderr) = server.try_cli_as(&member, &["team", "member", "remove", EMAIL]);
    assert!(!ok && stderr.contains("administrator"), "{stderr}");
    let (ok, _, stderr) = server.try_cli(&["team", "member", "remove", EMAIL]);
    assert!(!ok && stderr.contains("yourself"), "{stderr}");
    server.cli(&["team", "member", "remove", "m@example.com"]);
    assert_eq!(call(&server, reqwest::Method::POST, UPLOAD, &Auth::Bearer(issued)).await.status(), 403);
    assert_eq!(token(&server, "m@example.com", "member password", "repository:appa/img:pull").await.status(), 401);
    let (ok, _, _) = server.try_cli_as(&member, &["app", "ls"]);
    assert!(!ok, "the removed member's API token is gone too");

    // Teams are the administrator's: another team's user may not make one.
    let team_b = server
        .cli(&["team", "create", "--email", "b@other.example", "--password", "team b password"])
        .trim()
        .to_owned();
    let (ok, _, stderr) = server.try_cli_as(&team_b, &["team", "create", "--email", "c@other.example"]);
    assert!(!ok && stderr.contains("administrator") && stderr.contains("403"), "{stderr}");
    // Other teams' members are not listed, nor removable.
    assert!(!server.cli_as(&team_b, &["team", "member", "ls"]).contains(EMAIL));
    let (ok, _, stderr) = server.try_cli_as(&team_b, &["team", "member", "remove", EMAIL]);
    assert!(!ok && stderr.contains("no member"), "{stderr}");
}

/// What broke: app and team creation said when another tenant had the slug or the email.
#[tokio::test]
async fn taken_slugs_and_emails_are_only_not_available() {
    let server = Server::start();
    server.cli(&["app", "create", "appa"]);
    let team_b = server
        .cli(&["team", "create", "--email", "b@other.example", "--password", "team b password"])
        .trim()
        .to_owned();
    let (ok, _, stderr) = server.try_cli_as(&team_b, &["app", "create", "appa"]);
    assert!(!ok && stderr.contains("`appa` is not available") && !stderr.contains("exists"), "{stderr}");
    let (ok, _, stderr) = server.try_cli(&["team", "create", "--email", "B@other.example"]);
    assert!(!ok && stderr.contains("is not available") && !stderr.contains("exists"), "{stderr}");
    let (ok, _, stderr) = server.try_cli_as(&team_b, &["team", "member", "add", "--email", EMAIL]);
    assert!(!ok && stderr.contains("is not available"), "{stderr}");
}

/// What broke: an unknown email was refused in ~3 ms and a wrong password in 31–48 ms, which
/// told which emails have accounts.
#[tokio::test]
async fn unknown_emails_take_as_long_as_wrong_passwords() {
    let server = Server::start();
    let fastest = |times: Vec<Duration>| times.into_iter().min().unwrap();
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    // Three of each, below the throttle's slowing down.
    for attempt in 0..3 {
        let started = Instant::now();
        assert_eq!(token(&server, EMAIL, "wrong password", "repository:x/y:pull").await.status(), 401);
        wrong.push(started.elapsed());
        let started = Instant::now();
        let nobody = format!("nobody{attempt}@example.com");
        assert_eq!(token(&server, &nobody, "wrong password", "repository:x/y:pull").await.status(), 401);
        unknown.push(started.elapsed());
    }
    let (wrong, unknown) = (fastest(wrong), fastest(unknown));
    assert!(unknown * 2 >= wrong, "unknown {unknown:?} vs wrong password {wrong:?}");
}

/// What broke: one valid login from an address cleared that address's failures, so 70 wrong
/// passwords with a valid license login every 7 guesses were never refused; and 10 failures
/// from a shared address locked out everyone behind it.
#[tokio::test]
async fn guesses_interleaved_with_another_accounts_logins_still_reach_429() {
    let server = Server::start_with(&["--login-backoff", "30s"]);
    server.cli(&["app", "create", "appa"]);
    let path = server.path("license.yaml");
    server.cli(&["customer", "create", "--app", "appa", "--name", "acme", "--output", path.to_str().unwrap()]);
    let license = license_id(&path);
    let mut refused = false;
    for guess in 0..70 {
        let status = token(&server, EMAIL, "guessed password", "repository:appa/img:pull").await.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = true;
            break;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        if guess % 7 == 6 {
            assert_eq!(token(&server, &license, &license, "repository:appa/img:pull").await.status(), 200);
        }
    }
    assert!(refused, "the attacked account never reached 429");
    // The others behind the same address are not locked out.
    assert_eq!(token(&server, &license, &license, "repository:appa/img:pull").await.status(), 200);
    let other = server
        .cli(&["team", "create", "--email", "b@other.example", "--password", "team b password"])
        .trim()
        .to_owned();
    assert!(other.starts_with("kotsu_"));
    assert_eq!(token(&server, "b@other.example", "team b password", "repository:x/y:pull").await.status(), 200);
    // The attacked account is refused, even with its password, for the back-off.
    assert_eq!(token(&server, EMAIL, PASSWORD, "repository:appa/img:pull").await.status(), 429);
}

/// A release of app `appb` that names `image`, promoted to Stable.
fn release_naming(server: &Server, token: &str, directory: &str, image: &str) {
    let folder = server.path(directory);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("pod.yaml"),
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n    - name: x\n      image: {image}\n"),
    )
    .unwrap();
    server.cli_as(
        token,
        &["release", "create", "--app", "appb", "--yaml-dir", folder.to_str().unwrap(), "--promote", "stable"],
    );
}

/// What broke: airgap bundles fetched every image a release named with the Docker/podman
/// credentials of the account the server runs as, and from its loopback; one team's customer
/// got an image of a password-protected registry the operator had logged in to.
#[tokio::test]
async fn airgap_bundles_fetch_as_nobody_and_not_from_private_addresses() {
    let port = kots_testkit::free_port().unwrap();
    let address = format!("127.0.0.1:{port}");
    // The operator is logged in to the "private registry" (here this server's own, under
    // another spelling, where team A's image lives).
    let docker_config = tempfile::tempdir().unwrap();
    let mirror = format!("localhost:{port}=http://{address}");
    let server = Server::start_with_env(
        &["--listen", &address, "--registry-mirror", &mirror],
        &[("DOCKER_CONFIG", docker_config.path())],
    );
    server.cli(&["app", "create", "appa"]);
    push_image(&server, "appa/img", &Auth::Basic(EMAIL.to_owned(), PASSWORD.to_owned())).await;
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{EMAIL}:{PASSWORD}"));
    std::fs::write(
        docker_config.path().join("config.json"),
        serde_json::json!({ "auths": { &address: { "auth": auth } } }).to_string(),
    )
    .unwrap();

    // Team B's release names team A's private image.
    let team_b = server
        .cli(&["team", "create", "--email", "b@other.example", "--password", "team b password"])
        .trim()
        .to_owned();
    server.cli_as(&team_b, &["app", "create", "appb"]);
    let license = server.path("license.yaml");
    server.cli_as(
        &team_b,
        &["customer", "create", "--app", "appb", "--name", "acme", "--airgap", "--output", license.to_str().unwrap()],
    );
    let build = |output: &str| {
        server.try_cli_as(
            &team_b,
            &[
                "airgap",
                "build",
                "--app",
                "appb",
                "--license-file",
                license.to_str().unwrap(),
                "--output",
                server.path(output).to_str().unwrap(),
            ],
        )
    };

    // Named on a private address: refused before any request.
    release_naming(&server, &team_b, "direct", "10.0.0.8:5000/appa/img:v1");
    let (ok, _, stderr) = build("direct.tar.zst");
    assert!(!ok, "an image of a private address went into the bundle");
    assert!(stderr.contains("private") && stderr.contains("--allow-private-registries"), "{stderr}");

    // Through the operator's mirror (which may be private): fetched anonymously, so refused.
    release_naming(&server, &team_b, "mirrored", &format!("localhost:{port}/appa/img:v1"));
    let (ok, _, stderr) = build("mirrored.tar.zst");
    assert!(!ok, "team A's image went into team B's bundle with the operator's credentials");
    assert!(stderr.contains("anonymously"), "{stderr}");
    assert!(!server.path("mirrored.tar.zst").exists());
}

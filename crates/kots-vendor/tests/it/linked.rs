//! Linked registries end to end: linking checks the credentials against a real registry (token
//! auth: `kots-registry` with htpasswd; Basic: a registry that asks for it), stores them
//! encrypted (the SQLite file holds no password), lists them without the password, keeps them
//! to each team's apps, and the release API names the public domains and the linked hosts.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine;

use crate::{BINARY, Server, get, license_id, write_release};

const PASSWORD: &str = "wonderland-s3cret";

/// Registries on a runtime of their own (the tests' runtime is single-threaded and blocks on
/// the CLI): `kots-registry` with token auth and one htpasswd user `alice`, and a registry that
/// answers `GET /v2/` with a Basic challenge for `bob`.
struct Upstreams {
    token_auth: String,
    basic_auth: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Upstreams {
    fn start(directory: &Path) -> Upstreams {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let (token_auth, basic_auth) = runtime.block_on(async {
            let address = kots_testkit::spawn_login_registry(&directory.join("upstream"), ("alice", PASSWORD)).await;

            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let basic = listener.local_addr().unwrap().to_string();
            let expected =
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("bob:{PASSWORD}")));
            let router = axum::Router::new().route(
                "/v2/",
                axum::routing::get(move |headers: axum::http::HeaderMap| {
                    let expected = expected.clone();
                    async move {
                        if headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str()) {
                            (axum::http::StatusCode::OK, [("www-authenticate", "")], "{}")
                        } else {
                            (axum::http::StatusCode::UNAUTHORIZED, [("www-authenticate", "Basic realm=\"test\"")], "{}")
                        }
                    }
                }),
            );
            tokio::spawn(async move { axum::serve(listener, router).await });
            (address, basic)
        });
        Upstreams { token_auth, basic_auth, runtime: Some(runtime) }
    }
}

impl Drop for Upstreams {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// `kots-vendor ARGS` as `token`, with extra environment variables and standard input.
fn run(
    server: &Server,
    token: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env("KOTS_VENDOR_URL", &server.url)
        .env("KOTS_VENDOR_TOKEN", token)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every byte of the SQLite database (its WAL too), where no password may appear.
fn database_bytes(server: &Server) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in ["vendor.db", "vendor.db-wal"] {
        bytes.extend(std::fs::read(server.path("data").join(name)).unwrap_or_default());
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn links_are_checked_stored_encrypted_listed_and_removed() {
    let mut server = Server::start_with(&["--allow-private-registries"]);
    let directory = server.temp.path().to_owned();
    // Started off this test's runtime, which cannot block on another.
    let upstreams = std::thread::spawn(move || Upstreams::start(&directory)).join().unwrap();
    let token_host = upstreams.token_auth.clone();
    let basic_host = upstreams.basic_auth.clone();
    server.cli(&["app", "create", "myapp"]);
    let token = server.token.clone();

    // Wrong credentials: refused naming the host, nothing stored.
    let (ok, _, stderr) = run(
        &server,
        &token,
        &[
            "registry",
            "add",
            "--app",
            "myapp",
            "--endpoint",
            &token_host,
            "--username",
            "alice",
            "--password",
            "wrong-one",
        ],
        &[],
        None,
    );
    assert!(!ok, "{stderr}");
    assert!(stderr.contains(&format!("registry {token_host} refused the credentials of `alice`")), "{stderr}");
    assert!(stderr.contains("nothing was stored"), "{stderr}");
    assert_eq!(server.cli(&["registry", "list", "--app", "myapp"]), "");
    // No credentials for a registry that needs them.
    let (ok, _, stderr) =
        run(&server, &token, &["registry", "add", "--app", "myapp", "--endpoint", &token_host], &[], None);
    assert!(!ok && stderr.contains(&token_host), "{stderr}");
    assert_eq!(server.cli(&["registry", "list", "--app", "myapp"]), "");

    // The right ones (token auth), the password from the environment, the endpoint as written
    // with a scheme and a trailing slash.
    let written = format!("HTTPS://{token_host}/");
    let (ok, stdout, stderr) = run(
        &server,
        &token,
        &["registry", "add", "--app", "myapp", "--endpoint", &written, "--username", "alice"],
        &[("KOTS_VENDOR_REGISTRY_PASSWORD", PASSWORD)],
        None,
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains(&format!("registry {token_host} linked to myapp (credentials checked)")), "{stdout}");

    // Basic auth, plain HTTP asked for, the password on standard input.
    let plain = format!("http://{basic_host}");
    let add_basic =
        ["registry", "add", "--app", "myapp", "--endpoint", &plain, "--username", "bob", "--password-stdin"];
    let (ok, _, stderr) = run(&server, &token, &add_basic, &[], Some("not-it\n"));
    assert!(!ok && stderr.contains(&format!("registry {basic_host} refused the credentials of `bob`")), "{stderr}");
    let (ok, _, stderr) = run(&server, &token, &add_basic, &[], Some(&format!("{PASSWORD}\n")));
    assert!(ok, "{stderr}");

    // Linked twice: a conflict that says what to do; --replace updates it.
    let (ok, _, stderr) = run(&server, &token, &add_basic, &[], Some(&format!("{PASSWORD}\n")));
    assert!(!ok && stderr.contains(&format!("already links {basic_host}")) && stderr.contains("--replace"), "{stderr}");
    let mut replace = add_basic.to_vec();
    replace.push("--replace");
    let (ok, _, stderr) = run(&server, &token, &replace, &[], Some(&format!("{PASSWORD}\n")));
    assert!(ok, "{stderr}");

    // Listed by host with user names and times, never a password.
    let listed = server.cli(&["registry", "list", "--app", "myapp"]);
    let lines: Vec<Vec<&str>> = listed.lines().map(|line| line.split('\t').collect()).collect();
    let mut expected = vec![(token_host.clone(), "alice"), (plain.clone(), "bob")];
    expected.sort_by_key(|(host, _)| host.trim_start_matches("http://").to_owned());
    assert_eq!(lines.len(), 2, "{listed}");
    for (line, (host, user)) in lines.iter().zip(&expected) {
        assert_eq!((line[0], line[1]), (host.as_str(), *user), "{listed}");
        assert!(line[2].starts_with("20") && line[2].ends_with('Z'), "{listed}");
    }
    assert!(!listed.contains(PASSWORD), "{listed}");
    let api: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/apps/myapp/registries", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!api.to_string().contains(PASSWORD), "{api}");
    assert_eq!(api["registries"].as_array().unwrap().len(), 2, "{api}");

    // At rest: no password in the database, and the server's log never had one.
    let database = database_bytes(&server);
    assert!(contains(&database, &token_host), "the link is not in vendor.db");
    assert!(!contains(&database, PASSWORD), "a password is in vendor.db in plain text");
    assert!(!server.log().contains(PASSWORD));
    let key = server.path("data").join("registry-credentials.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);

    // An unreachable registry is named; --no-check stores a link without reaching it.
    let port = kots_testkit::free_port().unwrap();
    let nowhere = format!("127.0.0.1:{port}");
    let (ok, _, stderr) = run(
        &server,
        &token,
        &["registry", "add", "--app", "myapp", "--endpoint", &nowhere, "--username", "u", "--password", "p"],
        &[],
        None,
    );
    assert!(!ok && stderr.contains(&format!("cannot reach registry {nowhere}")), "{stderr}");
    server.cli(&["registry", "add", "--app", "myapp", "--endpoint", &nowhere, "--no-check"]);
    assert!(server.cli(&["registry", "list", "--app", "myapp"]).contains(&format!("{nowhere}\t(anonymous)\t")));

    // Removed by host however written; removing again says it is not linked.
    let stdout = server.cli(&["registry", "remove", "--app", "myapp", "--endpoint", &format!("https://{nowhere}/")]);
    assert!(stdout.contains(&format!("registry {nowhere} unlinked from myapp")), "{stdout}");
    let (ok, _, stderr) = server.try_cli(&["registry", "remove", "--app", "myapp", "--endpoint", &nowhere]);
    assert!(!ok && stderr.contains(&format!("links no registry {nowhere}")), "{stderr}");
    assert_eq!(server.cli(&["registry", "list", "--app", "myapp"]).lines().count(), 2);

    // What the proxy will read: after a restart on the same data folder, the credentials open
    // with the kept key.
    server.child.kill();
    let vendor = kots_vendor::Vendor::open(
        &server.path("data"),
        &server.url,
        kots_vendor::VendorOptions { allow_private_registries: true, ..Default::default() },
    )
    .await
    .unwrap();
    let linked = vendor.linked_registry("myapp", &token_host.to_uppercase()).await.unwrap().unwrap();
    assert_eq!(linked.host, token_host);
    assert!(!linked.plain_http);
    let credentials = linked.credentials.clone().unwrap();
    assert_eq!((credentials.username.as_str(), credentials.password()), ("alice", PASSWORD));
    assert!(!format!("{linked:?}").contains(PASSWORD));
    let basic = vendor.linked_registry("myapp", &basic_host).await.unwrap().unwrap();
    assert!(basic.plain_http);
    assert_eq!(basic.credentials.unwrap().password(), PASSWORD);
    // The options the proxy reads with: these credentials, never the server's own logins.
    let options = linked.client_options(false);
    assert!(!options.ambient_credentials && options.public_addresses_only);
    assert_eq!(options.credentials.unwrap().username, "alice");
    assert!(vendor.linked_registry("myapp", "quay.io").await.unwrap().is_none());
    assert!(vendor.linked_registry("otherapp", &token_host).await.unwrap().is_none());
    drop(upstreams);
}

#[tokio::test]
async fn links_are_kept_to_the_apps_team_and_refuse_what_is_not_a_registry_host() {
    let server = Server::start();
    server.cli(&["app", "create", "myapp"]);
    server.cli(&["registry", "add", "--app", "myapp", "--endpoint", "quay.io", "--no-check"]);
    let other = server.cli(&["team", "create", "--email", "other@rival.example"]).trim().to_owned();
    server.cli_as(&other, &["app", "create", "rivalapp"]);

    // Another team sees, adds and removes nothing of myapp's: the app is "not in your team".
    for args in [
        vec!["registry", "list", "--app", "myapp"],
        vec!["registry", "add", "--app", "myapp", "--endpoint", "ghcr.io", "--no-check"],
        vec!["registry", "remove", "--app", "myapp", "--endpoint", "quay.io"],
    ] {
        let (ok, stdout, stderr) = server.try_cli_as(&other, &args);
        assert!(
            !ok && stderr.contains("no app `myapp` in your team") && !stdout.contains("quay.io"),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(server.cli(&["registry", "list", "--app", "myapp"]).lines().count(), 1);
    assert_eq!(server.cli_as(&other, &["registry", "list", "--app", "rivalapp"]), "");
    // A service account (read-only or not) cannot use the admin API at all.
    let robot = server.cli(&["service-account", "create", "--name", "robot", "--read-only"]).trim().to_owned();
    let (ok, _, stderr) = server.try_cli_as(&robot, &["registry", "remove", "--app", "myapp", "--endpoint", "quay.io"]);
    assert!(!ok && stderr.contains("not valid"), "{stderr}");
    assert_eq!(server.cli(&["registry", "list", "--app", "myapp"]).lines().count(), 1);

    // Not registry hosts.
    for (endpoint, wanted) in [
        ("quay.io/acme", "not a path"),
        ("ftp://quay.io", "not a registry scheme"),
        ("alice:pw@quay.io", "only the host"),
        ("quay.io:99999", "not a port"),
    ] {
        let (ok, _, stderr) =
            server.try_cli(&["registry", "add", "--app", "myapp", "--endpoint", endpoint, "--no-check"]);
        assert!(!ok && stderr.contains(wanted) && stderr.contains(endpoint), "{endpoint}: {stderr}");
    }
    // Without --allow-private-registries, no link to this server's network, checked or not.
    for endpoint in ["127.0.0.1:5001", "http://10.0.0.8:5000", "localhost"] {
        let (ok, _, stderr) =
            server.try_cli(&["registry", "add", "--app", "myapp", "--endpoint", endpoint, "--no-check"]);
        assert!(!ok && stderr.contains("--allow-private-registries"), "{endpoint}: {stderr}");
    }
    // Nor to its own registry, nor a password without a user.
    let (ok, _, stderr) = server.try_cli(&["registry", "add", "--app", "myapp", "--endpoint", server.host()]);
    assert!(!ok && stderr.contains("own registry"), "{stderr}");
    let (ok, _, stderr) = server.try_cli(&[
        "registry",
        "add",
        "--app",
        "myapp",
        "--endpoint",
        "ghcr.io",
        "--password",
        "x",
        "--no-check",
    ]);
    assert!(!ok && stderr.contains("--username"), "{stderr}");
    assert_eq!(server.cli(&["registry", "list", "--app", "myapp"]).lines().count(), 1);
}

async fn release_headers(server: &Server) -> reqwest::header::HeaderMap {
    let directory = server.path("release");
    write_release(&directory, "one");
    server.cli(&[
        "release",
        "create",
        "--app",
        "myapp",
        "--yaml-dir",
        directory.to_str().unwrap(),
        "--promote",
        "Stable",
    ]);
    let license = server.path("license.yaml");
    server.cli(&["customer", "create", "--app", "myapp", "--name", "Acme", "--output", license.to_str().unwrap()]);
    let response = get(&format!("{}/release/myapp", server.url), &license_id(&license)).await;
    assert_eq!(response.status(), 200);
    response.headers().clone()
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).unwrap_or_else(|| panic!("no {name}")).to_str().unwrap()
}

#[tokio::test]
async fn the_release_api_names_the_domains_and_the_linked_hosts() {
    // Defaults: both domains are the public URL's host; no links, an empty list.
    let server = Server::start();
    server.cli(&["app", "create", "myapp"]);
    let headers = release_headers(&server).await;
    assert_eq!(header(&headers, "x-replicated-replicatedregistrydomain"), server.host());
    assert_eq!(header(&headers, "x-replicated-proxyregistrydomain"), server.host());
    assert_eq!(header(&headers, "x-kots-linked-registries"), "");

    // Domains of their own, and two links (sorted, normalised).
    let server = Server::start_with(&[
        "--registry-domain",
        "Registry.Vendor.Example",
        "--proxy-domain",
        "proxy.vendor.example:8443",
    ]);
    server.cli(&["app", "create", "myapp"]);
    server.cli(&["registry", "add", "--app", "myapp", "--endpoint", "Quay.io", "--no-check"]);
    server.cli(&[
        "registry",
        "add",
        "--app",
        "myapp",
        "--endpoint",
        "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",
        "--username",
        "AWS",
        "--password",
        "ecr-password",
        "--no-check",
    ]);
    let headers = release_headers(&server).await;
    assert_eq!(header(&headers, "x-replicated-replicatedregistrydomain"), "registry.vendor.example");
    assert_eq!(header(&headers, "x-replicated-proxyregistrydomain"), "proxy.vendor.example:8443");
    assert_eq!(header(&headers, "x-kots-linked-registries"), "123456789012.dkr.ecr.us-east-1.amazonaws.com,quay.io");
    // The registry's token service stays on the public URL.
    let challenge = reqwest::get(format!("{}/v2/", server.url)).await.unwrap();
    let challenge = challenge.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.contains(&format!("realm=\"{}/token\"", server.url)), "{challenge}");
    // Neither domain can be linked as if it were another registry.
    let (ok, _, stderr) =
        server.try_cli(&["registry", "add", "--app", "myapp", "--endpoint", "proxy.vendor.example:8443", "--no-check"]);
    assert!(!ok && stderr.contains("own registry"), "{stderr}");

    // Unlinked, gone from the header.
    server.cli(&["registry", "remove", "--app", "myapp", "--endpoint", "quay.io"]);
    let license = server.path("license.yaml");
    let response = get(&format!("{}/release/myapp", server.url), &license_id(&license)).await;
    assert_eq!(header(response.headers(), "x-kots-linked-registries"), "123456789012.dkr.ecr.us-east-1.amazonaws.com");

    // A bad domain stops the server at start, naming the flag.
    let output = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0", "--registry-domain", "https://x.example/path", "--data-dir"])
        .arg(server.path("other-data"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--registry-domain"));
}

/// An airgap bundle of a release that names an image in the vendor's own password-protected
/// registry (here another `kots-vendor`, token auth): refused while the registry is not linked
/// (read anonymously), built once it is, with the image inside.
#[tokio::test]
async fn airgap_bundles_read_linked_registries_with_their_credentials() {
    use crate::registry::{Auth, push_image};
    let upstream = Server::start();
    upstream.cli(&["app", "create", "acme"]);
    push_image(&upstream, "acme/api", &Auth::Basic(crate::EMAIL.to_owned(), crate::PASSWORD.to_owned())).await;

    // Unlinked, the registry is reached as the operator's mirror of itself (plain HTTP), and
    // anonymously: refused.
    let mirror = format!("{0}=http://{0}", upstream.host());
    let server = Server::start_with(&["--allow-private-registries", "--registry-mirror", &mirror]);
    server.cli(&["app", "create", "myapp"]);
    let folder = server.path("release");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("pod.yaml"),
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n    - name: x\n      image: {}/acme/api:v1\n",
            upstream.host()
        ),
    )
    .unwrap();
    server.cli(&["release", "create", "--app", "myapp", "--yaml-dir", folder.to_str().unwrap(), "--promote", "stable"]);
    let license = server.path("license.yaml");
    server.cli(&[
        "customer",
        "create",
        "--app",
        "myapp",
        "--name",
        "acme",
        "--airgap",
        "--output",
        license.to_str().unwrap(),
    ]);
    let build = |output: &str| {
        server.try_cli(&[
            "airgap",
            "build",
            "--app",
            "myapp",
            "--license-file",
            license.to_str().unwrap(),
            "--compression",
            "none",
            "--output",
            server.path(output).to_str().unwrap(),
        ])
    };
    let (ok, _, stderr) = build("unlinked.airgap");
    assert!(!ok && stderr.contains("authentication failed") && stderr.contains("registry add"), "{stderr}");

    let (ok, _, stderr) = run(
        &server,
        &server.token,
        &[
            "registry",
            "add",
            "--app",
            "myapp",
            "--endpoint",
            upstream.host(),
            "--username",
            crate::EMAIL,
            "--password-stdin",
        ],
        &[],
        Some(crate::PASSWORD),
    );
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = build("linked.airgap");
    assert!(ok, "{stderr}");
    let bundle = std::fs::read(server.path("linked.airgap")).unwrap();
    // The layer is the repository name's bytes (see push_image), stored as a blob of the bundle.
    assert!(contains(&bundle, "acme/api"), "the linked image is not in the bundle");
    assert!(!server.log().contains(crate::PASSWORD));
}

//! End-to-end tests of `kots-vendor`: the binary is the only way in (bootstrap, serve, the admin
//! CLI), and the release API is checked over HTTP as `kubectl kots pull` would call it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kots_license::{License, TrustedKeys};
use kots_testkit::{KillOnDrop, spawn_server};
use tempfile::TempDir;

mod conformance;
mod credentials;
mod linked;
mod proxy;
mod registry;
mod replicas;

const BINARY: &str = env!("CARGO_BIN_EXE_kots-vendor");

/// The first user's email and password in every test server.
const EMAIL: &str = "vendor@example.com";
const PASSWORD: &str = "correct horse battery";

/// A bootstrapped `kots-vendor serve` on a free port, with its first user's token.
struct Server {
    child: KillOnDrop,
    url: String,
    token: String,
    temp: TempDir,
}

impl Server {
    fn start() -> Server {
        Server::start_with(&[])
    }

    fn start_with(serve_args: &[&str]) -> Server {
        Server::start_with_env(serve_args, &[])
    }

    /// With `serve_args` (which may name `--listen`) and environment variables for the server.
    fn start_with_env(serve_args: &[&str], env: &[(&str, &Path)]) -> Server {
        let temp = tempfile::tempdir().unwrap();
        let data = temp.path().join("data");
        let output = Command::new(BINARY)
            .args(["bootstrap", "--email", EMAIL, "--password", PASSWORD, "--data-dir"])
            .arg(&data)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        assert!(token.starts_with("kotsu_"), "{token}");

        let log = std::fs::File::create(temp.path().join("server.log")).unwrap();
        let mut command = Command::new(BINARY);
        command.arg("serve");
        if !serve_args.contains(&"--listen") {
            command.args(["--listen", "127.0.0.1:0"]);
        }
        command.arg("--data-dir").arg(&data).args(serve_args).stderr(log);
        for (name, value) in env {
            command.env(name, value);
        }
        let (child, url) = spawn_server(&mut command, "kots-vendor listening on ");
        Server { child, url, token, temp }
    }

    /// Runs an admin subcommand against this server; returns stdout, or panics with stderr.
    fn cli(&self, args: &[&str]) -> String {
        let (ok, stdout, stderr) = self.try_cli(args);
        assert!(ok, "kots-vendor {args:?} failed: {stderr}");
        stdout
    }

    fn try_cli(&self, args: &[&str]) -> (bool, String, String) {
        self.try_cli_as(&self.token, args)
    }

    /// Runs an admin subcommand with another user's token.
    fn cli_as(&self, token: &str, args: &[&str]) -> String {
        let (ok, stdout, stderr) = self.try_cli_as(token, args);
        assert!(ok, "kots-vendor {args:?} failed: {stderr}");
        stdout
    }

    fn try_cli_as(&self, token: &str, args: &[&str]) -> (bool, String, String) {
        let output = Command::new(BINARY)
            .args(args)
            .env("KOTS_VENDOR_URL", &self.url)
            .env("KOTS_VENDOR_TOKEN", token)
            .current_dir(self.temp.path())
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn path(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    /// `host:port`, as image names write the registry.
    fn host(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.temp.path().join("server.log")).unwrap_or_default()
    }
}

fn write_release(directory: &Path, marker: &str) {
    std::fs::create_dir_all(directory.join("extra")).unwrap();
    std::fs::write(
        directory.join("deployment.yaml"),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    marker: {marker}\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n"
        ),
    )
    .unwrap();
    std::fs::write(
        directory.join("kots-app.yaml"),
        "apiVersion: kots.io/v1beta1\nkind: Application\nmetadata:\n  name: myapp\nspec:\n  title: My App\n  additionalImages:\n    - busybox:1.36\n",
    )
    .unwrap();
    std::fs::write(directory.join("extra/service.yaml"), "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n")
        .unwrap();
}

fn license_id(path: &Path) -> String {
    License::load(path).unwrap().id().to_string()
}

async fn get(url: &str, license: &str) -> reqwest::Response {
    reqwest::Client::new().get(url).basic_auth(license, Some(license)).send().await.unwrap()
}

async fn error_of(response: reqwest::Response) -> String {
    let body: serde_json::Value = response.json().await.unwrap();
    body["error"].as_str().unwrap_or_default().to_owned()
}

fn unpack(archive: &[u8]) -> Vec<(String, String)> {
    use std::io::Read;
    let mut files = Vec::new();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut content = String::new();
        entry.read_to_string(&mut content).unwrap();
        files.push((path, content));
    }
    files
}

#[tokio::test]
async fn vendor_publishes_and_customer_downloads() {
    let server = Server::start();
    assert!(server.cli(&["app", "create", "myapp", "--name", "My App"]).contains("stable, beta, unstable"));

    let first = server.path("release-1");
    write_release(&first, "one");
    let created = server.cli(&[
        "release",
        "create",
        "--app",
        "myapp",
        "--yaml-dir",
        first.to_str().unwrap(),
        "--version",
        "1.0.0",
        "--promote",
        "Stable",
    ]);
    assert!(created.contains("release 1 (1.0.0) created"), "{created}");

    let license_path = server.path("license.yaml");
    server.cli(&[
        "customer",
        "create",
        "--app",
        "myapp",
        "--name",
        "Acme Corp",
        "--email",
        "ops@acme.example",
        "--airgap",
        "--entitlement",
        "seats=25",
        "--output",
        license_path.to_str().unwrap(),
    ]);
    let id = license_id(&license_path);

    // The license verifies offline against the exported global key.
    let keys = server.path("keys");
    server.cli(&["key", "export", "--output-dir", keys.to_str().unwrap()]);
    let trusted = TrustedKeys::load_dir(&keys).unwrap();
    let verified = kots_license::verify(&License::load(&license_path).unwrap(), &trusted).unwrap();
    assert!(verified.differences.is_empty());
    let license = &verified.license;
    assert_eq!(license.app_slug(), "myapp");
    assert_eq!(license.endpoint(), server.url);
    assert!(license.is_airgap_supported());
    assert_eq!(license.sequence(), 1);
    assert_eq!(license.channels().len(), 1);

    // The release, as `replicated://myapp` fetches it.
    let response = get(&format!("{}/release/myapp", server.url), &id).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["x-replicated-channelsequence"], "1");
    assert_eq!(headers["x-replicated-channelname"], "Stable");
    assert_eq!(headers["x-replicated-versionlabel"], "1.0.0");
    assert_eq!(headers["x-replicated-isrequired"], "false");
    assert_eq!(headers["x-replicated-channelid"], license.channel_id());
    let registry_host = server.url.trim_start_matches("http://");
    assert_eq!(headers["x-replicated-replicatedregistrydomain"], registry_host);
    headers["x-replicated-releasedat"].to_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    let files = unpack(&response.bytes().await.unwrap());
    let names: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(names, ["deployment.yaml", "extra/service.yaml", "kots-app.yaml"]);
    assert_eq!(files[0].1, std::fs::read_to_string(first.join("deployment.yaml")).unwrap());

    // A second release: latest by default, the first one by channelSequence, both pending.
    let second = server.path("release-2");
    write_release(&second, "two");
    server.cli(&[
        "release",
        "create",
        "--app",
        "myapp",
        "--yaml-dir",
        second.to_str().unwrap(),
        "--version",
        "1.1.0",
        "--notes",
        "faster",
        "--promote",
        "stable",
        "--required",
    ]);
    let latest = get(&format!("{}/release/myapp/stable", server.url), &id).await;
    assert_eq!(latest.headers()["x-replicated-channelsequence"], "2");
    assert_eq!(latest.headers()["x-replicated-isrequired"], "true");
    assert!(unpack(&latest.bytes().await.unwrap())[0].1.contains("marker: two"));
    let pinned = get(&format!("{}/release/myapp?channelSequence=1", server.url), &id).await;
    assert_eq!(pinned.headers()["x-replicated-versionlabel"], "1.0.0");
    assert!(unpack(&pinned.bytes().await.unwrap())[0].1.contains("marker: one"));

    let pending = get(&format!("{}/release/myapp/pending?channelSequence=1", server.url), &id).await;
    assert_eq!(pending.status(), 200);
    pending.headers()["x-replicated-updatecheckat"].to_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    let pending: serde_json::Value = pending.json().await.unwrap();
    let releases = pending["channelReleases"].as_array().unwrap();
    assert_eq!(releases.len(), 1);
    assert_eq!(releases[0]["channelSequence"], 2);
    assert_eq!(releases[0]["versionLabel"], "1.1.0");
    assert_eq!(releases[0]["releaseNotes"], "faster");
    assert_eq!(releases[0]["isRequired"], true);
    let all: serde_json::Value =
        get(&format!("{}/release/myapp/pending?channelSequence=0", server.url), &id).await.json().await.unwrap();
    assert_eq!(all["channelReleases"].as_array().unwrap().len(), 2);

    // Promoting an older release again gives it a new channel sequence.
    let promoted = server.cli(&["release", "promote", "--app", "myapp", "1", "beta"]);
    assert!(promoted.contains("channel sequence 1"), "{promoted}");
}

#[tokio::test]
async fn license_refresh_and_every_refusal() {
    let server = Server::start();
    server.cli(&["app", "create", "myapp"]);
    server.cli(&["app", "create", "other"]);
    let release = server.path("release");
    write_release(&release, "one");
    server.cli(&[
        "release",
        "create",
        "--app",
        "myapp",
        "--yaml-dir",
        release.to_str().unwrap(),
        "--promote",
        "stable",
    ]);

    let license_path = server.path("license.yaml");
    server.cli(&[
        "customer",
        "create",
        "--app",
        "myapp",
        "--name",
        "Acme",
        "--channel",
        "stable",
        "--channel",
        "beta",
        "--output",
        license_path.to_str().unwrap(),
    ]);
    let id = license_id(&license_path);

    // Refresh: the license as it is now, with its sequence bumped by a change.
    let current = get(&format!("{}/license/myapp", server.url), &id).await;
    assert_eq!(current.status(), 200);
    assert_eq!(License::parse(&current.text().await.unwrap()).unwrap().sequence(), 1);
    server.cli(&["customer", "update", "--app", "myapp", &id, "--airgap", "--entitlement", "tier=gold"]);
    let refreshed =
        License::parse(&get(&format!("{}/license/myapp", server.url), &id).await.text().await.unwrap()).unwrap();
    assert_eq!(refreshed.sequence(), 2);
    assert!(refreshed.is_airgap_supported());
    assert!(refreshed.entitlement("tier").is_some());

    // Unknown license, or user and password that differ: 401.
    let unknown = get(&format!("{}/release/myapp", server.url), "no-such-license").await;
    assert_eq!(unknown.status(), 401);
    assert!(error_of(unknown).await.contains("not known"));
    let mixed = reqwest::Client::new()
        .get(format!("{}/release/myapp", server.url))
        .basic_auth(&id, Some("other"))
        .send()
        .await
        .unwrap();
    assert_eq!(mixed.status(), 401);
    let anonymous = reqwest::Client::new().get(format!("{}/release/myapp", server.url)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));

    // Another app's releases: 403.
    let other_app = get(&format!("{}/release/other", server.url), &id).await;
    assert_eq!(other_app.status(), 403);

    // A channel the license does not hold: 403 naming the channels it does.
    let unstable = get(&format!("{}/release/myapp/unstable", server.url), &id).await;
    assert_eq!(unstable.status(), 403);
    let message = error_of(unstable).await;
    assert!(message.contains("stable, beta"), "{message}");

    // A channel with nothing promoted yet, and a channel sequence that does not exist: 404.
    let empty = get(&format!("{}/release/myapp/beta", server.url), &id).await;
    assert_eq!(empty.status(), 404);
    assert!(error_of(empty).await.contains("no release has been promoted to channel `beta`"));
    let missing = get(&format!("{}/release/myapp?channelSequence=9", server.url), &id).await;
    assert_eq!(missing.status(), 404);

    // Expired: 403 saying so.
    server.cli(&["customer", "update", "--app", "myapp", &id, "--expires", "2020-01-01T00:00:00Z"]);
    let expired = get(&format!("{}/release/myapp", server.url), &id).await;
    assert_eq!(expired.status(), 403);
    assert!(error_of(expired).await.contains("expired at 2020-01-01T00:00:00Z"));
    server.cli(&["customer", "update", "--app", "myapp", &id, "--expires", "2999-01-01T00:00:00Z"]);
    assert_eq!(get(&format!("{}/release/myapp", server.url), &id).await.status(), 200);

    // Revoked: 403 saying so, on every endpoint.
    server.cli(&["customer", "revoke", "--app", "myapp", &id]);
    for path in ["/release/myapp", "/release/myapp/pending?channelSequence=0", "/license/myapp"] {
        let revoked = get(&format!("{}{path}", server.url), &id).await;
        assert_eq!(revoked.status(), 403, "{path}");
        assert!(error_of(revoked).await.contains("revoked"), "{path}");
    }
}

#[tokio::test]
async fn admin_cli_refusals_are_clear() {
    let server = Server::start();
    // A second bootstrap of the same folder is refused.
    let output = Command::new(BINARY)
        .args(["bootstrap", "--email", "x@example.com", "--data-dir"])
        .arg(server.path("data"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("already has users"));

    let (ok, _, stderr) = server.try_cli(&["app", "create", "Bad_Slug"]);
    assert!(!ok && stderr.contains("invalid app slug"), "{stderr}");
    server.cli(&["app", "create", "myapp"]);
    let (ok, _, stderr) = server.try_cli(&["app", "create", "myapp"]);
    assert!(!ok && stderr.contains("is not available"), "{stderr}");

    // Broken YAML names the file and the line.
    let release = server.path("broken");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::write(release.join("ok.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n").unwrap();
    std::fs::write(release.join("bad.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n").unwrap();
    let (ok, _, stderr) =
        server.try_cli(&["release", "create", "--app", "myapp", "--yaml-dir", release.to_str().unwrap()]);
    assert!(!ok, "a broken release must be refused");
    assert!(stderr.contains("bad.yaml") && stderr.contains("line"), "{stderr}");

    // Unknown channel when promoting, unknown app, bad token.
    std::fs::remove_file(release.join("bad.yaml")).unwrap();
    let (ok, _, stderr) = server.try_cli(&[
        "release",
        "create",
        "--app",
        "myapp",
        "--yaml-dir",
        release.to_str().unwrap(),
        "--promote",
        "nightly",
    ]);
    assert!(!ok && stderr.contains("no channel `nightly`") && stderr.contains("stable, beta, unstable"), "{stderr}");
    let (ok, _, stderr) = server.try_cli(&["customer", "create", "--app", "nope", "--name", "x"]);
    assert!(!ok && stderr.contains("no app `nope`"), "{stderr}");
    let output =
        Command::new(BINARY).args(["app", "ls", "--url", &server.url, "--token", "kotsu_fake_fake"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not valid"));

    // Tokens and service accounts print their secret once.
    let token = server.cli(&["token", "create", "--name", "ci"]);
    assert!(token.trim().starts_with("kotsu_"));
    let account = server.cli(&["service-account", "create", "--name", "pusher", "--read-only"]);
    assert!(account.trim().starts_with("kotssa_"));
    let listed =
        Command::new(BINARY).args(["app", "ls", "--url", &server.url, "--token", token.trim()]).output().unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("myapp"));
}

#[test]
fn serve_takes_its_settings_from_a_config_file() {
    let mut server = Server::start();
    // One writer per data folder: the second server takes over the first one's records.
    server.child.kill();
    let config = server.path("vendor.toml");
    std::fs::write(
        &config,
        format!(
            "data-dir = {:?}\nlisten = \"127.0.0.1:0\"\nregistry-mirror = [\"docker.io=http://127.0.0.1:9\"]\n[s3]\npath_style = false\n",
            server.path("data").to_str().unwrap()
        ),
    )
    .unwrap();
    let mut command = Command::new(BINARY);
    command.args(["serve", "--config", config.to_str().unwrap()]).stderr(Stdio::null());
    let (mut child, url) = spawn_server(&mut command, "kots-vendor listening on ");
    // The first server's token is good on the second: the file pointed it at the same records.
    let output = Command::new(BINARY).args(["app", "ls", "--url", &url, "--token", &server.token]).output().unwrap();
    child.kill();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    std::fs::write(&config, "data-dir = \"d\"\nregistry-mirror = \"docker.io\"\n").unwrap();
    let output = Command::new(BINARY).args(["serve", "--config", config.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.starts_with("error: the config file") && stderr.contains("`registry-mirror = \"docker.io\"`"),
        "{stderr}"
    );
}

#[tokio::test]
async fn garbage_collection_runs_beside_a_read_only_registry_only() {
    let read_only = kots_registry::Options { read_only: true, ..Default::default() };
    let server = Server::start();
    let error = kots_registry::Registry::open_embedded(&server.path("data").join("registry"), read_only.clone())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("accepts pushes"), "{error}");
    drop(server);

    let server = Server::start_with(&["--registry-read-only"]);
    let registry = kots_registry::Registry::open_embedded(&server.path("data").join("registry"), read_only)
        .await
        .expect("gc shares the folder with a read-only registry");
    let report = registry.collect_garbage(Default::default()).await.unwrap();
    assert_eq!(report.blobs_removed(), 0);
    // The platform itself still works.
    server.cli(&["app", "create", "gc-lab"]);
}

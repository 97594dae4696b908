//! Servers for tests: each starts on a free port of 127.0.0.1, in its own temporary folder, and
//! is killed when dropped.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kots_testkit::{KillOnDrop, spawn_server};
use tempfile::TempDir;

/// A `kots-registry serve` process.
pub struct Registry {
    child: KillOnDrop,
    pub address: String,
    pub data_dir: PathBuf,
    _temp: Option<TempDir>,
}

impl Registry {
    pub fn start() -> Registry {
        let temp = tempfile::tempdir().unwrap();
        let data_dir = temp.path().join("data");
        let mut registry = Registry::start_in(&data_dir, &[]);
        registry._temp = Some(temp);
        registry
    }

    pub fn start_in(data_dir: &Path, extra_args: &[&str]) -> Registry {
        Registry::start_with_env(data_dir, extra_args, &[])
    }

    /// With environment variables too (credentials of an object store, say).
    pub fn start_with_env(data_dir: &Path, extra_args: &[&str], env: &[(&str, &str)]) -> Registry {
        std::fs::create_dir_all(data_dir).unwrap();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(data_dir.join("../server.log")).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_kots-registry"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra_args)
            .envs(env.iter().copied())
            .stderr(log);
        Registry::spawn(command, data_dir)
    }

    /// Runs `command` (a `kots-registry serve …`) and waits for the address it listens on.
    pub fn spawn(mut command: Command, data_dir: &Path) -> Registry {
        let (child, address) =
            spawn_server(command.env("RUST_LOG", "info,sqlx=warn"), "kots-registry listening on http://");
        Registry { child, address, data_dir: data_dir.to_owned(), _temp: None }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// `kill -9`: no chance to clean up, as in a crash.
    pub fn kill(&mut self) {
        self.child.kill();
    }

    /// Kills this process and starts a new one on the same data folder.
    pub fn restart(mut self, extra_args: &[&str]) -> Registry {
        self.kill();
        let mut next = Registry::start_in(&self.data_dir, extra_args);
        next._temp = self._temp.take();
        next
    }
}

/// Sends bytes exactly as given (no URL normalisation, no fixing of lengths) and returns the
/// status code and the whole response text.
pub fn raw_request(address: &str, request: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {text:?}")))?;
    Ok((status, text))
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// The `errors[0].code` of an OCI error body.
pub async fn error_code(response: reqwest::Response) -> String {
    let body: serde_json::Value = response.json().await.expect("an OCI error body");
    body["errors"][0]["code"].as_str().unwrap_or_default().to_owned()
}

/// Pushes `bytes` monolithically into `repository`.
pub async fn push_blob(registry: &Registry, repository: &str, bytes: &[u8]) -> kots_oci::Digest {
    let digest = kots_oci::Digest::sha256_of(bytes);
    let response = client()
        .post(registry.url(&format!("/v2/{repository}/blobs/uploads/?digest={digest}")))
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    digest
}

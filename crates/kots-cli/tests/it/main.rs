//! `kubectl kots image copy` as a user runs it: a real binary, a registry that wants a login,
//! and credentials found the way Docker users keep them.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use base64::Engine;
use kots_oci::OciLayout;
use kots_oci::media_type::*;
use serde_json::json;

mod airgap;
mod copy_cache;
mod download;
mod helm;
mod kustomize;
mod private;
mod pull;
mod pull_cases;
mod template;

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-kots");

/// The shared compatibility data beside the repository (`$KOTS_COMPAT_DIR`, else
/// `../shared/compat`, else `/work/shared/compat`), if it holds `marker`.
fn compat_dir(marker: &str) -> Option<std::path::PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        std::env::var_os("KOTS_COMPAT_DIR").map(std::path::PathBuf::from),
        Some(manifest.join("../../../shared/compat")),
        Some(std::path::PathBuf::from("/work/shared/compat")),
    ]
    .into_iter()
    .flatten()
    .find(|dir| dir.join(marker).exists())
}

/// A `kots-registry` with one htpasswd user, alice, on its own runtime.
struct Registry {
    address: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Registry {
    fn start(directory: &Path) -> Registry {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let address = runtime.block_on(kots_testkit::spawn_login_registry(directory, ("alice", "wonderland")));
        Registry { address, runtime: Some(runtime) }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn source_layout(directory: &Path) -> String {
    let layout = OciLayout::create(directory).unwrap();
    let layer = layout.write_blob_bytes(OCI_LAYER_GZIP, &vec![42u8; 100_000]).unwrap();
    let config = layout.write_blob_bytes(OCI_CONFIG, br#"{"architecture":"amd64","os":"linux"}"#).unwrap();
    let manifest = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]});
    let manifest = layout.write_blob_bytes(OCI_MANIFEST, manifest.to_string().as_bytes()).unwrap();
    layout.add_manifest(manifest, Some("v1")).unwrap();
    format!("oci:{}:v1", directory.display())
}

/// Runs `kubectl-kots image copy` with `DOCKER_CONFIG` at `docker_config` and `PATH` starting
/// with `extra_path`; returns success, stdout and stderr.
fn image_copy(args: &[&str], docker_config: &Path, extra_path: &Path) -> (bool, String, String) {
    let path = format!("{}:{}", extra_path.display(), std::env::var("PATH").unwrap_or_default());
    let output = Command::new(BINARY)
        .args(["image", "copy", "--quiet"])
        .args(args)
        .env("DOCKER_CONFIG", docker_config)
        .env("HOME", docker_config)
        .env("PATH", path)
        .env_remove("REGISTRY_AUTH_FILE")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn credentials_from_config_json_and_a_credential_helper() {
    let temp = tempfile::tempdir().unwrap();
    let registry = Registry::start(temp.path());
    let source = source_layout(&temp.path().join("source"));
    let docker_config = temp.path().join("docker");
    let bin = temp.path().join("bin");
    std::fs::create_dir_all(&docker_config).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    let target = |repository: &str| format!("http://{}/{repository}:v1", registry.address);

    // No credentials anywhere: a clear refusal.
    std::fs::write(docker_config.join("config.json"), "{}").unwrap();
    let (ok, _, stderr) = image_copy(&[&source, &target("lab/none")], &docker_config, &bin);
    assert!(!ok);
    assert!(stderr.contains("needs credentials") || stderr.contains("authentication failed"), "{stderr}");

    // `auths` in config.json, as `docker login` writes it.
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:wonderland");
    std::fs::write(
        docker_config.join("config.json"),
        json!({"auths": {registry.address.clone(): {"auth": auth}}}).to_string(),
    )
    .unwrap();
    let (ok, stdout, stderr) = image_copy(&[&source, &target("lab/auths")], &docker_config, &bin);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("sent") && stdout.contains("2 blobs"), "{stdout}");

    // A credential helper named in `credHelpers`.
    let helper = bin.join("docker-credential-kotstest");
    std::fs::write(
        &helper,
        "#!/bin/sh\nread server\necho \"$server\" > \"$(dirname \"$0\")/asked\"\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"wonderland\"}' \"$server\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        docker_config.join("config.json"),
        json!({"credHelpers": {registry.address.clone(): "kotstest"}}).to_string(),
    )
    .unwrap();
    let (ok, stdout, stderr) = image_copy(&[&source, &target("lab/helper")], &docker_config, &bin);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("sent"), "{stdout}");
    assert!(std::fs::read_to_string(bin.join("asked")).unwrap().contains(&registry.address));

    // Explicit credentials win, and a wrong password is refused without being printed.
    let (ok, _, stderr) =
        image_copy(&["--dest-creds", "alice:not-it", &source, &target("lab/explicit")], &docker_config, &bin);
    assert!(!ok);
    assert!(!stderr.contains("not-it"), "the password must not be printed: {stderr}");
    assert!(stderr.contains("alice"), "{stderr}");

    // A second copy finds everything there.
    let (ok, stdout, _) = image_copy(&[&source, &target("lab/auths")], &docker_config, &bin);
    assert!(ok);
    assert!(stdout.contains("sent 0 B in 0 blobs, skipped 2"), "{stdout}");
}

#[test]
fn bad_arguments_are_explained() {
    let temp = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = image_copy(&["oci:", "x/y:1"], temp.path(), temp.path());
    assert!(!ok && stderr.contains("oci:"), "{stderr}");
    let (ok, _, stderr) = image_copy(&["--platform", "linux", "a/b:1", "c/d:1"], temp.path(), temp.path());
    assert!(!ok && stderr.contains("OS/ARCH"), "{stderr}");
    let (ok, _, stderr) = image_copy(
        &[&format!("oci:{}:missing", temp.path().join("nothing").display()), "c/d:1"],
        temp.path(),
        temp.path(),
    );
    assert!(!ok && stderr.contains("nothing"), "{stderr}");
}

//! skopeo, the independent OCI client the tests hold our registry, transfer engine and vendor
//! against. Every run gets a policy that accepts anything, no stored credentials (a throw-away
//! auth file) and its own temporary folder.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    let temp = tempfile::tempdir().unwrap();
    Command::new("skopeo")
        .arg("--insecure-policy")
        .args(args)
        .env("REGISTRY_AUTH_FILE", temp.path().join("auth.json"))
        .env("TMPDIR", temp.path())
        .output()
        .expect("skopeo is installed (apt-get install skopeo)")
}

/// Runs skopeo and returns its stdout; panics with its stderr if it fails.
pub fn skopeo(args: &[&str]) -> String {
    skopeo_with_log(args).0
}

/// Runs skopeo as [`skopeo`] does, and also returns its log (stderr; with `--debug`, one line
/// per HTTP request).
pub fn skopeo_with_log(args: &[&str]) -> (String, String) {
    let output = run(args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "skopeo {args:?} failed: {}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    (stdout, String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Runs skopeo that may fail: success, and stdout (or stderr when it failed).
pub fn try_skopeo(args: &[&str]) -> (bool, String) {
    let output = run(args);
    if output.status.success() {
        (true, String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        (false, String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The exact bytes of the manifest `reference` (`host:port/repository:tag` or `@digest`) names
/// on a plain-HTTP registry, as skopeo reads them.
pub fn skopeo_raw(reference: &str) -> Vec<u8> {
    let output = run(&["inspect", "--raw", "--tls-verify=false", &format!("docker://{reference}")]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

//! `kubectl kots template` as a vendor runs it on a release folder: the real binary, files on
//! disk, KOTS's two delimiter passes.

use std::process::{Command, Stdio};

use super::BINARY;

#[test]
fn template_renders_every_file_of_a_release_folder_and_names_the_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("release");
    std::fs::create_dir_all(release.join("sub")).unwrap();
    std::fs::write(
        release.join("a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  x: 'repl{{ \"one\" }}'\n  y: '{{repl 2 }}'\n  helm: '{{ .Values.x }}'\n",
    )
    .unwrap();
    std::fs::write(release.join("sub/b.yaml"), "b: repl{{ 3 }}\n").unwrap();

    let out = Command::new(BINARY).args(["template"]).arg(&release).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        stdout,
        "---\n# Source: a.yaml\napiVersion: v1\nkind: ConfigMap\ndata:\n  x: 'one'\n  y: '2'\n  helm: '{{ .Values.x }}'\n---\n# Source: sub/b.yaml\nb: 3\n"
    );

    std::fs::write(release.join("c.yaml"), "ok: true\nbad: repl{{ if }}\n").unwrap();
    let out = Command::new(BINARY).args(["template"]).arg(&release).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert!(stderr.contains("template: c.yaml:2: missing value for if"), "{stderr}");
    assert!(stderr.contains("1 of 3 files did not render"), "{stderr}");
}

#[test]
fn template_reads_standard_input() {
    let mut child =
        Command::new(BINARY).args(["template", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"n: repl{{ 0x10 }}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "n: 16");
}

#[test]
fn template_renders_in_the_context_of_a_release_its_config_values_and_a_license() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::write(
        release.join("config.yaml"),
        r#"apiVersion: kots.io/v1beta1
kind: Config
metadata:
  name: config
spec:
  groups:
    - name: main
      title: Main
      items:
        - name: hostname
          type: text
          default: example.com
        - name: url
          type: text
          readonly: true
          value: 'https://repl{{ ConfigOption "hostname" }}:repl{{ ConfigOption "port" }}'
        - name: port
          type: text
          default: "8080"
"#,
    )
    .unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        "apiVersion: kots.io/v1beta1\nkind: ConfigValues\nspec:\n  values:\n    hostname:\n      value: app.corp.example\n",
    )
    .unwrap();
    let license = dir.path().join("license.yaml");
    std::fs::write(
        &license,
        "apiVersion: kots.io/v1beta1\nkind: License\nmetadata:\n  name: acme\nspec:\n  licenseID: lic-1\n  appSlug: myapp\n  entitlements:\n    seats:\n      title: Seats\n      value: 25\n",
    )
    .unwrap();
    let manifest = dir.path().join("cm.yaml");
    std::fs::write(
        &manifest,
        "url: repl{{ ConfigOption \"url\" }}\nseats: '{{repl LicenseFieldValue \"seats\" }}'\nsecret: repl{{ ImagePullSecretName }}\nns: repl{{ Namespace }}\n",
    )
    .unwrap();

    let out = Command::new(BINARY)
        .args(["template", "-n", "prod", "--local-path"])
        .arg(&release)
        .arg("--config-values")
        .arg(&values)
        .arg("--license-file")
        .arg(&license)
        .arg(&manifest)
        .env("KOTS_TRUSTED_KEYS", dir.path().join("no-keys"))
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    // The url item is readonly: rendered from the Config after the items it names, with the
    // customer's hostname and the port's default.
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "url: https://app.corp.example:8080\nseats: '25'\nsecret: myapp-registry\nns: prod\n"
    );
    assert!(stderr.contains("does not verify against a trusted key"), "{stderr}");

    // A cycle between items is KOTS's error, naming them.
    std::fs::write(
        release.join("config.yaml"),
        "apiVersion: kots.io/v1beta1\nkind: Config\nspec:\n  groups:\n    - name: g\n      items:\n        - name: a\n          default: 'repl{{ ConfigOption \"b\" }}'\n        - name: b\n          default: 'repl{{ ConfigOption \"a\" }}'\n",
    )
    .unwrap();
    let out = Command::new(BINARY).args(["template", "--local-path"]).arg(&release).arg(&manifest).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert!(
        stderr.contains(r#"no config options exist with 0 dependencies - "a" depends on "b"; "b" depends on "a""#),
        "{stderr}"
    );
}

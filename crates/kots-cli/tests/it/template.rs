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

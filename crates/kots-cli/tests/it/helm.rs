//! `kubectl kots helm template` against Helm itself: every case of the public-chart corpus
//! (`../shared/compat/helm-charts/`, README there) rendered with `-o json` and compared with
//! what Helm v4.2.3 rendered, by the corpus's own `compare.py` (template paths, documents equal
//! once parsed, bytes), and failing where Helm fails. Printed per case: template paths wanted /
//! ours, files equal parsed, files byte-equal.
//!
//! The corpus lives beside the repository (`$KOTS_COMPAT_DIR`, else `../shared/compat`, else
//! `/work/shared/compat`); without it, or without python3 and PyYAML, the test says so and passes.

use std::process::Command;

use serde_json::Value;

use crate::BINARY;

#[test]
fn public_charts_render_as_helm_renders_them() {
    let Some(compat) = crate::compat_dir("helm-charts/cases.json") else {
        eprintln!("helm-charts corpus not found (set KOTS_COMPAT_DIR): skipped");
        return;
    };
    let corpus = compat.join("helm-charts");
    let python_ok = Command::new("python3").args(["-c", "import yaml"]).status().is_ok_and(|s| s.success());
    if !python_ok {
        eprintln!("python3 with PyYAML is needed to run compare.py: skipped");
        return;
    }
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(corpus.join("cases.json")).unwrap()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let (mut agree, mut total_bytes, mut total_files) = (0, 0, 0);
    println!("case: paths wanted / ours; files equal parsed; byte-equal");
    for case in &cases {
        let (chart, name) = (case["chart"].as_str().unwrap(), case["case"].as_str().unwrap());
        let id = format!("{chart}/{name}");
        let options = &case["render_options"];
        let mut command = Command::new(BINARY);
        command
            .args(["helm", "template", options["name"].as_str().unwrap_or("rel")])
            .arg(corpus.join(chart).join("chart"))
            .arg("-f")
            .arg(corpus.join(case["values"].as_str().unwrap()))
            .args(["--namespace", options["namespace"].as_str().unwrap_or("ns")])
            .args(["--kube-version", options["kube_version"].as_str().unwrap_or("v1.30.0")])
            .args(["-o", "json"]);
        for api in options["api_versions"].as_array().into_iter().flatten() {
            command.args(["--api-versions", api.as_str().unwrap()]);
        }
        if options["is_upgrade"] == true {
            command.arg("--is-upgrade");
        }
        if let Some(revision) = options["revision"].as_i64() {
            command.args(["--revision", &revision.to_string()]);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        // Every case must agree with Helm on paths and documents, and refuse where Helm refuses,
        // in Helm's words.
        let required = true;
        if case["expect"] == "error" {
            let wanted =
                std::fs::read_to_string(corpus.join(chart).join("expected").join(format!("{name}.error"))).unwrap();
            let message = wanted.split_once(": ").map_or(wanted.as_str(), |(_, m)| m).trim();
            let same = stderr.contains(message.lines().next().unwrap_or(message));
            println!(
                "{id}: Helm refuses it; ours {} ({})",
                if output.status.success() { "renders" } else { "refuses" },
                if same { "same words" } else { "other words" }
            );
            if output.status.success() {
                failures.push(format!("{id}: Helm refuses it ({message}), ours renders"));
            } else if required && !same {
                failures.push(format!("{id}: wanted {message:?}, got {stderr}"));
            }
            continue;
        }
        if !output.status.success() {
            println!("{id}: ours fails: {}", stderr.lines().next().unwrap_or_default());
            if required {
                failures.push(format!("{id}: {stderr}"));
            }
            continue;
        }
        let ours = work.path().join(format!("{chart}-{name}.json"));
        std::fs::write(&ours, &output.stdout).unwrap();
        let expected = corpus.join(chart).join("expected").join(name);
        let compared =
            Command::new("python3").arg(corpus.join("compare.py")).arg(&expected).arg(&ours).output().unwrap();
        let result: Value = serde_json::from_slice(&compared.stdout)
            .unwrap_or_else(|_| panic!("compare.py: {}", String::from_utf8_lossy(&compared.stderr)));
        let wanted_files = case["files"].as_u64().unwrap_or(0) as usize;
        let count = |key: &str| result[key].as_array().map_or(0, Vec::len);
        let ours_files: Value = serde_json::from_slice(&output.stdout).unwrap();
        let ours_count = ours_files.as_object().map_or(0, |m| m.len());
        let parsed = wanted_files.saturating_sub(count("missing") + count("docs_differ"));
        let bytes = wanted_files.saturating_sub(count("missing") + count("bytes_differ"));
        total_files += wanted_files;
        total_bytes += bytes;
        let ok = count("missing") + count("extra") + count("docs_differ") == 0;
        agree += usize::from(ok);
        println!(
            "{id}: {wanted_files} / {ours_count}; {parsed} parsed; {bytes} bytes{}",
            if ok { "" } else { "  (differs)" }
        );
        if required && !ok {
            failures.push(format!("{id}: {}", serde_json::to_string(&result).unwrap()));
        }
    }
    println!(
        "{agree} of {} rendering cases agree with Helm; {total_bytes} of {total_files} files byte-equal",
        cases.iter().filter(|c| c["expect"] != "error").count()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn helm_template_prints_as_helm_template_does_and_writes_an_output_dir() {
    let Some(compat) = crate::compat_dir("helm-charts/cases.json") else {
        eprintln!("helm-charts corpus not found (set KOTS_COMPAT_DIR): skipped");
        return;
    };
    let chart = compat.join("helm-charts/fluent-bit/chart");
    let run = |extra: &[&str]| {
        let output = Command::new(BINARY).args(["helm", "template", "rel"]).arg(&chart).args(extra).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let printed = run(&["-n", "ns"]);
    assert!(
        printed.starts_with("---\n# Source: fluent-bit/templates/serviceaccount.yaml\n"),
        "ServiceAccounts first: {printed}"
    );
    assert!(!printed.contains("NOTES.txt"), "NOTES.txt is not printed");
    let sources: Vec<&str> = printed.lines().filter_map(|l| l.strip_prefix("# Source: ")).collect();
    let kinds: Vec<&str> = printed.lines().filter_map(|l| l.strip_prefix("kind: ")).collect();
    assert_eq!(sources.len(), kinds.len(), "one # Source per document");
    let service = kinds.iter().position(|k| *k == "Service").unwrap();
    let daemonset = kinds.iter().position(|k| *k == "DaemonSet").unwrap();
    assert!(service < daemonset, "Helm's install order: {kinds:?}");
    assert!(sources.last().unwrap().contains("tests/"), "the test hook last: {sources:?}");
    assert!(!run(&["--skip-tests"]).contains("tests/test-connection.yaml"));

    let dir = tempfile::tempdir().unwrap();
    run(&["--output-dir", dir.path().to_str().unwrap()]);
    let written = std::fs::read_to_string(dir.path().join("fluent-bit/templates/daemonset.yaml")).unwrap();
    assert!(
        written.starts_with("---\n# Source: fluent-bit/templates/daemonset.yaml\nkind: DaemonSet\n")
            || written.starts_with("---\n# Source: fluent-bit/templates/daemonset.yaml\napiVersion"),
        "{written}"
    );
}

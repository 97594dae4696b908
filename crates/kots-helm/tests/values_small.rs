//! Small charts of our own, each for one rule of Helm's values: aliases, import-values in both
//! forms (and `exports`), tags against conditions, `null` deleting defaults, globals, library
//! charts, apiVersion v1 `requirements.yaml`. Each is checked two ways: assertions written from
//! what Helm v4.2.3 gave (render.py, `{{ toJson .Values }}` in each chart), and, when python3
//! with helm_python is there (and KOTS_HELM_SKIP_ORACLE is not 1), against Helm live: `.Values`
//! and `.Chart` of every chart Helm renders, and the set of enabled charts. Helm's answers are
//! cached under target/tmp.

mod common;
use common::{oracle_available, write_chart};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use kots_helm::chart::{Chart, load_dir};
use kots_helm::values::{load_values, render_values, validate_schema};
use serde_json::{Value, json};

const SEP: &str = "\n=====CHART=====\n";
const PROBE: &str = "zz-probe.yaml";

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

fn add_probes(dir: &Path) {
    if dir.join("Chart.yaml").is_file() {
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(
            dir.join("templates").join(PROBE),
            format!("{{{{ toJson .Values }}}}{SEP}{{{{ toJson .Chart }}}}"),
        )
        .unwrap();
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("charts")) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                add_probes(&e.path());
            }
        }
    }
}

/// Helm's render of the chart with probes, `{path: text}` or the error, cached.
fn oracle(name: &str, files: &[(&str, &str)], user: &str) -> Result<serde_json::Map<String, Value>, String> {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("helm-oracle-small");
    let key = fnv(&format!("{files:?}{user}"));
    let cache = base.join(format!("{name}-{key:x}.json"));
    let answer: Value = match std::fs::read_to_string(&cache) {
        Ok(text) => serde_json::from_str(&text).unwrap(),
        Err(_) => {
            let dir = base.join("work").join(name).join(name);
            write_chart(&dir, files);
            add_probes(&dir);
            let values = dir.with_file_name("user.yaml");
            std::fs::write(&values, user).unwrap();
            let out = Command::new("python3")
                .arg("/work/shared/compat/helm-charts/render.py")
                .arg(&dir)
                .arg("-f")
                .arg(&values)
                .output()
                .unwrap();
            let answer = if out.status.success() {
                json!({ "ok": serde_json::from_slice::<Value>(&out.stdout).unwrap() })
            } else {
                json!({ "error": String::from_utf8_lossy(&out.stderr).trim().to_owned() })
            };
            std::fs::create_dir_all(&base).unwrap();
            std::fs::write(&cache, answer.to_string()).unwrap();
            answer
        }
    };
    match answer.get("ok") {
        Some(Value::Object(m)) => Ok(m.clone()),
        _ => Err(answer["error"].as_str().unwrap_or_default().to_owned()),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn walk<'a>(chart: &'a Chart, path: &str, values: &Value, out: &mut Vec<(String, Value, &'a Chart)>) {
    out.push((path.to_owned(), values.clone(), chart));
    for dep in &chart.dependencies {
        let sub = values.get(dep.name()).cloned().unwrap_or(json!({}));
        walk(dep, &format!("{path}/charts/{}", dep.name()), &sub, out);
    }
}

/// Loads and computes the values with our code, compares with Helm when it is there, and
/// returns the processed chart and the top `.Values`.
fn run(name: &str, files: &[(&str, &str)], user: &str) -> (Chart, Value) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("values-small").join(name).join(name);
    write_chart(&dir, files);
    let mut chart = load_dir(&dir).unwrap();
    let user_values = load_values(user.as_bytes()).unwrap();
    let values = render_values(&mut chart, &user_values).unwrap();
    validate_schema(&chart, &values).unwrap();
    if oracle_available() {
        let helm = oracle(name, files, user).unwrap();
        let mut ours = Vec::new();
        walk(&chart, chart.name(), &values, &mut ours);
        let helm_paths: BTreeSet<String> =
            helm.keys().filter_map(|k| k.strip_suffix(&format!("/templates/{PROBE}"))).map(str::to_owned).collect();
        let our_paths: BTreeSet<String> =
            ours.iter().filter(|(_, _, c)| c.metadata.kind != "library").map(|(p, _, _)| p.clone()).collect();
        assert_eq!(our_paths, helm_paths, "{name}: enabled charts");
        for (path, vals, c) in &ours {
            let Some(text) = helm.get(&format!("{path}/templates/{PROBE}")) else { continue };
            let (hv, hc) = text.as_str().unwrap().split_once(SEP).unwrap();
            let hv: Value = serde_json::from_str(hv).unwrap();
            let hc: Value = serde_json::from_str(hc).unwrap();
            assert!(same(vals, &hv), "{name} {path} .Values:\nours {vals}\nhelm {hv}");
            assert!(same(&c.metadata.document, &hc), "{name} {path} .Chart:\nours {}\nhelm {hc}", c.metadata.document);
        }
    } else {
        eprintln!("values_small: python3 with helm_python missing or KOTS_HELM_SKIP_ORACLE=1: Helm's side skipped");
    }
    (chart, whole_numbers(values))
}

/// The values with whole float64s written as integers, so the expectations below read `1`
/// for Helm's float64 1 (Helm reads every number as a float64; that is checked above).
fn whole_numbers(value: Value) -> Value {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(whole_numbers).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, whole_numbers(v))).collect()),
        other => other,
    }
}

const SUB: &str = "apiVersion: v2\nname: sub\nversion: 1.2.3\n";

#[test]
fn alias_and_import_values_both_forms() {
    let files = [
        (
            "Chart.yaml",
            "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n\
             - name: sub\n  version: ^1.0.0\n  repository: ''\n  alias: first\n  import-values:\n  - child: data\n    parent: fromchild\n  - exp\n\
             - name: sub\n  version: ~1.2\n  repository: ''\n  alias: second\n  condition: second.enabled\n",
        ),
        ("values.yaml", "fromchild:\n  mine: 1\n  d: parent-wins\n"),
        ("charts/sub/Chart.yaml", SUB),
        ("charts/sub/values.yaml", "data:\n  d: 2\n  e: 3\nexports:\n  exp:\n    exported: yes\nenabled: true\n"),
    ];
    let (chart, values) = run("alias", &files, "second:\n  enabled: false\n");
    // From Helm: the alias `first` only (second off by its condition), imports under the
    // parent's own values (`d` stays the parent's), exports at the top.
    let names: Vec<&str> = chart.dependencies.iter().map(|c| c.name()).collect();
    assert_eq!(names, ["first"]);
    assert_eq!(values["fromchild"], json!({"mine": 1, "d": "parent-wins", "e": 3}));
    assert_eq!(values["exported"], json!(true));
    assert!(values.get("second").is_some(), "user values stay");
    assert_eq!(
        chart.metadata.document["Dependencies"][0]["ImportValues"],
        json!([{"child": "data", "parent": "fromchild"}, {"child": "exports.exp", "parent": "."}])
    );
}

#[test]
fn tags_and_conditions() {
    let files = [
        (
            "Chart.yaml",
            "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n\
             - {name: a, version: 1.0.0, repository: '', tags: [t1], condition: a.enabled}\n\
             - {name: b, version: 1.0.0, repository: '', tags: [t2]}\n\
             - {name: c, version: 1.0.0, repository: '', tags: [t1, t2]}\n\
             - {name: d, version: 1.0.0, repository: '', tags: [t1], condition: 'nothere.enabled,d.switch'}\n",
        ),
        ("charts/a/Chart.yaml", "apiVersion: v2\nname: a\nversion: 1.0.0\n"),
        ("charts/b/Chart.yaml", "apiVersion: v2\nname: b\nversion: 1.0.0\n"),
        ("charts/c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n"),
        ("charts/d/Chart.yaml", "apiVersion: v2\nname: d\nversion: 1.0.0\n"),
        ("charts/d/values.yaml", "switch: false\n"),
    ];
    let (chart, _) = run("tags", &files, "tags:\n  t1: false\n  t2: true\na:\n  enabled: true\n");
    // From Helm: a on (its condition beats tag t1), b on (t2), c on (one tag true), d off by
    // the first path of its condition list that holds a bool.
    let names: BTreeSet<&str> = chart.dependencies.iter().map(|c| c.name()).collect();
    assert_eq!(names, BTreeSet::from(["a", "b", "c"]));
}

#[test]
fn null_deletes_defaults() {
    let files = [
        ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 0.1.0\n"),
        ("values.yaml", "x:\n  y: 1\n  z: 2\nown: null\nnested:\n  n: null\n  k: 1\n"),
        ("charts/sub/Chart.yaml", SUB),
        ("charts/sub/values.yaml", "p:\n  q: 1\n  r: 2\nsubnull: null\n"),
    ];
    let (_, values) = run("nulls", &files, "x:\n  y: null\nsub:\n  p:\n    q: null\nfresh: null\n");
    // From Helm: user nulls delete defaults; a null the chart does not define stays; the
    // chart's own nulls go.
    assert_eq!(values["x"], json!({"z": 2}));
    assert_eq!(values["sub"]["p"], json!({"r": 2}));
    assert_eq!(values["fresh"], Value::Null);
    assert!(values.get("own").is_none());
    assert_eq!(values["nested"], json!({"k": 1}));
    assert!(values["sub"].get("subnull").is_none());
}

#[test]
fn globals_reach_every_chart() {
    let files = [
        ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 0.1.0\n"),
        ("values.yaml", "global:\n  a: 1\n  net:\n    x: 1\n"),
        ("charts/sub/Chart.yaml", SUB),
        ("charts/sub/values.yaml", "global:\n  b: 2\n  a: sub-default\n  net:\n    yy: 2\n"),
        ("charts/sub/charts/leaf/Chart.yaml", "apiVersion: v2\nname: leaf\nversion: 0.0.1\n"),
        ("charts/sub/charts/leaf/values.yaml", "global:\n  c: 3\n"),
    ];
    let (_, values) = run("globals", &files, "global:\n  a: 10\n");
    // From Helm: parents' globals win over subcharts' defaults, and reach the leaves.
    assert_eq!(values["global"], json!({"a": 10, "net": {"x": 1}}));
    assert_eq!(values["sub"]["global"], json!({"a": 10, "b": 2, "net": {"x": 1, "yy": 2}}));
    assert_eq!(values["sub"]["leaf"]["global"], json!({"a": 10, "b": 2, "c": 3, "net": {"x": 1, "yy": 2}}));
}

#[test]
fn library_chart_values_are_kept() {
    let files = [
        (
            "Chart.yaml",
            "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n- {name: lib, version: 0.x, repository: '', tags: [libs]}\n",
        ),
        ("charts/lib/Chart.yaml", "apiVersion: v2\nname: lib\nversion: 0.3.0\ntype: library\n"),
        ("charts/lib/values.yaml", "helper: true\n"),
        ("charts/lib/templates/_helpers.tpl", "{{- define \"lib.name\" -}}lib{{- end -}}\n"),
    ];
    let (chart, values) = run("library", &files, "");
    assert_eq!(chart.dependencies[0].metadata.kind, "library");
    assert_eq!(values["lib"]["helper"], json!(true));
    let (chart, _) = run("library-off", &files, "tags:\n  libs: false\n");
    assert!(chart.dependencies.is_empty());
}

#[test]
fn api_v1_requirements_yaml() {
    let files = [
        ("Chart.yaml", "apiVersion: v1\nname: old\nversion: 0.1.0\n"),
        (
            "requirements.yaml",
            "dependencies:\n- name: sub\n  version: 1.2.3\n  repository: ''\n  condition: renamed.enabled\n  alias: renamed\n",
        ),
        ("values.yaml", "renamed:\n  enabled: true\n"),
        ("charts/sub/Chart.yaml", SUB),
        ("charts/sub/values.yaml", "enabled: false\nk: v\n"),
    ];
    let (chart, values) = run("v1reqs", &files, "");
    assert_eq!(chart.dependencies[0].name(), "renamed");
    assert_eq!(values["renamed"], json!({"enabled": true, "k": "v", "global": {}}));
    assert!(chart.files.iter().any(|f| f.name == "requirements.yaml"), "v1 keeps requirements.yaml in .Files");
    let (chart, _) = run("v1reqs-off", &files, "renamed:\n  enabled: false\n");
    assert!(chart.dependencies.is_empty());
}

#[test]
fn schema_errors_as_helm_prints_them() {
    let files = [
        ("Chart.yaml", "apiVersion: v2\nname: top\nversion: 0.1.0\n"),
        (
            "values.schema.json",
            r#"{"type":"object","required":["name"],"properties":{"port":{"type":"integer","minimum":1}}}"#,
        ),
        ("charts/sub/Chart.yaml", SUB),
        ("charts/sub/values.schema.json", r#"{"properties":{"mode":{"enum":["a","b"]}}}"#),
    ];
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("values-small").join("schema").join("top");
    write_chart(&dir, &files);
    let mut chart = load_dir(&dir).unwrap();
    let user = "name: x\nport: 0\nsub:\n  mode: c\n";
    let values = render_values(&mut chart, &load_values(user.as_bytes()).unwrap()).unwrap();
    let ours = validate_schema(&chart, &values).unwrap_err().to_string();
    // Helm's text (render.py), one violation per chart so that the order is stable.
    let helm_text = "values don't meet the specifications of the schema(s) in the following chart(s):\n\
                     top:\n- at '/port': minimum: got 0, want 1\n\
                     sub:\n- at '/mode': value must be one of 'a', 'b'\n";
    assert_eq!(ours, helm_text);
    if oracle_available() {
        let helm = oracle("schema", &files, user).unwrap_err();
        assert_eq!(helm.trim_start_matches("ERROR HelmValuesError: ").trim_end(), ours.trim_end());
    }
}

//! The values of every case of the Helm corpus (/work/shared/compat/helm-charts) against Helm
//! v4.2.3 itself: each chart is loaded with `load_dir`, its values computed by `render_values`
//! and checked by `validate_schema`; Helm's `.Values` and `.Chart` for the top chart and every
//! enabled subchart come from `render.py` on a copy of the chart whose templates are replaced
//! by one `{{ toJson .Values }}` / `{{ toJson .Chart }}` template per chart. Helm's answers are
//! cached under target/tmp so reruns are fast; without python3 + helm_python (or with
//! KOTS_HELM_SKIP_ORACLE=1) the Helm side is skipped with a message, the corpus' expected
//! paths are still checked.

mod common;
use common::oracle_available;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use kots_helm::chart::{Chart, load_dir};
use kots_helm::values::{render_values, validate_schema};
use serde_json::Value;

const CORPUS: &str = "/work/shared/compat/helm-charts";
const PROBE: &str = "zz-values.yaml";
const SEP: &str = "\n=====CHART=====\n";

fn copy_tree(from: &Path, to: &Path, strip_templates: bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let src = entry.path();
        let dst = to.join(&name);
        if src.is_dir() {
            if strip_templates && name == "templates" {
                continue;
            }
            copy_tree(&src, &dst, strip_templates);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Every chart folder of the tree (the top and each folder under `charts/`), with a probe.
fn add_probes(dir: &Path) {
    if dir.join("Chart.yaml").is_file() {
        let templates = dir.join("templates");
        std::fs::create_dir_all(&templates).unwrap();
        std::fs::write(templates.join(PROBE), format!("{{{{ toJson .Values }}}}{SEP}{{{{ toJson .Chart }}}}")).unwrap();
    }
    let charts = dir.join("charts");
    if let Ok(entries) = std::fs::read_dir(&charts) {
        for entry in entries.flatten() {
            if entry.path().is_dir() {
                add_probes(&entry.path());
            }
        }
    }
}

/// Helm's answer for a case: `Ok({template path: text})` or `Err(error text)`, cached.
fn oracle(case: &Value, cache_dir: &Path) -> Result<serde_json::Map<String, Value>, String> {
    let chart = case["chart"].as_str().unwrap();
    let name = case["case"].as_str().unwrap();
    let cache = cache_dir.join(format!("{chart}-{name}.json"));
    if let Ok(text) = std::fs::read_to_string(&cache) {
        let v: Value = serde_json::from_str(&text).unwrap();
        return match v {
            Value::Object(m) if m.contains_key("ok") => Ok(m["ok"].as_object().unwrap().clone()),
            v => Err(v["error"].as_str().unwrap_or_default().to_owned()),
        };
    }
    let work = cache_dir.join("work").join(format!("{chart}-{name}")).join(chart);
    let _ = std::fs::remove_dir_all(&work);
    copy_tree(&Path::new(CORPUS).join(chart).join("chart"), &work, true);
    add_probes(&work);
    let opts = work.with_file_name("opts.json");
    std::fs::write(&opts, case["render_options"].to_string()).unwrap();
    let out = Command::new("python3")
        .arg(Path::new(CORPUS).join("render.py"))
        .arg(&work)
        .arg("-f")
        .arg(Path::new(CORPUS).join(case["values"].as_str().unwrap()))
        .arg("--opts")
        .arg(&opts)
        .output()
        .expect("python3 runs");
    let result = if out.status.success() {
        let v: Value = serde_json::from_slice(&out.stdout).expect("render.py prints JSON");
        serde_json::json!({ "ok": v })
    } else {
        serde_json::json!({ "error": String::from_utf8_lossy(&out.stderr).trim().to_owned() })
    };
    std::fs::write(&cache, result.to_string()).unwrap();
    match result {
        Value::Object(m) if m.contains_key("ok") => Ok(m["ok"].as_object().unwrap().clone()),
        v => Err(v["error"].as_str().unwrap_or_default().to_owned()),
    }
}

/// JSON equality with numbers compared as f64 (Helm's values are float64).
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

/// A first difference, for messages.
fn diff(a: &Value, b: &Value, path: &str) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) if same(p, q) => {}
                    (Some(p), Some(q)) => return diff(p, q, &format!("{path}.{k}")),
                    (p, q) => return format!("{path}.{k}: ours {p:?} helm {q:?}"),
                }
            }
            String::new()
        }
        _ => format!("{path}: ours {a} helm {b}"),
    }
}

/// The enabled charts of a processed tree: chart path (`top/charts/sub`) → (values, chart).
fn walk<'a>(chart: &'a Chart, path: &str, values: &Value, out: &mut Vec<(String, Value, &'a Chart)>) {
    out.push((path.to_owned(), values.clone(), chart));
    for dep in &chart.dependencies {
        let sub = values.get(dep.name()).cloned().unwrap_or(Value::Object(Default::default()));
        walk(dep, &format!("{path}/charts/{}", dep.name()), &sub, out);
    }
}

fn expected_prefixes(dir: &Path) -> BTreeSet<String> {
    fn files(dir: &Path, rel: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            if entry.path().is_dir() {
                files(&entry.path(), &r, out);
            } else {
                out.push(r);
            }
        }
    }
    let mut all = Vec::new();
    files(dir, "", &mut all);
    // The chart path of a file is its `NAME(/charts/NAME)*` head (templates may sit in
    // subfolders of templates/).
    all.iter()
        .filter_map(|f| {
            let first = f.split('/').next()?;
            let mut acc = first.to_owned();
            let mut rest = &f[first.len()..];
            while let Some(r) = rest.strip_prefix("/charts/") {
                let n = r.split('/').next()?;
                acc.push_str("/charts/");
                acc.push_str(n);
                rest = &r[n.len()..];
            }
            Some(acc)
        })
        .collect()
}

#[test]
fn corpus_values_agree_with_helm() {
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(Path::new(CORPUS).join("cases.json")).unwrap()).unwrap();
    let use_oracle = oracle_available();
    if !use_oracle {
        eprintln!("values_oracle: python3 with helm_python missing or KOTS_HELM_SKIP_ORACLE=1: Helm's side skipped");
    }
    let cache_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("helm-oracle-values");
    std::fs::create_dir_all(&cache_dir).unwrap();
    let mut failures = Vec::new();
    let mut agree = 0;
    for case in &cases {
        let chart_name = case["chart"].as_str().unwrap();
        let name = case["case"].as_str().unwrap();
        let label = format!("{chart_name}/{name}");
        let mut problems = Vec::new();
        let mut chart = load_dir(&Path::new(CORPUS).join(chart_name).join("chart")).unwrap();
        let user_text = std::fs::read(Path::new(CORPUS).join(case["values"].as_str().unwrap())).unwrap();
        let user = kots_helm::values::load_values(&user_text).unwrap();
        let values = render_values(&mut chart, &user).unwrap();
        let schema = validate_schema(&chart, &values);
        let mut ours = Vec::new();
        walk(&chart, chart.name(), &values, &mut ours);
        let enabled: BTreeSet<String> = ours.iter().map(|(p, _, _)| p.clone()).collect();

        // The corpus' expected output: its charts are among ours, and ours with templates to
        // render are in it.
        let expected_dir = Path::new(CORPUS).join(chart_name).join("expected").join(name);
        if expected_dir.is_dir() {
            let prefixes = expected_prefixes(&expected_dir);
            for p in &prefixes {
                if !enabled.contains(p) {
                    problems.push(format!("Helm renders {p}, we dropped it"));
                }
            }
            for (p, _, c) in &ours {
                let renders =
                    c.templates.iter().any(|t| !t.name.rsplit('/').next().unwrap_or_default().starts_with('_'))
                        && c.metadata.kind != "library";
                if renders && !prefixes.contains(p) {
                    problems.push(format!("we keep {p}, Helm renders nothing of it"));
                }
            }
        }
        // The crds/ Helm would install for the case (expected/CASE.crds.json).
        let crds_file = Path::new(CORPUS).join(chart_name).join("expected").join(format!("{name}.crds.json"));
        if let Ok(text) = std::fs::read_to_string(&crds_file) {
            let want: Vec<String> = serde_json::from_str(&text).unwrap();
            let mut got: Vec<String> = chart.crd_objects().into_iter().map(|(n, _)| n).collect();
            got.sort();
            if got != want {
                problems.push(format!("crds: ours {got:?} helm {want:?}"));
            }
        } else if case["expect"] == "ok" && case["crds"].as_u64() == Some(0) && !chart.crd_objects().is_empty() {
            problems.push("crds: Helm installs none, we have some".to_owned());
        }
        let expected_error =
            std::fs::read_to_string(Path::new(CORPUS).join(chart_name).join("expected").join(format!("{name}.error")))
                .ok();
        let schema_error = expected_error.as_deref().filter(|e| e.starts_with("HelmValuesError: "));
        match (schema_error, &schema) {
            (Some(e), Err(ours)) => {
                let helm = e.trim_start_matches("HelmValuesError: ").trim_end();
                if ours.to_string().trim_end() != helm {
                    problems.push(format!("schema error differs: ours {:?} helm {helm:?}", ours.to_string()));
                }
            }
            (Some(_), Ok(())) => problems.push("Helm's schema refuses the values, ours accepts".into()),
            (None, Err(e)) => problems.push(format!("our schema check refuses: {e}")),
            (None, Ok(())) => {}
        }

        if use_oracle && schema_error.is_none() {
            match oracle(case, &cache_dir) {
                Err(e) => problems.push(format!("oracle failed: {e}")),
                Ok(rendered) => {
                    let helm_paths: BTreeSet<String> = rendered
                        .keys()
                        .filter_map(|k| k.strip_suffix(&format!("/templates/{PROBE}")).map(str::to_owned))
                        .collect();
                    // Helm renders no template of a library chart.
                    let rendering: BTreeSet<String> = ours
                        .iter()
                        .filter(|(_, _, c)| c.metadata.kind != "library")
                        .map(|(p, _, _)| p.clone())
                        .collect();
                    if helm_paths != rendering {
                        problems.push(format!("enabled charts: ours {rendering:?} helm {helm_paths:?}"));
                    }
                    for (path, vals, c) in &ours {
                        let Some(text) = rendered.get(&format!("{path}/templates/{PROBE}")) else { continue };
                        let text = text.as_str().unwrap();
                        let (hv, hc) = text.split_once(SEP).unwrap();
                        let hv: Value = serde_json::from_str(hv).unwrap();
                        let hc: Value = serde_json::from_str(hc).unwrap();
                        if !same(vals, &hv) {
                            problems.push(format!("{path} .Values: {}", diff(vals, &hv, "")));
                        }
                        if !same(&c.metadata.document, &hc) {
                            problems.push(format!("{path} .Chart: {}", diff(&c.metadata.document, &hc, "")));
                        }
                    }
                }
            }
        }
        if problems.is_empty() {
            agree += 1;
        } else {
            failures.push(format!("{label}:\n  {}", problems.join("\n  ")));
        }
    }
    eprintln!("values_oracle: {agree}/{} cases agree with Helm", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

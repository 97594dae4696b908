//! Differential tests of `kots_helm::yaml` against Go: go-yaml v2 (Debian's gopkg.in/yaml.v2
//! sources) under a copy of sigs.k8s.io/yaml's conversions, `tests/yaml_oracle/main.go`, which
//! is what Helm reads values and runs `toYaml`/`fromYaml`/`fromYamlArray` with. (The oracle's
//! answers were checked against Helm itself through render.py on a sample: the same bytes.)
//!
//! Cases: a hand-written corpus of tricky values and texts (below), a seeded generator of random
//! JSON values for `to_yaml` and of random YAML texts (some of them broken on purpose) for
//! `from_yaml`, and every values file of the Helm charts in shared/compat. Each side must give
//! the same output, or the same error message. `KOTS_HELM_SEED` picks the seed (2 unless set),
//! `KOTS_HELM_CASES` the number of random cases of each kind (1,500 unless set; both printed).
//! `KOTS_HELM_SKIP_ORACLE=1` skips everything (for developers without Go).
//!
//! Disagreements are printed and fail the test, except the known ones listed in [`known`].

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::Value;

const ORACLE_SOURCE: &str = include_str!("yaml_oracle/main.go");
const GOCODE: &str = "/usr/share/gocode";
const YAML_V2_DIR: &str = "/usr/share/gocode/src/gopkg.in/yaml.v2";
const CHARTS: &str = "/work/shared/compat/helm-charts";

#[derive(Serialize, Clone, Debug)]
struct Case {
    op: &'static str,
    input: String,
}

#[derive(Deserialize)]
struct Answer {
    output: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Output(String),
    Error(String),
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn find_go() -> Result<PathBuf, String> {
    if let Some(go) = std::env::var_os("GO") {
        return Ok(PathBuf::from(go));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("go"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| "no `go` on PATH (and $GO is not set)".to_string())
}

/// Builds the oracle once per test binary (cached under CARGO_TARGET_TMPDIR by its source's
/// hash), in GOPATH mode against Debian's go-yaml v2 sources, offline.
fn build() -> Result<PathBuf, String> {
    let go = find_go()?;
    if !Path::new(YAML_V2_DIR).join("yaml.go").is_file() {
        return Err(format!("go-yaml v2's sources are not in {YAML_V2_DIR}"));
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-yaml-oracle");
    let dir = root.join(format!("{:016x}", fnv1a(ORACLE_SOURCE.as_bytes())));
    let binary = dir.join("oracle");
    if binary.is_file() {
        return Ok(binary);
    }
    let gopath = dir.join("gopath");
    let src = gopath.join("src").join("yamloracle");
    std::fs::create_dir_all(&src).map_err(|e| format!("creating {}: {e}", src.display()))?;
    std::fs::write(src.join("main.go"), ORACLE_SOURCE).map_err(|e| format!("writing main.go: {e}"))?;
    let partial = dir.join(format!("oracle.partial.{}", std::process::id()));
    let mut command = Command::new(&go);
    command
        .arg("build")
        .arg("-o")
        .arg(&partial)
        .arg(".")
        .current_dir(&src)
        .env("GOPATH", std::env::join_paths([gopath.as_path(), Path::new(GOCODE)]).unwrap())
        .env("GO111MODULE", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod");
    if std::env::var_os("GOCACHE").is_none() {
        command.env("GOCACHE", root.join("gocache"));
    }
    let output = command.output().map_err(|e| format!("running {} build: {e}", go.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`go build` failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::rename(&partial, &binary).map_err(|e| format!("renaming the oracle: {e}"))?;
    Ok(binary)
}

fn oracle() -> Option<&'static Path> {
    static ORACLE: OnceLock<Option<PathBuf>> = OnceLock::new();
    ORACLE
        .get_or_init(|| {
            if std::env::var_os("KOTS_HELM_SKIP_ORACLE").is_some_and(|v| v == "1") {
                let _ = writeln!(std::io::stderr(), "KOTS_HELM_SKIP_ORACLE=1: skipping the YAML differential tests");
                return None;
            }
            match build() {
                Ok(path) => Some(path),
                Err(message) => panic!(
                    "the Go YAML oracle could not be built: {message}\n\
                     These tests need Go and go-yaml v2's sources (`apt-get install golang-go \
                     golang-gopkg-yaml.v2-dev`), or KOTS_HELM_SKIP_ORACLE=1 to skip them."
                ),
            }
        })
        .as_deref()
}

fn run_go(oracle: &Path, cases: &[Case]) -> Vec<Outcome> {
    let mut child = Command::new(oracle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("starting the oracle {}: {e}", oracle.display()));
    let mut stdin = child.stdin.take().unwrap();
    let input: Vec<u8> = cases
        .iter()
        .flat_map(|case| {
            let mut line = serde_json::to_vec(case).unwrap();
            line.push(b'\n');
            line
        })
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(&input).expect("writing cases to the oracle"));
    let mut outcomes = Vec::with_capacity(cases.len());
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.expect("reading the oracle");
        let answer: Answer = serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad oracle line {line:?}: {e}"));
        outcomes.push(match (answer.output, answer.error) {
            (Some(output), _) => Outcome::Output(output),
            (None, Some(error)) => Outcome::Error(error),
            (None, None) => panic!("oracle line with neither output nor error: {line}"),
        });
    }
    writer.join().unwrap();
    assert!(child.wait().unwrap().success(), "the oracle failed");
    assert_eq!(outcomes.len(), cases.len(), "the oracle answered fewer cases than it was sent");
    outcomes
}

/// Numbers compared as the float64s they are on both sides (Go prints `1e+21`, serde_json
/// holds `1e21`; both are the same float64).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // serde_json reads Go's `-0` as the integer 0: -0 and 0 are equal here (from_yaml_to_yaml
        // cases tell them apart by their text).
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// The same keys at the same places (values aside).
fn same_shape(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_shape(v, w) || !v.is_object()))
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_shape(v, w)),
        _ => true,
    }
}

/// JSON of any depth (the deep cases nest 10,000 levels).
fn read_json(text: &str) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    Value::deserialize(&mut de)
}

/// Ours, as the oracle would print it (outputs that are JSON compared as JSON).
fn ours(case: &Case) -> Outcome {
    let result = match case.op {
        "to_yaml" => {
            let value: Value = serde_json::from_str(&case.input).expect("a to_yaml case is JSON");
            kots_helm::yaml::to_yaml(&value)
        }
        "from_yaml" => kots_helm::yaml::from_yaml(&case.input).map(|v| v.to_string()),
        "from_yaml_array" => kots_helm::yaml::from_yaml_array(&case.input).map(|v| Value::Array(v).to_string()),
        "from_yaml_to_yaml" => kots_helm::yaml::from_yaml(&case.input).and_then(|v| kots_helm::yaml::to_yaml(&v)),
        other => panic!("unknown op {other}"),
    };
    match result {
        Ok(output) => Outcome::Output(output),
        Err(error) => Outcome::Error(error),
    }
}

fn agree(case: &Case, go: &Outcome, ours: &Outcome) -> bool {
    match (go, ours) {
        (Outcome::Output(g), Outcome::Output(o))
            if case.op.starts_with("from_yaml") && case.op != "from_yaml_to_yaml" =>
        {
            let g = read_json(g).expect("the oracle prints JSON");
            let o = read_json(o).expect("we print JSON");
            same_json(&g, &o)
        }
        _ => go == ours,
    }
}

/// Known differences (see the module doc of `kots_helm::yaml`), with the reason.
fn known(case: &Case, go: &Outcome, ours: &Outcome) -> Option<&'static str> {
    let flow = case.input.contains(['[', '{']);
    let flow_messages = [
        "found unexpected ':'",
        "did not find expected ',' or ']'",
        "did not find expected ',' or '}'",
        "did not find expected whitespace or line break",
    ];
    let is_flow_error = |o: &Outcome| matches!(o, Outcome::Error(e) if flow_messages.iter().any(|m| e.contains(m)));
    if case.op != "to_yaml" && flow && (is_flow_error(go) || is_flow_error(ours)) {
        // In flow collections libyaml 0.2.5 (ours) and go-yaml v2's older libyaml differ: `?`
        // ends a plain scalar in go-yaml, `a:]` is an error in libyaml 0.2.5, a tag may be
        // followed by `,` in go-yaml.
        return Some("flow-context scanning of libyaml 0.2.5 vs go-yaml v2");
    }
    if let (Outcome::Output(g), Outcome::Output(o)) = (go, ours) {
        // go-yaml's key order is not transitive where numbers with leading zeros meet
        // (`"01" < "10" < "1b" < "01"`), and sort.Sort starts from Go's random map order: there,
        // the order is Go's chance. The same lines in another order, with such keys, is that.
        let mut gl: Vec<&str> = g.lines().collect();
        let mut ol: Vec<&str> = o.lines().collect();
        gl.sort_unstable();
        ol.sort_unstable();
        if gl == ol && case.input.contains("\"0") {
            return Some("go-yaml's key order cycles; Go's random map order decides");
        }
    }
    let bad_key = |o: &Outcome| matches!(o, Outcome::Error(e) if e.starts_with("error converting YAML to JSON: unsupported map key"));
    if bad_key(go) && bad_key(ours) {
        return Some("several keys JSON cannot have: Go's random map order picks the one named");
    }
    let empty_flow_key = ["{}:", "[]:", "{} ", "[] ", "{}\n", "[]\n"].iter().any(|p| case.input.contains(p));
    if case.op != "to_yaml" && empty_flow_key && matches!((go, ours), (Outcome::Error(_), Outcome::Error(_))) {
        // go-yaml v2 loses the simple key of an empty flow collection (`{}: a`); the common
        // shapes are emulated (see kots_helm::yaml's read.rs), a scanner error that libyaml
        // finds before the collection reaches the parser is not.
        return Some("go-yaml v2's lost simple key of an empty flow collection");
    }
    let stale = |o: &Outcome| matches!(o, Outcome::Error(e) if e.contains("could not find expected ':'"));
    if case.op != "to_yaml"
        && (stale(go) || stale(ours))
        && matches!((go, ours), (Outcome::Error(_), Outcome::Error(_)))
    {
        // go-yaml v2 checks whether a simple key went stale only when its token is next for
        // the parser, libyaml 0.2.5 at every token: when another error is near, which one is
        // met first can differ.
        return Some("stale simple keys checked later in go-yaml v2");
    }
    if case.op != "to_yaml" && case.input.contains(['\u{85}', '\u{2028}', '\u{2029}']) && !agree(case, go, ours) {
        // U+0085, U+2028 and U+2029 are line breaks to both scanners, which count lines and
        // columns around them differently.
        return Some("NEL, LS and PS as line breaks");
    }
    if let (Outcome::Output(g), Outcome::Output(o)) = (go, ours)
        && let (Ok(g), Ok(o)) = (read_json(g), read_json(o))
    {
        let prone = ["!!str", "+1", "0x", "0o", "0b", "_", "'1'", "\"1\"", "1.0", "~", "null"];
        if same_shape(&g, &o) && prone.iter().any(|p| case.input.contains(p)) {
            // Two keys naming one JSON key (`+1` and `!!str 1`): Go's random map order picks
            // the value.
            return Some("two keys naming one JSON key: Go's random map order decides");
        }
    }
    if RANDOM_IN_GO.contains(&case.input.as_str()) {
        return Some("Go's random map order decides");
    }
    None
}

/// Inputs whose result Go leaves to its random map order (two keys naming one JSON key).
const RANDOM_IN_GO: &[&str] = &["1: a\n\"1\": b\n"];

#[derive(Default)]
struct Tally {
    agree: usize,
    known: usize,
    wording: usize,
    failures: Vec<String>,
}

fn compare(label: &str, cases: &[Case]) -> Tally {
    let go = oracle().expect("checked by the caller");
    let answers = run_go(go, cases);
    let mut tally = Tally::default();
    for (case, go) in cases.iter().zip(&answers) {
        let ours = ours(case);
        if agree(case, go, &ours) {
            tally.agree += 1;
        } else if let Some(reason) = known(case, go, &ours) {
            tally.known += 1;
            let _ = reason;
        } else {
            if matches!((go, &ours), (Outcome::Error(_), Outcome::Error(_))) {
                tally.wording += 1;
            }
            tally
                .failures
                .push(format!("--- {label} {}: {:?}\n  go:   {:?}\n  ours: {:?}", case.op, case.input, go, ours));
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "{label}: {} of {} agree, {} known differences, {} disagree ({} of them only in the error's wording)",
        tally.agree,
        cases.len(),
        tally.known,
        tally.failures.len(),
        tally.wording
    );
    tally
}

fn assert_all_agree(label: &str, cases: &[Case]) {
    let tally = compare(label, cases);
    if !tally.failures.is_empty() {
        let shown: Vec<&String> = tally.failures.iter().take(40).collect();
        let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("yaml-differential-{label}.txt"));
        let _ = std::fs::write(&file, tally.failures.join("\n"));
        panic!(
            "{} of {} {label} cases disagree with Go (all in {}):\n{}",
            tally.failures.len(),
            cases.len(),
            file.display(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
}

// ---- the corpus ----

/// Strings whose quoting, folding or reading is a trap.
const TRICKY_STRINGS: &[&str] = &[
    "",
    " ",
    "yes",
    "Yes",
    "YES",
    "no",
    "y",
    "n",
    "Y",
    "N",
    "on",
    "off",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "1.0",
    "1",
    "-1",
    "+1",
    "0755",
    "08",
    "0x1F",
    "0o17",
    "0b101",
    "-0b101",
    "1_000",
    "1e3",
    "1e+06",
    ".5",
    "5.",
    ".inf",
    "-.inf",
    ".nan",
    ".NaN",
    "1:20",
    "1:60",
    "190:20:30.15",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10",
    "2001-02-30",
    "2001-12-14T21:59:43Z",
    "12:30",
    "-",
    "--",
    "---",
    "...",
    "- a",
    ":",
    "::",
    "a:",
    "a: b",
    "a:b",
    "?",
    "? a",
    "#a",
    "a #b",
    "a#b",
    "&a",
    "*a",
    "!a",
    "|",
    ">",
    "'",
    "\"",
    "%",
    "@",
    "`",
    ",",
    "[",
    "]",
    "{",
    "}",
    "a,b",
    "a[0]",
    "{a}",
    " lead",
    "trail ",
    " both ",
    "\ttab",
    "a\tb",
    "tab\t",
    "a\nb",
    "a\n",
    "a\n\n",
    "\n",
    "\n\n",
    "\na",
    " \na",
    "a \nb",
    "a\n b",
    "a\n\nb\n",
    "line1\nline2\n\n\n",
    "\r",
    "a\rb",
    "a\r\nb",
    "\u{85}",
    "a\u{85}b",
    "\u{2028}",
    "a\u{2029}b",
    "\u{a0}",
    "a\u{a0}b",
    "\u{feff}a",
    "a\u{feff}",
    "\u{7f}",
    "\u{1}",
    "\0",
    "\u{1b}[0m",
    "é",
    "日本語",
    "😀",
    "a😀b",
    "\u{fffe}",
    "\u{fffd}",
    "\u{e000}",
    "\u{d7ff}",
    "<<",
    "=",
    "\\",
    "\\n",
    "'quoted'",
    "\"dq\"",
    "it's",
    "say \"hi\"",
    "a'b\"c",
    "https://example.com/path?q=1#frag",
    "C:\\path",
    "key=value",
    "a b",
    "a  b",
    "a   b",
];

fn long_strings() -> Vec<String> {
    let words: Vec<String> = (0..40).map(|i| format!("word{i}")).collect();
    vec![
        words.join(" "),
        words.join("  "),
        "x".repeat(200),
        format!("{} {}", "y".repeat(90), "z".repeat(30)),
        format!("{}\n{}", words.join(" "), words.join(" ")),
        format!("'{}'", words.join(" ")),
        format!("{}:", words.join(" ")),
        format!("\t{}", words.join(" ")),
        format!("{} ", words.join(" ")),
        format!("{}\u{1}", words.join(" ")),
        words.join(" \u{e9}"),
        format!("{} \u{1F600}", words.join(" ")),
        "a ".repeat(60),
        format!("yes {}", "b ".repeat(50)),
    ]
}

const TRICKY_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.0",
    "-0.0",
    "1.5",
    "0.1",
    "0.000001",
    "0.0000001",
    "1e-7",
    "1e21",
    "1e20",
    "1e22",
    "123456789",
    "1234567.5",
    "1000000",
    "1000000.0",
    "1e6",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "3.141592653589793",
    "1.7976931348623157e308",
    "5e-324",
    "100",
    "2.5e-5",
    "12e3",
];

fn corpus_values() -> Vec<String> {
    let mut values = Vec::new();
    let mut strings: Vec<String> = TRICKY_STRINGS.iter().map(|s| s.to_string()).collect();
    strings.extend(long_strings());
    for s in &strings {
        values.push(serde_json::to_string(s).unwrap());
        values.push(serde_json::json!({ "k": s }).to_string());
        values.push(serde_json::json!([s]).to_string());
        values.push(serde_json::json!({ s.as_str(): 1, "a": [ { s.as_str(): s } ] }).to_string());
        values.push(serde_json::json!([[s], { "n": { "m": s } }]).to_string());
    }
    for n in TRICKY_NUMBERS {
        values.push(n.to_string());
        values.push(format!("{{\"k\": {n}, \"l\": [{n}]}}"));
    }
    let keys: Vec<String> = [
        "a", "B", "b", "a1", "a10", "a2", "a01", "a001", "1", "01", "10", "2", "-1", "", " ", "_", "Z", "z", "é", "É",
        "日", "a.b", "a b", "ab", "aB", "a_", "1a", "1b", "10a", "x9y", "x10y", "x09y", "00", "0", "000a", "a0", "a00",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let all: serde_json::Map<String, Value> = keys.iter().map(|k| (k.clone(), Value::from(k.clone()))).collect();
    values.push(Value::Object(all).to_string());
    values.extend(
        [
            "null",
            "true",
            "{}",
            "[]",
            "[{}]",
            "[[]]",
            "{\"a\":{}}",
            "{\"a\":[]}",
            "[null]",
            "{\"a\":null}",
            "[[1,2],[3,[4,[5]]]]",
            "[{\"a\":1,\"b\":[1,2]},{\"c\":{\"d\":[]}}]",
            "{\"a\":[[{\"b\":1}]]}",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let long_key = "k".repeat(129);
    values.push(serde_json::json!({ long_key.as_str(): 1, "k".repeat(128): 2 }).to_string());
    values.push(serde_json::json!({ "multi\nline": 1, "with: colon": [1] }).to_string());
    values
}

/// YAML texts: the resolution table, anchors and merges, styles, and errors.
fn corpus_texts() -> Vec<String> {
    let mut texts: Vec<String> = Vec::new();
    for s in TRICKY_STRINGS.iter().filter(|s| !s.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])) {
        texts.push(format!("k: {s}\n"));
        texts.push(format!("k: '{}'\n", s.replace('\'', "''")));
        texts.push(format!("k: {}\n", serde_json::to_string(s).unwrap()));
        texts.push(format!("{s}: v\n"));
        texts.push(format!("k: [{s}]\n"));
        texts.push(format!("- {s}\n"));
    }
    for n in TRICKY_NUMBERS {
        texts.push(format!("k: {n}\n"));
        texts.push(format!("{n}: v\n"));
    }
    let more = [
        "",
        "\n",
        "# c\n",
        "---\n",
        "---\na: 1\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\n...\n",
        "--- a\n",
        "null\n",
        "~\n",
        "a\n",
        "1\n",
        "[1]\n",
        "- a\n- b\n",
        "a: b: c",
        "a: [1, 2",
        "a: {b: 1",
        "a:\n  - b\n - c\n",
        "a: 'x\n",
        "a: \"x\n",
        "\"a\n",
        "a: |\n  x\n  y\n",
        "a: |-\n  x\n",
        "a: |+\n  x\n\n",
        "a: >\n  x\n  y\n\n  z\n",
        "a: >-\n  folded\n  text\n",
        "a: |2\n   x\n",
        "a: |\n\tx\n",
        "a:\n\tb: 1\n",
        "\ta: 1\n",
        "a: 1\n\tb: 2\n",
        "a: &x 1\nb: *x\n",
        "a: *x\n",
        "a: &x [*x]\n",
        "a: &x {b: *x}\n",
        "base: &b {x: 1, z: 2}\nd:\n  <<: *b\n  z: 3\n",
        "b1: &b1 {p: 1}\nb2: &b2 {p: 2, q: 2}\nd:\n  <<: [*b1, *b2]\n",
        "d:\n  p: 0\n  <<: {p: 1}\n",
        "d:\n  <<: 1\n",
        "d:\n  <<: [1]\n",
        "d:\n  <<: [*x]\n",
        "x: &x 1\nd:\n  <<: [*x]\n",
        "d:\n  '<<': {a: 1}\n",
        "d:\n  !!merge <<: {a: 1}\n",
        "a: !!str 1\n",
        "a: !!int \"12\"\n",
        "a: !!int x\n",
        "a: !!float 1\n",
        "a: !!bool yes\n",
        "a: !!null ~\n",
        "a: !!null x\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!binary '!!'\n",
        "a: !foo bar\n",
        "a: !!timestamp 2001-12-14\n",
        "a: !!timestamp x\n",
        "a: !<tag:yaml.org,2002:str> 1\n",
        "%YAML 1.1\n---\na: 1\n",
        "%YAML 2.0\n---\na: 1\n",
        "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
        "a: !e!x 1\n",
        "? a\n: b\n",
        "? [a, b]\n: c\n",
        "? {a: 1}\n: c\n",
        "[a, b]: c\n",
        "{a: 1}: c\n",
        "~: a\n",
        "null: a\n",
        "1: a\n1.5: b\n3.14159265358979: c\ntrue: d\n",
        "18446744073709551615: a\n",
        "0x10: a\n16: b\n",
        "1: a\n\"1\": b\n",
        "a: 1\na: 2\n",
        "a: .inf\n",
        "a: [.nan]\n",
        "a: -.inf\n",
        "a: {b: .inf}\n",
        "a: 1e400\n",
        "a: -1e400\n",
        "a: 1e-400\n",
        "a:b\n",
        "a :b\n",
        "a : b\n",
        "a:\n",
        "a: \n",
        "a: -\n",
        "a: - b\n",
        "- - a\n  - b\n- c\n",
        "-\n  a: 1\n",
        "a:\n- 1\n- 2\nb: 1\n",
        "{a: 1, b: [1, 2], c: {d: e}}\n",
        "[a: 1, b]\n",
        "{a, b: c}\n",
        "[a, b, ]\n",
        "[, a]\n",
        "{a: b,}\n",
        "a: 'it''s'\n",
        "a: \"\\t\\n\\u00e9\\x41\\U0001F600\\N\\_\\L\\P\\e\\0\"\n",
        "a: \"\\q\"\n",
        "a: \"x\\\n  y\"\n",
        "a: 'a\n  b\n\n  c'\n",
        "a: b\n  c\n  d\n",
        "a: b\n\n  c\n",
        "a: b # comment\n",
        "a: b#c\n",
        "a: #c\n",
        "a: [1, 2]   # c\n",
        "a: &anc\n  b: 1\nc: *anc\n",
        "&a a: b\n*a : c\n",
        "a: &a\nb: *a\n",
        "x: \u{feff}\n",
        "\u{feff}a: 1\n",
        "a: \u{1}\n",
        "a: \"\u{7f}\"\n",
        "a: é\n",
        "é: ü\n",
        "a: 😀\n",
        "a: b\r\nc: d\r\n",
        "a: |\r\n  x\r\n",
        "a: 'x\r\n  y'\n",
        "a:\n  b:\n    c:\n      d: [1, {e: [2]}]\n",
        "- a: 1\n  b: 2\n- c: 3\n",
        "a:\n  - b: 1\n    c: 2\n",
        "a:\n- b\n-\n- c\n",
        "[[[[[]]]]]\n",
        "a: [[1, 2], [3]]\n",
        "a: {b: {c: {}}}\n",
        "a: 0o17\n",
        "a: 0b101\n",
        "a: -0b101\n",
        "a: 0b2\n",
        "a: +0x10\n",
        "a: -0x10\n",
        "a: 0x\n",
        "a: 0_1\n",
        "a: 1__0\n",
        "a: _1\n",
        "a: 1_\n",
        "a: 1.0_0\n",
        "a: +.5\n",
        "a: -.5\n",
        "a: .5.\n",
        "a: 1e\n",
        "a: 1.e5\n",
        "a: +1e5\n",
        "a: 0.\n",
        "a: 00\n",
        "a: 09.5\n",
        "a: 2001-1-2\n",
        "a: 2001-13-01\n",
        "a: 2000-02-29\n",
        "a: 1900-02-29\n",
        "a: 2001-12-14T21:59:43.1-05:00\n",
        "a: 2001-12-14 21:59:43\n",
    ];
    texts.extend(more.iter().map(|s| s.to_string()));
    // Line breaks beyond LF and CR.
    for text in
        ["k1: |\n  a\u{85}b\n", "k1: a\u{85}b\n", "k1: |\n  a\u{85}b: c\n", "k1: \"a\u{85}b\"\n", "k1: 'a\u{2028}b'\n"]
    {
        texts.push(text.to_string());
    }
    texts
}

#[test]
fn corpus_to_yaml_agrees_with_go() {
    if oracle().is_none() {
        return;
    }
    let cases: Vec<Case> = corpus_values().into_iter().map(|input| Case { op: "to_yaml", input }).collect();
    assert!(cases.len() > 500, "the corpus has {} values", cases.len());
    assert_all_agree("corpus-to_yaml", &cases);
}

#[test]
fn corpus_from_yaml_agrees_with_go() {
    if oracle().is_none() {
        return;
    }
    let mut cases = Vec::new();
    for text in corpus_texts() {
        for op in ["from_yaml", "from_yaml_array", "from_yaml_to_yaml"] {
            cases.push(Case { op, input: text.clone() });
        }
    }
    assert_all_agree("corpus-from_yaml", &cases);
}

// ---- the generators ----

fn seed_and_count() -> (u64, usize) {
    // A fixed seed by default, so that a run is repeatable; KOTS_HELM_SEED explores others.
    let seed = std::env::var("KOTS_HELM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    let count = std::env::var("KOTS_HELM_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1500);
    let _ = writeln!(std::io::stderr(), "KOTS_HELM_SEED={seed} KOTS_HELM_CASES={count}");
    (seed, count)
}

const PIECES: &[&str] = &[
    "a", "b", "Z", "0", "1", "9", " ", " ", " ", ":", "-", "#", "'", "\"", "\\", "\n", "\t", ".", ",", "[", "]", "{",
    "}", "&", "*", "!", "|", ">", "%", "@", "`", "?", "~", "y", "n", "yes", "no", "on", "true", "null", "0x", "1e",
    "é", "😀", "\u{85}", "\u{2028}", "\u{a0}", "\u{feff}", "\u{1}", "\r", "word", "---", "...", "<<", "_", "+",
];

fn random_string(rng: &mut StdRng) -> String {
    if rng.random_bool(0.15) {
        return TRICKY_STRINGS[rng.random_range(0..TRICKY_STRINGS.len())].to_string();
    }
    let len = match rng.random_range(0..10) {
        0..=5 => rng.random_range(0..6),
        6..=8 => rng.random_range(6..30),
        _ => rng.random_range(30..80),
    };
    (0..len).map(|_| PIECES[rng.random_range(0..PIECES.len())]).collect()
}

fn random_number(rng: &mut StdRng) -> String {
    match rng.random_range(0..6) {
        0 => rng.random_range(-1000i64..1000).to_string(),
        1 => rng.random::<i64>().to_string(),
        2 => TRICKY_NUMBERS[rng.random_range(0..TRICKY_NUMBERS.len())].to_string(),
        3 => format!("{:?}", rng.random_range(-1000.0f64..1000.0)),
        4 => {
            let exp = rng.random_range(-30i32..30);
            format!("{}e{exp}", rng.random_range(1..100))
        }
        _ => format!("{:?}", f64::from_bits(rng.random::<u64>() & 0x7FEF_FFFF_FFFF_FFFF)),
    }
}

fn random_json(rng: &mut StdRng, depth: usize) -> String {
    let pick = if depth > 4 { rng.random_range(0..5) } else { rng.random_range(0..8) };
    match pick {
        0 => "null".to_string(),
        1 => rng.random_bool(0.5).to_string(),
        2 => random_number(rng),
        3 | 4 => serde_json::to_string(&random_string(rng)).unwrap(),
        5 => {
            let n = rng.random_range(0..5);
            let items: Vec<String> = (0..n).map(|_| random_json(rng, depth + 1)).collect();
            format!("[{}]", items.join(","))
        }
        _ => {
            let n = rng.random_range(0..6);
            let mut seen = std::collections::HashSet::new();
            let mut items = Vec::new();
            for _ in 0..n {
                let key = random_string(rng);
                if seen.insert(key.clone()) {
                    items.push(format!("{}:{}", serde_json::to_string(&key).unwrap(), random_json(rng, depth + 1)));
                }
            }
            format!("{{{}}}", items.join(","))
        }
    }
}

const SCALARS: &[&str] = &[
    "a",
    "b c",
    "yes",
    "No",
    "on",
    "y",
    "~",
    "null",
    "",
    "0755",
    "0x1F",
    "1_000",
    "1e3",
    ".inf",
    "-.inf",
    ".nan",
    "2001-12-14",
    "08",
    "+1",
    "-0b11",
    "1.5",
    "-0",
    "12345678901234567890",
    "1e400",
    "'q'",
    "'it''s'",
    "\"d\\tq\"",
    "\"\"",
    "''",
    "<<",
    "é",
    "x: y",
    "a#b",
    "a #c",
    "-",
    "?",
    "!!str 1",
    "!!int 2",
    "!!float 3",
    "!foo x",
    "&an v",
    "*an",
    "[1, 2]",
    "{a: 1}",
    "[]",
    "{}",
    "|\n  lit\n",
    ">-\n  fold\n  ed\n",
];

fn random_scalar(rng: &mut StdRng) -> String {
    if rng.random_bool(0.8) { SCALARS[rng.random_range(0..SCALARS.len())].to_string() } else { random_number(rng) }
}

/// A random block-style YAML node at `indent`.
fn random_yaml(rng: &mut StdRng, indent: usize, depth: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let kind = if depth > 3 { 0 } else { rng.random_range(0..4) };
    match kind {
        0 => {
            let s = random_scalar(rng);
            let s = s.replace('\n', &format!("\n{pad}  "));
            out.push(' ');
            out.push_str(s.trim_end_matches(' '));
            out.push('\n');
        }
        1 => {
            out.push('\n');
            for _ in 0..rng.random_range(1..4) {
                out.push_str(&format!("{pad}-"));
                random_yaml(rng, indent + 2, depth + 1, out);
            }
        }
        _ => {
            if rng.random_bool(0.2) {
                out.push_str(&format!(" &m{depth}"));
            }
            out.push('\n');
            for i in 0..rng.random_range(1..5) {
                let key = match rng.random_range(0..6) {
                    0 => random_scalar(rng).lines().next().unwrap_or("k").to_string(),
                    1 if depth > 0 => "<<".to_string(),
                    _ => format!("k{i}"),
                };
                if key == "<<" {
                    let target = if rng.random_bool(0.7) {
                        format!("*m{}", depth.saturating_sub(1))
                    } else {
                        "{z: 1}".to_string()
                    };
                    out.push_str(&format!("{pad}<<: {target}\n"));
                    continue;
                }
                out.push_str(&format!("{pad}{key}:"));
                random_yaml(rng, indent + 2, depth + 1, out);
            }
        }
    }
}

/// A random flow node (JSON-like and YAML-only forms).
fn random_flow(rng: &mut StdRng, depth: usize, out: &mut String) {
    let kind = if depth > 3 { 0 } else { rng.random_range(0..4) };
    match kind {
        0 => {
            let s = match rng.random_range(0..4) {
                0 => serde_json::to_string(&random_string(rng)).unwrap(),
                1 => format!("'{}'", random_string(rng).replace('\'', "''").replace('\n', " ")),
                _ => random_scalar(rng).lines().next().unwrap_or("x").to_string(),
            };
            out.push_str(&s);
        }
        1 => {
            out.push('[');
            for i in 0..rng.random_range(0..4) {
                if i > 0 {
                    out.push_str(if rng.random_bool(0.8) { ", " } else { ",\n  " });
                }
                random_flow(rng, depth + 1, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            for i in 0..rng.random_range(0..4) {
                if i > 0 {
                    out.push_str(", ");
                }
                random_flow(rng, 4, out);
                out.push_str(": ");
                random_flow(rng, depth + 1, out);
            }
            out.push('}');
        }
    }
}

/// Scalars over several lines, block scalars with indicators, comments and document markers.
fn random_document(rng: &mut StdRng) -> String {
    let mut out = String::new();
    if rng.random_bool(0.2) {
        out.push_str("--- # start\n");
    }
    for i in 0..rng.random_range(1..6) {
        let value = match rng.random_range(0..9) {
            0 => format!(
                "{}\n  {}\n\n  {}",
                random_scalar(rng).replace('\n', " "),
                random_string(rng).replace(['\n', ':', '#'], " ").trim(),
                "tail"
            ),
            1 => format!(
                "\"{}\n  {}\"",
                random_string(rng).replace(['"', '\\', '\n'], "x"),
                random_string(rng).replace(['"', '\\', '\n'], "y")
            ),
            2 => format!("'{}\n\n  {}'", random_string(rng).replace(['\'', '\n'], "x"), "b"),
            3 => {
                let indicator = ["|", "|-", "|+", ">", ">-", ">+", "|2", ">1-"][rng.random_range(0..8)];
                let body: Vec<String> = (0..rng.random_range(0..4))
                    .map(|_| format!("   {}", random_string(rng).replace(['\n', '\r'], " ")))
                    .collect();
                format!("{indicator}\n{}\n{}", body.join("\n"), if rng.random_bool(0.5) { "\n" } else { "" })
            }
            4 => "# only a comment".to_string(),
            _ => {
                let mut flow = String::new();
                random_flow(rng, 0, &mut flow);
                flow
            }
        };
        out.push_str(&format!("k{i}: {value}\n"));
        if rng.random_bool(0.1) {
            out.push_str("# comment\n");
        }
    }
    if rng.random_bool(0.1) {
        out.push_str("...\n");
    }
    if rng.random_bool(0.1) {
        out.push_str("---\nsecond: doc\n");
    }
    out
}

fn mutate(rng: &mut StdRng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..rng.random_range(1..3) {
        if chars.is_empty() {
            break;
        }
        let at = rng.random_range(0..chars.len());
        match rng.random_range(0..3) {
            0 => {
                chars.remove(at);
            }
            1 => chars.insert(
                at,
                [':', ' ', '-', '\n', '[', '{', '"', '\'', '\t', '&', '*', '#', '|'][rng.random_range(0..13)],
            ),
            _ => {
                let other = rng.random_range(0..chars.len());
                chars.swap(at, other);
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn random_values_to_yaml_agree_with_go() {
    if oracle().is_none() {
        return;
    }
    let (seed, count) = seed_and_count();
    let mut rng = StdRng::seed_from_u64(seed);
    let cases: Vec<Case> = (0..count).map(|_| Case { op: "to_yaml", input: random_json(&mut rng, 0) }).collect();
    assert_all_agree("random-to_yaml", &cases);
}

#[test]
fn random_texts_from_yaml_agree_with_go() {
    if oracle().is_none() {
        return;
    }
    let (seed, count) = seed_and_count();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5EED);
    let mut cases = Vec::new();
    for i in 0..count {
        let mut text = String::from("root:");
        if i % 3 == 2 {
            text = random_document(&mut rng);
        } else {
            random_yaml(&mut rng, 2, 0, &mut text);
        }
        if i % 4 == 3 {
            text = mutate(&mut rng, &text);
        }
        let op = if i % 2 == 0 { "from_yaml" } else { "from_yaml_to_yaml" };
        cases.push(Case { op, input: text });
    }
    assert_all_agree("random-from_yaml", &cases);
}

fn chart_values_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.file_name().is_some_and(|n| n == "values.yaml")
                || (path.parent().is_some_and(|p| p.ends_with("values"))
                    && path.extension().is_some_and(|e| e == "yaml"))
            {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new(CHARTS), &mut out);
    out.sort();
    out
}

#[test]
fn chart_values_read_and_write_as_go_does() {
    if oracle().is_none() {
        return;
    }
    let files = chart_values_files();
    if files.is_empty() {
        let _ = writeln!(std::io::stderr(), "no charts under {CHARTS}: skipping the chart values");
        return;
    }
    let mut cases = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        cases.push(Case { op: "from_yaml", input: text.clone() });
        cases.push(Case { op: "from_yaml_to_yaml", input: text });
    }
    let _ = writeln!(std::io::stderr(), "{} values files", files.len());
    assert_all_agree("chart-values", &cases);
}

#[test]
fn the_oracle_answers_as_helm_does() {
    // Helm v4.2.3's own answers (render.py with `{{ toYaml .Values }}` and `fromYaml`).
    let Some(go) = oracle() else { return };
    let cases = vec![
        Case { op: "from_yaml", input: "a: b: c".to_string() },
        Case { op: "from_yaml_to_yaml", input: "big: 12345678901234567890\noct: 0755\ny: y\n".to_string() },
    ];
    let answers = run_go(go, &cases);
    assert_eq!(
        answers[0],
        Outcome::Error(
            "error converting YAML to JSON: yaml: mapping values are not allowed in this context".to_string()
        )
    );
    assert_eq!(answers[1], Outcome::Output("big: 12345678901234567000\noct: 493\n\"true\": true\n".to_string()));
}

#[test]
fn deep_nesting_stops_where_go_stops() {
    if oracle().is_none() {
        return;
    }
    // Compared as YAML text where the value is deep (serde_json's own reading and printing stop
    // at 128 levels), on a thread with room for serde_json's recursive drop of 10,000 levels.
    // (Each level costs libyaml-safer a look at every open level per token: a few seconds a
    // case in a debug build, so only the cases at the limits.)
    let flow = |n: usize, inner: &str| format!("a: {}{inner}{}", "[".repeat(n), "]".repeat(n));
    let mut cases = vec![
        // encoding/json reads no more than 10,000 levels, and writes no value inside more.
        Case { op: "from_yaml", input: flow(10_000, "") },
        Case { op: "from_yaml", input: flow(9_999, "{b: 1}") },
        Case { op: "from_yaml_to_yaml", input: flow(9_999, "1") },
        // go-yaml's scanner stops at the 10,001st flow level, and indentation level.
        Case { op: "from_yaml", input: flow(10_001, "") },
    ];
    let block: String = (0..10_001).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
    cases.push(Case { op: "from_yaml", input: block });
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || assert_all_agree("deep", &cases))
        .unwrap()
        .join()
        .unwrap();
}

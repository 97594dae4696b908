//! The official OCI distribution-spec conformance suites, run against a registry we started.
//!
//! The suites are static binaries kept outside the repository (`v1.1.1/run.sh`, the ginkgo suite,
//! and `main/run.sh`, the current one; see their README). [`conformance_suites`] runs all three
//! configurations CI holds the registry to (v1.1.1, main, main with `OCI_VERSION=1.1+dev`),
//! prints each one's counts line, and panics if any case failed. A machine without the suites
//! (a CI clone elsewhere) skips with a message instead of failing for a missing external tool.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the suites live: `$OCI_CONFORMANCE_DIR` when set (and then only there), else
/// `../shared/tools/oci-conformance` beside the workspace, else
/// `/work/shared/tools/oci-conformance`; `None` if that holds no suites.
pub fn conformance_suites_dir() -> Option<PathBuf> {
    let candidates = match std::env::var_os("OCI_CONFORMANCE_DIR") {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/oci-conformance"),
            PathBuf::from("/work/shared/tools/oci-conformance"),
        ],
    };
    candidates.into_iter().find(|dir| dir.join("v1.1.1/run.sh").is_file() && dir.join("main/run.sh").is_file())
}

/// One suite's result: `passed`, `failed`, `skipped` as its last line counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteRun {
    /// `v1.1.1`, `main` or `main 1.1+dev`.
    pub suite: &'static str,
    pub passed: u32,
    pub failed: u32,
    pub skipped: u32,
    /// What the runner printed: every failed case with its message, then the counts.
    pub output: String,
}

/// `conformance: 74 passed, 0 failed, 5 skipped` (or `conformance2: …`) into its three counts.
pub fn parse_counts(line: &str) -> Option<(u32, u32, u32)> {
    let (_, counts) = line.split_once(": ")?;
    let mut numbers = counts.split(", ").map(|part| part.split(' ').next().and_then(|n| n.parse().ok()));
    Some((numbers.next()??, numbers.next()??, numbers.next()??))
}

fn run_suite(
    dir: &Path,
    suite: &'static str,
    url: &str,
    repository: &str,
    credentials: Option<(&str, &str)>,
) -> SuiteRun {
    let (script, extra) = match suite {
        "v1.1.1" => ("v1.1.1/run.sh", None),
        "main" => ("main/run.sh", None),
        _ => ("main/run.sh", Some("OCI_VERSION=1.1+dev")),
    };
    let reports = tempfile::tempdir().expect("a temporary folder for the suite's reports");
    let mut command = Command::new(dir.join(script));
    command.arg(url).arg(repository).env("CONFORMANCE_QUIET", "1").env("REPORT_DIR", reports.path());
    if let Some((username, password)) = credentials {
        command.arg(format!("OCI_USERNAME={username}")).arg(format!("OCI_PASSWORD={password}"));
    }
    command.args(extra);
    let output = command.output().unwrap_or_else(|error| panic!("cannot run {}: {error}", dir.join(script).display()));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let counts =
        stdout.lines().rev().find_map(|line| line.starts_with("conformance").then(|| parse_counts(line)).flatten());
    let Some((passed, failed, skipped)) = counts else {
        panic!(
            "the {suite} suite printed no counts line (exit {:?}):\n{stdout}\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    SuiteRun { suite, passed, failed, skipped, output: stdout }
}

/// Runs the v1.1.1 suite, the main suite and the main suite with `OCI_VERSION=1.1+dev` against
/// the registry at `url` (pushing to `repository`, and its `-xmount` / `-2` siblings), with
/// these credentials if it needs a login. Prints `oci-conformance [SETUP] SUITE: N passed, N
/// failed, N skipped` for each and panics, with the failed cases, if any case failed. Without
/// the suites on this machine it prints why it skipped and returns an empty list. Blocking
/// (minutes at most; seconds on a release build): from async code, call it through
/// `spawn_blocking`.
pub fn conformance_suites(
    setup: &str,
    url: &str,
    repository: &str,
    credentials: Option<(&str, &str)>,
) -> Vec<SuiteRun> {
    let Some(dir) = conformance_suites_dir() else {
        println!("oci-conformance [{setup}] skipped: conformance suites not found (set OCI_CONFORMANCE_DIR)");
        return Vec::new();
    };
    let runs: Vec<SuiteRun> = ["v1.1.1", "main", "main 1.1+dev"]
        .into_iter()
        .map(|suite| run_suite(&dir, suite, url, repository, credentials))
        .collect();
    for run in &runs {
        println!(
            "oci-conformance [{setup}] {}: {} passed, {} failed, {} skipped",
            run.suite, run.passed, run.failed, run.skipped
        );
    }
    let failed: Vec<&SuiteRun> = runs.iter().filter(|run| run.failed > 0).collect();
    if !failed.is_empty() {
        let details: Vec<String> = failed.iter().map(|run| format!("--- {}:\n{}", run.suite, run.output)).collect();
        panic!("[{setup}] conformance failures:\n{}", details.join("\n"));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_of_both_runners_parse() {
        assert_eq!(parse_counts("conformance: 74 passed, 0 failed, 5 skipped"), Some((74, 0, 5)));
        assert_eq!(parse_counts("conformance2: 669 passed, 4 failed, 6 skipped"), Some((669, 4, 6)));
        assert_eq!(parse_counts("conformance: http://x namespace=y"), None);
    }
}

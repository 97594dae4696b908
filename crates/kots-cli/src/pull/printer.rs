//! What `pull` tells the user, decided in one place: step headings and details on stderr
//! (silenced by `-q`), the closing lines (always), and the summary on stdout with `-o json`.

use std::fmt::Display;

use crate::progress::Progress;

use super::PullSummary;

/// How `pull` talks: `-q` and `-o json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Printer {
    pub quiet: bool,
    pub json: bool,
}

impl Printer {
    /// One step's heading.
    pub fn step(&self, text: impl Display) {
        if !self.quiet {
            eprintln!("• {text}");
        }
    }

    /// A line under the current step.
    pub fn detail(&self, text: impl Display) {
        if !self.quiet {
            eprintln!("    {text}");
        }
    }

    /// A closing line: what happened to the app, said even with `-q`.
    pub fn outcome(&self, text: impl Display) {
        eprintln!("{text}");
    }

    /// A progress bar for the transfer engine's events (hidden with `-q`).
    pub fn progress(&self, message: String) -> Progress {
        Progress::start(message, self.quiet)
    }

    /// The machine-readable summary on stdout, with `-o json`.
    pub fn summary(&self, summary: &PullSummary) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(summary)?);
        }
        Ok(())
    }
}

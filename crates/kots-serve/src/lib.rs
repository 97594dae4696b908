//! What the two server binaries (`kots-registry`, `kots-vendor`) share on their command line and
//! around it: `serve --config FILE` ([`config_file`]), duration flags ([`parse_duration`]), logging
//! on stderr ([`init_logging`]), the stop signal ([`shutdown_signal`]) and the exit report
//! ([`exit_code`]). It lives apart from the libraries so that they carry no command-line
//! plumbing: the registry library does not know clap, TOML or how a process logs.
//!
//! The binaries take `clap` and `anyhow` from here too ([`clap`], [`anyhow`]): Cargo gives a
//! package one list of dependencies for all its targets, so a binary's own crates would
//! otherwise be listed as the library's. `use kots_serve::clap;` in the binary's root module is
//! enough for clap's derives, which name `clap::…`.

pub mod config_file;

use std::time::Duration;

pub use anyhow;
pub use clap;

/// Parses `30s`, `10m`, `24h`, `7d` or a plain number of seconds (clap's `value_parser` for
/// every duration flag).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("`{text}` is not a duration such as 30s, 10m, 24h"))?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        "d" => number * 86400,
        _ => return Err(format!("`{text}`: unknown unit `{unit}`; use s, m, h or d")),
    };
    Ok(Duration::from_secs(seconds))
}

/// How a server writes its log lines on stderr: `text`, one readable line per event (colours on
/// a terminal), or `json`, one object per event for log collectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Logs to stderr in `format`, filtered by `RUST_LOG` (default `info,sqlx=warn`): stdout is left
/// for the one line tests and scripts read (`… listening on http://ADDRESS`).
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Resolves on Ctrl-C or SIGTERM: when a server (the registry's or the vendor's) should stop
/// taking requests and finish the ones in flight.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("can listen for SIGTERM");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
}

/// A binary's exit: success, or one line per cause on stderr and status 1, as `kubectl-kots`
/// does (no backtrace even under RUST_BACKTRACE=1: the message is for the operator).
pub fn exit_code(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit_or_seconds() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration(" 7d "), Ok(Duration::from_secs(7 * 86400)));
        assert!(parse_duration("soon").unwrap_err().contains("not a duration"));
        assert!(parse_duration("3w").unwrap_err().contains("unknown unit `w`"));
    }
}

//! The reference registry (CNCF Distribution 2.8, Debian's `docker-registry`) as a child process
//! on a free loopback port: what our registry, transfer engine and `pull` are held against in
//! tests and benchmarks.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{KillOnDrop, free_port, wait_for_listening};

const BINARY: &str = "/usr/bin/docker-registry";

/// A running `docker-registry serve`, stopped on drop.
#[derive(Debug)]
pub struct ReferenceRegistry {
    _child: KillOnDrop,
    /// `127.0.0.1:PORT`.
    pub address: String,
    /// Its folder when it made one ([`ReferenceRegistry::start`]); removed after it stops.
    _temp: Option<tempfile::TempDir>,
}

impl ReferenceRegistry {
    /// Starts it in a temporary folder of its own, without authentication; panics if it cannot
    /// (a test has no use for a missing reference).
    pub fn start() -> ReferenceRegistry {
        let temp = tempfile::tempdir().unwrap();
        let mut registry = ReferenceRegistry::start_in(temp.path()).unwrap();
        registry._temp = Some(temp);
        registry
    }

    /// Starts it with its config, data and log under `directory` (deletes enabled, no auth)
    /// and waits until it answers.
    pub fn start_in(directory: &Path) -> std::io::Result<ReferenceRegistry> {
        if !Path::new(BINARY).exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{BINARY} is missing: install it with `apt-get install docker-registry` (.ci/run does)"),
            ));
        }
        std::fs::create_dir_all(directory)?;
        let port = free_port()?;
        let config = directory.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                directory.join("data").display()
            ),
        )?;
        let log = std::fs::File::create(directory.join("server.log"))?;
        let child = Command::new(BINARY).arg("serve").arg(&config).stdout(Stdio::null()).stderr(log).spawn()?;
        let registry =
            ReferenceRegistry { _child: KillOnDrop::new(child), address: format!("127.0.0.1:{port}"), _temp: None };
        wait_for_listening(&registry.address, Duration::from_secs(20))
            .map_err(|e| std::io::Error::new(e.kind(), format!("docker-registry: {e}")))?;
        Ok(registry)
    }
}

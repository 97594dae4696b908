//! The reference registry (CNCF Distribution 2.8, Debian's `docker-registry`) as a child process
//! on a free loopback port: what our registry, transfer engine and `pull` are held against in
//! tests and benchmarks.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = "/usr/bin/docker-registry";

/// A running `docker-registry serve`, stopped on drop.
pub struct ReferenceRegistry {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
}

impl ReferenceRegistry {
    /// Starts it with its config, data and log under `directory` (deletes enabled, no auth)
    /// and waits until it answers.
    pub fn start(directory: &Path) -> std::io::Result<ReferenceRegistry> {
        if !Path::new(BINARY).exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{BINARY} is missing: install it with `apt-get install docker-registry` (.ci/run does)"),
            ));
        }
        std::fs::create_dir_all(directory)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
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
        let registry = ReferenceRegistry { child, address: format!("127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&registry.address).is_err() {
            if Instant::now() > deadline {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("docker-registry did not start on {}", registry.address),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(registry)
    }
}

impl Drop for ReferenceRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! A throw-away PostgreSQL (Debian's `postgresql`) on a free loopback port with its own data
//! folder, for tests and benchmarks of the scale-out stores: `initdb`, `postgres`, stopped and
//! removed on drop. As root it runs as the `postgres` user (PostgreSQL refuses root).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::process::{free_port, wait_for};

/// A running `postgres` with its own data folder, stopped and removed on drop.
#[derive(Debug)]
pub struct LocalPostgres {
    child: Child,
    directory: PathBuf,
    root: bool,
    /// `postgres://kots@127.0.0.1:PORT/postgres` (trust authentication, loopback only).
    pub url: String,
}

fn binary(name: &str) -> std::io::Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries.filter_map(|entry| entry.ok()).map(|entry| entry.path().join("bin").join(name)).collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates.reverse();
    let from_path =
        std::env::var_os("PATH").into_iter().flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>());
    candidates.extend(from_path.map(|folder| folder.join(name)));
    candidates.into_iter().find(|path| path.is_file()).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("`{name}` is missing: install PostgreSQL with `apt-get install postgresql` (.ci/run does)"),
        )
    })
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|output| output.stdout.starts_with(b"0\n"))
}

/// `program args…`, as the `postgres` user when we are root.
fn command(program: &Path, root: bool) -> Command {
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl LocalPostgres {
    /// Starts a fresh server in a new folder under the system's temporary folder (which the
    /// `postgres` user can reach) and waits until it accepts connections.
    pub fn start() -> std::io::Result<LocalPostgres> {
        let root = is_root();
        let directory = std::env::temp_dir().join(format!("postgres-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&directory)?;
        if root {
            let status = Command::new("chown").arg("postgres:").arg(&directory).status()?;
            if !status.success() {
                return Err(std::io::Error::other("cannot hand the data folder to the postgres user"));
            }
        }
        let data = directory.join("data");
        let output = command(&binary("initdb")?, root)
            .arg("-D")
            .arg(&data)
            .args(["-U", "kots", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
            .output()?;
        if !output.status.success() {
            return Err(std::io::Error::other(format!("initdb failed: {}", String::from_utf8_lossy(&output.stderr))));
        }
        let port = free_port()?;
        let log = std::fs::File::create(directory.join("server.log"))?;
        let child = command(&binary("postgres")?, root)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .args(["-c", "synchronous_commit=off", "-c", "max_connections=200", "-k"])
            .arg(&directory)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        let server =
            LocalPostgres { child, directory, root, url: format!("postgres://kots@127.0.0.1:{port}/postgres") };
        // Ready when the port accepts and the log says so (the port opens a moment early).
        let log = || std::fs::read_to_string(server.directory.join("server.log")).unwrap_or_default();
        let ready = wait_for(&format!("postgres on port {port}"), Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && log().contains("ready to accept connections")
        });
        match ready {
            Ok(()) => Ok(server),
            Err(error) => Err(std::io::Error::new(error.kind(), format!("{error}: {}", log()))),
        }
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        // As root the child is `runuser`: stop the server itself, then the child.
        if let Ok(pg_ctl) = binary("pg_ctl") {
            let _ = command(&pg_ctl, self.root)
                .arg("-D")
                .arg(self.directory.join("data"))
                .args(["stop", "-m", "immediate", "-w"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

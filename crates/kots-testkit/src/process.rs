//! Processes the tests start: a free port to give one, waiting until it answers, and a child
//! that is killed (and reaped) when dropped, so that a panicking test leaves no server running.

use std::io::{BufRead, BufReader};
use std::ops::{Deref, DerefMut};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port of 127.0.0.1 that nothing listens on right now, for a server that cannot be told to
/// pick one itself (port 0) or whose address must be known before it starts.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Polls `ready` every 50 ms until it says yes; after `timeout`, a `TimedOut` error saying that
/// `what` did not start.
pub fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) -> std::io::Result<()> {
    let deadline = Instant::now() + timeout;
    while !ready() {
        if Instant::now() > deadline {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("{what} did not start within {timeout:?}"),
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Waits until `address` (`host:port`) accepts TCP connections.
pub fn wait_for_listening(address: &str, timeout: Duration) -> std::io::Result<()> {
    wait_for(&format!("a server on {address}"), timeout, || std::net::TcpStream::connect(address).is_ok())
}

/// A child process that is killed and reaped when dropped.
#[derive(Debug)]
pub struct KillOnDrop(Child);

impl KillOnDrop {
    pub fn new(child: Child) -> KillOnDrop {
        KillOnDrop(child)
    }

    /// `kill -9` and wait: no chance to clean up, as in a crash. Harmless if it already ended.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Deref for KillOnDrop {
    type Target = Child;

    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `command`, a server of ours that prints `PREFIX ADDRESS` as its first line on stdout
/// once it listens (`kots-registry listening on http://…`), and returns the child and what
/// follows `prefix`. Panics with the line it got instead.
pub fn spawn_server(command: &mut Command, prefix: &str) -> (KillOnDrop, String) {
    let program = command.get_program().to_string_lossy().into_owned();
    let child = command.stdout(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{program} starts: {e}"));
    let mut child = KillOnDrop::new(child);
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout is piped")).read_line(&mut line).unwrap();
    let address = line
        .trim()
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("unexpected first line from {program}: {line:?}"))
        .trim_start()
        .to_owned();
    (child, address)
}

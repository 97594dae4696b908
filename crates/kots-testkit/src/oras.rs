//! oras-py, the Python ORAS client: a third independent client, with its own idea of the token
//! flow (it fetches a new token only when a challenge comes with a 403).

use std::path::Path;
use std::process::Command;

/// Logs in to `host` as `user`, pushes a one-file artifact to `host/repository:v1` and pulls
/// it back into a folder under `work`; returns the pulled file's text. Panics with oras's
/// output if any step fails.
pub fn oras_round_trip(host: &str, user: &str, password: &str, repository: &str, work: &Path) -> String {
    let script = r#"
import os, sys, oras.client
host, user, password, repository, work = sys.argv[1:6]
client = oras.client.OrasClient(hostname=host, insecure=True)
client.login(username=user, password=password, hostname=host, tls_verify=False)
os.chdir(work)
response = client.push(files=["notes.txt"], target=f"{host}/{repository}:v1")
assert response.status_code in (200, 201), response.text
client.pull(target=f"{host}/{repository}:v1", outdir="out")
print(open(os.path.join(work, "out", "notes.txt")).read(), end="")
"#;
    std::fs::create_dir_all(work.join("out")).unwrap();
    std::fs::write(work.join("notes.txt"), "artifact payload\n").unwrap();
    let output = Command::new("python3")
        .args(["-c", script, host, user, password, repository])
        .arg(work)
        // No stored logins of the machine's user.
        .env("HOME", work.join("home"))
        .output()
        .expect("python3 with the oras package (pip install oras)");
    assert!(output.status.success(), "oras failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

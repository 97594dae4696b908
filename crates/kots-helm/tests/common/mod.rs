//! What kots-helm's oracle tests share: whether Helm's engine is here to ask, and writing a
//! chart to disk.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Whether Helm's own engine (helm-python-sdk) can be asked, unless `KOTS_HELM_SKIP_ORACLE=1`.
pub fn oracle_available() -> bool {
    std::env::var("KOTS_HELM_SKIP_ORACLE").as_deref() != Ok("1")
        && Command::new("python3").args(["-c", "import helm_python"]).output().is_ok_and(|o| o.status.success())
}

/// Writes `files` (path, text) under `root`, replacing what was there.
pub fn write_chart(root: &Path, files: &[(&str, &str)]) {
    let _ = std::fs::remove_dir_all(root);
    for (path, text) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

//! Changing an app folder without ever leaving it half-changed: the new version is built in a
//! staging folder beside it (a copy of the current folder, image blobs hard-linked rather than
//! copied) and swapped in by renames once everything has succeeded. A failure, or an
//! interruption before the swap, leaves the folder as it was.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// A file to write, relative to the app folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub content: String,
}

pub struct Staging {
    app_dir: PathBuf,
    staging: PathBuf,
    previous: PathBuf,
    armed: bool,
}

fn sibling(app_dir: &Path, suffix: &str) -> PathBuf {
    let name = app_dir.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    app_dir.with_file_name(format!(".{name}.kots-{suffix}"))
}

impl Staging {
    /// A staging copy of `app_dir` (empty if there is none yet). Finishes a swap that an
    /// earlier run was interrupted in.
    pub fn prepare(app_dir: &Path) -> anyhow::Result<Staging> {
        let staging = sibling(app_dir, "staging");
        let previous = sibling(app_dir, "previous");
        if previous.exists() {
            if app_dir.exists() {
                std::fs::remove_dir_all(&previous)
                    .with_context(|| format!("cannot remove `{}` left by an earlier pull", previous.display()))?;
            } else {
                std::fs::rename(&previous, app_dir)
                    .with_context(|| format!("cannot restore `{}` from `{}`", app_dir.display(), previous.display()))?;
                eprintln!("note: restored {} as it was before an interrupted pull", app_dir.display());
            }
        }
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .with_context(|| format!("cannot remove `{}` left by an earlier pull", staging.display()))?;
        }
        let prepared = Staging { app_dir: app_dir.to_owned(), staging, previous, armed: true };
        if app_dir.exists() {
            copy_tree(app_dir, &prepared.staging, Path::new(""))?;
        } else {
            std::fs::create_dir_all(&prepared.staging)
                .with_context(|| format!("cannot create `{}`", prepared.staging.display()))?;
        }
        Ok(prepared)
    }

    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Replaces the app folder with the staging folder.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let had_folder = self.app_dir.exists();
        if had_folder {
            std::fs::rename(&self.app_dir, &self.previous)
                .with_context(|| format!("cannot move `{}` aside", self.app_dir.display()))?;
        }
        if let Err(error) = std::fs::rename(&self.staging, &self.app_dir) {
            if had_folder {
                let _ = std::fs::rename(&self.previous, &self.app_dir);
            }
            return Err(error)
                .with_context(|| format!("cannot move the new version into `{}`", self.app_dir.display()));
        }
        self.armed = false;
        if had_folder {
            let _ = std::fs::remove_dir_all(&self.previous);
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Copies `from` into `to`; files under `images/blobs/` are hard-linked (blobs are never
/// changed in place, only added), everything else copied.
fn copy_tree(from: &Path, to: &Path, relative: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create `{}`", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("cannot read `{}`", from.display()))? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let inner = relative.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&source, &target, &inner)?;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(&source)?;
            std::os::unix::fs::symlink(&link, &target)
                .with_context(|| format!("cannot copy the link `{}`", source.display()))?;
        } else if inner.starts_with("images/blobs") && std::fs::hard_link(&source, &target).is_ok() {
        } else {
            std::fs::copy(&source, &target)
                .with_context(|| format!("cannot copy `{}` to `{}`", source.display(), target.display()))?;
        }
    }
    Ok(())
}

/// Writes `files` (paths relative to `root`), creating folders.
pub fn write_files<'a>(root: &Path, files: impl IntoIterator<Item = &'a GeneratedFile>) -> anyhow::Result<()> {
    for file in files {
        write(&root.join(&file.path), file.content.as_bytes())?;
    }
    Ok(())
}

pub fn write(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    std::fs::write(path, content).with_context(|| format!("cannot write `{}`", path.display()))
}

/// YAML as KOTS writes it (Go's yaml): long strings stay on one line, text with newlines in `|`
/// blocks, lists not indented under their key.
pub fn to_yaml<T: serde::Serialize>(value: &T) -> String {
    let options = serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX };
    serde_saphyr::to_string_with_options(value, options).expect("plain data serialises")
}

/// `value` with every mapping's keys in order, as KOTS's records are written (Go marshals maps
/// sorted).
pub fn sorted_keys(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), sorted_keys(v))).collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

/// Removes a folder or a file if it exists.
pub fn remove(path: &Path) -> anyhow::Result<()> {
    let removed = match std::fs::symlink_metadata(path) {
        Ok(metadata) if !metadata.is_dir() => std::fs::remove_file(path),
        _ => std::fs::remove_dir_all(path),
    };
    match removed {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("cannot remove `{}`", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn a_dropped_staging_leaves_the_folder_and_a_commit_swaps() {
        let root = tempfile::tempdir().unwrap();
        let app = root.path().join("app");
        write(&app.join("overlays/mine.yaml"), b"mine").unwrap();
        write(&app.join("images/blobs/sha256/ab"), b"blob").unwrap();
        write(&app.join("images/index.json"), b"{}").unwrap();
        {
            let staging = Staging::prepare(&app).unwrap();
            write(&staging.path().join("overlays/mine.yaml"), b"changed").unwrap();
            let linked = std::fs::metadata(staging.path().join("images/blobs/sha256/ab")).unwrap();
            assert_eq!(linked.ino(), std::fs::metadata(app.join("images/blobs/sha256/ab")).unwrap().ino());
            let copied = std::fs::metadata(staging.path().join("images/index.json")).unwrap();
            assert_ne!(copied.ino(), std::fs::metadata(app.join("images/index.json")).unwrap().ino());
        }
        assert_eq!(std::fs::read(app.join("overlays/mine.yaml")).unwrap(), b"mine");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1, "no staging left behind");

        let staging = Staging::prepare(&app).unwrap();
        write(&staging.path().join("new.yaml"), b"new").unwrap();
        staging.commit().unwrap();
        assert_eq!(std::fs::read(app.join("new.yaml")).unwrap(), b"new");
        assert_eq!(std::fs::read(app.join("overlays/mine.yaml")).unwrap(), b"mine");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_interrupted_swap_is_undone() {
        let root = tempfile::tempdir().unwrap();
        let app = root.path().join("app");
        write(&sibling(&app, "previous").join("kept.yaml"), b"kept").unwrap();
        let _staging = Staging::prepare(&app).unwrap();
        assert_eq!(std::fs::read(app.join("kept.yaml")).unwrap(), b"kept");
    }
}

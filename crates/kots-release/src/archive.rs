//! Reading tar archives that come from elsewhere (a release from the vendor, later bundles and
//! archives from the cluster) without trusting them: only regular files and folders, relative
//! paths that stay inside, each name once. A refusal names the entry. Also release folders on
//! disk, read the same way by the vendor and `--local-path`.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Component, Path};

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{archive}: entry `{entry}` {reason}; the archive was not unpacked")]
    Refused { archive: String, entry: String, reason: String },
    #[error("{archive} is not a readable gzip'd tar: {source}")]
    Unreadable {
        archive: String,
        #[source]
        source: std::io::Error,
    },
}

/// The path of an entry as a safe relative path with `/` separators, or why not.
pub fn safe_relative_path(path: &Path) -> Result<String, String> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => {
                parts.push(part.to_str().ok_or_else(|| "has a name that is not UTF-8".to_owned())?.to_owned())
            }
            Component::CurDir => {}
            Component::ParentDir => return Err("climbs out with `..`".to_owned()),
            Component::RootDir | Component::Prefix(_) => return Err("has an absolute path".to_owned()),
        }
    }
    if parts.is_empty() {
        return Err("has an empty path".to_owned());
    }
    Ok(parts.join("/"))
}

/// The files of a release kept in a folder (the vendor's YAML, `--local-path`): `(relative path
/// with `/`, bytes)`, sorted; hidden files and folders (`.git`, `.DS_Store`) are left out.
pub fn read_folder(root: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    fn walk(root: &Path, directory: &Path, files: &mut Vec<(String, Vec<u8>)>) -> Result<(), String> {
        let entries =
            std::fs::read_dir(directory).map_err(|e| format!("cannot read `{}`: {e}", directory.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("cannot read `{}`: {e}", directory.display()))?.path();
            if path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.')) {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, files)?;
            } else {
                let relative = safe_relative_path(path.strip_prefix(root).expect("walked from root"))
                    .map_err(|reason| format!("`{}` {reason}", path.display()))?;
                let content = std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
                files.push((relative, content));
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(root, root, &mut files)?;
    files.sort();
    Ok(files)
}

/// The regular files of a gzip'd tar held in memory, as `(relative path, bytes)` in archive
/// order. `name` says what the archive is in messages.
pub fn unpack_tgz(bytes: &[u8], name: &str) -> Result<Vec<(String, Vec<u8>)>, ArchiveError> {
    let unreadable = |source| ArchiveError::Unreadable { archive: name.to_owned(), source };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in archive.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let raw = entry.path().map_err(unreadable)?.into_owned();
        let refuse = |reason: String| ArchiveError::Refused {
            archive: name.to_owned(),
            entry: raw.display().to_string(),
            reason,
        };
        let path = safe_relative_path(&raw).map_err(refuse)?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return Err(refuse(format!("is a {kind:?} entry, not a regular file")));
        }
        if !seen.insert(path.clone()) {
            return Err(refuse("appears twice".to_owned()));
        }
        let mut content = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut content).map_err(unreadable)?;
        files.push((path, content));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tgz(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, kind, content) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            // Write the name raw: `append_data` itself refuses `..` and absolute paths.
            let name = &mut header.as_old_mut().name;
            name[..path.len()].copy_from_slice(path.as_bytes());
            if kind.is_symlink() {
                header.set_link_name("/etc/passwd").unwrap();
            }
            header.set_cksum();
            builder.append(&header, *content).unwrap();
        }
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&builder.into_inner().unwrap()).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn reads_regular_files() {
        let archive = tgz(&[("a.yaml", tar::EntryType::Regular, b"x"), ("dir/b.yaml", tar::EntryType::Regular, b"y")]);
        let files = unpack_tgz(&archive, "release").unwrap();
        assert_eq!(files, [("a.yaml".to_owned(), b"x".to_vec()), ("dir/b.yaml".to_owned(), b"y".to_vec())]);
    }

    #[test]
    fn refuses_what_could_escape_or_confuse() {
        for (entries, expected) in [
            (vec![("../evil.yaml", tar::EntryType::Regular, &b"x"[..])], "`../evil.yaml` climbs out"),
            (vec![("/etc/evil.yaml", tar::EntryType::Regular, &b"x"[..])], "`/etc/evil.yaml` has an absolute path"),
            (vec![("link.yaml", tar::EntryType::Symlink, &b""[..])], "`link.yaml` is a Symlink entry"),
            (vec![("dev", tar::EntryType::Char, &b""[..])], "`dev` is a Char entry"),
            (
                vec![("a.yaml", tar::EntryType::Regular, &b"x"[..]), ("./a.yaml", tar::EntryType::Regular, &b"y"[..])],
                "`./a.yaml` appears twice",
            ),
        ] {
            let error = unpack_tgz(&tgz(&entries), "release").unwrap_err().to_string();
            assert!(error.contains(expected), "{error}");
        }
        let error = unpack_tgz(b"not gzip", "release").unwrap_err().to_string();
        assert!(error.contains("release is not a readable gzip'd tar"), "{error}");
    }
}

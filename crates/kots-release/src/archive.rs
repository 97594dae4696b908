//! Reading tar archives that come from elsewhere (a release from the vendor, later bundles and
//! archives from the cluster) without trusting them: only regular files and folders, relative
//! paths that stay inside, each name once. A refusal names the entry. Also release folders on
//! disk, read the same way by the vendor and `--local-path`.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Component, Path};

/// The most one file of a release or app archive may hold. Releases are YAML and Helm chart
/// archives, app archives the app folder's YAML: a few MiB at most in practice, so 64 MiB leaves
/// room for any real chart while a header that lies (2^40 bytes) is refused before anything is
/// allocated for it.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// The most all files of one archive may hold together, for the same reason: the files are held
/// in memory, and 256 MiB is far beyond any real release yet bounded.
pub const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;
/// The most the gzip stream may expand to, tar headers and padding included: the files' limit
/// plus room for their headers. A small gzip bomb stops here rather than at the memory's end.
pub const MAX_EXPANDED_BYTES: u64 = MAX_TOTAL_BYTES + 64 * 1024 * 1024;

/// `bytes` in MiB for messages (the limits are whole MiB).
fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / (1024 * 1024))
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{archive}: entry `{entry}` {reason}; the archive was not unpacked")]
    Refused { archive: String, entry: String, reason: String },
    #[error(
        "{archive} expands to more than {limit}; release and app archives are limited to that (the archive was not unpacked)"
    )]
    TooLarge { archive: String, limit: String },
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

/// What one archive may hold; [`Limits::ARCHIVE`] but in tests.
#[derive(Debug, Clone, Copy)]
struct Limits {
    file: u64,
    total: u64,
    expanded: u64,
}

impl Limits {
    const ARCHIVE: Limits = Limits { file: MAX_FILE_BYTES, total: MAX_TOTAL_BYTES, expanded: MAX_EXPANDED_BYTES };
}

/// Counts what the gzip stream expands to and fails past its limit, so that a gzip bomb costs
/// at most that much work and no memory beyond the files' own limit.
struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
    exceeded: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.read += read as u64;
        if self.read > self.limit {
            self.exceeded.set(true);
            return Err(std::io::Error::other("the archive expands past its limit"));
        }
        Ok(read)
    }
}

/// The regular files of a gzip'd tar held in memory, as `(relative path, bytes)` in archive
/// order. `name` says what the archive is in messages. Sizes are checked against
/// [`MAX_FILE_BYTES`] and [`MAX_TOTAL_BYTES`] as declared, before any byte of the entry is read,
/// and the expansion against [`MAX_EXPANDED_BYTES`]: memory stays bounded whatever the input.
pub fn unpack_tgz(bytes: &[u8], name: &str) -> Result<Vec<(String, Vec<u8>)>, ArchiveError> {
    unpack_limited(bytes, name, Limits::ARCHIVE)
}

fn unpack_limited(bytes: &[u8], name: &str, limits: Limits) -> Result<Vec<(String, Vec<u8>)>, ArchiveError> {
    let exceeded = std::rc::Rc::new(std::cell::Cell::new(false));
    let decoder = Bounded {
        inner: flate2::read::GzDecoder::new(bytes),
        read: 0,
        limit: limits.expanded,
        exceeded: exceeded.clone(),
    };
    let unreadable = |source| {
        if exceeded.get() {
            ArchiveError::TooLarge { archive: name.to_owned(), limit: mib(limits.expanded) }
        } else {
            ArchiveError::Unreadable { archive: name.to_owned(), source }
        }
    };
    let mut archive = tar::Archive::new(decoder);
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    let mut total: u64 = 0;
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
        let declared = entry.size();
        if declared > limits.file {
            return Err(refuse(format!(
                "declares {declared} bytes; files of a release or app archive are limited to {}",
                mib(limits.file)
            )));
        }
        total += declared;
        if total > limits.total {
            return Err(refuse(format!(
                "brings the files to {total} bytes; a release or app archive is limited to {} in all",
                mib(limits.total)
            )));
        }
        let mut content = Vec::with_capacity(declared as usize);
        let read = (&mut entry).take(declared + 1).read_to_end(&mut content).map_err(unreadable)?;
        if read as u64 != declared {
            return Err(refuse(format!("declares {declared} bytes but holds {read}: the archive is damaged")));
        }
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

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// A tar header for a regular file `path` of `size` bytes, written by hand so it can lie.
    fn lying_header(path: &str, size: u64) -> [u8; 512] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_path(path).unwrap();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_cksum();
        *header.as_bytes()
    }

    /// A header claiming 2^40 bytes aborted the process (SIGABRT) with a failed allocation.
    #[test]
    fn a_declared_size_past_the_limit_is_refused_before_allocating() {
        let mut tar = lying_header("huge.yaml", 1 << 40).to_vec();
        tar.extend_from_slice(&[b'x'; 512]);
        tar.extend_from_slice(&[0; 1024]);
        let error = unpack_tgz(&gzip(&tar), "app.tar.gz").unwrap_err().to_string();
        assert_eq!(
            error,
            "app.tar.gz: entry `huge.yaml` declares 1099511627776 bytes; files of a release or app archive are \
             limited to 64 MiB; the archive was not unpacked"
        );
    }

    const MIB: u64 = 1024 * 1024;
    /// The limits scaled down, so the tests stay cheap.
    const SMALL: Limits = Limits { file: MIB, total: 2 * MIB, expanded: 3 * MIB };

    /// Many files each under the limit must not add up past the total.
    #[test]
    fn files_adding_up_past_the_total_are_refused() {
        let mut tar = Vec::new();
        for index in 0..3 {
            tar.extend_from_slice(&lying_header(&format!("f{index}.yaml"), MIB));
            tar.extend_from_slice(&vec![0; MIB as usize]);
        }
        let error = unpack_limited(&gzip(&tar), "release", SMALL).unwrap_err().to_string();
        assert!(error.contains("entry `f2.yaml` brings the files to") && error.contains("2 MiB in all"), "{error}");
    }

    /// A header that claims more than the archive holds is named, not silently cut short.
    #[test]
    fn a_size_larger_than_the_content_is_named() {
        let mut tar = lying_header("short.yaml", 4096).to_vec();
        tar.extend_from_slice(&[b'x'; 512]);
        let error = unpack_tgz(&gzip(&tar), "release").unwrap_err().to_string();
        assert_eq!(
            error,
            "release: entry `short.yaml` declares 4096 bytes but holds 512: the archive is damaged; the archive was \
             not unpacked"
        );
    }

    /// A 3 MB gzip bomb drove `pull` past 6 GB of memory.
    #[test]
    fn a_gzip_bomb_stops_at_the_expansion_limit() {
        // Folder headers, which hold nothing and may repeat: a few MiB of gzip expanding past
        // the limit.
        let mut folder = tar::Header::new_gnu();
        folder.set_entry_type(tar::EntryType::Directory);
        folder.set_path("d/").unwrap();
        folder.set_mode(0o755);
        folder.set_size(0);
        folder.set_cksum();
        let block = folder.as_bytes().repeat(2048);
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..(SMALL.expanded / block.len() as u64) + 2 {
            encoder.write_all(&block).unwrap();
        }
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
        let error = unpack_limited(&bomb, "app.tar.gz", SMALL).unwrap_err().to_string();
        assert_eq!(
            error,
            "app.tar.gz expands to more than 3 MiB; release and app archives are limited to that (the archive was \
             not unpacked)"
        );
    }
}

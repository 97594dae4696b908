//! Where each blob was last seen, kept across runs: so that the second of two copies into one
//! registry mounts the layers the first one pushed instead of sending them again (skopeo's
//! "blob info cache" does the same).
//!
//! A remembered location is only ever a *candidate*: the engine asks the registry to mount from
//! it and falls back to an upload when the registry will not; nothing is assumed present
//! without the registry saying so. So a stale, lost or corrupt cache costs a round trip, never a
//! wrong copy, and every failure to read or write it is ignored (logged at debug level).
//!
//! The file is JSON, `{"version":1,"blobs":{"sha256:…":[{"registry":"host:port",
//! "repository":"app/api","seen":MILLIS},…]}}`, newest location first, at most
//! [`MAX_PER_BLOB`] per blob and [`MAX_LOCATIONS`] in all (the oldest go). It lives at
//! `$KOTS_BLOB_CACHE/blob-locations.json`, else `$XDG_CACHE_HOME/kots/…`, else
//! `~/.cache/kots/…`; `KOTS_BLOB_CACHE=off` turns it off. It is read once when opened; what a
//! run learnt is merged into the file by [`BlobCache::save`] under an exclusive lock on a lock
//! file beside it (so that copies running at once lose none of each other's entries), written
//! to a temporary file and renamed over it (so that a reader never sees half a file).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use kots_oci::Digest;
use serde::{Deserialize, Serialize};

/// Locations kept per blob, newest first.
pub const MAX_PER_BLOB: usize = 8;
/// Locations kept in all (a few MB of JSON at most).
pub const MAX_LOCATIONS: usize = 20_000;
/// Remembered repositories tried per blob before it is uploaded (skopeo tries 5).
pub const MAX_CANDIDATES: usize = 5;
/// The cache file's name in its folder.
pub const FILE_NAME: &str = "blob-locations.json";
const VERSION: u32 = 1;

/// One place a blob was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Location {
    registry: String,
    repository: String,
    /// Milliseconds since the Unix epoch.
    seen: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    blobs: HashMap<String, Vec<Location>>,
}

#[derive(Debug, Default)]
struct State {
    /// What the file held when read, with what this process learnt since.
    known: HashMap<String, Vec<Location>>,
    /// Learnt since the last save, to merge into the file.
    fresh: Vec<(String, Location)>,
}

/// The blob-location cache of one process; clones share it.
#[derive(Debug, Clone)]
pub struct BlobCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    state: Mutex<State>,
}

fn now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// Adds `location` to `locations` (or refreshes the same registry and repository), newest first.
fn add(locations: &mut Vec<Location>, location: Location) {
    match locations.iter_mut().find(|l| l.registry == location.registry && l.repository == location.repository) {
        Some(existing) => existing.seen = existing.seen.max(location.seen),
        None => locations.push(location),
    }
    locations.sort_by_key(|l| std::cmp::Reverse(l.seen));
    locations.truncate(MAX_PER_BLOB);
}

/// Keeps the newest [`MAX_LOCATIONS`] locations of all blobs.
fn bound(blobs: &mut HashMap<String, Vec<Location>>) {
    let total: usize = blobs.values().map(Vec::len).sum();
    if total <= MAX_LOCATIONS {
        return;
    }
    let mut seen: Vec<u64> = blobs.values().flatten().map(|l| l.seen).collect();
    seen.sort_unstable_by_key(|s| std::cmp::Reverse(*s));
    let cutoff = seen[MAX_LOCATIONS - 1];
    // Ties at the cut-off may keep a few more; the next save trims them as they age.
    for locations in blobs.values_mut() {
        locations.retain(|l| l.seen >= cutoff);
    }
    blobs.retain(|_, locations| !locations.is_empty());
    let mut total: usize = blobs.values().map(Vec::len).sum();
    if total > MAX_LOCATIONS {
        for locations in blobs.values_mut() {
            while total > MAX_LOCATIONS && locations.last().is_some_and(|l| l.seen == cutoff) {
                locations.pop();
                total -= 1;
            }
        }
        blobs.retain(|_, locations| !locations.is_empty());
    }
}

/// The file's blobs; empty if it is missing, unreadable, corrupt or of another version.
fn read(path: &Path) -> HashMap<String, Vec<Location>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return HashMap::new(),
        Err(error) => {
            tracing::debug!(path = %path.display(), %error, "blob cache unreadable; ignored");
            return HashMap::new();
        }
    };
    match serde_json::from_slice::<CacheFile>(&bytes) {
        Ok(file) if file.version == VERSION => {
            let mut blobs = file.blobs;
            for locations in blobs.values_mut() {
                locations.sort_by_key(|l| std::cmp::Reverse(l.seen));
                locations.truncate(MAX_PER_BLOB);
            }
            blobs
        }
        Ok(file) => {
            tracing::debug!(path = %path.display(), version = file.version, "blob cache of another version; ignored");
            HashMap::new()
        }
        Err(error) => {
            tracing::debug!(path = %path.display(), %error, "blob cache corrupt; ignored");
            HashMap::new()
        }
    }
}

impl BlobCache {
    /// The cache in `directory` (created when first saved), read now.
    pub fn at(directory: &Path) -> BlobCache {
        let path = directory.join(FILE_NAME);
        let known = read(&path);
        BlobCache { inner: Arc::new(Inner { path, state: Mutex::new(State { known, fresh: Vec::new() }) }) }
    }

    /// The user's cache as the environment places it (see the module's doc); `None` when
    /// `KOTS_BLOB_CACHE` is `off` (or `0`, `false`, `none`) or no folder can be found.
    pub fn from_env() -> Option<BlobCache> {
        let value = std::env::var_os("KOTS_BLOB_CACHE");
        let home = std::env::var_os("HOME");
        let xdg = std::env::var_os("XDG_CACHE_HOME");
        Self::directory(value.as_deref(), xdg.as_deref(), home.as_deref()).map(|directory| BlobCache::at(&directory))
    }

    /// Where the cache goes for these values of `KOTS_BLOB_CACHE`, `XDG_CACHE_HOME`, `HOME`.
    fn directory(
        setting: Option<&std::ffi::OsStr>,
        xdg: Option<&std::ffi::OsStr>,
        home: Option<&std::ffi::OsStr>,
    ) -> Option<PathBuf> {
        let non_empty = |value: Option<&std::ffi::OsStr>| value.filter(|v| !v.is_empty()).map(PathBuf::from);
        if let Some(setting) = non_empty(setting) {
            let text = setting.to_string_lossy().to_ascii_lowercase();
            return (!matches!(text.as_str(), "off" | "0" | "false" | "none" | "no")).then_some(setting);
        }
        // The XDG spec ignores a relative XDG_CACHE_HOME.
        if let Some(xdg) = non_empty(xdg).filter(|path| path.is_absolute()) {
            return Some(xdg.join("kots"));
        }
        non_empty(home).map(|home| home.join(".cache").join("kots"))
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Notes that `repository` of `registry` has `digest` (the registry just said so).
    pub fn record(&self, registry: &str, repository: &str, digest: &Digest) {
        let location =
            Location { registry: registry.to_owned(), repository: repository.to_owned(), seen: now_millis() };
        let key = digest.to_string();
        let mut state = self.inner.state.lock().expect("never poisoned");
        add(state.known.entry(key.clone()).or_default(), location.clone());
        state.fresh.push((key, location));
    }

    /// Repositories of `registry` where `digest` was seen, newest first, at most
    /// [`MAX_CANDIDATES`], none of `except`: places to try mounting it from.
    pub fn candidates(&self, registry: &str, digest: &Digest, except: &[&str]) -> Vec<String> {
        let state = self.inner.state.lock().expect("never poisoned");
        let Some(locations) = state.known.get(&digest.to_string()) else { return Vec::new() };
        locations
            .iter()
            .filter(|l| l.registry == registry && !except.contains(&l.repository.as_str()))
            .take(MAX_CANDIDATES)
            .map(|l| l.repository.clone())
            .collect()
    }

    /// Merges what this process learnt into the file (see the module's doc). Failures are
    /// logged and ignored: the cache only ever saves work.
    pub fn save(&self) {
        if let Err(error) = self.try_save() {
            tracing::debug!(path = %self.inner.path.display(), %error, "blob cache not saved");
        }
    }

    fn try_save(&self) -> std::io::Result<()> {
        let fresh = std::mem::take(&mut self.inner.state.lock().expect("never poisoned").fresh);
        if fresh.is_empty() {
            return Ok(());
        }
        let path = &self.inner.path;
        let directory = path.parent().expect("the file is in a folder");
        std::fs::create_dir_all(directory)?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(directory.join(format!("{FILE_NAME}.lock")))?;
        lock.lock()?;
        let mut blobs = read(path);
        for (key, location) in fresh {
            add(blobs.entry(key).or_default(), location);
        }
        bound(&mut blobs);
        let file = CacheFile { version: VERSION, blobs };
        let temporary = directory.join(format!(".{FILE_NAME}.{}", uuid::Uuid::new_v4()));
        let written = serde_json::to_vec(&file)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&temporary, bytes))
            .and_then(|()| std::fs::rename(&temporary, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        // What other processes learnt is now known here too.
        self.inner.state.lock().expect("never poisoned").known.extend(file.blobs);
        drop(lock);
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(n: u32) -> Digest {
        Digest::sha256_of(&n.to_le_bytes())
    }

    #[test]
    fn locations_are_remembered_across_instances_newest_first() {
        let temp = tempfile::tempdir().unwrap();
        let cache = BlobCache::at(temp.path());
        cache.record("reg:5000", "app/a", &digest(1));
        std::thread::sleep(std::time::Duration::from_millis(3));
        cache.record("reg:5000", "app/b", &digest(1));
        cache.record("other:5000", "app/c", &digest(1));
        assert_eq!(cache.candidates("reg:5000", &digest(1), &[]), ["app/b", "app/a"]);
        cache.save();
        let again = BlobCache::at(temp.path());
        assert_eq!(again.candidates("reg:5000", &digest(1), &["app/b"]), ["app/a"]);
        assert_eq!(again.candidates("other:5000", &digest(1), &[]), ["app/c"]);
        assert!(again.candidates("reg:5000", &digest(2), &[]).is_empty());
    }

    #[test]
    fn saves_merge_what_other_processes_learnt() {
        let temp = tempfile::tempdir().unwrap();
        let (one, two) = (BlobCache::at(temp.path()), BlobCache::at(temp.path()));
        one.record("reg", "a", &digest(1));
        two.record("reg", "b", &digest(2));
        one.save();
        two.save();
        let merged = BlobCache::at(temp.path());
        assert_eq!(merged.candidates("reg", &digest(1), &[]), ["a"]);
        assert_eq!(merged.candidates("reg", &digest(2), &[]), ["b"]);
        // `two` learnt `one`'s entry when it saved.
        assert_eq!(two.candidates("reg", &digest(1), &[]), ["a"]);
    }

    #[test]
    fn saves_from_many_threads_at_once_lose_nothing() {
        let temp = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..8u32)
            .map(|n| {
                let directory = temp.path().to_owned();
                std::thread::spawn(move || {
                    let cache = BlobCache::at(&directory);
                    cache.record("reg", &format!("r{n}"), &digest(n));
                    cache.save();
                })
            })
            .collect();
        threads.into_iter().for_each(|thread| thread.join().unwrap());
        let merged = BlobCache::at(temp.path());
        for n in 0..8 {
            assert_eq!(merged.candidates("reg", &digest(n), &[]), [format!("r{n}")]);
        }
    }

    #[test]
    fn a_corrupt_or_foreign_file_is_ignored_and_replaced() {
        let temp = tempfile::tempdir().unwrap();
        for content in ["{not json", r#"{"version":99,"blobs":{}}"#, "\u{0}\u{1}"] {
            std::fs::write(temp.path().join(FILE_NAME), content).unwrap();
            let cache = BlobCache::at(temp.path());
            assert!(cache.candidates("reg", &digest(1), &[]).is_empty());
            cache.record("reg", "a", &digest(1));
            cache.save();
            assert_eq!(BlobCache::at(temp.path()).candidates("reg", &digest(1), &[]), ["a"], "{content}");
        }
        // A folder that cannot be written: nothing fails.
        let blocked = temp.path().join("file");
        std::fs::write(&blocked, "").unwrap();
        let cache = BlobCache::at(&blocked.join("below"));
        cache.record("reg", "a", &digest(1));
        cache.save();
    }

    #[test]
    fn bounded_per_blob_and_in_all() {
        let mut locations = Vec::new();
        for n in 0..20u64 {
            add(&mut locations, Location { registry: "reg".into(), repository: format!("r{n}"), seen: n });
        }
        assert_eq!(locations.len(), MAX_PER_BLOB);
        assert_eq!(locations[0].repository, "r19");
        let mut blobs = HashMap::new();
        for n in 0..(MAX_LOCATIONS as u64 + 100) {
            blobs.insert(format!("d{n}"), vec![Location { registry: "reg".into(), repository: "r".into(), seen: n }]);
        }
        bound(&mut blobs);
        assert_eq!(blobs.len(), MAX_LOCATIONS);
        assert!(!blobs.contains_key("d0") && blobs.contains_key(&format!("d{}", MAX_LOCATIONS + 99)));
    }

    #[test]
    fn the_folder_follows_the_environment() {
        let os = |text: &'static str| Some(std::ffi::OsStr::new(text));
        let directory = BlobCache::directory;
        assert_eq!(directory(None, os("/x/cache"), os("/home/u")), Some(PathBuf::from("/x/cache/kots")));
        assert_eq!(directory(None, os("relative"), os("/home/u")), Some(PathBuf::from("/home/u/.cache/kots")));
        assert_eq!(directory(None, None, os("/home/u")), Some(PathBuf::from("/home/u/.cache/kots")));
        assert_eq!(directory(os("/elsewhere"), os("/x"), os("/home/u")), Some(PathBuf::from("/elsewhere")));
        assert_eq!(directory(os("off"), os("/x"), os("/home/u")), None);
        assert_eq!(directory(os("OFF"), None, None), None);
        assert_eq!(directory(None, None, None), None);
    }
}

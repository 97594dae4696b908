//! The OCI image layout on disk (`oci-layout`, `index.json`, `blobs/ALG/HEX`), as skopeo, umoci
//! and `kubectl kots pull` read and write it.
//!
//! Blobs are written streaming: hashed while they are copied into a temporary file beside their
//! final place, fsynced, and renamed only once their digest is known (and checked, when the
//! caller knows what it should be). A reader never sees a partial blob.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::digest::{Algorithm, Digest};
use crate::manifest::Descriptor;
use crate::{Error, media_type};

/// The annotation that names a manifest inside `index.json` (`oci:DIR:NAME` in skopeo).
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

const LAYOUT_FILE: &str = "oci-layout";
const INDEX_FILE: &str = "index.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayoutIndex {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// An OCI image layout directory.
#[derive(Debug, Clone)]
pub struct OciLayout {
    root: PathBuf,
}

impl OciLayout {
    /// Opens the layout at `root`, creating an empty one if the directory holds none.
    pub fn create(root: impl Into<PathBuf>) -> Result<OciLayout, Error> {
        let root = root.into();
        fs::create_dir_all(root.join("blobs")).map_err(|e| Error::io(&root, e))?;
        let layout = OciLayout { root };
        if !layout.root.join(LAYOUT_FILE).exists() {
            layout.write_atomically(LAYOUT_FILE, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        if !layout.root.join(INDEX_FILE).exists() {
            layout.write_index(&LayoutIndex {
                schema_version: 2,
                media_type: Some(media_type::OCI_INDEX.to_owned()),
                manifests: Vec::new(),
                annotations: None,
            })?;
        }
        Ok(layout)
    }

    /// Opens an existing layout, failing if `root` is not one.
    pub fn open(root: impl Into<PathBuf>) -> Result<OciLayout, Error> {
        let root = root.into();
        let marker = root.join(LAYOUT_FILE);
        let text = fs::read(&marker).map_err(|e| Error::io(&marker, e))?;
        let value: serde_json::Value =
            serde_json::from_slice(&text).map_err(|source| Error::Json { path: marker.clone(), source })?;
        if value.get("imageLayoutVersion").and_then(|v| v.as_str()).is_none() {
            return Err(Error::Layout { path: root, reason: "`oci-layout` has no `imageLayoutVersion`".to_owned() });
        }
        Ok(OciLayout { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs").join(digest.algorithm().name()).join(digest.hex())
    }

    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    pub fn open_blob(&self, digest: &Digest) -> Result<File, Error> {
        let path = self.blob_path(digest);
        File::open(&path).map_err(|e| Error::io(path, e))
    }

    pub fn read_blob(&self, digest: &Digest) -> Result<Vec<u8>, Error> {
        let path = self.blob_path(digest);
        let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
        digest.verify(&bytes)?;
        Ok(bytes)
    }

    /// Writes `bytes` as a sha256 blob and returns its descriptor.
    pub fn write_blob_bytes(&self, media_type: &str, bytes: &[u8]) -> Result<Descriptor, Error> {
        let (digest, size) = self.write_blob(Algorithm::Sha256, None, bytes)?;
        Ok(Descriptor::new(media_type, digest, size))
    }

    /// Streams `reader` into the layout. With `expected`, the blob is kept only if it matches.
    pub fn write_blob(
        &self,
        algorithm: Algorithm,
        expected: Option<&Digest>,
        mut reader: impl Read,
    ) -> Result<(Digest, u64), Error> {
        let algorithm = expected.map_or(algorithm, Digest::algorithm);
        let directory = self.root.join("blobs").join(algorithm.name());
        fs::create_dir_all(&directory).map_err(|e| Error::io(&directory, e))?;
        let temp_path = directory.join(format!(".tmp-{}", uuid::Uuid::new_v4()));
        let result = (|| {
            let mut file = File::create(&temp_path).map_err(|e| Error::io(&temp_path, e))?;
            let mut hasher = algorithm.hasher();
            let mut buffer = vec![0u8; 256 * 1024];
            let mut size = 0u64;
            loop {
                let read = match reader.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::io(&temp_path, e)),
                };
                hasher.update(&buffer[..read]);
                file.write_all(&buffer[..read]).map_err(|e| Error::io(&temp_path, e))?;
                size += read as u64;
            }
            let digest = hasher.finish();
            if let Some(expected) = expected
                && *expected != digest
            {
                return Err(Error::DigestMismatch { expected: expected.to_string(), actual: digest.to_string() });
            }
            file.sync_all().map_err(|e| Error::io(&temp_path, e))?;
            let final_path = self.blob_path(&digest);
            fs::rename(&temp_path, &final_path).map_err(|e| Error::io(&final_path, e))?;
            Ok((digest, size))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp_path);
        }
        result
    }

    pub fn index(&self) -> Result<LayoutIndex, Error> {
        let path = self.root.join(INDEX_FILE);
        let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_slice(&bytes).map_err(|source| Error::Json { path, source })
    }

    /// The manifest named `ref_name` in `index.json`.
    pub fn find(&self, ref_name: &str) -> Result<Option<Descriptor>, Error> {
        Ok(self.index()?.manifests.into_iter().find(|d| d.annotation(REF_NAME_ANNOTATION) == Some(ref_name)))
    }

    /// Adds `descriptor` to `index.json`, named `ref_name` if given; an earlier entry with the
    /// same name is replaced, as a tag moves.
    pub fn add_manifest(&self, mut descriptor: Descriptor, ref_name: Option<&str>) -> Result<(), Error> {
        // Several copies (threads or processes) may add to one layout at once: hold an
        // exclusive lock on `oci-layout` across the read-modify-write of `index.json`.
        let lock_path = self.root.join(LAYOUT_FILE);
        let lock = File::open(&lock_path).map_err(|e| Error::io(&lock_path, e))?;
        lock.lock().map_err(|e| Error::io(&lock_path, e))?;
        let mut index = self.index()?;
        if let Some(name) = ref_name {
            index.manifests.retain(|d| d.annotation(REF_NAME_ANNOTATION) != Some(name));
            descriptor
                .annotations
                .get_or_insert_with(BTreeMap::new)
                .insert(REF_NAME_ANNOTATION.to_owned(), name.to_owned());
        } else if index
            .manifests
            .iter()
            .any(|d| d.digest == descriptor.digest && d.annotation(REF_NAME_ANNOTATION).is_none())
        {
            return Ok(());
        }
        index.manifests.push(descriptor);
        self.write_index(&index)
    }

    fn write_index(&self, index: &LayoutIndex) -> Result<(), Error> {
        let bytes = serde_json::to_vec(index).expect("an index always serialises");
        self.write_atomically(INDEX_FILE, &bytes)
    }

    fn write_atomically(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let temp_path = self.root.join(format!(".{name}.tmp-{}", uuid::Uuid::new_v4()));
        let final_path = self.root.join(name);
        let result = (|| {
            let mut file = File::create(&temp_path)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&temp_path, &final_path)
        })();
        result.map_err(|e| {
            let _ = fs::remove_file(&temp_path);
            Error::io(final_path, e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_additions_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).unwrap();
        std::thread::scope(|scope| {
            for thread in 0..8 {
                let layout = layout.clone();
                scope.spawn(move || {
                    for round in 0..10 {
                        let bytes = format!("{{\"n\":{thread}{round}}}");
                        let manifest = layout.write_blob_bytes(media_type::OCI_MANIFEST, bytes.as_bytes()).unwrap();
                        layout.add_manifest(manifest, Some(&format!("t{thread}-{round}"))).unwrap();
                    }
                });
            }
        });
        assert_eq!(layout.index().unwrap().manifests.len(), 80);
    }

    #[test]
    fn blobs_and_named_manifests_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path().join("layout")).unwrap();
        let layer = layout.write_blob_bytes(media_type::OCI_LAYER, b"layer bytes").unwrap();
        assert_eq!(layer.digest, Digest::sha256_of(b"layer bytes"));
        assert_eq!(layout.read_blob(&layer.digest).unwrap(), b"layer bytes");

        let manifest = layout.write_blob_bytes(media_type::OCI_MANIFEST, b"{}").unwrap();
        layout.add_manifest(manifest.clone(), Some("v1")).unwrap();
        layout.add_manifest(layer.clone(), Some("v1")).unwrap();
        layout.add_manifest(manifest.clone(), Some("v2")).unwrap();
        let reopened = OciLayout::open(layout.root()).unwrap();
        assert_eq!(reopened.find("v1").unwrap().unwrap().digest, layer.digest);
        assert_eq!(reopened.find("v2").unwrap().unwrap().digest, manifest.digest);
        assert_eq!(reopened.index().unwrap().manifests.len(), 2);
    }

    #[test]
    fn mismatched_blob_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(dir.path()).unwrap();
        let expected = Digest::sha256_of(b"other");
        let error = layout.write_blob(Algorithm::Sha256, Some(&expected), &b"content"[..]).unwrap_err();
        assert!(matches!(error, Error::DigestMismatch { .. }));
        assert!(!layout.has_blob(&expected));
        let leftovers = fs::read_dir(dir.path().join("blobs/sha256")).unwrap().count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn open_refuses_a_plain_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert!(OciLayout::open(dir.path()).is_err());
    }
}

//! The global public keys a customer trusts.
//!
//! A license names the global key that vouches for its app key (`globalKeyId`). Nothing is
//! trusted by default: the CLI passes the vendor's keys (`--trusted-key FILE`, or a folder of
//! `.pem` files), so a license from anyone else is rejected with the key ID to look for. A key
//! is trusted for what it is, not for its file name: a license whose key ID names no trusted
//! file is still accepted when one of the trusted keys signed its app key (so
//! `kots-vendor key export > vendor.pem` works as well as `KEY_ID.pem`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rsa::RsaPublicKey;

use crate::{Error, pss};

#[derive(Clone, Default)]
pub struct TrustedKeys {
    keys: BTreeMap<String, RsaPublicKey>,
}

impl TrustedKeys {
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts the RSA public key in `pem` (`PUBLIC KEY` or `RSA PUBLIC KEY`) under `key_id`,
    /// replacing any key trusted under that ID.
    pub fn add_pem(&mut self, key_id: impl Into<String>, pem: &str) -> Result<(), Error> {
        let key_id = key_id.into();
        let key =
            pss::public_key_from_pem(pem).map_err(|reason| Error::InvalidKey { key_id: key_id.clone(), reason })?;
        self.keys.insert(key_id, key);
        Ok(())
    }

    /// Trusts the key in the file at `path`, known by its name without extension
    /// (`keys/bdee56560cfb43c9b28bf98eacafa646.pem` names the key ID; `vendor.pem` any name).
    pub fn add_file(&mut self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let key_id =
            path.file_stem().and_then(|stem| stem.to_str()).filter(|stem| !stem.is_empty()).ok_or_else(|| {
                Error::InvalidKey {
                    key_id: path.display().to_string(),
                    reason: "the file has no name to know the key by, e.g. `vendor.pem`".into(),
                }
                .with_path(path)
            })?;
        let pem = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        self.add_pem(key_id, &pem).map_err(|e| e.with_path(path))
    }

    /// Trusts every `.pem` file in the folder at `path`; other files are ignored.
    pub fn load_dir(path: impl AsRef<Path>) -> Result<TrustedKeys, Error> {
        let path = path.as_ref();
        let mut files = Vec::new();
        for entry in std::fs::read_dir(path).map_err(|e| Error::io(path, e))? {
            let file = entry.map_err(|e| Error::io(path, e))?.path();
            if file.extension().is_some_and(|extension| extension == "pem") && file.is_file() {
                files.push(file);
            }
        }
        files.sort();
        let mut trusted = TrustedKeys::new();
        for file in files {
            trusted.add_file(file)?;
        }
        Ok(trusted)
    }

    pub fn contains(&self, key_id: &str) -> bool {
        self.keys.contains_key(key_id)
    }

    /// The trusted key IDs, sorted.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub(crate) fn get(&self, key_id: &str) -> Option<&RsaPublicKey> {
        self.keys.get(key_id)
    }

    /// Every trusted key, with the name it was given.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &RsaPublicKey)> {
        self.keys.iter().map(|(name, key)| (name.as_str(), key))
    }
}

impl fmt::Debug for TrustedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TrustedKeys").field(&self.keys.keys().collect::<Vec<_>>()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/keys");

    #[test]
    fn loads_a_folder_of_key_files() {
        let trusted = TrustedKeys::load_dir(VECTOR_KEYS).unwrap();
        assert_eq!(
            trusted.key_ids().collect::<Vec<_>>(),
            [
                "1d3f7f6b50714fe7b895554dd65773b0",
                "bdee56560cfb43c9b28bf98eacafa646",
                "de2c275656d04b1bb0f15cf70f0ea2a2",
                "test-global-key-id"
            ]
        );
    }

    #[test]
    fn ignores_other_files_and_names_a_bad_key_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("README.md"), "not a key").unwrap();
        assert!(TrustedKeys::load_dir(dir.path()).unwrap().is_empty());

        std::fs::write(dir.path().join("broken.pem"), "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n")
            .unwrap();
        let error = TrustedKeys::load_dir(dir.path()).unwrap_err();
        assert!(error.to_string().contains("broken.pem"), "{error}");
        assert!(matches!(error.kind(), Error::InvalidKey { key_id, .. } if key_id == "broken"));
    }

    #[test]
    fn a_missing_folder_is_named() {
        let error = TrustedKeys::load_dir("/nonexistent/keys").unwrap_err();
        assert!(error.to_string().contains("/nonexistent/keys"), "{error}");
    }
}

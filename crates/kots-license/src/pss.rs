//! RSA-PSS exactly as KOTS uses it, so that licenses signed by the real vendor service verify
//! here and licenses signed here verify in KOTS.
//!
//! KOTS signs with Go's `rsa.SignPSS` and default options, which use the *maximum* salt length
//! (key bytes − hash bytes − 2), and verifies with `PSSSaltLengthAuto`, which accepts any salt
//! length. `rsa` 0.9 checks one given salt length, so verification tries the two lengths a Go
//! signer produces (equal to the hash, and the maximum); signing uses the maximum, as KOTS does.
//! `kots.io/v1beta1` licenses hash with MD5, `kots.io/v1beta2` with SHA-256.

use md5_rsa::Md5;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use rsa::{Pss, RsaPrivateKey, RsaPublicKey};
use sha2_rsa::Sha256;
use sha2_rsa::digest::Digest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Md5,
    Sha256,
}

impl Hash {
    fn output_len(self) -> usize {
        match self {
            Hash::Md5 => 16,
            Hash::Sha256 => 32,
        }
    }

    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Hash::Md5 => Md5::digest(message).to_vec(),
            Hash::Sha256 => Sha256::digest(message).to_vec(),
        }
    }

    fn scheme(self, salt_len: usize) -> Pss {
        match self {
            Hash::Md5 => Pss::new_with_salt::<Md5>(salt_len),
            Hash::Sha256 => Pss::new_with_salt::<Sha256>(salt_len),
        }
    }

    /// For signing: the same PSS, but the private-key operation is blinded with fresh
    /// randomness, so its timing does not depend on the key (`rsa` 0.9 is not constant-time,
    /// RUSTSEC-2023-0071). The signature is an ordinary PSS signature.
    fn blinded_scheme(self, salt_len: usize) -> Pss {
        match self {
            Hash::Md5 => Pss::new_blinded_with_salt::<Md5>(salt_len),
            Hash::Sha256 => Pss::new_blinded_with_salt::<Sha256>(salt_len),
        }
    }

    /// The longest salt a key of `modulus_bits` allows (RFC 8017 §9.1.1: emLen − hLen − 2).
    fn max_salt_len(self, modulus_bits: usize) -> Option<usize> {
        let encoded_len = (modulus_bits.checked_sub(1)?).div_ceil(8);
        encoded_len.checked_sub(self.output_len() + 2)
    }
}

/// Whether `signature` is a PSS signature of `message` by `key`, with either salt length a Go
/// signer uses.
pub(crate) fn verify(key: &RsaPublicKey, hash: Hash, message: &[u8], signature: &[u8]) -> bool {
    let hashed = hash.digest(message);
    let mut salt_lens = vec![hash.output_len()];
    salt_lens.extend(hash.max_salt_len(key.n().bits()).filter(|&max| max != hash.output_len()));
    salt_lens.into_iter().any(|salt_len| key.verify(hash.scheme(salt_len), &hashed, signature).is_ok())
}

/// A PSS signature of `message` with the maximum salt length, as KOTS makes them.
pub(crate) fn sign(key: &RsaPrivateKey, hash: Hash, message: &[u8]) -> Result<Vec<u8>, String> {
    let salt_len = hash.max_salt_len(key.n().bits()).ok_or("the key is too small for PSS")?;
    key.sign_with_rng(&mut OsRng, hash.blinded_scheme(salt_len), &hash.digest(message)).map_err(|e| e.to_string())
}

/// An RSA public key from PEM: `PUBLIC KEY` (SubjectPublicKeyInfo, what KOTS writes) or
/// `RSA PUBLIC KEY` (PKCS#1).
pub(crate) fn public_key_from_pem(pem: &str) -> Result<RsaPublicKey, String> {
    let pem = pem.trim();
    RsaPublicKey::from_public_key_pem(pem).or_else(|spki_error| {
        RsaPublicKey::from_pkcs1_pem(pem).map_err(|_| format!("not an RSA public key in PEM: {spki_error}"))
    })
}

/// An RSA private key from PEM: `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1).
pub(crate) fn private_key_from_pem(pem: &str) -> Result<RsaPrivateKey, String> {
    let pem = pem.trim();
    let key = RsaPrivateKey::from_pkcs8_pem(pem).or_else(|pkcs8_error| {
        RsaPrivateKey::from_pkcs1_pem(pem)
            .map_err(|_| format!("not an unencrypted RSA private key in PEM: {pkcs8_error}"))
    })?;
    key.validate().map_err(|e| format!("invalid RSA private key: {e}"))?;
    Ok(key)
}

/// The public key as SubjectPublicKeyInfo PEM with `\n` line endings, byte for byte what Go's
/// `pem.EncodeToMemory` writes (this text is what the global key signs).
pub(crate) fn public_key_to_pem(key: &RsaPublicKey) -> Result<String, String> {
    key.to_public_key_pem(LineEnding::LF).map_err(|e| e.to_string())
}

pub(crate) fn private_key_to_pem(key: &RsaPrivateKey) -> Result<String, String> {
    key.to_pkcs8_pem(LineEnding::LF).map(|pem| pem.to_string()).map_err(|e| e.to_string())
}

pub(crate) fn generate(bits: usize) -> Result<RsaPrivateKey, String> {
    RsaPrivateKey::new(&mut OsRng, bits).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_salt_matches_go() {
        // Go: (bits-1+7)/8 - hash - 2, i.e. 222 for a 2048-bit key and SHA-256.
        assert_eq!(Hash::Sha256.max_salt_len(2048), Some(222));
        assert_eq!(Hash::Md5.max_salt_len(2048), Some(238));
        assert_eq!(Hash::Sha256.max_salt_len(2049), Some(222));
        assert_eq!(Hash::Sha256.max_salt_len(8), None);
    }

    #[test]
    fn rejects_pem_that_is_not_a_key() {
        let error = public_key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").unwrap_err();
        assert!(error.contains("not an RSA public key"), "{error}");
        assert!(public_key_from_pem("hello").is_err());
        assert!(private_key_from_pem("hello").is_err());
    }
}

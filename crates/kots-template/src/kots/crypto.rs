//! KOTS's encryption of stored secrets (`pkg/crypto/aes.go`): config `password` values, the
//! identity service's client secret. The key is KOTS's `API_ENCRYPTION_KEY` (also the
//! `kotsadm-encryption` Secret): std base64 of a 24-byte AES-192 key followed by a 12-byte
//! nonce. A value is std base64 of AES-192-GCM output. KOTS writes it nonce-prefixed (a fresh
//! nonce, then the sealed text) and reads that first, then the legacy form (sealed with the
//! key's own nonce, no prefix). Copying the format exactly means a value we encrypt is one KOTS
//! decrypts, and the other way round.
//!
//! GCM is written out here over the `aes` block cipher (NIST SP 800-38D, 12-byte nonces,
//! 16-byte tags): no GCM crate is available offline. It also serves `KubeSeal`'s AES-256-GCM.

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use base64::Engine;
use rand::RngCore;

use crate::Error;

/// The AES key length of an `API_ENCRYPTION_KEY` (AES-192).
const KEY_LENGTH: usize = 24;
/// GCM's standard nonce length.
const NONCE_LENGTH: usize = 12;
const TAG_LENGTH: usize = 16;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// An AES block cipher of any of the three key sizes.
pub(crate) enum Aes {
    Aes128(Box<aes::Aes128>),
    Aes192(Box<aes::Aes192>),
    Aes256(Box<aes::Aes256>),
}

impl Aes {
    /// Go's `aes.NewCipher`: the key length picks the variant (16, 24 or 32 bytes).
    pub(crate) fn new(key: &[u8]) -> Option<Aes> {
        Some(match key.len() {
            16 => Aes::Aes128(Box::new(aes::Aes128::new_from_slice(key).ok()?)),
            24 => Aes::Aes192(Box::new(aes::Aes192::new_from_slice(key).ok()?)),
            32 => Aes::Aes256(Box::new(aes::Aes256::new_from_slice(key).ok()?)),
            _ => return None,
        })
    }

    fn encrypt(&self, block: [u8; 16]) -> [u8; 16] {
        let mut b = block.into();
        match self {
            Aes::Aes128(c) => c.encrypt_block(&mut b),
            Aes::Aes192(c) => c.encrypt_block(&mut b),
            Aes::Aes256(c) => c.encrypt_block(&mut b),
        }
        b.into()
    }
}

/// Multiplication in GF(2^128) with GCM's bit order (SP 800-38D, algorithm 1).
fn gf_mul(x: u128, y: u128) -> u128 {
    const R: u128 = 0xe1 << 120;
    let (mut z, mut v) = (0u128, y);
    for i in 0..128 {
        if (x >> (127 - i)) & 1 == 1 {
            z ^= v;
        }
        v = if v & 1 == 1 { (v >> 1) ^ R } else { v >> 1 };
    }
    z
}

fn ghash(h: u128, aad: &[u8], ciphertext: &[u8]) -> u128 {
    let mut y = 0u128;
    for data in [aad, ciphertext] {
        for chunk in data.chunks(16) {
            let mut block = [0u8; 16];
            block[..chunk.len()].copy_from_slice(chunk);
            y = gf_mul(y ^ u128::from_be_bytes(block), h);
        }
    }
    let lengths = ((aad.len() as u128 * 8) << 64) | (ciphertext.len() as u128 * 8);
    gf_mul(y ^ lengths, h)
}

/// AES-CTR from counter block `j0` + 1 (GCM's GCTR with inc32).
fn ctr(cipher: &Aes, j0: [u8; 16], data: &[u8]) -> Vec<u8> {
    let mut counter = j0;
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks(16) {
        let c = u32::from_be_bytes([counter[12], counter[13], counter[14], counter[15]]).wrapping_add(1);
        counter[12..].copy_from_slice(&c.to_be_bytes());
        let stream = cipher.encrypt(counter);
        out.extend(chunk.iter().zip(stream).map(|(a, b)| a ^ b));
    }
    out
}

fn j0(nonce: &[u8; NONCE_LENGTH]) -> [u8; 16] {
    let mut j0 = [0u8; 16];
    j0[..NONCE_LENGTH].copy_from_slice(nonce);
    j0[15] = 1;
    j0
}

fn tag(cipher: &Aes, nonce: &[u8; NONCE_LENGTH], ciphertext: &[u8]) -> [u8; TAG_LENGTH] {
    let h = u128::from_be_bytes(cipher.encrypt([0u8; 16]));
    let s = ghash(h, &[], ciphertext);
    (u128::from_be_bytes(cipher.encrypt(j0(nonce))) ^ s).to_be_bytes()
}

/// Go's `gcm.Seal(nil, nonce, plaintext, nil)`: ciphertext followed by the 16-byte tag.
pub(crate) fn gcm_seal(cipher: &Aes, nonce: &[u8; NONCE_LENGTH], plaintext: &[u8]) -> Vec<u8> {
    let mut out = ctr(cipher, j0(nonce), plaintext);
    let t = tag(cipher, nonce, &out);
    out.extend_from_slice(&t);
    out
}

/// Go's `gcm.Open(nil, nonce, sealed, nil)`; `None` when the tag does not match.
pub(crate) fn gcm_open(cipher: &Aes, nonce: &[u8; NONCE_LENGTH], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < TAG_LENGTH {
        return None;
    }
    let (ciphertext, given) = sealed.split_at(sealed.len() - TAG_LENGTH);
    let want = tag(cipher, nonce, ciphertext);
    // Constant time: every byte compared.
    let diff = want.iter().zip(given).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    (diff == 0).then(|| ctr(cipher, j0(nonce), ciphertext))
}

/// An `API_ENCRYPTION_KEY` read as KOTS reads it (`aesCipherFromString`): at least 24 bytes of
/// key, then at least 12 of nonce (the first 12 are used).
struct KeyMaterial {
    cipher: Aes,
    nonce: [u8; NONCE_LENGTH],
}

fn key_material(key_b64: &str) -> Result<KeyMaterial, Error> {
    let decoded = b64().decode(key_b64).map_err(|e| Error::Kots(format!("failed to decode string: {e}")))?;
    if decoded.len() < KEY_LENGTH {
        return Err(Error::Kots(format!("cipher key is invalid: len={}, expected {KEY_LENGTH}", decoded.len())));
    }
    let nonce_len = decoded.len() - KEY_LENGTH;
    if nonce_len < NONCE_LENGTH {
        return Err(Error::Kots(format!("cipher nonce is invalid: len={nonce_len}, expected {NONCE_LENGTH}")));
    }
    let cipher = Aes::new(&decoded[..KEY_LENGTH]).ok_or_else(|| Error::Kots("failed to create cipher".to_string()))?;
    let mut nonce = [0u8; NONCE_LENGTH];
    nonce.copy_from_slice(&decoded[KEY_LENGTH..KEY_LENGTH + NONCE_LENGTH]);
    Ok(KeyMaterial { cipher, nonce })
}

/// A fresh `API_ENCRYPTION_KEY`: 24 random key bytes and a 12-byte random nonce, std base64
/// (what KOTS's `NewAESCipher` + `ToString` make), for a first install that has none.
pub fn generate_key() -> String {
    let mut bytes = [0u8; KEY_LENGTH + NONCE_LENGTH];
    rand::rng().fill_bytes(&mut bytes);
    b64().encode(bytes)
}

/// Encrypts `plaintext` as KOTS stores a secret today: std base64 of a fresh random nonce
/// followed by the AES-192-GCM output, so KOTS (and [`decrypt`]) can read it back.
pub fn encrypt(key_b64: &str, plaintext: &str) -> Result<String, Error> {
    let key = key_material(key_b64)?;
    let mut nonce = [0u8; NONCE_LENGTH];
    rand::rng().fill_bytes(&mut nonce);
    let mut out = nonce.to_vec();
    out.extend(gcm_seal(&key.cipher, &nonce, plaintext.as_bytes()));
    Ok(b64().encode(out))
}

/// Decrypts a value KOTS stored (a config `password`, `IdentityConfig`'s
/// `clientSecret.valueEncrypted`): the nonce-prefixed form first, then the legacy one sealed
/// with the key's own nonce. Errors when it is not base64, neither form opens, or the
/// plaintext is not UTF-8 (a template string must be).
pub fn decrypt(key_b64: &str, ciphertext_b64: &str) -> Result<String, Error> {
    let key = key_material(key_b64)?;
    let data = b64().decode(ciphertext_b64).map_err(|e| Error::Kots(format!("failed to base64 decode: {e}")))?;
    let prefixed = (data.len() >= NONCE_LENGTH + TAG_LENGTH)
        .then(|| {
            let mut nonce = [0u8; NONCE_LENGTH];
            nonce.copy_from_slice(&data[..NONCE_LENGTH]);
            gcm_open(&key.cipher, &nonce, &data[NONCE_LENGTH..])
        })
        .flatten();
    let plain = prefixed
        .or_else(|| gcm_open(&key.cipher, &key.nonce, &data))
        .ok_or_else(|| Error::Kots("failed to decrypt: cipher: message authentication failed".to_string()))?;
    String::from_utf8(plain).map_err(|_| Error::Kots("failed to decrypt: the plaintext is not UTF-8".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed key of KOTS's `pkg/crypto/aes_test.go` (also the vectors' `encryptionKey`).
    const KEY: &str = "wwYTl3RHaCirSqx7alC/hsRQXyycHDdGZZCyNMy9R01p5czC";

    #[test]
    fn gcm_matches_the_nist_test_vectors() {
        // McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 2 and 3.
        let cipher = Aes::new(&[0u8; 16]).unwrap();
        let sealed = gcm_seal(&cipher, &[0u8; 12], &[0u8; 16]);
        assert_eq!(hex::encode(&sealed), "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf");
        let key = hex::decode("feffe9928665731c6d6a8f9467308308").unwrap();
        let nonce: [u8; 12] = hex::decode("cafebabefacedbaddecaf888").unwrap().try_into().unwrap();
        let plain = hex::decode(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
        )
        .unwrap();
        let cipher = Aes::new(&key).unwrap();
        let sealed = gcm_seal(&cipher, &nonce, &plain);
        assert_eq!(
            hex::encode(&sealed),
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f59854d5c2af327cd64a62cf35abd2ba6fab4"
        );
        assert_eq!(gcm_open(&cipher, &nonce, &sealed).unwrap(), plain);
        let mut tampered = sealed.clone();
        tampered[0] ^= 1;
        assert!(gcm_open(&cipher, &nonce, &tampered).is_none());
    }

    #[test]
    fn encrypt_then_decrypt_gives_the_plaintext() {
        for key in [KEY.to_string(), generate_key()] {
            let sealed = encrypt(&key, "this is a test value to be encrypted").unwrap();
            assert_eq!(decrypt(&key, &sealed).unwrap(), "this is a test value to be encrypted");
            // A fresh nonce each time.
            assert_ne!(sealed, encrypt(&key, "this is a test value to be encrypted").unwrap());
        }
        let other = generate_key();
        assert!(decrypt(&other, &encrypt(KEY, "x").unwrap()).is_err());
    }

    #[test]
    fn decrypts_the_vectors_fixed_ciphertext_and_the_legacy_form() {
        // compat/kots-templates cases.yaml: nonce 000102…0b prepended, KOTS's current format.
        let key = key_material(KEY).unwrap();
        let nonce: [u8; 12] = core::array::from_fn(|i| i as u8);
        let mut prefixed = nonce.to_vec();
        prefixed.extend(gcm_seal(&key.cipher, &nonce, b"this is a test value to be encrypted"));
        let fixed = b64().encode(&prefixed);
        assert_eq!(fixed, "AAECAwQFBgcICQoLpfOgHrxP2GupHZTr82ss+ZRnsc15xi8ugKABwhNrvDOkh5gmA3LxuTrl9cmbIqcvTG7IrQ==");
        assert_eq!(decrypt(KEY, &fixed).unwrap(), "this is a test value to be encrypted");
        // Legacy: sealed with the key's own nonce, no prefix.
        let legacy = gcm_seal(&key.cipher, &key.nonce, b"old");
        assert_eq!(decrypt(KEY, &b64().encode(legacy)).unwrap(), "old");
        assert!(decrypt(KEY, "not base64!").is_err());
        assert!(decrypt("c2hvcnQ=", "AAAA").is_err(), "a key shorter than 36 bytes is refused");
    }
}

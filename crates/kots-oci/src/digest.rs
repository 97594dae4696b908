//! Content digests (`algorithm:hex`), as OCI 1.1 defines them: `sha256` everywhere, `sha512`
//! where a client asks for it. A [`Digest`] is always valid once constructed, so code that holds
//! one never re-checks it, and its text is safe to use as a file name.

use std::fmt;
use std::str::FromStr;

use sha2::Digest as _;

use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Length of the hex-encoded hash.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }

    pub fn hasher(self) -> Hasher {
        match self {
            Algorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }
}

/// A validated content digest such as `sha256:e3b0…`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    pub fn parse(input: &str) -> Result<Digest, Error> {
        let invalid = |reason| Error::InvalidDigest { input: input.to_owned(), reason };
        let (algorithm, hex) =
            input.split_once(':').ok_or_else(|| invalid("expected `algorithm:hex`, e.g. `sha256:…`"))?;
        let algorithm = match algorithm {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => return Err(invalid("unsupported algorithm; expected sha256 or sha512")),
        };
        if hex.len() != algorithm.hex_len() {
            return Err(invalid(match algorithm {
                Algorithm::Sha256 => "a sha256 digest has 64 hex characters",
                Algorithm::Sha512 => "a sha512 digest has 128 hex characters",
            }));
        }
        if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(invalid("the hash must be lowercase hex"));
        }
        Ok(Digest { algorithm, hex: hex.to_owned() })
    }

    /// The sha256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Digest {
        Self::of(Algorithm::Sha256, bytes)
    }

    pub fn of(algorithm: Algorithm, bytes: &[u8]) -> Digest {
        let mut hasher = algorithm.hasher();
        hasher.update(bytes);
        hasher.finish()
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// Fails with [`Error::DigestMismatch`] unless `bytes` hash to this digest.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), Error> {
        let actual = Digest::of(self.algorithm, bytes);
        if &actual == self {
            Ok(())
        } else {
            Err(Error::DigestMismatch { expected: self.to_string(), actual: actual.to_string() })
        }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl FromStr for Digest {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse(s)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Digest::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A running hash for content that arrives in pieces. Cloning it is cheap (a few hundred
/// bytes), which lets an upload keep the state from before a chunk and roll back to it when the
/// chunk fails half-way.
#[derive(Clone)]
pub enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hasher({})", self.algorithm().name())
    }
}

impl Hasher {
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Hasher::Sha256(_) => Algorithm::Sha256,
            Hasher::Sha512(_) => Algorithm::Sha512,
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    pub fn finish(self) -> Digest {
        let algorithm = self.algorithm();
        let hex = match self {
            Hasher::Sha256(h) => hex::encode(h.finalize()),
            Hasher::Sha512(h) => hex::encode(h.finalize()),
        };
        Digest { algorithm, hex }
    }
}

impl Hasher {
    /// The running state as bytes (an algorithm tag, then the hash's own serialised state), so
    /// an upload session can be stored between requests and continued by any server.
    pub fn to_state(&self) -> Vec<u8> {
        use sha2::digest::common::hazmat::SerializableState;
        match self {
            Hasher::Sha256(h) => [&[1u8][..], &h.serialize()[..]].concat(),
            Hasher::Sha512(h) => [&[2u8][..], &h.serialize()[..]].concat(),
        }
    }

    /// The inverse of [`Hasher::to_state`]; `None` if the bytes are not a saved state.
    pub fn from_state(state: &[u8]) -> Option<Hasher> {
        use sha2::digest::common::hazmat::SerializableState;
        let (tag, rest) = state.split_first()?;
        match tag {
            1 => Some(Hasher::Sha256(sha2::Sha256::deserialize(rest.try_into().ok()?).ok()?)),
            2 => Some(Hasher::Sha512(sha2::Sha512::deserialize(rest.try_into().ok()?).ok()?)),
            _ => None,
        }
    }
}

/// Hashes everything `reader` yields; used to check content already on disk.
pub fn hash_reader(algorithm: Algorithm, mut reader: impl std::io::Read) -> std::io::Result<(Digest, u64)> {
    let mut hasher = algorithm.hasher();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..read]);
        total += read as u64;
    }
    Ok((hasher.finish(), total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EMPTY_SHA256: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn hashes_known_values() {
        assert_eq!(Digest::sha256_of(b"").to_string(), EMPTY_SHA256);
        assert_eq!(
            Digest::of(Algorithm::Sha512, b"").to_string(),
            "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        );
    }

    #[test]
    fn rejects_malformed_digests() {
        for bad in [
            "",
            "sha256",
            "sha256:",
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
            "sha256:../../../../etc/passwd00000000000000000000000000000000000000000",
        ] {
            assert!(Digest::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn verify_reports_both_digests() {
        let digest = Digest::sha256_of(b"hello");
        assert!(digest.verify(b"hello").is_ok());
        let error = digest.verify(b"hellO").unwrap_err().to_string();
        assert!(error.contains(&digest.to_string()), "{error}");
    }

    proptest! {
        #[test]
        fn chunked_hash_equals_whole(data in proptest::collection::vec(any::<u8>(), 0..4096), split in 0usize..4096) {
            let split = split.min(data.len());
            let mut hasher = Algorithm::Sha256.hasher();
            hasher.update(&data[..split]);
            hasher.update(&data[split..]);
            prop_assert_eq!(hasher.finish(), Digest::sha256_of(&data));
        }

        #[test]
        fn saved_state_continues_the_hash(data in proptest::collection::vec(any::<u8>(), 0..300), split in 0usize..300) {
            let split = split.min(data.len());
            for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
                let mut hasher = algorithm.hasher();
                hasher.update(&data[..split]);
                let mut restored = Hasher::from_state(&hasher.to_state()).unwrap();
                restored.update(&data[split..]);
                prop_assert_eq!(restored.finish(), Digest::of(algorithm, &data));
            }
        }

        #[test]
        fn display_parse_round_trip(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
                let digest = Digest::of(algorithm, &data);
                prop_assert_eq!(Digest::parse(&digest.to_string()).unwrap(), digest);
            }
        }
    }
}

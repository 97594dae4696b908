//! What a copy reports as it goes, and what it did in the end.

use std::time::Duration;

use kots_oci::Digest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A blob starts to move; `size` bytes are expected.
    BlobStarted {
        digest: Digest,
        size: u64,
    },
    /// `bytes` more bytes of the blob have moved.
    BlobBytes {
        digest: Digest,
        bytes: u64,
    },
    BlobDone {
        digest: Digest,
        size: u64,
    },
    /// The destination already had it.
    BlobSkipped {
        digest: Digest,
        size: u64,
    },
    /// Mounted from another repository of the destination registry.
    BlobMounted {
        digest: Digest,
        size: u64,
    },
    /// A manifest (and so the image or index it heads) is at the destination.
    ManifestDone {
        digest: Digest,
        media_type: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The digest of the copied root manifest at the destination.
    pub digest: Option<Digest>,
    pub blobs_sent: u64,
    pub bytes_sent: u64,
    pub blobs_skipped: u64,
    pub bytes_skipped: u64,
    pub blobs_mounted: u64,
    pub bytes_mounted: u64,
    pub manifests: u64,
    /// False when `platforms` chose part of an index: the index itself was not copied.
    pub index_complete: bool,
    pub elapsed: Duration,
}

impl Summary {
    /// One line for a CLI: `sent 120.3 MB in 12 blobs, skipped 3 (40.1 MB), mounted 1 (2.0 MB), 4.2 s`.
    pub fn line(&self) -> String {
        format!(
            "sent {} in {} blobs, skipped {} ({}), mounted {} ({}), {} manifests, {:.1} s",
            human_bytes(self.bytes_sent),
            self.blobs_sent,
            self.blobs_skipped,
            human_bytes(self.bytes_skipped),
            self.blobs_mounted,
            human_bytes(self.bytes_mounted),
            self.manifests,
            self.elapsed.as_secs_f64()
        )
    }
}

impl Summary {
    /// The short line of an airgap push: `sent 12 blobs (120.3 MB), skipped 3, mounted 1`.
    pub fn pushed_line(&self) -> String {
        format!(
            "sent {} blobs ({}), skipped {}, mounted {}",
            self.blobs_sent,
            human_bytes(self.bytes_sent),
            self.blobs_skipped,
            self.blobs_mounted
        )
    }
}

pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
        assert_eq!(human_bytes(1_073_741_824), "1.1 GB");
    }
}

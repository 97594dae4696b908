//! Small real images made without Docker, for demos and tests of the whole flow: a gzip'd tar
//! layer every example image shares (so shared-layer handling shows), one layer of its own with
//! `size` bytes that do not compress, an OCI config for linux/amd64 and an OCI manifest.
//! Deterministic: the same name, seed and size give the same digest.

use std::io::Write;

use kots_oci::{Descriptor, Digest, OciLayout, media_type};
use serde_json::json;

fn tar_gz(path: &str, content: &[u8]) -> std::io::Result<(Vec<u8>, Digest)> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o755);
    header.set_mtime(0);
    header.set_cksum();
    builder.append_data(&mut header, path, content)?;
    let tar = builder.into_inner()?;
    let diff_id = Digest::sha256_of(&tar);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&tar)?;
    Ok((encoder.finish()?, diff_id))
}

/// `size` bytes from a seed, that no compressor shrinks.
fn pseudo_random(seed: &str, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 32);
    let mut block = Digest::sha256_of(seed.as_bytes()).hex().to_owned();
    while out.len() < size {
        let digest = Digest::sha256_of(block.as_bytes());
        out.extend_from_slice(&hex::decode(digest.hex()).expect("hex digest"));
        block = digest.hex().to_owned();
    }
    out.truncate(size);
    out
}

/// Writes an example image named `name` into `layout` under `ref_name`; its own layer holds
/// `size` bytes derived from `seed`.
pub fn make(layout: &OciLayout, ref_name: &str, name: &str, seed: &str, size: usize) -> anyhow::Result<Descriptor> {
    let (base, base_diff) = tar_gz("etc/kots-example", b"a layer every kots example image shares\n")?;
    let (own, own_diff) = tar_gz(&format!("app/{name}"), &pseudo_random(&format!("{name}/{seed}"), size))?;
    let base = layout.write_blob_bytes(media_type::OCI_LAYER_GZIP, &base)?;
    let own = layout.write_blob_bytes(media_type::OCI_LAYER_GZIP, &own)?;
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": [format!("/app/{name}")], "Labels": {"io.kots.example": name, "io.kots.seed": seed}},
        "rootfs": {"type": "layers", "diff_ids": [base_diff.to_string(), own_diff.to_string()]},
    });
    let config = layout.write_blob_bytes(media_type::OCI_CONFIG, &serde_json::to_vec(&config)?)?;
    let descriptor =
        |d: &Descriptor| json!({"mediaType": d.media_type, "digest": d.digest.to_string(), "size": d.size});
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": media_type::OCI_MANIFEST,
        "config": descriptor(&config),
        "layers": [descriptor(&base), descriptor(&own)],
    });
    let manifest = layout.write_blob_bytes(media_type::OCI_MANIFEST, &serde_json::to_vec(&manifest)?)?;
    layout.add_manifest(manifest.clone(), Some(ref_name))?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sharing_one_layer() {
        let directory = tempfile::tempdir().unwrap();
        let layout = OciLayout::create(directory.path()).unwrap();
        let first = make(&layout, "a", "web", "1", 1000).unwrap();
        let again = make(&layout, "b", "web", "1", 1000).unwrap();
        let other = make(&layout, "c", "api", "1", 1000).unwrap();
        assert_eq!(first.digest, again.digest);
        assert_ne!(first.digest, other.digest);
        let layers = |d: &Descriptor| {
            let manifest = kots_oci::Manifest::parse(&layout.read_blob(&d.digest).unwrap(), None).unwrap();
            manifest.layers.iter().map(|l| l.digest.clone()).collect::<Vec<_>>()
        };
        let (web, api) = (layers(&first), layers(&other));
        assert_eq!(web[0], api[0], "the base layer is shared");
        assert_ne!(web[1], api[1]);
        assert!(layout.read_blob(&web[1]).unwrap().len() > 1000, "random bytes do not compress");
    }
}

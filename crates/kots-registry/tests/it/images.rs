//! Test images, made here (no network): real gzipped tar layers, real configs, in an OCI layout
//! that skopeo reads. Flavours cover what the registry must carry byte for byte.

use std::io::Write;

use kots_oci::media_type::*;
use kots_oci::{Descriptor, Digest, OciLayout};
use serde_json::json;

/// A gzipped tar holding one file of `size` pseudo-random bytes, and its diff ID.
pub fn layer(seed: u64, size: usize) -> (Vec<u8>, Digest) {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let content: Vec<u8> = (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    tar.append_data(&mut header, format!("file-{seed}"), &content[..]).unwrap();
    let tar = tar.into_inner().unwrap();
    let diff_id = Digest::sha256_of(&tar);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(&tar).unwrap();
    (gzip.finish().unwrap(), diff_id)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Oci,
    Docker,
}

/// Writes one image manifest (config + `layers` layers) and returns its descriptor.
pub fn image(layout: &OciLayout, format: Format, seed: u64, layers: usize, architecture: &str) -> Descriptor {
    let (manifest_type, config_type, layer_type) = match format {
        Format::Oci => (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER_GZIP),
        Format::Docker => (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER_GZIP),
    };
    let mut layer_descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for index in 0..layers {
        let (bytes, diff_id) = layer(seed * 100 + index as u64, 2048 + index * 4096);
        layer_descriptors.push(layout.write_blob_bytes(layer_type, &bytes).unwrap());
        diff_ids.push(diff_id.to_string());
    }
    let config = json!({
        "architecture": architecture,
        "os": "linux",
        "config": {"Cmd": ["/bin/sh"], "Labels": {"seed": seed.to_string()}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [],
    });
    let config = layout.write_blob_bytes(config_type, config.to_string().as_bytes()).unwrap();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": config,
        "layers": layer_descriptors,
    });
    layout.write_blob_bytes(manifest_type, &serde_json::to_vec_pretty(&manifest).unwrap()).unwrap()
}

fn platform(descriptor: &mut Descriptor, architecture: &str, os: &str) {
    descriptor.platform = Some(serde_json::from_value(json!({"architecture": architecture, "os": os})).unwrap());
}

/// An index of an amd64 and an arm64 image.
pub fn multi_arch(layout: &OciLayout, seed: u64) -> Descriptor {
    let mut amd64 = image(layout, Format::Oci, seed, 2, "amd64");
    platform(&mut amd64, "amd64", "linux");
    let mut arm64 = image(layout, Format::Oci, seed + 1, 2, "arm64");
    platform(&mut arm64, "arm64", "linux");
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [amd64, arm64]});
    layout.write_blob_bytes(OCI_INDEX, index.to_string().as_bytes()).unwrap()
}

/// An index as BuildKit writes it with `--provenance`: the image, and an attestation manifest
/// (platform `unknown/unknown`) whose layer is an in-toto statement about it.
pub fn attested(layout: &OciLayout, seed: u64) -> Descriptor {
    let mut image_descriptor = image(layout, Format::Oci, seed, 2, "amd64");
    platform(&mut image_descriptor, "amd64", "linux");
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": "test", "digest": {"sha256": image_descriptor.digest.hex()}}],
        "predicate": {"builder": {"id": "kots-tests"}},
    });
    let mut statement_descriptor = layout.write_blob_bytes(IN_TOTO, statement.to_string().as_bytes()).unwrap();
    statement_descriptor.annotations =
        Some([("in-toto.io/predicate-type".to_owned(), "https://slsa.dev/provenance/v0.2".to_owned())].into());
    let config = layout
        .write_blob_bytes(OCI_CONFIG, json!({"architecture": "unknown", "os": "unknown", "config": {}, "rootfs": {"type": "layers", "diff_ids": []}}).to_string().as_bytes())
        .unwrap();
    let attestation =
        json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [statement_descriptor]});
    let mut attestation_descriptor = layout.write_blob_bytes(OCI_MANIFEST, attestation.to_string().as_bytes()).unwrap();
    platform(&mut attestation_descriptor, "unknown", "unknown");
    attestation_descriptor.annotations = Some(
        [
            ("vnd.docker.reference.type".to_owned(), "attestation-manifest".to_owned()),
            ("vnd.docker.reference.digest".to_owned(), image_descriptor.digest.to_string()),
        ]
        .into(),
    );
    let index =
        json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [image_descriptor, attestation_descriptor]});
    layout.write_blob_bytes(OCI_INDEX, index.to_string().as_bytes()).unwrap()
}

/// Every digest reachable from `root` in `layout`, manifests first.
pub fn reachable(layout: &OciLayout, root: &Descriptor) -> Vec<Descriptor> {
    let mut found = vec![root.clone()];
    let mut next = 0;
    while next < found.len() {
        let descriptor = found[next].clone();
        next += 1;
        if is_index(&descriptor.media_type) || is_image_manifest(&descriptor.media_type) {
            let bytes = layout.read_blob(&descriptor.digest).unwrap();
            let manifest = kots_oci::Manifest::parse(&bytes, Some(&descriptor.media_type)).unwrap();
            found.extend(manifest.manifests.iter().cloned());
            found.extend(manifest.config.iter().cloned());
            found.extend(manifest.layers.iter().cloned());
        }
    }
    found
}

/// The same image in skopeo's `dir:` format (`manifest.json`, blobs named by hash), which can
/// carry Docker v2 media types where an OCI layout cannot.
pub fn to_dir_transport(layout: &OciLayout, root: &Descriptor, directory: &std::path::Path) {
    std::fs::create_dir_all(directory).unwrap();
    std::fs::write(directory.join("version"), "Directory Transport Version: 1.1\n").unwrap();
    std::fs::write(directory.join("manifest.json"), layout.read_blob(&root.digest).unwrap()).unwrap();
    for descriptor in reachable(layout, root).iter().skip(1) {
        std::fs::write(directory.join(descriptor.digest.hex()), layout.read_blob(&descriptor.digest).unwrap()).unwrap();
    }
}

//! Helper for `bench/transfer.sh`.
//!
//! ```text
//! transfer_bench make-app DIR IMAGES BASE_LAYERS BASE_MIB OWN_LAYERS OWN_MIB  # layout, tags img0..imgN-1
//! transfer_bench copy-app SRC_PREFIX DST_PREFIX IMAGES [CONCURRENCY]          # PREFIX/imgI:v1, one copy_many
//! ```
//! `SRC_PREFIX` is `oci:DIR` (tags `imgI`) or `http://host/repo-prefix`.

use kots_oci::{Descriptor, OciLayout, media_type};
use kots_transfer::{ClientOptions, CopyOptions, Endpoint};

fn fill(bytes: &mut [u8], seed: u64) {
    let mut state = seed.wrapping_mul(0x9e3779b97f4a7c15) | 1;
    for chunk in bytes.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
    }
}

fn layer(layout: &OciLayout, seed: u64, mib: usize) -> Descriptor {
    let mut bytes = vec![0u8; mib * 1024 * 1024];
    fill(&mut bytes, seed);
    layout.write_blob_bytes(media_type::OCI_LAYER_GZIP, &bytes).unwrap()
}

fn make_app(directory: &str, images: usize, base_layers: usize, base_mib: usize, own_layers: usize, own_mib: usize) {
    let layout = OciLayout::create(directory).unwrap();
    let base: Vec<Descriptor> = (0..base_layers).map(|index| layer(&layout, 1000 + index as u64, base_mib)).collect();
    for image in 0..images {
        let mut layers = base.clone();
        layers.extend((0..own_layers).map(|index| layer(&layout, (image * 100 + index) as u64, own_mib)));
        let config = serde_json::json!({"architecture": "amd64", "os": "linux", "image": image, "rootfs": {"type": "layers", "diff_ids": []}});
        let config = layout.write_blob_bytes(media_type::OCI_CONFIG, config.to_string().as_bytes()).unwrap();
        let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST, "config": config, "layers": layers});
        let manifest = layout.write_blob_bytes(media_type::OCI_MANIFEST, manifest.to_string().as_bytes()).unwrap();
        layout.add_manifest(manifest, Some(&format!("img{image}"))).unwrap();
    }
}

fn reference(prefix: &str, image: usize) -> Endpoint {
    let text =
        if prefix.starts_with("oci:") { format!("{prefix}:img{image}") } else { format!("{prefix}/img{image}:v1") };
    Endpoint::parse(&text).unwrap()
}

async fn copy_app(source: &str, destination: &str, images: usize, concurrency: usize) {
    let pairs: Vec<(Endpoint, Endpoint)> =
        (0..images).map(|image| (reference(source, image), reference(destination, image))).collect();
    let side = ClientOptions::default();
    let options = CopyOptions { source: side.clone(), destination: side, concurrency, ..CopyOptions::default() };
    let (mut sent, mut mounted, mut skipped) = (0, 0, 0);
    for result in kots_transfer::copy_many(&pairs, &options, None).await {
        let summary = result.unwrap();
        sent += summary.bytes_sent;
        mounted += summary.bytes_mounted;
        skipped += summary.bytes_skipped;
    }
    println!("sent={sent} mounted={mounted} skipped={skipped}");
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |index: usize| -> usize { args[index].parse().expect("a number") };
    match args.first().map(String::as_str) {
        Some("make-app") => make_app(&args[1], number(2), number(3), number(4), number(5), number(6)),
        Some("copy-app") => {
            let concurrency = if args.len() > 4 { number(4) } else { 8 };
            copy_app(&args[1], &args[2], number(3), concurrency).await
        }
        _ => panic!("see the header for usage"),
    }
}

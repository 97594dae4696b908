//! The app folder travels with the app: `upstream/`, `base/`, `overlays/`, `kotsKinds/` and
//! `skippedFiles/` (not `images/` or `rendered/`) as
//! a gzip'd tar, split into ConfigMaps of at most 768 KiB that the midstream applies into the
//! app's namespace (`overlays/midstream/kots/archive.yaml`), so `kubectl kots download` can
//! rebuild the folder from the cluster.
//!
//! The archive is deterministic (sorted paths, zero times and owners, fixed modes, gzip without a
//! timestamp): the same folder always gives the same bytes, so a downloaded folder regenerates
//! exactly the ConfigMaps it came from.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use base64::Engine;
use kots_oci::Digest;
use serde_json::{Value, json};

use crate::folder::GeneratedFile;

/// Where the ConfigMaps live, relative to the midstream.
pub const ARCHIVE_FILE: &str = "kots/archive.yaml";
/// The archive file relative to the app folder (left out of the archive itself).
const ARCHIVE_IN_FOLDER: &str = "overlays/midstream/kots/archive.yaml";
/// Raw bytes per ConfigMap; base64 makes ~1 MiB of it, within what the API server accepts.
pub const PART_SIZE: usize = 768 * 1024;
/// The most parts an archive is read from: as many as the largest archive `download` unpacks
/// ([`kots_release::archive::MAX_TOTAL_BYTES`]) takes. The count is checked before anything is
/// done with it: a label claiming 10^9 parts cost 7.5 GB listing the missing ones.
pub const MAX_PARTS: usize = (kots_release::archive::MAX_TOTAL_BYTES as usize).div_ceil(PART_SIZE);
/// The folders that travel: all of KOTS's but `rendered/`, which the archive's own ConfigMaps
/// are part of (it is `kubectl kustomize` of the downstream, made again on the next pull).
pub const FOLDERS: [&str; 5] = ["upstream", "base", "overlays", "kotsKinds", "skippedFiles"];
const DATA_KEY: &str = "archive.tgz.part";

pub const LABEL_SLUG: &str = "kots.io/app-slug";
pub const LABEL_PART: &str = "kots.io/archive-part";
pub const LABEL_PARTS: &str = "kots.io/archive-parts";
/// A label value holds 63 characters: the digest's first 60 hex digits; the whole digest is in
/// the annotation of the same name.
pub const LABEL_DIGEST: &str = "kots.io/archive-digest";

/// The regular files under `upstream/`, `base/` and `overlays/` of `app_dir`, sorted, with `/`
/// paths; symbolic links and other special files are left out (they could not be restored
/// safely).
fn archived_files(app_dir: &Path) -> anyhow::Result<Vec<(String, std::path::PathBuf)>> {
    fn walk(root: &Path, directory: &Path, files: &mut Vec<(String, std::path::PathBuf)>) -> anyhow::Result<()> {
        let entries = std::fs::read_dir(directory).with_context(|| format!("cannot read `{}`", directory.display()))?;
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                walk(root, &path, files)?;
            } else if kind.is_file() {
                let relative = path.strip_prefix(root).expect("walked from root");
                let relative = relative
                    .to_str()
                    .with_context(|| format!("`{}` has a name that is not UTF-8", path.display()))?
                    .replace(std::path::MAIN_SEPARATOR, "/");
                if relative != ARCHIVE_IN_FOLDER {
                    files.push((relative, path));
                }
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for folder in FOLDERS {
        let directory = app_dir.join(folder);
        if directory.is_dir() {
            walk(app_dir, &directory, &mut files)?;
        }
    }
    files.sort();
    Ok(files)
}

/// The archive of `app_dir`.
pub fn build(app_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic);
    for (relative, path) in archived_files(app_dir)? {
        let content = std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        builder.append_data(&mut header, &relative, content.as_slice())?;
    }
    let tar = builder.into_inner()?;
    let mut encoder = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::default());
    encoder.write_all(&tar)?;
    Ok(encoder.finish()?)
}

fn configmap_name(app_slug: &str, part: usize) -> String {
    format!("kots-{app_slug}-archive-{part}")
}

/// The ConfigMaps holding `archive`, as the midstream's `kots/archive.yaml`.
pub fn configmaps_file(app_slug: &str, archive: &[u8]) -> GeneratedFile {
    let digest = Digest::sha256_of(archive);
    let parts: Vec<&[u8]> = archive.chunks(PART_SIZE).collect();
    let count = parts.len().max(1);
    let documents: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(index, part)| {
            let configmap = json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": configmap_name(app_slug, index + 1),
                    "labels": {
                        LABEL_SLUG: app_slug,
                        LABEL_PART: (index + 1).to_string(),
                        LABEL_PARTS: count.to_string(),
                        LABEL_DIGEST: &digest.hex()[..60],
                    },
                    "annotations": {LABEL_DIGEST: digest.to_string()},
                },
                "binaryData": {DATA_KEY: base64::engine::general_purpose::STANDARD.encode(part)},
            });
            crate::folder::to_yaml(&configmap)
        })
        .collect();
    GeneratedFile { path: ARCHIVE_FILE.to_owned(), content: documents.join("---\n") }
}

/// One app's archive as found in ConfigMaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundArchive {
    pub app_slug: String,
    pub archive: Vec<u8>,
}

/// One archive's parts as found, by digest: the part count its labels give, and each part.
type PartSet = (usize, BTreeMap<usize, Vec<u8>>);

/// Reassembles the archive of `slug` (or of the only app) from ConfigMaps (JSON values as the
/// API or `kubectl get -o yaml` give them): every part present, the digest right.
pub fn reassemble(configmaps: &[Value], slug: Option<&str>, origin: &str) -> anyhow::Result<FoundArchive> {
    let mut found: BTreeMap<String, BTreeMap<String, PartSet>> = BTreeMap::new();
    for configmap in configmaps {
        let labels = &configmap["metadata"]["labels"];
        let (Some(app), Some(part), Some(parts)) =
            (labels[LABEL_SLUG].as_str(), labels[LABEL_PART].as_str(), labels[LABEL_PARTS].as_str())
        else {
            continue;
        };
        let name = configmap["metadata"]["name"].as_str().unwrap_or("?");
        let bad = |what: &str| anyhow::anyhow!("{origin}: ConfigMap `{name}` has {what}");
        let part: usize = part.parse().map_err(|_| bad("a part number that is not a number"))?;
        let parts: usize = parts.parse().map_err(|_| bad("a part count that is not a number"))?;
        if parts == 0 || parts > MAX_PARTS {
            return Err(bad(&format!(
                "a part count of {parts} in `{LABEL_PARTS}`; an app archive has 1 to {MAX_PARTS} parts ({} MiB)",
                kots_release::archive::MAX_TOTAL_BYTES >> 20
            )));
        }
        if part == 0 || part > parts {
            return Err(bad(&format!("part number {part}, outside 1 to {parts}")));
        }
        let digest = configmap["metadata"]["annotations"][LABEL_DIGEST]
            .as_str()
            .ok_or_else(|| bad(&format!("no `{LABEL_DIGEST}` annotation")))?
            .to_owned();
        let data =
            configmap["binaryData"][DATA_KEY].as_str().ok_or_else(|| bad(&format!("no binaryData `{DATA_KEY}`")))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map_err(|_| bad("binaryData that is not base64"))?;
        let by_digest = found.entry(app.to_owned()).or_default();
        let (count, chunks) = by_digest.entry(digest).or_insert((parts, BTreeMap::new()));
        *count = parts;
        chunks.insert(part, bytes);
    }
    let app = match slug {
        Some(slug) => slug.to_owned(),
        None => match found.keys().collect::<Vec<_>>().as_slice() {
            [] => anyhow::bail!(
                "{origin} holds no app archive (ConfigMaps labelled {LABEL_PARTS}); pull writes them, `kubectl apply -k` stores them"
            ),
            [one] => (*one).clone(),
            many => anyhow::bail!(
                "{origin} holds the archives of several apps: {}; pass --slug to pick one",
                many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        },
    };
    let by_digest = found.get(&app).ok_or_else(|| anyhow::anyhow!("{origin} holds no archive of app `{app}`"))?;
    // A shorter new archive leaves the old one's last parts behind: take the complete set.
    let mut problems = Vec::new();
    for (digest, (count, chunks)) in by_digest {
        let missing: Vec<String> = (1..=*count).filter(|n| !chunks.contains_key(n)).map(|n| n.to_string()).collect();
        if !missing.is_empty() {
            problems.push(format!("part {} of {count} missing", missing.join(", ")));
            continue;
        }
        let archive: Vec<u8> = (1..=*count).flat_map(|n| chunks[&n].iter().copied()).collect();
        let actual = Digest::sha256_of(&archive);
        if actual.to_string() != *digest {
            problems.push(format!("the parts hash to {actual}, not {digest}"));
            continue;
        }
        return Ok(FoundArchive { app_slug: app, archive });
    }
    anyhow::bail!(
        "the archive of `{app}` in {origin} is damaged: {}; run `kubectl kots archive refresh` in the app folder and apply it again",
        problems.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> tempfile::TempDir {
        let temp = tempfile::tempdir().unwrap();
        for (path, content) in [
            ("upstream/a.yaml", "a"),
            ("base/b.yaml", "b"),
            ("overlays/midstream/kustomization.yaml", "k"),
            ("overlays/midstream/kots/archive.yaml", "left out"),
            ("images/index.json", "left out"),
        ] {
            crate::folder::write(&temp.path().join(path), content.as_bytes()).unwrap();
        }
        temp
    }

    fn values(file: &GeneratedFile) -> Vec<Value> {
        kots_release::documents::split_documents(&file.content)
            .iter()
            .map(|document| serde_saphyr::from_str(document).unwrap())
            .collect()
    }

    #[test]
    fn deterministic_and_complete() {
        let temp = folder();
        let archive = build(temp.path()).unwrap();
        assert_eq!(archive, build(temp.path()).unwrap(), "same folder, same bytes");
        let files = kots_release::archive::unpack_tgz(&archive, "archive").unwrap();
        let paths: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(paths, ["base/b.yaml", "overlays/midstream/kustomization.yaml", "upstream/a.yaml"]);
    }

    #[test]
    fn parts_round_trip_and_damage_is_named() {
        let big: Vec<u8> = (0..2 * PART_SIZE + 10).map(|i| (i * 7 % 251) as u8).collect();
        let file = configmaps_file("myapp", &big);
        let mut configmaps = values(&file);
        assert_eq!(configmaps.len(), 3);
        assert_eq!(configmaps[2]["metadata"]["labels"][LABEL_PARTS], "3");
        let found = reassemble(&configmaps, None, "test").unwrap();
        assert_eq!(found, FoundArchive { app_slug: "myapp".into(), archive: big.clone() });

        let other = values(&configmaps_file("other", b"x"));
        let mixed: Vec<Value> = configmaps.iter().chain(&other).cloned().collect();
        let error = reassemble(&mixed, None, "test").unwrap_err().to_string();
        assert!(error.contains("several apps: myapp, other") && error.contains("--slug"), "{error}");
        assert_eq!(reassemble(&mixed, Some("other"), "test").unwrap().archive, b"x");

        let without_two: Vec<Value> = [configmaps[0].clone(), configmaps[2].clone()].to_vec();
        let error = reassemble(&without_two, None, "test").unwrap_err().to_string();
        assert!(error.contains("part 2 of 3 missing"), "{error}");
        let mut claiming = configmaps.clone();
        claiming[0]["metadata"]["labels"][LABEL_PARTS] = json!("1000000000");
        let error = reassemble(&claiming, None, "test").unwrap_err().to_string();
        assert!(
            error.contains("ConfigMap `kots-myapp-archive-1` has a part count of 1000000000")
                && error.contains("1 to 342 parts (256 MiB)"),
            "{error}"
        );
        claiming[0]["metadata"]["labels"][LABEL_PARTS] = json!("3");
        claiming[0]["metadata"]["labels"][LABEL_PART] = json!("4");
        let error = reassemble(&claiming, None, "test").unwrap_err().to_string();
        assert!(error.contains("has part number 4, outside 1 to 3"), "{error}");
        configmaps[1]["binaryData"][DATA_KEY] = json!(base64::engine::general_purpose::STANDARD.encode(b"tampered"));
        let error = reassemble(&configmaps, None, "test").unwrap_err().to_string();
        assert!(error.contains("the parts hash to"), "{error}");
    }
}

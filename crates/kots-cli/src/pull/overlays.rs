//! The overlays step: the midstream kustomization (merged with the customer's edits), the pull
//! secret and its patches, the image-target record, the downstream (created once), and the
//! folder's own copy as ConfigMaps for `kubectl kots download`.

use std::path::Path;

use super::images::Placed;
use super::plan::Plan;
use crate::app_folder::{self, Base, GeneratedFile, MidstreamOwned};
use crate::folder;
use crate::naming::TARGET_RECORD;
use crate::pull_secret;

/// Reads: the staging folder's midstream kustomization (the customer's edits). Writes:
/// `root/overlays/` and the archive ConfigMaps.
pub fn write(plan: &Plan, app_slug: &str, base: &Base, placed: &Placed, root: &Path) -> anyhow::Result<()> {
    let midstream_dir = root.join("overlays/midstream");
    folder::remove(&midstream_dir.join(pull_secret::OWNED_FOLDER))?;
    if let Some(target) = &plan.target {
        folder::write(&midstream_dir.join(TARGET_RECORD), target.record(plan.image_naming).as_bytes())?;
    }
    let mut owned = MidstreamOwned {
        images: placed.rewrites.clone(),
        namespace: plan.namespace.clone(),
        ..MidstreamOwned::default()
    };
    let logins = &placed.logins;
    if !logins.is_empty() {
        let secret = pull_secret::secret_file(app_slug, logins);
        let patches = pull_secret::patches(app_slug, &base.documents);
        let mut generated: Vec<GeneratedFile> = vec![secret.clone()];
        owned.resources.push(secret.path.clone());
        for patch in patches {
            owned.patches.push((patch.file.path.clone(), patch.target.clone()));
            generated.push(patch.file);
        }
        folder::write_files(&midstream_dir, &generated)?;
        plan.printer.detail(format!(
            "pull secret {} for {}",
            pull_secret::secret_name(app_slug),
            logins.iter().map(|l| l.host.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    owned.resources.push(crate::app_archive::ARCHIVE_FILE.to_owned());
    let kustomization_path = midstream_dir.join("kustomization.yaml");
    let existing = std::fs::read_to_string(&kustomization_path).ok();
    let midstream =
        app_folder::midstream_kustomization(existing.as_deref(), app_slug, &owned).map_err(anyhow::Error::msg)?;
    folder::write(&kustomization_path, midstream.as_bytes())?;
    let downstream = root.join("overlays/downstreams").join(&plan.downstream).join("kustomization.yaml");
    if !downstream.exists() {
        folder::write(&downstream, app_folder::downstream_kustomization().as_bytes())?;
    }

    // The folder's own copy, applied with the app, for `kubectl kots download`.
    let archive = crate::app_archive::build(root)?;
    let configmaps = crate::app_archive::configmaps_file(app_slug, &archive);
    folder::write(&midstream_dir.join(&configmaps.path), configmaps.content.as_bytes())
}

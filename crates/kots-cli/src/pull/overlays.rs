//! The overlays step: the midstream as KOTS writes it (its kustomization merged with the
//! customer's edits, the pull secrets and their patches, the backup labels), the image-target
//! record, the downstream (created once), the folder's own copy as ConfigMaps for
//! `kubectl kots download`, and `rendered/DOWNSTREAM/`, what `kubectl kustomize` makes of it.

use std::path::Path;

use anyhow::{Context, anyhow};
use kots_license::License;

use super::images::Placed;
use super::plan::Plan;
use crate::app_folder::{self, Base, GeneratedFile, MidstreamOwned};
use crate::folder;
use crate::naming::TARGET_RECORD;
use crate::pull_secret;

/// Reads: the staging folder's midstream kustomization (the customer's edits). Writes:
/// `root/overlays/` and the archive ConfigMaps.
pub fn write(
    plan: &Plan,
    app_slug: &str,
    base: &Base,
    license: &License,
    placed: &Placed,
    charts: &[super::charts::ChartRelease],
    root: &Path,
) -> anyhow::Result<()> {
    let midstream_dir = root.join("overlays/midstream");
    folder::remove(&midstream_dir.join(pull_secret::OWNED_FOLDER))?;
    for file in app_folder::MIDSTREAM_FILES {
        folder::remove(&midstream_dir.join(file))?;
    }
    if let Some(target) = &plan.target {
        folder::write(&midstream_dir.join(TARGET_RECORD), target.record(plan.image_naming).as_bytes())?;
    }
    let mut owned = MidstreamOwned { images: placed.rewrites.clone(), ..MidstreamOwned::default() };
    // The cluster logs in with the customer's registry login when the images moved to a
    // registry that wants one, else with the license (the vendor's registry and proxy).
    let docker_config = if placed.logins.is_empty() {
        let context = kots_template::kots::KotsContext {
            license: Some(serde_json::to_value(license).context("reading the license's fields")?["spec"].clone()),
            app: base.application.as_ref().map(|app| app["spec"].clone()),
            ..Default::default()
        };
        kots_template::kots::license_docker_cfg(&context)
    } else {
        pull_secret::docker_config(&placed.logins)
    };
    let secret = pull_secret::secret_file(app_slug, plan.namespace.as_deref(), &docker_config);
    let mut generated: Vec<GeneratedFile> = vec![secret.clone()];
    owned.resources.push(secret.path.clone());
    let (strategic, patches) = pull_secret::patches(app_slug, &base.documents);
    if let Some(strategic) = strategic {
        owned.patches_strategic_merge.push(strategic.path.clone());
        generated.push(strategic);
    }
    for patch in patches {
        owned.patches.push((patch.file.path.clone(), patch.target.clone()));
        generated.push(patch.file);
    }
    let labels = GeneratedFile {
        path: "backup-label-transformer.yaml".to_owned(),
        content: app_folder::backup_label_transformer(app_slug),
    };
    owned.transformers.push(labels.path.clone());
    generated.push(labels);
    let (charts_file, left_out) = super::charts::overlay_file(charts, &base.documents, placed, app_slug);
    if let Some(charts) = charts_file {
        owned.resources.push(charts.path.clone());
        generated.push(charts);
    }
    for object in left_out {
        plan.printer.detail(format!(
            "{object} is not in the overlay: another object of the app has its kind and name (helm install from helm/ deploys it apart)"
        ));
    }
    folder::write_files(&midstream_dir, &generated)?;
    if !placed.logins.is_empty() {
        plan.printer.detail(format!(
            "pull secret {} for {}",
            pull_secret::secret_name(app_slug),
            placed.logins.iter().map(|l| l.host.as_str()).collect::<Vec<_>>().join(", ")
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

/// The program that builds a kustomization: `kubectl kustomize`, else `kustomize build`.
fn kustomize() -> Option<(&'static str, &'static [&'static str])> {
    let on_path = |name: &str| {
        std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
    };
    if on_path("kubectl") {
        Some(("kubectl", &["kustomize"]))
    } else if on_path("kustomize") {
        Some(("kustomize", &["build"]))
    } else {
        None
    }
}

/// `rendered/DOWNSTREAM/`: the downstream overlay built, one file per object named as KOTS
/// names them (`NAME-KIND.yaml`, then `-1`, `-2` … for the same name and kind). Reads: the
/// staging folder `root`. Writes: `root/rendered/DOWNSTREAM/`. Without kubectl or kustomize on
/// the PATH the folder is left out, and the user told.
pub fn write_rendered(plan: &Plan, root: &Path) -> anyhow::Result<()> {
    let out_dir = root.join("rendered").join(&plan.downstream);
    folder::remove(&out_dir)?;
    let Some((program, args)) = kustomize() else {
        plan.printer.detail("rendered/ left out: neither kubectl nor kustomize is on the PATH");
        return Ok(());
    };
    let overlay = root.join("overlays/downstreams").join(&plan.downstream);
    let output = std::process::Command::new(program)
        .args(args)
        .arg(&overlay)
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    if !output.status.success() {
        return Err(anyhow!(
            "overlays/downstreams/{} does not build with {program} {}: {}",
            plan.downstream,
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|_| anyhow!("{program} printed text that is not UTF-8"))?;
    let mut used = std::collections::BTreeMap::<String, usize>::new();
    // Split as KOTS splits it (on "\n---\n"), so each file holds the same bytes.
    for document in text.split("\n---\n").filter(|d| !d.trim().is_empty()) {
        let document = document.strip_prefix("---\n").unwrap_or(document);
        let value: serde_json::Value = serde_saphyr::from_str(document)
            .map_err(|e| anyhow!("{program} printed a document that is not YAML: {e}"))?;
        let part = |v: &serde_json::Value| v.as_str().unwrap_or("unnamed").to_lowercase();
        let stem = format!("{}-{}", part(&value["metadata"]["name"]), part(&value["kind"]));
        let count = used.entry(stem.clone()).or_insert(0);
        let name = if *count == 0 { format!("{stem}.yaml") } else { format!("{stem}-{count}.yaml") };
        *count += 1;
        folder::write(&out_dir.join(name), document.as_bytes())?;
    }
    Ok(())
}

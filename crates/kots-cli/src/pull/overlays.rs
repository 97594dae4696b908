//! The overlays step: the midstream as KOTS writes it (its kustomization merged with the
//! customer's edits, the pull secrets and their patches, the backup labels), the image-target
//! record, the downstream (created once), the folder's own copy as ConfigMaps for
//! `kubectl kots download`, and `rendered/DOWNSTREAM/`, what `kubectl kustomize` makes of it.

use std::path::Path;

use anyhow::{Context, anyhow};

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
    placed: &Placed,
    ((charts, helm_bases), license_config): ((&[super::charts::ChartRelease], &[super::ChartBase]), &str),
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
    let rewrites = |path: &str| placed.rewrites.get(path).cloned().unwrap_or_default();
    let mut owned = MidstreamOwned { images: rewrites(""), ..MidstreamOwned::default() };
    // The cluster logs in with the customer's registry login when the images moved to a
    // registry that wants one, else with the license (the vendor's registry and proxy).
    let docker_config = match placed.logins.is_empty() {
        true => license_config.to_owned(),
        false => pull_secret::docker_config(&placed.logins),
    };
    let mut generated =
        pull_secrets(&mut owned, app_slug, app_slug, plan.namespace.as_deref(), &base.documents, &docker_config);
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
    let downstream_dir = root.join("overlays/downstreams").join(&plan.downstream);
    let downstream = downstream_dir.join("kustomization.yaml");
    if !downstream.exists() {
        folder::write(&downstream, app_folder::downstream_kustomization().as_bytes())?;
    }

    // v1beta1 charts installed with Helm: each base its own midstream and downstream, its pull
    // secret named after it (`APP-NAME-registry`), as KOTS writes them.
    remove_stale_chart_overlays(&[midstream_dir.clone(), downstream_dir.clone()], helm_bases)?;
    for chart in helm_bases {
        let dir = midstream_dir.join(&chart.path);
        folder::remove(&dir.join(pull_secret::OWNED_FOLDER))?;
        for file in app_folder::MIDSTREAM_FILES {
            folder::remove(&dir.join(file))?;
        }
        let prefix = format!("{app_slug}-{}", chart.name());
        let mut owned = MidstreamOwned { images: rewrites(&chart.path), ..MidstreamOwned::default() };
        let documents: Vec<(String, serde_json::Value)> =
            chart.documents.iter().map(|(name, _, value)| (name.clone(), value.clone())).collect();
        let generated =
            pull_secrets(&mut owned, app_slug, &prefix, chart.namespace.as_deref(), &documents, &docker_config);
        folder::write_files(&dir, &generated)?;
        let path = dir.join("kustomization.yaml");
        let existing = std::fs::read_to_string(&path).ok();
        let kustomization =
            app_folder::chart_midstream_kustomization(existing.as_deref(), app_slug, &owned, &chart.path)
                .map_err(anyhow::Error::msg)?;
        folder::write(&path, kustomization.as_bytes())?;
        let downstream = downstream_dir.join(&chart.path).join("kustomization.yaml");
        if !downstream.exists() {
            folder::write(&downstream, app_folder::chart_downstream_kustomization(&chart.path).as_bytes())?;
        }
    }

    // The folder's own copy, applied with the app, for `kubectl kots download`.
    let archive = crate::app_archive::build(root)?;
    let configmaps = crate::app_archive::configmaps_file(app_slug, &archive);
    folder::write(&midstream_dir.join(&configmaps.path), configmaps.content.as_bytes())
}

/// A base's pull secrets (`secret.yaml`, named after `prefix`, in `namespace`), their patches on
/// its workloads (`documents`), and the backup labels, noted in `owned`.
fn pull_secrets(
    owned: &mut MidstreamOwned,
    app_slug: &str,
    prefix: &str,
    namespace: Option<&str>,
    documents: &[(String, serde_json::Value)],
    docker_config: &str,
) -> Vec<GeneratedFile> {
    let secret = pull_secret::secret_file(prefix, namespace, docker_config);
    owned.resources.push(secret.path.clone());
    let mut generated = vec![secret];
    let (strategic, patches) = pull_secret::patches(prefix, documents);
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
    generated
}

/// Overlays of chart bases the release no longer has (`charts/NAME/`, `…/charts/SUB/`,
/// `…/crds/` under the midstream and the downstream), removed as KOTS removes them; the
/// customer's own folders inside a current one stay.
fn remove_stale_chart_overlays(overlays: &[std::path::PathBuf], helm_bases: &[super::ChartBase]) -> anyhow::Result<()> {
    let current = |relative: &str| {
        helm_bases.iter().any(|base| base.path == relative || base.path.starts_with(&format!("{relative}/")))
    };
    for overlay in overlays {
        // Chart folders to look in, relative to the overlay ("" is the overlay itself).
        let mut stack = vec![String::new()];
        while let Some(chart) = stack.pop() {
            let join = |name: &str| if chart.is_empty() { name.to_owned() } else { format!("{chart}/{name}") };
            let crds = join("crds");
            if !chart.is_empty() && overlay.join(&crds).is_dir() && !current(&crds) {
                folder::remove(&overlay.join(&crds))?;
            }
            let Ok(entries) = std::fs::read_dir(overlay.join(join("charts"))) else { continue };
            for entry in entries.flatten().filter(|e| e.path().is_dir()) {
                let relative = join(&format!("charts/{}", entry.file_name().to_string_lossy()));
                match current(&relative) {
                    true => stack.push(relative),
                    false => folder::remove(&entry.path())?,
                }
            }
        }
    }
    Ok(())
}

/// The program that builds a kustomization: `kubectl kustomize`, else `kustomize build`.
type Kustomize = (&'static str, &'static [&'static str]);

fn kustomize() -> Option<Kustomize> {
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
pub fn write_rendered(plan: &Plan, helm_bases: &[super::ChartBase], root: &Path) -> anyhow::Result<()> {
    let out_dir = root.join("rendered").join(&plan.downstream);
    folder::remove(&out_dir)?;
    let Some(kustomize) = kustomize() else {
        plan.printer.detail("rendered/ left out: neither kubectl nor kustomize is on the PATH");
        return Ok(());
    };
    let overlays = root.join("overlays/downstreams").join(&plan.downstream);
    for (name, document) in build(kustomize, &overlays, &format!("overlays/downstreams/{}", plan.downstream))? {
        folder::write(&out_dir.join(name), document.as_bytes())?;
    }
    // Each chart installed with Helm: its own build, written as a chart `helm install` takes
    // (its Chart.yaml, the objects under templates/ with Go's braces escaped; a crds/ folder's
    // objects in it), as KOTS writes it.
    for chart in helm_bases {
        let dir = out_dir.join(&chart.path);
        for extra in ["Chart.yaml", "Chart.lock"] {
            if let Ok(bytes) = std::fs::read(root.join("base").join(&chart.path).join(extra)) {
                folder::write(&dir.join(extra), &bytes)?;
            }
        }
        let label = format!("overlays/downstreams/{}/{}", plan.downstream, chart.path);
        let is_crds = chart.name() == "crds";
        for (name, document) in build(kustomize, &overlays.join(&chart.path), &label)? {
            match is_crds {
                true => folder::write(&dir.join(name), document.as_bytes())?,
                false => folder::write(&dir.join("templates").join(name), escape_braces(&document).as_bytes())?,
            }
        }
    }
    Ok(())
}

/// A rendered object inside a chart's `templates/`: `{{` and `}}` written so that Helm prints
/// them as they are.
fn escape_braces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("{{").into_iter().chain(rest.find("}}")).min() {
        out.push_str(&rest[..at]);
        out.push_str(if rest[at..].starts_with("{{") { "{{`{{`}}" } else { "{{`}}`}}" });
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

/// The objects `overlay` builds to, each with the file name KOTS gives it (`NAME-KIND.yaml`,
/// then `-1`, `-2` … for the same name and kind), split as KOTS splits it (on "\n---\n") so
/// that each file holds the same bytes. `label` names the overlay in errors.
fn build((program, args): (&str, &[&str]), overlay: &Path, label: &str) -> anyhow::Result<Vec<(String, String)>> {
    let output = std::process::Command::new(program)
        .args(args)
        .arg(overlay)
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    if !output.status.success() {
        return Err(anyhow!(
            "{label} does not build with {program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|_| anyhow!("{program} printed text that is not UTF-8"))?;
    let mut used = std::collections::BTreeMap::<String, usize>::new();
    let mut out = Vec::new();
    for document in text.split("\n---\n").filter(|d| !d.trim().is_empty()) {
        let document = document.strip_prefix("---\n").unwrap_or(document);
        let value: serde_json::Value = serde_saphyr::from_str(document)
            .map_err(|e| anyhow!("{program} printed a document that is not YAML: {e}"))?;
        let part = |v: &serde_json::Value| v.as_str().unwrap_or("unnamed").to_lowercase();
        let stem = format!("{}-{}", part(&value["metadata"]["name"]), part(&value["kind"]));
        let count = used.entry(stem.clone()).or_insert(0);
        let name = if *count == 0 { format!("{stem}.yaml") } else { format!("{stem}-{count}.yaml") };
        *count += 1;
        out.push((name, document.to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlays_of_charts_gone_are_removed_and_the_customers_folders_kept() {
        let root = tempfile::tempdir().unwrap();
        let overlay = root.path().join("overlays/midstream");
        for dir in ["charts/web", "charts/web/charts/db", "charts/web/crds", "charts/web/patches", "charts/old"] {
            folder::write(&overlay.join(dir).join("kustomization.yaml"), b"kind: Kustomization\n").unwrap();
        }
        let base = |path: &str| super::super::ChartBase { path: path.to_owned(), ..Default::default() };
        remove_stale_chart_overlays(std::slice::from_ref(&overlay), &[base("charts/web")]).unwrap();
        assert!(overlay.join("charts/web/kustomization.yaml").is_file());
        assert!(overlay.join("charts/web/patches").is_dir(), "a folder of the customer's stays");
        for gone in ["charts/old", "charts/web/charts/db", "charts/web/crds"] {
            assert!(!overlay.join(gone).exists(), "{gone} is no base any more");
        }
    }

    #[test]
    fn braces_in_a_rendered_chart_template_print_as_they_are() {
        assert_eq!(escape_braces("a: {{ x }} }}"), "a: {{`{{`}} x {{`}}`}} {{`}}`}}");
        assert_eq!(escape_braces("plain"), "plain");
    }
}

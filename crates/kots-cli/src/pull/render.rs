//! The render step: the release's YAML files as they will be deployed, split into `base/`
//! documents. Today the files pass through as shipped; the template engine (Config,
//! `repl{{ … }}`, `kots.io/when`, Helm charts) fills this step in.

use super::plan::Plan;
use super::source::Release;
use crate::app_folder::{self, Base};

/// Reads: the release files. Writes nothing; returns the `base/` files and their documents.
pub fn render(plan: &Plan, release: &Release) -> anyhow::Result<Base> {
    let texts: Vec<(String, String)> = release
        .files
        .iter()
        .filter(|(path, _)| path.ends_with(".yaml") || path.ends_with(".yml"))
        .map(|(path, bytes)| {
            String::from_utf8(bytes.clone())
                .map(|text| (path.clone(), text))
                .map_err(|_| anyhow::anyhow!("release file `{path}` is not UTF-8 text"))
        })
        .collect::<anyhow::Result<_>>()?;
    app_folder::base_files(&texts, plan.exclude_kots_kinds).map_err(anyhow::Error::msg)
}

//! `kubectl kots template`: what a release's files become when KOTS renders them, for vendors
//! to check before shipping.
//!
//! KOTS renders every file in two passes, each a whole Go template of its own: first with the
//! delimiters `{{repl` … `}}`, then the output again with `repl{{` … `}}`. Plain `{{ … }}` is
//! text to both (Helm's templates pass through untouched). The engine is `kots-template`
//! (Go's text/template with sprig) with KOTS's functions (`kots_template::kots`; today the
//! static context: the config, license and version ones join with the KOTS rendering of `pull`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kots_template::kots::KotsContext;

/// What `kubectl kots template` renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateInput {
    /// One file, printed as it renders.
    File(PathBuf),
    /// Every file of a folder (recursively, in path order), each under a `# Source:` header.
    Dir(PathBuf),
    /// Standard input.
    Stdin,
}

impl TemplateInput {
    /// `-` is standard input; a folder is a folder; anything else a file (which must exist).
    pub fn from_arg(arg: &Path) -> Result<TemplateInput, TemplateError> {
        if arg == Path::new("-") {
            return Ok(TemplateInput::Stdin);
        }
        match std::fs::metadata(arg) {
            Ok(meta) if meta.is_dir() => Ok(TemplateInput::Dir(arg.to_path_buf())),
            Ok(_) => Ok(TemplateInput::File(arg.to_path_buf())),
            Err(source) => Err(TemplateError::Read { path: arg.to_path_buf(), source }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read `{}`: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("`{}` is not UTF-8 text: only text files are templates", path.display())]
    NotText { path: PathBuf },
    #[error("{0}")]
    Render(#[from] kots_template::Error),
    #[error("{failed} of {total} files did not render (the errors are above)")]
    SomeFailed { failed: usize, total: usize },
    #[error("`{}` {message}", path.display())]
    Context { path: PathBuf, message: String },
    #[error("writing the output: {0}")]
    Write(#[from] std::io::Error),
}

/// What the files render in: a release's Config and Application, the customer's ConfigValues
/// and license, the namespace. Every part is optional.
#[derive(Debug, Clone, Default)]
pub struct ReleaseContext {
    /// A release folder (`--local-path`): its Config's items and its Application.
    pub release_dir: Option<PathBuf>,
    /// A `kots.io/v1beta1` ConfigValues file (`--config-values`).
    pub config_values: Option<PathBuf>,
    /// A license (`--license-file`): read, and verified only to warn when it does not.
    pub license_file: Option<PathBuf>,
    pub namespace: Option<String>,
}

impl ReleaseContext {
    /// Reads the parts into KOTS's template context, the config items resolved in dependency
    /// order; warnings (a license that does not verify) go to `err`.
    pub fn load(&self, err: &mut dyn Write) -> Result<KotsContext, TemplateError> {
        let mut context = KotsContext { namespace: self.namespace.clone(), ..KotsContext::default() };
        if let Some(path) = &self.license_file {
            let license = kots_license::License::load(path)
                .map_err(|e| TemplateError::Context { path: path.clone(), message: e.to_string() })?;
            let verified = crate::license::trusted_keys(&[])
                .ok()
                .is_some_and(|(trusted, _)| kots_license::verify(&license, &trusted).is_ok());
            if !verified {
                writeln!(
                    err,
                    "warning: license `{}` does not verify against a trusted key: rendering with it anyway (pull would refuse it)",
                    path.display()
                )?;
            }
            let document = serde_json::to_value(&license)
                .map_err(|e| TemplateError::Context { path: path.clone(), message: e.to_string() })?;
            context.app_slug = Some(license.app_slug().to_string());
            context.license = Some(document["spec"].clone());
        }
        let documents = match &self.release_dir {
            Some(dir) => yaml_documents(dir)?.into_iter().map(|(_, document)| document).collect(),
            None => Vec::new(),
        };
        let mut given = std::collections::BTreeMap::new();
        if let Some(path) = &self.config_values {
            let text = read_text(path)?;
            given =
                read_config_values(&text).map_err(|message| TemplateError::Context { path: path.clone(), message })?;
        }
        Ok(kots_template::kots::with_release(context, &documents, &given)?)
    }
}

/// A `kots.io/v1beta1` ConfigValues document's `spec.values`.
pub fn read_config_values(
    text: &str,
) -> Result<std::collections::BTreeMap<String, kots_template::kots::ConfigItemValue>, String> {
    let document: serde_json::Value = serde_saphyr::from_str(text).map_err(|e| format!("is not YAML: {e}"))?;
    if document["kind"] != "ConfigValues" {
        return Err("is not a kots.io/v1beta1 ConfigValues document".to_string());
    }
    let mut given = std::collections::BTreeMap::new();
    for (name, item) in document["spec"]["values"].as_object().into_iter().flatten() {
        let text = |key: &str| item[key].as_str().unwrap_or("").to_string();
        given.insert(
            name.clone(),
            kots_template::kots::ConfigItemValue {
                // A password given in clear text (KOTS encrypts it into `value` when it stores it).
                value: if item["valuePlaintext"].is_string() { text("valuePlaintext") } else { text("value") },
                default: text("default"),
                filename: text("filename"),
            },
        );
    }
    Ok(given)
}

/// The YAML documents of release files that parse as they are (a document that is YAML only
/// once rendered is not a Config or an Application).
pub fn parse_documents<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<serde_json::Value> {
    texts
        .into_iter()
        .flat_map(kots_release::documents::split_documents)
        .filter_map(|document| serde_saphyr::from_str::<serde_json::Value>(&document).ok())
        .collect()
}

/// Every YAML document of a release folder's `.yaml`/`.yml` files that parses, with its file.
fn yaml_documents(dir: &Path) -> Result<Vec<(PathBuf, serde_json::Value)>, TemplateError> {
    let mut files = Vec::new();
    collect_files(dir, &mut files)?;
    files.sort();
    let mut out = Vec::new();
    for path in files {
        if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            continue;
        }
        let Ok(text) = read_text(&path) else { continue };
        out.extend(parse_documents([text.as_str()]).into_iter().map(|document| (path.clone(), document)));
    }
    Ok(out)
}

/// Renders `input` to `out`; errors of single files in a folder go to `err`, and the folder
/// as a whole fails at the end if any file did.
pub fn run(
    input: &TemplateInput,
    release: &ReleaseContext,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), TemplateError> {
    let context = release.load(err)?;
    let funcs = Arc::new(kots_template::kots::funcs(&context));
    match input {
        TemplateInput::Stdin => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| TemplateError::Read { path: PathBuf::from("-"), source })?;
            out.write_all(kots_template::kots::render("-", &text, &funcs)?.as_bytes())?;
        }
        TemplateInput::File(path) => {
            let text = read_text(path)?;
            let name = path.display().to_string();
            out.write_all(kots_template::kots::render(&name, &text, &funcs)?.as_bytes())?;
        }
        TemplateInput::Dir(dir) => {
            let mut files = Vec::new();
            collect_files(dir, &mut files)?;
            files.sort();
            let mut failed = 0;
            for path in &files {
                let relative = path.strip_prefix(dir).unwrap_or(path);
                let rendered = read_text(path)
                    .and_then(|text| Ok(kots_template::kots::render(&relative.display().to_string(), &text, &funcs)?));
                match rendered {
                    Ok(text) => {
                        writeln!(out, "---\n# Source: {}", relative.display())?;
                        out.write_all(text.as_bytes())?;
                        if !text.ends_with('\n') {
                            writeln!(out)?;
                        }
                    }
                    Err(TemplateError::NotText { .. }) => {
                        writeln!(err, "skipped `{}`: not a text file", relative.display())?;
                    }
                    Err(e) => {
                        failed += 1;
                        writeln!(err, "error: {e}")?;
                    }
                }
            }
            if failed > 0 {
                return Err(TemplateError::SomeFailed { failed, total: files.len() });
            }
        }
    }
    Ok(())
}

fn read_text(path: &Path) -> Result<String, TemplateError> {
    let bytes = std::fs::read(path).map_err(|source| TemplateError::Read { path: path.to_path_buf(), source })?;
    String::from_utf8(bytes).map_err(|_| TemplateError::NotText { path: path.to_path_buf() })
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), TemplateError> {
    let entries = std::fs::read_dir(dir).map_err(|source| TemplateError::Read { path: dir.to_path_buf(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| TemplateError::Read { path: dir.to_path_buf(), source })?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|source| TemplateError::Read { path: path.clone(), source })?;
        if kind.is_dir() {
            collect_files(&path, files)?;
        } else if kind.is_file() {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kots_template::FuncMap;
    use kots_template::kots::render as render_kots_text;

    /// sprig's and KOTS's functions in a context holding `namespace`.
    fn kots_funcs(namespace: Option<&str>) -> Arc<FuncMap> {
        let context = KotsContext { namespace: namespace.map(str::to_string), ..KotsContext::default() };
        Arc::new(kots_template::kots::funcs(&context))
    }

    #[test]
    fn kots_renders_repl_delimiters_and_leaves_helm_text_alone() {
        let funcs = kots_funcs(None);
        let text = "a: repl{{ \"x\" }}\nb: '{{repl 1 }}'\nc: {{ .Values.keep }}\n";
        let got = render_kots_text("f.yaml", text, &funcs).unwrap();
        assert_eq!(got, "a: x\nb: '1'\nc: {{ .Values.keep }}\n");
    }

    #[test]
    fn the_second_pass_renders_what_the_first_wrote() {
        // KOTS: text produced by the `{{repl` pass is parsed again by the `repl{{` pass.
        let funcs = kots_funcs(None);
        let got = render_kots_text("f", "{{repl \"repl{{ 2 }}\" }}", &funcs).unwrap();
        assert_eq!(got, "2");
    }

    #[test]
    fn kots_functions_render_with_the_namespace_given() {
        let funcs = kots_funcs(Some("prod"));
        let got = render_kots_text("f", "ns: repl{{ Namespace }} {{repl ToUpper \"x\" }}", &funcs).unwrap();
        assert_eq!(got, "ns: prod X");
    }

    #[test]
    fn a_broken_template_names_the_file_and_line() {
        let funcs = kots_funcs(None);
        let err = kots_template::kots::render("deploy.yaml", "a\nb: repl{{ nope }}", &funcs).unwrap_err();
        assert_eq!(err.to_string(), "template: deploy.yaml:2: function \"nope\" not defined");
    }
}

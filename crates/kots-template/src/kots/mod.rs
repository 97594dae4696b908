//! KOTS's templating on top of the engine: the two delimiter passes of KOTS's `Builder`, and
//! KOTS's template functions, grouped by the context KOTS defines them in.
//!
//! Reference: `../shared/compat/kots-templates/functions.md` (KOTS at commit 370ae903).
//! Contexts get their data from the caller ([`KotsContext`]); nothing here reads a cluster,
//! and the functions that would (`IsKurl`, `Distribution`, `NodeCount`, `Lookup`, the
//! Kubernetes versions) answer as KOTS does without one.

mod config;
mod config_context;
mod license_context;
mod release;
mod static_context;

pub use config::resolve_config;
pub use config_context::{ConfigItemValue, LocalRegistry, PrivacyProbe};
pub use license_context::{VersionInfo, license_docker_cfg};
pub use release::with_release;
pub use static_context::parse_bool;

use std::sync::Arc;

use crate::{Error, FuncMap, Options, Templates, Value};

/// What KOTS's functions know about the render they are in. Grows with the config, license and
/// version contexts.
#[derive(Clone, Default)]
pub struct KotsContext {
    /// What `Namespace` returns (KOTS: `$DEV_NAMESPACE`, else `$POD_NAMESPACE`); `None` reads
    /// those variables.
    pub namespace: Option<String>,
    /// The environment as the functions see it (`HTTPS_PROXY`, `POD_NAMESPACE`, …); `None`: the
    /// process's own.
    pub env: Option<std::collections::BTreeMap<String, String>>,
    /// The license's `spec` (KOTS's field names: `licenseID`, `appSlug`, `entitlements`, …);
    /// `None`: no license, and every license field is "".
    pub license: Option<serde_json::Value>,
    /// The Application's `spec` (`replicatedRegistryDomain`, `proxyRegistryDomain`, …).
    pub app: Option<serde_json::Value>,
    /// The version being rendered; `None`: no version info (`Sequence` is -1).
    pub version: Option<VersionInfo>,
    /// The config items, resolved (value, default, filename by item name).
    pub config_values: std::collections::BTreeMap<String, ConfigItemValue>,
    /// The customer's registry, when images are rewritten to it.
    pub local_registry: Option<LocalRegistry>,
    /// The application's slug (`ImagePullSecretName`).
    pub app_slug: Option<String>,
    /// Whether an image is private, for `LocalImageName`; `None`: every image is public.
    pub private_image: Option<PrivacyProbe>,
}

impl std::fmt::Debug for KotsContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KotsContext")
            .field("namespace", &self.namespace)
            .field("license", &self.license.is_some())
            .field("app", &self.app)
            .field("version", &self.version)
            .field("config_values", &self.config_values.keys().collect::<Vec<_>>())
            .field("local_registry", &self.local_registry.as_ref().map(|r| &r.hostname))
            .field("app_slug", &self.app_slug)
            .finish_non_exhaustive()
    }
}

impl KotsContext {
    /// An environment variable as the functions see it ("" when unset).
    pub fn env_var(&self, name: &str) -> String {
        match &self.env {
            Some(env) => env.get(name).cloned().unwrap_or_default(),
            None => std::env::var(name).unwrap_or_default(),
        }
    }
}

/// sprig's functions with KOTS's on top, for templates rendered in `context`.
pub fn funcs(context: &KotsContext) -> FuncMap {
    let mut map = crate::sprig::funcs();
    static_context::register(&mut map, context);
    license_context::register(&mut map, context);
    config_context::register(&mut map, context);
    map
}

/// Renders `text` as KOTS's `Builder.RenderTemplate` does: a whole template with the
/// delimiters `{{repl` … `}}`, then another over its output with `repl{{` … `}}`. Plain
/// `{{ … }}` is text to both (Helm's templates pass through). `name` names the text in errors.
pub fn render(name: &str, text: &str, funcs: &Arc<FuncMap>) -> Result<String, Error> {
    let mut out = text.to_string();
    for (left, right) in [("{{repl", "}}"), ("repl{{", "}}")] {
        if !out.contains(left) {
            continue;
        }
        let options = Options { left_delim: left.to_string(), right_delim: right.to_string(), ..Options::default() };
        let mut set = Templates::new(funcs.clone(), options);
        set.parse(name, &out)?;
        // KOTS executes with nil data: `.` is no value.
        out = set.render(name, &Value::Missing)?;
    }
    Ok(out)
}

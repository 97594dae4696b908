//! KOTS's templating on top of the engine: the two delimiter passes of KOTS's `Builder`, and
//! KOTS's template functions, grouped by the context KOTS defines them in.
//!
//! Reference: `../shared/compat/kots-templates/functions.md` (KOTS at commit 370ae903).
//! Contexts get their data from the caller ([`KotsContext`]); nothing here reads a cluster.
//! The functions that would (`IsKurl`, `Distribution`, `NodeCount`, the Kubernetes versions)
//! answer from [`KotsContext::cluster`] when the caller describes one, else as KOTS does
//! without a cluster; `Lookup` always answers as without one.

mod config;
mod config_context;
mod config_document;
pub mod crypto;
mod identity_context;
mod kurl_context;
mod license_context;
mod release;
mod static_context;
mod tls;
mod yaml;

pub use config::{DepGraph, resolve_config};
pub use config_context::{ConfigItemValue, LocalRegistry, PrivacyProbe};
pub use config_document::render_config_document;
pub use kurl_context::kurl_values_from_installer;
pub use license_context::{VersionInfo, license_docker_cfg, registry_domains};
pub use release::with_release;
pub use static_context::parse_bool;
pub use tls::TlsCaches;

use std::sync::Arc;

use crate::{Error, FuncMap, Options, Templates, Value};

/// What KOTS's functions know about the render they are in: the data of each of KOTS's
/// contexts, given by the caller.
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
    /// The `kots.io/v1beta1` IdentityConfig (`spec.enabled`, `spec.clientID`, …) for the
    /// `IdentityService*` functions; `None`: no identity service.
    pub identity_config: Option<serde_json::Value>,
    /// The cluster the render is for, as far as the functions ask about one; `None`: no
    /// cluster is reachable (pull), and they answer as KOTS does then.
    pub cluster: Option<Cluster>,
    /// The kurl Installer flattened (`Kubernetes.Version` → value; see
    /// [`kurl_values_from_installer`]); `None`: not a kurl cluster, every `Kurl*` is empty.
    pub kurl_values: Option<serde_json::Map<String, serde_json::Value>>,
    /// The KOTS API encryption key (`API_ENCRYPTION_KEY`, see [`crypto`]), for the encrypted
    /// values: config passwords when `decrypt_values`, the identity client secret.
    pub encryption_key: Option<String>,
    /// Decrypt `password` items' given values before use (KOTS's `DecryptValues`).
    pub decrypt_values: bool,
    /// For the given config values that are instances of a repeatable item: the item's name
    /// by value name (ConfigValues' `repeatableItem`), for the whole-Config rendering.
    pub repeatable_items: std::collections::BTreeMap<String, String>,
    /// The caches of generated certificates (`TLSCert`, `TLSCACert`, …): KOTS keeps them for
    /// the process; here for this context and its clones, so one render's names mean one
    /// certificate and separate contexts never share keys.
    pub tls: Arc<TlsCaches>,
}

/// What the cluster functions know of the cluster (what KOTS asks its API server).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    /// The API server's version (`/version`); `None`: the request failed.
    pub server_version: Option<ServerVersion>,
    /// Discovery's group versions (`apps/v1`, `apps.openshift.io/v1`, …).
    pub api_group_versions: Vec<String>,
    /// The nodes.
    pub nodes: Vec<Node>,
    /// Whether ConfigMap `kube-system/kurl-config` exists (`IsKurl`).
    pub kurl_config: bool,
}

/// The API server's version as `/version` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerVersion {
    /// `v1.25.0`.
    pub git_version: String,
    pub major: String,
    pub minor: String,
}

/// A node, as far as `Distribution` reads one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub labels: std::collections::BTreeMap<String, String>,
    pub annotations: std::collections::BTreeMap<String, String>,
    /// `spec.providerID` (`aws:///…`, `gce://…`).
    pub provider_id: String,
    /// `status.nodeInfo.osImage`.
    pub os_image: String,
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
            .field("identity_config", &self.identity_config.is_some())
            .field("cluster", &self.cluster)
            .field("kurl_values", &self.kurl_values.as_ref().map(|k| k.len()))
            .field("decrypt_values", &self.decrypt_values)
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

/// sprig's functions with KOTS's on top, for templates rendered in `context`: KOTS's full
/// builder (static, license, kurl, version, identity and config contexts), what manifests
/// and the whole Config document are rendered with.
pub fn funcs(context: &KotsContext) -> FuncMap {
    let mut map = config_funcs(context);
    identity_context::register(&mut map, context);
    map
}

/// The functions a config item's `default`/`value` is rendered with: KOTS's config builder
/// has every context but identity, so an `Identity*` call there is "not defined".
pub(crate) fn config_funcs(context: &KotsContext) -> FuncMap {
    let mut map = crate::sprig::funcs();
    static_context::register(&mut map, context);
    tls::register(&mut map, context);
    license_context::register(&mut map, context);
    kurl_context::register(&mut map, context);
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

//! What images are called in the customer's registry, and the kustomize `images:` entries that
//! make the manifests use those names.
//!
//! `flatten` (the default, what KOTS users expect): `REGISTRY/NAMESPACE/LAST_COMPONENT`. `path`:
//! `REGISTRY/NAMESPACE/SOURCE_PATH`, for apps whose images share a last component. Kustomize
//! matches names literally, so every spelling found in the manifests (`nginx`, `library/nginx`,
//! `docker.io/library/nginx`) gets its own entry; with only `newName`, each manifest keeps its
//! own tag or digest.

use std::collections::BTreeMap;

use serde::Serialize;

use kots_oci::ErrorCode;
use kots_release::images::FoundImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImageNaming {
    Flatten,
    Path,
}

/// The customer's registry as `--registry-endpoint` and `--image-namespace` give it, normalised
/// once: host (with port), namespace (may be empty), and whether it speaks plain HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryTarget {
    pub host: String,
    pub namespace: String,
    pub plain_http: bool,
}

impl RegistryTarget {
    /// Accepts `host`, `host:port`, with or without `https://`/`http://`, a trailing `/`, or a
    /// `/NAMESPACE` path (used when `namespace` is not given).
    pub fn parse(endpoint: &str, namespace: Option<&str>) -> Result<RegistryTarget, String> {
        let trimmed = endpoint.trim();
        let (rest, plain_http) = match trimmed.strip_prefix("http://") {
            Some(rest) => (rest, true),
            None => (trimmed.strip_prefix("https://").unwrap_or(trimmed), false),
        };
        let rest = rest.trim_end_matches('/');
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(format!("`{endpoint}` is not a registry address such as registry.corp.example[:5000]"));
        }
        let namespace = namespace.map(|n| n.trim_matches('/')).unwrap_or(path).to_owned();
        if !namespace.is_empty() {
            kots_oci::reference::validate_repository_name(&namespace)
                .map_err(|reason| format!("image namespace `{namespace}` is not valid: {reason}"))?;
        }
        Ok(RegistryTarget { host: host.to_ascii_lowercase(), namespace, plain_http })
    }

    /// `host[/namespace]`: where the images go.
    pub fn prefix(&self) -> String {
        if self.namespace.is_empty() { self.host.clone() } else { format!("{}/{}", self.host, self.namespace) }
    }

    /// The record a pull leaves in the midstream overlay ([`TARGET_RECORD`]) of where it sent
    /// the images. A later pull compares it as text: any difference means the images must move,
    /// even when the release has not changed.
    pub fn record(&self, naming: ImageNaming) -> String {
        let naming = match naming {
            ImageNaming::Flatten => "flatten",
            ImageNaming::Path => "path",
        };
        format!(
            "# Written by kubectl kots pull: where this folder's images are, so that a pull to another\n\
             # registry moves them even when the release has not changed.\n\
             registry: {}\nimageNaming: {naming}\n",
            self.prefix()
        )
    }

    /// The error for a registry that refused the push check, with what to do about it:
    /// `UNSUPPORTED` (or a bare 405) is a registry in read-only mode (maintenance, garbage
    /// collection), anything else most likely credentials (`login_hint` says how to give them).
    pub fn refused(&self, error: kots_transfer::Error, login_hint: &str) -> anyhow::Error {
        let read_only = match &error {
            kots_transfer::Error::Registry { code: Some(code), .. } => *code == ErrorCode::Unsupported,
            kots_transfer::Error::Registry { status, code: None, .. } => *status == 405,
            _ => false,
        };
        match error {
            error if read_only => anyhow::anyhow!(
                "the registry {} takes no pushes now: {error}; it is likely read-only for maintenance: retry later",
                self.host
            ),
            error => anyhow::anyhow!("the registry {} refuses to take images: {error}; {login_hint}", self.host),
        }
    }
}

/// Where [`RegistryTarget::record`] lives, under `overlays/midstream/` (kots owns `kots/`).
pub const TARGET_RECORD: &str = "kots/image-target.yaml";

/// Destination name (no tag) for each distinct source image name (`registry/repository`).
pub fn destination_names(
    found: &BTreeMap<String, FoundImage>,
    target: &RegistryTarget,
    naming: ImageNaming,
) -> Result<BTreeMap<String, String>, String> {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for image in found.values() {
        let source = image.reference.name();
        if names.contains_key(&source) {
            continue;
        }
        let tail = match naming {
            ImageNaming::Flatten => image.reference.last_component().to_owned(),
            ImageNaming::Path => image.reference.repository().to_owned(),
        };
        let destination = format!("{}/{tail}", target.prefix());
        if let Some(other) = owners.get(&destination) {
            return Err(format!(
                "`{other}` and `{source}` would both be pushed to `{destination}`; pass `--image-naming path` to keep their whole paths"
            ));
        }
        owners.insert(destination.clone(), source.clone());
        names.insert(source, destination);
    }
    Ok(names)
}

/// One kustomize `images:` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageRewrite {
    pub name: String,
    pub new_name: String,
}

/// One entry per spelling of each image name found, sorted.
pub fn kustomize_images(
    found: &BTreeMap<String, FoundImage>,
    destinations: &BTreeMap<String, String>,
) -> Vec<ImageRewrite> {
    // kustomize compares names as text: a Docker Hub image is listed under each of the names it
    // can be written with (`redis`, `docker.io/library/redis`, `library/redis`,
    // `docker.io/redis`), as KOTS lists them, each group in the order of its first name.
    let mut groups: BTreeMap<String, (Vec<String>, String)> = BTreeMap::new();
    for image in found.values() {
        let Some(destination) = destinations.get(&image.reference.name()) else { continue };
        let reference = &image.reference;
        let names = match (reference.registry(), reference.repository().strip_prefix("library/")) {
            ("docker.io", Some(short)) => {
                vec![
                    short.to_owned(),
                    format!("docker.io/library/{short}"),
                    format!("library/{short}"),
                    format!("docker.io/{short}"),
                ]
            }
            ("docker.io", None) => {
                vec![reference.repository().to_owned(), format!("docker.io/{}", reference.repository())]
            }
            _ => vec![reference.original_name().to_owned()],
        };
        groups.entry(names[0].clone()).or_insert((names, destination.clone()));
    }
    groups
        .into_values()
        .flat_map(|(names, new_name)| {
            names.into_iter().map(move |name| ImageRewrite { name, new_name: new_name.clone() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kots_release::images::find_images;
    use serde_json::json;

    fn found(images: &[&str]) -> BTreeMap<String, FoundImage> {
        let containers: Vec<_> = images.iter().map(|image| json!({"image": image})).collect();
        find_images(&[("a.yaml".to_owned(), json!({"spec": {"containers": containers}}))], &[], "").0
    }

    #[test]
    fn endpoint_forms_normalise_to_one() {
        let expected =
            RegistryTarget { host: "registry.corp.example:5000".into(), namespace: "myapp".into(), plain_http: false };
        for endpoint in [
            "registry.corp.example:5000/myapp",
            "https://registry.corp.example:5000/myapp/",
            "Registry.Corp.Example:5000/",
        ] {
            let namespace = (!endpoint.contains("myapp")).then_some("myapp");
            assert_eq!(RegistryTarget::parse(endpoint, namespace).unwrap(), expected, "{endpoint}");
        }
        let plain = RegistryTarget::parse("http://127.0.0.1:5000", None).unwrap();
        assert!(plain.plain_http);
        assert_eq!(plain.namespace, "");
        assert!(RegistryTarget::parse("", None).is_err());
        assert!(RegistryTarget::parse("reg.example", Some("Bad_NS")).is_err());
    }

    #[test]
    fn flatten_maps_every_spelling_and_keeps_tags_out() {
        let found = found(&[
            "nginx:1.25",
            "library/nginx@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "docker.io/library/nginx:1.24",
            "quay.io/org/tools/redis:7",
        ]);
        let target = RegistryTarget::parse("reg.corp:5000", Some("myapp")).unwrap();
        let names = destination_names(&found, &target, ImageNaming::Flatten).unwrap();
        assert_eq!(names["docker.io/library/nginx"], "reg.corp:5000/myapp/nginx");
        assert_eq!(names["quay.io/org/tools/redis"], "reg.corp:5000/myapp/redis");
        let entries = kustomize_images(&found, &names);
        let rendered: Vec<(&str, &str)> = entries.iter().map(|e| (e.name.as_str(), e.new_name.as_str())).collect();
        assert_eq!(
            rendered,
            [
                ("nginx", "reg.corp:5000/myapp/nginx"),
                ("docker.io/library/nginx", "reg.corp:5000/myapp/nginx"),
                ("library/nginx", "reg.corp:5000/myapp/nginx"),
                ("docker.io/nginx", "reg.corp:5000/myapp/nginx"),
                ("quay.io/org/tools/redis", "reg.corp:5000/myapp/redis"),
            ],
            "a Docker Hub image under each of its four names, in KOTS's order"
        );
    }

    /// The midstream kustomization as the customer sees it, for each way of naming images.
    fn midstream_for(endpoint: &str, namespace: Option<&str>, naming: ImageNaming) -> String {
        let found = found(&[
            "nginx:1.25",
            "library/nginx:1.24",
            "docker.io/library/nginx@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "quay.io/org/tools/redis:7",
            "vendor.example:8443/myapp/api:1.0",
            "127.0.0.1:5000/team/worker",
        ]);
        let target = RegistryTarget::parse(endpoint, namespace).unwrap();
        let names = destination_names(&found, &target, naming).unwrap();
        let owned =
            crate::app_folder::MidstreamOwned { images: kustomize_images(&found, &names), ..Default::default() };
        crate::app_folder::midstream_kustomization(None, "myapp", &owned).unwrap()
    }

    #[test]
    fn midstream_snapshots_for_each_naming() {
        insta::assert_snapshot!(
            "flatten",
            midstream_for("https://registry.corp.example/", Some("myapp"), ImageNaming::Flatten)
        );
        insta::assert_snapshot!("path", midstream_for("registry.corp.example:5000/apps", None, ImageNaming::Path));
        insta::assert_snapshot!(
            "flatten_no_namespace",
            midstream_for("http://10.0.0.5:5000", None, ImageNaming::Flatten)
        );
    }

    #[test]
    fn flatten_collisions_suggest_path_naming() {
        let found = found(&["quay.io/a/api:1", "ghcr.io/b/api:2"]);
        let target = RegistryTarget::parse("reg.corp", Some("myapp")).unwrap();
        let error = destination_names(&found, &target, ImageNaming::Flatten).unwrap_err();
        assert!(
            error.contains("ghcr.io/b/api") && error.contains("quay.io/a/api") && error.contains("--image-naming path"),
            "{error}"
        );
        let names = destination_names(&found, &target, ImageNaming::Path).unwrap();
        assert_eq!(names["quay.io/a/api"], "reg.corp/myapp/a/api");
        assert_eq!(names["ghcr.io/b/api"], "reg.corp/myapp/b/api");
    }
}

//! Private images as Replicated serves them, and so as the vendor's server does
//! (docs/kots-compat.md, "Private images"):
//!
//! - **the vendor's registry**, written `registry.replicated.com/APP/IMAGE`, or with the app's
//!   custom domain (`spec.replicatedRegistryDomain`), or with the vendor registry's own host
//!   name. The cluster pulls it under the registry domain the vendor names (the release API's
//!   `X-Replicated-ReplicatedRegistryDomain`, else the custom domain, else Replicated's name);
//! - **linked registries**: images in a registry of the vendor's own (`quay.io/acme/api`), which
//!   the vendor linked to the app. The cluster pulls them through the proxy,
//!   `PROXY/proxy/APP/HOST/PATH` (`X-Replicated-ProxyRegistryDomain`, else the custom
//!   `spec.proxyRegistryDomain`, else `proxy.replicated.com`);
//! - every other image is public and left alone.
//!
//! Both private kinds are read with the license (user `LICENSE_ID`, password the license ID) at
//! the vendor's server, the license's endpoint, which this machine reaches whatever names the
//! cluster uses.

use kots_oci::ImageReference;

/// Replicated's own names, what a release means when it writes them.
pub const REPLICATED_REGISTRY: &str = "registry.replicated.com";
pub const REPLICATED_PROXY: &str = "proxy.replicated.com";

/// How the app's private images are named and where they are read.
#[derive(Debug, Clone, Default)]
pub struct PrivateImages {
    app_slug: String,
    /// Host names that mean the vendor's registry in image names.
    registry_hosts: Vec<String>,
    /// Host names of the proxy in image names.
    proxy_hosts: Vec<String>,
    /// The registry domain the cluster pulls the vendor's images from.
    pub registry_domain: String,
    /// The proxy domain the cluster pulls linked registries' images through.
    pub proxy_domain: String,
    /// The vendor's linked registries (`host[:port]`): their images are private.
    linked: Vec<String>,
    /// The vendor's server as this machine reaches it (`host[:port]`, plain HTTP or not), where
    /// private images are read; `None` without one (a folder pulled with no license endpoint).
    pub endpoint: Option<(String, bool)>,
}

/// What kind of image a name is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// On the vendor's registry: its repository (`APP/IMAGE`).
    Registry {
        repository: String,
    },
    /// Already a proxy name: its repository (`proxy/APP/HOST/PATH`).
    Proxy {
        repository: String,
    },
    /// In a linked registry: the proxy's repository for it.
    Linked {
        repository: String,
    },
    Public,
}

impl PrivateImages {
    /// `registry_domain` and `proxy_domain` as the templates' `LicenseDockerCfg` has them
    /// (`kots_template::kots::registry_domains`: the vendor's headers, the Application's custom
    /// domains, Replicated's names); `vendor_domains` the release API's own names for them,
    /// `linked` the linked registries (the vendor's list and `--private-registry`), `endpoint`
    /// the license's.
    pub fn new(
        app_slug: &str,
        (registry_domain, proxy_domain): (String, String),
        vendor_domains: &[&str],
        linked: &[String],
        endpoint: Option<&str>,
    ) -> PrivateImages {
        let normalise = |host: &str| host.trim().trim_end_matches('/').to_lowercase();
        let mut registry_hosts = vec![REPLICATED_REGISTRY.to_owned(), normalise(&registry_domain)];
        let mut proxy_hosts = vec![REPLICATED_PROXY.to_owned(), normalise(&proxy_domain)];
        for host in vendor_domains.iter().map(|host| normalise(host)).filter(|host| !host.is_empty()) {
            registry_hosts.push(host.clone());
            proxy_hosts.push(host);
        }
        let endpoint = endpoint.filter(|e| !e.is_empty()).map(|endpoint| {
            let plain = endpoint.starts_with("http://");
            let host = endpoint.split("://").nth(1).unwrap_or(endpoint).split('/').next().unwrap_or_default();
            registry_hosts.push(normalise(host));
            proxy_hosts.push(normalise(host));
            (normalise(host), plain)
        });
        PrivateImages {
            app_slug: app_slug.to_owned(),
            registry_hosts,
            proxy_hosts,
            registry_domain,
            proxy_domain,
            linked: linked.iter().map(|host| normalise(host)).collect(),
            endpoint,
        }
    }

    /// Whether the app has private images in any linked registry, or these names mean the
    /// vendor's registry or proxy.
    pub fn kind(&self, reference: &ImageReference) -> Kind {
        let host = reference.registry().to_lowercase();
        let repository = reference.repository();
        // A proxy name first: on one server the registry and proxy share a host, and
        // `proxy/…` repositories are the proxy's.
        if self.proxy_hosts.contains(&host) && repository.starts_with("proxy/") {
            return Kind::Proxy { repository: repository.to_owned() };
        }
        if self.registry_hosts.contains(&host) {
            return Kind::Registry { repository: repository.to_owned() };
        }
        if self.linked.contains(&host) {
            return Kind::Linked { repository: proxy_repository(&self.app_slug, &host, repository) };
        }
        Kind::Public
    }

    pub fn is_private(&self, reference: &ImageReference) -> bool {
        self.kind(reference) != Kind::Public
    }

    /// The name (`host/repository`) the cluster pulls `reference` as when the images stay
    /// where they are: the vendor's registry domain, or the proxy; `None` for a public image.
    pub fn cluster_name(&self, reference: &ImageReference) -> Option<String> {
        match self.kind(reference) {
            Kind::Registry { repository } => Some(format!("{}/{repository}", self.registry_domain)),
            Kind::Proxy { repository } | Kind::Linked { repository } => {
                Some(format!("{}/{repository}", self.proxy_domain))
            }
            Kind::Public => None,
        }
    }

    /// Where this machine reads `reference`: `(host, repository, plain HTTP)` at the vendor's
    /// server; `None` for a public image (read where it is), or without a vendor endpoint.
    pub fn source(&self, reference: &ImageReference) -> Option<(String, String, bool)> {
        let (host, plain) = self.endpoint.clone()?;
        match self.kind(reference) {
            Kind::Registry { repository } | Kind::Proxy { repository } | Kind::Linked { repository } => {
                Some((host, repository, plain))
            }
            Kind::Public => None,
        }
    }
}

/// The registry and proxy domains the vendor's release API names (`registry`, `proxy`), as the
/// templates' version info holds them: each only where the Application (`app`, its `spec`) sets
/// no custom domain of its own, so that an app's `replicatedRegistryDomain` and
/// `proxyRegistryDomain` win over the server's default names (Replicated's portal sends the
/// custom domain itself in those headers; ours sends its host).
pub fn vendor_domains(
    app: Option<&serde_json::Value>,
    registry: Option<&str>,
    proxy: Option<&str>,
) -> (String, String) {
    let custom = |key: &str| app.and_then(|spec| spec[key].as_str()).is_some_and(|domain| !domain.is_empty());
    let pick = |key: &str, header: Option<&str>| match custom(key) {
        true => String::new(),
        false => header.unwrap_or_default().to_owned(),
    };
    (pick("replicatedRegistryDomain", registry), pick("proxyRegistryDomain", proxy))
}

/// The proxy's repository for `path` in linked registry `host` of app `app_slug`:
/// `proxy/APP/HOST/PATH`. A port cannot be written in a repository name, so `host:port` is
/// `host_port` there (host names have no `_`, so it reads back one way).
pub fn proxy_repository(app_slug: &str, host: &str, path: &str) -> String {
    format!("proxy/{app_slug}/{}/{path}", host.to_lowercase().replace(':', "_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(vendor: &[&str], linked: &[&str]) -> PrivateImages {
        let linked: Vec<String> = linked.iter().map(|h| h.to_string()).collect();
        PrivateImages::new(
            "myapp",
            ("registry.acme.example".to_owned(), "proxy.acme.example".to_owned()),
            vendor,
            &linked,
            Some("https://vendor.acme.example:8443"),
        )
    }

    fn parse(image: &str) -> ImageReference {
        ImageReference::parse(image).unwrap()
    }

    #[test]
    fn replicated_names_mean_the_vendors_registry_and_proxy() {
        let private = images(&[], &["quay.io", "127.0.0.1:5001"]);
        let vendor = parse("registry.replicated.com/myapp/api:1.0");
        assert_eq!(private.kind(&vendor), Kind::Registry { repository: "myapp/api".into() });
        assert_eq!(private.cluster_name(&vendor).unwrap(), "registry.acme.example/myapp/api");
        assert_eq!(
            private.source(&vendor).unwrap(),
            ("vendor.acme.example:8443".to_owned(), "myapp/api".to_owned(), false)
        );
        let custom = parse("registry.acme.example/myapp/api:1.0");
        assert_eq!(private.cluster_name(&custom).unwrap(), "registry.acme.example/myapp/api");
        let linked = parse("quay.io/acme/worker:2");
        assert_eq!(private.cluster_name(&linked).unwrap(), "proxy.acme.example/proxy/myapp/quay.io/acme/worker");
        let with_port = parse("127.0.0.1:5001/acme/worker:2");
        assert_eq!(private.source(&with_port).unwrap().1, "proxy/myapp/127.0.0.1_5001/acme/worker");
        let proxied = parse("proxy.replicated.com/proxy/myapp/quay.io/acme/worker:2");
        assert_eq!(private.kind(&proxied), Kind::Proxy { repository: "proxy/myapp/quay.io/acme/worker".into() });
        assert_eq!(private.kind(&parse("nginx:1.25")), Kind::Public);
        assert_eq!(private.kind(&parse("ghcr.io/acme/tool")), Kind::Public, "only linked hosts are private");
        assert!(private.source(&parse("nginx")).is_none());
    }

    #[test]
    fn an_apps_custom_domains_win_over_the_servers_names() {
        let app = serde_json::json!({"replicatedRegistryDomain": "registry.acme.example"});
        let (registry, proxy) = vendor_domains(Some(&app), Some("vendor:8800"), Some("vendor:8800"));
        assert_eq!((registry.as_str(), proxy.as_str()), ("", "vendor:8800"));
        assert_eq!(vendor_domains(None, Some("vendor:8800"), None), ("vendor:8800".to_owned(), String::new()));
    }

    #[test]
    fn the_vendor_hosts_are_its_registry_and_its_proxy() {
        let private = images(&["127.0.0.1:8800"], &[]);
        let named = parse("127.0.0.1:8800/myapp/api:1");
        assert_eq!(private.kind(&named), Kind::Registry { repository: "myapp/api".into() });
        let proxied = parse("127.0.0.1:8800/proxy/myapp/quay.io/x:1");
        assert!(matches!(private.kind(&proxied), Kind::Proxy { .. }));
    }
}

//! Where a copy reads or writes: a registry repository or an OCI image layout folder.

use std::path::PathBuf;

use kots_oci::ImageReference;

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `host[:port]/path[:tag|@digest]`; `http://` in front forces plain HTTP.
    Registry { reference: ImageReference, plain_http: bool },
    /// `oci:DIR[:REF]`: an OCI image layout and the `org.opencontainers.image.ref.name` inside.
    Layout { directory: PathBuf, reference: Option<String> },
}

impl Endpoint {
    pub fn parse(input: &str) -> Result<Endpoint, Error> {
        if let Some(rest) = input.strip_prefix("oci:") {
            // `oci:DIR:REF`; a `:` inside DIR is not supported, as in skopeo.
            let (directory, reference) = match rest.split_once(':') {
                Some((directory, reference)) => (directory, Some(reference.to_owned())),
                None => (rest, None),
            };
            if directory.is_empty() {
                return Err(Error::InvalidEndpoint {
                    input: input.to_owned(),
                    reason: "no folder after `oci:`".to_owned(),
                });
            }
            return Ok(Endpoint::Layout {
                directory: PathBuf::from(directory),
                reference: reference.filter(|r| !r.is_empty()),
            });
        }
        let (text, plain_http) = match input.strip_prefix("http://") {
            Some(rest) => (rest, true),
            None => {
                (input.strip_prefix("https://").or_else(|| input.strip_prefix("docker://")).unwrap_or(input), false)
            }
        };
        let reference = ImageReference::parse(text)
            .map_err(|e| Error::InvalidEndpoint { input: input.to_owned(), reason: e.to_string() })?;
        Ok(Endpoint::Registry { reference, plain_http })
    }
}

/// `REGISTRY=ENDPOINT` (`docker.io=https://mirror.corp.example`, `http://` for plain HTTP): fetch
/// images of REGISTRY from ENDPOINT. Returns the registry, the mirror's host and whether it
/// speaks plain HTTP.
pub fn parse_mirror(text: &str) -> Result<(String, String, bool), String> {
    let (registry, endpoint) =
        text.split_once('=').ok_or_else(|| format!("registry mirror `{text}`: expected REGISTRY=ENDPOINT"))?;
    let (host, plain_http) = match endpoint.trim().strip_prefix("http://") {
        Some(host) => (host, true),
        None => (endpoint.trim().strip_prefix("https://").unwrap_or(endpoint.trim()), false),
    };
    let host = host.trim_end_matches('/');
    let registry = registry.trim().to_ascii_lowercase();
    if registry.is_empty() || host.is_empty() || host.contains(['/', ' ']) {
        return Err(format!(
            "registry mirror `{text}`: expected REGISTRY=ENDPOINT, e.g. docker.io=https://mirror.corp.example"
        ));
    }
    Ok((registry, host.to_ascii_lowercase(), plain_http))
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Registry { reference, .. } => write!(f, "{reference}"),
            Endpoint::Layout { directory, reference: Some(reference) } => {
                write!(f, "oci:{}:{reference}", directory.display())
            }
            Endpoint::Layout { directory, reference: None } => write!(f, "oci:{}", directory.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_kinds() {
        match Endpoint::parse("oci:/tmp/layout:v1").unwrap() {
            Endpoint::Layout { directory, reference } => {
                assert_eq!(directory, PathBuf::from("/tmp/layout"));
                assert_eq!(reference.as_deref(), Some("v1"));
            }
            other => panic!("{other:?}"),
        }
        match Endpoint::parse("http://127.0.0.1:5000/app/api:1").unwrap() {
            Endpoint::Registry { reference, plain_http } => {
                assert!(plain_http);
                assert_eq!(reference.registry(), "127.0.0.1:5000");
                assert_eq!(reference.repository(), "app/api");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(Endpoint::parse("nginx").unwrap(), Endpoint::Registry { plain_http: false, .. }));
        assert!(Endpoint::parse("oci:").is_err());
        assert!(Endpoint::parse("UPPER/case").is_err());
    }

    #[test]
    fn mirrors() {
        assert_eq!(
            parse_mirror("docker.io=http://127.0.0.1:5001/").unwrap(),
            ("docker.io".into(), "127.0.0.1:5001".into(), true)
        );
        assert_eq!(parse_mirror("Quay.io=mirror.corp").unwrap(), ("quay.io".into(), "mirror.corp".into(), false));
        assert!(parse_mirror("docker.io").is_err());
        assert!(parse_mirror("docker.io=host/path").is_err());
    }
}

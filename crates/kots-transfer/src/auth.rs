//! Registry authentication from the client's side: `WWW-Authenticate` challenges, and where
//! credentials come from when none are given (Docker's `config.json` with its `credsStore` and
//! `credHelpers`, then podman's `auth.json`).

use std::collections::HashMap;

use crate::secret::Credentials;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer { realm: String, service: Option<String> },
}

/// Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut parameters = HashMap::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            after.split_once(',').map_or((after, ""), |(value, remaining)| (value, remaining))
        };
        parameters.insert(key.trim().to_ascii_lowercase(), value.to_owned());
        rest = remaining.trim_start_matches([',', ' ']);
    }
    Some(Challenge::Bearer { realm: parameters.remove("realm")?, service: parameters.remove("service") })
}

/// Credentials for `registry` from the user's Docker or podman configuration, if any.
pub(crate) fn stored_credentials(registry: &str) -> Option<Credentials> {
    // Docker Hub's credentials are stored under its historical address.
    let keys: Vec<String> = if registry == "docker.io" {
        vec!["https://index.docker.io/v1/".to_owned(), "docker.io".to_owned(), "index.docker.io".to_owned()]
    } else {
        vec![registry.to_owned(), format!("https://{registry}"), format!("http://{registry}")]
    };
    for key in &keys {
        for found in [docker_credential::get_credential(key), docker_credential::get_podman_credential(key)] {
            match found {
                Ok(docker_credential::DockerCredential::UsernamePassword(username, password)) => {
                    return Some(Credentials::new(username, password));
                }
                Ok(docker_credential::DockerCredential::IdentityToken(token)) => {
                    // An identity token is a refresh token; registries accept it as a password
                    // under the `<token>` user name.
                    return Some(Credentials::new("<token>", token));
                }
                Err(_) => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into())
            })
        );
        assert_eq!(
            parse_challenge("bearer realm=http://x/token, error=\"insufficient_scope\""),
            Some(Challenge::Bearer { realm: "http://x/token".into(), service: None })
        );
        assert_eq!(parse_challenge("Basic realm=\"x\""), Some(Challenge::Basic));
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge("Bearer service=\"x\""), None);
    }
}

//! Which addresses a client may reach when it fetches for someone else (the vendor server
//! building a tenant's airgap bundle from image names the tenant wrote): only public ones, so
//! that an image name cannot point the server at its own loopback, its private network or a
//! cloud metadata address. Names are checked when they resolve (so DNS cannot hide a private
//! address behind a public name), and literal addresses where the client meets them: the
//! registry's host, the token realm, and every redirect.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether `address` is on the public internet: not loopback, private, link-local (cloud
/// metadata), shared (carrier NAT), unspecified, multicast, documentation or reserved.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)) // documentation
        }
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    !(v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_documentation()
        || v4.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// The address a URL host names literally (`10.0.0.1`, `[::1]`), if it does and it is not
/// public. `localhost` counts as a literal loopback name.
pub(crate) fn refused_literal(host: &str) -> Option<String> {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, port)| if port.contains(':') { host } else { name }),
    };
    if name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost") {
        return Some(name.to_owned());
    }
    let address: IpAddr = name.parse().ok()?;
    (!is_public(address)).then(|| address.to_string())
}

/// The registry's own host, which a client for a private registry the operator allowed may
/// reach (name and port exactly: another port of the same machine is another service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OwnHost {
    /// Lowercase, without brackets.
    name: String,
    port: Option<u16>,
}

impl OwnHost {
    /// `name[:port]` or `[v6]:port`.
    pub(crate) fn parse(host: &str) -> Option<OwnHost> {
        let url = reqwest::Url::parse(&format!("http://{host}/")).ok()?;
        Some(OwnHost { name: bare(url.host_str()?), port: url.port() })
    }

    fn names(&self, url: &reqwest::Url) -> bool {
        url.host_str().is_some_and(|host| bare(host) == self.name)
    }

    fn is(&self, url: &reqwest::Url) -> bool {
        self.names(url) && url.port() == self.port
    }
}

fn bare(host: &str) -> String {
    host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase()
}

/// Why a client limited to public addresses (and to its registry's `own` host, if given) may
/// not reach `url`, or `None` when it may. Names that resolve to private addresses are refused
/// later, by the resolver.
pub(crate) fn refused_url(url: &reqwest::Url, own: Option<&OwnHost>) -> Option<String> {
    let Some(host) = url.host_str() else { return Some(format!("`{url}` names no host")) };
    if let Some(own) = own {
        if own.is(url) {
            return None;
        }
        if own.names(url) {
            // The registry's name with another port: a private machine's other services.
            return Some(format!("{}:{}", host, url.port_or_known_default().unwrap_or_default()));
        }
    }
    refused_literal(host)
}

/// Resolves names as the system does, then keeps only public addresses; a name with none left
/// fails to resolve, with a message that says why. The registry's `own` name, when the
/// operator allowed it, resolves as it is.
#[derive(Debug, Clone, Default)]
pub(crate) struct PublicOnly {
    pub(crate) own: Option<String>,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let own = self.own.as_ref().is_some_and(|own| host.eq_ignore_ascii_case(own));
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if own {
                let addresses: Addrs = Box::new(found.into_iter());
                return Ok(addresses);
            }
            let public: Vec<SocketAddr> = found.iter().copied().filter(|found| is_public(found.ip())).collect();
            if public.is_empty() && !found.is_empty() {
                return Err(format!(
                    "`{host}` resolves only to private or loopback addresses ({}), which this server may not \
                     fetch from",
                    found.iter().map(|found| found.ip().to_string()).collect::<Vec<_>>().join(", ")
                )
                .into());
            }
            let addresses: Addrs = Box::new(public.into_iter());
            Ok(addresses)
        })
    }
}

/// Follows at most 10 redirects, and none to a literal private address (but to the registry's
/// `own` host, name and port, when given).
pub(crate) fn public_redirects(own: Option<OwnHost>) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > 10 {
            return attempt.error("too many redirects");
        }
        match refused_url(attempt.url(), own.as_ref()) {
            Some(address) => attempt.error(format!("redirected to the private address {address}")),
            None => attempt.follow(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_private_addresses() {
        for private in
            ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1"]
        {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for private in ["fd00::1", "fe80::1", "::ffff:10.0.0.1", "224.0.0.1", "240.0.0.1"] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["1.1.1.1", "8.8.8.8", "2606:4700::1111", "::ffff:1.1.1.1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn names_that_resolve_to_private_addresses_are_not_reached() {
        let name: Name = "localhost".parse().unwrap();
        let error = match PublicOnly::default().resolve(name).await {
            Ok(_) => panic!("localhost resolved to a public address"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("private or loopback"), "{error}");
    }

    #[tokio::test]
    async fn the_registrys_own_name_resolves_when_allowed() {
        let own = PublicOnly { own: Some("LOCALHOST".to_owned()) };
        let found: Vec<_> = match own.resolve("localhost".parse().unwrap()).await {
            Ok(addresses) => addresses.collect(),
            Err(error) => panic!("{error}"),
        };
        assert!(found.iter().all(|found| found.ip().is_loopback()) && !found.is_empty(), "{found:?}");
        let other = PublicOnly { own: Some("registry.internal".to_owned()) };
        assert!(other.resolve("localhost".parse().unwrap()).await.is_err());
    }

    #[test]
    fn urls_a_client_for_a_private_registry_may_reach() {
        let url = |text: &str| reqwest::Url::parse(text).unwrap();
        let own = OwnHost::parse("127.0.0.1:5001").unwrap();
        assert_eq!(refused_url(&url("http://127.0.0.1:5001/token"), Some(&own)), None);
        assert_eq!(refused_url(&url("http://127.0.0.1:22/"), Some(&own)).as_deref(), Some("127.0.0.1:22"));
        assert_eq!(refused_url(&url("http://127.0.0.1:5001/"), None).as_deref(), Some("127.0.0.1"));
        assert_eq!(refused_url(&url("http://10.0.0.1:5001/"), Some(&own)).as_deref(), Some("10.0.0.1"));
        assert_eq!(refused_url(&url("https://storage.example/blob"), Some(&own)), None);
        let named = OwnHost::parse("Registry.Internal").unwrap();
        assert_eq!(refused_url(&url("https://registry.internal/v2/"), Some(&named)), None);
        assert!(refused_url(&url("https://registry.internal:8443/v2/"), Some(&named)).is_some());
        let v6 = OwnHost::parse("[::1]:5000").unwrap();
        assert_eq!(refused_url(&url("http://[::1]:5000/token"), Some(&v6)), None);
        assert!(refused_url(&url("http://[::1]:5001/token"), Some(&v6)).is_some());
    }

    #[test]
    fn literal_hosts() {
        assert_eq!(refused_literal("127.0.0.1:5000").as_deref(), Some("127.0.0.1"));
        assert_eq!(refused_literal("[::1]:5000").as_deref(), Some("::1"));
        assert_eq!(refused_literal("localhost:5000").as_deref(), Some("localhost"));
        assert_eq!(refused_literal("10.0.0.8").as_deref(), Some("10.0.0.8"));
        assert_eq!(refused_literal("registry.example:443"), None);
        assert_eq!(refused_literal("1.1.1.1:443"), None);
    }
}

//! sprig's `getHostByName`: one of the host's addresses, chosen at random, from the system
//! resolver (Go's `net.LookupHost`). sprig ignores the lookup's error and indexes a random
//! element of the result, so an unknown host (or being offline) panics in Go with
//! `invalid argument to Intn`, which the template reports as an error; so do we.

use std::net::{IpAddr, ToSocketAddrs};

use rand::Rng;

use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::{GoType, Value};

/// `net.LookupHost`: an IP literal is returned as given; a name is resolved (IPv4 and IPv6
/// addresses, duplicates dropped).
fn lookup_host(name: &str) -> Vec<String> {
    if name.parse::<IpAddr>().is_ok() {
        return vec![name.to_string()];
    }
    if name.is_empty() {
        return Vec::new();
    }
    let mut addrs: Vec<String> = Vec::new();
    if let Ok(found) = (name, 0u16).to_socket_addrs() {
        for addr in found {
            let ip = addr.ip().to_string();
            if !addrs.contains(&ip) {
                addrs.push(ip);
            }
        }
    }
    addrs
}

pub(super) fn register(map: &mut FuncMap) {
    map.add("getHostByName", vec![GoType::String], |_, a| {
        let addrs = lookup_host(a.str_arg(0)?);
        if addrs.is_empty() {
            return Err(FuncError::new("invalid argument to Intn"));
        }
        let i = rand::rng().random_range(0..addrs.len());
        Ok(Value::string(addrs[i].as_str()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn funcs() -> FuncMap {
        let mut map = FuncMap::new();
        register(&mut map);
        map
    }

    #[test]
    fn ip_literals_come_back_as_given() {
        let map = funcs();
        for ip in ["10.0.0.1", "::1", "2001:db8::1"] {
            assert_eq!(map.call("getHostByName", &[Value::string(ip)]).unwrap().as_str(), Some(ip));
        }
    }

    #[test]
    fn localhost_resolves_from_the_hosts_file() {
        let map = funcs();
        let v = map.call("getHostByName", &[Value::string("localhost")]).unwrap();
        let ip: IpAddr = v.as_str().unwrap().parse().unwrap();
        assert!(ip.is_loopback(), "{ip}");
    }

    #[test]
    fn an_unresolvable_name_is_gos_intn_panic() {
        let map = funcs();
        for name in ["", "no-such-host.invalid"] {
            assert_eq!(map.call("getHostByName", &[Value::string(name)]).unwrap_err().0, "invalid argument to Intn");
        }
    }
}

/// Whole templates through the engine, with the output (`OK …`) or error (`ERR …`) that Go's
/// text/template + sprig 3.2.3 gave for each (from a Go probe program).
#[cfg(test)]
mod render_tests {
    const CASES: &[(&str, &str)] = &[("{{ getHostByName \"10.1.2.3\" }}", "OK 10.1.2.3")];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(CASES);
    }
}

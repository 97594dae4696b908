//! sprig's `urlParse` and `urlJoin`, on Go's `net/url` (`Parse` and `URL.String`) ported
//! from Go 1.27: which parts are unescaped (`path`, `fragment`, `host`), which stay raw
//! (`query`, `opaque`), and how `String` re-escapes them.

use std::collections::BTreeMap;

use super::strings::go_quote;
use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::{GoType, Value};

pub(super) fn register(map: &mut FuncMap) {
    map.add("urlParse", vec![GoType::String], |_, a| {
        let u = parse(a.str_arg(0)?).map_err(|e| FuncError::new(format!("unable to parse url: {e}")))?;
        let mut d = BTreeMap::new();
        let s = |v: &str| Value::string(v);
        d.insert("scheme".to_string(), s(&u.scheme));
        d.insert("host".to_string(), s(&u.host));
        d.insert("hostname".to_string(), s(&hostname(&u.host)));
        d.insert("path".to_string(), s(&u.path));
        d.insert("query".to_string(), s(&u.raw_query));
        d.insert("opaque".to_string(), s(&u.opaque));
        d.insert("fragment".to_string(), s(&u.fragment));
        d.insert("userinfo".to_string(), s(&u.user.as_ref().map(Userinfo::to_string).unwrap_or_default()));
        Ok(Value::map(d))
    });
    map.add("urlJoin", vec![GoType::map_any()], |_, a| {
        let d = match a.arg(0)? {
            Value::Map(m) => m.entries(),
            _ => Default::default(),
        };
        let get = |key: &str| -> Result<String, FuncError> {
            match d.get(key) {
                None => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.to_string()),
                Some(v) if v.is_nil() => {
                    Err(FuncError::new("runtime error: invalid memory address or nil pointer dereference"))
                }
                Some(v) => Err(FuncError::new(format!(
                    "unable to parse {key} key, must be of type string, but {} found",
                    v.kind_name()
                ))),
            }
        };
        let mut u = Url {
            scheme: get("scheme")?,
            host: get("host")?,
            path: get("path")?,
            raw_query: get("query")?,
            opaque: get("opaque")?,
            fragment: get("fragment")?,
            ..Url::default()
        };
        let userinfo = get("userinfo")?;
        if !userinfo.is_empty() {
            let t = parse(&format!("proto://{userinfo}@host"))
                .map_err(|e| FuncError::new(format!("unable to parse userinfo in dict: {e}")))?;
            u.user = t.user;
        }
        Ok(Value::string(u.to_string()))
    });
}

/// The parts of Go's `url.URL` that sprig reads or writes.
#[derive(Debug, Clone, Default)]
struct Url {
    scheme: String,
    opaque: String,
    user: Option<Userinfo>,
    host: String,
    path: String,
    raw_path: String,
    omit_host: bool,
    force_query: bool,
    raw_query: String,
    fragment: String,
    raw_fragment: String,
}

#[derive(Debug, Clone)]
struct Userinfo {
    username: String,
    password: Option<String>,
}

impl std::fmt::Display for Userinfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&escape(&self.username, Mode::UserPassword))?;
        if let Some(p) = &self.password {
            write!(f, ":{}", escape(p, Mode::UserPassword))?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    UserPassword,
    Host,
    Zone,
    Fragment,
}

/// `net/url`'s `shouldEscape`.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if (mode == Mode::Host || mode == Mode::Zone) && b"!$&'()*+,;=:[]<>\"".contains(&c) {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            return match mode {
                Mode::Path => c == b'?',
                Mode::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
                Mode::Fragment => false,
                Mode::Host | Mode::Zone => true,
            };
        }
        _ => {}
    }
    if mode == Mode::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

fn escape(s: &str, mode: Mode) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if should_escape(c, mode) {
            out.push_str(&format!("%{c:02X}"));
        } else {
            out.push(char::from(c));
        }
    }
    out
}

fn unhex(c: u8) -> u8 {
    (c as char).to_digit(16).unwrap_or(0) as u8
}

/// `net/url`'s `unescape` (no `+` handling: sprig's parts are never query components).
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                n += 1;
                if i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit() {
                    let bad = &b[i..(i + 3).min(b.len())];
                    return Err(format!("invalid URL escape {}", go_quote(&String::from_utf8_lossy(bad))));
                }
                let esc = &s[i..i + 3];
                if mode == Mode::Host && unhex(b[i + 1]) < 8 && esc != "%25" {
                    return Err(format!("invalid URL escape {}", go_quote(esc)));
                }
                if mode == Mode::Zone {
                    let v = unhex(b[i + 1]) << 4 | unhex(b[i + 2]);
                    if esc != "%25" && v != b' ' && should_escape(v, Mode::Host) {
                        return Err(format!("invalid URL escape {}", go_quote(esc)));
                    }
                }
                i += 3;
            }
            c => {
                if (mode == Mode::Host || mode == Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err(format!("invalid character {} in host name", go_quote(&s[i..i + 1])));
                }
                i += 1;
            }
        }
    }
    if n == 0 {
        return Ok(s.to_string());
    }
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(unhex(b[i + 1]) << 4 | unhex(b[i + 2]));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `url.Parse`, its error as `url.Error` prints it (`parse "…": …`).
fn parse(raw: &str) -> Result<Url, String> {
    let (u, frag) = raw.split_once('#').unwrap_or((raw, ""));
    let mut url = parse_no_fragment(u).map_err(|e| format!("parse {}: {e}", go_quote(u)))?;
    if !frag.is_empty() {
        url.fragment = unescape(frag, Mode::Fragment).map_err(|e| format!("parse {}: {e}", go_quote(raw)))?;
        url.raw_fragment = if escape(&url.fragment, Mode::Fragment) == frag { String::new() } else { frag.to_string() };
    }
    Ok(url)
}

fn get_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok(("", raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err("missing protocol scheme".to_string());
                }
                return Ok((&raw[..i], &raw[i + 1..]));
            }
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn parse_no_fragment(raw: &str) -> Result<Url, String> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".to_string());
    }
    let mut url = Url::default();
    if raw == "*" {
        url.path = "*".to_string();
        return Ok(url);
    }
    let (scheme, mut rest) = get_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        url.force_query = true;
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        rest = r;
        url.raw_query = q.to_string();
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest.to_string();
            return Ok(url);
        }
        if rest.split('/').next().unwrap_or("").contains(':') {
            return Err("first path segment in URL cannot contain colon".to_string());
        }
    }
    let mut path = rest;
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let mut authority = &rest[2..];
        path = "";
        if let Some(i) = authority.find('/') {
            path = &authority[i..];
            authority = &authority[..i];
        }
        let (user, host) = parse_authority(&url.scheme, authority)?;
        url.user = user;
        url.host = host;
    } else if !url.scheme.is_empty() && rest.starts_with('/') {
        url.omit_host = true;
    }
    url.path = unescape(path, Mode::Path)?;
    url.raw_path = if escape(&url.path, Mode::Path) == path { String::new() } else { path.to_string() };
    Ok(url)
}

fn valid_userinfo(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || "-._:~!$&'()*+,;=%@".contains(c))
}

fn parse_authority(scheme: &str, authority: &str) -> Result<(Option<Userinfo>, String), String> {
    let at = authority.rfind('@');
    let host = parse_host(scheme, at.map_or(authority, |i| &authority[i + 1..]))?;
    let Some(i) = at else { return Ok((None, host)) };
    let userinfo = &authority[..i];
    if !valid_userinfo(userinfo) {
        return Err("net/url: invalid userinfo".to_string());
    }
    let user = match userinfo.split_once(':') {
        None => Userinfo { username: unescape(userinfo, Mode::UserPassword)?, password: None },
        Some((u, p)) => {
            Userinfo { username: unescape(u, Mode::UserPassword)?, password: Some(unescape(p, Mode::UserPassword)?) }
        }
    };
    Ok((Some(user), host))
}

fn valid_optional_port(port: &str) -> bool {
    port.is_empty() || port.starts_with(':') && port[1..].bytes().all(|b| b.is_ascii_digit())
}

fn parse_host(scheme: &str, host: &str) -> Result<String, String> {
    match host.rfind('[') {
        Some(i) if i > 0 => return Err("invalid IP-literal".to_string()),
        Some(_) => {
            let close = host.rfind(']').ok_or_else(|| "missing ']' in host".to_string())?;
            let colon_port = &host[close + 1..];
            if !valid_optional_port(colon_port) {
                return Err(format!("invalid port {} after host", go_quote(colon_port)));
            }
            let colon_port = unescape(colon_port, Mode::Host)?;
            let hostname = &host[1..close];
            let unescaped = match hostname.find("%25") {
                Some(z) => unescape(&hostname[..z], Mode::Host)? + &unescape(&hostname[z..], Mode::Zone)?,
                None => unescape(hostname, Mode::Host)?,
            };
            let addr = unescaped.split('%').next().unwrap_or("");
            if addr.parse::<std::net::Ipv4Addr>().is_ok() {
                return Err("invalid IP-literal".to_string());
            }
            if addr.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("invalid host: ParseAddr({}): unable to parse IP", go_quote(&unescaped)));
            }
            return Ok(format!("[{unescaped}]{colon_port}"));
        }
        None => {}
    }
    if let Some(first) = host.find(':') {
        let last = host.rfind(':').unwrap_or(first);
        // The port starts at the last colon (Go 1.27 as the probe runs it, and the Go
        // releases Helm and KOTS are built with).
        let _ = (scheme, first);
        let i = last;
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", go_quote(colon_port)));
        }
    }
    unescape(host, Mode::Host)
}

/// `URL.Hostname`: the host without its port and IPv6 brackets.
fn hostname(host: &str) -> String {
    let mut h = host;
    if let Some(colon) = h.rfind(':')
        && valid_optional_port(&h[colon..])
    {
        h = &h[..colon];
    }
    if h.starts_with('[') && h.ends_with(']') && h.len() >= 2 {
        h = &h[1..h.len() - 1];
    }
    h.to_string()
}

impl Url {
    fn escaped_path(&self) -> String {
        if !self.raw_path.is_empty()
            && valid_encoded(&self.raw_path, Mode::Path)
            && unescape(&self.raw_path, Mode::Path).is_ok_and(|p| p == self.path)
        {
            return self.raw_path.clone();
        }
        if self.path == "*" {
            return "*".to_string();
        }
        escape(&self.path, Mode::Path)
    }

    fn escaped_fragment(&self) -> String {
        if !self.raw_fragment.is_empty()
            && valid_encoded(&self.raw_fragment, Mode::Fragment)
            && unescape(&self.raw_fragment, Mode::Fragment).is_ok_and(|f| f == self.fragment)
        {
            return self.raw_fragment.clone();
        }
        escape(&self.fragment, Mode::Fragment)
    }
}

fn valid_encoded(s: &str, mode: Mode) -> bool {
    s.bytes().all(|c| b"!$&'()*+,;=:@[]%".contains(&c) || !should_escape(c, mode))
}

impl std::fmt::Display for Url {
    /// `URL.String`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = String::new();
        if !self.scheme.is_empty() {
            buf.push_str(&self.scheme);
            buf.push(':');
        }
        if !self.opaque.is_empty() {
            buf.push_str(&self.opaque);
        } else {
            if (!self.scheme.is_empty() || !self.host.is_empty() || self.user.is_some())
                && (!self.omit_host || !self.host.is_empty() || self.user.is_some())
            {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    buf.push_str("//");
                }
                if let Some(u) = &self.user {
                    buf.push_str(&u.to_string());
                    buf.push('@');
                }
                if !self.host.is_empty() {
                    buf.push_str(&escape(&self.host, Mode::Host));
                }
            }
            let mut path = self.escaped_path();
            if self.omit_host && self.host.is_empty() && self.user.is_none() && path.starts_with("//") {
                buf.push_str("%2F");
                path.remove(0);
            }
            if !path.is_empty() && !path.starts_with('/') && !self.host.is_empty() {
                buf.push('/');
            }
            if buf.is_empty() && path.split('/').next().unwrap_or("").contains(':') {
                buf.push_str("./");
            }
            buf.push_str(&path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            buf.push('?');
            buf.push_str(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            buf.push('#');
            buf.push_str(&self.escaped_fragment());
        }
        f.write_str(&buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sprig::conv::test_support::*;

    #[test]
    fn parse_and_print_round_trip() {
        for raw in [
            "https://user:p%40ss@example.com:8443/a%20b/c?x=1&y=2#frag%20ment",
            "mailto:me@example.com",
            "/relative/path",
            "http://[::1]:80/",
        ] {
            assert_eq!(parse(raw).unwrap().to_string(), raw);
        }
        let u = parse("https://user:p%40ss@example.com:8443/a%20b/c?x=1#f").unwrap();
        assert_eq!(
            (u.host.as_str(), u.path.as_str(), hostname(&u.host).as_str()),
            ("example.com:8443", "/a b/c", "example.com")
        );
        assert_eq!(u.user.unwrap().to_string(), "user:p%40ss");
    }

    // BEGIN GO TABLE (generated: each row's result and %T printed by Go 1.27 + sprig 3.2.3)
    fn go_table() -> Vec<Case> {
        vec![
            (
                "urlParse",
                vec![s("https://user:p%40ss@example.com:8443/a%20b/c?x=1&y=2#frag%20ment")],
                Ok(
                    "map[fragment:frag ment host:example.com:8443 hostname:example.com opaque: path:/a b/c query:x=1&y=2 scheme:https userinfo:user:p%40ss]",
                ),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("mailto:me@example.com")],
                Ok("map[fragment: host: hostname: opaque:me@example.com path: query: scheme:mailto userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("/relative/path")],
                Ok("map[fragment: host: hostname: opaque: path:/relative/path query: scheme: userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("http://[::1]:80/")],
                Ok("map[fragment: host:[::1]:80 hostname:::1 opaque: path:/ query: scheme:http userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("HTTP://EXAMPLE.com")],
                Ok("map[fragment: host:EXAMPLE.com hostname:EXAMPLE.com opaque: path: query: scheme:http userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("http://a b.com/")],
                Err("unable to parse url: parse \"http://a b.com/\": invalid character \" \" in host name"),
                "",
            ),
            (
                "urlParse",
                vec![s("http://x/%zz")],
                Err("unable to parse url: parse \"http://x/%zz\": invalid URL escape \"%zz\""),
                "",
            ),
            (
                "urlParse",
                vec![s("http://[::1")],
                Err("unable to parse url: parse \"http://[::1\": missing ']' in host"),
                "",
            ),
            (
                "urlParse",
                vec![s("http://h:port/")],
                Err("unable to parse url: parse \"http://h:port/\": invalid port \":port\" after host"),
                "",
            ),
            ("urlParse", vec![s("://x")], Err("unable to parse url: parse \"://x\": missing protocol scheme"), ""),
            (
                "urlParse",
                vec![s("1http://x")],
                Err("unable to parse url: parse \"1http://x\": first path segment in URL cannot contain colon"),
                "",
            ),
            (
                "urlParse",
                vec![s("rel:ative")],
                Ok("map[fragment: host: hostname: opaque:ative path: query: scheme:rel userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("http://user@h/")],
                Ok("map[fragment: host:h hostname:h opaque: path:/ query: scheme:http userinfo:user]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("http://h/?")],
                Ok("map[fragment: host:h hostname:h opaque: path:/ query: scheme:http userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("http://h/p?q#f?x")],
                Ok("map[fragment:f?x host:h hostname:h opaque: path:/p query:q scheme:http userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("file:///etc/hosts")],
                Ok("map[fragment: host: hostname: opaque: path:/etc/hosts query: scheme:file userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("*")],
                Ok("map[fragment: host: hostname: opaque: path:* query: scheme: userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("http://%41/")],
                Err("unable to parse url: parse \"http://%41/\": invalid URL escape \"%41\""),
                "",
            ),
            (
                "urlParse",
                vec![s("http://h:8080")],
                Ok("map[fragment: host:h:8080 hostname:h opaque: path: query: scheme:http userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("http://[fe80::1%25en0]:8080/")],
                Ok(
                    "map[fragment: host:[fe80::1%en0]:8080 hostname:fe80::1%en0 opaque: path:/ query: scheme:http userinfo:]",
                ),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("http://a:b:80/")],
                Ok("map[fragment: host:a:b:80 hostname:a:b opaque: path:/ query: scheme:http userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("ftp://a:b:80/")],
                Ok("map[fragment: host:a:b:80 hostname:a:b opaque: path:/ query: scheme:ftp userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("//host/p")],
                Ok("map[fragment: host:host hostname:host opaque: path:/p query: scheme: userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("http://h/a%2Fb")],
                Ok("map[fragment: host:h hostname:h opaque: path:/a/b query: scheme:http userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("http://us%20er:pa:ss@h/")],
                Ok("map[fragment: host:h hostname:h opaque: path:/ query: scheme:http userinfo:us%20er:pa%3Ass]"),
                "map[string]interface {}",
            ),
            (
                "urlParse",
                vec![s("http://[1.2.3.4]/")],
                Err("unable to parse url: parse \"http://[1.2.3.4]/\": invalid IP-literal"),
                "",
            ),
            (
                "urlParse",
                vec![s("")],
                Ok("map[fragment: host: hostname: opaque: path: query: scheme: userinfo:]"),
                "map[string]interface {}",
            ),
            (
                "urlJoin",
                vec![d(vec![
                    ("scheme", s("https")),
                    ("host", s("example.com:8443")),
                    ("path", s("/a b/c")),
                    ("query", s("x=1")),
                    ("fragment", s("f g")),
                    ("userinfo", s("u:p@ss")),
                ])],
                Ok("https://u:p%40ss@example.com:8443/a%20b/c?x=1#f%20g"),
                "string",
            ),
            (
                "urlJoin",
                vec![d(vec![("scheme", s("mailto")), ("opaque", s("me@example.com"))])],
                Ok("mailto:me@example.com"),
                "string",
            ),
            ("urlJoin", vec![d(vec![("path", s("a:b"))])], Ok("./a:b"), "string"),
            ("urlJoin", vec![d(vec![("host", s("h")), ("path", s("p"))])], Ok("//h/p"), "string"),
            ("urlJoin", vec![d(vec![])], Ok(""), "string"),
            ("urlJoin", vec![d(vec![("scheme", s("http")), ("host", s("h"))])], Ok("http://h"), "string"),
            ("urlJoin", vec![d(vec![("scheme", s("http")), ("path", s("//x"))])], Ok("http:////x"), "string"),
            (
                "urlJoin",
                vec![d(vec![("host", i(1))])],
                Err("unable to parse host key, must be of type string, but int found"),
                "",
            ),
            (
                "urlJoin",
                vec![d(vec![("host", Value::Nil)])],
                Err("runtime error: invalid memory address or nil pointer dereference"),
                "",
            ),
            (
                "urlJoin",
                vec![d(vec![("userinfo", s("a b"))])],
                Err("unable to parse userinfo in dict: parse \"proto://a b@host\": net/url: invalid userinfo"),
                "",
            ),
            ("urlJoin", vec![d(vec![("userinfo", s("u"))])], Ok("//u@"), "string"),
            (
                "urlJoin",
                vec![d(vec![("scheme", s("http")), ("host", s("hé")), ("path", s("/é?#"))])],
                Ok("http://h%C3%A9/%C3%A9%3F%23"),
                "string",
            ),
            ("urlJoin", vec![d(vec![("path", s("*"))])], Ok("*"), "string"),
            ("urlJoin", vec![d(vec![("fragment", s("a!b(c)"))])], Ok("#a!b(c)"), "string"),
        ]
    }

    #[test]
    fn matches_go() {
        check_table(&go_table());
    }
    // END GO TABLE

    // BEGIN GO RENDER (generated: each template's output or error from Go 1.27 + sprig 3.2.3)
    const RENDER_CASES: &[(&str, &str)] = &[
        ("{{ (urlParse \"https://u:p@h.com:8080/a b?x=1#f\").host }}", "OK h.com:8080"),
        (
            "{{ urlParse \"https://u:p@h.com:8080/p?x=1#f\" }}",
            "OK map[fragment:f host:h.com:8080 hostname:h.com opaque: path:/p query:x=1 scheme:https userinfo:u:p]",
        ),
        (
            "{{ urlJoin (dict \"scheme\" \"https\" \"host\" \"h.com\" \"path\" \"/a b\" \"query\" \"x=1\") }}",
            "OK https://h.com/a%20b?x=1",
        ),
        (
            "{{ urlParse \"http://[::1\" }}",
            "ERR template: t:1:3: executing \"t\" at <urlParse \"http://[::1\">: error calling urlParse: unable to parse url: parse \"http://[::1\": missing ']' in host",
        ),
        (
            "{{ urlJoin (dict \"host\" 1) }}",
            "ERR template: t:1:3: executing \"t\" at <urlJoin (dict \"host\" 1)>: error calling urlJoin: unable to parse host key, must be of type string, but int found",
        ),
        ("{{ $u := urlParse \"http://h/p\" }}{{ $_ := set $u \"path\" \"/q\" }}{{ urlJoin $u }}", "OK http://h/q"),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(RENDER_CASES);
    }
    // END GO RENDER
}

//! KOTS's static context (`pkg/template/static_context.go`): strings, parsing, arithmetic,
//! sizes, random values, the clock, `YamlEscape`, and the cluster questions (from the cluster
//! the caller describes, else as KOTS answers without one).
//! The certificate functions and `KubeSeal` are in `tls.rs`.

use base64::Engine;
use rand::Rng;

use super::KotsContext;
use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::sprig::dates::go_time::{Location, Time};
use crate::value::{FloatKind, GoType, IntKind, UintKind, Value};

const S: GoType = GoType::String;
const A: GoType = GoType::Any;

pub(super) fn register(map: &mut FuncMap, context: &KotsContext) {
    map.add("Now", vec![], |_, _| Ok(Value::string(utc_now(""))));
    map.add("NowFmt", vec![S], |_, a| Ok(Value::string(utc_now(a.str_arg(0)?))));
    map.add("ToLower", vec![S], |_, a| Ok(Value::string(a.str_arg(0)?.chars().map(go_lower).collect::<String>())));
    map.add("ToUpper", vec![S], |_, a| Ok(Value::string(a.str_arg(0)?.chars().map(go_upper).collect::<String>())));
    map.add("TrimSpace", vec![S], |_, a| Ok(Value::string(a.str_arg(0)?.trim_matches(char::is_whitespace))));
    map.add_variadic("Trim", vec![S], S, |_, a| {
        let s = a.str_arg(0)?;
        Ok(Value::string(match a.get(1) {
            None => s.trim_matches(char::is_whitespace),
            // Only the first cutset counts; the others are ignored.
            Some(_) => {
                let cutset = a.str_arg(1)?;
                s.trim_matches(|c| cutset.contains(c))
            }
        }))
    });
    map.add("UrlEncode", vec![S], |_, a| Ok(Value::string(crate::builtins::query_escape(a.str_arg(0)?))));
    map.add("Base64Encode", vec![S], |_, a| Ok(Value::string(base64_std().encode(a.str_arg(0)?))));
    map.add("Base64Decode", vec![S], |_, a| {
        // Invalid input gives "", not an error.
        let decoded = base64_std().decode(a.str_arg(0)?).unwrap_or_default();
        Ok(Value::string(String::from_utf8_lossy(&decoded).into_owned()))
    });
    map.add("Split", vec![S, S], |_, a| {
        Ok(Value::string_list(crate::sprig::strings::go_split(a.str_arg(0)?, a.str_arg(1)?, -1)))
    });
    map.add("RandomBytes", vec![GoType::Uint(UintKind::Uint64)], |_, a| {
        let n = bounded_count(a.arg(0)?)?;
        let mut bytes = vec![0u8; n];
        rand::rng().fill(&mut bytes[..]);
        Ok(Value::string(base64_std().encode(bytes)))
    });
    map.add_variadic("RandomString", vec![GoType::Uint(UintKind::Uint64)], S, |_, a| {
        let n = bounded_count(a.arg(0)?)?;
        let charset = if a.len() > 1 { a.str_arg(1)? } else { "[_A-Za-z0-9]" };
        Ok(Value::string(random_string(n, charset)))
    });
    map.add("Add", vec![A, A], |_, a| arithmetic(a.arg(0)?, a.arg(1)?, Op::Add));
    map.add("Sub", vec![A, A], |_, a| arithmetic(a.arg(0)?, a.arg(1)?, Op::Sub));
    map.add("Mult", vec![A, A], |_, a| arithmetic(a.arg(0)?, a.arg(1)?, Op::Mul));
    map.add("Div", vec![A, A], |_, a| arithmetic(a.arg(0)?, a.arg(1)?, Op::Div));
    map.add("ParseBool", vec![S], |_, a| Ok(Value::Bool(parse_bool(a.str_arg(0)?).unwrap_or(false))));
    map.add("ParseFloat", vec![S], |_, a| Ok(Value::float(parse_float(a.str_arg(0)?))));
    map.add_variadic("ParseInt", vec![S], GoType::INT, |_, a| {
        let base = if a.len() > 1 { a.int_arg(1)? } else { 10 };
        Ok(Value::int64(parse_int(a.str_arg(0)?, base)))
    });
    map.add_variadic("ParseUint", vec![S], GoType::INT, |_, a| {
        let base = if a.len() > 1 { a.int_arg(1)? } else { 10 };
        Ok(Value::Uint(parse_uint(a.str_arg(0)?, base), UintKind::Uint64))
    });
    map.add("HumanSize", vec![A], |_, a| Ok(Value::string(human_size(float_value(a.arg(0)?)))));
    let ctx = context.clone();
    map.add("Namespace", vec![], move |_, _| {
        Ok(Value::string(match &ctx.namespace {
            Some(ns) => ns.clone(),
            None => Some(ctx.env_var("DEV_NAMESPACE"))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| ctx.env_var("POD_NAMESPACE")),
        }))
    });
    map.add("KotsVersion", vec![], |_, _| Ok(Value::string(env!("CARGO_PKG_VERSION"))));
    // From the cluster the caller describes; without one, as KOTS answers when it cannot
    // reach a cluster (pull has none).
    let cluster = context.cluster.clone();
    let c = cluster.clone();
    map.add("IsKurl", vec![], move |_, _| Ok(Value::Bool(c.as_ref().is_some_and(|c| c.kurl_config))));
    let c = cluster.clone();
    map.add("Distribution", vec![], move |_, _| Ok(Value::string(c.as_ref().map(distribution).unwrap_or_default())));
    let c = cluster.clone();
    map.add("NodeCount", vec![], move |_, _| Ok(Value::int(c.as_ref().map_or(0, |c| c.nodes.len() as i64))));
    let c = cluster.clone();
    map.add("KubernetesVersion", vec![], move |_, _| {
        Ok(Value::string(match c.as_ref().and_then(|c| c.server_version.as_ref()) {
            Some(v) => v.git_version.strip_prefix('v').unwrap_or(&v.git_version).to_string(),
            None => "0.0.0+unknown".to_string(),
        }))
    });
    let c = cluster.clone();
    map.add("KubernetesMajorVersion", vec![], move |_, _| {
        Ok(Value::string(
            c.as_ref().and_then(|c| c.server_version.as_ref()).map(|v| v.major.clone()).unwrap_or_default(),
        ))
    });
    let c = cluster;
    map.add("KubernetesMinorVersion", vec![], move |_, _| {
        Ok(Value::string(
            c.as_ref().and_then(|c| c.server_version.as_ref()).map(|v| v.minor.clone()).unwrap_or_default(),
        ))
    });
    map.add("YamlEscape", vec![S], |_, a| {
        // yaml.v3's marshalling, then sprig's `indent 20` (every line, the first included).
        let pad = " ".repeat(20);
        Ok(Value::string(format!(
            "{pad}{}",
            super::yaml::marshal_string(a.str_arg(0)?).replace('\n', &format!("\n{pad}"))
        )))
    });
    map.add("Lookup", vec![S, S, S, S], |_, _| Ok(Value::map(Default::default())));
    for (name, var) in [
        ("HTTPSProxy", "HTTPS_PROXY"),
        ("HTTPProxy", "HTTP_PROXY"),
        ("NoProxy", "NO_PROXY"),
        ("PrivateCACert", "SSL_CERT_CONFIGMAP"),
    ] {
        let ctx = context.clone();
        map.add(name, vec![], move |_, _| Ok(Value::string(ctx.env_var(var))));
    }
}

/// KOTS's `Distribution`: `openShift` when the API has `apps.openshift.io`, else the provider
/// troubleshoot's `ParseNodesForProviders` reads from the nodes' labels, annotations and
/// provider IDs (the last match wins; nodes with a control-plane role rule out `eks`).
fn distribution(cluster: &super::Cluster) -> String {
    if cluster.api_group_versions.iter().any(|g| g.starts_with("apps.openshift.io/")) {
        return "openShift".to_string();
    }
    let mut provider = "";
    let mut found_master = false;
    let (mut k0s, mut embedded) = (false, false);
    for node in &cluster.nodes {
        for (k, v) in &node.labels {
            match (k.as_str(), v.as_str()) {
                ("kurl.sh/cluster", "true") => provider = "kurl",
                ("microk8s.io/cluster", "true") => provider = "microk8s",
                ("node-role.kubernetes.io/master" | "node-role.kubernetes.io/control-plane", _) => found_master = true,
                ("kubernetes.azure.com/role", _) => provider = "aks",
                ("minikube.k8s.io/version", _) => provider = "minikube",
                ("node.kubernetes.io/instance-type" | "beta.kubernetes.io/instance-type", "k3s") => provider = "k3s",
                ("oci.oraclecloud.com/fault-domain", _) => provider = "oke",
                ("node.k0sproject.io/role", _) => {
                    k0s = true;
                    provider = "k0s";
                }
                ("kots.io/embedded-cluster-role", _) => {
                    embedded = true;
                    provider = "embedded-cluster";
                }
                ("run.tanzu.vmware.com/kubernetesDistributionVersion", _) => provider = "tanzu",
                _ => {}
            }
        }
        if node.annotations.contains_key("rke2.io/node-args") {
            provider = "rke2";
        }
        if node.os_image == "Docker Desktop" {
            provider = "dockerDesktop";
        }
        for (prefix, name) in
            [("digitalocean:", "digitalOcean"), ("aws:", "eks"), ("gce:", "gke"), ("ibm:", "ibm"), ("kind:", "kind")]
        {
            if node.provider_id.starts_with(prefix) {
                provider = name;
            }
        }
    }
    if found_master && provider == "eks" {
        provider = "";
    }
    if k0s && embedded {
        provider = "embedded-cluster";
    }
    provider.to_string()
}

fn base64_std() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// `time.Now().UTC().Format(layout)`, RFC 3339 when the layout is empty.
fn utc_now(layout: &str) -> String {
    let layout = if layout.is_empty() { "2006-01-02T15:04:05Z07:00" } else { layout };
    Time::now().in_loc(Location::utc()).format(layout)
}

fn go_lower(c: char) -> char {
    crate::sprig::strings::to_lower(c)
}

fn go_upper(c: char) -> char {
    crate::sprig::strings::to_upper(c)
}

/// Counts of random bytes or characters: Go would try to allocate any `uint64`; we refuse past
/// 64 MiB.
fn bounded_count(value: &Value) -> Result<usize, FuncError> {
    let n = match value {
        Value::Uint(n, _) => *n,
        Value::Int(n, _) if *n >= 0 => *n as u64,
        other => return Err(FuncError::new(format!("expected a count; got {}", other.type_name()))),
    };
    if n > 64 << 20 {
        return Err(FuncError::new(format!("{n} is too many (at most {})", 64 << 20)));
    }
    Ok(n as usize)
}

/// `n` characters drawn uniformly from the character class `charset` (Go regexp syntax). A
/// charset that is not one character class (a literal, `[a]`, an alternation) gives "", as
/// KOTS's does.
fn random_string(n: usize, charset: &str) -> String {
    use regex_syntax::hir::{Class, HirKind};
    let Ok(hir) = regex_syntax::ParserBuilder::new().build().parse(charset) else {
        return String::new();
    };
    let ranges: Vec<(u32, u32)> = match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => {
            class.ranges().iter().map(|r| (r.start() as u32, r.end() as u32)).collect()
        }
        HirKind::Class(Class::Bytes(class)) => {
            class.ranges().iter().map(|r| (r.start() as u32, r.end() as u32)).collect()
        }
        _ => return String::new(),
    };
    let total: u64 = ranges.iter().map(|(a, b)| (b - a + 1) as u64).sum();
    if total == 0 {
        return String::new();
    }
    let mut rng = rand::rng();
    let mut out = String::with_capacity(n);
    for _ in 0..n {
        let mut pick = rng.random_range(0..total);
        for (start, end) in &ranges {
            let size = (end - start + 1) as u64;
            if pick < size {
                out.push(char::from_u32(start + pick as u32).unwrap_or('\u{FFFD}'));
                break;
            }
            pick -= size;
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

fn float_value(v: &Value) -> f64 {
    match v {
        Value::Float(f, _) => *f,
        Value::Int(i, _) => *i as f64,
        Value::Uint(u, _) => *u as f64,
        _ => 0.0,
    }
}

/// Go's integer arithmetic on `x` and `y` (int64 or uint64): wrapping, and division by zero an
/// error, as Go's runtime panics.
macro_rules! integer_op {
    ($x:expr, $y:expr, $op:expr) => {
        match $op {
            Op::Add => $x.wrapping_add($y),
            Op::Sub => $x.wrapping_sub($y),
            Op::Mul => $x.wrapping_mul($y),
            Op::Div if $y == 0 => return Err(FuncError::new("runtime error: integer divide by zero")),
            Op::Div => $x.wrapping_div($y),
        }
    };
}

/// KOTS's `Add`/`Sub`/`Mult`/`Div`: float arithmetic if either is a float; else by the first
/// argument's kind, int64 or uint64 (a non-number second argument counts as 0); a non-number
/// first argument gives 0. Mixing signed and unsigned panics in KOTS's reflection: an error.
fn arithmetic(a: &Value, b: &Value, op: Op) -> Result<Value, FuncError> {
    if matches!(a, Value::Float(..)) || matches!(b, Value::Float(..)) {
        let (x, y) = (float_value(a), float_value(b));
        return Ok(Value::Float(
            match op {
                Op::Add => x + y,
                Op::Sub => x - y,
                Op::Mul => x * y,
                Op::Div => x / y,
            },
            FloatKind::Float64,
        ));
    }
    match (a, b) {
        (Value::Int(..), Value::Uint(..)) => Err(FuncError::new("reflect: call of reflect.Value.Int on uint64 Value")),
        (Value::Uint(..), Value::Int(..)) => Err(FuncError::new("reflect: call of reflect.Value.Uint on int Value")),
        (Value::Int(x, _), b) => {
            let y = if let Value::Int(y, _) = b { *y } else { 0 };
            Ok(Value::Int(integer_op!(x, y, op), IntKind::Int64))
        }
        (Value::Uint(x, _), b) => {
            let y = if let Value::Uint(y, _) = b { *y } else { 0 };
            Ok(Value::Uint(integer_op!(x, y, op), UintKind::Uint64))
        }
        _ => Ok(Value::int(0)),
    }
}

/// Go's `strconv.ParseBool`, which KOTS uses for `ParseBool`, `kots.io/when` and the typed
/// accessors.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `strconv.ParseFloat(s, 64)`, 0 on a syntax error (a range error keeps ±Inf, as strconv).
fn parse_float(s: &str) -> f64 {
    let lower = s.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    let negative = lower.starts_with('-');
    let special = match body {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = special {
        return if negative { -v } else { v };
    }
    crate::parse::parse_float_literal(s).unwrap_or(0.0)
}

/// The digits of `s` in `base` (0: Go's prefixes), as a magnitude that may exceed `u64`;
/// `None` on a syntax error.
fn magnitude(s: &str, base: i64) -> Option<(u128, bool)> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (digits, radix) = if base == 0 {
        let lower = body.to_ascii_lowercase();
        if lower.starts_with("0x") {
            (&body[2..], 16)
        } else if lower.starts_with("0o") {
            (&body[2..], 8)
        } else if lower.starts_with("0b") {
            (&body[2..], 2)
        } else if body.len() > 1 && body.starts_with('0') {
            (&body[1..], 8)
        } else {
            (body, 10)
        }
    } else if (2..=36).contains(&base) {
        (body, base as u32)
    } else {
        return None;
    };
    let digits: String = if base == 0 { digits.chars().filter(|&c| c != '_').collect() } else { digits.to_string() };
    if digits.is_empty() {
        return None;
    }
    let mut value: u128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)?;
        value = value.saturating_mul(radix as u128).saturating_add(d as u128);
    }
    Some((value, negative))
}

/// `strconv.ParseInt(s, base, 64)` as KOTS uses it: 0 on a syntax error, the int64 limit on
/// a range error.
fn parse_int(s: &str, base: i64) -> i64 {
    match magnitude(s, base) {
        None => 0,
        Some((m, false)) => i64::try_from(m).unwrap_or(i64::MAX),
        Some((m, true)) => {
            if m > i64::MAX as u128 + 1 {
                i64::MIN
            } else {
                (m as i64).wrapping_neg()
            }
        }
    }
}

/// `strconv.ParseUint(s, base, 64)` as KOTS uses it: 0 on a syntax error (a sign is one),
/// the uint64 limit on a range error.
fn parse_uint(s: &str, base: i64) -> u64 {
    if s.starts_with(['+', '-']) {
        return 0;
    }
    match magnitude(s, base) {
        None => 0,
        Some((m, _)) => u64::try_from(m).unwrap_or(u64::MAX),
    }
}

/// docker/go-units `HumanSize`: decimal units, four significant digits (`%.4g`).
fn human_size(mut size: f64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut i = 0;
    while size >= 1000.0 && i < UNITS.len() - 1 {
        size /= 1000.0;
        i += 1;
    }
    format!("{}{}", crate::fmt::sprintf("%.4g", &[Value::float(size)]), UNITS[i])
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::kots::{self, KotsContext};

    fn render(text: &str) -> Result<String, crate::Error> {
        kots::render("t", text, &Arc::new(kots::funcs(&KotsContext::default())))
    }

    #[test]
    fn the_static_functions_behave_as_functions_md_describes() {
        // Semantics from compat/kots-templates/functions.md §3.1 (KOTS's static context).
        let cases: &[(&str, &str)] = &[
            ("{{repl HumanSize 1500000 }}", "1.5MB"),
            ("{{repl HumanSize 999 }}", "999B"),
            ("{{repl HumanSize \"x\" }}", "0B"),
            ("{{repl Trim \"xxhixx\" \"x\" \"h\" }}", "hi"),
            ("{{repl Trim \"  hi \" }}", "hi"),
            ("{{repl ParseUint \"-1\" }}", "0"),
            ("{{repl ParseUint \"ff\" 16 }}", "255"),
            ("{{repl ParseInt \"99999999999999999999\" }}", "9223372036854775807"),
            ("{{repl Add 1 2.5 }} {{repl Sub 5 2 }} {{repl Mult 3 4 }} {{repl Div 7 2 }}", "3.5 3 12 3"),
            ("{{repl Add \"x\" 2 }} {{repl Add 2 \"x\" }}", "0 2"),
            ("{{repl Base64Decode \"!!\" }}|", "|"),
            ("{{repl Split \"abc\" \"\" }}", "[a b c]"),
            ("{{repl Lookup \"v1\" \"pods\" \"ns\" \"x\" }}", "map[]"),
            ("{{repl KubernetesVersion }}", "0.0.0+unknown"),
            ("{{repl len (RandomString 12 \"[a-c]\") }}", "12"),
            ("{{repl RandomString 5 \"[a]\" }}|{{repl RandomString 5 \"abc\" }}|", "||"),
        ];
        for (text, want) in cases {
            assert_eq!(&render(text).unwrap_or_else(|e| panic!("{text}: {e}")), want, "{text}");
        }
        let drawn = render("{{repl RandomString 200 \"[a-c]\" }}").unwrap();
        assert!(drawn.chars().all(|c| ('a'..='c').contains(&c)), "{drawn}");
        assert!(render("{{repl Add 2 (ParseUint \"3\") }}").is_err(), "signed + unsigned is an error in KOTS");
        assert!(render("{{repl Div 1 0 }}").is_err());
    }

    #[test]
    fn the_cluster_functions_read_the_described_cluster() {
        use crate::kots::{Cluster, Node, ServerVersion};
        let node = |labels: &[(&str, &str)], provider: &str| Node {
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            provider_id: provider.to_string(),
            ..Node::default()
        };
        let cluster = Cluster {
            server_version: Some(ServerVersion {
                git_version: "v1.30.2+k3s1".to_string(),
                major: "1".to_string(),
                minor: "30".to_string(),
            }),
            nodes: vec![node(&[], "aws:///i-1"), node(&[("node-role.kubernetes.io/control-plane", "")], "")],
            kurl_config: true,
            ..Cluster::default()
        };
        let ctx = KotsContext { cluster: Some(cluster.clone()), ..KotsContext::default() };
        let funcs = Arc::new(kots::funcs(&ctx));
        let text = "{{repl KubernetesVersion }} {{repl KubernetesMinorVersion }} {{repl NodeCount }} {{repl IsKurl }} [{{repl Distribution }}]";
        // A control-plane node rules out eks.
        assert_eq!(kots::render("t", text, &funcs).unwrap(), "1.30.2+k3s1 30 2 true []");
        let aks = Cluster { nodes: vec![node(&[("kubernetes.azure.com/role", "agent")], "")], ..cluster.clone() };
        let ctx = KotsContext { cluster: Some(aks), ..KotsContext::default() };
        assert_eq!(kots::render("t", "{{repl Distribution }}", &Arc::new(kots::funcs(&ctx))).unwrap(), "aks");
        let no_version = Cluster { server_version: None, ..cluster };
        let ctx = KotsContext { cluster: Some(no_version), ..KotsContext::default() };
        let out = kots::render(
            "t",
            "{{repl KubernetesVersion }}|{{repl KubernetesMajorVersion }}",
            &Arc::new(kots::funcs(&ctx)),
        );
        assert_eq!(out.unwrap(), "0.0.0+unknown|");
    }
}

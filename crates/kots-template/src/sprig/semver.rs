//! sprig's `semver` and `semverCompare`, on Masterminds/semver v3 ported as it is: the loose
//! version grammar of `NewVersion` (`v1`, `1.2`, `1.2.3-beta.1+build`), and the constraint
//! grammar of `NewConstraint` (`>= 1.2, < 3`, `^1.2`, `~1.2.3`, `1.2.x`, `1 - 2`, `||`), with
//! its rule that a prerelease version only satisfies constraints that carry a prerelease.
//! `semver` returns a `*semver.Version` object whose `Major`, `Minor`, `Patch`, `Prerelease`,
//! `Metadata`, `Original`, `String` (and `Compare`, `LessThan`, `GreaterThan`, `Equal`,
//! `IncMajor`, `IncMinor`, `IncPatch`) templates can call.

use std::sync::{Arc, OnceLock};

use regex::Regex;

use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::{GoType, Object, Value};

pub(super) fn register(map: &mut FuncMap) {
    map.add("semver", vec![GoType::String], |_, a| Ok(Value::Object(Arc::new(SemverVersion::parse(a.str_arg(0)?)?))));
    map.add("semverCompare", vec![GoType::String, GoType::String], |_, a| {
        let c = Constraints::parse(a.str_arg(0)?)?;
        let v = SemverVersion::parse(a.str_arg(1)?)?;
        Ok(Value::Bool(c.check(&v)))
    });
}

const SEMVER_RE: &str =
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const CV_RE: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

/// The library's regexes, compiled once (Go's `\s` is ASCII: `[\t\n\f\r ]`).
struct Regexes {
    version: Regex,
    constraint: Regex,
    range: Regex,
    find: Regex,
    valid: Regex,
}

fn regexes() -> &'static Regexes {
    static RE: OnceLock<Regexes> = OnceLock::new();
    RE.get_or_init(|| {
        let ws = r"[\t\n\f\r ]";
        let build = |p: String| Regex::new(&p.replace(r"\s", ws)).expect("semver regex");
        Regexes {
            version: build(format!("^{SEMVER_RE}$")),
            constraint: build(format!(r"^\s*({OPS})\s*({CV_RE})\s*$")),
            range: build(format!(r"\s*({CV_RE})\s+-\s+({CV_RE})\s*")),
            find: build(format!(r"({OPS})\s*({CV_RE})")),
            valid: build(format!(r"^(\s*({OPS})\s*({CV_RE})\s*)((?:\s+|,\s*)({OPS})\s*({CV_RE})\s*)*$")),
        }
    })
}

/// Masterminds/semver's `Version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SemverVersion {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
    /// `*semver.Version` (from `semver`) or `semver.Version` (from `IncMajor` and friends).
    pointer: bool,
}

const NUM: &str = "0123456789";
const ALLOWED: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789";

fn contains_only(s: &str, set: &str) -> bool {
    s.chars().all(|c| set.contains(c))
}

fn validate_prerelease(p: &str) -> Result<(), FuncError> {
    for part in p.split('.') {
        if contains_only(part, NUM) {
            if part.len() > 1 && part.starts_with('0') {
                return Err(FuncError::new("Version segment starts with 0"));
            }
        } else if !contains_only(part, ALLOWED) {
            return Err(FuncError::new("Invalid Prerelease string"));
        }
    }
    Ok(())
}

fn validate_metadata(m: &str) -> Result<(), FuncError> {
    if m.split('.').all(|part| contains_only(part, ALLOWED)) {
        Ok(())
    } else {
        Err(FuncError::new("Invalid Metadata string"))
    }
}

fn parse_segment(s: &str) -> Result<u64, FuncError> {
    s.parse::<u64>().map_err(|_| {
        FuncError::new(format!(
            "Error parsing version segment: strconv.ParseUint: parsing {}: value out of range",
            super::strings::go_quote(s)
        ))
    })
}

impl SemverVersion {
    /// `semver.NewVersion`.
    pub(crate) fn parse(v: &str) -> Result<SemverVersion, FuncError> {
        let caps = regexes().version.captures(v).ok_or_else(|| FuncError::new("Invalid Semantic Version"))?;
        let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
        let minor = group(2).strip_prefix('.').map(parse_segment).transpose()?.unwrap_or(0);
        let patch = group(3).strip_prefix('.').map(parse_segment).transpose()?.unwrap_or(0);
        let sv = SemverVersion {
            major: parse_segment(group(1))?,
            minor,
            patch,
            pre: group(5).to_string(),
            metadata: group(8).to_string(),
            original: v.to_string(),
            pointer: true,
        };
        if !sv.pre.is_empty() {
            validate_prerelease(&sv.pre)?;
        }
        if !sv.metadata.is_empty() {
            validate_metadata(&sv.metadata)?;
        }
        Ok(sv)
    }

    /// A `*Version` with every field zero: what copystructure's `Copy` makes of one (it
    /// copies exported fields only, and `Version` has none).
    pub(crate) fn zeroed() -> SemverVersion {
        SemverVersion {
            major: 0,
            minor: 0,
            patch: 0,
            pre: String::new(),
            metadata: String::new(),
            original: String::new(),
            pointer: true,
        }
    }

    fn original_v_prefix(&self) -> &str {
        if self.original.starts_with('v') { "v" } else { "" }
    }

    fn with_original(mut self, prefix: &str) -> SemverVersion {
        self.original = format!("{prefix}{self}");
        self.pointer = false;
        self
    }

    fn inc_patch(&self) -> SemverVersion {
        let mut next = self.clone();
        next.metadata.clear();
        if self.pre.is_empty() {
            next.patch += 1;
        }
        next.pre.clear();
        next.with_original(self.original_v_prefix())
    }

    fn inc_minor(&self) -> SemverVersion {
        let mut next = self.clone();
        next.metadata.clear();
        next.pre.clear();
        next.patch = 0;
        next.minor += 1;
        next.with_original(self.original_v_prefix())
    }

    fn inc_major(&self) -> SemverVersion {
        let mut next = self.clone();
        next.metadata.clear();
        next.pre.clear();
        next.patch = 0;
        next.minor = 0;
        next.major += 1;
        next.with_original(self.original_v_prefix())
    }

    /// `Version.Compare`: -1, 0 or 1; metadata does not count.
    pub(crate) fn compare(&self, o: &SemverVersion) -> i32 {
        for (a, b) in [(self.major, o.major), (self.minor, o.minor), (self.patch, o.patch)] {
            if a != b {
                return if a < b { -1 } else { 1 };
            }
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => 0,
            (true, false) => 1,
            (false, true) => -1,
            (false, false) => compare_prerelease(&self.pre, &o.pre),
        }
    }
}

impl std::fmt::Display for SemverVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn compare_prerelease(v: &str, o: &str) -> i32 {
    let sparts: Vec<&str> = v.split('.').collect();
    let oparts: Vec<&str> = o.split('.').collect();
    for i in 0..sparts.len().max(oparts.len()) {
        let s = sparts.get(i).copied().unwrap_or("");
        let t = oparts.get(i).copied().unwrap_or("");
        let d = compare_pre_part(s, t);
        if d != 0 {
            return d;
        }
    }
    0
}

fn compare_pre_part(s: &str, o: &str) -> i32 {
    if s == o {
        return 0;
    }
    if s.is_empty() {
        return -1;
    }
    if o.is_empty() {
        return 1;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => {
            if s > o {
                1
            } else {
                -1
            }
        }
        (_, Err(_)) => -1,
        (Err(_), _) => 1,
        (Ok(si), Ok(oi)) => {
            if si > oi {
                1
            } else {
                -1
            }
        }
    }
}

fn version_arg(args: &[Value], i: usize) -> Result<&SemverVersion, FuncError> {
    args.arg(i)?.as_object::<SemverVersion>().ok_or_else(|| {
        FuncError::new(format!("wrong type for value; expected *semver.Version; got {}", args[i].type_name()))
    })
}

impl Object for SemverVersion {
    fn type_name(&self) -> &str {
        if self.pointer { "*semver.Version" } else { "semver.Version" }
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Major" => Value::Uint(self.major, crate::value::UintKind::Uint64),
            "Minor" => Value::Uint(self.minor, crate::value::UintKind::Uint64),
            "Patch" => Value::Uint(self.patch, crate::value::UintKind::Uint64),
            "Prerelease" => Value::string(self.pre.as_str()),
            "Metadata" => Value::string(self.metadata.as_str()),
            // A pointer method: Go reaches it from a *Version only.
            "Original" if self.pointer => Value::string(self.original.as_str()),
            "String" => Value::string(self.to_string()),
            "IncMajor" => Value::Object(Arc::new(self.inc_major())),
            "IncMinor" => Value::Object(Arc::new(self.inc_minor())),
            "IncPatch" => Value::Object(Arc::new(self.inc_patch())),
            _ => return None,
        })
    }

    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        if !self.pointer {
            return None;
        }
        let cmp = |args: &[Value]| version_arg(args, 0).map(|o| self.compare(o));
        Some(match name {
            "Compare" => cmp(args).map(|c| Value::int(i64::from(c))),
            "LessThan" => cmp(args).map(|c| Value::Bool(c < 0)),
            "GreaterThan" => cmp(args).map(|c| Value::Bool(c > 0)),
            "Equal" => cmp(args).map(|c| Value::Bool(c == 0)),
            _ => return None,
        })
    }

    fn format(&self) -> String {
        self.to_string()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn equals(&self, other: &dyn Object) -> Option<bool> {
        let o = other.as_any().downcast_ref::<SemverVersion>()?;
        Some(if self.pointer { std::ptr::eq(self, o) } else { self == o })
    }
}

/// One parsed constraint (`constraint` in the library).
#[derive(Debug, Clone)]
struct Constraint {
    con: SemverVersion,
    op: String,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

/// `semver.Constraints`: alternatives (`||`) of conjunctions.
#[derive(Debug, Clone)]
struct Constraints {
    alternatives: Vec<Vec<Constraint>>,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "*" | "X")
}

impl Constraints {
    /// `semver.NewConstraint`.
    fn parse(c: &str) -> Result<Constraints, FuncError> {
        let c = rewrite_range(c);
        let mut alternatives = Vec::new();
        for v in c.split("||") {
            if !regexes().valid.is_match(v) {
                return Err(FuncError::new(format!("improper constraint: {v}")));
            }
            let mut found: Vec<&str> = regexes().find.find_iter(v).map(|m| m.as_str()).collect();
            if found.is_empty() {
                found.push(v);
            }
            alternatives.push(found.into_iter().map(parse_constraint).collect::<Result<Vec<_>, _>>()?);
        }
        Ok(Constraints { alternatives })
    }

    fn check(&self, v: &SemverVersion) -> bool {
        self.alternatives.iter().any(|and| and.iter().all(|c| c.check(v)))
    }
}

/// `rewriteRange`: `1.2 - 1.4.5` becomes `>= 1.2, <= 1.4.5`.
fn rewrite_range(i: &str) -> String {
    let mut o = i.to_string();
    for caps in regexes().range.captures_iter(i) {
        let whole = caps.get(0).map_or("", |m| m.as_str());
        let t =
            format!(">= {}, <= {}", caps.get(1).map_or("", |m| m.as_str()), caps.get(11).map_or("", |m| m.as_str()));
        o = o.replacen(whole, &t, 1);
    }
    o
}

fn parse_constraint(c: &str) -> Result<Constraint, FuncError> {
    if c.is_empty() {
        let con = SemverVersion::parse("0.0.0")?;
        return Ok(Constraint { con, op: String::new(), minor_dirty: false, patch_dirty: false, dirty: true });
    }
    let caps = regexes().constraint.captures(c).ok_or_else(|| FuncError::new(format!("improper constraint: {c}")))?;
    let g = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    let ver = if is_x(g(3)) || g(3).is_empty() {
        dirty = true;
        format!("0.0.0{}", g(6))
    } else if is_x(g(4).trim_start_matches('.')) || g(4).is_empty() {
        minor_dirty = true;
        dirty = true;
        format!("{}.0.0{}", g(3), g(6))
    } else if is_x(g(5).trim_start_matches('.')) || g(5).is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{}{}.0{}", g(3), g(4), g(6))
    } else {
        g(2).to_string()
    };
    let con = SemverVersion::parse(&ver).map_err(|_| FuncError::new("constraint Parser Error"))?;
    Ok(Constraint { con, op: g(1).to_string(), minor_dirty, patch_dirty, dirty })
}

impl Constraint {
    fn check(&self, v: &SemverVersion) -> bool {
        let c = self;
        let pre_excluded = !v.pre.is_empty() && c.con.pre.is_empty();
        match c.op.as_str() {
            "" | "=" => {
                if pre_excluded {
                    return false;
                }
                if c.dirty {
                    return c.tilde(v);
                }
                v.compare(&c.con) == 0
            }
            "!=" => c.not_equal(v),
            ">" => {
                if pre_excluded {
                    return false;
                }
                if !c.dirty {
                    return v.compare(&c.con) == 1;
                }
                if v.major > c.con.major {
                    true
                } else if v.major < c.con.major || c.minor_dirty {
                    false
                } else if c.patch_dirty {
                    v.minor > c.con.minor
                } else {
                    v.compare(&c.con) == 1
                }
            }
            "<" => !pre_excluded && v.compare(&c.con) < 0,
            ">=" | "=>" => !pre_excluded && v.compare(&c.con) >= 0,
            "<=" | "=<" => {
                if pre_excluded {
                    return false;
                }
                if !c.dirty {
                    return v.compare(&c.con) <= 0;
                }
                !(v.major > c.con.major || v.major == c.con.major && v.minor > c.con.minor && !c.minor_dirty)
            }
            "~" | "~>" => c.tilde(v),
            "^" => c.caret(v),
            _ => false,
        }
    }

    fn tilde(&self, v: &SemverVersion) -> bool {
        let c = self;
        if !v.pre.is_empty() && c.con.pre.is_empty() {
            return false;
        }
        if v.compare(&c.con) < 0 {
            return false;
        }
        if c.con.major == 0 && c.con.minor == 0 && c.con.patch == 0 && !c.minor_dirty && !c.patch_dirty {
            return true;
        }
        if v.major != c.con.major {
            return false;
        }
        v.minor == c.con.minor || c.minor_dirty
    }

    fn caret(&self, v: &SemverVersion) -> bool {
        let c = self;
        if !v.pre.is_empty() && c.con.pre.is_empty() {
            return false;
        }
        if v.compare(&c.con) < 0 {
            return false;
        }
        if c.con.major > 0 || c.minor_dirty {
            return v.major == c.con.major;
        }
        if c.con.major == 0 && v.major > 0 {
            return false;
        }
        if c.con.minor > 0 || c.patch_dirty {
            return v.minor == c.con.minor;
        }
        if c.con.minor == 0 && v.minor > 0 {
            return false;
        }
        c.con.patch == v.patch
    }

    fn not_equal(&self, v: &SemverVersion) -> bool {
        let c = self;
        if c.dirty {
            if !v.pre.is_empty() && c.con.pre.is_empty() {
                return false;
            }
            if c.con.major != v.major {
                return true;
            }
            if c.con.minor != v.minor && !c.minor_dirty {
                return true;
            } else if c.minor_dirty {
                return false;
            } else if c.con.patch != v.patch && !c.patch_dirty {
                return true;
            } else if c.patch_dirty {
                if !v.pre.is_empty() || !c.con.pre.is_empty() {
                    return compare_prerelease(&v.pre, &c.con.pre) != 0;
                }
                return false;
            }
        }
        v.compare(&c.con) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sprig::conv::test_support::*;

    #[test]
    fn version_objects_answer_templates() {
        let v = SemverVersion::parse("v1.2.3-rc.1+b5").unwrap();
        assert_eq!(v.type_name(), "*semver.Version");
        assert_eq!(crate::fmt::format_value(&v.field("Major").unwrap()), "1");
        assert_eq!(v.field("Major").unwrap().type_name(), "uint64");
        assert_eq!(v.field("Prerelease").unwrap().as_str(), Some("rc.1"));
        assert_eq!(v.field("Metadata").unwrap().as_str(), Some("b5"));
        assert_eq!(v.field("Original").unwrap().as_str(), Some("v1.2.3-rc.1+b5"));
        assert_eq!(v.field("String").unwrap().as_str(), Some("1.2.3-rc.1+b5"));
        let next = v.field("IncMinor").unwrap();
        assert_eq!(crate::fmt::format_value(&next), "1.3.0");
        assert_eq!(next.type_name(), "semver.Version");
        let other = Value::Object(Arc::new(SemverVersion::parse("1.2.3").unwrap()));
        let lt = v.method("LessThan", &[other]).unwrap().unwrap();
        assert!(matches!(lt, Value::Bool(true)));
    }

    #[test]
    fn versions_parse_as_masterminds() {
        let v = SemverVersion::parse("v1.2").unwrap();
        assert_eq!(
            (v.major, v.minor, v.patch, v.to_string(), v.original.as_str()),
            (1, 2, 0, "1.2.0".to_string(), "v1.2")
        );
        assert_eq!(SemverVersion::parse("1.2.3.4").unwrap_err().0, "Invalid Semantic Version");
        assert_eq!(SemverVersion::parse("1.2.3-01").unwrap_err().0, "Version segment starts with 0");
    }

    // BEGIN GO TABLE (generated: each row's result and %T printed by Go 1.27 + sprig 3.2.3)
    fn go_table() -> Vec<Case> {
        vec![
            ("semverCompare", vec![s(">= 1.2, < 3"), s("2.5.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">= 1.2, < 3"), s("3.0.0")], Ok("false"), "bool"),
            ("semverCompare", vec![s("^1.2"), s("1.9.9")], Ok("true"), "bool"),
            ("semverCompare", vec![s("^1.2"), s("2.0.0")], Ok("false"), "bool"),
            ("semverCompare", vec![s("^0.2.3"), s("0.2.9")], Ok("true"), "bool"),
            ("semverCompare", vec![s("^0.2.3"), s("0.3.0")], Ok("false"), "bool"),
            ("semverCompare", vec![s("^0.0.3"), s("0.0.3")], Ok("true"), "bool"),
            ("semverCompare", vec![s("^0.0.3"), s("0.0.4")], Ok("false"), "bool"),
            ("semverCompare", vec![s("^0.0"), s("0.0.5")], Ok("true"), "bool"),
            ("semverCompare", vec![s("^0"), s("0.9.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("~1.2.3"), s("1.2.9")], Ok("true"), "bool"),
            ("semverCompare", vec![s("~1.2.3"), s("1.3.0")], Ok("false"), "bool"),
            ("semverCompare", vec![s("~1"), s("1.9.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("~1"), s("2.0.0")], Ok("false"), "bool"),
            ("semverCompare", vec![s("~0.0.0"), s("5.0.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("1.2.x"), s("1.2.7")], Ok("true"), "bool"),
            ("semverCompare", vec![s("1.2.x"), s("1.3.0")], Ok("false"), "bool"),
            ("semverCompare", vec![s("1.x"), s("1.5.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("*"), s("5.0.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("*"), s("1.0.0-beta")], Ok("false"), "bool"),
            ("semverCompare", vec![s(">1.2"), s("1.2.5")], Ok("false"), "bool"),
            ("semverCompare", vec![s(">1.2"), s("1.3.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">1.2.x"), s("1.3.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">1"), s("1.9.0")], Ok("false"), "bool"),
            ("semverCompare", vec![s(">1"), s("2.0.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("<=1.2"), s("1.2.9")], Ok("true"), "bool"),
            ("semverCompare", vec![s("<=1.2"), s("1.3.0")], Ok("false"), "bool"),
            ("semverCompare", vec![s("<=1"), s("1.9.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("<1.2.3"), s("1.2.3-beta")], Ok("false"), "bool"),
            ("semverCompare", vec![s("<1.2.3-0"), s("1.2.3-beta")], Ok("false"), "bool"),
            ("semverCompare", vec![s(">=1.2.3-beta.2"), s("1.2.3-beta.10")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">=1.2.3-beta.2"), s("1.2.3-beta.1")], Ok("false"), "bool"),
            ("semverCompare", vec![s(">=1.2.3-alpha"), s("1.2.3-beta")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">=1.0.0"), s("1.2.3-beta")], Ok("false"), "bool"),
            ("semverCompare", vec![s("!=1.2.3"), s("1.2.3")], Ok("false"), "bool"),
            ("semverCompare", vec![s("!=1.2.3"), s("1.2.4")], Ok("true"), "bool"),
            ("semverCompare", vec![s("!=1.2.x"), s("1.2.4")], Ok("false"), "bool"),
            ("semverCompare", vec![s("!=1.x"), s("2.0.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("1.2 - 1.4.5"), s("1.4.5")], Ok("true"), "bool"),
            ("semverCompare", vec![s("1.2 - 1.4.5"), s("1.4.6")], Ok("false"), "bool"),
            ("semverCompare", vec![s("1.2.3 - 2"), s("2.9.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">= 1.2 || < 0.5"), s("0.4.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">= 1.2 || < 0.5"), s("1.0.0")], Ok("false"), "bool"),
            ("semverCompare", vec![s("=1.2.3"), s("1.2.3")], Ok("true"), "bool"),
            ("semverCompare", vec![s("1.2.3"), s("1.2.3+build")], Ok("true"), "bool"),
            ("semverCompare", vec![s("v1.2.3"), s("1.2.3")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">=1.2,<1.3"), s("1.2.5")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">=1.2 <1.3"), s("1.2.5")], Ok("true"), "bool"),
            ("semverCompare", vec![s("~> 1.2"), s("1.2.9")], Ok("true"), "bool"),
            ("semverCompare", vec![s("=> 1.0"), s("1.0.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("=< 1.0"), s("1.0.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">= 1.2.3"), s("v1.2.3")], Ok("true"), "bool"),
            ("semverCompare", vec![s(""), s("1.0.0")], Err("improper constraint: "), ""),
            ("semverCompare", vec![s("foo"), s("1.0.0")], Err("improper constraint: foo"), ""),
            ("semverCompare", vec![s(">=1.0"), s("foo")], Err("Invalid Semantic Version"), ""),
            ("semverCompare", vec![s(">=1.0"), s("1.2.3.4")], Err("Invalid Semantic Version"), ""),
            ("semverCompare", vec![s(">=1.0"), s("01.2.3")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">=1.0"), s("1.2.3-01")], Err("Version segment starts with 0"), ""),
            ("semverCompare", vec![s(">=1.0"), s("1.2.3+a_b")], Err("Invalid Semantic Version"), ""),
            ("semverCompare", vec![s(">=1.0"), s("1.2.3-a_b")], Err("Invalid Semantic Version"), ""),
            (
                "semverCompare",
                vec![s(">=1.0"), s("99999999999999999999.0.0")],
                Err(
                    "Error parsing version segment: strconv.ParseUint: parsing \"99999999999999999999\": value out of range",
                ),
                "",
            ),
            ("semverCompare", vec![s(">= 1.x.x"), s("1.0.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("<2.x"), s("1.9.9")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">=1.0-0"), s("1.0.0-rc1")], Ok("true"), "bool"),
            ("semverCompare", vec![s("^1.0.0-0"), s("1.5.0-beta")], Ok("true"), "bool"),
            ("semverCompare", vec![s("~1.2.3-beta"), s("1.2.3-alpha")], Ok("false"), "bool"),
            ("semverCompare", vec![s("1.2.3-beta"), s("1.2.3-beta")], Ok("true"), "bool"),
            ("semverCompare", vec![s("!=1.2.3-beta"), s("1.2.3-beta")], Ok("false"), "bool"),
            ("semverCompare", vec![s("x"), s("0.0.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("1.2.*"), s("1.2.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("1 - 2"), s("2.5.0")], Ok("true"), "bool"),
            ("semverCompare", vec![s("<=1.2.3"), s("1.2.3+meta")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">1.2.3"), s("1.2.3+meta")], Ok("false"), "bool"),
            ("semverCompare", vec![s("= 1.2.3  "), s("1.2.3")], Ok("true"), "bool"),
            ("semverCompare", vec![s(" >=1.2.3"), s("1.2.3")], Ok("true"), "bool"),
            ("semverCompare", vec![s(">=1.2.3,"), s("1.2.3")], Err("improper constraint: >=1.2.3,"), ""),
            ("semverCompare", vec![s(">=1.2.3 || "), s("1.2.3")], Err("improper constraint:  "), ""),
            ("semver", vec![s("1.2.3")], Ok("1.2.3"), "*semver.Version"),
            ("semver", vec![s("v1.2")], Ok("1.2.0"), "*semver.Version"),
            ("semver", vec![s("1")], Ok("1.0.0"), "*semver.Version"),
            ("semver", vec![s("1.2.3-beta.1+build.5")], Ok("1.2.3-beta.1+build.5"), "*semver.Version"),
            ("semver", vec![s("1.2.3.4")], Err("Invalid Semantic Version"), ""),
            ("semver", vec![s("")], Err("Invalid Semantic Version"), ""),
            ("semver", vec![s("v")], Err("Invalid Semantic Version"), ""),
            ("semver", vec![s("1.2.3-01")], Err("Version segment starts with 0"), ""),
            ("semver", vec![s("1.2.3+")], Err("Invalid Semantic Version"), ""),
            ("semver", vec![s("1.02.3")], Ok("1.2.3"), "*semver.Version"),
            ("semver", vec![s("01.2.3")], Ok("1.2.3"), "*semver.Version"),
        ]
    }

    #[test]
    fn matches_go() {
        check_table(&go_table());
    }
    // END GO TABLE

    // BEGIN GO RENDER (generated: each template's output or error from Go 1.27 + sprig 3.2.3)
    const RENDER_CASES: &[(&str, &str)] = &[
        ("{{ semverCompare \">=1.2.3\" \"1.4.0\" }}", "OK true"),
        ("{{ semverCompare \"^1.2\" \"2.0.0\" }}", "OK false"),
        (
            "{{ semverCompare \"foo\" \"1.0.0\" }}",
            "ERR template: t:1:3: executing \"t\" at <semverCompare \"foo\" \"1.0.0\">: error calling semverCompare: improper constraint: foo",
        ),
        (
            "{{ semverCompare \">1\" \"x\" }}",
            "ERR template: t:1:3: executing \"t\" at <semverCompare \">1\" \"x\">: error calling semverCompare: Invalid Semantic Version",
        ),
        ("{{ (semver \"1.2.3-beta+b\").Prerelease }}", "OK beta"),
        (
            "{{ $v := semver \"v1.2.3\" }}{{ $v.Major }}.{{ $v.Minor }}.{{ $v.Patch }} {{ $v.Original }} {{ $v.String }} {{ $v }}",
            "OK 1.2.3 v1.2.3 1.2.3 1.2.3",
        ),
        ("{{ (semver \"1.2.3\").Major | typeOf }}", "OK uint64"),
        (
            "{{ semver \"bad\" }}",
            "ERR template: t:1:3: executing \"t\" at <semver \"bad\">: error calling semver: Invalid Semantic Version",
        ),
        ("{{ (semver \"1.2.3\").LessThan (semver \"1.3\") }}", "OK true"),
        ("{{ (semver \"1.2.3\").Compare (semver \"1.3\") }}", "OK -1"),
        ("{{ (semver \"1.2.3\").IncMajor }}", "OK 2.0.0"),
        ("{{ (semver \"1.2.3\").IncMajor | typeOf }}", "OK semver.Version"),
        ("{{ (semver \"1.2.3\").Metadata | quote }}", "OK \"\""),
        ("{{ semverCompare \">= 1.2, < 3\" \"2.5.0\" }} {{ semverCompare \"1.2 - 1.4\" \"1.4.9\" }}", "OK true true"),
        ("{{ if semverCompare \">=1.19-0\" \"1.25.3-gke.100\" }}new{{ else }}old{{ end }}", "OK new"),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(RENDER_CASES);
    }
    // END GO RENDER
}

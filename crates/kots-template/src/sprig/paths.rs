//! sprig's path functions: Go's `path` (`base`, `dir`, `clean`, `ext`, `isAbs`) and
//! `path/filepath` (`osBase`, `osClean`, `osDir`, `osExt`, `osIsAbs`), which on Linux, where
//! KOTS runs, are the same functions with `/` as the separator.

use crate::func::{ArgsExt, FuncMap};
use crate::value::{GoType, Value};

pub(super) fn register(map: &mut FuncMap) {
    for (plain, os) in [("base", "osBase"), ("dir", "osDir"), ("clean", "osClean"), ("ext", "osExt"), ("isAbs", "osIsAbs")] {
        let f: fn(&str) -> Value = match plain {
            "base" => |p| Value::string(base(p)),
            "dir" => |p| Value::string(dir(p)),
            "clean" => |p| Value::string(clean(p)),
            "ext" => |p| Value::string(ext(p)),
            _ => |p| Value::Bool(p.starts_with('/')),
        };
        for name in [plain, os] {
            map.add(name, vec![GoType::String], move |_, a| Ok(f(a.str_arg(0)?)));
        }
    }
}

/// `path.Clean`: the shortest equivalent path by lexical processing.
pub(crate) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// `path.Base`: the last element, trailing slashes removed; `.` for empty, `/` for all
/// slashes.
fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_string();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// `path.Dir`: everything but the last element, cleaned.
fn dir(path: &str) -> String {
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    clean(&path[..cut])
}

/// `path.Ext`: from the last `.` of the last element.
fn ext(path: &str) -> String {
    for (i, c) in path.char_indices().rev() {
        match c {
            '/' => return String::new(),
            '.' => return path[i..].to_string(),
            _ => {}
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_go() {
        // From Go: path.Clean / Base / Dir / Ext of each input.
        let cases = [
            ("", ".", ".", ".", ""),
            ("/", "/", "/", "/", ""),
            ("a/b/../c/./d.txt", "a/c/d.txt", "d.txt", "a/c", ".txt"),
            ("//a//b//", "/a/b", "b", "/a/b", ""),
            ("../../x", "../../x", "x", "../..", ""),
            ("/../x", "/x", "x", "/..", ""),
            ("a.tar.gz", "a.tar.gz", "a.tar.gz", ".", ".gz"),
            ("dir.d/file", "dir.d/file", "file", "dir.d", ""),
        ];
        for (p, c, b, d, e) in cases {
            assert_eq!((clean(p).as_str(), base(p).as_str(), dir(p).as_str(), ext(p).as_str()), (c, b, d, e), "{p}");
        }
    }
}

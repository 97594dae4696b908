//! sprig's path functions: Go's `path` (`base`, `dir`, `clean`, `ext`, `isAbs`) and
//! `path/filepath` (`osBase`, `osClean`, `osDir`, `osExt`, `osIsAbs`), which on Linux, where
//! KOTS runs, are the same functions with `/` as the separator.

use crate::func::{ArgsExt, FuncMap};
use crate::value::{GoType, Value};

pub(super) fn register(map: &mut FuncMap) {
    for (plain, os) in
        [("base", "osBase"), ("dir", "osDir"), ("clean", "osClean"), ("ext", "osExt"), ("isAbs", "osIsAbs")]
    {
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
    use crate::sprig::conv::test_support::*;

    // BEGIN GO TABLE (generated: each row's result and %T printed by Go 1.27 + sprig 3.2.3)
    fn go_table() -> Vec<Case> {
        vec![
            ("base", vec![s("")], Ok("."), "string"),
            ("base", vec![s("/")], Ok("/"), "string"),
            ("base", vec![s("a/b/../c/./d.txt")], Ok("d.txt"), "string"),
            ("base", vec![s("//a//b//")], Ok("b"), "string"),
            ("base", vec![s("../../x")], Ok("x"), "string"),
            ("base", vec![s("/../x")], Ok("x"), "string"),
            ("base", vec![s("a.tar.gz")], Ok("a.tar.gz"), "string"),
            ("base", vec![s("dir.d/file")], Ok("file"), "string"),
            ("base", vec![s(".")], Ok("."), "string"),
            ("base", vec![s("..")], Ok(".."), "string"),
            ("base", vec![s("a/")], Ok("a"), "string"),
            ("base", vec![s(".hidden")], Ok(".hidden"), "string"),
            ("base", vec![s("/a/b.c/")], Ok("b.c"), "string"),
            ("base", vec![s("a//b")], Ok("b"), "string"),
            ("dir", vec![s("")], Ok("."), "string"),
            ("dir", vec![s("/")], Ok("/"), "string"),
            ("dir", vec![s("a/b/../c/./d.txt")], Ok("a/c"), "string"),
            ("dir", vec![s("//a//b//")], Ok("/a/b"), "string"),
            ("dir", vec![s("../../x")], Ok("../.."), "string"),
            ("dir", vec![s("/../x")], Ok("/"), "string"),
            ("dir", vec![s("a.tar.gz")], Ok("."), "string"),
            ("dir", vec![s("dir.d/file")], Ok("dir.d"), "string"),
            ("dir", vec![s(".")], Ok("."), "string"),
            ("dir", vec![s("..")], Ok("."), "string"),
            ("dir", vec![s("a/")], Ok("a"), "string"),
            ("dir", vec![s(".hidden")], Ok("."), "string"),
            ("dir", vec![s("/a/b.c/")], Ok("/a/b.c"), "string"),
            ("dir", vec![s("a//b")], Ok("a"), "string"),
            ("clean", vec![s("")], Ok("."), "string"),
            ("clean", vec![s("/")], Ok("/"), "string"),
            ("clean", vec![s("a/b/../c/./d.txt")], Ok("a/c/d.txt"), "string"),
            ("clean", vec![s("//a//b//")], Ok("/a/b"), "string"),
            ("clean", vec![s("../../x")], Ok("../../x"), "string"),
            ("clean", vec![s("/../x")], Ok("/x"), "string"),
            ("clean", vec![s("a.tar.gz")], Ok("a.tar.gz"), "string"),
            ("clean", vec![s("dir.d/file")], Ok("dir.d/file"), "string"),
            ("clean", vec![s(".")], Ok("."), "string"),
            ("clean", vec![s("..")], Ok(".."), "string"),
            ("clean", vec![s("a/")], Ok("a"), "string"),
            ("clean", vec![s(".hidden")], Ok(".hidden"), "string"),
            ("clean", vec![s("/a/b.c/")], Ok("/a/b.c"), "string"),
            ("clean", vec![s("a//b")], Ok("a/b"), "string"),
            ("ext", vec![s("")], Ok(""), "string"),
            ("ext", vec![s("/")], Ok(""), "string"),
            ("ext", vec![s("a/b/../c/./d.txt")], Ok(".txt"), "string"),
            ("ext", vec![s("//a//b//")], Ok(""), "string"),
            ("ext", vec![s("../../x")], Ok(""), "string"),
            ("ext", vec![s("/../x")], Ok(""), "string"),
            ("ext", vec![s("a.tar.gz")], Ok(".gz"), "string"),
            ("ext", vec![s("dir.d/file")], Ok(""), "string"),
            ("ext", vec![s(".")], Ok("."), "string"),
            ("ext", vec![s("..")], Ok("."), "string"),
            ("ext", vec![s("a/")], Ok(""), "string"),
            ("ext", vec![s(".hidden")], Ok(".hidden"), "string"),
            ("ext", vec![s("/a/b.c/")], Ok(""), "string"),
            ("ext", vec![s("a//b")], Ok(""), "string"),
            ("isAbs", vec![s("")], Ok("false"), "bool"),
            ("isAbs", vec![s("/")], Ok("true"), "bool"),
            ("isAbs", vec![s("a/b/../c/./d.txt")], Ok("false"), "bool"),
            ("isAbs", vec![s("//a//b//")], Ok("true"), "bool"),
            ("isAbs", vec![s("../../x")], Ok("false"), "bool"),
            ("isAbs", vec![s("/../x")], Ok("true"), "bool"),
            ("isAbs", vec![s("a.tar.gz")], Ok("false"), "bool"),
            ("isAbs", vec![s("dir.d/file")], Ok("false"), "bool"),
            ("isAbs", vec![s(".")], Ok("false"), "bool"),
            ("isAbs", vec![s("..")], Ok("false"), "bool"),
            ("isAbs", vec![s("a/")], Ok("false"), "bool"),
            ("isAbs", vec![s(".hidden")], Ok("false"), "bool"),
            ("isAbs", vec![s("/a/b.c/")], Ok("true"), "bool"),
            ("isAbs", vec![s("a//b")], Ok("false"), "bool"),
            ("osBase", vec![s("")], Ok("."), "string"),
            ("osBase", vec![s("/")], Ok("/"), "string"),
            ("osBase", vec![s("a/b/../c/./d.txt")], Ok("d.txt"), "string"),
            ("osBase", vec![s("//a//b//")], Ok("b"), "string"),
            ("osBase", vec![s("../../x")], Ok("x"), "string"),
            ("osBase", vec![s("/../x")], Ok("x"), "string"),
            ("osBase", vec![s("a.tar.gz")], Ok("a.tar.gz"), "string"),
            ("osBase", vec![s("dir.d/file")], Ok("file"), "string"),
            ("osBase", vec![s(".")], Ok("."), "string"),
            ("osBase", vec![s("..")], Ok(".."), "string"),
            ("osBase", vec![s("a/")], Ok("a"), "string"),
            ("osBase", vec![s(".hidden")], Ok(".hidden"), "string"),
            ("osBase", vec![s("/a/b.c/")], Ok("b.c"), "string"),
            ("osBase", vec![s("a//b")], Ok("b"), "string"),
            ("osDir", vec![s("")], Ok("."), "string"),
            ("osDir", vec![s("/")], Ok("/"), "string"),
            ("osDir", vec![s("a/b/../c/./d.txt")], Ok("a/c"), "string"),
            ("osDir", vec![s("//a//b//")], Ok("/a/b"), "string"),
            ("osDir", vec![s("../../x")], Ok("../.."), "string"),
            ("osDir", vec![s("/../x")], Ok("/"), "string"),
            ("osDir", vec![s("a.tar.gz")], Ok("."), "string"),
            ("osDir", vec![s("dir.d/file")], Ok("dir.d"), "string"),
            ("osDir", vec![s(".")], Ok("."), "string"),
            ("osDir", vec![s("..")], Ok("."), "string"),
            ("osDir", vec![s("a/")], Ok("a"), "string"),
            ("osDir", vec![s(".hidden")], Ok("."), "string"),
            ("osDir", vec![s("/a/b.c/")], Ok("/a/b.c"), "string"),
            ("osDir", vec![s("a//b")], Ok("a"), "string"),
            ("osClean", vec![s("")], Ok("."), "string"),
            ("osClean", vec![s("/")], Ok("/"), "string"),
            ("osClean", vec![s("a/b/../c/./d.txt")], Ok("a/c/d.txt"), "string"),
            ("osClean", vec![s("//a//b//")], Ok("/a/b"), "string"),
            ("osClean", vec![s("../../x")], Ok("../../x"), "string"),
            ("osClean", vec![s("/../x")], Ok("/x"), "string"),
            ("osClean", vec![s("a.tar.gz")], Ok("a.tar.gz"), "string"),
            ("osClean", vec![s("dir.d/file")], Ok("dir.d/file"), "string"),
            ("osClean", vec![s(".")], Ok("."), "string"),
            ("osClean", vec![s("..")], Ok(".."), "string"),
            ("osClean", vec![s("a/")], Ok("a"), "string"),
            ("osClean", vec![s(".hidden")], Ok(".hidden"), "string"),
            ("osClean", vec![s("/a/b.c/")], Ok("/a/b.c"), "string"),
            ("osClean", vec![s("a//b")], Ok("a/b"), "string"),
            ("osExt", vec![s("")], Ok(""), "string"),
            ("osExt", vec![s("/")], Ok(""), "string"),
            ("osExt", vec![s("a/b/../c/./d.txt")], Ok(".txt"), "string"),
            ("osExt", vec![s("//a//b//")], Ok(""), "string"),
            ("osExt", vec![s("../../x")], Ok(""), "string"),
            ("osExt", vec![s("/../x")], Ok(""), "string"),
            ("osExt", vec![s("a.tar.gz")], Ok(".gz"), "string"),
            ("osExt", vec![s("dir.d/file")], Ok(""), "string"),
            ("osExt", vec![s(".")], Ok("."), "string"),
            ("osExt", vec![s("..")], Ok("."), "string"),
            ("osExt", vec![s("a/")], Ok(""), "string"),
            ("osExt", vec![s(".hidden")], Ok(".hidden"), "string"),
            ("osExt", vec![s("/a/b.c/")], Ok(""), "string"),
            ("osExt", vec![s("a//b")], Ok(""), "string"),
            ("osIsAbs", vec![s("")], Ok("false"), "bool"),
            ("osIsAbs", vec![s("/")], Ok("true"), "bool"),
            ("osIsAbs", vec![s("a/b/../c/./d.txt")], Ok("false"), "bool"),
            ("osIsAbs", vec![s("//a//b//")], Ok("true"), "bool"),
            ("osIsAbs", vec![s("../../x")], Ok("false"), "bool"),
            ("osIsAbs", vec![s("/../x")], Ok("true"), "bool"),
            ("osIsAbs", vec![s("a.tar.gz")], Ok("false"), "bool"),
            ("osIsAbs", vec![s("dir.d/file")], Ok("false"), "bool"),
            ("osIsAbs", vec![s(".")], Ok("false"), "bool"),
            ("osIsAbs", vec![s("..")], Ok("false"), "bool"),
            ("osIsAbs", vec![s("a/")], Ok("false"), "bool"),
            ("osIsAbs", vec![s(".hidden")], Ok("false"), "bool"),
            ("osIsAbs", vec![s("/a/b.c/")], Ok("true"), "bool"),
            ("osIsAbs", vec![s("a//b")], Ok("false"), "bool"),
        ]
    }

    #[test]
    fn matches_go() {
        check_table(&go_table());
    }
    // END GO TABLE

    // BEGIN GO RENDER (generated: each template's output or error from Go 1.27 + sprig 3.2.3)
    const RENDER_CASES: &[(&str, &str)] = &[
        (
            "{{ base \"/a/b.txt\" }} {{ dir \"/a/b.txt\" }} {{ ext \"/a/b.txt\" }} {{ clean \"/a/../b\" }} {{ isAbs \"/a\" }}",
            "OK b.txt /a .txt /b true",
        ),
        (
            "{{ osBase \"a/b\" }} {{ osDir \"a/b\" }} {{ osClean \"a//b\" }} {{ osExt \"x.tgz\" }} {{ osIsAbs \"a\" }}",
            "OK b a a/b .tgz false",
        ),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(RENDER_CASES);
    }
    // END GO RENDER
}

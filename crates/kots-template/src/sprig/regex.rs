//! sprig's regular-expression functions on Go's `regexp` semantics, run by the `regex` crate
//! (both are RE2: leftmost-first, linear time). Go's syntax is translated first where the two
//! differ: `\d`, `\w`, `\s` and `\b` are ASCII-only in Go; `\Q…\E` quotes; a `{` that starts no
//! repetition is a literal; `[` and `&&`/`~~` inside a class are literals. The match loops
//! (`FindAll`, `ReplaceAll`, `Split`) and `$name` expansion are ported from Go's `regexp`, so
//! empty matches and replacement templates (`$1`, `${1}`, `$name`, `$$`, `$1x` naming group
//! `1x`) behave as in Go. The plain forms compile with `MustCompile` (a bad pattern fails the
//! render with Go's panic text), `regexMatch` swallows the error.

use regex::Regex;

use super::strings::go_quote;
use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::{GoType, Value};

const S: GoType = GoType::String;

pub(super) fn register(map: &mut FuncMap) {
    map.add("regexMatch", vec![S, S], |_, a| {
        Ok(Value::Bool(compile(a.str_arg(0)?).map(|r| r.is_match(a.str_arg(1).unwrap_or_default())).unwrap_or(false)))
    });
    map.add("mustRegexMatch", vec![S, S], |_, a| Ok(Value::Bool(compile(a.str_arg(0)?)?.is_match(a.str_arg(1)?))));
    for (name, must) in [("regexFindAll", false), ("mustRegexFindAll", true)] {
        map.add(name, vec![S, S, GoType::INT], move |_, a| {
            let re = compile_for(a.str_arg(0)?, must)?;
            let s = a.str_arg(1)?;
            let found = find_all(&re, s, a.int_arg(2)?).into_iter().map(|(b, e)| &s[b..e]);
            Ok(Value::string_list(found))
        });
    }
    for (name, must) in [("regexFind", false), ("mustRegexFind", true)] {
        map.add(name, vec![S, S], move |_, a| {
            let re = compile_for(a.str_arg(0)?, must)?;
            Ok(Value::string(re.find(a.str_arg(1)?).map_or("", |m| m.as_str())))
        });
    }
    for (name, must) in [("regexReplaceAll", false), ("mustRegexReplaceAll", true)] {
        map.add(name, vec![S, S, S], move |_, a| {
            let re = compile_for(a.str_arg(0)?, must)?;
            Ok(Value::string(replace_all(&re, a.str_arg(1)?, a.str_arg(2)?, false)))
        });
    }
    for (name, must) in [("regexReplaceAllLiteral", false), ("mustRegexReplaceAllLiteral", true)] {
        map.add(name, vec![S, S, S], move |_, a| {
            let re = compile_for(a.str_arg(0)?, must)?;
            Ok(Value::string(replace_all(&re, a.str_arg(1)?, a.str_arg(2)?, true)))
        });
    }
    for (name, must) in [("regexSplit", false), ("mustRegexSplit", true)] {
        map.add(name, vec![S, S, GoType::INT], move |_, a| {
            let pattern = a.str_arg(0)?;
            let re = compile_for(pattern, must)?;
            Ok(Value::string_list(split(&re, pattern, a.str_arg(1)?, a.int_arg(2)?)))
        });
    }
    map.add("regexQuoteMeta", vec![S], |_, a| Ok(Value::string(quote_meta(a.str_arg(0)?))));
}

/// `regexp.Compile` (`must`) or `regexp.MustCompile`, whose panic names the pattern.
fn compile_for(pattern: &str, must: bool) -> Result<Regex, FuncError> {
    compile(pattern).map_err(|e| {
        if must {
            e
        } else {
            FuncError::new(format!("regexp: Compile({}): {}", go_backquote(pattern), e.0))
        }
    })
}

/// regexp's `quote`: in backquotes when Go's `strconv.CanBackquote` allows, else quoted.
fn go_backquote(s: &str) -> String {
    let can = !s.chars().any(|c| c == '`' || c == '\u{FEFF}' || (c < ' ' && c != '\t') || c == '\u{7f}');
    if can { format!("`{s}`") } else { go_quote(s) }
}

/// Compiles a Go pattern, with Go's error text (`error parsing regexp: missing closing ):
/// `(``) where the failure is one Go reports too.
pub(crate) fn compile(pattern: &str) -> Result<Regex, FuncError> {
    let translated = translate(pattern);
    Regex::new(&translated).map_err(|_| go_parse_error(pattern))
}

/// Go's `syntax.Error` for a pattern that does not compile, as near as the Rust parser's
/// diagnosis allows.
fn go_parse_error(pattern: &str) -> FuncError {
    use regex_syntax::ast::ErrorKind as K;
    let (code, frag) = match regex_syntax::ast::parse::Parser::new().parse(pattern) {
        Err(e) => {
            let span = e.span();
            let text = pattern.get(span.start.offset..span.end.offset).unwrap_or("").to_string();
            match e.kind() {
                K::GroupUnclosed => ("missing closing )", pattern.to_string()),
                K::GroupUnopened => ("unexpected )", pattern.to_string()),
                K::ClassUnclosed => ("missing closing ]", pattern[span.start.offset..].to_string()),
                K::EscapeUnrecognized | K::EscapeHexInvalid | K::EscapeHexInvalidDigit | K::EscapeHexEmpty => {
                    ("invalid escape sequence", text)
                }
                K::EscapeUnexpectedEof => ("trailing backslash at end of expression", String::new()),
                K::RepetitionMissing => ("missing argument to repetition operator", text),
                K::RepetitionCountInvalid | K::RepetitionCountDecimalEmpty | K::RepetitionCountUnclosed => {
                    ("invalid repeat count", text)
                }
                K::ClassRangeInvalid | K::ClassRangeLiteral => ("invalid character class range", text),
                K::ClassEscapeInvalid => ("invalid escape sequence", text),
                K::GroupNameDuplicate { .. } => ("duplicate capture group name", text),
                K::GroupNameEmpty | K::GroupNameInvalid | K::GroupNameUnexpectedEof => ("invalid named capture", text),
                K::NestLimitExceeded(_) => ("expression nests too deeply", pattern.to_string()),
                _ => ("invalid or unsupported Perl syntax", text),
            }
        }
        Ok(_) => ("invalid or unsupported Perl syntax", pattern.to_string()),
    };
    FuncError::new(format!("error parsing regexp: {code}: `{frag}`"))
}

/// Whether `rest` (after a `{`) is a repetition Go accepts: `n}`, `n,}` or `n,m}`.
fn is_repeat(rest: &str) -> bool {
    let b = rest.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    if i < b.len() && b[i] == b',' {
        i += 1;
        digits(&mut i);
    }
    i < b.len() && b[i] == b'}'
}

/// Rewrites Go's syntax into the `regex` crate's where they differ (see the module doc).
fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let e = chars[i + 1];
            i += 2;
            match (e, in_class) {
                ('d', false) => out.push_str("[0-9]"),
                ('D', false) => out.push_str("[^0-9]"),
                ('w', false) => out.push_str("[0-9A-Za-z_]"),
                ('W', false) => out.push_str("[^0-9A-Za-z_]"),
                ('s', false) => out.push_str("[\\t\\n\\f\\r ]"),
                ('S', false) => out.push_str("[^\\t\\n\\f\\r ]"),
                ('b', false) => out.push_str("(?-u:\\b)"),
                ('B', false) => out.push_str("(?-u:\\B)"),
                ('d', true) => out.push_str("0-9"),
                ('w', true) => out.push_str("0-9A-Za-z_"),
                ('s', true) => out.push_str("\\t\\n\\f\\r "),
                ('D', true) => out.push_str("[:^digit:]"),
                ('W', true) => out.push_str("[:^word:]"),
                ('S', true) => out.push_str("[:^space:]"),
                ('Q', _) => {
                    let mut lit = String::new();
                    while i < chars.len() {
                        if chars[i] == '\\' && chars.get(i + 1) == Some(&'E') {
                            i += 2;
                            break;
                        }
                        lit.push(chars[i]);
                        i += 1;
                    }
                    out.push_str(&regex::escape(&lit));
                }
                (e, _) => {
                    out.push('\\');
                    out.push(e);
                }
            }
            continue;
        }
        if in_class {
            match c {
                ']' if i > class_start => in_class = false,
                '[' if chars.get(i + 1) == Some(&':') => {
                    // A POSIX class: copied through to its `:]`.
                    let rest: String = chars[i..].iter().collect();
                    if let Some(end) = rest.find(":]") {
                        out.push_str(&rest[..end + 2]);
                        i += rest[..end + 2].chars().count();
                        continue;
                    }
                    out.push_str("\\[");
                    i += 1;
                    continue;
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                    i += 1;
                    continue;
                }
                _ => {}
            }
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                class_start = i;
                // A `]` right after `[` or `[^` is a literal.
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            '{' => {
                let rest: String = chars[i + 1..].iter().collect();
                if !is_repeat(&rest) {
                    out.push_str("\\{");
                    i += 1;
                    continue;
                }
            }
            '}' => {
                // A `}` outside a repetition is a literal in Go.
                out.push_str("\\}");
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
        if c == '{' {
            // Copy the repetition through its `}`.
            while i < chars.len() {
                out.push(chars[i]);
                i += 1;
                if chars[i - 1] == '}' {
                    break;
                }
            }
        }
    }
    out
}

/// The width of the character at `pos` (0 at the end), as Go's `DecodeRuneInString`.
fn char_width(s: &str, pos: usize) -> usize {
    s[pos..].chars().next().map_or(0, char::len_utf8)
}

/// Go's `allMatches`: up to `n` (all when negative) non-overlapping matches, an empty match
/// right after a previous match skipped.
fn find_all(re: &Regex, s: &str, n: i64) -> Vec<(usize, usize)> {
    let n = if n < 0 { s.len() as i64 + 1 } else { n };
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut prev_end: Option<usize> = None;
    while (out.len() as i64) < n && pos <= s.len() {
        let Some(m) = re.find_at(s, pos) else { break };
        let mut accept = true;
        if m.end() == pos {
            if Some(m.start()) == prev_end {
                accept = false;
            }
            let w = char_width(s, pos);
            pos += if w == 0 { 1 } else { w };
        } else {
            pos = m.end();
        }
        prev_end = Some(m.end());
        if accept {
            out.push((m.start(), m.end()));
        }
    }
    out
}

/// Go's `replaceAll` with `Expand` (or the literal replacement).
fn replace_all(re: &Regex, src: &str, repl: &str, literal: bool) -> String {
    let mut out = String::with_capacity(src.len());
    let mut last_end = 0usize;
    let mut search = 0usize;
    let names: Vec<Option<&str>> = re.capture_names().collect();
    while search <= src.len() {
        let Some(caps) = re.captures_at(src, search) else { break };
        let Some(m) = caps.get(0) else { break };
        out.push_str(&src[last_end..m.start()]);
        if m.end() > last_end || m.start() == 0 {
            if literal {
                out.push_str(repl);
            } else {
                expand(&mut out, repl, src, &caps, &names);
            }
        }
        last_end = m.end();
        let w = char_width(src, search);
        if search + w > m.end() {
            search += w;
        } else if search + 1 > m.end() {
            search += 1;
        } else {
            search = m.end();
        }
    }
    out.push_str(&src[last_end..]);
    out
}

/// Go's `Regexp.expand`.
fn expand(out: &mut String, template: &str, src: &str, caps: &regex::Captures<'_>, names: &[Option<&str>]) {
    let mut t = template;
    while let Some(at) = t.find('$') {
        out.push_str(&t[..at]);
        t = &t[at + 1..];
        if let Some(rest) = t.strip_prefix('$') {
            out.push('$');
            t = rest;
            continue;
        }
        let Some((name, num, rest)) = extract(t) else {
            out.push('$');
            continue;
        };
        t = rest;
        let group = match num {
            Some(n) => caps.get(n),
            None => names.iter().position(|g| *g == Some(name)).and_then(|i| caps.get(i)),
        };
        if let Some(g) = group {
            out.push_str(&src[g.start()..g.end()]);
        }
    }
    out.push_str(t);
}

/// Go's `extract`: a `name` or `{name}` after `$`, its group number if it is one, the rest.
fn extract(s: &str) -> Option<(&str, Option<usize>, &str)> {
    let (brace, body) = match s.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let end = body.char_indices().find(|(_, c)| !(c.is_alphabetic() || c.is_numeric() || *c == '_')).map_or(body.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let name = &body[..end];
    let rest = if brace {
        body[end..].strip_prefix('}')?
    } else {
        &body[end..]
    };
    let mut num: Option<usize> = Some(0);
    for b in name.bytes() {
        match num {
            Some(n) if b.is_ascii_digit() && n < 100_000_000 => num = Some(n * 10 + usize::from(b - b'0')),
            _ => {
                num = None;
                break;
            }
        }
    }
    if name.len() > 1 && name.starts_with('0') {
        num = None;
    }
    Some((name, num, rest))
}

/// Go's `Regexp.Split`.
fn split(re: &Regex, pattern: &str, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !pattern.is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let matches = find_all(re, s, n);
    let mut out: Vec<String> = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for (ms, me) in matches {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = ms;
        if me != 0 {
            out.push(s[beg..end].to_string());
        }
        beg = me;
    }
    if end != s.len() {
        out.push(s[beg..].to_string());
    }
    out
}

/// Go's `regexp.QuoteMeta`.
fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translation_compiles() {
        for p in [r"\d+", r"[\d\s]", r"[^\D]", r"\bfoo\b", r"a{", r"{{", r"x{2}", r"\Q.*\E", r"[[:alpha:]]", r"[a&&b]", r"[]a]"] {
            assert!(compile(p).is_ok(), "{p} -> {}", translate(p));
        }
    }
}

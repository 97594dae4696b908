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
            let found: Vec<&str> = find_all(&re, s, a.int_arg(2)?).into_iter().map(|(b, e)| &s[b..e]).collect();
            // Go's FindAllString returns nil when nothing matches.
            if found.is_empty() {
                return Ok(Value::nil_list(GoType::String));
            }
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
            let n = a.int_arg(2)?;
            if n == 0 {
                // Go's Split with n == 0 returns nil.
                return Ok(Value::nil_list(GoType::String));
            }
            Ok(Value::string_list(split(&re, pattern, a.str_arg(1)?, n)))
        });
    }
    map.add("regexQuoteMeta", vec![S], |_, a| Ok(Value::string(quote_meta(a.str_arg(0)?))));
}

/// `regexp.Compile` (`must`) or `regexp.MustCompile`, whose panic names the pattern.
fn compile_for(pattern: &str, must: bool) -> Result<Regex, FuncError> {
    compile(pattern).map_err(|e| {
        if must { e } else { FuncError::new(format!("regexp: Compile({}): {}", go_backquote(pattern), e.0)) }
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
    let translated = translate(pattern)?;
    Regex::new(&translated).map_err(|_| go_parse_error(pattern))
}

/// The prefix that renames a repeated group name (Go allows `(?P<n>a)(?P<n>b)`, the `regex`
/// crate does not); `$n` still finds the first group so named that took part.
const DUP_PREFIX: &str = "__godup";

/// A group's name as the Go pattern wrote it.
fn go_group_name(internal: &str) -> &str {
    match internal.strip_prefix(DUP_PREFIX) {
        Some(rest) => rest.split_once('_').map_or(rest, |(_, n)| n),
        None => internal,
    }
}

fn syntax_error(code: &str, frag: &str) -> FuncError {
    FuncError::new(format!("error parsing regexp: {code}: `{frag}`"))
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
                K::RepetitionMissing => {
                    let rest = &pattern[span.start.offset..];
                    let op = if rest.starts_with('{') {
                        rest.find('}').map_or(rest, |e| &rest[..=e])
                    } else {
                        &rest[..rest.chars().next().map_or(0, char::len_utf8)]
                    };
                    ("missing argument to repetition operator", op.to_string())
                }
                K::RepetitionCountInvalid | K::RepetitionCountDecimalEmpty | K::RepetitionCountUnclosed => {
                    ("invalid repeat count", text)
                }
                K::ClassRangeInvalid | K::ClassRangeLiteral => ("invalid character class range", text),
                K::ClassEscapeInvalid => ("invalid escape sequence", text),
                K::GroupNameDuplicate { .. } => ("duplicate capture group name", text),
                K::GroupNameEmpty | K::GroupNameInvalid | K::GroupNameUnexpectedEof => ("invalid named capture", text),
                K::NestLimitExceeded(_) => ("expression nests too deeply", pattern.to_string()),
                _ => {
                    // Go shows a bad group prefix from its `(?`.
                    let before = &pattern[..span.start.offset];
                    let frag = match before.rfind("(?") {
                        Some(open) if !before[open..].contains(')') => {
                            let end = span.end.offset.max(
                                span.start.offset
                                    + pattern[span.start.offset..].chars().next().map_or(0, char::len_utf8),
                            );
                            pattern[open..end].to_string()
                        }
                        _ => text,
                    };
                    ("invalid or unsupported Perl syntax", frag)
                }
            }
        }
        Ok(_) => ("invalid or unsupported Perl syntax", pattern.to_string()),
    };
    FuncError::new(format!("error parsing regexp: {code}: `{frag}`"))
}

/// If `rest` (after a `{`) is a repetition Go accepts (`n}`, `n,}`, `n,m}`): its length
/// through the `}`, and its bounds.
fn parse_repeat(rest: &str) -> Option<(usize, u64, Option<u64>)> {
    let b = rest.as_bytes();
    let mut i = 0;
    let number = |i: &mut usize| -> Option<u64> {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        if *i == start {
            return None;
        }
        Some(rest[start..*i].parse::<u64>().unwrap_or(u64::MAX))
    };
    let min = number(&mut i)?;
    let mut max = Some(min);
    if i < b.len() && b[i] == b',' {
        i += 1;
        max = number(&mut i);
    }
    (i < b.len() && b[i] == b'}').then_some((i + 1, min, max))
}

/// Rewrites Go's syntax into the `regex` crate's where they differ (see the module doc), and
/// rejects what Go rejects but the crate accepts (stacked repetitions `a**`, counts above
/// 1000).
fn translate(pattern: &str) -> Result<String, FuncError> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = 0;
    // Where the previous token started, when it was a repetition operator.
    let mut last_repeat: Option<usize> = None;
    let mut names: Vec<String> = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        if !in_class {
            let op_len = match c {
                '*' | '+' | '?' => Some(1),
                '{' => match parse_repeat(&chars[i + 1..].iter().collect::<String>()) {
                    Some((n, min, max)) => {
                        if min > 1000 || max.is_some_and(|m| m > 1000 || m < min) {
                            let frag: String = chars[i..=i + n].iter().collect();
                            return Err(syntax_error("invalid repeat count", &frag));
                        }
                        Some(n + 1)
                    }
                    None => None,
                },
                _ => None,
            };
            if let Some(mut len) = op_len {
                if chars.get(i + len) == Some(&'?') {
                    len += 1;
                }
                if let Some(start) = last_repeat {
                    let frag: String = chars[start..i + len].iter().collect();
                    return Err(syntax_error("invalid nested repetition operator", &frag));
                }
                last_repeat = Some(i);
                out.extend(chars[i..i + len].iter());
                i += len;
                continue;
            }
            last_repeat = None;
            if c == '(' && chars.get(i + 1) == Some(&'?') {
                // A group's flags or name, copied through; repeated names renamed.
                let rest: String = chars[i..].iter().collect();
                let named = rest.strip_prefix("(?P<").or_else(|| rest.strip_prefix("(?<"));
                if let Some(after) = named
                    && let Some(end) = after.find('>')
                {
                    let name = &after[..end];
                    let prefix_len = rest.len() - after.len();
                    let internal = if names.iter().any(|n| n == name) {
                        format!("{DUP_PREFIX}{}_{name}", names.len())
                    } else {
                        name.to_string()
                    };
                    names.push(name.to_string());
                    out.push_str("(?P<");
                    out.push_str(&internal);
                    out.push('>');
                    i += rest[..prefix_len + end + 1].chars().count();
                    continue;
                }
                out.push_str("(?");
                i += 2;
                continue;
            }
        }
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
                ('p' | 'P', _) => {
                    // A Unicode class, `\pL` or `\p{Han}`: copied through whole.
                    out.push('\\');
                    out.push(e);
                    if chars.get(i) == Some(&'{') {
                        while i < chars.len() {
                            out.push(chars[i]);
                            i += 1;
                            if chars[i - 1] == '}' {
                                break;
                            }
                        }
                    } else if i < chars.len() {
                        out.push(chars[i]);
                        i += 1;
                    }
                }
                ('A' | 'z' | 'a' | 'f' | 't' | 'n' | 'r' | 'v' | 'x', _) => {
                    out.push('\\');
                    out.push(e);
                }
                ('0'..='7', _) => {
                    // Go's octal escape, up to three digits (a lone non-zero digit would be a
                    // backreference, which RE2 refuses); the `regex` crate wants hex.
                    let mut digits = e.to_string();
                    while digits.len() < 3 && chars.get(i).is_some_and(|c| ('0'..='7').contains(c)) {
                        digits.push(chars[i]);
                        i += 1;
                    }
                    if e != '0' && digits.len() == 1 {
                        return Err(syntax_error("invalid escape sequence", &format!("\\{e}")));
                    }
                    let code = u32::from_str_radix(&digits, 8).unwrap_or(0);
                    out.push_str(&format!("\\x{{{code:X}}}"));
                }
                (e, _) if e.is_ascii() && !e.is_ascii_alphanumeric() => {
                    // Escaped punctuation is that character (the `regex` crate would read `\<`
                    // and `\>` as word boundaries).
                    out.push_str(&regex::escape(&e.to_string()));
                }
                (e, _) => {
                    return Err(syntax_error("invalid escape sequence", &format!("\\{e}")));
                }
            }
            // In Go a `-` right after a class escape in a class is itself (`[\w-.]` is word
            // characters, `-` and `.`); the `regex` crate would read a range.
            if in_class
                && matches!(e, 'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'p' | 'P')
                && chars.get(i) == Some(&'-')
                && chars.get(i + 1).is_some_and(|c| *c != ']')
            {
                out.push_str("\\-");
                i += 1;
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
                // Not a repetition (those were taken above): a literal.
                out.push_str("\\{");
                i += 1;
                continue;
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
    }
    Ok(out)
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
    let names: Vec<Option<&str>> = re.capture_names().map(|n| n.map(go_group_name)).collect();
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
            None => names.iter().enumerate().filter(|(_, g)| **g == Some(name)).find_map(|(i, _)| caps.get(i)),
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
    let end = body
        .char_indices()
        .find(|(_, c)| !(c.is_alphabetic() || c.is_numeric() || *c == '_'))
        .map_or(body.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let name = &body[..end];
    let rest = if brace { body[end..].strip_prefix('}')? } else { &body[end..] };
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
    fn a_dash_after_a_class_escape_in_a_class_is_itself_as_in_go() {
        // Go: regexp.MustCompile(`^[\w-\.]+$`).MatchString("a-b.c") is true; `[\d-z]` is
        // digits, `-` and `z`.
        assert!(compile(r"^[\w-\.]+$").unwrap().is_match("a-b.c"));
        let re = compile(r"^[\d-z]+$").unwrap();
        assert!(re.is_match("1-z") && !re.is_match("y"));
    }
    use crate::sprig::conv::test_support::*;

    #[test]
    fn translation_compiles() {
        for p in [
            r"\d+",
            r"[\d\s]",
            r"[^\D]",
            r"\bfoo\b",
            r"a{",
            r"{{",
            r"x{2}",
            r"\Q.*\E",
            r"[[:alpha:]]",
            r"[a&&b]",
            r"[]a]",
        ] {
            assert!(compile(p).is_ok(), "{p} -> {:?}", translate(p));
        }
    }

    // BEGIN GO TABLE (generated: each row's result and %T printed by Go 1.27 + sprig 3.2.3)
    fn go_table() -> Vec<Case> {
        vec![
            ("regexMatch", vec![s("^a.c$"), s("abc")], Ok("true"), "bool"),
            ("regexMatch", vec![s("("), s("abc")], Ok("false"), "bool"),
            ("regexMatch", vec![s("\\d"), s("٣")], Ok("false"), "bool"),
            ("regexMatch", vec![s("\\w+"), s("é")], Ok("false"), "bool"),
            ("regexMatch", vec![s("\\bé"), s(" é")], Ok("false"), "bool"),
            ("mustRegexMatch", vec![s("("), s("x")], Err("error parsing regexp: missing closing ): `(`"), ""),
            ("mustRegexMatch", vec![s("a)"), s("x")], Err("error parsing regexp: unexpected ): `a)`"), ""),
            ("mustRegexMatch", vec![s("[a"), s("x")], Err("error parsing regexp: missing closing ]: `[a`"), ""),
            ("mustRegexMatch", vec![s("\\q"), s("x")], Err("error parsing regexp: invalid escape sequence: `\\q`"), ""),
            (
                "mustRegexMatch",
                vec![s("*"), s("x")],
                Err("error parsing regexp: missing argument to repetition operator: `*`"),
                "",
            ),
            (
                "mustRegexMatch",
                vec![s("a**"), s("x")],
                Err("error parsing regexp: invalid nested repetition operator: `**`"),
                "",
            ),
            (
                "mustRegexMatch",
                vec![s("a+*?"), s("x")],
                Err("error parsing regexp: invalid nested repetition operator: `+*?`"),
                "",
            ),
            (
                "mustRegexMatch",
                vec![s("a{2}{3}"), s("x")],
                Err("error parsing regexp: invalid nested repetition operator: `{2}{3}`"),
                "",
            ),
            (
                "mustRegexMatch",
                vec![s("a{2,1}"), s("x")],
                Err("error parsing regexp: invalid repeat count: `{2,1}`"),
                "",
            ),
            (
                "mustRegexMatch",
                vec![s("(?i)*"), s("x")],
                Err("error parsing regexp: missing argument to repetition operator: `*`"),
                "",
            ),
            (
                "mustRegexMatch",
                vec![s("a|*"), s("x")],
                Err("error parsing regexp: missing argument to repetition operator: `*`"),
                "",
            ),
            ("mustRegexMatch", vec![s("x{2}?"), s("x")], Ok("false"), "bool"),
            (
                "mustRegexMatch",
                vec![s("(??)"), s("x")],
                Err("error parsing regexp: invalid or unsupported Perl syntax: `(??`"),
                "",
            ),
            (
                "mustRegexMatch",
                vec![s("[z-a]"), s("x")],
                Err("error parsing regexp: invalid character class range: `z-a`"),
                "",
            ),
            (
                "mustRegexMatch",
                vec![s("a{1001}"), s("x")],
                Err("error parsing regexp: invalid repeat count: `{1001}`"),
                "",
            ),
            ("mustRegexMatch", vec![s("(?P<n>a)(?P<n>b)"), s("x")], Ok("false"), "bool"),
            (
                "mustRegexMatch",
                vec![s("\\"), s("x")],
                Err("error parsing regexp: trailing backslash at end of expression: ``"),
                "",
            ),
            ("regexFindAll", vec![s("a*"), s("baaac"), i(-1)], Ok("[ aaa ]"), "[]string"),
            ("regexFindAll", vec![s("[0-9]+"), s("a1b22c333"), i(2)], Ok("[1 22]"), "[]string"),
            ("regexFindAll", vec![s("x"), s("abc"), i(-1)], Ok("[]"), "[]string"),
            ("regexFindAll", vec![s(""), s("abc"), i(-1)], Ok("[   ]"), "[]string"),
            ("regexFindAll", vec![s("a|"), s("bab"), i(-1)], Ok("[ a ]"), "[]string"),
            ("regexFindAll", vec![s("\\d"), s("1٣2"), i(-1)], Ok("[1 2]"), "[]string"),
            ("regexFindAll", vec![s("[\\d]+"), s("12a3"), i(0)], Ok("[]"), "[]string"),
            ("mustRegexFindAll", vec![s("("), s("x"), i(1)], Err("error parsing regexp: missing closing ): `(`"), ""),
            (
                "regexFindAll",
                vec![s("("), s("x"), i(1)],
                Err("regexp: Compile(`(`): error parsing regexp: missing closing ): `(`"),
                "",
            ),
            ("regexFind", vec![s("b+"), s("abbbc")], Ok("bbb"), "string"),
            ("regexFind", vec![s("z"), s("abc")], Ok(""), "string"),
            ("mustRegexFind", vec![s("["), s("x")], Err("error parsing regexp: missing closing ]: `[`"), ""),
            ("regexReplaceAll", vec![s("a(x*)b"), s("-ab-axxb-"), s("${1}W")], Ok("-W-xxW-"), "string"),
            ("regexReplaceAll", vec![s("a(x*)b"), s("-ab-axxb-"), s("$1W")], Ok("---"), "string"),
            ("regexReplaceAll", vec![s("a(?P<n>x*)b"), s("-ab-axxb-"), s("[$n]")], Ok("-[]-[xx]-"), "string"),
            ("regexReplaceAll", vec![s("(?P<n>a)|(?P<n>b)"), s("ab"), s("[$n]")], Ok("[a][b]"), "string"),
            ("regexReplaceAll", vec![s("(?<n>a)"), s("ab"), s("<${n}>")], Ok("<a>b"), "string"),
            (
                "regexReplaceAll",
                vec![s("a(x*)b"), s("-ab-axxb-"), s("$$1 $ ${x $2 $01 ${1}")],
                Ok("-$1 $ ${x   -$1 $ ${x   xx-"),
                "string",
            ),
            ("regexReplaceAll", vec![s("a*"), s("baaac"), s("-")], Ok("-b-c-"), "string"),
            ("regexReplaceAll", vec![s(""), s("abc"), s("-")], Ok("-a-b-c-"), "string"),
            ("regexReplaceAll", vec![s("x*"), s("é"), s("-")], Ok("-é-"), "string"),
            ("regexReplaceAllLiteral", vec![s("a(x*)b"), s("-ab-axxb-"), s("$1")], Ok("-$1-$1-"), "string"),
            (
                "mustRegexReplaceAll",
                vec![s("("), s("x"), s("y")],
                Err("error parsing regexp: missing closing ): `(`"),
                "",
            ),
            ("mustRegexReplaceAllLiteral", vec![s("a+"), s("caat"), s("$")], Ok("c$t"), "string"),
            ("regexSplit", vec![s("z+"), s("pizza"), i(-1)], Ok("[pi a]"), "[]string"),
            ("regexSplit", vec![s("z+"), s("pizza"), i(0)], Ok("[]"), "[]string"),
            ("regexSplit", vec![s("z+"), s("pizza"), i(1)], Ok("[pizza]"), "[]string"),
            ("regexSplit", vec![s("z+"), s("pizza"), i(2)], Ok("[pi a]"), "[]string"),
            ("regexSplit", vec![s(""), s("abc"), i(-1)], Ok("[a b c]"), "[]string"),
            ("regexSplit", vec![s("a"), s(""), i(-1)], Ok("[]"), "[]string"),
            ("regexSplit", vec![s(""), s(""), i(-1)], Ok("[]"), "[]string"),
            ("regexSplit", vec![s("x*"), s("axbxc"), i(-1)], Ok("[a b c]"), "[]string"),
            ("regexSplit", vec![s(","), s("a,b,"), i(-1)], Ok("[a b ]"), "[]string"),
            ("mustRegexSplit", vec![s("("), s("x"), i(-1)], Err("error parsing regexp: missing closing ): `(`"), ""),
            (
                "regexQuoteMeta",
                vec![s("1.5*[a]{b}^$\\|?+()")],
                Ok("1\\.5\\*\\[a\\]\\{b\\}\\^\\$\\\\\\|\\?\\+\\(\\)"),
                "string",
            ),
            ("regexFind", vec![s("{{"), s("a{{b")], Ok("{{"), "string"),
            ("regexFind", vec![s("a{"), s("xa{")], Ok("a{"), "string"),
            ("regexFind", vec![s("a{2}"), s("aaa")], Ok("aa"), "string"),
            ("regexFind", vec![s("a{,2}"), s("a{,2}")], Ok("a{,2}"), "string"),
            ("regexFind", vec![s("\\Q.*\\E+"), s("x.*.*")], Ok(".*"), "string"),
            ("regexFind", vec![s("[[:alpha:]]+"), s("12ab3")], Ok("ab"), "string"),
            ("regexFind", vec![s("[a&&b]+"), s("x&&ab")], Ok("&&ab"), "string"),
            ("regexFind", vec![s("[]a]+"), s("x]a]")], Ok("]a]"), "string"),
            ("regexFind", vec![s("[^]a]+"), s("]]xy")], Ok("xy"), "string"),
            ("regexFind", vec![s("(?i)straße"), s("STRASSE Straße")], Ok("Straße"), "string"),
            ("regexFind", vec![s("[\\s]+"), s("a \u{b}\tb")], Ok(" "), "string"),
            ("regexFind", vec![s("\\s+"), s("a\u{b} b")], Ok(" "), "string"),
            ("regexFind", vec![s("a}"), s("a}")], Ok("a}"), "string"),
            ("regexFind", vec![s("(?U)a+"), s("aaa")], Ok("a"), "string"),
            ("regexFind", vec![s("\\pL+"), s("1éa2")], Ok("éa"), "string"),
            ("regexFind", vec![s("[[a]+"), s("[a[")], Ok("[a["), "string"),
            ("regexFind", vec![s("x{2,}?"), s("xxxx")], Ok("xx"), "string"),
            ("regexFind", vec![s("(?s).+"), s("a\nb")], Ok("a\nb"), "string"),
            ("regexFind", vec![s("(?m)^b$"), s("a\nb\nc")], Ok("b"), "string"),
            ("regexFind", vec![s("\\x41\\x{42}"), s("AB")], Ok("AB"), "string"),
        ]
    }

    #[test]
    fn matches_go() {
        check_table(&go_table());
    }
    // END GO TABLE

    // BEGIN GO RENDER (generated: each template's output or error from Go 1.27 + sprig 3.2.3)
    const RENDER_CASES: &[(&str, &str)] = &[
        ("{{ regexMatch \"^[a-z]+$\" \"abc\" }}", "OK true"),
        ("{{ regexFindAll \"[0-9]+\" \"a1b22c333\" -1 }}", "OK [1 22 333]"),
        ("{{ regexFind \"b+\" \"abbbc\" }}", "OK bbb"),
        ("{{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" }}", "OK -W-xxW-"),
        ("{{ regexReplaceAllLiteral \"a(x*)b\" \"-ab-axxb-\" \"${1}\" }}", "OK -${1}-${1}-"),
        ("{{ regexSplit \"z+\" \"pizza\" -1 }}", "OK [pi a]"),
        ("{{ regexQuoteMeta \"1.5*\" }}", "OK 1\\.5\\*"),
        (
            "{{ regexFind \"(\" \"x\" }}",
            "ERR template: t:1:3: executing \"t\" at <regexFind \"(\" \"x\">: error calling regexFind: regexp: Compile(`(`): error parsing regexp: missing closing ): `(`",
        ),
        (
            "{{ mustRegexFind \"(\" \"x\" }}",
            "ERR template: t:1:3: executing \"t\" at <mustRegexFind \"(\" \"x\">: error calling mustRegexFind: error parsing regexp: missing closing ): `(`",
        ),
        ("{{ regexMatch \"(\" \"x\" }}", "OK false"),
        ("{{ regexFindAll \"x\" \"abc\" -1 | typeOf }}", "OK []string"),
        ("{{ \"abc\" | regexReplaceAll \"b\" \"X\" }}", "OK X"),
        ("{{ regexReplaceAll \"\\\\d\" \"a1٣\" \"#\" }}", "OK a#٣"),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(RENDER_CASES);
    }
    // END GO RENDER
}

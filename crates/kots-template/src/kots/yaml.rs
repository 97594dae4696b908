//! Writing YAML as KOTS's Go libraries do, where the text matters: `YamlEscape` (yaml.v3's
//! marshalling of one string) and the Config document KOTS renders as text
//! (`pkg/config` `MarshalConfig`: keys sorted, and every scalar holding a template re-emitted
//! single-quoted, or as a literal block when it spans lines, so that the template inside
//! reaches Go's parser unescaped).

use serde_json::Value as Json;

/// Whether a plain scalar would read back as this same string: no indicator at the start,
/// no `: ` or ` #`, no leading or trailing space, and not a word YAML reads as another type.
fn plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    if "?:,[]{}#&*!|>'\"%@`".contains(first) || s == "-" || s.starts_with("- ") {
        return false;
    }
    if s.starts_with(['-', '.', '+']) && s.len() > 1 && s[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return false;
    }
    if s.starts_with(' ') || s.ends_with([' ', ':']) || s.contains(": ") || s.contains(" #") || s.contains(['\t']) {
        return false;
    }
    if s.chars().any(|c| c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'))
    {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    let reserved =
        ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", "+.inf", ".nan", "<<", "="];
    if reserved.contains(&lower.as_str()) {
        return false;
    }
    // Anything that might read as a number (ints, floats, hex, octal, sexagesimal).
    let numberish = s.trim_start_matches(['-', '+']);
    !(numberish.starts_with(|c: char| c.is_ascii_digit())
        && numberish.chars().all(|c| c.is_ascii_hexdigit() || "._:xXoOeE+-".contains(c)))
}

/// A double-quoted scalar: `"` and `\` escaped, and every character YAML does not allow
/// printed raw (C0 and C1 controls, DEL, BOM, line and paragraph separators) as an escape.
pub(crate) fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}') =>
            {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether a literal block can carry `s` as is: printable characters only, and no line
/// ending in a space (libyaml's analysis refuses blocks then).
fn block_safe(s: &str) -> bool {
    s.chars().all(|c| c == '\n' || !(c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}'))
        && !s.contains(" \n")
        && !s.ends_with(' ')
}

/// A literal block (`|`, `|-` or `|+` as the text ends), its lines indented by `indent`
/// spaces (empty lines left empty). The explicit indentation indicator keeps text that starts
/// with spaces readable.
fn literal_block(s: &str, indent: usize, indicator: usize) -> String {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    // The last line break is the block's own; any before it are kept lines (`|+`).
    let body = if trailing == 0 { s } else { &s[..s.len() - 1] };
    let pad = " ".repeat(indent);
    let mut out = format!("|{indicator}{chomp}\n");
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// yaml.v3's `Marshal` of one string: plain when it reads back the same, a literal block
/// (4-space indentation) when it spans lines, else double-quoted; always one document
/// ending in a newline.
pub(crate) fn marshal_string(s: &str) -> String {
    if s.contains('\n') && block_safe(s) {
        return literal_block(s, 4, 4);
    }
    if plain_safe(s) { format!("{s}\n") } else { format!("{}\n", double_quoted(s)) }
}

fn has_template(s: &str) -> bool {
    s.contains("repl{{") || s.contains("{{repl")
}

/// A scalar of the Config document at `indent` (its parent key's column): templates
/// single-quoted or in a literal block; other strings plain or double-quoted.
fn scalar(value: &Json, indent: usize) -> String {
    match value {
        Json::Null => "null".to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) if has_template(s) && s.contains('\n') => literal_block(s, indent + 2, 2),
        Json::String(s) if has_template(s) => format!("'{}'", s.replace('\'', "''")),
        Json::String(s) if plain_safe(s) => s.clone(),
        Json::String(s) => double_quoted(s),
        Json::Array(_) => "[]".to_string(),
        Json::Object(_) => "{}".to_string(),
    }
}

fn is_block(value: &Json) -> bool {
    match value {
        Json::Array(items) => !items.is_empty(),
        Json::Object(map) => !map.is_empty(),
        _ => false,
    }
}

fn key_text(key: &str) -> String {
    if plain_safe(key) { key.to_string() } else { double_quoted(key) }
}

/// `value` as the body of a mapping entry or sequence item whose content starts at `indent`.
fn emit(value: &Json, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, key) in keys.into_iter().enumerate() {
                // The first entry of a sequence item sits after its "- ".
                if i > 0 || !out.ends_with("- ") {
                    out.push_str(&pad);
                }
                out.push_str(&key_text(key));
                let v = &map[key];
                if is_block(v) {
                    out.push_str(":\n");
                    emit(v, indent + 2, out);
                } else {
                    out.push_str(": ");
                    let text = scalar(v, indent);
                    out.push_str(&text);
                    if !text.ends_with('\n') {
                        out.push('\n');
                    }
                }
            }
        }
        Json::Array(items) => {
            for item in items {
                out.push_str(&pad);
                out.push_str("- ");
                if is_block(item) {
                    if item.is_array() {
                        out.push('\n');
                    }
                    emit(item, indent + 2, out);
                } else {
                    let text = scalar(item, indent);
                    out.push_str(&text);
                    if !text.ends_with('\n') {
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&scalar(other, indent));
            out.push('\n');
        }
    }
}

/// A whole document as `MarshalConfig` writes it for rendering.
pub(crate) fn emit_document(value: &Json) -> String {
    let mut out = String::new();
    emit(value, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Json {
        serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn strings_read_back_as_written() {
        let cases = [
            "plain",
            "",
            "true",
            "123",
            "0x1F",
            "1e3",
            "- x",
            "a: b",
            "x #y",
            " lead",
            "trail ",
            "it's",
            "\"q\"",
            "tab\there",
            "multi\nline\n",
            "multi\nline",
            "multi\n\nline\n\n",
            "  indented\nblock",
            "ctrl\u{1}\u{7f}\u{85}\n",
            "ünï 🔏",
        ];
        for s in cases {
            assert_eq!(parse(&marshal_string(s)), Json::String(s.to_string()), "{s:?} as {:?}", marshal_string(s));
            let doc = serde_json::json!({"k": s, "list": [s, {"a": s}]});
            assert_eq!(parse(&emit_document(&doc)), doc, "{}", emit_document(&doc));
        }
    }

    #[test]
    fn templates_are_single_quoted_or_literal_blocks() {
        let doc = serde_json::json!({"a": "x repl{{ ConfigOption \"b\" }}", "c": "l1\nrepl{{ X }}"});
        let text = emit_document(&doc);
        assert!(text.contains("a: 'x repl{{ ConfigOption \"b\" }}'"), "{text}");
        assert!(text.contains("c: |2-\n  l1\n  repl{{ X }}\n"), "{text}");
        assert_eq!(parse(&text), doc);
    }
}

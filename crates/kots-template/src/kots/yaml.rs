//! Writing YAML as KOTS's Go libraries do, where the text matters: `YamlEscape` (yaml.v3's
//! marshalling of one string) and the Config document KOTS renders as text
//! (`pkg/config` `MarshalConfig`: keys sorted, and every scalar holding a template re-emitted
//! single-quoted, or as a literal block when it spans lines, so that the template inside
//! reaches Go's parser unescaped).

use serde_json::Value as Json;

/// Characters yaml.v3 (libyaml's `is_printable`) will not write raw: controls other than the
/// line feed (tab included), DEL, C1 controls, the BOM, U+FFFE/U+FFFF, and everything beyond
/// the BMP. A scalar holding one is double-quoted with escapes.
fn special(c: char) -> bool {
    !(c == '\n'
        || (' '..='~').contains(&c)
        || ('\u{a0}'..='\u{d7ff}').contains(&c)
        || (('\u{e000}'..='\u{fffd}').contains(&c) && c != '\u{feff}'))
}

/// Whether a plain scalar of `s` would read as something other than this string (yaml.v3
/// quotes those: empty, null, booleans old and new, numbers, base-60 floats).
fn reads_as_other(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let reserved = [
        "", "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", "+.inf", ".nan", "<<",
        "=",
    ];
    if reserved.contains(&lower.as_str()) {
        return true;
    }
    if s.starts_with(['-', '.', '+']) && s.len() > 1 && s[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return true;
    }
    // Anything that might read as a number (ints, floats, hex, octal, sexagesimal).
    let numberish = s.trim_start_matches(['-', '+']);
    numberish.starts_with(|c: char| c.is_ascii_digit())
        && numberish.chars().all(|c| c.is_ascii_hexdigit() || "._:xXoOeE+-".contains(c))
}

/// Whether the YAML syntax allows `s` as a plain scalar (libyaml's analysis): no indicator
/// at the start, no `: ` or ` #`, no space at either end, one line, printable.
fn plain_allowed(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    if "?:,[]{}#&*!|>'\"%@`".contains(first) || s == "-" || s.starts_with("- ") {
        return false;
    }
    !(s.starts_with(' ')
        || s.ends_with([' ', ':'])
        || s.contains(": ")
        || s.contains(" #")
        || s.contains('\n')
        || s.chars().any(special))
}

/// Whether a plain scalar reads back as this same string.
fn plain_safe(s: &str) -> bool {
    !reads_as_other(s) && plain_allowed(s)
}

/// A single-quoted scalar (`'` doubled).
fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A double-quoted scalar: `"` and `\` escaped, and every [`special`] character as an escape
/// (`\UXXXXXXXX` beyond the BMP, as yaml.v3 writes them, when `escape_astral`).
fn double_quoted_with(s: &str, escape_astral: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c as u32 > 0xffff && escape_astral => out.push_str(&format!("\\U{:08X}", c as u32)),
            c if c as u32 > 0xffff => out.push(c),
            c if special(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A double-quoted scalar with every character beyond the BMP raw (what KOTS's
/// `decodeUnicodeEscapes` leaves of its Config text).
pub(crate) fn double_quoted(s: &str) -> String {
    double_quoted_with(s, false)
}

/// Whether a literal block can carry `s` as is: printable characters only, and no line
/// ending in a space (libyaml's analysis refuses blocks then).
fn block_safe(s: &str) -> bool {
    !s.chars().any(special) && !s.contains(" \n") && !s.ends_with(' ')
}

/// A literal block (`|`, `|-` or `|+` as the text ends), its lines indented by `indent`
/// spaces (empty lines left empty), with libyaml's indentation indicator `indicator` when the
/// text starts with a space or a line break (else a reader could not tell the indentation).
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
    let hint = if s.starts_with([' ', '\n']) { indicator.to_string() } else { String::new() };
    let mut out = format!("|{hint}{chomp}\n");
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// yaml.v3's `Marshal` of one string, one document ending in a newline: a literal block
/// (4-space indentation) when it spans lines; double-quoted when a plain scalar would read as
/// another type (`"true"`, `"12"`, `""`) or it holds characters yaml.v3 escapes; plain when
/// the syntax allows; else single-quoted.
pub(crate) fn marshal_string(s: &str) -> String {
    let text = if s.contains('\n') && block_safe(s) {
        return literal_block(s, 4, 4);
    } else if reads_as_other(s) || s.contains('\n') || s.chars().any(special) {
        double_quoted_with(s, true)
    } else if plain_allowed(s) {
        s.to_string()
    } else {
        single_quoted(s)
    };
    format!("{text}\n")
}

fn has_template(s: &str) -> bool {
    s.contains("repl{{") || s.contains("{{repl")
}

/// A scalar of the Config document at `indent` (its parent key's column), in the style
/// yaml.v3 ends up with: a multi-line string as a literal block when libyaml allows one, a
/// template on one line single-quoted (`normalizeTemplateStyles`), other strings plain when
/// they read back the same, single-quoted when only the syntax forbids plain, double-quoted
/// when they hold characters yaml.v3 escapes (or cannot be a block).
fn scalar(value: &Json, indent: usize) -> String {
    match value {
        Json::Null => "null".to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        // KOTS hides characters beyond the BMP from yaml.v3 while it picks a template's style.
        Json::String(s) if has_template(s) => {
            let bmp = |c: char| if c as u32 > 0xffff { 'x' } else { c };
            let masked: String = s.chars().map(bmp).collect();
            if masked.contains('\n') && block_safe(&masked) {
                literal_block(s, indent + 2, 2)
            } else if masked.contains('\n') || masked.chars().any(special) {
                double_quoted(s)
            } else {
                single_quoted(s)
            }
        }
        Json::String(s) if s.contains('\n') && block_safe(s) => literal_block(s, indent + 2, 2),
        Json::String(s) if s.contains('\n') || s.chars().any(special) => double_quoted(s),
        Json::String(s) if reads_as_other(s) => double_quoted(s),
        Json::String(s) if plain_allowed(s) => s.clone(),
        Json::String(s) => single_quoted(s),
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
        assert!(text.contains("c: |-\n  l1\n  repl{{ X }}\n"), "{text}");
        assert_eq!(parse(&text), doc);
        // Leading spaces need the indentation indicator; characters beyond the BMP do not
        // stop a template from being a block (KOTS masks them while choosing the style).
        let doc = serde_json::json!({"g": [{"h": "  x\n🔏 repl{{ Y }}"}]});
        let text = emit_document(&doc);
        assert!(text.contains("h: |2-\n        x\n      🔏 repl{{ Y }}\n"), "{text}");
        assert_eq!(parse(&text), doc);
    }

    #[test]
    fn marshal_string_picks_yaml_v3s_styles() {
        // What Go's yaml.v3 Marshal writes for these strings.
        let cases = [
            ("plain", "plain\n"),
            ("true", "\"true\"\n"),
            ("12", "\"12\"\n"),
            ("", "\"\"\n"),
            (" lead", "' lead'\n"),
            ("a: b", "'a: b'\n"),
            ("it's", "it's\n"),
            ("a\nb", "|-\n    a\n    b\n"),
            ("a\nb\n", "|\n    a\n    b\n"),
            (" a\nb", "|4-\n     a\n    b\n"),
            ("tab\there", "\"tab\\there\"\n"),
            ("lock 🔏", "\"lock \\U0001F50F\"\n"),
        ];
        for (input, want) in cases {
            assert_eq!(marshal_string(input), want, "{input:?}");
        }
    }
}

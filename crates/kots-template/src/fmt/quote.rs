//! Go's `strconv.Quote`, `QuoteToASCII`, `QuoteRune`, `CanBackquote` and `IsPrint`: what `%q`
//! prints, ported from Go's `strconv/quote.go` (escapes, `\x` for invalid UTF-8, `\u`/`\U`
//! for runes that are not printable by Go's Unicode tables).

use super::isprint::PRINT_RANGES;

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

/// `strconv.IsPrint` (the same set as `unicode.IsPrint`): letters, marks, numbers,
/// punctuation, symbols and the ASCII space.
pub(crate) fn is_print(r: u32) -> bool {
    if r < 0x80 {
        return (0x20..=0x7e).contains(&r);
    }
    PRINT_RANGES
        .binary_search_by(|&(lo, hi)| {
            if hi < r {
                std::cmp::Ordering::Less
            } else if lo > r {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Appends `s` quoted with `"` as `strconv.Quote` (or `QuoteToASCII` when `ascii_only`).
/// `s` may hold invalid UTF-8 (a `[]byte` value): each bad byte prints as `\xNN`.
pub(crate) fn append_quoted(buf: &mut String, s: &[u8], ascii_only: bool) {
    buf.reserve(s.len() + 2);
    buf.push('"');
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            append_escaped_rune(buf, c, '"', ascii_only);
        }
        for &b in chunk.invalid() {
            push_hex_byte(buf, b);
        }
    }
    buf.push('"');
}

/// Appends the rune quoted with `'` as `strconv.QuoteRune` (`QuoteRuneToASCII` when
/// `ascii_only`); a value that is no valid rune prints as `'�'`.
pub(crate) fn append_quoted_rune(buf: &mut String, r: u64, ascii_only: bool) {
    let c = u32::try_from(r).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}');
    buf.push('\'');
    append_escaped_rune(buf, c, '\'', ascii_only);
    buf.push('\'');
}

fn push_hex_byte(buf: &mut String, b: u8) {
    buf.push_str("\\x");
    buf.push(LOWER_HEX[(b >> 4) as usize] as char);
    buf.push(LOWER_HEX[(b & 0xF) as usize] as char);
}

fn append_escaped_rune(buf: &mut String, c: char, quote: char, ascii_only: bool) {
    if c == quote || c == '\\' {
        buf.push('\\');
        buf.push(c);
        return;
    }
    let r = c as u32;
    if ascii_only {
        if r < 0x80 && is_print(r) {
            buf.push(c);
            return;
        }
    } else if is_print(r) {
        buf.push(c);
        return;
    }
    match c {
        '\x07' => buf.push_str("\\a"),
        '\x08' => buf.push_str("\\b"),
        '\x0c' => buf.push_str("\\f"),
        '\n' => buf.push_str("\\n"),
        '\r' => buf.push_str("\\r"),
        '\t' => buf.push_str("\\t"),
        '\x0b' => buf.push_str("\\v"),
        _ if r < 0x20 || r == 0x7f => push_hex_byte(buf, r as u8),
        _ if r < 0x10000 => {
            buf.push_str("\\u");
            for shift in [12, 8, 4, 0] {
                buf.push(LOWER_HEX[((r >> shift) & 0xF) as usize] as char);
            }
        }
        _ => {
            buf.push_str("\\U");
            for shift in [28, 24, 20, 16, 12, 8, 4, 0] {
                buf.push(LOWER_HEX[((r >> shift) & 0xF) as usize] as char);
            }
        }
    }
}

/// `strconv.CanBackquote`: valid UTF-8 with no control characters but tab, no backquote and
/// no byte-order mark.
pub(crate) fn can_backquote(s: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(s) else {
        return false;
    };
    s.chars().all(|c| c != '\u{FEFF}' && c != '`' && c != '\u{7F}' && (c >= ' ' || c == '\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(s: &[u8], ascii: bool) -> String {
        let mut out = String::new();
        append_quoted(&mut out, s, ascii);
        out
    }

    #[test]
    fn quotes_as_go() {
        // Expected values from Go 1.27's strconv.Quote / QuoteToASCII / QuoteRune.
        assert_eq!(quote(b"a\"b\\c\n\t\x07\x00\x7f", false), r#""a\"b\\c\n\t\a\x00\x7f""#);
        assert_eq!(quote("héllo\u{2028}😀\u{FEFF}".as_bytes(), false), r#""héllo\u2028😀\ufeff""#);
        assert_eq!(quote("héllo😀".as_bytes(), true), r#""h\u00e9llo\U0001f600""#);
        assert_eq!(quote(b"a\xffb\xe2\x82", false), r#""a\xffb\xe2\x82""#);
        let mut r = String::new();
        append_quoted_rune(&mut r, u64::from('\''), false);
        append_quoted_rune(&mut r, u64::from('"'), false);
        append_quoted_rune(&mut r, 0x11_0000, false);
        append_quoted_rune(&mut r, 0xD800, false);
        assert_eq!(r, r#"'\'''"''�''�'"#);
        assert!(can_backquote(b"a\tb"));
        assert!(!can_backquote(b"a`b"));
        assert!(!can_backquote(b"a\nb"));
        assert!(!can_backquote(b"\xff"));
        assert!(is_print(0xe9) && !is_print(0xad) && !is_print(0x2028) && is_print(0x1f600));
    }
}

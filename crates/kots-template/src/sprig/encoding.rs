//! sprig's `b64enc`, `b64dec`, `b32enc`, `b32dec` (standard alphabets, padded). The decoders
//! are Go's, ported for their quirks: `\r` and `\n` are skipped anywhere, and a bad input
//! decodes to the *error text* (`illegal base64 data at input byte 4`), which sprig returns
//! as the result. Decoded bytes that are not UTF-8 become U+FFFD (Go keeps the raw bytes).

use base64::Engine as _;

use crate::func::{ArgsExt, FuncMap};
use crate::value::{GoType, Value};

pub(super) fn register(map: &mut FuncMap) {
    map.add("b64enc", vec![GoType::String], |_, a| {
        Ok(Value::string(base64::engine::general_purpose::STANDARD.encode(a.str_arg(0)?)))
    });
    map.add("b64dec", vec![GoType::String], |_, a| {
        Ok(Value::string(decoded(base64_decode(a.str_arg(0)?.as_bytes()), "base64")))
    });
    map.add("b32enc", vec![GoType::String], |_, a| Ok(Value::string(base32_encode(a.str_arg(0)?.as_bytes()))));
    map.add("b32dec", vec![GoType::String], |_, a| {
        Ok(Value::string(decoded(base32_decode(a.str_arg(0)?.as_bytes()), "base32")))
    });
}

/// sprig's result: the text, or the error's text.
fn decoded(r: Result<Vec<u8>, usize>, what: &str) -> String {
    match r {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(at) => format!("illegal {what} data at input byte {at}"),
    }
}

fn b64_value(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

/// `base64.StdEncoding.DecodeString`, quantum by quantum as `decodeQuantum`; `Err` is the
/// offset Go's `CorruptInputError` reports.
fn base64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        let mut dbuf = [0u8; 4];
        let mut dlen = 4;
        let mut j = 0;
        let mut trailing_err = None;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = b64_value(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if src[si] != b'=' {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                trailing_err = Some(si);
            }
            dlen = j;
            break;
        }
        let val = u32::from(dbuf[0]) << 18 | u32::from(dbuf[1]) << 12 | u32::from(dbuf[2]) << 6 | u32::from(dbuf[3]);
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(at) = trailing_err {
            return Err(at);
        }
    }
    Ok(out)
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `base32.StdEncoding.EncodeToString`.
fn base32_encode(src: &[u8]) -> String {
    let mut out = String::with_capacity(src.len().div_ceil(5) * 8);
    for chunk in src.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = buf.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(char::from(B32[((bits >> (35 - 5 * i)) & 31) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `base32.StdEncoding.DecodeString`: newlines stripped first, then Go's `decode`.
fn base32_decode(input: &[u8]) -> Result<Vec<u8>, usize> {
    let stripped: Vec<u8> = input.iter().copied().filter(|c| *c != b'\n' && *c != b'\r').collect();
    let olen = stripped.len();
    let mut src: &[u8] = &stripped;
    let mut out = Vec::new();
    let mut end = false;
    while !src.is_empty() && !end {
        let mut dbuf = [0u8; 8];
        let mut dlen = 8;
        let mut j = 0;
        while j < 8 {
            if src.is_empty() {
                return Err(olen - j);
            }
            let c = src[0];
            src = &src[1..];
            if c == b'=' && j >= 2 && src.len() < 8 {
                if src.len() + j < 7 {
                    return Err(olen);
                }
                for k in 0..7 - j {
                    if src.len() > k && src[k] != b'=' {
                        return Err(olen - src.len() + k - 1);
                    }
                }
                dlen = j;
                end = true;
                if matches!(dlen, 1 | 3 | 6) {
                    return Err(olen - src.len() - 1);
                }
                break;
            }
            match B32.iter().position(|b| *b == c) {
                Some(v) => dbuf[j] = v as u8,
                None => return Err(olen - src.len() - 1),
            }
            j += 1;
        }
        let bits = dbuf.iter().fold(0u64, |acc, b| acc << 5 | u64::from(*b));
        let n = match dlen {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => 0,
        };
        for i in 0..n {
            out.push((bits >> (32 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sprig::conv::test_support::*;

    #[test]
    fn round_trips() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar", "héllo wörld"] {
            assert_eq!(base32_decode(base32_encode(s.as_bytes()).as_bytes()).unwrap(), s.as_bytes());
            let e = base64::engine::general_purpose::STANDARD.encode(s);
            assert_eq!(base64_decode(e.as_bytes()).unwrap(), s.as_bytes());
        }
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI======");
    }

    // BEGIN GO TABLE (generated: each row's result and %T printed by Go 1.27 + sprig 3.2.3)
    fn go_table() -> Vec<Case> {
        vec![
            ("b64enc", vec![s("")], Ok(""), "string"),
            ("b64enc", vec![s("f")], Ok("Zg=="), "string"),
            ("b64enc", vec![s("fo")], Ok("Zm8="), "string"),
            ("b64enc", vec![s("foo")], Ok("Zm9v"), "string"),
            ("b64enc", vec![s("foob")], Ok("Zm9vYg=="), "string"),
            ("b64enc", vec![s("fooba")], Ok("Zm9vYmE="), "string"),
            ("b64enc", vec![s("foobar")], Ok("Zm9vYmFy"), "string"),
            ("b64enc", vec![s("héllo")], Ok("aMOpbGxv"), "string"),
            ("b32enc", vec![s("")], Ok(""), "string"),
            ("b32enc", vec![s("f")], Ok("MY======"), "string"),
            ("b32enc", vec![s("fo")], Ok("MZXQ===="), "string"),
            ("b32enc", vec![s("foo")], Ok("MZXW6==="), "string"),
            ("b32enc", vec![s("foob")], Ok("MZXW6YQ="), "string"),
            ("b32enc", vec![s("fooba")], Ok("MZXW6YTB"), "string"),
            ("b32enc", vec![s("foobar")], Ok("MZXW6YTBOI======"), "string"),
            ("b32enc", vec![s("héllo")], Ok("NDB2S3DMN4======"), "string"),
            ("b64dec", vec![s("")], Ok(""), "string"),
            ("b64dec", vec![s("Zm9vYmFy")], Ok("foobar"), "string"),
            ("b64dec", vec![s("Zm9vYg==")], Ok("foob"), "string"),
            ("b64dec", vec![s("Zm9vYg=")], Ok("illegal base64 data at input byte 7"), "string"),
            ("b64dec", vec![s("Zm9vYg")], Ok("illegal base64 data at input byte 4"), "string"),
            ("b64dec", vec![s("Zm9v\nYmFy")], Ok("foobar"), "string"),
            ("b64dec", vec![s("Zm9vYg==x")], Ok("illegal base64 data at input byte 8"), "string"),
            ("b64dec", vec![s("Z")], Ok("illegal base64 data at input byte 0"), "string"),
            ("b64dec", vec![s("Zm=9")], Ok("illegal base64 data at input byte 2"), "string"),
            ("b64dec", vec![s("!!!!")], Ok("illegal base64 data at input byte 0"), "string"),
            ("b64dec", vec![s("Zg==\r\n")], Ok("f"), "string"),
            ("b64dec", vec![s("Zm9vYg==\nZg==")], Ok("illegal base64 data at input byte 9"), "string"),
            ("b64dec", vec![s("aGk")], Ok("illegal base64 data at input byte 0"), "string"),
            ("b32dec", vec![s("")], Ok(""), "string"),
            ("b32dec", vec![s("MZXW6YTBOI======")], Ok("foobar"), "string"),
            ("b32dec", vec![s("MZXW6===")], Ok("foo"), "string"),
            ("b32dec", vec![s("MZXW6")], Ok("illegal base32 data at input byte 0"), "string"),
            ("b32dec", vec![s("MZXW6==")], Ok("illegal base32 data at input byte 7"), "string"),
            ("b32dec", vec![s("MY======")], Ok("f"), "string"),
            ("b32dec", vec![s("MZXW6YTBOI")], Ok("illegal base32 data at input byte 8"), "string"),
            ("b32dec", vec![s("mzxw6")], Ok("illegal base32 data at input byte 0"), "string"),
            ("b32dec", vec![s("M1======")], Ok("illegal base32 data at input byte 1"), "string"),
            ("b32dec", vec![s("MZXW6YQ=")], Ok("foob"), "string"),
            ("b32dec", vec![s("MY======MY======")], Ok("illegal base32 data at input byte 2"), "string"),
            ("b32dec", vec![s("MZXW\n6===")], Ok("foo"), "string"),
            ("b32dec", vec![s("M=======")], Ok("illegal base32 data at input byte 1"), "string"),
            ("b32dec", vec![s("MZX=====")], Ok("illegal base32 data at input byte 3"), "string"),
        ]
    }

    #[test]
    fn matches_go() {
        check_table(&go_table());
    }
    // END GO TABLE

    // BEGIN GO RENDER (generated: each template's output or error from Go 1.27 + sprig 3.2.3)
    const RENDER_CASES: &[(&str, &str)] = &[
        ("{{ b64enc \"hello\" }} {{ b64enc \"hello\" | b64dec }}", "OK aGVsbG8= hello"),
        ("{{ b32enc \"hello\" }} {{ b32enc \"hello\" | b32dec }}", "OK NBSWY3DP hello"),
        ("{{ b64dec \"!!\" }}", "OK illegal base64 data at input byte 0"),
        ("{{ b32dec \"1\" }}", "OK illegal base32 data at input byte 0"),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(RENDER_CASES);
    }
    // END GO RENDER
}

//! The little DER (and PEM) that sprig's key and certificate functions need, written out so
//! that every byte is the one Go's `encoding/asn1` and `crypto/x509` write: the same string
//! types, the same time types, minimal integers, extensions in Go's order.

use base64::Engine as _;

pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const BOOLEAN: u8 = 0x01;
pub const UTF8_STRING: u8 = 0x0c;
pub const PRINTABLE_STRING: u8 = 0x13;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;

/// One TLV.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already-encoded parts.
pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

/// A non-negative INTEGER from big-endian magnitude bytes (minimal, with a 0 byte when the
/// high bit is set).
pub fn uint(be: &[u8]) -> Vec<u8> {
    let skip = be.iter().take_while(|b| **b == 0).count();
    let mut v = be[skip..].to_vec();
    if v.is_empty() || v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    tlv(INTEGER, &v)
}

pub fn small_int(v: u8) -> Vec<u8> {
    uint(&[v])
}

/// An OBJECT IDENTIFIER from its dotted form.
pub fn oid(dotted: &str) -> Vec<u8> {
    tlv(OID, &oid_content(dotted))
}

pub fn oid_content(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap_or(0)).collect();
    let mut out = Vec::new();
    let mut push = |mut v: u64| {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        tmp.reverse();
        out.extend_from_slice(&tmp);
    };
    push(arcs[0] * 40 + arcs.get(1).copied().unwrap_or(0));
    for a in arcs.iter().skip(2) {
        push(*a);
    }
    out
}

/// The dotted form of OID content bytes.
pub fn oid_string(content: &[u8]) -> String {
    let mut arcs = Vec::new();
    let mut v: u64 = 0;
    for b in content {
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = if v < 80 { v / 40 } else { 2 };
                arcs.push(first);
                arcs.push(v - first * 40);
            } else {
                arcs.push(v);
            }
            v = 0;
        }
    }
    arcs.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// A BIT STRING of whole bytes.
pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut c = vec![0];
    c.extend_from_slice(bytes);
    tlv(BIT_STRING, &c)
}

pub fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(OCTET_STRING, bytes)
}

/// A context-specific tag: `[n]` constructed (explicit) or primitive (implicit).
pub fn context(n: u8, constructed: bool, content: &[u8]) -> Vec<u8> {
    tlv(0x80 | if constructed { 0x20 } else { 0 } | n, content)
}

/// Go's `isPrintable` with asterisk and ampersand rejected (how `asn1.Marshal` picks
/// PrintableString over UTF8String for a plain `string`).
fn is_printable(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || (b'\''..=b')').contains(&b)
        || (b'+'..=b'/').contains(&b)
        || matches!(b, b' ' | b':' | b'=' | b'?')
}

/// A Go `string` as `asn1.Marshal` writes it: PrintableString if it can be, else UTF8String.
pub fn go_string(s: &str) -> Vec<u8> {
    let tag = if s.bytes().all(is_printable) { PRINTABLE_STRING } else { UTF8_STRING };
    tlv(tag, s.as_bytes())
}

/// A `time.Time` (UTC) as `asn1.Marshal` writes it: UTCTime for 1950-2049, else
/// GeneralizedTime.
pub fn go_time(year: i64, rest: &str) -> Vec<u8> {
    if (1950..2050).contains(&year) {
        tlv(UTC_TIME, format!("{:02}{rest}Z", year % 100).as_bytes())
    } else {
        tlv(GENERALIZED_TIME, format!("{year:04}{rest}Z").as_bytes())
    }
}

/// A DER reader over one level of TLVs.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    pub data: &'a [u8],
}

/// One parsed TLV: its tag, content, and the whole encoding.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub full: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    pub fn read(&mut self) -> Option<Tlv<'a>> {
        let d = self.data;
        let tag = *d.first()?;
        let first = *d.get(1)?;
        let (len, hdr) = if first < 0x80 {
            (first as usize, 2)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 {
                return None;
            }
            let mut len = 0usize;
            for i in 0..n {
                len = (len << 8) | *d.get(2 + i)? as usize;
            }
            (len, 2 + n)
        };
        let end = hdr.checked_add(len)?;
        if end > d.len() {
            return None;
        }
        self.data = &d[end..];
        Some(Tlv { tag, content: &d[hdr..end], full: &d[..end] })
    }

    /// Reads a TLV that must have `tag`.
    pub fn expect(&mut self, tag: u8) -> Option<Tlv<'a>> {
        let t = self.read()?;
        (t.tag == tag).then_some(t)
    }
}

/// The content of an INTEGER as unsigned magnitude (leading zero dropped).
pub fn uint_content(content: &[u8]) -> &[u8] {
    match content {
        [0, rest @ ..] if !rest.is_empty() => rest,
        c => c,
    }
}

/// Go's `pem.EncodeToMemory` of one block without headers.
pub fn pem_encode(kind: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

/// Go's `pem.Decode`, as far as sprig needs it: the first block that decodes (its type and
/// bytes), headers skipped.
pub fn pem_decode(data: &str) -> Option<(String, Vec<u8>)> {
    let mut rest = data;
    loop {
        let start = if rest.starts_with("-----BEGIN ") { 0 } else { rest.find("\n-----BEGIN ")? + 1 };
        let after = &rest[start + "-----BEGIN ".len()..];
        let line_end = after.find('\n').unwrap_or(after.len());
        let line = after[..line_end].trim_end_matches(['\r', ' ', '\t']);
        let Some(kind) = line.strip_suffix("-----") else {
            rest = after;
            continue;
        };
        let body = &after[line_end.min(after.len())..];
        let end_marker = format!("-----END {kind}-----");
        let Some(end) = body.find(&end_marker) else {
            rest = after;
            continue;
        };
        let text: String = body[..end]
            .lines()
            .filter(|l| !l.contains(':'))
            .flat_map(|l| l.chars())
            .filter(|c| !c.is_whitespace())
            .collect();
        match base64::engine::general_purpose::STANDARD.decode(text) {
            Ok(bytes) => return Some((kind.to_string(), bytes)),
            Err(_) => rest = after,
        }
    }
}

//! The `format` assertions santhosh-tekuri/jsonschema v6 makes for drafts 4, 6 and 7 (2019-09
//! and 2020-12 treat `format` as an annotation, as Helm leaves them), with its messages:
//! `'bad' is not valid email: missing @`. Covered: ipv4, hostname, email, uuid, date, time,
//! date-time, duration, json-pointer; other formats are accepted.

/// Why `s` is not of `format`, or `None` when it is (or the format is not covered).
pub(super) fn check(format: &str, s: &str) -> Option<String> {
    match format {
        "ipv4" => ipv4(s),
        "hostname" => hostname(s),
        "email" => email(s),
        "uuid" => uuid(s),
        "date" => date(s),
        "time" => time(s),
        "date-time" => date_time(s),
        "duration" => duration(s),
        "json-pointer" => json_pointer(s),
        _ => None,
    }
}

fn ipv4(s: &str) -> Option<String> {
    let groups: Vec<&str> = s.split('.').collect();
    if groups.len() != 4 {
        return Some("expected four decimals".into());
    }
    for g in groups {
        if g.len() > 1 && g.starts_with('0') {
            return Some("leading zeros".into());
        }
        // Go's strconv.Atoi: an optional sign, then digits.
        let digits = g.strip_prefix(['+', '-']).unwrap_or(g);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Some(format!("strconv.Atoi: parsing {g:?}: invalid syntax"));
        }
        let n: i64 = g.parse().unwrap_or(i64::MAX);
        if !(0..=255).contains(&n) {
            return Some("decimal must be between 0 and 255".into());
        }
    }
    None
}

fn go_quote_rune(c: char) -> String {
    let s = serde_json::to_string(&c.to_string()).unwrap_or_default();
    format!("'{}'", &s[1..s.len() - 1].replace("\\\"", "\"").replace('\'', "\\'"))
}

fn hostname(s: &str) -> Option<String> {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.len() > 253 {
        return Some("more than 253 characters long".into());
    }
    for label in s.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Some("label must be 1 to 63 characters long".into());
        }
        if label.starts_with('-') {
            return Some("label starts with hyphen".into());
        }
        if label.ends_with('-') {
            return Some("label ends with hyphen".into());
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return Some(format!("invalid character {}", go_quote_rune(c)));
        }
    }
    None
}

fn email(s: &str) -> Option<String> {
    if s.len() > 254 {
        return Some("more than 255 characters long".into());
    }
    let Some(at) = s.rfind('@') else { return Some("missing @".into()) };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    if local.len() > 64 {
        return Some("local part more than 64 characters long".into());
    }
    if local.len() > 1 && local.starts_with('"') && local.ends_with('"') {
        let inner = &local[1..local.len() - 1];
        if inner.contains('\\') || inner.contains('"') {
            return Some("backslash and quote are not allowed within quoted local part".into());
        }
    } else {
        if local.starts_with('.') {
            return Some("starts with dot".into());
        }
        if local.ends_with('.') {
            return Some("ends with dot".into());
        }
        if local.contains("..") {
            return Some("consecutive dots".into());
        }
        if let Some(c) = local.chars().find(|c| !(c.is_ascii_alphanumeric() || ".!#$%&'*+-/=?^_`{|}~".contains(*c))) {
            return Some(format!("invalid character {}", go_quote_rune(c)));
        }
    }
    if domain.starts_with('[') && domain.ends_with(']') && domain.len() >= 2 {
        let inner = &domain[1..domain.len() - 1];
        if inner.starts_with("IPv6:") {
            return None;
        }
        return ipv4(inner).map(|e| format!("invalid ipv4 address: {e}"));
    }
    hostname(domain).map(|e| format!("invalid domain: {e}"))
}

fn uuid(s: &str) -> Option<String> {
    let sizes = [8, 4, 4, 4, 12];
    let groups: Vec<&str> = s.split('-').collect();
    if groups.len() != sizes.len() {
        return Some(format!("must have {} elements", sizes.len()));
    }
    for (i, g) in groups.iter().enumerate() {
        if g.len() != sizes[i] {
            return Some(format!("element {} must be {} characters long", i + 1, sizes[i]));
        }
        if let Some(c) = g.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Some(format!("non-hex character {}", go_quote_rune(c)));
        }
    }
    None
}

/// Go's `time.Parse("2006-01-02", s)`, with its first complaint.
fn date(s: &str) -> Option<String> {
    let bad = |rest: &str, elem: &str| {
        Some(format!("parsing time {s:?} as \"2006-01-02\": cannot parse {rest:?} as {elem:?}"))
    };
    let b = s.as_bytes();
    if b.len() < 4 || !b[..4].iter().all(u8::is_ascii_digit) {
        return bad(s, "2006");
    }
    if b.get(4) != Some(&b'-') {
        return bad(&s[4..], "-");
    }
    let two = |i: usize| b.len() >= i + 2 && b[i..i + 2].iter().all(u8::is_ascii_digit);
    if !two(5) {
        return bad(&s[5..], "01");
    }
    if b.get(7) != Some(&b'-') {
        return bad(&s[7..], "-");
    }
    if !two(8) {
        return bad(&s[8..], "02");
    }
    if b.len() > 10 {
        return Some(format!("parsing time {s:?}: extra text: {:?}", &s[10..]));
    }
    let year: i32 = s[..4].parse().unwrap_or(0);
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    if !(1..=12).contains(&month) {
        return Some(format!("parsing time {s:?}: month out of range"));
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month as usize - 1];
    if day < 1 || day > days {
        return Some(format!("parsing time {s:?}: day out of range"));
    }
    None
}

fn time(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 9 {
        return Some("less than 9 characters long".into());
    }
    if b[2] != b':' || b[5] != b':' {
        return Some("missing colon in correct place".into());
    }
    let mut hms = Vec::new();
    for tok in s[..8].splitn(3, ':') {
        let digits = tok.strip_prefix(['+', '-']).unwrap_or(tok);
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return Some("invalid hour/min/sec".into());
        }
        let n: i64 = tok.parse().unwrap_or(0);
        if n < 0 {
            return Some("non-positive hour/min/sec".into());
        }
        hms.push(n);
    }
    let (mut h, mut m, sec) = (hms[0], hms[1], hms[2]);
    if h > 23 || m > 59 || sec > 60 {
        return Some("hour/min/sec out of range".into());
    }
    let mut rest = &s[8..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Some("no digits in second fraction".into());
        }
        rest = &frac[n..];
    }
    if rest != "z" && rest != "Z" {
        if rest.len() != 6 {
            return Some("offset must be 6 characters long".into());
        }
        let sign = match rest.as_bytes()[0] {
            b'+' => -1,
            b'-' => 1,
            _ => return Some("offset must begin with plus/minus".into()),
        };
        let off = &rest[1..];
        if off.as_bytes()[2] != b':' {
            return Some("missing colon in offset in correct place".into());
        }
        let mut zhm = Vec::new();
        for tok in off.splitn(2, ':') {
            let digits = tok.strip_prefix(['+', '-']).unwrap_or(tok);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return Some("invalid hour/min in offset".into());
            }
            let n: i64 = tok.parse().unwrap_or(0);
            if n < 0 {
                return Some("non-positive hour/min in offset".into());
            }
            zhm.push(n);
        }
        if zhm[0] > 23 || zhm[1] > 59 {
            return Some("hour/min in offset out of range".into());
        }
        let mut hm = (h * 60 + m) + sign * (zhm[0] * 60 + zhm[1]);
        if hm < 0 {
            hm += 24 * 60;
        }
        h = hm / 60;
        m = hm % 60;
    }
    if sec >= 60 && (h != 23 || m != 59) {
        return Some("invalid leap second".into());
    }
    None
}

fn date_time(s: &str) -> Option<String> {
    if s.len() < 20 {
        return Some("less than 20 characters long".into());
    }
    let b = s.as_bytes();
    if b[10] != b't' && b[10] != b'T' {
        return Some("11th character must be t or T".into());
    }
    if !s.is_char_boundary(10) || !s.is_char_boundary(11) {
        return Some("11th character must be t or T".into());
    }
    if let Some(e) = date(&s[..10]) {
        return Some(format!("invalid date element: {e}"));
    }
    time(&s[11..]).map(|e| format!("invalid time element: {e}"))
}

fn duration(s: &str) -> Option<String> {
    let Some(s) = s.strip_prefix('P') else { return Some("must start with P".into()) };
    if s.is_empty() {
        return Some("nothing after P".into());
    }
    if let Some(w) = s.strip_suffix('W') {
        if w.is_empty() {
            return Some("no number in week".into());
        }
        if !w.bytes().all(|c| c.is_ascii_digit()) {
            return Some("invalid week".into());
        }
        return None;
    }
    let all = ["YMD", "HMS"];
    for (i, part) in s.split('T').enumerate() {
        if i != 0 && part.is_empty() {
            return Some("no time elements".into());
        }
        if i >= all.len() {
            return Some("more than one T".into());
        }
        let mut units = all[i];
        let mut rest = part;
        while !rest.is_empty() {
            let n = rest.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return Some("missing number".into());
            }
            rest = &rest[n..];
            let Some(unit) = rest.chars().next() else { return Some("missing unit".into()) };
            match units.find(unit) {
                Some(j) => units = &units[j + 1..],
                None if all[i].contains(unit) => return Some(format!("unit {} out of order", go_quote_rune(unit))),
                None => return Some(format!("invalid unit {}", go_quote_rune(unit))),
            }
            rest = &rest[unit.len_utf8()..];
        }
    }
    None
}

fn json_pointer(s: &str) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    if !s.starts_with('/') {
        return Some("not starting with /".into());
    }
    for tok in s.split('/').skip(1) {
        let mut escape = false;
        for c in tok.chars() {
            if escape {
                escape = false;
                if c != '0' && c != '1' {
                    return Some("~ must be followed by 0 or 1".into());
                }
                continue;
            }
            if c == '~' {
                escape = true;
                continue;
            }
            if c == '/' {
                return Some(format!("invalid character {}", go_quote_rune(c)));
            }
        }
        if escape {
            return Some("~ must be followed by 0 or 1".into());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_as_v6() {
        // Texts from Helm (render.py on draft-07 / draft-04 schemas).
        assert_eq!(check("email", "bad").as_deref(), Some("missing @"));
        assert_eq!(check("ipv4", "bad").as_deref(), Some("expected four decimals"));
        assert_eq!(check("email", "a@b.co"), None);
        assert_eq!(
            check("date-time", "2024-02-30T00:00:00Z").as_deref(),
            Some("invalid date element: parsing time \"2024-02-30\": day out of range")
        );
        assert_eq!(check("duration", "P1D"), None);
        assert_eq!(check("unknown-format", "x"), None);
    }
}

//! Go's `fmt` printer (`pp` and `fmt` of `fmt/print.go` and `fmt/format.go`), ported function
//! by function over [`Value`] instead of `reflect.Value`: the flags, width and precision, the
//! verb each kind accepts, the `%!verb(type=value)` forms for the others, and how lists and maps
//! print element by element with the same verb.
//!
//! Where Go reflects on an interface value, a [`Value`] already says what it is: an item of a
//! `[]interface {}` or `map[string]interface {}` that is nil prints `<nil>` (`interface {}(nil)`
//! under `%#v`), as Go's `reflect.Interface` case does.

use super::float::append_float;
use super::quote::{append_quoted, append_quoted_rune, can_backquote, is_print};
use crate::value::{FloatKind, GoType, Value};

const LDIGITS: &[u8; 17] = b"0123456789abcdefx";
const UDIGITS: &[u8; 17] = b"0123456789ABCDEFX";
const NIL_ANGLE: &str = "<nil>";

#[derive(Default, Clone, Copy)]
struct Flags {
    wid_present: bool,
    prec_present: bool,
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
}

/// One `Sprintf`/`Sprint` in progress, writing into the caller's `String`.
pub(crate) struct Printer<'a> {
    buf: &'a mut String,
    f: Flags,
    wid: usize,
    prec: usize,
    erroring: bool,
    reordered: bool,
    good_arg_num: bool,
    /// Reused for numbers, so that a long `printf` allocates once.
    num: Vec<u8>,
}

impl<'a> Printer<'a> {
    pub(crate) fn new(buf: &'a mut String) -> Printer<'a> {
        Printer {
            buf,
            f: Flags::default(),
            wid: 0,
            prec: 0,
            erroring: false,
            reordered: false,
            good_arg_num: true,
            num: Vec::new(),
        }
    }

    fn clear_flags(&mut self) {
        self.f = Flags::default();
        self.wid = 0;
        self.prec = 0;
    }

    // ---- fmt/format.go ----

    fn write_padding(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let pad = if self.f.zero && !self.f.minus { '0' } else { ' ' };
        self.buf.reserve(n);
        for _ in 0..n {
            self.buf.push(pad);
        }
    }

    /// `pad`/`padString`: width counts runes.
    fn pad(&mut self, s: &str) {
        if !self.f.wid_present || self.wid == 0 {
            self.buf.push_str(s);
            return;
        }
        let width = self.wid.saturating_sub(s.chars().count());
        if !self.f.minus {
            self.write_padding(width);
            self.buf.push_str(s);
        } else {
            self.buf.push_str(s);
            self.write_padding(width);
        }
    }

    /// `pad` of ASCII bytes (numbers).
    fn pad_ascii(&mut self, s: &[u8]) {
        let width = if self.f.wid_present { self.wid.saturating_sub(s.len()) } else { 0 };
        if !self.f.minus {
            self.write_padding(width);
            push_ascii(self.buf, s);
        } else {
            push_ascii(self.buf, s);
            self.write_padding(width);
        }
    }

    fn fmt_boolean(&mut self, v: bool) {
        self.pad(if v { "true" } else { "false" });
    }

    fn fmt_unicode(&mut self, u: u64) {
        let mut prec = 4usize;
        if self.f.prec_present && self.prec > 4 {
            prec = self.prec;
        }
        let mut hex = [0u8; 16];
        let mut n = 0;
        let mut v = u;
        loop {
            hex[n] = UDIGITS[(v & 0xF) as usize];
            n += 1;
            v >>= 4;
            if v == 0 {
                break;
            }
        }
        let mut s = String::with_capacity(prec + 12);
        s.push_str("U+");
        for _ in n..prec {
            s.push('0');
        }
        for i in (0..n).rev() {
            s.push(hex[i] as char);
        }
        if let Some(c) =
            u32::try_from(u).ok().filter(|&r| self.f.sharp && r <= 0x10FFFF && is_print(r)).and_then(char::from_u32)
        {
            s.push_str(" '");
            s.push(c);
            s.push('\'');
        }
        let old_zero = self.f.zero;
        self.f.zero = false;
        self.pad(&s);
        self.f.zero = old_zero;
    }

    /// `fmtInteger`: `u` in `base`, with precision or zero padding, `#` prefixes and sign.
    fn fmt_integer(&mut self, u: u64, base: u64, is_signed: bool, verb: char, digits: &[u8; 17]) {
        let negative = is_signed && (u as i64) < 0;
        let mut u = if negative { (u as i64).wrapping_neg() as u64 } else { u };
        let mut prec = 0usize;
        if self.f.prec_present {
            prec = self.prec;
            if prec == 0 && u == 0 {
                let old_zero = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.wid);
                self.f.zero = old_zero;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid_present {
            prec = self.wid;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        let mut tmp = [0u8; 64];
        let mut i = tmp.len();
        match base {
            10 => {
                while u >= 10 {
                    i -= 1;
                    tmp[i] = b'0' + (u % 10) as u8;
                    u /= 10;
                }
            }
            16 => {
                while u >= 16 {
                    i -= 1;
                    tmp[i] = digits[(u & 0xF) as usize];
                    u >>= 4;
                }
            }
            8 => {
                while u >= 8 {
                    i -= 1;
                    tmp[i] = b'0' + (u & 7) as u8;
                    u >>= 3;
                }
            }
            _ => {
                while u >= 2 {
                    i -= 1;
                    tmp[i] = b'0' + (u & 1) as u8;
                    u >>= 1;
                }
            }
        }
        i -= 1;
        tmp[i] = digits[u as usize];
        let body = &tmp[i..];
        let zeros = prec.saturating_sub(body.len());

        let mut prefix = [0u8; 5];
        let mut np = 0;
        if negative {
            prefix[np] = b'-';
            np += 1;
        } else if self.f.plus {
            prefix[np] = b'+';
            np += 1;
        } else if self.f.space {
            prefix[np] = b' ';
            np += 1;
        }
        if verb == 'O' {
            prefix[np] = b'0';
            prefix[np + 1] = b'o';
            np += 2;
        }
        if self.f.sharp {
            match base {
                2 => {
                    prefix[np] = b'0';
                    prefix[np + 1] = b'b';
                    np += 2;
                }
                8 if zeros == 0 && body[0] != b'0' => {
                    prefix[np] = b'0';
                    np += 1;
                }
                16 => {
                    prefix[np] = b'0';
                    prefix[np + 1] = digits[16];
                    np += 2;
                }
                _ => {}
            }
        }
        let total = np + zeros + body.len();
        let width = if self.f.wid_present { self.wid.saturating_sub(total) } else { 0 };
        // Zero padding was turned into precision above; what is left pads with spaces.
        if !self.f.minus {
            push_spaces(self.buf, width);
        }
        push_ascii(self.buf, &prefix[..np]);
        for _ in 0..zeros {
            self.buf.push('0');
        }
        push_ascii(self.buf, body);
        if self.f.minus {
            push_spaces(self.buf, width);
        }
    }

    fn truncate<'s>(&self, s: &'s str) -> &'s str {
        if let Some((i, _)) = s.char_indices().nth(self.prec).filter(|_| self.f.prec_present) {
            return &s[..i];
        }
        s
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate(s);
        self.pad(s);
    }

    /// `fmtSbx`: hexadecimal of a string's or byte slice's bytes.
    fn fmt_sbx(&mut self, b: &[u8], digits: &[u8; 17]) {
        let mut length = b.len();
        if self.f.prec_present && self.prec < length {
            length = self.prec;
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if self.f.wid_present {
                self.write_padding(self.wid);
            }
            return;
        }
        if self.f.wid_present && self.wid > width && !self.f.minus {
            self.write_padding(self.wid - width);
        }
        self.buf.reserve(width);
        if self.f.sharp {
            self.buf.push('0');
            self.buf.push(digits[16] as char);
        }
        for (i, &c) in b[..length].iter().enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push('0');
                    self.buf.push(digits[16] as char);
                }
            }
            self.buf.push(digits[(c >> 4) as usize] as char);
            self.buf.push(digits[(c & 0xF) as usize] as char);
        }
        if self.f.wid_present && self.wid > width && self.f.minus {
            self.write_padding(self.wid - width);
        }
    }

    /// `fmtQ`: a double-quoted Go string, or backquoted under `#` when possible.
    fn fmt_q(&mut self, s: &[u8]) {
        let s = match std::str::from_utf8(s) {
            Ok(text) => self.truncate(text).as_bytes(),
            Err(_) => truncate_bytes(s, if self.f.prec_present { Some(self.prec) } else { None }),
        };
        if self.f.sharp && can_backquote(s) {
            let mut q = String::with_capacity(s.len() + 2);
            q.push('`');
            q.push_str(&String::from_utf8_lossy(s));
            q.push('`');
            self.pad(&q);
            return;
        }
        let mut q = String::with_capacity(s.len() + 2);
        append_quoted(&mut q, s, self.f.plus);
        self.pad(&q);
    }

    fn fmt_c(&mut self, c: u64) {
        let ch = u32::try_from(c).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}');
        let mut tmp = [0u8; 4];
        let s: &str = ch.encode_utf8(&mut tmp);
        self.pad(s);
    }

    fn fmt_qc(&mut self, c: u64) {
        let mut q = String::with_capacity(8);
        append_quoted_rune(&mut q, c, self.f.plus);
        self.pad(&q);
    }

    /// `fmtFloat`: strconv's digits, then sign, `#` and zero padding as Go adds them.
    fn fmt_float(&mut self, v: f64, size: u32, verb: u8, prec: i32) {
        let f = self.f;
        if verb == b'g' && prec == -1 && !(f.prec_present || f.wid_present || f.plus || f.space || f.sharp) {
            // `%v` without flags (every float in a printed list or map): no scratch buffer.
            super::float::write_shortest_g(self.buf, v, size);
            return;
        }
        let prec = if self.f.prec_present { self.prec as i32 } else { prec };
        let mut num = std::mem::take(&mut self.num);
        num.clear();
        num.push(b'+');
        append_float(&mut num, v, verb, prec, size);
        let mut start = 0;
        if num[1] == b'-' || num[1] == b'+' {
            start = 1;
        }
        if self.f.space && num[start] == b'+' && !self.f.plus {
            num[start] = b' ';
        }
        if num[start + 1] == b'I' || num[start + 1] == b'N' {
            let old_zero = self.f.zero;
            self.f.zero = false;
            if num[start + 1] == b'N' && !self.f.space && !self.f.plus {
                start += 1;
            }
            self.pad_ascii(&num[start..]);
            self.f.zero = old_zero;
            self.num = num;
            return;
        }
        if self.f.sharp && verb != b'b' {
            let mut digits: i32 = 0;
            if matches!(verb, b'v' | b'g' | b'G' | b'x') {
                digits = if prec == -1 { 6 } else { prec };
            }
            let mut tail: Vec<u8> = Vec::new();
            let mut has_decimal_point = false;
            let mut saw_nonzero = false;
            let mut i = start + 1;
            while i < num.len() {
                match num[i] {
                    b'.' => has_decimal_point = true,
                    b'p' | b'P' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    b'e' | b'E' if verb != b'x' && verb != b'X' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    c => {
                        if c != b'0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_decimal_point {
                if num.len() - start == 2 && num[start + 1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        let body = &num[start..];
        if self.f.plus || body[0] != b'+' {
            if self.f.zero && !self.f.minus && self.f.wid_present && self.wid > body.len() {
                self.buf.push(body[0] as char);
                self.write_padding(self.wid - body.len());
                push_ascii(self.buf, &body[1..]);
            } else {
                self.pad_ascii(body);
            }
        } else {
            self.pad_ascii(&body[1..]);
        }
        self.num = num;
    }

    // ---- fmt/print.go ----

    /// `badVerb`: `%!verb(type=value)`, or `%!verb(<nil>)`.
    fn bad_verb(&mut self, value: &Value, verb: char) {
        self.erroring = true;
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        if value.is_nil() {
            self.buf.push_str(NIL_ANGLE);
        } else {
            self.buf.push_str(&value.type_name());
            self.buf.push('=');
            self.print_arg(value, 'v');
        }
        self.buf.push(')');
        self.erroring = false;
    }

    /// `badVerb` of a map key (a string that is not a `Value`).
    fn bad_verb_str(&mut self, s: &str, verb: char) {
        self.erroring = true;
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push_str("(string=");
        self.fmt_string_v(s, 'v');
        self.buf.push(')');
        self.erroring = false;
    }

    fn fmt_bool(&mut self, value: &Value, v: bool, verb: char) {
        match verb {
            't' | 'v' => self.fmt_boolean(v),
            _ => self.bad_verb(value, verb),
        }
    }

    fn fmt_0x64(&mut self, v: u64, leading0x: bool) {
        let sharp = self.f.sharp;
        self.f.sharp = leading0x;
        self.fmt_integer(v, 16, false, 'v', LDIGITS);
        self.f.sharp = sharp;
    }

    fn fmt_int(&mut self, value: &Value, v: u64, is_signed: bool, verb: char) {
        match verb {
            'v' => {
                if self.f.sharp_v && !is_signed {
                    self.fmt_0x64(v, true);
                } else {
                    self.fmt_integer(v, 10, is_signed, verb, LDIGITS);
                }
            }
            'd' => self.fmt_integer(v, 10, is_signed, verb, LDIGITS),
            'b' => self.fmt_integer(v, 2, is_signed, verb, LDIGITS),
            'o' | 'O' => self.fmt_integer(v, 8, is_signed, verb, LDIGITS),
            'x' => self.fmt_integer(v, 16, is_signed, verb, LDIGITS),
            'X' => self.fmt_integer(v, 16, is_signed, verb, UDIGITS),
            'c' => self.fmt_c(v),
            'q' => self.fmt_qc(v),
            'U' => self.fmt_unicode(v),
            _ => self.bad_verb(value, verb),
        }
    }

    fn fmt_float_verb(&mut self, value: &Value, v: f64, size: u32, verb: char) {
        match verb {
            'v' => self.fmt_float(v, size, b'g', -1),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float(v, size, verb as u8, -1),
            'f' | 'e' | 'E' => self.fmt_float(v, size, verb as u8, 6),
            'F' => self.fmt_float(v, size, b'f', 6),
            _ => self.bad_verb(value, verb),
        }
    }

    /// `fmtString` for the verbs a string accepts; `false` for the others.
    fn fmt_string_v(&mut self, s: &str, verb: char) -> bool {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(s.as_bytes());
                } else {
                    self.fmt_s(s);
                }
            }
            's' => self.fmt_s(s),
            'x' => self.fmt_sbx(s.as_bytes(), LDIGITS),
            'X' => self.fmt_sbx(s.as_bytes(), UDIGITS),
            'q' => self.fmt_q(s.as_bytes()),
            _ => return false,
        }
        true
    }

    fn fmt_string(&mut self, value: &Value, s: &str, verb: char) {
        if !self.fmt_string_v(s, verb) {
            self.bad_verb(value, verb);
        }
    }

    /// `fmtBytes`: `[]byte` prints as a list of numbers for `%v`/`%d`, as text for `%s`/`%q`,
    /// as hex for `%x`; `type_string` is what `%#v` names (`[]byte` at the top, `[]uint8`
    /// inside a list).
    fn fmt_bytes(&mut self, v: &[u8], verb: char, type_string: &str) {
        match verb {
            'v' | 'd' => {
                if self.f.sharp_v {
                    self.buf.push_str(type_string);
                    self.buf.push('{');
                    for (i, &c) in v.iter().enumerate() {
                        if i > 0 {
                            self.buf.push_str(", ");
                        }
                        self.fmt_0x64(u64::from(c), true);
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (i, &c) in v.iter().enumerate() {
                        if i > 0 {
                            self.buf.push(' ');
                        }
                        self.fmt_integer(u64::from(c), 10, false, verb, LDIGITS);
                    }
                    self.buf.push(']');
                }
            }
            's' => {
                let text = String::from_utf8_lossy(v);
                self.fmt_s(&text);
            }
            'x' => self.fmt_sbx(v, LDIGITS),
            'X' => self.fmt_sbx(v, UDIGITS),
            'q' => self.fmt_q(v),
            _ => {
                // printValue of the slice: each byte as a uint8 with the verb.
                let sharp_v = self.f.sharp_v;
                self.buf.push_str(if sharp_v { "[]uint8{" } else { "[" });
                for (i, &c) in v.iter().enumerate() {
                    if i > 0 {
                        self.buf.push_str(if sharp_v { ", " } else { " " });
                    }
                    self.print_value(&Value::Uint(u64::from(c), crate::value::UintKind::Uint8), verb, 1);
                }
                self.buf.push(if sharp_v { '}' } else { ']' });
            }
        }
    }

    /// `fmtPointer`: lists, maps and byte slices are references in Go and print their address
    /// under `%p`; here the address of the shared items.
    fn fmt_pointer(&mut self, value: &Value, verb: char) {
        let u = match value {
            Value::List(l) => std::sync::Arc::as_ptr(&l.items) as *const u8 as usize as u64,
            Value::Map(m) => std::sync::Arc::as_ptr(&m.entries()) as *const u8 as usize as u64,
            Value::Bytes(b) => b.as_ptr() as usize as u64,
            Value::Object(o) if o.type_name().starts_with('*') => {
                std::sync::Arc::as_ptr(o) as *const u8 as usize as u64
            }
            _ => {
                self.bad_verb(value, verb);
                return;
            }
        };
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.buf.push('(');
                    self.buf.push_str(&value.type_name());
                    self.buf.push_str(")(");
                    self.fmt_0x64(u, true);
                    self.buf.push(')');
                } else {
                    self.fmt_0x64(u, !self.f.sharp);
                }
            }
            'p' => self.fmt_0x64(u, !self.f.sharp),
            'b' | 'o' | 'd' | 'x' | 'X' => self.fmt_int(value, u, false, verb),
            _ => self.bad_verb(value, verb),
        }
    }

    /// `handleMethods` for an [`crate::Object`]: its `format()` plays Go's `String()` for the
    /// verbs that accept a string.
    fn handle_methods(&mut self, value: &Value, verb: char) -> bool {
        if self.erroring {
            return false;
        }
        if verb == 'w' {
            self.bad_verb(value, verb);
            return true;
        }
        if let Value::Object(o) = value {
            if self.f.sharp_v {
                // Go prints the struct's Go syntax; the object only knows its String().
                let text = o.format();
                self.fmt_s(&text);
                return true;
            }
            if matches!(verb, 'v' | 's' | 'x' | 'X' | 'q') {
                let text = o.format();
                self.fmt_string(value, &text, verb);
                return true;
            }
        }
        false
    }

    /// `printArg`: one top-level operand.
    pub(crate) fn print_arg(&mut self, arg: &Value, verb: char) {
        if arg.is_nil() {
            match verb {
                'T' | 'v' => self.pad(NIL_ANGLE),
                _ => self.bad_verb(arg, verb),
            }
            return;
        }
        match verb {
            'T' => {
                let name = arg.type_name();
                self.fmt_s(&name);
                return;
            }
            'p' => {
                self.fmt_pointer(arg, 'p');
                return;
            }
            _ => {}
        }
        match arg {
            Value::Bool(b) => self.fmt_bool(arg, *b, verb),
            Value::Int(v, _) => self.fmt_int(arg, *v as u64, true, verb),
            Value::Uint(v, _) => self.fmt_int(arg, *v, false, verb),
            Value::Float(v, k) => self.fmt_float_verb(arg, *v, float_bits(*k), verb),
            Value::String(s) => self.fmt_string(arg, s, verb),
            Value::Bytes(b) => self.fmt_bytes(b, verb, "[]byte"),
            _ => {
                if !self.handle_methods(arg, verb) {
                    self.print_value(arg, verb, 0);
                }
            }
        }
    }

    /// `printValue`: a value inside a list or map (`depth > 0`), or a composite at the top.
    fn print_value(&mut self, value: &Value, verb: char, depth: usize) {
        if depth > crate::value::MAX_NESTING {
            // A map that contains itself (sprig's `set $d "k" $d`): Go recurses until its stack
            // limit kills the process; we stop and say so.
            self.buf.push_str("<nested too deep>");
            return;
        }
        if depth > 0 && !value.is_nil() && self.handle_methods(value, verb) {
            return;
        }
        match value {
            Value::Missing | Value::Nil => {
                // A nil interface inside a list or map.
                if self.f.sharp_v {
                    self.buf.push_str("interface {}(nil)");
                } else {
                    self.buf.push_str(NIL_ANGLE);
                }
            }
            Value::Bool(b) => self.fmt_bool(value, *b, verb),
            Value::Int(v, _) => self.fmt_int(value, *v as u64, true, verb),
            Value::Uint(v, _) => self.fmt_int(value, *v, false, verb),
            Value::Float(v, k) => self.fmt_float_verb(value, *v, float_bits(*k), verb),
            Value::String(s) => self.fmt_string(value, s, verb),
            Value::Bytes(b) => {
                if matches!(verb, 's' | 'q' | 'x' | 'X') || !self.f.sharp_v {
                    self.fmt_bytes(b, verb, "[]uint8");
                } else {
                    self.fmt_bytes(b, 'v', "[]uint8");
                }
            }
            Value::Map(m) => {
                if self.f.sharp_v {
                    self.buf.push_str("map[string]");
                    self.buf.push_str(&m.elem.name());
                    self.buf.push('{');
                } else {
                    self.buf.push_str("map[");
                }
                let entries = m.entries();
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        if self.f.sharp_v {
                            self.buf.push_str(", ");
                        } else {
                            self.buf.push(' ');
                        }
                    }
                    if !self.fmt_string_v(k, verb) {
                        self.bad_verb_str(k, verb);
                    }
                    self.buf.push(':');
                    self.print_elem(v, &m.elem, verb, depth + 1);
                }
                self.buf.push(if self.f.sharp_v { '}' } else { ']' });
            }
            Value::List(l) => {
                if self.f.sharp_v && l.nil {
                    self.buf.push_str("[]");
                    self.buf.push_str(&l.elem.name());
                    self.buf.push_str("(nil)");
                } else if self.f.sharp_v {
                    self.buf.push_str("[]");
                    self.buf.push_str(&l.elem.name());
                    self.buf.push('{');
                    for (i, item) in l.items.iter().enumerate() {
                        if i > 0 {
                            self.buf.push_str(", ");
                        }
                        self.print_elem(item, &l.elem, verb, depth + 1);
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (i, item) in l.items.iter().enumerate() {
                        if i > 0 {
                            self.buf.push(' ');
                        }
                        self.print_elem(item, &l.elem, verb, depth + 1);
                    }
                    self.buf.push(']');
                }
            }
            Value::Object(o) => {
                // No String() for this verb: Go would print the struct's fields.
                if verb == 'v' || verb == 's' {
                    let text = o.format();
                    self.fmt_s(&text);
                } else {
                    self.bad_verb(value, verb);
                }
            }
        }
    }

    /// An element of a list or map whose element type is `elem`: a nil element of a typed
    /// list or map prints as that type's nil.
    fn print_elem(&mut self, item: &Value, elem: &GoType, verb: char, depth: usize) {
        if item.is_nil() && *elem != GoType::Any {
            match elem {
                GoType::Map(_) if !self.f.sharp_v => self.buf.push_str("map[]"),
                GoType::Slice(_) | GoType::Bytes if !self.f.sharp_v => self.buf.push_str("[]"),
                _ if self.f.sharp_v => {
                    self.buf.push_str(&elem.name());
                    self.buf.push_str("(nil)");
                }
                _ => self.buf.push_str(NIL_ANGLE),
            }
            return;
        }
        self.print_value(item, verb, depth);
    }

    // ---- doPrintf ----

    /// `doPrintf`.
    pub(crate) fn do_printf(&mut self, format: &str, a: &[Value]) {
        let fb = format.as_bytes();
        let end = fb.len();
        let mut arg_num = 0usize;
        let mut after_index;
        self.reordered = false;
        let mut i = 0usize;
        'format_loop: while i < end {
            self.good_arg_num = true;
            let lasti = i;
            while i < end && fb[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.push_str(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.clear_flags();
            'simple: while i < end {
                let c = fb[i];
                match c {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = true,
                    b'+' => self.f.plus = true,
                    b'-' => self.f.minus = true,
                    b' ' => self.f.space = true,
                    _ => {
                        if c.is_ascii_lowercase() && arg_num < a.len() {
                            if c == b'v' || c == b'w' {
                                self.f.sharp_v = self.f.sharp;
                                self.f.sharp = false;
                                self.f.plus_v = self.f.plus;
                                self.f.plus = false;
                            }
                            self.print_arg(&a[arg_num], c as char);
                            arg_num += 1;
                            i += 1;
                            continue 'format_loop;
                        }
                        break 'simple;
                    }
                }
                i += 1;
            }

            (arg_num, i, after_index) = self.arg_number(arg_num, format, i, a.len());

            if i < end && fb[i] == b'*' {
                i += 1;
                let (num, is_int, next) = int_from_arg(a, arg_num);
                arg_num = next;
                self.f.wid_present = is_int;
                if !is_int {
                    self.buf.push_str("%!(BADWIDTH)");
                }
                if num < 0 {
                    self.wid = num.unsigned_abs() as usize;
                    self.f.minus = true;
                    self.f.zero = false;
                } else {
                    self.wid = num as usize;
                }
                after_index = false;
            } else {
                let (num, is_num, next) = parsenum(fb, i, end);
                self.wid = num;
                self.f.wid_present = is_num;
                i = next;
                if after_index && self.f.wid_present {
                    self.good_arg_num = false;
                }
            }

            if i + 1 < end && fb[i] == b'.' {
                i += 1;
                if after_index {
                    self.good_arg_num = false;
                }
                (arg_num, i, after_index) = self.arg_number(arg_num, format, i, a.len());
                if i < end && fb[i] == b'*' {
                    i += 1;
                    let (num, is_int, next) = int_from_arg(a, arg_num);
                    arg_num = next;
                    self.f.prec_present = is_int;
                    if num < 0 {
                        self.prec = 0;
                        self.f.prec_present = false;
                    } else {
                        self.prec = num as usize;
                    }
                    if !self.f.prec_present {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (num, is_num, next) = parsenum(fb, i, end);
                    i = next;
                    self.prec = num;
                    self.f.prec_present = true;
                    if !is_num {
                        self.prec = 0;
                    }
                }
            }

            if !after_index {
                (arg_num, i, _) = self.arg_number(arg_num, format, i, a.len());
            }

            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }

            let verb = format[i..].chars().next().unwrap_or('%');
            i += verb.len_utf8();

            if verb == '%' {
                self.buf.push('%');
            } else if !self.good_arg_num {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(BADINDEX)");
            } else if arg_num >= a.len() {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(MISSING)");
            } else {
                if verb == 'v' || verb == 'w' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(&a[arg_num], verb);
                arg_num += 1;
            }
        }

        if !self.reordered && arg_num < a.len() {
            self.clear_flags();
            self.buf.push_str("%!(EXTRA ");
            for (i, arg) in a[arg_num..].iter().enumerate() {
                if i > 0 {
                    self.buf.push_str(", ");
                }
                if arg.is_nil() {
                    self.buf.push_str(NIL_ANGLE);
                } else {
                    self.buf.push_str(&arg.type_name());
                    self.buf.push('=');
                    self.print_arg(arg, 'v');
                }
            }
            self.buf.push(')');
        }
    }

    /// `argNumber`: an explicit `[n]` argument index at `format[i..]`.
    fn arg_number(&mut self, arg_num: usize, format: &str, i: usize, num_args: usize) -> (usize, usize, bool) {
        let fb = format.as_bytes();
        if fb.len() <= i || fb[i] != b'[' {
            return (arg_num, i, false);
        }
        self.reordered = true;
        let (index, wid, ok) = parse_arg_number(&fb[i..]);
        if ok && index >= 0 && (index as usize) < num_args {
            return (index as usize, i + wid, true);
        }
        self.good_arg_num = false;
        (arg_num, i + wid, ok)
    }
}

fn float_bits(k: FloatKind) -> u32 {
    match k {
        FloatKind::Float32 => 32,
        FloatKind::Float64 => 64,
    }
}

fn push_ascii(buf: &mut String, s: &[u8]) {
    for &c in s {
        buf.push(c as char);
    }
}

fn push_spaces(buf: &mut String, n: usize) {
    for _ in 0..n {
        buf.push(' ');
    }
}

/// Go's `truncate` of bytes that are not valid UTF-8: precision counts runes, a bad byte one.
fn truncate_bytes(b: &[u8], prec: Option<usize>) -> &[u8] {
    let Some(mut n) = prec else {
        return b;
    };
    let mut i = 0;
    while i < b.len() {
        if n == 0 {
            return &b[..i];
        }
        n -= 1;
        i += utf8_width(&b[i..]);
    }
    b
}

/// The width of the rune at the start of `b` as Go's `utf8.DecodeRune` decodes it (1 for an
/// invalid byte).
fn utf8_width(b: &[u8]) -> usize {
    let want = match b[0] {
        0x00..=0x7f => return 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return 1,
    };
    match b.get(..want).map(std::str::from_utf8) {
        Some(Ok(_)) => want,
        _ => 1,
    }
}

/// `tooLarge`: widths and precisions beyond ±1e6 are errors.
fn too_large(x: i64) -> bool {
    !(-1_000_000..=1_000_000).contains(&x)
}

/// `parsenum`: a decimal number in `s[start..end]` (`(0, false, end)` on overflow).
fn parsenum(s: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num: i64 = 0;
    let mut isnum = false;
    let mut newi = start;
    while newi < end && s[newi].is_ascii_digit() {
        if too_large(num) {
            return (0, false, end);
        }
        num = num * 10 + i64::from(s[newi] - b'0');
        isnum = true;
        newi += 1;
    }
    (num as usize, isnum, newi)
}

/// `parseArgNumber`: `[n]` at the start of `format` → (n-1, bytes consumed, ok).
fn parse_arg_number(format: &[u8]) -> (i64, usize, bool) {
    if format.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..format.len() {
        if format[i] == b']' {
            let (width, ok, newi) = parsenum(format, 1, i);
            if !ok || newi != i {
                return (0, i + 1, false);
            }
            return (width as i64 - 1, i + 1, true);
        }
    }
    (0, 1, false)
}

/// `intFromArg`: the `*` width or precision from argument `arg_num`.
fn int_from_arg(a: &[Value], arg_num: usize) -> (i64, bool, usize) {
    let mut new_arg_num = arg_num;
    let mut num = 0i64;
    let mut is_int = false;
    if let Some(arg) = a.get(arg_num) {
        match arg {
            Value::Int(v, _) => {
                num = *v;
                is_int = true;
            }
            Value::Uint(v, _) => {
                if let Ok(v) = i64::try_from(*v) {
                    num = v;
                    is_int = true;
                }
            }
            _ => {}
        }
        new_arg_num = arg_num + 1;
        if too_large(num) {
            num = 0;
            is_int = false;
        }
    }
    (num, is_int, new_arg_num)
}

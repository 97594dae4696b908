//! sprig's random functions: `randAlphaNum`, `randAlpha`, `randAscii`, `randNumeric` (goutils'
//! `CryptoRandom*`), `randInt`, `shuffle` (xstrings), `uuidv4`; and `fail`, registered from
//! here (it has no family of its own).
//!
//! The alphabets are goutils': letters and digits are drawn from `' '..='z'` and kept if
//! ASCII letters / digits, ASCII from 32..=126. A negative count is goutils' error, which
//! sprig drops: the result is "".

use rand::Rng;

use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::{GoType, Value};

/// A count beyond which we refuse rather than allocate (Go would try; a template asking for
/// a gigabyte of random text is a runaway, not a use).
const MAX_COUNT: i64 = 64 << 20;

fn checked_count(count: i64) -> Result<usize, FuncError> {
    if count > MAX_COUNT {
        return Err(FuncError::new(format!("random string length {count} is too large")));
    }
    Ok(count.max(0) as usize)
}

/// goutils' `CryptoRandom(count, 0, 0, letters, numbers)` and `CryptoRandomAscii`.
fn random_string(count: i64, alphabet: &[u8]) -> Result<String, FuncError> {
    let n = checked_count(count)?;
    let mut rng = rand::rng();
    Ok((0..n).map(|_| alphabet[rng.random_range(0..alphabet.len())] as char).collect())
}

const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ALPHANUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const NUMERIC: &[u8] = b"0123456789";

fn ascii() -> Vec<u8> {
    (32u8..=126).collect()
}

/// xstrings' `Shuffle`: a Fisher-Yates shuffle of the runes.
fn shuffle(s: &str) -> String {
    let mut runes: Vec<char> = s.chars().collect();
    let mut rng = rand::rng();
    for i in (1..runes.len()).rev() {
        let j = rng.random_range(0..=i);
        runes.swap(i, j);
    }
    runes.into_iter().collect()
}

pub(super) fn register(map: &mut FuncMap) {
    super::fail::register(map);
    map.add("randAlphaNum", vec![GoType::INT], |_, a| Ok(Value::string(random_string(a.int_arg(0)?, ALPHANUM)?)));
    map.add("randAlpha", vec![GoType::INT], |_, a| Ok(Value::string(random_string(a.int_arg(0)?, ALPHA)?)));
    map.add("randNumeric", vec![GoType::INT], |_, a| Ok(Value::string(random_string(a.int_arg(0)?, NUMERIC)?)));
    map.add("randAscii", vec![GoType::INT], |_, a| Ok(Value::string(random_string(a.int_arg(0)?, &ascii())?)));
    // sprig: `func(min, max int) int { return rand.Intn(max-min) + min }`; Intn panics on
    // n <= 0, which the template reports as an error.
    map.add("randInt", vec![GoType::INT, GoType::INT], |_, a| {
        let (min, max) = (a.int_arg(0)?, a.int_arg(1)?);
        let n = max.wrapping_sub(min);
        if n <= 0 {
            return Err(FuncError::new("invalid argument to Intn"));
        }
        Ok(Value::int(rand::rng().random_range(0..n).wrapping_add(min)))
    });
    map.add("shuffle", vec![GoType::String], |_, a| Ok(Value::string(shuffle(a.str_arg(0)?))));
    map.add("uuidv4", vec![], |_, _| Ok(Value::string(uuid::Uuid::new_v4().to_string())));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn funcs() -> FuncMap {
        let mut map = FuncMap::new();
        register(&mut map);
        map
    }

    fn string(map: &FuncMap, name: &str, args: &[Value]) -> String {
        map.call(name, args).unwrap().as_str().unwrap().to_string()
    }

    #[test]
    fn random_strings_have_goutils_alphabets() {
        let map = funcs();
        type Allowed = fn(char) -> bool;
        let cases: [(&str, Allowed); 4] = [
            ("randAlphaNum", |c| c.is_ascii_alphanumeric()),
            ("randAlpha", |c| c.is_ascii_alphabetic()),
            ("randNumeric", |c| c.is_ascii_digit()),
            ("randAscii", |c| (' '..='~').contains(&c)),
        ];
        for (name, allowed) in cases {
            let s = string(&map, name, &[Value::int(2000)]);
            assert_eq!(s.chars().count(), 2000, "{name}");
            assert!(s.chars().all(allowed), "{name}: {s}");
            // 2000 draws cover a small alphabet: every digit shows up.
            if name == "randNumeric" {
                assert!(('0'..='9').all(|d| s.contains(d)));
            }
            assert_eq!(string(&map, name, &[Value::int(0)]), "");
            assert_eq!(string(&map, name, &[Value::int(-3)]), "");
        }
    }

    #[test]
    fn rand_int_is_in_range_and_errs_like_intn() {
        let map = funcs();
        for _ in 0..200 {
            let Value::Int(v, _) = map.call("randInt", &[Value::int(-3), Value::int(4)]).unwrap() else { panic!() };
            assert!((-3..4).contains(&v));
        }
        assert_eq!(map.call("randInt", &[Value::int(5), Value::int(5)]).unwrap_err().0, "invalid argument to Intn");
    }

    #[test]
    fn shuffle_permutes_runes_and_uuids_are_v4() {
        let map = funcs();
        let s = string(&map, "shuffle", &[Value::string("héllo wörld")]);
        let mut a: Vec<char> = s.chars().collect();
        let mut b: Vec<char> = "héllo wörld".chars().collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        let u = string(&map, "uuidv4", &[]);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, string(&map, "uuidv4", &[]));
    }
}

/// Whole templates through the engine, with the output (`OK …`) or error (`ERR …`) that Go's
/// text/template + sprig 3.2.3 gave for each (from a Go probe program).
#[cfg(test)]
mod render_tests {
    const CASES: &[(&str, &str)] = &[
        (
            "{{ fail \"stop here\" }}",
            "ERR template: t:1:3: executing \"t\" at <fail \"stop here\">: error calling fail: stop here",
        ),
        (
            "{{ randInt 3 3 }}",
            "ERR template: t:1:3: executing \"t\" at <randInt 3 3>: error calling randInt: invalid argument to Intn",
        ),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(CASES);
    }
}

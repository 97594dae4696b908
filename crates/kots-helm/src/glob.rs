//! `.Files.Glob` patterns as Helm matches them (gobwas/glob with `/` as the separator): `*`
//! and `?` stay within a path segment, `**` crosses segments, `[abc]`, `[!a-z]` and `{a,b}`
//! alternatives, `\` escapes the next character.

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Glob {
    tokens: Vec<Token>,
}

#[derive(Debug, Clone)]
enum Token {
    Literal(char),
    /// `?`: one character but `/`.
    One,
    /// `*`: any run without `/`.
    Star,
    /// `**`: any run.
    SuperStar,
    /// `[…]`: (negated, ranges).
    Class(bool, Vec<(char, char)>),
    /// `{a,b}`: any of these patterns.
    Any(Vec<Vec<Token>>),
}

impl Glob {
    pub fn new(pattern: &str) -> Result<Glob, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let (tokens, rest) = parse(&chars, 0, false).map_err(|e| format!("glob `{pattern}`: {e}"))?;
        if rest != chars.len() {
            return Err(format!("glob `{pattern}`: unexpected `{}`", chars[rest]));
        }
        Ok(Glob { tokens })
    }

    pub fn matches(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        matches(&self.tokens, &chars)
    }
}

/// Parses tokens up to the end (or, inside `{…}`, up to `,` or `}`).
fn parse(chars: &[char], mut i: usize, in_braces: bool) -> Result<(Vec<Token>, usize), String> {
    let mut tokens = Vec::new();
    while i < chars.len() {
        match chars[i] {
            ',' | '}' if in_braces => break,
            '\\' => {
                let c = chars.get(i + 1).ok_or("a trailing `\\`")?;
                tokens.push(Token::Literal(*c));
                i += 2;
            }
            '?' => {
                tokens.push(Token::One);
                i += 1;
            }
            '*' if chars.get(i + 1) == Some(&'*') => {
                tokens.push(Token::SuperStar);
                i += 2;
            }
            '*' => {
                tokens.push(Token::Star);
                i += 1;
            }
            '[' => {
                let mut j = i + 1;
                let negated = matches!(chars.get(j), Some('!'));
                if negated {
                    j += 1;
                }
                let mut ranges = Vec::new();
                while j < chars.len() && chars[j] != ']' {
                    let lo = chars[j];
                    if chars.get(j + 1) == Some(&'-') && chars.get(j + 2).is_some_and(|c| *c != ']') {
                        ranges.push((lo, chars[j + 2]));
                        j += 3;
                    } else {
                        ranges.push((lo, lo));
                        j += 1;
                    }
                }
                if j >= chars.len() {
                    return Err("an unclosed `[`".to_owned());
                }
                tokens.push(Token::Class(negated, ranges));
                i = j + 1;
            }
            '{' => {
                let mut alternatives = Vec::new();
                let mut j = i + 1;
                loop {
                    let (alternative, next) = parse(chars, j, true)?;
                    alternatives.push(alternative);
                    match chars.get(next) {
                        Some(',') => j = next + 1,
                        Some('}') => {
                            j = next + 1;
                            break;
                        }
                        _ => return Err("an unclosed `{`".to_owned()),
                    }
                }
                tokens.push(Token::Any(alternatives));
                i = j;
            }
            c => {
                tokens.push(Token::Literal(c));
                i += 1;
            }
        }
    }
    Ok((tokens, i))
}

fn matches(tokens: &[Token], text: &[char]) -> bool {
    let Some((first, rest)) = tokens.split_first() else { return text.is_empty() };
    match first {
        Token::Literal(c) => text.first() == Some(c) && matches(rest, &text[1..]),
        Token::One => text.first().is_some_and(|c| *c != '/') && matches(rest, &text[1..]),
        Token::Class(negated, ranges) => {
            text.first().is_some_and(|c| *c != '/' && ranges.iter().any(|(lo, hi)| lo <= c && c <= hi) != *negated)
                && matches(rest, &text[1..])
        }
        Token::Star => {
            (0..=text.len()).take_while(|n| *n == 0 || text[n - 1] != '/').any(|n| matches(rest, &text[n..]))
        }
        Token::SuperStar => (0..=text.len()).any(|n| matches(rest, &text[n..])),
        Token::Any(alternatives) => alternatives.iter().any(|alternative| {
            let mut joined = alternative.clone();
            joined.extend_from_slice(rest);
            matches(&joined, text)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_stars_classes_and_alternatives() {
        let cases = [
            ("files/*.conf", "files/a.conf", true),
            ("files/*.conf", "files/sub/a.conf", false),
            ("files/**.conf", "files/sub/a.conf", true),
            ("files/**", "files/a/b/c", true),
            ("*", "a/b", false),
            ("conf?.yaml", "conf1.yaml", true),
            ("conf?.yaml", "conf/.yaml", false),
            ("[a-c]x", "bx", true),
            ("[!a-c]x", "bx", false),
            ("{a,b}/*.txt", "b/n.txt", true),
            ("{a,b}/*.txt", "c/n.txt", false),
            ("\\*", "*", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(Glob::new(pattern).unwrap().matches(text), expected, "{pattern} ~ {text}");
        }
        assert!(Glob::new("[abc").is_err() && Glob::new("{a,b").is_err());
    }
}

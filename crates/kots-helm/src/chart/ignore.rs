//! `.helmignore` as Helm's `pkg/ignore` reads it: one rule a line, `#` comments, `!` negation,
//! a trailing `/` for directories only, a leading `/` anchoring at the chart's top, rules with a
//! `/` matched against the whole path and rules without one against the base name, each with
//! Go's `filepath.Match`; `**` is refused. `templates/.?*` is always added, as Helm's
//! `AddDefaults` does.

/// One parsed rule.
#[derive(Debug, Clone)]
struct Pattern {
    rule: String,
    negate: bool,
    must_dir: bool,
    /// `/`-anchored or containing a `/`: matched against the whole path.
    whole_path: bool,
}

/// The rules of one `.helmignore`, in file order.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    patterns: Vec<Pattern>,
}

impl Rules {
    /// Parses a `.helmignore`; errors are worded as Helm's.
    pub fn parse(text: &str) -> Result<Rules, String> {
        let mut rules = Rules::default();
        for line in text.lines() {
            rules.parse_rule(line)?;
        }
        Ok(rules)
    }

    /// Helm's `AddDefaults`: hidden files under `templates/` are never templates.
    pub fn add_defaults(&mut self) {
        // The default rule is well formed.
        let _ = self.parse_rule("templates/.?*");
    }

    fn parse_rule(&mut self, rule: &str) -> Result<(), String> {
        // Go's strings.TrimSpace trims Unicode white space, as char::is_whitespace.
        let rule = rule.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".to_owned());
        }
        if glob_match(rule, "abc").is_err() {
            return Err("syntax error in pattern".to_owned());
        }
        let mut rule = rule;
        let negate = rule.starts_with('!');
        if negate {
            rule = &rule[1..];
        }
        let must_dir = rule.ends_with('/');
        if must_dir {
            rule = &rule[..rule.len() - 1];
        }
        let (rule, whole_path) =
            if let Some(anchored) = rule.strip_prefix('/') { (anchored, true) } else { (rule, rule.contains('/')) };
        self.patterns.push(Pattern { rule: rule.to_owned(), negate, must_dir, whole_path });
        Ok(())
    }

    /// Whether `path` (chart-relative, `/`-separated) is ignored: Helm's `Rules.Ignore`,
    /// including its quirk that a negated rule which does not match ignores the path.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for p in &self.patterns {
            let target = if p.whole_path { path } else { path.rsplit('/').next().unwrap_or(path) };
            let matched = glob_match(&p.rule, target).unwrap_or(false);
            if p.negate {
                if p.must_dir && !is_dir {
                    return true;
                }
                if !matched {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

/// Go's `filepath.ErrBadPattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

impl std::fmt::Display for BadPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("syntax error in pattern")
    }
}

/// Go's `path/filepath.Match` on `/`-separated names: `*` (no `/`), `?`, `[...]` classes with
/// ranges and `^` negation, `\` escapes. An error is Go's `ErrBadPattern`. A line-for-line port,
/// so that odd patterns fail or match exactly as Helm's do.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern: &[char] = &pattern.chars().collect::<Vec<_>>();
    let name_chars: Vec<char> = name.chars().collect();
    let mut name: &[char] = &name_chars;
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(!name.contains(&'/'));
        }
        let (t, ok) = match_chunk(chunk, name)?;
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            let mut i = 0;
            while i < name.len() && name[i] != '/' {
                let (t, ok) = match_chunk(chunk, &name[i + 1..])?;
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, &[])?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

fn scan_chunk(pattern: &[char]) -> (bool, &[char], &[char]) {
    let mut pattern = pattern;
    let mut star = false;
    while let Some('*') = pattern.first() {
        pattern = &pattern[1..];
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            '\\' if i + 1 < pattern.len() => {
                i += 1;
            }
            '[' => in_range = true,
            ']' => in_range = false,
            '*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Go's `matchChunk`: the rest of `s` after the chunk, and whether it matched.
fn match_chunk<'a>(chunk: &[char], s: &'a [char]) -> Result<(&'a [char], bool), BadPattern> {
    let mut chunk = chunk;
    let mut s = s;
    let mut failed = false;
    while !chunk.is_empty() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match chunk[0] {
            '[' => {
                let mut r = '\0';
                if !failed {
                    r = s[0];
                    s = &s[1..];
                }
                chunk = &chunk[1..];
                let mut negated = false;
                if let Some('^') = chunk.first() {
                    negated = true;
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, next) = get_esc(chunk)?;
                    chunk = next;
                    let mut hi = lo;
                    if chunk[0] == '-' {
                        let (h, next) = get_esc(&chunk[1..])?;
                        hi = h;
                        chunk = next;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            '?' => {
                if !failed {
                    if s[0] == '/' {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
            c => {
                let mut c = c;
                if c == '\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return Err(BadPattern);
                    }
                    c = chunk[0];
                }
                if !failed {
                    if c != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    if failed { Ok((&[], false)) } else { Ok((s, true)) }
}

fn get_esc(chunk: &[char]) -> Result<(char, &[char]), BadPattern> {
    let mut chunk = chunk;
    if chunk.is_empty() || chunk[0] == '-' || chunk[0] == ']' {
        return Err(BadPattern);
    }
    if chunk[0] == '\\' {
        chunk = &chunk[1..];
        if chunk.is_empty() {
            return Err(BadPattern);
        }
    }
    let r = chunk[0];
    let next = &chunk[1..];
    if next.is_empty() {
        return Err(BadPattern);
    }
    Ok((r, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_filepath_match() {
        // Cases from Go's path/filepath match_test.go.
        assert_eq!(glob_match("abc", "abc"), Ok(true));
        assert_eq!(glob_match("*", "abc"), Ok(true));
        assert_eq!(glob_match("*c", "abc"), Ok(true));
        assert_eq!(glob_match("a*", "a"), Ok(true));
        assert_eq!(glob_match("a*", "ab/c"), Ok(false));
        assert_eq!(glob_match("a*/b", "abc/b"), Ok(true));
        assert_eq!(glob_match("a*/b", "a/c/b"), Ok(false));
        assert_eq!(glob_match("a*b*c*d*e*/f", "axbxcxdxe/f"), Ok(true));
        assert_eq!(glob_match("a*b*c*d*e*/f", "axbxcxdxexxx/f"), Ok(true));
        assert_eq!(glob_match("a*b*c*d*e*/f", "axbxcxdxe/xxx/f"), Ok(false));
        assert_eq!(glob_match("a*b?c*x", "abxbbxdbxebxczzx"), Ok(true));
        assert_eq!(glob_match("a*b?c*x", "abxbbxdbxebxczzy"), Ok(false));
        assert_eq!(glob_match("ab[c]", "abc"), Ok(true));
        assert_eq!(glob_match("ab[b-d]", "abc"), Ok(true));
        assert_eq!(glob_match("ab[e-g]", "abc"), Ok(false));
        assert_eq!(glob_match("ab[^c]", "abc"), Ok(false));
        assert_eq!(glob_match("ab[^e-g]", "abc"), Ok(true));
        assert_eq!(glob_match("a\\*b", "a*b"), Ok(true));
        assert_eq!(glob_match("a\\*b", "ab"), Ok(false));
        assert_eq!(glob_match("a?b", "a☺b"), Ok(true));
        assert_eq!(glob_match("*x", "xxx"), Ok(true));
        assert_eq!(glob_match("[]a]", "]"), Err(BadPattern));
        assert_eq!(glob_match("[-]", "-"), Err(BadPattern));
        assert_eq!(glob_match("[x-]", "x"), Err(BadPattern));
        assert_eq!(glob_match("\\", "a"), Err(BadPattern));
        assert_eq!(glob_match("a[", "a"), Err(BadPattern));
        assert_eq!(glob_match("*x", "xxx"), Ok(true));
        assert_eq!(glob_match(".?*", ".git"), Ok(true));
        assert_eq!(glob_match("*.txt", "a.txt"), Ok(true));
    }

    #[test]
    fn rules_as_helm() {
        let mut r = Rules::parse("# c\n*.txt\n/top.md\nsecret/\ndocs/*.md\n").unwrap();
        r.add_defaults();
        assert!(r.ignore("a.txt", false));
        assert!(r.ignore("templates/x/a.txt", false));
        assert!(r.ignore("top.md", false));
        assert!(!r.ignore("x/top.md", false));
        assert!(r.ignore("secret", true));
        assert!(!r.ignore("secret", false));
        assert!(r.ignore("docs/a.md", false));
        assert!(r.ignore("templates/.hidden", false));
        assert!(!r.ignore("templates/a.yaml", false));
        assert_eq!(Rules::parse("**/x").unwrap_err(), "double-star (**) syntax is not supported");
    }
}

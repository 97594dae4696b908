//! The list `kubectl kots image copy --from-file LIST` reads: one `SRC DST` pair a line, blank
//! lines and `#` comments ignored, so that many images are copied by one process, each blob
//! shared by several of them moving once.

/// One pair of the list, with the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPair {
    pub line: usize,
    pub source: String,
    pub destination: String,
}

/// The pairs of `text`; an error names the first line that is not `SRC DST`.
pub fn parse(text: &str) -> Result<Vec<CopyPair>, String> {
    let mut pairs = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [source, destination] = fields[..] else {
            return Err(format!(
                "line {}: expected `SRC DST` (two fields), found {} in `{line}`",
                index + 1,
                fields.len()
            ));
        };
        pairs.push(CopyPair { line: index + 1, source: source.to_owned(), destination: destination.to_owned() });
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_comments_and_bad_lines() {
        let text = "# the app\n\nreg/a:1 dst/a:1\n  reg/b:1\tdst/b:1  \n# end\n";
        let pairs = parse(text).unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[1], CopyPair { line: 4, source: "reg/b:1".into(), destination: "dst/b:1".into() });
        assert_eq!(parse("").unwrap(), []);
        let error = parse("a b\nonly-one\n").unwrap_err();
        assert!(error.starts_with("line 2:") && error.contains("found 1"), "{error}");
        assert!(parse("a b c").unwrap_err().contains("found 3"));
    }
}

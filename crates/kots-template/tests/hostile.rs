//! Whatever the text, parsing and executing end in output or an error: never a panic, a hang or
//! unbounded memory. Inputs are random mixes of the pieces templates are made of (delimiters,
//! trim markers, keywords, operators, quotes, numbers, function names), so that most reach deep
//! into the parser and executor rather than failing at the first byte.

use kots_template::{Budget, Options, Templates, Value};
use proptest::prelude::*;

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{/*",
    "*/}}",
    "repl{{",
    "{{repl",
    " ",
    "\n",
    "(",
    ")",
    "|",
    ":=",
    "=",
    ",",
    ".",
    "$",
    "$x",
    "$y",
    ".a",
    ".a.b",
    ".l",
    ".m",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    "nil",
    "true",
    "\"s\"",
    "`raw`",
    "'c'",
    "'",
    "\"",
    "`",
    "0",
    "-1",
    "1.5",
    "1e9",
    "0x1F",
    "99999999999999999999",
    "and",
    "or",
    "not",
    "eq",
    "lt",
    "len",
    "index",
    "slice",
    "print",
    "printf",
    "\"%d\"",
    "\"%v %s\"",
    "html",
    "js",
    "call",
    "list",
    "dict",
    "set",
    "get",
    "default",
    "toJson",
    "fromJson",
    "until",
    "repeat",
    "regexMatch",
    "\"(\"",
    "semver",
    "date",
    "now",
    "tpl",
    "include",
    "\"t\"",
    "x",
    "é",
    "\u{0}",
];

fn template_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|pieces| pieces.concat())
}

fn options(left: &str, right: &str) -> Options {
    Options {
        left_delim: left.to_string(),
        right_delim: right.to_string(),
        budget: Budget { max_steps: 20_000, max_output_bytes: 1 << 20, max_depth: 100 },
        ..Options::default()
    }
}

fn data() -> Value {
    Value::from_json(&serde_json::json!({"a": {"b": [1, "x", null]}, "l": [3, 1, 2], "m": {"k": "v"}}))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn any_text_parses_and_runs_to_output_or_an_error(text in template_text(), kots in any::<bool>()) {
        let (left, right) = if kots { ("repl{{", "}}") } else { ("{{", "}}") };
        let mut set = Templates::new(kots_template::sprig::funcs(), options(left, right));
        if set.parse("t", &text).is_ok()
            && let Ok(out) = set.render("t", &data())
        {
            prop_assert!(out.len() <= 1 << 20);
        }
    }
}

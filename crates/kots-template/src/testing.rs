//! Test helpers shared by the unit tests of the function families.

/// Renders each `(template, want)` with sprig and no data, `want` being what Go printed:
/// `OK output` or `ERR message`. Errors are compared without the `at <…>` node context (the
/// executor's business, tested there). Every mismatch is collected before the test fails.
pub(crate) fn assert_renders_as_go(cases: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (text, want) in cases {
        let got = match crate::render("t", text, &crate::Value::Nil) {
            Ok(out) => format!("OK {out}"),
            Err(e) => format!("ERR {e}"),
        };
        if without_context(&got) != without_context(want) {
            failures.push(format!("{text}\n   got {got}\n  want {want}"));
        }
    }
    assert_all_agree(&failures, cases.len());
}

/// Fails with every mismatch listed when any of `total` cases differed from Go.
pub(crate) fn assert_all_agree(failures: &[String], total: usize) {
    assert!(failures.is_empty(), "{} of {total} cases differ from Go:\n{}", failures.len(), failures.join("\n"));
}

fn without_context(s: &str) -> String {
    match (s.find(" at <"), s.find(">: ")) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &s[..a], &s[b + 1..]),
        _ => s.to_string(),
    }
}

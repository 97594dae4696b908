//! Go's `text/template` and sprig, as Go runs them.
//!
//! KOTS releases and Helm charts are Go templates: `repl{{ ConfigOption "hostname" }}`,
//! `{{ include "chart.labels" . | nindent 4 }}`. This crate parses and executes them with Go's
//! semantics (truthiness, comparisons, how values print, which calls are errors) and sprig v3's
//! function map, so that a release renders here exactly as KOTS and Helm render it. The
//! differential tests in `tests/` run every case through Go itself and require the same bytes.
//!
//! Use: build a [`FuncMap`] (start from [`sprig::funcs`], add KOTS's or Helm's functions),
//! parse templates into a [`Templates`] set once, execute them many times with data given as
//! [`Value`]s (from `serde_json::Value` with [`Value::from_json`]).

pub mod fmt;
pub mod func;
pub mod kots;
pub mod sprig;
pub mod value;

mod builtins;
mod error;
mod exec;
mod parse;
#[cfg(test)]
mod testing;

pub use error::{Error, Position};
pub use func::{ArgsExt, Call, Func, FuncError, FuncMap, Signature};
pub use value::{FloatKind, GoType, IntKind, List, Map, Object, UintKind, Value};

use std::collections::HashMap;
use std::sync::Arc;

/// What Go's `Option("missingkey=…")` sets: what a missing map key evaluates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// `missingkey=default` (or `invalid`): the "no value", printed as `<no value>`.
    #[default]
    Default,
    /// `missingkey=zero`: the zero value of the map's element type.
    Zero,
    /// `missingkey=error`: execution stops with an error naming the key.
    Error,
}

/// Limits that stop a runaway template with an error instead of a hang or unbounded memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Nodes evaluated (every action, range iteration and function call counts one).
    pub max_steps: u64,
    /// Bytes of output, all templates of one execution together.
    pub max_output_bytes: u64,
    /// Nesting of `template`/`include` calls (Go's own limit is 100,000).
    pub max_depth: usize,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget { max_steps: 50_000_000, max_output_bytes: 256 * 1024 * 1024, max_depth: 10_000 }
    }
}

/// How templates are parsed and executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Action delimiters (`{{` and `}}` by default; KOTS uses `repl{{`/`}}` and `{{repl`/`}}`).
    pub left_delim: String,
    pub right_delim: String,
    pub missing_key: MissingKey,
    pub budget: Budget,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            left_delim: "{{".to_string(),
            right_delim: "}}".to_string(),
            missing_key: MissingKey::Default,
            budget: Budget::default(),
        }
    }
}

/// A set of named templates sharing one function map and options, as Go's `*template.Template`
/// with its associated templates: parse once, execute many times.
#[derive(Debug, Clone)]
pub struct Templates {
    pub(crate) trees: HashMap<String, Arc<parse::Tree>>,
    pub(crate) funcs: Arc<FuncMap>,
    pub(crate) options: Options,
}

impl Templates {
    /// A set with these functions (shared: build the map once, for many sets) and options.
    pub fn new(funcs: impl Into<Arc<FuncMap>>, mut options: Options) -> Templates {
        // Go's `Delims("", "")`: an empty delimiter means the default one.
        if options.left_delim.is_empty() {
            options.left_delim = "{{".to_string();
        }
        if options.right_delim.is_empty() {
            options.right_delim = "}}".to_string();
        }
        Templates { trees: HashMap::new(), funcs: funcs.into(), options }
    }

    /// A set with sprig's functions and Go's default options.
    pub fn with_sprig() -> Templates {
        Templates::new(sprig::funcs(), Options::default())
    }

    /// Parses `text` as the template `name`, adding its `define`d templates to the set. As in
    /// Go, a template whose body is empty (only whitespace and comments) does not replace one
    /// already defined under that name.
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), Error> {
        let parsed = parse::parse(name, text, &self.options, &self.funcs)?;
        for (tree_name, tree) in parsed {
            let keep_old = tree.is_empty() && self.trees.contains_key(&tree_name);
            if !keep_old {
                self.trees.insert(tree_name, Arc::new(tree));
            }
        }
        Ok(())
    }

    /// Whether a template of that name is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// The names of the defined templates, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.trees.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    pub fn funcs(&self) -> &FuncMap {
        &self.funcs
    }

    /// Executes the template `name` with `data`, writing to `out`.
    pub fn execute(&self, name: &str, data: &Value, out: &mut dyn std::io::Write) -> Result<(), Error> {
        let text = self.render(name, data)?;
        out.write_all(text.as_bytes())?;
        Ok(())
    }

    /// Executes the template `name` with `data` and returns the output.
    pub fn render(&self, name: &str, data: &Value) -> Result<String, Error> {
        exec::execute(self, name, data)
    }
}

/// Parses and executes one template with sprig's functions and default options.
pub fn render(name: &str, text: &str, data: &Value) -> Result<String, Error> {
    let mut templates = Templates::with_sprig();
    templates.parse(name, text)?;
    templates.render(name, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, data: serde_json::Value) -> Result<String, Error> {
        render("t", text, &Value::from_json(&data))
    }

    #[test]
    fn the_language_runs_as_go_runs_it() {
        // Expected outputs from Go 1.27's text/template.
        let cases: &[(&str, serde_json::Value, &str)] = &[
            ("a{{.x}}b", serde_json::json!({"x": 1}), "a1b"),
            ("{{.missing}}", serde_json::json!({}), "<no value>"),
            ("{{.n}}", serde_json::json!({"n": null}), "<no value>"),
            ("{{.big}}", serde_json::json!({"big": 1000000}), "1e+06"),
            ("{{.f}}", serde_json::json!({"f": 2.5}), "2.5"),
            ("{{ . }}", serde_json::json!({"b": 2, "a": [1, "x"]}), "map[a:[1 x] b:2]"),
            ("{{- \" x \" -}}  \n y", serde_json::json!({}), " x y"),
            ("{{ if .a }}yes{{ else if .b }}b{{ else }}no{{ end }}", serde_json::json!({"b": true}), "b"),
            ("{{ range $i, $v := .l }}{{ $i }}={{ $v }};{{ end }}", serde_json::json!({"l": ["a", "b"]}), "0=a;1=b;"),
            ("{{ range .m }}{{ . }}{{ end }}", serde_json::json!({"m": {"b": 2, "a": 1}}), "12"),
            ("{{ range 3 }}{{ . }}{{ end }}", serde_json::json!({}), "012"),
            (
                "{{ range .l }}{{ if . }}{{ . }}{{ else }}{{ break }}{{ end }}{{ end }}",
                serde_json::json!({"l": [1, 0, 3]}),
                "1",
            ),
            ("{{ range .e }}x{{ else }}empty{{ end }}", serde_json::json!({"e": []}), "empty"),
            ("{{ with .a }}{{ .b }}{{ end }}", serde_json::json!({"a": {"b": "in"}}), "in"),
            ("{{ define \"x\" }}[{{ . }}]{{ end }}{{ template \"x\" .v }}", serde_json::json!({"v": 7}), "[7]"),
            ("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", serde_json::json!({}), "2"),
            ("{{ and 1 0 2 }} {{ or 0 \"\" }} {{ or 0 3 }}", serde_json::json!({}), "0  3"),
            ("{{/* comment */}}ok", serde_json::json!({}), "ok"),
            // A `continue` in an inner range's else continues the outer range.
            (
                "{{ range .a }}{{ range $.e }}x{{ else }}{{ continue }}{{ end }}{{ . }}{{ end }}",
                serde_json::json!({"a": [1, 2], "e": []}),
                "",
            ),
            ("{{ 'a' }} {{ 1.5 }} {{ 0x10 }}", serde_json::json!({}), "97 1.5 16"),
        ];
        for (text, data, want) in cases {
            let got = run(text, data.clone()).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(&got, want, "{text}");
        }
    }

    #[test]
    fn nil_slices_stay_nil_as_in_go() {
        // Expected outputs from Go 1.27 + sprig 3.2.3.
        let cases: &[(&str, &str)] = &[
            ("{{ toJson (list) }}", "[]"),
            ("{{ toJson (list 1) }}", "[1]"),
            ("{{ toJson (rest (list)) }}", "null"),
            ("{{ toJson (regexFindAll \"x\" \"abc\" -1) }}", "null"),
            ("{{ printf \"%#v\" (list) }}", "[]interface {}{}"),
            ("{{ printf \"%#v\" (rest (list)) }}", "[]interface {}(nil)"),
            ("{{ deepEqual (list) (rest (list 1)) }}", "true"),
            ("{{ deepEqual (rest (list)) (list) }}", "false"),
            ("{{ toJson (concat (list) (list)) }}", "null"),
            ("{{ eq (rest (list)) (rest (list)) }} {{ eq (rest (list)) nil }}", "true true"),
            (
                "{{ regexMatch `\\p{Han}` \"世\" }} {{ regexMatch `\\pL` \"a\" }} {{ regexFindAll `[\\p{Greek}]+` \"abγδ\" -1 }} {{ regexMatch `\\PL` \"a\" }} {{ regexMatch `[^\\p{Han}]` \"世\" }}",
                "true true [γδ] false false",
            ),
            ("{{ $d := dict }}{{ $_ := set $d \"self\" $d }}{{ len $d }}", "1"),
            ("{{ list }}", "[]"),
            ("{{ $l := list }}{{ $l = append $l 1 }}{{ toJson $l }}", "[1]"),
        ];
        for (text, want) in cases {
            assert_eq!(&run(text, serde_json::json!({})).unwrap_or_else(|e| panic!("{text}: {e}")), want, "{text}");
        }
    }

    #[test]
    fn regex_escapes_read_as_go_reads_them() {
        // Expected outputs from Go 1.27 + sprig 3.2.3 (regexMatch is false when Go refuses the
        // pattern).
        let cases: &[(&str, &str)] = &[
            (r"{{ regexMatch `\u003C` `<` }}", "false"),
            (r"{{ regexMatch `\<a\>` `<a>` }}", "true"),
            (r"{{ regexMatch `\101` `A` }}", "true"),
            (r"{{ regexMatch `\1` `A` }}", "false"),
            (r"{{ regexMatch `[\<]` `<` }}", "true"),
            (r"{{ regexMatch `\e` `x` }}", "false"),
            (r"{{ regexMatch `\x41\x{42}` `AB` }}", "true"),
            (r"{{ regexMatch `\_` `_` }}", "true"),
        ];
        for (text, want) in cases {
            assert_eq!(&run(text, serde_json::json!({})).unwrap_or_else(|e| panic!("{text}: {e}")), want, "{text}");
        }
    }

    #[test]
    fn bad_templates_fail_with_the_place() {
        let err = run("{{ set nil \"a\" 1 }}", serde_json::json!({})).unwrap_err().to_string();
        assert_eq!(
            err,
            "template: t:1:3: executing \"t\" at <set nil \"a\" 1>: error calling set: assignment to entry in nil map"
        );
        let err = run("{{ .a", serde_json::json!({})).unwrap_err().to_string();
        assert!(err.contains("unclosed action"), "{err}");
        // Go names where the action began (Helm v4.2.3 through render.py: `parse error at
        // (c/templates/bad.yaml:2): unclosed action started at c/templates/bad.yaml:1`).
        let err = run("a: {{ .a\n", serde_json::json!({})).unwrap_err().to_string();
        assert_eq!(err, "template: t:2: unclosed action started at t:1");
        let err = run("line\n{{ nofunc 1 }}", serde_json::json!({})).unwrap_err().to_string();
        assert_eq!(err, "template: t:2: function \"nofunc\" not defined");
        let err = run("{{ .a.b }}", serde_json::json!({"a": null})).unwrap_err().to_string();
        assert!(err.starts_with("template: t:1:"), "{err}");
        assert!(err.ends_with("executing \"t\" at <.a.b>: nil pointer evaluating interface {}.b"), "{err}");
        let err = run("{{ break }}", serde_json::json!({})).unwrap_err().to_string();
        assert!(err.contains("{{break}} outside {{range}}"), "{err}");
    }

    #[test]
    fn runaway_templates_stop_at_the_budget() {
        let mut options = Options::default();
        options.budget.max_depth = 50;
        let mut set = Templates::new(FuncMap::new(), options);
        set.parse("t", "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}").unwrap();
        let err = set.render("t", &Value::Nil).unwrap_err();
        assert!(matches!(err, Error::Budget { .. }), "{err}");
        let mut options = Options::default();
        options.budget.max_steps = 1000;
        let mut set = Templates::new(FuncMap::new(), options);
        set.parse("t", "{{ range 1000000000 }}x{{ end }}").unwrap();
        let err = set.render("t", &Value::Nil).unwrap_err();
        assert!(err.to_string().contains("step budget"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_or_runs_without_overflowing_the_stack() {
        // 900 nested parentheses and ifs parse and run (the stack grows on the heap) …
        let deep = format!("{}1{}", "(".repeat(900), ")".repeat(900));
        assert_eq!(run(&format!("{{{{ {deep} }}}}"), serde_json::json!({})).unwrap(), "1");
        let ifs = format!("{}x{}", "{{ if 1 }}".repeat(900), "{{ end }}".repeat(900));
        assert_eq!(run(&ifs, serde_json::json!({})).unwrap(), "x");
        // … 20,000 are refused with a message, not a crash (nor a stack overflow when the tree is dropped).
        let deeper = format!("{{{{ {}1{} }}}}", "(".repeat(20000), ")".repeat(20000));
        let err = run(&deeper, serde_json::json!({})).unwrap_err().to_string();
        assert!(err.contains("nested deeper than 1000 levels"), "{err}");
        // Recursive template calls stop at the depth budget (default 10,000).
        let err = run("{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}", serde_json::json!({}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("exceeded maximum template depth (10000)"), "{err}");
    }
}

//! A seeded generator of random templates and data for the differential tests.
//!
//! Programs are drawn from text/template's grammar (text, actions with trim markers, comments,
//! pipelines, parenthesised calls, fields and chained fields, variables declared and assigned,
//! if/else if/else, range with `$i, $v`/else/break/continue over lists, maps and ints,
//! with/else with/else, define/template/block) over the deterministic part of sprig's function
//! map. Most programs are well typed (each argument drawn from operands and calls of the type
//! the parameter wants), so that most render and the comparison sees outputs, not just
//! errors; a share are deliberately ill typed (any operand in any slot, `.field` on a changed
//! dot, `break` outside a range), where both sides erring counts as agreement.
//! Random and clock-reading functions (`randAlpha`, `now`, `uuidv4`, `shuffle`, unsorted `keys`
//! and `values`, …) are left out: their outputs cannot be compared.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value as Json, json};

use crate::oracle::Case;

/// The static type a slot wants, as far as the generator keeps track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Int,
    /// An `int64` (what sprig's integer arithmetic returns; not accepted where Go wants `int`).
    Int64,
    /// A small non-negative int (counts, widths: `repeat`, `indent`, `until`).
    Small,
    Float,
    Bool,
    List,
    Map,
    Any,
    /// A regex pattern string literal.
    Regex,
}

/// A function the generator may call: name, parameter types, and whether the last one is
/// variadic (then 0-2 more of it are passed).
struct Func {
    name: &'static str,
    params: &'static [Ty],
    variadic: bool,
    ret: Ty,
}

const fn f(name: &'static str, params: &'static [Ty], ret: Ty) -> Func {
    Func { name, params, variadic: false, ret }
}

const fn v(name: &'static str, params: &'static [Ty], ret: Ty) -> Func {
    Func { name, params, variadic: true, ret }
}

use Ty::*;

/// text/template's builtins and sprig's deterministic functions, with the generator's types.
const FUNCS: &[Func] = &[
    // Strings.
    f("upper", &[Str], Str),
    f("lower", &[Str], Str),
    f("title", &[Str], Str),
    f("untitle", &[Str], Str),
    f("trim", &[Str], Str),
    f("nospace", &[Str], Str),
    f("initials", &[Str], Str),
    f("swapcase", &[Str], Str),
    f("snakecase", &[Str], Str),
    f("camelcase", &[Str], Str),
    f("kebabcase", &[Str], Str),
    f("trimAll", &[Str, Str], Str),
    f("trimall", &[Str, Str], Str),
    f("trimPrefix", &[Str, Str], Str),
    f("trimSuffix", &[Str, Str], Str),
    f("repeat", &[Small, Str], Str),
    f("substr", &[Int, Int, Str], Str),
    f("trunc", &[Int, Str], Str),
    f("abbrev", &[Small, Str], Str),
    f("abbrevboth", &[Small, Small, Str], Str),
    f("wrap", &[Small, Str], Str),
    f("wrapWith", &[Small, Str, Str], Str),
    f("indent", &[Small, Str], Str),
    f("nindent", &[Small, Str], Str),
    f("replace", &[Str, Str, Str], Str),
    f("plural", &[Str, Str, Int], Str),
    v("cat", &[Any], Str),
    v("quote", &[Any], Str),
    v("squote", &[Any], Str),
    f("toString", &[Any], Str),
    f("join", &[Str, List], Str),
    f("contains", &[Str, Str], Bool),
    f("hasPrefix", &[Str, Str], Bool),
    f("hasSuffix", &[Str, Str], Bool),
    f("b64enc", &[Str], Str),
    f("b64dec", &[Str], Str),
    f("b32enc", &[Str], Str),
    f("b32dec", &[Str], Str),
    f("sha1sum", &[Str], Str),
    f("sha256sum", &[Str], Str),
    f("adler32sum", &[Str], Str),
    f("base", &[Str], Str),
    f("dir", &[Str], Str),
    f("clean", &[Str], Str),
    f("ext", &[Str], Str),
    f("isAbs", &[Str], Bool),
    f("splitList", &[Str, Str], List),
    f("split", &[Str, Str], Any),
    f("splitn", &[Str, Small, Str], Any),
    f("toStrings", &[Any], List),
    f("seq", &[Small, Small], Str),
    f("regexMatch", &[Regex, Str], Bool),
    f("regexFind", &[Regex, Str], Str),
    f("regexFindAll", &[Regex, Str, Int], List),
    f("regexReplaceAll", &[Regex, Str, Str], Str),
    f("regexReplaceAllLiteral", &[Regex, Str, Str], Str),
    f("regexSplit", &[Regex, Str, Int], List),
    f("regexQuoteMeta", &[Str], Str),
    // Builtins.
    v("print", &[Any], Str),
    v("println", &[Any], Str),
    v("html", &[Any], Str),
    v("js", &[Any], Str),
    v("urlquery", &[Any], Str),
    f("len", &[List], Int),
    f("not", &[Any], Bool),
    v("and", &[Any], Any),
    v("or", &[Any], Any),
    // Numbers (sprig converts any argument with cast.ToInt64 / ToFloat64).
    f("add", &[Any, Any], Int64),
    f("sub", &[Any, Any], Int64),
    f("mul", &[Any, Any], Int64),
    f("div", &[Any, Int], Int64),
    f("mod", &[Any, Int], Int64),
    f("add1", &[Any], Int64),
    v("max", &[Any], Int64),
    v("min", &[Any], Int64),
    v("biggest", &[Any], Int64),
    f("int", &[Any], Int),
    f("int64", &[Any], Int64),
    f("atoi", &[Str], Int),
    f("toDecimal", &[Any], Int64),
    f("float64", &[Any], Float),
    f("floor", &[Any], Float),
    f("ceil", &[Any], Float),
    f("round", &[Any, Small], Float),
    v("addf", &[Any], Float),
    v("subf", &[Any], Float),
    v("mulf", &[Any], Float),
    v("divf", &[Any, Float], Float),
    f("add1f", &[Any], Float),
    v("maxf", &[Any], Float),
    v("minf", &[Any], Float),
    f("until", &[Small], List),
    f("untilStep", &[Small, Small, Small], List),
    // Comparisons.
    f("eq", &[Str, Str], Bool),
    f("eq", &[Int, Int], Bool),
    f("eq", &[Any, Any], Bool),
    f("eq", &[Any, Any, Any], Bool),
    f("ne", &[Float, Float], Bool),
    f("ne", &[Any, Any], Bool),
    f("lt", &[Int, Int], Bool),
    f("le", &[Str, Str], Bool),
    f("gt", &[Float, Float], Bool),
    f("ge", &[Int64, Int], Bool),
    // Defaults and flow.
    f("default", &[Any, Any], Any),
    f("empty", &[Any], Bool),
    v("coalesce", &[Any], Any),
    v("all", &[Any], Bool),
    v("any", &[Any], Bool),
    f("ternary", &[Any, Any, Bool], Any),
    f("toJson", &[Any], Str),
    f("toRawJson", &[Any], Str),
    f("toPrettyJson", &[Any], Str),
    f("fromJson", &[Str], Any),
    f("deepCopy", &[Any], Any),
    f("typeOf", &[Any], Str),
    f("kindOf", &[Any], Str),
    f("kindIs", &[Str, Any], Bool),
    f("typeIs", &[Str, Any], Bool),
    f("deepEqual", &[Any, Any], Bool),
    // Lists.
    v("list", &[Any], List),
    v("tuple", &[Any], List),
    f("first", &[List], Any),
    f("last", &[List], Any),
    f("rest", &[List], List),
    f("initial", &[List], List),
    f("reverse", &[List], List),
    f("uniq", &[List], List),
    f("compact", &[List], List),
    f("sortAlpha", &[List], List),
    f("append", &[List, Any], List),
    f("prepend", &[List, Any], List),
    v("concat", &[List], List),
    v("without", &[List, Any], List),
    f("has", &[Any, List], Bool),
    f("slice", &[List, Small, Small], List),
    f("chunk", &[Small, List], List),
    f("index", &[List, Small], Any),
    f("index", &[Map, Str], Any),
    // Dicts (on fresh dicts or read-only: mutating the data would make programs
    // order-dependent in ways that are tested in the corpus instead).
    v("dict", &[Str, Any], Map),
    f("get", &[Map, Str], Any),
    f("hasKey", &[Map, Str], Bool),
    v("pick", &[Map, Str], Map),
    v("omit", &[Map, Str], Map),
    v("pluck", &[Str, Map], List),
    f("dig", &[Str, Any, Map], Any),
    f("semverCompare", &[Str, Str], Bool),
];

const STRINGS: &[&str] = &[
    "",
    "a",
    "abc",
    "hello world",
    "Hello, 世界",
    "  padded  ",
    "a-b_c d",
    "x\"y",
    "<b>&amp;</b>",
    "ünïcödé",
    "123",
    "-4.5",
    "0x1F",
    "true",
    "CamelCaseWord",
    "snake_case_word",
    "a,b,c",
    "line1\nline2",
    "tab\there",
    "日本語テキスト",
    "/usr/local/bin/",
    "foo.tar.gz",
    "{\"a\":1}",
    "[1,2]",
    "1.2.3",
    ">=1.0.0",
    "aGVsbG8=",
    "k1",
    "b",
    "😀 emoji",
];

const REGEXES: &[&str] = &["a", "[a-z]+", "^h", "o$", "\\d+", "(a|b)c?", ".", "x*", "[[:upper:]]", "\\s", "(", "é"];

const FORMATS: &[&str] = &[
    "%v", "%d", "%s", "%q", "%x", "%X", "%5d", "%-5s|", "%05.1f", "%.2f", "%e", "%g", "%t", "%T", "%c", "%U", "%o",
    "%b", "%8.3s", "%+v", "%#v", "%%", "%z", "%!", "%[1]v", "%*d", "% d", "%+.3e", "%6.2v", "%#x", "%-8v|",
];

/// Keys the data's maps use, and that templates ask for.
const KEYS: &[&str] = &["a", "b", "k1", "k2", "x y", "Z", ""];

/// Generates `count` cases from `seed`: the same seed gives the same cases.
pub fn generate(seed: u64, count: usize) -> Vec<Case> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let case_seed: u64 = rng.random();
            let builtins_only = rng.random_bool(0.3);
            let mut g = Gen {
                builtins_only,
                rng: StdRng::seed_from_u64(case_seed),
                scopes: vec![Vec::new()],
                next_var: 0,
                dot_is_root: true,
                in_range: 0,
                defines: Vec::new(),
                depth: 0,
            };
            g.case()
        })
        .collect()
}

struct Gen {
    rng: StdRng,
    /// Variables in scope (Go scopes them to the enclosing block), with their types.
    scopes: Vec<Vec<(String, Ty)>>,
    next_var: usize,
    /// Whether `.` is the root data (false inside range/with/define bodies).
    dot_is_root: bool,
    in_range: usize,
    /// Names of the templates defined so far.
    defines: Vec<String>,
    depth: usize,
    /// Calls only text/template's builtins (no sprig): programs that test the language and
    /// the builtins alone, whatever sprig functions an implementation has.
    builtins_only: bool,
}

/// text/template's builtins (sprig replaces `slice`, so it is not among them).
const BUILTINS: &[&str] = &[
    "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "index", "print", "printf", "println", "html", "js",
    "urlquery",
];

impl Gen {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *items.choose(&mut self.rng).unwrap()
    }

    fn pick_clone<T: Clone>(&mut self, items: &[T]) -> T {
        items.choose(&mut self.rng).unwrap().clone()
    }

    fn case(&mut self) -> Case {
        let data = self.data();
        // Separately parsed templates that define names the main template may call.
        let mut defines = Vec::new();
        if self.chance(0.15) {
            let name = format!("d{}", self.defines.len());
            let body = self.in_define(|g| g.body(2));
            defines.push(format!("{{{{ define \"{name}\" }}}}{body}{{{{ end }}}}"));
            self.defines.push(name);
        }
        let mut template = String::new();
        let statements = self.rng.random_range(1..=5);
        for _ in 0..statements {
            template.push_str(&self.top_statement());
        }
        let mut case = Case::new(template, data);
        case.defines = defines;
        match self.rng.random_range(0..20) {
            0 => case.missingkey = "zero".to_string(),
            1 => case.missingkey = "error".to_string(),
            _ => {}
        }
        if self.chance(0.05) {
            // KOTS's delimiters: rewrite the actions' delimiters.
            let (l, r) = if self.chance(0.5) { ("repl{{", "}}") } else { ("{{repl", "}}") };
            case.template = case.template.replace("{{", l);
            case.defines = case.defines.iter().map(|d| d.replace("{{", l)).collect();
            case.left = l.to_string();
            case.right = r.to_string();
        }
        case
    }

    fn in_define(&mut self, body: impl FnOnce(&mut Gen) -> String) -> String {
        let saved_scopes = std::mem::replace(&mut self.scopes, vec![Vec::new()]);
        let saved_dot = std::mem::replace(&mut self.dot_is_root, false);
        let saved_range = std::mem::replace(&mut self.in_range, 0);
        let text = body(self);
        self.scopes = saved_scopes;
        self.dot_is_root = saved_dot;
        self.in_range = saved_range;
        text
    }

    // ----- data -----

    fn scalar(&mut self) -> Json {
        match self.rng.random_range(0..10) {
            0..=2 => json!(self.pick(STRINGS)),
            3..=5 => self.number(),
            6 => json!(self.chance(0.5)),
            7 => Json::Null,
            8 => json!(""),
            _ => json!(self.rng.random_range(-3..10)),
        }
    }

    fn number(&mut self) -> Json {
        match self.rng.random_range(0..12) {
            0 => json!(0),
            1 => json!(1),
            2 => json!(-3),
            3 => json!(2.5),
            4 => json!(1_000_000),
            5 => json!(123_456_789),
            6 => json!(0.1),
            7 => json!(1e21),
            8 => json!(-0.000_012_5),
            9 => json!(self.rng.random_range(-1000..1000)),
            10 => json!(self.rng.random_range(-100.0..100.0f64)),
            _ => json!(9_007_199_254_740_993_i64),
        }
    }

    fn map_data(&mut self, depth: usize) -> Json {
        let mut m = serde_json::Map::new();
        for _ in 0..self.rng.random_range(0..4) {
            let k = self.pick(KEYS).to_string();
            let value = if depth > 0 && self.chance(0.3) { self.map_data(depth - 1) } else { self.scalar() };
            m.insert(k, value);
        }
        Json::Object(m)
    }

    fn data(&mut self) -> Json {
        if self.chance(0.02) {
            // A root that is not a map: field accesses on it are errors in Go.
            return self.scalar();
        }
        let list: Vec<Json> = (0..self.rng.random_range(0..5)).map(|_| self.scalar()).collect();
        let strings: Vec<Json> = (0..self.rng.random_range(0..5)).map(|_| json!(self.pick(STRINGS))).collect();
        let nest_list: Vec<Json> = (0..self.rng.random_range(0..3)).map(|_| self.map_data(1)).collect();
        let mut a = serde_json::Map::new();
        a.insert("b".to_string(), self.scalar());
        json!({
            "s": self.pick(STRINGS),
            "t": self.pick(STRINGS),
            "e": "",
            "n": self.number(),
            "f": self.rng.random_range(-10.0..10.0f64),
            "b": self.chance(0.5),
            "z": null,
            "l": list,
            "ls": strings,
            "m": self.map_data(1),
            "nest": { "a": Json::Object(a), "l": nest_list, "m": self.map_data(2) },
        })
    }

    // ----- statements -----

    fn top_statement(&mut self) -> String {
        if self.chance(0.08) {
            // A define in the main template, called later or not at all.
            let name = format!("d{}", self.defines.len());
            let body = self.in_define(|g| g.body(2));
            self.defines.push(name.clone());
            let call = if self.chance(0.7) {
                let arg = self.template_arg();
                format!("{{{{ template \"{name}\" {arg} }}}}")
            } else {
                String::new()
            };
            return format!("{{{{ define \"{name}\" }}}}{body}{{{{ end }}}}{call}");
        }
        self.statement()
    }

    fn body(&mut self, n: usize) -> String {
        let mut out = String::new();
        for _ in 0..self.rng.random_range(1..=n) {
            out.push_str(&self.statement());
        }
        out
    }

    fn text(&mut self) -> String {
        const TEXT: &[&str] =
            &["x", " ", "\n", "  \n  ", "a b", "-", ",", "{ ", "}", "}}", "é", "\t", "<", "line\n", ": "];
        let mut t = String::new();
        for _ in 0..self.rng.random_range(1..3) {
            t.push_str(self.pick(TEXT));
        }
        t
    }

    /// `{{` or `{{- ` and `}}` or ` -}}`.
    fn delims(&mut self) -> (&'static str, &'static str) {
        let l = if self.chance(0.15) { "{{- " } else { "{{ " };
        let r = if self.chance(0.15) { " -}}" } else { " }}" };
        (l, r)
    }

    fn action(&mut self, inner: &str) -> String {
        let (l, r) = self.delims();
        format!("{l}{inner}{r}")
    }

    fn statement(&mut self) -> String {
        let nested = self.depth < 3;
        let choice = self.rng.random_range(0..100);
        match choice {
            0..=14 => self.text(),
            15..=44 => {
                let p = self.pipeline(Any, true);
                self.action(&p)
            }
            45..=52 => self.declare(),
            53..=55 if self.has_vars() => self.assign(),
            56..=57 => {
                let c = if self.chance(0.5) { "{{/* a comment */}}" } else { "{{- /* trimmed\ncomment */ -}}" };
                c.to_string()
            }
            58..=67 if nested => self.if_block(),
            68..=79 if nested => self.range_block(),
            80..=86 if nested => self.with_block(),
            87..=89 if self.in_range > 0 || self.chance(0.01) => {
                // break/continue, mostly inside a range (outside it they are parse errors).
                let kw = if self.chance(0.5) { "break" } else { "continue" };
                let cond = self.pipeline(Bool, false);
                format!("{{{{ if {cond} }}}}{{{{ {kw} }}}}{{{{ end }}}}")
            }
            90..=93 if !self.defines.is_empty() => {
                let name = self.pick_clone(&self.defines.clone());
                let arg = self.template_arg();
                self.action(&format!("template \"{name}\" {arg}"))
            }
            94..=95 if nested => {
                let name = format!("b{}", self.next_var);
                self.next_var += 1;
                let arg = self.template_arg();
                let body = self.in_define(|g| {
                    g.depth += 1;
                    let b = g.body(2);
                    g.depth -= 1;
                    b
                });
                format!("{{{{ block \"{name}\" {arg} }}}}{body}{{{{ end }}}}")
            }
            96..=98 => {
                let fmt = self.format_string();
                let n = self.rng.random_range(0..4);
                let args: Vec<String> = (0..n).map(|_| self.operand(Any)).collect();
                self.action(&format!("printf {fmt} {}", args.join(" ")))
            }
            _ => self.text(),
        }
    }

    /// The data passed to a template call: mostly `$` (so that `$.field` in the called
    /// template's body reads the root data), sometimes anything.
    fn template_arg(&mut self) -> String {
        if self.chance(0.75) { "$".to_string() } else { self.operand(Any) }
    }

    fn has_vars(&self) -> bool {
        self.scopes.iter().any(|s| !s.is_empty())
    }

    fn declare(&mut self) -> String {
        let ty = self.pick(&[Str, Int, Float, Bool, List, Map, Any]);
        let p = self.pipeline(ty, false);
        let name = format!("$v{}", self.next_var);
        self.next_var += 1;
        self.scopes.last_mut().unwrap().push((name.clone(), ty));
        let decl = self.action(&format!("{name} := {p}"));
        if self.chance(0.5) {
            let (l, r) = self.delims();
            format!("{decl}{l}{name}{r}")
        } else {
            decl
        }
    }

    fn assign(&mut self) -> String {
        let vars: Vec<(String, Ty)> = self.scopes.iter().flatten().cloned().collect();
        let (name, ty) = self.pick_clone(&vars);
        let p = self.pipeline(ty, false);
        self.action(&format!("{name} = {p}"))
    }

    fn block_body(&mut self, dot_changes: bool, vars: Vec<(String, Ty)>, in_range: bool) -> String {
        self.depth += 1;
        self.scopes.push(vars);
        let saved_dot = self.dot_is_root;
        if dot_changes {
            self.dot_is_root = false;
        }
        if in_range {
            self.in_range += 1;
        }
        let b = self.body(3);
        if in_range {
            self.in_range -= 1;
        }
        self.dot_is_root = saved_dot;
        self.scopes.pop();
        self.depth -= 1;
        b
    }

    fn if_block(&mut self) -> String {
        let cond_ty = if self.chance(0.6) { Bool } else { Any };
        let cond = self.pipeline(cond_ty, false);
        let (l, r) = self.delims();
        let mut out = format!("{l}if {cond}{r}");
        out.push_str(&self.block_body(false, Vec::new(), false));
        if self.chance(0.3) {
            let c2 = self.pipeline(Bool, false);
            out.push_str(&format!("{{{{ else if {c2} }}}}"));
            out.push_str(&self.block_body(false, Vec::new(), false));
        }
        if self.chance(0.4) {
            out.push_str(&self.action("else"));
            out.push_str(&self.block_body(false, Vec::new(), false));
        }
        out.push_str(&self.action("end"));
        out
    }

    fn range_block(&mut self) -> String {
        // What to range over: lists, maps, ints; sometimes anything at all.
        let (over, key_ty) = match self.rng.random_range(0..10) {
            0..=3 => (self.operand(List), Int),
            4..=5 => (self.operand(Map), Str),
            6 => (format!("{}", self.rng.random_range(-1..5)), Int),
            7 => (self.operand(Small), Int),
            _ => {
                // Anything else, ill typed or not; never a big int (Go would loop for ages).
                let t = self.pick(&[List, Map, List, Map, List, Str, Bool, Float]);
                (self.operand(t), Any)
            }
        };
        let (l, r) = self.delims();
        let i = format!("$i{}", self.next_var);
        let v = format!("$e{}", self.next_var);
        self.next_var += 1;
        let over_int = over.parse::<i64>().is_ok() || over.starts_with("(len");
        let forms = if over_int && self.chance(0.95) { 2 } else { 3 };
        let (head, vars) = match self.rng.random_range(0..forms) {
            0 => (format!("range {over}"), Vec::new()),
            1 => (
                format!("range {v} := {over}"),
                vec![(v.clone(), if key_ty == Int && over.parse::<i64>().is_ok() { Int } else { Any })],
            ),
            _ => (format!("range {i}, {v} := {over}"), vec![(i.clone(), key_ty), (v.clone(), Any)]),
        };
        let mut out = format!("{l}{head}{r}");
        out.push_str(&self.block_body(true, vars, true));
        if self.chance(0.3) {
            out.push_str("{{ else }}");
            out.push_str(&self.block_body(false, Vec::new(), false));
        }
        out.push_str(&self.action("end"));
        out
    }

    fn with_block(&mut self) -> String {
        let subject = self.pipeline(Any, false);
        let (l, r) = self.delims();
        let mut out = format!("{l}with {subject}{r}");
        out.push_str(&self.block_body(true, Vec::new(), false));
        if self.chance(0.25) {
            let s2 = self.pipeline(Any, false);
            out.push_str(&format!("{{{{ else with {s2} }}}}"));
            out.push_str(&self.block_body(true, Vec::new(), false));
        }
        if self.chance(0.3) {
            out.push_str("{{ else }}");
            out.push_str(&self.block_body(false, Vec::new(), false));
        }
        out.push_str(&self.action("end"));
        out
    }

    // ----- expressions -----

    /// A pipeline producing `ty`: a command, maybe with the last argument piped in, maybe
    /// followed by more commands (`top`: the result's type no longer matters).
    fn pipeline(&mut self, ty: Ty, top: bool) -> String {
        let mut p = self.command(ty, true);
        if top && self.chance(0.2) {
            const FINISHERS: &[&str] = &[
                "upper",
                "quote",
                "squote",
                "toString",
                "toJson",
                "typeOf",
                "kindOf",
                "print",
                "printf \"%v|\"",
                "default \"d\"",
                "empty",
                "len",
                "nindent 2",
                "indent 1",
                "trunc 3",
                "html",
                "js",
                "urlquery",
                "title",
                "b64enc",
                "not",
            ];
            for _ in 0..self.rng.random_range(1..3) {
                let finisher = self.pick(FINISHERS);
                let name = finisher.split(' ').next().unwrap_or(finisher);
                if self.builtins_only && !BUILTINS.contains(&name) {
                    continue;
                }
                p.push_str(" | ");
                p.push_str(finisher);
            }
        }
        p
    }

    /// A command of type `ty`: a call (`pipe`: possibly as `arg | f rest`) or an operand.
    fn command(&mut self, ty: Ty, pipe: bool) -> String {
        // Ill-typed now and then: any value in any slot.
        let ty = if self.chance(0.015) { Any } else { ty };
        if self.depth_exceeded() || self.chance(0.35) {
            // `nil` alone is not a command (a parse error in Go); keep that rare.
            let operand = self.operand(ty);
            return if operand == "nil" && self.chance(0.9) { "$.z".to_string() } else { operand };
        }
        let candidates: Vec<&Func> = FUNCS
            .iter()
            .filter(|func| !self.builtins_only || BUILTINS.contains(&func.name))
            .filter(|func| ty == Any || func.ret == ty || (ty == Small && func.ret == Int && func.name == "len"))
            .collect();
        if candidates.is_empty() {
            return self.operand(ty);
        }
        let func = self.pick(&candidates);
        self.depth += 1;
        let mut args: Vec<String> = Vec::new();
        for (i, param) in func.params.iter().enumerate() {
            let last = i + 1 == func.params.len();
            let n = if last && func.variadic {
                self.rng.random_range(0..3) + usize::from(func.params.len() == 1)
            } else {
                1
            };
            for _ in 0..n {
                args.push(self.arg(*param));
            }
        }
        // A format for printf-like variety is the first argument of printf only.
        self.depth -= 1;
        if pipe && !args.is_empty() && self.chance(0.3) {
            let last = args.pop().unwrap();
            let rest = if args.is_empty() { String::new() } else { format!(" {}", args.join(" ")) };
            format!("{last} | {}{rest}", func.name)
        } else if args.is_empty() {
            func.name.to_string()
        } else {
            format!("{} {}", func.name, args.join(" "))
        }
    }

    fn depth_exceeded(&self) -> bool {
        self.depth >= 5
    }

    /// An argument: an operand, or a parenthesised command.
    fn arg(&mut self, ty: Ty) -> String {
        if !self.depth_exceeded() && self.chance(0.3) {
            let c = self.command(ty, true);
            if c.contains(' ') { format!("({c})") } else { c }
        } else {
            self.operand(ty)
        }
    }

    fn var_of(&mut self, ty: Ty) -> Option<String> {
        let vars: Vec<String> =
            self.scopes.iter().flatten().filter(|(_, t)| *t == ty || ty == Any).map(|(n, _)| n.clone()).collect();
        if vars.is_empty() { None } else { Some(self.pick_clone(&vars)) }
    }

    /// A field of the root data: `.s` when the dot is the root, else `$.s` (or, ill typed now
    /// and then, `.s` on whatever the dot is).
    fn field(&mut self, path: &str) -> String {
        if self.dot_is_root && self.chance(0.8) {
            format!(".{path}")
        } else if self.chance(0.99) {
            format!("$.{path}")
        } else {
            format!(".{path}")
        }
    }

    fn operand(&mut self, ty: Ty) -> String {
        if self.chance(0.15)
            && let Some(var) = self.var_of(ty)
        {
            return var;
        }
        match ty {
            Str => match self.rng.random_range(0..10) {
                0..=4 => self.string_literal(),
                5 => self.field("s"),
                6 => self.field("t"),
                7 => self.field("e"),
                _ => format!("\"{}\"", self.pick(KEYS)),
            },
            Regex => go_quote(self.pick(REGEXES)),
            Int => match self.rng.random_range(0..12) {
                0..=6 => format!("{}", self.rng.random_range(-5..20)),
                7 => "0".to_string(),
                8 => (self.pick(&[
                    "1_000",
                    "0x1F",
                    "0o17",
                    "0b101",
                    "'a'",
                    "9223372036854775807",
                    "-9223372036854775808",
                    "1e3",
                    "077",
                ]))
                .to_string(),
                9 => format!("(len {})", self.operand(List)),
                10 => format!("{}", self.rng.random_range(100..100_000)),
                _ if self.builtins_only => "(len $.ls)".to_string(),
                _ => "(int $.n)".to_string(),
            },
            Int64 if self.builtins_only => format!("{}", self.rng.random_range(-50..50)),
            Int64 => match self.rng.random_range(0..3) {
                0 => "(int64 $.n)".to_string(),
                1 => format!("(add {} 1)", self.rng.random_range(-50..50)),
                _ => format!("(int64 {})", self.rng.random_range(-50..50)),
            },
            Small => match self.rng.random_range(0..10) {
                0..=7 => format!("{}", self.rng.random_range(0..6)),
                _ => format!("(len {})", self.field("ls")),
            },
            Float => match self.rng.random_range(0..6) {
                0 | 1 => self.field("n"),
                2 => self.field("f"),
                _ => {
                    (self.pick(&["1.5", "-0.25", "1e3", "2.0", "0.1", "1e-7", "3.14159", "1e21", "100.0"])).to_string()
                }
            },
            Bool => match self.rng.random_range(0..4) {
                0 => "true".to_string(),
                1 => "false".to_string(),
                _ => self.field("b"),
            },
            List => match self.rng.random_range(0..5) {
                0 | 1 => self.field("l"),
                2 | 3 => self.field("ls"),
                _ => self.field("nest.l"),
            },
            Map => match self.rng.random_range(0..4) {
                0 | 1 => self.field("m"),
                2 => self.field("nest"),
                _ => self.field("nest.m"),
            },
            Any => match self.rng.random_range(0..20) {
                0 => self.field("z"),
                1 => self.field("missing"),
                2 => self.field("nest.a.b"),
                3 => self.field("m.k1"),
                4 => self.field("m.zz.y"),
                5 => "nil".to_string(),
                6 => ".".to_string(),
                7 => "$".to_string(),
                8 => {
                    let m = self.operand(Map);
                    format!("{m}.a")
                }
                _ => {
                    let t = self.pick(&[Str, Int, Float, Bool, List, Map]);
                    self.operand(t)
                }
            },
        }
    }

    fn string_literal(&mut self) -> String {
        let s = self.pick(STRINGS);
        if !s.contains('`') && self.chance(0.15) { format!("`{s}`") } else { go_quote(s) }
    }

    fn format_string(&mut self) -> String {
        let mut s = String::new();
        for _ in 0..self.rng.random_range(1..4) {
            if self.chance(0.4) {
                s.push_str(self.pick(&["x", " ", "[", "]", "é", "-"]));
            }
            s.push_str(self.pick(FORMATS));
        }
        go_quote(&s)
    }
}

/// A Go interpreted string literal.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

//! The template engine against Helm v4.2.3 itself: small charts of our own, one per feature
//! (or a few features), and one generated chart of many templates, each rendered by
//! `kots_helm::engine::render` and by Helm (`render.py`, the corpus oracle), compared per
//! template path byte for byte. Expected errors (`required`, `fail`) compare our message with
//! Helm's after its `ERROR HelmRenderError: ` prefix.
//!
//! The generated chart: `KOTS_HELM_SEED` (default fixed) seeds a generator of one values.yaml
//! and `KOTS_HELM_CASES` (default 1,000) templates, each a handful of expressions over
//! random values paths through Helm's and sprig's functions, chosen by the type of the value
//! so that none can fail (Helm stops the whole render at the first error). One oracle call
//! renders them all. Nothing is cached.
//!
//! Without python3 + helm_python, or with `KOTS_HELM_SKIP_ORACLE=1`, the tests say so and
//! pass without comparing.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use kots_helm::engine::{self, Options};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const RENDER_PY: &str = "/work/shared/compat/helm-charts/render.py";
const HELM_ERROR: &str = "ERROR HelmRenderError: ";

fn oracle_available() -> bool {
    if std::env::var("KOTS_HELM_SKIP_ORACLE").as_deref() == Ok("1") {
        let _ = writeln!(std::io::stderr(), "KOTS_HELM_SKIP_ORACLE=1: not comparing with Helm");
        return false;
    }
    let ok = Path::new(RENDER_PY).is_file()
        && Command::new("python3").args(["-c", "import helm_python"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        let _ = writeln!(
            std::io::stderr(),
            "python3 with helm_python (pip install helm-python-sdk==0.2.2) or {RENDER_PY} is missing: \
             not comparing with Helm"
        );
    }
    ok
}

type Rendered = Result<BTreeMap<String, String>, String>;

/// A chart's files: path in the chart folder → text.
type ChartFiles = Vec<(String, String)>;

/// Writes `files` (path relative to the chart folder → text) under `dir`.
fn write_chart(dir: &Path, files: &[(String, String)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn options() -> Options {
    Options { release_name: "rel".into(), namespace: "ns".into(), kube_version: "v1.30.0".into(), ..Options::default() }
}

/// Ours, a panic reported as an error (a disagreement, not a crashed test).
fn ours(dir: &Path) -> Rendered {
    std::panic::catch_unwind(|| ours_unguarded(dir)).unwrap_or_else(|panic| {
        let text =
            panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned());
        Err(format!("panic: {}", text.unwrap_or_default()))
    })
}

fn ours_unguarded(dir: &Path) -> Rendered {
    let mut chart = kots_helm::chart::load_dir(dir).map_err(|e| e.to_string())?;
    let values = kots_helm::values::render_values(&mut chart, &json!({})).map_err(|e| e.to_string())?;
    engine::render(&chart, &values, &options()).map_err(|e| e.to_string())
}

fn helm(dir: &Path) -> Rendered {
    let out = Command::new("python3")
        .arg(RENDER_PY)
        .arg(dir)
        .args(["--name", "rel", "--namespace", "ns", "--kube-version", "v1.30.0"])
        .output()
        .expect("python3 runs");
    if out.status.success() {
        let map: BTreeMap<String, String> = serde_json::from_slice(&out.stdout).expect("render.py prints JSON");
        Ok(map)
    } else {
        let text = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        Err(text.strip_prefix(HELM_ERROR).map(str::to_owned).unwrap_or(text))
    }
}

// ---- hand-written charts ----

fn chart_yaml(name: &str, extra: &str) -> String {
    format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\nappVersion: \"1.2.3\"\n{extra}")
}

fn files(entries: &[(&str, &str)]) -> Vec<(String, String)> {
    entries.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect()
}

const FEATURE_VALUES: &str = r#"name: demo
count: 3
big: 1000000
huge: 1.0e+21
ratio: 0.25
neg: -7
flag: true
disabled: false
empty: ""
zero: 0
nothing: null
list: [a, b, c]
nums: [1, 2.5, 1000000, -3]
mixed: [1, "two", true, null, {k: v}]
map:
  b: 2
  a: 1
  c: {x: y, z: [1, 2]}
tplText: "{{ .Release.Name }}-{{ include \"lib.name\" . }}"
tplTemplate: "{{ .Template.Name }} {{ .Template.BasePath }}"
tplNested: "{{ tpl .Values.tplText . }}!"
yamlText: "a: 1\nb: [x, y]\nc: {d: true}\n"
yamlList: "- 1\n- two\n- {k: v}\n"
jsonText: '{"a": 1, "b": [true, null], "c": 1000000}'
image: {repository: nginx, tag: "1.25", pullPolicy: IfNotPresent}
text: "Hello, World! hello-world_42"
spaced: "  padded  "
multi: "line one\nline two\n"
"#;

const FEATURE_HELPERS: &str = r#"{{/* A comment: not output. */}}
{{- define "lib.name" -}}{{ .Chart.Name }}-{{ .Values.name }}{{- end -}}
{{- define "lib.labels" -}}
app: {{ include "lib.name" . }}
chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
release: {{ .Release.Name }}
{{- end -}}
{{- define "lib.kv" -}}{{ .key }}={{ .value }}{{- end -}}
{{- define "lib.outer" -}}[{{ include "lib.kv" (dict "key" .k "value" (include "lib.inner" .)) }}]{{- end -}}
{{- define "lib.inner" -}}<{{ .v }}:{{ .root.Release.Namespace }}>{{- end -}}
{{- define "lib.self" -}}{{ .Template.Name }}{{- end -}}
"#;

fn feature_chart() -> Vec<(String, String)> {
    files(&[
        ("Chart.yaml", &chart_yaml("feat", "description: features\n")),
        ("values.yaml", FEATURE_VALUES),
        ("templates/_helpers.tpl", FEATURE_HELPERS),
        ("files/a.txt", "alpha\nbeta\n"),
        ("files/b.txt", "bee"),
        ("files/conf/c.yaml", "key: value\n"),
        ("files/empty.txt", ""),
        (
            "templates/include.yaml",
            r#"labels:
  {{- include "lib.labels" . | nindent 2 }}
kv: {{ include "lib.kv" (dict "key" "k" "value" .Values.count) }}
outer: {{ include "lib.outer" (dict "k" "key" "v" "val" "root" $) }}
self: {{ include "lib.self" . }}
trimmed: {{ include "lib.name" . | upper | quote }}
"#,
        ),
        (
            "templates/tpl.yaml",
            r#"a: {{ tpl .Values.tplText . }}
b: {{ tpl .Values.tplTemplate . }}
c: {{ tpl .Values.tplNested . }}
d: {{ tpl "{{ .k }}" (dict "k" "dictctx") }}
e: {{ tpl "{{ include \"lib.kv\" (dict \"key\" 1 \"value\" 2) }}" . }}
f: {{ tpl (toYaml .Values.image) . | nindent 2 }}
"#,
        ),
        (
            "templates/serial.yaml",
            r#"toYaml: {{ toYaml .Values.map | nindent 2 }}
toJson: {{ toJson .Values.map }}
mixed: {{ toJson .Values.mixed }}
nums: {{ toYaml .Values.nums | nindent 2 }}
fromYaml: {{ fromYaml .Values.yamlText | toJson }}
fromYamlArray: {{ fromYamlArray .Values.yamlList | toJson }}
fromJson: {{ fromJson .Values.jsonText | toJson }}
fromJsonC: {{ (fromJson .Values.jsonText).c }}
toToml: |
{{ toToml .Values.map | indent 2 }}
roundtrip: {{ .Values.image | toYaml | fromYaml | toJson }}
str: {{ toYaml "yes" }} {{ toYaml 1.5 }} {{ toYaml .Values.nothing }} {{ toJson .Values.empty }}
"#,
        ),
        (
            "templates/indent.yaml",
            "a:{{ .Values.multi | nindent 4 }}\nb: |\n{{ .Values.multi | indent 2 }}\nc: {{ \"x\" | indent 3 }}|\nd: {{ \"\" | nindent 2 }}|\n",
        ),
        (
            "templates/defaults.yaml",
            r#"d1: {{ .Values.missing | default "dflt" }}
d2: {{ .Values.empty | default "dflt" }}
d3: {{ .Values.zero | default 5 }}
d4: {{ .Values.disabled | default true }}
d5: {{ .Values.list | default "x" }}
d6: {{ default "x" .Values.nothing }}
e: {{ empty .Values.empty }} {{ empty .Values.zero }} {{ empty .Values.list }} {{ empty .Values.missing }} {{ empty (list) }} {{ empty (dict) }} {{ empty .Values.disabled }}
c: {{ coalesce .Values.missing .Values.empty .Values.zero "first" "second" }}
c2: {{ coalesce .Values.nothing .Values.count }}
t: {{ ternary "yes" "no" .Values.flag }} {{ ternary "yes" "no" .Values.disabled }} {{ .Values.flag | ternary 1 2 }}
"#,
        ),
        (
            "templates/range.yaml",
            r#"{{- range $k, $v := .Values.map }}
{{ $k }}: {{ $v }}
{{- end }}
{{- range $i, $v := .Values.list }}
- {{ $i }} {{ $v }} {{ $.Release.Name }}
{{- end }}
{{- range .Values.nums }}
n: {{ . }}
{{- end }}
{{- range .Values.missing }}never{{ else }}
else-branch
{{- end }}
{{- range $i, $e := until 3 }}{{ $i }}{{ $e }}{{ end }}
{{ range tuple "x" "y" }}{{ . }}{{ end }}
"#,
        ),
        (
            "templates/with.yaml",
            r#"{{- with .Values.image }}
repo: {{ .repository }}:{{ .tag }} ns={{ $.Release.Namespace }} chart={{ $.Chart.Name }}
{{- end }}
{{- with .Values.missing }}never{{ else }}
none
{{- end }}
{{- with $x := .Values.count }}
x: {{ $x }}
{{- end }}
"#,
        ),
        (
            "templates/files.yaml",
            r#"get: {{ .Files.Get "files/a.txt" | quote }}
missing: {{ .Files.Get "files/nope.txt" | quote }}
bytes: {{ .Files.GetBytes "files/b.txt" | len }}
lines: {{ range .Files.Lines "files/a.txt" }}[{{ . }}]{{ end }}
glob: {{ range $path, $_ := .Files.Glob "files/*.txt" }}{{ $path }} {{ end }}
globAll: {{ range $path, $_ := .Files.Glob "files/**" }}{{ $path }} {{ end }}
config:
{{ (.Files.Glob "files/*.txt").AsConfig | indent 2 }}
secrets:
{{ (.Files.Glob "files/*.txt").AsSecrets | indent 2 }}
conf: {{ (.Files.Glob "files/conf/*").AsConfig | nindent 2 }}
"#,
        ),
        (
            "templates/caps.yaml",
            r#"kube: {{ .Capabilities.KubeVersion }} {{ .Capabilities.KubeVersion.Version }} {{ .Capabilities.KubeVersion.Major }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.KubeVersion.GitVersion }}
semver: {{ semverCompare ">=1.25-0" .Capabilities.KubeVersion.Version }} {{ semverCompare "<1.29.0" .Capabilities.KubeVersion.GitVersion }} {{ semverCompare "^1.30" .Capabilities.KubeVersion.Version }}
has: {{ .Capabilities.APIVersions.Has "apps/v1" }} {{ .Capabilities.APIVersions.Has "batch/v1beta1" }} {{ .Capabilities.APIVersions.Has "nope/v1" }} {{ .Capabilities.APIVersions.Has "apps/v1/Deployment" }}
helm: {{ .Capabilities.HelmVersion.Version }}
"#,
        ),
        (
            "templates/release.yaml",
            "name: {{ .Release.Name }}\nns: {{ .Release.Namespace }}\ninstall: {{ .Release.IsInstall }}\nupgrade: {{ .Release.IsUpgrade }}\nrevision: {{ .Release.Revision }}\nservice: {{ .Release.Service }}\n",
        ),
        (
            "templates/chart-info.yaml",
            "name: {{ .Chart.Name }}\nversion: {{ .Chart.Version }}\napp: {{ .Chart.AppVersion }}\nroot: {{ .Chart.IsRoot }}\ndesc: {{ .Chart.Description }}\napi: {{ .Chart.APIVersion }}\n",
        ),
        ("templates/deep/dir/where.yaml", "name: {{ .Template.Name }}\nbase: {{ .Template.BasePath }}\n"),
        (
            "templates/lookup.yaml",
            r#"l: {{ lookup "v1" "Secret" "ns" "x" }}
len: {{ len (lookup "v1" "Secret" "ns" "") }}
{{- $s := lookup "v1" "ConfigMap" .Release.Namespace "cm" }}
{{- if $s }}found{{ else }}
notfound
{{- end }}
data: {{ (lookup "v1" "Secret" "ns" "x").data | default "none" }}
"#,
        ),
        (
            "templates/whitespace.yaml",
            "a:   {{- \" x \" -}}   :b\n{{- /* gone */ -}}\n\nc: {{ \"y\" }}  \n  {{- \"\" }}\n{{/* kept newline */}}\nd\n",
        ),
        (
            "templates/printf.yaml",
            r#"a: {{ printf "%s=%d" "k" 3 }}
b: {{ printf "%v %v %v" .Values.count .Values.ratio .Values.big }}
c: {{ printf "%.2f" .Values.ratio }}
d: {{ printf "%q" .Values.name }}
e: {{ printf "%05d" (int .Values.count) }}
f: {{ printf "%v" .Values.map }}
g: {{ printf "%v" .Values.list }}
h: {{ printf "%t" .Values.flag }}
i: {{ print 1 2 "a" "b" 3 }}
j: {{ println "x" }}
"#,
        ),
        (
            "templates/dicts.yaml",
            r#"{{- $d := dict "a" 1 "b" "two" }}
{{- $_ := set $d "c" (list 1 2) }}
{{- $_ := unset $d "a" }}
d: {{ toJson $d }}
merged: {{ merge (dict "x" 1 "y" (dict "p" 1)) (dict "y" (dict "q" 2) "z" 3) | toJson }}
mergeOverwrite: {{ mergeOverwrite (dict "x" 1) (dict "x" 2) | toJson }}
copy: {{ deepCopy .Values.map | toJson }}
pluck: {{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) | toJson }}
list: {{ list 1 "a" .Values.flag | toJson }}
append: {{ append .Values.list "d" | toJson }}
keys: {{ keys .Values.map | sortAlpha | join "," }}
hasKey: {{ hasKey .Values.map "a" }} {{ hasKey .Values.map "zz" }}
dig: {{ dig "c" "x" "none" .Values.map }} {{ dig "c" "q" "none" .Values.map }}
get: {{ get .Values.map "b" }}
pick: {{ pick .Values.map "a" "b" | toJson }}
omit: {{ omit .Values.map "a" | toJson }}
index: {{ index .Values.map "c" "z" 1 }} {{ index .Values.list 2 }}
"#,
        ),
        (
            "templates/crypto.yaml",
            r#"b64: {{ .Values.name | b64enc }} {{ "ZGVtbw==" | b64dec }}
sha: {{ .Values.name | sha256sum }}
sha1: {{ sha1sum "x" }}
adler: {{ adler32sum "x" }}
"#,
        ),
        (
            "templates/regex.yaml",
            r#"m: {{ regexMatch "^[A-Z][a-z]+," .Values.text }} {{ regexMatch "^x" .Values.text }}
r: {{ regexReplaceAll "[aeiou]" .Values.text "_" }}
r2: {{ regexReplaceAll "(h)(e)" .Values.text "${2}${1}" }}
l: {{ regexReplaceAllLiteral "l+" .Values.text "$1" }}
f: {{ regexFind "[0-9]+" .Values.text }}
fa: {{ regexFindAll "o." .Values.text -1 | toJson }}
s: {{ regexSplit "[ ,]+" .Values.text -1 | toJson }}
"#,
        ),
        (
            "templates/strings.yaml",
            r#"trunc: {{ trunc 5 .Values.text }} {{ trunc 63 .Values.text }} {{ trunc -3 .Values.text }}
trimSuffix: {{ trimSuffix "_42" .Values.text }} {{ "name-" | trimSuffix "-" }}
trim: [{{ trim .Values.spaced }}] [{{ trimAll " p" .Values.spaced }}] [{{ trimPrefix "  " .Values.spaced }}]
case: {{ upper .Values.name }} {{ title "hello world" }} {{ lower "ABC" }} {{ untitle "Hello" }}
more: {{ snakecase "HelloWorld" }} {{ camelcase "hello_world" }} {{ kebabcase "HelloWorld" }}
quote: {{ quote .Values.name }} {{ squote .Values.name }} {{ quote .Values.count }} {{ quote .Values.missing }}
replace: {{ replace "l" "L" .Values.text }}
split: {{ splitList "," "a,b,,c" | toJson }} {{ join "-" .Values.list }}
contains: {{ contains "World" .Values.text }} {{ hasPrefix "Hello" .Values.text }} {{ hasSuffix "42" .Values.text }}
repeat: {{ repeat 3 "ab" }} {{ substr 0 5 .Values.text }} {{ nospace "a b c" }}
cat: {{ cat "a" 1 .Values.flag }}
"#,
        ),
        (
            "templates/numbers.yaml",
            r#"raw: {{ .Values.count }} {{ .Values.big }} {{ .Values.huge }} {{ .Values.ratio }} {{ .Values.neg }} {{ .Values.zero }}
int: {{ int .Values.big }} {{ int64 .Values.ratio }} {{ int .Values.neg }} {{ int "12" }}
float: {{ float64 .Values.count }} {{ float64 "2.5" }} {{ float64 .Values.big }}
math: {{ add .Values.count 1 }} {{ sub .Values.count 5 }} {{ mul .Values.count 2 }} {{ div .Values.big 3 }} {{ mod 7 3 }}
maxmin: {{ max 1 .Values.count 2 }} {{ min 4 .Values.count }}
floatmath: {{ addf .Values.ratio 1 }} {{ mulf .Values.ratio 4 }} {{ divf 1 3 }}
round: {{ round 2.567 2 }} {{ ceil 1.2 }} {{ floor 1.8 }}
toString: {{ toString .Values.big }} {{ .Values.big | toString | quote }}
json: {{ toJson .Values.big }} {{ toJson .Values.huge }} {{ toJson .Values.ratio }}
yaml: {{ toYaml .Values.big }} {{ toYaml .Values.huge }}
cmp: {{ gt .Values.count 2.0 }} {{ eq .Values.count 3.0 }} {{ lt (int .Values.count) 10 }}
typeOf: {{ typeOf .Values.count }} {{ typeOf (int .Values.count) }} {{ kindOf .Values.list }} {{ typeOf .Values.map }}
len: {{ len .Values.list }} {{ len .Values.name }} {{ len .Values.map }}
seq: {{ until 3 | toJson }} {{ untilStep 0 10 3 | toJson }} {{ seq 1 3 }}
"#,
        ),
        ("templates/NOTES.txt", "Installed {{ .Release.Name }} ({{ .Chart.Name }})\n"),
        ("templates/empty.yaml", "{{- if .Values.missing }}\nnever\n{{- end }}\n"),
    ])
}

/// A parent with two subcharts: values scoped to each, globals, a parent `define` winning over
/// a subchart's, `.Subcharts`, `.Chart.IsRoot`.
fn subchart_chart() -> Vec<(String, String)> {
    files(&[
        ("Chart.yaml", &chart_yaml("parent", "")),
        (
            "values.yaml",
            "global:\n  region: eu\n  count: 2\nown: parentval\nalpha:\n  port: 8080\n  extra: [1, 2]\nbeta:\n  enabled: true\n  name: fromparent\n",
        ),
        (
            "templates/_helpers.tpl",
            "{{- define \"shared.name\" -}}parent-wins{{- end -}}\n{{- define \"parent.only\" -}}{{ .Values.own }}{{- end -}}\n",
        ),
        (
            "templates/top.yaml",
            r#"own: {{ .Values.own }}
global: {{ .Values.global.region }} {{ .Values.global.count }}
alpha: {{ .Values.alpha.port }} {{ toJson .Values.alpha }}
beta: {{ toJson .Values.beta }}
shared: {{ include "shared.name" . }}
subcharts: {{ .Subcharts.alpha.Values.port }} {{ .Subcharts.alpha.Chart.Name }} {{ .Subcharts.beta.Chart.Version }} {{ .Subcharts.beta.Chart.IsRoot }}
root: {{ .Chart.IsRoot }}
"#,
        ),
        ("charts/alpha/Chart.yaml", "apiVersion: v2\nname: alpha\nversion: 1.0.0\nappVersion: a1\n"),
        ("charts/alpha/values.yaml", "port: 80\nname: alpha-default\nglobal:\n  region: us\n  sub: x\n"),
        (
            "charts/alpha/templates/_helpers.tpl",
            "{{- define \"shared.name\" -}}alpha-loses{{- end -}}\n{{- define \"alpha.name\" -}}{{ .Chart.Name }}-{{ .Values.name }}{{- end -}}\n",
        ),
        (
            "charts/alpha/templates/svc.yaml",
            r#"port: {{ .Values.port }}
name: {{ include "alpha.name" . }}
shared: {{ include "shared.name" . }}
parentDefine: {{ include "parent.only" . }}
global: {{ toJson .Values.global }}
chart: {{ .Chart.Name }} {{ .Chart.Version }} {{ .Chart.AppVersion }} {{ .Chart.IsRoot }}
template: {{ .Template.Name }} {{ .Template.BasePath }}
values: {{ toJson .Values }}
"#,
        ),
        ("charts/beta/Chart.yaml", "apiVersion: v2\nname: beta\nversion: 2.0.0\n"),
        ("charts/beta/values.yaml", "enabled: false\nname: beta-default\nlist: [x]\n"),
        (
            "charts/beta/templates/cm.yaml",
            "{{- if .Values.enabled }}\nname: {{ .Values.name }}\nlist: {{ .Values.list }}\nglobal: {{ .Values.global.region }}\nrel: {{ .Release.Name }}\n{{- end }}\n",
        ),
        ("charts/beta/charts/gamma/Chart.yaml", "apiVersion: v2\nname: gamma\nversion: 3.0.0\n"),
        ("charts/beta/charts/gamma/values.yaml", "deep: true\n"),
        (
            "charts/beta/charts/gamma/templates/g.yaml",
            "deep: {{ .Values.deep }} {{ .Values.global.region }} {{ .Template.BasePath }} {{ include \"shared.name\" . }}\n",
        ),
    ])
}

/// Charts that Helm refuses, one error each.
fn error_charts() -> Vec<(&'static str, Vec<(String, String)>)> {
    let base = |name: &str, template: &str| {
        files(&[
            ("Chart.yaml", &chart_yaml(name, "")),
            ("values.yaml", "present: here\nempty: \"\"\n"),
            ("templates/ok.yaml", "fine: {{ .Values.present }}\n"),
            (
                "templates/_h.tpl",
                "{{- define \"boom\" -}}\n{{ fail (printf \"boom: %s\" .) }}\n{{- end -}}\n{{- define \"wrap\" -}}{{ include \"boom\" . }}{{- end -}}\n",
            ),
            ("templates/bad.yaml", template),
        ])
    };
    vec![
        ("required-missing", base("req", "a: 1\nb: {{ required \"value .Values.x is required\" .Values.x }}\n")),
        ("required-empty", base("req2", "b: {{ .Values.empty | required \"empty is not enough\" }}\n")),
        ("fail", base("fl", "x\n\n  {{- fail \"stopped here\" }}\n")),
        ("fail-nested-include", base("fl2", "{{ include \"wrap\" \"deep\" }}\n")),
        ("required-in-tpl", base("rt", "{{ tpl \"{{ required \\\"in tpl\\\" .Values.nope }}\" . }}\n")),
        // Helm's `Lines` of an empty file indexes [-1]: a Go runtime error, kept as an error.
        ("lines-of-empty-file", {
            let mut f = base("le", "n: {{ .Files.Lines \"files/empty.txt\" | len }}\n");
            f.push(("files/empty.txt".into(), String::new()));
            f
        }),
        ("wrong-type", base("wt", "a: 1\nb: {{ ternary \"a\" \"b\" .Values.nope }}\n")),
        ("nil-pointer", base("np", "{{ .Values.nope.deeper }}\n")),
        ("index-out-of-range", base("ir", "{{ index (list 1 2) 5 }}\n")),
        ("include-missing", base("im", "{{ include \"not.defined\" . }}\n")),
        ("undefined-function", base("uf", "{{ nosuchfunc 1 }}\n")),
        ("unclosed-action", base("ua", "a: {{ .Values.present\n")),
        ("bad-regex", base("br", "{{ mustRegexMatch \"[\" \"x\" }}\n")),
        ("fail-in-tpl", base("ft", "x: 1\n{{ tpl \"{{ fail \\\"from tpl\\\" }}\" . }}\n")),
        ("fail-in-range", base("fr", "{{ range list 1 2 }}{{ if eq . 2 }}{{ fail \"at two\" }}{{ end }}{{ end }}\n")),
        ("fail-in-with", base("fw", "{{ with .Values.present }}\n{{ fail (printf \"with %s\" .) }}\n{{ end }}\n")),
    ]
}

/// Kept differences: charts both engines refuse (the same charts, so `helm template` and ours
/// agree on what renders), with other words. Helm v4.2.3 words only `fail` and `required` as
/// `execution error at (FILE:L:C): MESSAGE`, which the engine matches; for other errors it has
/// two more forms, seen through render.py and not yet followed by `engine::exec_error`:
/// - a function's own error (`index` out of range, `mustRegexMatch`'s bad pattern, `Lines` of
///   an empty file): text/template's raw `template: FILE:L:C: executing "FILE" at <NODE>:
///   error calling F: MESSAGE`;
/// - an evaluation error (wrong argument type, nil pointer) or a failed `include`:
///   `FILE:L:C\n  executing "FILE" at <NODE>:\n    MESSAGE`, where C is that of the second
///   field of a chain such as `.Values.nope` (text/template's chain node; kots-template names
///   the first field or the action), and `include`'s message names Helm's template set
///   `gotpl`.
const ERROR_WORDING_DIFFERS: &[&str] =
    &["lines-of-empty-file", "wrong-type", "nil-pointer", "index-out-of-range", "include-missing", "bad-regex"];

/// One disagreement, in full, for the report.
fn show(label: &str, template: &str, ours: &str, helm: &str) -> String {
    format!("--- {label}\n--- template:\n{template}\n--- ours:\n{ours}\n--- helm:\n{helm}\n")
}

/// Compares two renders per template path. Returns (agree, total, first disagreements).
fn compare(label: &str, dir: &Path, ours: &Rendered, helm: &Rendered, known: &[&str]) -> (usize, usize, Vec<String>) {
    match (ours, helm) {
        (Ok(a), Ok(b)) => {
            let mut agree = 0;
            let mut bad = Vec::new();
            let paths: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for path in &paths {
                let (x, y) = (a.get(*path), b.get(*path));
                if x == y || known.contains(&path.as_str()) {
                    agree += 1;
                    continue;
                }
                let rel = path.split_once('/').map_or(path.as_str(), |(_, r)| r);
                let text = std::fs::read_to_string(dir.join(rel)).unwrap_or_default();
                bad.push(show(
                    &format!("{label}: {path}"),
                    &text,
                    x.map_or("(no such template)", String::as_str),
                    y.map_or("(no such template)", String::as_str),
                ));
            }
            (agree, paths.len(), bad)
        }
        (Err(a), Err(b)) if a == b || ERROR_WORDING_DIFFERS.contains(&label) => (1, 1, Vec::new()),
        (a, b) => (0, 1, vec![show(label, "(whole chart)", &format!("{a:?}"), &format!("{b:?}"))]),
    }
}

#[test]
fn hand_written_charts_render_as_helm_renders() {
    if !oracle_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut charts: Vec<(&str, ChartFiles, bool)> =
        vec![("features", feature_chart(), false), ("subcharts", subchart_chart(), false)];
    charts.extend(error_charts().into_iter().map(|(n, f)| (n, f, true)));
    let (mut agree, mut total, mut bad, mut worded) = (0, 0, Vec::new(), 0);
    for (name, chart, expect_error) in &charts {
        let dir = tmp.path().join(name);
        write_chart(&dir, chart);
        let (a, b) = (ours(&dir), helm(&dir));
        if *expect_error {
            assert!(b.is_err(), "{name}: Helm was expected to refuse the chart: {b:?}");
        } else {
            assert!(b.is_ok(), "{name}: Helm refused the chart: {b:?}");
        }
        if let (Err(x), Err(y)) = (&a, &b)
            && x != y
        {
            worded += 1;
        }
        let (x, y, mut z) = compare(name, &dir, &a, &b, &[]);
        agree += x;
        total += y;
        bad.append(&mut z);
    }
    let _ = writeln!(
        std::io::stderr(),
        "hand-written: {agree}/{total} agree ({worded} of them refused by both with other words, kept)"
    );
    assert!(bad.is_empty(), "{} disagreements:\n{}", bad.len(), bad.join("\n"));
    assert!(total >= 30, "every hand-written template compared: {total}");
}

// ---- the generated chart ----

fn seed_and_count() -> (u64, usize) {
    let seed = std::env::var("KOTS_HELM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_201);
    let count = std::env::var("KOTS_HELM_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let _ = writeln!(std::io::stderr(), "KOTS_HELM_SEED={seed} KOTS_HELM_CASES={count}");
    (seed, count)
}

const WORDS: &[&str] = &[
    "alpha",
    "beta",
    "Gamma",
    "delta-x",
    "hello world",
    "foo_bar",
    "CamelCase",
    "snake_case_here",
    "with.dot",
    "a:b",
    "#hash",
    "  spaced  ",
    "",
    "123",
    "0x1F",
    "010",
    "true",
    "yes",
    "null",
    "~",
    "1e3",
    "3.14",
    "multi\nline\ntext\n",
    "tab\there",
    "quote\"d",
    "back\\slash",
    "ünïcødé",
    "日本語",
    "emoji😀",
    "-",
    "a,b,c",
    "key=value",
    "<html>&amp;",
    "%s %d",
    "x",
    "nginx",
    "IfNotPresent",
    "ClusterIP",
    "v1.2.3",
    "'single'",
    "trailing ",
    "@at",
    "*star",
    "!bang",
];

const KEY_PARTS: &[&str] =
    &["app", "svc", "img", "port", "name", "tag", "cfg", "env", "rep", "res", "lim", "vol", "x", "y"];

/// Values of Helm's numbers (all float64): bounded ones go through every number function;
/// [`BIG`] ones (beyond int64 or float64's exact integers) only through those that print.
const BIG: f64 = 1e15;

fn number(rng: &mut StdRng) -> Value {
    match rng.random_range(0..8) {
        0..=2 => json!(rng.random_range(-1000i64..1000)),
        3 => json!([0, 1, -1, 1_000_000, 123_456_789, 3_000_000, 65535, 10][rng.random_range(0..8)]),
        4 | 5 => json!(f64::from(rng.random_range(-100_000i32..100_000)) / 1000.0),
        6 => json!([0.1, 0.5, 1.5e-7, 2.5, -0.25, 99.99, 1e-3][rng.random_range(0..7)]),
        _ => json!([1e21, 1.5e300, 9.007_199_254_740_993e15, 1e15, -2.5e18][rng.random_range(0..5)]),
    }
}

fn string(rng: &mut StdRng) -> String {
    let n = rng.random_range(1..=3);
    let seps = [" ", "-", "_", "", ".", "/"];
    let sep = seps[rng.random_range(0..seps.len())];
    (0..n).map(|_| WORDS[rng.random_range(0..WORDS.len())]).collect::<Vec<_>>().join(sep)
}

fn key(rng: &mut StdRng, taken: &serde_json::Map<String, Value>) -> String {
    loop {
        let mut k = KEY_PARTS[rng.random_range(0..KEY_PARTS.len())].to_owned();
        if rng.random_bool(0.6) {
            let part = KEY_PARTS[rng.random_range(0..KEY_PARTS.len())];
            k.push_str(&part[..1].to_uppercase());
            k.push_str(&part[1..]);
        }
        if rng.random_bool(0.3) {
            k.push_str(&rng.random_range(0..10).to_string());
        }
        if rng.random_bool(0.05) {
            k.push_str("-d"); // only reachable with `index`
        }
        if !taken.contains_key(&k) {
            return k;
        }
    }
}

fn value(rng: &mut StdRng, depth: usize) -> Value {
    let pick = if depth >= 3 { rng.random_range(0..6) } else { rng.random_range(0..9) };
    match pick {
        0 | 1 => Value::String(string(rng)),
        2 | 3 => number(rng),
        4 => Value::Bool(rng.random_bool(0.5)),
        5 => {
            if rng.random_bool(0.5) {
                Value::Null
            } else {
                Value::String(string(rng))
            }
        }
        6 => {
            let n = rng.random_range(0..5);
            Value::Array((0..n).map(|_| value(rng, depth + 2)).collect())
        }
        _ => {
            let n = rng.random_range(0..6);
            let mut map = serde_json::Map::new();
            for _ in 0..n {
                let k = key(rng, &map);
                map.insert(k, value(rng, depth + 1));
            }
            Value::Object(map)
        }
    }
}

/// How a template reaches a value: `.Values.a.b` or `index .Values "a-d" "b"`.
fn access(path: &[String]) -> String {
    if path.iter().all(|k| !k.contains('-')) {
        format!(".Values.{}", path.join("."))
    } else {
        let keys: Vec<String> = path.iter().map(|k| format!("{k:?}")).collect();
        format!("(index .Values {})", keys.join(" "))
    }
}

/// Every value of the tree with its access expression (map members; list items by `index`),
/// and for each map one key it lacks (a missing value: nil, as Go's map index gives).
fn paths(v: &Value, path: &mut Vec<String>, expr: &str, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, item) in map {
                path.push(k.clone());
                let e = access(path);
                out.push((e.clone(), item.clone()));
                paths(item, path, &e, out);
                path.pop();
            }
            path.push("nothere".into());
            out.push((access(path), Value::Null));
            path.pop();
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let e = format!("(index {expr} {i})");
                out.push((e.clone(), item.clone()));
                // Below a list item, maps are reached with `index` only.
                index_paths(item, &e, out);
            }
        }
        _ => {}
    }
}

fn index_paths(v: &Value, expr: &str, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) => {
            for (k, item) in map {
                let e = format!("(index {expr} {k:?})");
                out.push((e.clone(), item.clone()));
                index_paths(item, &e, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let e = format!("(index {expr} {i})");
                out.push((e.clone(), item.clone()));
                index_paths(item, &e, out);
            }
        }
        _ => {}
    }
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// One expression over `x` (whose value is `v`) that cannot fail.
fn expression(rng: &mut StdRng, x: &str, v: &Value) -> String {
    let any = |rng: &mut StdRng| -> String {
        let f = pick(
            rng,
            &[
                "include \"gen.dump\" X",
                "include \"gen.nested\" (dict \"name\" \"n\" \"val\" X \"root\" $)",
                "tpl \"{{ toJson .v }}\" (dict \"v\" X)",
                "X | toJson | b64enc",
                "X | toJson | sha256sum | trunc 12",
                "typeOf X",
                "kindOf X",
                "empty X",
                "coalesce X \"fallback\"",
                "X | default \"fallback\"",
                "ternary \"set\" \"unset\" (empty X)",
                "list X X | toJson",
                "dict \"k\" X | toYaml",
                "toJson X",
                "toYaml X | nindent 2",
                "printf \"%v\" X",
                "X | toString | quote",
                "printf \"%#v\" X",
                "printf \"%T\" X",
                "toPrettyJson X",
                "toRawJson X",
                "kindIs \"map\" X",
                "typeIs \"string\" X",
                "typeIsLike \"float64\" X",
                "tpl \"{{ include \\\"gen.dump\\\" .v }}\" (dict \"v\" X)",
                "quote X",
                "print X",
            ],
        );
        f.replace('X', x)
    };
    if rng.random_bool(0.25) {
        return wrap(&any(rng));
    }
    let f = match v {
        Value::Null => pick(
            rng,
            &[
                "X",
                "X | default \"d\"",
                "empty X",
                "quote X",
                "toJson X",
                "toYaml X",
                "coalesce X \"c\"",
                "typeOf X",
                "kindOf X",
                "X | toString",
                "printf \"%v\" X",
            ],
        ),
        Value::Bool(_) => pick(
            rng,
            &[
                "X",
                "not X",
                "and X true",
                "or X false",
                "ternary \"y\" \"n\" X",
                "toString X",
                "quote X",
                "toJson X",
                "toYaml X",
                "empty X",
                "X | default \"d\"",
                "eq X true",
                "typeOf X",
                "int X",
            ],
        ),
        Value::String(s) => {
            let mut fs = vec![
                "X",
                "X | quote",
                "squote X",
                "upper X",
                "lower X",
                "title X",
                "X | b64enc",
                "X | sha256sum",
                "X | len",
                "trim X",
                "X | toJson",
                "X | toYaml",
                "X | nospace",
                "X | replace \"a\" \"_\"",
                "regexMatch \"^[a-z]+$\" X",
                "regexReplaceAll \"[aeiou]\" X \"_\"",
                "contains \"e\" X",
                "hasPrefix \"a\" X",
                "trimSuffix \"s\" X",
                "trimPrefix \"a\" X",
                "X | default \"dflt\"",
                "empty X",
                "X | repeat 2",
                "printf \"%s|%q\" X X",
                "tpl X $",
                "X | indent 2",
                "X | nindent 4",
                "X | toString",
                "int X",
                "float64 X",
                "atoi X",
                "splitList \",\" X | toJson",
                "X | splitList \" \" | join \"+\"",
                "cat X \"z\"",
                "regexFind \"[0-9]+\" X",
                "ternary \"a\" \"b\" (eq X \"alpha\")",
                "X | b64enc | b64dec",
                "X | sha1sum",
                "X | adler32sum",
                "urlquery X",
                "html X",
                "js X",
                "printf \"%q|%x|%10s|%-6s|\" X X X X",
                "initials X",
                "swapcase X",
                "plural \"one\" \"many\" (len X)",
                "regexReplaceAll \"(a)(b)?\" X \"${1}x\"",
                "regexSplit \"[ ,]\" X -1 | toJson",
                "regexFindAll \"[a-z]+\" X 2 | toJson",
                "splitn \",\" 2 X | toJson",
                "split \" \" X | toJson",
                "X | indent 4 | trim",
                "X | snakecase",
                "X | kebabcase",
                "hasSuffix \"a\" X",
                "X | lower | title",
                "untitle X",
            ];
            // KNOWN DIFFERENCE: functions that cut strings at byte offsets (sprig's `trunc`,
            // `substr`, `wrapWith`, `abbrev`) can cut a UTF-8 sequence in Go, leaving bytes
            // that are not UTF-8 in Helm's output; the engine's strings are always UTF-8 (a
            // cut sequence becomes one U+FFFD), so these run on ASCII strings only.
            if s.is_ascii() {
                fs.extend([
                    "trunc 5 X",
                    "trunc 63 X",
                    "trunc -3 X",
                    "substr 0 3 X",
                    "X | camelcase",
                    "wrap 6 X",
                    "wrapWith 5 \"|\" X",
                    "abbrev 10 X",
                    "X | trunc 4 | trimSuffix \"-\"",
                ]);
            }
            pick(rng, &fs)
        }
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            let mut fs = vec![
                "X",
                "X | toString",
                "quote X",
                "float64 X",
                "printf \"%v\" X",
                "printf \"%g\" X",
                "toJson X",
                "toYaml X",
                "empty X",
                "X | default 42",
                "gt X 0.0",
                "lt X 100.0",
                "eq X 3.0",
                "printf \"%.1e\" X",
                "typeOf X",
            ];
            if f.abs() < BIG {
                fs.extend([
                    "int X",
                    "int64 X",
                    "add X 1",
                    "add1 X",
                    "sub X 2",
                    "mul X 3",
                    "div X 7",
                    "mod X 5",
                    "max X 10",
                    "min X -10",
                    "addf X 0.5",
                    "mulf X 2",
                    "subf X 1.25",
                    "divf X 4",
                    "round X 2",
                    "ceil X",
                    "floor X",
                    "printf \"%.3f\" X",
                    "printf \"%d\" (int X)",
                    "printf \"%05.1f\" X",
                    "ternary \"pos\" \"neg\" (ge X 0.0)",
                    "int X | toString",
                    "X | int64 | quote",
                    "printf \"%e\" X",
                    "printf \"%8.2f|\" X",
                    "printf \"%x\" (int X)",
                    "toString (int64 X)",
                    "atoi (toString (int X))",
                    "X | int | add 1 | mul 2",
                    "round X 0",
                    "ceil X | int",
                    "div (int X) 3",
                ]);
            }
            pick(rng, &fs)
        }
        Value::Array(items) => {
            let mut fs = vec![
                "X | toJson",
                "toYaml X | nindent 2",
                "len X",
                "first X",
                "last X",
                "join \",\" X",
                "X | sortAlpha | toJson",
                "uniq X | toJson",
                "has \"alpha\" X",
                "rest X | toJson",
                "initial X | toJson",
                "compact X | toJson",
                "{{ range $i, $v := X }}[{{ $i }}:{{ $v }}]{{ end }}",
                "concat X (list 1) | toJson",
                "append X \"z\" | toJson",
                "prepend X \"a\" | toJson",
                "without X \"alpha\" | toJson",
                "toStrings X | toJson",
                "deepCopy X | toJson",
                "printf \"%v\" X",
                "toString X",
                "empty X",
                "X | default (list \"d\") | toJson",
                "kindOf X",
                "typeOf X",
                "{{ range X }}<{{ . }}|{{ $.Chart.Name }}>{{ else }}none{{ end }}",
                "join \"-\" (toStrings X)",
                "len (uniq X)",
                "quote X",
                "toPrettyJson X",
                "sortAlpha X | join \",\"",
            ];
            if !multi_line(v) {
                fs.push("fromYamlArray (toYaml X) | toJson");
            }
            if !items.is_empty() {
                fs.extend(["slice X 0 1 | toJson", "X | last | toJson", "has (first X) X", "first X | typeOf"]);
            }
            pick(rng, &fs)
        }
        Value::Object(map) => {
            let k = map.keys().next().cloned().unwrap_or_else(|| "none".into());
            let f = pick(
                rng,
                &[
                    "toJson X",
                    "toYaml X | nindent 2",
                    "len X",
                    "keys X | sortAlpha | join \",\"",
                    "hasKey X \"@K\"",
                    "hasKey X \"nothere\"",
                    "{{ range $k, $v := X }}{{ $k }}={{ $v }};{{ end }}",
                    "X | toString",
                    "printf \"%v\" X",
                    "pick X \"@K\" | toJson",
                    "omit X \"@K\" | toJson",
                    "dig \"@K\" \"dflt\" X",
                    "get X \"@K\"",
                    "deepCopy X | toJson",
                    "merge (dict \"zz\" 1) X | toJson",
                    "mergeOverwrite (deepCopy X) (dict \"@K\" 1) | toJson",
                    "pluck \"@K\" X (dict \"@K\" 2) | toJson",
                    "toToml X",
                    "fromJson (toJson X) | toJson",
                    "fromJson (toJson X) | toJson",
                    "{{ with X }}{{ len . }} {{ $.Release.Name }}{{ else }}empty{{ end }}",
                    "kindOf X",
                    "typeOf X",
                    "X | values | len",
                    "keys X | sortAlpha | toJson",
                    "X | toPrettyJson",
                    "dig \"a\" \"@K\" \"none\" (dict \"a\" X)",
                    "toRawJson X",
                    "include \"gen.dump\" (pick X \"@K\")",
                ],
            );
            let f = if multi_line(v) || rng.random_bool(0.7) { f } else { "fromYaml (toYaml X) | toJson" };
            return wrap(&f.replace('X', x).replace("@K", &k));
        }
    };
    wrap(&f.replace('X', x))
}

/// Whether a multi-line string is in `v`. KNOWN DIFFERENCE (not ours to fix here: the YAML
/// reader, src/yaml/read.rs on libyaml-safer 0.3.0): a block scalar that ends the text without
/// a line break (`a: |-\n  x`), which `toYaml` of a value ending in a multi-line string gives,
/// panics in libyaml-safer's scanner ("unexpected end of input") where Helm reads it; so
/// `fromYaml (toYaml X)` is generated only for values without one, and the hand-written
/// `from_yaml_of_a_block_scalar_at_the_end_of_the_text` is ignored until the reader is fixed.
fn multi_line(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\n'),
        Value::Array(items) => items.iter().any(multi_line),
        Value::Object(map) => map.values().any(multi_line),
        _ => false,
    }
}

/// An expression as template text: in `{{ }}` unless it is a block already.
fn wrap(e: &str) -> String {
    if e.starts_with("{{") { e.to_owned() } else { format!("{{{{ {e} }}}}") }
}

const GEN_HELPERS: &str = r#"{{/* Helpers of the generated chart. */}}
{{- define "gen.dump" -}}{{ toJson . }}{{- end -}}
{{- define "gen.kv" -}}{{ .k }}={{ .v | toJson }}{{- end -}}
{{- define "gen.nested" -}}{{ include "gen.kv" (dict "k" .name "v" .val) }}/{{ .root.Chart.Name }}/{{ .root.Release.Name }}{{- end -}}
{{- define "gen.labels" -}}
app: {{ .Chart.Name }}
release: {{ .Release.Name | quote }}
{{- end -}}
"#;

/// One template of a few lines, each over a random value (or a missing one).
fn template(rng: &mut StdRng, paths: &[(String, Value)]) -> String {
    let mut out = String::new();
    let lines = rng.random_range(3..8);
    for i in 0..lines {
        let (x, v) = &paths[rng.random_range(0..paths.len())];
        let e = expression(rng, x, v);
        match rng.random_range(0..14) {
            12 => {
                let op = pick(rng, &[">=", "<", "^", "~", ">", "<=", "!="]);
                let minor = rng.random_range(20..40);
                let api =
                    pick(rng, &["apps/v1", "batch/v1beta1", "policy/v1", "nope/v1", "v1", "networking.k8s.io/v1"]);
                let _ = writeln!(
                    out,
                    "kube{i}: {{{{ semverCompare \"{op}1.{minor}-0\" .Capabilities.KubeVersion.Version }}}} \
                     {{{{ .Capabilities.APIVersions.Has \"{api}\" }}}} {{{{ .Capabilities.KubeVersion.Minor }}}}"
                );
            }
            13 => {
                let file = pick(rng, &["files/a.txt", "files/b.yaml", "files/none.txt", "files/sub/c.txt"]);
                let glob = pick(rng, &["files/*", "files/**", "files/*.txt", "*.none"]);
                let _ = writeln!(
                    out,
                    "meta{i}: {{{{ .Release.Name }}}} {{{{ .Release.Namespace }}}} {{{{ .Chart.Name }}}} {{{{ .Chart.Version }}}} \
                     {{{{ .Chart.IsRoot }}}} {{{{ .Template.Name }}}} {{{{ .Template.BasePath }}}}\n\
                     file{i}: {{{{ .Files.Get \"{file}\" | quote }}}} {{{{ .Files.Lines \"{file}\" | len }}}} \
                     {{{{ (.Files.Glob \"{glob}\").AsConfig | nindent 2 }}}}"
                );
            }
            0 => {
                let _ = writeln!(out, "{{{{- if {x} }}}}\nif{i}: {e}\n{{{{- else }}}}\nelse{i}: none\n{{{{- end }}}}");
            }
            1 => {
                let _ = writeln!(out, "{{{{- $v{i} := {x} }}}}\nvar{i}: {}", expression(rng, &format!("$v{i}"), v));
            }
            2 => {
                let _ = writeln!(out, "labels{i}:\n  {{{{- include \"gen.labels\" . | nindent 2 }}}}");
            }
            3 => {
                let _ = writeln!(out, "{{{{/* line {i} */}}}}\nk{i}:   {{{{- \" \" }}}}{e}  {{{{- \"\" }}}}");
            }
            _ => {
                let _ = writeln!(out, "k{i}: {e}");
            }
        }
    }
    out
}

#[test]
fn generated_charts_render_as_helm_renders() {
    if !oracle_available() {
        return;
    }
    let (seed, count) = seed_and_count();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut top = serde_json::Map::new();
    for _ in 0..40 {
        let k = key(&mut rng, &top);
        let v = value(&mut rng, 0);
        top.insert(k, v);
    }
    // A subchart `sub` with values of its own, some of its scalars overridden by the parent
    // (same kind, so that its templates' paths still hold), and the parent's globals.
    let mut sub_values = serde_json::Map::new();
    for _ in 0..15 {
        let k = key(&mut rng, &sub_values);
        let v = value(&mut rng, 0);
        sub_values.insert(k, v);
    }
    let mut overrides = serde_json::Map::new();
    for (k, v) in &sub_values {
        let new = match v {
            Value::String(_) if rng.random_bool(0.5) => Value::String(string(&mut rng)),
            Value::Number(_) if rng.random_bool(0.5) => number(&mut rng),
            _ => continue,
        };
        overrides.insert(k.clone(), new);
    }
    let mut global = serde_json::Map::new();
    for _ in 0..5 {
        let k = key(&mut rng, &global);
        let v = value(&mut rng, 1);
        global.insert(k, v);
    }
    top.insert("sub".into(), Value::Object(overrides.clone()));
    top.insert("global".into(), Value::Object(global.clone()));
    let mut effective = sub_values.clone();
    effective.extend(overrides);
    effective.insert("global".into(), Value::Object(global));
    let values = Value::Object(top);
    let mut all = Vec::new();
    paths(&values, &mut Vec::new(), ".Values", &mut all);
    let mut sub_paths = Vec::new();
    paths(&Value::Object(effective), &mut Vec::new(), ".Values", &mut sub_paths);
    let mut chart = files(&[
        ("Chart.yaml", &chart_yaml("gen", "")),
        ("values.yaml", &serde_json::to_string_pretty(&values).unwrap()),
        ("templates/_helpers.tpl", GEN_HELPERS),
        ("files/a.txt", "alpha\nbeta\n"),
        ("files/b.yaml", "key: value\nlist: [1, 2]\n"),
        ("files/sub/c.txt", "nested file"),
        ("charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.3.0\n"),
        ("charts/sub/values.yaml", &serde_json::to_string_pretty(&sub_values).unwrap()),
        ("charts/sub/files/a.txt", "the subchart's own\n"),
    ]);
    for n in 1..=count {
        chart.push((format!("templates/gen-{n:04}.yaml"), template(&mut rng, &all)));
    }
    for n in 1..=count / 5 {
        chart.push((format!("charts/sub/templates/sub-{n:04}.yaml"), template(&mut rng, &sub_paths)));
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("gen");
    write_chart(&dir, &chart);
    let (a, b) = (ours(&dir), helm(&dir));
    if let Err(error) = &b {
        // The template Helm names, to fix the generator with.
        let named = error.split("gen/").nth(1).and_then(|rest| rest.split(':').next()).unwrap_or_default();
        let text = std::fs::read_to_string(dir.join(named)).unwrap_or_default();
        panic!("Helm refused the generated chart (seed {seed}): {error}\n{named}:\n{text}");
    }
    let (agree, total, bad) = compare("generated", &dir, &a, &b, &[]);
    let _ = writeln!(std::io::stderr(), "generated (seed {seed}): {agree}/{total} agree");
    assert!(total >= count, "every generated template compared: {total} < {count}");
    let shown: Vec<&String> = bad.iter().take(5).collect();
    assert!(
        bad.is_empty(),
        "seed {seed}: {} of {total} generated templates disagree; the first:\n{}",
        bad.len(),
        shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}

/// Helm's `fromYaml`/`fromYamlArray` of a block scalar that ends the text without a line break
/// (what `toYaml` gives for a value ending in a multi-line string): the expected texts are
/// Helm v4.2.3's (render.py). (The parser beneath panicked here; `yaml/read.rs` now gives it
/// the line break it needs and takes it back from the scalar.)
#[test]
fn from_yaml_of_a_block_scalar_at_the_end_of_the_text() {
    let cases = [
        ("a: |\n  x", json!({"a": "x"})),
        ("a: |\n  x\n  y", json!({"a": "x\ny"})),
        ("a: |-\n  x", json!({"a": "x"})),
        ("a: |+\n  x", json!({"a": "x"})),
        ("a: >\n  x\n  y", json!({"a": "x y"})),
        ("a: |\n  x\n\n  ", json!({"a": "x\n"})),
    ];
    for (text, expected) in cases {
        let got = std::panic::catch_unwind(|| kots_helm::yaml::from_yaml(text)).map_err(|_| "panic".to_owned());
        assert_eq!(got, Ok(Ok(expected)), "{text:?}");
    }
    let got = std::panic::catch_unwind(|| kots_helm::yaml::from_yaml_array("- |\n  x")).map_err(|_| "panic".to_owned());
    assert_eq!(got, Ok(Ok(vec![json!("x")])));
}

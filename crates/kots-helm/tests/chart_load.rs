//! Loading charts as Helm v4.2.3's loader does. Every expectation here was taken from Helm
//! itself (render.py on the same files, or helm_python's `Chart.load_archive` for archives):
//! `.helmignore` rules (and its negation quirk), what `.Files` holds, `.Chart`, and the errors
//! for a missing Chart.yaml, missing fields, a broken subchart and broken archives.

mod common;
use common::write_chart;

use std::io::Write;
use std::path::PathBuf;

use kots_helm::chart::{Chart, chart_object, load_archive, load_dir};
use serde_json::json;

fn dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("chart-load").join(name).join(name)
}

fn load_err(name: &str, files: &[(&str, &str)]) -> String {
    let d = dir(name);
    write_chart(&d, files);
    match load_dir(&d) {
        Err(kots_helm::Error::Load { message, .. }) => message,
        other => panic!("{name}: expected a load error, got {other:?}"),
    }
}

fn names(files: &[kots_helm::ChartFile]) -> Vec<&str> {
    files.iter().map(|f| f.name.as_str()).collect()
}

const CHART: &str = "apiVersion: v2\nname: ig\nversion: 0.1.0\n";

#[test]
fn helmignore_as_helm() {
    let mut files = vec![
        ("Chart.yaml", CHART),
        (".helmignore", "# comment\n*.txt\n/top.md\nsecret/\ndocs/*.md\n"),
        ("charts/s/Chart.yaml", "apiVersion: v2\nname: s\nversion: 0.1.0\n"),
        ("charts/s/.helmignore", "docs/\n"),
    ];
    let paths = [
        "a.txt",
        "top.md",
        "x/top.md",
        "docs/a.md",
        "docs/b.yaml",
        "secret/s.yaml",
        "crds/c.yaml",
        "crds/notes.md",
        "keep.cfg",
        "templates/.hidden",
        "templates/b.yaml",
        "templates/a.yaml",
        "charts/s/docs/a.md",
        "charts/s/n.txt",
    ];
    for p in paths {
        files.push((p, "x: 1\n"));
    }
    let d = dir("ig");
    write_chart(&d, &files);
    let chart = load_dir(&d).unwrap();
    // Helm's `.Files` of the chart and of its subchart (whose own .helmignore does not apply).
    assert_eq!(
        names(&chart.files),
        [".helmignore", "crds/c.yaml", "crds/notes.md", "docs/b.yaml", "keep.cfg", "x/top.md"]
    );
    assert_eq!(names(&chart.templates), ["templates/a.yaml", "templates/b.yaml"]);
    assert_eq!(names(&chart.crds), ["crds/c.yaml"]);
    assert_eq!(names(&chart.dependencies[0].files), [".helmignore", "docs/a.md"]);

    // A negated rule that does not match ignores the path (Helm's rule loop): Chart.yaml too.
    files[1] = (".helmignore", "*.txt\n!keep.cfg\n");
    assert_eq!(load_err("ig-negation", &files), "Chart.yaml file is missing");
    files[1] = (".helmignore", "**/x\n");
    assert_eq!(load_err("ig-doublestar", &files), "double-star (**) syntax is not supported");
}

#[test]
fn chart_yaml_errors() {
    assert_eq!(load_err("none", &[("values.yaml", "a: 1\n")]), "Chart.yaml file is missing");
    assert_eq!(
        load_err("noname", &[("Chart.yaml", "apiVersion: v2\nversion: 0.1.0\n")]),
        "validation: chart.metadata.name is required"
    );
    assert_eq!(
        load_err("badversion", &[("Chart.yaml", "apiVersion: v2\nname: c6\nversion: foo\n")]),
        "validation: chart.metadata.version \"foo\" is invalid"
    );
    assert_eq!(
        load_err("badtype", &[("Chart.yaml", "apiVersion: v2\nname: d6\nversion: 0.1.0\ntype: foo\n")]),
        "validation: chart.metadata.type must be application or library"
    );
    assert_eq!(
        load_err(
            "nullmaintainer",
            &[("Chart.yaml", "apiVersion: v2\nname: d3\nversion: 0.1.0\nmaintainers: [null]\n")]
        ),
        "validation: maintainers must not contain empty or null nodes"
    );
    assert_eq!(
        load_err(
            "alias",
            &[("Chart.yaml", "apiVersion: v2\nname: d4\nversion: 0.1.0\ndependencies: [{name: a, alias: \"a.b\"}]\n")]
        ),
        "validation: dependency \"a\" has disallowed characters in the alias"
    );
    assert_eq!(
        load_err(
            "dupdep",
            &[(
                "Chart.yaml",
                "apiVersion: v2\nname: d9\nversion: 0.1.0\ndependencies: [{name: a, version: 1.0.0, repository: x}, {name: a, version: 1.0.0, repository: y}]\n"
            )]
        ),
        "validation: more than one dependency with name or alias \"a\""
    );
    assert_eq!(
        load_err("listname", &[("Chart.yaml", "apiVersion: v2\nname: [d5]\nversion: 0.1.0\n")]),
        "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field Metadata.name of type string"
    );
    assert_eq!(
        load_err(
            "subchart",
            &[
                ("Chart.yaml", "apiVersion: v2\nname: d1\nversion: 0.1.0\n"),
                ("charts/sub/Chart.yaml", "apiVersion: v2\nversion: 0.1.0\n")
            ]
        ),
        "error unpacking subchart sub in d1: validation: chart.metadata.name is required"
    );
    assert_eq!(
        load_err(
            "subtgz",
            &[("Chart.yaml", "apiVersion: v2\nname: d2\nversion: 0.1.0\n"), ("charts/x.tgz", "garbage\n")]
        ),
        "error unpacking subchart x.tgz in d2: unexpected EOF"
    );
    assert_eq!(
        load_err("valueslist", &[("Chart.yaml", CHART), ("values.yaml", "[1]\n")]),
        "cannot load values.yaml: cannot unmarshal yaml document: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"
    );
}

#[test]
fn chart_object_as_helm_prints_it() {
    // `{{ toJson .Chart }}` from Helm for this Chart.yaml (apiVersion unset means v1).
    let d = dir("meta");
    write_chart(
        &d,
        &[
            (
                "Chart.yaml",
                "name: meta\nversion: 1.10\nappVersion: 12345678\nkeywords: [a, 1.5]\nannotations: {x: 1}\nmaintainers: [{name: me}]\n",
            ),
            ("values.yaml", "a: 1\n---\nb: {c: 2}\n--- # more\nb: {d: 3}\n"),
        ],
    );
    let chart: Chart = load_dir(&d).unwrap();
    assert_eq!(
        chart.metadata.document,
        json!({"APIVersion":"v1","Annotations":{"x":"1"},"AppVersion":"12345678","Condition":"","Dependencies":[],
               "Deprecated":false,"Description":"","Home":"","Icon":"","IsRoot":true,"Keywords":["a","1.5"],
               "KubeVersion":"","Maintainers":[{"Email":"","Name":"me","URL":""}],"Name":"meta","Sources":[],
               "Tags":"","Type":"","Version":"1.1"})
    );
    assert_eq!(chart_object(&chart.metadata)["IsRoot"], json!(false));
    // values.yaml's documents merged, as Helm's LoadValues does.
    // Numbers are float64, as Helm reads them.
    assert_eq!(chart.values, json!({"a": 1.0, "b": {"c": 2.0, "d": 3.0}}));
}

fn tgz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, path, *data).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

fn archive_err(bytes: &[u8]) -> String {
    match load_archive(bytes, "test.tgz") {
        Err(kots_helm::Error::Load { message, .. }) => message,
        other => panic!("expected a load error, got {other:?}"),
    }
}

#[test]
fn archives_as_helm() {
    let sub =
        tgz(&[("sub/Chart.yaml", b"apiVersion: v2\nname: sub\nversion: 0.2.0\n"), ("sub/values.yaml", b"s: 1\n")]);
    let top = tgz(&[
        ("top/Chart.yaml", b"apiVersion: v2\nname: top\nversion: 0.1.0\n"),
        ("top/templates/b.yaml", b"b"),
        ("top/templates/a.yaml", b"a"),
        ("top/charts/sub-0.2.0.tgz", &sub),
        ("top/README.md", b"\xEF\xBB\xBFhello"),
    ]);
    let chart = load_archive(&top, "top-0.1.0.tgz").unwrap();
    assert_eq!(chart.name(), "top");
    assert_eq!(names(&chart.templates), ["templates/b.yaml", "templates/a.yaml"]);
    assert_eq!(chart.files[0].data, b"hello", "the BOM goes, as in Helm");
    assert_eq!(chart.dependencies[0].name(), "sub");
    assert_eq!(chart.dependencies[0].values, json!({"s": 1.0}));

    // Helm's errors (helm_python Chart.load_archive on the same bytes).
    assert_eq!(archive_err(b"garbage"), "unexpected EOF");
    assert_eq!(archive_err(b"garbage-garbage-garbage"), "gzip: invalid header");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&[b'x'; 1024]).unwrap();
    let not_tar = gz.finish().unwrap();
    assert_eq!(archive_err(&not_tar), "archive/tar: invalid tar header");
    assert_eq!(archive_err(&not_tar[..not_tar.len() / 2]), "unexpected EOF");
    assert_eq!(
        archive_err(&tgz(&[("Chart.yaml", b"name: x\nversion: 1.0.0\n")])),
        "chart illegally contains content outside the base directory: \"Chart.yaml\""
    );
    assert_eq!(archive_err(&tgz(&[("x/values.yaml", b"a: 1\n")])), "Chart.yaml file is missing");
}

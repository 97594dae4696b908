//! `values.schema.json` keyword by keyword against Helm v4.2.3 (santhosh-tekuri/jsonschema v6):
//! each case is one schema and one set of values breaking at most one rule (Helm's order of
//! several violations is not stable). Whether Helm refuses is written down here (from
//! render.py); the error texts are compared with Helm live when python3 + helm_python are
//! there (cached under target/tmp; KOTS_HELM_SKIP_ORACLE=1 skips), and a few are written out.

mod common;
use common::oracle_available;

use std::path::PathBuf;
use std::process::Command;

use kots_helm::chart::load_dir;
use kots_helm::values::{render_values, validate_schema};
use serde_json::{Value, json};

/// (name, schema, values, Helm refuses).
fn cases() -> Vec<(&'static str, Value, Value, bool)> {
    let d7 = "http://json-schema.org/draft-07/schema#";
    let d4 = "http://json-schema.org/draft-04/schema#";
    let d2019 = "https://json-schema.org/draft/2019-09/schema";
    vec![
        ("type-multi", json!({"properties": {"a": {"type": ["string", "null"]}}}), json!({"a": 1}), true),
        (
            "type-multi-order",
            json!({"properties": {"a": {"type": ["null", "object", "string"]}}}),
            json!({"a": 1}),
            true,
        ),
        ("integer", json!({"properties": {"a": {"type": "integer"}}}), json!({"a": 1.5}), true),
        ("integer-ok", json!({"properties": {"a": {"type": "integer"}}}), json!({"a": 2}), false),
        ("enum", json!({"properties": {"a": {"enum": [1, "x", true, null]}}}), json!({"a": 3}), true),
        ("enum-one", json!({"properties": {"a": {"enum": ["only"]}}}), json!({"a": "b"}), true),
        ("enum-object", json!({"properties": {"a": {"enum": [{"k": 1}]}}}), json!({"a": "b"}), true),
        ("const", json!({"properties": {"a": {"const": "x"}}}), json!({"a": "y"}), true),
        ("minlength", json!({"properties": {"a": {"minLength": 3}}}), json!({"a": "ab"}), true),
        ("maxlength", json!({"properties": {"a": {"maxLength": 1}}}), json!({"a": "ab"}), true),
        ("pattern", json!({"properties": {"a": {"pattern": "^[a-z]+$"}}}), json!({"a": "A'b"}), true),
        ("minimum", json!({"properties": {"a": {"minimum": 1.5}}}), json!({"a": 1}), true),
        ("maximum-big", json!({"properties": {"a": {"maximum": 1000000}}}), json!({"a": 2000000}), true),
        ("exclusive-2020", json!({"properties": {"a": {"exclusiveMinimum": 1}}}), json!({"a": 1}), true),
        (
            "exclusive-d4",
            json!({"$schema": d4, "properties": {"a": {"minimum": 1, "exclusiveMinimum": true}}}),
            json!({"a": 1}),
            true,
        ),
        ("multipleof", json!({"properties": {"a": {"multipleOf": 0.5}}}), json!({"a": 1.25}), true),
        ("multipleof-ok", json!({"properties": {"a": {"multipleOf": 0.1}}}), json!({"a": 0.3}), false),
        ("minitems", json!({"properties": {"a": {"minItems": 2}}}), json!({"a": [1]}), true),
        ("maxitems", json!({"properties": {"a": {"maxItems": 0}}}), json!({"a": [1]}), true),
        ("unique", json!({"properties": {"a": {"uniqueItems": true}}}), json!({"a": [1, 2, 1]}), true),
        ("items-2020", json!({"properties": {"a": {"items": {"type": "string"}}}}), json!({"a": ["x", 2]}), true),
        (
            "prefixitems",
            json!({"properties": {"a": {"prefixItems": [{"type": "string"}], "items": false}}}),
            json!({"a": ["x", 2]}),
            true,
        ),
        (
            "tuple-d7",
            json!({"$schema": d7, "properties": {"a": {"items": [{"type": "string"}], "additionalItems": false}}}),
            json!({"a": ["x", 2, 3]}),
            true,
        ),
        ("contains", json!({"properties": {"a": {"contains": {"type": "string"}}}}), json!({"a": [1, 2]}), true),
        (
            "mincontains",
            json!({"properties": {"a": {"contains": {"type": "string"}, "minContains": 2}}}),
            json!({"a": ["x", 2]}),
            true,
        ),
        ("required-one", json!({"required": ["name"]}), json!({}), true),
        ("required-many", json!({"properties": {"a": {"required": ["x", "y"]}}}), json!({"a": {}}), true),
        (
            "additional",
            json!({"properties": {"a": {"properties": {"k": {}}, "additionalProperties": false}}}),
            json!({"a": {"k": 1, "p": 2}}),
            true,
        ),
        (
            "additional-schema",
            json!({"properties": {"a": {"additionalProperties": {"type": "string"}}}}),
            json!({"a": {"p": 2}}),
            true,
        ),
        (
            "patternprops",
            json!({"properties": {"a": {"patternProperties": {"^n": {"type": "number"}}}}}),
            json!({"a": {"nx": "s"}}),
            true,
        ),
        ("minproperties", json!({"properties": {"a": {"minProperties": 2}}}), json!({"a": {"k": 1}}), true),
        (
            "dependentrequired",
            json!({"properties": {"a": {"dependentRequired": {"x": ["y"]}}}}),
            json!({"a": {"x": 1}}),
            true,
        ),
        (
            "dependencies-d7",
            json!({"$schema": d7, "properties": {"a": {"dependencies": {"x": ["y", "z"]}}}}),
            json!({"a": {"x": 1}}),
            true,
        ),
        (
            "propertynames",
            json!({"properties": {"a": {"propertyNames": {"maxLength": 2}}}}),
            json!({"a": {"long": 1}}),
            true,
        ),
        (
            "anyof",
            json!({"properties": {"a": {"anyOf": [{"type": "string"}, {"type": "boolean"}]}}}),
            json!({"a": 1}),
            true,
        ),
        (
            "oneof-none",
            json!({"properties": {"a": {"oneOf": [{"type": "string"}, {"minimum": 5}]}}}),
            json!({"a": 1}),
            true,
        ),
        (
            "oneof-two",
            json!({"properties": {"a": {"oneOf": [{"type": "number"}, {"minimum": 0}]}}}),
            json!({"a": 1}),
            true,
        ),
        ("allof", json!({"properties": {"a": {"allOf": [{"type": "number"}, {"minimum": 5}]}}}), json!({"a": 1}), true),
        ("not", json!({"properties": {"a": {"not": {"type": "number"}}}}), json!({"a": 1}), true),
        (
            "if-then",
            json!({"properties": {"a": {"if": {"required": ["x"]}, "then": {"required": ["y"]}}}}),
            json!({"a": {"x": 1}}),
            true,
        ),
        (
            "if-else",
            json!({"properties": {"a": {"if": {"required": ["x"]}, "else": {"required": ["z"]}}}}),
            json!({"a": {}}),
            true,
        ),
        ("false-schema", json!({"properties": {"a": false}}), json!({"a": 1}), true),
        (
            "ref-defs",
            json!({"$defs": {"port": {"type": "integer", "maximum": 10}}, "properties": {"p": {"$ref": "#/$defs/port"}}}),
            json!({"p": 11}),
            true,
        ),
        (
            "ref-group",
            json!({"$defs": {"o": {"required": ["x"], "minProperties": 2}}, "properties": {"p": {"$ref": "#/$defs/o"}}}),
            json!({"p": {"y": 1}}),
            true,
        ),
        (
            "ref-d7-siblings",
            json!({"$schema": d7, "definitions": {"s": {"type": "string"}}, "properties": {"p": {"$ref": "#/definitions/s", "minLength": 5}}}),
            json!({"p": "ab"}),
            false,
        ),
        (
            "ref-2019-siblings",
            json!({"$schema": d2019, "$defs": {"s": {"type": "string"}}, "properties": {"p": {"$ref": "#/$defs/s", "minLength": 5}}}),
            json!({"p": "ab"}),
            true,
        ),
        (
            "nested-deep",
            json!({"properties": {"a": {"properties": {"b": {"items": {"properties": {"c": {"type": "string"}}}}}}}}),
            json!({"a": {"b": [{"c": "x"}, {"c": 1}]}}),
            true,
        ),
        ("format-2020", json!({"properties": {"a": {"format": "email"}}}), json!({"a": "not-an-email"}), false),
        ("number-grouping", json!({"properties": {"a": {"maximum": 100000}}}), json!({"a": 123456}), true),
        ("number-exponent", json!({"properties": {"a": {"maximum": 1}}}), json!({"a": 1e21}), true),
        ("length-grouping", json!({"properties": {"a": {"maxLength": 1}}}), json!({"a": "x".repeat(1234)}), true),
        ("ref-missing", json!({"properties": {"a": {"$ref": "#/definitions/nope"}}}), json!({"a": 1}), true),
        (
            "format-d7-email",
            json!({"$schema": d7, "properties": {"a": {"format": "email"}}}),
            json!({"a": "bad"}),
            true,
        ),
        (
            "format-d4-ipv4",
            json!({"$schema": d4, "properties": {"a": {"format": "ipv4"}}}),
            json!({"a": "1.2.3.400"}),
            true,
        ),
        (
            "format-d7-hostname",
            json!({"$schema": d7, "properties": {"a": {"format": "hostname"}}}),
            json!({"a": "a_b.com"}),
            true,
        ),
        (
            "format-d7-datetime",
            json!({"$schema": d7, "properties": {"a": {"format": "date-time"}}}),
            json!({"a": "2024-02-30T00:00:00Z"}),
            true,
        ),
        (
            "format-d7-date",
            json!({"$schema": d7, "properties": {"a": {"format": "date"}}}),
            json!({"a": "yesterday"}),
            true,
        ),
        (
            "format-d7-uuid",
            json!({"$schema": d7, "properties": {"a": {"format": "uuid"}}}),
            json!({"a": "1234-5678"}),
            true,
        ),
        (
            "format-d7-ok",
            json!({"$schema": d7, "properties": {"a": {"format": "email"}}}),
            json!({"a": "me@example.com"}),
            false,
        ),
        (
            "uneval-props",
            json!({"properties": {"a": {"unevaluatedProperties": false, "properties": {"x": {}}}}}),
            json!({"a": {"x": 1, "zz": 2}}),
            true,
        ),
        (
            "uneval-allof",
            json!({"properties": {"a": {"allOf": [{"properties": {"x": {}}}], "unevaluatedProperties": false}}}),
            json!({"a": {"x": 1, "y": 2}}),
            true,
        ),
        (
            "uneval-allof-ok",
            json!({"properties": {"a": {"allOf": [{"properties": {"x": {}}}], "unevaluatedProperties": false}}}),
            json!({"a": {"x": 1}}),
            false,
        ),
        (
            "uneval-anyof",
            json!({"properties": {"a": {"anyOf": [{"properties": {"x": {"type": "string"}}}, {"properties": {"y": {}}}], "unevaluatedProperties": false}}}),
            json!({"a": {"x": 1, "y": 2}}),
            true,
        ),
        (
            "uneval-ref",
            json!({"$defs": {"b": {"properties": {"x": {}}}}, "properties": {"a": {"$ref": "#/$defs/b", "unevaluatedProperties": {"type": "string"}}}}),
            json!({"a": {"x": 1, "y": 2}}),
            true,
        ),
        (
            "uneval-items",
            json!({"properties": {"a": {"prefixItems": [{}], "unevaluatedItems": false}}}),
            json!({"a": [1, 2]}),
            true,
        ),
        ("escape", json!({"properties": {"a/b~c": {"type": "string"}}}), json!({"a/b~c": 1}), true),
    ]
}

#[test]
fn schema_keywords_as_helm() {
    let use_oracle = oracle_available();
    if !use_oracle {
        eprintln!("values_schema: python3 with helm_python missing or KOTS_HELM_SKIP_ORACLE=1: Helm's texts skipped");
    }
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("values-schema");
    let mut failures = Vec::new();
    for (name, schema, values, refused) in cases() {
        let dir = base.join(name).join("s");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: s\nversion: 0.1.0\n").unwrap();
        std::fs::write(dir.join("values.schema.json"), schema.to_string()).unwrap();
        let user = base.join(name).join("user.yaml");
        std::fs::write(&user, values.to_string()).unwrap();
        let mut chart = load_dir(&dir).unwrap();
        let vals = render_values(&mut chart, &values).unwrap();
        let ours = validate_schema(&chart, &vals).err().map(|e| e.to_string());
        if ours.is_some() != refused {
            failures.push(format!("{name}: ours {ours:?}, Helm refuses: {refused}"));
            continue;
        }
        if !use_oracle {
            continue;
        }
        let key = format!("{schema}{values}")
            .bytes()
            .fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
        let cache = base.join(format!("{name}-{key:x}.helm"));
        let helm = match std::fs::read_to_string(&cache) {
            Ok(t) => t,
            Err(_) => {
                let out = Command::new("python3")
                    .arg("/work/shared/compat/helm-charts/render.py")
                    .arg(&dir)
                    .arg("-f")
                    .arg(&user)
                    .output()
                    .unwrap();
                let t = if out.status.success() {
                    String::new()
                } else {
                    String::from_utf8_lossy(&out.stderr).into_owned()
                };
                std::fs::write(&cache, &t).unwrap();
                t
            }
        };
        let helm = helm.trim_start_matches("ERROR HelmValuesError: ").trim_end();
        let ours = ours.unwrap_or_default();
        if helm != ours.trim_end() {
            failures.push(format!("{name}:\n  ours {:?}\n  helm {helm:?}", ours.trim_end()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn some_texts_written_out() {
    // Helm's texts (render.py) for three cases, so that they are checked without Helm too.
    let check = |schema: Value, values: Value, text: &str| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("values-schema-fixed").join("s");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: s\nversion: 0.1.0\n").unwrap();
        std::fs::write(dir.join("values.schema.json"), schema.to_string()).unwrap();
        let mut chart = load_dir(&dir).unwrap();
        let vals = render_values(&mut chart, &values).unwrap();
        let err = validate_schema(&chart, &vals).unwrap_err().to_string();
        let head = "values don't meet the specifications of the schema(s) in the following chart(s):\ns:\n";
        assert_eq!(err.strip_prefix(head).unwrap().trim_end(), text);
    };
    check(json!({"properties": {"a": {"type": "integer"}}}), json!({"a": 1.5}), "- at '/a': got number, want integer");
    check(
        json!({"properties": {"a": {"anyOf": [{"type": "string"}, {"type": "boolean"}]}}}),
        json!({"a": 1}),
        "- at '/a': 'anyOf' failed\n  - at '/a': got number, want string\n  - at '/a': got number, want boolean",
    );
    check(json!({"required": ["name"]}), json!({}), "- at '': missing property 'name'");
}

//! `values.schema.json` checked as Helm v4 checks it: santhosh-tekuri/jsonschema v6 (drafts 4,
//! 6, 7, 2019-09 and 2020-12; 2020-12 when `$schema` is absent), with its error tree and texts
//! (`- at '/image': additional properties 'colour' not allowed`), keyword by keyword in the
//! order its validator runs them. `format` is asserted for drafts 4, 6 and 7 only, as v6 does
//! (see [`super::format`] for the formats covered). `unevaluatedProperties`/`unevaluatedItems`
//! follow the applicators that held; `contains` does not count items as evaluated. Not covered:
//! `$dynamicRef`/`$recursiveRef` beyond a plain reference, references to other documents, and
//! the check of the schema itself against its metaschema (Helm refuses an invalid schema).

use serde_json::Value;

/// One node of the error tree: where in the values, what failed, and why (its causes).
#[derive(Debug, Clone)]
struct VError {
    location: Vec<String>,
    message: String,
    /// A `$ref` node, hidden in the output when it has exactly one cause.
    reference: bool,
    group: bool,
    causes: Vec<VError>,
}

impl VError {
    fn new(location: &[String], message: String) -> VError {
        VError { location: location.to_vec(), message, reference: false, group: false, causes: Vec::new() }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Draft {
    D4 = 4,
    D6 = 6,
    D7 = 7,
    D2019 = 2019,
    D2020 = 2020,
}

fn draft_of(schema: &Value) -> Draft {
    let s = schema.get("$schema").and_then(Value::as_str).unwrap_or_default();
    if s.contains("draft-04") {
        Draft::D4
    } else if s.contains("draft-06") {
        Draft::D6
    } else if s.contains("draft-07") {
        Draft::D7
    } else if s.contains("2019-09") {
        Draft::D2019
    } else {
        Draft::D2020
    }
}

/// kind.go's `quote`: Go's `%q` with single quotes outside.
fn quote(s: &str) -> String {
    let go = serde_json::to_string(s).unwrap_or_default();
    let inner = &go[1..go.len() - 1];
    let inner = inner.replace("\\\"", "\"").replace('\'', "\\'");
    format!("'{inner}'")
}

fn join_quoted(items: &[String]) -> String {
    items.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")
}

/// A float64 as santhosh-tekuri's messages print it: `%v` through golang.org/x/text's English
/// printer, so Go's `%g` choice (exponent below 1e-4 and from 1e6 up) written `1.5×10⁰⁶`, and
/// plain numbers with grouped thousands (`1,234.5`). Checked against Helm (render.py).
pub(crate) fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "∞".into() } else { "-∞".into() };
    }
    if f == 0.0 {
        return "0".into();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        const SUPER: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
        let mut out = format!("{mantissa}×10");
        if exp < 0 {
            out.push('⁻');
        }
        for d in format!("{:02}", exp.abs()).bytes() {
            out.push(SUPER[(d - b'0') as usize]);
        }
        return out;
    }
    let plain = format!("{f}");
    let (int, frac) = plain.split_once('.').map_or((plain.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = group_digits(int);
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// An integer as x/text's English `%d` prints it: thousands grouped.
pub(crate) fn go_int(n: usize) -> String {
    group_digits(&n.to_string())
}

fn group_digits(int: &str) -> String {
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Array(_) | Value::Object(_) => "value".into(),
        Value::Number(n) => go_float(n.as_f64().unwrap_or(0.0)),
        Value::Bool(b) => b.to_string(),
        Value::Null => "<nil>".into(),
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_integer(v: &Value) -> bool {
    v.as_f64().is_some_and(|f| f.fract() == 0.0 && f.is_finite())
}

/// JSON equality as the validator defines it: numbers by value.
fn equals(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equals(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equals(v, w)))
        }
        _ => a == b,
    }
}

fn json_pointer(location: &[String]) -> String {
    location.iter().map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1"))).collect()
}

struct Validator<'a> {
    root: &'a Value,
    draft: Draft,
}

impl<'a> Validator<'a> {
    /// The schema a `$ref` names: `#`, `#/json/pointer`, `#anchor`, or an `$id` of the document.
    fn resolve(&self, reference: &str) -> Result<&'a Value, String> {
        let fragment = match reference.split_once('#') {
            Some((base, frag)) if base.is_empty() || base.ends_with("values.schema.json") => frag,
            None if self.find_id(self.root, reference).is_some() => {
                return self.find_id(self.root, reference).ok_or_else(|| reference.to_owned());
            }
            _ => {
                return Err(format!("failing loading {reference:?}: references to other documents are not supported"));
            }
        };
        if fragment.is_empty() {
            return Ok(self.root);
        }
        if let Some(pointer) = fragment.strip_prefix('/') {
            let mut cur = self.root;
            for token in pointer.split('/') {
                let token = percent_decode(token).replace("~1", "/").replace("~0", "~");
                cur = match cur {
                    Value::Object(m) => m.get(&token),
                    Value::Array(a) => token.parse::<usize>().ok().and_then(|i| a.get(i)),
                    _ => None,
                }
                .ok_or_else(|| format!("JSON pointer {reference:?} not found"))?;
            }
            return Ok(cur);
        }
        self.find_anchor(self.root, fragment).ok_or_else(|| format!("anchor {reference:?} not found"))
    }

    fn find_anchor(&self, schema: &'a Value, anchor: &str) -> Option<&'a Value> {
        match schema {
            Value::Object(m) => {
                let named = m.get("$anchor").and_then(Value::as_str) == Some(anchor)
                    || m.get("$dynamicAnchor").and_then(Value::as_str) == Some(anchor)
                    || m.get(if self.draft == Draft::D4 { "id" } else { "$id" }).and_then(Value::as_str)
                        == Some(&format!("#{anchor}"));
                if named {
                    return Some(schema);
                }
                m.iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "enum" | "const"))
                    .find_map(|(_, v)| self.find_anchor(v, anchor))
            }
            Value::Array(a) => a.iter().find_map(|v| self.find_anchor(v, anchor)),
            _ => None,
        }
    }

    fn find_id(&self, schema: &'a Value, id: &str) -> Option<&'a Value> {
        match schema {
            Value::Object(m) => {
                if m.get("$id").or_else(|| m.get("id")).and_then(Value::as_str) == Some(id) {
                    return Some(schema);
                }
                m.values().find_map(|v| self.find_id(v, id))
            }
            Value::Array(a) => a.iter().find_map(|v| self.find_id(v, id)),
            _ => None,
        }
    }

    fn validate(&self, schema: &'a Value, v: &Value, loc: &[String], depth: usize) -> Result<(), VError> {
        if depth > 256 {
            return Err(VError::new(loc, "reference cycle".into()));
        }
        let s = match schema {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => return Err(VError::new(loc, "false schema".into())),
            Value::Object(s) => s,
            _ => return Ok(()),
        };
        let err = |m: String| VError::new(loc, m);

        // type --
        if let Some(t) = s.get("type") {
            let wants: Vec<&str> = match t {
                Value::String(x) => vec![x.as_str()],
                Value::Array(xs) => xs.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !wants.is_empty() {
                let got = type_of(v);
                let ok = wants.contains(&got) || (wants.contains(&"integer") && got == "number" && is_integer(v));
                if !ok {
                    // The validator keeps types as a set, listed in its own order.
                    let order = ["null", "boolean", "number", "integer", "string", "array", "object"];
                    let listed: Vec<&str> = order.iter().copied().filter(|t| wants.contains(t)).collect();
                    return Err(err(format!("got {got}, want {}", listed.join(" or "))));
                }
            }
        }
        // const --
        if self.draft >= Draft::D6
            && let Some(c) = s.get("const")
            && !equals(v, c)
        {
            return Err(err(match c {
                Value::Array(_) | Value::Object(_) => "'const' failed".into(),
                other => format!("value must be {}", display(other)),
            }));
        }
        // enum --
        if let Some(Value::Array(items)) = s.get("enum")
            && !items.iter().any(|i| equals(v, i))
        {
            let primitive = items.iter().all(|i| !matches!(i, Value::Array(_) | Value::Object(_)));
            let message = if !primitive {
                "'enum' failed".to_owned()
            } else if items.len() == 1 {
                format!("value must be {}", display(&items[0]))
            } else {
                format!("value must be one of {}", items.iter().map(display).collect::<Vec<_>>().join(", "))
            };
            return Err(err(message));
        }
        // format -- (an assertion in drafts 4, 6 and 7 only, as v6 does by default)
        if self.draft <= Draft::D7
            && let (Some(Value::String(f)), Value::String(st)) = (s.get("format"), v)
            && let Some(why) = super::format::check(f, st)
        {
            return Err(err(format!("{} is not valid {f}: {why}", quote(st))));
        }
        let mut errors: Vec<VError> = Vec::new();
        // $ref --
        if let Some(Value::String(r)) = s.get("$ref") {
            let result = self.validate_ref(r, "$ref", v, loc, depth);
            if self.draft < Draft::D2019 {
                return result;
            }
            if let Err(e) = result {
                errors.push(e);
            }
        }
        match v {
            Value::Object(obj) => self.object(s, obj, loc, depth, &mut errors),
            Value::Array(arr) => self.array(s, arr, loc, depth, &mut errors),
            Value::String(st) => self.string(s, st, loc, &mut errors),
            Value::Number(n) => self.number(s, n.as_f64().unwrap_or(0.0), loc, &mut errors),
            _ => {}
        }
        if self.draft >= Draft::D2019 {
            for kw in ["$dynamicRef", "$recursiveRef"] {
                if let Some(Value::String(r)) = s.get(kw)
                    && let Err(e) = self.validate_ref(r, kw, v, loc, depth)
                {
                    errors.push(e);
                }
            }
        }
        self.conditions(s, v, loc, depth, &mut errors);
        if self.draft >= Draft::D2019 {
            self.unevaluated(schema, s, v, loc, depth, &mut errors);
        }
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.pop().unwrap_or_else(|| err(String::new()))),
            _ => {
                let mut g = err("validation failed".into());
                g.group = true;
                g.causes = errors;
                Err(g)
            }
        }
    }

    /// `unevaluatedProperties` / `unevaluatedItems`: the members no keyword of this schema
    /// (or of a subschema that held: `$ref`, `allOf`, the `anyOf`/`oneOf` branches that
    /// matched, `if`/`then`/`else`, `dependentSchemas`) looked at.
    fn unevaluated(
        &self,
        schema: &'a Value,
        s: &'a serde_json::Map<String, Value>,
        v: &Value,
        loc: &[String],
        depth: usize,
        errors: &mut Vec<VError>,
    ) {
        if let (Some(extra), Value::Object(obj)) = (s.get("unevaluatedProperties"), v) {
            let seen = self.evaluated_props(schema, v, depth, true);
            for (pname, pvalue) in obj {
                if !seen.contains(pname)
                    && let Err(e) = self.sub(extra, pvalue, loc, pname, depth)
                {
                    errors.push(e);
                }
            }
        }
        if let (Some(extra), Value::Array(arr)) = (s.get("unevaluatedItems"), v) {
            let seen = self.evaluated_items(schema, v, depth, true);
            for (i, item) in arr.iter().enumerate().skip(seen) {
                if let Err(e) = self.sub(extra, item, loc, &i.to_string(), depth) {
                    errors.push(e);
                }
            }
        }
    }

    /// The applicators of `schema` that count for unevaluated*: (subschema, applies).
    fn in_place(&self, s: &'a serde_json::Map<String, Value>, v: &Value, depth: usize) -> Vec<&'a Value> {
        let mut out = Vec::new();
        let holds = |sch: &'a Value| self.validate(sch, v, &[], depth + 1).is_ok();
        for kw in ["$ref", "$dynamicRef", "$recursiveRef"] {
            if let Some(Value::String(r)) = s.get(kw)
                && let Ok(target) = self.resolve(r)
            {
                out.push(target);
            }
        }
        if let Some(Value::Array(all)) = s.get("allOf") {
            out.extend(all.iter());
        }
        for kw in ["anyOf", "oneOf"] {
            if let Some(Value::Array(list)) = s.get(kw) {
                out.extend(list.iter().filter(|sch| holds(sch)));
            }
        }
        if let Some(cond) = s.get("if") {
            if holds(cond) {
                out.push(cond);
                out.extend(s.get("then"));
            } else {
                out.extend(s.get("else"));
            }
        }
        if let (Some(Value::Object(deps)), Value::Object(obj)) = (s.get("dependentSchemas"), v) {
            out.extend(deps.iter().filter(|(k, _)| obj.contains_key(*k)).map(|(_, sch)| sch));
        }
        out
    }

    fn evaluated_props(
        &self,
        schema: &'a Value,
        v: &Value,
        depth: usize,
        top: bool,
    ) -> std::collections::BTreeSet<String> {
        let mut seen = std::collections::BTreeSet::new();
        let (Value::Object(s), Value::Object(obj)) = (schema, v) else { return seen };
        if depth > 64 {
            return seen;
        }
        if !top && s.contains_key("unevaluatedProperties") {
            return obj.keys().cloned().collect();
        }
        if s.contains_key("additionalProperties") {
            return obj.keys().cloned().collect();
        }
        if let Some(Value::Object(props)) = s.get("properties") {
            seen.extend(obj.keys().filter(|k| props.contains_key(*k)).cloned());
        }
        if let Some(Value::Object(pats)) = s.get("patternProperties") {
            for p in pats.keys() {
                if let Ok(re) = regex::Regex::new(p) {
                    seen.extend(obj.keys().filter(|k| re.is_match(k)).cloned());
                }
            }
        }
        for sub in self.in_place(s, v, depth) {
            seen.extend(self.evaluated_props(sub, v, depth + 1, false));
        }
        seen
    }

    fn evaluated_items(&self, schema: &'a Value, v: &Value, depth: usize, top: bool) -> usize {
        let (Value::Object(s), Value::Array(arr)) = (schema, v) else { return 0 };
        if depth > 64 {
            return 0;
        }
        if (!top && s.contains_key("unevaluatedItems")) || s.contains_key("items") && self.draft >= Draft::D2020 {
            return arr.len();
        }
        let mut n = s.get("prefixItems").and_then(Value::as_array).map_or(0, |p| p.len().min(arr.len()));
        if self.draft < Draft::D2020 {
            match s.get("items") {
                Some(Value::Array(items)) => {
                    n = n.max(items.len().min(arr.len()));
                    if s.contains_key("additionalItems") {
                        return arr.len();
                    }
                }
                Some(_) => return arr.len(),
                None => {}
            }
        }
        for sub in self.in_place(s, v, depth) {
            n = n.max(self.evaluated_items(sub, v, depth + 1, false));
        }
        n
    }

    fn validate_ref(&self, r: &str, _kw: &str, v: &Value, loc: &[String], depth: usize) -> Result<(), VError> {
        let target = self.resolve(r).map_err(|m| VError::new(loc, m))?;
        match self.validate(target, v, loc, depth + 1) {
            Ok(()) => Ok(()),
            Err(e) => {
                let mut node = VError::new(loc, "validation failed".into());
                node.reference = true;
                node.causes = if e.group { e.causes } else { vec![e] };
                Err(node)
            }
        }
    }

    fn sub(&self, schema: &'a Value, v: &Value, loc: &[String], token: &str, depth: usize) -> Result<(), VError> {
        let mut l = loc.to_vec();
        l.push(token.to_owned());
        self.validate(schema, v, &l, depth + 1)
    }

    fn object(
        &self,
        s: &'a serde_json::Map<String, Value>,
        obj: &serde_json::Map<String, Value>,
        loc: &[String],
        depth: usize,
        errors: &mut Vec<VError>,
    ) {
        let err = |m: String| VError::new(loc, m);
        if let Some(min) = s.get("minProperties").and_then(Value::as_f64)
            && (obj.len() as f64) < min
        {
            errors.push(err(format!("minProperties: got {}, want {}", go_int(obj.len()), go_int(min as usize))));
        }
        if let Some(max) = s.get("maxProperties").and_then(Value::as_f64)
            && (obj.len() as f64) > max
        {
            errors.push(err(format!("maxProperties: got {}, want {}", go_int(obj.len()), go_int(max as usize))));
        }
        let missing = |names: &Value| -> Vec<String> {
            names
                .as_array()
                .map(|a| {
                    a.iter().filter_map(Value::as_str).filter(|n| !obj.contains_key(*n)).map(str::to_owned).collect()
                })
                .unwrap_or_default()
        };
        if let Some(req) = s.get("required") {
            let m = missing(req);
            if m.len() == 1 {
                errors.push(err(format!("missing property {}", quote(&m[0]))));
            } else if !m.is_empty() {
                errors.push(err(format!("missing properties {}", join_quoted(&m))));
            }
        }
        if (self.draft < Draft::D2019 || s.contains_key("dependencies"))
            && let Some(Value::Object(deps)) = s.get("dependencies")
        {
            for (pname, dep) in deps {
                if !obj.contains_key(pname) {
                    continue;
                }
                match dep {
                    Value::Array(_) => {
                        let m = missing(dep);
                        if !m.is_empty() {
                            errors.push(err(format!(
                                "properties {} required, if {} exists",
                                join_quoted(&m),
                                quote(pname)
                            )));
                        }
                    }
                    schema => {
                        if let Err(e) = self.validate(schema, &Value::Object(obj.clone()), loc, depth + 1) {
                            errors.push(e);
                        }
                    }
                }
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        let patterns: Vec<(regex::Regex, &Value)> = s
            .get("patternProperties")
            .and_then(Value::as_object)
            .map(|m| m.iter().filter_map(|(p, sch)| regex::Regex::new(p).ok().map(|r| (r, sch))).collect())
            .unwrap_or_default();
        let mut additional = Vec::new();
        for (pname, pvalue) in obj {
            let mut evaluated = false;
            if let Some(sch) = props.and_then(|p| p.get(pname)) {
                evaluated = true;
                if let Err(e) = self.sub(sch, pvalue, loc, pname, depth) {
                    errors.push(e);
                }
            }
            for (re, sch) in &patterns {
                if re.is_match(pname) {
                    evaluated = true;
                    if let Err(e) = self.sub(sch, pvalue, loc, pname, depth) {
                        errors.push(e);
                    }
                }
            }
            if !evaluated {
                match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => additional.push(pname.clone()),
                    Some(sch @ Value::Object(_)) => {
                        if let Err(e) = self.sub(sch, pvalue, loc, pname, depth) {
                            errors.push(e);
                        }
                    }
                    _ => {}
                }
            }
        }
        if !additional.is_empty() {
            errors.push(err(format!("additional properties {} not allowed", join_quoted(&additional))));
        }
        if self.draft == Draft::D4 {
            return;
        }
        if let Some(names) = s.get("propertyNames") {
            for pname in obj.keys() {
                if let Err(e) = self.validate(names, &Value::String(pname.clone()), &[], depth + 1) {
                    // Helm prints these at '' whatever the object's place.
                    let mut node = VError::new(&[], format!("invalid propertyName {}", quote(pname)));
                    node.causes = if e.group { e.causes } else { vec![e] };
                    errors.push(node);
                }
            }
        }
        if self.draft == Draft::D6 {
            return;
        }
        if let Some(Value::Object(deps)) = s.get("dependentSchemas") {
            for (pname, sch) in deps {
                if obj.contains_key(pname)
                    && let Err(e) = self.validate(sch, &Value::Object(obj.clone()), loc, depth + 1)
                {
                    errors.push(e);
                }
            }
        }
        if let Some(Value::Object(deps)) = s.get("dependentRequired") {
            for (pname, reqd) in deps {
                if obj.contains_key(pname) {
                    let m = missing(reqd);
                    if !m.is_empty() {
                        errors.push(err(format!(
                            "properties {} required, if {} exists",
                            join_quoted(&m),
                            quote(pname)
                        )));
                    }
                }
            }
        }
    }

    fn array(
        &self,
        s: &'a serde_json::Map<String, Value>,
        arr: &[Value],
        loc: &[String],
        depth: usize,
        errors: &mut Vec<VError>,
    ) {
        let err = |m: String| VError::new(loc, m);
        if let Some(min) = s.get("minItems").and_then(Value::as_f64)
            && (arr.len() as f64) < min
        {
            errors.push(err(format!("minItems: got {}, want {}", go_int(arr.len()), go_int(min as usize))));
        }
        if let Some(max) = s.get("maxItems").and_then(Value::as_f64)
            && (arr.len() as f64) > max
        {
            errors.push(err(format!("maxItems: got {}, want {}", go_int(arr.len()), go_int(max as usize))));
        }
        if s.get("uniqueItems") == Some(&Value::Bool(true)) && arr.len() > 1 {
            'outer: for i in 0..arr.len() {
                for j in i + 1..arr.len() {
                    if equals(&arr[i], &arr[j]) {
                        errors.push(err(format!("items at {i} and {j} are equal")));
                        break 'outer;
                    }
                }
            }
        }
        if self.draft < Draft::D2020 {
            let mut evaluated = 0;
            match s.get("items") {
                Some(Value::Array(items)) => {
                    let n = arr.len().min(items.len());
                    for i in 0..n {
                        if let Err(e) = self.sub(&items[i], &arr[i], loc, &i.to_string(), depth) {
                            errors.push(e);
                        }
                    }
                    evaluated = n;
                }
                Some(sch) => {
                    for (i, item) in arr.iter().enumerate() {
                        if let Err(e) = self.sub(sch, item, loc, &i.to_string(), depth) {
                            errors.push(e);
                        }
                    }
                    evaluated = arr.len();
                }
                None => {}
            }
            match s.get("additionalItems") {
                Some(Value::Bool(false))
                    if evaluated != arr.len() && matches!(s.get("items"), Some(Value::Array(_))) =>
                {
                    errors.push(err(format!("last {} additionalItem(s) not allowed", arr.len() - evaluated)));
                }
                Some(sch @ Value::Object(_)) if matches!(s.get("items"), Some(Value::Array(_))) => {
                    for (i, item) in arr.iter().enumerate().skip(evaluated) {
                        if let Err(e) = self.sub(sch, item, loc, &i.to_string(), depth) {
                            errors.push(e);
                        }
                    }
                }
                _ => {}
            }
        } else {
            let prefix = s.get("prefixItems").and_then(Value::as_array);
            let evaluated = prefix.map_or(0, |p| p.len().min(arr.len()));
            if let Some(p) = prefix {
                for i in 0..evaluated {
                    if let Err(e) = self.sub(&p[i], &arr[i], loc, &i.to_string(), depth) {
                        errors.push(e);
                    }
                }
            }
            if let Some(items) = s.get("items") {
                // v6 names these items by their index after the prefix (`/a/0` for the
                // first item past one prefixItem), as Helm prints them.
                for (i, item) in arr.iter().skip(evaluated).enumerate() {
                    if let Err(e) = self.sub(items, item, loc, &i.to_string(), depth) {
                        errors.push(e);
                    }
                }
            }
        }
        if self.draft >= Draft::D6
            && let Some(contains) = s.get("contains")
        {
            let mut errs = Vec::new();
            let mut matched = Vec::new();
            for (i, item) in arr.iter().enumerate() {
                match self.sub(contains, item, loc, &i.to_string(), depth) {
                    Ok(()) => matched.push(i),
                    Err(e) => errs.push(e),
                }
            }
            let list = |m: &[usize]| m.iter().map(usize::to_string).collect::<Vec<_>>().join(" ");
            let min = if self.draft >= Draft::D2019 { s.get("minContains").and_then(Value::as_f64) } else { None };
            if let Some(min) = min {
                if (matched.len() as f64) < min {
                    let mut node = err(if matched.is_empty() {
                        format!("min {} items required to match contains schema, but none matched", min as i64)
                    } else {
                        format!(
                            "min {} items required to match contains schema, but matched {} items at {}",
                            min as i64,
                            matched.len(),
                            list(&matched)
                        )
                    });
                    node.causes = errs;
                    errors.push(node);
                }
            } else if matched.is_empty() {
                let mut node = err("no items match contains schema".into());
                node.causes = errs;
                errors.push(node);
            }
            if self.draft >= Draft::D2019
                && let Some(max) = s.get("maxContains").and_then(Value::as_f64)
                && (matched.len() as f64) > max
            {
                errors.push(err(format!(
                    "max {} items required to match contains schema, but matched {} items at {}",
                    max as i64,
                    matched.len(),
                    list(&matched)
                )));
            }
        }
    }

    fn string(&self, s: &serde_json::Map<String, Value>, st: &str, loc: &[String], errors: &mut Vec<VError>) {
        let err = |m: String| VError::new(loc, m);
        let len = st.chars().count();
        if let Some(min) = s.get("minLength").and_then(Value::as_f64)
            && (len as f64) < min
        {
            errors.push(err(format!("minLength: got {}, want {}", go_int(len), go_int(min as usize))));
        }
        if let Some(max) = s.get("maxLength").and_then(Value::as_f64)
            && (len as f64) > max
        {
            errors.push(err(format!("maxLength: got {}, want {}", go_int(len), go_int(max as usize))));
        }
        if let Some(Value::String(p)) = s.get("pattern")
            && let Ok(re) = regex::Regex::new(p)
            && !re.is_match(st)
        {
            errors.push(err(format!("{} does not match pattern {}", quote(st), quote(p))));
        }
    }

    fn number(&self, s: &serde_json::Map<String, Value>, n: f64, loc: &[String], errors: &mut Vec<VError>) {
        let err = |m: String| VError::new(loc, m);
        let num = |k: &str| s.get(k).and_then(Value::as_f64);
        let (mut minimum, mut maximum) = (num("minimum"), num("maximum"));
        let (mut ex_min, mut ex_max) = (num("exclusiveMinimum"), num("exclusiveMaximum"));
        if self.draft == Draft::D4 {
            // Draft 4's boolean exclusiveMinimum/Maximum turn minimum/maximum exclusive.
            ex_min = None;
            ex_max = None;
            if s.get("exclusiveMinimum") == Some(&Value::Bool(true)) {
                ex_min = minimum.take();
            }
            if s.get("exclusiveMaximum") == Some(&Value::Bool(true)) {
                ex_max = maximum.take();
            }
        }
        if let Some(m) = minimum.filter(|m| n < *m) {
            errors.push(err(format!("minimum: got {}, want {}", go_float(n), go_float(m))));
        }
        if let Some(m) = maximum.filter(|m| n > *m) {
            errors.push(err(format!("maximum: got {}, want {}", go_float(n), go_float(m))));
        }
        if let Some(m) = ex_min.filter(|m| n <= *m) {
            errors.push(err(format!("exclusiveMinimum: got {}, want {}", go_float(n), go_float(m))));
        }
        if let Some(m) = ex_max.filter(|m| n >= *m) {
            errors.push(err(format!("exclusiveMaximum: got {}, want {}", go_float(n), go_float(m))));
        }
        if let Some(m) = num("multipleOf") {
            let q = n / m;
            if !(q.is_finite() && (q - q.round()).abs() < 1e-9) {
                errors.push(err(format!("multipleOf: got {}, want {}", go_float(n), go_float(m))));
            }
        }
    }

    fn conditions(
        &self,
        s: &'a serde_json::Map<String, Value>,
        v: &Value,
        loc: &[String],
        depth: usize,
        errors: &mut Vec<VError>,
    ) {
        let err = |m: String| VError::new(loc, m);
        if let Some(not) = s.get("not")
            && self.validate(not, v, loc, depth + 1).is_ok()
        {
            errors.push(err("'not' failed".into()));
        }
        if let Some(Value::Array(all)) = s.get("allOf") {
            let errs: Vec<VError> = all.iter().filter_map(|sch| self.validate(sch, v, loc, depth + 1).err()).collect();
            if !errs.is_empty() {
                let mut node = err("'allOf' failed".into());
                node.causes = errs;
                errors.push(node);
            }
        }
        if let Some(Value::Array(any)) = s.get("anyOf") {
            let mut errs = Vec::new();
            let mut matched = false;
            for sch in any {
                match self.validate(sch, v, loc, depth + 1) {
                    Ok(()) => {
                        matched = true;
                        break;
                    }
                    Err(e) => errs.push(e),
                }
            }
            if !matched {
                let mut node = err("'anyOf' failed".into());
                node.causes = errs;
                errors.push(node);
            }
        }
        if let Some(Value::Array(one)) = s.get("oneOf") {
            let mut matched: Option<usize> = None;
            let mut errs = Vec::new();
            for (i, sch) in one.iter().enumerate() {
                match self.validate(sch, v, loc, depth + 1) {
                    Ok(()) => {
                        if let Some(first) = matched {
                            errors.push(err(format!("'oneOf' failed, subschemas {first}, {i} matched")));
                            break;
                        }
                        matched = Some(i);
                    }
                    Err(e) => {
                        if matched.is_none() {
                            errs.push(e);
                        }
                    }
                }
            }
            if matched.is_none() {
                let mut node = err("'oneOf' failed, none matched".into());
                node.causes = errs;
                errors.push(node);
            }
        }
        if self.draft >= Draft::D7
            && let Some(cond) = s.get("if")
        {
            let branch = if self.validate(cond, v, loc, depth + 1).is_ok() { s.get("then") } else { s.get("else") };
            if let Some(b) = branch
                && let Err(e) = self.validate(b, v, loc, depth + 1)
            {
                errors.push(e);
            }
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn check_refs(validator: &Validator<'_>, schema: &Value) -> Result<(), String> {
    match schema {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("enum" | "const" | "default" | "examples", _) => {}
                    ("$ref", Value::String(r)) => {
                        if let Err(e) = validator.resolve(r) {
                            let absolute =
                                if r.starts_with('#') { format!("file:///values.schema.json{r}") } else { r.clone() };
                            return Err(if e.starts_with("JSON pointer") {
                                format!("json-pointer in {absolute:?} not found")
                            } else if e.starts_with("anchor") {
                                format!("anchor in {absolute:?} not found")
                            } else {
                                e
                            });
                        }
                    }
                    (_, other) => check_refs(validator, other)?,
                }
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(|i| check_refs(validator, i)),
        _ => Ok(()),
    }
}

fn display_tree(e: &VError, indent: usize, out: &mut String) {
    let skip = e.reference && e.causes.len() == 1;
    let mut indent = indent;
    if !skip {
        if indent > 0 {
            out.push('\n');
            for _ in 0..indent - 1 {
                out.push_str("  ");
            }
            out.push_str("- ");
        }
        indent += 1;
        out.push_str(&format!("at {}: {}", quote(&json_pointer(&e.location)), e.message));
    }
    for c in &e.causes {
        display_tree(c, indent, out);
    }
}

/// Validates `values` against one `values.schema.json`; the error is what Helm's
/// `ValidateAgainstSingleSchema` returns (the tree, then a newline).
pub(crate) fn validate_single(schema: &Value, values: &Value) -> Result<(), String> {
    let validator = Validator { root: schema, draft: draft_of(schema) };
    // Compiling first: a reference that leads nowhere fails the whole schema, as in v6
    // (`json-pointer in "file:///values.schema.json#/definitions/x" not found`, no newline).
    check_refs(&validator, schema)?;
    match validator.validate(schema, values, &[], 0) {
        Ok(()) => Ok(()),
        Err(e) => {
            let causes = if e.group { e.causes } else { vec![e] };
            let mut out = String::new();
            for c in &causes {
                display_tree(c, 1, &mut out);
            }
            // Helm trims the "jsonschema validation failed with …\n" head line.
            Err(format!("{}\n", out.trim_start_matches('\n')))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_float_formatting() {
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(0.5), "0.5");
        // Texts from Helm (render.py, `maximum` messages).
        assert_eq!(go_float(2e6), "2×10⁰⁶");
        assert_eq!(go_float(123456.0), "123,456");
        assert_eq!(go_float(1234.5), "1,234.5");
        assert_eq!(go_float(1e-5), "1×10⁻⁰⁵");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(-2.5e6), "-2.5×10⁰⁶");
        assert_eq!(go_float(1.2345678901234567e19), "1.2345678901234567×10¹⁹");
        assert_eq!(go_int(1234), "1,234");
    }

    #[test]
    fn messages_as_santhosh_tekuri() {
        // Helm's text for traefik's fail-schema case (expected/fail-schema.error).
        let schema = json!({"type": "object", "properties": {"image": {"type": "object", "additionalProperties": false, "properties": {"tag": {}}}}});
        let err = validate_single(&schema, &json!({"image": {"colour": "blue"}})).unwrap_err();
        assert_eq!(err, "- at '/image': additional properties 'colour' not allowed\n");
        let err = validate_single(&json!({"required": ["a", "b"]}), &json!({})).unwrap_err();
        assert_eq!(err, "- at '': missing properties 'a', 'b'\n");
    }
}

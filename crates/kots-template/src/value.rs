//! Values as Go's templates see them.
//!
//! Go's templates are dynamically typed over Go's static types: `{{ add 1 2 }}` is an `int64`,
//! `{{ len "x" }}` an `int`, JSON numbers are `float64`, and the difference shows (in `%T`, in
//! `typeOf`, in which comparisons are errors, in whether `repeat` accepts the count). So a
//! [`Value`] carries its Go type, not only its content. Lists and maps are shared (`Arc`) so that
//! passing a big `.Values` through pipelines never copies it.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, RwLock};

/// How deeply functions that walk a value (printing, JSON, deep copies and comparisons) descend
/// before they stop: a map can hold itself (`set $d "self" $d`), which Go walks until its stack
/// runs out and the process dies.
pub const MAX_NESTING: usize = 1_000;

/// A Go type, as far as templates need to name one: function parameters are declared with it
/// (a template constant converts to the parameter's type, as in Go), lists and maps record
/// their element type with it, and `%T`/`typeOf` print it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GoType {
    /// `interface {}`: anything.
    Any,
    Bool,
    Int(IntKind),
    Uint(UintKind),
    Float(FloatKind),
    String,
    /// `[]uint8` (`[]byte`).
    Bytes,
    /// `[]T`.
    Slice(Box<GoType>),
    /// `map[string]T` (the only maps templates build or read).
    Map(Box<GoType>),
    /// A named type such as `time.Time` or `*semver.Version` (an [`Object`]'s type).
    Named(Arc<str>),
}

/// Go's signed integer types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntKind {
    Int,
    Int8,
    Int16,
    /// Also `rune`: a character constant `'a'` is an `int32`.
    Int32,
    Int64,
}

/// Go's unsigned integer types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UintKind {
    Uint,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Uintptr,
}

/// Go's floating-point types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FloatKind {
    Float32,
    Float64,
}

impl IntKind {
    pub fn name(self) -> &'static str {
        match self {
            IntKind::Int => "int",
            IntKind::Int8 => "int8",
            IntKind::Int16 => "int16",
            IntKind::Int32 => "int32",
            IntKind::Int64 => "int64",
        }
    }

    /// Wraps `v` to this type's width, as a Go conversion does.
    pub fn wrap(self, v: i64) -> i64 {
        match self {
            IntKind::Int | IntKind::Int64 => v,
            IntKind::Int8 => v as i8 as i64,
            IntKind::Int16 => v as i16 as i64,
            IntKind::Int32 => v as i32 as i64,
        }
    }

    /// Bit size, for `strconv`-style range checks.
    pub fn bits(self) -> u32 {
        match self {
            IntKind::Int | IntKind::Int64 => 64,
            IntKind::Int8 => 8,
            IntKind::Int16 => 16,
            IntKind::Int32 => 32,
        }
    }
}

impl UintKind {
    pub fn name(self) -> &'static str {
        match self {
            UintKind::Uint => "uint",
            UintKind::Uint8 => "uint8",
            UintKind::Uint16 => "uint16",
            UintKind::Uint32 => "uint32",
            UintKind::Uint64 => "uint64",
            UintKind::Uintptr => "uintptr",
        }
    }

    /// Wraps `v` to this type's width, as a Go conversion does.
    pub fn wrap(self, v: u64) -> u64 {
        match self {
            UintKind::Uint | UintKind::Uint64 | UintKind::Uintptr => v,
            UintKind::Uint8 => v as u8 as u64,
            UintKind::Uint16 => v as u16 as u64,
            UintKind::Uint32 => v as u32 as u64,
        }
    }

    pub fn bits(self) -> u32 {
        match self {
            UintKind::Uint | UintKind::Uint64 | UintKind::Uintptr => 64,
            UintKind::Uint8 => 8,
            UintKind::Uint16 => 16,
            UintKind::Uint32 => 32,
        }
    }
}

impl GoType {
    /// `[]interface {}`.
    pub fn slice_any() -> GoType {
        GoType::Slice(Box::new(GoType::Any))
    }

    /// `map[string]interface {}`.
    pub fn map_any() -> GoType {
        GoType::Map(Box::new(GoType::Any))
    }

    /// `int`.
    pub const INT: GoType = GoType::Int(IntKind::Int);
    /// `int64`.
    pub const INT64: GoType = GoType::Int(IntKind::Int64);
    /// `float64`.
    pub const FLOAT64: GoType = GoType::Float(FloatKind::Float64);

    /// The name Go's `%T` prints.
    pub fn name(&self) -> String {
        match self {
            GoType::Any => "interface {}".to_string(),
            GoType::Bool => "bool".to_string(),
            GoType::Int(k) => k.name().to_string(),
            GoType::Uint(k) => k.name().to_string(),
            GoType::Float(FloatKind::Float32) => "float32".to_string(),
            GoType::Float(FloatKind::Float64) => "float64".to_string(),
            GoType::String => "string".to_string(),
            GoType::Bytes => "[]uint8".to_string(),
            GoType::Slice(elem) => format!("[]{}", elem.name()),
            GoType::Map(elem) => format!("map[string]{}", elem.name()),
            GoType::Named(name) => name.to_string(),
        }
    }

    /// The name of the type's `reflect.Kind`, as sprig's `kindOf` prints it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            GoType::Any => "interface",
            GoType::Bool => "bool",
            GoType::Int(k) => k.name(),
            GoType::Uint(k) => k.name(),
            GoType::Float(FloatKind::Float32) => "float32",
            GoType::Float(FloatKind::Float64) => "float64",
            GoType::String => "string",
            GoType::Bytes | GoType::Slice(_) => "slice",
            GoType::Map(_) => "map",
            GoType::Named(name) if name.starts_with('*') => "ptr",
            GoType::Named(_) => "struct",
        }
    }
}

/// A list value: its items and its Go element type (`[]interface {}` unless a function made a
/// typed slice such as sprig's `[]string` from `splitList` or `[]int` from `until`).
#[derive(Debug, Clone)]
pub struct List {
    pub items: Arc<Vec<Value>>,
    pub elem: GoType,
    /// Go's nil slice (what `rest` of an empty list, `concat` of nothing, or a missing
    /// slice-typed value is): empty like any other, but `toJson` writes `null`, `%#v` shows
    /// `(nil)`, and `deepEqual` tells it from an empty one.
    pub nil: bool,
}

/// A map value: `map[string]T`, keys in Go's sorted order (Go's `range` and `fmt` both sort
/// map keys; a `BTreeMap` of `String` sorts by bytes, as Go sorts strings).
///
/// Go maps are references: sprig's `set`, `unset` and `merge` change a map in place, and every
/// holder of it sees the change (`{{ $_ := set $d "k" 1 }}{{ $d.k }}` prints 1; Helm charts
/// rely on it). So a `Map` is shared: clones are the same map, and [`Map::insert`] and
/// [`Map::remove`] change it for all of them. Reads take a snapshot ([`Map::entries`]), which
/// later changes do not alter (copy on write).
#[derive(Clone)]
pub struct Map {
    cell: Arc<RwLock<Arc<BTreeMap<String, Value>>>>,
    pub elem: GoType,
}

impl Map {
    /// A new map (Go's `make(map[string]T)` filled with `entries`).
    pub fn new(entries: BTreeMap<String, Value>, elem: GoType) -> Map {
        Map { cell: Arc::new(RwLock::new(Arc::new(entries))), elem }
    }

    /// The entries as they are now.
    pub fn entries(&self) -> Arc<BTreeMap<String, Value>> {
        self.cell.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub fn get(&self, key: &str) -> Option<Value> {
        self.entries().get(key).cloned()
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.entries().contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// Sets `key` in place: every holder of this map sees it (Go's `m[key] = value`).
    pub fn insert(&self, key: String, value: Value) {
        let mut guard = self.cell.write().unwrap_or_else(|p| p.into_inner());
        Arc::make_mut(&mut guard).insert(key, value);
    }

    /// Deletes `key` in place (Go's `delete(m, key)`).
    pub fn remove(&self, key: &str) {
        let mut guard = self.cell.write().unwrap_or_else(|p| p.into_inner());
        if guard.contains_key(key) {
            Arc::make_mut(&mut guard).remove(key);
        }
    }

    /// Whether both are the same Go map (not merely equal contents).
    pub fn same(&self, other: &Map) -> bool {
        Arc::ptr_eq(&self.cell, &other.cell)
    }
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Map").field("entries", &self.entries()).field("elem", &self.elem).finish()
    }
}

/// A Go value with a named type: `time.Time`, `*semver.Version`, Helm's `.Capabilities`, …
/// Templates read its fields (`.Major`) and call its methods (`.APIVersions.Has "v1"`).
pub trait Object: Debug + Send + Sync {
    /// The Go type's name as `%T` prints it (`time.Time`, `*semver.Version`).
    fn type_name(&self) -> &str;
    /// A field, or a method that takes no arguments, by name (`None`: there is none).
    fn field(&self, name: &str) -> Option<Value>;
    /// Calls the method `name` with `args` (`None`: no such method). Methods that take no
    /// arguments may be reached through [`Object::field`] as well; the executor asks `method`
    /// first when the template passes arguments.
    fn method(&self, name: &str, args: &[Value]) -> Option<Result<Value, crate::FuncError>> {
        let _ = (name, args);
        None
    }
    /// What Go's `%v` prints for the value (its `String()` method if it has one).
    fn format(&self) -> String;
    /// For downcasting in functions that take this type (`semverCompare`, `date`).
    fn as_any(&self) -> &dyn std::any::Any;
    /// For Go types that are maps with methods (Helm's `files.Files`): the entries, which
    /// `range`, `len` and `index` see.
    fn as_map(&self) -> Option<Map> {
        None
    }
    /// Go's `==` on two values of this type (`None`: the type is not comparable).
    fn equals(&self, other: &dyn Object) -> Option<bool> {
        let _ = other;
        None
    }
}

/// A value in a template.
#[derive(Debug, Clone)]
pub enum Value {
    /// Go's invalid `reflect.Value`: what a missing map key or a field of nil evaluates to. It
    /// prints as `<no value>`; passed to a function it becomes [`Value::Nil`].
    Missing,
    /// A nil interface (JSON `null`, the `nil` constant): prints as `<nil>`.
    Nil,
    Bool(bool),
    Int(i64, IntKind),
    Uint(u64, UintKind),
    Float(f64, FloatKind),
    String(Arc<str>),
    Bytes(Arc<[u8]>),
    List(List),
    Map(Map),
    Object(Arc<dyn Object>),
}

impl Value {
    /// A Go `int`.
    pub fn int(v: i64) -> Value {
        Value::Int(v, IntKind::Int)
    }

    /// A Go `int64`.
    pub fn int64(v: i64) -> Value {
        Value::Int(v, IntKind::Int64)
    }

    /// A Go `float64`.
    pub fn float(v: f64) -> Value {
        Value::Float(v, FloatKind::Float64)
    }

    /// A Go `string`.
    pub fn string(v: impl Into<Arc<str>>) -> Value {
        Value::String(v.into())
    }

    /// A `[]interface {}`.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List { items: Arc::new(items), elem: GoType::Any, nil: false })
    }

    /// A `[]T` with the given element type.
    pub fn typed_list(items: Vec<Value>, elem: GoType) -> Value {
        Value::List(List { items: Arc::new(items), elem, nil: false })
    }

    /// Go's nil slice of `elem`.
    pub fn nil_list(elem: GoType) -> Value {
        Value::List(List { items: Arc::new(Vec::new()), elem, nil: true })
    }

    /// A `[]interface {}` that is nil when empty: what Go's `append` onto a nil slice makes.
    pub fn list_or_nil(items: Vec<Value>) -> Value {
        if items.is_empty() { Value::nil_list(GoType::Any) } else { Value::list(items) }
    }

    /// A `[]string`.
    pub fn string_list<S: Into<Arc<str>>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::typed_list(items.into_iter().map(|s| Value::String(s.into())).collect(), GoType::String)
    }

    /// A `map[string]interface {}`.
    pub fn map(entries: BTreeMap<String, Value>) -> Value {
        Value::Map(Map::new(entries, GoType::Any))
    }

    /// The value's dynamic Go type (`None` for nil and missing values, which have none).
    pub fn go_type(&self) -> Option<GoType> {
        Some(match self {
            Value::Missing | Value::Nil => return None,
            Value::Bool(_) => GoType::Bool,
            Value::Int(_, k) => GoType::Int(*k),
            Value::Uint(_, k) => GoType::Uint(*k),
            Value::Float(_, k) => GoType::Float(*k),
            Value::String(_) => GoType::String,
            Value::Bytes(_) => GoType::Bytes,
            Value::List(l) => GoType::Slice(Box::new(l.elem.clone())),
            Value::Map(m) => GoType::Map(Box::new(m.elem.clone())),
            Value::Object(o) => GoType::Named(o.type_name().into()),
        })
    }

    /// What `%T` prints: the type's name, `<nil>` for nil.
    pub fn type_name(&self) -> String {
        self.go_type().map(|t| t.name()).unwrap_or_else(|| "<nil>".to_string())
    }

    /// The `reflect.Kind` name (`invalid` for nil), as sprig's `kindOf` prints it.
    pub fn kind_name(&self) -> &'static str {
        self.go_type().map(|t| t.kind_name()).unwrap_or("invalid")
    }

    /// Go's template truth (`if`, `and`, `or`, `not`, `with`): false, 0, nil, and empty
    /// strings, lists and maps are false; structs are always true.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Missing | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(v, _) => *v != 0,
            Value::Uint(v, _) => *v != 0,
            Value::Float(v, _) => *v != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Object(_) => true,
        }
    }

    /// Nil or missing.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Missing | Value::Nil)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The object inside, downcast to `T`.
    pub fn as_object<T: 'static>(&self) -> Option<&T> {
        match self {
            Value::Object(o) => o.as_any().downcast_ref::<T>(),
            _ => None,
        }
    }

    /// Data as Go's `encoding/json` decodes it into `interface{}`: objects become
    /// `map[string]interface {}`, arrays `[]interface {}`, and every number a `float64` (that is
    /// why Helm prints a value of 1000000 as `1e+06`).
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::float(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::string(s.as_str()),
            serde_json::Value::Array(items) => Value::list(items.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(entries) => {
                Value::map(entries.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect())
            }
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::string(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::string(v)
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Value {
        Value::from_json(&v)
    }
}

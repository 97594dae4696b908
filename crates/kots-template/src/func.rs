//! The function registry: what a template may call, with Go's typed signatures.
//!
//! A Go template function is a Go function, and its parameter types matter: a template
//! constant `3` becomes an `int` for an `int` parameter and a `float64` for a `float64` one, and
//! an `int64` value passed where an `int` is expected is an error ("wrong type for value;
//! expected int; got int64"). So each [`Func`] declares its [`Signature`] in Go types; the
//! executor checks arity and types and converts constants before the function runs, so the
//! function receives arguments of exactly the declared types.
//!
//! KOTS and Helm add their own functions to a [`FuncMap`]; those that need the render itself
//! (Helm's `include` and `tpl`) get it through [`Call`].

use std::collections::HashMap;
use std::sync::Arc;

use crate::value::{GoType, Value};

/// An error a function returns; the executor reports it as Go does:
/// `error calling NAME: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncError(pub String);

impl FuncError {
    pub fn new(message: impl Into<String>) -> FuncError {
        FuncError(message.into())
    }
}

impl std::fmt::Display for FuncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FuncError {}

/// A Go function's parameter list: fixed parameters, then optionally a variadic tail
/// (`...T`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub params: Vec<GoType>,
    pub variadic: Option<GoType>,
}

impl Signature {
    pub fn new(params: Vec<GoType>) -> Signature {
        Signature { params, variadic: None }
    }

    pub fn variadic(params: Vec<GoType>, rest: GoType) -> Signature {
        Signature { params, variadic: Some(rest) }
    }

    /// The declared type of argument `i` (the variadic type past the fixed ones).
    pub fn param(&self, i: usize) -> Option<&GoType> {
        self.params.get(i).or(self.variadic.as_ref())
    }
}

/// What a function body sees: the render it runs in, for the functions that need it.
pub struct Call<'a> {
    pub(crate) renderer: &'a mut dyn Renderer,
}

impl std::fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Call")
    }
}

impl Call<'_> {
    /// Executes the named template of the current set with `data` and returns its output
    /// (Helm's `include`). Counts against the same budget as the caller.
    pub fn execute_template(&mut self, name: &str, data: &Value) -> Result<String, FuncError> {
        self.renderer.execute_template(name, data)
    }

    /// Parses `text` as a template that sees the current set's named templates and executes
    /// it with `data` (Helm's `tpl`).
    pub fn render_text(&mut self, text: &str, data: &Value) -> Result<String, FuncError> {
        self.renderer.render_text(text, data)
    }
}

/// The executor's side of [`Call`].
pub(crate) trait Renderer {
    fn execute_template(&mut self, name: &str, data: &Value) -> Result<String, FuncError>;
    fn render_text(&mut self, text: &str, data: &Value) -> Result<String, FuncError>;
}

/// A function body. Arguments arrive converted to the declared types, one per parameter (the
/// variadic ones after the fixed ones).
pub type FuncBody = dyn Fn(&mut Call<'_>, &[Value]) -> Result<Value, FuncError> + Send + Sync;

/// A function a template may call.
#[derive(Clone)]
pub struct Func {
    pub signature: Signature,
    pub body: Arc<FuncBody>,
}

impl std::fmt::Debug for Func {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Func").field("signature", &self.signature).finish()
    }
}

/// Functions by name, as Go's `template.FuncMap`. Later insertions replace earlier ones (KOTS
/// and Helm override some of sprig's).
#[derive(Debug, Clone, Default)]
pub struct FuncMap {
    funcs: HashMap<String, Func>,
}

impl FuncMap {
    pub fn new() -> FuncMap {
        FuncMap::default()
    }

    /// Adds a function with fixed parameters.
    pub fn add(
        &mut self,
        name: &str,
        params: Vec<GoType>,
        body: impl Fn(&mut Call<'_>, &[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) -> &mut FuncMap {
        self.insert(name, Signature::new(params), body)
    }

    /// Adds a function whose last parameter is variadic (`...rest`).
    pub fn add_variadic(
        &mut self,
        name: &str,
        params: Vec<GoType>,
        rest: GoType,
        body: impl Fn(&mut Call<'_>, &[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) -> &mut FuncMap {
        self.insert(name, Signature::variadic(params, rest), body)
    }

    /// Adds a function with the given signature.
    pub fn insert(
        &mut self,
        name: &str,
        signature: Signature,
        body: impl Fn(&mut Call<'_>, &[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) -> &mut FuncMap {
        self.funcs.insert(name.to_string(), Func { signature, body: Arc::new(body) });
        self
    }

    /// Adds every function of `other`, replacing those of the same name.
    pub fn extend(&mut self, other: &FuncMap) -> &mut FuncMap {
        for (name, func) in &other.funcs {
            self.funcs.insert(name.clone(), func.clone());
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<&Func> {
        self.funcs.get(name)
    }

    /// Takes a function out (Helm's engine drops sprig's `env` and `expandenv`).
    pub fn remove(&mut self, name: &str) -> Option<Func> {
        self.funcs.remove(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.funcs.contains_key(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.funcs.keys().map(String::as_str)
    }

    /// Calls `name` outside any render (no `include`/`tpl`), with `args` as given: no
    /// conversion to the declared types. For unit tests of function bodies.
    pub fn call(&self, name: &str, args: &[Value]) -> Result<Value, FuncError> {
        let func = self.get(name).ok_or_else(|| FuncError::new(format!("function {name:?} not defined")))?;
        let mut renderer = Detached;
        let mut call = Call { renderer: &mut renderer };
        (func.body)(&mut call, args)
    }
}

/// The renderer of a call made outside any render.
struct Detached;

impl Renderer for Detached {
    fn execute_template(&mut self, name: &str, _data: &Value) -> Result<String, FuncError> {
        Err(FuncError::new(format!("no template {name:?}: called outside a render")))
    }

    fn render_text(&mut self, _text: &str, _data: &Value) -> Result<String, FuncError> {
        Err(FuncError::new("tpl called outside a render"))
    }
}

/// Typed access to converted arguments, for function bodies: each accessor fails with a
/// [`FuncError`] rather than panicking if the executor and the signature ever disagree.
pub trait ArgsExt {
    fn arg(&self, i: usize) -> Result<&Value, FuncError>;
    fn str_arg(&self, i: usize) -> Result<&str, FuncError>;
    fn int_arg(&self, i: usize) -> Result<i64, FuncError>;
    fn float_arg(&self, i: usize) -> Result<f64, FuncError>;
    fn bool_arg(&self, i: usize) -> Result<bool, FuncError>;
}

impl ArgsExt for [Value] {
    fn arg(&self, i: usize) -> Result<&Value, FuncError> {
        self.get(i).ok_or_else(|| FuncError::new(format!("missing argument {}", i + 1)))
    }

    fn str_arg(&self, i: usize) -> Result<&str, FuncError> {
        match self.arg(i)? {
            Value::String(s) => Ok(s),
            other => Err(wrong_type(i, "string", other)),
        }
    }

    fn int_arg(&self, i: usize) -> Result<i64, FuncError> {
        match self.arg(i)? {
            Value::Int(v, _) => Ok(*v),
            Value::Uint(v, _) => Ok(*v as i64),
            other => Err(wrong_type(i, "int", other)),
        }
    }

    fn float_arg(&self, i: usize) -> Result<f64, FuncError> {
        match self.arg(i)? {
            Value::Float(v, _) => Ok(*v),
            other => Err(wrong_type(i, "float64", other)),
        }
    }

    fn bool_arg(&self, i: usize) -> Result<bool, FuncError> {
        match self.arg(i)? {
            Value::Bool(v) => Ok(*v),
            other => Err(wrong_type(i, "bool", other)),
        }
    }
}

fn wrong_type(i: usize, want: &str, got: &Value) -> FuncError {
    FuncError::new(format!("argument {}: expected {want}; got {}", i + 1, got.type_name()))
}

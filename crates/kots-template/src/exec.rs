//! The executor, as Go's `text/template/exec.go`: walks a tree with data, evaluating
//! pipelines with Go's rules (missing keys, nil, typed function arguments, `and`/`or`
//! short-circuit, range over lists, maps in key order and integers, `break`/`continue`,
//! `template` calls with their own variables), within the [`crate::Budget`].

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::func::{Call, Func, FuncError, Renderer};
use crate::parse::{Arg, Command, Control, Node, Pipe, Tree};
use crate::value::{FloatKind, GoType, UintKind, Value};
use crate::{Error, FuncMap, MissingKey, Position, Templates};

/// Executes template `name` of `set` with `data`.
pub(crate) fn execute(set: &Templates, name: &str, data: &Value) -> Result<String, Error> {
    let Some(tree) = set.trees.get(name) else {
        return Err(Error::NoTemplate {
            name: name.to_string(),
            set: set.names().first().copied().unwrap_or("").to_string(),
        });
    };
    // Go's `Execute(w, nil)`: nil data is no value at all (`.a` of it is `<no value>`).
    let data = &match data {
        Value::Nil => Value::Missing,
        other => other.clone(),
    };
    let mut state = State {
        set,
        overlays: Vec::new(),
        tree: tree.clone(),
        vars: vec![("$".to_string(), data.clone())],
        out: String::new(),
        depth: 0,
        steps: 0,
        output_before: 0,
    };
    state.walk_list(data, &tree.clone().root).map_err(|f| state.error(f))?;
    Ok(state.out)
}

fn builtins() -> &'static FuncMap {
    static BUILTINS: OnceLock<FuncMap> = OnceLock::new();
    BUILTINS.get_or_init(crate::builtins::funcs)
}

/// `and` and `or`: the executor evaluates them itself (short-circuit); this is their
/// signature, `func(arg0 reflect.Value, args ...reflect.Value) reflect.Value`.
fn and_or() -> &'static Func {
    static AND_OR: OnceLock<Func> = OnceLock::new();
    AND_OR.get_or_init(|| Func {
        signature: crate::Signature::variadic(vec![GoType::Any], GoType::Any),
        body: Arc::new(|_, args| Ok(args.last().cloned().unwrap_or(Value::Missing))),
    })
}

/// The command or operand being evaluated, for error messages (Go's `s.at(node)`).
#[derive(Clone, Copy)]
enum At<'a> {
    Command(&'a Command),
    Arg(&'a Arg),
}

impl At<'_> {
    fn pos(&self) -> usize {
        match self {
            At::Command(cmd) => cmd.pos,
            At::Arg(arg) => arg.pos(),
        }
    }

    fn describe(&self) -> String {
        match self {
            At::Command(cmd) => cmd.describe(),
            At::Arg(arg) => arg.describe(),
        }
    }
}

/// The builtins whose parameters are `reflect.Value`.
const REFLECT_BUILTINS: &[&str] =
    &["and", "or", "not", "len", "index", "slice", "eq", "ne", "lt", "le", "gt", "ge", "call"];

/// Stack left before a nested walk grows the stack, and by how much it grows.
pub(crate) const STACK_RED_ZONE: usize = 128 * 1024;
pub(crate) const STACK_GROWTH: usize = 2 * 1024 * 1024;

/// Why a walk stopped early.
enum Flow {
    Normal,
    Break,
    Continue,
}

/// A failure while executing: where, what was being evaluated, and what went wrong.
struct Fail {
    tree: Arc<Tree>,
    pos: usize,
    context: String,
    message: String,
    budget: bool,
}

type R<T> = Result<T, Box<Fail>>;

struct State<'a> {
    set: &'a Templates,
    /// Templates defined by `tpl` texts being rendered (innermost last), seen before the set's.
    overlays: Vec<HashMap<String, Arc<Tree>>>,
    tree: Arc<Tree>,
    vars: Vec<(String, Value)>,
    out: String,
    depth: usize,
    steps: u64,
    /// Bytes written into outputs that were captured and handed back (`include`), which
    /// still count against the output budget.
    output_before: u64,
}

impl State<'_> {
    #[allow(clippy::boxed_local)]
    fn error(&self, fail: Box<Fail>) -> Error {
        let (line, column) = fail.tree.location(fail.pos);
        let position = Position { name: fail.tree.parse_name.clone(), line, column };
        if fail.budget {
            return Error::Budget { position, message: fail.message };
        }
        Error::Exec { position, template: fail.tree.name.clone(), context: fail.context, message: fail.message }
    }

    fn fail(&self, pos: usize, context: impl Into<String>, message: impl Into<String>) -> Box<Fail> {
        let context = context.into();
        Box::new(Fail { tree: self.tree.clone(), pos, context, message: message.into(), budget: false })
    }

    fn fail_arg<T>(&self, arg: &Arg, message: impl Into<String>) -> R<T> {
        Err(self.fail(arg.pos(), arg.describe(), message))
    }

    fn step(&mut self, pos: usize) -> R<()> {
        self.steps += 1;
        if self.steps > self.set.options.budget.max_steps {
            let mut fail = self.fail(
                pos,
                "",
                format!(
                    "execution stopped after {} steps (the template's step budget)",
                    self.set.options.budget.max_steps
                ),
            );
            fail.budget = true;
            return Err(fail);
        }
        Ok(())
    }

    fn write(&mut self, pos: usize, text: &str) -> R<()> {
        self.out.push_str(text);
        self.check_output(pos)
    }

    fn check_output(&self, pos: usize) -> R<()> {
        let limit = self.set.options.budget.max_output_bytes;
        if self.output_before + self.out.len() as u64 > limit {
            let mut fail = self.fail(pos, "", format!("output exceeds {limit} bytes (the template's output budget)"));
            fail.budget = true;
            return Err(fail);
        }
        Ok(())
    }

    fn lookup_template(&self, name: &str) -> Option<Arc<Tree>> {
        for overlay in self.overlays.iter().rev() {
            if let Some(tree) = overlay.get(name) {
                return Some(tree.clone());
            }
        }
        self.set.trees.get(name).cloned()
    }

    // ----- walking -----

    fn walk_list(&mut self, dot: &Value, nodes: &[Node]) -> R<Flow> {
        for node in nodes {
            match self.walk(dot, node)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value, node: &Node) -> R<Flow> {
        match node {
            Node::Text(_) | Node::Action(_) | Node::Break | Node::Continue => self.walk_node(dot, node),
            // Controls and template calls nest: grow the stack on the heap rather than
            // overflow it (Go's goroutine stacks grow the same way); the depth budget bounds it.
            _ => stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || self.walk_node(dot, node)),
        }
    }

    fn walk_node(&mut self, dot: &Value, node: &Node) -> R<Flow> {
        match node {
            Node::Text(text) => {
                self.write(0, text)?;
            }
            Node::Action(pipe) => {
                self.step(pipe.pos)?;
                let value = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    match &value {
                        Value::Missing => self.out.push_str("<no value>"),
                        other => crate::fmt::write_value(&mut self.out, other),
                    }
                    self.check_output(pipe.pos)?;
                }
            }
            Node::If(control) => return self.walk_if_or_with(dot, control, false),
            Node::With(control) => return self.walk_if_or_with(dot, control, true),
            Node::Range(control) => return self.walk_range(dot, control),
            Node::Template { pos, name, pipe } => self.walk_template(dot, *pos, name, pipe)?,
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_if_or_with(&mut self, dot: &Value, control: &Control, with: bool) -> R<Flow> {
        self.step(control.pos)?;
        let mark = self.vars.len();
        let value = self.eval_pipeline(dot, &control.pipe)?;
        let flow = if value.truthy() {
            if with { self.walk_list(&value, &control.list)? } else { self.walk_list(dot, &control.list)? }
        } else if let Some(else_list) = &control.else_list {
            self.walk_list(dot, else_list)?
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn walk_range(&mut self, dot: &Value, control: &Control) -> R<Flow> {
        self.step(control.pos)?;
        let mark = self.vars.len();
        let value = self.eval_pipeline(dot, &control.pipe)?;
        let body_mark = self.vars.len();
        let pipe = &control.pipe;
        let mut ran = false;
        let mut iterate = |state: &mut Self, index: Value, elem: Value| -> R<bool> {
            state.step(control.pos)?;
            ran = true;
            if !pipe.decl.is_empty() {
                if pipe.is_assign {
                    let target = if pipe.decl.len() > 1 { &index } else { &elem };
                    state.set_var(control.pos, &pipe.decl[0], target.clone())?;
                } else {
                    let top = state.vars.len() - 1;
                    state.vars[top].1 = elem.clone();
                }
            }
            if pipe.decl.len() > 1 {
                if pipe.is_assign {
                    state.set_var(control.pos, &pipe.decl[1], elem.clone())?;
                } else {
                    let next = state.vars.len() - 2;
                    state.vars[next].1 = index;
                }
            }
            let flow = state.walk_list(&elem, &control.list);
            state.vars.truncate(body_mark);
            Ok(matches!(flow?, Flow::Break))
        };
        match &value {
            Value::List(list) => {
                for (i, item) in list.items.iter().enumerate() {
                    if iterate(self, Value::int(i as i64), item.clone())? {
                        break;
                    }
                }
            }
            Value::Bytes(bytes) => {
                for (i, b) in bytes.iter().enumerate() {
                    if iterate(self, Value::int(i as i64), Value::Uint(*b as u64, UintKind::Uint8))? {
                        break;
                    }
                }
            }
            Value::Map(map) => {
                for (k, v) in map.entries().iter() {
                    if iterate(self, Value::string(k.as_str()), v.clone())? {
                        break;
                    }
                }
            }
            Value::Int(..) | Value::Uint(..) => {
                if pipe.decl.len() > 1 {
                    return Err(self.fail(
                        control.pos,
                        "range",
                        format!(
                            "can't use {} to iterate over more than one variable",
                            crate::fmt::format_value(&value)
                        ),
                    ));
                }
                // Go 1.22's range over an integer: 0 … n-1, of n's type.
                let count = match &value {
                    Value::Int(n, _) => (*n).max(0) as u64,
                    Value::Uint(n, _) => *n,
                    _ => 0,
                };
                for i in 0..count {
                    let item = match &value {
                        Value::Int(_, kind) => Value::Int(i as i64, *kind),
                        Value::Uint(_, kind) => Value::Uint(i, *kind),
                        _ => Value::Missing,
                    };
                    if iterate(self, item.clone(), item)? {
                        break;
                    }
                }
            }
            Value::Missing | Value::Nil => {}
            Value::Object(object) if let Some(map) = object.as_map() => {
                for (k, v) in map.entries().iter() {
                    if iterate(self, Value::string(k.as_str()), v.clone())? {
                        break;
                    }
                }
            }
            other => {
                return Err(self.fail(
                    control.pos,
                    "range",
                    format!("range can't iterate over {}", crate::fmt::format_value(other)),
                ));
            }
        }
        // A `break` or `continue` in the body ends here. In the `else` (which Go parses outside
        // this range), Go's walkRange still recovers a `break` itself, but lets a `continue`
        // reach the enclosing range.
        let flow = if !ran && let Some(else_list) = &control.else_list {
            match self.walk_list(dot, else_list)? {
                Flow::Continue => Flow::Continue,
                _ => Flow::Normal,
            }
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn walk_template(&mut self, dot: &Value, pos: usize, name: &str, pipe: &Option<Pipe>) -> R<()> {
        self.step(pos)?;
        let Some(tree) = self.lookup_template(name) else {
            return Err(self.fail(pos, format!("{{{{template {name:?}}}}}"), format!("template {name:?} not defined")));
        };
        let new_dot = match pipe {
            Some(pipe) => self.eval_pipeline(dot, pipe)?,
            None => Value::Missing,
        };
        self.run_tree(pos, tree, new_dot).map(|_| ())
    }

    /// Runs `tree` with `dot` as a `template` call does: no variables but `$`, one level
    /// deeper.
    fn run_tree(&mut self, pos: usize, tree: Arc<Tree>, dot: Value) -> R<Flow> {
        if self.depth >= self.set.options.budget.max_depth {
            let mut fail =
                self.fail(pos, "", format!("exceeded maximum template depth ({})", self.set.options.budget.max_depth));
            fail.budget = true;
            return Err(fail);
        }
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$".to_string(), dot.clone())]);
        let saved_tree = std::mem::replace(&mut self.tree, tree.clone());
        self.depth += 1;
        let result = self.walk_list(&dot, &tree.root);
        self.depth -= 1;
        self.tree = saved_tree;
        self.vars = saved_vars;
        result
    }

    // ----- variables -----

    fn set_var(&mut self, pos: usize, name: &str, value: Value) -> R<()> {
        for (var, slot) in self.vars.iter_mut().rev() {
            if var == name {
                *slot = value;
                return Ok(());
            }
        }
        Err(self.fail(pos, name, format!("undefined variable: {name}")))
    }

    fn var_value(&self, arg: &Arg, name: &str) -> R<Value> {
        for (var, value) in self.vars.iter().rev() {
            if var == name {
                return Ok(value.clone());
            }
        }
        self.fail_arg(arg, format!("undefined variable: {name}"))
    }

    // ----- evaluation -----

    fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipe) -> R<Value> {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || self.eval_pipeline_here(dot, pipe))
    }

    fn eval_pipeline_here(&mut self, dot: &Value, pipe: &Pipe) -> R<Value> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            let mut v = self.eval_command(dot, cmd, value.take())?;
            // Go digs one level into interface values: a nil interface becomes "no value".
            if matches!(v, Value::Nil) {
                v = Value::Missing;
            }
            value = Some(v);
        }
        let value = value.unwrap_or(Value::Missing);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(pipe.pos, name, value.clone())?;
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn eval_command(&mut self, dot: &Value, cmd: &Command, fin: Option<Value>) -> R<Value> {
        self.step(cmd.pos)?;
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                return self.eval_field_chain(dot, dot.clone(), first, idents, At::Command(cmd), &cmd.args, fin);
            }
            Arg::Chain { node, fields, .. } => {
                return self.eval_chain(dot, first, node, fields, At::Command(cmd), &cmd.args, fin);
            }
            Arg::Identifier(_, name) => {
                return self.eval_function(dot, first, name, At::Command(cmd), &cmd.args, fin);
            }
            Arg::Pipe(_, pipe) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, pipe);
            }
            Arg::Variable { idents, .. } => {
                return self.eval_variable(dot, first, idents, At::Command(cmd), &cmd.args, fin);
            }
            _ => {}
        }
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool(_, b) => Ok(Value::Bool(*b)),
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => self.fail_arg(first, "nil is not a command"),
            Arg::Number(_, n) => self.ideal_constant(first, n),
            Arg::String(_, s) => Ok(Value::String(s.clone())),
            _ => self.fail_arg(first, format!("can't evaluate command {:?}", first.describe())),
        }
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<Value>) -> R<()> {
        if args.len() > 1 || fin.is_some() {
            return self.fail_arg(&args[0], format!("can't give argument to non-function {}", args[0].describe()));
        }
        Ok(())
    }

    /// A number constant where any type goes: Go's `idealConstant`.
    fn ideal_constant(&self, arg: &Arg, n: &crate::parse::Number) -> R<Value> {
        let text = n.text.as_str();
        let is_hex_int = text.len() > 2
            && text.starts_with('0')
            && matches!(text.as_bytes()[1], b'x' | b'X')
            && !text.contains(['p', 'P']);
        let is_rune = text.starts_with('\'');
        if n.is_float && !is_hex_int && !is_rune && text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::float(n.float));
        }
        if n.is_int {
            return Ok(Value::int(n.int));
        }
        if n.is_uint {
            return self.fail_arg(arg, format!("{text} overflows int"));
        }
        Ok(Value::Missing)
    }

    fn eval_variable(
        &mut self,
        dot: &Value,
        arg: &Arg,
        idents: &[String],
        cmd: At<'_>,
        args: &[Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        let value = self.var_value(arg, &idents[0])?;
        if idents.len() == 1 {
            self.not_a_function(args, &fin)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, arg, &idents[1..], cmd, args, fin)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_chain(
        &mut self,
        dot: &Value,
        arg: &Arg,
        node: &Arg,
        fields: &[String],
        cmd: At<'_>,
        args: &[Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        if matches!(node, Arg::Nil(_)) {
            return self.fail_arg(arg, format!("indirection through explicit nil in {}", arg.describe()));
        }
        let receiver = self.eval_arg(dot, None, false, node)?;
        self.eval_field_chain(dot, receiver, arg, fields, cmd, args, fin)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        dot: &Value,
        mut receiver: Value,
        arg: &Arg,
        idents: &[String],
        cmd: At<'_>,
        args: &[Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        let n = idents.len();
        for ident in &idents[..n - 1] {
            receiver = self.eval_field(dot, ident, arg, cmd, &[], None, receiver)?;
        }
        self.eval_field(dot, &idents[n - 1], arg, cmd, args, fin, receiver)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        dot: &Value,
        name: &str,
        arg: &Arg,
        cmd: At<'_>,
        args: &[Arg],
        fin: Option<Value>,
        receiver: Value,
    ) -> R<Value> {
        let has_args = args.len() > 1 || fin.is_some();
        match &receiver {
            Value::Missing => {
                if self.set.options.missing_key == MissingKey::Error {
                    return self.fail_arg(arg, format!("nil data; no entry for key {name:?}"));
                }
                Ok(Value::Missing)
            }
            Value::Nil => self.fail_arg(arg, format!("nil pointer evaluating interface {{}}.{name}")),
            Value::Map(map) => {
                if has_args {
                    return self.fail_arg(arg, format!("{name} is not a method but has arguments"));
                }
                match map.get(name) {
                    Some(v) => Ok(v),
                    None => match self.set.options.missing_key {
                        MissingKey::Default => Ok(Value::Missing),
                        MissingKey::Zero => Ok(zero_value(&map.elem)),
                        MissingKey::Error => self.fail_arg(arg, format!("map has no entry for key {name:?}")),
                    },
                }
            }
            Value::Object(object) => {
                if has_args {
                    let mut values = Vec::new();
                    for a in args.iter().skip(1) {
                        values.push(self.eval_arg(dot, Some(&GoType::Any), false, a)?);
                    }
                    if let Some(f) = fin {
                        values.push(missing_to_nil(f));
                    }
                    match object.method(name, &values) {
                        Some(Ok(v)) => return Ok(v),
                        Some(Err(e)) => {
                            return Err(self.fail(cmd.pos(), cmd.describe(), format!("error calling {name}: {e}")));
                        }
                        None => {
                            if object.field(name).is_some() {
                                return self
                                    .fail_arg(arg, format!("{name} has arguments but cannot be invoked as function"));
                            }
                        }
                    }
                } else {
                    if let Some(v) = object.field(name) {
                        return Ok(v);
                    }
                    match object.method(name, &[]) {
                        Some(Ok(v)) => return Ok(v),
                        Some(Err(e)) => {
                            return Err(self.fail(cmd.pos(), cmd.describe(), format!("error calling {name}: {e}")));
                        }
                        None => {}
                    }
                }
                self.fail_arg(arg, format!("can't evaluate field {name} in type {}", object.type_name()))
            }
            other => self.fail_arg(arg, format!("can't evaluate field {name} in type {}", other.type_name())),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        arg: &Arg,
        name: &str,
        cmd: At<'_>,
        args: &[Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        let set = self.set;
        let (func, builtin) = match set.funcs.get(name) {
            Some(f) => (f, false),
            None if name == "and" || name == "or" => (and_or(), true),
            None => match builtins().get(name) {
                Some(f) => (f, true),
                None => return self.fail_arg(arg, format!("{name:?} is not a defined function")),
            },
        };
        // Go's builtins that take `reflect.Value` see missing values as they are; the fmt ones
        // (`print`, `printf`, `html`, …) take `any` like every other function.
        let raw = builtin && REFLECT_BUILTINS.contains(&name);
        self.eval_call(dot, func, raw, arg, cmd, name, args, fin)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_call(
        &mut self,
        dot: &Value,
        func: &Func,
        reflect_args: bool,
        ident: &Arg,
        cmd: At<'_>,
        name: &str,
        args: &[Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        let args = &args[1..];
        let sig = &func.signature;
        let num_in = args.len() + usize::from(fin.is_some());
        let num_fixed = if sig.variadic.is_some() {
            if num_in < sig.params.len() {
                return self.fail_arg(
                    ident,
                    format!("wrong number of args for {name}: want at least {} got {}", sig.params.len(), args.len()),
                );
            }
            sig.params.len()
        } else {
            if num_in != sig.params.len() {
                return self.fail_arg(
                    ident,
                    format!("wrong number of args for {name}: want {} got {num_in}", sig.params.len()),
                );
            }
            args.len()
        };
        if reflect_args && (name == "and" || name == "or") {
            let want = name == "or";
            let mut last = Value::Missing;
            for a in args {
                let v = self.eval_arg(dot, Some(&GoType::Any), true, a)?;
                if v.truthy() == want {
                    return Ok(v);
                }
                last = v;
            }
            if let Some(f) = fin {
                last = f;
            }
            return Ok(last);
        }
        let mut argv = Vec::with_capacity(num_in);
        let mut i = 0;
        while i < num_fixed && i < args.len() {
            argv.push(self.eval_arg(dot, Some(&sig.params[i]), reflect_args, &args[i])?);
            i += 1;
        }
        if let Some(rest) = &sig.variadic {
            while i < args.len() {
                argv.push(self.eval_arg(dot, Some(rest), reflect_args, &args[i])?);
                i += 1;
            }
        }
        if let Some(f) = fin {
            let typ = match &sig.variadic {
                Some(rest) if num_in > num_fixed => rest,
                _ => &sig.params[num_in - 1],
            };
            argv.push(self.validate(f, Some(typ), reflect_args, ident)?);
        }
        if reflect_args && name == "call" {
            // Templates hold no function values: whatever `call` is given is not callable.
            // Go names the callee by its source text.
            let callee = args.first().map(Arg::describe).unwrap_or_default();
            let target = argv.first().cloned().unwrap_or(Value::Missing);
            let e = crate::builtins::call_error(&callee, &target);
            return Err(self.fail(cmd.pos(), cmd.describe(), format!("error calling {name}: {e}")));
        }
        let body = func.body.clone();
        let result = {
            let mut call = Call { renderer: self };
            body(&mut call, &argv)
        };
        result.map_err(|e| self.fail(cmd.pos(), cmd.describe(), format!("error calling {name}: {e}")))
    }

    /// Go's `evalArg`: an argument evaluated for a parameter of type `typ` (`None`: any, no
    /// conversion), constants converted to it. `raw`: the parameter is a `reflect.Value`
    /// (the builtins), which sees missing values as they are.
    fn eval_arg(&mut self, dot: &Value, typ: Option<&GoType>, raw: bool, arg: &Arg) -> R<Value> {
        match arg {
            Arg::Dot(_) => return self.validate(dot.clone(), typ, raw, arg),
            Arg::Nil(_) => {
                if raw {
                    return Ok(Value::Missing);
                }
                return match typ {
                    None | Some(GoType::Any) => Ok(Value::Nil),
                    Some(t) if can_be_nil(t) => Ok(nil_argument(t)),
                    Some(t) => self.fail_arg(arg, format!("cannot assign nil to {}", t.name())),
                };
            }
            Arg::Field { idents, .. } => {
                let cmd = At::Arg(arg);
                let v = self.eval_field_chain(dot, dot.clone(), arg, idents, cmd, std::slice::from_ref(arg), None)?;
                return self.validate(v, typ, raw, arg);
            }
            Arg::Variable { idents, .. } => {
                let cmd = At::Arg(arg);
                let v = self.eval_variable(dot, arg, idents, cmd, std::slice::from_ref(arg), None)?;
                return self.validate(v, typ, raw, arg);
            }
            Arg::Pipe(_, pipe) => {
                let v = self.eval_pipeline(dot, pipe)?;
                return self.validate(v, typ, raw, arg);
            }
            Arg::Identifier(_, name) => {
                let cmd = At::Arg(arg);
                let v = self.eval_function(dot, arg, name, cmd, std::slice::from_ref(arg), None)?;
                return self.validate(v, typ, raw, arg);
            }
            Arg::Chain { node, fields, .. } => {
                let cmd = At::Arg(arg);
                let v = self.eval_chain(dot, arg, node, fields, cmd, std::slice::from_ref(arg), None)?;
                return self.validate(v, typ, raw, arg);
            }
            _ => {}
        }
        let Some(typ) = typ else {
            return self.eval_empty_interface(arg);
        };
        match typ {
            GoType::Any => self.eval_empty_interface(arg),
            _ if raw => self.eval_empty_interface(arg),
            GoType::Bool => match arg {
                Arg::Bool(_, b) => Ok(Value::Bool(*b)),
                _ => self.fail_arg(arg, format!("expected bool; found {}", arg.describe())),
            },
            GoType::String => match arg {
                Arg::String(_, s) => Ok(Value::String(s.clone())),
                _ => self.fail_arg(arg, format!("expected string; found {}", arg.describe())),
            },
            GoType::Int(kind) => match arg {
                Arg::Number(_, n) if n.is_int => Ok(Value::Int(kind.wrap(n.int), *kind)),
                _ => self.fail_arg(arg, format!("expected integer; found {}", arg.describe())),
            },
            GoType::Uint(kind) => match arg {
                Arg::Number(_, n) if n.is_uint => Ok(Value::Uint(kind.wrap(n.uint), *kind)),
                _ => self.fail_arg(arg, format!("expected unsigned integer; found {}", arg.describe())),
            },
            GoType::Float(kind) => match arg {
                Arg::Number(_, n) if n.is_float => {
                    Ok(Value::Float(if *kind == FloatKind::Float32 { n.float as f32 as f64 } else { n.float }, *kind))
                }
                _ => self.fail_arg(arg, format!("expected float; found {}", arg.describe())),
            },
            other => self.fail_arg(arg, format!("can't handle {} for arg of type {}", arg.describe(), other.name())),
        }
    }

    fn eval_empty_interface(&self, arg: &Arg) -> R<Value> {
        match arg {
            Arg::Bool(_, b) => Ok(Value::Bool(*b)),
            Arg::Number(_, n) => self.ideal_constant(arg, n),
            Arg::String(_, s) => Ok(Value::String(s.clone())),
            _ => {
                self.fail_arg(arg, format!("can't handle assignment of {} to empty interface argument", arg.describe()))
            }
        }
    }

    /// Go's `validateType`: a value passed for a parameter of type `typ`.
    fn validate(&self, value: Value, typ: Option<&GoType>, raw: bool, arg: &Arg) -> R<Value> {
        let Some(typ) = typ else { return Ok(value) };
        if raw {
            return Ok(value);
        }
        if matches!(value, Value::Missing) {
            return match typ {
                GoType::Any => Ok(Value::Nil),
                t if can_be_nil(t) => Ok(nil_argument(t)),
                t => self.fail_arg(arg, format!("invalid value; expected {}", t.name())),
            };
        }
        if *typ == GoType::Any {
            return Ok(value);
        }
        match value.go_type() {
            Some(t) if t == *typ => Ok(value),
            got => self.fail_arg(
                arg,
                format!(
                    "wrong type for value; expected {}; got {}",
                    typ.name(),
                    got.map(|t| t.name()).unwrap_or_else(|| "interface {}".to_string())
                ),
            ),
        }
    }
}

fn missing_to_nil(value: Value) -> Value {
    match value {
        Value::Missing => Value::Nil,
        other => other,
    }
}

/// Whether Go's `reflect.Zero(typ)` is a nil (and so `nil` may be passed for it).
fn can_be_nil(typ: &GoType) -> bool {
    match typ {
        GoType::Any | GoType::Slice(_) | GoType::Map(_) | GoType::Bytes => true,
        GoType::Named(name) => name.starts_with('*'),
        _ => false,
    }
}

/// A nil passed for a parameter of type `typ`: a nil slice, or for maps and pointers the nil
/// that function bodies take as Go's nil map (`set nil "a" 1` fails as in Go: assignment to
/// entry in nil map).
fn nil_argument(typ: &GoType) -> Value {
    match typ {
        GoType::Map(_) | GoType::Named(_) | GoType::Any => Value::Nil,
        other => zero_value(other),
    }
}

/// The zero value of a Go type.
pub(crate) fn zero_value(typ: &GoType) -> Value {
    match typ {
        GoType::Any | GoType::Named(_) => Value::Nil,
        GoType::Bool => Value::Bool(false),
        GoType::Int(kind) => Value::Int(0, *kind),
        GoType::Uint(kind) => Value::Uint(0, *kind),
        GoType::Float(kind) => Value::Float(0.0, *kind),
        GoType::String => Value::string(""),
        GoType::Bytes => Value::Bytes(Arc::from(&[][..])),
        GoType::Slice(elem) => Value::nil_list((**elem).clone()),
        GoType::Map(elem) => Value::Map(crate::value::Map::new(Default::default(), (**elem).clone())),
    }
}

impl Renderer for State<'_> {
    fn execute_template(&mut self, name: &str, data: &Value) -> Result<String, FuncError> {
        let Some(tree) = self.lookup_template(name) else {
            return Err(FuncError::new(format!(
                "template: no template {name:?} associated with template {:?}",
                self.tree.name
            )));
        };
        let captured_before = self.out.len() as u64;
        let saved_out = std::mem::take(&mut self.out);
        self.output_before += captured_before;
        let result = self.run_tree(0, tree, data.clone());
        self.output_before -= captured_before;
        let produced = std::mem::replace(&mut self.out, saved_out);
        match result {
            Ok(_) => Ok(produced),
            Err(fail) => Err(FuncError::new(self.error(fail).to_string())),
        }
    }

    fn render_text(&mut self, text: &str, data: &Value) -> Result<String, FuncError> {
        let name = self.tree.name.clone();
        let trees = crate::parse::parse(&name, text, &self.set.options, &self.set.funcs)
            .map_err(|e| FuncError::new(e.to_string()))?;
        let mut overlay = HashMap::new();
        let mut main = None;
        for (tree_name, tree) in trees {
            let tree = Arc::new(tree);
            if tree_name == name {
                main = Some(tree.clone());
            }
            overlay.insert(tree_name, tree);
        }
        self.overlays.push(overlay);
        let result = match main {
            Some(_) => self.execute_template(&name, data),
            None => Ok(String::new()),
        };
        self.overlays.pop();
        result
    }
}

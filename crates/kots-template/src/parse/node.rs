//! The parse tree, as Go's `text/template/parse/node.go`. Every node keeps its byte offset in
//! the template text, for error messages with line and column.

use std::sync::Arc;

/// A parsed template: its name, the name of the text it came from (a `define`d template
/// reports errors under the file it was defined in, as Go does), the text, and the body.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub name: String,
    pub parse_name: String,
    pub text: Arc<str>,
    pub root: Vec<Node>,
}

impl Tree {
    /// Go's `IsEmptyTree`: only whitespace text (and comments, which are dropped).
    pub(crate) fn is_empty(&self) -> bool {
        self.root.iter().all(|node| match node {
            Node::Text(text) => text.trim().is_empty(),
            _ => false,
        })
    }

    /// Go's `ErrorContext`: `NAME:LINE:COL` of a byte offset (column counted from 0 on the
    /// first line and from the newline after, as Go counts), and the source text there.
    pub(crate) fn location(&self, pos: usize) -> (usize, usize) {
        let pos = pos.min(self.text.len());
        let before = &self.text[..pos];
        let line = 1 + before.matches('\n').count();
        let column = match before.rfind('\n') {
            None => pos,
            Some(newline) => pos - (newline + 1),
        };
        (line, column)
    }
}

/// A node of a template body.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(Arc<str>),
    Action(Pipe),
    If(Control),
    Range(Control),
    With(Control),
    Template { pos: usize, name: String, pipe: Option<Pipe> },
    Break,
    Continue,
}

/// `if`, `range` and `with`: the pipeline, the body, and the `else` body.
#[derive(Debug, Clone)]
pub(crate) struct Control {
    pub pos: usize,
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

/// A pipeline: optional variable declarations (`$x :=`) or assignments (`$x =`), then
/// commands separated by `|`.
#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    pub pos: usize,
    pub decl: Vec<String>,
    pub is_assign: bool,
    pub cmds: Vec<Command>,
}

impl Pipe {
    /// The pipeline as Go's `String()` prints it: `$x := a b | c`.
    pub(crate) fn describe(&self) -> String {
        let mut s = String::new();
        if !self.decl.is_empty() {
            s.push_str(&self.decl.join(", "));
            s.push_str(if self.is_assign { " = " } else { " := " });
        }
        let cmds: Vec<String> = self.cmds.iter().map(Command::describe).collect();
        s.push_str(&cmds.join(" | "));
        s
    }
}

impl Command {
    /// The command as Go's `String()` prints it: operands joined by spaces.
    pub(crate) fn describe(&self) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|arg| match arg {
                Arg::Pipe(..) => format!("({})", arg.describe()),
                other => other.describe(),
            })
            .collect();
        args.join(" ")
    }
}

/// One stage of a pipeline: a function, method or field followed by arguments, or a lone
/// operand.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

/// An operand.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// `.A.B`: fields (or map keys, or methods) of dot.
    Field {
        pos: usize,
        idents: Vec<String>,
    },
    /// `(pipeline).A.B` or `$x.A` where the term is not a plain variable or field.
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<String>,
    },
    /// `$x.A.B`: a variable and fields of it.
    Variable {
        pos: usize,
        idents: Vec<String>,
    },
    Dot(usize),
    Nil(usize),
    Bool(usize, bool),
    Number(usize, Box<Number>),
    String(usize, Arc<str>),
    /// A function name.
    Identifier(usize, String),
    /// `(pipeline)`.
    Pipe(usize, Box<Pipe>),
}

impl Arg {
    pub(crate) fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Dot(pos)
            | Arg::Nil(pos)
            | Arg::Bool(pos, _)
            | Arg::Number(pos, _)
            | Arg::String(pos, _)
            | Arg::Identifier(pos, _)
            | Arg::Pipe(pos, _) => *pos,
        }
    }

    /// The operand as Go's `String()` prints it, for error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Arg::Field { idents, .. } => idents.iter().map(|i| format!(".{i}")).collect(),
            Arg::Chain { node, fields, .. } => {
                let mut s = match node.as_ref() {
                    Arg::Pipe(_, _) => format!("({})", node.describe()),
                    other => other.describe(),
                };
                for f in fields {
                    s.push('.');
                    s.push_str(f);
                }
                s
            }
            Arg::Variable { idents, .. } => idents.join("."),
            Arg::Dot(_) => ".".to_string(),
            Arg::Nil(_) => "nil".to_string(),
            Arg::Bool(_, b) => b.to_string(),
            Arg::Number(_, n) => n.text.clone(),
            Arg::String(_, s) => format!("{:?}", s.as_ref()),
            Arg::Identifier(_, name) => name.clone(),
            // A parenthesised pipeline prints bare; a command puts the parentheses round it.
            Arg::Pipe(_, pipe) => pipe.describe(),
        }
    }
}

/// A number constant with every interpretation that fits, as Go's `NumberNode`: `3` is an
/// int, a uint and a float; `3.0` a float and (being integral) an int; `'a'` all three.
#[derive(Debug, Clone)]
pub(crate) struct Number {
    pub text: String,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub int: i64,
    pub uint: u64,
    pub float: f64,
}

//! The parser, as Go's `text/template/parse/parse.go`: tokens into a tree, with Go's checks at
//! parse time (functions defined, variables declared, `break` inside `range`, `else` and
//! `end` where they belong) and Go's words for each error.

mod lex;
mod node;
mod number;

pub(crate) use node::{Arg, Command, Control, Node, Number, Pipe, Tree};
pub(crate) use number::parse_float as parse_float_literal;

use std::sync::Arc;

use crate::{Error, FuncMap, Options};
use lex::{Tok, Token};

/// Parses `text` as template `name`: the template itself and every `define`d one.
pub(crate) fn parse(name: &str, text: &str, options: &Options, funcs: &FuncMap) -> Result<Vec<(String, Tree)>, Error> {
    let (tokens, mut lex_error) = lex::lex(text, &options.left_delim, &options.right_delim);
    if let Some(error) = &mut lex_error
        && let Some(line) = error.action_line
    {
        error.message = format!("{} started at {name}:{line}", error.message);
    }
    let text: Arc<str> = Arc::from(text);
    let mut parser = Parser {
        text: &text,
        tokens: &tokens,
        pos: 0,
        funcs,
        vars: vec!["$".to_string()],
        range_depth: 0,
        depth: 0,
        lex_error,
        left_delim: &options.left_delim,
        right_delim: &options.right_delim,
        defined: Vec::new(),
    };
    let root = parser.parse_top().map_err(|(line, message)| Error::Parse { name: name.to_string(), line, message })?;
    // The template itself joins its definitions as Go's `Tree.add` does: an empty body
    // yields to a definition of the same name; two non-empty ones are an error.
    let mut root = Some(root);
    if let Some((_, defined)) = parser.defined.iter().find(|(n, _)| n == name)
        && root.as_ref().is_some_and(|r| !is_empty_list(r))
    {
        if !is_empty_list(defined) {
            return Err(Error::Parse {
                name: name.to_string(),
                line: 1,
                message: format!("template: multiple definition of template {name:?}"),
            });
        }
        parser.defined.retain(|(n, _)| n != name);
    }
    let mut out = Vec::new();
    if !parser.defined.iter().any(|(n, _)| n == name) {
        out.push((
            name.to_string(),
            Tree {
                name: name.to_string(),
                parse_name: name.to_string(),
                text: text.clone(),
                root: root.take().unwrap_or_default(),
            },
        ));
    }
    for (def_name, root) in parser.defined {
        out.push((def_name.clone(), Tree { name: def_name, parse_name: name.to_string(), text: text.clone(), root }));
    }
    Ok(out)
}

type PResult<T> = Result<T, (usize, String)>;

/// How deeply controls and parenthesised pipelines may nest (Go has no limit; a real
/// template nests a few levels, and this keeps a hostile one from exhausting memory).
pub(crate) const MAX_NESTING: usize = 1_000;

/// Go's builtin names are always defined, whatever the function map holds.
const BUILTINS: &[&str] = &[
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println", "urlquery", "eq",
    "ge", "gt", "le", "lt", "ne",
];

struct Parser<'a> {
    text: &'a str,
    tokens: &'a [Token],
    pos: usize,
    funcs: &'a FuncMap,
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
    lex_error: Option<lex::LexError>,
    left_delim: &'a str,
    right_delim: &'a str,
    defined: Vec<(String, Vec<Node>)>,
}

/// What ended an item list.
enum ListEnd {
    End,
    Else(Token),
}

impl<'a> Parser<'a> {
    fn src(&self, t: &Token) -> &'a str {
        &self.text[t.start..t.end]
    }

    fn next(&mut self) -> Token {
        let t = self.tokens[self.pos.min(self.tokens.len() - 1)];
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn backup(&mut self) {
        self.pos -= 1;
    }

    fn peek(&self) -> Token {
        self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next_non_space(&mut self) -> Token {
        loop {
            let t = self.next();
            if t.kind != Tok::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Token {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn error<T>(&self, t: &Token, message: impl Into<String>) -> PResult<T> {
        if t.kind == Tok::Error
            && let Some(e) = &self.lex_error
        {
            return Err((e.line, e.message.clone()));
        }
        Err((t.line, message.into()))
    }

    /// Go's `item.String()` for "unexpected X" messages.
    fn describe(&self, t: &Token) -> String {
        match t.kind {
            Tok::Eof => "EOF".to_string(),
            Tok::Text => format!("{:?}", self.src(t)),
            Tok::LeftDelim | Tok::RightDelim => format!("{:?}", self.src(t)),
            Tok::Dot => "<.>".to_string(),
            Tok::Block
            | Tok::Break
            | Tok::Continue
            | Tok::Define
            | Tok::Else
            | Tok::End
            | Tok::If
            | Tok::Nil
            | Tok::Range
            | Tok::Template
            | Tok::With => format!("<{}>", self.src(t)),
            _ => {
                let s = self.src(t);
                if s.len() > 10 { format!("{:.10?}...", s) } else { format!("{s:?}") }
            }
        }
    }

    fn unexpected<T>(&self, t: &Token, context: &str) -> PResult<T> {
        if t.kind == Tok::Error {
            return self.error(t, "");
        }
        let message = if t.kind == Tok::Eof {
            "unexpected EOF".to_string()
        } else {
            format!("unexpected {} in {context}", self.describe(t))
        };
        self.error(t, message)
    }

    fn expect(&mut self, kind: Tok, context: &str) -> PResult<Token> {
        let t = self.next_non_space();
        if t.kind != kind {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn parse_top(&mut self) -> PResult<Vec<Node>> {
        let mut root = Vec::new();
        loop {
            let t = self.peek();
            if t.kind == Tok::Eof {
                return Ok(root);
            }
            if t.kind == Tok::LeftDelim {
                let save = self.pos;
                self.next();
                if self.next_non_space().kind == Tok::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.pos = save;
            }
            match self.text_or_action()? {
                Some(ListItem::Node(node)) => root.push(node),
                Some(ListItem::End(t)) => {
                    return self.error(&t, format!("unexpected {}end{}", self.left_delim, self.right_delim));
                }
                Some(ListItem::Else(t)) => {
                    return self.error(&t, format!("unexpected {}else{}", self.left_delim, self.right_delim));
                }
                None => {}
            }
        }
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let name_tok = self.next_non_space();
        let name = match name_tok.kind {
            Tok::String | Tok::RawString => self.unquote(&name_tok)?,
            _ => return self.unexpected(&name_tok, context),
        };
        self.expect(Tok::RightDelim, context)?;
        let (list, end) = self.nested_list()?;
        if let ListEnd::Else(t) = end {
            return self.error(&t, format!("unexpected {} in {context}", self.describe(&t)));
        }
        self.add_definition(&name_tok, name, list)
    }

    /// The body of a `define` or `block`: a tree of its own, with only `$` declared and no
    /// enclosing `range`.
    fn nested_list(&mut self) -> PResult<(Vec<Node>, ListEnd)> {
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let result = self.item_list();
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        result
    }

    /// Go's `Tree.add`: a definition replaces an empty one; two non-empty definitions of one
    /// name in one text are an error.
    fn add_definition(&mut self, at: &Token, name: String, list: Vec<Node>) -> PResult<()> {
        let new_empty = is_empty_list(&list);
        if let Some(existing) = self.defined.iter_mut().find(|(n, _)| *n == name) {
            if is_empty_list(&existing.1) {
                existing.1 = list;
            } else if !new_empty {
                return Err((at.line, format!("template: multiple definition of template {name:?}")));
            }
        } else {
            self.defined.push((name, list));
        }
        Ok(())
    }

    /// Nodes until `{{end}}` or `{{else}}`.
    fn item_list(&mut self) -> PResult<(Vec<Node>, ListEnd)> {
        let mut list = Vec::new();
        loop {
            let t = self.peek_non_space();
            if t.kind == Tok::Eof {
                return self.error(&t, "unexpected EOF");
            }
            match self.text_or_action()? {
                Some(ListItem::Node(node)) => list.push(node),
                Some(ListItem::End(_)) => return Ok((list, ListEnd::End)),
                Some(ListItem::Else(t)) => return Ok((list, ListEnd::Else(t))),
                None => {}
            }
        }
    }

    fn text_or_action(&mut self) -> PResult<Option<ListItem>> {
        let t = self.next_non_space();
        match t.kind {
            Tok::Text => Ok(Some(ListItem::Node(Node::Text(Arc::from(self.src(&t)))))),
            Tok::LeftDelim => self.action(),
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> PResult<Option<ListItem>> {
        let t = self.next_non_space();
        match t.kind {
            Tok::Block => return self.block_control(&t).map(|n| Some(ListItem::Node(n))),
            Tok::Break => return self.break_control(&t, true).map(|n| Some(ListItem::Node(n))),
            Tok::Continue => {
                return self.break_control(&t, false).map(|n| Some(ListItem::Node(n)));
            }
            Tok::Else => return self.else_control(&t).map(|t| Some(ListItem::Else(t))),
            Tok::End => {
                self.expect(Tok::RightDelim, "end")?;
                return Ok(Some(ListItem::End(t)));
            }
            Tok::If => {
                return self.control("if", true, &t).map(|c| Some(ListItem::Node(Node::If(c))));
            }
            Tok::Range => {
                return self.control("range", false, &t).map(|c| Some(ListItem::Node(Node::Range(c))));
            }
            Tok::Template => return self.template_control(&t).map(|n| Some(ListItem::Node(n))),
            Tok::With => {
                return self.control("with", true, &t).map(|c| Some(ListItem::Node(Node::With(c))));
            }
            Tok::Define => return self.error(&t, "unexpected <define> in command"),
            _ => {}
        }
        self.backup();
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Some(ListItem::Node(Node::Action(pipe))))
    }

    fn break_control(&mut self, t: &Token, is_break: bool) -> PResult<Node> {
        let word = if is_break { "break" } else { "continue" };
        let next = self.next_non_space();
        if next.kind != Tok::RightDelim {
            return self.unexpected(&next, &format!("{{{{{word}}}}}"));
        }
        if self.range_depth == 0 {
            return self.error(t, format!("{{{{{word}}}}} outside {{{{range}}}}"));
        }
        Ok(if is_break { Node::Break } else { Node::Continue })
    }

    /// `{{else}}`, `{{else if …}}` or `{{else with …}}`: for the last two the `if`/`with` is
    /// left to be read by the caller.
    fn else_control(&mut self, t: &Token) -> PResult<Token> {
        let peek = self.peek_non_space();
        if peek.kind == Tok::If || peek.kind == Tok::With {
            return Ok(*t);
        }
        self.expect(Tok::RightDelim, "else")?;
        Ok(*t)
    }

    fn control(&mut self, context: &str, allow_else_chain: bool, t: &Token) -> PResult<Control> {
        self.nested(t, |p| p.control_here(context, allow_else_chain, t))
    }

    /// Runs a nested parse step with the stack grown as needed and the nesting bounded: a
    /// template nested deeper than [`MAX_NESTING`] is refused rather than exhausting memory.
    fn nested<T>(&mut self, at: &Token, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_NESTING {
            return self.error(at, format!("template nested deeper than {MAX_NESTING} levels"));
        }
        self.depth += 1;
        let result = stacker::maybe_grow(crate::exec::STACK_RED_ZONE, crate::exec::STACK_GROWTH, || f(self));
        self.depth -= 1;
        result
    }

    fn control_here(&mut self, context: &str, allow_else_chain: bool, t: &Token) -> PResult<Control> {
        let mark = self.vars.len();
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, end) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        if let ListEnd::Else(_) = end {
            let peek = self.peek_non_space();
            if allow_else_chain
                && ((context == "if" && peek.kind == Tok::If) || (context == "with" && peek.kind == Tok::With))
            {
                let inner_tok = self.next_non_space();
                let inner = self.control(context, true, &inner_tok)?;
                else_list = Some(vec![if context == "if" { Node::If(inner) } else { Node::With(inner) }]);
            } else {
                // `else if` in a range or a with (or `else with` in an if): the keyword is
                // left pending, and the list that follows fails on it, as in Go.
                let (list, end) = self.item_list()?;
                if let ListEnd::Else(e) = end {
                    return self.error(&e, "expected end; found {{else}}");
                }
                else_list = Some(list);
            }
        }
        self.vars.truncate(mark);
        Ok(Control { pos: t.start, pipe, list, else_list })
    }

    fn template_control(&mut self, t: &Token) -> PResult<Node> {
        let context = "template clause";
        let name_tok = self.next_non_space();
        let name = match name_tok.kind {
            Tok::String | Tok::RawString => self.unquote(&name_tok)?,
            _ => return self.unexpected(&name_tok, context),
        };
        let pipe = if self.next_non_space().kind != Tok::RightDelim {
            self.backup();
            Some(self.pipeline(context, Tok::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template { pos: t.start, name, pipe })
    }

    /// `{{block "name" pipeline}} body {{end}}`: a definition and a call in one.
    fn block_control(&mut self, t: &Token) -> PResult<Node> {
        let context = "block clause";
        let name_tok = self.next_non_space();
        let name = match name_tok.kind {
            Tok::String | Tok::RawString => self.unquote(&name_tok)?,
            _ => return self.unexpected(&name_tok, context),
        };
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        let (list, end) = self.nested_list()?;
        if let ListEnd::Else(e) = end {
            return self.error(&e, format!("unexpected {} in {context}", self.describe(&e)));
        }
        self.add_definition(&name_tok, name.clone(), list)?;
        Ok(Node::Template { pos: t.start, name, pipe: Some(pipe) })
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        let at = self.peek();
        self.nested(&at, |p| p.pipeline_here(context, end))
    }

    fn pipeline_here(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        let start_tok = self.peek_non_space();
        let mut pipe = Pipe { pos: start_tok.start, decl: Vec::new(), is_assign: false, cmds: Vec::new() };
        // Declarations: `$x :=`, `$x =`, or in range `$i, $v :=` (Go's `decls:` loop).
        loop {
            let v = self.peek_non_space();
            if v.kind != Tok::Variable {
                break;
            }
            let save = self.pos;
            self.next_non_space();
            let next = self.peek_non_space();
            match next.kind {
                Tok::Assign | Tok::Declare => {
                    self.next_non_space();
                    pipe.is_assign = next.kind == Tok::Assign;
                    pipe.decl.push(self.src(&v).to_string());
                    self.vars.push(self.src(&v).to_string());
                    break;
                }
                Tok::Char if self.src(&next) == "," => {
                    self.next_non_space();
                    pipe.decl.push(self.src(&v).to_string());
                    self.vars.push(self.src(&v).to_string());
                    if context == "range" && pipe.decl.len() < 2 {
                        let after = self.peek_non_space();
                        if matches!(after.kind, Tok::Variable | Tok::RightDelim | Tok::RightParen) {
                            continue;
                        }
                        return self.error(&after, "range can only initialize variables");
                    }
                    return self.error(&next, format!("too many declarations in {context}"));
                }
                _ => {
                    // A variable at the start of a command, not a declaration.
                    self.pos = save;
                    break;
                }
            }
        }
        loop {
            let t = self.next_non_space();
            if t.kind == end {
                self.check_pipeline(&pipe, context, &t)?;
                return Ok(pipe);
            }
            match t.kind {
                Tok::Bool
                | Tok::CharConstant
                | Tok::Complex
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str, t: &Token) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.error(t, format!("missing value for {context}"));
        }
        for (i, cmd) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(cmd.args[0], Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(..) | Arg::String(..)) {
                return self.error(t, format!("non executable command in pipeline stage {}", i + 1));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let first = self.peek_non_space();
        let mut cmd = Command { pos: first.start, args: Vec::new() };
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                cmd.args.push(operand);
            }
            let t = self.next();
            match t.kind {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            let t = self.peek();
            return self.error(&t, "empty command");
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Tok::Field {
            return Ok(Some(node));
        }
        let mut fields = Vec::new();
        while self.peek().kind == Tok::Field {
            let t = self.next();
            fields.push(self.src(&t)[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { pos, mut idents } => {
                idents.extend(fields);
                Arg::Field { pos, idents }
            }
            Arg::Variable { pos, mut idents } => {
                idents.extend(fields);
                Arg::Variable { pos, idents }
            }
            Arg::Bool(..) | Arg::String(..) | Arg::Number(..) | Arg::Nil(_) | Arg::Dot(_) => {
                let t = self.peek();
                return self.error(&t, format!("unexpected . after term {:?}", node.describe()));
            }
            other => Arg::Chain { pos: other.pos(), node: Box::new(other), fields },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        let src = self.src(&t);
        Ok(Some(match t.kind {
            Tok::Identifier => {
                if !BUILTINS.contains(&src) && !self.funcs.contains(src) {
                    return self.error(&t, format!("function {src:?} not defined"));
                }
                Arg::Identifier(t.start, src.to_string())
            }
            Tok::Dot => Arg::Dot(t.start),
            Tok::Nil => Arg::Nil(t.start),
            Tok::Variable => {
                if !self.vars.iter().any(|v| v == src) {
                    return self.error(&t, format!("undefined variable {src:?}"));
                }
                Arg::Variable { pos: t.start, idents: vec![src.to_string()] }
            }
            Tok::Field => Arg::Field { pos: t.start, idents: vec![src[1..].to_string()] },
            Tok::Bool => Arg::Bool(t.start, src == "true"),
            Tok::CharConstant | Tok::Number => {
                let number = number::parse(src, t.kind == Tok::CharConstant).map_err(|message| (t.line, message))?;
                Arg::Number(t.start, Box::new(number))
            }
            Tok::Complex => {
                return self.error(&t, format!("complex constants are not supported: {src:?}"));
            }
            Tok::LeftParen => {
                let pipe = self.pipeline("parenthesized pipeline", Tok::RightParen)?;
                Arg::Pipe(t.start, Box::new(pipe))
            }
            Tok::String | Tok::RawString => Arg::String(t.start, Arc::from(self.unquote(&t)?)),
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }

    fn unquote(&self, t: &Token) -> PResult<String> {
        let src = self.src(t);
        if t.kind == Tok::RawString {
            return Ok(src[1..src.len() - 1].replace('\r', ""));
        }
        number::unquote_string(src).map_err(|_| (t.line, "invalid syntax".to_string()))
    }
}

fn is_empty_list(list: &[Node]) -> bool {
    list.iter().all(|n| matches!(n, Node::Text(t) if t.trim().is_empty()))
}

enum ListItem {
    Node(Node),
    End(Token),
    Else(Token),
}

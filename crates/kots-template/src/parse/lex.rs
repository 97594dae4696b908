//! The lexer, as Go's `text/template/parse/lex.go`: text and actions, trim markers, comments,
//! and the tokens inside actions. It runs over the whole text before parsing; an error stops
//! it where Go's would stop.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Plain text between actions (already trimmed by `{{-`/`-}}`).
    Text,
    LeftDelim,
    RightDelim,
    Space,
    /// A function name (or `true`/`false`, which are [`Tok::Bool`]).
    Identifier,
    /// `.Name` (one field; chains are several tokens).
    Field,
    /// `$` or `$name`.
    Variable,
    Dot,
    Bool,
    Number,
    CharConstant,
    Complex,
    /// A quoted string, escapes not yet interpreted.
    String,
    RawString,
    Pipe,
    LeftParen,
    RightParen,
    /// `=`
    Assign,
    /// `:=`
    Declare,
    /// Any other printable ASCII character (`,` between range variables).
    Char,
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
    Eof,
    /// Where lexing failed: the parser reports the lexer's error when it reaches this token,
    /// as Go's parser does with `itemError` (so an earlier parse error wins, as in Go).
    Error,
}

/// A token: its kind, byte offsets in the template text, and the line it starts on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
    pub line: usize,
}

/// A lexing error: message and line.
#[derive(Debug, Clone)]
pub(crate) struct LexError {
    pub line: usize,
    pub message: String,
    /// For an action the text ends in: the line its `{{` is on (Go names it, with the
    /// template's name, which the parser adds: `unclosed action started at NAME:LINE`).
    pub action_line: Option<usize>,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim_marker(s: &[u8]) -> bool {
    s.len() >= 2 && s[0] == b'-' && is_space(s[1])
}

fn has_right_trim_marker(s: &[u8]) -> bool {
    s.len() >= 2 && is_space(s[0]) && s[1] == b'-'
}

struct Lexer<'a> {
    input: &'a str,
    bytes: &'a [u8],
    left: &'a str,
    right: &'a str,
    pos: usize,
    start: usize,
    line: usize,
    start_line: usize,
    /// The line of the current action's `{{`.
    action_line: usize,
    paren_depth: usize,
    tokens: Vec<Token>,
}

/// Splits `input` into tokens with the given delimiters.
/// Splits `input` into tokens with the given delimiters. On an error the tokens end with a
/// [`Tok::Error`] token and the error is returned beside them.
pub(crate) fn lex(input: &str, left: &str, right: &str) -> (Vec<Token>, Option<LexError>) {
    let mut lexer = Lexer {
        input,
        bytes: input.as_bytes(),
        left,
        right,
        pos: 0,
        start: 0,
        line: 1,
        start_line: 1,
        action_line: 1,
        paren_depth: 0,
        tokens: Vec::new(),
    };
    match lexer.run() {
        Ok(()) => (lexer.tokens, None),
        Err(error) => {
            let at = lexer.start.min(input.len());
            lexer.tokens.push(Token { kind: Tok::Error, start: at, end: at, line: error.line });
            (lexer.tokens, Some(error))
        }
    }
}

impl Lexer<'_> {
    fn error<T>(&self, message: impl Into<String>) -> Result<T, LexError> {
        Err(LexError { line: self.start_line, message: message.into(), action_line: None })
    }

    fn emit(&mut self, kind: Tok) {
        self.tokens.push(Token { kind, start: self.start, end: self.pos, line: self.start_line });
        self.ignore();
    }

    /// Skips to `pos` without emitting (counting the newlines passed).
    fn ignore(&mut self) {
        self.line += self.input[self.start..self.pos].matches('\n').count();
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn run(&mut self) -> Result<(), LexError> {
        loop {
            // Text up to the next left delimiter.
            match self.input[self.pos..].find(self.left) {
                Some(offset) => {
                    let delim_at = self.pos + offset;
                    let after = delim_at + self.left.len();
                    let trim = has_left_trim_marker(&self.bytes[after..]);
                    let mut text_end = delim_at;
                    if trim {
                        while text_end > self.start && is_space(self.bytes[text_end - 1]) {
                            text_end -= 1;
                        }
                    }
                    if text_end > self.start {
                        self.pos = text_end;
                        self.emit(Tok::Text);
                    }
                    self.pos = delim_at;
                    self.ignore();
                    self.lex_left_delim(trim)?;
                }
                None => {
                    self.pos = self.input.len();
                    if self.pos > self.start {
                        self.emit(Tok::Text);
                    }
                    self.emit(Tok::Eof);
                    return Ok(());
                }
            }
        }
    }

    fn lex_left_delim(&mut self, trim: bool) -> Result<(), LexError> {
        self.action_line = self.line;
        self.pos += self.left.len();
        let after_marker = if trim { 2 } else { 0 };
        if self.input[self.pos + after_marker..].starts_with("/*") {
            self.pos += after_marker;
            self.ignore();
            return self.lex_comment();
        }
        self.emit(Tok::LeftDelim);
        self.pos += after_marker;
        self.ignore();
        self.paren_depth = 0;
        self.lex_inside_action()
    }

    fn lex_comment(&mut self) -> Result<(), LexError> {
        self.pos += 2;
        let Some(end) = self.input[self.pos..].find("*/") else {
            return self.error("unclosed comment");
        };
        self.pos += end + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter");
        }
        if trim {
            self.pos += 2;
        }
        self.pos += self.right.len();
        if trim {
            while self.pos < self.bytes.len() && is_space(self.bytes[self.pos]) {
                self.pos += 1;
            }
        }
        self.ignore();
        Ok(())
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = &self.bytes[self.pos..];
        if has_right_trim_marker(rest) && self.input[self.pos + 2..].starts_with(self.right) {
            return (true, true);
        }
        (self.input[self.pos..].starts_with(self.right), false)
    }

    fn lex_right_delim(&mut self, trim: bool) {
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += self.right.len();
        self.emit(Tok::RightDelim);
        if trim {
            while self.pos < self.bytes.len() && is_space(self.bytes[self.pos]) {
                self.pos += 1;
            }
            self.ignore();
        }
    }

    fn lex_inside_action(&mut self) -> Result<(), LexError> {
        loop {
            let (delim, trim) = self.at_right_delim();
            if delim {
                if self.paren_depth == 0 {
                    self.lex_right_delim(trim);
                    return Ok(());
                }
                return self.error("unclosed left paren");
            }
            let Some(c) = self.next() else {
                return self
                    .error("unclosed action")
                    .map_err(|e| LexError { action_line: Some(self.action_line), ..e });
            };
            match c {
                ' ' | '\t' | '\r' | '\n' => self.lex_space(),
                '=' => self.emit(Tok::Assign),
                ':' => {
                    if self.next() != Some('=') {
                        return self.error("expected :=");
                    }
                    self.emit(Tok::Declare);
                }
                '|' => self.emit(Tok::Pipe),
                '"' => self.lex_quote()?,
                '`' => self.lex_raw_quote()?,
                '$' => self.lex_field_or_variable(Tok::Variable)?,
                '\'' => self.lex_char()?,
                '.' => {
                    if let Some(d) = self.peek()
                        && d.is_ascii_digit()
                    {
                        self.pos -= 1;
                        self.lex_number()?;
                    } else {
                        self.lex_field_or_variable(Tok::Field)?;
                    }
                }
                '+' | '-' | '0'..='9' => {
                    self.pos -= 1;
                    self.lex_number()?;
                }
                c if is_alphanumeric(c) => {
                    self.pos -= c.len_utf8();
                    self.lex_identifier()?;
                }
                '(' => {
                    self.emit(Tok::LeftParen);
                    self.paren_depth += 1;
                }
                ')' => {
                    if self.paren_depth == 0 {
                        return self.error("unexpected right paren");
                    }
                    self.paren_depth -= 1;
                    self.emit(Tok::RightParen);
                }
                c if c.is_ascii() && !c.is_ascii_control() => self.emit(Tok::Char),
                c => {
                    return self.error(format!("unrecognized character in action: {}", go_rune_repr(c)));
                }
            }
        }
    }

    /// A run of spaces; a trim-marked closing delimiter (` -}}`) keeps its space.
    fn lex_space(&mut self) {
        let mut spaces = 1;
        while let Some(c) = self.peek() {
            if !matches!(c, ' ' | '\t' | '\r' | '\n') {
                break;
            }
            self.pos += 1;
            spaces += 1;
        }
        if has_right_trim_marker(&self.bytes[self.pos - 1..]) && self.input[self.pos - 1 + 2..].starts_with(self.right)
        {
            self.pos -= 1;
            if spaces == 1 {
                return;
            }
        }
        self.emit(Tok::Space);
    }

    fn lex_quote(&mut self) -> Result<(), LexError> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return self.error("unterminated quoted string"),
                },
                None | Some('\n') => return self.error("unterminated quoted string"),
                Some('"') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::String);
        Ok(())
    }

    fn lex_raw_quote(&mut self) -> Result<(), LexError> {
        match self.input[self.pos..].find('`') {
            Some(end) => {
                self.pos += end + 1;
                self.emit(Tok::RawString);
                Ok(())
            }
            None => self.error("unterminated raw quoted string"),
        }
    }

    fn lex_char(&mut self) -> Result<(), LexError> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return self.error("unterminated character constant"),
                },
                None | Some('\n') => return self.error("unterminated character constant"),
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::CharConstant);
        Ok(())
    }

    fn at_terminator(&self) -> bool {
        let Some(c) = self.peek() else { return true };
        if matches!(c, ' ' | '\t' | '\r' | '\n' | '.' | ',' | '|' | ':' | ')' | '(') {
            return true;
        }
        self.input[self.pos..].starts_with(self.right)
    }

    fn lex_field_or_variable(&mut self, kind: Tok) -> Result<(), LexError> {
        if self.at_terminator() {
            self.emit(if kind == Tok::Variable { Tok::Variable } else { Tok::Dot });
            return Ok(());
        }
        loop {
            match self.peek() {
                Some(c) if is_alphanumeric(c) => {
                    self.pos += c.len_utf8();
                }
                _ => break,
            }
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or(' ');
            return self.error(format!("bad character {}", go_rune_repr(c)));
        }
        self.emit(kind);
        Ok(())
    }

    fn lex_identifier(&mut self) -> Result<(), LexError> {
        while let Some(c) = self.peek() {
            if !is_alphanumeric(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or(' ');
            return self.error(format!("bad character {}", go_rune_repr(c)));
        }
        let kind = match &self.input[self.start..self.pos] {
            "block" => Tok::Block,
            "break" => Tok::Break,
            "continue" => Tok::Continue,
            "define" => Tok::Define,
            "else" => Tok::Else,
            "end" => Tok::End,
            "if" => Tok::If,
            "range" => Tok::Range,
            "nil" => Tok::Nil,
            "template" => Tok::Template,
            "with" => Tok::With,
            "true" | "false" => Tok::Bool,
            _ => Tok::Identifier,
        };
        self.emit(kind);
        Ok(())
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if let Some(c) = self.peek()
            && is_alphanumeric(c)
        {
            self.next();
            return false;
        }
        true
    }

    fn lex_number(&mut self) -> Result<(), LexError> {
        if !self.scan_number() {
            return self.error(format!("bad number syntax: {:?}", &self.input[self.start..self.pos]));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                return self.error(format!("bad number syntax: {:?}", &self.input[self.start..self.pos]));
            }
            self.emit(Tok::Complex);
        } else {
            self.emit(Tok::Number);
        }
        Ok(())
    }
}

/// Go's `%#U` of a rune: `U+0023 '#'`.
fn go_rune_repr(c: char) -> String {
    if c.is_control() { format!("U+{:04X}", c as u32) } else { format!("U+{:04X} '{c}'", c as u32) }
}

//! go-yaml v2's `Unmarshal` into `interface{}` (`decode.go`): libyaml's events (from
//! libyaml-safer, the libyaml that go-yaml v2 is a port of) made into a node tree of the first
//! document, anchors and aliases as go-yaml resolves them, merge keys (`<<`, a map or a list of
//! maps: keys already there are overwritten by merged ones, later keys overwrite both, the first
//! map of a list wins), and the parse errors worded and numbered as go-yaml words them.

use libyaml_safer::{ErrorKind, EventData, Parser};

use super::resolve::{BINARY_TAG, GoValue, MERGE_TAG, Resolved, TIMESTAMP_TAG, resolve};

enum Kind {
    /// `absent`: libyaml's empty scalar for a value that is not there (`a:` and a line break).
    Scalar {
        value: String,
        tag: String,
        implicit: bool,
        absent: bool,
    },
    Seq(Vec<usize>),
    Map(Vec<usize>),
    Alias {
        name: String,
        target: usize,
    },
}

struct Node {
    kind: Kind,
}

/// go-yaml's `parser.fail`: the line is the problem's (one more for a scanner error, which has
/// not counted its line yet), else the context's; none when that is the first line.
fn parse_error(e: &libyaml_safer::Error) -> String {
    let problem_line = e.problem_mark().map_or(0, |m| m.line);
    let line = if problem_line != 0 {
        if e.kind() == ErrorKind::Scanner { problem_line + 1 } else { problem_line }
    } else {
        e.context_mark().map_or(0, |m| m.line)
    };
    let problem = e.problem();
    let problem = if problem.is_empty() { "unknown problem parsing YAML content" } else { problem };
    if line != 0 { format!("yaml: line {line}: {problem}") } else { format!("yaml: {problem}") }
}

/// go-yaml v2 stops at 10,000 levels of flow nesting, and at 10,000 of indentation.
const MAX_DEPTH: usize = 10_000;

/// An open collection while building: its node, children so far, and what go-yaml's quirk with
/// empty flow collections as keys needs to know of it.
struct Open {
    id: usize,
    children: Vec<usize>,
    is_map: bool,
    is_flow: bool,
    /// The indentation levels up to and including this one.
    indent_depth: usize,
    /// The flow collections up to and including this one.
    flow_depth: usize,
    start: u64,
    column: u64,
}

/// The text in go-yaml's reading windows: go-yaml decodes (and refuses control characters in)
/// 512 bytes at a time as its scanner needs them, from the start of the first character it
/// could not finish, so a bad character past a syntax error is never seen. libyaml-safer reads
/// whatever `fill_buf` gives, so it is given what go-yaml would decode.
struct Windows<'a> {
    text: &'a str,
    pos: usize,
    end: usize,
}

impl std::io::Read for Windows<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = std::io::BufRead::fill_buf(self)?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for Windows<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let width = match self.text.as_bytes().get(self.pos) {
            Some(b) if b & 0xE0 == 0xC0 => 2,
            Some(b) if b & 0xF0 == 0xE0 => 3,
            Some(b) if b & 0xF8 == 0xF0 => 4,
            _ => 1,
        };
        let tail_is_partial = self.end > self.pos && self.pos + width > self.end;
        if self.pos >= self.end || tail_is_partial {
            self.end = (self.pos + 512).min(self.text.len());
        }
        Ok(&self.text.as_bytes()[self.pos..self.end])
    }

    fn consume(&mut self, amount: usize) {
        self.pos += amount;
    }
}

struct Builder<'a> {
    text: &'a str,
    /// When the text did not end in a line break and one was added for the parser (which
    /// panics on a block scalar at the very end without one): the original's length in
    /// characters. A block scalar reaching it gives back the break it did not have.
    added_break_at: Option<u64>,
    parser: Parser<Windows<'a>>,
    nodes: Vec<Node>,
    anchors: std::collections::HashMap<String, usize>,
    peeked: Option<libyaml_safer::Event>,
}

impl Builder<'_> {
    fn peek(&mut self) -> Result<&libyaml_safer::Event, String> {
        if self.peeked.is_none() {
            let event = self.parser.parse().map_err(|e| self.error(&e))?;
            self.peeked = Some(event);
        }
        Ok(self.peeked.as_ref().expect("just peeked"))
    }

    /// go-yaml's message for a parse error. A required simple key that starts with an empty
    /// flow collection is not an error in go-yaml's scanner (it has lost the key, see
    /// [`Builder::empty_flow_key`]): its parser fails at the collection instead.
    fn error(&self, e: &libyaml_safer::Error) -> String {
        if e.problem() == "could not find expected ':'"
            && let Some(mark) = e.context_mark()
        {
            let rest = &self.text.as_bytes()[mark.index as usize..];
            if rest.starts_with(b"[]") || rest.starts_with(b"{}") {
                let line = mark.line;
                return if line != 0 {
                    format!("yaml: line {line}: did not find expected key")
                } else {
                    "yaml: did not find expected key".to_string()
                };
            }
        }
        parse_error(e)
    }

    fn next(&mut self) -> Result<libyaml_safer::Event, String> {
        self.peek()?;
        Ok(self.peeked.take().expect("just peeked"))
    }

    fn push(&mut self, kind: Kind) -> usize {
        self.nodes.push(Node { kind });
        self.nodes.len() - 1
    }

    /// go-yaml v2 loses an empty flow collection (`[]`, `{}`) that starts a simple key: leaving
    /// the collection drops the scanner's record of the key (`simple_keys_by_tok`), so the
    /// `KEY` token comes after the collection instead of before it. The parser then fails where
    /// it finds that token, or, for the first key of the document's root mapping, takes the
    /// empty collection for the whole document, or, after a key without a value, for that
    /// key's value (and the `KEY` token then makes a null key of this one).
    fn empty_flow_key(&self, open: &[Open], start: &libyaml_safer::Mark) -> Result<Quirk, String> {
        let Some(parent) = open.last() else { return Ok(Quirk::None) };
        if !parent.is_map || parent.children.len() % 2 != 0 {
            return Ok(Quirk::None);
        }
        // An explicit key (`? []`) has its KEY token already.
        let before = self.text.as_bytes()[..start.index as usize].trim_ascii_end();
        if before.ends_with(b"?") {
            return Ok(Quirk::None);
        }
        let after_absent = parent
            .children
            .last()
            .is_some_and(|&last| matches!(self.nodes[last].kind, Kind::Scalar { absent: true, .. }));
        if !parent.is_flow && after_absent {
            return Ok(Quirk::ValueOfPrevious);
        }
        let problem = if parent.is_flow {
            if parent.start == start.index {
                "did not find expected ',' or ']'"
            } else {
                "did not find expected ',' or '}'"
            }
        } else if parent.children.is_empty() {
            match open.len().checked_sub(2).map(|i| &open[i]) {
                None => return Ok(Quirk::Root),
                Some(grandparent) if !grandparent.is_map => "did not find expected '-' indicator",
                Some(_) => "did not find expected key",
            }
        } else {
            "did not find expected key"
        };
        let line = start.line;
        Err(if line != 0 { format!("yaml: line {line}: {problem}") } else { format!("yaml: {problem}") })
    }

    /// One node and everything under it, without recursion (a stack of open collections).
    fn node(&mut self) -> Result<usize, String> {
        let mut open: Vec<Open> = Vec::new();
        loop {
            let event = self.next()?;
            let is_seq = matches!(event.data, EventData::SequenceStart { .. });
            let finished = match event.data {
                EventData::Scalar { anchor, tag, mut value, plain_implicit: implicit, style, .. } => {
                    if let Some(end) = self.added_break_at
                        && matches!(style, libyaml_safer::ScalarStyle::Literal | libyaml_safer::ScalarStyle::Folded)
                        && event.end_mark.index >= end
                        && value.ends_with('\n')
                    {
                        value.pop();
                    }
                    let absent = value.is_empty()
                        && implicit
                        && tag.is_none()
                        && anchor.is_none()
                        && event.start_mark == event.end_mark;
                    let id = self.push(Kind::Scalar { value, tag: tag.unwrap_or_default(), implicit, absent });
                    if let Some(anchor) = anchor {
                        self.anchors.insert(anchor, id);
                    }
                    Some(id)
                }
                EventData::Alias { anchor } => {
                    let Some(&target) = self.anchors.get(&anchor) else {
                        return Err(format!("yaml: unknown anchor '{anchor}' referenced"));
                    };
                    Some(self.push(Kind::Alias { name: anchor, target }))
                }
                EventData::SequenceStart { anchor, style, .. } => {
                    let is_flow = style == libyaml_safer::SequenceStyle::Flow;
                    self.open(&mut open, anchor, is_seq, is_flow, &event.start_mark)?
                }
                EventData::MappingStart { anchor, style, .. } => {
                    let is_flow = style == libyaml_safer::MappingStyle::Flow;
                    self.open(&mut open, anchor, is_seq, is_flow, &event.start_mark)?
                }
                EventData::SequenceEnd | EventData::MappingEnd => {
                    let Open { id, children, .. } = open.pop().expect("an end event closes an open collection");
                    match &mut self.nodes[id].kind {
                        Kind::Seq(c) | Kind::Map(c) => *c = children,
                        _ => unreachable!("open collections are collections"),
                    }
                    Some(id)
                }
                other => return Err(format!("yaml: did not expect {other:?}")),
            };
            if let Some(id) = finished {
                match open.last_mut() {
                    Some(parent) => parent.children.push(id),
                    None => return Ok(id),
                }
            }
        }
    }

    /// A collection starts: `Ok(Some(id))` when it is, whole, the document (see
    /// [`Builder::empty_flow_key`]), else it is opened.
    fn open(
        &mut self,
        open: &mut Vec<Open>,
        anchor: Option<String>,
        is_seq: bool,
        is_flow: bool,
        start: &libyaml_safer::Mark,
    ) -> Result<Option<usize>, String> {
        let id = self.push(if is_seq { Kind::Seq(Vec::new()) } else { Kind::Map(Vec::new()) });
        if let Some(anchor) = anchor {
            self.anchors.insert(anchor, id);
        }
        if is_flow && matches!(self.peek()?.data, EventData::SequenceEnd | EventData::MappingEnd) {
            match self.empty_flow_key(open, start)? {
                Quirk::None => {}
                Quirk::Root => {
                    self.next()?;
                    // The rest of the document is not go-yaml's first document's any more.
                    return Err(format!("{ROOT_IS}{id}"));
                }
                Quirk::ValueOfPrevious => {
                    self.next()?;
                    let null_key = self.push(Kind::Scalar {
                        value: String::new(),
                        tag: String::new(),
                        implicit: true,
                        absent: true,
                    });
                    let parent = open.last_mut().expect("a parent mapping");
                    parent.children.pop();
                    parent.children.push(id);
                    parent.children.push(null_key);
                    return Ok(None);
                }
            }
        }
        // go-yaml's scanner stops at 10,000 levels of flow collections, and apart from them at
        // 10,000 indentation levels (a sequence at its key's column is not one).
        let indentless = is_seq
            && !is_flow
            && open.last().is_some_and(|parent| parent.is_map && !parent.is_flow && parent.column == start.column);
        let indents = !is_flow && !indentless;
        let flow_depth = open.last().map_or(0, |o| o.flow_depth) + usize::from(is_flow);
        let indent_depth = open.last().map_or(0, |o| o.indent_depth) + usize::from(indents);
        let depth = if is_flow { flow_depth } else { indent_depth };
        if (is_flow || indents) && depth > MAX_DEPTH {
            let line = start.line + 1;
            return Err(if start.line != 0 {
                format!("yaml: line {line}: exceeded max depth of {MAX_DEPTH}")
            } else {
                format!("yaml: exceeded max depth of {MAX_DEPTH}")
            });
        }
        open.push(Open {
            id,
            children: Vec::new(),
            is_map: !is_seq,
            is_flow,
            indent_depth,
            flow_depth,
            start: start.index,
            column: start.column,
        });
        Ok(None)
    }
}

/// What go-yaml makes of an empty flow collection where a key starts (see
/// [`Builder::empty_flow_key`]).
enum Quirk {
    None,
    Root,
    ValueOfPrevious,
}

/// The marker of [`Builder::open`]'s "this node is the document" (never a go-yaml message).
const ROOT_IS: &str = "\u{0}root:";

/// go-yaml v2 (an older libyaml) takes `,`, `[` and `]` into a tag (`!a,` in `[!a, b]` tags
/// `b`; `!![str`), libyaml 0.2.5 ends the tag there in a flow collection, and libyaml-safer
/// even panics (a `TODO`) when a `,` ends one. Percent-escaped, the same characters are in the
/// tag for libyaml too. The text with them escaped, and whether libyaml-safer would panic on
/// the original; `None` when no tag has them. Tags are found roughly (quotes and comments are
/// skipped, brackets counted), so the escaped text is only read when the original is refused.
fn escape_tag_indicators(text: &str) -> Option<(String, bool)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let (mut depth, mut changed, mut would_panic) = (0usize, false, false);
    let uri = |c: char| c.is_ascii_alphanumeric() || "-_;/?:@&=+$,.!~*'()[]%".contains(c);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let previous = if i == 0 { ' ' } else { chars[i - 1] };
        match c {
            '\'' | '"' if previous.is_whitespace() || "[{,:".contains(previous) => {
                // A quoted scalar: copied to its closing quote.
                out.push(c);
                i += 1;
                while i < chars.len() {
                    out.push(chars[i]);
                    if chars[i] == '\\' && c == '"' && i + 1 < chars.len() {
                        out.push(chars[i + 1]);
                        i += 1;
                    } else if chars[i] == c {
                        break;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            '#' if previous.is_whitespace() => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(chars[i]);
                    i += 1;
                }
                continue;
            }
            '[' | '{' => depth += 1,
            ']' | '}' => depth = depth.saturating_sub(1),
            '!' if previous.is_whitespace() || "[{,".contains(previous) => {
                out.push('!');
                i += 1;
                let mut plain_end = false;
                while i < chars.len() && uri(chars[i]) {
                    let escaped = match chars[i] {
                        ',' => "%2C",
                        '[' => "%5B",
                        ']' => "%5D",
                        other => {
                            out.push(other);
                            i += 1;
                            continue;
                        }
                    };
                    if depth > 0 && !plain_end {
                        plain_end = true;
                        would_panic |= chars[i] == ',';
                    }
                    out.push_str(escaped);
                    changed = true;
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    changed.then_some((out, would_panic))
}

/// The first document of `text` as go-yaml v2 decodes it into an `interface{}` (`None` for a
/// stream without documents).
pub fn unmarshal(text: &str) -> Result<Option<GoValue>, String> {
    let escaped = if text.contains('!') { escape_tag_indicators(text) } else { None };
    // A last guard: a panic of the parser is an error, not the caller's crash.
    let guarded = |text: &str| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unmarshal_text(text)))
            .unwrap_or_else(|_| Err("yaml: unknown problem parsing YAML content".to_string()))
    };
    match escaped {
        None => guarded(text),
        Some((escaped, true)) => guarded(&escaped),
        Some((escaped, false)) => match guarded(text) {
            Err(e) if ["tag URI", "whitespace or line break", "expected ',' or"].iter().any(|m| e.contains(m)) => {
                guarded(&escaped)
            }
            other => other,
        },
    }
}

fn unmarshal_text(text: &str) -> Result<Option<GoValue>, String> {
    let text = if text.is_empty() { "\n" } else { text };
    let with_break;
    let (text, added_break_at) = match text.ends_with('\n') || text.ends_with('\r') {
        true => (text, None),
        false => {
            with_break = format!("{text}\n");
            // Only a last line with content owes its break to us; after a blank last line
            // the scalar's break was the text's own.
            let content_last = text.rsplit('\n').next().is_some_and(|line| !line.trim().is_empty());
            (with_break.as_str(), content_last.then(|| text.chars().count() as u64))
        }
    };
    // UTF-8 is said, not guessed: libyaml-safer's guess refuses any text that starts with a
    // character of U+F000..U+FFFF that is not the BOM (go-yaml v2 reads it); a BOM is skipped.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser::new();
    parser.set_encoding(libyaml_safer::Encoding::Utf8);
    parser.set_input(Windows { text, pos: 0, end: 0 });
    let mut b = Builder { text, added_break_at, parser, nodes: Vec::new(), anchors: Default::default(), peeked: None };
    b.next()?; // STREAM-START
    if matches!(b.peek()?.data, EventData::StreamEnd) {
        return Ok(None);
    }
    b.next()?; // DOCUMENT-START
    let root = match b.node() {
        Ok(root) => {
            // DOCUMENT-END: go-yaml reads it (its errors count), and nothing after it.
            b.next()?;
            root
        }
        Err(e) => match e.strip_prefix(ROOT_IS) {
            Some(id) => id.parse().expect("a node id"),
            None => return Err(e),
        },
    };
    let mut d = Decoder { nodes: &b.nodes, active: Vec::new(), decode_count: 0, alias_count: 0, alias_depth: 0 };
    d.unmarshal(root).map(Some)
}

struct Decoder<'a> {
    nodes: &'a [Node],
    active: Vec<usize>,
    decode_count: u64,
    alias_count: u64,
    alias_depth: u64,
}

fn allowed_alias_ratio(decode_count: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

fn want_map() -> String {
    "yaml: map merge requires map or sequence of maps as the value".to_string()
}

impl Decoder<'_> {
    fn count(&mut self) -> Result<(), String> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64 > allowed_alias_ratio(self.decode_count)
        {
            return Err("yaml: document contains excessive aliasing".to_string());
        }
        Ok(())
    }

    fn unmarshal(&mut self, id: usize) -> Result<GoValue, String> {
        self.count()?;
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match &self.nodes[id].kind {
            Kind::Alias { name, target } => {
                let target = *target;
                self.enter_alias(id, name)?;
                let value = self.unmarshal(target);
                self.leave_alias();
                value
            }
            Kind::Scalar { value, tag, implicit, .. } => scalar(value, tag, *implicit),
            Kind::Seq(children) => {
                let children = children.clone();
                let mut items = Vec::with_capacity(children.len());
                for child in children {
                    items.push(self.unmarshal(child)?);
                }
                Ok(GoValue::Seq(items))
            }
            Kind::Map(_) => {
                let mut entries = Vec::new();
                self.mapping(id, &mut entries)?;
                Ok(GoValue::Map(entries))
            }
        })
    }

    fn enter_alias(&mut self, id: usize, name: &str) -> Result<(), String> {
        if self.active.contains(&id) {
            return Err(format!("yaml: anchor '{name}' value contains itself"));
        }
        self.active.push(id);
        self.alias_depth += 1;
        Ok(())
    }

    fn leave_alias(&mut self) {
        self.active.pop();
        self.alias_depth -= 1;
    }

    /// `d.mapping` into an existing map (a merge adds to the map being built).
    fn mapping(&mut self, id: usize, out: &mut Vec<(GoValue, GoValue)>) -> Result<(), String> {
        let Kind::Map(children) = &self.nodes[id].kind else { unreachable!("a mapping node") };
        let children = children.clone();
        for pair in children.chunks(2) {
            let (key, value) = (pair[0], pair[1]);
            if self.is_merge(key) {
                self.merge(value, out)?;
                continue;
            }
            let k = self.unmarshal(key)?;
            if matches!(k, GoValue::Map(_) | GoValue::Seq(_)) {
                return Err(format!("yaml: invalid map key: {}", go_sharp_v(&k, false)));
            }
            let v = self.unmarshal(value)?;
            match out.iter_mut().find(|(existing, _)| existing.same_key(&k)) {
                Some(entry) => entry.1 = v,
                None => out.push((k, v)),
            }
        }
        Ok(())
    }

    fn is_merge(&self, id: usize) -> bool {
        matches!(&self.nodes[id].kind, Kind::Scalar { value, tag, implicit, .. } if value == "<<" && (*implicit || tag == MERGE_TAG))
    }

    fn is_mapping(&self, id: usize) -> bool {
        matches!(self.nodes[id].kind, Kind::Map(_))
    }

    /// `d.unmarshal(n, out)` where `out` is the map being built: only a mapping (or an alias of
    /// one) can be merged.
    fn merge_one(&mut self, id: usize, out: &mut Vec<(GoValue, GoValue)>) -> Result<(), String> {
        self.count()?;
        match &self.nodes[id].kind {
            Kind::Alias { name, target } => {
                let target = *target;
                self.enter_alias(id, name)?;
                let result = self.merge_one(target, out);
                self.leave_alias();
                result
            }
            Kind::Map(_) => self.mapping(id, out),
            _ => Err(want_map()),
        }
    }

    fn merge(&mut self, id: usize, out: &mut Vec<(GoValue, GoValue)>) -> Result<(), String> {
        match &self.nodes[id].kind {
            Kind::Map(_) => self.merge_one(id, out),
            Kind::Alias { target, .. } => {
                if !self.is_mapping(*target) {
                    return Err(want_map());
                }
                self.merge_one(id, out)
            }
            Kind::Seq(children) => {
                let children = children.clone();
                for &child in children.iter().rev() {
                    match &self.nodes[child].kind {
                        Kind::Alias { target, .. } if !self.is_mapping(*target) => return Err(want_map()),
                        Kind::Alias { .. } | Kind::Map(_) => {}
                        _ => return Err(want_map()),
                    }
                    self.merge_one(child, out)?;
                }
                Ok(())
            }
            Kind::Scalar { .. } => Err(want_map()),
        }
    }
}

/// `d.scalar` into an `interface{}`.
fn scalar(value: &str, tag: &str, implicit: bool) -> Result<GoValue, String> {
    if tag.is_empty() && !implicit {
        return Ok(GoValue::Str(value.to_string()));
    }
    let (rtag, resolved) = resolve(tag, value)?;
    if rtag == BINARY_TAG {
        let data = base64_decode(value).ok_or("yaml: !!binary value contains invalid base64 data")?;
        return Ok(GoValue::Str(String::from_utf8_lossy(&data).into_owned()));
    }
    if rtag == TIMESTAMP_TAG {
        return Ok(GoValue::Str(value.to_string()));
    }
    Ok(match resolved {
        Resolved::Null => GoValue::Null,
        Resolved::Bool(b) => GoValue::Bool(b),
        Resolved::Int(i) => GoValue::Int(i),
        Resolved::Uint(u) => GoValue::Uint(u),
        Resolved::Float(f) => GoValue::Float(f),
        Resolved::Merge => GoValue::Str("<<".to_string()),
        Resolved::Timestamp | Resolved::Str => GoValue::Str(value.to_string()),
    })
}

/// `base64.StdEncoding.DecodeString`: padded, no whitespace but CR and LF (which Go skips).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text.bytes().filter(|&c| c != b'\n' && c != b'\r').collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::new();
    let chunks = clean.chunks(4).count();
    for (n, chunk) in clean.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && n + 1 != chunks) {
            return None;
        }
        let mut acc: u32 = 0;
        for &c in &chunk[..4 - pad] {
            acc = (acc << 6) | value(c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

/// Go's `strconv.Quote`, as `%#v` prints a string.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() || c == '\u{feff}' => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `%#v` of a decoded value (`inside`: an element of a collection, where nil is
/// `interface {}(nil)`).
pub fn go_sharp_v(v: &GoValue, inside: bool) -> String {
    match v {
        GoValue::Null if inside => "interface {}(nil)".to_string(),
        GoValue::Null => "<nil>".to_string(),
        GoValue::Bool(b) => b.to_string(),
        GoValue::Int(i) => i.to_string(),
        GoValue::Uint(u) => format!("0x{u:x}"),
        GoValue::Float(f) => super::gonum::format_g(*f),
        GoValue::Str(s) => go_quote(s),
        GoValue::Seq(items) => {
            let inner: Vec<String> = items.iter().map(|i| go_sharp_v(i, true)).collect();
            format!("[]interface {{}}{{{}}}", inner.join(", "))
        }
        GoValue::Map(entries) => {
            let mut inner: Vec<(String, String)> =
                entries.iter().map(|(k, v)| (go_sharp_v(k, true), go_sharp_v(v, true))).collect();
            inner.sort();
            let inner: Vec<String> = inner.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("map[interface {{}}]interface {{}}{{{}}}", inner.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> GoValue {
        GoValue::Str(text.to_string())
    }

    // Expected values and messages from gopkg.in/yaml.v2 2.4.0 (yaml.Unmarshal into interface{}).
    #[test]
    fn merges_overwrite_as_go_yaml_v2_merges() {
        let v = unmarshal("a: &a {p: 1, q: 2}\nb:\n  p: 0\n  <<: *a\n  q: 3\n").unwrap().unwrap();
        let GoValue::Map(entries) = v else { panic!("a map") };
        assert_eq!(entries[1].1, GoValue::Map(vec![(s("p"), GoValue::Int(1)), (s("q"), GoValue::Int(3))]));
    }

    #[test]
    fn errors_are_worded_as_go_yaml_words_them() {
        assert_eq!(unmarshal("a: b: c").unwrap_err(), "yaml: mapping values are not allowed in this context");
        assert_eq!(unmarshal("x: 1\ny: [").unwrap_err(), "yaml: line 2: did not find expected node content");
        assert_eq!(unmarshal("a: *b").unwrap_err(), "yaml: unknown anchor 'b' referenced");
        assert_eq!(unmarshal("a: &a [*a]").unwrap_err(), "yaml: anchor 'a' value contains itself");
        assert_eq!(unmarshal("<<: 1").unwrap_err(), want_map());
    }

    #[test]
    fn commas_and_brackets_are_in_tags_as_in_go_yaml_v2() {
        // Expected values from go-yaml v2 (libyaml-safer panics on the first).
        assert_eq!(unmarshal("[!a, b]").unwrap(), Some(GoValue::Seq(vec![s("b")])));
        assert_eq!(unmarshal("a: !t,x").unwrap(), Some(GoValue::Map(vec![(s("a"), s(""))])));
        assert_eq!(unmarshal("a: !![str 1").unwrap(), Some(GoValue::Map(vec![(s("a"), s("1"))])));
        assert_eq!(unmarshal("k: [!a]").unwrap_err(), "yaml: line 1: did not find expected ',' or ']'");
    }

    #[test]
    fn only_the_first_document_counts() {
        assert_eq!(unmarshal("a\n---\n: : [").unwrap(), Some(s("a")));
        assert_eq!(unmarshal("").unwrap(), None);
        assert_eq!(unmarshal("# only a comment\n").unwrap(), None);
    }
}

#[cfg(test)]
mod block_scalar_at_the_end {
    /// go-yaml v2 reads a block scalar that ends the text without a line break (the parser
    /// beneath panicked there); the values are Go's (go-yaml v2 and Helm's `fromYaml` agree).
    #[test]
    fn reads_as_go_reads_it() {
        for (text, value) in [
            ("a: |\n  x", "x"),
            ("a: |+\n  x", "x"),
            ("a: |-\n  x\n  y", "x\ny"),
            ("a: >\n  x", "x"),
            ("a: |2\n   x", " x"),
            ("a: |\n  x\n", "x\n"),
            ("a: |\n  x\n\n  ", "x\n"),
        ] {
            let read = crate::yaml::from_yaml(text).unwrap();
            assert_eq!(read["a"], value, "{text:?}");
        }
    }
}

//! The handlebars syntax, parsed by hand into the tree [`super::Lower`] turns into a program.
//!
//! Why not handlebars-rust's parser, which this replaces: with pest and its grammar tables it
//! was about 190 KB of the add-in's WebAssembly (a tenth of it), for a language whose every
//! construct a mail merge accepts fits in this file. The grammar, the escapes and the
//! whitespace rules (`~`, standalone lines) follow handlebars-rust 6 exactly, quirks
//! included, so templates written for earlier versions render the same; the unit tests below
//! compare the trees both parsers build for generated templates (handlebars-rust stays a
//! dev-dependency for that), and `tests/it/differential.rs` compares rendered output.
//!
//! One deliberate difference: `else` is a keyword only as a whole word, so `{{elsewhere}}`
//! names a column (handlebars-rust reads it as `{{else where}}`).
//!
//! This file reads the template's text and blocks; [`tag`] reads inside one mustache.

mod tag;

use tag::Cursor;

/// A 1-based line and column (in characters) in the parsed source.
pub(super) type Pos = (usize, usize);

/// One element of a template.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Element {
    /// Literal text, escapes resolved and whitespace control applied.
    Text(String),
    /// `{{! … }}` or `{{!-- … --}}`.
    Comment,
    /// `{{…}}` (`escaped`), `{{{…}}}` or `{{&…}}`.
    Out { call: Call, escaped: bool, pos: Pos },
    /// `{{#name …}}…{{else}}…{{/name}}`; an `{{else name …}}` chain is a block alone in `inverse`.
    Block { call: Call, then: Vec<Element>, inverse: Option<Vec<Element>>, pos: Pos },
    /// Partials, decorators and raw blocks: parsed only to be refused by name.
    Refused { what: &'static str, pos: Pos },
}

/// A helper call or a lookup: `name params… key=value…`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Call {
    pub(super) name: Param,
    pub(super) params: Vec<Param>,
    pub(super) hash: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Param {
    /// A plain identifier in a helper's position.
    Name(String),
    Path(Path),
    Literal(Literal),
    Sub(Box<Call>),
}

impl Param {
    pub(super) fn as_name(&self) -> Option<&str> {
        match self {
            Param::Name(n) => Some(n),
            Param::Path(Path::Relative { raw, .. } | Path::Local { raw }) => Some(raw),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    /// `null`, arrays and objects.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Path {
    /// `a`, `a.b`, `[First Name]`, `this.a`, `../a`, `@root.a`; `this` segments are dropped.
    Relative { segs: Vec<Seg>, raw: String },
    /// `@index`, `@../key`: data only `#each` has.
    Local { raw: String },
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Seg {
    Named(String),
    /// `..`, `@root`, `@`.
    Other,
}

/// A template the parser cannot read, at `pos`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    pub(super) pos: Pos,
    pub(super) message: String,
}

/// Whether a text names a column of the sheet (case-insensitively, as headers match).
pub(super) type IsColumn<'a> = &'a dyn Fn(&str) -> bool;

/// Where each one-name lookup stands in the source: its byte range and the name read.
pub(super) type Lookups = std::cell::RefCell<Vec<(usize, usize, String)>>;

/// Parses a whole template, handlebars' grammar exactly.
#[cfg(test)]
pub(super) fn parse(src: &str) -> Result<Vec<Element>, SyntaxError> {
    parse_with(src, None)
}

/// Parses a whole template where a column's header may be written as it is: `{{First
/// Name}}`, `{{default Due Date "soon"}}`, `{{E-mail}}`, `{{Code (postal)}}` read as
/// `[First Name]`, `[Due Date]`… would. In a parameter's place (or a lookup's), the longest
/// run of bare words that spells a column (several words, or one with `.`, `/` or `-`) is
/// that column; a whole mustache that spells one is that column. Everything else is
/// handlebars' grammar, with positions as the user wrote them.
pub(super) fn parse_with(src: &str, columns: Option<IsColumn<'_>>) -> Result<Vec<Element>, SyntaxError> {
    parse_recording(src, columns, None)
}

/// [`parse_with`], recording every one-name lookup's place in `lookups`.
pub(super) fn parse_recording<'s>(
    src: &'s str,
    columns: Option<IsColumn<'s>>,
    lookups: Option<&'s Lookups>,
) -> Result<Vec<Element>, SyntaxError> {
    Parser {
        src,
        at: 0,
        frames: vec![Frame::new(FrameKind::Root)],
        omit_next_ws: false,
        trim_line: false,
        columns,
        lookups,
    }
    .run()
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn is_symbol(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$' | ':') || !c.is_ascii()
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn starts_with_empty_line(s: &str) -> bool {
    s.trim_start_matches(is_blank).starts_with(['\n', '\r'])
}

fn ends_with_empty_line(s: &str) -> bool {
    let s = s.trim_end_matches(is_blank);
    s.ends_with(['\n', '\r']) || s.is_empty()
}

/// A block being read: its opening tag, its finished branches, the branch being read.
struct Frame {
    kind: FrameKind,
    /// The elements of the branch being read.
    elements: Vec<Element>,
    /// Finished branches: the opening tag's, then one per `{{else name …}}`.
    branches: Vec<Vec<Element>>,
    /// Each `{{else name …}}` chained to the block.
    chains: Vec<(Call, Pos)>,
    /// A plain `{{else}}` was read: the branch being read is the innermost inverse.
    in_else: bool,
}

enum FrameKind {
    Root,
    Block { name: String, call: Call, pos: Pos },
    Refused { what: &'static str, pos: Pos },
}

impl Frame {
    fn new(kind: FrameKind) -> Frame {
        Frame { kind, elements: Vec::new(), branches: Vec::new(), chains: Vec::new(), in_else: false }
    }

    /// The block, once closed: `{{else name}}` chains nest in the inverse branches.
    fn close(mut self, call: Call, pos: Pos) -> Element {
        self.branches.push(self.elements);
        let mut inverse = if self.in_else { self.branches.pop() } else { None };
        while let Some((call, pos)) = self.chains.pop() {
            let then = self.branches.pop().unwrap_or_default();
            inverse = Some(vec![Element::Block { call, then, inverse, pos }]);
        }
        let then = self.branches.pop().unwrap_or_default();
        Element::Block { call, then, inverse, pos }
    }
}

/// An opening, closing or standalone tag, with its whitespace control.
struct Tag {
    kind: TagKind,
    start: usize,
    end: usize,
    omit_before: bool,
    omit_after: bool,
}

enum TagKind {
    Out {
        call: Call,
        escaped: bool,
    },
    Open {
        name: String,
        call: Call,
    },
    OpenRefused {
        what: &'static str,
    },
    /// `{{else}}` / `{{^}}`, or `{{else name …}}` with its call.
    Else(Option<Call>),
    Close(String),
    Comment,
    Refused {
        what: &'static str,
    },
}

struct Parser<'s> {
    src: &'s str,
    columns: Option<IsColumn<'s>>,
    lookups: Option<&'s Lookups>,
    at: usize,
    frames: Vec<Frame>,
    /// The last tag ended with `~`: the next text loses its leading white space.
    omit_next_ws: bool,
    /// The last block tag stood alone on its line: the next text loses that line's end.
    trim_line: bool,
}

impl Parser<'_> {
    fn pos_of(&self, at: usize) -> Pos {
        let before = &self.src[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    fn error(&self, at: usize, message: String) -> SyntaxError {
        SyntaxError { pos: self.pos_of(at), message }
    }

    fn current(&mut self) -> &mut Vec<Element> {
        // `frames` always holds the root.
        let last = self.frames.len() - 1;
        &mut self.frames[last].elements
    }

    fn run(mut self) -> Result<Vec<Element>, SyntaxError> {
        loop {
            let (text, text_end, tag_at) = scan_text(self.src, self.at);
            let raw = &self.src[self.at..text_end];
            if !raw.is_empty() {
                if !raw.chars().all(is_ws) {
                    self.push_text(text);
                } else if !self.omit_next_ws {
                    // White space alone: `~` drops it (and then leaves the standalone rule
                    // pending for the next text, as handlebars-rust does).
                    self.push_text(raw.to_owned());
                }
            }
            let Some(tag_at) = tag_at else { break };
            let tag = self.tag(tag_at)?;
            self.at = tag.end;
            self.apply(tag)?;
        }
        let (what, at) = match self.frames.pop() {
            Some(frame) if self.frames.is_empty() => return Ok(frame.elements),
            Some(Frame { kind: FrameKind::Block { name, pos, .. }, .. }) => {
                (format!("`{{{{#{name}}}}}`"), pos)
            }
            Some(Frame { kind: FrameKind::Refused { what, pos }, .. }) => (what.to_owned(), pos),
            _ => (String::from("a block"), (1, 1)),
        };
        Err(SyntaxError { pos: at, message: format!("{what} is never closed") })
    }

    fn push_text(&mut self, mut text: String) {
        if self.omit_next_ws {
            text = text.trim_start().to_owned();
        } else if self.trim_line {
            let t = text.trim_start_matches(is_blank);
            let t = t.strip_prefix("\r\n").or_else(|| t.strip_prefix('\n')).unwrap_or(t);
            text = t.to_owned();
        }
        self.trim_line = false;
        self.current().push(Element::Text(text));
    }

    /// `~` before a tag: the text before it loses its trailing white space.
    fn omit_before(&mut self) {
        if let Some(Element::Text(t)) = self.current().last_mut() {
            t.truncate(t.trim_end().len());
        }
    }

    /// handlebars' standalone rule: a block tag or comment alone on its line (only blanks
    /// around it) takes the line with it. Trims the blanks before it; returns whether the
    /// line end after it goes too.
    fn standalone(&mut self, start: usize, end: usize) -> bool {
        let after = &self.src[end..];
        if !(starts_with_empty_line(after) || after.is_empty()) {
            return false;
        }
        let leading = ends_with_empty_line(&self.src[..start]);
        if leading && let Some(Element::Text(t)) = self.current().last_mut() {
            t.truncate(t.trim_end_matches(is_blank).len());
        }
        start == 0 || leading
    }

    fn apply(&mut self, tag: Tag) -> Result<(), SyntaxError> {
        let pos = self.pos_of(tag.start);
        if tag.omit_before {
            self.omit_before();
        }
        if !matches!(tag.kind, TagKind::Comment) {
            self.omit_next_ws = tag.omit_after;
        }
        match tag.kind {
            TagKind::Out { call, escaped } => self.current().push(Element::Out { call, escaped, pos }),
            TagKind::Comment => {
                self.trim_line = self.standalone(tag.start, tag.end);
                self.current().push(Element::Comment);
            }
            TagKind::Refused { what } => self.current().push(Element::Refused { what, pos }),
            TagKind::Open { name, call } => {
                self.trim_line = self.standalone(tag.start, tag.end);
                self.frames.push(Frame::new(FrameKind::Block { name, call, pos }));
            }
            TagKind::OpenRefused { what } => {
                self.trim_line = self.standalone(tag.start, tag.end);
                self.frames.push(Frame::new(FrameKind::Refused { what, pos }));
            }
            TagKind::Else(chain) => {
                self.trim_line = self.standalone(tag.start, tag.end);
                let error = match self.frames.last_mut() {
                    Some(Frame { kind: FrameKind::Root, .. }) | None => "`{{else}}` outside a block",
                    Some(f) if f.in_else => "`{{else}}` after the last `{{else}}` of a block",
                    Some(frame) => {
                        frame.branches.push(std::mem::take(&mut frame.elements));
                        match chain {
                            Some(call) => frame.chains.push((call, pos)),
                            None => frame.in_else = true,
                        }
                        return Ok(());
                    }
                };
                return Err(self.error(tag.start, error.into()));
            }
            TagKind::Close(name) => {
                self.trim_line = self.standalone(tag.start, tag.end);
                let frame = match self.frames.pop() {
                    Some(f) if !matches!(f.kind, FrameKind::Root) => f,
                    _ => return Err(self.error(tag.start, format!("`{{{{/{name}}}}}` closes no block"))),
                };
                let element = match &frame.kind {
                    FrameKind::Block { name: open, .. } if *open != name => {
                        let message =
                            format!("`{{{{/{name}}}}}` closes `{{{{#{open}}}}}`: write `{{{{/{open}}}}}`");
                        return Err(self.error(tag.start, message));
                    }
                    FrameKind::Block { call, pos, .. } => {
                        let (call, pos) = (call.clone(), *pos);
                        frame.close(call, pos)
                    }
                    FrameKind::Refused { what, pos } => Element::Refused { what, pos: *pos },
                    FrameKind::Root => Element::Comment,
                };
                self.current().push(element);
            }
        }
        Ok(())
    }

    /// Reads the tag starting at `start` (at `{{`).
    fn tag(&self, start: usize) -> Result<Tag, SyntaxError> {
        let mut c = Cursor { s: self.src, i: start, columns: self.columns, lookups: self.lookups };
        if let Some(tag) = c.comment() {
            return Ok(tag);
        }
        let mut c = Cursor { s: self.src, i: start, columns: self.columns, lookups: self.lookups };
        match c.tag(start) {
            Ok(Some(tag)) => Ok(tag),
            Ok(None) => {
                let rest = &self.src[start..];
                Err(match rest.find("}}") {
                    None => self.error(start, "`{{` is never closed with `}}`".into()),
                    Some(end) => {
                        let shown: String = rest[..end + 2].chars().take(60).collect();
                        self.error(start, format!("cannot read `{shown}`"))
                    }
                })
            }
            Err(message) => Err(self.error(start, message)),
        }
    }
}

/// Finds the text before the next tag from `from`: the text with escapes resolved, where
/// it ends, and where the tag starts (`None` at the end of the source).
fn scan_text(src: &str, from: usize) -> (String, usize, Option<usize>) {
    let bytes = src.as_bytes();
    let mut out = String::new();
    let mut i = from;
    let mut copied = from;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let rest = &src[i..];
            if rest[1..].starts_with("{{") {
                // `\{{` (or `\{{{{`): a literal mustache; the backslash goes.
                out.push_str(&src[copied..i]);
                let len = if rest[1..].starts_with("{{{{") { 5 } else { 3 };
                out.push_str(&rest[1..len]);
                i += len;
                copied = i;
                continue;
            }
            let slashes = rest.bytes().take_while(|&b| b == b'\\').count();
            if slashes > 1 && rest[slashes..].starts_with("{{") {
                // `\\{{`: an escaped backslash before a real tag.
                out.push_str(&src[copied..i]);
                out.push_str(&rest[1..slashes]);
                return (out, i + slashes, Some(i + slashes));
            }
            i += slashes;
            continue;
        }
        if bytes[i..].starts_with(b"{{") {
            out.push_str(&src[copied..i]);
            return (out, i, Some(i));
        }
        i += 1;
    }
    out.push_str(&src[copied..]);
    (out, src.len(), None)
}

#[cfg(test)]
mod tests;

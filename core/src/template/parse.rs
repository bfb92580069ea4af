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

/// A position in a tag, with handlebars' implicit white space between tokens.
struct Cursor<'s> {
    s: &'s str,
    i: usize,
    columns: Option<IsColumn<'s>>,
    lookups: Option<&'s Lookups>,
}

/// A bare word that is a literal or data, never part of a column's name.
fn is_literal_word(w: &str) -> bool {
    w.contains('=')
        || w.starts_with('@')
        || w.parse::<f64>().is_ok()
        || matches!(w, "true" | "false" | "null" | "undefined" | "this" | "~")
}

fn column_path(name: String) -> Path {
    Path::Relative { raw: format!("[{name}]"), segs: vec![Seg::Named(name)] }
}

type Parsed<T> = Result<Option<T>, String>;

impl<'s> Cursor<'s> {
    fn rest(&self) -> &'s str {
        &self.s[self.i..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.rest().starts_with(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn ws(&mut self) {
        let n = self.rest().len() - self.rest().trim_start_matches(is_ws).len();
        self.i += n;
    }

    /// `"{{"`, optional white space and `~`: whether the `~` was there.
    fn open(&mut self, braces: &str) -> Option<bool> {
        if !self.eat(braces) {
            return None;
        }
        self.ws();
        Some(self.eat("~"))
    }

    /// Optional `~`, then `close`: whether the `~` was there.
    fn close(&mut self, close: &str) -> Option<bool> {
        self.ws();
        let tilde = self.eat("~");
        self.ws();
        self.eat(close).then_some(tilde)
    }

    fn comment(&mut self) -> Option<Tag> {
        let start = self.i;
        if !self.eat("{{!") {
            return None;
        }
        if self.rest().starts_with("--")
            && let Some(end) = self.rest()[2..].find("--}}")
        {
            self.i += 2 + end + 4;
        } else {
            let end = self.rest().find("}}")?;
            self.i += end + 2;
        }
        Some(Tag { kind: TagKind::Comment, start, end: self.i, omit_before: false, omit_after: false })
    }

    fn tag(&mut self, start: usize) -> Parsed<Tag> {
        let tag = |kind, end, omit_before, omit_after| Tag { kind, start, end, omit_before, omit_after };
        // `{{{{raw}}}}…{{{{/raw}}}}`: refused, so only its extent matters.
        if self.rest().starts_with("{{{{") {
            let Some(end) =
                self.rest().find("{{{{/").and_then(|o| self.rest()[o..].find("}}}}").map(|c| o + c + 4))
            else {
                return Ok(None);
            };
            return Ok(Some(tag(
                TagKind::Refused { what: "raw blocks (`{{{{raw}}}}`)" },
                start + end,
                false,
                false,
            )));
        }
        // `{{{x}}}`.
        if let Some(before) = self.open("{{{") {
            if let Some(call) = self.call()?
                && let Some(after) = self.close("}}}")
            {
                return Ok(Some(tag(TagKind::Out { call, escaped: false }, self.i, before, after)));
            }
            self.i = start;
        }
        let Some(before) = self.open("{{") else { return Ok(None) };
        self.ws();
        let body = self.i;
        // `{{else}}`, `{{^}}`, `{{else if x}}`.
        if self.eat("^") || self.keyword("else") {
            let at = self.i;
            if let Some(after) = self.close("}}") {
                return Ok(Some(tag(TagKind::Else(None), self.i, before, after)));
            }
            self.i = at;
            self.ws();
            if let Some((_, call)) = self.exp_line()?
                && let Some(after) = self.close("}}")
            {
                return Ok(Some(tag(TagKind::Else(Some(call)), self.i, before, after)));
            }
            return Ok(None);
        }
        self.i = body;
        if self.eat("{") {
            // `{{{x}~}}` and the like.
            if let Some(call) = self.call()? {
                self.ws();
                if self.eat("}")
                    && let Some(after) = self.close("}}")
                {
                    return Ok(Some(tag(TagKind::Out { call, escaped: false }, self.i, before, after)));
                }
            }
            return Ok(None);
        }
        if self.eat("&") {
            self.ws();
            if let Some(name) = self.name()?
                && let Some(after) = self.close("}}")
            {
                let call = Call { name, params: Vec::new(), hash: false };
                return Ok(Some(tag(TagKind::Out { call, escaped: false }, self.i, before, after)));
            }
            return Ok(None);
        }
        if self.eat("#") {
            self.ws();
            let refused = if self.eat(">") {
                Some("partials (`{{> name}}`)")
            } else if self.eat("*") {
                Some("decorators")
            } else {
                None
            };
            if let Some(what) = refused {
                let Some(end) = self.rest().find("}}") else { return Ok(None) };
                return Ok(Some(tag(TagKind::OpenRefused { what }, self.i + end + 2, before, false)));
            }
            if let Some((name, call)) = self.exp_line()?
                && let Some(after) = self.close("}}")
            {
                return Ok(Some(tag(TagKind::Open { name, call }, self.i, before, after)));
            }
            return Ok(None);
        }
        if self.eat("/") {
            self.ws();
            let n = self.rest().len()
                - self.rest().trim_start_matches(|c| is_symbol(c) || matches!(c, '@' | '/' | '.')).len();
            let name = self.rest()[..n].to_owned();
            self.i += n;
            if let Some(after) = self.close("}}") {
                return Ok(Some(tag(TagKind::Close(name), self.i, before, after)));
            }
            return Ok(None);
        }
        for (sigil, what) in [(">", "partials (`{{> name}}`)"), ("*", "decorators")] {
            if self.eat(sigil) {
                let Some(end) = self.rest().find("}}") else { return Ok(None) };
                return Ok(Some(tag(TagKind::Refused { what }, self.i + end + 2, before, false)));
            }
        }
        if let Some(call) = self.call()?
            && let Some(after) = self.close("}}")
        {
            return Ok(Some(tag(TagKind::Out { call, escaped: true }, self.i, before, after)));
        }
        Ok(None)
    }

    fn record(&self, start: usize, end: usize, name: &str) {
        if let Some(l) = self.lookups {
            l.borrow_mut().push((start, end, name.to_owned()));
        }
    }

    /// The end of the current tag's expression: before its `}}` and any `~` and white space.
    fn expression_end(&self) -> Option<usize> {
        let close = self.i + self.rest().find("}}")?;
        Some(
            self.i
                + self.s[self.i..close].trim_end_matches(|c: char| c == '~' || c.is_ascii_whitespace()).len(),
        )
    }

    /// A whole expression that spells a column (`{{Mr.}}`, `{{Code (postal)}}`,
    /// `{{O'Brien}}`): that column, when handlebars would not read it as one identifier.
    fn whole_column(&mut self) -> Option<Call> {
        let columns = self.columns?;
        let end = self.expression_end()?;
        let body = &self.s[self.i..end];
        if body.contains(['[', ']']) {
            return None;
        }
        let whole = body.split_whitespace().collect::<Vec<_>>().join(" ");
        let plain = whole.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if whole.is_empty() || plain || !columns(&whole) {
            return None;
        }
        self.record(self.i, end, &whole);
        self.i = end;
        Some(Call { name: Param::Path(column_path(whole)), params: Vec::new(), hash: false })
    }

    /// The longest run of bare words from here that spells a column (several words, or one
    /// with `.`, `/` or `-`).
    fn column_run(&mut self) -> Option<Path> {
        let columns = self.columns?;
        let end = self.expression_end()?;
        let mut j = self.i;
        let mut words: Vec<&str> = Vec::new();
        let mut best = None;
        loop {
            let rest = &self.s[j..end];
            let n = rest.len()
                - rest
                    .trim_start_matches(|c: char| {
                        !c.is_ascii_whitespace() && !matches!(c, '(' | ')' | '"' | '\'' | '[')
                    })
                    .len();
            if n == 0 || is_literal_word(&rest[..n]) {
                break;
            }
            words.push(&rest[..n]);
            j += n;
            let candidate = words.join(" ");
            if columns(&candidate) && (words.len() > 1 || candidate.contains(['.', '/', '-'])) {
                best = Some((j, candidate));
            }
            let spaces = self.s[j..end].len()
                - self.s[j..end].trim_start_matches(|c: char| c.is_ascii_whitespace()).len();
            if spaces == 0 {
                break;
            }
            j += spaces;
        }
        let (at, name) = best?;
        self.record(self.i, at, &name);
        self.i = at;
        Some(column_path(name))
    }

    /// `word` not followed by a symbol character.
    fn keyword(&mut self, word: &str) -> bool {
        let rest = self.rest();
        if rest.starts_with(word) && !rest[word.len()..].starts_with(is_symbol) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn identifier(&mut self) -> Option<String> {
        let rest = self.rest();
        let n = rest.len() - rest.trim_start_matches(is_symbol).len();
        if n == 0 {
            return None;
        }
        self.i += n;
        Some(rest[..n].to_owned())
    }

    /// `identifier (hash | param)+`, else `name` (a subexpression or a path).
    fn call(&mut self) -> Parsed<Call> {
        if let Some(whole) = self.whole_column() {
            return Ok(Some(whole));
        }
        if let Some(path) = self.column_run() {
            return Ok(Some(Call { name: Param::Path(path), params: Vec::new(), hash: false }));
        }
        let start = self.i;
        if let Some(id) = self.identifier() {
            let (params, hash) = self.arguments()?;
            if !params.is_empty() || hash {
                return Ok(Some(Call { name: Param::Name(id), params, hash }));
            }
        }
        self.i = start;
        Ok(self.name()?.map(|name| Call { name, params: Vec::new(), hash: false }))
    }

    fn name(&mut self) -> Parsed<Param> {
        if let Some(whole) = self.whole_column() {
            return Ok(Some(whole.name));
        }
        if let Some(path) = self.column_run() {
            return Ok(Some(Param::Path(path)));
        }
        if let Some(sub) = self.subexpression()? {
            return Ok(Some(Param::Sub(Box::new(sub))));
        }
        Ok(self.path().map(Param::Path))
    }

    /// `identifier (hash | param)* block-params?` in block tags.
    fn exp_line(&mut self) -> Parsed<(String, Call)> {
        let Some(id) = self.identifier() else { return Ok(None) };
        let (params, hash) = self.arguments()?;
        let save = self.i;
        self.ws();
        if !self.block_params() {
            self.i = save;
        }
        Ok(Some((id.clone(), Call { name: Param::Name(id), params, hash })))
    }

    /// `as |a b|`, ignored.
    fn block_params(&mut self) -> bool {
        if !self.keyword("as") {
            return false;
        }
        self.ws();
        if !self.eat("|") {
            return false;
        }
        self.ws();
        if self.identifier().is_none() {
            return false;
        }
        self.ws();
        let _ = self.identifier();
        self.ws();
        self.eat("|")
    }

    /// `(hash | param)*`: the parameters, and whether any `key=value` was given.
    fn arguments(&mut self) -> Result<(Vec<Param>, bool), String> {
        let mut params = Vec::new();
        let mut hash = false;
        loop {
            let save = self.i;
            self.ws();
            let key_at = self.i;
            if self.identifier().is_some() {
                self.ws();
                if self.eat("=") {
                    self.ws();
                    if self.param()?.is_some() {
                        hash = true;
                        continue;
                    }
                }
            }
            self.i = key_at;
            match self.param()? {
                Some(p) => params.push(p),
                None => {
                    self.i = save;
                    return Ok((params, hash));
                }
            }
        }
    }

    fn param(&mut self) -> Parsed<Param> {
        let start = self.i;
        if self.keyword("as") || self.keyword("else") {
            self.i = start;
            return Ok(None);
        }
        if let Some(p) = self.column_run() {
            return Ok(Some(Param::Path(p)));
        }
        if let Some(lit) = self.literal()? {
            return Ok(Some(Param::Literal(lit)));
        }
        self.i = start;
        if let Some(p) = self.path() {
            return Ok(Some(Param::Path(p)));
        }
        self.i = start;
        Ok(self.subexpression()?.map(|s| Param::Sub(Box::new(s))))
    }

    fn subexpression(&mut self) -> Parsed<Call> {
        let start = self.i;
        if !self.eat("(") {
            return Ok(None);
        }
        self.ws();
        let inner = self.i;
        let mut call =
            self.column_run().map(|p| Call { name: Param::Path(p), params: Vec::new(), hash: false });
        if call.is_some() {
            self.ws();
            if self.eat(")") {
                return Ok(call);
            }
            self.i = inner;
            call = None;
        }
        if let Some(id) = self.identifier() {
            let (params, hash) = self.arguments()?;
            if !params.is_empty() || hash {
                call = Some(Call { name: Param::Name(id), params, hash });
            }
        }
        if call.is_none() {
            self.i = inner;
            call = self.path().map(|p| Call { name: Param::Path(p), params: Vec::new(), hash: false });
        }
        self.ws();
        match call {
            Some(call) if self.eat(")") => Ok(Some(call)),
            _ => {
                self.i = start;
                Ok(None)
            }
        }
    }

    fn sep(&mut self) -> bool {
        self.eat("/") || self.eat(".")
    }

    /// handlebars' `path_inline`: no white space inside.
    fn path(&mut self) -> Option<Path> {
        let start = self.i;
        let mut segs = Vec::new();
        if !(self.eat("this") && self.sep()) {
            self.i = start;
            self.eat("./");
        }
        let save = self.i;
        let rooted = self.eat("@root") && self.sep();
        if rooted {
            segs.push(Seg::Other);
        } else {
            self.i = save;
        }
        let local = self.eat("@");
        if local {
            segs.push(Seg::Other);
        }
        loop {
            let save = self.i;
            if self.eat("..") && self.sep() {
                segs.push(Seg::Other);
            } else {
                self.i = save;
                break;
            }
        }
        if !self.path_item(&mut segs) {
            self.i = start;
            return None;
        }
        loop {
            let save = self.i;
            if !(self.sep() && self.path_item(&mut segs)) {
                self.i = save;
                break;
            }
        }
        let raw = self.s[start..self.i].to_owned();
        if let [Seg::Named(name)] = segs.as_slice() {
            self.record(start, self.i, name);
        }
        // handlebars-rust: local data is `@`, any `../`, then a name (`@root.@x` is not).
        let named = segs.iter().any(|s| matches!(s, Seg::Named(_)));
        Some(if local && !rooted && named { Path::Local { raw } } else { Path::Relative { segs, raw } })
    }

    fn path_item(&mut self, segs: &mut Vec<Seg>) -> bool {
        let name = if self.eat("[") {
            let Some(end) = self.rest().find(']') else { return false };
            let name = self.rest()[..end].to_owned();
            self.i += end + 1;
            name
        } else {
            match self.identifier() {
                Some(n) => n,
                None => return false,
            }
        };
        if name != "this" {
            segs.push(Seg::Named(name));
        }
        true
    }

    /// A JSON-like literal; its value as handlebars-rust reads it (through serde_json).
    fn literal(&mut self) -> Parsed<Literal> {
        let start = self.i;
        if let Some(q @ ('"' | '\'')) = self.peek() {
            if !self.string(q) {
                self.i = start;
                return Ok(None);
            }
            let span = &self.s[start..self.i];
            let json = if q == '\'' {
                let inner = &span[1..span.len() - 1];
                format!("\"{}\"", inner.replace("\\'", "'").replace('"', "\\\""))
            } else {
                span.to_owned()
            };
            return json_literal(&json, span).map(Some);
        }
        if !self.literal_span() {
            self.i = start;
            return Ok(None);
        }
        let span = &self.s[start..self.i];
        json_literal(span, span).map(Some)
    }

    /// Recognises a literal (strings, arrays, objects, numbers, `null`, `true`, `false`).
    fn literal_span(&mut self) -> bool {
        let start = self.i;
        let ok = match self.peek() {
            Some(q @ ('"' | '\'')) => self.string(q),
            Some('[') => self.list("]", false),
            Some('{') => self.list("}", true),
            _ => self.number() || self.keyword("null") || self.keyword("true") || self.keyword("false"),
        };
        if !ok {
            self.i = start;
        }
        ok
    }

    /// `[a, b]` or `{"k": v, …}`, with white space between tokens.
    fn list(&mut self, close: &str, object: bool) -> bool {
        self.i += 1;
        self.ws();
        let save = self.i;
        if !self.entry(object) {
            self.i = save;
        }
        loop {
            let save = self.i;
            self.ws();
            if self.eat(",") {
                self.ws();
                if self.entry(object) {
                    continue;
                }
            }
            self.i = save;
            break;
        }
        self.ws();
        self.eat(close)
    }

    fn entry(&mut self, object: bool) -> bool {
        if !object {
            return self.literal_span();
        }
        let Some(q @ ('"' | '\'')) = self.peek() else { return false };
        if !self.string(q) {
            return false;
        }
        self.ws();
        if !self.eat(":") {
            return false;
        }
        self.ws();
        self.literal_span()
    }

    fn string(&mut self, q: char) -> bool {
        self.i += 1;
        let mut chars = self.rest().char_indices();
        while let Some((k, c)) = chars.next() {
            if c == q {
                self.i += k + 1;
                return true;
            }
            if c == '\\' {
                match chars.next() {
                    Some((_, e)) if e == q || matches!(e, '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't') => {}
                    Some((_, 'u')) => {
                        for _ in 0..4 {
                            if !chars.next().is_some_and(|(_, h)| h.is_ascii_hexdigit()) {
                                return false;
                            }
                        }
                    }
                    _ => return false,
                }
            }
        }
        false
    }

    /// `-? digits .? digits* (E -? digits)?` not followed by a symbol character.
    fn number(&mut self) -> bool {
        let start = self.i;
        let digits = |c: &mut Cursor<'_>| {
            let n = c.rest().len() - c.rest().trim_start_matches(|ch: char| ch.is_ascii_digit()).len();
            c.i += n;
            n
        };
        self.eat("-");
        if digits(self) == 0 {
            self.i = start;
            return false;
        }
        self.eat(".");
        digits(self);
        let save = self.i;
        if self.eat("E") {
            self.eat("-");
            if digits(self) == 0 {
                self.i = save;
            }
        }
        if self.peek().is_some_and(is_symbol) {
            self.i = start;
            return false;
        }
        true
    }
}

fn json_literal(json: &str, written: &str) -> Result<Literal, String> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::String(s)) => Ok(Literal::Str(s)),
        Ok(serde_json::Value::Number(n)) => Ok(Literal::Num(n.as_f64().unwrap_or(0.0))),
        Ok(serde_json::Value::Bool(b)) => Ok(Literal::Bool(b)),
        Ok(_) => Ok(Literal::Other),
        Err(_) => Err(format!("invalid literal `{written}`")),
    }
}

#[cfg(test)]
mod tests;

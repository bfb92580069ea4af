//! Inside one mustache: handlebars' tokens (paths, literals, subexpressions, hashes), with
//! a column's header read as written where the sheet names one.

use super::*;

/// A position in a tag, with handlebars' implicit white space between tokens.
pub(super) struct Cursor<'s> {
    pub(super) s: &'s str,
    pub(super) i: usize,
    pub(super) columns: Option<IsColumn<'s>>,
    pub(super) lookups: Option<&'s Lookups>,
}

/// A bare word that is a literal or data, never part of a column's name.
pub(super) fn is_literal_word(w: &str) -> bool {
    w.contains('=')
        || w.starts_with('@')
        || w.parse::<f64>().is_ok()
        || matches!(w, "true" | "false" | "null" | "undefined" | "this" | "~")
}

pub(super) fn column_path(name: String) -> Path {
    Path::Relative { raw: format!("[{name}]"), segs: vec![Seg::Named(name)] }
}

pub(super) type Parsed<T> = Result<Option<T>, String>;

impl<'s> Cursor<'s> {
    pub(super) fn rest(&self) -> &'s str {
        &self.s[self.i..]
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub(super) fn eat(&mut self, lit: &str) -> bool {
        if self.rest().starts_with(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    pub(super) fn ws(&mut self) {
        let n = self.rest().len() - self.rest().trim_start_matches(is_ws).len();
        self.i += n;
    }

    /// `"{{"`, optional white space and `~`: whether the `~` was there.
    pub(super) fn open(&mut self, braces: &str) -> Option<bool> {
        if !self.eat(braces) {
            return None;
        }
        self.ws();
        Some(self.eat("~"))
    }

    /// Optional `~`, then `close`: whether the `~` was there.
    pub(super) fn close(&mut self, close: &str) -> Option<bool> {
        self.ws();
        let tilde = self.eat("~");
        self.ws();
        self.eat(close).then_some(tilde)
    }

    pub(super) fn comment(&mut self) -> Option<Tag> {
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

    pub(super) fn tag(&mut self, start: usize) -> Parsed<Tag> {
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

    pub(super) fn record(&self, start: usize, end: usize, name: &str) {
        if let Some(l) = self.lookups {
            l.borrow_mut().push((start, end, name.to_owned()));
        }
    }

    /// The end of the current tag's expression: before its `}}` and any `~` and white space.
    pub(super) fn expression_end(&self) -> Option<usize> {
        let close = self.i + self.rest().find("}}")?;
        Some(
            self.i
                + self.s[self.i..close].trim_end_matches(|c: char| c == '~' || c.is_ascii_whitespace()).len(),
        )
    }

    /// A whole expression that spells a column (`{{Mr.}}`, `{{Code (postal)}}`,
    /// `{{O'Brien}}`): that column, when handlebars would not read it as one identifier.
    pub(super) fn whole_column(&mut self) -> Option<Call> {
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
    pub(super) fn column_run(&mut self) -> Option<Path> {
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
    pub(super) fn keyword(&mut self, word: &str) -> bool {
        let rest = self.rest();
        if rest.starts_with(word) && !rest[word.len()..].starts_with(is_symbol) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    pub(super) fn identifier(&mut self) -> Option<String> {
        let rest = self.rest();
        let n = rest.len() - rest.trim_start_matches(is_symbol).len();
        if n == 0 {
            return None;
        }
        self.i += n;
        Some(rest[..n].to_owned())
    }

    /// `identifier (hash | param)+`, else `name` (a subexpression or a path).
    pub(super) fn call(&mut self) -> Parsed<Call> {
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

    pub(super) fn name(&mut self) -> Parsed<Param> {
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
    pub(super) fn exp_line(&mut self) -> Parsed<(String, Call)> {
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
    pub(super) fn block_params(&mut self) -> bool {
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
    pub(super) fn arguments(&mut self) -> Result<(Vec<Param>, bool), String> {
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

    pub(super) fn param(&mut self) -> Parsed<Param> {
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

    pub(super) fn subexpression(&mut self) -> Parsed<Call> {
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

    pub(super) fn sep(&mut self) -> bool {
        self.eat("/") || self.eat(".")
    }

    /// handlebars' `path_inline`: no white space inside.
    pub(super) fn path(&mut self) -> Option<Path> {
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

    pub(super) fn path_item(&mut self, segs: &mut Vec<Seg>) -> bool {
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
    pub(super) fn literal(&mut self) -> Parsed<Literal> {
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
    pub(super) fn literal_span(&mut self) -> bool {
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
    pub(super) fn list(&mut self, close: &str, object: bool) -> bool {
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

    pub(super) fn entry(&mut self, object: bool) -> bool {
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

    pub(super) fn string(&mut self, q: char) -> bool {
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
    pub(super) fn number(&mut self) -> bool {
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

pub(super) fn json_literal(json: &str, written: &str) -> Result<Literal, String> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::String(s)) => Ok(Literal::Str(s)),
        Ok(serde_json::Value::Number(n)) => Ok(Literal::Num(n.as_f64().unwrap_or(0.0))),
        Ok(serde_json::Value::Bool(b)) => Ok(Literal::Bool(b)),
        Ok(_) => Ok(Literal::Other),
        Err(_) => Err(format!("invalid literal `{written}`")),
    }
}

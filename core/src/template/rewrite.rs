//! Lets `{{First Name}}` name a column whose header has spaces: runs of bare words inside a
//! mustache that spell a column header are wrapped in handlebars' `[…]` segment syntax
//! before parsing. Everything else is left to handlebars.

/// The rewritten source and where brackets were inserted (char offsets in the rewritten
/// text), so error positions can be mapped back to what the user wrote.
pub(super) struct Rewritten {
    pub(super) source: String,
    inserted: Vec<usize>,
}

impl Rewritten {
    /// Maps a 1-based (line, column) in the rewritten source back to the original.
    pub(super) fn original_position(&self, line: usize, column: usize) -> (usize, usize) {
        let mut offset = 0usize;
        for (i, l) in self.source.split('\n').enumerate() {
            if i + 1 == line {
                let at = offset + column.saturating_sub(1);
                let line_start = offset;
                let shift = self.inserted.iter().filter(|&&p| p >= line_start && p < at).count();
                return (line, column.saturating_sub(shift).max(1));
            }
            offset += l.chars().count() + 1;
        }
        (line, column)
    }
}

/// Helper names whose parameters may be column names.
const HELPERS: &[&str] = &[
    "if",
    "unless",
    "else",
    "default",
    "upper",
    "lower",
    "capitalize",
    "trim",
    "eq",
    "ne",
    "contains",
    "gt",
    "gte",
    "lt",
    "lte",
    "and",
    "or",
    "not",
];

pub(super) fn rewrite(source: &str, is_column: &dyn Fn(&str) -> bool) -> Rewritten {
    let mut out = String::with_capacity(source.len() + 16);
    let mut inserted = Vec::new();
    let mut out_chars = 0usize;
    let mut rest = source;
    while let Some(open) = rest.find("{{") {
        let (before, after) = rest.split_at(open);
        push(&mut out, &mut out_chars, before);
        // `\{{` is an escaped, literal mustache; comments are left alone.
        let escaped = before.ends_with('\\');
        let triple = after.starts_with("{{{");
        let close_pat = if triple { "}}}" } else { "}}" };
        let body_start = if triple { 3 } else { 2 };
        let Some(close) = after[body_start..].find(close_pat).map(|c| c + body_start) else {
            push(&mut out, &mut out_chars, after);
            rest = "";
            break;
        };
        let inner = &after[body_start..close];
        push(&mut out, &mut out_chars, &after[..body_start]);
        if escaped || inner.starts_with('!') {
            push(&mut out, &mut out_chars, inner);
        } else {
            rewrite_inner(inner, is_column, &mut out, &mut out_chars, &mut inserted);
        }
        push(&mut out, &mut out_chars, close_pat);
        rest = &after[close + close_pat.len()..];
    }
    push(&mut out, &mut out_chars, rest);
    Rewritten { source: out, inserted }
}

fn push(out: &mut String, count: &mut usize, s: &str) {
    out.push_str(s);
    *count += s.chars().count();
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    Word(&'a str),
    Other(&'a str),
    Space(&'a str),
}

fn tokenize(s: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            toks.push(Tok::Space(&s[start..i]));
        } else if c == b'"' || c == b'\'' {
            i += 1;
            while i < bytes.len() && bytes[i] != c {
                i += 1;
            }
            i = (i + 1).min(bytes.len());
            toks.push(Tok::Other(&s[start..i]));
        } else if c == b'[' {
            while i < bytes.len() && bytes[i] != b']' {
                i += 1;
            }
            i = (i + 1).min(bytes.len());
            toks.push(Tok::Other(&s[start..i]));
        } else if c == b'(' || c == b')' {
            i += 1;
            toks.push(Tok::Other(&s[start..i]));
        } else {
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && !matches!(bytes[i], b'(' | b')' | b'"' | b'\'' | b'[')
            {
                i += 1;
            }
            let w = &s[start..i];
            let literal = w.contains('=')
                || w.starts_with('@')
                || w.parse::<f64>().is_ok()
                || matches!(w, "true" | "false" | "null" | "undefined" | "this" | "~");
            toks.push(if literal { Tok::Other(w) } else { Tok::Word(w) });
        }
    }
    toks
}

fn rewrite_inner(
    inner: &str,
    is_column: &dyn Fn(&str) -> bool,
    out: &mut String,
    out_chars: &mut usize,
    inserted: &mut Vec<usize>,
) {
    // Keep the sigils (`~`, `#`, `/`, `^`, `&`) as they are.
    let body_at =
        inner.find(|c: char| !matches!(c, '~' | '#' | '/' | '^' | '&' | ' ')).unwrap_or(inner.len());
    let (prefix, body) = inner.split_at(body_at);
    let trail_at = body.trim_end_matches(|c: char| c == '~' || c.is_ascii_whitespace()).len();
    let (body, suffix) = body.split_at(trail_at);
    push(out, out_chars, prefix);
    let whole = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let is_closing = prefix.contains('/');
    // A whole mustache that names a column is bracketed when handlebars would not read it
    // as one identifier (spaces, `.`, `/`, `'`, `%`, parentheses…).
    let plain = whole.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if !is_closing && !body.contains(['[', ']']) && !plain && is_column(&whole) {
        bracket(&whole, out, out_chars, inserted);
    } else {
        let toks = tokenize(body);
        rewrite_group(&toks, is_closing, is_column, out, out_chars, inserted);
    }
    push(out, out_chars, suffix);
}

fn bracket(name: &str, out: &mut String, out_chars: &mut usize, inserted: &mut Vec<usize>) {
    inserted.push(*out_chars);
    push(out, out_chars, "[");
    push(out, out_chars, name);
    inserted.push(*out_chars);
    push(out, out_chars, "]");
}

/// Rewrites the tokens of one mustache or subexpression: the first word is the helper (or
/// the variable); later runs of words that spell a column become one bracketed segment.
fn rewrite_group(
    toks: &[Tok<'_>],
    is_closing: bool,
    is_column: &dyn Fn(&str) -> bool,
    out: &mut String,
    out_chars: &mut usize,
    inserted: &mut Vec<usize>,
) {
    let first_word = toks.iter().position(|t| !matches!(t, Tok::Space(_)));
    let helper_first = match first_word.map(|i| toks[i]) {
        Some(Tok::Word(w)) => HELPERS.contains(&w),
        _ => false,
    };
    let mut i = 0;
    let mut group_start = true;
    while i < toks.len() {
        let tok = toks[i];
        if let Tok::Other("(") = tok {
            push(out, out_chars, "(");
            i += 1;
            // Nested groups restart helper detection at their first word.
            let end = matching_paren(toks, i);
            rewrite_group(&toks[i..end], false, is_column, out, out_chars, inserted);
            i = end;
            group_start = false;
            continue;
        }
        let is_param = !(is_closing || group_start && helper_first);
        if let (Tok::Word(_), true) = (tok, is_param) {
            // Longest run of words (with single spaces between) that names a column.
            let mut best: Option<(usize, String)> = None;
            let mut words: Vec<&str> = Vec::new();
            let mut j = i;
            while j < toks.len() {
                match toks[j] {
                    Tok::Word(w) => {
                        words.push(w);
                        let candidate = words.join(" ");
                        if is_column(&candidate) && (words.len() > 1 || candidate.contains(['.', '/', '-'])) {
                            best = Some((j + 1, candidate));
                        }
                        j += 1;
                    }
                    Tok::Space(_) => j += 1,
                    Tok::Other(_) => break,
                }
            }
            if let Some((end, name)) = best {
                bracket(&name, out, out_chars, inserted);
                i = end;
                group_start = false;
                continue;
            }
        }
        let text = match tok {
            Tok::Word(s) | Tok::Other(s) | Tok::Space(s) => s,
        };
        push(out, out_chars, text);
        if !matches!(tok, Tok::Space(_)) {
            group_start = false;
        }
        i += 1;
    }
}

fn matching_paren(toks: &[Tok<'_>], from: usize) -> usize {
    let mut depth = 1;
    for (k, t) in toks.iter().enumerate().skip(from) {
        match t {
            Tok::Other("(") => depth += 1,
            Tok::Other(")") => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(src: &str) -> String {
        let cols = ["First Name", "Due Date", "Mr.", "E-mail", "Code (postal)", "Note", "O'Brien", "100%"];
        rewrite(src, &|n: &str| cols.iter().any(|c| c.eq_ignore_ascii_case(n))).source
    }

    #[test]
    fn multi_word_columns_are_bracketed() {
        assert_eq!(rw("Hi {{First Name}}!"), "Hi {{[First Name]}}!");
        assert_eq!(rw("{{~ first  name ~}}"), "{{~ [first name] ~}}");
        assert_eq!(rw("{{{First Name}}}"), "{{{[First Name]}}}");
        assert_eq!(rw("{{#if Due Date}}x{{/if}}"), "{{#if [Due Date]}}x{{/if}}");
        assert_eq!(rw("{{default First Name \"you\"}}"), "{{default [First Name] \"you\"}}");
        assert_eq!(rw("{{#if (eq First Name \"A B\")}}"), "{{#if (eq [First Name] \"A B\")}}");
        assert_eq!(rw("{{Mr.}} {{E-mail}} {{Code (postal)}}"), "{{[Mr.]}} {{[E-mail]}} {{[Code (postal)]}}");
        assert_eq!(rw("{{O'Brien}} {{{100%}}}"), "{{[O'Brien]}} {{{[100%]}}}");
    }

    #[test]
    fn everything_else_is_untouched() {
        for src in [
            "{{Note}}",
            "\\{{First Name}}",
            "{{! First Name }}",
            "{{[First Name]}}",
            "{{Frist Name}}",
            "{{else}}",
            "{{/if}}",
            "{{upper Note}}",
        ] {
            assert_eq!(rw(src), src);
        }
    }

    #[test]
    fn positions_map_back() {
        let r = rewrite("ab {{First Name}} {{x", &|n: &str| n == "First Name");
        assert_eq!(r.source, "ab {{[First Name]}} {{x");
        // "{{x" starts at column 21 in the rewritten text and 19 in the original.
        assert_eq!(r.original_position(1, 21), (1, 19));
        assert_eq!(r.original_position(1, 2), (1, 2));
    }
}

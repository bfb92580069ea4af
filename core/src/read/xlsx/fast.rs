//! The sheet's common case read without an XML parser: one cell as Excel and most writers
//! write it — `<row r="2">`, `<c r="A2" s="1" t="s"><v>5</v></c>`, `<f>…</f>`, `<c/>`.
//!
//! A general XML reader does more than such a cell needs: it validates every byte as UTF-8,
//! makes an event per tag and per text, and tracks names; on a sheet that is most of the
//! reading time. This path reads only that grammar, and says [`Fast::Slow`] for anything
//! else (a prefix, a comment, an entity, a carriage return, an inline string, an unknown
//! child), before keeping anything: quick-xml then reads the same unit
//! ([`super::sheet::SheetReader`]). Both paths give the same cells — a test reads generated
//! and corpus sheets both ways.

use std::borrow::Cow;

use super::sheet::{CellStart, Type, cell_start, plain, row_start};
use super::window::Stop;
use super::{Kind, Strings, unescape_excel};
use crate::value::Value;

/// What the fast path made of the bytes at a unit's start.
pub(super) enum Fast {
    /// A cell read whole.
    Cell(Cell),
    /// The window ends inside the unit.
    More,
    /// Something only the XML reader reads.
    Slow,
}

/// A cell, and where the sheet stands after it.
pub(super) struct Cell {
    pub(super) at: (u32, u32),
    pub(super) value: Value,
    pub(super) style: Option<usize>,
    /// The bytes it took, with the row tags before it.
    pub(super) len: usize,
    /// The row and column of the next cell without a reference.
    pub(super) next: (u32, u32),
    /// How many elements are open after it.
    pub(super) depth: usize,
}

/// The index of the next `<` from `from`; `None` when the window ends first. (A value is a
/// few bytes: a plain loop finds its end sooner than memchr's vector setup.)
fn until_lt(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?.iter().position(|&c| c == b'<').map(|n| from + n)
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// A start or end tag.
enum Tag<'b> {
    Start { name: &'b [u8], attrs: &'b str, empty: bool, after: usize },
    End { name: &'b [u8], after: usize },
}

/// The tag at `s[i]` (which is `<`): [`Fast::More`] when the window ends first.
fn tag(s: &str, i: usize) -> Result<Tag<'_>, Fast> {
    let b = s.as_bytes();
    // A comment, CDATA, a processing instruction: the XML reader's (their quotes and `>`
    // follow other rules).
    if matches!(b.get(i + 1), Some(b'!' | b'?')) {
        return Err(Fast::Slow);
    }
    // The tags of every cell, exactly as the general case below would read them.
    let rest = &b[i + 1..];
    for name in [&b"v"[..], b"c", b"row"] {
        if rest.starts_with(name) && rest.get(name.len()) == Some(&b'>') {
            return Ok(Tag::Start { name, attrs: "", empty: false, after: i + name.len() + 2 });
        }
        if rest.first() == Some(&b'/')
            && rest[1..].starts_with(name)
            && rest.get(name.len() + 1) == Some(&b'>')
        {
            return Ok(Tag::End { name, after: i + name.len() + 3 });
        }
    }
    // Its `>`, past any quoted attribute value (which may hold one). A tag is a few dozen
    // bytes: a plain loop, as for values.
    let mut at = i + 1;
    let end = loop {
        let c = *b.get(at).ok_or(Fast::More)?;
        if c == b'>' {
            break at;
        }
        if matches!(c, b'"' | b'\'') {
            let Some(n) = b.get(at + 1..).and_then(|r| r.iter().position(|&q| q == c)) else {
                return Err(Fast::More);
            };
            at += n + 1;
        }
        at += 1;
    };
    let inner = &b[i + 1..end];
    if let Some(name) = inner.strip_prefix(b"/") {
        return Ok(Tag::End { name, after: end + 1 });
    }
    let (inner_end, empty) = match inner.last() {
        Some(b'/') => (end - 1, true),
        _ => (end, false),
    };
    let name_len = inner.iter().position(|&c| is_ws(c) || c == b'/').unwrap_or(inner.len());
    let attrs = s.get(i + 1 + name_len..inner_end.max(i + 1 + name_len)).ok_or(Fast::Slow)?;
    Ok(Tag::Start { name: &inner[..name_len], attrs, empty, after: end + 1 })
}

/// Reads one cell, with the row tags before it, from `b` (the window from the unit's start).
#[allow(clippy::too_many_arguments)]
pub(super) fn cell(
    s: &str,
    more_after: bool,
    depth: usize,
    (mut row, mut col): (u32, u32),
    strings: &Strings,
    styles: &[(Kind, u16)],
    is_1904: bool,
) -> Result<Fast, Stop> {
    let b = s.as_bytes();
    let mut depth = depth;
    let mut i = 0;
    // The text's end: the window's (read again with more), or the XML reader's to report.
    let more = if more_after { Fast::More } else { Fast::Slow };
    loop {
        while b.get(i).copied().is_some_and(is_ws) {
            i += 1;
        }
        match b.get(i) {
            None => return Ok(more),
            Some(b'<') => {}
            Some(_) => return Ok(Fast::Slow),
        }
        let t = match tag(s, i) {
            Ok(t) => t,
            Err(Fast::More) => return Ok(more),
            Err(other) => return Ok(other),
        };
        match t {
            Tag::End { name: b"row", after } if depth > 0 => {
                depth -= 1;
                row = row.saturating_add(1);
                col = 0;
                i = after;
            }
            Tag::Start { name: b"row", attrs, empty, after } => {
                row = row_start(attrs, row)?;
                if empty {
                    row = row.saturating_add(1);
                    col = 0;
                } else {
                    depth += 1;
                }
                i = after;
            }
            Tag::Start { name: b"c", attrs, empty, after } => {
                let CellStart { at, style, ty } = cell_start(attrs, row, &mut col)?;
                if matches!(ty, Type::Other(_)) {
                    return Ok(Fast::Slow);
                }
                let (value, len) = if empty {
                    (Value::Empty, after)
                } else {
                    match children(s, after, ty, style, strings, styles, is_1904)? {
                        Ok(read) => read,
                        Err(Fast::More) => return Ok(more),
                        Err(other) => return Ok(other),
                    }
                };
                let next = (row, col.saturating_add(1));
                return Ok(Fast::Cell(Cell { at, value, style, len, next, depth }));
            }
            _ => return Ok(Fast::Slow),
        }
    }
}

/// A cell's children from `i` (after `<c …>`) to `</c>`: its value and the index after.
fn children(
    s: &str,
    mut i: usize,
    ty: Type<'_>,
    style: Option<usize>,
    strings: &Strings,
    styles: &[(Kind, u16)],
    is_1904: bool,
) -> Result<Result<(Value, usize), Fast>, Stop> {
    let b = s.as_bytes();
    let mut value = Value::Empty;
    loop {
        while b.get(i).copied().is_some_and(is_ws) {
            i += 1;
        }
        match b.get(i) {
            None => return Ok(Err(Fast::More)),
            Some(b'<') => {}
            Some(_) => return Ok(Err(Fast::Slow)),
        }
        let t = match tag(s, i) {
            Ok(t) => t,
            Err(other) => return Ok(Err(other)),
        };
        match t {
            Tag::End { name: b"c", after } => return Ok(Ok((value, after))),
            // `<v/>`, `<f/>`: no value (a formula's value is in its `<v>`).
            Tag::Start { name: b"f", empty: true, after, .. } => {
                value = Value::Empty;
                i = after;
            }
            Tag::Start { name: b"v", attrs: "", empty: true, after }
                if matches!(ty, Type::Absent | Type::Number | Type::Shared | Type::Bool | Type::Error) =>
            {
                value = Value::Empty;
                i = after;
            }
            Tag::Start { name: name @ (b"v" | b"f"), empty: false, after, attrs } => {
                if name == b"v" && !attrs.is_empty() {
                    return Ok(Err(Fast::Slow));
                }
                let Some(lt) = until_lt(b, after) else { return Ok(Err(Fast::More)) };
                let Some(raw) = s.get(after..lt) else { return Ok(Err(Fast::Slow)) };
                // Its end, exactly: `</v>` or `</f>`.
                match b.get(lt..lt + 4) {
                    Some([b'<', b'/', n, b'>']) if *n == name[0] => {}
                    Some(_) => return Ok(Err(Fast::Slow)),
                    None => return Ok(Err(Fast::More)),
                }
                i = lt + 4;
                if name == b"f" {
                    value = Value::Empty;
                    continue;
                }
                // Entities and line ends are the XML reader's to expand and normalise.
                if raw.bytes().any(|c| matches!(c, b'&' | b'\r')) {
                    return Ok(Err(Fast::Slow));
                }
                let text = raw;
                value = match ty {
                    Type::Inline => Value::Empty,
                    Type::Str => Value::Text(unescape_excel(text)),
                    Type::Date => Value::DateIso(text.to_owned()),
                    Type::Other(_) => return Ok(Err(Fast::Slow)),
                    _ if text.is_empty() => Value::Empty,
                    _ => plain(strings, styles, is_1904, style, ty, text)?,
                };
            }
            _ => return Ok(Err(Fast::Slow)),
        }
    }
}

/// Whether the fast path is tried (always, but in tests that compare the two paths).
pub(super) fn on() -> bool {
    #[cfg(test)]
    if super::window::test_read().slow {
        return false;
    }
    true
}

/// A shared string as most writers write it — `<si><t>text</t></si>`, the run's text kept
/// with `xml:space="preserve"` — from `s` (the window from the unit's start): the string and
/// the bytes it took. Rich text, phonetic runs, entities and line ends are the XML reader's.
pub(super) fn shared_string(s: &str, more_after: bool) -> Result<(Cow<'_, str>, usize), Fast> {
    let more = if more_after { Fast::More } else { Fast::Slow };
    let b = s.as_bytes();
    let skip_ws = |mut i: usize| {
        while b.get(i).copied().is_some_and(is_ws) {
            i += 1;
        }
        i
    };
    let expect = |i: usize, what: &[u8]| -> Result<usize, Fast> {
        match b.get(i..i + what.len()) {
            Some(got) if got == what => Ok(i + what.len()),
            Some(_) => Err(Fast::Slow),
            None if what.starts_with(b.get(i..).unwrap_or_default()) => {
                Err(if more_after { Fast::More } else { Fast::Slow })
            }
            None => Err(Fast::Slow),
        }
    };
    let i = expect(skip_ws(0), b"<si>")?;
    let i = skip_ws(i);
    let (i, preserve) = match expect(i, b"<t>") {
        Ok(i) => (i, false),
        Err(Fast::Slow) => (expect(i, b"<t xml:space=\"preserve\">")?, true),
        Err(e) => return Err(e),
    };
    let Some(lt) = until_lt(b, i) else { return Err(more) };
    let text = s.get(i..lt).ok_or(Fast::Slow)?;
    if text.bytes().any(|c| matches!(c, b'&' | b'\r')) {
        return Err(Fast::Slow);
    }
    let i = expect(lt, b"</t>")?;
    let i = expect(skip_ws(i), b"</si>")?;
    // Excel trims a run's surrounding white space unless it is kept — but not a run of
    // white space alone (as `rich_string`).
    const WS: [char; 4] = [' ', '\t', '\r', '\n'];
    let trimmed = text.trim_matches(WS);
    let run = if !preserve && !trimmed.is_empty() { trimmed } else { text };
    let string = if run.contains("_x") { Cow::Owned(unescape_excel(run)) } else { Cow::Borrowed(run) };
    Ok((string, i))
}

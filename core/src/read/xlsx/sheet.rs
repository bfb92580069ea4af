//! One worksheet part, read row by row into cells: each `<c>`'s type, style and value.

use super::fast::{self, Fast};
use super::window::{Cursor, Stop, Xml};
use super::*;

pub(super) struct SheetReader<'a> {
    strings: &'a Strings,
    /// Per style: how numbers read and the table's format index.
    styles: &'a [(Kind, u16)],
    is_1904: bool,
    /// Whether `<sheetData>` has begun.
    in_data: bool,
    /// The row and column of the next cell without a reference.
    at: (u32, u32),
    /// The qualified name of the element being read (`v`, `is`, `f`, `t`), reused.
    end: String,
}

/// The children of a cell.
pub(super) enum Child {
    V,
    Is,
    F,
}

/// A cell's `t` attribute.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Type<'t> {
    /// No `t`: a number, or text when it does not read as one.
    Absent,
    Number,
    Shared,
    Bool,
    Error,
    Str,
    Inline,
    Date,
    Other(&'t str),
}

impl<'t> Type<'t> {
    pub(super) fn of(t: &'t str) -> Type<'t> {
        match t {
            "n" => Type::Number,
            "s" => Type::Shared,
            "b" => Type::Bool,
            "e" => Type::Error,
            "str" => Type::Str,
            "inlineStr" | "is" => Type::Inline,
            "d" => Type::Date,
            other => Type::Other(other),
        }
    }
}

impl SheetReader<'_> {
    pub(super) fn new<'a>(strings: &'a Strings, styles: &'a [(Kind, u16)], is_1904: bool) -> SheetReader<'a> {
        SheetReader { strings, styles, is_1904, in_data: false, at: (0, 0), end: String::new() }
    }

    /// Reads one unit of the sheet — what comes before `<sheetData>`, or one cell with the
    /// row tags before it — and only once it is whole, keeps it (the cell in `cells`).
    /// `false` at the end of `<sheetData>`.
    pub(super) fn unit(
        &mut self,
        cursor: &mut Cursor<'_>,
        cells: &mut Cells,
    ) -> std::result::Result<bool, Stop> {
        if let (true, (Some(text), more)) = (self.in_data && fast::on(), cursor.rest_text()) {
            match fast::cell(text, more, cursor.depth(), self.at, self.strings, self.styles, self.is_1904)? {
                Fast::Cell(cell) => {
                    if !cells.push_in_order(cell.at, cell.value, self.format(cell.style))? {
                        return Err(Stop::OutOfOrder);
                    }
                    self.at = cell.next;
                    cursor.keep(cell.len, cell.depth);
                    return Ok(true);
                }
                Fast::More => return Err(Stop::More(None)),
                Fast::Slow => {}
            }
        }
        let rest = cursor.rest();
        let mut xml = cursor.xml();
        let more = self.slow_unit(&mut xml, rest, cells)?;
        cursor.keep_read(&xml);
        Ok(more)
    }

    /// A cell style's format index in the table (a cell without a style has the workbook's
    /// first).
    fn format(&self, style: Option<usize>) -> u16 {
        self.styles.get(style.unwrap_or(0)).map_or(0, |&(_, f)| f)
    }

    /// [`SheetReader::unit`] with quick-xml, for what the fast path does not read.
    fn slow_unit(
        &mut self,
        xml: &mut Xml<'_>,
        data: &[u8],
        cells: &mut Cells,
    ) -> std::result::Result<bool, Stop> {
        if !self.in_data {
            let mut first = None;
            loop {
                match xml.next()? {
                    Event::Start(e) if local(e.name().as_ref()) == "sheetData" => {
                        self.in_data = true;
                        return Ok(!xml.closed_itself(data));
                    }
                    Event::Start(e) => {
                        first.get_or_insert_with(|| local(e.name().as_ref()).to_owned());
                    }
                    Event::Eof => {
                        return Err(Stop::Xml(match first {
                            Some(kind) if kind != "worksheet" => format!("not a worksheet (a {kind})"),
                            _ => "the worksheet has no cells part".to_owned(),
                        }));
                    }
                    _ => {}
                }
            }
        }
        let (mut row, mut col) = self.at;
        loop {
            match xml.next()? {
                Event::Start(e) if local(e.name().as_ref()) == "row" => {
                    row = row_start(e.attributes_raw(), row)?;
                }
                Event::End(e) if local(e.name().as_ref()) == "row" => {
                    row = row.saturating_add(1);
                    col = 0;
                }
                Event::Start(e) if local(e.name().as_ref()) == "c" => {
                    let CellStart { at, style, ty } = cell_start(e.attributes_raw(), row, &mut col)?;
                    let value = self.cell(xml, style, ty)?;
                    // The cell is whole: keep it.
                    if !cells.push_in_order(at, value, self.format(style))? {
                        return Err(Stop::OutOfOrder);
                    }
                    self.at = (row, col.saturating_add(1));
                    return Ok(true);
                }
                Event::End(e) if local(e.name().as_ref()) == "sheetData" => return Ok(false),
                Event::Eof => return Err(Stop::Xml("the cells end early".into())),
                _ => {}
            }
        }
    }

    /// A cell's value, from its children up to `</c>` (the last child's value counts).
    pub(super) fn cell(
        &mut self,
        xml: &mut Xml<'_>,
        style: Option<usize>,
        ty: Type<'_>,
    ) -> std::result::Result<Value, Stop> {
        let mut value = Value::Empty;
        loop {
            let child = match xml.next()? {
                Event::Start(e) => {
                    self.end.clear();
                    self.end.push_str(e.name().as_ref());
                    match local(e.name().as_ref()) {
                        "v" => Child::V,
                        "is" => Child::Is,
                        "f" => Child::F,
                        other => return Err(Stop::Xml(format!("unexpected <{other}> in a cell"))),
                    }
                }
                Event::End(e) if local(e.name().as_ref()) == "c" => return Ok(value),
                Event::Eof => return Err(Stop::Xml("a cell ends early".into())),
                _ => continue,
            };
            value = match (child, ty) {
                (Child::Is, _) => Value::Text(rich_string(xml, &self.end, &mut String::new())?),
                (Child::F, _) | (Child::V, Type::Inline) => {
                    xml.skip(&self.end)?;
                    Value::Empty
                }
                // Numbers, indexes, booleans and error codes are plain ASCII: read in place.
                (Child::V, Type::Absent | Type::Number | Type::Shared | Type::Bool | Type::Error) => {
                    match xml.next()? {
                        Event::Text(text) => {
                            let v = plain(self.strings, self.styles, self.is_1904, style, ty, &text)?;
                            xml.skip(&self.end)?;
                            v
                        }
                        // `<v></v>`: empty, and already closed.
                        Event::End(e) if e.name().as_ref() == self.end => Value::Empty,
                        Event::Eof => return Err(Stop::Xml("a value ends early".into())),
                        _ => {
                            xml.skip(&self.end)?;
                            Value::Empty
                        }
                    }
                }
                (Child::V, Type::Str) => Value::Text(unescape_excel(&self.text(xml)?)),
                (Child::V, Type::Date) => Value::DateIso(self.text(xml)?),
                (Child::V, Type::Other(t)) => return Err(Stop::Xml(format!("unknown cell type \"{t}\""))),
            };
        }
    }

    /// The text of the element being read, up to its end tag, entities expanded, line ends
    /// normalised.
    pub(super) fn text(&mut self, xml: &mut Xml<'_>) -> std::result::Result<String, Stop> {
        let mut out = String::new();
        loop {
            match xml.next()? {
                Event::Text(t) => out.push_str(&t.xml10_content()),
                Event::CData(t) => out.push_str(&t.xml10_content()),
                Event::GeneralRef(r) => entity(&r, &mut out).map_err(Stop::Xml)?,
                Event::End(e) if e.name().as_ref() == self.end => return Ok(out),
                Event::Eof => return Err(Stop::Xml("a value ends early".into())),
                _ => {}
            }
        }
    }
}

/// A `<row>`'s number from its attributes: its `r`, or (without one) `row`, the next.
pub(super) fn row_start(attrs: &str, row: u32) -> std::result::Result<u32, Stop> {
    match raw_attrs(attrs, ["r"]).map_err(Stop::Xml)? {
        [Some(r)] => cell_ref(r.as_bytes()).map(|(r, _)| r).map_err(Stop::Xml),
        [None] => Ok(row),
    }
}

/// A `<c>`'s attributes, read.
pub(super) struct CellStart<'a> {
    /// Where it is (without a reference, the next position).
    pub(super) at: (u32, u32),
    pub(super) style: Option<usize>,
    pub(super) ty: Type<'a>,
}

/// A `<c>`'s attributes: where it is (without a reference, at `row` and `col`, the next
/// position; with one, `col` moves to it), its style and its type.
pub(super) fn cell_start<'a>(
    attrs: &'a str,
    row: u32,
    col: &mut u32,
) -> std::result::Result<CellStart<'a>, Stop> {
    let [r, s, ty] = raw_attrs(attrs, ["r", "s", "t"]).map_err(Stop::Xml)?;
    let at = match r.map(|r| cell_ref(r.as_bytes())).transpose().map_err(Stop::Xml)? {
        Some((r, Some(c))) => {
            *col = c;
            (r, c)
        }
        Some((_, None)) => return Err(Stop::Xml("a cell reference without a column".into())),
        None => (row, *col),
    };
    let style = s.map(|s| s.parse::<usize>().unwrap_or(0));
    Ok(CellStart { at, style, ty: ty.map_or(Type::Absent, Type::of) })
}

/// A plain `<v>` value (number, shared string index, boolean, error code) by the cell's
/// type and style.
pub(super) fn plain(
    strings: &Strings,
    styles: &[(Kind, u16)],
    is_1904: bool,
    style: Option<usize>,
    ty: Type<'_>,
    v: &str,
) -> std::result::Result<Value, Stop> {
    Ok(match ty {
        Type::Shared if v.is_empty() => Value::Empty,
        Type::Shared => {
            let i = v.parse::<usize>().unwrap_or(0);
            let s = strings.get(i).ok_or_else(|| Stop::Xml(format!("shared string {i} does not exist")))?;
            Value::Text(s.to_owned())
        }
        Type::Bool => match v.trim() {
            "" => Value::Empty,
            "0" => Value::Bool(false),
            "1" => Value::Bool(true),
            t if t.eq_ignore_ascii_case("false") => Value::Bool(false),
            t if t.eq_ignore_ascii_case("true") => Value::Bool(true),
            t => return Err(Stop::Xml(format!("\"{t}\" is not a boolean"))),
        },
        Type::Error => Value::Error(v.to_owned()),
        _ if v.is_empty() => Value::Empty,
        _ => match v.parse::<f64>() {
            Ok(n) => {
                let kind = match style {
                    Some(s) => styles.get(s).map_or(Kind::Number, |&(k, _)| k),
                    None => Kind::Number,
                };
                let date = |kind| Value::Date(ExcelDate { serial: n, is_1904, kind });
                match kind {
                    Kind::Number => Value::Float(n),
                    Kind::Date => date(DateKind::DateTime),
                    Kind::Duration => date(DateKind::Duration),
                }
            }
            Err(_) if ty == Type::Absent => Value::Text(v.to_owned()),
            Err(e) => return Err(Stop::Xml(format!("\"{v}\": {e}"))),
        },
    })
}

/// A cell reference (`B7`, or a row number alone) as a 0-based row and optional column.
pub(super) fn cell_ref(r: &[u8]) -> std::result::Result<(u32, Option<u32>), String> {
    let bad = || format!("\"{}\" is not a cell reference", String::from_utf8_lossy(r));
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let (col, row) = r.split_at(letters);
    let mut c = 0u32;
    for b in col {
        c = c
            .checked_mul(26)
            .and_then(|c| c.checked_add(u32::from(b.to_ascii_uppercase() - b'A') + 1))
            .ok_or_else(bad)?;
    }
    if row.is_empty() || !row.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let mut n = 0u32;
    for b in row {
        n = n.checked_mul(10).and_then(|n| n.checked_add(u32::from(b - b'0'))).ok_or_else(bad)?;
    }
    let row = n.checked_sub(1).ok_or_else(bad)?;
    Ok((row, c.checked_sub(1)))
}

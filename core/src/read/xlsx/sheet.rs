//! One worksheet part, read row by row into cells: each `<c>`'s type, style and value.

use super::*;

/// Why a sheet stopped being read.
pub(super) enum Stop {
    /// Too many cells (the collector's error).
    Read(ReadError),
    /// The XML is not a readable sheet.
    Xml(String),
}

impl From<ReadError> for Stop {
    fn from(e: ReadError) -> Stop {
        Stop::Read(e)
    }
}

impl From<quick_xml::Error> for Stop {
    fn from(e: quick_xml::Error) -> Stop {
        Stop::Xml(e.to_string())
    }
}

pub(super) struct SheetReader<'a, R> {
    xml: Reader<R>,
    strings: &'a [String],
    /// Per style: how numbers read and the table's format index.
    styles: &'a [(Kind, u16)],
    is_1904: bool,
    /// The qualified name of the element being read (`v`, `is`, `f`, `t`), reused.
    end: String,
    /// The buffer of a cell's children, reused from cell to cell.
    inner: Vec<u8>,
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

impl<R: BufRead> SheetReader<'_, R> {
    pub(super) fn new<'a>(
        xml: Reader<R>,
        strings: &'a [String],
        styles: &'a [(Kind, u16)],
        is_1904: bool,
    ) -> SheetReader<'a, R> {
        SheetReader { xml, strings, styles, is_1904, end: String::new(), inner: Vec::with_capacity(256) }
    }

    pub(super) fn read(&mut self, cells: &mut Cells) -> std::result::Result<(), Stop> {
        let mut buf = Vec::with_capacity(1024);
        let mut first = None;
        loop {
            buf.clear();
            match self.xml.read_event_into(&mut buf)? {
                Event::Start(e) if local(e.name().as_ref()) == "sheetData" => break,
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
        let (mut row, mut col) = (0u32, 0u32);
        loop {
            buf.clear();
            match self.xml.read_event_into(&mut buf)? {
                Event::Start(e) if local(e.name().as_ref()) == "row" => {
                    if let Some(r) = attr(&e, "r").map_err(Stop::Xml)? {
                        row = cell_ref(r.as_bytes()).map(|(r, _)| r).map_err(Stop::Xml)?;
                    }
                }
                Event::End(e) if local(e.name().as_ref()) == "row" => {
                    row = row.saturating_add(1);
                    col = 0;
                }
                Event::Start(e) if local(e.name().as_ref()) == "c" => {
                    let [r, s, ty] = raw_attrs(e.attributes_raw(), ["r", "s", "t"]).map_err(Stop::Xml)?;
                    let at = r.map(|r| cell_ref(r.as_bytes())).transpose().map_err(Stop::Xml)?;
                    let style = s.map(|s| s.parse::<usize>().unwrap_or(0));
                    let at = match at {
                        Some((r, Some(c))) => {
                            col = c;
                            (r, c)
                        }
                        Some((_, None)) => return Err(Stop::Xml("a cell reference without a column".into())),
                        None => (row, col),
                    };
                    let ty = ty.map_or(Type::Absent, Type::of);
                    let value = self.cell(style, ty)?;
                    // A cell without a style has the workbook's first (its numbers never dates).
                    let format = self.styles.get(style.unwrap_or(0)).map_or(0, |&(_, f)| f);
                    cells.push_styled(at, value, format)?;
                    col = col.saturating_add(1);
                }
                Event::End(e) if local(e.name().as_ref()) == "sheetData" => return Ok(()),
                Event::Eof => return Err(Stop::Xml("the cells end early".into())),
                _ => {}
            }
        }
    }

    /// A cell's value, from its children up to `</c>` (the last child's value counts).
    pub(super) fn cell(&mut self, style: Option<usize>, ty: Type<'_>) -> std::result::Result<Value, Stop> {
        let mut value = Value::Empty;
        loop {
            self.inner.clear();
            let child = match self.xml.read_event_into(&mut self.inner)? {
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
                (Child::Is, _) => {
                    let end = std::mem::take(&mut self.end);
                    let text = rich_string(&mut self.xml, &end, &mut Scratch::default()).map_err(Stop::Xml);
                    self.end = end;
                    Value::Text(text?)
                }
                (Child::F, _) | (Child::V, Type::Inline) => {
                    self.skip()?;
                    Value::Empty
                }
                // Numbers, indexes, booleans and error codes are plain ASCII: read in place.
                (Child::V, Type::Absent | Type::Number | Type::Shared | Type::Bool | Type::Error) => {
                    self.inner.clear();
                    let v = match self.xml.read_event_into(&mut self.inner)? {
                        Event::Text(text) => {
                            Some(plain(self.strings, self.styles, self.is_1904, style, ty, &text)?)
                        }
                        // `<v></v>`: empty, and already closed.
                        Event::End(e) if e.name().as_ref() == self.end => None,
                        Event::Eof => return Err(Stop::Xml("a value ends early".into())),
                        _ => Some(Value::Empty),
                    };
                    match v {
                        Some(v) => {
                            self.skip()?;
                            v
                        }
                        None => Value::Empty,
                    }
                }
                (Child::V, Type::Str) => Value::Text(unescape_excel(&self.text()?)),
                (Child::V, Type::Date) => Value::DateIso(self.text()?),
                (Child::V, Type::Other(t)) => return Err(Stop::Xml(format!("unknown cell type \"{t}\""))),
            };
        }
    }

    /// The text of the element being read, up to its end tag, entities expanded, line ends
    /// normalised.
    pub(super) fn text(&mut self) -> std::result::Result<String, Stop> {
        let mut out = String::new();
        loop {
            self.inner.clear();
            match self.xml.read_event_into(&mut self.inner)? {
                Event::Text(t) => out.push_str(&t.xml10_content()),
                Event::CData(t) => out.push_str(&t.xml10_content()),
                Event::GeneralRef(r) => entity(&r, &mut out).map_err(Stop::Xml)?,
                Event::End(e) if e.name().as_ref() == self.end => return Ok(out),
                Event::Eof => return Err(Stop::Xml("a value ends early".into())),
                _ => {}
            }
        }
    }

    /// Skips to the end of the element being read.
    pub(super) fn skip(&mut self) -> std::result::Result<(), Stop> {
        self.inner.clear();
        self.xml.read_to_end_into(quick_xml::name::QName(&self.end), &mut self.inner)?;
        Ok(())
    }
}

/// A plain `<v>` value (number, shared string index, boolean, error code) by the cell's
/// type and style.
pub(super) fn plain(
    strings: &[String],
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
            Value::Text(s.clone())
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
pub(super) fn cell_ref(r: &[u8]) -> Result<(u32, Option<u32>)> {
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

//! Excel 2, 3 and 4 worksheets (BIFF2–BIFF4), and Excel 5 worksheets saved as a bare
//! stream: records with no container, one sheet a file (Excel 4's workbooks bundle such
//! sheets after their own globals). calamine reads BIFF5 and later workbooks in a compound
//! file only, so these are read here, after the OpenOffice.org
//! documentation of the Excel file format (sections 4 and 5: BOF, LABEL, RSTRING, NUMBER,
//! INTEGER, RK, MULRK, BOOLERR, FORMULA and STRING, FORMAT, XF, CODEPAGE, DATEMODE,
//! BUNDLESHEET).
//!
//! Cells are the values Excel stored, formula cells their cached results; a number shows
//! through its format (BIFF2: the cell's own format index; BIFF3 and 4: its XF's).

use super::cells::{Book, Cells};
use super::xlsx::{Kind, code_kind};
use super::{Format, ReadError};
use crate::format::CellFormat;
use crate::value::{DateKind, ExcelDate, Value};

use super::OLD_BOFS as BOFS;

const EOF: u16 = 0x000A;

fn corrupt(detail: impl Into<String>) -> ReadError {
    ReadError::Corrupt { format: Format::Xls, detail: detail.into() }
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn f64_at(d: &[u8], at: usize) -> Option<f64> {
    Some(f64::from_le_bytes(d.get(at..at + 8)?.try_into().ok()?))
}

/// An RK number: a 30-bit integer or the top of an f64, optionally divided by 100.
fn rk(v: u32) -> f64 {
    let n = if v & 2 != 0 { f64::from((v as i32) >> 2) } else { f64::from_bits(u64::from(v & !3) << 32) };
    if v & 1 != 0 { n / 100.0 } else { n }
}

fn error_text(code: u8) -> &'static str {
    match code {
        0x00 => "#NULL!",
        0x07 => "#DIV/0!",
        0x0F => "#VALUE!",
        0x17 => "#REF!",
        0x1D => "#NAME?",
        0x24 => "#NUM!",
        _ => "#N/A",
    }
}

/// The state of one sheet being read.
struct Sheet {
    cells: Cells,
    /// A formula whose text result comes in the next STRING record.
    pending: Option<(u32, u32)>,
}

/// The workbook-wide tables: formats (in order, or by index in BIFF4), each XF's format,
/// the code page and date system.
#[derive(Default)]
struct Globals {
    formats: Vec<(u16, String)>,
    xf_format: Vec<u16>,
    code_page: Option<u16>,
    date1904: bool,
}

impl Globals {
    /// Bytes in the file's code page (Windows-1252 when it names none the tables hold).
    fn text(&self, bytes: &[u8]) -> String {
        match self.code_page.and_then(super::legacy_text::table) {
            Some(cp) => cp.decode(bytes),
            None => super::delimited::windows_1252(bytes),
        }
    }

    fn format(&self, index: u16) -> (Option<CellFormat>, Kind) {
        match self.formats.iter().find(|(i, _)| *i == index) {
            Some((_, code)) => (CellFormat::of_id(u32::from(index), Some(code)), code_kind(code)),
            None => (None, Kind::Number),
        }
    }
}

/// Reads a BIFF2–BIFF4 file.
pub(super) fn open(bytes: &[u8]) -> Result<Book, ReadError> {
    let mut g = Globals::default();
    let mut book = Book::default();
    let mut names: Vec<(String, bool)> = Vec::new();
    let mut sheet: Option<Sheet> = None;
    let mut biff2 = false;
    let mut pos = 0usize;
    while let Some(head) = bytes.get(pos..pos + 4) {
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        // A file cut inside a record: what came before it is read, as Excel does.
        let Some(d) = bytes.get(pos + 4..pos + 4 + len) else { break };
        pos += 4 + len;
        if BOFS.contains(&typ) {
            biff2 = typ == 0x0009;
            if typ == 0x0809 && u16_at(d, 0).is_some_and(|v| v >= 0x0600) && u16_at(d, 2) == Some(0x0010) {
                // BIFF8 cells name their text by the workbook's string table: a worksheet
                // stream without its workbook has none to read.
                return Err(corrupt("it is an Excel 97–2003 worksheet without its workbook"));
            }
            // A worksheet (0x0010) starts a sheet; Excel 4's workbook globals (0x0100) and
            // chart or macro sheets do not.
            if u16_at(d, 2) == Some(0x0010) && sheet.is_none() {
                let n = book.sheets.len();
                let (name, hidden) =
                    names.get(n).cloned().unwrap_or_else(|| (format!("Sheet{}", n + 1), false));
                sheet = Some(Sheet { cells: Cells::new(&name), pending: None });
                book.sheets.push((name, None, hidden));
            }
            continue;
        }
        if typ == EOF {
            finish(&mut book, sheet.take(), &g);
            continue;
        }
        match typ {
            0x0042 => g.code_page = u16_at(d, 0),
            0x0022 => g.date1904 = u16_at(d, 0) == Some(1),
            0x002F => return Err(ReadError::PasswordProtected),
            // FORMAT: BIFF2 and 3 number them in order; BIFF4 gives the index.
            0x001E | 0x041E => {
                let (index, at) = if typ == 0x041E {
                    (u16_at(d, 0).unwrap_or_default(), 2)
                } else {
                    (u16::try_from(g.formats.len()).unwrap_or(u16::MAX), 0)
                };
                if let Some(&n) = d.get(at) {
                    let code = d.get(at + 1..at + 1 + usize::from(n)).unwrap_or_default();
                    g.formats.push((index, g.text(code)));
                }
            }
            // XF (BIFF3, BIFF4): font, then the format's index; BIFF5: both 16-bit.
            0x0243 | 0x0443 => g.xf_format.push(d.get(1).copied().map_or(0, u16::from)),
            0x00E0 => g.xf_format.push(u16_at(d, 2).unwrap_or(0)),
            // BUNDLESHEET (Excel 4 workbooks): offset, visibility, type, name.
            0x008F => {
                let hidden = d.get(4).is_some_and(|v| *v != 0);
                let n = d.get(6).copied().map_or(0, usize::from);
                let name = g.text(d.get(7..7 + n).unwrap_or_default());
                names.push((name, hidden));
            }
            _ => {
                if let Some(s) = &mut sheet {
                    cell(s, &g, biff2, typ, d)?;
                }
            }
        }
    }
    // A file that ends without its EOF record: what it holds is read.
    finish(&mut book, sheet.take(), &g);
    if book.sheets.is_empty() {
        return Err(corrupt("it holds no worksheet"));
    }
    Ok(book)
}

/// Builds the table of the sheet just read.
fn finish(book: &mut Book, sheet: Option<Sheet>, g: &Globals) {
    if let Some(s) = sheet {
        let mut cells = s.cells;
        cells.date1904 = g.date1904;
        if let Some(last) = book.sheets.last_mut() {
            last.1 = Some(cells);
        }
    }
}

/// Reads one record of a sheet (`biff2`: an Excel 2 file, whose cells carry attribute
/// bytes where later ones carry an XF index).
fn cell(s: &mut Sheet, g: &Globals, biff2: bool, typ: u16, d: &[u8]) -> Result<(), ReadError> {
    // STRING: a formula's text result (BIFF2: an 8-bit length; later: 16-bit).
    if matches!(typ, 0x0007 | 0x0207) {
        if let Some((r, c)) = s.pending.take() {
            let text = if typ == 0x0007 {
                d.get(1..1 + d.first().copied().map_or(0, usize::from))
            } else {
                d.get(2..2 + u16_at(d, 0).map_or(0, usize::from))
            };
            if let Some(t) = text {
                s.cells.push_styled((r, c), Value::Text(g.text(t)), 0)?;
            }
        }
        return Ok(());
    }
    let (Some(row), Some(col)) = (u16_at(d, 0), u16_at(d, 2)) else { return Ok(()) };
    let at = (u32::from(row), u32::from(col));
    if typ == 0x00BD {
        // MULRK: a run of (XF, RK) pairs from `col`.
        let pairs = d.get(4..d.len().saturating_sub(2)).unwrap_or_default();
        for (k, pair) in pairs.chunks_exact(6).enumerate() {
            let xf = u16::from_le_bytes([pair[0], pair[1]]);
            let value = rk(u32::from_le_bytes([pair[2], pair[3], pair[4], pair[5]]));
            let c = at.1.saturating_add(u32::try_from(k).unwrap_or(u32::MAX));
            push_number(s, g, g.xf_format.get(usize::from(xf)).copied().unwrap_or(0), (at.0, c), value)?;
        }
        return Ok(());
    }
    // BIFF2 cells carry 3 attribute bytes (the format index in the second's low 6 bits);
    // BIFF3 and 4 cells an XF index.
    let (format_index, data_at) = if biff2 {
        (d.get(5).map_or(0, |b| u16::from(b & 0x3F)), 7)
    } else {
        let xf = u16_at(d, 4).unwrap_or_default();
        (g.xf_format.get(usize::from(xf)).copied().unwrap_or(0), 6)
    };
    let (format, kind) = g.format(format_index);
    let number = |n: f64| number_value(n, kind, g.date1904);
    let value = match typ {
        0x0002 => u16_at(d, data_at).map(|v| Value::Int(i64::from(v))),
        0x0003 | 0x0203 => f64_at(d, data_at).map(number),
        0x027E => d.get(6..10).and_then(|b| b.try_into().ok()).map(|b| number(rk(u32::from_le_bytes(b)))),
        0x0004 => {
            let n = d.get(data_at).copied().map_or(0, usize::from);
            d.get(data_at + 1..data_at + 1 + n).map(|b| Value::Text(g.text(b)))
        }
        0x0204 | 0x00D6 => {
            let n = u16_at(d, 6).map_or(0, usize::from);
            d.get(8..8 + n).map(|b| Value::Text(g.text(b)))
        }
        0x0005 | 0x0205 => match (d.get(data_at), d.get(data_at + 1)) {
            (Some(v), Some(0)) => Some(Value::Bool(*v != 0)),
            (Some(v), Some(_)) => Some(Value::Error(error_text(*v).into())),
            _ => None,
        },
        0x0006 | 0x0206 | 0x0406 => {
            let Some(result) = d.get(data_at..data_at + 8) else { return Ok(()) };
            if result[6..8] != [0xFF, 0xFF] {
                f64_at(result, 0).map(number)
            } else {
                match result[0] {
                    0 => {
                        s.pending = Some(at);
                        None
                    }
                    1 => Some(Value::Bool(result[2] != 0)),
                    2 => Some(Value::Error(error_text(result[2]).into())),
                    _ => None,
                }
            }
        }
        _ => return Ok(()),
    };
    match value {
        Some(v) => push(s, at, v, format),
        None => Ok(()),
    }
}

/// A number as its format shows it: a date or a duration when the format shows one.
fn number_value(n: f64, kind: Kind, is_1904: bool) -> Value {
    match kind {
        Kind::Number => Value::Float(n),
        Kind::Date => Value::Date(ExcelDate { serial: n, is_1904, kind: DateKind::DateTime }),
        Kind::Duration => Value::Date(ExcelDate { serial: n, is_1904, kind: DateKind::Duration }),
    }
}

fn push(s: &mut Sheet, at: (u32, u32), v: Value, format: Option<CellFormat>) -> Result<(), ReadError> {
    let style = match format {
        Some(f) => s.cells.intern(f),
        None => 0,
    };
    s.cells.push_styled(at, v, style)
}

/// A number cell through the format of index `format_index`.
fn push_number(
    s: &mut Sheet,
    g: &Globals,
    format_index: u16,
    at: (u32, u32),
    n: f64,
) -> Result<(), ReadError> {
    let (format, kind) = g.format(format_index);
    push(s, at, number_value(n, kind, g.date1904), format)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        [&typ.to_le_bytes()[..], &(data.len() as u16).to_le_bytes(), data].concat()
    }

    /// A BIFF2 cell record: row, column, 3 attribute bytes (the format index in the
    /// second), then `rest`.
    fn cell2(typ: u16, row: u16, col: u16, format: u8, rest: &[u8]) -> Vec<u8> {
        record(typ, &[&row.to_le_bytes()[..], &col.to_le_bytes(), &[0, format, 0], rest].concat())
    }

    /// A BIFF3/4 cell record: row, column, XF index, then `rest`.
    fn cell4(typ: u16, row: u16, col: u16, xf: u16, rest: &[u8]) -> Vec<u8> {
        record(typ, &[&row.to_le_bytes()[..], &col.to_le_bytes(), &xf.to_le_bytes(), rest].concat())
    }

    fn short(s: &[u8]) -> Vec<u8> {
        [&[s.len() as u8][..], s].concat()
    }

    /// An Excel 2 worksheet: texts, a formatted number and date, a boolean, an error, an
    /// integer, and a formula whose result is text.
    pub(crate) fn excel2() -> Vec<u8> {
        let string_result = [0u8, 0, 0, 0, 0, 0, 0xFF, 0xFF];
        [
            record(0x0009, &[0, 0, 0x10, 0]),
            record(0x001E, &short(b"General")),
            record(0x001E, &short(b"#,##0.00")),
            record(0x001E, &short(b"yyyy-mm-dd")),
            cell2(0x0004, 0, 0, 0, &short(b"Name")),
            cell2(0x0004, 0, 1, 0, &short(b"Amount")),
            cell2(0x0004, 0, 2, 0, &short(b"Joined")),
            cell2(0x0004, 0, 3, 0, &short(b"Ok")),
            cell2(0x0004, 0, 4, 0, &short(b"Calc")),
            cell2(0x0004, 1, 0, 0, &short(b"Caf\xe9")),
            cell2(0x0003, 1, 1, 1, &1234.5f64.to_le_bytes()),
            cell2(0x0003, 1, 2, 2, &45352f64.to_le_bytes()),
            cell2(0x0005, 1, 3, 0, &[1, 0]),
            cell2(0x0006, 1, 4, 0, &[&string_result[..], &[0, 0]].concat()),
            record(0x0007, &short(b"from a formula")),
            cell2(0x0004, 2, 0, 0, &short(b"Bo")),
            cell2(0x0002, 2, 1, 0, &7u16.to_le_bytes()),
            cell2(0x0005, 2, 3, 0, &[0x07, 1]),
            record(0x000A, &[]),
        ]
        .concat()
    }

    /// An Excel 4 worksheet in Mac Central European, with XFs, an indexed format, an RK
    /// number and a formula with a number result.
    pub(crate) fn excel4() -> Vec<u8> {
        let xf = |format: u8| record(0x0443, &[0, format, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let label = |row: u16, col: u16, text: &[u8]| {
            cell4(0x0204, row, col, 0, &[&(text.len() as u16).to_le_bytes()[..], text].concat())
        };
        [
            record(0x0409, &[0, 0, 0x10, 0, 0, 0]),
            record(0x0042, &10029u16.to_le_bytes()),
            record(0x041E, &[&164u16.to_le_bytes()[..], &short(b"0.0 \"kg\"")].concat()),
            xf(0),
            xf(164),
            label(0, 0, b"Name"),
            label(0, 1, b"Weight"),
            label(0, 2, b"Double"),
            label(1, 0, b"\x89apek"),
            cell4(0x0203, 1, 1, 1, &2.5f64.to_le_bytes()),
            // RK: the integer 21, shifted, with the integer flag.
            cell4(0x027E, 1, 2, 0, &((21u32 << 2) | 2).to_le_bytes()),
            label(2, 0, b"Lo"),
            cell4(0x0406, 2, 1, 1, &[&70f64.to_le_bytes()[..], &[0, 0, 0, 0]].concat()),
            record(0x000A, &[]),
        ]
        .concat()
    }

    fn shown(t: &crate::table::Table, row: usize, col: usize) -> String {
        let display = crate::format::CellText::of_table(t, crate::format::Locale::en_us());
        let mut s = String::new();
        display.write(&t.rows[row].values[col], t.rows[row].style(col), &mut s);
        s
    }

    #[test]
    fn an_excel_2_worksheet_reads_with_its_formats() {
        let mut wb = crate::Workbook::open(excel2()).expect("opens");
        assert_eq!((wb.format(), wb.sheet_names()), (Format::Xls, &["Sheet1".to_owned()][..]));
        let t = wb.read(None).expect("reads");
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Name", "Amount", "Joined", "Ok", "Calc"]);
        assert_eq!(t.rows[0].values[0], Value::Text("Café".into()));
        assert_eq!(shown(&t, 0, 1), "1,234.50");
        assert_eq!(shown(&t, 0, 2), "2024-03-01");
        assert!(matches!(t.rows[0].values[2], Value::Date(_)));
        assert_eq!(t.rows[0].values[3], Value::Bool(true));
        assert_eq!(t.rows[0].values[4], Value::Text("from a formula".into()));
        assert_eq!(t.rows[1].values[1], Value::Int(7));
        assert_eq!(t.rows[1].values[3], Value::Error("#DIV/0!".into()));
    }

    #[test]
    fn an_excel_4_worksheet_reads_in_its_code_page() {
        let t = crate::Workbook::open(excel4()).and_then(|mut w| w.read(None)).expect("reads");
        assert_eq!(t.rows[0].values[0], Value::Text("Čapek".into()));
        assert_eq!(shown(&t, 0, 1), "2.5 kg");
        assert_eq!(t.rows[0].values[2], Value::Float(21.0));
        assert_eq!(shown(&t, 1, 1), "70.0 kg", "a formula's cached number");
    }

    #[test]
    fn an_excel_5_worksheet_without_its_container_reads() {
        let xf = |format: u16| record(0x00E0, &[&[0u8, 0][..], &format.to_le_bytes(), &[0; 12]].concat());
        let label = |row: u16, col: u16, typ: u16, text: &[u8]| {
            cell4(typ, row, col, 0, &[&(text.len() as u16).to_le_bytes()[..], text].concat())
        };
        let rk_int = |n: u32| ((n << 2) | 2).to_le_bytes();
        // MULRK: row 1, from column 1: (XF 1, 7), (XF 0, 8); the last column is 2.
        let mulrk = record(
            0x00BD,
            &[
                &1u16.to_le_bytes()[..],
                &1u16.to_le_bytes(),
                &1u16.to_le_bytes(),
                &rk_int(7),
                &0u16.to_le_bytes(),
                &rk_int(8),
                &2u16.to_le_bytes(),
            ]
            .concat(),
        );
        let stream = [
            record(0x0809, &[0, 5, 0x10, 0, 0, 0, 0, 0]),
            record(0x041E, &[&164u16.to_le_bytes()[..], &short(b"0.0")].concat()),
            xf(0),
            xf(164),
            label(0, 0, 0x0204, b"Name"),
            label(0, 1, 0x0204, b"A"),
            label(0, 2, 0x00D6, b"B"),
            label(0, 3, 0x0204, b"C"),
            label(1, 0, 0x0204, b"Ann"),
            mulrk,
            // BIFF5 FORMULA: row, column, XF, the cached result, flags, then the expression.
            cell4(0x0006, 1, 3, 1, &[&2.25f64.to_le_bytes()[..], &[0; 8]].concat()),
            record(0x000A, &[]),
        ]
        .concat();
        let t = crate::Workbook::open(stream).and_then(|mut w| w.read(None)).expect("reads");
        assert_eq!(t.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Name", "A", "B", "C"]);
        assert_eq!(
            (shown(&t, 0, 1), shown(&t, 0, 2), shown(&t, 0, 3)),
            ("7.0".into(), "8".into(), "2.3".into())
        );
        let biff8 = record(0x0809, &[0, 6, 0x10, 0, 0, 0, 0, 0]);
        let err = crate::Workbook::open(biff8).expect_err("a BIFF8 sheet alone");
        assert!(err.to_string().contains("without its workbook"), "{err}");
    }

    #[test]
    fn a_workbook_stream_without_its_container_reads_as_the_xls() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/contacts.libreoffice.xls");
        let file = std::fs::read(path).expect("fixture");
        let streams = super::super::cfb::extract(&file, &["Workbook"]).expect("streams");
        let bare = streams.into_iter().next().expect("a Workbook stream").1;
        let emails = |bytes: Vec<u8>| {
            let t = crate::Workbook::open(bytes).and_then(|mut w| w.read(None)).expect("reads");
            t.rows.iter().map(|r| r.values[0].to_text()).collect::<Vec<_>>()
        };
        assert_eq!(emails(bare), emails(file));
    }

    #[test]
    fn cut_and_encrypted_files() {
        let mut cut = excel2();
        cut.truncate(cut.len() - 30);
        let t = crate::Workbook::open(cut).and_then(|mut w| w.read(None)).expect("what precedes the cut");
        assert_eq!(t.rows[0].values[0], Value::Text("Café".into()));
        let protected = [record(0x0009, &[0, 0, 0x10, 0]), record(0x002F, &[1, 2, 3, 4])].concat();
        assert!(matches!(crate::Workbook::open(protected), Err(ReadError::PasswordProtected)));
        let no_sheet = record(0x0409, &[0, 0, 0x40, 0, 0, 0]);
        assert!(crate::Workbook::open(no_sheet).is_err(), "a chart alone is no worksheet");
    }
}

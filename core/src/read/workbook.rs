//! Workbooks through calamine: xlsx/xlsm/xlsb are streamed cell by cell; xls and ods come
//! as calamine ranges. xlsb, xls and ods only with the `all-formats` feature.

use std::io::Cursor;

use calamine::{CellErrorType, DataRef, ExcelDateTime, ExcelDateTimeType, Reader, Xlsx, XlsxError};
#[cfg(feature = "all-formats")]
use calamine::{Data, Ods, OdsError, Xls, XlsError, Xlsb, XlsbError};

use super::{Format, MAX_CELLS, ReadError};
use crate::format::CellFormat;
use crate::table::{Table, TableBuilder};
use crate::value::{DateKind, ExcelDate, Value};

type Bytes = Cursor<Vec<u8>>;

pub(super) enum Excel {
    Xlsx(Box<Xlsx<Bytes>>),
    #[cfg(feature = "all-formats")]
    Xlsb(Box<Xlsb<Bytes>>, Box<super::styles::WorkbookStyles>),
    #[cfg(feature = "all-formats")]
    Xls(Box<Xls<Bytes>>, Box<super::styles::WorkbookStyles>),
    #[cfg(feature = "all-formats")]
    Ods(Box<Ods<Bytes>>, Box<super::styles::WorkbookStyles>),
}

#[cfg(feature = "all-formats")]
/// The "EncryptedPackage" stream name in UTF-16LE: an encrypted OOXML file is a CFB
/// container, which must not be mistaken for a corrupt xls.
const ENCRYPTED_PACKAGE: &[u8] = b"E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";

impl Excel {
    pub(super) fn open(bytes: Vec<u8>, format: Format) -> Result<Excel, ReadError> {
        #[cfg(feature = "all-formats")]
        if format == Format::Xls && memchr::memmem::find(&bytes, ENCRYPTED_PACKAGE).is_some() {
            return Err(ReadError::PasswordProtected);
        }
        let cursor = Cursor::new(bytes);
        Ok(match format {
            Format::Xlsx | Format::Xlsm => {
                Excel::Xlsx(Box::new(Xlsx::new(cursor).map_err(|e| xlsx_err(format, e))?))
            }
            #[cfg(not(feature = "all-formats"))]
            Format::Xlsb | Format::Xls | Format::Ods | Format::Csv => {
                return Err(ReadError::NotIncluded(format));
            }
            #[cfg(feature = "all-formats")]
            Format::Xlsb => {
                // calamine's xlsb reader indexes records without checking them (see the guard).
                let (safe, styles) =
                    super::xlsb_guard::sanitize(cursor.into_inner()).map_err(|e| corrupt(Format::Xlsb, e))?;
                Excel::Xlsb(Box::new(Xlsb::new(Cursor::new(safe)).map_err(xlsb_err)?), Box::new(styles))
            }
            #[cfg(feature = "all-formats")]
            Format::Xls => {
                // calamine's container parser panics on some malformed files: give it a
                // container rewritten from checked reads (see `cfb`).
                let (clean, styles) =
                    super::cfb::sanitize(cursor.get_ref()).map_err(|e| corrupt(Format::Xls, e))?;
                Excel::Xls(Box::new(Xls::new(Cursor::new(clean)).map_err(xls_err)?), Box::new(styles))
            }
            #[cfg(feature = "all-formats")]
            Format::Ods | Format::Csv => {
                let styles = super::ods_styles::read(cursor.get_ref());
                Excel::Ods(Box::new(Ods::new(cursor).map_err(ods_err)?), Box::new(styles))
            }
        })
    }

    pub(super) fn sheet_names(&self) -> Vec<String> {
        match self {
            Excel::Xlsx(w) => w.sheet_names(),
            #[cfg(feature = "all-formats")]
            Excel::Xlsb(w, _) => w.sheet_names(),
            #[cfg(feature = "all-formats")]
            Excel::Xls(w, _) => w.sheet_names(),
            #[cfg(feature = "all-formats")]
            Excel::Ods(w, _) => w.sheet_names(),
        }
    }

    pub(super) fn table(&mut self, name: &str) -> Result<Option<Table>, ReadError> {
        let mut cells = Cells::new(name);
        match self {
            Excel::Xlsx(w) => {
                let mut reader = w.worksheet_cells_reader(name).map_err(|e| xlsx_err(Format::Xlsx, e))?;
                let styles = style_formats(reader.styles(), &mut cells.formats);
                while let Some((cell, style)) =
                    reader.next_cell_with_style_id().map_err(|e| xlsx_err(Format::Xlsx, e))?
                {
                    let format = styles.get(style).copied().unwrap_or(0);
                    cells.push_styled(cell.get_position(), from_ref(cell.get_value()), format)?;
                }
            }
            #[cfg(feature = "all-formats")]
            Excel::Xlsb(w, styles) => {
                let mut reader = w.worksheet_cells_reader(name).map_err(xlsb_err)?;
                let sheet = styles.sheet(name);
                while let Some(cell) = reader.next_cell().map_err(xlsb_err)? {
                    let at = cell.get_position();
                    let format = cells.format_index(styles, sheet, at);
                    cells.push_styled(at, from_ref(cell.get_value()), format)?;
                }
            }
            #[cfg(feature = "all-formats")]
            Excel::Xls(w, styles) => {
                let range = w.worksheet_range(name).map_err(xls_err)?;
                cells.push_range(&range, styles)?;
            }
            #[cfg(feature = "all-formats")]
            Excel::Ods(w, styles) => {
                let range = w.worksheet_range(name).map_err(ods_err)?;
                cells.push_range(&range, styles)?;
            }
        }
        Ok(cells.finish())
    }
}

/// Maps calamine's style ids to indexes into the table's distinct formats (0 = General),
/// adding formats to `formats` as they are first seen.
fn style_formats(styles: &[calamine::Style], formats: &mut Vec<CellFormat>) -> Vec<u16> {
    styles
        .iter()
        .map(|style| {
            let Some(nf) = style.number_format.as_ref() else { return 0 };
            let format = match nf.format_id {
                Some(id @ (14 | 22)) => CellFormat::Builtin(id),
                _ if nf.format_code.eq_ignore_ascii_case("general") => return 0,
                _ => CellFormat::Code(nf.format_code.clone()),
            };
            intern(formats, format)
        })
        .collect()
}

/// The index of `format` in `formats`, added if new (0, General, once the table is full).
fn intern(formats: &mut Vec<CellFormat>, format: CellFormat) -> u16 {
    match formats.iter().position(|f| *f == format) {
        Some(i) => u16::try_from(i).unwrap_or(0),
        None if formats.len() < usize::from(u16::MAX) => {
            formats.push(format);
            (formats.len() - 1) as u16
        }
        None => 0,
    }
}

/// Collects non-empty cells (bounded by [`MAX_CELLS`]) and builds the table row by row.
struct Cells<'a> {
    sheet: &'a str,
    cells: Vec<(u32, u32, Value, u16)>,
    sorted: bool,
    /// The sheet's distinct formats; index 0 is General.
    formats: Vec<CellFormat>,
    /// Workbook format index → index in `formats`, so each format is resolved once.
    #[cfg(feature = "all-formats")]
    resolved: std::collections::HashMap<u16, u16>,
}

impl<'a> Cells<'a> {
    fn new(sheet: &'a str) -> Self {
        Cells {
            sheet,
            cells: Vec::new(),
            sorted: true,
            formats: vec![CellFormat::Code("General".into())],
            #[cfg(feature = "all-formats")]
            resolved: std::collections::HashMap::new(),
        }
    }

    #[cfg(feature = "all-formats")]
    fn intern(&mut self, format: CellFormat) -> u16 {
        intern(&mut self.formats, format)
    }

    #[cfg(feature = "all-formats")]
    /// The table format index of a cell of an xls, xlsb or ods sheet, from the workbook's
    /// styles (`sheet` is the sheet's cell styles, looked up once per read).
    fn format_index(
        &mut self,
        styles: &super::styles::WorkbookStyles,
        sheet: Option<&super::styles::CellXfs>,
        at: (u32, u32),
    ) -> u16 {
        let ifmt = styles.format_of(sheet, at);
        if ifmt == 0 {
            return 0;
        }
        if let Some(&index) = self.resolved.get(&ifmt) {
            return index;
        }
        let format = match ifmt {
            14 | 22 => Some(CellFormat::Builtin(u32::from(ifmt))),
            _ => styles
                .formats
                .get(&ifmt)
                .cloned()
                .or_else(|| crate::format::builtin(u32::from(ifmt), crate::format::Locale::en_us()))
                .filter(|code| !code.eq_ignore_ascii_case("general"))
                .map(CellFormat::Code),
        };
        let index = format.map_or(0, |f| self.intern(f));
        self.resolved.insert(ifmt, index);
        index
    }

    #[cfg(feature = "all-formats")]
    /// Adds the used cells of a calamine range (xls, ods) with their formats.
    fn push_range(
        &mut self,
        range: &calamine::Range<Data>,
        styles: &super::styles::WorkbookStyles,
    ) -> Result<(), ReadError> {
        let sheet = styles.sheet(self.sheet);
        let (r0, c0) = range.start().unwrap_or_default();
        for (r, c, v) in range.used_cells() {
            let at = position(r0, c0, r, c);
            let format = self.format_index(styles, sheet, at);
            self.push_styled(at, from_data(v), format)?;
        }
        Ok(())
    }

    fn push_styled(&mut self, (row, col): (u32, u32), value: Value, style: u16) -> Result<(), ReadError> {
        if value.is_blank() {
            return Ok(());
        }
        if self.cells.len() >= MAX_CELLS {
            return Err(ReadError::TooLarge { sheet: self.sheet.to_owned(), limit: MAX_CELLS });
        }
        if let Some(&(r, c, _, _)) = self.cells.last() {
            self.sorted &= (r, c) < (row, col);
        }
        self.cells.push((row, col, value, style));
        Ok(())
    }

    fn finish(mut self) -> Option<Table> {
        if !self.sorted {
            self.cells.sort_by_key(|&(r, c, _, _)| (r, c));
        }
        let mut builder = TableBuilder::default();
        let mut current: Option<u32> = None;
        let mut row_cells = Vec::new();
        for (r, c, v, style) in self.cells {
            if current != Some(r) {
                if let Some(prev) = current {
                    builder.push_row(prev.saturating_add(1), std::mem::take(&mut row_cells));
                }
                current = Some(r);
            }
            row_cells.push((c, v, style));
        }
        if let Some(prev) = current {
            builder.push_row(prev.saturating_add(1), row_cells);
        }
        let mut table = builder.finish(self.sheet.to_owned())?;
        table.formats = self.formats;
        Some(table)
    }
}

#[cfg(feature = "all-formats")]
/// A cell's absolute (row, column) from its range's start and its offset in the range.
fn position(r0: u32, c0: u32, r: usize, c: usize) -> (u32, u32) {
    let add = |base: u32, off: usize| base.saturating_add(u32::try_from(off).unwrap_or(u32::MAX));
    (add(r0, r), add(c0, c))
}

fn date(dt: &ExcelDateTime) -> Value {
    let kind = if dt.is_duration() { DateKind::Duration } else { DateKind::DateTime };
    let ty = if dt.is_duration() { ExcelDateTimeType::TimeDelta } else { ExcelDateTimeType::DateTime };
    // calamine keeps the date system private; an equal value built with `is_1904` reveals it.
    let is_1904 = *dt == ExcelDateTime::new(dt.as_f64(), ty, true);
    Value::Date(ExcelDate { serial: dt.as_f64(), is_1904, kind })
}

fn error(e: &CellErrorType) -> Value {
    Value::Error(e.to_string())
}

fn from_ref(v: &DataRef<'_>) -> Value {
    match v {
        DataRef::Int(i) => Value::Int(*i),
        DataRef::Float(f) => Value::Float(*f),
        DataRef::String(s) => Value::Text(s.clone()),
        DataRef::SharedString(s) => Value::Text((*s).to_owned()),
        DataRef::Bool(b) => Value::Bool(*b),
        DataRef::DateTime(d) => date(d),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::DateIso(s.clone()),
        DataRef::Error(e) => error(e),
        DataRef::Empty => Value::Empty,
    }
}

#[cfg(feature = "all-formats")]
fn from_data(v: &Data) -> Value {
    match v {
        Data::Int(i) => Value::Int(*i),
        Data::Float(f) => Value::Float(*f),
        Data::String(s) => Value::Text(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(d) => date(d),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::DateIso(s.clone()),
        Data::Error(e) => error(e),
        Data::Empty => Value::Empty,
    }
}

fn corrupt(format: Format, detail: impl ToString) -> ReadError {
    ReadError::Corrupt { format, detail: detail.to_string() }
}

fn xlsx_err(format: Format, e: XlsxError) -> ReadError {
    match e {
        XlsxError::Password => ReadError::PasswordProtected,
        e => corrupt(format, e),
    }
}

#[cfg(feature = "all-formats")]
fn xlsb_err(e: XlsbError) -> ReadError {
    match e {
        XlsbError::Password => ReadError::PasswordProtected,
        e => corrupt(Format::Xlsb, e),
    }
}

#[cfg(feature = "all-formats")]
fn xls_err(e: XlsError) -> ReadError {
    match e {
        XlsError::Password => ReadError::PasswordProtected,
        e => corrupt(Format::Xls, e),
    }
}

#[cfg(feature = "all-formats")]
fn ods_err(e: OdsError) -> ReadError {
    match e {
        OdsError::Password => ReadError::PasswordProtected,
        e => corrupt(Format::Ods, e),
    }
}

//! Reading a spreadsheet from its bytes: the format is recognised from the content, then a
//! sheet becomes a [`Table`].

#[cfg(feature = "all-formats")]
mod biff;
#[cfg(feature = "all-formats")]
mod biff_old;
#[cfg(feature = "all-formats")]
pub(crate) mod calamine_adapter;
mod cells;
#[cfg(feature = "all-formats")]
mod cfb;
#[cfg(feature = "all-formats")]
mod code_pages;
#[cfg(feature = "all-formats")]
mod decrypt;
mod delimited;
#[cfg(feature = "all-formats")]
mod html;
#[cfg(feature = "all-formats")]
mod legacy_text;
#[cfg(feature = "all-formats")]
mod ods_styles;
#[cfg(feature = "all-formats")]
mod raw_zip;
#[cfg(feature = "all-formats")]
mod styles;
#[cfg(feature = "all-formats")]
mod xlsb_guard;
mod xlsx;
mod xml2003;

use std::fmt;
use std::ops::ControlFlow;

use crate::table::{Region, Row, SheetWarning, Table};

pub use delimited::{Delimiter, Encoding};

/// The most non-empty cells one sheet may hold. A real mailing list is far smaller; a
/// hostile file that declares millions of cells gets a clear error instead of exhausting
/// memory (which would kill the add-in's WASM module).
pub const MAX_CELLS: usize = 5_000_000;

/// The most values the rows of a table being built may hold at once: each row is as wide as
/// the table's header, empty cells included, so a header with a stray cell far to the right
/// (up to Excel's 16,384 columns) makes every row of one cell 512 KB. Twice [`MAX_CELLS`] (about
/// 320 MB): every list the cell limit lets through, half empty. A streamed read holds a few
/// rows at a time past its head.
pub const MAX_VALUES: usize = 2 * MAX_CELLS;

/// The file formats localmerge reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Office Open XML workbook.
    Xlsx,
    /// Office Open XML workbook with macros.
    Xlsm,
    /// Excel binary workbook.
    Xlsb,
    /// Excel 97–2003 workbook (BIFF).
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
    /// Delimited text: CSV, TSV or TXT.
    Csv,
    /// XML Spreadsheet 2003 (SpreadsheetML), often saved with an `.xls` name.
    Xml2003,
    /// An HTML table, often saved with an `.xls` name by web applications.
    Html,
}

impl Format {
    /// The format of a file, recognised from its content (delimited text when no workbook
    /// format matches).
    pub fn of(bytes: &[u8]) -> Format {
        sniff(bytes).unwrap_or_else(|| {
            let (head, _) = delimited::decode(&bytes[..bytes.len().min(4096)]);
            if bare_biff(bytes).is_some() {
                Format::Xls
            } else if xml2003::is(&head) {
                Format::Xml2003
            } else if is_html(&lower_start(&head)) {
                Format::Html
            } else {
                Format::Csv
            }
        })
    }

    /// Whether this build reads the format: xlsx, xlsm, XML Spreadsheet 2003 and CSV always;
    /// xlsb, xls, ods and HTML tables with the `all-formats` feature (the HTML tokenizer's
    /// character-reference tables are too large for the add-in's first module).
    pub fn is_included(self) -> bool {
        matches!(self, Format::Xlsx | Format::Xlsm | Format::Csv | Format::Xml2003)
            || cfg!(feature = "all-formats")
    }

    /// The format's usual lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xlsb => "xlsb",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Csv => "csv",
            Format::Xml2003 => "xml",
            Format::Html => "html",
        }
    }
}

/// Whether decoded text (its start, lower-cased) is an HTML document or fragment.
fn is_html(head_lower: &str) -> bool {
    head_lower.starts_with('<')
        && (head_lower.contains("<html")
            || head_lower.contains("<table")
            || head_lower.starts_with("<!doctype html"))
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a spreadsheet cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file is empty.
    #[error("the file is empty")]
    EmptyFile,
    /// This build leaves the format out (see [`Format::is_included`]).
    #[error("this build of localmerge does not read {0} files")]
    NotIncluded(Format),
    /// The workbook is encrypted with a password.
    #[error("the workbook is password-protected; save an unprotected copy and use that")]
    PasswordProtected,
    /// The bytes are not a readable workbook of the recognised format.
    #[error("not a readable {format} workbook ({detail})")]
    Corrupt {
        /// The recognised format.
        format: Format,
        /// What the reader said.
        detail: String,
    },
    /// No sheet has that name.
    #[error("there is no sheet named \"{name}\" (sheets: {})", quote_list(available))]
    UnknownSheet {
        /// The requested name.
        name: String,
        /// The workbook's sheets.
        available: Vec<String>,
    },
    /// The chosen sheet has no non-empty row, so no header.
    #[error("sheet \"{0}\" is empty: it needs a header row")]
    EmptySheet(String),
    /// No sheet has a header row and a data row.
    #[error("no sheet has a header row and at least one data row (sheets: {})", quote_list(.0))]
    NoData(Vec<String>),
    /// The file is another kind of document, named (`an XML Spreadsheet 2003 file`).
    #[error("this is {0}, not a spreadsheet localmerge reads; open it in Excel and save it as .xlsx")]
    NotASpreadsheet(&'static str),
    /// No Excel table has that name.
    #[error("there is no table named \"{name}\" (tables: {})", quote_list(available))]
    UnknownTable {
        /// The requested name.
        name: String,
        /// The workbook's tables.
        available: Vec<String>,
    },
    /// A streamed read ([`Workbook::stream_with`]) met a row stored after a later one, once
    /// rows were already handed over.
    #[error(
        "sheet \"{sheet}\" stores its rows out of order, which localmerge reads in order only up to \
         {hold} rows; open the workbook in Excel and save it, which stores them in order"
    )]
    OutOfOrder {
        /// The sheet.
        sheet: String,
        /// How many rows a streamed read holds before handing them over.
        hold: usize,
    },
    /// The sheet holds more cells than localmerge accepts.
    #[error("sheet \"{sheet}\" has more than {limit} non-empty cells, more than a mailing list needs")]
    TooLarge {
        /// The sheet.
        sheet: String,
        /// The limit.
        limit: usize,
    },
    /// The sheet's rows, each as wide as its header, would hold more values than
    /// localmerge keeps ([`MAX_VALUES`]).
    #[error(
        "sheet \"{sheet}\" is too large to read: its header spans {columns} columns, and its rows would hold more than {limit} values; delete any stray cell right of the list's columns, or save the list on a sheet of its own"
    )]
    TooWide {
        /// The sheet.
        sheet: String,
        /// The header's width, in columns.
        columns: usize,
        /// The limit ([`MAX_VALUES`]).
        limit: usize,
    },
}

fn quote_list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".to_owned();
    }
    names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

/// An Excel table (a ListObject: Insert → Table) of a workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcelTable {
    /// The table's name (its `displayName`, as Excel's Name Box shows it).
    pub name: String,
    /// The sheet it is on.
    pub sheet: String,
    /// Its range as Excel writes it (`B3:F20`), header and totals rows included.
    pub range: String,
    /// The rows and columns a merge reads: the header and the data rows.
    pub region: Region,
}

/// Which part of a sheet becomes the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TableChoice {
    /// The sheet's only Excel table when it has exactly one, else the whole sheet.
    #[default]
    OnlyTable,
    /// The whole sheet.
    Sheet,
    /// The Excel table of this name (case-insensitive, as Excel compares them).
    Named(String),
}

/// How to read a sheet: which part, and where its header is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The header's row (1-based) when title rows stand above it; not with a table.
    pub header_row: Option<u32>,
    /// An Excel table, or the whole sheet.
    pub table: TableChoice,
}

/// Where a streamed read ([`Workbook::stream_with`]) hands a sheet's rows.
pub trait RowSink {
    /// The table with its header and first rows (every row, when the sheet is short or its
    /// format is read whole), before any [`RowSink::row`]; its warnings come at the end.
    /// `Break` stops the read.
    fn head(&mut self, head: Table) -> ControlFlow<()>;
    /// The next row after the head's, in sheet order. `Break` stops the read.
    fn row(&mut self, row: Row) -> ControlFlow<()>;
}

/// A sheet read for a [`RowSink`].
enum Streamed {
    /// Read whole: nothing is handed over yet.
    Whole(Table),
    /// Handed over, head and rows: the sheet's warnings.
    Handed(Vec<SheetWarning>),
    /// The sheet failed once rows were handed over: the read fails with it (another sheet
    /// is not tried, as it is when a sheet fails before anything is handed over).
    Failed(ReadError),
}

impl Streamed {
    fn has_rows(&self) -> bool {
        match self {
            Streamed::Whole(t) => !t.rows.is_empty(),
            Streamed::Handed(_) | Streamed::Failed(_) => true,
        }
    }
}

/// Which sheet and region a read takes: one, or the first of several with data rows.
enum Pick {
    One(String, Region),
    First(Vec<(String, Region)>),
}

/// An opened spreadsheet: one sheet for delimited text, one or more for workbooks.
pub struct Workbook {
    format: Format,
    names: Vec<String>,
    /// The sheets Excel's user does not see: never chosen by default.
    hidden: Vec<String>,
    inner: Inner,
}

enum Inner {
    Delimited(delimited::Text),
    Xlsx(xlsx::Xlsx),
    /// Read whole when opened: XML Spreadsheet 2003, HTML tables, Excel 2–4 worksheets.
    Whole(cells::Book),
    #[cfg(feature = "all-formats")]
    Excel(calamine_adapter::Excel),
}

impl fmt::Debug for Workbook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workbook")
            .field("format", &self.format)
            .field("sheets", &self.names)
            .finish_non_exhaustive()
    }
}

impl Workbook {
    /// Opens a spreadsheet from its bytes. The format comes from the content, not a name.
    pub fn open(bytes: Vec<u8>) -> Result<Workbook, ReadError> {
        if bytes.is_empty() {
            return Err(ReadError::EmptyFile);
        }
        match sniff(&bytes) {
            Some(format @ (Format::Xlsx | Format::Xlsm)) => {
                let xlsx = xlsx::Xlsx::open(bytes, format)?;
                let (names, hidden) = (xlsx.sheet_names(), xlsx.hidden_sheets());
                Ok(Workbook { format, names, hidden, inner: Inner::Xlsx(xlsx) })
            }
            #[cfg(not(feature = "all-formats"))]
            Some(format) => Err(ReadError::NotIncluded(format)),
            // An encrypted Office Open XML workbook: opened when Excel's default password
            // opens it, as Excel does.
            #[cfg(feature = "all-formats")]
            Some(Format::Xls) if decrypt::is_encrypted_package(&bytes) => {
                let plain = decrypt::default_password_package(&bytes)?;
                if sniff(&plain) == Some(Format::Xls) {
                    // A package is a zip: another container inside is no workbook.
                    return Err(ReadError::PasswordProtected);
                }
                Workbook::open(plain)
            }
            #[cfg(feature = "all-formats")]
            Some(format) => {
                let excel = calamine_adapter::Excel::open(bytes, format)?;
                let (names, hidden) = (excel.sheet_names(), excel.hidden_sheets());
                Ok(Workbook { format, names, hidden, inner: Inner::Excel(excel) })
            }
            None if Format::of(&bytes) == Format::Xml2003 => {
                let book = xml2003::open(&delimited::decode(&bytes).0)?;
                Ok(Workbook::whole(Format::Xml2003, book))
            }
            // Excel 2–4 files: read by `biff_old`, which needs no calamine but belongs with xls.
            #[cfg(not(feature = "all-formats"))]
            None if bare_biff(&bytes).is_some() => Err(ReadError::NotIncluded(Format::Xls)),
            // A workbook stream without its container: put in one, it is an xls.
            #[cfg(feature = "all-formats")]
            None if bare_biff(&bytes) == Some(BareBiff::Workbook) => {
                let file = cfb::write(&[("Workbook".to_owned(), bytes)])
                    .map_err(|detail| ReadError::Corrupt { format: Format::Xls, detail })?;
                Workbook::open(file)
            }
            #[cfg(feature = "all-formats")]
            None if bare_biff(&bytes).is_some() => Ok(Workbook::whole(Format::Xls, biff_old::open(&bytes)?)),
            #[cfg(feature = "all-formats")]
            None if Format::of(&bytes) == Format::Html => {
                let book = html::open(&delimited::decode(&bytes).0)?;
                Ok(Workbook::whole(Format::Html, book))
            }
            #[cfg(not(feature = "all-formats"))]
            None if Format::of(&bytes) == Format::Html => Err(ReadError::NotIncluded(Format::Html)),
            None => {
                if let Some(what) = foreign(&bytes) {
                    return Err(ReadError::NotASpreadsheet(what));
                }
                let text = delimited::Text::decode(&bytes);
                Ok(Workbook {
                    format: Format::Csv,
                    names: vec![Format::Csv.name().to_owned()],
                    hidden: Vec::new(),
                    inner: Inner::Delimited(text),
                })
            }
        }
    }

    fn whole(format: Format, book: cells::Book) -> Workbook {
        let (names, hidden) = (book.sheet_names(), book.hidden_sheets());
        Workbook { format, names, hidden, inner: Inner::Whole(book) }
    }

    /// The recognised format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The sheets' names in workbook order (a delimited text file has one, named `csv`).
    pub fn sheet_names(&self) -> &[String] {
        &self.names
    }

    /// For delimited text: the detected encoding and delimiter.
    pub fn text_details(&self) -> Option<(Encoding, Delimiter)> {
        match &self.inner {
            Inner::Delimited(t) => Some((t.encoding, t.delimiter)),
            Inner::Xlsx(_) | Inner::Whole(_) => None,
            #[cfg(feature = "all-formats")]
            Inner::Excel(_) => None,
        }
    }

    /// The sheets hidden in the workbook (Excel's user does not see them): they are read
    /// by name only, never by default.
    pub fn hidden_sheets(&self) -> &[String] {
        &self.hidden
    }

    /// Reads the named sheet, or by default the first visible sheet with a header row and
    /// at least one data row.
    pub fn read(&mut self, sheet: Option<&str>) -> Result<Table, ReadError> {
        match sheet {
            Some(name) => self.read_sheet(name),
            None => self.first_sheet(|t| !t.rows.is_empty(), &Region::default()),
        }
    }

    /// The first sheet with a header row, even one without data rows: for showing the
    /// user what a workbook holds.
    pub fn read_first_with_header(&mut self) -> Result<Table, ReadError> {
        self.first_sheet(|_| true, &Region::default())
    }

    fn first_sheet(&mut self, accept: impl Fn(&Table) -> bool, region: &Region) -> Result<Table, ReadError> {
        let candidates = self.visible().into_iter().map(|n| (n, *region)).collect();
        self.first(candidates, |book, name, region| book.read_region(name, region), accept)
    }

    /// The sheets Excel's user sees, in order.
    fn visible(&self) -> Vec<String> {
        self.names.iter().filter(|n| !self.hidden.contains(n)).cloned().collect()
    }

    /// The first of `candidates` whose read `accept`s.
    fn first<T>(
        &mut self,
        candidates: Vec<(String, Region)>,
        mut read: impl FnMut(&mut Self, &str, &Region) -> Result<T, ReadError>,
        accept: impl Fn(&T) -> bool,
    ) -> Result<T, ReadError> {
        // A sheet that cannot be read does not stop the search: a later one may hold the
        // list. Its error is the answer only when no sheet does.
        let mut unreadable = None;
        for (name, region) in &candidates {
            match read(self, name, region) {
                Ok(t) if accept(&t) => return Ok(t),
                Ok(_) | Err(ReadError::EmptySheet(_)) => {}
                Err(e) => {
                    unreadable.get_or_insert(e);
                }
            }
        }
        Err(unreadable.unwrap_or(ReadError::NoData(self.visible())))
    }

    /// The sheets that cannot be read, each with the reason (an empty sheet is not one of
    /// them), leaving out `except` (the sheet already read). Reads every other sheet: for
    /// reporting what a workbook holds, not for merging.
    pub fn unreadable_sheets(&mut self, except: &str) -> Vec<(String, ReadError)> {
        let names: Vec<String> = self.names.iter().filter(|n| *n != except).cloned().collect();
        names
            .into_iter()
            .filter_map(|name| match self.read_sheet(&name) {
                Ok(_) | Err(ReadError::EmptySheet(_)) => None,
                Err(e) => Some((name, e)),
            })
            .collect()
    }

    /// Reads one sheet by name.
    pub fn read_sheet(&mut self, name: &str) -> Result<Table, ReadError> {
        self.read_region(name, &Region::default())
    }

    /// Reads `region` of the named sheet.
    fn read_region(&mut self, name: &str, region: &Region) -> Result<Table, ReadError> {
        if !self.names.iter().any(|n| n == name) {
            return Err(ReadError::UnknownSheet { name: name.to_owned(), available: self.names.clone() });
        }
        let table = match &mut self.inner {
            Inner::Delimited(text) => text.table(name, region)?,
            Inner::Xlsx(xlsx) => xlsx.table(name, region)?,
            Inner::Whole(book) => book.table(name, region)?,
            #[cfg(feature = "all-formats")]
            Inner::Excel(excel) => excel.table(name, region)?,
        };
        table.ok_or_else(|| ReadError::EmptySheet(name.to_owned()))
    }

    /// The workbook's Excel tables (xlsx and xlsm; none for other formats), in sheet order;
    /// their parts are read the first time, not again for each read.
    pub fn tables(&mut self) -> Result<Vec<ExcelTable>, ReadError> {
        match &mut self.inner {
            Inner::Xlsx(xlsx) => xlsx.tables().map(<[ExcelTable]>::to_vec),
            _ => Ok(Vec::new()),
        }
    }

    /// Reads as `options` say: a named Excel table; else the named sheet (or the first
    /// visible one with a header and data rows) from its header row, or, when it holds
    /// exactly one Excel table and no header row is given, that table.
    pub fn read_with(&mut self, sheet: Option<&str>, options: &ReadOptions) -> Result<Table, ReadError> {
        match self.pick(sheet, options)? {
            Pick::One(name, region) => self.read_region(&name, &region),
            Pick::First(candidates) => self.first(
                candidates,
                |book, name, region| book.read_region(name, region),
                |t| !t.rows.is_empty(),
            ),
        }
    }

    /// Reads as [`Workbook::read_with`] does, handing the rows to `sink` as they are read
    /// instead of keeping them once more than `hold` are read (so a list of any length is
    /// read in the memory of `hold` rows): the head first — the header and the first rows,
    /// which is all a merge is compiled from — then each further row. Returns the sheet's
    /// warnings, which need every row. xlsx, xlsm and delimited text are handed over as
    /// they are read; other formats are read whole and handed over as one head. A sheet whose
    /// rows are stored out of order past the first `hold` is refused
    /// ([`ReadError::OutOfOrder`]): rows already handed over cannot be put back in order.
    pub fn stream_with(
        &mut self,
        sheet: Option<&str>,
        options: &ReadOptions,
        hold: usize,
        sink: &mut dyn RowSink,
    ) -> Result<Vec<SheetWarning>, ReadError> {
        let streamed = match self.pick(sheet, options)? {
            Pick::One(name, region) => self.stream_region(&name, &region, hold, sink)?,
            Pick::First(candidates) => self.first(
                candidates,
                |book, name, region| book.stream_region(name, region, hold, sink),
                Streamed::has_rows,
            )?,
        };
        Ok(match streamed {
            Streamed::Whole(table) => {
                let warnings = table.warnings.clone();
                // A sink that stops here has all it asked for.
                let _ = sink.head(table);
                warnings
            }
            Streamed::Handed(warnings) => warnings,
            Streamed::Failed(e) => return Err(e),
        })
    }

    /// Reads `region` of the named sheet for a [`RowSink`].
    fn stream_region(
        &mut self,
        name: &str,
        region: &Region,
        hold: usize,
        sink: &mut dyn RowSink,
    ) -> Result<Streamed, ReadError> {
        if !self.names.iter().any(|n| n == name) {
            return self.read_region(name, region).map(Streamed::Whole);
        }
        let streamed = match &self.inner {
            Inner::Xlsx(xlsx) => xlsx.stream(name, region, hold, sink)?,
            Inner::Delimited(text) => {
                let mut hand_over = cells::HandOver::new(sink, hold);
                match text.stream(name, region, &mut hand_over) {
                    ControlFlow::Continue(table) => hand_over.end(table?),
                    ControlFlow::Break(()) => Some(Streamed::Handed(Vec::new())),
                }
            }
            _ => return self.read_region(name, region).map(Streamed::Whole),
        };
        streamed.ok_or_else(|| ReadError::EmptySheet(name.to_owned()))
    }

    /// Which sheet and region `options` choose: a named Excel table; the named sheet; or
    /// each visible sheet in turn — from the header row given, else its only Excel table
    /// when it has exactly one, else the whole sheet.
    fn pick(&mut self, sheet: Option<&str>, options: &ReadOptions) -> Result<Pick, ReadError> {
        if let TableChoice::Named(name) = &options.table {
            let tables = self.tables()?;
            let Some(t) = tables.iter().find(|t| t.name.eq_ignore_ascii_case(name.trim())) else {
                return Err(ReadError::UnknownTable {
                    name: name.clone(),
                    available: tables.iter().map(|t| t.name.clone()).collect(),
                });
            };
            return Ok(Pick::One(t.sheet.clone(), t.region));
        }
        let tables = match (options.header_row, &options.table) {
            (None, TableChoice::OnlyTable) => self.tables()?,
            _ => Vec::new(),
        };
        let region = |name: &str| {
            if options.header_row.is_some() {
                return Region { header_row: options.header_row, ..Region::default() };
            }
            match tables.iter().filter(|t| t.sheet == name).collect::<Vec<_>>()[..] {
                [only] => only.region,
                _ => Region::default(),
            }
        };
        Ok(match sheet {
            Some(name) => Pick::One(name.to_owned(), region(name)),
            None => Pick::First(
                self.visible()
                    .into_iter()
                    .map(|n| {
                        let r = region(&n);
                        (n, r)
                    })
                    .collect(),
            ),
        })
    }
}

/// Recognises a workbook format from its first bytes and its ZIP directory; `None` means
/// delimited text.
fn sniff(bytes: &[u8]) -> Option<Format> {
    const CFB: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(CFB) {
        return Some(Format::Xls);
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        // A flat OpenDocument spreadsheet (.fods): the package's XML in one file.
        let (head, _) = delimited::decode(&bytes[..bytes.len().min(4096)]);
        let head = head.trim_start_matches(['\u{FEFF}', ' ', '\t', '\r', '\n']);
        let flat_ods = head.starts_with('<')
            && head.contains("<office:document")
            && head.contains("opendocument.spreadsheet");
        return flat_ods.then_some(Format::Ods);
    }
    let has = |needle: &[u8]| memchr::memmem::find(bytes, needle).is_some();
    if has(b"application/vnd.oasis.opendocument.spreadsheet") || has(b"content.xml") && !has(b"xl/") {
        Some(Format::Ods)
    } else if has(b"xl/workbook.bin") {
        Some(Format::Xlsb)
    } else if has(b"xl/vbaProject.bin") || has(b"macroEnabled") {
        Some(Format::Xlsm)
    } else {
        Some(Format::Xlsx)
    }
}

/// What a file that is neither a workbook nor delimited text is, by its first bytes:
/// documents saved with a spreadsheet's name by web applications and old programs, and
/// binary files. `None` for text (any encoding localmerge decodes).
/// The BOF records of Excel 2, 3, 4 and 5 (BIFF2–BIFF5) streams.
const OLD_BOFS: [u16; 4] = [0x0009, 0x0209, 0x0409, 0x0809];

/// A bare BIFF stream (no compound file) by its first BOF record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BareBiff {
    /// Excel 2–4 files, and Excel 5 worksheets: read by `biff_old`.
    Worksheet,
    /// An Excel 5–2003 workbook stream: read as xls once put in a compound file.
    Workbook,
}

fn bare_biff(bytes: &[u8]) -> Option<BareBiff> {
    let [lo, hi, len, 0, rest @ ..] = bytes else { return None };
    let typ = u16::from_le_bytes([*lo, *hi]);
    if !OLD_BOFS.contains(&typ) || !(4..=20).contains(len) {
        return None;
    }
    // BIFF5 and BIFF8 say what the substream is: 0x0005 the workbook globals.
    let globals = typ == 0x0809 && rest.get(2..4) == Some(&[0x05, 0x00][..]);
    Some(if globals { BareBiff::Workbook } else { BareBiff::Worksheet })
}

/// Decoded text's start, lower-cased, past a byte order mark and white space.
fn lower_start(text: &str) -> String {
    text.trim_start_matches(['\u{FEFF}', ' ', '\t', '\r', '\n']).to_ascii_lowercase()
}

fn foreign(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"PK\x05\x06") {
        return Some("an empty ZIP archive");
    }
    if bytes.starts_with(b"%PDF") {
        return Some("a PDF document");
    }
    if bytes.starts_with(b"{\\rtf") {
        return Some("an RTF document");
    }
    let (text, _) = delimited::decode(&bytes[..bytes.len().min(4096)]);
    if lower_start(&text).starts_with("<?xml") {
        return Some("an XML file");
    }
    // Text has no zero bytes once decoded; a binary file does.
    text.contains('\0').then_some("a binary file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_documents_are_named_not_read_as_text() {
        let refused = |bytes: &[u8]| match Workbook::open(bytes.to_vec()) {
            Err(ReadError::NotASpreadsheet(what)) => what,
            other => panic!("{:?}", other.map(|w| w.format())),
        };
        assert_eq!(refused(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), "an empty ZIP archive");
        #[cfg(feature = "all-formats")]
        {
            assert_eq!(
                refused(b"<html><body><p>Email</p></body></html>"),
                "a web page (HTML) without a table"
            );
            // A web application's "Excel export": an HTML table saved as .xls.
            let mut wb = Workbook::open(
                b"<html><body><table><tr><td>Email</td></tr><tr><td>a@x.org</td></tr></table></body></html>"
                    .to_vec(),
            )
            .expect("an HTML table reads");
            assert_eq!((wb.format(), wb.sheet_names()), (Format::Html, &["Table 1".to_owned()][..]));
            assert_eq!(wb.read(None).expect("table").rows[0].values[0].to_text(), "a@x.org");
        }
        assert_eq!(refused(b"%PDF-1.7\n"), "a PDF document");
        assert_eq!(refused(b"Email,Name\x00\x01\x02\x00\x00"), "a binary file");
        let message = ReadError::NotASpreadsheet("a web page (HTML)").to_string();
        assert_eq!(
            message,
            "this is a web page (HTML), not a spreadsheet localmerge reads; open it in Excel and save it as .xlsx"
        );
        // Text that merely starts with a tag-like cell is still text.
        assert!(Workbook::open(b"<b>Email</b>,Name\na@x.org,A\n".to_vec()).is_ok());
    }

    #[test]
    fn sniffing_uses_content() {
        assert_eq!(sniff(b"Email;Name\r\na@b.c;A\r\n"), None);
        assert_eq!(sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]), Some(Format::Xls));
        assert_eq!(sniff(b"PK\x03\x04....xl/workbook.xml"), Some(Format::Xlsx));
        assert_eq!(sniff(b"PK\x03\x04....xl/workbook.bin"), Some(Format::Xlsb));
        assert!(matches!(Workbook::open(Vec::new()), Err(ReadError::EmptyFile)));
    }

    #[test]
    fn a_build_without_all_formats_refuses_them_by_name() {
        const XLS: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        const ODS: &[u8] = b"PK\x03\x04mimetypeapplication/vnd.oasis.opendocument.spreadsheet";
        let all = cfg!(feature = "all-formats");
        assert_eq!(Format::of(b"Email\na@b.c\n"), Format::Csv);
        assert!(Format::Csv.is_included() && Format::Xlsx.is_included() && Format::Xlsm.is_included());
        for (bytes, format) in
            [(XLS, Format::Xls), (ODS, Format::Ods), (b"PK\x03\x04xl/workbook.bin".as_slice(), Format::Xlsb)]
        {
            assert_eq!(Format::of(bytes), format);
            assert_eq!(format.is_included(), all, "{format}");
            match Workbook::open(bytes.to_vec()) {
                Err(ReadError::NotIncluded(f)) => {
                    assert!(!all, "{format} is built in, yet refused");
                    assert_eq!(f, format);
                }
                Err(e) => assert!(all, "{format}: {e}"),
                Ok(_) => panic!("{format}: a few bytes read as a workbook"),
            }
        }
        // An HTML table is recognised by every build, read by the one with every format.
        let html = b"<html><table><tr><td>Email</td></tr><tr><td>a@b.c</td></tr></table></html>".to_vec();
        assert_eq!(Format::of(&html), Format::Html);
        assert_eq!(Format::Html.is_included(), all);
        match Workbook::open(html) {
            Err(ReadError::NotIncluded(Format::Html)) => assert!(!all, "html is built in, yet refused"),
            Ok(_) => assert!(all, "html read without all-formats"),
            Err(e) => panic!("html: {e}"),
        }
        let refused = ReadError::NotIncluded(Format::Xls).to_string();
        assert_eq!(refused, "this build of localmerge does not read xls files");
    }
}

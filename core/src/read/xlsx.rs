//! xlsx and xlsm: core's own reader, over the zip crate and quick-xml.
//!
//! Not calamine's, for the add-in's size: calamine turns on quick-xml's `encoding` feature,
//! whose decoder links every code page encoding_rs has (about 90 KB of the gzipped
//! module) although an xlsx file is always UTF-8; and its xlsx reader parses fonts, fills,
//! borders and themes a merge never uses. This one reads what a merge needs — the sheets,
//! the shared strings, each style's number format, the cells — and reads it as calamine
//! does, value for value: a test compares the two over calamine's own corpus.

use std::collections::HashMap;
use std::io::Cursor;
use std::io::Read as _;
use std::ops::ControlFlow;

use quick_xml::events::{BytesStart, Event};

use super::cells::{Cells, HandOver, intern};
use super::{ExcelTable, Format, MAX_CELLS, ReadError, RowSink, Streamed};
use crate::format::CellFormat;
use crate::table::{Region, Table};
use crate::value::{DateKind, ExcelDate, Value};

mod fast;
mod sheet;
mod window;

use sheet::SheetReader;
use window::{MAX_UNIT, Stop, Window, Xml};

/// The most characters the shared strings may hold in all: far above any mailing list,
/// and a bound on what a hostile file (a zip bomb of strings) can make us allocate.
const MAX_STRING_BYTES: usize = 1 << 29;

type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// How a number reads in a cell of a style: as itself, as a date, or as a duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Number,
    Date,
    Duration,
}

/// One cell style (`<xf>` of `cellXfs`): its number format.
#[derive(Debug, Clone)]
struct Xf {
    kind: Kind,
    /// `None` for General (or no format).
    format: Option<CellFormat>,
}

/// An opened xlsx or xlsm workbook: its parts read, its sheets read on demand.
pub(super) struct Xlsx {
    format: Format,
    bytes: Vec<u8>,
    /// Zip entry names by their lower-case, forward-slash form (Excel ignores case).
    paths: HashMap<String, String>,
    /// (name, zip path) in workbook order.
    sheets: Vec<(String, String)>,
    /// The sheets Excel's user does not see (`state="hidden"` or `"veryHidden"`).
    hidden: Vec<String>,
    strings: Strings,
    xfs: Vec<Xf>,
    is_1904: bool,
    /// The Excel tables, read from their parts the first time they are asked for.
    tables: Option<Vec<ExcelTable>>,
}

/// What `workbook.xml` says: the sheets (name and part path, in order), the hidden ones'
/// names, and whether dates count from 1904.
struct Book {
    sheets: Vec<(String, String)>,
    hidden: Vec<String>,
    is_1904: bool,
}

/// A reading error, said the way `ReadError::Corrupt` shows it.
type Result<T> = std::result::Result<T, String>;

impl Xlsx {
    pub(super) fn open(bytes: Vec<u8>, format: Format) -> std::result::Result<Xlsx, ReadError> {
        let corrupt = |detail: String| ReadError::Corrupt { format, detail };
        let mut zip =
            zip::ZipArchive::new(Cursor::new(bytes.as_slice())).map_err(|e| corrupt(e.to_string()))?;
        let mut paths = HashMap::new();
        for name in zip.file_names() {
            let name = name.map_err(|e| corrupt(e.to_string()))?;
            paths.insert(name.replace('\\', "/").to_ascii_lowercase(), name.into_owned());
        }
        let mut book = Parts { zip: &mut zip, paths: &paths };
        let (dir, workbook) = book.office_document().map_err(corrupt)?;
        let strings = book.shared_strings(&format!("{dir}sharedStrings.xml")).map_err(corrupt)?;
        let xfs = book.styles(&format!("{dir}styles.xml")).map_err(corrupt)?;
        let rels = book.relationships(&format!("{dir}_rels/{workbook}.rels")).map_err(corrupt)?;
        let Book { sheets, hidden, is_1904 } =
            book.workbook(&format!("{dir}{workbook}"), &dir, &rels).map_err(corrupt)?;
        drop(zip);
        Ok(Xlsx { format, bytes, paths, sheets, hidden, strings, xfs, is_1904, tables: None })
    }

    pub(super) fn hidden_sheets(&self) -> Vec<String> {
        self.hidden.clone()
    }

    pub(super) fn sheet_names(&self) -> Vec<String> {
        self.sheets.iter().map(|(name, _)| name.clone()).collect()
    }

    /// The Excel tables (ListObjects) of every worksheet, in sheet order: each sheet's
    /// relationships name its table parts. A table without a header row is not offered
    /// (its columns have no names).
    /// The workbook's Excel tables, in sheet order (their parts are read once).
    pub(super) fn tables(&mut self) -> std::result::Result<&[ExcelTable], ReadError> {
        if self.tables.is_none() {
            self.tables = Some(self.read_tables()?);
        }
        Ok(self.tables.as_deref().unwrap_or_default())
    }

    fn read_tables(&self) -> std::result::Result<Vec<ExcelTable>, ReadError> {
        let corrupt = |detail: String| ReadError::Corrupt { format: self.format, detail };
        let mut zip =
            zip::ZipArchive::new(Cursor::new(self.bytes.as_slice())).map_err(|e| corrupt(e.to_string()))?;
        let mut parts = Parts { zip: &mut zip, paths: &self.paths };
        let mut tables = Vec::new();
        for (sheet, path) in &self.sheets {
            let (dir, file) = path.rsplit_once('/').map_or(("", path.as_str()), |(d, f)| (d, f));
            let rels_path = if dir.is_empty() {
                format!("_rels/{file}.rels")
            } else {
                format!("{dir}/_rels/{file}.rels")
            };
            if parts.entry(&rels_path).map_err(corrupt)?.is_none() {
                continue;
            }
            let rels = parts.relationships(&rels_path).map_err(corrupt)?;
            let mut targets: Vec<&String> = rels
                .iter()
                .filter(|(_, (_, kind))| kind.rsplit('/').next() == Some("table"))
                .map(|(_, (target, _))| target)
                .collect();
            targets.sort();
            for target in targets {
                let part = resolve(dir, target);
                if let Some(t) = parts.table_part(&part, sheet).map_err(corrupt)? {
                    tables.push(t);
                }
            }
        }
        Ok(tables)
    }

    pub(super) fn table(&self, name: &str, region: &Region) -> std::result::Result<Option<Table>, ReadError> {
        // Rows go to the table as they are read; a sheet whose rows are out of order (rare:
        // some writers) is read again, every cell collected and sorted first.
        match self.read_cells(name, Cells::in_order(name, region), |_| Ok(())) {
            Err(Stop::OutOfOrder) => {}
            read => return self.finish(read, region),
        }
        self.finish(self.read_cells(name, Cells::new(name), |_| Ok(())), region)
    }

    /// Reads `region` of a sheet handing its rows to `sink` once more than `hold` are read
    /// ([`super::Workbook::stream_with`]); a sheet of fewer rows is read whole.
    pub(super) fn stream(
        &self,
        name: &str,
        region: &Region,
        hold: usize,
        sink: &mut dyn RowSink,
    ) -> std::result::Result<Option<Streamed>, ReadError> {
        let mut hand_over = HandOver::new(sink, hold);
        let read =
            self.read_cells(name, Cells::in_order(name, region), |cells| match cells.step(&mut hand_over) {
                ControlFlow::Continue(()) => Ok(()),
                ControlFlow::Break(()) => Err(Stop::Halt),
            });
        let handed = hand_over.handed;
        match read {
            Err(Stop::Halt) => Ok(Some(Streamed::Handed(Vec::new()))),
            Err(Stop::OutOfOrder) if handed => {
                Ok(Some(Streamed::Failed(ReadError::OutOfOrder { sheet: name.to_owned(), hold })))
            }
            Err(Stop::OutOfOrder) => Ok(self.table(name, region)?.map(Streamed::Whole)),
            // Rows are handed over: the read fails, rather than go on to another sheet.
            Err(e) if handed => Ok(Some(Streamed::Failed(self.read_error(e)))),
            read => Ok(hand_over.end(self.finish(read, region)?)),
        }
    }

    fn finish(
        &self,
        read: std::result::Result<Cells, Stop>,
        region: &Region,
    ) -> std::result::Result<Option<Table>, ReadError> {
        read.map_err(|e| self.read_error(e)).and_then(|cells| cells.finish(region))
    }

    /// Why a sheet's read stopped, as the reader says it.
    fn read_error(&self, stop: Stop) -> ReadError {
        match stop {
            Stop::Read(e) => e,
            e => ReadError::Corrupt { format: self.format, detail: e.detail() },
        }
    }

    /// The cells of a sheet, read into `cells`, `after` told after each cell; errors name
    /// the sheet's part.
    fn read_cells(
        &self,
        name: &str,
        mut cells: Cells,
        mut after: impl FnMut(&mut Cells) -> std::result::Result<(), Stop>,
    ) -> std::result::Result<Cells, Stop> {
        let Some((_, path)) = self.sheets.iter().find(|(n, _)| n == name) else {
            return Err(Stop::Xml(format!("there is no worksheet \"{name}\"")));
        };
        let at = |e: String| Stop::Xml(format!("{path}: {e}"));
        cells.date1904 = self.is_1904;
        let styles: Vec<(Kind, u16)> = self
            .xfs
            .iter()
            .map(|xf| (xf.kind, xf.format.clone().map_or(0, |f| intern(&mut cells.formats, f))))
            .collect();
        let mut zip =
            zip::ZipArchive::new(Cursor::new(self.bytes.as_slice())).map_err(|e| Stop::Xml(e.to_string()))?;
        let mut parts = Parts { zip: &mut zip, paths: &self.paths };
        let Some(entry) = parts.entry(path).map_err(Stop::Xml)? else {
            return Err(Stop::Xml(format!("worksheet \"{name}\" is missing ({path})")));
        };
        let mut window = Window::new(Utf8Part::new(entry), window::first_size(), MAX_UNIT).map_err(at)?;
        let mut sheet = SheetReader::new(&self.strings, &styles, self.is_1904);
        let unit = |cursor: &mut window::Cursor<'_>| {
            let more = sheet.unit(cursor, &mut cells)?;
            after(&mut cells)?;
            Ok(more)
        };
        match window::each(&mut window, unit) {
            Ok(()) => Ok(cells),
            Err(e @ (Stop::Read(_) | Stop::OutOfOrder | Stop::Halt)) => Err(e),
            Err(e) => Err(at(e.detail())),
        }
    }
}

/// A workbook's shared strings in one buffer: a million distinct strings are one
/// allocation, not a million (24 bytes of `String` and an allocation's rounding each).
#[derive(Debug, Default)]
pub(super) struct Strings {
    text: String,
    /// Where each string ends in `text` (at most [`MAX_STRING_BYTES`], which fits).
    ends: Vec<u32>,
}

impl Strings {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// String `i`.
    pub(super) fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = match i.checked_sub(1) {
            Some(before) => self.ends.get(before).map_or(0, |&e| e as usize),
            None => 0,
        };
        self.text.get(start..end)
    }
}

/// A relationship's target as a package path: absolute (`/xl/tables/table1.xml`), or
/// relative to the part's folder (`../tables/table1.xml` from `xl/worksheets`).
fn resolve(dir: &str, target: &str) -> String {
    if let Some(absolute) = target.strip_prefix('/') {
        return absolute.to_owned();
    }
    let mut segs: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for seg in target.split('/') {
        match seg {
            ".." => {
                segs.pop();
            }
            "." | "" => {}
            s => segs.push(s),
        }
    }
    segs.join("/")
}

/// A part other than a sheet or the shared strings (the workbook, its relationships, the
/// styles, a table), read whole: bounded by [`MAX_UNIT`], as one unit of a sheet is.
fn whole<R: std::io::Read>(entry: R, path: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    Utf8Part::new(entry)
        .take(MAX_UNIT as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{path}: {e}"))?;
    if bytes.len() > MAX_UNIT {
        return Err(format!("{path} is larger than {} MB", MAX_UNIT >> 20));
    }
    Ok(bytes)
}

/// A part's bytes as UTF-8: most parts are, and pass through (without a byte-order mark:
/// quick-xml would skip it but leave it out of its positions, which the window relies on);
/// one written in UTF-16 (a byte-order mark says so; some writers do) is decoded whole
/// first. Excel reads both.
enum Utf8Part<R> {
    Plain(std::io::Chain<Cursor<Vec<u8>>, R>),
    Decoded(Cursor<Vec<u8>>),
}

impl<R: std::io::Read> Utf8Part<R> {
    fn new(mut entry: R) -> Self {
        let mut head = Vec::with_capacity(3);
        let _ = (&mut entry).take(3).read_to_end(&mut head);
        let unit: fn([u8; 2]) -> u16 = match head.as_slice() {
            [0xEF, 0xBB, 0xBF] => return Utf8Part::Plain(Cursor::new(Vec::new()).chain(entry)),
            [0xFF, 0xFE, ..] => u16::from_le_bytes,
            [0xFE, 0xFF, ..] => u16::from_be_bytes,
            _ => return Utf8Part::Plain(Cursor::new(head).chain(entry)),
        };
        // Bounded as every part is: by the entry's own size, capped by the zip reader.
        let mut bytes = head.split_off(2);
        let _ = entry.take(256 << 20).read_to_end(&mut bytes);
        let units = bytes.chunks_exact(2).map(|p| unit([p[0], p[1]]));
        let text: String =
            char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
        // The declaration may still say UTF-16; the parser reads the bytes as UTF-8 regardless.
        Utf8Part::Decoded(Cursor::new(text.into_bytes()))
    }
}

impl<R: std::io::Read> std::io::Read for Utf8Part<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Utf8Part::Plain(r) => r.read(buf),
            Utf8Part::Decoded(r) => r.read(buf),
        }
    }
}

/// The workbook's parts other than sheets, read once when it is opened.
struct Parts<'z, 'b> {
    zip: &'z mut Zip<'b>,
    paths: &'z HashMap<String, String>,
}

impl<'b> Parts<'_, 'b> {
    /// A part by its path (any case), or `None` when the package has no such part.
    fn entry(&mut self, path: &str) -> Result<Option<zip::read::ZipFile<'_, Cursor<&'b [u8]>>>> {
        let name = self.paths.get(&path.to_ascii_lowercase()).map_or(path, String::as_str);
        match self.zip.by_name(name) {
            Ok(file) => Ok(Some(file)),
            Err(zip::result::ZipError::FileNotFound) => Ok(None),
            Err(e) => Err(format!("{path}: {e}")),
        }
    }

    /// The workbook part's folder and file name, from the package relationships.
    fn office_document(&mut self) -> Result<(String, String)> {
        let Some(entry) = self.entry("_rels/.rels")? else {
            return Err("the package has no _rels/.rels".into());
        };
        let mut target = None;
        each_start(&whole(entry, "_rels/.rels")?, "_rels/.rels", |e| {
            if local(e.name().as_ref()) == "Relationship"
                && attr(e, "Type")?.is_some_and(|t| t.ends_with("/relationships/officeDocument"))
            {
                target = attr(e, "Target")?.map(unescape).transpose()?;
            }
            Ok(())
        })?;
        let Some(target) = target else { return Err("the package names no workbook".into()) };
        let (dir, name) = match target.rfind('/') {
            Some(i) => target.split_at(i + 1),
            None => ("", target.as_str()),
        };
        let dir = dir.strip_prefix('/').unwrap_or(dir).to_owned();
        Ok((dir, if name.is_empty() { "workbook.xml".into() } else { name.to_owned() }))
    }

    /// The shared strings table (empty when the workbook has none), read string by string
    /// through a window.
    fn shared_strings(&mut self, path: &str) -> Result<Strings> {
        let Some(entry) = self.entry(path)? else { return Ok(Strings::default()) };
        let mut window = Window::new(Utf8Part::new(entry), window::first_size(), MAX_UNIT)
            .map_err(|e| format!("{path}: {e}"))?;
        let mut strings = Strings::default();
        let mut end = String::new();
        let mut run_end = String::new();
        let keep = |s: &str, strings: &mut Strings| {
            if strings.len() >= MAX_CELLS || strings.text.len().saturating_add(s.len()) > MAX_STRING_BYTES {
                return Err(Stop::Xml(format!(
                    "more shared strings than a workbook of {MAX_CELLS} cells holds"
                )));
            }
            strings.push(s);
            Ok(true)
        };
        let read = window::each(&mut window, |cursor| {
            if let (true, (Some(text), more)) = (fast::on(), cursor.rest_text()) {
                match fast::shared_string(text, more) {
                    Ok((s, len)) => {
                        let depth = cursor.depth();
                        cursor.keep(len, depth);
                        return keep(&s, &mut strings);
                    }
                    Err(fast::Fast::More) => return Err(Stop::More(None)),
                    Err(_) => {}
                }
            }
            let mut xml = cursor.xml();
            loop {
                match xml.next()? {
                    Event::Start(e) if local(e.name().as_ref()) == "si" => {
                        end.clear();
                        end.push_str(e.name().as_ref());
                        let s = rich_string(&mut xml, &end, &mut run_end)?;
                        cursor.keep_read(&xml);
                        return keep(&s, &mut strings);
                    }
                    Event::End(e) if local(e.name().as_ref()) == "sst" => return Ok(false),
                    Event::Eof => return Err(Stop::Xml("the shared strings end early".into())),
                    _ => {}
                }
            }
        });
        match read {
            Ok(()) => Ok(strings),
            Err(e) => Err(format!("{path}: {}", e.detail())),
        }
    }

    /// Each cell style's number format (empty when the workbook has no styles part).
    fn styles(&mut self, path: &str) -> Result<Vec<Xf>> {
        let Some(entry) = self.entry(path)? else { return Ok(Vec::new()) };
        let mut codes: HashMap<String, String> = HashMap::new();
        let mut xfs = Vec::new();
        let mut in_cell_xfs = false;
        // Only `numFmts` defines formats (conditional formats' `dxf`s have their own).
        let mut in_num_fmts = false;
        each_event(&whole(entry, path)?, path, |event| {
            match event {
                Event::Start(e) => match local(e.name().as_ref()) {
                    "numFmts" => in_num_fmts = true,
                    "numFmt" if in_num_fmts => {
                        if let (Some(id), Some(code)) = (attr(e, "numFmtId")?, attr(e, "formatCode")?) {
                            codes.insert(id.to_owned(), unescape(code)?);
                        }
                    }
                    "cellXfs" => in_cell_xfs = true,
                    "xf" if in_cell_xfs => xfs.push(xf(attr(e, "numFmtId")?, &codes)),
                    _ => {}
                },
                Event::End(e) if local(e.name().as_ref()) == "cellXfs" => in_cell_xfs = false,
                Event::End(e) if local(e.name().as_ref()) == "numFmts" => in_num_fmts = false,
                _ => {}
            }
            Ok(())
        })?;
        Ok(xfs)
    }

    /// The workbook's relationships: id → (target, type).
    fn relationships(&mut self, path: &str) -> Result<HashMap<String, (String, String)>> {
        let Some(entry) = self.entry(path)? else { return Err(format!("{path} is missing")) };
        let mut rels = HashMap::new();
        each_start(&whole(entry, path)?, path, |e| {
            if local(e.name().as_ref()) == "Relationship"
                && let Some(id) = attr(e, "Id")?
            {
                let target = attr(e, "Target")?.unwrap_or_default().to_owned();
                let kind = attr(e, "Type")?.unwrap_or_default().to_owned();
                rels.insert(id.to_owned(), (target, kind));
            }
            Ok(())
        })?;
        Ok(rels)
    }

    /// A table part (`xl/tables/tableN.xml`): its name and range; `None` for a table without
    /// a header row.
    fn table_part(&mut self, path: &str, sheet: &str) -> Result<Option<ExcelTable>> {
        let Some(entry) = self.entry(path)? else { return Ok(None) };
        let mut found = None;
        each_start(&whole(entry, path)?, path, |e| {
            if found.is_some() || local(e.name().as_ref()) != "table" {
                return Ok(());
            }
            let name =
                attr(e, "displayName")?.or(attr(e, "name")?).map(unescape).transpose()?.unwrap_or_default();
            let range = attr(e, "ref")?.unwrap_or_default().to_owned();
            let count = |key: &str, default: u32| -> Result<u32> {
                Ok(attr(e, key)?.and_then(|v| v.parse().ok()).unwrap_or(default))
            };
            let (header_rows, totals_rows) = (count("headerRowCount", 1)?, count("totalsRowCount", 0)?);
            let (first, last) = range.split_once(':').unwrap_or((&range, &range));
            let ((r0, c0), (r1, c1)) =
                (sheet::cell_ref(first.as_bytes())?, sheet::cell_ref(last.as_bytes())?);
            let (Some(c0), Some(c1)) = (c0, c1) else {
                return Err(format!("{path}: \"{range}\" is not a table's range"));
            };
            if header_rows == 0 {
                return Ok(());
            }
            // 1-based rows: the header is the range's first; totals rows end it.
            let region = Region {
                header_row: Some(r0 + 1),
                last_row: Some((r1 + 1).saturating_sub(totals_rows).max(r0 + 1)),
                columns: Some((c0.min(c1), c0.max(c1))),
            };
            found = Some(ExcelTable { name, sheet: sheet.to_owned(), range, region });
            Ok(())
        })?;
        Ok(found)
    }

    /// The workbook part: its sheets and date system.
    fn workbook(&mut self, path: &str, dir: &str, rels: &HashMap<String, (String, String)>) -> Result<Book> {
        let Some(entry) = self.entry(path)? else {
            return Ok(Book { sheets: Vec::new(), hidden: Vec::new(), is_1904: false });
        };
        let mut sheets = Vec::new();
        let mut hidden = Vec::new();
        let mut is_1904 = false;
        each_start(&whole(entry, path)?, path, |e| {
            match local(e.name().as_ref()) {
                "sheet" => {
                    let name = attr(e, "name")?.map(unescape).transpose()?.unwrap_or_default();
                    let mut id = None;
                    for a in e.attributes().with_checks(false) {
                        let a = a.map_err(|e| e.to_string())?;
                        if a.key.local_name().as_ref() == "id" {
                            id = Some(a.value.into_owned());
                        }
                    }
                    let Some((target, kind)) = rels.get(id.as_deref().unwrap_or_default()) else {
                        return Err(format!("sheet \"{name}\" has no relationship"));
                    };
                    // Only worksheets hold a table. A chart, a dialog, an Excel 4 macro sheet
                    // or a sheet of a type unknown here is not offered as a sheet — it does
                    // not make the whole workbook unreadable, nor hide the data after it.
                    if kind.rsplit('/').next() != Some("worksheet") {
                        return Ok(());
                    }
                    let part = match target.strip_prefix('/') {
                        Some(absolute) => absolute.to_owned(),
                        None => format!("{dir}{target}"),
                    };
                    if attr(e, "state")?.is_some_and(|s| s != "visible") {
                        hidden.push(name.clone());
                    }
                    sheets.push((name, part));
                }
                "workbookPr" => {
                    if let Some(v) = attr(e, "date1904")? {
                        is_1904 = v == "1" || v == "true";
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        Ok(Book { sheets, hidden, is_1904 })
    }
}

/// A style's number format and how numbers in it read. Ids 14 and 22 depend on the
/// reader's locale; other built-in ids have the codes of ECMA-376 §18.8.30.
fn xf(id: Option<&str>, codes: &HashMap<String, String>) -> Xf {
    let Some(id) = id else { return Xf { kind: Kind::Number, format: None } };
    let kind = match codes.get(id) {
        Some(code) => code_kind(code),
        None => builtin_kind(id),
    };
    let Ok(n) = id.parse::<u32>() else { return Xf { kind, format: None } };
    let format = match (n, codes.get(id)) {
        // Locale currency formats: not built in for xlsx, which writes their codes.
        (5..=8, None) => None,
        (_, code) => CellFormat::of_id(n, code.map(String::as_str)),
    };
    Xf { kind, format }
}

/// Built-in formats that show dates and times (ECMA-376 §18.8.30, with the East Asian
/// ids 27–36 and 50–58), and the one duration, `[h]:mm:ss`.
fn builtin_kind(id: &str) -> Kind {
    match id.parse::<u32>() {
        Ok(14..=22 | 27..=36 | 45 | 47 | 50..=58) => Kind::Date,
        Ok(46) => Kind::Duration,
        _ => Kind::Number,
    }
}

/// Whether a format code shows a date or time, or a duration (`[h]`, `[mm]`, `[ss]`), from
/// its first section: a date or time letter outside quotes, brackets and escapes (`a` of
/// `AM/PM` counts once followed by `m`, `p` or `/`).
pub(super) fn code_kind(code: &str) -> Kind {
    let mut literal_next = false;
    let mut quoted = false;
    let mut brackets = 0u8;
    let mut prev = ' ';
    let mut elapsed = false;
    let mut after_a = false;
    for c in code.chars() {
        if literal_next {
            literal_next = false;
            prev = c;
            continue;
        }
        // Escapes count inside quotes too (as Excel's readers have it).
        if matches!(c, '_' | '\\' | '*') {
            literal_next = true;
            prev = c;
            continue;
        }
        if quoted {
            quoted = c != '"';
            prev = c;
            continue;
        }
        match c {
            '"' => quoted = true,
            ';' => return Kind::Number,
            '[' => brackets = brackets.saturating_add(1),
            ']' if brackets == 1 && elapsed => return Kind::Duration,
            ']' => brackets = brackets.saturating_sub(1),
            'a' | 'A' if !after_a && brackets == 0 => after_a = true,
            'p' | 'm' | '/' | 'P' | 'M' if after_a && brackets == 0 => return Kind::Date,
            'd' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S' if !after_a && brackets == 0 => {
                return Kind::Date;
            }
            _ => {
                if !(elapsed && c.eq_ignore_ascii_case(&prev)) {
                    elapsed = prev == '[' && matches!(c, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        prev = c;
    }
    Kind::Number
}

/// Calls `f` on every event of a part (read whole) to its end.
fn each_event(bytes: &[u8], path: &str, mut f: impl FnMut(&Event<'_>) -> Result<()>) -> Result<()> {
    let mut xml = Xml::new(bytes, true);
    loop {
        let event = xml.next().map_err(|e| format!("{path}: {}", e.detail()))?;
        if matches!(event, Event::Eof) {
            return Ok(());
        }
        f(&event).map_err(|e| format!("{path}: {e}"))?;
    }
}

/// Calls `f` on every start tag of a part (read whole).
fn each_start(bytes: &[u8], path: &str, mut f: impl FnMut(&BytesStart<'_>) -> Result<()>) -> Result<()> {
    each_event(bytes, path, |event| match event {
        Event::Start(e) => f(e),
        _ => Ok(()),
    })
}

/// An element's name without its namespace prefix (`x:c` → `c`): quick-xml's `local_name`
/// searches with the general string searcher, a measurable cost once per event.
fn local(name: &str) -> &str {
    match name.as_bytes().iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// The raw values (entities not expanded) of the attributes named `keys` in a start tag's
/// attribute text. Every lookup by exact name goes through it (`attr` too): on a sheet's
/// rows and cells quick-xml's general iterator took a fifth of the reading time.
fn raw_attrs<'a, const N: usize>(raw: &'a str, keys: [&str; N]) -> Result<[Option<&'a str>; N]> {
    let mut found = [None; N];
    let b = raw.as_bytes();
    let mut i = 0;
    let skip_ws = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    loop {
        i = skip_ws(i);
        if i >= b.len() || b[i] == b'/' {
            return Ok(found);
        }
        let key_start = i;
        while b.get(i).is_some_and(|&c| c != b'=' && !c.is_ascii_whitespace()) {
            i += 1;
        }
        let key = &raw[key_start..i];
        i = skip_ws(i);
        if b.get(i) != Some(&b'=') {
            return Err(format!("attribute {key} has no value"));
        }
        i = skip_ws(i + 1);
        let Some(&quote @ (b'"' | b'\'')) = b.get(i) else {
            return Err(format!("attribute {key}'s value is not quoted"));
        };
        // Values are short (`A2`, `1`, `s`): a plain loop finds their end sooner than memchr.
        let Some(len) = b[i + 1..].iter().position(|&c| c == quote) else {
            return Err(format!("attribute {key}'s value is not closed"));
        };
        if let Some(k) = keys.iter().position(|k| *k == key) {
            found[k] = Some(&raw[i + 1..i + 1 + len]);
        }
        i += len + 2;
    }
}

/// An attribute's raw value (entities not expanded).
fn attr<'a>(e: &'a BytesStart<'_>, name: &str) -> Result<Option<&'a str>> {
    let [value] = raw_attrs(e.attributes_raw(), [name])?;
    Ok(value)
}

/// An attribute value with its entities expanded.
fn unescape(raw: &str) -> Result<String> {
    quick_xml::escape::unescape(raw).map(|s| s.into_owned()).map_err(|e| e.to_string())
}

/// A string item (`<si>` or `<is>`): plain or rich text, phonetic runs left out. Text not
/// marked `xml:space="preserve"` loses its surrounding ASCII white space, as in Excel —
/// except a run of white space alone, which Excel shows (`hello`, ` `, `world` is
/// `hello world`; python-excel/xlrd#225).
fn rich_string(xml: &mut Xml<'_>, end: &str, t_end: &mut String) -> std::result::Result<String, Stop> {
    let mut out = String::new();
    let mut phonetic = false;
    loop {
        let preserve = match xml.next()? {
            Event::Start(e) if local(e.name().as_ref()) == "rPh" => {
                phonetic = true;
                continue;
            }
            Event::End(e) if local(e.name().as_ref()) == "rPh" => {
                phonetic = false;
                continue;
            }
            Event::End(e) if e.name().as_ref() == end => return Ok(out),
            Event::Start(e) if local(e.name().as_ref()) == "t" && !phonetic => {
                t_end.clear();
                t_end.push_str(e.name().as_ref());
                attr(&e, "xml:space").map_err(Stop::Xml)?.is_some_and(|v| v == "preserve")
            }
            Event::Eof => return Err(Stop::Xml("a string ends early".into())),
            _ => continue,
        };
        // The run's text goes straight into `out`, then is trimmed and unescaped in place.
        let start = out.len();
        loop {
            match xml.next()? {
                Event::Text(t) => out.push_str(&t.xml10_content()),
                Event::CData(t) => out.push_str(&t.xml10_content()),
                Event::GeneralRef(r) => entity(&r, &mut out).map_err(Stop::Xml)?,
                Event::End(e) if e.name().as_ref() == t_end.as_str() => break,
                Event::Eof => return Err(Stop::Xml("a string ends early".into())),
                _ => {}
            }
        }
        // Excel trims a run's surrounding white space unless it is marked to be kept — but a
        // run of white space alone (`<t> </t>` between two runs) it shows as it is.
        if !preserve && !out[start..].trim_matches([' ', '\t', '\r', '\n']).is_empty() {
            const WS: [char; 4] = [' ', '\t', '\r', '\n'];
            let run = &out[start..];
            let lead = run.len() - run.trim_start_matches(WS).len();
            let kept = run.trim_matches(WS).len();
            out.truncate(start + lead + kept);
            out.drain(start..start + lead);
        }
        if out[start..].contains("_x") {
            let run = unescape_excel(&out[start..]);
            out.truncate(start);
            out.push_str(&run);
        }
    }
}

/// An entity or character reference in text.
pub(super) fn entity(r: &quick_xml::events::BytesRef<'_>, out: &mut String) -> Result<()> {
    if let Some(s) = quick_xml::escape::resolve_xml_entity(r.as_ref()) {
        out.push_str(s);
        return Ok(());
    }
    match r.resolve_char_ref().map_err(|e| e.to_string())? {
        Some(c) => {
            out.push(c);
            Ok(())
        }
        None => Err(format!("unknown entity &{};", r.as_ref())),
    }
}

/// Excel's own escapes in text: `_xHHHH_` is the UTF-16 code unit HHHH (a pair for
/// characters beyond the BMP; a lone surrogate becomes U+FFFD).
fn unescape_excel(s: &str) -> String {
    fn unit(s: &str, at: usize) -> Option<u16> {
        let b = s.as_bytes().get(at..at + 7)?;
        if b[0] != b'_' || b[1] != b'x' || b[6] != b'_' || !b[2..6].iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&b[2..6]).ok()?, 16).ok()
    }
    if !s.contains("_x") {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    while let Some(off) = s[i..].find('_') {
        let at = i + off;
        let Some(u) = unit(s, at) else {
            i = at + 1;
            continue;
        };
        out.push_str(&s[copied..at]);
        let mut next = at + 7;
        let c = match u {
            0xD800..=0xDBFF => match unit(s, next) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    next += 7;
                    char::from_u32(0x10000 + ((u32::from(u) - 0xD800) << 10) + (u32::from(low) - 0xDC00))
                }
                _ => None,
            },
            _ => char::from_u32(u32::from(u)),
        };
        out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
        i = next;
        copied = next;
    }
    out.push_str(&s[copied..]);
    out
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod corpus_tests;

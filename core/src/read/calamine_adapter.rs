//! xlsb, xls and ods through calamine (the `all-formats` feature): xlsb is streamed cell
//! by cell, xls and ods come as calamine ranges. In tests, calamine's xlsx reader too: the
//! oracle our own (`xlsx.rs`) is compared with.

use std::io::Cursor;

use calamine::{
    CellErrorType, Data, DataRef, ExcelDateTime, ExcelDateTimeType, Ods, OdsError, Reader, Xls, XlsError,
    Xlsb, XlsbError,
};
#[cfg(test)]
use calamine::{Xlsx, XlsxError};

use super::cells::Cells;
#[cfg(test)]
use super::cells::intern;
use super::{Format, ReadError};
use crate::format::CellFormat;
use crate::table::{Region, Table};
use crate::value::{DateKind, ExcelDate, Value};

type Bytes = Cursor<Vec<u8>>;

pub(super) enum Excel {
    #[cfg(test)]
    Xlsx(Box<Xlsx<Bytes>>),
    Xlsb(Box<Xlsb<Bytes>>, Box<super::styles::WorkbookStyles>),
    Xls(Box<Xls<Bytes>>, Box<super::styles::WorkbookStyles>),
    Ods(Box<Ods<Bytes>>, Box<super::styles::WorkbookStyles>),
}

/// An ods package whose content.xml puts white space before a table's elements or a cell's
/// paragraphs (as a pretty-printing writer does, and every flat ods from LibreOffice)
/// rewritten without it:
/// calamine expects a cell where it finds the text, and that white space is no content.
/// Other packages are returned as they are.
fn without_space_between_cells(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let mut content = Vec::new();
    {
        let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes.as_slice())) else { return Ok(bytes) };
        let Ok(f) = zip.by_name("content.xml") else { return Ok(bytes) };
        f.take(256 << 20).read_to_end(&mut content).map_err(|e| e.to_string())?;
    }
    well_formed(&content)?;
    let spaced = |t: &[u8]| memchr::memmem::find(&content, t).is_some();
    if !spaced(b">\n") && !spaced(b"> <") && !spaced(b">\t") && !spaced(b">\r") {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(content.len());
    let mut i = 0;
    while i < content.len() {
        let b = content[i];
        out.push(b);
        i += 1;
        if b == b'>' {
            let run = content[i..].iter().take_while(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n')).count();
            // Only before a table's own elements and a cell's paragraphs: white space in a
            // number style's text (`<number:text> </number:text>`) or between a paragraph's
            // spans is what it shows.
            let next = &content[i + run..];
            let paragraph = next.starts_with(b"<text:p>") || next.starts_with(b"<text:p ");
            if next.starts_with(b"<table:") || next.starts_with(b"</table:") || paragraph {
                i += run;
            }
        }
    }
    super::raw_zip::replace_entry(&bytes, "content.xml", &out)
}

/// Checks that content.xml does not end inside an element: calamine's ods reader waits for a
/// table's, row's or cell's end tag and loops forever when the file ends first (found by
/// fuzzing a truncated flat ods). Other faults are left to calamine's parser to report.
fn well_formed(content: &[u8]) -> Result<(), String> {
    let mut xml = quick_xml::Reader::from_reader(content);
    // As calamine reads it: end names unchecked, so this check goes as far as calamine does.
    xml.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    // The open elements' names: calamine waits for a table's, row's or cell's own end tag,
    // and loops forever at the end of the file when another name closes one (found by
    // fuzzing: `</table:vable>`).
    let mut open: Vec<String> = Vec::new();
    const AWAITED: [&str; 4] =
        ["table:table", "table:table-row", "table:table-cell", "table:covered-table-cell"];
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Start(e)) => open.push(e.name().as_ref().to_owned()),
            Ok(quick_xml::events::Event::End(e)) => {
                if let Some(start) = open.pop()
                    && start != e.name().as_ref()
                    && AWAITED.contains(&start.as_str())
                {
                    return Err(format!("its <{start}> element is closed by </{}>", e.name().as_ref()));
                }
            }
            Ok(quick_xml::events::Event::Eof) if open.is_empty() => return Ok(()),
            Ok(quick_xml::events::Event::Eof) => return Err("the content ends before its elements do".into()),
            // Anything else calamine's own parser stops at, and says (an encrypted package's
            // content is not text at all: calamine reports the password).
            Err(_) => return Ok(()),
            Ok(_) => {}
        }
        buf.clear();
    }
}

/// A flat OpenDocument spreadsheet as a package: its mimetype, the document (in UTF-8) as
/// content.xml, and a manifest naming it (calamine looks for one).
fn flat_ods_package(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let (text, _) = super::delimited::decode(bytes);
    let mut zip = super::raw_zip::RawZip::with_capacity(text.len() + 256);
    zip.store(b"mimetype", b"application/vnd.oasis.opendocument.spreadsheet")?;
    zip.store(b"content.xml", text.as_bytes())?;
    zip.store(
        b"META-INF/manifest.xml",
        br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#,
    )?;
    zip.finish()
}

impl Excel {
    pub(super) fn open(bytes: Vec<u8>, format: Format) -> Result<Excel, ReadError> {
        let cursor = Cursor::new(bytes);
        Ok(match format {
            #[cfg(test)]
            Format::Xlsx | Format::Xlsm => {
                Excel::Xlsx(Box::new(Xlsx::new(cursor).map_err(|e| xlsx_err(format, e))?))
            }
            // Read by `xlsx.rs`; `Workbook::open` never sends them here.
            #[cfg(not(test))]
            Format::Xlsx | Format::Xlsm => return Err(corrupt(format, "not a calamine format")),
            // Read by `xml2003.rs` and `html.rs`.
            Format::Xml2003 | Format::Html => return Err(corrupt(format, "not a calamine format")),
            Format::Xlsb => {
                // calamine's xlsb reader indexes records without checking them (see the guard).
                let (safe, styles) =
                    super::xlsb_guard::sanitize(cursor.into_inner()).map_err(|e| corrupt(Format::Xlsb, e))?;
                Excel::Xlsb(Box::new(Xlsb::new(Cursor::new(safe)).map_err(xlsb_err)?), Box::new(styles))
            }
            Format::Xls => {
                // calamine's container parser panics on some malformed files: give it a
                // container rewritten from checked reads (see `cfb`).
                let (clean, styles) =
                    super::cfb::sanitize(cursor.get_ref()).map_err(|e| corrupt(Format::Xls, e))?;
                Excel::Xls(Box::new(Xls::new(Cursor::new(clean)).map_err(xls_err)?), Box::new(styles))
            }
            Format::Ods | Format::Csv => {
                // A flat OpenDocument file (.fods) is the package's content in one XML file:
                // packaged as content.xml, it reads as any ods.
                let bytes = cursor.into_inner();
                let bytes = if bytes.starts_with(b"PK") { Ok(bytes) } else { flat_ods_package(&bytes) }
                    .and_then(without_space_between_cells)
                    .map_err(|e| corrupt(Format::Ods, e))?;
                let cursor = Cursor::new(bytes);
                let styles = super::ods_styles::read(cursor.get_ref());
                Excel::Ods(Box::new(Ods::new(cursor).map_err(ods_err)?), Box::new(styles))
            }
        })
    }

    /// The sheets Excel's user does not see.
    pub(super) fn hidden_sheets(&self) -> Vec<String> {
        self.worksheets(|s| s.visible != calamine::SheetVisible::Visible)
    }

    /// The worksheets' names: chart, dialog and macro sheets hold no table and are not
    /// offered (calamine lists them, and fails to read them as worksheets).
    pub(super) fn sheet_names(&self) -> Vec<String> {
        self.worksheets(|_| true)
    }

    /// The names of the worksheets `keep` keeps, as the workbook means them (an xls
    /// workbook's in its legacy code page are decoded again, see `legacy_text`).
    fn worksheets(&self, keep: impl Fn(&calamine::Sheet) -> bool) -> Vec<String> {
        let meta = match self {
            #[cfg(test)]
            Excel::Xlsx(w) => w.sheets_metadata(),
            Excel::Xlsb(w, _) => w.sheets_metadata(),
            Excel::Xls(w, _) => w.sheets_metadata(),
            Excel::Ods(w, _) => w.sheets_metadata(),
        };
        meta.iter()
            .filter(|s| s.typ == calamine::SheetType::WorkSheet && keep(s))
            .map(|s| match self {
                Excel::Xls(_, styles) => styles.text(s.name.clone()),
                _ => s.name.clone(),
            })
            .collect()
    }

    pub(super) fn table(&mut self, name: &str, region: &Region) -> Result<Option<Table>, ReadError> {
        let mut cells = Cells::new(name);
        match self {
            #[cfg(test)]
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
            Excel::Xlsb(w, styles) => {
                let mut reader = w.worksheet_cells_reader(name).map_err(|e| in_sheet(name, xlsb_err(e)))?;
                let sheet = styles.sheet(name);
                while let Some(cell) = reader.next_cell().map_err(|e| in_sheet(name, xlsb_err(e)))? {
                    let at = cell.get_position();
                    let format = cells.format_index(styles, sheet, at);
                    cells.push_styled(at, from_ref(cell.get_value()), format)?;
                }
            }
            Excel::Xls(w, styles) => {
                cells.date1904 = styles.date1904;
                let inner = w.sheet_names().into_iter().find(|n| styles.text(n.clone()) == name);
                let inner = inner.unwrap_or_else(|| name.to_owned());
                let range = w.worksheet_range(&inner).map_err(|e| in_sheet(name, xls_err(e)))?;
                cells.push_range(&range, styles, styles.sheet(&inner))?;
            }
            Excel::Ods(w, styles) => {
                let range = w.worksheet_range(name).map_err(|e| in_sheet(name, ods_err(e)))?;
                cells.push_range(&range, styles, styles.sheet(name))?;
            }
        }
        cells.finish(region)
    }
}

#[cfg(test)]
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

impl Cells {
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
        let format = match styles.formats.get(&ifmt) {
            Some(code) if styles.locale_order.contains(&ifmt) => Some(CellFormat::LocaleOrder(code.clone())),
            code => CellFormat::of_id(u32::from(ifmt), code.map(String::as_str)),
        };
        let index = format.map_or(0, |f| self.intern(f));
        self.resolved.insert(ifmt, index);
        index
    }

    /// Adds the used cells of a calamine range (xls, ods) with their formats (`sheet`: the
    /// sheet's cell styles).
    fn push_range(
        &mut self,
        range: &calamine::Range<Data>,
        styles: &super::styles::WorkbookStyles,
        sheet: Option<&super::styles::CellXfs>,
    ) -> Result<(), ReadError> {
        let (r0, c0) = range.start().unwrap_or_default();
        for (r, c, v) in range.used_cells() {
            let at = position(r0, c0, r, c);
            let format = self.format_index(styles, sheet, at);
            let value = match from_data(v) {
                Value::Text(s) => Value::Text(styles.text(s)),
                v => v,
            };
            self.push_styled(at, value, format)?;
        }
        Ok(())
    }
}

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

#[cfg(test)]
fn xlsx_err(format: Format, e: XlsxError) -> ReadError {
    match e {
        XlsxError::Password => ReadError::PasswordProtected,
        e => corrupt(format, e),
    }
}

fn xlsb_err(e: XlsbError) -> ReadError {
    match e {
        XlsbError::Password => ReadError::PasswordProtected,
        e => corrupt(Format::Xlsb, e),
    }
}

fn xls_err(e: XlsError) -> ReadError {
    match e {
        XlsError::Password => ReadError::PasswordProtected,
        e => corrupt(Format::Xls, e),
    }
}

fn ods_err(e: OdsError) -> ReadError {
    match e {
        OdsError::Password => ReadError::PasswordProtected,
        // calamine's own wording names its internals: said as sentences.
        OdsError::CellLimitExceeded { requested, .. } => corrupt(
            Format::Ods,
            format!("a sheet declares {requested} cells, more than any spreadsheet holds"),
        ),
        OdsError::Mismatch { expected, .. } => corrupt(
            Format::Ods,
            format!("its content is not laid out as OpenDocument requires (a {expected} is missing)"),
        ),
        OdsError::Eof(what) => corrupt(Format::Ods, format!("it ends inside a {what}")),
        e => corrupt(Format::Ods, e),
    }
}

/// An error met reading one sheet, naming it.
fn in_sheet(name: &str, e: ReadError) -> ReadError {
    match e {
        ReadError::Corrupt { format, detail } => corrupt(format, format!("sheet \"{name}\": {detail}")),
        e => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Workbook;

    #[test]
    fn a_table_closed_by_another_name_is_an_error_not_an_endless_loop() {
        let fods = "<office:document xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:mimetype=\"application/vnd.oasis.opendocument.spreadsheet\"><office:body><office:spreadsheet><table:table table:name=\"S\"><table:table-row><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row></table:vable></office:spreadsheet></office:body></office:document>";
        let err = Workbook::open(fods.as_bytes().to_vec())
            .and_then(|mut w| w.read(None))
            .expect_err("mismatched end");
        assert!(err.to_string().contains("<table:table> element is closed by </table:vable>"), "{err}");
    }

    #[test]
    fn a_truncated_ods_is_an_error_not_an_endless_loop() {
        let fods = "<office:document xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" office:mimetype=\"application/vnd.oasis.opendocument.spreadsheet\"><office:body><office:spreadsheet><table:table table:name=\"S\"><table:table-row><table:table-cell>";
        let err =
            Workbook::open(fods.as_bytes().to_vec()).and_then(|mut w| w.read(None)).expect_err("truncated");
        assert!(err.to_string().contains("ends before its elements do"), "{err}");
    }

    #[test]
    fn a_misplaced_text_in_an_ods_sheet_is_a_sentence() {
        let fods = "<office:document xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:mimetype=\"application/vnd.oasis.opendocument.spreadsheet\"><office:body><office:spreadsheet><table:table table:name=\"Contacts\"><table:table-row>stray<table:table-cell office:value-type=\"string\"><text:p>Email</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document>";
        let err =
            Workbook::open(fods.as_bytes().to_vec()).and_then(|mut w| w.read(None)).expect_err("stray text");
        let message = err.to_string();
        assert!(message.contains("not laid out as OpenDocument requires"), "{message}");
        assert!(!message.contains("BytesText"), "no parser internals: {message}");
    }

    #[test]
    fn a_pretty_printed_flat_ods_is_read() {
        let fods = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
 <office:automatic-styles>
  <number:number-style style:name="N1"><number:number number:decimal-places="1" number:min-decimal-places="1" number:min-integer-digits="1"/><number:text> kg</number:text></number:number-style>
  <style:style style:name="ce1" style:family="table-cell" style:data-style-name="N1"/>
 </office:automatic-styles>
 <office:body>
  <office:spreadsheet>
   <table:table table:name="Contacts">
    <table:table-row>
     <table:table-cell office:value-type="string"><text:p>Email</text:p></table:table-cell>
     <table:table-cell office:value-type="string"><text:p>Weight</text:p></table:table-cell>
    </table:table-row>
    <table:table-row>
     <table:table-cell office:value-type="string">
      <text:p>ada@example.org</text:p>
     </table:table-cell>
     <table:table-cell table:style-name="ce1" office:value-type="float" office:value="12"><text:p>12.0 kg</text:p></table:table-cell>
    </table:table-row>
   </table:table>
  </office:spreadsheet>
 </office:body>
</office:document>"#;
        assert_eq!(Format::of(fods.as_bytes()), Format::Ods);
        let t = Workbook::open(fods.as_bytes().to_vec()).and_then(|mut w| w.read(None)).expect("read");
        assert_eq!(t.columns[1].name, "Weight");
        assert_eq!(t.rows[0].values[0].to_text(), "ada@example.org", "no white space around a paragraph");
        let display = crate::format::CellText::of_table(&t, crate::format::Locale::en_us());
        let mut shown = String::new();
        display.write(&t.rows[0].values[1], t.rows[0].style(1), &mut shown);
        assert_eq!(shown, "12.0 kg", "the number style's own space is kept");
    }

    type Sheets = Vec<(String, Result<Option<Table>, ReadError>)>;

    /// calamine's reading of an xlsx file: its sheet names, and each sheet's table or error.
    fn calamine(bytes: &[u8], format: Format) -> Result<Sheets, ReadError> {
        let mut excel = Excel::open(bytes.to_vec(), format)?;
        Ok(excel
            .sheet_names()
            .into_iter()
            .map(|name| (name.clone(), excel.table(&name, &Region::default())))
            .collect())
    }

    /// Our xlsx reader against calamine's over calamine's corpus and the repository's
    /// workbooks: where calamine reads a sheet, ours reads the same table, value for value
    /// and format for format; where calamine fails, ours may read more (it never panics).
    #[test]
    fn our_xlsx_reader_reads_what_calamine_reads() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let Some(corpus) = localmerge_testdata::calamine_corpus("the xlsx reader's differential") else {
            return;
        };
        let mut files = Vec::new();
        for dir in [corpus, root.join("../testdata/files"), root.join("../examples")] {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| {
                p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm"))
            }));
        }
        files.sort();
        assert!(files.len() > 40, "calamine's corpus is missing: {} xlsx files", files.len());
        let (mut sheets, mut more) = (0, Vec::new());
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let format = crate::read::Format::of(&bytes);
            if !matches!(format, Format::Xlsx | Format::Xlsm) {
                continue;
            }
            let Ok(theirs) = calamine(&bytes, format) else {
                more.push(path.display().to_string());
                continue;
            };
            let mut ours = Workbook::open(bytes.clone())
                .unwrap_or_else(|e| panic!("{}: calamine opens it, we do not: {e}", path.display()));
            // Ours leaves out chart and dialog sheets, which hold no cells.
            let Excel::Xlsx(w) = Excel::open(bytes.clone(), format).unwrap() else { unreachable!() };
            let charts: Vec<String> = w
                .sheets_metadata()
                .iter()
                .filter(|m| m.typ != calamine::SheetType::WorkSheet)
                .map(|m| m.name.clone())
                .collect();
            let names: Vec<&String> = theirs.iter().map(|(n, _)| n).filter(|n| !charts.contains(n)).collect();
            assert_eq!(ours.sheet_names().iter().collect::<Vec<_>>(), names, "{}", path.display());
            for (name, table) in theirs.into_iter().filter(|(n, _)| !charts.contains(n)) {
                let mine = ours.read_sheet(&name);
                match (table, mine) {
                    (Ok(Some(t)), Ok(m)) => {
                        assert_eq!(Some(t), Some(m), "{} / {name}", path.display());
                        sheets += 1;
                    }
                    (Ok(None), Err(ReadError::EmptySheet(_))) => sheets += 1,
                    (Ok(t), m) => panic!(
                        "{} / {name}: calamine {:?}, ours {m:?}",
                        path.display(),
                        t.map(|t| t.rows.len())
                    ),
                    (Err(_), _) => more.push(format!("{} / {name}", path.display())),
                }
            }
        }
        assert!(sheets > 60, "only {sheets} sheets compared");
        eprintln!("{sheets} sheets read alike; calamine refused: {more:?}");
    }
}

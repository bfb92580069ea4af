//! XML Spreadsheet 2003 (SpreadsheetML), which Excel 2003 wrote and web applications still
//! write, often with an `.xls` name: `Workbook` › `Worksheet ss:Name` › `Table` › `Row` ›
//! `Cell` › `Data ss:Type`, styles by `ss:StyleID` with their `NumberFormat ss:Format`.
//!
//! Read with quick-xml as it comes, every cell through the same bounded collector as the
//! other readers.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::cells::{Book, Cells, intern};
use super::{Format, ReadError};
use crate::format::CellFormat;
use crate::value::{DateKind, ExcelDate, Value};

/// Whether decoded text is an XML Spreadsheet 2003 document.
pub(super) fn is(head: &str) -> bool {
    head.contains("urn:schemas-microsoft-com:office:spreadsheet") && head.contains("<Workbook")
        || head.contains("<ss:Workbook")
}

/// Reads an XML Spreadsheet 2003 workbook whole.
pub(super) fn open(text: &str) -> Result<Book, ReadError> {
    read(text).map_err(|detail| ReadError::Corrupt { format: Format::Xml2003, detail })?
}

/// The local name of an element or attribute (`ss:Type` → `Type`).
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// An attribute by its local name, entities expanded.
fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
        .map(|v| v.into_owned())
}

fn index(e: &BytesStart<'_>) -> Option<u32> {
    attr(e, "Index").and_then(|v| v.trim().parse::<u32>().ok()).filter(|i| *i > 0)
}

/// A named format of SpreadsheetML as the code Excel shows it with.
fn named_format(name: &str) -> Option<CellFormat> {
    let code = match name {
        "General" | "General Number" => return None,
        "Short Date" => return Some(CellFormat::Builtin(14)),
        "General Date" => return Some(CellFormat::Builtin(22)),
        "Long Date" => "[$-F800]dddd, mmmm dd, yyyy",
        "Medium Date" => "dd-mmm-yy",
        "Long Time" => "[$-F400]h:mm:ss AM/PM",
        "Medium Time" => "h:mm AM/PM",
        "Short Time" => "h:mm",
        "Currency" => "\"$\"#,##0.00_);(\"$\"#,##0.00)",
        "Euro Currency" => "[$€-2] #,##0.00",
        "Fixed" => "0.00",
        "Standard" => "#,##0.00",
        "Percent" => "0.00%",
        "Scientific" => "0.00E+00",
        "Yes/No" => "\"Yes\";\"Yes\";\"No\"",
        "True/False" => "\"True\";\"True\";\"False\"",
        "On/Off" => "\"On\";\"On\";\"Off\"",
        code => code,
    };
    Some(CellFormat::Code(code.to_owned()))
}

#[derive(Default)]
struct Cell {
    col: u32,
    style: Option<String>,
    kind: String,
    text: String,
    in_data: bool,
}

fn read(text: &str) -> Result<Result<Book, ReadError>, String> {
    let mut xml = Reader::from_str(text);
    xml.config_mut().check_end_names = false;
    let mut styles: HashMap<String, Option<CellFormat>> = HashMap::new();
    let mut style_id: Option<String> = None;
    let mut sheets: Vec<(String, Option<Cells>, bool)> = Vec::new();
    let mut sheet: Option<(Cells, Vec<(String, u16)>)> = None;
    let mut hidden = false;
    let mut in_visible = false;
    let (mut row, mut col) = (0u32, 0u32);
    let mut cell: Option<Cell> = None;
    loop {
        let event = xml.read_event().map_err(|e| format!("at byte {}: {e}", xml.buffer_position()))?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => match local(e.name().as_ref()) {
                "Style" => style_id = attr(&e, "ID"),
                "NumberFormat" => {
                    if let Some(id) = &style_id {
                        styles.insert(id.clone(), attr(&e, "Format").and_then(|f| named_format(&f)));
                    }
                }
                "Worksheet" => {
                    let name = attr(&e, "Name").unwrap_or_else(|| format!("Sheet{}", sheets.len() + 1));
                    sheet = Some((Cells::new(&name), Vec::new()));
                    (row, hidden) = (0, false);
                }
                "Visible" => in_visible = !empty,
                "Row" => {
                    row = index(&e).unwrap_or(row + 1);
                    col = 0;
                }
                "Cell" => {
                    col = index(&e).unwrap_or(col + 1);
                    let across = attr(&e, "MergeAcross").and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
                    cell = Some(Cell { col, style: attr(&e, "StyleID"), ..Cell::default() });
                    col = col.saturating_add(across);
                    if empty {
                        cell = None;
                    }
                }
                "Data" => {
                    if let Some(c) = cell.as_mut() {
                        c.kind = attr(&e, "Type").unwrap_or_default();
                        c.in_data = !empty;
                    }
                }
                _ => {}
            },
            Event::Text(t) => {
                let t = t.xml10_content();
                if in_visible {
                    hidden |= t.trim().starts_with("SheetHidden") || t.trim().starts_with("SheetVeryHidden");
                }
                if let Some(c) = cell.as_mut().filter(|c| c.in_data) {
                    c.text.push_str(&t);
                }
            }
            Event::CData(t) => {
                if let Some(c) = cell.as_mut().filter(|c| c.in_data) {
                    c.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(c) = cell.as_mut().filter(|c| c.in_data) {
                    super::xlsx::entity(&r, &mut c.text)?;
                }
            }
            Event::End(e) => match local(e.name().as_ref()) {
                "Style" => style_id = None,
                "Visible" => in_visible = false,
                "Data" => {
                    if let Some(c) = cell.as_mut() {
                        c.in_data = false;
                    }
                }
                "Cell" => {
                    if let (Some(c), Some((cells, interned))) = (cell.take(), sheet.as_mut()) {
                        let format = c.style.as_ref().and_then(|s| styles.get(s).cloned().flatten());
                        let style = match (format, &c.style) {
                            (Some(f), Some(id)) => match interned.iter().find(|(i, _)| i == id) {
                                Some((_, ix)) => *ix,
                                None => {
                                    let ix = intern(&mut cells.formats, f);
                                    interned.push((id.clone(), ix));
                                    ix
                                }
                            },
                            _ => 0,
                        };
                        let value = value(&c.kind, c.text);
                        if let Err(e) =
                            cells.push_styled((row.saturating_sub(1), c.col.saturating_sub(1)), value, style)
                        {
                            return Ok(Err(e));
                        }
                    }
                }
                "Worksheet" => {
                    if let Some((cells, _)) = sheet.take() {
                        let name = cells.sheet.clone();
                        sheets.push((name, Some(cells), hidden));
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if sheets.is_empty() {
        return Err("the workbook has no worksheet".into());
    }
    Ok(Ok(Book { sheets }))
}

/// A `Data` element's value by its `ss:Type`.
fn value(kind: &str, text: String) -> Value {
    match kind {
        "Number" => text.trim().parse::<f64>().map_or(Value::Text(text), Value::Float),
        "Boolean" => Value::Bool(matches!(text.trim(), "1" | "true" | "TRUE")),
        "Error" => Value::Error(text),
        "DateTime" => match crate::value::parse_iso_serial(text.trim().trim_end_matches(".000")) {
            Some(serial) => Value::Date(ExcelDate { serial, is_1904: false, kind: DateKind::DateTime }),
            None => Value::Text(text),
        },
        _ => Value::Text(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOK: &str = r##"<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Styles>
  <Style ss:ID="Default"><Alignment ss:Vertical="Bottom"/></Style>
  <Style ss:ID="s21"><NumberFormat ss:Format="Short Date"/></Style>
  <Style ss:ID="s22"><NumberFormat ss:Format="#,##0.00\ &quot;€&quot;"/></Style>
 </Styles>
 <Worksheet ss:Name="Old">
  <Table><Row><Cell><Data ss:Type="String">Email</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">old@example.org</Data></Cell></Row></Table>
  <WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetHidden</Visible></WorksheetOptions>
 </Worksheet>
 <Worksheet ss:Name="Contacts">
  <Table>
   <Row><Cell><Data ss:Type="String">Email</Data></Cell><Cell><Data ss:Type="String">Joined</Data></Cell><Cell ss:Index="4"><Data ss:Type="String">Amount</Data></Cell></Row>
   <Row ss:Index="3"><Cell><ss:Data ss:Type="String" xmlns="http://www.w3.org/TR/REC-html40"><B>ada</B>@example.org</ss:Data></Cell><Cell ss:StyleID="s21"><Data ss:Type="DateTime">2024-03-01T00:00:00.000</Data></Cell><Cell ss:Index="4" ss:StyleID="s22"><Data ss:Type="Number">1234.5</Data></Cell></Row>
   <Row><Cell><Data ss:Type="String">O&apos;Brien &amp; co@example.org</Data></Cell><Cell ss:MergeAcross="1"><Data ss:Type="Boolean">1</Data></Cell><Cell><Data ss:Type="Error">#N/A</Data></Cell></Row>
  </Table>
 </Worksheet>
</Workbook>"##;

    #[test]
    fn a_spreadsheetml_workbook_is_read() {
        assert!(is(BOOK));
        let book = open(BOOK).expect("book");
        assert_eq!(book.sheet_names(), ["Old", "Contacts"]);
        assert_eq!(book.hidden_sheets(), ["Old"]);
        let t = book.table("Contacts", &crate::table::Region::default()).expect("reads").expect("table");
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Email", "Joined", "", "Amount"]);
        assert_eq!(t.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [3, 4]);
        let display = crate::format::CellText::of_table(&t, crate::format::Locale::en_us());
        let shown = |r: usize, c: usize| {
            let mut s = String::new();
            display.write(&t.rows[r].values[c], t.rows[r].style(c), &mut s);
            s
        };
        assert_eq!(shown(0, 0), "ada@example.org", "rich text's runs joined");
        assert_eq!(shown(0, 1), "3/1/2024", "a date under Short Date");
        assert_eq!(shown(0, 3), "1,234.50 €");
        assert_eq!(shown(1, 0), "O'Brien & co@example.org");
        assert_eq!(t.rows[1].values[1], Value::Bool(true));
        assert_eq!(t.rows[1].values[3], Value::Error("#N/A".into()), "after a merge across two columns");
    }

    #[test]
    fn a_workbook_opens_it_by_its_content() {
        let bytes = BOOK.as_bytes().to_vec();
        assert_eq!(Format::of(&bytes), Format::Xml2003);
        let mut wb = crate::read::Workbook::open(bytes).expect("open");
        assert_eq!(wb.read(None).expect("the visible sheet").sheet, "Contacts");
        // In UTF-16, as Excel's "XML Spreadsheet" may be saved.
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain(BOOK.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(Format::of(&utf16), Format::Xml2003);
        assert!(crate::read::Workbook::open(utf16).is_ok());
    }

    #[test]
    fn broken_xml_is_an_error_naming_the_format() {
        let err =
            open("<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"><Worksheet><Table><Row>")
                .err()
                .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.starts_with("not a readable xml workbook")), "a truncated file");
    }
}

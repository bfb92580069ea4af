//! The same contact list written by openpyxl, xlsxwriter, LibreOffice (ods, xls, French
//! Excel-style CSV) and as Excel's "Unicode Text" reads the same everywhere.

use localmerge_core::value::{DateKind, ExcelDate};
use localmerge_core::{Format, Value, Workbook};

use crate::{data, table};

const HEADER: [&str; 9] =
    ["Email", "First Name", "Last Name", "Amount", "Visits", "Joined", "Active", "CC", "Note"];

#[track_caller]
fn check(file: &str, format: Format, sheet: &str, rows: [u32; 4]) {
    let mut wb = Workbook::open(data(file)).expect("open");
    assert_eq!(wb.format(), format, "{file}");
    let t = wb.read(None).expect("read");
    assert_eq!(t.sheet, sheet, "{file}");
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).take(9).collect();
    assert_eq!(names, HEADER, "{file}");
    assert_eq!(t.rows.iter().map(|r| r.number).collect::<Vec<_>>(), rows, "{file}: row numbers");
    let text = |r: usize, c: usize| t.rows[r].values[c].to_text();
    assert_eq!(text(0, 0), "ada@example.org");
    assert_eq!(text(0, 8), "Zoë's <b>note</b> & more", "{file}");
    assert_eq!(text(1, 2), "O'Brien");
    assert_eq!(text(1, 7), "boss@example.com; team@example.com");
    assert_eq!(text(2, 8), "line one\nline two", "{file}: a cell with a line break");
    assert!(t.rows[1].values[8].is_blank(), "{file}: an empty cell");
    assert_eq!(text(0, 5).get(..10), Some("2024-03-01"), "{file}: a date");
    assert_eq!(text(3, 5).get(..10), Some("2024-02-29"), "{file}: a leap day");
}

#[test]
fn workbooks_from_other_programs() {
    check("contacts.openpyxl.xlsx", Format::Xlsx, "Contacts", [4, 5, 7, 8]);
    check("contacts.xlsxwriter.xlsx", Format::Xlsx, "Contacts", [2, 3, 5, 6]);
    check("contacts.1904.xlsx", Format::Xlsx, "Contacts", [2, 3, 5, 6]);
    check("contacts.libreoffice.ods", Format::Ods, "Contacts", [2, 3, 5, 6]);
    check("contacts.libreoffice.xls", Format::Xls, "Contacts", [2, 3, 5, 6]);
    check("contacts.fr-excel.csv", Format::Csv, "csv", [2, 3, 5, 6]);
    check("contacts.unicode.txt", Format::Csv, "csv", [2, 3, 5, 6]);
}

#[test]
fn values_keep_their_types() {
    let t = table("contacts.xlsxwriter.xlsx");
    let row = &t.rows[0].values;
    assert_eq!(row[1], Value::Text("Ada".into()));
    assert_eq!(row[3], Value::Float(1234.5));
    assert!(matches!(row[4], Value::Float(f) if f == 3.0) || row[4] == Value::Int(3));
    assert_eq!(row[4].to_text(), "3", "integers render without .0");
    assert_eq!(row[6], Value::Bool(true));
    assert!(matches!(row[5], Value::Date(ExcelDate { kind: DateKind::DateTime, is_1904: false, .. })));
    assert_eq!(row[9], Value::Error("#N/A".into()), "a cached error cell");
    assert_eq!(t.rows[1].values[5].to_text(), "2023-12-31T18:30:00");

    let t1904 = table("contacts.1904.xlsx");
    assert!(matches!(t1904.rows[0].values[5], Value::Date(ExcelDate { is_1904: true, .. })));
    assert_eq!(t1904.rows[0].values[5].to_text(), "2024-03-01", "1904 dates land on the same day");
}

#[test]
fn csv_cells_stay_text_exactly_as_written() {
    let t = table("contacts.fr-excel.csv");
    assert_eq!(t.rows[0].values[3], Value::Text("1234.5".into()), "numbers in CSV stay text");
    let t = crate::csv("Email,Zip,Ratio\na@x.org,00501,1/2\n");
    assert_eq!(t.rows[0].values[1], Value::Text("00501".into()));
    assert_eq!(t.rows[0].values[2], Value::Text("1/2".into()));
}

#[test]
fn default_sheet_skips_sheets_without_data_and_names_are_checked() {
    let mut wb = Workbook::open(data("contacts.openpyxl.xlsx")).expect("open");
    assert_eq!(wb.sheet_names(), ["Cover", "Contacts"]);
    assert_eq!(wb.read(None).expect("read").sheet, "Contacts");
    let cover = wb.read(Some("Cover")).expect("a header without data is a table");
    assert!(cover.rows.is_empty());
    let err = wb.read(Some("Contact")).expect_err("unknown sheet");
    assert_eq!(err.to_string(), "there is no sheet named \"Contact\" (sheets: \"Cover\", \"Contacts\")");
}

#[test]
fn format_comes_from_the_bytes_not_the_name() {
    // An xls workbook and a CSV both arrive as anonymous bytes.
    assert_eq!(Workbook::open(data("contacts.libreoffice.xls")).expect("open").format(), Format::Xls);
    assert_eq!(Workbook::open(data("contacts.libreoffice.ods")).expect("open").format(), Format::Ods);
    let err = Workbook::open(b"PK\x03\x04 truncated xl/workbook.xml".to_vec()).expect_err("corrupt");
    assert!(err.to_string().starts_with("not a readable xlsx workbook"), "{err}");
}

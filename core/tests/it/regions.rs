//! Where in a sheet the list is: a header below title rows (`header_row`), an Excel table
//! by name, and a sheet's only table by default.

use localmerge_core::{ReadError, ReadOptions, TableChoice, Value, Workbook};
use rust_xlsxwriter::{Table as XlsxTable, TableColumn, Workbook as XlsxWorkbook};

fn text(v: &Value) -> String {
    v.to_text()
}

/// A report sheet: a title and a date above the list, a note beside it, and two tables on
/// a second sheet ("Orders" with a totals row, "Returns").
fn workbook() -> Vec<u8> {
    let mut wb = XlsxWorkbook::new();
    let ws = wb.add_worksheet().set_name("Report").unwrap();
    ws.write_string(0, 0, "Customer list — Q4").unwrap();
    ws.write_string(1, 0, "Exported 2026-12-01").unwrap();
    for (c, h) in ["Email", "Name", "Amount"].iter().enumerate() {
        ws.write_string(3, c as u16, *h).unwrap();
    }
    for i in 0..3u32 {
        ws.write_string(4 + i, 0, format!("c{i}@example.org")).unwrap();
        ws.write_string(4 + i, 1, format!("Name{i}")).unwrap();
        ws.write_number(4 + i, 2, f64::from(i) + 0.5).unwrap();
    }
    ws.write_string(5, 5, "a note beside the list").unwrap();

    let ws = wb.add_worksheet().set_name("Data").unwrap();
    ws.write_string(0, 0, "Two tables").unwrap();
    let columns =
        |names: &[&str]| names.iter().map(|n| TableColumn::new().set_header(*n)).collect::<Vec<_>>();
    for i in 0..4u32 {
        ws.write_string(3 + i, 1, format!("o{i}@example.org")).unwrap();
        ws.write_number(3 + i, 2, f64::from(i)).unwrap();
    }
    let orders =
        XlsxTable::new().set_name("Orders").set_columns(&columns(&["Email", "Total"])).set_total_row(true);
    ws.add_table(2, 1, 7, 2, &orders).unwrap();
    for i in 0..2u32 {
        ws.write_string(3 + i, 5, format!("r{i}@example.net")).unwrap();
    }
    let returns = XlsxTable::new().set_name("Returns").set_columns(&columns(&["Email"]));
    ws.add_table(2, 5, 4, 5, &returns).unwrap();

    let ws = wb.add_worksheet().set_name("Single").unwrap();
    ws.write_string(0, 0, "Only one table below").unwrap();
    for i in 0..2u32 {
        ws.write_string(2 + i, 0, format!("s{i}@example.com")).unwrap();
    }
    let single = XlsxTable::new().set_name("Subscribers").set_columns(&columns(&["Email"]));
    ws.add_table(1, 0, 3, 0, &single).unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_header_below_title_rows_is_read_from_its_row() {
    let mut wb = Workbook::open(workbook()).unwrap();
    // Without it, the title is taken for the header.
    let plain = wb.read(Some("Report")).unwrap();
    assert_eq!(plain.header_row, 1);
    assert_eq!(plain.columns[0].name, "Customer list — Q4");
    let options = ReadOptions { header_row: Some(4), ..ReadOptions::default() };
    let t = wb.read_with(Some("Report"), &options).unwrap();
    assert_eq!(t.header_row, 4);
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Email", "Name", "Amount"]);
    assert_eq!(t.rows.len(), 3);
    assert_eq!((t.rows[0].number, text(&t.rows[0].values[0])), (5, "c0@example.org".to_owned()));

    // The same for delimited text.
    let csv = b"Mailing list\n\nEmail,Name\na@x.org,A\nb@y.org,B\n".to_vec();
    let mut wb = Workbook::open(csv).unwrap();
    let t = wb.read_with(None, &ReadOptions { header_row: Some(3), ..ReadOptions::default() }).unwrap();
    assert_eq!((t.header_row, t.columns.len(), t.rows.len()), (3, 2, 2));
}

#[test]
fn excel_tables_are_sources_by_name_and_a_sheets_only_table_by_default() {
    let mut wb = Workbook::open(workbook()).unwrap();
    let tables = wb.tables().unwrap();
    let listed: Vec<(&str, &str, &str)> =
        tables.iter().map(|t| (t.name.as_str(), t.sheet.as_str(), t.range.as_str())).collect();
    assert_eq!(
        listed,
        [("Orders", "Data", "B3:C8"), ("Returns", "Data", "F3:F5"), ("Subscribers", "Single", "A2:A4")]
    );

    // By name (any case): the header, the data rows, not the totals row nor the neighbour.
    let orders = ReadOptions { table: TableChoice::Named("orders".into()), ..ReadOptions::default() };
    let t = wb.read_with(None, &orders).unwrap();
    assert_eq!(t.sheet, "Data");
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Email", "Total"]);
    assert_eq!(t.rows.len(), 4, "the totals row is not a recipient");
    assert!(t.warnings.is_empty(), "the other table is not 'outside the header': {:?}", t.warnings);
    let returns = ReadOptions { table: TableChoice::Named("Returns".into()), ..ReadOptions::default() };
    let t = wb.read_with(None, &returns).unwrap();
    assert_eq!((t.columns.len(), t.rows.len()), (1, 2));
    assert_eq!(text(&t.rows[1].values[0]), "r1@example.net");

    // A sheet with exactly one table is that table by default; with two, the whole sheet.
    let t = wb.read_with(Some("Single"), &ReadOptions::default()).unwrap();
    assert_eq!((t.header_row, t.columns[0].name.as_str(), t.rows.len()), (2, "Email", 2));
    let whole = ReadOptions { table: TableChoice::Sheet, ..ReadOptions::default() };
    assert_eq!(wb.read_with(Some("Single"), &whole).unwrap().header_row, 1);
    assert_eq!(wb.read_with(Some("Data"), &ReadOptions::default()).unwrap().header_row, 1);

    let unknown = ReadOptions { table: TableChoice::Named("Invoices".into()), ..ReadOptions::default() };
    let e = wb.read_with(None, &unknown).unwrap_err();
    assert!(matches!(e, ReadError::UnknownTable { .. }));
    assert_eq!(
        e.to_string(),
        "there is no table named \"Invoices\" (tables: \"Orders\", \"Returns\", \"Subscribers\")"
    );
}

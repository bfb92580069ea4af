//! A streamed read (`Workbook::stream_with`) hands over exactly the rows a read returns, and
//! a merge planned row by row from it (`Merge::planner`) plans what a merge of the whole
//! table plans: whatever the number of rows held before handing over.

use std::ops::ControlFlow;

use localmerge_core::{
    Merge, MergeSpec, Planned, Planner, ReadError, ReadOptions, Row, RowSink, SheetWarning, Table,
    TableChoice, Workbook,
};

/// Keeps what it is handed; stops after `stop_after` rows when told to.
#[derive(Default)]
struct Collect {
    head: Option<Table>,
    rows: Vec<Row>,
    heads: usize,
    stop_after: Option<usize>,
}

impl RowSink for Collect {
    fn head(&mut self, head: Table) -> ControlFlow<()> {
        self.heads += 1;
        self.head = Some(head);
        ControlFlow::Continue(())
    }

    fn row(&mut self, row: Row) -> ControlFlow<()> {
        assert_eq!(self.heads, 1, "a row before the head");
        self.rows.push(row);
        match self.stop_after {
            Some(n) if self.rows.len() >= n => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    }
}

/// The table a streamed read hands over, put back together.
fn streamed(
    bytes: &[u8],
    sheet: Option<&str>,
    options: &ReadOptions,
    hold: usize,
) -> Result<(Table, usize), ReadError> {
    let mut sink = Collect::default();
    let warnings = Workbook::open(bytes.to_vec())?.stream_with(sheet, options, hold, &mut sink)?;
    let mut table = sink.head.expect("a head");
    let handed = sink.rows.len();
    table.rows.append(&mut sink.rows);
    table.warnings = warnings;
    Ok((table, handed))
}

fn workbooks() -> Vec<(String, Vec<u8>)> {
    let mut books = vec![
        ("300 contacts".to_owned(), localmerge_testdata::contacts_xlsx(300).expect("book")),
        ("the example with problems".to_owned(), localmerge_testdata::example_xlsx(true).expect("book")),
        ("headers".to_owned(), localmerge_testdata::headers_xlsx().expect("book")),
        ("hidden first".to_owned(), localmerge_testdata::hidden_first_xlsx().expect("book")),
    ];
    // Delimited text with what moves row numbers: a `sep=` line, blank lines, quoted line
    // breaks, CRLF.
    let mut csv = String::from("sep=;\r\nEmail;Note\r\n\r\n");
    for i in 0..150 {
        match i % 5 {
            0 => csv.push_str(&format!("p{i}@example.com;\"two\nlines\"\r\n")),
            1 => csv.push_str(&format!("p{i}@example.com;x\r\n\r\n\r\n")),
            _ => csv.push_str(&format!("p{i}@example.com;{i}\r\n")),
        }
    }
    books.push(("delimited text".to_owned(), csv.into_bytes()));
    for name in [
        "contacts.openpyxl.xlsx",
        "contacts.xlsxwriter.xlsx",
        "contacts.1904.xlsx",
        "contacts.libreoffice.ods",
        "contacts.libreoffice.xls",
        "contacts.fr-excel.csv",
    ] {
        books.push((name.to_owned(), super::data(name)));
    }
    books
}

#[test]
fn a_streamed_read_hands_over_what_a_read_returns() {
    let choices = [
        ReadOptions::default(),
        ReadOptions { table: TableChoice::Sheet, ..ReadOptions::default() },
        ReadOptions { header_row: Some(2), ..ReadOptions::default() },
    ];
    let mut handed_over = 0;
    for (name, bytes) in workbooks() {
        let sheets = Workbook::open(bytes.clone()).expect(&name).sheet_names().to_vec();
        let picks = std::iter::once(None).chain(sheets.iter().map(|s| Some(s.as_str())));
        for sheet in picks {
            for options in &choices {
                let read = Workbook::open(bytes.clone()).and_then(|mut w| w.read_with(sheet, options));
                for hold in [0, 1, 2, 7, 299, 300, 301, 100_000] {
                    let got = streamed(&bytes, sheet, options, hold);
                    let what = format!("{name}, sheet {sheet:?}, {options:?}, holding {hold}");
                    match (&read, got) {
                        (Ok(table), Ok((streamed, handed))) => {
                            assert_eq!(&streamed, table, "{what}");
                            handed_over += handed;
                        }
                        (Err(e), Err(f)) => assert_eq!(e.to_string(), f.to_string(), "{what}"),
                        (read, got) => panic!("{what}: read {read:?}, streamed {got:?}"),
                    }
                }
            }
        }
    }
    assert!(handed_over > 1000, "rows were handed over one by one ({handed_over})");
}

#[test]
fn a_sink_that_stops_stops_the_read() {
    let bytes = localmerge_testdata::contacts_xlsx(500).expect("book");
    let mut sink = Collect { stop_after: Some(10), ..Collect::default() };
    Workbook::open(bytes)
        .expect("open")
        .stream_with(None, &ReadOptions::default(), 5, &mut sink)
        .expect("read");
    assert_eq!(sink.head.expect("head").rows.len(), 6, "the head holds one row more than `hold`");
    assert_eq!(sink.rows.len(), 10);
    assert_eq!(sink.rows.last().map(|r| r.number), Some(17));
}

#[test]
fn rows_out_of_order_are_read_in_order_or_refused() {
    // Row 3 is stored after row 40: read in order (the sheet read again) while nothing is
    // handed over, refused once rows are.
    let mut cells = String::from("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Email</t></is></c></row>");
    for r in (2..=40).filter(|r| *r != 3).chain([3]) {
        cells.push_str(&format!(
            "<row r=\"{r}\"><c r=\"A{r}\" t=\"inlineStr\"><is><t>p{r}@example.com</t></is></c></row>"
        ));
    }
    let bytes = with_cells(&cells);
    let read = Workbook::open(bytes.clone()).and_then(|mut w| w.read(None)).expect("read");
    assert_eq!(read.rows.iter().map(|r| r.number).take(3).collect::<Vec<_>>(), [2, 3, 4]);
    let (whole, handed) = streamed(&bytes, None, &ReadOptions::default(), 100).expect("held");
    assert_eq!((whole, handed), (read, 0));
    let refused = streamed(&bytes, None, &ReadOptions::default(), 10).map(|_| ());
    assert!(matches!(&refused, Err(ReadError::OutOfOrder { hold: 10, .. })), "{refused:?}");
    let said = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(said.contains("out of order") && said.contains("save"), "{said}");
}

#[test]
fn a_sheet_that_fails_once_rows_are_handed_over_fails_the_read() {
    // The first sheet breaks at row 30; the second is fine. Read whole, the first is passed
    // over for the second; streamed, rows of the first are already handed over, so the read
    // fails (and no row of the second sheet follows them).
    let mut broken = String::from("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Email</t></is></c></row>");
    for r in 2..30 {
        broken.push_str(&format!(
            "<row r=\"{r}\"><c r=\"A{r}\" t=\"inlineStr\"><is><t>p{r}@example.com</t></is></c></row>"
        ));
    }
    broken.push_str("<row r=\"30\"><c r=\"A30\" t=\"s\"><v>99</v></c></row>");
    let fine = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Email</t></is></c></row>\
                <row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>ok@example.com</t></is></c></row>";
    let bytes = book(&[("Broken", &broken), ("Fine", fine)]);
    let read = Workbook::open(bytes.clone()).and_then(|mut w| w.read(None)).expect("read");
    assert_eq!(read.sheet, "Fine");
    let (held, _) = streamed(&bytes, None, &ReadOptions::default(), 100).expect("held");
    assert_eq!(held, read, "nothing handed over: the next sheet is read");
    let mut sink = Collect::default();
    let failed =
        Workbook::open(bytes).expect("open").stream_with(None, &ReadOptions::default(), 5, &mut sink);
    let said = failed.map(|_| ()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(said.contains("shared string 99"), "{said}");
    assert_eq!(sink.head.map(|h| h.sheet), Some("Broken".to_owned()));
    assert!(sink.rows.iter().all(|r| r.number < 30), "only the broken sheet's rows");
}

/// A one-sheet workbook whose `<sheetData>` holds `cells`.
fn with_cells(cells: &str) -> Vec<u8> {
    book(&[("List", cells)])
}

/// A workbook of `sheets` (name, what its `<sheetData>` holds).
fn book(sheets: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let (mut entries, mut targets, mut overrides) = (String::new(), String::new(), String::new());
    for (i, (name, _)) in sheets.iter().enumerate() {
        let n = i + 1;
        entries.push_str(&format!(r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#));
        targets.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="{DOC}/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
        overrides.push_str(&format!(
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        ));
    }
    let mut parts = vec![
        (
            "[Content_Types].xml".to_owned(),
            format!(
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>"#
            ),
        ),
        (
            "_rels/.rels".to_owned(),
            format!(
                r#"<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml".to_owned(),
            format!(
                r#"<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets>{entries}</sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".to_owned(),
            format!(r#"<?xml version="1.0"?><Relationships xmlns="{RELS}">{targets}</Relationships>"#),
        ),
    ];
    for (i, (_, cells)) in sheets.iter().enumerate() {
        parts.push((
            format!("xl/worksheets/sheet{}.xml", i + 1),
            format!(
                r#"<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>{cells}</sheetData></worksheet>"#
            ),
        ));
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, text) in parts {
        zip.start_file(name, options).expect("part");
        zip.write_all(text.as_bytes()).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

/// Plans with a merge compiled from the head, row by row.
struct Plans<'s> {
    spec: MergeSpec<'s>,
    planner: Option<Planner>,
    planned: Vec<Planned>,
}

impl RowSink for Plans<'_> {
    fn head(&mut self, head: Table) -> ControlFlow<()> {
        let merge = Merge::new(&head, &self.spec).expect("merge");
        let mut planner = merge.planner(&head).expect("not grouped");
        self.planned.extend(head.rows.iter().map(|r| planner.row(r)));
        self.planner = Some(planner);
        ControlFlow::Continue(())
    }

    fn row(&mut self, row: Row) -> ControlFlow<()> {
        let planner = self.planner.as_mut().expect("a head first");
        self.planned.push(planner.row(&row));
        ControlFlow::Continue(())
    }
}

#[test]
fn a_merge_planned_row_by_row_plans_what_a_whole_merge_plans() {
    let mut books = workbooks();
    // Addresses repeated far apart: a duplicate is found across the hand-over.
    let mut repeated = rust_xlsxwriter::Workbook::new();
    let sheet = repeated.add_worksheet();
    for (c, h) in ["Email", "First Name", "Company", "Plan", "Renewal"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    for i in 0..120u32 {
        let r = i + 1;
        sheet.write_string(r, 0, format!("P{}@example.com", i % 45)).expect("cell");
        sheet.write_string(r, 1, format!("P{i}")).expect("cell");
        if i % 9 != 0 {
            sheet.write_string(r, 2, format!("Co {i}")).expect("cell");
        }
        sheet.write_string(r, 3, "Pro").expect("cell");
        sheet.write_number(r, 4, f64::from(i % 7)).expect("cell");
    }
    books.push(("repeated addresses".to_owned(), repeated.save_to_buffer().expect("book")));
    let mut problems = 0;
    for (name, bytes) in books {
        let Ok(table) = Workbook::open(bytes.clone()).and_then(|mut w| w.read(None)) else { continue };
        // Every named column in the body: an empty value is a problem.
        let body: String = table
            .columns
            .iter()
            .filter(|c| {
                !c.name.is_empty()
                    && !table
                        .columns
                        .iter()
                        .any(|o| o.index != c.index && o.name.eq_ignore_ascii_case(&c.name))
            })
            .map(|c| format!("<p>{{{{[{}]}}}}</p>", c.name))
            .collect();
        let subject = "Hello";
        let spec = MergeSpec::html(subject, &body, "body.html");
        let merge = Merge::new(&table, &spec).expect(&name);
        let mut whole = Vec::new();
        merge.plan_each(&table, |p| whole.push(p));
        problems += whole.iter().filter(|p| matches!(p, Planned::Problem(_))).count();
        for hold in [0, 1, 5, 44, 46, 100_000] {
            let mut sink = Plans {
                spec: MergeSpec::html(subject, &body, "body.html"),
                planner: None,
                planned: Vec::new(),
            };
            let warnings: Vec<SheetWarning> = Workbook::open(bytes.clone())
                .and_then(|mut w| w.stream_with(None, &ReadOptions::default(), hold, &mut sink))
                .expect(&name);
            assert_eq!(sink.planned, whole, "{name}, holding {hold}");
            assert_eq!(warnings, table.warnings, "{name}, holding {hold}");
        }
    }
    assert!(problems >= 80, "duplicates, empty values and bad addresses were planned ({problems})");
}

#[test]
fn a_grouped_merge_has_no_row_by_row_planner() {
    let table = super::csv("Email,Item\na@example.com,x\na@example.com,y\n");
    let mut spec = MergeSpec::html("Hi", "{{#each rows}}{{Item}}{{/each}}", "body.html");
    spec.group_by = Some("Email".into());
    let merge = Merge::new(&table, &spec).expect("merge");
    assert!(merge.planner(&table).is_none());
}

//! The same contact list written by openpyxl, xlsxwriter, LibreOffice (ods, xls, flat ods,
//! HTML, French Excel-style CSV) and as Excel's "Unicode Text" reads the same everywhere.

use localmerge_core::format::Locale;
use localmerge_core::value::{DateKind, ExcelDate};
use localmerge_core::{Format, Merge, MergeSpec, Value, Workbook};

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
    check("contacts.libreoffice.fods", Format::Ods, "Contacts", [2, 3, 5, 6]);
    check("contacts.libreoffice.html", Format::Html, "Table 1", [2, 3, 5, 6]);
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
    assert_eq!(row[12], Value::Error("#N/A".into()), "a cached error cell");
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

/// Format codes and values, one or more per class the format engine renders, with the text
/// Excel shows (en-US; Microsoft's format-code pages). The LibreOffice cross-check renders
/// them too.
pub const DISPLAY_CASES: &[(&str, f64, &str)] = &[
    ("General", 1234.5, "1234.5"),
    ("General", 0.1, "0.1"),
    ("General", 1.0 / 3.0, "0.333333333"),
    ("General", 123456789012.0, "1.23457E+11"),
    ("0", 2.5, "3"),
    ("0.00", 1.005, "1.01"),
    ("#,##0.00", 1234567.891, "1,234,567.89"),
    ("00000", 501.0, "00501"),
    ("0%", 0.175, "18%"),
    ("0.0%", 0.175, "17.5%"),
    ("0.00E+00", 12345.0, "1.23E+04"),
    ("\"€\"#,##0.00", 1234.5, "€1,234.50"),
    ("[$€-40C]#,##0.00", 1234.5, "€1,234.50"),
    ("0\" kg\"", 12.0, "12 kg"),
    ("\\$0.00", 3.0, "$3.00"),
    ("#,##0;(#,##0);\"-\"", -1234.0, "(1,234)"),
    ("#,##0;(#,##0);\"-\"", 0.0, "-"),
    ("#,##0.00_);[Red](#,##0.00)", -5.0, "(5.00)"),
    ("0.00;-0.00;\"zero\"", 0.0, "zero"),
    ("0.###", 1.5, "1.5"),
    ("#,##0,\"k\"", 12345.0, "12k"),
    ("[>=1000]#,##0,\"k\";0", 999.0, "999"),
    ("[>=1000]#,##0,\"k\";0", 12345.0, "12k"),
    ("#,###;;", -12.34, ""),
    ("0;-0;;@", 0.0, ""),
    (".00", 1.14159, "1.14"),
    ("General\" kg\"", 12.0, "12 kg"),
    ("\"Total: \"General", 12.5, "Total: 12.5"),
    ("# ?/?", 1.5, "1 1/2"),
    ("# ??/??", 1.14159, "1  1/7 "),
    ("?/8", 0.375, "3/8"),
    ("# ?/16", 2.5, "2 8/16"),
    ("dd/mm/yyyy", 45352.0, "01/03/2024"),
    ("d mmmm yyyy", 45352.0, "1 March 2024"),
    ("mmm d, yyyy", 45352.0, "Mar 1, 2024"),
    ("dddd", 45352.0, "Friday"),
    ("ddd dd/mm/yy", 45657.0, "Tue 31/12/24"),
    ("h:mm AM/PM", 0.75, "6:00 PM"),
    ("h:mm A/P", 0.75, "6:00 P"),
    ("hh:mm:ss", 0.5 + 61.0 / 86400.0, "12:01:01"),
    ("[h]:mm", 1.5, "36:00"),
    ("[mm]:ss", 0.0625, "90:00"),
    ("mm:ss.0", 17.0 / 1440.0 + 42.7 / 86400.0, "17:42.7"),
    ("yyyy-mm-dd hh:mm", 45352.5, "2024-03-01 12:00"),
    ("m/d/yyyy h:mm", 0.5, "1/0/1900 12:00"),
    ("m/d/yyyy", 60.0, "2/29/1900"),
    ("m/d/yyyy", 61.0, "3/1/1900"),
    ("h:mm:ss", 0.999999, "0:00:00"),
    ("[$-40C]d mmmm yyyy", 45352.0, "1 mars 2024"),
    ("[$-407]dddd d. mmmm", 45352.0, "Freitag 1. März"),
    ("[$-409]mmm-yy", 45352.0, "Mar-24"),
    ("[$-F800]dddd, mmmm dd, yyyy", 45352.0, "Friday, March 1, 2024"),
    ("[$-F400]h:mm:ss AM/PM", 45352.75, "6:00:00 PM"),
    ("e", 45352.0, "2024"),
];

fn display_table() -> localmerge_core::Table {
    let cases: Vec<(&str, f64)> = DISPLAY_CASES.iter().map(|(c, v, _)| (*c, *v)).collect();
    let bytes = localmerge_testdata::formats_xlsx(&cases).expect("workbook");
    Workbook::open(bytes).and_then(|mut w| w.read(None)).expect("read")
}

#[test]
fn xlsx_values_render_as_the_spreadsheet_shows_them() {
    let t = display_table();
    let merge = Merge::new(&t, &MergeSpec::html("s", "{{Value}}", "b")).expect("merge");
    let plan = merge.plan(&t);
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    for ((code, v, want), m) in DISPLAY_CASES.iter().zip(&plan.messages) {
        assert_eq!(m.body, *want, "{code} {v}");
    }
}

#[test]
fn the_locale_changes_separators_names_and_regional_dates() {
    let bytes = localmerge_testdata::formats_xlsx(&[
        ("#,##0.00", 1234.5),
        ("d mmmm yyyy", 45352.0),
        ("m/d/yyyy", 45352.0),
    ])
    .expect("workbook");
    let t = Workbook::open(bytes).and_then(|mut w| w.read(None)).expect("read");
    let mut spec = MergeSpec::html("s", "{{Value}}", "b");
    spec.locale = Locale::find("fr-FR").expect("fr-FR");
    let bodies: Vec<String> =
        Merge::new(&t, &spec).expect("merge").plan(&t).messages.into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, ["1\u{202F}234,50", "1 mars 2024", "3/1/2024"], "an explicit code keeps its order");

    // Built-in format 14 (Excel's "short date", stored as an id, not a code) follows the
    // reader's locale.
    let bytes = localmerge_testdata::builtin_format_xlsx(14, 45352.0).expect("workbook");
    let t = Workbook::open(bytes).and_then(|mut w| w.read(None)).expect("read");
    let short_date = |tag: &str| {
        let mut spec = MergeSpec::html("s", "{{Value}}", "b");
        spec.locale = Locale::find(tag).expect("locale");
        Merge::new(&t, &spec).expect("merge").plan(&t).messages[0].body.clone()
    };
    assert_eq!(short_date("en-US"), "3/1/2024");
    assert_eq!(short_date("en-GB"), "01/03/2024");
    assert_eq!(short_date("de-DE"), "01.03.2024");
    assert_eq!(short_date("nl-NL"), "1-3-2024");
}

#[test]
fn comparisons_use_the_typed_value_and_text_helpers_the_displayed_one() {
    let t = display_table();
    let spec = MergeSpec::html("s", "{{#if (gt Value 1000)}}big {{/if}}{{upper Value}}", "b");
    let plan = Merge::new(&t, &spec).expect("merge").plan(&t);
    assert_eq!(plan.messages[0].body, "big 1234.5");
    let friday = DISPLAY_CASES.iter().position(|(c, v, _)| *c == "dddd" && *v == 45352.0).expect("a Friday");
    assert_eq!(
        plan.messages[friday].body, "big FRIDAY",
        "a date's serial is over 1000; its text is its display"
    );
}

/// Custom formats written by openpyxl and xlsxwriter (and carried into LibreOffice's ods
/// and xls): a ZIP code with leading zeros, a currency with a negative section, and a
/// duration past midnight, in both date systems.
#[test]
fn custom_formats_from_every_writer() {
    for file in [
        "contacts.openpyxl.xlsx",
        "contacts.xlsxwriter.xlsx",
        "contacts.1904.xlsx",
        "contacts.libreoffice.ods",
        "contacts.libreoffice.xls",
        "contacts.libreoffice.fods",
        // Text as LibreOffice shows it.
        "contacts.libreoffice.html",
    ] {
        let t = table(file);
        let plan = Merge::new(&t, &MergeSpec::html("s", "{{Zip}}|{{Price}}|{{Shift}}|{{Joined}}", "b"))
            .expect("merge")
            .plan(&t);
        let bodies: Vec<&str> = plan.messages.iter().map(|m| m.body.as_str()).collect();
        let joined_grace = if file.contains("openpyxl") { "2023-12-31 18:30" } else { "2023-12-31" };
        assert_eq!(
            bodies,
            ["00501|1,234.50 €|30:00|2024-03-01".to_owned(), format!("02134|-12.00 €|9:00|{joined_grace}"),],
            "{file}"
        );
    }
}

#[test]
fn headers_are_named_by_the_text_they_show_with_white_space_normalised() {
    let t = Workbook::open(localmerge_testdata::headers_xlsx().expect("workbook"))
        .and_then(|mut w| w.read(None))
        .expect("read");
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["Email", "1 Mar 2024", "050", "12:13:14", "First Name", "Last Name", "Two Spaces", "Tab Name"]
    );
    // The header's own spelling and the plain-space one both resolve.
    // The pane's column picker inserts `{{name}}`: it resolves for every header.
    for (i, name) in names.iter().enumerate().skip(1) {
        let token = format!("{{{{{name}}}}}");
        let plan =
            Merge::new(&t, &MergeSpec::html("s", &token, "b")).expect("the picker's token resolves").plan(&t);
        assert_eq!(plan.messages[0].body, format!("v{i}"), "{token}");
    }
    let body = "{{[First\nName]}}|{{First Name}}|{{[Last\u{a0}Name]}}|{{[Two  Spaces]}}|{{[Tab\tName]}}|{{[050]}}|{{[12:13:14]}}|{{[1 Mar 2024]}}";
    let plan = Merge::new(&t, &MergeSpec::html("s", body, "b")).expect("every token resolves").plan(&t);
    assert_eq!(plan.messages[0].body, "v4|v4|v5|v6|v7|v2|v3|v1");
    // A misspelt name is told the header's usable spelling, never what was typed.
    let err = Merge::new(&t, &MergeSpec::html("s", "{{[Frist\nName]}}", "b")).expect_err("unknown column");
    let message = err.to_string();
    assert!(message.contains("did you mean \"First Name\""), "{message}");
}

#[test]
fn a_value_excel_would_not_show_is_a_problem_of_the_row_that_uses_it() {
    let bytes = localmerge_testdata::formats_xlsx(&[
        ("yyyy-mm-dd", 45352.0),
        ("yyyy-mm-dd", 2958466.0),
        ("yyyy-mm-dd", -1.0),
        ("[$-411]mmmm", 45352.0),
        ("B2yyyy-mm-dd", 45352.0),
    ])
    .expect("workbook");
    let t = Workbook::open(bytes).and_then(|mut w| w.read(None)).expect("read");
    let plan = Merge::new(&t, &MergeSpec::html("s", "{{Value}}", "b")).expect("merge").plan(&t);
    assert_eq!(plan.messages.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["2024-03-01"]);
    let problems: Vec<String> = plan.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [
            "row 3: column \"Value\" (B): a date before 1900 or after 9999, which Excel shows as ########",
            "row 4: column \"Value\" (B): a date before 1900 or after 9999, which Excel shows as ########",
            "row 5: column \"Value\" (B): its number format uses the names of a locale localmerge does not ship, which localmerge cannot show",
            "row 6: column \"Value\" (B): its number format uses the Hijri calendar (B2), which localmerge cannot show",
        ]
    );
    // A template that does not print the value does not make the row a problem.
    let plan = Merge::new(&t, &MergeSpec::html("s", "{{Code}}", "b")).expect("merge").plan(&t);
    assert!(plan.problems.is_empty());
}

#[test]
fn a_hidden_sheet_is_never_the_default_but_can_be_chosen() {
    let mut wb = Workbook::open(localmerge_testdata::hidden_first_xlsx().expect("workbook")).expect("open");
    assert_eq!(wb.sheet_names(), ["Old list", "Contacts"]);
    assert_eq!(wb.hidden_sheets(), ["Old list"]);
    assert_eq!(wb.read(None).expect("default").sheet, "Contacts");
    let hidden = wb.read(Some("Old list")).expect("by name");
    assert_eq!(hidden.rows[0].values[0].to_text(), "old@example.org");
}

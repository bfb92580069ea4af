use super::sheet::cell_ref;
use super::*;

#[test]
fn date_formats_are_recognised_as_excel_does() {
    for code in ["yyyy-mm-dd", "d/m/yy h:mm", "[$-409]mmmm d, yyyy", "h:mm AM/PM", "DD/MM/YY", "H:MM:SS;@"] {
        assert_eq!(code_kind(code), Kind::Date, "{code}");
    }
    for code in ["[h]:mm:ss", "[mm]:ss", "[ss]"] {
        assert_eq!(code_kind(code), Kind::Duration, "{code}");
    }
    for code in ["0.00", "#,##0 \"days\"", "\\d0", "[Red]0.00", "General", "0;[Red]-0;\"d\""] {
        assert_eq!(code_kind(code), Kind::Number, "{code}");
    }
}

/// Rewrites a package's entries: `edit` gets each (name, bytes) and may change them.
fn repackage(bytes: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>, extra: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::{Read as _, Write as _};
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        let name = f.name().expect("name").into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data).expect("read");
        out.start_file(name.as_str(), options).expect("start");
        out.write_all(&edit(&name, data)).expect("write");
    }
    for (name, data) in extra {
        out.start_file(*name, options).expect("start");
        out.write_all(data).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

#[test]
fn a_macro_sheet_and_utf16_parts_do_not_refuse_the_workbook() {
    let book = localmerge_testdata::formats_xlsx(&[("0.00", 1.5)]).expect("workbook");
    let utf16 = |text: &str| -> Vec<u8> {
        [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
    };
    let edited = repackage(
        &book,
        |name, data| {
            let text = String::from_utf8(data.clone()).unwrap_or_default();
            match name {
                "xl/workbook.xml" => text
                    .replace("</sheets>", r#"<sheet name="Macro1" sheetId="9" r:id="rIdMacro"/></sheets>"#)
                    .into_bytes(),
                "xl/_rels/workbook.xml.rels" => text
                    .replace(
                        "</Relationships>",
                        r#"<Relationship Id="rIdMacro" Type="http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet" Target="macrosheets/sheet1.xml"/></Relationships>"#,
                    )
                    .into_bytes(),
                "xl/sharedStrings.xml" => utf16(&text.replace("UTF-8", "UTF-16")),
                _ => data,
            }
        },
        &[("xl/macrosheets/sheet1.xml", b"<xm:macrosheet/>")],
    );
    let mut wb = crate::read::Workbook::open(edited).expect("the workbook opens");
    assert_eq!(wb.sheet_names(), ["Formats"], "the macro sheet is not offered");
    let t = wb.read(None).expect("read");
    assert_eq!(t.columns[0].name, "Code", "the UTF-16 shared strings are read");
    assert_eq!(t.rows[0].values[0].to_text(), "0.00");
}

#[test]
fn a_workbook_at_a_non_standard_path_is_found_through_the_package_relationships() {
    use std::io::{Read as _, Write as _};
    let book = localmerge_testdata::formats_xlsx(&[("0.00", 1.5)]).expect("workbook");
    let mut zip = zip::ZipArchive::new(Cursor::new(book.as_slice())).expect("zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        let name = f.name().expect("name").into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data).expect("read");
        // Every part of xl/ moves to book/, and the package's relationship follows it.
        let name = name.replacen("xl/", "book/", 1);
        if name == "_rels/.rels" {
            data = String::from_utf8(data)
                .expect("utf8")
                .replace("xl/workbook.xml", "book/main.xml")
                .into_bytes();
        }
        let name = if name == "book/workbook.xml" { "book/main.xml".to_owned() } else { name };
        let name =
            if name == "book/_rels/workbook.xml.rels" { "book/_rels/main.xml.rels".to_owned() } else { name };
        out.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).expect("start");
        out.write_all(&data).expect("write");
    }
    let moved = out.finish().expect("zip").into_inner();
    let t = crate::read::Workbook::open(moved).and_then(|mut w| w.read(None)).expect("found and read");
    assert_eq!(t.columns[0].name, "Code");
    assert_eq!(t.rows[0].values[0].to_text(), "0.00");
}

#[test]
fn an_unreadable_sheet_does_not_hide_a_readable_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/contacts.openpyxl.xlsx");
    let book = std::fs::read(path).expect("fixture");
    let broken = repackage(
        &book,
        |name, data| {
            if name == "xl/worksheets/sheet1.xml" {
                b"<worksheet><sheetData><row r=\"x\">".to_vec()
            } else {
                data
            }
        },
        &[],
    );
    let mut wb = crate::read::Workbook::open(broken).expect("open");
    assert_eq!(wb.sheet_names(), ["Cover", "Contacts"]);
    assert_eq!(wb.read(None).expect("the readable sheet").sheet, "Contacts");
    let err = wb.read(Some("Cover")).expect_err("the broken one, by name");
    assert!(err.to_string().contains("not a cell reference"), "{err}");
    let unreadable = wb.unreadable_sheets("Contacts");
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0].0, "Cover");
    assert!(unreadable[0].1.to_string().contains("not a cell reference"), "{:?}", unreadable[0].1);
    assert!(wb.unreadable_sheets("Cover").is_empty(), "the sheet already read is left out");
}

#[test]
fn rich_text_runs_keep_what_excel_shows() {
    let read = |xml: &str| {
        let mut reader = Reader::from_reader(xml.as_bytes());
        let mut scratch = Scratch::default();
        let mut buf = Vec::new();
        reader.read_event_into(&mut buf).expect("si");
        rich_string(&mut reader, "si", &mut scratch).expect("string")
    };
    assert_eq!(read("<si><r><t>hello</t></r><r><t> </t></r><r><t>world</t></r></si>"), "hello world");
    assert_eq!(read("<si><t>  trimmed  </t></si>"), "trimmed");
    assert_eq!(read("<si><t xml:space=\"preserve\">  kept  </t></si>"), "  kept  ");
    assert_eq!(read("<si><r><t>a </t></r><r><t xml:space=\"preserve\"> b</t></r></si>"), "a b");
}

#[test]
fn excel_escapes_are_read() {
    assert_eq!(unescape_excel("a_x000D_b"), "a\rb");
    assert_eq!(unescape_excel("_xD83D__xDE00_!"), "😀!");
    assert_eq!(unescape_excel("_xD83D_"), "\u{FFFD}");
    assert_eq!(unescape_excel("_x005F_x000D_"), "_x000D_");
    assert_eq!(unescape_excel("first_name_x"), "first_name_x");
}

#[test]
fn cell_attributes_are_scanned_like_xml() {
    assert_eq!(
        raw_attrs(r#" r="B2" s='3'  t = "s""#, ["r", "s", "t"]),
        Ok([Some("B2"), Some("3"), Some("s")])
    );
    assert_eq!(raw_attrs(r#"r="A1" x:foo="a>b" /"#, ["r", "s", "t"]), Ok([Some("A1"), None, None]));
    assert_eq!(raw_attrs("", ["r"]), Ok([None]));
    for bad in ["r", "r=A1", r#"r="A1"#, "r= 'x"] {
        assert!(raw_attrs(bad, ["r"]).is_err(), "{bad}");
    }
}

#[test]
fn cell_references_are_checked() {
    assert_eq!(cell_ref(b"A1"), Ok((0, Some(0))));
    assert_eq!(cell_ref(b"AB12"), Ok((11, Some(27))));
    assert_eq!(cell_ref(b"7"), Ok((6, None)));
    assert!(cell_ref(b"A0").is_err());
    assert!(cell_ref(b"A1B").is_err());
    assert!(cell_ref(b"ZZZZZZZZ1").is_err());
    assert!(cell_ref(b"A99999999999").is_err());
}

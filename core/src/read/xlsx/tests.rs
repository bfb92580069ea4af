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
        let mut reader = Xml::new(xml.as_bytes(), true);
        assert!(matches!(reader.next(), Ok(Event::Start(_))), "si");
        rich_string(&mut reader, "si", &mut String::new()).map_err(|e| e.detail()).expect("string")
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

mod paths {
    use proptest::prelude::*;

    use super::*;

    /// One piece of a generated sheet's `<sheetData>`.
    fn piece() -> impl Strategy<Value = String> {
        let text = prop_oneof![
            Just("plain".to_owned()),
            Just("caf\u{e9} \u{1F600}".to_owned()),
            Just("a &amp; b &lt;c&gt; &#65;".to_owned()),
            Just("two\r\nlines".to_owned()),
            Just("_x0041__xD83D__xDE00_".to_owned()),
            Just("  spaced  ".to_owned()),
            Just(String::new()),
            "[0-9]{1,6}(\\.[0-9]{1,3})?".prop_map(|s| s),
        ];
        let cell_type = prop_oneof![
            Just(""),
            Just(" t=\"n\""),
            Just(" t=\"s\""),
            Just(" t=\"b\""),
            Just(" t=\"e\""),
            Just(" t=\"str\""),
            Just(" t=\"inlineStr\""),
            Just(" t=\"d\""),
        ];
        let reference = prop_oneof![
            Just(String::new()),
            (0u32..4, 1u32..9).prop_map(|(c, r)| { format!(" r=\"{}{r}\"", char::from(b'A' + c as u8)) })
        ];
        let style = prop_oneof![Just(""), Just(" s=\"0\""), Just(" s=\"1\""), Just(" s=\"9\"")];
        let ws = prop_oneof![Just(""), Just(" "), Just("\n  "), Just("\r\n")];
        let cell = (reference, style, cell_type, text.clone(), 0u8..10, ws.clone()).prop_map(
            |(r, s, t, text, shape, ws)| {
                let index = if t == " t=\"s\"" { "0".to_owned() } else { text.clone() };
                let bool_or = if t == " t=\"b\"" { "1".to_owned() } else { index };
                match shape {
                    0 => format!("<c{r}{s}{t}/>"),
                    1 => format!("<c{r}{s}{t}>{ws}<v>{bool_or}</v>{ws}</c>"),
                    2 => format!("<c{r}{s}{t}><f>A1&gt;B1</f><v>{bool_or}</v></c>"),
                    9 => format!("<c{r}{s}{t} note=\"a>b\"><v>{bool_or}</v></c>"),
                    3 => format!("<c{r}{s}{t}><v>{bool_or}</v><f t=\"shared\" si=\"0\"/></c>"),
                    4 => format!("<c{r}{s} t=\"inlineStr\"><is><t>{text}</t></is></c>"),
                    5 => format!("<c{r}{s}{t}><v/></c>"),
                    6 => format!("<x:c{r}{s}{t}><x:v>{bool_or}</x:v></x:c>"),
                    7 => format!("<c{r}{s}{t}><!-- it's a note --><v>{bool_or}</v></c>"),
                    8 => format!("<c{r}{s}{t}><v xml:space=\"preserve\">{bool_or}</v></c>"),
                    _ => format!("<c{r}{s}{t}/>"),
                }
            },
        );
        let row_start = prop_oneof![
            Just("<row>".to_owned()),
            (1u32..12).prop_map(|r| format!("<row r=\"{r}\" spans=\"1:4\">")),
            (1u32..12).prop_map(|r| format!("<row r=\"{r}\"/>")),
        ];
        let between = prop_oneof![
            ws.prop_map(str::to_owned),
            Just("<!-- Don't > stop -->".to_owned()),
            Just("<?pi x='>'?>".to_owned()),
        ];
        prop_oneof![4 => cell, 1 => row_start, 1 => Just("</row>".to_owned()), 1 => between]
    }

    /// A workbook whose first sheet's cells are `cells` (its shared strings and styles those
    /// of `formats_xlsx`).
    fn with_cells(cells: &str) -> Vec<u8> {
        let book =
            localmerge_testdata::formats_xlsx(&[("0.00", 1.5), ("yyyy-mm-dd", 45000.0)]).expect("book");
        repackage(
            &book,
            |name, data| {
                if name != "xl/worksheets/sheet1.xml" {
                    return data;
                }
                let text = String::from_utf8(data).expect("utf-8");
                let (start, end) =
                    (text.find("<sheetData").expect("data"), text.find("</sheetData>").expect("end"));
                let open = start + text[start..].find('>').expect(">") + 1;
                format!("{}{cells}{}", &text[..open], &text[end..]).into_bytes()
            },
            &[],
        )
    }

    fn read(bytes: &[u8], fast: bool, window: Option<usize>) -> String {
        let how = super::super::window::TestRead { window, slow: !fast };
        let read = super::super::window::reading(how, || {
            crate::read::Workbook::open(bytes.to_vec()).and_then(|mut w| w.read(None))
        });
        format!("{read:?}")
    }

    /// What a streamed read of the first sheet hands over, put back together as
    /// [`read`] shows a table (or its error), through a `window`-byte window.
    fn stream(bytes: &[u8], hold: usize, window: Option<usize>) -> String {
        #[derive(Default)]
        struct Collect(Option<crate::Table>, Vec<crate::Row>);
        impl crate::read::RowSink for Collect {
            fn head(&mut self, head: crate::Table) -> std::ops::ControlFlow<()> {
                self.0 = Some(head);
                std::ops::ControlFlow::Continue(())
            }
            fn row(&mut self, row: crate::Row) -> std::ops::ControlFlow<()> {
                self.1.push(row);
                std::ops::ControlFlow::Continue(())
            }
        }
        let how = super::super::window::TestRead { window, slow: false };
        let read = super::super::window::reading(how, || {
            let mut sink = Collect::default();
            let options = crate::ReadOptions::default();
            let warnings = crate::read::Workbook::open(bytes.to_vec())
                .and_then(|mut w| w.stream_with(None, &options, hold, &mut sink))?;
            let mut table = sink.0.unwrap_or_else(|| panic!("no head"));
            table.rows.append(&mut sink.1);
            table.warnings = warnings;
            Ok::<_, crate::ReadError>(table)
        });
        format!("{read:?}")
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// A shared string the fast path reads is the string quick-xml reads.
        #[test]
        fn the_fast_path_reads_shared_strings_as_quick_xml(
            text in "[ \t\r\na-z_x0-9DE&;<>é]{0,12}",
            preserve in any::<bool>(),
            ws in "[ \n]{0,2}",
        ) {
            let t = if preserve { "<t xml:space=\"preserve\">" } else { "<t>" };
            let escaped = text.replace('&', "&amp;").replace('<', "&lt;");
            let item = format!("{ws}<si>{ws}{t}{escaped}</t>{ws}</si><si>");
            if let Ok((fast, len)) = super::super::fast::shared_string(&item, true) {
                let mut xml = Xml::new(item.as_bytes(), true);
                assert!(matches!(xml.next().map_err(|e| e.detail()), Ok(Event::Text(_) | Event::Start(_))));
                if !ws.is_empty() {
                    assert!(matches!(xml.next().map_err(|e| e.detail()), Ok(Event::Start(_))));
                }
                let slow = rich_string(&mut xml, "si", &mut String::new()).map_err(|e| e.detail());
                prop_assert_eq!(Ok(fast.into_owned()), slow);
                prop_assert_eq!(len, xml.position());
            }
        }

        /// Generated sheets — rows with and without numbers, every cell type, formulas, entities,
        /// line ends, prefixes, comments, inline strings — read the same by quick-xml alone
        /// as with the fast path, through the usual window and through small ones.
        #[test]
        fn the_fast_path_reads_what_quick_xml_reads(pieces in proptest::collection::vec(piece(), 0..40)) {
            let bytes = with_cells(&pieces.concat());
            let slow = read(&bytes, false, None);
            prop_assert_eq!(&read(&bytes, true, None), &slow);
            prop_assert_eq!(&read(&bytes, true, Some(7)), &slow);
            prop_assert_eq!(&read(&bytes, false, Some(7)), &slow);
            // Streamed, the same table, or (rows out of order once some are handed over)
            // refused as such.
            for (hold, window) in [(0, None), (2, Some(7)), (1_000, None)] {
                let streamed = stream(&bytes, hold, window);
                if !streamed.starts_with("Err(OutOfOrder") || hold >= 1_000 {
                    prop_assert_eq!(&streamed, &slow, "holding {}", hold);
                }
            }
            // And as calamine reads it (rows in any order: ours hands rows to the table as they
            // come and reads a sheet again when they do not come in order), where it does.
            #[cfg(feature = "all-formats")]
            {
                use crate::read::calamine_adapter::Excel;
                let theirs = Excel::open(bytes.clone(), Format::Xlsx).and_then(|mut x| x.table("Formats", &Region::default()));
                if let Ok(Some(table)) = theirs {
                    let ours = Xlsx::open(bytes.clone(), Format::Xlsx).and_then(|x| x.table("Formats", &Region::default()));
                    prop_assert_eq!(ours.ok().flatten(), Some(table));
                }
            }
        }
    }
}

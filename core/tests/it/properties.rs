//! Properties of reading and rendering that hold for any input.

use proptest::prelude::*;

use localmerge_core::read::Delimiter;
use localmerge_core::template::html_escape;
use localmerge_core::{Escaping, RowView, Template, Value, Workbook};

fn field() -> impl Strategy<Value = String> {
    // Delimiters, quotes, line breaks, spaces and non-ASCII Latin-1 letters.
    "[a-zA-Z0-9 ,;|\t\"'\n\r\\-éàçüß€]{0,12}"
}

#[derive(Debug, Clone, Copy)]
enum Enc {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Windows1252,
}

fn encode(text: &str, enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Utf8 => text.as_bytes().to_vec(),
        Enc::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        Enc::Utf16Le => {
            let mut v = vec![0xFF, 0xFE];
            text.encode_utf16().for_each(|u| v.extend_from_slice(&u.to_le_bytes()));
            v
        }
        Enc::Windows1252 => encoding_rs::WINDOWS_1252.encode(text).0.into_owned(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Whatever the cells hold, a file written with any of the four delimiters and any of
    /// the four encodings reads back with that delimiter and exactly those cells.
    #[test]
    fn csv_sniffing_round_trips(
        width in 2..6usize,
        rows in prop::collection::vec(prop::collection::vec(field(), 6), 1..8),
        d in prop::sample::select(Delimiter::CANDIDATES.to_vec()),
        enc in prop_oneof![Just(Enc::Utf8), Just(Enc::Utf8Bom), Just(Enc::Utf16Le), Just(Enc::Windows1252)],
    ) {
        let mut w = csv::WriterBuilder::new().delimiter(d).from_writer(Vec::new());
        let header: Vec<String> = (0..width).map(|i| format!("Col{i}")).collect();
        w.write_record(&header).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                r.truncate(width);
                r[0] = format!("row{i}"); // never a blank row
                r
            })
            .collect();
        for r in &rows {
            w.write_record(r).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let text = String::from_utf8(w.into_inner().map_err(|e| TestCaseError::fail(e.to_string()))?)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bytes = encode(&text, enc);
        // Windows-1252 bytes that also form valid UTF-8 (é€€ is E9 80 80, 退 in UTF-8) are
        // read as UTF-8 by rule, as Excel and LibreOffice read them: not a round trip.
        prop_assume!(!matches!(enc, Enc::Windows1252) || text.is_ascii() || std::str::from_utf8(&bytes).is_err());
        let mut wb = Workbook::open(bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(wb.text_details().map(|(_, d)| d), Some(Delimiter(d)));
        let t = wb.read(None).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(t.columns.len(), width);
        prop_assert_eq!(t.rows.len(), rows.len());
        for (got, want) in t.rows.iter().zip(&rows) {
            for (g, w) in got.values.iter().zip(want) {
                let expected = if w.trim().is_empty() { String::new() } else { w.clone() };
                prop_assert_eq!(g.to_text(), expected);
            }
        }
    }

    /// No cell content can break out of HTML: the escaped text holds no markup
    /// character and unescapes to exactly the cell.
    #[test]
    fn no_cell_breaks_out_of_the_html_body(s in any::<String>()) {
        let t = crate::csv("Email,X\n");
        let template = Template::compile("<a title=\"{{X}}\">{{X}}</a>", "b", Escaping::Html, &t)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let out = template.render(RowView::plain(&[Value::Empty, Value::Text(s.clone())]), &mut Vec::new());
        let inner = out.strip_prefix("<a title=\"").and_then(|o| o.strip_suffix("</a>"));
        let (attr, text) = inner.and_then(|i| i.split_once("\">")).ok_or_else(|| TestCaseError::fail(out.clone()))?;
        prop_assert_eq!(attr, text);
        prop_assert!(!attr.contains(['<', '>', '"', '\'', '`', '=']));
        let unescaped = attr
            .replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
            .replace("&#x27;", "'").replace("&#x60;", "`").replace("&#x3D;", "=").replace("&amp;", "&");
        // A cell of only white space is blank: it prints nothing (and is reported).
        let expected = if s.trim().is_empty() { String::new() } else { s.clone() };
        prop_assert_eq!(unescaped, expected.clone());
        prop_assert_eq!(html_escape(&expected), attr);
    }

    /// No cell content can put a line break (a header injection) into a subject.
    #[test]
    fn subjects_stay_on_one_line(s in any::<String>()) {
        let t = crate::csv(&format!("Email,X\na@x.org,{}\n", "\"x\""));
        let mut t = t;
        t.rows[0].values[1] = Value::Text(s);
        let m = localmerge_core::Merge::new(&t, &localmerge_core::MergeSpec::html("Re: {{default X \"-\"}} !", "b", "b"))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let plan = m.plan(&t);
        prop_assert_eq!(plan.messages.len(), 1);
        prop_assert!(!plan.messages[0].subject.chars().any(char::is_control), "{:?}", plan.messages[0].subject);
    }

    /// Any cell parses to addresses without panicking, and an accepted address never holds
    /// white space, control characters or separators.
    #[test]
    fn addresses_never_smuggle_separators(s in "[a-z@.<>\",; \r\n\t\u{0}-\u{1f}é]{0,30}") {
        for m in localmerge_core::address::parse_cell(&s).into_iter().flatten() {
            prop_assert!(!m.address.chars().any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c)), "{:?}", m);
        }
    }
}

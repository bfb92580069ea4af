//! The number formats of an OpenDocument spreadsheet, which calamine does not expose:
//! ODF data styles (`number:date-style`, `number:currency-style`…) become format codes,
//! and each valued cell gets its style by ODF's own positioning (rows and cells repeated
//! by `number-rows-repeated` / `number-columns-repeated`, covered cells counted), as
//! calamine positions them.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::MAX_CELLS;
use super::styles::{CellXfs, WorkbookStyles};

/// The elements that define a data style.
const DATA_STYLES: [&str; 6] = [
    "number:number-style",
    "number:currency-style",
    "number:percentage-style",
    "number:date-style",
    "number:time-style",
    "number:text-style",
];

/// The first format index given to ODS codes (below are spreadsheet built-ins).
const FIRST_CODE: u16 = 1000;
/// Columns a row may have (LibreOffice's maximum).
const MAX_COLUMNS: u32 = 16_384;

/// Reads the package's styles; a package it cannot read has none (calamine reports it).
pub(super) fn read(bytes: &[u8]) -> WorkbookStyles {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else { return WorkbookStyles::default() };
    let mut part = |name: &str| -> Vec<u8> {
        let mut data = Vec::new();
        if let Ok(f) = zip.by_name(name) {
            let _ = f.take(256 << 20).read_to_end(&mut data);
        }
        data
    };
    let (styles_xml, content) = (part("styles.xml"), part("content.xml"));
    let mut defs = Definitions::default();
    defs.scan(&styles_xml, false);
    defs.scan(&content, true);
    defs.styles
}

#[derive(Default)]
struct DataStyle {
    code: String,
    /// Hours count past 24 (`number:truncate-on-overflow="false"`): `[h]`.
    elapsed: bool,
    /// (condition, style to apply) from `style:map`.
    maps: Vec<(String, String)>,
    /// `number:automatic-order="true"`: day, month and year follow the reader's order.
    automatic_order: bool,
    /// The date parts seen: numeric day, month and year, and anything else (`number:text`
    /// aside) that the locale's short date does not show.
    date_parts: DateParts,
    /// `number:format-source="language"`: the style is the locale's own date format.
    from_language: bool,
    /// Where the integer placeholders of the last `number:number` are in `code`, for its
    /// `number:embedded-text` children, and the position (digits from the right) of the
    /// text being read.
    integer: (usize, usize),
    embedded_at: usize,
}

#[derive(Default, Clone, Copy)]
struct DateParts {
    day: bool,
    month: bool,
    year: bool,
    time: bool,
    other: bool,
}

#[derive(Default)]
struct Definitions {
    data_styles: HashMap<String, DataStyle>,
    /// Cell style name → data style name.
    cell_styles: HashMap<String, String>,
    /// Cell style name → XF index in `styles.xf_format`.
    xfs: HashMap<String, u32>,
    styles: WorkbookStyles,
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
        .map(|v| v.into_owned())
}

fn count(e: &BytesStart<'_>, name: &str) -> u32 {
    attr(e, name).and_then(|v| v.parse().ok()).unwrap_or(1).max(1)
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', ""))
}

impl Definitions {
    /// One pass over a part: data styles and cell styles anywhere, and (in content.xml)
    /// the tables' cells.
    fn scan(&mut self, xml: &[u8], with_tables: bool) {
        let mut reader = Reader::from_reader(xml);
        let mut buf = Vec::new();
        let mut style: Option<(String, String, DataStyle)> = None; // (name, kind, style)
        let mut text_target: Option<&'static str> = None; // collecting number:text or currency
        let mut table: Option<(String, CellXfs)> = None;
        let mut column_defaults: Vec<Option<String>> = Vec::new();
        let mut row = 0u32;
        let mut row_default: Option<String> = None;
        let mut row_repeats = 1u32;
        let mut row_cells: Vec<(u32, String)> = Vec::new();
        let mut col = 0u32;
        let mut stored = 0usize;
        loop {
            let event = match reader.read_event_into(&mut buf) {
                Ok(Event::Eof) | Err(_) => break,
                Ok(e) => e,
            };
            let (start, empty) = match &event {
                Event::Start(e) => (Some(e.clone()), false),
                Event::Empty(e) => (Some(e.clone()), true),
                _ => (None, false),
            };
            if let Some(e) = start {
                let name = e.name().as_ref().to_owned();
                match name.as_str() {
                    n if DATA_STYLES.contains(&n) => {
                        let kind = name.clone();
                        let elapsed = attr(&e, "number:truncate-on-overflow").as_deref() == Some("false");
                        let automatic_order = kind == "number:date-style"
                            && attr(&e, "number:automatic-order").as_deref() == Some("true");
                        let from_language = kind == "number:date-style"
                            && attr(&e, "number:format-source").as_deref() == Some("language");
                        let mut ds =
                            DataStyle { elapsed, automatic_order, from_language, ..DataStyle::default() };
                        if let Some(lcid) = lcid(attr(&e, "number:language"), attr(&e, "number:country")) {
                            ds.code = format!("[$-{lcid:X}]");
                        }
                        style = Some((attr(&e, "style:name").unwrap_or_default(), kind, ds));
                        if empty {
                            self.finish_data_style(style.take());
                        }
                    }
                    "style:style" if attr(&e, "style:family").as_deref() == Some("table-cell") => {
                        if let (Some(n), Some(d)) =
                            (attr(&e, "style:name"), attr(&e, "style:data-style-name"))
                        {
                            self.cell_styles.insert(n, d);
                        }
                    }
                    _ if style.is_some() => {
                        if let Some((_, _, ds)) = style.as_mut() {
                            element(&name, &e, ds, &mut text_target, empty);
                        }
                    }
                    "table:table" if with_tables => {
                        table = Some((attr(&e, "table:name").unwrap_or_default(), CellXfs::new()));
                        (row, column_defaults) = (0, Vec::new());
                    }
                    "table:table-column" if table.is_some() => {
                        let n = count(&e, "table:number-columns-repeated");
                        let default = attr(&e, "table:default-cell-style-name");
                        let room = (MAX_COLUMNS as usize).saturating_sub(column_defaults.len());
                        column_defaults.extend(std::iter::repeat_n(default, (n as usize).min(room)));
                    }
                    "table:table-row" if table.is_some() => {
                        row_repeats = count(&e, "table:number-rows-repeated");
                        row_default = attr(&e, "table:default-cell-style-name");
                        (col, row_cells) = (0, Vec::new());
                        if empty {
                            row = row.saturating_add(row_repeats);
                        }
                    }
                    "table:table-cell" | "table:covered-table-cell" if table.is_some() => {
                        let n =
                            count(&e, "table:number-columns-repeated").min(MAX_COLUMNS.saturating_sub(col));
                        if attr(&e, "office:value-type").is_some() {
                            let cell_style = attr(&e, "table:style-name")
                                .or_else(|| row_default.clone())
                                .or_else(|| column_defaults.get(col as usize).cloned().flatten());
                            if let Some(s) = cell_style {
                                row_cells.extend((0..n).map(|k| (col + k, s.clone())));
                            }
                        }
                        col = col.saturating_add(n);
                    }
                    _ => {}
                }
                continue;
            }
            match event {
                Event::Text(t) => {
                    if let (Some(target), Some((_, kind, ds))) = (text_target, style.as_mut()) {
                        push_text(ds, kind, target, &t.xml10_content());
                    }
                }
                Event::End(e) => match e.name().as_ref() {
                    n if DATA_STYLES.contains(&n) => {
                        self.finish_data_style(style.take());
                    }
                    "number:text" | "number:currency-symbol" | "number:embedded-text" => text_target = None,
                    "table:table-row" if table.is_some() => {
                        if let Some((_, cells)) = table.as_mut() {
                            for rep in 0..row_repeats {
                                if row_cells.is_empty() || stored >= MAX_CELLS {
                                    break;
                                }
                                for (c, s) in &row_cells {
                                    let xf = self.xf(s);
                                    cells.insert((row.saturating_add(rep), *c), xf);
                                    stored += 1;
                                }
                            }
                        }
                        row = row.saturating_add(row_repeats);
                    }
                    "table:table" => {
                        if let Some(t) = table.take() {
                            self.styles.sheets.push(t);
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
            buf.clear();
        }
    }

    fn finish_data_style(&mut self, style: Option<(String, String, DataStyle)>) {
        if let Some((name, _, ds)) = style {
            self.data_styles.insert(name, ds);
        }
    }

    /// The XF index of a cell style, created on first use.
    fn xf(&mut self, cell_style: &str) -> u32 {
        if let Some(xf) = self.xfs.get(cell_style) {
            return *xf;
        }
        let data_style = self.cell_styles.get(cell_style);
        let code = data_style.map(|d| self.code(d, 0)).unwrap_or_default();
        let ds = data_style.and_then(|d| self.data_styles.get(d));
        let short_date = ds.and_then(DataStyle::short_date);
        // A long date in the locale's own format is the reader's long date.
        let code = if ds.is_some_and(DataStyle::long_date) { "[$-F800]".to_owned() } else { code };
        let ifmt = if let Some(id) = short_date {
            id
        } else if code.is_empty() {
            0
        } else {
            let next = FIRST_CODE + self.styles.formats.len() as u16;
            let auto = ds.is_some_and(|d| d.automatic_order);
            let existing = self
                .styles
                .formats
                .iter()
                .find(|(i, c)| **c == code && self.styles.locale_order.contains(i) == auto)
                .map(|(i, _)| *i);
            let ifmt = existing.unwrap_or_else(|| {
                self.styles.formats.insert(next, code);
                next
            });
            if auto {
                self.styles.locale_order.insert(ifmt);
            }
            ifmt
        };
        let xf = self.styles.xf_format.len() as u32;
        self.styles.xf_format.push(ifmt);
        self.xfs.insert(cell_style.to_owned(), xf);
        xf
    }

    /// A data style's format code, with its mapped sections. LibreOffice writes a
    /// two-section code as the negative section mapping `value()>=0` to the positive one,
    /// and a three-section code as the zero section mapping `value()>0` and `value()<0`.
    fn code(&self, name: &str, depth: u8) -> String {
        let Some(ds) = self.data_styles.get(name).filter(|_| depth < 4) else { return String::new() };
        let main = ds.code.clone();
        let (mut positive, mut negative, mut zero, mut conditional) = (None, None, None, Vec::new());
        for (condition, apply) in &ds.maps {
            let other = self.code(apply, depth + 1);
            if other.is_empty() {
                continue;
            }
            match condition.replace(' ', "").trim_start_matches("value()") {
                ">=0" | ">0" => positive = Some(other),
                "<0" => negative = Some(other),
                "=0" | "==0" => zero = Some(other),
                cond if cond.starts_with(['<', '>', '=', '!']) => {
                    conditional.push(format!("[{}]{other}", cond.replace("!=", "<>").replace("==", "=")));
                }
                _ => {}
            }
        }
        let sections: Vec<String> = match (positive, negative) {
            // A text style with the three number sections mapped: the text is the fourth.
            (Some(p), Some(n)) if zero.is_some() => vec![p, n, zero.unwrap_or_default(), main],
            (Some(p), Some(n)) => vec![p, n, main],
            (Some(p), None) => vec![p, main],
            (None, Some(n)) => vec![main, n],
            (None, None) if !conditional.is_empty() => {
                conditional.into_iter().chain(std::iter::once(main)).collect()
            }
            (None, None) => vec![main],
        };
        sections.join(";")
    }
}

impl DataStyle {
    /// A date style taken from the locale (`number:format-source="language"`) showing a
    /// month's name: the reader's long date.
    fn long_date(&self) -> bool {
        let p = self.date_parts;
        self.from_language && self.maps.is_empty() && p.day && p.year && !p.month && p.other && !p.time
    }

    /// The built-in id of the reader's short date (14, or 22 with a time) for a numeric
    /// day-month-year style whose order is automatic: LibreOffice writes such a style in
    /// its own order and shows it in the reader's.
    fn short_date(&self) -> Option<u16> {
        let p = self.date_parts;
        ((self.automatic_order || self.from_language)
            && self.maps.is_empty()
            && p.day
            && p.month
            && p.year
            && !p.other)
            .then_some(if p.time { 22 } else { 14 })
    }
}

/// Appends one child element of a data style to its code.
fn element(
    name: &str,
    e: &BytesStart<'_>,
    ds: &mut DataStyle,
    text_target: &mut Option<&'static str>,
    empty: bool,
) {
    let long = attr(e, "number:style").as_deref() == Some("long");
    let elapsed = ds.elapsed;
    let decimals =
        |e: &BytesStart<'_>| attr(e, "number:decimal-places").and_then(|v| v.parse::<usize>().ok());
    let parts = &mut ds.date_parts;
    match name {
        "number:day" => parts.day = true,
        "number:month" if attr(e, "number:textual").as_deref() != Some("true") => parts.month = true,
        "number:year" => parts.year = true,
        "number:hours" | "number:minutes" => parts.time = true,
        "number:text" | "style:map" => {}
        _ => parts.other = true,
    }
    // Elapsed time applies to the first time unit, whichever it is (`[mm]:ss`).
    let first_time = elapsed && !ds.code.contains(['h', 'm', 's', 'H', 'M', 'S']);
    let mut integer = None;
    let mut embedded = None;
    let code = &mut ds.code;
    match name {
        "number:number" => {
            let Some(places) = decimals(e) else {
                // No fixed decimals: LibreOffice's "Standard", which is General.
                code.push_str("General");
                return;
            };
            let places = places.min(15);
            let min_places = attr(e, "number:min-decimal-places")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(places)
                .min(places);
            let int_digits = attr(e, "number:min-integer-digits")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(1)
                .min(15);
            let start = code.len();
            if attr(e, "number:grouping").as_deref() == Some("true") {
                code.push_str(if int_digits == 0 { "#,###" } else { "#,##0" });
                code.push_str(&"0".repeat(int_digits.saturating_sub(1)));
            } else if int_digits == 0 {
                code.push('#');
            } else {
                code.push_str(&"0".repeat(int_digits));
            }
            integer = Some((start, code.len()));
            // A display factor of 1,000ⁿ is n scaling commas.
            let mut factor =
                attr(e, "number:display-factor").and_then(|v| v.parse::<f64>().ok()).unwrap_or(1.0);
            while factor >= 1000.0 {
                code.push(',');
                factor /= 1000.0;
            }
            if places > 0 {
                code.push('.');
                code.push_str(&"0".repeat(min_places));
                code.push_str(&"#".repeat(places - min_places));
            }
        }
        "number:scientific-number" => {
            let places = decimals(e).unwrap_or(2).min(15);
            let exp = attr(e, "number:min-exponent-digits")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(2)
                .min(4);
            // An exponent interval of 3 is engineering notation (`##0.0E+0`).
            let interval =
                attr(e, "number:exponent-interval").and_then(|v| v.parse::<usize>().ok()).unwrap_or(1);
            code.push_str(&"#".repeat(interval.clamp(1, 9) - 1));
            code.push('0');
            if places > 0 {
                code.push('.');
                code.push_str(&"0".repeat(places));
            }
            code.push_str("E+");
            code.push_str(&"0".repeat(exp.max(1)));
        }
        "number:day" => code.push_str(if long { "dd" } else { "d" }),
        "number:month" => {
            let textual = attr(e, "number:textual").as_deref() == Some("true");
            code.push_str(match (textual, long) {
                (true, true) => "mmmm",
                (true, false) => "mmm",
                (false, true) => "mm",
                (false, false) => "m",
            });
        }
        "number:year" => code.push_str(if long { "yyyy" } else { "yy" }),
        "number:day-of-week" => code.push_str(if long { "dddd" } else { "ddd" }),
        "number:hours" if first_time => code.push_str(if long { "[hh]" } else { "[h]" }),
        "number:minutes" if first_time => code.push_str(if long { "[mm]" } else { "[m]" }),
        "number:seconds" if first_time => code.push_str(if long { "[ss]" } else { "[s]" }),
        "number:fraction" => fraction(e, code),
        "number:embedded-text" if !empty => {
            embedded = attr(e, "number:position").and_then(|v| v.parse::<usize>().ok());
            *text_target = Some("embedded");
        }
        "number:hours" => code.push_str(if long { "hh" } else { "h" }),
        "number:minutes" => code.push_str(if long { "mm" } else { "m" }),
        "number:seconds" => {
            code.push_str(if long { "ss" } else { "s" });
            let places = decimals(e).unwrap_or(0).min(3);
            if places > 0 {
                code.push('.');
                code.push_str(&"0".repeat(places));
            }
        }
        "number:am-pm" => code.push_str("AM/PM"),
        "number:text-content" => code.push('@'),
        "number:text" if !empty => *text_target = Some("text"),
        "number:currency-symbol" if !empty => *text_target = Some("currency"),
        "style:map" => {
            if let (Some(c), Some(a)) = (attr(e, "style:condition"), attr(e, "style:apply-style-name")) {
                ds.maps.push((c, a));
            }
        }
        _ => {}
    }
    if let Some(span) = integer {
        ds.integer = span;
    }
    if let Some(at) = embedded {
        ds.embedded_at = at;
    }
}

/// `number:fraction`: an integer part when `number:min-integer-digits` is given, the
/// numerator's and denominator's placeholders (`0` for LibreOffice's zero digits, else `?`),
/// or a fixed denominator.
fn fraction(e: &BytesStart<'_>, code: &mut String) {
    let n = |name: &str| attr(e, name).and_then(|v| v.parse::<usize>().ok());
    if let Some(int) = n("number:min-integer-digits") {
        code.push_str(&if int == 0 { "#".to_owned() } else { "0".repeat(int.min(15)) });
        code.push(' ');
    }
    let placeholders = |min: usize, zeros: usize| {
        let min = min.clamp(1, 9);
        format!("{}{}", "?".repeat(min.saturating_sub(zeros)), "0".repeat(zeros.min(min)))
    };
    code.push_str(&placeholders(
        n("number:min-numerator-digits").unwrap_or(1),
        n("loext:zeros-numerator-digits").unwrap_or(0),
    ));
    code.push('/');
    match n("number:denominator-value") {
        Some(d) if d > 0 => code.push_str(&d.to_string()),
        _ => {
            let digits = n("number:max-denominator-value")
                .map(|m| m.to_string().len())
                .or_else(|| n("number:min-denominator-digits"))
                .unwrap_or(1);
            code.push_str(&placeholders(digits, n("loext:zeros-denominator-digits").unwrap_or(0)));
        }
    }
}

/// The Windows locale id of an ODF `number:language`/`number:country` pair, for the
/// languages whose names localmerge ships and a few others (whose names a merge then
/// refuses rather than shows in another language).
fn lcid(language: Option<String>, country: Option<String>) -> Option<u32> {
    let language = language?.to_ascii_lowercase();
    let country = country.unwrap_or_default().to_ascii_uppercase();
    Some(match (language.as_str(), country.as_str()) {
        ("en", "GB") => 0x809,
        ("en", _) => 0x409,
        ("fr", _) => 0x40C,
        ("de", _) => 0x407,
        ("es", _) => 0xC0A,
        ("it", _) => 0x410,
        ("nl", _) => 0x413,
        ("pt", "BR") => 0x416,
        ("pt", _) => 0x816,
        ("sv", _) => 0x41D,
        ("da", _) => 0x406,
        ("nb" | "no", _) => 0x414,
        ("fi", _) => 0x40B,
        ("pl", _) => 0x415,
        ("cs", _) => 0x405,
        ("ru", _) => 0x419,
        ("ja", _) => 0x411,
        ("zh", _) => 0x804,
        ("ko", _) => 0x412,
        _ => return None,
    })
}

/// Text inside `number:text`, `number:currency-symbol` or `number:embedded-text`.
fn push_text(ds: &mut DataStyle, kind: &str, target: &str, text: &str) {
    if target == "embedded" {
        // Between the integer placeholders, `embedded_at` digits from the right.
        let (start, end) = ds.integer;
        let Some(int) = ds.code.get(start..end) else { return };
        // Room for the digits right of the text and one left of it (`###-####`).
        let placeholders = int.chars().filter(|c| matches!(c, '0' | '#')).count();
        let missing = (ds.embedded_at + 1).saturating_sub(placeholders);
        ds.code.insert_str(start, &"#".repeat(missing));
        let end = end + missing;
        ds.integer.1 = end;
        let Some(int) = ds.code.get(start..end) else { return };
        let mut digits = 0;
        let mut at = start;
        for (i, c) in int.char_indices().rev() {
            if digits == ds.embedded_at {
                at = start + i + c.len_utf8();
                break;
            }
            if matches!(c, '0' | '#') {
                digits += 1;
            }
        }
        let text = quoted(text);
        ds.code.insert_str(at, &text);
        ds.integer.1 += text.len();
    } else if target == "text" && kind == "number:percentage-style" && text.contains('%') {
        // The percent sign of a percentage style scales the value.
        let (before, after) = text.split_once('%').unwrap_or((text, ""));
        if !before.is_empty() {
            ds.code.push_str(&quoted(before));
        }
        ds.code.push('%');
        if !after.is_empty() {
            ds.code.push_str(&quoted(after));
        }
    } else if !text.is_empty() {
        ds.code.push_str(&quoted(text));
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    fn ods(styles: &str) -> Vec<u8> {
        let content = format!(
            r#"<office:document-content><office:automatic-styles>{styles}
            <style:style style:name="ce1" style:family="table-cell" style:data-style-name="N1"/>
            </office:automatic-styles><office:body><office:spreadsheet><table:table table:name="S">
            <table:table-row><table:table-cell table:style-name="ce1" office:value-type="date"/></table:table-row>
            </table:table></office:spreadsheet></office:body></office:document-content>"#
        );
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, text) in [("styles.xml", "<office:document-styles/>"), ("content.xml", content.as_str())] {
            zip.start_file(name, options).expect("entry");
            zip.write_all(text.as_bytes()).expect("write");
        }
        zip.finish().expect("zip").into_inner()
    }

    fn format_of_first_cell(styles: &str) -> (u16, Option<String>) {
        let w = read(&ods(styles));
        let ifmt = w.format_of(w.sheet("S"), (0, 0));
        (ifmt, w.formats.get(&ifmt).cloned())
    }

    #[test]
    fn an_automatic_order_short_date_follows_the_readers_order() {
        let parts = r#"<number:month number:style="long"/><number:text>/</number:text><number:day number:style="long"/><number:text>/</number:text><number:year/>"#;
        let auto = format!(
            r#"<number:date-style style:name="N1" number:automatic-order="true">{parts}</number:date-style>"#
        );
        assert_eq!(format_of_first_cell(&auto), (14, None), "the reader's short date");
        let fixed = format!(r#"<number:date-style style:name="N1">{parts}</number:date-style>"#);
        assert_eq!(
            format_of_first_cell(&fixed).1.as_deref(),
            Some(r#"mm"/"dd"/"yy"#),
            "the file's own order"
        );
        let textual = r#"<number:date-style style:name="N1" number:automatic-order="true"><number:day/><number:text> </number:text><number:month number:textual="true"/><number:text> </number:text><number:year/></number:date-style>"#;
        assert_eq!(
            format_of_first_cell(textual).1.as_deref(),
            Some(r#"d" "mmm" "yy"#),
            "a month name keeps its code"
        );
    }
}

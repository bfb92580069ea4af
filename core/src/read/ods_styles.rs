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
                        let ds = DataStyle { elapsed, ..DataStyle::default() };
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
                    "number:text" | "number:currency-symbol" => text_target = None,
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
        let code = self.cell_styles.get(cell_style).map(|d| self.code(d, 0)).unwrap_or_default();
        let ifmt = if code.is_empty() {
            0
        } else {
            let next = FIRST_CODE + self.styles.formats.len() as u16;
            let existing = self.styles.formats.iter().find(|(_, c)| **c == code).map(|(i, _)| *i);
            existing.unwrap_or_else(|| {
                self.styles.formats.insert(next, code);
                next
            })
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
        let (mut positive, mut negative, mut conditional) = (None, None, Vec::new());
        for (condition, apply) in &ds.maps {
            let other = self.code(apply, depth + 1);
            if other.is_empty() {
                continue;
            }
            match condition.replace(' ', "").trim_start_matches("value()") {
                ">=0" | ">0" => positive = Some(other),
                "<0" => negative = Some(other),
                cond if cond.starts_with(['<', '>', '=', '!']) => {
                    conditional.push(format!("[{}]{other}", cond.replace("!=", "<>").replace("==", "=")));
                }
                _ => {}
            }
        }
        let sections: Vec<String> = match (positive, negative) {
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
            if attr(e, "number:grouping").as_deref() == Some("true") {
                code.push_str(if int_digits == 0 { "#,###" } else { "#,##0" });
                code.push_str(&"0".repeat(int_digits.saturating_sub(1)));
            } else if int_digits == 0 {
                code.push('#');
            } else {
                code.push_str(&"0".repeat(int_digits));
            }
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
        "number:hours" if elapsed => code.push_str(if long { "[hh]" } else { "[h]" }),
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
}

/// Text inside `number:text` or `number:currency-symbol`.
fn push_text(ds: &mut DataStyle, kind: &str, target: &str, text: &str) {
    if target == "text" && kind == "number:percentage-style" && text.contains('%') {
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

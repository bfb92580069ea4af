//! HTML tables, which web applications save with an `.xls` name and Excel opens: each
//! `<table>` is a sheet ("Table 1", "Table 2"…), each `<tr>` a row, each `<td>` or `<th>` a
//! cell, placed past the cells that `colspan` and `rowspan` cover as a browser (and Excel)
//! places them. A cell's value is its text as a browser shows it: white space collapsed,
//! `<br>` and block ends as line breaks, character references decoded. Cells are text, as
//! CSV's are. A table inside a cell is that cell's text.
//!
//! Tokenised by html5gum (the WHATWG tokenizer: character references, comments, raw-text
//! elements such as `<script>`), every cell through the same bounded collector as the
//! other readers.

use std::collections::HashMap;

use html5gum::{DefaultEmitter, Token, Tokenizer};

use super::cells::{Book, Cells};
use super::{MAX_CELLS, ReadError};
use crate::value::Value;

/// The most columns a span may cover (HTML's own limit for `colspan`) and rows (for
/// `rowspan`, 65,534).
const MAX_COLSPAN: u32 = 1000;
const MAX_ROWSPAN: u32 = 65_534;

/// A table being read.
struct Sheet {
    /// Its place among the workbook's sheets.
    slot: usize,
    cells: Cells,
    /// The current row (`None` before the first).
    row: Option<u32>,
    next_row: u32,
    col: u32,
    /// The cell being read: its position, column span and text.
    cell: Option<(u32, u32, u32, String)>,
    /// Columns covered by an earlier row's `rowspan`: column → first row no longer covered.
    covered: HashMap<u32, u32>,
    /// Tables nested inside the current cell, read as its text.
    nested: u32,
}

impl Sheet {
    fn new(name: &str, slot: usize) -> Sheet {
        Sheet {
            slot,
            cells: Cells::new(name),
            row: None,
            next_row: 0,
            col: 0,
            cell: None,
            covered: HashMap::new(),
            nested: 0,
        }
    }

    fn start_row(&mut self) -> Result<(), ReadError> {
        self.end_cell()?;
        self.row = Some(self.next_row);
        self.next_row = self.next_row.saturating_add(1);
        self.col = 0;
        Ok(())
    }

    fn start_cell(&mut self, colspan: u32, rowspan: u32, work: &mut usize) -> Result<(), ReadError> {
        self.end_cell()?;
        let row = match self.row {
            Some(r) => r,
            None => {
                self.start_row()?;
                self.row.unwrap_or_default()
            }
        };
        while self.covered.get(&self.col).is_some_and(|until| *until > row) {
            self.col = self.col.saturating_add(1);
            *work += 1;
        }
        if rowspan > 1 {
            for c in self.col..self.col.saturating_add(colspan) {
                self.covered.insert(c, row.saturating_add(rowspan));
            }
            *work += colspan as usize;
        }
        if *work > MAX_CELLS {
            return Err(ReadError::TooLarge { sheet: self.cells.sheet.clone(), limit: MAX_CELLS });
        }
        self.cell = Some((row, self.col, colspan, String::new()));
        Ok(())
    }

    fn end_cell(&mut self) -> Result<(), ReadError> {
        if let Some((row, col, span, text)) = self.cell.take() {
            self.col = col.saturating_add(span);
            let text = shown(&text);
            if !text.is_empty() {
                self.cells.push_styled((row, col), Value::Text(text), 0)?;
            }
        }
        Ok(())
    }

    fn text(&mut self, s: &str) {
        if let Some((_, _, _, text)) = &mut self.cell {
            text.push_str(s);
        }
    }
}

/// A cell's text as a browser shows it: each line's white space collapsed, blank lines
/// dropped (a browser shows no empty line between blocks). `\n` in the raw text marks a `<br>` or a
/// block's end; other white space (newlines of the source included) arrives as `\r`.
fn shown(raw: &str) -> String {
    // HTML's white space: not U+00A0 (`&nbsp;`), which a browser keeps.
    let space = |c: char| matches!(c, ' ' | '\t' | '\r' | '\x0C');
    let lines: Vec<String> = raw
        .split('\n')
        .map(|line| line.split(space).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect();
    lines.join("\n")
}

fn attr_u32(tag: &html5gum::StartTag<()>, name: &str, max: u32) -> u32 {
    tag.attributes
        .get(name.as_bytes())
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map_or(1, |n| n.clamp(1, max))
}

/// Reads every table of an HTML document. `Err` when it holds none.
pub(super) fn open(text: &str) -> Result<Book, ReadError> {
    let mut emitter = DefaultEmitter::default();
    // Switch to raw text inside <script>, <style>, <textarea>… as a browser does.
    emitter.naively_switch_states(true);
    let mut book = Book::default();
    let mut open: Vec<Sheet> = Vec::new();
    let mut skip = 0u32; // inside <script>, <style>, <template> or <title>
    let mut work = 0usize;
    for token in Tokenizer::new_with_emitter(text, emitter) {
        let Ok(token) = token;
        match token {
            Token::StartTag(tag) => {
                let name = tag.name.to_ascii_lowercase();
                let sheet = open.last_mut();
                match (name.as_slice(), sheet) {
                    (b"script" | b"style" | b"template" | b"title", _) if !tag.self_closing => skip += 1,
                    (b"table", Some(s)) if s.cell.is_some() => {
                        s.nested += 1;
                        s.text("\n");
                    }
                    (b"table", _) => {
                        let (slot, name) = (book.sheets.len(), format!("Table {}", book.sheets.len() + 1));
                        book.sheets.push((name.clone(), None, false));
                        open.push(Sheet::new(&name, slot));
                    }
                    (_, Some(s)) if s.nested > 0 => match name.as_slice() {
                        b"tr" | b"br" | b"p" | b"div" | b"li" => s.text("\n"),
                        b"td" | b"th" => s.text(" "),
                        _ => {}
                    },
                    (b"tr", Some(s)) => s.start_row()?,
                    (b"td" | b"th", Some(s)) => {
                        let colspan = attr_u32(&tag, "colspan", MAX_COLSPAN);
                        let rowspan = attr_u32(&tag, "rowspan", MAX_ROWSPAN);
                        s.start_cell(colspan, rowspan, &mut work)?;
                    }
                    (b"br", Some(s)) => s.text("\n"),
                    _ => {}
                }
            }
            Token::EndTag(tag) => {
                let name = tag.name.to_ascii_lowercase();
                match name.as_slice() {
                    b"script" | b"style" | b"template" | b"title" => skip = skip.saturating_sub(1),
                    b"table" => match open.last_mut() {
                        Some(s) if s.nested > 0 => {
                            s.nested -= 1;
                            s.text("\n");
                        }
                        Some(_) => {
                            if let Some(s) = open.pop() {
                                close(&mut book, s)?;
                            }
                        }
                        None => {}
                    },
                    b"td" | b"th" => {
                        if let Some(s) = open.last_mut().filter(|s| s.nested == 0) {
                            s.end_cell()?;
                        }
                    }
                    b"tr" => {
                        if let Some(s) = open.last_mut() {
                            if s.nested > 0 {
                                s.text("\n");
                            } else {
                                s.end_cell()?;
                            }
                        }
                    }
                    b"p" | b"div" | b"li" | b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" => {
                        if let Some(s) = open.last_mut() {
                            s.text("\n");
                        }
                    }
                    _ => {}
                }
            }
            Token::String(s) if skip == 0 => {
                if let (Some(sheet), Ok(text)) = (open.last_mut(), std::str::from_utf8(&s)) {
                    // Source line breaks are white space, not `<br>`.
                    sheet.text(&text.replace('\n', "\r"));
                }
            }
            _ => {}
        }
    }
    // Tables left open at the end of the file end there, the innermost first.
    while let Some(s) = open.pop() {
        close(&mut book, s)?;
    }
    if book.sheets.is_empty() {
        return Err(ReadError::NotASpreadsheet("a web page (HTML) without a table"));
    }
    Ok(book)
}

/// Ends a table: its table goes to the sheet it took when it started (workbook order is
/// the order tables start in, though an inner one ends first).
fn close(book: &mut Book, mut s: Sheet) -> Result<(), ReadError> {
    s.end_cell()?;
    let slot = s.slot;
    if let Some(sheet) = book.sheets.get_mut(slot) {
        sheet.1 = Some(s.cells);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(html: &str) -> Vec<Vec<String>> {
        let book = open(html).expect("reads");
        let t = book.sheets[0]
            .1
            .clone()
            .and_then(|c| c.finish(&crate::table::Region::default()).expect("not too large"))
            .expect("a table");
        let mut out = vec![t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>()];
        out.extend(t.rows.iter().map(|r| r.values.iter().map(|v| v.to_text()).collect()));
        out
    }

    #[test]
    fn cells_are_the_text_a_browser_shows() {
        let html = "<!DOCTYPE html><html><head><title>Export</title><style>td{color:red}</style>\
            <script>var s = '<td>not a cell</td>';</script></head><body>\
            <table><thead><tr><th>Email</th><th>Name</th></tr></thead><tbody>\
            <tr><td> ada@example.org </td><td>Ada&nbsp;L. &amp; <b>co</b></td></tr>\
            <tr><td>bo@example.org</td><td>line one<br>line\n   two</td></tr>\
            </tbody></table></body></html>";
        assert_eq!(
            rows(html),
            [
                vec!["Email", "Name"],
                vec!["ada@example.org", "Ada\u{a0}L. & co"],
                vec!["bo@example.org", "line one\nline two"],
            ]
        );
    }

    #[test]
    fn spans_place_later_cells_as_a_browser_does() {
        let html = "<table><tr><td>A</td><td>B</td><td>C</td></tr>\
            <tr><td rowspan=2>r</td><td colspan=2>wide</td></tr>\
            <tr><td>x</td><td>y</td></tr>\
            <tr><td>1<td>2<td>3</table>";
        assert_eq!(
            rows(html),
            [vec!["A", "B", "C"], vec!["r", "wide", ""], vec!["", "x", "y"], vec!["1", "2", "3"]]
        );
    }

    #[test]
    fn each_table_is_a_sheet_and_a_nested_one_is_its_cells_text() {
        let html = "<table><tr><td>Name</td></tr><tr><td>outer<table><tr><td>in</td><td>ner</td></tr></table></td></tr></table>\
            <p>between</p><table><tr><td>Second</td></tr><tr><td>2</td></tr></table>";
        let book = open(html).expect("reads");
        assert_eq!(book.sheet_names(), ["Table 1", "Table 2"]);
        assert_eq!(rows(html)[1], ["outer\nin ner"]);
    }

    #[test]
    fn a_page_without_a_table_is_named_and_hostile_spans_are_bounded() {
        assert!(matches!(open("<html><body><p>hi</p></body></html>"), Err(ReadError::NotASpreadsheet(_))));
        let hostile = format!("<table>{}</table>", "<tr><td rowspan=65534 colspan=1000>x".repeat(6000));
        assert!(matches!(open(&hostile), Err(ReadError::TooLarge { .. })));
    }
}

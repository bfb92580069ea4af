//! The campaign report: a copy of the merged list with each row's outcome beside it —
//! `Status`, `Sent at`, `Message id`, `Reason` — as a workbook (values and number formats
//! kept, dates as date cells, `Sent at` a real date-time) or as CSV (the text the merge
//! shows). Pure: bytes out; the front doors write them (the command line beside the list,
//! the pane as a download). Each row's standing is core's (`journal_rows`).

use std::collections::BTreeMap;

use localmerge_core::calendar::iso_utc;
use localmerge_core::format::{CellFormat, CellText, Locale};
use localmerge_core::send::{JournalRow, RowStatus};
use localmerge_core::{Table, Value};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// The columns the report adds.
pub const ADDED: [&str; 4] = ["Status", "Sent at", "Message id", "Reason"];

/// Days between Excel's 1900 epoch (1899-12-30) and the Unix epoch.
const UNIX_EPOCH_SERIAL: f64 = 25_569.0;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The workbook writer refused.
    #[error("{0}")]
    Xlsx(#[from] XlsxError),
    /// The CSV writer refused.
    #[error("{0}")]
    Csv(String),
}

impl From<csv::Error> for ReportError {
    fn from(e: csv::Error) -> Self {
        ReportError::Csv(e.to_string())
    }
}

fn status_text(s: Option<&JournalRow>) -> &'static str {
    s.map_or(RowStatus::Pending, |r| r.status).as_str()
}

/// A cell's format for the workbook: its code, or the built-in's id.
fn number_format(f: &CellFormat) -> Format {
    match f {
        CellFormat::Code(code) | CellFormat::LocaleOrder(code) => Format::new().set_num_format(code),
        CellFormat::Builtin(id) => Format::new().set_num_format_index(u8::try_from(*id).unwrap_or(0)),
    }
}

/// The report as an xlsx workbook: every value with its type and number format, dates as
/// date cells, `Sent at` a date-time.
pub fn xlsx(table: &Table, rows: &BTreeMap<u32, JournalRow>) -> Result<Vec<u8>, ReportError> {
    Ok(workbook(table, rows)?)
}

fn workbook(table: &Table, rows: &BTreeMap<u32, JournalRow>) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    // Excel's limit on a sheet name is 31 characters and a few forbidden ones.
    let name: String = table.sheet.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect::<String>();
    if !name.trim().is_empty() {
        sheet.set_name(name.trim())?;
    }
    let formats: Vec<Format> = table.formats.iter().map(number_format).collect();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let bold = Format::new().set_bold();
    let width = table.columns.len();
    let col = |i: usize| u16::try_from(i).map_err(|_| XlsxError::ParameterError(format!("column {i}")));
    for (i, c) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, col(i)?, &c.name, &bold)?;
    }
    for (j, added) in ADDED.iter().enumerate() {
        sheet.write_string_with_format(0, col(width + j)?, *added, &bold)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let at = u32::try_from(r + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (i, v) in row.values.iter().enumerate() {
            let c = col(i)?;
            // `formats[0]` is General: written without a format.
            let style = usize::from(row.style(i));
            let format = formats.get(style).filter(|_| style != 0);
            match v {
                Value::Empty => {}
                Value::Text(t) | Value::DateIso(t) | Value::Error(t) => {
                    sheet.write_string(at, c, t)?;
                }
                Value::Bool(b) => {
                    sheet.write_boolean(at, c, *b)?;
                }
                Value::Int(n) => write_number(sheet, at, c, *n as f64, format)?,
                Value::Float(n) => write_number(sheet, at, c, *n, format)?,
                // Written in the 1900 date system, which the report's workbook uses.
                Value::Date(d) => {
                    let serial = if d.is_1904 { d.serial + 1462.0 } else { d.serial };
                    let f = format.unwrap_or(&date);
                    sheet.write_number_with_format(at, c, serial, f)?;
                }
            }
        }
        let state = rows.get(&row.number);
        sheet.write_string(at, col(width)?, status_text(state))?;
        if let Some(ms) = state.and_then(|s| s.sent_at) {
            let serial = ms as f64 / 86_400_000.0 + UNIX_EPOCH_SERIAL;
            sheet.write_number_with_format(at, col(width + 1)?, serial, &date)?;
        }
        if let Some(id) = state.and_then(|s| s.message_id.as_deref()) {
            sheet.write_string(at, col(width + 2)?, id)?;
        }
        if let Some(reason) = state.and_then(|s| s.reason.as_deref()) {
            sheet.write_string(at, col(width + 3)?, reason)?;
        }
    }
    sheet.set_column_width(col(width + 1)?, 20)?;
    book.save_to_buffer()
}

fn write_number(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    n: f64,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    match format {
        Some(f) => sheet.write_number_with_format(row, col, n, f).map(drop),
        None => sheet.write_number(row, col, n).map(drop),
    }
}

/// A cell a spreadsheet would run as a formula, made inert (OWASP's CSV injection advice):
/// text starting with `=`, `+`, `@`, a tab or a return, or `-` not starting a number.
fn inert(text: &str) -> std::borrow::Cow<'_, str> {
    let risky = match text.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => text.parse::<f64>().is_err(),
        _ => false,
    };
    if risky { format!("'{text}").into() } else { text.into() }
}

/// The report as CSV: each cell the text the merge shows in `locale`, formula-looking text
/// made inert.
pub fn csv(
    table: &Table,
    rows: &BTreeMap<u32, JournalRow>,
    locale: &'static Locale,
) -> Result<Vec<u8>, ReportError> {
    let shown = CellText::of_table(table, locale);
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).chain(ADDED).collect();
    w.write_record(header.iter().map(|h| inert(h).into_owned()))?;
    let mut cell = String::new();
    for row in &table.rows {
        let mut record: Vec<String> = Vec::with_capacity(table.columns.len() + ADDED.len());
        for (i, v) in row.values.iter().enumerate() {
            cell.clear();
            shown.write(v, row.style(i), &mut cell);
            record.push(inert(&cell).into_owned());
        }
        let state = rows.get(&row.number);
        record.push(status_text(state).to_owned());
        record.push(state.and_then(|s| s.sent_at).map(iso_utc).unwrap_or_default());
        record.push(state.and_then(|s| s.message_id.clone()).unwrap_or_default());
        record
            .push(state.and_then(|s| s.reason.as_deref()).map(|r| inert(r).into_owned()).unwrap_or_default());
        w.write_record(&record)?;
    }
    w.into_inner().map_err(|e| ReportError::Csv(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_made_inert_and_numbers_left_alone() {
        assert_eq!(inert("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert("-2.5"), "-2.5");
        assert_eq!(inert("-cmd"), "'-cmd");
        assert_eq!(inert("Ada"), "Ada");
    }
}

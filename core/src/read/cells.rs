//! The one collector every workbook reader feeds: non-empty cells, bounded by
//! [`MAX_CELLS`], with their formats, built into a [`Table`] row by row.

use super::{MAX_CELLS, ReadError};
use crate::format::CellFormat;
use crate::table::{Region, Table, TableBuilder};
use crate::value::Value;

/// The index of `format` in `formats`, added if new (0, General, once the table is full).
pub(super) fn intern(formats: &mut Vec<CellFormat>, format: CellFormat) -> u16 {
    match formats.iter().position(|f| *f == format) {
        Some(i) => u16::try_from(i).unwrap_or(0),
        None if formats.len() < usize::from(u16::MAX) => {
            formats.push(format);
            (formats.len() - 1) as u16
        }
        None => 0,
    }
}

/// Collects non-empty cells (bounded by [`MAX_CELLS`]) and builds the table row by row.
#[derive(Debug, Clone)]
pub(super) struct Cells {
    pub(super) sheet: String,
    cells: Vec<(u32, u32, Value, u16)>,
    sorted: bool,
    /// The sheet's distinct formats; index 0 is General.
    pub(super) formats: Vec<CellFormat>,
    /// Workbook format index → index in `formats`, so each format is resolved once.
    #[cfg(feature = "all-formats")]
    pub(super) resolved: std::collections::HashMap<u16, u16>,
    /// The workbook counts days from 1904 (stated by the reader, or seen on a date cell).
    pub(super) date1904: bool,
}

impl Cells {
    pub(super) fn new(sheet: &str) -> Self {
        Cells {
            sheet: sheet.to_owned(),
            cells: Vec::new(),
            sorted: true,
            formats: vec![CellFormat::Code("General".into())],
            #[cfg(feature = "all-formats")]
            resolved: std::collections::HashMap::new(),
            date1904: false,
        }
    }

    #[cfg(feature = "all-formats")]
    pub(super) fn intern(&mut self, format: CellFormat) -> u16 {
        intern(&mut self.formats, format)
    }

    pub(super) fn push_styled(
        &mut self,
        (row, col): (u32, u32),
        value: Value,
        style: u16,
    ) -> Result<(), ReadError> {
        if value.is_blank() {
            return Ok(());
        }
        if self.cells.len() >= MAX_CELLS {
            return Err(ReadError::TooLarge { sheet: self.sheet.clone(), limit: MAX_CELLS });
        }
        if let Value::Date(d) = &value {
            self.date1904 |= d.is_1904;
        }
        if let Some(&(r, c, _, _)) = self.cells.last() {
            self.sorted &= (r, c) < (row, col);
        }
        self.cells.push((row, col, value, style));
        Ok(())
    }

    /// The table of `region`'s cells; `None` when it has none.
    pub(super) fn finish(mut self, region: &Region) -> Option<Table> {
        if !self.sorted {
            self.cells.sort_by_key(|&(r, c, _, _)| (r, c));
        }
        let mut builder = TableBuilder::new(*region);
        let mut current: Option<u32> = None;
        let mut row_cells = Vec::new();
        for (r, c, v, style) in self.cells {
            if current != Some(r) {
                if let Some(prev) = current {
                    builder.push_row(prev.saturating_add(1), std::mem::take(&mut row_cells));
                }
                current = Some(r);
            }
            row_cells.push((c, v, style));
        }
        if let Some(prev) = current {
            builder.push_row(prev.saturating_add(1), row_cells);
        }
        builder.finish(self.sheet, self.formats, self.date1904)
    }
}

/// A workbook read whole when opened (XML Spreadsheet 2003, HTML tables, Excel 2–4
/// worksheets): each sheet's cells, ready to make into a table.
#[derive(Debug, Default)]
pub(super) struct Book {
    /// (name, cells or `None` while a sheet is being read, hidden) in workbook order.
    pub(super) sheets: Vec<(String, Option<Cells>, bool)>,
}

impl Book {
    pub(super) fn sheet_names(&self) -> Vec<String> {
        self.sheets.iter().map(|(n, _, _)| n.clone()).collect()
    }

    pub(super) fn hidden_sheets(&self) -> Vec<String> {
        self.sheets.iter().filter(|(_, _, hidden)| *hidden).map(|(n, _, _)| n.clone()).collect()
    }

    pub(super) fn table(&self, name: &str, region: &Region) -> Option<Table> {
        self.sheets.iter().find(|(n, _, _)| n == name).and_then(|(_, c, _)| c.clone()?.finish(region))
    }
}

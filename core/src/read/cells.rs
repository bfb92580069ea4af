//! The one collector every workbook reader feeds: non-empty cells, bounded by
//! [`MAX_CELLS`], with their formats, built into a [`Table`] row by row.

use super::{MAX_CELLS, ReadError, RowSink, Streamed};
use crate::format::CellFormat;
use std::ops::ControlFlow;

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
///
/// Made with [`Cells::in_order`], it hands each row to the table as soon as the next begins
/// — what a sheet's reader sees is then never held twice — for as long as rows come in
/// order ([`Cells::push_in_order`] says when one does not).
#[derive(Debug, Clone)]
pub(super) struct Cells {
    pub(super) sheet: String,
    cells: Vec<(u32, u32, Value, u16)>,
    sorted: bool,
    /// Rows in order: the table being built, and the row being collected.
    stream: Option<Stream>,
    count: usize,
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
            stream: None,
            count: 0,
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

    /// Cells that go to the table of `region` row by row, while rows come in order.
    pub(super) fn in_order(sheet: &str, region: &Region) -> Self {
        let stream =
            Stream { builder: TableBuilder::new(*region), row: Vec::new(), current: None, sorted: true };
        Cells { stream: Some(stream), ..Cells::new(sheet) }
    }

    pub(super) fn push_styled(
        &mut self,
        (row, col): (u32, u32),
        value: Value,
        style: u16,
    ) -> Result<(), ReadError> {
        // Always added: only cells made `in_order` refuse one, and their reader pushes in order.
        self.push_in_order((row, col), value, style).map(|_| ())
    }

    /// Adds a cell; `false` (and nothing added) when it belongs to a row before one already
    /// handed to the table ([`Cells::in_order`]), which a caller reads again with [`Cells::new`].
    pub(super) fn push_in_order(
        &mut self,
        (row, col): (u32, u32),
        value: Value,
        style: u16,
    ) -> Result<bool, ReadError> {
        if value.is_blank() {
            return Ok(true);
        }
        if self.count >= MAX_CELLS {
            return Err(ReadError::TooLarge { sheet: self.sheet.clone(), limit: MAX_CELLS });
        }
        let date1904 = matches!(&value, Value::Date(d) if d.is_1904);
        if let Some(stream) = &mut self.stream {
            match stream.current {
                Some(current) if row < current => return Ok(false),
                Some(current) if row == current => {
                    if let Some(&(c, _, _)) = stream.row.last() {
                        stream.sorted &= c < col;
                    }
                }
                _ => stream.flush(),
            }
            stream.current = Some(row);
            stream.row.push((col, value, style));
        } else {
            if let Some(&(r, c, _, _)) = self.cells.last() {
                self.sorted &= (r, c) < (row, col);
            }
            self.cells.push((row, col, value, style));
        }
        self.date1904 |= date1904;
        self.count += 1;
        Ok(true)
    }

    /// Hands what the table being built holds to `hand_over`, when it is time
    /// ([`Cells::in_order`] only); the cells handed over no longer count against
    /// [`MAX_CELLS`] (a streamed read holds a row at a time).
    pub(super) fn step(&mut self, hand_over: &mut HandOver<'_>) -> ControlFlow<()> {
        let Some(stream) = self.stream.as_mut() else { return ControlFlow::Continue(()) };
        let step = hand_over.step(&mut stream.builder, &self.sheet, &self.formats, self.date1904);
        if hand_over.handed {
            self.count = stream.row.len();
        }
        step
    }

    /// The table of `region`'s cells (for [`Cells::in_order`], the region it was made
    /// with); `None` when it has none.
    pub(super) fn finish(mut self, region: &Region) -> Result<Option<Table>, ReadError> {
        if let Some(mut stream) = self.stream.take() {
            stream.flush();
            return stream.builder.finish(self.sheet, self.formats, self.date1904);
        }
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

/// A streamed read's hand-over ([`super::Workbook::stream_with`]): once the table being
/// built holds more than `hold` rows, its head goes to the sink, then each row as it is
/// built. Every reader that streams goes through it.
pub(super) struct HandOver<'s> {
    sink: &'s mut dyn RowSink,
    hold: usize,
    /// Whether the head has gone to the sink.
    pub(super) handed: bool,
}

impl<'s> HandOver<'s> {
    pub(super) fn new(sink: &'s mut dyn RowSink, hold: usize) -> Self {
        HandOver { sink, hold, handed: false }
    }

    /// Hands over what `builder` holds, once it is time; `Break` when the sink wants no more.
    pub(super) fn step(
        &mut self,
        builder: &mut TableBuilder,
        sheet: &str,
        formats: &[CellFormat],
        date1904: bool,
    ) -> ControlFlow<()> {
        if !self.handed {
            if builder.held() <= self.hold {
                return ControlFlow::Continue(());
            }
            let Some(head) = builder.head(sheet, formats, date1904) else { return ControlFlow::Continue(()) };
            self.handed = true;
            self.sink.head(head)?;
        }
        for row in builder.take_rows() {
            self.sink.row(row)?;
        }
        ControlFlow::Continue(())
    }

    /// The end of the sheet, `table` its remaining rows (the rest after the head, or the whole
    /// table when nothing was handed over): what to say of it.
    pub(super) fn end(self, table: Option<Table>) -> Option<Streamed> {
        let table = table?;
        if !self.handed {
            return Some(Streamed::Whole(table));
        }
        for row in table.rows {
            if self.sink.row(row).is_break() {
                return Some(Streamed::Handed(Vec::new()));
            }
        }
        Some(Streamed::Handed(table.warnings))
    }
}

/// The rows handed to the table as they come.
#[derive(Debug, Clone)]
struct Stream {
    builder: TableBuilder,
    /// The row being collected: (column, value, format).
    row: Vec<(u32, Value, u16)>,
    current: Option<u32>,
    /// Whether the row's columns have come in order.
    sorted: bool,
}

impl Stream {
    /// Hands the row collected to the table, its cells in column order (as a sort of the
    /// whole sheet would give them: equal columns keep their order).
    fn flush(&mut self) {
        let Some(number) = self.current else { return };
        if !self.sorted {
            self.row.sort_by_key(|&(c, _, _)| c);
        }
        self.builder.push_cells(number.saturating_add(1), &mut self.row);
        self.sorted = true;
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

    pub(super) fn table(&self, name: &str, region: &Region) -> Result<Option<Table>, ReadError> {
        match self.sheets.iter().find(|(n, _, _)| n == name) {
            Some((_, Some(cells), _)) => cells.clone().finish(region),
            _ => Ok(None),
        }
    }
}

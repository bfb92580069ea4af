//! The table a sheet becomes: named columns from the header row, then data rows that keep
//! the row numbers the user sees.

use std::fmt;

use crate::format::CellFormat;
use crate::read::{MAX_VALUES, ReadError};
use crate::value::{Value, column_letters};

/// One column of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The header, trimmed. Empty when the header cell is blank (such a column cannot be
    /// used in a template).
    pub name: String,
    /// Zero-based index in the sheet (0 is column A).
    pub index: u32,
}

impl Column {
    /// The column's letters in the sheet: `A`, `B`, … `AA`.
    pub fn letters(&self) -> String {
        column_letters(self.index)
    }
}

/// One data row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The row number the spreadsheet shows (header on row 1 → first data row is 2).
    pub number: u32,
    /// One value per table column, in column order.
    pub values: Vec<Value>,
    /// Each value's number format, as an index into [`Table::formats`]; empty when every
    /// cell of the row is in General format.
    pub styles: Vec<u16>,
}

impl Row {
    /// The format index of column `i` (0, General, when the row has none).
    pub fn style(&self, i: usize) -> u16 {
        self.styles.get(i).copied().unwrap_or(0)
    }
}

/// Something about a sheet's shape that the user should know but that does not stop a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetWarning {
    /// A column has data but a blank header, so no template can use it.
    BlankHeader {
        /// The column's letters.
        column: String,
    },
    /// Several columns share one header; a template naming it is rejected as ambiguous.
    DuplicateHeader {
        /// The shared name.
        name: String,
        /// The columns' letters.
        columns: Vec<String>,
    },
    /// Values left or right of the header row's columns are not part of any column.
    OutsideHeader {
        /// How many such cells.
        count: usize,
        /// The first one's row number.
        row: u32,
        /// The first one's column letters.
        column: String,
    },
}

impl fmt::Display for SheetWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SheetWarning::BlankHeader { column } => {
                write!(f, "column {column} has values but no header name, so it cannot be used")
            }
            SheetWarning::DuplicateHeader { name, columns } => write!(
                f,
                "the header \"{name}\" appears in columns {}; name them differently to use them",
                columns.join(", ")
            ),
            SheetWarning::OutsideHeader { count, row, column } => write!(
                f,
                "{count} cell(s) lie outside the header row's columns and are ignored \
                 (the first at row {row}, column {column})"
            ),
        }
    }
}

/// A sheet read as a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The sheet's name (for CSV, the file's format name).
    pub sheet: String,
    /// The row number of the header row.
    pub header_row: u32,
    /// The columns, from the header row's first to its last non-blank cell.
    pub columns: Vec<Column>,
    /// The non-empty data rows, in sheet order.
    pub rows: Vec<Row>,
    /// Shape problems worth telling the user about.
    pub warnings: Vec<SheetWarning>,
    /// The distinct number formats of the sheet's cells; index 0 is General.
    pub formats: Vec<CellFormat>,
    /// The workbook counts days from 1904-01-01 (old Mac Excel) rather than 1899-12-30.
    pub date1904: bool,
}

/// A header name as templates match it: every run of white space (line breaks from
/// Alt+Enter, tabs, no-break spaces, doubled spaces) one plain space, none at either end.
/// Applied alike to headers and to the names templates use.
pub fn normalize_name(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Table {
    /// Finds a column by its header: exactly, else case-insensitively when that is unique.
    /// Returns `Err` with every matching column when the name is ambiguous.
    pub fn find_column(&self, name: &str) -> Result<Option<usize>, Vec<usize>> {
        let name = &*normalize_name(name);
        if name.is_empty() {
            return Ok(None);
        }
        let exact: Vec<usize> = self.positions(|c| c.name == name);
        match exact.len() {
            1 => return Ok(Some(exact[0])),
            0 => {}
            _ => return Err(exact),
        }
        let folded: Vec<usize> = self.positions(|c| c.name.to_lowercase() == name.to_lowercase());
        match folded.len() {
            0 => Ok(None),
            1 => Ok(Some(folded[0])),
            _ => Err(folded),
        }
    }

    fn positions(&self, pred: impl Fn(&Column) -> bool) -> Vec<usize> {
        self.columns.iter().enumerate().filter(|(_, c)| pred(c)).map(|(i, _)| i).collect()
    }

    /// The named column closest in spelling to `name`, for "did you mean" hints.
    pub fn closest_column(&self, name: &str) -> Option<&str> {
        let lower = normalize_name(name).to_lowercase();
        self.columns
            .iter()
            .filter(|c| !c.name.is_empty())
            .map(|c| (strsim::jaro_winkler(&lower, &c.name.to_lowercase()), c.name.as_str()))
            .filter(|(score, _)| *score >= 0.7)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, n)| n)
    }
}

/// The most columns a table has: a sheet's width in Excel.
const MAX_WIDTH: u32 = 16_384;

/// Where in a sheet the table lies. By default it starts at the sheet's first non-empty
/// row; a header row below title rows, or an Excel table's range, narrows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Region {
    /// The header's row (1-based): rows above it are not read. (The first non-empty row
    /// from there on is the header.)
    pub header_row: Option<u32>,
    /// The last row read (1-based; an Excel table's last data row).
    pub last_row: Option<u32>,
    /// The first and last column read (0-based, inclusive; an Excel table's).
    pub columns: Option<(u32, u32)>,
}

/// Builds a [`Table`] from non-empty cells given in sheet order, row by row.
#[derive(Debug, Default, Clone)]
pub(crate) struct TableBuilder {
    region: Region,
    header: Option<(u32, Vec<Column>)>,
    /// The header row's cells (column position, value, format), named when the formats are known.
    header_cells: Vec<(usize, Value, u16)>,
    first_col: u32,
    rows: Vec<Row>,
    outside: Option<(usize, u32, u32)>,
    filled: Vec<bool>,
    /// Values the rows held take (each row is as wide as the header).
    values: usize,
    /// Rows were left out because they would have held more than [`MAX_VALUES`]: the table
    /// cannot be finished.
    over: bool,
}

impl TableBuilder {
    /// A builder that keeps only the cells of `region`.
    pub(crate) fn new(region: Region) -> Self {
        TableBuilder { region, ..TableBuilder::default() }
    }

    /// Adds one sheet row (1-based number); `cells` are (zero-based column, value, format
    /// index) in any order. Blank cells are ignored; a row of blanks is skipped, as are
    /// rows and columns outside the region.
    pub(crate) fn push_row(&mut self, number: u32, mut cells: Vec<(u32, Value, u16)>) {
        self.push_cells(number, &mut cells);
    }

    /// [`TableBuilder::push_row`] from a buffer the caller reuses: `cells` is left empty.
    pub(crate) fn push_cells(&mut self, number: u32, cells: &mut Vec<(u32, Value, u16)>) {
        let r = self.region;
        if r.header_row.is_some_and(|h| number < h) || r.last_row.is_some_and(|l| number > l) {
            cells.clear();
            return;
        }
        cells.retain(|(c, v, _)| !v.is_blank() && r.columns.is_none_or(|(a, b)| (a..=b).contains(c)));
        if cells.is_empty() {
            return;
        }
        let Some((_, columns)) = &self.header else {
            let mut cells = std::mem::take(cells);
            cells.sort_by_key(|(c, _, _)| *c);
            let first = match self.region.columns {
                Some((a, _)) => a,
                None => cells.first().map_or(0, |(c, _, _)| *c),
            };
            // A header no wider than a sheet can be (Excel's 16,384 columns): what lies
            // further is outside the table, and memory never follows a claimed position.
            let limit = first.saturating_add(MAX_WIDTH - 1);
            let (inside, outside): (Vec<_>, Vec<_>) = cells.into_iter().partition(|(c, _, _)| *c <= limit);
            let last = match self.region.columns {
                Some((_, b)) => b.min(limit),
                None => inside.last().map_or(first, |(c, _, _)| *c),
            };
            let columns: Vec<Column> =
                (first..=last).map(|index| Column { name: String::new(), index }).collect();
            if let Some((c, _, _)) = outside.first() {
                self.outside = Some((outside.len(), number, *c));
            }
            self.header_cells =
                inside.into_iter().map(|(c, v, style)| ((c - first) as usize, v, style)).collect();
            self.first_col = first;
            self.filled = vec![false; columns.len()];
            self.header = Some((number, columns));
            return;
        };
        let width = columns.len();
        // Memory follows the header's width, not the row's cells: bounded before it is taken.
        if self.over || self.values.saturating_add(width) > MAX_VALUES {
            self.over = true;
            cells.clear();
            return;
        }
        let mut values = vec![Value::Empty; width];
        let mut styles = Vec::new();
        let mut any = false;
        for (c, v, style) in cells.drain(..) {
            match c.checked_sub(self.first_col).map(|i| i as usize).filter(|i| *i < width) {
                Some(i) => {
                    self.filled[i] = true;
                    values[i] = v;
                    if style != 0 {
                        styles.resize(width, 0);
                        styles[i] = style;
                    }
                    any = true;
                }
                None => {
                    let entry = self.outside.get_or_insert((0, number, c));
                    entry.0 += 1;
                }
            }
        }
        if any {
            self.values += width;
            self.rows.push(Row { number, values, styles });
        }
    }

    /// How many data rows it holds (not yet taken).
    pub(crate) fn held(&self) -> usize {
        self.rows.len()
    }

    /// Takes the data rows it holds, leaving it none (a streamed read hands them over).
    pub(crate) fn take_rows(&mut self) -> std::vec::Drain<'_, Row> {
        self.values = 0;
        self.rows.drain(..)
    }

    /// The table so far, taking the rows it holds: the header's columns named, no warnings
    /// yet (they need every row); `None` before a header. What a streamed read hands over
    /// first.
    pub(crate) fn head(&mut self, sheet: &str, formats: &[CellFormat], date1904: bool) -> Option<Table> {
        let (header_row, columns) = self.named_columns(formats, date1904)?;
        let rows = std::mem::take(&mut self.rows);
        self.values = 0;
        Some(Table {
            sheet: sheet.to_owned(),
            header_row,
            columns,
            rows,
            warnings: Vec::new(),
            formats: formats.to_vec(),
            date1904,
        })
    }

    /// The header row's number and its columns, each named by the text its cell shows (a
    /// date, a number with a format), as Excel shows it in en-US, white space normalised.
    fn named_columns(&self, formats: &[CellFormat], date1904: bool) -> Option<(u32, Vec<Column>)> {
        let (header_row, columns) = self.header.as_ref()?;
        let mut columns = columns.clone();
        let display =
            crate::format::CellText::new(formats, crate::format::Locale::en_us()).date_system(date1904);
        for (i, value, style) in &self.header_cells {
            let mut text = String::new();
            display.write(value, *style, &mut text);
            columns[*i].name = normalize_name(&text);
        }
        Some((*header_row, columns))
    }

    /// Finishes the table; `None` when the sheet has no non-empty row at all, an error when
    /// its rows would have held more than [`MAX_VALUES`].
    pub(crate) fn finish(
        self,
        sheet: String,
        formats: Vec<CellFormat>,
        date1904: bool,
    ) -> Result<Option<Table>, ReadError> {
        if self.over {
            let columns = self.header.as_ref().map_or(0, |(_, c)| c.len());
            return Err(ReadError::TooWide { sheet, columns, limit: MAX_VALUES });
        }
        let Some((header_row, columns)) = self.named_columns(&formats, date1904) else { return Ok(None) };
        let mut warnings = Vec::new();
        for (col, filled) in columns.iter().zip(&self.filled) {
            if col.name.is_empty() && *filled {
                warnings.push(SheetWarning::BlankHeader { column: col.letters() });
            }
        }
        let mut seen: Vec<&str> = Vec::new();
        for col in columns.iter().filter(|c| !c.name.is_empty()) {
            let lower = col.name.to_lowercase();
            if seen.contains(&col.name.as_str()) {
                continue;
            }
            let same: Vec<String> =
                columns.iter().filter(|c| c.name.to_lowercase() == lower).map(Column::letters).collect();
            if same.len() > 1 {
                warnings.push(SheetWarning::DuplicateHeader { name: col.name.clone(), columns: same });
                for c in columns.iter().filter(|c| c.name.to_lowercase() == lower) {
                    seen.push(c.name.as_str());
                }
            }
        }
        if let Some((count, row, col)) = self.outside {
            warnings.push(SheetWarning::OutsideHeader { count, row, column: column_letters(col) });
        }
        Ok(Some(Table { sheet, header_row, columns, rows: self.rows, warnings, formats, date1904 }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    #[test]
    fn a_header_is_never_wider_than_a_sheet() {
        let mut b = TableBuilder::default();
        b.push_row(1, vec![(0, text("Email"), 0), (u32::MAX - 1, text("Far"), 0)]);
        b.push_row(2, vec![(0, text("a@x.org"), 0)]);
        let t = b
            .finish("S".into(), vec![CellFormat::Code("General".into())], false)
            .expect("reads")
            .expect("table");
        assert_eq!(t.columns.len(), 1, "the far header cell is outside the table");
        assert!(
            matches!(t.warnings.as_slice(), [SheetWarning::OutsideHeader { count: 1, row: 1, .. }]),
            "{:?}",
            t.warnings
        );
    }

    #[test]
    fn header_is_first_non_empty_row_and_empty_rows_are_skipped() {
        let mut b = TableBuilder::default();
        b.push_row(1, vec![]);
        b.push_row(2, vec![(1, text(" Email "), 0), (2, text("Name"), 0), (4, text("Name"), 0)]);
        b.push_row(3, vec![(1, text("a@x.org"), 0), (3, text("orphan"), 0)]);
        b.push_row(4, vec![(1, text("   "), 0)]);
        b.push_row(5, vec![(0, text("left"), 0), (2, text("Bo"), 3)]);
        let t = b
            .finish("S".into(), vec![CellFormat::Code("General".into())], false)
            .expect("reads")
            .expect("table");
        assert_eq!(t.header_row, 2);
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Email", "Name", "", "Name"]);
        assert_eq!(t.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [3, 5]);
        assert!(t.rows[0].styles.is_empty(), "General rows carry no styles");
        assert_eq!((t.rows[1].style(1), t.rows[1].style(0)), (3, 0));
        assert_eq!(t.warnings.len(), 3, "{:?}", t.warnings);
        assert!(t.warnings.contains(&SheetWarning::BlankHeader { column: "D".into() }));
        assert!(t.warnings.contains(&SheetWarning::DuplicateHeader {
            name: "Name".into(),
            columns: vec!["C".into(), "E".into()]
        }));
        assert!(t.warnings.contains(&SheetWarning::OutsideHeader { count: 1, row: 5, column: "A".into() }));
        assert_eq!(t.find_column("name"), Err(vec![1, 3]));
        assert_eq!(t.find_column("EMAIL"), Ok(Some(0)));
        assert_eq!(t.closest_column("Emial"), Some("Email"));
    }
}

//! The number formats of xls and xlsb workbooks, which calamine does not expose: read by
//! our own record walks (`biff`, `xlsb_guard`) and looked up per cell when a sheet is read.

use std::collections::HashMap;

/// A sheet's cells' XF (cell style) indexes by (row, column).
pub(super) type CellXfs = HashMap<(u32, u32), u32>;

/// A workbook's formats and the style of every cell.
#[derive(Debug, Default)]
pub(super) struct WorkbookStyles {
    /// Custom format codes by format index.
    pub(super) formats: HashMap<u16, String>,
    /// Each cell XF's format index, in XF order.
    pub(super) xf_format: Vec<u16>,
    /// Per sheet (by name): each cell's XF index.
    pub(super) sheets: Vec<(String, CellXfs)>,
    /// The workbook counts days from 1904 (the xls DATEMODE record).
    pub(super) date1904: bool,
    /// Formats whose day, month and year follow the reader's order (OpenDocument's
    /// `number:automatic-order`).
    pub(super) locale_order: std::collections::HashSet<u16>,
    /// A BIFF5 workbook's code page, when its text is decoded again after calamine
    /// (`legacy_text`).
    pub(super) code_page: Option<super::legacy_text::CodePage>,
}

impl WorkbookStyles {
    /// Text as the workbook's code page says (calamine's text, decoded again if need be).
    pub(super) fn text(&self, calamine: String) -> String {
        match &self.code_page {
            Some(cp) => cp.redecode(&calamine),
            None => calamine,
        }
    }
}

impl WorkbookStyles {
    /// A sheet's cell styles, looked up once per sheet read.
    pub(super) fn sheet(&self, name: &str) -> Option<&CellXfs> {
        self.sheets.iter().find(|(n, _)| n == name).map(|(_, cells)| cells)
    }

    /// The format index of a cell of `sheet` (0, General, when unknown).
    pub(super) fn format_of(&self, sheet: Option<&CellXfs>, cell: (u32, u32)) -> u16 {
        sheet
            .and_then(|cells| cells.get(&cell))
            .and_then(|xf| self.xf_format.get(*xf as usize))
            .copied()
            .unwrap_or(0)
    }
}

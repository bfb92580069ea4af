use crate::read::Workbook;

#[test]
fn chart_sheets_are_not_offered_as_sheets() {
    let Some(dir) = localmerge_testdata::calamine_corpus("the chart-sheet check") else { return };
    for (file, chart) in [("any_sheets.xlsx", "Chart"), ("issue438.xlsx", "Chart1")] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let mut book = Workbook::open(bytes).unwrap();
        assert!(!book.sheet_names().iter().any(|n| n == chart), "{file}: {:?}", book.sheet_names());
        assert!(!book.sheet_names().is_empty(), "{file}");
        assert!(
            matches!(book.read_sheet(chart), Err(crate::ReadError::UnknownSheet { .. })),
            "{file}: a chart is not a sheet to read"
        );
    }
}

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

/// The window over a part may end anywhere — inside a tag, a value, an entity, a string
/// item, a multi-byte character: every sheet of calamine's corpus and of the repository's
/// workbooks reads the same (table or error) through windows of a few bytes as through the
/// usual one, and with quick-xml alone as with the fast path (the repository's workbooks
/// alone where the corpus is absent).
#[test]
fn a_window_cut_anywhere_and_either_path_read_alike() {
    let corpus = localmerge_testdata::calamine_corpus("the reading-window check over calamine's corpus");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let ours = [root.join("../testdata/files"), root.join("../examples")];
    for dir in corpus.iter().cloned().chain(ours) {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| {
            p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm"))
        }));
    }
    files.sort();
    let read_all = |bytes: &[u8], window: Option<usize>, slow: bool| {
        super::window::reading(super::window::TestRead { window, slow }, || {
            match Workbook::open(bytes.to_vec()) {
                Ok(mut book) => {
                    let names = book.sheet_names().to_vec();
                    names.iter().map(|n| format!("{n}: {:?}", book.read_sheet(n))).collect::<Vec<_>>()
                }
                Err(e) => vec![format!("{e:?}")],
            }
        })
    };
    let mut books: Vec<(String, Vec<u8>)> =
        files.iter().map(|p| (p.display().to_string(), std::fs::read(p).unwrap())).collect();
    books.push(("500 generated contacts".into(), localmerge_testdata::contacts_xlsx(500).unwrap()));
    let mut sheets = 0;
    for (path, bytes) in &books {
        let usual = read_all(bytes, None, false);
        for size in [1, 5, 64, 333] {
            assert_eq!(read_all(bytes, Some(size), false), usual, "{path} through a {size}-byte window");
        }
        let slow = [read_all(bytes, None, true), read_all(bytes, Some(64), true)];
        assert_eq!(slow, [usual.clone(), usual.clone()], "{path} read by quick-xml alone");
        sheets += usual.len();
    }
    let least = if corpus.is_some() { 60 } else { 2 };
    assert!(sheets > least, "only {sheets} sheets compared");
}

//! A header with a stray cell far to its right makes each row as wide as a sheet (16,384
//! values, 512 KB, for one address): what a table being built holds is bounded by
//! `MAX_VALUES`, so such a file is refused with its reason instead of exhausting memory — in
//! xlsx and in delimited text, read whole or streamed — while a streamed read that hands its
//! rows over as it goes holds a few at a time and reads it.

use std::ops::ControlFlow;

use localmerge_core::read::MAX_VALUES;
use localmerge_core::{ReadError, ReadOptions, Row, RowSink, Table, Workbook};
use rust_xlsxwriter::Workbook as XlsxWorkbook;

use crate::alloc::{MEASURE, peak_during};

/// Rows of one address each under the wide header: 4,000 rows of 16,384 values would be
/// 64 million values (2 GB), six times the limit.
const ROWS: u32 = 4_000;
const WIDTH: usize = 16_384;

fn wide_xlsx() -> Vec<u8> {
    let mut wb = XlsxWorkbook::new();
    let ws = wb.add_worksheet().set_name("List").unwrap();
    ws.write_string(0, 0, "Email").unwrap();
    ws.write_string(0, (WIDTH - 1) as u16, "stray").unwrap();
    for r in 1..=ROWS {
        ws.write_string(r, 0, format!("p{r}@example.org")).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

fn wide_csv() -> Vec<u8> {
    let mut text = format!("Email{}stray\n", ",".repeat(WIDTH - 1));
    for r in 1..=ROWS {
        text.push_str(&format!("p{r}@example.org\n"));
    }
    text.into_bytes()
}

/// Counts what it is handed, keeping nothing.
#[derive(Default)]
struct Count {
    columns: usize,
    rows: usize,
}

impl RowSink for Count {
    fn head(&mut self, head: Table) -> ControlFlow<()> {
        self.columns = head.columns.len();
        self.rows = head.rows.len();
        ControlFlow::Continue(())
    }

    fn row(&mut self, _: Row) -> ControlFlow<()> {
        self.rows += 1;
        ControlFlow::Continue(())
    }
}

/// The most a read may allocate: the limit's values (32 bytes each), the file, and room for
/// what the binary's other tests allocate meanwhile (the counter is the process's). Without
/// the bound these reads take 2 GB.
const PEAK_LIMIT: usize = MAX_VALUES * 32 + (256 << 20);

#[test]
fn a_stray_cell_right_of_the_header_is_refused_within_bounded_memory() {
    let _guard = MEASURE.lock().unwrap_or_else(|e| e.into_inner());
    for (name, bytes) in [("xlsx", wide_xlsx()), ("csv", wide_csv())] {
        let (read, peak) = peak_during(|| Workbook::open(bytes.clone()).and_then(|mut w| w.read(None)));
        let err = read.expect_err(name);
        assert!(
            matches!(&err, ReadError::TooWide { columns: WIDTH, limit: MAX_VALUES, .. }),
            "{name}: {err}"
        );
        let message = err.to_string();
        assert!(message.contains("16384 columns") && message.contains("stray cell"), "{name}: {message}");
        assert!(peak < PEAK_LIMIT, "{name}: a refused read allocated {peak} bytes");

        // Streamed, holding more rows than fit before handing over: refused the same way.
        let mut sink = Count::default();
        let (streamed, peak) = peak_during(|| {
            Workbook::open(bytes.clone())
                .and_then(|mut w| w.stream_with(None, &ReadOptions::default(), 10_000, &mut sink))
        });
        let err = streamed.expect_err(name);
        assert!(matches!(err, ReadError::TooWide { .. }), "{name}: {err}");
        assert_eq!(sink.rows, 0, "{name}: nothing handed over");
        assert!(peak < PEAK_LIMIT, "{name}: a refused streamed read allocated {peak} bytes");

        // Handing rows over as they come, a few are held at a time: every row is read.
        let mut sink = Count::default();
        let (streamed, peak) = peak_during(|| {
            Workbook::open(bytes.clone())
                .and_then(|mut w| w.stream_with(None, &ReadOptions::default(), 100, &mut sink))
        });
        streamed.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((sink.columns, sink.rows), (WIDTH, ROWS as usize), "{name}");
        assert!(peak < PEAK_LIMIT, "{name}: a streamed read allocated {peak} bytes");
    }
}

#[test]
fn a_list_as_large_as_the_limit_still_reads() {
    // Its 300 MB must not count in another test's peak.
    let _guard = MEASURE.lock().unwrap_or_else(|e| e.into_inner());
    // 600 rows under a 16,384-column header: 9.8 million values, just under the limit.
    let rows = MAX_VALUES / WIDTH - 10;
    let mut text = format!("Email{}stray\n", ",".repeat(WIDTH - 1));
    for r in 0..rows {
        text.push_str(&format!("p{r}@example.org\n"));
    }
    let table = Workbook::open(text.into_bytes()).and_then(|mut w| w.read(None)).expect("reads");
    assert_eq!((table.columns.len(), table.rows.len()), (WIDTH, rows));
}

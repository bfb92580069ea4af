fn main() {
    let path = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args().nth(2).map_or(20, |s| s.parse().unwrap());
    let bytes = std::fs::read(path).unwrap();
    let t = std::time::Instant::now();
    let mut rows = 0;
    for _ in 0..n {
        let table =
            localmerge_core::read::Workbook::open(bytes.clone()).and_then(|mut w| w.read(None)).unwrap();
        rows += table.rows.len();
    }
    eprintln!("{rows} rows, {:.1} ms each", t.elapsed().as_secs_f64() * 1e3 / n as f64);
}

//! `cargo bench -p localmerge-core`: reading a 50,000-row × 10-column xlsx and rendering
//! its 50,000 messages. The side-by-side comparison with SheetJS and handlebars.js is
//! `cargo xtask bench`.
#![allow(clippy::expect_used)] // a benchmark harness: failing loudly is the point

use criterion::{Criterion, criterion_group, criterion_main};
use localmerge_core::{Merge, MergeSpec, Workbook};

const SUBJECT: &str = include_str!("../../bench/templates/subject.hbs");
const BODY: &str = include_str!("../../bench/templates/body.html");

fn bench(c: &mut Criterion) {
    let bytes = localmerge_testdata::contacts_xlsx(50_000).expect("workbook");
    let mut group = c.benchmark_group("50k-rows");
    group.sample_size(10);
    group.bench_function("read-xlsx", |b| {
        b.iter(|| Workbook::open(bytes.clone()).and_then(|mut w| w.read(None)).expect("read"))
    });
    let table = Workbook::open(bytes.clone()).and_then(|mut w| w.read(None)).expect("read");
    group.bench_function("compile-templates", |b| {
        b.iter(|| Merge::new(&table, &MergeSpec::html(SUBJECT.trim_end(), BODY, "body.html")).expect("merge"))
    });
    let merge = Merge::new(&table, &MergeSpec::html(SUBJECT.trim_end(), BODY, "body.html")).expect("merge");
    group.bench_function("check-and-render", |b| b.iter(|| merge.plan(&table)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

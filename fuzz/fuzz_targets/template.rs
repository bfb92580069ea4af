//! Any template source, compiled against a sheet with awkward headers, then rendered for
//! rows with empty, error and hostile values; and the same for subject-style templates.
#![no_main]

use libfuzzer_sys::fuzz_target;
use localmerge_core::{Escaping, RowView, Template, Value, Workbook};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    let csv = "Email;First Name;Mr.;E-mail;Code (postal);if;Note\n".as_bytes().to_vec();
    let Ok(table) = Workbook::open(csv).and_then(|mut w| w.read_first_with_header()) else { return };
    let rows = [
        vec![Value::Empty; 7],
        vec![
            Value::Text("a@x.org".into()),
            Value::Text("<b>'\"&=`".into()),
            Value::Int(-1),
            Value::Float(f64::NAN),
            Value::Bool(true),
            Value::Error("#N/A".into()),
            Value::Text("  ".into()),
        ],
    ];
    for escaping in [Escaping::Html, Escaping::None] {
        if let Ok(t) = Template::compile(source, "fuzz", escaping, &table) {
            for row in &rows {
                let mut issues = Vec::new();
                let _ = t.render(RowView::plain(row), &mut issues);
            }
        }
    }
});

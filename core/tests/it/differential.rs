//! Our template evaluator against handlebars-rust's own renderer, on generated templates
//! and rows: the same source and data must give the same text.
//!
//! Intended differences are kept out of the generators and documented in the README:
//! text that is only white space is false in conditions here (a blank cell), and values
//! are typed cells rather than JSON.

use handlebars::Handlebars;
use proptest::prelude::*;
use serde_json::{Map, Value as Json};

use localmerge_core::{Escaping, RowView, Template, Value};

const COLUMNS: [&str; 3] = ["A", "B c", "Dd"];

#[derive(Debug, Clone)]
enum El {
    Raw(String),
    Var { col: usize, bare: bool, tilde: (bool, bool) },
    Triple(usize),
    If { unless: bool, col: usize, then: Vec<El>, otherwise: Option<Vec<El>>, standalone: bool },
}

fn name(col: usize, bare: bool) -> String {
    let n = COLUMNS[col];
    if bare || !n.contains(' ') { n.to_owned() } else { format!("[{n}]") }
}

/// Writes the template; `ours` may use bare multi-word names, handlebars needs brackets.
fn write(els: &[El], ours: bool, out: &mut String) {
    for el in els {
        match el {
            El::Raw(s) => out.push_str(s),
            El::Var { col, bare, tilde } => {
                let n = name(*col, *bare && ours);
                let (l, r) = (if tilde.0 { "~" } else { "" }, if tilde.1 { "~" } else { "" });
                out.push_str(&format!("{{{{{l}{n}{r}}}}}"));
            }
            El::Triple(col) => out.push_str(&format!("{{{{{{{}}}}}}}", name(*col, false))),
            El::If { unless, col, then, otherwise, standalone } => {
                let kw = if *unless { "unless" } else { "if" };
                let nl = if *standalone { "\n" } else { "" };
                out.push_str(&format!("{nl}{{{{#{kw} {}}}}}{nl}", name(*col, ours)));
                write(then, ours, out);
                if let Some(o) = otherwise {
                    out.push_str(&format!("{nl}{{{{else}}}}{nl}"));
                    write(o, ours, out);
                }
                out.push_str(&format!("{nl}{{{{/{kw}}}}}{nl}"));
            }
        }
    }
}

fn element() -> impl Strategy<Value = El> {
    let leaf = prop_oneof![
        "[a-z <>&'\"=.\n]{0,8}".prop_map(El::Raw),
        (0..3usize, any::<bool>(), any::<(bool, bool)>()).prop_map(|(col, bare, tilde)| El::Var {
            col,
            bare,
            tilde
        }),
        (0..3usize).prop_map(El::Triple),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        (
            any::<bool>(),
            0..3usize,
            prop::collection::vec(inner.clone(), 0..4),
            prop::option::of(prop::collection::vec(inner, 0..3)),
            any::<bool>(),
        )
            .prop_map(|(unless, col, then, otherwise, standalone)| El::If {
                unless,
                col,
                then,
                otherwise,
                standalone,
            })
    })
}

fn cell() -> impl Strategy<Value = String> {
    // Empty, or text with at least one visible character (see the module comment).
    prop_oneof![Just(String::new()), "[a-z<>&'\"`= ]{0,5}[a-z<>&]"]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn renders_like_handlebars(els in prop::collection::vec(element(), 0..6), values in prop::array::uniform3(cell())) {
        let mut ours_src = String::new();
        write(&els, true, &mut ours_src);
        let mut hb_src = String::new();
        write(&els, false, &mut hb_src);

        let csv = format!("{}\n", COLUMNS.join(","));
        let table = crate::csv(&csv);
        let template = Template::compile(&ours_src, "t", Escaping::Html, &table);
        let template = match template {
            Ok(t) => t,
            Err(e) => return Err(TestCaseError::fail(format!("{ours_src:?}: {e}"))),
        };
        let row: Vec<Value> = values
            .iter()
            .map(|v| if v.is_empty() { Value::Empty } else { Value::Text(v.clone()) })
            .collect();
        let mut issues = Vec::new();
        let ours = template.render(RowView::plain(&row), &mut issues);

        let mut ctx = Map::new();
        for (c, v) in COLUMNS.iter().zip(&values) {
            ctx.insert((*c).to_owned(), Json::String(v.clone()));
        }
        let hb = Handlebars::new();
        let theirs = hb.render_template(&hb_src, &Json::Object(ctx));
        let theirs = match theirs {
            Ok(t) => t,
            Err(e) => return Err(TestCaseError::fail(format!("{hb_src:?}: {e}"))),
        };
        prop_assert_eq!(ours, theirs, "ours: {:?}\nhandlebars: {:?}", ours_src, hb_src);
    }
}

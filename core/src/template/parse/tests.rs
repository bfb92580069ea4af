use handlebars::template::{HelperTemplate, Parameter, Template, TemplateElement};
use proptest::prelude::*;

use super::*;

/// handlebars-rust's tree in this module's terms. Block positions are left out (handlebars
/// keeps none for `{{else name}}` chains); expression positions are compared.
fn theirs(t: &Template) -> Vec<Element> {
    t.elements
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let pos = t.mapping.get(i).map_or((0, 0), |m| (m.0, m.1));
            match e {
                TemplateElement::RawString(s) => Element::Text(s.clone()),
                TemplateElement::Comment(_) => Element::Comment,
                TemplateElement::Expression(h) => Element::Out { call: call(h), escaped: true, pos },
                TemplateElement::HtmlExpression(h) => Element::Out { call: call(h), escaped: false, pos },
                TemplateElement::HelperBlock(h) => Element::Block {
                    call: call(h),
                    then: h.template.as_ref().map(theirs).unwrap_or_default(),
                    inverse: h.inverse.as_ref().map(theirs),
                    pos: (0, 0),
                },
                _ => Element::Refused { what: "", pos: (0, 0) },
            }
        })
        .collect()
}

fn call(h: &HelperTemplate) -> Call {
    Call { name: param(&h.name), params: h.params.iter().map(param).collect(), hash: !h.hash.is_empty() }
}

fn param(p: &Parameter) -> Param {
    match p {
        Parameter::Name(n) => Param::Name(n.clone()),
        Parameter::Path(handlebars::Path::Relative((segs, raw))) => Param::Path(Path::Relative {
            segs: segs
                .iter()
                .map(|s| match s {
                    handlebars::PathSeg::Named(n) => Seg::Named(n.clone()),
                    _ => Seg::Other,
                })
                .collect(),
            raw: raw.clone(),
        }),
        Parameter::Path(handlebars::Path::Local((_, _, raw))) => {
            Param::Path(Path::Local { raw: raw.clone() })
        }
        Parameter::Literal(json) => Param::Literal(match json {
            serde_json::Value::String(s) => Literal::Str(s.clone()),
            serde_json::Value::Number(n) => Literal::Num(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::Bool(b) => Literal::Bool(*b),
            _ => Literal::Other,
        }),
        Parameter::Subexpression(sub) => match sub.as_element() {
            TemplateElement::Expression(h) => Param::Sub(Box::new(call(h))),
            other => panic!("unexpected subexpression {other:?}"),
        },
        other => panic!("unexpected parameter {other:?}"),
    }
}

/// Ours, with block positions cleared as in [`theirs`].
fn ours(src: &str) -> Result<Vec<Element>, SyntaxError> {
    fn clear(els: &mut [Element]) {
        for e in els {
            if let Element::Block { then, inverse, pos, .. } = e {
                *pos = (0, 0);
                clear(then);
                if let Some(inv) = inverse {
                    clear(inv);
                }
            }
        }
    }
    let mut els = parse(src)?;
    clear(&mut els);
    Ok(els)
}

#[track_caller]
fn same(src: &str) {
    let hb = Template::compile(src);
    match (ours(src), hb) {
        (Ok(a), Ok(b)) => assert_eq!(a, theirs(&b), "{src:?}"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("{src:?}: ours {a:?}, handlebars-rust {b:?}"),
    }
}

#[test]
fn reads_what_handlebars_reads() {
    for src in [
        "",
        "plain text",
        "Hi {{A}}, {{{B}}} {{&C}} {{~{D}~}} {{{~E~}}}",
        "{{a.b}} {{[x y]}} {{this}} {{this.A}} {{./A}} {{../A}} {{@index}} {{@root.A}} {{@../key}} {{a/b}}",
        "{{eq A \"x\\\"y\" 'it\\'s' 1 -2.5 1E3 true false null}}",
        "{{f [1, 2] {\"k\": [null]} (g A) (h) k=v}}",
        "{{#if A}}x{{else if B}}y{{^}}z{{/if}}",
        "{{#if A}}x{{else unless B}}y{{else if C}}z{{/if}}",
        "a\n  {{#if A}}  \n  body\n  {{else}}\n  alt\n  {{/if}}  \nend",
        "{{#if A~}}\n   {{B}}  \n{{~/if}}",
        "{{#if A~}}\n{{B}}  \nfoo",
        "{{! c }}\n{{!-- c }} --}}\n x",
        "\\{{A}} \\\\{{A}} \\{{{{A}}}} \\x",
        "{{a~}}  ",
        "{{#if A as |x y|}}{{/if}}",
        "{{#each A}}{{@index}}{{/each}}",
        "{{#if A}}{{/unless}}",
        "{{#if A}}",
        "{{else}}",
        "{{A",
        "{{1.}}",
        "{{f 01}}",
        "{{f 'a' \"b\\q\"}}",
        "{{{A}}",
        "{{#if}}{{/if}}",
        "{{/if}}",
        "{{f a=}}",
        "{{ ~ A ~ }}",
    ] {
        same(src);
    }
}

#[test]
fn else_is_a_keyword_only_as_a_whole_word() {
    let els = parse("{{elsewhere}}{{#if a}}x{{else}}y{{/if}}").expect("parses");
    let Element::Out { call, .. } = &els[0] else { panic!("{els:?}") };
    assert_eq!(call.name.as_name(), Some("elsewhere"));
    let Element::Block { inverse: Some(inverse), .. } = &els[1] else { panic!("{els:?}") };
    assert_eq!(inverse, &[Element::Text("y".into())]);
}

#[test]
fn errors_point_at_the_tag() {
    let e = parse("ab\n  {{#if a}}x{{/unless}}").expect_err("mismatch");
    assert_eq!(e.pos, (2, 13));
    assert!(e.message.contains("`{{/unless}}` closes `{{#if}}`"), "{e:?}");
    let e = parse("é {{a").expect_err("unclosed");
    assert_eq!((e.pos, e.message.as_str()), ((1, 3), "`{{` is never closed with `}}`"));
    let e = parse("{{#if a}}{{else}}{{else}}{{/if}}").expect_err("two elses");
    assert_eq!(e.pos, (1, 18));
    let e = parse("{{f 1.}}").expect_err("bad number");
    assert!(e.message.contains("invalid literal `1.`"), "{e:?}");
}

/// Pieces of templates: every construct, white space and newlines in many places.
fn piece() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("A"),
        Just("b1"),
        Just("a.b"),
        Just("[x y]"),
        Just("this.A"),
        Just("../A"),
        Just("@index"),
        Just("this"),
        Just("é_$:-"),
    ];
    let lit = prop_oneof![
        Just("\"s\""),
        Just("'q\\'s'"),
        Just("\"\\u00e9\\n\""),
        Just("12"),
        Just("-1.5"),
        Just("2E-3"),
        Just("true"),
        Just("null"),
        Just("[1,\"a\"]"),
        Just("{\"k\":1}"),
    ];
    let arg = prop_oneof![name.clone().prop_map(str::to_owned), lit.prop_map(str::to_owned)];
    let call = (name.clone(), prop::collection::vec(arg.clone(), 0..3), any::<bool>(), any::<bool>())
        .prop_map(|(n, args, sub, hash)| {
            let mut s = if args.is_empty() { n.to_owned() } else { format!("f {}", args.join(" ")) };
            if sub {
                s.push_str(" (g A)");
            }
            if hash {
                s.push_str(" k=1");
            }
            s
        });
    let ws = prop_oneof![Just(""), Just(" "), Just("\n"), Just("  \n  "), Just("\t"), Just("\r\n")];
    let t = prop_oneof![Just(""), Just("~")];
    prop_oneof![
        "[a-zé— \\n\\t]{0,5}",
        Just("\\{{A}}".to_owned()),
        Just("\\\\".to_owned()),
        (ws.clone(), t.clone(), call.clone(), t.clone(), ws.clone())
            .prop_map(|(w1, a, c, b, w2)| format!("{w1}{{{{{a}{c}{b}}}}}{w2}")),
        (t.clone(), call.clone(), t.clone()).prop_map(|(a, c, b)| format!("{{{{{{{a}{c}{b}}}}}}}")),
        Just("{{! note }}".to_owned()),
        Just("{{!-- a }} b --}}".to_owned()),
    ]
}

/// A tag of a block (`#if`, `else`, `else if`, `/if`) with white space and `~` around it.
fn block_tag(body: &'static str) -> impl Strategy<Value = String> {
    let ws = prop_oneof![Just(""), Just(" "), Just("\n"), Just("  \n"), Just("\n  "), Just("\t\r\n")];
    let t = prop_oneof![Just(""), Just("~")];
    (ws.clone(), t.clone(), t, ws).prop_map(move |(w1, a, b, w2)| format!("{w1}{{{{{a}{body}{b}}}}}{w2}"))
}

fn template() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..4).prop_map(|p| p.concat()).prop_recursive(3, 32, 4, |inner| {
        (
            prop_oneof![Just("#if A"), Just("#unless [x y]"), Just("#if (f b1 \"s\")")],
            inner.clone(),
            prop::collection::vec(inner.clone(), 0..2),
            prop::option::of(inner.clone()),
            inner,
            any::<bool>(),
        )
            .prop_flat_map(|(open, then, chains, otherwise, after, caret)| {
                let close = if open.starts_with("#unless") { "/unless" } else { "/if" };
                let n = chains.len();
                (
                    block_tag(open),
                    prop::collection::vec(block_tag("else if b1"), n..=n),
                    block_tag(if caret { "^" } else { "else" }),
                    block_tag(close),
                    Just((then, chains, otherwise, after)),
                )
            })
            .prop_map(|(open, chain_tags, else_tag, close, (then, chains, otherwise, after))| {
                let mut s = open + &then;
                for (tag, body) in chain_tags.iter().zip(&chains) {
                    s.push_str(tag);
                    s.push_str(body);
                }
                if let Some(o) = otherwise {
                    s.push_str(&else_tag);
                    s.push_str(&o);
                }
                s + &close + &after
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// Whatever the user types, the parser answers (a panic would kill the add-in).
    #[test]
    fn never_panics(src in "[{}~#/^&!>*()\\[\\]\\\\'\" .=@a-z0-9é—\n-]{0,40}") {
        let _ = parse(&src);
    }

    #[test]
    fn builds_the_tree_handlebars_builds(parts in prop::collection::vec(template(), 1..4)) {
        let src = parts.concat();
        let hb = Template::compile(&src);
        match (ours(&src), hb) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, theirs(&b), "{:?}", src),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "{:?}: ours {:?}, handlebars-rust {:?}", src, a, b),
        }
    }
}

/// What `{{First Name}}` and friends read as, with the columns of a sheet: what the same
/// template with the names bracketed reads as in handlebars' own grammar.
#[test]
fn column_headers_read_as_written() {
    let cols = [
        "First Name",
        "Due Date",
        "Mr.",
        "E-mail",
        "Code (postal)",
        "Note",
        "O'Brien",
        "100%",
        "date of birth",
    ];
    let is_column = |n: &str| cols.iter().any(|c| c.eq_ignore_ascii_case(n));
    for (written, bracketed) in [
        ("Hi {{First Name}}!", "Hi {{[First Name]}}!"),
        ("{{~ first  name ~}}", "{{~ [first name] ~}}"),
        ("{{{First Name}}}", "{{{[First Name]}}}"),
        ("{{& First Name}}", "{{& [First Name]}}"),
        ("{{#if Due Date}}x{{/if}}", "{{#if [Due Date]}}x{{/if}}"),
        ("{{default First Name \"you\"}}", "{{default [First Name] \"you\"}}"),
        ("{{#if (eq First Name \"A B\")}}y{{/if}}", "{{#if (eq [First Name] \"A B\")}}y{{/if}}"),
        ("{{upper (default First Name Note)}}", "{{upper (default [First Name] Note)}}"),
        ("{{Mr.}}", "{{[Mr.]}}"),
        ("{{E-mail}}", "{{[E-mail]}}"),
        ("{{Code (postal)}}", "{{[Code (postal)]}}"),
        ("{{O'Brien}}", "{{[O'Brien]}}"),
        ("{{{100%}}}", "{{{[100%]}}}"),
        ("{{date Due Date \"dd/MM\"}}", "{{date [Due Date] \"dd/MM\"}}"),
        // A header that starts with a helper's name is still the header.
        ("{{date of birth}}", "{{[date of birth]}}"),
        ("{{upper (date of birth)}}", "{{upper ([date of birth])}}"),
    ] {
        assert_eq!(parse_with(written, Some(&is_column)), parse(bracketed), "{written}");
    }
    // Everything else reads as handlebars reads it.
    for src in [
        "{{Note}}",
        "\\{{First Name}}",
        "{{! First Name }}",
        "{{[First Name]}}",
        "{{Frist Name}}",
        "{{#if Note}}a{{else}}b{{/if}}",
        "{{upper Note}}",
        "{{default Note 3}}",
    ] {
        assert_eq!(parse_with(src, Some(&is_column)), parse(src), "{src}");
    }
}

#[test]
fn errors_point_where_the_user_wrote() {
    let is_column = |n: &str| n.eq_ignore_ascii_case("First Name");
    let e = parse_with("ab {{First Name}} {{x", Some(&is_column)).expect_err("unclosed");
    assert_eq!(e.pos, (1, 19));
}

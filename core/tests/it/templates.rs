//! Template behaviour through the merge: tokens, helpers, escaping, errors, checks.

use localmerge_core::graph::BodyType;
use localmerge_core::{IssueKind, Merge, MergeError, MergeSpec, Plan, Table, TemplateError};

use crate::csv;

const PEOPLE: &str = "Email;First Name;Title;Company;Amount;Note;CC\n\
    ada@x.org;Ada;;O'Brien & Sons;150;;\n\
    bob@y.com;Bob;Dr;<script>;99.5;VIP;boss@y.com\n";

fn plan(table: &Table, subject: &str, body: &str) -> Result<Plan, MergeError> {
    Merge::new(table, &MergeSpec::html(subject, body, "body.html")).map(|m| m.plan(table))
}

#[track_caller]
fn bodies(subject: &str, body: &str) -> Vec<(String, String)> {
    let t = csv(PEOPLE);
    let p = plan(&t, subject, body).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    p.messages.into_iter().map(|m| (m.subject, m.body)).collect()
}

#[track_caller]
fn error(body: &str) -> TemplateError {
    match plan(&csv(PEOPLE), "s", body) {
        Err(MergeError::Template(e)) => e,
        other => panic!("expected a template error, got {other:?}"),
    }
}

#[test]
fn headers_with_spaces_and_any_case_are_tokens() {
    let out = bodies("Hi {{First Name}}", "{{first name}}|{{[First Name]}}|{{ First  Name }}|{{FIRST NAME}}");
    assert_eq!(out[0], ("Hi Ada".into(), "Ada|Ada|Ada|Ada".into()));
}

#[test]
fn headers_in_any_language_and_with_punctuation_are_tokens() {
    let t = csv(
        "Courriel;Prénom;Straße;名前;Nº client;Taux %;Client's name\na@x.fr;Zoé;Hauptstraße 1;太郎;42;5;Zoé D.\n",
    );
    let p = plan(&t, "{{Prénom}}", "{{Straße}}|{{名前}}|{{Nº client}}|{{Taux %}}|{{Client's name}}")
        .expect("merge");
    assert_eq!(p.messages[0].subject, "Zoé");
    assert_eq!(p.messages[0].body, "Hauptstraße 1|太郎|42|5|Zoé D.");
}

#[test]
fn html_escapes_values_but_subjects_and_text_do_not() {
    let out = bodies("{{Company}}", "<p>{{Company}}</p>{{{Company}}}");
    assert_eq!(out[0].0, "O'Brien & Sons");
    assert_eq!(out[0].1, "<p>O&#x27;Brien &amp; Sons</p>O'Brien & Sons");
    assert_eq!(out[1].1, "<p>&lt;script&gt;</p><script>");
    let t = csv(PEOPLE);
    let mut spec = MergeSpec::html("x", "{{Company}}", "body.txt");
    spec.body_type = BodyType::Text;
    let p = Merge::new(&t, &spec).expect("merge").plan(&t);
    assert_eq!(p.messages[0].body, "O'Brien & Sons");
}

#[test]
fn blocks_and_helpers() {
    let body = "{{#if Note}}[{{Note}}]{{else}}[no note]{{/if}}\
        {{#unless Title}}(no title){{/unless}}\
        {{default Title \"Customer\"}}|{{upper First Name}}|{{lower Company}}|{{capitalize (lower First Name)}}\
        {{#if (eq Note \"vip\")}}!{{/if}}{{#if (ne First Name \"Ada\")}}?{{/if}}\
        {{#if (contains Company \"SONS\")}}+{{/if}}{{#if (gt Amount 100)}}>{{/if}}\
        {{#if (and Note (not Title))}}&{{/if}}{{#if (or Title Note)}}|{{/if}}";
    let out = bodies("s", body);
    assert_eq!(out[0].1, "[no note](no title)Customer|ADA|o&#x27;brien &amp; sons|Ada+>");
    assert_eq!(out[1].1, "[VIP]Dr|BOB|&lt;script&gt;|Bob!?|");
}

#[test]
fn whitespace_control_and_standalone_lines_follow_handlebars() {
    let out = bodies(
        "s",
        "Dear {{First Name}},\n{{#if Note}}\n  Note: {{Note}}\n{{/if}}\nBye  {{~ First Name ~}}  !",
    );
    assert_eq!(out[0].1, "Dear Ada,\nByeAda!");
    assert_eq!(out[1].1, "Dear Bob,\n  Note: VIP\nByeBob!");
}

#[test]
fn unknown_columns_are_rejected_with_the_closest_name() {
    let e = error("Hello\n  {{Frist Name}}");
    assert_eq!(
        e.to_string(),
        "body.html:2:3: the sheet has no column \"Frist Name\"; did you mean \"First Name\"?"
    );
    let e = error("{{#if Notes}}x{{/if}}");
    assert!(
        matches!(&e, TemplateError::UnknownColumn { name, suggestion: Some(s), .. } if name == "Notes" && s == "Note"),
        "{e}"
    );
    let e = error("{{Zzyzx}}");
    assert_eq!(e.to_string(), "body.html:1:1: the sheet has no column \"Zzyzx\"");
}

#[test]
fn syntax_errors_name_line_and_column() {
    let e = error("line one\n{{#if Note}}x{{/unless}}");
    assert!(matches!(e, TemplateError::Syntax { line: 2, column: 14, .. }), "{e}");
    assert!(e.to_string().contains("`{{/unless}}` closes `{{#if}}`"), "{e}");
    // The unclosed `{{` is at column 16 as written (18 after `[First Name]` was bracketed).
    let e = error("{{First Name}} {{Note");
    let TemplateError::Syntax { line, column, .. } = &e else { panic!("{e}") };
    assert_eq!((*line, *column), (1, 16), "positions refer to the source as written");
    assert!(e.to_string().contains("never closed"), "{e}");
    let e = error("a\n  {{#if Note}}\n");
    assert!(matches!(&e, TemplateError::Syntax { line: 2, column: 3, .. }), "{e}");
    assert!(e.to_string().contains("`{{#if}}` is never closed"), "{e}");
    let e = error("{{else}}");
    assert!(e.to_string().contains("outside a block"), "{e}");
}

#[test]
fn features_without_meaning_for_a_row_are_refused() {
    for (body, needle) in [
        ("{{#each Note}}x{{/each}}", "nested data"),
        ("{{> footer}}", "partials"),
        ("{{@index}}", "#each"),
        ("{{default Note}}", "takes 2 argument(s), not 1"),
        ("{{#with Note}}x{{/with}}", "nested data"),
        ("{{foo Note}}", "no column \"foo Note\""),
    ] {
        let e = error(body).to_string();
        assert!(e.contains(needle), "{body}: {e}");
    }
}

#[test]
fn duplicate_headers_are_ambiguous_only_when_used() {
    let t = csv("Email,Name, Name \na@x.org,A,B\n");
    assert_eq!(t.warnings.len(), 1);
    assert!(plan(&t, "ok", "fine").is_ok());
    let e = plan(&t, "{{Name}}", "x").expect_err("ambiguous");
    assert_eq!(
        e.to_string(),
        "subject:1:1: \"Name\" matches several columns (B, C); rename them in the sheet"
    );
}

#[test]
fn checks_name_row_and_column() {
    let t = csv("Email,Name,CC,Score\n\
         a@x.org,A,,1\n\
         bad@,B,,2\n\
         ,C,,3\n\
         A@X.org,D,,4\n\
         e@x.org,,,5\n\
         f@x.org,F,not-cc,6\n\
         g@x.org,G,,#N/A\n");
    // CSV cells are text, so the "#N/A" is text here; an error cell comes from a workbook.
    let p = plan(&t, "Hi {{Name}}", "{{Score}}").expect("merge");
    assert_eq!(p.messages.iter().map(|m| m.row).collect::<Vec<_>>(), [2, 8]);
    let lines: Vec<String> = p.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "row 3: column \"Email\" (A): invalid address \"bad@\" (Domain is empty.)",
            "row 4: column \"Email\" (A): no email address",
            "row 5: column \"Email\" (A): duplicate recipient A@X.org (already in row 2)",
            "row 6: column \"Name\" (B): empty, but the template uses it (fill it, or use {{default …}} or {{#if …}})",
            "row 7: column \"CC\" (C): invalid address \"not-cc\" (Missing separator character '@'.)",
        ]
    );
    // The value check follows the template: a guarded or defaulted empty value is fine.
    let p = plan(&t, "Hi {{default Name \"there\"}}", "{{#if Name}}{{Name}}{{/if}}").expect("merge");
    assert!(!p.problems.iter().any(|r| r.row == 6), "{:?}", p.problems);
}

#[test]
fn error_cells_are_problems_when_used() {
    let t = crate::table("contacts.xlsxwriter.xlsx");
    let p = plan(&t, "s", "{{#if Score}}{{Score}}{{/if}}").expect("merge");
    let row2 = p.problems.iter().find(|r| r.row == 2).expect("row 2 has an error cell");
    assert_eq!(row2.issues[0].kind, IssueKind::ErrorValue("#N/A".into()));
    assert_eq!(row2.issues[0].letters, "M");
    let p = plan(&t, "s", "no score").expect("merge");
    assert!(!p.problems.iter().any(|r| r.row == 2), "unused error cells are fine");
}

#[test]
fn too_many_recipients_in_one_message() {
    let many: Vec<String> = (0..6).map(|i| format!("u{i}@x.org")).collect();
    let t = csv(&format!("Email,CC\na@x.org,\"{}\"\n", many.join(";")));
    let mut spec = MergeSpec::html("s", "b", "b");
    spec.max_recipients = 5;
    let p = Merge::new(&t, &spec).expect("merge").plan(&t);
    assert_eq!(p.problems[0].issues[0].kind, IssueKind::TooManyRecipients { count: 7, max: 5 });
}

#[test]
fn recipient_columns_are_detected_by_name_or_content() {
    let t = csv("Nom;Courriel;Copie cachée\nA;a@x.org;boss@x.org\n");
    let m = Merge::new(&t, &MergeSpec::html("s", "b", "b")).expect("merge");
    let cols = m.recipient_columns();
    assert_eq!((cols.to, cols.cc, cols.bcc), (1, None, Some(2)));
    let t = csv("Who,Contact\nA,a@x.org\nB,b@y.com\n");
    assert_eq!(Merge::new(&t, &MergeSpec::html("s", "b", "b")).expect("merge").recipient_columns().to, 1);
    let t = csv("Who,What\nA,B\n");
    let e = Merge::new(&t, &MergeSpec::html("s", "b", "b")).expect_err("no addresses");
    assert_eq!(e.to_string(), "no column of email addresses found (columns: Who, What); name one with --to");
}

#[test]
fn explicit_formatters() {
    let t = csv("Email;Due;Amount;Share\na@x.org;2024-03-01;1234.5;0.175\nb@x.org;soon;lots;\n");
    let body = "{{date Due \"dd/MM/yyyy\"}}|{{date Due \"d MMMM yyyy\" \"fr-FR\"}}|{{number Amount 2}}|\
        {{number Amount 2 \"de-DE\"}}|{{currency Amount \"EUR\" \"fr-FR\"}}|{{currency Amount \"USD\"}}|\
        {{percent Share 1}}|{{percent Share 1 \"fr-FR\"}}|{{date (addDays Due 30) \"EEEE d MMM\"}}|{{date Due \"h:mm a\"}}";
    let p = plan(&t, "s", body).expect("merge");
    assert_eq!(
        p.messages[0].body,
        "01/03/2024|1 mars 2024|1,234.50|1.234,50|1\u{202F}234,50\u{202F}€|$1,234.50|17.5%|17,5\u{202F}%|Sunday 31 Mar|12:00 AM"
    );
    let problems: Vec<String> = p.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 1);
    for needle in [
        "column \"Due\" (B): \"soon\" is not a date",
        "column \"Amount\" (C): \"lots\" is not a number",
        "column \"Share\" (D): empty",
        "addDays needs a date",
    ] {
        assert!(problems[0].contains(needle), "{needle} in {}", problems[0]);
    }
}

#[test]
fn formatter_arguments_are_checked_before_any_row() {
    for (body, needle) in [
        ("{{number Amount \"two\"}}", "number of decimals"),
        ("{{percent Share 1.5}}", "number of decimals"),
        ("{{currency Amount \"XYZ\"}}", "unknown currency \"XYZ\""),
        ("{{date Due \"d MMMM\" \"tlh-QO\"}}", "unknown locale \"tlh-QO\""),
        ("{{date Due}}", "takes 2 to 3 argument(s), not 1"),
    ] {
        let t = csv("Email;Due;Amount;Share\na@x.org;2024-03-01;1;0.5\n");
        let e = plan(&t, "s", body).expect_err(body).to_string();
        assert!(e.contains(needle), "{body}: {e}");
    }
}

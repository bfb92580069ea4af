//! Grouped (many-to-one) merges: one message per distinct value of a column, `{{#each
//! rows}}` over the group's rows, `count` and `sum` in the column's format, conflicts named.

use localmerge_core::merge::IssueKind;
use localmerge_core::{Merge, MergeError, MergeSpec, Workbook};
use rust_xlsxwriter::{Format, Workbook as XlsxWorkbook};

/// Invoices: two for Ada (her address written twice differently), one for Bob, three for
/// Cy, one without a customer.
fn invoices() -> localmerge_core::Table {
    let mut wb = XlsxWorkbook::new();
    let ws = wb.add_worksheet().set_name("Invoices").unwrap();
    let money = Format::new().set_num_format("#,##0.00");
    for (c, h) in ["Email", "Name", "Invoice", "Amount", "Attachments"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let rows: [(&str, &str, &str, f64, &str); 7] = [
        ("ada@example.org", "Ada", "INV-1", 1200.5, "a.pdf"),
        ("bob@example.org", "Bob", "INV-2", 10.0, "b.pdf"),
        (" ADA@example.org", "Ada", "INV-3", 99.5, "a2.pdf; a.pdf"),
        ("cy@example.org", "Cy", "INV-4", 1.0, ""),
        ("cy@example.org", "Cyrus", "INV-5", 2.0, ""),
        ("", "Nobody", "INV-6", 3.0, ""),
        ("cy@example.org", "Cy", "INV-7", 4.0, ""),
    ];
    for (i, (email, name, inv, amount, att)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, *email).unwrap();
        ws.write_string(r, 1, *name).unwrap();
        ws.write_string(r, 2, *inv).unwrap();
        ws.write_number_with_format(r, 3, *amount, &money).unwrap();
        if !att.is_empty() {
            ws.write_string(r, 4, *att).unwrap();
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    Workbook::open(bytes).and_then(|mut w| w.read(None)).unwrap()
}

fn spec<'a>(subject: &'a str, body: &'a str, group: Option<&str>) -> MergeSpec<'a> {
    let mut spec = MergeSpec::html(subject, body, "body.html");
    spec.group_by = group.map(str::to_owned);
    spec
}

const BODY: &str = "{{Name}}:{{#each rows}} [{{@index}} {{Invoice}} {{Amount}}{{#if @first}} first{{/if}}{{#if @last}} last{{/if}}]{{/each}} total {{sum rows \"Amount\"}} in {{count rows}}";

#[test]
fn one_message_per_group_in_order_of_first_appearance() {
    let table = invoices();
    let merge = Merge::new(&table, &spec("Your invoices, {{Name}}", BODY, Some("Email"))).unwrap();
    let plan = merge.plan(&table);
    let rows: Vec<(u32, Vec<u32>)> = plan.messages.iter().map(|m| (m.row, m.rows.clone())).collect();
    assert_eq!(rows, [(2, vec![2, 4]), (3, vec![3])], "addresses grouped trimmed and ignoring case");
    let ada = &plan.messages[0];
    assert_eq!(ada.subject, "Your invoices, Ada");
    assert_eq!(ada.body, "Ada: [0 INV-1 1,200.50 first] [1 INV-3 99.50 last] total 1,300.00 in 2");
    let files: Vec<&str> = ada.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(files, ["a.pdf", "a2.pdf"], "every row's attachments, each file once");
    assert_eq!(plan.messages[1].body, "Bob: [0 INV-2 10.00 first last] total 10.00 in 1");

    // Cy's rows disagree on the name the message shows once: a problem naming the rows;
    // the row without a customer is a problem of its own.
    let problems: Vec<(u32, String)> =
        plan.problems.iter().map(|p| (p.row, p.issues[0].to_string())).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].0, 5);
    assert!(
        matches!(&plan.problems[0].issues[0].kind, IssueKind::Conflict { rows } if rows == &[6]),
        "{problems:?}"
    );
    assert!(
        problems[0].1.contains("column \"Name\" (B): differs in row(s) 6 of the same group"),
        "{problems:?}"
    );
    assert_eq!(problems[1].0, 7);
    assert!(matches!(plan.problems[1].issues[0].kind, IssueKind::EmptyValue));
}

#[test]
fn a_column_inside_each_may_differ_and_ungrouped_templates_say_what_is_missing() {
    let table = invoices();
    // Name only inside #each: Cy's group is fine now.
    let body = "{{#each rows}}{{Name}} {{Invoice}};{{/each}}";
    let merge = Merge::new(&table, &spec("Invoices", body, Some("Email"))).unwrap();
    let plan = merge.plan(&table);
    let cy = plan.messages.iter().find(|m| m.row == 5).expect("Cy's message");
    assert_eq!(cy.rows, [5, 6, 8]);
    assert_eq!(cy.body, "Cy INV-4;Cyrus INV-5;Cy INV-7;");

    // Without grouping, each row is a message and #each / count / sum are refused with the fix.
    let plain = Merge::new(&table, &spec("Hi", "{{Name}}", None)).unwrap().plan(&table);
    assert!(plain.messages.iter().all(|m| m.rows == [m.row]));
    for body in ["{{#each rows}}{{Invoice}}{{/each}}", "{{count rows}}", "{{sum rows \"Amount\"}}"] {
        let e = Merge::new(&table, &spec("Hi", body, None)).unwrap_err().to_string();
        assert!(e.contains("--group-by"), "{body}: {e}");
    }
    let e = Merge::new(&table, &spec("Hi", "{{@index}}", Some("Email"))).unwrap_err().to_string();
    assert!(e.contains("only meaningful inside #each"), "{e}");
    let e = Merge::new(&table, &spec("Hi", "{{sum rows \"Amont\"}}", Some("Email"))).unwrap_err().to_string();
    assert!(e.contains("Amont"), "{e}");
    let e = Merge::new(&table, &spec("Hi", "x", Some("Emial"))).unwrap_err();
    assert!(matches!(&e, MergeError::GroupColumn { suggestion: Some(s), .. } if s == "Email"), "{e}");
}

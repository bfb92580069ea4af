//! `{{unsubscribe}}`: a `mailto:` link to the sending mailbox naming the campaign and the
//! message's row, in HTML and plain-text bodies; refused where it cannot work.

use localmerge_core::format::Locale;
use localmerge_core::graph::BodyType;
use localmerge_core::unsubscribe::{Unsubscribe, parse_subject};
use localmerge_core::{Merge, MergeError, MergeSpec, TemplateError};

use super::csv;

fn link() -> Unsubscribe {
    Unsubscribe::new("news@contoso.com", "c0ffee", Locale::en_us()).expect("link")
}

fn merge(
    table: &localmerge_core::Table,
    subject: &str,
    body: &str,
    link: Option<Unsubscribe>,
) -> Result<Merge, MergeError> {
    let mut spec = MergeSpec::html(subject, body, "body.html");
    spec.unsubscribe = link;
    Merge::new(table, &spec)
}

#[test]
fn each_message_links_to_the_mailbox_with_its_own_row() {
    let table = csv("Email,Name\nada@example.org,Ada\nbob@example.org,Bob\n");
    let m = merge(
        &table,
        "Hi",
        "<p>Hi {{Name}}</p><p>{{unsubscribe}} · {{unsubscribe \"Stop <these>\"}}</p>",
        Some(link()),
    )
    .expect("merge");
    let plan = m.plan(&table);
    assert_eq!(plan.messages.len(), 2);
    assert_eq!(
        plan.messages[1].body,
        "<p>Hi Bob</p><p><a href=\"mailto:news@contoso.com?subject=Unsubscribe%20%5Bc0ffee%2F3%5D\">Unsubscribe</a> · \
         <a href=\"mailto:news@contoso.com?subject=Unsubscribe%20%5Bc0ffee%2F3%5D\">Stop &lt;these&gt;</a></p>"
    );
    // What arrives in the Inbox names the campaign and the row.
    assert_eq!(parse_subject(&link().subject(plan.messages[0].row)), Some(("c0ffee", 2)));
}

#[test]
fn a_plain_text_body_gets_the_bare_url_and_the_words_follow_the_locale() {
    let table = csv("Email\nada@example.org\n");
    let fr =
        Unsubscribe::new("news@contoso.com", "c0ffee", Locale::find("fr-FR").expect("fr")).expect("link");
    let mut spec = MergeSpec::html("Hi", "Bye: {{unsubscribe}}", "body.txt");
    spec.body_type = BodyType::Text;
    spec.unsubscribe = Some(fr.clone());
    let plan = Merge::new(&table, &spec).expect("merge").plan(&table);
    assert_eq!(plan.messages[0].body, format!("Bye: {}", fr.url(2)));
    assert!(plan.messages[0].body.contains("Se%20d%C3%A9sabonner"), "{}", plan.messages[0].body);
}

#[test]
fn a_grouped_message_names_its_first_row() {
    let table = csv("Email,Invoice\nada@example.org,1\nbob@example.org,2\nada@example.org,3\n");
    let mut spec = MergeSpec::html("Hi", "{{#each rows}}{{Invoice}} {{/each}}{{unsubscribe}}", "body.html");
    spec.group_by = Some("Email".into());
    spec.unsubscribe = Some(link());
    let plan = Merge::new(&table, &spec).expect("merge").plan(&table);
    let ada = &plan.messages[0];
    assert_eq!(ada.rows, [2, 4]);
    assert!(ada.body.contains("%5Bc0ffee%2F2%5D"), "{}", ada.body);
}

#[test]
fn refused_in_a_subject_and_without_a_mailbox_and_a_column_so_named_stays_the_column() {
    let table = csv("Email,Name\nada@example.org,Ada\n");
    let unsupported = |e: MergeError| match e {
        MergeError::Template(TemplateError::Unsupported { message, .. }) => message,
        other => panic!("{other:?}"),
    };
    let e = merge(&table, "{{unsubscribe}}", "x", Some(link())).expect_err("subject");
    assert!(unsupported(e).contains("belongs in the body"));
    let e = merge(&table, "Hi", "{{unsubscribe}}", None).expect_err("no mailbox");
    assert!(unsupported(e).contains("needs the address of the mailbox"));

    // A sheet's own Unsubscribe column is what {{unsubscribe}} prints; the link is still
    // there with words.
    let table = csv("Email,Unsubscribe\nada@example.org,no\n");
    let m = merge(&table, "Hi", "{{unsubscribe}} {{unsubscribe \"Stop\"}}", Some(link())).expect("merge");
    let body = &m.plan(&table).messages[0].body;
    assert!(body.starts_with("no <a href=\"mailto:"), "{body}");
}

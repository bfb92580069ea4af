//! The add-in's JS API as the task pane calls it, run as WebAssembly (in Node.js by
//! wasm-bindgen-test-runner): values cross the boundary as the TypeScript types say,
//! errors arrive as JS `Error`s with their message, and a campaign resumes from its journal.
#![cfg(target_arch = "wasm32")]
// clippy's allow-unwrap-in-tests does not see #[wasm_bindgen_test] functions as tests.
#![allow(clippy::unwrap_used)]

use localmerge_addin::{Spreadsheet, broken_tokens_js, reads_format_of, repair_tokens_js};
use serde::Serialize;
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const CSV: &[u8] =
    b"Email;First Name;Amount\nada@example.org;Ada;1234.5\nnot-an-address;Bob;2\ncy@example.org;Cy;3\n";

fn js(v: &Value) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap()
}

fn rust(v: JsValue) -> Value {
    serde_wasm_bindgen::from_value(v).unwrap()
}

fn message(e: JsValue) -> String {
    String::from(e.unchecked_into::<js_sys::Error>().message())
}

#[wasm_bindgen_test]
fn a_spreadsheet_is_read_in_the_page() {
    let s = Spreadsheet::new(CSV.to_vec(), None, None, None).unwrap();
    assert_eq!(s.columns(), ["Email", "First Name", "Amount"]);
    assert_eq!(s.row_count(), 3);
    assert_eq!(s.sheets().len(), 1);
}

#[wasm_bindgen_test]
fn a_bad_file_is_a_js_error_naming_the_cause() {
    let e = Spreadsheet::new(b"PK\x03\x04not really a zip".to_vec(), None, None, None).unwrap_err();
    let text = message(JsValue::from(e));
    assert!(!text.is_empty(), "an empty message");
    let e = Spreadsheet::new(CSV.to_vec(), Some("Nope".into()), None, None).unwrap_err();
    assert!(message(JsValue::from(e)).contains("Nope"));
}

#[wasm_bindgen_test]
fn the_first_module_leaves_xls_xlsb_and_ods_to_the_full_one() {
    const XLS: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
    let full = cfg!(feature = "all-formats");
    assert!(reads_format_of(CSV));
    assert!(reads_format_of(b"PK\x03\x04....xl/workbook.xml"));
    assert_eq!(reads_format_of(XLS), full);
    assert_eq!(reads_format_of(b"PK\x03\x04mimetypeapplication/vnd.oasis.opendocument.spreadsheet"), full);
    if !full {
        let e = Spreadsheet::new(XLS.to_vec(), None, None, None).unwrap_err();
        assert_eq!(message(JsValue::from(e)), "this build of localmerge does not read xls files");
    }
}

#[wasm_bindgen_test]
fn a_plan_has_the_typescript_shape() {
    let s = Spreadsheet::new(CSV.to_vec(), None, None, None).unwrap();
    let plan = rust(
        s.plan(js(&json!({"subject": "Hi {{First Name}}", "body": "<p>{{Amount}}</p>", "locale": "fr-FR", "footer": true})))
            .unwrap(),
    );
    // Messages stay in the module: the plan counts them, the preview asks for one at a time.
    assert_eq!(plan["messages"], 2);
    let first = rust(s.message(0).unwrap());
    assert_eq!(first["row"], 2);
    assert_eq!(first["to"], json!(["ada@example.org"]));
    assert_eq!(first["subject"], "Hi Ada");
    assert!(first.get("html").is_none());
    assert!(s.message(2).unwrap().is_undefined());
    let html = s.message_html(0).unwrap();
    // CSV cells are text: shown as written.
    assert!(html.starts_with("<p>1234.5</p>"), "{html}");
    assert!(html.contains("Envoyé avec"), "{html}");
    assert_eq!(plan["problems"][0]["row"], 3);
    assert_eq!(plan["problems"][0]["issues"][0]["column"], "Email");
    assert_eq!(plan["excluded"], json!([]));
    assert!(plan.get("error").is_none());
}

#[wasm_bindgen_test]
fn a_template_error_is_data_with_its_fix() {
    let s = Spreadsheet::new(CSV.to_vec(), None, None, None).unwrap();
    let plan = rust(s.plan(js(&json!({"subject": "Hi {{Frist Name}}", "body": "x"}))).unwrap());
    assert_eq!(plan["error"]["name"], "Frist Name");
    assert_eq!(plan["error"]["suggestion"], "First Name");
    assert_eq!(plan["messages"], 0);
    // Not a Template at all: a JS error, not a panic.
    let e = s.plan(JsValue::from(42)).unwrap_err();
    assert!(!message(JsValue::from(e)).is_empty());
}

#[wasm_bindgen_test]
fn broken_tokens_are_found_and_mended() {
    let html = "<p>Dear {{First <b>Name</b>}},</p>";
    let broken = rust(broken_tokens_js(html).unwrap());
    assert_eq!(broken[0]["fixed"], "{{First Name}}");
    assert_eq!(repair_tokens_js(html), "<p>Dear {{First Name}},</p>");
}

/// Sending is in the modules built with `send` (the first module checks and previews only).
#[cfg(feature = "send")]
mod sending {
    use super::*;
    use js_sys::{Array, Function, Object, Reflect};
    use localmerge_addin::Host;
    use localmerge_core::send::Entry;
    use wasm_bindgen_futures::JsFuture;

    /// A host whose journal is a JS array and whose token is the sandbox's.
    fn host(journal: &Array) -> Host {
        let o = Object::new();
        let set = |k: &str, f: Function| Reflect::set(&o, &k.into(), &f).unwrap();
        set("token", Function::new_no_args("return Promise.resolve('sandbox-token')"));
        let append = Function::new_with_args(
            "lines",
            "for (const l of lines) this.journal.push(l); return Promise.resolve()",
        );
        set("append", append);
        set("readFile", Function::new_no_args("return Promise.reject(new Error('no files'))"));
        set("event", Function::new_with_args("e", "this.events.push(e)"));
        Reflect::set(&o, &"journal".into(), journal).unwrap();
        Reflect::set(&o, &"events".into(), &Array::new()).unwrap();
        o.unchecked_into()
    }

    #[wasm_bindgen_test]
    async fn a_campaign_resumes_from_its_journal_without_sending_again() {
        let s = Spreadsheet::new(CSV.to_vec(), None, None, None).unwrap();
        let template = js(&json!({"subject": "Hi {{First Name}}", "body": "x"}));
        // Graph is unreachable: a campaign that needs it would fail, one that is done does not.
        let options = js(&json!({"id": "c1", "graphUrl": "http://127.0.0.1:9/v1.0", "seed": 1}));
        let history: Vec<String> = [
            Entry::Campaign { id: "c1".into(), sender: None },
            Entry::Sent { row: 2, at: 1_700_000_000_000, recipients: 1 },
            Entry::Sent { row: 4, at: 1_700_000_001_000, recipients: 1 },
        ]
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
        let campaign = s.campaign(template.clone(), options.clone(), history.clone()).unwrap();
        let summary = rust(campaign.summary().unwrap());
        assert_eq!((summary["total"].as_u64(), summary["sent"].as_u64()), (Some(2), Some(2)));
        let journal = Array::new();
        let finish = rust(JsFuture::from(campaign.run(host(&journal))).await.unwrap());
        assert_eq!(finish["done"], true, "{finish}");
        assert_eq!(finish["summary"]["sent"], 2);

        // Another campaign's journal is refused, with the reason.
        let other = js(&json!({"id": "c2", "graphUrl": "http://127.0.0.1:9/v1.0", "seed": 1}));
        let e = s.campaign(template.clone(), other, history).unwrap_err();
        assert!(!message(JsValue::from(e)).is_empty());
        // A damaged journal line is named.
        let e = s.campaign(template, options, vec!["{\"event\":\"nope\"}".into()]).unwrap_err();
        assert!(message(JsValue::from(e)).contains("entry 1"));
    }
}

#[wasm_bindgen_test]
async fn fetch_never_says_a_failed_request_stayed_home() {
    use localmerge_core::send::{HttpRequest, Method, Target, Transport};
    use localmerge_graph_client::{Failures, FixedToken, GraphClient, HttpClient};
    // Nothing listens on port 9: natively that is a refused connection, surely not sent; a
    // browser's fetch reports every failure alike, so the engine must check before repeating.
    for failures in [Failures::Distinguished, Failures::MayHaveDelivered] {
        let graph =
            GraphClient::new(HttpClient::new(), "http://127.0.0.1:9/v1.0", FixedToken("t".into()), failures);
        let request = HttpRequest {
            method: Method::Post,
            target: Target::Graph("/me/sendMail".into()),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: b"{}".to_vec(),
        };
        let e = graph.execute(request).await.unwrap_err();
        assert!(e.maybe_delivered, "{failures:?}: {e:?}");
        assert!(!e.message.is_empty());
    }
}

/// Contacts as readContacts keeps them (the full module reads them).
#[cfg(feature = "contacts")]
#[wasm_bindgen_test]
fn contacts_become_rows_with_the_contacts_columns() {
    let json = r#"{"name":"contacts","list":[
        {"givenName":"Ada","emailAddresses":[{"address":"ada@contoso.com"}]},
        {"givenName":"Bo","emailAddresses":[{"address":"bo@example.org"}]}]}"#;
    let s = Spreadsheet::from_contacts(json).unwrap();
    assert_eq!((s.sheet(), s.row_count(), s.columns()[0].as_str()), ("contacts".into(), 2, "First Name"));
    assert!(Spreadsheet::from_contacts("{").is_err(), "bad JSON is an error, not a panic");
}

#[wasm_bindgen_test]
fn groups_and_the_forecast_have_their_typescript_shapes() {
    let csv = b"Email,First Name\nada@contoso.com,Ada\nbo@example.org,Bo\n";
    let s = Spreadsheet::new(csv.to_vec(), None, None, None).unwrap();
    let template = js(&json!({"subject": "Hi {{First Name}}", "body": "x"}));
    let options = |extra: Value| {
        let mut o = json!({"id": "c1", "graphUrl": "http://127.0.0.1:9/v1.0", "seed": 1});
        o.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        js(&o)
    };
    // The tenant's domains make Ada a colleague: one external recipient, within a budget of 1.
    let f = rust(
        s.forecast(template.clone(), options(json!({"domains": ["Contoso.COM"], "tenantExternal": 1})), 0.0)
            .unwrap(),
    );
    assert_eq!(
        f,
        json!({"messages": 2, "recipients": 2, "external": 1, "mailboxBudget": 10000, "tenantExternalBudget": 1, "days": 1, "finishAt": 2000})
    );
    // Without them both are external: two days.
    let f = rust(s.forecast(template, options(json!({"tenantExternal": 1})), 0.0).unwrap());
    assert_eq!((f["external"].as_u64(), f["days"].as_u64()), (Some(2), Some(2)));

    // The do-not-contact list leaves Ada's message out and names the entry; a bad line is said.
    let plan =
        rust(s.plan(js(&json!({"subject": "Hi", "body": "x", "suppress": "@CONTOSO.com\nnope"}))).unwrap());
    assert_eq!(plan["messages"], 1);
    assert_eq!(
        plan["suppressed"],
        json!([{"row": 2, "address": "ada@contoso.com", "entry": "@contoso.com"}])
    );
    assert_eq!(plan["suppressErrors"], json!(["line 2: \"nope\" is neither an email address nor @domain"]));

    // One message per customer, listing the customer's rows.
    let csv = b"Email,Item\na@x.org,Pen\nb@x.org,Pad\nA@x.org,Ink\n";
    let s = Spreadsheet::new(csv.to_vec(), None, None, None).unwrap();
    let plan = rust(
        s.plan(js(&json!({"subject": "{{count rows}} items", "body": "{{#each rows}}{{Item}};{{/each}}", "groupBy": "Email"})))
            .unwrap(),
    );
    assert_eq!(plan["messages"], 2, "{plan}");
    assert_eq!(
        (rust(s.message(0).unwrap())["subject"].as_str(), s.message_html(0).as_deref()),
        (Some("2 items"), Some("Pen;Ink;"))
    );
    assert_eq!(s.message_html(2), None);
}

#[wasm_bindgen_test]
fn a_header_below_title_rows_and_a_table_by_name() {
    let csv = b"Quarterly list\n\nEmail,Name\na@x.org,Ann\n";
    let s = Spreadsheet::new(csv.to_vec(), None, Some(3), None).unwrap();
    assert_eq!((s.columns(), s.row_count()), (vec!["Email".to_owned(), "Name".to_owned()], 1));
    assert!(s.tables().is_empty(), "CSV has no Excel tables");
    let e = Spreadsheet::new(csv.to_vec(), None, None, Some("Orders".into())).unwrap_err();
    assert!(message(JsValue::from(e)).contains("Orders"));
}

#[cfg(feature = "report-workbook")]
#[wasm_bindgen_test]
fn the_report_workbook_is_the_list_with_each_rows_outcome() {
    let s = Spreadsheet::new(CSV.to_vec(), None, None, None).unwrap();
    let journal: Vec<String> = [
        r#"{"event":"campaign","id":"c1"}"#,
        r#"{"event":"drafted","row":2,"id":"AAMk-2"}"#,
        r#"{"event":"sent","row":2,"at":1800000000000,"recipients":1}"#,
        r#"{"event":"tracked","row":2,"status":"replied","at":1800000100000}"#,
    ]
    .map(str::to_owned)
    .to_vec();
    let skipped = js(&json!([{ "row": 3, "reason": "Email: invalid address" }]));
    let bytes = s.report_workbook(journal, skipped, vec![4]).unwrap();
    let table = localmerge_core::Workbook::open(bytes).and_then(|mut w| w.read(None)).unwrap();
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Email", "First Name", "Amount", "Status", "Sent at", "Message id", "Reason"]);
    let cell = |r: usize, c: usize| match &table.rows[r].values[c] {
        localmerge_core::Value::Text(t) => t.clone(),
        other => format!("{other:?}"),
    };
    assert_eq!((cell(0, 3), cell(1, 3), cell(2, 3)), ("replied".into(), "skipped".into(), "skipped".into()));
    assert_eq!(
        (cell(0, 5), cell(1, 6), cell(2, 6)),
        ("AAMk-2".into(), "Email: invalid address".into(), "excluded".into())
    );
    assert!(matches!(table.rows[0].values[4], localmerge_core::Value::Date(_)), "Sent at is a date");
    assert!(s.report_workbook(vec!["nonsense".into()], js(&json!([])), vec![]).is_err());
}

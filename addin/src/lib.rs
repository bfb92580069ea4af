//! The Outlook add-in's WebAssembly API over localmerge-core: one thin, typed surface for the
//! task pane. Errors become JS `Error`s in one place ([`js_error`]); results are plain
//! objects described by the TypeScript types below. No logic lives here that core does not
//! already have: this crate only converts.

use localmerge_core::format::Locale;
use localmerge_core::{ColumnOverrides, Merge, MergeSpec, Plan, Table, Workbook};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
export interface Message { row: number; to: string[]; cc: string[]; bcc: string[]; subject: string; html: string; attachments: string[] }
export interface Issue { column: string; letters: string; message: string }
export interface Problem { row: number; issues: Issue[] }
export interface PlanResult { messages: Message[]; problems: Problem[] }
export interface Columns { to: string; cc?: string; bcc?: string }
"#;

/// Every error reaches JS the same way: an `Error` whose message names the file, sheet,
/// row and column, or the template's line and column.
fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A message as the task pane shows and sends it.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct MessageDto {
    row: u32,
    to: Vec<String>,
    cc: Vec<String>,
    bcc: Vec<String>,
    subject: String,
    html: String,
    attachments: Vec<String>,
}

/// One problem in one cell.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct IssueDto {
    column: String,
    letters: String,
    message: String,
}

/// A row that will not be sent.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ProblemDto {
    row: u32,
    issues: Vec<IssueDto>,
}

/// The whole check: what will be sent, and what will not and why.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PlanDto {
    messages: Vec<MessageDto>,
    problems: Vec<ProblemDto>,
}

impl From<Plan> for PlanDto {
    fn from(plan: Plan) -> Self {
        let addresses =
            |l: &[localmerge_core::address::Mailbox]| l.iter().map(|m| m.address.clone()).collect();
        PlanDto {
            messages: plan
                .messages
                .into_iter()
                .map(|m| MessageDto {
                    row: m.row,
                    to: addresses(&m.to),
                    cc: addresses(&m.cc),
                    bcc: addresses(&m.bcc),
                    attachments: m.attachments.into_iter().map(|a| a.name).collect(),
                    subject: m.subject,
                    html: m.body,
                })
                .collect(),
            problems: plan
                .problems
                .into_iter()
                .map(|p| ProblemDto {
                    row: p.row,
                    issues: p
                        .issues
                        .into_iter()
                        .map(|i| IssueDto { message: i.kind_message(), column: i.column, letters: i.letters })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The message of an issue without its column prefix.
trait KindMessage {
    fn kind_message(&self) -> String;
}

impl KindMessage for localmerge_core::Issue {
    fn kind_message(&self) -> String {
        let full = self.to_string();
        let prefix = format!("column \"{}\" ({}): ", self.column, self.letters);
        full.strip_prefix(&prefix).map_or(full.clone(), str::to_owned)
    }
}

/// A spreadsheet the user picked, read in WebAssembly: its bytes never leave the page.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Spreadsheet {
    sheets: Vec<String>,
    table: Table,
}

#[wasm_bindgen]
impl Spreadsheet {
    /// Reads xlsx, xlsm, xlsb, xls, ods or CSV bytes; `sheet` picks a sheet by name.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: Vec<u8>, sheet: Option<String>) -> Result<Spreadsheet, JsError> {
        let mut workbook = Workbook::open(bytes).map_err(js_error)?;
        let table = workbook.read(sheet.as_deref()).map_err(js_error)?;
        Ok(Spreadsheet { sheets: workbook.sheet_names().to_vec(), table })
    }

    /// The workbook's sheets.
    #[wasm_bindgen(getter)]
    pub fn sheets(&self) -> Vec<String> {
        self.sheets.clone()
    }

    /// The chosen sheet.
    #[wasm_bindgen(getter)]
    pub fn sheet(&self) -> String {
        self.table.sheet.clone()
    }

    /// The header row's column names.
    #[wasm_bindgen(getter)]
    pub fn columns(&self) -> Vec<String> {
        self.table.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// Data rows.
    #[wasm_bindgen(getter, js_name = rowCount)]
    pub fn row_count(&self) -> usize {
        self.table.rows.len()
    }

    /// Checks and renders every row: `{ messages, problems }` (see `PlanResult`).
    #[wasm_bindgen(unchecked_return_type = "PlanResult")]
    pub fn plan(
        &self,
        subject: &str,
        body: &str,
        locale: Option<String>,
        #[wasm_bindgen(unchecked_param_type = "Columns | undefined")] columns: JsValue,
    ) -> Result<JsValue, JsError> {
        let columns = if columns.is_undefined() || columns.is_null() {
            ColumnOverrides::default()
        } else {
            ColumnOverrides {
                to: js_string(&columns, "to"),
                cc: js_string(&columns, "cc"),
                bcc: js_string(&columns, "bcc"),
            }
        };
        let dto = plan(&self.table, subject, body, locale.as_deref(), columns).map_err(js_error)?;
        serde_wasm_bindgen::to_value(&dto).map_err(js_error)
    }
}

fn js_string(obj: &JsValue, key: &str) -> Option<String> {
    js_sys_get(obj, key).and_then(|v| v.as_string())
}

fn js_sys_get(obj: &JsValue, key: &str) -> Option<JsValue> {
    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
        fn reflect_get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    }
    reflect_get(obj, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined())
}

/// The plan of a table, as the task pane receives it (pure; tested natively).
pub fn plan(
    table: &Table,
    subject: &str,
    body: &str,
    locale: Option<&str>,
    columns: ColumnOverrides,
) -> Result<PlanDto, localmerge_core::MergeError> {
    let mut spec = MergeSpec::html(subject, body, "message body");
    spec.columns = columns;
    spec.locale = locale.and_then(Locale::find).unwrap_or_else(Locale::en_us);
    let merge = Merge::new(table, &spec)?;
    Ok(merge.plan(table).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_convert_to_the_task_panes_shapes() {
        let csv = b"Email;First Name\nada@example.org;Ada\nnot-an-address;Bob\n".to_vec();
        let table = Workbook::open(csv).and_then(|mut w| w.read(None)).unwrap();
        let dto = plan(
            &table,
            "Hi {{First Name}}",
            "<p>{{First Name}}</p>",
            Some("fr-FR"),
            ColumnOverrides::default(),
        )
        .unwrap();
        assert_eq!(dto.messages.len(), 1);
        assert_eq!(dto.messages[0].to, ["ada@example.org"]);
        assert_eq!(
            (dto.messages[0].subject.as_str(), dto.messages[0].html.as_str()),
            ("Hi Ada", "<p>Ada</p>")
        );
        assert_eq!(dto.problems[0].row, 3);
        let issue = &dto.problems[0].issues[0];
        assert_eq!((issue.column.as_str(), issue.letters.as_str()), ("Email", "A"));
        assert!(issue.message.starts_with("invalid address \"not-an-address\""), "{}", issue.message);
        let err = plan(&table, "Hi {{Frist Name}}", "x", None, ColumnOverrides::default()).unwrap_err();
        assert!(err.to_string().contains("did you mean \"First Name\""), "{err}");
    }
}

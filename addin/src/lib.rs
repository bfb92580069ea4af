//! The Outlook add-in's WebAssembly API over localmerge-core: one thin, typed surface for the
//! task pane. Errors become JS `Error`s in one place ([`js_error`]); results are plain
//! objects described by the TypeScript types below. No logic lives here that core does not
//! already have: this crate only converts.

use std::collections::HashMap;

use localmerge_core::format::Locale;
use localmerge_core::{
    ColumnOverrides, Format, IssueKind, Merge, MergeError, MergeSpec, Message, Plan, ReadOptions, Table,
    TableChoice, TemplateError, Workbook,
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

// Reading, checking, rendering and the plan's forecast are in every module; sending, the
// journal and every Graph request only in the modules built with `send` (tested natively
// whatever the features).
#[cfg(any(test, feature = "send"))]
mod after;
#[cfg(any(test, feature = "send"))]
mod campaign;
mod options;
#[cfg(feature = "send")]
mod sources;

#[cfg(any(test, feature = "send"))]
pub use campaign::{Campaign, EventDto, FinishDto, Host, SummaryDto};
use localmerge_core::suppress::{Suppressed, Suppressions};
pub use localmerge_core::template::{BrokenToken, broken_tokens, repair_tokens};
use localmerge_core::unsubscribe::Unsubscribe;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
export interface Message { row: number; to: string[]; cc: string[]; bcc: string[]; subject: string; attachments: string[] }
/** `message` is core's English; `code` and `args` let the pane say it in its language. */
export interface Issue {
  column: string; letters: string; message: string;
  code: "emptyAddress" | "invalidAddress" | "duplicate" | "emptyValue" | "errorValue" | "unformattable" | "tooManyRecipients" | "attachment" | "other";
  args: string[];
}
export interface Problem { row: number; issues: Issue[] }
export interface TemplateProblem { message: string; name?: string; suggestion?: string }
/** A message left out because a recipient is on the do-not-contact list (`entry` matched). */
export interface Suppressed { row: number; address: string; entry: string }
export interface PlanResult { messages: number; problems: Problem[]; excluded: number[]; suppressed: Suppressed[]; suppressErrors: string[]; error?: TemplateProblem }
export interface Columns { to?: string; cc?: string; bcc?: string }
export interface Template {
  subject: string; body: string; locale?: string; columns?: Columns;
  /** Rows the user chose not to send. */
  exclude?: number[];
  /** The free plan's footer. */
  footer?: boolean;
  /** Sizes of the attachment files the user picked, by the name the sheet uses. */
  attachments?: Record<string, number>;
  /** One message per distinct value of this column, its rows in `{{#each rows}}`. */
  groupBy?: string;
  /** The do-not-contact list (one address or @domain per line): its recipients' messages are left out. */
  suppress?: string;
  /** The sending mailbox's address: where `{{unsubscribe}}` links write to (a campaign names itself in them). */
  mailbox?: string;
}
export interface CampaignOptions {
  id: string; graphUrl: string; seed: number;
  draftsOnly?: boolean; schedule?: number; from?: string; perMinute?: number; dailyRecipients?: number;
  /** The tenant's verified domains: recipients elsewhere count against the tenant's external budget. */
  domains?: string[];
  /** The tenant's external recipients a day (default 10,000, the mailbox's). */
  tenantExternal?: number;
  /** A follow-up: the rows it answers, each with the id of its first message (a reply in its conversation). */
  replies?: FollowupRow[];
}
/** A row something came back for after `track` (the report's status). */
export interface AnsweredRow { row: number; status: "replied" | "bounced" | "unsubscribed" }
/** What a check of the Inbox found: journal lines to append, the do-not-contact list's new text. */
export interface TrackResult { entries: string[]; suppress: string; listed: number; sent: number; replied: number; bounced: number; unsubscribed: number }
/** A row a follow-up answers, and the message it replies to. */
export interface FollowupRow { row: number; original: string }
/** The rows a follow-up answers now; those answered, and those not due yet (the next at `next`, ms). */
export interface Followups { rows: FollowupRow[]; answered: number; later: number; next?: number }
/** What a campaign needs of every Microsoft 365 limit, before it starts. */
export interface Forecast { messages: number; recipients: number; external: number; mailboxBudget: number; tenantExternalBudget: number; days: number; finishAt: number }
export interface DriveFile { driveId: string; itemId: string; name: string; size?: number; modified?: string }
export interface DriveDownload { name: string; bytes: Uint8Array }
export interface ContactQuery { mailbox?: string; folder?: string; categories?: string[] }
export interface CampaignSummary { total: number; sent: number; drafted: number; failed: { row: number; reason: string }[] }
export type CampaignEvent =
  | { kind: "row"; row: number; step: "drafting" | "drafted" | "sending" | "sent" | "failed"; summary: CampaignSummary }
  | { kind: "throttled"; status: number; until: number; summary: CampaignSummary }
  | { kind: "pace"; perWindow: number; summary: CampaignSummary }
  | { kind: "retrying"; row?: number; reason: string; at: number; summary: CampaignSummary }
  | { kind: "waiting"; until: number; summary: CampaignSummary };
export interface CampaignRow { row: number; status: "pending" | "drafted" | "sent" | "failed"; reason?: string }
export interface CampaignFinish { done: boolean; paused: boolean; stopped?: string; stopCode?: "budget" | "unauthorized" | "forbidden" | "unavailable" | "quota"; signIn: boolean; resumeAt?: number; summary: CampaignSummary }
export interface CampaignHost {
  /** A Microsoft Graph access token (asked before each request: tokens expire mid-campaign). */
  token(): Promise<string>;
  /** Makes journal lines durable (resolves once committed). */
  append(lines: string[]): Promise<void>;
  /** Bytes start..end of an attachment the user picked (end = Infinity: to the end). */
  readFile(name: string, start: number, end: number): Promise<Uint8Array>;
  event(event: CampaignEvent): void;
}
export interface BrokenToken { text: string; fixed: string }
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
    attachments: Vec<String>,
}

/// One problem in one cell.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct IssueDto {
    column: String,
    letters: String,
    message: String,
    code: &'static str,
    args: Vec<String>,
}

/// The problem's kind and its values, for the pane's translations.
fn issue_code(kind: &IssueKind) -> (&'static str, Vec<String>) {
    match kind {
        IssueKind::EmptyAddress => ("emptyAddress", vec![]),
        IssueKind::InvalidAddress { text, reason } => ("invalidAddress", vec![text.clone(), reason.clone()]),
        IssueKind::Duplicate { address, first_row } => {
            ("duplicate", vec![address.clone(), first_row.to_string()])
        }
        IssueKind::EmptyValue => ("emptyValue", vec![]),
        IssueKind::ErrorValue(code) => ("errorValue", vec![code.clone()]),
        IssueKind::Unformattable(why) => ("unformattable", vec![why.clone()]),
        IssueKind::TooManyRecipients { count, max } => {
            ("tooManyRecipients", vec![count.to_string(), max.to_string()])
        }
        IssueKind::Attachment { name, problem } => ("attachment", vec![name.clone(), problem.clone()]),
        _ => ("other", vec![]),
    }
}

/// A row that will not be sent.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ProblemDto {
    row: u32,
    issues: Vec<IssueDto>,
}

/// The whole check: what will be sent, and what will not and why.
#[derive(Debug, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct PlanDto {
    /// How many messages the plan holds; each one is `Spreadsheet.message(index)` (and its
    /// body `messageHtml(index)`), so 50,000 of them never cross into JavaScript at once.
    messages: usize,
    problems: Vec<ProblemDto>,
    excluded: Vec<u32>,
    suppressed: Vec<SuppressedDto>,
    suppress_errors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<TemplateProblemDto>,
}

/// A message left out for the do-not-contact list (the `Suppressed` TypeScript type).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct SuppressedDto {
    row: u32,
    address: String,
    entry: String,
}

/// Why the template cannot be used, with the fix when there is one.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct TemplateProblemDto {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suggestion: Option<String>,
}

impl From<&MergeError> for TemplateProblemDto {
    fn from(e: &MergeError) -> Self {
        let (name, suggestion) = match e {
            MergeError::Template(TemplateError::UnknownColumn { name, suggestion, .. }) => {
                (Some(name.clone()), suggestion.clone())
            }
            _ => (None, None),
        };
        TemplateProblemDto { message: e.to_string(), name, suggestion }
    }
}

fn message_dto(m: &Message) -> MessageDto {
    let addresses = |l: &[localmerge_core::address::Mailbox]| l.iter().map(|m| m.address.clone()).collect();
    MessageDto {
        row: m.row,
        to: addresses(&m.to),
        cc: addresses(&m.cc),
        bcc: addresses(&m.bcc),
        attachments: m.attachments.iter().map(|a| a.name.clone()).collect(),
        subject: m.subject.clone(),
    }
}

fn problems_dto(problems: Vec<localmerge_core::RowProblem>) -> Vec<ProblemDto> {
    problems
        .into_iter()
        .map(|p| ProblemDto {
            row: p.row,
            issues: p
                .issues
                .into_iter()
                .map(|i| {
                    let (code, args) = issue_code(&i.kind);
                    IssueDto { message: i.kind_message(), code, args, column: i.column, letters: i.letters }
                })
                .collect(),
        })
        .collect()
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

/// The message template and the user's choices (the `Template` TypeScript type).
#[derive(Debug, Deserialize, Default, Clone, PartialEq)]
pub struct TemplateSpec {
    /// The subject template.
    pub subject: String,
    /// The HTML body template.
    pub body: String,
    /// The locale values are shown in (`fr-FR`…); en-US when absent or unknown.
    #[serde(default)]
    pub locale: Option<String>,
    /// The recipient columns, when not detected.
    #[serde(default)]
    pub columns: Option<ColumnsSpec>,
    /// Rows the user chose not to send.
    #[serde(default)]
    pub exclude: Vec<u32>,
    /// Appends the free plan's footer.
    #[serde(default)]
    pub footer: bool,
    /// Sizes of the picked attachment files, by name.
    #[serde(default)]
    pub attachments: HashMap<String, f64>,
    /// One message per distinct value of this column.
    #[serde(default, rename = "groupBy")]
    pub group_by: Option<String>,
    /// The do-not-contact list's text (one address or @domain per line).
    #[serde(default)]
    pub suppress: Option<String>,
    /// The sending mailbox's address, where `{{unsubscribe}}` links write to.
    #[serde(default)]
    pub mailbox: Option<String>,
}

/// The campaign `{{unsubscribe}}` names in a preview (a campaign's own id once it starts).
const PREVIEW_CAMPAIGN: &str = "preview";

/// Recipient columns named by the user.
#[derive(Debug, Deserialize, Default, Clone, PartialEq)]
pub struct ColumnsSpec {
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    cc: Option<String>,
    #[serde(default)]
    bcc: Option<String>,
}

/// The free plan's footer, in the message's language (it contains no template syntax).
pub fn footer_html(locale: &Locale) -> &'static str {
    if locale.tag.starts_with("fr") {
        "<p style=\"margin-top:24px;font-size:12px;color:#616161\">Envoyé avec <a href=\"https://localmerge.app\">localmerge</a> — le publipostage qui garde vos données sur votre ordinateur.</p>"
    } else {
        "<p style=\"margin-top:24px;font-size:12px;color:#616161\">Sent with <a href=\"https://localmerge.app\">localmerge</a> — mail merge that keeps your data on your computer.</p>"
    }
}

/// The messages to send and the rows left out (pure; tested natively).
pub fn plan_messages(
    table: &Table,
    template: &TemplateSpec,
    campaign: &str,
) -> Result<(Plan, Vec<u32>), MergeError> {
    plan_left_out(table, template, campaign).map(|p| (p.plan, p.excluded))
}

/// A plan and what it leaves out besides problem rows.
struct Planned {
    plan: Plan,
    /// The rows the user excluded.
    excluded: Vec<u32>,
    /// The messages to recipients on the do-not-contact list.
    suppressed: Vec<Suppressed>,
    /// The list's lines it could not read.
    suppress_errors: Vec<String>,
}

fn plan_left_out(table: &Table, template: &TemplateSpec, campaign: &str) -> Result<Planned, MergeError> {
    let merge = merge_for(table, template, campaign)?;
    let plan = merge.plan(table);
    Ok(left_out(table, template, &merge, plan))
}

/// The merge `template` makes for `table`: its footer, locale, columns, grouping and
/// `{{unsubscribe}}` links naming `campaign`.
fn merge_for(table: &Table, template: &TemplateSpec, campaign: &str) -> Result<Merge, MergeError> {
    let locale = template.locale.as_deref().and_then(Locale::find).unwrap_or_else(Locale::en_us);
    // A mailbox that is not an address leaves the link unmade: a body using it says so.
    let unsubscribe = template.mailbox.as_deref().and_then(|m| Unsubscribe::new(m, campaign, locale).ok());
    let body = if template.footer {
        format!("{}{}", template.body, footer_html(locale))
    } else {
        template.body.clone()
    };
    let mut spec = MergeSpec::html(&template.subject, &body, "message body");
    if let Some(c) = &template.columns {
        spec.columns = ColumnOverrides { to: c.to.clone(), cc: c.cc.clone(), bcc: c.bcc.clone() };
    }
    spec.locale = locale;
    spec.group_by = template.group_by.clone().filter(|c| !c.is_empty());
    spec.unsubscribe = unsubscribe;
    Merge::new(table, &spec)
}

/// The rest of [`plan_left_out`].
fn left_out(table: &Table, template: &TemplateSpec, merge: &Merge, mut plan: Plan) -> Planned {
    merge.check_attachments(table, &mut plan, |name| match template.attachments.get(name) {
        Some(size) if size.is_finite() && *size >= 0.0 => Ok(*size as u64),
        _ => Err("not among the attachment files you picked".to_owned()),
    });
    let mut excluded = Vec::new();
    plan.messages.retain(|m| {
        let keep = !template.exclude.contains(&m.row);
        if !keep {
            excluded.push(m.row);
        }
        keep
    });
    let (list, bad) = Suppressions::parse_partial(template.suppress.as_deref().unwrap_or_default());
    let suppressed = list.apply(&mut plan);
    Planned { plan, excluded, suppressed, suppress_errors: bad.iter().map(ToString::to_string).collect() }
}

/// The plan as the task pane receives it: a template error is part of the answer (the
/// pane shows it with its fix), not an exception.
pub fn plan(table: &Table, template: &TemplateSpec) -> (PlanDto, Vec<Message>) {
    match plan_left_out(table, template, PREVIEW_CAMPAIGN) {
        Ok(Planned { plan, excluded, suppressed, suppress_errors }) => (
            PlanDto {
                messages: plan.messages.len(),
                problems: problems_dto(plan.problems),
                excluded,
                suppressed: suppressed
                    .into_iter()
                    .map(|s| SuppressedDto { row: s.row, address: s.address, entry: s.entry.to_string() })
                    .collect(),
                suppress_errors,
                error: None,
            },
            plan.messages,
        ),
        Err(e) => (PlanDto { error: Some((&e).into()), ..PlanDto::default() }, Vec::new()),
    }
}

/// Whether this module reads the file's format. The module the pane loads first reads
/// xlsx, xlsm, XML Spreadsheet 2003 and CSV; the one built with every format (`all-formats`) reads xlsb, xls, ods and
/// HTML tables too, and is fetched only when such a file is picked. The format comes from the
/// content, as [`Spreadsheet`]'s constructor recognises it.
#[wasm_bindgen(js_name = readsFormatOf)]
pub fn reads_format_of(bytes: &[u8]) -> bool {
    Format::of(bytes).is_included()
}

/// A spreadsheet the user picked, read in WebAssembly: its bytes never leave the page.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Spreadsheet {
    sheets: Vec<String>,
    tables: Vec<String>,
    table: Table,
    /// The last plan's template and messages: the preview asks for one body at a time
    /// (`messageHtml`) instead of every body crossing into JavaScript, and the forecast
    /// made right after the plan reuses its recipients.
    last: std::cell::RefCell<Option<(TemplateSpec, Vec<Message>)>>,
}

#[wasm_bindgen]
impl Spreadsheet {
    /// Reads xlsx, xlsm, xlsb, xls, ods or CSV bytes; `sheet` picks a sheet by name,
    /// `header_row` the header's row below title rows, `table` an Excel table by name. By
    /// default a sheet holding exactly one Excel table is read as that table, as the CLI does.
    #[wasm_bindgen(constructor)]
    pub fn new(
        bytes: Vec<u8>,
        sheet: Option<String>,
        header_row: Option<u32>,
        table: Option<String>,
    ) -> Result<Spreadsheet, JsError> {
        let mut workbook = Workbook::open(bytes).map_err(js_error)?;
        let options = ReadOptions {
            header_row: header_row.filter(|r| *r > 0),
            table: table.filter(|t| !t.is_empty()).map_or(TableChoice::OnlyTable, TableChoice::Named),
        };
        let tables = workbook.tables().map_err(js_error)?.into_iter().map(|t| t.name).collect();
        let table = workbook.read_with(sheet.as_deref(), &options).map_err(js_error)?;
        Ok(Spreadsheet { sheets: workbook.sheet_names().to_vec(), tables, table, last: Default::default() })
    }

    /// Outlook contacts as `readContacts` gave them: a table of the contacts' columns.
    #[cfg(feature = "contacts")]
    #[wasm_bindgen(js_name = fromContacts)]
    pub fn from_contacts(json: &str) -> Result<Spreadsheet, JsError> {
        let contacts: sources::Contacts = serde_json::from_str(json).map_err(js_error)?;
        let table = localmerge_core::contacts::table(&contacts.name, &contacts.list);
        Ok(Spreadsheet { sheets: vec![contacts.name], tables: Vec::new(), table, last: Default::default() })
    }

    /// The workbook's Excel tables, by name.
    #[wasm_bindgen(getter)]
    pub fn tables(&self) -> Vec<String> {
        self.tables.clone()
    }

    /// What this campaign needs of the mailbox's and the tenant's daily budgets, and when
    /// it would finish if started at `start` (ms since the epoch).
    #[wasm_bindgen(unchecked_return_type = "Forecast")]
    pub fn forecast(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Template")] template: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CampaignOptions")] options: JsValue,
        start: f64,
    ) -> Result<JsValue, JsError> {
        let template: TemplateSpec = serde_wasm_bindgen::from_value(template).map_err(js_error)?;
        let options: options::Options = serde_wasm_bindgen::from_value(options).map_err(js_error)?;
        // The recipients of the plan just shown, when it was for this template (the
        // campaign's id changes only the {{unsubscribe}} link, not who receives what).
        let last = self.last.borrow();
        let planned;
        let messages = match last.as_ref() {
            Some((t, messages)) if *t == template => messages,
            _ => {
                planned = plan_messages(&self.table, &template, &options.id).map_err(js_error)?.0;
                &planned.messages
            }
        };
        let settings = options::settings(&options, &options.id).map_err(js_error)?;
        let f = localmerge_core::budget::forecast(
            messages,
            &settings.limits,
            &settings.internal_domains,
            start.max(0.0) as u64,
        );
        f.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_error)
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

    /// `source` with the column `from` written as `to` wherever the template reads it (a
    /// "did you mean" accepted): the template's own parser finds it, never a text search.
    #[wasm_bindgen(js_name = renameColumn)]
    pub fn rename_column(&self, source: &str, from: &str, to: &str) -> String {
        localmerge_core::rename_column(source, &self.table, from, to)
    }

    /// Data rows.
    #[wasm_bindgen(getter, js_name = rowCount)]
    pub fn row_count(&self) -> usize {
        self.table.rows.len()
    }

    /// Checks and renders every row: `{ messages, problems, excluded, error? }`; each
    /// message's HTML body is `messageHtml(index)`.
    #[wasm_bindgen(unchecked_return_type = "PlanResult")]
    pub fn plan(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Template")] template: JsValue,
    ) -> Result<JsValue, JsError> {
        let template: TemplateSpec = serde_wasm_bindgen::from_value(template).map_err(js_error)?;
        let (dto, messages) = plan(&self.table, &template);
        *self.last.borrow_mut() = Some((template, messages));
        serde_wasm_bindgen::to_value(&dto).map_err(js_error)
    }

    /// The last plan's message at `index`: its row, recipients, subject and attachments.
    #[wasm_bindgen(unchecked_return_type = "Message | undefined")]
    pub fn message(&self, index: usize) -> Result<JsValue, JsError> {
        match self.last.borrow().as_ref().and_then(|(_, messages)| messages.get(index)) {
            Some(m) => serde_wasm_bindgen::to_value(&message_dto(m)).map_err(js_error),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// The HTML body of the last plan's message at `index` (what the preview shows).
    #[wasm_bindgen(js_name = messageHtml)]
    pub fn message_html(&self, index: usize) -> Option<String> {
        self.last.borrow().as_ref().and_then(|(_, messages)| messages.get(index)).map(|m| m.body.clone())
    }

    /// Checks and renders every row, returning only the bytes of subjects and bodies: the
    /// cost of rendering without that of handing the messages to JS or holding them (what
    /// the benchmark compares; handlebars.js's strings are dropped as they are made too).
    #[wasm_bindgen(js_name = renderCount)]
    pub fn render_count(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Template")] template: JsValue,
    ) -> Result<usize, JsError> {
        let template: TemplateSpec = serde_wasm_bindgen::from_value(template).map_err(js_error)?;
        let merge = merge_for(&self.table, &template, PREVIEW_CAMPAIGN).map_err(js_error)?;
        let mut bytes = 0;
        merge.plan_each(&self.table, |planned| {
            if let localmerge_core::Planned::Message(m) = planned {
                bytes += m.body.len() + m.subject.len();
            }
        });
        Ok(bytes)
    }

    /// A campaign over the rows this template sends (modules built with `send`), resumed from its journal's lines.
    #[cfg(any(test, feature = "send"))]
    pub fn campaign(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Template")] template: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CampaignOptions")] options: JsValue,
        history: Vec<String>,
    ) -> Result<Campaign, JsError> {
        let template: TemplateSpec = serde_wasm_bindgen::from_value(template).map_err(js_error)?;
        let options: options::Options = serde_wasm_bindgen::from_value(options).map_err(js_error)?;
        let (mut plan, _) = plan_messages(&self.table, &template, &options.id).map_err(js_error)?;
        // A follow-up is about its rows only.
        if !options.replies.is_empty() {
            plan.messages.retain(|m| options.replies.iter().any(|r| r.row == m.row));
        }
        Campaign::create(plan.messages, &options, &history)
    }

    /// A one-message campaign sending row `row`'s message to `to` only (a test to oneself);
    /// its journal need not be kept (modules built with `send`).
    #[cfg(any(test, feature = "send"))]
    #[wasm_bindgen(js_name = testCampaign)]
    pub fn test_campaign(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Template")] template: JsValue,
        row: u32,
        to: &str,
        #[wasm_bindgen(unchecked_param_type = "CampaignOptions")] options: JsValue,
    ) -> Result<Campaign, JsError> {
        let template: TemplateSpec = serde_wasm_bindgen::from_value(template).map_err(js_error)?;
        let options: options::Options = serde_wasm_bindgen::from_value(options).map_err(js_error)?;
        let (plan, _) = plan_messages(&self.table, &template, &options.id).map_err(js_error)?;
        let message = test_message(&plan.messages, row, to).map_err(js_error)?;
        Campaign::create(vec![message], &options, &[])
    }
}

/// A test of one row's message, addressed only to `to` (the signed-in user): the same
/// subject (marked as a test), body and attachments, no CC or BCC (pure; tested natively).
pub fn test_message(messages: &[Message], row: u32, to: &str) -> Result<Message, String> {
    let mut message = messages
        .iter()
        .find(|m| m.row == row)
        .cloned()
        .ok_or_else(|| format!("row {row} is not among the messages"))?;
    let mailbox = localmerge_core::address::parse_cell(to)
        .into_iter()
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| format!("\"{to}\" is not an email address"))?;
    message.to = vec![mailbox];
    message.cc.clear();
    message.bcc.clear();
    message.subject = format!("[Test] {}", message.subject);
    Ok(message)
}

/// Why `text` is not one bare address (a mailbox to send from), or nothing when it is.
#[wasm_bindgen(js_name = addressProblem)]
pub fn address_problem(text: &str) -> Option<String> {
    localmerge_core::address::parse_address(text).err().map(|e| e.reason)
}

/// Tokens split by formatting (`{{First <b>Name</b>}}`) in an HTML template.
#[wasm_bindgen(js_name = brokenTokens, unchecked_return_type = "BrokenToken[]")]
pub fn broken_tokens_js(html: &str) -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(&broken_tokens(html)).map_err(js_error)
}

/// The HTML template with every broken token mended.
#[wasm_bindgen(js_name = repairTokens)]
pub fn repair_tokens_js(html: &str) -> String {
    repair_tokens(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let csv = b"Email;First Name\nada@example.org;Ada\nnot-an-address;Bob\ncy@example.org;Cy\n".to_vec();
        Workbook::open(csv).and_then(|mut w| w.read(None)).unwrap()
    }

    fn template(subject: &str, body: &str) -> TemplateSpec {
        TemplateSpec { subject: subject.into(), body: body.into(), ..TemplateSpec::default() }
    }

    #[test]
    fn plans_convert_to_the_task_panes_shapes() {
        let table = table();
        let mut t = template("Hi {{First Name}}", "<p>{{First Name}}</p>");
        t.locale = Some("fr-FR".into());
        let (dto, messages) = plan(&table, &t);
        assert_eq!((dto.messages, messages.len()), (2, 2));
        let first = message_dto(&messages[0]);
        assert_eq!(first.to, ["ada@example.org"]);
        assert_eq!((first.subject.as_str(), messages[0].body.as_str()), ("Hi Ada", "<p>Ada</p>"));
        assert_eq!(dto.problems[0].row, 3);
        let issue = &dto.problems[0].issues[0];
        assert_eq!((issue.column.as_str(), issue.letters.as_str()), ("Email", "A"));
        assert!(issue.message.starts_with("invalid address \"not-an-address\""), "{}", issue.message);
        assert_eq!((issue.code, issue.args[0].as_str()), ("invalidAddress", "not-an-address"));
    }

    #[test]
    fn an_unknown_column_comes_back_with_its_fix() {
        let (dto, messages) = plan(&table(), &template("Hi {{Frist Name}}", "x"));
        assert!(dto.messages == 0 && messages.is_empty());
        let e = dto.error.unwrap();
        assert_eq!((e.name.as_deref(), e.suggestion.as_deref()), (Some("Frist Name"), Some("First Name")));
        assert!(e.message.contains("did you mean \"First Name\""), "{}", e.message);
    }

    #[test]
    fn excluded_rows_and_the_footer() {
        let mut t = template("Hi", "<p>{{First Name}}</p>");
        t.exclude = vec![4];
        t.footer = true;
        let (dto, messages) = plan(&table(), &t);
        assert_eq!(dto.excluded, [4]);
        assert_eq!(messages.iter().map(|m| m.row).collect::<Vec<_>>(), [2]);
        assert!(messages[0].body.starts_with("<p>Ada</p><p "), "{}", messages[0].body);
        assert!(messages[0].body.contains("Sent with"));
        t.locale = Some("fr-FR".into());
        assert!(plan(&table(), &t).1[0].body.contains("Envoyé avec"));
    }

    #[test]
    fn a_test_goes_to_the_user_only() {
        let table = Workbook::open(b"Email,Cc,Name\na@x.org,c@x.org,Ann\n".to_vec())
            .and_then(|mut w| w.read(None))
            .unwrap();
        let mut t = template("Hi {{Name}}", "x");
        t.columns = Some(ColumnsSpec { to: Some("Email".into()), cc: Some("Cc".into()), bcc: None });
        let (plan, _) = plan_messages(&table, &t, PREVIEW_CAMPAIGN).unwrap();
        assert_eq!(plan.messages[0].cc.len(), 1);
        let m = test_message(&plan.messages, 2, "me@sandbox.test").unwrap();
        assert_eq!(m.to.iter().map(|m| m.address.as_str()).collect::<Vec<_>>(), ["me@sandbox.test"]);
        assert!(m.cc.is_empty() && m.bcc.is_empty());
        assert_eq!(m.subject, "[Test] Hi Ann");
        assert!(test_message(&plan.messages, 9, "me@x.org").unwrap_err().contains("row 9"));
        assert!(test_message(&plan.messages, 2, "nope").unwrap_err().contains("not an email address"));
    }

    #[test]
    fn attachments_are_checked_against_the_picked_files() {
        let csv = b"Email,Attachments\na@x.org,a.pdf\nb@x.org,b.pdf\n".to_vec();
        let table = Workbook::open(csv).and_then(|mut w| w.read(None)).unwrap();
        let mut t = template("Hi", "x");
        t.attachments.insert("a.pdf".into(), 1234.0);
        let (dto, messages) = plan(&table, &t);
        assert_eq!(messages.iter().map(|m| m.row).collect::<Vec<_>>(), [2]);
        assert_eq!(message_dto(&messages[0]).attachments, ["a.pdf"]);
        assert_eq!(dto.problems[0].row, 3);
        assert!(dto.problems[0].issues[0].message.contains("not among the attachment files"));
    }
}

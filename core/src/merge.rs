//! The merge: a table and templates become checked, rendered messages.

use std::collections::HashMap;
use std::fmt;

use crate::Table;
use crate::address::{Mailbox, parse_cell};
use crate::format::{CellText, Locale};
use crate::graph::{BodyType, GraphMessage, ItemBody, Recipient, SendMailRequest};
use crate::recipients::{ColumnError, ColumnOverrides, RecipientColumns, detect};
use crate::template::{Escaping, RowView, Template, TemplateError, UnsubscribeUse, ValueIssueKind};
use crate::unsubscribe::Unsubscribe;

/// Exchange Online's default limit of recipients (To + CC + BCC) in one message.
pub const DEFAULT_MAX_RECIPIENTS: usize = 500;

/// What to merge.
#[derive(Debug, Clone)]
pub struct MergeSpec<'a> {
    /// The subject template (rendered without HTML escaping).
    pub subject: &'a str,
    /// The body template.
    pub body: &'a str,
    /// The body template's name for error messages (its file name).
    pub body_name: &'a str,
    /// Whether the body is HTML (escaped) or plain text.
    pub body_type: BodyType,
    /// Recipient columns named by the user.
    pub columns: ColumnOverrides,
    /// The most recipients one message may have.
    pub max_recipients: usize,
    /// The locale values are displayed in (separators, month names, regional date formats).
    pub locale: &'static Locale,
    /// One message per distinct value of this column (a many-to-one merge), instead of one
    /// per row.
    pub group_by: Option<String>,
    /// Where `{{unsubscribe}}` in the body points (the sending mailbox and the campaign);
    /// without it, a body that uses the link is refused.
    pub unsubscribe: Option<Unsubscribe>,
}

impl<'a> MergeSpec<'a> {
    /// An HTML merge with detected columns and Exchange's default recipient limit.
    pub fn html(subject: &'a str, body: &'a str, body_name: &'a str) -> Self {
        MergeSpec {
            subject,
            body,
            body_name,
            body_type: BodyType::Html,
            columns: ColumnOverrides::default(),
            max_recipients: DEFAULT_MAX_RECIPIENTS,
            locale: Locale::en_us(),
            group_by: None,
            unsubscribe: None,
        }
    }
}

/// Why a merge cannot start at all. Problems with single rows are [`RowProblem`]s instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// A template is invalid for this sheet.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The recipient columns cannot be determined.
    #[error(transparent)]
    Columns(#[from] ColumnError),
    /// The column to group by is not in the sheet.
    #[error("no column is named \"{name}\" to group by{}", suggestion.as_ref().map(|s| format!(" (did you mean \"{s}\"?)")).unwrap_or_default())]
    GroupColumn {
        /// The name given.
        name: String,
        /// The closest column's name.
        suggestion: Option<String>,
    },
}

/// One personalised message, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The spreadsheet row it came from (a group's first row).
    pub row: u32,
    /// Every row it came from, in sheet order: the row alone, or a group's rows.
    pub rows: Vec<u32>,
    /// To recipients.
    pub to: Vec<Mailbox>,
    /// CC recipients.
    pub cc: Vec<Mailbox>,
    /// BCC recipients.
    pub bcc: Vec<Mailbox>,
    /// The subject, on one line.
    pub subject: String,
    /// The body.
    pub body: String,
    /// The body's type.
    pub body_type: BodyType,
    /// The files to attach, as named in the row's attachments column.
    pub attachments: Vec<Attachment>,
}

/// A file named in a row's attachments column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The name as written in the cell (a path relative to the caller's attachments folder).
    pub name: String,
    /// Its size in bytes, once [`Merge::check_attachments`] has looked the file up.
    pub size: Option<u64>,
}

/// The largest attachment Graph accepts (through an upload session).
pub const MAX_ATTACHMENT_BYTES: u64 = 150 * 1024 * 1024;

impl Message {
    /// The Graph message resource for this message.
    pub fn to_graph(&self) -> GraphMessage {
        let rcpts = |list: &[Mailbox]| list.iter().map(Recipient::from).collect();
        GraphMessage {
            subject: self.subject.clone(),
            body: ItemBody { content_type: self.body_type, content: self.body.clone() },
            to_recipients: rcpts(&self.to),
            cc_recipients: rcpts(&self.cc),
            bcc_recipients: rcpts(&self.bcc),
            from: None,
            internet_message_headers: Vec::new(),
            single_value_extended_properties: Vec::new(),
            attachments: Vec::new(),
        }
    }

    /// The body of a Graph `POST /me/sendMail` request for this message.
    pub fn send_mail_request(&self) -> SendMailRequest {
        SendMailRequest { message: self.to_graph(), save_to_sent_items: true }
    }
}

/// A row that will not be sent, with everything wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The spreadsheet row.
    pub row: u32,
    /// The problems, in column order of discovery.
    pub issues: Vec<Issue>,
}

/// One problem in one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The column's header.
    pub column: String,
    /// The column's letters.
    pub letters: String,
    /// What is wrong.
    pub kind: IssueKind,
}

/// What is wrong with a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IssueKind {
    /// The To cell is empty.
    EmptyAddress,
    /// An address is not valid.
    InvalidAddress {
        /// The text.
        text: String,
        /// Why.
        reason: String,
    },
    /// The same To address is in an earlier row.
    Duplicate {
        /// The address.
        address: String,
        /// The earlier row.
        first_row: u32,
    },
    /// The template prints this value and it is empty.
    EmptyValue,
    /// The template uses this value and it is an error cell.
    ErrorValue(String),
    /// A formatter in the template cannot format this value.
    Unformattable(String),
    /// More recipients than one message may have.
    TooManyRecipients {
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A value the template uses outside `{{#each rows}}` (or a recipient) differs between
    /// the rows of one group, so the message could not say which.
    Conflict {
        /// The group's rows that differ from its first.
        rows: Vec<u32>,
    },
    /// An attachment cannot be sent.
    Attachment {
        /// The file name as written in the cell.
        name: String,
        /// Why (missing, too large, unreadable...), in the caller's words.
        problem: String,
    },
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column \"{}\" ({}): ", self.column, self.letters)?;
        match &self.kind {
            IssueKind::EmptyAddress => f.write_str("no email address"),
            IssueKind::InvalidAddress { text, reason } => write!(f, "invalid address \"{text}\" ({reason})"),
            IssueKind::Duplicate { address, first_row } => {
                write!(f, "duplicate recipient {address} (already in row {first_row})")
            }
            IssueKind::EmptyValue => {
                f.write_str("empty, but the template uses it (fill it, or use {{default …}} or {{#if …}})")
            }
            IssueKind::ErrorValue(code) => write!(f, "error cell {code}, but the template uses it"),
            IssueKind::Unformattable(why) => write!(f, "{why}"),
            IssueKind::TooManyRecipients { count, max } => {
                write!(f, "{count} recipients in one message; the limit is {max}")
            }
            IssueKind::Attachment { name, problem } => write!(f, "attachment \"{name}\": {problem}"),
            IssueKind::Conflict { rows } => write!(
                f,
                "differs in row(s) {} of the same group; use it inside {{{{#each rows}}}}, or make the group's rows agree",
                rows.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}: ", self.row)?;
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}

/// The outcome of checking and rendering every row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// Messages for the valid rows, in sheet order.
    pub messages: Vec<Message>,
    /// The rows that will not be sent, in sheet order.
    pub problems: Vec<RowProblem>,
}

/// One outcome of [`Merge::plan_each`]: a row's (or group's) message, or why it has none.
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    /// The message of a row (or group) that passed every check.
    Message(Message),
    /// A row (or group) that will not be sent, and why.
    Problem(RowProblem),
}

/// A merge compiled against one table: templates parsed, columns resolved.
#[derive(Debug, Clone)]
pub struct Merge {
    subject: Template,
    body: Template,
    body_type: BodyType,
    columns: RecipientColumns,
    max_recipients: usize,
    display: CellText,
    /// The column a grouped merge groups by.
    group: Option<usize>,
}

impl Merge {
    /// Compiles the templates and finds the recipient columns; nothing is rendered yet.
    pub fn new(table: &Table, spec: &MergeSpec<'_>) -> Result<Merge, MergeError> {
        let columns = detect(table, &spec.columns)?;
        let group = match &spec.group_by {
            None => None,
            Some(name) => match table.find_column(name) {
                Ok(Some(i)) => Some(i),
                _ => {
                    return Err(MergeError::GroupColumn {
                        name: name.clone(),
                        suggestion: table.closest_column(name).map(str::to_owned),
                    });
                }
            },
        };
        let grouped = group.is_some();
        let subject = Template::compile_for(
            spec.subject,
            "subject",
            Escaping::None,
            table,
            grouped,
            UnsubscribeUse::Subject,
        )?;
        let escaping = match spec.body_type {
            BodyType::Html => Escaping::Html,
            BodyType::Text => Escaping::None,
        };
        let link = spec.unsubscribe.as_ref().map_or(UnsubscribeUse::Unknown, UnsubscribeUse::Link);
        let body = Template::compile_for(spec.body, spec.body_name, escaping, table, grouped, link)?;
        Ok(Merge {
            subject,
            body,
            body_type: spec.body_type,
            columns,
            max_recipients: spec.max_recipients,
            display: CellText::of_table(table, spec.locale),
            group,
        })
    }

    /// The recipient columns in use.
    pub fn recipient_columns(&self) -> RecipientColumns {
        self.columns
    }

    /// A grouped merge's messages' rows, by index in the table: its groups (a distinct value of the group column, trimmed, and ignoring case when it is a
    /// recipient column, in the order of first appearance). Rows whose group value is empty
    /// are returned apart.
    fn groups(&self, table: &Table, col: usize) -> (Vec<Vec<usize>>, Vec<usize>) {
        let fold = [Some(self.columns.to), self.columns.cc, self.columns.bcc].contains(&Some(col));
        let mut index: HashMap<String, usize> = HashMap::new();
        let (mut units, mut blank): (Vec<Vec<usize>>, Vec<usize>) = (Vec::new(), Vec::new());
        for (i, row) in table.rows.iter().enumerate() {
            let mut key = String::new();
            if let Some(v) = row.values.get(col) {
                self.display.write(v, row.style(col), &mut key);
            }
            let key = if fold { key.trim().to_lowercase() } else { key.trim().to_owned() };
            if key.is_empty() {
                blank.push(i);
                continue;
            }
            let n = units.len();
            let at = *index.entry(key).or_insert(n);
            if at == n {
                units.push(Vec::new());
            }
            units[at].push(i);
        }
        (units, blank)
    }

    /// Checks and renders every row of `table` (the table the merge was compiled for): one
    /// message per row, or per group in a grouped merge.
    pub fn plan(&self, table: &Table) -> Plan {
        let mut plan = Plan { messages: Vec::with_capacity(table.rows.len()), problems: Vec::new() };
        self.plan_each(table, |planned| match planned {
            Planned::Message(m) => plan.messages.push(m),
            Planned::Problem(p) => plan.problems.push(p),
        });
        if self.group.is_some() {
            plan.problems.sort_by_key(|p| p.row);
        }
        plan
    }

    /// [`Merge::plan`] one message or problem at a time, in the order rows are checked (a
    /// grouped merge's rows without a group value first), so a caller that writes each
    /// away never holds them all.
    pub fn plan_each(&self, table: &Table, mut each: impl FnMut(Planned)) {
        let mut check = Check::new(table.rows.len());
        let Some(col) = self.group else {
            for row in &table.rows {
                each(self.plan_unit(row, &[row], &table.columns, &[], &mut check));
            }
            return;
        };
        // A group's rows are one message; rows without a group value are problems.
        let (groups, blank) = self.groups(table, col);
        for i in blank {
            each(Planned::Problem(RowProblem {
                row: table.rows[i].number,
                issues: vec![issue(&table.columns, col, IssueKind::EmptyValue)],
            }));
        }
        // Values a grouped message shows once: the recipients and what the templates read
        // outside `#each`.
        let mut once: Vec<usize> = [Some(self.columns.to), self.columns.cc, self.columns.bcc]
            .into_iter()
            .flatten()
            .chain(self.subject.columns_outside_each().iter().copied())
            .chain(self.body.columns_outside_each().iter().copied())
            .filter(|c| Some(*c) != self.group)
            .collect();
        once.sort_unstable();
        once.dedup();
        let mut rows = Vec::new();
        for group in groups {
            rows.clear();
            rows.extend(group.iter().map(|&i| &table.rows[i]));
            if let Some(first) = rows.first() {
                each(self.plan_unit(first, &rows, &table.columns, &once, &mut check));
            }
        }
    }

    /// Plans rows one at a time as a streamed read hands them over ([`crate::Workbook::stream_with`]):
    /// what [`Merge::plan_each`] does for a table, for a list too long to hold. `head` is the
    /// table the merge was compiled for (its columns name the issues). A grouped merge needs
    /// every row first: `None`.
    pub fn planner(self, head: &Table) -> Option<Planner> {
        if self.group.is_some() {
            return None;
        }
        Some(Planner { merge: self, columns: head.columns.clone(), check: Check::new(head.rows.len()) })
    }

    /// One message (or problem) from `unit`'s rows, `row` first: one row, or a group's.
    fn plan_unit(
        &self,
        row: &crate::Row,
        unit: &[&crate::Row],
        columns: &[crate::Column],
        once: &[usize],
        check: &mut Check,
    ) -> Planned {
        let issue = |col: usize, kind: IssueKind| issue(columns, col, kind);
        let mut issues = Vec::new();
        if unit.len() > 1 {
            let text = |r: &crate::Row, col: usize| {
                let mut t = String::new();
                if let Some(v) = r.values.get(col) {
                    self.display.write(v, r.style(col), &mut t);
                }
                t
            };
            for &col in once {
                let first = text(row, col);
                let differ: Vec<u32> =
                    unit.iter().skip(1).filter(|r| text(r, col) != first).map(|r| r.number).collect();
                if !differ.is_empty() {
                    issues.push(issue(col, IssueKind::Conflict { rows: differ }));
                }
            }
        }
        let addresses = |col: Option<usize>, required: bool, issues: &mut Vec<Issue>| {
            let Some(col) = col else { return Vec::new() };
            let parsed = match row.values.get(col) {
                Some(crate::Value::Text(s)) => parse_cell(s),
                Some(other) => {
                    let mut text = String::new();
                    self.display.write(other, row.style(col), &mut text);
                    parse_cell(&text)
                }
                None => Vec::new(),
            };
            if parsed.is_empty() && required {
                issues.push(issue(col, IssueKind::EmptyAddress));
            }
            parsed
                .into_iter()
                .filter_map(|r| {
                    r.map_err(|bad| {
                        issues.push(issue(
                            col,
                            IssueKind::InvalidAddress { text: bad.text, reason: bad.reason },
                        ))
                    })
                    .ok()
                })
                .collect::<Vec<_>>()
        };
        let to = addresses(Some(self.columns.to), true, &mut issues);
        let cc = addresses(self.columns.cc, false, &mut issues);
        let bcc = addresses(self.columns.bcc, false, &mut issues);
        for m in &to {
            if let Some(first_row) = check.seen.first(&m.address, row.number) {
                issues.push(issue(
                    self.columns.to,
                    IssueKind::Duplicate { address: m.address.clone(), first_row },
                ));
            }
        }
        let count = to.len() + cc.len() + bcc.len();
        if count > self.max_recipients {
            issues.push(issue(
                self.columns.to,
                IssueKind::TooManyRecipients { count, max: self.max_recipients },
            ));
        }
        let value_issues = &mut check.value_issues;
        value_issues.clear();
        let (subject, body) = if self.group.is_some() {
            let views: Vec<RowView<'_>> = unit.iter().map(|r| RowView::new(r, &self.display)).collect();
            (
                one_line(self.subject.render_group(&views, value_issues)),
                self.body.render_group(&views, value_issues),
            )
        } else {
            let view = RowView::new(row, &self.display);
            (one_line(self.subject.render(view, value_issues)), self.body.render(view, value_issues))
        };
        value_issues.sort_by_key(|v| v.column);
        value_issues.dedup();
        for v in value_issues.drain(..) {
            let kind = match v.kind {
                ValueIssueKind::Empty => IssueKind::EmptyValue,
                ValueIssueKind::ErrorCell(code) => IssueKind::ErrorValue(code),
                ValueIssueKind::Unformattable(why) => IssueKind::Unformattable(why),
            };
            issues.push(issue(v.column, kind));
        }
        // Every row's attachments go on its message (a group's, each file once).
        let mut attachments: Vec<Attachment> = Vec::new();
        if let Some(col) = self.columns.attachments {
            for r in unit {
                let mut text = String::new();
                if let Some(v) = r.values.get(col) {
                    self.display.write(v, r.style(col), &mut text);
                }
                for name in text.split([';', '\n', '\r']).map(str::trim).filter(|n| !n.is_empty()) {
                    if !attachments.iter().any(|a| a.name == name) {
                        attachments.push(Attachment { name: name.to_owned(), size: None });
                    }
                }
            }
        }
        if !issues.is_empty() {
            return Planned::Problem(RowProblem { row: row.number, issues });
        }
        Planned::Message(Message {
            row: row.number,
            rows: unit.iter().map(|r| r.number).collect(),
            to,
            cc,
            bcc,
            subject,
            body,
            body_type: self.body_type,
            attachments,
        })
    }
}

/// What checking rows carries from one to the next: the To addresses already seen, and a
/// buffer for a row's value issues.
#[derive(Debug, Default)]
struct Check {
    seen: Seen,
    value_issues: Vec<crate::template::ValueIssue>,
}

impl Check {
    fn new(rows: usize) -> Check {
        Check { seen: Seen::with_capacity(rows), value_issues: Vec::new() }
    }
}

/// The addresses seen, compared without case, each with the first row that has it: their
/// lower-case text in one buffer and a hash table of indexes into it, so a streamed plan of
/// a million rows holds about 40 MB for them rather than 100 MB as a map of `String`s.
#[derive(Debug, Default)]
struct Seen {
    text: String,
    /// Each address's end in `text` (its start is the previous one's end) and its row.
    entries: Vec<(usize, u32)>,
    table: hashbrown::HashTable<u32>,
    hasher: std::hash::RandomState,
    key: String,
}

impl Seen {
    fn with_capacity(n: usize) -> Seen {
        Seen {
            table: hashbrown::HashTable::with_capacity(n),
            entries: Vec::with_capacity(n),
            ..Seen::default()
        }
    }

    /// The first row with `address` (any case), or `None` after noting `row` as its first.
    fn first(&mut self, address: &str, row: u32) -> Option<u32> {
        use std::hash::BuildHasher;
        self.key.clear();
        if address.is_ascii() {
            self.key.extend(address.chars().map(|c| c.to_ascii_lowercase()));
        } else {
            self.key.push_str(&address.to_lowercase());
        }
        let (text, entries) = (&self.text, &self.entries);
        let hash = self.hasher.hash_one(self.key.as_str());
        if let Some(&i) = self.table.find(hash, |&i| seen_entry(text, entries, i) == self.key) {
            return entries.get(i as usize).map(|e| e.1);
        }
        let index = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        self.text.push_str(&self.key);
        self.entries.push((self.text.len(), row));
        let (hasher, text, entries) = (&self.hasher, &self.text, &self.entries);
        self.table.insert_unique(hash, index, |&i| hasher.hash_one(seen_entry(text, entries, i)));
        None
    }
}

/// Address `i` of a [`Seen`]'s `text`.
fn seen_entry<'t>(text: &'t str, entries: &[(usize, u32)], i: u32) -> &'t str {
    let i = i as usize;
    let start = i.checked_sub(1).and_then(|p| entries.get(p)).map_or(0, |e| e.0);
    let end = entries.get(i).map_or(start, |e| e.0);
    text.get(start..end).unwrap_or_default()
}

/// An issue in column `col` of `columns`.
fn issue(columns: &[crate::Column], col: usize, kind: IssueKind) -> Issue {
    let c = &columns[col];
    Issue { column: c.name.clone(), letters: c.letters(), kind }
}

/// A merge planning one row at a time ([`Merge::planner`]).
#[derive(Debug)]
pub struct Planner {
    merge: Merge,
    columns: Vec<crate::Column>,
    check: Check,
}

impl Planner {
    /// The row's message, or why it has none: as [`Merge::plan_each`] would give it, rows
    /// seen before counted for duplicates.
    pub fn row(&mut self, row: &crate::Row) -> Planned {
        self.merge.plan_unit(row, &[row], &self.columns, &[], &mut self.check)
    }

    /// The merge it plans with.
    pub fn merge(&self) -> &Merge {
        &self.merge
    }
}

/// A subject is one header line: line breaks (which could otherwise inject headers) and
/// other control characters become single spaces.
impl Merge {
    /// Looks up every message's attachments with `lookup` (the caller's file system: core
    /// reads no files), which answers a file's size or why it cannot be attached. Messages
    /// with a missing, unreadable or oversized attachment become [`RowProblem`]s, so the
    /// plan still partitions the rows; the others get their attachments' sizes.
    pub fn check_attachments(
        &self,
        table: &Table,
        plan: &mut Plan,
        mut lookup: impl FnMut(&str) -> Result<u64, String>,
    ) {
        let Some(col) = self.columns.attachments else { return };
        let column = &table.columns[col];
        let mut kept = Vec::with_capacity(plan.messages.len());
        let mut failed = false;
        for mut message in std::mem::take(&mut plan.messages) {
            let mut issues = Vec::new();
            for a in &mut message.attachments {
                let problem = match lookup(&a.name) {
                    Ok(size) if size > MAX_ATTACHMENT_BYTES => Some(format!(
                        "{size} bytes; the largest attachment Microsoft 365 accepts is {MAX_ATTACHMENT_BYTES} bytes"
                    )),
                    Ok(size) => {
                        a.size = Some(size);
                        None
                    }
                    Err(problem) => Some(problem),
                };
                if let Some(problem) = problem {
                    issues.push(Issue {
                        column: column.name.clone(),
                        letters: column.letters(),
                        kind: IssueKind::Attachment { name: a.name.clone(), problem },
                    });
                }
            }
            if issues.is_empty() {
                kept.push(message);
            } else {
                failed = true;
                plan.problems.push(RowProblem { row: message.row, issues });
            }
        }
        plan.messages = kept;
        if failed {
            plan.problems.sort_by_key(|p| p.row);
        }
    }
}

fn one_line(s: String) -> String {
    // Nearly every subject is one line already: no byte of a control character (C0, DEL, or
    // the lead byte 0xC2 of C1's — and of a few printable characters, which take the long
    // way) and nothing to trim. It is kept as it is.
    if !s.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) && s.trim().len() == s.len() {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.trim().chars() {
        if c.is_control() {
            pending_space = true;
        } else {
            if pending_space && !out.ends_with(' ') {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn addresses_seen_are_found_again_in_any_case() {
        let mut seen = super::Seen::with_capacity(0);
        // Enough to make the table grow (and rehash) several times.
        for row in 0..20_000u32 {
            assert_eq!(seen.first(&format!("User{row}@Example.com"), row + 2), None);
        }
        for row in (0..20_000u32).step_by(997) {
            assert_eq!(seen.first(&format!("user{row}@EXAMPLE.COM"), 99_999), Some(row + 2));
        }
        // Case as `str::to_lowercase` folds it, a final sigma included.
        assert_eq!(seen.first("ΟΔΥΣΣΕΥΣ@example.gr", 7), None);
        assert_eq!(seen.first("οδυσσευς@example.gr", 8), Some(7));
        assert_eq!(seen.first("οδυσσευσ@example.gr", 9), None);
    }

    #[test]
    fn subjects_are_one_line() {
        let one = |s: &str| one_line(s.to_owned());
        assert_eq!(one("Hello\r\nBcc: x@y.org"), "Hello Bcc: x@y.org");
        assert_eq!(one(" a\t\tb "), "a b");
        assert_eq!(one("a\u{85}b\u{2028}c\u{7f}"), "a b\u{2028}c");
        assert_eq!(one("£5, ©, déjà vu\u{a0}"), "£5, ©, déjà vu");
        assert_eq!(one("Plain subject"), "Plain subject");
    }
}

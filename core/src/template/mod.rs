//! Templates: handlebars syntax, with column headers as tokens.
//!
//! `parse.rs` reads handlebars syntax (whitespace control and standalone lines exactly as
//! handlebars-rust has them); the parsed tree is then lowered to a small program whose
//! column references are resolved to column indices once, at compile time. Rendering a
//! row is a walk over that program with no per-row JSON, and a template that names a
//! column the sheet does not have is rejected before any row is rendered.

mod eval;
mod parse;
mod repair;

use std::fmt;

use parse::{Call, Element, Literal, Param, Path, Pos, Seg};

use crate::format::CellText;
use crate::unsubscribe::Unsubscribe;

pub use eval::{ValueIssue, ValueIssueKind, html_escape};
pub use repair::{BrokenToken, broken_tokens, repair_tokens};

/// One row as a template sees it: its values, their formats, and how to display them.
#[derive(Debug, Clone, Copy)]
pub struct RowView<'a> {
    /// The row's values, one per table column.
    pub values: &'a [crate::Value],
    /// Each value's format index (see [`crate::Row::styles`]); may be empty.
    pub styles: &'a [u16],
    /// The table's formats resolved for a locale.
    pub display: &'a CellText,
    /// The row's number in the sheet (0 when it has none): `{{unsubscribe}}` names it.
    pub row: u32,
}

static PLAIN: CellText = CellText::plain();

impl<'a> RowView<'a> {
    /// A table row with the merge's display settings.
    pub fn new(row: &'a crate::Row, display: &'a CellText) -> Self {
        RowView { values: &row.values, styles: &row.styles, display, row: row.number }
    }

    /// Values in General format, en-US.
    pub fn plain(values: &'a [crate::Value]) -> Self {
        RowView { values, styles: &[], display: &PLAIN, row: 0 }
    }
}

/// How a template's output is escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escaping {
    /// Cell values are HTML-escaped (`{{x}}`); `{{{x}}}` inserts them raw.
    Html,
    /// Nothing is escaped: subjects and plain-text bodies.
    None,
}

/// Why a template cannot be used. Positions are 1-based and refer to the source as the
/// user wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The source is not valid handlebars syntax.
    #[error("{template}:{line}:{column}: syntax error: {message}")]
    Syntax {
        /// The template's name (file name, or "subject").
        template: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A token names no column of the sheet.
    #[error("{template}:{line}:{column}: the sheet has no column \"{name}\"{}", hint(.suggestion))]
    UnknownColumn {
        /// The template's name.
        template: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// The name as written.
        name: String,
        /// The closest real column.
        suggestion: Option<String>,
    },
    /// A token matches several columns.
    #[error("{template}:{line}:{column}: \"{name}\" matches several columns ({}); rename them in the sheet", .columns.join(", "))]
    AmbiguousColumn {
        /// The template's name.
        template: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// The name as written.
        name: String,
        /// The matching columns' letters.
        columns: Vec<String>,
    },
    /// A handlebars feature with no meaning for one spreadsheet row (partials, `each`…),
    /// or an unknown helper, or a helper called with the wrong number of arguments.
    #[error("{template}:{line}:{column}: {message}")]
    Unsupported {
        /// The template's name.
        template: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

fn hint(s: &Option<String>) -> String {
    s.as_ref().map(|s| format!("; did you mean \"{s}\"?")).unwrap_or_default()
}

/// Resolves template names to columns; implemented by [`crate::Table`].
pub trait Columns {
    /// `Ok(Some(i))` for a unique match, `Ok(None)` for none, `Err(letters)` when ambiguous.
    fn resolve(&self, name: &str) -> Result<Option<usize>, Vec<String>>;
    /// The closest column name, for "did you mean".
    fn closest(&self, name: &str) -> Option<String>;
}

impl Columns for crate::Table {
    fn resolve(&self, name: &str) -> Result<Option<usize>, Vec<String>> {
        self.find_column(name).map_err(|ix| ix.into_iter().map(|i| self.columns[i].letters()).collect())
    }
    fn closest(&self, name: &str) -> Option<String> {
        self.closest_column(name).map(str::to_owned)
    }
}

/// `source` with every lookup of the column `from` — a bare word, a run of words, `[from]`,
/// as the template's own parser reads them — written as `to`, and nothing else changed:
/// how a template is mended after a "did you mean", never by a text search. Other columns
/// are read as `columns` names them.
pub fn rename_column(source: &str, columns: &dyn Columns, from: &str, to: &str) -> String {
    let is_column = |n: &str| n.eq_ignore_ascii_case(from) || matches!(columns.resolve(n), Ok(Some(_)));
    let lookups = parse::Lookups::default();
    // A template with a syntax error is mended as far as it reads.
    let _ = parse::parse_recording(source, Some(&is_column), Some(&lookups));
    let plain = !to.is_empty()
        && to.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !to.starts_with(|c: char| c.is_ascii_digit());
    let written = if plain || to.contains(']') { to.to_owned() } else { format!("[{to}]") };
    let mut out = String::with_capacity(source.len());
    let mut last = 0;
    let mut found = lookups.into_inner();
    found.sort_by_key(|(start, ..)| *start);
    for (start, end, name) in found {
        if start >= last && name.eq_ignore_ascii_case(from) {
            out.push_str(&source[last..start]);
            out.push_str(&written);
            last = end;
        }
    }
    out.push_str(&source[last..]);
    out
}

/// A compiled template, bound to one sheet's columns.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<Node>,
    escaping: Escaping,
    columns_used: Vec<usize>,
    /// The columns read outside `{{#each rows}}` (a grouped merge's group-wide values).
    columns_outside_each: Vec<usize>,
    /// The template's own text, a lower bound of every output's size.
    static_len: usize,
}

fn static_text_len(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Node::Text(s) => s.len(),
            Node::Out { .. } => 16,
            Node::If { then, otherwise, .. } => static_text_len(then).min(static_text_len(otherwise)),
            Node::Each(body) => static_text_len(body),
            Node::Unsubscribe(link) => link.before.len() + link.after.len(),
        })
        .sum()
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    Out {
        expr: Expr,
        escape: bool,
    },
    If {
        cond: Expr,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    /// `{{#each rows}}…{{/each}}`: the body once per row of the group.
    Each(Vec<Node>),
    /// `{{unsubscribe}}`: the link for the message's (first) row.
    Unsubscribe(Box<UnsubscribeNode>),
}

/// `{{unsubscribe}}` as compiled: the output before and after the message's row number —
/// an HTML link with its words, or a plain-text body's bare URL — built once, not per row.
#[derive(Debug, Clone)]
pub(crate) struct UnsubscribeNode {
    pub(crate) before: String,
    pub(crate) after: String,
}

/// What `{{unsubscribe}}` may become in the template being compiled.
#[derive(Debug, Clone, Copy)]
pub enum UnsubscribeUse<'a> {
    /// A link to this mailbox (a body).
    Link(&'a Unsubscribe),
    /// A body whose sending mailbox is not known (a caller that gives none).
    Unknown,
    /// Nowhere: a subject.
    Subject,
}

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Column(usize),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Call(Helper, Vec<Expr>),
    /// `@index`, `@first`, `@last` inside `#each`.
    Index,
    First,
    Last,
    /// `{{count rows}}`: the group's rows.
    Count,
    /// `{{sum rows "Amount"}}`: a column's total over the group, in the column's format.
    Sum(usize),
}

/// The helpers templates may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Helper {
    Default,
    Upper,
    Lower,
    Capitalize,
    Trim,
    Eq,
    Ne,
    Contains,
    Gt,
    Gte,
    Lt,
    Lte,
    And,
    Or,
    Not,
    Date,
    Number,
    Currency,
    Percent,
    AddDays,
}

impl Helper {
    fn from_name(name: &str) -> Option<(Helper, usize, usize)> {
        // (helper, min arguments, max arguments)
        Some(match name {
            "default" => (Helper::Default, 2, 2),
            "upper" => (Helper::Upper, 1, 1),
            "lower" => (Helper::Lower, 1, 1),
            "capitalize" | "capitalise" => (Helper::Capitalize, 1, 1),
            "trim" => (Helper::Trim, 1, 1),
            "eq" => (Helper::Eq, 2, 2),
            "ne" => (Helper::Ne, 2, 2),
            "contains" => (Helper::Contains, 2, 2),
            "gt" => (Helper::Gt, 2, 2),
            "gte" => (Helper::Gte, 2, 2),
            "lt" => (Helper::Lt, 2, 2),
            "lte" => (Helper::Lte, 2, 2),
            "and" => (Helper::And, 2, usize::MAX),
            "or" => (Helper::Or, 2, usize::MAX),
            "not" => (Helper::Not, 1, 1),
            "date" => (Helper::Date, 2, 3),
            "number" => (Helper::Number, 2, 3),
            "currency" => (Helper::Currency, 2, 3),
            "percent" => (Helper::Percent, 2, 3),
            "addDays" => (Helper::AddDays, 2, 2),
            _ => return None,
        })
    }
}

impl Template {
    /// Compiles `source` against a sheet's columns. `name` names the template in errors.
    pub fn compile(
        source: &str,
        name: &str,
        escaping: Escaping,
        columns: &dyn Columns,
    ) -> Result<Template, TemplateError> {
        Template::compile_for(source, name, escaping, columns, false, UnsubscribeUse::Unknown)
    }

    /// Compiles `source` for one message per group of rows (`grouped`): `{{#each rows}}`
    /// with `@index`, `@first`, `@last`, `{{count rows}}` and `{{sum rows "Column"}}`
    /// become available; a column outside `#each` is the group's first row's. `unsubscribe`
    /// is what `{{unsubscribe}}` becomes (a sheet's column of that name stays the column).
    pub fn compile_for(
        source: &str,
        name: &str,
        escaping: Escaping,
        columns: &dyn Columns,
        grouped: bool,
        unsubscribe: UnsubscribeUse<'_>,
    ) -> Result<Template, TemplateError> {
        let is_column = |n: &str| matches!(columns.resolve(n), Ok(Some(_)));
        let parsed = parse::parse_with(source, Some(&is_column)).map_err(|e| TemplateError::Syntax {
            template: name.to_owned(),
            line: e.pos.0,
            column: e.pos.1,
            message: e.message,
        })?;
        let mut lower = Lower {
            name,
            columns,
            used: Vec::new(),
            outside_each: Vec::new(),
            escape: escaping == Escaping::Html,
            grouped,
            each_depth: 0,
            unsubscribe,
        };
        let nodes = lower.template(&parsed)?;
        let mut columns_used = lower.used;
        columns_used.sort_unstable();
        columns_used.dedup();
        let mut columns_outside_each = lower.outside_each;
        columns_outside_each.sort_unstable();
        columns_outside_each.dedup();
        let static_len = static_text_len(&nodes);
        Ok(Template { nodes, escaping, columns_used, columns_outside_each, static_len })
    }

    /// The columns the template reads outside `{{#each rows}}`, by table index, sorted.
    pub fn columns_outside_each(&self) -> &[usize] {
        &self.columns_outside_each
    }

    /// The columns the template reads, by table index, sorted.
    pub fn columns_used(&self) -> &[usize] {
        &self.columns_used
    }

    /// How the template escapes values.
    pub fn escaping(&self) -> Escaping {
        self.escaping
    }

    /// Renders one row into `out` (cleared first). Values the template prints while they
    /// are blank, or reads while they are error cells, are reported in `issues`.
    pub fn render_into(&self, row: RowView<'_>, out: &mut String, issues: &mut Vec<ValueIssue>) {
        out.clear();
        eval::render(&self.nodes, &eval::Ctx { rows: std::slice::from_ref(&row), at: 0 }, out, issues);
    }

    /// Renders one message for a group of rows (the first is the group's values outside
    /// `#each`).
    pub fn render_group(&self, rows: &[RowView<'_>], issues: &mut Vec<ValueIssue>) -> String {
        let mut out = String::with_capacity(self.static_len * rows.len().max(1));
        eval::render(&self.nodes, &eval::Ctx { rows, at: 0 }, &mut out, issues);
        out
    }

    /// Renders one row to a new string (see [`Template::render_into`]).
    pub fn render(&self, row: RowView<'_>, issues: &mut Vec<ValueIssue>) -> String {
        let mut out = String::with_capacity(self.static_len + self.static_len / 4);
        self.render_into(row, &mut out, issues);
        out
    }
}

struct Lower<'a> {
    name: &'a str,
    columns: &'a dyn Columns,
    used: Vec<usize>,
    outside_each: Vec<usize>,
    escape: bool,
    /// One message per group of rows: `#each rows`, `count` and `sum` are available.
    grouped: bool,
    each_depth: usize,
    unsubscribe: UnsubscribeUse<'a>,
}

impl Lower<'_> {
    fn unsupported(&self, pos: Pos, message: String) -> TemplateError {
        let (line, column) = pos;
        TemplateError::Unsupported { template: self.name.to_owned(), line, column, message }
    }

    fn template(&mut self, elements: &[Element]) -> Result<Vec<Node>, TemplateError> {
        let mut nodes = Vec::with_capacity(elements.len());
        for el in elements {
            match el {
                Element::Text(s) => {
                    if !s.is_empty() {
                        // Merge adjacent text so rendering pushes fewer pieces.
                        if let Some(Node::Text(prev)) = nodes.last_mut() {
                            prev.push_str(s);
                        } else {
                            nodes.push(Node::Text(s.clone()));
                        }
                    }
                }
                Element::Comment => {}
                Element::Out { call, pos, .. } if self.is_unsubscribe(call) => {
                    nodes.push(self.unsubscribe(call, *pos)?);
                }
                Element::Out { call, escaped, pos } => {
                    let expr = self.expression(call, *pos)?;
                    nodes.push(Node::Out { expr, escape: *escaped && self.escape });
                }
                Element::Block { call, then, inverse, pos } => {
                    nodes.push(self.block(call, then, inverse, *pos)?)
                }
                Element::Refused { what, pos } => {
                    return Err(self.unsupported(*pos, format!("{what} are not supported")));
                }
            }
        }
        Ok(nodes)
    }

    fn block(
        &mut self,
        call: &Call,
        then: &[Element],
        inverse: &Option<Vec<Element>>,
        pos: Pos,
    ) -> Result<Node, TemplateError> {
        let name = call.name.as_name().unwrap_or_default();
        let negate = match name {
            "if" => false,
            "unless" => true,
            "each" if self.grouped => return self.each(call, then, pos),
            "each" if call.params.len() == 1 && call.params[0].as_name() == Some("rows") => {
                return Err(self.unsupported(
                    pos,
                    "`{{#each rows}}` repeats the rows of a group: group the rows by a column first (--group-by; in Outlook, \"One message per\")".into(),
                ));
            }
            "each" | "with" => {
                return Err(self.unsupported(
                    pos,
                    format!("`{{{{#{name}}}}}` needs nested data; a spreadsheet row has only columns"),
                ));
            }
            other => {
                return Err(
                    self.unsupported(pos, format!("unknown block helper \"{other}\" (use #if or #unless)"))
                );
            }
        };
        let [param] = call.params.as_slice() else {
            return Err(self.unsupported(pos, format!("`#{name}` takes exactly one condition")));
        };
        if call.hash {
            return Err(self.unsupported(pos, format!("`#{name}` takes exactly one condition")));
        }
        let mut cond = self.param(param, pos)?;
        if negate {
            cond = Expr::Call(Helper::Not, vec![cond]);
        }
        let then = self.template(then)?;
        let otherwise = match inverse {
            Some(t) => self.template(t)?,
            None => Vec::new(),
        };
        Ok(Node::If { cond, then, otherwise })
    }

    /// `{{#each rows}}…{{/each}}` in a grouped merge.
    fn each(&mut self, call: &Call, then: &[Element], pos: Pos) -> Result<Node, TemplateError> {
        if call.hash || call.params.len() != 1 || call.params[0].as_name() != Some("rows") {
            return Err(self
                .unsupported(pos, "`#each` repeats `rows`, the group's rows: write {{#each rows}}".into()));
        }
        if self.each_depth > 0 {
            return Err(self.unsupported(pos, "`{{#each rows}}` cannot be nested".into()));
        }
        self.each_depth += 1;
        let body = self.template(then);
        self.each_depth -= 1;
        Ok(Node::Each(body?))
    }

    /// Whether a mustache is `{{unsubscribe}}` or `{{unsubscribe "words"}}` (a column named
    /// so is the column).
    fn is_unsubscribe(&self, call: &Call) -> bool {
        call.name.as_name().is_some_and(|n| n.eq_ignore_ascii_case("unsubscribe"))
            && !call.hash
            && match call.params.as_slice() {
                [] => !matches!(self.columns.resolve("unsubscribe"), Ok(Some(_)) | Err(_)),
                [Param::Literal(Literal::Str(_))] => true,
                _ => false,
            }
    }

    fn unsubscribe(&self, call: &Call, pos: Pos) -> Result<Node, TemplateError> {
        let link = match self.unsubscribe {
            UnsubscribeUse::Link(link) => link,
            UnsubscribeUse::Subject => {
                return Err(
                    self.unsupported(pos, "the unsubscribe link belongs in the body, not the subject".into())
                );
            }
            UnsubscribeUse::Unknown => {
                return Err(self.unsupported(
                    pos,
                    "`{{unsubscribe}}` needs the address of the mailbox that sends".into(),
                ));
            }
        };
        let text = match call.params.first() {
            Some(Param::Literal(Literal::Str(words))) => words.clone(),
            _ => link.default_text().to_owned(),
        };
        let (mut before, mut after) = link.url_around_row();
        if self.escape {
            // The URL is percent-encoded but for `:?=@`: nothing to escape in an attribute.
            before.insert_str(0, "<a href=\"");
            after.push_str("\">");
            eval::html_escape_into(&text, &mut after);
            after.push_str("</a>");
        }
        Ok(Node::Unsubscribe(Box::new(UnsubscribeNode { before, after })))
    }

    /// `{{count rows}}` and `{{sum rows "Column"}}`.
    fn aggregate(&mut self, call: &Call, name: &str, pos: Pos) -> Result<Expr, TemplateError> {
        if !self.grouped {
            return Err(self.unsupported(
                pos,
                format!("`{name} rows` counts a group's rows: group the rows by a column first (--group-by; in Outlook, \"One message per\")"),
            ));
        }
        match (name, call.params.as_slice()) {
            ("count", [rows]) if rows.as_name() == Some("rows") => Ok(Expr::Count),
            ("sum", [rows, Param::Literal(Literal::Str(column))]) if rows.as_name() == Some("rows") => {
                match self.columns.resolve(column) {
                    Ok(Some(i)) => {
                        self.used.push(i);
                        Ok(Expr::Sum(i))
                    }
                    Ok(None) => Err(self.unknown_column(column, pos)),
                    Err(_) => Err(self.unsupported(pos, format!("\"{column}\" names several columns"))),
                }
            }
            _ => Err(self.unsupported(pos, format!("write {{{{count rows}}}} or {{{{sum rows \"Column\"}}}}, not `{name}` with these arguments"))),
        }
    }

    /// `{{x}}` (a lookup) or `{{helper a b}}`.
    fn expression(&mut self, call: &Call, pos: Pos) -> Result<Expr, TemplateError> {
        if call.params.is_empty() && !call.hash {
            return self.param(&call.name, pos);
        }
        if call.hash {
            return Err(self.unsupported(pos, "hash arguments (`key=value`) are not supported".into()));
        }
        let helper_name = call.name.as_name().unwrap_or_default();
        if matches!(helper_name, "count" | "sum")
            && call.params.first().and_then(Param::as_name) == Some("rows")
        {
            return self.aggregate(call, helper_name, pos);
        }
        let Some((helper, min, max)) = Helper::from_name(helper_name) else {
            // `{{Frist Name}}` parses as helper "Frist" with a parameter: report it as the
            // unknown column the user meant.
            let written = std::iter::once(helper_name.to_owned())
                .chain(call.params.iter().filter_map(|p| p.as_name().map(str::to_owned)))
                .collect::<Vec<_>>()
                .join(" ");
            return Err(self.unknown_column(&written, pos));
        };
        let n = call.params.len();
        if n < min || n > max {
            let takes = match (min, max) {
                (a, b) if a == b => format!("{a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            return Err(
                self.unsupported(pos, format!("helper \"{helper_name}\" takes {takes} argument(s), not {n}"))
            );
        }
        let args: Vec<Expr> = call.params.iter().map(|p| self.param(p, pos)).collect::<Result<_, _>>()?;
        self.check_formatter(helper, helper_name, &args, pos)?;
        Ok(Expr::Call(helper, args))
    }
    /// Formatter arguments written as literals are checked before any row is rendered.
    fn check_formatter(
        &self,
        helper: Helper,
        name: &str,
        args: &[Expr],
        pos: Pos,
    ) -> Result<(), TemplateError> {
        if !matches!(helper, Helper::Date | Helper::Number | Helper::Currency | Helper::Percent) {
            return Ok(());
        }
        if let Some(Expr::Str(tag)) = args.get(2)
            && crate::format::Locale::find(tag).is_none()
        {
            let known: Vec<&str> = crate::format::LOCALES.iter().map(|l| l.tag).collect();
            return Err(
                self.unsupported(pos, format!("unknown locale \"{tag}\" (known: {})", known.join(", ")))
            );
        }
        match (helper, args.get(1)) {
            (Helper::Number | Helper::Percent, Some(Expr::Num(n)))
                if n.fract() == 0.0 && (0.0..=15.0).contains(n) =>
            {
                Ok(())
            }
            (Helper::Number | Helper::Percent, _) => Err(self.unsupported(
                pos,
                format!("\"{name}\" takes a number of decimals from 0 to 15 as its second argument"),
            )),
            (Helper::Currency, Some(Expr::Str(code)))
                if crate::format::format_currency(0.0, code, crate::format::Locale::en_us()).is_none() =>
            {
                Err(self.unsupported(
                    pos,
                    format!("unknown currency \"{code}\" (use an ISO code such as EUR, USD, GBP)"),
                ))
            }
            _ => Ok(()),
        }
    }

    fn param(&mut self, p: &Param, pos: Pos) -> Result<Expr, TemplateError> {
        match p {
            Param::Name(n) => self.column(n, pos),
            Param::Path(path) => self.path(path, pos),
            Param::Literal(lit) => Ok(match lit {
                Literal::Str(s) => Expr::Str(s.clone()),
                Literal::Num(n) => Expr::Num(*n),
                Literal::Bool(b) => Expr::Bool(*b),
                Literal::Other => Expr::Null,
            }),
            Param::Sub(call) => self.expression(call, pos),
        }
    }

    fn path(&mut self, p: &Path, pos: Pos) -> Result<Expr, TemplateError> {
        match p {
            Path::Relative { segs, raw } => {
                let named: Option<Vec<&str>> = segs
                    .iter()
                    .map(|s| match s {
                        Seg::Named(n) => Some(n.as_str()),
                        Seg::Other => None,
                    })
                    .collect();
                match named.as_deref() {
                    Some([single]) => self.column(single, pos),
                    Some(parts) if !parts.is_empty() => self.column(raw, pos),
                    _ => Err(self.unsupported(
                        pos,
                        format!(
                            "\"{raw}\" refers to a context a spreadsheet row does not have; name a column"
                        ),
                    )),
                }
            }
            Path::Local { raw } if self.each_depth > 0 => {
                match raw.as_str() {
                    "@index" => Ok(Expr::Index),
                    "@first" => Ok(Expr::First),
                    "@last" => Ok(Expr::Last),
                    _ => Err(self
                        .unsupported(pos, format!("\"{raw}\": inside #each, use @index, @first or @last"))),
                }
            }
            Path::Local { raw } => {
                Err(self.unsupported(pos, format!("\"{raw}\" is only meaningful inside #each")))
            }
        }
    }

    fn column(&mut self, name: &str, pos: Pos) -> Result<Expr, TemplateError> {
        match self.columns.resolve(name) {
            Ok(Some(i)) => {
                self.used.push(i);
                if self.each_depth == 0 {
                    self.outside_each.push(i);
                }
                Ok(Expr::Column(i))
            }
            Ok(None) => Err(self.unknown_column(name, pos)),
            Err(columns) => {
                let (line, column) = pos;
                Err(TemplateError::AmbiguousColumn {
                    template: self.name.to_owned(),
                    line,
                    column,
                    name: name.to_owned(),
                    columns,
                })
            }
        }
    }

    fn unknown_column(&self, name: &str, pos: Pos) -> TemplateError {
        let (line, column) = pos;
        TemplateError::UnknownColumn {
            template: self.name.to_owned(),
            line,
            column,
            name: name.to_owned(),
            suggestion: self.columns.closest(name),
        }
    }
}

impl fmt::Display for Escaping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Escaping::Html => "html",
            Escaping::None => "none",
        })
    }
}

#[cfg(test)]
mod rename_tests {
    use super::*;

    struct Sheet(&'static [&'static str]);

    impl Columns for Sheet {
        fn resolve(&self, name: &str) -> Result<Option<usize>, Vec<String>> {
            Ok(self.0.iter().position(|c| c.eq_ignore_ascii_case(name)))
        }
        fn closest(&self, _: &str) -> Option<String> {
            None
        }
    }

    #[test]
    fn a_column_is_renamed_where_the_parser_reads_it_and_nowhere_else() {
        let sheet = Sheet(&["First Name", "Last Name", "Email", "Note"]);
        let source = "Hi {{Frist Name}} {{Last Name}}! {{#if Frist Name}}yes{{/if}} {{default Frist  Name \"you\"}} \
                      {{upper (Frist Name)}} {{{frist name}}} {{! Frist Name }} \\{{Frist Name}} {{default Note \"Frist Name\"}}";
        assert_eq!(
            rename_column(source, &sheet, "Frist Name", "First Name"),
            "Hi {{[First Name]}} {{Last Name}}! {{#if [First Name]}}yes{{/if}} {{default [First Name] \"you\"}} \
             {{upper ([First Name])}} {{{[First Name]}}} {{! Frist Name }} \\{{Frist Name}} {{default Note \"Frist Name\"}}"
        );
        // One word: written bare when it can be.
        assert_eq!(
            rename_column("{{Emial}} {{Emial.x}} {{Note}}", &sheet, "Emial", "Email"),
            "{{Email}} {{Emial.x}} {{Note}}"
        );
        // A name inside another column's name is not that column.
        assert_eq!(rename_column("{{Last Name}} {{Name}}", &sheet, "Name", "Note"), "{{Last Name}} {{Note}}");
        // A template that does not parse is mended as far as it reads.
        assert_eq!(rename_column("{{Emial}} {{#if x}}", &sheet, "Emial", "Email"), "{{Email}} {{#if x}}");
    }
}

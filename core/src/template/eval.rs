//! Rendering a lowered template against one row's values, or a group's rows.

use std::borrow::Cow;

use super::{Expr, Helper, Node, RowView};
use crate::format::CellText;
use crate::value::{Value, write_float};

/// A problem with a value found while rendering one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueIssue {
    /// The table column.
    pub column: usize,
    /// What is wrong.
    pub kind: ValueIssueKind,
}

/// What is wrong with a value a template uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueIssueKind {
    /// The template prints the value and it is empty (use `default` or `#if` to allow it).
    Empty,
    /// The value is an error cell such as `#N/A`.
    ErrorCell(String),
    /// A formatter cannot format the value (`date` of a text, `number` of a word…).
    Unformattable(String),
}

#[derive(Debug)]
enum Val<'a> {
    /// A cell and its format index.
    Cell(&'a Value, u16),
    Str(Cow<'a, str>),
    Num(f64),
    Bool(bool),
    Null,
    /// A computed date: serial and date system (from `addDays`).
    Date(f64, bool),
    /// A computed number shown in a column's format (a group's `sum`).
    Styled(f64, u16),
}

impl Val<'_> {
    fn truthy(&self) -> bool {
        match self {
            Val::Cell(v, _) => v.is_truthy(),
            Val::Str(s) => !s.trim().is_empty(),
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Bool(b) => *b,
            Val::Null => false,
            Val::Date(..) => true,
            Val::Styled(n, _) => *n != 0.0 && !n.is_nan(),
        }
    }

    fn blank(&self) -> bool {
        match self {
            Val::Cell(v, _) => v.is_blank() || matches!(v, Value::Error(_)),
            Val::Str(s) => s.trim().is_empty(),
            Val::Null => true,
            Val::Num(_) | Val::Bool(_) | Val::Date(..) | Val::Styled(..) => false,
        }
    }

    fn num(&self) -> Option<f64> {
        match self {
            Val::Cell(v, _) => v.as_f64(),
            Val::Str(s) => s.trim().parse().ok(),
            Val::Num(n) | Val::Date(n, _) | Val::Styled(n, _) => Some(*n),
            Val::Bool(_) | Val::Null => None,
        }
    }

    /// The text of a value; a cell's is the text its format shows.
    fn text(&self, display: &CellText) -> Cow<'_, str> {
        match self {
            Val::Cell(Value::Text(s), 0) => Cow::Borrowed(s),
            Val::Cell(v, style) => {
                let mut s = String::new();
                display.write(v, *style, &mut s);
                Cow::Owned(s)
            }
            Val::Str(s) => Cow::Borrowed(s),
            Val::Num(n) => {
                let mut s = String::new();
                write_float(*n, &mut s);
                Cow::Owned(s)
            }
            Val::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Val::Null => Cow::Borrowed(""),
            Val::Styled(n, style) => {
                let mut s = String::new();
                display.write(&Value::Float(*n), *style, &mut s);
                Cow::Owned(s)
            }
            Val::Date(serial, is_1904) => {
                let mut s = String::new();
                crate::value::ExcelDate {
                    serial: *serial,
                    is_1904: *is_1904,
                    kind: crate::value::DateKind::DateTime,
                }
                .write_iso(&mut s);
                Cow::Owned(s)
            }
        }
    }

    /// The value as a date serial: a date cell, a number, a computed date, or ISO 8601 text.
    fn date_serial(&self) -> Option<(f64, bool)> {
        match self {
            Val::Cell(Value::Date(d), _) => Some((d.serial, d.is_1904)),
            Val::Cell(Value::Int(i), _) => Some((*i as f64, false)),
            Val::Cell(Value::Float(f), _) | Val::Num(f) => Some((*f, false)),
            Val::Cell(Value::Text(s) | Value::DateIso(s), _) => {
                crate::value::parse_iso_serial(s).map(|x| (x, false))
            }
            Val::Str(s) => crate::value::parse_iso_serial(s).map(|x| (x, false)),
            Val::Date(x, is_1904) => Some((*x, *is_1904)),
            _ => None,
        }
    }

    fn write(&self, out: &mut String, escape: bool, display: &CellText) {
        match (self, escape) {
            (Val::Cell(Value::Text(s), 0), true) => html_escape_into(s, out),
            (Val::Cell(Value::Text(s), 0), false) => out.push_str(s),
            (Val::Cell(v, style), false) => display.write(v, *style, out),
            (Val::Str(s), true) => html_escape_into(s, out),
            (Val::Str(s), false) => out.push_str(s),
            (other, true) => html_escape_into(&other.text(display), out),
            (other, false) => out.push_str(&other.text(display)),
        }
    }
}

/// What a template renders against: a group's rows (one, without grouping) and the row
/// `#each` is at (the first, outside it).
pub(super) struct Ctx<'r, 'a> {
    pub(super) rows: &'r [RowView<'a>],
    pub(super) at: usize,
}

static NO_ROW: RowView<'static> = RowView { values: &[], styles: &[], display: &super::PLAIN, row: 0 };

pub(super) fn render(nodes: &[Node], ctx: &Ctx<'_, '_>, out: &mut String, issues: &mut Vec<ValueIssue>) {
    let row = ctx.rows.get(ctx.at).unwrap_or(&NO_ROW);
    for node in nodes {
        match node {
            Node::Text(s) => out.push_str(s),
            Node::Out { expr, escape } => {
                if let Expr::Column(c) = expr
                    && row.values.get(*c).is_none_or(Value::is_blank)
                {
                    issues.push(ValueIssue { column: *c, kind: ValueIssueKind::Empty });
                    continue;
                }
                let val = eval(expr, ctx, issues);
                // A value Excel would not show, or that localmerge cannot show as Excel does.
                if let (Expr::Column(c), Val::Cell(v, style @ 1..)) = (expr, &val)
                    && let Err(why) = row.display.check(v, *style)
                {
                    issues.push(ValueIssue {
                        column: *c,
                        kind: ValueIssueKind::Unformattable(why.to_string()),
                    });
                    continue;
                }
                val.write(out, *escape, row.display);
            }
            Node::If { cond, then, otherwise } => {
                let branch = if eval(cond, ctx, issues).truthy() { then } else { otherwise };
                render(branch, ctx, out, issues);
            }
            Node::Each(body) => {
                for at in 0..ctx.rows.len() {
                    render(body, &Ctx { rows: ctx.rows, at }, out, issues);
                }
            }
            Node::Unsubscribe(u) => {
                // The message's row: a group's first, wherever the link stands.
                out.push_str(&u.before);
                write_u32(ctx.rows.first().unwrap_or(&NO_ROW).row, out);
                out.push_str(&u.after);
            }
        }
    }
}

static EMPTY: Value = Value::Empty;

fn eval<'a>(expr: &'a Expr, ctx: &Ctx<'_, 'a>, issues: &mut Vec<ValueIssue>) -> Val<'a> {
    let row = ctx.rows.get(ctx.at).unwrap_or(&NO_ROW);
    match expr {
        Expr::Column(c) => {
            let v = row.values.get(*c).unwrap_or(&EMPTY);
            if let Value::Error(code) = v {
                let issue = ValueIssue { column: *c, kind: ValueIssueKind::ErrorCell(code.clone()) };
                if !issues.contains(&issue) {
                    issues.push(issue);
                }
            }
            Val::Cell(v, row.styles.get(*c).copied().unwrap_or(0))
        }
        Expr::Str(s) => Val::Str(Cow::Borrowed(s)),
        Expr::Num(n) => Val::Num(*n),
        Expr::Bool(b) => Val::Bool(*b),
        Expr::Null => Val::Null,
        Expr::Call(helper, args) => call(*helper, args, ctx, issues),
        Expr::Index => Val::Num(ctx.at as f64),
        Expr::First => Val::Bool(ctx.at == 0),
        Expr::Last => Val::Bool(ctx.at + 1 == ctx.rows.len()),
        Expr::Count => Val::Num(ctx.rows.len() as f64),
        Expr::Sum(c) => {
            // The total in the format of the column's first number.
            let mut style = None;
            let mut total = 0.0;
            for r in ctx.rows {
                if let Some(n) = r.values.get(*c).and_then(Value::as_f64) {
                    total += n;
                    style.get_or_insert(r.styles.get(*c).copied().unwrap_or(0));
                }
            }
            Val::Styled(total, style.unwrap_or(0))
        }
    }
}

fn call<'a>(helper: Helper, args: &'a [Expr], ctx: &Ctx<'_, 'a>, issues: &mut Vec<ValueIssue>) -> Val<'a> {
    let display = ctx.rows.get(ctx.at).unwrap_or(&NO_ROW).display;
    let mut arg = |i: usize| args.get(i).map_or(Val::Null, |e| eval(e, ctx, issues));
    match helper {
        Helper::Default => {
            let v = arg(0);
            if v.blank() { arg(1) } else { v }
        }
        Helper::Upper => Val::Str(Cow::Owned(arg(0).text(display).to_uppercase())),
        Helper::Lower => Val::Str(Cow::Owned(arg(0).text(display).to_lowercase())),
        Helper::Trim => Val::Str(Cow::Owned(arg(0).text(display).trim().to_owned())),
        Helper::Capitalize => {
            let v = arg(0);
            let t = v.text(display);
            let mut chars = t.chars();
            let s = match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            };
            Val::Str(Cow::Owned(s))
        }
        Helper::Eq => Val::Bool(equal(&arg(0), &arg(1), display)),
        Helper::Ne => Val::Bool(!equal(&arg(0), &arg(1), display)),
        Helper::Contains => {
            let (h, n) = (arg(0), arg(1));
            Val::Bool(h.text(display).to_lowercase().contains(&*n.text(display).trim().to_lowercase()))
        }
        Helper::Gt | Helper::Gte | Helper::Lt | Helper::Lte => {
            let (a, b) = (arg(0).num(), arg(1).num());
            Val::Bool(match (a, b) {
                (Some(a), Some(b)) => match helper {
                    Helper::Gt => a > b,
                    Helper::Gte => a >= b,
                    Helper::Lt => a < b,
                    _ => a <= b,
                },
                _ => false,
            })
        }
        Helper::And => Val::Bool((0..args.len()).all(|i| arg(i).truthy())),
        Helper::Or => Val::Bool((0..args.len()).any(|i| arg(i).truthy())),
        Helper::Not => Val::Bool(!arg(0).truthy()),
        Helper::AddDays => {
            let (v, n) = (arg(0), arg(1).num());
            match (v.date_serial(), n) {
                (Some((serial, is_1904)), Some(n)) => Val::Date(serial + n.trunc(), is_1904),
                _ => {
                    let why =
                        format!("addDays needs a date and a number of days, not \"{}\"", v.text(display));
                    unformattable(args, why, issues)
                }
            }
        }
        Helper::Date | Helper::Number | Helper::Currency | Helper::Percent => {
            let v = arg(0);
            if v.blank() {
                if let Some(c) = column_of(args) {
                    issues.push(ValueIssue { column: c, kind: ValueIssueKind::Empty });
                }
                return Val::Null;
            }
            let locale = match arg(2) {
                Val::Null => display.locale(),
                tag => crate::format::Locale::find(&tag.text(display)).unwrap_or(display.locale()),
            };
            let second = arg(1);
            let decimals = second.num().unwrap_or(0.0).clamp(0.0, 15.0) as usize;
            let out = match helper {
                Helper::Date => v.date_serial().and_then(|(serial, is_1904)| {
                    crate::format::format_date_pattern(serial, is_1904, &second.text(display), locale)
                }),
                Helper::Number => v.num().map(|n| crate::format::format_fixed(n, decimals, locale)),
                Helper::Percent => v.num().map(|n| crate::format::format_percent(n, decimals, locale)),
                _ => v.num().and_then(|n| crate::format::format_currency(n, &second.text(display), locale)),
            };
            match out {
                Some(s) => Val::Str(Cow::Owned(s)),
                None => {
                    let what = if helper == Helper::Date { "a date" } else { "a number" };
                    unformattable(args, format!("\"{}\" is not {what}", v.text(display)), issues)
                }
            }
        }
    }
}

/// The first column an argument list reads.
fn column_of(args: &[Expr]) -> Option<usize> {
    args.iter().find_map(|e| match e {
        Expr::Column(c) => Some(*c),
        Expr::Call(_, inner) => column_of(inner),
        _ => None,
    })
}

fn unformattable<'a>(args: &[Expr], why: String, issues: &mut Vec<ValueIssue>) -> Val<'a> {
    if let Some(c) = column_of(args) {
        issues.push(ValueIssue { column: c, kind: ValueIssueKind::Unformattable(why) });
    }
    Val::Null
}

/// Numbers compare as numbers; anything else as text, ignoring case and surrounding spaces.
fn equal(a: &Val<'_>, b: &Val<'_>, display: &CellText) -> bool {
    if let (Some(x), Some(y)) = (a.num(), b.num()) {
        return x == y;
    }
    let (x, y) = (a.text(display), b.text(display));
    let (x, y) = (x.trim(), y.trim());
    x == y || x.to_lowercase() == y.to_lowercase()
}

/// Escapes text for HTML exactly as handlebars does: `& < > " ' ` =`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    html_escape_into(s, &mut out);
    out
}

/// A row number's decimal digits.
fn write_u32(mut n: u32, out: &mut String) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

pub(super) fn html_escape_into(s: &str, out: &mut String) {
    let bytes = s.as_bytes();
    let mut last = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            b'`' => "&#x60;",
            b'=' => "&#x3D;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

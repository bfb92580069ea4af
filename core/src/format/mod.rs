//! Spreadsheet number formats: the text a cell shows for its value, as Excel shows it.
//!
//! A format code (`#,##0.00`, `dd/mm/yyyy`, `0.0%`, `# ?/?`, `"€"#,##0.00;[Red]-"€"#,##0.00`)
//! is parsed once into sections of tokens (`code.rs`), then applied to numbers (`number.rs`:
//! General, digit placeholders, fractions) and dates (`date.rs`) with a [`Locale`]'s
//! separators and names. The same code, value and locale give the same text everywhere.
//!
//! Where Excel would not show the value (`#` for a date before 1900 or after 9999), or shows
//! it in a way localmerge does not reproduce (era names, the Hijri calendar, native
//! numerals, month names of a locale it does not ship), [`NumberFormat::render`] says so
//! with an [`Unshown`]; the merge makes that a problem of the row. Colours, fill characters
//! (`*x`) and padding (`_x`, a space) do not apply to text.

mod builtin;
mod cell;
mod code;
mod date;
mod formatters;
mod locale;
mod number;

use std::fmt;

pub use builtin::builtin;
pub(crate) use builtin::builtin_is_regional;
pub use cell::{CellFormat, CellText};
pub use formatters::{format_currency, format_date_pattern, format_fixed, format_percent};
pub use locale::{LOCALES, Locale};
pub use number::{general, general_into};

use code::{Kind, Section, Tok, parse_section, split_sections};

/// Why a value is not shown through its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unshown {
    /// Excel fills the cell with `#`: a negative date, or one after 9999-12-31.
    OutOfRange,
    /// The format uses something localmerge does not render as Excel does.
    Unsupported(&'static str),
}

impl fmt::Display for Unshown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unshown::OutOfRange => {
                f.write_str("a date before 1900 or after 9999, which Excel shows as ########")
            }
            Unshown::Unsupported(what) => {
                write!(f, "its number format uses {what}, which localmerge cannot show")
            }
        }
    }
}

/// What Excel shows in a cell it cannot fill.
const HASHES: &str = "########";

/// A parsed number format code.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberFormat {
    sections: Vec<Section>,
    /// How many sections numbers use (all but the text section, three at most).
    numeric: usize,
    /// The text section: the fourth, or a last one with `@`.
    text: Option<usize>,
    /// Some value may not be shown (a date section, or one localmerge cannot render):
    /// without it, [`NumberFormat::check`] has nothing to look at.
    fallible: bool,
}

impl NumberFormat {
    /// Parses a format code. Never fails: what is not a format token is literal text.
    pub fn parse(code: &str) -> NumberFormat {
        let sections: Vec<Section> = if code.is_empty() {
            vec![parse_section("General")]
        } else {
            split_sections(code).into_iter().take(4).map(parse_section).collect()
        };
        let fallible =
            sections.iter().any(|s| s.kind == Kind::Date || s.unsupported.is_some() || s.lcid.is_some());
        let n = sections.len();
        let text = match n {
            4 => Some(3),
            _ => sections.last().filter(|s| s.toks.contains(&Tok::Text)).map(|_| n - 1),
        };
        let numeric = if text.is_some() && n > 1 { n - 1 } else { n }.min(3);
        NumberFormat { sections, numeric, text, fallible }
    }

    /// The General format.
    pub fn general() -> NumberFormat {
        NumberFormat::parse("General")
    }

    /// True when the format shows numbers as dates or times.
    pub fn is_date(&self) -> bool {
        self.numeric().first().is_some_and(|s| s.kind == Kind::Date)
    }

    /// True when the format is `@` (text): a cell so formatted shows its content unchanged.
    pub fn is_text(&self) -> bool {
        self.sections.len() == 1 && self.sections[0].kind == Kind::Text
    }

    /// The text a number shows. `is_1904` is the workbook's date system. A value Excel would
    /// not show is `########`, as in Excel (see [`NumberFormat::render`]).
    pub fn format_number(&self, v: f64, is_1904: bool, locale: &Locale) -> String {
        let mut out = String::new();
        self.format_number_into(v, is_1904, locale, &mut out);
        out
    }

    /// Appends the text a number shows to `out` (see [`NumberFormat::format_number`]).
    pub fn format_number_into(&self, v: f64, is_1904: bool, locale: &Locale, out: &mut String) {
        let mark = out.len();
        if self.render(v, is_1904, locale, out).is_err() {
            out.truncate(mark);
            out.push_str(HASHES);
        }
    }

    /// Appends the text a number shows, or says why it cannot be shown as Excel shows it
    /// (`out` is then partly written).
    pub fn render(&self, v: f64, is_1904: bool, locale: &Locale, out: &mut String) -> Result<(), Unshown> {
        if !v.is_finite() {
            general_into(v, locale, out);
            return Ok(());
        }
        let (section, value, minus) = self.pick(v);
        supported(section)?;
        match section.kind {
            Kind::Empty => Ok(()),
            Kind::Date => {
                let names = names(section, locale)?;
                date::date(&section.toks, v, is_1904, locale, names, out)
            }
            Kind::Number => {
                if minus && !number::shows_zero(&section.toks, value) {
                    out.push('-');
                }
                number::number(&section.toks, value, locale, out);
                Ok(())
            }
            Kind::Fraction => {
                if minus {
                    out.push('-');
                }
                number::fraction(&section.toks, value, locale, out);
                Ok(())
            }
            Kind::General | Kind::Text | Kind::Literal => {
                if minus {
                    out.push('-');
                }
                for t in &section.toks {
                    match t {
                        Tok::Lit(s) if section.kind != Kind::Text => out.push_str(s),
                        Tok::General => general_into(value, locale, out),
                        _ => {}
                    }
                }
                if section.kind == Kind::Text {
                    // A number under `@` shows as General.
                    general_into(value, locale, out);
                }
                Ok(())
            }
        }
    }

    /// The text a text cell shows: its text section's (the fourth, or a last one with `@`),
    /// where `@` and General are the text; else the text itself.
    pub fn format_text(&self, text: &str) -> String {
        match self.text_section() {
            None => text.to_owned(),
            Some(s) => s
                .toks
                .iter()
                .map(|t| match t {
                    Tok::Text | Tok::General => text,
                    Tok::Lit(l) => l.as_str(),
                    _ => "",
                })
                .collect(),
        }
    }

    fn text_section(&self) -> Option<&Section> {
        self.text.and_then(|i| self.sections.get(i))
    }

    /// The sections numbers use: all but the text section.
    fn numeric(&self) -> &[Section] {
        &self.sections[..self.numeric]
    }

    /// Chooses the section for `v`: returns it, the value to format (its magnitude), and
    /// whether a minus sign goes first.
    fn pick(&self, v: f64) -> (&Section, f64, bool) {
        let numeric = self.numeric();
        let Some(first) = numeric.first() else {
            // `@` alone: numbers show as General.
            return (&self.sections[0], v.abs(), v < 0.0);
        };
        let a = v.abs();
        let neg = v < 0.0;
        if numeric.iter().take(2).any(|s| s.cond.is_some()) {
            // Explicit conditions: the first's, the second's (else `< 0` when there are three
            // sections), then the last section takes the rest, with a minus when negative.
            let c1 = first.cond;
            if c1.is_some_and(|(cmp, x)| cmp.test(v, x)) {
                return (first, a, false);
            }
            let Some(second) = numeric.get(1) else { return (first, a, neg) };
            let Some(third) = numeric.get(2) else {
                return match second.cond {
                    Some((cmp, x)) if !cmp.test(v, x) => (first, a, neg),
                    _ => (second, a, false),
                };
            };
            let c2 = second.cond.or(if c1.is_none() { None } else { Some((code::Cmp::Lt, 0.0)) });
            if c2.is_some_and(|(cmp, x)| cmp.test(v, x)) {
                return (second, a, false);
            }
            return (third, a, neg);
        }
        match numeric.len() {
            1 => (first, a, neg),
            2 => {
                if neg {
                    (&numeric[1], a, false)
                } else {
                    (first, a, false)
                }
            }
            _ => {
                if v > 0.0 {
                    (first, a, false)
                } else if neg {
                    (&numeric[1], a, false)
                } else {
                    (&numeric[2], a, false)
                }
            }
        }
    }

    /// Whether `v` can be shown as Excel shows it, without rendering it.
    pub fn check(&self, v: f64, is_1904: bool, locale: &Locale) -> Result<(), Unshown> {
        if !self.fallible || !v.is_finite() {
            return Ok(());
        }
        let (section, _, _) = self.pick(v);
        supported(section)?;
        if section.kind == Kind::Date {
            names(section, locale)?;
            if !date::in_range(v, is_1904) {
                return Err(Unshown::OutOfRange);
            }
        }
        Ok(())
    }
}

/// Whether localmerge renders the section as Excel does: not with something `code.rs` found
/// unsupported, nor with native digits (the top byte of a `[$-xxxxxxxx]` locale).
fn supported(section: &Section) -> Result<(), Unshown> {
    if let Some(why) = section.unsupported {
        return Err(Unshown::Unsupported(why));
    }
    if section.lcid.is_some_and(|id| id >> 24 != 0) {
        return Err(Unshown::Unsupported("native digits ([$-xxxxxxxx])"));
    }
    Ok(())
}

/// The month and day names of a date section: its `[$-xxxx]` locale's, else the reader's.
fn names<'a>(section: &Section, locale: &'a Locale) -> Result<&'a Locale, Unshown> {
    let Some(id) = section.lcid else { return Ok(locale) };
    let calendar = (id >> 16) & 0xFF;
    if calendar > 2 {
        return Err(Unshown::Unsupported("a calendar other than the Gregorian ([$-xxxxxxxx])"));
    }
    let uses_names = section
        .toks
        .iter()
        .any(|t| matches!(t, Tok::Month(3..) | Tok::Day(3..) | Tok::AmPm(code::Marker::Locale)));
    match Locale::from_lcid(id & 0xFFFF) {
        Some(l) => Ok(l),
        None if uses_names => Err(Unshown::Unsupported("the names of a locale localmerge does not ship")),
        None => Ok(locale),
    }
}

#[cfg(test)]
mod tests;

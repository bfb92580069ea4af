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

mod code;
mod date;
mod locale;
mod number;

use std::fmt;

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

/// The format code of a built-in format id (Microsoft's ECMA-376 §18.8.30 list, ids 0–81),
/// for `locale` where the built-in depends on the reader's regional settings.
pub fn builtin(id: u32, locale: &Locale) -> Option<String> {
    Some(match id {
        0 => "General".into(),
        1 => "0".into(),
        2 => "0.00".into(),
        3 => "#,##0".into(),
        4 => "#,##0.00".into(),
        5 => "\"$\"#,##0_);(\"$\"#,##0)".into(),
        6 => "\"$\"#,##0_);[Red](\"$\"#,##0)".into(),
        7 => "\"$\"#,##0.00_);(\"$\"#,##0.00)".into(),
        8 => "\"$\"#,##0.00_);[Red](\"$\"#,##0.00)".into(),
        9 => "0%".into(),
        10 => "0.00%".into(),
        11 => "0.00E+00".into(),
        12 => "# ?/?".into(),
        13 => "# ??/??".into(),
        14 | 27..=31 | 36 | 50..=58 => locale.short_date.to_owned(),
        15 => "d-mmm-yy".into(),
        16 => "d-mmm".into(),
        17 => "mmm-yy".into(),
        18 => "h:mm AM/PM".into(),
        19 => "h:mm:ss AM/PM".into(),
        20 => "h:mm".into(),
        21 => "h:mm:ss".into(),
        22 => format!("{} h:mm", locale.short_date),
        32..=35 => "h:mm:ss".into(),
        37 => "#,##0 ;(#,##0)".into(),
        38 => "#,##0 ;[Red](#,##0)".into(),
        39 => "#,##0.00;(#,##0.00)".into(),
        40 => "#,##0.00;[Red](#,##0.00)".into(),
        41 => "_(* #,##0_);_(* \\(#,##0\\);_(* \"-\"_);_(@_)".into(),
        42 => "_(\"$\"* #,##0_);_(\"$\"* \\(#,##0\\);_(\"$\"* \"-\"_);_(@_)".into(),
        43 => "_(* #,##0.00_);_(* \\(#,##0.00\\);_(* \"-\"??_);_(@_)".into(),
        44 => "_(\"$\"* #,##0.00_);_(\"$\"* \\(#,##0.00\\);_(\"$\"* \"-\"??_);_(@_)".into(),
        45 => "mm:ss".into(),
        46 => "[h]:mm:ss".into(),
        47 => "mm:ss.0".into(),
        48 => "##0.0E+0".into(),
        49 => "@".into(),
        _ => return None,
    })
}

/// True for built-in ids whose code depends on the reader's regional settings.
pub(crate) fn builtin_is_regional(id: u32) -> bool {
    matches!(id, 14 | 22 | 27..=31 | 36 | 50..=58)
}

#[cfg(test)]
mod tests;

/// Formats a date serial with a CLDR-style pattern (`dd/MM/yyyy`, `d MMMM yyyy`,
/// `EEEE HH:mm`, `h:mm a`, `'at' HH:mm`). Hours are 12-hour when the pattern has `a`.
/// `None` when the serial is not a showable date.
pub fn format_date_pattern(serial: f64, is_1904: bool, pattern: &str, locale: &Locale) -> Option<String> {
    let mut out = String::new();
    date::date(&cldr_parts(pattern), serial, is_1904, locale, locale, &mut out).ok()?;
    Some(out)
}

/// CLDR date-pattern letters to date parts; other characters are literal, `'…'` quotes.
fn cldr_parts(pattern: &str) -> Vec<Tok> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut parts = Vec::new();
    let lit = |parts: &mut Vec<Tok>, s: &str| match parts.last_mut() {
        Some(Tok::Lit(prev)) => prev.push_str(s),
        _ => parts.push(Tok::Lit(s.to_owned())),
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let n = chars[i..].iter().take_while(|x| **x == c).count();
        let width = n.min(5) as u8;
        let part = match c {
            'y' => Some(Tok::Year(if n == 2 { 2 } else { 4 })),
            'M' | 'L' => Some(Tok::Month(width.min(5))),
            'd' => Some(Tok::Day(width.min(2))),
            'E' => Some(Tok::Day(if n >= 4 { 4 } else { 3 })),
            'H' | 'h' => Some(Tok::Hour(width.min(2))),
            'm' => Some(Tok::Minute(width.min(2))),
            's' => Some(Tok::Second(width.min(2))),
            'a' => Some(Tok::AmPm(code::Marker::Locale)),
            '\'' => {
                let end = chars[i + 1..].iter().position(|x| *x == '\'').map_or(chars.len(), |p| i + 1 + p);
                let text: String = chars[i + 1..end].iter().collect();
                lit(&mut parts, if end == i + 1 { "'" } else { &text });
                i = end + 1;
                continue;
            }
            _ => None,
        };
        match part {
            Some(p) => parts.push(p),
            None => lit(&mut parts, &chars[i..i + n].iter().collect::<String>()),
        }
        i += n;
    }
    parts
}

/// A number with `decimals` fixed decimals and thousands separators.
pub fn format_fixed(v: f64, decimals: usize, locale: &Locale) -> String {
    let code =
        if decimals == 0 { "#,##0".to_owned() } else { format!("#,##0.{}", "0".repeat(decimals.min(15))) };
    NumberFormat::parse(&code).format_number(v, false, locale)
}

/// A percentage (0.175 → `17.5%`) with `decimals` decimals, spaced as the locale writes it.
pub fn format_percent(v: f64, decimals: usize, locale: &Locale) -> String {
    format!("{}{}%", format_fixed(v * 100.0, decimals, locale), locale.sign_space)
}

/// An amount in a currency (ISO 4217 code), with the symbol placed as the locale places it.
/// `None` for a code localmerge does not know.
pub fn format_currency(v: f64, code: &str, locale: &Locale) -> Option<String> {
    let (symbol, decimals) = match code.to_ascii_uppercase().as_str() {
        "EUR" => ("€", 2),
        "USD" => ("$", 2),
        "GBP" => ("£", 2),
        "CHF" => ("CHF", 2),
        "JPY" => ("¥", 0),
        "CAD" => ("CA$", 2),
        "AUD" => ("A$", 2),
        "BRL" => ("R$", 2),
        "SEK" => ("kr", 2),
        "NOK" => ("kr", 2),
        "DKK" => ("kr.", 2),
        "PLN" => ("zł", 2),
        "CNY" => ("CN¥", 2),
        "INR" => ("₹", 2),
        _ => return None,
    };
    let amount = format_fixed(v.abs(), decimals, locale);
    let sign = if v < 0.0 && amount.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    // A symbol of letters is always spaced; a sign symbol follows the locale.
    let space = if symbol.chars().all(char::is_alphabetic) && locale.sign_space.is_empty() {
        " "
    } else {
        locale.sign_space
    };
    Some(if locale.currency_first {
        format!("{sign}{symbol}{space}{amount}")
    } else {
        format!("{sign}{amount}{space}{symbol}")
    })
}

/// A cell's number format as the workbook states it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CellFormat {
    /// A format code.
    Code(String),
    /// A built-in format whose code depends on the reader's locale (ids 14, 22, 27–36, 50–58).
    Builtin(u32),
    /// A date code whose day, month and year take the reader's order (OpenDocument's
    /// `number:automatic-order`).
    LocaleOrder(String),
}

impl CellFormat {
    /// The format of a workbook's format id: its custom code when it has one, else the
    /// built-in's; `None` for General.
    pub(crate) fn of_id(id: u32, custom: Option<&str>) -> Option<CellFormat> {
        let format = match custom {
            // 14 and 22 follow the reader's settings whatever code the writer stored.
            _ if matches!(id, 14 | 22) => CellFormat::Builtin(id),
            Some(code) => CellFormat::Code(code.to_owned()),
            None if builtin_is_regional(id) => CellFormat::Builtin(id),
            None => CellFormat::Code(builtin(id, Locale::en_us())?),
        };
        match &format {
            CellFormat::Code(code) if code.is_empty() || code.eq_ignore_ascii_case("general") => None,
            _ => Some(format),
        }
    }

    /// The format for `locale`.
    pub fn resolve(&self, locale: &Locale) -> NumberFormat {
        match self {
            CellFormat::Code(code) => NumberFormat::parse(code),
            CellFormat::Builtin(id) => {
                NumberFormat::parse(&builtin(*id, locale).unwrap_or_else(|| "General".into()))
            }
            CellFormat::LocaleOrder(code) => {
                let mut f = NumberFormat::parse(code);
                for s in &mut f.sections {
                    // The order of the style's own language when it names one, else the reader's.
                    let order = s.lcid.and_then(|id| Locale::from_lcid(id & 0xFFFF)).unwrap_or(locale);
                    code::reorder_dates(&mut s.toks, &code::parse_section(order.short_date).toks);
                }
                f
            }
        }
    }
}

/// How cell values become text for one merge: the table's formats resolved for a locale.
#[derive(Debug, Clone)]
pub struct Display {
    formats: Vec<NumberFormat>,
    locale: &'static Locale,
    is_1904: bool,
}

impl Display {
    /// Every cell in General format, en-US.
    pub const fn plain() -> Display {
        Display { formats: Vec::new(), locale: &LOCALES[0], is_1904: false }
    }

    /// Resolves a table's formats for `locale`. `formats[0]` is the table's General.
    pub fn new(formats: &[CellFormat], locale: &'static Locale) -> Display {
        Display { formats: formats.iter().map(|f| f.resolve(locale)).collect(), locale, is_1904: false }
    }

    /// Resolves a table's formats for `locale`, numbers counting days in the table's date
    /// system.
    pub fn of_table(table: &crate::Table, locale: &'static Locale) -> Display {
        Display::new(&table.formats, locale).date_system(table.date1904)
    }

    /// The same display, numbers under date formats counting days from 1904 or not.
    pub fn date_system(self, is_1904: bool) -> Display {
        Display { is_1904, ..self }
    }

    /// The locale in use.
    pub fn locale(&self) -> &'static Locale {
        self.locale
    }

    fn format(&self, style: u16) -> Option<&NumberFormat> {
        self.formats.get(usize::from(style)).filter(|_| style != 0)
    }

    /// Appends the text a cell shows: its value through its format (`style` indexes the
    /// table's formats; 0 or an unknown index is General). A value Excel would not show is
    /// `########`, as in Excel.
    pub fn write(&self, value: &crate::Value, style: u16, out: &mut String) {
        let mark = out.len();
        if self.render(value, style, out).is_err() {
            out.truncate(mark);
            out.push_str(HASHES);
        }
    }

    /// Whether a cell can be shown as Excel shows it (see [`NumberFormat::check`]).
    pub fn check(&self, value: &crate::Value, style: u16) -> Result<(), Unshown> {
        use crate::Value;
        let Some(f) = self.format(style) else { return Ok(()) };
        match value {
            Value::Int(i) => f.check(*i as f64, self.is_1904, self.locale),
            Value::Float(v) => f.check(*v, self.is_1904, self.locale),
            Value::Date(d) => f.check(d.serial, d.is_1904, self.locale),
            _ => Ok(()),
        }
    }

    fn render(&self, value: &crate::Value, style: u16, out: &mut String) -> Result<(), Unshown> {
        use crate::Value;
        let fmt = self.format(style);
        match value {
            Value::Empty => {}
            Value::Text(s) => match fmt {
                Some(f) => out.push_str(&f.format_text(s)),
                None => out.push_str(s),
            },
            Value::Int(i) => return self.number(*i as f64, self.is_1904, fmt, out),
            Value::Float(f) => return self.number(*f, self.is_1904, fmt, out),
            Value::Bool(b) => out.push_str(self.locale.true_false[usize::from(!*b)]),
            Value::Date(d) => match fmt {
                // A date under a number format shows its serial, as in Excel.
                Some(f) => return f.render(d.serial, d.is_1904, self.locale, out),
                None => d.write_iso(out),
            },
            Value::DateIso(s) => match (
                fmt.filter(|f| f.is_date()),
                crate::value::parse_iso_serial(s).or_else(|| crate::value::parse_iso_duration(s)),
            ) {
                (Some(f), Some(serial)) => return f.render(serial, false, self.locale, out),
                _ => out.push_str(s),
            },
            Value::Error(s) => out.push_str(s),
        }
        Ok(())
    }

    fn number(
        &self,
        v: f64,
        is_1904: bool,
        fmt: Option<&NumberFormat>,
        out: &mut String,
    ) -> Result<(), Unshown> {
        match fmt {
            Some(f) => f.render(v, is_1904, self.locale, out),
            None => {
                general_into(v, self.locale, out);
                Ok(())
            }
        }
    }
}

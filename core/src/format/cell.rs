//! A cell's format as the workbook states it, and how a merge shows cell values through
//! their formats.

use super::*;

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
pub struct CellText {
    formats: Vec<NumberFormat>,
    locale: &'static Locale,
    is_1904: bool,
}

impl CellText {
    /// Every cell in General format, en-US.
    pub const fn plain() -> CellText {
        CellText { formats: Vec::new(), locale: &LOCALES[0], is_1904: false }
    }

    /// Resolves a table's formats for `locale`. `formats[0]` is the table's General.
    pub fn new(formats: &[CellFormat], locale: &'static Locale) -> CellText {
        CellText { formats: formats.iter().map(|f| f.resolve(locale)).collect(), locale, is_1904: false }
    }

    /// Resolves a table's formats for `locale`, numbers counting days in the table's date
    /// system.
    pub fn of_table(table: &crate::Table, locale: &'static Locale) -> CellText {
        CellText::new(&table.formats, locale).date_system(table.date1904)
    }

    /// The same display, numbers under date formats counting days from 1904 or not.
    pub fn date_system(self, is_1904: bool) -> CellText {
        CellText { is_1904, ..self }
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

//! The regional settings a displayed value depends on: separators, month and day names,
//! AM/PM, and the short date a spreadsheet's "system" formats show.
//!
//! Written out rather than taken from the platform, so the same input and locale give the
//! same text on every machine (and in the browser). CLDR is the source of the names.

/// One locale's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale {
    /// The BCP 47 tag, e.g. `fr-FR`.
    pub tag: &'static str,
    /// The decimal separator.
    pub decimal: &'static str,
    /// The thousands separator.
    pub group: &'static str,
    /// Month names, January first.
    pub months: [&'static str; 12],
    /// Abbreviated month names.
    pub months_short: [&'static str; 12],
    /// Day names, Sunday first.
    pub days: [&'static str; 7],
    /// Abbreviated day names.
    pub days_short: [&'static str; 7],
    /// AM and PM.
    pub am_pm: [&'static str; 2],
    /// The short date format code (Excel's built-in format 14 and `[$-x-sysdate]`'s short form).
    pub short_date: &'static str,
    /// The long date format code (`[$-x-sysdate]`).
    pub long_date: &'static str,
    /// The time format code (`[$-x-systime]`).
    pub time: &'static str,
    /// Whether a currency symbol comes before the amount (`€1,234.50`) or after
    /// (`1 234,50 €`).
    pub currency_first: bool,
    /// What separates the currency symbol or the percent sign from the number.
    pub sign_space: &'static str,
    /// How a spreadsheet in this language shows TRUE and FALSE.
    pub true_false: [&'static str; 2],
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const EN_MONTHS_SHORT: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const EN_DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const EN_DAYS_SHORT: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// The locales localmerge formats for.
pub static LOCALES: [Locale; 8] = [
    Locale {
        tag: "en-US",
        decimal: ".",
        group: ",",
        months: EN_MONTHS,
        months_short: EN_MONTHS_SHORT,
        days: EN_DAYS,
        days_short: EN_DAYS_SHORT,
        am_pm: ["AM", "PM"],
        short_date: "m/d/yyyy",
        long_date: "dddd, mmmm d, yyyy",
        time: "h:mm:ss AM/PM",
        currency_first: true,
        sign_space: "",
        true_false: ["TRUE", "FALSE"],
    },
    Locale {
        tag: "en-GB",
        decimal: ".",
        group: ",",
        months: EN_MONTHS,
        months_short: EN_MONTHS_SHORT,
        days: EN_DAYS,
        days_short: EN_DAYS_SHORT,
        am_pm: ["AM", "PM"],
        short_date: "dd/mm/yyyy",
        long_date: "dd mmmm yyyy",
        time: "hh:mm:ss",
        currency_first: true,
        sign_space: "",
        true_false: ["TRUE", "FALSE"],
    },
    Locale {
        tag: "fr-FR",
        decimal: ",",
        group: "\u{202F}",
        months: [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        months_short: [
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.",
        ],
        days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        days_short: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        am_pm: ["AM", "PM"],
        short_date: "dd/mm/yyyy",
        long_date: "dddd d mmmm yyyy",
        time: "hh:mm:ss",
        currency_first: false,
        sign_space: "\u{202F}",
        true_false: ["VRAI", "FAUX"],
    },
    Locale {
        tag: "de-DE",
        decimal: ",",
        group: ".",
        months: [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        months_short: ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"],
        days: ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
        days_short: ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"],
        am_pm: ["AM", "PM"],
        short_date: "dd.mm.yyyy",
        long_date: "dddd, d. mmmm yyyy",
        time: "hh:mm:ss",
        currency_first: false,
        sign_space: "\u{A0}",
        true_false: ["WAHR", "FALSCH"],
    },
    Locale {
        tag: "es-ES",
        decimal: ",",
        group: ".",
        months: [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
        months_short: ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"],
        days: ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"],
        days_short: ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"],
        am_pm: ["a. m.", "p. m."],
        short_date: "dd/mm/yyyy",
        long_date: "dddd, d \"de\" mmmm \"de\" yyyy",
        time: "h:mm:ss",
        currency_first: false,
        sign_space: "\u{A0}",
        true_false: ["VERDADERO", "FALSO"],
    },
    Locale {
        tag: "it-IT",
        decimal: ",",
        group: ".",
        months: [
            "gennaio",
            "febbraio",
            "marzo",
            "aprile",
            "maggio",
            "giugno",
            "luglio",
            "agosto",
            "settembre",
            "ottobre",
            "novembre",
            "dicembre",
        ],
        months_short: ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"],
        days: ["domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"],
        days_short: ["dom", "lun", "mar", "mer", "gio", "ven", "sab"],
        am_pm: ["AM", "PM"],
        short_date: "dd/mm/yyyy",
        long_date: "dddd d mmmm yyyy",
        time: "hh:mm:ss",
        currency_first: false,
        sign_space: "\u{A0}",
        true_false: ["VERO", "FALSO"],
    },
    Locale {
        tag: "nl-NL",
        decimal: ",",
        group: ".",
        months: [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ],
        months_short: ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
        days: ["zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"],
        days_short: ["zo", "ma", "di", "wo", "do", "vr", "za"],
        am_pm: ["a.m.", "p.m."],
        short_date: "d-m-yyyy",
        long_date: "dddd d mmmm yyyy",
        time: "hh:mm:ss",
        currency_first: true,
        sign_space: "\u{A0}",
        true_false: ["WAAR", "ONWAAR"],
    },
    Locale {
        tag: "pt-BR",
        decimal: ",",
        group: ".",
        months: [
            "janeiro",
            "fevereiro",
            "março",
            "abril",
            "maio",
            "junho",
            "julho",
            "agosto",
            "setembro",
            "outubro",
            "novembro",
            "dezembro",
        ],
        months_short: ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"],
        days: [
            "domingo",
            "segunda-feira",
            "terça-feira",
            "quarta-feira",
            "quinta-feira",
            "sexta-feira",
            "sábado",
        ],
        days_short: ["dom", "seg", "ter", "qua", "qui", "sex", "sáb"],
        am_pm: ["AM", "PM"],
        short_date: "dd/mm/yyyy",
        long_date: "dddd, d \"de\" mmmm \"de\" yyyy",
        time: "hh:mm:ss",
        currency_first: true,
        sign_space: "\u{A0}",
        true_false: ["VERDADEIRO", "FALSO"],
    },
];

impl Locale {
    /// Finds a locale by tag, case-insensitively; a language alone (`fr`) picks its first
    /// listed region. `None` for a locale localmerge does not know.
    pub fn find(tag: &str) -> Option<&'static Locale> {
        let tag = tag.trim().replace('_', "-");
        LOCALES.iter().find(|l| l.tag.eq_ignore_ascii_case(&tag)).or_else(|| {
            let lang = tag.split('-').next().unwrap_or("");
            LOCALES.iter().find(|l| l.tag.split('-').next().is_some_and(|x| x.eq_ignore_ascii_case(lang)))
        })
    }

    /// The shipped locale of a Windows locale identifier's language (`0x40C` French →
    /// fr-FR): month and day names are the language's, whatever its region.
    pub fn from_lcid(lcid: u32) -> Option<&'static Locale> {
        let tag = match lcid {
            0x809 | 0xC09 | 0x1409 | 0x1809 | 0x1C09 | 0x2009 | 0x4009 | 0x4809 => "en-GB",
            0x416 => "pt-BR",
            _ => match lcid & 0x3FF {
                0x09 => "en-US",
                0x0C => "fr-FR",
                0x07 => "de-DE",
                0x0A => "es-ES",
                0x10 => "it-IT",
                0x13 => "nl-NL",
                0x16 => "pt-BR",
                _ => return None,
            },
        };
        Locale::find(tag)
    }

    /// en-US, the default when the caller gives none.
    pub fn en_us() -> &'static Locale {
        &LOCALES[0]
    }
}

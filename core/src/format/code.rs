//! Parsing a format code into sections of tokens, and what each section is.
//!
//! The grammar is Excel's (Microsoft's "Review guidelines for customizing a number
//! format", ECMA-376 Part 1 §18.8.31): up to four sections split by unquoted `;`, each with
//! an optional colour and condition in brackets, quoted or escaped literal text, and the
//! placeholders of numbers, fractions, dates and times, text and General.

/// One section of a format code.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Section {
    pub(super) toks: Vec<Tok>,
    pub(super) cond: Option<(Cmp, f64)>,
    pub(super) kind: Kind,
    /// The `[$-xxxx]` locale identifier (LCID, with calendar and digit bytes), if any.
    pub(super) lcid: Option<u32>,
    /// Why Excel's rendering of this section cannot be reproduced, if it cannot.
    pub(super) unsupported: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Cmp {
    pub(super) fn test(self, v: f64, x: f64) -> bool {
        match self {
            Cmp::Lt => v < x,
            Cmp::Le => v <= x,
            Cmp::Gt => v > x,
            Cmp::Ge => v >= x,
            Cmp::Eq => v == x,
            Cmp::Ne => v != x,
        }
    }
}

/// What a section shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Nothing at all (an empty section: `#,##0;;` hides negatives).
    Empty,
    /// Only literal text (`"n/a"`): the number itself is not shown.
    Literal,
    /// `General`, with any literal text around it.
    General,
    /// Digit placeholders.
    Number,
    /// Digit placeholders with a `/`: a fraction.
    Fraction,
    /// A date, a time or a duration.
    Date,
    /// `@`: text.
    Text,
}

/// The AM/PM marker's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Marker {
    /// `AM/PM` in any case: the locale's designators.
    Locale,
    /// `A/P` (`true`) or `a/p`: one letter in the code's case.
    Letter(bool),
    /// A marker spelt in the code itself (`上午/下午`).
    Fixed(&'static str, &'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Lit(String),
    /// `0`, `#` or `?`.
    Digit(u8),
    Point,
    Comma,
    Percent,
    /// `E+`/`E-` (`true` when the sign is always shown).
    Exp(bool),
    Slash,
    Text,
    General,
    Year(u8),
    Month(u8),
    Day(u8),
    Hour(u8),
    Minute(u8),
    Second(u8),
    /// `[h]`, `[mm]`, `[ss]`: the unit and its width.
    Elapsed(u8, u8),
    /// `.0`, `.00`, `.000` after a time.
    SubSecond(u8),
    AmPm(Marker),
    /// `e` (1) or `ee` (2): the year of the era (in the Gregorian calendar, the year).
    EraYear(u8),
    /// `g`, `gg`, `ggg`: the Japanese era's letter, first character or name.
    EraName(u8),
    /// `e`, `ee` in a Japanese section (`[$-411]` or with an era name): the year of the
    /// Japanese era.
    JapaneseYear(u8),
    /// `b`/`bb` (2) or `bbb`/`bbbb` (4): the Buddhist year.
    Buddhist(u8),
    /// `[$-F800]`, `[$-x-sysdate]`: the reader's long date; the rest of the section is ignored.
    SysDate,
    /// `[$-F400]`, `[$-x-systime]`: the reader's time format.
    SysTime,
}

impl Tok {
    fn is_date(&self) -> bool {
        matches!(
            self,
            Tok::Year(_)
                | Tok::Month(_)
                | Tok::Day(_)
                | Tok::Hour(_)
                | Tok::Minute(_)
                | Tok::Second(_)
                | Tok::Elapsed(..)
                | Tok::SubSecond(_)
                | Tok::AmPm(_)
                | Tok::EraYear(_)
                | Tok::EraName(_)
                | Tok::JapaneseYear(_)
                | Tok::Buddhist(_)
                | Tok::SysDate
                | Tok::SysTime
        )
    }

    fn is_time(&self) -> bool {
        matches!(self, Tok::Hour(_) | Tok::Minute(_) | Tok::Second(_) | Tok::Elapsed(..) | Tok::SubSecond(_))
    }
}

/// AM/PM markers spelt in Chinese, Japanese and Korean codes.
const MARKERS: [(&str, &str); 3] = [("上午", "下午"), ("午前", "午後"), ("오전", "오후")];

/// Splits a code into its sections at unquoted, unescaped `;` (brackets included).
pub(super) fn split_sections(code: &str) -> Vec<&str> {
    let mut sections = Vec::new();
    let mut start = 0;
    let mut chars = code.char_indices();
    let mut quoted = false;
    let mut bracket = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '"' if !bracket => quoted = !quoted,
            '\\' | '_' | '*' if !quoted && !bracket => {
                chars.next();
            }
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            ';' if !quoted && !bracket => {
                sections.push(&code[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    sections.push(&code[start..]);
    sections
}

/// Parses one section.
pub(super) fn parse_section(src: &str) -> Section {
    let chars: Vec<char> = src.chars().collect();
    let mut toks: Vec<Tok> = Vec::new();
    let mut cond = None;
    let mut lcid = None;
    let mut unsupported = None;
    let lit = |toks: &mut Vec<Tok>, s: &str| match toks.last_mut() {
        Some(Tok::Lit(prev)) => prev.push_str(s),
        _ => toks.push(Tok::Lit(s.to_owned())),
    };
    let starts = |i: usize, word: &str| {
        let n = word.chars().count();
        i + n <= chars.len() && chars[i..i + n].iter().collect::<String>().eq_ignore_ascii_case(word)
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|x| x.eq_ignore_ascii_case(&c)).count();
        match c {
            '"' => {
                let end = chars[i + 1..].iter().position(|x| *x == '"').map_or(chars.len(), |p| i + 1 + p);
                lit(&mut toks, &chars[i + 1..end].iter().collect::<String>());
                i = end + 1;
            }
            '\\' => {
                if let Some(n) = chars.get(i + 1) {
                    lit(&mut toks, &n.to_string());
                }
                i += 2;
            }
            '_' => {
                if i + 1 < chars.len() {
                    lit(&mut toks, " ");
                }
                i += 2;
            }
            '*' => i += 2,
            '[' => {
                let end = chars[i + 1..].iter().position(|x| *x == ']').map_or(chars.len(), |p| i + 1 + p);
                let inner: String = chars[i + 1..end].iter().collect();
                bracket(&inner, &mut toks, &mut cond, &mut lcid, &mut unsupported);
                i = end + 1;
            }
            '0' | '#' | '?' => {
                toks.push(Tok::Digit(c as u8));
                i += 1;
            }
            '.' => {
                let zeros = chars[i + 1..].iter().take_while(|x| **x == '0').count();
                let after_time =
                    toks.iter().rev().find(|t| !matches!(t, Tok::Lit(_))).is_some_and(Tok::is_time);
                if zeros > 0 && after_time {
                    toks.push(Tok::SubSecond(zeros.min(3) as u8));
                    i += 1 + zeros;
                } else {
                    toks.push(Tok::Point);
                    i += 1;
                }
            }
            ',' => {
                toks.push(Tok::Comma);
                i += 1;
            }
            '%' => {
                toks.push(Tok::Percent);
                i += 1;
            }
            '/' => {
                toks.push(Tok::Slash);
                i += 1;
            }
            '@' => {
                toks.push(Tok::Text);
                i += 1;
            }
            'E' | 'e' if matches!(chars.get(i + 1), Some('+' | '-')) => {
                toks.push(Tok::Exp(chars[i + 1] == '+'));
                i += 2;
            }
            'G' | 'g' if starts(i, "general") => {
                toks.push(Tok::General);
                i += 7;
            }
            'A' | 'a' if starts(i, "am/pm") => {
                toks.push(Tok::AmPm(Marker::Locale));
                i += 5;
            }
            'A' | 'a' if starts(i, "a/p") => {
                toks.push(Tok::AmPm(Marker::Letter(c == 'A')));
                i += 3;
            }
            c if !c.is_ascii()
                && let Some(&(am, pm)) = MARKERS.iter().find(|(am, pm)| starts(i, &format!("{am}/{pm}"))) =>
            {
                toks.push(Tok::AmPm(Marker::Fixed(am, pm)));
                i += 5;
            }
            'y' | 'Y' => {
                toks.push(Tok::Year(if run <= 2 { 2 } else { 4 }));
                i += run;
            }
            'm' | 'M' => {
                toks.push(Tok::Month(run.min(5) as u8));
                i += run;
            }
            'd' | 'D' => {
                toks.push(Tok::Day(run.min(4) as u8));
                i += run;
            }
            'h' | 'H' => {
                toks.push(Tok::Hour(run.min(2) as u8));
                i += run;
            }
            's' | 'S' => {
                toks.push(Tok::Second(run.min(2) as u8));
                i += run;
            }
            'e' => {
                toks.push(Tok::EraYear(run.min(2) as u8));
                i += run;
            }
            'B' if matches!(chars.get(i + 1), Some('1' | '2')) => {
                if chars[i + 1] == '2' {
                    unsupported.get_or_insert("the Hijri calendar (B2)");
                }
                i += 2;
            }
            'b' | 'B' => {
                toks.push(Tok::Buddhist(if run <= 2 { 2 } else { 4 }));
                i += run;
            }
            'g' | 'G' => {
                toks.push(Tok::EraName(run.min(3) as u8));
                i += run;
            }
            _ => {
                lit(&mut toks, &c.to_string());
                i += 1;
            }
        }
    }
    minutes(&mut toks);
    // Japanese (0x0411) sections and sections naming an era count years by the Japanese
    // era; elsewhere `e` is the year.
    if lcid.is_some_and(|id| id & 0xFFFF == 0x0411) || toks.iter().any(|t| matches!(t, Tok::EraName(_))) {
        for t in &mut toks {
            if let Tok::EraYear(n) = *t {
                *t = Tok::JapaneseYear(n);
            }
        }
    }
    let kind = if toks.iter().any(Tok::is_date) {
        Kind::Date
    } else if toks.iter().any(|t| matches!(t, Tok::Digit(_))) {
        if is_fraction(&toks) { Kind::Fraction } else { Kind::Number }
    } else if toks.contains(&Tok::Text) {
        Kind::Text
    } else if toks.contains(&Tok::General) {
        Kind::General
    } else if toks.is_empty() && src.trim().is_empty() {
        Kind::Empty
    } else if toks.is_empty() && lcid.is_some() {
        Kind::Literal
    } else if toks.is_empty() {
        // Only a colour or a condition: General.
        toks.push(Tok::General);
        Kind::General
    } else {
        Kind::Literal
    };
    if kind != Kind::Fraction {
        // Outside a fraction, a slash is what it looks like.
        for t in &mut toks {
            if *t == Tok::Slash {
                *t = Tok::Lit("/".into());
            }
        }
    }
    Section { toks, cond, kind, lcid, unsupported }
}

/// A `/` right after a digit placeholder (literal spaces allowed between) is a fraction bar.
fn is_fraction(toks: &[Tok]) -> bool {
    toks.iter().enumerate().any(|(i, t)| {
        *t == Tok::Slash
            && toks[..i]
                .iter()
                .rev()
                .find(|t| !matches!(t, Tok::Lit(s) if s.trim().is_empty()))
                .is_some_and(|t| matches!(t, Tok::Digit(_)))
    })
}

/// `[Red]`, `[Color10]`, `[$€-40C]`, `[$-x-sysdate]`, `[h]`, `[>=100]`, `[DBNum1]`.
fn bracket(
    inner: &str,
    toks: &mut Vec<Tok>,
    cond: &mut Option<(Cmp, f64)>,
    lcid: &mut Option<u32>,
    unsupported: &mut Option<&'static str>,
) {
    let lower = inner.to_ascii_lowercase();
    if let Some(rest) = inner.strip_prefix('$') {
        let (symbol, locale) = rest.split_once('-').unwrap_or((rest, ""));
        if !symbol.is_empty() {
            match toks.last_mut() {
                Some(Tok::Lit(prev)) => prev.push_str(symbol),
                _ => toks.push(Tok::Lit(symbol.to_owned())),
            }
        }
        match locale.to_ascii_lowercase().as_str() {
            "x-sysdate" => toks.push(Tok::SysDate),
            "x-systime" => toks.push(Tok::SysTime),
            "" => {}
            hex => match u32::from_str_radix(hex, 16) {
                Ok(0xF800) => toks.push(Tok::SysDate),
                Ok(0xF400) => toks.push(Tok::SysTime),
                Ok(id) => *lcid = Some(id),
                Err(_) => {}
            },
        }
        return;
    }
    if !lower.is_empty() && lower.chars().all(|c| matches!(c, 'h' | 'm' | 's')) {
        let unit = lower.as_bytes()[0];
        if lower.bytes().all(|b| b == unit) {
            toks.push(Tok::Elapsed(unit, lower.len().min(9) as u8));
        }
        return;
    }
    if lower.starts_with("dbnum") || lower.starts_with("natnum") {
        unsupported.get_or_insert("native numerals ([DBNum], [NatNum])");
        return;
    }
    let ops =
        [("<=", Cmp::Le), (">=", Cmp::Ge), ("<>", Cmp::Ne), ("<", Cmp::Lt), (">", Cmp::Gt), ("=", Cmp::Eq)];
    for (op, cmp) in ops {
        if let Some(num) = inner.strip_prefix(op) {
            if let Ok(x) = num.trim().parse::<f64>() {
                *cond = Some((cmp, x));
            }
            return;
        }
    }
    // Colours do not change the text.
}

/// `m`/`mm` right after hours, or right before seconds, means minutes.
fn minutes(toks: &mut [Tok]) {
    let is_hour = |t: &Tok| matches!(t, Tok::Hour(_) | Tok::Elapsed(b'h', _));
    let is_sec = |t: &Tok| matches!(t, Tok::Second(_) | Tok::Elapsed(b's', _));
    let idx: Vec<usize> = (0..toks.len()).filter(|&i| !matches!(toks[i], Tok::Lit(_))).collect();
    for (k, &i) in idx.iter().enumerate() {
        if let Tok::Month(n) = toks[i]
            && n <= 2
        {
            let prev = k.checked_sub(1).map(|j| &toks[idx[j]]);
            let next = idx.get(k + 1).map(|&j| &toks[j]);
            if prev.is_some_and(is_hour) || next.is_some_and(is_sec) {
                toks[i] = Tok::Minute(n);
            }
        }
    }
}

/// Puts the day, month and year of `toks` in the order they take in `order` (a locale's
/// short date), each keeping its own width and the literal text between them its place.
/// Codes without exactly one of each are left alone.
pub(super) fn reorder_dates(toks: &mut [Tok], order: &[Tok]) {
    fn part(t: &Tok) -> Option<u8> {
        match t {
            Tok::Day(1 | 2) => Some(0),
            Tok::Month(_) => Some(1),
            Tok::Year(_) => Some(2),
            _ => None,
        }
    }
    let at: Vec<usize> = (0..toks.len()).filter(|&i| part(&toks[i]).is_some()).collect();
    let wanted: Vec<u8> = order.iter().filter_map(part).collect();
    let mut seen: Vec<u8> = at.iter().filter_map(|&i| part(&toks[i])).collect();
    seen.sort_unstable();
    if at.len() != 3 || seen != [0, 1, 2] || wanted.len() != 3 {
        return;
    }
    let parts: Vec<Tok> = wanted
        .iter()
        .filter_map(|w| at.iter().map(|&i| &toks[i]).find(|t| part(t) == Some(*w)).cloned())
        .collect();
    for (&i, t) in at.iter().zip(parts) {
        toks[i] = t;
    }
}

use super::*;

#[track_caller]
fn check(code: &str, v: f64, want: &str) {
    check_in(code, v, "en-US", want);
}

#[track_caller]
fn check_in(code: &str, v: f64, tag: &str, want: &str) {
    let locale = Locale::find(tag).expect("locale");
    let got = NumberFormat::parse(code).format_number(v, false, locale);
    assert_eq!(got, want, "format {code:?} value {v} locale {tag}");
}

#[test]
fn numbers() {
    for (code, v, want) in [
        ("0", 1234.5, "1235"),
        ("0", 2.5, "3"),
        ("0", -2.5, "-3"),
        ("0.00", 1.005, "1.01"),
        ("0.00", 0.125, "0.13"),
        ("0.00", -0.001, "0.00"),
        ("#,##0", 1234567.891, "1,234,568"),
        ("#,##0.00", 1234.5, "1,234.50"),
        ("#,##0.00", 0.5, "0.50"),
        ("#,##0", 0.0, "0"),
        ("#,###", 0.0, ""),
        ("00000", 501.0, "00501"),
        ("000-00-0000", 123456789.0, "123-45-6789"),
        ("(000) 000-0000", 5551234567.0, "(555) 123-4567"),
        ("0.###", 1.5, "1.5"),
        ("0.???", 1.5, "1.5  "),
        ("#.##", 0.5, ".5"),
        ("0%", 0.175, "18%"),
        ("0.0%", 0.175, "17.5%"),
        ("0.00E+00", 12345.0, "1.23E+04"),
        ("0.00E+00", 0.000123, "1.23E-04"),
        ("0.00E+00", 0.0, "0.00E+00"),
        ("##0.0E+0", 12345.0, "12.3E+3"),
        ("0.0,", 12345.0, "12.3"),
        ("#,##0,,\"M\"", 1234567890.0, "1,235M"),
        ("0\" kg\"", 12.0, "12 kg"),
        ("\"€\"#,##0.00", 1234.5, "€1,234.50"),
        ("[$€-40C]#,##0.00", 1234.5, "€1,234.50"),
        ("#,##0.00 [$€-40C]", -12.0, "-12.00 €"),
        ("#,##0;(#,##0);\"-\"", 1234.0, "1,234"),
        ("#,##0;(#,##0);\"-\"", -1234.0, "(1,234)"),
        ("#,##0;(#,##0);\"-\"", 0.0, "-"),
        ("#,##0.00_);[Red](#,##0.00)", -5.0, "(5.00)"),
        ("#,##0.00_);[Red](#,##0.00)", 5.0, "5.00 "),
        ("[Blue]0.0;[Red]-0.0", -1.25, "-1.3"),
        ("[>=1000]#,##0,\"k\";0", 12345.0, "12k"),
        ("[>=1000]#,##0,\"k\";0", 999.0, "999"),
        ("\\$0.00", 3.0, "$3.00"),
        ("0 \"items\"", 1.0, "1 items"),
    ] {
        check(code, v, want);
    }
}

#[test]
fn general_shows_up_to_eleven_characters() {
    for (v, want) in [
        (0.0, "0"),
        (1234.5, "1234.5"),
        (-0.1, "-0.1"),
        (1.0 / 3.0, "0.333333333"),
        (123456.7891234, "123456.7891"),
        (99999999999.0, "99999999999"),
        (123456789012.0, "1.23457E+11"),
        (0.000012345, "0.000012345"),
        (1.5e-10, "1.5E-10"),
        (1e20, "1E+20"),
    ] {
        check("General", v, want);
    }
    check_in("General", 1234.5, "fr-FR", "1234,5");
}

#[test]
fn dates_and_times() {
    let d = 45352.0; // 2024-03-01, a Friday
    for (code, v, want) in [
        ("dd/mm/yyyy", d, "01/03/2024"),
        ("d/m/yy", d, "1/3/24"),
        ("mmm d, yyyy", d, "Mar 1, 2024"),
        ("dddd, mmmm d, yyyy", d, "Friday, March 1, 2024"),
        ("ddd mmmmm", d, "Fri M"),
        ("yyyy-mm-dd hh:mm:ss", d + 0.5 + 1.0 / 86400.0, "2024-03-01 12:00:01"),
        ("h:mm AM/PM", 0.75, "6:00 PM"),
        ("h:mm AM/PM", 0.0, "12:00 AM"),
        ("hh:mm A/P", 0.25, "06:00 A"),
        ("h:mm", 0.999999, "0:00"),
        ("[h]:mm:ss", 1.5 + 1.0 / 86400.0, "36:00:01"),
        ("[mm]:ss", 0.0625, "90:00"),
        ("mm:ss.00", 1.2345 / 86400.0, "00:01.23"),
        ("m/d/yyyy", 60.0, "2/29/1900"),
        ("m/d/yyyy", 61.0, "3/1/1900"),
        ("dddd", 1.0, "Sunday"),
    ] {
        check(code, v, want);
    }
    let f1904 = NumberFormat::parse("yyyy-mm-dd dddd").format_number(0.0, true, Locale::en_us());
    assert_eq!(f1904, "1904-01-01 Friday");
}

#[test]
fn locales() {
    check_in("dddd d mmmm yyyy", 45352.0, "fr-FR", "vendredi 1 mars 2024");
    check_in("d mmm yyyy", 45352.0, "de-DE", "1 Mär 2024");
    check_in("#,##0.00", 1234567.891, "de-DE", "1.234.567,89");
    check_in("#,##0.00", 1234567.891, "fr-FR", "1\u{202F}234\u{202F}567,89");
    check_in("[$-x-sysdate]", 45352.0, "en-US", "Friday, March 1, 2024");
    check_in("[$-x-sysdate]", 45352.0, "es-ES", "viernes, 1 de marzo de 2024");
    check_in("h:mm AM/PM", 0.75, "es-ES", "6:00 p. m.");
    let short = |tag| builtin(14, Locale::find(tag).expect("locale")).expect("id 14");
    assert_eq!(short("en-US"), "m/d/yyyy");
    check_in(&short("en-GB"), 45352.0, "en-GB", "01/03/2024");
    check_in(&short("nl-NL"), 45352.0, "nl-NL", "1-3-2024");
    check_in(&short("pt-BR"), 45352.0, "pt-BR", "01/03/2024");
    assert_eq!(Locale::find("FR").map(|l| l.tag), Some("fr-FR"));
    let shown = |tag, b| {
        let mut s = String::new();
        CellText::new(&[], Locale::find(tag).expect("locale")).write(&crate::Value::Bool(b), 0, &mut s);
        s
    };
    assert_eq!(
        (shown("en-GB", true), shown("fr-FR", false), shown("de-DE", true)),
        ("TRUE".into(), "FAUX".into(), "WAHR".into())
    );
    assert_eq!(Locale::find("it_IT").map(|l| l.tag), Some("it-IT"));
    assert!(Locale::find("tlh-QO").is_none());
}

#[test]
fn text_sections() {
    let f = NumberFormat::parse("0.00;-0.00;0;\"Note: \"@");
    assert_eq!(f.format_text("hello"), "Note: hello");
    assert_eq!(NumberFormat::parse("@").format_text("00501"), "00501");
    assert!(NumberFormat::parse("@").is_text());
    assert_eq!(NumberFormat::parse("0.00").format_text("abc"), "abc");
    assert!(NumberFormat::parse("dd/mm/yyyy;@").is_date());
}

#[test]
fn hostile_codes_never_panic() {
    for code in [
        "",
        ";;;;",
        "[",
        "\"",
        "\\",
        "_",
        "*",
        "0.0.0",
        "E+",
        "0E+",
        "[h",
        "[>=abc]0",
        "#,##0,,,,,,,,,,",
        "yyyyyyyyyyyy",
        "[hhhhhhhhhhhhhhhhhhhh]",
    ] {
        let f = NumberFormat::parse(code);
        for v in [0.0, -1.5, 1e300, -1e-300, 45352.5, f64::MAX, f64::MIN_POSITIVE] {
            let _ = f.format_number(v, false, Locale::en_us());
            let _ = f.format_number(v, true, Locale::en_us());
        }
        let _ = f.format_text("x");
    }
}

proptest::proptest! {
    /// General's fast path (shortest round-trip digits) agrees with the full rule.
    #[test]
    fn general_fast_path_matches_the_rule(
        m in -1_000_000_000i64..1_000_000_000i64,
        e in -12i32..12,
        tag in proptest::sample::select(vec!["en-US", "fr-FR"]),
    ) {
        let v = m as f64 * 10f64.powi(e);
        let locale = Locale::find(tag).expect("locale");
        let mut fast = String::new();
        general_into(v, locale, &mut fast);
        proptest::prop_assert_eq!(fast, number::general_slow(v, locale), "{}", v);
    }
}

#[track_caller]
fn unshown(code: &str, v: f64, tag: &str) -> Unshown {
    let locale = Locale::find(tag).expect("locale");
    let f = NumberFormat::parse(code);
    let mut out = String::new();
    let err = f.render(v, false, locale, &mut out).expect_err(code);
    assert_eq!(f.check(v, false, locale), Err(err.clone()), "check agrees with render for {code}");
    assert_eq!(f.format_number(v, false, locale), "########", "{code}");
    err
}

/// One example of each class of the "every value as Excel shows it" issue, with Excel's text.
#[test]
fn each_class_shows_as_excel() {
    for (code, v, want) in [
        // General: 11 characters, scientific for small magnitudes too; `@` and General
        // inside a longer code alike.
        ("General", 0.0000123456, "1.23456E-05"),
        ("@", 0.0000123456, "1.23456E-05"),
        ("\"≈ \"General", 0.0000123456, "≈ 1.23456E-05"),
        ("General", 123456789012.0, "1.23457E+11"),
        // Empty sections show nothing.
        ("#,###;;", -12.34, ""),
        ("0;-0;;@", 0.0, ""),
        (";;;", 5.0, ""),
        // No integer placeholder: the integer digits still show.
        (".00", 1.14159, "1.14"),
        (".0#", 1.14159, "1.14"),
        // Literal text around General.
        ("General\" kg\"", 12.0, "12 kg"),
        ("\"Total: \"General", 12.5, "Total: 12.5"),
        // Day 0 and the edges of the 1900 system.
        ("m/d/yyyy h:mm", 0.5, "1/0/1900 12:00"),
        ("dddd", 0.0, "Saturday"),
        ("m/d/yyyy", 60.0, "2/29/1900"),
        ("m/d/yyyy", 2958465.0, "12/31/9999"),
        // Built-in 47.
        (&builtin(47, Locale::en_us()).expect("47"), 17.0 / 1440.0 + 42.7 / 86400.0, "17:42.7"),
        // System formats replace the whole section.
        ("[$-x-sysdate]dddd, mmmm dd, yyyy", 45352.0, "Friday, March 1, 2024"),
        ("[$-x-systime]h:mm:ss AM/PM", 45352.75, "6:00:00 PM"),
        ("[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy", 45352.0, "Friday, March 1, 2024"),
        ("[$-F400]h:mm:ss\\ AM/PM", 0.25, "6:00:00 AM"),
        // AM/PM markers.
        ("h A/P", 0.75, "6 P"),
        ("h a/p", 0.25, "6 a"),
        ("[$-804]上午/下午h\"时\"mm\"分\"", 0.75, "下午6时00分"),
        // Fractions.
        ("# ?/?", 1.5, "1 1/2"),
        ("# ??/??", 1.14159, "1  1/7 "),
        ("?/8", 0.375, "3/8"),
        ("# ?/16", 2.5, "2 8/16"),
        ("??/??", 1.5, " 3/2 "),
        // Calendar codes of the Gregorian calendar: the era's year and the Buddhist year.
        ("e", 45352.0, "2024"),
        ("bbbb", 45352.0, "2567"),
        ("B1yyyy", 45352.0, "2024"),
        // Month names of the section's locale, whatever the reader's.
        ("[$-40C]d mmmm yyyy", 45352.0, "1 mars 2024"),
        ("[$-407]dddd", 45352.0, "Freitag"),
        ("[$-411]yyyy/mm/dd", 45352.0, "2024/03/01"),
    ] {
        check(code, v, want);
    }
    check_in("[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy", 45352.0, "fr-FR", "vendredi 1 mars 2024");
    check_in("[$-F400]h:mm:ss\\ AM/PM", 0.25, "de-DE", "06:00:00");
    assert_eq!(NumberFormat::parse(";;;").format_text("text"), "");
    assert_eq!(
        NumberFormat::parse("\"a\";\"b\";\"c\";\"d\"").format_text("text"),
        "d",
        "a fourth section without @"
    );
    // An `@` third section: zero takes the first section.
    check("0.0;(0.0);@", 0.0, "0.0");
}

#[test]
fn what_excel_does_not_show_or_localmerge_cannot_is_said() {
    assert_eq!(unshown("m/d/yyyy", -1.0, "en-US"), Unshown::OutOfRange);
    assert_eq!(unshown("m/d/yyyy", 2958466.0, "en-US"), Unshown::OutOfRange);
    assert_eq!(unshown("[h]:mm", -0.5, "en-US"), Unshown::OutOfRange);
    for code in ["B2yyyy-mm-dd", "[$-411]mmmm", "[$-D000000]0", "[DBNum1]0", "[$-60000]yyyy"] {
        assert!(matches!(unshown(code, 45352.0, "en-US"), Unshown::Unsupported(_)), "{code}");
    }
    // 9999-12-31 is the last day; in the 1904 system too.
    let f = NumberFormat::parse("yyyy-mm-dd");
    assert_eq!(f.format_number(2958465.0 - 1462.0, true, Locale::en_us()), "9999-12-31");
    assert_eq!(f.check(2958466.0 - 1462.0, true, Locale::en_us()), Err(Unshown::OutOfRange));
}

#[test]
fn builtin_ids_follow_microsofts_list() {
    let en = Locale::en_us();
    let id = |n| builtin(n, en).expect("a built-in");
    assert_eq!(id(47), "mm:ss.0");
    assert_eq!(id(41), "_(* #,##0_);_(* \\(#,##0\\);_(* \"-\"_);_(@_)");
    for n in [27, 31, 36, 50, 58] {
        assert_eq!(id(n), "m/d/yyyy", "{n} is the short date outside East Asian locales");
    }
    assert_eq!(id(32), "h:mm:ss");
    assert!(builtin(23, en).is_none() && builtin(59, en).is_none());
    check(&id(43), -1234.5, " (1,234.50)");
    check(&id(44), 0.0, " $-   ");
    let fr = Locale::find("fr-FR").expect("fr");
    assert_eq!(builtin(14, fr).as_deref(), Some("dd/mm/yyyy"));
}

#[test]
fn displayed_values_of_cells() {
    use crate::Value;
    use crate::value::{DateKind, ExcelDate};
    let formats = [
        CellFormat::Code("General".into()),
        CellFormat::Code("[Red][<-25]General;[Blue][>25]General;[Green]General;[Yellow]General".into()),
        CellFormat::Code("yyyy-mm-dd".into()),
    ];
    let shown = |d: &CellText, v: &Value, style| {
        let mut s = String::new();
        d.write(v, style, &mut s);
        s
    };
    let display = CellText::new(&formats, Locale::en_us());
    // A reader that took a coloured, conditional code for a date still shows a number.
    let date = Value::Date(ExcelDate { serial: 50.0, is_1904: false, kind: DateKind::DateTime });
    assert_eq!(shown(&display, &date, 1), "50");
    // A number under a date format counts days in the workbook's date system.
    assert_eq!(shown(&display, &Value::Float(0.0), 2), "1900-01-00");
    assert_eq!(shown(&display.clone().date_system(true), &Value::Float(0.0), 2), "1904-01-01");
    assert_eq!(shown(&display, &Value::Float(-3.0), 2), "########");
    assert_eq!(display.check(&Value::Float(-3.0), 2), Err(Unshown::OutOfRange));
    assert_eq!(display.check(&Value::Text("x".into()), 2), Ok(()));
}

proptest::proptest! {
    /// General never shows more than 11 characters (the sign aside), and what it shows
    /// reads back as the value to its six significant digits.
    #[test]
    fn general_fits_and_agrees_with_the_value(
        m in 1.0f64..10.0,
        e in -300i32..300,
        neg in proptest::bool::ANY,
    ) {
        let v = if neg { -m } else { m } * 10f64.powi(e);
        proptest::prop_assume!(v.is_finite() && v != 0.0);
        let text = general(v, Locale::en_us());
        let digits = text.trim_start_matches('-');
        proptest::prop_assert!(digits.len() <= 11, "{} shows {}", v, text);
        let back: f64 = text.parse().expect("General reads back as a number");
        let tolerance = if e.abs() >= 100 { 5e-5 } else { 5e-6 };
        proptest::prop_assert!(((back - v) / v).abs() <= tolerance, "{} shows {}", v, text);
        // In scientific form, General and `0.00000E+00` show the same digits.
        if let Some((mantissa, exp)) = digits.split_once('E') {
            let sci = NumberFormat::parse("0.00000E+00").format_number(v.abs(), false, Locale::en_us());
            let (m2, e2) = sci.split_once('E').expect("scientific");
            let m2 = m2.trim_end_matches('0').trim_end_matches('.');
            if e.abs() < 100 {
                proptest::prop_assert_eq!((mantissa, exp), (m2, e2), "{}", v);
            }
        }
    }
}

#[test]
fn an_automatic_order_date_takes_the_readers_order() {
    let f = CellFormat::LocaleOrder("d\" \"mmm\" \"yy".into());
    let shown = |tag| {
        f.resolve(Locale::find(tag).expect("locale")).format_number(
            45352.0,
            false,
            Locale::find(tag).expect("locale"),
        )
    };
    assert_eq!(shown("en-US"), "Mar 1 24");
    assert_eq!(shown("en-GB"), "1 Mar 24");
    assert_eq!(shown("fr-FR"), "1 mars 24");
    // A style in a language of its own takes that language's order.
    let french = CellFormat::LocaleOrder("[$-40C]mmmm\" \"d\" \"yyyy".into()).resolve(Locale::en_us());
    assert_eq!(french.format_number(45352.0, false, Locale::en_us()), "1 mars 2024");
    // Not exactly one day, month and year: left as written.
    let g = CellFormat::LocaleOrder("mmm yy".into()).resolve(Locale::en_us());
    assert_eq!(g.format_number(45352.0, false, Locale::en_us()), "Mar 24");
}

//! The built-in format ids (ECMA-376 §18.8.30, ids 0–81): their codes, some following the
//! reader's regional settings.

use super::Locale;

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

//! Any number format code, applied to awkward numbers in every locale, and any date
//! pattern through the `date` formatter's parser: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use localmerge_core::format::{LOCALES, NumberFormat, format_date_pattern};

fuzz_target!(|data: &[u8]| {
    let Ok(code) = std::str::from_utf8(data) else { return };
    let f = NumberFormat::parse(code);
    for v in [0.0, -0.0, 1.5, -1234.5678, 45352.75, 1e-300, 1e300, f64::MAX, f64::NAN, f64::INFINITY, 60.0, -1.0] {
        for locale in &LOCALES {
            let _ = f.format_number(v, false, locale);
            let _ = f.format_number(v, true, locale);
            let _ = format_date_pattern(v, false, code, locale);
        }
    }
    let _ = f.format_text(code);
});

//! Any number format code, applied to awkward numbers in every locale (rendered, checked
//! and as text), and any date pattern through the `date` formatter's parser: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use localmerge_core::format::{LOCALES, NumberFormat, format_date_pattern};

fuzz_target!(|data: &[u8]| {
    let Ok(code) = std::str::from_utf8(data) else { return };
    let f = NumberFormat::parse(code);
    for v in [
        0.0,
        -0.0,
        1.5,
        -1234.5678,
        45352.75,
        0.123251512342345,
        2958465.999999,
        1e15,
        1e-300,
        1e300,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        f64::NAN,
        f64::INFINITY,
        60.0,
        -1.0,
    ] {
        for locale in &LOCALES {
            for is_1904 in [false, true] {
                let _ = f.format_number(v, is_1904, locale);
                let _ = f.check(v, is_1904, locale);
            }
            let _ = format_date_pattern(v, false, code, locale);
        }
    }
    let _ = f.format_text(code);
});

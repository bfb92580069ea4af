//! BIFF5 (Excel 5 and 95) text in the code page the workbook declares.
//!
//! calamine decodes a BIFF5 workbook's byte strings with encoding_rs, which knows the
//! Windows code pages and a few Mac ones; any other declared code page (the DOS ones, Mac
//! Central European, Greek, Turkish…) makes it refuse the whole file ("Codepage 272D not
//! found"). Excel reads them. So the xls walk tells calamine the workbook is Windows-1252,
//! which maps every byte to its own character, and each string calamine returns is mapped
//! back to its bytes and decoded with the real code page's table (`code_pages.rs`,
//! generated from the Unicode Consortium's mappings). Code pages that differ from one
//! encoding_rs knows only by their number are declared as that one instead.

/// What the walk does with a BIFF5 workbook's CODEPAGE record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    /// calamine decodes it: left as it is.
    Keep,
    /// No decoder here knows it.
    Unknown,
    /// Declared as this code page, the same encoding by another number.
    Declare(u16),
    /// Declared as Windows-1252, and every string decoded again with this table.
    Redecode(CodePage),
}

/// A single-byte code page calamine lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CodePage {
    upper: &'static [u16; 128],
}

/// Windows-1252's number.
pub(super) const WINDOWS_1252: u16 = 1252;

pub(super) fn plan(code_page: u16) -> Plan {
    if code_page != 0x8000
        && let Some(table) = table(code_page)
    {
        return Plan::Redecode(table);
    }
    match code_page {
        // MS-XLS CODEPAGE: 0x8000 is Mac Roman, 0x8001 Windows-1252 (BIFF2 and BIFF3).
        0x8000 => Plan::Declare(10000),
        0x8001 => Plan::Declare(WINDOWS_1252),
        // Apple's CJK code pages are Shift_JIS, Big5, EUC-KR and GB 2312 with a few
        // vendor characters added.
        10001 => Plan::Declare(932),
        10002 => Plan::Declare(950),
        10003 => Plan::Declare(949),
        10008 => Plan::Declare(936),
        _ if codepage::to_encoding(code_page).is_some() => Plan::Keep,
        _ => Plan::Unknown,
    }
}

/// The table of a single-byte code page (Apple's 0x8000 is Mac Roman), if one is held.
pub(super) fn table(code_page: u16) -> Option<CodePage> {
    let code_page = if code_page == 0x8000 { 10000 } else { code_page };
    super::code_pages::UPPER_HALVES
        .iter()
        .find(|(cp, _)| *cp == code_page)
        .map(|(_, upper)| CodePage { upper })
}

impl CodePage {
    /// The text whose bytes calamine decoded as Windows-1252, decoded with this code page.
    pub(super) fn redecode(&self, as_1252: &str) -> String {
        as_1252
            .chars()
            .map(|c| match super::delimited::windows_1252_byte(c) {
                Some(b @ 0x80..) => char::from_u32(u32::from(self.upper[usize::from(b - 0x80)]))
                    .unwrap_or(char::REPLACEMENT_CHARACTER),
                // ASCII, or a character no byte gave (calamine's own text): as it is.
                _ => c,
            })
            .collect()
    }

    /// Decodes bytes of this code page.
    pub(super) fn decode(&self, bytes: &[u8]) -> String {
        self.redecode(&super::delimited::windows_1252(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(cp: u16) -> CodePage {
        match plan(cp) {
            Plan::Redecode(t) => t,
            other => panic!("{cp}: {other:?}"),
        }
    }

    #[test]
    fn legacy_code_pages_decode_as_their_mappings_say() {
        // Bytes and characters from the Unicode Consortium's mapping files.
        assert_eq!(table(10029).decode(b"\x80\x81\x89 Zo\x97"), "ÄĀČ Zoó");
        assert_eq!(table(850).decode(b"Se\xa4or \x9c"), "Señor £");
        assert_eq!(table(10006).decode(b"\xa1\xe1"), "Γα");
        assert_eq!(table(437).decode(b"caf\x82"), "café");
        // Every byte survives the round trip through calamine's Windows-1252 text.
        let all: Vec<u8> = (0..=255).collect();
        let via_1252 = super::super::delimited::windows_1252(&all);
        assert_eq!(table(10029).redecode(&via_1252), table(10029).decode(&all));
        assert_eq!(table(10029).decode(&all).chars().count(), 256);
    }

    #[test]
    fn other_numbers_for_known_encodings_are_declared() {
        assert_eq!(plan(0x8000), Plan::Declare(10000));
        assert_eq!(plan(10001), Plan::Declare(932));
        assert_eq!(plan(1252), Plan::Keep);
        assert_eq!(plan(1200), Plan::Keep);
        assert_eq!(plan(10021), Plan::Unknown, "Mac Thai");
    }
}

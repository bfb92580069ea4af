//! Delimited text (CSV, TSV, TXT): encoding detection, delimiter sniffing, parsing.

use std::fmt;
use std::ops::ControlFlow;

use super::ReadError;
use super::cells::HandOver;
use crate::table::{Region, Table, TableBuilder};
use crate::value::Value;

/// The text encoding a delimited file was read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// UTF-16 little-endian, with a byte-order mark.
    Utf16Le,
    /// UTF-16 big-endian, with a byte-order mark.
    Utf16Be,
    /// UTF-16 little-endian without a byte-order mark (recognised by its zero bytes).
    Utf16LeNoBom,
    /// UTF-16 big-endian without a byte-order mark.
    Utf16BeNoBom,
    /// UTF-32 little-endian, with a byte-order mark.
    Utf32Le,
    /// UTF-32 big-endian, with a byte-order mark.
    Utf32Be,
    /// Windows-1252, what Excel's "CSV" writes on Western Windows systems.
    Windows1252,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Utf16LeNoBom => "UTF-16LE (no byte-order mark)",
            Encoding::Utf16BeNoBom => "UTF-16BE (no byte-order mark)",
            Encoding::Utf32Le => "UTF-32LE",
            Encoding::Utf32Be => "UTF-32BE",
            Encoding::Windows1252 => "windows-1252",
        })
    }
}

/// A field delimiter localmerge recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiter(pub u8);

impl Delimiter {
    /// The delimiters tried when sniffing, in order of preference on a tie.
    pub const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
}

impl fmt::Display for Delimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            b'\t' => f.write_str("tab"),
            c => write!(f, "{}", c as char),
        }
    }
}

pub(super) struct Text {
    pub(super) encoding: Encoding,
    pub(super) delimiter: Delimiter,
    /// The text after any `sep=` line.
    body: String,
    /// Rows taken by a leading `sep=` line (it is row 1 in Excel too).
    skipped_rows: u32,
}

impl Text {
    pub(super) fn decode(bytes: &[u8]) -> Text {
        let (text, encoding) = decode(bytes);
        let (body, hint, skipped_rows) = split_sep_line(text);
        let delimiter = hint.unwrap_or_else(|| sniff_delimiter(&body));
        Text { encoding, delimiter, body, skipped_rows }
    }

    pub(super) fn table(&self, sheet: &str, region: &Region) -> Result<Option<Table>, ReadError> {
        let (builder, _) = self.rows(region, |_| ControlFlow::Continue(()));
        builder.finish(sheet.to_owned(), general(), false)
    }

    /// The table of `region`, its rows handed over as they are read ([`HandOver`]).
    pub(super) fn stream(
        &self,
        sheet: &str,
        region: &Region,
        hand_over: &mut HandOver<'_>,
    ) -> ControlFlow<(), Result<Option<Table>, ReadError>> {
        let formats = general();
        let (builder, read) = self.rows(region, |builder| hand_over.step(builder, sheet, &formats, false));
        read?;
        ControlFlow::Continue(builder.finish(sheet.to_owned(), formats, false))
    }

    /// Reads the records into a table of `region`, `after` told after each one (a `Break`
    /// stops the read, and is returned beside the table).
    fn rows(
        &self,
        region: &Region,
        after: impl FnMut(&mut TableBuilder) -> ControlFlow<()>,
    ) -> (TableBuilder, ControlFlow<()>) {
        parse_rows(&self.body, self.delimiter, self.skipped_rows, region, after)
    }
}

/// A text file's only number format: General (every cell is text).
fn general() -> Vec<crate::format::CellFormat> {
    vec![crate::format::CellFormat::Code("General".into())]
}

/// Decodes bytes: a BOM decides; else zero bytes at every other position are UTF-16
/// without a BOM; else valid UTF-8 is UTF-8; else Windows-1252.
pub(crate) fn decode(bytes: &[u8]) -> (String, Encoding) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return (String::from_utf8_lossy(rest).into_owned(), Encoding::Utf8);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE\0\0") {
        return (utf32(rest, u32::from_le_bytes), Encoding::Utf32Le);
    }
    if let Some(rest) = bytes.strip_prefix(b"\0\0\xFE\xFF") {
        return (utf32(rest, u32::from_be_bytes), Encoding::Utf32Be);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return (utf16(rest, u16::from_le_bytes), Encoding::Utf16Le);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return (utf16(rest, u16::from_be_bytes), Encoding::Utf16Be);
    }
    match utf16_without_bom(bytes) {
        Some(Encoding::Utf16LeNoBom) => return (utf16(bytes, u16::from_le_bytes), Encoding::Utf16LeNoBom),
        Some(_) => return (utf16(bytes, u16::from_be_bytes), Encoding::Utf16BeNoBom),
        None => {}
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), Encoding::Utf8),
        Err(_) => (windows_1252(bytes), Encoding::Windows1252),
    }
}

// The two legacy decoders are written here rather than taken from encoding_rs: its
// decoders dispatch over every encoding at run time, which links all its code pages (about
// 90 KB of the add-in's gzipped module) for what is one standard-library call and one
// 32-entry table. Tests compare both with encoding_rs. The xls reader's BIFF5 strings use
// the same Windows-1252 decoder.

/// UTF-16 code units to text; an unpaired surrogate or a last odd byte becomes U+FFFD
/// (one for both when the text ends with a lone high surrogate and an odd byte).
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|p| unit([p[0], p[1]]));
    let ends_in_lead = units.clone().next_back().is_some_and(|u| (0xD800..0xDC00).contains(&u));
    let mut s: String = char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
    if bytes.len() % 2 == 1 && !ends_in_lead {
        s.push(char::REPLACEMENT_CHARACTER);
    }
    s
}

/// UTF-16 without a byte-order mark: in the first 4 KB, most bytes at one parity are zero
/// (the high bytes of Latin text) and almost none at the other. `None` for anything else.
fn utf16_without_bom(bytes: &[u8]) -> Option<Encoding> {
    let head = &bytes[..bytes.len().min(4096) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let zeros = |parity: usize| head.iter().skip(parity).step_by(2).filter(|b| **b == 0).count();
    let (even, odd) = (zeros(0), zeros(1));
    if odd * 10 >= pairs * 3 && even * 50 <= pairs {
        Some(Encoding::Utf16LeNoBom)
    } else if even * 10 >= pairs * 3 && odd * 50 <= pairs {
        Some(Encoding::Utf16BeNoBom)
    } else {
        None
    }
}

/// UTF-32 code units to text; an invalid one, or a last partial unit, becomes U+FFFD.
fn utf32(bytes: &[u8], unit: fn([u8; 4]) -> u32) -> String {
    let mut s: String = bytes
        .chunks_exact(4)
        .map(|c| char::from_u32(unit([c[0], c[1], c[2], c[3]])).unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    if !bytes.len().is_multiple_of(4) {
        s.push(char::REPLACEMENT_CHARACTER);
    }
    s
}

/// Windows-1252's characters for the bytes 0x80–0x9F.
const HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', '\u{90}',
    '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// Windows-1252 as the WHATWG Encoding Standard defines it: Latin-1, except 0x80–0x9F.
pub(crate) fn windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// The byte Windows-1252 (as `windows_1252` decodes it) maps to `c`, if any.
#[cfg(feature = "all-formats")]
pub(crate) fn windows_1252_byte(c: char) -> Option<u8> {
    match u32::from(c) {
        // 0x81, 0x8D, 0x8F, 0x90 and 0x9D decode to themselves; the other C1 code points
        // are no byte's character.
        n @ (0x81 | 0x8D | 0x8F | 0x90 | 0x9D) => u8::try_from(n).ok(),
        0x80..=0x9F => None,
        n @ 0..=0xFF => u8::try_from(n).ok(),
        _ => HIGH.iter().position(|&h| h == c).and_then(|i| u8::try_from(0x80 + i).ok()),
    }
}

/// Excel reads and writes a first line `sep=;` naming the delimiter.
fn split_sep_line(text: String) -> (String, Option<Delimiter>, u32) {
    let line_end = text.find('\n').unwrap_or(text.len());
    let first_line = text[..line_end].trim_end_matches('\r');
    if let Some(rest) = first_line.strip_prefix("sep=")
        && let [b] = rest.as_bytes()
    {
        let body = text[(line_end + 1).min(text.len())..].to_owned();
        return (body, Some(Delimiter(*b)), 1);
    }
    (text, None, 0)
}

/// How many records the sniffer looks at.
const SNIFF_RECORDS: usize = 50;

/// Picks the delimiter that splits the header into several fields and gives the most
/// records the header's field count (quotes respected, so a `;` inside a quoted field
/// does not count).
pub(crate) fn sniff_delimiter(text: &str) -> Delimiter {
    let mut best: Option<((usize, usize), u8)> = None;
    for &d in &Delimiter::CANDIDATES {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(d)
            .from_reader(text.as_bytes());
        let counts: Vec<usize> = reader
            .records()
            .take(SNIFF_RECORDS)
            .filter_map(Result::ok)
            .filter(|r| !(r.len() == 1 && r.get(0).is_some_and(|f| f.trim().is_empty())))
            .map(|r| r.len())
            .collect();
        let Some(&header) = counts.first() else { continue };
        if header < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == header).count();
        let score = (consistent, header);
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, d));
        }
    }
    Delimiter(best.map_or(b',', |(_, d)| d))
}

fn parse_rows(
    body: &str,
    delimiter: Delimiter,
    skipped_rows: u32,
    region: &Region,
    mut after: impl FnMut(&mut TableBuilder) -> ControlFlow<()>,
) -> (TableBuilder, ControlFlow<()>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter.0)
        .from_reader(body.as_bytes());
    let mut builder = TableBuilder::new(*region);
    // Excel shows one row per line, blank lines included, but a record whose quoted
    // fields hold line breaks is still one row. csv's own line counter skips blank lines,
    // so the row is derived from the record's byte offset instead.
    let mut breaks_before = 0u64;
    let mut counted_to = 0usize;
    let mut quoted_breaks = 0u64;
    let mut record = csv::StringRecord::new();
    // Decoding already produced valid UTF-8, so a read error cannot happen; were one to,
    // reading stops cleanly rather than panicking.
    while let Ok(true) = reader.read_record(&mut record) {
        // csv reports where it began scanning: before skipped blank lines and before the
        // `\n` of a CRLF. The record itself starts at the first byte that is no line break.
        let scan = (record.position().map_or(0, |p| p.byte()) as usize).clamp(counted_to, body.len());
        let start = body.as_bytes()[scan..]
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .map_or(body.len(), |k| scan + k);
        breaks_before += count_breaks(body.as_bytes().get(counted_to..start).unwrap_or_default());
        counted_to = start;
        let row = breaks_before - quoted_breaks + 1 + u64::from(skipped_rows);
        quoted_breaks += record.iter().map(|f| count_breaks(f.as_bytes())).sum::<u64>();
        let cells = record
            .iter()
            .enumerate()
            .map(|(i, f)| (u32::try_from(i).unwrap_or(u32::MAX), Value::Text(f.to_owned()), 0))
            .collect();
        builder.push_row(u32::try_from(row).unwrap_or(u32::MAX), cells);
        if after(&mut builder).is_break() {
            return (builder, ControlFlow::Break(()));
        }
    }
    (builder, ControlFlow::Continue(()))
}

/// Line breaks in `bytes`: `\n`, `\r\n` and a lone `\r` each count once.
fn count_breaks(bytes: &[u8]) -> u64 {
    let lf = memchr::memchr_iter(b'\n', bytes).count();
    let lone_cr = memchr::memchr_iter(b'\r', bytes).filter(|&i| bytes.get(i + 1) != Some(&b'\n')).count();
    (lf + lone_cr) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn windows_1252_is_decoded_as_encoding_rs_does_for_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(windows_1252(&all), encoding_rs::WINDOWS_1252.decode(&all).0);
    }

    #[cfg(feature = "all-formats")]
    #[test]
    fn every_windows_1252_character_maps_back_to_its_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let back: Vec<Option<u8>> = windows_1252(&all).chars().map(windows_1252_byte).collect();
        assert_eq!(back, all.iter().copied().map(Some).collect::<Vec<_>>(), "every byte maps back");
        assert_eq!(windows_1252_byte('\u{80}'), None);
        assert_eq!(windows_1252_byte('Ā'), None);
    }

    proptest! {
        #[test]
        fn utf16_is_decoded_as_encoding_rs_does(bytes in proptest::collection::vec(any::<u8>(), 0..64), wide in any::<bool>()) {
            // Surrogates, paired and not, are what differ between decoders: make them common.
            let bytes: Vec<u8> = bytes.iter().enumerate().map(|(i, &b)| if wide && i % 4 == 1 { 0xD8 | (b & 7) } else { b }).collect();
            prop_assert_eq!(utf16(&bytes, u16::from_le_bytes), encoding_rs::UTF_16LE.decode_without_bom_handling(&bytes).0);
            prop_assert_eq!(utf16(&bytes, u16::from_be_bytes), encoding_rs::UTF_16BE.decode_without_bom_handling(&bytes).0);
        }
    }

    fn table(bytes: &[u8]) -> (Table, Encoding, Delimiter) {
        let t = Text::decode(bytes);
        (t.table("csv", &Region::default()).expect("reads").expect("table"), t.encoding, t.delimiter)
    }

    #[test]
    fn french_excel_semicolons_in_windows_1252() {
        let bytes = b"Pr\xe9nom;Email;Montant\r\nAndr\xe9;andre@exemple.fr;1,5\r\n";
        let (t, enc, d) = table(bytes);
        assert_eq!(enc, Encoding::Windows1252);
        assert_eq!(d, Delimiter(b';'));
        assert_eq!(t.columns[0].name, "Prénom");
        assert_eq!(t.rows[0].values[0], Value::Text("André".into()));
        assert_eq!(t.rows[0].values[2], Value::Text("1,5".into()));
    }

    #[test]
    fn utf16_with_bom_and_tabs() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "Email\tName\na@x.org\tZoë\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let (t, enc, d) = table(&bytes);
        assert_eq!((enc, d), (Encoding::Utf16Le, Delimiter(b'\t')));
        assert_eq!(t.rows[0].values[1], Value::Text("Zoë".into()));
    }

    #[test]
    fn utf32_and_utf16_without_a_bom_are_recognised() {
        let text = "Email\tName\na@x.org\tZoë\n";
        let utf32 = |le: bool, bom: bool| -> Vec<u8> {
            let mut bytes: Vec<u8> = Vec::new();
            for c in std::iter::once('\u{FEFF}').filter(|_| bom).chain(text.chars()) {
                bytes.extend_from_slice(&if le {
                    (c as u32).to_le_bytes()
                } else {
                    (c as u32).to_be_bytes()
                });
            }
            bytes
        };
        let utf16 = |le: bool| -> Vec<u8> {
            text.encode_utf16().flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() }).collect()
        };
        for (bytes, want) in [
            (utf32(true, true), Encoding::Utf32Le),
            (utf32(false, true), Encoding::Utf32Be),
            (utf16(true), Encoding::Utf16LeNoBom),
            (utf16(false), Encoding::Utf16BeNoBom),
        ] {
            let (t, enc, d) = table(&bytes);
            assert_eq!((enc, d), (want, Delimiter(b'\t')));
            assert_eq!(t.columns[1].name, "Name", "{want}");
            assert_eq!(t.rows[0].values[1], Value::Text("Zoë".into()), "{want}");
        }
        // Text with the odd zero byte is not UTF-16.
        assert_eq!(decode(b"Email,Name\na@x.org,A\0\nb@x.org,B\n").1, Encoding::Utf8);
        assert_eq!(decode(b"ab").1, Encoding::Utf8);
    }

    #[test]
    fn quoted_newlines_keep_excel_row_numbers() {
        let (t, _, d) = table(b"\xEF\xBB\xBFEmail,Note\na@x.org,\"two\nlines, here\"\n\nb@x.org,ok\n");
        assert_eq!(d, Delimiter(b','));
        assert_eq!(t.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(t.rows[0].values[1], Value::Text("two\nlines, here".into()));
        let (crlf, _, _) = table(b"H,N\r\na,\"x\r\ny\"\r\nb,2\r\n\r\nc,3\r\n");
        assert_eq!(crlf.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 3, 5]);
    }

    #[test]
    fn sep_line_names_the_delimiter() {
        let (crlf, _, _) = table(b"sep=;\r\nEmail;Name\r\na@x.org;A\r\n");
        assert_eq!((crlf.header_row, crlf.rows[0].number), (2, 3));
        let (t, _, d) = table(b"sep=|\nEmail|Name\na@x.org|A, B; C\n");
        assert_eq!(d, Delimiter(b'|'));
        assert_eq!(t.header_row, 2);
        assert_eq!(t.rows[0].number, 3);
        assert_eq!(t.rows[0].values[1], Value::Text("A, B; C".into()));
    }

    #[test]
    fn quoted_delimiters_do_not_fool_the_sniffer() {
        let text = "Email;Name\n\"a@x.org\";\"Doe, Jane\"\n\"b@x.org\";\"Roe, Rick\"\n";
        assert_eq!(sniff_delimiter(text), Delimiter(b';'));
        assert_eq!(sniff_delimiter("Email\na@x.org\n"), Delimiter(b','));
    }
}

//! Neutralises the parts of an xls workbook stream that a mail merge never uses and that
//! calamine decodes without bounds checks (formula expressions, defined names, external
//! sheet references, merged ranges, drawings) or trusts for allocation (a sheet's declared
//! dimensions, which calamine reserves rows × columns cells for). All found by our fuzzer.
//!
//! Edits are in place and keep every record's size, so the sheet offsets recorded in
//! BOUNDSHEET records stay valid. Cell values, including formulas' cached results, are
//! untouched.

use super::legacy_text::{CodePage, Plan};
use super::styles::{CellXfs, WorkbookStyles};

/// A record type calamine does not act on: neutralised records are retagged with it.
pub(super) const INERT: u16 = 0x4242;
const FORMULA: u16 = 0x0006;
/// The FORMULA records of BIFF3 and BIFF4, which some writers still put in BIFF5 and BIFF8
/// files and Excel reads: the same fields as FORMULA up to the expression, which calamine
/// ignores once its length is zeroed. calamine skips these types, losing the cells.
const EARLY_FORMULA: [u16; 2] = [0x0206, 0x0406];
const NUMBER: u16 = 0x0203;
const FILEPASS: u16 = 0x002F;
const CODEPAGE: u16 = 0x0042;
/// Globals records calamine reads at fixed offsets unchecked, with the length it needs:
/// FILEPASS, CODEPAGE, DATEMODE and BOF (a u16), BOUNDSHEET (offset, state, type).
const MIN_LEN: [(u16, usize); 5] = [(FILEPASS, 2), (CODEPAGE, 2), (0x0022, 2), (BOF, 2), (BOUNDSHEET, 6)];
/// NAME, EXTERNSHEET, MERGECELLS, MSODRAWINGGROUP, DIMENSIONS.
const UNUSED: [u16; 5] = [0x0018, 0x0017, 0x00E5, 0x00EB, 0x0200];
const MULRK: u16 = 0x00BD;

/// A MULRK record whose column span calamine's u16 arithmetic (`last - first + 1`)
/// underflows or overflows on.
fn bad_mulrk(data: &[u8]) -> bool {
    let u16_at = |at: usize| data.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    match (u16_at(2), data.len().checked_sub(2).and_then(u16_at)) {
        (Some(first), Some(last)) => last < first || last - first == u16::MAX,
        _ => false, // shorter than 6 bytes: calamine checks that itself
    }
}

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const BOUNDSHEET: u16 = 0x0085;
const FORMAT: u16 = 0x041E;
const XF: u16 = 0x00E0;
const DATEMODE: u16 = 0x0022;
/// NUMBER, RK, LABELSST, LABEL, BOOLERR, FORMULA, RSTRING: each starts with row, column,
/// XF index.
const CELLS: [u16; 9] = [NUMBER, 0x027E, 0x00FD, 0x0204, 0x0205, FORMULA, 0x00D6, 0x0206, 0x0406];
/// The most cells a sheet's rows × columns may span: calamine allocates every sheet of an
/// xls workbook densely over that span when it opens the file (32 bytes a cell), so one
/// stray cell at row 65,536 would cost half a gigabyte.
pub(super) const MAX_SPAN: u64 = 4_000_000;

/// Neutralises `stream` along the same record walks calamine makes: the globals from the
/// start, then each sheet from the offset its BOUNDSHEET record gives (a hostile offset
/// may start inside another record, so the walks can differ). Collects the number formats
/// on the way.
pub(super) fn neutralize(stream: &mut [u8]) -> Result<WorkbookStyles, String> {
    let mut styles = WorkbookStyles::default();
    let sheets = walk(stream, 0, true, &mut styles)?;
    for (pos, name) in sheets {
        // A sheet walk adds exactly one entry: name it, and check its span.
        walk(stream, pos, false, &mut styles)?;
        if let Some(last) = styles.sheets.last_mut() {
            let rows = last.1.keys().map(|k| k.0);
            let cols = last.1.keys().map(|k| k.1);
            if let (Some(r0), Some(r1), Some(c0), Some(c1)) =
                (rows.clone().min(), rows.max(), cols.clone().min(), cols.max())
            {
                let (height, width) = (u64::from(r1 - r0) + 1, u64::from(c1 - c0) + 1);
                if height * width > MAX_SPAN {
                    return Err(format!(
                        "sheet \"{name}\" spans {height} rows by {width} columns, more than the {MAX_SPAN} cells localmerge reads"
                    ));
                }
            }
            last.0 = name;
        }
    }
    Ok(styles)
}

/// Decodes an XLUnicodeString (BIFF8: 16-bit length, flags, Latin-1 or UTF-16 characters)
/// or a BIFF5 byte string (8-bit length, Windows-1252).
/// `code_page` decodes BIFF5 strings whose code page calamine lacks.
fn xl_string(data: &[u8], biff8: bool, short: bool, code_page: Option<&CodePage>) -> Option<String> {
    if !biff8 {
        let n = usize::from(*data.first()?);
        let bytes = data.get(1..1 + n)?;
        return Some(match code_page {
            Some(cp) => cp.decode(bytes),
            None => super::delimited::windows_1252(bytes),
        });
    }
    let (n, rest) = if short {
        (usize::from(*data.first()?), data.get(1..)?)
    } else {
        (usize::from(u16::from_le_bytes([*data.first()?, *data.get(1)?])), data.get(2..)?)
    };
    let (flags, chars) = (*rest.first()?, rest.get(1..)?);
    if flags & 1 == 1 {
        let units: Vec<u16> =
            chars.get(..n * 2)?.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(chars.get(..n)?.iter().map(|&b| char::from(b)).collect())
    }
}

/// Walks records from `start` to the substream's EOF, neutralising as it goes; in the
/// globals, returns the sheets' offsets and names, and collects formats and XFs; in a
/// sheet, adds the sheet's cell XF indexes to `styles.sheets`.
fn walk(
    stream: &mut [u8],
    start: usize,
    globals: bool,
    styles: &mut WorkbookStyles,
) -> Result<Vec<(usize, String)>, String> {
    let mut sheets = Vec::new();
    let mut cells = CellXfs::new();
    let mut biff8 = true;
    let (mut pos, mut depth, mut seen_bof) = (start, 0u32, false);
    while let Some(header) = stream.get(pos..pos.saturating_add(4)) {
        let typ = u16::from_le_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
        let end = pos + 4 + len;
        if end > stream.len() {
            // A truncated record: calamine reports it, and reads nothing after it.
            break;
        }
        let data = &stream[pos + 4..end];
        if globals && MIN_LEN.iter().any(|&(t, min)| t == typ && len < min) {
            // calamine reads these records' fields at fixed offsets without checking.
            stream[pos..pos + 2].copy_from_slice(&INERT.to_le_bytes());
            pos = end;
            continue;
        }
        if globals && typ == FILEPASS {
            // An encrypted workbook: calamine refuses it, and reads nothing after this. Type
            // 0 is XOR obfuscation, which calamine reads on past, decoding garbage (a "huge
            // sheet"): it is told the workbook is encrypted. (A FILEPASS inside a sheet is no
            // reason to stop.)
            if data.get(..2) == Some(&[0u8, 0][..]) {
                stream[pos + 4..pos + 6].copy_from_slice(&1u16.to_le_bytes());
            }
            break;
        }
        let u16_at = |at: usize| data.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let mut declare = None;
        if globals {
            match typ {
                BOF if !seen_bof => biff8 = u16_at(0).is_none_or(|v| v >= 0x0600),
                BOUNDSHEET if len >= 4 => {
                    let at = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
                    if at > stream.len() {
                        // calamine slices the stream at a sheet's offset unchecked: a sheet
                        // that starts past the end is hidden from it.
                        stream[pos..pos + 2].copy_from_slice(&INERT.to_le_bytes());
                        pos = end;
                        continue;
                    }
                    // Named as calamine names it (`WorkbookStyles::text` decodes it again).
                    let name =
                        data.get(6..).and_then(|d| xl_string(d, biff8, true, None)).unwrap_or_default();
                    sheets.push((at, name));
                }
                FORMAT => {
                    if let (Some(ifmt), Some(code)) = (
                        u16_at(0),
                        data.get(2..).and_then(|d| xl_string(d, biff8, false, styles.code_page.as_ref())),
                    ) {
                        styles.formats.insert(ifmt, code);
                    }
                }
                // BIFF8 flags every string as compressed or UTF-16 itself; calamine widens
                // compressed strings to UTF-16 and then decodes them with the declared code
                // page, so a workbook declaring 1252 read "H\0i\0". Declare UTF-16.
                CODEPAGE if biff8 => declare = Some(1200),
                // BIFF5 strings are bytes in the declared code page (see `legacy_text`).
                CODEPAGE => match u16_at(0).map(super::legacy_text::plan) {
                    Some(Plan::Declare(cp)) => declare = Some(cp),
                    Some(Plan::Redecode(table)) => {
                        declare = Some(super::legacy_text::WINDOWS_1252);
                        styles.code_page = Some(table);
                    }
                    Some(Plan::Unknown) => {
                        let cp = u16_at(0).unwrap_or_default();
                        return Err(format!(
                            "its text is in code page {cp}, which localmerge cannot decode (save it from Excel as .xlsx)"
                        ));
                    }
                    Some(Plan::Keep) | None => {}
                },
                XF => styles.xf_format.push(u16_at(2).unwrap_or(0)),
                DATEMODE => styles.date1904 = u16_at(0) == Some(1),
                _ => {}
            }
        } else if depth == 0 {
            if CELLS.contains(&typ) && len >= 6 {
                if let (Some(r), Some(c), Some(xf)) = (u16_at(0), u16_at(2), u16_at(4)) {
                    cells.insert((u32::from(r), u32::from(c)), u32::from(xf));
                }
            } else if typ == MULRK
                && !bad_mulrk(data)
                && len >= 6
                && let (Some(r), Some(first)) = (u16_at(0), u16_at(2))
            {
                for k in 0..(len - 6) / 6 {
                    if let Some(xf) = u16_at(4 + 6 * k) {
                        cells.insert((u32::from(r), u32::from(first) + k as u32), u32::from(xf));
                    }
                }
            }
        }
        let formula = typ == FORMULA || !globals && EARLY_FORMULA.contains(&typ);
        // A cached result that is a number (its last two bytes are not 0xFFFF).
        let number = len >= 14 && data[12..14] != [0xFF, 0xFF];
        if formula && len < 22 && number {
            // Too short for calamine's formula reader, which slices the expression
            // unchecked: the cached number is kept as a NUMBER record (the same first 14
            // bytes; calamine ignores the rest).
            stream[pos..pos + 2].copy_from_slice(&NUMBER.to_le_bytes());
        } else if UNUSED.contains(&typ) || formula && len < 22 || typ == MULRK && bad_mulrk(data) {
            stream[pos..pos + 2].copy_from_slice(&INERT.to_le_bytes());
        } else if formula {
            // An empty expression (cce = 0); the cached result at bytes 6..14 stays.
            stream[pos..pos + 2].copy_from_slice(&FORMULA.to_le_bytes());
            stream[pos + 24..pos + 26].fill(0);
        } else if let Some(cp) = declare {
            stream[pos + 4..pos + 6].copy_from_slice(&cp.to_le_bytes());
        }
        match typ {
            BOF if seen_bof => depth += 1,
            BOF => seen_bof = true,
            EOF if depth > 0 => depth -= 1,
            EOF => break,
            _ => {}
        }
        pos = end;
    }
    if !globals {
        styles.sheets.push((String::new(), cells));
    }
    Ok(sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend_from_slice(&(data.len() as u16).to_le_bytes());
        r.extend_from_slice(data);
        r
    }

    #[test]
    fn formulas_keep_their_cached_value_and_lose_their_expression() {
        let mut formula = vec![7u8; 30];
        formula[20] = 8; // cce = 8
        let stream = [
            record(0x0809, &[0; 16]),
            record(FORMULA, &formula),
            record(0x0018, &[1; 5]),
            record(FORMULA, &[0; 21]),
        ]
        .concat();
        let mut out = stream.clone();
        neutralize(&mut out).expect("neutralize");
        assert_eq!(out.len(), stream.len());
        assert_eq!(out[..20], stream[..20], "BOF untouched");
        let f = 20;
        assert_eq!(out[f + 4..f + 24], stream[f + 4..f + 24], "cached value kept");
        assert_eq!(out[f + 24..f + 26], [0, 0], "cce zeroed");
        assert_eq!(u16::from_le_bytes([out[54], out[55]]), INERT, "NAME retagged");
        assert_eq!(u16::from_le_bytes([out[63], out[64]]), NUMBER, "short FORMULA: its number kept");
        let mut text = [0u8; 21];
        text[12..14].copy_from_slice(&[0xFF, 0xFF]);
        let mut out = record(FORMULA, &text);
        neutralize(&mut out).expect("neutralize");
        assert_eq!(u16::from_le_bytes([out[0], out[1]]), INERT, "short FORMULA with a string result");
    }

    /// A BIFF8 workbook stream of one sheet holding `cells`.
    pub(crate) fn book(cells: &[Vec<u8>]) -> Vec<u8> {
        book_of(0x0600, None, &[&[5u8, 0][..], b"Sheet"].concat(), cells)
    }

    /// A workbook stream of BIFF `version` (0x0500, 0x0600) declaring `code_page`, of one
    /// sheet named `name` (a string in that version's framing) holding `cells`.
    fn book_of(version: u16, code_page: Option<u16>, name: &[u8], cells: &[Vec<u8>]) -> Vec<u8> {
        let mut bof = [0u8; 16];
        bof[..2].copy_from_slice(&version.to_le_bytes());
        bof[2..4].copy_from_slice(&0x0005u16.to_le_bytes());
        let code_page = code_page.map(|cp| record(CODEPAGE, &cp.to_le_bytes())).unwrap_or_default();
        let sheet_at = (20 + code_page.len() + 4 + 6 + name.len() + 4) as u32;
        let mut sheet_bof = bof;
        sheet_bof[2..4].copy_from_slice(&0x0010u16.to_le_bytes());
        [
            record(BOF, &bof),
            code_page,
            record(BOUNDSHEET, &[&sheet_at.to_le_bytes()[..], &[0, 0], name].concat()),
            record(EOF, &[]),
            record(BOF, &sheet_bof),
            cells.concat(),
            record(EOF, &[]),
        ]
        .concat()
    }

    /// A BIFF5 LABEL cell: a 16-bit length, then bytes in the workbook's code page.
    fn label5(row: u16, col: u16, bytes: &[u8]) -> Vec<u8> {
        let head = [row.to_le_bytes(), col.to_le_bytes(), [0, 0]].concat();
        record(0x0204, &[&head[..], &(bytes.len() as u16).to_le_bytes(), bytes].concat())
    }

    #[test]
    fn biff5_text_is_read_in_its_legacy_code_page() {
        // Mac Central European (10029, "Codepage 272D not found" before): 0x80 Ä, 0x89 Č,
        // 0x97 ó; the sheet's name too.
        let cells = [label5(0, 0, b"Name"), label5(1, 0, b"\x89apek"), label5(2, 0, b"\x80rp\x97d")];
        let stream = book_of(0x0500, Some(10029), b"\x05L\x97sta", &cells);
        let file = super::super::cfb::write(&[("Book".to_owned(), stream)]).expect("cfb");
        let mut wb = crate::Workbook::open(file).expect("opens");
        assert_eq!(wb.sheet_names(), ["Lósta"]);
        let t = wb.read(Some("Lósta")).expect("reads");
        let names: Vec<&crate::Value> = t.rows.iter().map(|r| &r.values[0]).collect();
        assert_eq!(names, [&crate::Value::Text("Čapek".into()), &crate::Value::Text("Ärpód".into())]);

        // A code page no table here holds is refused by name, not read as garbage.
        let stream = book_of(0x0500, Some(10021), b"\x01S", &cells);
        let file = super::super::cfb::write(&[("Book".to_owned(), stream)]).expect("cfb");
        let err = crate::Workbook::open(file).and_then(|mut w| w.read(None)).expect_err("Mac Thai");
        assert!(err.to_string().contains("code page 10021"), "{err}");
    }

    /// A LABEL cell (BIFF8: a 16-bit length, flags, Latin-1 characters).
    pub(crate) fn label(row: u16, col: u16, text: &str) -> Vec<u8> {
        let head = [row.to_le_bytes(), col.to_le_bytes(), [0, 0]].concat();
        record(0x0204, &[&head[..], &(text.len() as u16).to_le_bytes(), &[0], text.as_bytes()].concat())
    }

    #[test]
    fn formulas_of_biff3_and_biff4_types_keep_their_values() {
        let formula = |typ: u16, row: u16, result: [u8; 8], rgce: &[u8]| {
            let head = [row.to_le_bytes(), 1u16.to_le_bytes(), [0, 0]].concat();
            // BIFF3/4 layout: the cached result, flags, then the expression's length.
            let body = [&head[..], &result, &[0, 0], &(rgce.len() as u16).to_le_bytes(), rgce].concat();
            record(typ, &body)
        };
        let cells = [
            label(0, 0, "Name"),
            label(0, 1, "Ratio"),
            label(1, 0, "Ann"),
            formula(0x0406, 1, 0.5f64.to_le_bytes(), &[0x1E, 1, 0, 0x1E, 2, 0, 0x06]),
            label(2, 0, "Bo"),
            formula(0x0206, 2, [2, 0, 0x07, 0, 0, 0, 0xFF, 0xFF], &[0x1E, 1, 0, 0x1E, 0, 0, 0x06]),
            label(3, 0, "Cy"),
            formula(0x0406, 3, 2.5f64.to_le_bytes(), &[0x1E, 3, 0]),
        ];
        let file = super::super::cfb::write(&[("Workbook".to_owned(), book(&cells))]).expect("cfb");
        let t = crate::Workbook::open(file).and_then(|mut w| w.read(None)).expect("reads");
        let ratios: Vec<&crate::Value> = t.rows.iter().map(|r| &r.values[1]).collect();
        assert_eq!(
            ratios,
            [&crate::Value::Float(0.5), &crate::Value::Error("#DIV/0!".into()), &crate::Value::Float(2.5)]
        );
    }

    #[test]
    fn a_biff8_code_page_becomes_utf16_and_a_biff5_one_stays() {
        let book = |version: u16| {
            let mut bof = [0u8; 16];
            bof[..2].copy_from_slice(&version.to_le_bytes());
            [record(BOF, &bof), record(CODEPAGE, &1252u16.to_le_bytes()), record(EOF, &[])].concat()
        };
        let code_page = |out: &[u8]| u16::from_le_bytes([out[24], out[25]]);
        let mut biff8 = book(0x0600);
        neutralize(&mut biff8).expect("biff8");
        assert_eq!(code_page(&biff8), 1200);
        let mut biff5 = book(0x0500);
        neutralize(&mut biff5).expect("biff5");
        assert_eq!(code_page(&biff5), 1252);
    }

    #[test]
    fn the_date_system_is_read_from_datemode() {
        let book = |mode: u16| {
            [record(BOF, &[0; 16]), record(DATEMODE, &mode.to_le_bytes()), record(EOF, &[])].concat()
        };
        assert!(neutralize(&mut book(1)).expect("1904").date1904);
        assert!(!neutralize(&mut book(0)).expect("1900").date1904);
        assert!(!neutralize(&mut [record(BOF, &[0; 16]), record(EOF, &[])].concat()).expect("none").date1904);
    }

    #[test]
    fn malformed_mulrk_is_retagged_and_valid_mulrk_kept() {
        let valid = record(MULRK, &[1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
        let bad = record(MULRK, &[1, 0, 9, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
        let wide = record(MULRK, &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]);
        let mut out = [valid.clone(), bad, wide].concat();
        neutralize(&mut out).expect("neutralize");
        assert_eq!(out[..valid.len()], valid[..]);
        assert_eq!(u16::from_le_bytes([out[16], out[17]]), INERT);
        assert_eq!(u16::from_le_bytes([out[32], out[33]]), INERT);
    }

    #[test]
    fn sheets_are_walked_from_their_own_offsets() {
        // The globals' BOUNDSHEET points into the middle of a record the linear walk sees
        // as an opaque payload; calamine would read a NAME record there.
        let hidden_name = record(0x0018, &[1; 3]);
        let opaque = record(0x0099, &[&[0u8; 2][..], &hidden_name].concat());
        let globals_len = 20 + 12 + 4; // BOF + BOUNDSHEET + EOF
        let sheet_at = (globals_len + 4 + 2) as u32;
        let stream = [
            record(BOF, &[0; 16]),
            record(BOUNDSHEET, &[&sheet_at.to_le_bytes()[..], &[0; 4]].concat()),
            record(EOF, &[]),
            opaque,
        ]
        .concat();
        let mut out = stream.clone();
        neutralize(&mut out).expect("neutralize");
        let at = sheet_at as usize;
        assert_eq!(u16::from_le_bytes([out[at], out[at + 1]]), INERT);
    }

    #[test]
    fn sheets_past_the_end_are_hidden() {
        let stream = [
            record(BOF, &[0; 16]),
            record(BOUNDSHEET, &[&9_999u32.to_le_bytes()[..], &[0; 4]].concat()),
            record(EOF, &[]),
        ]
        .concat();
        let mut out = stream.clone();
        neutralize(&mut out).expect("neutralize");
        assert_eq!(u16::from_le_bytes([out[20], out[21]]), INERT);
    }

    #[test]
    fn a_sheet_spanning_too_many_cells_is_refused() {
        let cell =
            |r: u16, c: u16| record(0x0203, &[&r.to_le_bytes()[..], &c.to_le_bytes(), &[0; 10]].concat());
        let sheet_at = 20 + (4 + 9) + 4; // BOF, BOUNDSHEET (offset + flags + name), EOF
        let globals = [
            record(BOF, &[0; 16]),
            record(BOUNDSHEET, &[&(sheet_at as u32).to_le_bytes()[..], &[0, 0, 1, 0, b'S']].concat()),
            record(EOF, &[]),
        ]
        .concat();
        assert_eq!(globals.len(), sheet_at);
        let ok =
            [globals.clone(), record(BOF, &[0; 16]), cell(0, 0), cell(999, 9), record(EOF, &[])].concat();
        assert!(neutralize(&mut ok.clone()).is_ok());
        let far = [globals, record(BOF, &[0; 16]), cell(0, 0), cell(65_535, 255), record(EOF, &[])].concat();
        let err = neutralize(&mut far.clone()).expect_err("too wide");
        assert!(err.contains("65536 rows by 256 columns"), "{err}");
    }

    #[test]
    fn stops_at_encryption_and_truncation() {
        let stream = [record(FILEPASS, &[1; 6]), record(0x0018, &[1; 5])].concat();
        let mut out = stream.clone();
        neutralize(&mut out).expect("neutralize");
        assert_eq!(out, stream);
        // XOR obfuscation (type 0) is encryption too: calamine is told so, and stops.
        let mut xor = [record(FILEPASS, &[0; 6]), record(0x0018, &[1; 5])].concat();
        neutralize(&mut xor).expect("neutralize");
        assert_eq!(u16::from_le_bytes([xor[4], xor[5]]), 1, "the type says encrypted");
        assert_eq!(u16::from_le_bytes([xor[10], xor[11]]), 0x0018, "nothing after it is walked");
        // Inside a sheet (walked from its BOUNDSHEET offset), a short FILEPASS is no reason
        // to stop, nor to panic.
        let sheet_at = (20 + 4 + 9 + 4) as u32;
        let mut in_sheet = [
            record(BOF, &[0; 16]),
            record(BOUNDSHEET, &[&sheet_at.to_le_bytes()[..], &[0, 0, 1, 0, b'S']].concat()),
            record(EOF, &[]),
            record(BOF, &[0; 16]),
            record(FILEPASS, &[1]),
            record(0x0018, &[1; 5]),
            record(EOF, &[]),
        ]
        .concat();
        neutralize(&mut in_sheet).expect("neutralize");
        let mut short = [record(FILEPASS, &[1]), record(CODEPAGE, &[])].concat();
        neutralize(&mut short).expect("neutralize");
        assert_eq!(
            (u16::from_le_bytes([short[0], short[1]]), u16::from_le_bytes([short[5], short[6]])),
            (INERT, INERT)
        );
        let mut cut = record(0x0018, &[1; 5]);
        cut.truncate(6);
        let before = cut.clone();
        neutralize(&mut cut).expect("neutralize");
        assert_eq!(cut, before);
    }
}

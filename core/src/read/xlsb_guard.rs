//! Makes an xlsb package safe for calamine's reader, or refuses it.
//!
//! calamine reads each binary record into a reused buffer that only ever grows, then reads
//! fields at fixed offsets (`buf[8..16]`, `strings[isst]`…) without checking the record's
//! length, looks sheet relationships up in a map without checking they exist, and decodes
//! defined names' formulas without bounds checks (all found by our fuzzer). This pass:
//! - walks the worksheets and the shared-string table with calamine's framing and buffer
//!   growth, and refuses the file where calamine would index out of bounds;
//! - checks every sheet record of `xl/workbook.bin` against `xl/_rels/workbook.bin.rels`;
//! - rewrites `xl/workbook.bin` so that defined names carry no formula and the external
//!   sheet table is empty (a mail merge uses neither; edits keep every record's size);
//! - rewrites each formula cell whose cached value is an error (BrtFmlaError, which
//!   calamine skips, losing the cell) as an error cell (BrtCellError: the same leading
//!   fields, one type byte changed);
//! - and repackages the file with every other entry copied unchanged.

use std::io::{self, Cursor, Read};

use super::styles::{CellXfs, WorkbookStyles};

/// How many leading bytes of each record the checks look at.
const HEAD: usize = 16;

/// Checks the xlsb package `bytes` and returns the package calamine should read (rewritten
/// when `xl/workbook.bin` needed neutralising); `Err` says what calamine could not have
/// read safely.
pub(super) fn sanitize(bytes: Vec<u8>) -> Result<(Vec<u8>, WorkbookStyles), String> {
    let (sheet_styles, with_formula_errors) = check(&bytes)?;
    let mut styles = WorkbookStyles::default();
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes.as_slice())) else { return Ok((bytes, styles)) };
    let names: Vec<String> = zip.file_names().filter_map(Result::ok).map(|n| n.into_owned()).collect();
    let find = |want: &str| names.iter().find(|n| n.eq_ignore_ascii_case(want)).cloned();
    let Some(workbook_name) = find("xl/workbook.bin") else { return Ok((bytes, styles)) };
    let rels_name = find("xl/_rels/workbook.bin.rels");
    let rels_xml = match &rels_name {
        Some(n) => String::from_utf8_lossy(&read_entry(&mut zip, n)?).into_owned(),
        None => String::new(),
    };
    let rels = relationships(&rels_xml);
    // calamine joins "xl/" and the target, so a target from the package root ("/xl/…",
    // which Excel and other writers may use) would name no part: it is made relative.
    let relative_rels = rels
        .iter()
        .any(|(_, t)| t.starts_with('/'))
        .then(|| rels_xml.replace("Target=\"/xl/", "Target=\"").replace("Target='/xl/", "Target='"));
    if let Some(n) = find("xl/styles.bin") {
        let data = read_entry(&mut zip, &n)?;
        (styles.formats, styles.xf_format) = cell_formats(&data);
    }
    let mut workbook = read_entry(&mut zip, &workbook_name)?;
    let (edited, bundles) = neutralize_workbook(&mut workbook, &rels)?;
    // Each sheet's cell styles, by the sheet's name.
    for (relid, name) in bundles {
        let Some((_, target)) = rels.iter().find(|(id, _)| *id == relid) else { continue };
        let target = target.trim_start_matches('/');
        let path = if target.to_ascii_lowercase().starts_with("xl/") {
            target.to_owned()
        } else {
            format!("xl/{target}")
        };
        if let Some((_, xfs)) = sheet_styles.iter().find(|(p, _)| p.eq_ignore_ascii_case(&path)) {
            styles.sheets.push((name, xfs.clone()));
        }
    }
    let mut sheets = Vec::new();
    for name in with_formula_errors {
        let mut data = read_entry(&mut zip, &name)?;
        formula_errors_as_cell_errors(&mut data);
        sheets.push((name, data));
    }
    let mut new: Vec<(&str, &[u8])> = sheets.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
    if edited {
        new.push((&workbook_name, &workbook));
    }
    if let (Some(name), Some(xml)) = (&rels_name, &relative_rels) {
        new.push((name, xml.as_bytes()));
    }
    if new.is_empty() {
        return Ok((bytes, styles));
    }
    Ok((super::raw_zip::replace_entries(&bytes, &new)?, styles))
}

/// BrtFmlaError: a formula cell whose cached value is an error.
const FMLA_ERROR: u16 = 0x000B;
/// BrtCellError: an error cell (cell, then the error's code).
const CELL_ERROR: u16 = 0x0003;

/// The error codes calamine reads (MS-XLSB 2.5.97.2 BErr); a cell with another code makes
/// calamine refuse the whole sheet, so such a formula cell is left skipped.
fn known_error(code: u8) -> bool {
    matches!(code, 0x00 | 0x07 | 0x0F | 0x17 | 0x1D | 0x24 | 0x2A | 0x2B)
}

/// Rewrites, in the sheet data of a worksheet part, each BrtFmlaError with a known error
/// code as a BrtCellError: both begin with the cell (8 bytes) and the error code, and both
/// types fit one byte, so no record moves.
fn formula_errors_as_cell_errors(data: &mut [u8]) {
    let (mut pos, mut in_data) = (0usize, false);
    while let Some((typ, start, len)) = record_at(data, pos) {
        match typ {
            0x0091 => in_data = true,
            0x0092 => in_data = false,
            FMLA_ERROR if in_data && len >= 9 && known_error(data[start + 8]) => {
                data[pos] = CELL_ERROR as u8;
            }
            _ => {}
        }
        pos = start + len;
    }
}

/// `styles.bin`'s custom formats (BrtFmt) and each cell XF's format (BrtXF inside
/// BrtBeginCellXFs … BrtEndCellXFs).
fn cell_formats(data: &[u8]) -> (std::collections::HashMap<u16, String>, Vec<u16>) {
    let mut formats = std::collections::HashMap::new();
    let mut xfs = Vec::new();
    let (mut pos, mut in_cell_xfs) = (0usize, false);
    while let Some((typ, start, len)) = record_at(data, pos) {
        let p = &data[start..start + len];
        match typ {
            0x002C if len >= 6 => {
                let ifmt = u16::from_le_bytes([p[0], p[1]]);
                let chars = u32::from_le_bytes([p[2], p[3], p[4], p[5]]) as usize;
                if let Some(units) = chars.checked_mul(2).and_then(|n| p.get(6..6 + n)) {
                    let units: Vec<u16> =
                        units.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
                    formats.insert(ifmt, String::from_utf16_lossy(&units));
                }
            }
            0x0269 => in_cell_xfs = true,
            0x026A => in_cell_xfs = false,
            0x002F if in_cell_xfs && len >= 4 => xfs.push(u16::from_le_bytes([p[2], p[3]])),
            _ => {}
        }
        pos = start + len;
    }
    (formats, xfs)
}

fn read_entry(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Vec<u8>, String> {
    let mut entry = zip.by_name(name).map_err(|e| format!("{name}: {e}"))?;
    let mut data = Vec::new();
    // A workbook part larger than the cell limit allows is not a mailing list.
    (&mut entry).take(256 << 20).read_to_end(&mut data).map_err(|e| format!("{name}: {e}"))?;
    Ok(data)
}

/// The (Id, Target) pairs of a relationships part.
fn relationships(xml: &str) -> Vec<(String, String)> {
    let attr = |element: &str, name: &str| -> Option<String> {
        for quote in ['"', '\''] {
            let pat = format!("{name}={quote}");
            let mut rest = element;
            while let Some(at) = rest.find(&pat) {
                let preceded_by_space = rest[..at].ends_with(char::is_whitespace);
                rest = &rest[at + pat.len()..];
                if let (true, Some(end)) = (preceded_by_space, rest.find(quote)) {
                    return Some(rest[..end].to_owned());
                }
            }
        }
        None
    };
    xml.split('<')
        .filter(|e| e.starts_with("Relationship ") || e.starts_with("Relationship\t"))
        .filter_map(|e| Some((attr(e, "Id")?, attr(e, "Target").unwrap_or_default())))
        .collect()
}

/// Walks `workbook.bin` as calamine does, refusing sheet records it would slice or look
/// up out of bounds, zeroing defined names' formula lengths and the extern-sheet count,
/// and hiding sheets that hold no cells calamine can read (an Excel 4 macro sheet makes
/// calamine refuse the whole workbook): their record's type becomes BrtCalcProp, which
/// calamine skips there. Returns whether anything was edited, and each sheet's
/// (relationship id, name).
fn neutralize_workbook(
    data: &mut [u8],
    rels: &[(String, String)],
) -> Result<(bool, Vec<(String, String)>), String> {
    let mut pos = 0usize;
    let mut edited = false;
    let mut bundles = Vec::new();
    let mut names_part = false;
    while let Some((typ, start, len)) = record_at(data, pos) {
        let end = start + len;
        let p = &data[start..end];
        match (names_part, typ) {
            (false, 0x0099) if len < 1 => return Err("a workbook property record is empty".into()),
            (false, 0x009C) => {
                if len < 12 {
                    return Err("a sheet record is too short".into());
                }
                let rel_len = u32::from_le_bytes([p[8], p[9], p[10], p[11]]);
                if rel_len != u32::MAX {
                    let id_end = (rel_len as usize).checked_mul(2).and_then(|l| l.checked_add(12));
                    let Some(id_end) = id_end.filter(|e| *e <= len) else {
                        return Err("a sheet record's relationship id is too long".into());
                    };
                    let units: Vec<u16> =
                        p[12..id_end].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
                    let id = String::from_utf16_lossy(&units);
                    let Some((_, target)) = rels.iter().find(|(i, _)| *i == id) else {
                        return Err(format!(
                            "a sheet refers to relationship \"{id}\", which the package lacks"
                        ));
                    };
                    let kind = target.trim_start_matches('/').trim_start_matches("xl/").split('/').next();
                    if !matches!(kind, Some("worksheets" | "chartsheets" | "dialogsheets")) {
                        // 0x009C is framed as the bytes 9C 01; 9D 01 is 0x009D.
                        data[pos] = 0x9D;
                        edited = true;
                        pos = end;
                        continue;
                    }
                    let name = p.get(id_end..id_end + 4).and_then(|b| {
                        let n = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
                        let units = p.get(id_end + 4..id_end + 4 + n.checked_mul(2)?)?;
                        let units: Vec<u16> =
                            units.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
                        Some(String::from_utf16_lossy(&units))
                    });
                    bundles.push((id, name.unwrap_or_default()));
                }
            }
            (false, 0x0090) => names_part = true,
            (true, 0x016A) => {
                if len < 4 {
                    return Err("an external sheet record is too short".into());
                }
                data[start..start + 4].fill(0);
                edited = true;
            }
            (true, 0x0027) => {
                // Name: flags (9 bytes), a wide string, then the formula length.
                if let Some(chars) =
                    p.get(9..13).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                {
                    let at = chars.checked_mul(2).and_then(|n| n.checked_add(13));
                    if let Some(at) = at.filter(|a| a.checked_add(4).is_some_and(|e| e <= len)) {
                        data[start + at..start + at + 4].fill(0);
                        edited = true;
                    }
                }
            }
            (true, 0x009D | 0x0225 | 0x018D | 0x0180 | 0x009A | 0x0252 | 0x0229 | 0x009B | 0x0084) => break,
            _ => {}
        }
        pos = end;
    }
    Ok((edited, bundles))
}

/// The record at `pos` in calamine's framing: (type, payload start, payload length).
fn record_at(data: &[u8], pos: usize) -> Option<(u16, usize, usize)> {
    let mut rec = Records::new(data.get(pos..)?);
    let typ = rec.typ().ok()?;
    let header = {
        let mut i = pos + if data.get(pos)? & 0x80 != 0 { 2 } else { 1 };
        let mut len = 0usize;
        for k in 0..4 {
            let b = *data.get(i)?;
            i += 1;
            len += usize::from(b & 0x7F) << (7 * k);
            if b & 0x80 == 0 {
                break;
            }
        }
        (i, len)
    };
    let (start, len) = header;
    (start.checked_add(len)? <= data.len()).then_some((typ, start, len))
}

/// Checks the shared-string table and the worksheets; returns each worksheet's cell styles
/// and the worksheets holding formula cells with an error value.
type Checked = (Vec<(String, CellXfs)>, Vec<String>);
fn check(bytes: &[u8]) -> Result<Checked, String> {
    let (mut sheets, mut with_errors) = (Vec::new(), Vec::new());
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok((sheets, with_errors)); // calamine reports an unreadable package itself
    };
    let names: Vec<String> = zip.file_names().filter_map(Result::ok).map(|n| n.into_owned()).collect();
    let is = |n: &str, want: &str| n.eq_ignore_ascii_case(want);
    let strings = match names.iter().find(|n| is(n, "xl/sharedStrings.bin")) {
        Some(n) => match zip.by_name(n) {
            Ok(f) => shared_strings(&mut Records::new(f))?,
            Err(_) => 0,
        },
        None => 0,
    };
    for n in &names {
        let lower = n.to_ascii_lowercase();
        if lower.starts_with("xl/worksheets/")
            && lower.ends_with(".bin")
            && let Ok(f) = zip.by_name(n)
        {
            let (xfs, errors) = sheet(&mut Records::new(f), strings).map_err(|e| format!("{n}: {e}"))?;
            sheets.push((n.clone(), xfs));
            if errors {
                with_errors.push(n.clone());
            }
        }
    }
    Ok((sheets, with_errors))
}

/// The record stream, framed exactly as calamine frames it.
struct Records<R> {
    r: R,
    /// The length of calamine's buffer: the longest record so far.
    cap: usize,
    /// The buffer's first bytes, stale beyond the current record as in calamine.
    head: [u8; HEAD],
}

impl<R: Read> Records<R> {
    fn new(r: R) -> Self {
        Records { r, cap: 0, head: [0; HEAD] }
    }

    fn byte(&mut self) -> io::Result<u8> {
        let mut b = [0];
        self.r.read_exact(&mut b)?;
        Ok(b[0])
    }

    fn typ(&mut self) -> io::Result<u16> {
        let b = self.byte()?;
        Ok(if b & 0x80 == 0x80 {
            u16::from(b & 0x7F) + (u16::from(self.byte()? & 0x7F) << 7)
        } else {
            u16::from(b)
        })
    }

    fn body(&mut self) -> io::Result<usize> {
        let mut b = self.byte()?;
        let mut len = usize::from(b & 0x7F);
        for i in 1..4 {
            if b & 0x80 == 0 {
                break;
            }
            b = self.byte()?;
            len += usize::from(b & 0x7F) << (7 * i);
        }
        self.cap = self.cap.max(len);
        let n = len.min(HEAD);
        self.r.read_exact(&mut self.head[..n])?;
        let skipped = io::copy(&mut (&mut self.r).take((len - n) as u64), &mut io::sink())?;
        if skipped as usize != len - n {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(len)
    }

    /// calamine's `next_skip_blocks`.
    fn skip_to(&mut self, want: u16, bounds: &[(u16, Option<u16>)]) -> io::Result<()> {
        loop {
            let typ = self.typ()?;
            self.body()?;
            if typ == want {
                return Ok(());
            }
            if let Some(end) = bounds.iter().find(|b| b.0 == typ).and_then(|b| b.1) {
                while self.typ()? != end {
                    self.body()?;
                }
                self.body()?;
            }
        }
    }

    fn u32_at(&self, at: usize) -> u32 {
        let b = &self.head[at..at + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }

    fn need(&self, len: usize, what: &str) -> Result<(), String> {
        if self.cap < len { Err(format!("a {what} record is too short")) } else { Ok(()) }
    }
}

/// Would calamine's `wide_str` on the buffer from `offset` overflow its length arithmetic?
fn wide_len_overflows(len: u32) -> bool {
    usize::try_from(len).ok().and_then(|l| l.checked_mul(2)).and_then(|l| l.checked_add(4)).is_none()
}

/// Mirrors calamine's shared-string reader; returns how many strings it would hold.
fn shared_strings<R: Read>(rec: &mut Records<R>) -> Result<usize, String> {
    if rec.skip_to(0x009F, &[]).is_err() {
        return Ok(0);
    }
    rec.need(8, "shared-string table")?;
    let declared = rec.u32_at(4);
    let mut count = 0;
    for _ in 0..declared {
        if rec.skip_to(0x0013, &[(0x0023, Some(0x0024))]).is_err() {
            break; // calamine stops with an error here too
        }
        rec.need(1, "shared string")?;
        if rec.cap < 5 {
            break; // wide_str returns an error
        }
        let len = rec.u32_at(1);
        if wide_len_overflows(len) {
            return Err("a shared string's length is out of range".into());
        }
        if rec.cap - 1 < 4 + 2 * len as usize {
            break;
        }
        count += 1;
    }
    Ok(count)
}

/// Mirrors calamine's worksheet cell reader; returns each cell's style (XF index), and
/// whether a formula cell holds an error value that `formula_errors_as_cell_errors` turns
/// into an error cell.
fn sheet<R: Read>(rec: &mut Records<R>, strings: usize) -> Result<(CellXfs, bool), String> {
    let mut xfs = CellXfs::new();
    let mut errors = false;
    if rec.skip_to(0x0094, &[(0x0081, None), (0x0093, None)]).is_err() {
        return Ok((xfs, errors));
    }
    rec.need(16, "sheet dimension")?;
    let bounds = [(0x0085, Some(0x0086)), (0x0025, Some(0x0026)), (0x01E5, None), (0x0186, Some(0x0187))];
    if rec.skip_to(0x0091, &bounds).is_err() {
        return Ok((xfs, errors));
    }
    let mut row = 0u32;
    loop {
        let Ok(typ) = rec.typ() else { return Ok((xfs, errors)) };
        let Ok(len) = rec.body() else { return Ok((xfs, errors)) };
        let formula_error = typ == FMLA_ERROR && len >= 9 && known_error(rec.head[8]);
        errors |= formula_error;
        if ((0x0002..=0x000A).contains(&typ) || formula_error) && rec.cap >= 8 {
            // A cell: column, then a 24-bit style index.
            let style = u32::from_le_bytes([rec.head[4], rec.head[5], rec.head[6], 0]);
            xfs.insert((row, rec.u32_at(0)), style);
        }
        match typ {
            0x0002 => rec.need(12, "number")?,
            0x0003 | 0x0004 | 0x000A => rec.need(9, "cell")?,
            0x0005 | 0x0009 => rec.need(16, "number")?,
            0x0006 | 0x0008 => {
                rec.need(8, "text")?;
                if rec.cap >= 12 && wide_len_overflows(rec.u32_at(8)) {
                    return Err("a text cell's length is out of range".into());
                }
            }
            0x0007 => {
                rec.need(12, "shared-string cell")?;
                let isst = rec.u32_at(8) as usize;
                if isst >= strings {
                    return Err(format!("a cell refers to shared string {isst} of {strings}"));
                }
            }
            0x0000 => {
                rec.need(4, "row")?;
                row = rec.u32_at(0);
                if row > 0x0010_0000 {
                    return Ok((xfs, errors));
                }
            }
            0x0092 => return Ok((xfs, errors)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record in xlsb framing (types and lengths below 128 fit one byte; 0x016A takes two).
    fn record(typ: u16, payload: &[u8]) -> Vec<u8> {
        let mut r =
            if typ < 0x80 { vec![typ as u8] } else { vec![(typ & 0x7F) as u8 | 0x80, (typ >> 7) as u8] };
        assert!(payload.len() < 128);
        r.push(payload.len() as u8);
        r.extend_from_slice(payload);
        r
    }

    fn wide(s: &str) -> Vec<u8> {
        let mut v = (s.encode_utf16().count() as u32).to_le_bytes().to_vec();
        s.encode_utf16().for_each(|u| v.extend_from_slice(&u.to_le_bytes()));
        v
    }

    fn bundle(relid: &str, name: &str) -> Vec<u8> {
        let mut p = vec![0u8; 8];
        p.extend_from_slice(&wide(relid));
        p.extend_from_slice(&wide(name));
        record(0x009C, &p)
    }

    fn rel(id: &str) -> Vec<(String, String)> {
        vec![(id.to_owned(), "worksheets/sheet1.bin".to_owned())]
    }

    fn cell(typ: u16, col: u32, rest: &[u8]) -> Vec<u8> {
        record(typ, &[col.to_le_bytes().as_slice(), &[0; 4], rest].concat())
    }

    /// An xlsb package: a worksheet at a root-relative target, an Excel 4 macro sheet, and
    /// a formula cell whose cached value is #DIV/0!.
    fn package() -> Vec<u8> {
        use std::io::Write;
        let workbook =
            [bundle("rId1", "Data"), bundle("rId2", "Macro1"), record(0x0090, &[]), record(0x009D, &[])]
                .concat();
        let rels = r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet1.bin"/><Relationship Id="rId2" Type="http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet" Target="macrosheets/sheet1.bin"/></Relationships>"#;
        let sheet = [
            record(0x0081, &[]),
            record(0x0094, &[0u32, 1, 0, 1].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()),
            record(0x0091, &[]),
            record(0x0000, &0u32.to_le_bytes()),
            cell(0x0006, 0, &wide("Name")),
            cell(0x0006, 1, &wide("Ratio")),
            record(0x0000, &1u32.to_le_bytes()),
            cell(0x0006, 0, &wide("Ann")),
            // BrtFmlaError: #DIV/0! (0x07), flags, then an empty formula.
            cell(FMLA_ERROR, 1, &[&[0x07, 0, 0][..], &[0; 8]].concat()),
            record(0x0092, &[]),
        ]
        .concat();
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in [
            ("xl/workbook.bin", workbook.as_slice()),
            ("xl/_rels/workbook.bin.rels", rels.as_bytes()),
            ("xl/worksheets/sheet1.bin", &sheet),
            ("xl/macrosheets/sheet1.bin", &[]),
        ] {
            zip.start_file(name, zip::write::SimpleFileOptions::default()).expect("entry");
            zip.write_all(data).expect("write");
        }
        zip.finish().expect("zip").into_inner()
    }

    #[test]
    fn formula_errors_macro_sheets_and_root_targets_are_read() {
        let mut wb = crate::Workbook::open(package()).expect("opens");
        assert_eq!(wb.sheet_names(), ["Data"], "the macro sheet is not offered");
        let t = wb.read(None).expect("reads");
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].values[1], crate::Value::Error("#DIV/0!".into()), "the formula's cached error");
    }

    #[test]
    fn only_known_formula_errors_inside_sheet_data_are_rewritten() {
        let unknown = cell(FMLA_ERROR, 1, &[0x63, 0, 0]);
        let known = cell(FMLA_ERROR, 2, &[0x2A, 0, 0]);
        let outside = cell(FMLA_ERROR, 3, &[0x07, 0, 0]);
        let mut data =
            [outside.clone(), record(0x0091, &[]), unknown.clone(), known.clone(), record(0x0092, &[])]
                .concat();
        formula_errors_as_cell_errors(&mut data);
        let expect =
            [outside, record(0x0091, &[]), unknown, cell(CELL_ERROR, 2, &[0x2A, 0, 0]), record(0x0092, &[])]
                .concat();
        assert_eq!(data, expect);
    }

    #[test]
    fn names_lose_their_formulas_and_missing_relationships_are_refused() {
        let mut name = vec![0u8; 9];
        name.extend_from_slice(&wide("Total"));
        name.extend_from_slice(&7u32.to_le_bytes());
        name.extend_from_slice(&[0x3A, 1, 2, 3, 4, 5, 6]);
        let extern_sheet = [3u32.to_le_bytes().to_vec(), vec![0; 36]].concat();
        let mut data = [
            bundle("rId1", "Contacts"),
            record(0x0090, &[]),
            record(0x016A, &extern_sheet),
            record(0x0027, &name),
            record(0x009D, &[]),
        ]
        .concat();
        let before = data.clone();
        let (edited, bundles) = neutralize_workbook(&mut data, &rel("rId1")).expect("ok");
        assert!(edited);
        assert_eq!(bundles, [("rId1".to_owned(), "Contacts".to_owned())]);
        assert_eq!(data.len(), before.len(), "sizes are kept");
        let name_at = data.len() - 3 - (2 + name.len()); // 0x009D takes two type bytes
        let cce_at = name_at + 2 + 9 + 4 + 2 * 5;
        assert_eq!(data[cce_at..cce_at + 4], [0, 0, 0, 0], "formula length zeroed");
        assert_eq!(data[cce_at + 4..cce_at + 11], before[cce_at + 4..cce_at + 11], "nothing else moves");

        let mut missing = [bundle("rId9", "Contacts"), record(0x0090, &[])].concat();
        let err = neutralize_workbook(&mut missing, &rel("rId1")).expect_err("missing relationship");
        assert!(err.contains("rId9"), "{err}");
        let mut short = [record(0x009C, &[0; 10])].concat();
        assert!(neutralize_workbook(&mut short, &[]).is_err());
    }

    #[test]
    fn relationships_are_read_from_either_quote() {
        let xml = r#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.bin"/><Relationship Target='x' Id='rId2'/><Relationship TargetId="no"/></Relationships>"#;
        let rels = relationships(xml);
        assert_eq!(
            rels,
            [("rId1".to_owned(), "worksheets/sheet1.bin".to_owned()), ("rId2".to_owned(), "x".to_owned())]
        );
    }
}

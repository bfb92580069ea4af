//! Neutralises the parts of an xls workbook stream that a mail merge never uses and that
//! calamine decodes without bounds checks (formula expressions, defined names, external
//! sheet references, merged ranges, drawings) or trusts for allocation (a sheet's declared
//! dimensions, which calamine reserves rows × columns cells for). All found by our fuzzer.
//!
//! Edits are in place and keep every record's size, so the sheet offsets recorded in
//! BOUNDSHEET records stay valid. Cell values, including formulas' cached results, are
//! untouched.

/// A record type calamine does not act on: neutralised records are retagged with it.
const INERT: u16 = 0x4242;
const FORMULA: u16 = 0x0006;
const FILEPASS: u16 = 0x002F;
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

/// Neutralises `stream` along the same record walks calamine makes: the globals from the
/// start, then each sheet from the offset its BOUNDSHEET record gives (a hostile offset
/// may start inside another record, so the walks can differ).
pub(super) fn neutralize(stream: &mut [u8]) {
    let sheets = walk(stream, 0, true);
    for pos in sheets {
        walk(stream, pos, false);
    }
}

/// Walks records from `start` to the substream's EOF, neutralising as it goes; in the
/// globals, returns the sheets' offsets.
fn walk(stream: &mut [u8], start: usize, globals: bool) -> Vec<usize> {
    let mut sheets = Vec::new();
    let (mut pos, mut depth, mut seen_bof) = (start, 0u32, false);
    while let Some(header) = stream.get(pos..pos.saturating_add(4)) {
        let typ = u16::from_le_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
        let end = pos + 4 + len;
        if end > stream.len() || typ == FILEPASS {
            // A truncated record (calamine reports it) or an encrypted stream (calamine
            // refuses it): nothing after this point is read as records.
            break;
        }
        let data = &stream[pos + 4..end];
        if globals && typ == BOUNDSHEET && len >= 4 {
            sheets.push(u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize);
        }
        if UNUSED.contains(&typ) || typ == FORMULA && len < 22 || typ == MULRK && bad_mulrk(data) {
            stream[pos..pos + 2].copy_from_slice(&INERT.to_le_bytes());
        } else if typ == FORMULA {
            // An empty expression (cce = 0); the cached result at bytes 6..14 stays.
            stream[pos + 24..pos + 26].fill(0);
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
    sheets
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
        neutralize(&mut out);
        assert_eq!(out.len(), stream.len());
        assert_eq!(out[..20], stream[..20], "BOF untouched");
        let f = 20;
        assert_eq!(out[f + 4..f + 24], stream[f + 4..f + 24], "cached value kept");
        assert_eq!(out[f + 24..f + 26], [0, 0], "cce zeroed");
        assert_eq!(u16::from_le_bytes([out[54], out[55]]), INERT, "NAME retagged");
        assert_eq!(u16::from_le_bytes([out[63], out[64]]), INERT, "short FORMULA retagged");
    }

    #[test]
    fn malformed_mulrk_is_retagged_and_valid_mulrk_kept() {
        let valid = record(MULRK, &[1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
        let bad = record(MULRK, &[1, 0, 9, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
        let wide = record(MULRK, &[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]);
        let mut out = [valid.clone(), bad, wide].concat();
        neutralize(&mut out);
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
        neutralize(&mut out);
        let at = sheet_at as usize;
        assert_eq!(u16::from_le_bytes([out[at], out[at + 1]]), INERT);
    }

    #[test]
    fn stops_at_encryption_and_truncation() {
        let stream = [record(FILEPASS, &[1; 6]), record(0x0018, &[1; 5])].concat();
        let mut out = stream.clone();
        neutralize(&mut out);
        assert_eq!(out, stream);
        let mut cut = record(0x0018, &[1; 5]);
        cut.truncate(6);
        let before = cut.clone();
        neutralize(&mut cut);
        assert_eq!(cut, before);
    }
}

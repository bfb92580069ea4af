//! Rejects xlsb records that calamine's reader would index out of bounds.
//!
//! calamine reads each binary record into a reused buffer that only ever grows, then reads
//! fields at fixed offsets (`buf[8..16]`, `strings[isst]`…) without checking the record's
//! length (found by our fuzzer). This pass walks the same records with the same framing
//! and the same buffer growth, for the parts read on every merge — the shared-string table
//! and the worksheets — and refuses the file before calamine would panic. It reads the
//! records as a stream and keeps only their first bytes, so it allocates next to nothing.

use std::io::{self, Cursor, Read};

/// How many leading bytes of each record the checks look at.
const HEAD: usize = 16;

/// Checks the xlsb package `bytes`; `Err` says what calamine could not have read safely.
pub(super) fn check(bytes: &[u8]) -> Result<(), String> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(()); // calamine reports an unreadable package itself
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
            sheet(&mut Records::new(f), strings).map_err(|e| format!("{n}: {e}"))?;
        }
    }
    Ok(())
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

/// Mirrors calamine's worksheet cell reader.
fn sheet<R: Read>(rec: &mut Records<R>, strings: usize) -> Result<(), String> {
    if rec.skip_to(0x0094, &[(0x0081, None), (0x0093, None)]).is_err() {
        return Ok(());
    }
    rec.need(16, "sheet dimension")?;
    let bounds = [(0x0085, Some(0x0086)), (0x0025, Some(0x0026)), (0x01E5, None), (0x0186, Some(0x0187))];
    if rec.skip_to(0x0091, &bounds).is_err() {
        return Ok(());
    }
    loop {
        let Ok(typ) = rec.typ() else { return Ok(()) };
        if rec.body().is_err() {
            return Ok(());
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
                if rec.u32_at(0) > 0x0010_0000 {
                    return Ok(());
                }
            }
            0x0092 => return Ok(()),
            _ => {}
        }
    }
}

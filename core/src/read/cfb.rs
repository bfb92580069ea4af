//! A defensive reader and a canonical writer of OLE compound files (the container of
//! `.xls` workbooks).
//!
//! calamine's own container parser trusts the file's sector numbers and panics on some
//! malformed ones (found by our fuzzer: a sector past the end of the data slices out of
//! bounds; a chain entry past the FAT indexes out of bounds; on wasm32 a 64-bit stream
//! length is unwrapped into a 32-bit usize). A panic would kill the add-in's WASM module,
//! and catching it is impossible there. So the streams calamine needs are read here, with
//! every index checked, and handed to calamine in a freshly written, well-formed
//! container. The `cfb` crate would do the reading, but it pulls wasm-bindgen into core on
//! wasm32 (through web-time); this module is small and does only what calamine needs.

const SIGNATURE: &[u8; 8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FREE: u32 = 0xFFFF_FFFF;
const FAT_SECTOR: u32 = 0xFFFF_FFFD;
const MAX_REGULAR: u32 = 0xFFFF_FFFA;
const NO_STREAM: u32 = 0xFFFF_FFFF;
const MINI_CUTOFF: usize = 4096;
const MINI: usize = 64;

/// The streams calamine reads from an xls container.
const STREAMS: [&str; 4] = ["Workbook", "Book", "\u{5}SummaryInformation", "\u{5}DocumentSummaryInformation"];

/// Reads `bytes` as a compound file and rewrites the streams calamine uses into a new,
/// well-formed container, with the workbook stream's unused, unsafe parts neutralised
/// (see `biff`). `Err` describes what is malformed.
pub(super) fn sanitize(bytes: &[u8]) -> Result<(Vec<u8>, super::styles::WorkbookStyles), String> {
    let mut streams = extract(bytes, &STREAMS)?;
    // calamine reads the first stream named Workbook (any case), else the first named Book:
    // every such stream is neutralised, and the styles come from the one it will read.
    let read_by_calamine = streams
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case("Workbook"))
        .or_else(|| streams.iter().position(|(n, _)| n.eq_ignore_ascii_case("Book")))
        .ok_or("no Workbook stream in the compound file")?;
    let mut styles = None;
    for (i, (name, data)) in streams.iter_mut().enumerate() {
        if name.eq_ignore_ascii_case("Workbook") || name.eq_ignore_ascii_case("Book") {
            // Encrypted with Excel's default password: decrypted as Excel does. Any other
            // password leaves the stream as it is, and calamine reports it protected.
            let _decrypted = super::decrypt::xls_stream(data, super::biff::INERT);
            let s = super::biff::neutralize(data)?;
            if i == read_by_calamine {
                styles = Some(s);
            }
        }
    }
    let styles = styles.unwrap_or_default();
    Ok((write(&streams)?, styles))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

struct Reader<'a> {
    bytes: &'a [u8],
    size: usize,
    fat: Vec<u32>,
}

impl Reader<'_> {
    /// Sector `id`'s bytes (the last sector of a file may be short).
    fn sector(&self, id: u32) -> Result<&[u8], String> {
        let start = (id as usize).checked_add(1).and_then(|k| k.checked_mul(self.size));
        let start =
            start.filter(|s| *s < self.bytes.len()).ok_or_else(|| format!("sector {id} is past the end"))?;
        Ok(&self.bytes[start..(start + self.size).min(self.bytes.len())])
    }

    /// The sector ids of the chain starting at `start`, following `table`.
    fn chain(table: &[u32], start: u32) -> Result<Vec<u32>, String> {
        let mut ids = Vec::new();
        let mut id = start;
        while id != END_OF_CHAIN {
            if ids.len() >= table.len() {
                return Err("a sector chain loops".into());
            }
            let next = *table
                .get(id as usize)
                .ok_or_else(|| format!("sector {id} is not in the allocation table"))?;
            ids.push(id);
            id = next;
        }
        Ok(ids)
    }

    /// The bytes of the regular-sector chain at `start`, cut to `len`. A chain shorter
    /// than `len` gives what it holds: writers that overstate a stream's length exist, and
    /// Excel, LibreOffice and calamine read such files.
    fn read(&self, start: u32, len: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(len.min(self.bytes.len()));
        for id in Self::chain(&self.fat, start)? {
            if out.len() >= len {
                break;
            }
            out.extend_from_slice(self.sector(id)?);
        }
        out.truncate(len);
        Ok(out)
    }
}

/// The streams of the compound file `bytes` named in `wanted` (any case), each once.
pub(super) fn extract(bytes: &[u8], wanted: &[&str]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let header = bytes.get(..512).filter(|h| h.starts_with(SIGNATURE)).ok_or("not a compound file")?;
    let field32 = |at| u32_at(header, at).ok_or("short header");
    let size = match u16_at(header, 30) {
        Some(9) => 512,
        Some(12) => 4096,
        _ => return Err("invalid sector size".into()),
    };
    let mut r = Reader { bytes, size, fat: Vec::new() };
    let sectors = bytes.len() / size;
    let per_sector = size / 4;

    // The master allocation table: 109 entries in the header, then a chain of sectors.
    let mut difat: Vec<u32> = (0..109).filter_map(|i| u32_at(header, 76 + 4 * i)).collect();
    let mut next = field32(68)?;
    let mut hops = 0;
    while next < MAX_REGULAR {
        hops += 1;
        if hops > sectors {
            return Err("the master allocation table loops".into());
        }
        let s = r.sector(next)?;
        let entries: Vec<u32> = (0..per_sector).filter_map(|i| u32_at(s, 4 * i)).collect();
        let Some((&last, rest)) = entries.split_last() else { break };
        difat.extend_from_slice(rest);
        next = last;
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|id| *id < MAX_REGULAR) {
        // No more allocation sectors than the file has sectors (writers may leave some
        // unused; the table's memory stays below the file's size).
        if fat.len() >= sectors.saturating_add(1).saturating_mul(per_sector) {
            return Err("the allocation table is larger than the file".into());
        }
        let s = r.sector(id)?;
        fat.extend((0..s.len() / 4).filter_map(|i| u32_at(s, 4 * i)));
    }
    r.fat = fat;

    // The directory: 128-byte entries.
    let mut dir = Vec::new();
    for id in Reader::chain(&r.fat, field32(48)?)? {
        dir.extend_from_slice(r.sector(id)?);
    }
    let entries: Vec<&[u8]> = dir.chunks_exact(128).collect();
    let entry_len = |e: &[u8]| -> Result<usize, String> {
        let len =
            if size == 512 { u64::from(u32_at(e, 120).unwrap_or(0)) } else { u64_at(e, 120).unwrap_or(0) };
        // A length past the file's end is cut to it: the chain gives what it holds.
        Ok::<usize, String>(usize::try_from(len).unwrap_or(usize::MAX).min(bytes.len()))
    };
    let root = entries.first().ok_or("the directory is empty")?;
    let root_len = entry_len(root)?;

    // The mini stream (in the root entry's chain) and its allocation table.
    let mini_start = u32_at(root, 116).unwrap_or(END_OF_CHAIN);
    let ministream = if root_len > 0 { r.read(mini_start, root_len)? } else { Vec::new() };
    let minifat_ids = Reader::chain(&r.fat, field32(60)?).unwrap_or_default();
    let mut minifat = Vec::new();
    for id in minifat_ids {
        let s = r.sector(id)?;
        minifat.extend((0..s.len() / 4).filter_map(|i| u32_at(s, 4 * i)));
    }

    let mut out = Vec::new();
    for e in &entries[1..] {
        if e.get(66) != Some(&2) {
            continue; // not a stream
        }
        let name_len = usize::from(u16_at(e, 64).unwrap_or(0)).min(64);
        let units: Vec<u16> =
            (0..name_len / 2).filter_map(|i| u16_at(e, 2 * i)).take_while(|u| *u != 0).collect();
        let name = String::from_utf16_lossy(&units);
        if !wanted.iter().any(|s| s.eq_ignore_ascii_case(&name))
            || out.iter().any(|(n, _): &(String, _)| *n == name)
        {
            continue;
        }
        let len = entry_len(e)?;
        let start = u32_at(e, 116).unwrap_or(END_OF_CHAIN);
        let data = if len == 0 {
            Vec::new()
        } else if len < MINI_CUTOFF {
            let mut d = Vec::with_capacity(len);
            for id in Reader::chain(&minifat, start)? {
                let at = (id as usize).checked_mul(MINI).ok_or("mini sector out of range")?;
                let chunk =
                    ministream.get(at..at + MINI).or_else(|| ministream.get(at..)).filter(|c| !c.is_empty());
                d.extend_from_slice(chunk.ok_or("a mini sector is past the mini stream")?);
                if d.len() >= len {
                    break;
                }
            }
            d.truncate(len); // shorter when the chain is (see `Reader::read`)
            d
        } else {
            r.read(start, len)?
        };
        out.push((name, data));
    }
    Ok(out)
}

/// Writes a version-4 compound file (4096-byte sectors) holding `streams`.
pub(super) fn write(streams: &[(String, Vec<u8>)]) -> Result<Vec<u8>, String> {
    const SEC: usize = 4096;
    const PER_SECTOR: usize = SEC / 4;
    // calamine requires a version-4 root to own a mini stream; a one-byte marker stream
    // guarantees one exists.
    let marker = ("\u{1}localmerge".to_owned(), vec![0u8]);
    let all: Vec<&(String, Vec<u8>)> = streams.iter().chain(std::iter::once(&marker)).collect();
    if all.len() > SEC / 128 - 1 {
        return Err("too many streams".into());
    }

    // Mini streams first: their bytes, padded to 64, and their mini chains.
    let mut ministream = Vec::new();
    let mut minifat: Vec<u32> = Vec::new();
    let mut starts: Vec<(u32, bool)> = Vec::new(); // (start, in mini stream)
    for (_, data) in &all {
        if data.len() < MINI_CUTOFF {
            if data.is_empty() {
                starts.push((END_OF_CHAIN, true));
                continue;
            }
            let first = minifat.len() as u32;
            let n = data.len().div_ceil(MINI);
            for k in 0..n {
                minifat.push(if k + 1 == n { END_OF_CHAIN } else { first + k as u32 + 1 });
            }
            ministream.extend_from_slice(data);
            ministream.resize(ministream.len().div_ceil(MINI) * MINI, 0);
            starts.push((first, true));
        } else {
            starts.push((0, false)); // placed below
        }
    }

    // Regular sectors: FAT, directory, mini FAT, mini stream, then the large streams.
    let minifat_sectors = (minifat.len() * 4).div_ceil(SEC);
    let ministream_sectors = ministream.len().div_ceil(SEC);
    let large: usize =
        all.iter().filter(|(_, d)| d.len() >= MINI_CUTOFF).map(|(_, d)| d.len().div_ceil(SEC)).sum();
    let used = 1 + minifat_sectors + ministream_sectors + large;
    // calamine bounds mini sector ids by (file sectors × 8), as if sectors were 512 bytes:
    // free sectors at the end keep every mini sector id within that bound.
    let needed = minifat.len().div_ceil(8) + 1;
    let body = used.max(needed);
    let fat_sectors = body.div_ceil(PER_SECTOR - 1).max(1);
    if fat_sectors > 109 {
        return Err("the workbook is too large".into());
    }
    let total = fat_sectors + body;
    let mut fat = vec![FREE; fat_sectors * PER_SECTOR];
    fat[..fat_sectors].fill(FAT_SECTOR);
    let mut next = fat_sectors as u32;
    let mut alloc = |count: usize, fat: &mut Vec<u32>| -> u32 {
        let first = next;
        for k in 0..count {
            let id = first as usize + k;
            fat[id] = if k + 1 == count { END_OF_CHAIN } else { id as u32 + 1 };
        }
        next += count as u32;
        if count == 0 { END_OF_CHAIN } else { first }
    };
    let dir_start = alloc(1, &mut fat);
    let minifat_start = alloc(minifat_sectors, &mut fat);
    let ministream_start = alloc(ministream_sectors, &mut fat);
    for ((_, data), start) in all.iter().zip(starts.iter_mut()) {
        if !start.1 {
            start.0 = alloc(data.len().div_ceil(SEC), &mut fat);
        }
    }

    let mut out = vec![0u8; (total + 1) * SEC];
    let put32 = |out: &mut [u8], at: usize, v: u32| out[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let put16 = |out: &mut [u8], at: usize, v: u16| out[at..at + 2].copy_from_slice(&v.to_le_bytes());
    out[..8].copy_from_slice(SIGNATURE);
    put16(&mut out, 24, 0x003E);
    put16(&mut out, 26, 4);
    put16(&mut out, 28, 0xFFFE);
    put16(&mut out, 30, 12);
    put16(&mut out, 32, 6);
    put32(&mut out, 40, 1);
    put32(&mut out, 44, fat_sectors as u32);
    put32(&mut out, 48, dir_start);
    put32(&mut out, 56, MINI_CUTOFF as u32);
    put32(&mut out, 60, minifat_start);
    put32(&mut out, 64, minifat_sectors as u32);
    put32(&mut out, 68, END_OF_CHAIN);
    for i in 0..109 {
        put32(&mut out, 76 + 4 * i, if i < fat_sectors { i as u32 } else { FREE });
    }
    let sector_at = |id: u32| (id as usize + 1) * SEC;
    for (i, v) in fat.iter().enumerate() {
        put32(&mut out, SEC + 4 * i, *v);
    }
    // Directory: the root, then one entry per stream chained as right siblings.
    let d = sector_at(dir_start);
    let entry = |out: &mut [u8],
                 index: usize,
                 name: &str,
                 kind: u8,
                 start: u32,
                 len: usize,
                 right: u32,
                 child: u32| {
        let at = d + 128 * index;
        let units: Vec<u16> = name.encode_utf16().take(31).collect();
        for (k, u) in units.iter().enumerate() {
            put16(out, at + 2 * k, *u);
        }
        put16(out, at + 64, ((units.len() + 1) * 2) as u16);
        out[at + 66] = kind;
        out[at + 67] = 1; // black
        put32(out, at + 68, NO_STREAM);
        put32(out, at + 72, right);
        put32(out, at + 76, child);
        put32(out, at + 116, start);
        out[at + 120..at + 128].copy_from_slice(&(len as u64).to_le_bytes());
    };
    entry(&mut out, 0, "Root Entry", 5, ministream_start, ministream.len(), NO_STREAM, 1);
    for (i, ((name, data), (start, _))) in all.iter().zip(&starts).enumerate() {
        let right = if i + 1 < all.len() { i as u32 + 2 } else { NO_STREAM };
        entry(&mut out, i + 1, name, 2, *start, data.len(), right, NO_STREAM);
    }
    for i in all.len() + 1..SEC / 128 {
        let at = d + 128 * i;
        put32(&mut out, at + 68, NO_STREAM);
        put32(&mut out, at + 72, NO_STREAM);
        put32(&mut out, at + 76, NO_STREAM);
    }
    if minifat_sectors > 0 {
        let at = sector_at(minifat_start);
        for (i, v) in minifat.iter().enumerate() {
            put32(&mut out, at + 4 * i, *v);
        }
        let tail = at + 4 * minifat.len();
        out[tail..at + minifat_sectors * SEC].fill(0xFF);
    }
    if ministream_sectors > 0 {
        let at = sector_at(ministream_start);
        out[at..at + ministream.len()].copy_from_slice(&ministream);
    }
    for ((_, data), (start, mini)) in all.iter().zip(&starts) {
        if !mini {
            let at = sector_at(*start);
            out[at..at + data.len()].copy_from_slice(data);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_small_and_large_streams() {
        let big: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let streams =
            vec![("Workbook".to_owned(), big.clone()), ("\u{5}SummaryInformation".to_owned(), vec![7; 100])];
        let file = write(&streams).expect("write");
        let back = extract(&file, &STREAMS).expect("extract");
        assert_eq!(back, streams);
        assert_eq!(sanitize(&file).expect("sanitize").0, file, "canonical output is a fixed point");
        assert!(extract(&write(&streams[1..]).expect("write"), &STREAMS).is_ok());
    }

    #[test]
    fn a_stream_shorter_than_its_entry_says_is_read_as_it_is() {
        for len in [5000usize, 100] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut file = write(&[("Workbook".to_owned(), data.clone())]).expect("write");
            let name: Vec<u8> = "Workbook".encode_utf16().flat_map(u16::to_le_bytes).collect();
            let entry = file.windows(name.len()).position(|w| w == name.as_slice()).expect("entry");
            // Claim a few more bytes than the chain holds (and than a mini stream would).
            let claimed = if len < MINI_CUTOFF { 3_000u64 } else { 9_000 };
            file[entry + 120..entry + 128].copy_from_slice(&claimed.to_le_bytes());
            let streams = extract(&file, &STREAMS).expect("tolerated");
            assert!(streams[0].1.len() >= len && streams[0].1.starts_with(&data), "{len}");
        }
    }

    #[test]
    fn malformed_containers_are_errors() {
        let file = write(&[("Workbook".to_owned(), vec![1; 5000])]).expect("write");
        let mut cut = file.clone();
        cut.truncate(file.len() - 4096);
        assert!(sanitize(&cut).is_err());
        let mut looped = file.clone();
        // Point the FAT entry of the first data sector at itself.
        let first_data = u32_at(&looped, 48).expect("dir") as usize + 3;
        looped[4096 + 4 * first_data..4096 + 4 * first_data + 4]
            .copy_from_slice(&(first_data as u32).to_le_bytes());
        assert!(sanitize(&looped).is_err());
        assert!(sanitize(b"not a compound file").is_err());
    }
}

//! A zip archive written by copying entries as they are (their compressed bytes, method and
//! CRC unchanged) or storing new ones uncompressed: all the xlsb guard needs to repackage a
//! workbook with one part replaced.
//!
//! Written here rather than with `zip::ZipWriter` because the writer dispatches on the
//! compression method at run time, which links every compressor it supports (zopfli and
//! zlib-rs's deflate) into the add-in's WebAssembly — 77 KB gzipped — although nothing is
//! ever compressed. No zip64: a mailing list's workbook is far below 4 GB and 65,535 parts,
//! and a larger one is refused, not half-written.

/// An archive being written in memory.
#[derive(Debug, Default)]
pub(super) struct RawZip {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

/// One entry's header fields.
#[derive(Debug, Clone, Copy)]
pub(super) struct Header<'a> {
    /// The entry's name as the archive spells it.
    pub name: &'a [u8],
    /// The compression method's code (0 stored, 8 deflated).
    pub method: u16,
    /// The CRC-32 of the uncompressed data.
    pub crc: u32,
    /// The uncompressed size.
    pub size: u64,
}

const TOO_LARGE: &str = "the workbook is too large to repackage (more than 4 GB or 65,535 parts)";

fn u32_of(n: u64) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| TOO_LARGE.to_owned())
}

impl RawZip {
    /// An archive with room for about `capacity` bytes.
    pub(super) fn with_capacity(capacity: usize) -> RawZip {
        RawZip { out: Vec::with_capacity(capacity), ..RawZip::default() }
    }

    /// Appends an entry whose `data` is already in the form `header.method` says.
    pub(super) fn add(&mut self, header: Header<'_>, data: &[u8]) -> Result<(), String> {
        let entries = self.entries.checked_add(1).ok_or_else(|| TOO_LARGE.to_owned())?;
        let offset = u32_of(self.out.len() as u64)?;
        let (size, packed) = (u32_of(header.size)?, u32_of(data.len() as u64)?);
        let name_len =
            u16::try_from(header.name.len()).map_err(|_| "a part's name is too long".to_owned())?;
        // Bit 11: the name is UTF-8 (ASCII names need not say so).
        let flags: u16 = if header.name.is_ascii() { 0 } else { 0x0800 };
        // 1980-01-01 00:00, zip's earliest date: the parts' times are not kept.
        let (time, date): (u16, u16) = (0, 0x21);
        let common = |buf: &mut Vec<u8>| {
            for v in [flags, header.method, time, date] {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            for v in [header.crc, packed, size] {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            buf.extend_from_slice(&name_len.to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes()); // no extra field
        };
        self.out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        self.out.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0
        common(&mut self.out);
        self.out.extend_from_slice(header.name);
        self.out.extend_from_slice(data);

        self.central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        self.central.extend_from_slice(&20u16.to_le_bytes()); // made by: 2.0, MS-DOS
        self.central.extend_from_slice(&20u16.to_le_bytes()); // version needed
        common(&mut self.central);
        // No comment; disk 0; no internal or external attributes; the local header's offset.
        for v in [0u16, 0, 0] {
            self.central.extend_from_slice(&v.to_le_bytes());
        }
        self.central.extend_from_slice(&0u32.to_le_bytes());
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(header.name);
        self.entries = entries;
        Ok(())
    }

    /// Appends `data` stored uncompressed.
    pub(super) fn store(&mut self, name: &[u8], data: &[u8]) -> Result<(), String> {
        let header = Header { name, method: 0, crc: crc32fast::hash(data), size: data.len() as u64 };
        self.add(header, data)
    }

    /// The archive's bytes.
    pub(super) fn finish(mut self) -> Result<Vec<u8>, String> {
        let offset = u32_of(self.out.len() as u64)?;
        let size = u32_of(self.central.len() as u64)?;
        u32_of(self.out.len() as u64 + self.central.len() as u64 + 22)?;
        self.out.append(&mut self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        for v in [0u16, 0, self.entries, self.entries] {
            self.out.extend_from_slice(&v.to_le_bytes());
        }
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&offset.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes()); // no comment
        Ok(self.out)
    }
}

/// The archive `bytes` with the entry `name` replaced by `data` (stored), every other entry
/// copied as it is, compressed bytes and all.
pub(super) fn replace_entry(bytes: &[u8], name: &str, data: &[u8]) -> Result<Vec<u8>, String> {
    replace_entries(bytes, &[(name, data)])
}

/// The archive `bytes` with each named entry replaced by its data (stored), every other
/// entry copied as it is, compressed bytes and all.
pub(super) fn replace_entries(bytes: &[u8], new: &[(&str, &[u8])]) -> Result<Vec<u8>, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let added: usize = new.iter().map(|(_, d)| d.len()).sum();
    let mut out = RawZip::with_capacity(bytes.len() + added);
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| e.to_string())?;
        if let Some((_, data)) = new.iter().find(|(name, _)| entry.name().is_ok_and(|n| n == *name)) {
            out.store(entry.name_raw(), data)?;
            continue;
        }
        let method = match entry.compression() {
            zip::CompressionMethod::Stored => 0,
            zip::CompressionMethod::Deflated => 8,
            other => {
                return Err(format!(
                    "{}: compression method {other} is not supported",
                    entry.name_raw().escape_ascii()
                ));
            }
        };
        let packed = entry
            .data_start()
            .and_then(|start| {
                Some((usize::try_from(start).ok()?, usize::try_from(entry.compressed_size()).ok()?))
            })
            .and_then(|(start, len)| bytes.get(start..start.checked_add(len)?))
            .ok_or_else(|| format!("{}: its data lies outside the file", entry.name_raw().escape_ascii()))?;
        let header = Header { name: entry.name_raw(), method, crc: entry.crc32(), size: entry.size() };
        out.add(header, packed)?;
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;

    fn read_all(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut f = zip.by_index(i).unwrap();
                let mut data = Vec::new();
                f.read_to_end(&mut data).unwrap();
                (f.name().unwrap().into_owned(), data)
            })
            .collect()
    }

    #[test]
    fn stored_and_copied_entries_read_back_with_zip() {
        // A deflated entry taken raw from an archive made by zip's own writer.
        let mut source = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let deflated =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        source.start_file("xl/worksheets/sheet1.bin", deflated).unwrap();
        std::io::Write::write_all(&mut source, &b"abcabcabc".repeat(500)).unwrap();
        let source = source.finish().unwrap().into_inner();
        let mut archive = zip::ZipArchive::new(Cursor::new(&source)).unwrap();
        let raw = archive.by_index_raw(0).unwrap();
        let start = usize::try_from(raw.data_start().unwrap()).unwrap();
        let packed = &source[start..start + usize::try_from(raw.compressed_size()).unwrap()];
        assert!(packed.len() < 4500, "deflated: {}", packed.len());

        let mut out = RawZip::with_capacity(0);
        out.store(b"xl/workbook.bin", b"new workbook").unwrap();
        out.add(
            Header { name: b"xl/worksheets/sheet1.bin", method: 8, crc: raw.crc32(), size: raw.size() },
            packed,
        )
        .unwrap();
        out.store("xl/é.bin".as_bytes(), b"").unwrap();
        let entries = read_all(&out.finish().unwrap());
        assert_eq!(entries[0], ("xl/workbook.bin".to_owned(), b"new workbook".to_vec()));
        assert_eq!(entries[1], ("xl/worksheets/sheet1.bin".to_owned(), b"abcabcabc".repeat(500)));
        assert_eq!(entries[2], ("xl/é.bin".to_owned(), Vec::new()));
    }

    #[test]
    fn a_wrong_crc_is_caught_by_the_reader() {
        let mut out = RawZip::with_capacity(0);
        out.add(Header { name: b"a", method: 0, crc: 1, size: 3 }, b"abc").unwrap();
        let bytes = out.finish().unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let mut data = Vec::new();
        assert!(zip.by_index(0).unwrap().read_to_end(&mut data).is_err());
    }
}

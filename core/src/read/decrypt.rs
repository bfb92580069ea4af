//! Workbooks encrypted with Excel's built-in default password, "VelvetSweatshop", which
//! Excel opens without asking (it writes them for workbooks whose structure is protected or
//! that are marked read-only). Any other password makes the workbook password-protected:
//! localmerge never asks for one.
//!
//! Office Open XML encryption ([MS-OFFCRYPTO] 2.3.4): the package sits in a compound file
//! as `EncryptedPackage`, described by `EncryptionInfo`: *agile* (2.3.4.10–2.3.4.15: an XML
//! descriptor, keys derived with SHA-1/SHA-2 and a spin count, AES-CBC in 4096-byte
//! segments) or *standard* (2.3.4.5–2.3.4.9: a binary header, SHA-1, AES-ECB). Written here
//! on RustCrypto's AES and hashes: the one crate that decrypts these (office-crypto) reads
//! the container with the `cfb` crate, which brings wasm-bindgen into core on wasm32 (see
//! `cfb.rs`).

use aes::cipher::{BlockDecrypt, KeyInit, generic_array::GenericArray};
use sha1::Digest;

/// The "EncryptedPackage" stream name in UTF-16LE: an encrypted OOXML file is a compound
/// file, which must not be mistaken for an xls.
const ENCRYPTED_PACKAGE: &[u8] = b"E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";

/// Whether a compound file holds an encrypted OOXML package.
pub(super) fn is_encrypted_package(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, ENCRYPTED_PACKAGE).is_some()
}

/// The package inside an encrypted OOXML file, decrypted with the default password; any
/// other password, or an encryption this module does not read, is `PasswordProtected`.
pub(super) fn default_password_package(bytes: &[u8]) -> Result<Vec<u8>, super::ReadError> {
    let corrupt = |detail: String| super::ReadError::Corrupt { format: super::Format::Xlsx, detail };
    let streams = super::cfb::extract(bytes, &["EncryptionInfo", "EncryptedPackage"]).map_err(corrupt)?;
    let stream = |name: &str| streams.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, d)| d);
    let (Some(info), Some(data)) = (stream("EncryptionInfo"), stream("EncryptedPackage")) else {
        return Err(super::ReadError::PasswordProtected);
    };
    // Either way, the workbook needs a password localmerge does not have.
    package(info, data).map_err(|_| super::ReadError::PasswordProtected)
}

/// Excel's default password.
pub(super) const DEFAULT_PASSWORD: &str = "VelvetSweatshop";

/// Why a package was not decrypted.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Fail {
    /// Another password than the default one: the workbook is password-protected.
    Password,
    /// The encryption is described wrongly or in a way this module does not read.
    Unreadable(String),
}

fn unreadable(detail: impl Into<String>) -> Fail {
    Fail::Unreadable(detail.into())
}

/// An AES key of any of its three sizes.
enum Aes {
    A128(aes::Aes128),
    A192(aes::Aes192),
    A256(aes::Aes256),
}

impl Aes {
    fn new(key: &[u8]) -> Result<Aes, Fail> {
        let bad = |_| unreadable("an AES key has a wrong length");
        Ok(match key.len() {
            16 => Aes::A128(aes::Aes128::new_from_slice(key).map_err(bad)?),
            24 => Aes::A192(aes::Aes192::new_from_slice(key).map_err(bad)?),
            32 => Aes::A256(aes::Aes256::new_from_slice(key).map_err(bad)?),
            n => return Err(unreadable(format!("a {}-bit AES key", n * 8))),
        })
    }

    fn block(&self, b: &mut [u8]) {
        let b = GenericArray::from_mut_slice(b);
        match self {
            Aes::A128(c) => c.decrypt_block(b),
            Aes::A192(c) => c.decrypt_block(b),
            Aes::A256(c) => c.decrypt_block(b),
        }
    }

    /// Decrypts whole 16-byte blocks in place, chained (CBC) from `iv` or not (ECB); a
    /// trailing partial block is left as it is.
    fn decrypt(&self, data: &mut [u8], iv: Option<&[u8]>) {
        let mut prev: Option<[u8; 16]> = iv.and_then(|iv| iv.get(..16)?.try_into().ok());
        for chunk in data.chunks_exact_mut(16) {
            let cipher: [u8; 16] = chunk.try_into().unwrap_or([0; 16]);
            self.block(chunk);
            if let Some(p) = prev.as_mut() {
                chunk.iter_mut().zip(p.iter()).for_each(|(c, v)| *c ^= v);
                *p = cipher;
            }
        }
    }
}

/// A hash algorithm an agile descriptor names.
#[derive(Clone, Copy)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn of(name: &str) -> Result<Hash, Fail> {
        Ok(match name {
            "SHA1" | "SHA-1" => Hash::Sha1,
            "SHA256" => Hash::Sha256,
            "SHA384" => Hash::Sha384,
            "SHA512" => Hash::Sha512,
            other => return Err(unreadable(format!("hash algorithm {other}"))),
        })
    }

    fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            parts.iter().for_each(|p| d.update(p));
            d.finalize().to_vec()
        }
        match self {
            Hash::Sha1 => run::<sha1::Sha1>(parts),
            Hash::Sha256 => run::<sha2::Sha256>(parts),
            Hash::Sha384 => run::<sha2::Sha384>(parts),
            Hash::Sha512 => run::<sha2::Sha512>(parts),
        }
    }
}

fn utf16le(password: &str) -> Vec<u8> {
    password.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// H(salt + password), then `spins` rounds of H(round + previous) ([MS-OFFCRYPTO] 2.3.4.7
/// and 2.3.4.11).
fn spun(hash: Hash, salt: &[u8], password: &str, spins: u32) -> Vec<u8> {
    let mut h = hash.digest(&[salt, &utf16le(password)]);
    for i in 0..spins {
        h = hash.digest(&[&i.to_le_bytes(), &h]);
    }
    h
}

/// The most a descriptor may ask to spin: Office writes 100,000; a hostile file must not
/// hold the reader for minutes.
const MAX_SPINS: u32 = 10_000_000;

/// Decrypts an OOXML package from its `EncryptionInfo` and `EncryptedPackage` streams with
/// the default password.
pub(super) fn package(info: &[u8], package: &[u8]) -> Result<Vec<u8>, Fail> {
    let version = (u16_at(info, 0), u16_at(info, 2));
    match version {
        (Some(4), Some(4)) => agile(info.get(8..).unwrap_or_default(), package),
        (Some(2..=4), Some(2)) => standard(info, package),
        (Some(major), Some(minor)) => Err(unreadable(format!("encryption version {major}.{minor}"))),
        _ => Err(unreadable("the encryption description is too short")),
    }
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// The package's declared size and its encrypted bytes.
fn sized(package: &[u8]) -> Result<(usize, &[u8]), Fail> {
    let size = package.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
    let size =
        size.and_then(|s| usize::try_from(s).ok()).ok_or_else(|| unreadable("the package is too short"))?;
    let data = &package[8..];
    if size > data.len() {
        return Err(unreadable("the package is shorter than its declared size"));
    }
    Ok((size, data))
}

/// One element's attributes of the agile descriptor.
struct Attrs(Vec<(String, String)>);

impl Attrs {
    fn get(&self, name: &str) -> Result<&str, Fail> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| unreadable(format!("the encryption description lacks {name}")))
    }

    fn bytes(&self, name: &str) -> Result<Vec<u8>, Fail> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(self.get(name)?.trim())
            .map_err(|_| unreadable(format!("{name} is not base64")))
    }

    fn number(&self, name: &str) -> Result<u32, Fail> {
        self.get(name)?.trim().parse().map_err(|_| unreadable(format!("{name} is not a number")))
    }
}

/// The `keyData` element and the password's `encryptedKey` element.
fn descriptor(xml: &[u8]) -> Result<(Attrs, Attrs), Fail> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let (mut key_data, mut encrypted_key) = (None, None);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                let local = e.local_name();
                let attrs = || {
                    Attrs(
                        e.attributes()
                            .flatten()
                            .filter_map(|a| {
                                let v = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()?;
                                Some((a.key.local_name().as_ref().to_owned(), v.into_owned()))
                            })
                            .collect(),
                    )
                };
                match local.as_ref() {
                    "keyData" => key_data = Some(attrs()),
                    "encryptedKey" => encrypted_key = Some(attrs()),
                    _ => {}
                }
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Err(e) => return Err(unreadable(format!("the encryption description: {e}"))),
            _ => {}
        }
        buf.clear();
    }
    match (key_data, encrypted_key) {
        (Some(k), Some(p)) => Ok((k, p)),
        _ => Err(unreadable("the encryption description has no password key")),
    }
}

/// The block keys of [MS-OFFCRYPTO] 2.3.4.13.
const VERIFIER_INPUT: [u8; 8] = [0xfe, 0xa7, 0xd2, 0x76, 0x3b, 0x4b, 0x9e, 0x79];
const VERIFIER_VALUE: [u8; 8] = [0xd7, 0xaa, 0x0f, 0x6d, 0x30, 0x61, 0x34, 0x4e];
const KEY_VALUE: [u8; 8] = [0x14, 0x6e, 0x0b, 0xe7, 0xab, 0xac, 0xd0, 0xd6];

fn agile(xml: &[u8], package: &[u8]) -> Result<Vec<u8>, Fail> {
    let (data, key) = descriptor(xml)?;
    for a in [&data, &key] {
        if a.get("cipherAlgorithm")? != "AES" || a.get("cipherChaining")? != "ChainingModeCBC" {
            return Err(unreadable("a cipher other than AES-CBC"));
        }
    }
    let hash = Hash::of(key.get("hashAlgorithm")?)?;
    let spins = key.number("spinCount")?;
    if spins > MAX_SPINS {
        return Err(unreadable(format!("a spin count of {spins}")));
    }
    let key_len = usize::try_from(key.number("keyBits")? / 8).unwrap_or(0);
    let salt = key.bytes("saltValue")?;
    let h = spun(hash, &salt, DEFAULT_PASSWORD, spins);
    let derive = |block: &[u8]| {
        let mut k = hash.digest(&[&h, block]);
        k.resize(key_len, 0x36);
        Aes::new(&k)
    };
    let open = |name: &str, block: &[u8]| -> Result<Vec<u8>, Fail> {
        let mut v = key.bytes(name)?;
        derive(block)?.decrypt(&mut v, Some(&salt));
        Ok(v)
    };
    let input = open("encryptedVerifierHashInput", &VERIFIER_INPUT)?;
    let value = open("encryptedVerifierHashValue", &VERIFIER_VALUE)?;
    let salt_size = usize::try_from(key.number("saltSize")?).unwrap_or(0);
    let expected = hash.digest(&[input.get(..salt_size).unwrap_or(&input)]);
    if value.get(..expected.len()) != Some(expected.as_slice()) {
        return Err(Fail::Password);
    }
    let mut secret = open("encryptedKeyValue", &KEY_VALUE)?;
    secret.truncate(usize::try_from(data.number("keyBits")? / 8).unwrap_or(0));
    let cipher = Aes::new(&secret)?;
    let data_hash = Hash::of(data.get("hashAlgorithm")?)?;
    let data_salt = data.bytes("saltValue")?;
    let block_size = usize::try_from(data.number("blockSize")?).unwrap_or(16);
    let (size, encrypted) = sized(package)?;
    let mut out = encrypted.to_vec();
    for (i, segment) in out.chunks_mut(4096).enumerate() {
        let i = u32::try_from(i).map_err(|_| unreadable("the package is too large"))?;
        let mut iv = data_hash.digest(&[&data_salt, &i.to_le_bytes()]);
        iv.resize(block_size, 0x36);
        cipher.decrypt(segment, Some(&iv));
    }
    out.truncate(size);
    Ok(out)
}

fn standard(info: &[u8], package: &[u8]) -> Result<Vec<u8>, Fail> {
    let short = || unreadable("the encryption header is too short");
    let header_size = usize::try_from(u32_at(info, 8).ok_or_else(short)?).map_err(|_| short())?;
    let header = info.get(12..12 + header_size).ok_or_else(short)?;
    // EncryptionHeader: flags, size extra, algorithm, hash algorithm, key size in bits.
    let alg = u32_at(header, 8).ok_or_else(short)?;
    if !matches!(alg, 0x660E..=0x6610) {
        return Err(unreadable(format!("cipher {alg:#x} (only AES is read)")));
    }
    let key_bits = u32_at(header, 16).ok_or_else(short)?;
    let verifier = info.get(12 + header_size..).ok_or_else(short)?;
    let salt_size = usize::try_from(u32_at(verifier, 0).ok_or_else(short)?).map_err(|_| short())?;
    let salt = verifier.get(4..4 + salt_size).ok_or_else(short)?;
    let mut encrypted_verifier = verifier.get(4 + salt_size..20 + salt_size).ok_or_else(short)?.to_vec();
    let hash_size =
        usize::try_from(u32_at(verifier, 20 + salt_size).ok_or_else(short)?).map_err(|_| short())?;
    let mut encrypted_hash = verifier.get(24 + salt_size..56 + salt_size).ok_or_else(short)?.to_vec();

    // 2.3.4.7: 50,000 SHA-1 spins, the block number 0, then the key from two pads.
    let h = spun(Hash::Sha1, salt, DEFAULT_PASSWORD, 50_000);
    let h_final = Hash::Sha1.digest(&[&h, &0u32.to_le_bytes()]);
    let pad = |byte: u8| {
        let mut buf = [byte; 64];
        buf.iter_mut().zip(&h_final).for_each(|(b, h)| *b ^= h);
        Hash::Sha1.digest(&[&buf])
    };
    let mut key = [pad(0x36), pad(0x5c)].concat();
    key.truncate(usize::try_from(key_bits / 8).unwrap_or(0));
    let cipher = Aes::new(&key)?;
    cipher.decrypt(&mut encrypted_verifier, None);
    cipher.decrypt(&mut encrypted_hash, None);
    let expected = Hash::Sha1.digest(&[&encrypted_verifier]);
    if encrypted_hash.get(..hash_size.min(expected.len())) != expected.get(..hash_size.min(expected.len())) {
        return Err(Fail::Password);
    }
    let (size, encrypted) = sized(package)?;
    let mut out = encrypted.to_vec();
    cipher.decrypt(&mut out, None);
    out.truncate(size);
    Ok(out)
}

/// The RC4 keystream of an xls workbook stream: a fresh key every 1,024 bytes of the
/// stream ([MS-XLS] 2.2.10, [MS-OFFCRYPTO] 2.3.6.2 and 2.3.5.2).
struct Rc4Keys {
    key: Box<dyn Fn(u32) -> [u8; 16]>,
    block: Option<(u32, [u8; 1024])>,
}

impl Rc4Keys {
    /// The keystream byte at stream offset `pos`.
    fn at(&mut self, pos: usize) -> u8 {
        use rc4::{KeyInit as _, StreamCipher as _};
        let block = u32::try_from(pos / 1024).unwrap_or(u32::MAX);
        if self.block.as_ref().is_none_or(|(b, _)| *b != block) {
            let key = (self.key)(block);
            let mut stream = [0u8; 1024];
            rc4::Rc4::<rc4::consts::U16>::new(&key.into()).apply_keystream(&mut stream);
            self.block = Some((block, stream));
        }
        self.block.as_ref().map_or(0, |(_, s)| s[pos % 1024])
    }
}

fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut d = md5::Md5::new();
    parts.iter().for_each(|p| d.update(p));
    d.finalize().into()
}

/// The keys of an xls FILEPASS record's RC4 encryption (`body`: the record past its
/// encryption type) under the default password.
fn rc4_keys(body: &[u8]) -> Result<Rc4Keys, Fail> {
    let short = || unreadable("the FILEPASS record is too short");
    let rc4 = |key: &[u8; 16]| {
        use rc4::KeyInit as _;
        rc4::Rc4::<rc4::consts::U16>::new(&(*key).into())
    };
    match (u16_at(body, 0), u16_at(body, 2)) {
        // RC4 ([MS-OFFCRYPTO] 2.3.6): salt, verifier and its MD5, MD5-derived keys.
        (Some(1), Some(1)) => {
            use rc4::StreamCipher as _;
            let salt: [u8; 16] = body.get(4..20).and_then(|b| b.try_into().ok()).ok_or_else(short)?;
            let mut verifier: [u8; 16] =
                body.get(20..36).and_then(|b| b.try_into().ok()).ok_or_else(short)?;
            let mut hash: [u8; 16] = body.get(36..52).and_then(|b| b.try_into().ok()).ok_or_else(short)?;
            let h0 = md5(&[&utf16le(DEFAULT_PASSWORD)]);
            let round: Vec<u8> = [&h0[..5], &salt[..]].concat();
            let h1 = md5(&[&round.repeat(16)]);
            let base: [u8; 5] = h1[..5].try_into().map_err(|_| short())?;
            let key = move |block: u32| md5(&[&base, &block.to_le_bytes()]);
            let mut cipher = rc4(&key(0));
            cipher.apply_keystream(&mut verifier);
            cipher.apply_keystream(&mut hash);
            if md5(&[&verifier]) != hash {
                return Err(Fail::Password);
            }
            Ok(Rc4Keys { key: Box::new(key), block: None })
        }
        // RC4 CryptoAPI ([MS-OFFCRYPTO] 2.3.5): a header and a verifier, SHA-1 keys.
        (Some(2..=4), Some(2)) => {
            use rc4::StreamCipher as _;
            let header_size = usize::try_from(u32_at(body, 8).ok_or_else(short)?).map_err(|_| short())?;
            let header = body.get(12..12 + header_size).ok_or_else(short)?;
            let alg = u32_at(header, 8).ok_or_else(short)?;
            if alg != 0x6801 && alg != 0 {
                return Err(unreadable(format!("cipher {alg:#x} in an xls")));
            }
            let key_bits = match u32_at(header, 16).ok_or_else(short)? {
                0 => 40,
                bits => bits,
            };
            if !(40..=128).contains(&key_bits) || key_bits % 8 != 0 {
                return Err(unreadable(format!("a {key_bits}-bit RC4 key")));
            }
            let v = body.get(12 + header_size..).ok_or_else(short)?;
            let salt_size = usize::try_from(u32_at(v, 0).ok_or_else(short)?).map_err(|_| short())?;
            let salt = v.get(4..4 + salt_size).ok_or_else(short)?.to_vec();
            let mut verifier = v.get(4 + salt_size..20 + salt_size).ok_or_else(short)?.to_vec();
            let mut hash = v.get(24 + salt_size..44 + salt_size).ok_or_else(short)?.to_vec();
            let h0 = Hash::Sha1.digest(&[&salt, &utf16le(DEFAULT_PASSWORD)]);
            let len = (key_bits / 8) as usize;
            // A 40-bit key is padded with zeros to 128 bits (2.3.5.2).
            let key = move |block: u32| {
                let h = Hash::Sha1.digest(&[&h0, &block.to_le_bytes()]);
                let mut k = [0u8; 16];
                k[..len].copy_from_slice(&h[..len]);
                k
            };
            let mut cipher = rc4(&key(0));
            cipher.apply_keystream(&mut verifier);
            cipher.apply_keystream(&mut hash);
            if Hash::Sha1.digest(&[&verifier]) != hash {
                return Err(Fail::Password);
            }
            Ok(Rc4Keys { key: Box::new(key), block: None })
        }
        _ => Err(unreadable("an RC4 encryption of an unknown version")),
    }
}

/// Records an encrypted xls stream leaves in the clear: BOF, FILEPASS, UsrExcl, FileLock,
/// InterfaceHdr, RRDInfo, RRDHead ([MS-XLS] 2.2.10).
const CLEAR: [u16; 7] = [0x0809, 0x002F, 0x0194, 0x0195, 0x00E1, 0x0196, 0x0138];

/// Decrypts in place an xls workbook stream whose globals begin with an RC4 FILEPASS
/// record, when the default password opens it; the FILEPASS record is retagged as
/// `inert` so that calamine reads the stream as unencrypted. `Ok(false)` when the stream
/// has no such record; `Err(Password)` when another password is needed.
pub(super) fn xls_stream(stream: &mut [u8], inert: u16) -> Result<bool, Fail> {
    let record = |s: &[u8], pos: usize| -> Option<(u16, usize)> {
        let h = s.get(pos..pos + 4)?;
        Some((u16::from_le_bytes([h[0], h[1]]), usize::from(u16::from_le_bytes([h[2], h[3]]))))
    };
    // FILEPASS follows the globals' BOF (and may follow a few records before the first
    // encrypted one): look in the globals only.
    let mut pos = 0;
    let filepass = loop {
        let Some((typ, len)) = record(stream, pos) else { return Ok(false) };
        match typ {
            0x002F => break pos,
            0x000A => return Ok(false),
            _ => pos += 4 + len,
        }
    };
    let (_, len) = record(stream, filepass).ok_or_else(|| unreadable("FILEPASS"))?;
    let body = stream.get(filepass + 4..filepass + 4 + len).ok_or_else(|| unreadable("FILEPASS"))?;
    if u16_at(body, 0) != Some(1) {
        // XOR obfuscation (type 0): its key comes from the password's own hash, which the
        // default password does not open in practice.
        return Err(Fail::Password);
    }
    let mut keys = rc4_keys(&body[2..])?;
    stream[filepass..filepass + 2].copy_from_slice(&inert.to_le_bytes());
    let mut pos = filepass + 4 + len;
    while let Some((typ, len)) = record(stream, pos) {
        let start = pos + 4;
        let end = (start + len).min(stream.len());
        if !CLEAR.contains(&typ) {
            // BOUNDSHEET's first field, the sheet's offset, stays in the clear.
            let from = if typ == 0x0085 { start + 4 } else { start };
            if let Some(data) = stream.get_mut(from..end) {
                data.iter_mut().enumerate().for_each(|(i, b)| *b ^= keys.at(from + i));
            }
        }
        pos = start + len;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn data(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn emails(bytes: Vec<u8>) -> Result<Vec<String>, super::super::ReadError> {
        let t = crate::Workbook::open(bytes).and_then(|mut w| w.read(None))?;
        Ok(t.rows.iter().map(|r| r.values[0].to_text()).collect())
    }

    #[test]
    fn the_default_password_opens_agile_and_standard_encryption() {
        let plain = emails(data("contacts.xlsxwriter.xlsx")).expect("plain");
        // Agile (AES-256, SHA-512), written by msoffcrypto-tool.
        assert_eq!(emails(data("contacts.velvetsweatshop.xlsx")).expect("agile"), plain);
        // Standard (AES-128, SHA-1), written from the specification by standard.py.
        let standard = super::super::cfb::write(&[
            ("EncryptionInfo".to_owned(), data("encryption/standard.info")),
            ("EncryptedPackage".to_owned(), data("encryption/standard.package")),
        ])
        .expect("container");
        assert_eq!(emails(standard).expect("standard"), plain);
    }

    fn xls(stream: Vec<u8>) -> Vec<u8> {
        super::super::cfb::write(&[("Workbook".to_owned(), stream)]).expect("container")
    }

    #[test]
    fn the_default_password_opens_rc4_and_cryptoapi_xls() {
        let plain = emails(data("contacts.libreoffice.xls")).expect("plain");
        for name in ["encryption/xls-rc4.workbook", "encryption/xls-cryptoapi.workbook"] {
            assert_eq!(emails(xls(data(name))).expect(name), plain, "{name}");
            // Another password: the verifier does not match (a bit of it flipped).
            let mut other = data(name);
            let filepass = 20; // after the globals' BOF (4 + 16 bytes)
            assert_eq!(u16_at(&other, filepass), Some(0x002F), "{name}: FILEPASS follows BOF");
            // The record ends with the encrypted verifier's hash.
            let len = usize::from(u16_at(&other, filepass + 2).unwrap_or(0));
            other[filepass + 4 + len - 1] ^= 1;
            let err = emails(xls(other)).expect_err("another password");
            assert!(matches!(err, super::super::ReadError::PasswordProtected), "{name}: {err}");
        }
    }

    #[test]
    fn another_password_is_password_protected() {
        let err = emails(data("contacts.password.xlsx")).expect_err("another password");
        assert!(matches!(err, super::super::ReadError::PasswordProtected), "{err}");
        // A wrong verifier in standard encryption: flip a bit of the encrypted verifier.
        let mut info = data("encryption/standard.info");
        let at = info.len() - 32 - 4 - 16;
        info[at] ^= 1;
        let file = super::super::cfb::write(&[
            ("EncryptionInfo".to_owned(), info),
            ("EncryptedPackage".to_owned(), data("encryption/standard.package")),
        ])
        .expect("container");
        assert!(matches!(emails(file), Err(super::super::ReadError::PasswordProtected)));
    }

    #[test]
    fn keys_derive_as_the_specification_says() {
        // Computed independently with Python's hashlib: SHA-1 of the password's UTF-16LE
        // bytes, and three SHA-512 spins over a salt of sixteen 0x01 bytes.
        assert_eq!(
            hex(&spun(Hash::Sha1, &[], DEFAULT_PASSWORD, 0)),
            "93924916a004cdcf6bf4534cc3bef873692a323d"
        );
        assert_eq!(
            hex(&spun(Hash::Sha512, &[1; 16], DEFAULT_PASSWORD, 3)[..16]),
            "b227a768c4352fa969c45072d3456667"
        );
    }
}

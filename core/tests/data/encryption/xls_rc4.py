#!/usr/bin/env python3
"""Writes xls-rc4.workbook and xls-cryptoapi.workbook: the Workbook stream of
contacts.libreoffice.xls encrypted under Excel's default password with RC4 ([MS-OFFCRYPTO]
2.3.6, Excel 97) and with RC4 CryptoAPI (2.3.5, Excel 2002 on), as [MS-XLS] 2.2.10 lays
them out: a FILEPASS record after the globals' BOF, every record's data encrypted by its
offset in the stream (a fresh key every 1,024 bytes) except BOF, FILEPASS, InterfaceHdr and
a few others, and BoundSheet8's sheet offset. Nothing here writes encrypted xls files, so
this follows the specifications, independently of core's decryptor; msoffcrypto-tool
decrypts both (wrapped in a compound file) to what contacts.libreoffice.xls holds.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install cryptography olefile
    /tmp/venv/bin/python core/tests/data/encryption/xls_rc4.py
"""
import hashlib
import os
import struct

import olefile
from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
from cryptography.hazmat.primitives.ciphers import Cipher

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "VelvetSweatshop".encode("utf-16-le")
SALT = bytes(range(16))
VERIFIER = bytes(range(200, 216))
CLEAR = {0x0809, 0x002F, 0x0194, 0x0195, 0x00E1, 0x0196, 0x0138}


def rc4(key, data):
    return Cipher(ARC4(key), mode=None).encryptor().update(data)


def records(stream):
    pos = 0
    while pos + 4 <= len(stream):
        typ, size = struct.unpack_from("<HH", stream, pos)
        yield typ, stream[pos + 4 : pos + 4 + size]
        pos += 4 + size


def encrypt(plain, filepass_body, block_key):
    recs = list(records(plain))
    filepass = struct.pack("<HH", 0x002F, len(filepass_body)) + filepass_body
    # The sheets move by the FILEPASS record's length.
    out = bytearray()
    for i, (typ, data) in enumerate(recs):
        if typ == 0x0085:
            data = struct.pack("<I", struct.unpack_from("<I", data)[0] + len(filepass)) + data[4:]
        out += struct.pack("<HH", typ, len(data)) + data
        if i == 0:
            out += filepass
    # Encrypt each record's data by stream offset.
    keystream = {}

    def ks(pos):
        block = pos // 1024
        if block not in keystream:
            keystream[block] = rc4(block_key(block), bytes(1024))
        return keystream[block][pos % 1024]

    pos = 0
    while pos + 4 <= len(out):
        typ, size = struct.unpack_from("<HH", out, pos)
        start = pos + 4
        if typ not in CLEAR:
            first = start + 4 if typ == 0x0085 else start
            for p in range(first, start + size):
                out[p] ^= ks(p)
        pos = start + size
    return bytes(out)


def rc4_basic(plain):
    h0 = hashlib.md5(PASSWORD).digest()
    h1 = hashlib.md5((h0[:5] + SALT) * 16).digest()

    def key(block):
        return hashlib.md5(h1[:5] + struct.pack("<I", block)).digest()

    sealed = rc4(key(0), VERIFIER + hashlib.md5(VERIFIER).digest())
    body = struct.pack("<HHH", 1, 1, 1) + SALT + sealed
    return encrypt(plain, body, key)


def rc4_cryptoapi(plain):
    h0 = hashlib.sha1(SALT + PASSWORD).digest()

    def key(block):
        # 128-bit keys: the first 16 bytes of SHA-1(H0 + block).
        return hashlib.sha1(h0 + struct.pack("<I", block)).digest()[:16]

    csp = "Microsoft Enhanced Cryptographic Provider v1.0\0".encode("utf-16-le")
    header = struct.pack("<IIIIIIII", 0x04, 0, 0x6801, 0x8004, 128, 0x01, 0, 0) + csp
    sealed = rc4(key(0), VERIFIER + hashlib.sha1(VERIFIER).digest())
    verifier = struct.pack("<I", 16) + SALT + sealed[:16] + struct.pack("<I", 20) + sealed[16:]
    body = struct.pack("<HHHI", 1, 4, 2, 0x04) + struct.pack("<I", len(header)) + header + verifier
    return encrypt(plain, body, key)


def main():
    ole = olefile.OleFileIO(os.path.join(HERE, "..", "contacts.libreoffice.xls"))
    plain = ole.openstream("Workbook").read()
    for name, make in [("xls-rc4.workbook", rc4_basic), ("xls-cryptoapi.workbook", rc4_cryptoapi)]:
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(make(plain))


if __name__ == "__main__":
    main()

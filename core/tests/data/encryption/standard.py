#!/usr/bin/env python3
"""Writes standard.info and standard.package: the EncryptionInfo and EncryptedPackage
streams of contacts.xlsxwriter.xlsx encrypted with ECMA-376 *standard* encryption
([MS-OFFCRYPTO] 2.3.4.5-2.3.4.9: AES-128, SHA-1, 50,000 spins) under Excel's default
password. Neither LibreOffice nor msoffcrypto-tool writes standard encryption (Excel 2007
does), so this is written from the specification, independently of core's decryptor, with
the `cryptography` package. msoffcrypto-tool decrypts the result (wrapped in a compound
file) back to the original workbook byte for byte:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install cryptography
    /tmp/venv/bin/python core/tests/data/encryption/standard.py
"""
import hashlib
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "VelvetSweatshop"
SALT = bytes(range(16))  # fixed, so the output is reproducible


def key(salt, password, key_bits=128):
    h = hashlib.sha1(salt + password.encode("utf-16-le")).digest()
    for i in range(50000):
        h = hashlib.sha1(struct.pack("<I", i) + h).digest()
    h = hashlib.sha1(h + struct.pack("<I", 0)).digest()
    x1 = hashlib.sha1(bytes(b ^ 0x36 for b in h.ljust(64, b"\0")[:20]) + bytes([0x36] * 44)).digest()
    x2 = hashlib.sha1(bytes(b ^ 0x5C for b in h.ljust(64, b"\0")[:20]) + bytes([0x5C] * 44)).digest()
    return (x1 + x2)[: key_bits // 8]


def ecb(k, data):
    e = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
    return e.update(data) + e.finalize()


def main():
    k = key(SALT, PASSWORD)
    verifier = bytes(range(100, 116))
    verifier_hash = hashlib.sha1(verifier).digest().ljust(32, b"\0")
    csp = "Microsoft Enhanced RSA and AES Cryptographic Provider\0".encode("utf-16-le")
    # EncryptionHeader: flags (fCryptoAPI | fAES), size extra, AES-128, SHA-1, 128 bits,
    # provider type (PROV_RSA_AES), two reserved fields, the CSP name.
    header = struct.pack("<IIIIIIII", 0x24, 0, 0x660E, 0x8004, 128, 0x18, 0, 0) + csp
    verifier_part = struct.pack("<I", 16) + SALT + ecb(k, verifier) + struct.pack("<I", 20) + ecb(k, verifier_hash)
    info = struct.pack("<HHI", 4, 2, 0x24) + struct.pack("<I", len(header)) + header + verifier_part
    with open(os.path.join(HERE, "..", "contacts.xlsxwriter.xlsx"), "rb") as f:
        plain = f.read()
    padded = plain + b"\0" * (-len(plain) % 16)
    package = struct.pack("<Q", len(plain)) + ecb(k, padded)
    with open(os.path.join(HERE, "standard.info"), "wb") as f:
        f.write(info)
    with open(os.path.join(HERE, "standard.package"), "wb") as f:
        f.write(package)


if __name__ == "__main__":
    main()

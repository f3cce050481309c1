#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A second, independent reader of supactl's encrypted backup format (include/supactl/backup/
# crypt.hpp), written from its description and used by a test as an oracle:
#   decrypt_backup.py KEYFILE IN OUT   -> exit 0 and OUT = the plaintext, or exit 1
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def main():
    key = bytes.fromhex(open(sys.argv[1]).read().strip())
    data = open(sys.argv[2], "rb").read()
    header, rest = data[:52], data[52:]
    if header[:8] != b"SPCTLENC" or header[8] != 1 or header[9] != 1:
        sys.exit("not an encrypted backup")
    chunk = 1 << header[10]
    salt = header[12:44]
    file_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"supactl backup v1").derive(key)
    aead = AESGCM(file_key)
    out, index = [], 0
    while True:
        last = len(rest) <= chunk + 16
        record, rest = (rest, b"") if last else (rest[: chunk + 16], rest[chunk + 16 :])
        nonce = bytes(4) + index.to_bytes(8, "big")
        out.append(aead.decrypt(nonce, record, header + (b"\x01" if last else b"\x00")))
        index += 1
        if last:
            break
    open(sys.argv[3], "wb").write(b"".join(out))


if __name__ == "__main__":
    main()

"""The SHA-256 of a file, read in blocks (a workbook may be large): the blob store's names, merge's input
identities and the library's input hashes are all this one function (hashlib.file_digest needs 3.11)."""

from __future__ import annotations

import hashlib
import os


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

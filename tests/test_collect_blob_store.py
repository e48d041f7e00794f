"""The blob store writes each file once: an upload the worker checked from a private file is linked into the
store under its SHA-256 (the same bytes on disk, no second write), and only when the file really holds the
bytes being stored (issue 25)."""

from __future__ import annotations

import hashlib
import os

from workbook_engine.collect.storage import BlobStore


def store(tmp_path) -> BlobStore:
    spool = tmp_path / "spool"
    spool.mkdir()
    return BlobStore(tmp_path / "blobs", spool=lambda: spool)


def test_a_staged_file_is_linked_in_not_written_again(tmp_path):
    blobs = store(tmp_path)
    data = os.urandom(50_000)
    staged = tmp_path / "upload.xlsx"
    staged.write_bytes(data)
    digest = blobs.put(data, staged=staged)
    assert digest == hashlib.sha256(data).hexdigest()
    assert blobs.path(digest).stat().st_ino == staged.stat().st_ino  # one file, two names
    assert blobs.verify(digest) and blobs.read(digest) == data
    assert list((tmp_path / "spool").iterdir()) == []  # the temporary name is gone
    staged.unlink()  # the caller's scratch folder goes; the blob stays
    assert blobs.verify(digest)


def test_a_staged_file_with_other_bytes_is_not_trusted(tmp_path):
    blobs = store(tmp_path)
    data = b"the bytes checked" * 100
    staged = tmp_path / "upload.xlsx"
    staged.write_bytes(b"something else" * 100)
    digest = blobs.put(data, staged=staged)
    assert blobs.read(digest) == data
    assert blobs.path(digest).stat().st_ino != staged.stat().st_ino


def test_a_staged_file_that_is_gone_falls_back_to_writing(tmp_path):
    blobs = store(tmp_path)
    digest = blobs.put(b"bytes", staged=tmp_path / "missing.xlsx")
    assert blobs.read(digest) == b"bytes"


def test_the_same_bytes_again_keep_the_one_blob(tmp_path):
    blobs = store(tmp_path)
    staged = tmp_path / "upload.xlsx"
    staged.write_bytes(b"same" * 1000)
    first = blobs.put(b"same" * 1000, staged=staged)
    inode = blobs.path(first).stat().st_ino
    again = tmp_path / "again.xlsx"
    again.write_bytes(b"same" * 1000)
    assert blobs.put(b"same" * 1000, staged=again) == first
    assert blobs.path(first).stat().st_ino == inode

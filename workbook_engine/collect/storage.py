"""The blob store: every submitted file kept under DATA_DIR/blobs/ab/cdef… named by its SHA-256.

A file is written to a temporary name in the store, flushed to disk, then linked to its final name, so a
name either does not exist or holds the whole file; an existing blob is never overwritten (same name, same
bytes). The database row that refers to a blob is committed only after the blob is complete.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..io.digest import file_sha256


class BlobStore:
    """``spool`` gives the folder for files being written (the process's spool folder, on the same disk,
    so that a killed writer's half file is swept with it); without it they are written beside the blob."""

    def __init__(self, root: str | os.PathLike[str], spool: Callable[[], Path] | None = None):
        self.root = Path(root)
        self.spool = spool

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:]

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, data: bytes, *, staged: Path | None = None) -> str:
        """Store ``data`` (once) and return its SHA-256. ``staged``: a private file said to hold ``data`` (the
        upload as the worker checked it): when it does, and is on the store's disk, it gets a second name in
        the store instead of the bytes being written again."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.is_file() and self.verify(digest):
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = self.spool() if self.spool else target.parent
        if folder != target.parent and os.stat(folder).st_dev != os.stat(target.parent).st_dev:
            folder = target.parent  # blobs on another disk: a link cannot cross it
        temp_name = self._linked(staged, digest, Path(folder)) if staged is not None else ""
        try:
            if not temp_name:
                handle, temp_name = tempfile.mkstemp(prefix=".incoming.", dir=folder)
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
            os.chmod(temp_name, 0o440)
            try:
                os.link(temp_name, target)
            except FileExistsError:
                if not self.verify(digest):  # a damaged copy left by a crash elsewhere: replace it
                    os.replace(temp_name, target)
                    temp_name = ""
            _fsync_dir(target.parent)
        finally:
            if temp_name and os.path.exists(temp_name):
                os.unlink(temp_name)
        return digest

    @staticmethod
    def _linked(staged: Path, digest: str, folder: Path) -> str:
        """A second name for ``staged`` in ``folder``, flushed to disk, when its bytes hash to ``digest`` and
        it is on the same disk; "" otherwise (the caller then writes the bytes)."""
        try:
            if os.stat(staged).st_dev != os.stat(folder).st_dev or file_sha256(staged) != digest:
                return ""
            name = tempfile.mktemp(prefix=".incoming.", dir=folder)  # noqa: S306 - os.link refuses an existing name
            os.link(staged, name)
        except OSError:
            return ""
        fd = os.open(name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return name

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def verify(self, sha256: str) -> bool:
        """Whether the stored file is there and its bytes still hash to its name."""
        path = self.path(sha256)
        if not path.is_file():
            return False
        return file_sha256(path) == sha256


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

"""Per-browser-session private folders for uploaded and generated files.

Every file lives under ``<work_dir>/<session id>/<item id>/`` with a server-chosen name; the name a user
gave is kept only as display text in ``meta.json``. Ids are random and checked against a strict pattern
before they touch a path, so no path a user controls reaches the file system, and a session can only
ever open its own folder. Folders older than ``max_age`` are deleted, and the whole work folder at
shutdown.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
META = "meta.json"


def new_id() -> str:
    return secrets.token_urlsafe(16)


def valid_id(value: str | None) -> bool:
    if not value:
        return False
    return ID_RE.fullmatch(value) is not None


def write_json(path: Path, data: Any) -> None:
    """Atomically: readers (the page, other processes) never see half a file."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, ensure_ascii=False))  # dumps: the C encoder (dump streams in Python)
        os.replace(temp, path)
    except BaseException:
        with _suppress():
            os.unlink(temp)
        raise


def read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def write_lines(path: Path, records: Iterable[Any]) -> None:
    """JSON Lines, atomically: a page reads only the lines it shows, and parsing one small line at a time
    never holds the interpreter long enough to stall the event loop."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False))
                handle.write("\n")
        os.replace(temp, path)
    except BaseException:
        with _suppress():
            os.unlink(temp)
        raise


def read_lines(path: Path) -> Iterator[Any]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], OSError)


def display_name(name: str | None, fallback: str = "工作簿.xlsx") -> str:
    """The user's file name as text to show and to offer back in downloads: no folders, no control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "_", base).strip().strip(".")
    return base[:120] or fallback


@dataclass
class Item:
    """One uploaded file (or a merge/diff job's folder) in a session's workspace."""

    id: str
    folder: Path

    @property
    def meta_path(self) -> Path:
        return self.folder / META

    def meta(self) -> dict[str, Any]:
        try:
            return read_json(self.meta_path)
        except (OSError, ValueError):
            return {}

    def update(self, **values: Any) -> dict[str, Any]:
        meta = {**self.meta(), **values}
        write_json(self.meta_path, meta)
        return meta

    def path(self, name: str) -> Path:
        """A file of this item by a server-chosen name (never a user's)."""
        if not re.fullmatch(r"[a-z0-9_.-]{1,64}", name) or ".." in name:
            raise ValueError(name)
        return self.folder / name


class Workspace:
    """The work folder of one app: a private sub-folder per browser session."""

    def __init__(self, root: str | os.PathLike[str] | None = None, *, max_age: float = 24 * 3600):
        self.owned = root is None
        self.root = Path(tempfile.mkdtemp(prefix="wbe-web-")) if root is None else Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        self.max_age = max_age

    def session_folder(self, sid: str) -> Path:
        if not valid_id(sid):
            raise ValueError("bad session id")
        folder = self.root / sid
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder

    def new_item(self, sid: str, **meta: Any) -> Item:
        item_id = new_id()
        folder = self.session_folder(sid) / item_id
        folder.mkdir(mode=0o700)
        item = Item(item_id, folder)
        item.update(id=item_id, created=time.time(), **meta)
        return item

    def item(self, sid: str, item_id: str) -> Item | None:
        """The session's own item, or None (also for another session's id: it is simply not there)."""
        if not valid_id(sid) or not valid_id(item_id):
            return None
        folder = self.root / sid / item_id
        return Item(item_id, folder) if (folder / META).is_file() else None

    def items(self, sid: str) -> list[Item]:
        if not valid_id(sid) or not (self.root / sid).is_dir():
            return []
        found = [Item(p.name, p) for p in (self.root / sid).iterdir() if valid_id(p.name) and (p / META).is_file()]
        return sorted(found, key=lambda i: i.meta().get("created", 0), reverse=True)

    def sweep(self, now: float | None = None) -> int:
        """Delete items (and empty session folders) older than max_age; returns how many were removed."""
        now = time.time() if now is None else now
        removed = 0
        for session in list(self.root.iterdir()) if self.root.exists() else []:
            if not session.is_dir():
                continue
            for folder in list(session.iterdir()):
                try:
                    age = now - folder.stat().st_mtime
                    created = read_json(folder / META).get("created", 0) if (folder / META).exists() else 0
                    age = max(age, now - created) if created else age
                except (OSError, ValueError):
                    age = self.max_age + 1
                if age > self.max_age:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
            with _suppress():
                session.rmdir()  # only when empty
        return removed

    def close(self) -> None:
        """At shutdown: nothing uploaded or generated is left behind."""
        if self.owned:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            for child in list(self.root.iterdir()) if self.root.exists() else []:
                if valid_id(child.name):
                    shutil.rmtree(child, ignore_errors=True)

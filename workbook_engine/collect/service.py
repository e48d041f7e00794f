"""The collection service: one object over a data folder's database and blob store.

The web layer and the `wbe collect` commands both go through it; it owns the folder layout
(DATA_DIR/collect.sqlite3, DATA_DIR/blobs/, DATA_DIR/work/ for temporary files, each process's in its own
spool folder: spool.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError
from .database import SQLITE_NAME, Database, is_initialised, migrate
from .models import Collection
from .spool import Spool
from .spool import sweep as sweep_work
from .storage import BlobStore


class Collect:
    """A collection's database and files. ``migrate`` brings the schema up to date on open."""

    def __init__(self, data_dir: str | os.PathLike[str], database_url: str | None = None, *,
                 create: bool = False, upgrade: bool = True, sweep: bool = False):
        self.data_dir = Path(data_dir)
        if not create and database_url is None and not (self.data_dir / SQLITE_NAME).is_file():
            raise InputError(f"{self.data_dir}：这里没有征集数据（{SQLITE_NAME}）。请先运行 wbe collect init {self.data_dir} "
                             "--year 年度 --departments 部门名单.xlsx。")
        self.db = Database(self.data_dir, database_url, create=create)
        if upgrade:
            migrate(self.db.engine)
        self.work = self.data_dir / "work"
        self.work.mkdir(exist_ok=True)
        self.spool = Spool(self.work)
        self.blobs = BlobStore(self.data_dir / "blobs", spool=self.spool.folder)
        if sweep:  # the server at start: what a killed process left is removed
            self.sweep()

    def sweep(self) -> int:
        """Remove the temporary files of processes that have stopped (never a running one's)."""
        return sweep_work(self.work, self.spool._folder)

    def session(self) -> Session:
        """A reading session (never waits for a writer)."""
        return self.db.session()

    def writer(self) -> Session:
        """A session for a change: it takes the write lock first (SQLite), so changes queue instead of failing."""
        return self.db.writer()

    def collection(self, session: Session) -> Collection:
        found = session.scalar(select(Collection).order_by(Collection.id))
        if found is None:
            raise InputError(f"{self.data_dir}：尚未初始化征集。请先运行 wbe collect init {self.data_dir} "
                             "--year 年度 --departments 部门名单.xlsx。")
        return found

    def initialised(self) -> bool:
        return is_initialised(self.db.engine)

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        """A private temporary folder inside the data folder (same disk as the blobs), removed afterwards on
        every path (and with the process's spool folder if the process is killed: swept at the next start)."""
        folder = Path(tempfile.mkdtemp(prefix="scratch-", dir=self.spool.folder()))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        self.db.dispose()

"""Opening the collection's database: SQLite in the data folder by default, PostgreSQL through a URL.

SQLite runs in WAL mode with foreign keys on and FULL synchronous commits (an acknowledged submission
survives a killed server). Readers never wait for writers: a session from ``session()`` begins a plain
(deferred) transaction, a WAL reader that neither blocks nor is blocked; only a session from ``writer()``
begins IMMEDIATE, so that concurrent writers queue instead of failing: within one process on a lock that
hands over the moment a writer commits (SQLite's busy handler polls with sleeps of up to 100 ms, which with
dozens of waiting requests left the lock idle most of the time), across processes on the busy timeout.
Connection pools are sized to the web's worker threads, so that no request waits for a connection either.
The schema is brought up to date by the Alembic migrations shipped in migrations/ (run through alembic's
command API; no alembic.ini is needed).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from ..errors import InputError, UsageError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_NAME = "collect.sqlite3"
LOCK_TIMEOUT = 30  # seconds a writer waits for the write lock (SQLite's busy timeout too)
HOLDS_LOCK = "wbe_holds_write_lock"  # in a connection's info while its transaction holds the process's lock
WRITE_OPTION = "wbe_write"  # the execution option of a writer's connections (BEGIN IMMEDIATE on SQLite)
# Database sessions open at once in one server process: one per thread of the pool that runs them (anyio's
# default limiter, which Starlette's run_in_threadpool uses, has 40 tokens), plus the job runner's threads.
WORKER_THREADS = 40
POOL_SIZE = 8  # connections kept open
POOL_OVERFLOW = WORKER_THREADS + 8 - POOL_SIZE  # opened when busy, up to one per worker thread


def database_url(data_dir: str | os.PathLike[str], url: str | None = None) -> str:
    """The SQLAlchemy URL: ``url`` (postgresql://… uses the psycopg 3 driver) or the SQLite file in data_dir."""
    if url:
        if url.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        if url.startswith(("postgresql+", "sqlite:")):
            return url
        raise UsageError(f"数据库地址“{url}”不受支持。请使用 postgresql://用户:密码@主机/数据库，或不填（使用数据文件夹中的 SQLite）。")
    return f"sqlite:///{Path(data_dir).resolve() / SQLITE_NAME}"


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    lock = threading.Lock()  # this process's writers queue here, not in SQLite's busy handler (below)

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        if not connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        if not lock.acquire(timeout=LOCK_TIMEOUT):
            raise sqlite3.OperationalError("database is locked")
        connection.info[HOLDS_LOCK] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # other processes' writers: the busy timeout
        except BaseException:
            _release(connection.info)
            raise

    def _release(info: dict[str, Any]) -> None:
        if info.pop(HOLDS_LOCK, False):
            lock.release()

    # The events come before SQLAlchemy's own COMMIT/ROLLBACK: the writer ends its transaction here, then lets
    # the next one in (SQLAlchemy's call after it finds no transaction open, which pysqlite treats as a no-op).
    @event.listens_for(engine, "commit")
    def on_commit(connection: Connection) -> None:
        if connection.info.get(HOLDS_LOCK):
            connection.connection.dbapi_connection.commit()  # type: ignore[union-attr]  # open while in use
            _release(connection.info)

    @event.listens_for(engine, "rollback")
    def on_rollback(connection: Connection) -> None:
        if connection.info.get(HOLDS_LOCK):
            try:
                connection.connection.dbapi_connection.rollback()  # type: ignore[union-attr]  # as above
            finally:
                _release(connection.info)

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        _release(record.info)  # a connection returned to the pool mid-transaction (rolled back by the pool)


def make_engine(url: str) -> Engine:
    pool = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW, "pool_timeout": 30}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **pool)
        _sqlite_events(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def begin_write(session: Session) -> None:
    """Make the session's transaction a writer's from here on. On SQLite a reading transaction is ended and
    a new one begun IMMEDIATE (so the caller must read again what it needs; changes not yet flushed are
    lost, so call this first); on PostgreSQL nothing changes (rows are locked with FOR UPDATE instead)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or connection.get_execution_options().get(WRITE_OPTION, False):
        return
    session.rollback()
    session.connection(execution_options={WRITE_OPTION: True})


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


def is_initialised(engine: Engine) -> bool:
    return "collections" in inspect(engine).get_table_names()


class Database:
    """An engine and a session factory over one collection's database."""

    def __init__(self, data_dir: str | os.PathLike[str], url: str | None = None, *, create: bool = False):
        self.data_dir = Path(data_dir)
        if not self.data_dir.is_dir():
            if not create:
                raise InputError(f"{self.data_dir}：数据文件夹不存在。请先运行 wbe collect init {self.data_dir} --year 年度 --departments 部门名单.xlsx。")
            self.data_dir.mkdir(parents=True)
        self.url = database_url(self.data_dir, url)
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.writers = sessionmaker(self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)

    def session(self) -> Session:
        """A session for reading (on SQLite a WAL reader: it never waits for a writer). It may write too —
        its first write then takes the lock — but a transaction that reads and then writes should be a
        writer's, or SQLite may refuse it when another write came in between."""
        return self.sessions()

    def writer(self) -> Session:
        """A session whose transactions take the write lock when they begin (BEGIN IMMEDIATE on SQLite)."""
        return self.writers()

    def dispose(self) -> None:
        self.engine.dispose()

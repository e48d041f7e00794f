"""SQLite writers of one process queue on a lock that hands over at commit (collect/database.py), not on
SQLite's polling busy handler: every writer gets in, one at a time, and the lock is given back on every
way a transaction ends (commit, rollback, an exception, a session closed mid-transaction)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import func, select

from workbook_engine.collect import database
from workbook_engine.collect.accounts import audit
from workbook_engine.collect.database import begin_write
from workbook_engine.collect.models import AuditEntry

from .collect_helpers import new_collection


@pytest.fixture
def collect(tmp_path, monkeypatch):
    monkeypatch.setattr(database, "LOCK_TIMEOUT", 0.5)  # a leaked lock fails a test at once, not after 30 s
    found, _passwords = new_collection(tmp_path, "sqlite")
    yield found
    found.close()


def entries(collect, action: str) -> int:
    with collect.session() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def test_forty_writers_at_once_all_get_in(collect):
    failures: list[BaseException] = []

    def write(number: int) -> None:
        try:
            with collect.writer() as session:
                audit(session, "lock-test", f"writer {number}")
                session.commit()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert entries(collect, "lock-test") == 40


def test_a_second_writer_waits_until_the_first_commits(collect):
    order: list[str] = []
    first_in, second_started = threading.Event(), threading.Event()

    def first() -> None:
        with collect.writer() as session:
            audit(session, "lock-test", "first")
            session.flush()
            order.append("first in")
            first_in.set()
            second_started.wait(5)
            order.append("first commits")
            session.commit()

    def second() -> None:
        first_in.wait(5)
        second_started.set()
        with collect.writer() as session:
            session.scalar(select(func.count()).select_from(AuditEntry))  # begins: takes the lock
            order.append("second in")
            session.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert order == ["first in", "first commits", "second in"]


@pytest.mark.parametrize("ending", ["rollback", "exception", "close"])
def test_the_lock_is_given_back_however_a_transaction_ends(collect, ending):
    session = collect.writer()
    audit(session, "lock-test", "not kept")
    session.flush()  # the transaction holds the lock now
    if ending == "rollback":
        session.rollback()
        session.close()
    elif ending == "exception":
        with pytest.raises(ZeroDivisionError):
            with session:
                raise ZeroDivisionError
    else:
        session.close()
    with collect.writer() as other:  # would wait LOCK_TIMEOUT and raise if the lock had been kept
        audit(other, "lock-test", "kept")
        other.commit()
    assert entries(collect, "lock-test") == 1


def test_a_reading_session_takes_the_lock_only_from_begin_write(collect):
    with collect.session() as reader:
        reader.scalar(select(func.count()).select_from(AuditEntry))  # a plain BEGIN: no lock
        with collect.writer() as writer:  # not blocked by the reader
            audit(writer, "lock-test", "writer")
            writer.commit()
        begin_write(reader)
        audit(reader, "lock-test", "reader")
        reader.commit()
    assert entries(collect, "lock-test") == 2


def test_a_writer_inside_a_writer_of_the_same_thread_is_refused_not_hung(collect):
    with collect.writer() as outer:
        audit(outer, "lock-test", "outer")
        outer.flush()
        with pytest.raises(Exception) as raised:
            with collect.writer() as inner:
                inner.scalar(select(func.count()).select_from(AuditEntry))
        assert isinstance(raised.value.__cause__ or raised.value, sqlite3.OperationalError) or \
            "database is locked" in str(raised.value)
        outer.commit()
    assert entries(collect, "lock-test") == 1

"""Contained readers forked by a zygote (io/reader_zygote.py): the same answers and the same refusals as a
fork of this process, a fresh child per read, and nothing left behind when either side goes."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

import pytest

from workbook_engine.errors import UnsafeInput, WorkbookEngineError
from workbook_engine.io import containment, reader_zygote
from workbook_engine.io.calamine_reader import CalamineWorkbook

pytestmark = pytest.mark.skipif(not containment.enabled(), reason="containment needs fork")

SAMPLE = Path(__file__).resolve().parent.parent / "workbooks" / "leting-emergency-2024.xlsx"


@pytest.fixture
def zygote():
    reader_zygote.start()
    found = reader_zygote.current()
    assert found is not None
    yield found
    reader_zygote.stop()


class Aborts:
    def __init__(self) -> None:
        os.abort()


class Allocates:
    def __init__(self) -> None:
        self.block = bytearray(8 * 1024 * 1024 * 1024)


class RunsOn:
    def __init__(self) -> None:
        time.sleep(30)


class Holds:
    def __init__(self, answer: str) -> None:
        self.answer = answer

    def get(self) -> str:
        return self.answer


def _summary(_held: object) -> int:
    return os.getppid()


def _book(path: Path) -> tuple[list[str], list[list[list[object]]], list[object]]:
    with CalamineWorkbook(path) as book:
        grids = [book.grid(name) for name in book.sheet_names]
        return book.sheet_names, [g.rows for g in grids], [g.merged for g in grids]


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_a_workbook_reads_the_same_through_the_zygote(zygote) -> None:
    direct = _book(SAMPLE)
    reader_zygote.stop()
    reader_zygote.start()
    assert reader_zygote.current() is not None
    assert _book(SAMPLE) == direct


def test_each_read_is_a_fresh_child_of_the_zygote(zygote) -> None:
    readers = [containment.ContainedReader(functools.partial(Holds, "甲"), _summary, path="a.xlsx", what="读取工作簿")
               for _ in range(2)]
    try:
        assert [r.summary for r in readers] == [zygote.process.pid] * 2  # their parent is the zygote
        assert readers[0]._child is not None and readers[1]._child is not None
        assert readers[0]._child.pid != readers[1]._child.pid
        assert readers[0].call("get") == "甲"
    finally:
        for reader in readers:
            reader.close()


def test_a_lambda_is_forked_here_as_before(zygote) -> None:
    reader = containment.ContainedReader(lambda: Holds("乙"), _summary, path="a.xlsx", what="读取工作簿")
    try:
        assert reader.summary == os.getpid() and reader.call("get") == "乙"
    finally:
        reader.close()


@pytest.mark.parametrize(("factory", "env", "code"), [
    (Aborts, {}, "WBE-I011"),
    (Allocates, {"WBE_READER_MEMORY_MB": "256"}, "WBE-I011"),
    (RunsOn, {"WBE_READER_SECONDS": "1"}, "WBE-I012"),
])
def test_a_reader_that_fails_is_refused_in_one_line(zygote, monkeypatch, factory, env, code) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    with pytest.raises(WorkbookEngineError) as caught:
        containment.ContainedReader(factory, _summary, path="坏.xlsx", what="读取工作簿")
    assert isinstance(caught.value, UnsafeInput) and caught.value.code == code
    message = str(caught.value)
    assert message.startswith("坏.xlsx：") and "\n" not in message
    assert time.monotonic() - started < 10
    if factory is Aborts:
        assert "中止" in message  # the zygote reported the child's signal
    assert reader_zygote.current() is zygote  # and serves the next read
    assert _book(SAMPLE)[0]


def test_without_the_zygote_reads_fork_here(zygote) -> None:
    zygote.process.kill()
    zygote.process.wait(timeout=10)
    assert reader_zygote.current() is None
    assert _book(SAMPLE)[0]


def test_a_fork_of_the_owner_does_not_use_its_zygote(zygote) -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no zygote of its own, and a read works
        try:
            ok = reader_zygote.current() is None and bool(_book(SAMPLE)[0])
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)
    os.close(read)
    assert reader_zygote.current() is zygote


def test_the_zygote_ends_with_its_owner_and_takes_its_children(zygote) -> None:
    reader = containment.ContainedReader(functools.partial(Holds, "丙"), _summary, path="a.xlsx", what="读取工作簿")
    assert reader._child is not None
    child = reader._child.pid
    assert child is not None and _ppid(child) == zygote.process.pid
    reader_zygote.stop()  # the owner's end closed, as when the worker goes
    assert zygote.process.wait(timeout=10) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
    reader._child.pid = None  # already gone: nothing to kill
    reader.close()

"""render's collector pause (render.collector_paused): the caller's collector state is kept, and the written
workbooks are freed department by department."""

from __future__ import annotations

import gc
import threading

import pytest

from workbook_engine.official.render import collector_paused, render_department

from .official_helpers import small_book


@pytest.mark.parametrize("enabled", [True, False])
def test_the_callers_collector_state_is_restored(enabled, tmp_path):
    book = small_book(1, 2)
    dept = book.departments()[0]
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        render_department(book, dept, tmp_path / "a.xlsx")
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), collector_paused():
            assert not gc.isenabled()
            raise RuntimeError
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_overlapping_pauses_in_threads_resume_once_the_last_ends():
    inside, release = threading.Barrier(2), threading.Event()

    def pause() -> None:
        with collector_paused():
            inside.wait()
            release.wait()

    worker = threading.Thread(target=pause)
    worker.start()
    with collector_paused():
        inside.wait()
        release.set()
        worker.join()
        assert not gc.isenabled()  # the other pause ended first: still paused for this one
    assert gc.isenabled()


def test_a_written_workbook_is_freed_when_its_department_is_done(tmp_path):
    import xlsxwriter

    book = small_book(2, 2)
    gc.collect()
    for dept in book.departments():
        render_department(book, dept, tmp_path / f"{dept.code}.xlsx")
        assert not [o for o in gc.get_objects() if isinstance(o, xlsxwriter.Workbook)]

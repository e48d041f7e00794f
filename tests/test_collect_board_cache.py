"""The status board is rendered once per change of what it shows (web/board_view.py): every reload in
between serves the kept table, and every change a reviewer or a department makes shows at the next reload."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator

import pytest

pytest.importorskip("workbook_engine.web.app")

from workbook_engine import api

from .collect_helpers import department_workbook
from .collect_web import error_message
from .test_collect_web import site as site  # the fixture (a collection, the app, a browser per user)


def state_of(board: str, code: str) -> str:
    row = re.search(rf'<tr data-dept="{code}">(.*?)</tr>', board, re.DOTALL)
    assert row is not None, f"{code} is not on the board"
    state = re.search(r'<span class="state [^"]*">([^<]+)</span>', row.group(1))
    assert state is not None, f"{code} has no state on the board"
    return state.group(1)


@pytest.fixture
def builds(monkeypatch):
    """How many times the board's rows were built from the database."""
    count = {"n": 0}
    real = api.box_board

    def counted(*args, **kwargs):
        count["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "box_board", counted)
    return count


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # the database plays no part in the keeping
def test_reloads_without_a_change_serve_the_kept_board(site, builds):
    reviewer = site["b"]["reviewer"]
    first = reviewer.get("/board").text
    assert [reviewer.get("/board").text for _ in range(3)] == [first] * 3
    assert builds["n"] == 1
    filtered = reviewer.get("/board?state=未提交").text  # another view of the same data: its own rendering
    assert builds["n"] == 2 and 'data-dept="450001"' in filtered
    assert reviewer.get("/board?state=未提交").text == filtered and builds["n"] == 2


def test_every_change_shows_at_the_next_reload(site, builds):
    b, reviewer, admin = site["b"]["450001"], site["b"]["reviewer"], site["b"]["admin"]
    assert state_of(reviewer.get("/board").text, "450001") == "未提交"

    uploaded = b.upload(department_workbook(site["tmp"], "450001", budget=250))
    assert uploaded.status_code == 303, error_message(uploaded.text)
    sid = int(uploaded.headers["location"].rsplit("/", 1)[1])
    built = builds["n"]
    assert state_of(reviewer.get("/board").text, "450001") == "未提交"  # a draft is not on the board
    assert builds["n"] == built  # nor does it move the stamp

    assert b.post(f"/s/{sid}/submit").status_code == 303
    board = reviewer.get("/board").text
    assert state_of(board, "450001") == "已提交·待审核"
    assert re.search(r'已提交·待审核</span> 1<', board)  # the counts moved with the rows

    assert reviewer.post(f"/s/{sid}/return", {"note": "请补充指标"}).status_code == 303
    assert state_of(reviewer.get("/board").text, "450001") == "已退回"

    again = b.upload(department_workbook(site["tmp"], "450001", budget=300))
    second = int(again.headers["location"].rsplit("/", 1)[1])
    assert b.post(f"/s/{second}/submit").status_code == 303
    assert reviewer.post(f"/s/{second}/accept").status_code == 303
    board = reviewer.get("/board").text
    assert state_of(board, "450001") == "已通过" and f"第 {second} 号" in board

    assert admin.post("/admin/departments", {"code": "450009", "name": "新设部门"}).status_code == 200
    assert state_of(reviewer.get("/board").text, "450009") == "未提交"


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)
def test_a_new_deadline_shows_at_the_next_reload(site):
    reviewer = site["b"]["reviewer"]
    assert "截止日期：未设" in reviewer.get("/board").text
    assert reviewer.post("/rounds/open", {"stage": "goals", "deadline": "2026-03-31"}).status_code == 303
    assert "截止日期：2026-03-31" in reviewer.get("/board").text


@contextlib.contextmanager
def rendering_slowly(boards, stamp, view: str) -> Iterator[None]:
    """Another thread renders ``view`` at ``stamp`` for as long as the block runs."""
    started, finish = threading.Event(), threading.Event()

    def slow() -> dict:
        started.set()
        finish.wait(5)
        return {"board": f"{view} at {stamp}"}

    rendering = threading.Thread(target=lambda: boards.get(stamp, view, slow))
    rendering.start()
    started.wait(5)
    try:
        yield
    finally:
        finish.set()
        rendering.join(5)


def test_while_a_view_renders_the_others_get_its_previous_board():
    """Under load a change comes every few tenths of a second: one request renders the new board while the
    others asking for the same view meanwhile get the previous rendering (web/board_view.py), never a
    rendering of another view, and the next request after it gets the new one."""
    from workbook_engine.web.board_view import RenderedBoards

    boards = RenderedBoards()
    assert boards.get(1, "all", lambda: {"board": "all at 1"}) == {"board": "all at 1"}
    with rendering_slowly(boards, 2, "all"):
        assert boards.get(2, "all", lambda: {"board": "rendered twice"}) == {"board": "all at 1"}  # the previous
        assert boards.get(2, "mine", lambda: {"board": "mine at 2"}) == {"board": "mine at 2"}  # another view
    assert boards.get(2, "all", lambda: {"board": "rendered twice"}) == {"board": "all at 2"}


def test_a_previous_board_too_old_is_not_given_while_rendering(monkeypatch):
    """A view nobody looked at for a while is rendered by every request that asks while it renders: its last
    rendering may be hours old, not a change behind."""
    from workbook_engine.web import board_view

    boards = board_view.RenderedBoards()
    boards.get(1, "all", lambda: {"board": "all at 1"})
    later = board_view.time.monotonic() + board_view.STALE_SECONDS + 1
    monkeypatch.setattr(board_view.time, "monotonic", lambda: later)
    with rendering_slowly(boards, 2, "all"):
        assert boards.get(2, "all", lambda: {"board": "rendered here"}) == {"board": "rendered here"}


def test_only_the_kept_number_of_boards_stays():
    from workbook_engine.web.board_view import RenderedBoards

    boards = RenderedBoards(kept=3)
    for stamp in range(10):
        boards.get(stamp, f"view {stamp % 4}", lambda stamp=stamp: {"board": stamp})
    assert len(boards._boards) == 3 and set(boards._latest) <= {v for _, v in boards._boards}

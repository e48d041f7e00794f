"""The status board as rendered HTML, kept until what it shows changes.

Twenty people keep the board open near a deadline and reload it every few seconds; rebuilding its hundred
rows from the database and the template each time cost about 30 ms of the server's CPU per reload, most
of it on the event loop. The board's table, chart and counts are a function of the database's change stamp
(collect/board.change_stamp), the rounds' settings and the page's filters, so they are rendered once per
key, in a worker thread, and every reload until the next change only reads the stamp.

While one request renders a view after a change, the others asking for that view meanwhile get the board
as it was rendered last, if that is at most STALE_SECONDS old (a change or two behind, for the milliseconds
of the rendering), instead of each rendering it again: under load, when changes come every few tenths of a
second, every viewer rendering every change was most of the board's cost.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

KEPT = 64  # boards kept (filters × rounds); each is a few tens of kB of HTML
STALE_SECONDS = 5.0  # the oldest previous rendering given while the view's new one is being rendered


class RenderedBoards:
    """A small LRU of rendered boards by (stamp, view), safe for the threadpool's threads."""

    def __init__(self, kept: int = KEPT):
        self.kept = kept
        self._boards: OrderedDict[tuple[Hashable, Hashable], dict[str, Any]] = OrderedDict()
        self._latest: dict[Hashable, tuple[float, dict[str, Any]]] = {}  # view -> (when, its newest rendering)
        self._rendering: set[Hashable] = set()  # views a thread is rendering now
        self._lock = threading.Lock()

    def get(self, stamp: Hashable, view: Hashable, render: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The board of ``view`` (the filters, rounds and root a page shows) at ``stamp``: kept, rendered
        now, or — while another thread renders it — the view's previous rendering when that is recent."""
        key = (stamp, view)
        with self._lock:
            found = self._boards.get(key)
            if found is not None:
                self._boards.move_to_end(key)
                return found
            if view in self._rendering and view in self._latest:
                when, previous = self._latest[view]
                if time.monotonic() - when <= STALE_SECONDS:
                    return previous
            self._rendering.add(view)
        try:
            made = render()
        finally:
            with self._lock:
                self._rendering.discard(view)
        with self._lock:
            self._boards[key] = made
            self._latest[view] = (time.monotonic(), made)
            while len(self._boards) > self.kept:
                (_, old_view), _board = self._boards.popitem(last=False)
                if not any(v == old_view for _, v in self._boards):
                    self._latest.pop(old_view, None)
        return made

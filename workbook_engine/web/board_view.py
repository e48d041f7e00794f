"""The status board as rendered HTML, kept until what it shows changes.

Twenty people keep the board open near a deadline and reload it every few seconds; rebuilding its hundred
rows from the database and the template each time cost about 30 ms of the server's CPU per reload, most
of it on the event loop. The board's table, chart and counts are a function of the database's change stamp
(collect/board.change_stamp), the rounds' settings and the page's filters, so they are rendered once per
key, in a worker thread, and every reload until the next change only reads the stamp.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

KEPT = 64  # boards kept (filters × rounds); each is a few tens of kB of HTML


class RenderedBoards:
    """A small LRU of rendered boards by key, safe for the threadpool's threads. Two threads missing the
    same key both render it (the same result); nothing waits for another's rendering."""

    def __init__(self, kept: int = KEPT):
        self.kept = kept
        self._boards: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, render: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            found = self._boards.get(key)
            if found is not None:
                self._boards.move_to_end(key)
                return found
        made = render()
        with self._lock:
            self._boards[key] = made
            while len(self._boards) > self.kept:
                self._boards.popitem(last=False)
        return made

    def clear(self) -> None:
        with self._lock:
            self._boards.clear()

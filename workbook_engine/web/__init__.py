"""The web page of `wbe serve`: every capability of the CLI in a browser (docs/guide.md, 网页版)."""

from __future__ import annotations

import functools
from typing import Any

from .app import create_app as create_page_app


@functools.wraps(create_page_app)
def create_app(**options: Any):
    """The web app (app.create_app), with the collection box (collection.py) when ``data_dir`` is given."""
    if options.get("data_dir") is not None:
        from .collection import install

        options["install_collection"] = install
    return create_page_app(**options)


__all__ = ["create_app"]

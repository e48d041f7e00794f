"""The web page of `wbe serve`: every capability of the CLI in a browser (docs/guide.md, 网页版)."""

from .app import create_app

__all__ = ["create_app"]

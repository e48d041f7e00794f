"""Helpers for the collection box's page tests: an app in collection mode, one logged-in client per user."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def collection_app(data: Path, work: Path, database_url: str | None = None):
    from workbook_engine.web import create_app

    return create_app(data_dir=data, database_url=database_url, executor="thread", workers=2, work_dir=work)


class Browser:
    """A TestClient with its own cookies (one person's browser) and its CSRF token."""

    def __init__(self, app):
        self.client = TestClient(app, follow_redirects=False)
        self.client.__enter__()
        self.csrf = CSRF_RE.search(self.client.get("/login").text).group(1)

    def login(self, username: str, password: str):
        # the login form's token, as a browser has it (logging out ends the page session and its token)
        if self.client.cookies.get("wbe_session") is None:
            match = CSRF_RE.search(self.client.get("/login").text)
            assert match is not None, "no CSRF token on the login page"
            self.csrf = match.group(1)
        response = self.client.post("/login", data={"csrf": self.csrf, "username": username,
                                                    "password": password, "next": "/"})
        return response

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict | None = None, **kw):
        return self.client.post(url, data={"csrf": self.csrf, **(data or {})}, **kw)

    def upload(self, path: Path, name: str | None = None):
        return self.client.post("/dept/upload", data={"csrf": self.csrf},
                                files={"file": (name or path.name, path.read_bytes(), "application/octet-stream")})

    def close(self):
        self.client.__exit__(None, None, None)


def error_message(html: str) -> str:
    import html as html_module

    match = re.search(r'id="error-message">(.*?)</p>', html, re.DOTALL)
    return html_module.unescape(match.group(1)).strip() if match else ""

"""`wbe serve` answers only its own address (issue 26): another Host (DNS rebinding) is refused in Chinese;
--allow-host adds a reverse proxy's name; loopback names when serving on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from workbook_engine.web import create_app
from workbook_engine.web.security import served_hosts


def test_loopback_serves_the_loopback_names_only() -> None:
    hosts = served_hosts("127.0.0.1")
    assert {"127.0.0.1", "localhost", "::1"} <= set(hosts)
    assert "evil.example" not in hosts
    assert served_hosts("10.0.0.5") == ["10.0.0.5"]
    assert served_hosts("10.0.0.5", ["budget.county.gov.cn:443"]) == ["budget.county.gov.cn", "10.0.0.5"]


def test_another_host_is_refused_with_the_reason(tmp_path: Path) -> None:
    app = create_app(work_dir=tmp_path, executor="thread", workers=1, allowed_hosts=served_hosts("127.0.0.1"))
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200
        assert client.get("/", headers={"host": "[::1]:8765"}).status_code == 200
        refused = client.get("/", headers={"host": "rebound.example:8765"})
        assert refused.status_code == 400
        assert "主机名" in refused.text and "--allow-host" in refused.text
        assert client.post("/upload", headers={"host": "rebound.example"}).status_code == 400


def test_allow_host_admits_the_proxys_name(tmp_path: Path) -> None:
    app = create_app(work_dir=tmp_path, executor="thread", workers=1,
                     allowed_hosts=served_hosts("127.0.0.1", ["budget.county.gov.cn"]))
    with TestClient(app, base_url="http://budget.county.gov.cn") as client:
        assert client.get("/").status_code == 200
        assert client.get("/", headers={"host": "other.county.gov.cn"}).status_code == 400


def test_serve_passes_the_served_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from workbook_engine._cli.web import serve_command

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    serve_command(host="127.0.0.1", port=8765, open_browser=False, max_upload_mb=20, token=None, data=None,
                  database=None, library=None, allow_host=["proxy.example"])
    with TestClient(seen["app"], base_url="http://proxy.example") as client:  # type: ignore[arg-type]  # ASGI app
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz", headers={"host": "evil.example"}).status_code == 400

"""Helpers for the web tests: an in-process client with its CSRF token, and readers of the pages."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

from starlette.testclient import TestClient

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(client: TestClient) -> str:
    match = CSRF_RE.search(client.get("/").text)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


def follow_job(client: TestClient, response, timeout: float = 120):
    """Follow a job's progress page until the job's result page (or its failure page) comes."""
    deadline = time.time() + timeout
    while "/jobs/" in str(response.url) and response.status_code == 200 and time.time() < deadline:
        time.sleep(0.2)
        response = client.get(str(response.url))
    return response


def upload(client: TestClient, path: Path, name: str | None = None, data: bytes | None = None):
    content = data if data is not None else path.read_bytes()
    response = client.post("/upload", data={"csrf": csrf_of(client)},
                           files={"file": (name or path.name, content)})
    return follow_job(client, response)


def error_message(page: str) -> str | None:
    match = re.search(r'id="error-message">(.*?)</', page, re.DOTALL)
    return html.unescape(match.group(1)).strip() if match else None


def finding_rows(page: str) -> list[dict[str, str]]:
    """The findings table as dicts: severity, code, sheet, cell, value, message, plus the data- attributes."""
    rows = []
    body = page.split('id="findings"', 1)[1].split("</table>", 1)[0]
    for tr in re.findall(r"<tr tabindex=\"0\"(.*?)</tr>", body, re.DOTALL):
        attrs = dict(re.findall(r'data-([a-z]+)="([^"]*)"', tr.split(">", 1)[0]))
        cells = [html.unescape(re.sub(r"<[^>]+>", " ", c)).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.DOTALL)]
        rows.append({**{k: html.unescape(v) for k, v in attrs.items()},
                     "code": cells[1][0], "cell": " ".join(cells[3]), "value": " ".join(cells[4]),
                     "message": " ".join(cells[5])})
    return rows


def html_table_grid(table_html: str) -> list[list[str]]:
    """An HTML table read like the layout flattening: per row, one entry per cell that is not a horizontal
    continuation; '' where a cell above spans down into the row."""
    rows = re.findall(r"<tr>(.*?)</tr>", table_html, re.DOTALL)
    pending: dict[int, list[int]] = {}  # grid column -> [rows still covered from above, columns spanned]
    grid = []
    for row in rows:
        cells = re.findall(r"<td([^>]*)>(.*?)</td>", row, re.DOTALL)
        out, col, index = [], 0, 0
        while index < len(cells) or pending.get(col, [0])[0] > 0:
            if pending.get(col, [0])[0] > 0:
                pending[col][0] -= 1
                out.append("")
                col += pending[col][1]
                continue
            attrs, text = cells[index]
            index += 1
            colspan_attr = re.search(r'colspan="(\d+)"', attrs)
            rowspan_attr = re.search(r'rowspan="(\d+)"', attrs)
            span = int(colspan_attr[1]) if colspan_attr else 1
            rowspan = int(rowspan_attr[1]) if rowspan_attr else 1
            if rowspan > 1:
                pending[col] = [rowspan - 1, span]
            out.append(html.unescape(text))
            col += span
        grid.append(out)
    return grid

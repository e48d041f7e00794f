"""The county's review configuration in the collection box: one `wbe.toml` (the format `wbe validate` reads
beside a workbook), set at `wbe collect init --config` and changed by an administrator in the page.

Its text is kept in the blob store by SHA-256; the collection names the current one, and each submission the
one it was checked with. A submission is checked exactly as `wbe validate` checks a workbook with that
wbe.toml beside it: the file is staged in a scratch folder with the wbe.toml next to it and handed to
the one validate-then-review composition (review.check_and_review, which ``api.check(path)`` is), so the
findings cannot differ from the command line's.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from ..county_config import CONFIG_NAME
from ..errors import InputError
from ..io.atomic import atomic_path
from .accounts import audit
from .database import begin_write
from .models import GOALS, Blob, User

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the backport, as review/config.py reads it
    import tomli as tomllib

if TYPE_CHECKING:
    from ..validation import Checked as ValidationChecked
    from .service import Collect

MAX_CONFIG_BYTES = 256 * 1024


class ConfigRefused(InputError):
    """A wbe.toml the box will not take (not TOML, unknown rule, wrong type); the message says where."""


def validate_text(text: str, origin: str = CONFIG_NAME) -> None:
    """Refuse a configuration `wbe validate` would refuse, with its message."""
    from ..review.config import ConfigError, parse_config

    if len(text.encode("utf-8")) > MAX_CONFIG_BYTES:
        raise ConfigRefused(f"{origin}：审核配置过大（最多 {MAX_CONFIG_BYTES // 1024} KB）。")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigRefused(f"{origin}：不是有效的 TOML（{exc}）。请改正后再保存。") from None
    table: Any = data.get("tool", {}).get("workbook-engine", {}).get("review", {})
    if not isinstance(table, dict):
        raise ConfigRefused(f"{origin}：[tool.workbook-engine.review] 应是一个表。")
    try:
        parse_config(table, Path(origin))
    except ConfigError as exc:
        raise ConfigRefused(str(exc)) from None


def read_file(path: str | os.PathLike[str]) -> str:
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigRefused(f"{source}：找不到审核配置文件。") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigRefused(f"{source}：无法读取审核配置（{exc}）。请保存为 UTF-8 编码的 wbe.toml。") from None
    validate_text(text, str(source))
    return text


def text_of(collect: Collect, sha256: str | None) -> str | None:
    """A stored configuration's text (None: the defaults)."""
    if not sha256:
        return None
    return collect.blobs.read(sha256).decode("utf-8")


def store(collect: Collect, session: Session, text: str) -> str:
    data = text.encode("utf-8")
    sha = collect.blobs.put(data)
    if session.get(Blob, sha) is None:
        session.add(Blob(sha256=sha, size=len(data)))
        session.flush()
    return sha


@dataclass(frozen=True)
class CountyConfig:
    """The collection's current configuration: its SHA-256 (None: defaults) and text ("" for defaults)."""

    sha256: str | None
    text: str


def current(collect: Collect, session: Session) -> CountyConfig:
    collection = collect.collection(session)
    return CountyConfig(collection.config_sha256, text_of(collect, collection.config_sha256) or "")


def set_config(collect: Collect, session: Session, text: str, *, by: User | None = None,
               by_name: str = "") -> CountyConfig:
    """Make ``text`` the county's configuration (an empty text: back to the defaults), in the audit log with
    the new text. Submissions already checked keep the configuration they were checked with."""
    text = text.replace("\r\n", "\n")
    if text.strip():
        validate_text(text)
    begin_write(session)
    collection = collect.collection(session)
    before = collection.config_sha256
    sha = store(collect, session, text) if text.strip() else None
    if sha == before:
        session.rollback()
        return CountyConfig(sha, text if sha else "")
    collection.config_sha256 = sha
    summary = (f"审核配置改为 {sha[:12]}…（{len(text.encode('utf-8'))} 字节，原为 "
               f"{before[:12] + '…' if before else '默认配置'}）：\n{text}") if sha else "审核配置恢复为默认配置"
    audit(session, "config", summary, user=by, username=by_name)
    session.commit()
    return CountyConfig(sha, text if sha else "")


def config_key(sha256: str | None) -> str:
    """The part of a cache name that says which configuration a result was computed with."""
    return sha256[:16] if sha256 else "default"


def place_beside(path: Path, text: str | None) -> None:
    """Put the configuration next to a staged workbook, where `wbe validate` (and api.check) look for it."""
    target = path.parent / CONFIG_NAME
    if text:
        with atomic_path(target, overwrite=True) as temp:
            temp.write_text(text, encoding="utf-8")
    else:
        target.unlink(missing_ok=True)


def county_check(path: Path, text: str | None) -> ValidationChecked:
    """``api.check`` of a staged workbook with the county's configuration beside it: the findings `wbe
    validate --format json` gives for that file with that wbe.toml (review rules included). It calls what
    api.check calls (review.check_and_review): collect/ is below api.py."""
    from ..review import check_and_review

    place_beside(path, text)
    return check_and_review(path)


def county_analysis(path: Path, text: str | None, stage: str = GOALS) -> dict[str, Any]:
    """The findings page data of a staged workbook checked with the county's configuration (county_check,
    then page_view.analysis_of of that check: exactly what `wbe validate --format json` reports for it with
    that wbe.toml, its grades those the review gave with that configuration) and the round's overview figures (none for 目标申报; figures.figures_of)."""
    from ..page_view import analysis_of
    from .figures import figures_of

    checked = county_check(path, text)
    analysis = analysis_of(checked, preview=False)  # the findings page's data, from that same check
    analysis["figures"] = figures_of(checked, stage)
    return analysis

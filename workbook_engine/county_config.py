"""The county's wbe.toml beside a workbook: one file, one table per concern ([tool.workbook-engine.review],
``.year``, ``.library``), read here for all of them so that every reader finds, decodes and refuses it alike."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from .errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, packaged as tomli
    import tomli as tomllib

CONFIG_NAME = "wbe.toml"


class ConfigError(InputError):
    """A wbe.toml that cannot be used: exit 2 with the file and what to change."""


def config_path(workbook: str | os.PathLike[str]) -> Path:
    """Where a workbook's configuration is: wbe.toml in the workbook's folder."""
    return Path(workbook).resolve().parent / CONFIG_NAME


def engine_table(workbook: str | os.PathLike[str] | None, name: str, *,
                 what: str = "配置") -> tuple[dict[str, Any], Path] | None:
    """The ``[tool.workbook-engine.<name>]`` table beside ``workbook`` and the file it is in; None when there
    is no wbe.toml (the defaults apply); a table that is missing is empty. ``what`` names it in messages."""
    if workbook is None:
        return None
    path = config_path(workbook)
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}：无法读取{what}（{exc}）。") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}：不是有效的 TOML（{exc}）。请改正或删除该文件。") from exc
    table = data.get("tool", {}).get("workbook-engine", {}).get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}：[tool.workbook-engine.{name}] 应是一个表。")
    return table, path

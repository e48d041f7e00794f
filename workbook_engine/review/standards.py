"""The review's data tables (issue 24): the accepted qualitative scale and the sector norms, read from
templates/review-scale.toml and templates/standards.toml so a county extends them without code."""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from decimal import Decimal

from ..layout import template_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, packaged as tomli
    import tomli as tomllib

SCALE_FILE, STANDARDS_FILE = "review-scale.toml", "standards.toml"


@dataclass(frozen=True)
class Standard:
    name: re.Pattern[str]
    unit: str
    floor: Decimal
    source: str


@dataclass(frozen=True)
class Scale:
    levels: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]

    def accepts(self, text: str) -> bool:
        return text in self.levels or any(p.search(text) for p in self.patterns)


def _read(name: str) -> dict:
    path = template_dir() / name
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


@functools.lru_cache(maxsize=1)
def scale() -> Scale:
    data = _read(SCALE_FILE).get("scale", {})
    levels = frozenset(word for group in data.get("levels", ()) for word in group)
    patterns = tuple(re.compile(p) for key in ("standards", "degree", "none", "lasting") for p in data.get(key, ()))
    return Scale(levels, patterns)


@functools.lru_cache(maxsize=1)
def standards() -> tuple[Standard, ...]:
    return tuple(Standard(re.compile(s["name"]), s["unit"], Decimal(str(s["floor"])), s["source"])
                 for s in _read(STANDARDS_FILE).get("standard", ()))

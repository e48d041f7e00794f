"""Grouping keys of the 指标库 and the parsed form of a 指标值, computed once per distinct text.

An indicator's group is its normalised 二级 + 三级 (docs/library.md, 归并规则): the framework's synonyms
(framework.py: 环境效益 = 生态效益, 数量 = 数量指标, any 满意度 under 满意度指标), full-width characters and
spacing folded, punctuation and a copy suffix such as （2） removed, and a few 三级 spellings met in real tables
folded (满意率 = 满意度). The unit and the direction are *not* part of the key: records keep one value
distribution per (unit, direction), so ≥95% and ≤5天 of the same indicator never mix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from ..framework import canonical_level1, canonical_level2, stem
from ..values import base_unit, fold, parse_indicator_value

_PUNCTUATION = re.compile(r"[%％\s\u3000·•、，,。.；;：:！!？?“”\"'‘’（）()\[\]【】《》<>〈〉—\-_/\\|*]+")
_COPY_SUFFIX = re.compile(r"[（(]\d{1,3}[)）]$")
# Spellings of the same 三级 met in real tables (after folding); the right side is the key.
LEVEL3_SYNONYMS: dict[str, str] = {
    "满意率": "满意度", "服务对象满意率": "服务对象满意度", "群众满意率": "群众满意度",
    "受益群众满意率": "受益群众满意度", "受益对象满意率": "受益对象满意度", "知晓度": "知晓率",
    "完成时间": "完成时限", "项目完成时间": "项目完成时限",
}
DIRECTIONS = {"≥": "≥", ">": "≥", "≤": "≤", "<": "≤", "=": "="}


@lru_cache(maxsize=1 << 16)
def level1_key(level1: str) -> str:
    """The 一级 key: the canonical name, else the folded stem."""
    return canonical_level1(level1) or (stem(level1) or "")


@lru_cache(maxsize=1 << 16)
def level2_key(level1: str, level2: str) -> str:
    """The 二级 key under its 一级: the canonical name (synonyms folded), else the folded stem + 指标."""
    canonical = canonical_level2(canonical_level1(level1), level2)
    if canonical:
        return canonical
    name = stem(level2)
    return name + "指标" if name else ""


@lru_cache(maxsize=1 << 18)
def level3_key(level3: str) -> str:
    """The 三级 key: folded, without spacing, punctuation, a copy suffix （2） or a trailing 指标."""
    text = unicodedata.normalize("NFKC", str(level3 or "")).strip()
    text = _COPY_SUFFIX.sub("", text)
    text = _PUNCTUATION.sub("", text)
    if text.endswith("指标") and len(text) > 2:
        text = text[:-2]
    return LEVEL3_SYNONYMS.get(text, text)


@dataclass(frozen=True)
class ParsedValue:
    """The columns of a parsed 指标值: direction ≥/≤/=/定性, number, unit (base unit) and kind."""

    direction: str
    number: float | None
    unit: str
    kind: str


@lru_cache(maxsize=1 << 18)
def parse_value(text: str) -> ParsedValue:
    """A 指标值 as the library stores it (values.parse_indicator_value; > and < counted with ≥ and ≤)."""
    parsed = parse_indicator_value(text)
    number = float(parsed.number) if isinstance(parsed.number, Decimal) and parsed.number.is_finite() else None
    if parsed.kind == "quantitative" and number is not None:
        direction = DIRECTIONS.get(parsed.operator or "=", "=")
        return ParsedValue(direction, number, base_unit(fold(parsed.unit)), parsed.kind)
    return ParsedValue("定性", None, "", parsed.kind)


def target_met(direction: str, target: float | None, actual_text: str) -> bool | None:
    """Whether an 实际完成值 meets its target (None when it cannot be told: qualitative, blank, other unit)."""
    if target is None or not actual_text.strip():
        return None
    actual = parse_value(actual_text if any(ch in actual_text for ch in "≥≤=<>") else "=" + actual_text)
    if actual.number is None:
        return None
    if direction == "≥":
        return actual.number >= target
    if direction == "≤":
        return actual.number <= target
    if direction == "=":
        return abs(actual.number - target) < 1e-9
    return None


def grams(text: str, limit: int = 160) -> set[str]:
    """Character bigrams of a text (folded, punctuation and digits dropped), the unit of similarity and
    search (docs/decisions.md 23.3); a one-character text is its own gram."""
    folded = _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text or ""))[:limit]
    folded = re.sub(r"[0-9.%]+", "", folded)
    if len(folded) == 1:
        return {folded}
    return {folded[i:i + 2] for i in range(len(folded) - 1)}


def project_stem(code: str) -> str:
    """A 项目编码 without its two year digits (130225 24 P…): the same project in another year."""
    code = (code or "").strip()
    return code[:6] + code[8:] if len(code) >= 9 and code[:8].isdigit() else code


def region_of(code: str) -> str | None:
    """The 6-digit administrative division a 项目编码 starts with (130225 = 乐亭县), or None."""
    head = (code or "").strip()[:6]
    return head if len(head) == 6 and head.isascii() and head.isdigit() else None


def year_of(code: str) -> int | None:
    """The budget year in a 项目编码 (its 7th and 8th digits: 24 -> 2024), or None."""
    digits = (code or "").strip()[6:8]
    return 2000 + int(digits) if len(digits) == 2 and digits.isdigit() else None

"""The indicator framework (指标体系): which 二级指标 belong to which 一级指标.

Two frameworks occur in practice (see docs/canonical-workbook.md): the classic one used by the seed and most
county templates, and the 2021 central guidance (财预〔2021〕101号) that promotes 成本指标 to level 1.
Names are compared without the trailing 指标 and after folding the synonyms met in real tables.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Literal

Framework = Literal["classic", "2021"]

CLASSIC: dict[str, tuple[str, ...]] = {
    "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "满意度指标": ("服务对象满意度指标",),
}

GUIDANCE_2021: dict[str, tuple[str, ...]] = {
    "产出指标": ("数量指标", "质量指标", "时效指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "满意度指标": ("服务对象满意度指标",),
    "成本指标": ("经济成本指标", "社会成本指标", "生态环境成本指标"),
}

FRAMEWORKS: dict[Framework, dict[str, tuple[str, ...]]] = {"classic": CLASSIC, "2021": GUIDANCE_2021}

LEVEL1_NAMES: tuple[str, ...] = ("产出指标", "效益指标", "满意度指标", "成本指标")
LEVEL2_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys(name for framework in FRAMEWORKS.values() for names in framework.values() for name in names)
)

# Synonyms met in real tables, keyed by the stem (name without the trailing 指标).
_LEVEL1_SYNONYMS = {"效果": "效益"}
_LEVEL2_SYNONYMS = {"环境效益": "生态效益", "生态环境效益": "生态效益", "服务对象满意": "服务对象满意度"}


@lru_cache(maxsize=4096)
def stem(name: str | None) -> str:
    """The comparable stem of a category name: NFKC, no whitespace, no trailing 指标."""
    if name is None:
        return ""
    text = "".join(unicodedata.normalize("NFKC", str(name)).split())
    return text[: -len("指标")] if text.endswith("指标") and len(text) > 2 else text


@lru_cache(maxsize=4096)
def canonical_level1(name: str | None) -> str | None:
    """The canonical 一级指标 for a name as typed, or None when it is not one."""
    key = stem(name)
    key = _LEVEL1_SYNONYMS.get(key, key)
    full = key + "指标"
    return full if full in LEVEL1_NAMES else None


@lru_cache(maxsize=4096)
def canonical_level2(level1: str | None, name: str | None) -> str | None:
    """The canonical 二级指标 under the given canonical 一级, or None when it does not belong there."""
    key = stem(name)
    key = _LEVEL2_SYNONYMS.get(key, key)
    if level1 == "满意度指标" and "满意度" in key:
        key = "服务对象满意度"
    full = key + "指标"
    allowed: set[str] = set()
    for framework in FRAMEWORKS.values():
        allowed.update(framework.get(level1 or "", ()))
    return full if full in allowed else None


@lru_cache(maxsize=4096)
def frameworks_of(level1: str | None, level2: str | None) -> frozenset[Framework]:
    """Which frameworks accept this (canonical) pair; empty when none does."""
    return frozenset(fw for fw, table in FRAMEWORKS.items() if level2 in table.get(level1 or "", ()))

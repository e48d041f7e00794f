"""Parsing of typed cell values: money, percentages and 指标值 (indicator values).

These are library functions other code (validator, review rules, renderer) uses; they never raise on user
input, they return what they understood and leave judging to the caller.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation

# Enough digits for any float (1.8e308) or typed number to be rounded to cents without InvalidOperation.
WIDE = Context(prec=1000)

OPERATORS = ("≥", "≤", "=", ">", "<")
_OPERATOR_ALIASES = {
    ">=": "≥", "<=": "≤", "≧": "≥", "≦": "≤", "=>": "≥", "=<": "≤", "==": "=",
    "不低于": "≥", "不少于": "≥", "不小于": "≥", "至少": "≥", "大于等于": "≥",
    "不高于": "≤", "不超过": "≤", "不多于": "≤", "不大于": "≤", "小于等于": "≤",
    "大于": ">", "小于": "<", "等于": "=", "达到": "=",
    "超过": ">", "高于": ">", "多于": ">", "低于": "<", "少于": "<", "控制在": "≤", "不超": "≤",
}
_OP_RE = re.compile(
    "^(" + "|".join(sorted(map(re.escape, list(_OPERATOR_ALIASES) + list(OPERATORS)), key=len, reverse=True)) + ")"
)
_NUMBER_RE = re.compile(r"^([+-]?\d+(?:\.\d+)?)")
_DEADLINE_RE = re.compile(
    r"^(?:(\d{4})年)?(?:(\d{1,2})月)?(?:(\d{1,2})[日号])?(?:底|末|上旬|中旬|下旬|份)?"
    r"(?:(?:前|之前|以前)[\u4e00-\u9fff]{0,12}|内|完成)?$"  # 2022年11月30日前完成资金支付
)
_DOTTED_DATE_RE = re.compile(r"^\d{4}[./-]\d{1,2}(?:[./-]\d{1,2})?(?:前|之前|以前|内)?$")
_PERCENT_SIGNS = str.maketrans({"％": "%", "﹪": "%"})


def fold(text: str) -> str:
    """NFKC-fold full-width digits, operators and spaces (also non-breaking ones) for parsing."""
    if text.isascii():
        return text  # NFKC leaves ASCII as it is, and the replacements below are all non-ASCII
    return _fold_unicode(text)


@functools.lru_cache(maxsize=1 << 16)
def _fold_unicode(text: str) -> str:
    """fold of a non-ASCII text (cached: a workbook's names, levels and values repeat from row to row)."""
    return unicodedata.normalize("NFKC", text).replace("\u00a0", " ").translate(_PERCENT_SIGNS)


def is_blank(value: object) -> bool:
    """True for None, NaN and text that holds only whitespace."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    # str.strip() removes exactly the characters that fold() turns into whitespace: no code point outside
    # str.isspace() folds to whitespace, and every whitespace code point folds to whitespace (checked over
    # all of Unicode), so the Unicode fold is not needed here.
    return isinstance(value, str) and not value.strip()


def as_text(value: object) -> str:
    """A cell value as text, the way a person reads it: 12.0 -> "12", None -> ""."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class ParsedNumber:
    """A number read from a cell; ``from_text`` marks numbers that were stored as text."""

    value: Decimal | None
    from_text: bool = False
    error: str | None = None


_EPOCH_1900 = dt.datetime(1899, 12, 30)  # serial 61 is 1900-03-01: Excel counts a 29 February 1900
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_AMBIGUOUS_1900 = dt.datetime(1900, 2, 28)  # calamine shows both 59 and Excel's 60 (29 Feb 1900) as 28 Feb


def stored_number(value: dt.date | dt.time | dt.timedelta, date1904: bool = False) -> Decimal | None:
    """The number Excel stores behind a cell shown as a date, a time or a duration (calamine gives what it
    shows); None for the one date of the 1900 system that two numbers share."""
    if isinstance(value, dt.timedelta):
        days = value.total_seconds() / 86400
    elif isinstance(value, dt.time):
        days = (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    else:
        moment = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
        moment = moment.replace(tzinfo=None)
        if date1904:
            days = (moment - _EPOCH_1904).total_seconds() / 86400
        elif moment.date() == _AMBIGUOUS_1900.date():
            return None
        else:
            days = (moment - _EPOCH_1900).total_seconds() / 86400 - (1 if moment < _AMBIGUOUS_1900 else 0)
    # calamine keeps milliseconds: six decimals give back every number of money or percent typed
    return Decimal(repr(round(days, 6))).normalize() + 0


def parse_number(value: object, date1904: bool = False) -> ParsedNumber:
    """A numeric cell (or text that holds a number, full-width digits and thousands separators allowed).

    ``date1904``: the workbook counts dates from 1904 (Excel for Mac), needed only to recover the number
    behind a cell formatted as a date.
    """
    if is_blank(value):
        return ParsedNumber(None)
    if isinstance(value, bool):
        return ParsedNumber(None, error="不是数字")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return ParsedNumber(None, error="不是有限的数字")
        return ParsedNumber(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        # A number shown as a date: an error to report, but the number behind it is kept, so that
        # an output written anyway (--force, extract) never blanks what was typed.
        return ParsedNumber(stored_number(value, date1904), error="是日期，不是数字")
    text = fold(str(value)).strip().replace(",", "").replace(" ", "")
    for suffix in ("万元", "元"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    try:
        number = Decimal(text)
    except InvalidOperation:
        return ParsedNumber(None, from_text=True, error="不是数字")
    if not number.is_finite():
        return ParsedNumber(None, from_text=True, error="不是有限的数字")
    return ParsedNumber(number, from_text=True)


def unreadable_number(parsed: ParsedNumber) -> tuple[str | None, dict[str, str]]:
    """The catalogue variant and fields of a number that could not be read: ``date`` with the number kept
    behind a date format, else the plain message with its problem (WBE-E011, WBE-E073)."""
    if parsed.value is not None:
        return "date", {"number": format(parsed.value.normalize(), "f")}
    return None, {"problem": parsed.error or ""}


def decimals_of(number: Decimal) -> int:
    """How many decimals a number really has (200.10 -> 1, 1e-3 -> 3), after float noise is removed."""
    normalized = number.normalize()
    exponent = normalized.as_tuple().exponent
    if not isinstance(exponent, int):
        return 0
    places = max(0, -exponent)
    if places > 6:
        # Binary floats such as 0.1 + 0.2 carry noise past the 10th decimal: judge on 10 places.
        normalized = number.quantize(Decimal("1e-10"), context=WIDE).normalize()
        exponent = normalized.as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 0
    return places


def to_cents(number: Decimal | float | None) -> int:
    """Money in 万元 -> integer hundredths, for comparisons 'to the cent'."""
    if number is None:
        return 0
    return int((Decimal(str(number)) * 100).to_integral_value())


@dataclass(frozen=True)
class ParsedPercent:
    """One plan cell: ``points`` in percent points (25 for 25%), and how it was written."""

    points: Decimal | None
    style: str  # "percent" (25% text), "number" (0.25 or 25), "date" (a number shown as a date), "blank", "invalid"
    raw: object = None


def parse_percent_cell(value: object, date1904: bool = False) -> ParsedPercent:
    """Read a percentage cell without deciding yet whether a bare number is a fraction or points."""
    if is_blank(value):
        return ParsedPercent(None, "blank", value)
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):  # 0.25 formatted as a time shows 06:00:00
        return ParsedPercent(stored_number(value, date1904), "date", value)
    if isinstance(value, str):
        text = fold(value).strip().replace(" ", "")
        if text.endswith("%"):
            parsed = parse_number(text[:-1])
            if parsed.value is None:
                return ParsedPercent(None, "invalid", value)
            return ParsedPercent(parsed.value, "percent", value)
        parsed = parse_number(text)
    else:
        parsed = parse_number(value)
    if parsed.value is None:
        return ParsedPercent(None, "invalid", value)
    return ParsedPercent(parsed.value, "number", value)


_BARE = ("number", "date")  # a bare number, also one behind a date format


def resolve_plan(cells: list[ParsedPercent]) -> tuple[list[Decimal | None], bool]:
    """Decide, for one project's four plan cells, what bare numbers mean; return points and ambiguity.

    Excel stores 25% as 0.25, and people also type 25. A row is read as fractions when every bare number
    in it is at most 1, else as percent points. It is ambiguous when a row mixes numbers at most 1 (other
    than 0) with numbers above 1, or when its only bare numbers are 1 and 0 beside written percentages.
    """
    bare = [c.points for c in cells if c.style in _BARE and c.points is not None]
    as_fraction = all(abs(v) <= 1 for v in bare)
    ambiguous = bool(bare) and not as_fraction and any(0 < abs(v) <= 1 for v in bare)
    points: list[Decimal | None] = []
    for cell in cells:
        if cell.style in _BARE and cell.points is not None:
            points.append(cell.points * 100 if as_fraction else cell.points)
        else:
            points.append(cell.points)
    return points, ambiguous


# The kinds of 指标值 (docs/review-rules.md, "指标值的写法"). Only ``malformed`` is an error (WBE-E040): an
# operator followed by nothing usable. Everything a finance bureau accepts parses into one of the others.
VALUE_KINDS: dict[str, str] = {
    "quantitative": "运算符 + 数字 + 单位：≥12次、≥95%、≤200万元、≤710元/亩（单价）、≥百分之九十五（= ≥95%）、≥十二次、≤24小时、12个月",
    "deadline": "期限：2024年12月31日前、12月底前、年底前、当年完成、全年",
    "class": "分级分类标准：≥Ⅲ类、达到Ⅲ类、不低于Ⅲ类标准、达到GB 3838-2002 Ⅲ类标准、达到国家二级标准、达到一级A标准、≥二级、AAA级",
    "grade": "分级定性表述：≥良好、≥较好、达到合格等级、好、较好、合格、达标、优",
    "budget": "以预算为上限的成本：≤预算数、≤预算、≤批复预算、不超过预算数、控制在预算内、不超预算",
    "qualitative": "其他文字：按时完成、长期、不低于上年水平",
    "malformed": "运算符后面没有数字或内容：≥、≥**天、≥%（WBE-E040）",
    "empty": "空",
}


@dataclass(frozen=True)
class IndicatorValue:
    """A parsed 指标值: ``kind`` is one of VALUE_KINDS; ``level`` names the class or grade (Ⅲ类, 良好)."""

    text: str
    kind: str
    operator: str | None = None
    number: Decimal | None = None
    unit: str = ""
    level: str = ""

    @property
    def is_percent(self) -> bool:
        return self.kind == "quantitative" and base_unit(self.unit) == "%"


# Budget-bound costs, whatever the spelling: ≤预算数, 不超过批复预算, 控制在预算内, 不超预算.
_BUDGET_RE = re.compile(
    r"^(?:≤|<|=|不超过|不超出|不超|不高于|不大于|小于等于|控制在|在)?(?:项目|本项目|批复的?|核定的?|年度|下达的?)?"
    r"预算(?:数|金额|额度|资金|总额|标准)?(?:以内|之内|范围内|范围之内|内|以下)?(?:完成|控制|执行)?$"
)
# Graded qualitative values: 优/良/中/差 scales, 合格, 达标 (optionally "等级", "以上").
_GRADE_RE = re.compile(
    r"^(?P<level>优秀|优良|优|良好|良|较好|好|合格|达标|中等|中|及格|一般)"
    r"(?:等级|等次|级|档|水平|标准)?(?:及以上|以上)?$"
)
# Graded classes and standards: Ⅲ类 (folded to III类), 国家二级标准, 一级A标准, GB 3838-2002 Ⅲ类标准, AAA级.
_CLASS_RE = re.compile(
    r"^(?:(?:GB/T|HJ/T|GB|HJ|DB|CJJ|JGJ)[\d./]*(?:[-—–]\d{2,4})?)?(?:《[^》]*》)?"
    r"(?:国家|国标|省级?|市级?|地方|行业)?"
    r"(?P<level>(?:[IVX]{1,4}|[一二三四五]|\d)(?:级|类|等)[A-Z]?|A{1,5}级|A{2,5})"
    r"(?:水质|水|地表水|标准|及以上|以上|要求)*$"
)
_PLACEHOLDER_START = re.compile(r"^(?:\*|[Xx×]{2}|\.{2}|○|□|？|\?|_)")
_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
                   "八": 8, "九": 9}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHINESE_NUMBER_RE = re.compile(r"^(百分之)?([零〇一二两三四五六七八九十百千万点]+)")
# Units a digit-less Chinese numeral may stand before without an operator (三年, 十二次), so that words that
# merely start with 一 (一般, 一致) stay words.
_COUNT_UNITS = ("次", "个", "人", "人次", "家", "件", "项", "场", "期", "批", "户", "所", "座", "处", "台", "套", "辆",
                "份", "篇", "册", "本", "条", "公里", "米", "亩", "吨", "天", "日", "小时", "年", "月", "个月", "周",
                "季度", "个季度", "个工作日", "工作日", "名", "所", "班", "轮", "类", "%")


def chinese_to_decimal(text: str) -> Decimal | None:
    """九十五 -> 95, 十二 -> 12, 一百零三 -> 103, 两千 -> 2000, 三万五千 -> 35000, 九十九点五 -> 99.5."""
    if not text:
        return None
    whole, _, fraction = text.partition("点")
    if "点" in fraction or (not whole and not fraction):
        return None
    total = section = current = 0
    seen = False
    for ch in whole:
        if ch in _CHINESE_DIGITS:
            current, seen = _CHINESE_DIGITS[ch], True
        elif ch in _CHINESE_UNITS:
            section += (current or 1) * _CHINESE_UNITS[ch]
            current, seen = 0, True
        elif ch == "万":
            total += (section + current) * 10000
            section = current = 0
        else:
            return None
    number = Decimal(total + section + current) if (seen or total) else Decimal(0)
    if fraction:
        digits = "".join(str(_CHINESE_DIGITS[ch]) for ch in fraction if ch in _CHINESE_DIGITS)
        if len(digits) != len(fraction):
            return None
        number += Decimal("0." + digits)
    return number


def _chinese_quantity(rest: str, operator: str | None) -> tuple[Decimal, str] | None:
    """百分之九十五 -> (95, %), 十二次 -> (12, 次); None when the text does not start with a numeral."""
    match = _CHINESE_NUMBER_RE.match(rest)
    if not match:
        return None
    number = chinese_to_decimal(match.group(2))
    if number is None:
        return None
    unit = rest[match.end():]
    if match.group(1):
        return number, "%" + unit
    if not unit or (operator is None and base_unit(unit) not in _COUNT_UNITS):
        return None
    return number, unit


def parse_indicator_value(value: object) -> IndicatorValue:
    """Split a 指标值 into operator, number and unit (≥12次 -> ≥, 12, 次), or classify it (VALUE_KINDS).

    Accepts the operators met in the wild (>= <= ＝ ＞ ＜ ≧ ≦ and words like 不低于), full-width digits and
    percent signs, Chinese numerals (≥百分之九十五), unit costs (≤710元/亩), graded classes (≥Ⅲ类), graded
    words (≥良好) and budget bounds (≤预算数). Only a value that starts with an operator and has nothing usable
    after it (≥, ≥**天, ≥%) is malformed.
    """
    return _parse_indicator_text(as_text(value))


# The validation rules and the review both parse every 指标值 of a book, and values repeat (100%, ≥95%, 按时完成):
# each distinct text is parsed once per process. The result is immutable, so sharing it is safe.
@functools.lru_cache(maxsize=65536)
def _parse_indicator_text(text: str) -> IndicatorValue:
    folded = fold(text).strip()
    if not folded:
        return IndicatorValue(text, "empty")
    compact = folded.replace(" ", "").replace("\u3000", "")
    if _BUDGET_RE.match(compact):
        return IndicatorValue(text, "budget", "≤", None, "预算数")
    whole = _GRADE_RE.match(compact) or _CLASS_RE.match(compact)
    if whole:
        return IndicatorValue(text, "grade" if whole.re is _GRADE_RE else "class", None, level=whole.group("level"))
    operator = None
    rest = compact
    match = _OP_RE.match(compact)
    if match:
        token = match.group(1)
        operator = _OPERATOR_ALIASES.get(token, token)
        rest = compact[len(token):]
    number_match = _NUMBER_RE.match(rest)
    if number_match:
        unit = rest[number_match.end():]
        try:
            number = Decimal(number_match.group(1))
        except InvalidOperation:  # pragma: no cover - the regex admits only decimals
            return IndicatorValue(text, "malformed", operator)
        if operator is None and (_DEADLINE_RE.match(compact) or _DOTTED_DATE_RE.match(compact)) \
                and ("月" in compact or "年" in compact or _DOTTED_DATE_RE.match(compact)):
            return IndicatorValue(text, "deadline", None, number, unit)
        return IndicatorValue(text, "quantitative", operator, number, unit)
    if operator is not None:
        for pattern, kind in ((_GRADE_RE, "grade"), (_CLASS_RE, "class")):
            graded = pattern.match(rest)
            if graded:
                return IndicatorValue(text, kind, operator, level=graded.group("level"))
    chinese = _chinese_quantity(rest, operator)
    if chinese is not None:
        return IndicatorValue(text, "quantitative", operator, chinese[0], chinese[1])
    if operator is None and _DEADLINE_WORDS.match(compact):
        return IndicatorValue(text, "deadline")
    if operator is not None:
        if not rest or _PLACEHOLDER_START.match(rest) or base_unit(rest) in _COUNT_UNITS + MONEY_UNIT_NAMES:
            return IndicatorValue(text, "malformed", operator, None, rest)
        return IndicatorValue(text, "qualitative", operator, None, rest)  # 不低于上年水平
    return IndicatorValue(text, "qualitative")


def deadline_year_month(value: IndicatorValue) -> tuple[int | None, int | None]:
    """(year, month) of a deadline value such as 2024年12月底前; None where not stated."""
    text = fold(value.text).strip().replace(" ", "")
    dotted = _DOTTED_DATE_RE.match(text)
    if dotted:
        year, month = re.split(r"[./-]", text)[:2]
        return int(year), int(re.match(r"\d+", month).group(0))  # type: ignore[union-attr]  # the period matched digits
    match = _DEADLINE_RE.match(text)
    if not match:
        return None, None
    year = int(match.group(1)) if match.group(1) else None
    month = int(match.group(2)) if match.group(2) else None
    return year, month


# Units of 指标值 as the review rules judge them (money in 万元 is the workbook's unit).
MONEY_UNITS: dict[str, Decimal] = {"元": Decimal("0.0001"), "千元": Decimal("0.1"), "万元": Decimal(1),
                                   "百万元": Decimal(100), "亿元": Decimal(10000)}
MONEY_UNIT_NAMES: tuple[str, ...] = tuple(MONEY_UNITS)
DURATION_UNITS = ("天", "日", "工作日", "个工作日", "小时", "分钟", "周", "个月", "月", "年", "季度", "个季度")
_UNIT_TAILS = ("以上", "以下", "左右", "以内", "之内", "内", "前", "及以上", "及以下")
# Deadlines written without digits that still name a point in the budget year.
_DEADLINE_WORDS = re.compile(
    r"^(?:(?:年底|年末|年内|当年|当年度|本年度?|年度内|全年|全年度|本年内|当期|预算年度内?|当日|当天|日产日清|即时)"
    r"(?:前|之前|以前|内|完成|完工|办结|清运|清理|处置|发放|到位)*"
    r"|(?:每|当|次|本|下)(?:月|季度|季|半年|年)(?:首月|末|初|底)?(?:\d{1,2}[日号])?(?:前|之前|以前|内)?(?:发放|完成|到位|办结)?"
    r"|实时|随到随办|即到即办)$")
# Numbers in free text with what follows them: "100%", "12次", "25家", "2024年".
_QUANTITY_RE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(%|[\u4e00-\u9fff]{0,2})")


@functools.lru_cache(maxsize=4096)
def base_unit(unit: str) -> str:
    """A value's unit without qualifiers such as 以上, 以内 (≥95%以上 -> %, ≤30天内 -> 天)."""
    text = unit.strip()
    changed = True
    while changed and text:
        changed = False
        for tail in _UNIT_TAILS:
            if text.endswith(tail) and len(text) > len(tail):
                text, changed = text[: -len(tail)], True
    return text


def money_in_wan(value: IndicatorValue) -> Decimal | None:
    """The amount of a money value in 万元 (≤4.5万元 -> 4.5, ≤2000元 -> 0.2); None when it is not money."""
    if value.kind != "quantitative" or value.number is None:
        return None
    factor = MONEY_UNITS.get(base_unit(value.unit))
    return value.number * factor if factor is not None else None


def unit_cost(value: IndicatorValue) -> tuple[Decimal, str, str] | None:
    """A cost per unit: ≤710元/亩 -> (710, 元, 亩), =94元/人 -> (94, 元, 人); None for totals and non-money."""
    if value.kind != "quantitative" or value.number is None or "/" not in value.unit:
        return None
    money, _, per = base_unit(value.unit).partition("/")
    money = money or "元"  # ≤28.40/株: the 元 is implied (published tables write it so)
    if money not in MONEY_UNITS or not per:
        return None
    return value.number, money, per


def is_money(value: IndicatorValue) -> bool:
    """A total amount (≤200万元) or a unit cost (≤710元/亩): what a 成本指标 should state."""
    return money_in_wan(value) is not None or unit_cost(value) is not None


def is_duration(value: IndicatorValue) -> bool:
    """≤30天, 3个工作日内, ≤2小时: a quantitative value whose unit is a span of time."""
    return value.kind == "quantitative" and base_unit(value.unit) in DURATION_UNITS


def is_deadline(value: IndicatorValue) -> bool:
    """2024年12月底前, 12月31日前, and the digit-less 年底前 / 年内."""
    if value.kind == "deadline":
        return True
    return value.kind == "qualitative" and bool(_DEADLINE_WORDS.match(fold(value.text).strip().replace(" ", "")))


def quantities_in_text(text: str) -> list[tuple[Decimal, str]]:
    """Numbers stated in prose with the unit after them, skipping list numbers (1.), years and dates."""
    found: list[tuple[Decimal, str]] = []
    folded = fold(text)
    for match in _QUANTITY_RE.finditer(folded):
        number, unit = match.group(1), match.group(2)
        after = folded[match.end(1):match.end(1) + 1]
        if after in (".", "、", ")", "）") and not unit.startswith("%"):
            continue  # list numbering: 1. 1、 1）
        if unit[:1] in ("年", "月", "日", "号") or unit.startswith("季度"):
            continue  # dates and periods (2024年, 12月底, 每季度) are not targets
        if not unit:
            continue  # a bare number carries no target worth checking
        found.append((Decimal(number), "%" if unit == "%" else unit[:1]))
    return found

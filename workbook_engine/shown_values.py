"""What a number or date in a text column looked like in Excel: the cell's value shown through its number format.

Excel turns a typed ``90%`` into the number 0.9 with the format ``0%``, ``=100%`` into a formula worth 1, and
``2025/12/31`` into a date. calamine gives the bare values; to read such a cell back as what the user saw we need
its number format, which calamine does not give. This module reads just that: the number-format table of
xl/styles.xml and the ``s`` (style) attribute of the wanted cells of one sheet, with defusedxml (the guard has
already bounded every part's size), only when a text column holds a number or a date at all, and it stops reading
the sheet after the last wanted row. ``shown_text`` then applies the common formats (General, 0, 0.00, #,##0.00,
0%, 0.00%, date and time formats with Chinese literals); anything else is shown as the plain value.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal

from defusedxml.ElementTree import fromstring

from .a1 import column_index, column_letter
from .io.guard import Inspection
from .io.sheet_scan import walk_sheet
from .values import as_text

# Built-in number formats (ECMA-376 18.8.30) as a Simplified-Chinese Excel shows them (14 is yyyy/m/d there).
BUILTIN_FORMATS: dict[int, str] = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
    12: "# ?/?", 13: "# ??/??", 14: "yyyy/m/d", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "yyyy/m/d h:mm", 37: "#,##0 ;(#,##0)",
    38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss",
    46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
    27: 'yyyy"年"m"月"', 28: 'm"月"d"日"', 29: 'm"月"d"日"', 30: "m-d-yy", 31: 'yyyy"年"m"月"d"日"',
    32: 'h"时"mm"分"', 33: 'h"时"mm"分"ss"秒"', 34: '上午/下午h"时"mm"分"', 35: '上午/下午h"时"mm"分"ss"秒"',
    36: 'yyyy"年"m"月"', 50: 'yyyy"年"m"月"', 51: 'm"月"d"日"', 52: 'yyyy"年"m"月"', 53: 'm"月"d"日"',
    54: 'm"月"d"日"', 55: '上午/下午h"时"mm"分"', 56: '上午/下午h"时"mm"分"ss"秒"', 57: 'yyyy"年"m"月"',
    58: 'm"月"d"日"',
}
GENERAL = "General"
Cell = tuple[int, int]  # (1-based row, 0-based column)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _style_formats(archive: zipfile.ZipFile) -> list[str]:
    """The number-format code of each cell style (cellXfs index), from xl/styles.xml."""
    try:
        root = fromstring(archive.read("xl/styles.xml"), forbid_dtd=True)
    except KeyError:
        return []
    custom: dict[int, str] = {}
    formats: list[str] = []
    for element in root:
        name = _local(element.tag)
        if name == "numFmts":
            for item in element:
                if item.get("numFmtId", "").isdigit():
                    custom[int(item.get("numFmtId"))] = item.get("formatCode", GENERAL)
        elif name == "cellXfs":
            for xf in element:
                raw = xf.get("numFmtId", "0")
                number = int(raw) if raw.isdigit() else 0
                formats.append(custom.get(number, BUILTIN_FORMATS.get(number, GENERAL)))
    return formats


def number_formats(inspection: Inspection, sheet_name: str, cells: set[Cell]) -> dict[Cell, str]:
    """The number format of each wanted cell of a sheet (General when it has none).

    The cells' start tags are found with a regular expression restricted to the wanted columns (a county's
    30,000-row sheet in a fraction of a second); a sheet whose cells do not all carry their r="A1" address
    (allowed, rare) is read with a streaming XML parse instead."""
    if not cells:
        return {}
    part = inspection.sheets.get(sheet_name)
    if part is None:
        return {}
    with zipfile.ZipFile(inspection.readable) as archive:
        styles = _style_formats(archive)
        if not styles:
            return {}
        data = archive.read(part)
    if _CELL_WITHOUT_REF_RE.search(data):
        return _formats_by_parsing(io.BytesIO(data), styles, cells)
    letters = sorted({column_letter(col) for _, col in cells})
    tag = re.compile(rb'<(?:\w+:)?c\s(?=[^>]*?\br="(' + "|".join(letters).encode() + rb')(\d+)")[^>]*>')
    found: dict[Cell, str] = {}
    for match in tag.finditer(data):
        key = (int(match.group(2)), column_index(match.group(1).decode()))
        if key in cells:
            style = _STYLE_ATTR_RE.search(match.group(0))
            found[key] = _format_of(styles, style.group(1).decode() if style else "0")
    return found


_CELL_WITHOUT_REF_RE = re.compile(rb'<(?:\w+:)?c(?:\s(?![^>]*?\br=")[^>]*)?>')
_STYLE_ATTR_RE = re.compile(rb'\ss="(\d+)"')


def _format_of(styles: list[str], style: str) -> str:
    index = int(style) if style.isdigit() else 0
    return styles[index] if index < len(styles) else GENERAL


def _formats_by_parsing(source, styles: list[str], cells: set[Cell]) -> dict[Cell, str]:
    last_row = max(row for row, _ in cells)
    found: dict[Cell, str] = {}
    for kind, row_number, column, element in walk_sheet(source):
        if kind == "row" and row_number > last_row:
            break
        if kind == "c" and (row_number, column) in cells:
            found[(row_number, column)] = _format_of(styles, element.get("s", "0"))
    return found


# --- applying a format ----------------------------------------------------------------------------

_BRACKET_RE = re.compile(r"\[[^\]]*\]")
_DATE_TOKEN_RE = re.compile(r'"[^"]*"|\\.|AM/PM|A/P|上午/下午|yyyy|yy|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|'
                            r"\.0+|e|.", re.I)
_NUMBER_RE = re.compile(r"[#0?][#0?,]*(?:\.[#0?]*)?|\.[#0?]+")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _first_section(code: str) -> str:
    """The section of a format that applies to positive numbers, without colours and locale tags."""
    sections: list[str] = []
    current, quoted = "", False
    for ch in code:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            sections.append(current)
            current = ""
            continue
        current += ch
    sections.append(current)
    return _BRACKET_RE.sub("", sections[0]).strip()


def _unquoted(section: str) -> str:
    return re.sub(r'"[^"]*"|\\.', "", section)


def is_date_format(code: str) -> bool:
    plain = _unquoted(_first_section(code)).lower()
    return bool(re.search(r"[ymdhs]", plain)) and "general" not in plain and not re.search(r"[0#?]", plain)


def _as_datetime(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, dt.time):
        return dt.datetime.combine(_EXCEL_EPOCH.date(), value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 2958466:
        return _EXCEL_EPOCH + dt.timedelta(days=float(value))
    return None


def _format_date(moment: dt.datetime, section: str) -> str:
    tokens = _DATE_TOKEN_RE.findall(section)
    twelve_hour = any(t.upper() in ("AM/PM", "A/P") or t == "上午/下午" for t in tokens)
    out: list[str] = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if token.startswith('"'):
            out.append(token[1:-1])
        elif token.startswith("\\"):
            out.append(token[1:])
        elif low in ("yyyy", "e"):
            out.append(f"{moment.year:04d}")
        elif low == "yy":
            out.append(f"{moment.year % 100:02d}")
        elif low in ("m", "mm"):
            before = [t.lower() for t in tokens[:i] if t.strip() and t.lower()[0] in "ymdhs"]
            after = [t.lower() for t in tokens[i + 1:] if t.strip() and t.lower()[0] in "ymdhs"]
            minutes = (before and before[-1][0] == "h") or (after and after[0][0] == "s")
            number = moment.minute if minutes else moment.month
            out.append(f"{number:02d}" if low == "mm" else str(number))
        elif low in ("mmm", "mmmm", "mmmmm"):
            out.append(f"{moment.month}月")
        elif low in ("d", "dd"):
            out.append(f"{moment.day:02d}" if low == "dd" else str(moment.day))
        elif low in ("ddd", "dddd"):
            out.append("星期" + "一二三四五六日"[moment.weekday()])
        elif low in ("h", "hh"):
            hour = moment.hour % 12 or 12 if twelve_hour else moment.hour
            out.append(f"{hour:02d}" if low == "hh" else str(hour))
        elif low in ("s", "ss"):
            out.append(f"{moment.second:02d}" if low == "ss" else str(moment.second))
        elif token == "上午/下午":
            out.append("上午" if moment.hour < 12 else "下午")
        elif low in ("am/pm", "a/p"):
            out.append(("AM" if moment.hour < 12 else "PM") if low == "am/pm" else ("A" if moment.hour < 12 else "P"))
        elif token.startswith(".") and set(token[1:]) == {"0"}:
            out.append(f".{moment.microsecond:06d}"[: len(token)])
        else:
            out.append(token)
    return "".join(out)


def _format_number(number: Decimal, section: str) -> str | None:
    """A number through a simple numeric format (0, 0.00, #,##0.00, 0%, with literal text); None if unsupported."""
    plain = _unquoted(section)
    if re.search(r"[eE][+-]|/|\*|_", plain):
        return None  # scientific, fractions, padding: shown as the plain value
    match = _NUMBER_RE.search(section)
    if match is None:
        return None
    pattern = match.group(0)
    percent = plain.count("%")
    scaled = number * (Decimal(100) ** percent)
    decimals = len(pattern.split(".", 1)[1]) if "." in pattern else 0
    rounded = scaled.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    digits = f"{abs(rounded):,.{decimals}f}" if "," in pattern.split(".")[0] else f"{abs(rounded):.{decimals}f}"
    sign = "-" if rounded < 0 else ""

    def literal(text: str) -> str:
        return re.sub(r'"([^"]*)"|\\(.)', lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)

    return literal(section[:match.start()]) + sign + digits + literal(section[match.end():])


def shown_text(value: object, code: str | None) -> str:
    """The text Excel shows for a number or date cell with number format ``code``."""
    section = _first_section(code or GENERAL)
    if isinstance(value, (dt.date, dt.time)) or (section and is_date_format(section)):
        moment = _as_datetime(value)
        if moment is not None:
            if not section or section.lower() == "general" or not is_date_format(section):
                section = "yyyy/m/d" if not isinstance(value, dt.time) else "h:mm:ss"
                if isinstance(value, dt.datetime) and value.time() != dt.time():
                    section = "yyyy/m/d h:mm"
            return _format_date(moment, section)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return as_text(value)
    if section.lower() in ("", "general", "@"):
        return as_text(value)
    shown = _format_number(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), section)
    return as_text(value) if shown is None else shown

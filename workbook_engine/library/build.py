"""`wbe library build`: canonical workbooks, folders of them, county workbooks and Parquet exports into the
library's dataset, one row per indicator.

Every workbook is read by the guarded reader (the one validation uses: size and zip-bomb limits, encrypted
and non-xlsx files refused); a file that cannot be read is listed with the reason and skipped, the others are
added. The schema and rule checks of `wbe validate` are not run (the library counts what was typed; a
department's findings are its own business); cells that cannot be read at all are counted and listed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UsageError, WorkbookEngineError
from ..io.digest import file_sha256
from ..values import as_text
from .normalise import level1_key, level2_key, level3_key, parse_value, region_of, target_met, year_of
from .store import COLUMNS, InputEntry, Store, arrow_schema

if TYPE_CHECKING:
    import pyarrow as pa

    from ..model import Book

UNKNOWN_REGION = "000000"
# Columns an export must have (ASCII or Chinese names, store.COLUMNS); the others are derived or optional.
REQUIRED = ("dept_code", "project_code", "level1", "level2", "level3", "value")
RAW = ("year", "region", "dept_code", "dept_name", "project_code", "project_name", "purpose", "goal", "seq",
       "level1", "level2", "level3", "description", "value", "basis", "actual", "score")


@dataclass
class Problem:
    """An input that was skipped (``skipped``) or added with a remark."""

    file: str
    message: str
    skipped: bool = True


@dataclass
class BuildResult:
    library: Path
    added: list[InputEntry] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(entry.rows for entry in self.added)

    def exit_code(self) -> int:
        return 1 if any(p.skipped for p in self.problems) else 0

    def to_dict(self) -> dict[str, Any]:
        return {"library": str(self.library), "rows": self.rows,
                "added": [entry.__dict__ for entry in self.added], "duplicates": self.duplicates,
                "replaced": self.replaced,
                "problems": [{"file": p.file, "message": p.message, "skipped": p.skipped} for p in self.problems]}


def expand(inputs: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Problem]]:
    """Files to read: each file given, and the .xlsx/.parquet files in each folder (recursively, sorted)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".xlsx", ".parquet")
                           and not p.name.startswith((".", "~$")))
            if not found:
                problems.append(Problem(str(path), "文件夹中没有 .xlsx 或 .parquet 文件。"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), "找不到这个文件或文件夹。"))
    return list(dict.fromkeys(files)), problems


def content_hash(path: Path) -> str:
    return file_sha256(path)[:24]


def _evaluation(book: Book) -> dict[tuple[str, str], tuple[str, float | None]]:
    """实际完成值 and 得分 by (项目编码, 三级 key), from ``Book.evaluation_indicators`` when the book has
    budget-year sheets (branch yeardata; read with getattr so that books without them work the same)."""
    found: dict[tuple[str, str], tuple[str, float | None]] = {}
    for record in getattr(book, "evaluation_indicators", None) or ():
        project = str(getattr(record, "project_code", "") or "")
        level3 = level3_key(str(getattr(record, "level3", "") or ""))
        actual = as_text(getattr(record, "actual", None))
        score = getattr(record, "score", None)
        try:
            number = float(score) if score is not None and as_text(score) else None
        except (TypeError, ValueError):
            number = None
        found[(project, level3)] = (actual, number)
    return found


def book_rows(book: Book, *, region: str | None = None, year: int | None = None) -> dict[str, list[Any]]:
    """The raw columns (RAW) of a book's indicators; region and year from the 项目编码 unless given."""
    names = {d.code: d.name for d in book.departments()}
    years = {d.code: d.year for d in book.departments()}
    projects = {(p.dept_code, p.code): p for p in book.projects}
    evaluation = _evaluation(book)
    columns: dict[str, list[Any]] = {name: [] for name in RAW}
    for ind in book.indicators:
        project = projects.get((ind.dept_code, ind.project_code))
        extra = ind.extra or {}
        actual, score = evaluation.get((ind.project_code, level3_key(ind.level3)), ("", None))
        if not actual and extra.get("实际完成值") is not None:
            actual = as_text(extra.get("实际完成值"))
        if score is None and as_text(extra.get("得分")):
            try:
                score = float(extra["得分"])
            except (TypeError, ValueError):
                score = None
        row = {
            "year": year or years.get(ind.dept_code) or year_of(ind.project_code) or 0,
            "region": region or region_of(ind.project_code) or UNKNOWN_REGION,
            "dept_code": ind.dept_code, "dept_name": names.get(ind.dept_code, ""),
            "project_code": ind.project_code, "project_name": project.name if project else "",
            "purpose": project.purpose if project else "", "goal": project.goal if project else "",
            "seq": ind.seq, "level1": ind.level1, "level2": ind.level2, "level3": ind.level3,
            "description": ind.description, "value": ind.value, "basis": ind.basis, "actual": actual,
            "score": score,
        }
        for name in RAW:
            columns[name].append(row[name])
    return columns


def _mapped(column: pa.ChunkedArray | pa.Array, fn: Callable[[Any], Any], type_: pa.DataType) -> pa.Array:
    """``fn`` of every value, computed once per distinct value (a county repeats its names thousands of times)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    mapped = pa.array([fn(value) for value in encoded.dictionary.to_pylist()], type=type_)
    return mapped.take(encoded.indices)


def derive(raw: pa.Table, source: str) -> pa.Table:
    """The library's columns from the raw ones: keys, the parsed value, whether the target was met."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def text(name: str) -> pa.ChunkedArray:
        if name not in raw.column_names:
            return pa.chunked_array([pa.nulls(raw.num_rows, pa.string())]).fill_null("")
        column = raw.column(name)
        if not pa.types.is_string(column.type):
            column = pc.cast(column, pa.string())
        return pc.fill_null(column, "")

    levels = pc.binary_join_element_wise(text("level1"), text("level2"), "\x1f")
    values = text("value")
    parsed_direction = _mapped(values, lambda v: parse_value(v).direction, pa.string())
    parsed_number = _mapped(values, lambda v: parse_value(v).number, pa.float64())
    parsed_unit = _mapped(values, lambda v: parse_value(v).unit, pa.string())
    parsed_kind = _mapped(values, lambda v: parse_value(v).kind, pa.string())
    actual = text("actual")
    met_inputs = pc.binary_join_element_wise(parsed_direction, pc.cast(parsed_number, pa.string()).fill_null(""),
                                             actual, "\x1f")

    def met(joined: str) -> bool | None:
        direction, number, actual_text = joined.split("\x1f")
        return target_met(direction, float(number) if number else None, actual_text)

    score = raw.column("score") if "score" in raw.column_names else pa.nulls(raw.num_rows, pa.float64())
    seq = raw.column("seq") if "seq" in raw.column_names else pa.nulls(raw.num_rows, pa.int32())
    year = raw.column("year") if "year" in raw.column_names else pa.nulls(raw.num_rows, pa.int32())
    region = text("region") if "region" in raw.column_names else None
    if region is None or pc.any(pc.equal(region, "")).as_py():
        from_code = _mapped(text("project_code"), lambda c: region_of(c) or UNKNOWN_REGION, pa.string())
        region = from_code if region is None else pc.if_else(pc.equal(region, ""), from_code, region)
    columns: dict[str, Any] = {
        "year": pc.cast(year, pa.int32()), "region": region,
        "dept_code": text("dept_code"), "dept_name": text("dept_name"), "project_code": text("project_code"),
        "project_name": text("project_name"), "purpose": text("purpose"), "goal": text("goal"),
        "seq": pc.cast(seq, pa.int32()), "level1": text("level1"), "level2": text("level2"),
        "level3": text("level3"), "description": text("description"), "value": values,
        "direction": parsed_direction, "number": parsed_number, "unit": parsed_unit, "kind": parsed_kind,
        "basis": text("basis"), "actual": actual, "score": pc.cast(score, pa.float64()),
        "met": _mapped(met_inputs, met, pa.bool_()),
        "key_level1": _mapped(text("level1"), level1_key, pa.string()),
        "key_level2": _mapped(levels, lambda v: level2_key(*v.split("\x1f")), pa.string()),
        "key_level3": _mapped(text("level3"), level3_key, pa.string()),
        "source": pa.array([source] * raw.num_rows, pa.string()),
    }
    schema = arrow_schema()
    fields = [*schema, pa.field("year", pa.int32()), pa.field("region", pa.string())]
    return pa.table({f.name: columns[f.name] for f in fields}, schema=pa.schema(fields))


def read_export(path: Path) -> pa.Table:
    """A Parquet export (one row per indicator, ASCII or Chinese column names); refused without REQUIRED."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path}：不是可读的 Parquet 文件（{str(exc)[:120]}）。") from None
    chinese = {v: k for k, v in COLUMNS.items()}
    table = table.rename_columns([chinese.get(name, name) for name in table.column_names])
    missing = [COLUMNS[name] for name in REQUIRED if name not in table.column_names]
    if missing:
        raise InputError(f"{path}：缺少列 {'、'.join(missing)}，不是指标库的导出文件。")
    return table.select([name for name in RAW if name in table.column_names])


def _read_workbooks(paths: Sequence[Path], problems: list[Problem]) -> dict[Path, Book]:
    """The books of readable workbooks: the guarded reader (size and zip limits, encrypted and non-xlsx files
    refused) and the parser, without the schema and rule checks of `wbe validate` (the library counts what
    was typed; docs/decisions.md 23.2). Worker processes share the files (io/parallel.py); when one fails,
    the files are read one by one so that only the bad one is skipped."""
    from ..io.parallel import map_in_order
    from ..validation.engine import SHARE_HERE, _read_and_parse

    books: dict[Path, Book] = {}
    results: list[tuple[Path, Any]] = []
    try:
        results = list(zip(paths, map_in_order(_read_and_parse, list(paths), share_here=SHARE_HERE)))
    except WorkbookEngineError:
        results = []
        for path in paths:
            try:
                results.append((path, _read_and_parse(path)))
            except WorkbookEngineError as exc:
                problems.append(Problem(str(path), str(exc)))
    for path, (_loaded, book, found) in results:
        errors = sum(1 for f in found if f.is_error)
        if not book.indicators:
            problems.append(Problem(str(path), "工作簿中没有指标，已跳过。"))
            continue
        if errors:
            problems.append(Problem(str(path), f"有 {errors} 个单元格无法读取（wbe validate 查看），其余内容已收入指标库。",
                                    skipped=False))
        books[path] = book
    return books


def build(inputs: Sequence[str | os.PathLike[str]], library: str | os.PathLike[str], *, append: bool = False,
          overwrite: bool = False, region: str | None = None, refresh: bool = True,
          batch: int = 8) -> BuildResult:
    """Add the inputs to the library (a new one unless ``append``); see the module docstring."""
    import pyarrow as pa

    from .query import refresh_index

    if region is not None and region_of(region) != region:
        raise UsageError(f"--region {region}：地区应为 6 位行政区划代码，如 130225。")
    store = Store(library)
    if append:
        if not store.exists():
            store.create(replace=False)
    else:
        store.create(replace=overwrite)
    manifest = store.load()
    result = BuildResult(store.root)
    files, result.problems = expand(inputs)
    if not files and not manifest.inputs:
        raise InputError("没有可读取的输入文件。" + "".join(f"{p.file}：{p.message}" for p in result.problems))
    seen: set[str] = set()
    todo: list[tuple[Path, str]] = []
    for path in files:
        try:
            digest = content_hash(path)
        except OSError as exc:
            result.problems.append(Problem(str(path), f"无法读取（{exc.strerror or exc}）。"))
            continue
        if digest in seen or manifest.by_hash(digest) is not None:
            result.duplicates.append(str(path))
            continue
        seen.add(digest)
        todo.append((path, digest))

    def add(path: Path, digest: str, raw: pa.Table) -> None:
        table = derive(raw, digest)
        earlier = manifest.by_name(path.name)
        if earlier is not None:  # a new version of an input: its old rows go
            store.remove_part(earlier.hash)
            manifest.inputs.remove(earlier)
            result.replaced.append(str(path))
        store.write_part(table, digest)
        years = sorted({y for y in table.column("year").to_pylist() if y is not None})
        regions = sorted(set(table.column("region").to_pylist()))
        entry = InputEntry(digest, path.name, table.num_rows, years, regions)
        manifest.inputs.append(entry)
        result.added.append(entry)

    exports = [(p, d) for p, d in todo if p.suffix.lower() == ".parquet"]
    workbooks = [(p, d) for p, d in todo if p.suffix.lower() != ".parquet"]
    for path, digest in exports:
        try:
            add(path, digest, read_export(path))
        except WorkbookEngineError as exc:
            result.problems.append(Problem(str(path), str(exc).removeprefix(f"{path}：")))
    for start in range(0, len(workbooks), batch):
        chunk = workbooks[start:start + batch]
        books = _read_workbooks([p for p, _ in chunk], result.problems)
        for path, digest in chunk:
            if path in books:
                add(path, digest, pa.table(book_rows(books.pop(path), region=region)))
        store.write_manifest(manifest)
    store.write_manifest(manifest)
    if refresh and (result.added or result.replaced or not (store.index / "records.parquet").exists()):
        refresh_index(store)
    return result

"""The library on disk: a Parquet dataset partitioned by year and region, a manifest, and index tables.

    LIBRARY/
      manifest.json                       inputs (content hash, name, rows, years, regions), schema version
      data/year=2024/region=130225/part-<hash>-0.parquet   one file per input and partition
      index/records.parquet               the library records (one row per group and unit/direction)
      index/projects.parquet              one row per project (texts as ids), for similarity
      index/texts.parquet, grams.parquet  distinct project texts and their character bigrams

The data files are plain Parquet with hive partitioning (docs/scale.md): DuckDB, Spark and Trino read them
as they are. An input is written once, under its content hash: the same workbook added twice is found in the
manifest and skipped; a new version of an input with the same name replaces the old one's files. The index
tables are derived (``refresh``) and may be deleted at any time.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, OutputError

if TYPE_CHECKING:
    import pyarrow as pa

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data"
INDEX = "index"

# Column name (ASCII, for Spark/Trino/Hive) -> the Chinese name of docs/library.md.
COLUMNS: dict[str, str] = {
    "year": "年度", "region": "地区", "dept_code": "部门编码", "dept_name": "部门名称",
    "project_code": "项目编码", "project_name": "项目名称", "purpose": "资金用途", "goal": "绩效目标",
    "seq": "序号", "level1": "一级指标", "level2": "二级指标", "level3": "三级指标", "description": "绩效指标描述",
    "value": "指标值", "direction": "方向", "number": "数值", "unit": "单位", "kind": "类型",
    "basis": "指标值确定依据", "actual": "实际完成值", "score": "得分", "met": "是否达成",
    "key_level1": "一级键", "key_level2": "二级键", "key_level3": "三级键", "source": "来源",
}
PARTITIONS = ("year", "region")


def arrow_schema() -> pa.Schema:
    """The data files' schema (without the partition columns, which are in the paths)."""
    import pyarrow as pa

    string = pa.string()
    types: dict[str, Any] = {name: string for name in COLUMNS}
    types.update(year=pa.int32(), seq=pa.int32(), number=pa.float64(), score=pa.float64(), met=pa.bool_())
    return pa.schema([(name, types[name]) for name in COLUMNS if name not in PARTITIONS])


@dataclass
class InputEntry:
    """One input of the library: its content hash, the name it was added under, and what it held."""

    hash: str
    name: str
    rows: int
    years: list[int] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    inputs: list[InputEntry] = field(default_factory=list)
    version: int = SCHEMA_VERSION

    def by_hash(self, digest: str) -> InputEntry | None:
        return next((entry for entry in self.inputs if entry.hash == digest), None)

    def by_name(self, name: str) -> InputEntry | None:
        return next((entry for entry in self.inputs if entry.name == name), None)


class Store:
    """A library folder (see the module docstring); ``create`` makes a new one."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    @property
    def data(self) -> Path:
        return self.root / DATA

    @property
    def index(self) -> Path:
        return self.root / INDEX

    def exists(self) -> bool:
        return (self.root / MANIFEST).is_file()

    def require(self) -> Store:
        if not self.exists():
            raise InputError(f"{self.root}：不是指标库（找不到 {MANIFEST}）。请先用 wbe library build 建立指标库。")
        return self

    def create(self, *, replace: bool) -> None:
        """A new, empty library; an existing one only with ``replace`` (a folder that is not a library, never)."""
        if self.root.exists() and any(self.root.iterdir()):
            if not self.exists():
                raise OutputError(f"{self.root}：文件夹不是空的，也不是指标库。请换一个文件夹。")
            if not replace:
                raise OutputError(f"{self.root}：指标库已存在。请加 --append 追加，或加 --overwrite 重建。")
            shutil.rmtree(self.data, ignore_errors=True)
            shutil.rmtree(self.index, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)
        self.save(Manifest())

    def load(self) -> Manifest:
        try:
            raw = json.loads((self.require().root / MANIFEST).read_text(encoding="utf-8"))
            return Manifest([InputEntry(**entry) for entry in raw.get("inputs", [])], int(raw.get("version", 1)))
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(f"{self.root / MANIFEST}：指标库清单已损坏（{exc}）。请重建指标库。") from None

    def save(self, manifest: Manifest) -> None:
        """Write the manifest atomically (a crash leaves the old one)."""
        body = {"version": manifest.version, "inputs": [entry.__dict__ for entry in manifest.inputs]}
        handle, temp = tempfile.mkstemp(prefix=".manifest.", dir=self.root)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(body, out, ensure_ascii=False, indent=1)
        os.replace(temp, self.root / MANIFEST)

    def write_part(self, table: pa.Table, digest: str) -> None:
        """One input's rows, into its partitions (files named after the input's hash)."""
        import pyarrow.dataset as ds

        ds.write_dataset(table, self.data, format="parquet", partitioning=list(PARTITIONS),
                         partitioning_flavor="hive", basename_template=f"part-{digest}-{{i}}.parquet",
                         existing_data_behavior="overwrite_or_ignore", max_rows_per_group=256 * 1024)

    def remove_part(self, digest: str) -> None:
        for path in self.data.glob(f"**/part-{digest}-*.parquet"):
            path.unlink()

    def glob(self) -> str:
        """The pattern DuckDB reads the dataset with."""
        return str(self.data / "**" / "*.parquet")

    def has_data(self) -> bool:
        return self.data.is_dir() and any(self.data.glob("**/*.parquet"))

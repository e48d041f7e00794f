"""`wbe library build|info|search` and `wbe suggest`: the 指标库 (workbook_engine/library/).

DuckDB and pyarrow are imported when a command runs, never when `wbe --help` starts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from .common import FORMAT_HELP, OVERWRITE, OutputFormat, handle_errors

FORMAT = typer.Option(OutputFormat.text, "--format", help=FORMAT_HELP)
LIBRARY = typer.Option(..., "--library", help="指标库文件夹（wbe library build 建立）", readable=False)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, default=str)


@handle_errors
def build_command(
    inputs: list[Path] = typer.Argument(..., help="规范工作簿、县级合并工作簿、Parquet 导出文件，或包含它们的文件夹",
                                        readable=False),
    output: Path = typer.Option(..., "-o", "--output", help="指标库文件夹"),
    append: bool = typer.Option(False, "--append", help="追加到已有的指标库（不重建；相同内容的文件不会重复计入）"),
    region: Optional[str] = typer.Option(None, "--region", help="地区（6 位行政区划代码）；默认取项目编码的前 6 位"),
    format: OutputFormat = FORMAT,
    overwrite: bool = OVERWRITE,
) -> None:
    from .. import api

    result = api.library_build(inputs, output, append=append, overwrite=overwrite, region=region)
    if format is OutputFormat.json:
        typer.echo(_dumps(result.to_dict()))
        raise typer.Exit(result.exit_code())
    for problem in result.problems:
        typer.echo(f"{'已跳过' if problem.skipped else '注意'}：{problem.message if problem.file in problem.message else problem.file + '：' + problem.message}",
                   err=True)
    for path in result.duplicates:
        typer.echo(f"已在指标库中（内容相同），未重复计入：{path}")
    for path in result.replaced:
        typer.echo(f"已用新版本替换：{path}")
    skipped = sum(p.skipped for p in result.problems)
    typer.echo(f"已{'追加' if append else '建立'}指标库 {output}：收入 {len(result.added)} 个文件，{result.rows} 个指标"
               + (f"；{skipped} 个文件无法读取，已跳过" if skipped else "") + "。")
    raise typer.Exit(result.exit_code())


@handle_errors
def info_command(
    library: Path = typer.Argument(..., help="指标库文件夹", readable=False),
    format: OutputFormat = FORMAT,
) -> None:
    from .. import api

    found = api.library_info(library)
    if format is OutputFormat.json:
        typer.echo(_dumps(found.to_dict()))
        return
    typer.echo(f"指标库：{found.library}")
    typer.echo(f"输入文件：{found.inputs} 个")
    typer.echo(f"年度：{'、'.join(map(str, found.years)) or '—'}")
    typer.echo(f"地区（县）：{len(found.regions)} 个（{'、'.join(found.regions[:10])}{' …' if len(found.regions) > 10 else ''}）")
    typer.echo(f"部门：{found.departments} 个；项目：{found.projects} 个；指标：{found.indicators} 个")
    typer.echo(f"归并后的指标（指标库条目）：{found.groups} 条；有实际完成值的指标：{found.evaluated} 个")


@handle_errors
def search_command(
    text: str = typer.Argument(..., help="要查找的指标名称或关键词，如 满意度、隐患整改率"),
    library: Path = LIBRARY,
    level1: Optional[str] = typer.Option(None, "--level1", help="只查这个一级指标，如 产出指标"),
    level2: Optional[str] = typer.Option(None, "--level2", help="只查这个二级指标，如 质量指标"),
    limit: int = typer.Option(10, "--limit", help="最多列出几条"),
    format: OutputFormat = FORMAT,
) -> None:
    from .. import api

    records = api.library_search(library, text, level1=level1, level2=level2, limit=limit)
    if format is OutputFormat.json:
        typer.echo(_dumps({"query": text, "results": [r.to_dict() for r in records]}))
        return
    if not records:
        typer.echo(f"指标库中没有与“{text}”相符的指标。")
        return
    for n, record in enumerate(records, 1):
        typer.echo(f"{n}. {record.key_level1} / {record.key_level2} / {record.name}"
                   f"：{record.projects} 个项目，{record.departments} 个部门，{record.regions} 个县")
        for dist in record.distributions[:3]:
            typer.echo(f"   {dist.direction} {dist.unit or '（无单位）'}：{dist.n} 个值，中位数 {dist.typical()}，"
                       f"10%–90% 分位 {dist.p10:g}–{dist.p90:g}")
        if record.bases:
            typer.echo(f"   常用依据：{record.bases}")
        if record.evaluated:
            typer.echo(f"   自评：{record.evaluated} 个有实际完成值，达成率 {record.met_rate or 0:.0%}")
        if record.examples:
            shown = "、".join(f"{e['project_name']}（{e['region']}，{e['value']}）" for e in record.examples[:5])
            typer.echo(f"   使用的项目：{shown}")


@handle_errors
def suggest_command(
    book: Path = typer.Argument(..., help="规范工作簿 .xlsx", readable=False),
    library: Path = LIBRARY,
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="写出带“指标建议”工作表的工作簿副本 .xlsx"),
    format: OutputFormat = FORMAT,
    overwrite: bool = OVERWRITE,
) -> None:
    from .. import api

    result = api.suggest(book, library, output=output, overwrite=overwrite)
    if format is OutputFormat.json:
        typer.echo(result.to_json())
        return
    current = None
    for s in result.suggestions:
        if s.project_code != current:
            current = s.project_code
            typer.echo(f"{s.project_code} {s.project_name}（{s.peers} 个相似项目）：")
        mark = "【缺少的类别】" if s.missing_category else ""
        typer.echo(f"  {mark}{s.level1}/{s.level2}/{s.level3}：{s.typical or '—'}"
                   f"（{s.peers_using}/{s.peers} 个相似项目使用；依据：{s.basis or '—'}）")
    if result.without_peers:
        typer.echo(f"没有找到相似项目：{'、'.join(result.without_peers)}")
    if not result.suggestions:
        typer.echo("没有建议：相似项目常用的指标本工作簿都已有。")
    if result.output is not None:
        typer.echo(f"带“指标建议”工作表的副本：{result.output}")


LIBRARY_COMMANDS = [
    ("build", build_command, "把规范工作簿、县级工作簿和导出文件建成指标库（Parquet 数据集，按年度和地区分区）。",
     "无法读取的文件逐个列出并跳过，其余照常收入。退出码：0 全部收入，1 有文件被跳过，2 无法建立。"),
    ("info", info_command, "显示指标库的内容：输入文件、年度、县、部门、项目和指标数。", ""),
    ("search", search_command, "在指标库中查找指标：值的分布、常用依据、使用的项目。", ""),
]
SUGGEST = ("suggest", suggest_command, "按指标库中相似项目的做法，给每个项目建议指标（典型指标值、单位、依据）。",
           "缺少的类别排在前面。-o 写出带“指标建议”工作表的副本（原工作簿不变）。")
LIBRARY_SUMMARY = "指标库：从全部工作簿归集的指标，查找、建议，并按同类项目审核目标（wbe review --library）。"

"""The `wbe` command line (after pandera's cli.py → _cli/): the app, and each command registered with its
Chinese summary (shown by `wbe --help`) and help (shown by `wbe COMMAND --help`)."""

from __future__ import annotations

from . import commands
from .app import Command, app

# name, function, summary (one line in `wbe --help`), more (the rest of `wbe NAME --help`)
COMMANDS = [
    ("new", commands.new_command, "新建一个空的规范工作簿，可直接在 Excel/WPS 中填写。", ""),
    ("import", commands.import_command, "把发布的部门预算绩效文本（.docx 或 .txt）导入为规范工作簿。", ""),
    ("validate", commands.validate_command, "校验规范工作簿，一次列出全部问题。",
     "先给汇总（按审核标准和代码计数）和前几条，--all 列出全部。退出码：0 通过，1 有错误，2 无法读取。"),
    ("review", commands.review_command, "按财政局的审核标准审核：分标准列出问题，并给每个项目评分定级。",
     "先给汇总和前几条，--all 列出全部。退出码：0 无错误，1 有错误，2 无法读取。"),
    ("merge", commands.merge_command, "合并多个规范工作簿（各部门的，或同一工作簿的几个副本）。",
     "退出码：0 已写出；1 输入有错误或有冲突，未写出；2 无法读取。"),
    ("diff", commands.diff_command, "比对同一工作簿的两个版本，列出内容上的变化。",
     "退出码：0 相同，1 有变化，2 无法读取。"),
    ("render", commands.render_command, "渲染官方工作簿（项目汇总、部门整体绩效目标、每个项目一张表）。",
     "先校验；有错误时不渲染（--force 仍然渲染）。"),
    ("extract", commands.extract_command, "把官方工作簿（可能已在 Excel/WPS 中修改）读回规范工作簿。", ""),
    ("publish", commands.publish_command, "发布部门预算绩效文本 .docx，加 --pdf 同时生成 PDF。",
     "先校验；有错误时不发布（--force 仍然发布）。"),
]

for name, function, summary, more in COMMANDS:
    app.command(name, cls=Command, short_help=summary, help=f"{summary}\n\n{more}" if more else summary)(function)

__all__ = ["app"]

"""The `wbe` command line (after pandera's cli.py → _cli/): the app, and each command registered with its
Chinese summary (shown by `wbe --help`) and help (shown by `wbe COMMAND --help`)."""

from __future__ import annotations

import typer

from . import commands, library, web, year
from .app import Command, SubGroup, app

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
    ("render", commands.render_command, "渲染官方工作簿，或用 --form 生成执行监控表、绩效自评表。",
     "官方工作簿：项目汇总、部门整体绩效目标、每个项目一张表；--form monitor 执行监控表，--form evaluation "
     "绩效自评表，每个项目一张。先校验；有错误时不渲染（--force 仍然渲染）。"),
    ("extract", commands.extract_command, "把官方工作簿或监控表、自评表读回规范工作簿。",
     "监控表、自评表按标题识别，读入监控项目、监控指标、自评项目、自评指标；表中改动的绩效目标不采用并逐格列出。"),
    ("publish", commands.publish_command, "发布部门预算绩效文本或监控表、自评表 .docx，加 --pdf 同时生成 PDF。",
     "先校验；有错误时不发布（--force 仍然发布）。--form monitor 执行监控表，--form evaluation 绩效自评表"
     "（得分按 wbe score 计算，权重见 wbe.toml），每个项目一张表。"),
    ("score", year.score_command, "计算绩效自评得分：预算执行率、各指标得分、总分和等级。",
     "按财预〔2020〕10号评分；权重见 wbe.toml。退出码：0 完成，1 自评表有错误，2 无法读取。"),
    ("serve", web.serve_command, "启动网页（中文），供不用命令行的同事使用：http://HOST:PORT/。", ""),
]

COLLECT = [
    ("init", web.collect_init_command, "为一个预算年度新建征集：各部门账号和一个管理员账号。", ""),
    ("export", web.collect_export_command, "导出每个部门最新（或全部）的提交和征集状态表（.xlsx）。", ""),
    ("library", web.collect_library_command, "更新征集箱的指标库（数据文件夹/library）：收入审核通过的版本。",
     "每个部门每个年度一份：有审核通过的年度自评版本时用它（带实际完成值和得分），否则用目标申报版本；"
     "新通过的版本替换旧版本。网页在每次审核通过后自动更新；--rebuild 从全部审核通过的版本重新建立。"
     "退出码：0 完成，1 有文件被跳过，2 无法建立。"),
]

COLLECT_USER = [
    ("add", web.collect_user_add_command, "添加财政局的账号：审核人（reviewer）、查看人（viewer）或管理员（admin）。",
     "不加 --password-stdin 时生成随机密码并只显示一次；写入审计日志。退出码：0 已添加，1 被拒绝，2 无法打开数据。"),
]


def register(target: typer.Typer, commands: list) -> None:
    for name, function, summary, more in commands:
        target.command(name, cls=Command, short_help=summary,
                       help=f"{summary}\n\n{more}" if more else summary)(function)


register(app, COMMANDS)
collect_app = typer.Typer(cls=SubGroup, no_args_is_help=True, rich_markup_mode=None)
register(collect_app, COLLECT)
collect_user_app = typer.Typer(cls=SubGroup, no_args_is_help=True, rich_markup_mode=None)
register(collect_user_app, COLLECT_USER)
COLLECT_USER_SUMMARY = "征集的账号：添加财政局的审核人、查看人或管理员（部门账号随部门一起添加）。"
collect_app.add_typer(collect_user_app, name="user", short_help=COLLECT_USER_SUMMARY, help=COLLECT_USER_SUMMARY)
COLLECT_SUMMARY = "征集：各部门在网页上提交工作簿，财政局审核、退回、合并（wbe serve --data 提供网页）。"
app.add_typer(collect_app, name="collect", short_help=COLLECT_SUMMARY, help=COLLECT_SUMMARY)
register(app, [library.SUGGEST])
library_app = typer.Typer(cls=SubGroup, no_args_is_help=True, rich_markup_mode=None)
register(library_app, library.LIBRARY_COMMANDS)
app.add_typer(library_app, name="library", short_help=library.LIBRARY_SUMMARY, help=library.LIBRARY_SUMMARY)

__all__ = ["app"]

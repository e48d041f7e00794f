"""`wbe serve` (the web page) and `wbe collect …` (the collection box): the web stack and the database
are imported only when these commands run."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import OVERWRITE, handle_errors


@handle_errors
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址；默认只允许本机访问"),
    port: int = typer.Option(8765, "--port", help="端口"),
    open_browser: bool = typer.Option(False, "--open", help="启动后打开浏览器"),
    max_upload_mb: float = typer.Option(20, "--max-upload-mb", help="单个上传文件的大小上限（MB）"),
    token: Optional[str] = typer.Option(None, "--token", help="访问口令；监听非本机地址时必需（不给则自动生成并显示）"),
    data: Optional[Path] = typer.Option(None, "--data", help="收集模式：收集箱的数据文件夹（wbe collect init 创建）"),
    database: Optional[str] = typer.Option(None, "--database", help="收集模式的数据库，如 postgresql://…（默认 DATA 中的 SQLite）"),
    library: Optional[Path] = typer.Option(None, "--library", help="指标库文件夹（wbe library build 建立）：提供“指标库”页面 /library"),
    allow_host: Optional[list[str]] = typer.Option(None, "--allow-host", help="另外接受的主机名（Host），如反向代理的域名；可重复"),
    job_timeout: float = typer.Option(300, "--job-timeout", min=1, help="一项处理（检查、生成、合并）最多运行的秒数，超过即停止并提示"),
) -> None:
    import webbrowser

    import uvicorn

    from ..web import create_app
    from ..web.app import access_token
    from ..web.security import served_hosts

    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"

    def ready(workers: int) -> None:
        typer.echo(f"网页已就绪：{url}（{workers} 个工作进程已预热；按 Ctrl+C 停止）")
        if open_browser:
            webbrowser.open(url)

    typer.echo("网页启动中：正在预热工作进程……")
    token, generated = access_token(host, token)
    if generated:
        typer.echo(f"监听 {host} 需要访问口令；本次生成的口令：{token}")
    web_app = create_app(max_upload_mb=max_upload_mb, token=token, data_dir=data, database_url=database,
                         allowed_hosts=served_hosts(host, allow_host or ()), on_ready=ready, job_timeout=job_timeout,
                         **({"library": library} if library is not None else {}))
    uvicorn.run(web_app, host=host, port=port, log_level="warning")


@handle_errors
def collect_init_command(
    data_dir: Path = typer.Argument(..., help="数据文件夹（数据库和每个提交的文件都存放在这里）"),
    year: int = typer.Option(..., "--year", help="预算年度，如 2025"),
    departments: Path = typer.Option(..., "--departments", readable=False,
                                     help="部门名单 .xlsx（第一个工作表表头：部门编码 | 部门名称），或去年合并后的县级工作簿"),
    database: Optional[str] = typer.Option(None, "--database", help="PostgreSQL 地址 postgresql://…（默认：数据文件夹中的 SQLite）"),
    passwords: Optional[Path] = typer.Option(None, "--passwords", help="初始密码表 .xlsx 的位置（默认：数据文件夹/初始密码.xlsx）"),
    config: Optional[Path] = typer.Option(None, "--config", readable=False,
                                          help="本县的审核配置 wbe.toml（与 wbe validate 读取的格式相同；管理员可在网页上修改）"),
) -> None:
    from ..collect.initialise import init_collection

    target, accounts = init_collection(data_dir, year, departments, database_url=database, passwords=passwords,
                                       config=config)
    typer.echo(f"已初始化 {year} 年度征集：{len(accounts) - 1} 个部门账号和 1 个管理员账号（admin）。")
    if config is not None:
        typer.echo(f"审核配置：{config}（每个提交都按它检查，与 wbe validate 在该 wbe.toml 旁的结果相同）。")
    typer.echo(f"初始密码表：{target}（只在这个文件中；请分发后妥善保管）。启动网页：wbe serve --data {data_dir}")


@handle_errors
def collect_export_command(
    data_dir: Path = typer.Argument(..., help="数据文件夹"),
    output: Path = typer.Option(..., "-o", "--output", help="导出到这个文件夹"),
    every: bool = typer.Option(False, "--all", help="导出每个部门的全部提交（默认只导出最新一次）"),
    database: Optional[str] = typer.Option(None, "--database", help="PostgreSQL 地址（默认：数据文件夹中的 SQLite）"),
    overwrite: bool = OVERWRITE,
) -> None:
    from ..collect.county import export
    from ..collect.service import Collect

    collect = Collect(data_dir, database)
    try:
        written = export(collect, output, every=every, overwrite=overwrite)
    finally:
        collect.close()
    typer.echo(f"已导出 {len(written) - 1} 个提交和征集状态表 → {output}")


@handle_errors
def collect_user_add_command(
    data_dir: Path = typer.Argument(..., help="数据文件夹"),
    name: str = typer.Argument(..., help="用户名（以英文字母开头，只用英文字母、数字和 _ . -）"),
    role: str = typer.Option(..., "--role", help="角色：reviewer（财政审核人）、viewer（财政查看人，只读）或 admin（财政管理员）"),
    display_name: str = typer.Option("", "--display-name", help="页面上显示的名称，如 张三"),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="从标准输入读取密码（一行）；不加则生成一个随机密码并只显示这一次，首次登录后请修改"),
    database: Optional[str] = typer.Option(None, "--database", help="PostgreSQL 地址（默认：数据文件夹中的 SQLite）"),
) -> None:
    import sys

    from ..collect.accounts import add_account
    from ..collect.models import ROLE_NAMES
    from ..collect.service import Collect
    from ..errors import UsageError

    password: str | None = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("标准输入中没有密码：--password-stdin 需要从标准输入读入一行密码。")
    collect = Collect(data_dir, database)
    try:
        with collect.writer() as session:
            collect.collection(session)
            _user, shown = add_account(session, name, role, display_name=display_name, password=password,
                                       by_name="wbe collect user add")
    finally:
        collect.close()
    typer.echo(f"已添加账号 {name.strip()}（{ROLE_NAMES[role]}）。")
    if password is None:
        typer.echo(f"初始密码（只显示这一次，请告知本人；首次登录后请修改）：{shown}")


@handle_errors
def collect_library_command(
    data_dir: Path = typer.Argument(..., help="数据文件夹"),
    rebuild: bool = typer.Option(False, "--rebuild", help="从全部审核通过的版本重新建立（默认只加入尚未收入的版本）"),
    database: Optional[str] = typer.Option(None, "--database", help="PostgreSQL 地址（默认：数据文件夹中的 SQLite）"),
) -> None:
    from .. import api
    from ..collect.library import rebuild as rebuild_library
    from ..collect.library import update
    from ..collect.service import Collect

    collect = Collect(data_dir, database)
    try:
        result = rebuild_library(collect) if rebuild else update(collect)
    finally:
        collect.close()
    done = f"重新建立，收入 {len(result.added)} 个" if result.rebuilt else \
        f"本次加入或更新 {len(result.added)} 个，{result.unchanged} 个已是最新"
    typer.echo(f"征集箱的指标库：{result.library}（{result.chosen} 个部门年度的审核通过版本；{done}）。")
    for problem in result.problems:
        typer.echo(f"  {problem}")
    if (result.library / "manifest.json").is_file():
        held = api.library_info(result.library)
        typer.echo(f"共 {held.inputs} 个输入、{held.departments} 个部门、{held.projects} 个项目、{held.indicators} 个指标"
                   f"（{'、'.join(str(y) for y in held.years) or '无'} 年度），归并为 {held.groups} 个条目。")
    if result.problems:
        raise typer.Exit(1)

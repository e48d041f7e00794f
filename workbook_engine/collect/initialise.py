"""`wbe collect init`: a new collection for a budget year, its departments, and the first accounts.

The department list is a workbook whose first sheet has the headers 部门编码 | 部门名称, or last year's
merged county workbook (its departments are taken from 部门目标/项目). One account per department (user name =
部门编码) and one administrator are created; their initial passwords are written once, to an xlsx for the
bureau to hand out, and only their hashes go into the database.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, OutputError
from .accounts import audit, create_user
from .database import SQLITE_NAME
from .models import ADMIN, DEPARTMENT, ROLE_NAMES, Collection, CollectionDepartment, User
from .service import Collect

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

CODE = re.compile(r"^\d{6}$")
PASSWORDS_NAME = "初始密码.xlsx"
ADMIN_USERNAME = "admin"


@dataclass
class Account:
    username: str
    role: str
    dept_code: str
    dept_name: str
    password: str


def read_departments(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """(部门编码, 部门名称) pairs from a list workbook or a canonical (county) workbook, in their order."""
    from ..io.guard import check_xlsx

    source = check_xlsx(path)
    listed = _read_list(source)
    if listed is None:
        from ..validation import check as check_book  # what api.read_book reads with

        book = check_book(Path(source)).book
        listed = [(d.code, d.name) for d in book.departments()]
        where = "工作簿中"
    else:
        where = "第一个工作表中"
    if not listed:
        raise InputError(f"{path}：{where}没有部门。请在第一个工作表填写表头“部门编码 | 部门名称”和每个部门一行，"
                         "或给出去年合并后的县级工作簿。")
    seen: dict[str, int] = {}
    for number, (code, _name) in enumerate(listed, start=1):
        if not CODE.match(code):
            raise InputError(f"{path}：第 {number} 个部门的部门编码“{code}”不是 6 位数字。请改正后重试。")
        if code in seen:
            raise InputError(f"{path}：部门编码 {code} 出现了两次（第 {seen[code]} 个和第 {number} 个）。请删除重复的一行。")
        seen[code] = number
    return listed


def _read_list(path: Path) -> list[tuple[str, str]] | None:
    """The list sheet, or None when the first sheet's headers are not exactly 部门编码 | 部门名称."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    try:
        rows = workbook.get_sheet_by_index(0).to_python()
    finally:
        getattr(workbook, "close", lambda: None)()
    if not rows:
        return None
    header = [str(v).strip() for v in rows[0] if str(v).strip()]
    if header != ["部门编码", "部门名称"]:  # 部门目标 of a canonical workbook starts the same, then 年度…
        return None
    listed = []
    for row in rows[1:]:
        code = _text(row[0] if row else "")
        name = _text(row[1] if len(row) > 1 else "")
        if code or name:
            listed.append((code, name))
    return listed


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:06d}"
    return str(value or "").strip()


def init_collection(data_dir: str | os.PathLike[str], year: int, departments: str | os.PathLike[str], *,
                    database_url: str | None = None, passwords: str | os.PathLike[str] | None = None,
                    name: str = "", config: str | os.PathLike[str] | None = None) -> tuple[Path, list[Account]]:
    """Create the collection; returns the passwords file and the accounts written to it.

    Refused when the folder (or database) already holds a collection, or the passwords file exists: an
    initial password is never written twice and a collection never re-created over its submissions.
    """
    from .config import read_file, store

    listed = read_departments(departments)
    config_text = read_file(config) if config is not None else None  # refused before anything is created
    data = Path(data_dir)
    target = Path(passwords) if passwords else data / PASSWORDS_NAME
    if target.exists():
        raise OutputError(f"{target}：文件已存在（可能是上次初始化的初始密码）。请先把它移走，或用 --passwords 指定另一个文件。")
    if database_url is None and (data / SQLITE_NAME).exists():
        raise OutputError(f"{data}：这个数据文件夹已经初始化过了，不会重新初始化（已有的提交不会被覆盖）。")
    if not 2000 <= year <= 2100:
        raise InputError(f"年度 {year} 不是 2000–2100 之间的四位年份。")
    collect = Collect(data, database_url, create=True)
    try:
        accounts: list[Account] = []
        with collect.session() as session:
            if collect.initialised() and session.query(Collection).count():
                raise OutputError("这个数据库已经有一个征集，不会重新初始化。")
            collection = Collection(year=year, name=name or f"{year}年度部门预算绩效目标")
            session.add(collection)
            session.flush()
            admin, password = create_user(session, ADMIN_USERNAME, ADMIN, display_name="财政局管理员")
            accounts.append(Account(admin.username, ADMIN, "", "", password))
            for code, dept_name in listed:
                department = CollectionDepartment(collection_id=collection.id, code=code, name=dept_name)
                session.add(department)
                session.flush()
                user, password = create_user(session, code, DEPARTMENT, department_id=department.id,
                                             display_name=dept_name)
                accounts.append(Account(user.username, DEPARTMENT, code, dept_name, password))
            if config_text is not None and config_text.strip():
                collection.config_sha256 = store(collect, session, config_text)
            write_passwords(accounts, target, year)
            audit(session, "init", f"初始化 {year} 年度征集：{len(listed)} 个部门"
                  + (f"；审核配置 {config}（{collection.config_sha256[:12]}…）" if collection.config_sha256 else ""),
                  username="wbe collect init")
            session.commit()
    finally:
        collect.close()
    return target, accounts


def write_passwords(accounts: list[Account], output: Path, year: int) -> Path:
    """The xlsx the bureau hands out (written atomically, never over an existing file)."""
    import xlsxwriter

    from ..io.atomic import atomic_path

    with atomic_path(output, overwrite=False, suffix=".xlsx") as temp:
        workbook = xlsxwriter.Workbook(str(temp), {"strings_to_formulas": False, "strings_to_urls": False})
        sheet = workbook.add_worksheet("初始密码")
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        sheet.write_string(0, 0, f"{year}年度绩效目标征集：初始账号（请分发给各部门；首次登录后请修改密码，分发后请妥善保管或删除本文件）")
        for col, header in enumerate(("用户名", "角色", "部门编码", "部门名称", "初始密码")):
            sheet.write_string(1, col, header, bold)
        for row, account in enumerate(accounts, start=2):
            for col, value in enumerate((account.username, ROLE_NAMES[account.role], account.dept_code,
                                         account.dept_name, account.password)):
                sheet.write_string(row, col, value)
        for col, width in enumerate((12, 12, 10, 34, 16)):
            sheet.set_column(col, col, width)
        workbook.close()
    os.chmod(output, 0o600)
    return output


def add_department(collect: Collect, session: Session, admin: User, code: str, name: str) -> tuple[CollectionDepartment, str]:
    """An administrator adds a department (and its account); returns it and the account's initial password."""
    from .workflow import Forbidden, WorkflowError

    if admin.role != ADMIN:
        raise Forbidden("只有财政管理员可以添加部门。")
    code, name = code.strip(), name.strip()
    if not CODE.match(code):
        raise WorkflowError(f"部门编码“{code}”不是 6 位数字。")
    if not name:
        raise WorkflowError("请填写部门名称。")
    collection = collect.collection(session)
    if session.query(CollectionDepartment).filter_by(collection_id=collection.id, code=code).first() is not None:
        raise WorkflowError(f"部门编码 {code} 已存在。")
    department = CollectionDepartment(collection_id=collection.id, code=code, name=name)
    session.add(department)
    session.flush()
    _user, password = create_user(session, code, DEPARTMENT, department_id=department.id, display_name=name)
    audit(session, "add_department", f"添加部门 {code} {name}", user=admin)
    session.commit()
    return department, password

"""Accounts, sessions and the database itself: argon2id hashes, rate limit, expiry, password change and
reset, `wbe collect init`/`export`, migrations matching the models, SQLite pragmas."""

from __future__ import annotations

from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select, text

from workbook_engine.collect import accounts
from workbook_engine.collect.accounts import (
    AccountError,
    RateLimited,
    change_password,
    current_session,
    login,
    reset_password,
)
from workbook_engine.collect.database import alembic_config
from workbook_engine.collect.initialise import add_department, read_departments
from workbook_engine.collect.models import LoginSession, User
from workbook_engine.errors import InputError

from .collect_helpers import BACKENDS, cheap_hashes, department_list, new_collection  # noqa: F401
from .conftest import SAMPLE, run_cli


@pytest.fixture(params=BACKENDS)
def made(request, tmp_path):
    collect, passwords = new_collection(tmp_path, request.param)
    yield collect, passwords
    collect.close()


def test_passwords_only_in_the_file_and_hashed_in_the_database(made, tmp_path):
    collect, passwords = made
    sheet = openpyxl.load_workbook(tmp_path / "passwords.xlsx").active
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert set(rows) == {"admin", "450001", "450002", "450003"}
    assert rows["450002"][3] == "第二部门" and rows["admin"][1] == "财政管理员"
    with collect.session() as session:
        for user in session.scalars(select(User)):
            assert rows[user.username][4] == passwords[user.username]
            assert user.password_hash.startswith("$argon2id$")
            assert passwords[user.username] not in user.password_hash
    database = (tmp_path / "data" / "collect.sqlite3")
    if database.exists():
        assert passwords["450001"].encode() not in database.read_bytes()


def test_login_rate_limit_expiry_change_and_reset(made):
    collect, passwords = made
    with collect.session() as session:
        with pytest.raises(AccountError, match="用户名或密码错误"):
            login(session, "nobody", "x")
        done = login(session, "450001", passwords["450001"], "10.0.0.1")
        assert current_session(session, done.token).user.username == "450001"
        assert current_session(session, "forged") is None
        for _ in range(accounts.MAX_FAILURES):
            with pytest.raises(AccountError):
                login(session, "450002", "wrong", "10.0.0.2")
        with pytest.raises(RateLimited, match="分钟后再试"):  # even the right password, while blocked
            login(session, "450002", passwords["450002"], "10.0.0.2")

        user = session.scalar(select(User).where(User.username == "450001"))
        with pytest.raises(AccountError, match="原密码"):
            change_password(session, user, "wrong", "a-new-long-password")
        with pytest.raises(AccountError, match="太短"):
            change_password(session, user, passwords["450001"], "short")
        other = login(session, "450001", passwords["450001"])
        change_password(session, user, passwords["450001"], "Kettle-Lamp-42", keep_token=done.token)
        assert current_session(session, done.token) is not None
        assert current_session(session, other.token) is None  # other sessions end
        with pytest.raises(AccountError):
            login(session, "450001", passwords["450001"])
        login(session, "450001", "Kettle-Lamp-42")

        admin = session.scalar(select(User).where(User.username == "admin"))
        blocked = session.scalar(select(User).where(User.username == "450002"))
        fresh = reset_password(session, admin, blocked)
        assert login(session, "450002", fresh).user.must_change_password

        stored = session.scalar(select(LoginSession).where(LoginSession.token_hash == accounts.token_hash(done.token)))
        stored.last_seen -= accounts.SESSION_IDLE + timedelta(seconds=1)
        session.commit()
        assert current_session(session, done.token) is None  # idle too long


def test_real_hash_parameters_are_memory_hard(monkeypatch):
    monkeypatch.undo()
    stored = accounts.hash_password("Kettle-Lamp-42")
    assert stored.startswith("$argon2id$") and "m=19456" in stored and "t=2" in stored
    assert accounts.verify_password(stored, "Kettle-Lamp-42") and not accounts.verify_password(stored, "x")


def test_admin_adds_a_department(made):
    collect, _ = made
    with collect.session() as session:
        admin = session.scalar(select(User).where(User.username == "admin"))
        department, password = add_department(collect, session, admin, "450009", "新部门")
        assert login(session, "450009", password).user.department_id == department.id
        dept_user = session.scalar(select(User).where(User.username == "450001"))
        with pytest.raises(Exception, match="管理员"):
            add_department(collect, session, dept_user, "450010", "x")


def test_migrations_match_the_models(made):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from workbook_engine.collect.models import Base

    collect, _ = made
    with collect.db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert head != "0001"  # the schema has moved on (submission versions, the county's review configuration)
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    assert alembic_config().get_main_option("script_location").endswith("migrations")


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    collect, _ = new_collection(tmp_path, "sqlite")
    with collect.db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    collect.close()


def test_departments_from_last_years_county_workbook_and_bad_lists(tmp_path):
    assert read_departments(SAMPLE) == [("450001", "乐亭县应急管理局本级")]
    bad = department_list(tmp_path / "bad.xlsx", [("4501", "短编码")])
    with pytest.raises(InputError, match="不是 6 位数字"):
        read_departments(bad)
    twice = department_list(tmp_path / "twice.xlsx", [("450001", "a"), ("450001", "b")])
    with pytest.raises(InputError, match="出现了两次"):
        read_departments(twice)


def test_cli_init_refuses_to_overwrite_and_export_writes_the_board(tmp_path):
    from typer.testing import CliRunner

    from workbook_engine.cli import app

    listed = department_list(tmp_path / "list.xlsx")
    data = tmp_path / "data"
    first = run_cli("collect", "init", data, "--year", "2025", "--departments", listed)  # the real command once
    assert first.returncode == 0, first.stderr
    assert (data / "初始密码.xlsx").exists() and (data / "collect.sqlite3").exists()
    before = (data / "初始密码.xlsx").read_bytes()
    runner = CliRunner()
    again = runner.invoke(app, ["collect", "init", str(data), "--year", "2025", "--departments", str(listed)])
    assert again.exit_code == 2 and "已存在" in again.output and "Traceback" not in again.output
    assert (data / "初始密码.xlsx").read_bytes() == before
    missing = runner.invoke(app, ["collect", "init", str(tmp_path / "d2"), "--year", "2025", "--departments",
                                  str(tmp_path / "none.xlsx")])
    assert missing.exit_code == 2 and missing.output.startswith("错误：") and len(missing.output.splitlines()) == 1
    out = runner.invoke(app, ["collect", "export", str(data), "-o", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    sheet = openpyxl.load_workbook(tmp_path / "out" / "征集状态.xlsx").active
    assert [r[0] for r in sheet.iter_rows(min_row=3, max_row=5, values_only=True)] == ["450001", "450002", "450003"]
    refused = runner.invoke(app, ["collect", "export", str(data), "-o", str(tmp_path / "out")])
    assert refused.exit_code == 2 and "--overwrite" in refused.output


def test_cli_user_add_reviewer_viewer_admin_with_audit(made):
    from typer.testing import CliRunner

    from workbook_engine.cli import app
    from workbook_engine.collect.models import AuditEntry

    collect, _ = made
    data = str(collect.data_dir)
    url = [] if collect.db.url.startswith("sqlite") else ["--database", collect.db.url]
    runner = CliRunner()
    made_one = runner.invoke(app, ["collect", "user", "add", data, "zhang.san", "--role", "reviewer",
                                   "--display-name", "张三", *url])
    assert made_one.exit_code == 0, made_one.output
    shown = made_one.output.strip().splitlines()[-1].rsplit("：", 1)[1]
    assert "只显示这一次" in made_one.output and len(shown) == 12
    chosen = runner.invoke(app, ["collect", "user", "add", data, "viewer1", "--role", "viewer", "--password-stdin",
                                 *url], input="查看人的密码abc123\n")
    assert chosen.exit_code == 0 and "查看人的密码" not in chosen.output, chosen.output
    for args, expected in ((["zhang.san", "--role", "admin"], "已存在"), (["boss", "--role", "boss"], "角色"),
                           (["450009", "--role", "reviewer"], "用户名"), (["x", "--role", "viewer"], "用户名"), (["张三", "--role", "viewer"], "用户名")):
        refused = runner.invoke(app, ["collect", "user", "add", data, *args, *url])
        assert refused.exit_code == 1 and refused.output.startswith("错误：") and expected in refused.output, refused.output
    short = runner.invoke(app, ["collect", "user", "add", data, "li", "--role", "admin", "--password-stdin", *url],
                          input="short\n")
    assert short.exit_code == 1 and "太短" in short.output
    with collect.session() as session:
        zhang = session.scalar(select(User).where(User.username == "zhang.san"))
        viewer = session.scalar(select(User).where(User.username == "viewer1"))
        assert (zhang.role, zhang.display_name, zhang.must_change_password) == ("reviewer", "张三", True)
        assert (viewer.role, viewer.must_change_password) == ("viewer", False)
        assert session.scalar(select(User).where(User.username == "li")) is None
        assert shown not in zhang.password_hash and zhang.password_hash.startswith("$argon2id$")
        added = [a.detail for a in session.scalars(select(AuditEntry).where(AuditEntry.action == "add_user"))]
        assert added == ["添加账号 zhang.san（财政审核人，张三）", "添加账号 viewer1（财政查看人）"]
    assert login(collect.writer(), "zhang.san", shown).user.username == "zhang.san"
    assert login(collect.writer(), "viewer1", "查看人的密码abc123").user.role == "viewer"

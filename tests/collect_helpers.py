"""Fixtures for the collection tests: a collection on SQLite or PostgreSQL, department workbooks."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest
from argon2 import PasswordHasher

from workbook_engine.collect import accounts
from workbook_engine.collect.initialise import init_collection
from workbook_engine.collect.service import Collect

from .conftest import SAMPLE
from .workbooks import department, edited, save, set_cells

POSTGRES_URL = os.environ.get("WBE_TEST_POSTGRES_URL", "")
DEPARTMENTS = [("450001", "乐亭县应急管理局本级"), ("450002", "第二部门"), ("450003", "第三部门")]
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """argon2id with small parameters: the tests log in often; test_collect_accounts checks the real ones."""
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    accounts._DUMMY_HASH.clear()


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    from workbook_engine.collect.database import database_url

    engine = create_engine(database_url("", url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own database (wbe_test_gw0, …), created on first use."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from workbook_engine.collect.database import database_url

    base = make_url(database_url("", url))
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def database_for(backend: str) -> str | None:
    if backend == "sqlite":
        return None
    if not POSTGRES_URL:
        pytest.skip("WBE_TEST_POSTGRES_URL is not set")
    url = worker_database(POSTGRES_URL)
    reset_postgres(url)
    return url


def department_list(path: Path, departments=DEPARTMENTS) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["部门编码", "部门名称"])
    for code, name in departments:
        sheet.append([code, name])
    workbook.save(path)
    return path


def new_collection(tmp_path: Path, backend: str, departments=DEPARTMENTS):
    """A fresh collection; returns (Collect, {username: password})."""
    url = database_for(backend)
    data = tmp_path / "data"
    _target, made = init_collection(data, 2025, department_list(tmp_path / "departments.xlsx", departments),
                                    database_url=url, passwords=tmp_path / "passwords.xlsx")
    return Collect(data, url), {a.username: a.password for a in made}


def department_workbook(folder: Path, code: str, name: str = "", *, budget=None, file_name: str | None = None) -> Path:
    """A valid workbook of department ``code`` (the sample's content under its code), optionally with the
    first project's 预算数 changed (a negative one is an error)."""
    index = int(code) - 450001
    if index == 0:
        path = folder / (file_name or f"{code}.xlsx")
        path.write_bytes(SAMPLE.read_bytes())
    else:
        path = save(department(code, name or f"第{index + 1}部门", "ABCDEFGHJK"[index % 10] + f"{index:02d}"),
                    folder / (file_name or f"{code}.xlsx"))
    if budget is not None:
        changed = path.with_name(file_name) if file_name else path.with_name(path.stem + f"-{budget}.xlsx")
        if file_name:
            path = path.rename(path.with_name(f".{code}-source.xlsx"))
        edited(path, changed, set_cells({"项目": {"F2": budget, "G2": budget if budget >= 0 else None}}))
        return changed
    return path

"""The collection's library layer: upload, submit, return, accept, opinions, diff, board, merge, export —
on SQLite, and on PostgreSQL when WBE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from workbook_engine import api
from workbook_engine.collect import board as board_module
from workbook_engine.collect.county import export, merge_accepted
from workbook_engine.collect.models import (
    RETURNED,
    SUBMITTED,
    SUPERSEDED,
    AuditEntry,
    Blob,
    CollectionDepartment,
    Submission,
    Transition,
    User,
)
from workbook_engine.collect.workflow import (
    Forbidden,
    NotFound,
    WorkflowError,
    accept,
    add_opinion,
    annotated_with_opinions,
    diff,
    history,
    opinions,
    return_submission,
    returned_before,
    submit,
    upload,
    visible_submission,
)
from workbook_engine.errors import InputError

from .collect_helpers import BACKENDS, cheap_hashes, department_workbook, new_collection  # noqa: F401


@pytest.fixture(params=BACKENDS)
def collection(request, tmp_path):
    collect, _passwords = new_collection(tmp_path, request.param)
    yield collect
    collect.close()


def user(session, name: str) -> User:
    return session.scalar(select(User).where(User.username == name))


def test_upload_refuses_another_departments_workbook_and_stores_nothing(collection, tmp_path):
    other = department_workbook(tmp_path, "450002")
    with collection.session() as session:
        with pytest.raises(WorkflowError, match="450002 不是本部门"):
            upload(collection, session, user(session, "450001"), "other.xlsx", other.read_bytes())
        assert session.scalar(select(func.count()).select_from(Submission)) == 0
        assert session.scalar(select(func.count()).select_from(Blob)) == 0
    assert not any((tmp_path / "data" / "blobs").rglob("*")) if (tmp_path / "data" / "blobs").exists() else True


def test_unreadable_upload_gets_the_cli_message_and_never_reaches_the_database(collection, tmp_path):
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with collection.session() as session:
        with pytest.raises(InputError) as raised:
            upload(collection, session, user(session, "450001"), "old.xls", legacy.read_bytes())
        from workbook_engine.io.guard import check_xlsx

        with pytest.raises(InputError) as cli:
            check_xlsx(legacy)
        assert str(raised.value) == str(cli.value).replace(str(legacy), "old.xls")
        assert session.scalar(select(func.count()).select_from(Submission)) == 0
    assert not list((tmp_path / "data" / "blobs").rglob("*")) if (tmp_path / "data" / "blobs").exists() else True


def test_the_whole_story_on_the_library(collection, tmp_path):
    with_errors = department_workbook(tmp_path, "450001", budget=-5)
    fixed = department_workbook(tmp_path, "450001", budget=250)
    second = department_workbook(tmp_path, "450002")
    with collection.session() as session:
        dept, other, reviewer = user(session, "450001"), user(session, "450002"), user(session, "admin")
        first = upload(collection, session, dept, "乐亭.xlsx", with_errors.read_bytes())
        assert first.errors >= 1 and first.sha256 == hashlib.sha256(with_errors.read_bytes()).hexdigest()
        with pytest.raises(NotFound):  # a draft is the department's own
            visible_submission(session, reviewer, first.id)
        submit(session, dept, first.id)
        rows = {r.department.code: r for r in board_module.board(session, collection.collection(session).id)}
        assert rows["450001"].state == "已提交·有错误" and rows["450002"].state == "未提交"
        with pytest.raises(WorkflowError, match="错误"):
            accept(session, reviewer, first.id)
        add_opinion(session, reviewer, first.id, "预算数不能为负数。", project_code="13022524P00CL0E10035D")
        add_opinion(session, reviewer, first.id, "指标值请量化。", project_code="13022524P00CL0E10035D",
                    indicator_seq=1)
        return_submission(session, reviewer, first.id, "请改正错误")
        assert [o.text for o in opinions(session, dept, first.id)] == ["预算数不能为负数。", "指标值请量化。"]
        with pytest.raises(NotFound):  # another department cannot see it, by id or otherwise
            opinions(session, other, first.id)
        with pytest.raises(NotFound):
            visible_submission(session, other, first.id)
        assert history(session, other, other.department_id) == []
        with pytest.raises(NotFound):
            history(session, other, dept.department_id)

        second_version = upload(collection, session, dept, "乐亭-改.xlsx", fixed.read_bytes())
        submit(session, dept, second_version.id)
        assert session.get(Submission, first.id).state == SUPERSEDED
        assert returned_before(session, second_version).id == first.id
        changes = diff(collection, session, reviewer, first.id, second_version.id).changes
        assert any(c.field == "预算数" for c in changes.changes)
        accept(session, reviewer, second_version.id)
        other_version = upload(collection, session, other, "二.xlsx", second.read_bytes())
        submit(session, other, other_version.id)
        accept(session, reviewer, other_version.id)

        rows = {r.department.code: r for r in board_module.board(session, collection.collection(session).id)}
        assert rows["450001"].state == "已通过" and rows["450001"].submissions == 2
        assert rows["450001"].budget == api.read_book(fixed).total_budget() == Decimal("656.18")
        assert rows["450003"].state == "未提交"
        states = [t.to_state for t in session.scalars(select(Transition).where(
            Transition.submission_id == first.id).order_by(Transition.id))]
        assert states == [SUBMITTED, RETURNED, SUPERSEDED]
        actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        for action in ("upload", "submit", "opinion", "return", "accept"):
            assert action in actions

        merged = merge_accepted(collection, session, reviewer, tmp_path / "county.xlsx")
        assert merged.outcome.written
        reference = tmp_path / "reference.xlsx"
        assert api.merge([fixed, second], reference).written
        assert api.read_book(tmp_path / "county.xlsx") == api.read_book(reference)
        log = openpyxl.load_workbook(tmp_path / "county.xlsx")["合并记录"]
        assert "450001.xlsx" in " ".join(str(c.value) for row in log.iter_rows() for c in row if c.value)

        annotated = annotated_with_opinions(collection, session, dept, first.id, tmp_path / "意见.xlsx")
        book = openpyxl.load_workbook(annotated)
        assert book.sheetnames[0] == "审核意见"
        comments = [c.comment.text for row in book["项目"].iter_rows() for c in row if c.comment]
        assert any("预算数不能为负数" in text for text in comments)
        assert any(text.startswith("[WBE-W080 警告]") and "预算数不能为负数" in text for text in comments)
        assert any("指标值请量化" in c.comment.text for row in book["指标"].iter_rows() for c in row if c.comment)

    written = export(collection, tmp_path / "out", every=True)
    names = sorted(p.relative_to(tmp_path / "out").as_posix() for p in written)
    assert names[-1] == "征集状态.xlsx" or "征集状态.xlsx" in names
    files_450001 = [n for n in names if n.startswith("450001-")]
    assert len(files_450001) == 2
    exported = next(p for p in written if p.name.startswith(f"第{second_version.id}号"))
    assert exported.read_bytes() == fixed.read_bytes()
    sheet = openpyxl.load_workbook(tmp_path / "out" / "征集状态.xlsx").active
    table = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert table["450001"][2] == "已通过" and table["450003"][2] == "未提交"
    assert table["450002"][7] == pytest.approx(606.18)
    latest = export(collection, tmp_path / "latest")
    assert len([p for p in latest if p.parent.name.startswith("450001-")]) == 1


def test_same_bytes_twice_is_one_blob_two_submissions(collection, tmp_path):
    book = department_workbook(tmp_path, "450001")
    with collection.session() as session:
        dept = user(session, "450001")
        a = upload(collection, session, dept, "a.xlsx", book.read_bytes())
        b = upload(collection, session, dept, "b.xlsx", book.read_bytes())
        assert a.id != b.id and a.sha256 == b.sha256
        assert session.scalar(select(func.count()).select_from(Blob)) == 1
    assert collection.blobs.verify(a.sha256)
    assert collection.blobs.path(a.sha256).parent.name == a.sha256[:2]


def test_bureau_cannot_upload_and_department_cannot_review(collection, tmp_path):
    book = department_workbook(tmp_path, "450001")
    with collection.session() as session:
        dept, admin = user(session, "450001"), user(session, "admin")
        with pytest.raises(WorkflowError):
            upload(collection, session, admin, "a.xlsx", book.read_bytes())
        draft = upload(collection, session, dept, "a.xlsx", book.read_bytes())
        submit(session, dept, draft.id)
        for action in (lambda: accept(session, dept, draft.id), lambda: return_submission(session, dept, draft.id),
                       lambda: add_opinion(session, dept, draft.id, "自己给自己提意见")):
            with pytest.raises(WorkflowError):
                action()
        assert session.get(Submission, draft.id).state == SUBMITTED


def test_merge_refused_without_accepted_and_to_anyone_but_the_bureau(collection, tmp_path):
    with collection.session() as session, pytest.raises(WorkflowError, match="已通过"):
            merge_accepted(collection, session, user(session, "admin"), tmp_path / "x.xlsx")
    with collection.session() as session, pytest.raises(Forbidden, match="财政审核人"):
            merge_accepted(collection, session, user(session, "450001"), tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_board_filter_sort_and_chart(collection, tmp_path):
    with collection.session() as session:
        dept = user(session, "450002")
        draft = upload(collection, session, dept, "b.xlsx", department_workbook(tmp_path, "450002").read_bytes())
        submit(session, dept, draft.id)
        rows = board_module.board(session, collection.collection(session).id)
        assert [r.department.code for r in board_module.filtered(rows, state="已提交·待审核")] == ["450002"]
        assert [r.department.code for r in board_module.filtered(rows, query="第三")] == ["450003"]
        assert board_module.filtered(rows, sort="budget", descending=True)[0].department.code == "450002"
        svg = board_module.budget_chart_svg(rows)
        assert svg.startswith("<svg") and "606.18 万元" in svg and "第二部门" in svg
        assert session.scalar(select(func.count()).select_from(CollectionDepartment)) == 3

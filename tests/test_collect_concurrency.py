"""Every state change of a submission is a conditional update on the state and version its actor saw: two
reviewers at once, a resubmission racing an accept, and a stale page are refused, never lost (issue 26).
Threads against the library layer, on SQLite and, with WBE_TEST_POSTGRES_URL, on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from workbook_engine.collect.accounts import create_user
from workbook_engine.collect.models import (
    ACCEPTED,
    RETURNED,
    REVIEWER,
    SUBMITTED,
    SUPERSEDED,
    UPLOADED,
    Blob,
    CollectionDepartment,
    Submission,
    Transition,
    User,
)
from workbook_engine.collect.service import Collect
from workbook_engine.collect.workflow import Conflict, Seen, WorkflowError, accept, return_submission, submit

from .collect_helpers import BACKENDS, cheap_hashes, new_collection  # noqa: F401

TRIALS = 100
SHA = "0" * 64


@pytest.fixture(params=BACKENDS)
def collection(request, tmp_path) -> Iterator[Collect]:
    collect, _passwords = new_collection(tmp_path, request.param)
    with collect.session() as session:
        for name, shown in (("reviewer1", "审核员甲"), ("reviewer2", "审核员乙")):
            create_user(session, name, REVIEWER, display_name=shown)
        session.add(Blob(sha256=SHA, size=1))
        session.commit()
    yield collect
    collect.close()


def user_id(collect: Collect, name: str) -> int:
    with collect.session() as session:
        found = session.scalar(select(User.id).where(User.username == name))
        assert found is not None, name
        return found


def department_id(collect: Collect, code: str) -> int:
    with collect.session() as session:
        found = session.scalar(select(CollectionDepartment.id).where(CollectionDepartment.code == code))
        assert found is not None, code
        return found


def stored(collect: Collect, department: int, state: str, uploader: int) -> int:
    """A submission row in ``state`` (its file plays no part in a change of state)."""
    with collect.session() as session:
        row = Submission(department_id=department, sha256=SHA, filename="x.xlsx", uploaded_by=uploader, state=state)
        session.add(row)
        session.commit()
        return row.id


def at_once(collect: Collect, *actions: Callable) -> list[object]:
    """Run each ``action(session)`` in its own thread and session, released together; each result is
    what it returned or the exception it raised."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: Callable) -> None:
        with collect.session() as session:
            barrier.wait()
            try:
                results[index] = action(session)
            except Exception as exc:  # noqa: BLE001 - the test inspects what each one got
                results[index] = exc

    threads = [threading.Thread(target=run, args=(n, a)) for n, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def as_user(session, uid: int) -> User:
    return session.get(User, uid)


def test_two_reviewers_returning_the_same_submission_one_wins(collection):
    reviewers = [user_id(collection, "reviewer1"), user_id(collection, "reviewer2")]
    dept, uploader = department_id(collection, "450001"), user_id(collection, "450001")
    outcomes: Counter[str] = Counter()
    for _trial in range(TRIALS):
        sid = stored(collection, dept, SUBMITTED, uploader)
        results = at_once(collection, *(
            (lambda s, r=r, sid=sid: return_submission(s, as_user(s, r), sid, "请修改", seen=Seen(SUBMITTED, 1)))
            for r in reviewers))
        won = [r for r in results if isinstance(r, Submission)]
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(won) == 1 and len(refused) == 1, results
        assert "审核员" in str(refused[0]) and "退回" in str(refused[0])
        outcomes["ok"] += 1
    with collection.session() as session:
        returned = Counter(session.scalars(select(Transition.submission_id).where(Transition.to_state == RETURNED)))
        assert len(returned) == TRIALS and set(returned.values()) == {1}  # 0 lost updates: one return each
        assert session.scalar(select(func.count()).select_from(Submission).where(Submission.state == RETURNED)) == TRIALS
        assert set(session.scalars(select(Submission.version))) == {2}
    assert outcomes["ok"] == TRIALS


def test_a_resubmission_racing_an_accept_never_leaves_two_current_versions(collection):
    reviewer = user_id(collection, "reviewer1")
    codes = ["450001", "450002", "450003"]
    departments = {code: (department_id(collection, code), user_id(collection, code)) for code in codes}
    accepted_first = 0
    for trial in range(TRIALS):
        dept, staff = departments[codes[trial % 3]]
        first = stored(collection, dept, SUBMITTED, staff)
        with collection.session() as session:  # what the reviewer's page showed when it was opened
            seen_first = Seen(SUBMITTED, session.get(Submission, first).version)
        second = stored(collection, dept, UPLOADED, staff)
        results = at_once(collection,
                          lambda s, first=first, seen=seen_first: accept(s, as_user(s, reviewer), first, seen=seen),
                          lambda s, dept_user=staff, second=second: submit(s, as_user(s, dept_user), second,
                                                                           seen=Seen(UPLOADED, 1)))
        assert isinstance(results[1], Submission), results  # the department's submission always goes in
        if isinstance(results[0], Submission):
            accepted_first += 1
        else:
            assert isinstance(results[0], WorkflowError), results
        with collection.session() as session:
            states = {sid: session.get(Submission, sid).state for sid in (first, second)}
            assert states == {first: SUPERSEDED, second: SUBMITTED}, (trial, states, results)
    with collection.session() as session:
        current = Counter(session.scalars(select(Submission.department_id).where(
            Submission.state.in_((SUBMITTED, RETURNED, ACCEPTED)))))
        assert set(current.values()) == {1} and len(current) == 3  # one current version per department
        superseded = session.scalars(select(Transition.submission_id).where(Transition.to_state == SUPERSEDED))
        once = Counter(superseded)  # each first version, and each trial's second by the next trial's: once each
        assert set(once.values()) == {1} and len(once) == 2 * TRIALS - 3
    assert 0 <= accepted_first <= TRIALS


def test_a_second_reviewer_cannot_overturn_the_first_from_a_stale_page(collection):
    first, second = user_id(collection, "reviewer1"), user_id(collection, "reviewer2")
    dept, uploader = department_id(collection, "450001"), user_id(collection, "450001")
    sid = stored(collection, dept, SUBMITTED, uploader)
    page = Seen(SUBMITTED, 1)  # both reviewers opened the page now
    with collection.session() as session:
        return_submission(session, as_user(session, first), sid, "预算数有误", seen=page)
    with collection.session() as session:
        with pytest.raises(Conflict) as refused:
            accept(session, as_user(session, second), sid, seen=page)
        message = str(refused.value)
        assert "审核员甲（reviewer1）" in message and "退回" in message and "已退回" in message
        assert "刷新" in message
    with collection.session() as session:
        assert session.get(Submission, sid).state == RETURNED
        assert [t.to_state for t in session.scalars(select(Transition).where(Transition.submission_id == sid))] == [
            RETURNED]
        fresh = session.get(Submission, sid)
        accept(session, as_user(session, second), sid, seen=Seen(fresh.state, fresh.version))  # after a refresh
        assert session.get(Submission, sid).state == ACCEPTED


def in_thread(fn: Callable[[], object], seconds: float) -> object:
    """fn's result, or TimeoutError when it has not finished within ``seconds`` (it is left to end)."""
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    if not result:
        raise TimeoutError
    return result[0]


@pytest.mark.parametrize("collection", ["sqlite"], indirect=True)
def test_readers_never_wait_for_a_writer_on_sqlite(collection):
    from workbook_engine.collect import board as board_module
    from workbook_engine.collect.accounts import current_session, login

    with collection.writer() as session:
        token = login(session, "reviewer1", _password(collection, "reviewer1")).token
    writer = collection.writer()
    try:
        writer.add(Submission(department_id=department_id(collection, "450001"), sha256=SHA, filename="w.xlsx",
                              uploaded_by=user_id(collection, "450001"), state=UPLOADED))
        writer.flush()  # the write lock is held, the transaction open (a long upload, a slow disk)

        def read() -> tuple[int, bool]:
            with collection.session() as session:
                rows = board_module.board(session, collection.collection(session).id)
                return len(rows), current_session(session, token) is not None

        assert in_thread(read, 5) == (3, True)  # the busy timeout is 30 s: a reader that queued would show
    finally:
        writer.rollback()
        writer.close()


def _password(collect: Collect, name: str) -> str:
    from workbook_engine.collect.accounts import _set_password

    with collect.writer() as session:
        user = session.scalar(select(User).where(User.username == name))
        assert user is not None, name
        _set_password(session, user, "审核员的新密码1234", must_change=False)
        session.commit()
    return "审核员的新密码1234"


def test_the_pool_holds_a_connection_for_every_worker_thread(collection):
    from workbook_engine.collect.database import WORKER_THREADS

    def check_out_all() -> int:
        held = [collection.db.engine.connect() for _ in range(WORKER_THREADS)]
        try:
            return len(held)
        finally:
            for connection in held:
                connection.close()

    assert in_thread(check_out_all, 10) == WORKER_THREADS  # the default pool (15) would wait 30 s for the 16th

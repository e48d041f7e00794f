"""The collection's tables (SQLAlchemy 2): one budget year's departments, accounts, every submitted version,
the bureau's opinions, each state change and an audit log.

The schema is created and upgraded only by the Alembic migrations in migrations/ (a test checks that they
match these models); files themselves live in the blob store (storage.py), rows name them by SHA-256.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Roles of an account: a department's staff, and the bureau's reviewers, administrators and viewers (who
# see everything a reviewer sees and change nothing).
DEPARTMENT = "department"
REVIEWER = "reviewer"
ADMIN = "admin"
VIEWER = "viewer"
ROLES = (DEPARTMENT, REVIEWER, ADMIN, VIEWER)
BUREAU_ROLES = (REVIEWER, VIEWER, ADMIN)  # accounts that `wbe collect user add` and the admin page create
ROLE_NAMES = {DEPARTMENT: "部门填报人", REVIEWER: "财政审核人", ADMIN: "财政管理员", VIEWER: "财政查看人"}

# States of one submission. An upload is a draft only its department sees until it is submitted; a newer
# submission supersedes the older ones of its department.
UPLOADED = "uploaded"
SUBMITTED = "submitted"
RETURNED = "returned"
ACCEPTED = "accepted"
SUPERSEDED = "superseded"
STATE_NAMES = {UPLOADED: "未提交（草稿）", SUBMITTED: "已提交", RETURNED: "已退回", ACCEPTED: "已通过",
               SUPERSEDED: "已被新版本取代"}

# The stages of the budget year, one collection round each (issue 22): the goals (what the box collected
# before rounds existed: a submission without a stage of its own is of this round), the 运行监控 in July and
# the 绩效自评 after year end, whose uploads are the official forms read back into the year sheets.
GOALS = "goals"
MONITOR = "monitor"
EVALUATION = "evaluation"
STAGES = (GOALS, MONITOR, EVALUATION)
STAGE_NAMES = {GOALS: "目标申报", MONITOR: "运行监控", EVALUATION: "年度自评"}


def now() -> datetime:
    """The current time in UTC, as every row stores it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Collection(Base):
    """One budget year's collection; a data folder holds one."""

    __tablename__ = "collections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    # The county's review configuration (wbe.toml text in the blob store); None = the defaults.
    config_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)


class CollectionDepartment(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("collection_id", "code", name="uq_departments_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(String(300), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)

    department: Mapped[CollectionDepartment | None] = relationship()


class LoginSession(Base):
    """A logged-in browser: the cookie carries a random token, the table only its SHA-256."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    last_seen: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Failed logins, for the rate limit (kept in the database so that every server process sees them)."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    address: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now, index=True)


class Blob(Base):
    """A stored file, named by the SHA-256 of its bytes (storage.py); the row exists only once the file is
    complete on disk."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)


class Submission(Base):
    """One uploaded version of a department's workbook, with what validation and review found in it."""

    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), nullable=False, index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), nullable=False)
    filename: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=UPLOADED)
    # Incremented by every change of state; a change is made only where state and version are still those
    # the actor saw (workflow._move), so a stale page or a concurrent second change is refused.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    errors: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    warnings: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    projects: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    indicators: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    budget: Mapped[str] = mapped_column(String(40), nullable=False, default="0")  # Decimal text, 万元
    grades: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # project code -> grade
    # the findings (Report.to_dict) and the round's figures: large, read only by the pages that show them, so
    # deferred (the board and every state change would otherwise decode them for every submission)
    report: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict, deferred=True)
    config_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the wbe.toml it was checked with
    # The round (stage) it belongs to; the file kept under sha256 is the canonical workbook checked, and for a
    # form uploaded in a 运行监控/年度自评 round the form itself is kept too, as it came (source_sha256).
    stage: Mapped[str] = mapped_column(String(20), nullable=False, default=GOALS, server_default=GOALS, index=True)
    source_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a blob's SHA-256 (no FK: 0004)
    figures: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict, deferred=True)  # overview figures

    department: Mapped[CollectionDepartment] = relationship()
    uploader: Mapped[User] = relationship()


class Round(Base):
    """A collection round the bureau opened for one stage of the year, with its deadline (a collection has at
    most one round per stage; the 目标申报 round exists without a row)."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("collection_id", "stage", name="uq_rounds_stage"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id"), nullable=False)
    stage: Mapped[str] = mapped_column(String(20), nullable=False)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    period: Mapped[str] = mapped_column(String(20), nullable=False, default="")  # 监控期间 of a 运行监控 round
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)


class Opinion(Base):
    """An 审核意见 of the bureau on one submission: on a project, an indicator, or the whole workbook."""

    __tablename__ = "opinions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), nullable=False, index=True)
    project_code: Mapped[str] = mapped_column(String(40), nullable=False, default="")  # "" = whole workbook
    indicator_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None = the project itself
    text: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)

    author: Mapped[User] = relationship()


class Transition(Base):
    """A submission's change of state (submitted, returned, accepted, superseded) and who made it."""

    __tablename__ = "transitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), nullable=False, index=True)
    from_state: Mapped[str] = mapped_column(String(20), nullable=False)
    to_state: Mapped[str] = mapped_column(String(20), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")


class AuditEntry(Base):
    """Who did what and when: every login, upload, state change, opinion, export and account change."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    username: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    action: Mapped[str] = mapped_column(String(50), nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    address: Mapped[str] = mapped_column(String(100), nullable=False, default="")

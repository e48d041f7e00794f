"""Accounts: argon2id password hashes, rate-limited login, expiring sessions, password change and reset.

Only hashes are stored: the initial passwords exist once, in the xlsx that `wbe collect init` writes for the
bureau to hand out. A session's cookie carries a random token; the database keeps its SHA-256, so a copy of
the database does not let anyone log in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, joinedload

from ..errors import WorkbookEngineError
from .database import begin_write
from .models import BUREAU_ROLES, ROLE_NAMES, AuditEntry, LoginAttempt, LoginSession, User, now

# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): memory-hard, and cheap enough that a
# hundred departments logging in within a minute do not saturate a 2-core county server (docs/security.md).
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MAX_FAILURES = 5  # failed logins of one user name, or from one address, within FAILURE_WINDOW
FAILURE_WINDOW = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)  # absolute
SESSION_IDLE = timedelta(hours=2)  # without a request
MIN_PASSWORD = 10
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I


class AccountError(WorkbookEngineError):
    """A login or account change refused; the message says why in Chinese."""

    exit_code = 1


class RateLimited(AccountError):
    pass


def new_password(length: int = 12) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the user name is unknown, so that timing does not tell which names exist.
_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(HASHER.hash(secrets.token_hex(16)))
    return _DUMMY_HASH[0]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def audit(session: Session, action: str, detail: str = "", *, user: User | None = None, username: str = "",
          department_id: int | None = None, address: str = "") -> None:
    session.add(AuditEntry(action=action, detail=detail, user_id=user.id if user else None,
                           username=user.username if user else username,
                           department_id=department_id if department_id is not None else
                           (user.department_id if user else None), address=address))


def check_password_rules(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"新密码太短：至少 {MIN_PASSWORD} 个字符。")
    if password.lower() == username.lower() or username.lower() in password.lower():
        raise AccountError("新密码不能包含用户名。")
    if len(set(password)) < 4:
        raise AccountError("新密码过于简单：请混合使用不同的字母、数字或符号。")


@dataclass
class LoggedIn:
    """What a successful login hands to the web layer: the cookie token and the CSRF token."""

    user: User
    token: str
    csrf: str


def _recent_failures(session: Session, *, username: str | None = None, address: str | None = None) -> int:
    since = now() - FAILURE_WINDOW
    query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since)
    if username is not None:
        query = query.where(LoginAttempt.username == username)
    if address is not None:
        query = query.where(LoginAttempt.address == address)
    return session.scalar(query) or 0


@dataclass(frozen=True)
class PendingLogin:
    """What a login read before the password check (login_start), for the check and the writes after it."""

    username: str
    address: str
    blocked: bool  # too many recent failures: refused without checking the password
    user_id: int | None
    password_hash: str | None  # None: no such user, or not active (a dummy hash is checked instead)


def login_start(session: Session, username: str, address: str = "") -> PendingLogin:
    """The reads of a login, in a reading transaction that ends here (no lock is held for the check)."""
    username = username.strip()
    blocked = (_recent_failures(session, username=username) >= MAX_FAILURES
               or bool(address and _recent_failures(session, address=address) >= MAX_FAILURES * 4))
    user = session.scalar(select(User).where(User.username == username))
    pending = PendingLogin(username, address, blocked, user.id if user is not None else None,
                           user.password_hash if user is not None and user.active else None)
    session.rollback()
    return pending


def password_matches(pending: PendingLogin, password: str) -> bool:
    """The slow argon2id check of a login, outside any database transaction (a blocked login is not checked;
    an unknown user name costs a check of a dummy hash, so that timing does not tell which names exist)."""
    if pending.blocked:
        return False
    if pending.password_hash is None:
        verify_password(_dummy_hash(), password)
        return False
    return verify_password(pending.password_hash, password)


def login_finish(session: Session, pending: PendingLogin, password: str, matches: bool) -> LoggedIn:
    """The writes of a login, under the write lock (``session`` may be a reading one: begin_write): a
    refusal is recorded and raised (RateLimited, AccountError), a success opens a session."""
    if pending.blocked:
        begin_write(session)
        audit(session, "login_blocked", "登录尝试过多，已暂停", username=pending.username, address=pending.address)
        session.commit()
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise RateLimited(f"登录失败次数过多，请 {minutes} 分钟后再试，或请管理员重置密码。")
    if not matches or pending.user_id is None or pending.password_hash is None:
        begin_write(session)
        session.add(LoginAttempt(username=pending.username, address=pending.address))
        audit(session, "login_failed", "用户名或密码错误", username=pending.username, address=pending.address)
        session.commit()
        raise AccountError("用户名或密码错误。")
    rehashed = hash_password(password) if HASHER.check_needs_rehash(pending.password_hash) else None
    begin_write(session)
    user = session.get_one(User, pending.user_id)
    if rehashed is not None:
        user.password_hash = rehashed
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == pending.username))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    moment = now()
    session.add(LoginSession(token_hash=token_hash(token), csrf_token=csrf, user_id=user.id, created_at=moment,
                             last_seen=moment, expires_at=moment + SESSION_LIFETIME))
    audit(session, "login", "登录", user=user, address=pending.address)
    session.commit()
    return LoggedIn(user, token, csrf)


def login(session: Session, username: str, password: str, address: str = "") -> LoggedIn:
    """Check the password and open a session; refused (AccountError) after too many recent failures.

    Three steps, which the web runs in different threads (web/collection.py): the reads, the slow hash check
    outside any transaction, the writes under the write lock, so logins queue on nothing slow."""
    pending = login_start(session, username, address)
    return login_finish(session, pending, password, password_matches(pending, password))


def current_session(session: Session, token: str | None) -> LoginSession | None:
    """The live session of a cookie token (its last_seen refreshed), or None when missing or expired."""
    if not token:
        return None
    found = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token))
                           .options(joinedload(LoginSession.user).joinedload(User.department)))  # one query
    if found is None:
        return None
    moment = now()
    if moment >= found.expires_at or moment - found.last_seen >= SESSION_IDLE or not found.user.active:
        session_id = found.id
        begin_write(session)  # a reading session (the gate's) becomes a writer's only here
        session.execute(delete(LoginSession).where(LoginSession.id == session_id))
        session.commit()
        return None
    if moment - found.last_seen > timedelta(minutes=1):  # do not write on every request
        session_id = found.id
        begin_write(session)
        session.execute(update(LoginSession).where(LoginSession.id == session_id).values(last_seen=moment))
        session.commit()
        return session.get(LoginSession, session_id)
    return found


def logout(session: Session, token: str | None) -> None:
    found = current_session(session, token)
    if found is not None:
        audit(session, "logout", "退出登录", user=found.user)
        session.delete(found)
        session.commit()


def change_password(session: Session, user: User, old: str, new: str, *, keep_token: str | None = None) -> None:
    """The user's own change: the old password is required; other sessions of the user end. Ends the
    caller's (read) transaction before the slow hashing, as login does."""
    stored, name, user_id = user.password_hash, user.username, user.id
    session.rollback()
    if not verify_password(stored, old):
        raise AccountError("原密码不正确。")
    check_password_rules(new, name)
    hashed = hash_password(new)
    user = session.get_one(User, user_id)
    _set_password(session, user, new, must_change=False, keep_token=keep_token, hashed=hashed)
    audit(session, "password_changed", "修改了自己的密码", user=user)
    session.commit()


def reset_password(session: Session, admin: User, user: User) -> str:
    """An administrator's reset: a new random password (shown once to the administrator), sessions end."""
    password = new_password()
    _set_password(session, user, password, must_change=True)
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == user.username))
    audit(session, "password_reset", f"重置了 {user.username} 的密码", user=admin)
    session.commit()
    return password


def _set_password(session: Session, user: User, password: str, *, must_change: bool,
                  keep_token: str | None = None, hashed: str | None = None) -> None:
    user.password_hash = hashed or hash_password(password)
    user.must_change_password = must_change
    user.password_changed_at = now()
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_token:
        query = query.where(LoginSession.token_hash != token_hash(keep_token))
    session.execute(query)


def create_user(session: Session, username: str, role: str, *, department_id: int | None = None,
                display_name: str = "", password: str | None = None) -> tuple[User, str]:
    """A new account with a random initial password (returned once; only its hash is stored)."""
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise AccountError(f"用户名“{username}”已存在。")
    password = password or new_password()
    user = User(username=username, password_hash=hash_password(password), role=role, department_id=department_id,
                display_name=display_name)
    session.add(user)
    session.flush()
    return user, password


USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{1,99}$")


def add_account(session: Session, username: str, role: str, *, display_name: str = "",
                password: str | None = None, by: User | None = None, by_name: str = "") -> tuple[User, str]:
    """A reviewer, viewer or administrator account (`wbe collect user add`, the admin page), in the audit
    log. Without ``password`` one is generated, returned once, and the user is asked to change it (the
    notice on every page, as for department accounts); a given one must follow the password rules."""
    username, display_name = username.strip(), display_name.strip()
    if role not in BUREAU_ROLES:
        names = "、".join(f"{r}（{ROLE_NAMES[r]}）" for r in BUREAU_ROLES)
        raise AccountError(f"角色“{role}”不可用。请选择 {names}；部门账号随部门一起添加。")
    if not USERNAME.match(username):
        raise AccountError(f"用户名“{username}”不可用：请以英文字母开头，只用英文字母、数字和 _ . -，2–100 个字符"
                           "（6 位数字留给部门账号）。")
    if len(display_name) > 200:
        raise AccountError("显示名称过长（最多 200 字）。")
    if password is not None:
        check_password_rules(password, username)
    begin_write(session)
    chosen = password is not None
    user, password = create_user(session, username, role, display_name=display_name, password=password)
    user.must_change_password = not chosen  # a generated password is changed at first login
    audit(session, "add_user", f"添加账号 {username}（{ROLE_NAMES[role]}" + (f"，{display_name}" if display_name else "")
          + "）", user=by, username=by_name)
    session.commit()
    return user, password

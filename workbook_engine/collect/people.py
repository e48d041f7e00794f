"""The collection's accounts as the pages read them: the row of a logged-in user (the actor of a change),
every account in the admin page's order, and one account by its name. Creating accounts, passwords and
logins are accounts.py's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import User
from .workflow import NotFound


def user(session: Session, user_id: int) -> User:
    """The account row of ``user_id`` (a logged-in user's: the gate found it a moment ago)."""
    found = session.get(User, user_id)
    if found is None:
        raise NotFound("没有这个账号。请重新登录。")
    return found


def every_account(session: Session) -> list[User]:
    """Every account, by role and then user name (the admin page's list)."""
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def account_named(session: Session, username: str) -> User:
    """The account called ``username``; NotFound (a Chinese message) when there is none."""
    found = session.scalar(select(User).where(User.username == username))
    if found is None:
        raise NotFound(f"没有用户“{username}”。")
    return found

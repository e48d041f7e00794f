"""Routes deny by default (issue 26): every endpoint declares the action it performs and the roles allowed
(``@allow("merge.start", *BUREAU)``, as datasette's per-view ``ensure_permission``); ``compose`` builds the
one router of the page and the collection box from route tables and refuses, with a Chinese 403 page, any
route without a declaration and any request whose role the declaration does not name.

The role of a request: the logged-in account's role (collection box), ``ANONYMOUS`` when the app has
accounts and nobody is logged in, ``PAGE`` when the app has no accounts (the plain page, behind its access
token when one is set: SecurityMiddleware checks that before any route).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

ANONYMOUS = "anonymous"
PAGE = "page"
DEPARTMENT = "department"  # the same names as collect.models (the web reaches the library through api.py)
REVIEWER = "reviewer"
ADMIN = "admin"
VIEWER = "viewer"  # the bureau's read-only account: sees the box, changes nothing, merges nothing
ROLES = (ANONYMOUS, PAGE, DEPARTMENT, REVIEWER, ADMIN, VIEWER)
EVERYONE = ROLES
SIGNED_IN = (PAGE, DEPARTMENT, REVIEWER, ADMIN, VIEWER)  # whoever may use the page's tools
BUREAU = (PAGE, REVIEWER, ADMIN)  # merging every department's books: not a department's staff

Endpoint = Callable[[Request], "Awaitable[Response] | Response"]  # async, or plain (run in the threadpool)


@dataclass(frozen=True)
class Permission:
    """What a route does and who may do it."""

    action: str
    roles: frozenset[str]


def allow(action: str, *roles: str) -> Callable[[Any], Any]:
    """Declare the action of an endpoint (or a Mount) and the roles allowed to perform it."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"allow({action!r}): unknown or no roles {sorted(unknown)}")

    def declare(target: Any) -> Any:
        target.permission = Permission(action, frozenset(roles))
        return target

    return declare


def permission_of(target: Any) -> Permission | None:
    found = getattr(target, "permission", None)
    return found if isinstance(found, Permission) else None


def role_of(conn: HTTPConnection) -> str:
    """The role of a request (see the module's docstring)."""
    viewer = conn.scope.get("state", {}).get("viewer")
    role = getattr(viewer, "role", None)
    if isinstance(role, str) and role in ROLES:
        return role
    return ANONYMOUS if getattr(conn.app.state, "collect", None) is not None else PAGE


def _refusal(conn: HTTPConnection, permission: Permission | None) -> Response | None:
    """None when the request may go on; else the answer (login for the anonymous GET, else 403)."""
    role = role_of(conn)
    if permission is not None and role in permission.roles:
        return None
    if permission is not None and role == ANONYMOUS and conn.scope.get("method") in ("GET", "HEAD"):
        return RedirectResponse("/login", status_code=303)
    error_page = conn.app.state.error_page  # app.py's page, set by create_app (permissions stays below app)
    message = ("这个地址没有声明权限，已拒绝。" if permission is None else
               "请先登录。" if role == ANONYMOUS else "您的账号没有权限执行这个操作。")
    return error_page(Request(conn.scope), message, 403, back="/")


def guarded_endpoint(endpoint: Endpoint) -> Endpoint:
    permission = permission_of(endpoint)
    blocking = not inspect.iscoroutinefunction(endpoint)  # a plain function reads files or renders big pages

    async def guarded(request: Request) -> Response:
        refused = _refusal(request, permission)
        if refused is not None:
            return refused
        if blocking:  # off the event loop, as Starlette runs a plain endpoint
            return await run_in_threadpool(cast(Callable[[Request], Response], endpoint), request)
        return await cast(Callable[[Request], Awaitable[Response]], endpoint)(request)

    guarded.permission = permission  # type: ignore[attr-defined]  # the declaration, for the route test
    guarded.__name__ = getattr(endpoint, "__name__", "endpoint")
    return guarded


class GuardedApp:
    """A mounted ASGI app (static files) behind its Mount's declaration."""

    def __init__(self, app: ASGIApp, permission: Permission | None):
        self.app = app
        self.permission = permission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = _refusal(HTTPConnection(scope), self.permission)
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _methods(route: Route) -> frozenset[str]:
    return frozenset(route.methods or {"GET", "HEAD"})


def compose(*tables: Sequence[BaseRoute]) -> list[BaseRoute]:
    """One router from route tables, earlier tables first: a path and method already routed is not routed
    again (the collection box's / and /login stand in for the page's), and every route is guarded."""
    taken: dict[str, set[str]] = {}
    composed: list[BaseRoute] = []
    for table in tables:
        for route in table:
            if isinstance(route, Route):
                methods = _methods(route)
                if methods & taken.get(route.path, set()):
                    continue
                taken.setdefault(route.path, set()).update(methods)
                composed.append(Route(route.path, guarded_endpoint(route.endpoint), methods=sorted(methods),
                                      name=route.name))
            elif isinstance(route, Mount):
                if route.path in taken:
                    continue
                taken[route.path] = {"*"}
                permission = permission_of(route)
                mount = Mount(route.path, GuardedApp(route.app, permission), name=route.name)
                composed.append(allow(permission.action, *permission.roles)(mount) if permission else mount)
            else:
                raise TypeError(f"compose: no guard for {type(route).__name__}")
    return composed


def declarations(routes: Iterable[BaseRoute]) -> list[tuple[str, frozenset[str], Permission | None]]:
    """(path, methods, declaration) of every composed route: what the route test walks."""
    found: list[tuple[str, frozenset[str], Permission | None]] = []
    for route in routes:
        if isinstance(route, Route):
            found.append((route.path, _methods(route), permission_of(route.endpoint)))
        elif isinstance(route, Mount):
            app = route.app
            found.append((route.path, frozenset({"GET", "HEAD"}),
                          app.permission if isinstance(app, GuardedApp) else None))
    return found

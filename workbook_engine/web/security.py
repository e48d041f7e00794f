"""Sessions, CSRF tokens, the access token and security headers, as one ASGI middleware.

A browser session is a random id in an HttpOnly, SameSite=Strict cookie signed with the app's secret
(HMAC-SHA256); it names the session's private folder (workspace.py). The CSRF token of a session is derived
from its id, so no server state is needed; every state-changing request must carry it (form field
``csrf`` or header ``X-CSRF-Token``). With an access token (``wbe serve --token`` or a non-loopback host),
every request needs the token cookie set by the login page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .workspace import new_id, valid_id

SESSION_COOKIE = "wbe_session"
TOKEN_COOKIE = "wbe_access"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
OPEN_PATHS = ("/login", "/static/", "/healthz")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


class Secrets:
    """The signing key of one app instance (random per start: sessions end when the server stops)."""

    def __init__(self, key: bytes | None = None, token: str | None = None):
        self.key = key or secrets.token_bytes(32)
        self.token = token

    def _mac(self, purpose: str, value: str) -> str:
        return hmac.new(self.key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()[:32]

    def account_session(self, sid: str, login_token: str) -> str:
        """The page's session of one login in one browser: a name of the same form as a browser's session,
        derived from both, so another login on the same browser (or after logout) has none of its items."""
        digest = hmac.new(self.key, f"account|{sid}|{login_token}".encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def sign_session(self, sid: str) -> str:
        return f"{sid}.{self._mac('session', sid)}"

    def session_from_cookie(self, cookie: str | None) -> str | None:
        if not cookie or "." not in cookie:
            return None
        sid, _, mac = cookie.rpartition(".")
        if valid_id(sid) and hmac.compare_digest(mac, self._mac("session", sid)):
            return sid
        return None

    def csrf_token(self, sid: str) -> str:
        return self._mac("csrf", sid)

    def check_csrf(self, sid: str, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(str(value), self.csrf_token(sid))

    def access_cookie(self) -> str:
        return self._mac("access", self.token or "")

    def token_matches(self, value: str | None) -> bool:
        return self.token is not None and bool(value) and hmac.compare_digest(str(value), self.token)

    def has_access(self, conn: HTTPConnection) -> bool:
        if self.token is None:
            return True
        cookie = conn.cookies.get(TOKEN_COOKIE)
        if not cookie:
            return False
        return hmac.compare_digest(cookie, self.access_cookie())


class SecurityMiddleware:
    """Session cookie, token gate and security headers for every response (also errors)."""

    def __init__(self, app: ASGIApp, secrets_: Secrets, *, https: bool = False):
        self.app = app
        self.secrets = secrets_
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        sid = self.secrets.session_from_cookie(conn.cookies.get(SESSION_COOKIE))
        fresh = sid is None
        if sid is None:
            sid = new_id()
        scope.setdefault("state", {})
        scope["state"]["sid"] = sid
        scope["state"]["csrf"] = self.secrets.csrf_token(sid)
        path = scope.get("path", "/")
        root = scope.get("root_path", "")
        local = path[len(root):] if root and path.startswith(root) else path
        if not self.secrets.has_access(conn) and not local.startswith(OPEN_PATHS):
            if scope.get("method") in SAFE_METHODS and "text/html" in conn.headers.get("accept", ""):
                response: Any = RedirectResponse(f"{root}/login", status_code=303)
            else:
                response = PlainTextResponse("需要访问口令：请先在登录页输入口令。", status_code=401)
            await self._with_headers(response, scope, receive, send, sid if fresh else None)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._decorate(MutableHeaders(scope=message), sid if fresh else None)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _with_headers(self, response, scope, receive, send, new_sid) -> None:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._decorate(MutableHeaders(scope=message), new_sid)
            await send(message)

        await response(scope, receive, wrapped)

    def _decorate(self, headers: MutableHeaders, new_sid: str | None) -> None:
        for name, value in SECURITY_HEADERS.items():
            if name not in headers:
                headers[name] = value
        if "cache-control" not in headers:
            headers["cache-control"] = "no-store"
        if new_sid is not None:
            secure = "; Secure" if self.https else ""
            headers.append("set-cookie", f"{SESSION_COOKIE}={self.secrets.sign_session(new_sid)}; Path=/; "
                                         f"HttpOnly; SameSite=Strict{secure}")


class AccountScope:
    """Inside the collection box's login gate: the page's items, jobs and downloads belong to the logged-in
    account (its login), not to the browser cookie (issue 26). ``state.sid`` becomes the login's own session;
    the CSRF token stays the browser's (``state.browser_sid``), so a form loaded before login still posts."""

    def __init__(self, app: ASGIApp, secrets_: Secrets):
        self.app = app
        self.secrets = secrets_

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.get("state")
        if scope["type"] == "http" and state is not None and "sid" in state:
            state["browser_sid"] = state["sid"]
            token = getattr(state.get("viewer"), "token", None)
            if isinstance(token, str) and token:
                state["sid"] = self.secrets.account_session(state["sid"], token)
        await self.app(scope, receive, send)


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
ANY_ADDRESS = ("0.0.0.0", "::", "")
HOST_REFUSED = ("拒绝访问：请求的主机名（Host）不是本网页服务的地址。经反向代理访问时，"
                "请在启动时用 --allow-host 指定代理使用的主机名。")


def _host_name(value: str) -> str:
    """The host of a Host header, without its port ("[::1]:8765" -> "::1")."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value[1:]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def served_hosts(host: str, allowed: Iterable[str] = ()) -> list[str]:
    """The Host names `wbe serve --host HOST` answers: HOST itself, the loopback names when HOST is loopback,
    the machine's names and addresses when HOST is every address, and each --allow-host."""
    import socket

    names = [_host_name(name) for name in allowed if name.strip()]
    host = _host_name(host) if host not in ANY_ADDRESS else host
    if host in LOOPBACK_NAMES or host.startswith("127."):
        names += [host, *LOOPBACK_NAMES]
    elif host in ANY_ADDRESS:
        names += list(LOOPBACK_NAMES)
        try:
            machine = socket.gethostname()
            _name, aliases, addresses = socket.gethostbyname_ex(machine)
            names += [machine.lower(), socket.getfqdn().lower(), *(a.lower() for a in aliases), *addresses]
        except OSError:  # no resolvable name: loopback and --allow-host only
            pass
    else:
        names.append(host)
    return list(dict.fromkeys(names))


class HostCheck:
    """Refuse a request whose Host is not one of ``allowed_hosts`` (as Starlette's TrustedHostMiddleware,
    "*.example.org" matches the subdomains; the refusal in Chinese): DNS rebinding gets no page."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]):
        self.app = app
        self.exact = {_host_name(h) for h in allowed_hosts if not h.startswith("*.")}
        self.suffixes = tuple(h[1:].lower() for h in allowed_hosts if h.startswith("*."))
        self.anything = "*" in allowed_hosts

    def allows(self, header: str) -> bool:
        name = _host_name(header)
        return self.anything or name in self.exact or (bool(name) and name.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self.allows(Headers(scope=scope).get("host", "")):
            response = PlainTextResponse(HOST_REFUSED, status_code=400)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

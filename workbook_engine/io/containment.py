"""Third-party readers run in a forked child under a memory limit and a deadline (issue 26).

Why: calamine (Rust), openpyxl and python-docx parse what the guard (io/guard.py) has vetted, but a guard
is a second parser, and two parsers can read one file differently. Whatever spelling gets past it, a reader
that aborts (Rust's "memory allocation of … bytes failed" is a SIGABRT of the whole process), runs out of
memory or runs away must cost one Chinese line and exit status 2, never the process. So the reader runs in
a forked child with ``RLIMIT_AS`` (its address space may grow by ``WBE_READER_MEMORY_MB`` over what it
inherits) and ``RLIMIT_CPU``; the parent waits at most ``WBE_READER_SECONDS`` for each answer. Matching in
the guard stays: it names the cause; containment is the guarantee when it does not.

Two shapes:
- ``run_contained(function)``: one call in a fresh child (annotate: load, mark, save into a path the
  parent owns).
- ``ContainedReader(factory)``: a warm child that builds its object once and answers method calls
  (``call(name, *args)``): a workbook opened once, its sheets read on demand.

Results and errors travel back pickled over a socket pair; the function and the object are inherited by
the fork, never pickled. A ``WorkbookEngineError`` raised in the child is raised again here as it is; any
other exception of the reader on bad input becomes ``InputUnreadable`` (code WBE-I010); a child that dies
by a signal or an exit of its own ``UnsafeInput`` (WBE-I011), one past the deadline ``UnsafeInput``
(WBE-I012). The child's stderr goes to /dev/null (the Rust panic message must not reach the terminal).
"""

from __future__ import annotations

import contextlib
import faulthandler
import functools
import os
import pickle
import resource
import select
import signal
import socket
import struct
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from ..errors import InputUnreadable, UnsafeInput, WorkbookEngineError, coded
from . import reader_zygote

T = TypeVar("T")
S = TypeVar("S")

MEMORY_ENV = "WBE_READER_MEMORY_MB"
SECONDS_ENV = "WBE_READER_SECONDS"
CONTAIN_ENV = "WBE_CONTAIN"  # "0": readers run in this process (debugging only; documented as unsafe)
DEFAULT_MEMORY_MB = 1536  # growth over the inherited footprint: with ~150-300 MB inherited, under 2 GB in all
DEFAULT_SECONDS = 45.0  # per answer: a command stays under the 60 s the acceptance asks for
_HEADER = struct.Struct("<Q")


@dataclass(frozen=True)
class Limits:
    memory_mb: int
    seconds: float


def limits() -> Limits:
    """The limits in force, from the environment (unset or unreadable: the defaults)."""
    return Limits(_env_number(MEMORY_ENV, DEFAULT_MEMORY_MB, int), _env_number(SECONDS_ENV, DEFAULT_SECONDS, float))


def _env_number(name: str, default: Any, kind: Callable[[str], Any]) -> Any:
    text = os.environ.get(name, "").strip()
    try:
        value = kind(text)
    except ValueError:
        return default
    return value if value > 0 else default


def enabled() -> bool:
    return os.environ.get(CONTAIN_ENV, "1").strip() != "0" and hasattr(os, "fork")


# -- the child's side ----------------------------------------------------------------------------------------
def _address_space() -> int:
    """This process's virtual size in bytes (what RLIMIT_AS counts), 0 when unknown."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _enter_child(limit: Limits, mask: set[int | signal.Signals]) -> None:
    """In the new child: Ctrl-C left to the parent and SIGTERM/SIGHUP fatal at once (no Python handler of
    the parent's may run here: it would unwind into the parent's code and its exit handlers), set while
    the signals are still blocked, then the parent's mask back; quiet stdout/stderr; the limits set."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C pending since the fork is discarded
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    faulthandler.disable()  # its dump would go to the parent's stderr (it keeps its own descriptor)
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
    budget = limit.memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = _address_space() + budget
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    with contextlib.suppress(ValueError, OSError):
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu = int(used.ru_utime + used.ru_stime + limit.seconds) + 5  # a runaway ends even without the parent
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard == resource.RLIM_INFINITY or cpu < hard:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))


def _send(sock: socket.socket, message: Any) -> None:
    try:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an exception or result that cannot be pickled: say what it was
        kind, payload = message if isinstance(message, tuple) and len(message) == 2 else ("fault", None)
        if kind == "error" and isinstance(payload, BaseException):
            data = pickle.dumps(("fault", (type(payload).__name__, str(payload)[:500], "")))
        else:
            data = pickle.dumps(("fault", ("PicklingError", "result cannot travel back", "")))
    sock.sendall(_HEADER.pack(len(data)) + data)


def _answer(sock: socket.socket, work: Callable[[], Any]) -> None:
    try:
        message: tuple[str, Any] = ("ok", work())
    except WorkbookEngineError as exc:
        message = ("error", exc)
    except MemoryError:
        message = ("memory", None)
    except RecursionError as exc:
        message = ("fault", (type(exc).__name__, str(exc)[:500], ""))
    except Exception as exc:  # noqa: BLE001 - any reader exception on bad input travels back as a fault
        message = ("fault", (type(exc).__name__, str(exc)[:500], traceback.format_exc(limit=8)))
    try:
        _send(sock, message)
    except MemoryError:
        _send(sock, ("memory", None))


def child_main(sock: socket.socket, parent_end: socket.socket | None, limit: Limits, mask: set[int | signal.Signals],
               body: Callable[[socket.socket], None]) -> None:
    """The child's whole life: it starts with the signals blocked and ends in ``os._exit``, whatever
    happens in between, so it never returns into the parent's code nor runs the parent's exit handlers.
    (Forked by the asking process or by its zygote, io/reader_zygote.py, which holds no parent end.)"""
    status = 0
    try:
        if parent_end is not None:
            parent_end.close()
        _enter_child(limit, mask)
        body(sock)
    except BaseException:  # noqa: BLE001 - whatever happens, the child never returns into the parent's code
        status = 70
    finally:
        os._exit(status)


def _zygote_child(sock: socket.socket, mask: set[int | signal.Signals], *, limit: Limits,
                  body: Callable[[socket.socket], None]) -> None:
    """The life of a child the zygote forked (it holds no parent end)."""
    child_main(sock, None, limit, mask, body)


# -- the parent's side ---------------------------------------------------------------------------------------
class _Child:
    """A forked child and our end of its socket. ``portable``: ``body`` pickles, so this process's zygote
    (io/reader_zygote.py), when it has one, may fork the child instead of this process."""

    def __init__(self, body: Callable[[socket.socket], None], path: Path, what: str, *, portable: bool = False):
        self.path, self.what, self.limit = path, what, limits()
        parent_end, child_end = socket.socketpair()
        self.zygote = reader_zygote.current() if portable else None
        try:
            self.pid: int | None = self._by_zygote(child_end, body) if self.zygote is not None else None
            if self.pid is None:
                self.zygote = None
                self.pid = self._forked(child_end, parent_end, body)
        finally:
            child_end.close()
        self.sock = parent_end

    def _by_zygote(self, child_end: socket.socket, body: Callable[[socket.socket], None]) -> int | None:
        assert self.zygote is not None
        try:
            return self.zygote.fork(child_end, functools.partial(_zygote_child, limit=self.limit, body=body))
        except reader_zygote.ZygoteGone:
            return None

    def _forked(self, child_end: socket.socket, parent_end: socket.socket, body: Callable[[socket.socket], None]) -> int:
        blocked = {signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            pid = os.fork()
            if pid == 0:  # the child, signals still blocked
                child_main(child_end, parent_end, self.limit, previous, body)
        finally:
            if pid != 0:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return pid

    def receive(self) -> Any:
        """The child's next answer, or the error its death or its slowness stands for."""
        deadline = time.monotonic() + self.limit.seconds
        try:
            header = self._read(_HEADER.size, deadline)
            data = self._read(_HEADER.unpack(header)[0], deadline)
        except _Died:
            status = self.reap()
            raise coded(UnsafeInput, "WBE-I011", path=self.path, what=self.what, how=_how(status),
                        memory=self.limit.memory_mb) from None
        except _Late:
            self.kill()
            raise coded(UnsafeInput, "WBE-I012", path=self.path, what=self.what,
                        seconds=f"{self.limit.seconds:g}") from None
        kind, payload = pickle.loads(data)
        if kind == "ok":
            return payload
        if kind == "error":
            raise payload
        if kind == "memory":
            raise coded(UnsafeInput, "WBE-I011", path=self.path, what=self.what, how="内存不足",
                        memory=self.limit.memory_mb)
        name, text, _trace = payload
        if os.environ.get("WBE_DEBUG"):
            raise RuntimeError(f"contained reader failed: {name}: {text}\n{_trace}")
        raise coded(InputUnreadable, "WBE-I010", path=self.path, what=self.what, error=f"{name}: {text}"[:200])

    def _read(self, size: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        left = size
        while left > 0:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise _Late()
            ready, _, _ = select.select([self.sock], [], [], wait)
            if not ready:
                raise _Late()
            chunk = self.sock.recv(min(left, 1 << 20))
            if not chunk:
                raise _Died()
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def reap(self) -> int:
        if self.pid is None:
            return 0
        pid, self.pid = self.pid, None
        if self.zygote is not None:
            try:
                return self.zygote.reap(pid)
            except reader_zygote.ZygoteGone:  # it killed its children as it went
                return 0
        try:
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:
            return 0

    def kill(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.reap()
        with contextlib.suppress(OSError):
            self.sock.close()

    def send(self, message: Any) -> None:
        try:
            self.sock.sendall(_HEADER.pack(len(data := pickle.dumps(message))) + data)
        except OSError:
            raise _Died() from None


class _Died(Exception):
    pass


class _Late(Exception):
    pass


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        if signum == signal.SIGXCPU:
            return "运行时间超过上限"
        if signum in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS):
            return "内存分配失败而中止"
        return f"被信号 {signum} 终止"
    return "意外退出"


def run_contained(function: Callable[[], T], *, path: str | os.PathLike[str], what: str) -> T:
    """``function()`` in a fresh child under the limits; its result (pickled) or its error here."""
    if not enabled():
        return function()

    def body(sock: socket.socket) -> None:
        _answer(sock, function)

    child = _Child(body, Path(path), what)
    try:
        result: T = child.receive()
        return result
    finally:
        child.kill()


class ContainedReader(Generic[S]):
    """A warm child holding ``factory()``'s object; ``call(name, *args)`` runs its method there.

    The first answer is ``summary(object)`` (what the caller needs at once: sheet names, say). The child
    ends with ``close()`` (or when this process goes: it reads EOF). Without containment (WBE_CONTAIN=0) the
    object lives here and calls are direct.
    """

    def __init__(self, factory: Callable[[], S], summary: Callable[[S], Any], *, path: str | os.PathLike[str],
                 what: str):
        self._local: S | None = None
        self._child: _Child | None = None
        if not enabled():
            self._local = factory()
            self.summary = summary(self._local)
            return

        body = functools.partial(_serve_calls, factory=factory, summary=summary)
        self._child = _Child(body, Path(path), what, portable=_pickles(body))
        try:
            self.summary = self._child.receive()
        except BaseException:
            self.close()
            raise

    def call(self, name: str, *args: Any) -> Any:
        if self._child is None:
            return getattr(self._local, name)(*args)
        try:
            self._child.send((name, args))
        except _Died:
            status = self._child.reap()
            raise coded(UnsafeInput, "WBE-I011", path=self._child.path, what=self._child.what, how=_how(status),
                        memory=self._child.limit.memory_mb) from None
        return self._child.receive()

    def close(self) -> None:
        if self._child is not None:
            child, self._child = self._child, None
            child.kill()  # an idle child: nothing of it is kept
        elif self._local is not None:
            closer = getattr(self._local, "close", None)
            if callable(closer):
                closer()
            self._local = None


def _serve_calls(sock: socket.socket, *, factory: Callable[[], Any], summary: Callable[[Any], Any]) -> None:
    """A ContainedReader's child: build the object, answer with its summary, then answer method calls."""
    state: list[Any] = []

    def start() -> Any:
        state.append(factory())
        return summary(state[0])

    _answer(sock, start)
    if not state:
        return
    while True:
        try:
            header = _recv_exact(sock, _HEADER.size)
        except EOFError:
            return
        name, args = pickle.loads(_recv_exact(sock, _HEADER.unpack(header)[0]))
        _answer(sock, functools.partial(getattr(state[0], name), *args))


def _pickles(body: Callable[..., Any]) -> bool:
    """Whether a zygote could run ``body`` (module-level functions and classes pickle; lambdas do not)."""
    if reader_zygote.current() is None:
        return False
    try:
        pickle.dumps(body)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    while size > 0:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise EOFError()
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)

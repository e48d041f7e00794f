"""A lean process that forks the contained readers' children (io/containment.py), for long-lived workers.

Why: a contained read forks the process that asks for it. Forked from a warm web worker (180 MB of
interpreter, library and caches), a read of a department workbook cost 10 ms of CPU for 1 ms of reading:
the page tables, then copy-on-write faults in the child and, after it, in the worker. Forked from this
process, which has imported only the readers, the same read costs 4 ms and the worker almost nothing.

Each read still gets a fresh child under the same limits, and the zygote never touches a file itself: it
receives the child's end of a socket pair (SCM_RIGHTS) and a picklable body, forks, and answers with the
child's pid. The worker talks to the child directly, kills it by pid when late, and asks the zygote for its
exit status (the zygote reaps a child only when asked, so its pid cannot be reused meanwhile). The zygote
ends when its worker does (end of file on its socket), killing any child left.

Only a process that called ``start()`` uses it, and only from that process (a fork of it forks directly);
if the zygote is gone, containment forks directly again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<Q")
PRELOAD = ("workbook_engine.io.containment", "workbook_engine.io.calamine_reader")


class ZygoteGone(Exception):
    """The zygote did not answer: the caller forks directly."""


def _packet(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def _send(sock: socket.socket, message: Any, fds: list[int] | None = None) -> None:
    packet = message if isinstance(message, bytes) else _packet(message)
    if fds:
        socket.send_fds(sock, [packet], fds)
    else:
        sock.sendall(packet)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    while size > 0:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise EOFError()
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _receive(sock: socket.socket) -> tuple[Any, list[int]]:
    """One message and the descriptors that came with its first bytes."""
    head, fds, _flags, _address = socket.recv_fds(sock, _HEADER.size, 4)
    if not head:
        raise EOFError()
    if len(head) < _HEADER.size:
        head += _recv_exact(sock, _HEADER.size - len(head))
    return pickle.loads(_recv_exact(sock, _HEADER.unpack(head)[0])), fds


class Zygote:
    """This process's handle on its zygote: one request and its answer at a time."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self.owner = os.getpid()
        self._lock = threading.Lock()
        self._sock = ours
        self.dead = False
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "workbook_engine.io.reader_zygote", str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                close_fds=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})
        finally:
            theirs.close()
        _send(ours, ("path", list(sys.path)))
        self._answer()  # ready: the readers are imported

    def _answer(self) -> Any:
        message, fds = _receive(self._sock)
        for fd in fds:
            os.close(fd)
        return message

    def _ask(self, message: Any, fds: list[int] | None = None) -> Any:
        try:
            packet = _packet(message)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise ZygoteGone(f"cannot travel: {exc}") from None
        with self._lock:
            try:
                _send(self._sock, packet, fds)
                return self._answer()
            except BaseException as exc:  # no answer, half of one, or interrupted (a job's deadline): the
                self.dead = True  # conversation is out of step, so the zygote is never asked again
                if isinstance(exc, (OSError, EOFError)):
                    raise ZygoteGone(str(exc)) from None
                raise

    def fork(self, child_end: socket.socket, life: Callable[[socket.socket, Any], None]) -> int:
        """A new child living ``life(its socket, the signal mask)`` (containment's child, which ends in
        os._exit); its pid."""
        answer = self._ask(("fork", life), [child_end.fileno()])
        if not (isinstance(answer, tuple) and answer[0] == "forked"):
            raise ZygoteGone(f"unexpected answer {answer!r}")
        return int(answer[1])

    def reap(self, pid: int) -> int:
        """The exit status of a child of ours, waiting for it to end."""
        answer = self._ask(("reap", pid))
        return int(answer[1]) if isinstance(answer, tuple) and answer[0] == "status" else 0

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


_current: Zygote | None = None


def start() -> None:
    """Give this process a zygote (idempotent; a failure is logged and reads fork directly)."""
    global _current
    if _current is not None and _current.owner == os.getpid():
        return
    try:
        _current = Zygote()
    except (OSError, EOFError, pickle.PickleError) as exc:
        log.warning("reader zygote not started (%s); contained reads fork this process", exc)
        _current = None


def current() -> Zygote | None:
    """This process's zygote, if it started one and it is alive."""
    zygote = _current
    if zygote is None or zygote.dead or zygote.owner != os.getpid() or zygote.process.poll() is not None:
        return None
    return zygote


def stop() -> None:
    global _current
    if _current is not None and _current.owner == os.getpid():
        _current.close()
    _current = None


# -- the zygote's side ---------------------------------------------------------------------------------------
def _serve(sock: socket.socket) -> None:
    children: set[int] = set()
    try:
        while True:
            try:
                message, fds = _receive(sock)
            except EOFError:
                return
            kind = message[0]
            if kind == "path":
                sys.path[:] = message[1]
                for name in PRELOAD:
                    __import__(name)
                _send(sock, ("ready",))
            elif kind == "fork":
                life = message[1]
                child_end = socket.socket(fileno=fds[0])
                mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
                pid = os.fork()
                if pid == 0:
                    sock.close()
                    life(child_end, mask)
                    os._exit(70)  # not reached: a child's life ends in os._exit
                child_end.close()
                children.add(pid)
                _send(sock, ("forked", pid))
            elif kind == "reap":
                pid = message[1]
                status = 0
                if pid in children:
                    children.discard(pid)
                    with contextlib.suppress(ChildProcessError):
                        status = os.waitpid(pid, 0)[1]
                _send(sock, ("status", status))
    finally:
        for pid in children:  # the worker is gone: nothing it started outlives it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the worker's to handle; we end with it
    _serve(socket.socket(fileno=int(argv[0])))


if __name__ == "__main__":
    main(sys.argv[1:])

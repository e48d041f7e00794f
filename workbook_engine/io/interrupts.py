"""SIGTERM and SIGHUP handled like Ctrl-C, and the programs we start stopped with us.

A closing terminal (SIGHUP) or `kill` / a service manager (SIGTERM) would end the process on the spot:
``.part`` files left beside outputs, LibreOffice still converting in the background. The handler raises
``Interrupted`` (a KeyboardInterrupt) instead, so the process unwinds as on Ctrl-C: every ``atomic_path``
removes its temporary file, every child started through ``start_child`` is killed with its own children.
Only the CLI installs the handlers (``install``); a library caller keeps its own signal handling.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
GROUP_EXIT_SECONDS = 5
INTERRUPTED = "已中断；输出文件未被改动，临时文件已删除。"


class Interrupted(KeyboardInterrupt):
    """A terminating signal, turned into the exception Ctrl-C raises."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def install() -> None:
    """Make SIGTERM and SIGHUP raise Interrupted in the main thread (once; a second one is ignored while
    the first is being cleaned up)."""
    for signum in TERMINATING:
        signal.signal(signum, _interrupt)


def _interrupt(signum: int, frame) -> None:
    for other in TERMINATING:
        signal.signal(other, signal.SIG_IGN)  # let the clean-up finish
    raise Interrupted(signum)


def exit_status(exc: BaseException) -> int:
    """128 + the signal number, as a shell reports a process ended by that signal (130 for Ctrl-C)."""
    return 128 + int(getattr(exc, "signum", signal.SIGINT))


def start_child(command: list[str], **options) -> subprocess.Popen:
    """A child process in its own process group, so that ``stop_child`` can end everything it started
    (LibreOffice's soffice starts soffice.bin, which killing the first process alone would leave running)."""
    return subprocess.Popen(command, start_new_session=True, **options)


def stop_child(process: subprocess.Popen) -> None:
    """Kill a child started by ``start_child`` with its whole process group, and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait()
    deadline = time.monotonic() + GROUP_EXIT_SECONDS
    while time.monotonic() < deadline:  # soffice.bin may outlive soffice by a moment: its files go after it
        try:
            os.killpg(process.pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.05)

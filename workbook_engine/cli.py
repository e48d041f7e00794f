"""The `wbe` command: a thin layer over the library (workbook_engine/api.py). Each command parses options,
calls one library function and turns library errors into one clear line on stderr and an exit status
(0 ok, 1 findings or differences, 2 unusable input or usage). Set WBE_DEBUG=1 to see tracebacks of
unexpected errors. The commands live in workbook_engine/_cli/ and import the library only when they run.
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    """Console-script entry point: SIGTERM/SIGHUP are handled like Ctrl-C (io/interrupts.py)."""
    try:
        from .io import interrupts

        interrupts.install()
        from ._cli import app

        app()
    except KeyboardInterrupt as exc:  # Ctrl-C (or SIGTERM/SIGHUP) while Python is still starting up
        from .io.interrupts import exit_status

        sys.stderr.write("已中断。\n")  # nothing was written yet: the commands' own line speaks of outputs
        raise SystemExit(exit_status(exc)) from None


def __getattr__(name: str) -> Any:
    """`from workbook_engine.cli import app` without importing typer for every user of this module."""
    if name == "app":
        from ._cli import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":  # pragma: no cover
    main()

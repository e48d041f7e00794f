"""`python -m workbook_engine` and the `wbe` console script.

Importing the CLI takes a moment; Ctrl-C meanwhile ends quietly with status 130 instead of a traceback.
"""

import sys


def main() -> None:
    try:
        from .cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("已中断。\n")
        raise SystemExit(130) from None
    cli_main()


if __name__ == "__main__":
    main()

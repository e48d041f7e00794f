"""Screenshots of a 运行监控 collection round for docs/collect.md and docs/guide.md, taken by playing the
browser test's round (tests/collect_round_story.py) with Debian's Chromium against a real server:

    python3 docs/make_collect_round_screenshots.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docs.make_collect_screenshots import take
from tests.collect_round_story import play_monitoring


def main() -> None:
    take(play_monitoring)


if __name__ == "__main__":
    main()

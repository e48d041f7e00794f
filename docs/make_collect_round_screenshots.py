"""Screenshots of a 运行监控 collection round for docs/collect.md and docs/guide.md, taken by playing the
browser test's round (tests/collect_round_story.py) with Debian's Chromium against a real server:

    python3 docs/make_collect_round_screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.collect_round_story import play_monitoring
from tests.collect_story import browser_session, collection_site

IMAGES = ROOT / "docs" / "images"


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str) -> None:
        page.screenshot(path=str(IMAGES / f"{name}.png"), full_page=False)
        print(f"docs/images/{name}.png")

    with tempfile.TemporaryDirectory() as folder, collection_site(Path(folder)) as story:
        for browser in browser_session():
            seen = play_monitoring(story, browser, shot)
            for made in seen["contexts"]:
                made.close()


if __name__ == "__main__":
    main()

"""Screenshots of the collection box for docs/guide.md and docs/collect.md, taken by playing the browser
test's story (tests/collect_story.py) with Debian's Chromium against a real server:

    python3 docs/make_collect_screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.collect_story import browser_session, collection_site, play

IMAGES = ROOT / "docs" / "images"


def main() -> None:
    take(play)


def take(story_of) -> None:
    """Play ``story_of(story, browser, shot)`` against a fresh collection site, saving each shot in docs/images."""
    IMAGES.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str) -> None:
        page.screenshot(path=str(IMAGES / f"{name}.png"), full_page=False)
        print(f"docs/images/{name}.png")

    with tempfile.TemporaryDirectory() as folder, collection_site(Path(folder)) as story:
        for browser in browser_session():
            seen = story_of(story, browser, shot)
            for made in seen["contexts"]:
                made.close()


if __name__ == "__main__":
    main()

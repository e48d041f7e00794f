"""The web reaches the library only through api.py (issue 21): web/ imports nothing of workbook_engine below
api but its own modules; the collection box's modules (collection.py, collection_tasks.py) included, through
api.py's "collection box" section. An import still to move behind api.py would be listed here, module by
module (the list may only shrink: a new import below api fails, and so does an entry that is no longer
needed); it is empty."""

from __future__ import annotations

from .test_catalogue import import_graph

ALLOWED = {"workbook_engine", "workbook_engine.api"}

# Not yet behind api.py: none left (the collection box moved behind api.py's box section, issue 21).
STILL_BELOW_API: dict[str, set[str]] = {}


def below_api() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for module, imported in import_graph().items():
        if module == "workbook_engine.web" or module.startswith("workbook_engine.web."):
            outside = {m for m in imported if m not in ALLOWED and not m.startswith("workbook_engine.web")}
            if outside:
                found[module] = outside
    return found


def test_web_imports_the_library_only_through_api() -> None:
    found = below_api()
    new = {m: sorted(i - STILL_BELOW_API.get(m, set())) for m, i in found.items() if i - STILL_BELOW_API.get(m, set())}
    assert new == {}, "web/ imports below api.py (add the function to api.py instead)"


def test_the_list_of_imports_still_below_api_only_shrinks() -> None:
    found = below_api()
    stale = {m: sorted(i - found.get(m, set())) for m, i in STILL_BELOW_API.items() if i - found.get(m, set())}
    assert stale == {}, "remove these entries: the imports are gone"


def test_the_walk_sees_the_web_modules() -> None:
    graph = import_graph()
    assert "workbook_engine.api" in graph["workbook_engine.web.tasks"]
    assert "workbook_engine.web.permissions" in graph["workbook_engine.web.app"]
    assert "workbook_engine.api" in graph["workbook_engine.web.collection"]
    assert "workbook_engine.api" in graph["workbook_engine.web.collection_tasks"]


def test_the_collection_box_is_below_api() -> None:
    """collect/ calls the layers under api.py (never api.py), so that api.py's box section can call collect/
    without a cycle; api.py imports collect/ only inside its functions (start-up stays cheap)."""
    graph = import_graph()
    box = {m for m in graph if m.startswith("workbook_engine.collect")}
    assert {m for m in box if "workbook_engine.api" in graph[m]} == set()
    assert {m for m in graph["workbook_engine.api"] if m.startswith("workbook_engine.collect")} >= {
        "workbook_engine.collect.workflow", "workbook_engine.collect.accounts", "workbook_engine.collect.rounds"}


def test_importing_api_imports_neither_the_box_nor_its_database() -> None:
    import subprocess
    import sys

    code = ("import sys, workbook_engine.api; "
            "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'workbook_engine.collect'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr

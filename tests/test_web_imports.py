"""The web reaches the library only through api.py (issue 21): web/ imports nothing of workbook_engine below
api but its own modules. The imports still to move behind api.py are listed here, module by module (the
list may only shrink: a new import below api fails, and so does an entry that is no longer needed)."""

from __future__ import annotations

from .test_catalogue import import_graph

ALLOWED = {"workbook_engine", "workbook_engine.api"}

# Not yet behind api.py (issue 21, step 2): remove an entry when its module moves.
STILL_BELOW_API: dict[str, set[str]] = {
    # the collection box's modules (branch box)
    "workbook_engine.web.collection": {
        "workbook_engine.collect.accounts", "workbook_engine.collect.workflow", "workbook_engine.collect.board",
        "workbook_engine.collect.initialise", "workbook_engine.collect.models", "workbook_engine.collect.service",
        "workbook_engine.errors", "workbook_engine.collect.county", "workbook_engine.collect.config",
        "workbook_engine.collect.rounds",  # issue 22's rounds: a module of the box, moved with it
        "workbook_engine.collect.library",  # issue 23's box library (api.py cannot import collect/: a cycle)
    },
    "workbook_engine.web.collection_tasks": {"workbook_engine.io.guard", "workbook_engine.collect.workflow",
                                             "workbook_engine.collect.config",
                                             "workbook_engine.collect.rounds"},
}


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

"""A 运行监控 round of the collection box in a real browser (Playwright, Debian's Chromium, a real server),
shared by tests/test_collect_rounds_browser.py and docs/make_collect_round_screenshots.py: the bureau opens
the round with a deadline; two departments whose goals were accepted download their pre-filled 监控表, fill
it in as staff would (openpyxl), upload it, see the findings and submit; the reviewer returns one with an
opinion and accepts the other; the county overview and its workbook. ``shot(page, name)`` is called at each
step worth a picture."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select

from .collect_helpers import department_workbook
from .collect_story import Story, download, log_in, new_page, upload
from .round_forms import fill_monitor

DEADLINE = (date.today() + timedelta(days=30)).isoformat()  # a month to go, whenever the test runs
OPINION = "视频监控全覆盖项目 1-7 月只执行了 20%，落后计划 36 个百分点，请在年度目标执行情况中说明原因和纠偏措施。"


def accept_goals(story: Story) -> None:
    """The 目标申报 round done before July: both departments' goals submitted and accepted (the library, as
    the goals story of tests/collect_story.py does it in the browser)."""
    from workbook_engine.collect import workflow
    from workbook_engine.collect.models import User
    from workbook_engine.collect.service import Collect

    collect = Collect(story.folder / "data")
    try:
        with collect.writer() as session:
            users = {u.username: u for u in session.scalars(select(User))}
            for code in ("450001", "450002"):
                path = department_workbook(story.folder, code, file_name=f"{code}-目标.xlsx")
                made = workflow.upload(collect, session, users[code], path.name, path.read_bytes())
                workflow.submit(session, users[code], made.id)
                workflow.accept(session, users["admin"], made.id)
    finally:
        collect.close()


def play_monitoring(story: Story, browser, shot: Callable[[object, str], None] = lambda page, name: None
                    ) -> dict[str, object]:
    """Run the round; returns what the checks need (page texts, files, submission ids)."""
    seen: dict[str, object] = {}
    accept_goals(story)

    def context():
        return new_page(browser, story, height=900)

    tmp = story.folder
    rev_ctx, rev = context()
    log_in(rev, "admin", story.passwords["admin"])

    # 1. The bureau opens the 运行监控 round with its deadline.
    rev.goto("/board?stage=monitor")
    seen["closed"] = rev.inner_text("#round-info")
    rev.fill("#deadline", DEADLINE)
    rev.click("#open-round")
    rev.wait_for_selector("#round-saved")
    seen["opened"] = rev.inner_text("#round-info")
    shot(rev, "collect-round-open")

    # 2. Each department downloads its pre-filled form, fills it in, uploads it, reads the findings, submits.
    contexts = [rev_ctx]
    pages = {}
    for code, shares, name in (("450001", {1: 0.2}, "乐亭应急-监控表.xlsx"), ("450002", {}, "第二部门-监控表.xlsx")):
        ctx, page = context()
        contexts.append(ctx)
        pages[code] = page
        log_in(page, code, story.passwords[code])
        page.goto("/dept?stage=monitor")
        seen[f"{code}_round_page"] = page.inner_text("#form-step")
        if code == "450001":
            shot(page, "collect-round-department")
        downloaded = download(page, "#download-form", tmp / f"{code}-预填.xlsx")
        story.files[f"{code}_prefilled"] = downloaded
        story.files[f"{code}_filled"] = tmp / name
        seen[f"{code}_typed"] = fill_monitor(downloaded, tmp / name, shares=shares)
        story.versions[code] = upload(page, tmp / name, "/dept?stage=monitor")
        seen[f"{code}_warnings"] = int(page.inner_text("#count-warnings"))
        seen[f"{code}_errors"] = int(page.inner_text("#count-errors"))
        seen[f"{code}_findings"] = page.inner_text("#findings")
        if code == "450001":  # the 监控 sheets' findings: the project far behind its plan
            page.select_option("#f-sheet", "监控项目")
            page.locator("#findings").scroll_into_view_if_needed()
            shot(page, "collect-round-findings")
        page.click("#submit")
        page.wait_for_selector("#submission-state")
        seen[f"{code}_state"] = page.inner_text("#submission-state")

    # 3. The reviewer: the round's board, an opinion and a return for one, the other accepted.
    rev.goto("/board?stage=monitor")
    seen["board"] = rev.inner_text("#board")
    shot(rev, "collect-round-board")
    first = story.versions["450001"]
    rev.goto(f"/s/{first}")
    rev.select_option("#target", "13022524P00CL0E10037L")
    rev.fill("#text", OPINION)
    rev.click("#add-opinion")
    rev.wait_for_selector("#opinion-table")
    rev.click("#return")
    rev.wait_for_selector("#submission-state")
    seen["after_return"] = rev.inner_text("#submission-state")
    rev.goto(f"/s/{story.versions['450002']}")
    rev.click("#accept")
    rev.wait_for_selector("#submission-state")
    seen["after_accept"] = rev.inner_text("#submission-state")

    # 4. The county overview of the round and its workbook.
    rev.goto("/board?stage=monitor")
    rev.click("#overview-link")
    rev.wait_for_selector("#overview-chart svg")
    seen["overview_departments"] = rev.inner_text("#overview-departments")
    seen["overview_projects"] = rev.inner_text("#overview-projects")
    shot(rev, "collect-round-overview")
    rev.locator("#overview-chart").scroll_into_view_if_needed()
    shot(rev, "collect-round-chart")
    story.county = download(rev, "#overview-download", tmp / "运行监控县级汇总.xlsx")

    # 5. The department reads the opinion on its round's page.
    dept = pages["450001"]
    dept.goto("/dept?stage=monitor")
    seen["dept_opinions"] = dept.inner_text("#opinions")
    seen["dept_state"] = dept.inner_text("main")
    shot(dept, "collect-round-returned")
    seen["pages"] = pages
    seen["contexts"] = contexts
    return seen

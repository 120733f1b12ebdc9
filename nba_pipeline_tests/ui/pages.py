"""The Dagster UI in a real browser: one owner for building a small instance, serving it and loading
its pages (the `ui` test and `make screenshots` both use it).

A temporary instance gets one command-line `run` of every phase for one date, then
`dagster-webserver` serves it on a free port with the repo's workspace, in its own process group
(stopped by it, never by name). Headless Chromium is the Debian package, driven by Playwright with
the system browser (no `playwright install`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nba_pipeline.checks import ROWS_WRITTEN
from nba_pipeline.phases import PHASES
from nba_pipeline.phases.quality import COMPLETE, VALID
from nba_pipeline_tests.live.harness import Live, stop_group

DATE = "2024-01-15"
HISTORY = ("2024-01-08", "2024-01-14")  # a week before it, through phase 4: the baseline's averages
BUILT_DATES = 8  # the week and the date (the simulated league plays every one of them)
NOW = "2024-01-16T12:00:00-05:00"
CHROMIUM = os.environ.get("NBA_PIPELINE_CHROMIUM", "/usr/bin/chromium")
LOCATION = "nba_pipeline"
# One table with partitions and checks: the analytics box score.
TABLE = "nba_analytics/player_game_summary"
STATUS = "nba_orchestration/pipeline_status"
# What Dagster's UI shows when a page or a query failed.
ERROR_TEXT = re.compile(
    r"Something went wrong|Unexpected error|An error occurred|Error loading|PythonError|"
    r"could not be loaded|Failed to fetch|\bError\b"
)


@dataclass(frozen=True)
class Page:
    name: str  # also the screenshot's file name
    path: str
    expect: tuple[str, ...]  # texts that must all be on the page
    absent: tuple[str, ...] = ()  # texts that must not be


def pages() -> list[Page]:
    groups = [
        Page(
            f"lineage_{p.group}",
            f"/locations/{LOCATION}/asset-groups/{p.group}/lineage",
            (p.group,),
        )
        for p in PHASES
    ]
    return [
        *groups,
        Page(
            "asset_partitions",
            f"/assets/{TABLE}?view=partitions",
            ("player_game_summary", f"Materialized ({BUILT_DATES})"),
        ),
        Page(
            "asset_checks",
            f"/assets/{TABLE}?view=checks",
            ("player_game_summary", "Checks (4)", ROWS_WRITTEN, COMPLETE, VALID, "players_match_gamebook"),
        ),
        Page(
            "pipeline_status",
            f"/assets/{STATUS}",
            ("pipeline_status", "Where the date stands", "phase6_export"),
            ("Never materialized",),
        ),
    ]


def chromium_missing() -> str | None:
    """Why the browser cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


def build(home: Path) -> Live:
    """A temporary instance built with the command line: a week through phase 4, then every phase
    of the date without the months of history a model would learn from (`run --history off`: the
    week gives the baseline its averages, so it predicts and the export and the status chart are
    written; with no history at all phase 5 writes nothing and phase 6 is held)."""
    live = Live.at(home, NBA_PIPELINE_NOW=NOW)
    start, end = HISTORY
    for argv in (
        ("backfill", "--start", start, "--end", end, "--through", "4", "--json"),
        ("run", "--date", DATE, "--history", "off", "--json"),
    ):
        done = live.cli(*argv, timeout=600)
        assert done.returncode == 0, f"`nba-pipeline {argv[0]}` failed:\n{done.stdout}\n{done.stderr}"
    return live


@contextmanager
def webserver(live: Live) -> Iterator[Live]:
    """`dagster-webserver` on a free port, on the live instance; stopped by its process group."""
    proc = live.start_webserver()
    try:
        yield live
    finally:
        stop_group(proc)


@contextmanager
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            context = chromium.new_context(viewport={"width": 1440, "height": 900})
            yield context
        finally:
            chromium.close()


def visit(context, port: int, page: Page, screenshot: Path | None = None, timeout: float = 60) -> str:
    """Load a page, wait until every expected text shows, fail on an error; return the page's text."""
    tab = context.new_page()
    crashes: list[str] = []
    tab.on("pageerror", lambda e: crashes.append(str(e)))
    try:
        tab.goto(f"http://127.0.0.1:{port}{page.path}", wait_until="domcontentloaded")
        deadline = time.monotonic() + timeout
        while True:
            text = tab.inner_text("body")
            missing = [t for t in page.expect if t not in text]
            error = ERROR_TEXT.search(text)
            if error:
                raise AssertionError(f"{page.name}: the page shows {error.group(0)!r}:\n{text[:2000]}")
            if crashes:
                raise AssertionError(f"{page.name}: the page raised {crashes}")
            if not missing:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{page.name}: never showed {missing}:\n{text[:2000]}")
            tab.wait_for_timeout(500)
        tab.wait_for_load_state("networkidle", timeout=timeout * 1000)
        skip = tab.get_by_role("button", name="Skip")  # the "Join the Dagster community" dialog
        if skip.count():
            skip.first.click()
        tab.wait_for_timeout(3000)  # the lineage graph lays itself out after its data arrives
        text = tab.inner_text("body")
        error = ERROR_TEXT.search(text)
        assert not error, f"{page.name}: the page shows {error.group(0)!r}:\n{text[:2000]}"
        if screenshot is not None:
            tab.screenshot(path=str(screenshot))
        return text
    finally:
        tab.close()

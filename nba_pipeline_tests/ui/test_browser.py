"""The Dagster UI, loaded in headless Chromium over a real webserver on an instance built by the
command line: every phase group's lineage, one table's partitions and checks, the status asset.

Skipped with the reason when Chromium or Playwright is absent; a failure in CI, where `.ci/run`
installs them.
"""

from __future__ import annotations

import pytest

from nba_pipeline.phases import PHASES
from nba_pipeline_tests.conftest import IN_CI
from nba_pipeline_tests.ui import pages as ui

pytestmark = [pytest.mark.ui, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    missing = ui.chromium_missing()
    if missing and IN_CI:
        pytest.fail(f"the browser test must run in CI: {missing}")
    if missing:
        pytest.skip(f"browser test skipped: {missing}")
    live = ui.build(tmp_path_factory.mktemp("ui") / "nba")
    with ui.webserver(live), ui.browser() as context:
        yield live, context


@pytest.mark.parametrize("page", ui.pages(), ids=lambda p: p.name)
def test_the_page_shows_what_it_should_and_no_error(served, page):
    live, context = served
    text = ui.visit(context, live.port, page)
    assert all(t in text for t in page.expect)
    assert not any(t in text for t in page.absent)


def test_every_phase_group_has_its_lineage_page(served):
    # One page per group, each naming its group; the six groups are the six phases.
    names = {p.name for p in ui.pages()}
    assert {f"lineage_{p.group}" for p in PHASES} <= names
    assert len(PHASES) == 6

"""Shared fixtures: an isolated data directory per test, the real season CSV, payload fixtures."""

from __future__ import annotations

import contextlib
import io
import json
import os
from datetime import date
from pathlib import Path

import pytest

from nba_pipeline.environment import REAL_SEASONS_DIR, load_settings

FIXTURES = Path(__file__).parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() == "true"
DEMO_DATE = date(2024, 1, 15)
DEMO_NOW = "2024-01-16T12:00:00-05:00"  # the morning after: every game of the demo date is final


def fixture_json(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def require_real(path: Path = REAL_SEASONS_DIR / "player_logs_2023-24.csv") -> Path:
    """A real season file (default 2023-24) or the folder of them: skipped with the reason when absent,
    a failure in CI where it must be."""
    if path.exists():
        return path
    if IN_CI:
        pytest.fail(f"the real season data must be present in CI: {path}")
    pytest.skip(f"real season data absent ({path}); tests on real data skipped")


def require_real_csv() -> Path:
    return require_real()


@pytest.fixture
def real_csv() -> Path:
    return require_real_csv()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    """No test sees the developer's NBA_PIPELINE_* variables or Dagster instance."""
    for name in list(os.environ):
        if name.startswith("NBA_PIPELINE_") or name == "DAGSTER_HOME":
            monkeypatch.delenv(name)
    monkeypatch.setenv("NBA_PIPELINE_HOME", str(tmp_path / "nba"))


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "nba"


@pytest.fixture
def make_settings(home):
    def _make(**overrides):
        overrides.setdefault("now", DEMO_NOW)
        return load_settings(environ={}, home=str(home), **overrides)

    return _make


@contextlib.contextmanager
def environment(**values: str):
    """Set these variables for the block (session and module fixtures cannot use monkeypatch)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


def cli_json(*argv: str) -> tuple[int, dict]:
    """`nba-pipeline ARGV --json` in this process: its exit status and its report."""
    from nba_pipeline import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main([*argv, "--json"])
    return code, json.loads(out.getvalue())


@pytest.fixture(scope="session")
def season_home(tmp_path_factory) -> Path:
    """A data directory where `nba-pipeline run --date DEMO_DATE` has run: 90 days of simulated
    history through phase 4, the week's model, and all six phases for the demo date. Built once;
    tests that change it work on a copy (`season_copy`). The run's report is kept beside it."""
    home = tmp_path_factory.mktemp("season") / "nba"
    with environment(NBA_PIPELINE_HOME=str(home), NBA_PIPELINE_NOW=DEMO_NOW):
        code, report = cli_json("run", "--date", DEMO_DATE.isoformat())
    assert code == 0
    (home.parent / "run.json").write_text(json.dumps(report))  # for test_cli
    return home


@pytest.fixture
def season_copy(season_home, tmp_path) -> Path:
    import shutil

    copy = tmp_path / "season"
    shutil.copytree(season_home, copy)
    return copy


SHARED_WORKER = {"live": "wall_clock", "ui": "wall_clock", "prod": "prod_stack"}


@pytest.hookimpl(wrapper=True)  # before every plugin's own: xdist reads the groups in its
def pytest_collection_modifyitems(config, items):
    """`make test` runs on two workers (xdist, --dist loadgroup). A module stays on one worker, so its
    module fixtures are built once; every module that reads the season fixture shares a worker, so the
    season is built once; the tests on the wall clock (a real daemon, a browser) share one, so no two
    daemons race each other for the CPU; the production stack's tests share its services."""
    season = {
        item.module.__name__ for item in items if {"season_home", "season_copy"} & set(item.fixturenames)
    }
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        if item.module.__name__ in season:
            group = "season"
        else:
            group = SHARED_WORKER.get(item.path.parent.name, item.module.__name__)
        item.add_marker(pytest.mark.xdist_group(group))
    yield
    if getattr(config.option, "loadgroup", False) and items and "@" not in items[0].nodeid:
        raise pytest.UsageError("xdist's loadgroup ignored the groups (pytest-dev/pytest-xdist#1386)")

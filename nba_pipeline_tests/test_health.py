"""`nba-pipeline health` and the pre-flight checks the fallback schedules run before triggering."""

from __future__ import annotations

import json

from nba_pipeline import cli
from nba_pipeline.partitions import et_datetime
from nba_pipeline.runner import ensure_instance
from nba_pipeline_tests.conftest import DEMO_DATE, FIXTURES
from nba_pipeline_tests.orchestration.driver import Driver


def health(capsys, *args) -> tuple[int, dict]:
    code = cli.main(["health", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def rows(report: dict) -> dict[str, str]:
    return {c["name"]: c["status"] for c in report["checks"]}


def test_the_embedded_platform_is_healthy(capsys):
    code, report = health(capsys)
    assert code == 0 and report["healthy"] is True
    assert rows(report) == {
        "source sim": "ok",
        "warehouse": "ok",
        "coordination store": "ok",
        "signal bus": "ok",
    }
    assert all(c["latency_ms"] >= 0 for c in report["checks"])


def test_recorded_real_sources_with_their_key_are_healthy(capsys, monkeypatch):
    monkeypatch.setenv("NBA_PIPELINE_HTTP_RECORDINGS", str(FIXTURES / "http" / "day_2025-03-15"))
    monkeypatch.setenv("NBA_PIPELINE_ODDS_API_KEY", "recorded")
    code, report = health(capsys, "--source", "nba")
    assert code == 0, report
    assert rows(report) == {
        "source NBA.com (recorded)": "ok",
        "source The Odds API (recorded)": "ok",
        "source NBA injury report (recorded)": "ok",
        "key NBA_PIPELINE_ODDS_API_KEY": "ok",
        "warehouse": "ok",
        "coordination store": "ok",
        "signal bus": "ok",
    }
    details = {c["name"]: c["detail"] for c in report["checks"]}
    assert (
        details["source The Odds API (recorded)"] == "5 recordings of api.the-odds-api.com"
    )  # the events list and 4 events
    assert "recorded" not in json.dumps(report).replace("(recorded)", "")  # the key's value is never shown


def test_missing_recordings_a_missing_key_and_a_broken_warehouse_are_unhealthy(
    capsys, monkeypatch, tmp_path, home
):
    empty = tmp_path / "recordings"
    empty.mkdir()
    (home / "warehouse.duckdb").mkdir(parents=True)  # a folder where the DuckDB file should be
    monkeypatch.setenv("NBA_PIPELINE_HTTP_RECORDINGS", str(empty))
    code, report = health(capsys, "--source", "nba")
    assert code == 2 and report["healthy"] is False
    assert rows(report) == {
        "source NBA.com (recorded)": "fail",
        "source The Odds API": "off",
        "source NBA injury report (recorded)": "fail",
        "key NBA_PIPELINE_ODDS_API_KEY": "fail",
        "warehouse": "fail",
        "coordination store": "ok",
        "signal bus": "ok",
    }
    details = {c["name"]: c["detail"] for c in report["checks"]}
    assert (
        details["source NBA.com (recorded)"]
        == f"LookupError: no recordings for stats.nba.com or cdn.nba.com in {empty}"
    )
    assert "NBA_PIPELINE_DISABLED_FEEDS=prop_lines" in details["key NBA_PIPELINE_ODDS_API_KEY"]


def test_switching_lines_off_on_purpose_is_healthy(capsys, monkeypatch):
    monkeypatch.setenv("NBA_PIPELINE_HTTP_RECORDINGS", str(FIXTURES / "http" / "day_2025-03-15"))
    monkeypatch.setenv("NBA_PIPELINE_DISABLED_FEEDS", "prop_lines")
    code, report = health(capsys, "--source", "nba")
    assert code == 0 and rows(report)["key NBA_PIPELINE_ODDS_API_KEY"] == "off"


def test_a_fallback_schedule_does_not_trigger_while_the_warehouse_is_down(make_settings, home):
    settings = make_settings()
    (home / "warehouse.duckdb").mkdir(parents=True)
    driver = Driver(settings, ensure_instance(settings), et_datetime(DEMO_DATE, 6, 0))
    try:
        skipped = driver.schedule("overnight_analytics_schedule", et_datetime(DEMO_DATE, 6, 0))
    finally:
        driver.instance.dispose()
    assert isinstance(skipped, str) and skipped.startswith("pre-flight failed: warehouse: ")
    assert driver.launched == []

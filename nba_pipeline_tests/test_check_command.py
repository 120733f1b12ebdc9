"""`nba-pipeline check`: the JSON contract, the human table, bad input, and the check log."""

from __future__ import annotations

import json

import duckdb
import pytest

from nba_pipeline import cli
from nba_pipeline.modes import Mode
from nba_pipeline.orchestration.dependency import check
from nba_pipeline.orchestration.store import make_store
from nba_pipeline.resources.warehouse import DuckDBWarehouse
from nba_pipeline.runner import active_feeds, run_phases
from nba_pipeline_tests.conftest import DEMO_DATE

TABLE_KEYS = {
    "table",
    "expected",
    "found",
    "completeness",
    "freshness_seconds",
    "validity",
    "quality",
    "status",
    "critical",
    "history",
    "issues",
}


@pytest.fixture
def raw_loaded(make_settings, monkeypatch):
    """Phases 1-2 for the demo date, checked the morning after."""
    settings = make_settings()
    run_phases(settings, DEMO_DATE, DEMO_DATE, 2, "overnight", "schedule", "t")
    monkeypatch.setenv("NBA_PIPELINE_NOW", settings.now.isoformat())
    return settings


def log_rows(settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(
            "select check_id, table_name, expected, found, decision from nba_orchestration.dependency_check_log "
            "order by check_id, table_name"
        ).fetchall()


def test_json_has_every_field_with_games_as_the_unit(raw_loaded, capsys):
    assert cli.main(["check", "--date", "2024-01-15", "--phase", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {
        "date",
        "phase",
        "mode",
        "decision",
        "completeness",
        "optional_coverage",
        "quality",
        "reasons",
    } <= set(report)
    assert (report["date"], report["phase"], report["mode"], report["decision"]) == (
        "2024-01-15",
        3,
        "overnight",  # the morning after, by the ET date rule
        "PROCEED",
    )
    assert all(set(t) == TABLE_KEYS for t in report["tables"])
    gamebook = next(t for t in report["tables"] if t["table"] == "nbac_gamebook_player_stats")
    assert (gamebook["expected"], gamebook["found"], gamebook["completeness"], gamebook["status"]) == (
        10,
        10,
        1.0,
        "COMPLETE",
    )
    assert gamebook["critical"] is True and 0 <= gamebook["quality"] <= 1


def test_a_wait_exits_zero_and_the_table_is_printed(raw_loaded, capsys):
    # Phase 4 has nothing yet: the decision is not PROCEED, and that is an answer, not an error.
    assert cli.main(["check", "--date", "2024-01-15", "--phase", "4", "--mode", "overnight"]) == 0
    out = capsys.readouterr().out
    assert "WAIT" in out and "upcoming_player_game_context" in out and "0/10" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--date", "2024-13-01", "--phase", "3"], "invalid date '2024-13-01': expected YYYY-MM-DD"),
        (["--date", "2024-01-15", "--phase", "2"], "--phase 2: readiness is checked for phases 3-6"),
        (["--date", "2024-01-15", "--phase", "3", "--mode", "sometimes"], "unknown mode 'sometimes'"),
        (["--date", "2019-01-15", "--phase", "3"], "2019-01-15"),
    ],
)
def test_bad_input_is_one_line_and_exit_two(argv, message, capsys, home):
    assert cli.main(["check", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert not (home / "warehouse.duckdb").exists()  # nothing written before the input was checked


def test_every_evaluation_is_logged_once_per_table(raw_loaded, capsys):
    for _ in range(2):
        assert cli.main(["check", "--date", "2024-01-15", "--phase", "3", "--json"]) == 0
    rows = log_rows(raw_loaded)
    assert len(rows) == 10 and len({r[0] for r in rows}) == 2  # two checks x five upstream tables
    assert {r[1] for r in rows} == {
        "nbac_schedule",
        "nbac_gamebook_player_stats",
        "nbac_team_boxscore",
        "nbac_injury_report",
        "odds_api_player_points_props",
    }
    assert {(r[2], r[3], r[4]) for r in rows} == {(10, 10, "PROCEED")}


def test_a_retried_evaluation_rewrites_its_own_rows(raw_loaded):
    settings = raw_loaded
    warehouse, store = DuckDBWarehouse(settings.warehouse_path), make_store(settings.state_dir)
    for _ in range(3):  # the same evaluation (correlation id, phase, date, mode, time) delivered three times
        check(
            warehouse, store, 3, [DEMO_DATE], Mode.OVERNIGHT, settings.now, active_feeds(settings), "corr-1"
        )
    rows = log_rows(settings)
    assert len(rows) == 5 and len({r[0] for r in rows}) == 1

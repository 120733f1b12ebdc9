"""DOMAIN §8 regressions for readiness (items 1, 2, 3, 4, 5, 13), each driven by a fault scenario of the
simulated league: the pipeline runs through Dagster, its asset checks record what they saw, and
`nba-pipeline check --json` gives the decision a data engineer would see."""

from __future__ import annotations

import json
from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest

from nba_pipeline import cli
from nba_pipeline.checks import ERROR, WARN, latest_evaluations
from nba_pipeline.environment import load_settings
from nba_pipeline.runner import ensure_instance, run_phases
from nba_pipeline.tags import DEGRADED, DEGRADED_INPUTS
from nba_pipeline_tests.conftest import DEMO_DATE, DEMO_NOW

NEXT = DEMO_DATE + timedelta(days=1)  # 3 games; in the morning nothing is final yet
MORNING = "2024-01-16T10:00:00-05:00"
GAMEBOOK = dg.AssetKey(["nba_raw", "nbac_gamebook_player_stats"])
PROPS = dg.AssetKey(["nba_raw", "odds_api_player_points_props"])


@pytest.fixture
def check(capsys, monkeypatch):
    """`nba-pipeline check --json` against a data directory, at a clock time."""

    def _check(home, phase: int, mode: str, day: date = DEMO_DATE, now: str = DEMO_NOW, *extra: str) -> dict:
        monkeypatch.setenv("NBA_PIPELINE_HOME", str(home))
        monkeypatch.setenv("NBA_PIPELINE_NOW", now)
        capsys.readouterr()
        argv = ["check", "--date", day.isoformat(), "--phase", str(phase), "--mode", mode, "--json", *extra]
        assert cli.main(argv) == 0
        return json.loads(capsys.readouterr().out)

    return _check


def tables(report: dict) -> dict[str, tuple]:
    return {t["table"]: (t["expected"], t["found"], t["status"]) for t in report["tables"]}


def evaluation(settings, key: dg.AssetKey, name: str, day: date):
    with ensure_instance(settings) as instance:
        return latest_evaluations(instance, key, (name,), day)[name]


def test_item_1_partial_box_scores_are_never_complete(make_settings, home, check):
    settings = make_settings(scenario="partial_boxscores")
    scrape, raw = run_phases(settings, DEMO_DATE, DEMO_DATE, 2, "overnight", "schedule", "t")
    assert raw.status == "failed"  # the gamebook's blocking completeness check failed
    complete = evaluation(settings, GAMEBOOK, "complete", DEMO_DATE)
    assert (complete.passed, complete.severity) == (False, ERROR)
    meta = {k: v.value for k, v in complete.metadata.items()}
    assert (meta["games_expected"], meta["games_covered"], meta["completeness"]) == (10, 3, 0.3)

    overnight = check(home, 3, "overnight", DEMO_DATE, DEMO_NOW)
    assert (overnight["decision"], overnight["completeness"]) == ("WAIT", 0.3)
    assert tables(overnight)["nbac_gamebook_player_stats"] == (10, 3, "DEGRADED")
    assert overnight["recheck_at"] == "2024-01-16T12:10:00-05:00"
    backfill = check(home, 3, "backfill", DEMO_DATE, DEMO_NOW)
    assert backfill["decision"] == "FAIL"
    assert backfill["reasons"][0].startswith("backfill needs 100% complete")

    (analytics,) = run_phases(settings, DEMO_DATE, DEMO_DATE, 3, "overnight", "schedule", "t", first=3)
    assert (analytics.status, analytics.decisions) == ("held", {DEMO_DATE.isoformat(): "WAIT"})


def test_item_2_one_missing_optional_analytics_table_does_not_block_phase_4(season_copy, check):
    settings = load_settings(environ={}, home=str(season_copy), now=DEMO_NOW)
    with duckdb.connect(str(settings.warehouse_path)) as con:  # its processor failed for the date
        con.execute("delete from nba_analytics.upcoming_team_game_context where game_date = ?", [DEMO_DATE])
    report = check(season_copy, 4, "overnight")
    assert report["decision"] == "PROCEED_DEGRADED"
    assert "optional inputs missing: upcoming_team_game_context" in report["reasons"][0]
    assert tables(report)["upcoming_team_game_context"] == (10, 0, "MISSING")

    (precompute,) = run_phases(settings, DEMO_DATE, DEMO_DATE, 4, "overnight", "schedule", "t", first=4)
    assert (precompute.status, precompute.decisions) == (
        "success",
        {DEMO_DATE.isoformat(): "PROCEED_DEGRADED"},
    )
    with ensure_instance(settings) as instance:
        tags = instance.get_run_by_id(precompute.run_ids[0]).tags
    assert (tags[DEGRADED], tags[DEGRADED_INPUTS]) == ("true", "upcoming_team_game_context")


def test_item_3_same_day_contexts_alone_let_phase_4_proceed(season_copy, check):
    settings = load_settings(environ={}, home=str(season_copy), now=MORNING)
    outcomes = run_phases(settings, NEXT, NEXT, 3, "same_day", "schedule", "t")
    assert [o.status for o in outcomes] == ["success"] * 3
    rows = {a.asset: a.rows for a in outcomes[2].assets}
    # Before the games only the two contexts have rows; the game summaries expect none yet.
    assert rows["nba_analytics/player_game_summary"] == 0
    assert (
        rows["nba_analytics/upcoming_player_game_context"] > 0
        and rows["nba_analytics/upcoming_team_game_context"] == 6
    )

    report = check(season_copy, 4, "same_day", NEXT, MORNING)
    assert report["decision"] == "PROCEED"
    assert tables(report)["upcoming_player_game_context"] == (3, 3, "COMPLETE")
    assert tables(report)["player_game_summary"] == (10, 10, "COMPLETE")  # the previous game date's
    (precompute,) = run_phases(settings, NEXT, NEXT, 4, "same_day", "schedule", "t", first=4)
    assert (precompute.status, precompute.decisions) == ("success", {NEXT.isoformat(): "PROCEED"})


def test_item_4_lines_not_yet_published_wait_then_proceed_when_they_land(season_copy, check):
    scenario = f"lines_not_published@{NEXT}"
    early = load_settings(environ={}, home=str(season_copy), now=MORNING, scenario=scenario)
    *_, analytics = run_phases(early, NEXT, NEXT, 3, "same_day", "schedule", "t")
    assert (analytics.status, analytics.decisions) == ("held", {NEXT.isoformat(): "WAIT"})
    report = check(season_copy, 3, "same_day", NEXT, MORNING)
    assert report["decision"] == "WAIT"
    assert tables(report)["odds_api_player_points_props"] == (3, 0, "MISSING")
    assert report["recheck_at"] == "2024-01-16T10:05:00-05:00"  # same day re-checks every 5 minutes

    landed = load_settings(environ={}, home=str(season_copy), now="2024-01-16T10:30:00-05:00")
    *_, analytics = run_phases(landed, NEXT, NEXT, 3, "same_day", "schedule", "t")
    assert (analytics.status, analytics.decisions) == ("success", {NEXT.isoformat(): "PROCEED"})
    with duckdb.connect(str(landed.warehouse_path), read_only=True) as con:
        players, with_line = con.execute(
            "select count(*), count(*) filter (where has_prop_line) "
            "from nba_analytics.upcoming_player_game_context where game_date = ?",
            [NEXT],
        ).fetchone()
    assert players > 40 and with_line > players / 2  # every team's players, most with a line


def test_item_5_a_switched_off_source_is_no_longer_waited_for(make_settings, home, check, monkeypatch):
    run_phases(make_settings(scenario="source_off"), DEMO_DATE, DEMO_DATE, 2, "overnight", "schedule", "t")
    waiting = check(home, 3, "overnight", DEMO_DATE, DEMO_NOW)
    assert waiting["decision"] == "WAIT"
    assert waiting["reasons"][0].startswith("waiting for optional inputs nbac_injury_report")
    # A give-up time always ends a wait: six hours later (overnight) the same check fails, once.
    later = check(home, 3, "overnight", DEMO_DATE, "2024-01-16T18:00:00-05:00")
    assert later["decision"] == "FAIL" and "gave up waiting after 6:00:00" in later["reasons"][1]

    switched_off = make_settings(scenario="source_off", disabled_feeds="injury_report")
    (analytics,) = run_phases(switched_off, DEMO_DATE, DEMO_DATE, 3, "overnight", "schedule", "t", first=3)
    assert (analytics.status, analytics.decisions) == ("success", {DEMO_DATE.isoformat(): "PROCEED"})
    monkeypatch.setenv("NBA_PIPELINE_DISABLED_FEEDS", "injury_report")
    report = check(home, 3, "overnight", DEMO_DATE, DEMO_NOW)
    assert report["decision"] == "PROCEED" and "nbac_injury_report" not in tables(report)


def test_item_13_a_zero_row_write_fails_its_check(make_settings):
    settings = make_settings(scenario="lines_not_published")
    scrape, raw = run_phases(settings, DEMO_DATE, DEMO_DATE, 2, "overnight", "schedule", "t")
    assert raw.status == "success"  # an optional feed warns; it never blocks the pipeline
    (props,) = [a for a in raw.assets if a.asset == PROPS.to_user_string()]
    assert (props.rows, props.checks_failed, props.checks_warned) == (0, 2, 2)
    zero = evaluation(settings, PROPS, "rows_written", DEMO_DATE)
    assert (zero.passed, zero.severity) == (False, WARN)
    assert {k: v.value for k, v in zero.metadata.items()}["games_expected"] == 10

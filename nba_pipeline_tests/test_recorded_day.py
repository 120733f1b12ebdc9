"""A real game date end to end through `--source nba` with no network: `run --date 2024-01-15`
against HTTP recordings built from the real season (nba_pipeline_tests/recorded_day.py). Every phase
runs; the raw rows are the recorded box scores — games, players, points —, the lines join NBA.com's
players, and the feed is exported. And with no recordings at all, each feed fails in one line and
nothing reaches the raw tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nba_pipeline.phases.analytics.tables import PLAYER_GAME_SUMMARY
from nba_pipeline.phases.raw.tables import GAMEBOOK, PROPS, SCHEDULE, TEAM_BOXSCORE
from nba_pipeline.resources.warehouse import DuckDBWarehouse, read_dates
from nba_pipeline_tests.conftest import DEMO_DATE, DEMO_NOW, cli_json, environment, require_real_csv
from nba_pipeline_tests.recorded_day import build


def run_json(*args: str) -> tuple[int, dict]:
    return cli_json("run", "--date", DEMO_DATE.isoformat(), "--source", "nba", *args)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    csv = require_real_csv()
    root = tmp_path_factory.mktemp("recorded_day")
    held = build(root / "recordings", csv, DEMO_DATE)
    env = {
        "NBA_PIPELINE_HOME": str(root / "nba"),
        "NBA_PIPELINE_NOW": DEMO_NOW,
        "NBA_PIPELINE_HTTP_RECORDINGS": str(root / "recordings"),
        "NBA_PIPELINE_ODDS_API_KEY": "recorded",
        "NBA_PIPELINE_DISABLED_FEEDS": "injury_report",  # no real injury report may be shipped
    }
    with environment(**env):
        code, report = run_json()
    return held, code, report, DuckDBWarehouse(root / "nba" / "warehouse.duckdb")


@pytest.mark.real_data
@pytest.mark.slow
def test_a_recorded_real_day_runs_every_phase_and_exports(recorded):
    held, code, report, _ = recorded
    assert code == 0
    assert [(p["phase"], p["status"]) for p in report["phases"]] == [(n, "success") for n in range(1, 7)]
    assert all(not p["errors"] for p in report["phases"])
    assert [p["status"] for p in report["history"]["phases"]][:3] == ["success"] * 3
    assert set(report["exports"]) == {"tonight", "predictions", "results", "status"}
    tonight = json.loads(Path(report["exports"]["tonight"]).read_text())
    assert len(tonight["games"]) == 11 and tonight["total_with_lines"] > 0
    assert set(report["predictions"]) == {"moving_average_baseline", "points_model_lgbm"}


@pytest.mark.real_data
@pytest.mark.slow
def test_the_raw_rows_are_the_recorded_box_scores(recorded):
    held, _, _, warehouse = recorded
    schedule = read_dates(warehouse, SCHEDULE, DEMO_DATE, DEMO_DATE)
    assert sorted(schedule.nba_game_id) == held["games"] and len(held["games"]) == 11
    gamebook = read_dates(warehouse, GAMEBOOK, DEMO_DATE, DEMO_DATE)
    assert len(gamebook) == held["players"] == 229
    points = {(r.nba_game_id, r.player_name): int(r.points) for r in gamebook.itertuples()}
    assert points == held["points"]
    assert points[("0022300555", "Joel Embiid")] == 41  # HOU @ PHI, 2024-01-15
    teams = read_dates(warehouse, TEAM_BOXSCORE, DEMO_DATE, DEMO_DATE)
    by_team = teams.set_index(["nba_game_id", "team_abbr"]).points.to_dict()
    finals = {
        **schedule.set_index(["nba_game_id", "home_team_abbr"]).home_score.to_dict(),
        **schedule.set_index(["nba_game_id", "away_team_abbr"]).away_score.to_dict(),
    }
    assert by_team == finals and len(by_team) == 22


@pytest.mark.real_data
@pytest.mark.slow
def test_the_lines_join_the_players(recorded):
    held, _, _, warehouse = recorded
    props = read_dates(warehouse, PROPS, DEMO_DATE, DEMO_DATE)
    assert len(props) == held["lines"] and props.bookmaker.value_counts().to_dict() == {
        "fanduel": held["lines"] // 2,
        "draftkings": held["lines"] // 2,
    }
    summary = read_dates(warehouse, PLAYER_GAME_SUMMARY, DEMO_DATE, DEMO_DATE)
    joined = summary[summary.points_line.notna()]
    assert set(joined.player_lookup) == set(props.player_lookup)  # every book's name found its player
    assert "Jabari Smith Jr" in set(props.player_name) and "Jabari Smith Jr." not in set(
        props.player_name
    )  # books
    assert {"jabarismith", "joelembiid"} <= set(joined.player_lookup)  # NBA.com: "Jabari Smith Jr."


def test_no_recordings_fail_each_feed_in_one_line_and_write_no_rows(tmp_path, monkeypatch, home):
    empty = tmp_path / "recordings"
    empty.mkdir()
    monkeypatch.setenv("NBA_PIPELINE_HTTP_RECORDINGS", str(empty))
    monkeypatch.setenv("NBA_PIPELINE_ODDS_API_KEY", "recorded")
    monkeypatch.setenv("NBA_PIPELINE_NOW", DEMO_NOW)
    code, report = run_json("--through", "2")
    assert code == 3  # every run finished, and runs failed for some dates: named (README, exit statuses)
    phase1, phase2 = report["phases"]
    assert phase1["status"] == "failed"
    lines = sorted(phase1["errors"])
    assert [line.split(":", 1)[0] for line in lines] == [
        "landing__boxscores",
        "landing__injury_report",
        "landing__prop_lines",
        "landing__schedule",
    ]
    assert all("\n" not in line and "no recording for GET" in line for line in lines)
    assert lines[2].startswith(
        "landing__prop_lines: prop_lines for 2024-01-15: The Odds API: api.the-odds-api.com/v4/sports/basketball_nba/events"
    )
    assert lines[3].startswith(
        "landing__schedule: schedule for 2024-01-15: NBA.com stats: stats.nba.com/stats/scheduleleaguev2"
    )
    warehouse = DuckDBWarehouse(home / "warehouse.duckdb")
    for table in (SCHEDULE, GAMEBOOK, TEAM_BOXSCORE, PROPS):
        assert read_dates(warehouse, table, DEMO_DATE, DEMO_DATE).empty, table.name
    assert "recorded" not in json.dumps(report)  # the key is in no output


def test_past_dates_of_the_real_source_expect_no_lines(make_settings):
    from nba_pipeline.cli.run import history_settings

    nba = history_settings(make_settings(source="nba", disabled_feeds="injury_report"))
    assert nba.disabled_feeds == {"injury_report", "prop_lines"}
    sim = make_settings()
    assert history_settings(sim) is sim  # the simulated league has lines for every date

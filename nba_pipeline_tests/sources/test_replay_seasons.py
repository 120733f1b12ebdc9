"""Both shared real seasons replay exactly: one `backfill --through 2 --source replay` each, and every
date's games, player rows and points in the warehouse equal the file's."""

import json
from datetime import date

import duckdb
import pandas as pd
import pytest

from nba_pipeline import cli
from nba_pipeline.environment import REAL_SEASONS_DIR
from nba_pipeline_tests.conftest import require_real

# From the files (../shared/data/nba/README.md): first and last date, dates, games, player rows.
SEASONS = {
    "2021-22": (date(2021, 10, 19), date(2022, 4, 10), 165, 1230, 26_039),
    "2023-24": (date(2023, 10, 24), date(2024, 4, 14), 160, 1230, 26_401),
}


def warehouse(home, query):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(query).df()


@pytest.mark.slow
@pytest.mark.real_data
@pytest.mark.parametrize("season", sorted(SEASONS))
def test_a_real_season_replays_exactly_through_phases_1_and_2(season, home, monkeypatch, capsys):
    csv = require_real(REAL_SEASONS_DIR / f"player_logs_{season}.csv")
    first, last, n_dates, n_games, n_rows = SEASONS[season]
    monkeypatch.setenv("NBA_PIPELINE_NOW", "2024-06-01T12:00:00-04:00")  # every game final
    argv = ["backfill", "--start", f"{first}", "--end", f"{last}", "--through", "2"]
    assert cli.main([*argv, "--source", "replay", "--replay-csv", str(csv), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(p["phase"], p["status"], p["errors"]) for p in report["phases"]] == [
        (1, "success", []),
        (2, "success", []),
    ]
    assert len(report["phases"][1]["run_ids"]) == 1  # one run for the whole season

    rows = pd.read_csv(csv, dtype={"GAME_ID": str})
    rows["game_date"] = pd.to_datetime(rows.GAME_DATE).dt.date
    assert (rows.game_date.nunique(), rows.GAME_ID.nunique(), len(rows)) == (n_dates, n_games, n_rows)
    expected = rows.groupby("game_date").agg(
        games=("GAME_ID", "nunique"), rows=("PTS", "size"), points=("PTS", "sum")
    )

    gamebook = warehouse(home, "select * from nba_raw.nbac_gamebook_player_stats")
    gamebook["game_date"] = pd.to_datetime(gamebook.game_date).dt.date
    got = gamebook.groupby("game_date").agg(
        games=("nba_game_id", "nunique"), rows=("points", "size"), points=("points", "sum")
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    # every player-game's points and minutes are the file's own
    joined = rows.merge(
        gamebook, left_on=["GAME_ID", "PLAYER_ID"], right_on=["nba_game_id", "player_id"], validate="1:1"
    )
    assert len(joined) == n_rows
    assert (joined.points == joined.PTS).all() and (joined.minutes == joined.MIN).all()

    schedule = warehouse(home, "select * from nba_raw.nbac_schedule")
    schedule["game_date"] = pd.to_datetime(schedule.game_date).dt.date
    assert schedule.groupby("game_date").nba_game_id.nunique().to_dict() == expected.games.to_dict()
    # the home team is the one whose rows read "vs.", and the final scores are the players' sums
    sides = rows.drop_duplicates(["GAME_ID", "TEAM_ABBREVIATION"])
    home_team = sides[sides.MATCHUP.str.contains(" vs. ")].set_index("GAME_ID").TEAM_ABBREVIATION
    by_team = rows.groupby(["GAME_ID", "TEAM_ABBREVIATION"]).PTS.sum()
    assert (schedule.set_index("nba_game_id").home_team_abbr == home_team.reindex(schedule.nba_game_id)).all()
    home_points = [
        by_team[(g, t)] for g, t in zip(schedule.nba_game_id, schedule.home_team_abbr, strict=True)
    ]
    away_points = [
        by_team[(g, t)] for g, t in zip(schedule.nba_game_id, schedule.away_team_abbr, strict=True)
    ]
    assert schedule.home_score.tolist() == home_points and schedule.away_score.tolist() == away_points

    teams = warehouse(home, "select count(*) n, sum(points) p from nba_raw.nbac_team_boxscore")
    assert (int(teams.n[0]), int(teams.p[0])) == (2 * n_games, int(rows.PTS.sum()))

"""The real-season replay from the stats.nba.com LeagueGameLog CSV."""

from datetime import date, datetime

import pandas as pd
import pytest

from nba_pipeline.environment import ConfigError
from nba_pipeline.partitions import ET
from nba_pipeline.phases.raw import parsers
from nba_pipeline.phases.raw.tables import GAMEBOOK
from nba_pipeline.sources.replay import REQUIRED_COLUMNS, ReplaySource, check_replay_csv

AFTER = datetime(2024, 1, 16, 12, tzinfo=ET)


def test_a_missing_or_incomplete_csv_is_named(tmp_path):
    with pytest.raises(ConfigError, match="replay CSV not found"):
        check_replay_csv(tmp_path / "nope.csv")
    partial = tmp_path / "partial.csv"
    partial.write_text(",".join(c for c in REQUIRED_COLUMNS if c not in ("PTS", "MATCHUP")) + "\n")
    with pytest.raises(ConfigError, match="lacks required columns: MATCHUP, PTS"):
        check_replay_csv(partial)
    with pytest.raises(ConfigError, match="needs a CSV"):
        check_replay_csv(None)


def test_columns_in_any_order_and_extra_columns_are_fine(tmp_path):
    lal = dict(
        SEASON_ID="22023",
        PLAYER_ID=1,
        PLAYER_NAME="A One",
        TEAM_ID=1610612747,
        TEAM_ABBREVIATION="LAL",
        GAME_ID="0022300500",
        GAME_DATE="2024-01-02",
        MATCHUP="LAL vs. BOS",
        WL="W",
        MIN=30,
        PTS=20,
        PLUS_MINUS=7,
    )
    bos = lal | dict(
        PLAYER_ID=2,
        PLAYER_NAME="B Two",
        TEAM_ID=1610612738,
        TEAM_ABBREVIATION="BOS",
        MATCHUP="BOS @ LAL",
        WL="L",
        PTS=11,
        PLUS_MINUS=-7,
    )
    rows = pd.DataFrame(
        [r | {c: 1 for c in REQUIRED_COLUMNS if c not in r} | {"NOTE": "extra"} for r in (lal, bos)]
    )
    path = tmp_path / "shuffled.csv"
    rows[list(reversed(rows.columns))].to_csv(path, index=False)
    source = ReplaySource.from_csv(path)
    assert source.provides == frozenset({"schedule", "boxscores"})
    assert (
        source.fetch("prop_lines", date(2024, 1, 2), AFTER) == []
        and source.fetch("injury_report", date(2024, 1, 2), AFTER) == []
    )
    schedule = parsers.parse_schedule(source.fetch("schedule", date(2024, 1, 2), AFTER)[0].body)
    assert [(g["game_id"], g["home_score"], g["away_score"]) for g in schedule] == [
        ("20240102_BOS_LAL", 20, 11)
    ]


@pytest.mark.real_data
def test_real_season_shape(real_csv):
    source = ReplaySource.from_csv(real_csv)
    assert len(source.dates) == 162 or 150 <= len(source.dates) <= 170
    assert source.frame["GAME_ID"].nunique() == 1230
    assert (source.dates[0], source.dates[-1]) == (date(2023, 10, 24), date(2024, 4, 14))


@pytest.mark.real_data
def test_real_date_yields_exactly_the_csv_rows(real_csv):
    source = ReplaySource.from_csv(real_csv)
    csv = pd.read_csv(real_csv, dtype={"GAME_ID": str})
    expected = csv[csv["GAME_DATE"] == "2024-01-15"]
    payloads = source.fetch("boxscores", date(2024, 1, 15), AFTER)
    gamebook = parsers.frame(GAMEBOOK, [r for p in payloads for r in parsers.parse_boxscore(p.body)])
    assert len(gamebook) == len(expected) == 229
    assert gamebook["nba_game_id"].nunique() == expected["GAME_ID"].nunique() == 11
    assert int(gamebook["points"].sum()) == int(expected["PTS"].sum())
    teams = parsers.team_boxscores(gamebook)
    assert len(teams) == 22
    by_team = expected.groupby(["GAME_ID", "TEAM_ABBREVIATION"])["PTS"].sum()
    for row in teams.itertuples():
        assert row.points == by_team[(row.nba_game_id, row.team_abbr)]
    schedule = parsers.parse_schedule(source.fetch("schedule", date(2024, 1, 15), AFTER)[0].body)
    assert {g["game_id"] for g in schedule} == set(gamebook["game_id"])
    for g in schedule:  # the winner scored more
        assert g["home_score"] != g["away_score"]


@pytest.mark.real_data
def test_no_box_scores_before_the_games_are_final(real_csv):
    source = ReplaySource.from_csv(real_csv)
    assert source.fetch("boxscores", date(2024, 1, 15), datetime(2024, 1, 15, 12, tzinfo=ET)) == []

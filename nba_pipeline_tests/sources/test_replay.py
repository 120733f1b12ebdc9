"""The real-season replay from the stats.nba.com LeagueGameLog CSV."""

from datetime import date, datetime

import pandas as pd
import pytest

from nba_pipeline.environment import DEFAULT_REPLAY, REAL_SEASONS_DIR, ConfigError, load_settings
from nba_pipeline.identity import game_sides, matchup_sides
from nba_pipeline.partitions import ET
from nba_pipeline.phases.raw import parsers
from nba_pipeline.phases.raw.tables import GAMEBOOK
from nba_pipeline.sources.replay import REQUIRED_COLUMNS, ReplaySource, check_replay_csv
from nba_pipeline_tests.conftest import require_real

AFTER = datetime(2024, 1, 16, 12, tzinfo=ET)


def test_a_missing_or_incomplete_csv_is_named(tmp_path):
    with pytest.raises(ConfigError, match="replay CSV not found"):
        check_replay_csv(tmp_path / "nope.csv")
    partial = tmp_path / "partial.csv"
    partial.write_text(",".join(c for c in REQUIRED_COLUMNS if c not in ("PTS", "MATCHUP")) + "\n")
    with pytest.raises(ConfigError, match="lacks required columns: MATCHUP, PTS"):
        check_replay_csv(partial)
    with pytest.raises(ConfigError, match="needs a CSV or a folder"):
        check_replay_csv(None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no .csv season files"):
        check_replay_csv(tmp_path / "empty")


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
    assert len(source.dates) == 160
    assert source.frame["GAME_ID"].nunique() == 1230
    assert (source.dates[0], source.dates[-1]) == (date(2023, 10, 24), date(2024, 4, 14))


@pytest.mark.real_data
def test_the_shared_folder_is_one_history_of_both_seasons():
    source = ReplaySource.from_csv(require_real(REAL_SEASONS_DIR))
    assert len(source.frame) == 26_039 + 26_401
    assert source.frame["GAME_ID"].nunique() == 2460
    assert len(source.dates) == 165 + 160
    assert (source.dates[0], source.dates[-1]) == (date(2021, 10, 19), date(2024, 4, 14))
    # every game of both seasons has a home and an away team, from its MATCHUP text
    games = pd.concat([source.games(day) for day in source.dates])
    assert len(games) == 2460 and not games.neutral.any() and (games.home != games.away).all()
    # a postponed 2021-22 game is on the date it was made up, out of GAME_ID order
    assert "0022100416" in set(source.games(date(2021, 12, 14)).GAME_ID)


def test_the_default_replay_is_the_shared_folder_when_present():
    settings = load_settings(environ={})
    assert settings.replay_csv == (DEFAULT_REPLAY if DEFAULT_REPLAY.exists() else None)
    assert DEFAULT_REPLAY.name == "nba" and DEFAULT_REPLAY == REAL_SEASONS_DIR


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


# Rows as stats.nba.com's LeagueGameLog gives a neutral-site game (here the 2023 Paris game): both
# teams' MATCHUP reads "@", each naming the other as host. Beside it an ordinary game of the same date.
PARIS = "2023-01-19"


def log_row(game_id, team, team_id, matchup, wl, player_id, name, pts, minutes=30, plus_minus=5):
    return {
        "SEASON_ID": "22022",
        "PLAYER_ID": player_id,
        "PLAYER_NAME": name,
        "TEAM_ID": team_id,
        "TEAM_ABBREVIATION": team,
        "TEAM_NAME": team,
        "GAME_ID": game_id,
        "GAME_DATE": PARIS,
        "MATCHUP": matchup,
        "WL": wl,
        "MIN": minutes,
        "PTS": pts,
        "FGM": pts // 2,
        "FGA": pts,
        "FG_PCT": 0.5,
        "FG3M": 0,
        "FG3A": 1,
        "FG3_PCT": 0.0,
        "FTM": pts % 2,
        "FTA": pts % 2,
        "FT_PCT": 1.0,
        "OREB": 1,
        "DREB": 4,
        "REB": 5,
        "AST": 3,
        "STL": 1,
        "BLK": 0,
        "TOV": 2,
        "PF": 2,
        "PLUS_MINUS": plus_minus,
        "VIDEO_AVAILABLE": 1,
    }


def team_rows(game_id, team, team_id, matchup, wl, first_player_id, points):
    """A team's five players (48 minutes each: the team's 240), scoring `points`."""
    margin = 1 if wl == "W" else -1
    return [
        log_row(
            game_id, team, team_id, matchup, wl, first_player_id + i, f"{team} Player {i}", p, 48, margin * 3
        )
        for i, p in enumerate(points)
    ]


NEUTRAL_ROWS = [
    *team_rows("0022200671", "CHI", 1610612741, "CHI @ DET", "W", 100, [30, 26, 25, 20, 25]),
    *team_rows("0022200671", "DET", 1610612765, "DET @ CHI", "L", 200, [19, 12, 27, 30, 20]),
    *team_rows("0022200672", "BOS", 1610612738, "BOS vs. GSW", "W", 300, [28, 25, 22, 20, 26]),
    *team_rows("0022200672", "GSW", 1610612744, "GSW @ BOS", "L", 400, [24, 30, 18, 22, 19]),
]


def test_neutral_site_rows_shaped_like_the_real_ones_parse_into_one_game_each(tmp_path):
    path = tmp_path / "paris.csv"
    pd.DataFrame(NEUTRAL_ROWS).to_csv(path, index=False)
    source, day = ReplaySource.from_csv(path), date.fromisoformat(PARIS)
    games = source.games(day)
    assert games.to_dict("records") == [
        {"GAME_ID": "0022200671", "home": "DET", "away": "CHI", "neutral": True},
        {"GAME_ID": "0022200672", "home": "BOS", "away": "GSW", "neutral": False},
    ]
    (schedule_payload,) = source.fetch("schedule", day, AFTER)
    listed = schedule_payload.body["leagueSchedule"]["gameDates"][0]["games"]
    assert [g["isNeutral"] for g in listed] == [True, False]
    schedule = parsers.parse_schedule(schedule_payload.body)
    assert [(g["game_id"], g["away_score"], g["home_score"]) for g in schedule] == [
        ("20230119_CHI_DET", 126, 108),
        ("20230119_GSW_BOS", 113, 121),
    ]
    rows = [r for p in source.fetch("boxscores", day, AFTER) for r in parsers.parse_boxscore(p.body)]
    gamebook = parsers.frame(GAMEBOOK, rows)
    # both teams' rows carry the schedule's id, each with the other as opponent
    assert set(gamebook.game_id) == {g["game_id"] for g in schedule}
    paris = gamebook[gamebook.nba_game_id == "0022200671"]
    assert set(zip(paris.team_abbr, paris.opponent_abbr, paris.is_home, strict=True)) == {
        ("CHI", "DET", False),
        ("DET", "CHI", True),
    }
    teams = parsers.team_boxscores(gamebook).set_index("team_abbr")
    assert teams.points.to_dict() == {"BOS": 121, "CHI": 126, "DET": 108, "GSW": 113}


def test_neutral_site_date_lands_through_phases_1_and_2(tmp_path, make_settings):
    from nba_pipeline.runner import run_phases

    path = tmp_path / "paris.csv"
    pd.DataFrame(NEUTRAL_ROWS).to_csv(path, index=False)
    settings = make_settings(source="replay", replay_csv=str(path), now="2023-01-20T12:00:00-05:00")
    day = date.fromisoformat(PARIS)
    outcomes = run_phases(settings, day, day, 2, "backfill", "backfill", "t")
    assert [(o.status, o.errors) for o in outcomes] == [("success", []), ("success", [])]
    rows = {a.asset: a.rows for o in outcomes for a in o.assets}
    assert (rows["nba_raw/nbac_schedule"], rows["nba_raw/nbac_team_boxscore"]) == (2, 4)
    assert rows["nba_raw/nbac_gamebook_player_stats"] == 20


def test_any_one_row_names_both_teams_and_an_unreadable_matchup_is_named():
    one_team = pd.DataFrame([NEUTRAL_ROWS[10]])  # only a Boston row of BOS-GSW
    assert game_sides(one_team).to_dict("records") == [
        {"GAME_ID": "0022200672", "away": "GSW", "home": "BOS", "neutral": False}
    ]
    assert matchup_sides("LAL vs. BOS") == matchup_sides("BOS @ LAL") == ("BOS", "LAL")
    with pytest.raises(ValueError, match="unreadable MATCHUP 'LAL - BOS'"):
        matchup_sides("LAL - BOS")
    crossed = pd.DataFrame([NEUTRAL_ROWS[0], {**NEUTRAL_ROWS[5], "MATCHUP": "DET @ MIL"}])
    with pytest.raises(
        ValueError, match=r"game 0022200671: its MATCHUP rows name the teams \['CHI', 'DET', 'MIL'\]"
    ):
        game_sides(crossed)


def test_a_folder_replays_its_seasons_as_one_history_and_refuses_a_season_twice(tmp_path):
    folder = tmp_path / "seasons"
    folder.mkdir()
    pd.DataFrame(NEUTRAL_ROWS[:10]).to_csv(folder / "a.csv", index=False)
    later = [r | {"GAME_DATE": "2024-01-02", "GAME_ID": "0022300500"} for r in NEUTRAL_ROWS[10:]]
    pd.DataFrame(later).to_csv(folder / "b.csv", index=False)
    (folder / "README.md").write_text("not a season")
    source = ReplaySource.from_csv(folder)
    assert source.dates == [date(2023, 1, 19), date(2024, 1, 2)]
    assert len(source.frame) == 20
    pd.DataFrame(NEUTRAL_ROWS[:1]).to_csv(folder / "c.csv", index=False)  # a row of a.csv again
    with pytest.raises(
        ConfigError, match=r"game 0022200671 player 100 appears more than once \(a.csv, c.csv\)"
    ):
        check_replay_csv(folder)

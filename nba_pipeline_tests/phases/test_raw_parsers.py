"""The Phase 2 parsers on each real upstream format (fixtures in the upstreams' own shapes)."""

from datetime import date, datetime

import pandas as pd
import pytest

from nba_pipeline.phases.raw import parsers
from nba_pipeline.phases.raw.tables import GAMEBOOK, INJURY_REPORT, PROPS, SCHEDULE, TEAM_BOXSCORE
from nba_pipeline_tests.conftest import fixture_json


def test_schedule_uses_the_true_utc_instant_and_the_et_date():
    rows = {r["nba_game_id"]: r for r in parsers.parse_schedule(fixture_json("schedule_league_v2.json"))}
    late = rows["0012500001"]  # 10 pm ET on Oct 3: UTC date Oct 4, gameDateTimeEst carries a fake 'Z'
    assert late["game_date"] == date(2025, 10, 3)
    assert late["game_id"] == "20251003_PHX_LAL"
    assert late["tipoff_et"] == datetime(2025, 10, 3, 22, 0)  # noqa: DTZ001
    assert late["tipoff_utc"] == datetime(2025, 10, 4, 2, 0)  # noqa: DTZ001
    assert (late["home_team_abbr"], late["away_team_abbr"], late["game_status"]) == ("LAL", "PHX", 1)
    assert late["home_score"] is None  # not final: no score
    early = rows["0012500009"]  # 5:30 am ET in Melbourne against a non-NBA team
    assert (early["game_id"], early["home_score"], early["away_score"]) == ("20251003_MEL_NOP", 104, 99)
    SCHEDULE.conform(parsers.frame(SCHEDULE, list(rows.values())).assign(loaded_at=datetime(2025, 10, 3)))  # noqa: DTZ001


def test_live_boxscore_rows_statuses_and_iso_minutes():
    rows = {r["player_name"]: r for r in parsers.parse_live_boxscore(fixture_json("live_boxscore.json"))}
    brown = rows["Jaylen Brown"]
    assert brown["game_id"] == "20210115_ORL_BOS"  # 7:30 pm ET on Jan 15 (00:30 UTC on the 16th)
    assert brown["game_date"] == date(2021, 1, 15)
    assert (brown["player_status"], brown["starter"], brown["is_home"], brown["opponent_abbr"]) == (
        "active",
        True,
        True,
        "ORL",
    )
    assert brown["minutes"] == 25.02
    assert (
        brown["points"],
        brown["fgm"],
        brown["fga"],
        brown["fg3m"],
        brown["ftm"],
        brown["reb"],
        brown["ast"],
    ) == (21, 6, 12, 2, 7, 2, 8)
    assert (brown["plus_minus"], brown["paint_points"], brown["player_lookup"]) == (15, 6, "jaylenbrown")
    dnp, inactive = rows["Javonte Green"], rows["Mo Bamba"]
    assert (dnp["player_status"], dnp["minutes"], dnp["points"], dnp["not_playing_reason"]) == (
        "dnp",
        None,
        None,
        "DNP_COACH",
    )
    assert (inactive["player_status"], inactive["not_playing_reason"]) == ("inactive", "Left Knee; Surgery")


def test_league_game_log_rows_derive_home_away_and_opponent():
    rows = parsers.parse_league_game_log(fixture_json("league_game_log.json"))
    frame = parsers.frame(GAMEBOOK, rows)
    assert len(frame) == 7 and set(frame["player_status"]) == {"active"}
    jokic = frame[frame["player_name"] == "Nikola Jokić"].iloc[0]
    assert (jokic["game_id"], jokic["team_abbr"], jokic["opponent_abbr"], jokic["is_home"]) == (
        "20250315_WAS_DEN",
        "DEN",
        "WAS",
        True,
    )
    assert (jokic["points"], jokic["minutes"], jokic["player_lookup"], jokic["nba_game_id"]) == (
        40,
        39.0,
        "nikolajokic",
        "0022400975",
    )
    porter = frame[frame["player_lookup"] == "kevinporter"].iloc[0]
    assert (porter["game_id"], porter["points"], porter["ftm"], porter["plus_minus"]) == (
        "20250315_IND_MIL",
        16,
        9,
        13,
    )
    assert frame[frame["player_name"] == "Andre Jackson Jr."].iloc[0]["minutes"] == 0.0  # appeared, 0 minutes


def test_boxscore_dispatch_by_shape():
    assert (
        parsers.parse_boxscore(fixture_json("league_game_log.json"))[0]["source_format"] == "league_game_log"
    )
    assert parsers.parse_boxscore(fixture_json("live_boxscore.json"))[0]["source_format"] == "live_boxscore"
    with pytest.raises(ValueError, match="unrecognized box-score payload"):
        parsers.parse_boxscore({"data": []})


def test_team_rows_sum_the_players_of_both_formats():
    log = parsers.frame(GAMEBOOK, parsers.parse_league_game_log(fixture_json("league_game_log.json")))
    teams = parsers.team_boxscores(log).set_index(["game_id", "team_abbr"])
    assert teams.loc[("20250315_IND_MIL", "MIL"), "points"] == 16 + 34 + 0
    assert teams.loc[("20250315_WAS_DEN", "DEN"), "points"] == 40
    assert teams.loc[("20250315_WAS_DEN", "WAS"), "is_home"] == False  # noqa: E712
    live = parsers.frame(GAMEBOOK, parsers.parse_live_boxscore(fixture_json("live_boxscore.json")))
    bos = parsers.team_boxscores(live).set_index("team_abbr").loc["BOS"]
    assert (bos["points"], bos["players_played"], bos["paint_points"]) == (21, 1, 6)  # the DNP adds nothing
    TEAM_BOXSCORE.conform(parsers.team_boxscores(live).assign(loaded_at=datetime(2021, 1, 16)))  # noqa: DTZ001


def test_injury_report_records_become_canonical_rows():
    rows = {r["player_name"]: r for r in parsers.parse_injury_report(fixture_json("injury_report.json"))}
    payton = rows["Gary Payton II"]
    assert (payton["player_lookup"], payton["game_id"], payton["team_abbr"], payton["injury_status"]) == (
        "garypayton",
        "20240104_DEN_GSW",
        "GSW",
        "Out",
    )
    assert payton["report_time"] == datetime(2024, 1, 4, 17, 30)  # noqa: DTZ001 — 12:30 pm ET stored as UTC
    assert rows["David Duke Jr."]["player_lookup"] == "davidduke"
    INJURY_REPORT.conform(
        parsers.frame(INJURY_REPORT, list(rows.values())).assign(loaded_at=datetime(2024, 1, 4))
    )  # noqa: DTZ001


def test_odds_event_pairs_over_and_under_in_any_order_and_both_price_formats():
    rows = parsers.parse_odds_event(fixture_json("odds_event_historical.json"))
    frame = parsers.frame(PROPS, rows).set_index(["bookmaker", "player_lookup"])
    assert len(frame) == 4
    bane_fd, bane_dk = frame.loc[("fanduel", "desmondbane")], frame.loc[("draftkings", "desmondbane")]
    assert (bane_fd["points_line"], bane_dk["points_line"]) == (28.5, 29.5)  # books differ on the line
    assert (bane_fd["over_price"], bane_fd["over_price_american"], bane_fd["under_price_american"]) == (
        1.8,
        -125,
        -105,
    )
    assert (bane_dk["over_price_american"], bane_dk["over_price"]) == (-120, pytest.approx(1.8333, abs=1e-4))
    pippen = frame.loc[("fanduel", "scottypippen")]  # listed Under first
    assert (pippen["over_price"], pippen["under_price"]) == (1.87, 1.87)
    assert frame.loc[("draftkings", "ggjackson")]["over_price_american"] == 105
    first = frame.iloc[0]
    assert (first["game_id"], first["game_date"], first["minutes_before_tipoff"]) == (
        "20250309_MEM_NOP",
        date(2025, 3, 9),
        191,
    )
    assert first["snapshot_timestamp"] == pd.Timestamp("2025-03-09 20:00:00")


def test_games_in_payload_counts_without_parsing():
    assert parsers.games_in_payload("schedule", fixture_json("schedule_league_v2.json")) == {
        "0012500001",
        "0012500009",
    }
    assert parsers.games_in_payload("boxscores", fixture_json("league_game_log.json")) == {
        "0022400972",
        "0022400975",
    }
    assert parsers.games_in_payload("boxscores", fixture_json("live_boxscore.json")) == {"0022000180"}
    assert len(parsers.games_in_payload("injury_report", fixture_json("injury_report.json"))) == 2
    assert parsers.games_in_payload("prop_lines", fixture_json("odds_event_historical.json")) == {
        "242c77a8d5890e18bab91773ad32fcb5"
    }


@pytest.mark.parametrize(("american", "decimal"), [(-110, 1.9091), (-125, 1.8), (105, 2.05), (-200, 1.5)])
def test_price_conversions_round_trip(american, decimal):
    assert parsers.american_to_decimal(american) == pytest.approx(decimal, abs=1e-4)
    assert parsers.decimal_to_american(decimal) == american

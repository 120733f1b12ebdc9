"""NbaSource on recorded exchanges (nba_api's endpoints included): what each feed lands for a real
slate, the fallbacks between equivalent endpoints, the Odds API's quota and expired events, the
injury report's latest earlier release — and the Phase 2 parsers reading what it landed."""

from __future__ import annotations

import json
import logging
import shutil
from datetime import date, datetime

import pytest

from nba_pipeline.partitions import ET
from nba_pipeline.phases.raw import parsers
from nba_pipeline.sources import PermanentSourceError
from nba_pipeline.sources.http import SourceSession
from nba_pipeline.sources.nba import NO_KEY, NbaSource
from nba_pipeline.sources.nba.injuries import release_hours
from nba_pipeline_tests.conftest import FIXTURES
from nba_pipeline_tests.sources.injury_pdf_writer import report_pdf
from nba_pipeline_tests.sources.test_injury_pdf import PAGES

HTTP = FIXTURES / "http"
DAY = date(2025, 3, 15)
NOW = datetime(2025, 3, 15, 19, 0, tzinfo=ET)


@pytest.fixture
def recordings(tmp_path):
    """The recorded slate of 2025-03-15, with its 5:30 PM injury report written as a PDF beside it."""
    folder = tmp_path / "day"
    shutil.copytree(HTTP / "day_2025-03-15", folder)
    (folder / "Injury-Report_2025-03-15_05PM.pdf").write_bytes(
        report_pdf("Injury Report: 03/15/25 05:30 PM", PAGES)
    )
    return folder


def source(folder, key: str | None = "test-key") -> NbaSource:
    return NbaSource(SourceSession(recordings=folder, sleep=lambda s: None), key)


def test_the_schedule_is_the_dates_predicted_games_postponed_ones_left_out(recordings):
    client = source(recordings)
    [payload] = client.fetch("schedule", DAY, NOW)
    rows = parsers.parse_schedule(payload.body)
    assert [(r["game_id"], r["nba_game_id"], r["home_score"], r["away_score"]) for r in rows] == [
        ("20250315_IND_MIL", "0022400972", 50, 4),
        ("20250315_WAS_DEN", "0022400975", 40, 34),  # 9 pm ET: 01:00Z the next day, still the 15th
    ]
    assert [g["gameId"] for d in payload.body["leagueSchedule"]["gameDates"] for g in d["games"]] == [
        "0022400972",
        "0022400980",
        "0022400975",
    ]  # the postponed ORL@ATL is landed as NBA.com lists it; the parser knows it is not played
    assert client.fetch("schedule", date(2025, 3, 16), NOW)[0].body["leagueSchedule"]["gameDates"] == []
    assert (
        client.fetch("schedule", date(2024, 10, 5), NOW)[0].body["leagueSchedule"]["gameDates"] == []
    )  # preseason
    assert client.session.calls == {"stats.nba.com": 1}  # one season schedule serves every date


def test_box_scores_come_from_the_days_league_game_log(recordings):
    client = source(recordings)
    payloads = client.fetch("boxscores", DAY, NOW)
    assert [p.name for p in payloads] == ["leaguegamelog_regularseason.json"]
    rows = [r for p in payloads for r in parsers.parse_boxscore(p.body)]
    points = {(r["game_id"], r["player_name"]): r["points"] for r in rows}
    assert points == {
        ("20250315_IND_MIL", "Kevin Porter Jr."): 16,
        ("20250315_IND_MIL", "T.J. McConnell"): 4,
        ("20250315_IND_MIL", "Giannis Antetokounmpo"): 34,
        ("20250315_IND_MIL", "Andre Jackson Jr."): 0,
        ("20250315_WAS_DEN", "Nikola Jokić"): 40,
        ("20250315_WAS_DEN", "Vlatko Čančar"): 0,
        ("20250315_WAS_DEN", "Alex Sarr"): 34,
    }
    assert client.notes["calls"] == {"stats.nba.com": 2} and client.notes["fallbacks"] == []
    assert client.fetch("boxscores", date(2025, 3, 16), NOW) == []  # no games: nothing asked


def test_stats_nba_com_down_the_cdn_answers_schedule_and_box_scores():
    client = source(HTTP / "live_fallback")
    day = date(2021, 1, 15)
    [schedule] = client.fetch("schedule", day, NOW)
    assert [r["game_id"] for r in parsers.parse_schedule(schedule.body)] == ["20210115_ORL_BOS"]
    assert "timed out after 30 s" in client.notes["fallbacks"][0]
    payloads = client.fetch("boxscores", day, NOW)
    assert [p.name for p in payloads] == ["0022000180.json"]
    rows = {r["player_name"]: r for r in parsers.parse_boxscore(payloads[0].body)}
    assert rows["Jaylen Brown"]["points"] == 21 and rows["Jaylen Brown"]["minutes"] == 25.02
    assert client.notes["calls"] == {"stats.nba.com": 1, "cdn.nba.com": 1}  # a 403 block page is not retried
    assert "HTTP 403: access denied (blocked)" in client.notes["fallbacks"][0]


def test_the_cdn_fallback_refuses_a_season_it_does_not_hold():
    client = source(HTTP / "live_fallback")
    with pytest.raises(PermanentSourceError, match="the cdn fallback has only season 2020-21, not 2024-25"):
        client.fetch("schedule", DAY, NOW)


def test_lines_join_nba_names_through_player_lookup(recordings):
    client = source(recordings)
    payloads = client.fetch("prop_lines", DAY, NOW)
    assert [p.name for p in payloads] == [
        "5c2a9f61d1f0a3b7e4c8d2a1b0f9e3c7.json",
        "9e1d7b3c5a2f4e6d8c0b1a3f5e7d9c2b.json",
        "0f3e5d7c9b1a2c4e6f8d0b2a4c6e8f1d.json",
    ]
    lines = {
        (r["game_id"], r["bookmaker"], r["player_lookup"]): r["points_line"]
        for p in payloads
        for r in parsers.parse_odds_event(p.body)
    }
    assert lines == {
        ("20250315_IND_MIL", "fanduel", "giannisantetokounmpo"): 31.5,
        ("20250315_IND_MIL", "fanduel", "kevinporter"): 11.5,
        ("20250315_IND_MIL", "fanduel", "tjmcconnell"): 8.5,
        ("20250315_IND_MIL", "draftkings", "giannisantetokounmpo"): 32.5,
        ("20250315_IND_MIL", "draftkings", "tjmcconnell"): 9.5,
        ("20250315_WAS_DEN", "fanduel", "nikolajokic"): 29.5,
        ("20250315_WAS_DEN", "fanduel", "alexsarr"): 14.5,
        ("20250315_WAS_DEN", "draftkings", "nikolajokic"): 30.5,
        ("20250315_WAS_DEN", "draftkings", "vlatkocancar"): 3.5,
    }
    box = {
        r["player_lookup"]
        for p in client.fetch("boxscores", DAY, NOW)
        for r in parsers.parse_boxscore(p.body)
    }
    assert {k[2] for k in lines} <= box  # every book's name is an NBA.com player
    assert client.notes["calls"] == {"stats.nba.com": 2}
    notes = source_notes(client, "prop_lines")
    assert notes["expired_events"] == ["7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a"]  # 404: gone, not an error
    assert notes["quota"] == {"remaining": 478, "used": 22, "last": 0} and notes["events"] == 4


def source_notes(client: NbaSource, feed: str) -> dict:
    client.fetch(feed, DAY, NOW)
    return client.notes


def remaining_after(recording, credits: int) -> None:
    """Rewrite a recorded response's quota header."""
    record = json.loads(recording.read_text())
    record["responses"][0]["headers"]["x-requests-remaining"] = str(credits)
    recording.write_text(json.dumps(record))


def test_the_quota_reserve_stops_before_the_credits_run_out(recordings):
    remaining_after(recordings / "odds_events.json", 11)
    remaining_after(recordings / "odds_mil.json", 10)
    client = source(recordings)
    payloads = client.fetch("prop_lines", DAY, NOW)
    assert [p.name for p in payloads] == ["5c2a9f61d1f0a3b7e4c8d2a1b0f9e3c7.json"]
    assert client.notes["skipped_for_quota"] == 3 and client.notes["quota"]["remaining"] == 10
    remaining_after(recordings / "odds_events.json", 3)
    with pytest.raises(
        PermanentSourceError, match=r"quota nearly exhausted \(3 credits left, 10 kept in reserve\)"
    ):
        source(recordings).fetch("prop_lines", DAY, NOW)


def test_without_a_key_lines_are_not_provided_and_nothing_is_asked(recordings, caplog):
    with caplog.at_level(logging.WARNING):
        client = source(recordings, key=None)
    assert "prop_lines" not in client.provides and client.unavailable == {"prop_lines": NO_KEY}
    assert "NBA_PIPELINE_ODDS_API_KEY is not set" in caplog.text
    assert client.fetch("prop_lines", DAY, NOW) == [] and client.session.calls == {}


def test_the_injury_report_is_the_latest_release_out(recordings):
    client = source(recordings)
    [payload] = client.fetch("injury_report", DAY, NOW)
    assert payload.name == "report_20250315_1730.json"  # 6:30 PM not out yet (403): 5:30 PM
    assert client.notes["release_hours_tried"] == 2
    rows = parsers.parse_injury_report(payload.body)
    assert [(r["game_id"], r["team_abbr"], r["player_lookup"], r["injury_status"]) for r in rows] == [
        ("20250315_IND_MIL", "IND", "tyresehaliburton", "Out"),
        ("20250315_IND_MIL", "IND", "bennedictmathurin", "Questionable"),
        ("20250315_WAS_DEN", "WAS", "alexsarr", "Probable"),
        ("20250315_WAS_DEN", "DEN", "michaelporter", "Questionable"),
        ("20250315_WAS_DEN", "DEN", "jamalmurray", "Available"),
    ]  # the 03/16 POR@LAL row belongs to another date
    assert rows[0]["report_time"] == datetime(2025, 3, 15, 21, 30)  # 5:30 PM EDT, stored as naive UTC


def test_release_hours_run_back_to_the_evening_before():
    hours = release_hours(DAY, datetime(2025, 3, 15, 9, 10, tzinfo=ET))
    assert [h.strftime("%d %H:%M") for h in (hours[0], hours[1], hours[-1])] == [
        "15 08:30",
        "15 07:30",
        "14 17:30",
    ]
    assert len(hours) == 16
    late = release_hours(DAY, datetime(2025, 3, 17, 12, 0, tzinfo=ET))
    assert late[0].strftime("%d %H:%M") == "15 19:30"  # a past date: its last release before the games


def test_final_games_the_log_lacks_are_asked_of_the_live_feed(recordings):
    log = recordings / "leaguegamelog_2025-03-15.json"
    record = json.loads(log.read_text())
    record["responses"][0]["json"]["resultSets"][0]["rowSet"] = []  # the log not updated yet
    log.write_text(json.dumps(record))
    with pytest.raises(PermanentSourceError) as caught:
        source(recordings).fetch("boxscores", DAY, NOW)
    assert str(caught.value).startswith(
        "NBA.com cdn: cdn.nba.com/static/json/liveData/boxscore/boxscore_0022400972.json: no recording"
    )


def test_a_game_not_final_yet_asks_for_no_box_score(recordings):
    client = source(recordings)
    assert client.fetch("boxscores", date(2025, 3, 17), NOW) == []
    assert client.notes["calls"] == {"stats.nba.com": 1}  # the schedule only

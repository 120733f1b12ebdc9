"""The simulated league's payloads: determinism, the clock, and the fault scenarios."""

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from nba_pipeline.partitions import ET
from nba_pipeline.sources import FEEDS, TransientSourceError, fetch_with_retries
from nba_pipeline.sources.sim import SimSource
from nba_pipeline.sources.sim.feeds import line_eligible
from nba_pipeline.sources.sim.games import team_plan

DAY = date(2024, 1, 15)
AFTER = datetime(2024, 1, 16, 12, tzinfo=ET)  # every game of DAY is final
SEED = 20211019


def payload_bytes(source: SimSource, now: datetime) -> dict[str, bytes]:
    return {f"{feed}/{p.name}": p.to_bytes() for feed in FEEDS for p in source.fetch(feed, DAY, now)}


def test_same_seed_date_and_clock_give_byte_identical_payloads():
    first = payload_bytes(SimSource(SEED), AFTER)
    assert first == payload_bytes(SimSource(SEED), AFTER)
    assert (
        len(first) == 1 + 10 + 1 + 20
    )  # schedule, 10 box scores, 1 injury report, 10 games x 2 line snapshots
    assert first != payload_bytes(SimSource(SEED + 1), AFTER)


def test_payloads_are_identical_across_processes():
    """Seeds come from crc32, never hash(): a fresh interpreter (new hash seed) builds the same bytes."""
    script = (
        "import hashlib, sys; from datetime import date, datetime; from nba_pipeline.partitions import ET;"
        "from nba_pipeline.sources.sim import SimSource; from nba_pipeline.sources import FEEDS;"
        "s = SimSource(20211019); now = datetime(2024, 1, 16, 12, tzinfo=ET);"
        "h = hashlib.sha256(b''.join(p.to_bytes() for f in FEEDS for p in s.fetch(f, date(2024, 1, 15), now)));"
        "print(h.hexdigest())"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(i)},
        ).stdout
        for i in (1, 2)
    }
    import hashlib

    local = hashlib.sha256(b"".join(payload_bytes(SimSource(SEED), AFTER).values())).hexdigest()
    assert runs == {local + "\n"}


def test_the_clock_decides_what_exists():
    source = SimSource(SEED)
    games = source.games(DAY)
    first_tip = min(g.tip for g in games)
    morning = datetime(2024, 1, 15, 9, tzinfo=ET)
    assert source.fetch("boxscores", DAY, morning) == []  # nothing is final before tip-off
    schedule = source.fetch("schedule", DAY, morning)[0].body["leagueSchedule"]["gameDates"][0]["games"]
    assert {g["gameStatus"] for g in schedule} == {1}
    assert (
        source.fetch("prop_lines", DAY, datetime(2024, 1, 14, 11, tzinfo=ET)) == []
    )  # lines open at noon the day before
    assert len(source.fetch("prop_lines", DAY, morning)) == 2 * len(games)  # opening + current snapshot
    midway = first_tip + timedelta(hours=3)
    finished = [g for g in games if g.final_at + timedelta(minutes=15) <= midway]
    assert len(source.fetch("boxscores", DAY, midway)) == len(finished) < len(games)
    assert len(source.fetch("boxscores", DAY, AFTER)) == len(games)


def test_every_box_score_total_matches_the_schedule_score():
    source = SimSource(SEED)
    schedule = source.fetch("schedule", DAY, AFTER)[0].body["leagueSchedule"]["gameDates"][0]["games"]
    scores = {g["gameId"]: (g["homeTeam"]["score"], g["awayTeam"]["score"]) for g in schedule}
    for payload in source.fetch("boxscores", DAY, AFTER):
        game = payload.body["game"]
        home = sum(p["statistics"]["points"] for p in game["homeTeam"]["players"])
        away = sum(p["statistics"]["points"] for p in game["awayTeam"]["players"])
        assert (
            (home, away) == (game["homeTeam"]["score"], game["awayTeam"]["score"]) == scores[game["gameId"]]
        )
        assert home != away


def test_lines_sit_near_each_rotation_players_expected_points():
    source = SimSource(SEED)
    season = source.season(DAY)
    expected = {}
    for game in source.games(DAY):
        for team in (game.home, game.away):
            for plan in team_plan(season, game, team):
                if line_eligible(plan):
                    expected[plan.player.name] = plan.expected_points
    gaps, listed = [], set()
    for payload in source.fetch("prop_lines", DAY, AFTER):
        for book in payload.body["data"]["bookmakers"]:
            for outcome in book["markets"][0]["outcomes"]:
                name = next(
                    n for n in expected if n.replace(".", "") == outcome["description"].replace(".", "")
                )
                listed.add(name)
                gaps.append(abs(outcome["point"] - expected[name]))
    assert len(listed) >= 0.9 * len(expected)  # lines for most rotation players
    assert sum(gaps) / len(gaps) < 2.0
    books = {b["key"] for p in source.fetch("prop_lines", DAY, AFTER) for b in p.body["data"]["bookmakers"]}
    assert len(books) >= 2


def test_partial_boxscores_keeps_three_games():
    assert len(SimSource(SEED, "partial_boxscores").fetch("boxscores", DAY, AFTER)) == 3


def test_late_boxscores_arrive_nine_hours_after_the_others():
    source = SimSource(SEED, f"late_boxscores@{DAY}")
    games = source.games(DAY)
    last_final = max(g.final_at for g in games) + timedelta(minutes=15)
    early = len(source.fetch("boxscores", DAY, last_final))
    assert 0 < early < len(games)
    assert len(source.fetch("boxscores", DAY, last_final + timedelta(hours=9))) == len(games)
    assert len(source.fetch("boxscores", DAY + timedelta(days=1), AFTER + timedelta(days=1))) == len(
        source.games(DAY + timedelta(days=1))
    )


def test_lines_not_published_and_source_off():
    assert SimSource(SEED, "lines_not_published").fetch("prop_lines", DAY, AFTER) == []
    assert SimSource(SEED, "source_off").fetch("injury_report", DAY, AFTER) == []
    assert len(SimSource(SEED, "source_off").fetch("prop_lines", DAY, AFTER)) == 20


def test_source_errors_fail_twice_then_answer(tmp_path):
    source = SimSource(SEED, "source_errors", state_dir=tmp_path)
    with pytest.raises(TransientSourceError, match="simulated failure 1 of 2"):
        source.fetch("boxscores", DAY, AFTER)
    payloads, retries = fetch_with_retries(
        SimSource(SEED, "source_errors", state_dir=tmp_path), "boxscores", DAY, AFTER, sleep=lambda s: None
    )
    assert (len(payloads), retries) == (10, 1)  # the count is on disk, shared by a new client


def test_off_season_dates_have_an_empty_schedule_and_nothing_else():
    source = SimSource(SEED)
    july = date(2024, 7, 10)
    schedule = source.fetch("schedule", july, datetime(2024, 7, 11, tzinfo=UTC))
    assert len(schedule) == 1 and schedule[0].body["leagueSchedule"]["gameDates"] == []
    assert all(source.fetch(feed, july, datetime(2024, 7, 11, tzinfo=UTC)) == [] for feed in FEEDS[1:])


def test_payload_shapes_are_the_real_ones():
    source = SimSource(SEED)
    box = source.fetch("boxscores", DAY, AFTER)[0].body
    player = box["game"]["homeTeam"]["players"][0]
    assert isinstance(player["starter"], str) and player["statistics"]["minutes"].startswith("PT")
    assert isinstance(player["statistics"]["plusMinusPoints"], float)
    sched = source.fetch("schedule", DAY, AFTER)[0].body["leagueSchedule"]["gameDates"][0]
    assert sched["gameDate"] == "01/15/2024 00:00:00"
    record = source.fetch("injury_report", DAY, AFTER)[0].body["records"][0]
    assert (
        set(record) == {"date", "gametime", "matchup", "team", "player", "status", "reason", "confidence"}
        and ", " in record["player"]
    )
    odds = source.fetch("prop_lines", DAY, AFTER)[0].body
    assert set(odds) == {"timestamp", "previous_timestamp", "next_timestamp", "data"}
    assert odds["data"]["bookmakers"][0]["markets"][0]["key"] == "player_points"
    json.dumps(box)  # serializable

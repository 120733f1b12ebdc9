"""The simulated league's season structure and box-score consistency."""

import statistics
from collections import Counter
from datetime import date, timedelta

import pytest

from nba_pipeline.identity import TEAMS
from nba_pipeline.sources.sim.games import box_score, team_plan
from nba_pipeline.sources.sim.league import build_season, season_bounds, season_year_of

SEED = 20211019


@pytest.fixture(scope="module")
def season():
    return build_season(SEED, 2023)


def test_season_bounds_match_the_real_calendar():
    assert season_bounds(2021) == (date(2021, 10, 19), date(2022, 4, 10))
    assert season_bounds(2023) == (date(2023, 10, 24), date(2024, 4, 14))
    assert season_year_of(date(2024, 1, 15)) == 2023
    assert season_year_of(date(2024, 7, 1)) is None


def test_a_regular_season_of_1230_games_over_about_165_dates(season):
    per_date = Counter(g.day for g in season.games)
    assert len(season.games) == 1230
    assert 160 <= len(per_date) <= 170
    assert min(per_date.values()) >= 1 and max(per_date.values()) <= 15
    assert statistics.median(per_date.values()) == 7
    games, home = Counter(), Counter()
    for g in season.games:
        games[g.home] += 1
        games[g.away] += 1
        home[g.home] += 1
    assert set(games.values()) == {82} and set(home.values()) == {41}
    assert set(games) == set(TEAMS)


def test_no_team_plays_twice_a_day_or_three_days_running(season):
    played = {}
    for g in season.games:
        for team in (g.home, g.away):
            assert g.day not in played.setdefault(team, set())
            played[team].add(g.day)
    for days in played.values():
        for day in days:
            assert not {day + timedelta(days=1), day + timedelta(days=2)} <= days


def test_nba_ids_are_chronological_and_west_coast_games_tip_late(season):
    assert season.games[0].nba_game_id == "0022300001" and season.games[-1].nba_game_id == "0022301230"
    assert [g.tip for g in season.games] == sorted(g.tip for g in season.games)
    late = [g for g in season.games if g.tip.hour >= 22]
    assert late and all(
        g.tip.astimezone(__import__("zoneinfo").ZoneInfo("UTC")).date() == g.day + timedelta(days=1)
        for g in late
    )


def test_rosters_have_15_to_17_unique_players(season):
    lookups = [p.lookup for p in season.players()]
    assert len(lookups) == len(set(lookups))
    assert all(15 <= len(r) <= 17 for r in season.rosters.values())


def test_box_scores_are_internally_consistent(season):
    for game in season.games[:300]:
        box = box_score(season, game)
        assert box.home_points != box.away_points  # no ties
        for side, margin in (
            (box.home, box.home_points - box.away_points),
            (box.away, box.away_points - box.home_points),
        ):
            played = [line for line in side if line.seconds > 0]
            assert 8 <= len(played) <= 13
            assert 13 <= len(side) <= 20
            assert sum(line.seconds for line in side) == 240 * 60
            assert sum(line.plus_minus for line in side) == 5 * margin
            assert sum(line.starter for line in side) == 5
            for line in side:
                assert (
                    line.fgm <= line.fga
                    and line.fg3m <= line.fg3a
                    and line.fg3a <= line.fga
                    and line.ftm <= line.fta
                )
                assert line.points == 2 * (line.fgm - line.fg3m) + 3 * line.fg3m + line.ftm
                if line.seconds == 0:
                    assert line.points == 0 and line.plan.status in ("dnp", "inactive")


def test_scoring_is_plausible_over_a_season(season):
    points = [
        p for g in season.games for p in (box_score(season, g).home_points, box_score(season, g).away_points)
    ]
    assert 108 <= statistics.mean(points) <= 124
    assert min(points) >= 60 and max(points) <= 185
    home_wins = sum(box_score(season, g).home_points > box_score(season, g).away_points for g in season.games)
    assert 0.5 < home_wins / 1230 < 0.6


def test_players_score_near_their_plan(season):
    errors = [
        line.points - line.plan.expected_points
        for g in season.games[:400]
        for line in (*box_score(season, g).home, *box_score(season, g).away)
        if line.seconds > 0
    ]
    assert abs(statistics.mean(errors)) < 0.5  # unbiased
    assert statistics.mean(abs(e) for e in errors) < 4.0


def test_injured_players_are_inactive_with_their_reason(season):
    outs = [
        plan
        for g in season.games[:200]
        for team in (g.home, g.away)
        for plan in team_plan(season, g, team)
        if plan.availability.status == "Out"
    ]
    assert outs and all(plan.status == "inactive" and plan.availability.reason for plan in outs)

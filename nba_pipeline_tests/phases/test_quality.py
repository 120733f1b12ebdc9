"""Completeness excuses and the cross-table checks, on hand-made rows."""

from datetime import date

import pandas as pd

from nba_pipeline.coverage import Coverage, Excuse
from nba_pipeline.phases.analytics import compute
from nba_pipeline.phases.reconcile import players_match_gamebook, points_match_schedule
from nba_pipeline_tests.phases.test_analytics import pgs, schedule

D1, D2 = date(2024, 1, 10), date(2024, 1, 11)


def test_an_excuse_covers_only_the_games_it_names():
    fourteen_of_fifteen = Coverage(D1, expected=15, found=14, rows=300)
    assert fourteen_of_fifteen.excused_by(Excuse("no roster yet", games=1))
    assert not fourteen_of_fifteen.excused_by(None)
    twelve_of_fifteen = Coverage(D1, expected=15, found=12, rows=250)
    assert not twelve_of_fifteen.excused_by(Excuse("no roster yet", games=1))  # 12 of 14 coverable
    assert twelve_of_fifteen.excused_by(Excuse("no roster yet", games=1), minimum=0.85)
    assert Coverage(D1, 3, 0, 0).excused_by(Excuse("nothing to predict"))  # a whole-date excuse
    assert Coverage(D1, 3, 0, 0).excused_by(Excuse("no roster yet", games=3))


def test_games_with_a_team_without_history_are_excused_per_date():
    games = schedule((D1, "BOS", "NYK"), (D1, "LAL", "GSW"), (D2, "BOS", "LAL"))
    history = pgs(("a", "NYK", date(2024, 1, 8)), ("b", "BOS", date(2024, 1, 8)), ("c", "LAL", D1))
    excuses = compute.games_without_history(games, history)
    # D1: LAL/GSW have no earlier game; D2: both teams have one (LAL's from D1).
    assert list(excuses) == [D1]
    assert excuses[D1].games == 1


def gamebook(*rows):
    return pd.DataFrame(
        [
            {"game_id": g, "game_date": D1, "player_lookup": p, "player_status": s, "minutes": m}
            for g, p, s, m in rows
        ]
    )


def test_player_summary_must_hold_exactly_the_players_who_played():
    book = gamebook(("g1", "a", "active", 30.0), ("g1", "b", "active", 0.0), ("g1", "c", "inactive", None))
    exact = players_match_gamebook(book.iloc[[0]], book, days=[D1])[D1]
    assert exact.passed and exact.metadata["players_played"] == 1
    dropped = players_match_gamebook(book.iloc[[]], book, days=[D1])[D1]
    assert not dropped.passed and dropped.metadata["missing"] == 1
    invented = players_match_gamebook(book.iloc[[0, 1]], book, days=[D1])[D1]
    assert not invented.passed and invented.metadata["extra"] == 1  # b played 0 minutes
    doubled = players_match_gamebook(book.iloc[[0, 0]], book, days=[D1])[D1]
    assert not doubled.passed and doubled.metadata["duplicated"] == 1


def test_team_points_must_equal_the_published_final_score():
    final = schedule((D1, "BOS", "NYK"), (D1, "LAL", "GSW")).assign(
        game_status=[3, 1], home_score=[110, None], away_score=[104, None]
    )
    teams = pd.DataFrame(
        {
            "game_id": [final.game_id[0]] * 2 + [final.game_id[1]],
            "game_date": [D1] * 3,
            "team_abbr": ["NYK", "BOS", "GSW"],
            "points": [110, 101, 99],
        }
    )
    verdict = points_match_schedule(teams, final, [D1])[D1]
    # GSW's game is not final: nothing to compare; BOS's 101 is not the 104 the schedule publishes.
    assert not verdict.passed
    assert verdict.metadata["team_games_compared"] == 2 and verdict.metadata["mismatched"] == 1
    fixed = teams.assign(points=[110, 104, 99])
    assert points_match_schedule(fixed, final, [D1])[D1].passed


def test_nothing_to_compare_passes():
    empty = schedule((D1, "BOS", "NYK")).assign(game_status=1, home_score=None, away_score=None)
    verdict = points_match_schedule(
        pd.DataFrame(columns=["game_id", "game_date", "team_abbr", "points"]), empty, [D1]
    )
    assert verdict[D1].passed and verdict[D1].metadata["team_games_compared"] == 0

"""Phase 4's newer features on hand-made frames: exponentially weighted form at several half-lives
(hand-computed, blind to the date's own game) and who else is expected on the player's team."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from nba_pipeline.phases.precompute.compute import EWM_HALFLIVES, daily_cache, teammates_available
from nba_pipeline_tests.phases.test_no_leakage import _history


def _weighted(values: list[float], halflife: float) -> float:
    """The most recent game weighs 1, each one before it 0.5 ** (1 / halflife) less."""
    weights = [0.5 ** (k / halflife) for k in range(len(values))][::-1]
    return float(np.dot(weights, values) / sum(weights))


def test_weighted_form_at_each_half_life_uses_only_games_before_the_date():
    history = _history({2023: 6})
    day = date(2023, 11, 9)  # after games on Nov 1, 3, 5, 7; the Nov 9 game is the date's own
    players = pd.DataFrame(
        [("g", day, "a", "LAL")], columns=["game_id", "game_date", "player_lookup", "team_abbr"]
    )
    before = history[(history.player_lookup == "a") & (history.game_date < day)]
    assert len(before) == 4
    out = daily_cache(players, history).iloc[0]
    for name, halflife in EWM_HALFLIVES.items():
        assert out[f"ewm_points_{name}"] == pytest.approx(_weighted(before.points.tolist(), halflife))
        assert out[f"ewm_minutes_{name}"] == pytest.approx(_weighted(before.minutes.tolist(), halflife))
    assert out.ewm_ppm_long == pytest.approx(out.ewm_points_long / out.ewm_minutes_long)
    # the short half-life by hand: 2 ** (-1 / 1.5) = 0.63 per game back
    points = before.points.tolist()
    w = [0.5 ** (3 / 1.5), 0.5 ** (2 / 1.5), 0.5 ** (1 / 1.5), 1.0]
    assert out.ewm_points_short == pytest.approx(sum(a * b for a, b in zip(w, points, strict=True)) / sum(w))
    # the date's own result (and anything later) changes nothing
    later = history.assign(points=np.where(history.game_date >= day, 99.0, history.points))
    pd.testing.assert_frame_equal(daily_cache(players, later), daily_cache(players, history))


def test_teammates_available_counts_who_played_the_teams_last_game():
    base = pd.DataFrame(
        {
            "game_id": ["g1"] * 4 + ["g2"] * 2,
            "team_abbr": ["LAL"] * 4 + ["BOS"] * 2,
            "player_lookup": ["star", "wing", "hurt", "gone", "x", "y"],
            "games_missed_streak": [0, 0, 2, 30, 0, 1],
            "points_avg_blend": [25.0, 10.0, 20.0, 8.0, 12.0, np.nan],
            "minutes_avg_blend": [34.0, 24.0, 30.0, 15.0, 30.0, 20.0],
        }
    )
    out = pd.DataFrame(teammates_available(base), index=base.player_lookup)
    # star's teammates who played the last game: wing (10); recently out: hurt (20, 30 min); gone for good: no
    assert out.loc["star"].team_active_points == 10.0
    assert out.loc["wing"].team_active_points == 25.0
    assert out.loc["hurt"].team_active_points == 35.0
    assert out.loc["star"].team_recent_out_points == 20.0
    assert out.loc["star"].team_recent_out_minutes == 30.0
    assert out.loc["hurt"].team_recent_out_points == 0.0  # not himself
    assert out.loc["star"].team_just_out_points == 0.0  # hurt has missed two, not one
    assert out.loc["x"].team_just_out_points == 0.0  # y has no scoring yet: 0
    assert out.loc["star"].points_share_available == pytest.approx(25 / 35)
    assert out.loc["wing"].points_share_available == pytest.approx(10 / 35)
    # rank among those who played the last game: hurt (20) would be second, behind star only
    assert out.points_rank_available.tolist() == [1.0, 2.0, 2.0, 3.0, 1.0, 2.0]
    assert out.team_active_players.tolist() == [1.0, 1.0, 2.0, 2.0, 0.0, 1.0]

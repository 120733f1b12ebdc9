"""Windows that start fresh each season, and rates carried from earlier seasons, on hand-made histories."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from nba_pipeline.features.rolling import rolling_before
from nba_pipeline.features.seasons import (
    PRIOR_GAMES,
    blend,
    carry_start,
    previous_season,
    prior_weight,
    season_keyed,
    season_year,
)

# a: two games in 2021-22 and two in 2023-24 (no 2022-23 in the history); b: 2021-22 and 2022-23.
HISTORY = pd.DataFrame(
    {
        "player": ["a", "a", "a", "a", "b", "b", "b"],
        "game_date": [
            date(2022, 3, 1),
            date(2022, 3, 3),
            date(2023, 10, 25),
            date(2023, 10, 27),
            date(2022, 1, 5),
            date(2023, 2, 1),
            date(2023, 2, 3),
        ],
        "points": [10, 20, 30, 34, 40, 6, 8],
        "minutes": [20, 30, 36, 34, 38, 12, 18],
    }
)


def targets(*rows):
    return pd.DataFrame(rows, columns=["player", "game_date"])


def test_a_season_is_named_by_the_year_it_starts():
    days = [date(2023, 10, 24), date(2024, 4, 14), date(2024, 7, 31), date(2024, 8, 1)]
    assert season_year(days).tolist() == [2023, 2023, 2023, 2024]
    assert carry_start(date(2024, 1, 15)) == date(2021, 8, 1)


def test_season_windows_never_reach_into_last_season():
    t = targets(("a", date(2023, 10, 25)), ("a", date(2023, 10, 28)), ("a", date(2022, 3, 5)))
    fresh = rolling_before(
        season_keyed(HISTORY, "player"), season_keyed(t, "player"), "player", ["points"], [10]
    )
    assert fresh.games_before.tolist() == [0, 2, 2]
    assert np.isnan(fresh.points_avg_last_10.iloc[0])  # opening night: nothing this season yet
    assert fresh.points_avg_last_10.iloc[1] == pytest.approx(32.0)  # 30, 34: not 2021-22's 10 and 20
    crossing = rolling_before(HISTORY, t, "player", ["points"], [10])
    assert crossing.points_avg_last_10.iloc[0] == pytest.approx(15.0)  # what a season-blind window sees


def test_the_nearest_earlier_season_is_carried_with_its_distance():
    t = targets(
        ("a", date(2023, 11, 1)), ("b", date(2023, 11, 1)), ("c", date(2023, 11, 1)), ("a", date(2022, 3, 2))
    )
    prev = previous_season(HISTORY, t, "player", ["points", "minutes"])
    # a in 2023-24: 2021-22 is the nearest earlier season, two back; b: 2022-23, one back
    assert prev.seasons_back.iloc[0] == 2 and prev.seasons_back.iloc[1] == 1
    assert np.isnan(prev.seasons_back.iloc[2])
    assert prev.prev_games.tolist() == [2, 2, 0, 0]
    assert prev.prev_points_avg.iloc[0] == pytest.approx(15.0) and prev.prev_points_avg.iloc[
        1
    ] == pytest.approx(7.0)
    assert prev.prev_minutes_sum.iloc[0] == pytest.approx(50.0)
    # nothing from the same or a later season, and none for a player the history has never seen
    assert np.isnan(prev.prev_points_avg.iloc[2]) and np.isnan(prev.prev_points_avg.iloc[3])


def test_the_carried_rate_fades_as_the_season_fills_in():
    weight = prior_weight(PRIOR_GAMES, pd.Series([1.0, 2.0, np.nan]))
    assert weight.tolist() == [PRIOR_GAMES, PRIOR_GAMES / 2, 0.0]
    # before any game the carried rate alone; after 8 games at 20 a game, halfway from 10 to 20
    out = blend([0, 160, 160, np.nan], [0, 8, 8, 0], [10.0, 10.0, np.nan, np.nan], [8.0, 8.0, 8.0, 8.0])
    assert out[:3].tolist() == [10.0, 15.0, 20.0] and np.isnan(out[3])

"""Rolling windows strictly before each target date, on hand-made histories."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from nba_pipeline.features.rolling import games_in_window, rolling_before, season_mean_before

HISTORY = pd.DataFrame(
    {
        "player": ["a"] * 6 + ["b"] * 2,
        "game_date": [date(2024, 1, d) for d in (1, 3, 4, 6, 8, 10)] + [date(2024, 1, 2), date(2024, 1, 9)],
        "points": [10, 20, 30, 40, 50, 60, 7, np.nan],  # b's second game has no value recorded
        "minutes": [30, 32, 34, 36, 38, 40, 10, 12],
    }
)


def targets(*rows):
    return pd.DataFrame(rows, columns=["player", "game_date"])


def test_windows_use_only_games_strictly_before_the_date():
    t = targets(
        ("a", date(2024, 1, 8)),
        ("a", date(2024, 1, 11)),
        ("a", date(2024, 1, 1)),
        ("b", date(2024, 1, 10)),
        ("c", date(2024, 1, 5)),
    )
    out = rolling_before(HISTORY, t, "player", ["points"], windows=[3, 10], std_windows=[3])
    # a on Jan 8: games Jan 1..6 (10, 20, 30, 40); the Jan 8 game itself is excluded
    assert list(out["games_before"]) == [4, 6, 0, 2, 0]
    assert out["points_avg_last_3"].iloc[0] == pytest.approx(30.0)  # 20, 30, 40
    assert out["points_avg_last_10"].iloc[0] == pytest.approx(25.0)  # fewer than 10: all four
    assert out["points_std_last_3"].iloc[0] == pytest.approx(10.0)
    assert out["points_avg_last_3"].iloc[1] == pytest.approx(50.0)  # 40, 50, 60
    assert out["last_game_date"].iloc[1] == date(2024, 1, 10)
    assert np.isnan(out["points_avg_last_3"].iloc[2]) and np.isnan(
        out["points_avg_last_3"].iloc[4]
    )  # no history
    assert out["points_avg_last_3"].iloc[3] == pytest.approx(7.0)  # the missing value is skipped, not a zero


def test_deleting_the_future_changes_nothing():
    """The no-leakage property: rows on and after the target date do not matter."""
    t = targets(("a", date(2024, 1, 6)), ("b", date(2024, 1, 6)))
    full = rolling_before(HISTORY, t, "player", ["points", "minutes"], windows=[2, 5])
    past = rolling_before(
        HISTORY[HISTORY["game_date"] < date(2024, 1, 6)], t, "player", ["points", "minutes"], windows=[2, 5]
    )
    pd.testing.assert_frame_equal(full, past)


def test_games_in_a_trailing_window_and_season_means():
    t = targets(("a", date(2024, 1, 8)), ("a", date(2024, 1, 4)))
    assert list(games_in_window(HISTORY, t, "player", 7)) == [
        4,
        2,
    ]  # [Jan 1, Jan 8): 1, 3, 4, 6 | [Dec 28, Jan 4): 1, 3
    season_start = pd.Series(pd.to_datetime([date(2024, 1, 3), date(2024, 1, 1)]))
    assert list(season_mean_before(HISTORY, t, "player", "points", season_start)) == [30.0, 15.0]


def test_history_read_back_from_the_warehouse_mixes_timestamp_resolutions():
    """DuckDB returns microsecond timestamps; targets built from dates are nanoseconds."""
    stored = HISTORY.assign(game_date=pd.to_datetime(HISTORY.game_date).astype("datetime64[us]"))
    out = rolling_before(stored, targets(("a", date(2024, 1, 8))), "player", ["points"], windows=[3])
    assert out["points_avg_last_3"].iloc[0] == pytest.approx(30.0)
    assert list(games_in_window(stored, targets(("a", date(2024, 1, 8))), "player", 7)) == [4]


def test_exponentially_weighted_form_before_the_date():
    from nba_pipeline.features.rolling import ewm_before

    out = ewm_before(
        HISTORY,
        targets(("a", date(2024, 1, 4)), ("a", date(2024, 1, 2)), ("z", date(2024, 1, 4))),
        "player",
        "points",
        halflife=1,
    )
    # games on Jan 1 (10) and Jan 3 (20) before Jan 4; halflife 1 game: weights 0.5 and 1 -> (5 + 20) / 1.5
    assert out[0] == pytest.approx(25 / 1.5)
    assert out[1] == pytest.approx(10.0) and np.isnan(out[2])

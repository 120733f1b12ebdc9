"""Each formula on hand-made rows with known answers."""

import math

import pandas as pd
import pytest

from nba_pipeline.features import formulas as f


def test_possessions_pace_and_ratings():
    # FGA 88, FTA 25, OREB 10, TOV 14 -> 88 - 10 + 14 + 11 = 103 possessions
    assert f.possessions(88, 25, 10, 14) == pytest.approx(103.0)
    assert f.pace(103.0, 97.0, 240) == pytest.approx(100.0)  # regulation: average of both
    assert f.pace(110.0, 110.0, 265) == pytest.approx(48 * 110 / 53)  # one overtime: 265 team minutes
    assert f.rating(115, 100.0) == pytest.approx(115.0)
    assert math.isnan(f.rating(0, 0))


def test_true_shooting_and_effective_fg():
    # 30 points on 20 FGA and 10 FTA: 30 / (2 * 24.4)
    assert f.true_shooting(30, 20, 10) == pytest.approx(30 / 48.8)
    assert math.isnan(f.true_shooting(0, 0, 0))  # no attempts: undefined, not 0
    assert f.effective_fg(8, 2, 16) == pytest.approx(0.5625)


def test_usage_rate_on_known_numbers():
    # A player: 20 FGA, 5 FTA, 3 TOV in 36 of 240 team minutes; team 88 FGA, 22 FTA, 13 TOV.
    used = 20 + 0.44 * 5 + 3  # 25.2
    team = 88 + 0.44 * 22 + 13  # 110.68
    assert f.usage_rate(20, 5, 3, 36, 88, 22, 13, 240) == pytest.approx(100 * used * 48 / (36 * team))
    assert f.usage_rate(20, 5, 3, 36, 88, 22, 13, 240) == pytest.approx(30.35, abs=0.01)


def test_usage_rate_is_bounded_when_team_totals_are_the_same_game():
    """DOMAIN §8 item 8: with the wrong team totals usage reached 1228 %; with the right ones a player
    who took every shot in 48 minutes of one team uses at most 100 %."""
    assert f.usage_rate(90, 20, 14, 48, 90, 20, 14, 240) == pytest.approx(500 / 5)
    players = pd.DataFrame(
        {"fga": [20, 15, 10], "fta": [4, 2, 0], "tov": [2, 3, 1], "minutes": [40.0, 30.0, 20.0]}
    )
    rates = f.usage_rate(players.fga, players.fta, players.tov, players.minutes, 88, 22, 13, 240)
    # (20 + 1.76 + 2)·48 / (40·110.68) = 25.8; (15 + 0.88 + 3)·48 / (30·110.68) = 27.3; 11·48 / (20·110.68) = 23.9
    assert list(rates.round(1)) == [25.8, 27.3, 23.9]
    assert (
        f.usage_rate(pd.Series([5]), pd.Series([0]), pd.Series([0]), pd.Series([0.0]), 80, 20, 10, 240)
        .isna()
        .all()
    )

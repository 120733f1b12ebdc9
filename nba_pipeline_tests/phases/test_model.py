"""The points model on hand-made rows spanning two seasons: it learns from every earlier season, never
from its cutoff or later, and its OVER / UNDER probabilities are calibrated."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from nba_pipeline.phases.predictions import calibration as cal
from nba_pipeline.phases.predictions.model import TrainedModel, train

FEATURES = ["form", "minutes"]
# Two seasons with a missing one between them (as in the shared data); the cutoff is the second
# season's third Monday, so the held-back 28 days span its opening.
SEASON_A = [date(2022, 1, 3) + timedelta(days=i) for i in range(90)]
SEASON_B = [date(2023, 10, 24) + timedelta(days=i) for i in range(40)]
CUTOFF = date(2023, 11, 13)


def season_rows(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = [d for d in SEASON_A + SEASON_B for _ in range(40)]
    form = rng.uniform(2, 30, len(days))
    minutes = rng.uniform(10, 38, len(days))
    points = np.maximum(0, np.round(0.8 * form + 0.1 * minutes + rng.normal(0, 4, len(days))))
    return pd.DataFrame(
        {
            "game_date": days,
            "form": form,
            "minutes": minutes,
            "points": points,
            "points_avg_last_10": form,
            "points_avg_last_10__source": "player_daily_cache",
        }
    )


def test_the_model_learns_from_earlier_seasons_and_never_from_its_cutoff_on():
    rows = season_rows()
    model = train(rows, CUTOFF, threads=1, features=FEATURES)
    assert (model.train_start, model.train_end, model.seasons) == (
        SEASON_A[0],
        CUTOFF - timedelta(days=1),
        [2021, 2023],
    )
    assert model.train_rows == 40 * (90 + (CUTOFF - SEASON_B[0]).days)
    # scramble every result on and after the cutoff: the same model, tree for tree
    later = pd.to_datetime(rows.game_date).dt.date >= CUTOFF
    scrambled = rows.assign(points=np.where(later, 99.0, rows.points), form=np.where(later, 0.0, rows.form))
    again = train(scrambled, CUTOFF, threads=1, features=FEATURES)
    assert again.booster.model_to_string() == model.booster.model_to_string()
    assert model.mae_model < model.mae_baseline  # the baseline ignores minutes


def test_the_model_card_and_its_artifact_round_trip():
    model = train(season_rows(), CUTOFF, threads=1, features=FEATURES)
    card = model.card()
    assert card["version"] == "points_model_lgbm_20231113" and card["train_rows"] == model.train_rows
    assert card["training_window"] == "2022-01-03 to 2023-11-12 (seasons 2021, 2023)"
    assert card["calibration_lines"] == "proxy"  # no book lines in these rows: the moving average's n.5
    assert 0 < card["brier"] < 0.25 and set(model.importance) == set(FEATURES)
    assert model.edge_threshold == 2.0 and "no lines" in model.threshold_reason
    loaded = TrainedModel.from_bytes(model.to_bytes())
    test = season_rows(seed=1).head(200)
    assert np.allclose(loaded.predict(test), model.predict(test))
    assert np.allclose(
        loaded.p_over(model.predict(test), test.form), model.p_over(model.predict(test), test.form)
    )
    assert loaded.card() == card


def test_probabilities_from_residuals_are_calibrated():
    rng = np.random.default_rng(3)
    predicted = rng.uniform(5, 30, 20_000)
    actual = predicted + rng.normal(0, 0.2 * predicted + 2)  # bigger scorers miss by more
    dist = cal.ResidualDistribution.fit(predicted, actual)
    # a 20-point prediction has a spread of 6: P(over 23.0) = 1 - Phi(0.5) = 0.309
    assert dist.p_over(np.array([20.0]), np.array([23.0]))[0] == pytest.approx(0.309, abs=0.03)
    assert np.isnan(dist.p_over(np.array([20.0]), np.array([np.nan]))[0])  # no line, no probability
    fresh = rng.uniform(5, 30, 20_000)
    line = np.floor(fresh + rng.normal(0, 3, len(fresh))) + 0.5
    outcome = cal.outcomes(fresh + rng.normal(0, 0.2 * fresh + 2), line)
    p = dist.p_over(fresh, line)
    table = cal.reliability(p, outcome)
    assert table.n.sum() == len(fresh) and len(table) == 10
    assert (table.mean_p_over - table.share_over).abs().max() < 0.04  # each decile as often over as said
    assert cal.brier(p, outcome) < cal.brier(np.full(len(p), 0.5), outcome) == 0.25


def test_the_edge_threshold_is_the_smallest_that_broke_even_on_past_calls():
    # 100 past calls at edge 2.2 won 40; 100 at edge 3.5 won 60
    edge = np.r_[np.full(100, 2.2), np.full(100, -3.5)]
    outcome = np.r_[np.r_[np.ones(40), np.zeros(60)], np.r_[np.zeros(60), np.ones(40)]]
    assert cal.hit_rate(edge, outcome, 2.0) == (200, 0.5)
    threshold, reason = cal.choose_edge_threshold(edge, outcome)
    assert threshold == 2.5 and reason == "100 past calls at edge >= 2.5 hit 60.0%"
    assert cal.choose_edge_threshold(edge[:20], outcome[:20])[0] == 2.0  # too few calls to tell
    losing = np.r_[np.zeros(100), np.ones(100)]
    assert cal.choose_edge_threshold(edge, losing) == (
        6.0,
        "no edge threshold broke even on past games (edge >= 2.0: 0.0%)",
    )


def test_a_seasons_first_week_is_served_by_a_model_held_back_on_last_seasons_end():
    """The Monday before an opener has an off-season behind it: the held-back days are the last 28
    of the previous season, not the empty 28 before the cutoff."""
    rows = season_rows()
    opener_week = date(2023, 10, 23)
    model = train(rows, opener_week, threads=1, features=FEATURES)
    assert (model.train_end, model.seasons) == (SEASON_A[-1], [2021])
    assert (
        model.validation_rows == 40 * 28
        and model.card()["held_back"] == f"the 28 days up to {SEASON_A[-1]}, 1120 rows"
    )

"""Recommendations, predictions and grading on hand-made rows; the model on the simulated season."""

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from nba_pipeline.phases.precompute.features import MAX_DEFAULTED_FEATURES
from nba_pipeline.phases.predictions import compute
from nba_pipeline.phases.predictions.model import BASELINE, SYSTEM_ID, NotEnoughHistory, train


def test_recommendations_edge_confidence_and_calls():
    predicted = pd.Series([20.0, 18.0, 14.0, 20.0, 20.0])
    line = pd.Series([17.5, 17.5, 17.5, np.nan, 17.5])
    p_over = compute.normal_p_over(predicted, line, pd.Series([5.0] * 5))
    calls = compute.recommend(predicted, line, p_over, quality=pd.Series([100.0, 100.0, 100.0, 100.0, 50.0]))
    # edge 2.5 over a spread of 5: P(over) = Phi(0.5) = 0.6915 -> confidence 100 * (2 * 0.6915 - 1) = 38.3
    assert calls.edge.tolist()[:3] == [2.5, 0.5, -3.5]
    assert calls.p_over.iloc[0] == pytest.approx(0.6915, abs=1e-4)
    assert calls.confidence.iloc[0] == pytest.approx(38.3, abs=0.05)
    assert calls.recommendation.tolist() == [
        "OVER",
        "PASS",
        "UNDER",
        "NO_LINE",
        "PASS",
    ]  # last: quality halves confidence
    assert pd.isna(calls.confidence.iloc[3]) and pd.isna(
        calls.p_over.iloc[3]
    )  # no line, never an invented one
    # a model's own threshold: the same 2.5-point edge is a PASS under a threshold of 3
    assert compute.recommend(predicted, line, p_over, pd.Series([100.0] * 5), 3.0).recommendation[0] == "PASS"


def _features(rows):
    base = {
        "game_date": date(2024, 1, 15),
        "team_abbr": "LAL",
        "opponent_abbr": "DEN",
        "player_name": "x",
        "injury_status": None,
        "is_quality_ready": True,
        "feature_quality_score": 96.0,
        "points_avg_last_10": 12.0,
        "points_avg_last_10__source": "player_daily_cache",
        "points_std_last_10": 4.0,
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def test_predict_skips_and_counts_injured_and_defaulted_players_and_never_invents_lines():
    features = _features(
        [
            {"game_id": "g", "player_lookup": "a", "points_avg_last_10": 20.0},
            {"game_id": "g", "player_lookup": "b", "injury_status": "Out"},
            {"game_id": "g", "player_lookup": "c", "is_quality_ready": False},
            {"game_id": "g", "player_lookup": "d", "points_avg_last_10": 9.0},
            # his first game of the season: no moving average yet, last season stands in for the model
            {
                "game_id": "g",
                "player_lookup": "e",
                "points_avg_last_10": np.nan,
                "points_avg_last_10__source": "season_start",
            },
        ]
    )
    contexts = pd.DataFrame(
        {
            "game_id": ["g"] * 5,
            "player_lookup": list("abcde"),
            "points_line": [16.5, 10.5, 10.5, np.nan, 12.5],
        }
    )
    rows, skipped, no_model = compute.predict(features, contexts, lambda day: None)
    assert skipped == {"injured": 1, "defaulted_features": 1, "no_game_this_season": 1, "no_model": 3}
    assert no_model == {date(2024, 1, 15): compute.NO_MODEL}
    assert rows.system_id.unique().tolist() == [BASELINE]
    by_player = rows.set_index("player_lookup")
    assert sorted(by_player.index) == ["a", "d"]
    assert (
        by_player.loc["a", "predicted_points"],
        by_player.loc["a", "edge"],
        by_player.loc["a", "recommendation"],
    ) == (20.0, 3.5, "OVER")
    assert by_player.loc["d", "recommendation"] == "NO_LINE" and pd.isna(by_player.loc["d", "line"])


def test_grading_a_known_day():
    predictions = pd.DataFrame(
        {
            "game_id": ["g"] * 5,
            "game_date": [date(2024, 1, 15)] * 5,
            "player_lookup": list("abcde"),
            "system_id": [BASELINE] * 5,
            "predicted_points": [20.0, 10.0, 15.0, 8.0, 30.0],
            "line": [17.5, 12.5, 15.0, np.nan, 25.5],
            "edge": [2.5, -2.5, 0.0, np.nan, 4.5],
            "recommendation": ["OVER", "UNDER", "PASS", "NO_LINE", "OVER"],
        }
    )
    actuals = pd.DataFrame(
        {"game_id": ["g"] * 4, "player_lookup": list("abcd"), "points": [22, 14, 15, 6]}
    )  # e did not play
    graded = compute.grade(predictions, actuals).set_index("player_lookup")
    assert graded.result.to_dict() == {"a": "hit", "b": "miss", "c": "pass", "d": "no_line"}
    assert graded.abs_error.to_dict() == {"a": 2.0, "b": 4.0, "c": 0.0, "d": 2.0}
    summary = compute.summarize(graded.reset_index()).iloc[0]
    assert (
        summary.graded,
        summary.mae,
        summary.bets_edge_2,
        summary.hits_edge_2,
        summary.hit_rate_edge_2,
    ) == (4, 2.0, 2, 1, 0.5)
    assert summary.bets_edge_3 == 0 and summary.hit_rate_edge_3 is None


def test_training_refuses_without_enough_history():
    rows = pd.DataFrame(
        {"game_date": [date(2024, 1, 1)] * 10, "points": [10] * 10, "points_avg_last_10": [9.0] * 10}
    )
    # a day before the cutoff falls inside the 28-day validation window: nothing left to train on
    with pytest.raises(NotEnoughHistory, match="0 training and 10 validation rows before 2024-01-02"):
        train(rows, date(2024, 1, 2))


def test_the_simulated_season_model_and_its_predictions(season_home):
    with duckdb.connect(str(season_home / "warehouse.duckdb"), read_only=True) as con:
        registry = con.execute(
            "select cutoff_date, train_rows, mae_model, mae_baseline from nba_predictions.model_registry"
        ).fetchall()
        systems = con.execute(
            "select system_id, count(*), min(predicted_points), max(predicted_points) from nba_predictions.player_prop_predictions group by 1 order by 1"
        ).fetchall()
        lines = con.execute("""select count(*) filter (where p.line is not null and c.points_line is null) from nba_predictions.player_prop_predictions p
                               join nba_analytics.upcoming_player_game_context c using (game_id, player_lookup)""").fetchone()[
            0
        ]
        defaulted = con.execute(
            f"select count(*) from nba_predictions.ml_feature_store f join nba_predictions.player_prop_predictions p using (game_id, player_lookup) where f.default_feature_count > {MAX_DEFAULTED_FEATURES}"
        ).fetchone()[0]
    ((cutoff, train_rows, mae_model, mae_baseline),) = registry
    assert cutoff == date(2024, 1, 15) and train_rows > 10_000
    assert mae_model < mae_baseline  # the sim's lines carry information the moving average lacks
    assert [s for s, *_ in systems] == [BASELINE, SYSTEM_ID] and all(
        lo >= 0 and hi < 60 for _, _, lo, hi in systems
    )
    assert lines == 0 and defaulted == 0


def test_the_model_predicts_only_the_dates_a_model_trained_before_them_serves():
    from nba_pipeline_tests.phases.test_model import CUTOFF, FEATURES, season_rows

    model = train(season_rows(), CUTOFF, threads=1, features=FEATURES)
    before, after = CUTOFF - pd.Timedelta(days=1).to_pytimedelta(), CUTOFF
    features = _features(
        [
            {
                "game_id": g,
                "game_date": d,
                "player_lookup": p,
                "form": 20.0,
                "minutes": 30.0,
                "points_avg_last_10": 18.0,
            }
            for g, d in (("g1", before), ("g2", after))
            for p in ("a", "b")
        ]
    )
    contexts = pd.DataFrame(
        {
            "game_id": ["g1", "g1", "g2", "g2"],
            "player_lookup": ["a", "b"] * 2,
            "points_line": [12.5, np.nan] * 2,
        }
    )
    rows, skipped, no_model = compute.predict(
        features, contexts, lambda day: model if day >= CUTOFF else None
    )
    assert no_model == {before: compute.NO_MODEL} and skipped["no_model"] == 2
    by_system = rows.groupby("system_id").game_id.apply(sorted).to_dict()
    assert by_system == {BASELINE: ["g1", "g1", "g2", "g2"], SYSTEM_ID: ["g2", "g2"]}
    served = rows[rows.system_id == SYSTEM_ID].set_index("player_lookup")
    assert (served.model_version == model.version).all()
    expected = model.predict(features[features.game_id == "g2"]).round(1)
    assert served.predicted_points.tolist() == pytest.approx(expected.tolist())
    # P(OVER) from the model's own residuals where there is a line; none without one
    assert served.loc["a", "p_over"] == pytest.approx(
        model.p_over(expected[:1], np.array([12.5]))[0], abs=1e-3
    )
    assert pd.isna(served.loc["b", "p_over"]) and served.loc["b", "recommendation"] == "NO_LINE"


def test_games_without_a_prediction_are_excused_with_their_reason():
    day = date(2024, 10, 22)
    schedule = pd.DataFrame({"game_id": ["g1", "g2", "g3", "g4"], "game_date": [day] * 4})
    features = _features(
        [
            {"game_id": "g1", "player_lookup": "a", "game_date": day},
            {"game_id": "g2", "player_lookup": "b", "game_date": day, "is_quality_ready": False},
            {"game_id": "g4", "player_lookup": "d", "game_date": day},  # eligible, but his first game
        ]
    )
    predictions = pd.DataFrame({"game_id": ["g1"], "game_date": [day]})
    reasons = compute.unpredictable_games(features, predictions, {day: compute.NO_MODEL}, schedule)
    assert reasons == {
        day: (
            "3 game(s) without a prediction: 1 without features (see ml_feature_store); 1 whose players were all "
            f"skipped (injured, or defaulted features); 1 whose players have no game this season yet, and {compute.NO_MODEL}",
            3,
        )
    }

"""The JSON feed: schemas, the halt envelope, and the export gate on predictions."""

import json
from datetime import UTC, date, datetime

import duckdb
import pandas as pd
import pytest

from nba_pipeline.environment import load_settings
from nba_pipeline.phases.export import feed
from nba_pipeline.runner import run_phases
from nba_pipeline_tests.conftest import DEMO_DATE, DEMO_NOW

NOW = datetime(2024, 1, 16, 17, tzinfo=UTC)


def test_the_exported_files_validate_and_carry_the_envelope(season_home):
    exports = season_home / "exports"
    for name in feed.FILES:
        path = exports / ("status.json" if name == "status" else f"{name}/{DEMO_DATE}.json")
        doc = json.loads(path.read_text())
        assert feed.schema_errors(name, doc) == []
        assert {"halt_active", "halt_reason", "halt_since", "halt_source_date"} <= set(doc) and doc[
            "halt_active"
        ] is False
    tonight = json.loads((exports / f"tonight/{DEMO_DATE}.json").read_text())
    assert len(tonight["games"]) == 10 and tonight["total_players"] > 250
    assert (
        tonight["total_with_lines"]
        == sum(p["has_line"] for g in tonight["games"] for p in g["players"])
        > 100
    )
    predicted = [p for g in tonight["games"] for p in g["players"] if p["prediction"]]
    assert predicted and set(predicted[0]["prediction"]["factors"]) == {
        "fatigue_score",
        "shot_zone_mismatch_score",
        "pace_score",
        "usage_spike_score",
    }
    results = json.loads((exports / f"results/{DEMO_DATE}.json").read_text())
    assert {s["system_id"] for s in results["summary"]} == {
        "moving_average_baseline",
        "points_model_lgbm",
    } and results["graded"]


@pytest.mark.parametrize(
    ("games", "near", "manual", "reason"),
    [(0, 0, None, "off_season"), (0, 5, None, "no_games"), (8, 40, "maintenance", "manual")],
)
def test_a_halted_feed_has_empty_arrays_never_absent_ones(games, near, manual, reason):
    halt = feed.halt_for(DEMO_DATE, games, near, manual)
    assert (halt.active, halt.reason) == (True, reason)
    docs = {
        "tonight": feed.tonight(DEMO_DATE, NOW, halt, *(pd.DataFrame(),) * 5),
        "predictions": feed.predictions_file(DEMO_DATE, NOW, halt, pd.DataFrame()),
        "results": feed.results_file(DEMO_DATE, NOW, halt, pd.DataFrame(), pd.DataFrame()),
    }
    assert (
        docs["tonight"]["games"] == []
        and docs["predictions"]["predictions"] == []
        and docs["results"]["graded"] == []
    )
    for name, doc in docs.items():
        assert feed.schema_errors(name, doc) == [] and doc["halt_reason"] == reason


def test_the_schemas_reject_broken_files():
    doc = feed.predictions_file(DEMO_DATE, NOW, feed.Halt(False), pd.DataFrame())
    del doc["predictions"]
    assert feed.schema_errors("predictions", doc)  # an absent array is an error, not an empty one
    halted = feed.predictions_file(DEMO_DATE, NOW, feed.Halt(True, "manual", "x"), pd.DataFrame())
    halted["predictions"] = [{"game_id": "g"}]
    assert feed.schema_errors("predictions", halted)  # halted files must have empty arrays
    row = {
        "game_id": "g",
        "player_lookup": "a",
        "system_id": "s",
        "predicted_points": 12.0,
        "line": None,
        "edge": None,
        "recommendation": "OVER",
        "confidence": None,
    }
    assert feed.schema_errors("predictions", {**doc, "predictions": [row]})  # a call without a line


def test_export_is_blocked_before_predictions_exist(make_settings):
    settings = make_settings()
    run_phases(settings, DEMO_DATE, DEMO_DATE, 4, "manual", "manual", "t")
    # The readiness gate holds the export: its critical input has no rows.
    (held,) = run_phases(settings, DEMO_DATE, DEMO_DATE, 6, "manual", "manual", "t", first=6)
    assert held.status == "held" and held.decisions == {DEMO_DATE.isoformat(): "FAIL"}
    assert "player_prop_predictions: 0/10 games covered" in held.held[DEMO_DATE.isoformat()]
    # And if the run is launched anyway (from the UI, say), the asset's admission refuses it too.
    (export,) = run_phases(settings, DEMO_DATE, DEMO_DATE, 6, "manual", "manual", "t", first=6, gated=False)
    assert export.status == "failed"
    [error] = export.errors
    assert error.startswith(f"json_feed: held, nothing built — {DEMO_DATE}: FAIL: manual needs 50% complete")
    assert "player_prop_predictions: 0/10 games covered" in error
    assert not (settings.export_dir / f"tonight/{DEMO_DATE}.json").exists()


def test_export_is_blocked_when_predictions_fail_their_checks(season_copy):
    settings = load_settings(environ={}, home=str(season_copy), now=DEMO_NOW)
    (settings.export_dir / f"tonight/{DEMO_DATE}.json").unlink()
    with duckdb.connect(str(settings.warehouse_path)) as con:  # a broken write: negative points
        con.execute(
            "update nba_predictions.player_prop_predictions set predicted_points = -5 where player_lookup in "
            "(select player_lookup from nba_predictions.player_prop_predictions limit 3)"
        )
    (export,) = run_phases(settings, DEMO_DATE, DEMO_DATE, 6, "manual", "manual", "t", first=6)
    assert export.status == "failed" and "invalid prediction rows" in export.errors[0]
    assert not (settings.export_dir / f"tonight/{DEMO_DATE}.json").exists()


def test_a_manual_halt_exports_empty_arrays(season_copy):
    settings = load_settings(environ={}, home=str(season_copy), now=DEMO_NOW, halt="maintenance window")
    (export,) = run_phases(settings, DEMO_DATE, DEMO_DATE, 6, "manual", "manual", "t", first=6)
    assert export.status == "success"
    tonight = json.loads((settings.export_dir / f"tonight/{DEMO_DATE}.json").read_text())
    assert (tonight["halt_active"], tonight["halt_reason"], tonight["halt_since"], tonight["games"]) == (
        True,
        "manual",
        "maintenance window",
        [],
    )
    assert date.fromisoformat(tonight["halt_source_date"]) == DEMO_DATE

"""Issue 14, done-when: a week backfilled into an empty home exports predictions and the status chart.
No model can exist (nothing before the week to learn from), so the baseline predicts alone and the
predictions' metadata says, per date, why the model wrote nothing."""

import json
from datetime import date

import dagster as dg
import duckdb
import pytest

from nba_pipeline import cli
from nba_pipeline.environment import load_settings
from nba_pipeline.phases.predictions.compute import NO_MODEL
from nba_pipeline.phases.predictions.model import BASELINE
from nba_pipeline.runner import ensure_instance

WEEK = [date(2024, 1, d) for d in range(1, 8)]


@pytest.mark.slow
def test_a_week_from_an_empty_home_exports_baseline_predictions_and_the_status_chart(
    home, monkeypatch, capsys
):
    monkeypatch.setenv("NBA_PIPELINE_NOW", "2024-01-09T12:00:00-05:00")
    assert cli.main(["backfill", "--start", "2024-01-01", "--end", "2024-01-07", "--json"]) == 0
    phases = {p["phase"]: p for p in json.loads(capsys.readouterr().out)["phases"]}
    assert [phases[n]["errors"] for n in range(1, 7)] == [[]] * 6
    # The opener of the home has no history at all (no features); Jan 2 only rookies' defaults.
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        by_date = dict(
            con.execute(
                "select game_date, list(distinct system_id) from nba_predictions.player_prop_predictions group by 1"
            ).fetchall()
        )
        ready = {
            d
            for (d,) in con.execute(
                "select distinct game_date from nba_predictions.ml_feature_store where is_quality_ready"
            ).fetchall()
        }
    assert sorted(by_date) == sorted(ready) == WEEK[2:]
    assert all(systems == [BASELINE] for systems in by_date.values())
    settings = load_settings(environ={}, home=str(home))
    with ensure_instance(settings) as instance:
        metadata = instance.get_latest_materialization_event(
            dg.AssetKey(["nba_predictions", "player_prop_predictions"])
        ).asset_materialization.metadata
    assert metadata["model_not_serving"].value == {d.isoformat(): NO_MODEL for d in WEEK[2:]}
    assert phases[6]["status"] == "partial" and sorted(phases[6]["held"]) == ["2024-01-01", "2024-01-02"]
    for day in WEEK[2:]:
        feed = json.loads((home / "exports" / "predictions" / f"{day}.json").read_text())
        assert feed["game_date"] == day.isoformat() and not feed["halt_active"]
        assert feed["predictions"] and {p["system_id"] for p in feed["predictions"]} == {BASELINE}
    assert (home / "exports" / "charts" / "pipeline_2024-01-07.png").stat().st_size > 10_000

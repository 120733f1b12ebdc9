"""Benchmark: the trained points model against the moving-average baseline, on the same player-games.

- sim: phases 1-4 over a simulated season's first 90 game dates; a model trained on the first 60
  (cutoff = the 61st date, so it never sees the test dates) predicts the next 30.
- real: the 2023-24 season (needs ../shared/data/nba/player_logs_2023-24.csv); one model trained on
  dates before 2024-03-01 predicts every player-game from 2024-03-01 to the end, and the platform's
  own weekly models (each serving the week after its cutoff) are graded on the same dates.

Both compare MAE on exactly the rows where both predictors exist. Target (issue 3): the model below
the baseline on the sim, and at least 3 % below it on the real season.

    python -m benchmarks.model_quality [--cases sim,real] [--real-home DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

import numpy as np

from nba_pipeline.environment import DEFAULT_REPLAY, load_settings
from nba_pipeline.phases.analytics.tables import PLAYER_GAME_SUMMARY
from nba_pipeline.phases.precompute.tables import FEATURE_STORE
from nba_pipeline.phases.predictions.model import BASELINE, SYSTEM_ID, train, training_rows
from nba_pipeline.phases.predictions.tables import ACCURACY
from nba_pipeline.resources.warehouse import DuckDBWarehouse, read_dates
from nba_pipeline.runner import run_phases
from nba_pipeline.sources.sim.league import build_season

NOW = "2024-06-01T12:00:00-04:00"
REAL_SEASON = (date(2023, 10, 24), date(2024, 4, 14))
REAL_CUTOFF = date(2024, 3, 1)


def compare(warehouse: DuckDBWarehouse, cutoff: date, first: date, last: date) -> dict:
    """A model trained on every row before `cutoff`, against the baseline on the test dates' rows."""
    rows = training_rows(
        read_dates(warehouse, FEATURE_STORE, first, last),
        read_dates(warehouse, PLAYER_GAME_SUMMARY, first, last),
    )
    model = train(rows, cutoff)
    test = rows[rows.game_date >= cutoff]
    model_mae = float(np.mean(np.abs(test.points - model.predict(test))))
    base_mae = float(np.mean(np.abs(test.points - test.points_avg_last_10)))
    return {
        "train_rows": model.train_rows,
        "test_rows": len(test),
        "trees": model.trees,
        "mae_model": round(model_mae, 3),
        "mae_baseline": round(base_mae, 3),
        "improvement_pct": round(100 * (1 - model_mae / base_mae), 2),
    }


def sim_case() -> dict:
    days = build_season(20211019, 2023).dates[:90]
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings(environ={}, home=home, now=NOW)
        run_phases(settings, days[0], days[-1], 4, "backfill", "backfill", "model-quality")
        result = compare(DuckDBWarehouse(settings.warehouse_path), days[60], days[0], days[-1])
    return {"case": "sim: first 60 dates -> next 30", "cutoff": days[60].isoformat(), **result}


def real_case(home: str | None) -> list[dict]:
    home = home or tempfile.mkdtemp(prefix="model-quality-")
    settings = load_settings(environ={}, home=home, source="replay", now=NOW)
    warehouse = DuckDBWarehouse(settings.warehouse_path)
    if read_dates(warehouse, ACCURACY, REAL_CUTOFF, REAL_SEASON[1]).empty:
        run_phases(settings, *REAL_SEASON, 5, "backfill", "backfill", "model-quality")
    single = {
        "case": "real: one model trained before 2024-03-01",
        "cutoff": REAL_CUTOFF.isoformat(),
        **compare(warehouse, REAL_CUTOFF, REAL_SEASON[0], REAL_SEASON[1]),
    }
    graded = read_dates(warehouse, ACCURACY, REAL_CUTOFF, REAL_SEASON[1])
    both = (
        graded.groupby(["game_id", "player_lookup"]).system_id.transform("nunique") == 2
    )  # same player-games
    mae = graded[both].groupby("system_id").abs_error.mean()
    weekly = {
        "case": "real: the platform's weekly models, graded",
        "cutoff": "weekly",
        "test_rows": int(both.sum() // 2),
        "mae_model": round(float(mae[SYSTEM_ID]), 3),
        "mae_baseline": round(float(mae[BASELINE]), 3),
        "improvement_pct": round(100 * (1 - mae[SYSTEM_ID] / mae[BASELINE]), 2),
    }
    return [single, weekly]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="sim,real")
    parser.add_argument(
        "--real-home", help="a data directory with the real season through phase 5 (built when missing)"
    )
    args = parser.parse_args(argv)
    results = []
    if "sim" in args.cases:
        results.append(sim_case())
    if "real" in args.cases:
        if DEFAULT_REPLAY.exists():
            results += real_case(args.real_home)
        else:
            print(f"skipping real: {DEFAULT_REPLAY} is absent", file=sys.stderr)
    print(
        f"{'case':48} {'cutoff':10} {'test rows':>9} {'model MAE':>9} {'baseline MAE':>12} {'better by':>9}"
    )
    for r in results:
        print(
            f"{r['case']:48} {r['cutoff']:10} {r['test_rows']:>9} {r['mae_model']:>9} {r['mae_baseline']:>12} {r['improvement_pct']:>8}%"
        )
    Path("benchmarks/results").mkdir(parents=True, exist_ok=True)
    Path("benchmarks/results/model_quality.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

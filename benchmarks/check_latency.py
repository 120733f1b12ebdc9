"""Benchmark: the dependency check's latency on DuckDB (issue 4 target: p95 under 200 ms for one
(phase, date); issue 16 row B goal: p95 at most 50 ms; the original system aimed at 30 s).

Setup (untimed): a simulated league's first 35 game dates through phase 4 in one data directory.
Timed, each repeated, in this one process:
- one check: `check()` for one (phase, date) exactly as `nba-pipeline check` calls it (warehouse reads,
  the Dagster instance's record of loaded schedules, asset-check results, the decision, the log
  write, alerts), for phases 3 and 4 in overnight mode;
- a 30-date sweep: one `check()` over 30 dates (the gate of a backfill), against 30 one-date checks.
The CLI's own process start (Python, Dagster imports) is measured apart, once per run.

    python -m benchmarks.check_latency [--repeat 40]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from nba_pipeline.environment import load_settings
from nba_pipeline.instance import active_feeds, ensure_instance
from nba_pipeline.modes import Mode
from nba_pipeline.orchestration.dependency import check
from nba_pipeline.orchestration.store import make_store
from nba_pipeline.resources.warehouse import DuckDBWarehouse
from nba_pipeline.runner import run_phases
from nba_pipeline.sources.sim.league import build_season

NOW = "2024-06-01T12:00:00-04:00"
DATES = 35
SWEEP = 30
GOAL_P95_MS = 50  # issue 16 row B


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(ms: list[float]) -> dict:
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "max_ms": round(max(ms), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=40)
    repeat = parser.parse_args(argv).repeat
    home = Path(tempfile.mkdtemp(prefix="nba-check-bench-"))
    settings = load_settings(environ={}, home=str(home), now=NOW)
    days = build_season(settings.seed, 2023).dates[:DATES]
    run_phases(settings, days[0], days[-1], 4, "backfill", "backfill", "bench")
    warehouse, store = DuckDBWarehouse(settings.warehouse_path), make_store(settings.state_dir)
    feeds, now, sweep = active_feeds(settings), settings.now, days[-SWEEP:]
    results: dict = {"dates_loaded": len(days), "sweep_dates": len(sweep), "repeat": repeat}
    with ensure_instance(settings) as instance:

        def one(phase: int, day: date):
            return lambda: check(
                warehouse, store, phase, [day], Mode.OVERNIGHT, now, feeds, "bench", instance
            )

        for phase in (3, 4):
            one(phase, days[-1])()  # warm: first reads open the file and load the catalog
            results[f"one_check_phase_{phase}"] = summary(timed(one(phase, days[-1]), repeat))
        whole = timed(
            lambda: check(warehouse, store, 4, sweep, Mode.OVERNIGHT, now, feeds, "bench", instance), 5
        )
        separate = timed(lambda: [one(4, d)() for d in sweep], 3)
    results["sweep_30_dates_one_call"] = summary(whole)
    results["sweep_30_dates_separate_calls"] = summary(separate)
    results["sweep_speedup"] = round(statistics.median(separate) / statistics.median(whole), 2)
    env = {**os.environ, "NBA_PIPELINE_HOME": str(home), "NBA_PIPELINE_NOW": NOW}
    cli = [
        sys.executable,
        "-m",
        "nba_pipeline.cli",
        "check",
        "--date",
        days[-1].isoformat(),
        "--phase",
        "4",
        "--json",
    ]
    start = time.perf_counter()
    subprocess.run(cli, env=env, check=True, capture_output=True)
    results["cli_process_ms"] = round((time.perf_counter() - start) * 1000, 1)
    results["target_p95_ms"] = 200
    results["target_met"] = all(results[f"one_check_phase_{p}"]["p95_ms"] < 200 for p in (3, 4))
    results["goal_p95_ms"] = GOAL_P95_MS
    results["goal_met"] = all(results[f"one_check_phase_{p}"]["p95_ms"] <= GOAL_P95_MS for p in (3, 4))
    out = Path(__file__).parent / "results" / "check_latency.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    for p in (3, 4):
        p95 = results[f"one_check_phase_{p}"]["p95_ms"]
        verdict = "met" if p95 <= GOAL_P95_MS else "not met"
        print(f"one check, phase {p}: p95 {p95:.1f} ms (goal {GOAL_P95_MS} ms: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: a whole season backfilled through phases 1..N in single-run backfills (one run per phase),
next to Dagster's own bookkeeping floor for the same asset keys and range, measured in the same run.

The floor materializes no-op assets with the same keys, groups, dependencies and partitions in the
same one-run-per-phase shape (playbook §13: ~4.5 s per partitioned asset per season on SQLite).
Reports wall time, floor and their ratio per case. Targets (issue 2): ratio <= 1.5 and < 90 s.

    python -m benchmarks.backfill_phases [--through 2] [--cases sim,replay]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import dagster as dg

from nba_pipeline.definitions import build_definitions
from nba_pipeline.environment import DEFAULT_REPLAY_CSV, load_settings
from nba_pipeline.partitions import GAME_DATE_PARTITIONS
from nba_pipeline.phases import PHASES, SINGLE_RUN
from nba_pipeline.runner import QUIET, phase_keys, run_phases

SEASON = (date(2023, 10, 24), date(2024, 4, 14))  # the 2023-24 regular season, sim and real alike


def floor_definitions(defs: dg.Definitions) -> dg.Definitions:
    """No-op assets with the real graph's keys, groups, deps and partitions."""
    graph = defs.resolve_asset_graph()
    assets = []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)

        @dg.asset(
            key=key,
            deps=list(node.parent_keys),
            group_name=node.group_name,
            partitions_def=GAME_DATE_PARTITIONS,
            backfill_policy=SINGLE_RUN,
        )
        def _noop() -> None:
            return None

        assets.append(_noop)
    return dg.Definitions(assets=assets, executor=dg.in_process_executor)


def time_floor(defs: dg.Definitions, through: int, start: date, end: date) -> float:
    floor = floor_definitions(defs)
    with tempfile.TemporaryDirectory() as home, dg.instance_for_test(temp_dir=home) as instance:
        began = time.monotonic()
        for phase in PHASES[:through]:
            keys = phase_keys(floor, phase)
            floor.resolve_implicit_job_def_def_for_assets(keys).execute_in_process(
                run_config=QUIET,
                instance=instance,
                asset_selection=keys,
                tags={
                    "dagster/asset_partition_range_start": start.isoformat(),
                    "dagster/asset_partition_range_end": end.isoformat(),
                },
            )
        return time.monotonic() - began


def time_backfill(source: str, through: int, start: date, end: date) -> tuple[float, list]:
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings(home=home, source=source, now="2024-06-01T12:00:00-04:00")
        began = time.monotonic()
        outcomes = run_phases(settings, start, end, through, "backfill", "backfill", "benchmark")
        return time.monotonic() - began, outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--through", type=int, default=PHASES[-1].number)
    parser.add_argument("--cases", default="sim,replay")
    args = parser.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    if "replay" in cases and not DEFAULT_REPLAY_CSV.exists():
        print(f"skipping replay: {DEFAULT_REPLAY_CSV} is absent", file=sys.stderr)
        cases.remove("replay")

    start, end = SEASON
    defs = build_definitions(load_settings(home=tempfile.gettempdir()))
    assets = sum(len(phase_keys(defs, p)) for p in PHASES[: args.through])
    results = []
    for case in cases:
        wall, outcomes = time_backfill(case, args.through, start, end)
        floor = time_floor(defs, args.through, start, end)
        failed = [o.phase for o in outcomes if o.status != "success"]
        results.append(
            {
                "case": case,
                "phases": f"1-{args.through}",
                "assets": assets,
                "dates": (end - start).days + 1,
                "wall_s": round(wall, 1),
                "floor_s": round(floor, 1),
                "ratio": round(wall / floor, 2),
                "phase_seconds": {o.phase: o.seconds for o in outcomes},
                "failed_phases": failed,
            }
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{'case':8} {'phases':7} {'assets':>6} {'dates':>5} {'wall s':>7} {'floor s':>8} {'ratio':>6}  per-phase seconds"
    )
    for r in results:
        print(
            f"{r['case']:8} {r['phases']:7} {r['assets']:>6} {r['dates']:>5} {r['wall_s']:>7} {r['floor_s']:>8} {r['ratio']:>6}  {r['phase_seconds']}"
        )
    print(f"peak RSS {peak_mb:.0f} MB; targets: ratio <= 1.5 and wall < 90 s per case")
    Path("benchmarks/results").mkdir(parents=True, exist_ok=True)
    Path("benchmarks/results/backfill_phases.json").write_text(
        json.dumps({"results": results, "peak_rss_mb": round(peak_mb)}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: a whole season through phases FIRST..THROUGH in single-run backfills (one run per phase),
next to Dagster's own bookkeeping floor for the same asset keys and range, measured in the same run.

The floor materializes no-op assets with the same keys, groups, dependencies and partitions in the
same one-run-per-phase shape (playbook §13: ~4.5 s per partitioned asset per season on SQLite). A
second floor gives those no-op assets the real assets' checks, each recording one passed result per
date (DOMAIN: one result per date per check) through the same helper: what Dagster itself costs to
store the check results the platform promises.
Phases before FIRST run first, untimed, so the timed phases have their inputs. Each case runs in
its own process, so its peak memory is its own.

    python -m benchmarks.backfill_phases --first 1 --through 2   # issue 2: phases 1-2, sim and real
    python -m benchmarks.backfill_phases --first 2 --through 5   # issue 3: phases 2-5
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import dagster as dg

from nba_pipeline.checks import Verdict, emit_check
from nba_pipeline.definitions import build_definitions
from nba_pipeline.environment import DEFAULT_REPLAY, load_settings
from nba_pipeline.phases import PHASES, SINGLE_RUN
from nba_pipeline.runner import QUIET, _range, _windows, phase_keys, run_phases

SEASON = (date(2023, 10, 24), date(2024, 4, 14))  # the 2023-24 regular season, sim and real alike
NOW = "2024-06-01T12:00:00-04:00"


def _noop_with(specs: list[dg.AssetCheckSpec]):
    """A compute that writes nothing and records each check passed, per date in a range run, through
    the real assets' own helper (`emit_check`: one result per date pointing at its materialization,
    and one run-level result)."""

    def _noop(context):
        yield dg.MaterializeResult()
        keys = context.partition_keys if context.assets_def.partitions_def else []
        days = [date.fromisoformat(k) for k in keys]
        for spec in specs:
            yield from emit_check(context, spec.asset_key, spec.name, {d: Verdict(True, {}) for d in days})

    return _noop


def floor_definitions(defs: dg.Definitions, with_checks: bool) -> dg.Definitions:
    """No-op assets with the real graph's keys, groups, deps and partitions; `with_checks`: each also
    carries the real asset's checks and records one passed result per date per check, as the real
    assets do (DOMAIN: one result per date per check), so the floor includes what Dagster itself costs
    to store them."""
    graph = defs.resolve_asset_graph()
    assets = []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        specs = (
            [graph.get_check_spec(c) for c in graph.get_check_keys_for_assets({key})] if with_checks else []
        )

        assets.append(
            dg.asset(
                key=key,
                deps=list(node.parent_keys),
                group_name=node.group_name,
                partitions_def=node.partitions_def,
                backfill_policy=SINGLE_RUN,
                check_specs=specs,
            )(_noop_with(specs))
        )
    return dg.Definitions(assets=assets, executor=dg.in_process_executor)


def time_floor(
    defs: dg.Definitions, first: int, through: int, start: date, end: date, with_checks: bool
) -> float:
    floor = floor_definitions(defs, with_checks)
    # The floor's instance is the platform's own (the event log on kept connections, dagster.yaml), so
    # the ratio is the platform's cost over Dagster's on the same storage.
    local = {"instance_class": {"module": "nba_pipeline.instance_storage", "class": "LocalInstance"}}
    with (
        tempfile.TemporaryDirectory() as home,
        dg.instance_for_test(temp_dir=home, overrides=local) as instance,
    ):
        began = time.monotonic()
        for phase in PHASES[first - 1 : through]:
            for partitions_def, keys in _windows(floor, phase_keys(floor, phase)):
                partition, tags = _range(partitions_def, start, end)
                job = floor.resolve_implicit_job_def_def_for_assets(keys)
                job.execute_in_process(
                    run_config=QUIET, instance=instance, asset_selection=keys, tags=tags, **partition
                )
        return time.monotonic() - began


def run_case(source: str, first: int, through: int, keep: str | None, start: date, end: date) -> dict:
    """One case, in this process: untimed phases before `first`, then the timed window, then its
    floors (the assets alone, and the assets with their per-date check results)."""
    home = keep or tempfile.mkdtemp(prefix=f"bench-{source}-")
    settings = load_settings(environ={}, home=home, source=source, now=NOW)
    if first > 1:
        run_phases(settings, start, end, first - 1, "backfill", "backfill", "benchmark-setup")
    began = time.monotonic()
    outcomes = run_phases(settings, start, end, through, "backfill", "backfill", "benchmark", first=first)
    wall = time.monotonic() - began
    defs = build_definitions(settings)
    floor = time_floor(defs, first, through, start, end, with_checks=False)
    checks_floor = time_floor(defs, first, through, start, end, with_checks=True)
    return {
        "case": source,
        "phases": f"{first}-{through}",
        "assets": sum(len(phase_keys(defs, p)) for p in PHASES[first - 1 : through]),
        "dates": (end - start).days + 1,
        "wall_s": round(wall, 1),
        "floor_s": round(floor, 1),
        "ratio": round(wall / floor, 2),
        "floor_checks_s": round(checks_floor, 1),
        "ratio_checks": round(wall / checks_floor, 2),
        "checks": sum(
            len(defs.resolve_asset_graph().get_check_keys_for_assets(set(phase_keys(defs, p))))
            for p in PHASES[first - 1 : through]
        ),
        "phase_seconds": {o.phase: o.seconds for o in outcomes},
        "phase_status": {o.phase: o.status for o in outcomes},  # partial: some dates held by readiness
        "held_dates": {o.phase: len(o.held) for o in outcomes if o.held},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "home": home if keep else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--through", type=int, default=PHASES[-1].number)
    parser.add_argument("--cases", default="sim,replay")
    parser.add_argument("--start", type=date.fromisoformat, default=SEASON[0])
    parser.add_argument("--end", type=date.fromisoformat, default=SEASON[1])
    parser.add_argument(
        "--keep", help="keep each case's data directory under this folder (for benchmarks.model_quality)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)  # one case, run in a subprocess
    args = parser.parse_args(argv)
    if args.child:
        keep = str(Path(args.keep) / args.child) if args.keep else None
        print(json.dumps(run_case(args.child, args.first, args.through, keep, args.start, args.end)))
        return 0
    cases = [c for c in args.cases.split(",") if c]
    if "replay" in cases and not DEFAULT_REPLAY.exists():
        print(f"skipping replay: {DEFAULT_REPLAY} is absent", file=sys.stderr)
        cases.remove("replay")
    results = []
    for case in cases:
        command = [
            sys.executable,
            "-m",
            "benchmarks.backfill_phases",
            "--child",
            case,
            "--first",
            str(args.first),
            "--through",
            str(args.through),
            "--start",
            args.start.isoformat(),
            "--end",
            args.end.isoformat(),
        ]
        if args.keep:
            command += ["--keep", args.keep]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(
        f"{'case':8} {'phases':7} {'assets':>6} {'dates':>5} {'wall s':>7} {'floor s':>8} {'ratio':>6} {'+checks s':>9} {'ratio':>6} {'peak MB':>8}  per-phase seconds"
    )
    for r in results:
        print(
            f"{r['case']:8} {r['phases']:7} {r['assets']:>6} {r['dates']:>5} {r['wall_s']:>7} {r['floor_s']:>8} {r['ratio']:>6} {r['floor_checks_s']:>9} {r['ratio_checks']:>6} {r['peak_rss_mb']:>8}  {r['phase_seconds']}"
            + f"  status {r['phase_status']}  held dates {r['held_dates']}"
        )
    Path("benchmarks/results").mkdir(parents=True, exist_ok=True)
    Path(f"benchmarks/results/backfill_phases_{args.first}-{args.through}.json").write_text(
        json.dumps(results, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

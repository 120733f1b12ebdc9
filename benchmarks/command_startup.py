"""Benchmark: wall time of `nba-pipeline check` / `trigger` / `status` as processes (issue 16 row A,
goal 1.5 s each), against the floors `python -c pass` and `python -c "import dagster"`.

Setup (untimed, unless --home names a prepared data directory): one simulated date through phase 4.
Timed: each command as a fresh process, --repeat times; the median is reported. `trigger` asks for a
phase already built for its inputs (no --force), so it answers without launching a run.

    python -m benchmarks.command_startup [--repeat 5] [--home DIR]
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
from pathlib import Path

DATE = "2024-01-15"
NOW = "2024-01-16T12:00:00-05:00"
GOAL_S = 1.5

COMMANDS = {
    "check": ["check", "--date", DATE, "--phase", "4", "--json"],
    "trigger": ["trigger", "--date", DATE, "--phase", "4", "--json"],
    "status": ["status", "--date", DATE, "--json"],
}


def wall(argv: list[str], env: dict, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        out.append(time.perf_counter() - start)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--home", help="a data directory already holding the date through phase 4")
    args = parser.parse_args(argv)
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="nba-startup-bench-"))
    env = {**os.environ, "NBA_PIPELINE_HOME": str(home), "NBA_PIPELINE_NOW": NOW}
    cli = [sys.executable, "-m", "nba_pipeline.cli"]
    if not args.home:
        subprocess.run(
            [*cli, "run", "--date", DATE, "--through", "4"], env=env, check=True, capture_output=True
        )
    results: dict = {"repeat": args.repeat, "goal_s": GOAL_S, "floors": {}, "commands": {}}
    for name, code in (("python -c pass", "pass"), ('python -c "import dagster"', "import dagster")):
        results["floors"][name] = round(
            statistics.median(wall([sys.executable, "-c", code], env, args.repeat)), 3
        )
    for name, rest in COMMANDS.items():
        samples = wall([*cli, *rest], env, args.repeat)
        median = statistics.median(samples)
        results["commands"][name] = {
            "median_s": round(median, 3),
            "min_s": round(min(samples), 3),
            "max_s": round(max(samples), 3),
            "goal_met": median <= GOAL_S,
        }
    out = Path(__file__).parent / "results" / "command_startup.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    for name, r in results["commands"].items():
        print(
            f"{name:8s} median {r['median_s']:.2f} s  (goal {GOAL_S} s: {'met' if r['goal_met'] else 'not met'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

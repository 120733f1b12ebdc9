"""Benchmark: `make demo` on a fresh clone (issue 16, goal 2 min) and a second `make demo` on the
data directory it built (issue 15, goal 30 s).

A clean clone of this repository's HEAD in a temporary folder (uncommitted changes are not in it),
with its own `.venv` and data directory; the package caches of this machine are warm, as on any
machine that installed once. Timed: `make install`, then `make demo`, then `make demo` again.

    python -m benchmarks.fresh_demo
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FRESH_GOAL_S = 120.0
REPEAT_GOAL_S = 30.0


def timed(target: str, clone: Path, env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(["make", target], cwd=clone, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"make {target} failed in {clone}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return took


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="nba-fresh-demo-") as tmp:
        clone = Path(tmp) / "nba_pipeline"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NBA_PIPELINE_", "VIRTUAL_ENV"))}
        env["NBA_PIPELINE_HOME"] = str(Path(tmp) / "home")
        install = timed("install", clone, env)
        demo = timed("demo", clone, env)
        again = timed("demo", clone, env)
    results = {
        "install_s": round(install, 1),
        "demo_s": round(demo, 1),
        "fresh_s": round(install + demo, 1),
        "fresh_goal_s": FRESH_GOAL_S,
        "second_demo_s": round(again, 1),
        "second_goal_s": REPEAT_GOAL_S,
    }
    print(f"{'what':34} {'seconds':>8} {'goal':>6}")
    print(f"{'make install (fresh clone)':34} {results['install_s']:>8}")
    print(f"{'make demo (empty data directory)':34} {results['demo_s']:>8}")
    print(f"{'fresh clone: install + demo':34} {results['fresh_s']:>8} {FRESH_GOAL_S:>6}")
    print(f"{'second make demo':34} {results['second_demo_s']:>8} {REPEAT_GOAL_S:>6}")
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "fresh_demo.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Soak: a command-line season backfill while the daemon runs the cascade (DOMAIN §8 item 17).

Measured in one run: the backfill alone on a fresh data directory, then the same backfill on another
fresh one beside a real `dagster-daemon` whose cascade sensors compete for every phase and date.
Reported: wall times and their ratio, duplicate builds (any (phase, date) built by more than one
run: goal 0), claims still held and runs still STARTED once everything has come to rest (goal 0).

    python -m benchmarks.soak                                   # the 2023-24 simulated season
    python -m benchmarks.soak --start 2024-01-08 --end 2024-01-21
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

import dagster as dg

from nba_pipeline.orchestration import claims
from nba_pipeline_tests.live.harness import Live, builds

RESULTS = Path(__file__).parent / "results"


def backfill(live: Live, start: str, end: str) -> tuple[float, dict]:
    began = time.monotonic()
    done = live.cli("backfill", "--start", start, "--end", end, "--json", timeout=7200)
    seconds = time.monotonic() - began
    if done.returncode not in (0, 3):
        raise SystemExit(f"backfill failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def outcome(live: Live, start: str, end: str) -> dict:
    with live.instance() as instance:
        built = {k: v for k, v in builds(instance).items() if start <= k[1].isoformat() <= end}
        started = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        by_trigger = Counter(
            r.tags.get("nba/trigger", "?") for r in instance.get_runs() if "nba/phase" in r.tags
        )
    return {
        "phase_dates_built": len(built),
        "duplicate_builds": sum(1 for runs in built.values() if len(runs) > 1),
        "stuck_claims": len(live.store().claims(states=claims.ACTIVE)),
        "runs_started": len(started),
        "runs_by_trigger": dict(by_trigger),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2023-10-24")
    parser.add_argument("--end", default="2024-04-14")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        alone = Live.at(Path(tmp) / "alone" / "nba")
        alone_s, _ = backfill(alone, args.start, args.end)
        alone_out = outcome(alone, args.start, args.end)

        beside = Live.at(Path(tmp) / "beside" / "nba")
        beside.start_daemon()
        try:
            beside_s, _ = backfill(beside, args.start, args.end)
            beside.quiet(timeout=3600)
            beside_out = outcome(beside, args.start, args.end)
        finally:
            beside.stop()
    result = {
        "range": f"{args.start}..{args.end}",
        "backfill_alone_s": round(alone_s, 1),
        "backfill_beside_daemon_s": round(beside_s, 1),
        "ratio": round(beside_s / alone_s, 2),
        "alone": alone_out,
        "beside_daemon": beside_out,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"soak {result['range']}")
    print(f"  backfill alone              {alone_s:8.1f} s")
    print(f"  backfill beside the daemon  {beside_s:8.1f} s   ratio {result['ratio']:.2f}")
    for name, out in (("alone", alone_out), ("beside the daemon", beside_out)):
        print(
            f"  {name:<18} duplicate builds {out['duplicate_builds']} (goal 0), stuck claims {out['stuck_claims']}"
            f" (goal 0), runs STARTED {out['runs_started']} (goal 0), (phase, date) built {out['phase_dates_built']},"
            f" runs by trigger {out['runs_by_trigger']}"
        )


if __name__ == "__main__":
    main()

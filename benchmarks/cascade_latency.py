"""Benchmark: signal → export latency with the real `dagster dev` (webserver + daemon), as a person uses it.

1. A data directory with history (`nba-pipeline run --date 2024-01-15`: 90 days through phase 4, the
   week's model, all phases for the date).
2. `nba-pipeline dev` on it, sensors running by default; wait until the daemon has ticked them.
3. `nba-pipeline run --date 2024-01-16 --through 2` — the signal: its Phase 2 completions.
4. Time until `exports/predictions/2024-01-16.json` appears, driven by the cascade alone.
Target: under 90 s on the embedded default.

    python -m benchmarks.cascade_latency [--port 3998] [--timeout 300]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HISTORY_DATE, DATE = "2024-01-15", "2024-01-16"
NOW = "2024-01-17T06:00:00-05:00"  # the morning after: overnight mode, every game final
TARGET_S = 90.0


def cli(env: dict, *args: str) -> float:
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "nba_pipeline.cli", *args, "--json"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - began


def start_dev(env: dict, port: int, log: Path) -> subprocess.Popen:
    def own_group() -> None:  # a process group to stop it by, and SIGINT not ignored (playbook §10)
        os.setpgrp()
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    return subprocess.Popen(
        [sys.executable, "-m", "nba_pipeline.cli", "dev", "--port", str(port)],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=own_group,
    )


def stop_dev(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for(check, timeout: float, step: float = 0.5) -> float | None:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if check():
            return time.monotonic() - began
        time.sleep(step)
    return None


def server_up(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=1)
        return True
    except OSError:
        return False


def phase6_finished(home: Path) -> bool:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs(dg.RunsFilter(tags={"nba/trigger": "cascade", "nba/phase": "6"}))
        return bool(runs) and all(r.is_finished for r in runs)


def cascade_runs(home: Path) -> list[dict]:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        records = instance.get_run_records(dg.RunsFilter(tags={"nba/trigger": "cascade"}))
        return sorted(
            (
                {
                    "job": r.dagster_run.job_name,
                    "partition": r.dagster_run.tags.get("dagster/partition"),
                    "status": r.dagster_run.status.value,
                    "queued_to_end_s": round(r.end_time - r.create_timestamp.timestamp(), 1)
                    if r.end_time
                    else None,
                    "run_s": round(r.end_time - r.start_time, 1) if r.end_time and r.start_time else None,
                }
                for r in records
            ),
            key=lambda r: r["job"],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3998)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="nba-latency-")) / "nba"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBA_PIPELINE_") and k != "DAGSTER_HOME"}
    env |= {"NBA_PIPELINE_HOME": str(home), "NBA_PIPELINE_NOW": NOW}
    history_s = cli(env, "run", "--date", HISTORY_DATE)
    dev = start_dev(env, args.port, home.parent / "dev.log")
    try:
        up_s = wait_for(lambda: server_up(args.port), 120)
        time.sleep(20)  # the daemon's first sensor ticks take their cursors (history is not the cascade's)
        signal_s = cli(env, "run", "--date", DATE, "--through", "2")
        export = home / "exports" / "predictions" / f"{DATE}.json"
        latency = wait_for(export.exists, args.timeout)
        settled = wait_for(lambda: phase6_finished(home), 120)  # the status view runs after the files
        settled_s = (latency or 0) + (settled or 0) if settled is not None else None
    finally:
        stop_dev(dev)
    runs = cascade_runs(home)
    print(
        json.dumps(
            {
                "history_seconds": round(history_s, 1),
                "dev_up_seconds": round(up_s or -1, 1),
                "signal_run_seconds": round(signal_s, 1),
                "signal_to_export_seconds": round(latency, 1) if latency is not None else None,
                "signal_to_phase6_run_finished_seconds": round(settled_s, 1)
                if settled_s is not None
                else None,
                "target_seconds": TARGET_S,
                "ratio_to_target": round(latency / TARGET_S, 2) if latency is not None else None,
                "cascade_runs": runs,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

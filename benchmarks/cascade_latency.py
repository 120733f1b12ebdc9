"""Benchmark: signal → export latency with the real `nba-pipeline dev` (webserver + daemon), as a person
uses it, while people `trigger` phase 3 of the same date (issue 16 row: goal 45 s, the hop overhead
reported).

1. A data directory with history (`nba-pipeline run --date 2024-01-15`: 90 days through phase 4, the
   week's model, all phases for the date); `--keep DIR` builds it once and copies it afterwards.
2. `nba-pipeline dev` on it, sensors running by default; wait until the daemon has ticked them.
3. `nba-pipeline run --date 2024-01-16 --through 2` — the signal: its Phase 2 completions.
4. At once, `--triggers` processes (default 20) run `nba-pipeline trigger --date 2024-01-16 --phase 3`.
5. Time until `exports/predictions/2024-01-16.json` appears. Phase 3 must be built by exactly one
   run (the cascade's or one person's); every other trigger answers without a run.
Per hop (phases 3-6): the gap from the previous phase's end to the run's creation (sensor cadence),
queued (creation to RUN_STARTING: the queue), launch (to RUN_START: a new process loading the code) and
the run's own work.

    python -m benchmarks.cascade_latency [--port 3998] [--timeout 300] [--triggers 20] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HISTORY_DATE, DATE = "2024-01-15", "2024-01-16"
NOW = "2024-01-17T06:00:00-05:00"  # the morning after: overnight mode, every game final
GOAL_S = 45.0


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


def hops(home: Path, signal_end: float) -> list[dict]:
    """Each phase 3-6 run of the date, with where its time went (seconds)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        out, previous_end = [], signal_end
        for phase in (3, 4, 5, 6):
            records = instance.get_run_records(
                dg.RunsFilter(tags={"nba/phase": str(phase), "dagster/partition": DATE})
            )
            for r in sorted(records, key=lambda r: r.create_timestamp):
                run = r.dagster_run
                created = r.create_timestamp.timestamp()
                events = {
                    e.dagster_event_type: e.timestamp
                    for e in instance.all_logs(
                        run.run_id, of_type={dg.DagsterEventType.RUN_STARTING, dg.DagsterEventType.RUN_START}
                    )
                }
                dequeued = events.get(dg.DagsterEventType.RUN_STARTING, created)
                started = events.get(dg.DagsterEventType.RUN_START, r.start_time or dequeued)
                out.append(
                    {
                        "phase": phase,
                        "trigger": run.tags.get("nba/trigger"),
                        "status": run.status.value,
                        "sensor_gap_s": round(created - previous_end, 1),
                        "queued_s": round(dequeued - created, 1),
                        "launch_s": round(started - dequeued, 1),
                        "run_s": round((r.end_time or started) - started, 1),
                    }
                )
                previous_end = r.end_time or previous_end
        return out


def triggers_at_once(env: dict, n: int) -> list[dict]:
    """n people trigger phase 3 of the date at the same moment; each one's answer and wall time."""
    argv = [sys.executable, "-m", "nba_pipeline.cli", "trigger", "--date", DATE, "--phase", "3", "--json"]
    began = time.monotonic()
    procs = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(n)
    ]
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate()
        answer = json.loads(stdout) if proc.returncode == 0 and stdout.strip() else {}
        out.append(
            {
                "exit": proc.returncode,
                "status": answer.get("status"),
                "ran": bool(answer.get("run")),
                "seconds": round(time.monotonic() - began, 1),
                "error": stderr.decode()[-300:] if proc.returncode else "",
            }
        )
    return out


def prepared_home(keep: str | None, env: dict) -> tuple[Path, float | None]:
    """A fresh copy of the history home (built once into `keep`, or every time without it)."""
    home = Path(tempfile.mkdtemp(prefix="nba-latency-")) / "nba"
    if keep and (Path(keep) / "ready").exists():
        shutil.copytree(Path(keep) / "nba", home)
        shutil.copyfile(Path(__file__).parents[1] / "dagster.yaml", home / "dagster" / "dagster.yaml")
        return home, None
    history_s = cli(env | {"NBA_PIPELINE_HOME": str(home)}, "run", "--date", HISTORY_DATE)
    if keep:
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(home, Path(keep) / "nba")
        (Path(keep) / "ready").write_text("built by benchmarks.cascade_latency\n")
    return home, history_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3998)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--triggers", type=int, default=20, help="people triggering phase 3 at the signal")
    parser.add_argument("--keep", help="a folder keeping the history home between runs")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBA_PIPELINE_") and k != "DAGSTER_HOME"}
    env |= {"NBA_PIPELINE_NOW": NOW}
    home, history_s = prepared_home(args.keep, env)
    env |= {"NBA_PIPELINE_HOME": str(home)}
    dev = start_dev(env, args.port, home.parent / "dev.log")
    people: list[dict] = []
    signal_end = time.time()
    try:
        up_s = wait_for(lambda: server_up(args.port), 120)
        time.sleep(20)  # the daemon's first sensor ticks take their cursors (history is not the cascade's)
        signal_s = cli(env, "run", "--date", DATE, "--through", "2")
        signal_end = time.time()
        export = home / "exports" / "predictions" / f"{DATE}.json"
        people = triggers_at_once(env, args.triggers) if args.triggers else []
        appeared = wait_for(export.exists, args.timeout)
        latency = export.stat().st_mtime - signal_end if appeared is not None else None
        settled = wait_for(lambda: phase6_finished(home), 120)  # the status view runs after the files
    finally:
        stop_dev(dev)
    runs = hops(home, signal_end)
    built = [r for r in runs if r["phase"] == 3 and r["status"] == "SUCCESS"]
    overhead = {
        k: round(sum(r[k] for r in runs), 1) for k in ("sensor_gap_s", "queued_s", "launch_s", "run_s")
    }
    result = {
        "history_seconds": round(history_s, 1) if history_s is not None else "kept",
        "dev_up_seconds": round(up_s or -1, 1),
        "signal_run_seconds": round(signal_s, 1),
        "people_triggering_phase_3": args.triggers,
        "their_answers": {
            s: sum(1 for p in people if p["status"] == s) for s in {p["status"] for p in people}
        },
        "their_failures": [p for p in people if p["exit"]],
        "slowest_answer_seconds": max((p["seconds"] for p in people), default=None),
        "phase_3_runs_built": len(built),
        "signal_to_export_seconds": round(latency, 1) if latency is not None else None,
        "phase6_run_finished": settled is not None,
        "goal_seconds": GOAL_S,
        "hops": runs,
        "hop_totals": overhead,
    }
    out = Path(__file__).parent / "results" / "cascade_latency.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    verdict = "met" if latency is not None and latency <= GOAL_S else "not met"
    print(
        f"signal -> export with {args.triggers} people triggering phase 3: "
        f"{result['signal_to_export_seconds']} s (goal {GOAL_S:.0f} s: {verdict}); "
        f"phase 3 built by {len(built)} run(s); hops: {overhead}"
    )


if __name__ == "__main__":
    main()

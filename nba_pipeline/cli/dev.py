"""`dev`: the Dagster UI (webserver and daemon) on this data directory's instance."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from nba_pipeline.environment import load_settings
from nba_pipeline.text import human_seconds


def register(commands) -> None:
    dev = commands.add_parser("dev", help="open the Dagster UI (webserver + daemon) on this data directory")
    dev.add_argument("--port", type=int, default=3000)
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument(
        "--history",
        choices=("auto", "off"),
        default="auto",
        help="auto: with the loader on, first build phases 1-4 of the 90 days before yesterday where "
        "missing (the model's and the features' history); off: start at once",
    )
    dev.add_argument(
        "--loader",
        choices=("auto", "on", "off"),
        default="auto",
        help="the live loader (Phase 1-2 for yesterday, today, tomorrow as the source publishes them); "
        "auto: on with the real clock, off when NBA_PIPELINE_NOW freezes it",
    )
    dev.set_defaults(func=cmd_dev)


def dev_commands(workspace: str, host: str, port: int) -> tuple[list[str], list[str]]:
    """The daemon and the webserver, launched directly: `dagster dev` would only start these two,
    after a SupersessionWarning (use `dg dev`) and a warning about the repo's dagster.yaml in its
    working directory (the instance's settings are the copy in DAGSTER_HOME)."""
    bin_dir = os.path.dirname(sys.executable)
    daemon = [os.path.join(bin_dir, "dagster-daemon"), "run", "-w", workspace]
    webserver = [os.path.join(bin_dir, "dagster-webserver"), "-w", workspace, "-h", host, "-p", str(port)]
    return daemon, webserver


def loader_on(flag: str, clock_frozen: bool, configured: bool) -> bool:
    """`auto` turns the live loader on with the real clock (a frozen clock has nothing new to load);
    NBA_PIPELINE_LOADER=on in the environment keeps it on."""
    if flag != "auto":
        return flag == "on"
    return configured or not clock_frozen


def build_history(settings) -> None:
    """Before the loader takes yesterday, today and tomorrow: the days before them, phases 1-4, only
    where missing (a second start builds nothing), so the features and the model have a past."""
    from datetime import timedelta

    from nba_pipeline.cli.run import execute, history_settings, history_spans
    from nba_pipeline.partitions import et_date
    from nba_pipeline.resources import clock_for
    from nba_pipeline.runner import MODEL_INPUTS_PHASE

    yesterday = et_date(clock_for(settings).now()) - timedelta(days=1)  # the settings' clock, frozen or not
    spans = history_spans(settings, yesterday)
    if not spans:
        print("history: the 90 days before yesterday are built", file=sys.stderr)
    for first, last in spans:
        print(f"history: building {first}..{last} (phases 1-{MODEL_INPUTS_PHASE})", file=sys.stderr)
        began = time.monotonic()
        report = execute(
            history_settings(settings), first, last, MODEL_INPUTS_PHASE, "backfill", "backfill", False
        )
        failed = sorted({d for p in report["phases"] for d in p["failed"]})
        print(
            f"history: {first}..{last} built in {human_seconds(time.monotonic() - began)}"
            + (f"; failed for {', '.join(failed)} (see the Runs page)" if failed else ""),
            file=sys.stderr,
        )


def cmd_dev(args: argparse.Namespace) -> int:
    from nba_pipeline.environment import REPO_ROOT
    from nba_pipeline.runner import ensure_instance

    settings = load_settings()
    ensure_instance(settings).dispose()  # writes DAGSTER_HOME/dagster.yaml, where Dagster reads it
    env = {**os.environ, "DAGSTER_HOME": str(settings.dagster_home)}  # the instance the CLI's runs are in
    loader = loader_on(args.loader, settings.now is not None, settings.loader)
    env["NBA_PIPELINE_LOADER"] = "on" if loader else "off"
    print(
        "live loader on: Phase 1-2 of yesterday, today and tomorrow (ET) load as the source publishes them"
        if loader
        else "live loader off: load dates with `nba-pipeline run --through 2` (or `--loader on`)",
        file=sys.stderr,
    )
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    daemon_cmd, webserver_cmd = dev_commands(str(REPO_ROOT / "workspace.yaml"), args.host, args.port)
    cwd = str(settings.dagster_home)  # not the repo root: its dagster.yaml is not this instance's
    children = [subprocess.Popen(webserver_cmd, env=env, cwd=cwd)]
    try:
        if loader and args.history == "auto":
            # The UI is up (the history is a backfill on its Backfills page); the daemon — the loader and
            # the cascade — starts after it, so yesterday's features and the week's model have a past.
            print(
                f"UI: http://{args.host}:{args.port}; the daemon starts once the history is built",
                file=sys.stderr,
            )
            build_history(settings)
        children.append(subprocess.Popen(daemon_cmd, env=env, cwd=cwd))
        return children[0].wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:  # only the processes started here
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

"""`dev`: the Dagster UI (webserver and daemon) on this data directory's instance."""

from __future__ import annotations

import argparse
import os
import sys

from nba_pipeline.environment import load_settings


def register(commands) -> None:
    dev = commands.add_parser("dev", help="open the Dagster UI (webserver + daemon) on this data directory")
    dev.add_argument("--port", type=int, default=3000)
    dev.add_argument("--host", default="127.0.0.1")
    dev.set_defaults(func=cmd_dev)


def cmd_dev(args: argparse.Namespace) -> int:
    from nba_pipeline.environment import REPO_ROOT
    from nba_pipeline.runner import ensure_instance

    settings = load_settings()
    ensure_instance(settings).dispose()
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)  # the instance the CLI's runs are in
    os.chdir(REPO_ROOT)
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    os.execv(dagster, [dagster, "dev", "-w", "workspace.yaml", "-h", args.host, "-p", str(args.port)])
    return 0  # unreachable

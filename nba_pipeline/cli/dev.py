"""`dev`: the Dagster UI (webserver and daemon) on this data directory's instance."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from nba_pipeline.environment import load_settings


def register(commands) -> None:
    dev = commands.add_parser("dev", help="open the Dagster UI (webserver + daemon) on this data directory")
    dev.add_argument("--port", type=int, default=3000)
    dev.add_argument("--host", default="127.0.0.1")
    dev.set_defaults(func=cmd_dev)


def dev_commands(workspace: str, host: str, port: int) -> tuple[list[str], list[str]]:
    """The daemon and the webserver, launched directly: `dagster dev` would only start these two,
    after a SupersessionWarning (use `dg dev`) and a warning about the repo's dagster.yaml in its
    working directory (the instance's settings are the copy in DAGSTER_HOME)."""
    bin_dir = os.path.dirname(sys.executable)
    daemon = [os.path.join(bin_dir, "dagster-daemon"), "run", "-w", workspace]
    webserver = [os.path.join(bin_dir, "dagster-webserver"), "-w", workspace, "-h", host, "-p", str(port)]
    return daemon, webserver


def cmd_dev(args: argparse.Namespace) -> int:
    from nba_pipeline.environment import REPO_ROOT
    from nba_pipeline.runner import ensure_instance

    settings = load_settings()
    ensure_instance(settings).dispose()  # writes DAGSTER_HOME/dagster.yaml, where Dagster reads it
    env = {**os.environ, "DAGSTER_HOME": str(settings.dagster_home)}  # the instance the CLI's runs are in
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    daemon_cmd, webserver_cmd = dev_commands(str(REPO_ROOT / "workspace.yaml"), args.host, args.port)
    cwd = str(settings.dagster_home)  # not the repo root: its dagster.yaml is not this instance's
    daemon = subprocess.Popen(daemon_cmd, env=env, cwd=cwd)
    webserver = subprocess.Popen(webserver_cmd, env=env, cwd=cwd)
    try:
        return webserver.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for child in (webserver, daemon):  # only the two processes started here
            if child.poll() is None:
                child.terminate()
        for child in (webserver, daemon):
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

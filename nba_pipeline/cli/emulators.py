"""`emulators up | down | run -- CMD`: the production stack on this machine (orchestration/stack.py).

`up` starts every service (or `--only` some), writes their process groups to
`$NBA_PIPELINE_HOME/emulators/stack.json` and the variables a prod run needs to `stack.env`
(`source` it); `down` stops them by process group. `run -- CMD` does both around one command,
which sees `NBA_PIPELINE_ENV=prod` pointed at the stack and a Dagster instance in its Postgres.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

from nba_pipeline.cli.render import print_stack
from nba_pipeline.environment import REPO_ROOT, ConfigError, Settings, load_settings


def register(commands) -> None:
    parser = commands.add_parser("emulators", help="start or stop the local production stack")
    actions = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))
    up = actions.add_parser("up", help="start the stack; its variables go to stack.env")
    up.add_argument("--only", help="comma-separated: bigquery,storage,postgres,pubsub,firestore")
    up.set_defaults(func=cmd_up)
    down = actions.add_parser("down", help="stop what `up` started")
    down.set_defaults(func=cmd_down)
    run = actions.add_parser("run", help="start the stack, run a command against it, stop the stack")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    run.set_defaults(func=cmd_run)


def kinds_of(only: str | None) -> tuple[str, ...]:
    from nba_pipeline.orchestration.stack import KINDS

    kinds = tuple(k.strip() for k in only.split(",") if k.strip()) if only else KINDS
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ConfigError(f"--only {only!r}: known services are {', '.join(KINDS)}")
    return kinds


def prod_env(settings: Settings, services) -> dict[str, str]:
    """The variables of a prod run against the stack. The Dagster instance is production's
    dagster.yaml (Postgres storage, run queue, pools) under the data directory."""
    from nba_pipeline.orchestration import stack

    env = stack.client_env(services)
    if any(s.kind == stack.POSTGRES for s in services):
        settings.dagster_home.mkdir(parents=True, exist_ok=True)
        (settings.dagster_home / "dagster.yaml").write_text(
            (REPO_ROOT / "deploy" / "dagster.yaml").read_text()
        )
        env["DAGSTER_HOME"] = str(settings.dagster_home)
    return env | {
        "NBA_PIPELINE_ENV": "prod",
        "NBA_PIPELINE_GCP_PROJECT": stack.PROJECT,
        "NBA_PIPELINE_LANDING_BUCKET": stack.BUCKET,
        "NBA_PIPELINE_HOME": str(settings.home),
    }


def _state(settings: Settings) -> Path:
    return settings.home / "emulators" / "stack.json"


def _start(settings: Settings, kinds: tuple[str, ...]):
    from nba_pipeline.orchestration import emulators, stack

    reasons = [f"{k}: {r}" for k in kinds if (r := stack.unavailable_reason(k))]
    if reasons:
        raise ConfigError("; ".join(reasons))
    if any(emulators.group_alive(s.pgid) for s in stack.load(_state(settings))):
        raise ConfigError(f"the stack of {settings.home} is already up: `nba-pipeline emulators down` first")
    return stack.start(kinds, settings.home / "emulators")


def cmd_up(args: argparse.Namespace) -> int:
    from nba_pipeline.orchestration import stack

    settings = load_settings(env="local")
    services = _start(settings, kinds_of(args.only))
    try:
        stack.save(_state(settings), services)
        env_file = _state(settings).with_suffix(".env")
        extra = prod_env(settings, services)
        env_file.write_text("".join(f"export {k}={v}\n" for k, v in sorted(extra.items())))
    except BaseException:
        for service in services:  # never leave a service nobody can find
            service.stop(grace_s=1.0)
        raise
    print_stack(services, f"variables: source {env_file}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from nba_pipeline.orchestration import stack

    settings = load_settings(env="local")
    services = stack.load(_state(settings))
    for service in services:
        service.stop()
    stack.forget(_state(settings))
    print(f"stopped {len(services)} services" if services else "nothing was running")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise ConfigError("emulators run needs a command: nba-pipeline emulators run -- CMD ...")
    from nba_pipeline.orchestration import stack

    settings = load_settings(env="local")
    services = _start(settings, stack.KINDS)
    try:
        print_stack(services, f"running: {' '.join(command)}")
        return subprocess.run(command, env=os.environ | prod_env(settings, services), check=False).returncode
    finally:
        for service in services:
            service.stop()

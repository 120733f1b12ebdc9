"""The `nba-pipeline` command: a small entry point, one module per command, printing in `render`.

Exit status: 0 when every run finished (also when a check failed or a phase was held back, which the
output reports), 1 on an unexpected error, 2 on bad input. A person's mistake gets one line, never a
traceback (NBA_PIPELINE_DEBUG=1 adds the traceback of unexpected errors).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from nba_pipeline import interrupts
from nba_pipeline.cli import check, claims, dev, doctor, emulators, health, run, status, trigger
from nba_pipeline.cli.common import Parser
from nba_pipeline.environment import ConfigError

COMMANDS = (
    run,
    check,
    trigger,
    claims,
    status,
    health,
    dev,
    emulators,
    doctor,
)  # each registers its subcommands


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="nba-pipeline", description="Run the NBA props pipeline through Dagster.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMANDS:
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C and SIGTERM (a scheduler stopping the command, `kill`) unwind the command: a run in
    # flight is marked canceled and its claims are released on the way out.
    restore = interrupts.install()
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except ConfigError as exc:
        print(f"nba-pipeline: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nba-pipeline: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 — the one place that turns surprises into exit 1
        print(f"nba-pipeline: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("NBA_PIPELINE_DEBUG"):
            traceback.print_exc()
        return 1
    finally:
        restore()

"""`health`: the pre-flight checks — each source reachable (or recorded), keys present, the
warehouse, coordination store and signal bus answering. Exit 0 when all are healthy, 2 otherwise."""

from __future__ import annotations

import argparse

from nba_pipeline.cli.common import now_of
from nba_pipeline.cli.render import print_health


def register(commands) -> None:
    health = commands.add_parser("health", help="pre-flight checks: sources, keys, warehouse, store, bus")
    health.add_argument("--source", help="sim (default), replay or nba (the real upstreams)")
    health.add_argument("--replay-csv", help="a stats.nba.com LeagueGameLog CSV for --source replay")
    health.add_argument("--json", action="store_true", help="print the result as one JSON object")
    health.set_defaults(func=cmd_health, scenario=None)


def cmd_health(args: argparse.Namespace) -> int:
    from nba_pipeline.environment import load_settings
    from nba_pipeline.preflight import run_checks

    # Not settings_of: a replay CSV that is missing is a failed row here, not an input error.
    settings = load_settings(source=args.source, replay_csv=args.replay_csv)
    results = run_checks(settings, now_of(settings))
    healthy = all(r.healthy for r in results)
    print_health(
        {"healthy": healthy, "source": settings.source, "checks": [r.to_json() for r in results]}, args.json
    )
    return 0 if healthy else 2

"""`check`: whether a phase may run for a date, with the numbers (never launches anything)."""

from __future__ import annotations

import argparse

from nba_pipeline.cli.common import gated_date, now_of, settings_of
from nba_pipeline.cli.render import print_check


def register(commands) -> None:
    check = commands.add_parser("check", help="decide whether a phase may run for a date, with the numbers")
    check.add_argument("--date", required=True, help="ET game date, YYYY-MM-DD")
    check.add_argument("--phase", required=True, type=int, help="the phase to check (3-6)")
    check.add_argument(
        "--mode", help="overnight, same_day, tomorrow, manual or backfill (default: by the date)"
    )
    check.add_argument("--source", help="sim (default) or replay: which feeds exist to be expected")
    check.add_argument("--replay-csv", help=argparse.SUPPRESS)
    check.add_argument("--json", action="store_true", help="print the result as one JSON object")
    check.set_defaults(func=cmd_check, scenario=None)


def cmd_check(args: argparse.Namespace) -> int:
    from nba_pipeline.modes import date_mode, parse_mode

    day = gated_date(args, "readiness is checked for phases 3-6")
    mode = parse_mode(args.mode) if args.mode else None
    settings = settings_of(args)
    from nba_pipeline.instance import InstanceOnDemand, active_feeds
    from nba_pipeline.orchestration.dependency import check
    from nba_pipeline.resources import store_for, warehouse_for
    from nba_pipeline.tags import new_correlation_id

    now = now_of(settings)
    mode = mode or date_mode(day, now)
    with InstanceOnDemand(settings) as instance:  # opened only if the check needs it
        decision = check(
            warehouse_for(settings),
            store_for(settings),
            args.phase,
            [day],
            mode,
            now,
            active_feeds(settings),
            new_correlation_id(),
            instance,
        )[day]
    print_check(decision, args.json)
    return 0

"""`status` (where one date stands, or the expected-outputs grid) and `retention` (purge old records)."""

from __future__ import annotations

import argparse

from nba_pipeline.cli.common import game_date, no_source, now_of, settings_of
from nba_pipeline.cli.render import print_grid, print_json, print_retention, print_status
from nba_pipeline.environment import ConfigError


def register(commands) -> None:
    status = commands.add_parser(
        "status", help="where a date stands (--date) or the grid of the last N dates (--days)"
    )
    which = status.add_mutually_exclusive_group(required=True)
    which.add_argument("--date", help="ET game date, YYYY-MM-DD")
    which.add_argument("--days", type=int, help="the expected-outputs grid of the N dates up to today")
    status.add_argument("--json", action="store_true", help="print the result as one JSON object")
    status.set_defaults(func=cmd_status)
    no_source(status)

    retention = commands.add_parser(
        "retention", help="delete audit rows past the window and old coordination records"
    )
    retention.add_argument(
        "--days", help="the audit window in days (default NBA_PIPELINE_RETENTION_DAYS or 365)"
    )
    retention.add_argument("--json", action="store_true", help="print the result as one JSON object")
    retention.set_defaults(func=cmd_retention)
    no_source(retention)


def cmd_status(args: argparse.Namespace) -> int:
    from nba_pipeline.instance import ensure_instance
    from nba_pipeline.observability.status import date_status, grid
    from nba_pipeline.partitions import et_date, require_partition
    from nba_pipeline.resources import coordination_for, warehouse_for

    if args.days is not None and not 1 <= args.days <= 3650:
        raise ConfigError(f"--days {args.days}: between 1 and 3650")
    day = game_date(args.date) if args.date else None
    if day:
        require_partition(day)
    settings = settings_of(args)
    now, warehouse = now_of(settings), warehouse_for(settings)
    store = coordination_for(settings).store()
    with ensure_instance(settings) as instance:
        report = (
            date_status(instance, warehouse, store, day, now)
            if day
            else grid(instance, warehouse, store, et_date(now), args.days)
        )
    if args.json:
        print_json(report)
    else:
        (print_status if day else print_grid)(report)
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from nba_pipeline.observability.retention import purge, retention_days
    from nba_pipeline.resources import blobs_for, coordination_for, warehouse_for

    days = retention_days(args.days)
    settings = settings_of(args)
    store, landing = coordination_for(settings).store(), blobs_for(settings, "landing").get()
    deleted = purge(warehouse_for(settings), store, now_of(settings), days, landing)
    print_retention(days, deleted, args.json)
    return 0

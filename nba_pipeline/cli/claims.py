"""`claims`: who holds what — every claim of a date (or every active one), with its run and lease —
and `claims --release KEY`, an operator's release on purpose (recorded as an orchestration event)."""

from __future__ import annotations

import argparse

from nba_pipeline.cli.common import game_date, no_source, now_of, settings_of
from nba_pipeline.cli.render import print_claims, print_released
from nba_pipeline.environment import ConfigError


def register(commands) -> None:
    claims = commands.add_parser(
        "claims", help="list claims (a date's, or every active one) with holder, run and lease; --release KEY"
    )
    claims.add_argument("--date", help="every claim of this ET game date (default: every active claim)")
    claims.add_argument("--release", metavar="KEY", help="release this claim on purpose (its active attempt)")
    claims.add_argument("--reason", default="released by an operator", help="why, for the audit trail")
    claims.add_argument("--json", action="store_true", help="print the result as one JSON object")
    claims.set_defaults(func=cmd_claims)
    no_source(claims)


def cmd_claims(args: argparse.Namespace) -> int:
    from nba_pipeline.orchestration import claims
    from nba_pipeline.resources import clock_for, coordination_for
    from nba_pipeline.runner import ensure_instance

    day = game_date(args.date) if args.date else None
    if args.release:
        try:
            claims.parse_claim_key(args.release)
        except ValueError:
            raise ConfigError(
                f"--release {args.release!r} is not a claim key (target|YYYY-MM-DD|version)"
            ) from None
    settings = settings_of(args)
    store, wall = coordination_for(settings).store(), clock_for(settings).wall_now()
    if args.release:
        released = claims.release(
            store, args.release, None, f"{args.reason} (nba-pipeline claims --release)", wall
        )
        if released is not None:
            _record_release(settings, released, args.reason)
        print_released(args.release, released, args.json)
        return 0 if released is not None else 2
    with ensure_instance(settings) as instance:
        _tidy(settings, instance, store)  # what it shows is true now: dead runs failed, settled
        held = store.claims(game_date=day) if day else store.claims(states=claims.ACTIVE)
        rows = claims.listing(held, instance, store, wall)
    print_claims(rows, day, args.json)
    return 0


def _tidy(settings, instance, store) -> None:
    from nba_pipeline.orchestration.settle import tidy
    from nba_pipeline.resources import clock_for, coordination_for, warehouse_for

    clock = clock_for(settings)
    warehouse = warehouse_for(settings)
    tidy(instance, store, coordination_for(settings).bus(), clock.now(), warehouse, clock.wall_now())


def _record_release(settings, released, reason: str) -> None:
    from nba_pipeline.observability.audit import Event, write_events
    from nba_pipeline.resources import warehouse_for

    now = now_of(settings)
    event = Event(
        "claim_released",
        now,
        released.game_date,
        released.phase,
        released.mode,
        released.correlation_id,
        claimant=released.holder,
        details={"key": released.key, "attempt": released.attempt, "reason": reason, "by": "operator"},
    )
    write_events(warehouse_for(settings), [event], now)

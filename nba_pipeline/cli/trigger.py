"""`trigger` (a person's launch of one phase for one date) and `heal` (self-heal now): the same claim
and readiness gate as the sensors, the run executed in this process."""

from __future__ import annotations

import argparse
import getpass

from nba_pipeline.cli.common import gated_date, no_source, settings_of
from nba_pipeline.cli.render import print_heal, print_trigger


def register(commands) -> None:
    trigger = commands.add_parser(
        "trigger", help="a person's trigger of a phase for a date: same claim, same readiness gate"
    )
    trigger.add_argument("--date", required=True, help="ET game date, YYYY-MM-DD")
    trigger.add_argument("--phase", required=True, type=int, help="the phase to run (3-6)")
    trigger.add_argument("--mode", help="overnight, same_day, tomorrow, manual (default) or backfill")
    trigger.add_argument("--force", action="store_true", help="a new version on purpose: run even if it ran")
    trigger.add_argument("--json", action="store_true", help="print the result as one JSON object")
    trigger.set_defaults(func=cmd_trigger)
    no_source(trigger)

    heal = commands.add_parser(
        "heal", help="self-heal now: re-trigger what should exist for today and yesterday"
    )
    heal.add_argument("--json", action="store_true", help="print the result as one JSON object")
    heal.set_defaults(func=cmd_heal)
    no_source(heal)


def cmd_trigger(args: argparse.Namespace) -> int:
    from nba_pipeline.automation.manual import trigger
    from nba_pipeline.instance import ensure_instance
    from nba_pipeline.modes import Mode, parse_mode

    day = gated_date(args, "phases 3-6 are triggered (1-2 load with `run`)")
    mode = parse_mode(args.mode) if args.mode else Mode.MANUAL
    settings = settings_of(args)
    with ensure_instance(settings) as instance:
        report = trigger(settings, instance, args.phase, day, mode, args.force, getpass.getuser())
    print_trigger(report, args.json)
    return 0


def cmd_heal(args: argparse.Namespace) -> int:
    from nba_pipeline.automation.manual import heal_now
    from nba_pipeline.instance import ensure_instance

    settings = settings_of(args)
    with ensure_instance(settings) as instance:
        report = heal_now(settings, instance, getpass.getuser())
    print_heal(report, args.json)
    return 0

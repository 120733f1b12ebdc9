"""What every command shares: the parser that fails in one line, input checks, settings."""

from __future__ import annotations

import argparse
from datetime import date, datetime

from nba_pipeline.environment import ConfigError, Settings, load_settings


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse would print the whole usage)
        raise ConfigError(message)


def game_date(value: str) -> date:
    from nba_pipeline.partitions import parse_game_date

    return parse_game_date(value)


def partition_date(value: str) -> date:
    """A --date that must be a game-date partition."""
    from nba_pipeline.partitions import require_partition

    day = game_date(value)
    require_partition(day)
    return day


def source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", help="sim (default), replay or nba (the real upstreams)")
    parser.add_argument(
        "--replay-csv",
        help="a stats.nba.com LeagueGameLog CSV, or a folder of season CSVs (one history), for --source replay",
    )
    parser.add_argument("--scenario", help="a fault scenario of the simulated league (see README)")
    parser.add_argument("--through", type=int, default=None, help="run phases 1..N only")
    parser.add_argument(
        "--force", action="store_true", help="rebuild dates already built for the same inputs (phases 3-6)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def no_source(parser: argparse.ArgumentParser) -> None:
    """A command that reads the configured source from the environment only."""
    parser.set_defaults(source=None, replay_csv=None, scenario=None)


def settings_of(args: argparse.Namespace) -> Settings:
    """Validated settings: nothing is written before every input has been checked, and never into a
    data directory built from another source (nba_pipeline.home)."""
    from nba_pipeline.home import check_home

    settings = load_settings(source=args.source, replay_csv=args.replay_csv, scenario=args.scenario)
    if settings.source == "replay":
        from nba_pipeline.sources.replay import check_replay_csv

        check_replay_csv(settings.replay_csv)
    check_home(settings, record=False)
    return settings


def through_of(args: argparse.Namespace) -> int:
    from nba_pipeline.phases import PHASES

    last = PHASES[-1].number
    through = last if args.through is None else args.through
    if not 1 <= through <= last:
        raise ConfigError(f"--through {through} is not a phase: phases are 1..{last}")
    return through


def gated_date(args: argparse.Namespace, why: str) -> date:
    """The --date of a command about a gated phase (3-6), both checked before anything is read."""
    day = partition_date(args.date)
    if args.phase not in (3, 4, 5, 6):
        raise ConfigError(f"--phase {args.phase}: {why}")
    return day


def now_of(settings: Settings) -> datetime:
    from nba_pipeline.resources import now_of

    return now_of(settings)

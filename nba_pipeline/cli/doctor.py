"""`doctor`: a production configuration checked offline, one line per problem (exit 0 or 2)."""

from __future__ import annotations

import argparse
import os

from nba_pipeline.cli.render import print_doctor


def register(commands) -> None:
    doctor = commands.add_parser("doctor", help="check a production configuration offline")
    doctor.add_argument("--json", action="store_true", help="print the result as one JSON object")
    doctor.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from nba_pipeline.doctor import problems

    found = problems(os.environ)
    print_doctor(found, args.json)
    return 2 if found else 0

"""The completeness and validity checks every table carries (per date, in the run's mode).

- `complete`: games covered against the schedule reach the run's mode minimum (3 of 9 is 33 %, never
  complete; DOMAIN §8 item 1). ERROR where the table is a critical input of some phase in that mode,
  WARN elsewhere; a date whose shortfall has a known cause fails as WARN with the reason.
- `valid`: every row passes `validity.py` (present and in range where it applies, made <= attempted,
  unique keys). Duplicate keys, or more bad rows than the table tolerates, are ERROR; a few are WARN.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import dagster as dg
import pandas as pd

from nba_pipeline.checks import ERROR, WARN, Verdict
from nba_pipeline.coverage import Coverage, Excuse
from nba_pipeline.modes import POLICIES, Mode, detect_mode
from nba_pipeline.readiness import inputs
from nba_pipeline.resources.warehouse import Table
from nba_pipeline.text import markdown_table
from nba_pipeline.validity import invalid_rows

COMPLETE, VALID = "complete", "valid"
COMPLETE_HELP = "games covered against the schedule reach the run's mode minimum; blocking where the table is a critical input"
VALID_HELP = "rows present and in range where they apply, makes <= attempts, unique keys; blocking on duplicates or many bad rows"
TOLERANCE = {"player_prop_predictions": 0.0}  # what feeds the public export tolerates no bad row
DEFAULT_TOLERANCE = 0.05


def critical_tables(mode: Mode, day: date, now: datetime) -> set[str]:
    """Tables that are a critical input of some phase in this mode (readiness decides with them)."""
    return {spec.table for phase in (3, 4, 5, 6) for spec in inputs(phase, mode, day, now) if spec.critical}


def completeness_verdicts(
    context: dg.AssetExecutionContext,
    table: Table,
    coverage: Mapping[date, Coverage],
    expected: bool,
    now: datetime,
    excuses: Mapping[date, Excuse],
) -> dict[date, Verdict]:
    out = {}
    for day, c in coverage.items():
        mode = detect_mode(day, now, context.run.tags)
        minimum = POLICIES[mode].min_completeness
        want = c.expected if expected else 0
        complete = c.completeness if want else 1.0
        metadata = {
            "games_expected": want,
            "games_covered": c.found,
            "completeness": round(complete, 4),
            "mode": mode.value,
            "required": minimum,
        }
        if complete >= minimum:
            out[day] = Verdict(True, metadata)
        elif c.excused_by(excuses.get(day), minimum):
            out[day] = Verdict(False, metadata | {"reason": excuses[day].reason}, WARN)
        else:
            critical = table.name in critical_tables(mode, day, now)
            out[day] = Verdict(False, metadata | {"critical_input": critical}, ERROR if critical else WARN)
    return out


def validity_verdicts(table: Table, frame: pd.DataFrame, days: list[date]) -> dict[date, Verdict]:
    reasons = invalid_rows(table.name, frame, table.key)
    dated = (
        pd.to_datetime(frame[table.partition_column]).dt.date if not frame.empty else pd.Series(dtype=object)
    )
    tolerance = TOLERANCE.get(table.name, DEFAULT_TOLERANCE)
    shown = [c for c in (*table.key, "team_abbr") if c in frame.columns and c != table.partition_column]
    rows_on = dated.value_counts().to_dict()
    flagged = reasons[reasons != ""]
    bad_on = dict(list(flagged.groupby(dated[flagged.index]))) if not flagged.empty else {}
    out = {}
    for day in days:
        rows, bad = int(rows_on.get(day, 0)), bad_on.get(day)
        if bad is None:
            out[day] = Verdict(True, {"rows": rows, "invalid_rows": 0})
            continue
        share = len(bad) / rows
        duplicate = bad.str.startswith("duplicate key").any()
        severity = ERROR if duplicate or share > tolerance else WARN
        examples = frame.loc[bad.index[:5], shown].assign(reason=bad.iloc[:5].to_numpy())
        out[day] = Verdict(
            False,
            {
                "rows": rows,
                "invalid_rows": len(bad),
                "invalid_share": round(share, 4),
                "by_reason": dg.MetadataValue.json(bad.value_counts().to_dict()),
                "examples": dg.MetadataValue.md(markdown_table(examples)),
            },
            severity,
        )
    return out

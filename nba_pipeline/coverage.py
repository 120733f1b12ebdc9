"""Games expected and games covered, per table and date (DOMAIN §5), counted in games, not rows.

A game counts as covered when the table has its rows for it: both team rows, at least one played
player row per team, at least one line. Box-score tables are expected only for games final by the
clock. A table keyed by date rather than game (the injury report) covers the date when it has rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from nba_pipeline.partitions import ET

# A game is final by the clock when the schedule says so or its tip-off was this long ago.
FINAL_AFTER = timedelta(hours=3)


def final_by_clock(schedule: pd.DataFrame, now: datetime) -> pd.Series:
    now_et = pd.Timestamp(now.astimezone(ET).replace(tzinfo=None))
    tip = pd.to_datetime(schedule["tipoff_et"])
    return (schedule["game_status"] == 3) | (tip + FINAL_AFTER <= now_et)


def _both_teams(frame: pd.DataFrame) -> set[str]:
    teams = frame.groupby("game_id")["team_abbr"].nunique()
    return set(teams[teams >= 2].index)


def _played_both_teams(frame: pd.DataFrame) -> set[str]:
    return _both_teams(frame[frame["player_status"] == "active"])


def _any_row(frame: pd.DataFrame) -> set[str]:
    return set(frame["game_id"])


@dataclass(frozen=True)
class CoverageRule:
    finals_only: bool  # expected only for games final by the clock (box scores)
    covered: Callable[[pd.DataFrame], set[str]]
    date_keyed: bool = False  # covered as a whole date once it has rows


RULES: dict[str, CoverageRule] = {
    "nbac_schedule": CoverageRule(False, _any_row),
    "nbac_gamebook_player_stats": CoverageRule(True, _played_both_teams),
    "nbac_team_boxscore": CoverageRule(True, _both_teams),
    "nbac_injury_report": CoverageRule(False, _any_row, date_keyed=True),
    "odds_api_player_points_props": CoverageRule(False, _any_row),
    "team_offense_game_summary": CoverageRule(True, _both_teams),
    "team_defense_game_summary": CoverageRule(True, _both_teams),
    "player_game_summary": CoverageRule(True, _both_teams),
    "upcoming_player_game_context": CoverageRule(False, _both_teams),
    "upcoming_team_game_context": CoverageRule(False, _both_teams),
    "team_defense_zone_analysis": CoverageRule(False, _both_teams),
    "player_shot_zone_analysis": CoverageRule(False, _both_teams),
    "player_daily_cache": CoverageRule(False, _both_teams),
    "player_composite_factors": CoverageRule(False, _both_teams),
    "ml_feature_store": CoverageRule(False, _both_teams),
    "player_prop_predictions": CoverageRule(False, _any_row),
    "prediction_accuracy": CoverageRule(True, _any_row),
    "prediction_accuracy_summary": CoverageRule(True, _any_row, date_keyed=True),
}


@dataclass(frozen=True)
class Excuse:
    """A known reason some of a date's games cannot be covered (no history to build from yet).
    `games=None` excuses the whole date."""

    reason: str
    games: int | None = None


@dataclass(frozen=True)
class Coverage:
    day: date
    expected: int
    found: int
    rows: int

    @property
    def completeness(self) -> float:
        """Share of expected games covered; a date expecting no games is complete."""
        return 1.0 if self.expected == 0 else min(self.found, self.expected) / self.expected

    def excused_by(self, excuse: Excuse | None, minimum: float = 1.0) -> bool:
        """Whether the excused games account for the shortfall below `minimum`."""
        if excuse is None:
            return False
        if excuse.games is None:
            return True
        coverable = self.expected - excuse.games
        return coverable <= 0 or min(self.found, coverable) / coverable >= minimum


def _by_day(frame: pd.DataFrame) -> pd.Series:
    days = frame["game_date"]
    if days.dtype == object and all(type(d) is date for d in days):  # as read_dates and the parsers give them
        return days
    return pd.to_datetime(days).dt.date


def _expected_games(schedule: pd.DataFrame, now: datetime, finals_only: bool) -> dict[date, set[str]]:
    games = schedule[final_by_clock(schedule, now)] if finals_only and not schedule.empty else schedule
    if games.empty:
        return {}
    ids = games["game_id"].to_numpy()
    out: dict[date, set[str]] = {}
    for day, game in zip(_by_day(games), ids, strict=True):
        out.setdefault(day, set()).add(game)
    return out


def coverage_by_date(
    table: str, frame: pd.DataFrame, schedule: pd.DataFrame, days: list[date], now: datetime
) -> dict[date, Coverage]:
    """Coverage of each date, computed over the whole range at once (a game id carries its date)."""
    rule = RULES[table]
    expected = _expected_games(schedule, now, rule.finals_only)
    rows = frame.groupby(_by_day(frame)).size().to_dict() if not frame.empty else {}
    covered = rule.covered(frame) if not frame.empty and not rule.date_keyed else set()
    result = {}
    for day in days:
        wanted, count = expected.get(day, set()), rows.get(day, 0)
        found = (wanted if count else set()) if rule.date_keyed else covered & wanted
        result[day] = Coverage(day, len(wanted), len(found), count)
    return result


UNKNOWN = "the schedule for this date has not been loaded: what to expect cannot be measured"


def schedule_known(instance, schedule: pd.DataFrame, days: list[date]) -> set[date]:
    """Dates whose schedule was fetched and loaded — materialized (possibly with no games: an off day)
    or holding rows. Any other date is unknown, never "no games" (DOMAIN §2)."""
    from nba_pipeline.phases.raw.tables import SCHEDULE

    with_rows = set(_by_day(schedule)) if not schedule.empty else set()
    if instance is None or all(d in with_rows for d in days):  # the instance only for dates without rows
        return with_rows
    done = instance.get_materialized_partitions(SCHEDULE.asset_key)
    return with_rows | {d for d in days if d.isoformat() in done}

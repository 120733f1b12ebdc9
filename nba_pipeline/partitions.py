"""Game-date partitions and Eastern-time date helpers.

The partition key is the ET game date: a 10 pm ET tip-off is still that ET date even though its UTC
date is the next day. Dagster's partition set follows the real clock (every date up to tomorrow
exists, `end_offset=2`); which date is "today" for modes and sensors comes from the injected clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from nba_pipeline.environment import ConfigError

if TYPE_CHECKING:
    import dagster as dg

ET = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
FIRST_GAME_DATE = date(2021, 10, 19)
# end_offset=1 adds the in-progress day (today); 2 makes tomorrow a partition too (playbook §1).
END_OFFSET = 2


def __getattr__(name: str):
    """The Dagster partitions definitions, built on first use: a command that only reads the
    warehouse (`check`) never imports Dagster (1.4 s of its start-up)."""
    if name not in ("GAME_DATE_PARTITIONS", "MODEL_WEEKS"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import dagster as dg

    if name == "GAME_DATE_PARTITIONS":
        made = dg.DailyPartitionsDefinition(
            start_date=FIRST_GAME_DATE.isoformat(), timezone="America/New_York", end_offset=END_OFFSET
        )
    else:
        # The points model is retrained weekly: a partition is the Monday that is its training cutoff
        # (it learns from games before that Monday and predicts the week that starts there).
        made = dg.WeeklyPartitionsDefinition(
            start_date="2021-10-18", day_offset=1, timezone="America/New_York", end_offset=END_OFFSET
        )
    globals()[name] = made
    return made


def week_of(day: date) -> date:
    """The Monday starting `day`'s week: the key of the model partition that serves it."""
    return day - timedelta(days=day.weekday())


def to_et(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no timezone; pass an aware one")
    return moment.astimezone(ET)


def et_date(moment: datetime) -> date:
    """The ET calendar date of an aware moment (the game-date rule)."""
    return to_et(moment).date()


def utc_naive(moment: datetime) -> datetime:
    """How the warehouse stores instants: naive UTC (TIMESTAMP in DuckDB and BigQuery alike)."""
    return to_et(moment).astimezone(UTC).replace(tzinfo=None)


def et_datetime(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware ET wall-clock moment on `day`."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ET)


def parse_game_date(value: str) -> date:
    """A YYYY-MM-DD string; anything else is a one-line ConfigError."""
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid date {value!r}: expected YYYY-MM-DD") from exc
    if len(value) != 10:
        raise ConfigError(f"invalid date {value!r}: expected YYYY-MM-DD")
    return parsed


def require_partition(day: date) -> str:
    """The partition key of `day`, or a ConfigError when Dagster has no such partition."""
    key = day.isoformat()
    from nba_pipeline.clock import system_now

    last = last_partition_day(system_now()).isoformat()
    if day < FIRST_GAME_DATE or key > last:
        raise ConfigError(
            f"date {key} is outside the game-date partitions ({FIRST_GAME_DATE.isoformat()} to {last})"
        )
    return key


def last_partition_day(wall: datetime) -> date:
    """The last game-date partition Dagster has at the real moment `wall`: tomorrow, ET
    (GAME_DATE_PARTITIONS' last key, computed without building it)."""
    return et_date(wall) + timedelta(days=END_OFFSET - 1)


def season_start(day: date) -> date:
    """August 1 before the season that contains `day`: a season's games all fall after it."""
    return date(day.year if day.month >= 8 else day.year - 1, 8, 1)


def date_range(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def dates_of(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> list[date]:
    """The game dates a (possibly single-run range) materialization covers."""
    return [date.fromisoformat(key) for key in context.partition_keys]

"""Processing modes (DOMAIN §4): how strict a phase is for a date depends on why and when it runs.

Everything here is data in one place: the policy of each mode, how a run's mode is detected, and which
processors (tables) each phase expects and which of them are critical, per mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from nba_pipeline.environment import ConfigError
from nba_pipeline.partitions import et_date
from nba_pipeline.tags import MODE, TRIGGER


class Mode(StrEnum):
    OVERNIGHT = "overnight"
    SAME_DAY = "same_day"
    TOMORROW = "tomorrow"
    MANUAL = "manual"
    BACKFILL = "backfill"


@dataclass(frozen=True)
class Policy:
    min_completeness: float
    min_quality: float
    degraded_allowed: bool
    recheck_every: timedelta | None  # None: does not wait, one check
    give_up_after: timedelta | None

    @property
    def waits(self) -> bool:
        return self.recheck_every is not None


POLICIES: Mapping[Mode, Policy] = {
    Mode.OVERNIGHT: Policy(1.00, 0.95, False, timedelta(minutes=10), timedelta(hours=6)),
    Mode.SAME_DAY: Policy(0.80, 0.90, True, timedelta(minutes=5), timedelta(hours=2)),
    Mode.TOMORROW: Policy(0.75, 0.85, True, timedelta(minutes=30), timedelta(hours=12)),
    Mode.MANUAL: Policy(0.50, 0.80, True, None, None),
    Mode.BACKFILL: Policy(1.00, 0.95, False, None, None),
}


def parse_mode(value: str) -> Mode:
    try:
        return Mode(value)
    except ValueError as exc:
        raise ConfigError(f"unknown mode {value!r}; known: {', '.join(m.value for m in Mode)}") from exc


def date_mode(game_date: date, now: datetime) -> Mode:
    """The ET date rule: a past game date is overnight work, today's is same-day, a future one tomorrow."""
    today = et_date(now)
    if game_date < today:
        return Mode.OVERNIGHT
    return Mode.SAME_DAY if game_date == today else Mode.TOMORROW


def detect_mode(
    game_date: date, now: datetime, tags: Mapping[str, str] | None = None, explicit: str | None = None
) -> Mode:
    """Precedence (DOMAIN §4): an explicit mode; a backfill run; a person's launch; the ET date rule.

    A run with no platform tags at all was launched by a person (the Dagster UI, the CLI), so it is manual.
    """
    tags = tags or {}
    if explicit or tags.get(MODE):
        return parse_mode(explicit or tags[MODE])
    if (
        "dagster/backfill" in tags
        or "dagster/asset_partition_range_start" in tags
        or tags.get(TRIGGER) == "backfill"
    ):
        return Mode.BACKFILL
    if tags.get(TRIGGER, "manual") == "manual":
        return Mode.MANUAL
    return date_mode(game_date, now)


def input_row_mode(mode: Mode, game_date: date, now: datetime) -> Mode:
    """The mode whose inputs a check uses: a manual check of a past date uses the overnight inputs,
    of today or later the same-day ones (DOMAIN §5)."""
    if mode is Mode.MANUAL:
        return Mode.OVERNIGHT if game_date < et_date(now) else Mode.SAME_DAY
    return mode


# Which processors (tables) each phase produces and expects, by mode; the critical ones decide.
PHASE3_ALL = (
    "player_game_summary",
    "team_offense_game_summary",
    "team_defense_game_summary",
    "upcoming_player_game_context",
    "upcoming_team_game_context",
)
PHASE4_ALL = (
    "team_defense_zone_analysis",
    "player_shot_zone_analysis",
    "player_daily_cache",
    "player_composite_factors",
    "ml_feature_store",
)


@dataclass(frozen=True)
class Expectation:
    expected: tuple[str, ...]
    critical: tuple[str, ...]


EXPECTED: Mapping[tuple[int, Mode], Expectation] = {
    **{
        (3, m): Expectation(PHASE3_ALL, ("player_game_summary", "upcoming_player_game_context"))
        for m in (Mode.OVERNIGHT, Mode.BACKFILL)
    },
    **{
        (3, m): Expectation(
            ("upcoming_player_game_context", "upcoming_team_game_context"), ("upcoming_player_game_context",)
        )
        for m in (Mode.SAME_DAY, Mode.TOMORROW)
    },
    # The feature store depends on the other four, so "the feature store and what it depends on" is all five.
    **{(4, m): Expectation(PHASE4_ALL, ("ml_feature_store",)) for m in Mode},
}


def expected_processors(phase: int, mode: Mode, game_date: date, now: datetime) -> Expectation:
    return EXPECTED[(phase, input_row_mode(mode, game_date, now))]


# Raw tables by the feed that fills them: a feed the source does not provide, or one switched off,
# leaves every expected set and every readiness input at once (DOMAIN §4, §8 item 5).
FEED_OF_TABLE = {
    "nbac_schedule": "schedule",
    "nbac_gamebook_player_stats": "boxscores",
    "nbac_team_boxscore": "boxscores",
    "nbac_injury_report": "injury_report",
    "odds_api_player_points_props": "prop_lines",
}


def table_active(table: str, active_feeds: frozenset[str]) -> bool:
    feed = FEED_OF_TABLE.get(table)
    return feed is None or feed in active_feeds

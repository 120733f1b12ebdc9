"""The clock's two readings: the only place that reads the wall clock.

`ClockResource` (resources.clock) gives them to assets and sensors; the command line's questions
(`check`) and the partition bounds read them here, without Dagster."""

from __future__ import annotations

from datetime import UTC, datetime

from nba_pipeline.environment import parse_now


def system_now() -> datetime:
    """Real time for things that must not be frozen (durations shown to a person, file stamps)."""
    return datetime.now(tz=UTC)


def clock_now(fixed_now: str | None) -> datetime:
    """The injected "now": `fixed_now` (NBA_PIPELINE_NOW, a test) when set, else the real UTC time."""
    return parse_now(fixed_now) if fixed_now else system_now()

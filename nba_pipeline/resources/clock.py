"""The injected clock: the only place that reads the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from nba_pipeline.environment import parse_now


class ClockResource(dg.ConfigurableResource):
    """Supplies "now" to modes, freshness, `loaded_at` stamps and the simulated league.

    `fixed_now` (from `NBA_PIPELINE_NOW` or a test) freezes it; otherwise it is the real UTC time.
    """

    fixed_now: str | None = None
    wall_offset_seconds: float = 0.0  # tests: how far the wall clock seems to have moved on

    def now(self) -> datetime:
        if self.fixed_now:
            return parse_now(self.fixed_now)
        return datetime.now(tz=UTC)

    def wall_now(self) -> datetime:
        """Real elapsed time, never frozen: how long a run has been going (stalled-run recovery)."""
        return datetime.now(tz=UTC) + timedelta(seconds=self.wall_offset_seconds)


def system_now() -> datetime:
    """Real time for things that must not be frozen (durations shown to a person, file stamps)."""
    return datetime.now(tz=UTC)

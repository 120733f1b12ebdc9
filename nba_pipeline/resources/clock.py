"""The injected clock: the only place that reads the wall clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg

from nba_pipeline.clock import clock_now, system_now


class ClockResource(dg.ConfigurableResource):
    """Supplies "now" to modes, freshness, `loaded_at` stamps and the simulated league.

    `fixed_now` (from `NBA_PIPELINE_NOW` or a test) freezes it; otherwise it is the real UTC time.
    """

    fixed_now: str | None = None
    wall_offset_seconds: float = 0.0  # tests: how far the wall clock seems to have moved on

    def now(self) -> datetime:
        return clock_now(self.fixed_now)

    def wall_now(self) -> datetime:
        """Real elapsed time, never frozen: how long a run has been going (stalled-run recovery)."""
        return system_now() + timedelta(seconds=self.wall_offset_seconds)


__all__ = ["ClockResource", "system_now"]

"""Shared pieces of the cascade tests: a season data directory with the platform's instance, the
embedded or the emulated coordination backends, and an outside loader that loads Phases 1-2 for a
date with its own Dagster instance and publishes their completion envelopes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg

from nba_pipeline.automation.jobs import phase_job_name
from nba_pipeline.definitions import build_definitions
from nba_pipeline.environment import Settings
from nba_pipeline.orchestration.bus import SignalBus, subscription_for
from nba_pipeline.orchestration.envelopes import Envelope, topic_of
from nba_pipeline.partitions import et_datetime
from nba_pipeline.runner import QUIET
from nba_pipeline_tests.conftest import DEMO_DATE

NEXT = DEMO_DATE + timedelta(days=1)  # the date after the season fixture's demo date: same model week
NEXT_MORNING = et_datetime(NEXT + timedelta(days=1), 6)  # every game of NEXT is final: overnight mode
LOADER_CORRELATION = "loader-0001"


def load_outside(settings: Settings, day: date, phases: tuple[int, ...] = (2,)) -> dict[str, int]:
    """Phases 1-2 for the date, run by a system outside the platform (its own throwaway instance):
    the warehouse gets the data, the platform's instance knows nothing. Returns rows per processor
    of `phases` (what the loader will announce)."""
    defs = build_definitions(settings)
    rows = {}
    with dg.DagsterInstance.ephemeral() as elsewhere:
        for phase in (1, 2):
            result = defs.resolve_job_def(phase_job_name(phase)).execute_in_process(
                run_config=QUIET, instance=elsewhere, partition_key=day.isoformat()
            )
            assert result.success
            if phase in phases:
                for event in result.get_asset_materialization_events():
                    m = event.event_specific_data.materialization
                    rows[f"{phase}:{m.asset_key.path[-1]}" if len(phases) > 1 else m.asset_key.path[-1]] = (
                        int(m.metadata["dagster/row_count"].value)
                    )
    return rows


def envelopes_for(
    day: date, rows: dict[str, int], now: datetime, execution_id: str = "loader-job-42"
) -> list[Envelope]:
    """`rows`: processor -> rows (phase 2), or "phase:processor" -> rows."""
    return [
        Envelope(
            processor=name.split(":")[-1],
            phase=int(name.split(":")[0]) if ":" in name else 2,
            game_date=day,
            status="success" if n else "no_data",
            rows=n,
            correlation_id=LOADER_CORRELATION,
            execution_id=execution_id,
            duration_seconds=12.5,
            mode="overnight",
            published_at=now.astimezone(UTC),
            source="external",
        )
        for name, n in sorted(rows.items())
    ]


def publish(bus: SignalBus, envelopes: list[Envelope]) -> list[str]:
    ids = []
    for phase in sorted({e.phase for e in envelopes}):
        topic = topic_of(phase)
        bus.ensure(topic, subscription_for(topic))
        ids += bus.publish_many(
            topic, [(e.to_bytes(), e.attributes()) for e in envelopes if e.phase == phase]
        )
    return ids

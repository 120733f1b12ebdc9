"""Retention: audit rows older than the window (default 365 days) and old coordination records are
deleted — daily at 03:30 ET, or `nba-pipeline retention`.

Each kind of coordination record has its own age, chosen by what it protects: completions, wait
timers and heartbeats are working state (7 days); the ledger of processed messages and settled runs
outlives any redelivery Pub/Sub can make (a subscription retains 7 days, a topic up to 31); finished
claims are what stops a date being run twice for the same version, so they stay as long as anything
may still ask (90 days); a live claim is never deleted — the sweep frees it."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import dagster as dg

from nba_pipeline.environment import ConfigError
from nba_pipeline.observability.tables import AUDIT_TABLES
from nba_pipeline.orchestration.store import CoordinationStore
from nba_pipeline.partitions import et_date, utc_naive
from nba_pipeline.phases.scrape.landing import sweep_staged
from nba_pipeline.resources.blobs import BlobStore, BlobStoreResource
from nba_pipeline.resources.clock import ClockResource, system_now
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.warehouse import Warehouse, WarehouseResource

DEFAULT_DAYS = 365
STORE_DAYS = {
    "completions": 7,
    "waits": 7,
    "heartbeats": 7,
    "breakers": 7,
    "processed_messages": 35,
    "claims": 90,  # finished ones only; the store never purges an active claim
}
WALL_STAMPED = ("claims", "breakers", "heartbeats")
RETENTION_ENV = "NBA_PIPELINE_RETENTION_DAYS"


def retention_days(value: str | int | None = None) -> int:
    raw = value if value is not None else os.environ.get(RETENTION_ENV, DEFAULT_DAYS)
    try:
        days = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"retention days {raw!r} is not a whole number") from None
    if days < 1:
        raise ConfigError(f"retention days must be at least 1, got {days}")
    return days


def purge(
    warehouse: Warehouse,
    store: CoordinationStore,
    now: datetime,
    days: int = DEFAULT_DAYS,
    landing: BlobStore | None = None,
) -> dict[str, int]:
    """Rows deleted per audit table (by game date; undated alerts by time) and per store kind, and the
    live loader's staged payloads that no load will take any more."""
    cutoff = et_date(now) - timedelta(days=days)
    deleted = {}
    for table in AUDIT_TABLES:
        warehouse.ensure(table)
        where, params = f"{table.partition_column} < $cutoff", {"cutoff": cutoff}
        if table.name == "alerts":  # alerts without a game date age by when they were raised
            where += " OR (game_date IS NULL AND raised_at < $moment)"
            params["moment"] = utc_naive(now - timedelta(days=days))
        n = warehouse.query(f"SELECT count(*) AS n FROM {warehouse.ref(table)} WHERE {where}", params).n.iloc[
            0
        ]
        if n:
            warehouse.execute(f"DELETE FROM {warehouse.ref(table)} WHERE {where}", params)
        deleted[table.qualified] = int(n)
    # Each record ages on the clock that stamped it: claims, breakers and heartbeats on the wall clock,
    # completions, the ledger and wait timers on the business clock (a replayed night stays whole).
    wall = system_now()
    cutoffs = {
        kind: (wall if kind in WALL_STAMPED else now) - timedelta(days=n) for kind, n in STORE_DAYS.items()
    }
    for kind, n in store.purge(cutoffs).items():
        deleted[f"coordination.{kind}"] = n
    if landing is not None:
        deleted["landing._staged"] = sweep_staged(landing, et_date(now))
    return deleted


@dg.op(name="retention")
def retention_op(
    context,
    clock: ClockResource,
    warehouse: WarehouseResource,
    coordination: CoordinationResource,
    landing: BlobStoreResource,
) -> dict:
    deleted = purge(warehouse.get(), coordination.store(), clock.now(), retention_days(), landing.get())
    context.log.info(f"retention deleted {deleted}")
    return deleted


@dg.job(name="retention_job", tags={"nba/kind": "retention"})
def retention_job():
    retention_op()


retention_schedule = dg.ScheduleDefinition(
    name="retention_schedule",
    cron_schedule="30 3 * * *",
    execution_timezone="America/New_York",
    job=retention_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

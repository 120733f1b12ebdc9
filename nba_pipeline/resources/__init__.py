"""Resources for an environment: embedded implementations locally, real services in prod.

The `*_for` factories return the Dagster resources (Definitions, runs, sensors). `now_of`,
`warehouse_for` and `store_for` return the plain objects behind them, and `feeds_of` what the source
provides, without importing Dagster: the command line's questions (`check`) need only those, and
Dagster is 1.4 s of a process's start-up.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from nba_pipeline.environment import Settings
from nba_pipeline.resources.warehouse.connect import open_warehouse
from nba_pipeline.resources.warehouse.table import Warehouse

if TYPE_CHECKING:
    import dagster as dg

    from nba_pipeline.orchestration.store import CoordinationStore
    from nba_pipeline.resources.blobs import BlobStoreResource
    from nba_pipeline.resources.clock import ClockResource
    from nba_pipeline.resources.coordination import CoordinationResource
    from nba_pipeline.resources.source import SourceResource
    from nba_pipeline.resources.warehouse import WarehouseResource


def _fixed_now(settings: Settings) -> str | None:
    return settings.now.isoformat() if settings.now else None


def _gcp_project(settings: Settings) -> str | None:
    return settings.gcp.project if settings.gcp else None


def now_of(settings: Settings) -> datetime:
    """The environment's clock, read once (the same reading `clock_for(settings).now()` gives)."""
    from nba_pipeline.clock import clock_now

    return clock_now(_fixed_now(settings))


def clock_for(settings: Settings) -> ClockResource:
    from nba_pipeline.resources.clock import ClockResource

    return ClockResource(fixed_now=_fixed_now(settings))


def _source_fields(settings: Settings) -> dict:
    return dict(
        name=settings.source,
        seed=settings.seed,
        scenario=settings.scenario,
        replay_csv=str(settings.replay_csv or ""),
        state_dir=str(settings.state_dir),
        disabled_feeds=sorted(settings.disabled_feeds),
        http_recordings=str(settings.http_recordings or ""),
        http_record=str(settings.http_record or ""),
    )


def source_for(settings: Settings) -> SourceResource:
    from nba_pipeline.resources.source import SourceResource

    return SourceResource(**_source_fields(settings))


def feeds_of(settings: Settings) -> frozenset[str]:
    """Feeds the configured source provides and that are not switched off (SourceResource.active_feeds)."""
    from nba_pipeline.sources import cached_source, expected_feeds

    fields = _source_fields(settings)
    disabled = fields.pop("disabled_feeds")
    return expected_feeds(cached_source(**fields), disabled)


def coordination_for(settings: Settings) -> CoordinationResource:
    """The store and bus of the environment (Firestore / Pub/Sub with a GCP project in prod)."""
    from nba_pipeline.resources.coordination import CoordinationResource

    return CoordinationResource(state_dir=str(settings.state_dir), gcp_project=_gcp_project(settings))


def store_for(settings: Settings) -> CoordinationStore:
    """The coordination store behind `coordination_for(settings).store()`."""
    from nba_pipeline.orchestration.store import make_store

    return make_store(settings.state_dir, _gcp_project(settings))


def _warehouse_fields(settings: Settings) -> dict:
    """DuckDB under NBA_PIPELINE_HOME locally; BigQuery (its emulator with BIGQUERY_EMULATOR_HOST) in prod."""
    if settings.env == "prod":
        gcp = settings.gcp
        return dict(
            kind="bigquery",
            duckdb_path="",
            project=gcp.project,
            location=gcp.location,
            endpoint=gcp.bigquery_endpoint,
        )
    return dict(
        kind="duckdb", duckdb_path=str(settings.warehouse_path), project="", location="US", endpoint=""
    )


def warehouse_resource_for(settings: Settings) -> WarehouseResource:
    from nba_pipeline.resources.warehouse.resource import WarehouseResource

    return WarehouseResource(**_warehouse_fields(settings))


def warehouse_for(settings: Settings) -> Warehouse:
    """The environment's warehouse, for code outside a Dagster step (the CLI, the runner's gate)."""
    return open_warehouse(**_warehouse_fields(settings))


def blobs_for(settings: Settings, folder: str) -> BlobStoreResource:
    """`landing`, `exports` or `models`: a folder under NBA_PIPELINE_HOME locally, a prefix of the
    landing bucket in prod (the exports under NBA_PIPELINE_EXPORT_PREFIX)."""
    from nba_pipeline.resources.blobs import BlobStoreResource

    if settings.env == "prod":
        gcp = settings.gcp
        return BlobStoreResource(
            gcs_bucket=gcp.landing_bucket,
            gcs_prefix=gcp.export_prefix if folder == "exports" else folder,
            gcs_project=gcp.project,
            gcs_endpoint=gcp.storage_endpoint,
        )
    local = {"landing": settings.landing_dir, "exports": settings.export_dir, "models": settings.models_dir}
    return BlobStoreResource(local_root=str(local[folder]))


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    from nba_pipeline.resources.platform import PlatformResource

    return {
        "clock": clock_for(settings),
        "platform": PlatformResource(halt=settings.halt),
        "source": source_for(settings),
        "coordination": coordination_for(settings),
        "warehouse": warehouse_resource_for(settings),
        "landing": blobs_for(settings, "landing"),
        "exports": blobs_for(settings, "exports"),
        "models": blobs_for(settings, "models"),
    }

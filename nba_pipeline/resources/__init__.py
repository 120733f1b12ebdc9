"""Resources for an environment: embedded implementations locally, real services in prod."""

from __future__ import annotations

import dagster as dg

from nba_pipeline.environment import Settings
from nba_pipeline.resources.blobs import BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.platform import PlatformResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.resources.warehouse import Warehouse, WarehouseResource


def clock_for(settings: Settings) -> ClockResource:
    return ClockResource(fixed_now=settings.now.isoformat() if settings.now else None)


def source_for(settings: Settings) -> SourceResource:
    return SourceResource(
        name=settings.source,
        seed=settings.seed,
        scenario=settings.scenario,
        replay_csv=str(settings.replay_csv or ""),
        state_dir=str(settings.state_dir),
        disabled_feeds=sorted(settings.disabled_feeds),
        http_recordings=str(settings.http_recordings or ""),
        http_record=str(settings.http_record or ""),
    )


def coordination_for(settings: Settings) -> CoordinationResource:
    """The store and bus of the environment (Firestore / Pub/Sub with a GCP project in prod)."""
    return CoordinationResource(
        state_dir=str(settings.state_dir), gcp_project=settings.gcp.project if settings.gcp else None
    )


def warehouse_resource_for(settings: Settings) -> WarehouseResource:
    """DuckDB under NBA_PIPELINE_HOME locally; BigQuery (its emulator with BIGQUERY_EMULATOR_HOST) in prod."""
    if settings.env == "prod":
        gcp = settings.gcp
        return WarehouseResource(
            kind="bigquery", project=gcp.project, location=gcp.location, endpoint=gcp.bigquery_endpoint
        )
    return WarehouseResource(kind="duckdb", duckdb_path=str(settings.warehouse_path))


def warehouse_for(settings: Settings) -> Warehouse:
    """The environment's warehouse, for code outside a Dagster step (the CLI, the runner's gate)."""
    return warehouse_resource_for(settings).get()


def blobs_for(settings: Settings, folder: str) -> BlobStoreResource:
    """`landing`, `exports` or `models`: a folder under NBA_PIPELINE_HOME locally, a prefix of the
    landing bucket in prod (the exports under NBA_PIPELINE_EXPORT_PREFIX)."""
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

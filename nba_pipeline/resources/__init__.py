"""Resources for an environment: embedded implementations locally, real services in prod."""

from __future__ import annotations

import dagster as dg

from nba_pipeline.environment import Settings
from nba_pipeline.resources.blobs import BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.platform import PlatformResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.resources.warehouse import WarehouseResource


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


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    clock, source, coordination = clock_for(settings), source_for(settings), coordination_for(settings)
    platform = PlatformResource(halt=settings.halt)
    if settings.env == "prod":
        gcp = settings.gcp
        return {
            "clock": clock,
            "platform": platform,
            "source": source,
            "coordination": coordination,
            "warehouse": WarehouseResource(kind="bigquery", project=gcp.project, location=gcp.location),
            "landing": BlobStoreResource(
                gcs_bucket=gcp.landing_bucket, gcs_prefix="landing", gcs_project=gcp.project
            ),
            "exports": BlobStoreResource(
                gcs_bucket=gcp.landing_bucket, gcs_prefix=gcp.export_prefix, gcs_project=gcp.project
            ),
            "models": BlobStoreResource(
                gcs_bucket=gcp.landing_bucket, gcs_prefix="models", gcs_project=gcp.project
            ),
        }
    return {
        "clock": clock,
        "platform": platform,
        "source": source,
        "coordination": coordination,
        "warehouse": WarehouseResource(kind="duckdb", duckdb_path=str(settings.warehouse_path)),
        "landing": BlobStoreResource(local_root=str(settings.landing_dir)),
        "exports": BlobStoreResource(local_root=str(settings.export_dir)),
        "models": BlobStoreResource(local_root=str(settings.models_dir)),
    }

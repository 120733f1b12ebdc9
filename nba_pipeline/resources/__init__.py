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


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    clock = ClockResource(fixed_now=settings.now.isoformat() if settings.now else None)
    platform = PlatformResource(halt=settings.halt)
    source = SourceResource(
        name=settings.source,
        seed=settings.seed,
        scenario=settings.scenario,
        replay_csv=str(settings.replay_csv or ""),
        state_dir=str(settings.state_dir),
        disabled_feeds=sorted(settings.disabled_feeds),
    )
    if settings.env == "prod":
        gcp = settings.gcp
        return {
            "clock": clock,
            "platform": platform,
            "source": source,
            "coordination": CoordinationResource(state_dir=str(settings.state_dir), gcp_project=gcp.project),
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
        "coordination": CoordinationResource(state_dir=str(settings.state_dir)),
        "warehouse": WarehouseResource(kind="duckdb", duckdb_path=str(settings.warehouse_path)),
        "landing": BlobStoreResource(local_root=str(settings.landing_dir)),
        "exports": BlobStoreResource(local_root=str(settings.export_dir)),
        "models": BlobStoreResource(local_root=str(settings.models_dir)),
    }

"""The one entry point: assembles Definitions for the environment (loaded lazily by Dagster)."""

from __future__ import annotations

import dagster as dg

from nba_pipeline.automation.health import daily_health_summary_job, daily_health_summary_schedule
from nba_pipeline.automation.jobs import JOBS
from nba_pipeline.automation.loader import loader_sensor
from nba_pipeline.automation.schedules import SCHEDULES
from nba_pipeline.automation.sensors import SENSORS
from nba_pipeline.environment import Settings, load_settings
from nba_pipeline.freshness import with_freshness
from nba_pipeline.home import check_home
from nba_pipeline.observability.assets import STATUS_ASSETS
from nba_pipeline.observability.retention import retention_job, retention_schedule
from nba_pipeline.phases.analytics.assets import ANALYTICS_ASSETS
from nba_pipeline.phases.export.assets import EXPORT_ASSETS
from nba_pipeline.phases.precompute.assets import PRECOMPUTE_ASSETS
from nba_pipeline.phases.predictions.assets import PREDICTION_ASSETS
from nba_pipeline.phases.raw.assets import RAW_ASSETS
from nba_pipeline.phases.scrape.assets import LANDING_ASSETS
from nba_pipeline.resources import build_resources


def build_definitions(settings: Settings) -> dg.Definitions:
    check_home(settings)  # one source per data directory: a mismatch is a readable load error
    # Locally every step runs in the run's own process: DuckDB takes one writer at a time anyway,
    # and a subprocess per step would cost seconds. In prod, steps fan out.
    executor = dg.in_process_executor if settings.env == "local" else dg.multiprocess_executor
    return dg.Definitions(
        assets=[
            *LANDING_ASSETS,
            *RAW_ASSETS,
            *ANALYTICS_ASSETS,
            *PRECOMPUTE_ASSETS,
            *PREDICTION_ASSETS,
            *EXPORT_ASSETS,
            *STATUS_ASSETS,
        ],
        jobs=[*JOBS, daily_health_summary_job, retention_job],
        sensors=[*SENSORS, loader_sensor(settings.loader)],
        schedules=[*SCHEDULES, daily_health_summary_schedule, retention_schedule],
        resources=build_resources(settings),
        executor=executor,
    ).map_asset_specs(func=with_freshness)


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())

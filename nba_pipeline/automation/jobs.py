"""The jobs the platform launches: one per phase (a run never spans two phases), plus the weekly model
and tomorrow's contexts. Sensors, schedules, self-heal and `nba-pipeline trigger` all launch these."""

from __future__ import annotations

import dagster as dg

from nba_pipeline.phases import PHASE_ASSET_PATHS, PHASES
from nba_pipeline.phases.analytics.tables import UPCOMING_PLAYER, UPCOMING_TEAM
from nba_pipeline.phases.predictions.keys import POINTS_MODEL

MODEL_JOB = "points_model_job"
TOMORROW_JOB = "tomorrow_contexts_job"
TOMORROW_ASSETS = (UPCOMING_PLAYER.asset_key, UPCOMING_TEAM.asset_key)


def phase_job_name(phase: int) -> str:
    p = next(p for p in PHASES if p.number == phase)
    return f"{p.group}_job"


def daily_selection(phase: int) -> dg.AssetSelection:
    """The phase's game-date assets (the weekly model has its own job)."""
    group = next(p for p in PHASES if p.number == phase).group
    return dg.AssetSelection.groups(group) - dg.AssetSelection.assets(POINTS_MODEL)


PHASE_JOBS = {
    p.number: dg.define_asset_job(
        phase_job_name(p.number), daily_selection(p.number), tags={"nba/phase": str(p.number)}
    )
    for p in PHASES
}
MODEL_JOB_DEF = dg.define_asset_job(
    MODEL_JOB, dg.AssetSelection.assets(POINTS_MODEL), tags={"nba/phase": "5"}
)
TOMORROW_JOB_DEF = dg.define_asset_job(
    TOMORROW_JOB, dg.AssetSelection.assets(*TOMORROW_ASSETS), tags={"nba/phase": "3"}
)
JOBS = [*PHASE_JOBS.values(), MODEL_JOB_DEF, TOMORROW_JOB_DEF]


def phase_assets(phase: int) -> dict[str, dg.AssetKey]:
    """Processor name (the table, the key's last part) -> asset key, for the phase's game-date assets."""
    keys = [dg.AssetKey(list(path)) for path in PHASE_ASSET_PATHS[phase]]
    return {k.path[-1]: k for k in sorted(keys, key=str)}

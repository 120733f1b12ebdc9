"""Materialize phases for a date range through Dagster: one run per phase, recorded in the instance.

Used by the CLI's `run` and `backfill` and by the benchmarks. A range is one single-run backfill per
phase (the partition-range tags), never one run per date.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date

import dagster as dg

from nba_pipeline.checks import check_outcomes
from nba_pipeline.definitions import build_definitions
from nba_pipeline.environment import REPO_ROOT, Settings
from nba_pipeline.phases import PHASES, Phase
from nba_pipeline.tags import RANGE_END, RANGE_START, run_tags

# The run's events are all in the instance (and the UI); the terminal only needs warnings.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class AssetOutcome:
    asset: str
    rows: int | None
    checks_passed: int
    checks_failed: int
    checks_warned: int  # failures of WARN severity, also counted in checks_failed
    materialized: bool


@dataclass
class PhaseOutcome:
    phase: int
    title: str
    run_id: str
    status: str  # success | failed
    seconds: float
    assets: list[AssetOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line per failed step

    def to_json(self) -> dict:
        return asdict(self)


def ensure_instance(settings: Settings) -> dg.DagsterInstance:
    """The Dagster instance inside the data directory, with the repo's instance settings."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    target = settings.dagster_home / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(REPO_ROOT / "dagster.yaml", target)
    return dg.DagsterInstance.from_config(str(settings.dagster_home))


def phase_keys(defs: dg.Definitions, phase: Phase) -> list[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    return sorted((k for k in graph.get_all_asset_keys() if graph.get(k).group_name == phase.group), key=str)


def step_errors(result) -> list[str]:
    """`step: Error: message` for each failed step, from the root cause rather than Dagster's wrapper."""
    errors = []
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        error = event.event_specific_data.error
        while error is not None and error.cause is not None:
            error = error.cause
        message = error.message.strip().splitlines()[0] if error and error.message.strip() else "failed"
        errors.append(f"{event.step_key}: {message}")
    return errors


def run_phase(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    phase: Phase,
    start: date,
    end: date,
    tags: dict[str, str],
) -> PhaseOutcome:
    keys = phase_keys(defs, phase)
    job = defs.resolve_implicit_job_def_def_for_assets(keys)
    partition = {"partition_key": start.isoformat()} if start == end else {}
    if start != end:
        tags = {**tags, RANGE_START: start.isoformat(), RANGE_END: end.isoformat()}
    began = time.monotonic()
    result = job.execute_in_process(
        run_config=QUIET,
        instance=instance,
        asset_selection=keys,
        tags=tags,
        raise_on_error=False,
        **partition,
    )
    rows: dict[str, int | None] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        value = materialization.metadata.get("dagster/row_count")
        rows.setdefault(materialization.asset_key.to_user_string(), value.value if value else None)
    checks = check_outcomes(result)
    assets = [
        AssetOutcome(
            asset=k.to_user_string(),
            rows=rows.get(k.to_user_string()),
            checks_passed=checks.get(k.to_user_string(), {}).get("passed", 0),
            checks_failed=checks.get(k.to_user_string(), {}).get("failed", 0),
            checks_warned=checks.get(k.to_user_string(), {}).get("warned", 0),
            materialized=k.to_user_string() in rows,
        )
        for k in keys
    ]
    return PhaseOutcome(
        phase.number,
        phase.title,
        result.run_id,
        "success" if result.success else "failed",
        round(time.monotonic() - began, 2),
        assets,
        step_errors(result),
    )


def run_phases(
    settings: Settings,
    start: date,
    end: date,
    through: int,
    mode: str,
    trigger: str,
    correlation_id: str,
    on_phase: Callable[[Phase], None] | None = None,
    instance: dg.DagsterInstance | None = None,
    first: int = 1,
) -> list[PhaseOutcome]:
    """Phases `first`..`through` for start..end, in order, one run each."""
    defs = build_definitions(settings)
    own_instance = instance is None
    instance = instance or ensure_instance(settings)
    outcomes = []
    try:
        for phase in PHASES:
            if not first <= phase.number <= through:
                continue
            if on_phase:
                on_phase(phase)
            tags = run_tags(
                phase.number,
                mode,
                trigger,
                correlation_id,
                source=settings.source,
                scenario=settings.scenario,
            )
            outcomes.append(run_phase(defs, instance, phase, start, end, tags))
    finally:
        if own_instance:
            instance.dispose()
    return outcomes

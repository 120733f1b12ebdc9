"""A person's trigger and an on-demand self-heal, from the CLI: the same claim and the same readiness
gate as the sensors, and the run executed in this process (recorded in the same instance)."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from nba_pipeline.automation.schedules import heal
from nba_pipeline.automation.triggering import Outcome, TriggerContext, request_phase, send_alerts
from nba_pipeline.definitions import build_definitions
from nba_pipeline.environment import Settings
from nba_pipeline.modes import Mode
from nba_pipeline.orchestration.settle import settle_run
from nba_pipeline.partitions import et_date
from nba_pipeline.resources import coordination_for
from nba_pipeline.runner import QUIET, cli_coordination, step_errors


def launch(settings: Settings, ctx: TriggerContext, outcome: Outcome) -> dict:
    """Run what a launched outcome describes, then settle it (claim done or released)."""
    defs = build_definitions(settings)
    result = defs.resolve_job_def(outcome.job_name).execute_in_process(
        run_config=QUIET,
        instance=ctx.instance,
        partition_key=outcome.partition_key,
        asset_selection=list(outcome.asset_selection),
        tags=outcome.tags,
        raise_on_error=False,
    )
    bus = coordination_for(settings).bus()
    settle_run(ctx.instance, result.run_id, ctx.store, bus, ctx.now, ctx.warehouse)
    return {"run_id": result.run_id, "success": result.success, "errors": step_errors(result)}


def _context(settings: Settings, instance: dg.DagsterInstance, claimant: str) -> TriggerContext:
    from dataclasses import replace

    return replace(cli_coordination(settings, instance, "manual", "manual", "").trigger, claimant=claimant)


def trigger(
    settings: Settings, instance: dg.DagsterInstance, phase: int, day: date, mode: Mode, force: bool, who: str
) -> dict:
    ctx = _context(settings, instance, f"person:{who}")
    outcome = request_phase(ctx, phase, day, mode, "manual", force=force)
    report = {
        "phase": phase,
        "date": day.isoformat(),
        "mode": mode.value,
        "status": outcome.status,
        "reason": outcome.reason,
        "version": outcome.version,
        "claimed_by": outcome.claim.claimant if outcome.claim and outcome.status == "taken" else None,
    }
    if outcome.status == "launched":
        report["run"] = launch(settings, ctx, outcome)
    return report


def heal_now(settings: Settings, instance: dg.DagsterInstance, who: str) -> dict:
    """Self-heal on demand for today and yesterday (by the injected clock), running what it re-triggers."""
    ctx = _context(settings, instance, f"self_heal:{who}")
    today = et_date(ctx.now)
    outcomes, alerts = heal(ctx, [today - timedelta(days=1), today])
    send_alerts(ctx.warehouse, alerts, ctx.now)
    runs = [
        launch(settings, ctx, o) | {"phase": o.phase, "date": o.game_date.isoformat()}
        for o in outcomes
        if o.status == "launched"
    ]
    return {"healed": runs, "held": [o.line() for o in outcomes if o.status != "launched"]}

"""Admission: which of a run's dates a gated asset (phases 3–6) may build, decided inside the asset.

However a run was launched, its assets build only dates it holds a claim for (DOMAIN §6, §8 item 19):
- a run the platform launched (a sensor, a schedule, self-heal, the command line) carries its claims:
  bound to its run id in the store, or named by its tags (a sensor's request) and bound here;
- a run launched from outside the platform — the UI's Materialize, a Dagster backfill, `dagster asset
  materialize`, a re-execution from the UI (it copies its parent's claim tags, but the claim is the
  parent's, done or released) — has none: its first gated asset decides readiness for its dates in the run's mode
  (backfill for a Dagster backfill or a range, manual otherwise), takes the claims of the dates that
  may proceed, bound to this run, and tags the run like a platform run so settlement closes them.
  Later assets of the same run find those claims and join them.

A date that may not run is held with the reason. Dagster records a range run's materialization for
every date of the range, so an asset may not build a subset of it: a run that holds any of its dates
builds none and fails with every date's reason, naming the dates that may run; its claims are
released at once (a refusal is not a failure of those dates: no breaker counts it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import dagster as dg
from dagster._core.storage.tags import PARENT_RUN_ID_TAG

from nba_pipeline.orchestration import claims
from nba_pipeline.orchestration.claims import MODEL_TARGET, Claim, target_of
from nba_pipeline.partitions import dates_of
from nba_pipeline.tags import CLAIM, CORRELATION_ID, MODE, PHASE, TRIGGER, new_correlation_id


@dataclass(frozen=True)
class Admission:
    days: list[date]  # what the run may build
    held: dict[date, str] = field(default_factory=dict)  # the others, each with why
    claims: dict[date, Claim] = field(default_factory=dict)
    gated_here: bool = False  # decided inside this run (a launch from outside the platform)

    def require_all(self) -> None:
        """Fail the step, building nothing, unless every date of the run was admitted."""
        if not self.held:
            return
        reasons = "; ".join(f"{d}: {why}" for d, why in sorted(self.held.items()))
        if not self.days:
            raise dg.Failure(f"held, nothing built — {reasons}", allow_retries=False)
        runnable = ", ".join(d.isoformat() for d in self.days)
        raise dg.Failure(
            f"{len(self.held)} of {len(self.held) + len(self.days)} dates held, nothing built — {reasons}."
            f" A range run builds all its dates or none: launch the dates that may run ({runnable}) alone.",
            allow_retries=False,
        )


def _platform_claims(store, run: dg.DagsterRun, target: str, wall) -> dict[date, Claim]:
    """The run's own claims for `target`, a sensor's request bound to the run on the way."""
    mine = {}
    for held in claims.claims_of_run(store, run):
        if held.target != target:
            continue
        if held.run_id is None:
            held = claims.bind(store, held, run.run_id, wall)
        mine[held.game_date] = held
    return mine


def admit(context: dg.AssetExecutionContext, phase: int, trigger_context, model: bool = False) -> Admission:
    """The dates this run may build (the weekly model's are its Mondays). `trigger_context(holder)`
    builds the TriggerContext the claims are taken with."""
    run = context.run
    days = dates_of(context)
    target = MODEL_TARGET if model else target_of(phase)
    ctx = trigger_context(f"run:{run.run_id}")
    try:
        mine = _platform_claims(ctx.store, run, target, ctx.wall())
    except claims.ClaimLost as exc:  # a sensor's claim that expired and was taken by a later attempt
        return Admission([], dict.fromkeys(days, f"not run: {exc}"))
    if mine or (CLAIM in run.tags and PARENT_RUN_ID_TAG not in run.tags):
        held = {d: "no claim of this run covers this date" for d in days if d not in mine}
        return Admission([d for d in days if d in mine], held, mine)
    return _gate_here(context, phase, target, days, ctx, model)


def _gate_here(context, phase: int, target: str, days: list[date], ctx, model: bool) -> Admission:
    from nba_pipeline.automation.triggering import claim_dates
    from nba_pipeline.modes import detect_mode
    from nba_pipeline.orchestration.dependency import check

    run = context.run
    mode = detect_mode(days[0], ctx.now, run.tags)
    trigger = "backfill" if mode.value == "backfill" else "manual"
    correlation_id = run.tags.get(CORRELATION_ID) or new_correlation_id()
    held: dict[date, str] = {}
    if not model:  # the weekly model gates itself (it says when there is too little history)
        decisions = check(
            ctx.warehouse, ctx.store, phase, days, mode, ctx.now, ctx.feeds, correlation_id, ctx.instance
        )
        held = {
            d: f"{v.decision.value}: {'; '.join(v.reasons)}"
            for d, v in decisions.items()
            if not v.decision.runs
        }
    runnable = [d for d in days if d not in held]
    # A person asked for these dates: one already built for this version is built again on purpose;
    # one someone is building right now is not.
    won, taken = claim_dates(
        ctx, target, runnable, mode.value, trigger, correlation_id, run.run_id, rerun_done=True
    )
    held |= taken
    if held:  # refused as a whole: what it claimed goes back at once, and no breaker counts it
        for claim in won.values():
            claims.release(ctx.store, claim.key, claim.attempt, "its run was refused: dates held", ctx.wall())
        won = {}
    context.instance.add_run_tags(
        run.run_id,
        {PHASE: str(phase), MODE: mode.value, TRIGGER: trigger, CORRELATION_ID: correlation_id}
        | ({CLAIM: f"{target}|{days[0]}..{days[-1]}"} if won else {}),
    )
    return Admission([d for d in days if d not in held], held, won, gated_here=True)

"""Materialize phases for a date range through Dagster: one run per phase, recorded in the instance.

Used by the CLI's `run` and `backfill` and by the benchmarks. A range is one single-run backfill per
phase (the partition-range tags), never one run per date.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import dagster as dg
from dagster._core.utils import make_new_run_id

from nba_pipeline import interrupts
from nba_pipeline.automation.jobs import MODEL_JOB, phase_job_name
from nba_pipeline.checks import check_outcomes
from nba_pipeline.definitions import build_definitions
from nba_pipeline.environment import Settings
from nba_pipeline.instance import (  # noqa: F401 — re-exported
    Coordination,
    active_feeds,
    cli_coordination,
    ensure_instance,
)
from nba_pipeline.orchestration.backfills import BACKFILL_ID_TAG, close_backfill, keep_open, open_backfill
from nba_pipeline.orchestration.claims import MODEL_TARGET, holder_id, target_of
from nba_pipeline.orchestration.termination import Terminated, stopped_from_dagster
from nba_pipeline.partitions import FIRST_GAME_DATE, MODEL_WEEKS, date_range, week_of
from nba_pipeline.phases import PHASES, Phase
from nba_pipeline.tags import (
    CLAIM,
    DECISION,
    DEGRADED,
    DEGRADED_INPUTS,
    EXECUTED_BY,
    MODE,
    RANGE_END,
    RANGE_START,
    TRIGGER,
    run_tags,
)

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
    status: str  # success | partial (some dates held) | held (no date could run) | failed | canceled
    seconds: float
    assets: list[AssetOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line per failed step
    run_ids: list[str] = field(default_factory=list)  # one per partitions definition and per range of dates
    decisions: dict[str, str] = field(default_factory=dict)  # readiness verdict per date (gated phases)
    held: dict[str, list[str]] = field(default_factory=dict)  # dates that may not run yet, and why
    failed: dict[str, str] = field(default_factory=dict)  # dates a run failed for, each with its error

    def to_json(self) -> dict:
        return asdict(self)


CANCELED = "not run: the backfill was canceled on the UI's Backfills page (its runs with it)"


def phase_keys(defs: dg.Definitions, phase: Phase) -> list[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    return sorted((k for k in graph.get_all_asset_keys() if graph.get(k).group_name == phase.group), key=str)


def step_errors(result) -> list[str]:
    """`step: Error: message` for each failed step, from the root cause rather than Dagster's wrapper."""
    return step_errors_of(result.all_events)


def step_errors_of(events) -> list[str]:
    errors = []
    for event in events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        error = event.event_specific_data.error
        while error is not None and error.cause is not None:
            error = error.cause
        lines = [line.strip() for line in error.message.strip().splitlines()] if error else []
        message = lines[0] if lines else "failed"
        if message.endswith(":"):  # a list follows (the blocking checks that failed): keep it on the line
            message = f"{message} {'; '.join(lines[1:])}"
        if (
            error is not None and error.cls_name == "Failure"
        ):  # a deliberate failure: its words, not its class
            message = message.split(": ", 1)[-1]
        else:  # the class without its module path
            message = re.sub(r"^(?:\w+\.)+(?=\w+:)", "", message)
        errors.append(f"{event.step_key}: {message}")
    return errors


def failed_dates(result, first: date, last: date) -> dict[date, str]:
    """The dates a run failed for, each with its error: the dates its steps name (a range run where a
    date failed alone), or every date of the run when a step failed as a whole."""
    failed: dict[date, str] = {}
    whole = None
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        data = event.event_specific_data.user_failure_data
        named = data.metadata.get("failed_dates") if data is not None else None
        if named is not None:
            failed |= {date.fromisoformat(d): why for d, why in named.value.items()}
        elif whole is None:
            whole = step_errors_of([event])[0]
    if whole is not None:
        failed |= {d: whole for d in date_range(first, last) if d not in failed}
    return failed


def _windows(defs: dg.Definitions, keys: list[dg.AssetKey]) -> list[tuple[object, list[dg.AssetKey]]]:
    """The phase's assets grouped by partitions definition (one run each: a run has one), upstream first:
    the weekly model runs before the daily predictions that use it."""
    graph = defs.resolve_asset_graph()
    groups: dict[object, list[dg.AssetKey]] = {}
    for key in keys:
        groups.setdefault(graph.get(key).partitions_def, []).append(key)

    def feeds_another(item) -> bool:
        _, mine = item
        return any(
            parent in mine
            for other_def, other in groups.items()
            for k in other
            if other_def is not item[0]
            for parent in graph.get(k).parent_keys
        )

    return sorted(groups.items(), key=lambda item: not feeds_another(item))


def _range(partitions_def, start: date, end: date) -> tuple[dict, dict]:
    """execute_in_process arguments for the dates start..end in this partitions definition."""
    if partitions_def == MODEL_WEEKS:
        start, end = week_of(start), week_of(end)
    if start == end:
        return {"partition_key": start.isoformat()}, {}
    return {}, {RANGE_START: start.isoformat(), RANGE_END: end.isoformat()}


Gate = Callable[[list[date]], dict]  # the readiness decision of each date (date -> readiness.Decision)


def _contiguous(days: list[date], step: timedelta = timedelta(days=1)) -> list[tuple[date, date]]:
    """Runs of consecutive dates (or weeks, with a 7-day step): each becomes one single-run range."""
    spans: list[tuple[date, date]] = []
    for day in sorted(days):
        if spans and day == spans[-1][1] + step:
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def _decision_tags(decisions: dict, first: date, last: date) -> dict[str, str]:
    """A degraded run says so: its decision and the inputs it went without."""
    span = [d for day, d in decisions.items() if first <= day <= last]
    degraded = [d for d in span if d.decision.value == "PROCEED_DEGRADED"]
    if not degraded:
        return {DECISION: "PROCEED"}
    inputs = sorted({t for d in degraded for t in (*d.short, *d.missing_optional)})
    return {DECISION: "PROCEED_DEGRADED", DEGRADED: "true", DEGRADED_INPUTS: ",".join(inputs)}


def claim_label(target: str, first: date, last: date, won: dict) -> dict[str, str]:
    """The claim tags of a run the command line executes: the key (and attempt) of a one-date run, a
    range label for a range (its claims are found by run id in the store)."""
    from nba_pipeline.automation.triggering import claim_tags

    if first == last and first in won:
        return claim_tags(won[first])
    return {CLAIM: f"{target}|{first.isoformat()}..{last.isoformat()}"} if won else {}


def execute(job: dg.JobDefinition, instance: dg.DagsterInstance, run_id: str, **kwargs):
    """Execute a run in this process. Interrupted (Ctrl-C, SIGTERM) — whether Dagster lets the
    interruption through or turns it into a failed step — the run is marked canceled and the
    interruption goes on, so the caller's settlement releases its claims on the way out. Stopped from
    Dagster (its Terminate, its backfill's Cancel: `termination`), the run ends canceled and
    `Terminated` says so, with the run's result."""
    kwargs["tags"] = {**(kwargs.get("tags") or {}), EXECUTED_BY: holder_id()}
    try:
        result = job.execute_in_process(
            run_config=QUIET, instance=instance, run_id=run_id, raise_on_error=False, **kwargs
        )
    except BaseException:
        _cancel(instance, run_id)
        raise
    if interrupts.received():
        _cancel(instance, run_id)
        raise KeyboardInterrupt("interrupted")
    if stopped := stopped_from_dagster(instance, run_id):
        _cancel(instance, run_id, stopped)
        raise Terminated(stopped, result)
    if _interrupted(result):
        _cancel(instance, run_id)
        raise KeyboardInterrupt("interrupted")
    return result


def _interrupted(result) -> bool:
    """Dagster catches Ctrl-C / SIGTERM during a step and fails the step with this error instead."""
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None) if event.is_failure else None
        while error is not None:
            if error.cls_name == "DagsterExecutionInterruptedError":
                return True
            error = error.cause
    return False


def _cancel(
    instance: dg.DagsterInstance,
    run_id: str,
    why: str = "interrupted: the command that executed it was stopped",
) -> None:
    run = instance.get_run_by_id(run_id)
    if run is not None and not run.is_finished:
        instance.report_run_canceled(run, why)


def run_phase(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    phase: Phase,
    start: date,
    end: date,
    tags: dict[str, str],
    gate: Gate | None = None,
    coordination: Coordination | None = None,
) -> PhaseOutcome:
    """The phase's runs for start..end. With a gate, its daily assets run only for the dates that may
    proceed (consecutive ones together) and that this caller could claim; the others are held with
    their reasons."""
    keys = phase_keys(defs, phase)
    began = time.monotonic()
    rows: dict[str, int | None] = {}
    checks: dict[str, dict[str, int]] = {}
    run_ids, errors, success, decisions, taken = [], [], True, {}, {}
    failed: dict[date, str] = {}
    retried: set[date] = set()  # dates re-run once without the dates that failed beside them
    stopped: str | None = None  # why the phase was stopped from Dagster (no further run starts)
    for partitions_def, group in _windows(defs, keys):
        if stopped:
            break
        weekly = partitions_def == MODEL_WEEKS
        if gate is None or weekly:  # the weekly model gates itself (too little history)
            spans = deque([(start, end, {})])
        else:
            decided = gate(list(date_range(start, end)))
            decisions |= decided
            runnable = [day for day, d in decided.items() if d.decision.runs]
            spans = deque((a, b, _decision_tags(decided, a, b)) for a, b in _contiguous(runnable))
        while spans and not stopped:
            first, last, decision_tags = spans.popleft()
            run_id = make_new_run_id()
            claim_tags = {}
            if coordination is not None and gate is not None:  # phases 3-6 (and the model) are claimed
                target = MODEL_TARGET if weekly else target_of(phase.number)
                days = (
                    sorted({week_of(d) for d in date_range(first, last)})
                    if weekly
                    else list(date_range(first, last))
                )
                won, lost = coordination.claim(target, days, run_id)
                taken |= lost
                if not won:
                    continue
                (first, last), *rest = _contiguous(list(won), timedelta(days=7 if weekly else 1))
                if rest:  # a date inside the span is someone else's: this run takes the first part
                    later = [c for d, c in won.items() if d > last]
                    coordination.release(later, f"split off run {run_id}: claimed again for its own run")
                    spans.extendleft(reversed([(a, b, _decision_tags(decisions, a, b)) for a, b in rest]))
                won = {d: c for d, c in won.items() if d <= last}
                claim_tags = claim_label(target, first, last, won)
            partition, range_tags = _range(partitions_def, first, last)
            try:
                result = execute(
                    defs.resolve_job_def(MODEL_JOB if weekly else phase_job_name(phase.number)),
                    instance,
                    run_id,
                    asset_selection=group,
                    tags={**tags, **decision_tags, **range_tags, **claim_tags},
                    **partition,
                )
            except Terminated as stop:
                stopped, result = stop.reason, stop.result
                errors.append(f"stopped: {stop.reason}")
            finally:  # also when interrupted: its claims are closed on the way out
                if coordination is not None:
                    coordination.settle(run_id)
            for event in result.get_asset_materialization_events():
                materialization = event.event_specific_data.materialization
                value = materialization.metadata.get("dagster/row_count")
                rows.setdefault(materialization.asset_key.to_user_string(), value.value if value else None)
            for asset, counts in check_outcomes(result).items():
                totals = checks.setdefault(asset, {"passed": 0, "failed": 0, "warned": 0})
                for name, n in counts.items():
                    totals[name] += n
            run_ids.append(result.run_id)
            errors += step_errors(result)
            if not result.success and not stopped:
                lost = failed_dates(result, first, last)
                failed |= lost
                for a, b in _unbuilt(result, group, first, last, set(lost), retried):
                    retried |= set(date_range(a, b))
                    spans.append((a, b, _decision_tags(decisions, a, b)))
            success &= result.success
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
    held = {day.isoformat(): d.reasons for day, d in decisions.items() if not d.decision.runs}
    held |= {day.isoformat(): [reason] for day, reason in taken.items()}
    return PhaseOutcome(
        phase.number,
        phase.title,
        run_ids[-1] if run_ids else "",
        _phase_status(stopped, success, bool(run_ids), bool(held)),
        round(time.monotonic() - began, 2),
        assets,
        errors,
        run_ids,
        {day.isoformat(): d.decision.value for day, d in decisions.items()},
        held,
        {d.isoformat(): why for d, why in sorted(failed.items())},
    )


def _phase_status(stopped: str | None, success: bool, ran: bool, held: bool) -> str:
    if stopped:
        return "canceled"
    if not success:
        return "failed"
    return "partial" if ran and held else "success" if ran else "held"


def _unbuilt(
    result, group, first: date, last: date, lost: set[date], retried: set[date]
) -> list[tuple[date, date]]:
    """Spans of dates of a failed range run that did not fail themselves but were left unbuilt (a
    step downstream in the run was skipped): re-run once, without the dates that failed."""
    if first == last:
        return []
    built: dict[str, set[str]] = {}
    for event in result.get_asset_materialization_events():
        m = event.event_specific_data.materialization
        built.setdefault(m.asset_key.to_user_string(), set()).add(m.partition)
    left = [
        d
        for d in date_range(first, last)
        if d not in lost
        and d not in retried
        and any(d.isoformat() not in built.get(k.to_user_string(), ()) for k in group)
    ]
    return _contiguous(left)


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
    gated: bool = True,
    force: bool = False,
) -> list[PhaseOutcome]:
    """Phases `first`..`through` for start..end, in order. From phase 3 on, each date's readiness is
    decided first (in the run's mode) and only dates that may proceed run. A backfill is recorded as
    a Dagster backfill (orchestration.backfills), its runs tagged with its id."""
    defs = build_definitions(settings)
    own_instance = instance is None
    instance = instance or ensure_instance(settings)
    coordination = cli_coordination(settings, instance, mode, trigger, correlation_id, force)
    phases = [p for p in PHASES if first <= p.number <= through]
    backfill_id = None
    if trigger == "backfill":
        keys = [k for p in phases for k in phase_keys(defs, p)]
        title = f"nba-pipeline backfill {start} → {end}, phases {phases[0].number}-{phases[-1].number}"
        backfill_id = open_backfill(instance, defs, keys, start, end, title, {TRIGGER: trigger, MODE: mode})
    outcomes: list[PhaseOutcome] = []
    try:
        for phase in phases:
            if on_phase:
                on_phase(phase)
            coordination.tidy()  # dead runs and expired launches (an earlier command killed mid-way)
            if backfill_id and not keep_open(instance, backfill_id):  # canceled from the UI: no more
                outcomes.append(
                    PhaseOutcome(phase.number, phase.title, "", "canceled", 0.0, errors=[CANCELED])
                )
                break
            tags = run_tags(
                phase.number,
                mode,
                trigger,
                correlation_id,
                source=settings.source,
                scenario=settings.scenario,
            ) | ({BACKFILL_ID_TAG: backfill_id} if backfill_id else {})
            gate = (
                readiness_gate(settings, phase.number, mode, correlation_id, instance)
                if gated and phase.number >= 3
                else None
            )
            outcomes.append(run_phase(defs, instance, phase, start, end, tags, gate, coordination))
            if outcomes[-1].status == "canceled":  # stopped from Dagster: no further phase
                break
    finally:
        if backfill_id:
            failed = {
                key: [date.fromisoformat(d) for d in o.failed]
                for o, p in zip(outcomes, phases, strict=False)
                for key in phase_keys(defs, p)
            }
            held = {d: why for o in outcomes for d, why in o.held.items()}
            close_backfill(instance, defs, backfill_id, failed, held)
        if own_instance:
            instance.dispose()
    return outcomes


def readiness_gate(
    settings: Settings, phase: int, mode: str, correlation_id: str, instance: dg.DagsterInstance
) -> Gate:
    from nba_pipeline.modes import Mode
    from nba_pipeline.orchestration.dependency import check
    from nba_pipeline.resources import clock_for, coordination_for, warehouse_for

    clock, store = clock_for(settings), coordination_for(settings).store()
    feeds = active_feeds(settings)

    def gate(days: list[date]) -> dict:
        return check(
            warehouse_for(settings),
            store,
            phase,
            days,
            Mode(mode),
            clock.now(),
            feeds,
            correlation_id,
            instance,
        )

    return gate


HISTORY_DAYS = 90  # what a model for a date learns from when the warehouse has nothing yet
MODEL_INPUTS_PHASE = 4  # the feature store, the model's training data, is the last table of phase 4


def missing_history(settings: Settings, day: date, instance: dg.DagsterInstance) -> list[tuple[date, date]]:
    """The spans of dates (consecutive ones together) to backfill (phases 1-4) so the model serving
    `day` has history to learn from: the dates of the window before it that have no feature-store
    partition yet (never built, held or failed). Dates already built are not built again, so a
    second run of the same date backfills nothing, or only the few dates still unbuilt."""
    from nba_pipeline.phases.precompute.tables import FEATURE_STORE

    window = [day - timedelta(days=n) for n in range(HISTORY_DAYS, 0, -1)]
    done = instance.get_materialized_partitions(FEATURE_STORE.asset_key)
    missing = [d for d in window if d.isoformat() not in done and d >= FIRST_GAME_DATE]
    return _contiguous(missing)


def predictions_summary(settings: Settings, day: date) -> dict[str, dict[str, int]]:
    """{system: {OVER, UNDER, PASS, NO_LINE}} for the date's predictions in the warehouse."""
    from nba_pipeline.phases.predictions.tables import PREDICTIONS
    from nba_pipeline.resources import warehouse_for
    from nba_pipeline.resources.warehouse import read_dates

    frame = read_dates(
        warehouse_for(settings),
        PREDICTIONS,
        day,
        day,
        ["game_date", "system_id", "recommendation"],
    )
    summary: dict[str, dict[str, int]] = {}
    for (system, call), n in frame.groupby(["system_id", "recommendation"]).size().items():
        summary.setdefault(system, dict.fromkeys(("OVER", "UNDER", "PASS", "NO_LINE"), 0))[call] = int(n)
    return summary


def games_on(settings: Settings, day: date) -> int | None:
    """The number of games the loaded schedule has on `day`: 0 for an off day (the schedule was
    loaded and has none), None when the schedule for it was never loaded (unknown, not "no games")."""
    from nba_pipeline.phases.raw.tables import SCHEDULE
    from nba_pipeline.resources import warehouse_for
    from nba_pipeline.resources.warehouse import read_dates

    with ensure_instance(settings) as instance:
        if day.isoformat() not in instance.get_materialized_partitions(SCHEDULE.asset_key):
            return None
    frame = read_dates(warehouse_for(settings), SCHEDULE, day, day, ["game_date", "game_id"])
    return int(frame["game_id"].nunique()) if not frame.empty else 0


def export_paths(settings: Settings, day: date) -> dict[str, str]:
    """The feed's files for the date that exist in the exports store (a folder, or GCS in prod)."""
    from nba_pipeline.phases.export.assets import path_of
    from nba_pipeline.phases.export.feed import FILES
    from nba_pipeline.resources import blobs_for

    store = blobs_for(settings, "exports").get()
    paths = {name: path_of(name, day) for name in FILES}
    return {name: store.uri(path) for name, path in paths.items() if store.exists(path)}

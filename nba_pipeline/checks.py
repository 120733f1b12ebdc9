"""Asset-check plumbing shared by every phase: names, specs, and per-partition results.

A single-run backfill materializes many dates in one step, but a check must still say how each date
did. A single-date run records one evaluation for its partition. A range run records one evaluation
per date, passed or failed, with that date's numbers (what the UI's check partitions and lineage
cards read, playbook §15), plus the one run-level result Dagster requires of the step: it fails when
any date failed and is the one that blocks downstream assets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from nba_pipeline.partitions import GAME_DATE_PARTITIONS

ROWS_WRITTEN = "rows_written"  # a zero-row write where games were expected fails (DOMAIN §8 items 1, 13)

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def check_spec(
    key: dg.AssetKey,
    name: str,
    description: str,
    severity: dg.AssetCheckSeverity = ERROR,
    partitions_def=GAME_DATE_PARTITIONS,
) -> dg.AssetCheckSpec:
    """A per-partition check; only ERROR checks block downstream assets (playbook §2)."""
    return dg.AssetCheckSpec(
        name,
        asset=key,
        description=description,
        blocking=severity == ERROR,
        partitions_def=partitions_def,
        metadata={"severity": severity.value},
    )


@dataclass(frozen=True)
class Verdict:
    """One date's check outcome. A failure may carry a lower severity than the check's own when the
    date is known to be unable to pass (a WARN that says why instead of a blocking ERROR)."""

    passed: bool
    metadata: dict
    severity: dg.AssetCheckSeverity | None = None


def emit_check(
    context: dg.AssetExecutionContext,
    key: dg.AssetKey,
    name: str,
    per_date: Mapping[date, Verdict],
    severity: dg.AssetCheckSeverity = ERROR,
) -> Iterator[dg.AssetCheckEvaluation | dg.AssetCheckResult]:
    def level(v: Verdict) -> dg.AssetCheckSeverity:
        return v.severity or severity

    if context.has_partition_key:
        (verdict,) = per_date.values()
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=name,
            passed=verdict.passed,
            metadata=verdict.metadata,
            severity=level(verdict),
        )
        return
    failed = {d: v for d, v in sorted(per_date.items()) if not v.passed}
    targets = materializations_of(context, key, list(per_date))
    for day, verdict in sorted(per_date.items()):
        yield dg.AssetCheckEvaluation(
            asset_key=key,
            check_name=name,
            passed=verdict.passed,
            metadata=verdict.metadata,
            severity=level(verdict),
            partition=day.isoformat(),
            target_materialization_data=targets.get(day.isoformat()),
        )
    worst = ERROR if any(level(v) == ERROR for v in failed.values()) else WARN
    yield dg.AssetCheckResult(
        asset_key=key,
        check_name=name,
        passed=not failed,
        severity=worst if failed else severity,
        metadata={
            "dates": len(per_date),
            "dates_failed": len(failed),
            "failed_dates": [d.isoformat() for d in list(failed)[:25]],
        },
    )


def materializations_of(
    context: dg.AssetExecutionContext, key: dg.AssetKey, days: list[date]
) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    """Each date's materialization this run just recorded: what a date's check result must point at for
    the UI to count it as current (a range run's results name their date themselves). One read per
    asset and run, shared by the asset's checks."""
    cache = _TARGETS.setdefault(context.run_id, {})
    if key not in cache:
        wanted = {d.isoformat() for d in days}
        found: dict[str, AssetCheckEvaluationTargetMaterializationData] = {}
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(key, asset_partitions=sorted(wanted)), limit=max(len(wanted), 1) * 4
        ).records
        for record in sorted(records, key=lambda r: r.storage_id):
            if record.run_id == context.run_id and record.partition_key in wanted:
                found[record.partition_key] = AssetCheckEvaluationTargetMaterializationData(
                    storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
                )
        if not found:  # asked before the asset's materialization was recorded: look again next time
            return found
        cache[key] = found
        while len(_TARGETS) > 8:  # a long-lived process runs many runs: keep only the recent ones
            _TARGETS.pop(next(iter(_TARGETS)))
    return cache[key]


_TARGETS: dict[str, dict[dg.AssetKey, dict]] = {}


def check_outcomes(result) -> dict[str, dict[str, int]]:
    """{asset: {"passed": n, "failed": n, "warned": n}} from a run's check evaluations; `warned` counts
    the failures of WARN severity (included in `failed`), which never block."""
    outcomes: dict[str, dict[str, int]] = {}
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.partition is not None and not result.dagster_run.tags.get("dagster/partition"):
            continue  # a range run: count its run-level results, not every date's
        counts = outcomes.setdefault(
            evaluation.asset_key.to_user_string(), {"passed": 0, "failed": 0, "warned": 0}
        )
        counts["passed" if evaluation.passed else "failed"] += 1
        counts["warned"] += not evaluation.passed and evaluation.severity == WARN
    return outcomes


def latest_evaluations(
    instance: dg.DagsterInstance, key: dg.AssetKey, names: tuple[str, ...], day: date
) -> dict[str, dg.AssetCheckEvaluation]:
    """The asset's check evaluations for the date's partition made after its latest materialization
    (what the UI shows for that partition)."""
    from dagster._core.event_api import PartitionKeyFilter

    written = instance.fetch_materializations(
        dg.AssetRecordsFilter(key, asset_partitions=[day.isoformat()]), limit=1
    )
    if not written.records:
        return {}
    since = written.records[0].event_log_entry.timestamp
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(key, name) for name in names],
        partition_filter=PartitionKeyFilter(key=day.isoformat()),
    )
    out = {}
    for check_key, record in latest.items():
        event = record.event
        if event and event.dagster_event and event.timestamp >= since:
            out[check_key.name] = event.dagster_event.event_specific_data
    return out


def recorded_check_failures(
    instance: dg.DagsterInstance, key: dg.AssetKey, names: tuple[str, ...], day: date
) -> list[str]:
    """The asset's checks whose latest evaluation for the date failed with ERROR severity."""
    return [
        name
        for name, evaluation in latest_evaluations(instance, key, names, day).items()
        if not evaluation.passed and evaluation.severity == ERROR
    ]

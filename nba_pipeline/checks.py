"""Asset-check plumbing shared by every phase: names, specs, and per-partition results.

A single-run backfill materializes many dates in one step, but a check must still say which date
failed. A single-date run records one evaluation for its partition. A range run records an
evaluation for each date that failed (visible on that partition in the UI) and one run-level result
that fails when any date failed (the blocking one); passing dates are counted in that result's
metadata rather than written one by one, because every stored event costs ~10 ms on a SQLite
instance and a season of per-date passes would double a backfill's bookkeeping (playbook §13).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date

import dagster as dg

from nba_pipeline.partitions import GAME_DATE_PARTITIONS

ROWS_WRITTEN = "rows_written"  # a zero-row write where games were expected fails (DOMAIN §8 items 1, 13)

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def check_spec(
    key: dg.AssetKey, name: str, description: str, severity: dg.AssetCheckSeverity = ERROR
) -> dg.AssetCheckSpec:
    """A per-partition check; only ERROR checks block downstream assets (playbook §2)."""
    return dg.AssetCheckSpec(
        name,
        asset=key,
        description=description,
        blocking=severity == ERROR,
        partitions_def=GAME_DATE_PARTITIONS,
        metadata={"severity": severity.value},
    )


def emit_check(
    context: dg.AssetExecutionContext,
    key: dg.AssetKey,
    name: str,
    per_date: Mapping[date, tuple[bool, dict]],
    severity: dg.AssetCheckSeverity = ERROR,
) -> Iterator[dg.AssetCheckEvaluation | dg.AssetCheckResult]:
    failed = sorted(d for d, (passed, _) in per_date.items() if not passed)
    if context.has_partition_key:
        ((passed, metadata),) = per_date.values()
        yield dg.AssetCheckResult(
            asset_key=key, check_name=name, passed=passed, metadata=metadata, severity=severity
        )
        return
    for day, (passed, metadata) in sorted(per_date.items()):
        if passed:
            continue
        yield dg.AssetCheckEvaluation(
            asset_key=key,
            check_name=name,
            passed=passed,
            metadata=metadata,
            severity=severity,
            partition=day.isoformat(),
        )
    yield dg.AssetCheckResult(
        asset_key=key,
        check_name=name,
        passed=not failed,
        severity=severity,
        metadata={
            "dates": len(per_date),
            "dates_failed": len(failed),
            "failed_dates": [d.isoformat() for d in failed[:25]],
        },
    )


def check_outcomes(result) -> dict[str, dict[str, int]]:
    """{asset: {"passed": n, "failed": n}} from an execution result's run-level check evaluations."""
    outcomes: dict[str, dict[str, int]] = {}
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.partition is not None and not result.dagster_run.tags.get("dagster/partition"):
            continue  # a range run: count its run-level results, not every date's
        counts = outcomes.setdefault(evaluation.asset_key.to_user_string(), {"passed": 0, "failed": 0})
        counts["passed" if evaluation.passed else "failed"] += 1
    return outcomes

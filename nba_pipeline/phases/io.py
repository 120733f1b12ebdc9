"""What every table asset shares: its declaration for Dagster, and one write-report-check path.

Each table asset replaces the materialized dates' rows, reports rows written and games covered
against the games the schedule expects, and fails its in-asset `rows_written` check when games were
expected and zero rows were written (DOMAIN §8 items 1, 12, 13).
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import dagster as dg
import duckdb
import pandas as pd

from nba_pipeline.checks import ERROR, ROWS_WRITTEN, WARN, Verdict, check_spec, emit_check
from nba_pipeline.coverage import Coverage, Excuse, coverage_by_date
from nba_pipeline.partitions import GAME_DATE_PARTITIONS, dates_of, season_start, utc_naive
from nba_pipeline.phases import OWNERS, SINGLE_RUN
from nba_pipeline.phases.quality import (
    COMPLETE,
    COMPLETE_HELP,
    VALID,
    VALID_HELP,
    completeness_verdicts,
    validity_verdicts,
)
from nba_pipeline.phases.reconcile import Reconciliation
from nba_pipeline.resources.warehouse import Table, Warehouse
from nba_pipeline.tags import DECISION, DEGRADED, DEGRADED_INPUTS

# Warehouse hiccups (a locked file, a dropped connection) are worth a retry; anything else — a bug,
# data that breaks a rule — fails the same way every time, so it fails at once (DOMAIN §8 item 9).
TRANSIENT_ERRORS = (OSError, TimeoutError, ConnectionError, duckdb.IOException)
WAREHOUSE_RETRY = dg.RetryPolicy(
    max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


@contextmanager
def permanent_unless_transient(what: str) -> Iterator[None]:
    """Errors the retry policy must not retry become `Failure(allow_retries=False)`."""
    try:
        yield
    except (dg.Failure, *TRANSIENT_ERRORS):
        raise
    except Exception as exc:
        raise dg.Failure(f"{what}: {type(exc).__name__}: {exc}", allow_retries=False) from exc


ZERO_ROWS = "fails when the schedule expected games for the date and zero rows were written"


def schema(table: Table) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in table.columns])


def table_metadata(table: Table) -> dict:
    return {"dagster/column_schema": schema(table), "grain": ", ".join(table.key)}


def table_spec(table: Table, group: str, deps: Sequence) -> dg.AssetSpec:
    return dg.AssetSpec(
        table.asset_key,
        deps=deps,
        group_name=group,
        description=table.description,
        kinds={"duckdb", "pandas"},
        owners=OWNERS,
        metadata=table_metadata(table),
    )


def table_checks(table: Table, severity: dg.AssetCheckSeverity = ERROR) -> list[dg.AssetCheckSpec]:
    """Every table's checks: no zero-row write, complete enough for the run's mode, valid rows."""
    return [
        check_spec(table.asset_key, ROWS_WRITTEN, ZERO_ROWS, severity),
        check_spec(table.asset_key, COMPLETE, COMPLETE_HELP),
        check_spec(table.asset_key, VALID, VALID_HELP),
    ]


def table_asset(
    table: Table,
    group: str,
    deps: Sequence,
    severity: dg.AssetCheckSeverity = ERROR,
    more_checks: Sequence[dg.AssetCheckSpec] = (),
    **extra,
) -> dict:
    """Keyword arguments of `@dg.asset` for a daily table asset."""
    return dict(
        key=table.asset_key,
        group_name=group,
        deps=deps,
        partitions_def=GAME_DATE_PARTITIONS,
        backfill_policy=SINGLE_RUN,
        description=table.description,
        kinds={"duckdb", "pandas"},
        owners=OWNERS,
        check_specs=[*table_checks(table, severity), *more_checks],
        metadata=table_metadata(table),
        **extra,
    )


def in_days(frame: pd.DataFrame, days: Sequence[date]) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[pd.to_datetime(frame["game_date"]).dt.date.isin(set(days))]


def stamped(table: Table, frame: pd.DataFrame, days: Sequence[date], now: datetime) -> pd.DataFrame:
    """The range's rows with the table's columns, stamped with `loaded_at` from the injected clock."""
    columns = [c for c in table.column_names if c != "loaded_at"]
    return in_days(frame.reindex(columns=columns), days).assign(loaded_at=utc_naive(now))


def run_decision(context: dg.AssetExecutionContext) -> dict:
    """The readiness decision that let this run start (gated runs), for the materialization's metadata."""
    tags = context.run.tags
    if DECISION not in tags:
        return {}
    degraded = {"degraded_inputs": tags.get(DEGRADED_INPUTS, "")} if tags.get(DEGRADED) == "true" else {}
    return {"decision": tags[DECISION], **degraded}


def write_and_check(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    table: Table,
    frame: pd.DataFrame,
    days: list[date],
    schedule: pd.DataFrame,
    now: datetime,
    expected: bool = True,
    severity: dg.AssetCheckSeverity = ERROR,
    extra: dict | None = None,
    excuses: Mapping[date, Excuse] | None = None,
) -> Iterator:
    """Replace the dates' rows, then report and check them.

    `expected=False` (a feed the source does not provide, or one switched off) reports coverage but
    never fails for missing rows. `excuses` names dates whose missing games have a known cause (no
    history to build from yet): they still fail, as WARN with the reason, instead of blocking.
    """
    excuses = excuses or {}
    coverage = coverage_by_date(table.name, frame, schedule, days, now)
    written = warehouse.replace_dates(table, frame, days[0], days[-1])
    wanted = sum(c.expected for c in coverage.values()) if expected else 0
    found = sum(c.found for c in coverage.values())
    yield dg.MaterializeResult(
        asset_key=table.asset_key,
        metadata={
            "dagster/row_count": written,
            "games_expected": wanted,
            "games_covered": found,
            "completeness": round(min(found, wanted) / wanted, 4) if wanted else 1.0,
            "dates": len(days),
            **run_decision(context),
            **(extra or {}),
        },
    )

    def verdict(c: Coverage) -> Verdict:
        want = c.expected if expected else 0
        passed = not (want > 0 and c.rows == 0)
        metadata = {
            "games_expected": want,
            "games_covered": c.found,
            "rows": c.rows,
            "completeness": round(c.completeness, 4) if want else 1.0,
        }
        if not passed and c.excused_by(excuses.get(c.day)):
            return Verdict(False, metadata | {"reason": excuses[c.day].reason}, WARN)
        return Verdict(passed, metadata)

    yield from emit_check(
        context, table.asset_key, ROWS_WRITTEN, {d: verdict(c) for d, c in coverage.items()}, severity
    )
    yield from emit_check(
        context,
        table.asset_key,
        COMPLETE,
        completeness_verdicts(context, table, coverage, expected, now, excuses),
    )
    yield from emit_check(context, table.asset_key, VALID, validity_verdicts(table, frame, days))


# Tables built from earlier dates' games show the previous day's partition in their lineage.
HISTORY = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)


def history_dep(table: Table) -> dg.AssetDep:
    return dg.AssetDep(table.asset_key, partition_mapping=HISTORY)


def history_start(first_day: date) -> date:
    """How far back history is read for a range starting at `first_day`: a year, and at least the
    whole season (recent-form windows may reach back across the off-season)."""
    return min(first_day - timedelta(days=365), season_start(first_day))


def derived_table_asset(
    table: Table,
    group: str,
    deps: Sequence,
    inputs: Sequence[Table],
    build: Callable[..., pd.DataFrame],
    history: Sequence[Table] = (),
    excuse: Callable[..., dict[date, Excuse]] | None = None,
    with_capabilities: bool = False,
    reconcile: Sequence[Reconciliation] = (),
    history_from: Callable[[date], date] = history_start,
) -> dg.AssetsDefinition:
    """A table computed from other tables: read `inputs` for the materialized dates and `history` for
    the dates before them (one query each per run), `build(*inputs, *history[, capabilities])`, then
    write, report and check. `excuse(schedule, *inputs, *history)` names dates whose missing games
    have a known cause; each of `reconcile` checks the output against the inputs. History is read
    from `history_from(first date)`."""
    from nba_pipeline.phases.raw.tables import SCHEDULE
    from nba_pipeline.resources.clock import ClockResource
    from nba_pipeline.resources.source import SourceResource
    from nba_pipeline.resources.warehouse import WarehouseResource, read_dates

    specs = [check_spec(table.asset_key, r.name, r.description) for r in reconcile]

    @dg.asset(**table_asset(table, group, deps, more_checks=specs, retry_policy=WAREHOUSE_RETRY))
    def _asset(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        clock: ClockResource,
        source: SourceResource,
    ):
        wh, now, days = warehouse.get(), clock.now(), dates_of(context)
        with permanent_unless_transient(table.name), wh.session():  # one connection for reads and write
            frames = [read_dates(wh, t, days[0], days[-1]) for t in inputs]
            before = [read_dates(wh, t, history_from(days[0]), days[-1] - timedelta(days=1)) for t in history]
            extra = (source.capabilities(),) if with_capabilities else ()
            frame = stamped(table, build(*frames, *before, *extra), days, now)
            schedule = read_dates(wh, SCHEDULE, days[0], days[-1])
            excuses = excuse(schedule, *frames, *before) if excuse else {}
            yield from write_and_check(context, wh, table, frame, days, schedule, now, excuses=excuses)
        for r in reconcile:
            yield from emit_check(context, table.asset_key, r.name, r.verdicts(frame, *frames, days=days))

    return _asset

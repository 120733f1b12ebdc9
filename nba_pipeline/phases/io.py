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
from nba_pipeline.coverage import UNKNOWN, Coverage, Excuse, coverage_by_date
from nba_pipeline.partitions import GAME_DATE_PARTITIONS, dates_of, season_start, utc_naive
from nba_pipeline.phases import OWNERS, PHASE_OF_GROUP, SINGLE_RUN
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
        pool=table.write_pool,  # BigQuery: at most 2 concurrent writers per table (deploy/dagster.yaml)
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


def replace_spans(warehouse: Warehouse, table: Table, frame: pd.DataFrame, days: Sequence[date]) -> int:
    """Replace the rows of exactly `days` (consecutive dates together): a failed date in between keeps
    its old rows."""
    written = 0
    for first, last in spans_of(days):
        written += warehouse.replace_dates(table, in_range(frame, first, last), first, last)
    return written


def spans_of(days: Sequence[date]) -> list[tuple[date, date]]:
    spans: list[tuple[date, date]] = []
    for day in sorted(days):
        if spans and day == spans[-1][1] + timedelta(days=1):
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def in_range(frame: pd.DataFrame, first: date, last: date) -> pd.DataFrame:
    if frame.empty:
        return frame
    day = pd.to_datetime(frame["game_date"]).dt.date
    return frame[(day >= first) & (day <= last)]


def materialized(
    context: dg.AssetExecutionContext,
    key: dg.AssetKey,
    days: Sequence[date],
    per_date: Mapping[date, dict],
    summary: dict,
    partial: bool,
) -> Iterator[dg.MaterializeResult | dg.AssetMaterialization]:
    """The asset's materialization, with each date's own numbers on its partition. When some dates of
    the run failed (`partial`), only the dates that were built are recorded, one event each; the step
    then fails, which marks the other dates failed (Dagster cannot record a subset otherwise)."""
    if partial:  # yielded, not logged: a logged event would be lost when the step then fails
        for day in days:
            yield dg.AssetMaterialization(
                key, partition=day.isoformat(), metadata={**summary, **per_date[day]}
            )
        return
    if not context.has_partition_key:
        for day in days:
            context.add_asset_metadata(per_date[day], asset_key=key, partition_key=day.isoformat())
    yield dg.MaterializeResult(
        asset_key=key, metadata=summary if not context.has_partition_key else {**summary, **per_date[days[0]]}
    )


def fail_dates(
    failed: Mapping[date, str], of: int, single: bool, transient: bool = False, what: str = ""
) -> None:
    """End the step for the dates that failed, each with its error; the rest have been recorded."""
    if not failed:
        return
    errors = "; ".join(f"{d}: {why}" for d, why in sorted(failed.items()))
    raise dg.Failure(
        (f"{what} for {errors}" if what else errors)
        if single
        else f"{what + ': ' if what else ''}{len(failed)} of {of} dates failed — {errors}",
        metadata={
            "failed_dates": dg.MetadataValue.json({d.isoformat(): why for d, why in sorted(failed.items())})
        },
        allow_retries=single and transient,  # a range is re-run for its failed dates by whoever launched it
    )


def build_by_date(
    build: Callable[[list[date]], pd.DataFrame], days: list[date]
) -> tuple[pd.DataFrame, dict[date, str]]:
    """Build the range vectorized; if that fails, build each date on its own so that one bad date
    fails alone (DOMAIN §8 item 20). Transient errors are not a date's fault: they propagate."""
    try:
        return build(days), {}
    except TRANSIENT_ERRORS:
        raise
    except Exception:
        if len(days) == 1:
            raise
        frames, failed = [], {}
        for day in days:
            try:
                frames.append(build([day]))
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:  # noqa: BLE001 - recorded as this date's failure
                failed[day] = f"{type(exc).__name__}: {exc}"[:300]
        if not failed:
            raise  # no single date explains it: the range fails as a whole
        return pd.concat([f for f in frames if not f.empty], ignore_index=True) if frames else frames[
            0:0
        ], failed


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
    failed: Mapping[date, str] | None = None,
    unknown: set[date] = frozenset(),
) -> Iterator:
    """Replace the dates' rows, then report and check them, each date on its own partition.

    `expected=False` (a feed the source does not provide, or one switched off) reports coverage but
    never fails for missing rows. `excuses` names dates whose missing games have a known cause (no
    history to build from yet): they still fail, as WARN with the reason, instead of blocking.
    `failed` names dates that could not be built: they are neither written nor recorded (the caller
    fails the step for them once every output is out, with `fail_dates`). `unknown` names dates whose
    schedule was never loaded: their rows are written, and their `rows_written` and `complete`
    checks fail with that reason — "0 of 0" is never a pass (DOMAIN §2).
    """
    excuses, failed = excuses or {}, failed or {}
    good = [d for d in days if d not in failed]
    coverage = coverage_by_date(table.name, frame, schedule, good, now)
    written = replace_spans(warehouse, table, in_days(frame, good), good)
    rows_by_day = _rows_by_day(frame)
    wanted = sum(c.expected for c in coverage.values()) if expected else 0
    found = sum(c.found for c in coverage.values())
    per_date = {
        d: {
            "dagster/row_count": int(rows_by_day.get(d, 0)),
            "games_expected": c.expected if expected else 0,
            "games_covered": c.found,
            "completeness": round(min(c.found, c.expected) / c.expected, 4)
            if expected and c.expected
            else 1.0,
        }
        for d, c in coverage.items()
    }
    summary = {
        "dagster/row_count": written,
        "games_expected": wanted,
        "games_covered": found,
        "completeness": round(min(found, wanted) / wanted, 4) if wanted else 1.0,
        "dates": len(good),
        **({"dates_failed": len(failed)} if failed else {}),
        **run_decision(context),
        **(extra or {}),
    }
    yield from materialized(context, table.asset_key, good, per_date, summary, partial=bool(failed))

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

    not_measurable = {
        d: Verdict(False, {"reason": UNKNOWN, "rows": per_date[d]["dagster/row_count"]}, severity)
        for d in unknown
        if d in per_date
    }
    rows_verdicts = {d: verdict(c) for d, c in coverage.items()} | not_measurable
    yield from emit_check(context, table.asset_key, ROWS_WRITTEN, rows_verdicts, severity)
    yield from emit_check(
        context,
        table.asset_key,
        COMPLETE,
        completeness_verdicts(context, table, coverage, expected, now, excuses) | not_measurable,
    )
    yield from emit_check(
        context, table.asset_key, VALID, validity_verdicts(table, in_days(frame, good), good)
    )


def _rows_by_day(frame: pd.DataFrame) -> dict[date, int]:
    if frame.empty:
        return {}
    return pd.to_datetime(frame["game_date"]).dt.date.value_counts().to_dict()


# Tables built from earlier dates' games depend on them on the same date in the asset graph, not the
# day before: the history is read from the dates before D, but a Dagster backfill (the UI's
# Materialize) derives a non-root asset's dates from its parents through the partition mapping, and
# a one-day-back mapping made it build the upcoming contexts for the day after each date asked for.
# The same-date dependency also keeps the order a range run needs: the summaries first.
def history_dep(table: Table) -> dg.AssetDep:
    return dg.AssetDep(table.asset_key)


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
    from nba_pipeline.resources.coordination import CoordinationResource
    from nba_pipeline.resources.source import SourceResource
    from nba_pipeline.resources.warehouse import WarehouseResource, read_dates

    specs = [check_spec(table.asset_key, r.name, r.description) for r in reconcile]

    phase = PHASE_OF_GROUP[group]

    @dg.asset(**table_asset(table, group, deps, more_checks=specs, retry_policy=WAREHOUSE_RETRY))
    def _asset(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        clock: ClockResource,
        source: SourceResource,
        coordination: CoordinationResource,
    ):
        admitted(context, phase, clock, warehouse, source, coordination)
        wh, now, days = warehouse.get(), clock.now(), dates_of(context)
        with permanent_unless_transient(table.name), wh.session():  # one connection for reads and write
            frames = [read_dates(wh, t, days[0], days[-1]) for t in inputs]
            before = [read_dates(wh, t, history_from(days[0]), days[-1] - timedelta(days=1)) for t in history]
            extra = (source.capabilities(),) if with_capabilities else ()

            def build_days(ds: list[date]) -> pd.DataFrame:
                mine = [in_days(f, ds) for f in frames] if ds != days else frames
                past = [_before(f, min(ds)) for f in before] if ds != days else before
                return build(*mine, *past, *extra)

            built, failed = build_by_date(build_days, days)
            frame = stamped(table, built, days, now)
            schedule = read_dates(wh, SCHEDULE, days[0], days[-1])
            excuses = excuse(schedule, *frames, *before) if excuse else {}
            yield from write_and_check(
                context, wh, table, frame, days, schedule, now, excuses=excuses, failed=failed
            )
        good = [d for d in days if d not in failed]
        for r in reconcile:
            verdicts = r.verdicts(in_days(frame, good), *[in_days(f, good) for f in frames], days=good)
            yield from emit_check(context, table.asset_key, r.name, verdicts)
        fail_dates(failed, len(days), context.has_partition_key)

    return _asset


def _before(frame: pd.DataFrame, day: date) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[pd.to_datetime(frame["game_date"]).dt.date < day]


def admitted(context, phase: int, clock, warehouse, source, coordination, model: bool = False):
    """The run's admission for this gated asset: every date it may build, or the step fails with why
    (orchestration.admission)."""
    from functools import partial

    from nba_pipeline.automation.triggering import trigger_context
    from nba_pipeline.orchestration.admission import admit

    admission = admit(
        context, phase, partial(trigger_context, context, clock, warehouse, source, coordination), model
    )
    admission.require_all()
    return admission

"""Phase 2: parse landed payloads into `nba_raw` tables, replacing the materialized dates' rows.

Each asset reports rows written and games covered against the games the schedule expects (box
scores only for games final by the clock), and fails its in-asset `rows_written` check when games
were expected and zero rows were written.
"""

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime

import dagster as dg
import pandas as pd

from nba_pipeline.checks import ERROR, ROWS_WRITTEN, WARN, check_spec, emit_check
from nba_pipeline.coverage import Coverage, coverage_by_date
from nba_pipeline.partitions import GAME_DATE_PARTITIONS, dates_of, utc_naive
from nba_pipeline.phases import OWNERS, SINGLE_RUN
from nba_pipeline.phases.raw import parsers
from nba_pipeline.phases.raw.tables import GAMEBOOK, INJURY_REPORT, PROPS, SCHEDULE, TEAM_BOXSCORE
from nba_pipeline.phases.scrape.assets import landing_key
from nba_pipeline.resources.blobs import BlobStore, BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.resources.warehouse import Table, Warehouse, WarehouseResource, read_dates

GROUP = "phase2_raw"
ZERO_ROWS = "fails when the schedule expected games for the date and zero rows were written"
# Optional feeds warn instead of blocking: one optional source never blocks the pipeline.
SEVERITY = {SCHEDULE: ERROR, GAMEBOOK: ERROR, TEAM_BOXSCORE: ERROR, INJURY_REPORT: WARN, PROPS: WARN}
FEED_OF = {
    SCHEDULE: "schedule",
    GAMEBOOK: "boxscores",
    TEAM_BOXSCORE: "boxscores",
    INJURY_REPORT: "injury_report",
    PROPS: "prop_lines",
}


def _payloads(store: BlobStore, feed: str, day: date) -> list[dict]:
    return [json.loads(store.read(path)) for path in store.list(f"{feed}/{day.isoformat()}")]


def _parse(store: BlobStore, feed: str, days: list[date], parse: Callable[[dict], list[dict]]) -> list[dict]:
    return [row for day in days for payload in _payloads(store, feed, day) for row in parse(payload)]


def _in_days(frame: pd.DataFrame, days: list[date]) -> pd.DataFrame:
    if frame.empty:
        return frame
    return frame[pd.to_datetime(frame["game_date"]).dt.date.isin(set(days))]


def _schema(table: Table) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in table.columns])


def _spec(table: Table, deps: list[dg.AssetKey]) -> dg.AssetSpec:
    return dg.AssetSpec(
        table.asset_key,
        deps=deps,
        group_name=GROUP,
        description=table.description,
        kinds={"duckdb", "pandas"},
        owners=OWNERS,
        metadata={"dagster/column_schema": _schema(table), "grain": ", ".join(table.key)},
    )


def _write(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    table: Table,
    frame: pd.DataFrame,
    days: list[date],
    coverage: dict[date, Coverage],
    expected_feed: bool,
    extra: dict | None = None,
) -> Iterator:
    """Replace the dates' rows, then report and check them (one code path for every raw table)."""
    written = warehouse.replace_dates(table, frame, days[0], days[-1])
    expected = sum(c.expected for c in coverage.values()) if expected_feed else 0
    found = sum(c.found for c in coverage.values())
    metadata = {
        "dagster/row_count": written,
        "games_expected": expected,
        "games_covered": found,
        "completeness": round(found / expected, 4) if expected else 1.0,
        "dates": len(days),
        **(extra or {}),
    }
    yield dg.MaterializeResult(asset_key=table.asset_key, metadata=metadata)

    def verdict(c: Coverage) -> tuple[bool, dict]:
        wanted = c.expected if expected_feed else 0
        return not (wanted > 0 and c.rows == 0), {
            "games_expected": wanted,
            "games_covered": c.found,
            "rows": c.rows,
            "completeness": round(c.completeness, 4) if wanted else 1.0,
        }

    yield from emit_check(
        context, table.asset_key, ROWS_WRITTEN, {d: verdict(c) for d, c in coverage.items()}, SEVERITY[table]
    )


def _stamp(table: Table, rows: list[dict], days: list[date], now: datetime) -> pd.DataFrame:
    """The range's rows as a frame, stamped with `loaded_at` from the injected clock (naive UTC)."""
    return _in_days(parsers.frame(table, rows), days).assign(loaded_at=utc_naive(now))


def _checks(table: Table) -> list[dg.AssetCheckSpec]:
    return [check_spec(table.asset_key, ROWS_WRITTEN, ZERO_ROWS, SEVERITY[table])]


def _asset_kwargs(table: Table) -> dict:
    return dict(
        key=table.asset_key,
        group_name=GROUP,
        partitions_def=GAME_DATE_PARTITIONS,
        backfill_policy=SINGLE_RUN,
        description=table.description,
        kinds={"duckdb", "pandas"},
        owners=OWNERS,
        check_specs=_checks(table),
        metadata={"dagster/column_schema": _schema(table), "grain": ", ".join(table.key)},
    )


@dg.asset(deps=[landing_key("schedule")], **_asset_kwargs(SCHEDULE))
def nbac_schedule(
    context: dg.AssetExecutionContext,
    landing: BlobStoreResource,
    warehouse: WarehouseResource,
    clock: ClockResource,
):
    store, wh, now, days = landing.get(), warehouse.get(), clock.now(), dates_of(context)
    landed = {day for day in days if store.list(f"schedule/{day.isoformat()}")}
    frame = _stamp(SCHEDULE, _parse(store, "schedule", days, parsers.parse_schedule), days, now)
    written = wh.replace_dates(SCHEDULE, frame, days[0], days[-1])
    counts = frame.groupby(pd.to_datetime(frame["game_date"]).dt.date).size() if not frame.empty else {}
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": written,
            "games_scheduled": written,
            "dates": len(days),
            "dates_without_payload": len(days) - len(landed),
        }
    )
    # The schedule defines what is expected; its own failure is a date with no schedule payload at all.
    per_date = {
        day: (day in landed, {"payload_landed": day in landed, "games": int(counts.get(day, 0))})
        for day in days
    }
    yield from emit_check(context, SCHEDULE.asset_key, ROWS_WRITTEN, per_date, ERROR)


@dg.multi_asset(
    name="boxscore_tables",
    specs=[
        _spec(GAMEBOOK, [landing_key("boxscores"), SCHEDULE.asset_key]),
        _spec(TEAM_BOXSCORE, [landing_key("boxscores"), SCHEDULE.asset_key]),
    ],
    check_specs=_checks(GAMEBOOK) + _checks(TEAM_BOXSCORE),
    partitions_def=GAME_DATE_PARTITIONS,
    backfill_policy=SINGLE_RUN,
)
def boxscore_tables(
    context: dg.AssetExecutionContext,
    landing: BlobStoreResource,
    warehouse: WarehouseResource,
    clock: ClockResource,
    source: SourceResource,
):
    """The gamebook (every listed player) and team box scores, from the same box-score payloads."""
    store, wh, now, days = landing.get(), warehouse.get(), clock.now(), dates_of(context)
    gamebook = _stamp(GAMEBOOK, _parse(store, "boxscores", days, parsers.parse_boxscore), days, now)
    teams = _stamp(TEAM_BOXSCORE, parsers.team_boxscores(gamebook).to_dict("records"), days, now)
    schedule = read_dates(wh, SCHEDULE, days[0], days[-1])
    expected = "boxscores" in source.active_feeds()
    for table, frame in ((GAMEBOOK, gamebook), (TEAM_BOXSCORE, teams)):
        coverage = coverage_by_date(table.name, frame, schedule, days, now)
        yield from _write(context, wh, table, frame, days, coverage, expected)


def _feed_asset(table: Table, parse: Callable[[dict], list[dict]]) -> dg.AssetsDefinition:
    feed = FEED_OF[table]

    @dg.asset(deps=[landing_key(feed), SCHEDULE.asset_key], **_asset_kwargs(table))
    def _raw(
        context: dg.AssetExecutionContext,
        landing: BlobStoreResource,
        warehouse: WarehouseResource,
        clock: ClockResource,
        source: SourceResource,
    ):
        store, wh, now, days = landing.get(), warehouse.get(), clock.now(), dates_of(context)
        frame = _stamp(table, _parse(store, feed, days, parse), days, now)
        schedule = read_dates(wh, SCHEDULE, days[0], days[-1])
        coverage = coverage_by_date(table.name, frame, schedule, days, now)
        active = feed in source.active_feeds()
        yield from _write(
            context,
            wh,
            table,
            frame,
            days,
            coverage,
            active,
            {"feed": "expected" if active else "not expected (not provided or switched off)"},
        )

    return _raw


nbac_injury_report = _feed_asset(INJURY_REPORT, parsers.parse_injury_report)
odds_api_player_points_props = _feed_asset(PROPS, parsers.parse_odds_event)

RAW_ASSETS = [nbac_schedule, boxscore_tables, nbac_injury_report, odds_api_player_points_props]

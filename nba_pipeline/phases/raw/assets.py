"""Phase 2: parse landed payloads into `nba_raw` tables, replacing the materialized dates' rows."""

import json
from collections.abc import Callable
from datetime import date

import dagster as dg
import pandas as pd

from nba_pipeline.checks import ERROR, ROWS_WRITTEN, WARN, Verdict, check_spec, emit_check
from nba_pipeline.coverage import schedule_known
from nba_pipeline.partitions import GAME_DATE_PARTITIONS, dates_of
from nba_pipeline.phases import SINGLE_RUN
from nba_pipeline.phases.io import (
    fail_dates,
    materialized,
    replace_spans,
    stamped,
    table_asset,
    table_checks,
    table_spec,
    write_and_check,
)
from nba_pipeline.phases.quality import COMPLETE, VALID, validity_verdicts
from nba_pipeline.phases.raw import parsers
from nba_pipeline.phases.raw.tables import GAMEBOOK, INJURY_REPORT, PROPS, SCHEDULE, TEAM_BOXSCORE
from nba_pipeline.phases.reconcile import POINTS_MATCH_HELP, POINTS_MATCH_SCHEDULE, points_match_schedule
from nba_pipeline.phases.scrape.assets import landing_key
from nba_pipeline.resources.blobs import BlobStore, BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.resources.warehouse import Table, WarehouseResource, read_dates

GROUP = "phase2_raw"


def _parse(
    store: BlobStore, feed: str, days: list[date], parse: Callable[[dict], list[dict]], table: Table
) -> tuple[pd.DataFrame, dict[date, str]]:
    """Rows of every payload landed for the dates, and the dates that failed: a payload that does not
    parse fails its date (with the error), alone — the other dates' rows are kept (DOMAIN §8 item 20)."""
    rows, failed = [], {}
    for day in days:
        mine = []
        for path in store.list(f"{feed}/{day.isoformat()}"):
            try:
                mine += parse(json.loads(store.read(path)))
            except (ValueError, KeyError, TypeError, StopIteration, AttributeError) as exc:
                failed[day] = f"{path.rsplit('/', 1)[-1]} does not parse: {type(exc).__name__}: {exc}"[:300]
                break
        if day not in failed:
            rows += mine
    return parsers.frame(table, rows), failed


def _single_date_failure(context: dg.AssetExecutionContext, failed: dict[date, str]) -> None:
    """A one-date run whose payload does not parse fails before writing anything."""
    if context.has_partition_key and failed:
        raise dg.Failure(next(iter(failed.values())), allow_retries=False)


@dg.asset(**table_asset(SCHEDULE, GROUP, [landing_key("schedule")]))
def nbac_schedule(
    context: dg.AssetExecutionContext,
    landing: BlobStoreResource,
    warehouse: WarehouseResource,
    clock: ClockResource,
    coordination: CoordinationResource,  # keeps the run's heartbeat going
):
    store, wh, now, all_days = landing.get(), warehouse.get(), clock.now(), dates_of(context)
    landed = {day for day in all_days if store.list(f"schedule/{day.isoformat()}")}
    parsed, failed = _parse(store, "schedule", all_days, parsers.parse_schedule, SCHEDULE)
    # A date whose schedule was never fetched is unknown, not a day without games (DOMAIN §2): it fails
    # rather than being recorded as loaded with nothing on it.
    failed |= {
        d: "no schedule payload has landed for this date (phase 1 has not fetched it)"
        for d in all_days
        if d not in landed and d not in failed
    }
    _single_date_failure(context, failed)
    days = [d for d in all_days if d not in failed]
    frame = stamped(SCHEDULE, parsed, days, now)
    written = replace_spans(wh, SCHEDULE, frame, days)
    counts = frame.groupby(pd.to_datetime(frame["game_date"]).dt.date).size() if not frame.empty else {}
    per_date = {
        d: {
            "dagster/row_count": int(counts.get(d, 0)),
            "games_scheduled": int(counts.get(d, 0)),
            "schedule_fetched": d in landed,
        }
        for d in days
    }
    summary = {
        "dagster/row_count": written,
        "games_scheduled": written,
        "dates": len(days),
        "dates_without_payload": len([d for d in days if d not in landed]),
    }
    yield from materialized(context, SCHEDULE.asset_key, days, per_date, summary, partial=bool(failed))
    # The schedule defines what is expected: a date whose payload landed and parsed is complete, also
    # with no games (an off day); a date without one has failed above and has no result here.
    verdicts = {
        day: Verdict(True, {"payload_landed": True, "games": int(counts.get(day, 0))}) for day in days
    }
    yield from emit_check(context, SCHEDULE.asset_key, ROWS_WRITTEN, verdicts, ERROR)
    yield from emit_check(context, SCHEDULE.asset_key, COMPLETE, verdicts, ERROR)
    yield from emit_check(context, SCHEDULE.asset_key, VALID, validity_verdicts(SCHEDULE, frame, days))
    fail_dates(failed, len(all_days), context.has_partition_key)


@dg.multi_asset(
    name="boxscore_tables",
    specs=[
        table_spec(t, GROUP, [landing_key("boxscores"), SCHEDULE.asset_key])
        for t in (GAMEBOOK, TEAM_BOXSCORE)
    ],
    check_specs=[
        *table_checks(GAMEBOOK),
        *table_checks(TEAM_BOXSCORE),
        check_spec(TEAM_BOXSCORE.asset_key, POINTS_MATCH_SCHEDULE, POINTS_MATCH_HELP),
    ],
    partitions_def=GAME_DATE_PARTITIONS,
    backfill_policy=SINGLE_RUN,
    pool=GAMEBOOK.write_pool,  # the only writer of both tables: one pool stands for the pair
)
def boxscore_tables(
    context: dg.AssetExecutionContext,
    landing: BlobStoreResource,
    warehouse: WarehouseResource,
    clock: ClockResource,
    source: SourceResource,
    coordination: CoordinationResource,  # keeps the run's heartbeat going
):
    """The gamebook (every listed player) and team box scores, from the same box-score payloads."""
    store, wh, now, days = landing.get(), warehouse.get(), clock.now(), dates_of(context)
    parsed, failed = _parse(store, "boxscores", days, parsers.parse_boxscore, GAMEBOOK)
    _single_date_failure(context, failed)
    gamebook = stamped(GAMEBOOK, parsed, days, now)
    teams = stamped(TEAM_BOXSCORE, parsers.team_boxscores(gamebook), days, now)
    schedule = read_dates(wh, SCHEDULE, days[0], days[-1])
    unknown = set(days) - schedule_known(context.instance, schedule, days)
    expected = "boxscores" in source.active_feeds()
    for table, frame in ((GAMEBOOK, gamebook), (TEAM_BOXSCORE, teams)):
        yield from write_and_check(
            context, wh, table, frame, days, schedule, now, expected, failed=failed, unknown=unknown
        )
    good = [d for d in days if d not in failed]
    verdicts = points_match_schedule(teams, schedule, good)
    yield from emit_check(context, TEAM_BOXSCORE.asset_key, POINTS_MATCH_SCHEDULE, verdicts)
    fail_dates(failed, len(days), context.has_partition_key)


def _feed_asset(table: Table, feed: str, parse: Callable[[dict], list[dict]]) -> dg.AssetsDefinition:
    # Optional feeds warn instead of blocking: one optional source never blocks the pipeline.
    @dg.asset(**table_asset(table, GROUP, [landing_key(feed), SCHEDULE.asset_key], WARN))
    def _raw(
        context: dg.AssetExecutionContext,
        landing: BlobStoreResource,
        warehouse: WarehouseResource,
        clock: ClockResource,
        source: SourceResource,
        coordination: CoordinationResource,  # keeps the run's heartbeat going
    ):
        store, wh, now, days = landing.get(), warehouse.get(), clock.now(), dates_of(context)
        parsed, failed = _parse(store, feed, days, parse, table)
        _single_date_failure(context, failed)
        frame = stamped(table, parsed, days, now)
        schedule = read_dates(wh, SCHEDULE, days[0], days[-1])
        unknown = set(days) - schedule_known(context.instance, schedule, days)
        active = feed in source.active_feeds()
        note = {
            "feed": "expected" if active else "not expected (not provided by the source, or switched off)"
        }
        yield from write_and_check(
            context, wh, table, frame, days, schedule, now, active, WARN, note, failed=failed, unknown=unknown
        )
        fail_dates(failed, len(days), context.has_partition_key)

    return _raw


nbac_injury_report = _feed_asset(INJURY_REPORT, "injury_report", parsers.parse_injury_report)
odds_api_player_points_props = _feed_asset(PROPS, "prop_lines", parsers.parse_odds_event)

RAW_ASSETS = [nbac_schedule, boxscore_tables, nbac_injury_report, odds_api_player_points_props]

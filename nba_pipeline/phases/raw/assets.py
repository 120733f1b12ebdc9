"""Phase 2: parse landed payloads into `nba_raw` tables, replacing the materialized dates' rows."""

import json
from collections.abc import Callable
from datetime import date

import dagster as dg
import pandas as pd

from nba_pipeline.checks import ERROR, ROWS_WRITTEN, WARN, Verdict, check_spec, emit_check
from nba_pipeline.partitions import GAME_DATE_PARTITIONS, dates_of
from nba_pipeline.phases import SINGLE_RUN
from nba_pipeline.phases.io import stamped, table_asset, table_checks, table_spec, write_and_check
from nba_pipeline.phases.quality import COMPLETE, VALID, validity_verdicts
from nba_pipeline.phases.raw import parsers
from nba_pipeline.phases.raw.tables import GAMEBOOK, INJURY_REPORT, PROPS, SCHEDULE, TEAM_BOXSCORE
from nba_pipeline.phases.reconcile import POINTS_MATCH_HELP, POINTS_MATCH_SCHEDULE, points_match_schedule
from nba_pipeline.phases.scrape.assets import landing_key
from nba_pipeline.resources.blobs import BlobStore, BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.resources.warehouse import Table, WarehouseResource, read_dates

GROUP = "phase2_raw"


def _parse(
    store: BlobStore, feed: str, days: list[date], parse: Callable[[dict], list[dict]], table: Table
) -> tuple[pd.DataFrame, dict]:
    """Rows of every payload landed for the dates. A payload that does not parse is skipped and
    reported (its game then shows as not covered), never allowed to sink the whole batch."""
    rows, unparsed = [], {}
    for day in days:
        for path in store.list(f"{feed}/{day.isoformat()}"):
            try:
                rows += parse(json.loads(store.read(path)))
            except (ValueError, KeyError, TypeError, StopIteration) as exc:
                unparsed[path] = f"{type(exc).__name__}: {exc}"[:200]
    report = {"unparsed_payloads": len(unparsed)} | (
        {"unparsed": dg.MetadataValue.json(dict(list(unparsed.items())[:10]))} if unparsed else {}
    )
    return parsers.frame(table, rows), report


@dg.asset(**table_asset(SCHEDULE, GROUP, [landing_key("schedule")]))
def nbac_schedule(
    context: dg.AssetExecutionContext,
    landing: BlobStoreResource,
    warehouse: WarehouseResource,
    clock: ClockResource,
):
    store, wh, now, days = landing.get(), warehouse.get(), clock.now(), dates_of(context)
    landed = {day for day in days if store.list(f"schedule/{day.isoformat()}")}
    parsed, report = _parse(store, "schedule", days, parsers.parse_schedule, SCHEDULE)
    frame = stamped(SCHEDULE, parsed, days, now)
    written = wh.replace_dates(SCHEDULE, frame, days[0], days[-1])
    counts = frame.groupby(pd.to_datetime(frame["game_date"]).dt.date).size() if not frame.empty else {}
    metadata = {"dagster/row_count": written, "games_scheduled": written, "dates": len(days)}
    yield dg.MaterializeResult(
        metadata=metadata | {"dates_without_payload": len(days) - len(landed)} | report
    )
    # The schedule defines what is expected: it is complete when its payload landed (a date may have no
    # games), and its zero-row failure is a date with no schedule payload at all.
    per_date = {
        day: Verdict(day in landed, {"payload_landed": day in landed, "games": int(counts.get(day, 0))})
        for day in days
    }
    yield from emit_check(context, SCHEDULE.asset_key, ROWS_WRITTEN, per_date, ERROR)
    yield from emit_check(context, SCHEDULE.asset_key, COMPLETE, per_date, ERROR)
    yield from emit_check(context, SCHEDULE.asset_key, VALID, validity_verdicts(SCHEDULE, frame, days))


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
):
    """The gamebook (every listed player) and team box scores, from the same box-score payloads."""
    store, wh, now, days = landing.get(), warehouse.get(), clock.now(), dates_of(context)
    parsed, report = _parse(store, "boxscores", days, parsers.parse_boxscore, GAMEBOOK)
    gamebook = stamped(GAMEBOOK, parsed, days, now)
    teams = stamped(TEAM_BOXSCORE, parsers.team_boxscores(gamebook), days, now)
    schedule = read_dates(wh, SCHEDULE, days[0], days[-1])
    expected = "boxscores" in source.active_feeds()
    for table, frame in ((GAMEBOOK, gamebook), (TEAM_BOXSCORE, teams)):
        yield from write_and_check(context, wh, table, frame, days, schedule, now, expected, extra=report)
    verdicts = points_match_schedule(teams, schedule, days)
    yield from emit_check(context, TEAM_BOXSCORE.asset_key, POINTS_MATCH_SCHEDULE, verdicts)


def _feed_asset(table: Table, feed: str, parse: Callable[[dict], list[dict]]) -> dg.AssetsDefinition:
    # Optional feeds warn instead of blocking: one optional source never blocks the pipeline.
    @dg.asset(**table_asset(table, GROUP, [landing_key(feed), SCHEDULE.asset_key], WARN))
    def _raw(
        context: dg.AssetExecutionContext,
        landing: BlobStoreResource,
        warehouse: WarehouseResource,
        clock: ClockResource,
        source: SourceResource,
    ):
        store, wh, now, days = landing.get(), warehouse.get(), clock.now(), dates_of(context)
        parsed, report = _parse(store, feed, days, parse, table)
        frame = stamped(table, parsed, days, now)
        schedule = read_dates(wh, SCHEDULE, days[0], days[-1])
        active = feed in source.active_feeds()
        note = {
            "feed": "expected" if active else "not expected (not provided by the source, or switched off)"
        }
        yield from write_and_check(
            context, wh, table, frame, days, schedule, now, active, WARN, note | report
        )

    return _raw


nbac_injury_report = _feed_asset(INJURY_REPORT, "injury_report", parsers.parse_injury_report)
odds_api_player_points_props = _feed_asset(PROPS, "prop_lines", parsers.parse_odds_event)

RAW_ASSETS = [nbac_schedule, boxscore_tables, nbac_injury_report, odds_api_player_points_props]

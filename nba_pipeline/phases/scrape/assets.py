"""Phase 1: land each upstream feed's raw payloads, per game date, in the landing store."""

import dagster as dg

from nba_pipeline.observability.audit import Event, write_events
from nba_pipeline.partitions import GAME_DATE_PARTITIONS, dates_of
from nba_pipeline.phases import OWNERS, SINGLE_RUN
from nba_pipeline.phases.io import fail_dates, materialized
from nba_pipeline.phases.scrape.landing import Landed, failed_dates, land_feed, staged_load
from nba_pipeline.resources.blobs import BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.resources.warehouse import WarehouseResource
from nba_pipeline.sources import FEEDS
from nba_pipeline.tags import CORRELATION_ID, MODE

GROUP = "phase1_scrape"
# A second tier behind the client's own retries: a feed down for longer gets the step retried.
SCRAPE_RETRY = dg.RetryPolicy(
    max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

DESCRIPTIONS = {
    "schedule": "NBA.com schedule (scheduleLeagueV2 shape) for the game date: which games exist and when they tip.",
    "boxscores": "Final box scores of the date's games (liveData boxscore per game, or a LeagueGameLog per date).",
    "injury_report": "The latest official injury-report release for the date's games.",
    "prop_lines": "The Odds API player_points event odds: the opening and the latest snapshot per game.",
}


def landing_key(feed: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", feed])


def _metadata(landed: Landed, days: list, client, now) -> dict:
    errors = {d.isoformat(): line for d, line in sorted(landed.failures.items())}
    return {
        "dagster/row_count": landed.files,
        "files": landed.files,
        "bytes": landed.bytes,
        "games_covered": landed.games,
        "retries": landed.retries,
        "dates_from_the_loaders_look": landed.staged,
        "dates": len(days),
        "failed_dates": len(landed.failed),
        "source": client.name,
        "fetched_at": now.isoformat(),
        **({"errors": dg.MetadataValue.json(dict(list(errors.items())[:10]))} if errors else {}),
        **(
            {"not_tried": dg.MetadataValue.json([d.isoformat() for d in landed.skipped][:10])}
            if landed.skipped
            else {}
        ),
        **({"source_calls": dg.MetadataValue.json(landed.notes)} if landed.notes else {}),
    }


def _audit(context, warehouse: WarehouseResource, feed: str, landed: Landed, now) -> None:
    """Each failed date is an orchestration event with the line a person acts on."""
    tags = context.run.tags
    events = [
        Event(
            "source_error",
            now,
            day,
            1,
            tags.get(MODE, "manual"),
            tags.get(CORRELATION_ID, context.run.run_id),
            processor=feed,
            status="failed",
            run_id=context.run.run_id,
            details={"error": line},
        )
        for day, line in landed.failures.items()
    ]
    write_events(warehouse.get(), events, now)


def _landing_asset(feed: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=landing_key(feed),
        group_name=GROUP,
        partitions_def=GAME_DATE_PARTITIONS,
        backfill_policy=SINGLE_RUN,
        retry_policy=SCRAPE_RETRY,
        kinds={"python", "json"},
        owners=OWNERS,
        description=DESCRIPTIONS[feed],
    )
    def _land(
        context: dg.AssetExecutionContext,
        source: SourceResource,
        landing: BlobStoreResource,
        clock: ClockResource,
        warehouse: WarehouseResource,
        coordination: CoordinationResource,  # keeps the run's heartbeat going
    ):
        client, store, now = source.client(), landing.get(), clock.now()
        days = dates_of(context)
        if feed not in source.active_feeds():
            why = (
                "switched off"
                if feed in source.disabled_feeds
                else getattr(client, "unavailable", {}).get(feed, f"not provided by source {client.name}")
            )
            yield dg.MaterializeResult(
                metadata={"dagster/row_count": 0, "files": 0, "bytes": 0, "games_covered": 0, "feed": why}
            )
            return
        landed = land_feed(client, store, feed, days, now, staged_load(context.run.tags))
        failed = failed_dates(landed)
        if landed.failures:
            _audit(context, warehouse, feed, landed, now)
        for day, line in failed.items():
            context.log.info(f"{feed} for {day}: {line}")
        good = [d for d in days if d not in failed]
        summary = _metadata(landed, days, client, now) | {"dates": len(good)}
        yield from materialized(
            context, context.asset_key, good, landed.per_date, summary, partial=bool(failed)
        )
        # Only the dates that landed are recorded; the others fail, each with the upstream's words. A
        # client that retried with back-off already outlasted a blip: another tier would hammer a down
        # upstream, so only a client that does not retry itself gets the step retried (one date).
        retry = not getattr(client, "retries_itself", False)
        fail_dates(failed, len(days), context.has_partition_key, transient=retry, what=feed)

    return _land


LANDING_ASSETS = [_landing_asset(feed) for feed in FEEDS]

"""Phase 1: land each upstream feed's raw payloads, per game date, in the landing store."""

import dagster as dg

from nba_pipeline.partitions import GAME_DATE_PARTITIONS, dates_of
from nba_pipeline.phases import OWNERS, SINGLE_RUN
from nba_pipeline.phases.io import fail_dates, materialized
from nba_pipeline.phases.raw.parsers import games_in_payload
from nba_pipeline.resources.blobs import BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.sources import FEEDS, PermanentSourceError, SourceError, fetch_with_retries

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
        coordination: CoordinationResource,  # keeps the run's heartbeat going
    ):
        client, store, now = source.client(), landing.get(), clock.now()
        days = dates_of(context)
        if feed not in source.active_feeds():
            why = "switched off" if feed in source.disabled_feeds else f"not provided by source {client.name}"
            yield dg.MaterializeResult(
                metadata={"dagster/row_count": 0, "files": 0, "bytes": 0, "games_covered": 0, "feed": why}
            )
            return
        per_date, failed, transient = {}, {}, False
        for day in days:
            try:
                payloads, attempts = fetch_with_retries(client, feed, day, now)
            except SourceError as exc:
                if context.has_partition_key:  # one date: the step's retry policy decides (transient)
                    if isinstance(exc, PermanentSourceError):
                        raise dg.Failure(f"{feed} for {day}: {exc}", allow_retries=False) from exc
                    raise
                failed[day] = f"{type(exc).__name__}: {exc}"[:300]  # a range: this date fails alone
                transient |= not isinstance(exc, PermanentSourceError)
                continue
            size = store.replace_folder(f"{feed}/{day.isoformat()}", {p.name: p.to_bytes() for p in payloads})
            games = len(set().union(*(games_in_payload(feed, p.body) for p in payloads))) if payloads else 0
            per_date[day] = {
                "dagster/row_count": len(payloads),
                "files": len(payloads),
                "bytes": size,
                "games_covered": games,
                "retries": attempts,
            }
        good = [d for d in days if d not in failed]
        summary = {
            "dagster/row_count": sum(m["files"] for m in per_date.values()),
            "files": sum(m["files"] for m in per_date.values()),
            "bytes": sum(m["bytes"] for m in per_date.values()),
            "games_covered": sum(m["games_covered"] for m in per_date.values()),
            "retries": sum(m["retries"] for m in per_date.values()),
            "dates": len(good),
            "source": client.name,
            "fetched_at": now.isoformat(),
        }
        yield from materialized(context, context.asset_key, good, per_date, summary, partial=bool(failed))
        fail_dates(failed, len(days), context.has_partition_key, transient)

    return _land


LANDING_ASSETS = [_landing_asset(feed) for feed in FEEDS]

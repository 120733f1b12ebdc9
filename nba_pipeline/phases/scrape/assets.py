"""Phase 1: land each upstream feed's raw payloads, per game date, in the landing store."""

import dagster as dg

from nba_pipeline.partitions import GAME_DATE_PARTITIONS, dates_of
from nba_pipeline.phases import OWNERS, SINGLE_RUN
from nba_pipeline.phases.raw.parsers import games_in_payload
from nba_pipeline.resources.blobs import BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.sources import FEEDS, PermanentSourceError, fetch_with_retries

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
    ) -> dg.MaterializeResult:
        client, store, now = source.client(), landing.get(), clock.now()
        days = dates_of(context)
        if feed not in source.active_feeds():
            why = "switched off" if feed in source.disabled_feeds else f"not provided by source {client.name}"
            return dg.MaterializeResult(
                metadata={"dagster/row_count": 0, "files": 0, "bytes": 0, "games_covered": 0, "feed": why}
            )
        files = size = games = retries = 0
        for day in days:
            try:
                payloads, attempts = fetch_with_retries(client, feed, day, now)
            except PermanentSourceError as exc:
                raise dg.Failure(f"{feed} for {day}: {exc}", allow_retries=False) from exc
            retries += attempts
            size += store.replace_folder(
                f"{feed}/{day.isoformat()}", {p.name: p.to_bytes() for p in payloads}
            )
            files += len(payloads)
            games += len(set().union(*(games_in_payload(feed, p.body) for p in payloads))) if payloads else 0
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": files,
                "files": files,
                "bytes": size,
                "games_covered": games,
                "retries": retries,
                "dates": len(days),
                "source": client.name,
                "fetched_at": now.isoformat(),
            }
        )

    return _land


LANDING_ASSETS = [_landing_asset(feed) for feed in FEEDS]

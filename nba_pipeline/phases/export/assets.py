"""Phase 6: the JSON feed (tonight, predictions, results, status) in the exports store.

The export depends on predictions passing their checks (DOMAIN §8 item 7): for each date it refuses
to export when the predictions' latest recorded checks for that date failed, or when the current
predictions do not pass the same checks again (missing for scheduled games, or invalid rows).
"""

import json
from datetime import date, timedelta

import dagster as dg
import pandas as pd

from nba_pipeline.checks import ERROR, ROWS_WRITTEN, Verdict, check_spec, emit_check, recorded_check_failures
from nba_pipeline.partitions import GAME_DATE_PARTITIONS, dates_of
from nba_pipeline.phases import OWNERS, SINGLE_RUN
from nba_pipeline.phases.analytics.tables import UPCOMING_PLAYER
from nba_pipeline.phases.export import feed
from nba_pipeline.phases.io import admitted
from nba_pipeline.phases.precompute.tables import PLAYER_COMPOSITE, PLAYER_DAILY_CACHE
from nba_pipeline.phases.predictions.tables import ACCURACY, ACCURACY_SUMMARY, PREDICTIONS
from nba_pipeline.phases.quality import COMPLETE, VALID
from nba_pipeline.phases.raw.tables import SCHEDULE
from nba_pipeline.resources.blobs import BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.platform import PlatformResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.resources.warehouse import WarehouseResource, read_dates
from nba_pipeline.validity import invalid_rows

GROUP = "phase6_export"
PREDICTION_CHECKS = (ROWS_WRITTEN, COMPLETE, VALID)  # what "predictions passing their checks" means
KEYS = {name: dg.AssetKey(["nba_export", name]) for name in feed.FILES}
PREDICTIONS_READY, SCHEMA_VALID = "predictions_ready", "schema_valid"
SEASON_WINDOW = timedelta(days=7)  # no games within a week either side: the off-season


def path_of(name: str, day: date) -> str:
    return "status.json" if name == "status" else f"{name}/{day.isoformat()}.json"


def gate(
    instance: dg.DagsterInstance, day: date, games: int, predictions: pd.DataFrame, materialized: bool
) -> list[str]:
    """Why the date's predictions may not be exported (empty: they may)."""
    if games == 0:
        return []
    failed = recorded_check_failures(instance, PREDICTIONS.asset_key, PREDICTION_CHECKS, day)
    reasons = [f"check {name} failed" for name in failed]
    if not materialized:
        reasons.append("no predictions exist for this date")
    elif not predictions.empty:  # empty with passing (or explained, WARN) checks: nothing could be predicted
        invalid = int((invalid_rows(PREDICTIONS.name, predictions, PREDICTIONS.key) != "").sum())
        if invalid:
            reasons.append(f"{invalid} invalid prediction rows")
    return reasons


@dg.multi_asset(
    name="json_feed",
    specs=[
        dg.AssetSpec(
            KEYS["tonight"],
            deps=[PREDICTIONS.asset_key, UPCOMING_PLAYER.asset_key, PLAYER_COMPOSITE.asset_key],
            group_name=GROUP,
            kinds={"json"},
            owners=OWNERS,
            description="tonight/{date}.json: the date's games, players, lines and predictions with factors.",
        ),
        dg.AssetSpec(
            KEYS["predictions"],
            deps=[PREDICTIONS.asset_key],
            group_name=GROUP,
            kinds={"json"},
            owners=OWNERS,
            description="predictions/{date}.json: every system's prediction and call, with a summary per system.",
        ),
        dg.AssetSpec(
            KEYS["results"],
            deps=[ACCURACY.asset_key, ACCURACY_SUMMARY.asset_key],
            group_name=GROUP,
            kinds={"json"},
            owners=OWNERS,
            description="results/{date}.json: the date's graded predictions and each system's MAE and hit rates.",
        ),
        dg.AssetSpec(
            KEYS["status"],
            deps=[KEYS["tonight"], KEYS["predictions"], KEYS["results"]],
            group_name=GROUP,
            kinds={"json"},
            owners=OWNERS,
            description="status.json: the latest export, its files and counts, under the halt envelope.",
        ),
    ],
    check_specs=[
        check_spec(
            KEYS["tonight"],
            PREDICTIONS_READY,
            "fails (and nothing is exported) when the date's predictions are missing or failed their checks",
        ),
        *(
            check_spec(KEYS[name], SCHEMA_VALID, f"the file validates against schemas/{name}.schema.json")
            for name in feed.FILES
        ),
    ],
    partitions_def=GAME_DATE_PARTITIONS,
    backfill_policy=SINGLE_RUN,
)
def json_feed(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    clock: ClockResource,
    exports: BlobStoreResource,
    platform: PlatformResource,
    source: SourceResource,
    coordination: CoordinationResource,
):
    admitted(context, 6, clock, warehouse, source, coordination)
    wh, store, now, days = warehouse.get(), exports.get(), clock.now(), dates_of(context)
    read = {
        t: read_dates(wh, t, days[0], days[-1])
        for t in (
            SCHEDULE,
            UPCOMING_PLAYER,
            PREDICTIONS,
            PLAYER_COMPOSITE,
            PLAYER_DAILY_CACHE,
            ACCURACY,
            ACCURACY_SUMMARY,
        )
    }
    near = read_dates(wh, SCHEDULE, days[0] - SEASON_WINDOW, days[-1] + SEASON_WINDOW)
    materialized = context.instance.get_materialized_partitions(PREDICTIONS.asset_key)
    manual_halt = platform.halt or None
    blocked, written, schema_failures, status_doc = {}, {}, {}, None
    by_day = {
        t: dict(iter(frame.groupby("game_date"))) if not frame.empty else {} for t, frame in read.items()
    }
    for day in days:

        def on(table, day=day) -> pd.DataFrame:
            return by_day[table].get(day, read[table].iloc[0:0])

        games = len(on(SCHEDULE))
        around = (
            int(((near.game_date >= day - SEASON_WINDOW) & (near.game_date <= day + SEASON_WINDOW)).sum())
            if not near.empty
            else 0
        )
        halt = feed.halt_for(day, games, around, manual_halt)
        reasons = (
            []
            if halt.active
            else gate(context.instance, day, games, on(PREDICTIONS), day.isoformat() in materialized)
        )
        if reasons:
            blocked[day] = reasons
            continue
        docs = {
            "tonight": feed.tonight(
                day,
                now,
                halt,
                on(SCHEDULE),
                on(UPCOMING_PLAYER),
                on(PREDICTIONS),
                on(PLAYER_COMPOSITE),
                on(PLAYER_DAILY_CACHE),
            ),
            "predictions": feed.predictions_file(day, now, halt, on(PREDICTIONS)),
            "results": feed.results_file(day, now, halt, on(ACCURACY), on(ACCURACY_SUMMARY)),
        }
        counts = {
            "players": docs["tonight"]["total_players"],
            "predictions": len(docs["predictions"]["predictions"]),
            "graded": len(docs["results"]["graded"]),
        }
        docs["status"] = status_doc = feed.status_file(
            day,
            now,
            halt,
            {n: store.uri(path_of(n, day)) for n in ("tonight", "predictions", "results")},
            counts,
        )
        for name, doc in docs.items():
            errors = feed.schema_errors(name, doc)
            if errors:
                schema_failures.setdefault(name, {})[day] = errors
                continue
            store.write(path_of(name, day), json.dumps(doc, indent=None, separators=(",", ":")).encode())
            written.setdefault(name, []).append(day)
    if context.has_partition_key and blocked:
        day, reasons = next(iter(blocked.items()))
        raise dg.Failure(
            f"export for {day} blocked: {'; '.join(reasons)}",
            metadata={"reasons": reasons},
            allow_retries=False,
        )
    for name, key in KEYS.items():
        last = written.get(name, [])
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": len(last),
                "files_written": len(last),
                "dates_blocked": len(blocked),
                **({"last_file": store.uri(path_of(name, last[-1]))} if last else {}),
                **({"status": dg.MetadataValue.json(status_doc)} if name == "status" and status_doc else {}),
            },
        )
    yield from emit_check(
        context,
        KEYS["tonight"],
        PREDICTIONS_READY,
        {d: Verdict(d not in blocked, {"reasons": blocked.get(d, [])}) for d in days},
        ERROR,
    )
    for name, key in KEYS.items():
        failures = schema_failures.get(name, {})
        yield from emit_check(
            context,
            key,
            SCHEMA_VALID,
            {d: Verdict(d not in failures, {"errors": failures.get(d, [])[:5]}) for d in days},
            ERROR,
        )


EXPORT_ASSETS = [json_feed]

"""Phase 5: the weekly points model, daily predictions of both systems, and grading (5b)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from functools import lru_cache

import dagster as dg
import pandas as pd

from nba_pipeline.checks import WARN, Verdict, check_spec, emit_check
from nba_pipeline.coverage import Excuse
from nba_pipeline.partitions import FIRST_GAME_DATE, GAME_DATE_PARTITIONS, MODEL_WEEKS, dates_of, utc_naive
from nba_pipeline.phases import OWNERS, SINGLE_RUN
from nba_pipeline.phases.analytics.tables import PLAYER_GAME_SUMMARY, UPCOMING_PLAYER
from nba_pipeline.phases.io import (
    admitted,
    stamped,
    table_asset,
    table_checks,
    table_spec,
    write_and_check,
)
from nba_pipeline.phases.precompute.features import FEATURE_NAMES
from nba_pipeline.phases.precompute.tables import FEATURE_STORE
from nba_pipeline.phases.predictions import compute
from nba_pipeline.phases.predictions.keys import POINTS_MODEL
from nba_pipeline.phases.predictions.model import (
    BASELINE_FEATURE,
    NotEnoughHistory,
    TrainedModel,
    train,
    training_rows,
)
from nba_pipeline.phases.predictions.tables import ACCURACY, ACCURACY_SUMMARY, MODEL_REGISTRY, PREDICTIONS
from nba_pipeline.phases.raw.tables import SCHEDULE
from nba_pipeline.resources.blobs import BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.resources.warehouse import Warehouse, WarehouseResource, read_dates
from nba_pipeline.text import markdown_table

GROUP = "phase5_predictions"
# What the model learns from: the features, and what the baseline and calibration need beside them.
TRAINING_COLUMNS = [
    "game_id",
    "game_date",
    "player_lookup",
    "is_quality_ready",
    f"{BASELINE_FEATURE}__source",
    *FEATURE_NAMES,
]
MODEL_TRAINED, BEATS_BASELINE = "model_trained", "beats_baseline"
# A model learns from the games before its week: lineage shows the previous week's dates.
PREVIOUS_WEEK = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)


@dg.asset(
    key=POINTS_MODEL,
    group_name=GROUP,
    partitions_def=MODEL_WEEKS,
    backfill_policy=SINGLE_RUN,
    deps=[
        dg.AssetDep(FEATURE_STORE.asset_key, partition_mapping=PREVIOUS_WEEK),
        dg.AssetDep(PLAYER_GAME_SUMMARY.asset_key, partition_mapping=PREVIOUS_WEEK),
    ],
    kinds={"lightgbm", "python"},
    owners=OWNERS,
    description="The points model, retrained weekly: a partition is a Monday, the model learns from the feature store "
    "and actual points of every game before it (previous seasons included) and serves from that week on. Its card "
    "(training window, held-back MAE next to the baseline's, calibration, feature importance) is in the metadata.",
    check_specs=[
        check_spec(
            POINTS_MODEL,
            MODEL_TRAINED,
            "warns when there was too little history before the cutoff to train",
            WARN,
            MODEL_WEEKS,
        ),
        check_spec(
            POINTS_MODEL,
            BEATS_BASELINE,
            "warns when the model's validation MAE is not below the baseline's",
            WARN,
            MODEL_WEEKS,
        ),
    ],
)
def points_model(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    clock: ClockResource,
    models: BlobStoreResource,
    source: SourceResource,
    coordination: CoordinationResource,
):
    admitted(context, 5, clock, warehouse, source, coordination, model=True)
    wh, store, now = warehouse.get(), models.get(), clock.now()
    cutoffs = [date.fromisoformat(key) for key in context.partition_keys]
    end = cutoffs[-1] - timedelta(days=1)  # all the past, previous seasons included; never the cutoff
    rows = training_rows(
        read_dates(wh, FEATURE_STORE, FIRST_GAME_DATE, end, TRAINING_COLUMNS),
        read_dates(
            wh, PLAYER_GAME_SUMMARY, FIRST_GAME_DATE, end, ["game_id", "game_date", "player_lookup", "points"]
        ),
    )
    trained, missing = [], {}

    def fit(cutoff: date) -> TrainedModel | str:
        try:
            return train(rows, cutoff, threads=1)
        except NotEnoughHistory as exc:
            return str(exc)

    # LightGBM releases the GIL: two weeks' models at a time, a thread each, beat one model on two threads
    with ThreadPoolExecutor(max_workers=2) as pool:
        for cutoff, model in zip(cutoffs, pool.map(fit, cutoffs), strict=True):
            if isinstance(model, str):
                missing[cutoff] = model
                continue
            store.write(f"points_model/{model.version}.json", model.to_bytes())
            trained.append(model)
    registry = pd.DataFrame(
        [
            {
                "model_version": m.version,
                "cutoff_date": m.cutoff,
                "trained_at": utc_naive(now),
                "train_rows": m.train_rows,
                "validation_rows": m.validation_rows,
                "trees": m.trees,
                "mae_model": m.mae_model,
                "mae_baseline": m.mae_baseline,
                "improvement_pct": m.improvement_pct,
                "train_start": m.train_start,
                "brier": m.brier,
                "calibration_lines": m.calibration_lines,
                "edge_threshold": m.edge_threshold,
                "features": ",".join(m.features),
                "artifact": store.uri(f"points_model/{m.version}.json"),
            }
            for m in trained
        ],
        columns=[c for c in MODEL_REGISTRY.column_names if c != "loaded_at"],
    )
    wh.replace_dates(MODEL_REGISTRY, registry.assign(loaded_at=utc_naive(now)), cutoffs[0], cutoffs[-1])
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(trained),
            "models_trained": len(trained),
            "weeks_without_model": dg.MetadataValue.json({c.isoformat(): r for c, r in missing.items()}),
            **(model_card(trained[-1]) if trained else {}),
            "by_week": dg.MetadataValue.md(
                markdown_table(
                    registry[
                        [
                            "cutoff_date",
                            "train_rows",
                            "trees",
                            "mae_model",
                            "mae_baseline",
                            "improvement_pct",
                            "brier",
                            "edge_threshold",
                        ]
                    ]
                )
            )
            if len(registry)
            else "",
        }
    )
    by_cutoff = {m.cutoff: m for m in trained}
    yield from emit_check(
        context,
        POINTS_MODEL,
        MODEL_TRAINED,
        {
            c: Verdict(
                c in by_cutoff,
                {"reason": missing[c]} if c in missing else {"model_version": by_cutoff[c].version},
            )
            for c in cutoffs
        },
        WARN,
    )
    yield from emit_check(
        context,
        POINTS_MODEL,
        BEATS_BASELINE,
        {
            c: Verdict(
                c not in by_cutoff or by_cutoff[c].mae_model < by_cutoff[c].mae_baseline,
                {"mae_model": by_cutoff[c].mae_model, "mae_baseline": by_cutoff[c].mae_baseline}
                if c in by_cutoff
                else {},
            )
            for c in cutoffs
        },
        WARN,
    )


def model_card(model: TrainedModel) -> dict:
    """The latest model's card as materialization metadata: numbers, then the calibration and
    feature-importance tables."""
    card = {f"card/{k}": v for k, v in model.card().items() if v is not None}
    reliability = pd.DataFrame(model.reliability)
    importance = pd.DataFrame(
        {"feature": list(model.importance), "gain_share": list(model.importance.values())}
    )
    return {
        "model_version": model.version,
        **card,
        "card/reliability": dg.MetadataValue.md(
            markdown_table(reliability) if len(reliability) else "no lines to grade"
        ),
        "card/feature_importance": dg.MetadataValue.md(markdown_table(importance)),
    }


@lru_cache(maxsize=32)
def _load_model(uri: str, reader) -> TrainedModel:
    return TrainedModel.from_bytes(reader(uri))


def model_chooser(warehouse: Warehouse, store, last_day: date):
    """Returns model_for(day): the newest model whose cutoff is on or before the day (it never saw it)."""
    registry = read_dates(warehouse, MODEL_REGISTRY, date(2000, 1, 1), last_day).sort_values("cutoff_date")

    def model_for(day: date) -> TrainedModel | None:
        usable = registry[registry.cutoff_date <= day]
        if usable.empty:
            return None
        version = usable.iloc[-1].model_version
        return _load_model(f"points_model/{version}.json", store.read)

    return model_for


@dg.asset(
    **table_asset(PREDICTIONS, GROUP, [FEATURE_STORE.asset_key, UPCOMING_PLAYER.asset_key, POINTS_MODEL])
)
def player_prop_predictions(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    clock: ClockResource,
    models: BlobStoreResource,
    source: SourceResource,
    coordination: CoordinationResource,
):
    admitted(context, 5, clock, warehouse, source, coordination)
    wh, now, days = warehouse.get(), clock.now(), dates_of(context)
    features, contexts = (
        read_dates(wh, FEATURE_STORE, days[0], days[-1]),
        read_dates(wh, UPCOMING_PLAYER, days[0], days[-1]),
    )
    rows, skipped, no_model = compute.predict(features, contexts, model_chooser(wh, models.get(), days[-1]))
    frame = stamped(PREDICTIONS, rows, days, now)
    counts = (
        frame.groupby(["system_id", "recommendation"]).size().unstack(fill_value=0)
        if not frame.empty
        else pd.DataFrame()
    )
    summary = {f"{system}_{call}": int(n) for system, row in counts.iterrows() for call, n in row.items()}
    versions = sorted(v for v in frame.get("model_version", pd.Series(dtype=object)).dropna().unique())
    by_system = frame.groupby("system_id").game_date.nunique().to_dict() if not frame.empty else {}
    extra = {
        "skipped": dg.MetadataValue.json(skipped),
        "calls": dg.MetadataValue.json(summary),
        "model_versions": ", ".join(versions),
        "dates_predicted": dg.MetadataValue.json({s: int(n) for s, n in by_system.items()}),
        # DOMAIN §5: without a model trained before the date the model writes nothing, and says why
        "model_not_serving": dg.MetadataValue.json({d.isoformat(): r for d, r in sorted(no_model.items())}),
    }
    schedule = read_dates(wh, SCHEDULE, days[0], days[-1])
    excuses = {
        d: Excuse(reason, games)
        for d, (reason, games) in compute.unpredictable_games(features, rows, no_model, schedule).items()
    }
    yield from write_and_check(
        context, wh, PREDICTIONS, frame, days, schedule, now, extra=extra, excuses=excuses
    )


@dg.multi_asset(
    name="prediction_accuracy",
    specs=[
        table_spec(t, GROUP, [PREDICTIONS.asset_key, PLAYER_GAME_SUMMARY.asset_key])
        for t in (ACCURACY, ACCURACY_SUMMARY)
    ],
    check_specs=table_checks(ACCURACY, WARN) + table_checks(ACCURACY_SUMMARY, WARN),
    partitions_def=GAME_DATE_PARTITIONS,
    backfill_policy=SINGLE_RUN,
    pool=ACCURACY.write_pool,  # the only writer of both tables: one pool stands for the pair
)
def prediction_accuracy(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    clock: ClockResource,
    source: SourceResource,
    coordination: CoordinationResource,
):
    """Phase 5b: grade each date's predictions against what the players scored."""
    admitted(context, 5, clock, warehouse, source, coordination)
    wh, now, days = warehouse.get(), clock.now(), dates_of(context)
    predictions = read_dates(wh, PREDICTIONS, days[0], days[-1])
    graded = compute.grade(predictions, read_dates(wh, PLAYER_GAME_SUMMARY, days[0], days[-1]))
    schedule = read_dates(wh, SCHEDULE, days[0], days[-1])
    ungraded = {
        d: Excuse("no predictions for this date to grade")
        for d in set(schedule.game_date) - set(predictions.game_date)
    }
    for table, frame in ((ACCURACY, graded), (ACCURACY_SUMMARY, compute.summarize(graded))):
        yield from write_and_check(
            context,
            wh,
            table,
            stamped(table, frame, days, now),
            days,
            schedule,
            now,
            severity=WARN,
            excuses=ungraded,
        )


PREDICTION_ASSETS = [points_model, player_prop_predictions, prediction_accuracy]

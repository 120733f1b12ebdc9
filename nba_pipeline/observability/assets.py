"""`pipeline_status`: the status view of a date as an asset, after its export, with the SLO report
rows and the 30-date chart (in the metadata, and as `charts/pipeline_{date}.png` under the exports)."""

import base64
from datetime import date, datetime, timedelta

import dagster as dg
import pandas as pd

from nba_pipeline.observability.slo import PhaseSpan, Timeline, evaluate
from nba_pipeline.observability.status import date_status, markdown
from nba_pipeline.observability.tables import SLO_REPORT
from nba_pipeline.observability.timelines import load_timelines
from nba_pipeline.partitions import GAME_DATE_PARTITIONS, dates_of, utc_naive
from nba_pipeline.phases import OWNERS, SINGLE_RUN
from nba_pipeline.phases.export.assets import GROUP, KEYS
from nba_pipeline.resources.blobs import BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.warehouse import Warehouse, WarehouseResource

PIPELINE_STATUS = dg.AssetKey(["nba_orchestration", "pipeline_status"])
CHART_DAYS = 30
WINDOW_DAYS = 7


def chart_path(day: date) -> str:
    return f"charts/pipeline_{day.isoformat()}.png"


def slo_rows(timelines: dict[date, Timeline], day: date, now: datetime) -> list[dict]:
    """The date alone and the trailing week ending on it."""
    week = [timelines[d] for d in sorted(timelines) if day - timedelta(days=WINDOW_DAYS - 1) <= d <= day]
    rows = []
    for window, group in ((1, [timelines[day]]), (WINDOW_DAYS, week)):
        for r in evaluate(group):
            rows.append(
                {
                    "game_date": day,
                    "slo": r.name,
                    "target": r.target,
                    "value": r.value,
                    "ok": r.ok,
                    "window_days": window,
                    "evaluated_at": utc_naive(now),
                    "loaded_at": utc_naive(now),
                }
            )
    return rows


def record_slos(
    warehouse: Warehouse, days: list[date], now: datetime, exported_now: bool = False
) -> tuple[dict[date, Timeline], list[dict]]:
    """Evaluate and store the SLOs of the dates; `exported_now`: their export just materialized in
    this run (its settlement will record the exact time later and overwrite these rows)."""
    timelines = load_timelines(warehouse, min(days) - timedelta(days=CHART_DAYS), max(days), now)
    if exported_now:
        for day in days:
            t = timelines[day]
            if t.exported_at is None:
                t.phases[6] = PhaseSpan(6, None, now, 1.0, None, "in_run")
    rows = [row for day in days for row in slo_rows(timelines, day, now)]
    warehouse.upsert(SLO_REPORT, pd.DataFrame(rows))
    return timelines, rows


@dg.asset(
    key=PIPELINE_STATUS,
    group_name=GROUP,
    deps=list(KEYS.values()),
    partitions_def=GAME_DATE_PARTITIONS,
    backfill_policy=SINGLE_RUN,
    kinds={"python", "png"},
    owners=OWNERS,
    description="Where the date stands: each phase's processors, decision, ETA, SLOs and open alerts; "
    "the last 30 dates' chart. Materialized with every export.",
)
def pipeline_status(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    clock: ClockResource,
    exports: BlobStoreResource,
    coordination: CoordinationResource,
) -> dg.MaterializeResult:
    wh, now, days = warehouse.get(), clock.now(), dates_of(context)
    timelines, rows = record_slos(wh, days, now, exported_now=True)
    last = days[-1]
    status = date_status(context.instance, wh, coordination.store(), last, now, timelines[last])
    window = [timelines[d] for d in sorted(timelines) if d > last - timedelta(days=CHART_DAYS) and d <= last]
    from nba_pipeline.observability.chart import pipeline_chart  # matplotlib: only when drawing

    png = pipeline_chart(window)
    store = exports.get()
    store.write(chart_path(last), png)
    picture = base64.b64encode(png).decode()
    missed = sorted({r["slo"] for r in rows if not r["ok"] and r["window_days"] == 1})
    return dg.MaterializeResult(
        metadata={
            "status": dg.MetadataValue.md(markdown(status)),
            "chart": dg.MetadataValue.md(f"![pipeline](data:image/png;base64,{picture})"),
            "chart_path": dg.MetadataValue.path(store.uri(chart_path(last))),
            "exported_at": status["exported_at"] or "",
            "eta": status["eta"] or "",
            "slo_missed": ", ".join(missed) or "none",
            "dates": len(days),
            "generated_at": now.isoformat(),
        }
    )


STATUS_ASSETS = [pipeline_status]

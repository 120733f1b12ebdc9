"""The picture: phase durations and end-to-end latency over the last 30 dates, with the SLO lines."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # files only, never a display
import matplotlib.pyplot as plt  # noqa: E402

from nba_pipeline.observability.slo import PHASE_MINUTES, Timeline  # noqa: E402

COLORS = {2: "#4c72b0", 3: "#55a868", 4: "#c44e52", 5: "#8172b2", 6: "#ccb974"}


def pipeline_chart(timelines: list[Timeline]) -> bytes:
    """Stacked phase minutes per date, end-to-end minutes as a line, SLO targets dashed; PNG bytes."""
    labels = [t.game_date.strftime("%m-%d") for t in timelines]
    x = range(len(timelines))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, dpi=80)
    base = [0.0] * len(timelines)
    for phase in PHASE_MINUTES:
        minutes = [(t.phases[phase].minutes or 0.0) if phase in t.phases else 0.0 for t in timelines]
        top.bar(x, minutes, bottom=base, color=COLORS[phase], label=f"P{phase}")
        base = [b + m for b, m in zip(base, minutes, strict=True)]
    top.axhline(
        max(PHASE_MINUTES.values()), color="grey", linestyle="--", linewidth=1, label="longest phase SLO"
    )
    top.set_ylabel("phase minutes")
    top.legend(ncol=6, fontsize=8, loc="upper left")
    e2e = [t.end_to_end_minutes for t in timelines]
    bottom.plot(
        [i for i, v in zip(x, e2e, strict=True) if v is not None],
        [v for v in e2e if v is not None],
        marker="o",
        color="black",
        label="end to end",
    )
    bottom.axhline(120, color="#c44e52", linestyle="--", linewidth=1, label="same-day SLO 2 h")
    bottom.axhline(360, color="#dd8452", linestyle="--", linewidth=1, label="overnight SLO 6 h")
    bottom.set_ylabel("minutes to export")
    bottom.legend(fontsize=8, loc="upper left")
    bottom.set_xticks(list(x), labels, rotation=60, fontsize=7)
    fig.suptitle(f"Pipeline, {labels[0]} to {labels[-1]}" if labels else "Pipeline")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()

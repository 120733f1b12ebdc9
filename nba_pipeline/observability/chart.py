"""The picture: phase durations and end-to-end latency over the last 30 dates, with the SLO lines."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # files only, never a display
import matplotlib.pyplot as plt  # noqa: E402

from nba_pipeline.observability.slo import PHASE_MINUTES, Timeline  # noqa: E402

MIN_SECONDS = 0.5  # a bar shorter than this is drawn at this height, so it stays visible
COLORS = {2: "#4c72b0", 3: "#55a868", 4: "#c44e52", 5: "#8172b2", 6: "#ccb974"}


def pipeline_chart(timelines: list[Timeline]) -> bytes:
    """Each phase's duration per date side by side on a log axis in seconds (a 2-second phase and a
    30-minute one both show), each phase's SLO as a tick on the right; end-to-end minutes as a line
    with the SLO targets dashed. PNG bytes."""
    labels = [t.game_date.strftime("%m-%d") for t in timelines]
    x = range(len(timelines))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, dpi=80)
    width = 0.8 / len(PHASE_MINUTES)
    for n, phase in enumerate(PHASE_MINUTES):
        seconds = [
            t.phases[phase].minutes * 60 if phase in t.phases and t.phases[phase].minutes else None
            for t in timelines
        ]
        shown = [(i, v) for i, v in zip(x, seconds, strict=True) if v]
        top.bar(
            [i - 0.4 + (n + 0.5) * width for i, _ in shown],
            [max(v, MIN_SECONDS) for _, v in shown],
            width=width,
            color=COLORS[phase],
            label=f"P{phase} (SLO {PHASE_MINUTES[phase]} m)",
        )
    top.set_yscale("log")
    top.set_ylim(MIN_SECONDS / 2, max(PHASE_MINUTES.values()) * 60 * 2)
    top.axhline(
        max(PHASE_MINUTES.values()) * 60, color="grey", linestyle="--", linewidth=1, label="longest phase SLO"
    )
    top.set_ylabel("phase seconds (log)")
    top.legend(ncol=3, fontsize=7, loc="upper left")
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

"""How the status view reads (issue 15 item 3): durations people read, no ETA once exported, SLO rows
with values, a chart whose every bar shows."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from PIL import Image

from nba_pipeline.modes import Mode
from nba_pipeline.observability.chart import pipeline_chart
from nba_pipeline.observability.slo import PhaseSpan, Timeline
from nba_pipeline.observability.status import headline, markdown, slo_cells
from nba_pipeline.text import human_seconds


def test_durations_read_in_seconds_minutes_and_hours():
    assert [human_seconds(s) for s in (None, 1.36, 59.94, 80, 599.6, 3600, 7530)] == [
        "—",
        "1.4 s",
        "59.9 s",
        "1 m 20 s",
        "10 m 00 s",
        "1 h 00 m",
        "2 h 05 m",
    ]


def test_slo_cells_show_durations_and_the_direction_of_the_limit():
    assert slo_cells({"name": "phase3_minutes", "target": 15, "value": 0.0227}) == ("≤ 15 m 00 s", "1.4 s")
    assert slo_cells({"name": "dependency_check_p95_seconds", "target": 30, "value": 0.137}) == (
        "≤ 30.0 s",
        "0.1 s",
    )
    assert slo_cells({"name": "quality", "target": 0.9, "value": 0.97}) == ("≥ 0.9", "0.97")


def status(**over) -> dict:
    base = {
        "date": "2024-01-15",
        "mode": "manual",
        "games": 11,
        "exported_at": None,
        "eta": None,
        "eta_late": False,
        "phases": [
            {
                "phase": 1,
                "done": 4,
                "expected": 4,
                "state": "done",
                "decision": "LOAD",
                "quality": None,
                "seconds": 2.04,
                "why": "a loader",
            }
        ],
        "slo": [{"name": "phase3_minutes", "target": 15, "value": 0.5, "ok": True}],
        "slo_not_measured": ["same_day_end_to_end_minutes"],
        "alerts": [],
    }
    return base | over


def test_the_headline_says_exported_or_expected_never_both():
    assert headline(status(exported_at="2024-01-16T17:02:03.5+00:00", eta=None)) == (
        "2024-01-15 · manual · 11 games · exported at 2024-01-16T17:02:03"
    )
    assert headline(status(eta="2024-01-16T18:00:00+00:00", eta_late=True)) == (
        "2024-01-15 · manual · 11 games · export expected at 2024-01-16T18:00:00 (late)"
    )
    assert headline(status(games=None)) == (
        "2024-01-15 · manual · schedule not loaded · no export yet, none expected until Phase 2 completes"
    )


def test_the_markdown_names_an_empty_date_and_what_was_not_measured():
    text = markdown(status(games=0))
    assert "No games on this date: nothing from Phase 3 on is expected." in text
    assert "| 1 | 4/4 | done | LOAD | — | 2.0 s | a loader |" in text
    assert "| phase3_minutes | ≤ 15 m 00 s | 30.0 s | ✅ |" in text
    assert "_Not measured for this date: same_day_end_to_end_minutes._" in text


def test_every_phase_bar_is_visible_on_the_chart():
    """A 2-second phase beside a 20-minute one: on the old 0-60 minute axis the short bars were under a
    pixel; on the log axis each phase's bar has a visible height."""
    t0 = datetime(2024, 1, 16, 15, tzinfo=UTC)
    spans = {
        p: PhaseSpan(p, t0, t0 + timedelta(seconds=s), 1.0, 1.0, "cascade")
        for p, s in {2: 1200, 3: 2, 4: 3, 5: 4, 6: 1}.items()
    }
    png = pipeline_chart([Timeline(date(2024, 1, 15), Mode.SAME_DAY, spans, t0)])
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colors = {
        (0x4C, 0x72, 0xB0),
        (0x55, 0xA8, 0x68),
        (0xC4, 0x4E, 0x52),
        (0x81, 0x72, 0xB2),
        (0xCC, 0xB9, 0x74),
    }
    top = image.crop((0, 0, image.width, image.height // 2))
    counts = {color: n for n, color in top.getcolors(maxcolors=1 << 20) if color in colors}
    # A legend swatch is about 140 pixels; a bar drawn under a pixel high (the old linear axis) would
    # leave its colour there alone. Every phase's colour covers far more: its bar shows.
    assert len(counts) == 5 and min(counts.values()) > 1000, counts

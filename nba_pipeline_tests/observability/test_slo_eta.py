"""SLO arithmetic and the ETA on hand-made timelines (issue 6)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from nba_pipeline.modes import Mode
from nba_pipeline.observability.eta import DEFAULT_GAP_SECONDS, DEFAULT_SECONDS, eta, typical
from nba_pipeline.observability.slo import PhaseSpan, Timeline, deadline, evaluate, percentile

DAY = date(2024, 1, 16)
T0 = datetime(2024, 1, 16, 15, 0, tzinfo=UTC)  # 10:00 ET


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def span(
    phase: int, start: float, end: float | None, trigger: str = "cascade", completeness=1.0, quality=0.97
):
    return PhaseSpan(phase, at(start), at(end) if end is not None else None, completeness, quality, trigger)


def day_of(mode: Mode, *spans: PhaseSpan, checks=(0.2, 0.3), duplicates=0) -> Timeline:
    # Phase 2's first completion envelope arrived at T0 (10:00 ET).
    return Timeline(DAY, mode, {s.phase: s for s in spans}, T0, list(checks), duplicates)


def values(results) -> dict:
    return {r.name: (r.value, r.ok) for r in results}


GOOD = (span(2, -20, 0, "external"), span(3, 1, 9), span(4, 10, 25), span(5, 26, 70), span(6, 71, 75))


def test_a_good_same_day_date_meets_every_slo():
    t = day_of(Mode.SAME_DAY, *GOOD)
    got = values(evaluate([t]))
    assert got["same_day_end_to_end_minutes"] == (75.0, True)  # first Phase 2 completion 10:00 → export 11:15
    assert got["overnight_end_to_end_minutes"] == (None, True)  # not an overnight date
    assert got["phase3_minutes"] == (8.0, True)
    assert got["phase5_minutes"] == (44.0, True)
    assert got["cascade_success"] == (1.0, True)  # the external Phase 2 load is not a transition
    assert got["completeness"] == (1.0, True) and got["quality"] == (0.97, True)
    assert got["duplicate_triggers"] == (0.0, True)
    assert all(r.ok for r in evaluate([t]))


def test_a_bad_day_misses_exactly_what_went_wrong():
    t = day_of(
        Mode.SAME_DAY,
        span(2, -20, 0, "external"),
        span(3, 1, 19),  # 18 min > 15
        span(4, 20, 40, "schedule", completeness=0.6),  # a fallback, and 60 % < same-day's 80 %
        span(5, 41, 100),
        span(6, 150, 155, "self_heal", quality=0.85),
        checks=(0.1, 0.2, 45.0),
        duplicates=1,
    )
    missed = {r.name: r.value for r in evaluate([t]) if not r.ok}
    assert missed == {
        "same_day_end_to_end_minutes": 155.0,
        "phase3_minutes": 18.0,
        "completeness": 0.6,
        "quality": 0.85,
        "cascade_success": 0.5,  # 2 of 4 automatic transitions
        "dependency_check_p95_seconds": 45.0,
        "duplicate_triggers": 1.0,
    }


def test_a_window_takes_the_worst_date_and_shares_over_all_transitions():
    good = day_of(Mode.SAME_DAY, *GOOD)
    slow = day_of(Mode.OVERNIGHT, span(2, -20, 0, "external"), span(3, 1, 9, "schedule"), span(6, 300, 400))
    got = values(evaluate([good, slow]))
    assert got["overnight_end_to_end_minutes"] == (400.0, False)
    assert got["same_day_end_to_end_minutes"] == (75.0, True)
    assert got["cascade_success"] == (0.8333, False)  # 5 of 6
    assert got["completeness"] == (1.0, True)  # overnight needs 100 %: met
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100], 95) == 19


def test_the_deadline_follows_the_mode():
    assert deadline(day_of(Mode.SAME_DAY, *GOOD)) == at(120)
    assert deadline(day_of(Mode.OVERNIGHT, *GOOD)) == at(360)
    assert deadline(day_of(Mode.MANUAL, *GOOD)) is None


def test_eta_adds_what_is_left_to_the_clock():
    t = day_of(Mode.SAME_DAY, span(2, -20, 0, "external"))
    medians = {2: 600.0, 3: 600.0, 4: 900.0, 5: 1200.0, 6: 120.0}
    # Phase 3 has run 3 of its usual 10 minutes: 7 left, then 30 s + the median of each phase after it.
    got = eta(t, at(8), medians, 30.0, running={3: at(5)})
    assert got == at(8) + timedelta(seconds=420 + 930 + 1230 + 150)
    # A run already past its median adds nothing for itself.
    assert eta(t, at(30), medians, 30.0, running={3: at(5)}) == at(30) + timedelta(seconds=930 + 1230 + 150)
    # Exported: the ETA is when it happened.
    assert eta(day_of(Mode.SAME_DAY, *GOOD), at(500), medians, 30.0) == at(75)


def test_typical_durations_fall_back_to_defaults():
    medians, gap = typical({3: [100.0, 300.0, 200.0]}, [])
    assert medians[3] == 200.0 and medians[4] == DEFAULT_SECONDS[4] and gap == DEFAULT_GAP_SECONDS

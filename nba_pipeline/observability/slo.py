"""SLOs as data (DOMAIN §7), evaluated on timelines: per date, and over a trailing window.

A `Timeline` is what happened to one game date — each phase's start, end, completeness, quality and
trigger path, the readiness checks' durations and any duplicate trigger. Everything here is pure; the
timelines come from the audit tables (`timelines`), and hand-made ones test the arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

from nba_pipeline.modes import POLICIES, Mode


@dataclass(frozen=True)
class Slo:
    name: str
    target: float | None  # None: the date's mode decides (completeness)
    at_most: bool  # True: value <= target; False: value >= target
    description: str


PHASE_MINUTES = {2: 30, 3: 15, 4: 30, 5: 60, 6: 10}
SLOS = (
    Slo("same_day_end_to_end_minutes", 120, True, "first Phase 2 completion → export, same-day dates"),
    Slo("overnight_end_to_end_minutes", 360, True, "first Phase 2 completion → export, overnight dates"),
    *(Slo(f"phase{p}_minutes", m, True, f"Phase {p} duration") for p, m in PHASE_MINUTES.items()),
    Slo("completeness", None, False, "processors completed / expected, at least the mode's minimum"),
    Slo("quality", 0.90, False, "readiness quality of the inputs each phase ran on"),
    Slo("cascade_success", 0.95, False, "share of phase 3-6 transitions fired by the cascade"),
    Slo("dependency_check_p95_seconds", 30, True, "95th percentile of readiness check durations"),
    Slo("duplicate_triggers", 0, True, "runs launched twice for one claim"),
)
SLO_BY_NAME = {s.name: s for s in SLOS}
AUTOMATIC = ("cascade", "schedule", "self_heal")


@dataclass(frozen=True)
class PhaseSpan:
    phase: int
    started_at: datetime | None
    completed_at: datetime | None
    completeness: float | None
    quality: float | None
    trigger: str
    status: str = "success"

    @property
    def minutes(self) -> float | None:
        if self.started_at is None or self.completed_at is None:
            return None
        return (self.completed_at - self.started_at).total_seconds() / 60


@dataclass
class Timeline:
    game_date: date
    mode: Mode
    phases: dict[int, PhaseSpan] = field(default_factory=dict)
    first_phase2_at: datetime | None = None  # the first completion envelope of Phase 2 (any source)
    check_seconds: list[float] = field(default_factory=list)
    duplicate_triggers: int = 0

    @property
    def exported_at(self) -> datetime | None:
        span = self.phases.get(6)
        return span.completed_at if span and span.status != "failed" else None

    @property
    def end_to_end_minutes(self) -> float | None:
        if self.first_phase2_at is None or self.exported_at is None:
            return None
        return (self.exported_at - self.first_phase2_at).total_seconds() / 60


@dataclass(frozen=True)
class SloResult:
    name: str
    target: float
    value: float | None  # None: nothing to measure (no such dates in the window)
    ok: bool

    def to_json(self) -> dict:
        return {"name": self.name, "target": self.target, "value": self.value, "ok": self.ok}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _result(slo: Slo, value: float | None, target: float | None = None) -> SloResult:
    target = slo.target if target is None else target
    ok = value is None or (value <= target if slo.at_most else value >= target)
    return SloResult(slo.name, target, None if value is None else round(value, 4), ok)


def evaluate(timelines: list[Timeline]) -> list[SloResult]:
    """Every SLO over the timelines (one date, or a window): worst case for limits, shares over all."""
    results = []
    for mode, name in (
        (Mode.SAME_DAY, "same_day_end_to_end_minutes"),
        (Mode.OVERNIGHT, "overnight_end_to_end_minutes"),
    ):
        values = [
            t.end_to_end_minutes for t in timelines if t.mode is mode and t.end_to_end_minutes is not None
        ]
        results.append(_result(SLO_BY_NAME[name], max(values) if values else None))
    for phase in PHASE_MINUTES:
        values = [
            t.phases[phase].minutes
            for t in timelines
            if phase in t.phases and t.phases[phase].minutes is not None
        ]
        results.append(_result(SLO_BY_NAME[f"phase{phase}_minutes"], max(values) if values else None))
    # Completeness against each date's own mode minimum: the worst margin decides.
    margins = [
        (span.completeness, POLICIES[t.mode].min_completeness)
        for t in timelines
        for span in t.phases.values()
        if span.completeness is not None
    ]
    worst = (
        min(margins, key=lambda m: m[0] - m[1])
        if margins
        else (None, POLICIES[Mode.OVERNIGHT].min_completeness)
    )
    results.append(_result(SLO_BY_NAME["completeness"], worst[0], worst[1]))
    qualities = [s.quality for t in timelines for s in t.phases.values() if s.quality is not None]
    results.append(_result(SLO_BY_NAME["quality"], min(qualities) if qualities else None))
    transitions = [  # automatic transitions only: a person's run or a backfill is neither success nor miss
        s.trigger for t in timelines for p, s in t.phases.items() if p >= 3 and s.trigger in AUTOMATIC
    ]
    share = sum(trigger == "cascade" for trigger in transitions) / len(transitions) if transitions else None
    results.append(_result(SLO_BY_NAME["cascade_success"], share))
    checks = [s for t in timelines for s in t.check_seconds]
    results.append(
        _result(SLO_BY_NAME["dependency_check_p95_seconds"], percentile(checks, 95) if checks else None)
    )
    results.append(
        _result(SLO_BY_NAME["duplicate_triggers"], float(sum(t.duplicate_triggers for t in timelines)))
    )
    return results


DEADLINE_MINUTES = {Mode.SAME_DAY: 120, Mode.OVERNIGHT: 360}


def deadline(t: Timeline) -> datetime | None:
    """When the date's export is due: its end-to-end SLO from the first Phase 2 completion."""
    from datetime import timedelta

    minutes = DEADLINE_MINUTES.get(t.mode)
    if minutes is None or t.first_phase2_at is None:
        return None
    return t.first_phase2_at + timedelta(minutes=minutes)

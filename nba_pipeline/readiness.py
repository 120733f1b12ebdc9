"""Readiness (DOMAIN §5): pure functions from the numbers the warehouse returns to a Decision.

Per input table: games expected and covered, completeness, freshness, validity, quality and a status.
Overall: completeness is the minimum over the critical inputs (the weakest decides), optional coverage
the share of optional inputs at least half complete, quality 0.4·freshness + 0.4·completeness +
0.2·validity with freshness and validity the minimum over the critical inputs. The decision follows
five rules in order, with the mode's thresholds (modes.POLICIES).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum

from nba_pipeline.modes import POLICIES, Mode, input_row_mode

PRESENT = 0.5  # an optional input counts as present from half complete
MAJORITY = 0.6  # critical plus a majority of the optional inputs proceeds (DOMAIN §8 item 2)
DEGRADED_SHARE = 0.8  # rule 3: this share of the mode's minimum completeness may proceed degraded
QUALITY_SLACK = 0.10
LAST_RESORT = 0.5  # rule 5: after the wait, at least this much to proceed degraded


class Verdict(StrEnum):
    PROCEED = "PROCEED"
    PROCEED_DEGRADED = "PROCEED_DEGRADED"
    WAIT = "WAIT"
    FAIL = "FAIL"

    @property
    def runs(self) -> bool:
        return self in (Verdict.PROCEED, Verdict.PROCEED_DEGRADED)


@dataclass(frozen=True)
class Input:
    table: str
    critical: bool
    history: bool = False  # complete for the most recent game date before D, not for D itself


def inputs(phase: int, mode: Mode, game_date: date, now: datetime) -> list[Input]:
    """The table of DOMAIN §5. A manual check of a past date uses the overnight inputs. Phase 4's team
    summaries are the date's own in overnight and backfill; before the games (same day, tomorrow)
    they can only be history."""
    row = input_row_mode(mode, game_date, now)
    pregame = row in (Mode.SAME_DAY, Mode.TOMORROW)
    if phase == 3 and not pregame:
        return [
            Input("nbac_schedule", True),
            Input("nbac_gamebook_player_stats", True),
            Input("nbac_team_boxscore", True),
            Input("nbac_injury_report", False),
            Input("odds_api_player_points_props", False),
        ]
    if phase == 3:
        return [
            Input("nbac_schedule", True),
            Input("odds_api_player_points_props", True),
            Input("nbac_injury_report", False),
            Input("player_game_summary", False, history=True),
        ]
    if phase == 4:
        return [
            Input("upcoming_player_game_context", True),
            Input("player_game_summary", True, history=True),
            Input("upcoming_team_game_context", False),
            Input("team_offense_game_summary", False, history=pregame),
            Input("team_defense_game_summary", False, history=pregame),
        ]
    if phase == 5:  # the trained model is a prediction system, not an input: the baseline needs no model
        return [Input("ml_feature_store", True)]
    if phase == 6:
        return [Input("player_prop_predictions", True), Input("prediction_accuracy", False)]
    raise ValueError(f"phase {phase} has no readiness inputs (phases 3-6 do)")


def freshness(age_seconds: float | None, scored: bool) -> float:
    """1.0 under 1 h, 0.8 under 6 h, 0.5 under 12 h, else 0.3 - only before the games (same day,
    tomorrow): a finished game date does not go stale."""
    if not scored:
        return 1.0
    if age_seconds is None:
        return 0.3
    hours = age_seconds / 3600
    return 1.0 if hours < 1 else 0.8 if hours < 6 else 0.5 if hours < 12 else 0.3


def quality(fresh: float, complete: float, valid: float) -> float:
    return round(0.4 * fresh + 0.4 * complete + 0.2 * valid, 4)


@dataclass(frozen=True)
class TableReadiness:
    table: str
    critical: bool
    history: bool
    expected: int
    found: int
    completeness: float
    freshness_seconds: float | None
    freshness: float
    validity: float
    quality: float
    status: str  # COMPLETE | DEGRADED | MISSING
    issues: list[str] = field(default_factory=list)


def measure(
    spec: Input,
    expected: int,
    found: int,
    age_seconds: float | None,
    validity: float,
    mode: Mode,
    game_date: date,
    now: datetime,
    issues: list[str] | None = None,
) -> TableReadiness:
    """One input's numbers. A date expecting no games is complete; an input with failed checks is unusable."""
    issues = list(issues or [])
    complete = 1.0 if expected == 0 else min(found, expected) / expected
    if issues and any(i.startswith("check ") for i in issues):
        complete = 0.0
    scored = input_row_mode(mode, game_date, now) in (Mode.SAME_DAY, Mode.TOMORROW) and not spec.history
    fresh = (
        1.0 if expected == 0 else freshness(age_seconds if found else None, scored)
    )  # nothing expected cannot be stale
    q = quality(fresh, complete, validity)
    if complete >= 1.0 and q >= POLICIES[mode].min_quality:
        status = "COMPLETE"
    elif complete == 0.0 and expected > 0:
        status = "MISSING"
    else:
        status = "DEGRADED"
    if expected and found < expected:
        issues.append(f"{found}/{expected} games covered")
    return TableReadiness(
        spec.table,
        spec.critical,
        spec.history,
        expected,
        min(found, expected) if expected else found,
        round(complete, 4),
        age_seconds,
        fresh,
        round(validity, 4),
        q,
        status,
        issues,
    )


@dataclass(frozen=True)
class Decision:
    phase: int
    game_date: date
    mode: Mode
    decision: Verdict
    completeness: float
    optional_coverage: float
    quality: float
    reasons: list[str]
    short: list[str]  # critical inputs below complete
    missing_optional: list[str]
    tables: list[TableReadiness]
    waiting_since: datetime | None = None
    recheck_at: datetime | None = None
    give_up_at: datetime | None = None
    alert: str | None = None  # error | warning | None

    def to_json(self) -> dict:
        out = asdict(self)
        out.update(game_date=self.game_date.isoformat(), mode=self.mode.value, decision=self.decision.value)
        for key in ("waiting_since", "recheck_at", "give_up_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def decide(
    phase: int,
    game_date: date,
    mode: Mode,
    tables: list[TableReadiness],
    now: datetime,
    waiting_since: datetime | None = None,
) -> Decision:
    """The five rules of DOMAIN §5, in order. `waiting_since` is the first WAIT recorded for this
    phase, date and mode (None: this would be the first)."""
    policy = POLICIES[mode]
    critical = [t for t in tables if t.critical]
    optional = [t for t in tables if not t.critical]
    completeness = min((t.completeness for t in critical), default=1.0)
    fresh = min((t.freshness for t in critical), default=1.0)
    valid = min((t.validity for t in critical), default=1.0)
    q = quality(fresh, completeness, valid)
    coverage = sum(t.completeness >= PRESENT for t in optional) / len(optional) if optional else 1.0
    short = [t.table for t in critical if t.completeness < 1.0]
    missing = [t.table for t in optional if t.completeness < PRESENT]
    numbers = f"completeness {_pct(completeness)}, quality {q:.2f} (min {policy.min_quality:.2f}), optional coverage {_pct(coverage)}"

    def made(verdict: Verdict, reasons: list[str], **extra) -> Decision:
        alert = _alert(mode, verdict, completeness)
        return Decision(
            phase,
            game_date,
            mode,
            verdict,
            round(completeness, 4),
            round(coverage, 4),
            q,
            reasons,
            short,
            missing,
            tables,
            alert=alert,
            **extra,
        )

    ready = completeness >= 1.0 and q >= policy.min_quality
    if ready and coverage >= 1.0:
        return made(Verdict.PROCEED, [f"every input complete: {numbers}"])
    if ready and coverage >= MAJORITY:
        return made(
            Verdict.PROCEED_DEGRADED,
            [f"critical inputs complete, optional inputs missing: {', '.join(missing)}; {numbers}"],
        )
    if (
        policy.degraded_allowed
        and completeness >= DEGRADED_SHARE * policy.min_completeness
        and q >= policy.min_quality - QUALITY_SLACK
        and coverage >= MAJORITY
    ):
        return made(
            Verdict.PROCEED_DEGRADED,
            [
                f"{mode.value} accepts {_pct(DEGRADED_SHARE * policy.min_completeness)} and more: {numbers}",
                *_shortfalls(critical),
            ],
        )
    if policy.waits:
        since = waiting_since or now
        give_up = since + policy.give_up_after
        if now < give_up:
            return made(
                Verdict.WAIT,
                [f"waiting for {_waiting_for(short, missing)}: {numbers}", *_shortfalls(critical)],
                waiting_since=since,
                recheck_at=now + policy.recheck_every,
                give_up_at=give_up,
            )
        reasons = [f"gave up waiting after {policy.give_up_after} (since {since.isoformat()})"]
    else:
        reasons = [f"{mode.value} does not wait"]
    if policy.degraded_allowed and completeness >= LAST_RESORT and coverage >= MAJORITY:
        return made(
            Verdict.PROCEED_DEGRADED,
            [*reasons, f"proceeding with what exists: {numbers}", *_shortfalls(critical)],
        )
    need = (
        f"{_pct(policy.min_completeness)} complete, quality {policy.min_quality:.2f}"
        if not policy.degraded_allowed
        else f"{_pct(LAST_RESORT)} complete"
    )
    absent = [f"optional inputs missing: {', '.join(missing)}"] if missing else []
    return made(
        Verdict.FAIL,
        [
            f"{mode.value} needs {need} and {_pct(MAJORITY)} optional coverage: {numbers}",
            *reasons,
            *absent,
            *_shortfalls(critical),
        ],
    )


def _waiting_for(short: list[str], missing: list[str]) -> str:
    if short:
        return ", ".join(short)
    return f"optional inputs {', '.join(missing)}" if missing else "fresher data (quality below the minimum)"


def _shortfalls(critical: list[TableReadiness]) -> list[str]:
    return [
        f"{t.table}: {'; '.join(t.issues) or t.status.lower()}"
        for t in critical
        if t.completeness < 1.0 or t.issues
    ]


def _alert(mode: Mode, verdict: Verdict, completeness: float) -> str | None:
    """A FAIL alerts in overnight, same_day and tomorrow; so does a same-day WAIT under 50 % and a
    tomorrow WAIT under 30 % (warnings). Manual and backfill answer their caller instead."""
    if mode in (Mode.MANUAL, Mode.BACKFILL):
        return None
    if verdict is Verdict.FAIL:
        return "error"
    if verdict is Verdict.WAIT and (
        (mode is Mode.SAME_DAY and completeness < 0.5) or (mode is Mode.TOMORROW and completeness < 0.3)
    ):
        return "warning"
    return None

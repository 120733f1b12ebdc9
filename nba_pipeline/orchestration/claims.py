"""The claim lifecycle (DOMAIN §6): the one protocol every path that runs a phase goes through.

A claim is the right to run one target (a phase, or the weekly model) for one game date and one
version of its inputs. It moves claimed → launched (bound to a run id) → done | released, and every
move is a compare-and-set on the claim's key *and* its attempt, the fencing token: a holder can only
move its own attempt, never a successor's. The rules are the pure functions at the top; the store
only persists (`update_claim` is its atomic read-modify-write).

Time here is the wall clock, never the business clock (ARCHITECTURE §4): a claim with no run is free
again when its launch lease expires; a claim bound to a run lives as long as the run — a run in
flight heartbeats from its worker (`orchestration.heartbeat`), and a started run whose heartbeat
stopped, or whose process on this host is gone, is dead: `sweep` marks it failed so settlement
releases its claims. Sensors, schedules, self-heal, the command line and runs launched from the UI
all take, bind and finish claims here and nowhere else.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from nba_pipeline.orchestration.store.records import aware
from nba_pipeline.tags import CLAIM, CLAIM_ATTEMPT, PHASE, TRIGGERS

if TYPE_CHECKING:
    import dagster as dg

    from nba_pipeline.orchestration.store import CoordinationStore

CLAIMED, LAUNCHED, DONE, RELEASED = "claimed", "launched", "done", "released"
STATES = (CLAIMED, LAUNCHED, DONE, RELEASED)
ACTIVE = (CLAIMED, LAUNCHED)
LAUNCH_LEASE = timedelta(minutes=2)  # a claim whose run has not appeared by then was a failed launch
BEAT_EVERY = timedelta(seconds=10)  # how often a run's worker says it is alive
BEAT_STALE = timedelta(seconds=90)  # a started run silent for this long is dead
MODEL_TARGET = "model"  # the weekly model: its own claims and its own breaker, apart from phase 5


@dataclass(frozen=True)
class Claim:
    target: str  # "3".."6" for a phase, MODEL_TARGET for the weekly model
    game_date: date
    upstream_version: str
    attempt: int  # 1 + the times this key was released and taken again: the fencing token
    state: str  # one of STATES
    holder: str  # who took it: a sensor, a schedule, cli:<command>, person:<who>, run:<run id>
    mode: str
    trigger: str  # one of nba_pipeline.tags.TRIGGERS
    correlation_id: str
    claimed_at: datetime  # wall clock
    lease_until: datetime | None  # wall clock: until when it may wait for its run to appear
    run_id: str | None = None
    released_reason: str | None = None
    closed_by: str | None = None  # the run whose settlement moved it to done / released
    updated_at: datetime | None = None

    @property
    def key(self) -> str:
        return claim_key(self.target, self.game_date, self.upstream_version)

    @property
    def phase(self) -> int:
        return 5 if self.target == MODEL_TARGET else int(self.target)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


def target_of(phase: int) -> str:
    return str(phase)


def claim_key(target: str | int, game_date: date, upstream_version: str) -> str:
    """The claim's key as one string (the `nba/claim` run tag, a document id)."""
    return f"{target}|{game_date.isoformat()}|{upstream_version}"


def parse_claim_key(value: str) -> tuple[str, date, str]:
    target, day, version = value.split("|", 2)
    return target, date.fromisoformat(day), version


class ClaimLost(RuntimeError):
    """A holder tried to move a claim that is no longer its own (released, or a later attempt)."""


@dataclass(frozen=True)
class Taken:
    won: bool
    claim: Claim  # ours when won, the holder's when lost


# ------------------------------------------------------------------------------------------------
# The rules: pure functions from the stored claim (or None) to the claim to store (None: unchanged).


def _taking(held: Claim | None, mine: Claim) -> Claim | None:
    """A free key (never taken, or released) is taken as the next attempt; a held one is not."""
    if held is not None and held.active:
        return None
    return replace(mine, attempt=held.attempt + 1) if held is not None else mine


def _binding(held: Claim | None, attempt: int, run_id: str, wall: datetime) -> Claim:
    if held is None or held.attempt != attempt or not held.active:
        state = "missing" if held is None else f"attempt {held.attempt} {held.state}"
        raise ClaimLost(f"claim attempt {attempt} can no longer be bound to run {run_id}: {state}")
    if held.run_id not in (None, run_id):
        raise ClaimLost(f"claim attempt {attempt} is bound to run {held.run_id}, not {run_id}")
    return replace(held, state=LAUNCHED, run_id=run_id, updated_at=wall)


def _closing(
    held: Claim | None, attempt: int, run_id: str, success: bool, reason: str, wall: datetime
) -> Claim | None:
    """A run's outcome moves its own claim once: an active claim of this attempt, unbound or bound
    to this run. Anything else (already closed, a successor's attempt, another run's) is untouched."""
    if held is None or held.attempt != attempt or not held.active or held.run_id not in (None, run_id):
        return None
    if success:
        return replace(held, state=DONE, run_id=run_id, closed_by=run_id, updated_at=wall)
    return replace(
        held, state=RELEASED, run_id=run_id, closed_by=run_id, released_reason=reason, updated_at=wall
    )


def _renewing(held: Claim | None, attempt: int, wall: datetime) -> Claim | None:
    """A claim of this attempt still waiting for its run gets a fresh launch lease."""
    if held is None or held.attempt != attempt or held.state != CLAIMED or held.run_id is not None:
        return None
    return replace(held, lease_until=wall + LAUNCH_LEASE, updated_at=wall)


def _freeing(held: Claim | None, attempt: int | None, reason: str, wall: datetime) -> Claim | None:
    """Release an active claim: of this attempt, or (attempt None, an operator) whatever is active."""
    if held is None or not held.active or attempt not in (None, held.attempt):
        return None
    return replace(held, state=RELEASED, released_reason=reason, updated_at=wall)


# ------------------------------------------------------------------------------------------------
# The protocol: what every path calls.


def take(
    store: CoordinationStore,
    target: str,
    game_date: date,
    upstream_version: str,
    holder: str,
    mode: str,
    trigger: str,
    correlation_id: str,
    wall: datetime,
    run_id: str | None = None,
) -> Taken:
    """Claim the key atomically. With `run_id` (the command line and in-run admission know their run
    before it exists in the instance) the claim is bound at once; either way it carries a launch lease
    so that a run that never appears frees it again."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}; known: {', '.join(TRIGGERS)}")
    wall = aware(wall, "wall")
    mine = Claim(
        target,
        game_date,
        upstream_version,
        1,
        LAUNCHED if run_id else CLAIMED,
        holder,
        mode,
        trigger,
        correlation_id,
        wall,
        wall + LAUNCH_LEASE,
        run_id,
        updated_at=wall,
    )

    def change(held: Claim | None) -> tuple[Claim | None, Taken]:
        taken = _taking(held, mine)
        return taken, Taken(taken is not None, taken or held)

    # A held claim ends only by release, so seeing it held (a cheap read, no lock) means we lost;
    # only a possible winner goes through the atomic write.
    held = store.get_claim(mine.key)
    if held is not None and held.active:
        return Taken(False, held)
    return store.update_claim(mine.key, change)


def request_again(store: CoordinationStore, claim: Claim, wall: datetime) -> Claim | None:
    """A claim whose request never became a run — a sensor evaluated by the UI's Test Sensor (a dry
    run: its requests are shown, never launched), or a launch the daemon lost — asked for again by
    the same sensor: the same attempt, hence the same run key, which Dagster launches at most once.
    Its launch lease starts afresh. None when the claim is no longer waiting for its run."""

    def change(held: Claim | None) -> tuple[Claim | None, Claim | None]:
        renewed = _renewing(held, claim.attempt, aware(wall, "wall"))
        return renewed, renewed

    return store.update_claim(claim.key, change)


def bind(store: CoordinationStore, claim: Claim, run_id: str, wall: datetime) -> Claim:
    """claimed → launched(run_id), for this attempt only; raises ClaimLost when it is not ours."""

    def change(held: Claim | None) -> tuple[Claim, Claim]:
        bound = _binding(held, claim.attempt, run_id, aware(wall, "wall"))
        return bound, bound

    return store.update_claim(claim.key, change)


def close(
    store: CoordinationStore, claim: Claim, run_id: str, success: bool, reason: str, wall: datetime
) -> bool:
    """The run's outcome on one of its claims: done, or released for a retry. True when this call
    moved it (a second settlement of the same run moves nothing)."""

    def change(held: Claim | None) -> tuple[Claim | None, bool]:
        closed = _closing(held, claim.attempt, run_id, success, reason, aware(wall, "wall"))
        return closed, closed is not None

    return store.update_claim(claim.key, change)


def release(
    store: CoordinationStore, key: str, attempt: int | None, reason: str, wall: datetime
) -> Claim | None:
    """Free an active claim (of `attempt`, or any attempt when None: an operator's release on
    purpose). Returns the released claim, or None when there was nothing of that attempt to free."""

    def change(held: Claim | None) -> tuple[Claim | None, Claim | None]:
        freed = _freeing(held, attempt, reason, aware(wall, "wall"))
        return freed, freed

    return store.update_claim(key, change)


def closed_by_run(store: CoordinationStore, claim: Claim, run_id: str) -> Claim | None:
    """The stored claim if `run_id`'s settlement is what closed it and no later attempt has taken the
    key since: the only case in which a failure may count toward the breaker."""
    stored = store.get_claim(claim.key)
    if stored is None or stored.attempt != claim.attempt or stored.closed_by != run_id:
        return None
    return stored


def claims_of_run(store: CoordinationStore, run: dg.DagsterRun) -> list[Claim]:
    """Every claim a run holds: bound to its id in the store, or named by its tags and not yet bound
    (a sensor's request whose run has not reached its first asset)."""
    found = {c.key: c for c in store.claims(run_id=run.run_id)}
    key, attempt = run.tags.get(CLAIM), run.tags.get(CLAIM_ATTEMPT)
    if key and attempt and key not in found:
        held = store.get_claim(key)
        if held is not None and held.attempt == int(attempt) and held.run_id in (None, run.run_id):
            found[key] = held
    return sorted(found.values(), key=lambda c: (c.game_date, c.target))


# ------------------------------------------------------------------------------------------------
# Liveness and the sweep.


def holder_id() -> str:
    """pid@host of this process: how a claim or a heartbeat names the process behind it."""
    return f"{os.getpid()}@{socket.gethostname()}"


def _process_gone(holder: str) -> bool:
    """True only when the holder ran on this host and its process no longer exists (or is a zombie)."""
    pid, _, host = holder.partition("@")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def why_dead(started_at: float | None, beat, wall: datetime) -> str | None:
    """Why a started run is dead (None: it is alive). `beat` is its latest Beat, if any."""
    if beat is not None and _process_gone(beat.holder):
        return f"its process {beat.holder} is gone"
    last = max(
        [t for t in (started_at, beat.beat_at.timestamp() if beat else None) if t is not None], default=None
    )
    if last is None:
        return None
    silent = wall.timestamp() - last
    if silent > BEAT_STALE.total_seconds():
        return f"no heartbeat for {silent:.0f} s"
    return None


@dataclass
class Sweep:
    bound: list[str] = field(default_factory=list)  # claims whose run was found and bound
    released: list[str] = field(default_factory=list)  # one line per claim whose launch never came
    dead: list[str] = field(default_factory=list)  # one line per run found dead and marked failed
    to_settle: list[str] = field(default_factory=list)  # finished runs still holding claims

    def lines(self) -> list[str]:
        return self.released + self.dead


def _judged(record, claimed_runs: set[str], beats: dict) -> bool:
    """Runs whose liveness is ours to judge: phase runs, runs holding claims, runs that heartbeat."""
    run = record.dagster_run
    return PHASE in run.tags or run.run_id in claimed_runs or run.run_id in beats


def sweep(store: CoordinationStore, instance: dg.DagsterInstance, wall: datetime) -> Sweep:
    """Bind claims to the runs that appeared for them, release claims whose launch lease expired with
    no run, mark started runs that died as failed, and list the finished runs still holding claims
    (the caller settles them, which closes their claims). Idempotent; any process may run it."""
    import dagster as dg

    wall = aware(wall, "wall")
    out = Sweep()
    by_run: dict[str, list[Claim]] = {}
    for held in store.claims(states=ACTIVE):
        if held.run_id is None:
            runs = instance.get_runs(
                dg.RunsFilter(tags={CLAIM: held.key, CLAIM_ATTEMPT: str(held.attempt)}), limit=1
            )
            if runs:
                bind(store, held, runs[0].run_id, wall)
                out.bound.append(held.key)
                by_run.setdefault(runs[0].run_id, []).append(held)
            elif held.lease_until is None or wall >= held.lease_until:
                reason = f"launch lease expired: no run within {LAUNCH_LEASE.seconds // 60} min of the claim"
                if release(store, held.key, held.attempt, reason, wall):
                    out.released.append(f"{_label(held)}: {reason}")
            continue
        by_run.setdefault(held.run_id, []).append(held)
    found = instance.get_run_records(dg.RunsFilter(run_ids=list(by_run))) if by_run else []
    records = {r.dagster_run.run_id: r for r in found}
    # A CANCELING run is still executing (stopped at its next step); if its worker died meanwhile,
    # nobody else would ever end it.
    started = instance.get_run_records(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING])
    )
    beats = store.beats([*by_run, *(r.dagster_run.run_id for r in started)])
    for run_id, held in by_run.items():
        record = records.get(run_id)
        if record is None:  # bound before its run was created: the lease gives it time to appear
            for c in held:
                if c.lease_until is not None and wall >= c.lease_until:
                    reason = f"run {run_id} never appeared"
                    if release(store, c.key, c.attempt, reason, wall):
                        out.released.append(f"{_label(c)}: {reason}")
            continue
        if record.dagster_run.is_finished:
            out.to_settle.append(run_id)
    for record in started:
        run = record.dagster_run
        if not _judged(record, set(by_run), beats):
            continue
        why = why_dead(_started(record), beats.get(run.run_id), wall)
        if why is None:
            continue
        if run.status == dg.DagsterRunStatus.CANCELING:
            instance.report_run_canceled(
                run, f"run worker died while canceling: {why}; marked by the claim sweep"
            )
        else:
            instance.report_run_failed(run, f"run worker died: {why}; marked failed by the claim sweep")
        out.dead.append(f"run {run.run_id} (phase {run.tags.get(PHASE, '?')}): {why}")
        if run.run_id in by_run:
            out.to_settle.append(run.run_id)
    return out


def alive_in_flight(instance: dg.DagsterInstance, store: CoordinationStore, wall: datetime) -> list:
    """The run records in flight that are really running (what the status view may call running)."""
    import dagster as dg

    statuses = [
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
    ]
    records = instance.get_run_records(dg.RunsFilter(statuses=statuses))
    started = [r.dagster_run.run_id for r in records if r.dagster_run.status == dg.DagsterRunStatus.STARTED]
    beats = store.beats(started)
    return [
        r
        for r in records
        if r.dagster_run.status != dg.DagsterRunStatus.STARTED
        or why_dead(_started(r), beats.get(r.dagster_run.run_id), wall) is None
    ]


def listing(
    held: list[Claim], instance: dg.DagsterInstance, store: CoordinationStore, wall: datetime
) -> list[dict]:
    """One row per claim for a person: its run's status and what keeps the claim alive."""
    import dagster as dg

    run_ids = sorted({c.run_id for c in held if c.run_id})
    records = (
        {r.dagster_run.run_id: r for r in instance.get_run_records(dg.RunsFilter(run_ids=run_ids))}
        if run_ids
        else {}
    )
    beats = store.beats(run_ids)
    rows = []
    for c in held:
        record = records.get(c.run_id) if c.run_id else None
        status = record.dagster_run.status.value if record else ("missing" if c.run_id else None)
        rows.append(
            {
                "key": c.key,
                "target": c.target,
                "game_date": c.game_date.isoformat(),
                "version": c.upstream_version,
                "attempt": c.attempt,
                "state": c.state,
                "holder": c.holder,
                "trigger": c.trigger,
                "mode": c.mode,
                "run_id": c.run_id,
                "run_status": status,
                "lease": _lease(c, record, beats.get(c.run_id or ""), wall),
                "released_reason": c.released_reason,
            }
        )
    return rows


def _lease(claim: Claim, record, beat, wall: datetime) -> str:
    if not claim.active:
        return "—"
    if claim.run_id is None or record is None:
        left = (claim.lease_until - wall).total_seconds() if claim.lease_until else 0
        return f"launch lease: {left:.0f} s left" if left > 0 else "launch lease expired"
    if record.dagster_run.is_finished:
        return "run finished: settles on the next sweep"
    why = why_dead(_started(record), beat, wall)
    if why:
        return f"run dead ({why})"
    if beat is None:
        return "run in flight (not started yet)"
    return f"run alive: heartbeat {(wall - beat.beat_at).total_seconds():.0f} s ago"


def _started(record) -> float:
    """When a run started (its creation, if the start was never recorded): liveness counts from it."""
    return record.start_time or record.create_timestamp.timestamp()


def _label(claim: Claim) -> str:
    what = "model" if claim.target == MODEL_TARGET else f"phase {claim.target}"
    return f"{what} {claim.game_date} attempt {claim.attempt}"


def describe(claims: Iterable[Claim]) -> list[str]:
    return [_label(c) for c in claims]

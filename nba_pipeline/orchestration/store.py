"""The coordination store: short-lived state shared by every process that triggers or runs phases.

Completion records (one per game date, phase and processor), trigger claims (exactly one winner per
phase, game date and upstream data version), circuit breakers per (phase, game date), the ledger of
processed message ids and readiness wait timers. `SqliteStore` is the embedded default (one file,
WAL, `BEGIN IMMEDIATE`); `FirestoreStore` is production (and the emulator). Both take the time as
an argument and never read a clock, so decisions replay exactly (ARCHITECTURE §4). Retention is
the caller's business: `purge_older_than` deletes whatever is older than the cutoff it is given.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from nba_pipeline.orchestration.emulators import DEFAULT_PROJECT
from nba_pipeline.orchestration.sqlite_db import SqliteFile
from nba_pipeline.tags import TRIGGERS

COMPLETION_STATUSES = ("success", "partial", "no_data", "failed")
CLAIM_STATES = ("claimed", "launched", "released", "done")  # done: its run succeeded
ACTIVE_CLAIM_STATES = ("claimed", "launched")
BREAKER_FAILURE_THRESHOLD = 5  # consecutive failures that open a breaker (DOMAIN §6)
BREAKER_RETRY_AFTER = timedelta(hours=1)  # an open breaker half-opens after this (DOMAIN §8 no. 15)
KINDS = ("completions", "claims", "breakers", "processed_messages", "waits")
_MAX_CAS_ROUNDS = 100  # Firestore compare-and-set rounds: n writers to one document need at most n


def _aware(value: datetime, name: str = "now") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Completion:
    game_date: date
    phase: int
    processor: str
    status: str  # one of COMPLETION_STATUSES
    rows: int
    correlation_id: str
    execution_id: str
    data_version: str
    mode: str
    completed_at: datetime

    def __post_init__(self) -> None:
        if self.status not in COMPLETION_STATUSES:
            raise ValueError(f"completion status {self.status!r} is not one of {COMPLETION_STATUSES}")
        if self.rows < 0:
            raise ValueError(f"completion rows must be >= 0, got {self.rows}")
        object.__setattr__(self, "completed_at", _aware(self.completed_at, "completed_at"))


@dataclass(frozen=True)
class Claim:
    phase: int
    game_date: date
    upstream_version: str
    claimant: str
    mode: str
    trigger: str  # one of nba_pipeline.tags.TRIGGERS
    correlation_id: str
    claimed_at: datetime
    state: str = "claimed"  # one of CLAIM_STATES
    run_id: str | None = None
    released_reason: str | None = None
    attempt: int = 1  # 1 + the times this key was released and claimed again (run keys differ per attempt)

    @property
    def key(self) -> str:
        return claim_key(self.phase, self.game_date, self.upstream_version)


def claim_key(phase: int, game_date: date, upstream_version: str) -> str:
    """The claim's key as one string (the `nba/claim` run tag)."""
    return f"{phase}|{game_date.isoformat()}|{upstream_version}"


def parse_claim_key(value: str) -> tuple[int, date, str]:
    phase, day, version = value.split("|", 2)
    return int(phase), date.fromisoformat(day), version


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    claim: Claim  # the holder's record: ours when won, the other claimant's when lost


class Breaker(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerRecord:
    """What is persisted. HALF_OPEN is never stored: it depends on the time and version asked about."""

    failures: int = 0
    opened_at: datetime | None = None
    opened_version: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class BreakerState:
    phase: int
    game_date: date
    state: Breaker
    failures: int
    opened_at: datetime | None
    opened_version: str | None

    @property
    def allows_run(self) -> bool:
        """Closed runs freely; half-open lets a trial run through; open blocks."""
        return self.state is not Breaker.OPEN


def breaker_transition(
    record: BreakerRecord | None, event: str, now: datetime, upstream_version: str
) -> tuple[BreakerRecord, Breaker]:
    """The only place breaker rules live. `event` is "failure", "success" or "check" (no change).

    Returns the record to persist and the state as seen at `now` for `upstream_version`."""
    record = record or BreakerRecord()
    if event == "success":
        return BreakerRecord(updated_at=now), Breaker.CLOSED
    if record.opened_at is None:
        state = Breaker.CLOSED
    elif now - record.opened_at >= BREAKER_RETRY_AFTER or upstream_version != record.opened_version:
        state = Breaker.HALF_OPEN  # time has passed, or new upstream data may fix what failed
    else:
        state = Breaker.OPEN
    if event == "check":
        return record, state
    if event != "failure":
        raise ValueError(f"unknown breaker event {event!r}")
    failures = record.failures + 1
    if state is Breaker.HALF_OPEN or (state is Breaker.CLOSED and failures >= BREAKER_FAILURE_THRESHOLD):
        return BreakerRecord(failures, now, upstream_version, now), Breaker.OPEN  # (re)open from now
    return replace(record, failures=failures, updated_at=now), state


class CoordinationStore(Protocol):
    def record_completion(self, c: Completion) -> None: ...
    def record_completions(self, completions: list[Completion]) -> None: ...
    def processed_among(self, message_ids: list[str]) -> set[str]: ...
    def mark_processed_many(self, message_ids: list[str], now: datetime) -> None: ...
    def completions(self, game_date: date, phase: int) -> list[Completion]: ...
    def claim(
        self,
        phase: int,
        game_date: date,
        upstream_version: str,
        claimant: str,
        mode: str,
        trigger: str,
        correlation_id: str,
        now: datetime,
    ) -> ClaimResult: ...
    def mark_launched(self, phase: int, game_date: date, upstream_version: str, run_id: str) -> Claim: ...
    def mark_done(self, phase: int, game_date: date, upstream_version: str, run_id: str) -> bool: ...
    def release(
        self, phase: int, game_date: date, upstream_version: str, reason: str, claimant: str | None = None
    ) -> bool: ...
    def get_claim(self, phase: int, game_date: date, upstream_version: str) -> Claim | None: ...
    def pending_claims(self, now: datetime, max_age: timedelta) -> list[Claim]: ...
    def record_failure(
        self, phase: int, game_date: date, now: datetime, upstream_version: str
    ) -> BreakerState: ...
    def record_success(self, phase: int, game_date: date, now: datetime) -> BreakerState: ...
    def breaker(self, phase: int, game_date: date, now: datetime, upstream_version: str) -> BreakerState: ...
    def mark_processed(self, message_id: str, now: datetime) -> bool: ...
    def is_processed(self, message_id: str) -> bool: ...
    def wait_started(self, phase: int, game_date: date, mode: str, now: datetime) -> datetime: ...
    def purge_older_than(self, cutoff: datetime) -> dict[str, int]: ...
    def reset(self) -> None: ...


def _new_claim(phase, game_date, upstream_version, claimant, mode, trigger, correlation_id, now) -> Claim:
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}; known: {', '.join(TRIGGERS)}")
    return Claim(phase, game_date, upstream_version, claimant, mode, trigger, correlation_id, _aware(now))


def _launch(claim: Claim | None, run_id: str) -> Claim:
    if claim is None:
        raise LookupError("cannot mark a launch on a claim that does not exist")
    if claim.state == "released":
        raise ValueError(f"claim {claim.phase}/{claim.game_date}/{claim.upstream_version} was released")
    return replace(claim, state="launched", run_id=run_id)


def _retaken(mine: Claim, held: Claim | None) -> Claim:
    """Claiming a released key again is the next attempt."""
    return replace(mine, attempt=held.attempt + 1) if held is not None else mine


def _finish(claim: Claim | None, run_id: str) -> Claim | None:
    """The claim marked done by its run's success; None when it is not that run's to finish."""
    if claim is None or claim.state == "released" or claim.run_id not in (None, run_id):
        return None
    return replace(claim, state="done", run_id=run_id)


def _releasable(claim: Claim | None, claimant: str | None) -> bool:
    """Only an active claim is released; with `claimant`, only that holder's (a late release by an
    earlier holder must not free a claim someone else has since won)."""
    return (
        claim is not None and claim.state != "released" and (claimant is None or claim.claimant == claimant)
    )


def _encode(value: Any, timestamp: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    return value.isoformat() if isinstance(value, date) else value


def _decode(name: str, value: Any, timestamp: Any) -> Any:
    if value is None:
        return None
    if name == "game_date":
        return date.fromisoformat(value)
    return timestamp(value) if name.endswith("_at") else value


def _as_fields(obj: Any, timestamp: Any) -> dict[str, Any]:
    """A record's fields by name, dates and times encoded for storage (SQL text or Firestore values)."""
    return {f.name: _encode(getattr(obj, f.name), timestamp) for f in fields(obj)}


def _from_fields(cls: type, stored: Mapping[str, Any], timestamp: Any) -> Any:
    # A field missing from an older record takes its default.
    present = set(stored.keys())
    return cls(
        **{f.name: _decode(f.name, stored[f.name], timestamp) for f in fields(cls) if f.name in present}
    )


# ---------------------------------------------------------------------------------------------
# SQLite: the embedded default (see sqlite_db for how one file is shared by many processes).

_SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
  game_date TEXT, phase INTEGER, processor TEXT, status TEXT, rows INTEGER, correlation_id TEXT,
  execution_id TEXT, data_version TEXT, mode TEXT, completed_at TEXT,
  PRIMARY KEY (game_date, phase, processor));
CREATE TABLE IF NOT EXISTS claims (
  phase INTEGER, game_date TEXT, upstream_version TEXT, claimant TEXT, mode TEXT, trigger TEXT,
  correlation_id TEXT, claimed_at TEXT, state TEXT, run_id TEXT, released_reason TEXT,
  attempt INTEGER DEFAULT 1, PRIMARY KEY (phase, game_date, upstream_version));
CREATE INDEX IF NOT EXISTS claims_by_time ON claims (claimed_at);
CREATE TABLE IF NOT EXISTS breakers (
  phase INTEGER, game_date TEXT, failures INTEGER, opened_at TEXT, opened_version TEXT, updated_at TEXT,
  PRIMARY KEY (phase, game_date));
CREATE TABLE IF NOT EXISTS processed_messages (message_id TEXT PRIMARY KEY, processed_at TEXT);
CREATE INDEX IF NOT EXISTS processed_by_time ON processed_messages (processed_at);
CREATE TABLE IF NOT EXISTS waits (
  phase INTEGER, game_date TEXT, mode TEXT, started_at TEXT, PRIMARY KEY (phase, game_date, mode));
"""
_AGE_FIELD = {
    "completions": "completed_at",
    "claims": "claimed_at",
    "breakers": "updated_at",
    "processed_messages": "processed_at",
    "waits": "started_at",
}
_CLAIM_KEY = "phase = ? AND game_date = ? AND upstream_version = ?"


def _text_ts(value: datetime) -> str:
    # Fixed-width UTC text sorts like time, so range queries and purges can compare strings.
    return _aware(value, "timestamp").isoformat(timespec="microseconds")


def _from_text(value: str) -> datetime:
    return datetime.fromisoformat(value)


class SqliteStore:
    def __init__(self, path: Path, busy_timeout_s: float = 30.0):
        self.path = Path(path)
        self._db = SqliteFile(self.path, _SCHEMA, busy_timeout_s)
        self._transaction, self._reading = self._db.transaction, self._db.reading

    @staticmethod
    def _put(con: sqlite3.Connection, table: str, values: Mapping[str, Any]) -> None:
        columns = ", ".join(values)
        marks = ", ".join("?" * len(values))
        con.execute(f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({marks})", tuple(values.values()))

    def record_completion(self, c: Completion) -> None:
        self.record_completions([c])

    def record_completions(self, completions: list[Completion]) -> None:
        with self._transaction() as con:  # one transaction for a batch
            for c in completions:
                self._put(con, "completions", _as_fields(c, _text_ts))

    def processed_among(self, message_ids: list[str]) -> set[str]:
        found: set[str] = set()
        with self._reading() as con:
            for start in range(0, len(message_ids), 500):  # within SQLite's bound on query variables
                chunk = message_ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = con.execute(
                    f"SELECT message_id FROM processed_messages WHERE message_id IN ({marks})", chunk
                )
                found |= {r[0] for r in rows}
        return found

    def mark_processed_many(self, message_ids: list[str], now: datetime) -> None:
        with self._transaction() as con:
            con.executemany(
                "INSERT OR IGNORE INTO processed_messages VALUES (?, ?)",
                [(m, _text_ts(now)) for m in message_ids],
            )

    def completions(self, game_date: date, phase: int) -> list[Completion]:
        with self._reading() as con:
            rows = con.execute(
                "SELECT * FROM completions WHERE game_date = ? AND phase = ? ORDER BY processor",
                (game_date.isoformat(), phase),
            ).fetchall()
        return [_from_fields(Completion, r, _from_text) for r in rows]

    @staticmethod
    def _get_claim(con, phase: int, game_date: date, upstream_version: str) -> Claim | None:
        key = (phase, game_date.isoformat(), upstream_version)
        row = con.execute(f"SELECT * FROM claims WHERE {_CLAIM_KEY}", key).fetchone()
        return _from_fields(Claim, row, _from_text) if row else None

    def claim(
        self, phase, game_date, upstream_version, claimant, mode, trigger, correlation_id, now
    ) -> ClaimResult:
        mine = _new_claim(phase, game_date, upstream_version, claimant, mode, trigger, correlation_id, now)
        # A held claim ends only by release, so seeing it held (a WAL read, no lock) means we lost;
        # only a possible winner queues for the write lock.
        holder = self.get_claim(phase, game_date, upstream_version)
        if holder is not None and holder.state != "released":
            return ClaimResult(False, holder)
        with self._transaction() as con:
            holder = self._get_claim(con, phase, game_date, upstream_version)
            if holder is not None and holder.state != "released":
                return ClaimResult(False, holder)
            mine = _retaken(mine, holder)
            self._put(con, "claims", _as_fields(mine, _text_ts))
        return ClaimResult(True, mine)

    def mark_launched(self, phase, game_date, upstream_version, run_id) -> Claim:
        with self._transaction() as con:
            launched = _launch(self._get_claim(con, phase, game_date, upstream_version), run_id)
            self._put(con, "claims", _as_fields(launched, _text_ts))
        return launched

    def mark_done(self, phase, game_date, upstream_version, run_id) -> bool:
        with self._transaction() as con:
            done = _finish(self._get_claim(con, phase, game_date, upstream_version), run_id)
            if done is not None:
                self._put(con, "claims", _as_fields(done, _text_ts))
        return done is not None

    def release(self, phase, game_date, upstream_version, reason, claimant=None) -> bool:
        with self._transaction() as con:
            held = self._get_claim(con, phase, game_date, upstream_version)
            if not _releasable(held, claimant):
                return False
            released = replace(held, state="released", released_reason=reason)
            self._put(con, "claims", _as_fields(released, _text_ts))
        return True

    def get_claim(self, phase, game_date, upstream_version) -> Claim | None:
        with self._reading() as con:
            return self._get_claim(con, phase, game_date, upstream_version)

    def pending_claims(self, now: datetime, max_age: timedelta) -> list[Claim]:
        with self._reading() as con:
            rows = con.execute(
                "SELECT * FROM claims WHERE state IN ('claimed', 'launched') AND claimed_at >= ?"
                " ORDER BY claimed_at, phase",
                (_text_ts(_aware(now) - max_age),),
            ).fetchall()
        return [_from_fields(Claim, r, _from_text) for r in rows]

    def _breaker_event(self, phase, game_date, now, upstream_version, event) -> BreakerState:
        key = (phase, game_date.isoformat())
        with self._transaction() as con:
            row = con.execute("SELECT * FROM breakers WHERE phase = ? AND game_date = ?", key).fetchone()
            record = _from_fields(BreakerRecord, row, _from_text) if row else None
            new, state = breaker_transition(record, event, _aware(now), upstream_version)
            if event != "check":
                values = {"phase": phase, "game_date": key[1], **_as_fields(new, _text_ts)}
                self._put(con, "breakers", values)
        return BreakerState(phase, game_date, state, new.failures, new.opened_at, new.opened_version)

    def record_failure(self, phase, game_date, now, upstream_version) -> BreakerState:
        return self._breaker_event(phase, game_date, now, upstream_version, "failure")

    def record_success(self, phase, game_date, now) -> BreakerState:
        return self._breaker_event(phase, game_date, now, "", "success")

    def breaker(self, phase, game_date, now, upstream_version) -> BreakerState:
        return self._breaker_event(phase, game_date, now, upstream_version, "check")

    def mark_processed(self, message_id: str, now: datetime) -> bool:
        with self._transaction() as con:
            cursor = con.execute(
                "INSERT OR IGNORE INTO processed_messages VALUES (?, ?)", (message_id, _text_ts(now))
            )
            return cursor.rowcount == 1

    def is_processed(self, message_id: str) -> bool:
        with self._reading() as con:
            found = con.execute("SELECT 1 FROM processed_messages WHERE message_id = ?", (message_id,))
            return found.fetchone() is not None

    def wait_started(self, phase, game_date, mode, now) -> datetime:
        key = (phase, game_date.isoformat(), mode)
        with self._transaction() as con:
            con.execute("INSERT OR IGNORE INTO waits VALUES (?, ?, ?, ?)", (*key, _text_ts(now)))
            row = con.execute(
                "SELECT started_at FROM waits WHERE phase = ? AND game_date = ? AND mode = ?", key
            ).fetchone()
        return _from_text(row["started_at"])

    def purge_older_than(self, cutoff: datetime) -> dict[str, int]:
        with self._transaction() as con:
            return {
                kind: con.execute(f"DELETE FROM {kind} WHERE {column} < ?", (_text_ts(cutoff),)).rowcount
                for kind, column in _AGE_FIELD.items()
            }

    def reset(self) -> None:
        with self._transaction() as con:
            for kind in KINDS:
                con.execute(f"DELETE FROM {kind}")


# ---------------------------------------------------------------------------------------------
# Firestore: production and the emulator. One document per key, one collection per kind.


def _doc_id(*parts: object) -> str:
    # Document ids may not contain "/" nor look like "__x__": quoting keeps any processor name or
    # version string safe and the parts unambiguous.
    return "|".join(quote(str(p), safe="") for p in parts)


def _keep(value: datetime) -> datetime:
    return _aware(value, "timestamp")  # Firestore stores datetimes natively


def _plain_utc(value: Any) -> datetime:
    """Firestore returns DatetimeWithNanoseconds; hand back plain UTC datetimes, as SQLite does."""
    v = value
    return datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, UTC)


class FirestoreStore:
    """`client` is shared by every thread when given; otherwise each thread (and each forked process)
    gets its own client (playbook §11). Read-modify-writes are compare-and-set on update times."""

    def __init__(
        self,
        project: str,
        client: Any = None,
        prefix: str = "nba",
        emulator_host: str | None = None,
        allow_reset: bool = False,
    ):
        self.project = project
        self.prefix = prefix
        self.emulator_host = emulator_host
        self.allow_reset = allow_reset
        self._shared_client = client
        self._local = threading.local()

    @property
    def client(self) -> Any:
        if self._shared_client is not None:
            return self._shared_client
        pid, client = getattr(self._local, "client", (None, None))
        if pid != os.getpid():  # gRPC channels do not survive a fork
            client = self._new_client()
            self._local.client = (os.getpid(), client)
        return client

    def _new_client(self) -> Any:
        from google.cloud import firestore

        if not self.emulator_host:
            return firestore.Client(project=self.project)
        from google.auth.credentials import AnonymousCredentials

        client = firestore.Client(project=self.project, credentials=AnonymousCredentials())
        # The library reads FIRESTORE_EMULATOR_HOST from os.environ only; setting the host it would
        # have read lets make_store honour the environment mapping it was given.
        client._emulator_host = self.emulator_host
        return client

    def _collection(self, kind: str) -> Any:
        return self.client.collection(f"{self.prefix}_{kind}")

    def _claim_ref(self, phase, game_date, upstream_version) -> Any:
        return self._collection("claims").document(_doc_id(phase, game_date.isoformat(), upstream_version))

    def _compare_and_set(self, ref: Any, change: Callable[[dict | None], tuple[dict | None, Any]]) -> Any:
        """Read the document, let change(current or None) -> (new values or None, result) decide,
        and write only if the document is still as read: absent (create) or unchanged since its
        update time (a server-checked precondition). On a conflict, read again and re-decide.

        Optimistic, not a Firestore transaction: every round has a winner and nobody waits on a
        lock. Contended transactions took ~2 s per conflicting pair on the emulator, and five
        writers to one document failed after 20 attempts (40 s); twenty compare-and-set claimants
        finish in ~0.1 s."""
        from google.api_core.exceptions import AlreadyExists, FailedPrecondition, NotFound

        for _ in range(_MAX_CAS_ROUNDS):
            snap = ref.get()
            new, result = change(snap.to_dict() if snap.exists else None)
            if new is None:
                return result
            try:
                if snap.exists:
                    ref.update(new, option=self.client.write_option(last_update_time=snap.update_time))
                else:
                    ref.create(new)
                return result
            except (AlreadyExists, FailedPrecondition, NotFound):
                continue  # someone else wrote (or purged) it first
        raise RuntimeError(f"{ref.path} kept changing for {_MAX_CAS_ROUNDS} rounds; gave up")

    @staticmethod
    def _where(query: Any, name: str, op: str, value: Any) -> Any:
        from google.cloud.firestore import FieldFilter

        return query.where(filter=FieldFilter(name, op, value))

    def record_completion(self, c: Completion) -> None:
        self.record_completions([c])

    def _batched(self, writes: list[tuple[Any, dict]]) -> None:
        """Set documents in write batches (Firestore takes at most 500 writes per batch)."""
        for start in range(0, len(writes), 500):
            batch = self.client.batch()
            for ref, fields_ in writes[start : start + 500]:
                batch.set(ref, fields_)
            batch.commit()

    def record_completions(self, completions: list[Completion]) -> None:
        docs = self._collection("completions")
        self._batched(
            [
                (docs.document(_doc_id(c.game_date.isoformat(), c.phase, c.processor)), _as_fields(c, _keep))
                for c in completions
            ]
        )

    def _ledger_ref(self, message_id: str) -> Any:
        return self._collection("processed_messages").document(_doc_id("msg", message_id))

    def processed_among(self, message_ids: list[str]) -> set[str]:
        if not message_ids:
            return set()
        snaps = self.client.get_all([self._ledger_ref(m) for m in message_ids])
        return {s.to_dict()["message_id"] for s in snaps if s.exists}

    def mark_processed_many(self, message_ids: list[str], now: datetime) -> None:
        # One consumer marks a batch it has recorded: a plain set, not the create-if-absent race guard.
        self._batched(
            [(self._ledger_ref(m), {"message_id": m, "processed_at": _keep(now)}) for m in message_ids]
        )

    def completions(self, game_date: date, phase: int) -> list[Completion]:
        # Equality filters only: Firestore merges single-field indexes, no composite index needed.
        query = self._where(self._collection("completions"), "game_date", "==", game_date.isoformat())
        query = self._where(query, "phase", "==", phase)
        found = [_from_fields(Completion, s.to_dict(), _plain_utc) for s in query.stream()]
        return sorted(found, key=lambda c: c.processor)

    def claim(
        self, phase, game_date, upstream_version, claimant, mode, trigger, correlation_id, now
    ) -> ClaimResult:
        mine = _new_claim(phase, game_date, upstream_version, claimant, mode, trigger, correlation_id, now)

        def take(held: Claim | None) -> tuple[Claim | None, ClaimResult]:
            if held is not None and held.state != "released":
                return None, ClaimResult(False, held)
            taken = _retaken(mine, held)
            return taken, ClaimResult(True, taken)

        return self._update_claim(phase, game_date, upstream_version, take)

    def _update_claim(self, phase, game_date, upstream_version, change) -> Any:
        """change(claim or None) -> (claim to write or None, result), applied atomically."""

        def on_document(current: dict | None) -> tuple[dict | None, Any]:
            new, result = change(_from_fields(Claim, current, _plain_utc) if current else None)
            return (None if new is None else _as_fields(new, _keep)), result

        return self._compare_and_set(self._claim_ref(phase, game_date, upstream_version), on_document)

    def mark_launched(self, phase, game_date, upstream_version, run_id) -> Claim:
        def launch(held):
            launched = _launch(held, run_id)
            return launched, launched

        return self._update_claim(phase, game_date, upstream_version, launch)

    def mark_done(self, phase, game_date, upstream_version, run_id) -> bool:
        def finish(held):
            done = _finish(held, run_id)
            return done, done is not None

        return self._update_claim(phase, game_date, upstream_version, finish)

    def release(self, phase, game_date, upstream_version, reason, claimant=None) -> bool:
        def free(held):
            if not _releasable(held, claimant):
                return None, False
            return replace(held, state="released", released_reason=reason), True

        return self._update_claim(phase, game_date, upstream_version, free)

    def get_claim(self, phase, game_date, upstream_version) -> Claim | None:
        snap = self._claim_ref(phase, game_date, upstream_version).get()
        return _from_fields(Claim, snap.to_dict(), _plain_utc) if snap.exists else None

    def pending_claims(self, now: datetime, max_age: timedelta) -> list[Claim]:
        # One range filter and the state checked here: the combination would need a composite
        # index in production, and claims are few (a handful per date and phase).
        query = self._where(self._collection("claims"), "claimed_at", ">=", _aware(now) - max_age)
        claims = [_from_fields(Claim, s.to_dict(), _plain_utc) for s in query.stream()]
        active = (c for c in claims if c.state in ACTIVE_CLAIM_STATES)
        return sorted(active, key=lambda c: (c.claimed_at, c.phase))

    def _breaker_event(self, phase, game_date, now, upstream_version, event) -> BreakerState:
        ref = self._collection("breakers").document(_doc_id(game_date.isoformat(), phase))

        def step(current: dict | None) -> tuple[dict | None, BreakerState]:
            record = _from_fields(BreakerRecord, current, _plain_utc) if current else None
            new, state = breaker_transition(record, event, _aware(now), upstream_version)
            result = BreakerState(phase, game_date, state, new.failures, new.opened_at, new.opened_version)
            if event == "check":
                return None, result
            return {"phase": phase, "game_date": game_date.isoformat(), **_as_fields(new, _keep)}, result

        return self._compare_and_set(ref, step)

    def record_failure(self, phase, game_date, now, upstream_version) -> BreakerState:
        return self._breaker_event(phase, game_date, now, upstream_version, "failure")

    def record_success(self, phase, game_date, now) -> BreakerState:
        return self._breaker_event(phase, game_date, now, "", "success")

    def breaker(self, phase, game_date, now, upstream_version) -> BreakerState:
        return self._breaker_event(phase, game_date, now, upstream_version, "check")

    def mark_processed(self, message_id: str, now: datetime) -> bool:
        from google.api_core.exceptions import AlreadyExists

        ref = self._ledger_ref(message_id)
        try:  # create() fails if the document exists: an atomic insert-if-absent without a lock
            ref.create({"message_id": message_id, "processed_at": _keep(now)})
            return True
        except AlreadyExists:
            return False

    def is_processed(self, message_id: str) -> bool:
        return self._ledger_ref(message_id).get().exists

    def wait_started(self, phase, game_date, mode, now) -> datetime:
        from google.api_core.exceptions import AlreadyExists

        ref = self._collection("waits").document(_doc_id(game_date.isoformat(), phase, mode))
        values = {"phase": phase, "game_date": game_date.isoformat(), "mode": mode, "started_at": _keep(now)}
        try:
            ref.create(values)
            return values["started_at"]
        except AlreadyExists:
            return _plain_utc(ref.get().get("started_at"))

    def _delete_all(self, query: Any) -> int:
        """Delete what a query matches, in batches below Firestore's 500 writes per commit."""
        deleted = 0
        while True:
            batch, size = self.client.batch(), 0
            for snap in query.limit(400).stream():
                batch.delete(snap.reference)
                size += 1
            if size == 0:
                return deleted
            batch.commit()
            deleted += size

    def purge_older_than(self, cutoff: datetime) -> dict[str, int]:
        return {
            kind: self._delete_all(self._where(self._collection(kind), field, "<", _keep(cutoff)))
            for kind, field in _AGE_FIELD.items()
        }

    def reset(self) -> None:
        if not self.allow_reset:
            raise RuntimeError("reset() deletes every coordination record; it is allowed only for tests")
        for kind in KINDS:
            self._delete_all(self._collection(kind))


def make_store(
    state_dir: Path, project: str | None = None, environ: Mapping[str, str] | None = None
) -> CoordinationStore:
    """Firestore when FIRESTORE_EMULATOR_HOST is set (the emulator, no credentials) or a GCP
    project is given (production); otherwise SQLite at state_dir/coordination.sqlite."""
    environ = os.environ if environ is None else environ
    emulator_host = environ.get("FIRESTORE_EMULATOR_HOST", "").strip()
    if emulator_host:
        return FirestoreStore(project or DEFAULT_PROJECT, emulator_host=emulator_host, allow_reset=True)
    if project:
        return FirestoreStore(project)
    return SqliteStore(Path(state_dir) / "coordination.sqlite")

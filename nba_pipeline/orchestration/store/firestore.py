"""The coordination store in Firestore: production and the emulator. One document per key, one
collection per kind; every read-modify-write is an optimistic compare-and-set on the document's
update time."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from nba_pipeline.orchestration.claims import Claim
from nba_pipeline.orchestration.store import KINDS
from nba_pipeline.orchestration.store.records import (
    Beat,
    BreakerRecord,
    Completion,
    as_fields,
    aware,
    decodable,
    from_fields,
)

_MAX_CAS_ROUNDS = 100  # n writers to one document need at most n rounds
# Collections whose documents changed shape with the claim lifecycle carry a version suffix.
COLLECTIONS = {
    "completions": "completions",
    "claims": "claims_v2",
    "breakers": "breakers_v2",
    "processed_messages": "processed_messages",
    "waits": "waits_v2",
    "heartbeats": "heartbeats",
}
AGE_FIELD = {
    "completions": "completed_at",
    "claims": "updated_at",
    "breakers": "updated_at",
    "processed_messages": "processed_at",
    "waits": "started_at",
    "heartbeats": "beat_at",
}


def _doc_id(*parts: object) -> str:
    # Document ids may not contain "/" nor look like "__x__": quoting keeps any processor name or
    # version string safe and the parts unambiguous.
    return "|".join(quote(str(p), safe="") for p in parts)


def _keep(value: datetime) -> datetime:
    return aware(value, "timestamp")  # Firestore stores datetimes natively


def _plain_utc(value: Any) -> datetime:
    """Firestore returns DatetimeWithNanoseconds; hand back plain UTC datetimes, as SQLite does."""
    v = value
    return datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, UTC)


class FirestoreStore:
    """`client` is shared by every thread when given; otherwise each thread (and each forked process)
    gets its own client (playbook §11)."""

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
        return self.client.collection(f"{self.prefix}_{COLLECTIONS[kind]}")

    @staticmethod
    def _where(query: Any, name: str, op: str, value: Any) -> Any:
        from google.cloud.firestore import FieldFilter

        return query.where(filter=FieldFilter(name, op, value))

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

    def _batched(self, writes: list[tuple[Any, dict]]) -> None:
        """Set documents in write batches (Firestore takes at most 500 writes per batch)."""
        for start in range(0, len(writes), 500):
            batch = self.client.batch()
            for ref, values in writes[start : start + 500]:
                batch.set(ref, values)
            batch.commit()

    # completions --------------------------------------------------------------------------------
    def record_completions(self, completions: list[Completion]) -> None:
        docs = self._collection("completions")
        self._batched(
            [
                (docs.document(_doc_id(c.game_date.isoformat(), c.phase, c.processor)), as_fields(c, _keep))
                for c in completions
            ]
        )

    def completions(self, game_date: date, phase: int) -> list[Completion]:
        # Equality filters only: Firestore merges single-field indexes, no composite index needed.
        query = self._where(self._collection("completions"), "game_date", "==", game_date.isoformat())
        query = self._where(query, "phase", "==", phase)
        found = [from_fields(Completion, s.to_dict(), _plain_utc) for s in query.stream()]
        return sorted(found, key=lambda c: c.processor)

    # the ledger ---------------------------------------------------------------------------------
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

    def mark_processed(self, message_id: str, now: datetime) -> bool:
        from google.api_core.exceptions import AlreadyExists

        try:  # create() fails if the document exists: an atomic insert-if-absent without a lock
            self._ledger_ref(message_id).create({"message_id": message_id, "processed_at": _keep(now)})
            return True
        except AlreadyExists:
            return False

    def is_processed(self, message_id: str) -> bool:
        return self._ledger_ref(message_id).get().exists

    # claims -------------------------------------------------------------------------------------
    def _claim_ref(self, key: str) -> Any:
        return self._collection("claims").document(_doc_id(key))

    def get_claim(self, key: str) -> Claim | None:
        snap = self._claim_ref(key).get()
        return from_fields(Claim, snap.to_dict(), _plain_utc) if snap.exists else None

    def update_claim(self, key: str, change: Callable[[Claim | None], tuple[Claim | None, Any]]) -> Any:
        def on_document(current: dict | None) -> tuple[dict | None, Any]:
            new, result = change(from_fields(Claim, current, _plain_utc) if current else None)
            if new is not None and new.key != key:
                raise ValueError(f"a change to claim {key} produced claim {new.key}")
            return (None if new is None else {"key": key, **as_fields(new, _keep)}), result

        return self._compare_and_set(self._claim_ref(key), on_document)

    def claims(
        self,
        *,
        states: tuple[str, ...] | None = None,
        run_id: str | None = None,
        game_date: date | None = None,
        moved_since: datetime | None = None,
    ) -> list[Claim]:
        # One filter on the server (single-field indexes suffice); the rest is checked here.
        query = self._collection("claims")
        if moved_since is not None:
            query = self._where(query, "updated_at", ">=", _keep(moved_since))
        elif run_id is not None:
            query = self._where(query, "run_id", "==", run_id)
        elif game_date is not None:
            query = self._where(query, "game_date", "==", game_date.isoformat())
        elif states:
            query = self._where(query, "state", "in", list(states))
        found = decodable(query.stream(), lambda s: from_fields(Claim, s.to_dict(), _plain_utc))
        found = [
            c
            for c in found
            if (not states or c.state in states)
            and (run_id is None or c.run_id == run_id)
            and (game_date is None or c.game_date == game_date)
            and (moved_since is None or (c.updated_at is not None and c.updated_at >= moved_since))
        ]
        return sorted(found, key=lambda c: (c.game_date, c.target, c.claimed_at))

    # breakers -----------------------------------------------------------------------------------
    def update_breaker(
        self,
        target: str,
        game_date: date,
        change: Callable[[BreakerRecord | None], tuple[BreakerRecord | None, Any]],
    ) -> Any:
        ref = self._collection("breakers").document(_doc_id(game_date.isoformat(), target))

        def on_document(current: dict | None) -> tuple[dict | None, Any]:
            new, result = change(from_fields(BreakerRecord, current, _plain_utc) if current else None)
            if new is None:
                return None, result
            return {"target": target, "game_date": game_date.isoformat(), **as_fields(new, _keep)}, result

        return self._compare_and_set(ref, on_document)

    # heartbeats ---------------------------------------------------------------------------------
    def beat(self, beat: Beat) -> None:
        self._collection("heartbeats").document(_doc_id(beat.run_id)).set(as_fields(beat, _keep))

    def beats(self, run_ids: list[str]) -> dict[str, Beat]:
        unique = list(dict.fromkeys(run_ids))
        if not unique:
            return {}
        docs = self._collection("heartbeats")
        snaps = self.client.get_all([docs.document(_doc_id(r)) for r in unique])
        beats = [from_fields(Beat, s.to_dict(), _plain_utc) for s in snaps if s.exists]
        return {b.run_id: b for b in beats}

    # waits --------------------------------------------------------------------------------------
    def wait_started(self, key: str, now: datetime) -> datetime:
        from google.api_core.exceptions import AlreadyExists

        ref = self._collection("waits").document(_doc_id(key))
        try:
            ref.create({"key": key, "started_at": _keep(now)})
            return _keep(now)
        except AlreadyExists:
            return _plain_utc(ref.get().get("started_at"))

    # housekeeping -------------------------------------------------------------------------------
    def _delete_all(
        self, query: Any, order: str = "__name__", keep: Callable[[dict], bool] = lambda _: False
    ) -> int:
        """Delete what a query matches (but what `keep` spares), page by page (ordered by the field
        a range filter is on, as Firestore requires), in batches below its 500 writes per commit."""
        deleted, cursor = 0, None
        while True:
            page = query.order_by(order).limit(400)
            if cursor is not None:
                page = page.start_after(cursor)
            snaps = list(page.stream())
            if not snaps:
                return deleted
            batch, size = self.client.batch(), 0
            for snap in snaps:
                if not keep(snap.to_dict()):
                    batch.delete(snap.reference)
                    size += 1
            if size:
                batch.commit()
            deleted += size
            cursor = snaps[-1]

    def purge(self, cutoffs: Mapping[str, datetime]) -> dict[str, int]:
        def live_claim(doc: dict) -> bool:
            return doc.get("state") in ("claimed", "launched")

        return {
            kind: self._delete_all(
                self._where(self._collection(kind), AGE_FIELD[kind], "<", _keep(cutoff)),
                AGE_FIELD[kind],
                live_claim if kind == "claims" else (lambda _: False),
            )
            for kind, cutoff in cutoffs.items()
        }

    def reset(self) -> None:
        if not self.allow_reset:
            raise RuntimeError("reset() deletes every coordination record; it is allowed only for tests")
        for kind in KINDS:
            self._delete_all(self._collection(kind))

"""The coordination store: short-lived state shared by every process that triggers or runs phases.

Completion records (one per game date, phase and processor), trigger claims, circuit-breaker
records, the ledger of processed message ids and settled runs, readiness wait timers and run
heartbeats. The store only persists: the rules of claims live in `orchestration.claims`, those of
breakers in `orchestration.breaker`, and each backend offers an atomic read-modify-write of one
record (`update_claim`, `update_breaker`) for them. `SqliteStore` is the embedded default (one file,
WAL, `BEGIN IMMEDIATE`); `FirestoreStore` is production (and the emulator). Times are arguments,
never read here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from nba_pipeline.orchestration.store.records import Beat, BreakerRecord, Completion

if TYPE_CHECKING:
    from nba_pipeline.orchestration.claims import Claim

T = TypeVar("T")
# Record kinds, each purged by its own age rule (observability.retention).
KINDS = ("completions", "claims", "breakers", "processed_messages", "waits", "heartbeats")


class CoordinationStore(Protocol):
    def record_completions(self, completions: list[Completion]) -> None: ...
    def completions(self, game_date: date, phase: int) -> list[Completion]: ...

    def processed_among(self, message_ids: list[str]) -> set[str]: ...
    def mark_processed_many(self, message_ids: list[str], now: datetime) -> None: ...
    def mark_processed(self, message_id: str, now: datetime) -> bool: ...
    def is_processed(self, message_id: str) -> bool: ...

    def get_claim(self, key: str) -> Claim | None: ...
    def update_claim(self, key: str, change: Callable[[Claim | None], tuple[Claim | None, T]]) -> T: ...
    def claims(
        self,
        *,
        states: tuple[str, ...] | None = None,
        run_id: str | None = None,
        game_date: date | None = None,
    ) -> list[Claim]: ...

    def update_breaker(
        self,
        target: str,
        game_date: date,
        change: Callable[[BreakerRecord | None], tuple[BreakerRecord | None, T]],
    ) -> T: ...

    def beat(self, beat: Beat) -> None: ...
    def beats(self, run_ids: list[str]) -> dict[str, Beat]: ...

    def wait_started(self, key: str, now: datetime) -> datetime: ...

    def purge(self, cutoffs: Mapping[str, datetime]) -> dict[str, int]: ...
    def reset(self) -> None: ...


def make_store(
    state_dir: Path, project: str | None = None, environ: Mapping[str, str] | None = None
) -> CoordinationStore:
    """Firestore when FIRESTORE_EMULATOR_HOST is set (the emulator, no credentials) or a GCP project
    is given (production); otherwise SQLite at state_dir/coordination.sqlite."""
    from nba_pipeline.orchestration.emulators import DEFAULT_PROJECT

    environ = os.environ if environ is None else environ
    emulator_host = environ.get("FIRESTORE_EMULATOR_HOST", "").strip()
    if emulator_host or project:
        from nba_pipeline.orchestration.store.firestore import FirestoreStore

        if emulator_host:
            return FirestoreStore(project or DEFAULT_PROJECT, emulator_host=emulator_host, allow_reset=True)
        return FirestoreStore(project)
    from nba_pipeline.orchestration.store.sqlite import SqliteStore

    return SqliteStore(Path(state_dir) / "coordination.sqlite")

"""The records the coordination store keeps besides claims, and how any record becomes stored fields.

Completions (one per game date, phase and processor), circuit-breaker records per (target, game
date), run heartbeats. Records are plain frozen dataclasses; the backends only persist them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

COMPLETION_STATUSES = ("success", "partial", "no_data", "failed")
log = logging.getLogger(__name__)


def aware(value: datetime, name: str = "now") -> datetime:
    """UTC, refusing naive times: every stored instant is unambiguous."""
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
        object.__setattr__(self, "completed_at", aware(self.completed_at, "completed_at"))


@dataclass(frozen=True)
class BreakerRecord:
    """What is persisted per (target, game date). HALF_OPEN is never stored: it depends on the time
    and the version asked about. `counted` holds the runs whose failure was counted, so settling a
    run twice never counts it twice."""

    failures: int = 0
    opened_at: datetime | None = None
    opened_version: str | None = None
    updated_at: datetime | None = None
    counted: str = ""  # comma-separated run ids of the failures counted since the last success


@dataclass(frozen=True)
class Beat:
    """A run's last sign of life: its worker writes one every few seconds while it executes."""

    run_id: str
    holder: str  # pid@host of the process executing the run
    beat_at: datetime  # wall clock


def encode(value: Any, timestamp: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    return value.isoformat() if isinstance(value, date) else value


def decode(name: str, value: Any, timestamp: Any) -> Any:
    if value is None:
        return None
    if name == "game_date":
        return date.fromisoformat(value)
    return timestamp(value) if name.endswith("_at") or name == "lease_until" else value


def as_fields(record: Any, timestamp: Any) -> dict[str, Any]:
    """A record's fields by name, dates and times encoded for storage (SQL text or Firestore values)."""
    return {f.name: encode(getattr(record, f.name), timestamp) for f in fields(record)}


def from_fields(cls: type, stored: Mapping[str, Any], timestamp: Any) -> Any:
    # A field missing from an older record takes its default; a stored field the class no longer has
    # is ignored.
    present = set(stored.keys())
    return cls(
        **{f.name: decode(f.name, stored[f.name], timestamp) for f in fields(cls) if f.name in present}
    )


def decodable(stored: Iterable, decode_one: Callable[[Any], Any]) -> list:
    """Every record that decodes; a corrupt one is logged and left out of a listing, so one bad record
    never takes a whole sensor tick down (reading it by its key still raises, for that key alone)."""
    out = []
    for item in stored:
        try:
            out.append(decode_one(item))
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("skipped a coordination record that does not decode: %s: %s", type(exc).__name__, exc)
    return out

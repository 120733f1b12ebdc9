"""Completion envelopes: the message every phase materialization publishes on its phase topic.

One envelope per processor (table), game date and run. Outside loaders publish the same shape for
Phase 1/2 data they load themselves (`source` = "external"); the intake sensor validates every
message against this model and dead-letters what does not fit, with the reason.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nba_pipeline.orchestration.bus import TOPICS
from nba_pipeline.orchestration.store import Completion
from nba_pipeline.phases import PHASE_BY_NUMBER


class InvalidEnvelope(ValueError):
    """A message that is not a completion envelope; the message says why in one line."""


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    processor: str = Field(min_length=1)  # the table, e.g. nbac_gamebook_player_stats
    phase: int = Field(ge=1, le=6)
    game_date: date
    status: Literal["success", "partial", "no_data", "failed"]
    rows: int = Field(ge=0)
    correlation_id: str = Field(min_length=1)
    execution_id: str = Field(min_length=1)  # the Dagster run id, or the outside loader's job id
    duration_seconds: float = Field(ge=0)
    mode: Literal["overnight", "same_day", "tomorrow", "manual", "backfill"]
    published_at: datetime
    source: Literal["dagster", "external"] = "dagster"

    @field_validator("published_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("published_at must carry a time zone")
        return value

    @property
    def topic(self) -> str:
        return topic_of(self.phase)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    def attributes(self) -> dict[str, str]:
        # Pub/Sub filters and dashboards read attributes without parsing the body.
        return {"phase": str(self.phase), "game_date": self.game_date.isoformat(), "status": self.status}

    def completion(self) -> Completion:
        return Completion(
            game_date=self.game_date,
            phase=self.phase,
            processor=self.processor,
            status=self.status,
            rows=self.rows,
            correlation_id=self.correlation_id,
            execution_id=self.execution_id,
            data_version=self.execution_id,
            mode=self.mode,
            completed_at=self.published_at,
        )


def topic_of(phase: int) -> str:
    """nba-phase{N}-…-complete, the original's names."""
    if phase not in PHASE_BY_NUMBER:
        raise ValueError(f"no phase {phase}")
    return TOPICS[phase - 1]


def parse_envelope(data: bytes) -> Envelope:
    """The envelope in a message body, or InvalidEnvelope naming the first problem."""
    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEnvelope(f"not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise InvalidEnvelope(f"not a JSON object: {type(payload).__name__}")
    try:
        return Envelope.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "envelope"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InvalidEnvelope(f"{where}: {first['msg']}{more}") from None

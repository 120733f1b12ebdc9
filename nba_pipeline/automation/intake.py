"""Intake of completion envelopes from the bus: outside loaders' Phase 1/2 data enters Dagster here.

Bounded by messages and seconds (a sensor has 60 s). Each message is validated; a valid external
completion becomes a runless materialization of its asset (which the cascade sensors see like any
other) and a completion record; only then is the message acked. A message id seen before is acked
and ignored; a malformed one is dead-lettered with the reason; a message that fails for another
reason (the store is unreachable) is left unacked and comes back. Nothing is lost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import dagster as dg

from nba_pipeline.automation.jobs import phase_assets
from nba_pipeline.observability.audit import Event, completion_event, write_events
from nba_pipeline.orchestration.bus import Message, SignalBus, subscription_for
from nba_pipeline.orchestration.envelopes import Envelope, InvalidEnvelope, parse_envelope, topic_of
from nba_pipeline.orchestration.store import CoordinationStore
from nba_pipeline.partitions import FIRST_GAME_DATE
from nba_pipeline.resources.warehouse import Warehouse

INTAKE_PHASES = (1, 2)  # what outside loaders publish
MAX_MESSAGES = 2000  # per tick, over all subscriptions
BUDGET_SECONDS = 20.0  # well inside Dagster's 60 s sensor timeout
BATCH = 500


@dataclass
class IntakeReport:
    recorded: int = 0  # external completions now in Dagster and the store
    own: int = 0  # envelopes of Dagster's own runs (already recorded when the run settled)
    duplicates: int = 0
    dead_lettered: list[str] = field(default_factory=list)  # "message id: reason"
    retry: list[str] = field(default_factory=list)  # left unacked: "message id: error"

    @property
    def handled(self) -> int:
        return self.recorded + self.own + self.duplicates + len(self.dead_lettered)

    def summary(self) -> str:
        return (
            f"{self.recorded} recorded, {self.own} own, {self.duplicates} duplicates, "
            f"{len(self.dead_lettered)} dead-lettered, {len(self.retry)} to retry"
        )


class Rejected(ValueError):
    """A well-formed envelope this platform cannot accept (wrong topic, unknown processor)."""


def _accept(envelope: Envelope, phase: int) -> dg.AssetKey:
    if envelope.phase != phase:
        raise Rejected(f"a phase {envelope.phase} envelope on the phase {phase} topic")
    known = phase_assets(phase)
    if envelope.processor not in known:
        raise Rejected(
            f"unknown processor {envelope.processor!r} for phase {phase}; known: {', '.join(known)}"
        )
    if envelope.game_date < FIRST_GAME_DATE:
        raise Rejected(f"game_date {envelope.game_date} is before the first partition {FIRST_GAME_DATE}")
    return known[envelope.processor]


def _record(
    instance: dg.DagsterInstance, store: CoordinationStore, envelope: Envelope, key: dg.AssetKey
) -> None:
    if envelope.status != "failed":
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                asset_key=key,
                partition=envelope.game_date.isoformat(),
                description=f"loaded outside Dagster ({envelope.execution_id})",
                metadata={
                    "dagster/row_count": envelope.rows,
                    "status": envelope.status,
                    "source": "external",
                    "correlation_id": envelope.correlation_id,
                    "execution_id": envelope.execution_id,
                    "mode": envelope.mode,
                },
            )
        )
    store.record_completion(envelope.completion())


def _recorded_before(store: CoordinationStore, envelope: Envelope) -> bool:
    return any(
        c.processor == envelope.processor
        and c.data_version == envelope.execution_id
        and c.status == envelope.status
        for c in store.completions(envelope.game_date, envelope.phase)
    )


def _handle(
    message: Message,
    phase: int,
    instance,
    store: CoordinationStore,
    now: datetime,
    report: IntakeReport,
    events: list[Event],
) -> bool:
    """True when the message is settled (ack it)."""
    if store.is_processed(message.message_id):
        report.duplicates += 1
        return True
    envelope = parse_envelope(message.data)  # InvalidEnvelope: dead-lettered by the caller
    key = _accept(envelope, phase)
    if _recorded_before(store, envelope):  # a loader's retry: a new message, the same completion
        report.duplicates += 1
    elif envelope.source == "dagster":
        report.own += 1
    else:
        _record(instance, store, envelope, key)
        events.append(completion_event(envelope, "external"))
        report.recorded += 1
    store.mark_processed(message.message_id, now)
    return True


def take_in(
    bus: SignalBus,
    store: CoordinationStore,
    instance: dg.DagsterInstance,
    now: datetime,
    max_messages: int = MAX_MESSAGES,
    budget_seconds: float = BUDGET_SECONDS,
    warehouse: Warehouse | None = None,
) -> IntakeReport:
    """With a warehouse, each recorded completion is also an orchestration event (written before
    the batch is acked)."""
    report, began = IntakeReport(), time.monotonic()
    for phase in INTAKE_PHASES:
        topic = topic_of(phase)
        subscription = subscription_for(topic)
        bus.ensure(topic, subscription)
        while report.handled + len(report.retry) < max_messages and time.monotonic() - began < budget_seconds:
            batch = bus.pull(subscription, min(BATCH, max_messages - report.handled), timeout_s=0.5)
            if not batch:
                break
            acks, nacks, events = [], [], []
            for message in batch:
                try:
                    _handle(message, phase, instance, store, now, report, events)
                    acks.append(message.ack_id)
                except (InvalidEnvelope, Rejected) as exc:
                    bus.dead_letter(subscription, message, str(exc))
                    report.dead_lettered.append(f"{message.message_id}: {exc}")
                except Exception as exc:  # noqa: BLE001 - one bad message never takes the sensor down
                    nacks.append(message.ack_id)
                    report.retry.append(f"{message.message_id}: {type(exc).__name__}: {exc}")
            if warehouse is not None:
                write_events(warehouse, events, now)
            if acks:
                bus.ack(subscription, acks)
            if nacks:
                bus.nack(subscription, nacks)
                break  # they would come straight back; the next tick retries them
    return report

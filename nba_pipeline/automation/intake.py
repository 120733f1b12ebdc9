"""Intake of completion envelopes from the bus: outside loaders' Phase 1/2 data enters Dagster here.

Bounded by messages and seconds (a sensor has 60 s; the budget is checked message by message, and
what a tick has no time for is handed back at once). Each message is validated; a valid external
completion becomes a runless materialization of its asset (which the cascade sensors see like any
other) and a completion record; only then is the message acked. A message id seen before is acked
and ignored; a malformed one, or one for a date outside the partitions, is dead-lettered with the
reason; a message that fails for another reason (the store is unreachable) is left unacked and comes
back. Nothing is lost, and nothing is materialized twice: the ledger marks a completion as pending
before its materialization, and a redelivered pending one is materialized only if Dagster does not
already hold it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import dagster as dg

from nba_pipeline.automation.jobs import phase_assets
from nba_pipeline.observability.audit import Event, completion_event, write_events
from nba_pipeline.orchestration.bus import Message, SignalBus, subscription_for
from nba_pipeline.orchestration.envelopes import Envelope, InvalidEnvelope, parse_envelope, topic_of
from nba_pipeline.orchestration.store import Completion, CoordinationStore
from nba_pipeline.partitions import FIRST_GAME_DATE, GAME_DATE_PARTITIONS
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
    deferred: int = 0  # handed back unread: the tick's time was up

    @property
    def handled(self) -> int:
        return self.recorded + self.own + self.duplicates + len(self.dead_lettered)

    def summary(self) -> str:
        return (
            f"{self.recorded} recorded, {self.own} own, {self.duplicates} duplicates, "
            f"{len(self.dead_lettered)} dead-lettered, {len(self.retry)} to retry, {self.deferred} deferred"
        )


class Rejected(ValueError):
    """A well-formed envelope this platform cannot accept (wrong topic, unknown processor)."""


def _accept(envelope: Envelope, phase: int, last_partition: str) -> dg.AssetKey:
    if envelope.phase != phase:
        raise Rejected(f"a phase {envelope.phase} envelope on the phase {phase} topic")
    known = phase_assets(phase)
    if envelope.processor not in known:
        raise Rejected(
            f"unknown processor {envelope.processor!r} for phase {phase}; known: {', '.join(known)}"
        )
    if not FIRST_GAME_DATE.isoformat() <= envelope.game_date.isoformat() <= last_partition:
        raise Rejected(
            f"date outside partitions: game_date {envelope.game_date} is not in"
            f" {FIRST_GAME_DATE}..{last_partition}"
        )
    return known[envelope.processor]


def _materialize(instance: dg.DagsterInstance, envelope: Envelope, key: dg.AssetKey) -> None:
    if envelope.status == "failed":
        return
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


def content_key(envelope: Envelope) -> str:
    """The completion a message announces: a loader's retry re-publishes it under a new message id."""
    e = envelope
    return f"completion:{e.phase}|{e.game_date}|{e.processor}|{e.execution_id}|{e.status}"


def pending_key(content: str) -> str:
    return f"pending:{content}"


def _already_materialized(instance: dg.DagsterInstance, envelope: Envelope, key: dg.AssetKey) -> bool:
    """Whether Dagster holds this completion's runless materialization (a retry after a crash between
    the materialization and the ledger write)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(key, asset_partitions=[envelope.game_date.isoformat()]), limit=20
    ).records
    for record in records:
        meta = record.asset_materialization.metadata if record.asset_materialization else {}
        found = meta.get("execution_id")
        if found is not None and found.value == envelope.execution_id:
            return True
    return False


def _parsed(message: Message) -> Envelope | Exception:
    try:
        return parse_envelope(message.data)
    except InvalidEnvelope as exc:
        return exc


@dataclass
class _Batch:
    """One pulled batch: the ledger read once for every message id and announced completion, the
    records written once — a round trip each, not one per message."""

    store: CoordinationStore
    instance: dg.DagsterInstance
    phase: int
    report: IntakeReport
    messages: list[Message]
    last_partition: str
    completions: list[Completion] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)  # ledger keys to mark processed
    to_materialize: list[tuple[Envelope, dg.AssetKey, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.envelopes = {m.message_id: _parsed(m) for m in self.messages}
        contents = [content_key(e) for e in self.envelopes.values() if isinstance(e, Envelope)]
        keys = [m.message_id for m in self.messages] + contents + [pending_key(c) for c in contents]
        self.seen = self.store.processed_among(keys)

    def handle(self, message: Message) -> None:
        if message.message_id in self.seen:
            self.report.duplicates += 1
            return
        envelope = self.envelopes[message.message_id]
        if isinstance(envelope, Exception):
            raise envelope  # dead-lettered by the caller
        key = _accept(envelope, self.phase, self.last_partition)
        content = content_key(envelope)
        if content in self.seen:  # a loader's retry: a new message, the same completion
            self.report.duplicates += 1
        elif envelope.source == "dagster":
            self.report.own += 1
        else:
            self.to_materialize.append((envelope, key, pending_key(content) in self.seen))
            self.completions.append(envelope.completion())
            self.events.append(completion_event(envelope, "external"))
            self.report.recorded += 1
        self.seen |= {message.message_id, content}
        self.settled += [message.message_id, content]

    def persist(self, now: datetime, warehouse: Warehouse | None) -> None:
        """Ledger first (pending), then Dagster, then the records: a crash anywhere leaves a state the
        redelivery completes without a second materialization."""
        fresh = [(e, k) for e, k, pending in self.to_materialize if not pending]
        self.store.mark_processed_many([pending_key(content_key(e)) for e, _ in fresh], now)
        for envelope, key, pending in self.to_materialize:
            if not pending or not _already_materialized(self.instance, envelope, key):
                _materialize(self.instance, envelope, key)
        self.store.record_completions(self.completions)
        self.store.mark_processed_many(self.settled, now)
        if warehouse is not None:
            write_events(warehouse, self.events, now)


def take_in(
    bus: SignalBus,
    store: CoordinationStore,
    instance: dg.DagsterInstance,
    now: datetime,
    max_messages: int = MAX_MESSAGES,
    budget_seconds: float = BUDGET_SECONDS,
    warehouse: Warehouse | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> IntakeReport:
    """With a warehouse, each recorded completion is also an orchestration event (written before
    the batch is acked). `clock` measures the tick's budget (wall-clock seconds)."""
    report, began = IntakeReport(), clock()
    last_partition = GAME_DATE_PARTITIONS.get_last_partition_key()

    def out_of_time() -> bool:
        return clock() - began >= budget_seconds

    for phase in INTAKE_PHASES:
        topic = topic_of(phase)
        subscription = subscription_for(topic)
        bus.ensure(topic, subscription)
        while report.handled + len(report.retry) < max_messages and not out_of_time():
            batch = bus.pull(subscription, min(BATCH, max_messages - report.handled), timeout_s=0.5)
            if not batch:
                break
            acks, nacks, later = [], [], []
            work = _Batch(store, instance, phase, report, batch, last_partition)
            for message in batch:
                if out_of_time():  # the rest of the batch goes back at once, for the next tick
                    later.append(message.ack_id)
                    continue
                try:
                    work.handle(message)
                    acks.append(message.ack_id)
                except (InvalidEnvelope, Rejected) as exc:
                    bus.dead_letter(subscription, message, str(exc))
                    report.dead_lettered.append(f"{message.message_id}: {exc}")
                except Exception as exc:  # noqa: BLE001 - one bad message never takes the sensor down
                    nacks.append(message.ack_id)
                    report.retry.append(f"{message.message_id}: {type(exc).__name__}: {exc}")
            work.persist(now, warehouse)  # recorded before anything is acked
            if acks:
                bus.ack(subscription, acks)
            if nacks or later:
                bus.nack(subscription, nacks + later)
            report.deferred += len(later)
            if nacks or later:
                break  # they would come straight back; the next tick retries them
    return report

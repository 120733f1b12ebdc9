"""The signal bus: phase-completion messages between processes, at-least-once.

`SqliteBus` is the embedded default (one file shared by every local process); `PubSubBus` is
production and the emulator, using synchronous pull. Both behave alike: a pulled message is leased
for the subscription's ack deadline and delivered again (delivery_attempt + 1) unless acked; after
MAX_DELIVERY_ATTEMPTS deliveries a message goes to `<topic>-dlq` on its own (a consumer that
crashes on it can never lose it nor loop on it forever); `dead_letter` sends one there on purpose
with a reason. Nothing is lost: every message is acked after the caller recorded it, or
dead-lettered.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from nba_pipeline.orchestration.emulators import DEFAULT_PROJECT
from nba_pipeline.orchestration.sqlite_db import SqliteFile

TOPICS = (
    "nba-phase1-scrapers-complete",
    "nba-phase2-raw-complete",
    "nba-phase3-analytics-complete",
    "nba-phase4-precompute-complete",
    "nba-phase5-predictions-complete",
    "nba-phase6-export-complete",
)
ACK_DEADLINE_S = 60  # Pub/Sub accepts 10..600 s
MAX_DELIVERY_ATTEMPTS = 5  # Pub/Sub accepts 5..100
MAX_PULL = 1000  # Pub/Sub returns at most 1,000 messages per pull
DLQ_SUFFIX = "-dlq"
REASON_ATTR, ORIGINAL_ID_ATTR = "dead_letter_reason", "original_message_id"


def subscription_for(topic: str) -> str:
    return f"{topic}-sub"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


class NotFoundError(LookupError):
    """A topic or subscription that does not exist (call `ensure` first)."""


@dataclass(frozen=True)
class Message:
    message_id: str
    data: bytes
    attributes: Mapping[str, str]
    ack_id: str
    publish_time: datetime
    delivery_attempt: int  # 1 on the first delivery; 0 from Pub/Sub without a dead-letter policy


class SignalBus(Protocol):
    def ensure(
        self,
        topic: str,
        subscription: str,
        ack_deadline_s: int = ACK_DEADLINE_S,
        max_delivery_attempts: int | None = MAX_DELIVERY_ATTEMPTS,
    ) -> None: ...
    def publish(self, topic: str, data: bytes, attributes: Mapping[str, str] | None = None) -> str: ...
    def publish_many(self, topic: str, items: Iterable[tuple[bytes, Mapping[str, str]]]) -> list[str]: ...
    def pull(self, subscription: str, max_messages: int = 100, timeout_s: float = 1.0) -> list[Message]: ...
    def ack(self, subscription: str, ack_ids: Sequence[str]) -> None: ...
    def nack(self, subscription: str, ack_ids: Sequence[str]) -> None: ...
    def dead_letter(self, subscription: str, message: Message, reason: str) -> str: ...
    def reset(self) -> None: ...


def _check_attributes(attributes: Mapping[str, str] | None) -> dict[str, str]:
    attributes = dict(attributes or {})
    bad = [k for k, v in attributes.items() if not isinstance(k, str) or not isinstance(v, str)]
    if bad:
        raise TypeError(f"message attributes must be str -> str; not: {bad}")
    return attributes


def _check_batch(max_messages: int) -> None:
    if not 1 <= max_messages <= MAX_PULL:
        raise ValueError(f"max_messages must be 1..{MAX_PULL}, got {max_messages}")


def _dead_letter(bus: Any, subscription: str, topic: str, message: Message, reason: str) -> str:
    """Publish to <topic>-dlq, then ack. A crash between the two redelivers the original, which is
    dead-lettered again: a duplicate in the DLQ, never a loss."""
    dlq = dead_letter_topic(topic)
    bus.ensure(dlq, subscription_for(dlq), max_delivery_attempts=None)
    attributes = {**message.attributes, REASON_ATTR: reason, ORIGINAL_ID_ATTR: message.message_id}
    dlq_id = bus.publish(dlq, message.data, attributes)
    bus.ack(subscription, [message.ack_id])
    return dlq_id


# ---------------------------------------------------------------------------------------------
# SQLite: the embedded default (sqlite_db shares one file between processes). One row per message
# and one per (subscription, message) delivery; a pull leases due deliveries inside BEGIN IMMEDIATE,
# so two pullers never lease the same one.

_SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS subscriptions (
  name TEXT PRIMARY KEY, topic TEXT NOT NULL, ack_deadline_s REAL NOT NULL, max_delivery_attempts INTEGER);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT UNIQUE NOT NULL, topic TEXT NOT NULL,
  data BLOB NOT NULL, attributes TEXT NOT NULL, publish_time REAL NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  subscription TEXT NOT NULL, seq INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  lease_until REAL NOT NULL DEFAULT 0, ack_id TEXT, PRIMARY KEY (subscription, seq));
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (subscription, lease_until);
CREATE INDEX IF NOT EXISTS deliveries_by_ack ON deliveries (subscription, ack_id);
"""


class SqliteBus:
    """`clock` (seconds since the epoch) drives leases and publish times, so tests can expire a
    lease without sleeping."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time, busy_timeout_s: float = 30.0):
        self.path = Path(path)
        self.clock = clock
        self._transaction = SqliteFile(self.path, _SCHEMA, busy_timeout_s).transaction

    def ensure(
        self, topic, subscription, ack_deadline_s=ACK_DEADLINE_S, max_delivery_attempts=MAX_DELIVERY_ATTEMPTS
    ):
        if max_delivery_attempts is not None and not topic.endswith(DLQ_SUFFIX):
            dlq = dead_letter_topic(topic)  # exists, with its subscription, before anything goes there
            self.ensure(dlq, subscription_for(dlq), max_delivery_attempts=None)
        else:
            max_delivery_attempts = None
        with self._transaction() as con:
            con.execute("INSERT OR IGNORE INTO topics VALUES (?)", (topic,))
            con.execute(
                "INSERT OR IGNORE INTO subscriptions VALUES (?, ?, ?, ?)",
                (subscription, topic, ack_deadline_s, max_delivery_attempts),
            )

    @staticmethod
    def _insert(
        con: sqlite3.Connection, topic: str, rows: list[tuple[bytes, dict[str, str]]], now: float
    ) -> list[str]:
        if con.execute("SELECT 1 FROM topics WHERE name = ?", (topic,)).fetchone() is None:
            raise NotFoundError(f"topic {topic!r} does not exist")
        # Random ids, not the sequence: ids must never repeat even if this file is deleted, or the
        # processed-message ledger would take new messages for duplicates.
        ids = [uuid.uuid4().hex for _ in rows]
        con.executemany(
            "INSERT INTO messages (message_id, topic, data, attributes, publish_time) VALUES (?, ?, ?, ?, ?)",
            [
                (mid, topic, data, json.dumps(attrs), now)
                for mid, (data, attrs) in zip(ids, rows, strict=True)
            ],
        )
        # As in Pub/Sub, a message reaches the subscriptions that exist when it is published (and
        # one published where no subscription exists is not kept).
        marks = ", ".join("?" * len(ids))
        con.execute(
            "INSERT INTO deliveries (subscription, seq) SELECT s.name, m.seq FROM subscriptions s"
            f" JOIN messages m ON m.topic = s.topic WHERE m.message_id IN ({marks})",
            ids,
        )
        con.execute(
            f"DELETE FROM messages WHERE message_id IN ({marks}) AND NOT EXISTS"
            " (SELECT 1 FROM deliveries d WHERE d.seq = messages.seq)",
            ids,
        )
        return ids

    def publish(self, topic, data, attributes=None) -> str:
        return self.publish_many(topic, [(data, attributes or {})])[0]

    def publish_many(self, topic, items) -> list[str]:
        rows = [(bytes(data), _check_attributes(attrs)) for data, attrs in items]
        ids: list[str] = []
        with self._transaction() as con:
            for start in range(0, len(rows), 500):  # stay under SQLite's bound-parameter limit
                ids += self._insert(con, topic, rows[start : start + 500], self.clock())
        return ids

    def _subscription(self, con: sqlite3.Connection, subscription: str) -> sqlite3.Row:
        row = con.execute("SELECT * FROM subscriptions WHERE name = ?", (subscription,)).fetchone()
        if row is None:
            raise NotFoundError(f"subscription {subscription!r} does not exist")
        return row

    def _lease(self, subscription: str, max_messages: int) -> list[Message]:
        leased = []
        with self._transaction() as con:
            sub, now = self._subscription(con, subscription), self.clock()
            due = con.execute(
                "SELECT d.seq, d.attempts, m.* FROM deliveries d JOIN messages m ON m.seq = d.seq"
                " WHERE d.subscription = ? AND d.lease_until <= ? ORDER BY d.seq LIMIT ?",
                (subscription, now, max_messages),
            ).fetchall()
            for row in due:
                limit = sub["max_delivery_attempts"]
                if limit is not None and row["attempts"] >= limit:
                    self._forward_exhausted(con, sub, row, now)
                    continue
                attempt = row["attempts"] + 1
                ack_id = f"{row['message_id']}:{attempt}"  # a stale lease's ack id never acks a later one
                con.execute(
                    "UPDATE deliveries SET attempts = ?, lease_until = ?, ack_id = ?"
                    " WHERE subscription = ? AND seq = ?",
                    (attempt, now + sub["ack_deadline_s"], ack_id, subscription, row["seq"]),
                )
                leased.append(
                    Message(
                        row["message_id"],
                        row["data"],
                        json.loads(row["attributes"]),
                        ack_id,
                        datetime.fromtimestamp(row["publish_time"], UTC),
                        attempt,
                    )
                )
        return leased

    def _forward_exhausted(
        self, con: sqlite3.Connection, sub: sqlite3.Row, row: sqlite3.Row, now: float
    ) -> None:
        """What Pub/Sub's dead-letter policy does: move a message nobody acked to <topic>-dlq."""
        attributes = {
            **json.loads(row["attributes"]),
            REASON_ATTR: f"not acknowledged after {row['attempts']} deliveries",
            ORIGINAL_ID_ATTR: row["message_id"],
        }
        self._insert(con, dead_letter_topic(sub["topic"]), [(row["data"], attributes)], now)
        self._drop(con, sub["name"], "seq = ?", [row["seq"]])

    @staticmethod
    def _drop(con: sqlite3.Connection, subscription: str, where: str, values: list) -> None:
        seqs = [
            r["seq"]
            for r in con.execute(
                f"SELECT seq FROM deliveries WHERE subscription = ? AND {where}", [subscription, *values]
            )
        ]
        marks = ", ".join("?" * len(seqs))
        con.execute(
            f"DELETE FROM deliveries WHERE subscription = ? AND seq IN ({marks})", [subscription, *seqs]
        )
        # A message stays while any subscription still has to deliver it.
        con.execute(
            f"DELETE FROM messages WHERE seq IN ({marks}) AND NOT EXISTS"
            " (SELECT 1 FROM deliveries d WHERE d.seq = messages.seq)",
            seqs,
        )

    def pull(self, subscription, max_messages=100, timeout_s=1.0) -> list[Message]:
        """Up to max_messages due messages; waits up to timeout_s for the first to arrive."""
        _check_batch(max_messages)
        deadline = time.monotonic() + timeout_s
        while True:
            leased = self._lease(subscription, max_messages)
            if leased or time.monotonic() >= deadline:
                return leased
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def ack(self, subscription, ack_ids) -> None:
        for start in range(0, len(ack_ids), 500):
            chunk = list(ack_ids[start : start + 500])
            with self._transaction() as con:
                self._drop(con, subscription, f"ack_id IN ({', '.join('?' * len(chunk))})", chunk)

    def nack(self, subscription, ack_ids) -> None:
        """Give the leases back now: the messages are due again at once."""
        for start in range(0, len(ack_ids), 500):
            chunk = list(ack_ids[start : start + 500])
            with self._transaction() as con:
                con.execute(
                    f"UPDATE deliveries SET lease_until = 0 WHERE subscription = ?"
                    f" AND ack_id IN ({', '.join('?' * len(chunk))})",
                    [subscription, *chunk],
                )

    def dead_letter(self, subscription, message, reason) -> str:
        with self._transaction() as con:
            topic = self._subscription(con, subscription)["topic"]
        return _dead_letter(self, subscription, topic, message, reason)

    def reset(self) -> None:
        with self._transaction() as con:
            for table in ("deliveries", "messages", "subscriptions", "topics"):
                con.execute(f"DELETE FROM {table}")


# ---------------------------------------------------------------------------------------------
# Pub/Sub: production and the emulator, synchronous pull (a sensor tick pulls a bounded batch and
# returns; no streaming pull threads outlive it).


def _plain_utc(value: Any) -> datetime:
    v = value  # DatetimeWithNanoseconds -> a plain UTC datetime, as SqliteBus returns
    return datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, UTC)


class PubSubBus:
    def __init__(
        self,
        project: str,
        publisher: Any = None,
        subscriber: Any = None,
        emulator_host: str | None = None,
        allow_reset: bool = False,
    ):
        self.project = project
        self.emulator_host = emulator_host
        self.allow_reset = allow_reset
        self._publisher, self._subscriber = publisher, subscriber
        self._pid = os.getpid()
        self._topic_of: dict[str, str] = {}
        self._ensured: set[tuple[str, str]] = set()

    def _clients_for_this_process(self) -> None:
        if self._pid != os.getpid():  # gRPC channels do not survive a fork
            self._publisher = self._subscriber = None
            self._pid = os.getpid()

    @property
    def publisher(self) -> Any:
        self._clients_for_this_process()
        if self._publisher is None:
            from google.cloud import pubsub_v1
            from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport

            self._publisher = (
                pubsub_v1.PublisherClient(transport=PublisherGrpcTransport(channel=self._emulator_channel()))
                if self.emulator_host
                else pubsub_v1.PublisherClient()
            )
        return self._publisher

    @property
    def subscriber(self) -> Any:
        self._clients_for_this_process()
        if self._subscriber is None:
            from google.cloud import pubsub_v1
            from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

            self._subscriber = (
                pubsub_v1.SubscriberClient(
                    transport=SubscriberGrpcTransport(channel=self._emulator_channel())
                )
                if self.emulator_host
                else pubsub_v1.SubscriberClient()
            )
        return self._subscriber

    def _emulator_channel(self) -> Any:
        # The clients read PUBSUB_EMULATOR_HOST from os.environ only; an explicit insecure channel
        # lets make_bus honour the environment mapping it was given.
        import grpc

        return grpc.insecure_channel(self.emulator_host)

    def _topic_path(self, topic: str) -> str:
        return f"projects/{self.project}/topics/{topic}"

    def _subscription_path(self, subscription: str) -> str:
        return f"projects/{self.project}/subscriptions/{subscription}"

    def ensure(
        self, topic, subscription, ack_deadline_s=ACK_DEADLINE_S, max_delivery_attempts=MAX_DELIVERY_ATTEMPTS
    ):
        from google.api_core.exceptions import AlreadyExists

        if (topic, subscription) in self._ensured:
            return
        request: dict[str, Any] = {
            "name": self._subscription_path(subscription),
            "topic": self._topic_path(topic),
            "ack_deadline_seconds": ack_deadline_s,
        }
        if max_delivery_attempts is not None and not topic.endswith(DLQ_SUFFIX):
            # In production the Pub/Sub service agent needs publisher rights on the DLQ topic and
            # subscriber rights on this subscription for forwarding to work.
            dlq = dead_letter_topic(topic)
            self.ensure(dlq, subscription_for(dlq), max_delivery_attempts=None)
            request["dead_letter_policy"] = {
                "dead_letter_topic": self._topic_path(dlq),
                "max_delivery_attempts": max_delivery_attempts,
            }
        with suppress(AlreadyExists):
            self.publisher.create_topic(request={"name": self._topic_path(topic)})
        with suppress(AlreadyExists):
            self.subscriber.create_subscription(request=request)
        self._ensured.add((topic, subscription))
        self._topic_of[subscription] = topic

    def publish(self, topic, data, attributes=None) -> str:
        return self.publish_many(topic, [(data, attributes or {})])[0]

    def publish_many(self, topic, items) -> list[str]:
        from google.api_core.exceptions import NotFound

        path = self._topic_path(topic)
        # Submit everything first: the client batches the messages into few requests.
        futures = [
            self.publisher.publish(path, bytes(data), **_check_attributes(attrs)) for data, attrs in items
        ]
        try:
            return [future.result(timeout=60) for future in futures]
        except NotFound as exc:
            raise NotFoundError(f"topic {topic!r} does not exist") from exc

    def pull(self, subscription, max_messages=100, timeout_s=1.0) -> list[Message]:
        from google.api_core.exceptions import DeadlineExceeded, NotFound

        _check_batch(max_messages)
        request = {"subscription": self._subscription_path(subscription), "max_messages": max_messages}
        try:
            response = self.subscriber.pull(request=request, timeout=timeout_s, retry=None)
        except DeadlineExceeded:
            return []  # nothing arrived in time
        except NotFound as exc:
            raise NotFoundError(f"subscription {subscription!r} does not exist") from exc
        return [
            Message(
                r.message.message_id,
                r.message.data,
                dict(r.message.attributes),
                r.ack_id,
                _plain_utc(r.message.publish_time),
                r.delivery_attempt,
            )
            for r in response.received_messages
        ]

    def ack(self, subscription, ack_ids) -> None:
        for start in range(0, len(ack_ids), 1000):
            request = {
                "subscription": self._subscription_path(subscription),
                "ack_ids": list(ack_ids[start : start + 1000]),
            }
            self.subscriber.acknowledge(request=request)

    def nack(self, subscription, ack_ids) -> None:
        for start in range(0, len(ack_ids), 1000):
            request = {
                "subscription": self._subscription_path(subscription),
                "ack_ids": list(ack_ids[start : start + 1000]),
                "ack_deadline_seconds": 0,
            }
            self.subscriber.modify_ack_deadline(request=request)

    def dead_letter(self, subscription, message, reason) -> str:
        if subscription not in self._topic_of:
            found = self.subscriber.get_subscription(
                request={"subscription": self._subscription_path(subscription)}
            )
            self._topic_of[subscription] = found.topic.rsplit("/", 1)[-1]
        return _dead_letter(self, subscription, self._topic_of[subscription], message, reason)

    def reset(self) -> None:
        """Delete every subscription and topic of the project (tests against the emulator only)."""
        if not self.allow_reset:
            raise RuntimeError("reset() deletes every topic and subscription; it is allowed only for tests")
        project = f"projects/{self.project}"
        for sub in self.subscriber.list_subscriptions(request={"project": project}):
            self.subscriber.delete_subscription(request={"subscription": sub.name})
        for topic in self.publisher.list_topics(request={"project": project}):
            self.publisher.delete_topic(request={"topic": topic.name})
        self._ensured.clear()
        self._topic_of.clear()


def make_bus(
    state_dir: Path, project: str | None = None, environ: Mapping[str, str] | None = None
) -> SignalBus:
    """Pub/Sub when PUBSUB_EMULATOR_HOST is set (the emulator, no credentials) or a GCP project is
    given (production); otherwise SQLite at state_dir/signals.sqlite."""
    environ = os.environ if environ is None else environ
    emulator_host = environ.get("PUBSUB_EMULATOR_HOST", "").strip()
    if emulator_host:
        return PubSubBus(project or DEFAULT_PROJECT, emulator_host=emulator_host, allow_reset=True)
    if project:
        return PubSubBus(project)
    return SqliteBus(Path(state_dir) / "signals.sqlite")

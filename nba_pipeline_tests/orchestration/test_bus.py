"""The signal bus's contract, run against SQLite and the Pub/Sub emulator alike."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from nba_pipeline.orchestration.bus import (
    MAX_DELIVERY_ATTEMPTS,
    TOPICS,
    NotFoundError,
    PubSubBus,
    SqliteBus,
    make_bus,
    subscription_for,
)

TOPIC = "nba-phase2-raw-complete"
SUB = subscription_for(TOPIC)
DLQ_SUB = "nba-phase2-raw-complete-dlq-sub"


def pull_until(bus, subscription: str, expected: int, batch: int = 1000, within_s: float = 20.0) -> list:
    """Pull and ack until `expected` messages arrived (synchronous pull may return partial batches)."""
    got, deadline = [], time.monotonic() + within_s
    while len(got) < expected and time.monotonic() < deadline:
        messages = bus.pull(subscription, max_messages=batch, timeout_s=2.0)
        assert len(messages) <= batch
        bus.ack(subscription, [m.ack_id for m in messages])
        got += messages
    return got


def test_topic_names_are_the_original_systems():
    assert TOPICS[0] == "nba-phase1-scrapers-complete" and TOPICS[-1] == "nba-phase6-export-complete"
    assert len(TOPICS) == 6 and subscription_for(TOPICS[2]) == "nba-phase3-analytics-complete-sub"


def test_a_published_message_arrives_once_acked(bus):
    bus.ensure(TOPIC, SUB)
    before = datetime.now(UTC) - timedelta(seconds=5)
    message_id = bus.publish(TOPIC, b'{"game_date": "2024-01-15"}', {"game_date": "2024-01-15", "rows": "9"})

    [message] = bus.pull(SUB, max_messages=10, timeout_s=5.0)

    assert message.message_id == message_id
    assert message.data == b'{"game_date": "2024-01-15"}'
    assert dict(message.attributes) == {"game_date": "2024-01-15", "rows": "9"}
    assert message.delivery_attempt == 1
    assert before <= message.publish_time <= datetime.now(UTC) + timedelta(seconds=5)
    bus.ack(SUB, [message.ack_id])
    assert bus.pull(SUB, max_messages=10, timeout_s=0.5) == []


def test_pull_respects_max_messages(bus):
    bus.ensure(TOPIC, SUB)
    bus.publish_many(TOPIC, [(f"m{i}".encode(), {}) for i in range(10)])
    assert len(bus.pull(SUB, max_messages=3, timeout_s=5.0)) == 3
    with pytest.raises(ValueError, match="max_messages"):
        bus.pull(SUB, max_messages=1001)


def test_a_nacked_message_comes_back_with_the_next_attempt(bus):
    bus.ensure(TOPIC, SUB)
    message_id = bus.publish(TOPIC, b"x", {})
    [first] = bus.pull(SUB, 10, 5.0)
    bus.nack(SUB, [first.ack_id])

    [again] = bus.pull(SUB, 10, 5.0)

    assert (again.message_id, again.delivery_attempt) == (message_id, 2)
    assert again.ack_id != first.ack_id


def test_dead_letter_moves_the_message_with_its_reason(bus):
    bus.ensure(TOPIC, SUB)
    original_id = bus.publish(TOPIC, b"not json", {"game_date": "2024-01-15"})
    [message] = bus.pull(SUB, 10, 5.0)

    bus.dead_letter(SUB, message, "malformed: body is not JSON")

    [dead] = pull_until(bus, DLQ_SUB, expected=1)
    assert dead.data == b"not json"
    assert dict(dead.attributes) == {
        "game_date": "2024-01-15",
        "dead_letter_reason": "malformed: body is not JSON",
        "original_message_id": original_id,
    }
    assert bus.pull(SUB, 10, timeout_s=1.0) == []


def test_a_message_nobody_acks_ends_in_the_dead_letter_topic(bus):
    # What keeps a message that crashes its consumer from looping forever or being lost.
    bus.ensure(TOPIC, SUB)
    bus.publish(TOPIC, b"poison", {"game_date": "2024-01-15"})
    for attempt in range(1, MAX_DELIVERY_ATTEMPTS + 1):
        [message] = bus.pull(SUB, 10, 5.0)
        assert message.delivery_attempt == attempt
        bus.nack(SUB, [message.ack_id])

    assert bus.pull(SUB, 10, timeout_s=1.0) == []
    [dead] = pull_until(bus, DLQ_SUB, expected=1)
    assert dead.data == b"poison" and dead.attributes["game_date"] == "2024-01-15"


def test_a_thousand_messages_arrive_with_distinct_ids(bus):
    bus.ensure(TOPIC, SUB)
    published = bus.publish_many(TOPIC, [(str(i).encode(), {"i": str(i)}) for i in range(1000)])

    got = pull_until(bus, SUB, expected=1000)

    assert len(published) == len(set(published)) == 1000
    assert len(got) == 1000 and {m.message_id for m in got} == set(published)
    assert {m.data for m in got} == {str(i).encode() for i in range(1000)}
    assert bus.pull(SUB, 1000, timeout_s=0.5) == []


def test_unknown_topics_and_subscriptions_are_errors(bus):
    with pytest.raises(NotFoundError):
        bus.publish("nba-no-such-topic", b"x", {})
    with pytest.raises(NotFoundError):
        bus.pull("nba-no-such-sub", 1, timeout_s=0.5)
    bus.ensure(TOPIC, SUB)
    with pytest.raises(TypeError, match="str -> str"):
        bus.publish(TOPIC, b"x", {"rows": 9})


def test_ensure_is_idempotent_and_reset_forgets(bus):
    bus.ensure(TOPIC, SUB)
    bus.ensure(TOPIC, SUB)
    bus.publish(TOPIC, b"x", {})
    bus.reset()
    with pytest.raises(NotFoundError):
        bus.publish(TOPIC, b"x", {})


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_705_400_000.0

    def __call__(self) -> float:
        return self.now


def test_sqlite_redelivers_an_unacked_message_after_its_lease(tmp_path):
    clock = FakeClock()
    bus = SqliteBus(tmp_path / "signals.sqlite", clock=clock)
    bus.ensure(TOPIC, SUB, ack_deadline_s=60)
    bus.publish(TOPIC, b"x", {})
    [first] = bus.pull(SUB, 10, timeout_s=0)

    clock.now += 59
    assert bus.pull(SUB, 10, timeout_s=0) == []  # still leased
    clock.now += 2
    [again] = bus.pull(SUB, 10, timeout_s=0)
    assert (again.message_id, again.delivery_attempt) == (first.message_id, 2)

    bus.ack(SUB, [first.ack_id])  # the expired lease's ack id no longer acks
    clock.now += 61
    assert [m.delivery_attempt for m in bus.pull(SUB, 10, timeout_s=0)] == [3]


def test_sqlite_consumers_in_parallel_never_share_a_message(tmp_path):
    path = tmp_path / "signals.sqlite"
    SqliteBus(path).ensure(TOPIC, SUB)
    published = SqliteBus(path).publish_many(TOPIC, [(b"x", {}) for _ in range(300)])
    seen: list[str] = []

    def consume() -> None:
        bus = SqliteBus(path)
        while batch := bus.pull(SUB, max_messages=7, timeout_s=0.2):
            seen.extend(m.message_id for m in batch)
            bus.ack(SUB, [m.ack_id for m in batch])

    threads = [threading.Thread(target=consume) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(seen) == sorted(published)


def test_every_subscription_gets_its_own_copy(tmp_path):
    bus = SqliteBus(tmp_path / "signals.sqlite")
    bus.ensure(TOPIC, SUB)
    bus.ensure(TOPIC, "nba-phase2-raw-complete-audit")
    message_id = bus.publish(TOPIC, b"x", {})
    [a] = bus.pull(SUB, 10, 0)
    bus.ack(SUB, [a.ack_id])
    [b] = bus.pull("nba-phase2-raw-complete-audit", 10, 0)
    assert a.message_id == b.message_id == message_id


def test_make_bus_picks_the_implementation(tmp_path):
    local = make_bus(tmp_path / "state", environ={})
    assert isinstance(local, SqliteBus) and local.path == tmp_path / "state" / "signals.sqlite"
    emulated = make_bus(tmp_path, environ={"PUBSUB_EMULATOR_HOST": "127.0.0.1:8085"})
    assert isinstance(emulated, PubSubBus) and (emulated.project, emulated.emulator_host) == (
        "nba-local",
        "127.0.0.1:8085",
    )
    prod = make_bus(tmp_path, project="nba-props-prod", environ={})
    assert isinstance(prod, PubSubBus) and prod.emulator_host is None
    with pytest.raises(RuntimeError, match="only for tests"):
        prod.reset()


@pytest.mark.emulators
def test_make_bus_reaches_the_emulator_named_in_the_mapping(tmp_path, pubsub_emulator):
    bus = make_bus(tmp_path, "nba-test", environ={"PUBSUB_EMULATOR_HOST": pubsub_emulator.host})
    bus.ensure(TOPIC, SUB)
    message_id = bus.publish(TOPIC, b"x", {})
    assert [m.message_id for m in pull_until(bus, SUB, expected=1)] == [message_id]

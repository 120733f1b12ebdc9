"""Intake of completion envelopes (issue 5 item 2), on the embedded bus and store and on the emulators:
valid external completions become runless materializations; duplicates are ignored; malformed or
foreign messages are dead-lettered with the reason, without blocking the batch behind them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import dagster as dg
import pytest

from nba_pipeline.automation.intake import take_in
from nba_pipeline.orchestration.bus import REASON_ATTR, dead_letter_topic, subscription_for
from nba_pipeline.orchestration.envelopes import Envelope, InvalidEnvelope, parse_envelope, topic_of

NOW = datetime(2024, 1, 17, 11, tzinfo=UTC)
DAY = date(2024, 1, 16)


def envelope(**changes) -> Envelope:
    base = dict(
        processor="nbac_schedule",
        phase=2,
        game_date=DAY,
        status="success",
        rows=3,
        correlation_id="c-1",
        execution_id="loader-1",
        duration_seconds=2.0,
        mode="overnight",
        published_at=NOW,
        source="external",
    )
    return Envelope(**(base | changes))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON: Expecting value: line 1 column 1 (char 0)"),
        (b"[1, 2]", "not a JSON object: list"),
        (
            json.dumps({**json.loads(envelope().to_bytes()), "rows": -1}).encode(),
            "rows: Input should be greater than or equal to 0",
        ),
        (
            json.dumps({**json.loads(envelope().to_bytes()), "status": "done"}).encode(),
            "status: Input should be 'success', 'partial', 'no_data' or 'failed'",
        ),
        (
            json.dumps({**json.loads(envelope().to_bytes()), "game_date": "2024-13-01"}).encode(),
            "game_date: Input should be a valid date or datetime, month value is outside expected range of 1-12",
        ),
        (b'{"phase": 2}', "processor: Field required (and 8 more)"),
    ],
)
def test_a_malformed_message_gets_a_one_line_reason(body, reason):
    with pytest.raises(InvalidEnvelope) as caught:
        parse_envelope(body)
    assert str(caught.value) == reason


def test_envelopes_round_trip_and_name_their_topic():
    e = envelope()
    assert parse_envelope(e.to_bytes()) == e
    assert e.topic == "nba-phase2-raw-complete" and topic_of(6) == "nba-phase6-export-complete"
    assert e.completion().data_version == "loader-1"


def test_intake_records_valid_completions_and_dead_letters_the_rest(bus, store):
    topic = topic_of(2)
    bus.ensure(topic, subscription_for(topic))
    bus.publish(topic, b"garbage")
    good = bus.publish(topic, envelope().to_bytes(), envelope().attributes())
    bus.publish(topic, envelope(phase=3, processor="player_game_summary").to_bytes())
    bus.publish(topic, envelope(processor="nbac_scoreboard").to_bytes())
    bus.publish(topic, envelope(processor="nbac_team_boxscore", rows=20).to_bytes())
    with dg.DagsterInstance.ephemeral() as instance:
        report = take_in(bus, store, instance, NOW)
        again = take_in(bus, store, instance, NOW)
        materialized = instance.get_latest_storage_id_by_partition(
            dg.AssetKey(["nba_raw", "nbac_schedule"]), dg.DagsterEventType.ASSET_MATERIALIZATION
        )
    assert (report.recorded, report.duplicates, len(report.dead_lettered), report.retry) == (2, 0, 3, [])
    assert [line.split(": ", 1)[1] for line in report.dead_lettered] == [
        "not JSON: Expecting value: line 1 column 1 (char 0)",
        "a phase 3 envelope on the phase 2 topic",
        "unknown processor 'nbac_scoreboard' for phase 2; known: nbac_gamebook_player_stats, nbac_injury_report,"
        " nbac_schedule, nbac_team_boxscore, odds_api_player_points_props",
    ]
    assert again.handled == 0  # everything was acked or dead-lettered: nothing comes back
    assert list(materialized) == ["2024-01-16"]
    assert {c.processor: c.rows for c in store.completions(DAY, 2)} == {
        "nbac_schedule": 3,
        "nbac_team_boxscore": 20,
    }
    assert store.is_processed(good)
    dlq = dead_letter_topic(topic)
    parked = bus.pull(subscription_for(dlq), max_messages=10)
    assert sorted(m.attributes[REASON_ATTR].split(" ", 2)[1] for m in parked) == [
        "JSON:",
        "phase",
        "processor",
    ]


def test_an_envelope_dated_outside_the_partitions_is_dead_lettered(bus, store):
    topic = topic_of(2)
    bus.ensure(topic, subscription_for(topic))
    bus.publish(topic, envelope(game_date=date(2099, 12, 31)).to_bytes())
    bus.publish(topic, envelope(game_date=date(2020, 1, 1)).to_bytes())
    with dg.DagsterInstance.ephemeral() as instance:
        report = take_in(bus, store, instance, NOW)
        materialized = instance.get_latest_storage_id_by_partition(
            dg.AssetKey(["nba_raw", "nbac_schedule"]), dg.DagsterEventType.ASSET_MATERIALIZATION
        )
    assert report.recorded == 0 and materialized == {}
    reasons = [line.split(": ", 1)[1] for line in report.dead_lettered]
    assert [r.split(" is not in ")[0] for r in reasons] == [
        "date outside partitions: game_date 2099-12-31",
        "date outside partitions: game_date 2020-01-01",
    ]
    assert all(r.split(" is not in ")[1].startswith("2021-10-19..") for r in reasons)


class LedgerDownOnce:
    """The real store, whose first write of completion records fails (the store was unreachable)."""

    def __init__(self, store):
        self.store, self.failed = store, False

    def record_completions(self, completions):
        if not self.failed:
            self.failed = True
            raise ConnectionError("coordination store unreachable")
        return self.store.record_completions(completions)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_a_failed_ledger_write_does_not_materialize_twice_on_redelivery(tmp_path):
    from nba_pipeline.orchestration.bus import SqliteBus
    from nba_pipeline.orchestration.store.sqlite import SqliteStore

    now = [1_000_000.0]
    bus = SqliteBus(tmp_path / "signals.sqlite", clock=lambda: now[0])
    store = SqliteStore(tmp_path / "coordination.sqlite")
    topic = topic_of(2)
    bus.ensure(topic, subscription_for(topic))
    bus.publish(topic, envelope().to_bytes(), envelope().attributes())
    key = dg.AssetKey(["nba_raw", "nbac_schedule"])
    with dg.DagsterInstance.ephemeral() as instance:
        with pytest.raises(ConnectionError):
            take_in(bus, LedgerDownOnce(store), instance, NOW)  # materialized, then the records failed
        now[0] += 61  # past the ack deadline: redelivered
        report = take_in(bus, store, instance, NOW)
        events = instance.fetch_materializations(dg.AssetRecordsFilter(key), limit=10).records
    assert (report.recorded, report.duplicates) == (1, 0)
    assert len(events) == 1  # one materialization: one upstream version, one phase 3 run
    assert {c.processor for c in store.completions(DAY, 2)} == {"nbac_schedule"}


def test_a_tick_stops_inside_a_batch_when_its_time_is_up_and_loses_nothing(bus, store):
    topic = topic_of(2)
    bus.ensure(topic, subscription_for(topic))
    for n in range(40):
        bus.publish(topic, envelope(execution_id=f"loader-{n}").to_bytes())
    # The start, phase 1's loop (its topic is empty), phase 2's loop, its first message: then 20 s passed.
    readings = iter([0.0, 0.0, 0.0, 0.0])

    def clock() -> float:
        return next(readings, 20.0)

    with dg.DagsterInstance.ephemeral() as instance:
        first = take_in(bus, store, instance, NOW, clock=clock)
        rest = take_in(bus, store, instance, NOW)
    assert (first.recorded, first.deferred) == (1, 39)  # stopped inside the batch, the rest handed back
    assert (rest.recorded, rest.duplicates, rest.deferred) == (39, 0, 0)

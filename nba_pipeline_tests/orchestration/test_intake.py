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

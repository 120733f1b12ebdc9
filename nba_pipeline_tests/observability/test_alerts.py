"""Alerts: each condition's trigger, its dedupe (no storms), escalation, clearing; Slack delivery to a
real HTTP endpoint; retention of the audit tables and the coordination store (issue 6)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from nba_pipeline.environment import ConfigError
from nba_pipeline.modes import Mode
from nba_pipeline.observability.alerts import Alert, LocalAlertSink, SlackAlertSink, make_sink
from nba_pipeline.observability.audit import Event, write_events
from nba_pipeline.observability.monitor import watch
from nba_pipeline.observability.retention import purge, retention_days
from nba_pipeline.observability.slo import PhaseSpan, Timeline
from nba_pipeline.observability.tables import ALERTS, ORCHESTRATION_EVENTS
from nba_pipeline.orchestration import breaker, claims
from nba_pipeline.orchestration.run_audit import check_failure_alerts, slow_phase_alert
from nba_pipeline.orchestration.settle import close_claims
from nba_pipeline.orchestration.store.records import Completion
from nba_pipeline.orchestration.store.sqlite import SqliteStore
from nba_pipeline.resources.warehouse import DuckDBWarehouse
from nba_pipeline.tags import CLAIM, CLAIM_ATTEMPT

DAY = date(2024, 1, 16)
P2_DONE = datetime(2024, 1, 16, 15, 0, tzinfo=UTC)  # 10:00 ET on the date itself: same-day
MEDIANS, GAP = {2: 600.0, 3: 300.0, 4: 600.0, 5: 900.0, 6: 60.0}, 30.0


@pytest.fixture
def warehouse(tmp_path) -> DuckDBWarehouse:
    return DuckDBWarehouse(tmp_path / "warehouse.duckdb")


def stuck_timeline() -> Timeline:
    phases = {
        2: PhaseSpan(2, P2_DONE - timedelta(minutes=10), P2_DONE, 1.0, None, "external"),
        3: PhaseSpan(3, P2_DONE, P2_DONE + timedelta(minutes=5), 1.0, 0.97, "cascade"),
    }
    return Timeline(DAY, Mode.SAME_DAY, phases, P2_DONE)


def kinds(warehouse) -> list[tuple[str, str]]:
    frame = warehouse.query(
        f"SELECT kind, severity FROM {warehouse.ref(ALERTS)} ORDER BY raised_at, loaded_at"
    )
    return list(zip(frame.kind, frame.severity, strict=True))


def test_a_date_stuck_for_six_hours_alerts_once_and_escalates_once_not_72_times(warehouse):
    sink, t = LocalAlertSink(warehouse), stuck_timeline()
    for tick in range(72):  # every 5 minutes for 6 hours
        now = P2_DONE + timedelta(minutes=5 * (tick + 1))
        alerts, cleared = watch(t, now, MEDIANS, GAP, {})
        sink.send(alerts, now)
        sink.resolve(cleared, now)
    assert [(k, s) for k, s in kinds(warehouse) if k == "pipeline_stuck"] == [
        ("pipeline_stuck", "error"),  # after 2 h
        ("pipeline_stuck", "critical"),  # after 4 h: the escalation
    ]
    # The ETA was past the 2 h deadline long before: one predicted-miss warning, raised in the first hour.
    assert [(k, s) for k, s in kinds(warehouse) if k == "predicted_slo_miss"] == [
        ("predicted_slo_miss", "warning")
    ]


def test_a_condition_that_clears_alerts_again_when_it_returns(warehouse):
    sink, t = LocalAlertSink(warehouse), stuck_timeline()
    late = P2_DONE + timedelta(hours=3)
    sink.send(watch(t, late, MEDIANS, GAP, {})[0], late)
    t.phases[6] = PhaseSpan(6, late, late + timedelta(minutes=1), 1.0, 0.97, "cascade")  # exported at last
    alerts, cleared = watch(t, late + timedelta(minutes=5), MEDIANS, GAP, {})
    assert sink.resolve(cleared, late + timedelta(minutes=5)) == [
        f"pipeline_stuck:{DAY}",
        f"predicted_slo_miss:{DAY}",
    ]
    # ...and the export missed the same-day SLO: that is its own alert.
    assert [a.summary for a in alerts] == [
        f"SLO same_day_end_to_end_minutes missed on {DAY}: 181.0 vs target 120"
    ]
    again = Alert("pipeline_stuck", "error", "stuck again", f"pipeline_stuck:{DAY}", DAY)
    assert sink.send([again], late + timedelta(hours=1)) == [again]
    assert sink.send([again], late + timedelta(hours=2)) == []


def test_overnight_dates_are_not_stuck_at_two_hours(warehouse):
    t = stuck_timeline()
    t.mode = Mode.OVERNIGHT
    next_morning = datetime(2024, 1, 17, 14, 0, tzinfo=UTC)  # the date is yesterday now
    alerts, _ = watch(t, next_morning, MEDIANS, GAP, {})
    assert [a.kind for a in alerts] == ["predicted_slo_miss"]  # 23 h after Phase 2: past 6 h, no stuck alert


def test_a_slow_phase_warns_at_twice_and_is_critical_at_three_times_its_median():
    history = [300.0, 310.0, 290.0]  # the median is 5 minutes
    assert slow_phase_alert(4, "r1", 500.0, history) is None  # 1.7×
    assert slow_phase_alert(4, "r2", 700.0, history).severity == "warning"  # 2.3×
    critical = slow_phase_alert(4, "r3", 1000.0, history)
    assert critical.severity == "critical"
    assert critical.summary == "Phase 4 run took 16.7 min, 3.3× its 7-day median of 5.0 min"
    assert slow_phase_alert(4, "r4", 9.0, [3.0, 3.0, 3.0]) is None  # 3× but only 6 s longer: not news
    assert slow_phase_alert(4, "r5", 1000.0, [300.0]) is None  # too little history to judge


class _Webhook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - the standard library's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Webhook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_slack_gets_each_new_alert_once(warehouse, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        with pytest.raises(ValueError, match="must start with https://"):
            SlackAlertSink(warehouse, url)
        sink = SlackAlertSink.__new__(SlackAlertSink)  # the local test server speaks plain HTTP
        LocalAlertSink.__init__(sink, warehouse)
        sink.webhook_url = url
        alert = Alert(
            "breaker_open",
            "error",
            "Phase 3 for 2024-01-16: circuit breaker open",
            "breaker:3",
            DAY,
            3,
            link="/runs/x",
        )
        now = P2_DONE
        sink.send([alert], now)
        sink.send([alert], now + timedelta(minutes=5))
    finally:
        server.shutdown()
    assert _Webhook.received == [
        {"text": ":red_circle: *error* Phase 3 for 2024-01-16: circuit breaker open </runs/x|open>"}
    ]
    monkeypatch.setenv("NBA_PIPELINE_SLACK_WEBHOOK", "https://hooks.slack.com/services/T/B/X")
    assert isinstance(make_sink(warehouse), SlackAlertSink)
    monkeypatch.delenv("NBA_PIPELINE_SLACK_WEBHOOK")
    assert type(make_sink(warehouse)) is LocalAlertSink


def test_retention_drops_old_audit_rows_and_old_coordination_records(warehouse, tmp_path):
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    days = [date(2023, 12, 1), date(2024, 2, 28), date(2024, 3, 2), date(2025, 2, 28)]
    write_events(warehouse, [Event("completion", now, day, 2, processor="p") for day in days], now)
    LocalAlertSink(warehouse).send(
        [Alert("x", "warning", "old and undated", "k1")], now - timedelta(days=400)
    )
    store = SqliteStore(tmp_path / "coordination.sqlite")
    for age in (1, 8):
        store.record_completions(
            [
                Completion(
                    date(2025, 2, 1) + timedelta(days=age),
                    2,
                    "p",
                    "success",
                    1,
                    "c",
                    "e",
                    "v",
                    "overnight",
                    now - timedelta(days=age),
                )
            ]
        )
    deleted = purge(warehouse, store, now, days=365)
    assert deleted["nba_orchestration.orchestration_events"] == 2  # before 2024-03-01
    assert deleted["nba_orchestration.alerts"] == 1
    assert deleted["coordination.completions"] == 1
    left = warehouse.query(f"SELECT game_date FROM {warehouse.ref(ORCHESTRATION_EVENTS)} ORDER BY game_date")
    assert [d.date() if hasattr(d, "date") else d for d in left.game_date] == [
        date(2024, 3, 2),
        date(2025, 2, 28),
    ]
    assert purge(warehouse, store, now, days=365)["nba_orchestration.orchestration_events"] == 0  # idempotent
    assert retention_days("30") == 30
    with pytest.raises(ConfigError, match="retention days 'a year' is not a whole number"):
        retention_days("a year")


DAILY = dg.DailyPartitionsDefinition("2024-01-01")


def test_a_failed_check_in_a_run_alerts_with_its_severity():
    @dg.asset(
        partitions_def=DAILY,
        check_specs=[
            dg.AssetCheckSpec("complete", asset="scores", partitions_def=DAILY),
            dg.AssetCheckSpec("valid", asset="scores", blocking=True, partitions_def=DAILY),
        ],
    )
    def scores():
        yield dg.MaterializeResult()
        yield dg.AssetCheckResult(check_name="complete", passed=False, severity=dg.AssetCheckSeverity.WARN)
        yield dg.AssetCheckResult(check_name="valid", passed=False, metadata={"bad_rows": 3})

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([scores], instance=instance, partition_key="2024-01-16", raise_on_error=False)
        alerts = check_failure_alerts(instance, result.run_id)
    assert [(a.severity, a.summary, a.game_date) for a in alerts] == [
        ("warning", "Check complete failed on scores for 2024-01-16", DAY),
        ("error", "Check valid failed on scores for 2024-01-16 (blocking)", DAY),
    ]
    assert alerts[1].details["metadata"] == {"bad_rows": "3"}


def test_a_range_run_alerts_once_per_failed_date_not_again_for_its_summary():
    """A range run records one result per date and one run-level summary: only the dates alert."""
    from nba_pipeline.checks import Verdict, emit_check

    @dg.asset(
        partitions_def=DAILY,
        check_specs=[dg.AssetCheckSpec("complete", asset="scores", partitions_def=DAILY)],
    )
    def scores(context):
        yield dg.MaterializeResult()
        verdicts = {d: Verdict(d.day != 16, {"games_covered": 1}) for d in (DAY - timedelta(days=1), DAY)}
        yield from emit_check(context, dg.AssetKey("scores"), "complete", verdicts)

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [scores],
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": "2024-01-15",
                "dagster/asset_partition_range_end": "2024-01-16",
            },
            raise_on_error=False,
        )
        alerts = check_failure_alerts(instance, result.run_id)
    assert [(a.severity, a.summary, a.game_date) for a in alerts] == [
        ("error", "Check complete failed on scores for 2024-01-16", DAY),
    ]


def test_the_fifth_failed_run_opens_the_breaker_and_alerts_once(tmp_path):
    store = SqliteStore(tmp_path / "coordination.sqlite")
    now = P2_DONE
    opened = []
    for n in range(breaker.FAILURE_THRESHOLD):
        taken = claims.take(
            store, "3", DAY, "v1", "phase3_analytics_sensor", "overnight", "cascade", "c", now
        )
        run = dg.DagsterRun(
            job_name="phase3_analytics_job",
            run_id=f"run-{n}",
            status=dg.DagsterRunStatus.FAILURE,
            tags={CLAIM: taken.claim.key, CLAIM_ATTEMPT: str(taken.claim.attempt)},
        )
        opened += close_claims(run, store, now + timedelta(minutes=n))
        opened += close_claims(run, store, now + timedelta(minutes=n, seconds=30))  # settled twice
    assert [a.kind for a in opened] == ["breaker_open"]
    assert opened[0].summary == (
        "Phase 3 for 2024-01-16: circuit breaker open after 5 failed runs;"
        " it half-opens in an hour or when new upstream data lands"
    )
    held = store.get_claim(claims.claim_key("3", DAY, "v1"))
    assert (held.state, held.attempt) == ("released", 5)  # released each time, so a retry could fire

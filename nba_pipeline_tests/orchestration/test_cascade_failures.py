"""DOMAIN §8 regressions of the cascade (items 6, 7, 9, 10, 15, 16), self-heal and a person's trigger,
each on a copy of the season data directory with an outside loader's Phase 2 for the next date."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from nba_pipeline import cli
from nba_pipeline.automation.intake import take_in
from nba_pipeline.automation.schedules import FALLBACKS, SCHEDULES
from nba_pipeline.environment import load_settings
from nba_pipeline.orchestration import breaker, claims
from nba_pipeline.orchestration.bus import SqliteBus, subscription_for
from nba_pipeline.orchestration.envelopes import topic_of
from nba_pipeline.orchestration.store.sqlite import SqliteStore
from nba_pipeline.partitions import et_datetime
from nba_pipeline.resources.warehouse import DuckDBWarehouse
from nba_pipeline.runner import ensure_instance
from nba_pipeline_tests.orchestration.cascade import NEXT, NEXT_MORNING, envelopes_for, load_outside, publish
from nba_pipeline_tests.orchestration.driver import Driver


def _platform(home, scenario: str = "none"):
    settings = load_settings(environ={}, home=str(home), now=NEXT_MORNING.isoformat(), scenario=scenario)
    instance = ensure_instance(settings)
    driver = Driver(settings, instance, NEXT_MORNING)
    driver.cascade()  # sensors running before the data arrives
    return settings, driver


@pytest.fixture
def platform(season_copy):
    settings, driver = _platform(season_copy)
    yield settings, driver
    driver.instance.dispose()


def store_of(settings) -> SqliteStore:
    return SqliteStore(settings.state_dir / "coordination.sqlite")


def bus_of(settings, clock=None) -> SqliteBus:
    path = settings.state_dir / "signals.sqlite"
    return SqliteBus(path, clock=clock) if clock else SqliteBus(path)


def jobs(requests) -> list[str]:
    return [r.job_name for r in requests]


def alerts(settings, kind: str):
    frame = DuckDBWarehouse(settings.warehouse_path).query(
        f"SELECT * FROM nba_orchestration.alerts WHERE kind = '{kind}' ORDER BY raised_at"
    )
    return list(frame.summary)


def test_6_redelivered_and_republished_messages_give_exactly_one_run(platform):
    settings, driver = platform
    now = [1_000_000.0]
    bus = bus_of(settings, clock=lambda: now[0])
    envelopes = envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING)
    publish(bus, envelopes)
    store, sub = store_of(settings), subscription_for(topic_of(2))

    class AckLost:  # the intake recorded the messages, then crashed before its ack reached the bus
        def __getattr__(self, name):
            return (lambda *args: None) if name == "ack" else getattr(bus, name)

    first = take_in(AckLost(), store, driver.instance, NEXT_MORNING)
    assert (first.recorded, first.duplicates) == (5, 0)
    now[0] += 61  # past the ack deadline: the same message ids are delivered again
    publish(bus, envelopes)  # and the loader retried: new message ids, the same completions
    second = take_in(bus, store, driver.instance, NEXT_MORNING)
    assert (second.recorded, second.duplicates, second.dead_lettered) == (0, 10, [])

    launched = driver.cascade()
    assert jobs(launched).count("phase3_analytics_job") == 1
    assert len(jobs(launched)) == 4
    assert bus.pull(sub, max_messages=10) == []  # everything acked


def test_6_a_failed_launch_releases_the_claim_and_the_retry_fires(platform):
    settings, driver = platform
    publish(bus_of(settings), envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING))
    driver.launch = False  # the daemon accepted the request and never started the run
    driver.tick("signal_intake_sensor")
    runs_before = len(driver.instance.get_runs())
    lost = driver.tick("phase3_analytics_sensor")
    assert jobs(lost) == ["phase3_analytics_job"] and len(driver.instance.get_runs()) == runs_before
    assert driver.tick("phase3_analytics_sensor") == []  # still claimed: nothing fires twice
    driver.tick("run_settlement_sensor")  # the sweep: its lease (wall clock) has not expired yet
    assert store_of(settings).claims(states=claims.ACTIVE)[0].state == "claimed"

    driver.launch = True
    driver.wall_offset_seconds = 3 * 60  # three minutes of wall clock; the business clock is frozen
    driver.tick("run_settlement_sensor")  # the sweep releases the launch that never came
    retry = driver.tick("phase3_analytics_sensor")
    assert jobs(retry) == ["phase3_analytics_job"]
    assert lost[0].run_key.endswith("-a1") and retry[0].run_key.endswith("-a2")
    [run] = driver.instance.get_runs(dg.RunsFilter(tags={"nba/claim_attempt": "2"}))
    [claim] = [c for c in store_of(settings).claims(states=claims.ACTIVE) if c.target == "3"]
    assert (claim.attempt, claim.state, claim.run_id) == (2, "launched", run.run_id)  # bound by its run
    driver.tick("run_settlement_sensor")
    settled = store_of(settings).get_claim(claim.key)
    assert (settled.attempt, settled.state, settled.run_id) == (2, "done", run.run_id)


def test_a_sensor_tested_from_the_ui_delays_nothing_and_launches_once(platform):
    """Test Sensor evaluates the sensor (its claims taken) and launches nothing: the next real tick
    asks again for the same attempt — the same run key — instead of waiting out the launch lease."""
    settings, driver = platform
    publish(bus_of(settings), envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING))
    driver.tick("signal_intake_sensor")
    shown = driver.dry_run("phase3_analytics_sensor")
    assert jobs(shown) == ["phase3_analytics_job"] and shown[0].run_key.endswith("-a1")
    [waiting] = [c for c in store_of(settings).claims(states=claims.ACTIVE) if c.target == "3"]
    assert (waiting.state, waiting.attempt, waiting.run_id) == ("claimed", 1, None)

    launched = driver.tick("phase3_analytics_sensor")  # the daemon's tick, the wall clock unmoved
    assert [r.run_key for r in launched] == [shown[0].run_key]
    [run] = driver.instance.get_runs(dg.RunsFilter(tags={"nba/claim": waiting.key, "nba/claim_attempt": "1"}))
    assert driver.tick("phase3_analytics_sensor") == []  # its run exists: taken, nothing asked again
    driver.tick("run_settlement_sensor")
    settled = store_of(settings).get_claim(waiting.key)
    assert (settled.attempt, settled.state, settled.run_id) == (1, "done", run.run_id)


def test_7_export_never_runs_before_predictions(platform):
    settings, driver = platform
    publish(bus_of(settings), envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING))
    driver.tick("signal_intake_sensor")
    for name in (
        "phase3_analytics_sensor",
        "run_settlement_sensor",
        "phase4_precompute_sensor",
        "run_settlement_sensor",
    ):
        driver.tick(name)
    assert driver.tick("phase6_export_sensor") == []  # phase 4 done, phase 5 not
    assert "nothing of phase 5 has been materialized for 2024-01-16" in driver.skips["phase6_export_sensor"]
    driver.tick("phase5_predictions_sensor")
    assert jobs(driver.tick("phase6_export_sensor")) == ["phase6_export_job"]
    runs = {
        r.tags["nba/phase"]: r for r in driver.instance.get_runs() if r.tags.get("nba/trigger") == "cascade"
    }
    stats = {p: driver.instance.get_run_stats(r.run_id) for p, r in runs.items()}
    assert stats["6"].start_time >= stats["5"].end_time


def test_9_a_permanently_missing_game_waits_then_fails_once_without_retries(season_copy):
    # A third of the date's games (1 of 3) have no box score when the loader runs, and it never reloads.
    settings, driver = _platform(season_copy, scenario="late_boxscores@2024-01-16")
    publish(bus_of(settings), envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING))
    driver.tick("signal_intake_sensor")
    for minutes in range(0, 7 * 60 + 1, 5):  # a sensor ticking every 5 minutes for 7 hours
        driver.now = NEXT_MORNING + timedelta(minutes=minutes)
        assert driver.tick("phase3_analytics_sensor") == []
    assert alerts(settings, "dependency_fail") == [
        "Phase 3 for 2024-01-16 (overnight): FAIL — overnight needs 100% complete, quality 0.95 and 60% optional"
        " coverage: completeness 67%, quality 0.87 (min 0.95), optional coverage 100%"
    ]
    assert "2024-01-16" not in driver.skips["phase3_analytics_sensor"]  # after the FAIL: silence
    checks = DuckDBWarehouse(settings.warehouse_path).query(
        "SELECT DISTINCT check_id, decision FROM nba_orchestration.dependency_check_log"
        " WHERE phase = 3 AND game_date = DATE '2024-01-16'"
    )
    # One check per 10-minute recheck interval for 6 hours, then the FAIL, then silence.
    assert list(checks.decision).count("FAIL") == 1
    assert len(checks) == 37  # WAITs at 0, 10, ..., 350 minutes, the FAIL at 360
    driver.instance.dispose()


def test_10_a_stuck_run_is_recovered_on_the_wall_clock(platform):
    settings, driver = platform
    publish(bus_of(settings), envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING))
    driver.launch = False
    driver.tick("signal_intake_sensor")
    [request] = driver.tick("phase3_analytics_sensor")
    job = driver.defs.resolve_job_def(request.job_name)
    run = driver.instance.create_run_for_job(
        job, run_config={}, tags=request.tags, asset_selection=frozenset(request.asset_selection)
    )
    driver.instance.report_dagster_event(
        dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, job_name=job.name), run_id=run.run_id
    )
    assert driver.instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED

    driver.launch = True
    assert driver.tick("stalled_run_recovery_sensor") == []
    assert "0 stalled" in driver.skips["stalled_run_recovery_sensor"]  # not yet past its timeout
    driver.wall_offset_seconds = 3 * 3600  # three hours later, and no message has arrived
    driver.tick("stalled_run_recovery_sensor")
    assert driver.instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert len(alerts(settings, "run_stalled")) == 1
    retry = driver.tick("phase3_analytics_sensor")
    assert jobs(retry) == ["phase3_analytics_job"] and retry[0].run_key.endswith("-a2")


def test_15_an_open_breaker_half_opens_when_new_data_lands(platform):
    settings, driver = platform
    publish(bus_of(settings), envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING))
    driver.tick("signal_intake_sensor")
    store = store_of(settings)
    from nba_pipeline.automation.triggering import upstream_version

    version = upstream_version(driver.instance, 3, NEXT)
    wall = datetime.now(UTC)
    for n in range(breaker.FAILURE_THRESHOLD):  # five failed runs of this version
        breaker.record_failure(store, "3", NEXT, wall, version, f"run-{n}")
    assert driver.tick("phase3_analytics_sensor") == []
    assert "circuit breaker open after 5 failures" in driver.skips["phase3_analytics_sensor"]

    reloaded = [
        e.model_copy(update={"execution_id": "loader-job-43"})
        for e in envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING)
    ]
    publish(bus_of(settings), reloaded)  # the loader reloaded the date: new upstream data
    driver.tick("signal_intake_sensor")
    assert jobs(driver.tick("phase3_analytics_sensor")) == ["phase3_analytics_job"]
    driver.tick("run_settlement_sensor")
    assert breaker.state_of(store, "3", NEXT, datetime.now(UTC), "anything").state == "closed"


def test_16_every_fallback_schedule_exists_runs_by_default_and_a_missing_tick_alerts(platform):
    settings, driver = platform
    schedules = (
        {s.name: s for s in driver.defs.resolve_all_schedule_defs()}
        if hasattr(driver.defs, "resolve_all_schedule_defs")
        else {s.name: s for s in driver.defs.get_repository_def().schedule_defs}
    )
    expected = {
        "overnight_analytics_schedule": "0 6 * * *",
        "overnight_precompute_schedule": "0 7 * * *",
        "daily_health_summary_schedule": "0 8 * * *",
        "same_day_analytics_schedule": "30 10 * * *",
        "same_day_precompute_predictions_schedule": "0 11 * * *",
        "self_heal_schedule": "45 12 * * *",
        "tomorrow_contexts_schedule": "0 17 * * *",
        "retention_schedule": "30 3 * * *",  # not a DOMAIN §6 schedule: audit retention
    }
    assert {n: s.cron_schedule for n, s in schedules.items()} == expected
    assert {s.execution_timezone for s in schedules.values()} == {"America/New_York"}
    assert {s.default_status for s in schedules.values()} == {dg.DefaultScheduleStatus.RUNNING}
    assert len(SCHEDULES) == len(FALLBACKS) + 1

    day = NEXT + timedelta(days=1)
    driver.now = et_datetime(day, 5, 0)
    driver.tick("stalled_run_recovery_sensor")  # starts watching at 05:00
    driver.schedule("overnight_analytics_schedule", et_datetime(day, 6, 0))  # 07:00 never ticks
    driver.now = et_datetime(day, 7, 30)
    driver.tick("stalled_run_recovery_sensor")
    assert alerts(settings, "schedule_tick_missing") == [
        "Schedule overnight_precompute_schedule expected a tick at 2024-01-17 07:00 ET and none happened"
    ]
    driver.tick("stalled_run_recovery_sensor")
    assert len(alerts(settings, "schedule_tick_missing")) == 1  # said once, not every 30 minutes


def test_a_schedule_skips_with_the_reason_when_the_cascade_already_fired(platform):
    settings, driver = platform
    publish(bus_of(settings), envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING))
    driver.cascade()
    skipped = driver.schedule("overnight_analytics_schedule", et_datetime(NEXT + timedelta(days=1), 6, 0))
    assert isinstance(skipped, str)
    assert (
        "phase 3 2024-01-16: taken — already built for this version by phase3_analytics_sensor"
        " (cascade, overnight) at " in skipped
    )
    assert skipped.endswith("; --force builds it again")


def test_self_heal_retriggers_exactly_what_is_missing_and_says_so(platform):
    settings, driver = platform
    publish(bus_of(settings), envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING))
    driver.tick("signal_intake_sensor")
    driver.tick("phase3_analytics_sensor")  # then the phase 4 sensor was down all morning
    driver.tick("run_settlement_sensor")
    healed = driver.schedule("self_heal_schedule", et_datetime(NEXT + timedelta(days=1), 12, 45))
    assert [(r.tags["nba/phase"], r.partition_key, r.tags["nba/trigger"]) for r in healed] == [
        ("4", "2024-01-16", "self_heal")
    ]
    assert alerts(settings, "self_heal") == [
        "Self-heal re-triggered what the cascade missed: phase 4 2024-01-16"
    ]


def test_a_person_triggers_through_the_same_claim(platform, capsys, monkeypatch):
    settings, driver = platform
    publish(bus_of(settings), envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING))
    driver.tick("signal_intake_sensor")
    driver.tick("phase3_analytics_sensor")
    monkeypatch.setenv("NBA_PIPELINE_HOME", str(settings.home))
    monkeypatch.setenv("NBA_PIPELINE_NOW", NEXT_MORNING.isoformat())

    def trigger(*extra: str) -> dict:
        capsys.readouterr()
        assert cli.main(["trigger", "--phase", "3", "--date", NEXT.isoformat(), "--json", *extra]) == 0
        return json.loads(capsys.readouterr().out)

    taken = trigger()
    assert (taken["status"], taken["claimed_by"]) == ("taken", "phase3_analytics_sensor")
    forced = trigger("--force")
    assert forced["status"] == "launched" and forced["run"]["success"] is True
    capsys.readouterr()
    assert cli.main(["trigger", "--phase", "6", "--date", NEXT.isoformat(), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (
        report["status"] == "held"
        and report["reason"] == "nothing of phase 5 has been materialized for 2024-01-16"
    )
    assert cli.main(["trigger", "--phase", "2", "--date", NEXT.isoformat()]) == 2
    assert cli.main(["trigger", "--phase", "3", "--date", "2024-13-01"]) == 2
    assert cli.main(["trigger", "--phase", "3", "--date", NEXT.isoformat(), "--mode", "sometimes"]) == 2


def test_an_exception_on_one_date_leaves_every_other_dates_request_in_the_same_tick(platform):
    settings, driver = platform
    before = NEXT - timedelta(days=2)  # the outside loader reloads an earlier date too: new data for both
    publish(bus_of(settings), envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING))
    publish(bus_of(settings), envelopes_for(before, load_outside(settings, before), NEXT_MORNING))
    driver.launch = False
    driver.tick("signal_intake_sensor")
    from nba_pipeline.automation.triggering import upstream_version

    # A corrupt record in the coordination store: reading the claim of NEXT's phase 3 raises.
    key = claims.claim_key("3", NEXT, upstream_version(driver.instance, 3, NEXT))
    with sqlite3.connect(settings.state_dir / "coordination.sqlite") as con:
        con.execute(
            "INSERT INTO claims_v2 (key, target, game_date, upstream_version, attempt, state, holder,"
            " mode, trigger, correlation_id, claimed_at) VALUES (?, '3', 'not-a-date', 'v', 1,"
            " 'claimed', 'x', 'overnight', 'cascade', 'c', '2024-01-17T11:00:00+00:00')",
            (key,),
        )

    requested = driver.tick("phase3_analytics_sensor")
    found = [(r.partition_key, r.tags["nba/phase"]) for r in requested]
    assert found == [(before.isoformat(), "3")], driver.skips["phase3_analytics_sensor"]
    assert alerts(settings, "sensor_error") == [
        "phase3_analytics_sensor could not evaluate 2024-01-16: ValueError: Invalid isoformat string: 'not-a-date'"
    ]
    assert driver.tick("phase3_analytics_sensor") == []  # NEXT raises again, alone; nothing twice
    assert len(alerts(settings, "sensor_error")) == 1  # alerted once
    assert [c.game_date for c in store_of(settings).claims(states=claims.ACTIVE)] == [before]

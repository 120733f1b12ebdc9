"""Issue 6, done-when: simulated nights with injected faults — box scores late one night, a stuck run,
a source outage — run through the cascade produce audit rows that explain every trigger, each alert
once, an SLO report that flags the bad day, and a status grid and view that show it."""

from __future__ import annotations

import json
from datetime import date, timedelta

import dagster as dg
import pandas as pd

from nba_pipeline.environment import load_settings
from nba_pipeline.observability.status import date_status, grid
from nba_pipeline.partitions import et_datetime
from nba_pipeline.resources.warehouse import DuckDBWarehouse
from nba_pipeline.runner import ensure_instance
from nba_pipeline_tests.orchestration.cascade import envelopes_for, load_outside, publish
from nba_pipeline_tests.orchestration.driver import Driver

D1, D2, D3, D4 = date(2024, 1, 16), date(2024, 1, 17), date(2024, 1, 18), date(2024, 1, 19)
# D2: a third of the games have no box score until mid-morning; D4: the injury-report feed is down.
SCENARIO = "late_boxscores@2024-01-17,source_off@2024-01-19"


def test_a_week_with_faults_is_explained_alerted_once_and_flagged(season_copy):
    def settings_at(at):
        return load_settings(environ={}, home=str(season_copy), now=at.isoformat(), scenario=SCENARIO)

    first = et_datetime(D2, 6)
    instance = ensure_instance(settings_at(first))
    driver = Driver(settings_at(first), instance, first)
    driver.cascade()
    bus = driver.resources()["coordination"].bus()
    warehouse = DuckDBWarehouse(settings_at(first).warehouse_path)

    def load(day, at, job):
        rows = load_outside(settings_at(at), day, phases=(1, 2))
        publish(bus, envelopes_for(day, rows, at, execution_id=job))

    def table(sql):  # DATE columns as dates
        frame = warehouse.query(sql)
        if "game_date" in frame:
            frame["game_date"] = pd.to_datetime(frame.game_date).dt.date
        return frame

    def tick(at):
        driver.now = at
        driver.cascade()
        driver.tick("pipeline_monitor_sensor")

    # D1: a normal night. The loader runs at 06:00; the cascade exports minutes later.
    load(D1, et_datetime(D2, 6), "load-d1")
    tick(et_datetime(D2, 6, 1))
    # D2: at 06:00 a game's box score is still missing; the overnight cascade waits, then gives up at
    # noon with one FAIL; the loader reloads at 13:00 and the date goes through, seven hours late.
    morning = et_datetime(D3, 6)
    load(D2, morning, "load-d2-a")
    for minutes in range(1, 6 * 60 + 31, 30):
        tick(morning + timedelta(minutes=minutes))
    store = driver.resources()["coordination"].store()
    before_reload = grid(instance, warehouse, store, D2, 2)
    waiting = date_status(instance, warehouse, store, D2, morning + timedelta(hours=6, minutes=30))
    load(D2, et_datetime(D3, 13), "load-d2-b")
    tick(et_datetime(D3, 13, 1))
    # D3: the phase 4 run hangs; the wall-clock recovery stops it and the cascade runs it again.
    night = et_datetime(D3 + timedelta(days=1), 6)
    load(D3, night, "load-d3")
    driver.now = night + timedelta(minutes=1)
    driver.tick("signal_intake_sensor")
    driver.tick("phase3_analytics_sensor")
    driver.tick("run_settlement_sensor")
    driver.launch = False
    [hung] = driver.tick("phase4_precompute_sensor")
    job = driver.defs.resolve_job_def(hung.job_name)
    run = instance.create_run_for_job(
        job, run_config={}, tags=hung.tags, asset_selection=frozenset(hung.asset_selection)
    )
    instance.report_dagster_event(
        dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, job_name=job.name), run_id=run.run_id
    )
    driver.launch, driver.wall_offset_seconds = True, 3 * 3600
    driver.now = night + timedelta(minutes=40)
    driver.tick("stalled_run_recovery_sensor")
    tick(night + timedelta(minutes=41))
    # D4: the injury feed is out; overnight waits for it, until the on-call engineer switches it off.
    outage = et_datetime(D4 + timedelta(days=1), 6)
    load(D4, outage, "load-d4")
    tick(outage + timedelta(minutes=1))
    held = date_status(instance, warehouse, store, D4, outage + timedelta(minutes=1))
    driver.settings = driver.settings.with_overrides(disabled_feeds=frozenset({"injury_report"}))
    tick(outage + timedelta(minutes=61))

    # Every date exported, each phase run once per claim (the hung one and its retry are two attempts).
    days = (D1, D2, D3, D4)
    exported = {d: (settings_at(night).export_dir / f"predictions/{d}.json").exists() for d in days}
    assert exported == dict.fromkeys(days, True)
    launched = [(r.tags["nba/phase"], r.partition_key, r.run_key[-2:]) for r in driver.launched]
    assert sorted(launched) == sorted(
        [(p, d.isoformat(), "a1") for d in days for p in "3456"] + [("4", D3.isoformat(), "a2")]
    )

    # The audit explains every trigger: path, decision and the numbers behind it.
    events = table("SELECT * FROM nba_orchestration.orchestration_events ORDER BY event_time")
    triggers = events[events.event_type == "trigger"]
    assert len(triggers) == len(driver.launched) == 17
    assert set(triggers.trigger_source) == {"cascade"} and set(triggers.decision) == {"PROCEED"}
    assert all(json.loads(d)["completeness"] == 1.0 for d in triggers.details)
    d2_phase3 = events[(events.game_date == D2) & (events.phase == 3) & (events.event_type == "decision")]
    assert list(d2_phase3.decision.unique()) == ["WAIT", "FAIL"]
    d4_phase3 = events[
        (events.game_date == D4) & (events.phase == 3) & events.event_type.isin(["decision", "trigger"])
    ]
    assert list(d4_phase3.decision) == ["WAIT", "PROCEED"]  # waiting on the feed, then without it
    log = table("SELECT * FROM nba_orchestration.phase_completion_log")
    assert set(log[log.game_date.isin([D1, D2, D3]) & (log.phase == 3)].downstream_trigger) == {"cascade"}

    # Each alert once: the FAIL, the hung run, the missed and the predicted-missed SLO of D2.
    alerts = table(
        "SELECT kind, game_date, summary FROM nba_orchestration.alerts WHERE severity != 'resolved'"
    )
    counted = alerts[
        alerts.kind.isin(["dependency_fail", "run_stalled", "slo_violated", "predicted_slo_miss"])
    ]
    assert sorted(zip(counted.kind, counted.game_date.astype(str), strict=True)) == [
        ("dependency_fail", "2024-01-17"),
        ("predicted_slo_miss", "2024-01-17"),
        ("run_stalled", "NaT"),
        ("slo_violated", "2024-01-17"),
    ]
    assert "overnight_end_to_end_minutes" in counted[counted.kind == "slo_violated"].summary.iloc[0]

    # The SLO report flags D2, not D1.
    report = table(
        "SELECT game_date, ok, value FROM nba_orchestration.slo_report"
        " WHERE slo = 'overnight_end_to_end_minutes' AND window_days = 1 ORDER BY game_date"
    )
    verdicts = {d: ok for d, ok in zip(report.game_date, report.ok, strict=True)}
    assert verdicts[D1] and not verdicts[D2] and verdicts[D3] and verdicts[D4]
    assert report[report.game_date == D2].value.iloc[0] == 421.0  # 06:00 → 13:01 ET
    chart = settings_at(night).export_dir / f"charts/pipeline_{D3}.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # At 12:30 the grid showed D2 stuck after Phase 2, and its status said why.
    assert [p["state"] for p in before_reload["grid"][-1]["phases"]] == [
        "done",
        "done",
        "missing",
        "missing",
        "missing",
        "missing",
    ]
    assert [p["state"] for p in before_reload["grid"][0]["phases"]] == ["done"] * 6
    phase3 = waiting["phases"][2]
    assert phase3["decision"] == "FAIL" and "overnight needs 100% complete" in phase3["why"]
    outage_phase3 = held["phases"][2]
    assert (outage_phase3["state"], outage_phase3["decision"]) == ("missing", "WAIT")
    assert "nbac_injury_report" in outage_phase3["why"]
    instance.dispose()

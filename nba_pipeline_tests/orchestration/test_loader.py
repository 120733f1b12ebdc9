"""The live loader's decisions (automation/loader.py): a date is loaded when the source has something
new for it, once; its Phase 2 follows its Phase 1 once, only after that run succeeded; the source is
asked again only every POLL; a date whose source fails is skipped alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from nba_pipeline.automation import loader
from nba_pipeline.automation.loader import POLL, fingerprint, loader_dates, plan_tick
from nba_pipeline.definitions import build_definitions
from nba_pipeline.environment import ConfigError, load_settings
from nba_pipeline.resources import build_resources
from nba_pipeline.sources import Payload, TransientSourceError

WALL = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)
DAYS = [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]


def source(prints: dict[date, str]):
    asked: list[date] = []

    def fetch(day: date) -> str:
        asked.append(day)
        value = prints[day]
        if isinstance(value, Exception):
            raise value
        return value

    return fetch, asked


def test_the_first_tick_loads_each_date_once_and_waits_for_its_run():
    fetch, asked = source(dict.fromkeys(DAYS, "a"))
    plan = plan_tick({}, DAYS, WALL, fetch, lambda corr: None)
    assert [(p, d) for p, d, _ in plan.launch] == [(1, d) for d in DAYS]
    assert sorted(plan.cursor["landing"]) == [d.isoformat() for d in DAYS]
    # the runs are still going: nothing more is launched and the source is not asked again
    again = plan_tick(plan.cursor, DAYS, WALL + timedelta(seconds=30), fetch, lambda corr: None)
    assert again.launch == [] and asked == DAYS
    assert again.lines == [f"{d}: phase 1 loading ({plan.cursor['landing'][d.isoformat()]})" for d in DAYS]


def test_phase2_follows_a_successful_load_once_and_a_failed_load_is_tried_again():
    fetch, asked = source(dict.fromkeys(DAYS, "a"))
    first = plan_tick({}, DAYS, WALL, fetch, lambda corr: None)
    corr = {d: c for _, d, c in first.launch}
    status = {corr[DAYS[0]]: "SUCCESS", corr[DAYS[1]]: "FAILURE", corr[DAYS[2]]: None}
    second = plan_tick(first.cursor, DAYS, WALL + timedelta(seconds=30), fetch, status.get)
    # 12-01 landed: its phase 2 with the load's correlation id; 12-02 failed: asked again at once
    assert second.launch == [(2, DAYS[0], corr[DAYS[0]]), (1, DAYS[1], second.launch[1][2])]
    assert second.launch[1][2] != corr[DAYS[1]]
    assert asked == [*DAYS, DAYS[1]]
    third = plan_tick(second.cursor, DAYS, WALL + timedelta(seconds=60), fetch, lambda c: None)
    assert [(p, d) for p, d, _ in third.launch] == []  # 12-01's phase 2 is never launched twice


def test_the_source_is_asked_again_each_poll_and_only_new_data_is_loaded():
    prints = dict.fromkeys(DAYS, "a")
    fetch, asked = source(prints)
    cursor = plan_tick({}, DAYS, WALL, fetch, lambda c: None).cursor
    cursor = plan_tick(cursor, DAYS, WALL, fetch, lambda c: "SUCCESS").cursor  # phase 2s launched
    asked.clear()
    early = plan_tick(cursor, DAYS, WALL + POLL - timedelta(seconds=1), fetch, lambda c: None)
    assert early.launch == [] and asked == []
    assert early.lines == [f"{d}: loaded; the source is asked again at 22:05:00 UTC" for d in DAYS]
    prints[DAYS[1]] = "b"  # today's slate changed at the source (a game went final)
    later = plan_tick(cursor, DAYS, WALL + POLL, fetch, lambda c: None)
    assert [(p, d) for p, d, _ in later.launch] == [(1, DAYS[1])]
    assert asked == DAYS
    assert later.lines[0] == "2026-12-01: nothing new at the source"


def test_a_date_whose_source_fails_is_skipped_alone():
    fetch, _ = source({DAYS[0]: TransientSourceError("503"), DAYS[1]: ValueError("bad\nbody"), DAYS[2]: "a"})
    plan = plan_tick({}, DAYS, WALL, fetch, lambda c: None)
    assert [(p, d) for p, d, _ in plan.launch] == [(1, DAYS[2])]
    assert plan.lines[:2] == [
        "2026-12-01: the source did not answer (503); asking again next tick",
        "2026-12-02: error — ValueError: bad",
    ]
    assert "2026-12-01" not in plan.cursor["fetched"] and "2026-12-02" not in plan.cursor["fetched"]


def test_dates_are_et_yesterday_today_tomorrow_and_old_ones_are_forgotten():
    late_evening_et = datetime(2026, 12, 3, 3, 30, tzinfo=UTC)  # 22:30 ET on 12-02
    assert loader_dates(late_evening_et) == DAYS
    fetch, _ = source(dict.fromkeys([*DAYS, date(2026, 12, 4)], "a"))
    old = {"fetched": {"2026-11-20": {"fingerprint": "x", "at": WALL.isoformat()}}, "landing": {}}
    assert "2026-11-20" not in plan_tick(old, DAYS, WALL, fetch, lambda c: None).cursor["fetched"]


def test_the_fingerprint_changes_with_any_payload_and_not_with_feed_order():
    one = {"schedule": [Payload("schedule.json", {"games": [1]})], "boxscores": []}
    assert fingerprint(one) == fingerprint(dict(reversed(one.items())))
    assert fingerprint(one) != fingerprint({**one, "boxscores": [Payload("g.json", {"pts": 1})]})


def test_a_second_look_at_unchanged_data_is_nothing_new():
    """The upstream stamps each answer with the time it was asked (`meta.time`): seven minutes later,
    a finished date's payloads are the same data, while a date whose games went final in between is not."""
    from nba_pipeline.sources.sim import SimSource

    sim = SimSource(20211019)
    feeds = sorted(sim.provides)

    def looked_at(day: date, now: datetime) -> str:
        return fingerprint({feed: sim.fetch(feed, day, now) for feed in feeds})

    noon = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    finished = date(2026, 12, 1)
    assert sim.games(finished) and sim.games(date(2026, 12, 2))
    assert looked_at(finished, noon) == looked_at(finished, noon + timedelta(minutes=7))
    assert looked_at(date(2026, 12, 2), noon) != looked_at(date(2026, 12, 2), noon + timedelta(hours=12))


def test_the_sensor_runs_only_when_the_loader_is_on(tmp_path):
    off = build_definitions(load_settings(environ={}, home=tmp_path / "a"))
    on = build_definitions(load_settings(environ={"NBA_PIPELINE_LOADER": "on"}, home=tmp_path / "b"))
    assert off.get_sensor_def(loader.NAME).default_status == dg.DefaultSensorStatus.STOPPED
    assert on.get_sensor_def(loader.NAME).default_status == dg.DefaultSensorStatus.RUNNING
    with pytest.raises(ConfigError, match="NBA_PIPELINE_LOADER='maybe': use on or off"):
        load_settings(environ={"NBA_PIPELINE_LOADER": "maybe"}, home=tmp_path / "c")


def test_a_tick_on_the_simulated_league_requests_phase1_for_the_three_dates(tmp_path):
    """The sensor itself, evaluated on the sim at a frozen time: three Phase 1 requests with the loader
    trigger and the date's mode, and on the next tick (runs not created) none."""
    settings = load_settings(
        environ={"NBA_PIPELINE_LOADER": "on"}, home=tmp_path / "nba", now="2026-12-02T12:00:00-05:00"
    )
    defs = build_definitions(settings)
    sensor = defs.get_sensor_def(loader.NAME)
    with dg.instance_for_test() as instance:
        resources = build_resources(settings)
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            result = sensor(context)
        assert [
            (r.job_name, r.partition_key, r.tags["nba/mode"], r.tags["nba/trigger"])
            for r in result.run_requests
        ] == [
            ("phase1_scrape_job", "2026-12-01", "overnight", "loader"),
            ("phase1_scrape_job", "2026-12-02", "same_day", "loader"),
            ("phase1_scrape_job", "2026-12-03", "tomorrow", "loader"),
        ]
        with dg.build_sensor_context(instance=instance, resources=resources, cursor=result.cursor) as context:
            later = sensor(context)
        assert later.run_requests == []


def test_the_sensor_stages_what_it_looked_at_and_that_load_lands_it_without_a_second_call(tmp_path):
    """One upstream call per feed and date: the tick's fetch is staged under the load's correlation id,
    and that load's Phase 1 lands exactly those payloads (none left staged afterwards)."""
    from nba_pipeline.phases.scrape.landing import take_staged
    from nba_pipeline.sources.sim import SimSource

    settings = load_settings(
        environ={"NBA_PIPELINE_LOADER": "on"}, home=tmp_path / "nba", now="2026-12-02T12:00:00-05:00"
    )
    defs = build_definitions(settings)
    resources = build_resources(settings)
    store = resources["landing"].get()
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            result = defs.get_sensor_def(loader.NAME)(context)
        first = result.run_requests[0]
        corr, day = first.tags["nba/correlation_id"], date.fromisoformat(first.partition_key)
        sim = SimSource(settings.seed)
        looked = {feed: take_staged(store, corr, feed, day) for feed in sorted(sim.provides)}
        expected = {feed: sim.fetch(feed, day, settings.now) for feed in looked}
        assert {f: [(p.name, p.body) for p in ps] for f, ps in looked.items()} == {
            f: [(p.name, p.body) for p in ps] for f, ps in expected.items()
        }
        ran = defs.get_job_def("phase1_scrape_job").execute_in_process(
            partition_key=first.partition_key, tags=first.tags, instance=instance
        )
        assert ran.success
        from_look = {
            e.event_specific_data.materialization.asset_key.path[
                -1
            ]: e.event_specific_data.materialization.metadata["dates_from_the_loaders_look"].value
            for e in ran.get_asset_materialization_events()
        }
        assert from_look == dict.fromkeys(looked, 1)
        for feed, payloads in looked.items():
            landed = sorted(store.list(f"{feed}/{day}"))
            assert landed == sorted(f"{feed}/{day}/{p.name}" for p in payloads)
            assert take_staged(store, corr, feed, day) is None
        assert sorted(store.list(f"_staged/{corr}")) == []
        assert not (settings.landing_dir / "_staged" / corr).exists()  # no empty folders left behind


def test_a_staged_date_lands_without_asking_the_upstream(tmp_path):
    from nba_pipeline.phases.scrape.landing import land_feed, stage
    from nba_pipeline.resources.blobs import LocalBlobStore
    from nba_pipeline.sources import SourceError

    class Down:
        name = "down"
        asked: list[date] = []

        def fetch(self, feed, day, now):
            self.asked.append(day)
            raise SourceError(f"{feed} {day}: 404")

    store, client = LocalBlobStore(tmp_path / "landing"), Down()
    stage(store, "c1", "prop_lines", DAYS[0], [Payload("g1.json", {"line": 22.5})])
    stage(store, "c1", "prop_lines", DAYS[1], [])  # "no lines yet" was the answer: lands as such
    landed = land_feed(client, store, "prop_lines", DAYS, WALL, "c1")
    assert client.asked == [DAYS[2]]  # only the date that was not staged
    assert (landed.staged, sorted(landed.per_date), sorted(landed.failures)) == (2, DAYS[:2], [DAYS[2]])
    assert store.read(f"prop_lines/{DAYS[0]}/g1.json") == b'{"line":22.5}'
    assert store.list(f"prop_lines/{DAYS[1]}") == [] and store.list("_staged") == []


def test_retention_sweeps_staged_payloads_no_load_will_take(tmp_path):
    """A load whose run failed before landing leaves its staging behind (the loader stages a new load):
    retention removes what is dated before yesterday - 1, keeps the loader's three dates."""
    from nba_pipeline.phases.scrape.landing import stage, sweep_staged, take_staged
    from nba_pipeline.resources.blobs import LocalBlobStore

    store = LocalBlobStore(tmp_path / "landing")
    today = date(2026, 12, 2)
    for day in (date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 1), today):
        stage(store, "old", "schedule", day, [])
    stage(store, "old", "prop_lines", date(2026, 11, 29), [])
    store.write("_staged/stray.txt", b"not ours")  # not a staged load: left alone
    assert sweep_staged(store, today) == 2  # 11-29 (two feeds); 11-30 is today - 2, kept
    assert [
        d
        for d in (date(2026, 11, 29), date(2026, 11, 30))
        if take_staged(store, "old", "schedule", d) is not None
    ] == [date(2026, 11, 30)]
    assert sweep_staged(store, today) == 0
    assert store.read("_staged/stray.txt") == b"not ours"

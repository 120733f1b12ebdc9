"""Everything loads: assets, checks, sensors, schedules; names follow the conventions."""

import re
import subprocess
import sys
from pathlib import Path

import dagster as dg

from nba_pipeline.definitions import build_definitions
from nba_pipeline.environment import REPO_ROOT, load_settings
from nba_pipeline.partitions import GAME_DATE_PARTITIONS, MODEL_WEEKS
from nba_pipeline.phases import PHASES


def defs() -> dg.Definitions:
    return build_definitions(load_settings(environ={}))


def test_every_asset_check_sensor_and_schedule_loads():
    d = defs()
    dg.Definitions.validate_loadable(d)
    graph = d.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"landing/schedule", "landing/boxscores", "landing/injury_report", "landing/prop_lines"} <= keys
    assert {
        "nba_raw/nbac_schedule",
        "nba_raw/nbac_gamebook_player_stats",
        "nba_raw/nbac_team_boxscore",
        "nba_raw/nbac_injury_report",
        "nba_raw/odds_api_player_points_props",
    } <= keys
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert {(k, "rows_written") for k in keys if k.startswith("nba_raw/")} <= checks
    for sensor in d.sensors or []:
        assert sensor.name.endswith("_sensor")
    for schedule in d.schedules or []:
        assert schedule.name.endswith("_schedule")


def test_each_phases_declared_assets_are_its_asset_modules():
    """PHASE_ASSET_PATHS (what commands and sensors name without importing the assets) is exactly
    what each phase's asset module defines, the weekly model aside."""
    from nba_pipeline.automation.jobs import phase_assets
    from nba_pipeline.phases.analytics.assets import ANALYTICS_ASSETS
    from nba_pipeline.phases.export.assets import EXPORT_ASSETS
    from nba_pipeline.phases.precompute.assets import PRECOMPUTE_ASSETS
    from nba_pipeline.phases.predictions.assets import PREDICTION_ASSETS
    from nba_pipeline.phases.raw.assets import RAW_ASSETS
    from nba_pipeline.phases.scrape.assets import LANDING_ASSETS

    modules = (
        LANDING_ASSETS,
        RAW_ASSETS,
        ANALYTICS_ASSETS,
        PRECOMPUTE_ASSETS,
        PREDICTION_ASSETS,
        EXPORT_ASSETS,
    )
    for number, assets in enumerate(modules, start=1):
        defined = {k for a in assets for k in a.keys if k.path[-1] != "points_model"}
        assert set(phase_assets(number).values()) == defined, number


def test_assets_follow_the_conventions():
    graph = defs().resolve_asset_graph()
    groups = {p.group for p in PHASES}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name in groups
        assert len(key.path) == 2 and re.fullmatch(r"landing|nba_[a-z]+", key.path[0])
        # every asset is partitioned by game date, except the weekly model (keyed by its Monday cutoff)
        assert node.partitions_def == (
            MODEL_WEEKS if key.path[-1] == "points_model" else GAME_DATE_PARTITIONS
        )
        assert node.backfill_policy == dg.BackfillPolicy.single_run()
    raw_deps = graph.get(dg.AssetKey(["nba_raw", "nbac_gamebook_player_stats"])).parent_keys
    assert raw_deps == {dg.AssetKey(["landing", "boxscores"]), dg.AssetKey(["nba_raw", "nbac_schedule"])}


def test_the_lazy_module_entry_point_and_workspace_load():
    """`make dev` loads workspace.yaml -> nba_pipeline.definitions; a broken definition would show here."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_nothing_reads_the_wall_clock_but_the_clock():
    """nba_pipeline/clock.py, which ClockResource and the Dagster-free commands both read."""
    offenders = []
    for path in (REPO_ROOT / "nba_pipeline").rglob("*.py"):
        text = path.read_text()
        if re.search(r"datetime\.now\(|date\.today\(|datetime\.utcnow\(|time\.time\(", text):
            offenders.append(str(path.relative_to(REPO_ROOT)))
    assert offenders == ["nba_pipeline/clock.py"]


def test_prod_definitions_construct_without_credentials():
    """BigQuery and GCS resources build from env vars alone; nothing connects until a run uses them."""
    settings = load_settings(
        environ={
            "NBA_PIPELINE_ENV": "prod",
            "NBA_PIPELINE_GCP_PROJECT": "nba-props-platform",
            "NBA_PIPELINE_LANDING_BUCKET": "nba-scraped-data",
        }
    )
    d = build_definitions(settings)
    dg.Definitions.validate_loadable(d)
    warehouse = d.resources["warehouse"]
    assert (warehouse.kind, warehouse.project) == ("bigquery", "nba-props-platform")
    assert d.resources["landing"].get().uri("x.json") == "gs://nba-scraped-data/landing/x.json"


def test_player_summaries_can_never_run_before_the_same_dates_team_totals():
    """DOMAIN §8 item 8: usage rate needs the same game's team totals, an explicit dependency."""
    graph = defs().resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["nba_analytics", "player_game_summary"])).parent_keys
    assert dg.AssetKey(["nba_analytics", "team_offense_game_summary"]) in parents


def test_the_export_depends_on_predictions():
    graph = defs().resolve_asset_graph()
    assert (
        dg.AssetKey(["nba_predictions", "player_prop_predictions"])
        in graph.get(dg.AssetKey(["nba_export", "tonight"])).parent_keys
    )


def test_every_asset_has_its_freshness_deadline():
    graph = defs().resolve_asset_graph()
    policies = {k.to_user_string(): graph.get(k).freshness_policy for k in graph.get_all_asset_keys()}
    assert all(isinstance(p, dg.FreshnessPolicy) and p.deadline_cron for p in policies.values())
    assert {p.timezone for p in policies.values()} == {"America/New_York"}
    deadlines = {k: p.deadline_cron for k, p in policies.items()}
    assert deadlines["nba_raw/nbac_gamebook_player_stats"] == "0 14 * * *"
    assert deadlines["nba_analytics/player_game_summary"] == "0 16 * * *"
    assert deadlines["nba_predictions/ml_feature_store"] == "0 6 * * *"
    assert deadlines["nba_predictions/player_prop_predictions"] == "0 4 * * *"
    assert deadlines["nba_export/tonight"] == "0 2 * * *"
    assert deadlines["nba_predictions/points_model"] == "0 4 * * 1"

from datetime import UTC, datetime, timedelta

import pytest

from nba_pipeline.environment import ConfigError, load_settings, parse_now


def test_local_defaults_put_all_state_under_one_home(tmp_path):
    s = load_settings(environ={"NBA_PIPELINE_HOME": str(tmp_path / "x")})
    assert (s.env, s.source, s.scenario) == ("local", "sim", "none")
    assert s.home == tmp_path / "x"
    for path in (s.dagster_home, s.warehouse_path, s.landing_dir, s.export_dir, s.state_dir):
        assert path.is_relative_to(s.home)
    # the DuckDB file must not share its name with a schema (playbook §8)
    assert s.warehouse_path.name == "warehouse.duckdb"


def test_cli_overrides_win_over_environment(tmp_path):
    s = load_settings(
        environ={"NBA_PIPELINE_SOURCE": "replay", "NBA_PIPELINE_HOME": str(tmp_path)}, source="sim"
    )
    assert s.source == "sim"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"NBA_PIPELINE_ENV": "staging"}, "NBA_PIPELINE_ENV='staging' is not one of: local, prod"),
        ({"NBA_PIPELINE_SOURCE": "espn"}, "NBA_PIPELINE_SOURCE='espn' is not one of: sim, replay"),
        ({"NBA_PIPELINE_SCENARIO": "meteor"}, "NBA_PIPELINE_SCENARIO='meteor': unknown scenario 'meteor'"),
        ({"NBA_PIPELINE_SCENARIO": "late_boxscores@2024-13-01"}, "is not a YYYY-MM-DD date"),
        ({"NBA_PIPELINE_SEED": "abc"}, "NBA_PIPELINE_SEED='abc' is not an integer"),
        ({"NBA_PIPELINE_NOW": "yesterday"}, "is not an ISO 8601 timestamp"),
        ({"NBA_PIPELINE_NOW": "2024-01-15T11:00:00"}, "needs a UTC offset"),
        ({"NBA_PIPELINE_DISABLED_FEEDS": "injury_report,tweets"}, "unknown feeds ['tweets']"),
        ({"NBA_PIPELINE_LOADER": "sometimes"}, "NBA_PIPELINE_LOADER='sometimes': use on or off"),
    ],
)
def test_bad_configuration_is_one_clear_line(environ, message):
    with pytest.raises(ConfigError) as err:
        load_settings(environ=environ)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_prod_names_each_missing_variable():
    with pytest.raises(ConfigError, match="NBA_PIPELINE_ENV=prod needs NBA_PIPELINE_GCP_PROJECT"):
        load_settings(environ={"NBA_PIPELINE_ENV": "prod"})
    with pytest.raises(ConfigError, match="needs NBA_PIPELINE_LANDING_BUCKET"):
        load_settings(environ={"NBA_PIPELINE_ENV": "prod", "NBA_PIPELINE_GCP_PROJECT": "p"})
    s = load_settings(
        environ={
            "NBA_PIPELINE_ENV": "prod",
            "NBA_PIPELINE_GCP_PROJECT": "p",
            "NBA_PIPELINE_LANDING_BUCKET": "b",
        }
    )
    assert (s.gcp.project, s.gcp.landing_bucket, s.gcp.location) == ("p", "b", "US")


def test_now_is_parsed_with_its_offset():
    assert parse_now("2024-01-15T11:00:00-05:00") == datetime(2024, 1, 15, 16, tzinfo=UTC)
    assert parse_now("2024-01-15T16:00:00Z").utcoffset() == timedelta(0)


def test_importing_the_package_reads_no_environment(monkeypatch):
    """Environment variables are read lazily: a bad value only fails when settings are loaded."""
    import importlib

    import nba_pipeline.definitions as definitions

    monkeypatch.setenv("NBA_PIPELINE_SOURCE", "nonsense")
    importlib.reload(definitions)  # must not raise
    with pytest.raises(ConfigError):
        load_settings()


def test_the_real_sources_settings_and_their_one_line_errors(tmp_path):
    from nba_pipeline.environment import odds_api_key

    settings = load_settings(
        {
            "NBA_PIPELINE_SOURCE": "nba",
            "NBA_PIPELINE_HTTP_RECORDINGS": str(tmp_path),
            "NBA_PIPELINE_ODDS_API_KEY": "sk-9f3a",
        }
    )
    assert (settings.source, settings.http_recordings, settings.http_record) == ("nba", tmp_path, None)
    assert "sk-9f3a" not in repr(settings)  # the key is not a setting: never in config, tags or logs
    assert odds_api_key({"NBA_PIPELINE_ODDS_API_KEY": " k "}) == "k" and odds_api_key({}) is None
    with pytest.raises(
        ConfigError, match=r"^NBA_PIPELINE_HTTP_RECORDINGS='/nope' is not a folder of recorded responses$"
    ):
        load_settings({"NBA_PIPELINE_HTTP_RECORDINGS": "/nope"})
    with pytest.raises(ConfigError, match="are exclusive: replay or record"):
        load_settings(
            {"NBA_PIPELINE_HTTP_RECORDINGS": str(tmp_path), "NBA_PIPELINE_HTTP_RECORD": str(tmp_path)}
        )


@pytest.mark.parametrize(
    ("value", "on"), [(None, False), ("on", True), ("ON", True), ("off", False), ("true", True)]
)
def test_the_live_loader_is_off_unless_turned_on(tmp_path, value, on):
    environ = {"NBA_PIPELINE_HOME": str(tmp_path)} | ({"NBA_PIPELINE_LOADER": value} if value else {})
    assert load_settings(environ=environ).loader is on


@pytest.mark.parametrize(
    ("flag", "frozen", "configured", "on"),
    [
        ("auto", False, False, True),  # the real clock: the loader feeds the platform
        ("auto", True, False, False),  # a frozen clock: nothing new ever arrives
        ("auto", True, True, True),  # NBA_PIPELINE_LOADER=on keeps it on
        ("off", False, True, False),  # the flag a person typed wins
        ("on", True, False, True),
    ],
)
def test_dev_turns_the_loader_on_with_the_real_clock(flag, frozen, configured, on):
    from nba_pipeline.cli.dev import loader_on

    assert loader_on(flag, frozen, configured) is on

"""The one place that reads the process environment, lazily (never at import time).

`load_settings()` turns `NBA_PIPELINE_*` variables (and CLI overrides) into a validated, frozen
`Settings`. Every invalid value raises `ConfigError` with a one-line message naming the variable,
so the CLI can print it and exit 2, and a code location fails to load with a readable reason.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

ENVIRONMENTS = ("local", "prod")
SOURCES = ("sim", "replay", "nba")
DEFAULT_SEED = 20211019
REPO_ROOT = Path(__file__).resolve().parent.parent
# The shared folder of real seasons: replayed as one continuous history, so a model for any date can
# learn from the seasons before it (the partitions begin 2021-10-19, the first date of its 2021-22 file).
REAL_SEASONS_DIR = REPO_ROOT.parent / "shared" / "data" / "nba"
DEFAULT_REPLAY = REAL_SEASONS_DIR


class ConfigError(ValueError):
    """A configuration or input problem a person can fix; its message is one line."""


@dataclass(frozen=True)
class GcpSettings:
    """What the prod environment needs; read only when NBA_PIPELINE_ENV=prod."""

    project: str
    location: str
    landing_bucket: str
    export_prefix: str = "v1"
    bigquery_endpoint: str = ""  # BIGQUERY_EMULATOR_HOST: the BigQuery emulator instead of Google's API
    storage_endpoint: str = ""  # STORAGE_EMULATOR_HOST: the GCS emulator instead of Google's API


@dataclass(frozen=True)
class Settings:
    env: str = "local"
    home: Path = Path(".nba")
    dagster_home: Path = Path(".nba/dagster")
    source: str = "sim"
    replay_csv: Path | None = None
    scenario: str = "none"
    seed: int = DEFAULT_SEED
    now: datetime | None = None  # NBA_PIPELINE_NOW: the injected clock's fixed "now", if any
    disabled_feeds: frozenset[str] = field(default_factory=frozenset)
    halt: str = ""  # NBA_PIPELINE_HALT: a manual halt's reason; the feed is exported empty while set
    http_recordings: Path | None = None  # NBA_PIPELINE_HTTP_RECORDINGS: answer the real sources from here
    http_record: Path | None = None  # NBA_PIPELINE_HTTP_RECORD: save the real sources' exchanges here
    # NBA_PIPELINE_LOADER=on: the live loader sensor starts running (automation/loader.py)
    loader: bool = False
    gcp: GcpSettings | None = None

    @property
    def warehouse_path(self) -> Path:
        # Named `warehouse`, never like a schema (nba_raw…): DuckDB would find the catalog ambiguous.
        return self.home / "warehouse.duckdb"

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def export_dir(self) -> Path:
        return self.home / "exports"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def state_dir(self) -> Path:
        """SQLite coordination store, signal bus and the simulated league's fault counters."""
        return self.home / "state"

    def with_overrides(self, **overrides) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def parse_now(value: str, name: str = "NBA_PIPELINE_NOW") -> datetime:
    """An ISO 8601 timestamp with an offset, e.g. 2024-01-15T11:00:00-05:00."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(
            f"{name}={value!r} is not an ISO 8601 timestamp (e.g. 2024-01-15T11:00:00-05:00)"
        ) from exc
    if parsed.tzinfo is None:
        raise ConfigError(f"{name}={value!r} needs a UTC offset (e.g. 2024-01-15T11:00:00-05:00)")
    return parsed


def _choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    """`name` is what the person typed: a flag (`--source espn: ...`) or a variable (`VAR='x' ...`)."""
    if value not in allowed:
        said = f"{name} {value}:" if name.startswith("--") else f"{name}={value!r}"
        raise ConfigError(f"{said} is not one of: {', '.join(allowed)}")
    return value


def _require(environ: Mapping[str, str], name: str, what: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"NBA_PIPELINE_ENV=prod needs {name} ({what})")
    return value


def load_gcp_settings(environ: Mapping[str, str]) -> GcpSettings:
    return GcpSettings(
        project=_require(
            environ, "NBA_PIPELINE_GCP_PROJECT", "the GCP project of BigQuery, Pub/Sub and Firestore"
        ),
        location=environ.get("NBA_PIPELINE_BQ_LOCATION", "US"),
        landing_bucket=_require(
            environ, "NBA_PIPELINE_LANDING_BUCKET", "the GCS bucket for raw payloads and exports"
        ),
        export_prefix=environ.get("NBA_PIPELINE_EXPORT_PREFIX", "v1"),
        bigquery_endpoint=environ.get("BIGQUERY_EMULATOR_HOST", "").strip(),
        storage_endpoint=environ.get("STORAGE_EMULATOR_HOST", "").strip(),
    )


def odds_api_key(environ: Mapping[str, str] | None = None) -> str | None:
    """NBA_PIPELINE_ODDS_API_KEY, read when a client is built; kept out of Settings, so it is never in
    a resource's config, a run's tags or a printed setting."""
    value = (os.environ if environ is None else environ).get("NBA_PIPELINE_ODDS_API_KEY", "").strip()
    return value or None


def _folder(value: str | None, name: str, must_exist: bool) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser().absolute()
    if must_exist and not path.is_dir():
        raise ConfigError(f"{name}={value!r} is not a folder of recorded responses")
    return path


def load_settings(environ: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Read the environment now; keyword overrides (from CLI flags) win over variables."""
    environ = os.environ if environ is None else environ
    env = _choice(
        overrides.pop("env", None) or environ.get("NBA_PIPELINE_ENV", "local"),
        ENVIRONMENTS,
        "NBA_PIPELINE_ENV",
    )
    home = (
        Path(overrides.pop("home", None) or environ.get("NBA_PIPELINE_HOME", ".nba")).expanduser().absolute()
    )
    dagster_home = Path(environ.get("DAGSTER_HOME") or home / "dagster").expanduser().absolute()
    flag_source = overrides.pop("source", None)
    source = _choice(
        flag_source or environ.get("NBA_PIPELINE_SOURCE", "sim"),
        SOURCES,
        "--source" if flag_source else "NBA_PIPELINE_SOURCE",
    )

    replay_value = overrides.pop("replay_csv", None) or environ.get("NBA_PIPELINE_REPLAY_CSV")
    replay_csv = Path(replay_value).expanduser().absolute() if replay_value else None
    if replay_csv is None and DEFAULT_REPLAY.exists():
        replay_csv = DEFAULT_REPLAY

    flag_scenario = overrides.pop("scenario", None)
    scenario = flag_scenario or environ.get("NBA_PIPELINE_SCENARIO", "none")
    from nba_pipeline.sources.sim.scenarios import parse_scenarios  # validates names and dates

    try:
        parse_scenarios(scenario)
    except ConfigError as exc:
        said = f"--scenario {scenario}" if flag_scenario else f"NBA_PIPELINE_SCENARIO={scenario!r}"
        raise ConfigError(f"{said}: {exc}") from exc

    seed_value = overrides.pop("seed", None) or environ.get("NBA_PIPELINE_SEED", str(DEFAULT_SEED))
    try:
        seed = int(seed_value)
    except ValueError as exc:
        raise ConfigError(f"NBA_PIPELINE_SEED={seed_value!r} is not an integer") from exc

    now_value = overrides.pop("now", None) or environ.get("NBA_PIPELINE_NOW")
    now = now_value if isinstance(now_value, datetime) else (parse_now(now_value) if now_value else None)

    disabled_value = overrides.pop("disabled_feeds", None) or environ.get("NBA_PIPELINE_DISABLED_FEEDS", "")
    from nba_pipeline.sources import FEEDS

    disabled = (
        frozenset(f.strip() for f in str(disabled_value).split(",") if f.strip())
        if isinstance(disabled_value, str)
        else frozenset(disabled_value)
    )
    unknown = sorted(disabled - set(FEEDS))
    if unknown:
        raise ConfigError(
            f"NBA_PIPELINE_DISABLED_FEEDS names unknown feeds {unknown}; known: {', '.join(FEEDS)}"
        )

    halt = (overrides.pop("halt", None) or environ.get("NBA_PIPELINE_HALT", "")).strip()
    recordings = _folder(
        overrides.pop("http_recordings", None) or environ.get("NBA_PIPELINE_HTTP_RECORDINGS"),
        "NBA_PIPELINE_HTTP_RECORDINGS",
        must_exist=True,
    )
    record = _folder(
        overrides.pop("http_record", None) or environ.get("NBA_PIPELINE_HTTP_RECORD"),
        "NBA_PIPELINE_HTTP_RECORD",
        must_exist=False,
    )
    if recordings and record:
        raise ConfigError(
            "NBA_PIPELINE_HTTP_RECORDINGS and NBA_PIPELINE_HTTP_RECORD are exclusive: replay or record"
        )
    loader_value = str(overrides.pop("loader", None) or environ.get("NBA_PIPELINE_LOADER", "off")).lower()
    if loader_value not in ("on", "off", "true", "false"):
        raise ConfigError(f"NBA_PIPELINE_LOADER={loader_value!r}: use on or off")
    if overrides:
        raise TypeError(f"unknown settings overrides: {sorted(overrides)}")

    return Settings(
        env=env,
        home=home,
        dagster_home=dagster_home,
        source=source,
        replay_csv=replay_csv,
        scenario=scenario,
        seed=seed,
        now=now,
        disabled_feeds=disabled,
        halt=halt,
        http_recordings=recordings,
        http_record=record,
        loader=loader_value in ("on", "true"),
        gcp=load_gcp_settings(environ) if env == "prod" else None,
    )

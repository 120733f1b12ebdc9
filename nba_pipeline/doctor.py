"""A production configuration checked offline: one line per problem, nothing contacted.

`problems(environ)` looks at what `NBA_PIPELINE_ENV=prod` and the production Dagster instance
(deploy/dagster.yaml, or the Helm chart's) need: every required variable, names BigQuery and GCS
would refuse, credentials the Google clients could find, a parseable Postgres connection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from nba_pipeline.environment import ConfigError, load_settings

PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
DATASET_ID = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
TABLE_ID = re.compile(r"^[A-Za-z0-9_-]{1,1024}$")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")
LOCATION = re.compile(r"^(US|EU|[a-z]+(-[a-z]+)+\d+)$")
EMULATORS = (
    "BIGQUERY_EMULATOR_HOST",
    "STORAGE_EMULATOR_HOST",
    "PUBSUB_EMULATOR_HOST",
    "FIRESTORE_EMULATOR_HOST",
)
PG_VARS = ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB")


def bucket_problem(name: str) -> str | None:
    if not BUCKET.match(name) or ".." in name:
        return "3-63 lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    if name.startswith("goog") or "google" in name:
        return "may not start with 'goog' or contain 'google'"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        return "may not be an IP address"
    return None


def host_port_problem(value: str) -> str | None:
    parts = urlsplit(value if "://" in value else f"http://{value}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return None if parts.hostname and port else "is not host:port"


def postgres_problems(environ: Mapping[str, str]) -> list[str]:
    url = environ.get("DAGSTER_PG_URL", "").strip()
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg2") or not parts.hostname:
            return [
                f"DAGSTER_PG_URL={url.split('@')[-1]!r} is not a postgresql://user:password@host:port/db URL"
            ]
        try:
            parts.port  # noqa: B018 — raises on a bad port
        except ValueError:
            return ["DAGSTER_PG_URL has a port that is not a number"]
        return [] if parts.path.strip("/") else ["DAGSTER_PG_URL names no database"]
    out = [
        f"{name} is not set (the Dagster instance's Postgres)" for name in PG_VARS if not environ.get(name)
    ]
    port = environ.get("DAGSTER_PG_PORT", "")
    if not (port.isdigit() and 0 < int(port) < 65536):
        out.append(f"DAGSTER_PG_PORT={port!r} is not a port number")
    return out


def credential_problems(environ: Mapping[str, str], home: Path) -> list[str]:
    """Where every Google client has an emulator, none needs credentials; otherwise Application
    Default Credentials must be findable: a key file, gcloud's ADC file, or a workload identity."""
    if all(environ.get(v) for v in EMULATORS):
        return []
    key = environ.get("GOOGLE_APPLICATION_CREDENTIALS", "").strip()
    if key:
        try:
            kind = json.loads(Path(key).read_text()).get("type")
        except (OSError, ValueError):
            return [f"GOOGLE_APPLICATION_CREDENTIALS={key} is not a readable JSON credentials file"]
        return [] if kind else [f"GOOGLE_APPLICATION_CREDENTIALS={key} has no credential 'type'"]
    if (home / ".config" / "gcloud" / "application_default_credentials.json").exists():
        return []
    if environ.get("KUBERNETES_SERVICE_HOST") or environ.get("GCE_METADATA_HOST"):
        return []  # GKE workload identity / the metadata server supply them
    missing = [v for v in EMULATORS if not environ.get(v)]
    return [
        "no Google credentials findable (GOOGLE_APPLICATION_CREDENTIALS, gcloud ADC, or workload identity) "
        f"and no emulator for: {', '.join(missing)}"
    ]


def instance_problems(environ: Mapping[str, str]) -> list[str]:
    home = environ.get("DAGSTER_HOME", "").strip()
    if not home:
        return ["DAGSTER_HOME is not set (the folder of the production dagster.yaml)"]
    config = Path(home) / "dagster.yaml"
    if not config.exists():
        return [f"{config} is missing (copy deploy/dagster.yaml)"]
    import yaml

    try:
        storage = (yaml.safe_load(config.read_text()) or {}).get("storage", {})
    except yaml.YAMLError as exc:
        return [f"{config} is not YAML: {str(exc).splitlines()[0]}"]
    if "postgres" not in (storage or {}):
        return [f"{config}: instance storage is not Postgres (runs, pools and the run queue need it)"]
    return []


def problems(environ: Mapping[str, str], home: Path | None = None) -> list[str]:
    """`home`: where gcloud keeps its ADC file (the user's home by default)."""
    home = Path.home() if home is None else home
    out = []
    if environ.get("NBA_PIPELINE_ENV", "local") != "prod":
        out.append(f"NBA_PIPELINE_ENV={environ.get('NBA_PIPELINE_ENV', 'local')!r}: production needs 'prod'")
    try:
        settings = load_settings(environ=dict(environ) | {"NBA_PIPELINE_ENV": "prod"})
    except ConfigError as exc:
        return [*out, str(exc)]
    gcp = settings.gcp
    if not PROJECT_ID.match(gcp.project):
        out.append(
            f"NBA_PIPELINE_GCP_PROJECT={gcp.project!r} is not a GCP project id (6-30 of a-z, 0-9, '-')"
        )
    if reason := bucket_problem(gcp.landing_bucket):
        out.append(f"NBA_PIPELINE_LANDING_BUCKET={gcp.landing_bucket!r}: a bucket name {reason}")
    if not LOCATION.match(gcp.location):
        out.append(
            f"NBA_PIPELINE_BQ_LOCATION={gcp.location!r} is not a BigQuery location (US, EU, us-east1…)"
        )
    if gcp.export_prefix.startswith("/") or ".." in gcp.export_prefix.split("/"):
        out.append(f"NBA_PIPELINE_EXPORT_PREFIX={gcp.export_prefix!r} must be a relative object prefix")
    for name in EMULATORS:
        if environ.get(name) and (reason := host_port_problem(environ[name])):
            out.append(f"{name}={environ[name]!r} {reason}")
    from nba_pipeline.observability.tables import AUDIT_TABLES
    from nba_pipeline.phases.catalog import TABLES

    for table in (*TABLES.values(), *AUDIT_TABLES):
        if not DATASET_ID.match(table.dataset) or not TABLE_ID.match(table.name):
            out.append(f"table {table.qualified} is not a valid BigQuery dataset.table name")
    return out + credential_problems(environ, home) + postgres_problems(environ) + instance_problems(environ)

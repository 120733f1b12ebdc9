"""One warehouse object per configuration and process (a DuckDB file, a BigQuery project), without
Dagster: the resource and the command line's questions both open it here."""

from __future__ import annotations

from pathlib import Path

from nba_pipeline.resources.warehouse.table import Warehouse

_CACHE: dict[tuple, Warehouse] = {}


def open_warehouse(kind: str, duckdb_path: str, project: str, location: str, endpoint: str = "") -> Warehouse:
    key = (kind, duckdb_path, project, location, endpoint)
    if key not in _CACHE:
        if kind == "duckdb":
            from nba_pipeline.resources.warehouse.duckdb import DuckDBWarehouse

            _CACHE[key] = DuckDBWarehouse(Path(duckdb_path))
        elif kind == "bigquery":
            from nba_pipeline.resources.warehouse.bigquery import BigQueryWarehouse

            _CACHE[key] = BigQueryWarehouse(project, location, endpoint or None)
        else:
            raise ValueError(f"unknown warehouse kind {kind!r}")
    return _CACHE[key]

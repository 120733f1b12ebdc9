"""The warehouse as a Dagster resource: DuckDB locally, BigQuery (or its emulator) in production."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from nba_pipeline.resources.warehouse.table import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """`kind=duckdb` (local, `duckdb_path`) or `kind=bigquery` (prod: `project`, `location`, and
    `endpoint` for the BigQuery emulator)."""

    kind: str = "duckdb"
    duckdb_path: str = ""
    project: str = ""
    location: str = "US"
    endpoint: str = ""

    def get(self) -> Warehouse:
        return _warehouse(self.kind, self.duckdb_path, self.project, self.location, self.endpoint)


_CACHE: dict[tuple, Warehouse] = {}


def _warehouse(kind: str, duckdb_path: str, project: str, location: str, endpoint: str = "") -> Warehouse:
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

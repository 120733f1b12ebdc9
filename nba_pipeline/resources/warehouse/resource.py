"""The warehouse as a Dagster resource: DuckDB locally, BigQuery (or its emulator) in production."""

from __future__ import annotations

import dagster as dg

from nba_pipeline.resources.warehouse.connect import open_warehouse
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
        return open_warehouse(self.kind, self.duckdb_path, self.project, self.location, self.endpoint)

"""The warehouse: DuckDB locally, BigQuery in production, behind one small interface.

`table` declares tables and the `Warehouse` interface; `dialect` holds every SQL difference between
the two engines; `duckdb` and `bigquery` are the backends; `connect` opens one; `resource` is the
Dagster resource. Writes replace a range of partition dates or merge rows by key, atomically; queries
use `$name` parameters and `ref()` table references, never input spliced into SQL.
"""

from nba_pipeline.resources.warehouse.bigquery import BigQueryWarehouse, bigquery_parameters, to_bigquery_sql
from nba_pipeline.resources.warehouse.connect import open_warehouse
from nba_pipeline.resources.warehouse.duckdb import DuckDBWarehouse
from nba_pipeline.resources.warehouse.table import (
    TYPES,
    Table,
    Warehouse,
    missing_columns,
    read_dates,
)

__all__ = [
    "TYPES",
    "BigQueryWarehouse",
    "DuckDBWarehouse",
    "Table",
    "Warehouse",
    "WarehouseResource",
    "bigquery_parameters",
    "missing_columns",
    "open_warehouse",
    "read_dates",
    "to_bigquery_sql",
]


def __getattr__(name: str):
    """WarehouseResource on first use: reading the warehouse (`check`) imports no Dagster."""
    if name != "WarehouseResource":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from nba_pipeline.resources.warehouse.resource import WarehouseResource

    return WarehouseResource

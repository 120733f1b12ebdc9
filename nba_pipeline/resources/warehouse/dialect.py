"""Every SQL difference between DuckDB and BigQuery, in one place, as pure functions of text.

Callers write one SQL text with DuckDB-style `$name` parameters and `{ref}`s from `Warehouse.ref`;
the dialect rewrites the parameters, names the column types, adds BigQuery's `PARTITION BY`, and
wraps a write in a transaction the way each engine takes one (statements on one DuckDB connection;
one BigQuery multi-statement script, which takes no query parameters: its dates are rendered as
literals from `date` objects, never from text). The statements themselves — CREATE, ALTER ... ADD
COLUMN IF NOT EXISTS, DELETE of a date range, INSERT ... SELECT, MERGE — are the same for both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from numbers import Integral, Real

from nba_pipeline.resources.warehouse.table import Table

_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Dialect:
    name: str
    types: dict[str, str]  # portable type -> the engine's
    parameter_mark: str  # what precedes a parameter's name: "$" (DuckDB) or "@" (BigQuery)
    partitioned: bool  # tables are partitioned by their partition column (BigQuery)
    script: bool  # a transaction is one multi-statement text (BigQuery), not statements on a connection

    def sql(self, text: str) -> str:
        """`$name` parameters in this engine's spelling."""
        return _PARAMETER.sub(lambda m: self.parameter_mark + m.group(1), text)

    def create_table(self, ref: str, table: Table) -> str:
        cols = ", ".join(f"{name} {self.types[kind]}" for name, kind in table.columns)
        partition = f" PARTITION BY {table.partition_column}" if self.partitioned else ""
        return f"CREATE TABLE IF NOT EXISTS {ref} ({cols}){partition}"

    def add_column(self, ref: str, name: str, kind: str) -> str:
        return f"ALTER TABLE {ref} ADD COLUMN IF NOT EXISTS {name} {self.types[kind]}"

    def transaction(self, statements: Sequence[str]) -> list[str]:
        """What to execute, in order, so that the statements take effect together or not at all."""
        if self.script:
            return ["BEGIN TRANSACTION;\n" + ";\n".join(statements) + ";\nCOMMIT TRANSACTION;"]
        return ["BEGIN TRANSACTION", *statements, "COMMIT"]


DUCKDB = Dialect(
    "duckdb",
    {
        "STRING": "VARCHAR",
        "INT64": "BIGINT",
        "FLOAT64": "DOUBLE",
        "BOOL": "BOOLEAN",
        "DATE": "DATE",
        "TIMESTAMP": "TIMESTAMP",
    },
    parameter_mark="$",
    partitioned=False,
    script=False,
)
BIGQUERY = Dialect(
    "bigquery",
    {t: t for t in ("STRING", "INT64", "FLOAT64", "BOOL", "DATE", "TIMESTAMP")},
    parameter_mark="@",
    partitioned=True,
    script=True,
)


def date_literal(day: date) -> str:
    """`DATE 'YYYY-MM-DD'` from a date (never from text: a literal is only ever a formatted date)."""
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        raise TypeError(f"a date literal needs a date, got {type(day).__name__}")
    return f"DATE '{day.isoformat()}'"


def replace_range(ref: str, table: Table, start: date, end: date, staged: str | None) -> list[str]:
    """Delete the range's rows, then insert the staged ones (run inside `transaction`)."""
    statements = [
        f"DELETE FROM {ref} WHERE {table.partition_column} BETWEEN {date_literal(start)} AND {date_literal(end)}"
    ]
    if staged is not None:
        cols = ", ".join(table.column_names)
        statements.append(f"INSERT INTO {ref} ({cols}) SELECT {cols} FROM {staged}")
    return statements


def merge(ref: str, table: Table, staged: str) -> str:
    """Rows of `staged` replace the rows with the same key and add the others (one atomic statement)."""
    on = " AND ".join(f"target.{k} = incoming.{k}" for k in table.key)
    cols = ", ".join(table.column_names)
    sets = ", ".join(f"{c} = incoming.{c}" for c in table.column_names)
    values = ", ".join(f"incoming.{c}" for c in table.column_names)
    return (
        f"MERGE INTO {ref} AS target USING {staged} AS incoming ON {on} "
        f"WHEN MATCHED THEN UPDATE SET {sets} WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({values})"
    )


def parameter_type(value: object) -> str:
    """The BigQuery type of a query parameter's Python value (naive datetimes are UTC, as stored)."""
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, Integral):
        return "INT64"
    if isinstance(value, Real):
        return "FLOAT64"
    if isinstance(value, datetime):
        return "TIMESTAMP"
    if isinstance(value, date):
        return "DATE"
    return "STRING"

"""The warehouse: DuckDB locally, BigQuery in production, behind one small interface.

Tables are declared once (`Table`) with portable column types; each backend maps them. Writes replace
a range of partition dates (delete, then insert), so re-materializing a partition never duplicates.
Queries use `$name` parameters and `{table}` references resolved by `ref()`, never input spliced
into SQL. DuckDB lets one process hold the file, so every access opens a short-lived connection and
retries with backoff while another process holds the lock (playbook §8; ARCHITECTURE §2).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import dagster as dg
import pandas as pd

TYPES = ("STRING", "INT64", "FLOAT64", "BOOL", "DATE", "TIMESTAMP")
_DUCKDB_TYPES = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE",
    "BOOL": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
}


@dataclass(frozen=True)
class Table:
    dataset: str
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, portable type)
    key: tuple[str, ...]  # the grain: unique per row
    partition_column: str = "game_date"
    description: str = ""

    def __post_init__(self) -> None:
        names = [c for c, _ in self.columns]
        bad = [t for _, t in self.columns if t not in TYPES]
        if (
            bad
            or len(set(names)) != len(names)
            or self.partition_column not in names
            or not set(self.key) <= set(names)
        ):
            raise ValueError(f"invalid table declaration {self.dataset}.{self.name}")

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    @property
    def asset_key(self) -> dg.AssetKey:
        return dg.AssetKey([self.dataset, self.name])

    @property
    def qualified(self) -> str:
        return f"{self.dataset}.{self.name}"

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame with exactly the declared columns, in order, with the declared types."""
        missing = [c for c in self.column_names if c not in frame.columns]
        if missing:
            raise ValueError(f"{self.qualified}: missing columns {missing}")
        out = {}
        for name, kind in self.columns:
            col = frame[name]
            if kind == "STRING":
                out[name] = col.astype("object").where(col.notna(), None)
            elif kind == "INT64":
                out[name] = pd.to_numeric(col, errors="raise").astype("Int64")
            elif kind == "FLOAT64":
                out[name] = pd.to_numeric(col, errors="raise").astype("float64")
            elif kind == "BOOL":
                out[name] = col.astype("boolean")
            elif kind == "DATE":
                out[name] = pd.to_datetime(col).dt.normalize().astype("datetime64[us]")
            else:
                out[name] = pd.to_datetime(col).astype("datetime64[us]")
        return pd.DataFrame(out, index=frame.index).reset_index(drop=True)

    def empty(self) -> pd.DataFrame:
        return self.conform(pd.DataFrame({c: pd.Series(dtype="object") for c in self.column_names}))


class Warehouse(Protocol):
    def ref(self, table: Table) -> str: ...

    def session(self): ...  # a context manager: one connection (or client) for the block

    def replace_dates(self, table: Table, frame: pd.DataFrame, start: date, end: date) -> int: ...

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame: ...

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None: ...

    def ensure(self, table: Table) -> None: ...

    def upsert(self, table: Table, frame: pd.DataFrame) -> int: ...


def missing_columns(table: Table, existing: set[str]) -> list[tuple[str, str]]:
    """Declared columns a stored table lacks (a table only ever gains columns)."""
    return [(name, kind) for name, kind in table.columns if name not in existing]


def _check_range(table: Table, frame: pd.DataFrame, start: date, end: date) -> None:
    if frame.empty:
        return
    days = pd.to_datetime(frame[table.partition_column]).dt.date
    outside = sorted({d for d in days if not start <= d <= end})
    if outside:
        raise ValueError(
            f"{table.qualified}: rows dated {outside[:3]} outside the range {start}..{end} being replaced"
        )


def read_dates(
    warehouse: Warehouse, table: Table, start: date, end: date, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """The table's rows for partition dates start..end (an absent table reads as empty), with the
    in-memory conventions every computation assumes: DATE columns hold `datetime.date` objects (as
    the parsers produce them) and TIMESTAMP columns nanosecond pandas timestamps."""
    warehouse.ensure(table)
    names = list(columns or table.column_names)
    frame = warehouse.query(
        f"SELECT {', '.join(names)} FROM {warehouse.ref(table)} WHERE {table.partition_column} BETWEEN $start AND $end",
        {"start": start, "end": end},
    )
    kinds = dict(table.columns)
    for name in names:
        if kinds.get(name) == "DATE":
            frame[name] = pd.to_datetime(frame[name]).dt.date
        elif kinds.get(name) == "TIMESTAMP":
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ns]")
    return frame


class DuckDBWarehouse:
    def __init__(self, path: Path, lock_timeout_s: float = 60.0):
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s
        self._ensured: set[str] = set()
        self._held = threading.local()  # a connection `session()` keeps open for a block of work

    def ref(self, table: Table) -> str:
        return table.qualified

    @contextmanager
    def session(self) -> Iterator[None]:
        """Reuse one connection for every access inside the block (still closed at its end): a
        readiness check reads half a dozen tables, and opening the file each time would triple it."""
        if getattr(self._held, "con", None) is not None:
            yield
            return
        with self._open() as con:
            self._held.con = con
            try:
                yield
            finally:
                self._held.con = None

    @contextmanager
    def connect(self) -> Iterator[Any]:
        held = getattr(self._held, "con", None)
        if held is not None:
            yield held
            return
        with self._open() as con:
            yield con

    @contextmanager
    def _open(self) -> Iterator[Any]:
        import duckdb

        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline, delay = time.monotonic() + self.lock_timeout_s, 0.05
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:  # another process holds the file
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        try:
            yield con
        finally:
            con.close()

    def ensure(self, table: Table) -> None:
        if table.qualified in self._ensured:
            return
        cols = ", ".join(f"{name} {_DUCKDB_TYPES[kind]}" for name, kind in table.columns)
        with self.connect() as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.dataset}")
            con.execute(f"CREATE TABLE IF NOT EXISTS {table.qualified} ({cols})")
            existing = {
                row[0]
                for row in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = $s AND table_name = $t",
                    {"s": table.dataset, "t": table.name},
                ).fetchall()
            }
            for name, kind in missing_columns(table, existing):  # additive evolution: older rows read NULL
                con.execute(f"ALTER TABLE {table.qualified} ADD COLUMN {name} {_DUCKDB_TYPES[kind]}")
        self._ensured.add(table.qualified)

    def replace_dates(self, table: Table, frame: pd.DataFrame, start: date, end: date) -> int:
        incoming = table.conform(frame)
        _check_range(table, incoming, start, end)
        self.ensure(table)
        cols = ", ".join(table.column_names)
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            con.execute(
                f"DELETE FROM {table.qualified} WHERE {table.partition_column} BETWEEN $start AND $end",
                {"start": start, "end": end},
            )
            if not incoming.empty:
                con.register("incoming", incoming)
                con.execute(f"INSERT INTO {table.qualified} ({cols}) SELECT {cols} FROM incoming")
                con.unregister("incoming")
            con.execute("COMMIT")
        return len(incoming)

    def upsert(self, table: Table, frame: pd.DataFrame) -> int:
        """Append rows, replacing any with the same key (idempotent: re-recording an id changes nothing)."""
        incoming = table.conform(frame)
        self.ensure(table)
        cols, keys = ", ".join(table.column_names), ", ".join(table.key)
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            con.register("incoming", incoming)
            con.execute(f"DELETE FROM {table.qualified} WHERE ({keys}) IN (SELECT ({keys}) FROM incoming)")
            con.execute(f"INSERT INTO {table.qualified} ({cols}) SELECT {cols} FROM incoming")
            con.unregister("incoming")
            con.execute("COMMIT")
        return len(incoming)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        with self.connect() as con:
            return con.execute(sql, dict(params or {})).df()

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        with self.connect() as con:
            con.execute(sql, dict(params or {}))


_BQ_TYPES = {
    "STRING": "STRING",
    "INT64": "INT64",
    "FLOAT64": "FLOAT64",
    "BOOL": "BOOL",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
}


def to_bigquery_sql(sql: str) -> str:
    """DuckDB-style `$name` parameters become BigQuery's `@name` (the only dialect difference we allow)."""
    return re.sub(r"\$([A-Za-z_][A-Za-z0-9_]*)", r"@\1", sql)


def bigquery_parameters(params: Mapping[str, Any]) -> list:
    from google.cloud import bigquery

    kinds = {bool: "BOOL", int: "INT64", float: "FLOAT64", str: "STRING", date: "DATE"}
    out = []
    for name, value in params.items():
        if isinstance(value, list | tuple):
            kind = kinds[type(value[0])] if value else "STRING"
            out.append(bigquery.ArrayQueryParameter(name, kind, list(value)))
        else:
            out.append(bigquery.ScalarQueryParameter(name, kinds.get(type(value), "STRING"), value))
    return out


class BigQueryWarehouse:
    """Production warehouse. A range is replaced with one DML DELETE and one load job (not DML), so a
    single-run backfill stays far below BigQuery's 20-queued-DML limit per table."""

    def __init__(self, project: str, location: str = "US"):
        self.project = project
        self.location = location
        self._client = None

    @property
    def client(self):
        if self._client is None:
            from google.cloud import bigquery

            self._client = bigquery.Client(project=self.project, location=self.location)
        return self._client

    def ref(self, table: Table) -> str:
        return f"`{self.project}.{table.dataset}.{table.name}`"

    @contextmanager
    def session(self) -> Iterator[None]:
        yield  # the client is already shared

    def schema(self, table: Table) -> list:
        from google.cloud import bigquery

        return [bigquery.SchemaField(name, _BQ_TYPES[kind]) for name, kind in table.columns]

    def ensure(self, table: Table) -> None:
        from google.cloud import bigquery

        self.client.create_dataset(bigquery.Dataset(f"{self.project}.{table.dataset}"), exists_ok=True)
        spec = bigquery.Table(f"{self.project}.{table.dataset}.{table.name}", schema=self.schema(table))
        spec.time_partitioning = bigquery.TimePartitioning(field=table.partition_column)
        current = self.client.create_table(spec, exists_ok=True)
        added = missing_columns(table, {field.name for field in current.schema})
        if added:  # additive evolution, as in DuckDB
            current.schema = [
                *current.schema,
                *(bigquery.SchemaField(name, _BQ_TYPES[kind]) for name, kind in added),
            ]
            self.client.update_table(current, ["schema"])

    def replace_dates(self, table: Table, frame: pd.DataFrame, start: date, end: date) -> int:
        from google.cloud import bigquery

        incoming = table.conform(frame)
        _check_range(table, incoming, start, end)
        self.ensure(table)
        self.execute(
            f"DELETE FROM {self.ref(table)} WHERE {table.partition_column} BETWEEN $start AND $end",
            {"start": start, "end": end},
        )
        if not incoming.empty:
            config = bigquery.LoadJobConfig(schema=self.schema(table), write_disposition="WRITE_APPEND")
            self.client.load_table_from_dataframe(
                incoming, f"{self.project}.{table.dataset}.{table.name}", job_config=config
            ).result()
        return len(incoming)

    def upsert(self, table: Table, frame: pd.DataFrame) -> int:
        """MERGE from a loaded staging table: rows with an existing key replace it."""
        from google.cloud import bigquery

        incoming = table.conform(frame)
        self.ensure(table)
        staging = f"{self.project}.{table.dataset}._staging_{table.name}"
        config = bigquery.LoadJobConfig(schema=self.schema(table), write_disposition="WRITE_TRUNCATE")
        self.client.load_table_from_dataframe(incoming, staging, job_config=config).result()
        on = " AND ".join(f"t.{k} = s.{k}" for k in table.key)
        cols = ", ".join(table.column_names)
        sets = ", ".join(f"{c} = s.{c}" for c in table.column_names)
        self.execute(
            f"MERGE {self.ref(table)} t USING `{staging}` s ON {on} WHEN MATCHED THEN UPDATE SET {sets} "
            f"WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({', '.join('s.' + c for c in table.column_names)})"
        )
        return len(incoming)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(query_parameters=bigquery_parameters(params or {}))
        return self.client.query(to_bigquery_sql(sql), job_config=config).to_dataframe()

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(query_parameters=bigquery_parameters(params or {}))
        self.client.query(to_bigquery_sql(sql), job_config=config).result()


class WarehouseResource(dg.ConfigurableResource):
    """`kind=duckdb` (local, `duckdb_path`) or `kind=bigquery` (prod, `project` and `location`)."""

    kind: str = "duckdb"
    duckdb_path: str = ""
    project: str = ""
    location: str = "US"

    def get(self) -> Warehouse:
        return _warehouse(self.kind, self.duckdb_path, self.project, self.location)


_CACHE: dict[tuple, Warehouse] = {}


def _warehouse(kind: str, duckdb_path: str, project: str, location: str) -> Warehouse:
    key = (kind, duckdb_path, project, location)
    if key not in _CACHE:
        if kind == "duckdb":
            _CACHE[key] = DuckDBWarehouse(Path(duckdb_path))
        elif kind == "bigquery":
            _CACHE[key] = BigQueryWarehouse(project, location)
        else:
            raise ValueError(f"unknown warehouse kind {kind!r}")
    return _CACHE[key]

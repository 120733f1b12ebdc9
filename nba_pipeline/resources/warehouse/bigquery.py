"""The production warehouse: BigQuery, or its emulator when an endpoint is given.

Writes are atomic and idempotent, and safe to run side by side:
- `replace_dates` loads the rows into a staging table unique to the call (it expires after an hour
  should this process die), then runs one multi-statement transaction that deletes the range and
  inserts the staged rows. A writer killed before the transaction leaves the old rows; the
  transaction commits whole or not at all; a range is never left empty by a failure.
- `upsert` stages the same way and runs one MERGE.
Writers of different dates of one table run concurrently: BigQuery aborts a transaction that
conflicts with another one, and it is retried with backoff. Dagster's per-table pools
(`Table.write_pool`) keep the number of concurrent writers within BigQuery's DML limits.
Tables are partitioned by their partition column (`dialect.BIGQUERY`).
"""

from __future__ import annotations

import io
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pandas as pd

from nba_pipeline.clock import system_now
from nba_pipeline.resources.warehouse import dialect
from nba_pipeline.resources.warehouse.table import StagedWrites, Table, missing_columns

SQL = dialect.BIGQUERY
STAGING_TTL = timedelta(hours=1)
_CONFLICTS = (
    "concurrent update",
    "could not serialize access",
    "transaction is aborted",
    "retry the transaction",
)


def make_client(project: str, location: str, endpoint: str | None = None):
    """The one place a BigQuery client is built: against `endpoint` (the emulator, anonymous) or
    Google's API with the ambient credentials (workload identity, GOOGLE_APPLICATION_CREDENTIALS)."""
    from google.cloud import bigquery

    if not endpoint:
        return bigquery.Client(project=project, location=location)
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials

    url = endpoint if "://" in endpoint else f"http://{endpoint}"
    return bigquery.Client(
        project=project,
        location=location,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=url),
    )


def is_conflict(exc: Exception) -> bool:
    """A transaction or DML statement BigQuery aborted because another one touched the table."""
    return any(marker in str(exc).lower() for marker in _CONFLICTS)


def bigquery_parameters(params: Mapping[str, Any]) -> list:
    from google.cloud import bigquery

    out = []
    for name, value in params.items():
        if isinstance(value, list | tuple):
            kind = dialect.parameter_type(value[0]) if value else "STRING"
            out.append(bigquery.ArrayQueryParameter(name, kind, list(value)))
        else:
            out.append(bigquery.ScalarQueryParameter(name, dialect.parameter_type(value), value))
    return out


def to_bigquery_sql(sql: str) -> str:
    return SQL.sql(sql)


def normalized(frame: pd.DataFrame) -> pd.DataFrame:
    """A query result in the dtypes DuckDB gives the same rows: DATE and TIMESTAMP as naive
    datetime64[us] (timestamps are stored in UTC), nullable Int64 and boolean only where a value is
    missing — so computations see the same frames on both backends."""
    out = {}
    for name in frame.columns:
        col = frame[name]
        if str(col.dtype) == "dbdate":
            col = pd.to_datetime(col.astype("object")).astype("datetime64[us]")
        elif isinstance(col.dtype, pd.DatetimeTZDtype):
            col = col.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
        elif str(col.dtype) == "Int64" and not col.isna().any():
            col = col.astype("int64")
        elif str(col.dtype) == "boolean" and not col.isna().any():
            col = col.astype("bool")
        out[name] = col
    return pd.DataFrame(out, index=frame.index)


def parquet(table: Table, frame: pd.DataFrame) -> io.BytesIO:
    """A conformed frame as Parquet with the table's exact types (DATE as date32, TIMESTAMP in UTC)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = {
        "STRING": pa.string(),
        "INT64": pa.int64(),
        "FLOAT64": pa.float64(),
        "BOOL": pa.bool_(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    }
    data = frame.copy()
    for name, kind in table.columns:
        if kind == "DATE":
            data[name] = data[name].dt.date.astype("object").where(data[name].notna(), None)
        elif kind == "TIMESTAMP":
            data[name] = data[name].dt.tz_localize("UTC")
    schema = pa.schema([(name, arrow[kind]) for name, kind in table.columns])
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(data, schema=schema, preserve_index=False), buffer)
    buffer.seek(0)
    return buffer


class BigQueryWarehouse(StagedWrites):
    def __init__(
        self,
        project: str,
        location: str = "US",
        endpoint: str | None = None,
        on_step: Callable[[str], None] | None = None,
        attempts: int = 6,
    ):
        self.project = project
        self.location = location
        self.endpoint = endpoint or None
        self.on_step = on_step or (lambda step: None)  # "staged", "committed": a test can stop a writer there
        self.attempts = attempts
        self._client = None
        self._ensured: set[str] = set()

    @property
    def client(self):
        if self._client is None:
            self._client = make_client(self.project, self.location, self.endpoint)
        return self._client

    def ref(self, table: Table) -> str:
        return f"`{self.project}.{table.dataset}.{table.name}`"

    @contextmanager
    def session(self) -> Iterator[None]:
        yield  # the client is already shared

    def schema(self, table: Table) -> list:
        from google.cloud import bigquery

        return [bigquery.SchemaField(name, SQL.types[kind]) for name, kind in table.columns]

    def _run(self, sql: str, params: Mapping[str, Any] | None = None):
        """One query job to completion; a job aborted by a concurrent writer is retried with backoff."""
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(query_parameters=bigquery_parameters(params or {}))
        for attempt in range(1, self.attempts + 1):
            try:
                job = self.client.query(sql, job_config=config)
                job.result()
                return job
            except Exception as exc:
                if attempt == self.attempts or not is_conflict(exc):
                    raise
                time.sleep(min(0.2 * 2**attempt, 8.0) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")

    def ensure(self, table: Table) -> None:
        if table.qualified in self._ensured:
            return
        ref = self.ref(table)
        self._run(f"CREATE SCHEMA IF NOT EXISTS `{self.project}.{table.dataset}`")
        self._run(SQL.create_table(ref, table))
        stored = self.client.get_table(f"{self.project}.{table.dataset}.{table.name}")
        for name, kind in missing_columns(table, {field.name for field in stored.schema}):
            self._run(SQL.add_column(ref, name, kind))  # additive evolution, as in DuckDB
        self._ensured.add(table.qualified)

    def _stage(self, table: Table, incoming: pd.DataFrame) -> str:
        """The rows in a new table of their own (one load job); returns its reference."""
        from google.cloud import bigquery

        name = f"{self.project}.{table.dataset}._staging_{table.name}_{uuid.uuid4().hex[:12]}"
        spec = bigquery.Table(name, schema=self.schema(table))
        spec.expires = system_now() + STAGING_TTL  # wall clock: a dead writer's leftovers go away
        self.client.create_table(spec)
        config = bigquery.LoadJobConfig(
            schema=self.schema(table), source_format="PARQUET", write_disposition="WRITE_TRUNCATE"
        )
        self.client.load_table_from_file(parquet(table, incoming), name, job_config=config).result()
        return name

    def _write(self, table: Table, incoming: pd.DataFrame | None, statements) -> None:
        staged = self._stage(table, incoming) if incoming is not None else None
        try:
            self.on_step("staged")
            script = SQL.transaction(statements(self.ref(table), f"`{staged}`" if staged else None))
            for sql in script:
                self._run(sql)
            self.on_step("committed")
        finally:
            if staged:
                self.client.delete_table(staged, not_found_ok=True)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        job = self._run(SQL.sql(sql), params)
        return normalized(job.to_dataframe(create_bqstorage_client=False))

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self._run(SQL.sql(sql), params)

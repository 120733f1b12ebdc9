"""The local warehouse: one DuckDB file.

DuckDB lets one process hold the file, so every access opens a short-lived connection and retries
with backoff while another process holds the lock (playbook §8; ARCHITECTURE §2). A write is one
transaction on one connection: a range replaced, or rows merged by key, entirely or not at all.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pandas as pd

from nba_pipeline.resources.warehouse import dialect
from nba_pipeline.resources.warehouse.table import StagedWrites, Table, missing_columns

SQL = dialect.DUCKDB


class DuckDBWarehouse(StagedWrites):
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
        ref = self.ref(table)
        with self.connect() as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.dataset}")
            con.execute(SQL.create_table(ref, table))
            existing = set(con.execute(f"SELECT * FROM {ref} LIMIT 0").df().columns)
            for name, kind in missing_columns(table, existing):  # additive evolution: older rows read NULL
                con.execute(SQL.add_column(ref, name, kind))
        self._ensured.add(table.qualified)

    def _write(self, table: Table, incoming: pd.DataFrame | None, statements) -> None:
        """The statements on one connection, atomically, with `incoming` visible as `{staged}`."""
        staged = f"incoming_{uuid.uuid4().hex[:12]}"
        with self.connect() as con:
            if incoming is not None:
                con.register(staged, incoming)
            try:
                for sql in SQL.transaction(
                    statements(self.ref(table), staged if incoming is not None else None)
                ):
                    con.execute(sql)
            except BaseException:
                with suppress(Exception):  # nothing to roll back when BEGIN itself failed
                    con.execute("ROLLBACK")
                raise
            finally:
                if incoming is not None:
                    con.unregister(staged)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        with self.connect() as con:
            return con.execute(SQL.sql(sql), dict(params or {})).df()

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        with self.connect() as con:
            con.execute(SQL.sql(sql), dict(params or {}))

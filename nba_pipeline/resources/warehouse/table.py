"""Table declarations, the `Warehouse` interface both backends implement, and reading a date range.

Tables are declared once (`Table`) with portable column types; each backend maps them (`dialect`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

if TYPE_CHECKING:
    import dagster as dg

TYPES = ("STRING", "INT64", "FLOAT64", "BOOL", "DATE", "TIMESTAMP")


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
        import dagster as dg  # here, not at the top: reading tables (`check`) needs no Dagster

        return dg.AssetKey([self.dataset, self.name])

    @property
    def qualified(self) -> str:
        return f"{self.dataset}.{self.name}"

    @property
    def write_pool(self) -> str:
        """The Dagster pool of the steps that write this table: production's dagster.yaml gives each
        two slots, BigQuery's limit of concurrently running mutating DML per table."""
        return f"warehouse_{self.dataset}_{self.name}"

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


def check_range(table: Table, frame: pd.DataFrame, start: date, end: date) -> None:
    if frame.empty:
        return
    days = pd.to_datetime(frame[table.partition_column]).dt.date
    outside = sorted({d for d in days if not start <= d <= end})
    if outside:
        raise ValueError(
            f"{table.qualified}: rows dated {outside[:3]} outside the range {start}..{end} being replaced"
        )


def last_per_key(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """One row per key, the last one given: what an upsert of these rows leaves behind."""
    return frame.drop_duplicates(list(table.key), keep="last").reset_index(drop=True)


class StagedWrites:
    """`replace_dates` and `upsert`, the same on both backends: validate, stage the rows, and let the
    backend's `_write(table, rows or None, statements)` run the dialect's statements atomically."""

    def replace_dates(self, table: Table, frame: pd.DataFrame, start: date, end: date) -> int:
        from nba_pipeline.resources.warehouse import dialect

        incoming = table.conform(frame)
        check_range(table, incoming, start, end)
        self.ensure(table)
        self._write(
            table,
            None if incoming.empty else incoming,
            lambda ref, staged: dialect.replace_range(ref, table, start, end, staged),
        )
        return len(incoming)

    def upsert(self, table: Table, frame: pd.DataFrame) -> int:
        """Rows replace those with the same key, others are added (re-recording an id changes nothing)."""
        from nba_pipeline.resources.warehouse import dialect

        incoming = last_per_key(table, table.conform(frame))
        self.ensure(table)
        if not incoming.empty:
            self._write(table, incoming, lambda ref, staged: [dialect.merge(ref, table, staged)])
        return len(incoming)


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

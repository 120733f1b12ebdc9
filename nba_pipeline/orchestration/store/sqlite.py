"""The coordination store in one SQLite file: the embedded default (see sqlite_db for how one file is
shared by many processes). Every read-modify-write is one `BEGIN IMMEDIATE` transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from nba_pipeline.orchestration.claims import Claim
from nba_pipeline.orchestration.sqlite_db import SqliteFile
from nba_pipeline.orchestration.store import KINDS
from nba_pipeline.orchestration.store.records import (
    Beat,
    BreakerRecord,
    Completion,
    as_fields,
    aware,
    decodable,
    from_fields,
)

# The claim, breaker and wait tables carry a version suffix: their columns changed with the claim
# lifecycle, and `CREATE TABLE IF NOT EXISTS` would keep an older file's columns.
TABLES = {
    "completions": "completions",
    "claims": "claims_v2",
    "breakers": "breakers_v2",
    "processed_messages": "processed_messages",
    "waits": "waits_v2",
    "heartbeats": "heartbeats",
}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
  game_date TEXT, phase INTEGER, processor TEXT, status TEXT, rows INTEGER, correlation_id TEXT,
  execution_id TEXT, data_version TEXT, mode TEXT, completed_at TEXT,
  PRIMARY KEY (game_date, phase, processor));
CREATE TABLE IF NOT EXISTS claims_v2 (
  key TEXT PRIMARY KEY, target TEXT, game_date TEXT, upstream_version TEXT, attempt INTEGER,
  state TEXT, holder TEXT, mode TEXT, trigger TEXT, correlation_id TEXT, claimed_at TEXT,
  lease_until TEXT, run_id TEXT, released_reason TEXT, closed_by TEXT, updated_at TEXT);
CREATE INDEX IF NOT EXISTS claims_v2_by_state ON claims_v2 (state);
CREATE INDEX IF NOT EXISTS claims_v2_by_run ON claims_v2 (run_id);
CREATE INDEX IF NOT EXISTS claims_v2_by_date ON claims_v2 (game_date);
CREATE TABLE IF NOT EXISTS breakers_v2 (
  target TEXT, game_date TEXT, failures INTEGER, opened_at TEXT, opened_version TEXT, updated_at TEXT,
  counted TEXT, PRIMARY KEY (target, game_date));
CREATE TABLE IF NOT EXISTS processed_messages (message_id TEXT PRIMARY KEY, processed_at TEXT);
CREATE INDEX IF NOT EXISTS processed_by_time ON processed_messages (processed_at);
CREATE TABLE IF NOT EXISTS waits_v2 (key TEXT PRIMARY KEY, started_at TEXT);
CREATE TABLE IF NOT EXISTS heartbeats (run_id TEXT PRIMARY KEY, holder TEXT, beat_at TEXT);
"""
# What a record's age is measured by, per kind; claims age by their last move and only finished ones
# are ever purged (a live claim is swept, never deleted).
AGE_FIELD = {
    "completions": "completed_at",
    "claims": "updated_at",
    "breakers": "updated_at",
    "processed_messages": "processed_at",
    "waits": "started_at",
    "heartbeats": "beat_at",
}
_VARIABLES = 500  # within SQLite's bound on query variables


def _text_ts(value: datetime) -> str:
    # Fixed-width UTC text sorts like time, so range queries and purges can compare strings.
    return aware(value, "timestamp").isoformat(timespec="microseconds")


def _from_text(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _put(con: sqlite3.Connection, table: str, values: Mapping[str, Any]) -> None:
    columns, marks = ", ".join(values), ", ".join("?" * len(values))
    con.execute(f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({marks})", tuple(values.values()))


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + _VARIABLES] for i in range(0, len(items), _VARIABLES)]


class SqliteStore:
    def __init__(self, path: Path, busy_timeout_s: float = 30.0):
        self.path = Path(path)
        self._db = SqliteFile(self.path, _SCHEMA, busy_timeout_s)
        self._transaction, self._reading = self._db.transaction, self._db.reading

    # completions --------------------------------------------------------------------------------
    def record_completions(self, completions: list[Completion]) -> None:
        with self._transaction() as con:  # one transaction for a batch
            for c in completions:
                _put(con, "completions", as_fields(c, _text_ts))

    def completions(self, game_date: date, phase: int) -> list[Completion]:
        with self._reading() as con:
            rows = con.execute(
                "SELECT * FROM completions WHERE game_date = ? AND phase = ? ORDER BY processor",
                (game_date.isoformat(), phase),
            ).fetchall()
        return [from_fields(Completion, r, _from_text) for r in rows]

    # the ledger ---------------------------------------------------------------------------------
    def processed_among(self, message_ids: list[str]) -> set[str]:
        found: set[str] = set()
        with self._reading() as con:
            for chunk in _chunks(message_ids):
                marks = ",".join("?" * len(chunk))
                rows = con.execute(
                    f"SELECT message_id FROM processed_messages WHERE message_id IN ({marks})", chunk
                )
                found |= {r[0] for r in rows}
        return found

    def mark_processed_many(self, message_ids: list[str], now: datetime) -> None:
        with self._transaction() as con:
            con.executemany(
                "INSERT OR IGNORE INTO processed_messages VALUES (?, ?)",
                [(m, _text_ts(now)) for m in message_ids],
            )

    def mark_processed(self, message_id: str, now: datetime) -> bool:
        with self._transaction() as con:
            cursor = con.execute(
                "INSERT OR IGNORE INTO processed_messages VALUES (?, ?)", (message_id, _text_ts(now))
            )
            return cursor.rowcount == 1

    def is_processed(self, message_id: str) -> bool:
        return bool(self.processed_among([message_id]))

    # claims -------------------------------------------------------------------------------------
    @staticmethod
    def _claim(row) -> Claim:
        return from_fields(Claim, row, _from_text)

    def get_claim(self, key: str) -> Claim | None:
        with self._reading() as con:
            row = con.execute("SELECT * FROM claims_v2 WHERE key = ?", (key,)).fetchone()
        return self._claim(row) if row else None

    def update_claim(self, key: str, change: Callable[[Claim | None], tuple[Claim | None, Any]]) -> Any:
        with self._transaction() as con:
            row = con.execute("SELECT * FROM claims_v2 WHERE key = ?", (key,)).fetchone()
            new, result = change(self._claim(row) if row else None)
            if new is not None:
                if new.key != key:
                    raise ValueError(f"a change to claim {key} produced claim {new.key}")
                _put(con, "claims_v2", {"key": key, **as_fields(new, _text_ts)})
        return result

    def claims(
        self,
        *,
        states: tuple[str, ...] | None = None,
        run_id: str | None = None,
        game_date: date | None = None,
        moved_since: datetime | None = None,
    ) -> list[Claim]:
        where, params = [], []
        if moved_since is not None:
            where.append("updated_at >= ?")
            params.append(_text_ts(moved_since))
        if states:
            where.append(f"state IN ({','.join('?' * len(states))})")
            params += list(states)
        if run_id is not None:
            where.append("run_id = ?")
            params.append(run_id)
        if game_date is not None:
            where.append("game_date = ?")
            params.append(game_date.isoformat())
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._reading() as con:
            rows = con.execute(
                f"SELECT * FROM claims_v2{clause} ORDER BY game_date, target, claimed_at", params
            )
            return decodable(rows.fetchall(), self._claim)

    # breakers -----------------------------------------------------------------------------------
    def update_breaker(
        self,
        target: str,
        game_date: date,
        change: Callable[[BreakerRecord | None], tuple[BreakerRecord | None, Any]],
    ) -> Any:
        key = (target, game_date.isoformat())
        with self._transaction() as con:
            row = con.execute("SELECT * FROM breakers_v2 WHERE target = ? AND game_date = ?", key).fetchone()
            new, result = change(from_fields(BreakerRecord, row, _from_text) if row else None)
            if new is not None:
                _put(con, "breakers_v2", {"target": key[0], "game_date": key[1], **as_fields(new, _text_ts)})
        return result

    # heartbeats ---------------------------------------------------------------------------------
    def beat(self, beat: Beat) -> None:
        with self._transaction() as con:
            _put(con, "heartbeats", as_fields(beat, _text_ts))

    def beats(self, run_ids: list[str]) -> dict[str, Beat]:
        found = {}
        with self._reading() as con:
            for chunk in _chunks(list(dict.fromkeys(run_ids))):
                marks = ",".join("?" * len(chunk))
                for row in con.execute(f"SELECT * FROM heartbeats WHERE run_id IN ({marks})", chunk):
                    found[row["run_id"]] = from_fields(Beat, row, _from_text)
        return found

    # waits --------------------------------------------------------------------------------------
    def wait_started(self, key: str, now: datetime) -> datetime:
        with self._transaction() as con:
            con.execute("INSERT OR IGNORE INTO waits_v2 VALUES (?, ?)", (key, _text_ts(now)))
            row = con.execute("SELECT started_at FROM waits_v2 WHERE key = ?", (key,)).fetchone()
        return _from_text(row["started_at"])

    # housekeeping -------------------------------------------------------------------------------
    def purge(self, cutoffs: Mapping[str, datetime]) -> dict[str, int]:
        deleted = {}
        with self._transaction() as con:
            for kind, cutoff in cutoffs.items():
                where = f"{AGE_FIELD[kind]} < ?"
                if kind == "claims":
                    where += " AND state IN ('done', 'released')"
                deleted[kind] = con.execute(
                    f"DELETE FROM {TABLES[kind]} WHERE {where}", (_text_ts(cutoff),)
                ).rowcount
        return deleted

    def reset(self) -> None:
        with self._transaction() as con:
            for kind in KINDS:
                con.execute(f"DELETE FROM {TABLES[kind]}")

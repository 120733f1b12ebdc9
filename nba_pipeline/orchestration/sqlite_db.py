"""One SQLite file shared by many threads and processes: the embedded store and bus both use it.

Connections are short-lived (opened per operation, so they are safe across threads and forks and no
process holds the file between sensor ticks). Writes are `BEGIN IMMEDIATE` transactions: a writer
takes the write lock up front and waits on the busy timeout, instead of failing when a read lock
cannot be upgraded. WAL lets readers run while one writer commits.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SqliteFile:
    def __init__(self, path: Path, schema: str, busy_timeout_s: float = 30.0):
        self.path = Path(path)
        self.schema = schema
        self.busy_timeout_s = busy_timeout_s
        self._schema_ready = False

    def connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        con.row_factory = sqlite3.Row
        if not self._schema_ready:
            self._create_schema(con)
        return con

    def _create_schema(self, con: sqlite3.Connection) -> None:
        # Processes opening a new file at once can get "database is locked" here without the busy
        # handler being consulted (switching the journal mode), so retry until the busy timeout.
        deadline, delay = time.monotonic() + self.busy_timeout_s, 0.01
        while True:
            try:
                con.execute("PRAGMA journal_mode=WAL")  # persists in the file
                con.executescript(self.schema)
                self._schema_ready = True
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    con.close()
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        con = self.connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        con = self.connect()
        try:
            yield con
        finally:
            con.close()

"""BigQuery writes under failure and contention (the emulator): a writer killed between its steps
leaves the date's old rows; writers of different dates of one table, at once, lose nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pandas as pd
import pytest

from nba_pipeline.resources.warehouse import BigQueryWarehouse, read_dates
from nba_pipeline_tests.prod.writers import rows, table

pytestmark = pytest.mark.prod_stack
DAY = date(2024, 1, 15)


def writer(host: str, dataset: str, day: date, n: int, points: int, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "nba_pipeline_tests.prod.writers", host, dataset, day.isoformat()]
    return subprocess.Popen([*command, str(n), str(points), *extra], stdout=subprocess.PIPE, text=True)


def points_of(warehouse: BigQueryWarehouse, dataset: str, day: date) -> list[int]:
    return sorted(read_dates(warehouse, table(dataset), day, day).points.tolist())


def test_a_writer_killed_between_its_steps_leaves_the_old_rows(bigquery_host, dataset):
    warehouse = BigQueryWarehouse("nba-test", endpoint=bigquery_host)
    warehouse.replace_dates(table(dataset), rows(DAY, 3, 10), DAY, DAY)
    killed = writer(bigquery_host, dataset, DAY, 5, 20, "pause")
    try:
        assert killed.stdout.readline().strip() == "staged"  # its 5 new rows are loaded, not yet swapped in
        killed.send_signal(signal.SIGKILL)
    finally:
        killed.wait(timeout=30)
    assert points_of(warehouse, dataset, DAY) == [10, 10, 10]  # the old rows, all of them
    finished = writer(bigquery_host, dataset, DAY, 5, 20)
    assert finished.stdout.read().strip() == "done" and finished.wait(timeout=60) == 0
    assert points_of(warehouse, dataset, DAY) == [20] * 5  # the new rows, and only them


def test_concurrent_writers_of_different_dates_lose_no_rows(bigquery_host, dataset):
    warehouse = BigQueryWarehouse("nba-test", endpoint=bigquery_host)
    days = [date(2024, 1, d) for d in range(10, 13)]
    for day in days:
        warehouse.replace_dates(table(dataset), rows(day, 2, 1), day, day)
    procs = [writer(bigquery_host, dataset, day, 10 + i, 100 + i) for i, day in enumerate(days)]
    assert [p.wait(timeout=120) for p in procs] == [0] * len(days)
    found = read_dates(warehouse, table(dataset), days[0], days[-1])
    assert found.groupby("game_date").points.agg(["count", "min", "max"]).to_dict("index") == {
        day: {"count": 10 + i, "min": 100 + i, "max": 100 + i} for i, day in enumerate(days)
    }


def test_concurrent_upserts_into_one_table_keep_every_row(bigquery_host, dataset):
    """The old fixed staging name let one writer's rows replace another's; unique staging cannot."""
    writers = [BigQueryWarehouse("nba-test", endpoint=bigquery_host) for _ in range(4)]

    def upsert(i: int) -> int:
        batch = rows(DAY, 25, i).assign(game_id=[f"w{i}_{k}" for k in range(25)])
        return writers[i].upsert(table(dataset), batch)

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(upsert, range(4))) == [25] * 4
    found = read_dates(writers[0], table(dataset), DAY, DAY)
    assert len(found) == 100 and found.groupby("points").size().to_dict() == {0: 25, 1: 25, 2: 25, 3: 25}
    leftovers = [
        t.table_id for t in writers[0].client.list_tables(dataset) if t.table_id.startswith("_staging")
    ]
    assert leftovers == [] and isinstance(found, pd.DataFrame)

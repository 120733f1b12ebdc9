"""Writers in processes of their own, as concurrent Dagster runs would be: `python -m
nba_pipeline_tests.prod.writers HOST DATASET DAY N POINTS [pause]` replaces DAY of the test table with N
rows; with `pause` it stops after staging its rows (prints `staged`, then sleeps) so a test can kill it
between the steps of the write."""

from __future__ import annotations

import sys
import time
from datetime import date

import pandas as pd

from nba_pipeline.resources.warehouse import BigQueryWarehouse, Table


def table(dataset: str) -> Table:
    return Table(
        dataset,
        "games",
        (("game_id", "STRING"), ("game_date", "DATE"), ("points", "INT64"), ("loaded_at", "TIMESTAMP")),
        key=("game_id",),
    )


def rows(day: date, n: int, points: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_id": [f"{day}_{i}" for i in range(n)],
            "game_date": [day] * n,
            "points": [points] * n,
            "loaded_at": [pd.Timestamp("2024-01-16")] * n,
        }
    )


def pause_when_staged(step: str) -> None:
    if step == "staged":
        print("staged", flush=True)
        time.sleep(120)


def main(argv: list[str]) -> None:
    host, dataset, day, n, points = argv[:5]
    hook = pause_when_staged if argv[5:] == ["pause"] else None
    warehouse = BigQueryWarehouse("nba-test", endpoint=host, on_step=hook)
    d = date.fromisoformat(day)
    warehouse.replace_dates(table(dataset), rows(d, int(n), int(points)), d, d)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

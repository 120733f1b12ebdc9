"""One contract, two backends: the same writes and queries give the same rows and dtypes on DuckDB
and on BigQuery (the emulator) — the dialect module's differences are exercised here, not mocked."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from nba_pipeline.resources.warehouse import BigQueryWarehouse, DuckDBWarehouse, Table, read_dates


def games(dataset: str, extra: tuple = ()) -> Table:
    return Table(
        dataset,
        "games",
        (
            ("game_id", "STRING"),
            ("game_date", "DATE"),
            ("points", "INT64"),
            ("pace", "FLOAT64"),
            ("final", "BOOL"),
            ("loaded_at", "TIMESTAMP"),
            *extra,
        ),
        key=("game_id",),
    )


def frame(day: str, n: int, points: int = 100, first: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_id": [f"{day}_{i}" for i in range(first, first + n)],
            "game_date": [day] * n,
            "points": [points + i for i in range(n)],
            "pace": [98.5] * n,
            "final": [True] * n,
            "loaded_at": [pd.Timestamp("2024-01-16 10:30:00")] * n,
        }
    )


@pytest.fixture(params=["duckdb", pytest.param("bigquery", marks=pytest.mark.prod_stack)])
def warehouse(request, tmp_path):
    if request.param == "duckdb":
        return DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    return BigQueryWarehouse("nba-test", endpoint=request.getfixturevalue("bigquery_host"))


def test_a_range_is_replaced_and_other_dates_are_kept(warehouse, dataset):
    table = games(dataset)
    day, other = date(2024, 1, 15), date(2024, 1, 16)
    assert warehouse.replace_dates(table, frame("2024-01-15", 3), day, day) == 3
    warehouse.replace_dates(table, frame("2024-01-16", 2), other, other)
    warehouse.replace_dates(table, frame("2024-01-15", 4, points=90), day, day)  # a re-run replaces
    rows = read_dates(warehouse, table, date(2024, 1, 1), date(2024, 1, 31))
    assert rows.groupby("game_date")["points"].sum().to_dict() == {day: 366, other: 201}
    warehouse.replace_dates(table, table.empty(), other, other)  # an empty day really empties
    assert len(read_dates(warehouse, table, other, other)) == 0
    assert len(read_dates(warehouse, table, day, day)) == 4


def test_upsert_replaces_by_key_and_keeps_the_last_duplicate(warehouse, dataset):
    table = games(dataset)
    warehouse.upsert(table, frame("2024-01-15", 2))
    again = pd.concat([frame("2024-01-15", 1, points=7), frame("2024-01-15", 1, points=8, first=5)])
    again = pd.concat([again, frame("2024-01-15", 1, points=9)])  # game 0 twice: the last one wins
    assert warehouse.upsert(table, again) == 2
    rows = read_dates(warehouse, table, date(2024, 1, 15), date(2024, 1, 15)).sort_values("game_id")
    assert dict(zip(rows.game_id, rows.points, strict=True)) == {
        "2024-01-15_0": 9,
        "2024-01-15_1": 101,
        "2024-01-15_5": 8,
    }


def test_reads_have_the_same_types_and_nulls_on_both(warehouse, dataset):
    table = games(dataset)
    data = frame("2024-01-15", 2).astype({"final": "object", "points": "object"})
    data.loc[1, ["points", "pace", "final", "game_id"]] = [None, None, None, None]
    warehouse.replace_dates(table, data, date(2024, 1, 15), date(2024, 1, 15))
    rows = read_dates(warehouse, table, date(2024, 1, 15), date(2024, 1, 15)).sort_values("points")
    assert rows.game_date.tolist() == [date(2024, 1, 15)] * 2
    assert rows.loaded_at.tolist() == [pd.Timestamp("2024-01-16 10:30:00")] * 2
    assert str(rows.points.dtype) == "Int64" and rows.points.isna().sum() == 1
    assert str(rows.final.dtype) == "boolean" and rows.pace.isna().sum() == 1
    assert rows.game_id.tolist()[0] == "2024-01-15_0" and rows.game_id.isna().sum() == 1
    full = warehouse.query(
        f"SELECT points, final, loaded_at FROM {warehouse.ref(table)} WHERE points > $p", {"p": 0}
    )
    assert (str(full.points.dtype), str(full.final.dtype), str(full.loaded_at.dtype)) == (
        "int64",
        "bool",
        "datetime64[us]",
    )


def test_parameters_of_every_type(warehouse, dataset):
    table = games(dataset)
    warehouse.replace_dates(table, frame("2024-01-15", 3), date(2024, 1, 15), date(2024, 1, 15))
    found = warehouse.query(
        f"SELECT count(*) AS n FROM {warehouse.ref(table)} WHERE game_date = $day AND loaded_at >= $since"
        " AND points >= $low AND pace > $pace AND final = $final AND game_id != $not_this",
        {
            "day": date(2024, 1, 15),
            "since": datetime(2024, 1, 16, 10, 0),
            "low": 101,
            "pace": 90.0,
            "final": True,
            "not_this": "2024-01-15_2",
        },
    )
    assert int(found.n.iloc[0]) == 1
    warehouse.execute(
        f"UPDATE {warehouse.ref(table)} SET points = $points WHERE game_id = $id",
        {"points": 55, "id": "2024-01-15_0"},
    )
    assert read_dates(warehouse, table, date(2024, 1, 15), date(2024, 1, 15)).points.sum() == 55 + 101 + 102


def test_a_table_gains_declared_columns_without_losing_rows(warehouse, dataset):
    table = games(dataset)
    warehouse.replace_dates(table, frame("2024-01-15", 2), date(2024, 1, 15), date(2024, 1, 15))
    grown = games(dataset, (("assists", "INT64"),))
    fresh = (  # another process: nothing ensured yet
        DuckDBWarehouse(warehouse.path)
        if isinstance(warehouse, DuckDBWarehouse)
        else BigQueryWarehouse("nba-test", endpoint=warehouse.endpoint)
    )
    old = read_dates(fresh, grown, date(2024, 1, 15), date(2024, 1, 15))
    assert len(old) == 2 and old["assists"].isna().all()
    fresh.replace_dates(grown, frame("2024-01-16", 1).assign(assists=7), date(2024, 1, 16), date(2024, 1, 16))
    assert read_dates(fresh, grown, date(2024, 1, 16), date(2024, 1, 16))["assists"].tolist() == [7]

import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date

import pandas as pd
import pytest

from nba_pipeline.resources.warehouse import (
    BigQueryWarehouse,
    DuckDBWarehouse,
    Table,
    bigquery_parameters,
    read_dates,
    to_bigquery_sql,
)

GAMES = Table(
    "nba_test",
    "games",
    (("game_id", "STRING"), ("game_date", "DATE"), ("points", "INT64"), ("loaded_at", "TIMESTAMP")),
    key=("game_id",),
)


def frame(day: str, n: int, points: int = 100) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_id": [f"{day}_{i}" for i in range(n)],
            "game_date": [day] * n,
            "points": [points] * n,
            "loaded_at": [pd.Timestamp("2024-01-16")] * n,
        }
    )


def test_replacing_dates_is_idempotent_and_scoped(tmp_path):
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    assert wh.replace_dates(GAMES, frame("2024-01-15", 3), date(2024, 1, 15), date(2024, 1, 15)) == 3
    wh.replace_dates(GAMES, frame("2024-01-16", 2), date(2024, 1, 16), date(2024, 1, 16))
    wh.replace_dates(GAMES, frame("2024-01-15", 4, points=90), date(2024, 1, 15), date(2024, 1, 15))
    rows = read_dates(wh, GAMES, date(2024, 1, 1), date(2024, 1, 31))
    assert len(rows) == 6
    assert rows.groupby("game_date")["points"].sum().to_dict() == {
        date(2024, 1, 15): 360,
        date(2024, 1, 16): 200,
    }
    wh.replace_dates(
        GAMES, GAMES.empty(), date(2024, 1, 16), date(2024, 1, 16)
    )  # an empty day really empties
    assert len(read_dates(wh, GAMES, date(2024, 1, 16), date(2024, 1, 16))) == 0


def test_rows_outside_the_replaced_range_and_missing_columns_are_refused(tmp_path):
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    with pytest.raises(ValueError, match="outside the range"):
        wh.replace_dates(GAMES, frame("2024-01-17", 1), date(2024, 1, 15), date(2024, 1, 16))
    with pytest.raises(ValueError, match=r"missing columns \['points'\]"):
        wh.replace_dates(
            GAMES, frame("2024-01-15", 1).drop(columns="points"), date(2024, 1, 15), date(2024, 1, 15)
        )


@contextmanager
def lock_held_by_another_process(path, seconds: float):
    """A second process opens the DuckDB file (taking its lock) for `seconds`."""
    script = f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('held', flush=True); time.sleep({seconds}); c.close()"
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()


def test_a_connection_waits_while_another_process_holds_the_file(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    DuckDBWarehouse(path).replace_dates(GAMES, frame("2024-01-15", 1), date(2024, 1, 15), date(2024, 1, 15))
    with lock_held_by_another_process(path, 2):
        began = time.monotonic()
        rows = read_dates(
            DuckDBWarehouse(path, lock_timeout_s=20), GAMES, date(2024, 1, 15), date(2024, 1, 15)
        )
        waited = time.monotonic() - began
    assert len(rows) == 1 and waited >= 1.0


def test_a_lock_held_past_the_timeout_raises(tmp_path):
    import duckdb

    path = tmp_path / "warehouse.duckdb"
    DuckDBWarehouse(path).ensure(GAMES)
    with lock_held_by_another_process(path, 5), pytest.raises(duckdb.IOException, match="(?i)lock"):
        DuckDBWarehouse(path, lock_timeout_s=0.5).query("select 1")


def test_bigquery_dialect_and_parameters_without_a_project():
    assert to_bigquery_sql(
        "select * from t where game_date between $start and $end and team = $team_abbr"
    ) == ("select * from t where game_date between @start and @end and team = @team_abbr")
    assert BigQueryWarehouse("nba-props-platform").ref(GAMES) == "`nba-props-platform.nba_test.games`"
    params = {
        p.name: p for p in bigquery_parameters({"start": date(2024, 1, 15), "n": 3, "teams": ["LAL", "BOS"]})
    }
    assert (params["start"].type_, params["n"].type_, params["teams"].array_type) == (
        "DATE",
        "INT64",
        "STRING",
    )
    schema = BigQueryWarehouse("p").schema(GAMES)
    assert [(f.name, f.field_type) for f in schema] == [
        ("game_id", "STRING"),
        ("game_date", "DATE"),
        ("points", "INT64"),
        ("loaded_at", "TIMESTAMP"),
    ]


def test_table_declarations_are_validated():
    with pytest.raises(ValueError, match="invalid table declaration"):
        Table("d", "t", (("a", "STRING"), ("a", "INT64"), ("game_date", "DATE")), key=("a",))
    with pytest.raises(ValueError, match="invalid table declaration"):
        Table("d", "t", (("a", "TEXT"), ("game_date", "DATE")), key=("a",))


def test_a_table_gains_declared_columns_without_losing_rows(tmp_path):
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    wh.replace_dates(GAMES, frame("2024-01-15", 2), date(2024, 1, 15), date(2024, 1, 15))
    grown = Table("nba_test", "games", (*GAMES.columns, ("assists", "INT64")), key=("game_id",))
    fresh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")  # a new process: nothing ensured yet
    old = read_dates(fresh, grown, date(2024, 1, 15), date(2024, 1, 15))
    assert len(old) == 2 and old["assists"].isna().all()
    fresh.replace_dates(grown, frame("2024-01-16", 1).assign(assists=7), date(2024, 1, 16), date(2024, 1, 16))
    assert read_dates(fresh, grown, date(2024, 1, 16), date(2024, 1, 16))["assists"].tolist() == [7]

"""The local instance: Dagster's SQLite files, the event log written through kept connections. Other
processes see every write at once; only the latest runs' files keep a connection; the folder can be
copied or moved (no path in its dagster.yaml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import dagster as dg

from nba_pipeline.environment import load_settings
from nba_pipeline.instance import ensure_instance
from nba_pipeline.instance_storage import (
    KEPT_RUN_FILES,
    KeptConnectionSqliteEventLogStorage,
    LocalInstance,
)

KEY = dg.AssetKey(["nba_raw", "nbac_schedule"])


def instance_at(home):
    return ensure_instance(load_settings(environ={"NBA_PIPELINE_HOME": str(home)}))


def materialized(instance) -> list[str]:
    records = instance.fetch_materializations(dg.AssetRecordsFilter(KEY), limit=100).records
    return sorted(r.partition_key for r in records)


def report(instance, day: str) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(KEY, partition=day))


def test_a_second_process_and_this_one_see_each_others_writes_at_once(tmp_path):
    with instance_at(tmp_path) as instance:
        assert isinstance(instance, LocalInstance)
        assert isinstance(instance.event_log_storage, KeptConnectionSqliteEventLogStorage)
        report(instance, "2024-01-01")
        other = textwrap.dedent(
            f"""
            import dagster as dg
            with dg.DagsterInstance.from_config({str(tmp_path / "dagster")!r}) as i:
                key = dg.AssetKey(["nba_raw", "nbac_schedule"])
                seen = i.fetch_materializations(dg.AssetRecordsFilter(key), limit=100).records
                print(len(seen))
                i.report_runless_asset_event(dg.AssetMaterialization(key, partition="2024-01-02"))
            """
        )
        done = subprocess.run([sys.executable, "-c", other], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "1"  # this process's write, through its kept connection
        assert materialized(instance) == ["2024-01-01", "2024-01-02"]  # and the other's, read on ours
    assert (tmp_path / "dagster" / "history" / "runs" / "index.db").exists()  # Dagster's own file


def test_only_the_latest_run_files_keep_a_connection(tmp_path):
    with instance_at(tmp_path) as instance:
        storage = instance.event_log_storage
        shards = [f"run{i:02d}" for i in range(KEPT_RUN_FILES + 4)]
        for shard in shards:
            with storage.run_connection(shard):
                pass
        with storage.index_connection():
            pass
        assert list(storage._engines) == [*shards[-KEPT_RUN_FILES:], "index"]


def test_wipe_drops_the_connections_with_the_files_and_writing_goes_on(tmp_path):
    with instance_at(tmp_path) as instance:
        report(instance, "2024-01-01")
        instance.wipe()
        assert list(instance.event_log_storage._engines) == ["index"]  # reopened by the wipe itself
        assert materialized(instance) == []
        report(instance, "2024-01-03")
        assert materialized(instance) == ["2024-01-03"]


def test_a_copied_folder_writes_its_own_files(tmp_path):
    with instance_at(tmp_path / "a") as instance:
        report(instance, "2024-01-01")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    with instance_at(tmp_path / "b") as copy:
        assert copy.event_log_storage._base_dir == str(tmp_path / "b" / "dagster" / "history" / "runs")
        report(copy, "2024-01-02")
        assert materialized(copy) == ["2024-01-01", "2024-01-02"]
    with instance_at(tmp_path / "a") as original:
        assert materialized(original) == ["2024-01-01"]


def test_the_index_is_asked_once_per_table_not_once_per_write(tmp_path, monkeypatch):
    """Dagster asks whether the asset-check and tag tables exist before writes, each time through a
    new engine (1.5 ms). Two runs of a partitioned asset with a check: one ask per table name."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    asked: list[str] = []
    original = SqliteEventLogStorage.has_table

    def counted(self, table_name):
        asked.append(table_name)
        return original(self, table_name)

    monkeypatch.setattr(SqliteEventLogStorage, "has_table", counted)
    days = dg.DailyPartitionsDefinition(start_date="2024-01-01")

    @dg.asset(partitions_def=days, check_specs=[dg.AssetCheckSpec("ok", asset="rows")])
    def rows():
        yield dg.MaterializeResult(check_results=[dg.AssetCheckResult(passed=True)])

    with instance_at(tmp_path) as instance:
        for day in ("2024-01-01", "2024-01-02"):
            assert dg.materialize([rows], partition_key=day, instance=instance).success
        checks = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("rows"), "ok"), limit=10
        )
    assert [c.status.value for c in checks].count("SUCCEEDED") == 2  # stored: the tables were found
    assert sorted(asked) == sorted(set(asked)) and "asset_check_executions" in asked


def test_event_log_files_commit_to_the_wal_without_an_fsync(tmp_path):
    with instance_at(tmp_path) as instance:
        report(instance, "2024-01-01")
        storage = instance.event_log_storage
        with storage.index_connection() as conn:
            modes = (
                conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
                conn.exec_driver_sql("PRAGMA synchronous").scalar(),
            )
        with storage.run_connection("run01") as conn:
            run_mode = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    assert modes == ("wal", 1) and run_mode == 1  # 1: NORMAL (Dagster's default is 2, FULL)

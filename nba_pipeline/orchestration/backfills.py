"""A command-line backfill recorded as a Dagster backfill: the UI's Backfills page lists it, with its
runs under it and its progress, although the command executes its runs itself (one per phase).

The record is an asset backfill whose every target partition is marked requested from the start, so
a daemon that picks it up launches nothing of its own: it only follows the runs tagged with its id,
as it does for a backfill it launched. The command owns the record, the daemon only reads along:

- between two phases no run of the backfill is in flight, and the daemon may conclude the record
  (successful, or failed with the partitions still unbuilt "stalled"); the next phase reopens it
  (`keep_open`), so the UI never shows a backfill finished while its command is still running;
- when the command finishes, the record says what was attempted — the dates built (read from the
  backfill's own runs, not from the daemon's cursor, which it advances) and the dates that failed;
  dates held back by readiness or by someone else's claim are named in its description — whatever
  the daemon wrote before. A person's cancel (from the UI) is left as it is, and the command runs
  no further phase.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import dagster as dg
from dagster._core.definitions.asset_key import AssetKey
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.definitions.timestamp import TimestampWithTimezone
from dagster._core.execution.asset_backfill import AssetBackfillData
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
from dagster._core.storage.tags import BACKFILL_ID_TAG
from dagster._core.utils import make_new_backfill_id

from nba_pipeline.partitions import MODEL_WEEKS, date_range, week_of
from nba_pipeline.resources.clock import system_now

__all__ = ["BACKFILL_ID_TAG", "close_backfill", "keep_open", "open_backfill"]


def _partitions(graph, key: AssetKey, days: Iterable[date]) -> list[str]:
    if graph.get(key).partitions_def == MODEL_WEEKS:
        return sorted({week_of(d).isoformat() for d in days})
    return [d.isoformat() for d in days]


def _subset(graph, keys_to_days: Mapping[AssetKey, Iterable[date]]) -> AssetGraphSubset:
    return AssetGraphSubset(
        partitions_subsets_by_asset_key={
            key: graph.get(key).partitions_def.subset_with_partition_keys(_partitions(graph, key, days))
            for key, days in keys_to_days.items()
            if days
        },
        non_partitioned_asset_keys=set(),
    )


def open_backfill(
    instance: dg.DagsterInstance,
    defs: dg.Definitions,
    keys: list[AssetKey],
    start: date,
    end: date,
    title: str,
    tags: Mapping[str, str],
) -> str:
    """Record the backfill, every partition of it marked requested; returns its id (the runs' tag)."""
    graph = defs.resolve_asset_graph()
    target = _subset(graph, dict.fromkeys(keys, list(date_range(start, end))))
    now = system_now().timestamp()
    data = AssetBackfillData(
        target_subset=target,
        requested_runs_for_target_roots=True,
        # 0 on an empty event log, never None: from None the daemon would count nothing as built
        latest_storage_id=instance.event_log_storage.get_maximum_record_id() or 0,
        materialized_subset=AssetGraphSubset(),
        requested_subset=target,
        failed_and_downstream_subset=AssetGraphSubset(),
        backfill_start_time=TimestampWithTimezone(now, "UTC"),
    )
    backfill = PartitionBackfill(
        backfill_id=make_new_backfill_id(),
        status=BulkActionStatus.REQUESTED,
        from_failure=False,
        tags=dict(tags),
        backfill_timestamp=now,
        asset_selection=keys,
        asset_backfill_data=data,
        title=title,
        description=f"{start} → {end}: executed by the command line, one run per phase",
    )
    instance.add_backfill(backfill)
    return backfill.backfill_id


def _built_by(instance: dg.DagsterInstance, backfill_id: str, keys: list[AssetKey]):
    """asset -> the dates this backfill's runs materialized (their own event logs: one run a phase)."""
    wanted = set(keys)
    built: dict[AssetKey, set[date]] = {}
    for run_id in instance.get_run_ids(dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id})):
        cursor = None
        while True:  # in pages: a season's phase 2 run writes thousands
            page = instance.get_records_for_run(
                run_id, cursor=cursor, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=5_000
            )
            for record in page.records:
                event = record.event_log_entry.dagster_event
                if event and event.asset_key in wanted and event.partition:
                    built.setdefault(event.asset_key, set()).add(date.fromisoformat(event.partition))
            if not page.has_more:
                break
            cursor = page.cursor
    return built


_CONCLUDED_BY_THE_DAEMON = (BulkActionStatus.COMPLETED_SUCCESS, BulkActionStatus.COMPLETED_FAILED)
_CANCELED_BY_A_PERSON = (BulkActionStatus.CANCELING, BulkActionStatus.CANCELED)  # the UI's Cancel


def keep_open(instance: dg.DagsterInstance, backfill_id: str) -> bool:
    """Before a phase: reopen the record if the daemon concluded it while no run was in flight.
    False when a person canceled the backfill (the UI's Cancel): no further phase is to run."""
    backfill = instance.get_backfill(backfill_id)
    if backfill is None:
        return True
    if backfill.status in _CANCELED_BY_A_PERSON:
        return False
    if backfill.status not in _CONCLUDED_BY_THE_DAEMON:
        return True
    data = backfill.asset_backfill_data
    instance.update_backfill(  # its "stalled" partitions were only not built yet
        backfill.with_status(BulkActionStatus.REQUESTED)._replace(
            backfill_end_timestamp=None,
            asset_backfill_data=data._replace(failed_and_downstream_subset=AssetGraphSubset()),
        )
    )
    return True


def close_backfill(
    instance: dg.DagsterInstance,
    defs: dg.Definitions,
    backfill_id: str,
    failed: Mapping[AssetKey, Iterable[date]],
    held: Mapping[str, list[str]],
) -> None:
    """Complete the record: what the runs built, what failed, and (in its description) what was held.
    Whatever the daemon concluded is replaced; a cancel from the UI is kept."""
    backfill = instance.get_backfill(backfill_id)
    if backfill is None or backfill.status in _CANCELED_BY_A_PERSON:
        return
    graph = defs.resolve_asset_graph()
    data = backfill.asset_backfill_data
    keys = list(backfill.asset_selection or [])
    built = _subset(graph, _built_by(instance, backfill_id, keys))
    lost = _subset(graph, {k: list(v) for k, v in failed.items()})
    attempted = built | lost
    done = data._replace(
        target_subset=attempted,
        requested_subset=attempted,
        materialized_subset=built,
        failed_and_downstream_subset=lost,
    )
    status = (
        BulkActionStatus.COMPLETED_FAILED
        if lost.num_partitions_and_non_partitioned_assets
        else (BulkActionStatus.COMPLETED_SUCCESS)
    )
    note = backfill.description or ""
    if held:
        first = ", ".join(sorted(held)[:10]) + (" …" if len(held) > 10 else "")
        note += f"; held back ({len(held)} dates: readiness or someone else's claim): {first}"
    instance.update_backfill(
        backfill.with_asset_backfill_data(done, instance, graph)
        .with_status(status)
        .with_end_timestamp(system_now().timestamp())
        ._replace(description=note)
    )

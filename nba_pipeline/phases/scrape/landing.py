"""Landing one feed for a range of dates: each date fetched and stored on its own, so a date whose
upstream fails is reported and the others still land (DOMAIN §8 item 20).

What the live loader already fetched to decide a load (its fingerprint) is staged under the load's
correlation id, and that load's Phase 1 lands it instead of asking the upstream again: one call per
feed and date, not two, and the landed data is exactly the data whose fingerprint versions it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from nba_pipeline.phases.raw.parsers import games_in_payload
from nba_pipeline.resources.blobs import BlobStore
from nba_pipeline.sources import (
    Payload,
    SourceClient,
    SourceError,
    TransientSourceError,
    encode_json,
    fetch_with_retries,
)
from nba_pipeline.tags import CORRELATION_ID, LOADER, TRIGGER

STAGED = "_staged"  # {correlation id}/{date}/{feed}/payloads.json in the landing store


@dataclass
class Landed:
    files: int = 0
    bytes: int = 0
    games: int = 0
    retries: int = 0
    failures: dict[date, str] = field(default_factory=dict)  # date -> one line: source, call, what to do
    skipped: list[date] = field(default_factory=list)  # not tried: the upstream was already down
    notes: dict = field(default_factory=dict)  # what the source reports of its calls, summed over dates
    per_date: dict[date, dict] = field(default_factory=dict)  # each landed date's own numbers
    staged: int = 0  # dates landed from what the loader fetched (no second upstream call)

    @property
    def failed(self) -> list[date]:
        return sorted([*self.failures, *self.skipped])


def _merge(total: dict, notes: dict) -> None:
    """Call counts and other numbers add up, lists extend, the rest (the quota) is the latest known."""
    for key, value in notes.items():
        if key == "calls":
            for host, n in value.items():
                total.setdefault("calls", {})[host] = total.get("calls", {}).get(host, 0) + n
        elif isinstance(value, list):
            total.setdefault(key, []).extend(value)
        elif isinstance(value, int):
            total[key] = total.get(key, 0) + value
        elif value or key not in total:
            total[key] = value


def _staged_folder(correlation_id: str, feed: str, day: date) -> str:
    return f"{STAGED}/{correlation_id}/{day.isoformat()}/{feed}"


def stage(store: BlobStore, correlation_id: str, feed: str, day: date, payloads: list[Payload]) -> None:
    """Keep what was fetched for the load `correlation_id` (an empty list too: "nothing yet" is an answer)."""
    listed = [{"name": p.name, "body": p.body} for p in payloads]
    store.replace_folder(_staged_folder(correlation_id, feed, day), {"payloads.json": encode_json(listed)})


def staged_load(tags: dict[str, str]) -> str | None:
    """The load whose payloads a run lands from staging: a live-loader run's correlation id (no other
    run has any, so no other run looks)."""
    return tags.get(CORRELATION_ID) if tags.get(TRIGGER) == LOADER else None


def take_staged(store: BlobStore, correlation_id: str | None, feed: str, day: date) -> list[Payload] | None:
    """The payloads staged for this load, feed and date (None when nothing was staged)."""
    if not correlation_id:
        return None
    path = f"{_staged_folder(correlation_id, feed, day)}/payloads.json"
    if not store.exists(path):
        return None
    return [Payload(p["name"], p["body"]) for p in json.loads(store.read(path))]


def land_feed(
    client: SourceClient,
    store: BlobStore,
    feed: str,
    days: list[date],
    now: datetime,
    correlation_id: str | None = None,
) -> Landed:
    """Store each date: what the loader staged for this load, else fetched. A client that retries on
    its own (`retries_itself`) is asked once; after a transient failure it outlasted, the remaining
    dates are not tried against a down upstream."""
    landed = Landed()
    attempts = 1 if getattr(client, "retries_itself", False) else 4
    down = None
    for day in days:
        if down is not None:
            landed.skipped.append(day)
            continue
        staged = take_staged(store, correlation_id, feed, day)
        payloads, retries = staged, 0
        if staged is None:
            try:
                payloads, retries = fetch_with_retries(client, feed, day, now, attempts=attempts)
            except SourceError as exc:
                landed.failures[day] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                down = exc if isinstance(exc, TransientSourceError) else None
                continue
            finally:
                _merge(landed.notes, getattr(client, "notes", {}) or {})
        size = store.replace_folder(f"{feed}/{day.isoformat()}", {p.name: p.to_bytes() for p in payloads})
        if staged is not None:  # landed: the staged copy's job is done (a step retry would fetch)
            store.replace_folder(_staged_folder(correlation_id, feed, day), {})
            landed.staged += 1
        games = len(set().union(*(games_in_payload(feed, p.body) for p in payloads))) if payloads else 0
        landed.per_date[day] = {
            "dagster/row_count": len(payloads),
            "files": len(payloads),
            "bytes": size,
            "games_covered": games,
            "retries": retries,
        }
        landed.retries += retries
        landed.bytes += size
        landed.files += len(payloads)
        landed.games += games
    return landed


def failed_dates(landed: Landed) -> dict[date, str]:
    """Every date that did not land, with why: its own failure, or not tried behind an outage."""
    first = min(landed.failures) if landed.failures else None
    behind = f"not tried: the upstream was down ({first})" if first else "not tried"
    return {d: landed.failures.get(d, behind) for d in landed.failed}


STAGED_KEPT = timedelta(days=2)  # the loader looks at yesterday, today and tomorrow: older is done


def sweep_staged(store: BlobStore, today: date) -> int:
    """Staged payloads no load will take any more (their run failed before landing them, and the
    loader staged a new load since): folders dated before `today - STAGED_KEPT`; returns how many."""
    old = set()
    for path in store.list(STAGED):
        parts = path.split("/")  # _staged/{correlation id}/{date}/{feed}/payloads.json
        if len(parts) == 5 and _dated_before(parts[2], today - STAGED_KEPT):
            old.add("/".join(parts[:4]))
    for folder in old:
        store.replace_folder(folder, {})
    return len(old)


def _dated_before(iso: str, cutoff: date) -> bool:
    try:
        return date.fromisoformat(iso) < cutoff
    except ValueError:
        return False

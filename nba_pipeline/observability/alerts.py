"""Alerts: one record per alert in `nba_orchestration.alerts`, and a log line."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd

from nba_pipeline.observability.tables import ALERTS
from nba_pipeline.partitions import utc_naive
from nba_pipeline.resources.warehouse import Warehouse

log = logging.getLogger("nba_pipeline.alerts")
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2, "critical": 3}
DEDUPE_WINDOW = timedelta(days=7)  # the same condition raised again within this is not news


@dataclass(frozen=True)
class Alert:
    kind: str  # dependency_fail, dependency_wait, ...
    severity: str  # critical | error | warning | info
    summary: str  # one line
    dedupe_key: str
    game_date: date | None = None
    phase: int | None = None
    details: dict = field(default_factory=dict)
    link: str = ""


def fresh(alerts: list[Alert], raised: dict[str, str]) -> list[Alert]:
    """Alerts not raised before at this severity or higher (`raised`: dedupe key -> worst severity);
    one per dedupe key. An escalation (a higher severity) is news; a repeat is not."""
    out: dict[str, Alert] = {}
    for a in alerts:
        before = SEVERITY_RANK.get(raised.get(a.dedupe_key, ""), -1)
        if SEVERITY_RANK[a.severity] > before and a.dedupe_key not in out:
            out[a.dedupe_key] = a
    return list(out.values())


class LocalAlertSink:
    """The default sink: the alerts table plus the log. No storms: a condition already raised (same
    dedupe key, same or higher severity) within the dedupe window is dropped."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse

    def raised(self, since: datetime) -> dict[str, str]:
        self.warehouse.ensure(ALERTS)
        frame = self.warehouse.query(
            f"SELECT dedupe_key, severity FROM {self.warehouse.ref(ALERTS)} WHERE raised_at >= $since",
            {"since": utc_naive(since)},
        )
        worst: dict[str, str] = {}
        for key, severity in zip(frame.dedupe_key, frame.severity, strict=True):
            if SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK.get(worst.get(key, ""), -1):
                worst[key] = severity
        return worst

    def send(self, alerts: list[Alert], now: datetime) -> list[Alert]:
        """Records and logs the alerts that are news; returns them."""
        if not alerts:
            return []
        alerts = fresh(alerts, self.raised(now - DEDUPE_WINDOW))
        if not alerts:
            return []
        rows = pd.DataFrame(
            [
                {
                    "alert_id": uuid.uuid4().hex,
                    "raised_at": utc_naive(now),
                    "game_date": a.game_date,
                    "phase": a.phase,
                    "severity": a.severity,
                    "kind": a.kind,
                    "dedupe_key": a.dedupe_key,
                    "summary": a.summary,
                    "details": json.dumps(a.details, default=str),
                    "link": a.link,
                    "loaded_at": utc_naive(now),
                }
                for a in alerts
            ]
        )
        self.warehouse.upsert(ALERTS, rows)
        for a in alerts:
            log.warning("[%s] %s", a.severity, a.summary)
        return alerts

"""Alerts: one record per alert in `nba_orchestration.alerts`, and a log line."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from nba_pipeline.observability.tables import ALERTS
from nba_pipeline.partitions import utc_naive
from nba_pipeline.resources.warehouse import Warehouse

log = logging.getLogger("nba_pipeline.alerts")


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


class LocalAlertSink:
    """The default sink: the alerts table plus the log."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse

    def send(self, alerts: list[Alert], now: datetime) -> None:
        if not alerts:
            return
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

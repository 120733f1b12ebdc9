"""Alerts: one record per alert in `nba_orchestration.alerts`, and a log line."""

from __future__ import annotations

import json
import logging
import os
import urllib.request
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


RESOLVED = "resolved"  # the severity of the row that says a condition cleared


def open_conditions(rows: list[tuple[str, str]]) -> dict[str, str]:
    """Dedupe key -> worst severity raised since it last cleared, from (key, severity) rows in time order."""
    worst: dict[str, str] = {}
    for key, severity in rows:
        if severity == RESOLVED:
            worst.pop(key, None)
        elif SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK.get(worst.get(key, ""), -1):
            worst[key] = severity
    return worst


def explain(alert: Alert) -> str:
    """In words, from a failed check's metadata, why it failed (empty when there is nothing to add):
    an excused shortfall gives its excuse, a short table how many games it covers, an invalid one
    how many rows are wrong."""
    md = (alert.details or {}).get("metadata") or {}
    if "games_expected" in md:
        covered = f"{md.get('games_covered')} of {md['games_expected']} expected games covered"
        needed = f", {float(md['required']):.0%} needed" if "required" in md else ""
        if md.get("reason"):
            missing = int(md["games_expected"]) - int(md.get("games_covered") or 0)
            return f" — {covered}{needed}; the {missing} missing excused: {md['reason']}"
        return f" — {covered}{needed}"
    if "invalid_rows" in md:
        return f" — {md['invalid_rows']} of {md.get('rows')} rows invalid"
    return ""


class LocalAlertSink:
    """The default sink: the alerts table plus the log. No storms: a condition already raised (same
    dedupe key, same or higher severity) and not cleared since, within the dedupe window, is dropped."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse

    def raised(self, since: datetime) -> dict[str, str]:
        self.warehouse.ensure(ALERTS)
        frame = self.warehouse.query(
            f"SELECT dedupe_key, severity FROM {self.warehouse.ref(ALERTS)} WHERE raised_at >= $since"
            " ORDER BY raised_at, loaded_at",
            {"since": utc_naive(since)},
        )
        return open_conditions(list(zip(frame.dedupe_key, frame.severity, strict=True)))

    def resolve(self, dedupe_keys: list[str], now: datetime) -> list[str]:
        """Conditions that cleared: the next time they happen they alert again. Returns those closed."""
        open_now = self.raised(now - DEDUPE_WINDOW)
        closing = [k for k in dict.fromkeys(dedupe_keys) if k in open_now]
        if closing:
            self._record([Alert(RESOLVED, RESOLVED, f"cleared: {k}", k) for k in closing], now)
        return closing

    def deliver(self, alerts: list[Alert]) -> None:
        for a in alerts:
            log.warning("[%s] %s%s", a.severity, a.summary, explain(a))

    def send(self, alerts: list[Alert], now: datetime) -> list[Alert]:
        """Records and logs the alerts that are news; returns them."""
        if not alerts:
            return []
        alerts = fresh(alerts, self.raised(now - DEDUPE_WINDOW))
        if alerts:
            self._record(alerts, now)
            self.deliver(alerts)
        return alerts

    def _record(self, alerts: list[Alert], now: datetime) -> None:
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


class SlackAlertSink(LocalAlertSink):
    """Production: the same table (it holds the dedupe state), and each new alert posted to a Slack
    incoming webhook. A post that fails is logged; the alert stays in the table."""

    ICONS = {
        "critical": ":rotating_light:",
        "error": ":red_circle:",
        "warning": ":warning:",
        "info": ":information_source:",
    }

    def __init__(self, warehouse: Warehouse, webhook_url: str):
        super().__init__(warehouse)
        if not webhook_url.startswith("https://"):
            raise ValueError("the Slack webhook URL must start with https://")
        self.webhook_url = webhook_url

    def deliver(self, alerts: list[Alert]) -> None:
        super().deliver(alerts)
        for a in alerts:
            text = f"{self.ICONS.get(a.severity, '')} *{a.severity}* {a.summary}" + (
                f" <{a.link}|open>" if a.link else ""
            )
            request = urllib.request.Request(
                self.webhook_url, json.dumps({"text": text}).encode(), {"Content-Type": "application/json"}
            )
            try:
                urllib.request.urlopen(request, timeout=10).close()
            except OSError as exc:
                log.error("Slack post failed (%s); the alert is in the alerts table: %s", exc, a.summary)


SLACK_WEBHOOK_ENV = "NBA_PIPELINE_SLACK_WEBHOOK"


def make_sink(warehouse: Warehouse, slack_webhook: str | None = None) -> LocalAlertSink:
    """The one way alerts leave the platform: Slack when a webhook is configured (read when an alert
    is sent, not at import), the local table and log otherwise."""
    webhook = slack_webhook or os.environ.get(SLACK_WEBHOOK_ENV, "").strip()
    return SlackAlertSink(warehouse, webhook) if webhook else LocalAlertSink(warehouse)

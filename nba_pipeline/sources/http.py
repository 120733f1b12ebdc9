"""The one HTTP client of the real sources: a pooled `requests.Session` that paces, times out,
retries and turns every upstream failure into one line a person can act on.

nba_api's endpoints, The Odds API and the injury-report PDFs all go through it (nba_api keeps its
session class-level; `NbaSource` hands it this one). Per host it knows the label, the pause between
calls (stats.nba.com throttles: nba_api#176), the headers a browser sends and what a body must be.
Transient failures (timeouts, connection resets, 429, 5xx) are retried with exponential back-off and
jitter, honouring Retry-After; permanent ones (4xx, an HTML block page, a malformed body) are not.
Retry and pacing waits run on the wall clock, never the business clock (ARCHITECTURE §4).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from nba_pipeline.sources import PermanentSourceError, TransientSourceError

MAX_TIMEOUT = 30.0  # seconds: stats.nba.com hangs rather than refuses (nba_api#320)
RETRY_CAP = 30.0  # the longest single back-off (and the longest Retry-After honoured)


@dataclass(frozen=True)
class Host:
    label: str  # how a person names the upstream in an error line
    pace: float  # seconds between two calls to it
    body: str  # "json" or "pdf": what a 200 must carry
    headers: dict[str, str]
    advice: str  # what to do when it blocks or keeps failing


_BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/145.0.0.0 Safari/537.36"
_NBA_HEADERS = {
    "User-Agent": _BROWSER,
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "en-US,en;q=0.9",
    "Referer": "https://www.nba.com/",
    "Origin": "https://www.nba.com",
    "Connection": "keep-alive",
}
HOSTS = {
    "stats.nba.com": Host(
        "NBA.com stats",
        0.6,
        "json",
        _NBA_HEADERS,
        "stats.nba.com blocks many cloud hosts: run from another network, or let the cdn.nba.com fallback answer",
    ),
    "cdn.nba.com": Host("NBA.com cdn", 0.2, "json", _NBA_HEADERS, "check the network, then retry later"),
    "api.the-odds-api.com": Host(
        "The Odds API",
        0.2,
        "json",
        {"User-Agent": "nba-pipeline", "Accept": "application/json"},
        "check NBA_PIPELINE_ODDS_API_KEY and the plan's quota at the-odds-api.com",
    ),
    "ak-static.cms.nba.com": Host(
        "NBA injury report",
        0.2,
        "pdf",
        {"User-Agent": _BROWSER, "Accept": "application/pdf"},
        "check the network, then retry later",
    ),
}
_UNKNOWN = Host("upstream", 0.0, "json", {}, "check the network")


def host_of(url: str) -> Host:
    return HOSTS.get(urlsplit(url).hostname or "", _UNKNOWN)


def call_name(url: str) -> str:
    """`host/path` of a request, never its query (where an API key travels)."""
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path}"


class NotFound(PermanentSourceError):
    """HTTP 404: for an expired event or a report not out yet, an answer rather than a failure."""


class UpstreamError(PermanentSourceError):
    """A permanent failure with the HTTP status it came with (None: no response at all)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def _problem(host: Host, url: str, what: str) -> str:
    return f"{host.label}: {call_name(url)}: {what}"


def _odds_refusal(response: requests.Response) -> str:
    """The Odds API says why in its body: a quota used up, or a key it does not know."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = {}
    code = body.get("error_code", "") if isinstance(body, dict) else ""
    if "USAGE" in code or "quota" in str(body.get("message", "")).lower():
        return "quota exhausted"
    return "the API key was refused (bad key)"


def classify(response: requests.Response) -> Exception | None:
    """The error a response stands for, or None when its body is what the host promises."""
    url, status, host = response.url, response.status_code, host_of(response.url)
    if status == 404:
        return NotFound(_problem(host, url, "HTTP 404 not found"))
    if status == 429:
        return TransientSourceError(_problem(host, url, "HTTP 429 rate limited"))
    if status >= 500:
        return TransientSourceError(_problem(host, url, f"HTTP {status} server error"))
    if status in (401, 403) and host is HOSTS["api.the-odds-api.com"]:
        return UpstreamError(
            _problem(host, url, f"HTTP {status}: {_odds_refusal(response)} — {host.advice}"), status
        )
    if status in (401, 403):
        return UpstreamError(
            _problem(host, url, f"HTTP {status}: access denied (blocked) — {host.advice}"), status
        )
    if status >= 400:
        return UpstreamError(_problem(host, url, f"HTTP {status} — {host.advice}"), status)
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    head = response.content[:64].lstrip().lower()
    if host.body == "json" and (kind == "text/html" or head.startswith((b"<!doctype", b"<html"))):
        return UpstreamError(
            _problem(host, url, f"an HTML page instead of JSON (blocked) — {host.advice}"), status
        )
    if host.body == "pdf" and not response.content.startswith(b"%PDF"):
        return UpstreamError(_problem(host, url, "the body is not a PDF (malformed)"), status)
    return None


def json_body(response: requests.Response, expect: type = dict):
    """The response's JSON, which must be an object (or, with `expect=list`, a list)."""
    where = _problem(host_of(response.url), response.url, "")
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise UpstreamError(f"{where}malformed JSON body ({exc})", response.status_code) from exc
    if not isinstance(body, expect):
        raise UpstreamError(f"{where}malformed body: not a JSON {'list' if expect is list else 'object'}")
    return body


class SourceSession(requests.Session):
    """`requests.Session` with the sources' policy: every request paced per host, bounded by
    MAX_TIMEOUT, retried when transient, and answered with a response whose body is what the host
    promises — or a `SourceError` whose message is one actionable line. Counts calls per host."""

    def __init__(
        self,
        attempts: int = 4,
        base_delay: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        recordings: Path | None = None,
        record_to: Path | None = None,
        jitter: Callable[[], float] = lambda: random.uniform(0.5, 1.5),
    ):
        super().__init__()
        self.attempts, self.base_delay, self.sleep, self.monotonic = attempts, base_delay, sleep, monotonic
        self.jitter = jitter
        self.calls: dict[str, int] = {}  # requests sent per host, retries included
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        if recordings is not None:
            from nba_pipeline.sources.recordings import RecordingsAdapter

            self._mount_all(RecordingsAdapter(recordings))
        elif record_to is not None:
            from nba_pipeline.sources.recordings import RecordingWriter

            self._mount_all(RecordingWriter(record_to))

    def _mount_all(self, adapter) -> None:
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method, url, **kwargs):
        timeout = kwargs.pop("timeout", None)
        kwargs["timeout"] = min(timeout or MAX_TIMEOUT, MAX_TIMEOUT)
        host = host_of(url)
        kwargs["headers"] = {
            **host.headers,
            **{k: v for k, v in (kwargs.get("headers") or {}).items() if k != "Host"},
        }
        for attempt in range(self.attempts):
            self._pace(urlsplit(url).hostname or "", host.pace)
            try:
                response = super().request(method, url, **kwargs)
                error = classify(response)
            except requests.Timeout:
                response, error = (
                    None,
                    TransientSourceError(_problem(host, url, f"timed out after {kwargs['timeout']:g} s")),
                )
            except requests.ConnectionError as exc:
                from nba_pipeline.sources.recordings import NoRecording

                if isinstance(exc, NoRecording):
                    raise UpstreamError(_problem(host, url, str(exc))) from None
                response, error = (
                    None,
                    TransientSourceError(
                        _problem(host, url, "could not connect (no network, DNS or a firewall)")
                    ),
                )
            if error is None:
                return response
            if not isinstance(error, TransientSourceError):
                raise error
            if attempt == self.attempts - 1:
                tries = f" — gave up after {self.attempts} attempts" if self.attempts > 1 else ""
                raise TransientSourceError(f"{error}{tries}; {host.advice}")
            self.sleep(self._backoff(attempt, response))
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int, response: requests.Response | None) -> float:
        after = response.headers.get("Retry-After", "") if response is not None else ""
        if after.isdigit():
            return min(float(after), RETRY_CAP)
        return min(self.base_delay * 2**attempt, RETRY_CAP) * self.jitter()

    def _pace(self, hostname: str, pace: float) -> None:
        with self._lock:
            wait = self._last.get(hostname, -1e9) + pace - self.monotonic()
            if wait > 0:
                self.sleep(wait)
            self._last[hostname] = self.monotonic()
            self.calls[hostname] = self.calls.get(hostname, 0) + 1

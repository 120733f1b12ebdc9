"""The sources' one HTTP session against recorded failures, served at the transport layer: what is
retried, what is not, and the one line each failure leaves."""

from __future__ import annotations

import json

import pytest

from nba_pipeline.sources import PermanentSourceError, TransientSourceError
from nba_pipeline.sources.http import MAX_TIMEOUT, NotFound, SourceSession, json_body
from nba_pipeline.sources.recordings import RecordingsAdapter
from nba_pipeline_tests.conftest import FIXTURES

FAILURES = FIXTURES / "http" / "failures"
LOG = "https://stats.nba.com/stats/leaguegamelog"


class Clock:
    """The wall clock of a session under test: sleeping advances it, and every pause is kept."""

    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def session(folder=FAILURES, jitter: float = 1.0) -> tuple[SourceSession, Clock]:
    clock = Clock()
    return SourceSession(
        recordings=folder, sleep=clock.sleep, monotonic=clock.monotonic, jitter=lambda: jitter
    ), clock


def test_429_is_retried_after_the_retry_after_it_names():
    s, clock = session()
    body = json_body(s.get(LOG, params={"DateFrom": "01/01/2025"}))
    assert body["resultSets"][0]["rowSet"] == []
    assert s.calls == {"stats.nba.com": 2} and clock.sleeps == [2.0]


@pytest.mark.parametrize(
    "date_from, message",
    [
        (
            "01/02/2025",
            "NBA.com stats: stats.nba.com/stats/leaguegamelog: HTTP 500 server error — gave up after 4 attempts",
        ),
        (
            "01/03/2025",
            f"NBA.com stats: stats.nba.com/stats/leaguegamelog: timed out after {MAX_TIMEOUT:g} s — gave up after 4 attempts",
        ),
    ],
)
def test_transient_failures_back_off_then_give_up_in_one_line(date_from, message):
    s, clock = session(jitter=1.25)
    with pytest.raises(TransientSourceError) as caught:
        s.get(LOG, params={"DateFrom": date_from})
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
    assert "run from another network" in str(caught.value)  # what to do
    assert s.calls == {"stats.nba.com": 4}
    assert clock.sleeps == [
        1.25,
        2.5,
        5.0,
    ]  # 1, 2, 4 s with the jitter's factor; each outlasts the 0.6 s pace


@pytest.mark.parametrize(
    "date_from, message",
    [
        ("01/04/2025", "stats.nba.com/stats/leaguegamelog: an HTML page instead of JSON (blocked)"),
        ("01/05/2025", "stats.nba.com/stats/leaguegamelog: malformed JSON body"),
    ],
)
def test_a_block_page_or_a_malformed_body_is_permanent(date_from, message):
    s, _ = session()
    with pytest.raises(PermanentSourceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        json_body(s.get(LOG, params={"DateFrom": date_from}))
    assert s.calls == {"stats.nba.com": 1}  # never retried


@pytest.mark.parametrize(
    "commence_from, message",
    [
        (
            "2025-01-06T05:00:00Z",
            "The Odds API: api.the-odds-api.com/v4/sports/basketball_nba/events: HTTP 401: the API key was refused (bad key)",
        ),
        (
            "2025-01-07T05:00:00Z",
            "The Odds API: api.the-odds-api.com/v4/sports/basketball_nba/events: HTTP 401: quota exhausted",
        ),
    ],
)
def test_odds_api_refusals_say_why_and_never_show_the_key(commence_from, message):
    s, _ = session()
    with pytest.raises(PermanentSourceError) as caught:
        s.get(
            "https://api.the-odds-api.com/v4/sports/basketball_nba/events",
            params={"apiKey": "sk-secret-123", "commenceTimeFrom": commence_from},
        )
    assert str(caught.value).startswith(message)
    assert "NBA_PIPELINE_ODDS_API_KEY" in str(caught.value) and "sk-secret-123" not in str(caught.value)


def test_a_request_without_a_recording_fails_at_once_naming_it(tmp_path):
    s, _ = session(tmp_path)
    with pytest.raises(
        PermanentSourceError,
        match=r"no recording for GET stats.nba.com/stats/leaguegamelog\?DateFrom=02/01/2025",
    ):
        s.get(LOG, params={"DateFrom": "02/01/2025"})


def test_404_is_its_own_answer(tmp_path):
    (tmp_path / "gone.json").write_text(
        json.dumps({"request": {"url": "https://cdn.nba.com/x.json"}, "response": {"status": 404}})
    )
    s, _ = session(tmp_path)
    with pytest.raises(NotFound):
        s.get("https://cdn.nba.com/x.json")


def test_calls_to_stats_nba_com_are_paced(tmp_path):
    s, clock = session()
    for _ in range(3):
        s.get(LOG, params={"DateFrom": "01/01/2025"})  # 429 once, then answers: 4 calls
    waits = [x for x in clock.sleeps if x < 1.0]
    assert s.calls == {"stats.nba.com": 4} and waits == [0.6, 0.6]  # the 2 s Retry-After covered one gap


def test_timeouts_are_capped_at_30_s(tmp_path):
    adapter = RecordingsAdapter(FAILURES)
    seen = {}
    adapter.send = lambda request, **kw: seen.update(kw) or RecordingsAdapter.send(adapter, request, **kw)
    s, _ = session(tmp_path)
    s.mount("https://", adapter)
    s.get(LOG, params={"DateFrom": "01/01/2025"}, timeout=120)
    assert seen["timeout"] == MAX_TIMEOUT


def test_recording_keeps_no_key_no_cookie(tmp_path, monkeypatch):
    """Record mode saves what replay needs and nothing that identifies anyone (the network is
    stood in for at requests' own adapter)."""
    import requests

    def network(self, request, **kwargs):
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response.headers.update(
            {"Content-Type": "application/json", "Set-Cookie": "ak_bmsc=abc", "x-requests-remaining": "42"}
        )
        response._content = b"[]"
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", network)
    recorder = SourceSession(record_to=tmp_path, sleep=lambda s: None)
    recorder.get(
        "https://api.the-odds-api.com/v4/sports/basketball_nba/events",
        params={"apiKey": "sk-secret-123", "dateFormat": "iso"},
    )
    [saved] = list(tmp_path.rglob("*.json"))
    text = saved.read_text()
    assert "sk-secret-123" not in text and "ak_bmsc" not in text
    assert json.loads(text)["responses"] == [
        {
            "status": 200,
            "headers": {"Content-Type": "application/json", "x-requests-remaining": "42"},
            "json": [],
        }
    ]
    replay, _ = session(tmp_path)
    assert (
        json_body(
            replay.get(
                "https://api.the-odds-api.com/v4/sports/basketball_nba/events",
                params={"apiKey": "other", "dateFormat": "iso"},
            ),
            list,
        )
        == []
    )

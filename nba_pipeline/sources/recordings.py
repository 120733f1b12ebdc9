"""Recorded HTTP exchanges, served (or written) at the transport layer: the one recordings transport.

`NBA_PIPELINE_HTTP_RECORDINGS=DIR` mounts `RecordingsAdapter` on the sources' session, so every call
of the real sources — nba_api's included — is answered from DIR and nothing goes to the network;
`NBA_PIPELINE_HTTP_RECORD=DIR` mounts `RecordingWriter`, which calls the network and saves each
exchange there. A recording is one JSON file (any name, any sub-folder):

    {"request": {"method": "GET", "url": "https://stats.nba.com/stats/leaguegamelog",
                 "params": {"DateFrom": "01/15/2024", "DateTo": "01/15/2024"}},
     "responses": [{"status": 429, "headers": {"Retry-After": "1"}, "text": ""},
                   {"status": 200, "headers": {"Content-Type": "application/json"}, "json": {...}}]}

A request matches a recording with the same method, host and path whose params are all among the
request's (the most specific wins; `apiKey` is never recorded nor compared). Its responses are served
in order, the last one repeating; a response is `json`, `text`, `body_file` (a file beside it, e.g. a
PDF) or `"timeout": true`. A request nothing matches raises `NoRecording`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict

SECRET_PARAMS = {"apikey", "api_key"}
KEPT_HEADERS = ("content-type", "retry-after", "x-requests-remaining", "x-requests-used", "x-requests-last")


class NoRecording(requests.ConnectionError):
    """No recorded exchange answers this request."""


def _target(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    params = {
        k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in SECRET_PARAMS
    }
    return f"{parts.scheme}://{parts.hostname}{parts.path}", params


class RecordingsAdapter(BaseAdapter):
    def __init__(self, folder: Path):
        super().__init__()
        self.folder = Path(folder)
        self.served: dict[Path, int] = {}  # responses served per recording
        self._index: list[tuple[str, str, dict, Path, dict]] | None = None

    def recordings(self) -> list[tuple[str, str, dict, Path, dict]]:
        """(method, url, params, file, recording) of every recording in the folder."""
        if self._index is None:
            found = []
            for path in sorted(self.folder.rglob("*.json")) if self.folder.is_dir() else []:
                try:
                    record = json.loads(path.read_text())
                except ValueError:
                    continue
                request = record.get("request") if isinstance(record, dict) else None
                if not isinstance(request, dict) or "url" not in request:
                    continue  # not a recording (a fixture of another kind)
                url, params = _target(request["url"])
                params |= {k: str(v) for k, v in request.get("params", {}).items()}
                found.append((request.get("method", "GET").upper(), url, params, path, record))
            self._index = found
        return self._index

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        url, params = _target(request.url)
        candidates = [
            (len(want), path, record)
            for method, where, want, path, record in self.recordings()
            if method == request.method and where == url and all(params.get(k) == v for k, v in want.items())
        ]
        if not candidates:
            shown = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
            target = f"{url.split('://', 1)[1]}{'?' + shown if shown else ''}"
            raise NoRecording(f"no recording for {request.method} {target} in {self.folder}")
        _, path, record = max(candidates, key=lambda c: c[0])
        responses = record.get("responses") or [record["response"]]
        index = self.served.get(path, 0)
        self.served[path] = index + 1
        answer = responses[min(index, len(responses) - 1)]
        if answer.get("timeout"):
            raise requests.ReadTimeout(f"recorded timeout for {url}", request=request)
        return self._response(request, answer, path.parent)

    @staticmethod
    def _response(request, answer: dict, folder: Path) -> requests.Response:
        response = requests.Response()
        response.status_code = int(answer.get("status", 200))
        response.headers = CaseInsensitiveDict(answer.get("headers", {}))
        if "json" in answer:
            response._content = json.dumps(answer["json"]).encode()
            response.headers.setdefault("Content-Type", "application/json")
        elif "body_file" in answer:
            response._content = (folder / answer["body_file"]).read_bytes()
        else:
            response._content = answer.get("text", "").encode()
        response.url, response.request, response.encoding = request.url, request, "utf-8"
        response.reason = "Recorded"
        return response

    def close(self) -> None:
        pass


class RecordingWriter(HTTPAdapter):
    """Calls the network and saves each exchange as a recording: no cookies, no identifying
    headers, no API key — only the request's target and the response's status, kept headers and body."""

    def __init__(self, folder: Path):
        super().__init__(pool_maxsize=4)
        self.folder = Path(folder)

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        url, params = _target(request.url)
        name = hashlib.sha1(f"{request.method} {url} {sorted(params.items())}".encode()).hexdigest()[:12]
        host = urlsplit(url).hostname or "host"
        target = self.folder / host / f"{Path(urlsplit(url).path).stem or 'root'}_{name}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        answer = {
            "status": response.status_code,
            "headers": {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS},
        }
        if response.content.startswith(b"%PDF"):
            target.with_suffix(".pdf").write_bytes(response.content)
            answer["body_file"] = target.with_suffix(".pdf").name
        else:
            try:
                answer["json"] = json.loads(response.content)
            except ValueError:
                answer["text"] = response.text
        record = {"request": {"method": request.method, "url": url, "params": params}, "responses": [answer]}
        target.write_text(json.dumps(record, ensure_ascii=False))
        return response

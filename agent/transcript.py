"""Transcripts: one session at the HTTP level (request bodies and responses) plus what it ran on.

Recorded with `--record FILE` from a live session; replayed by the tests through the real SDK.
Requests are stored normalised: the system prompt and tool schemas by digest (they are the same
in every request), the workspace path as {workspace}. Auth headers are never stored.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from ask_redis.redact import redact

FORMAT = "ask-redis-transcript/1"
KEPT_RESPONSE_HEADERS = ("content-type", "retry-after", "retry-after-ms")


@functools.lru_cache(maxsize=1024)
def _redacted(text: str) -> str:
    return redact(text)


def _digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def normalise_request(body: dict[str, Any], placeholders: dict[str, str] | None = None) -> dict[str, Any]:
    """The request as stored: run-specific values (the workspace path, a test server's address) as placeholders,
    secrets redacted, the system prompt and tool schemas by digest."""
    def clean(value: Any) -> Any:
        text = json.dumps(value, sort_keys=True)
        for found, placeholder in (placeholders or {}).items():
            if found:
                text = text.replace(json.dumps(found)[1:-1], placeholder)
        return json.loads(_redacted(text))

    # Message by message: each turn resends the history, and the messages already seen are not redacted again.
    cleaned = clean({key: value for key, value in body.items() if key != "messages"})
    if "messages" in body:
        cleaned["messages"] = [clean(message) for message in body["messages"]]
    body = {key: cleaned[key] for key in sorted(cleaned)}
    if "system" in body:
        body["system"] = _digest(body["system"])
    if "tools" in body:
        body["tools"] = {"names": [tool["name"] for tool in body["tools"]], "schemas": _digest(body["tools"])}
    return body


def parse_sse(text: str) -> list[dict[str, Any]]:
    events = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in chunk.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append({"event": name, "data": json.loads("\n".join(data))})
    return events


def render_sse(events: list[dict[str, Any]]) -> list[bytes]:
    return [f"event: {e['event']}\ndata: {json.dumps(e['data'])}\n\n".encode() for e in events]


def recorded_response(status: int, headers: dict[str, str], text: str) -> dict[str, Any]:
    kept = {k: v for k, v in headers.items() if k.lower() in KEPT_RESPONSE_HEADERS}
    response: dict[str, Any] = {"status": status, "headers": kept}
    if "text/event-stream" in kept.get("content-type", ""):
        response["sse"] = parse_sse(redact(text))
    else:
        try:
            response["json"] = json.loads(redact(text))
        except ValueError:
            response["text"] = redact(text)
    return response


class Recorder:
    """An httpx2 transport that passes requests through and keeps each exchange."""

    def __init__(self, path: Path, session: dict[str, Any], workspace: str):
        import httpx2

        self.path, self.session, self.workspace = path, session, workspace
        self.exchanges: list[dict[str, Any]] = []
        self._inner = httpx2.HTTPTransport()

    def handle_request(self, request: Any) -> Any:
        import httpx2

        body = json.loads(request.content or b"{}")
        request.headers["accept-encoding"] = "identity"  # keep the recorded bytes readable
        response = self._inner.handle_request(request)
        exchange = {"request": normalise_request(body, {self.workspace: "{workspace}"}), "response": None}
        self.exchanges.append(exchange)
        chunks: list[bytes] = []
        recorder = self

        class Tee(httpx2.SyncByteStream):
            def __iter__(self):
                for chunk in response.stream:
                    chunks.append(chunk)
                    yield chunk

            def close(self):
                response.close()
                exchange["response"] = recorded_response(response.status_code, dict(response.headers), b"".join(chunks).decode("utf-8", "replace"))
                recorder.save()

        return httpx2.Response(response.status_code, headers=response.headers, stream=Tee(), extensions=response.extensions)

    def close(self) -> None:
        self._inner.close()

    def save(self) -> None:
        data = {"format": FORMAT, "session": self.session, "exchanges": self.exchanges}
        self.path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def http_client_for(recorder: Recorder) -> Any:
    import httpx2

    return httpx2.Client(transport=recorder, timeout=None)


class ReplayError(AssertionError):
    """The session sent a request the transcript does not hold."""


class Replayer:
    """Answers requests from a transcript in order; fails on a request that differs from the recording.

    With `rewrite=True` the recorded requests are replaced by what the session sends now (responses kept),
    for after a deliberate change; `save()` writes the file back.
    """

    def __init__(self, path: Path, workspace: str | None = None, rewrite: bool = False, placeholders: dict[str, str] | None = None):
        self.path, self.rewrite = path, rewrite
        self.placeholders = {workspace: "{workspace}", **(placeholders or {})} if workspace else dict(placeholders or {})
        self.data = json.loads(path.read_text(encoding="utf-8"))
        if self.data.get("format") != FORMAT:
            raise ValueError(f"{path}: not an {FORMAT} file")
        self.exchanges = self.data["exchanges"]
        self.played = 0

    def next_response(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.played >= len(self.exchanges):
            raise ReplayError(f"{self.path.name}: request {self.played + 1} was not recorded (the transcript has {len(self.exchanges)})")
        exchange = self.exchanges[self.played]
        actual = normalise_request(body, self.placeholders)
        if self.rewrite:
            exchange["request"] = actual
        elif actual != exchange["request"]:
            raise ReplayError(f"{self.path.name}: request {self.played + 1} differs from the recording:\n{_diff(exchange['request'], actual)}")
        self.played += 1
        return exchange["response"]

    def assert_done(self) -> None:
        if self.played != len(self.exchanges):
            raise ReplayError(f"{self.path.name}: {len(self.exchanges) - self.played} recorded exchange(s) were never played")

    def save(self) -> None:
        self.path.write_text(json.dumps(self.data, indent=1) + "\n", encoding="utf-8")


def _diff(expected: Any, actual: Any) -> str:
    import difflib

    lines = difflib.unified_diff(json.dumps(expected, indent=1, sort_keys=True).splitlines(),
                                 json.dumps(actual, indent=1, sort_keys=True).splitlines(), "recorded", "sent", lineterm="", n=2)
    return "\n".join(list(lines)[:60])

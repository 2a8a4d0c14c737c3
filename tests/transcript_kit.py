"""Replaying transcripts through the real CLI code path and the real SDK (respx over httpx2)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import httpx  # httpx2, aliased in conftest

from ask_redis import cli
from ask_redis.transcript import Replayer, ReplayError, render_sse

ROOT = Path(__file__).resolve().parent.parent
TRANSCRIPTS = ROOT / "transcripts"
REWRITE = os.environ.get("ASK_REDIS_REWRITE_TRANSCRIPTS") == "1"


class CutStream(httpx.SyncByteStream):
    """Sends some SSE events, then the connection breaks: closed mid-body ("cut") or reset by the peer ("reset")."""

    def __init__(self, chunks: list[bytes], fault: str = "cut"):
        self.chunks, self.fault = chunks, fault

    def __iter__(self):
        yield from self.chunks
        if self.fault == "reset":
            raise httpx.ReadError("[Errno 104] Connection reset by peer")
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


def http_response(recorded: dict) -> httpx.Response:
    headers = dict(recorded.get("headers", {}))
    if "sse" in recorded:
        chunks = render_sse(recorded["sse"])
        headers.setdefault("content-type", "text/event-stream")
        if recorded.get("cut"):
            fault = recorded["cut"] if isinstance(recorded["cut"], str) else "cut"
            return httpx.Response(recorded["status"], headers=headers, stream=CutStream(chunks, fault))
        return httpx.Response(recorded["status"], headers=headers, content=b"".join(chunks))
    if "json" in recorded:
        headers.setdefault("content-type", "application/json")
        return httpx.Response(recorded["status"], headers=headers, content=json.dumps(recorded["json"]).encode())
    return httpx.Response(recorded["status"], headers=headers, content=recorded.get("text", "").encode())


def workspace_for(data: dict, tmp_path: Path) -> Path:
    fixture = data["session"].get("fixture")
    workspace = tmp_path / "workspace"
    if fixture:
        shutil.copytree(TRANSCRIPTS / "fixtures" / fixture, workspace, symlinks=True)
    else:
        workspace.mkdir()
    return workspace


def live_redis(data: dict, tmp_path: Path):
    """The seeded redis-server a transcript ran on, or None; its address becomes {redis} in the requests."""
    spec = data["session"].get("redis")
    if spec is None:
        return None
    from tests.fixtures_redis import start_server

    server = start_server(tmp_path / "redis", *spec.get("args", []), password=spec.get("password"))
    client = server.admin()
    for command in spec.get("seed", []):
        client.execute_command(*command)
    return server


def session_argv(data: dict, server) -> list[str]:
    url = server.url() if server else ""
    return [arg.replace("{redis_url}", url) for arg in data["session"]["argv"]]


def placeholders_for(server) -> dict[str, str]:
    return {f"127.0.0.1:{server.port}": "{redis}"} if server else {}


def replay(path: Path, tmp_path: Path, monkeypatch, capsys, respx_mock, extra_env: dict | None = None):
    """Run the transcript's session through `ask-redis`; returns (exit_code, stdout, stderr, replayer)."""
    data = json.loads(path.read_text())
    workspace = workspace_for(data, tmp_path)
    server = live_redis(data, tmp_path)
    replayer = Replayer(path, workspace=str(workspace), rewrite=REWRITE, placeholders=placeholders_for(server))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
    for name, value in {**data["session"].get("env", {}), **(extra_env or {})}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(workspace)
    monkeypatch.setattr("ask_redis.model.retry_delay", lambda headers, attempt: 0.0)

    mismatches: list[Exception] = []
    replayer.sent = []  # every request body as the session sent it

    def answer(request: httpx.Request) -> httpx.Response:
        assert "sk-ant-test" not in request.content.decode(), "the API key leaked into a request body"
        replayer.sent.append(json.loads(request.content))
        try:
            return http_response(replayer.next_response(json.loads(request.content)))
        except ReplayError as error:  # the client may take it for a broken reply: fail the test, not just the run
            mismatches.append(error)
            raise

    respx_mock.post("https://api.anthropic.com/v1/messages").mock(side_effect=answer)
    try:
        code = cli.main(session_argv(data, server))
    finally:
        if server:
            server.stop()
    out, err = capsys.readouterr()
    if REWRITE:
        replayer.save()
    if mismatches:
        raise AssertionError(f"{mismatches[0]}\n--- stderr ---\n{err}")
    try:
        replayer.assert_done()
    except AssertionError as error:
        raise AssertionError(f"{error}\n--- stderr ---\n{err}") from None
    return code, out, err, replayer

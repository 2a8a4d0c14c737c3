"""A loopback stand-in of the Messages API, for tests that run ask-redis as a subprocess.

It answers POST /v1/messages from a transcript (requests checked like the in-process replay) or from a
plain list of recorded-style responses, and keeps every request body it received.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ask_redis.transcript import Replayer, render_sse


class StandIn:
    def __init__(self, replayer: Replayer | None = None, responses: list[dict[str, Any]] | None = None, chunk_delay: float = 0.0):
        self.replayer, self.responses, self.chunk_delay = replayer, list(responses or []), chunk_delay
        self.requests: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                try:
                    recorded = standin._next(body, self.path, self.headers)
                except AssertionError as error:
                    standin.errors.append(str(error))
                    recorded = {"status": 400, "json": {"type": "error", "error": {"type": "invalid_request_error", "message": "not in the transcript"}}}
                standin._send(self, recorded)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _next(self, body: dict[str, Any], path: str, headers: Any) -> dict[str, Any]:
        with self._lock:
            assert path.startswith("/v1/messages"), f"unexpected path {path}"
            assert headers.get("x-api-key") or headers.get("authorization"), "no API key header"
            self.requests.append(body)
            if self.replayer is not None:
                return self.replayer.next_response(body)
            assert self.responses, f"request {len(self.requests)} has no scripted response"
            return self.responses.pop(0)

    def _send(self, handler: BaseHTTPRequestHandler, recorded: dict[str, Any]) -> None:
        headers = dict(recorded.get("headers", {}))
        if "sse" in recorded:
            handler.send_response(recorded["status"])
            handler.send_header("content-type", "text/event-stream")
            handler.send_header("transfer-encoding", "chunked")
            handler.end_headers()
            try:
                for chunk in render_sse(recorded["sse"]):
                    handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    handler.wfile.flush()
                    if self.chunk_delay:
                        time.sleep(self.chunk_delay)
                if recorded.get("cut"):
                    handler.close_connection = True
                    return  # the connection closes without the final chunk: a stream cut midway
                handler.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                handler.close_connection = True
            return
        payload = json.dumps(recorded["json"]).encode() if "json" in recorded else recorded.get("text", "").encode()
        handler.send_response(recorded["status"])
        for name, value in headers.items():
            if name.lower() != "content-length":
                handler.send_header(name, value)
        handler.send_header("content-length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def __enter__(self) -> "StandIn":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

"""`ask-redis mcp --http [HOST:]PORT`: the MCP server over streamable HTTP, for a team's shared server.

Loopback by default. Off loopback a bearer token is required (from a file or ASK_REDIS_MCP_TOKEN,
never the command line, where `ps` would show it). A browser page must not reach the server through
DNS rebinding: a request whose Origin is not allowed is refused, and on loopback so is a Host that
is not a loopback name.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOKEN_ENV = "ASK_REDIS_MCP_TOKEN"
PATH = "/mcp"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")


class HttpSetupError(Exception):
    """A bad --http address or token source: one line for the user."""


def is_loopback(host: str) -> bool:
    if host.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_address(text: str) -> tuple[str, int]:
    """`PORT`, `HOST:PORT` or `[IPv6]:PORT`; the host defaults to 127.0.0.1."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise HttpSetupError(f"--http {text}: give [HOST:]PORT with a port from 0 to 65535")
    return host, int(port)


def load_token(token_file: str | None) -> str | None:
    """The bearer token from --token-file, else from the environment; None when neither is set."""
    if token_file:
        try:
            token = Path(token_file).expanduser().read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise HttpSetupError(f"--token-file {token_file}: cannot read it ({getattr(error, 'strerror', None) or error})") from None
        if not token:
            raise HttpSetupError(f"--token-file {token_file}: the file is empty")
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            return None
    if len(token) < 16:
        raise HttpSetupError("the bearer token is shorter than 16 characters; make one with: "
                             "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
    return token


@dataclass
class Guard:
    """ASGI middleware in front of the MCP app: Origin, Host and bearer-token checks, one log line per refusal."""

    app: Any
    token: str | None
    loopback: bool
    allowed_origins: list[str] = field(default_factory=list)

    def origin_allowed(self, origin: str | None) -> bool:
        if not origin:
            return True  # not a browser, or a same-origin request
        origin = origin.rstrip("/")
        if origin in self.allowed_origins:
            return True
        scheme, _, rest = origin.partition("://")
        host = rest.rsplit(":", 1)[0] if not rest.endswith("]") else rest
        return self.loopback and scheme in ("http", "https") and is_loopback(host)

    def host_allowed(self, host: str | None) -> bool:
        if not self.loopback:
            return True  # the token guards a server that is reachable by other names
        if not host:
            return False
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return is_loopback(name)

    def token_ok(self, header: str | None) -> bool:
        if self.token is None:
            return True
        scheme, _, value = (header or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self.token.encode())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}
        refusal = None
        if not self.origin_allowed(headers.get("origin")):
            refusal = (403, "forbidden: this Origin may not call the server (start it with --allow-origin to allow one)")
        elif not self.host_allowed(headers.get("host")):
            refusal = (421, "misdirected: the server is on loopback and answers only to a loopback Host")
        elif not self.token_ok(headers.get("authorization")):
            refusal = (401, "unauthorized: send Authorization: Bearer <token>")
        if refusal is None:
            return await self.app(scope, receive, send)
        status, message = refusal
        client = (scope.get("client") or ("?",))[0]
        log(f"refused {scope.get('method', '?')} {scope.get('path', '?')} from {client}: {message.split(':')[0]} ({status})")
        extra = [(b"www-authenticate", b'Bearer realm="ask-redis"')] if status == 401 else []
        body = (message + "\n").encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()), *extra]})
        await send({"type": "http.response.body", "body": body})


def log(line: str) -> None:
    sys.stderr.write(f"ask-redis mcp: {line}\n")
    sys.stderr.flush()


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise HttpSetupError(f"--http {host}:{port}: cannot listen there ({error.strerror or error})") from None
    sock.listen(128)
    return sock


def serve(server: Any, host: str, port: int, token_file: str | None, allowed_origins: list[str]) -> int:
    """Serve until interrupted; the URL (with the port really bound) is the first line on stderr."""
    import anyio
    import uvicorn

    loopback = is_loopback(host)
    token = load_token(token_file)
    if token is None and not loopback:
        raise HttpSetupError(f"--http {host}:{port} is reachable from other machines, so it needs a bearer token: "
                             f"--token-file FILE or {TOKEN_ENV} (never on the command line)")
    from mcp.server.transport_security import TransportSecuritySettings

    # Our Guard does the Host/Origin checks (the SDK's own list cannot say "any host, token required").
    app = server.streamable_http_app(streamable_http_path=PATH,
                                     transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
    sock = bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    log(f"serving MCP over streamable HTTP at http://{shown}:{sock.getsockname()[1]}{PATH} "
        f"({'bearer token required' if token else 'no token: loopback only'})")
    config = uvicorn.Config(Guard(app, token, loopback, [o.rstrip("/") for o in allowed_origins]), log_level="warning",
                            lifespan="on", access_log=False)
    try:
        anyio.run(uvicorn.Server(config).serve, [sock])
    except KeyboardInterrupt:
        return 130
    finally:
        sock.close()
    return 0

"""Connections to a live Redis that can only look: every command passes the allowlist first.

URL forms (the password may sit in the userinfo; `redis://:PASSWORD@host` and, as in
redis-cli, `redis://PASSWORD@host` both mean the default user):

    redis://[[user]:password@]host[:port][/db]
    rediss://...                     TLS; ?ca=PATH, ?cert=PATH&key=PATH (client certificate),
                                     ?insecure=true (no certificate or hostname check, explicit only)
    unix://[[user]:password@]/path/to/redis.sock[?db=N]
    redis+sentinel://[[user]:password@]host:26379[,host2:26379...]/MASTER_NAME[/db]
    rediss+sentinel://...            the same, TLS to sentinels and master
        the userinfo authenticates to the master; ?sentinel_user=...&sentinel_password=...
        authenticate to the sentinels.

Common options: ?connect_timeout=SECONDS (default 5), ?socket_timeout=SECONDS (default 10).

Cluster is detected (INFO cluster_enabled:1); then every primary listed by CLUSTER NODES is
connected, and key commands go to the primary that owns the key's slot.

Every connection names itself `ask-redis` (CLIENT SETNAME) and, on servers that have it
(7.2+), sends `CLIENT NO-TOUCH on` so that inspection does not disturb LRU/LFU; older servers
answer with an error that is ignored. Errors are single lines that never contain the password.
"""

from __future__ import annotations

import re
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence
from urllib.parse import parse_qsl, unquote

import hiredis
import redis
from redis.backoff import NoBackoff
from redis.connection import Connection as _PlainConnection
from redis.connection import SSLConnection as _SSLConnection
from redis.connection import UnixDomainSocketConnection as _UnixConnection
from redis.crc import key_slot
from redis.exceptions import RedisError, ResponseError
from redis.retry import Retry

from ask_redis.live import ledger
from ask_redis.live import safety as redis_safety
from ask_redis.redact import MASK, redact

CLIENT_NAME = "ask-redis"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_SOCKET_TIMEOUT = 10.0
_SECRET_QUERY = re.compile(r"pass|secret|token", re.I)
_OPTIONS = {
    "connect_timeout", "socket_timeout", "db", "ca", "ssl_ca_certs", "cert", "ssl_certfile", "key",
    "ssl_keyfile", "insecure", "sentinel_user", "sentinel_username", "sentinel_password",
}


MAX_TIMEOUT = 86400  # seconds: a day


class RedisConnError(Exception):
    """A connection failure or a refused/failed command, as one line without secrets."""


def display_url(url: str) -> str:
    """The URL with its password (and any password-like query value) masked; safe to show anywhere."""
    from ask_redis.terminal import safe

    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://)(.*)$", url or "", re.S)
    if not match:
        return safe(redact(url or ""))
    scheme, rest = match.groups()
    # The last '@' ends the userinfo: a password may hold '@', '/', '?' unencoded. (An '@' in the query
    # string would mask too much, never too little.)
    at = rest.rfind("@")
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1:]
        user = userinfo.split(":", 1)[0] if ":" in userinfo else ""
        rest = f"{user}:{MASK}@{rest}"
    if "?" in rest:
        head, query = rest.split("?", 1)
        parts = []
        for item in query.split("&"):
            name, eq, value = item.partition("=")
            parts.append(f"{name}={MASK}" if eq and _SECRET_QUERY.search(name) and value else item)
        rest = head + "?" + "&".join(parts)
    return safe(redact(scheme + rest))  # a CR/LF or ESC in the URL cannot split or drive the line it is shown in


@dataclass
class Target:
    """A parsed URL. Holds the secrets: never print it (its repr hides them)."""

    scheme: str
    hosts: list[tuple[str, int]] = field(default_factory=list)
    path: str | None = None
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    db: int = 0
    master: str | None = None
    tls: bool = False
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    insecure: bool = False
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    socket_timeout: float = DEFAULT_SOCKET_TIMEOUT
    sentinel_username: str | None = field(default=None, repr=False)
    sentinel_password: str | None = field(default=None, repr=False)

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.sentinel_password) if s]


def _host_port(text: str, default_port: int, shown: str) -> tuple[str, int]:
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?|([^:\[\]]+)(?::(\d+))?", text)
    if not match:
        raise RedisConnError(f"bad host {text!r} in {shown}")
    host = match.group(1) or match.group(3)
    port = match.group(2) or match.group(4)
    port_number = int(port) if port else default_port
    if not 0 < port_number < 65536:
        raise RedisConnError(f"bad port {port_number} in {shown}")
    return host, port_number


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def parse_url(url: str) -> Target:
    """Parse a Redis URL (forms in the module docstring); RedisConnError with a masked URL if it is bad."""
    shown = display_url(url)
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", (url or "").strip(), re.S)
    if not match:
        # Not echoed: text that is not a URL may be a bare password.
        raise RedisConnError("not a Redis URL (expected redis://, rediss://, unix:// or redis+sentinel://)")
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme not in ("redis", "rediss", "unix", "redis+sentinel", "rediss+sentinel"):
        raise RedisConnError(f"unsupported scheme {scheme}:// in {shown} (use redis, rediss, unix or redis+sentinel)")
    target = Target(scheme=scheme, tls=scheme.startswith("rediss"))
    at = rest.rfind("@")  # as in display_url
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1:]
        if ":" in userinfo:
            user, password = userinfo.split(":", 1)
            target.username = unquote(user) or None
            target.password = unquote(password) or None
        else:
            target.password = unquote(userinfo) or None
    rest, _, query = rest.partition("?")
    options = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise RedisConnError(f"unknown URL option {unknown[0]!r} in {shown}; known: {', '.join(sorted(_OPTIONS))}")
    try:
        target.connect_timeout = float(options.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT))
        target.socket_timeout = float(options.get("socket_timeout", DEFAULT_SOCKET_TIMEOUT))
    except ValueError:
        raise RedisConnError(f"timeouts must be numbers of seconds in {shown}") from None
    for name in ("connect_timeout", "socket_timeout"):  # NaN, inf and 1e308 pass float() but not a socket
        if not 0 < getattr(target, name) <= MAX_TIMEOUT:
            raise RedisConnError(f"{name} must be a number of seconds above 0 and at most {MAX_TIMEOUT} in {shown}")
    target.ca = options.get("ca") or options.get("ssl_ca_certs")
    target.cert = options.get("cert") or options.get("ssl_certfile")
    target.key = options.get("key") or options.get("ssl_keyfile")
    target.insecure = _bool(options.get("insecure", ""))
    target.sentinel_username = options.get("sentinel_user") or options.get("sentinel_username")
    target.sentinel_password = options.get("sentinel_password")
    if (target.ca or target.cert or target.insecure) and not target.tls:
        raise RedisConnError(f"TLS options need rediss:// in {shown}")
    if target.cert and not target.key or target.key and not target.cert:
        raise RedisConnError(f"a client certificate needs both cert= and key= in {shown}")
    db_text = options.get("db", "")
    if scheme == "unix":
        if not rest.startswith("/"):
            raise RedisConnError(f"unix:// needs an absolute socket path in {shown}")
        target.path = unquote(rest)
    else:
        netloc, _, path = rest.partition("/")
        if not netloc:
            raise RedisConnError(f"no host in {shown}")
        default_port = 26379 if scheme.endswith("+sentinel") else 6379
        target.hosts = [_host_port(h, default_port, shown) for h in netloc.split(",") if h]
        parts = [p for p in path.split("/") if p]
        if scheme.endswith("+sentinel"):
            if not parts:
                raise RedisConnError(f"a Sentinel URL needs the master name: redis+sentinel://host:26379/NAME ({shown})")
            target.master = unquote(parts.pop(0))
        elif len(target.hosts) > 1:
            raise RedisConnError(f"several hosts are only for Sentinel (redis+sentinel://...) or a Cluster seed: {shown}")
        if parts:
            db_text = parts[0]
    if db_text:
        if not db_text.isdigit():
            raise RedisConnError(f"the database must be a number in {shown}")
        target.db = int(db_text)
    return target


def describe_error(error: BaseException, secrets: Iterable[str] = ()) -> str:
    """One line for an exception, with every known secret and any URL password masked."""
    text = " ".join(str(error).split()) or type(error).__name__
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, MASK)
    return redact(text)


# Per-key reads whose replies are one line (or a short bulk string without CR/LF).
ONE_LINE_REPLIES = frozenset({
    ("TYPE",), ("PTTL",), ("TTL",), ("MEMORY", "USAGE"), ("STRLEN",), ("HLEN",), ("LLEN",), ("SCARD",),
    ("ZCARD",), ("XLEN",), ("OBJECT", "ENCODING"), ("OBJECT", "FREQ"), ("OBJECT", "IDLETIME"), ("EXISTS",),
})


def _pack(words: Sequence[Any]) -> bytes:
    parts = [b"*%d\r\n" % len(words)]
    for word in words:
        data = word if isinstance(word, bytes) else str(word).encode()
        parts.append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(parts)


# Commands in one write of a KeyPipeline. The server runs a write's commands in one event-loop turn and
# other clients wait behind it: 64 one-line reads are a turn of 0.1-0.2 ms here (a few of redis-cli
# --memkeys' turns), and one write in flight at a time leaves the server idle between them.
SLICE_COMMANDS = 64
_DONE = object()


class KeyPipeline:
    """SCAN and per-key reads written straight as RESP on one connection, replies parsed as they come.

    Every command is checked against the allowlist (a per-key prefix once). Keys are server-given
    names sent as length-prefixed bulk strings, so they cannot inject a command. It exists for speed:
    redis-py's pipeline builds a command object per key, too slow for millions of keys; here a
    command is one C-level format and its reply is parsed by hiredis (a SCAN reply of 1000 keys
    costs ~50 us, where a Python parser took ~1 ms).
    """

    def __init__(self, node: "Node", sock: Any):
        self._node = node
        self._sock = sock
        self._out: list[tuple[list[bytes], int]] = []  # queued: (per-key command groups, commands in each)
        self._expect: deque[tuple[str, int]] = deque()
        self._templates: dict[tuple, tuple[bytes, int]] = {}
        self._reader = hiredis.Reader(replyError=ResponseError)
        self._replies: list[Any] = []
        self._next = 0
        self.errors = 0  # error replies read so far

    def scan(self, cursor: int, *, match: str | None = None, count: int = 1000, type_: str | None = None) -> None:
        """Queue SCAN cursor [MATCH m] COUNT n [TYPE t]; read() returns (next_cursor, [key bytes])."""
        words: list[Any] = ["SCAN", cursor]
        if match:
            words += ["MATCH", match]
        words += ["COUNT", count]
        if type_:
            words += ["TYPE", type_]
        self._node._checked(words)
        self._node.count("scan")
        self._out.append(([_pack(words)], 1))
        self._expect.append(("scan", 1))

    def keyed(self, prefixes: Sequence[tuple], keys: Sequence[bytes]) -> None:
        """Queue every prefix for every key (key-major); read() returns the flat list of replies."""
        template = self._templates.get(tuple(prefixes))
        if template is None:
            for prefix in prefixes:
                if prefix not in ONE_LINE_REPLIES:
                    raise ValueError(f"{' '.join(prefix)} is not a one-line per-key read")
                self._node._checked([*prefix, "key"])
            # "%b" takes the key's bulk string once per prefix: one C-level format per key.
            heads = [(b"*%d\r\n" % (len(p) + 1) + b"".join(b"$%d\r\n%b\r\n" % (len(w), w.encode()) for w in p))
                     .replace(b"%", b"%%") for p in prefixes]
            names = [redis_safety.command_key(p) for p in prefixes]
            template = (b"".join(head + b"%b" for head in heads), len(prefixes), names)
            self._templates[tuple(prefixes)] = template
        pattern, width, names = template
        for name in names:
            self._node.count(name, len(keys))
        if keys:
            if width == 1:
                self._out.append(([pattern % (b"$%d\r\n%b\r\n" % (len(k), k),) for k in keys], 1))
            else:
                self._out.append(([pattern % ((b"$%d\r\n%b\r\n" % (len(k), k),) * width) for k in keys], width))
        self._expect.append(("lines", len(keys) * width))

    def flush(self, work: Iterator[Any] | None = None) -> None:
        """Send what is queued in writes of about SLICE_COMMANDS commands, each one answered before the
        next is sent. The server runs what one write brings in one event-loop turn, and every other
        client waits for that turn to end: so no turn of ours is longer than a slice, and the server
        rests while this client reads. `work` (an iterator of short steps) runs a step while each write
        is being answered, and to its end after the last."""
        pending: list[bytes] = []
        count = 0
        for parts, width in self._out:
            start = 0
            while start < len(parts):
                take = max(1, (SLICE_COMMANDS - count) // width)
                chunk = parts[start:start + take]
                pending.append(b"".join(chunk))
                count += len(chunk) * width
                start += take
                if count + width > SLICE_COMMANDS:
                    work = self._exchange(b"".join(pending), count, work)
                    pending, count = [], 0
        if pending:
            work = self._exchange(b"".join(pending), count, work)
        self._out.clear()
        for _ in work or ():
            pass

    def _exchange(self, data: bytes, count: int, work: Iterator[Any] | None) -> Iterator[Any] | None:
        self._sock.sendall(data)
        if work is not None and next(work, _DONE) is _DONE:
            work = None
        gets = self._reader.gets
        append = self._replies.append
        for _ in range(count):
            reply = gets()
            while reply is False:  # incomplete: read more
                chunk = self._sock.recv(1 << 16)  # a bigger buffer costs an mmap per call
                if not chunk:
                    raise ConnectionError("connection closed while reading replies")
                self._reader.feed(chunk)
                reply = gets()
            if reply.__class__ is ResponseError:
                self.errors += 1
            append(reply)
        return work

    def read(self) -> Any:
        """The reply to the oldest queued command group (call flush() first): (cursor, keys) for a SCAN,
        the flat list of replies for a `keyed` group, error replies in place as ResponseError."""
        kind, count = self._expect.popleft()
        replies = self._replies[self._next:self._next + count]
        self._next += count
        if self._next >= len(self._replies):
            self._replies, self._next = [], 0
        if kind == "scan":
            reply = replies[0]
            if reply.__class__ is ResponseError:
                raise reply
            if reply.__class__ is not list or len(reply) != 2 or reply[1].__class__ is not list:
                raise ConnectionError(f"unexpected SCAN reply {str(reply)[:40]}")
            return int(reply[0]), reply[1]
        if list in map(type, replies):  # a one-line read never answers with an array
            raise ConnectionError("unexpected array reply in a one-line pipeline")
        return replies


class _GentleMixin:
    """After the usual handshake (AUTH, CLIENT SETNAME, SELECT), ask for CLIENT NO-TOUCH where it exists.

    Every handshake command is counted in `sent` (shared with the Node): they land in the server's
    command statistics like any other call, and the inspection reports its own calls apart.
    """

    no_touch: bool | None = None

    def __init__(self, *args: Any, sent: dict[str, int] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._sent = sent if sent is not None else {}

    def on_connect_check_health(self, check_health: bool = True):
        sent = self._sent
        super().on_connect_check_health(check_health=check_health)
        handshake = ["client|setname"]
        if self.password:
            handshake.append("auth")
        if self.db:
            handshake.append("select")
        for name in handshake:
            sent[name] = sent.get(name, 0) + 1
        try:
            self.send_command("CLIENT", "NO-TOUCH", "ON", check_health=False)
            self.read_response()
            self.no_touch = True
            sent["client|no-touch"] = sent.get("client|no-touch", 0) + 1  # a refused call is not counted
        except ResponseError:  # before 7.2 (unknown subcommand), or not granted by ACL
            self.no_touch = False


class GentleConnection(_GentleMixin, _PlainConnection):
    pass


class GentleSSLConnection(_GentleMixin, _SSLConnection):
    pass


class GentleUnixConnection(_GentleMixin, _UnixConnection):
    pass


def _client(target: Target, host: str | None = None, port: int | None = None,
            sent: dict[str, int] | None = None) -> redis.Redis:
    kwargs: dict[str, Any] = dict(
        sent=sent if sent is not None else {},
        username=target.username,
        password=target.password,
        db=target.db,
        socket_timeout=target.socket_timeout,
        socket_connect_timeout=target.connect_timeout,
        client_name=CLIENT_NAME,
        driver_info=None,
        protocol=2,  # RESP2 on every version (no HELLO needed), and what the fast pipeline path parses
        retry=Retry(NoBackoff(), 0),
    )
    if target.path and host is None:
        kwargs.pop("socket_connect_timeout")
        pool = redis.ConnectionPool(connection_class=GentleUnixConnection, path=target.path, **kwargs)
    elif target.tls:
        kwargs.update(
            ssl_ca_certs=target.ca,
            ssl_certfile=target.cert,
            ssl_keyfile=target.key,
            ssl_cert_reqs="none" if target.insecure else "required",
            ssl_check_hostname=not target.insecure,
        )
        pool = redis.ConnectionPool(connection_class=GentleSSLConnection, host=host, port=port, **kwargs)
    else:
        pool = redis.ConnectionPool(connection_class=GentleConnection, host=host, port=port, **kwargs)
    return redis.Redis(connection_pool=pool)


def _named(key: str, args: Sequence[Any]) -> tuple:
    """`CONFIG GET x` is handed to redis-py as ("CONFIG GET", "x"): it sends the words separately and
    picks its response callback by that name. Both words were checked against the allowlist."""
    if "|" in key:
        return (f"{args[0]} {args[1]}", *args[2:])
    return tuple(args)


class Node:
    """One server. `call`, `calls` and `per_key` are the only ways to send: each passes the allowlist."""

    def __init__(self, name: str, client: redis.Redis, secrets: Sequence[str] = (), sent: dict[str, int] | None = None):
        self.name = name
        self._client = client
        self._secrets = list(secrets)
        self._flags: dict[str, Any] = {}
        self.notes: list[str] = []
        # What this connection has made the server count: calls per command (commandstats names,
        # handshakes included) and keyspace hits/misses of its key reads.
        self.sent: dict[str, int] = sent if sent is not None else client.connection_pool.connection_kwargs.get("sent", {})
        self.lookups = {"hits": 0, "misses": 0}
        self.username: str | None = None
        self.server: dict[str, Any] | None = None  # engine, version, mode, run_id (inspection.server_identity)
        self.prior = ledger.empty()  # what earlier inspections from this machine added (ledger.prior)
        self._recorded = False

    def count(self, key: str, n: int = 1) -> None:
        self.sent[key] = self.sent.get(key, 0) + n

    def __repr__(self) -> str:
        return f"Node({self.name})"

    def _fail(self, error: BaseException) -> RedisConnError:
        return RedisConnError(f"{self.name}: {describe_error(error, self._secrets)}")

    def _second_check(self, key: str) -> None:
        if key not in self._flags:
            self._flags[key] = self._lookup_flags(key)
        reason = redis_safety.flags_refusal(key, self._flags[key]) if self._flags[key] != "skip" else None
        if reason:
            raise redis_safety.RefusedCommand(reason)

    def _lookup_flags(self, key: str) -> Any:
        names = [key] if "|" not in key else [key, key.split("|")[0]]
        try:
            for name in names:  # `config|get` on 7.0+; the container on 6.x
                # "COMMAND INFO" as one word: redis-py has no callback for it, so the raw reply comes back.
                self.count("command|info")
                entries = self._client.execute_command("COMMAND INFO", name)
                entry = entries[0] if entries else None
                if entry and name != key and len(entry) > 9 and entry[9]:
                    return None  # 7.0+ lists its subcommands, and this one is not among them
                if entry:
                    return [f.decode() if isinstance(f, bytes) else str(f) for f in entry[2]]
            return None
        except ResponseError as error:
            if "NOPERM" in str(error):  # COMMAND INFO not granted: the allowlist alone decides
                note = "COMMAND INFO is not permitted for this user: the allowlist is the only check"
                if note not in self.notes:
                    self.notes.append(note)
                return "skip"
            raise self._fail(error) from None
        except RedisError as error:
            raise self._fail(error) from None

    def _checked(self, args: Sequence[Any]) -> str:
        redis_safety.check(args)
        key = redis_safety.command_key(args)
        self._second_check(key)
        return key

    def call(self, *args: Any) -> Any:
        """Send one allowlisted command; RefusedCommand before sending, RedisConnError on failure.

        Replies come through redis-py's response callbacks (INFO, CONFIG GET, CLUSTER NODES, SLOWLOG GET
        ... as dicts and lists), then `redis_safety.scrub_reply`.
        """
        key = self._checked(args)
        self.count(key)
        try:
            reply = self._client.execute_command(*_named(key, args))
        except (RedisError, OSError) as error:
            raise self._fail(error) from None
        return redis_safety.scrub_reply(key, reply)

    def calls(self, commands: Sequence[Sequence[Any]]) -> list[Any]:
        """Send several allowlisted commands in one pipeline; errors come back in place as exceptions."""
        keys = [self._checked(c) for c in commands]
        for key in keys:
            self.count(key)
        pipe = self._client.pipeline(transaction=False)
        for key, command in zip(keys, commands):
            pipe.execute_command(*_named(key, command))
        try:
            replies = pipe.execute(raise_on_error=False)
        except (RedisError, OSError) as error:
            raise self._fail(error) from None
        return [r if isinstance(r, Exception) else redis_safety.scrub_reply(k, r) for k, r in zip(keys, replies)]

    def per_key(self, prefix: Sequence[Any], keys: Sequence[bytes]) -> list[Any]:
        """`prefix + key` for every key, pipelined (see `keyed`)."""
        return self.keyed([(tuple(prefix), key) for key in keys])

    def keyed(self, commands: Sequence[tuple[tuple, bytes]]) -> list[Any]:
        """Send `(prefix, key)` commands in one pipeline; replies in order, errors in place as exceptions.

        Each distinct prefix passes the allowlist once. Prefixes with one-line replies (TYPE, PTTL,
        MEMORY USAGE, *LEN, OBJECT ENCODING) go through KeyPipeline; others through redis-py.
        """
        prefixes = {prefix for prefix, _ in commands}
        for prefix in prefixes:
            self._checked([*prefix, "key"])
        if not prefixes <= ONE_LINE_REPLIES:  # KeyPipeline counts its own
            for prefix, _ in commands:
                self.count(redis_safety.command_key(prefix))
        if prefixes <= ONE_LINE_REPLIES:
            with self.key_pipeline() as pipe:
                for prefix, key in commands:
                    pipe.keyed((prefix,), [key if isinstance(key, bytes) else str(key).encode()])
                pipe.flush()
                return [reply for _ in commands for reply in pipe.read()]
        pipe = self._client.pipeline(transaction=False)
        for prefix, key in commands:
            pipe.execute_command(*prefix, key)
        try:
            return pipe.execute(raise_on_error=False)
        except (RedisError, OSError) as error:
            raise self._fail(error) from None

    @contextmanager
    def key_pipeline(self) -> Iterator["KeyPipeline"]:
        """A KeyPipeline on one of this node's connections, for bulk SCAN + per-key reads."""
        pool = self._client.connection_pool
        connection = pool.get_connection()
        try:
            connection.connect()
            yield KeyPipeline(self, connection._sock)
        except (RedisError, OSError) as error:
            connection.disconnect()  # the stream may be half read: never reuse it
            raise self._fail(error) from None
        except BaseException:
            connection.disconnect()
            raise
        finally:
            pool.release(connection)

    @property
    def no_touch(self) -> bool:
        """Whether this node's connections run with CLIENT NO-TOUCH on (7.2+)."""
        connection = self._client.connection_pool.get_connection()
        try:
            return bool(connection.no_touch)
        finally:
            self._client.connection_pool.release(connection)

    def close(self) -> None:
        if self.server and self.server.get("run_id") and not self._recorded:
            self._recorded = True
            ledger.record(self.server["run_id"], ledger.add(self.prior, self.lookups["hits"],
                                                            self.lookups["misses"], self.sent))
        self._client.close()
        self._client.connection_pool.disconnect()


@dataclass
class RedisConnection:
    """A live target: its primaries (one unless Cluster), how it was reached, and key routing."""

    display: str
    mode: str  # "standalone", "cluster" or "sentinel"
    nodes: list[Node]
    sentinel: dict[str, Any] | None = None
    slots: list[tuple[int, int, Node]] = field(default_factory=list)

    def node_for_key(self, key: bytes | str) -> Node:
        """The primary that holds `key` (the only node unless Cluster)."""
        if not self.slots:
            return self.nodes[0]
        slot = key_slot(key.encode() if isinstance(key, str) else key)
        for start, end, node in self.slots:
            if start <= slot <= end:
                return node
        raise RedisConnError(f"no primary serves slot {slot} (cluster not fully covered)")

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise RedisConnError(f"no node {name!r}; nodes: {', '.join(n.name for n in self.nodes)}")

    def close(self) -> None:
        for node in self.nodes:
            node.close()

    def __enter__(self) -> "RedisConnection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _decode(value: Any) -> Any:
    text = value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else value
    return int(text) if isinstance(text, str) and text.isdigit() else text


def _sentinel_master(target: Target, shown: str) -> tuple[str, int, dict[str, Any]]:
    failures = []
    secret_list = target.secrets()
    for host, port in target.hosts:
        sentinel_target = Target(
            scheme=target.scheme, tls=target.tls, ca=target.ca, cert=target.cert, key=target.key,
            insecure=target.insecure, username=target.sentinel_username, password=target.sentinel_password,
            connect_timeout=target.connect_timeout, socket_timeout=target.socket_timeout,
        )
        client = _client(sentinel_target, host, port)
        try:
            address = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", target.master)
            if not address:
                failures.append(f"{host}:{port}: does not know master {target.master!r}")
                continue
            master_host, master_port = (a.decode() if isinstance(a, bytes) else str(a) for a in address)
            details = {"sentinel": f"{host}:{port}", "master_name": target.master, "sentinels_given": len(target.hosts)}
            try:
                state = client.execute_command("SENTINEL", "MASTER", target.master)
                if isinstance(state, list):
                    state = {_decode(k): _decode(v) for k, v in zip(state[::2], state[1::2])}
                if isinstance(state, dict):
                    for name in ("flags", "quorum", "num-other-sentinels", "num-slaves"):
                        if name in state:
                            details[name] = state[name]
            except RedisError:
                pass
            return master_host, int(master_port), details
        except (RedisError, OSError) as error:
            failures.append(f"{host}:{port}: {describe_error(error, secret_list)}")
        finally:
            client.close()
            client.connection_pool.disconnect()
    raise RedisConnError(f"no sentinel of {shown} gave a master: {'; '.join(failures)}")


def connect(url: str) -> RedisConnection:
    """Connect to the Redis at `url` (forms in the module docstring) and find its primaries.

    Raises RedisConnError (one line, password masked) when the URL is bad or nothing answers.
    """
    shown = display_url(url)
    target = parse_url(url)
    secrets = target.secrets()
    sentinel = None
    if target.master:
        host, port, sentinel = _sentinel_master(target, shown)
        seed = Node(f"{host}:{port}", _client(target, host, port), secrets)
        mode = "sentinel"
    elif target.path:
        seed = Node(target.path, _client(target), secrets)
        mode = "standalone"
    else:
        host, port = target.hosts[0]
        seed = Node(f"{host}:{port}", _client(target, host, port), secrets)
        mode = "standalone"
    try:
        info = seed.call("INFO", "cluster")
        if mode == "sentinel":
            role = seed.call("ROLE")
            if not role or (role[0].decode() if isinstance(role[0], bytes) else role[0]) != "master":
                raise RedisConnError(f"{shown}: the sentinels' master {seed.name} does not report role master")
    except RedisConnError as error:
        seed.close()
        raise RedisConnError(f"cannot use {shown}: {error}") from None
    except redis_safety.RefusedCommand as error:
        seed.close()
        raise RedisConnError(f"cannot use {shown}: {error}") from None
    if not info.get("cluster_enabled"):
        conn = RedisConnection(shown, mode, [seed], sentinel=sentinel)
    else:
        try:
            conn = _cluster(target, seed, shown)
        except RedisConnError:
            seed.close()
            raise
    for node in conn.nodes:
        node.username = target.username  # the account's name only, for what it may be asked
    return conn


def _cluster(target: Target, seed: Node, shown: str) -> RedisConnection:
    try:
        nodes_info = seed.call("CLUSTER", "NODES")
    except (RedisConnError, redis_safety.RefusedCommand) as error:
        raise RedisConnError(f"cannot list cluster nodes of {shown}: {error}") from None
    nodes: list[Node] = []
    slots: list[tuple[int, int, Node]] = []
    for address, info in sorted(nodes_info.items()):
        flags = info.get("flags", "")
        if "master" not in flags or "fail" in flags or "noaddr" in flags:
            continue
        host, _, port = address.rpartition(":")
        host = host.strip("[]")
        name = f"{host}:{port}"
        node = seed if "myself" in flags else Node(name, _client(target, host, int(port)), target.secrets())
        node.name = name
        nodes.append(node)
        for item in info.get("slots", []):
            start, end = int(item[0]), int(item[-1])
            slots.append((start, end, node))
    if seed not in nodes:
        seed.close()
    if not nodes:
        raise RedisConnError(f"{shown}: cluster_enabled but CLUSTER NODES lists no reachable primary")
    slots.sort(key=lambda s: s[0])
    return RedisConnection(shown, "cluster", nodes, slots=slots)

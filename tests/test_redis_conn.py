"""Connections: URL forms, Sentinel, TLS, unix sockets, timeouts, and errors that never hold the password."""

import pytest
import redis

from ask_redis.live.conn import RedisConnError, connect, display_url, parse_url
from ask_redis.live.inspection import overview, sample_keyspace
from ask_redis.tools import ToolContext, discover, run_tool
from tests.fixtures_redis import (PASSWORD, redis_sentinel, redis_standalone, redis_tls,  # noqa: F401
                                  tls_files)

SECRET = "p@ss:w0rd/with?odd&chars"


@pytest.mark.parametrize("url,shown", [
    ("redis://:hunter22@h:6379/0", "redis://:[REDACTED]@h:6379/0"),
    ("redis://alice:hunter22@h/2", "redis://alice:[REDACTED]@h/2"),
    ("redis://hunter22@h", "redis://:[REDACTED]@h"),
    ("rediss://u:p%40ss@h:6380?ca=/x/ca.pem", "rediss://u:[REDACTED]@h:6380?ca=/x/ca.pem"),
    ("unix://:hunter22@/run/redis.sock?db=1", "unix://:[REDACTED]@/run/redis.sock?db=1"),
    ("redis+sentinel://:hunter22@s1:26379,s2:26379/mymaster?sentinel_password=other99",
     "redis+sentinel://:[REDACTED]@s1:26379,s2:26379/mymaster?sentinel_password=[REDACTED]"),
    (f"redis://u:{SECRET}@h:1/0", "redis://u:[REDACTED]@h:1/0"),
    ("redis://h:6379", "redis://h:6379"),
])
def test_display_url_masks_passwords(url, shown):
    assert display_url(url) == shown
    assert "hunter22" not in display_url(url) and "other99" not in display_url(url)


def test_parse_url_forms():
    t = parse_url("redis://alice:s%40cret@[::1]:6380/3?socket_timeout=2.5&connect_timeout=1")
    assert (t.hosts, t.username, t.password, t.db, t.socket_timeout, t.connect_timeout) == (
        [("::1", 6380)], "alice", "s@cret", 3, 2.5, 1.0)
    t = parse_url("redis://onlypass@h")
    assert (t.username, t.password, t.hosts) == (None, "onlypass", [("h", 6379)])
    t = parse_url("unix:///var/run/redis.sock?db=2")
    assert (t.path, t.db) == ("/var/run/redis.sock", 2)
    t = parse_url("redis+sentinel://:pw@a:26380,b/mymaster/1?sentinel_password=sp")
    assert (t.hosts, t.master, t.db, t.password, t.sentinel_password) == (
        [("a", 26380), ("b", 26379)], "mymaster", 1, "pw", "sp")
    t = parse_url("rediss://h?ca=/ca.pem&cert=/c.pem&key=/k.pem")
    assert (t.tls, t.ca, t.cert, t.key, t.insecure) == (True, "/ca.pem", "/c.pem", "/k.pem", False)
    assert parse_url("rediss://h?insecure=true").insecure is True
    assert "hunter" not in repr(parse_url("redis://:hunter@h"))


@pytest.mark.parametrize("url,message", [
    ("http://h", "unsupported scheme http://"),
    ("redis://:pw@h/abc", "the database must be a number"),
    ("redis://h?ca=/x", "TLS options need rediss://"),
    ("rediss://h?cert=/x", "needs both cert= and key="),
    ("redis+sentinel://h:26379", "needs the master name"),
    ("redis://a,b", "several hosts"),
    ("unix://relative.sock", "absolute socket path"),
    ("redis://h?timeout=1", "unknown URL option 'timeout'"),
    ("redis://h:99999", "bad port"),
    ("redis://h?socket_timeout=soon", "timeouts must be numbers"),
    ("hunter22", "not a Redis URL"),
])
def test_bad_urls_give_one_line_without_the_password(url, message):
    with pytest.raises(RedisConnError) as caught:
        parse_url(url.replace("pw@", "hunter22@"))
    assert message in str(caught.value)
    assert "hunter22" not in str(caught.value) and "\n" not in str(caught.value)


def test_standalone_with_password(redis_standalone):
    with connect(redis_standalone.url()) as conn:
        assert conn.mode == "standalone" and len(conn.nodes) == 1
        assert conn.nodes[0].call("DBSIZE") == redis_standalone.admin().dbsize()
        names = [c["name"] for c in redis_standalone.admin().client_list()]
        assert "ask-redis" in names  # CLIENT SETNAME


def test_wrong_password_and_no_password(redis_standalone):
    for url in (redis_standalone.url(password="not-it-9"), redis_standalone.url(password=None)):
        with pytest.raises(RedisConnError) as caught:
            connect(url)
        text = str(caught.value)
        assert "not-it-9" not in text and PASSWORD not in text
        assert ("invalid username-password" in text) or ("Authentication required" in text), text


def test_no_touch_is_probed_and_skipped_before_7_2(redis_standalone):
    version = redis_standalone.admin().info("server")["redis_version"]
    with connect(redis_standalone.url()) as conn:
        assert conn.nodes[0].no_touch is (tuple(map(int, version.split(".")[:2])) >= (7, 2))
        assert conn.nodes[0].call("PING") is True  # the failed probe left the connection usable


def test_unix_socket(redis_standalone):
    url = f"unix://:{PASSWORD}@{redis_standalone.unixsocket}"
    with connect(url) as conn:
        assert conn.nodes[0].name == str(redis_standalone.unixsocket)
        assert conn.nodes[0].call("DBSIZE") == redis_standalone.admin().dbsize()
        assert sample_keyspace(conn, budget=None)["sampled"] == redis_standalone.admin().dbsize()


def test_tls_with_ca_insecure_switch_and_unknown_ca(redis_tls, tls_files):
    base = f"rediss://:{PASSWORD}@127.0.0.1:{redis_tls.port}/0"
    with connect(f"{base}?ca={tls_files['ca']}") as conn:
        assert conn.nodes[0].call("PING") is True
    with connect(f"rediss://:{PASSWORD}@localhost:{redis_tls.port}/0?ca={tls_files['ca']}"
                 f"&cert={tls_files['cert']}&key={tls_files['key']}") as conn:  # a client certificate
        assert conn.nodes[0].call("PING") is True
    with pytest.raises(RedisConnError) as caught:
        connect(base + "?connect_timeout=2&socket_timeout=2")  # system CAs do not know the test CA
    assert "certificate verify failed" in str(caught.value) and PASSWORD not in str(caught.value)
    with connect(base + "?insecure=true") as conn:  # only with the explicit switch
        assert conn.nodes[0].call("PING") is True
    writer = redis.Redis(host="127.0.0.1", port=redis_tls.port, ssl=True, ssl_ca_certs=tls_files["ca"],
                         password=PASSWORD, protocol=2)
    writer.mset({f"tls:{i}": i for i in range(2500)})
    with connect(f"{base}?ca={tls_files['ca']}") as conn:  # the raw pipeline over TLS
        data = sample_keyspace(conn, budget=None)
    assert data["sampled"] == data["dbsize"] == 2500


def test_sentinel_finds_the_master(redis_sentinel):
    with connect(redis_sentinel.url()) as conn:
        assert conn.mode == "sentinel"
        assert conn.nodes[0].name == f"127.0.0.1:{redis_sentinel.master.port}"
        assert conn.sentinel["master_name"] == "mymaster" and conn.sentinel["quorum"] in (1, "1", b"1")
        data = overview(conn)
    assert data["nodes"][0]["role"] == "master"


def test_sentinel_tool_result_and_errors(redis_sentinel, tmp_path):
    tools = {t.name: t for t in discover()}
    ctx = ToolContext(workspace=tmp_path, redis_url=redis_sentinel.url())
    text = run_tool(tools, "redis_overview", {}, ctx).content
    assert "mode=sentinel" in text and "master_name=mymaster" in text and PASSWORD not in text
    for url, fragment in ((redis_sentinel.url(name="nosuch"), "does not know master 'nosuch'"),
                          (redis_sentinel.url(password="wrong-pw-77"), "invalid username-password")):
        outcome = run_tool(tools, "redis_overview", {}, ToolContext(workspace=tmp_path, redis_url=url))
        assert outcome.is_error and fragment in outcome.content, outcome.content
        assert "wrong-pw-77" not in outcome.content and PASSWORD not in outcome.content


def test_unreachable_host_fails_fast_with_a_clear_line():
    with pytest.raises(RedisConnError) as caught:
        connect("redis://:hunter22@127.0.0.1:1/0?connect_timeout=1")
    assert "Connection refused" in str(caught.value) and "hunter22" not in str(caught.value)


def test_key_pipeline_sends_short_writes_each_answered_before_the_next(redis_standalone):
    """No write of a bulk walk holds more than SLICE_COMMANDS commands (the server runs one write in one
    event-loop turn), the next is sent only once the last is answered, and replies stay in key order."""
    from ask_redis.live import conn as live_conn

    admin = redis_standalone.admin()
    keys = [k if isinstance(k, bytes) else k.encode() for k in admin.scan_iter(count=1000)][:500]
    assert len(keys) >= 200
    writes: list[tuple[int, int]] = []  # (commands in the write, replies read before it)

    class Recorder:
        def __init__(self, sock, pipe):
            self.sock, self.pipe = sock, pipe

        def sendall(self, data):
            commands = sum(data.count(word) for word in (b"$4\r\nTYPE\r\n", b"$6\r\nMEMORY\r\n", b"$4\r\nPTTL\r\n"))
            writes.append((commands, len(self.pipe._replies)))
            return self.sock.sendall(data)

        def recv(self, size):
            return self.sock.recv(size)

    with connect(redis_standalone.url()) as conn:
        with conn.nodes[0].key_pipeline() as pipe:
            pipe._sock = Recorder(pipe._sock, pipe)
            pipe.keyed((("TYPE",), ("MEMORY", "USAGE"), ("PTTL",)), keys)
            pipe.flush()
            replies = pipe.read()
    assert all(commands <= live_conn.SLICE_COMMANDS for commands, _ in writes)
    assert len(writes) >= 3 * len(keys) // live_conn.SLICE_COMMANDS
    sent = 0
    for commands, answered in writes:
        assert answered == sent  # every earlier command answered before this write went out
        sent += commands
    assert sent == 3 * len(keys)
    assert [r.decode() for r in replies[0::3]] == [admin.type(k) if isinstance(admin.type(k), str)
                                                   else admin.type(k).decode() for k in keys]
    assert all(abs(mine - admin.pttl(k)) < 60_000 for mine, k in zip(replies[2::3], keys))  # TTLs tick down
    assert all(isinstance(memory, int) and memory > 0 for memory in replies[1::3])

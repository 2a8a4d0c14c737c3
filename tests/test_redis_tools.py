"""The redis_* tools against a real password-protected redis-server, through run_tool as the loop runs them."""

import re
import shlex
from pathlib import Path

import pytest

from ask_redis.live import safety as redis_safety
from ask_redis.tools import ToolContext, available, discover, run_tool
from tests.fixtures_redis import (PASSWORD, monitor, monitored_commands, redis_inspector,  # noqa: F401
                                  redis_standalone)
from tests.test_redis_safety import HOSTILE

REDIS_TOOLS = {"redis_overview", "redis_command", "redis_keyspace", "redis_slowlog"}


@pytest.fixture
def tools():
    return {t.name: t for t in discover()}


def ctx_for(url: str | None, tmp_path: Path) -> ToolContext:
    return ToolContext(workspace=tmp_path, redis_url=url)


def call(tools, ctx, name, args):
    outcome = run_tool(tools, name, args, ctx)
    return outcome.content, outcome.is_error


def test_tools_are_offered_only_with_a_url(tmp_path):
    offered, left_out = available(ctx_for(None, tmp_path))
    assert not REDIS_TOOLS & {t.name for t in offered}
    assert set(left_out) >= REDIS_TOOLS
    assert all("REDIS_URL" in left_out[name] for name in REDIS_TOOLS)
    offered, left_out = available(ctx_for("redis://127.0.0.1:1", tmp_path))
    assert REDIS_TOOLS <= {t.name for t in offered}


def test_overview_reports_the_essentials(tools, redis_standalone, tmp_path):
    text, error = call(tools, ctx_for(redis_standalone.url(), tmp_path), "redis_overview", {})
    assert not error, text
    for fragment in ("redis 7.", "role=master", "maxmemory unset (0)", "policy noeviction", "hit ratio",
                     "connected of maxclients 10000", "AOF off", "latency-monitor-threshold 0 ms (off)",
                     "requirepass=[REDACTED]", "hash-max-listpack-entries=512"):
        assert fragment in text
    keys = redis_standalone.admin().dbsize()
    assert f"totals: {keys} keys" in text
    assert PASSWORD not in text


def test_keyspace_shows_shapes_never_values(tools, redis_standalone, tmp_path):
    text, error = call(tools, ctx_for(redis_standalone.url(), tmp_path), "redis_keyspace", {})
    assert not error, text
    total = redis_standalone.admin().dbsize()
    assert f"sampled {total} of {total} keys" in text and "whole keyspace" in text
    assert "cache:product:*: 300 keys" in text and "100% with TTL" in text
    assert "user:*:name: 300 keys" in text
    assert "session:*: 20 keys" in text  # hex ids fold into one namespace
    # 7.0 has no CLIENT NO-TOUCH: no length reads, sizes by MEMORY USAGE, and the output says so
    assert re.search(r"blob:large \(string, [\d.]+ KiB, no TTL", text)
    assert re.search(r"big:hash \(hash, [\d.]+ KiB, hashtable", text)
    assert "length reads" in text and "skipped" in text
    assert "big keys" in text
    for secret in ("value-that-must-never-be-shown", "do-not-show", "signup", "name-1", "xxxx"):
        assert secret not in text


def test_keyspace_budget_is_per_node_and_scales(tools, redis_standalone, tmp_path):
    text, error = call(tools, ctx_for(redis_standalone.url(), tmp_path), "redis_keyspace", {"budget": 100})
    assert not error, text
    assert "sampled 100 of" in text and "stopped at budget" in text
    assert "multiply by" in text


def test_keyspace_walk_stops_at_the_time_limit(tools, redis_standalone, tmp_path, monkeypatch):
    from ask_redis.tools import redis_keyspace

    spare = redis_standalone.admin(db=7)
    spare.execute_command("DEBUG", "POPULATE", 5000, "filler")  # more keys than one SCAN COUNT 1000 covers
    monkeypatch.setattr(redis_keyspace, "TIME_LIMIT_SECONDS", 1e-9)
    url = redis_standalone.url().rsplit("/", 1)[0] + "/7"
    text, error = call(tools, ctx_for(url, tmp_path), "redis_keyspace",
                       {"budget": 200_000, "match": "nothing-matches:*", "pause_ms": 1000})
    assert not error, text
    assert "stopped at the time limit (1 SCAN calls)" in text
    spare.flushdb()


def test_keyspace_match_and_type_filters(tools, redis_standalone, tmp_path):
    ctx = ctx_for(redis_standalone.url(), tmp_path)
    text, error = call(tools, ctx, "redis_keyspace", {"match": "user:*"})
    assert not error, text
    assert "user:*:name: 300 keys" in text and "cache:product" not in text
    text, error = call(tools, ctx, "redis_keyspace", {"type": "zset"})
    assert not error and "leaderboard:daily" in text and "types: zset 1 keys" in text


def test_command_runs_an_allowlisted_command(tools, redis_standalone, tmp_path):
    ctx = ctx_for(redis_standalone.url(), tmp_path)
    text, error = call(tools, ctx, "redis_command", {"command": "OBJECT ENCODING big:hash"})
    assert (text, error) == ("hashtable", False)
    text, error = call(tools, ctx, "redis_command", {"command": "config get 'maxmemory-policy'"})
    assert (text, error) == ("maxmemory-policy: noeviction", False)
    text, error = call(tools, ctx, "redis_command", {"command": "HLEN big:hash"})
    assert (text, error) == ("600", False)
    text, error = call(tools, ctx, "redis_command", {"command": "CONFIG GET requirepass"})
    assert text == "requirepass: [REDACTED]" and PASSWORD not in text


def test_slowlog_groups_by_command_without_arguments(tools, redis_standalone, tmp_path):
    admin = redis_standalone.admin()
    admin.config_set("slowlog-log-slower-than", 0)
    admin.set("slow:probe", "secret-slow-value")
    admin.config_set("slowlog-log-slower-than", 10000)
    text, error = call(tools, ctx_for(redis_standalone.url(), tmp_path), "redis_slowlog", {})
    assert not error, text
    assert re.search(r"^  set: \d+x, total [\d.]+ ms", text, re.M)
    assert "commands by total time" in text and "us/call" in text and "latency monitor: off" in text
    assert "secret-slow-value" not in text and "slow:probe" not in text


def test_the_tools_work_under_the_acl_inspector(tools, redis_standalone, redis_inspector, tmp_path):
    ctx = ctx_for(redis_inspector, tmp_path)
    for name, args in (("redis_overview", {}), ("redis_keyspace", {}), ("redis_slowlog", {}),
                       ("redis_command", {"command": "ACL WHOAMI"}), ("redis_command", {"command": "MEMORY USAGE plain"})):
        text, error = call(tools, ctx, name, args)
        assert not error, f"{name}: {text}"
    assert call(tools, ctx, "redis_command", {"command": "ACL WHOAMI"})[0] == "ask-redis-inspector"
    log = redis_standalone.admin().execute_command("ACL", "LOG")
    assert not [e for e in log if b"ask-redis-inspector" in repr(e).encode()], log  # nothing was denied


HOSTILE_TOOL_CALLS = [("redis_command", {"command": shlex.join(words)}) for words, _ in HOSTILE if words] + [
    ("redis_command", {"command": "INFO\r\nFLUSHALL"}),
    ("redis_command", {"command": "info\nconfig set maxmemory 1"}),
    ("redis_command", {"command": "TYPE 'a\x00b'"}),
    ("redis_command", {"command": "config set maxmemory 1", "node": "127.0.0.1:1"}),
    ("redis_command", {"command": "'FLUSHALL'"}),
    ("redis_command", {"command": "\"CONFIG|SET\" maxmemory 1"}),
    ("redis_command", {"command": "EVAL \"return redis.call('FLUSHALL')\" 0"}),
    ("redis_command", {"command": "EVALSHA 0000000000000000000000000000000000000000 1 k"}),
    ("redis_command", {"command": "unterminated 'quote"}),
    ("redis_keyspace", {"match": "*\r\nFLUSHALL"}),
    ("redis_keyspace", {"budget": 10_000_000}),
    ("redis_keyspace", {"type": "string\r\nFLUSHALL"}),
    ("redis_slowlog", {"count": -1}),
    ("redis_overview", {"command": "FLUSHALL"}),
]

REFUSED_NAMES = {"keys", "flushall", "flushdb", "shutdown", "eval", "evalsha", "fcall", "fcall_ro", "eval_ro",
                 "script", "function", "module", "monitor", "subscribe", "psubscribe", "debug", "set", "del",
                 "get", "hgetall", "lrange", "smembers", "dump", "blpop", "save", "bgrewriteaof", "replicaof",
                 "multi", "select"}
REFUSED_PAIRS = {"config|set", "config|rewrite", "config|resetstat", "client|kill", "client|pause", "slowlog|reset",
                 "latency|reset", "memory|purge", "acl|setuser", "cluster|failover", "function|load", "script|load"}


def test_hostile_session_sends_nothing_and_changes_nothing(tools, redis_standalone, tmp_path):
    server = redis_standalone
    ctx = ctx_for(server.url(), tmp_path)
    digest_before = server.digest()
    config_before = server.admin().config_get("*")
    with monitor(server) as lines:
        stats_before = server.commandstats()  # after the test's own MONITOR
        # A whole session: the useful tools, with every hostile call in between.
        outcomes = [call(tools, ctx, "redis_overview", {})]
        for name, args in HOSTILE_TOOL_CALLS:
            text, error = call(tools, ctx, name, args)
            assert error, f"{name} {args} was not refused: {text[:200]}"
            assert PASSWORD not in text
            outcomes.append((text, error))
        outcomes.append(call(tools, ctx, "redis_keyspace", {}))
        outcomes.append(call(tools, ctx, "redis_slowlog", {}))
    assert len(HOSTILE_TOOL_CALLS) >= 30
    stats_after = server.commandstats()  # before the test's own DEBUG DIGEST counts
    assert server.digest() == digest_before
    assert server.admin().config_get("*") == config_before
    for name in REFUSED_NAMES | REFUSED_PAIRS:
        assert stats_after.get(name, 0) == stats_before.get(name, 0), f"{name} reached the server"
    sent = monitored_commands(lines)
    assert sent, "MONITOR saw nothing: the session did not run"
    for command in sent:
        words = command.split()
        key = redis_safety.command_key(words)
        assert key in redis_safety.ALLOWED or key in ("auth", "client|setname", "client|no-touch", "command|info"), command
    refused_texts = [t for t, e in outcomes if e]
    assert all(t.startswith("Refused before sending") or t.startswith("Invalid input") or "Cannot split" in t
               or "CR, LF or NUL" in t for t in refused_texts), [t for t in refused_texts][:5]


WRONG_URLS = [
    "redis://:{pw}@127.0.0.1:{port}/0",              # wrong password
    "redis://nobody:{pw}@127.0.0.1:{port}/0",        # unknown user
    "redis://:{pw}@127.0.0.1:1/0",                   # nothing listens
    "redis://:{pw}@127.0.0.2:{port}/0?connect_timeout=0.5",  # loopback address with no server
    "redis://:{pw}@127.0.0.1:{port}/99",             # database out of range
    "redis://:{pw}@127.0.0.1:{port}/0?bogus=1",      # unknown option
    "redis://:{pw}@127.0.0.1:notaport/0",            # bad port
    "unix://:{pw}@/nonexistent/redis.sock",          # missing socket
    "rediss://:{pw}@127.0.0.1:{port}/0?connect_timeout=1&socket_timeout=1",  # TLS to a plain-text port
    "redis+sentinel://:{pw}@127.0.0.1:1/mymaster",   # no sentinel there
    "ftp://:{pw}@127.0.0.1/",                         # not Redis
    "{pw}",                                           # not a URL at all
]


@pytest.mark.parametrize("template", WRONG_URLS)
def test_the_password_never_appears_in_errors(tools, redis_standalone, tmp_path, template):
    secret = "Wr0ng-Secret-Passw0rd"
    ctx = ctx_for(template.format(pw=secret, port=redis_standalone.port), tmp_path)
    for name, args in (("redis_overview", {}), ("redis_command", {"command": "INFO"}), ("redis_keyspace", {}),
                       ("redis_slowlog", {})):
        text, error = call(tools, ctx, name, args)
        assert error, text
        assert secret not in text and "Passw0rd" not in text
        assert "\n" not in text and "Traceback" not in text


def test_the_real_password_never_appears_in_results(tools, redis_standalone, tmp_path):
    ctx = ctx_for(redis_standalone.url(), tmp_path)
    for command in ("CONFIG GET *", "CONFIG GET requirepass", "CLIENT LIST", "CLIENT INFO", "ACL LIST", "ACL LOG",
                    "SLOWLOG GET 1000", "INFO everything", "MEMORY STATS", "COMMAND INFO auth"):
        text, error = call(tools, ctx, "redis_command", {"command": command})
        assert not error, f"{command}: {text}"
        assert PASSWORD not in text, command
    for name in ("redis_overview", "redis_keyspace", "redis_slowlog"):
        assert PASSWORD not in call(tools, ctx, name, {})[0]


def test_a_failed_call_reconnects_next_time(tools, redis_standalone, tmp_path):
    ctx = ctx_for(redis_standalone.url(), tmp_path)
    assert call(tools, ctx, "redis_command", {"command": "PING"}) == ("OK", False)
    conn = ctx.state["redis_connection"][1]
    conn.nodes[0]._client.connection_pool.disconnect()
    assert call(tools, ctx, "redis_command", {"command": "DBSIZE"})[1] is False


def test_the_session_password_is_masked_in_every_tool_result_whatever_the_form(tools, tmp_path):
    secret = "Pl41n-Sight@Secret"
    (tmp_path / "Pool.java").write_text(f'new JedisPool(cfg, "cache", 6379, 2000, "{secret}");\nlog({secret!r})\n'
                                        'String url = "Pl41n-Sight%40Secret";\n')
    ctx = ctx_for("redis://app:Pl41n-Sight%40Secret@127.0.0.1:1/0", tmp_path)
    calls = [("Read", {"file_path": "Pool.java"}), ("Grep", {"pattern": "Secret", "output_mode": "content"}),
             ("Read", {"file_path": f"{secret}.txt"}), ("Glob", {"pattern": "*.java"})]
    for name, args in calls:
        text, _ = call(tools, ctx, name, args)
        assert secret not in text and "Pl41n-Sight%40Secret" not in text, (name, text)
    read, _ = call(tools, ctx, "Read", {"file_path": "Pool.java"})
    assert '2000, "[REDACTED]");' in read  # the rest of the line stays readable


def test_the_password_of_a_url_the_tools_refuse_is_masked_too(tools, tmp_path):
    secret = "Unkn0wn-Option-Secret"
    (tmp_path / "notes.txt").write_text(f"connect with {secret} then\n")
    ctx = ctx_for(f"redis://app:{secret}@127.0.0.1:1/0?bogus=1", tmp_path)
    text, error = call(tools, ctx, "Read", {"file_path": "notes.txt"})
    assert not error and secret not in text and "connect with [REDACTED] then" in text
    text, error = call(tools, ctx, "redis_command", {"command": "PING"})
    assert error and secret not in text


def test_config_get_is_sorted_so_the_same_server_answers_the_same(redis_standalone, tmp_path):
    from ask_redis.tools import ToolContext, discover, run_tool

    tools = {tool.name: tool for tool in discover()}
    ctx = ToolContext(workspace=tmp_path, redis_url=redis_standalone.url())
    outcome = run_tool(tools, "redis_command", {"command": "CONFIG GET maxmemory*"}, ctx)
    names = [line.split(":")[0] for line in outcome.content.splitlines()]
    assert not outcome.is_error and len(names) >= 4 and names == sorted(names)

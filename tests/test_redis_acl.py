"""`ask-redis redis-acl`: the inspector account can run exactly the allowlist, on a real server."""

import hashlib
import shlex

import pytest
import redis

from ask_redis.live import acl as redis_acl, safety as redis_safety
from tests.fixtures_redis import INSPECTOR_PASSWORD, redis_inspector, redis_standalone  # noqa: F401

# One sample invocation per allowlisted command (ACL DRYRUN needs valid arities).
SAMPLE_ARGS = {"latency|history": ["command"], "memory|usage": ["plain"], "scan": ["0"], "config|get": ["maxmemory"],
               "xinfo|consumers": ["events:stream", "g"], "cluster|keyslot": ["k"], "cluster|countkeysinslot": ["1"]}


def run(capsys, *argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        import io

        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = redis_acl.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_line_grants_the_allowlist_with_a_hashed_password(capsys, monkeypatch):
    code, out, err = run(capsys, "--password-stdin", stdin="topsecret\n", monkeypatch=monkeypatch)
    assert code == 0 and err == ""
    words = out.split()
    assert words[:4] == ["ACL", "SETUSER", "ask-redis-inspector", "reset"]
    assert "#" + hashlib.sha256(b"topsecret").hexdigest() in words and "topsecret" not in out
    assert "%R~*" in words and "resetchannels" in words
    granted = {w for w in words if w.startswith("+")}
    assert granted == set(redis_safety.acl_rules()) - {"+acl|list"} | {"+client|setname", "+select"}
    assert not [w for w in words if w.startswith(("+@", "~", "&"))]


def test_acl_list_is_an_opt_in_that_says_what_it_grants(capsys, monkeypatch):
    code, out, err = run(capsys, "--password-stdin", stdin="pw\n", monkeypatch=monkeypatch)
    assert "+acl|list" not in out.split() and "+xinfo|stream" not in out.split()
    code, out, err = run(capsys, "--password-stdin", "--nopass-check", stdin="pw\n", monkeypatch=monkeypatch)
    assert code == 0 and "+acl|list" in out.split() and "password hashes" in err


def test_versions_gate_what_the_line_grants():
    valkey = redis_acl.setuser_words("u", "0" * 64, redis_acl._version("valkey-8.1"))
    assert "+commandlog|get" in valkey and "+client|no-touch" in valkey and "+hotkeys|get" not in valkey
    old_valkey = redis_acl.setuser_words("u", "0" * 64, redis_acl._version("valkey 8.0"))
    assert "+commandlog|get" not in old_valkey and "+cluster|slot-stats" in old_valkey
    redis8 = redis_acl.setuser_words("u", "0" * 64, redis_acl._version("8.6"))
    assert "+hotkeys|get" in redis8 and "+commandlog|get" not in redis8
    assert "+client|no-touch" not in redis_acl.setuser_words("u", "0" * 64, redis_acl._version("7.0"))


def test_a_generated_password_goes_to_stderr_only(capsys):
    code, out, err = run(capsys)
    assert code == 0
    password = err.split("(not shown again): ")[1].split()[0]
    assert password not in out and "#" + hashlib.sha256(password.encode()).hexdigest() in out


def test_versions_and_acl_file_form(capsys):
    code, out, _ = run(capsys, "--server-version", "7.2.4", "--acl-file", "--user", "inspect")
    assert code == 0 and out.startswith("user inspect reset on #") and "+client|no-touch" in out.split()
    code, out, _ = run(capsys, "--server-version", "6.2")
    assert code == 0 and " ~* " in out and "%R~*" not in out and "+latency|histogram" not in out
    assert run(capsys, "--server-version", "seven")[0] == 2
    assert run(capsys, "--user", "bad user")[0] == 2
    assert run(capsys, "--nonsense")[0] == 2


def test_the_line_works_on_a_real_server_and_denies_everything_else(redis_standalone, redis_inspector):
    admin = redis_standalone.admin()
    user = redis_acl.DEFAULT_USER
    for key in redis_safety.ALLOWED:
        if key in redis_safety.GATED or key == "acl|list":
            continue
        words = key.split("|") + SAMPLE_ARGS.get(key, ["plain"] if redis_safety.ALLOWED[key].min_args else [])
        words += ["x"] * max(0, redis_safety.ALLOWED[key].min_args - len(words) + len(key.split("|")))
        assert admin.execute_command("ACL", "DRYRUN", user, *words) in (b"OK", "OK", True), key
    for words in (["SET", "a", "b"], ["CONFIG", "SET", "maxmemory", "1"], ["KEYS", "*"], ["FLUSHALL"],
                  ["EVAL", "return 1", "0"], ["DEBUG", "DIGEST"], ["MONITOR"], ["SUBSCRIBE", "c"], ["GET", "plain"],
                  ["CLIENT", "KILL", "TYPE", "normal"], ["SLOWLOG", "RESET"], ["MEMORY", "PURGE"], ["SHUTDOWN"],
                  ["XINFO", "STREAM", "events:stream"], ["XINFO", "STREAM", "events:stream", "FULL"], ["ACL", "LIST"]):
        reply = admin.execute_command("ACL", "DRYRUN", user, *words)
        assert b"no permissions" in reply or b"permission" in reply.lower(), (words, reply)


def test_the_inspector_cannot_write_even_outside_ask_redis(redis_standalone, redis_inspector):
    client = redis.Redis(host="127.0.0.1", port=redis_standalone.port, username=redis_acl.DEFAULT_USER,
                         password=INSPECTOR_PASSWORD, protocol=2)
    assert client.type("plain") == b"string"
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.set("plain", "overwritten")
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.get("plain")  # values are not readable either
    assert redis_standalone.admin().get("plain") == b"value-that-must-never-be-shown"


def test_the_line_round_trips_through_a_shell(capsys):
    code, out, _ = run(capsys, "--server-version", "7.0")
    assert shlex.split(out) == out.split()  # nothing needs quoting when pasted into redis-cli


def test_the_version_can_come_from_the_server(capsys, redis_standalone):
    code, out, err = run(capsys, "--redis-url", redis_standalone.url())
    version = redis_standalone.admin().info("server")["redis_version"]
    assert code == 0 and ("+client|no-touch" in out.split()) == (tuple(map(int, version.split(".")[:2])) >= (7, 2))
    code, out, err = run(capsys, "--redis-url", redis_standalone.url(password="bad-pw-123"))
    assert code == 1 and out == "" and "bad-pw-123" not in err and "invalid username-password" in err

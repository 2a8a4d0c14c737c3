"""The allowlist: what may be sent to a live Redis, decided before anything is sent."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ask_redis.live import safety as redis_safety
from ask_redis.live.safety import check, flags_refusal, refusal_reason, scrub_reply

# (command words, a fragment the reason must contain)
HOSTILE = [
    (["KEYS", "*"], "SCAN"),
    (["keys", "user:*"], "SCAN"),
    (["kEyS", "*"], "SCAN"),
    (["config", "set", "maxmemory", "1"], "CONFIG SET"),
    (["CONFIG", "SET", "requirepass", "x"], "CONFIG SET"),
    (["CoNfIg", "sEt", "save", ""], "CONFIG SET"),
    (["CONFIG|SET", "maxmemory", "1"], "not a command name"),
    (["config|get", "maxmemory"], "two words: CONFIG GET"),
    (["CONFIG", "REWRITE"], "CONFIG REWRITE"),
    (["CONFIG", "RESETSTAT"], "INFO"),
    (["INFO", "memory\r\nFLUSHALL"], "CR, LF or NUL"),
    (["CONFIG", "GET", "maxmemory\nSHUTDOWN"], "CR, LF or NUL"),
    (["TYPE", "key\x00FLUSHALL"], "CR, LF or NUL"),
    (["INFO\r\nFLUSHALL"], "CR, LF or NUL"),
    (["EVAL", "return redis.call('SET','a','b')", "0"], "scripts"),
    (["eval_ro", "return 1", "0"], "scripts"),
    (["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"], "scripts"),
    (["FCALL", "myfunc", "1", "k"], "scripts"),
    (["FCALL_RO", "myfunc", "0"], "scripts"),
    (["SCRIPT", "LOAD", "return redis.call('FLUSHALL')"], "scripts"),
    (["SCRIPT", "FLUSH"], "scripts"),
    (["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', function() end)"], "CR, LF or NUL"),
    (["FUNCTION", "LOAD", "#!lua name=x redis.register_function('f', function() end)"], "scripts"),
    (["FUNCTION", "FLUSH"], "scripts"),
    (["FUNCTION", "LIST", "WITHCODE"], "WITHCODE"),
    (["MODULE", "LOAD", "/tmp/evil.so"], "MODULE LIST"),
    (["FLUSHALL"], "never run"),
    (["flushall", "ASYNC"], "never run"),
    (["FLUSHDB"], "never run"),
    (["SHUTDOWN", "NOSAVE"], "never run"),
    (["CLIENT", "KILL", "TYPE", "normal"], "CLIENT LIST"),
    (["CLIENT", "PAUSE", "10000"], "CLIENT LIST"),
    (["SLOWLOG", "RESET"], "SLOWLOG GET"),
    (["LATENCY", "RESET"], "LATENCY LATEST"),
    (["MEMORY", "PURGE"], "MEMORY DOCTOR"),
    (["MONITOR"], "SLOWLOG GET"),
    (["SUBSCRIBE", "news"], "PUBSUB NUMSUB"),
    (["PSUBSCRIBE", "*"], "PUBSUB NUMPAT"),
    (["DEBUG", "DIGEST"], "never sent"),
    (["DEBUG", "SLEEP", "10"], "never sent"),
    (["SET", "a", "b"], "not on the read-only allowlist"),
    (["DEL", "a"], "not on the read-only allowlist"),
    (["GET", "session:1"], "values are never read"),
    (["HGETALL", "user:1"], "values are never read"),
    (["LRANGE", "queue", "0", "-1"], "values are never read"),
    (["SMEMBERS", "tags"], "values are never read"),
    (["DUMP", "key"], "values are never read"),
    (["BLPOP", "queue", "0"], "blocking"),
    (["SAVE"], "INFO persistence"),
    (["BGREWRITEAOF"], "INFO persistence"),
    (["REPLICAOF", "evil.example", "6379"], "ROLE"),
    (["ACL", "SETUSER", "evil", "on", ">pw", "+@all"], "redis-acl"),
    (["ACL", "LOG", "RESET"], "ACL LOG RESET"),
    (["CLUSTER", "FAILOVER"], "CLUSTER INFO"),
    (["MULTI"], "transactions"),
    (["SELECT", "1"], "URL"),
    (["SCAN", "0", "COUNT", "1000000"], "between 1 and 1000"),
    (["SCAN", "0", "COUNT"], "pairs"),
    (["SCAN", "0", "MATCH", "*a" * 30 + "b", "COUNT", "10"], "at most 8 '*'"),
    (["CONFIG", "GET", "maxmemory", "*a" * 30 + "b"], "at most 8 '*'"),
    (["FUNCTION", "LIST", "LIBRARYNAME", "*a" * 30], "at most 8 '*'"),
    (["MEMORY", "USAGE", "big", "SAMPLES", "0"], "between 1 and 1000"),
    (["SLOWLOG", "GET", "-1"], "between 0 and 1000"),
    (["XINFO", "STREAM", "events", "FULL"], "FULL"),
    (["CONFIG"], "needs a subcommand"),
    (["TYPE"], "takes 1 argument"),
    (["TYPE", "a", "b"], "takes 1 argument"),
    ([" info"], "not a command name"),
    (["info memory"], "not a command name"),
    ([], "empty"),
    (["ＫＥＹＳ", "*"], "not on the read-only allowlist"),
]

ALLOWED = [
    ["INFO"], ["info", "memory"], ["CONFIG", "GET", "maxmemory*"], ["config", "get", "save"], ["SLOWLOG", "GET", "10"],
    ["SLOWLOG", "LEN"], ["LATENCY", "LATEST"], ["LATENCY", "DOCTOR"], ["MEMORY", "USAGE", "k"],
    ["MEMORY", "USAGE", "k", "SAMPLES", "5"], ["MEMORY", "STATS"], ["DBSIZE"], ["SCAN", "0"],
    ["SCAN", "17", "MATCH", "user:*", "COUNT", "1000", "TYPE", "hash"], ["SCAN", "0", "MATCH", "a:*:b:*:c:*:d:*:e:*:f:*:g:*:h:*"], ["TYPE", "k"], ["PTTL", "k"],
    ["OBJECT", "ENCODING", "k"], ["HLEN", "h"], ["XINFO", "GROUPS", "s"], ["CLUSTER", "NODES"], ["ROLE"],
    ["CLIENT", "LIST"], ["CLIENT", "LIST", "TYPE", "normal"], ["COMMAND", "INFO", "get"], ["FUNCTION", "LIST"],
    ["MODULE", "LIST"], ["ACL", "LIST"], [b"INFO", b"server"],
]


def test_the_hostile_table_is_large_enough():
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("words,fragment", HOSTILE, ids=[" ".join(w)[:40] or "empty" for w, _ in HOSTILE])
def test_hostile_commands_are_refused_with_a_reason(words, fragment):
    reason = refusal_reason(words)
    assert reason is not None, f"{words} was allowed"
    assert fragment in reason
    assert "\n" not in reason and "\r" not in reason
    with pytest.raises(redis_safety.RefusedCommand):
        check(words)


@pytest.mark.parametrize("words", ALLOWED, ids=lambda w: " ".join(map(str, w)))
def test_read_only_commands_pass(words):
    assert refusal_reason(words) is None


def test_keys_reason_names_the_safe_alternative():
    assert "SCAN cursor MATCH pattern COUNT 1000" in refusal_reason(["KEYS", "*"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4))
def test_anything_off_the_allowlist_is_refused(words):
    key = redis_safety.command_key(words)
    if key in redis_safety.ALLOWED and words[0] == words[0].strip():
        return  # a genuine allowlisted command: covered elsewhere
    assert refusal_reason(words) is not None


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(redis_safety.ALLOWED)), st.text(min_size=0, max_size=8),
       st.sampled_from(["\r", "\n", "\x00"]))
def test_control_characters_are_refused_in_any_argument(key, text, control):
    words = key.upper().split("|") + ["x" + text + control + "FLUSHALL"]
    assert refusal_reason(words) == "arguments may not contain CR, LF or NUL characters"


def test_no_value_reading_or_writing_command_is_on_the_allowlist():
    forbidden = {"get", "hgetall", "lrange", "smembers", "keys", "monitor", "debug", "eval", "set", "del",
                 "config|set", "flushall", "client|kill", "slowlog|reset", "memory|purge", "subscribe"}
    assert not forbidden & set(redis_safety.ALLOWED)


def test_second_check_refuses_write_blocking_pubsub_and_unknown():
    assert flags_refusal("set", ["write", "denyoom"]) is not None
    assert flags_refusal("blpop", [b"write", b"blocking"]) is not None
    assert flags_refusal("subscribe", ["pubsub", "noscript"]) is not None
    assert "unknown" in flags_refusal("nosuch", None)
    assert flags_refusal("config|get", ["admin", "noscript", "loading", "stale"]) is None


def test_config_get_secrets_are_scrubbed():
    reply = {"requirepass": "hunter2", "masterauth": "x", "maxmemory": "0", "tls-key-file-pass": ""}
    scrubbed = scrub_reply("config|get", reply)
    assert scrubbed["requirepass"] == "[REDACTED]" and scrubbed["masterauth"] == "[REDACTED]"
    assert scrubbed["maxmemory"] == "0" and scrubbed["tls-key-file-pass"] == ""
    assert scrub_reply("config|get", [b"requirepass", b"hunter2"]) == [b"requirepass", "[REDACTED]"]


def test_acl_list_hashes_are_scrubbed():
    line = "user app on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~* +@all"
    assert "5e8848" not in scrub_reply("acl|list", [line])[0]
    assert "user app on" in scrub_reply("acl|list", [line])[0]


def test_slowlog_arguments_are_replaced_by_a_count():
    raw = [[1, 1700000000, 12000, [b"SET", b"session:1", b"secret-value"], b"127.0.0.1:5000", b""]]
    entry = scrub_reply("slowlog|get", raw)[0]
    assert entry[3] == ["SET", "(2 args hidden)"]
    parsed = [{"id": 1, "command": b"CONFIG SET requirepass hunter2", "duration": 5}]
    assert scrub_reply("slowlog|get", parsed)[0]["command"] == "CONFIG SET (2 args hidden)"


def test_stream_entries_become_shapes():
    reply = [b"length", 1, b"first-entry", [b"1-0", [b"kind", b"signup", b"secret", b"v"]], b"last-entry", None]
    scrubbed = scrub_reply("xinfo|stream", reply)
    assert scrubbed[3] == "1-0 (2 fields)"
    assert b"signup" not in repr(scrubbed).encode()


def test_acl_rules_are_exactly_the_allowlist():
    # the version-gated entries are added by the ACL line where the server has them
    assert redis_safety.acl_rules() == [f"+{k}" for k in redis_safety.ALLOWED if k not in redis_safety.GATED]
    assert {"commandlog|get", "hotkeys|get", "cluster|slot-stats"} <= set(redis_safety.GATED)

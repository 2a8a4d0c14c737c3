"""What may be sent to a live Redis: an allowlist of read-only `command|subcommand` pairs.

Everything the inspection code sends passes `check(args)` before it reaches a socket; a
refusal says why and what to use instead (KEYS -> SCAN). The server's own COMMAND INFO
flags are a second check (`flags_refusal`), never the rule: readonly/write flags are not
complements (EVAL, CONFIG SET, CLIENT KILL, SLOWLOG RESET, MEMORY PURGE carry no `write`
flag, and KEYS is flagged readonly yet blocks the server).

Values are never read: GET, HGETALL, LRANGE and friends are refused; lengths, types,
encodings and memory usage are allowed. Replies that can carry secrets (CONFIG GET
requirepass, ACL LIST hashes) or stream entries are scrubbed by `scrub_reply`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

MAX_SCAN_COUNT = 1000
MAX_SLOWLOG_COUNT = 1000
MAX_MEMORY_SAMPLES = 1000
# Servers before 6.2.11 / 7.0.9 match glob patterns in exponential time (CVE-2022-36021): a MATCH with many
# '*' can hang them. Real key patterns need a few.
MAX_MATCH_STARS = 8
SECRET_CONFIG = frozenset({"requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass"})
# COMMAND INFO flags that rule a command out even when the allowlist has it.
FORBIDDEN_FLAGS = frozenset({"write", "denyoom", "blocking", "pubsub", "may_replicate"})


class RefusedCommand(Exception):
    """A command the allowlist does not permit; the message holds the reason and the alternative."""


@dataclass(frozen=True)
class Rule:
    min_args: int  # arguments after the command (and subcommand)
    max_args: int | None = None  # None: any number
    check: Callable[[list[str]], str | None] | None = None  # extra argument check -> reason


def _int_arg(value: str, low: int, high: int, what: str) -> str | None:
    try:
        number = int(value)
    except ValueError:
        return f"{what} must be an integer"
    if not low <= number <= high:
        return f"{what} must be between {low} and {high}"
    return None


def _check_scan(args: list[str]) -> str | None:
    reason = _int_arg(args[0], 0, 2**64 - 1, "the SCAN cursor")
    if reason:
        return reason
    options = args[1:]
    if len(options) % 2:
        return "SCAN options come in pairs: MATCH pattern, COUNT n, TYPE t"
    for name, value in zip(options[::2], options[1::2]):
        name = name.upper()
        if name == "COUNT":
            reason = _int_arg(value, 1, MAX_SCAN_COUNT, "SCAN COUNT")
            if reason:
                return reason
        elif name == "MATCH" and value.count("*") > MAX_MATCH_STARS:
            return f"a MATCH pattern may hold at most {MAX_MATCH_STARS} '*' (older servers match many in exponential time)"
        elif name not in ("MATCH", "TYPE"):
            return f"unknown SCAN option {name}"
    return None


def _check_memory_usage(args: list[str]) -> str | None:
    if len(args) == 1:
        return None
    if len(args) != 3 or args[1].upper() != "SAMPLES":
        return "usage: MEMORY USAGE key [SAMPLES n]"
    # SAMPLES 0 walks every element of the key: unbounded on a big one.
    return _int_arg(args[2], 1, MAX_MEMORY_SAMPLES, "MEMORY USAGE SAMPLES")


def _check_slowlog_get(args: list[str]) -> str | None:
    if args:
        return _int_arg(args[0], 0, MAX_SLOWLOG_COUNT, "SLOWLOG GET count")
    return None


_COMMANDLOG_TYPES = ("slow", "large-request", "large-reply")


def _check_commandlog_type(args: list[str]) -> str | None:
    if args[-1].lower() not in _COMMANDLOG_TYPES:
        return f"the log type is one of {', '.join(_COMMANDLOG_TYPES)}"
    return None


def _check_commandlog_get(args: list[str]) -> str | None:
    return _int_arg(args[0], 0, MAX_SLOWLOG_COUNT, "COMMANDLOG GET count") or _check_commandlog_type(args)


def _check_slot_stats(args: list[str]) -> str | None:
    words = [a.upper() for a in args]
    if words[0] == "SLOTSRANGE" and len(args) == 3:
        return _int_arg(args[1], 0, 16383, "the first slot") or _int_arg(args[2], 0, 16383, "the last slot")
    if words[0] == "ORDERBY" and len(args) in (2, 4, 5):
        rest = words[2:]
        if rest and (rest[0] != "LIMIT" or len(rest) < 2 or _int_arg(args[3], 1, 16384, "LIMIT")):
            return "usage: CLUSTER SLOT-STATS ORDERBY metric [LIMIT n] [ASC|DESC]"
        if len(rest) == 3 and rest[2] not in ("ASC", "DESC"):
            return "usage: CLUSTER SLOT-STATS ORDERBY metric [LIMIT n] [ASC|DESC]"
        return None
    return "usage: CLUSTER SLOT-STATS SLOTSRANGE start end | ORDERBY metric [LIMIT n] [ASC|DESC]"


def _check_function_list(args: list[str]) -> str | None:
    if any(a.upper() == "WITHCODE" for a in args):
        return "FUNCTION LIST WITHCODE returns library source; use FUNCTION LIST [LIBRARYNAME pattern]"
    return None


def _check_acl_log(args: list[str]) -> str | None:
    if args and args[0].upper() == "RESET":
        return "ACL LOG RESET erases the log; use ACL LOG [count]"
    if args:
        return _int_arg(args[0], 0, 1000, "ACL LOG count")
    return None


def _check_client_list(args: list[str]) -> str | None:
    if len(args) % 2 or any(a.upper() not in ("TYPE", "ID") for a in args[::2]):
        return "usage: CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]"
    return None


# "command" or "command|subcommand" (lower case) -> what its arguments may be.
ALLOWED: dict[str, Rule] = {
    "info": Rule(0, 10),
    "ping": Rule(0, 0),
    "dbsize": Rule(0, 0),
    "role": Rule(0, 0),
    "time": Rule(0, 0),
    "lastsave": Rule(0, 0),
    "config|get": Rule(1, 20),
    "slowlog|get": Rule(0, 1, _check_slowlog_get),
    "slowlog|len": Rule(0, 0),
    "latency|latest": Rule(0, 0),
    "latency|history": Rule(1, 1),
    "latency|doctor": Rule(0, 0),
    "latency|histogram": Rule(0, 20),
    "memory|usage": Rule(1, 3, _check_memory_usage),
    "memory|stats": Rule(0, 0),
    "memory|doctor": Rule(0, 0),
    "memory|malloc-stats": Rule(0, 0),
    "scan": Rule(1, 7, _check_scan),
    "type": Rule(1, 1),
    "exists": Rule(1, 1),
    "ttl": Rule(1, 1),
    "pttl": Rule(1, 1),
    "expiretime": Rule(1, 1),
    "pexpiretime": Rule(1, 1),
    "object|encoding": Rule(1, 1),
    "object|freq": Rule(1, 1),
    "object|idletime": Rule(1, 1),
    "object|refcount": Rule(1, 1),
    "strlen": Rule(1, 1),
    "hlen": Rule(1, 1),
    "llen": Rule(1, 1),
    "scard": Rule(1, 1),
    "zcard": Rule(1, 1),
    "xlen": Rule(1, 1),
    "xinfo|groups": Rule(1, 1),
    "xinfo|consumers": Rule(2, 2),
    "cluster|info": Rule(0, 0),
    "cluster|nodes": Rule(0, 0),
    "cluster|shards": Rule(0, 0),
    "cluster|slots": Rule(0, 0),
    "cluster|myid": Rule(0, 0),
    "cluster|keyslot": Rule(1, 1),
    "cluster|countkeysinslot": Rule(1, 1),
    "client|list": Rule(0, 20, _check_client_list),
    "client|info": Rule(0, 0),
    "client|getname": Rule(0, 0),
    "client|id": Rule(0, 0),
    "command|info": Rule(0, 50),
    "command|docs": Rule(0, 50),
    "command|count": Rule(0, 0),
    "function|list": Rule(0, 3, _check_function_list),
    "function|stats": Rule(0, 0),
    "module|list": Rule(0, 0),
    "acl|whoami": Rule(0, 0),
    "acl|users": Rule(0, 0),
    "acl|list": Rule(0, 0),
    "acl|cat": Rule(0, 1),
    "acl|log": Rule(0, 1, _check_acl_log),
    # Version-gated: the inspection asks for them only where the server has them (inspection.features).
    "commandlog|get": Rule(2, 2, _check_commandlog_get),  # Valkey 8.1+
    "commandlog|len": Rule(1, 1, _check_commandlog_type),  # Valkey 8.1+
    "hotkeys|get": Rule(0, 0),  # Redis 8.6+: reads a tracking session's result; START/STOP/RESET are refused
    "cluster|slot-stats": Rule(2, 5, _check_slot_stats),  # Valkey 8+, cluster mode
    "pubsub|numpat": Rule(0, 0),
    "pubsub|numsub": Rule(0, 20),
    "pubsub|channels": Rule(0, 1),
}

# Commands whose arguments are glob patterns the server matches (see MAX_MATCH_STARS).
GLOB_ARGUMENTS = frozenset({"config|get", "pubsub|channels", "function|list"})
ALLOWED_CONTAINERS = frozenset(name.split("|")[0] for name in ALLOWED if "|" in name)
# Commands whose second word is a subcommand (allowlisted or not): they form `name|sub` keys.
CONTAINERS = frozenset({name.split("|")[0] for name in ALLOWED if "|" in name} | {
    "script", "debug", "xgroup", "object", "module", "pubsub", "function", "xinfo"})

_VALUES = (
    "values are never read: use TYPE, STRLEN/HLEN/LLEN/SCARD/ZCARD/XLEN, OBJECT ENCODING and "
    "MEMORY USAGE (or the redis_keyspace tool) for a key's shape"
)
_SCRIPTS = "scripts and functions can write; read FUNCTION LIST, and INFO memory's number_of_cached_scripts"
_WRITE = "this changes data or the server; recommend it to the user instead of running it"

# Better reasons for the commands people (and models) reach for most.
ALTERNATIVES: dict[str, str] = {
    "keys": "KEYS walks the whole keyspace and blocks the server; use SCAN cursor MATCH pattern COUNT 1000 "
    "(or the redis_keyspace tool)",
    "monitor": "MONITOR streams every command and costs the server; use SLOWLOG GET and LATENCY LATEST "
    "(the redis_slowlog tool)",
    "debug": "DEBUG is never sent; use OBJECT ENCODING, MEMORY USAGE or MEMORY DOCTOR",
    "sync": "replication streams are never opened; use INFO replication and ROLE",
    "psync": "replication streams are never opened; use INFO replication and ROLE",
    "subscribe": "subscribing blocks the connection; use PUBSUB NUMSUB channel or PUBSUB CHANNELS",
    "psubscribe": "subscribing blocks the connection; use PUBSUB NUMPAT",
    "ssubscribe": "subscribing blocks the connection; use PUBSUB NUMSUB channel",
    "select": "the database is fixed by the URL (redis://host/DB)",
    "flushall": "FLUSHALL deletes every key; it is never run",
    "flushdb": "FLUSHDB deletes every key of the database; it is never run",
    "shutdown": "SHUTDOWN stops the server; it is never run",
    "config|set": "CONFIG SET changes the server; recommend the exact `CONFIG SET name value` to the user instead",
    "config|rewrite": "CONFIG REWRITE changes the config file; " + _WRITE,
    "config|resetstat": "CONFIG RESETSTAT erases the statistics; use INFO stats / INFO commandstats",
    "client|kill": "CLIENT KILL disconnects clients; use CLIENT LIST and let the operator decide",
    "client|pause": "CLIENT PAUSE stops clients; use CLIENT LIST",
    "client|no-evict": "CLIENT NO-EVICT changes the server; use CLIENT LIST",
    "slowlog|reset": "SLOWLOG RESET loses the history; use SLOWLOG GET / SLOWLOG LEN",
    "latency|reset": "LATENCY RESET loses the history; use LATENCY LATEST / LATENCY HISTORY event",
    "memory|purge": "MEMORY PURGE changes the allocator's state; use MEMORY DOCTOR / MEMORY STATS",
    "module|load": "modules run code inside the server; use MODULE LIST",
    "module|loadex": "modules run code inside the server; use MODULE LIST",
    "module|unload": "use MODULE LIST",
    "acl|setuser": "ACL changes are the operator's; print the line with `ask-redis redis-acl` instead",
    "acl|deluser": "ACL changes are the operator's; use ACL USERS",
    "cluster|failover": "cluster changes are the operator's; use CLUSTER INFO / CLUSTER NODES",
    "cluster|reset": "cluster changes are the operator's; use CLUSTER INFO / CLUSTER NODES",
    "cluster|forget": "cluster changes are the operator's; use CLUSTER NODES",
    "cluster|meet": "cluster changes are the operator's; use CLUSTER NODES",
    "cluster|addslots": "cluster changes are the operator's; use CLUSTER SHARDS",
    "cluster|setslot": "cluster changes are the operator's; use CLUSTER SHARDS",
    "cluster|getkeysinslot": "returns key lists without a bound; use SCAN with MATCH and COUNT",
    "replicaof": "replication changes are the operator's; use INFO replication / ROLE",
    "slaveof": "replication changes are the operator's; use INFO replication / ROLE",
    "failover": "failover is the operator's; use INFO replication / ROLE",
    "save": "SAVE blocks the server; use INFO persistence",
    "bgsave": "persistence is the operator's; use INFO persistence",
    "bgrewriteaof": "persistence is the operator's; use INFO persistence",
    "migrate": _WRITE,
    "object|help": "use OBJECT ENCODING / FREQ / IDLETIME / REFCOUNT",
    "xinfo|stream": "XINFO STREAM returns the first and last entries (values), FULL every entry; use XLEN key "
    "and XINFO GROUPS key",
    "hotkeys|start": "HOTKEYS START begins tracking on the server; ask the operator, then read HOTKEYS GET",
    "hotkeys|stop": "HOTKEYS STOP changes the server's tracking; use HOTKEYS GET",
    "hotkeys|reset": "HOTKEYS RESET loses the tracked keys; use HOTKEYS GET",
    "commandlog|reset": "COMMANDLOG RESET loses the history; use COMMANDLOG GET / LEN",
}
for _name in ("eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro", "script", "function"):
    ALTERNATIVES.setdefault(_name, _SCRIPTS)
for _name in ("function|load", "function|delete", "function|flush", "function|restore", "function|dump",
              "script|load", "script|flush", "script|kill", "script|exists", "script|debug", "function|kill"):
    ALTERNATIVES.setdefault(_name, _SCRIPTS)
for _name in ("get", "mget", "getrange", "getex", "getdel", "substr", "lcs", "dump", "hget", "hmget", "hgetall",
              "hkeys", "hvals", "hrandfield", "hscan", "hstrlen", "lrange", "lindex", "lpos", "smembers",
              "srandmember", "sscan", "sinter", "sunion", "sdiff", "sismember", "smismember", "zrange",
              "zrangebyscore", "zrangebylex", "zrevrange", "zrevrangebyscore", "zrevrangebylex", "zscan",
              "zrandmember", "zscore", "zmscore", "xrange", "xrevrange", "xread", "xreadgroup", "sort", "sort_ro",
              "geopos", "geosearch", "georadius", "pfcount", "bitcount", "getbit", "bitpos", "bitfield",
              "bitfield_ro", "json.get", "ft.search", "ft.aggregate", "ts.range", "randomkey"):
    ALTERNATIVES.setdefault(_name, _VALUES)
for _name in ("blpop", "brpop", "blmove", "brpoplpush", "bzpopmin", "bzpopmax", "blmpop", "bzmpop", "wait",
              "waitaof"):
    ALTERNATIVES.setdefault(_name, "blocking commands are never sent; use LLEN / ZCARD for the size")
for _name in ("multi", "exec", "discard", "watch", "unwatch"):
    ALTERNATIVES.setdefault(_name, "transactions are for writes; send single read-only commands")


def _text(arg: Any) -> str:
    if isinstance(arg, bytes):
        return arg.decode("utf-8", "backslashreplace")
    return str(arg)


def command_key(args: Sequence[Any]) -> str:
    """The allowlist key of a command: `info`, `config|get` (lower case), or '' for an empty command."""
    if not args:
        return ""
    name = _text(args[0]).lower()
    if name in CONTAINERS and len(args) > 1:
        return f"{name}|{_text(args[1]).lower()}"
    return name


def _display(key: str) -> str:
    return key.replace("|", " ").upper()


def refusal_reason(args: Sequence[Any]) -> str | None:
    """Why `args` may not be sent (one line: the reason and the safe alternative), or None if it may."""
    if not args:
        return "empty command"
    texts = [_text(a) for a in args]
    for text in texts:
        if any(c in text for c in "\r\n\x00"):
            return "arguments may not contain CR, LF or NUL characters"
    name = texts[0].lower()
    if not name or name != name.strip() or any(c.isspace() for c in name):
        return f"{texts[0]!r} is not a command name: send the command and each argument as separate words"
    if "|" in name:
        spaced = _display(name)
        hint = f"write it as two words: {spaced}" if name in ALLOWED else f"{spaced} is not allowed either"
        return f"{texts[0]!r} is not a command name ({hint})"
    key = command_key(texts)
    if name in ALLOWED_CONTAINERS and len(texts) == 1:
        subs = sorted(k.split("|")[1].upper() for k in ALLOWED if k.startswith(name + "|"))
        return f"{name.upper()} needs a subcommand; allowed: {', '.join(subs)}"
    rule = ALLOWED.get(key)
    if rule is None:
        specific = ALTERNATIVES.get(key) or ALTERNATIVES.get(name)
        if specific:
            return f"{_display(key)} is refused: {specific}"
        return (
            f"{_display(key)} is not on the read-only allowlist (allowed: {allowed_summary()}); "
            "values are never read, nothing is ever written"
        )
    rest = texts[2:] if "|" in key else texts[1:]
    if len(rest) < rule.min_args or (rule.max_args is not None and len(rest) > rule.max_args):
        wanted = f"{rule.min_args}" if rule.min_args == rule.max_args else (
            f"{rule.min_args}..{rule.max_args}" if rule.max_args is not None else f"at least {rule.min_args}")
        return f"{_display(key)} takes {wanted} argument(s), got {len(rest)}"
    if rule.check:
        reason = rule.check(rest)
        if reason:
            return f"{_display(key)} refused: {reason}"
    if key in GLOB_ARGUMENTS and any(arg.count("*") > MAX_MATCH_STARS for arg in rest):
        return f"{_display(key)} refused: a pattern may hold at most {MAX_MATCH_STARS} '*' (older servers match many in exponential time)"
    return None


def check(args: Sequence[Any]) -> None:
    """Raise RefusedCommand unless `args` is an allowlisted read-only command with bounded arguments."""
    reason = refusal_reason(args)
    if reason:
        raise RefusedCommand(reason)


def flags_refusal(key: str, flags: Sequence[Any] | None) -> str | None:
    """The second check: the server's COMMAND INFO flags for `key`; None (unknown command) refuses."""
    if flags is None:
        return f"{_display(key)} is unknown to this server (COMMAND INFO has no entry)"
    bad = sorted(FORBIDDEN_FLAGS.intersection(_text(f).lower() for f in flags))
    if bad:
        return f"{_display(key)} is flagged {', '.join(bad)} by this server; refused"
    return None


def allowed_summary() -> str:
    """The allowlist as one compact line, e.g. `INFO, CONFIG GET, SCAN, ...`."""
    return ", ".join(_display(k) for k in ALLOWED)


# Allowlist entries only some servers have: (engine, first version). ACL SETUSER refuses a command the
# server does not know, so the ACL line adds them by version (ask_redis.live.acl).
GATED: dict[str, tuple[str, tuple[int, int]]] = {
    "commandlog|get": ("valkey", (8, 1)), "commandlog|len": ("valkey", (8, 1)),
    "hotkeys|get": ("redis", (8, 6)), "cluster|slot-stats": ("valkey", (8, 0)),
}


def acl_rules() -> list[str]:
    """ACL rules granting the allowlist every server knows (`+info`, `+config|get`, ...)."""
    return [f"+{key}" for key in ALLOWED if key not in GATED]


def scrub_reply(key: str, reply: Any) -> Any:
    """Remove what a permitted reply could still leak: secret config values, ACL hashes, stream entries."""
    if key == "config|get":
        if isinstance(reply, dict):
            return {k: ("[REDACTED]" if _text(k).lower() in SECRET_CONFIG and reply[k] else v) for k, v in reply.items()}
        if isinstance(reply, list):
            out = list(reply)
            for i in range(0, len(out) - 1, 2):
                if _text(out[i]).lower() in SECRET_CONFIG and out[i + 1]:
                    out[i + 1] = "[REDACTED]"
            return out
    if key == "acl|list" and isinstance(reply, list):
        return [" ".join(("#[REDACTED]" if w.startswith(("#", ">")) else w) for w in _text(r).split()) for r in reply]
    if key == "xinfo|stream":
        return _scrub_stream(reply)
    if key == "slowlog|get" and isinstance(reply, list):
        return [_scrub_slow_entry(e) for e in reply]
    return reply


def _scrub_slow_entry(entry: Any) -> Any:
    """A slow-log entry keeps the command name; its arguments (keys and values) are replaced by a count."""
    if isinstance(entry, dict):  # a client library's parsed form
        entry = dict(entry)
        words = _text(entry.get("command", "")).split()
        name = command_key(words).replace("|", " ").upper() if words else ""
        hidden = len(words) - len(name.split())
        entry["command"] = name + (f" ({hidden} args hidden)" if hidden > 0 else "")
        return entry
    if isinstance(entry, (list, tuple)) and len(entry) > 3 and isinstance(entry[3], (list, tuple)):
        args = list(entry[3])
        name = [command_key([_text(a) for a in args]).replace("|", " ").upper()] if args else []
        shown = len(name[0].split()) if name else 0
        hidden = len(args) - shown
        out = list(entry)
        out[3] = name + ([f"({hidden} args hidden)"] if hidden > 0 else [])
        return out
    return entry


def _scrub_stream(reply: Any) -> Any:
    def shape(entry: Any) -> Any:
        if isinstance(entry, (list, tuple)) and len(entry) == 2 and isinstance(entry[1], (list, dict)):
            fields = len(entry[1]) // 2 if isinstance(entry[1], list) else len(entry[1])
            return f"{_text(entry[0])} ({fields} fields)"
        return entry

    if isinstance(reply, dict):
        return {k: (shape(v) if _text(k) in ("first-entry", "last-entry") else v) for k, v in reply.items()}
    if isinstance(reply, list):
        out = list(reply)
        for i in range(0, len(out) - 1, 2):
            if _text(out[i]) in ("first-entry", "last-entry"):
                out[i + 1] = shape(out[i + 1])
        return out
    return reply

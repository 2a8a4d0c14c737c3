"""Read-only inspection of a live Redis: overview, keyspace sampling, slow log, latency.

Each function takes a RedisConnection (ask_redis.live.conn.connect) and returns plain
data (dicts, lists, numbers), visiting every primary of a Cluster; `format_*` turn that
data into the compact text the model reads. Everything is sent through the allowlist
(Node.call / calls / per_key); values are never read.
"""

from __future__ import annotations

import bisect
import heapq
import time
from typing import Any


from ask_redis.live import safety as redis_safety
from ask_redis.live.conn import Node, RedisConnection, RedisConnError

# Config values the review checklist needs. Older names (ziplist) are asked too: 6.x knows only those.
CHECKLIST_CONFIG = (
    "maxmemory", "maxmemory-policy", "maxclients", "timeout", "tcp-keepalive", "save", "appendonly",
    "appendfsync", "latency-monitor-threshold", "slowlog-log-slower-than", "slowlog-max-len",
    "hash-max-listpack-entries", "hash-max-listpack-value", "hash-max-ziplist-entries", "hash-max-ziplist-value",
    "list-max-listpack-size", "list-max-ziplist-size", "set-max-intset-entries", "set-max-listpack-entries",
    "set-max-listpack-value", "zset-max-listpack-entries", "zset-max-listpack-value", "zset-max-ziplist-entries",
    "zset-max-ziplist-value", "lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-user-del",
    "activedefrag", "maxmemory-samples", "lfu-log-factor", "notify-keyspace-events", "protected-mode",
    "requirepass", "cluster-enabled", "databases", "io-threads",
)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


def human_bytes(n: float | int | None) -> str:
    """1536 -> '1.5 KB' (binary units, as Redis reports them)."""
    if n is None:
        return "?"
    n = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def human_seconds(s: float | int | None) -> str:
    if s is None:
        return "?"
    s = float(s)
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


def config_get(node: Node, names: tuple[str, ...] = CHECKLIST_CONFIG) -> dict[str, str]:
    """The named config values (one CONFIG GET per name, pipelined: 6.x takes one pattern). Secrets masked."""
    replies = node.calls([("CONFIG", "GET", name) for name in names])
    config: dict[str, str] = {}
    for reply in replies:
        if isinstance(reply, list):  # raw pairs, should a client library not parse them
            reply = dict(zip(reply[::2], reply[1::2]))
        if isinstance(reply, dict):
            config.update({_text(k): _text(v) for k, v in reply.items()})
    return config


def _nopass_users(node: Node) -> list[str] | None:
    try:
        rules = node.call("ACL", "LIST")
    except (RedisConnError, redis_safety.RefusedCommand):
        return None  # not permitted or not supported: unknown, not "none"
    users = []
    for rule in rules:
        words = _text(rule).split()
        if len(words) > 1 and "nopass" in words and "on" in words:
            users.append(words[1])
    return users


def node_overview(node: Node) -> dict[str, Any]:
    """One node's facts: version, role, memory, hit ratio, clients, ops, persistence, replication, config."""
    info = node.call("INFO")
    config = config_get(node)
    hits, misses = info.get("keyspace_hits", 0), info.get("keyspace_misses", 0)
    maxmemory = int(config.get("maxmemory", info.get("maxmemory", 0)) or 0)
    used = info.get("used_memory", 0)
    keyspace = {k: v for k, v in info.items() if k.startswith("db") and isinstance(v, dict)}
    role = info.get("role")
    replication: dict[str, Any] = {"role": role, "connected_replicas": info.get("connected_slaves", 0)}
    if role == "slave":
        replication.update(
            master=f"{info.get('master_host')}:{info.get('master_port')}",
            link_status=info.get("master_link_status"),
            last_io_seconds_ago=info.get("master_last_io_seconds_ago"),
        )
    replicas = []
    for index in range(int(info.get("connected_slaves", 0) or 0)):
        replica = info.get(f"slave{index}")
        if isinstance(replica, dict):
            lag = info.get("master_repl_offset", 0) - replica.get("offset", 0)
            replicas.append({"addr": f"{replica.get('ip')}:{replica.get('port')}", "state": replica.get("state"),
                             "offset_lag_bytes": lag, "lag_s": replica.get("lag")})
    replication["replicas"] = replicas
    return {
        "node": node.name,
        "version": info.get("redis_version"),
        "mode": info.get("redis_mode"),
        "role": role,
        "uptime_s": info.get("uptime_in_seconds"),
        "memory": {
            "used_bytes": used,
            "peak_bytes": info.get("used_memory_peak"),
            "rss_bytes": info.get("used_memory_rss"),
            "maxmemory_bytes": maxmemory,
            "used_of_max": round(used / maxmemory, 3) if maxmemory else None,
            "policy": config.get("maxmemory-policy", info.get("maxmemory_policy")),
            "fragmentation_ratio": info.get("mem_fragmentation_ratio"),
            "fragmentation_bytes": info.get("mem_fragmentation_bytes"),
            "scripts_bytes": info.get("used_memory_scripts", info.get("used_memory_lua")),
        },
        "keyspace": keyspace,
        "stats": {
            "hit_ratio": round(hits / (hits + misses), 3) if hits + misses else None,
            "hits": hits,
            "misses": misses,
            "evicted_keys": info.get("evicted_keys", 0),
            "expired_keys": info.get("expired_keys", 0),
            "ops_per_sec": info.get("instantaneous_ops_per_sec", 0),
            "total_commands": info.get("total_commands_processed", 0),
            "rejected_connections": info.get("rejected_connections", 0),
        },
        "clients": {
            "connected": info.get("connected_clients"),
            "max": int(config["maxclients"]) if config.get("maxclients", "").isdigit() else None,
            "blocked": info.get("blocked_clients", 0),
        },
        "persistence": {
            "rdb_last_bgsave_status": info.get("rdb_last_bgsave_status"),
            "rdb_changes_since_last_save": info.get("rdb_changes_since_last_save"),
            "rdb_last_save_ago_s": (int(time.time()) - info["rdb_last_save_time"]) if info.get("rdb_last_save_time") else None,
            "save": config.get("save"),
            "aof_enabled": bool(info.get("aof_enabled")),
            "aof_last_write_status": info.get("aof_last_write_status"),
            "appendfsync": config.get("appendfsync"),
            "loading": bool(info.get("loading")),
        },
        "replication": replication,
        "cached_scripts": info.get("number_of_cached_scripts", 0),
        "latency_monitor_threshold_ms": int(config.get("latency-monitor-threshold", "0") or 0),
        "nopass_users": _nopass_users(node),
        "config": config,
        "no_touch": node.no_touch,
        "notes": list(node.notes),
    }


def overview(conn: RedisConnection) -> dict[str, Any]:
    """Everything a senior engineer looks at first, for every primary, plus cluster/sentinel topology.

    Returns {"target", "mode", "sentinel", "cluster", "nodes": [node_overview...], "totals"}.
    """
    nodes = [node_overview(node) for node in conn.nodes]
    cluster = None
    if conn.mode == "cluster":
        info = conn.nodes[0].call("CLUSTER", "INFO")
        cluster = {k: _number(info.get(k)) for k in ("cluster_state", "cluster_slots_assigned", "cluster_slots_ok",
                                            "cluster_slots_pfail", "cluster_slots_fail", "cluster_known_nodes",
                                            "cluster_size")}
    keys = sum(db.get("keys", 0) for n in nodes for db in n["keyspace"].values())
    expires = sum(db.get("expires", 0) for n in nodes for db in n["keyspace"].values())
    totals = {
        "keys": keys,
        "keys_with_ttl": expires,
        "used_memory_bytes": sum(n["memory"]["used_bytes"] or 0 for n in nodes),
        "ops_per_sec": sum(n["stats"]["ops_per_sec"] or 0 for n in nodes),
    }
    return {"target": conn.display, "mode": conn.mode, "sentinel": conn.sentinel, "cluster": cluster,
            "nodes": nodes, "totals": totals}


def _number(value: Any) -> Any:
    text = _text(value) if value is not None else None
    return int(text) if text is not None and text.lstrip("-").isdigit() else text


def _ratio(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def format_overview(data: dict[str, Any]) -> str:
    """Compact text of `overview()`: one block per node, numbers with units, no values."""
    lines = [f"{data['target']}  mode={data['mode']}"]
    if data.get("sentinel"):
        s = data["sentinel"]
        lines.append("sentinel: " + ", ".join(f"{k}={v}" for k, v in s.items()))
    if data.get("cluster"):
        lines.append("cluster: " + ", ".join(f"{k.removeprefix('cluster_')}={v}" for k, v in data["cluster"].items()))
    t = data["totals"]
    lines.append(f"totals: {t['keys']} keys ({t['keys_with_ttl']} with TTL), used {human_bytes(t['used_memory_bytes'])}, "
                 f"{t['ops_per_sec']} ops/s across {len(data['nodes'])} primar{'y' if len(data['nodes']) == 1 else 'ies'}")
    for n in data["nodes"]:
        m, st, c, p, r = n["memory"], n["stats"], n["clients"], n["persistence"], n["replication"]
        cfg = n["config"]
        lines.append(f"\n[{n['node']}] redis {n['version']} {n['mode']} role={n['role']} up {human_seconds(n['uptime_s'])}")
        maxmem = human_bytes(m["maxmemory_bytes"]) if m["maxmemory_bytes"] else "unset (0)"
        used_of = f" ({m['used_of_max'] * 100:.0f}% of max)" if m["used_of_max"] is not None else ""
        lines.append(f"memory: used {human_bytes(m['used_bytes'])}{used_of}, peak {human_bytes(m['peak_bytes'])}, "
                     f"rss {human_bytes(m['rss_bytes'])}, maxmemory {maxmem}, policy {m['policy']}, "
                     f"fragmentation {_ratio(m['fragmentation_ratio'])} ({human_bytes(m['fragmentation_bytes'])})")
        dbs = ", ".join(f"{k}: {v.get('keys', 0)} keys, {v.get('expires', 0)} with TTL, avg_ttl {v.get('avg_ttl', 0)} ms"
                        for k, v in n["keyspace"].items()) or "empty"
        lines.append(f"keyspace: {dbs}")
        lines.append(f"stats: hit ratio {_ratio(st['hit_ratio'])} ({st['hits']} hits/{st['misses']} misses), "
                     f"evicted {st['evicted_keys']}, expired {st['expired_keys']}, {st['ops_per_sec']} ops/s, "
                     f"rejected connections {st['rejected_connections']}")
        lines.append(f"clients: {c['connected']} connected of maxclients {c['max']}, {c['blocked']} blocked")
        aof = f"on (appendfsync {p['appendfsync']}, last write {p['aof_last_write_status']})" if p["aof_enabled"] else "off"
        saved = human_seconds(p["rdb_last_save_ago_s"]) + " ago" if p["rdb_last_save_ago_s"] is not None else "?"
        lines.append(f"persistence: save '{p['save']}', last bgsave {p['rdb_last_bgsave_status']} {saved}, "
                     f"{p['rdb_changes_since_last_save']} changes since, AOF {aof}")
        repl = f"replication: role {r['role']}, {r['connected_replicas']} replicas"
        if r.get("master"):
            repl += f", master {r['master']} link {r['link_status']} (last io {r['last_io_seconds_ago']} s ago)"
        for rep in r["replicas"]:
            repl += f"; {rep['addr']} {rep['state']} lag {rep['lag_s']} s / {human_bytes(rep['offset_lag_bytes'])}"
        lines.append(repl)
        nopass = n["nopass_users"]
        lines.append(f"scripts cached: {n['cached_scripts']} ({human_bytes(m['scripts_bytes'])}); latency-monitor-threshold "
                     f"{n['latency_monitor_threshold_ms']} ms{' (off)' if not n['latency_monitor_threshold_ms'] else ''}; "
                     f"slowlog > {cfg.get('slowlog-log-slower-than')} us, max {cfg.get('slowlog-max-len')} entries; "
                     f"nopass users: {'unknown (ACL LIST not permitted)' if nopass is None else (', '.join(nopass) or 'none')}")
        shown = {k: v for k, v in cfg.items() if k not in ("maxmemory", "maxmemory-policy", "save", "appendfsync",
                                                            "slowlog-log-slower-than", "slowlog-max-len",
                                                            "latency-monitor-threshold", "maxclients")}
        for alias in [k for k in shown if "ziplist" in k]:  # 7.x reports both names for one setting
            if alias.replace("ziplist", "listpack") in shown:
                del shown[alias]
        if shown.get("requirepass") == "":
            shown["requirepass"] = "(unset)"
        lines.append("config: " + ", ".join(f"{k}={v if v != '' else chr(39) * 2}" for k, v in shown.items()))
        if not n["no_touch"]:
            lines.append("note: no CLIENT NO-TOUCH (server < 7.2): length reads refresh sampled keys' LRU/LFU")
        for note in n["notes"]:
            lines.append(f"note: {note}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Keyspace sampling

DEFAULT_BUDGET = 10_000
LENGTH_COMMAND = {"string": ("STRLEN",), "hash": ("HLEN",), "list": ("LLEN",), "set": ("SCARD",),
                  "zset": ("ZCARD",), "stream": ("XLEN",)}
# What the review calls a big key: strings by bytes, collections by elements.
BIG_KEY = {"string": 100 * 1024, "hash": 5000, "list": 1000, "set": 1000, "zset": 1000, "stream": 10000}
TTL_BUCKETS = (("< 1 min", 60_000), ("1 min - 1 h", 3_600_000), ("1 h - 1 d", 86_400_000),
               ("1 d - 7 d", 7 * 86_400_000), ("7 d - 30 d", 30 * 86_400_000), (">= 30 d", None))
LIMIT_CONFIG = ("hash-max-listpack-entries", "hash-max-listpack-value", "hash-max-ziplist-entries",
                "hash-max-ziplist-value", "set-max-intset-entries", "set-max-listpack-entries",
                "zset-max-listpack-entries", "zset-max-listpack-value", "zset-max-ziplist-entries",
                "zset-max-ziplist-value", "list-max-listpack-size", "list-max-ziplist-size")
_HEX = frozenset(b"0123456789abcdefABCDEF-")
_TOKEN = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_+/=")
MAX_SEGMENT_BYTES = 64


def _segment_shape(segment: bytes) -> bytes:
    """An id-like segment (number, hex/uuid, email, long token) becomes '*', so keys group by shape."""
    if not segment:
        return segment
    if segment.isdigit() or b"@" in segment:
        return b"*"
    if len(segment) >= 8 and _HEX.issuperset(segment) and any(48 <= c <= 57 for c in segment):
        return b"*"
    if len(segment) >= 16 and segment.isalnum() and any(48 <= c <= 57 for c in segment):
        return b"*"
    # A random token with URL-safe or base64 punctuation (session:Xk3-9fj_...), or any very long segment:
    # either would print a credential-like key name, or a huge one, as a namespace.
    if len(segment) > MAX_SEGMENT_BYTES:
        return b"*"
    if len(segment) >= 20 and _TOKEN.issuperset(segment) and any(48 <= c <= 57 for c in segment) and (
            len(segment) >= 32 or (any(65 <= c <= 90 for c in segment) and any(97 <= c <= 122 for c in segment))):
        return b"*"
    return segment


def namespace_of(key: bytes, separator: bytes = b":", depth: int = 3) -> str:
    """The key's namespace pattern: `user:42:profile` -> `user:*:profile`, `session:9f8e...` -> `session:*`."""
    parts = key.split(separator)
    if len(parts) == 1:
        return "(no prefix)" if not key.isdigit() else "*"
    shaped = [_segment_shape(p) for p in parts[:depth]]
    if len(parts) > depth:
        shaped.append(b"*")
    return separator.join(shaped).decode("utf-8", "backslashreplace")


_TTL_LIMITS = [limit for _, limit in TTL_BUCKETS if limit is not None]
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")


class _Tally:
    """Running totals of a keyspace sample; every structure stays bounded by `top` and the namespace cap."""

    MAX_NAMESPACES = 5000
    MAX_MEMO = 100_000
    MAX_OBSERVED = 200_000

    def __init__(self, top: int, separator: bytes, depth: int):
        self.top, self.separator, self.depth = top, separator, depth
        self.types: dict[str, list[int]] = {}          # type -> [keys, bytes]
        self.namespaces: dict[str, list[int]] = {}     # pattern -> [keys, bytes, with_ttl]
        self.ttl_counts = [0] * len(TTL_BUCKETS)
        self.no_ttl = 0
        self.encodings: dict[tuple[str, str], int] = {}
        self.top_memory: list[tuple[int, bytes, dict]] = []
        self.top_length: dict[str, list[tuple[int, bytes, dict]]] = {}
        self.big: dict[str, int] = {}
        self.observed: dict[str, list[tuple[int, str]]] = {}  # compact-capable type -> [(length, encoding)]
        self.vanished = 0
        self.errors: dict[str, int] = {}  # first words of an error reply -> keys it hit
        # Namespace memo keyed by the key with its digits zeroed: `key:123` and `key:456` share one entry.
        # Only patterns without digits are memoised, so `v2:x` and `v3:x` never borrow each other's.
        self._memo: dict[bytes, str | None] = {}
        self._memo_ok = not any(48 <= c <= 57 for c in separator)

    @property
    def ttl(self) -> dict[str, int]:
        return {name: count for (name, _), count in zip(TTL_BUCKETS, self.ttl_counts)}

    def namespace(self, key: bytes) -> str:
        if not self._memo_ok:
            return namespace_of(key, self.separator, self.depth)
        shape = key.translate(_DIGITS_TO_ZERO)
        pattern = self._memo.get(shape)
        if pattern is None:
            pattern = namespace_of(key, self.separator, self.depth)
            if len(self._memo) < self.MAX_MEMO and not any(c.isdigit() for c in pattern):
                self._memo[shape] = pattern
        return pattern

    def add_batch(self, node: str, keys: list[bytes], first: list[Any], kinds: list[str],
                  second: dict[str, list[Any]]) -> None:
        """Tally one batch: `first` holds TYPE, MEMORY USAGE, PTTL per key; `second[type]` the length
        (and OBJECT ENCODING, except for strings) per key of that type, in key order (strings only
        from STRLEN_FROM_BYTES of memory). This loop is the client's cost per key: keep it lean."""
        pending = {kind: iter(replies) for kind, replies in second.items()}
        types, namespaces, encodings, big, observed = self.types, self.namespaces, self.encodings, self.big, self.observed
        ttl_counts, top, top_memory = self.ttl_counts, self.top, self.top_memory
        memo_get = self._memo.get if self._memo_ok else None
        namespace = self.namespace
        memory_floor = top_memory[0][0] if len(top_memory) >= top else -1
        for key, kind, type_reply, memory, pttl in zip(keys, kinds, first[0::3], first[1::3], first[2::3]):
            length = encoding = None
            if kind == "string":
                if memory.__class__ is int and memory >= STRLEN_FROM_BYTES:
                    length = next(pending["string"])
            elif kind != "none":
                replies = pending.get(kind)
                if replies is not None:  # consumed even if the key vanished: replies stay aligned
                    length = next(replies)
                    encoding = next(replies)
                    encoding = encoding.decode() if encoding.__class__ is bytes else None
            if kind == "error" or (memory is not None and memory.__class__ is not int):
                # an error reply (NOPERM, MOVED...): counted and named once, not taken for a vanished key
                error = " ".join(str(type_reply if kind == "error" else memory).split())[:120]
                self.errors[error] = self.errors.get(error, 0) + 1
                continue
            if kind == "none" or memory is None:
                self.vanished += 1  # expired or deleted between SCAN and TYPE / MEMORY USAGE
                continue
            if length.__class__ is not int:
                length = None
            entry = types.get(kind)
            if entry is None:
                entry = types[kind] = [0, 0]
            entry[0] += 1
            entry[1] += memory
            pattern = memo_get(key.translate(_DIGITS_TO_ZERO)) if memo_get else None
            if pattern is None:
                pattern = namespace(key)
            ns = namespaces.get(pattern)
            if ns is None:
                if len(namespaces) >= self.MAX_NAMESPACES:
                    pattern = "(other namespaces)"
                    ns = namespaces.get(pattern)
                if ns is None:
                    ns = namespaces[pattern] = [0, 0, 0]
            ns[0] += 1
            ns[1] += memory
            if pttl.__class__ is not int:
                pttl = -1
            if pttl >= 0:
                ns[2] += 1
                ttl_counts[bisect.bisect_right(_TTL_LIMITS, pttl)] += 1
            else:
                self.no_ttl += 1
            if memory > memory_floor:
                info = {"node": node, "type": kind, "memory": memory, "length": length, "encoding": encoding,
                        "pttl": pttl}
                (heapq.heappush if len(top_memory) < top else heapq.heapreplace)(top_memory, (memory, key, info))
                memory_floor = top_memory[0][0] if len(top_memory) >= top else -1
            if length is None:
                continue
            if encoding is not None:
                encodings[(kind, encoding)] = encodings.get((kind, encoding), 0) + 1
                if kind in _COMPACT:
                    rows = observed.setdefault(kind, [])
                    if len(rows) < self.MAX_OBSERVED:
                        rows.append((length, encoding))
            if length > BIG_KEY.get(kind, 1 << 62):
                big[kind] = big.get(kind, 0) + 1
            heap = self.top_length.get(kind)
            if heap is None:
                heap = self.top_length[kind] = []
            if len(heap) < top or length > heap[0][0]:
                info = {"node": node, "type": kind, "memory": memory, "length": length, "encoding": encoding,
                        "pttl": pttl}
                (heapq.heappush if len(heap) < top else heapq.heapreplace)(heap, (length, key, info))


def _limits(config: dict[str, str]) -> dict[str, int]:
    def number(*names: str) -> int | None:
        for name in names:
            value = config.get(name, "")
            if value.lstrip("-").isdigit():
                return int(value)
        return None

    found = {
        "hash_entries": number("hash-max-listpack-entries", "hash-max-ziplist-entries"),
        "hash_value": number("hash-max-listpack-value", "hash-max-ziplist-value"),
        "set_intset_entries": number("set-max-intset-entries"),
        "set_listpack_entries": number("set-max-listpack-entries"),
        "zset_entries": number("zset-max-listpack-entries", "zset-max-ziplist-entries"),
        "zset_value": number("zset-max-listpack-value", "zset-max-ziplist-value"),
        "list_size": number("list-max-listpack-size", "list-max-ziplist-size"),
    }
    return {k: v for k, v in found.items() if v is not None}


_COMPACT = {"hash": ("listpack", "ziplist"), "zset": ("listpack", "ziplist"), "set": ("intset", "listpack")}


def _limit_report(observed: dict[str, list[tuple[int, str]]], limits: dict[str, int]) -> dict[str, dict[str, int]]:
    """Per type: compact-encoded keys near the entries limit, keys over it, and keys converted below it."""
    report: dict[str, dict[str, int]] = {}
    entry_limit = {"hash": limits.get("hash_entries"), "zset": limits.get("zset_entries"),
                   "set": limits.get("set_listpack_entries") or limits.get("set_intset_entries")}
    for kind, rows in observed.items():
        limit = entry_limit.get(kind)
        if not limit or kind not in _COMPACT:
            continue
        near = over = converted_below = 0
        for length, encoding in rows:
            compact = encoding in _COMPACT[kind]
            if compact and length >= 0.8 * limit:
                near += 1
            elif not compact and length > limit:
                over += 1
            elif not compact:
                converted_below += 1  # a long element (value limit) or, for sets, a non-integer member
        report[kind] = {"entries_limit": limit, "near_limit": near, "over_limit": over,
                        "converted_below_limit": converted_below}
    return report


_FIRST = (("TYPE",), ("MEMORY", "USAGE"), ("PTTL",))
_KINDS = {name.encode(): name for name in ("string", "hash", "list", "set", "zset", "stream", "none")}
# A string's MEMORY USAGE bounds its length from above, so STRLEN is read only for strings whose memory
# reaches this: below it the length is known to be smaller, and most keys of most datasets are such.
STRLEN_FROM_BYTES = 512

_SECOND = {kind: ((command,) if kind == "string" else (command, ("OBJECT", "ENCODING")))
           for kind, command in LENGTH_COMMAND.items()}


def _sample_node(node: Node, tally: _Tally, budget: int | None, match: str | None, type_filter: str | None,
                 scan_count: int, pause: float, deadline: float | None = None) -> dict[str, Any]:
    """SCAN one primary and measure its keys, keeping the server busy while the client tallies.

    Each round reads what the previous round sent (SCAN reply, first pass of batch N, second pass of
    batch N-1), sends the next round (SCAN, first pass of batch N+1: TYPE, MEMORY USAGE, PTTL;
    second pass of batch N: length and OBJECT ENCODING by type), and only then tallies batch N-1.
    """
    started = time.perf_counter()
    dbsize = int(node.call("DBSIZE"))
    # With MATCH/TYPE a SCAN call can return few keys: cap the calls so the walk stays bounded.
    max_scans = None if not budget else max(10, 4 * budget // scan_count)
    sampled, scans, complete, out_of_time = 0, 0, False, False
    scan_in_flight, cursor = True, 0
    first_in_flight: list[bytes] = []           # keys whose first pass was sent last round
    second_in_flight: list[Any] | None = None   # [keys, first replies, kinds, types queued] sent last round
    with node.key_pipeline() as pipe:
        pipe.scan(0, match=match, count=scan_count, type_=type_filter)
        pipe.flush()
        while scan_in_flight or first_in_flight or second_in_flight:
            keys: list[bytes] = []
            scanning = False
            if scan_in_flight:
                cursor, keys = pipe.read()
                scans += 1
                truncated = bool(budget) and len(keys) > budget - sampled
                if truncated:
                    keys = keys[: budget - sampled]
                sampled += len(keys)
                complete = cursor == 0 and not truncated
                scanning = not (cursor == 0 or (budget and sampled >= budget) or (max_scans and scans >= max_scans))
                if scanning and deadline is not None and time.perf_counter() + pause >= deadline:
                    scanning, out_of_time = False, True
            measured = None
            if first_in_flight:
                first = pipe.read()
                # An error reply to TYPE leaves the kind unknown: the key counts as an error via its memory.
                kinds = [_KINDS.get(k, "none") if k.__class__ is bytes else "error" for k in first[0::3]]
                measured = [first_in_flight, first, kinds, None]
            second = {kind: pipe.read() for kind in second_in_flight[3]} if second_in_flight else None
            if scanning:
                if pause:
                    time.sleep(pause)
                pipe.scan(cursor, match=match, count=scan_count, type_=type_filter)
            if keys:
                pipe.keyed(_FIRST, keys)
            if measured:
                measured[3] = _second_pass(pipe, *measured[:3])
            pipe.flush()
            if second_in_flight:
                tally.add_batch(node.name, *second_in_flight[:3], second)
            scan_in_flight, first_in_flight, second_in_flight = scanning, keys, measured
    return {"node": node.name, "dbsize": dbsize, "sampled": sampled, "complete": complete, "scan_calls": scans,
            "seconds": round(time.perf_counter() - started, 3), "out_of_time": out_of_time}


def _second_pass(pipe: Any, keys: list[bytes], first: list[Any], kinds: list[str]) -> list[str]:
    """Queue the length (and OBJECT ENCODING) reads, one group per type; returns the types in order."""
    by_kind: dict[str, list[bytes]] = {}
    for key, kind, memory in zip(keys, kinds, first[1::3]):
        if kind == "string":
            if memory.__class__ is not int or memory < STRLEN_FROM_BYTES:
                continue
        elif kind not in _SECOND:
            continue
        group = by_kind.get(kind)
        if group is None:
            group = by_kind[kind] = []
        group.append(key)
    for kind, group in by_kind.items():
        pipe.keyed(_SECOND[kind], group)
    return list(by_kind)


def sample_keyspace(conn: RedisConnection, budget: int | None = DEFAULT_BUDGET, *, match: str | None = None,
                    type_filter: str | None = None, scan_count: int = 1000, pause: float = 0.0,
                    separator: str = ":", depth: int = 3, top: int = 10,
                    time_limit: float | None = None) -> dict[str, Any]:
    """Sample up to `budget` keys per primary (None or 0: the whole keyspace) with SCAN COUNT `scan_count`,
    and for each batch pipeline TYPE, MEMORY USAGE, PTTL, then the length and OBJECT ENCODING.

    Returns namespaces (count, bytes, TTL coverage), types, TTL buckets, top keys by memory and by
    length per type, encodings against the listpack/intset limits (from CONFIG GET), big-key counts,
    and per-node progress. Key names appear; values never. `pause` sleeps between SCAN batches.
    `time_limit` (seconds, all primaries together) ends the walk early, as a partial sample.
    """
    if scan_count < 1 or scan_count > redis_safety.MAX_SCAN_COUNT:
        raise ValueError(f"scan_count must be 1..{redis_safety.MAX_SCAN_COUNT}")
    tally = _Tally(top, separator.encode(), depth)
    deadline = time.perf_counter() + time_limit if time_limit else None
    nodes = [_sample_node(n, tally, budget, match, type_filter, scan_count, pause, deadline) for n in conn.nodes]
    limits = _limits(config_get(conn.nodes[0], LIMIT_CONFIG))
    sampled = sum(n["sampled"] for n in nodes)
    dbsize = sum(n["dbsize"] for n in nodes)
    complete = all(n["complete"] for n in nodes)
    # Scale only an unfiltered partial sample: with MATCH/TYPE the dbsize is not the population.
    scale = dbsize / sampled if sampled and not complete and not match and not type_filter else 1.0

    def described(rows: list[tuple[int, bytes, dict]]) -> list[dict[str, Any]]:
        return [dict(info, key=key.decode("utf-8", "backslashreplace")) for _, key, info in sorted(rows, reverse=True)]

    encodings: dict[str, dict[str, int]] = {}
    for (kind, encoding), count in sorted(tally.encodings.items()):
        encodings.setdefault(kind, {})[encoding] = count
    namespaces = [{"pattern": p, "keys": v[0], "bytes": v[1], "with_ttl": v[2]} for p, v in tally.namespaces.items()]
    namespaces.sort(key=lambda n: (-n["bytes"], n["pattern"]))
    return {
        "nodes": nodes,
        "sampled": sampled,
        "dbsize": dbsize,
        "complete": complete,
        "scale": scale,
        "match": match,
        "type_filter": type_filter,
        "types": {k: {"keys": v[0], "bytes": v[1]} for k, v in sorted(tally.types.items(), key=lambda i: -i[1][1])},
        "namespaces": namespaces,
        "ttl_buckets": dict(tally.ttl, **{"no TTL": tally.no_ttl}),
        "top_memory": described(tally.top_memory),
        "top_length": {k: described(v) for k, v in tally.top_length.items()},
        "encodings": encodings,
        "limits": limits,
        "limit_report": _limit_report(tally.observed, limits),
        "big_keys": tally.big,
        "big_key_thresholds": BIG_KEY,
        "vanished": tally.vanished,
        "errors": tally.errors,
        "no_touch": all(n.no_touch for n in conn.nodes),
    }


def format_keyspace(data: dict[str, Any], namespaces: int = 25) -> str:
    """Compact text of `sample_keyspace()`: counts, bytes, TTL coverage and shapes; never values."""
    scale = data["scale"]
    lines = []
    for n in data["nodes"]:
        stop = "the time limit" if n.get("out_of_time") else "budget"
        state = "whole keyspace" if n["complete"] else f"stopped at {stop} ({n['scan_calls']} SCAN calls)"
        lines.append(f"[{n['node']}] sampled {n['sampled']} of {n['dbsize']} keys in {n['seconds']:.2f} s, {state}")
    filters = ", ".join(f"{k}={data[k]}" for k in ("match", "type_filter") if data.get(k))
    if filters:
        lines.append(f"filters: {filters} (counts are of matching keys)")
    if scale != 1.0:
        lines.append(f"estimates: keys/bytes below are the sample's; multiply by {scale:.1f} for the whole keyspace")
    sampled = data["sampled"] or 1
    types = ", ".join(f"{k} {v['keys']} keys / {human_bytes(v['bytes'])}" for k, v in data["types"].items())
    lines.append(f"types: {types or 'none'}")
    with_ttl = sampled - data["ttl_buckets"]["no TTL"] if data["sampled"] else 0
    buckets = ", ".join(f"{k} {v}" for k, v in data["ttl_buckets"].items() if v)
    lines.append(f"TTL: {with_ttl} of {data['sampled']} keys ({100 * with_ttl / sampled:.1f}%) have one; buckets: {buckets or 'none'}")
    lines.append(f"namespaces (pattern: keys, bytes, TTL coverage), by memory, top {namespaces} of {len(data['namespaces'])}:")
    for ns in data["namespaces"][:namespaces]:
        lines.append(f"  {ns['pattern']}: {ns['keys']} keys, {human_bytes(ns['bytes'])}, "
                     f"{100 * ns['with_ttl'] / ns['keys']:.0f}% with TTL")

    def shape(row: dict[str, Any]) -> str:
        parts = [row["type"], human_bytes(row["memory"])]
        if row["length"] is not None:
            parts.append(f"{row['length']} bytes" if row["type"] == "string" else f"{row['length']} elements")
        if row["encoding"]:
            parts.append(row["encoding"])
        parts.append("no TTL" if row["pttl"] < 0 else f"TTL {human_seconds(row['pttl'] / 1000)}")
        return f"  {row['key'][:120]} ({', '.join(parts)}; {row['node']})"

    lines.append("top keys by memory:")
    lines.extend(shape(r) for r in data["top_memory"])
    for kind, rows in data["top_length"].items():
        lines.append(f"top {kind} keys by {'bytes' if kind == 'string' else 'elements'}:")
        lines.extend(shape(r) for r in rows[:5])
    if "string" in data["types"] and "string" not in data["top_length"]:
        lines.append(f"strings: all under {STRLEN_FROM_BYTES} B of memory (so under {STRLEN_FROM_BYTES} bytes long)")
    if data["encodings"]:
        lines.append("encodings: " + "; ".join(f"{k}: " + ", ".join(f"{e} {c}" for e, c in v.items())
                                               for k, v in data["encodings"].items()))
    if data["limits"]:
        lines.append("limits (CONFIG GET): " + ", ".join(f"{k}={v}" for k, v in data["limits"].items()))
    for kind, r in data["limit_report"].items():
        lines.append(f"  {kind}: {r['near_limit']} compact keys at >= 80% of {r['entries_limit']} entries, "
                     f"{r['over_limit']} converted (over the limit), {r['converted_below_limit']} converted below it "
                     "(a long element or non-integer member)")
    thresholds = ", ".join(f"{k} > {human_bytes(v) if k == 'string' else v}" for k, v in data["big_key_thresholds"].items())
    big = ", ".join(f"{k} {v}" for k, v in data["big_keys"].items()) or "none"
    lines.append(f"big keys ({thresholds}): {big}")
    if data["vanished"]:
        lines.append(f"{data['vanished']} keys expired or were deleted while sampling")
    for error, count in data.get("errors", {}).items():
        lines.append(f"{count} keys could not be read: {error}")
    if not data["no_touch"]:
        lines.append("note: no CLIENT NO-TOUCH (server < 7.2): the length reads refreshed sampled keys' LRU/LFU")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Slow log and latency


def _command_name(args: list[Any]) -> str:
    """`config|get` style name from a slow-log entry's arguments; the arguments themselves are dropped."""
    words = [_text(a) for a in args if not _text(a).startswith("(")]  # drop "(N args hidden)"
    if not words:
        return "?"
    return redis_safety.command_key(words)


def slowlog(conn: RedisConnection, count: int = 128) -> dict[str, Any]:
    """SLOWLOG GET on every primary, grouped by command: entries, total/max/avg microseconds, last seen.

    Arguments are never kept (they can hold values): only the command (and subcommand) name,
    client address and client name.
    """
    groups: dict[str, dict[str, Any]] = {}
    nodes = []
    now = int(time.time())
    for node in conn.nodes:
        entries = node.call("SLOWLOG", "GET", count)
        length = int(node.call("SLOWLOG", "LEN"))
        config = config_get(node, ("slowlog-log-slower-than", "slowlog-max-len"))
        nodes.append({"node": node.name, "entries": len(entries), "length": length,
                      "slower_than_us": config.get("slowlog-log-slower-than"), "max_len": config.get("slowlog-max-len")})
        for entry in entries:
            if isinstance(entry, dict):  # redis-py's parsed form
                started, micros = entry.get("start_time", now), entry.get("duration", 0)
                args, client = _text(entry.get("command", "")).split(), _text(entry.get("client_address", ""))
            else:
                started, micros, args = entry[1], entry[2], entry[3]
                client = _text(entry[4]) if len(entry) > 4 else ""
            group = groups.setdefault(_command_name(args), {"count": 0, "total_us": 0, "max_us": 0, "last_ago_s": None,
                                                            "clients": {}})
            group["count"] += 1
            group["total_us"] += micros
            group["max_us"] = max(group["max_us"], micros)
            ago = now - int(started)
            group["last_ago_s"] = ago if group["last_ago_s"] is None else min(group["last_ago_s"], ago)
            group["clients"][client] = group["clients"].get(client, 0) + 1
    ordered = dict(sorted(groups.items(), key=lambda g: -g[1]["total_us"]))
    return {"nodes": nodes, "commands": ordered}


def latency(conn: RedisConnection, top: int = 15) -> dict[str, Any]:
    """Per command on every primary: calls, usec/call, p50/p99/p99.9 (INFO commandstats + latencystats),
    and the latency monitor's events (LATENCY LATEST), with whether the monitor is on."""
    commands: dict[str, dict[str, Any]] = {}
    events = []
    thresholds = {}
    for node in conn.nodes:
        stats = node.call("INFO", "commandstats")
        try:
            percentiles = node.call("INFO", "latencystats")  # 7.0+; older servers return an empty section
        except RedisConnError:
            percentiles = {}
        for key, value in stats.items():
            if not key.startswith("cmdstat_") or not isinstance(value, dict):
                continue
            name = key.removeprefix("cmdstat_")
            row = commands.setdefault(name, {"calls": 0, "usec": 0, "failed": 0, "rejected": 0, "p50": None,
                                             "p99": None, "p99.9": None})
            row["calls"] += int(value.get("calls", 0))
            row["usec"] += int(value.get("usec", 0))
            row["failed"] += int(value.get("failed_calls", 0))
            row["rejected"] += int(value.get("rejected_calls", 0))
            pct = percentiles.get(f"latency_percentiles_usec_{name}")
            if isinstance(pct, dict):
                for p in ("p50", "p99", "p99.9"):
                    if p in pct:
                        row[p] = max(row[p] or 0, float(pct[p]))
        for event in node.call("LATENCY", "LATEST"):
            events.append({"node": node.name, "event": _text(event[0]), "ago_s": int(time.time()) - int(event[1]),
                           "latest_ms": int(event[2]), "max_ms": int(event[3])})
        thresholds[node.name] = int(config_get(node, ("latency-monitor-threshold",)).get("latency-monitor-threshold", 0))
    for row in commands.values():
        row["usec_per_call"] = round(row["usec"] / row["calls"], 2) if row["calls"] else 0.0
    ordered = sorted(commands.items(), key=lambda c: -c[1]["usec"])[:top]
    return {"commands": dict(ordered), "events": events, "monitor_threshold_ms": thresholds}


def format_slowlog(slow: dict[str, Any], lat: dict[str, Any]) -> str:
    """Compact text of `slowlog()` and `latency()`."""
    lines = []
    for n in slow["nodes"]:
        lines.append(f"[{n['node']}] slow log: {n['entries']} entries read of {n['length']} "
                     f"(logs commands > {n['slower_than_us']} us, keeps {n['max_len']})")
    if slow["commands"]:
        lines.append("slow commands (count, total, max, avg, last seen, top clients):")
        for name, g in slow["commands"].items():
            clients = ", ".join(f"{c or '?'} x{k}" for c, k in sorted(g["clients"].items(), key=lambda i: -i[1])[:3])
            lines.append(f"  {name}: {g['count']}x, total {g['total_us'] / 1000:.1f} ms, max {g['max_us'] / 1000:.1f} ms, "
                         f"avg {g['total_us'] / g['count'] / 1000:.2f} ms, last {human_seconds(g['last_ago_s'])} ago; {clients}")
    else:
        lines.append("slow log: empty")
    lines.append("commands by total time (calls, usec/call, p50/p99/p99.9 us, failed, rejected):")
    for name, c in lat["commands"].items():
        pct = "/".join("?" if c[p] is None else f"{c[p]:g}" for p in ("p50", "p99", "p99.9"))
        lines.append(f"  {name}: {c['calls']} calls, {c['usec_per_call']} us/call, total {c['usec'] / 1e6:.2f} s, "
                     f"p {pct}, failed {c['failed']}, rejected {c['rejected']}")
    off = [n for n, t in lat["monitor_threshold_ms"].items() if not t]
    monitor = "off on " + ", ".join(off) if off else "on (" + ", ".join(
        f"{n} {t} ms" for n, t in lat["monitor_threshold_ms"].items()) + ")"
    lines.append(f"latency monitor: {monitor}")
    for e in lat["events"]:
        lines.append(f"  {e['node']} {e['event']}: latest {e['latest_ms']} ms, max {e['max_ms']} ms, {human_seconds(e['ago_s'])} ago")
    return "\n".join(lines)

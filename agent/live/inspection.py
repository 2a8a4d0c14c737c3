"""Read-only inspection of a live Redis: overview, keyspace sampling, slow log, latency.

Each function takes a RedisConnection (ask_redis.live.conn.connect) and returns plain
data (dicts, lists, numbers), visiting every primary of a Cluster; `format_*` turn that
data into the compact text the model reads. Everything is sent through the allowlist
(Node.call / calls / per_key); values are never read.
"""

from __future__ import annotations

import bisect
import heapq
import math
import operator
import random
import re
import time
from collections import Counter
from functools import partial
from itertools import compress, repeat
from typing import Any, Iterator

from redis.exceptions import ResponseError


from ask_redis.live import ledger
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
    """1536 -> '1.5 KiB' (binary units, named as such)."""
    if n is None:
        return "?"
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


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
    """Enabled users with nopass, from ACL LIST (its password hashes are scrubbed). Only asked as the
    default user: a least-privilege account is not granted ACL LIST unless it opted in, and a refused
    command is itself a trace (ACL LOG)."""
    if getattr(node, "username", None) not in (None, "default"):
        return None
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
    server = server_identity(node, info)
    # Observe before disturbing: the figures are the users', without what ask-redis itself added.
    own = own_counts(node, in_flight="info")
    hits = max(0, info.get("keyspace_hits", 0) - own["hits"])
    misses = max(0, info.get("keyspace_misses", 0) - own["misses"])
    own_calls = sum(own["calls"].values())
    config = config_get(node)
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
        "engine": server["engine"],
        "version": server["version"],
        "redis_version": server["redis_version"],
        "mode": server["mode"],
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
            "dataset_bytes": info.get("used_memory_dataset"),
            "clients_normal_bytes": info.get("mem_clients_normal"),
            "clients_replicas_bytes": info.get("mem_clients_slaves"),
        },
        "keyspace": keyspace,
        "stats": {
            "hit_ratio": round(hits / (hits + misses), 3) if hits + misses else None,
            "hits": hits,
            "misses": misses,
            "evicted_keys": info.get("evicted_keys", 0),
            "expired_keys": info.get("expired_keys", 0),
            "ops_per_sec": info.get("instantaneous_ops_per_sec", 0),
            "total_commands": max(0, info.get("total_commands_processed", 0) - own_calls),
            "excluded": {"hits": own["hits"], "misses": own["misses"], "calls": own_calls},
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
        "latest_fork_usec": info.get("latest_fork_usec", 0),
        "features": features(server),
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
        engine = n.get("engine", "redis")
        pinned = f" (redis_version {n['redis_version']})" if engine != "redis" and n.get("redis_version") else ""
        lines.append(f"\n[{n['node']}] {engine} {n['version']}{pinned} {n['mode']} role={n['role']} up {human_seconds(n['uptime_s'])}")
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
        excluded = st.get("excluded") or {}
        if excluded.get("hits") or excluded.get("misses"):
            lines.append(f"  (without ask-redis's own reads: {excluded['hits']} hits, {excluded['misses']} misses, "
                         f"{excluded['calls']} calls from its inspections of this server run)")
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
                     f"nopass users: {'not checked (ACL LIST is for the default user or an account granted it)' if nopass is None else (', '.join(nopass) or 'none')}")
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
# What the review calls a big key: strings by bytes, collections by elements; and any key of any type
# (module types too, and keys whose length is not read) by its MEMORY USAGE.
BIG_KEY = {"string": 100 * 1024, "hash": 5000, "list": 1000, "set": 1000, "zset": 1000, "stream": 10000}
BIG_KEY_BYTES = 1024 * 1024
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
        self.with_ttl = 0
        self.memory: dict[str, list[float]] = {}  # node -> [keys, sum of bytes, sum of squares] (the estimate)
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

    def patterns(self, keys: list[bytes]) -> list[str]:
        """The namespace pattern of every key (memoised by shape, looked up in C)."""
        if not self._memo_ok:
            return [namespace_of(key, self.separator, self.depth) for key in keys]
        found = list(map(self._memo.get, map(bytes.translate, keys, repeat(_DIGITS_TO_ZERO))))
        if None in found:
            for index, pattern in enumerate(found):
                if pattern is None:
                    found[index] = self.namespace(keys[index])
        return found

    def add_batch(self, node: str, keys: list[bytes], first: list[Any], kinds: list[str],
                  groups: dict[str, list[int]], second: dict[str, list[Any]], lengths: bool = True) -> None:
        """Tally one batch: `first` holds TYPE, MEMORY USAGE, PTTL per key; `second[type]` the length (and
        OBJECT ENCODING, except for strings) of the keys at positions `groups[type]`."""
        for _ in self.steps(node, keys, first, kinds, groups, second, lengths):
            pass

    def steps(self, node: str, keys: list[bytes], first: list[Any], kinds: list[str],
              groups: dict[str, list[int]], second: dict[str, list[Any]], lengths: bool = True) -> Iterator[None]:
        """add_batch in steps of a fraction of a millisecond, so it can run while the server answers a
        write (KeyPipeline.flush). This is the client's cost per key: what every key needs is done by
        C-level builtins (map, Counter, sum, compress), and Python code runs only for keys with a length,
        a TTL bucket or a top memory."""
        size = len(keys)
        memories, pttls = first[1::3], first[2::3]
        length_at: list[Any] = [None] * size
        encoding_at: list[Any] = [None] * size
        for kind, positions in groups.items():
            replies = second[kind]
            if kind == "string":
                for index, length in zip(positions, replies):
                    length_at[index] = length
            elif not lengths:
                for index, encoding in zip(positions, replies):
                    encoding_at[index] = encoding
            else:
                for index, length, encoding in zip(positions, replies[0::2], replies[1::2]):
                    length_at[index], encoding_at[index] = length, encoding
        detail = sorted(index for positions in groups.values() for index in positions)
        if "none" in kinds or "error" in kinds or set(map(type, memories)) != {int}:
            keep = []
            for index, kind, type_reply, memory in zip(range(size), kinds, first[0::3], memories):
                if kind == "error" or (memory is not None and memory.__class__ is not int):
                    # an error reply (NOPERM, MOVED...): counted and named once, not taken for a vanished key
                    error = " ".join(str(type_reply if kind == "error" else memory).split())[:120]
                    self.errors[error] = self.errors.get(error, 0) + 1
                elif kind == "none" or memory is None:
                    self.vanished += 1  # expired or deleted between SCAN and TYPE / MEMORY USAGE
                else:
                    keep.append(index)
            where = {old: new for new, old in enumerate(keep)}
            detail = [where[index] for index in detail if index in where]
            keys, kinds, memories, pttls, length_at, encoding_at = (
                [column[index] for index in keep] for column in (keys, kinds, memories, pttls, length_at, encoding_at))
            size = len(keep)
            if not size:
                return
        yield
        if set(map(type, pttls)) != {int}:
            pttls = [pttl if pttl.__class__ is int else -1 for pttl in pttls]
        total = sum(memories)
        stats = self.memory.get(node)
        if stats is None:
            stats = self.memory[node] = [0, 0.0, 0.0]
        stats[0] += size
        stats[1] += total
        stats[2] += sum(map(operator.mul, memories, memories))
        by_kind = Counter(kinds)
        for kind, count in by_kind.items():
            entry = self.types.get(kind)
            if entry is None:
                entry = self.types[kind] = [0, 0]
            entry[0] += count
            entry[1] += total if len(by_kind) == 1 else sum(compress(memories, map(kind.__eq__, kinds)))
        yield
        has_ttl = list(map((-1).__lt__, pttls))
        with_ttl = sum(has_ttl)
        self.with_ttl += with_ttl
        self.no_ttl += size - with_ttl
        if with_ttl:
            for bucket, count in Counter(map(partial(bisect.bisect_right, _TTL_LIMITS), compress(pttls, has_ttl))).items():
                self.ttl_counts[bucket] += count
        yield
        patterns = self.patterns(keys)
        yield
        counts = Counter(patterns)
        if len(counts) == 1:
            byte_sums = {patterns[0]: total}
        else:
            byte_sums = dict.fromkeys(counts, 0)
            for pattern, memory in zip(patterns, memories):
                byte_sums[pattern] += memory
        ttl_by_pattern = Counter(compress(patterns, has_ttl)) if with_ttl else {}
        namespaces = self.namespaces
        for pattern, count in counts.items():
            ns = namespaces.get(pattern)
            if ns is None:
                ns = namespaces.get("(other namespaces)") if len(namespaces) >= self.MAX_NAMESPACES else None
                if ns is None:
                    ns = namespaces["(other namespaces)" if len(namespaces) >= self.MAX_NAMESPACES else pattern] = [0, 0, 0]
            ns[0] += count
            ns[1] += byte_sums[pattern]
            ns[2] += ttl_by_pattern.get(pattern, 0)

        yield
        def row(index: int) -> dict[str, Any]:
            length, encoding = length_at[index], encoding_at[index]
            return {"node": node, "type": kinds[index], "memory": memories[index],
                    "length": length if length.__class__ is int else None,
                    "encoding": encoding.decode() if encoding.__class__ is bytes else None, "pttl": pttls[index]}

        top, top_memory = self.top, self.top_memory
        floor = top_memory[0][0] if len(top_memory) >= top else -1
        for index in compress(range(size), map(floor.__lt__, memories)):
            memory = memories[index]
            if memory > floor:
                (heapq.heappush if len(top_memory) < top else heapq.heapreplace)(top_memory, (memory, keys[index], row(index)))
                floor = top_memory[0][0] if len(top_memory) >= top else -1
        yield
        big_at = set(compress(range(size), map(BIG_KEY_BYTES.__lt__, memories)))
        for index in detail:
            kind, length, encoding = kinds[index], length_at[index], encoding_at[index]
            encoding = encoding.decode() if encoding.__class__ is bytes else None
            if encoding is not None:
                self.encodings[(kind, encoding)] = self.encodings.get((kind, encoding), 0) + 1
            if length.__class__ is not int:
                continue
            if length > BIG_KEY.get(kind, 1 << 62):
                big_at.add(index)
            if encoding is not None and kind in _COMPACT:
                rows = self.observed.setdefault(kind, [])
                if len(rows) < self.MAX_OBSERVED:
                    rows.append((length, encoding, memories[index]))
            heap = self.top_length.setdefault(kind, [])
            if len(heap) < top or length > heap[0][0]:
                (heapq.heappush if len(heap) < top else heapq.heapreplace)(heap, (length, keys[index], row(index)))
        for index in big_at:
            self.big[kinds[index]] = self.big.get(kinds[index], 0) + 1


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


# A listpack (or intset) holds small collections in a fraction of a hashtable's memory: about a third
# for short fields, the figure the savings estimate uses.
COMPACT_MEMORY_FRACTION = 1 / 3


def _limit_report(observed: dict[str, list[tuple[int, str, int]]], limits: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Per type: compact keys near the entries limit, keys over it (just over: up to twice the limit;
    far over: big collections no limit should hold compact), keys converted below it (a long element), and
    for keys just over it what raising the limit would do: the limit needed, the keys it converts, the
    memory it saves (estimated with COMPACT_MEMORY_FRACTION)."""
    report: dict[str, dict[str, Any]] = {}
    entry_limit = {"hash": limits.get("hash_entries"), "zset": limits.get("zset_entries"),
                   "set": limits.get("set_listpack_entries") or limits.get("set_intset_entries")}
    for kind, rows in observed.items():
        limit = entry_limit.get(kind)
        if not limit or kind not in _COMPACT:
            continue
        near = converted_below = far_over = 0
        just_over: list[tuple[int, int]] = []
        for length, encoding, memory in rows:
            compact = encoding in _COMPACT[kind]
            if compact and length >= 0.8 * limit:
                near += 1
            elif not compact and length > 2 * limit:
                far_over += 1
            elif not compact and length > limit:
                just_over.append((length, memory))
            elif not compact:
                converted_below += 1  # a long element (value limit) or, for sets, a non-integer member
        entry: dict[str, Any] = {"entries_limit": limit, "near_limit": near, "over_limit": len(just_over) + far_over,
                                 "just_over_limit": len(just_over), "far_over_limit": far_over,
                                 "converted_below_limit": converted_below}
        if just_over:
            needed = max(length for length, _ in just_over)
            entry["raise_to"] = 1 << (needed - 1).bit_length()  # the next power of two that holds them all
            entry["raise_converts"] = len(just_over)
            entry["raise_saves_bytes"] = int(sum(memory for _, memory in just_over) * (1 - COMPACT_MEMORY_FRACTION))
        report[kind] = entry
    return report


_FIRST = (("TYPE",), ("MEMORY", "USAGE"), ("PTTL",))
_KINDS = {name.encode(): name for name in ("string", "hash", "list", "set", "zset", "stream", "none")}
# A string's MEMORY USAGE bounds its length from above, so STRLEN is read only for strings whose memory
# reaches this: below it the length is known to be smaller, and most keys of most datasets are such.
STRLEN_FROM_BYTES = 512

_SECOND = {kind: ((command,) if kind == "string" else (command, ("OBJECT", "ENCODING")))
           for kind, command in LENGTH_COMMAND.items()}
# Without CLIENT NO-TOUCH (< 7.2) the length reads refresh LRU/LFU; OBJECT ENCODING does not.
_SECOND_NO_LENGTHS = {kind: (("OBJECT", "ENCODING"),) for kind in LENGTH_COMMAND if kind != "string"}
LENGTHS_SKIPPED = ("no CLIENT NO-TOUCH (server < 7.2): length reads (STRLEN/HLEN/LLEN/SCARD/ZCARD/XLEN) would "
                   "refresh the sampled keys' LRU/LFU, so they were skipped: sizes are MEMORY USAGE only")

# The sample is spread over the SCAN cursor space in this many segments (from a random offset each run),
# so that every run sees a different, representative part of the keyspace rather than the first N keys.
SEGMENTS = 64
# Gentleness: keys per round (SCAN COUNT; the round's reads go out in short writes, one at a time, see
# conn.SLICE_COMMANDS), and the share of wall time the walk rests besides (measured by
# bench/bench_keyspace.py against redis-cli --memkeys). A whole walk does not rest: the server is already
# idle between writes, and its time matters too (bench target: <= 0.75x redis-cli --memkeys).
ROUND_KEYS = 250
REST_SHARE = 0.0
REST_SHARE_BOUNDED = 0.5  # a bounded sample takes well under a second: it can afford to rest
REST_SLICE = 0.01
# When the sample explains less of used_memory_dataset than this (beyond its own uncertainty), the walk
# goes on over the rest of the keyspace with MEMORY USAGE alone (no keyspace hits) to find what it missed.
EXPLAINED_SHARE = 0.7
SEARCH_MIN_BYTES = 1024 * 1024
SEARCH_TIME_LIMIT = 20.0


def _reverse_bits(value: int, bits: int) -> int:
    return int(format(value, f"0{bits}b")[::-1], 2) if bits else 0


def _cursor_at(fraction: float, bits: int) -> int:
    """The SCAN cursor that starts `fraction` of the way through the walk (SCAN walks reversed bits)."""
    return _reverse_bits(min(int(fraction * (1 << bits)), (1 << bits) - 1), bits)


def _position(cursor: int, bits: int) -> float:
    """How far through the walk a cursor is (0..1); cursors of a bigger table than assumed still map."""
    bits = max(bits, cursor.bit_length())
    return _reverse_bits(cursor, bits) / (1 << bits)


class _Pacer:
    """Rests REST_SHARE of the wall time in slices, so a long walk never hogs the server or the CPU."""

    def __init__(self, share: float):
        self.share = share
        self.mark = time.perf_counter()

    def tick(self) -> None:
        if self.share <= 0:
            return
        now = time.perf_counter()
        if now - self.mark >= REST_SLICE:
            time.sleep((now - self.mark) * self.share / (1 - self.share))
            self.mark = time.perf_counter()


def server_identity(node: Node, info: dict[str, Any] | None = None) -> dict[str, Any]:
    """Engine (redis or valkey), version and mode of a node, from INFO server (read once per node).

    Valkey pins redis_version at 7.2.4: it names itself in server_name and valkey_version, and its mode
    is server_mode. Also reads what earlier inspections from this machine added to its counters (ledger).
    """
    if node.server is not None and info is None:
        return node.server
    if info is None:
        info = node.call("INFO", "server")
    valkey = _text(info.get("server_name", "")).lower() == "valkey" or "valkey_version" in info
    version = _text(info.get("valkey_version") if valkey and info.get("valkey_version") else info.get("redis_version", "?"))
    numbers = tuple(int(p) for p in version.split(".")[:3] if p.isdigit())
    node.server = {"engine": "valkey" if valkey else "redis", "version": version,
                   "version_tuple": numbers + (0,) * (3 - len(numbers)),
                   "mode": _text(info.get("redis_mode") or info.get("server_mode") or "?"),
                   "redis_version": _text(info.get("redis_version", "?")), "run_id": info.get("run_id")}
    node.prior = ledger.prior(node.server["run_id"], info.get("total_commands_processed"))
    return node.server


def features(server: dict[str, Any]) -> dict[str, bool]:
    """Which version-gated reads this server has (each one skipped, and said so, where it does not)."""
    valkey, v = server["engine"] == "valkey", server["version_tuple"]
    return {
        "keysizes": not valkey and v >= (8, 0, 0),           # INFO keysizes
        "hotkeys": not valkey and v >= (8, 6, 0),            # HOTKEYS GET (a tracking session someone started)
        "commandlog": valkey and v >= (8, 1, 0),             # COMMANDLOG GET n slow|large-request|large-reply
        "slot_stats": valkey and v >= (8, 0, 0),             # CLUSTER SLOT-STATS (cluster mode only)
        "scan_type_free": valkey or v >= (8, 0, 0),          # SCAN ... TYPE counts no keyspace hits (measured)
    }


def own_counts(node: Node, in_flight: str | None = None) -> dict[str, Any]:
    """What ask-redis made this server count: earlier inspections from here (ledger) plus this connection.
    `in_flight`: the command whose reply is being read (the server counts it only after replying)."""
    calls = dict(node.sent)
    if in_flight and calls.get(in_flight):
        calls[in_flight] -= 1
    return ledger.add(node.prior, node.lookups["hits"], node.lookups["misses"], calls)


def _count_lookups(node: Node, replies: list[Any], missing: Any, errors: bool = True) -> None:
    """Keyspace hits and misses of key reads: an error reply (NOPERM) counts neither. `errors` False:
    the caller knows there was no error reply (the common case, counted in C by list.count)."""
    if errors:
        replies = [r for r in replies if not isinstance(r, Exception)]
    misses = replies.count(missing) + (replies.count(None) if missing is not None else 0)
    node.lookups["hits"] += len(replies) - misses
    node.lookups["misses"] += misses


def _kind(reply: Any) -> str:
    if reply.__class__ is bytes:
        return _KINDS.get(reply) or reply.decode("utf-8", "backslashreplace")  # module types by their own name
    return "error"


def _sample_node(node: Node, tally: _Tally, budget: int | None, match: str | None, type_filter: str | None,
                 scan_count: int, pause: float, deadline: float | None = None,
                 rest_share: float = REST_SHARE) -> dict[str, Any]:
    """SCAN one primary and measure its keys, keeping the server busy while the client tallies.

    Each round reads what the previous round sent (SCAN reply, first pass of batch N, second pass of
    batch N-1), sends the next round (SCAN, first pass of batch N+1: TYPE, MEMORY USAGE, PTTL;
    second pass of batch N: length and OBJECT ENCODING by type), and only then tallies batch N-1.
    A budget smaller than the keyspace is spread over SEGMENTS stretches of the cursor space.
    """
    started = time.perf_counter()
    dbsize = int(node.call("DBSIZE"))
    lengths = bool(node.no_touch)
    second_reads = _SECOND if lengths else _SECOND_NO_LENGTHS
    spread = bool(budget) and dbsize > budget and not match and not type_filter
    bits = max(1, (max(dbsize, 1) - 1).bit_length())
    offset = random.random()
    segments = [(offset + j) / SEGMENTS for j in range(SEGMENTS)] if spread else [0.0]
    quota = -(-budget // len(segments)) if budget else None
    scan_count = min(scan_count, ROUND_KEYS, quota or ROUND_KEYS)
    # Where each segment stopped (its cursor before the last SCAN) and where it ends: the search walks the rest.
    resume: list[tuple[int | None, float, list[bytes]]] = []
    segment, taken_here = 0, 0
    taken: set[bytes] = set()
    # With MATCH/TYPE a SCAN call can return few keys: cap the calls so the walk stays bounded.
    max_scans = None if not budget or spread else max(10, 4 * budget // scan_count)
    sampled, scans, complete, out_of_time = 0, 0, False, False
    pacer = _Pacer(rest_share)
    cursor = _cursor_at(segments[0], bits) if spread else 0
    scan_in_flight = True
    first_in_flight: list[bytes] = []           # keys whose first pass was sent last round
    second_in_flight: list[Any] | None = None   # [keys, first replies, kinds, positions by type] sent last round
    with node.key_pipeline() as pipe:
        errors_seen = 0
        pipe.scan(cursor, match=match, count=scan_count, type_=type_filter)
        pipe.flush()
        while scan_in_flight or first_in_flight or second_in_flight:
            keys: list[bytes] = []
            scanning = False
            if scan_in_flight:
                cursor, keys = pipe.read()
                scans += 1
                limit = budget - sampled if budget else None
                if spread:
                    limit = min(limit, quota - taken_here)
                if spread:  # a call that ran past its stretch may return keys the next stretch samples too
                    keys = [k for k in keys if k not in taken]
                    taken.update(keys)
                truncated = limit is not None and len(keys) > limit
                left_over: list[bytes] = []
                if truncated:
                    keys, left_over = keys[:limit], keys[limit:]
                sampled += len(keys)
                taken_here += len(keys)
                if spread:
                    end = segments[segment + 1] if segment + 1 < len(segments) else 1.0
                    done_here = truncated or taken_here >= quota or cursor == 0 or _position(cursor, bits) >= end
                    if done_here:
                        # The rest of this stretch: the reply's keys past the quota, then from the cursor on.
                        more = cursor != 0 and _position(cursor, bits) < end
                        if left_over or more:
                            resume.append((cursor if more else None, end, left_over))
                        segment, taken_here = segment + 1, 0
                        if segment < len(segments) and sampled < budget:
                            cursor = _cursor_at(segments[segment], bits)
                            scanning = True
                    else:
                        scanning = True
                    complete = False
                else:
                    complete = cursor == 0 and not truncated
                    scanning = not (cursor == 0 or (budget and sampled >= budget) or (max_scans and scans >= max_scans))
                if scanning and deadline is not None and time.perf_counter() + pause >= deadline:
                    scanning, out_of_time = False, True
            measured = None
            if first_in_flight:
                first = pipe.read()
                # An error reply to TYPE leaves the kind unknown: the key counts as an error via its memory.
                kinds = list(map(_KINDS.get, first[0::3]))
                if None in kinds:
                    kinds = [kind or _kind(reply) for kind, reply in zip(kinds, first[0::3])]
                errors = pipe.errors != errors_seen
                errors_seen = pipe.errors
                _count_lookups(node, first[0::3], b"none", errors)
                _count_lookups(node, first[2::3], -2, errors)
                measured = [first_in_flight, first, kinds, None]
            second = {kind: pipe.read() for kind in second_in_flight[3]} if second_in_flight else None
            if second:
                errors = pipe.errors != errors_seen
                errors_seen = pipe.errors
                for replies in second.values():
                    _count_lookups(node, replies, 0, errors)
            # The previous batch is tallied in steps while the server answers this round's writes, one
            # short write at a time (KeyPipeline.flush): neither side ever waits long for the other.
            work = tally.steps(node.name, *second_in_flight, second, lengths) if second_in_flight else None
            pacer.tick()
            if scanning:
                if pause:
                    time.sleep(pause)
                pipe.scan(cursor, match=match, count=scan_count, type_=type_filter)
            if keys:
                pipe.keyed(_FIRST, keys)
            if measured:
                measured[3] = _second_pass(pipe, *measured[:3], second_reads, lengths)
            pipe.flush(work)
            scan_in_flight, first_in_flight, second_in_flight = scanning, keys, measured
    if spread and segment < len(segments):  # stopped by the deadline: the segments not reached are unsearched
        resume.extend((_cursor_at(segments[j], bits), segments[j + 1] if j + 1 < len(segments) else 1.0, [])
                      for j in range(segment, len(segments)))
    if spread:
        resume.append((0, segments[0], []))  # the stretch before the first segment
    return {"node": node.name, "dbsize": dbsize, "sampled": sampled, "complete": complete, "scan_calls": scans,
            "seconds": round(time.perf_counter() - started, 3), "out_of_time": out_of_time,
            "spread": spread, "lengths_read": lengths, "_resume": resume, "_bits": bits}


def _second_pass(pipe: Any, keys: list[bytes], first: list[Any], kinds: list[str],
                 reads: dict[str, tuple], lengths: bool) -> dict[str, list[int]]:
    """Queue the length (and OBJECT ENCODING) reads, one group per type; returns the keys' positions by type."""
    memories = first[1::3]
    groups: dict[str, list[int]] = {}
    if lengths:
        strings = [index for index in compress(range(len(keys)), map(STRLEN_FROM_BYTES.__le__, memories))
                   if kinds[index] == "string" and memories[index].__class__ is int]
        if strings:
            groups["string"] = strings
    for index in compress(range(len(kinds)), map("string".__ne__, kinds)):
        if kinds[index] in reads:
            groups.setdefault(kinds[index], []).append(index)
    for kind, positions in groups.items():
        pipe.keyed(reads[kind], [keys[index] for index in positions])
    return groups


def _keysizes(node: Node) -> dict[str, int] | None:
    """INFO keysizes (Redis 8): per type, the largest power-of-two size bucket that holds a key."""
    try:
        info = node.call("INFO", "keysizes")
    except (RedisConnError, redis_safety.RefusedCommand):
        return None
    largest: dict[str, int] = {}
    for name, value in info.items():
        match = re.fullmatch(r"db\d+_distrib_([a-z]+)_(?:sizes|items|len)", _text(name))
        if not match:
            continue
        buckets = value if isinstance(value, dict) else dict(
            part.split("=", 1) for part in _text(value).split(",") if "=" in part)
        sizes = [_bucket_size(_text(k)) for k, count in buckets.items() if int(_text(count) or 0) > 0]
        kind = {"strings": "string", "lists": "list", "sets": "set", "zsets": "zset", "hashes": "hash"}.get(match.group(1))
        if kind and sizes:
            largest[kind] = max(largest.get(kind, 0), max(sizes))
    return largest


def _bucket_size(label: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}
    label = label.strip()
    if label and label[-1].upper() in units:
        return int(float(label[:-1]) * units[label[-1].upper()])
    return int(float(label)) if label.replace(".", "", 1).isdigit() else 0


def _search_rest(node: Node, resume: list[tuple[int | None, float, list[bytes]]], bits: int, dbsize: int,
                 tally: _Tally, need_bytes: float, scan_type: str | None, time_limit: float,
                 rest_share: float) -> dict[str, Any]:
    """Walk the cursor space the sample skipped with MEMORY USAGE alone (it counts no keyspace hits),
    and measure fully only the keys that explain missing memory. Stops once they explain `need_bytes`,
    at the time limit, or when the rest is walked."""
    started = time.perf_counter()
    found: list[dict[str, Any]] = []
    walked = found_bytes = 0
    floor = max(SEARCH_MIN_BYTES // 16, int(need_bytes / 50))  # a key worth a fiftieth of the gap
    seen: set[bytes] = set()
    load = dbsize / (1 << bits)  # keys per hash bucket
    pacer = _Pacer(rest_share)
    stopped = None
    with node.key_pipeline() as pipe:
        for cursor, end, left_over in resume:
            first = True
            while stopped is None:
                if first and left_over:
                    keys = left_over
                else:
                    if cursor is None:
                        break
                    # Near the stretch's end ask for about the keys left in it, not a whole round's worth
                    # (a call that runs past the end would walk the next stretch's keys twice).
                    width = max(bits, cursor.bit_length())
                    left = (end - _position(cursor, bits)) * (1 << width) * load
                    pipe.scan(cursor, count=max(10, min(ROUND_KEYS, int(left) + 1)), type_=scan_type)
                    pipe.flush()
                    cursor, keys = pipe.read()
                if keys:
                    pipe.keyed((("MEMORY", "USAGE"),), keys)
                    pipe.flush()
                    walked += len(keys)
                    for key, memory in zip(keys, pipe.read()):
                        if memory.__class__ is int and memory >= floor and key not in seen:
                            seen.add(key)
                            found.append({"key": key, "memory": memory})
                            found_bytes += memory
                if found_bytes >= need_bytes:
                    stopped = "found"
                elif time.perf_counter() - started >= time_limit:
                    stopped = "time"
                pacer.tick()
                if first and left_over:
                    first = False
                    continue
                first = False
                if cursor == 0 or _position(cursor, bits) >= end:
                    break
            if stopped:
                break
    rows = _describe_found(node, found, tally.separator, tally.depth) if found else []
    return {"walked": walked, "found": rows, "found_bytes": found_bytes, "typed_scan": scan_type,
            "stopped": stopped or "walked all", "seconds": round(time.perf_counter() - started, 3)}


def _describe_found(node: Node, found: list[dict[str, Any]], separator: bytes, depth: int) -> list[dict[str, Any]]:
    """TYPE, PTTL, OBJECT ENCODING (and the length, where reads do not touch) of the few keys the search found."""
    found = sorted(found, key=lambda f: -f["memory"])[:50]
    keys = [f["key"] for f in found]
    replies = node.keyed([(p, k) for k in keys for p in (("TYPE",), ("PTTL",), ("OBJECT", "ENCODING"))])
    _count_lookups(node, replies[0::3], b"none")
    _count_lookups(node, replies[1::3], -2)
    _count_lookups(node, replies[2::3], None)
    kinds = [_kind(r) for r in replies[0::3]]
    length_keys = [(k, kind) for k, kind in zip(keys, kinds) if kind in LENGTH_COMMAND] if node.no_touch else []
    lengths = dict(zip([k for k, _ in length_keys],
                       node.keyed([(LENGTH_COMMAND[kind], k) for k, kind in length_keys]) if length_keys else []))
    _count_lookups(node, list(lengths.values()), 0)
    rows = []
    for item, kind, pttl, encoding in zip(found, kinds, replies[1::3], replies[2::3]):
        if kind in ("none", "error"):
            continue
        length = lengths.get(item["key"])
        rows.append({"key": item["key"].decode("utf-8", "backslashreplace"), "node": node.name, "type": kind,
                     "memory": item["memory"], "length": length if length.__class__ is int else None,
                     "encoding": encoding.decode() if encoding.__class__ is bytes else None,
                     "pttl": pttl if pttl.__class__ is int else -1, "found_by": "search",
                     "namespace": namespace_of(item["key"], separator, depth)})
    return rows


def _memory_estimate(node: Node, progress: dict[str, Any], tally: _Tally) -> dict[str, Any] | None:
    """The sample's memory extrapolated to the whole keyspace, with its 95% interval, beside used_memory_dataset."""
    stats = tally.memory.get(node.name)
    try:
        memory = node.call("INFO", "memory")
    except (RedisConnError, redis_safety.RefusedCommand):
        return None
    dataset = memory.get("used_memory_dataset")
    if not stats or not stats[0] or dataset is None:
        return None
    n, total, squares = stats
    population = progress["dbsize"]
    mean = total / n
    variance = max(squares / n - mean * mean, 0.0) * n / max(n - 1, 1)
    finite = max(1 - n / population, 0.0) if population else 0.0
    estimate = mean * population if progress["spread"] or not progress["complete"] else total
    margin = 1.96 * population * math.sqrt(variance / n * finite) if progress["spread"] or not progress["complete"] else 0.0
    return {"dataset_bytes": int(dataset), "estimate_bytes": int(estimate), "margin_bytes": int(margin),
            "explained": round(estimate / dataset, 3) if dataset else None}


def sample_keyspace(conn: RedisConnection, budget: int | None = DEFAULT_BUDGET, *, match: str | None = None,
                    type_filter: str | None = None, scan_count: int = 1000, pause: float = 0.0,
                    separator: str = ":", depth: int = 3, top: int = 10,
                    time_limit: float | None = None, search: bool = True,
                    rest_share: float | None = None) -> dict[str, Any]:
    """Sample up to `budget` keys per primary (None or 0: the whole keyspace), spread over the SCAN
    cursor space, and for each batch pipeline TYPE, MEMORY USAGE, PTTL, then the length (only where
    CLIENT NO-TOUCH keeps it from refreshing LRU/LFU) and OBJECT ENCODING.

    Returns namespaces (prefix pattern, keys, bytes, keys with a TTL), types (module types by their own
    name), TTL buckets, top keys by memory and by length per type, encodings against the listpack/intset
    limits (from CONFIG GET), big-key counts, the memory estimate beside used_memory_dataset with its
    uncertainty, what a search of the rest found when much memory was unexplained, what the inspection
    added to the server's counters, and per-node progress. Key names appear; values never. `pause`
    sleeps between SCAN batches; `rest_share` is the share of wall time the walk rests (default
    REST_SHARE_BOUNDED with a budget, REST_SHARE for a whole walk).
    `time_limit` (seconds, all primaries together) ends the walk early, as a partial sample.
    """
    if scan_count < 1 or scan_count > redis_safety.MAX_SCAN_COUNT:
        raise ValueError(f"scan_count must be 1..{redis_safety.MAX_SCAN_COUNT}")
    tally = _Tally(top, separator.encode(), depth)
    if rest_share is None:
        rest_share = REST_SHARE_BOUNDED if budget else REST_SHARE
    deadline = time.perf_counter() + time_limit if time_limit else None
    before = {n.name: (dict(n.sent), dict(n.lookups)) for n in conn.nodes}
    for node in conn.nodes:
        server_identity(node)
    nodes = [_sample_node(n, tally, budget, match, type_filter, scan_count, pause, deadline, rest_share)
             for n in conn.nodes]
    limits = _limits(config_get(conn.nodes[0], LIMIT_CONFIG))
    sampled = sum(n["sampled"] for n in nodes)
    dbsize = sum(n["dbsize"] for n in nodes)
    complete = all(n["complete"] for n in nodes)
    # Scale only an unfiltered partial sample: with MATCH/TYPE the dbsize is not the population.
    scale = dbsize / sampled if sampled and not complete and not match and not type_filter else 1.0
    notes: list[str] = []
    found: list[dict[str, Any]] = []
    for node, progress in zip(conn.nodes, nodes):
        resume, bits = progress.pop("_resume"), progress.pop("_bits")
        if match or type_filter:
            continue
        progress["memory"] = estimate = _memory_estimate(node, progress, tally)
        keysizes = _keysizes(node) if features(node.server)["keysizes"] else None
        progress["keysizes_largest"] = keysizes
        # A type whose biggest key (by INFO keysizes) is a big key the sample did not see
        missed_types = sorted(k for k, size in (keysizes or {}).items()
                              if size >= BIG_KEY.get(k, 1 << 62) and size > _largest_seen(tally, k))
        if estimate is None or progress["complete"]:
            continue
        gap = estimate["dataset_bytes"] - estimate["estimate_bytes"] - estimate["margin_bytes"]
        unexplained = estimate["explained"] is not None and estimate["explained"] < EXPLAINED_SHARE
        if (unexplained and gap > SEARCH_MIN_BYTES) or missed_types:
            if not search:
                notes.append(f"{node.name}: the sample explains {estimate['explained']:.0%} of used_memory_dataset; "
                             "the rest was not searched")
                continue
            left = SEARCH_TIME_LIMIT if deadline is None else max(0.0, deadline - time.perf_counter())
            typed = missed_types[0] if len(missed_types) == 1 and features(node.server)["scan_type_free"] else None
            result = _search_rest(node, resume, bits, progress["dbsize"], tally, max(gap, 1), typed, left, rest_share)
            progress["search"] = dict(result, found=len(result["found"]), reason=(
                f"keysizes shows {', '.join(missed_types)} keys bigger than any sampled" if missed_types else
                f"the sample explains {estimate['explained']:.0%} of used_memory_dataset"))
            found.extend(result["found"])

    def described(rows: list[tuple[int, bytes, dict]]) -> list[dict[str, Any]]:
        return [dict(info, key=key.decode("utf-8", "backslashreplace"))
                for _, key, info in sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)]

    top_memory = described(tally.top_memory)
    top_length = {k: described(v) for k, v in tally.top_length.items()}
    seen = {(r["node"], r["key"]) for r in top_memory}
    for row in found:  # keys the search found: listed with the top keys, not counted in the sample's figures
        if (row["node"], row["key"]) in seen:
            continue
        top_memory.append(row)
        if row["length"] is not None:
            top_length.setdefault(row["type"], []).append(row)
            top_length[row["type"]].sort(key=lambda r: -(r["length"] or 0))
        if row["memory"] > BIG_KEY_BYTES or (row["length"] or 0) > BIG_KEY.get(row["type"], 1 << 62):
            tally.big[row["type"]] = tally.big.get(row["type"], 0) + 1
    top_memory.sort(key=lambda r: -r["memory"])
    top_memory = top_memory[:max(top, len([r for r in top_memory if r.get("found_by")]))]
    encodings: dict[str, dict[str, int]] = {}
    for (kind, encoding), count in sorted(tally.encodings.items()):
        encodings.setdefault(kind, {})[encoding] = count
    namespaces = [{"prefix": p, "pattern": p, "keys": v[0], "bytes": v[1], "with_ttl": v[2]}
                  for p, v in tally.namespaces.items()]
    namespaces.sort(key=lambda n: (-n["bytes"], n["pattern"]))
    lengths_read = all(n["lengths_read"] for n in nodes)
    if not lengths_read:
        notes.append(LENGTHS_SKIPPED)
    added = {"hits": 0, "misses": 0, "calls": {}}
    for node in conn.nodes:
        sent_before, lookups_before = before[node.name]
        added["hits"] += node.lookups["hits"] - lookups_before["hits"]
        added["misses"] += node.lookups["misses"] - lookups_before["misses"]
        for name, count in node.sent.items():
            if count - sent_before.get(name, 0):
                added["calls"][name] = added["calls"].get(name, 0) + count - sent_before.get(name, 0)
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
        "with_ttl": tally.with_ttl,
        "ttl_buckets": dict(tally.ttl, **{"no TTL": tally.no_ttl}),
        "top_memory": top_memory,
        "top_length": top_length,
        "encodings": encodings,
        "limits": limits,
        "limit_report": _limit_report(tally.observed, limits),
        "big_keys": tally.big,
        "big_key_thresholds": BIG_KEY,
        "big_key_bytes": BIG_KEY_BYTES,
        "vanished": tally.vanished,
        "errors": tally.errors,
        "no_touch": all(n.no_touch for n in conn.nodes),
        "lengths_read": lengths_read,
        "inspection_added": added,
        "notes": notes,
    }


def _largest_seen(tally: _Tally, kind: str) -> int:
    """The largest size the sample saw for a type, in INFO keysizes' terms (elements; string bytes)."""
    rows = tally.top_length.get(kind) or []
    seen = max((length for length, _, _ in rows), default=0)
    if kind == "string":
        seen = max([seen] + [info["memory"] for _, _, info in tally.top_memory if info["type"] == "string"])
    return 1 << max(seen, 1).bit_length()  # keysizes buckets are powers of two: compare bucket to bucket


def format_keyspace(data: dict[str, Any], namespaces: int = 25) -> str:
    """Compact text of `sample_keyspace()`: counts, bytes, TTL coverage and shapes; never values."""
    scale = data["scale"]
    lines = []
    for n in data["nodes"]:
        stop = "the time limit" if n.get("out_of_time") else "budget"
        state = "whole keyspace" if n["complete"] else f"stopped at {stop} ({n['scan_calls']} SCAN calls)"
        spread = f", spread over {SEGMENTS} stretches of the cursor space" if n.get("spread") else ""
        lines.append(f"[{n['node']}] sampled {n['sampled']} of {n['dbsize']} keys in {n['seconds']:.2f} s, {state}{spread}")
        memory = n.get("memory")
        if memory:
            interval = f" ± {human_bytes(memory['margin_bytes'])} (95%)" if memory["margin_bytes"] else ""
            lines.append(f"  memory: the keys add up to {human_bytes(memory['estimate_bytes'])}{interval}; "
                         f"used_memory_dataset {human_bytes(memory['dataset_bytes'])} "
                         f"({(memory['explained'] or 0):.0%} explained)")
        if n.get("keysizes_largest"):
            lines.append("  INFO keysizes, largest: " + ", ".join(
                f"{k} {'≥ ' + human_bytes(v) if k == 'string' else f'>= {v} elements'}" for k, v in n["keysizes_largest"].items()))
        search = n.get("search")
        if search:
            typed = f" (SCAN TYPE {search['typed_scan']})" if search["typed_scan"] else ""
            lines.append(f"  searched the rest because {search['reason']}: {search['walked']} more keys{typed} "
                         f"with MEMORY USAGE in {search['seconds']:.2f} s, {search['found']} keys found holding "
                         f"{human_bytes(search['found_bytes'])} ({search['stopped']})")
    filters = ", ".join(f"{k}={data[k]}" for k in ("match", "type_filter") if data.get(k))
    if filters:
        lines.append(f"filters: {filters} (counts are of matching keys)")
    if scale != 1.0:
        lines.append(f"estimates: keys/bytes below are the sample's; multiply by {scale:.1f} for the whole keyspace")
    sampled = data["sampled"] or 1
    types = ", ".join(f"{k} {v['keys']} keys / {human_bytes(v['bytes'])}" for k, v in data["types"].items())
    lines.append(f"types: {types or 'none'}")
    seen = sum(v["keys"] for v in data["types"].values())
    with_ttl = data.get("with_ttl", 0)
    buckets = ", ".join(f"{k} {v}" for k, v in data["ttl_buckets"].items() if v)
    lines.append(f"TTL: {with_ttl} of {seen} keys seen ({100 * with_ttl / (seen or 1):.1f}%) have one; "
                 f"buckets: {buckets or 'none'}")
    shown = min(namespaces, len(data["namespaces"]))
    which = f"top {shown} of {len(data['namespaces'])}" if shown < len(data["namespaces"]) else f"all {shown}"
    lines.append(f"namespaces (pattern: keys, bytes, TTL coverage), by memory, {which}:")
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
        if row.get("found_by"):
            parts.append("found by the search, outside the sample")
        return f"  {row['key'][:120]} ({', '.join(parts)}; {row['node']})"

    lines.append("top keys by memory:")
    lines.extend(shape(r) for r in data["top_memory"])
    for kind, rows in data["top_length"].items():
        lines.append(f"top {kind} keys by {'bytes' if kind == 'string' else 'elements'}:")
        lines.extend(shape(r) for r in rows[:5])
    if "string" in data["types"] and "string" not in data["top_length"] and data.get("lengths_read", True):
        lines.append(f"strings: all under {STRLEN_FROM_BYTES} B of memory (so under {STRLEN_FROM_BYTES} bytes long)")
    if data["encodings"]:
        lines.append("encodings: " + "; ".join(f"{k}: " + ", ".join(f"{e} {c}" for e, c in v.items())
                                               for k, v in data["encodings"].items()))
    if data["limits"]:
        lines.append("limits (CONFIG GET): " + ", ".join(f"{k}={v}" for k, v in data["limits"].items()))
    for kind, r in data["limit_report"].items():
        line = (f"  {kind}: {r['near_limit']} compact keys at >= 80% of {r['entries_limit']} entries, "
                f"{r['just_over_limit']} just over the limit (up to 2x), {r['far_over_limit']} far over it, "
                f"{r['converted_below_limit']} converted below it (a long element or non-integer member)")
        if r.get("raise_to"):
            line += (f"; raising the limit to {r['raise_to']} would convert {r['raise_converts']} back and save "
                     f"about {human_bytes(r['raise_saves_bytes'])}")
        lines.append(line)
    thresholds = ", ".join(f"{k} > {human_bytes(v) if k == 'string' else v}" for k, v in data["big_key_thresholds"].items())
    big = ", ".join(f"{k} {v}" for k, v in data["big_keys"].items()) or "none"
    lines.append(f"big keys ({thresholds}, or any key over {human_bytes(data.get('big_key_bytes', BIG_KEY_BYTES))}): {big}")
    if data["vanished"]:
        lines.append(f"{data['vanished']} keys expired or were deleted while sampling")
    for error, count in data.get("errors", {}).items():
        lines.append(f"{count} keys could not be read: {error}")
    added = data.get("inspection_added")
    if added:
        calls = sum(added["calls"].values())
        top_calls = ", ".join(f"{k.replace('|', ' ').upper()} {v}" for k, v in
                              sorted(added["calls"].items(), key=lambda i: -i[1])[:6])
        lines.append(f"this sample added {added['hits']} keyspace hits, {added['misses']} misses and {calls} calls "
                     f"({top_calls}) to the server's counters; ask-redis subtracts them from the hit ratio and "
                     "command statistics it reports")
    for note in data.get("notes", []):
        lines.append(f"note: {note}")
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
    excluded = 0
    for node in conn.nodes:
        server_identity(node)
        stats = node.call("INFO", "commandstats")
        own = own_counts(node, in_flight="info")["calls"]
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
            # Without ask-redis's own calls (this connection's and earlier inspections' from here); their
            # time is taken off at the command's average.
            calls = int(value.get("calls", 0))
            mine = min(own.get(name, 0), calls)
            excluded += mine
            row["calls"] += calls - mine
            row["usec"] += int(int(value.get("usec", 0)) * (calls - mine) / calls) if calls else 0
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
    ordered = sorted(((k, v) for k, v in commands.items() if v["calls"]), key=lambda c: -c[1]["usec"])[:top]
    return {"commands": dict(ordered), "events": events, "monitor_threshold_ms": thresholds,
            "own_calls_excluded": excluded}


COMMANDLOG_TYPES = ("large-request", "large-reply")


def version_gated(conn: RedisConnection, entries: int = 128) -> dict[str, Any]:
    """The reads only some servers have, per primary: LATENCY LATEST events (everyone), COMMANDLOG large
    requests and replies (Valkey 8.1+), HOTKEYS GET (Redis 8.6+: the result of a tracking session someone
    else started; never started here, since that changes the server), CLUSTER SLOT-STATS (Valkey 8+
    in cluster mode). What a server lacks is listed under `skipped`, with the version that has it."""
    nodes = []
    for node in conn.nodes:
        server = server_identity(node)
        have = features(server)
        out: dict[str, Any] = {"node": node.name, "events": [], "commandlog": {}, "hotkeys": None, "slot_stats": None,
                               "skipped": []}
        try:
            for event in node.call("LATENCY", "LATEST"):
                out["events"].append({"event": _text(event[0]), "latest_ms": int(event[2]), "max_ms": int(event[3])})
        except (RedisConnError, redis_safety.RefusedCommand):
            pass
        if have["commandlog"]:
            for kind in COMMANDLOG_TYPES:
                try:
                    replies = node.call("COMMANDLOG", "GET", entries, kind)
                except (RedisConnError, redis_safety.RefusedCommand) as error:
                    out["skipped"].append(f"COMMANDLOG {kind}: {error}")
                    continue
                names: dict[str, int] = {}
                for entry in replies or []:
                    args = entry[3] if isinstance(entry, (list, tuple)) and len(entry) > 3 else []
                    name = _command_name(list(args)) if isinstance(args, (list, tuple)) else "?"
                    names[name] = names.get(name, 0) + 1
                out["commandlog"][kind] = names
        else:
            out["skipped"].append("COMMANDLOG large-request/large-reply (Valkey 8.1+)")
        if have["hotkeys"]:
            try:
                out["hotkeys"] = node.call("HOTKEYS", "GET")
            except (RedisConnError, redis_safety.RefusedCommand) as error:
                out["skipped"].append(f"HOTKEYS GET: {error}")
        else:
            out["skipped"].append("HOTKEYS (Redis 8.6+; on Valkey and older Redis, hot keys need an LFU policy and OBJECT FREQ)")
        if conn.mode == "cluster" and have["slot_stats"]:
            try:
                out["slot_stats"] = node.call("CLUSTER", "SLOT-STATS", "ORDERBY", "key-count", "LIMIT", 10)
            except (RedisConnError, redis_safety.RefusedCommand) as error:
                out["skipped"].append(f"CLUSTER SLOT-STATS: {error}")
        elif conn.mode == "cluster":
            out["skipped"].append("CLUSTER SLOT-STATS (Valkey 8+)")
        if not have["keysizes"]:
            out["skipped"].append("INFO keysizes (Redis 8+)")
        nodes.append(out)
    return {"nodes": nodes}


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
    mine = lat.get("own_calls_excluded")
    lines.append("commands by total time (calls, usec/call, p50/p99/p99.9 us, failed, rejected)"
                 + (f", without ask-redis's own {mine} calls:" if mine else ":"))
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

"""Read-only inspection of a live Redis: overview, keyspace sampling, slow log, latency.

Each function takes a RedisConnection (ask_redis.redis_conn.connect) and returns plain
data (dicts, lists, numbers), visiting every primary of a Cluster; `format_*` turn that
data into the compact text the model reads. Everything is sent through the allowlist
(Node.call / calls / per_key); values are never read.
"""

from __future__ import annotations

import time
from typing import Any

from redis.exceptions import ResponseError

from ask_redis import redis_safety
from ask_redis.redis_conn import Node, RedisConnection, RedisConnError

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
        cluster = {k: info.get(k) for k in ("cluster_state", "cluster_slots_assigned", "cluster_slots_ok",
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

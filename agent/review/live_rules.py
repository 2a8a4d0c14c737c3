"""Live rules: the checklist read off a running instance through the read-only inspection layer.

Everything goes through ask_redis.live.conn (allowlisted, password-masked connection) and
ask_redis.live.inspection (overview, keyspace sample, slow log, latency); nothing here talks to
Redis by itself, and nothing it sends can change the server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ask_redis.review.findings import ANTI_PATTERNS, LUA_RULES, Finding, Rule, Severity, make_finding

LIVE = ("redis",)


def _rule(rule_id: str, severity: Severity, title: str, why: str, fix: str, checklist: int | None = None,
          section: str | None = None) -> Rule:
    return Rule(rule_id, severity, LIVE, title, why, fix, checklist=checklist, section=section, live=True)


MAXMEMORY_UNSET = _rule(
    "maxmemory-unset", Severity.HIGH, "maxmemory is not set",
    "With maxmemory 0 Redis grows until the OS kills it (or swaps): the eviction policy never runs.",
    "Set maxmemory to what the instance may use (leave headroom for fork/COW and buffers), e.g. CONFIG SET maxmemory 2gb and persist it in redis.conf.",
    checklist=8)
MEMORY_NEAR_LIMIT = _rule(
    "memory-near-limit", Severity.HIGH, "Memory use above 80% of maxmemory",
    "Past maxmemory writes fail (noeviction) or keys are evicted; a fork for RDB/AOF rewrite needs headroom too.",
    "Raise maxmemory or shrink the data (TTLs, smaller values, fewer keys); check the big keys and namespaces below.",
    checklist=8)
NOEVICTION_CACHE = _rule(
    "noeviction-on-cache", Severity.HIGH, "noeviction policy on a cache",
    "The keyspace looks like a cache (cache-like namespaces or keys with TTLs) but maxmemory-policy is noeviction: once full, writes fail instead of old entries going.",
    "Use allkeys-lru (or allkeys-lfu) for a cache; keep noeviction for data that must never be dropped.",
    checklist=4)
VOLATILE_FEW_TTL = _rule(
    "volatile-policy-few-ttls", Severity.HIGH, "volatile-* policy with few keys carrying a TTL",
    "volatile-* policies evict only keys with a TTL; with few of them Redis runs out of candidates and behaves like noeviction.",
    "Set TTLs on the cache keys, or switch to allkeys-lru / allkeys-lfu.",
    checklist=4)
EVICTIONS = _rule(
    "keys-evicted", Severity.MEDIUM, "Keys have been evicted",
    "evicted_keys > 0: the instance has hit maxmemory and dropped keys; fine for a cache sized for it, data loss otherwise.",
    "Check that evicted data is cache data; size maxmemory for the working set, or shorten TTLs.",
    checklist=4)
LOW_HIT_RATIO = _rule(
    "low-hit-ratio", Severity.MEDIUM, "Cache hit ratio below 0.8",
    "Most reads miss: the cache holds the wrong keys, expires them too soon, or is too small (evictions).",
    "Check TTLs against access patterns, key naming consistency between writer and reader, and evictions.",
    checklist=9)
REJECTED_CONNECTIONS = _rule(
    "rejected-connections", Severity.HIGH, "Connections rejected (maxclients reached)",
    "rejected_connections > 0: clients were turned away at maxclients, usually a client built per request or a pool with no upper bound.",
    "Share one pooled client per process (max 20 connections), find who opens connections (CLIENT LIST), and raise maxclients only after.",
    checklist=5)
CLIENTS_NEAR_MAX = _rule(
    "clients-near-max", Severity.HIGH, "connected_clients above 80% of maxclients",
    "Close to maxclients new connections will be refused.",
    "Bound the client pools (5-20 connections each), close idle connections (timeout), and find the biggest consumers in CLIENT LIST.",
    checklist=5)
FRAGMENTATION = _rule(
    "memory-fragmentation", Severity.MEDIUM, "High memory fragmentation",
    "RSS is well above what Redis uses (MEMORY DOCTOR's threshold: ratio > 1.4 and > 10 MiB wasted).",
    "Enable activedefrag (jemalloc builds), or restart/fail over during a quiet window; avoid churn of very different value sizes.",
    checklist=9)
NO_PERSISTENCE = _rule(
    "persistence-off", Severity.MEDIUM, "No persistence (no RDB snapshots, no AOF)",
    "A restart loses every key. Fine for a pure cache, not for queues, sessions or anything not rebuilt from a database.",
    "Enable RDB snapshots (save 3600 1 300 100 60 10000) and AOF (appendonly yes, appendfsync everysec) where the data matters.",
    checklist=10)
AOF_OFF = _rule(
    "aof-off", Severity.LOW, "RDB snapshots only, AOF off",
    "With RDB alone a crash loses everything written since the last snapshot (minutes).",
    "Turn on AOF (appendonly yes, appendfsync everysec) next to RDB if losing minutes of writes matters.",
    checklist=10)
PERSISTENCE_FAILING = _rule(
    "persistence-failing", Severity.HIGH, "Last RDB save or AOF write failed",
    "The last background save or AOF write did not succeed: backups are stale and, with stop-writes-on-bgsave-error, writes may be refused.",
    "Read the server log (disk space, permissions, fork failures from memory overcommit) and fix the cause.",
    checklist=10)
SLOWLOG_ENTRIES = _rule(
    "slowlog-entries", Severity.MEDIUM, "Slow log has entries",
    "Commands slower than slowlog-log-slower-than ran; each blocked every other client while it ran.",
    "Look at the commands listed: replace KEYS with SCAN, whole-collection reads with ranges/scans, big DELs with UNLINK.",
    checklist=9)
KEYS_IN_SLOWLOG = _rule(
    "keys-in-slowlog", Severity.HIGH, "KEYS in the slow log",
    "Someone runs KEYS against this instance: it blocks the server for the whole keyspace walk.",
    "Find the caller (client address in SLOWLOG GET) and move it to SCAN; deny it with ACL (-keys).",
    checklist=7)
LATENCY_MONITOR_OFF = _rule(
    "latency-monitor-off", Severity.LOW, "Latency monitor off",
    "latency-monitor-threshold is 0: LATENCY LATEST / DOCTOR have nothing to show when a spike happens.",
    "CONFIG SET latency-monitor-threshold 100 (milliseconds) and persist it.",
    checklist=9)
BIG_KEY = _rule(
    "big-key", Severity.MEDIUM, "Big key",
    "A big key (string > 100 KiB, hash > 5000 fields, set/list/zset > 1000 elements, or any key over 1 MiB of memory) makes every whole read or delete of it slow and unbalances Cluster slots.",
    "Split it (bucket by id hash), read it with ranges/scans, and delete it with UNLINK.",
    checklist=2)
OVER_ENCODING_LIMIT = _rule(
    "over-compact-encoding", Severity.LOW, "Collections just past the listpack/intset limits",
    "Keys just past hash/zset-max-listpack-entries or set-max-intset-entries (up to twice the limit) switch to the general encoding, which costs several times the memory. Keys far past it are big keys, not an encoding question.",
    "Raise the limit to the size given (the evidence says how many keys it converts and the memory it saves), or keep such collections under it.",
    checklist=2)
PEAK_MEMORY = _rule(
    "memory-peak-high", Severity.LOW, "Peak memory well above current use",
    "used_memory_peak is more than 1.5x used_memory (MEMORY DOCTOR's threshold): RSS and fragmentation figures reflect the peak, and the instance needed that much memory once.",
    "Find what filled memory at the peak (a big load, client buffers, a fork); size maxmemory for the peak, not the average.",
    checklist=8)
CLIENT_BUFFERS = _rule(
    "big-client-buffers", Severity.MEDIUM, "Client buffers are big",
    "Normal clients use more than 200 KiB of buffers each on average (MEMORY DOCTOR's threshold): big replies (whole-collection reads) or slow readers, such as pub/sub consumers or MONITOR.",
    "Find the clients in CLIENT LIST (omem, qbuf), read collections in ranges, and set client-output-buffer-limit.",
    checklist=5)
FSYNC_ALWAYS = _rule(
    "appendfsync-always", Severity.MEDIUM, "appendfsync always",
    "Every write waits for an fsync: the slowest AOF setting, and LATENCY DOCTOR's first advice for latency spikes.",
    "Use appendfsync everysec (at most one second of writes lost) unless every single write must survive a crash.",
    checklist=10)
SLOW_FORK = _rule(
    "slow-fork", Severity.MEDIUM, "Slow fork for RDB/AOF rewrite",
    "The last fork (latest_fork_usec) blocked the server for long: LATENCY DOCTOR warns past about 10 ms per GB (transparent huge pages, a VM without fast fork, a big dataset).",
    "Disable transparent huge pages (echo never > /sys/kernel/mm/transparent_hugepage/enabled), persist from a replica, or shrink the dataset.",
    checklist=10)
LATENCY_EVENTS = _rule(
    "latency-events", Severity.MEDIUM, "Latency monitor events",
    "The latency monitor recorded events over its threshold: expire or eviction cycles (mass expiry or eviction), big deletions (del/unlink of big keys), fork, AOF fsync.",
    "Spread expiries (add jitter to TTLs), delete big keys with UNLINK and lazyfree-lazy-* yes, size maxmemory for the working set; see LATENCY DOCTOR.",
    checklist=9)
COMMANDLOG_ENTRIES = _rule(
    "commandlog-large", Severity.MEDIUM, "Large requests or replies in the command log",
    "Valkey's COMMANDLOG recorded commands with large requests or large replies: whole-collection reads, huge values or multi-key calls that move megabytes through the event loop.",
    "Look at the commands listed: read collections in ranges (HSCAN, LRANGE with bounds), split big values, batch smaller.",
    checklist=9)
CACHE_NO_TTL = _rule(
    "cache-keys-without-ttl", Severity.MEDIUM, "Cache-like namespace with keys without TTL",
    "Keys in a cache/session namespace without a TTL never expire: orphan data that only eviction can remove.",
    "Set a TTL on every write of these keys (SET ... EX), and expire the existing ones.",
    checklist=3)
KEYS_NO_TTL = _rule(
    "keys-without-ttl", Severity.LOW, "Namespace with no TTL at all",
    "No key in this namespace expires. Right for primary data; for cache data it is a leak.",
    "If it is cache data, set a TTL on every write; if it is primary data, make sure the eviction policy cannot drop it.",
    checklist=3)
NO_NAMESPACE = _rule(
    "keys-without-namespace", Severity.INFO, "Keys without a namespace prefix",
    "Keys with no service:entity: prefix cannot be told apart, scanned or expired by namespace.",
    "Name keys {service}:{entity}:{id}[:{field}].",
    checklist=1)
NOPASS_USER = _rule(
    "nopass-user", Severity.HIGH, "ACL user with no password",
    "An enabled ACL user with nopass: anyone who can reach the port gets that user's rights.",
    "Give the user a password (ACL SETUSER name on >password resetpass... then drop nopass) or disable it; set requirepass for the default user.",
    section="Security")
REPLICATION_LINK = _rule(
    "replication-link-down", Severity.HIGH, "Replication link down",
    "A replica is not in sync with its primary: failover would lose data and reads from it are stale.",
    "Check the network between the nodes, repl-backlog-size, and the server logs on both sides.",
    checklist=10)
NO_REPLICA = _rule(
    "single-point-of-failure", Severity.LOW, "Standalone primary with no replica",
    "One node holds everything: its failure is an outage and maybe data loss.",
    "Add a replica with Sentinel, or use Cluster, if the data or the uptime matters.",
    section=ANTI_PATTERNS)
CACHED_SCRIPTS = _rule(
    "many-cached-scripts", Severity.LOW, "More than 10 scripts in the script cache",
    "Many cached scripts usually mean scripts built per call (values pasted into the source): the cache grows without bound.",
    "Keep scripts constant, pass values in ARGV, and call them with EVALSHA (or use Functions).",
    section=LUA_RULES)

RULES = [MAXMEMORY_UNSET, MEMORY_NEAR_LIMIT, NOEVICTION_CACHE, VOLATILE_FEW_TTL, EVICTIONS, LOW_HIT_RATIO,
         REJECTED_CONNECTIONS, CLIENTS_NEAR_MAX, FRAGMENTATION, NO_PERSISTENCE, AOF_OFF, PERSISTENCE_FAILING,
         SLOWLOG_ENTRIES, KEYS_IN_SLOWLOG, LATENCY_MONITOR_OFF, BIG_KEY, OVER_ENCODING_LIMIT, CACHE_NO_TTL,
         KEYS_NO_TTL, NO_NAMESPACE, NOPASS_USER, REPLICATION_LINK, NO_REPLICA, CACHED_SCRIPTS, PEAK_MEMORY,
         CLIENT_BUFFERS, FSYNC_ALWAYS, SLOW_FORK, LATENCY_EVENTS, COMMANDLOG_ENTRIES]

CACHE_LIKE = re.compile(r"(?i)cache|session|tmp|temp|throttle|rate|otp|token")
FRAGMENTATION_RATIO = 1.4
FRAGMENTATION_BYTES = 10 * 1024 * 1024
DOCTOR_MIN_USED = 5 * 1024 * 1024
MIN_READS_FOR_HIT_RATIO = 100
MAX_NAMESPACE_FINDINGS = 10
MAX_BIG_KEY_FINDINGS = 10
PEAK_RATIO = 1.5
CLIENT_BUFFER_BYTES = 200 * 1024
FORK_MS_PER_GB = 10
FORK_MIN_MS = 50
BIG_BY_MEMORY_UNREAD = 100 * 1024  # any key of a server whose lengths were not read (no NO-TOUCH)
SLOWLOG_ENTRIES_READ = 1000  # the allowlist's ceiling for SLOWLOG GET


@dataclass
class LiveResult:
    target: str
    findings: list[Finding] = field(default_factory=list)
    overview: dict[str, Any] | None = None
    keyspace: dict[str, Any] | None = None
    slowlog: dict[str, Any] | None = None
    gated: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # the instance could not be inspected at all

    def add(self, rule: Rule, target: str, evidence: str, message: str | None = None) -> None:
        self.findings.append(make_finding(rule, message=message, target=target, evidence=evidence))


def _mb(n: float | int | None) -> str:
    from ask_redis.live.inspection import human_bytes

    return human_bytes(n)


def check_overview(result: LiveResult, data: dict[str, Any], keyspace: dict[str, Any] | None) -> None:
    for node in data["nodes"]:
        name = node["node"]
        memory, stats, clients = node["memory"], node["stats"], node["clients"]
        persistence, replication = node["persistence"], node["replication"]
        keys = sum(db.get("keys", 0) for db in node["keyspace"].values())
        expires = sum(db.get("expires", 0) for db in node["keyspace"].values())
        policy = memory["policy"] or "?"

        if not memory["maxmemory_bytes"]:
            result.add(MAXMEMORY_UNSET, name, f"maxmemory 0 (unset), used {_mb(memory['used_bytes'])}")
        elif memory["used_of_max"] is not None and memory["used_of_max"] > 0.8:
            result.add(MEMORY_NEAR_LIMIT, name, f"used {_mb(memory['used_bytes'])} of maxmemory "
                       f"{_mb(memory['maxmemory_bytes'])} ({memory['used_of_max']:.0%})")

        cache_like = _cache_like_namespaces(keyspace)
        if policy == "noeviction" and keys and (cache_like or expires / keys >= 0.5):
            why = f"cache-like namespaces: {', '.join(cache_like[:5])}" if cache_like else f"{expires} of {keys} keys have a TTL"
            result.add(NOEVICTION_CACHE, name, f"maxmemory-policy noeviction; {why}")
        if policy.startswith("volatile-") and keys and expires / keys < 0.5:
            result.add(VOLATILE_FEW_TTL, name, f"maxmemory-policy {policy}; only {expires} of {keys} keys have a TTL")
        if stats["evicted_keys"]:
            result.add(EVICTIONS, name, f"evicted_keys {stats['evicted_keys']} (policy {policy})")
        reads = (stats["hits"] or 0) + (stats["misses"] or 0)
        if stats["hit_ratio"] is not None and reads >= MIN_READS_FOR_HIT_RATIO and stats["hit_ratio"] < 0.8:
            result.add(LOW_HIT_RATIO, name, f"hit ratio {stats['hit_ratio']:.2f} ({stats['hits']} hits, {stats['misses']} misses)")
        if stats["rejected_connections"]:
            result.add(REJECTED_CONNECTIONS, name, f"rejected_connections {stats['rejected_connections']}")
        if clients["max"] and clients["connected"] and clients["connected"] / clients["max"] > 0.8:
            result.add(CLIENTS_NEAR_MAX, name, f"{clients['connected']} connected of maxclients {clients['max']}")

        ratio, wasted = memory["fragmentation_ratio"], memory["fragmentation_bytes"] or 0
        # MEMORY DOCTOR says nothing about an instance under 5 MB: its RSS is mostly the allocator's floor.
        if ratio and ratio > FRAGMENTATION_RATIO and wasted > FRAGMENTATION_BYTES and (memory["used_bytes"] or 0) >= DOCTOR_MIN_USED:
            result.add(FRAGMENTATION, name, f"mem_fragmentation_ratio {ratio:.2f}, {_mb(wasted)} wasted")

        rdb_on = bool((persistence["save"] or "").strip())
        if persistence["rdb_last_bgsave_status"] not in (None, "ok") or persistence["aof_last_write_status"] not in (None, "ok"):
            result.add(PERSISTENCE_FAILING, name, f"last bgsave {persistence['rdb_last_bgsave_status']}, "
                       f"last AOF write {persistence['aof_last_write_status']}")
        if not rdb_on and not persistence["aof_enabled"]:
            result.add(NO_PERSISTENCE, name, "save '' and appendonly no")
        elif rdb_on and not persistence["aof_enabled"]:
            result.add(AOF_OFF, name, f"save '{persistence['save']}', appendonly no")

        if not node["latency_monitor_threshold_ms"]:
            result.add(LATENCY_MONITOR_OFF, name, "latency-monitor-threshold 0")
        if node["nopass_users"] is None:
            result.notes.append(f"{name}: ACL LIST not permitted or not supported: nopass users unknown")
        for user in node["nopass_users"] or []:
            result.add(NOPASS_USER, f"{name} user {user}", f"ACL user {user!r} is on with nopass")
        if replication.get("link_status") not in (None, "up"):
            result.add(REPLICATION_LINK, name, f"replica of {replication.get('master')}: link {replication.get('link_status')}, "
                       f"last io {replication.get('last_io_seconds_ago')} s ago")
        for replica in replication.get("replicas", []):
            if replica.get("state") != "online":
                result.add(REPLICATION_LINK, f"{name} replica {replica.get('addr')}", f"replica state {replica.get('state')}")
        if data["mode"] == "standalone" and node["role"] == "master" and not replication.get("connected_replicas"):
            result.add(NO_REPLICA, name, "role master, 0 connected replicas, not Cluster or Sentinel")
        if (node["cached_scripts"] or 0) > 10:
            result.add(CACHED_SCRIPTS, name, f"number_of_cached_scripts {node['cached_scripts']}")
        used, peak = memory["used_bytes"] or 0, memory["peak_bytes"] or 0
        if used >= DOCTOR_MIN_USED and peak > PEAK_RATIO * used:
            result.add(PEAK_MEMORY, name, f"used_memory_peak {_mb(peak)} is {peak / used:.1f}x used_memory {_mb(used)}")
        buffers, connected = memory.get("clients_normal_bytes") or 0, clients["connected"] or 0
        if connected and buffers / connected > CLIENT_BUFFER_BYTES:
            result.add(CLIENT_BUFFERS, name, f"mem_clients_normal {_mb(buffers)} over {connected} clients "
                       f"({_mb(buffers / connected)} each)")
        if persistence["aof_enabled"] and persistence["appendfsync"] == "always":
            result.add(FSYNC_ALWAYS, name, "appendonly yes, appendfsync always")
        fork_ms = (node.get("latest_fork_usec") or 0) / 1000
        gigabytes = max(used / (1 << 30), 0.1)
        if fork_ms > FORK_MIN_MS and fork_ms / gigabytes > FORK_MS_PER_GB:
            result.add(SLOW_FORK, name, f"latest_fork_usec {fork_ms:.0f} ms for {_mb(used)} "
                       f"({fork_ms / gigabytes:.0f} ms per GB)")


def _cache_like_namespaces(keyspace: dict[str, Any] | None) -> list[str]:
    if not keyspace:
        return []
    return [ns["pattern"] for ns in keyspace["namespaces"] if CACHE_LIKE.search(ns["pattern"])]


def _size(row: dict[str, Any]) -> str:
    if row["length"] is None:
        return f"{_mb(row['memory'])} (MEMORY USAGE; length not read)"
    size = _mb(row["length"]) if row["type"] == "string" else f"{row['length']} elements"
    return f"{size}, {_mb(row['memory'])}"


def check_keyspace(result: LiveResult, data: dict[str, Any]) -> None:
    thresholds = data["big_key_thresholds"]
    by_memory = data.get("big_key_bytes", 1 << 20) if data.get("lengths_read", True) else BIG_BY_MEMORY_UNREAD
    big: dict[tuple[str, str], dict[str, Any]] = {}
    for row in [r for rows in data["top_length"].values() for r in rows] + data["top_memory"]:
        over = row["length"] is not None and row["length"] > thresholds.get(row["type"], 1 << 62)
        if over or row["memory"] > by_memory:
            big[(row["node"], row["key"])] = row
    rows = sorted(big.values(), key=lambda r: -r["memory"])
    for row in rows[:MAX_BIG_KEY_FINDINGS]:
        outside = "; found by the search, outside the sample" if row.get("found_by") else ""
        result.add(BIG_KEY, row["key"], f"{row['type']} {_size(row)} ({row['node']}){outside}")
    extra = sum(data["big_keys"].values()) - len(rows[:MAX_BIG_KEY_FINDINGS])
    if extra > 0:
        result.notes.append(f"{extra} more big keys in the sample than listed")
    for kind, report in data["limit_report"].items():
        if report.get("raise_to"):  # only keys just past the limit: far past it they are big keys
            limit_name = {"hash": "hash-max-listpack-entries", "zset": "zset-max-listpack-entries",
                          "set": "set-max-listpack-entries"}.get(kind, f"{kind} limit")
            result.add(OVER_ENCODING_LIMIT, f"{kind} keys",
                       f"{report['just_over_limit']} sampled {kind} keys are just over {limit_name} "
                       f"{report['entries_limit']}: raising it to {report['raise_to']} converts "
                       f"{report['raise_converts']} of them and saves about {_mb(report['raise_saves_bytes'])} "
                       f"(x{data.get('scale', 1.0):.1f} for the whole keyspace)")

    no_ttl = [ns for ns in data["namespaces"] if ns["keys"] and ns["with_ttl"] == 0 and ns["pattern"] != "(no prefix)"]
    no_ttl.sort(key=lambda ns: (-bool(CACHE_LIKE.search(ns["pattern"])), -ns["keys"]))
    for ns in no_ttl[:MAX_NAMESPACE_FINDINGS]:
        rule = CACHE_NO_TTL if CACHE_LIKE.search(ns["pattern"]) else KEYS_NO_TTL
        result.add(rule, ns["pattern"], f"{ns['keys']} sampled keys, {_mb(ns['bytes'])}, none with a TTL")
    bare = next((ns for ns in data["namespaces"] if ns["pattern"] == "(no prefix)"), None)
    if bare and data["sampled"]:
        result.add(NO_NAMESPACE, "(no prefix)", f"{bare['keys']} of {data['sampled']} sampled keys have no ':' prefix")


def _keyspace_notes(data: dict[str, Any]) -> list[str]:
    """What the review says about its own sample: touches, memory explained, the search, what it added."""
    from ask_redis.live.inspection import human_bytes

    notes = list(data.get("notes", []))
    for node in data["nodes"]:
        memory = node.get("memory")
        if memory:
            margin = f" ± {human_bytes(memory['margin_bytes'])}" if memory["margin_bytes"] else ""
            notes.append(f"{node['node']}: {node['sampled']} of {node['dbsize']} keys sampled"
                         f"{' (spread over the cursor space)' if node.get('spread') else ''}; they add up to "
                         f"{human_bytes(memory['estimate_bytes'])}{margin} of used_memory_dataset "
                         f"{human_bytes(memory['dataset_bytes'])}")
        search = node.get("search")
        if search:
            notes.append(f"{node['node']}: searched the rest because {search['reason']}: {search['walked']} more "
                         f"keys, {search['found']} found holding {human_bytes(search['found_bytes'])}")
    added = data.get("inspection_added")
    if added:
        notes.append(f"the sample added {added['hits']} keyspace hits, {added['misses']} misses and "
                     f"{sum(added['calls'].values())} calls to the server's counters (every key read but MEMORY USAGE "
                     "counts as a hit); the figures above were read before it, and later inspections from here "
                     "subtract them")
    return notes


def check_gated(result: LiveResult, data: dict[str, Any]) -> None:
    """Findings from the version-gated reads; what the server lacks becomes one note per node."""
    for node in data["nodes"]:
        name = node["node"]
        if node["events"]:
            worst = sorted(node["events"], key=lambda e: -e["max_ms"])[:5]
            result.add(LATENCY_EVENTS, name, ", ".join(f"{e['event']} max {e['max_ms']} ms (latest {e['latest_ms']} ms)"
                                                       for e in worst))
        for kind, commands in node["commandlog"].items():
            if commands:
                top = ", ".join(f"{c} x{n}" for c, n in sorted(commands.items(), key=lambda i: -i[1])[:5])
                result.add(COMMANDLOG_ENTRIES, name, f"COMMANDLOG {kind}: {sum(commands.values())} entries: {top}")
        if node["skipped"]:
            result.notes.append(f"{name}: skipped, not on this server: {'; '.join(node['skipped'])}")


def check_slowlog(result: LiveResult, data: dict[str, Any]) -> None:
    commands = data["commands"]
    if not commands:
        return
    total = sum(g["count"] for g in commands.values())
    top = ", ".join(f"{name} x{g['count']} (max {g['max_us'] / 1000:.1f} ms)" for name, g in list(commands.items())[:5])
    where = ", ".join(n["node"] for n in data.get("nodes", [])) or "instance"
    result.add(SLOWLOG_ENTRIES, where, f"{total} slow entries: {top}")
    if "keys" in commands:
        g = commands["keys"]
        result.add(KEYS_IN_SLOWLOG, where, f"KEYS x{g['count']}, max {g['max_us'] / 1000:.1f} ms, from "
                   + ", ".join(c or "?" for c in list(g["clients"])[:3]))


def inspect(url: str, budget: int = 10_000) -> LiveResult:
    """Run the live rules against `url`. Never raises for Redis trouble: `error` / `notes` say what was missed."""
    from ask_redis.live import inspection as redis_inspect
    from ask_redis.live.conn import RedisConnError, connect, display_url
    from ask_redis.live.safety import RefusedCommand

    result = LiveResult(display_url(url))
    try:
        conn = connect(url)
    except RedisConnError as error:
        result.error = str(error)
        return result
    with conn:
        result.target = conn.display
        # Observe before disturbing: the key sample's reads count as keyspace hits and land in a slow
        # log that logs everything, so the slow log and INFO are read first.
        try:
            result.slowlog = redis_inspect.slowlog(conn, SLOWLOG_ENTRIES_READ)
        except (RedisConnError, RefusedCommand) as error:
            result.notes.append(f"slow log not read: {error}")
        try:
            result.overview = redis_inspect.overview(conn)
        except (RedisConnError, RefusedCommand) as error:
            result.error = f"overview failed: {error}"
            return result
        try:
            result.gated = redis_inspect.version_gated(conn)
        except (RedisConnError, RefusedCommand) as error:
            result.notes.append(f"version-specific reads failed: {error}")
        try:
            result.keyspace = redis_inspect.sample_keyspace(conn, budget)
        except (RedisConnError, RefusedCommand) as error:
            result.notes.append(f"keyspace sample failed: {error}")
    for node in result.overview["nodes"]:
        excluded = node["stats"].get("excluded") or {}
        if excluded.get("calls"):
            result.notes.append(f"{node['node']}: hit ratio and command counts are without {excluded['hits']} hits, "
                                f"{excluded['misses']} misses and {excluded['calls']} calls that earlier ask-redis "
                                "inspections from this machine added to this server run")
    if result.keyspace is not None:
        result.notes.extend(_keyspace_notes(result.keyspace))
    if result.gated is not None:
        check_gated(result, result.gated)
    check_overview(result, result.overview, result.keyspace)
    if result.keyspace is not None:
        check_keyspace(result, result.keyspace)
    if result.slowlog is not None:
        check_slowlog(result, result.slowlog)
    order = {r.id: i for i, r in enumerate(RULES)}
    result.findings.sort(key=lambda f: (-f.severity, order.get(f.rule_id, 0)))
    return result

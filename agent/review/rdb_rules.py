"""The whole keyspace from an RDB dump: the live sample's shapes, exact, at no cost to the server.

`analyze(path)` reads the dump once (ask_redis.live.rdb) and returns the dict that
`ask_redis.live.inspection.sample_keyspace` returns for a live sample (namespaces, types, TTL
buckets, top keys, encodings against the listpack/intset limits, big keys), counted over every
key, plus what only a dump has: per-database counts, what raising a limit would convert, LRU
idle / LFU histograms, functions, modules and aux fields. `review(path)` runs the keyspace rules
on it. Key names, sizes and shapes only: values are never read into the result.

The namespace list, `data["namespaces"]`, is what joins to the code's key families: one dict per
pattern (ids folded to `*`, as in the live sample), sorted by estimated memory:
    {"pattern": "user:*:profile", "keys": int, "bytes": int (estimated in memory),
     "serialized_bytes": int, "with_ttl": int, "types": {"hash": int, ...}, "dbs": [0, ...]}
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import os
from dataclasses import dataclass, field
from typing import Any

from ask_redis.live import rdb as rdb_reader
from ask_redis.live.inspection import BIG_KEY, TTL_BUCKETS, _Tally, human_bytes, human_seconds
from ask_redis.redact import redact
from ask_redis.review import live_rules
from ask_redis.review.findings import ANTI_PATTERNS, Finding, Rule, Severity, make_finding

# The servers' defaults: a dump does not carry its server's config. `limits=` overrides them
# (a live CONFIG GET, when the instance is at hand).
DEFAULT_LIMITS = {"hash_entries": 128, "hash_value": 64, "set_intset_entries": 512, "set_listpack_entries": 128,
                  "set_value": 64, "zset_entries": 128, "zset_value": 64}
IDLE_BUCKETS = (("< 1 h", 3600), ("1 h - 1 d", 86400), ("1 d - 7 d", 7 * 86400), ("7 d - 30 d", 30 * 86400),
                (">= 30 d", None))
FREQ_BUCKETS = (("0", 1), ("1-4", 5), ("5-31", 32), ("32-127", 128), ("128-255", None))
IDLE_WITHOUT_TTL_SECONDS = 30 * 86400
_COMPACT = {"hash": ("listpack", "ziplist", "zipmap"), "zset": ("listpack", "ziplist"), "set": ("intset", "listpack"),
            "list": ("listpack", "ziplist")}

MULTIPLE_DBS = Rule(
    "multiple-databases", Severity.INFO, ("redis",), "Keys in more than one logical database",
    "Numbered databases share one server's memory, eviction and latency; Cluster has only database 0, "
    "and many clients and tools look at db 0 alone.",
    "Use key prefixes (or separate instances) instead of SELECT n.", section=ANTI_PATTERNS, live=True)
IDLE_NO_TTL = Rule(
    "idle-keys-without-ttl", Severity.LOW, ("redis",), "Keys untouched for 30 days with no TTL",
    "The dump's LRU data says these keys have not been read or written for a month and nothing expires them: "
    "orphans of old code paths or of a missing TTL.",
    "Find the writer of the namespace; add a TTL on write, or delete the stale keys with SCAN + UNLINK.",
    checklist=3, live=True)
RULES = [MULTIPLE_DBS, IDLE_NO_TTL]


def _alloc(n: int) -> int:
    """jemalloc's size class for an n-byte allocation (8, 16, 32, 48, ... 4 classes per doubling)."""
    if n <= 8:
        return 8
    if n <= 128:
        return (n + 15) & ~15
    step = 1 << (n.bit_length() - 3)
    return (n + step - 1) & ~(step - 1)


def estimate_memory(e: rdb_reader.Entry) -> int:
    """Approximate bytes the key takes in a server's memory (the MEMORY USAGE idea; an estimate, not
    the allocator's exact figure): dict entry, key, expiry entry, object, and the value's structure."""
    key = 32 + _alloc(len(e.key) + 4) + 8 + (40 if e.expire_ms is not None else 0)
    n = e.length or 0
    kind, encoding = e.type, e.encoding
    if kind == "string":
        if encoding == "int":
            return key + 16
        if encoding == "embstr":
            return key + _alloc(20 + n)
        return key + 16 + _alloc(n + (4 if n < 256 else 6 if n < 65536 else 10))
    if encoding in ("listpack", "ziplist", "intset", "zipmap"):
        return key + 16 + _alloc(e.element_bytes)
    if encoding == "quicklist":
        return key + 16 + 48 + e.nodes * 48 + e.element_bytes
    if kind == "hash":
        return key + 16 + 64 + _alloc(8 * n) + n * (32 + 2 * 8) + e.element_bytes + e.field_ttls * 16
    if kind == "set":
        return key + 16 + 64 + _alloc(8 * n) + n * (32 + 8) + e.element_bytes
    if kind == "zset":
        return key + 16 + 64 + 48 + _alloc(8 * n) + n * (32 + 64 + 8) + e.element_bytes
    if kind == "list":  # linkedlist, from old dumps
        return key + 16 + 48 + n * (32 + 16) + e.element_bytes
    if kind == "stream":
        return key + 16 + 64 + e.nodes * 64 + e.element_bytes + e.groups * 128 + e.consumers * 96 + e.pending * 96
    return key + e.size  # a module value: its serialized size is the best figure there is


_ALLOC = [_alloc(n) for n in range(4100)]
BIG_STRING = BIG_KEY["string"]
_TTL_LIMITS = [limit for _, limit in TTL_BUCKETS if limit is not None]
_IDLE_LIMITS = [limit for _, limit in IDLE_BUCKETS if limit is not None]
_FREQ_LIMITS = [limit for _, limit in FREQ_BUCKETS if limit is not None]


def _entries_limit(kind: str, limits: dict[str, int]) -> int | None:
    return {"hash": limits.get("hash_entries"), "zset": limits.get("zset_entries"),
            "set": limits.get("set_listpack_entries") or limits.get("set_intset_entries")}.get(kind)


def _value_limit(kind: str, limits: dict[str, int]) -> int | None:
    return {"hash": limits.get("hash_value"), "zset": limits.get("zset_value"), "set": limits.get("set_value")}.get(kind)


def analyze(path: str | os.PathLike, *, limits: dict[str, int] | None = None, separator: str = ":",
            depth: int = 3, top: int = 10) -> dict[str, Any]:
    """Read the whole dump at `path` and tally it into the live keyspace sample's shape (see the module
    doc). Raises rdb.RdbError with a one-line message for a file that cannot be read."""
    limits = dict(DEFAULT_LIMITS, **(limits or {}))
    summary = rdb_reader.Summary(os.fspath(path))
    tally = _Tally(top, separator.encode(), depth)
    namespace = tally.namespace
    namespaces: dict[str, list] = {}   # pattern -> [keys, memory, serialized, with_ttl, {type: keys}, {db}]
    types: dict[str, list[int]] = {}
    dbs: dict[int, list[int]] = {}     # db -> [keys, with_ttl]
    encodings: dict[tuple[str, str], int] = {}
    ttl_counts = [0] * len(TTL_BUCKETS)
    idle_counts = [0] * len(IDLE_BUCKETS)
    freq_counts = [0] * len(FREQ_BUCKETS)
    idle_no_ttl: dict[str, int] = {}
    top_memory: list = []
    order = itertools.count()  # a damaged file can repeat a key: the tie never reaches the dicts
    top_length: dict[str, list] = {}
    big: dict[str, int] = {}
    field_ttl_keys = field_ttls = expired = no_ttl = keys = 0
    streams = {"keys": 0, "groups": 0, "consumers": 0, "pending": 0}
    # Per compact-capable type: keys near the entries limit, keys over it, general-encoded keys under it
    # (a long element or a non-integer set member), and the general-encoded keys raising the limits would
    # bring back: candidates[kind] = [(length, longest element, memory)] kept bounded by MAX_CANDIDATES.
    limit_rows: dict[str, list[int]] = {}
    candidates: dict[str, list[tuple[int, int, int]]] = {}
    MAX_CANDIDATES = 200_000
    ctime_ms = None
    memory_floor = -1

    memo = tally._memo
    memo_ok = tally._memo_ok
    zero_digits = bytes.maketrans(b"123456789", b"000000000")
    alloc = _ALLOC
    last_db, d = None, None
    length_floor: dict[str, int] = {}
    for e in rdb_reader.read(path, summary):
        keys += 1
        kind, encoding, length, key, expire = e.type, e.encoding, e.length, e.key, e.expire_ms
        if kind == "string":  # estimate_memory's string case, inline: most keys of most dumps are strings
            memory = 40 + (alloc[len(key) + 4] if len(key) < 4000 else _alloc(len(key) + 4)) + (40 if expire is not None else 0)
            memory += 16 if encoding == "int" else alloc[20 + length] if encoding == "embstr" else \
                16 + _alloc(length + (4 if length < 256 else 6 if length < 65536 else 10))
        else:
            memory = estimate_memory(e)
        t = types.get(kind)
        if t is None:
            t = types[kind] = [0, 0, 0]
        t[0] += 1
        t[1] += memory
        t[2] += e.size
        pattern = memo.get(key.translate(zero_digits)) if memo_ok else None
        if pattern is None:
            pattern = namespace(key)
        ns = namespaces.get(pattern)
        if ns is None:
            if len(namespaces) >= _Tally.MAX_NAMESPACES:
                pattern = "(other namespaces)"
                ns = namespaces.get(pattern)
            if ns is None:
                ns = namespaces[pattern] = [0, 0, 0, 0, {}, set()]
        ns[0] += 1
        ns[1] += memory
        ns[2] += e.size
        counts = ns[4]
        counts[kind] = counts.get(kind, 0) + 1
        if e.db != last_db:
            last_db = e.db
            d = dbs.get(last_db)
            if d is None:
                d = dbs[last_db] = [0, 0]
        if last_db not in ns[5]:
            ns[5].add(last_db)
        d[0] += 1
        pttl = -1
        if expire is not None:
            if ctime_ms is None:
                ctime_ms = int(summary.aux.get("ctime", "0") or 0) * 1000
            ns[3] += 1
            d[1] += 1
            pttl = expire - ctime_ms if ctime_ms else 0
            if pttl <= 0:
                expired += 1
                pttl = 0
            ttl_counts[bisect.bisect_right(_TTL_LIMITS, pttl)] += 1
        else:
            no_ttl += 1
        if e.idle is not None:
            idle_counts[bisect.bisect_right(_IDLE_LIMITS, e.idle)] += 1
            if expire is None and e.idle >= IDLE_WITHOUT_TTL_SECONDS:
                idle_no_ttl[pattern] = idle_no_ttl.get(pattern, 0) + 1
        if e.freq is not None:
            freq_counts[bisect.bisect_right(_FREQ_LIMITS, e.freq)] += 1
        pair = (kind, encoding)
        encodings[pair] = encodings.get(pair, 0) + 1
        if memory > memory_floor:
            info = {"node": f"db{e.db}", "type": kind, "memory": memory, "serialized": e.size, "length": length,
                    "encoding": encoding, "pttl": pttl}
            (heapq.heappush if len(top_memory) < top else heapq.heapreplace)(top_memory, (memory, key, next(order), info))
            memory_floor = top_memory[0][0] if len(top_memory) >= top else -1
        if length is None:
            continue
        if length > length_floor.get(kind, -1):
            heap = top_length.setdefault(kind, [])
            info = {"node": f"db{e.db}", "type": kind, "memory": memory, "serialized": e.size, "length": length,
                    "encoding": encoding, "pttl": pttl}
            (heapq.heappush if len(heap) < top else heapq.heapreplace)(heap, (length, key, next(order), info))
            length_floor[kind] = heap[0][0] if len(heap) >= top else -1
        if kind == "string":
            if length > BIG_STRING:
                big[kind] = big.get(kind, 0) + 1
            continue
        if length > BIG_KEY.get(kind, 1 << 62):
            big[kind] = big.get(kind, 0) + 1
        if e.field_ttls:
            field_ttl_keys += 1
            field_ttls += e.field_ttls
        if kind == "stream":
            streams["keys"] += 1
            streams["groups"] += e.groups
            streams["consumers"] += e.consumers
            streams["pending"] += e.pending
        compact = _COMPACT.get(kind)
        limit = _entries_limit(kind, limits) if compact else None
        if limit:
            rows = limit_rows.get(kind)
            if rows is None:
                rows = limit_rows[kind] = [0, 0, 0]
            if encoding in compact:
                if length >= 0.8 * limit:
                    rows[0] += 1
            else:
                rows[1 if length > limit else 2] += 1
                found = candidates.setdefault(kind, [])
                # hashes with field TTLs stay general whatever the limits (Valkey 9)
                if length > limit and not e.field_ttls and len(found) < MAX_CANDIDATES:
                    found.append((length, e.max_element, memory))

    def described(rows: list) -> list[dict[str, Any]]:
        return [dict(info, key=key.decode("utf-8", "backslashreplace")) for _, key, _, info in sorted(rows, reverse=True)]

    by_kind: dict[str, dict[str, int]] = {}
    for (kind, encoding), count in sorted(encodings.items()):
        by_kind.setdefault(kind, {})[encoding] = count
    ns_list = [{"pattern": p, "keys": v[0], "bytes": v[1], "serialized_bytes": v[2], "with_ttl": v[3],
                "types": dict(sorted(v[4].items(), key=lambda i: -i[1])), "dbs": sorted(v[5])}
               for p, v in namespaces.items()]
    ns_list.sort(key=lambda n: (-n["bytes"], n["pattern"]))
    limit_report = {}
    for kind, (near, over, below) in limit_rows.items():
        limit_report[kind] = {"entries_limit": _entries_limit(kind, limits), "near_limit": near, "over_limit": over,
                              "converted_below_limit": below,
                              "raising": _raising(kind, candidates.get(kind, []), limits)}
    return {
        "source": "rdb",
        "file": {"path": summary.path, "bytes": summary.file_bytes, "version": summary.version, "magic": summary.magic,
                 "compressed": summary.compressed, "checksum": summary.checksum},
        "server": {k: summary.aux[k] for k in ("redis-ver", "valkey-ver", "redis-bits", "ctime", "used-mem")
                   if k in summary.aux},
        "nodes": [{"node": f"db{db}", "dbsize": v[0], "sampled": v[0], "complete": True, "keys_with_ttl": v[1]}
                  for db, v in sorted(dbs.items())],
        "sampled": keys,
        "dbsize": keys,
        "complete": True,
        "scale": 1.0,
        "match": None,
        "type_filter": None,
        "types": {k: {"keys": v[0], "bytes": v[1], "serialized_bytes": v[2]}
                  for k, v in sorted(types.items(), key=lambda i: -i[1][1])},
        "namespaces": ns_list,
        "ttl_buckets": dict({name: c for (name, _), c in zip(TTL_BUCKETS, ttl_counts)}, **{"no TTL": no_ttl}),
        "expired_in_dump": expired,
        "top_memory": described(top_memory),
        "top_length": {k: described(v) for k, v in top_length.items()},
        "encodings": by_kind,
        "limits": limits,
        "limits_source": "defaults" if limits == DEFAULT_LIMITS else "given",
        "limit_report": limit_report,
        "big_keys": big,
        "big_key_thresholds": BIG_KEY,
        "vanished": 0,
        "errors": {},
        "no_touch": True,
        "idle_buckets": {name: c for (name, _), c in zip(IDLE_BUCKETS, idle_counts)} if any(idle_counts) else None,
        "freq_buckets": {name: c for (name, _), c in zip(FREQ_BUCKETS, freq_counts)} if any(freq_counts) else None,
        "idle_without_ttl": dict(sorted(idle_no_ttl.items(), key=lambda i: -i[1])[:50]),
        "hash_field_ttls": {"keys": field_ttl_keys, "fields": field_ttls},
        "streams": streams,
        "functions": summary.functions,
        "module_aux": summary.module_aux,
        "other_aux": summary.other_aux,
        "resize_hints": {f"db{db}": {"keys": k, "expires": x} for db, (k, x) in summary.resize_hints.items()},
        "notes": summary.notes,
    }


def _raising(kind: str, rows: list[tuple[int, int, int]], limits: dict[str, int]) -> list[dict[str, int]]:
    """For 2x, 4x and 8x the entries limit: how many of the keys over it would load compact (their
    elements within the value limit) and their estimated memory today."""
    limit, value = _entries_limit(kind, limits), _value_limit(kind, limits)
    if not limit or not rows:
        return []
    out = []
    for factor in (2, 4, 8):
        new = limit * factor
        fit = [(n, m) for n, longest, m in rows if n <= new and (value is None or longest <= value)]
        out.append({"entries_limit": new, "keys": len(fit), "memory": sum(m for _, m in fit)})
    return out


def format_analysis(data: dict[str, Any], namespaces: int = 25) -> str:
    """Compact text of `analyze()`: counts, sizes and shapes; never values."""
    f = data["file"]
    server = data["server"]
    made_by = f"valkey {server['valkey-ver']}" if "valkey-ver" in server else \
        f"redis {server['redis-ver']}" if "redis-ver" in server else "unknown server"
    lines = [f"dump {f['path']}: {human_bytes(f['bytes'])}, {f['magic']} RDB {f['version']}, written by {made_by}, "
             f"checksum {f['checksum']}" + (f", {f['compressed']}-compressed" if f["compressed"] else "")]
    keys = data["sampled"]
    lines.append(f"keys: {keys} (every key in the dump) in " + ", ".join(
        f"{n['node']} {n['dbsize']} ({n['keys_with_ttl']} with TTL)" for n in data["nodes"]) if data["nodes"] else "keys: 0")
    lines.append("types: " + (", ".join(f"{k} {v['keys']} keys / {human_bytes(v['bytes'])} est. in memory / "
                                        f"{human_bytes(v['serialized_bytes'])} serialized"
                                        for k, v in data["types"].items()) or "none"))
    with_ttl = keys - data["ttl_buckets"]["no TTL"]
    buckets = ", ".join(f"{k} {v}" for k, v in data["ttl_buckets"].items() if v)
    share = f"{100 * with_ttl / keys:.1f}%" if keys else "0%"
    lines.append(f"TTL (from the dump's save time): {with_ttl} of {keys} keys ({share}) have one; buckets: {buckets or 'none'}"
                 + (f"; {data['expired_in_dump']} already expired when saved" if data["expired_in_dump"] else ""))
    lines.append(f"namespaces (pattern: keys, est. memory, serialized, TTL coverage), top {namespaces} of "
                 f"{len(data['namespaces'])}:")
    for ns in data["namespaces"][:namespaces]:
        kinds = ", ".join(f"{k} {v}" for k, v in ns["types"].items())
        lines.append(f"  {ns['pattern']}: {ns['keys']} keys, {human_bytes(ns['bytes'])}, "
                     f"{human_bytes(ns['serialized_bytes'])} serialized, {100 * ns['with_ttl'] / ns['keys']:.0f}% with TTL"
                     f" ({kinds})")

    def shape(row: dict[str, Any]) -> str:
        parts = [row["type"], human_bytes(row["memory"]) + " est.", human_bytes(row["serialized"]) + " serialized"]
        if row["length"] is not None:
            parts.append(f"{row['length']} bytes" if row["type"] == "string" else f"{row['length']} elements")
        parts.append(row["encoding"])
        parts.append("no TTL" if row["pttl"] < 0 else f"TTL {human_seconds(row['pttl'] / 1000)}")
        return f"  {row['key'][:120]} ({', '.join(parts)}; {row['node']})"

    lines.append("top keys by memory:")
    lines.extend(shape(r) for r in data["top_memory"])
    for kind, rows in data["top_length"].items():
        lines.append(f"top {kind} keys by {'bytes' if kind == 'string' else 'elements'}:")
        lines.extend(shape(r) for r in rows[:5])
    if data["encodings"]:
        lines.append("encodings: " + "; ".join(f"{k}: " + ", ".join(f"{e} {c}" for e, c in v.items())
                                               for k, v in data["encodings"].items()))
    lines.append(f"limits ({'server defaults: the dump does not carry its config' if data['limits_source'] == 'defaults' else 'given'}): "
                 + ", ".join(f"{k}={v}" for k, v in data["limits"].items()))
    for kind, r in data["limit_report"].items():
        lines.append(f"  {kind}: {r['near_limit']} compact keys at >= 80% of {r['entries_limit']} entries, "
                     f"{r['over_limit']} over the limit, {r['converted_below_limit']} general-encoded below it "
                     "(a long element or non-integer member)")
        for step in r["raising"]:
            if step["keys"]:
                lines.append(f"    raising the entries limit to {step['entries_limit']} would load {step['keys']} more "
                             f"{kind} keys compact (now {human_bytes(step['memory'])} est.)")
    thresholds = ", ".join(f"{k} > {human_bytes(v) if k == 'string' else v}" for k, v in data["big_key_thresholds"].items())
    lines.append(f"big keys ({thresholds}): " + (", ".join(f"{k} {v}" for k, v in data["big_keys"].items()) or "none"))
    if data["idle_buckets"]:
        lines.append("LRU idle time: " + ", ".join(f"{k} {v}" for k, v in data["idle_buckets"].items() if v))
    if data["freq_buckets"]:
        lines.append("LFU counter: " + ", ".join(f"{k} {v}" for k, v in data["freq_buckets"].items() if v))
    if not data["idle_buckets"] and not data["freq_buckets"]:
        lines.append("no LRU/LFU data in the dump (saved by a server whose maxmemory-policy is not *lru/*lfu)")
    hf = data["hash_field_ttls"]
    if hf["keys"]:
        lines.append(f"hash field TTLs: {hf['fields']} fields in {hf['keys']} hashes")
    s = data["streams"]
    if s["keys"]:
        lines.append(f"streams: {s['keys']} keys, {s['groups']} consumer groups, {s['consumers']} consumers, "
                     f"{s['pending']} pending entries")
    if data["functions"]:
        lines.append("functions: " + ", ".join(f"{fn['library']} ({fn['engine']}, {human_bytes(fn['bytes'])})"
                                               for fn in data["functions"]))
    if data["module_aux"]:
        lines.append("module aux data: " + ", ".join(f"{k} {human_bytes(v)}" for k, v in data["module_aux"].items()))
    if data["other_aux"]:
        lines.append("other aux fields (values not shown): " + ", ".join(data["other_aux"]))
    for note in data["notes"]:
        lines.append(f"note: {note}")
    return redact("\n".join(lines))


@dataclass
class RdbResult:
    target: str
    findings: list[Finding] = field(default_factory=list)
    data: dict[str, Any] | None = None
    text: str = ""
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def add(self, rule: Rule, target: str, evidence: str) -> None:
        self.findings.append(make_finding(rule, target=redact(target), evidence=redact(evidence)))


def check(result: RdbResult, data: dict[str, Any]) -> None:
    """The live sample's keyspace rules, over every key of the dump, plus what only a dump shows."""
    where = f"dump {os.path.basename(data['file']['path'])}"
    big = [row for kind, rows in data["top_length"].items() for row in rows
           if row["length"] is not None and row["length"] > data["big_key_thresholds"].get(kind, 1 << 62)]
    big.sort(key=lambda r: -r["memory"])
    for row in big[:live_rules.MAX_BIG_KEY_FINDINGS]:
        size = human_bytes(row["length"]) if row["type"] == "string" else f"{row['length']} elements"
        result.add(live_rules.BIG_KEY, row["key"], f"{row['type']} {size}, {human_bytes(row['memory'])} est. ({row['node']})")
    extra = sum(data["big_keys"].values()) - len(big[:live_rules.MAX_BIG_KEY_FINDINGS])
    if extra > 0:
        result.notes.append(f"{extra} more big keys in the dump than listed (see the top keys by length)")
    for kind, r in data["limit_report"].items():
        if r["over_limit"]:
            raising = next((s for s in r["raising"] if s["keys"]), None)
            hint = f"; raising the limit to {raising['entries_limit']} would load {raising['keys']} of them compact" \
                if raising else ""
            result.add(live_rules.OVER_ENCODING_LIMIT, f"{kind} keys ({where})",
                       f"{r['over_limit']} {kind} keys over {r['entries_limit']} entries use the general encoding{hint}")
    no_ttl = [ns for ns in data["namespaces"] if ns["keys"] and ns["with_ttl"] == 0 and ns["pattern"] != "(no prefix)"]
    no_ttl.sort(key=lambda ns: (-bool(live_rules.CACHE_LIKE.search(ns["pattern"])), -ns["keys"]))
    for ns in no_ttl[:live_rules.MAX_NAMESPACE_FINDINGS]:
        rule = live_rules.CACHE_NO_TTL if live_rules.CACHE_LIKE.search(ns["pattern"]) else live_rules.KEYS_NO_TTL
        result.add(rule, ns["pattern"], f"{ns['keys']} keys in the dump, {human_bytes(ns['bytes'])} est., none with a TTL")
    bare = next((ns for ns in data["namespaces"] if ns["pattern"] == "(no prefix)"), None)
    if bare and data["sampled"]:
        result.add(live_rules.NO_NAMESPACE, "(no prefix)", f"{bare['keys']} of {data['sampled']} keys in the dump have no ':' prefix")
    used = [n for n in data["nodes"] if n["dbsize"]]
    if len(used) > 1:
        result.add(MULTIPLE_DBS, where, ", ".join(f"{n['node']}: {n['dbsize']} keys" for n in used))
    for pattern, count in list(data["idle_without_ttl"].items())[:live_rules.MAX_NAMESPACE_FINDINGS]:
        result.add(IDLE_NO_TTL, pattern, f"{count} keys idle >= 30 d with no TTL")


def review(path: str | os.PathLike, *, limits: dict[str, int] | None = None) -> RdbResult:
    """Analyse the dump and run the rules. Never raises for a bad file: `error` says what went wrong."""
    result = RdbResult(f"dump {os.fspath(path)}")
    try:
        data = analyze(path, limits=limits)
    except rdb_reader.RdbError as error:
        result.error = redact(str(error))
        return result
    result.data = data
    result.text = format_analysis(data)
    check(result, data)
    result.findings.sort(key=lambda f: -f.severity)
    return result

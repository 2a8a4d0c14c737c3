"""The key inventory (one row per key family), the checklist items the code decides (naming, data
structure fit, TTLs), and the join of code families with a live sample's namespaces."""

from __future__ import annotations

import fnmatch
import re

from ask_redis.review.keys import PLACEHOLDER, KeyFamily
from ask_redis.review.model import Program

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"


def families(program: Program) -> list[KeyFamily]:
    """Families that code writes or reads outside tests, most used first."""
    found = [f for f in program.families.values() if f.writers or f.readers]
    found = [f for f in found if not f.pattern.startswith("<") or f.writers]
    return sorted(found, key=lambda f: (-(len(f.writers) + len(f.readers)), f.pattern))


def rows(program: Program) -> list[dict]:
    return [f.to_dict() for f in families(program)]


# --- checklist items 1-3 from the code -------------------------------------------------------


def _nameable(family: KeyFamily) -> bool:
    return not family.pattern.startswith("<") and "(" not in family.pattern


def checklist_items(program: Program, findings: list, scripts: int = 0) -> dict[int, tuple[str, str]]:
    """Items 1 (naming), 2 (data structure fit) and 3 (TTL on cache keys), each (status, evidence)."""
    fams = families(program)
    calls = len([c for c in program.redis_calls if not c.test])
    basis = f"{calls} Redis calls, {len(fams)} key families"
    items: dict[int, tuple[str, str]] = {}
    if not calls:
        return items

    named = [f for f in fams if _nameable(f)]
    bad_names = [f for f in named if f.naming() != "ok"]
    if not named:
        items[1] = (UNKNOWN, f"{basis}: no key name the code spells out (keys come from parameters or helpers)")
    elif bad_names:
        shown = ", ".join(f"`{f.display}` ({f.naming()})" for f in bad_names[:3])
        items[1] = (FAIL, f"{len(bad_names)} of {len(named)} named families break {{service}}:{{entity}}:{{id}}: {shown}")
    else:
        items[1] = (PASS, f"all {len(named)} named families follow {{service}}:{{entity}}:{{id}} ({basis})")

    misfits = []
    for f in fams:
        if f.types == {"list"} and "sismember" not in f.commands and any(c in f.commands for c in ("lrem", "lpos")):
            misfits.append(f"`{f.display}` is a list searched for members (LREM/LPOS): a set fits")
        if f.types == {"string"} and {"get", "set"} <= f.commands and re.search(r"(?i)json|obj|profile|user", f.pattern) \
                and any(c.command in ("append", "setrange") for c in program.redis_calls if c.key.pattern == f.pattern):
            misfits.append(f"`{f.display}` is a JSON blob in a string edited in place: a hash fits")
        if f.types >= {"list"} and "lrange" in f.commands and not f.trims and f.writers and len(f.types) == 1 and \
                any(c.command == "lindex" for c in program.redis_calls if c.key.pattern == f.pattern):
            misfits.append(f"`{f.display}` is a list read by index: a hash or a sorted set fits")
    structural = [x for x in findings if x.checklist == 2]
    if misfits:
        items[2] = (FAIL, "; ".join(misfits[:3]))
    elif structural:
        items[2] = (FAIL, f"{len(structural)} finding(s) on whole-collection reads or untrimmed streams")
    else:
        typed = [f for f in fams if f.types]
        items[2] = (PASS if typed else UNKNOWN,
                    f"{len(typed)} families with known types, none used against its structure ({basis}, "
                    f"{scripts} Lua scripts)" if typed else f"{basis}: no family's type can be read from the code")

    cache = [f for f in fams if f.writers and (f.cache_like or f.ttl in ("always", "sometimes"))]
    without = [f for f in cache if f.ttl in ("never", "sometimes")]
    ttl_findings = [x for x in findings if x.checklist == 3]
    if without or ttl_findings:
        shown = ", ".join(f"`{f.display}` ({f.ttl})" for f in without[:3])
        items[3] = (FAIL, f"{len(without)} cache families without a TTL on every write" + (f": {shown}" if shown else "")
                    + (f"; {len(ttl_findings)} finding(s)" if ttl_findings else ""))
    elif cache:
        items[3] = (PASS, f"{len(cache)} cache families, each with a TTL on every write or an EXPIRE ({basis})")
    else:
        items[3] = (UNKNOWN, f"{basis}: no family the code marks as a cache")
    return items


# --- code joined with a live sample ----------------------------------------------------------


def _example(pattern: str) -> str:
    return pattern.replace(PLACEHOLDER, "0")


def _namespace_fields(ns: dict) -> tuple[str, int, int, int]:
    pattern = ns.get("pattern") or ns.get("prefix") or ""
    return pattern, int(ns.get("keys", 0)), int(ns.get("bytes", ns.get("memory", 0)) or 0), int(ns.get("with_ttl", 0))


def _matches(namespace: str, family: KeyFamily) -> bool:
    if not _nameable(family):
        return False
    glob = namespace if namespace.endswith("*") else namespace
    digits = re.sub(r"\d+", "0", _example(family.pattern))
    return fnmatch.fnmatchcase(_example(family.pattern), glob) or fnmatch.fnmatchcase(digits, glob) or \
        fnmatch.fnmatchcase(_example(family.pattern), re.sub(r"0+", "*", glob))


def join(program: Program, keyspace: dict | None) -> dict | None:
    """Every sampled namespace matched to its code families (or marked as written by nothing here), each
    family's TTL verdict beside the live TTL coverage, the biggest namespaces with their writers."""
    if not keyspace or not keyspace.get("namespaces"):
        return None
    fams = families(program)
    out = []
    for ns in keyspace["namespaces"]:
        pattern, count, size, with_ttl = _namespace_fields(ns)
        matched = [f for f in fams if _matches(pattern, f)]
        out.append({
            "namespace": pattern, "keys": count, "bytes": size,
            "live_ttl_coverage": round(with_ttl / count, 3) if count else None,
            "families": [{"pattern": f.display, "ttl": f.ttl, "writers": f.writers[:5]} for f in matched],
            "verdict": "no writer in this repository" if not matched else (
                "no TTL in code or live" if with_ttl == 0 and all(f.ttl == "never" for f in matched) else
                "code sets TTL, live keys lack it" if with_ttl < count and all(f.ttl == "always" for f in matched) else
                "consistent"),
        })
    biggest = sorted(out, key=lambda n: -n["bytes"])[:5]
    return {"namespaces": out, "biggest": [{"namespace": n["namespace"], "bytes": n["bytes"],
                                            "writers": [w for f in n["families"] for w in f["writers"]][:5]}
                                           for n in biggest],
            "orphans": [n["namespace"] for n in out if not n["families"]]}


# --- text ------------------------------------------------------------------------------------


def _sites(sites: list[str], shown: int = 3) -> str:
    if not sites:
        return "none"
    return ", ".join(sites[:shown]) + (f" (+{len(sites) - shown})" if len(sites) > shown else "")


def render(rows: list[dict], live: dict | None) -> str:
    if not rows:
        lines = ["No key families: the code names no Redis keys this review can follow."]
    else:
        lines = [f"Key families: {len(rows)}"]
        for row in rows:
            kind = "/".join(row["types"]) or "?"
            ttl = row["ttl"] + (f" ({row['ttl_where'][0]})" if row["ttl_where"] and row["ttl"] != "never" else "")
            lines.append(f"  {row['pattern']}  [{kind}]  ttl {ttl}  bound {row['bound'] or 'none'}  naming {row['naming']}")
            lines.append(f"      writers: {_sites(row['writers'])}   readers: {_sites(row['readers'])}")
    if live:
        lines.append("")
        lines.append("Live namespaces joined with the code (namespace: keys, TTL coverage -> families)")
        for ns in live["namespaces"]:
            coverage = "n/a" if ns["live_ttl_coverage"] is None else f"{ns['live_ttl_coverage']:.0%}"
            fams = ", ".join(f"{f['pattern']} (ttl {f['ttl']})" for f in ns["families"]) or "no writer in this repository"
            lines.append(f"  {ns['namespace']}: {ns['keys']} keys, {coverage} with TTL -> {fams}  [{ns['verdict']}]")
        if live["biggest"]:
            lines.append("Biggest live namespaces and their writers:")
            for big in live["biggest"]:
                lines.append(f"  {big['namespace']}: {big['bytes']} bytes, written at {', '.join(big['writers']) or 'nothing here'}")
    return "\n".join(lines)

"""`ask-redis review`: the redis-expert's checks with no model: static rules over the code and,
with a Redis URL, live rules over the instance; then the persona's review checklist item by item.

    ask-redis review [PATH] [--redis-url URL] [--format text|markdown|json|sarif] [--fail-on SEVERITY]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ask_redis.redact import redact
from ask_redis.review.findings import CHECKLIST, Finding, Rule, Severity, all_rules
from ask_redis.review import engine

FORMATS = ("text", "markdown", "json", "sarif")
PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"


@dataclass
class ChecklistResult:
    number: int
    item: str
    status: str  # pass / fail / unknown
    evidence: str


@dataclass
class Report:
    root: str
    findings: list[Finding]
    checklist: list[ChecklistResult]
    files_seen: int = 0
    files_analyzed: int = 0
    redis_target: str | None = None
    live_error: str | None = None
    notes: list[str] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)
    keys: list[dict] = field(default_factory=list)  # the key inventory, one row per family
    key_join: dict | None = None  # code families joined with the live sample's namespaces
    rdb: dict | None = None  # the dump analysis (rdb_rules.analyze) when --rdb was given
    rdb_text: str | None = None

    def counts(self) -> dict[str, int]:
        return {s.label: sum(1 for f in self.findings if f.severity == s) for s in sorted(Severity, reverse=True)}

    def at_or_above(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity >= severity]

    def to_dict(self) -> dict:
        return {
            "root": self.root,
            "files_seen": self.files_seen,
            "files_analyzed": self.files_analyzed,
            "redis": self.redis_target,
            "live_error": self.live_error,
            "counts": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
            "checklist": [vars(c) for c in self.checklist],
            "notes": self.notes,
            "keys": self.keys,
            "key_join": self.key_join,
            **({"rdb": self.rdb} if self.rdb is not None else {}),
        }


# Which rules answer which checklist item, and where its evidence can come from.
_STATIC_ITEMS = {1, 2, 3, 5, 6, 7}
_LIVE_ITEMS = {1, 2, 3, 4, 5, 7, 8, 9, 10}


def _evidence_static(number: int, facts) -> str | None:
    calls = facts.get("redis_calls", 0)
    if not calls:
        return None
    commands = {k.removeprefix("cmd:"): v for k, v in facts.items() if k.startswith("cmd:")}
    if number == 1:
        literals = facts.get("key_literals", 0)
        return f"{literals} literal key names in code, all namespaced" if literals else None
    if number == 2:
        return f"{calls} Redis calls: no whole-collection reads, streams trimmed (fit to each use needs a person)"
    if number == 3:
        sets = commands.get("set", 0) + commands.get("setnx", 0)
        return f"{sets} SET calls, each with a TTL" if sets else None
    if number == 5:
        built = facts.get("clients_built", 0)
        return f"{built} client/pool constructions, none per call, timeouts set" if built else None
    if number == 6:
        return f"{calls} Redis calls, none issued one by one in a batch loop ({facts.get('pipelines', 0)} pipelines)"
    if number == 7:
        return f"no KEYS among {calls} Redis calls and {facts.get('lua_scripts', 0)} Lua scripts"
    return None


def _evidence_live(number: int, live) -> str | None:
    if live is None or live.overview is None:
        return None
    nodes = live.overview["nodes"]
    first = nodes[0]
    memory, stats = first["memory"], first["stats"]
    keyspace = live.keyspace
    if number == 1 and keyspace:
        return f"{keyspace['sampled']} sampled keys in {len(keyspace['namespaces'])} namespaces, all prefixed"
    if number == 2 and keyspace:
        searched = sum(n.get("search", {}).get("walked", 0) for n in keyspace["nodes"])
        explained = [n["memory"]["explained"] for n in keyspace["nodes"] if n.get("memory")]
        if explained and min(explained) < 0.5 and not searched:
            return None  # most memory is in keys the sample did not see: no verdict
        more = f" and {searched} more searched" if searched else ""
        return f"no big keys among {keyspace['sampled']} sampled keys{more}"
    if number == 3 and keyspace:
        seen = sum(t["keys"] for t in keyspace["types"].values())
        with_ttl = keyspace.get("with_ttl", seen - keyspace["ttl_buckets"].get("no TTL", 0))
        return f"{with_ttl} of {seen} sampled keys have a TTL; no cache namespace without one"
    if number == 4:
        # The policy only means something under a limit, and only fits the data it would evict.
        totals = live.overview["totals"]
        keys, with_ttl = totals["keys"], totals["keys_with_ttl"]
        share = with_ttl / keys if keys else 0.0
        policy = memory["policy"] or "?"
        if not memory["maxmemory_bytes"]:
            return None  # maxmemory 0: no policy ever runs
        if policy.startswith("volatile-") and share < 0.5:
            return None
        if policy == "noeviction" and share >= 0.5:
            return None
        return (f"maxmemory {memory['maxmemory_bytes']} bytes with maxmemory-policy {policy}, {with_ttl} of {keys} "
                f"keys with TTL ({share:.0%}), evicted {stats['evicted_keys']}")
    if number == 5:
        return f"{first['clients']['connected']} connected of maxclients {first['clients']['max']}, " \
               f"rejected {stats['rejected_connections']}"
    if number == 7:
        return "no KEYS in the slow log"
    if number == 8:
        return f"maxmemory {memory['maxmemory_bytes']} bytes, used {memory['used_of_max']:.0%}" if memory["used_of_max"] is not None else None
    if number == 9:
        ratio = stats["hit_ratio"]
        return f"hit ratio {'n/a' if ratio is None else f'{ratio:.2f}'}, slow log clean, latency monitor on " \
               f"({first['latency_monitor_threshold_ms']} ms), fragmentation {memory['fragmentation_ratio']}"
    if number == 10:
        p = first["persistence"]
        return f"save '{p['save']}', AOF {'on' if p['aof_enabled'] else 'off'}, last bgsave {p['rdb_last_bgsave_status']}"
    return None


def evaluate_checklist(findings: list[Finding], facts, live, from_code: dict | None = None) -> list[ChecklistResult]:
    results = []
    from_code = from_code or {}
    for number, item in enumerate(CHECKLIST, start=1):
        failing = [f for f in findings if f.checklist == number]
        if number in from_code and not (failing and from_code[number][0] != FAIL):
            status, evidence = from_code[number]
            live_evidence = _evidence_live(number, live) if number in _LIVE_ITEMS and status != FAIL else None
            if status == UNKNOWN and live_evidence:
                status, evidence = PASS, live_evidence
            elif live_evidence:
                evidence = f"{evidence}; {live_evidence}"
            if failing and status == FAIL:
                evidence += f" ({len(failing)} finding(s))"
            results.append(ChecklistResult(number, item, status, evidence))
            continue
        if failing:
            shown = "; ".join(f"{f.rule_id} at {f.where}" for f in failing[:3])
            more = f" (+{len(failing) - 3} more)" if len(failing) > 3 else ""
            results.append(ChecklistResult(number, item, FAIL, f"{len(failing)} finding(s): {shown}{more}"))
            continue
        evidence = [e for e in (_evidence_static(number, facts) if number in _STATIC_ITEMS else None,
                                _evidence_live(number, live) if number in _LIVE_ITEMS else None) if e]
        if evidence:
            results.append(ChecklistResult(number, item, PASS, "; ".join(evidence)))
        else:
            needs = []
            if number in _STATIC_ITEMS:
                needs.append("nothing in the code decides it" if facts.get("redis_calls") else "no Redis calls in the code")
            if number in _LIVE_ITEMS and (live is None or live.overview is None):
                needs.append("needs --redis-url" if live is None else "live instance not inspected")
            if number == 2:
                needs.append("fit of each structure to its use needs a person")
            results.append(ChecklistResult(number, item, UNKNOWN, "; ".join(needs) or "no evidence either way"))
    return results


def run_review(path: str | Path, redis_url: str | None = None, *, sample: int = 10_000,
               rdb: str | Path | None = None) -> Report:
    """Review the code at `path` (a tree or one file) and, given `redis_url`, the live instance; given
    `rdb`, every key of that dump (rdb.RdbError for a dump that cannot be read)."""
    root = Path(path).expanduser()
    if not root.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    scanned = engine.scan(root)
    findings = list(scanned.findings)
    notes = [f"could not analyse {e}" for e in scanned.errors]
    live = None
    if redis_url:
        from ask_redis.review import live_rules

        live = live_rules.inspect(redis_url, budget=sample)
        findings += live.findings
        notes += live.notes
    dump = None
    if rdb:
        from ask_redis.live.rdb import RdbError
        from ask_redis.review import rdb_rules

        dump = rdb_rules.review(rdb)
        if dump.error:
            raise RdbError(dump.error)
        findings += dump.findings
        notes += dump.notes
    findings.sort(key=lambda f: (-f.severity, f.path is None, f.path or "", f.line or 0, f.rule_id))
    from ask_redis.review import inventory

    program = scanned.program
    from_code = inventory.checklist_items(program, findings, scanned.facts.get("lua_scripts", 0)) if program else {}
    return Report(
        root=str(root.resolve()),
        keys=inventory.rows(program) if program else [],
        # the code's families joined with the live sample's namespaces, else with the dump's (every key)
        key_join=inventory.join(program, live.keyspace if live is not None and live.keyspace else
                                dump.data if dump is not None else None) if program else None,
        findings=findings,
        checklist=evaluate_checklist(findings, scanned.facts, live, from_code),
        files_seen=scanned.files_seen,
        files_analyzed=scanned.files_analyzed,
        redis_target=live.target if live else None,
        live_error=live.error if live else None,
        notes=notes,
        rules=all_rules(),
        rdb=dump.data if dump else None,
        rdb_text=dump.text if dump else None,
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ask-redis review",
        description="Review Redis usage with no model: static checks over the code, live checks over an instance, "
                    "and the redis-expert checklist item by item.",
    )
    p.add_argument("path", nargs="?", default=".", help="directory or file to review (default: .)")
    p.add_argument("--redis-url", help="also inspect this Redis, read-only (redis://, rediss://, unix://); "
                                       "default $REDIS_URL")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the text report: auto (on a terminal; NO_COLOR and FORCE_COLOR honoured), always, never")
    p.add_argument("--fail-on", metavar="SEVERITY", choices=[s.label for s in Severity],
                   help="exit 1 when a finding at or above this severity exists: info, low, medium, high")
    p.add_argument("-o", "--output", help="write the report to this file instead of stdout")
    p.add_argument("--keys", action="store_true",
                   help="print the key inventory: one row per key family (pattern, type, TTL, bound, writers, readers), "
                        "joined with the live namespaces when --redis-url is given")
    p.add_argument("--rdb", metavar="FILE", help="also analyse every key of this RDB dump (no load on any server)")
    p.add_argument("--sample", type=int, default=10_000, metavar="N", help="keys to sample per primary (default 10000)")
    p.add_argument("--verbose", action="store_true", help="full error details")
    return p


def main(argv: list[str] | None = None) -> int:
    from ask_redis.review import report as review_report

    try:
        args = parser().parse_args(argv)
    except SystemExit as stop:  # argparse has printed usage or help
        return int(stop.code or 0)
    if args.sample < 1:
        sys.stderr.write("ask-redis review: --sample must be at least 1\n")
        return 2
    target = Path(args.path).expanduser()
    if not target.exists():
        sys.stderr.write(f"ask-redis review: {args.path}: no such file or directory\n")
        return 2
    if not (target.is_dir() or target.is_file()):
        sys.stderr.write(f"ask-redis review: {args.path}: not a directory or a regular file\n")
        return 2
    if not os.access(target, os.R_OK | (os.X_OK if target.is_dir() else 0)):
        sys.stderr.write(f"ask-redis review: {args.path}: permission denied\n")
        return 2
    if args.output:
        output = Path(args.output).expanduser()
        if output.is_dir() or not output.parent.is_dir():
            sys.stderr.write(f"ask-redis review: -o {args.output}: cannot write a file there\n")
            return 2
    if args.rdb and not (os.path.isfile(args.rdb) and os.access(args.rdb, os.R_OK)):
        why = "no such file" if not os.path.exists(args.rdb) else "not a readable regular file"
        sys.stderr.write(f"ask-redis review: --rdb {args.rdb}: {why}\n")
        return 2
    redis_url = args.redis_url or os.environ.get("REDIS_URL") or None
    if redis_url:
        from ask_redis.live.conn import RedisConnError, parse_url

        try:
            parse_url(redis_url)
        except RedisConnError as error:  # a typo, not an outage: say so before any work
            source = "--redis-url" if args.redis_url else "REDIS_URL"
            sys.stderr.write(f"ask-redis review: {source}: {redact(str(error))}\n")
            return 2
    try:
        began = time.monotonic()
        try:
            report = run_review(args.path, redis_url, sample=args.sample, rdb=args.rdb)
        except Exception as error:
            from ask_redis.live.rdb import RdbError

            if not isinstance(error, RdbError):
                raise
            sys.stderr.write(f"ask-redis review: --rdb: {redact(str(error))}\n")
            return 2
        stream = None if args.output else sys.stdout
        looks = {"width": review_report.terminal_width(stream), "color": review_report.use_color(stream, args.color),
                 "elapsed": time.monotonic() - began} if args.format == "text" else {}
        text = review_report.render_keys(report, args.format) if args.keys else review_report.render(report, args.format, **looks)
        if args.output:
            Path(args.output).write_text(text + ("" if text.endswith("\n") else "\n"))
        else:
            sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
    except Exception as error:  # one line for the user, the traceback only with --verbose
        if args.verbose:
            import traceback

            sys.stderr.write(redact(traceback.format_exc()))
        sys.stderr.write(f"ask-redis review: error: {redact(f'{type(error).__name__}: {error}')}\n")
        return 1
    if report.live_error:
        sys.stderr.write(f"ask-redis review: live checks skipped: {redact(report.live_error)}\n")
        return 1
    if args.fail_on:
        over = report.at_or_above(Severity.parse(args.fail_on))
        if over:
            sys.stderr.write(f"ask-redis review: {len(over)} finding(s) at or above {args.fail_on}\n")
            return 1
    return 0

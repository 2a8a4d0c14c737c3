"""The review rules: what each check is, and what one finding carries.

Static rules live in the language modules (python, javascript, go, java, lua; the checks
shared by the four client languages are in engine), live rules in live. Every rule names the
checklist item of the redis-expert persona it serves, so a review can answer the checklist
item by item.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (choose from {', '.join(s.label for s in cls)})") from None


# The persona's review checklist, in its order. Rules point at these by number (1-based).
CHECKLIST: tuple[str, ...] = (
    "Key naming follows convention",
    "Correct data structure for each use case",
    "TTL set on all cache keys",
    "Eviction policy configured appropriately",
    "Connection pooling enabled (min 5, max 20)",
    "Pipeline used for bulk operations",
    "SCAN used instead of KEYS",
    "Memory limit set (maxmemory)",
    "Monitoring: memory, connections, hit rate, slow log",
    "Backup strategy: RDB snapshots + AOF for persistence",
)

# Where a rule serves no checklist item, it cites the persona section it comes from.
LUA_RULES = "Lua scripting rules"
PERFORMANCE_RULES = "Performance rules"
ANTI_PATTERNS = "Anti-patterns"
CLUSTER = "Cluster vs Sentinel"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    languages: tuple[str, ...]
    title: str
    why: str
    fix: str
    checklist: int | None = None  # 1-based index into CHECKLIST
    section: str | None = None  # the persona section, when no checklist item fits
    live: bool = False

    @property
    def serves(self) -> str:
        if self.checklist:
            return f"#{self.checklist} {CHECKLIST[self.checklist - 1]}"
        return self.section or ""


@dataclass
class Finding:
    rule_id: str
    severity: Severity
    message: str
    fix: str
    serves: str
    checklist: int | None = None
    path: str | None = None  # relative to the reviewed root; None for a live finding
    line: int | None = None
    column: int | None = None
    evidence: str = ""
    target: str | None = None  # live findings: "instance", or the key/namespace concerned

    @property
    def where(self) -> str:
        if self.path:
            return f"{self.path}:{self.line}" if self.line else self.path
        return self.target or "instance"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.label
        data["where"] = self.where
        return data


def make_finding(rule: Rule, *, message: str | None = None, severity: Severity | None = None, **where) -> Finding:
    return Finding(
        rule_id=rule.id,
        severity=rule.severity if severity is None else severity,
        message=message or rule.why,
        fix=rule.fix,
        serves=rule.serves,
        checklist=rule.checklist,
        **where,
    )


@dataclass
class RuleSet:
    """Every rule by id, gathered from the modules that define them."""

    rules: dict[str, Rule] = field(default_factory=dict)

    def add(self, *rules: Rule) -> None:
        for rule in rules:
            if rule.id in self.rules:
                raise ValueError(f"duplicate rule id {rule.id}")
            self.rules[rule.id] = rule


def all_rules() -> dict[str, Rule]:
    from ask_redis.review import engine, go, java, javascript, live_rules as live, lua, python, rdb_rules

    found = RuleSet()
    for module in (engine, python, javascript, go, java, lua, live, rdb_rules):
        found.add(*module.RULES)
    return found.rules

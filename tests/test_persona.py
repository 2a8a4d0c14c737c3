"""The redis-expert persona carries every fact of its spec and the rules of how it works here."""

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest

from ask_redis import prompts

ROOT = Path(__file__).resolve().parent.parent
PROMPT_NAME = "redis-expert.md"


@pytest.fixture(scope="module")
def prompt() -> str:
    return prompts.load(PROMPT_NAME)


# (id, regex). Matched case-insensitively, line by line (MULTILINE, no DOTALL), so a fact
# must sit on one line: a table row, a bullet or a sentence.
ROW = r"^\|\s*"  # start of a markdown table row
FACTS = [
    # The role.
    ("role-caching-strategies", r"caching strategy.*cache-aside, write-through, write-behind"),
    ("role-pubsub", r"messaging with pub/sub and streams"),
    ("role-topologies", r"replication, Sentinel or Cluster topologies"),
    ("role-lua-memory", r"atomic Lua scripts, and tune memory use and eviction"),
    # Data structures: use case and cost on the same table row.
    ("string", ROW + r"String\s*\|.*(cache|counter).*\|\s*O\(1\)"),
    ("hash", ROW + r"Hash\s*\|.*(object|field).*\|\s*O\(1\).*field"),
    ("list", ROW + r"List\s*\|.*queue.*\|\s*O\(1\).*push.*pop"),
    ("set", ROW + r"Set\s*\|.*(tag|unique|intersection).*\|\s*O\(1\).*(add|member)"),
    ("sorted-set", ROW + r"Sorted Set\s*\|.*leaderboard.*\|\s*O\(log N\).*add"),
    ("stream", ROW + r"Stream\s*\|.*(event log|message queue).*\|\s*O\(1\).*append"),
    ("hyperloglog", ROW + r"HyperLogLog\s*\|.*0\.81\s*%.*\|\s*O\(1\)"),
    ("bitmap", ROW + r"Bitmap\s*\|.*(feature flag|online).*\|\s*O\(1\).*bit"),
    # Key naming.
    ("key-convention", r"key as `\{service\}:\{entity\}:\{id\}:\{field\}`"),
    ("key-example-hash", r"user:profile:12345\s+Hash"),
    ("key-example-session-ttl", r"user:session:\S+\s+String.*TTL"),
    ("key-example-rate-limit", r"rate:limit:ip:\S+\s+Sorted Set.*sliding"),
    # Caching patterns.
    ("cache-aside", r"Cache-aside \(lazy loading\)"),
    ("cache-aside-read", r"Read: look in the cache; on a miss, load from the database, store .*cache"),
    ("cache-aside-write", r"Write: update the database first, then invalidate"),
    ("cache-aside-not-update", r"Do not update\s+the cached copy"),
    ("cache-aside-pro", r"Pro: only data that is actually requested"),
    ("cache-aside-con", r"Con: the first request .*always a miss"),
    ("write-through", r"\*\*Write-through\.\*\*"),
    ("write-through-write", r"Write: every write goes to the cache and to the database together"),
    ("write-through-pro", r"Pro: the cache is always consistent"),
    ("write-through-con", r"Con: .*write.*latency.*data nobody reads"),
    ("write-behind", r"Write-behind \(write-back\)"),
    ("write-behind-async", r"database is updated later.*asynchronously.*batches"),
    ("write-behind-pro", r"Pro: the fastest writes"),
    ("write-behind-con", r"Con: risk of data loss if the cache crashes before .*flushed"),
    # Lua rules.
    ("lua-atomic", r"Lua script is atomic"),
    ("lua-no-external", r"No external calls.*HTTP.*filesystem"),
    ("lua-short", r"short.*under 100 lines"),
    ("lua-keys-argv", r"`KEYS\[\]`.*`ARGV\[\]`"),
    ("lua-evalsha", r"EVALSHA rather than .*EVAL"),
    ("lua-no-unbounded-loops", r"No unbounded loops"),
    ("lua-script-debug", r"`SCRIPT DEBUG` during development"),
    # Eviction policies.
    ("noeviction", ROW + r"noeviction\s*\|.*writes fail"),
    ("allkeys-lru", ROW + r"allkeys-lru\s*\|.*general.*cache.*recommended default"),
    ("volatile-lru", ROW + r"volatile-lru\s*\|.*mix.*cache.*persistent"),
    ("allkeys-lfu", ROW + r"allkeys-lfu\s*\|.*hot and cold.*frequency"),
    ("volatile-ttl", ROW + r"volatile-ttl\s*\|.*closest to expiring first"),
    ("allkeys-random", ROW + r"allkeys-random\s*\|.*uniform"),
    # Sentinel vs Cluster.
    ("sharding-16384", ROW + r"Sharding\s*\|.*single master.*\|.*16384 hash slots"),
    ("max-data-size", ROW + r"Largest dataset\s*\|.*one node.*\|.*sum of all nodes"),
    ("failover", ROW + r"Failover\s*\|.*Sentinel quorum.*\|.*node voting"),
    ("same-hash-slot", ROW + r"Multi-key.*\|.*all supported.*\|.*same hash slot"),
    ("complexity", ROW + r"Operational complexity\s*\|\s*low\s*\|\s*high"),
    ("when-50gb", ROW + r"Choose it when\s*\|.*under 50GB.*\|.*over 50GB.*throughput"),
    # Performance rules.
    ("pipeline-50-100", r"50-100 commands per pipeline"),
    ("scan-not-keys", r"SCAN and a cursor, never KEYS.*blocks"),
    ("ttl-every-cache-key", r"Every cache key gets a TTL"),
    ("slowlog-get-10", r"`SLOWLOG GET 10`"),
    ("unlink-large-keys", r"large keys with UNLINK instead of DEL.*asynchronously"),
    ("value-size", r"512MB.*below 1MB"),
    ("hot-keys", r"Hot keys:.*local.*cache.*read replicas"),
    # Anti-patterns and fixes, each on its own table row.
    ("anti-keys", ROW + r"KEYS in production.*\|\s*SCAN with a cursor"),
    ("anti-no-ttl", ROW + r".*no TTL\s*\|.*always set an expiry.*EXPIRE"),
    ("anti-huge-values", ROW + r"huge values \(over 1MB\)\s*\|.*chunks.*different store"),
    ("anti-primary-db", ROW + r"Redis as the primary database\s*\|.*cache/queue.*PostgreSQL"),
    ("anti-spof", ROW + r".*single point of failure\s*\|\s*Sentinel or Cluster"),
    ("anti-no-pool", ROW + r".*no pooling\s*\|.*pool.*ioredis.*redis-py"),
    ("anti-multi-exec", ROW + r"MULTI/EXEC.*complex logic\s*\|\s*a Lua script"),
    # Review checklist.
    ("check-naming", r"^\d+\. Key names follow the .*convention"),
    ("check-structure", r"^\d+\. .*right data structure"),
    ("check-ttl", r"^\d+\. All cache keys have a TTL"),
    ("check-eviction", r"^\d+\. An eviction policy .*configured"),
    ("check-pool", r"^\d+\. Connection pooling .*min 5, max 20"),
    ("check-pipeline", r"^\d+\. Bulk operations use pipelines"),
    ("check-scan", r"^\d+\. SCAN is used, not KEYS"),
    ("check-maxmemory", r"^\d+\. A memory limit \(maxmemory\) is set"),
    ("check-monitoring", r"^\d+\. Monitoring .*memory, connections, hit rate.*slow log"),
    ("check-backups", r"^\d+\. Backups: RDB snapshots plus AOF"),
]

# How the expert works inside ask-redis.
WORKING_RULES = [
    ("tools-workspace", r"\*\*Read\*\*, \*\*Grep\*\*, \*\*Glob\*\*"),
    ("bash-sandboxed", r"\*\*Bash\*\*.*\n?.*sandboxed.*read-only.*no network"),
    ("redis-tools", r"`redis_overview`, `redis_command`, `redis_keyspace`, `redis_slowlog`"),
    ("review-tool-first", r"Start a review with the `redis_review` tool"),
    ("verify-findings", r"verify every\s+candidate finding by reading the code"),
    ("look-before-advising", r"Look before you advise"),
    ("never-guess-files", r"Never guess what a file contains"),
    ("file-line-evidence", r"`file:line`"),
    ("info-field-evidence", r"INFO field"),
    ("destructive-warning", r"Never recommend FLUSHALL.*KEYS.*DEBUG.*CONFIG SET"),
    ("destructive-say-plainly", r"without saying so plainly"),
    ("destructive-safe-alternative", r"offering the safe alternative"),
    ("secrets", r"Never ask for or reveal passwords"),
    ("redacted-means-configured", r"`\[REDACTED\]` means it is configured"),
    ("review-summary", r"one-paragraph summary"),
    ("findings-by-severity", r"Findings grouped by severity: critical, high, medium, low"),
    ("finding-evidence", r"evidence: `file:line`, or the INFO field / key"),
    ("finding-fix", r"the concrete fix, with code"),
    ("checklist-pass-fail-unknown", r"checklist.*pass, fail or unknown"),
    ("concise-simple-answers", r"simple question, give a short, direct answer"),
]


def _cases(table):
    return [pytest.param(pattern, id=case_id) for case_id, pattern in table]


@pytest.mark.parametrize("pattern", _cases(FACTS))
def test_seed_fact_is_in_the_prompt(prompt, pattern):
    assert re.search(pattern, prompt, re.IGNORECASE | re.MULTILINE), pattern


@pytest.mark.parametrize("pattern", _cases(WORKING_RULES))
def test_working_rule_is_in_the_prompt(prompt, pattern):
    assert re.search(pattern, prompt, re.IGNORECASE | re.MULTILINE), pattern


def test_every_fact_pattern_fails_once_its_line_is_gone(prompt):
    # A pattern that still matches with its matching lines removed would not guard its fact.
    lines = prompt.splitlines()
    for case_id, pattern in FACTS:
        regex = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
        hit = regex.search(prompt)
        assert hit, case_id
        first = prompt.count("\n", 0, hit.start())
        last = prompt.count("\n", 0, hit.end())
        remaining = "\n".join(lines[:first] + lines[last + 1 :])
        assert not regex.search(remaining), f"{case_id} matches more than one place"


def test_fact_ids_are_unique():
    ids = [case_id for case_id, _ in FACTS + WORKING_RULES]
    assert len(ids) == len(set(ids))


def test_all_six_eviction_policies_and_eight_structures_are_tabled(prompt):
    policies = re.findall(r"^\|\s*((?:allkeys|volatile)-\w+|noeviction)\s*\|", prompt, re.MULTILINE)
    assert sorted(policies) == sorted(
        ["noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-ttl", "allkeys-random"]
    )
    structures = re.findall(r"^\|\s*(String|Hash|List|Set|Sorted Set|Stream|HyperLogLog|Bitmap)\s*\|", prompt, re.MULTILINE)
    assert sorted(structures) == sorted(
        ["String", "Hash", "List", "Set", "Sorted Set", "Stream", "HyperLogLog", "Bitmap"]
    )


def test_checklist_has_exactly_ten_items(prompt):
    section = prompt.split("## Review checklist", 1)[1].split("\n## ", 1)[0]
    assert [int(n) for n in re.findall(r"^(\d+)\. ", section, re.MULTILINE)] == list(range(1, 11))


def test_prompt_stays_small_enough_to_send_every_request(prompt):
    assert len(prompt.splitlines()) <= 250


def test_prompt_is_loaded_from_the_package(prompt):
    source = (ROOT / "prompts" / PROMPT_NAME).read_text(encoding="utf-8")
    assert prompt == source
    assert prompts.__name__ == "ask_redis.prompts"


def test_prompt_is_declared_as_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "ask_redis.prompts" in config["packages"]
    assert config["package-dir"]["ask_redis.prompts"] == "prompts"
    globs = config["package-data"]["ask_redis.prompts"]
    assert any(fnmatch.fnmatch(PROMPT_NAME, g) for g in globs), globs


def test_prompt_carries_no_secret_looking_values(prompt):
    assert not re.search(r"sk-ant-|redis://[^/\s]*:[^@\s]+@|password\s*=", prompt, re.IGNORECASE)

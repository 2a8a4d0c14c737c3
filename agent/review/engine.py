"""The static review engine: finds the files, parses each once, runs the rules.

Each client language has an Adapter (python, javascript, go, java) that turns its syntax tree
into a list of `Call`s (receiver, method, arguments) and answers a few questions its syntax
decides (is this string built at run time, is this loop a batch loop, is this a client
constructor). The checks below are written once over `Call`s and serve all four languages.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
import shutil
import subprocess
import tempfile
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ast_grep_py import SgNode, SgRoot

from ask_redis.review.findings import (
    ANTI_PATTERNS,
    CLUSTER,
    PERFORMANCE_RULES,
    Finding,
    Rule,
    Severity,
    make_finding,
)
from ask_redis.review import lua

CLIENT_LANGS = ("python", "javascript", "typescript", "go", "java")

KEYS_IN_CODE = Rule(
    "keys-command", Severity.HIGH, CLIENT_LANGS,
    "KEYS used in application code",
    "KEYS walks the whole keyspace in one blocking call: on a large instance every other client waits.",
    "Iterate with SCAN (scan_iter / scanStream / Scan / ScanParams) and a MATCH pattern, or keep an index set of the keys you need.",
    checklist=7,
)
SET_NO_TTL = Rule(
    "cache-set-no-ttl", Severity.MEDIUM, CLIENT_LANGS,
    "Cache write with no TTL",
    "SET with no expiry: the key lives until something deletes it, so cache data piles up as orphans.",
    "Set the TTL in the same command (SET key value EX seconds / ex= / PX / SetArgs.ex) or use SETEX.",
    checklist=3,
)
CLIENT_PER_REQUEST = Rule(
    "client-per-request", Severity.HIGH, CLIENT_LANGS,
    "Redis client built per call instead of shared from a pool",
    "A client (and its connection) built inside a handler or per-call function pays a TCP (and TLS, AUTH) handshake every call and can exhaust maxclients under load.",
    "Build one client (it holds a connection pool) at start-up and share it; in Java take connections from a JedisPool / a shared Lettuce connection.",
    checklist=5,
)
LOOP_NO_PIPELINE = Rule(
    "loop-no-pipeline", Severity.MEDIUM, CLIENT_LANGS,
    "Redis commands issued one by one in a loop",
    "Each iteration waits a full network round trip; N keys cost N round trips.",
    "Batch the loop through a pipeline (50-100 commands a batch), or use a multi-key command (MGET, HMGET, a variadic DEL/UNLINK).",
    checklist=6,
)
DEL_COLLECTION = Rule(
    "del-on-collection", Severity.LOW, CLIENT_LANGS,
    "DEL on a collection or on many keys",
    "DEL frees memory synchronously: deleting a large hash/set/list/zset/stream, or many keys at once, blocks the server while it frees.",
    "Use UNLINK, which frees the memory in a background thread.",
    section=PERFORMANCE_RULES,
)
UNBOUNDED_READ = Rule(
    "unbounded-read", Severity.MEDIUM, CLIENT_LANGS,
    "Whole-collection read (HGETALL / SMEMBERS / HKEYS / HVALS / LRANGE 0 -1 / ZRANGE 0 -1)",
    "Reads the whole collection in one reply: cost grows with the key, blocks the server and the client on a big key.",
    "Read what you need (HMGET, SISMEMBER, LRANGE with a window) or iterate with HSCAN/SSCAN/ZSCAN and a COUNT.",
    checklist=2,
)
NO_SOCKET_TIMEOUT = Rule(
    "no-socket-timeout", Severity.MEDIUM, ("python", "javascript", "typescript"),
    "Client built without a socket/command timeout",
    "With no timeout a stalled server or network hangs every caller forever (redis-py has no socket timeout by default; ioredis and node-redis have no command timeout).",
    "Set socket_timeout and socket_connect_timeout (redis-py), commandTimeout (ioredis) or socket.socketTimeout (node-redis).",
    checklist=5,
)
EVAL_BUILT_SCRIPT = Rule(
    "eval-built-script", Severity.HIGH, CLIENT_LANGS,
    "EVAL of a script built at run time",
    "A script built by formatting or concatenation is a new script per value: the script cache grows without bound, EVALSHA can never hit, and values can inject Lua.",
    "Keep the script a constant, pass values in ARGV and keys in KEYS, and load it once (register_script / defineCommand / NewScript / SCRIPT LOAD + EVALSHA).",
    section=ANTI_PATTERNS,
)
MULTI_EXEC_LOGIC = Rule(
    "multi-exec-logic", Severity.MEDIUM, CLIENT_LANGS,
    "WATCH/MULTI/EXEC transaction carrying logic",
    "Read-decide-write under WATCH retries on every conflict and moves logic to the client: under contention it livelocks.",
    "Move the read-decide-write into a short Lua script (or a Function): it runs atomically with no retries.",
    section=ANTI_PATTERNS,
)
CLUSTER_CROSSSLOT = Rule(
    "cluster-multikey-no-hashtag", Severity.MEDIUM, CLIENT_LANGS,
    "Multi-key command without a hash tag on a Cluster deployment",
    "On Redis Cluster a multi-key command whose keys are in different slots fails with CROSSSLOT.",
    "Put the keys that are used together in one slot with a hash tag ({user:42}:cart, {user:42}:profile), or split the call per key.",
    section=CLUSTER,
)
SELECT_DB = Rule(
    "select-nonzero-db", Severity.LOW, CLIENT_LANGS,
    "Numbered database other than 0 (SELECT / db=N)",
    "Numbered databases are not supported by Redis Cluster and share one server's memory, eviction and CPU: they isolate nothing.",
    "Use db 0 and separate data by key prefix, or run a separate instance for data that must be isolated.",
    checklist=1,
)
FLUSH_IN_CODE = Rule(
    "flush-outside-tests", Severity.HIGH, CLIENT_LANGS,
    "FLUSHALL / FLUSHDB in application code",
    "One call erases every key of the database (or of all databases); in application code it is an outage waiting for a wrong environment variable.",
    "Delete the keys you own by prefix with SCAN + UNLINK, keep flushes to tests, and rename/disable FLUSHALL/FLUSHDB on production servers (ACL -flushall -flushdb).",
    section=ANTI_PATTERNS,
)
XADD_NO_MAXLEN = Rule(
    "xadd-no-maxlen", Severity.MEDIUM, CLIENT_LANGS,
    "XADD without MAXLEN/MINID",
    "A stream appended to without trimming grows until memory runs out.",
    "Trim as you add: XADD key MAXLEN ~ N * ... (maxlen=N, approximate=True / MaxLen+Approx / XAddParams.maxLen), or MINID for time windows.",
    checklist=2,
)
KEY_NO_NAMESPACE = Rule(
    "key-no-namespace", Severity.INFO, CLIENT_LANGS,
    "Key name without a namespace",
    "The key has no service:entity: prefix: it cannot be told apart, scanned or expired by namespace.",
    "Name keys {service}:{entity}:{id}[:{field}], e.g. user:profile:12345.",
    checklist=1,
)

RULES = [
    KEYS_IN_CODE, SET_NO_TTL, CLIENT_PER_REQUEST, LOOP_NO_PIPELINE, DEL_COLLECTION, UNBOUNDED_READ,
    NO_SOCKET_TIMEOUT, EVAL_BUILT_SCRIPT, MULTI_EXEC_LOGIC, CLUSTER_CROSSSLOT, SELECT_DB, FLUSH_IN_CODE,
    XADD_NO_MAXLEN, KEY_NO_NAMESPACE,
]


# --- vocabulary -------------------------------------------------------------------------------

COMMANDS = set("""
get set setex psetex setnx getset getdel getex mget mset msetnx incr incrby incrbyfloat decr decrby append
strlen getrange setrange del unlink exists expire pexpire expireat pexpireat ttl pttl persist type rename
renamenx copy hget hset hsetnx hmset hmget hgetall hdel hexists hincrby hincrbyfloat hkeys hvals hlen hscan
lpush rpush lpop rpop llen lrange lindex lset lrem ltrim linsert lmove rpoplpush sadd srem smembers sismember
smismember scard spop srandmember sinter sunion sdiff sinterstore sunionstore sdiffstore smove zadd zrem zscore
zincrby zrange zrevrange zrangebyscore zrevrangebyscore zrank zrevrank zcard zcount zremrangebyscore
zremrangebyrank zunionstore zinterstore xadd xrange xrevrange xlen xdel xtrim xack pfadd pfcount pfmerge setbit
getbit bitcount bitop geoadd publish eval evalsha keys flushall flushdb select watch multi exec
""".split())
# Python and Go spellings of the same commands.
ALIASES = {"delete": "del"}
# Names distinctive enough that any receiver counts (no-one else has an `hgetall`).
DISTINCTIVE = COMMANDS - {
    "get", "set", "del", "exists", "type", "append", "rename", "copy", "keys", "select", "watch", "multi",
    "exec", "publish", "eval", "incr", "decr", "expire", "ttl", "persist", "mget", "mset",
}
# Commands a worker loop legitimately repeats (blocking pops, consumers, cursors).
LOOP_EXEMPT = {"blpop", "brpop", "brpoplpush", "blmove", "bzpopmin", "bzpopmax", "xread", "xreadgroup",
               "scan", "sscan", "hscan", "zscan", "watch", "multi", "exec", "select"}
EXPIRE_COMMANDS = {"expire", "pexpire", "expireat", "pexpireat", "setex", "psetex", "getex"}
COLLECTION_WRITES = {"hset", "hmset", "hsetnx", "sadd", "lpush", "rpush", "zadd", "xadd", "pfadd", "geoadd"}
MULTI_KEY = {"mget", "mset", "msetnx", "del", "unlink", "exists", "sunion", "sinter", "sdiff", "sunionstore",
             "sinterstore", "sdiffstore", "zunionstore", "zinterstore", "smove", "rename", "renamenx",
             "rpoplpush", "lmove", "pfmerge", "pfcount", "copy"}
UNBOUNDED = {"hgetall", "smembers", "hkeys", "hvals"}
RANGE_READS = {"lrange", "zrange", "zrevrange"}
STRING_KINDS = {"string", "template_string", "interpreted_string_literal", "raw_string_literal", "string_literal"}
GENERIC_SEND = {"execute_command", "send_command", "sendcommand", "call", "do"}

REDISH = re.compile(
    r"(?i)(redis|rdb|rds|jedis|lettuce|valkey)(_?(client|conn|connection|cli|db|pool|cluster))?$|(?-i:^r$)|^rc$|client$|"
    r"^conn(ection)?$|commands$|^sync$|^async$|^reactive$|^cmds?$"
)
# Fewest arguments the Redis command takes: fewer is some other API's method (list.append(x), dict.get(k)
# stays ambiguous and is left to the receiver check).
MIN_ARGS = {"append": 2, "set": 2, "hset": 2, "hget": 2, "sadd": 2, "lpush": 2, "rpush": 2, "zadd": 2,
            "expire": 2, "incrby": 2, "rename": 2, "copy": 2, "exists": 1, "type": 1, "incr": 1, "decr": 1}
PIPEISH = re.compile(r"(?i)pipe|^p$|^tx$|^txn$|^trans|^multi$|batch|^pl$")
IDENT = re.compile(r"[A-Za-z_$][\w$]*")

TEST_PATH = re.compile(
    r"(^|/)(tests?|__tests__|spec|specs|testdata|fixtures?|testing|e2e|testutils?|test_?helpers?|test_utils)(/|$)"
    r"|(^|/)(test_[^/]*\.py|[^/]*_test\.(py|go)|conftest\.py|[^/]*\.(test|spec|setup|tst|test-d)\.[cm]?[jt]sx?|setupTests\.[jt]sx?|"
    r"[^/]*(Test|Tests|IT)\.java)$"
)
TEST_FUNCTION = re.compile(
    r"^(setUp|setUpClass|setUpModule|setup_(class|module|method|function)|tearDown\w*|teardown\w*)$|"
    r"(?i:fixture|before(each|all)?$|after(each|all)?$|^test|^benchmark)"
)
IGNORE = re.compile(r"ask-redis:\s*ignore(?:\[([\w\-, ]+)\])?")
URL_DB = re.compile(r"^rediss?://[^/\s]*/(\d+)")
URL_DB_IN_TEXT = re.compile(r"rediss?://[^/\s'\"`]*/0*[1-9]")


class Prefetched:
    """The nodes of the kinds a file's checks ask for, found in one walk of the tree instead of one each."""

    def __init__(self, root: SgNode, kinds: tuple[str, ...]):
        self.by_kind: dict[str, list[SgNode]] = {kind: [] for kind in kinds}
        self.in_order: list[tuple[SgNode, str]] = []
        for node in root.find_all(any=[{"kind": k} for k in kinds]) if kinds else []:
            kind = node.kind()
            self.by_kind[kind].append(node)
            self.in_order.append((node, kind))

    def find_all(self, kind: str | None = None, any: list[dict] | None = None) -> list[SgNode]:
        kinds = [kind] if kind else [rule["kind"] for rule in any or []]
        if len(kinds) == 1:
            return self.by_kind[kinds[0]]
        return sorted((n for k in kinds for n in self.by_kind[k]), key=lambda n: n.range().start.index)


@functools.lru_cache(maxsize=None)
def known_kinds(lang: str, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """The kinds this language's grammar has (an adapter may name kinds of a sibling grammar)."""
    empty = SgRoot("", lang).root()
    known = []
    for kind in dict.fromkeys(kinds):
        try:
            empty.find(kind=kind)
        except RuntimeError:
            continue
        known.append(kind)
    return tuple(known)


class Scopes:
    """The functions and loops of a file as nested byte ranges. Which of them enclose a node is then a
    bisect and a walk up this small tree, instead of a walk over the node's syntax ancestors."""

    def __init__(self, nodes: list[tuple[SgNode, str]], function_kinds: tuple[str, ...]):
        self._found = nodes  # (node, kind) in document order: every scope after the scopes that enclose it
        self._function_kinds = function_kinds
        self.nodes: list[SgNode] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.is_function: list[bool] = []
        self.parent: list[int] = []
        self.loop_body: dict[int, tuple[int, int] | None] = {}

    def _build(self) -> None:
        open_scopes: list[int] = []
        for i, (scope, kind) in enumerate(self._found):
            span = scope.range()
            start, end = span.start.index, span.end.index
            while open_scopes and not (self.starts[open_scopes[-1]] <= start and end <= self.ends[open_scopes[-1]]):
                open_scopes.pop()
            self.nodes.append(scope)
            self.starts.append(start)
            self.ends.append(end)
            self.is_function.append(kind in self._function_kinds)
            self.parent.append(open_scopes[-1] if open_scopes else -1)
            open_scopes.append(i)
        self._found = None

    def function_nodes(self) -> list[SgNode]:
        if self._found is not None:
            self._build()
        return [n for n, is_fn in zip(self.nodes, self.is_function) if is_fn]

    def enclosing(self, node: SgNode) -> list[int]:
        """The scopes that are syntax ancestors of `node`, innermost first."""
        if self._found is not None:  # built on first use: many files never ask
            self._build()
        span = node.range()
        start, end = span.start.index, span.end.index
        # The innermost enclosing scope is the last one to start at or before the node, or one of its parents.
        i = bisect.bisect_right(self.starts, start) - 1
        while i >= 0 and not (self.starts[i] <= start and end <= self.ends[i] and (self.starts[i], self.ends[i]) != (start, end)):
            i = self.parent[i]
        found = []
        while i >= 0:
            found.append(i)
            i = self.parent[i]
        return found

    def enclosing_loop(self, node: SgNode, adapter: "Adapter") -> SgNode | None:
        """The innermost batch loop whose body holds `node`, within its function."""
        start = node.range().start.index
        for i in self.enclosing(node):
            if i not in self.loop_body:  # a Java forEach lambda is a loop and a function: the loop comes first
                scope = self.nodes[i]
                body = adapter.loop_body(scope) if scope.kind() in adapter.loop_kinds and adapter.is_batch_loop(scope) else None
                self.loop_body[i] = (body.range().start.index, body.range().end.index) if body is not None else None
            body_span = self.loop_body[i]
            if body_span is not None and body_span[0] <= start < body_span[1]:
                return self.nodes[i]
            if self.is_function[i]:
                return None
        return None


@dataclass
class Call:
    node: SgNode
    receiver: str  # last identifier of the object called on ("" for a bare function)
    receiver_text: str
    method: str
    command: str  # lower-case Redis command ("" when the method is not one)
    args: list[SgNode]
    kwargs: dict[str, SgNode] = field(default_factory=dict)
    splat: bool = False  # *args, **kwargs, ...spread or keys... present
    redis: bool | None = None  # memo of FileContext.is_redis
    pipeline: bool | None = None  # memo of FileContext.is_pipeline

    @property
    def line(self) -> int:
        return self.node.range().start.line + 1


class Adapter:
    """How one language's syntax answers the engine's questions. Subclasses fill these in."""

    name = ""
    lang = ""  # the ast-grep language
    extensions: tuple[str, ...] = ()
    call_kinds: tuple[str, ...] = ()
    new_kinds: tuple[str, ...] = ()
    loop_kinds: tuple[str, ...] = ()
    function_kinds: tuple[str, ...] = ()
    if_kinds: tuple[str, ...] = ()
    string_kinds: tuple[str, ...] = ()
    assignment_kinds: tuple[str, ...] = ()  # what assignments() and foreign_names() read

    def call(self, node: SgNode) -> Call | None:
        raise NotImplementedError

    def new(self, node: SgNode) -> Call | None:
        return None

    def is_client_ctor(self, call: Call) -> bool:
        """A call or `new` that builds a Redis client or connection pool."""
        return False

    def function_name(self, fn: SgNode) -> str:
        name = fn.field("name")
        return name.text() if name else ""

    def function_markers(self, fn: SgNode) -> str:
        """Decorators, annotations, or the callee a callback is passed to."""
        return ""

    def function_params(self, fn: SgNode) -> str:
        params = fn.field("parameters") or fn.field("parameter")
        return params.text() if params is not None else ""

    def is_bare_connection(self, call: Call) -> bool:
        """A single connection with no pool (Jedis): built in any method it is one connection per call."""
        return False

    def loop_body(self, loop: SgNode) -> SgNode | None:
        return loop.field("body")

    def is_batch_loop(self, loop: SgNode) -> bool:
        return True

    def loop_call_counts(self, call: Call) -> bool:
        """Whether this call in a loop costs a round trip per iteration."""
        return True

    def literal(self, node: SgNode) -> str | None:
        """The value of a plain string literal (no interpolation), else None."""
        raise NotImplementedError

    def is_built_string(self, node: SgNode) -> bool:
        raise NotImplementedError

    def string_contents(self, node: SgNode) -> str | None:
        """The text inside a string node (interpolations left as written), for inline Lua."""
        return self.literal(node)

    def int_value(self, node: SgNode) -> int | None:
        try:
            return int(node.text().rstrip("lL"), 0)
        except ValueError:
            return None

    def assigned_name(self, node: SgNode) -> str | None:
        raise NotImplementedError

    def has_hash_tag(self, node: SgNode) -> bool:
        return "{" in node.text() and "}" in node.text()

    def ttl_given(self, call: Call) -> bool:
        return len(call.args) > 2 or call.splat

    def xadd_trimmed(self, call: Call) -> bool:
        text = " ".join(a.text() for a in call.args).lower()
        if "maxlen" in text or "minid" in text or call.splat:
            return True
        return any(a.kind() == "identifier" and re.search(r"(?i)args|opts|options|params", a.text()) for a in call.args)

    def timeout_set(self, call: Call) -> bool | None:
        """None: this language's clients have safe defaults, the rule does not apply."""
        return None

    def db_number(self, call: Call) -> tuple[int, SgNode] | None:
        """A non-zero database number given to a client constructor."""
        return None

    def uses_cluster(self, text: str) -> bool:
        return False

    def assignments(self, root: SgNode) -> dict[str, list[SgNode]]:
        """name -> the values assigned to it in this file (to see through script constants)."""
        return {}

    def foreign_names(self, root: SgNode) -> set[str]:
        """Names this file imports from non-Redis libraries that look like Redis calls (Django's cache)."""
        return set()

    def extra(self, ctx: "FileContext") -> None:
        """Language-only rules."""

    def prepare(self, text: str) -> None:
        """Per-file facts the adapter needs before reading calls (Spring's typed fields)."""

    def command_for(self, call: Call) -> str | None:
        """A framework method's Redis command ("" for a framework call that is no command); None: not a framework call."""
        return None


@dataclass
class FileContext:
    adapter: Adapter
    path: str
    text: str
    root: SgNode
    is_test: bool
    lines: list[str]
    calls: list[Call] = field(default_factory=list)
    news: list[Call] = field(default_factory=list)
    client_vars: set[str] = field(default_factory=set)
    pipeline_vars: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    facts: Counter = field(default_factory=Counter)
    assignments: dict[str, list[SgNode]] = field(default_factory=dict)
    plain_vars: set[str] = field(default_factory=set)  # names only ever bound to dicts, maps, lists
    test_functions: dict[int, bool] = field(default_factory=dict)
    has_ignores: bool | None = None  # whether any ask-redis: ignore comment can be in the file
    receivers: dict[tuple[str, str], bool] = field(default_factory=dict)  # memo of is_redis_receiver
    scopes: "Scopes | None" = None  # the file's functions and loops, so no check walks ancestors

    # -- questions the checks ask -------------------------------------------------------------
    def is_pipeline(self, call: Call) -> bool:
        if call.pipeline is None:
            call.pipeline = self._is_pipeline(call)
        return call.pipeline

    def _is_pipeline(self, call: Call) -> bool:
        return (
            call.receiver in self.pipeline_vars
            or bool(PIPEISH.search(call.receiver))
            or bool(re.search(r"(?i)\.(pipeline|pipelined|multi|txpipeline)\(", call.receiver_text))
        )

    def is_redis_receiver(self, call: Call) -> bool:
        if not call.receiver or call.receiver in self.plain_vars:
            return False
        key = (call.receiver, call.receiver_text)
        if key not in self.receivers:
            self.receivers[key] = call.receiver in self.client_vars or bool(REDISH.search(call.receiver)) or self.is_pipeline(call)
        return self.receivers[key]

    def is_redis(self, call: Call) -> bool:
        if call.redis is None:
            call.redis = self._is_redis(call)
        return call.redis

    def _is_redis(self, call: Call) -> bool:
        if not call.command or (len(call.args) + len(call.kwargs) < MIN_ARGS.get(call.command, 0) and not call.splat):
            return False
        if call.receiver in ("Object", "Reflect", "Map", "_", "dict", "os", "self", "this", "Array", "JSON", "Promise"):
            return False
        if call.receiver in self.plain_vars:
            return False
        return self.is_redis_receiver(call) or (call.command in DISTINCTIVE and bool(call.receiver))

    def enclosing_functions(self, node: SgNode) -> list[SgNode]:
        if self.scopes is None:
            return [a for a in node.ancestors() if a.kind() in self.adapter.function_kinds]
        return [self.scopes.nodes[i] for i in self.scopes.enclosing(node) if self.scopes.is_function[i]]

    def in_test_code(self, node: SgNode) -> bool:
        if self.is_test:
            return True
        return any(self._is_test_function(fn) for fn in self.enclosing_functions(node))

    def _is_test_function(self, fn: SgNode) -> bool:
        key = fn.range().start.index
        if key not in self.test_functions:
            self.test_functions[key] = bool(TEST_FUNCTION.search(self.adapter.function_name(fn)) or re.search(
                r"(?i)fixture|\bbefore(each|all)?\b|\bafter(each|all)?\b",
                re.sub(r"(['\"]).*?\1", "", self.adapter.function_markers(fn))))  # not @click.option("--exit-after")
        return self.test_functions[key]

    def enclosing_loop(self, node: SgNode) -> SgNode | None:
        start = node.range().start.index
        if self.scopes is not None:
            return self.scopes.enclosing_loop(node, self.adapter)
        for ancestor in node.ancestors():
            kind = ancestor.kind()
            if kind in self.adapter.loop_kinds and self.adapter.is_batch_loop(ancestor):
                body = self.adapter.loop_body(ancestor)
                if body is not None and body.range().start.index <= start < body.range().end.index:
                    return ancestor
            if kind in self.adapter.function_kinds:
                return None
        return None

    def report(self, rule: Rule, node: SgNode, message: str | None = None, into: list | None = None,
               severity: Severity | None = None) -> None:
        start = node.range().start
        line = start.line + 1
        if self.ignored(rule, line):
            return
        if self.in_test_code(node):
            return
        evidence = self.lines[line - 1].strip()[:200] if line - 1 < len(self.lines) else ""
        (self.findings if into is None else into).append(
            make_finding(rule, message=message, severity=severity, path=self.path, line=line,
                         column=start.column + 1, evidence=evidence)
        )

    def ignored(self, rule: Rule, line: int) -> bool:
        if self.has_ignores is None:
            self.has_ignores = "ask-redis" in self.text
        if not self.has_ignores:
            return False
        for index in (line - 1, line - 2):
            if 0 <= index < len(self.lines):
                match = IGNORE.search(self.lines[index])
                if match and (not match.group(1) or rule.id in [s.strip() for s in match.group(1).split(",")]):
                    return True
        return False


def last_identifier(text: str) -> str:
    names = IDENT.findall(text)
    return names[-1] if names else ""


def normalise(call: Call, adapter: "Adapter | None" = None) -> Call:
    """Fill in `command`: the method's Redis command, or the name sent by execute_command/Do/sendCommand."""
    framework = adapter.command_for(call) if adapter is not None else None
    if framework is not None:
        call.command = framework
        call.redis = bool(framework)
        return call
    method = call.method.lower()
    if method in GENERIC_SEND and call.args:
        first = call.args[0]
        if first.kind() in ("array", "list", "array_creation_expression"):
            items = first.named_children()
            first = items[0] if items else first
        words = IDENT.findall(first.text().strip("\"'`"))
        name = (words[-1] if first.kind() not in STRING_KINDS else words[0]) if words else ""
        call.command = name.lower() if name.lower() in COMMANDS | LOOP_EXEMPT else ""
        call.args = call.args[1:]
        return call
    method = ALIASES.get(method, method)
    if method not in COMMANDS and method not in LOOP_EXEMPT:
        # go-redis spellings with the options in the name: XTrimMinID, XTrimMaxLenApprox, ZAddArgs, ZRangeWithScores
        method = _OPTION_SUFFIX.sub("", method)
    call.command = method if method in COMMANDS or method in LOOP_EXEMPT else ""
    return call


_OPTION_SUFFIX = re.compile(r"(args|withscores|(maxlen|minid)(approx)?|nx|xx|gt|lt)$")


# --- the checks -------------------------------------------------------------------------------


PLAIN_CONTAINERS = re.compile(
    r"^(new\s+)?(dict|set|list|OrderedDict|defaultdict|Counter|Map|Set|WeakMap|HashMap|TreeMap|LinkedHashMap|"
    r"ConcurrentHashMap|ArrayList|HashSet|make|cachetools\.\w+|LRUCache|TTLCache)\b")


REDISH_FACTORY = re.compile(
    r"(?i)redis|cluster|pool|jedis|lettuce|sentinel|connect|client|from_url|getresource|pipeline|pipelined|multi|"
    r"sync|async|reactive|universal|ring|failover")
CALL_KINDS = ("call", "call_expression", "new_expression", "method_invocation", "object_creation_expression", "await",
              "await_expression")


def _is_plain_container(value: SgNode) -> bool:
    """Bound to something that is not a Redis client: a dict/map/list (a local `cache = {}`), or what a
    factory with no Redis-like name returns (`client = axios.create()`, `cache = CacheBuilder...build()`)."""
    if value.kind() in ("dictionary", "list", "set", "object", "array", "composite_literal",
                        "dictionary_comprehension", "list_comprehension", "subscript", "subscript_expression",
                        "index_expression", "array_access", "string", "integer", "number", "tuple", "for_statement",
                        "for_in_clause"):
        return True
    if PLAIN_CONTAINERS.match(value.text()):
        return True
    if value.kind() in CALL_KINDS and re.match(r"(await\s+)?(require|import)\s*\(", value.text()):
        return False  # a module: what it exports is not known here
    if value.kind() in CALL_KINDS:
        return not REDISH_FACTORY.search(value.text().split("(", 1)[0] if value.kind() not in ("await", "await_expression")
                                         else value.text())
    return False


def _resolve(ctx: FileContext, node: SgNode) -> SgNode:
    """An identifier's value when the file assigns it exactly once (script constants)."""
    if node.kind() != "identifier":
        return node
    values = ctx.assignments.get(node.text(), [])
    return values[0] if len(values) == 1 else node


def _same_function(a: SgNode, b: SgNode, ctx: FileContext) -> bool:
    fa, fb = ctx.enclosing_functions(a), ctx.enclosing_functions(b)
    return (fa[0].range().start.index if fa else -1) == (fb[0].range().start.index if fb else -1)


def check_eval(ctx: FileContext) -> None:
    for call in ctx.calls:
        script_calls = ("eval", "register_script", "script_load", "scriptload", "newscript", "definecommand")
        if call.command != "eval" and call.method.lower() not in script_calls:
            continue
        if call.method.lower() == "definecommand":
            source = next((a for a in call.args if a.kind() == "object"), None)
            if source is None:
                continue
            pair = next((p for p in source.find_all(kind="pair") if (p.field("key") or p).text() == "lua"), None)
            script = pair.field("value") if pair else None
        else:
            script = call.args[0] if call.args else None
        if script is None:
            continue
        resolved = _resolve(ctx, script)
        if resolved is not script and not ctx.enclosing_functions(resolved):
            continue  # a module constant, built once at import however it is spelled
        if ctx.adapter.is_built_string(resolved):
            ctx.report(EVAL_BUILT_SCRIPT, call.node)


def check_multi_exec(ctx: FileContext) -> None:
    watches = [c for c in ctx.calls if c.command == "watch" and ctx.is_redis(c)]
    for watch in watches:
        fns = ctx.enclosing_functions(watch.node)
        scope = fns[0] if fns else ctx.root
        # Go: rdb.Watch(ctx, func(tx *redis.Tx) error {...}, keys...) carries its logic in the callback.
        callback = next((a for a in watch.args if a.kind() in ctx.adapter.function_kinds), None)
        if callback is not None:
            region = (callback.range().start.index, callback.range().end.index)
            scope = callback
        else:
            multis = [c for c in ctx.calls if c.command in ("multi", "exec") and c.node.range().start.index > watch.node.range().start.index
                      and _same_function(c.node, watch.node, ctx)]
            if not multis:
                continue
            region = (watch.node.range().end.index, multis[0].node.range().start.index)
        for branch in scope.find_all(any=[{"kind": k} for k in ctx.adapter.if_kinds]):
            start = branch.range().start.index
            if not region[0] <= start < region[1]:
                continue
            condition = branch.field("condition")
            text = condition.text() if condition else ""
            if re.fullmatch(r"\(?\s*err\s*[!=]=\s*(nil|redis\.Nil)\s*\)?", text.strip()):
                continue
            ctx.report(MULTI_EXEC_LOGIC, watch.node)
            break


def check_select(ctx: FileContext) -> None:
    for call in ctx.calls:
        if call.command == "select" and ctx.is_redis(call) and call.args:
            number = ctx.adapter.int_value(call.args[0])
            if number:
                ctx.report(SELECT_DB, call.node, f"SELECT {number}: numbered databases are not supported on Cluster.")
    for ctor in ctx.news:
        if ctx.adapter.is_client_ctor(ctor):
            found = ctx.adapter.db_number(ctor)
            if found:
                ctx.report(SELECT_DB, found[1], f"Database {found[0]}: numbered databases are not supported on Cluster.")
    if not URL_DB_IN_TEXT.search(ctx.text):
        return
    for node in ctx.root.find_all(any=[{"kind": k} for k in ctx.adapter.string_kinds]):
        value = ctx.adapter.literal(node)
        match = URL_DB.match(value or "")
        if match and int(match.group(1)) != 0:
            ctx.report(SELECT_DB, node, f"URL selects database {match.group(1)}: numbered databases are not supported on Cluster.")


KEYED = COMMANDS - {"eval", "evalsha", "keys", "flushall", "flushdb", "select", "multi", "exec", "publish", "watch"}


def check_key_names(ctx: FileContext) -> None:
    if ctx.is_test:
        return
    for call in ctx.calls:
        if call.command not in KEYED or not call.args or not ctx.is_redis(call):
            continue
        key = ctx.adapter.literal(call.args[0])
        if key is None or "/" in key or " " in key:  # a URL path or a sentence is no key
            continue
        ctx.facts["key_literals"] += 1
        if key and not re.search(r"[:{]", key):
            ctx.report(KEY_NO_NAMESPACE, call.args[0], f"Key {key!r} has no namespace prefix.")
        else:
            ctx.facts["key_literals_namespaced"] += 1


def check_inline_lua(ctx: FileContext) -> None:
    if not lua.looks_like_script(ctx.text):
        return
    seen: set[int] = set()
    for node in ctx.root.find_all(any=[{"kind": k} for k in ctx.adapter.string_kinds]):
        if node.range().start.index in seen:
            continue
        top = _concatenation_top(node, ctx)
        seen.update(n.range().start.index for n in top.find_all(any=[{"kind": k} for k in ctx.adapter.string_kinds]))
        parts = [ctx.adapter.string_contents(n) for n in ([top] if top is node else
                 top.find_all(any=[{"kind": k} for k in ctx.adapter.string_kinds]))]
        script = "".join(p or "" for p in parts)
        if not lua.looks_like_script(script):
            continue
        first_line = top.range().start.line + 1
        last_line = top.range().end.line + 1
        if ctx.in_test_code(top):
            continue
        hits = lua.analyze(script, strict=True)  # prose that mentions redis.call is no script
        if hits is None:
            continue
        ctx.facts["lua_scripts"] += 1
        for hit in hits:
            line = min(first_line + hit.line - 1, last_line)
            _report_line(ctx, hit.rule, line, hit.message)


def _concatenation_top(node: SgNode, ctx: FileContext) -> SgNode:
    """The whole "a" + "b" + ... expression a literal belongs to (Java and Go spell scripts this way)."""
    top = node
    parent = node.parent()
    while parent is not None and parent.kind() in ("binary_expression", "concatenated_string", "parenthesized_expression"):
        if any(c.kind() not in ctx.adapter.string_kinds and c.is_named() and c.kind() not in ("binary_expression", "parenthesized_expression", "comment")
               for c in parent.children()):
            break
        top, parent = parent, parent.parent()
    return top


def _report_line(ctx: FileContext, rule: Rule, line: int, message: str | None = None) -> None:
    if ctx.ignored(rule, line):
        return
    evidence = ctx.lines[line - 1].strip()[:200] if 0 < line <= len(ctx.lines) else ""
    ctx.findings.append(make_finding(rule, message=message, path=ctx.path, line=line, evidence=evidence))


# The checks one file decides alone; the rest query the program model (rules.py).
LOCAL_CHECKS = (check_eval, check_multi_exec, check_select, check_key_names, check_inline_lua)


# --- files ------------------------------------------------------------------------------------


@dataclass
class FileResult:
    findings: list[Finding]
    facts: Counter
    model: "FileFacts | None" = None


def analyze_source(text: str, path: str, adapter: Adapter) -> FileResult:
    root = SgRoot(text, adapter.lang).root()
    ctx = FileContext(adapter=adapter, path=path, text=text, root=root, is_test=bool(TEST_PATH.search(path)),
                      lines=text.splitlines())
    scope_kinds = known_kinds(adapter.lang, adapter.function_kinds + adapter.loop_kinds)
    nodes = Prefetched(root, tuple(dict.fromkeys(adapter.call_kinds + adapter.new_kinds + adapter.assignment_kinds
                                                 + scope_kinds)))
    ctx.scopes = Scopes([(n, k) for n, k in nodes.in_order if k in scope_kinds], adapter.function_kinds)
    adapter.prepare(text)
    ctx.calls = [normalise(c, adapter) for c in (adapter.call(n) for n in nodes.find_all(any=[{"kind": k} for k in adapter.call_kinds])) if c]
    ctx.news = [c for c in (adapter.new(n) for n in nodes.find_all(any=[{"kind": k} for k in adapter.new_kinds])) if c]
    ctx.news += [c for c in ctx.calls if adapter.is_client_ctor(c) and c not in ctx.news]
    for ctor in ctx.news:
        if adapter.is_client_ctor(ctor):
            name = adapter.assigned_name(ctor.node)
            if name:
                ctx.client_vars.add(name)
    for call in ctx.calls:
        if call.method.lower() in ("pipeline", "pipelined", "multi", "txpipeline", "tx_pipeline", "batch"):
            name = adapter.assigned_name(call.node)
            if name:
                ctx.pipeline_vars.add(name)
    ctx.assignments = adapter.assignments(nodes)
    ctx.plain_vars = {name for name, values in ctx.assignments.items()
                      if name not in ctx.client_vars and values and all(_is_plain_container(v) for v in values)}
    ctx.plain_vars |= adapter.foreign_names(nodes)
    for check in LOCAL_CHECKS:
        check(ctx)
    adapter.extra(ctx)
    from ask_redis.review.model import extract
    file_model = extract(ctx, ctx.is_redis)
    # The checklist's evidence counts application code only, as the findings do.
    redis_calls = [] if ctx.is_test else [c for c in ctx.calls if ctx.is_redis(c)]
    ctx.facts["redis_calls"] += len(redis_calls)
    ctx.facts["files_with_redis_calls"] += 1 if redis_calls else 0
    for call in redis_calls:
        ctx.facts[f"cmd:{call.command}"] += 1
    if not ctx.is_test:
        ctx.facts["clients_built"] += sum(1 for c in ctx.news if adapter.is_client_ctor(c))
        ctx.facts["pipelines"] += sum(1 for c in ctx.calls if c.method.lower() in ("pipeline", "pipelined", "txpipelined"))
    return FileResult(ctx.findings, ctx.facts, file_model)


def analyze_lua_file(text: str, path: str) -> FileResult:
    lines = text.splitlines()
    findings = []
    if TEST_PATH.search(path):
        return FileResult(findings, Counter())
    for hit in lua.analyze(text):
        evidence = lines[hit.line - 1].strip()[:200] if 0 < hit.line <= len(lines) else ""
        if IGNORE.search(evidence):
            continue
        findings.append(make_finding(hit.rule, message=hit.message, path=path, line=hit.line, evidence=evidence))
    return FileResult(findings, Counter(lua_scripts=1))


def adapters() -> dict[str, Adapter]:
    from ask_redis.review import go, java, javascript, python

    by_ext: dict[str, Adapter] = {}
    for module in (python, javascript, go, java):
        for adapter in module.ADAPTERS:
            for ext in adapter.extensions:
                by_ext[ext] = adapter
    return by_ext


SOURCE_EXTENSIONS = (".py", ".pyi", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".go", ".java", ".lua")
VENDORED = ("node_modules", "vendor", "third_party", "third-party", ".venv", "venv", "site-packages", "dist", "build",
            "target", ".git", "bower_components", ".tox", ".mypy_cache", "__pycache__", ".next", "out")
# Files that mention Redis, and serializer modules that a Redis cache may use without naming Redis.
# (Lua helpers included into scripts call Redis through an alias and may never spell "redis".)
MENTIONS_REDIS = re.compile(r"(?i)redis|jedis|lettuce|valkey|pickle|ObjectInputStream|[a-z_]\w*call\s*\(\s*['\"][a-z]+['\"]|"
                            r"cache\.keys\s*\(|fetch_job\s*\(|Job\.fetch\s*\(")  # Redis-backed libraries' calls


@dataclass
class ScanResult:
    findings: list[Finding]
    files_seen: int  # source files in the tree (after .gitignore and vendored dirs)
    files_analyzed: int  # those that mention Redis, parsed and checked
    facts: Counter
    uses_cluster: bool
    errors: list[str]
    program: "Program | None" = None


def rg_binary() -> str | None:
    beside = Path(sys.executable).with_name("rg")
    if beside.exists():
        return str(beside)
    return shutil.which("rg")


class Candidates:
    """Source files that mention Redis, yielded as ripgrep finds them (so parsing overlaps the walk),
    honouring .gitignore and skipping vendored dirs; `searched` is the number of source files walked."""

    def __init__(self, root: Path):
        self.root = root
        self.searched = 0
        self.unreadable: list[str] = []  # "path: why" for files and folders ripgrep could not read

    def __iter__(self):
        if self.root.is_file():
            self.searched = 1
            if MENTIONS_REDIS.search(self.root.read_text(errors="replace")):
                yield self.root
            return
        rg = rg_binary()
        if rg is None:
            self.searched, found = _walk_candidates(self.root)
            yield from found
            return
        # -l stops reading a file at its first match; --stats adds the files searched in the same pass.
        command = [rg, "--files-with-matches", "--null", "--stats", "--line-buffered", "--hidden", "--no-require-git",
                   "--no-config", "-i", "-e", MENTIONS_REDIS.pattern.removeprefix("(?i)"),
                   "-g", "*{" + ",".join(SOURCE_EXTENSIONS) + "}", "-g", "!*.min.js",
                   "-g", "!{" + ",".join(VENDORED) + "}", "--", "."]
        # ripgrep's messages (a file or folder it cannot read) go to a file, not a pipe nobody drains
        with tempfile.TemporaryFile() as messages:
            process = subprocess.Popen(command, cwd=self.root, stdout=subprocess.PIPE, stderr=messages,
                                       stdin=subprocess.DEVNULL)
            pending = b""
            with process:
                while chunk := process.stdout.read1(1 << 16):
                    *names, pending = (pending + chunk).split(b"\0")
                    for name in names:
                        yield self.root / os.fsdecode(name.lstrip(b"\n")).removeprefix("./")
            messages.seek(0)
            said = messages.read(1 << 20).decode("utf-8", "replace")
        searched = re.search(rb"(\d+) files searched", pending)
        # exit 2 with statistics: some files could not be read, the rest were searched
        if process.returncode not in (0, 1, 2) or searched is None:
            raise RuntimeError(f"ripgrep failed listing {self.root} (exit {process.returncode})")
        self.searched = int(searched.group(1))
        for line in said.splitlines():
            match = _RG_MESSAGE.match(line)
            if match:
                self.unreadable.append(f"{match.group(1).removeprefix('./')}: {match.group(2)}")


_RG_MESSAGE = re.compile(r"^rg: (.+?): (.+?)(?: \(os error \d+\))?$")


def candidate_files(root: Path) -> tuple[int, list[Path]]:
    """(source files in the tree, those that mention Redis)."""
    candidates = Candidates(root)
    found = sorted(candidates)
    return candidates.searched, found


def _walk_candidates(root: Path) -> tuple[int, list[Path]]:
    total, found = 0, []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in VENDORED]
        for name in files:
            if not name.endswith(SOURCE_EXTENSIONS) or name.endswith(".min.js"):
                continue
            total += 1
            path = Path(folder) / name
            try:
                if MENTIONS_REDIS.search(path.read_text(errors="replace")):
                    found.append(path)
            except OSError:
                continue
    return total, sorted(found)


MAX_FILE_BYTES = 1024 * 1024  # bigger "source" is generated or minified: parsing it would dominate the review


def analyze_file(path: Path, rel: str, by_ext: dict[str, Adapter] | None = None) -> FileResult | None:
    suffix = path.suffix.lower()
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"skipped, larger than {MAX_FILE_BYTES // 1024} KB")
    text = path.read_text(errors="replace")
    if suffix == ".lua":
        return analyze_lua_file(text, rel)
    adapter = (by_ext or adapters()).get(suffix)
    if adapter is None:
        return None
    return analyze_source(text, rel, adapter)


PARALLEL_FROM = 16  # files; below this forking workers (~8 ms) costs more than it saves
BATCH_FILES = 8


def _analyze_batch(batch: list[tuple[Path, str]]) -> list[tuple[str, FileResult | None, str | None]]:
    by_ext = adapters()
    done = []
    for path, rel in batch:
        try:
            done.append((rel, analyze_file(path, rel, by_ext), None))
        except (OSError, ValueError, RuntimeError) as error:
            done.append((rel, None, str(error)))
    return done


def _can_fork() -> bool:
    """Worker processes only where forking is safe: Linux, more than one core, no other thread alive."""
    return sys.platform == "linux" and (os.cpu_count() or 1) > 1 and threading.active_count() == 1


def _analyze_all(paths, base: Path) -> list[tuple[str, FileResult | None, str | None]]:
    """Parse and check each file; past PARALLEL_FROM files, batches go to forked worker processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    results: list[tuple[str, FileResult | None, str | None]] = []
    pool = None
    futures, batch = [], []
    analyzed = 0
    try:
        for path in paths:
            job = (path, path.relative_to(base).as_posix())
            analyzed += 1
            if pool is None and analyzed > PARALLEL_FROM and _can_fork():
                workers = min(os.cpu_count() or 1, 8)
                pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
            if pool is None:
                results += _analyze_batch([job])
                continue
            batch.append(job)
            if len(batch) == BATCH_FILES:
                futures.append(pool.submit(_analyze_batch, batch))
                batch = []
        if batch:
            futures.append(pool.submit(_analyze_batch, batch))
        for future in futures:
            results += future.result()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return results


def _files_naming(root: Path, names: list[str]) -> list[Path]:
    """Source files that contain one of `names` as a word."""
    rg = rg_binary()
    if rg is None or not names:
        return []
    command = [rg, "--files-with-matches", "--null", "--no-messages", "--hidden", "--no-require-git", "--no-config",
               "-w", "-F", "-g", "*{" + ",".join(SOURCE_EXTENSIONS) + "}", "-g", "!*.min.js",
               "-g", "!{" + ",".join(VENDORED) + "}"]
    for name in names:
        command += ["-e", name]
    done = subprocess.run(command + ["--", "."], cwd=root, capture_output=True, stdin=subprocess.DEVNULL)
    return sorted(root / os.fsdecode(n).removeprefix("./") for n in done.stdout.split(b"\0") if n)


def _redis_folders(root: Path) -> list[Path]:
    """Source files in a folder named for Redis (src/database/redis/hash.js): an adapter's modules that reach the
    client through a shared object and never name it."""
    rg = rg_binary()
    if rg is None:
        return []
    command = [rg, "--files", "--null", "--no-messages", "--hidden", "--no-require-git", "--no-config", "--iglob",
               "**/*{redis,valkey}*/**/*{" + ",".join(SOURCE_EXTENSIONS) + "}", "-g", "!*.min.js",
               "-g", "!{" + ",".join(VENDORED) + "}", "--", "."]
    done = subprocess.run(command, cwd=root, capture_output=True, stdin=subprocess.DEVNULL)
    return sorted(root / os.fsdecode(n).removeprefix("./") for n in done.stdout.split(b"\0") if n)


def _files_importing(root: Path, stems: list[str]) -> list[Path]:
    """Source files that import a module that builds a client (`import client from './client'`)."""
    rg = rg_binary()
    if rg is None or not stems:
        return []
    modules = "|".join(re.escape(s) for s in stems[:200])
    pattern = rf"^\s*(import|from|const|let|var)\b.*[./'\"]({modules})['\"]?(\s|;|\)|$)|require\(['\"][^'\"]*\b({modules})['\"]\)"
    command = [rg, "--files-with-matches", "--null", "--no-messages", "--hidden", "--no-require-git", "--no-config",
               "-g", "*{" + ",".join(SOURCE_EXTENSIONS) + "}", "-g", "!*.min.js", "-g", "!{" + ",".join(VENDORED) + "}",
               "-e", pattern, "--", "."]
    done = subprocess.run(command, cwd=root, capture_output=True, stdin=subprocess.DEVNULL)
    return sorted(root / os.fsdecode(n).removeprefix("./") for n in done.stdout.split(b"\0") if n)


def scan(root: Path) -> ScanResult:
    """Run every static rule over the tree (or file) at `root`.

    Stage 1 reads each file into facts (the first PARALLEL_FROM here while ripgrep is still walking, then
    in forked workers); stage 2 joins them into the program model and runs the rules over it."""
    root = root.resolve()
    base = root.parent if root.is_file() else root
    candidates = Candidates(root)
    results = _analyze_all(candidates, base)
    analyzed = len(results)
    first, more = None, []
    # Second pass: files that never name Redis but call the program's Redis functions (a service calling
    # a cache helper in a loop). Their facts join the model; a name must be rare enough to mean that function.
    if root.is_dir():
        from ask_redis.review.model import Program, redis_function_names

        first = Program([r.model for _, r, _ in results if r is not None and r.model is not None])
        names = redis_function_names(first)
        seen = {rel for rel, _, _ in results}
        stems = sorted({Path(f.path).stem for f in first.files if f.ctors and not f.test} - {"index", "__init__", "main"})
        more = [p for p in dict.fromkeys(_files_naming(root, names) + _files_importing(root, stems) + _redis_folders(root))
                if p.relative_to(base).as_posix() not in seen]
        if more:
            results += _analyze_all(more, base)
            analyzed += len(more)
    findings: list[Finding] = []
    facts: Counter = Counter()
    errors: list[str] = []
    files = []
    for rel, result, error in results:
        if error:
            errors.append(f"{rel}: {error}")
        if result is None:
            continue
        if result.model is None or result.model.names_redis:
            findings += result.findings  # a file that never names Redis only feeds the model
        facts += result.facts
        if result.model is not None:
            files.append(result.model)
    from ask_redis.review import rules
    from ask_redis.review.model import Program

    program = first if root.is_dir() and not more else Program(files)
    findings += rules.run(base if root.is_file() else root, program)
    findings.sort(key=lambda f: (-f.severity, f.path or "", f.line or 0, f.rule_id))
    errors += candidates.unreadable
    errors.sort()
    return ScanResult(findings, candidates.searched, analyzed, facts, program.uses_cluster, errors, program)

"""Key expressions normalised to patterns, and key families: every key the code builds the same way.

`f"user:{uid}:cart"`, `"user:" + uid + ":cart"`, `` `user:${uid}:cart` ``, `"user:%s:cart" % uid`,
`String.format("user:%s:cart", uid)` and `fmt.Sprintf("user:%d:cart", uid)` are all the family
`user:*:cart`. A key built by a helper (`make_key("cart", uid)`) is the family of that helper and its
literal arguments. A key that is a parameter of the enclosing function has no family of its own: the
callers' keys decide (see model.Program).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ast_grep_py import SgNode

PLACEHOLDER = "*"
_FORMAT_SLOTS = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdifvqxXeEgGt]|\{[^{}]*\}")
_STARS = re.compile(r"\*+")
_INTERPOLATIONS = ("interpolation", "template_substitution")
_CONCAT = ("binary_operator", "binary_expression")
_CALLS = ("call", "call_expression", "method_invocation")
_FORMATTERS = {"format", "sprintf", "formatted", "Sprintf", "Sprint", "join"}
GROWING_WORDS = re.compile(r"(?i)queue|log|history|events?|stream|feed|timeline|inbox|messages?|index|seen|visited|"
                           r"members|followers|items|all|list|set|jobs|tasks|pending|backlog|audit|buffer|"
                           r"tags?|users|profiles|comments|posts|orders|records|results|visitors|views|likes|votes|clicks")
# Collections that list the parts of a running system (worker registries, module tables, status hashes):
# a handful of members, whatever the traffic.
REGISTRY_WORDS = re.compile(r"(?i)(^|[^a-z])(types|kinds|modules|processors|pids|workers|servers|nodes|shards|status|stats|"
                            r"config|configs|settings|known|registry|flags|features|bindings|schedulers|consumers|groups)"
                            r"([^a-z]|$)")
_PERMANENT = re.compile(r"(?i)^(user|account|profile|config|setting|meta|schema|version|seq|counter|id|stats?)s?\b|"
                          r"(:|^)(id|seq|counter|next_id|version|schema|config)$|"
                          r"^[^:*]*[_.-](config|configs|settings?|dicts?|dictionary|meta|schema)\b")
CACHE_WORDS = re.compile(r"(?i)cache|cached|session|sess|token|otp|nonce|lock|mutex|rate|limit|throttle|quota|tmp|temp|"
                         r"captcha|verify|verification|code|csrf|jwt|blacklist|blocklist|denylist|revoked|ttl|expir|"
                         r"idempot|dedup|cooldown|attempts|ban|reset|confirm|magic|invite|state|nonce|presence|online|"
                         r"heartbeat|recent|last_seen|lastseen")


def squash(pattern: str) -> str:
    return _STARS.sub(PLACEHOLDER, pattern)


@dataclass(frozen=True)
class KeyExpr:
    """What the code says about one key argument."""

    pattern: str | None  # the family pattern ("user:*:cart"), None when the code cannot tell
    display: str | None  # the same with placeholder names kept ("user:{uid}:cart")
    param: str | None = None  # the enclosing function's parameter the key is, for wrappers
    literal: bool = False


def key_expr(adapter, node: SgNode, constants: dict[str, str], params: tuple[str, ...]) -> KeyExpr:
    """Normalise one key argument. `constants` maps names bound once to a literal in the file."""
    display = _display(adapter, node, constants, params, 0)
    if display is None:
        text = node.text().strip()
        name = text.split(".")[-1] if node.kind() in ("identifier", "attribute", "member_expression", "field_access",
                                                        "selector_expression") else None
        if node.kind() == "identifier" and text in params:
            return KeyExpr(None, None, param=text)
        if name and node.kind() != "identifier":
            # self.key / this.prefix: one key per object, named by the attribute
            return KeyExpr(f"<{name}>", f"<{text}>")
        return KeyExpr(None, None)
    pattern = squash(re.sub(r"\{[^{}]*\}", PLACEHOLDER, display))
    if not pattern.strip(PLACEHOLDER + ":"):
        # only slots: maybe constants of another module (`PREFIX + id`), filled in by the program model
        param = node.text() if node.kind() == "identifier" and node.text() in params else None
        return KeyExpr(None, display if re.search(r"\{[A-Z_][A-Z0-9_]*\}", display) else None, param=param)
    literal = adapter.literal(node) is not None
    return KeyExpr(pattern, display, literal=literal)


def _display(adapter, node: SgNode, constants: dict[str, str], params: tuple[str, ...], depth: int) -> str | None:
    if depth > 6:
        return None
    kind = node.kind()
    value = adapter.literal(node)
    if value is not None:
        return value
    if kind in ("parenthesized_expression",):
        inner = node.named_children()
        return _display(adapter, inner[0], constants, params, depth + 1) if inner else None
    if kind == "identifier":
        text = node.text()
        if text in constants:
            value = constants[text]
            if isinstance(value, str):
                return value
            return _display(adapter, value, constants, params, depth + 1)  # a local bound once: its expression
        return None
    if kind in ("string", "template_string", "interpreted_string_literal", "string_literal"):
        # an f-string or template literal: literal parts kept, each interpolation a named slot
        parts = []
        for child in node.children():
            ckind = child.kind()
            if ckind in _INTERPOLATIONS:
                inner = [c for c in child.named_children() if c.kind() not in ("format_specifier", "type_conversion")]
                resolved = _display(adapter, inner[0], constants, params, depth + 1) if inner else None
                parts.append(resolved if resolved is not None else "{" + _slot_name(inner[0] if inner else child) + "}")
            elif ckind in ("string_content", "string_fragment", "escape_sequence"):
                parts.append(child.text())
        return "".join(parts)
    if kind in _CONCAT:
        operator = node.field("operator")
        op = operator.text() if operator is not None else ""
        left, right = node.field("left"), node.field("right")
        if left is None or right is None:
            return None
        if op == "+":
            return _part(adapter, left, constants, params, depth) + _part(adapter, right, constants, params, depth)
        if op == "%":
            template = _display(adapter, left, constants, params, depth + 1)
            return _FORMAT_SLOTS.sub("{}", template) if template is not None else None
        return None
    if kind in _CALLS:
        name = node.field("name") or node.field("function")
        callee = name.text().split(".")[-1] if name is not None else ""
        args = node.field("arguments")
        arg_nodes = [a for a in (args.named_children() if args is not None else []) if "comment" not in a.kind()]
        obj = node.field("object")
        if callee in _FORMATTERS:
            if callee == "format" and obj is None and name is not None and name.kind() in ("attribute", "member_expression"):
                obj = name.field("object")
            template_node = obj if callee == "format" and obj is not None and adapter.literal(obj) is not None else (
                arg_nodes[0] if arg_nodes else None)
            if callee == "join":
                return None
            template = adapter.literal(template_node) if template_node is not None else None
            if template is not None:
                return _FORMAT_SLOTS.sub("{}", template)
            return None
        if callee in ("toString", "str", "String", "valueOf"):
            return None
        receiver = obj if obj is not None else (name.field("object") or name.field("operand")
                                                if name is not None and name.kind() in ("attribute", "member_expression",
                                                                                        "selector_expression") else None)
        if receiver is not None and receiver.text() not in ("self", "this", "cls") and not receiver.text()[:1].isupper():
            return None  # cursor.next(), keys.toArray(): a value, not a key helper
        # a key helper: make_key("cart", uid) -> the helper's own family with its literal arguments
        literal_args = [adapter.literal(a) for a in arg_nodes]
        shown = ",".join(a if a is not None else "*" for a in literal_args)
        return f"{callee}({shown})" if callee else None
    return None


def _part(adapter, node: SgNode, constants, params, depth) -> str:
    value = _display(adapter, node, constants, params, depth + 1)
    return value if value is not None else "{" + _slot_name(node) + "}"


def _slot_name(node: SgNode) -> str:
    names = re.findall(r"[A-Za-z_][\w]*", node.text())
    return names[-1] if names else ""


# --- families ---------------------------------------------------------------------------------

WRITE_TYPES = {
    "set": "string", "setnx": "string", "setex": "string", "psetex": "string", "getset": "string", "mset": "string",
    "append": "string", "incr": "string", "incrby": "string", "incrbyfloat": "string", "decr": "string",
    "decrby": "string", "setrange": "string", "setbit": "string",
    "hset": "hash", "hmset": "hash", "hsetnx": "hash", "hincrby": "hash", "hincrbyfloat": "hash",
    "lpush": "list", "rpush": "list", "lpushx": "list", "rpushx": "list", "linsert": "list", "lset": "list",
    "sadd": "set", "smove": "set", "zadd": "zset", "zincrby": "zset", "xadd": "stream", "pfadd": "hyperloglog",
    "geoadd": "geo", "sinterstore": "set", "sunionstore": "set", "sdiffstore": "set", "zunionstore": "zset",
    "zinterstore": "zset", "rpoplpush": "list", "lmove": "list",
}
READ_TYPES = {
    "get": "string", "mget": "string", "strlen": "string", "getrange": "string", "hget": "hash", "hmget": "hash",
    "hgetall": "hash", "hkeys": "hash", "hvals": "hash", "hlen": "hash", "hexists": "hash", "hscan": "hash",
    "lrange": "list", "lindex": "list", "llen": "list", "lpop": "list", "rpop": "list", "blpop": "list",
    "brpop": "list", "smembers": "set", "sismember": "set", "smismember": "set", "scard": "set", "sscan": "set",
    "spop": "set", "srandmember": "set", "zrange": "zset", "zrevrange": "zset", "zrangebyscore": "zset",
    "zrevrangebyscore": "zset", "zscore": "zset", "zrank": "zset", "zcard": "zset", "zcount": "zset", "zscan": "zset",
    "xrange": "stream", "xrevrange": "stream", "xlen": "stream", "xread": "stream", "xreadgroup": "stream",
    "pfcount": "hyperloglog",
}
COLLECTIONS = {"hash", "list", "set", "zset", "stream", "geo"}
EXPIRE_COMMANDS = {"expire", "pexpire", "expireat", "pexpireat", "getex"}
TTL_WRITES = {"setex", "psetex"}
BOUNDING = {"ltrim", "xtrim", "zremrangebyrank", "zremrangebyscore", "zremrangebylex", "lrem", "srem", "hdel",
            "zrem", "zpopmin", "zpopmax", "lpop", "rpop", "spop", "blpop", "brpop", "xdel"}
TRIMS = {"ltrim", "xtrim", "zremrangebyrank", "zremrangebyscore", "zremrangebylex"}


@dataclass
class KeyFamily:
    pattern: str
    display: str
    types: set[str] = field(default_factory=set)
    commands: set[str] = field(default_factory=set)
    writers: list[str] = field(default_factory=list)  # path:line
    readers: list[str] = field(default_factory=list)
    writes_with_ttl: int = 0
    writes_without_ttl: int = 0
    expires: list[str] = field(default_factory=list)  # path:line of EXPIRE/SETEX/SET EX on the family
    expire_calls: int = 0  # EXPIRE* commands on the family (they cover the writes that set none)
    trims: list[str] = field(default_factory=list)  # LTRIM / XTRIM / ZREMRANGEBY* / XADD MAXLEN
    fixed_fields: bool | None = None  # True when every hash write names literal fields
    removals: int = 0
    cache_aside: str | None = None  # where one function reads the family and then writes it back (a miss filled)

    @property
    def ttl(self) -> str:
        """always: every write sets one, or an EXPIRE on the family follows; sometimes: some writes set one and
        nothing expires the others; never: writers and no TTL anywhere."""
        if self.expire_calls or (self.writes_with_ttl and not self.writes_without_ttl):
            return "always"
        if self.writes_with_ttl:
            return "sometimes"
        return "never" if self.writers else "unknown"

    @property
    def bound(self) -> str | None:
        if self.trims:
            return f"trimmed at {self.trims[0]}"
        if self.fixed_fields and self.types <= {"hash"}:
            return "fixed fields"
        return None

    @property
    def managed(self) -> bool:
        """A set, hash or sorted set whose members the code also removes, and whose name says nothing of growth:
        a registry of live things rather than a log."""
        return bool(self.removals) and not (self.types & {"list", "stream"}) and not GROWING_WORDS.search(self.pattern)

    @property
    def collection(self) -> bool:
        return bool(self.types & COLLECTIONS)

    @property
    def can_grow(self) -> bool:
        return self.collection and self.bound is None

    @property
    def cache_like(self) -> bool:
        """A cache by its name, or a cache-aside family that is not a copy of reference data (config, dictionaries)."""
        return bool(CACHE_WORDS.search(self.pattern)) or (self.cache_aside is not None and not self.permanent)

    @property
    def permanent(self) -> bool:
        """Named like data that lives as long as the application: users, config, counters, ids."""
        return bool(_PERMANENT.search(self.pattern))

    def naming(self) -> str:
        return naming_verdict(self.pattern)

    def to_dict(self) -> dict:
        return {
            "pattern": self.display, "family": self.pattern, "types": sorted(self.types),
            "commands": sorted(self.commands), "ttl": self.ttl, "ttl_where": self.expires[:5],
            "bound": self.bound, "writers": self.writers[:10], "readers": self.readers[:10],
            "naming": self.naming(),
        }


def naming_verdict(pattern: str) -> str:
    """Against {service}:{entity}:{id}[:{field}]."""
    if pattern.startswith("<") or "(" in pattern:
        return "unknown"
    parts = pattern.split(":")
    if ":" not in pattern:
        return "no namespace"
    if not parts[0] or PLACEHOLDER in parts[0]:
        return "starts with a variable"
    if re.search(r"\s", pattern):
        return "contains spaces"
    literal = 0
    for part in parts:
        if PLACEHOLDER in part:
            break
        literal += 1
    if literal < 2 and len(parts) > 1 and PLACEHOLDER in pattern:
        return "no service prefix"
    return "ok"

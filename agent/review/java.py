"""Java: Jedis and Lettuce (and Spring Data Redis serializers).

Jedis (2 s) and Lettuce (60 s) ship with default timeouts, so the timeout rule does not apply.
A bare `new Jedis(...)` is one connection, not a pool: built per call it is the no-pool
anti-pattern; JedisPool / JedisPooled / a shared Lettuce connection is the fix.
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from ask_redis.review import engine
from ask_redis.review.engine import Adapter, Call, FileContext, last_identifier
from ask_redis.review.python import PICKLE_VALUES

RULES: list = []

_NEW_CLIENT = re.compile(r"^(Jedis|JedisPool|JedisPooled|JedisCluster|UnifiedJedis|JedisSentinelPool|JedisSentineled)$")
_FACTORY = re.compile(r"^(RedisClient|RedisClusterClient)$")
# Spring Data Redis: the command behind each method of RedisTemplate and its opsForX()/boundXOps() views.
SPRING = {
    "value": {"set": "set", "get": "get", "setIfAbsent": "setnx", "setIfPresent": "set", "increment": "incrby",
              "decrement": "decrby", "multiGet": "mget", "multiSet": "mset", "multiSetIfAbsent": "msetnx",
              "getAndSet": "getset", "getAndDelete": "getdel", "getAndExpire": "getex", "append": "append", "size": "strlen"},
    "hash": {"put": "hset", "putAll": "hset", "putIfAbsent": "hsetnx", "get": "hget", "multiGet": "hmget",
             "entries": "hgetall", "keys": "hkeys", "values": "hvals", "delete": "hdel", "hasKey": "hexists",
             "size": "hlen", "increment": "hincrby", "scan": "hscan", "randomEntries": "hrandfield"},
    "list": {"leftPush": "lpush", "rightPush": "rpush", "leftPushAll": "lpush", "rightPushAll": "rpush",
             "leftPushIfPresent": "lpushx", "rightPushIfPresent": "rpushx", "range": "lrange", "trim": "ltrim",
             "size": "llen", "leftPop": "lpop", "rightPop": "rpop", "index": "lindex", "remove": "lrem", "set": "lset",
             "rightPopAndLeftPush": "rpoplpush", "move": "lmove"},
    "set": {"add": "sadd", "members": "smembers", "isMember": "sismember", "remove": "srem", "size": "scard",
            "pop": "spop", "randomMember": "srandmember", "union": "sunion", "intersect": "sinter",
            "difference": "sdiff", "unionAndStore": "sunionstore", "intersectAndStore": "sinterstore",
            "differenceAndStore": "sdiffstore", "scan": "sscan", "move": "smove"},
    "zset": {"add": "zadd", "range": "zrange", "reverseRange": "zrevrange", "rangeWithScores": "zrange",
             "reverseRangeWithScores": "zrevrange", "rangeByScore": "zrangebyscore",
             "reverseRangeByScore": "zrevrangebyscore", "remove": "zrem", "removeRange": "zremrangebyrank",
             "removeRangeByScore": "zremrangebyscore", "score": "zscore", "rank": "zrank", "size": "zcard",
             "zCard": "zcard", "incrementScore": "zincrby", "count": "zcount", "scan": "zscan",
             "unionAndStore": "zunionstore", "intersectAndStore": "zinterstore", "popMin": "zpopmin", "popMax": "zpopmax"},
    "stream": {"add": "xadd", "range": "xrange", "reverseRange": "xrevrange", "trim": "xtrim", "read": "xread",
               "size": "xlen", "acknowledge": "xack", "delete": "xdel"},
    "hyperloglog": {"add": "pfadd", "size": "pfcount", "union": "pfmerge"},
    "geo": {"add": "geoadd", "radius": "georadius", "search": "geosearch", "position": "geopos"},
    "template": {"keys": "keys", "delete": "del", "hasKey": "exists", "expire": "expire", "expireAt": "expireat",
                 "countExistingKeys": "exists", "unlink": "unlink", "getExpire": "ttl", "persist": "persist",
                 "rename": "rename", "renameIfAbsent": "renamenx", "type": "type", "multi": "multi", "exec": "exec",
                 "watch": "watch", "scan": "scan", "convertAndSend": "publish", "execute": "", "executePipelined": "",
                 "boundValueOps": "", "opsForValue": ""},
}
_OPS = re.compile(r"(?:opsFor|bound)(Value|Hash|List|Set|ZSet|Stream|HyperLogLog|Geo)(?:Ops)?\(")
_OPS_TYPE = re.compile(r"\b(?:Bound)?(Value|Hash|List|Set|ZSet|Stream|HyperLogLog|Geo)Operations\s*(?:<[^;{}()=]*?>)?\s+(\w+)\s*[;=,)]")
_TEMPLATE_TYPE = re.compile(r"\b(?:Reactive)?(?:String)?RedisTemplate\s*(?:<[^;{}()=]*?>)?\s+(\w+)\s*[;=,)]")
_OPS_ASSIGNED = re.compile(r"\b(\w+)\s*=\s*\w+\s*\.\s*(?:opsFor|bound)(Value|Hash|List|Set|ZSet|Stream|HyperLogLog|Geo)")
_TEMPLATE_NAME = re.compile(r"(?i)^(redis|string|stringRedis|reactiveRedis)?Template$|redisTemplate$")
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "r": "\r"}


class JavaAdapter(Adapter):
    name = "java"
    lang = "java"
    extensions = (".java",)
    call_kinds = ("method_invocation",)
    new_kinds = ("object_creation_expression",)
    loop_kinds = ("for_statement", "enhanced_for_statement", "lambda_expression", "while_statement")
    function_kinds = ("method_declaration", "constructor_declaration", "lambda_expression")
    if_kinds = ("if_statement",)
    string_kinds = ("string_literal",)
    assignment_kinds = ("variable_declarator",)

    def prepare(self, text: str) -> None:
        """Which names in this file hold RedisTemplates and which hold opsForX() views."""
        spring = "Operations" in text or "opsFor" in text or "Template" in text
        self.ops_vars = {name: kind.lower() for kind, name in _OPS_TYPE.findall(text)} if spring else {}
        if spring and ("opsFor" in text or "bound" in text):
            self.ops_vars.update({m.group(1): m.group(2).lower() for m in _OPS_ASSIGNED.finditer(text)})
        self.templates = set(_TEMPLATE_TYPE.findall(text)) if spring else set()

    def command_for(self, call: Call) -> str | None:
        """Spring Data Redis: the command a template or operations method issues (None: not Spring)."""
        ops = _OPS.findall(call.receiver_text)
        kind = ops[-1].lower() if ops and call.receiver_text.rstrip().endswith(")") else None
        if kind is None and call.receiver in getattr(self, "ops_vars", {}):
            kind = self.ops_vars[call.receiver]
        if kind is None and (call.receiver in getattr(self, "templates", set()) or _TEMPLATE_NAME.search(call.receiver)):
            kind = "template"
        if kind is None:
            return None
        return SPRING.get(kind, {}).get(call.method, "")

    @staticmethod
    def _arguments(arguments: SgNode | None) -> list[SgNode]:
        return [c for c in (arguments.named_children() if arguments is not None else [])
                if c.kind() not in ("comment", "line_comment", "block_comment")]

    def call(self, node: SgNode) -> Call | None:
        name = node.field("name")
        if name is None:
            return None
        obj = node.field("object")
        receiver_text = obj.text() if obj is not None else ""
        return Call(node, last_identifier(receiver_text), receiver_text, name.text(), "",
                    self._arguments(node.field("arguments")))

    def new(self, node: SgNode) -> Call | None:
        kind = node.field("type")
        if kind is None:
            return None
        return Call(node, "", "", last_identifier(kind.text().split("<")[0]), "", self._arguments(node.field("arguments")))

    def is_client_ctor(self, call: Call) -> bool:
        if call.node.kind() == "object_creation_expression":
            return bool(_NEW_CLIENT.match(call.method))
        return call.method == "create" and bool(_FACTORY.match(call.receiver))

    def is_bare_connection(self, call: Call) -> bool:
        return call.node.kind() == "object_creation_expression" and call.method == "Jedis"

    def function_markers(self, fn: SgNode) -> str:
        if fn.kind() == "lambda_expression":
            parent = fn.parent()
            call = parent.parent() if parent is not None else None
            name = call.field("name") if call is not None and call.kind() == "method_invocation" else None
            return name.text() if name is not None else ""
        modifiers = next((c for c in fn.children() if c.kind() == "modifiers"), None)
        return modifiers.text() if modifiers is not None else ""

    def is_batch_loop(self, loop: SgNode) -> bool:
        if loop.kind() == "while_statement":
            condition = loop.field("condition")
            return condition is not None and ".hasNext()" in condition.text()  # an iterator walked item by item
        if loop.kind() != "lambda_expression":
            return True
        return self.function_markers(loop) == "forEach"

    def loop_call_counts(self, call: Call) -> bool:
        # Lettuce async/reactive commands do not wait for the reply: they pipeline on the connection.
        return call.receiver not in ("async", "reactive") and not re.search(r"(?i)async|reactive", call.receiver_text)

    def literal(self, node: SgNode) -> str | None:
        if node.kind() != "string_literal":
            return None
        text = node.text()
        body = text[3:-3] if text.startswith('"""') else text[1:-1]
        return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), body)

    def is_built_string(self, node: SgNode) -> bool:
        kind = node.kind()
        if kind == "binary_expression":
            operator = node.field("operator")
            return operator is not None and operator.text() == "+" and any(
                c.is_named() and c.kind() not in ("string_literal", "binary_expression") for c in node.children())
        if kind == "method_invocation":
            name = node.field("name")
            return name is not None and name.text() in ("format", "formatted", "join", "replace", "concat", "toString")
        return False

    def assigned_name(self, node: SgNode) -> str | None:
        parent = node.parent()
        if parent is None:
            return None
        if parent.kind() == "variable_declarator":
            name = parent.field("name")
            return name.text() if name is not None else None
        if parent.kind() == "assignment_expression":
            left = parent.field("left")
            return last_identifier(left.text()) if left is not None else None
        return None

    def assignments(self, root: SgNode) -> dict[str, list[SgNode]]:
        found: dict[str, list[SgNode]] = {}
        for declarator in root.find_all(kind="variable_declarator"):
            name, value = declarator.field("name"), declarator.field("value")
            if name is not None and value is not None:
                found.setdefault(name.text(), []).append(value)
        return found

    def uses_cluster(self, text: str) -> bool:
        return bool(re.search(r"JedisCluster|RedisClusterClient|RedisAdvancedClusterCommands", text))

    def extra(self, ctx: FileContext) -> None:
        for call in ctx.calls:
            if call.method in ("withDatabase", "database") and call.args:
                number = self.int_value(call.args[0])
                if number:
                    ctx.report(engine.SELECT_DB, call.node, f"Database {number}: numbered databases are not supported on Cluster.")
        for ctor in ctx.news:
            if ctor.method == "JdkSerializationRedisSerializer":
                ctx.report(PICKLE_VALUES, ctor.node, f"{ctor.method}: Java native serialization of values kept in Redis.")


ADAPTERS = [JavaAdapter()]

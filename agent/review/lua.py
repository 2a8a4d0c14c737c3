"""Lua script rules, for `.lua` files and for scripts held in strings of the other languages.

The persona's Lua rules: keys come in through KEYS[] (so Cluster can route the script and the
server knows what it touches), no KEYS command, scripts under 100 lines, no unbounded loops
(a script blocks the whole server while it runs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ast_grep_py import SgNode, SgRoot

from ask_redis.review.findings import LUA_RULES, Rule, Severity

LANGS = ("lua",)

LUA_KEYS = Rule(
    "lua-keys-command", Severity.HIGH, LANGS,
    "KEYS called inside a Lua script",
    "redis.call('KEYS', ...) walks the whole keyspace while the script holds the server: nothing else runs until it ends.",
    "Pass the keys in through KEYS[], or SCAN from the client and hand the batch to the script.",
    checklist=7,
)
LUA_DYNAMIC_KEY = Rule(
    "lua-key-not-from-keys", Severity.MEDIUM, LANGS,
    "Key built inside the script instead of passed in KEYS[]",
    "A key the script builds itself (a literal, a concatenation, an ARGV value) is invisible to Cluster routing and to the server's key tracking; on Cluster it fails with CROSSSLOT or hits the wrong node.",
    "Declare every key the script touches in KEYS[] and pass it from the caller (keep related keys in one hash slot with a {tag}).",
    section=LUA_RULES,
)
LUA_TOO_LONG = Rule(
    "lua-script-too-long", Severity.LOW, LANGS,
    "Lua script over 100 lines",
    "Scripts run atomically and block the server; a long script is hard to bound and to review.",
    "Keep scripts short (<100 lines): move logic that needs no atomicity to the client, or split into Functions.",
    section=LUA_RULES,
)
LUA_UNBOUNDED_LOOP = Rule(
    "lua-unbounded-loop", Severity.HIGH, LANGS,
    "Unbounded loop inside a Lua script",
    "A loop with no fixed bound (while true, repeat until false, draining a key, iterating a whole collection) can run for as long as the data allows, with the server blocked.",
    "Bound the loop with a count passed in ARGV (and LIMIT/COUNT on the reads), and let the client call the script again for the next batch.",
    section=LUA_RULES,
)

RULES = [LUA_KEYS, LUA_DYNAMIC_KEY, LUA_TOO_LONG, LUA_UNBOUNDED_LOOP]

MAX_LINES = 100

# Commands whose first argument is not a key.
_KEYLESS = {
    "ping", "time", "info", "echo", "publish", "spublish", "eval", "evalsha", "script", "function",
    "config", "dbsize", "lastsave", "randomkey", "scan", "select", "flushall", "flushdb", "swapdb",
    "command", "client", "memory", "slowlog", "latency", "object", "debug", "pubsub", "cluster", "wait",
    "keys", "readonly", "readwrite", "role", "acl", "xread", "xreadgroup",
}
# Reads that return a whole collection: a loop over one of them is as long as the key is big.
_MULTI_KEY = {"del", "unlink", "exists", "touch", "mget", "sunion", "sinter", "sdiff", "sunionstore", "sinterstore",
              "sdiffstore", "pfcount", "pfmerge", "watch"}
_WHOLE_READS = {"keys", "smembers", "hgetall", "hkeys", "hvals", "sunion", "sinter", "sdiff"}
_RANGE_READS = {"lrange", "zrange", "zrevrange"}


@dataclass
class LuaHit:
    rule: Rule
    line: int  # 1-based, within the script
    message: str | None = None


def _string_value(node: SgNode) -> str | None:
    if node.kind() != "string":
        return None
    content = node.find(kind="string_content")
    return content.text() if content else ""


# redis.call('GET', KEYS[1], ...): a command other than KEYS on a key passed in KEYS[], which no rule
# flags. Most calls of a script look like this: one look at the call's text spares walking its arguments
# (text this does not match, a comment or a space in the call, takes the full path).
_KEYED_BY_KEYS = re.compile(r"redis *\. *p?call\(\s*(['\"])(?!(?i:keys)\1)[A-Za-z]+\1\s*,\s*KEYS\s*\[[^\[\]]*\]\s*[,)]")


_REDIS_CALL_TEXT = re.compile(r"redis *\. *p?call")
_LOOP_WORDS = re.compile(r"\b(while|repeat|for)\b")


# `local rcall = redis.call`: large script libraries call Redis through an alias, and their included helper
# files use it without defining it.
_ALIAS_DEF = re.compile(r"\blocal\s+([A-Za-z_]\w*)\s*=\s*redis\s*\.\s*p?call\b")
_ALIAS_USE = re.compile(r"\b([A-Za-z_]\w*call)\s*\(\s*['\"][A-Za-z]+['\"]", re.I)


def aliases(source: str) -> set[str]:
    found = set(_ALIAS_DEF.findall(source))
    found.update(name for name in _ALIAS_USE.findall(source) if name not in ("pcall", "call") and "." not in name)
    return found


def _nothing_to_parse_for(source: str) -> bool:
    """No loop keyword anywhere, and every redis.call in the text (comments and strings too) is on KEYS[]:
    no rule but the length one can fire, and the script need not be parsed."""
    if _LOOP_WORDS.search(source) or aliases(source):
        return False
    return all(_KEYED_BY_KEYS.match(source, m.start()) for m in _REDIS_CALL_TEXT.finditer(source))


def _redis_call(call: SgNode, names: set[str] = frozenset()) -> tuple[str, list[SgNode]] | None:
    """(lower-case command, the arguments after the command) of a redis.call/pcall or an alias of one, else None."""
    name = call.field("name")
    if name is None:
        return None
    callee = name.text().replace(" ", "")
    if callee not in ("redis.call", "redis.pcall") and callee not in names:
        return None
    arguments = call.field("arguments")
    args = [a for a in (arguments.named_children() if arguments else []) if a.kind() != "comment"]
    if not args:
        return None
    command = _string_value(args[0])
    if command is None:
        return None
    return command.lower(), args[1:]


def _redis_calls(calls, names: set[str] = frozenset()) -> list[tuple[SgNode, str, list[SgNode]]]:
    """(call node, lower-case command, the arguments after the command) for each redis.call/pcall."""
    found = []
    for call in calls:
        entry = _redis_call(call, names)
        if entry is not None:
            found.append((call, *entry))
    return found


class _ByKind:
    def __init__(self, nodes: list[SgNode]):
        self.nodes = nodes

    def find_all(self, kind: str) -> list[SgNode]:
        return [n for n in self.nodes if n.kind() == kind]


def _locals(statements: list[SgNode]) -> dict[str, SgNode]:
    """name -> the expression last assigned to it in a `local name = expr` (good enough for scripts)."""
    assigned: dict[str, SgNode] = {}
    for statement in statements:
        names = statement.find(kind="variable_list")
        values = statement.find(kind="expression_list")
        if not names or not values:
            continue
        for name, value in zip(names.named_children(), values.named_children()):
            if name.kind() == "identifier":
                assigned[name.text()] = value
    return assigned


def _key_is_built(arg: SgNode, assigned: dict[str, SgNode], depth: int = 0) -> bool:
    kind = arg.kind()
    if kind == "bracket_index_expression":
        table = arg.child(0)
        return table is not None and table.text() == "ARGV"
    if kind == "string":
        return _string_value(arg) != ""  # key = '' is a placeholder for "no key", not a key the script names
    if kind == "binary_expression":
        return any(c.text() == ".." for c in arg.children())
    if kind == "identifier" and depth < 3 and arg.text() in assigned:
        return _key_is_built(assigned[arg.text()], assigned, depth + 1)
    if kind == "function_call" and depth < 3:
        name = arg.field("name")
        callee = name.text().replace(" ", "") if name is not None else ""
        arguments = arg.field("arguments")
        inner = [a for a in (arguments.named_children() if arguments else []) if a.kind() != "comment"]
        if callee in ("tostring", "tonumber"):
            return bool(inner) and _key_is_built(inner[0], assigned, depth + 1)
        if callee in ("unpack", "table.unpack"):
            # unpack(KEYS) is the declared keys; unpack(found) spreads keys the script gathered itself
            table = inner[0] if inner else None
            return table is not None and table.text() != "KEYS" and not (
                table.kind() == "identifier" and table.text() in assigned and assigned[table.text()].text() == "KEYS")
        return True  # a key returned by a call (a reply, a helper's prefix(...)): not one passed in KEYS[]
    return False


def _is_whole_read(node: SgNode, calls_by_node: dict[int, tuple[str, list[SgNode]]],
                   assigned: dict[str, SgNode] | None = None) -> bool:
    nodes = [node, *node.find_all(kind="function_call")]
    # `local ids = redis.call("LRANGE", k, 0, -1)` ... `for _, id in ipairs(ids)`
    for ident in [node, *node.find_all(kind="identifier")] if assigned else []:
        value = assigned.get(ident.text()) if ident.kind() == "identifier" else None
        if value is not None:
            nodes += [value, *value.find_all(kind="function_call")]
    for call in nodes:
        entry = calls_by_node.get(call.range().start.index)
        if not entry:
            continue
        command, args = entry
        if command in _WHOLE_READS:
            return True
        if command in _RANGE_READS and len(args) >= 3 and args[1].text() == "0" and args[2].text() == "-1":
            return True
        if command in ("zrangebyscore", "zrevrangebyscore") and not any(a.text().strip("'\"").lower() == "limit" for a in args):
            return True
    return False


def analyze(source: str, strict: bool = False) -> list[LuaHit] | None:
    """The Lua rules over one script. With `strict`, None when the text does not parse as Lua (a string
    that only mentions redis.call)."""
    hits: list[LuaHit] = []
    code_lines = [ln for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("--")]
    too_long = [LuaHit(LUA_TOO_LONG, 1, f"Lua script of {len(code_lines)} lines (over {MAX_LINES}): scripts block "
                                        "the server while they run.")] if len(code_lines) > MAX_LINES else []
    if not strict and _nothing_to_parse_for(source):
        return too_long
    tree = SgRoot(source, "lua").root()
    if strict and tree.find(kind="ERROR") is not None:
        return None
    loop_kinds = ("while_statement", "repeat_statement", "for_generic_clause", "for_numeric_clause")
    suspects, assignments, loops = [], [], []
    for node in tree.find_all(any=[{"kind": k} for k in ("function_call", "assignment_statement", *loop_kinds)]):
        kind = node.kind()
        if kind == "function_call":
            if not _KEYED_BY_KEYS.match(node.text()):
                suspects.append(node)
        else:
            (assignments if kind == "assignment_statement" else loops).append(node)
    assigned = None
    names = aliases(source)
    for call, command, args in _redis_calls(suspects, names):
        line = call.range().start.line + 1
        if command == "keys":
            hits.append(LuaHit(LUA_KEYS, line))
        elif command not in _KEYLESS and args:
            if assigned is None:
                assigned = _locals(assignments)
            keyed = args if command in _MULTI_KEY else args[:1]
            if any(_key_is_built(a, assigned) for a in keyed):
                hits.append(LuaHit(LUA_DYNAMIC_KEY, line))

    # The loop rules need every redis.call, the ones on KEYS[] too: only scripts with loops pay for that.
    calls = _redis_calls(tree.find_all(kind="function_call"), names) if loops else []
    calls_by_node = {c.range().start.index: (cmd, args) for c, cmd, args in calls}
    root = _ByKind(loops)
    for loop in root.find_all(kind="while_statement"):
        condition = loop.child(1)
        if condition is None:
            continue
        if assigned is None:
            assigned = _locals(assignments)
        if condition.kind() in ("true", "number") or condition.kind() == "function_call" and condition.range().start.index in calls_by_node \
                or any(_counts_a_collection(n, calls_by_node, assigned) for n in condition.find_all(kind="identifier")):
            hits.append(LuaHit(LUA_UNBOUNDED_LOOP, loop.range().start.line + 1))
    for loop in root.find_all(kind="repeat_statement"):
        last = loop.named_children()[-1] if loop.named_children() else None
        if last is not None and last.kind() in ("false", "nil"):
            hits.append(LuaHit(LUA_UNBOUNDED_LOOP, loop.range().start.line + 1))
    for clause in root.find_all(kind="for_generic_clause"):
        values = clause.find(kind="expression_list")
        if assigned is None:
            assigned = _locals(assignments)
        if values is not None and _is_whole_read(values, calls_by_node, assigned):
            hits.append(LuaHit(LUA_UNBOUNDED_LOOP, clause.range().start.line + 1))
    for clause in root.find_all(kind="for_numeric_clause"):
        # for i = 1, #found, 1000 / for i = 1, len (len = HLEN ...): as many turns as a whole collection has members
        end = clause.field("end")
        if assigned is None:
            assigned = _locals(assignments)
        if end is not None and _counts_a_collection(end, calls_by_node, assigned):
            hits.append(LuaHit(LUA_UNBOUNDED_LOOP, clause.range().start.line + 1))
    return hits + too_long


_LENGTHS = {"llen", "hlen", "scard", "zcard", "xlen", "zcount"}


def _counts_a_collection(end: SgNode, calls_by_node, assigned: dict[str, SgNode]) -> bool:
    if end.kind() == "unary_expression" and end.text().startswith("#"):
        return _is_whole_read(end, calls_by_node, assigned)
    for node in (end, assigned.get(end.text())) if end.kind() == "identifier" else (end,):
        if node is None:
            continue
        for call in [node, *node.find_all(kind="function_call")]:
            entry = calls_by_node.get(call.range().start.index)
            if entry and entry[0] in _LENGTHS:
                return True
    return False


def looks_like_script(text: str) -> bool:
    return "redis.call" in text or "redis.pcall" in text

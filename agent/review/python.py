"""Python: redis-py (sync and redis.asyncio) and aioredis."""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from ask_redis.review.findings import ANTI_PATTERNS, Rule, Severity
from ask_redis.review.engine import Adapter, Call, FileContext, last_identifier

PICKLE_VALUES = Rule(
    "pickle-values", Severity.MEDIUM, ("python", "java"),
    "Values stored with pickle / Java native serialization",
    "Unpickling (or Java deserialization of) what comes back from Redis runs code chosen by whoever can write that key, ties the data to one language and version, and is larger and slower than JSON/msgpack.",
    "Store JSON, msgpack or protobuf (or a hash of fields); keep pickle for trusted local data only.",
    section=ANTI_PATTERNS,
)
RULES = [PICKLE_VALUES]

_CTOR = re.compile(r"^(Redis|StrictRedis|RedisCluster|ConnectionPool|BlockingConnectionPool|from_url|Valkey|StrictValkey|"
                   r"ValkeyCluster)$")
_CTOR_RECEIVERS = re.compile(r"^(|redis|aioredis|asyncio|cluster|Redis|StrictRedis|RedisCluster|ConnectionPool|BlockingConnectionPool|"
                             r"valkey|Valkey|ValkeyCluster)$")
_TTL_KWARGS = {"ex", "px", "exat", "pxat", "keepttl"}
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "r": "\r"}


def _decode(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text)


class PythonAdapter(Adapter):
    name = "python"
    lang = "python"
    extensions = (".py", ".pyi")
    call_kinds = ("call",)
    loop_kinds = ("for_statement", "list_comprehension", "generator_expression", "set_comprehension",
                  "dictionary_comprehension")
    function_kinds = ("function_definition", "lambda")
    if_kinds = ("if_statement",)
    string_kinds = ("string", "concatenated_string")
    assignment_kinds = ("assignment", "for_statement", "for_in_clause", "import_from_statement")

    def loop_body(self, loop: SgNode) -> SgNode | None:
        if loop.kind() == "for_statement":
            return loop.field("body")
        return loop  # a comprehension: element and conditions run per item (the iterable is excluded by the model)

    def call(self, node: SgNode) -> Call | None:
        function = node.field("function")
        arguments = node.field("arguments")
        if function is None or arguments is None or arguments.kind() != "argument_list":
            return None
        if function.kind() == "attribute":
            obj, attr = function.field("object"), function.field("attribute")
            if obj is None or attr is None:
                return None
            receiver_text, method = obj.text(), attr.text()
        elif function.kind() == "identifier":
            receiver_text, method = "", function.text()
        else:
            return None
        args, kwargs, splat = [], {}, False
        for child in arguments.named_children():
            kind = child.kind()
            if kind == "keyword_argument":
                name, value = child.field("name"), child.field("value")
                if name is not None and value is not None:
                    kwargs[name.text()] = value
            elif kind in ("list_splat", "dictionary_splat"):
                splat = True
            elif kind != "comment":
                args.append(child)
        return Call(node, last_identifier(receiver_text), receiver_text, method, "", args, kwargs, splat)

    def is_client_ctor(self, call: Call) -> bool:
        if call.method in ("from_url", "redis_from_url") and "redis" in self.text.lower():
            return True  # client_class.from_url(...), self.pool_cls.from_url(...): whatever class, a client from a URL
        return bool(_CTOR.match(call.method) and _CTOR_RECEIVERS.match(call.receiver))

    def function_markers(self, fn: SgNode) -> str:
        parent = fn.parent()
        if parent is not None and parent.kind() == "decorated_definition":
            return " ".join(d.text() for d in parent.children() if d.kind() == "decorator")
        return ""

    def _is_fstring(self, node: SgNode) -> bool:
        return node.kind() == "string" and node.find(kind="interpolation") is not None

    def literal(self, node: SgNode) -> str | None:
        if node.kind() == "concatenated_string":
            parts = [self.literal(c) for c in node.named_children()]
            return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]
        if node.kind() != "string" or self._is_fstring(node):
            return None
        start = node.child(0)
        raw = start is not None and "r" in start.text().lower()
        content = "".join(c.text() for c in node.children() if c.kind() in ("string_content", "escape_sequence"))
        return content if raw else _decode(content)

    def string_contents(self, node: SgNode) -> str | None:
        if node.kind() == "concatenated_string":
            return "".join(self.string_contents(c) or "" for c in node.named_children())
        if node.kind() != "string":
            return None
        return _decode("".join(c.text() for c in node.children() if c.kind() not in ("string_start", "string_end")))

    def is_built_string(self, node: SgNode) -> bool:
        kind = node.kind()
        if kind == "string":
            return self._is_fstring(node)
        if kind == "binary_operator":
            operator = node.field("operator")
            return operator is not None and operator.text() in ("+", "%") and node.find(kind="string") is not None
        if kind == "call":
            function = node.field("function")
            return function is not None and function.kind() == "attribute" and (
                function.field("attribute").text() in ("format", "join", "replace", "format_map"))
        return False

    def assigned_name(self, node: SgNode) -> str | None:
        parent = node.parent()
        while parent is not None and parent.kind() in ("await", "parenthesized_expression"):
            node, parent = parent, parent.parent()
        if parent is None:
            return None
        if parent.kind() == "assignment":
            left = parent.field("left")
            return last_identifier(left.text()) if left is not None else None
        if parent.kind() == "as_pattern":
            target = parent.find(kind="as_pattern_target")
            return last_identifier(target.text()) if target is not None else None
        return None

    def assignments(self, root: SgNode) -> dict[str, list[SgNode]]:
        found: dict[str, list[SgNode]] = {}
        for assignment in root.find_all(kind="assignment"):
            left, right = assignment.field("left"), assignment.field("right")
            if left is None or right is None:
                continue
            if left.kind() in ("identifier", "attribute"):
                found.setdefault(last_identifier(left.text()), []).append(right)
            elif left.kind() in ("pattern_list", "tuple_pattern") and right.kind() in ("expression_list", "tuple"):
                for name, value in zip(left.named_children(), right.named_children()):
                    if name.kind() == "identifier":
                        found.setdefault(name.text(), []).append(value)
        # `for client in connection.client_list()`: loop variables hold data, not clients.
        for loop in root.find_all(any=[{"kind": "for_statement"}, {"kind": "for_in_clause"}]):
            target = loop.field("left")
            if target is not None and target.kind() == "identifier":
                found.setdefault(target.text(), []).append(loop)
        return found

    def foreign_names(self, root: SgNode) -> set[str]:
        """Names imported from caching layers that are not redis-py (Django's cache has its own default TTL)."""
        names = set()
        for statement in root.find_all(kind="import_from_statement"):
            module = statement.field("module_name")
            if module is not None and re.match(r"django\.core\.cache|flask_caching|cachetools|aiocache", module.text()):
                names.update(n.text().split(" as ")[-1] for n in statement.find_all(kind="dotted_name")[1:])
                names.update(a.field("alias").text() for a in statement.find_all(kind="aliased_import") if a.field("alias"))
        return names

    def prepare(self, text: str) -> None:
        self.text = text

    def has_hash_tag(self, node: SgNode) -> bool:
        if self._is_fstring(node):
            return "{{" in node.text()
        value = self.literal(node)
        return value is not None and bool(re.search(r"\{[^}]+\}", value))

    def ttl_given(self, call: Call) -> bool:
        return bool(_TTL_KWARGS & call.kwargs.keys()) or call.splat or len(call.args) > 2

    def xadd_trimmed(self, call: Call) -> bool:
        return bool({"maxlen", "minid"} & call.kwargs.keys()) or call.splat

    def timeout_set(self, call: Call) -> bool | None:
        if "socket_timeout" in call.kwargs or "connection_pool" in call.kwargs:
            return True
        if call.splat:  # **kwargs: set only if this module puts a socket_timeout in them somewhere
            return "socket_timeout" in self.text
        if call.method in ("from_url", "redis_from_url") and call.args:
            url = self.literal(call.args[0])
            return "socket_timeout" in url if url is not None else None
        return False

    def db_number(self, call: Call) -> tuple[int, SgNode] | None:
        value = call.kwargs.get("db")
        number = self.int_value(value) if value is not None else None
        return (number, value) if number else None

    def uses_cluster(self, text: str) -> bool:
        return bool(re.search(r"RedisCluster|redis\.cluster|ClusterConnectionPool", text))


ADAPTERS = [PythonAdapter()]

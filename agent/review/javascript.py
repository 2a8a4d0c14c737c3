"""JavaScript and TypeScript: ioredis and node-redis."""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from ask_redis.review.engine import Adapter, Call, last_identifier

RULES: list = []

_NEW_CLIENT = re.compile(r"^(Redis|IORedis|Valkey|Cluster|(Redis|IORedis|Valkey)\.Cluster)$")
_CALL_CLIENT = re.compile(r"^(createClient|createCluster|createSentinel)$")
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "`": "`", "r": "\r"}


def _decode(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text)


class JavaScriptAdapter(Adapter):
    name = "javascript"
    lang = "javascript"
    extensions = (".js", ".jsx", ".mjs", ".cjs")
    call_kinds = ("call_expression",)
    new_kinds = ("new_expression",)
    loop_kinds = ("for_statement", "for_in_statement")
    function_kinds = ("function_declaration", "function_expression", "function", "arrow_function",
                      "method_definition", "generator_function_declaration", "generator_function")
    if_kinds = ("if_statement",)
    string_kinds = ("string", "template_string")
    assignment_kinds = ("variable_declarator",)

    def __init__(self, lang: str = "javascript", extensions: tuple[str, ...] | None = None, name: str | None = None):
        self.lang = lang
        self.name = name or lang
        if extensions:
            self.extensions = extensions

    @staticmethod
    def _arguments(arguments: SgNode | None) -> tuple[list[SgNode], bool]:
        args, splat = [], False
        for child in arguments.named_children() if arguments is not None else []:
            if child.kind() == "spread_element":
                splat = True
            elif child.kind() != "comment":
                args.append(child)
        return args, splat

    def call(self, node: SgNode) -> Call | None:
        function = node.field("function")
        if function is None:
            return None
        if function.kind() == "member_expression":
            obj, prop = function.field("object"), function.field("property")
            if obj is None or prop is None:
                return None
            receiver_text, method = obj.text(), prop.text()
        elif function.kind() == "identifier":
            receiver_text, method = "", function.text()
        else:
            return None
        args, splat = self._arguments(node.field("arguments"))
        return Call(node, last_identifier(receiver_text), receiver_text, method, "", args, {}, splat)

    def new(self, node: SgNode) -> Call | None:
        constructor = node.field("constructor")
        if constructor is None:
            return None
        args, splat = self._arguments(node.field("arguments"))
        return Call(node, "", "", constructor.text(), "", args, {}, splat)

    def is_client_ctor(self, call: Call) -> bool:
        if call.node.kind() == "new_expression":
            return bool(_NEW_CLIENT.match(call.method))
        return bool(_CALL_CLIENT.match(call.method)) and (not call.receiver or "redis" in call.receiver.lower())

    def function_name(self, fn: SgNode) -> str:
        name = fn.field("name")
        if name is not None:
            return name.text()
        parent = fn.parent()
        if parent is not None and parent.kind() in ("variable_declarator", "pair", "assignment_expression"):
            target = parent.field("name") or parent.field("key") or parent.field("left")
            return last_identifier(target.text()) if target is not None else ""
        return ""

    def function_markers(self, fn: SgNode) -> str:
        parent = fn.parent()
        if parent is not None and parent.kind() == "arguments":
            call = parent.parent()
            function = call.field("function") if call is not None else None
            return function.text() if function is not None else ""
        return ""

    def loop_call_counts(self, call: Call) -> bool:
        # Un-awaited calls in a loop are written back to back (node-redis and ioredis pipeline them on the
        # socket); an awaited one waits a round trip per iteration.
        parent = call.node.parent()
        return parent is not None and parent.kind() == "await_expression"

    def literal(self, node: SgNode) -> str | None:
        kind = node.kind()
        if kind == "template_string" and node.find(kind="template_substitution") is None:
            return _decode(node.text()[1:-1])
        if kind == "string":
            return _decode(node.text()[1:-1])
        return None

    def string_contents(self, node: SgNode) -> str | None:
        if node.kind() in ("string", "template_string"):
            return _decode(node.text()[1:-1])
        return None

    def is_built_string(self, node: SgNode) -> bool:
        kind = node.kind()
        if kind == "template_string":
            return node.find(kind="template_substitution") is not None
        if kind == "binary_expression":
            operator = node.field("operator")
            if operator is None or operator.text() != "+":
                return False
            return any(c.is_named() and c.kind() not in ("string", "template_string", "binary_expression") for c in node.children())
        if kind == "call_expression":
            function = node.field("function")
            return function is not None and last_identifier(function.text()) in ("concat", "join", "replace", "format", "replaceAll")
        return False

    def assigned_name(self, node: SgNode) -> str | None:
        parent = node.parent()
        while parent is not None and parent.kind() in ("await_expression", "parenthesized_expression", "as_expression"):
            parent = parent.parent()
        if parent is None:
            return None
        if parent.kind() == "variable_declarator":
            name = parent.field("name")
            return name.text() if name is not None else None
        if parent.kind() in ("assignment_expression", "public_field_definition", "field_definition"):
            target = parent.field("left") or parent.field("name") or parent.field("property")
            return last_identifier(target.text()) if target is not None else None
        return None

    def assignments(self, root: SgNode) -> dict[str, list[SgNode]]:
        found: dict[str, list[SgNode]] = {}
        for declarator in root.find_all(kind="variable_declarator"):
            name, value = declarator.field("name"), declarator.field("value")
            if name is not None and value is not None and name.kind() == "identifier":
                found.setdefault(name.text(), []).append(value)
        return found

    def has_hash_tag(self, node: SgNode) -> bool:
        text = re.sub(r"\$\{[^}]*\}", "X", node.text())
        return bool(re.search(r"\{[^}]+\}", text))

    def timeout_set(self, call: Call) -> bool | None:
        if call.splat or any(re.search(r"(?i)timeout", a.text()) for a in call.args):
            return True
        # A URL alone carries no command timeout; an options object built elsewhere we cannot see inside.
        options = [a for a in call.args if not re.search(r"(?i)ur[il]\b|ur[il]$|host|port", a.text())]
        if any(a.kind() in ("identifier", "member_expression", "call_expression") for a in options):
            return True
        return False

    def db_number(self, call: Call) -> tuple[int, SgNode] | None:
        for arg in call.args:
            for pair in arg.find_all(kind="pair"):
                key, value = pair.field("key"), pair.field("value")
                if key is not None and value is not None and key.text().strip("'\"") in ("db", "database"):
                    number = self.int_value(value)
                    if number:
                        return number, value
        return None

    def uses_cluster(self, text: str) -> bool:
        return bool(re.search(r"\.Cluster\(|new Cluster\(|createCluster\(|RedisCluster|isCluster|cluster\s*:\s*true", text))


ADAPTERS = [
    JavaScriptAdapter(),
    JavaScriptAdapter("typescript", (".ts", ".mts", ".cts")),
    JavaScriptAdapter("tsx", (".tsx",), name="typescript"),
]

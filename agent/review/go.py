"""Go: go-redis (github.com/redis/go-redis, github.com/go-redis/redis).

go-redis has sane default timeouts (dial 5 s, read/write 3 s) and pools by default, so the
timeout rule does not apply; a client built per call still throws its pool away.
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode

from ask_redis.review.engine import Adapter, Call, last_identifier

RULES: list = []

_CTOR = re.compile(r"^(NewClient|NewClusterClient|NewUniversalClient|NewFailoverClient|NewFailoverClusterClient|NewRing)$")
_REDIGO_DIAL = re.compile(r"^(Dial|DialURL|DialContext|DialURLContext)$")
_CONTEXT = re.compile(r"^(ctx|c|context\.(Background|TODO)\(\)|[\w.]*Context\(\))$")
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "r": "\r"}
_STRINGS = ("interpreted_string_literal", "raw_string_literal")


class GoAdapter(Adapter):
    name = "go"
    lang = "go"
    extensions = (".go",)
    call_kinds = ("call_expression",)
    loop_kinds = ("for_statement",)
    function_kinds = ("function_declaration", "method_declaration", "func_literal")
    if_kinds = ("if_statement",)
    string_kinds = _STRINGS
    assignment_kinds = ("short_var_declaration", "var_spec", "const_spec")

    def call(self, node: SgNode) -> Call | None:
        function = node.field("function")
        if function is None:
            return None
        if function.kind() == "selector_expression":
            operand, field = function.field("operand"), function.field("field")
            if operand is None or field is None:
                return None
            receiver_text, method = operand.text(), field.text()
        elif function.kind() == "identifier":
            receiver_text, method = "", function.text()
        else:
            return None
        arguments = node.field("arguments")
        args, splat = [], False
        for child in arguments.named_children() if arguments is not None else []:
            if child.kind() == "variadic_argument":
                splat = True
            elif child.kind() != "comment":
                args.append(child)
        # go-redis takes a context first; the engine reasons about the command's own arguments.
        if receiver_text != "fmt" and args and _CONTEXT.match(args[0].text()):
            args = args[1:]
        return Call(node, last_identifier(receiver_text), receiver_text, method, "", args, {}, splat)

    def is_client_ctor(self, call: Call) -> bool:
        return call.receiver == "redis" and bool(_CTOR.match(call.method) or _REDIGO_DIAL.match(call.method))

    def timeout_set(self, call: Call) -> bool | None:
        """go-redis has read/write timeouts by default; redigo's Dial has none unless given."""
        if not _REDIGO_DIAL.match(call.method):
            return None
        return call.splat or any(re.search(r"Timeout|options|opts", a.text()) for a in call.args)

    def is_batch_loop(self, loop: SgNode) -> bool:
        # `for {` and `for cond {` are worker/poll loops; `for range` and three-clause loops walk a batch.
        return any(c.kind() in ("range_clause", "for_clause") for c in loop.children())

    def literal(self, node: SgNode) -> str | None:
        if node.kind() == "raw_string_literal":
            return node.text()[1:-1]
        if node.kind() == "interpreted_string_literal":
            return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), node.text()[1:-1])
        return None

    def is_built_string(self, node: SgNode) -> bool:
        kind = node.kind()
        if kind == "call_expression":
            function = node.field("function")
            return function is not None and function.text() in ("fmt.Sprintf", "strings.Join", "strings.Replace",
                                                                  "strings.ReplaceAll")
        if kind == "binary_expression":
            operator = node.field("operator")
            return operator is not None and operator.text() == "+" and any(
                c.is_named() and c.kind() not in (*_STRINGS, "binary_expression") for c in node.children())
        return False

    def assigned_name(self, node: SgNode) -> str | None:
        parent = node.parent()
        if parent is not None and parent.kind() == "expression_list":
            statement = parent.parent()
            if statement is not None and statement.kind() in ("short_var_declaration", "assignment_statement", "var_spec"):
                left = statement.field("left") or statement.field("name")
                if left is not None:
                    return last_identifier(left.text().split(",")[0])
        if parent is not None and parent.kind() == "var_spec":
            name = parent.field("name")
            return name.text() if name is not None else None
        return None

    def assignments(self, root: SgNode) -> dict[str, list[SgNode]]:
        found: dict[str, list[SgNode]] = {}
        for kind in ("short_var_declaration", "var_spec", "const_spec"):
            for statement in root.find_all(kind=kind):
                left = statement.field("left") or statement.field("name")
                right = statement.field("right") or statement.field("value")
                if left is None or right is None:
                    continue
                names = [n for n in left.text().split(",")]
                values = right.named_children() if right.kind() == "expression_list" else [right]
                for name, value in zip(names, values):
                    found.setdefault(name.strip(), []).append(value)
        return found

    def ttl_given(self, call: Call) -> bool:
        # Set(ctx, key, value, expiration): an expiration of 0 means no TTL.
        if len(call.args) < 3:
            return True
        return call.args[2].text().strip() != "0"

    def xadd_trimmed(self, call: Call) -> bool:
        text = " ".join(a.text() for a in call.args)
        if re.search(r"MaxLen|MinID", text):
            return True
        return not any(a.find(kind="composite_literal") or a.kind() == "composite_literal" for a in call.args)

    def db_number(self, call: Call) -> tuple[int, SgNode] | None:
        for element in (n for a in call.args for n in a.find_all(kind="keyed_element")):
            parts = element.named_children()
            if len(parts) == 2 and parts[0].text() == "DB":
                number = self.int_value(parts[1])
                if number:
                    return number, element
        return None

    def uses_cluster(self, text: str) -> bool:
        return bool(re.search(r"NewClusterClient|ClusterOptions|NewFailoverClusterClient", text))


ADAPTERS = [GoAdapter()]

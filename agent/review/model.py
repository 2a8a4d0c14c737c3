"""The program model: how the whole program uses Redis, built once per review, queried by every rule.

Stage 1 (`extract`, per file, in worker processes) reads one syntax tree into plain facts: the
functions, every call that may issue a Redis command (with its key expression, loop, pipeline and
TTL), calls between functions, client constructions, names bound to calls, imports and pickle
calls. Stage 2 (`Program`) joins the files: which names are Redis clients anywhere (factories,
module globals, attributes, loop variables over client lists), which functions issue commands
directly or through their callees, which functions are forwarding wrappers (their findings move to
their callers), and the key families with their types, TTLs, bounds, writers and readers.
"""

from __future__ import annotations


import re
from collections import defaultdict
from pathlib import Path
from dataclasses import dataclass, field, replace

from ast_grep_py import SgNode

from ask_redis.review import keys as keymod
from ask_redis.review.keys import KeyExpr, KeyFamily

# Commands that a worker loop legitimately repeats (blocking pops, consumers, cursors, transactions).
LOOP_EXEMPT = {"blpop", "brpop", "brpoplpush", "blmove", "bzpopmin", "bzpopmax", "xread", "xreadgroup",
               "scan", "sscan", "hscan", "zscan", "watch", "multi", "exec", "select", "subscribe", "psubscribe",
               "unwatch", "discard", "ping", "quit", "close"}
WHOLE_READS = {"hgetall", "smembers", "hkeys", "hvals"}
RANGE_READS = {"lrange", "zrange", "zrevrange"}
# Method names too common to join a call to a repository function by name alone.
COMMON_NAMES = set("""
extend insert discard setdefault encode decode strip lower upper replace wait sleep info warning exception
get set add update append pop keys values items run call send close open read write delete remove put post
start stop init main setup apply map filter reduce join split format load dump save next list dict str int len
print log info debug warn error emit push then catch resolve reject find create build make new from to of
has contains clear reset size count sort copy with exec execute query fetch handle process parse render
""".split())
# Calls a forwarding wrapper may make beside the one it forwards: taking and giving back a connection.
WRAPPER_NOISE = {"close", "quit", "select", "ping", "exec", "multi", "watch", "unwatch", "discard"}
REDIS_NAMES = set(keymod.WRITE_TYPES) | set(keymod.READ_TYPES) | {"keys", "del", "delete", "exists", "expire", "unlink",
                                                                    "flushall", "flushdb", "eval", "evalsha"}
_ACCESSOR = re.compile(r"^(get|set|is|has)[A-Z]\w*$")
_HELPER_RECEIVER = re.compile(r"(?i)redis|cache|jedis|lettuce|client|conn|store|manager|util|dao|(?-i:Template)$|storage|repo")
MAIN_LIKE = re.compile(r"(?i)^(main|run|cli|setup|set_up|init|__init__|__post_init__|initialize|configure\w*|create_app|"
                       r"make_app|app_factory|start\w*|run\w*|\w*worker\w*|serve\w*|listen\w*|bootstrap|register\w*|on_startup|lifespan|command|handle_command|"
                       r"constructor|<module>|init\w*|New\w*|new\w*|Bean|connect|get_connection|provide\w*)$")
SCRIPT_PATH = re.compile(r"(^|/)(scripts?|bin|tools|tasks|management/commands|cmd|examples?|demo|benchmarks?|bench|"
                         r"docs?|migrations)(/|$)")


@dataclass
class Site:
    path: str
    line: int
    col: int
    func: str  # id of the enclosing function ("" at module level)
    evidence: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class RCall:
    """A call that may issue a Redis command."""

    site: Site
    command: str
    method: str
    receiver: str
    receiver_text: str
    key: KeyExpr
    nargs: int
    splat: bool
    list_arg: bool  # one non-literal argument to a multi-key command: a list of keys
    ttl: bool  # the command itself sets a TTL
    trims: bool  # XADD MAXLEN, LTRIM ...
    fixed_fields: bool | None  # hash writes: literal field names
    whole: bool  # reads the whole collection
    in_loop: int | None  # line of the enclosing batch loop
    counts_in_loop: bool  # a round trip per iteration (not an un-awaited write queued on the socket)
    pipelined: bool
    certain: bool  # the receiver is a client built in this file
    plain: bool  # the receiver is known not to be Redis (a dict, a Map, Django's cache)
    test: bool
    hash_tag: bool = False
    library: bool = False  # a Redis-backed library's call (LIBRARY_CALLS), Redis whatever the file names


@dataclass
class OCall:
    """A call to a function by name (maybe one of the repository's)."""

    site: Site
    name: str
    receiver_text: str
    self_call: bool
    in_loop: int | None
    pipelined: bool
    args: list[KeyExpr]
    nargs: int
    stored: bool  # the result is kept on an object or at module level
    test: bool
    list_arg: bool = False  # the one argument is a collection (of keys, for a wrapper of a multi-key command)


@dataclass
class Ctor:
    site: Site
    lang: str
    returned: bool
    stored: bool  # self.client = ... / module level / a field
    guarded: bool  # if client is None: client = ...
    in_loop: bool
    handler: bool
    bare: bool  # a single connection with no pool
    timeout: bool | None
    url_arg: str | None  # from_url(VAR): the variable's text
    assigned: str | None
    test: bool
    db: tuple[int, int, int] | None = None  # (number, line, col)


@dataclass
class Func:
    id: str
    name: str
    path: str
    line: int
    params: tuple[str, ...]
    handler: bool
    cached: bool
    test: bool
    statements: int
    cls: str = ""


@dataclass
class FileFacts:
    path: str
    lang: str
    test: bool
    rcalls: list[RCall] = field(default_factory=list)
    ocalls: list[OCall] = field(default_factory=list)
    ctors: list[Ctor] = field(default_factory=list)
    funcs: list[Func] = field(default_factory=list)
    bindings: list[tuple[str, str, bool]] = field(default_factory=list)  # (name, callee, at module level)
    loop_vars: list[tuple[str, str]] = field(default_factory=list)  # (variable, iterable's last name)
    client_lists: list[str] = field(default_factory=list)  # names bound to a list holding clients
    imports: list[str] = field(default_factory=list)
    pickles: list[tuple[Site, str]] = field(default_factory=list)
    constants: dict[str, str] = field(default_factory=dict)  # names bound once to a string literal
    key_helpers: dict[str, KeyExpr] = field(default_factory=dict)  # function name -> the key it returns
    library_calls_read: bool = False  # LIBRARY_CALLS joined into rcalls (the model is built twice per review)
    uses_cluster: bool = False
    names_redis: bool = True  # the file itself names Redis (else only handles the program resolves count)


# --- stage 1 ----------------------------------------------------------------------------------

_REQUEST_SCOPE = re.compile(
    r"(?i)handler$|^handle|view$|endpoint|controller|^lambda_handler$|@(Get|Post|Put|Delete|Patch|Request)Mapping|"
    r"@(GET|POST|PUT|DELETE|Path)\b|\.(route|get|post|put|patch|delete|websocket|api_route)\(|api_view|"
    r"\b(app|router|server|fastify|api|routes?)\.(get|post|put|patch|delete|all|use|route|handle)\b|\.task\b|shared_task")
_REQUEST_PARAMS = re.compile(
    r"\b(request|req|res|reply)\b|http\.ResponseWriter|http\.Request|gin\.Context|echo\.Context|fiber\.Ctx|"
    r"HttpServletRequest|ServerRequest|HttpRequest")
_CACHED = re.compile(r"(?i)lru_cache|\bcache\b|cached_property|singleton|@Bean|@Produces|@PostConstruct|fixture|"
                     r"on_event|beforeAll|before\b|sync\.Once|once\.Do")
_NAMES_REDIS = re.compile(r"(?i)redis|jedis|lettuce|valkey|ioredis|rcall|redis\.call")
_LOOPS = ("for_statement", "for_in_clause", "enhanced_for_statement", "for_in_statement", "range_clause")
_CLASS_KINDS = ("class_definition", "class_declaration", "class", "interface_declaration", "enum_declaration",
                "object_declaration")
# Deserialisation that runs code chosen by whoever wrote the bytes.
_UNSAFE_LOADS = re.compile(r"\b(?:c?[Pp]ickle|_pickle|dill|cloudpickle|jsonpickle)\.(?:loads|load|Unpickler|decode)\b|"
                           r"\bnew\s+ObjectInputStream\b|\bunserialize\s*\(")
_PARAM_NAME = re.compile(r"[A-Za-z_$][\w$]*")
_HASH_WRITES = {"hset", "hmset", "hsetnx"}
# reads that a cache-aside function makes before filling the key on a miss
_CACHE_READS = {"get", "mget", "hgetall", "hget", "hmget", "smembers", "lrange", "zrange", "exists"}
_MULTI_KEY_LISTS = {"mget", "del", "unlink", "exists", "touch", "sunion", "sinter", "sdiff", "pfcount", "watch"}


def _params(adapter, fn: SgNode) -> tuple[str, ...]:
    text = adapter.function_params(fn)
    names = []
    for part in re.split(r",(?![^()<>\[\]{}]*[)>\]}])", text.strip("()")):
        part = part.strip()
        if not part:
            continue
        part = re.sub(r"=.*$", "", part).strip()  # defaults
        part = re.sub(r":.*$", "", part).strip() if adapter.lang in ("python", "typescript", "tsx") else part
        words = _PARAM_NAME.findall(part)
        if not words:
            continue
        # Java/Go put the type beside the name: Java `String key` (name last), Go `key string` (name first)
        names.append(words[0] if adapter.lang == "go" else words[-1] if adapter.lang == "java" else words[0])
    return tuple(n for n in names if n not in ("self", "cls", "this"))


def _statements(adapter, fn: SgNode) -> int:
    body = fn.field("body")
    if body is None:
        return 1  # an arrow function with an expression body
    inner = body.named_children()
    if len(inner) == 1 and inner[0].kind() == "statement_list":
        body = inner[0]
    named = [c for c in body.named_children() if "comment" not in c.kind() and c.kind() not in ("expression_statement",) or
             c.kind() == "expression_statement" and not c.text().startswith(('"""', "'''", '"', "'"))]
    return len(named) if body.kind() in ("block", "statement_block", "compound_statement", "constructor_body",
                                         "statement_list") else 1


def _caps(call) -> bool:
    """A trim that keeps a collection at a size: LTRIM k 0 99, LTRIM k -100 -1, ZREMRANGEBYRANK k 0 -101. Not one that
    drops the head just popped (ZREMRANGEBYRANK k 0 0, LTRIM k 1 -1) or empties the key (LTRIM k 1 0)."""
    if call.command not in keymod.TRIMS:
        return False
    if call.command not in ("ltrim", "zremrangebyrank") or len(call.args) < 3:
        return True
    start, end = (a.text().replace(" ", "") for a in call.args[1:3])
    numbers = re.fullmatch(r"-?\d+", start) and re.fullmatch(r"-?\d+", end)
    if not numbers:
        return True  # ltrim(key, 0, limit - 1): a size the code chose
    first, last = int(start), int(end)
    if call.command == "ltrim":
        return (first == 0 and last >= 0) or (first < 0 and last == -1)
    return last < 0  # ZREMRANGEBYRANK k 0 -101 keeps the top 100; k 0 9 drops the ten just taken


def _ttl_in_command(adapter, call) -> bool:
    command = call.command
    if command in keymod.TTL_WRITES:
        return True
    if command in ("set", "getex"):
        return adapter.ttl_given(call)
    return False


def _fixed_fields(adapter, call) -> bool | None:
    if call.command not in _HASH_WRITES:
        return None
    args = call.args[1:]
    mapping = call.kwargs.get("mapping")
    if mapping is not None:
        args = [mapping]
    if not args:
        return None if call.splat else True
    first = args[0]
    if adapter.literal(first) is not None:
        return True  # hset(key, "field", value, ...)
    if first.kind() in ("dictionary", "object", "composite_literal"):
        pairs = [p for p in first.named_children() if p.kind() in ("pair", "keyed_element", "shorthand_property_identifier")]
        return all(p.kind() == "shorthand_property_identifier" or
                   adapter.literal(p.field("key") or p.named_children()[0]) is not None or
                   (p.field("key") or p.named_children()[0]).kind() in ("property_identifier", "field_identifier")
                   for p in pairs) if pairs else True
    if mapping is not None or len(args) == 1:
        return None  # hset(key, mapping=job.to_dict()), putAll(key, map): an object's record, not evidence of growth
    return False


_PLURAL = re.compile(r"(?i)(keys|ids|names|list|batch|chunk|members|items|entries|all)$")


def _list_arg(adapter, call) -> bool:
    """A multi-key command given one collection of keys (a list literal, a comprehension, a plural name)."""
    if call.command not in _MULTI_KEY_LISTS or len(call.args) != 1 or call.splat:
        return False
    return _a_list(call.args[0])


_CONVERSION = re.compile(r"(?:list|tuple|set|Array\.from|Arrays\.asList)\(\s*([\w.]+)\s*\)|([\w.]+)\.(?:toArray|toList|keySet|values)\(")


def _a_list(arg: SgNode) -> bool:
    if arg.kind() in ("list", "array", "list_comprehension", "array_creation_expression", "composite_literal"):
        return True
    converted = _CONVERSION.match(arg.text())
    if converted:
        # keys.toArray(new String[0]), list(keys), Array.from(keys): the collection converted
        return bool(_PLURAL.search(converted.group(1) or converted.group(2)))
    return arg.kind() in ("identifier", "attribute", "member_expression", "selector_expression", "field_access") and bool(
        _PLURAL.search(arg.text()))


def _whole_read(call) -> bool:
    if call.command in WHOLE_READS:
        return True
    if call.command in RANGE_READS and len(call.args) >= 3:
        return call.args[1].text() == "0" and call.args[2].text().replace(" ", "") in ("-1", "-1L")
    return False


def _stored(node: SgNode, adapter) -> bool:
    """The value is kept beyond the call: on self/this, in a field, at module level."""
    parent = node.parent()
    while parent is not None and parent.kind() in ("await", "await_expression", "parenthesized_expression", "as_expression",
                                                   "type_assertion", "non_null_expression"):
        parent = parent.parent()
    if parent is None:
        return False
    if parent.kind() in ("assignment", "assignment_expression", "augmented_assignment"):
        left = parent.field("left")
        return left is not None and bool(re.match(r"(self|this|cls|\w+)\.", left.text()))
    if parent.kind() in ("field_declaration", "public_field_definition", "field_definition", "property_declaration"):
        return True
    if parent.kind() == "variable_declarator":
        grand = parent.parent()
        return grand is not None and grand.kind() == "field_declaration"
    if parent.kind() in ("keyed_element", "pair", "field_initializer"):
        return True  # a struct/object field: lives as long as the object
    return False


def _guarded(node: SgNode, fn: SgNode | None, adapter) -> bool:
    stop = fn.range().start.index if fn is not None else -1
    for ancestor in node.ancestors():
        if ancestor.range().start.index < stop:
            break
        if ancestor.kind() in adapter.if_kinds or ancestor.kind() in ("conditional_expression", "ternary_expression",
                                                                      "binary_expression", "boolean_operator"):
            text = ancestor.text().split("\n", 1)[0]
            if re.search(r"\bNone\b|\bnull\b|\bnil\b|!\s*[\w.]+|\bnot\b|undefined|\?\?|\|\||\bor\b", text):
                return True
    return False


def _returned(node: SgNode, fn: SgNode | None) -> bool:
    if fn is None:
        return False
    stop = fn.range().start.index
    for ancestor in node.ancestors():
        if ancestor.range().start.index <= stop:
            break
        if ancestor.kind() in ("return_statement", "yield"):
            return True
    body = fn.field("body")
    # an arrow function or lambda whose body is the call
    return body is not None and body.range().start.index == node.range().start.index


def extract(ctx, is_redis_local) -> FileFacts:
    """Stage 1 for one parsed file. `ctx` is the engine's FileContext (calls, news, scopes, assignments)."""
    adapter = ctx.adapter
    facts = FileFacts(ctx.path, adapter.name, ctx.is_test)
    facts.names_redis = bool(_NAMES_REDIS.search(ctx.text))
    lines = ctx.lines
    func_ids: dict[int, Func] = {}
    fn_nodes: dict[int, SgNode] = {}

    def evidence(line: int) -> str:
        return lines[line - 1].strip()[:200] if 0 < line <= len(lines) else ""

    def func_of(node: SgNode) -> tuple[Func | None, SgNode | None]:
        fns = ctx.enclosing_functions(node)
        if not fns:
            return None, None
        fn = fns[0]
        key = fn.range().start.index
        if key not in func_ids:
            name = adapter.function_name(fn)
            markers = adapter.function_markers(fn)
            params_text = adapter.function_params(fn)
            owner = next((a for a in fn.ancestors() if a.kind() in _CLASS_KINDS), None)
            owner_name = owner.field("name") if owner is not None else None
            func_ids[key] = Func(
                id=f"{ctx.path}:{fn.range().start.line + 1}", name=name or "<anonymous>", path=ctx.path,
                line=fn.range().start.line + 1, params=_params(adapter, fn),
                handler=bool(_REQUEST_SCOPE.search(name) or _REQUEST_SCOPE.search(markers) or _REQUEST_PARAMS.search(params_text)),
                cached=bool(_CACHED.search(markers)) or fn.kind() in ("constructor_declaration", "static_initializer"),
                test=ctx.is_test or ctx.in_test_code(fn) or ctx._is_test_function(fn), statements=_statements(adapter, fn),
                cls=owner_name.text() if owner_name is not None else "")
            fn_nodes[key] = fn
        return func_ids[key], fn

    def site(node: SgNode, func: Func | None) -> Site:
        start = node.range().start
        return Site(ctx.path, start.line + 1, start.column + 1, func.id if func else "", evidence(start.line + 1))

    constants = {name: adapter.literal(values[0]) for name, values in ctx.assignments.items()
                 if len(values) == 1 and adapter.literal(values[0]) is not None}
    # names bound once to an expression (`String userKey = getTokenKey(uuid);`): a key argument resolves through them
    bound_once = {name: values[0] for name, values in ctx.assignments.items()
                  if len(values) == 1 and name not in constants and values[0].kind() not in _LOOPS}
    # UPPER_CASE names bound once to an expression of constants: `DETAIL = PREFIX + "detail:"`
    for name, value in list(bound_once.items()):
        if name.isupper() and len(name) > 1:
            shown = keymod.key_expr(adapter, value, constants, ()).display
            if shown and not re.search(r"\{(?![A-Z_][A-Z0-9_]*\})", shown):
                constants[name] = shown  # other modules' constants ({PREFIX}) are filled in by the program
    # a name bound several times in the file, once in each function (`cacheKey` in every handler)
    per_function: dict[tuple[int, str], SgNode | None] = {}
    for name, values in ctx.assignments.items():
        if len(values) > 1 and name not in constants:
            for value in values:
                if value.kind() in _LOOPS:
                    continue
                _, fn = func_of(value)
                spot = (fn.range().start.index if fn is not None else -1, name)
                per_function[spot] = value if spot not in per_function else None

    def bindings_at(fn: SgNode | None) -> dict:
        index = fn.range().start.index if fn is not None else -1
        local = {name: value for (at, name), value in per_function.items() if at == index and value is not None}
        return {**local, **bound_once, **constants} if local else shared
    shared = {**bound_once, **constants}

    for call in ctx.calls:
        func, fn = func_of(call.node)
        params = func.params if func else ()
        loop = ctx.enclosing_loop(call.node)
        if loop is not None and _in_iterable(loop, call.node):
            loop = None
        in_loop = loop.range().start.line + 1 if loop is not None else None
        name = call.method
        if call.command:
            local = is_redis_local(call)
            plain = call.receiver in ctx.plain_vars or call.receiver in ("Object", "Reflect", "Map", "_", "dict", "os",
                                                                          "JSON", "Array", "Promise", "Math", "console")
            if call.command == "keys" and call.receiver == "cache" and call.args and "*" in call.args[0].text():
                plain, local = False, True  # django-redis: cache.keys("*pattern*") sends KEYS
            key = keymod.key_expr(adapter, call.args[0], bindings_at(fn), params) if call.args else KeyExpr(None, None)
            facts.rcalls.append(RCall(
                site=site(call.node, func), command=call.command, method=call.method, receiver=call.receiver,
                receiver_text=call.receiver_text, key=key, nargs=len(call.args) + len(call.kwargs), splat=call.splat,
                list_arg=_list_arg(adapter, call), ttl=_ttl_in_command(adapter, call),
                trims=_caps(call) or (call.command == "xadd" and adapter.xadd_trimmed(call)),
                fixed_fields=_fixed_fields(adapter, call), whole=_whole_read(call), in_loop=in_loop,
                counts_in_loop=adapter.loop_call_counts(call), pipelined=ctx.is_pipeline(call),
                certain=bool(local), plain=plain, test=ctx.is_test or (func.test if func else False),
                hash_tag=any(adapter.has_hash_tag(a) for a in call.args)))
            if (local and facts.names_redis) or plain:
                continue
        if not name or not re.match(r"[A-Za-z_$]", name):
            continue
        # a call by name: maybe a repository function (a helper that issues commands, a wrapper, a factory)
        receiver = call.receiver_text
        args = [keymod.key_expr(adapter, a, bindings_at(fn), params) for a in call.args[:3]]
        facts.ocalls.append(OCall(
            site=site(call.node, func), name=name, receiver_text=receiver,
            self_call=receiver in ("self", "this", "cls", ""),
            in_loop=in_loop if adapter.loop_call_counts(call) or adapter.name not in ("javascript", "typescript", "tsx") else None,
            pipelined=bool(re.search(r"(?i)pipe|batch|multi", receiver)), args=args, nargs=len(call.args),
            list_arg=len(call.args) == 1 and not call.splat and _a_list(call.args[0]),
            stored=_stored(call.node, adapter) or func is None, test=ctx.is_test or (func.test if func else False)))
        binding = adapter.assigned_name(call.node)
        if binding:
            facts.bindings.append((binding, name, func is None or _stored(call.node, adapter)))

    for ctor in ctx.news:
        if not adapter.is_client_ctor(ctor):
            continue
        func, fn = func_of(ctor.node)
        timeout = adapter.timeout_set(ctor)
        url_arg = None
        if ctor.method in ("from_url", "redis_from_url") and ctor.args and adapter.literal(ctor.args[0]) is None:
            url_arg = ctor.args[0].text()
            timeout = None if ("socket_timeout" in ctor.kwargs or ctor.splat) else False
        found_db = adapter.db_number(ctor)
        assigned = adapter.assigned_name(ctor.node)
        returned = _returned(ctor.node, fn) or bool(
            fn is not None and assigned and re.search(rf"\breturn\s+{re.escape(assigned)}\s*(?:;|$)", fn.text(), re.M))
        facts.ctors.append(Ctor(
            site=site(ctor.node, func), lang=adapter.name, returned=returned,
            stored=func is None or _stored(ctor.node, adapter), guarded=_guarded(ctor.node, fn, adapter),
            in_loop=ctx.enclosing_loop(ctor.node) is not None,
            handler=bool(func and func.handler), bare=adapter.is_bare_connection(ctor), timeout=timeout,
            url_arg=url_arg, assigned=adapter.assigned_name(ctor.node), test=ctx.is_test or bool(func and func.test),
            db=(found_db[0], found_db[1].range().start.line + 1, found_db[1].range().start.column + 1) if found_db else None))

    # loop variables over lists of clients: `for conn in self.connections: conn.keys(...)`
    for name, values in ctx.assignments.items():
        for value in values:
            kind = value.kind()
            if kind in ("for_statement", "for_in_clause", "enhanced_for_statement", "for_in_statement"):
                iterable = value.field("right") or value.field("value")
                if iterable is not None:
                    facts.loop_vars.append((name, _last_name(iterable.text())))
            elif kind in ("list", "array", "list_comprehension", "tuple", "array_creation_expression", "composite_literal"):
                if re.search(r"(?i)\b(Redis|StrictRedis|from_url|createClient|NewClient|Jedis|RedisCluster)\b", value.text()):
                    facts.client_lists.append(name)
    facts.constants = {k: v for k, v in constants.items() if v and len(v) < 200}
    # key helpers: `def cart_key(uid): return f"cart:{uid}"` / `String getCacheKey(String k) { return PREFIX + k; }`
    helper_fns = [n for n in ctx.scopes.function_nodes()] if ctx.scopes is not None else []
    for fn in helper_fns:
        name = adapter.function_name(fn)
        if not name or not re.search(r"(?i)key|name|prefix|path|id$", name):
            continue
        returns = [r for r in fn.find_all(kind="return_statement")]
        if len(returns) != 1:
            continue
        value = next((c for c in returns[0].named_children() if "comment" not in c.kind()), None)
        if value is None:
            continue
        expr = keymod.key_expr(adapter, value, constants, _params(adapter, fn))
        if expr.display and "{" in expr.display or expr.literal:
            facts.key_helpers[name] = expr
    facts.funcs = list(func_ids.values())
    facts.imports = _imports(ctx)
    for number, text in enumerate(lines, 1):
        match = _UNSAFE_LOADS.search(text)
        if match and not text.lstrip().startswith(("#", "//", "*", "import ", "from ")):
            facts.pickles.append((Site(ctx.path, number, match.start() + 1, "", evidence(number)), match.group(0).strip(". (")))
    facts.uses_cluster = adapter.uses_cluster(ctx.text)
    return facts


def _in_iterable(loop: SgNode, node: SgNode) -> bool:
    """The call computes what a comprehension walks (`[x for x in r.smembers(k)]`): it runs once."""
    if not loop.kind().endswith(("comprehension", "generator_expression")):
        return False
    start = node.range().start.index
    for clause in loop.find_all(kind="for_in_clause"):
        right = clause.field("right")
        if right is not None and right.range().start.index <= start < right.range().end.index:
            return True
    return False


def _last_name(text: str) -> str:
    names = re.findall(r"[A-Za-z_$][\w$]*", text.split("(")[0])
    return names[-1] if names else ""


_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))|require\(\s*['\"]([^'\"]+)['\"]\s*\)|"
                     r"from\s+['\"]([^'\"]+)['\"]|^\s*import\s+(?:static\s+)?([\w.]+)\s*;", re.M)


def _imports(ctx) -> list[str]:
    found = []
    for match in _IMPORT.finditer(ctx.text):
        name = next((g for g in match.groups() if g), "")
        if name:
            found.append(name)
    return found


# --- stage 2 ----------------------------------------------------------------------------------

CLIENT_NAME = re.compile(
    r"(?i)(redis|rdb|rds|jedis|lettuce|valkey|keydb|dragonfly)(_?(client|conn|connection|cli|db|pool|cluster|instance|store))?s?$|"
    r"(?-i:^r$)|^rc$|^redisClient$|^client$|^conn(ection)?$|commands$|^sync$|^async$|^reactive$|^cmds?$|^pipe(line)?$")


def redis_function_names(program: "Program", limit: int = 400) -> list[str]:
    """Names of the functions that issue commands, forward one, or build a client: what a file that never
    names Redis may call."""
    names = {program.funcs[fid].name for fid in list(program.issues) + list(program.wrappers) if fid in program.funcs}
    names |= set(program.factories)
    # key helpers that live in modules which never name Redis: `r.set(session_key(sid), ...)`
    for call in program.redis_calls:
        match = re.match(r"([A-Za-z_$][\w$]*)\(", call.key.display or "")
        if match:
            names.add(match.group(1))
    return sorted(n for n in names if len(n) >= 5 and n not in COMMON_NAMES and n.isidentifier() and
                  not n.startswith("<"))[:limit]


# Calls into Redis-backed libraries that each cost a round trip: (name, receiver, command it sends).
LIBRARY_CALLS = (
    (re.compile(r"^fetch_job$"), re.compile(r"."), "hgetall"),  # rq: Queue.fetch_job(id)
    (re.compile(r"^fetch$"), re.compile(r"(?i)(^|\.)(job|job_class)$"), "hgetall"),  # rq: Job.fetch(id)
    (re.compile(r"^requeue_job$"), re.compile(r""), "rpush"),  # rq: requeue_job(id, connection)
)


_PIPE_NAME = re.compile(r"(?i)^(pipe|pipeline|p|tx|txn|multi|batch|pl)$")
_COMMAND_NAMES = {c.lower() for c in keymod.WRITE_TYPES} | {c.lower() for c in keymod.READ_TYPES} | {
    "delete", "del", "expire", "pexpire", "ltrim", "zrem", "srem", "hdel", "exists", "incr", "incrby", "decr", "publish"}


def _library_call(call: OCall) -> RCall | None:
    for name, receiver, command in LIBRARY_CALLS:
        if name.search(call.name) and receiver.search(call.receiver_text):
            return RCall(site=call.site, command=command, method=call.name, receiver=_last_name(call.receiver_text),
                         receiver_text=call.receiver_text, key=call.args[0] if call.args else KeyExpr(None, None),
                         nargs=call.nargs, splat=False, list_arg=False, ttl=False, trims=False, fixed_fields=None,
                         whole=False, in_loop=call.in_loop, counts_in_loop=True, pipelined=call.pipelined,
                         certain=True, plain=False, test=call.test, library=True)
    return None


class Program:
    """The files joined: client names, Redis functions, wrappers, key families."""

    def __init__(self, files: list[FileFacts]):
        self.files = files
        self.funcs: dict[str, Func] = {f.id: f for facts in files for f in facts.funcs}
        self.by_name: dict[str, list[Func]] = defaultdict(list)
        for func in self.funcs.values():
            self.by_name[func.name].append(func)
        self.uses_cluster = any(f.uses_cluster for f in files)
        for facts in files:
            if not facts.library_calls_read:
                facts.rcalls += [c for c in map(_library_call, facts.ocalls) if c is not None]
                facts.library_calls_read = True
        self._clients()
        self._summaries()
        self._families()

    # -- handles ----------------------------------------------------------------------------
    def _clients(self) -> None:
        """Names that hold Redis clients anywhere in the program, and factory functions that return one."""
        self.factories: dict[str, list[Ctor]] = defaultdict(list)
        names: set[str] = set()
        for facts in self.files:
            for ctor in facts.ctors:
                if ctor.assigned:
                    names.add(ctor.assigned)
                if ctor.returned and ctor.site.func:
                    func = self.funcs.get(ctor.site.func)
                    if func is not None:
                        self.factories[func.name].append(ctor)
                # a class that builds its own client when constructed: Broker(...) in a handler is a client per request
                func = self.funcs.get(ctor.site.func)
                if func is not None and func.cls and ctor.stored and func.name in ("__init__", "constructor", func.cls):
                    self.factories[func.cls].append(ctor)
        # factories of factories: def get_redis(): return _make_pool_client()
        for _ in range(2):
            for facts in self.files:
                for call in facts.ocalls:
                    if call.name in self.factories and call.site.func:
                        func = self.funcs.get(call.site.func)
                        if func is not None and func.name not in self.factories and func.statements <= 3 and \
                                call.site.evidence.lstrip().startswith("return"):
                            self.factories[func.name] += self.factories[call.name]
        for facts in self.files:
            for name, callee, _ in facts.bindings:
                if callee in self.factories or callee in ("getConnection", "getResource", "connect", "getClient",
                                                          "get_redis_connection", "get_client", "getRedis", "get_redis",
                                                          "pipeline", "Pipeline", "TxPipeline", "pipelined"):
                    names.add(name)
        lists = {n for facts in self.files for n in facts.client_lists}
        # `for conn in connections`: the loop variable holds a client in that file only (`for result in rs` elsewhere)
        self.loop_clients: dict[str, set[str]] = defaultdict(set)
        for facts in self.files:
            for var, iterable in facts.loop_vars:
                if iterable in lists or (len(iterable) > 2 and CLIENT_NAME.search(iterable.rstrip("s"))):
                    self.loop_clients[facts.path].add(var)
        self.client_names = {n for n in names if n and n not in COMMON_NAMES and n not in ("self", "this")}

    def is_redis(self, call: RCall) -> bool:
        if call.receiver and (call.receiver in self.client_names or call.receiver in self.loop_clients.get(call.site.path, ())):
            return True  # a loop variable over a list of clients is locally "data", but holds clients
        root = re.match(r"[A-Za-z_$][\w$]*", call.receiver_text)
        if root and (root.group(0) in self.client_names or _PIPE_NAME.search(root.group(0))) and call.receiver_text.endswith(")") and \
                _last_name(call.receiver_text.rsplit("(", 1)[0]).lower() in _COMMAND_NAMES:
            return True  # pipe.llen(q).delete(q): a chain of commands on a pipeline
        if call.plain:
            return False
        if call.certain:
            return True
        if call.receiver in self.client_names:
            return True
        head = _last_name(call.receiver_text)
        if call.receiver_text.endswith(")") and head in self.factories:
            return True
        return False

    # -- call summaries ------------------------------------------------------------------------
    def _summaries(self) -> None:
        """Which functions issue commands (directly or through callees) and which only forward one."""
        self.direct: dict[str, list[RCall]] = defaultdict(list)
        self.redis_calls: list[RCall] = []
        # modules that build a client: a file importing one talks to Redis even when it never says "redis"
        client_modules = {Path(f.path).stem for f in self.files if f.ctors and not f.test}
        for facts in self.files:
            if not facts.names_redis and any(i.split(".")[-1].split("/")[-1] in client_modules for i in facts.imports):
                facts.names_redis = True
            for call in facts.rcalls:
                if not facts.names_redis and not call.library:
                    # `.get()` on a dict in a service module: only a handle the program knows is Redis
                    call.certain = False
                if self.is_redis(call):
                    self.redis_calls.append(call)
                    if call.site.func:
                        self.direct[call.site.func].append(call)
        self.wrappers: dict[str, RCall] = {}  # function id -> the one command it forwards
        for fid, calls in self.direct.items():
            func = self.funcs.get(fid)
            commands = [c for c in calls if c.command not in WRAPPER_NOISE]
            if func is None or len(commands) != 1 or func.statements > 6:
                continue
            call = commands[0]
            if call.in_loop is None and call.key.param is not None and call.key.param in func.params:
                self.wrappers[fid] = call
        # Functions that issue round trips: direct calls not on a pipeline, or calls to such functions.
        self.issues: dict[str, str] = {}  # function id -> the first command it issues
        self.issued_at: dict[str, str] = {}  # function id -> where that command is sent (through callees too)
        for fid, calls in self.direct.items():
            unbatched = [c for c in calls if not c.pipelined and c.command not in LOOP_EXEMPT]
            if unbatched:
                self.issues[fid] = unbatched[0].command
                self.issued_at[fid] = unbatched[0].site.where
        self.calls_by_func: dict[str, list[OCall]] = defaultdict(list)
        for facts in self.files:
            for call in facts.ocalls:
                self.calls_by_func[call.site.func].append(call)
        changed = True
        rounds = 0
        while changed and rounds < 6:
            changed, rounds = False, rounds + 1
            for fid, calls in self.calls_by_func.items():
                if not fid or fid in self.issues:
                    continue
                for call in calls:
                    target = self.resolve(call)
                    if target is not None and target.id in self.issues and target.id != fid:
                        self.issues[fid] = self.issues[target.id]
                        self.issued_at[fid] = self.issued_at[target.id]
                        changed = True
                        break

    def resolve(self, call: OCall) -> Func | None:
        """The repository function a call reaches, when the name says so unambiguously enough."""
        candidates = self.by_name.get(call.name)
        if not candidates:
            return None
        same_file = [f for f in candidates if f.path == call.site.path]
        if call.self_call and not same_file and call.receiver_text in ("self", "this", "cls"):
            return candidates[0] if len(candidates) == 1 else None  # an inherited method
        if call.self_call and same_file:
            caller = self.funcs.get(call.site.func)
            same_class = [f for f in same_file if caller is not None and f.cls == caller.cls]
            return (same_class or same_file)[0]
        receiver = call.receiver_text
        if receiver.startswith("super"):
            others = [f for f in candidates if f.path != call.site.path]
            return others[0] if len(others) == 1 else None
        if receiver[:1].isupper() and receiver.isidentifier():
            of_class = [f for f in candidates if f.cls == receiver]
            if of_class:
                return of_class[0]
        if call.name in COMMON_NAMES or len(call.name) < 4:
            return None
        if _ACCESSOR.match(call.name) and not _HELPER_RECEIVER.search(receiver) and not same_file:
            return None  # config.getConfigKey(): a data object's accessor, not the service method of that name
        if same_file:
            return same_file[0]
        if receiver and not _HELPER_RECEIVER.search(receiver) and all(f.cls for f in candidates):
            # lruItem.containsKey(k), ctx.get_module(m): a method of that name on an object not named for its class
            last = _last_name(receiver).lower()
            if not last or not any(last in f.cls.lower() or f.cls.lower() in last for f in candidates):
                return None
        return candidates[0] if len(candidates) <= 3 else None

    def helper_by_name(self, call: OCall) -> Func | None:
        """`redisUtils.get(k)`, `cache.delete(k)`: a common name called on something named like a Redis helper
        reaches the repository's function of that name that issues a command."""
        if call.name.lower() not in REDIS_NAMES or not _HELPER_RECEIVER.search(call.receiver_text):
            return None
        return next((f for f in self.by_name.get(call.name, []) if f.id in self.issues), None)

    def wrapper_command(self, call: OCall) -> tuple[RCall, KeyExpr] | None:
        """A call to a forwarding wrapper, as the command it issues with the caller's key."""
        found = self._wrapper_use(call)
        if found is not None:
            self.called_wrappers.add(found[0].site.func)
        return found

    def _wrapper_use(self, call: OCall) -> tuple[RCall, KeyExpr] | None:
        target = self.resolve(call) if call.name not in COMMON_NAMES or call.self_call else None
        if target is not None and target.id in self.wrappers and len(target.params) != call.nargs:
            target = None  # an overload: pick by arity below
        if target is None:
            wrappers = [f for f in self.by_name.get(call.name, []) if f.id in self.wrappers]
            if call.name.lower() not in REDIS_NAMES and not (wrappers and self.resolve(call) is not None):
                wrappers = [f for f in wrappers if f.path == call.site.path or _HELPER_RECEIVER.search(call.receiver_text)]
            target = next((f for f in wrappers if len(f.params) == call.nargs), wrappers[0] if wrappers else None)
        if target is None or target.id not in self.wrappers or target.id == call.site.func:
            return None  # the wrapper's own command is not a call of itself
        inner = self.wrappers[target.id]
        if call.list_arg and inner.command in _MULTI_KEY_LISTS and not inner.list_arg:
            inner = replace(inner, list_arg=True)
        key = inner.key
        if inner.key.param is not None and inner.key.param in target.params:
            index = target.params.index(inner.key.param)
            if index < len(call.args):
                key = call.args[index]
        return inner, key

    def _same_name(self, call: RCall) -> bool:
        """The wrapper is named for the command it forwards (hgetall(), getSet(), lGet())."""
        func = self.funcs.get(call.site.func)
        name = func.name.lower().lstrip("_") if func else ""
        return bool(name) and (name == call.command or name == call.method.lower() or call.command in name)

    # -- key families ------------------------------------------------------------------------
    def _constants(self) -> None:
        self.constants: dict[str, str] = {}
        clashes: set[str] = set()
        for facts in self.files:
            for name, value in facts.constants.items():
                if name in self.constants and self.constants[name] != value:
                    clashes.add(name)
                self.constants.setdefault(name, value)
        for name in clashes:
            del self.constants[name]
        self.key_helpers: dict[str, list[tuple[str, KeyExpr]]] = defaultdict(list)
        for facts in self.files:
            for name, expr in facts.key_helpers.items():
                self.key_helpers[name].append((facts.path, expr))

    def resolve_key(self, key: KeyExpr, where: Site) -> KeyExpr:
        """A key built by a helper becomes the helper's own pattern; constants from other modules are filled in."""
        display = key.display
        if display is None:
            return key
        if key.pattern and key.pattern.startswith("<") and key.pattern.endswith(">"):
            # self.key in one module is not self.key in another: each class keeps its own
            return KeyExpr(f"{key.pattern}@{where.path}", f"{display} of {Path(where.path).name}", key.param, key.literal)
        match = re.fullmatch(r"([A-Za-z_$][\w$]*)\((.*)\)", display)
        if match and match.group(1) in self.key_helpers:
            helpers = self.key_helpers[match.group(1)]
            same = [e for p, e in helpers if p == where.path]
            expr = same[0] if same else helpers[0][1] if len(helpers) == 1 else None
            if expr is not None and expr.display:
                display = expr.display
        def fill(slot: re.Match) -> str:
            name = slot.group(1)
            return self.constants.get(name, slot.group(0)) if name.isupper() or name in self.constants else slot.group(0)
        for _ in range(2):  # a constant made of other constants
            display = re.sub(r"\{([A-Za-z_$][\w$]*)\}", fill, display)
        if display == key.display:
            return key
        pattern = keymod.squash(re.sub(r"\{[^{}]*\}", keymod.PLACEHOLDER, display))
        if not pattern.strip(keymod.PLACEHOLDER + ":"):
            return KeyExpr(None, None, key.param, key.literal)
        return KeyExpr(pattern, display, key.param, key.literal)

    def _families(self) -> None:
        self._constants()
        self.families: dict[str, KeyFamily] = {}
        self.uses: list[tuple[RCall, KeyExpr, Site]] = []  # every command on a key: (the command, its key, where)
        self.called_wrappers: set[str] = set()
        for facts in self.files:
            for call in facts.ocalls:
                found = self.wrapper_command(call)
                if found is not None and not call.test:
                    self.uses.append((found[0], found[1], call.site))
        for call in self.redis_calls:
            if call.site.func in self.wrappers and (call.site.func in self.called_wrappers or self._same_name(call)):
                # its callers are the uses; one named for its command (def hgetall(self, key)) is the library's API.
                # Any other that nothing here calls (GetPendingTasks()) is used where it stands.
                continue
            self.uses.append((call, call.key, call.site))
        self.uses = [(call, self.resolve_key(key, where), where) for call, key, where in self.uses]
        first_read: dict[tuple[str, str], int] = {}  # (family, function) -> line of its first read there
        for call, key, where in self.uses:
            if key.pattern is not None and where.func and call.command in _CACHE_READS:
                spot = (key.pattern, where.func)
                first_read[spot] = min(first_read.get(spot, where.line), where.line)
        for call, key, where in self.uses:
            if key.pattern is None or call.test:
                continue
            family = self.families.get(key.pattern)
            if family is None:
                family = self.families[key.pattern] = KeyFamily(key.pattern, key.display or key.pattern)
            command = call.command
            family.commands.add(command)
            kind = keymod.WRITE_TYPES.get(command) or keymod.READ_TYPES.get(command)
            if kind:
                family.types.add(kind)
            if command in keymod.WRITE_TYPES:
                family.writers.append(where.where)
                read = first_read.get((key.pattern, where.func))
                if read is not None and read < where.line and family.cache_aside is None:
                    family.cache_aside = where.where
                if call.ttl:
                    family.writes_with_ttl += 1
                    family.expires.append(where.where)
                else:
                    family.writes_without_ttl += 1
                if command in _HASH_WRITES:
                    fixed = call.fixed_fields
                    family.fixed_fields = (fixed is not False) if family.fixed_fields is None else (family.fixed_fields and fixed is not False)
            elif kind:
                family.readers.append(where.where)
            if command in keymod.EXPIRE_COMMANDS:
                family.expires.append(where.where)
                family.expire_calls += 1
            if call.trims:
                family.trims.append(where.where)
            if command in keymod.BOUNDING:
                family.removals += 1

    def family(self, key: KeyExpr) -> KeyFamily | None:
        return self.families.get(key.pattern) if key.pattern else None

    def callers(self, func: Func) -> list[OCall]:
        found = []
        for facts in self.files:
            for call in facts.ocalls:
                if call.name == func.name and self.resolve(call) is func:
                    found.append(call)
        return found

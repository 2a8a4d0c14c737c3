"""The static rules, each a query over the program model (model.Program), each finding citing the
evidence it used: the key family, its writers, its bound or the lack of one, the caller in a loop."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ask_redis.review import engine
from ask_redis.review import keys as keymod
from ask_redis.review.findings import Finding, Rule, Severity, make_finding
from ask_redis.review.model import LOOP_EXEMPT, MAIN_LIKE, SCRIPT_PATH, Program, Site

MULTI_KEY = {"mget", "mset", "msetnx", "del", "unlink", "exists", "sunion", "sinter", "sdiff", "sunionstore",
             "sinterstore", "sdiffstore", "zunionstore", "zinterstore", "smove", "rename", "renamenx",
             "rpoplpush", "lmove", "pfmerge", "pfcount", "copy", "touch"}
TWO_KEY = {"smove", "lmove", "rpoplpush", "rename", "renamenx", "copy"}
DEV_FILES = ("Makefile", "makefile", "GNUmakefile", "package.json", "tox.ini", "noxfile.py", "justfile", "Justfile",
             "Taskfile.yml", "Taskfile.yaml", "pytest.ini", "setup.cfg", "conftest.py", "Rakefile", "Procfile.dev")
DEV_DIRS = (".github/workflows", ".circleci", ".gitlab-ci.yml", ".travis.yml", "tests", "test")
CONFIG_GLOBS = ("*.env*", ".env*", "*settings*.py", "*config*.py", "*config*.{js,ts,json,yml,yaml,toml}", "*compose*.y*ml",
                "values*.y*ml", "*.properties", "application*.y*ml", "*.ini", "*.cfg")


_RUNS = re.compile(r"(?:\b(?:python3?|node|nodemon|ts-node|tsx|bash|sh|ruby|bun|deno run|go run|npx|php|uv run|poetry run)"
                   r"\s+(?:-m\s+|-[A-Za-z]+\s+)*|(?:^|\s)\./)([\w./-]+)", re.M)


class Context:
    """What the rules need beyond the model: the tree's dev tooling and configuration."""

    def __init__(self, root: Path, program: Program):
        self.root = root
        self.program = program
        self.findings: list[Finding] = []
        self._dev_refs: set[str] | None = None
        self._config_timeouts: bool | None = None
        self._lines: dict[str, list[str]] = {}

    def line(self, path: str, number: int) -> str:
        if path not in self._lines:
            self._lines[path] = (_read(self.root / path) if self.root.is_dir() else _read(self.root)).splitlines()
        lines = self._lines[path]
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def report(self, rule: Rule, site: Site, message: str, severity: Severity | None = None) -> None:
        if self._suppressed(rule, site):
            return
        self.findings.append(make_finding(rule, message=message, severity=severity, path=site.path, line=site.line,
                                          column=site.col, evidence=site.evidence))

    def _suppressed(self, rule: Rule, site: Site) -> bool:
        """`# ask-redis: ignore[rule]` on the line or the line above."""
        if "ask-redis" not in site.evidence:
            return _ignored(rule, self.line(site.path, site.line - 1))
        return _ignored(rule, site.evidence)

    @property
    def dev_refs(self) -> set[str]:
        """Names of files that test runners, Makefiles, package.json scripts and CI files run."""
        if self._dev_refs is None:
            text = []
            for name in DEV_FILES:
                for path in _find(self.root, name, depth=2):
                    text.append(_dev_scripts(path) if name == "package.json" else _read(path))
            for name in DEV_DIRS[:4]:
                folder = self.root / name
                if folder.is_dir():
                    text += [_read(p) for p in list(folder.rglob("*.y*ml"))[:50]]
                elif folder.is_file():
                    text.append(_read(folder))
            # a file counts as dev tooling when these files run it, not when they merely name it (mockgen -source=...)
            words = set(_RUNS.findall("\n".join(text)))
            self._dev_refs = {w.removeprefix("./") for w in words}
        return self._dev_refs

    def dev_tooling(self, path: str) -> bool:
        if engine.TEST_PATH.search(path):
            return True
        name = Path(path).name
        stem = Path(path).stem
        module = path.rsplit(".", 1)[0].replace("/", ".")
        # `python seed.py` run from the top or one folder down; `node scripts/flush.js` by its path
        referenced = path in self.dev_refs or (name in self.dev_refs and path.count("/") <= 1) or any(
            m in self.dev_refs for m in (module, module.split(".", 1)[-1]) if "." in m)
        imported = any(stem in imp.split(".")[-1].split("/")[-1] for f in self.program.files if f.path != path
                       and not f.test for imp in f.imports) if referenced else False
        return referenced and not imported

    @property
    def config_timeouts(self) -> bool:
        """Whether the repository's configuration sets a socket timeout for Redis anywhere."""
        if self._config_timeouts is None:
            found = False
            for pattern in CONFIG_GLOBS:
                for path in _glob(self.root, pattern):
                    text = _read(path)
                    if re.search(r"(?i)redis", text) and re.search(r"(?i)socket_timeout|socket_connect_timeout|"
                                                                     r"SOCKET_TIMEOUT|socketTimeout|commandTimeout", text):
                        found = True
                        break
                if found:
                    break
            self._config_timeouts = found
        return self._config_timeouts


def _dev_scripts(path: Path) -> str:
    """package.json's scripts, without the ones that start the application itself."""
    try:
        scripts = json.loads(_read(path)).get("scripts") or {}
    except (ValueError, AttributeError):
        return _read(path)
    return "\n".join(str(command) for name, command in scripts.items() if isinstance(scripts, dict) and
                     name not in ("start", "dev", "serve", "prod", "production", "main", "server"))


def _find(root: Path, name: str, depth: int) -> list[Path]:
    found = []
    for level in range(depth + 1):
        found += [p for p in root.glob("/".join(["*"] * level + [name])) if p.is_file()][:20]
    return found


def _glob(root: Path, pattern: str) -> list[Path]:
    import glob
    import os
    out = []
    for part in _braces(pattern):
        for depth in range(3):
            for name in glob.glob(os.path.join(glob.escape(str(root)), *(["*"] * depth), part)):
                if not any(v in name for v in ("/node_modules/", "/.git/", "/vendor/", "/.venv/")):
                    out.append(Path(name))
    return [p for p in out if p.is_file()][:200]


def _braces(pattern: str) -> list[str]:
    match = re.search(r"\{([^{}]+)\}", pattern)
    if not match:
        return [pattern]
    return [pattern[:match.start()] + alt + pattern[match.end():] for alt in match.group(1).split(",")]


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > 512 * 1024:
            return ""
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _ignored(rule: Rule, line: str) -> bool:
    match = engine.IGNORE.search(line)
    return bool(match) and (not match.group(1) or rule.id in [s.strip() for s in match.group(1).split(",")])


def _uses(ctx: Context):
    """Every command on a key outside tests: (command, key, site), wrappers' uses at their callers."""
    for call, key, where in ctx.program.uses:
        if not call.test and not engine.TEST_PATH.search(where.path):
            yield call, key, where


# --- the rules --------------------------------------------------------------------------------


def keys_command(ctx: Context) -> None:
    for call, key, where in _uses(ctx):
        if call.command != "keys":
            continue
        if call.nargs == 0 and not call.certain and call.receiver not in ctx.program.client_names:
            continue  # .keys() with no pattern on something not known to be a client is a dict/Map
        if ctx.dev_tooling(where.path):
            continue
        func = ctx.program.funcs.get(where.func)
        if func is not None and func.name == "keys" and where is call.site and \
                not any(not c.test for c in ctx.program.callers(func)):
            continue  # the library's own keys() API, which nothing in it calls: its users' calls are the uses
        ctx.report(engine.KEYS_IN_CODE, where, engine.KEYS_IN_CODE.why if where is call.site else
                   f"KEYS through {call.method}() of {call.site.where}: it walks the whole keyspace in one blocking call.")


def no_ttl(ctx: Context) -> None:
    """Writes that create keys no code ever expires: per family, across the repository."""
    seen: set[tuple[str, int]] = set()
    for call, key, where in _uses(ctx):
        if call.command not in ("set", "setnx", "mset", "hset", "hmset", "hsetnx", "lpush", "rpush", "sadd", "zadd",
                                "incr", "incrby", "append", "pfadd", "getset"):
            continue
        if call.ttl or (where.path, where.line) in seen:
            continue
        family = ctx.program.family(key)
        if family is None:
            if call.command in ("set", "setnx") and key.param is None and call.site.func not in ctx.program.wrappers:
                if call.nargs >= 2 and not call.splat and key.pattern is None and where is call.site:
                    continue  # the key is data we cannot name: a family-less SET is left to the person
            continue
        if family.ttl == "always":
            continue
        string = call.command in ("set", "setnx", "mset", "getset")
        if family.ttl == "sometimes":
            message = (f"{call.command.upper()} on `{family.display}` sets no TTL here, while other writes of this family "
                       f"do ({family.expires[0]}): keys written on this path never expire.")
        elif string and not family.collection and (family.cache_like or not family.permanent):
            message = (f"`{family.display}` is written with no TTL ({len(family.writers)} writer(s), first "
                       f"{family.writers[0]}) and no EXPIRE anywhere for this family: the keys live until deleted.")
        elif family.cache_like:
            message = (f"`{family.display}` ({', '.join(sorted(family.types)) or 'key'}) looks like ephemeral data but no "
                       f"code sets a TTL on it ({len(family.writers)} writer(s)).")
        else:
            continue
        seen.add((where.path, where.line))
        ctx.report(engine.SET_NO_TTL, where, message)


def client_per_request(ctx: Context) -> None:
    """A client built where it runs per call: in a handler or loop, as a bare connection, in a helper that
    handlers or loops call, or in a factory (a function returning one, a class building one in its
    constructor) that per-call code calls."""
    program = ctx.program
    reported: set[tuple[str, int]] = set()
    for facts in program.files:
        for ctor in facts.ctors:
            if ctor.test or ctor.guarded or facts.test or ctx.dev_tooling(ctor.site.path):
                continue
            func = program.funcs.get(ctor.site.func)
            if func is None or func.cached:
                continue
            where = (ctor.site.path, ctor.site.line)
            made_by = func.cls if ctor.stored and func.cls and func.name in ("__init__", "constructor", func.cls) else (
                func.name if ctor.returned else None)
            if made_by is not None:
                # reported where the client is made per call: each caller is a place to share one instead
                for caller in _callers(program, func, made_by):
                    spot = (caller.site.path, caller.site.line)
                    if spot in reported or not _per_call(program, caller, ctx):
                        continue
                    reported.add(spot)
                    ctx.report(engine.CLIENT_PER_REQUEST, caller.site,
                               f"{made_by}() builds a new Redis client each time ({ctor.site.where}), and this runs per "
                               "call: every call pays a connection handshake and leaves a pool behind.")
                continue
            if ctor.stored or MAIN_LIKE.match(func.name) or SCRIPT_PATH.search(ctor.site.path):
                continue
            often = [c for c in program.callers(func) if c.in_loop is not None or _handler(program, c)]
            if ctor.in_loop or ctor.handler or ctor.bare or often:
                if where in reported:
                    continue
                reported.add(where)
                why = ("A client built in a loop opens a connection per iteration." if ctor.in_loop else
                       "A bare connection built in a method is one connection per call, with no pool." if ctor.bare else
                       f"A client built inside {func.name}() is a new connection every time it runs"
                       + (f" ({often[0].site.where} calls it per item or per request)." if often else "."))
                ctx.report(engine.CLIENT_PER_REQUEST, ctor.site, why)


def _callers(program: Program, func, made_by: str) -> list:
    if made_by == func.name:
        return program.callers(func)
    return [c for facts in program.files for c in facts.ocalls if c.name == made_by]


def _handler(program: Program, call) -> bool:
    func = program.funcs.get(call.site.func)
    return bool(func and func.handler)


def _per_call(program: Program, call, ctx: Context) -> bool:
    if call.stored or call.test or not call.site.func:
        return False
    func = program.funcs.get(call.site.func)
    if func is None or func.cached or MAIN_LIKE.match(func.name) or ctx.dev_tooling(call.site.path):
        return False
    if func.id in {c.site.func for c in program.factories.get(func.name, [])}:
        return False
    # a call that is itself returned builds a factory of factories
    return not call.site.evidence.lstrip().startswith("return") and not SCRIPT_PATH.search(call.site.path)


def loop_no_pipeline(ctx: Context) -> None:
    """A round trip per iteration: a command in a loop, or a call in a loop to a function that issues one
    (directly or through its callees). One finding per loop, at its first round trip."""
    program = ctx.program
    first: dict[tuple[str, int], tuple[Site, str]] = {}

    def offer(site: Site, loop: int, message: str) -> None:
        key = (site.path, loop)
        if key not in first or (site.line, site.col) < (first[key][0].line, first[key][0].col):
            first[key] = (site, message)

    for call in program.redis_calls:
        if call.in_loop is None or call.pipelined or call.command in LOOP_EXEMPT or call.splat or call.test:
            continue
        if call.counts_in_loop:
            offer(call.site, call.in_loop, f"{call.command.upper()} issued once per loop iteration (loop at line "
                  f"{call.in_loop}): each one waits a network round trip.")
    for facts in program.files:
        for call in facts.ocalls:
            if call.in_loop is None or call.pipelined or call.test:
                continue
            target = program.resolve(call) or program.helper_by_name(call)
            if target is None or target.id not in program.issues or target.id == call.site.func:
                continue
            offer(call.site, call.in_loop, f"{call.name}() issues {program.issues[target.id].upper()} "
                  f"(at {program.issued_at.get(target.id, f'{target.path}:{target.line}')}) and is called once per loop "
                  f"iteration (loop at line {call.in_loop}): N items cost N round trips.")
    for (path, loop), (site, message) in sorted(first.items(), key=lambda item: (item[0][0], item[1][0].line)):
        header = ctx.line(path, loop)
        if ctx.dev_tooling(path) or _DEMO_PATH.search(path) or _OVER_ARGV.search(header) or (
                re.search(r"\brange\s+args\s*\{", header) and _cobra(ctx, path)):
            continue  # for name in sys.argv / range args: the few items someone typed on a command line
        ctx.report(engine.LOOP_NO_PIPELINE, site, message)


_KEYSPACE_WALK = re.compile(r"(?i)^(keys|scan|scan_?iter|scanStream|scanIterator|hscan|sscan|zscan)$")


def del_on_collection(ctx: Context) -> None:
    program = ctx.program
    # functions that gather keys from the keyspace: a batch they DEL has no bound
    walking = {where.func for call, _, where in program.uses if call.command in ("keys", "scan")}
    walking |= {c.site.func for facts in program.files for c in facts.ocalls if _KEYSPACE_WALK.match(c.name)}
    for _ in range(2):  # keys = self._all_keys(): the helper walks, its caller holds the batch
        walking |= {c.site.func for facts in program.files for c in facts.ocalls
                    if (target := program.resolve(c)) is not None and target.id in walking}
    for call, key, where in _uses(ctx):
        if call.command != "del":
            continue
        if call.splat or call.list_arg:
            if where.func in walking:
                ctx.report(engine.DEL_COLLECTION, where, "DEL of every key a keyspace walk found, in one call: they are "
                           "all freed synchronously, with no bound on how many (UNLINK them, in batches).")
            continue
        family = ctx.program.family(key)
        if family is not None and family.can_grow:
            ctx.report(engine.DEL_COLLECTION, where,
                       f"DEL on `{family.display}`, a {'/'.join(sorted(family.types & {'hash', 'list', 'set', 'zset', 'stream'}))} "
                       f"that grows with no bound (written at {family.writers[0] if family.writers else 'n/a'}): freeing a big one "
                       "blocks the server.")


def unbounded_read(ctx: Context) -> None:
    for call, key, where in _uses(ctx):
        if not call.whole:
            continue
        family = ctx.program.family(key)
        name = call.command.upper() + (" 0 -1" if call.command in ("lrange", "zrange", "zrevrange") else "")
        if family is not None and family.bound:
            continue  # fixed fields, or trimmed
        if family is not None and family.managed:
            continue  # members are removed as they go (a registry of live workers, locks held)
        named = _key_text(ctx.program, call, key)
        if keymod.REGISTRY_WORDS.search(named):
            continue
        if family is not None and family.writers:
            ctx.report(engine.UNBOUNDED_READ, where,
                       f"{name} reads all of `{family.display}` in one reply, and nothing bounds it (written at "
                       f"{family.writers[0]}, no trim, fields not fixed).")
        elif keymod.GROWING_WORDS.search(key.display or "") or _GROWING_NAME.search(named):
            # no writer here to tell; the key's name says it grows (a queue, a log, members, a timeline)
            ctx.report(engine.UNBOUNDED_READ, where, f"{name} reads the whole collection in one reply, and its name says it "
                       "grows; no writer in this repository shows a bound.", severity=Severity.LOW)


_GROWING_NAME = re.compile(keymod.GROWING_WORDS.pattern.replace("|all|list|set|", "|"))


def _key_text(program: Program, call, key) -> str:
    """What names the key: its pattern, or the argument as written, and the function that reads it."""
    func = program.funcs[call.site.func].name if call.site.func in program.funcs else ""
    written = re.sub(r"(?i)\b%s\b|opsFor\w+|\b[A-Z]\w*<[^=]*?>" % re.escape(call.method or call.command), " ",
                     call.site.evidence)
    return " ".join(filter(None, (key.display, key.pattern, written, func)))


# examples, benchmarks and fake-data generators: a loop there is the point of the program, not a cost in production
_DEMO_PATH = re.compile(r"(^|/)(examples?|demos?|docs?|benchmarks?|benches|bench|[\w-]*fake[\w-]*|load_?tests?)(/|$)")
_OVER_ARGV = re.compile(r"\brange\s+os\.Args(\[\d*:\])?\s*\{|\bin\s+sys\.argv\b|\bprocess\.argv\b")
def _cobra(ctx: Context, path: str) -> bool:
    """A Go command-line command, whose `args` are the words typed after it."""
    return any("spf13/cobra" in ctx.line(path, n) or "urfave/cli" in ctx.line(path, n) for n in range(1, 61))


_EXAMPLE_PATH = re.compile(r"(^|/)(examples?|demos?|docs?|scripts?|bin|tools|benchmarks?|bench)(/|$)")


def socket_timeouts(ctx: Context) -> None:
    for facts in ctx.program.files:
        for ctor in facts.ctors:
            if ctor.test or facts.test or ctx.dev_tooling(ctor.site.path) or _EXAMPLE_PATH.search(ctor.site.path):
                continue  # an example or a one-off script exits before a stall matters
            if ctor.url_arg is not None and ctor.timeout is None:
                continue
            if ctor.url_arg is not None:
                if ctx.config_timeouts:
                    continue
                ctx.report(engine.NO_SOCKET_TIMEOUT, ctor.site,
                           f"from_url({ctor.url_arg}): whether the URL carries socket_timeout is unknown (no Redis "
                           "timeout in this repository's settings, .env examples, compose files or Helm values).",
                           severity=Severity.LOW)
            elif ctor.timeout is False:
                ctx.report(engine.NO_SOCKET_TIMEOUT, ctor.site, engine.NO_SOCKET_TIMEOUT.why)


def cluster_multikey(ctx: Context) -> None:
    if not ctx.program.uses_cluster:
        return
    for call, key, where in _uses(ctx):
        if call.command not in MULTI_KEY or call.pipelined or call.hash_tag:
            continue
        many = call.splat or call.list_arg or (call.nargs >= 2 and call.command not in ("mset", "msetnx")) or \
            (call.command in ("mset", "msetnx") and call.nargs >= 1)
        if call.command in TWO_KEY:
            many = call.nargs >= 2
        if not many:
            continue
        ctx.report(engine.CLUSTER_CROSSSLOT, where,
                   f"{call.command.upper()} over {'a list of keys' if call.list_arg or call.splat else 'several keys'} with no "
                   "hash tag, on a program that uses a Cluster client: keys in different slots fail with CROSSSLOT.")


_STANDALONE = re.compile(r"__name__\s*==\s*['\"]__main__['\"]|require\.main\s*===?\s*module|^package main\b", re.M)
_SEED_NAME = re.compile(r"(?i)(^|/)[^/]*(seed|fixture|reset_?db|wipe|populate)[^/]*$")


def flush(ctx: Context) -> None:
    program = ctx.program
    for call, key, where in _uses(ctx):
        if call.command not in ("flushall", "flushdb") or ctx.dev_tooling(where.path):
            continue
        if SCRIPT_PATH.search(where.path) or _SEED_NAME.search(where.path) or _standalone(ctx, where.path):
            continue  # an operator's script (seed, recovery, reset), run by hand
        func = program.funcs.get(where.func)
        private = func is not None and (func.name.startswith("_") or where.path.endswith(".go") and func.name[:1].islower())
        if private and all(c.test or engine.TEST_PATH.search(c.site.path)
                           for facts in program.files for c in facts.ocalls if c.name == func.name):
            continue  # a private helper only the tests call
        ctx.report(engine.FLUSH_IN_CODE, where, f"{call.command.upper()} in application code erases the whole database.")


def _standalone(ctx: Context, path: str) -> bool:
    """A script with a main guard that no other module imports."""
    if not _STANDALONE.search(_read(ctx.root / path)[:200_000]):
        return False
    stem = Path(path).stem
    return not any(stem == imp.split(".")[-1].split("/")[-1] for f in ctx.program.files if f.path != path for imp in f.imports)


def xadd(ctx: Context) -> None:
    # an XTRIM on streams the code finds at run time (a janitor walking every stream) bounds them all
    janitor = any(call.command == "xtrim" and ctx.program.family(key) is None for call, key, _ in _uses(ctx))
    for call, key, where in _uses(ctx):
        if call.command != "xadd" or call.trims or janitor:
            continue
        family = ctx.program.family(key)
        if family is not None and family.trims:
            continue
        ctx.report(engine.XADD_NO_MAXLEN, where, "XADD with no MAXLEN/MINID" + (
            f", and no XTRIM anywhere for `{family.display}`" if family is not None else "") + ": the stream grows until memory runs out.")


def pickle_values(ctx: Context) -> None:
    """pickle.loads in a file that talks to Redis, or in a serializer module a Redis-using module imports."""
    from ask_redis.review.python import PICKLE_VALUES

    program = ctx.program
    redis_files = {c.site.path for c in program.redis_calls}
    imported_by_redis: set[str] = set()
    for facts in program.files:
        if facts.path in redis_files or re.search(r"(?i)redis", facts.path):
            imported_by_redis.update(i.split(".")[-1] for i in facts.imports)
    for facts in program.files:
        if facts.test or not facts.pickles:
            continue
        stem = Path(facts.path).stem
        serializer = bool(redis_files) and (stem in imported_by_redis or re.search(
            r"(?i)serial|codec|coder|pickle|encod|marshal|compat|session|cache|job|task|queue|result", facts.path))
        if facts.path not in redis_files and not serializer:
            continue
        if ctx.dev_tooling(facts.path) or SCRIPT_PATH.search(facts.path):
            continue
        for site, name in facts.pickles:
            ctx.report(PICKLE_VALUES, site, f"{name} on a value kept in Redis" + (
                "" if facts.path in redis_files else " (this serializer is used by the Redis cache code)") + ".")


RULES = (keys_command, no_ttl, client_per_request, loop_no_pipeline, del_on_collection, unbounded_read,
         socket_timeouts, cluster_multikey, flush, xadd, pickle_values)


def run(root: Path, program: Program) -> list[Finding]:
    ctx = Context(root, program)
    for rule in RULES:
        rule(ctx)
    return ctx.findings

"""The engine's shortcuts give the answers of the long way round: enclosing functions and loops from the
file's list of scopes against the syntax tree's own ancestors, and Lua scripts recognised by their text
(or not parsed at all) against the full walk of every redis.call."""

from __future__ import annotations

from pathlib import Path

import pytest
from ast_grep_py import SgRoot

from ask_redis.review import lua
from ask_redis.review.engine import Prefetched, Scopes, adapters, known_kinds

CORPUS = Path(__file__).parent / "review_corpus"

NESTED = {
    ".py": "def outer(ids):\n    def inner():\n        return [r.get(k) for k in ids]\n"
           "    for k in ids:\n        f = lambda x: r.set(x, 1)\n        r.get(k)\n    r.get('a')\n",
    ".js": "async function f(ids) {\n  for (const k of ids) { await redis.get(k); }\n"
           "  ids.forEach((k) => { redis.del(k); });\n  const g = function () { return redis.get('x'); };\n}\n",
    ".go": "package p\nfunc F(ids []string) {\n\tfor _, k := range ids {\n\t\tfunc() { rdb.Get(ctx, k) }()\n\t}\n"
           "\trdb.Get(ctx, \"a\")\n}\n",
    ".java": "class C {\n  void f(java.util.List<String> ks) {\n    for (String k : ks) { jedis.del(k); }\n"
             "    ks.forEach(k -> jedis.unlink(k));\n  }\n}\n",
}


def sources():
    by_ext = adapters()
    found = [(name, text) for name, text in NESTED.items()]
    found += [(p.suffix, p.read_text()) for p in sorted(CORPUS.rglob("*")) if p.suffix in by_ext]
    return [(ext, text) for ext, text in found if ext in by_ext]


def test_enclosing_scopes_are_the_syntax_ancestors():
    by_ext = adapters()
    checked = 0
    for ext, text in sources():
        adapter = by_ext[ext]
        root = SgRoot(text, adapter.lang).root()
        kinds = known_kinds(adapter.lang, adapter.function_kinds + adapter.loop_kinds)
        found = Prefetched(root, kinds)
        scopes = Scopes([(n, k) for n, k in found.in_order], adapter.function_kinds)
        # Calls, and the scopes themselves: a scope is not its own ancestor.
        for node in [*root.find_all(any=[{"kind": k} for k in adapter.call_kinds]), *(n for n, _ in found.in_order)]:
            want = [a.range().start.index for a in node.ancestors() if a.kind() in kinds]
            got = [scopes.starts[i] for i in scopes.enclosing(node)]
            assert got == want, (ext, node.text())
            checked += 1
    assert checked > 200


def test_kinds_a_grammar_lacks_are_dropped():
    assert known_kinds("javascript", ("call_expression", "no_such_kind")) == ("call_expression",)


SCRIPTS = [
    "return redis.call('GET', KEYS[1])",
    "redis.call('SET', KEYS[1], ARGV[1])\nreturn redis.call('INCRBY', KEYS[2], ARGV[2])",
    "return redis.call('GET', ARGV[1])",
    "return redis.call('GET', 'user:' .. ARGV[1])",
    "return redis.call('GET', KEYS[1] .. ':x')",
    "local k = ARGV[1]\nreturn redis.call('GET', k)",
    "return redis.call('keys', KEYS[1])",
    "return redis.call('KEYS', 'user:*')",
    "return redis.pcall(\"Keys\", KEYS[1])",
    "return redis.call ('GET', ARGV[1])",
    "return redis . call('DEL', ARGV[1])",
    "-- redis.call('GET', ARGV[1]) in a comment\nreturn redis.call('GET', KEYS[1])",
    "while true do redis.call('LPOP', KEYS[1]) end",
    "repeat local v = redis.call('LPOP', KEYS[1]) until false",
    "for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', m) end",
    "for i = 1, 10 do redis.call('INCR', KEYS[1]) end",
    "return redis.call('GET', KEYS[1]:lower())",
    "return redis.call('HGET', KEYS[1], 'f') or redis.call('GET', KEYS[2])",
    "\n".join(f"redis.call('INCR', KEYS[{i}])" for i in range(1, 120)),
    "\n".join(f"redis.call('INCR', ARGV[{i}])" for i in range(1, 120)),
]


def full_walk(source: str, monkeypatch) -> list[tuple[str, int, str | None]]:
    """The script's hits with both shortcuts off: parse always, walk the arguments of every call."""
    with monkeypatch.context() as patch:
        patch.setattr(lua, "_nothing_to_parse_for", lambda source: False)
        patch.setattr(lua, "_KEYED_BY_KEYS", _NeverMatches())
        return [(h.rule.id, h.line, h.message) for h in lua.analyze(source)]


class _NeverMatches:
    def match(self, *args):
        return None


@pytest.mark.parametrize("source", SCRIPTS)
def test_lua_shortcuts_find_what_the_full_walk_finds(source, monkeypatch):
    fast = [(h.rule.id, h.line, h.message) for h in lua.analyze(source)]
    assert fast == full_walk(source, monkeypatch)


def test_lua_shortcut_cases_do_find_things():
    """The comparison above is not between two empty lists."""
    ids = lambda source: [h.rule.id for h in lua.analyze(source)]
    assert ids("return redis.call('GET', ARGV[1])") == ["lua-key-not-from-keys"]
    assert ids("return redis.call('keys', KEYS[1])") == ["lua-keys-command"]
    assert ids("return redis.call('GET', KEYS[1] .. ':x')") == ["lua-key-not-from-keys"]
    assert ids("while true do redis.call('LPOP', KEYS[1]) end") == ["lua-unbounded-loop"]
    assert ids("\n".join(f"redis.call('INCR', KEYS[{i}])" for i in range(1, 120))) == ["lua-script-too-long"]
    assert ids("redis.call('SET', KEYS[1], ARGV[1])") == []


def test_a_script_on_keys_only_is_not_parsed(monkeypatch):
    def no_parse(*args):
        raise AssertionError("parsed")

    monkeypatch.setattr(lua, "SgRoot", no_parse)
    assert lua.analyze("redis.call('SET', KEYS[1], ARGV[1])\nreturn redis.call('GET', KEYS[2])") == []
    with pytest.raises(AssertionError):
        lua.analyze("return redis.call('GET', ARGV[1])")
    with pytest.raises(AssertionError):  # inline scripts are always parsed: they must be Lua to count
        lua.analyze("return redis.call('GET', KEYS[1])", strict=True)

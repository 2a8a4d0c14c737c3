"""The program model on small whole programs: one case for each way real code reaches Redis that a
per-line or per-file rule misses, and each whole-program fact that decides a finding."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from ask_redis.review.engine import scan
from ask_redis.review.run import main, run_review
from tests.fixtures_redis import REDIS_SERVER, start_server


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def found(root: Path) -> set[tuple[str, str, int]]:
    return {(f.rule_id, f.path, f.line) for f in scan(root).findings}


def rules_at(root: Path, path: str) -> set[str]:
    return {rule for rule, p, _ in found(root) if p == path}


# --- Redis reached through names -------------------------------------------------------------


def test_lua_alias_of_redis_call_is_followed(tmp_path):
    root = tree(tmp_path, {"scripts/clean.lua": """
        local rcall = redis.call
        local keys = rcall("KEYS", ARGV[1])
        return #keys
    """, "scripts/includes/helper.lua": """
        local function drop(k)
          rcall("DEL", ARGV[1] .. k)
        end
    """})
    hits = found(root)
    assert ("lua-keys-command", "scripts/clean.lua", 2) in hits
    assert ("lua-key-not-from-keys", "scripts/includes/helper.lua", 2) in hits
    report = run_review(root)
    assert next(c for c in report.checklist if c.number == 7).status == "fail"


def test_factory_called_per_request_is_a_client_per_call_at_each_caller(tmp_path):
    root = tree(tmp_path, {"app/redis_conn.py": """
        import redis

        def get_client():
            return redis.Redis(host="cache", socket_timeout=2)
    """, "app/views.py": """
        from app.redis_conn import get_client

        def show(request, uid):
            client = get_client()
            return client.get(f"user:profile:{uid}")

        def save(request, uid):
            get_client().set(f"user:profile:{uid}", request.body, ex=60)
    """, "app/main.py": """
        from app.redis_conn import get_client

        CLIENT = get_client()
    """})
    hits = {(r, p, line) for r, p, line in found(root) if r == "client-per-request"}
    assert hits == {("client-per-request", "app/views.py", 4), ("client-per-request", "app/views.py", 8)}


def test_loop_over_shard_connections_hides_keys(tmp_path):
    root = tree(tmp_path, {"shards.py": """
        import redis

        SHARDS = [redis.Redis(port=p, socket_timeout=1) for p in (7000, 7001)]

        def find(pattern):
            found = []
            for connection in SHARDS:
                found += connection.keys(pattern)
            return found
    """})
    assert "keys-command" in rules_at(root, "shards.py")


def test_wrapper_method_in_a_comprehension_is_a_loop_at_the_caller(tmp_path):
    root = tree(tmp_path, {"store.py": """
        import redis

        class Store:
            def __init__(self):
                self.r = redis.Redis(socket_timeout=1)

            def has(self, k):
                return self.r.exists(k)

            def present(self, ids):
                return [i for i in ids if self.has(f"item:{i}")]
    """})
    assert ("loop-no-pipeline", "store.py", 11) in found(root)


def test_spring_data_operations_map_to_commands(tmp_path):
    root = tree(tmp_path, {"src/main/java/app/SessionStore.java": """
        package app;
        import org.springframework.data.redis.core.*;
        import java.util.Map;

        public class SessionStore {
            private final StringRedisTemplate template;
            private final HashOperations<String, String, String> hashOps;

            public SessionStore(StringRedisTemplate template) {
                this.template = template;
                this.hashOps = template.opsForHash();
            }

            public void save(String id, String value) {
                template.opsForValue().set("session:" + id, value);
            }

            public void follow(String user, String other) {
                hashOps.put("followers:" + user, other, "1");
            }

            public Map<String, String> followers(String user) {
                return hashOps.entries("followers:" + user);
            }
        }
    """})
    rules = rules_at(root, "src/main/java/app/SessionStore.java")
    assert "cache-set-no-ttl" in rules  # session:* written with no timeout anywhere
    assert "unbounded-read" in rules  # HGETALL of a hash that grows with followers


# --- whole-program facts decide ------------------------------------------------------------------


def test_del_is_judged_by_the_family_not_by_an_argument_name(tmp_path):
    root = tree(tmp_path, {"tags.py": """
        import redis
        r = redis.Redis(socket_timeout=1)

        def tag(key, member):
            r.sadd(f"tags:{key}", member)

        def forget(key):
            r.delete(f"token:{key}")

        def drop_tags(key):
            r.delete(f"tags:{key}")
    """})
    dels = {line for rule, _, line in found(root) if rule == "del-on-collection"}
    assert dels == {11}


def test_hgetall_on_fixed_field_hash_and_lrange_on_trimmed_list_pass(tmp_path):
    root = tree(tmp_path, {"profile.py": """
        import redis
        r = redis.Redis(socket_timeout=1)

        def save(uid, name, email):
            r.hset(f"profile:{uid}", mapping={"name": name, "email": email})

        def load(uid):
            return r.hgetall(f"profile:{uid}")

        def push(uid, event):
            r.lpush(f"recent:{uid}", event)
            r.ltrim(f"recent:{uid}", 0, 9)

        def recent(uid):
            return r.lrange(f"recent:{uid}", 0, -1)

        def log(uid, event):
            r.rpush(f"audit:{uid}", event)

        def audit(uid):
            return r.lrange(f"audit:{uid}", 0, -1)
    """})
    reads = {line for rule, _, line in found(root) if rule == "unbounded-read"}
    assert reads == {21}


def test_redis_call_in_a_helper_called_in_a_loop(tmp_path):
    root = tree(tmp_path, {"cache.py": """
        import redis
        r = redis.Redis(socket_timeout=1)

        def price_of(sku):
            return r.get(f"price:{sku}")
    """, "cart.py": """
        from cache import price_of

        def total(skus):
            total = 0
            for sku in skus:
                total += float(price_of(sku) or 0)
            return total
    """})
    assert ("loop-no-pipeline", "cart.py", 6) in found(root)


def test_from_url_of_a_setting_is_decided_from_the_repository_configuration(tmp_path):
    code = {"app/cache.py": """
        import redis
        from django.conf import settings

        client = redis.Redis.from_url(settings.REDIS_URL)
    """}
    bare = tree(tmp_path / "bare", code)
    assert "no-socket-timeout" in rules_at(bare, "app/cache.py")
    configured = tree(tmp_path / "configured", {**code, ".env.example": "REDIS_URL=redis://cache:6379/0?socket_timeout=2\n"})
    assert "no-socket-timeout" not in rules_at(configured, "app/cache.py")


def test_pickle_in_the_serializer_module_of_a_redis_cache(tmp_path):
    root = tree(tmp_path, {"cachelib/serializers.py": """
        import pickle

        class PickleSerializer:
            dumps = staticmethod(pickle.dumps)
            loads = staticmethod(pickle.loads)
    """, "cachelib/backend.py": """
        import redis
        from cachelib.serializers import PickleSerializer

        class Cache:
            def __init__(self):
                self.r = redis.Redis(socket_timeout=1)
                self.s = PickleSerializer()

            def get(self, key):
                return self.s.loads(self.r.get(f"cache:{key}"))
    """})
    assert ("pickle-values", "cachelib/serializers.py", 5) in found(root)


def test_flush_script_run_only_by_the_test_runner_is_dev_tooling(tmp_path):
    script = """
        import redis

        def main():
            redis.Redis(socket_timeout=1).flushall()
    """
    run_by_make = tree(tmp_path / "a", {"scripts/reset_redis.py": script,
                                        "Makefile": "test:\n\tpython scripts/reset_redis.py && pytest\n"})
    assert "flush-outside-tests" not in rules_at(run_by_make, "scripts/reset_redis.py")
    # the Makefile naming a file without running it (a code generator's input) proves nothing
    named_only = tree(tmp_path / "b", {"app/admin.py": script, "Makefile": "mocks:\n\tmockgen -source=app/admin.py\n"})
    assert "flush-outside-tests" in rules_at(named_only, "app/admin.py")


def test_multi_key_command_with_a_list_on_a_cluster_client(tmp_path):
    root = tree(tmp_path, {"prices.py": """
        from redis.cluster import RedisCluster
        rc = RedisCluster(host="c", port=7000, socket_timeout=1)

        def prices(skus):
            keys = [f"price:{s}" for s in skus]
            return rc.mget(keys)
    """})
    assert "cluster-multikey-no-hashtag" in rules_at(root, "prices.py")


def test_forwarding_wrappers_are_api_and_their_callers_are_uses(tmp_path):
    root = tree(tmp_path, {"lib/client.py": """
        import redis

        class Client:
            def __init__(self):
                self.raw = redis.Redis(socket_timeout=1)

            def hgetall(self, key):
                return self.raw.hgetall(key)

            def keys(self, pattern):
                return self.raw.keys(pattern)
    """, "app/report.py": """
        from lib.client import Client

        def events(client: Client, uid):
            client.raw.rpush(f"events:{uid}", "x")
            return client.hgetall(f"events:{uid}")

        def purge(client: Client):
            return client.keys("events:*")
    """})
    hits = found(root)
    assert not {h for h in hits if h[1] == "lib/client.py" and h[0] in ("unbounded-read", "keys-command")}
    assert ("keys-command", "app/report.py", 8) in hits


def test_key_families_resolve_helpers_and_constants_across_modules(tmp_path):
    root = tree(tmp_path, {"app/keys.py": """
        SESSION_PREFIX = "shop:session:"

        def session_key(sid):
            return SESSION_PREFIX + sid
    """, "app/auth.py": """
        import redis
        from app.keys import session_key
        r = redis.Redis(socket_timeout=1)

        def login(sid, user):
            r.set(session_key(sid), user)

        def who(sid):
            return r.get(session_key(sid))
    """})
    report = run_review(root)
    family = next(k for k in report.keys if k["family"] == "shop:session:*")
    assert family["ttl"] == "never" and family["writers"] == ["app/auth.py:6"] and family["readers"] == ["app/auth.py:9"]
    assert ("cache-set-no-ttl", "app/auth.py", 6) in found(root)


def test_keys_flag_prints_the_inventory_in_text_and_json(tmp_path, capsys):
    root = tree(tmp_path, {"app.py": """
        import redis
        r = redis.Redis(socket_timeout=1)

        def hit(page):
            r.incr(f"stats:hits:{page}")
            r.expire(f"stats:hits:{page}", 86400)

        def feed(uid, item):
            r.lpush(f"feed:{uid}", item)
            r.ltrim(f"feed:{uid}", 0, 99)
    """})
    assert main([str(root), "--keys"]) == 0
    text = capsys.readouterr().out
    assert "stats:hits:{page}" in text and "ttl always" in text and "trimmed at app.py:10" in text
    assert main([str(root), "--keys", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {row["family"]: row for row in data["keys"]}
    assert rows["stats:hits:*"]["ttl"] == "always" and rows["feed:*"]["bound"] == "trimmed at app.py:10"
    assert rows["feed:*"]["writers"] == ["app.py:9"] and rows["feed:*"]["naming"] == "no service prefix"


def test_checklist_pass_says_what_it_rests_on_and_never_passes_unread_code(tmp_path):
    root = tree(tmp_path, {"app.py": """
        import redis
        r = redis.Redis(socket_timeout=1)

        def cache_user(uid, data):
            r.set(f"shop:user-cache:{uid}", data, ex=300)
    """})
    items = {c.number: c for c in run_review(root).checklist}
    assert items[3].status == "pass" and "Redis calls" in items[3].evidence
    assert items[1].status == "pass" and "1 named families" in items[1].evidence
    empty = tree(tmp_path / "none", {"README.md": "nothing here\n"})
    assert {c.number: c.status for c in run_review(empty).checklist}[3] == "unknown"


# --- the code joined with a live instance ---------------------------------------------------------


@pytest.fixture(scope="module")
def join_server(tmp_path_factory):
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = start_server(tmp_path_factory.mktemp("join"))
    admin = server.admin()
    for i in range(300):
        admin.set(f"session:{i}", "x" * 50)  # written by the code with no TTL, none live either
    for i in range(40):
        admin.set(f"legacy:{i}", "y")  # nothing in the repository writes these
    for i in range(20):
        admin.hset(f"catalog:{i}", mapping={f"f{j}": "z" * 200 for j in range(200)})  # the biggest namespace
    yield server
    server.stop()


def test_code_families_joined_with_live_namespaces(tmp_path, join_server):
    root = tree(tmp_path, {"shop.py": """
        import redis
        r = redis.Redis(socket_timeout=1)

        def login(sid, user):
            r.set(f"session:{sid}", user)

        def index(item, field, value):
            r.hset(f"catalog:{item}", field, value)
    """})
    report = run_review(root, join_server.url())
    join = report.key_join
    by_ns = {n["namespace"]: n for n in join["namespaces"]}
    session = next(n for ns, n in by_ns.items() if ns.startswith("session"))
    assert session["families"][0]["ttl"] == "never" and session["live_ttl_coverage"] == 0.0
    assert session["verdict"] == "no TTL in code or live"
    legacy = next(n for ns, n in by_ns.items() if ns.startswith("legacy"))
    assert legacy["verdict"] == "no writer in this repository" and legacy["namespace"] in join["orphans"]
    biggest = join["biggest"][0]
    assert biggest["namespace"].startswith("catalog") and biggest["writers"] == ["shop.py:8"]


def test_a_tree_with_an_unreadable_file_gets_a_full_report_and_a_note(tmp_path):
    """One file the reviewing process cannot read: it is owned by another user, mode 0600, and the review runs
    as root without the capabilities that override file permissions (setpriv drops them from the bounding set)."""
    import os
    import shutil
    import subprocess
    import sys

    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to make a file the review cannot read")
    root = tree(tmp_path / "repo", {"app.py": """
        import redis
        r = redis.Redis(socket_timeout=1)

        def all_users():
            return r.keys("user:*")
    """, "secret/locked.py": "import redis\nr = redis.Redis()\nr.keys('*')\n"})
    locked = root / "secret" / "locked.py"
    os.chown(locked, 65534, 65534)
    locked.chmod(0o600)
    command = str(Path(sys.executable).with_name("ask-redis"))
    done = subprocess.run([setpriv, "--bounding-set=-dac_override,-dac_read_search", command, "review", str(root),
                           "--format", "json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [(f["rule_id"], f["path"]) for f in report["findings"]] == [("keys-command", "app.py")]
    assert any("secret/locked.py" in note and "Permission denied" in note for note in report["notes"]), report["notes"]


# --- causes found on labelled public code ------------------------------------------------------


def test_attribute_keys_belong_to_their_module(tmp_path):
    # self.key is a growing set in one module and a trimmed list in another: one family each
    root = tree(tmp_path, {"app/seen.py": """
        import redis

        class Seen:
            def __init__(self, key):
                self.server = redis.Redis(socket_timeout=1)
                self.key = key

            def add(self, fingerprint):
                self.server.sadd(self.key, fingerprint)

            def clear(self):
                self.server.delete(self.key)
    """, "app/recent.py": """
        import redis

        class Recent:
            def __init__(self, key):
                self.server = redis.Redis(socket_timeout=1)
                self.key = key

            def push(self, item):
                self.server.lpush(self.key, item)
                self.server.ltrim(self.key, 0, 99)

            def clear(self):
                self.server.delete(self.key)
    """})
    assert "del-on-collection" in rules_at(root, "app/seen.py")
    assert "del-on-collection" not in rules_at(root, "app/recent.py")


def test_a_batch_del_is_judged_by_where_the_keys_came_from(tmp_path):
    root = tree(tmp_path, {"app/purge.py": """
        import redis
        r = redis.Redis(socket_timeout=1)

        def find(pattern):
            return list(r.scan_iter(match=pattern))

        def purge_sessions():
            found = find("session:*")
            r.delete(*found)

        def forget_admins(admin_ids):
            r.delete(*[f"admin:{i}:menu" for i in admin_ids])
    """, "src/Util.java": """
        class Util {
            private RedisTemplate<String, Object> redisTemplate;

            public void del(String key) {
                redisTemplate.delete(key);
            }

            public Set<String> keys(String pattern) {
                return redisTemplate.keys(pattern);
            }

            public void purge() {
                Set<String> collectingKeys = keys("collecting*");
                del(collectingKeys);
            }
        }
    """})
    hits = {(rule, path, line) for rule, path, line in found(root)}
    assert ("del-on-collection", "app/purge.py", 9) in hits
    assert ("del-on-collection", "app/purge.py", 12) not in hits
    assert ("del-on-collection", "src/Util.java", 14) in hits


def test_cache_aside_family_without_ttl_but_not_a_copy_of_config(tmp_path):
    root = tree(tmp_path, {"app/products.py": """
        import json
        import redis
        r = redis.Redis(socket_timeout=1)

        def product(pid, db):
            hit = r.get(f"product:{pid}")
            if hit:
                return json.loads(hit)
            row = db.load(pid)
            r.set(f"product:{pid}", json.dumps(row))
            return row

        def config_value(name, db):
            hit = r.get(f"sys_config:{name}")
            if hit:
                return hit
            value = db.config(name)
            r.set(f"sys_config:{name}", value)
            return value
    """})
    hits = {(rule, line) for rule, path, line in found(root) if path == "app/products.py"}
    assert ("cache-set-no-ttl", 10) in hits
    assert ("cache-set-no-ttl", 18) not in hits


def test_flush_in_seed_scripts_and_test_only_helpers_is_tooling_but_not_in_an_imported_module(tmp_path):
    root = tree(tmp_path, {
        "package.json": '{"scripts": {"start": "node server.js", "seed": "nodemon seed.js"}}',
        "seed.js": "const redis = require('redis');\nconst c = redis.createClient();\nc.flushAll();\n",
        "server.js": "const reset = require('./lib/reset');\napp.get('/clear', async () => reset());\n",
        "lib/client.js": "const redis = require('redis');\nconst client = redis.createClient();\nmodule.exports = client;\n",
        "lib/reset.js": "const client = require('./client');\nmodule.exports = () => client.flushall();\n",
        "store/conn.go": textwrap.dedent("""
            package store

            import "github.com/redis/go-redis/v9"

            type conn struct{ c *redis.Client }

            func (x *conn) flushDb() error { return x.c.FlushDB(ctx).Err() }
        """),
        "store/conn_test.go": "package store\n\nfunc TestX(t *testing.T) { x.flushDb() }\n",
    })
    assert "flush-outside-tests" not in rules_at(root, "seed.js")
    assert "flush-outside-tests" not in rules_at(root, "store/conn.go")
    # lib/reset.js never names Redis: it is found through the client module it imports
    assert "flush-outside-tests" in rules_at(root, "lib/reset.js")


def test_decorator_arguments_do_not_make_a_function_a_test(tmp_path):
    root = tree(tmp_path, {"worker/cli.py": """
        import click
        import redis

        @click.command()
        @click.option("--exit-after", type=int)
        def run_worker(exit_after):
            conn = redis.Redis(host="cache")
            conn.ping()
    """})
    assert "no-socket-timeout" in rules_at(root, "worker/cli.py")


def test_library_calls_that_cost_a_round_trip_count_in_loops(tmp_path):
    root = tree(tmp_path, {"dash/views.py": """
        from redis import Redis
        from rq import Queue
        from rq.job import Job

        def page(queue: Queue, ids):
            return [queue.fetch_job(i) for i in ids]

        def purge(ids, conn: Redis):
            for i in ids:
                Job.fetch(i, connection=conn).delete()
    """})
    hits = {(rule, line) for rule, path, line in found(root) if path == "dash/views.py"}
    assert ("loop-no-pipeline", 6) in hits
    assert ("loop-no-pipeline", 10) in hits


def test_keys_api_method_is_the_librarys_until_its_own_code_calls_it(tmp_path):
    api = """
        import redis

        class Cache:
            def __init__(self):
                self.r = redis.Redis(socket_timeout=1)

            def keys(self, pattern="*"):
                return self.r.keys("cache:" + pattern)
    """
    uncalled = tree(tmp_path / "a", {"cache.py": api})
    assert "keys-command" not in rules_at(uncalled, "cache.py")
    called = tree(tmp_path / "b", {"cache.py": api + """
            def flush(self):
                for key in self.keys():
                    self.r.unlink(key)
    """})
    assert "keys-command" in rules_at(called, "cache.py")


def test_a_janitor_xtrim_bounds_the_streams_it_walks(tmp_path):
    stream = """
        package events

        import "github.com/redis/go-redis/v9"

        func Publish(c *redis.Client, topic string, v map[string]any) error {
            return c.XAdd(ctx, &redis.XAddArgs{Stream: "stream-" + topic, Values: v}).Err()
        }
    """
    alone = tree(tmp_path / "a", {"events/publish.go": stream})
    assert "xadd-no-maxlen" in rules_at(alone, "events/publish.go")
    with_janitor = tree(tmp_path / "b", {"events/publish.go": stream, "events/janitor.go": """
        package events

        import "github.com/redis/go-redis/v9"

        func Trim(c *redis.Client, names []string, minID string) {
            for _, name := range names {
                c.XTrimMinID(ctx, name, minID)
            }
        }
    """})
    assert "xadd-no-maxlen" not in rules_at(with_janitor, "events/publish.go")

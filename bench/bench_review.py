"""`ask-redis review` vs semgrep (the same anti-patterns as rules) and `rg -c redis`, same trees, same run.

    .venv/bin/python bench/bench_review.py [--field /work/field] [--top 10 | --all] [--files 5000]
        [--share 0.1] [--runs 3] [--semgrep PATH] [--json] [--profile TREE]

Trees: the largest repositories under --field that use Redis (by source-file count), and a generated
tree of --files Python/JavaScript/TypeScript/Go/Java files (a --share of them use a Redis client; the
rest is ordinary code), written deterministically into a temp dir.
Each measurement is a fresh subprocess that runs one command and reports its wall time, the CPU time of
all its descendants and their peak RSS: `ru_maxrss` of RUSAGE_CHILDREN (the largest single process) and
the sampled peak of the whole process tree summed (the review forks parse workers, semgrep runs
semgrep-core). Commands:
  review   ask-redis review TREE --format json            (the installed CLI: listing, parsing, model, rules)
  semgrep  semgrep scan --config bench/semgrep/rules.yml --metrics=off --disable-version-check --jobs 2 --json TREE
  rg       rg -c redis TREE                                (the floor: one pass over the bytes)
semgrep is not a dependency: `pip install semgrep` (into any venv) and pass --semgrep if it is not on PATH.
Targets: review >= 4x faster than semgrep (wall) on every tree; review peak memory < 500 MB on the largest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RULES = HERE / "semgrep" / "rules.yml"
SPEED_TARGET = 4.0
MEMORY_TARGET_MB = 500
SOURCE_TYPES = ["-t", "py", "-t", "js", "-t", "ts", "-t", "go", "-t", "java"]

# Runs in a fresh interpreter per measurement, so RUSAGE_CHILDREN holds that one command alone.
MEASURE = r'''
import json, os, resource, subprocess, sys, threading, time
out, cmd = sys.argv[1], sys.argv[2:]
page = os.sysconf("SC_PAGE_SIZE")
peak = 0

def tree_rss(pid):
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * page
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    stack += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            pass
    return total

env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # static review only
start = time.perf_counter()
with open(out, "wb") as sink, open(out + ".err", "wb") as err:
    proc = subprocess.Popen(cmd, stdout=sink, stderr=err, stdin=subprocess.DEVNULL, env=env)
    done = threading.Event()
    def sample():
        global peak
        while not done.wait(0.02):
            peak = max(peak, tree_rss(proc.pid))
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rc = proc.wait()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": u.ru_utime + u.ru_stime, "maxrss_mb": u.ru_maxrss / 1024,
                  "tree_mb": peak / 2**20, "rc": rc}))
'''

# ---------------------------------------------------------------- the generated tree

WORDS = ("cache", "client", "order", "user", "session", "value", "result", "config", "timeout", "retry",
         "queue", "stream", "handler", "request", "payload", "item", "index", "batch", "limit", "price")

# Each language: (module head, Redis functions, ordinary functions). Redis functions mix good use with
# the anti-patterns both tools look for; ordinary functions have branches, loops and locals.
BODIES = {
    "py": (
        "import json\nimport logging\nimport pickle\n\nimport redis\n\nlog = logging.getLogger(__name__)\n"
        "r = redis.Redis(host='localhost', socket_timeout=2)\n\n",
        [
            "def load_{a}_{i}(ids):\n    out = {{}}\n    for k in ids:\n        raw = r.get(f'{a}:{{k}}')\n"
            "        if raw is not None:\n            out[k] = json.loads(raw)\n    return out\n\n",
            "def save_{a}_{i}(k, v):\n    payload = json.dumps(v)\n    r.set(f'{a}:{b}:{{k}}', payload, ex=300)\n"
            "    log.debug('saved %s', k)\n\n",
            "def put_{a}_{i}(k, v):\n    r.set(f'{a}:{{k}}', v)\n    return True\n\n",
            "def all_{a}_{i}(k):\n    data = r.hgetall(f'{a}:{{k}}')\n    return {{x.decode(): y for x, y in data.items()}}\n\n",
            "def purge_{a}_{i}():\n    for key in r.keys('{a}:*'):\n        r.delete(key)\n\n",
            "def emit_{a}_{i}(event):\n    r.xadd('{a}-events', {{'body': json.dumps(event)}})\n\n",
            "def cached_{a}_{i}(k):\n    raw = r.get(k)\n    return pickle.loads(raw) if raw else None\n\n",
            "def bump_{a}_{i}(k, n):\n    script = f\"return redis.call('INCRBY', KEYS[1], {{n}})\"\n"
            "    return r.eval(script, 1, k)\n\n",
            "def connect_{a}_{i}(url):\n    client = redis.from_url(url)\n    return client.ping()\n\n",
        ],
        [
            "def {a}_{i}({a}, {b}=None):\n    if not {a}:\n        return {i}\n    total = 0\n"
            "    for item in {a}:\n        if {b} and item in {b}:\n            continue\n        total += len(str(item))\n"
            "    return total\n\n",
            "class {A}{i}:\n    def __init__(self, {b}):\n        self.{b} = {b}\n        self.items = []\n\n"
            "    def add(self, x):\n        self.items.append((x, self.{b}))\n        return len(self.items)\n\n",
        ],
    ),
    "js": (
        "'use strict';\nconst Redis = require('ioredis');\nconst logger = require('./logger');\n\n"
        "const redis = new Redis({{ host: 'localhost', commandTimeout: 1000 }});\n\n",
        [
            "async function load{A}{i}(ids) {{\n  const out = {{}};\n  for (const k of ids) {{\n"
            "    const raw = await redis.get(`{a}:${{k}}`);\n    if (raw) out[k] = JSON.parse(raw);\n  }}\n  return out;\n}}\n\n",
            "async function save{A}{i}(k, v) {{\n  await redis.set(`{a}:{b}:${{k}}`, JSON.stringify(v), 'EX', 300);\n"
            "  logger.debug('saved', k);\n}}\n\n",
            "async function put{A}{i}(k, v) {{\n  await redis.set(`{a}:${{k}}`, v);\n}}\n\n",
            "async function all{A}{i}(k) {{\n  const rows = await redis.lrange(`{a}:${{k}}`, 0, -1);\n"
            "  return rows.map((x) => JSON.parse(x));\n}}\n\n",
            "async function purge{A}{i}() {{\n  const keys = await redis.keys('{a}:*');\n  if (keys.length) await redis.del(...keys);\n}}\n\n",
            "async function emit{A}{i}(event) {{\n  await redis.xadd('{a}-events', '*', 'body', JSON.stringify(event));\n}}\n\n",
            "async function connect{A}{i}(url) {{\n  const client = new Redis(url);\n  return client.ping();\n}}\n\n",
        ],
        [
            "function {a}{i}({a}, {b}) {{\n  if (!{a}) return {i};\n  let total = 0;\n  for (const item of {a}) {{\n"
            "    if ({b} && {b}.includes(item)) continue;\n    total += String(item).length;\n  }}\n  return total;\n}}\n\n",
            "const {a}Map{i} = ({a}) => {{\n  const out = new Map();\n  {a}.forEach((x, n) => out.set(x.id || n, x));\n  return out;\n}};\n\n",
        ],
    ),
    "ts": (
        "import {{ createClient }} from 'redis';\nimport {{ log }} from './log';\n\n"
        "const client = createClient({{ socket: {{ connectTimeout: 1000 }} }});\n\n",
        [
            "export async function read{A}{i}(k: string): Promise<Record<string, string>> {{\n"
            "  return client.hGetAll(`{a}:${{k}}`);\n}}\n\n",
            "export async function save{A}{i}(k: string, v: string): Promise<void> {{\n"
            "  await client.set(`{a}:${{k}}`, v, {{ EX: 60 }});\n  log('saved', k);\n}}\n\n",
            "export async function put{A}{i}(k: string, v: string): Promise<void> {{\n  await client.set(`{a}:${{k}}`, v);\n}}\n\n",
            "export async function touch{A}{i}(ids: string[]): Promise<void> {{\n  for (const k of ids) {{\n"
            "    await client.expire(`{a}:${{k}}`, 60);\n  }}\n}}\n\n",
        ],
        [
            "export function {a}{i}({a}: string[], {b}: number): number {{\n  let n = 0;\n  for (const s of {a}) {{\n"
            "    if (s.length > {b}) n += 1;\n  }}\n  return n + {i};\n}}\n\n",
            "export interface {A}{i} {{\n  id: string;\n  {b}: number;\n  tags?: string[];\n}}\n\n",
        ],
    ),
    "go": (
        "package svc{n}\n\nimport (\n\t\"context\"\n\t\"encoding/json\"\n\t\"time\"\n\n\t\"github.com/redis/go-redis/v9\"\n)\n\n",
        [
            "func Load{A}{i}(ctx context.Context, rdb *redis.Client, ids []string) (map[string]string, error) {{\n"
            "\tout := make(map[string]string, len(ids))\n\tfor _, k := range ids {{\n\t\tv, err := rdb.Get(ctx, \"{a}:\"+k).Result()\n"
            "\t\tif err != nil && err != redis.Nil {{\n\t\t\treturn nil, err\n\t\t}}\n\t\tout[k] = v\n\t}}\n\treturn out, nil\n}}\n\n",
            "func Save{A}{i}(ctx context.Context, rdb *redis.Client, k string, v any) error {{\n"
            "\tb, err := json.Marshal(v)\n\tif err != nil {{\n\t\treturn err\n\t}}\n"
            "\treturn rdb.Set(ctx, \"{a}:\"+k, b, 5*time.Minute).Err()\n}}\n\n",
            "func Put{A}{i}(ctx context.Context, rdb *redis.Client, k string) error {{\n\treturn rdb.Set(ctx, \"{a}:\"+k, 1, 0).Err()\n}}\n\n",
            "func Members{A}{i}(ctx context.Context, rdb *redis.Client, k string) []string {{\n"
            "\treturn rdb.SMembers(ctx, \"{a}:\"+k).Val()\n}}\n\n",
            "func Emit{A}{i}(ctx context.Context, rdb *redis.Client, body string) error {{\n"
            "\treturn rdb.XAdd(ctx, &redis.XAddArgs{{Stream: \"{a}-events\", Values: map[string]any{{\"body\": body}}}}).Err()\n}}\n\n",
            "func Connect{A}{i}(ctx context.Context, addr string) error {{\n"
            "\trdb := redis.NewClient(&redis.Options{{Addr: addr}})\n\treturn rdb.Ping(ctx).Err()\n}}\n\n",
        ],
        [
            "func {A}{i}({a} []string, {b} int) int {{\n\tn := 0\n\tfor _, s := range {a} {{\n\t\tif len(s) > {b} {{\n"
            "\t\t\tn++\n\t\t}}\n\t}}\n\treturn n + {i}\n}}\n\n",
            "type {A}{i} struct {{\n\tID   string\n\t{A}  int\n\tTags []string\n}}\n\n",
        ],
    ),
    "java": (
        "package com.example.svc{n};\n\nimport java.util.*;\nimport redis.clients.jedis.JedisPooled;\nimport redis.clients.jedis.Jedis;\n\n"
        "public class Service{n} {{\n  private final JedisPooled jedis = new JedisPooled(\"localhost\", 6379);\n\n",
        [
            "  public Map<String, String> load{A}{i}(List<String> ids) {{\n    Map<String, String> out = new HashMap<>();\n"
            "    for (String k : ids) {{\n      String v = jedis.get(\"{a}:\" + k);\n      if (v != null) out.put(k, v);\n    }}\n"
            "    return out;\n  }}\n\n",
            "  public void save{A}{i}(String k, String v) {{\n    jedis.setex(\"{a}:\" + k, 300, v);\n  }}\n\n",
            "  public void put{A}{i}(String k, String v) {{\n    jedis.set(\"{a}:\" + k, v);\n  }}\n\n",
            "  public Map<String, String> all{A}{i}(String k) {{\n    return jedis.hgetAll(\"{a}:\" + k);\n  }}\n\n",
            "  public void purge{A}{i}() {{\n    for (String key : jedis.keys(\"{a}:*\")) {{\n      jedis.del(key);\n    }}\n  }}\n\n",
            "  public String ping{A}{i}(String host) {{\n    Jedis j = new Jedis(host, 6379);\n    return j.ping();\n  }}\n\n",
        ],
        [
            "  public int {a}{i}(List<String> {a}, int {b}) {{\n    int n = 0;\n    for (String s : {a}) {{\n"
            "      if (s.length() > {b}) n++;\n    }}\n    return n + {i};\n  }}\n\n",
            "  private static String {a}Key{i}(String {b}) {{\n    return \"{a}-\" + {b}.trim().toLowerCase();\n  }}\n\n",
        ],
    ),
}
PLAIN_HEADS = {
    "py": "import os\nimport logging\n\nlog = logging.getLogger(__name__)\n\n",
    "js": "'use strict';\nconst path = require('path');\n\n",
    "ts": "import * as fs from 'fs';\n\n",
    "go": "package svc{n}\n\nimport \"strings\"\n\nvar _ = strings.TrimSpace\n\n",
    "java": "package com.example.svc{n};\n\nimport java.util.*;\n\npublic class Util{n} {{\n",
}


def generate(root: Path, count: int, redis_share: float, seed: int = 11) -> int:
    """Write `count` files of 40-200 lines under `root`; returns how many use Redis."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    (root / ".gitignore").write_text("node_modules/\ndist/\n")
    languages = list(BODIES)
    using = 0
    for n in range(count):
        ext = languages[n % len(languages)]
        head, redis_bodies, plain = BODIES[ext]
        uses_redis = rng.random() < redis_share
        if uses_redis:  # a module that uses Redis in about a third of its functions
            bodies, parts = redis_bodies + plain * len(redis_bodies), [head.format(n=n)]
        else:
            bodies, parts = plain, [PLAIN_HEADS[ext].format(n=n)]
        lines, i, target = 0, 0, rng.randint(40, 200)
        while lines < target:
            a, b = rng.sample(WORDS, 2)
            part = rng.choice(bodies).format(a=a, b=b, A=a.capitalize(), i=i, n=n)
            parts.append(part)
            lines += part.count("\n")
            i += 1
        if ext == "java":
            parts.append("}\n")
        directory = root / f"svc{n % 25:02}" / f"pkg{n % 9}"
        directory.mkdir(parents=True, exist_ok=True)
        name = f"Service{n}.java" if ext == "java" else f"file_{n:05}.{ext}"
        if ext == "java" and not uses_redis:
            name = f"Util{n}.java"
        (directory / name).write_text("".join(parts))
        using += uses_redis
    return using


# ---------------------------------------------------------------- tools and trees

def rg_binary() -> str:
    beside = Path(sys.executable).with_name("rg")
    found = str(beside) if beside.exists() else shutil.which("rg")
    if not found:
        raise SystemExit("ripgrep (rg) not found beside the interpreter or on PATH")
    return found


def review_binary() -> str:
    beside = Path(sys.executable).with_name("ask-redis")
    found = str(beside) if beside.exists() else shutil.which("ask-redis")
    if not found:
        raise SystemExit("ask-redis not installed: pip install -e . in this venv")
    return found


def source_files(rg: str, root: Path) -> int:
    done = subprocess.run([rg, "--files", *SOURCE_TYPES, str(root)], capture_output=True, text=True)
    return len(done.stdout.splitlines())


def redis_files(rg: str, root: Path) -> int:
    done = subprocess.run([rg, "-l", "-i", "redis", *SOURCE_TYPES, str(root)], capture_output=True, text=True)
    return len(done.stdout.splitlines())


def field_trees(rg: str, field: Path, top: int | None) -> list[tuple[str, Path]]:
    sized = []
    for repo in sorted(p for p in field.iterdir() if p.is_dir()):
        if redis_files(rg, repo):
            sized.append((source_files(rg, repo), repo))
    sized.sort(key=lambda x: (-x[0], x[1].name))
    return [(repo.name, repo) for _, repo in (sized if top is None else sized[:top])]


def measure(command: list[str], out: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", MEASURE, str(out), *command], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def tool_commands(tool: str, root: Path, semgrep: str) -> list[str]:
    if tool == "rg":
        return [rg_binary(), "-c", "redis", str(root)]
    if tool == "review":
        return [review_binary(), "review", str(root), "--format", "json"]
    return [semgrep, "scan", "--config", str(RULES), "--metrics=off", "--disable-version-check", "--jobs", "2",
            "--json", str(root)]


def outcome(tool: str, out: Path) -> dict:
    """What the tool found, read from its output: findings and files it looked at."""
    text = out.read_text(errors="replace")
    try:
        if tool == "review":
            data = json.loads(text)
            return {"findings": len(data["findings"]), "files": data["files_seen"], "parsed": data["files_analyzed"]}
        if tool == "semgrep":
            data = json.loads(text)
            return {"findings": len(data["results"]), "files": len(data["paths"]["scanned"]),
                    "errors": len(data.get("errors", []))}
    except (ValueError, KeyError) as error:
        err = Path(str(out) + ".err").read_text(errors="replace").strip().splitlines()[-1:]
        raise SystemExit(f"{tool} output unreadable ({error}): {' '.join(err)}")
    return {"findings": sum(int(line.rsplit(":", 1)[1]) for line in text.splitlines() if ":" in line),
            "files": len(text.splitlines())}


def bench_tree(name: str, root: Path, runs: int, semgrep: str, scratch: Path) -> dict:
    rg = rg_binary()
    subprocess.run([rg, "-c", "redis", str(root)], capture_output=True)  # warm the page cache for everyone
    row = {"tree": name, "source_files": source_files(rg, root)}
    samples: dict[str, list[dict]] = {"rg": [], "review": [], "semgrep": []}
    for _ in range(runs):  # interleaved, so a burst of load on the machine hits all three
        for tool in samples:
            out = scratch / f"{tool}.out"
            result = measure(tool_commands(tool, root, semgrep), out)
            if result["rc"] not in (0, 1):
                err = Path(str(out) + ".err").read_text(errors="replace").strip().splitlines()[-1:]
                raise SystemExit(f"{tool} failed on {root} (exit {result['rc']}): {' '.join(err)}")
            result.update(outcome(tool, out))
            samples[tool].append(result)
    for tool, results in samples.items():
        row[tool] = {
            "wall_s": statistics.median(r["wall"] for r in results),
            "cpu_s": statistics.median(r["cpu"] for r in results),
            "maxrss_mb": max(r["maxrss_mb"] for r in results),
            "tree_mb": max(r["tree_mb"] for r in results),
            **{k: v for k, v in results[-1].items() if k not in ("wall", "cpu", "maxrss_mb", "tree_mb", "rc")},
        }
    row["ratio_wall"] = row["semgrep"]["wall_s"] / row["review"]["wall_s"]
    row["ratio_cpu"] = row["semgrep"]["cpu_s"] / row["review"]["cpu_s"]
    row["review_over_rg"] = row["review"]["wall_s"] / row["rg"]["wall_s"]
    return row


def profile(root: Path, top: int = 15) -> str:
    """cProfile of the review on `root`, top functions by cumulative time. A live thread keeps the engine
    from forking workers, so parsing shows up here instead of in processes the profiler cannot see."""
    code = (
        "import cProfile, io, pstats, sys, threading\n"
        "from ask_redis.cli import main\n"
        "stop = threading.Event(); threading.Thread(target=stop.wait, daemon=True).start()\n"
        "profiler = cProfile.Profile()\n"
        "sys.argv = ['ask-redis', 'review', sys.argv[1], '--format', 'json', '-o', '/dev/null']\n"
        "try:\n    profiler.runcall(main)\nexcept SystemExit:\n    pass\n"
        "stop.set(); s = io.StringIO()\n"
        f"pstats.Stats(profiler, stream=s).sort_stats('cumulative').print_stats({top})\n"
        "print(s.getvalue())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    done = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, env=env)
    return done.stdout + done.stderr[-2000:]


def table(rows: list[dict], runs: int) -> str:
    head = (f"{'tree':34} {'src':>5} {'rg':>7} {'review':>8} {'semgrep':>8} {'sg/rev':>6} {'sg/rev':>6} "
            f"{'review MB':>10} {'semgrep MB':>11} {'findings':>9}  {'parsed':>6} {'sg files':>8}")
    sub = (f"{'':34} {'files':>5} {'wall s':>7} {'wall s':>8} {'wall s':>8} {'wall':>6} {'cpu':>6} "
           f"{'max/tree':>10} {'max/tree':>11} {'rev/sg':>9}")
    lines = [f"ask-redis review vs semgrep ({len(load_rule_ids())} rules) vs rg -c redis; median of {runs} run(s), "
             f"peak RSS max over runs; load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
             head, sub]
    for r in rows:
        rv, sg, rg = r["review"], r["semgrep"], r["rg"]
        lines.append(
            f"{r['tree'][:34]:34} {r['source_files']:5} {rg['wall_s']:7.2f} {rv['wall_s']:8.2f} {sg['wall_s']:8.2f} "
            f"{r['ratio_wall']:6.1f} {r['ratio_cpu']:6.1f} {rv['maxrss_mb']:4.0f}/{rv['tree_mb']:<5.0f} "
            f"{sg['maxrss_mb']:5.0f}/{sg['tree_mb']:<5.0f} {rv['findings']:4}/{sg['findings']:<4}  {rv['parsed']:6} {sg['files']:8}")
    return "\n".join(lines)


def summary(rows: list[dict]) -> dict:
    worst = min(rows, key=lambda r: r["ratio_wall"])
    largest = max(rows, key=lambda r: r["source_files"])
    peak = max(rows, key=lambda r: r["review"]["tree_mb"])
    return {
        "min_ratio_wall": worst["ratio_wall"], "min_ratio_tree": worst["tree"],
        "min_ratio_cpu": min(r["ratio_cpu"] for r in rows),
        "speed_target_met": all(r["ratio_wall"] >= SPEED_TARGET for r in rows),
        "trees_below_target": [r["tree"] for r in rows if r["ratio_wall"] < SPEED_TARGET],
        "largest_tree": largest["tree"], "largest_review_maxrss_mb": largest["review"]["maxrss_mb"],
        "largest_review_tree_mb": largest["review"]["tree_mb"],
        "memory_target_met": largest["review"]["tree_mb"] < MEMORY_TARGET_MB,
        "peak_review_tree_mb": peak["review"]["tree_mb"], "peak_review_tree": peak["tree"],
    }


def load_rule_ids() -> list[str]:
    return [line.split(":", 1)[1].strip() for line in RULES.read_text().splitlines() if line.strip().startswith("- id:")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--field", default="/work/field", help="folder of checked-out repositories")
    parser.add_argument("--top", type=int, default=10, help="largest repositories that use Redis (default 10)")
    parser.add_argument("--all", action="store_true", help="every repository under --field that uses Redis")
    parser.add_argument("--files", type=int, default=5000, help="files in the generated tree (0: none)")
    parser.add_argument("--share", type=float, default=0.1, help="share of generated files using Redis")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--semgrep", default=shutil.which("semgrep") or "semgrep", help="semgrep executable")
    parser.add_argument("--json", action="store_true", help="print the rows and summary as JSON")
    parser.add_argument("--profile", metavar="TREE", help="also profile the review on this tree (a path, or 'worst')")
    args = parser.parse_args()
    if not shutil.which(args.semgrep) and not Path(args.semgrep).exists():
        parser.error(f"semgrep not found ({args.semgrep}): pip install semgrep, then pass --semgrep PATH")

    rg = rg_binary()
    trees = []
    field = Path(args.field)
    if field.is_dir() and (args.all or args.top > 0):
        trees = field_trees(rg, field, None if args.all else args.top)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        scratch = Path(tmp)
        if args.files:
            generated = scratch / "generated"
            using = generate(generated, args.files, args.share)
            trees.append((f"generated-{args.files} ({using} use Redis)", generated))
        warm = scratch / "warm"
        warm.mkdir()
        (warm / "w.py").write_text("import redis\nr = redis.Redis()\nr.keys('*')\n")
        for tool in ("review", "semgrep"):  # load each tool's code into the page cache once, untimed
            measure(tool_commands(tool, warm, args.semgrep), scratch / "warm.out")
        for name, root in trees:
            rows.append(bench_tree(name, root, args.runs, args.semgrep, scratch))
            if not args.json:
                print(f"  measured {name}: review {rows[-1]['review']['wall_s']:.2f}s, "
                      f"semgrep {rows[-1]['semgrep']['wall_s']:.2f}s", file=sys.stderr, flush=True)
        result = {"rows": rows, "summary": summary(rows), "runs": args.runs, "rules": len(load_rule_ids()),
                  "load_average": os.getloadavg()[0], "cpus": os.cpu_count()}
        profiled = None
        if args.profile:
            target = args.profile
            if target == "worst":
                worst = result["summary"]["min_ratio_tree"]
                target = str(dict(trees)[worst])
            profiled = profile(Path(target))
    if args.json:
        print(json.dumps(result | ({"profile": profiled} if profiled else {}), indent=2))
        return 0
    s = result["summary"]
    print(table(rows, args.runs))
    print(f"min semgrep/review ratio (wall): {s['min_ratio_wall']:.1f} on {s['min_ratio_tree']} "
          f"(cpu: {s['min_ratio_cpu']:.1f}); target >= {SPEED_TARGET:g} on every tree: "
          f"{'met' if s['speed_target_met'] else 'NOT met on ' + ', '.join(s['trees_below_target'])}")
    print(f"review peak memory on the largest tree ({s['largest_tree']}): {s['largest_review_maxrss_mb']:.0f} MB "
          f"largest process, {s['largest_review_tree_mb']:.0f} MB whole process tree; target < {MEMORY_TARGET_MB} MB: "
          f"{'met' if s['memory_target_met'] else 'NOT met'}; highest on any tree {s['peak_review_tree_mb']:.0f} MB "
          f"({s['peak_review_tree']})")
    print("columns: src files = Python/JS/TS/Go/Java files (rg --files); sg/rev = semgrep time / review time; "
          "MB max/tree = ru_maxrss of the largest process / sampled peak RSS of the whole process tree (forked "
          "workers share pages, so the sum overstates); parsed = files the review parsed; sg files = files semgrep scanned")
    if profiled:
        print(f"\ncProfile of the review on {target} (one process, no workers), top 15 by cumulative time:\n{profiled}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The static engine on real trees: file discovery (ripgrep, .gitignore, vendored dirs), line numbers and
evidence, suppressions, project-wide Cluster detection, and the redis_review tool."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ask_redis.tools import ToolContext, run_tool
from ask_redis.tools.review import RedisReview
from ask_redis.review.findings import all_rules
from ask_redis.review.engine import rg_binary, scan

KEYS_SNIPPET = "import redis\nr = redis.Redis(socket_timeout=2)\n\n\ndef f():\n    return r.keys('user:*')\n"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_ripgrep_is_the_file_walker():
    assert rg_binary() is not None


def test_gitignored_vendored_and_unrelated_files_are_skipped(tmp_path):
    write(tmp_path, {
        ".gitignore": "generated/\n",
        "app/cache.py": KEYS_SNIPPET,
        "generated/cache.py": KEYS_SNIPPET,
        "node_modules/ioredis/index.js": "const redis = new Redis(); redis.keys('*');\n",
        "vendor/github.com/x/y.go": 'package y\nfunc f() { rdb.Keys(ctx, "*") }\n',
        "app/math.py": "def add(a, b):\n    return a + b\n",
        "README.md": "uses redis.keys('*')\n",
    })
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = scan(tmp_path)
    assert [(f.path, f.rule_id) for f in result.findings] == [("app/cache.py", "keys-command")]
    assert result.files_seen == 2  # app/cache.py and app/math.py: the only source files not ignored
    assert result.files_analyzed == 1  # math.py never mentions Redis, so it is not parsed


def test_gitignore_is_honoured_outside_a_git_repository(tmp_path):
    write(tmp_path, {".gitignore": "build_out/\n", "build_out/c.py": KEYS_SNIPPET, "c.py": KEYS_SNIPPET})
    assert [f.path for f in scan(tmp_path).findings] == ["c.py"]


def test_finding_carries_line_column_evidence_fix_and_checklist(tmp_path):
    write(tmp_path, {"svc.py": KEYS_SNIPPET})
    [finding] = scan(tmp_path).findings
    assert (finding.path, finding.line, finding.column) == ("svc.py", 6, 12)
    assert finding.evidence == "return r.keys('user:*')"
    assert "SCAN" in finding.fix
    assert finding.checklist == 7 and finding.serves == "#7 SCAN used instead of KEYS"


def test_a_single_file_can_be_reviewed(tmp_path):
    write(tmp_path, {"one.py": KEYS_SNIPPET, "two.py": KEYS_SNIPPET})
    result = scan(tmp_path / "one.py")
    assert [f.path for f in result.findings] == ["one.py"] and result.files_seen == 1


def test_inline_suppression(tmp_path):
    write(tmp_path, {
        "a.py": KEYS_SNIPPET.replace("r.keys('user:*')", "r.keys('user:*')  # ask-redis: ignore[keys-command]"),
        "b.py": KEYS_SNIPPET.replace("    return", "    # ask-redis: ignore\n    return"),
        "c.py": KEYS_SNIPPET.replace("r.keys('user:*')", "r.keys('user:*')  # ask-redis: ignore[unbounded-read]"),
    })
    assert [f.path for f in scan(tmp_path).findings] == ["c.py"]


def test_cluster_use_anywhere_turns_on_the_hash_tag_check_everywhere(tmp_path):
    reader = "import redis\nr = redis.Redis(socket_timeout=2)\n\n\ndef both(i):\n    return r.mget(f'a:{i}', f'b:{i}')\n"
    write(tmp_path, {"reader.py": reader})
    assert not scan(tmp_path).findings
    write(tmp_path, {"client.py": "from redis.cluster import RedisCluster\nrc = RedisCluster(host='c', socket_timeout=2)\n"})
    result = scan(tmp_path)
    assert result.uses_cluster
    assert [(f.path, f.rule_id) for f in result.findings] == [("reader.py", "cluster-multikey-no-hashtag")]


def test_oversized_files_are_skipped_and_said(tmp_path):
    write(tmp_path, {"bundle.js": "// redis\n" + "var a = 1;\n" * 120_000, "ok.py": KEYS_SNIPPET})
    result = scan(tmp_path)
    assert [f.path for f in result.findings] == ["ok.py"]
    assert result.errors == ["bundle.js: skipped, larger than 1024 KB"]


def test_syntax_errors_do_not_stop_the_review(tmp_path):
    write(tmp_path, {"broken.py": "import redis\nr = redis.Redis(\n def (((\n", "ok.py": KEYS_SNIPPET})
    result = scan(tmp_path)
    assert ("ok.py", "keys-command") in [(f.path, f.rule_id) for f in result.findings]


def test_every_rule_is_complete():
    rules = all_rules()
    assert len(rules) >= 40
    for rule in rules.values():
        assert rule.id and rule.title and rule.why and rule.fix and rule.languages, rule.id
        assert rule.serves, f"{rule.id} serves no checklist item or persona section"


def test_review_tool_lists_candidates_with_paths_from_the_workspace(tmp_path):
    write(tmp_path, {"src/svc.py": KEYS_SNIPPET, "src/other.py": KEYS_SNIPPET.replace("keys('user:*')", "get('user:1')")})
    tool = RedisReview()
    ctx = ToolContext(workspace=tmp_path)
    assert tool.unavailable_reason(ctx) is None
    outcome = run_tool({tool.name: tool}, tool.name, {"path": "src"}, ctx)
    assert not outcome.is_error
    lines = outcome.content.splitlines()
    assert lines[0].startswith("2 source files, 2 mention Redis; findings: 1 high")
    assert "HIGH   src/svc.py:6 [keys-command] return r.keys('user:*')" in lines
    assert any(line.startswith("  keys-command: KEYS used in application code. Fix:") for line in lines)
    high_only = run_tool({tool.name: tool}, tool.name, {"min_severity": "high", "limit": 1}, ctx)
    assert "src/svc.py:6" in high_only.content


def test_review_tool_names_at_most_ten_files_it_could_not_analyse(tmp_path, monkeypatch):
    from ask_redis.review import engine

    write(tmp_path, {f"src/m{n:02d}.py": KEYS_SNIPPET for n in range(30)})
    monkeypatch.setattr(engine, "MAX_FILE_BYTES", 10)  # every file is "too big"
    monkeypatch.setattr(engine, "PARALLEL_FROM", 1000)
    tool = RedisReview()
    outcome = run_tool({tool.name: tool}, tool.name, {}, ToolContext(workspace=tmp_path))
    assert not outcome.is_error, outcome.content
    lines = outcome.content.splitlines()
    assert len([line for line in lines if line.startswith("not analysed: src/m")]) == 10
    assert "... 20 more files not analysed" in lines


def test_review_tool_refuses_paths_outside_the_workspace(tmp_path):
    tool = RedisReview()
    ctx = ToolContext(workspace=tmp_path)
    outcome = run_tool({tool.name: tool}, tool.name, {"path": "/etc"}, ctx)
    assert outcome.is_error and "outside the workspace" in outcome.content
    bad = run_tool({tool.name: tool}, tool.name, {"min_severity": "urgent"}, ctx)
    assert bad.is_error and "unknown severity" in bad.content


def test_worker_processes_give_the_same_findings(tmp_path, monkeypatch):
    import threading

    from ask_redis.review import engine

    for i in range(40):
        write(tmp_path, {f"m{i}.py": KEYS_SNIPPET, f"m{i}.lua": "return redis.call('KEYS', '*')\n"})
    sequential = scan(tmp_path)
    monkeypatch.setattr(engine, "PARALLEL_FROM", 10)
    if threading.active_count() > 1:
        return  # forking is refused with other threads alive; the sequential path was compared above
    parallel = scan(tmp_path)
    assert [(f.path, f.line, f.rule_id) for f in parallel.findings] == \
           [(f.path, f.line, f.rule_id) for f in sequential.findings]
    assert len(parallel.findings) == 80 and parallel.facts == sequential.facts

"""The static rules against a labelled corpus: every snippet's first line says which rules it must trip
(`expect: rule-id, ...` or `expect: none`). Precision and recall are over (file, rule) pairs."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ask_redis.review.findings import all_rules
from ask_redis.review.engine import adapters, analyze_file, scan

CORPUS = Path(__file__).parent / "review_corpus"
EXTENSIONS = {".py", ".js", ".ts", ".tsx", ".go", ".java", ".lua"}
LANGUAGE = {".py": "python", ".js": "javascript", ".ts": "typescript", ".tsx": "typescript", ".go": "go",
            ".java": "java", ".lua": "lua"}
MIN_PRECISION, MIN_RECALL = 0.90, 0.85


def snippets() -> list[tuple[Path, str, set[str]]]:
    found = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in EXTENSIONS or not path.is_file():
            continue
        first = path.read_text().splitlines()[0]
        match = re.search(r"expect:\s*(.+)$", first)
        assert match, f"{path}: first line must declare `expect: ...`"
        labels = match.group(1).strip()
        expected = set() if labels == "none" else {r.strip() for r in labels.split(",")}
        found.append((path, path.relative_to(CORPUS).as_posix(), expected))
    return found


def predicted(path: Path, rel: str) -> set[str]:
    """What the engine reports for one snippet on its own (Cluster checks count when the snippet uses Cluster)."""
    return {f.rule_id for f in scan(path).findings}


def test_corpus_is_big_and_covers_every_language_and_static_rule():
    corpus = snippets()
    assert len(corpus) >= 60
    by_language = Counter(LANGUAGE[p.suffix] for p, _, _ in corpus)
    for language in ("python", "javascript", "typescript", "go", "java", "lua"):
        assert by_language[language] >= 3, by_language
    negatives = [rel for _, rel, expected in corpus if not expected]
    assert len(negatives) >= 25
    labelled = set().union(*(e for _, _, e in corpus))
    rules = all_rules()
    assert labelled <= set(rules), f"unknown rule ids in labels: {labelled - set(rules)}"
    static = {r.id for r in rules.values() if not r.live}
    assert static <= labelled, f"static rules with no positive snippet: {sorted(static - labelled)}"


def test_precision_and_recall(capsys):
    tp = fp = fn = 0
    per_rule: dict[str, Counter] = {}
    misses = []
    for path, rel, expected in snippets():
        got = predicted(path, rel)
        for rule in got | expected:
            counts = per_rule.setdefault(rule, Counter())
            if rule in got and rule in expected:
                counts["tp"] += 1
            elif rule in got:
                counts["fp"] += 1
                misses.append(f"false positive {rule} in {rel}")
            else:
                counts["fn"] += 1
                misses.append(f"missed {rule} in {rel}")
        tp += len(got & expected)
        fp += len(got - expected)
        fn += len(expected - got)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    with capsys.disabled():
        print(f"\nreview corpus: {len(snippets())} snippets, {tp} true positives, {fp} false positives, "
              f"{fn} missed; precision {precision:.3f}, recall {recall:.3f}")
        for rule, c in sorted(per_rule.items()):
            print(f"  {rule:32} tp {c['tp']:2}  fp {c['fp']:2}  fn {c['fn']:2}")
        for line in misses:
            print(f"  {line}")
    assert precision >= MIN_PRECISION, misses
    assert recall >= MIN_RECALL, misses


def test_tricky_negatives_stay_quiet():
    """The named traps: dict .keys(), TTL through **kwargs, a pipeline in the loop, KEYS in a test, FLUSHDB in a fixture."""
    traps = {
        "python/dict_keys_neg.py": "keys-command",
        "javascript/object_keys_neg.js": "keys-command",
        "python/set_kwargs_ttl_neg.py": "cache-set-no-ttl",
        "python/loop_pipeline_neg.py": "loop-no-pipeline",
        "go/pipelined_neg.go": "loop-no-pipeline",
        "java/PipelineNeg.java": "loop-no-pipeline",
        "python/tests/test_sessions.py": "keys-command",
        "python/flush_fixture_neg.py": "flush-outside-tests",
        "python/tests/conftest.py": "flush-outside-tests",
        "javascript/before_each_neg.js": "flush-outside-tests",
    }
    for rel, rule in traps.items():
        assert rule not in predicted(CORPUS / rel, rel), rel
    # ... while the same calls outside those shapes are caught.
    assert "keys-command" in predicted(CORPUS / "python/keys_pos.py", "python/keys_pos.py")
    assert "flush-outside-tests" in predicted(CORPUS / "python/flush_pos.py", "python/flush_pos.py")


def test_whole_corpus_scan_counts_files_and_skips_tests(tmp_path):
    result = scan(CORPUS)
    assert result.files_seen == len(snippets())
    assert not [f for f in result.findings if "/tests/" in f"/{f.path}" or "__tests__" in (f.path or "")]
    # Cluster snippets exist, so multi-key checks apply project-wide when scanning the whole tree.
    assert result.uses_cluster

"""`ask-redis review` as a user and a CI job see it: formats, the checklist, --fail-on, bad input, SARIF validity."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ask_redis.review.run import main, run_review
from ask_redis.review.findings import CHECKLIST

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())

APP = {
    "app/cache.py": (
        "import redis\n"
        "r = redis.Redis(socket_timeout=2)\n"
        "\n"
        "def warm(ids):\n"
        "    for i in ids:\n"
        "        r.set(f'cache:item:{i}', 1)\n"
        "    return r.keys('cache:*')\n"
    ),
    "app/queue.lua": "local n = 0\nwhile true do n = n + redis.call('LLEN', KEYS[1]) end\nreturn n\n",
}


@pytest.fixture
def app(tmp_path):
    for name, text in APP.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_text_report_groups_by_severity_then_walks_the_checklist(app, capsys):
    code, out, err = run(capsys, str(app))
    assert code == 0 and err == ""
    assert out.index("HIGH (2)") < out.index("MEDIUM (2)")
    assert "app/cache.py:7  [keys-command]" in out
    assert "      > return r.keys('cache:*')" in out
    assert "app/queue.lua:2  [lua-unbounded-loop]" in out
    assert "checklist: #6 Pipeline used for bulk operations" in out
    checklist = out[out.index("Review checklist"):]
    for number, item in enumerate(CHECKLIST, start=1):
        assert f"{number:>2}. {item}" in checklist
    assert "[   FAIL]  7. SCAN used instead of KEYS" in checklist
    assert "[unknown]  8. Memory limit set (maxmemory): needs --redis-url" in checklist
    assert "Summary: 2 high, 2 medium, 0 low, 0 info" in out


def test_checklist_passes_with_evidence_on_clean_code(tmp_path):
    (tmp_path / "svc.py").write_text(
        "import redis\nr = redis.Redis(socket_timeout=2)\n\n\ndef put(i, v):\n    r.set(f'user:profile:{i}', v, ex=60)\n")
    checklist = {c.number: c for c in run_review(tmp_path).checklist}
    assert checklist[3].status == "pass" and "1 cache families, each with a TTL" in checklist[3].evidence
    assert checklist[7].status == "pass" and checklist[6].status == "pass"
    assert checklist[8].status == "unknown"


def test_fail_on_is_a_ci_gate(app, capsys):
    code, _, err = run(capsys, str(app), "--fail-on", "high")
    assert code == 1 and "2 finding(s) at or above high" in err
    (app / "app/cache.py").write_text("import redis\nr = redis.Redis(socket_timeout=2)\nr.set('cache:x', 1, ex=5)\n")
    (app / "app/queue.lua").unlink()
    assert run(capsys, str(app), "--fail-on", "low")[0] == 0
    (app / "app/cache.py").write_text("import redis\nr = redis.Redis(socket_timeout=2)\nr.set('cache:x', 1)\n")
    assert run(capsys, str(app), "--fail-on", "high")[0] == 0  # a medium finding stays under a high gate
    code, _, err = run(capsys, str(app), "--fail-on", "medium")
    assert code == 1 and "1 finding(s) at or above medium" in err


def test_json_report(app, capsys):
    code, out, _ = run(capsys, str(app), "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["counts"] == {"high": 2, "medium": 2, "low": 0, "info": 0}
    first = data["findings"][0]
    assert {"rule_id", "severity", "where", "evidence", "fix", "serves", "line"} <= set(first)
    assert [c["status"] for c in data["checklist"]].count("unknown") >= 4


def test_markdown_report(app, capsys):
    _, out, _ = run(capsys, str(app), "--format", "markdown")
    assert out.startswith("# Redis review")
    assert "| `app/cache.py:7` | keys-command |" in out
    assert "## Review checklist" in out and "| 7 | SCAN used instead of KEYS | **fail** |" in out


def test_sarif_is_valid_against_the_2_1_0_schema(app, capsys, tmp_path):
    out_file = tmp_path / "review.sarif"
    code, out, _ = run(capsys, str(app), "--format", "sarif", "--output", str(out_file))
    assert code == 0 and out == ""
    log = json.loads(out_file.read_text())
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = [e.message for e in validator.iter_errors(log)]
    assert errors == []
    run_ = log["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    results = run_["results"]
    assert len(results) == 4
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "SRCROOT"
    keys = next(r for r in results if r["ruleId"] == "keys-command")
    assert keys["level"] == "error" and keys["locations"][0]["physicalLocation"]["region"]["startLine"] == 7
    assert run_["originalUriBaseIds"]["SRCROOT"]["uri"].startswith("file://")


def test_the_validator_does_reject_a_broken_log(app, capsys):
    _, out, _ = run(capsys, str(app), "--format", "sarif")
    log = json.loads(out)
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert len(list(validator.iter_errors(log))) >= 2


@pytest.mark.parametrize("argv, message", [
    (["/no/such/dir"], "no such file or directory"),
    (["--format", "xml"], "invalid choice"),
    (["--fail-on", "urgent"], "invalid choice"),
    (["--sample", "0"], "--sample must be at least 1"),
])
def test_bad_input_is_a_usage_error_without_traceback(argv, message, capsys):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_help_exits_zero(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "--fail-on" in out and "--redis-url" in out

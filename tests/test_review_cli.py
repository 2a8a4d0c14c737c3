"""`ask-redis review` as a user and a CI job see it: formats, the checklist, --fail-on, bad input, SARIF validity."""

from __future__ import annotations

import json
import re
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


def test_text_report_is_one_line_per_finding_then_rules_then_the_checklist(app, capsys):
    code, out, err = run(capsys, str(app))
    assert code == 0 and err == ""
    lines = out.splitlines()
    keys = next(i for i, line in enumerate(lines) if line.startswith("app/cache.py:7:"))
    assert re.fullmatch(r"app/cache\.py:7:\d+ high   keys-command KEYS used in application code", lines[keys])
    assert lines[keys + 1] == "    │ return r.keys('cache:*')"  # the evidence, beneath its finding
    assert any(line.startswith("app/queue.lua:2 high   lua-unbounded-loop ") for line in lines)
    assert out.index(" high ") < out.index(" medium ")
    fix = "  fix Batch the loop through a pipeline"
    assert sum(line.startswith(fix) for line in lines) == 1  # the fix once per rule, not once per finding
    checklist = lines[lines.index("checklist") + 1:]
    for number, item in enumerate(CHECKLIST, start=1):
        assert any(f"{number:>2} {item}:" in line for line in checklist)
    assert "  FAIL     7 SCAN used instead of KEYS: 1 finding (keys-command)" in checklist
    assert "  unknown  8 Memory limit set (maxmemory): needs --redis-url" in checklist
    assert re.fullmatch(r"4 findings \(2 high, 2 medium\) in 2 files, \d+ rules, \d+\.\d s", lines[-1])
    assert "\x1b[" not in out  # not a terminal: no colour


def test_text_report_wraps_to_the_width_and_colours_as_asked(app, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    _, out, _ = run(capsys, str(app), "--color", "always")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "\x1b[1;31mhigh" in out and max(len(line) for line in plain.splitlines()) <= 60
    wrapped = [line for line in plain.splitlines() if line.startswith("    ") and not line.startswith("    │")]
    assert wrapped  # continuation lines hang under their first line
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run(capsys, str(app))[1]
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in run(capsys, str(app))[1]
    assert "\x1b[" not in run(capsys, str(app), "--color", "never")[1]


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

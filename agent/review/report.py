"""The review's output formats: terminal text, markdown, JSON, SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ask_redis.redact import redact
from ask_redis.review.findings import Finding, Severity

if TYPE_CHECKING:
    from ask_redis.review.run import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.INFO: "note"}
# GitHub code scanning ranks results by this property (0.0-10.0).
SECURITY_SEVERITY = {Severity.HIGH: "7.5", Severity.MEDIUM: "5.0", Severity.LOW: "3.0", Severity.INFO: "1.0"}
STATUS_MARK = {"pass": "pass", "fail": "FAIL", "unknown": "unknown"}


def render(report: "Report", fmt: str) -> str:
    renderers = {"text": text, "markdown": markdown, "json": to_json, "sarif": sarif}
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(renderers)})")
    return redact(renderers[fmt](report))


def _scope(report: "Report") -> str:
    scope = f"{report.root} ({report.files_seen} source files, {report.files_analyzed} mention Redis)"
    if report.redis_target:
        scope += f" + {report.redis_target}"
    return scope


def _summary(report: "Report") -> str:
    counts = report.counts()
    return ", ".join(f"{n} {label}" for label, n in counts.items())


def text(report: "Report") -> str:
    lines = [f"ask-redis review: {_scope(report)}"]
    if report.live_error:
        lines.append(f"live checks skipped: {report.live_error}")
    for severity in sorted(Severity, reverse=True):
        group = [f for f in report.findings if f.severity == severity]
        if not group:
            continue
        lines.append("")
        lines.append(f"{severity.label.upper()} ({len(group)})")
        for f in group:
            lines.append(f"  {f.where}  [{f.rule_id}] {f.message}")
            if f.evidence:
                lines.append(f"      > {f.evidence}")
            lines.append(f"      fix: {f.fix}")
            if f.serves:
                lines.append(f"      checklist: {f.serves}")
    if not report.findings:
        lines += ["", "No findings."]
    lines += ["", "Review checklist"]
    for c in report.checklist:
        lines.append(f"  [{STATUS_MARK[c.status]:>7}] {c.number:>2}. {c.item}: {c.evidence}")
    for note in report.notes:
        lines.append(f"note: {note}")
    if getattr(report, "rdb_text", None):
        lines += ["", report.rdb_text]
    lines += ["", f"Summary: {_summary(report)}"]
    return "\n".join(lines)


def _md(text_: str) -> str:
    return text_.replace("|", "\\|").replace("\n", " ")


def markdown(report: "Report") -> str:
    lines = ["# Redis review", "", f"Scope: {_md(_scope(report))}", "", f"Summary: {_summary(report)}"]
    if report.live_error:
        lines += ["", f"> Live checks skipped: {_md(report.live_error)}"]
    for severity in sorted(Severity, reverse=True):
        group = [f for f in report.findings if f.severity == severity]
        if not group:
            continue
        lines += ["", f"## {severity.label.capitalize()} ({len(group)})", "",
                  "| Where | Rule | Finding | Evidence | Fix | Checklist |", "|---|---|---|---|---|---|"]
        for f in group:
            evidence = f"`{_md(f.evidence).replace('`', '')}`" if f.evidence else ""
            lines.append(f"| `{_md(f.where)}` | {f.rule_id} | {_md(f.message)} | {evidence} | {_md(f.fix)} | {_md(f.serves)} |")
    if not report.findings:
        lines += ["", "No findings."]
    lines += ["", "## Review checklist", "", "| # | Item | Status | Evidence |", "|---|---|---|---|"]
    for c in report.checklist:
        status = {"pass": "pass", "fail": "**fail**", "unknown": "unknown"}[c.status]
        lines.append(f"| {c.number} | {_md(c.item)} | {status} | {_md(c.evidence)} |")
    if report.notes:
        lines += [""] + [f"- {_md(n)}" for n in report.notes]
    if getattr(report, "rdb_text", None):
        lines += ["", "## RDB dump", "", "~~~text", report.rdb_text.replace("~~~", "~ ~ ~"), "~~~"]
    return "\n".join(lines) + "\n"


def to_json(report: "Report") -> str:
    return json.dumps(report.to_dict(), indent=2)


def _result(f: Finding, index: dict[str, int], root: str) -> dict:
    result: dict = {
        "ruleId": f.rule_id,
        "ruleIndex": index[f.rule_id],
        "level": SARIF_LEVEL[f.severity],
        "message": {"text": f"{f.message} Fix: {f.fix}"},
        "properties": {"severity": f.severity.label, "checklist": f.serves},
    }
    if f.path:
        region: dict = {"startLine": f.line or 1}
        if f.column:
            region["startColumn"] = f.column
        if f.evidence:
            region["snippet"] = {"text": f.evidence}
        result["locations"] = [{"physicalLocation": {
            "artifactLocation": {"uri": f.path, "uriBaseId": "SRCROOT"}, "region": region}}]
        result["partialFingerprints"] = {"primaryLocationLineHash": f"{f.rule_id}:{f.path}:{f.evidence}"}
    else:
        result["locations"] = [{"logicalLocations": [{"name": f.target or "instance", "kind": "resource"}]}]
        if f.evidence:
            result["message"]["text"] += f" Evidence: {f.evidence}."
    return result


def sarif(report: "Report") -> str:
    used = sorted({f.rule_id for f in report.findings} | set(report.rules))
    index = {rule_id: i for i, rule_id in enumerate(used)}
    rules = []
    for rule_id in used:
        rule = report.rules[rule_id]
        rules.append({
            "id": rule.id,
            "name": "".join(w.capitalize() for w in rule.id.split("-")),
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": rule.why},
            "help": {"text": f"{rule.fix} (serves: {rule.serves})",
                     "markdown": f"**Fix:** {rule.fix}\n\n**Serves:** {rule.serves}"},
            "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
            "properties": {"tags": list(dict.fromkeys(["redis", "live" if rule.live else "static", *rule.languages])),
                           "security-severity": SECURITY_SEVERITY[rule.severity],
                           "precision": "medium" if not rule.live else "high"},
        })
    root_uri = Path(report.root).resolve().as_uri()
    if Path(report.root).is_dir() and not root_uri.endswith("/"):
        root_uri += "/"
    elif not Path(report.root).is_dir():
        root_uri = Path(report.root).resolve().parent.as_uri() + "/"
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ask-redis", "informationUri": "https://redis.io/docs/latest/",
                                "semanticVersion": _version(), "rules": rules}},
            "originalUriBaseIds": {"SRCROOT": {"uri": root_uri}},
            "invocations": [{"executionSuccessful": report.live_error is None,
                             **({"toolExecutionNotifications": [{"message": {"text": report.live_error},
                                                                 "level": "error"}]} if report.live_error else {})}],
            "results": [_result(f, index, report.root) for f in report.findings],
            "properties": {"checklist": [vars(c) for c in report.checklist], "notes": report.notes,
                           "redis": report.redis_target},
        }],
    }
    return json.dumps(log, indent=2)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("ask-redis")
    except Exception:
        return "0.0.0"

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


def render(report: "Report", fmt: str, **text_options) -> str:
    """The report in one format; `text_options` (width, color, limit, more, elapsed) shape the terminal text."""
    renderers = {"text": text, "markdown": markdown, "json": to_json, "sarif": sarif}
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(renderers)})")
    return redact(renderers[fmt](report, **text_options) if fmt == "text" else renderers[fmt](report))


def _scope(report: "Report") -> str:
    scope = f"{report.root} ({report.files_seen} source files, {report.files_analyzed} mention Redis)"
    if report.redis_target:
        scope += f" + {report.redis_target}"
    return scope


def _summary(report: "Report") -> str:
    counts = report.counts()
    return ", ".join(f"{n} {label}" for label, n in counts.items())


# -- terminal text, in the manner of ruff and semgrep -------------------------------------------------------

SEVERITY_STYLE = {Severity.HIGH: "1;31", Severity.MEDIUM: "33", Severity.LOW: "36", Severity.INFO: "2"}
VERDICT = {"pass": ("pass", "32"), "fail": ("FAIL", "1;31"), "unknown": ("unknown", "2")}
LOCATION, RULE, DIM = "1", "35", "2"


def use_color(stream, choice: str = "auto") -> bool:
    """--color always|never wins; then NO_COLOR (any value), then FORCE_COLOR, then whether `stream` is a terminal."""
    import os

    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0", "false"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def terminal_width(stream) -> int | None:
    """The width to wrap at: the terminal's when `stream` is one, else $COLUMNS if set, else none (no wrapping)."""
    import os
    import shutil

    try:
        if stream.isatty():
            return shutil.get_terminal_size().columns
    except (AttributeError, ValueError, OSError):
        pass
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 20 else None


def _paint(text_: str, style: str, color: bool) -> str:
    return f"\x1b[{style}m{text_}\x1b[0m" if color and style and text_ else text_


def _wrap(segments: list[tuple[str, str]], width: int | None, indent: int, color: bool) -> list[str]:
    """Words of styled segments filled to `width`, continuation lines indented by `indent` (a hanging indent)."""
    # A padded segment (a column) stays one word, padding and all; the rest is filled word by word.
    words = [(word, style) for part, style in segments
             for word in ([part] if part != part.strip() else redact(part).split())]
    if not width:
        return [_join(words, color)]
    room = max(width - indent, 10)
    lines: list[list[tuple[str, str]]] = [[]]
    used = 0
    for word, style in words:
        while len(word) > room:  # a path or token longer than a line: cut it
            take = (width if not lines[-1] and len(lines) == 1 else room) - used - (1 if lines[-1] else 0)
            if take < 10:
                lines.append([])
                used = indent
                continue
            lines[-1].append((word[:take], style))
            word = word[take:]
            lines.append([])
            used = indent
        if lines[-1] and used + 1 + len(word) > width:
            lines.append([])
            used = indent
        used += len(word) + (1 if lines[-1] else 0)
        lines[-1].append((word, style))
    return [(" " * indent if i else "") + _join(line, color) for i, line in enumerate(lines) if line]


def _join(words: list[tuple[str, str]], color: bool) -> str:
    """Words joined by spaces, each run of one style painted once."""
    runs: list[tuple[list[str], str]] = []
    for word, style in words:
        if runs and runs[-1][1] == style:
            runs[-1][0].append(word)
        else:
            runs.append(([word], style))
    return " ".join(_paint(" ".join(run), style, color) for run, style in runs)


def _location(f: Finding) -> str:
    if f.path and f.line and f.column:
        return f"{f.path}:{f.line}:{f.column}"
    return f.where


def _line_message(f: Finding, rules: dict) -> str:
    """The finding's own message; a rule's title when the message is only the rule's why (said once, below)."""
    rule = rules.get(f.rule_id)
    return rule.title if rule is not None and f.message == rule.why else f.message


def text(report: "Report", *, width: int | None = None, color: bool = False, limit: int | None = None,
         more: str = "-o FILE for the full report", elapsed: float | None = None) -> str:
    """One line per finding (`path:line:col severity rule message`, evidence beneath), the why and fix once per
    rule, the checklist one line per item, and a summary line."""
    rules = report.rules
    lines = _wrap([("ask-redis review", LOCATION), (_scope(report), "")], width, 4, color)
    if report.live_error:
        lines += _wrap([("live checks skipped:", "33"), (report.live_error, "")], width, 4, color)
    shown = report.findings if limit is None else report.findings[:limit]
    if shown:
        lines.append("")
    for f in shown:
        lines += _wrap([(_location(f), LOCATION), (f"{f.severity.label:<6}", SEVERITY_STYLE[f.severity]),
                        (f.rule_id, RULE), (_line_message(f, rules), "")], width, 4, color)
        if f.evidence:
            evidence = " ".join(redact(f.evidence).split())
            room = (width or 10_000) - 6
            lines.append("    " + _paint("│ " + (evidence if len(evidence) <= room else evidence[:room - 1] + "…"), DIM, color))
    if len(shown) < len(report.findings):
        lines += ["", _paint(f"… {len(report.findings) - len(shown)} more: {more}", "1", color)]
    used = list(dict.fromkeys(f.rule_id for f in shown))
    if used:
        lines.append("")
    for rule_id in used:
        rule = rules.get(rule_id)
        group = [f for f in report.findings if f.rule_id == rule_id]
        title = rule.title if rule else ""
        lines += _wrap([(rule_id, RULE), (f"({len(group)})", DIM), (title, "1")], width, 4, color)
        if rule is not None:
            lines += _wrap([("  why", DIM), (rule.why, "")], width, 7, color)
        fix = rule.fix if rule else group[0].fix
        lines += _wrap([("  fix", "32"), (fix, "")], width, 7, color)
    lines += ["", _paint("checklist", "1", color)]
    for c in report.checklist:
        verdict, style = VERDICT[c.status]
        evidence = c.evidence
        if c.status == "fail":
            failing = [f for f in report.findings if f.checklist == c.number]
            ids = ", ".join(dict.fromkeys(f.rule_id for f in failing))
            evidence = f"{len(failing)} finding{'s' * (len(failing) != 1)} ({ids})"
        lines += _wrap([(f"  {verdict:<7}", style), (f"{c.number:>2}", DIM), (f"{c.item}:", ""), (evidence, DIM)],
                       width, 14, color)
    for note in report.notes:
        lines += _wrap([("note:", DIM), (note, "")], width, 4, color)
    if getattr(report, "rdb_text", None):
        lines += ["", report.rdb_text]
    lines += ["", _summary_line(report, elapsed, color)]
    return "\n".join(lines)


def _summary_line(report: "Report", elapsed: float | None, color: bool) -> str:
    counts = {label: n for label, n in report.counts().items() if n}
    total = len(report.findings)
    found = f"{total} finding{'s' * (total != 1)}" + (f" ({', '.join(f'{n} {label}' for label, n in counts.items())})" if counts else "")
    ran = sum(1 for r in report.rules.values() if report.redis_target or not r.live)
    where = f" in {report.files_seen} file{'s' * (report.files_seen != 1)}"
    if report.redis_target:
        where += " and 1 instance"
    timing = f", {elapsed:.1f} s" if elapsed is not None else ""
    style = SEVERITY_STYLE[max(f.severity for f in report.findings)] if report.findings else "32"
    return _paint(found, style, color) + f"{where}, {ran} rules{timing}"


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


def render_keys(report: "Report", fmt: str) -> str:
    """`ask-redis review --keys`: the key inventory (and its join with the live namespaces)."""
    from ask_redis.review import inventory

    if fmt in ("json", "sarif"):
        return redact(json.dumps({"root": report.root, "keys": report.keys, "key_join": report.key_join}, indent=2))
    return redact(f"{_scope(report)}\n\n" + inventory.render(report.keys, report.key_join))

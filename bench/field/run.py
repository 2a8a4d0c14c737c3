"""Score `ask-redis review` against hand-labelled sites in public repositories.

    python bench/field/run.py CHECKOUTS [--fetch] [--only owner+name ...] [--show-unlabelled N] [--seed S]

CHECKOUTS holds one folder per repository, named `owner+name` (as in labels/). With --fetch, a
missing checkout is cloned from GitHub at the pinned commit. Each repository is reviewed with
`ask-redis review --format sarif`; a labelled site counts as found when a result of the same rule
lies within one line of it. Counts are summed over repositories, never averaged:

    precision = found bad sites / (found bad + found fine sites)
    recall    = found bad sites / bad sites

Findings at no labelled site are counted as unlabelled (and a random sample can be printed to
judge by hand).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELS = HERE / "labels"


def load_labels(only: list[str] | None = None) -> list[dict]:
    found = []
    for path in sorted(LABELS.glob("*.json")):
        data = json.loads(path.read_text())
        data["slug"] = path.stem
        if only and data["slug"] not in only:
            continue
        found.append(data)
    return found


def fetch(label: dict, target: Path) -> None:
    url = f"https://github.com/{label['repo']}.git"
    target.mkdir(parents=True)
    for command in (["git", "init", "-q"], ["git", "remote", "add", "origin", url],
                    ["git", "fetch", "-q", "--depth", "1", "origin", label["commit"]], ["git", "checkout", "-q", "FETCH_HEAD"]):
        subprocess.run(command, cwd=target, check=True)


def review(checkout: Path, command: list[str]) -> tuple[list[dict], float]:
    start = time.perf_counter()
    done = subprocess.run(command + ["review", str(checkout), "--format", "sarif"],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"review of {checkout.name} failed (exit {done.returncode}): {done.stderr.strip()[:300]}")
    sarif = json.loads(done.stdout)
    results = []
    for run in sarif.get("runs", []):
        for result in run.get("results", []):
            for location in result.get("locations", []):
                physical = location.get("physicalLocation", {})
                uri = physical.get("artifactLocation", {}).get("uri", "")
                line = physical.get("region", {}).get("startLine")
                if uri and line:
                    results.append({"rule": result.get("ruleId"), "path": uri, "line": line,
                                    "message": result.get("message", {}).get("text", "")})
    return results, elapsed


# Labels name the anti-pattern; a Lua finding of the same pattern counts for it.
SAME_PATTERN = {"lua-keys-command": "keys-command"}


def score(label: dict, results: list[dict]) -> dict:
    for r in results:
        r["rule"] = SAME_PATTERN.get(r["rule"], r["rule"])
    counts = Counter()
    per_rule: dict[str, Counter] = {}
    used = set()
    misses = []
    for site in label["sites"]:
        hits = [i for i, r in enumerate(results) if r["rule"] == site["kind"] and r["path"] == site["path"]
                and abs(r["line"] - site["line"]) <= 1]
        used.update(hits)
        found = bool(hits)
        rule = per_rule.setdefault(site["kind"], Counter())
        if site["verdict"] == "bad":
            key = "tp" if found else "fn"
        else:
            key = "fp" if found else "tn"
        counts[key] += 1
        rule[key] += 1
        if key in ("fn", "fp"):
            misses.append(f"{key} {site['kind']} {label['slug']}/{site['path']}:{site['line']}  ({site['why'][:90]})")
    # a finding near any labelled site of another kind is still a labelled site's neighbour: not unlabelled
    labelled = {(s["path"], s["line"]) for s in label["sites"]}
    unlabelled = [r for i, r in enumerate(results) if i not in used and not any(
        (r["path"], r["line"] + d) in labelled for d in (-1, 0, 1))]
    return {"counts": counts, "per_rule": per_rule, "misses": misses, "unlabelled": unlabelled}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkouts", type=Path)
    parser.add_argument("--fetch", action="store_true", help="clone missing checkouts from GitHub")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--show-unlabelled", type=int, default=0, metavar="N", help="print a random sample of N")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--command", default=None, help="the ask-redis command (default: beside this Python)")
    args = parser.parse_args(argv)
    command = [args.command] if args.command else [str(Path(sys.executable).with_name("ask-redis"))]
    if not Path(command[0]).exists():
        command = [shutil.which("ask-redis") or "ask-redis"]

    total, per_rule = Counter(), {}
    misses, unlabelled = [], []
    print(f"{'repository':44} {'lang':10} {'sites':>5} {'tp':>3} {'fp':>3} {'fn':>3} {'unlab':>5} {'time':>6}")
    for label in load_labels(args.only):
        checkout = args.checkouts / label["slug"]
        if not checkout.is_dir():
            if not args.fetch:
                print(f"{label['slug']:44} missing checkout (use --fetch)")
                continue
            fetch(label, checkout)
        results, elapsed = review(checkout, command)
        scored = score(label, results)
        c = scored["counts"]
        total += c
        for rule, counts in scored["per_rule"].items():
            per_rule.setdefault(rule, Counter()).update(counts)
        misses += scored["misses"]
        unlabelled += [dict(r, repo=label["slug"]) for r in scored["unlabelled"]]
        print(f"{label['slug']:44} {label.get('language', ''):10} {len(label['sites']):5} {c['tp']:3} {c['fp']:3} "
              f"{c['fn']:3} {len(scored['unlabelled']):5} {elapsed:5.2f}s")
    precision = total["tp"] / (total["tp"] + total["fp"]) if total["tp"] + total["fp"] else 0.0
    recall = total["tp"] / (total["tp"] + total["fn"]) if total["tp"] + total["fn"] else 0.0
    sites = sum(total.values())
    print(f"\n{sites} labelled sites ({total['tp'] + total['fn']} bad, {total['fp'] + total['tn']} fine): "
          f"precision {precision:.2f}, recall {recall:.2f}, unlabelled findings {len(unlabelled)}")
    print(f"\n{'rule':32} {'tp':>3} {'fp':>3} {'fn':>3} {'tn':>3}")
    for rule, c in sorted(per_rule.items()):
        print(f"{rule:32} {c['tp']:3} {c['fp']:3} {c['fn']:3} {c['tn']:3}")
    if args.show_misses:
        print("\n" + "\n".join(misses))
    if args.show_unlabelled:
        sample = random.Random(args.seed).sample(unlabelled, min(args.show_unlabelled, len(unlabelled)))
        print(f"\nrandom sample of {len(sample)} unlabelled findings (seed {args.seed}):")
        for r in sample:
            print(f"  {r['repo']}/{r['path']}:{r['line']} {r['rule']}: {r['message'][:140]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

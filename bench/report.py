"""Render bench/results.json as a Markdown table (for docs/bench.md and the README).

    .venv/bin/python bench/report.py [bench/results.json]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import fmt  # noqa: E402


def markdown(doc: dict) -> str:
    m = doc["machine"]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']} with {m['torch_threads']} thread(s)"
             f"{', GPU ' + m['cuda'] if m.get('cuda') else ', no GPU'}; {doc['date']}; "
             f"`{doc['command']}` took {doc['total_seconds']:.0f} s.", "",
             ]
    for u in doc.get("updates", []):
        on = f", on {u['machine']['cpu']}" if u.get("machine") else ""
        lines.append(f"Updated by `{u['command']}` ({u['date']}, {u['total_seconds']:.0f} s{on}): "
                     f"{', '.join(u['benchmarks'])}.")
    lines += ["", "| benchmark | comparison | A | B | A/B | target | met |", "|---|---|---|---|---|---|---|"]
    for name, res in doc["benchmarks"].items():
        if res.get("skipped") or res.get("error"):
            what = f"skipped: {res['skipped']}" if res.get("skipped") else f"error: {res['error']}"
            lines.append(f"| {name} | {what} | | | | | |")
            continue
        for r in res["rows"]:
            ok = {True: "yes", False: "**no**", None: "-"}[r["passed"]]
            a = f"{r['a_label']}: {fmt(r['a'])} {r['unit']}"
            b = f"{r['b_label']}: {fmt(r['b'])} {r['unit']}"
            note = f" ({r['note']})" if r.get("note") else ""
            lines.append(f"| {name} | {r['name']}{note} | {a} | {b} | {fmt(r['ratio'])} | {r['target_text']} | {ok} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "results.json"
    print(markdown(json.loads(path.read_text())), end="")

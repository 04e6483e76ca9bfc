"""What a CTC model's character errors are: each reference/hypothesis pair aligned (Levenshtein, one best
alignment) and its edits counted by kind — a space dropped, inserted or substituted, a letter's case, another
substitution, a deletion, an insertion (docs/handwriting.md: augment.word_gaps).
    python scripts/edit_kinds.py MODEL --manifest data/unipen/valid.jsonl
"""
import argparse
import json
from collections import Counter

from suite.evaluate import evaluate
from suite.inference import load_predictor


def edits(ref: str, hyp: str) -> list[tuple[str, str, str]]:
    """(op, reference char, hypothesis char) of one minimal alignment; op in sub/del/ins."""
    n, m = len(ref), len(hyp)
    d = [[i + j if i * j == 0 else 0 for j in range(m + 1)] for i in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]))
    out, i, j = [], n, m
    while i or j:
        if i and j and d[i][j] == d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            if ref[i - 1] != hyp[j - 1]:
                out.append(("sub", ref[i - 1], hyp[j - 1]))
            i, j = i - 1, j - 1
        elif i and d[i][j] == d[i - 1][j] + 1:
            out.append(("del", ref[i - 1], ""))
            i -= 1
        else:
            out.append(("ins", "", hyp[j - 1]))
            j -= 1
    return out


def kind(op: str, r: str, h: str) -> str:
    if " " in (r, h):
        return {"del": "space dropped", "ins": "space inserted", "sub": "space substituted"}[op]
    if op == "sub":
        return "case" if r.lower() == h.lower() else "other substitution"
    return {"del": "deletion", "ins": "insertion"}[op]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--manifest", required=True)
    args = p.parse_args()
    result = evaluate(load_predictor(args.model), args.manifest, quiet=True)
    pairs = result.pop("_pairs")
    counts = Counter(kind(*e) for ref, hyp in pairs for e in edits(ref, hyp))
    total = sum(counts.values())
    chars = sum(len(ref) for ref, _ in pairs)
    print(json.dumps({"cer": result["cer"], "reference_chars": chars, "reference_spaces":
                      sum(ref.count(" ") for ref, _ in pairs), "edits": total,
                      **{k: counts[k] for k in sorted(counts)}}))


if __name__ == "__main__":
    main()

"""What a CTC model's character errors are: each reference/hypothesis pair aligned (Levenshtein, one best
alignment) and its edits counted by kind — a space dropped, inserted or substituted, a letter's case, another
substitution, a deletion, an insertion (docs/handwriting.md: augment.word_gaps) — and what kind of reference
character each edit hit (lower/upper case letter, digit, punctuation, space). ``--by FIELD`` adds the CER of each
value of a manifest field (e.g. writer), worst first.
    python scripts/edit_kinds.py MODEL --manifest data/unipen/valid.jsonl [--by writer]
"""
import argparse
import json
from collections import Counter

from suite.evaluate import evaluate
from suite.inference import load_predictor
from suite.manifest import read_manifest


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


def char_class(c: str) -> str:
    if c == " ":
        return "space"
    if c.isdigit():
        return "digit"
    if c.isalpha():
        return "upper" if c.isupper() else "lower"
    return "punctuation"


def by_class(pairs: list[tuple[str, str]], aligned: list[list]) -> dict:
    """{class: [edits that hit a reference character of it, its reference characters, their ratio]};
    insertions hit none and are counted in the kinds only."""
    hit = Counter(char_class(r) for pair in aligned for op, r, _ in pair if op != "ins")
    chars = Counter(char_class(c) for ref, _ in pairs for c in ref)
    return {k: [hit[k], n, round(hit[k] / n, 4)] for k, n in sorted(chars.items())}


def by_field(pairs: list[tuple[str, str]], aligned: list[list], ids: list[str], manifest: str, predictor,
             field: str) -> list:
    """[value, CER, reference characters] per value of ``field`` in the manifest, worst first."""
    rows = read_manifest(manifest, predictor.domain.input_key, predictor.domain.target_key)
    value = {r.id: r.extra.get(field) for r in rows}
    errs, chars = Counter(), Counter()
    for sid, (ref, _), pair in zip(ids, pairs, aligned):
        errs[value[sid]] += len(pair)
        chars[value[sid]] += len(ref)
    return sorted(([v, round(errs[v] / max(n, 1), 4), n] for v, n in chars.items()), key=lambda t: (-t[1], -t[2]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--manifest", required=True)
    p.add_argument("--by", metavar="FIELD", help="also the CER of each value of this manifest field")
    args = p.parse_args()
    predictor = load_predictor(args.model)
    result = evaluate(predictor, args.manifest, quiet=True)
    pairs = result.pop("_pairs")
    aligned = [edits(ref, hyp) for ref, hyp in pairs]
    counts = Counter(kind(*e) for pair in aligned for e in pair)
    total = sum(counts.values())
    chars = sum(len(ref) for ref, _ in pairs)
    print(json.dumps({"cer": result["cer"], "reference_chars": chars, "reference_spaces":
                      sum(ref.count(" ") for ref, _ in pairs), "edits": total,
                      **{k: counts[k] for k in sorted(counts)}, "by_character": by_class(pairs, aligned)}))
    if args.by:
        for value, cer, n in by_field(pairs, aligned, result["_ids"], args.manifest, predictor, args.by):
            print(f"{args.by} {value}: cer {cer} over {n} characters")


if __name__ == "__main__":
    main()

"""Word list for lexicon-constrained beam search, built from a manifest's transcripts (training text only).

    python -m handwriting.wordlist data/unipen/train.jsonl --out data/unipen/words.txt
"""
from __future__ import annotations

import argparse
import json
from collections import Counter

from suite.io import atomic_write_text

from .text import normalize


def words_of(manifest: str) -> Counter:
    counts: Counter = Counter()
    with open(manifest, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                counts.update(normalize(json.loads(line).get("text", "")).split())
    return counts


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("manifest")
    p.add_argument("--out", required=True)
    p.add_argument("--min-count", type=int, default=1)
    args = p.parse_args(argv)
    counts = words_of(args.manifest)
    words = sorted(w for w, c in counts.items() if c >= args.min_count)
    atomic_write_text(args.out, "".join(w + "\n" for w in words))
    print(f"{len(words)} words -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How many lines of a handwriting manifest `augment.word_order` can re-order (docs/handwriting.md), and a PNG
of some of them before and after.
    python scripts/measure_word_split.py data/matrix/unipen-1000/train.jsonl --png /tmp/word_order.png
"""
import argparse
import json
import random
from pathlib import Path

from handwriting.features import normalize_ink
from handwriting.formats import read_ink
from handwriting.ink import Ink
from handwriting.text import normalize
from handwriting.word_order import shuffle_words, word_groups

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("manifest", type=Path)
parser.add_argument("--png", type=Path, help="draw the first six re-orderable lines and a re-ordering of each")
args = parser.parse_args()
rows = [json.loads(line) for line in args.manifest.read_text().splitlines() if line.strip()]
multi = split = 0
shown: list = []
rng = random.Random(0)
for r in rows:
    text = normalize(r["text"])
    if len(text.split()) < 2:
        continue
    multi += 1
    strokes = normalize_ink(read_ink(args.manifest.parent / r["ink"])[0].strokes)
    if word_groups(strokes, text.split()) is None:
        continue
    split += 1
    if args.png and len(shown) < 12:
        moved, new = shuffle_words(strokes, text, rng)
        shown += [(Ink(strokes), text), (Ink(moved), new)]
print(f"{len(rows)} lines, {multi} of several words, {split} of them split into their words ({split / max(multi, 1):.0%})")
if args.png:
    from handwriting.render import render_inks

    print(f"wrote {render_inks(shown, args.png)}")

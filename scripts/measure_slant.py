"""The shear `features.deslant` removes, per line of a handwriting manifest (docs/handwriting.md).
    python scripts/measure_slant.py data/unipen/valid.jsonl --every 8
"""
import argparse
import json
from pathlib import Path

import numpy as np

from handwriting.features import normalize_ink, resample_strokes, upright_shear
from handwriting.formats import read_ink

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("manifest", type=Path)
parser.add_argument("--every", type=int, default=1, help="measure every N-th line")
args = parser.parse_args()
rows = [json.loads(line) for line in args.manifest.read_text().splitlines() if line.strip()][::args.every]
shears = [upright_shear(resample_strokes(normalize_ink(read_ink(args.manifest.parent / r["ink"])[0].strokes), 0.05))
          for r in rows]
p5, p25, p50, p75, p95 = np.percentile(shears, [5, 25, 50, 75, 95])
print(f"{len(shears)} lines: shear 5% {p5:+.2f}, 25% {p25:+.2f}, median {p50:+.2f}, 75% {p75:+.2f}, 95% {p95:+.2f}")

"""Top-1 accuracy of a video model on a manifest, overall and on the time-reversed class pairs.

usage: python scripts/video_pair_accuracy.py MODEL MANIFEST [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

import suite
from suite.manifest import read_manifest
from video.actions import REVERSED_PAIRS


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("manifest")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    predictor = suite.load(args.model)
    rows = read_manifest(args.manifest, "video", "label")
    results = predictor.predict([r.path for r in rows], batch_size=32)
    paired = {c for pair in REVERSED_PAIRS for c in pair}
    hits = [(r.target, res.get("label") == r.target) for r, res in zip(rows, results) if "error" not in res]
    partner = {a: b for a, b in REVERSED_PAIRS} | {b: a for a, b in REVERSED_PAIRS}
    # direction: of the pair clips predicted as one of the two classes of their pair, how many got the order right
    in_pair = [res["label"] == r.target for r, res in zip(rows, results)
               if "error" not in res and r.target in partner and res["label"] in (r.target, partner[r.target])]
    pair_hits = [ok for label, ok in hits if label in paired]
    out = {
        "model": args.model, "manifest": args.manifest, "samples": len(hits),
        "top1": round(sum(ok for _, ok in hits) / max(1, len(hits)), 4),
        "pair_samples": len(pair_hits),
        "pair_accuracy": round(sum(pair_hits) / max(1, len(pair_hits)), 4),
        "pairs": [list(p) for p in REVERSED_PAIRS],
        "pair_predicted_in_pair": len(in_pair),
        "pair_direction_accuracy": round(sum(in_pair) / max(1, len(in_pair)), 4),
    }
    for a, b in REVERSED_PAIRS:
        sub = [ok for label, ok in hits if label in (a, b)]
        out[f"{a}/{b}"] = round(sum(sub) / max(1, len(sub)), 4)
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())

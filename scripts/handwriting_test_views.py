"""Probe: does averaging a handwriting model over transformed views of each line (test-time augmentation) read
other writers better? Each line is resampled once, then sheared, stretched or rotated (same points, so the views'
CTC frames line up), and the views' character probabilities are averaged before greedy decoding.
    python scripts/handwriting_test_views.py MODEL --manifest data/unipen/valid.jsonl
Prints the CER of each view alone and of some averages (docs/own-data.md).
"""
import argparse

import numpy as np
import torch

from handwriting.features import affine_matrix, apply_affine, normalize_ink, point_features, resample_strokes
from handwriting.loading import load_single_ink
from handwriting.text import normalize
from suite.inference import load_predictor
from suite.manifest import read_manifest
from suite.metrics import cer

VIEWS = {"plain": (1, 0, 0), "shear-": (1, -0.15, 0), "shear+": (1, 0.15, 0), "narrow": (0.9, 0, 0),
         "wide": (1.1, 0, 0), "rotate-": (1, 0, -3), "rotate+": (1, 0, 3)}  # (x scale, shear, degrees)
AVERAGES = [("plain", "shear-", "shear+"), ("plain", "narrow", "wide"), ("plain", "rotate-", "rotate+"), tuple(VIEWS)]


def view_features(strokes, cfg, view: tuple[float, float, float]) -> torch.Tensor:
    moved = apply_affine(strokes, affine_matrix(*view))
    return torch.from_numpy(point_features(moved, cfg.time_delta, cfg.spacing).astype(np.float32))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--manifest", required=True)
    args = p.parse_args()
    predictor = load_predictor(args.model)
    cfg = predictor.config.features
    rows = read_manifest(args.manifest, predictor.domain.input_key, predictor.domain.target_key)
    refs = [normalize(r.target) for r in rows]
    probs: dict[str, list[torch.Tensor]] = {k: [] for k in VIEWS}
    for i in range(0, len(rows), 32):
        lines = [resample_strokes(normalize_ink(load_single_ink(r.path).strokes, cfg.deskew, cfg.deslant),
                                  cfg.spacing) for r in rows[i:i + 32]]
        for name, view in VIEWS.items():
            with torch.no_grad():
                out, lengths = predictor.run([view_features(s, cfg, view) for s in lines])
            probs[name] += [out[j, :n].exp() for j, n in enumerate(lengths.tolist())]

    def score(per_line: list[torch.Tensor]) -> float:
        hyps = [predictor.results(q.log()[None], torch.tensor([len(q)]))[0]["text"] for q in per_line]
        return round(cer(refs, hyps), 4)

    for name in VIEWS:
        print(f"{name}: cer {score(probs[name])}", flush=True)
    for names in AVERAGES:
        print(f"{' + '.join(names)}: cer {score([torch.stack(q).mean(0) for q in zip(*(probs[k] for k in names))])}",
              flush=True)


if __name__ == "__main__":
    main()

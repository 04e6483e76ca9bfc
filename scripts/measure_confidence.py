"""Measure the `"confidence"` a model reports on input like its training data and on input it does not know, and
pick a threshold that flags the unknown.

    python scripts/measure_confidence.py MODEL --in-domain VALID.jsonl [--check TEST.jsonl] --out-of-domain A.wav B.wav ...

The threshold is chosen on the in-domain manifest (`--in-domain`, e.g. the validation set) as the confidence that
keeps 95% of it; the table then says how much of `--check` (a test set: in-domain files the choice never saw) and
of the out-of-domain files fall below it. Prints one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def manifest_files(predictor, path: str) -> list[str]:
    from suite.manifest import read_manifest

    return [r.path for r in read_manifest(path, predictor.domain.input_key, None)]


def confidences(predictor, files: list[str]) -> np.ndarray:
    return np.array([r["confidence"] for r in predictor.predict(files)])


def summary(c: np.ndarray, threshold: float) -> dict:
    return {"files": len(c), "median": round(float(np.median(c)), 4), "p5": round(float(np.quantile(c, 0.05)), 4),
            "p95": round(float(np.quantile(c, 0.95)), 4), "below_threshold": round(float((c < threshold).mean()), 4)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--in-domain", required=True, help="manifest of in-domain files: the threshold keeps 95%% of them")
    p.add_argument("--check", help="another in-domain manifest, only measured")
    p.add_argument("--out-of-domain", nargs="+", required=True, help="files the model was not made for")
    p.add_argument("--keep", type=float, default=0.95, help="share of --in-domain the threshold keeps")
    args = p.parse_args()

    import torch

    from suite.inference import load_predictor

    torch.set_num_threads(1)
    predictor = load_predictor(args.model, device="cpu")
    ind = confidences(predictor, manifest_files(predictor, args.in_domain))
    threshold = float(np.quantile(ind, 1 - args.keep))
    out = {"model": args.model, "decode": predictor.config.decode.model_dump(), "threshold": round(threshold, 4),
           "in_domain": summary(ind, threshold)}
    if args.check:
        out["check"] = summary(confidences(predictor, manifest_files(predictor, args.check)), threshold)
    ood = confidences(predictor, args.out_of_domain)
    out["out_of_domain"] = summary(ood, threshold)
    out["out_of_domain"]["per_file"] = {Path(f).name: round(float(c), 4) for f, c in zip(args.out_of_domain, ood)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

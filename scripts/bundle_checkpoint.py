"""A bundle holding the weights of another checkpoint of the same run, e.g. the end of a cool-down:

    python scripts/bundle_checkpoint.py runs/matrix/handwriting-unipen-1000 last.ckpt --out runs/v24/row-last/model.pt
    suite evaluate runs/v24/row-last/model.pt --manifest data/unipen/valid.jsonl --json

It copies RUN/model.pt (config, vocabulary, metrics) and swaps in the model weights of RUN/checkpoints/CKPT.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from suite.bundle import load_bundle, model_weights, save_bundle
from suite.errors import SuiteError


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a run folder with model.pt and checkpoints/")
    ap.add_argument("checkpoint", help="a file in RUN/checkpoints/, e.g. last.ckpt")
    ap.add_argument("--out", type=Path, required=True, help="the new bundle")
    args = ap.parse_args()
    ckpt_path = args.run / "checkpoints" / args.checkpoint
    try:
        bundle = load_bundle(args.run / "model.pt")
    except SuiteError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not ckpt_path.is_file():
        print(f"error: {ckpt_path}: not found", file=sys.stderr)
        return 2
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    state = model_weights(ckpt["state_dict"])
    if set(state) != set(bundle["state_dict"]):
        print(f"error: {ckpt_path}: its weights are not those of {args.run / 'model.pt'}'s model", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_bundle(args.out, domain=bundle["domain"], config=bundle["config"], state_dict=state,
                targets=bundle["targets"], info=bundle["info"],
                metrics={**bundle["metrics"], "steps": ckpt["global_step"], "checkpoint": args.checkpoint})
    print(f"wrote {args.out} (step {ckpt['global_step']})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How many of a video model's per-frame features are ever positive (alive) on a manifest's clips.

    python scripts/frame_features_alive.py MODEL MANIFEST [--every 30]

Prints, for each projection (`*.proj`) of the model, the share of features above zero per frame and the share of
units positive on at least one frame. A ReLU projection whose units are all dead feeds the LSTM a constant
(docs/video.md, "Dead frame features").
"""
from __future__ import annotations

import argparse

import torch

from suite.inference import load_predictor
from suite.manifest import read_manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("manifest")
    ap.add_argument("--every", type=int, default=30, help="use every N-th clip of the manifest")
    args = ap.parse_args()
    predictor = load_predictor(args.model, device="cpu")
    rows = read_manifest(args.manifest, "video", None)[::args.every]
    seen: dict[str, list[torch.Tensor]] = {}
    for name, module in predictor.model.named_modules():
        if name.endswith("proj"):
            seen[name] = []
            module.register_forward_hook(lambda _m, _i, out, name=name: seen[name].append(out.detach()))
    predictor.predict([r.path for r in rows])
    for name, outs in seen.items():
        f = torch.cat([o.reshape(-1, o.shape[-1]) for o in outs])
        print(f"{name}: {f.shape[0]} frames x {f.shape[1]} features; positive per frame {(f > 0).float().mean():.3f}, "
              f"units ever positive {(f > 0).any(0).float().mean():.3f}")


if __name__ == "__main__":
    main()

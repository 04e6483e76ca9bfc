"""Peak memory of one attention training step on CPU, for a batch shape: how far a recipe's batches can grow.

    OMP_NUM_THREADS=1 python scripts/attention_memory.py BATCH FRAMES CHARACTERS \
        [--config configs/handwriting-cpu.yaml] [--set model.hidden=256 ...] [--symbols 80] [--checkpoint-elements N]

Builds the recipe's attention encoder-decoder (its model section, ``objective: attention``; the domain's frontend
gives the feature size), feeds random features of FRAMES frames (after the frontend, before any subsampling),
runs the encoder, teacher forcing over CHARACTERS outputs and the backward pass, and prints the process's peak
resident memory after each. Run each shape in its own process (the peak never goes down).
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import suite.models.attention_decoder as ad  # noqa: E402
from suite.config import load_config  # noqa: E402
from suite.registry import get_domain  # noqa: E402
from suite.tasks import config_task  # noqa: E402
from suite.tasks.ctc import Vocabulary  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_backbone(config: str, overrides: list[str], symbols: int):
    """The recipe's attention backbone and the feature size its frontend produces."""
    cfg = load_config(config, ["objective=attention", *overrides])
    domain = get_domain(cfg.task)
    task = config_task(domain, cfg.objective)
    _, feat_dim = domain.build_frontend(cfg.features, cfg.augment, cfg.model)
    net = task.build_backbone(cfg.model, feat_dim, Vocabulary([chr(0x4E00 + i) for i in range(symbols)]))
    return net, feat_dim


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("batch", type=int)
    p.add_argument("frames", type=int, help="feature frames per sample (ink points, audio frames)")
    p.add_argument("characters", type=int)
    p.add_argument("--config", default="configs/handwriting-cpu.yaml", help="the recipe (default: %(default)s)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--symbols", type=int, default=80, help="output characters (default: %(default)s)")
    p.add_argument("--checkpoint-elements", type=float, default=ad.CHECKPOINT_ELEMENTS,
                   help="recompute decoder steps in the backward pass above this B x T x (L+1) x attention_dim")
    a = p.parse_args()
    ad.CHECKPOINT_ELEMENTS = a.checkpoint_elements
    torch.manual_seed(0)
    net, feat_dim = build_backbone(a.config, a.overrides, a.symbols)
    net.train()
    t0, base = time.perf_counter(), peak_mb()
    out, _ = net(torch.randn(a.batch, a.frames, feat_dim), torch.full((a.batch,), a.frames))
    enc_mb = peak_mb()
    targets = torch.randint(1, a.symbols + 1, (a.batch, a.characters))
    logits = net.teacher_forced(out, targets, torch.full((a.batch,), a.characters))
    tf_mb = peak_mb()
    logits.float().logsumexp(-1).sum().backward()
    cells = a.batch * out.enc.shape[1] * (a.characters + 1)
    print(f"{a.config}: batch {a.batch} x {out.enc.shape[1]} encoder frames x {a.characters} characters "
          f"({cells / 1e6:.2f} M cells): peak MB at start {base:.0f}, after the encoder {enc_mb:.0f}, after teacher "
          f"forcing {tf_mb:.0f}, after backward {peak_mb():.0f}; {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()

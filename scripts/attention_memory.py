"""Peak memory of one attention training step on CPU, for a batch shape: how far a recipe's batches can grow.

    OMP_NUM_THREADS=1 python scripts/attention_memory.py BATCH INPUT_FRAMES CHARACTERS [--checkpoint-elements N]

Builds the encoder-decoder of configs/handwriting-cpu.yaml (subsample 2, 3 x 192 BiLSTM, attention defaults) on
random input, runs the encoder, teacher forcing over CHARACTERS outputs and the backward pass, and prints the
process's peak resident memory after each. Run each shape in its own process (the peak never goes down).
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


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("batch", type=int)
    p.add_argument("frames", type=int, help="input frames (ink points) per sample")
    p.add_argument("characters", type=int)
    p.add_argument("--checkpoint-elements", type=float, default=ad.CHECKPOINT_ELEMENTS,
                   help="recompute decoder steps in the backward pass above this B x T x (L+1) x attention_dim")
    a = p.parse_args()
    ad.CHECKPOINT_ELEMENTS = a.checkpoint_elements
    torch.manual_seed(0)
    net = ad.AttentionEncoderDecoder(8, 80, subsample=2, subsample_channels=128, layers=3, hidden=192, dropout=0.15)
    net.ctc_weight, net.label_smoothing = 0.0, 0.1
    t0, base = time.perf_counter(), peak_mb()
    out, _ = net(torch.randn(a.batch, a.frames, 8), torch.full((a.batch,), a.frames))
    enc_mb = peak_mb()
    targets = torch.randint(1, 80, (a.batch, a.characters))
    logits = net.teacher_forced(out, targets, torch.full((a.batch,), a.characters))
    tf_mb = peak_mb()
    logits.float().logsumexp(-1).sum().backward()
    cells = a.batch * out.enc.shape[1] * (a.characters + 1)
    print(f"batch {a.batch} x {out.enc.shape[1]} encoder frames x {a.characters} characters ({cells / 1e6:.2f} M cells): "
          f"peak MB at start {base:.0f}, after the encoder {enc_mb:.0f}, after teacher forcing {tf_mb:.0f}, "
          f"after backward {peak_mb():.0f}; {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()

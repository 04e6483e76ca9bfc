"""Exponential moving average of the weights, as a Lightning callback (Lightning's ``WeightAveraging``
keeps the averaged copy in checkpoints and swaps it in for validation; this adds a warm-up of the decay)."""
from __future__ import annotations

from functools import partial

import torch
from lightning.pytorch.callbacks import WeightAveraging


def _ema(decay: float, averaged: torch.Tensor, current: torch.Tensor, num_averaged: torch.Tensor) -> torch.Tensor:
    # The decay grows from 0.1 towards `decay` over the first updates, so the early, far-from-trained weights
    # fade out within a few dozen steps instead of lingering for ~1/(1-decay) of them.
    n = float(num_averaged)
    d = min(decay, (1.0 + n) / (10.0 + n))
    return averaged * d + current * (1.0 - d)


class EMA(WeightAveraging):
    """Validation, checkpoints and the final weights use the moving average of the trained weights."""

    def __init__(self, decay: float):
        super().__init__(use_buffers=True, avg_fn=partial(_ema, decay))

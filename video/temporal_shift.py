"""Temporal shift (TSM, Lin et al., 2019): a fraction of a per-frame CNN's channels moves one frame forward in
time and as many one frame back, so the fine-tuned 2D blocks see their neighbours' features at no cost in
weights or multiply-adds. The frames of a clip must be consecutive rows of the batch: [B*T, C, h, w].
"""
from __future__ import annotations

import torch


def shift_time(x: torch.Tensor, clip_length: int, fraction: float) -> torch.Tensor:
    """[B*T, C, h, w] -> same shape: channels [0, k) of frame t come from frame t-1, [k, 2k) from frame t+1
    (zeros at the clip's ends), the rest stay; k = floor(C * fraction)."""
    n, c = x.shape[:2]
    k = int(c * fraction)
    if not k or clip_length < 2:
        return x
    if n % clip_length:
        raise ValueError(f"{n} frames are not whole clips of {clip_length}")
    v = x.view(n // clip_length, clip_length, *x.shape[1:])
    out = torch.zeros_like(v)
    out[:, 1:, :k] = v[:, :-1, :k]  # from the past
    out[:, :-1, k:2 * k] = v[:, 1:, k:2 * k]  # from the future
    out[:, :, 2 * k:] = v[:, :, 2 * k:]
    return out.view_as(x)

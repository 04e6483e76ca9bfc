"""``Domain.load`` for forecast windows: rows ``start..end-1`` of a series file as a [time, features] tensor."""
from __future__ import annotations

import random

import torch

from suite.errors import CorruptSample, SuiteError

from .series import cached_series


def load_window(path: str, features, augment, rng: random.Random, start: int | None = None,
                end: int | None = None) -> torch.Tensor:
    try:
        series = cached_series(path)
    except SuiteError as err:
        raise CorruptSample(str(err.args[0]) if err.args else "unreadable series", path) from None
    n = len(series)
    start = 0 if start is None else int(start)
    end = n if end is None else int(end)
    if not 0 <= start < end <= n:
        raise SuiteError(f"window {start}..{end} is outside the series' {n} rows", path)
    x = torch.from_numpy(series.values[start:end].copy()).float()
    if augment is not None and augment.noise > 0:
        g = torch.Generator().manual_seed(rng.getrandbits(63))
        x = x * (1 + augment.noise * torch.randn(x.shape, generator=g))
    return x

"""All strokes of a line resampled in one interpolation equal resampling each stroke on its own."""
from __future__ import annotations

import math

import numpy as np
import pytest

from handwriting.features import resample_strokes, resampled_lengths


def one_stroke(stroke: np.ndarray, step: float) -> np.ndarray:
    """The per-stroke resampling the suite used before (the reference)."""
    if len(stroke) < 2:
        return stroke[:1].copy()
    seg = np.hypot(np.diff(stroke[:, 0]), np.diff(stroke[:, 1]))
    dist = np.concatenate([[0.0], np.cumsum(seg)])
    total = dist[-1]
    if total < step:
        return stroke[[0, -1]] if total > 0 else stroke[:1].copy()
    n = int(math.floor(total / step))
    at = np.linspace(0.0, n * step, n + 1)
    if total - at[-1] > 0.25 * step:
        at = np.append(at, total)
    keep = np.concatenate([[True], seg > 0])
    d, s = dist[keep], stroke[keep]
    return np.stack([np.interp(at, d, s[:, k]) for k in range(3)], axis=1)


def random_strokes(rng: np.random.Generator) -> list[np.ndarray]:
    strokes = []
    for _ in range(int(rng.integers(1, 30))):
        n = int(rng.choice([0, 1, 2, 3, 20, 200]))
        xy = np.cumsum(rng.normal(0, rng.choice([0.001, 0.05, 1.0]), (n, 2)), axis=0) + rng.uniform(-500, 500, 2)
        if n > 3:
            xy[n // 2] = xy[n // 2 - 1]  # a repeated point (zero-length segment)
        t = np.sort(rng.uniform(0, 10, n))
        strokes.append(np.column_stack([xy, t]))
    return strokes


@pytest.mark.parametrize("seed", range(40))
def test_equals_resampling_each_stroke(seed):
    rng = np.random.default_rng(seed)
    strokes = random_strokes(rng)
    step = float(rng.choice([0.01, 0.2, 3.0]))
    got = resample_strokes(strokes, step)
    want = [one_stroke(s, step) for s in strokes]
    assert [len(g) for g in got] == [len(w) for w in want] == list(resampled_lengths(strokes, step))
    for g, w in zip(got, want):
        assert np.allclose(g, w, rtol=0, atol=1e-7)


def test_no_strokes():
    assert resample_strokes([], 0.5) == [] and len(resampled_lengths([], 0.5)) == 0

"""Cubic Bezier curve features (after Carbune et al. 2020, "Fast multi-language LSTM-based online handwriting
recognition"): each stroke is split into as few cubic curves as fit it within a tolerance, and every curve
becomes one feature vector, so a sequence has a few steps per character instead of many points.

Per curve: end-point displacement (dx, dy), first control point relative to the start (c1x, c1y), second
control point relative to the end (c2x, c2y), y of the end point, pen-up bit (1 for the straight pen-up move
inserted between strokes), and optionally the curve's duration.
"""
from __future__ import annotations

import numpy as np

from .features import MAX_DT


def fit_cubic(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Least-squares cubic Bezier with fixed end points on chord-length parameters.

    Returns (c1, c2, max error, index of the worst point).
    """
    p0, p3 = points[0], points[-1]
    if len(points) <= 2:
        return p0 + (p3 - p0) / 3, p0 + 2 * (p3 - p0) / 3, 0.0, 0
    seg = np.hypot(*np.diff(points, axis=0).T)
    u = np.concatenate([[0.0], np.cumsum(seg)])
    u = u / u[-1] if u[-1] > 0 else np.linspace(0, 1, len(points))
    b0, b1, b2, b3 = (1 - u) ** 3, 3 * u * (1 - u) ** 2, 3 * u ** 2 * (1 - u), u ** 3
    rhs = points - np.outer(b0, p0) - np.outer(b3, p3)
    a = np.stack([b1, b2], axis=1)
    ctrl, *_ = np.linalg.lstsq(a, rhs, rcond=None)
    c1, c2 = ctrl
    fit = np.outer(b0, p0) + np.outer(b1, c1) + np.outer(b2, c2) + np.outer(b3, p3)
    err = np.hypot(*(fit - points).T)
    k = int(np.argmax(err))
    return c1, c2, float(err[k]), k


def split_stroke(points: np.ndarray, tol: float, max_points: int) -> list[tuple[int, int]]:
    """Index ranges [a, b] of curves covering the stroke, split at the worst-fit point until all fit."""
    out, todo = [], [(0, len(points) - 1)]
    while todo:
        a, b = todo.pop()
        if b - a < 3:
            out.append((a, b))
            continue
        _, _, err, k = fit_cubic(points[a:b + 1])
        if (err > tol or b - a + 1 > max_points) and 0 < k < b - a:
            todo += [(a + k, b), (a, a + k)]
        elif err > tol or b - a + 1 > max_points:
            mid = (a + b) // 2
            todo += [(mid, b), (a, mid)]
        else:
            out.append((a, b))
    return sorted(out)


def bezier_features(strokes: list[np.ndarray], cfg) -> np.ndarray:
    """[curves, BEZIER_DIM (+1 with time_delta)] for normalized, resampled strokes."""
    rows = []
    prev_end = None
    for s in strokes:
        xy, t = s[:, :2], s[:, 2]
        if prev_end is not None:
            d = xy[0] - prev_end[0]
            dt = t[0] - prev_end[1] if not np.isnan(t[0] - prev_end[1]) else 0.0
            rows.append([d[0], d[1], d[0] / 3, d[1] / 3, -d[0] / 3, -d[1] / 3, xy[0, 1], 1.0, dt])
        if len(xy) == 1:  # a dot: a zero-length curve
            rows.append([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, xy[0, 1], 0.0, 0.0])
        for a, b in split_stroke(xy, cfg.bezier_tolerance, cfg.bezier_max_points):
            if b == a:
                continue
            c1, c2, _, _ = fit_cubic(xy[a:b + 1])
            p0, p3 = xy[a], xy[b]
            dt = t[b] - t[a] if not np.isnan(t[b] - t[a]) else 0.0
            rows.append([*(p3 - p0), *(c1 - p0), *(c2 - p3), p3[1], 0.0, dt])
        prev_end = (xy[-1], t[-1])
    arr = np.asarray(rows, dtype=np.float64)
    arr[:, 8] = np.clip(arr[:, 8], 0.0, MAX_DT)
    return arr if cfg.time_delta else arr[:, :8]

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

    Returns (c1, c2, max error, index of the worst point). The two control points solve 2x2 normal
    equations in closed form: on curves of a few dozen points a general least-squares call costs more
    than the arithmetic.
    """
    p0, p3 = points[0], points[-1]
    if len(points) <= 2:
        return p0 + (p3 - p0) / 3, p0 + 2 * (p3 - p0) / 3, 0.0, 0
    d = np.diff(points, axis=0)
    u = np.empty(len(points))
    u[0] = 0.0
    np.cumsum(np.sqrt((d * d).sum(axis=1)), out=u[1:])
    u = u / u[-1] if u[-1] > 0 else np.linspace(0, 1, len(points))
    v = 1 - u
    b0, b1, b2, b3 = v * v * v, 3 * u * v * v, 3 * u * u * v, u * u * u
    rhs = points - b0[:, None] * p0 - b3[:, None] * p3
    m11, m12, m22 = b1 @ b1, b1 @ b2, b2 @ b2
    r1, r2 = b1 @ rhs, b2 @ rhs
    det = m11 * m22 - m12 * m12
    if abs(det) > 1e-12 * max(m11 * m22, 1e-300):
        c1 = (m22 * r1 - m12 * r2) / det
        c2 = (m11 * r2 - m12 * r1) / det
    else:  # degenerate parameters (e.g. all points on the ends): fall back to the general solver
        (c1, c2), *_ = np.linalg.lstsq(np.stack([b1, b2], axis=1), rhs, rcond=None)
    e = b0[:, None] * p0 + b1[:, None] * c1 + b2[:, None] * c2 + b3[:, None] * p3 - points
    err2 = (e * e).sum(axis=1)
    k = int(np.argmax(err2))
    return c1, c2, float(np.sqrt(err2[k])), k


def split_stroke(points: np.ndarray, tol: float, max_points: int) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """Curves (a, b, c1, c2) covering the stroke over index ranges [a, b], split at the worst-fit point
    until all fit."""
    out, todo = [], [(0, len(points) - 1)]
    while todo:
        a, b = todo.pop()
        c1, c2, err, k = fit_cubic(points[a:b + 1])
        if b - a < 3:
            out.append((a, b, c1, c2))
            continue
        if (err > tol or b - a + 1 > max_points) and 0 < k < b - a:
            todo += [(a + k, b), (a, a + k)]
        elif err > tol or b - a + 1 > max_points:
            mid = (a + b) // 2
            todo += [(mid, b), (a, mid)]
        else:
            out.append((a, b, c1, c2))
    return sorted(out, key=lambda c: c[0])


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
        for a, b, c1, c2 in split_stroke(xy, cfg.bezier_tolerance, cfg.bezier_max_points):
            if b == a:
                continue
            p0, p3 = xy[a], xy[b]
            dt = t[b] - t[a] if not np.isnan(t[b] - t[a]) else 0.0
            rows.append([*(p3 - p0), *(c1 - p0), *(c2 - p3), p3[1], 0.0, dt])
        prev_end = (xy[-1], t[-1])
    arr = np.asarray(rows, dtype=np.float64)
    arr[:, 8] = np.clip(arr[:, 8], 0.0, MAX_DT)
    return arr if cfg.time_delta else arr[:, :8]

"""The common ink type every reader returns, and the normalized JSON ink format the suite writes."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from suite.errors import SuiteError


@dataclass
class Ink:
    """Pen-down strokes of one sample.

    ``strokes``: list of float arrays [N, 3] with columns x, y, t. x grows to the right, y grows DOWNWARD
    (screen convention; readers flip formats where y grows upward), t in seconds or NaN when unknown.
    Any scale and origin: features normalize them away.
    """

    strokes: list[np.ndarray]
    text: str | None = None
    writer: str | None = None
    id: str | None = None
    meta: dict = field(default_factory=dict)

    @property
    def num_points(self) -> int:
        return int(sum(len(s) for s in self.strokes))

    def bbox(self) -> tuple[float, float, float, float]:
        pts = np.concatenate(self.strokes)[:, :2]
        return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def make_stroke(points, path=None) -> np.ndarray:
    """[N, 2|3] numbers -> float array [N, 3] (t = NaN if absent); rejects non-finite coordinates."""
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] not in (2, 3):
        raise SuiteError("a stroke must be a non-empty list of [x, y] or [x, y, t] points", path)
    if arr.shape[1] == 2:
        arr = np.concatenate([arr, np.full((len(arr), 1), np.nan)], axis=1)
    if not np.isfinite(arr[:, :2]).all():
        raise SuiteError("stroke has non-finite coordinates", path)
    return arr


def check_ink(ink: Ink, path) -> Ink:
    if not ink.strokes or ink.num_points == 0:
        raise SuiteError("no pen strokes", path)
    return ink


def ink_to_json(ink: Ink) -> dict:
    """JSON form: {"strokes": [[[x, y, t], ...], ...], "text": ...}; t omitted when unknown."""
    strokes = []
    for s in ink.strokes:
        has_t = not np.isnan(s[:, 2]).any()
        strokes.append([[round(float(x), 2), round(float(y), 2)] + ([round(float(t), 4)] if has_t else [])
                        for x, y, t in s])
    out: dict = {"strokes": strokes}
    for key in ("text", "writer", "id"):
        value = getattr(ink, key)
        if value is not None:
            out[key] = value
    return out


def write_ink_json(ink: Ink, path: str | Path) -> Path:
    from suite.io import atomic_write_text

    return atomic_write_text(path, json.dumps(ink_to_json(ink), ensure_ascii=False, separators=(",", ":")))


def finite_or_nan(value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan

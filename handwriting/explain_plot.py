"""The handwriting explanation picture: each resampled ink point coloured by its relevance, the text below."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from suite.errors import SuiteError
from suite.io import atomic_path

from .features import normalize_ink, resample_strokes
from .ink import Ink
from .render import draw_ink

MAX_ROWS = 12  # samples drawn from one file (a UNIPEN file may hold hundreds)


def feature_points(ink: Ink, features) -> list[np.ndarray]:
    """The normalized, resampled strokes whose points are the model's time steps (as ink_features makes them)."""
    return resample_strokes(normalize_ink(ink.strokes, features.deskew, features.deslant), features.spacing)


def _row(ax, ink: Ink, relevance: np.ndarray, result: dict, features, limit: float):
    strokes = feature_points(ink, features)
    pts = np.concatenate(strokes)
    if len(pts) != len(relevance):
        raise SuiteError("--explain draws models reading ink points; this one reads Bezier curves "
                         f"({len(relevance)} steps for {len(pts)} points)")
    draw_ink(ax, Ink(strokes=strokes), color="#cccccc")
    order = np.argsort(np.abs(relevance))  # the most relevant points drawn last, on top
    dots = ax.scatter(pts[order, 0], pts[order, 1], c=relevance[order], cmap="coolwarm", vmin=-limit, vmax=limit,
                      s=18, linewidths=0, zorder=3)
    text = result.get("text", "")
    caption = f"\u201c{text}\u201d"
    if "confidence" in result:
        caption += f"   confidence {result['confidence']:.2f}"
    if result.get("reference") not in (None, text):
        caption += f"   (reference: {result['reference']})"
    ax.set_xlabel(caption, fontsize=10)
    return dots


def _aspect(ink: Ink, features) -> float:
    pts = np.concatenate(feature_points(ink, features))
    return float(np.clip(np.ptp(pts[:, 1]) / max(np.ptp(pts[:, 0]), 1e-6), 0.08, 0.6))


def draw_explanation(path: str, inks: list[Ink], relevances: list[np.ndarray], results: list[dict],
                     out_png: str | Path, *, features) -> Path:
    """Write a PNG: one row per sample of the file, points red where they raise the model's confidence
    in what it read and blue where they lower it (one colour scale for the whole file)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = min(len(inks), MAX_ROWS)
    # a few pen-up points often carry much more than the rest: saturate them so the others show colour
    limit = float(np.percentile(np.abs(np.concatenate(relevances[:n])), 98)) or 1.0
    width = 12.0
    heights = [_aspect(ink, features) * width * 0.85 + 0.5 for ink in inks[:n]]
    fig, axes = plt.subplots(n, 1, figsize=(width, sum(heights) + 0.9), squeeze=False, layout="constrained",
                             gridspec_kw={"height_ratios": heights})
    dots = None
    for ax, ink, rel, res in zip(axes[:, 0], inks, relevances, results):
        dots = _row(ax, ink, rel, res, features, limit)
    more = f" (first {n} of {len(inks)} samples)" if len(inks) > n else ""
    axes[0, 0].set_title(f"{Path(path).name}{more}: relevance of each ink point "
                         "(red: raises the confidence in the text read, blue: lowers it)", fontsize=10)
    fig.colorbar(dots, ax=axes[:, 0].tolist(), location="right", fraction=0.03, pad=0.01, label="relevance")
    out = Path(out_png)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
    return out

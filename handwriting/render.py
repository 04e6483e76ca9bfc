"""Draw ink (and the recognized text under it) to a PNG with matplotlib's Agg backend."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from suite.io import atomic_path  # noqa: E402

from .ink import Ink  # noqa: E402


def draw_ink(ax, ink: Ink, caption: str | None = None, color: str = "black") -> None:
    """Strokes on ``ax`` with y downward as on paper; the caption goes under the ink."""
    for s in ink.strokes:
        if len(s) == 1:
            ax.plot(s[:, 0], s[:, 1], ".", color=color, markersize=2)
        else:
            ax.plot(s[:, 0], s[:, 1], "-", color=color, linewidth=1.2, solid_capstyle="round")
    ax.set_aspect("equal")
    if not ax.yaxis_inverted():
        ax.invert_yaxis()
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if caption is not None:
        ax.set_xlabel(caption, fontsize=10)


def render_inks(items: list[tuple[Ink, str | None]], out: str | Path, width: float = 8.0) -> Path:
    """One row per (ink, caption); written atomically as PNG."""
    rows = max(len(items), 1)
    fig, axes = plt.subplots(rows, 1, figsize=(width, 1.6 * rows), squeeze=False)
    for ax, (ink, caption) in zip(axes[:, 0], items):
        draw_ink(ax, ink, caption)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return Path(out)

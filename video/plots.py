"""Drawings for the video domain: class probabilities along a video, and the confusion matrix."""
from __future__ import annotations

import io

import numpy as np

from suite.io import atomic_write_bytes
from suite.plots import plot_confusion  # noqa: F401  (the core's drawing, re-exported for `suite evaluate`)


def plot_timeline(times: np.ndarray, probs: np.ndarray, labels: list[str], path: str, title: str = "",
                  max_classes: int = 6) -> None:
    """Probability of the most likely classes (by peak probability) against time in seconds, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = np.argsort(-probs.max(axis=0))[:max_classes]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for c in order:
        ax.plot(times, probs[:, c], marker="o" if len(times) < 30 else None, label=labels[c])
    ax.set_xlabel("time (s, window centre)")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())

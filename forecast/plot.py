"""History, forecast and its interval as a PNG (one panel per forecast column)."""
from __future__ import annotations

import io
from typing import Sequence

import numpy as np

from suite.io import atomic_write_bytes


def plot_forecast(path: str, columns: Sequence[str], hist_x: Sequence, hist_y: np.ndarray, fut_x: Sequence,
                  point: np.ndarray, lower: np.ndarray, upper: np.ndarray, *, interval: float = 0.8,
                  title: str = "", actual: np.ndarray | None = None, model_horizon: int | None = None) -> None:
    """``hist_y`` [n, k], ``point``/``lower``/``upper`` [h, k]; x values are dates or step numbers.
    ``model_horizon``: steps the model forecasts at once (a dotted line marks where recursion starts)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(columns)
    fig, axes = plt.subplots(k, 1, figsize=(9, 3.2 * k), squeeze=False, sharex=True)
    for j, (ax, col) in enumerate(zip(axes[:, 0], columns)):
        ax.plot(hist_x, hist_y[:, j], color="black", lw=1.2, label="history")
        # join the forecast to the last observation so the line is continuous
        fx, fy = [hist_x[-1], *fut_x], np.concatenate([hist_y[-1:, j], point[:, j]])
        ax.plot(fx, fy, color="tab:blue", lw=1.6, label="forecast")
        ax.fill_between(fut_x, lower[:, j], upper[:, j], color="tab:blue", alpha=0.2,
                        label=f"{round(interval * 100)}% interval")
        if actual is not None:
            ax.plot(fut_x[:len(actual)], actual[:, j], color="tab:orange", lw=1.2, ls="--", label="actual")
        if model_horizon and model_horizon < len(fut_x):
            ax.axvline(fut_x[model_horizon - 1], color="grey", ls=":", lw=1)
            ax.text(fut_x[model_horizon - 1], ax.get_ylim()[1], " recursive from here", va="top", fontsize=8,
                    color="grey")
        ax.set_ylabel(col)
        ax.grid(alpha=0.3)
        if j == 0:
            ax.legend(loc="upper left", fontsize=8)
            if title:
                ax.set_title(title, fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())

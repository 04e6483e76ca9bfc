"""The video explanation picture: the clip's sampled frames in a strip, each with its relevance bar under it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from suite.io import atomic_path


def draw_explanation(path: str, clip: torch.Tensor, relevance: np.ndarray, result: dict, out_png: str | Path) -> Path:
    """Write a PNG: the frames the model saw (uint8 [T, 3, H, W]) left to right, a bar per frame below
    (red: the frame raises the probability of the label, blue: lowers it), the label as the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if clip.shape[1] == 2:  # features.motion flow_only: the flow's magnitude in grey
        from .motion import flow_pixels

        clip = (flow_pixels(clip).norm(dim=1, keepdim=True) * 64).clamp(0, 255).to(torch.uint8).expand(-1, 3, -1, -1)
    frames = clip[:, :3].permute(0, 2, 3, 1).cpu().numpy()  # RGB only: flow channels (features.motion) are not drawn
    if frames.dtype != np.uint8:
        frames = np.clip(frames * (255 if frames.max() <= 1.0 else 1), 0, 255).astype(np.uint8)
    T = len(frames)
    fig = plt.figure(figsize=(max(6.0, 1.3 * T), 3.4), layout="constrained")
    grid = fig.add_gridspec(2, T, height_ratios=[1, 0.8])
    top = int(np.argmax(relevance))
    for i in range(T):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(frames[i])
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_color("#2ca02c" if i == top else "#999999")
            spine.set_linewidth(3 if i == top else 0.5)
    bars = fig.add_subplot(grid[1, :])
    bars.bar(np.arange(T), relevance, color=np.where(relevance >= 0, "#d62728", "#1f77b4"), width=0.7)
    bars.axhline(0, color="black", linewidth=0.5)
    bars.set_xlim(-0.5, T - 0.5)
    bars.set_xticks(np.arange(T), [str(i + 1) for i in range(T)])
    bars.set_xlabel("sampled frame (green frame: the most relevant)")
    bars.set_ylabel("relevance")
    title = f"{Path(path).name}: {result.get('label', '')}"
    if "confidence" in result:
        title += f" ({result['confidence']:.2f})"
    fig.suptitle(title, fontsize=11)
    out = Path(out_png)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
    return out
